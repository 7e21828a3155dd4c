/*
 * Unit tests: the memory of hashed inode numbers (lib/nodemap.c): a
 * number stays known while referenced, a FORGET drops references, the
 * unreferenced are kept up to a bound, most recently used last out, and a
 * second identity for one number is refused.
 */
#include "check.h"
#include "../../lib/tree_i.h"

static struct node named(uint64_t seq, const char *key)
{
	struct node n;
	CHECK(node_make_named(&n, N_KEY_FILE, seq, 1, 0, key, NULL) == 0);
	return n;
}

int main(void)
{
	struct nodemap *m = nodemap_new();
	struct node n = named(7, "A-100"), got;
	uint64_t ino = node_ino(&n);

	CHECK(ino >> 60 == N_DYN);
	CHECK(node_ino(&n) == ino); /* the same identity, the same number */
	struct node other = named(7, "A-101");
	CHECK(node_ino(&other) != ino);
	CHECK(nodemap_get(m, ino, &got) == -ENOENT);
	CHECK(nodemap_put(m, ino, &n, 1) == 0);
	CHECK(nodemap_get(m, ino, &got) == 0 && got.type == N_KEY_FILE && got.seq == 7 &&
	      got.tidx == 1 && got.keylen == 5 && !strcmp(got.key, "A-100"));
	/* a collision: another identity under that number is refused, the first kept */
	CHECK(nodemap_put(m, ino, &other, 1) == TREE_LOGGED);
	CHECK(nodemap_get(m, ino, &got) == 0 && !strcmp(got.key, "A-100"));

	/* referenced entries survive any number of idle ones; idle ones are bounded */
	char key[32];
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		struct node k = named(9, key);
		CHECK(nodemap_put(m, node_ino(&k), &k, 0) == 0);
	}
	CHECK(nodemap_get(m, ino, &got) == 0);
	struct node first = named(9, "k0"), last = named(9, "k9999");
	CHECK(nodemap_get(m, node_ino(&first), &got) == -ENOENT); /* the oldest idle went */
	CHECK(nodemap_get(m, node_ino(&last), &got) == 0);
	/* forgotten: idle, then pushed out by newer idle entries */
	nodemap_drop(m, ino, 1);
	CHECK(nodemap_get(m, ino, &got) == 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "j%d", i);
		struct node k = named(11, key);
		CHECK(nodemap_put(m, node_ino(&k), &k, 0) == 0);
	}
	CHECK(nodemap_get(m, ino, &got) == -ENOENT);
	/* a lookup of an idle entry makes it referenced again; a drop below zero is harmless */
	struct node j = named(11, "j4999");
	CHECK(nodemap_put(m, node_ino(&j), &j, 2) == 0);
	nodemap_drop(m, node_ino(&j), 1);
	nodemap_drop(m, node_ino(&j), 5);
	nodemap_drop(m, node_ino(&j), 5);
	CHECK(nodemap_get(m, node_ino(&j), &got) == 0);
	/* a name that does not fit is no node */
	char big[NODE_KEY_MAX + 1];
	memset(big, 'x', sizeof(big) - 1);
	big[NODE_KEY_MAX] = 0;
	struct node b;
	CHECK(node_make_named(&b, N_KEY_FILE, 1, 1, 0, big, NULL) == -ENOENT);
	CHECK(node_make_named(&b, N_HIST_KEY, 1, 0, 0, "orders", "1001,3") == 0 && b.keylen == 13 &&
	      !memcmp(b.key, "orders\0" "1001,3", 13));
	nodemap_free(m);
	return check_done("test_nodemap");
}
