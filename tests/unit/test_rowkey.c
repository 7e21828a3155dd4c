/*
 * Unit tests: key names (rowkey.h keyname_parse), the rows of a chunk one
 * by one (chunk_rows_each), and key comparison over a prefix
 * (rowcodec.h key_compare_prefix).
 */
#include "check.h"
#include "strata/rowkey.h"

#include <math.h>

static void key_of(struct buf *b, const struct value *v, unsigned n)
{
	buf_reset(b);
	buf_add_varint(b, n);
	for (unsigned i = 0; i < n; i++)
		value_encode(b, &v[i]);
}

static bool has_cand(struct buf *c, size_t n, const struct value *v, unsigned nv)
{
	struct buf k = BUF_INIT;
	bool hit = false;
	key_of(&k, v, nv);
	for (size_t i = 0; i < n && !hit; i++)
		hit = c[i].len == k.len && !memcmp(c[i].data, k.data, k.len);
	buf_release(&k);
	return hit;
}

static struct value vi(int64_t i) { return (struct value){ .type = VAL_INT, .i = i }; }
static struct value vr(double r) { return (struct value){ .type = VAL_REAL, .r = r }; }
static struct value vt(const char *s)
{
	return (struct value){ .type = VAL_TEXT, .p = (const uint8_t *)s, .n = strlen(s) };
}

static void names(void)
{
	struct buf c[KEYNAME_MAX_CANDIDATES];
	size_t n;
	for (int i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
		c[i] = (struct buf)BUF_INIT;

	/* an integer: the number first, then the text */
	CHECK(keyname_parse("42", 2, c, &n) == 0 && n == 2);
	struct value v1[] = { vi(42) }, v1t[] = { vt("42") };
	CHECK(has_cand(c, 1, v1, 1) && has_cand(c + 1, 1, v1t, 1));
	CHECK(keyname_parse("-9223372036854775808", 20, c, &n) == 0 && n == 2);
	struct value vmin[] = { vi(INT64_MIN) };
	CHECK(has_cand(c, 1, vmin, 1));
	/* beyond int64: a real */
	CHECK(keyname_parse("9223372036854775808", 19, c, &n) == 0 && n == 2);
	struct value vbig[] = { vr(9223372036854775808.0) };
	CHECK(has_cand(c, 1, vbig, 1));
	CHECK(keyname_parse("2.5", 3, c, &n) == 0 && n == 2);
	struct value v25[] = { vr(2.5) };
	CHECK(has_cand(c, 1, v25, 1));
	CHECK(keyname_parse("-Infinity", 9, c, &n) == 0 && n == 2);
	struct value vinf[] = { vr(-INFINITY) };
	CHECK(has_cand(c, 1, vinf, 1));
	/* text: only text, escapes undone */
	CHECK(keyname_parse("A-100", 5, c, &n) == 0 && n == 1);
	struct value va[] = { vt("A-100") };
	CHECK(has_cand(c, n, va, 1));
	CHECK(keyname_parse("a%2Fb%2cc%25", 12, c, &n) == 0 && n == 1);
	struct value vesc[] = { vt("a/b,c%") };
	CHECK(has_cand(c, n, vesc, 1));
	CHECK(keyname_parse("h\xc3\xa9llo w\xc3\xb6rld", 13, c, &n) == 0 && n == 1);
	struct value vu[] = { vt("h\xc3\xa9llo w\xc3\xb6rld") };
	CHECK(has_cand(c, n, vu, 1));
	/* the empty name is the empty text */
	CHECK(keyname_parse("", 0, c, &n) == 0 && n == 1);
	struct value ve[] = { vt("") };
	CHECK(has_cand(c, n, ve, 1));
	/* a blob */
	CHECK(keyname_parse("x'00ff'", 7, c, &n) == 0 && n == 2);
	uint8_t bl[] = { 0, 0xff };
	struct value vb[] = { { .type = VAL_BLOB, .p = bl, .n = 2 } };
	CHECK(has_cand(c, 1, vb, 1));
	/* composite: every combination, the numeric readings first */
	CHECK(keyname_parse("1001,3", 6, c, &n) == 0 && n == 4);
	struct value vc[] = { vi(1001), vi(3) }, vc2[] = { vi(1001), vt("3") },
		     vc4[] = { vt("1001"), vt("3") };
	CHECK(has_cand(c, 1, vc, 2) && has_cand(c + 1, 1, vc2, 2) && has_cand(c + 3, 1, vc4, 2));
	CHECK(keyname_parse("a,", 2, c, &n) == 0 && n == 1);
	struct value vae[] = { vt("a"), vt("") };
	CHECK(has_cand(c, n, vae, 2));
	/* at most KEYNAME_MAX_CANDIDATES */
	CHECK(keyname_parse("1,2,3,4,5,6,7,8", 15, c, &n) == 0 && n == KEYNAME_MAX_CANDIDATES);
	/* a NUL is never part of a number: "Infinity\0x" is text only */
	CHECK(keyname_parse("Infinity%00x", 12, c, &n) == 0 && n == 1);
	CHECK(keyname_parse("4%00", 4, c, &n) == 0 && n == 1);
	/* past 16 combinations the all-text reading is still the last */
	CHECK(keyname_parse("1,2,3,4,5", 9, c, &n) == 0 && n == KEYNAME_MAX_CANDIDATES);
	struct value vtxt[] = { vt("1"), vt("2"), vt("3"), vt("4"), vt("5") };
	CHECK(has_cand(c + n - 1, 1, vtxt, 5));
	/* not key names */
	CHECK(keyname_parse("a%2", 3, c, &n) == -EINVAL);
	CHECK(keyname_parse("a%zz", 4, c, &n) == -EINVAL);
	char many[200];
	memset(many, ',', sizeof(many));
	CHECK(keyname_parse(many, sizeof(many), c, &n) == -EINVAL);
	for (int i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
		buf_release(&c[i]);
}

struct seen {
	unsigned n;
	struct buf keys;
	size_t lens;
};

static int each_row(void *arg, const uint8_t *key, size_t klen, const uint8_t *row, size_t rlen)
{
	struct seen *s = arg;
	s->n++;
	buf_add(&s->keys, key, klen);
	s->lens += rlen;
	return s->n == 3 ? 7 : 0;
}

static void rows(void)
{
	struct chunk_shape sh = { .nhidden = 1, .ncols = 2, .nkey = 2, .keypos = { 2, 0 } };
	struct buf ch = BUF_INIT, k = BUF_INIT;
	struct seen s = { 0, BUF_INIT, 0 };
	size_t hdr;
	chunk_shape_encode(&ch, &sh);
	size_t h0 = ch.len;
	for (int r = 0; r < 4; r++) {
		struct value row[] = { vi(10 + r), vi(r), vt(r % 2 ? "b" : "a") };
		for (int i = 0; i < 3; i++)
			value_encode(&ch, &row[i]);
	}
	CHECK(chunk_rows_each(ch.data, ch.len, &hdr, each_row, &s) == 7);
	CHECK(hdr == h0 && s.n == 3);
	struct value k0[] = { vt("a"), vi(10) };
	key_of(&k, k0, 2);
	CHECK(s.keys.len > k.len && !memcmp(s.keys.data, k.data, k.len));
	/* malformed: a value cut short */
	CHECK(chunk_rows_each(ch.data, ch.len - 1, &hdr, each_row, &s) == -EUCLEAN ||
	      s.n >= 3);
	buf_reset(&ch);
	buf_addc(&ch, 9);
	CHECK(chunk_rows_each(ch.data, ch.len, &hdr, each_row, &s) < 0);
	buf_release(&ch);
	buf_release(&k);
	buf_release(&s.keys);
}

static void prefix(void)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct value ka[] = { vt("x"), vi(5) }, kb[] = { vt("x") }, kc[] = { vt("x"), vi(9) };
	key_of(&a, ka, 2);
	key_of(&b, kb, 1);
	CHECK(key_compare(a.data, a.len, b.data, b.len) > 0);
	CHECK(key_compare_prefix(a.data, a.len, b.data, b.len, 1) == 0);
	CHECK(key_compare_prefix(b.data, b.len, a.data, a.len, 1) == 0);
	key_of(&b, kc, 2);
	CHECK(key_compare_prefix(a.data, a.len, b.data, b.len, 1) == 0);
	CHECK(key_compare_prefix(a.data, a.len, b.data, b.len, 2) < 0);
	CHECK(key_values(a.data, a.len) == 2);
	buf_release(&a);
	buf_release(&b);
}

int main(void)
{
	names();
	rows();
	prefix();
	return check_done("test_rowkey");
}
