/* Unit tests for lib/naming.c: key names (order, safety), table dirs. */
#include "check.h"
#include "strata/naming.h"
#include "strata/rowcodec.h"

#include <stdint.h>
#include <stdlib.h>

static struct buf kb;

static const uint8_t *key_int(int64_t i, size_t *n)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 0, .nkey = 1 };
	struct value v = { .type = VAL_INT, .i = i };
	buf_reset(&kb);
	key_encode(&kb, &s, &v);
	*n = kb.len;
	return kb.data;
}

static const uint8_t *key_text(const void *p, size_t len, size_t *n)
{
	struct chunk_shape s = { .nhidden = 0, .ncols = 1, .nkey = 1 };
	struct value v = { .type = VAL_TEXT, .p = p, .n = len };
	buf_reset(&kb);
	key_encode(&kb, &s, &v);
	*n = kb.len;
	return kb.data;
}

static char *keyname(const uint8_t *k, size_t n)
{
	struct buf b = BUF_INIT;
	name_key(&b, k, n);
	return (char *)buf_detach(&b, NULL);
}

static void name_is(const uint8_t *k, size_t n, const char *want)
{
	char *s = keyname(k, n);
	CHECKF(!strcmp(s, want), "got '%s', want '%s'", s, want);
	free(s);
}

static int safe_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 255 || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

static void exact(void)
{
	const uint8_t *k;
	size_t n;
	k = key_int(0, &n);
	name_is(k, n, "0000000000000000000");
	k = key_int(42, &n);
	name_is(k, n, "0000000000000000042");
	k = key_int(INT64_MAX, &n);
	name_is(k, n, "9223372036854775807");
	k = key_int(-1, &n);
	name_is(k, n, "-9223372036854775807");
	k = key_int(INT64_MIN, &n);
	name_is(k, n, "-0000000000000000000");
	k = key_text("abc", 3, &n);
	name_is(k, n, "abc");
	k = key_text("a/b", 3, &n);
	name_is(k, n, "a-2Fb");
	k = key_text("\xc3\xa9", 2, &n);
	name_is(k, n, "~C3~A9");
	k = key_text(" ", 1, &n);
	name_is(k, n, "-20");
	k = key_text("a.b", 3, &n);
	name_is(k, n, "a-2Eb");
	k = key_text(":@[`{", 5, &n);
	name_is(k, n, "@3A@40_5B_60~7B");
	k = key_text("", 0, &n);
	name_is(k, n, "");

	/* composite (int, text) and (text, int) */
	struct chunk_shape s = { .nhidden = 0, .ncols = 2, .nkey = 2 };
	s.keypos[0] = 0;
	s.keypos[1] = 1;
	struct value row[2] = { { .type = VAL_INT, .i = 7 },
				{ .type = VAL_TEXT, .p = (const uint8_t *)"x y", .n = 3 } };
	buf_reset(&kb);
	key_encode(&kb, &s, row);
	name_is(kb.data, kb.len, "0000000000000000007,x-20y");
	/* a blob and a real key column */
	struct value r2[2] = { { .type = VAL_BLOB, .p = (const uint8_t *)"\x01\xab", .n = 2 },
			       { .type = VAL_REAL, .r = 1.0 } };
	buf_reset(&kb);
	key_encode(&kb, &s, r2);
	name_is(kb.data, kb.len, "x01ab,rbff0000000000000");

	/* malformed key */
	uint8_t bad[] = { 1, 9, 9 };
	name_is(bad, 3, "z010909");
	name_is(bad, 0, "z");

	char *r = name_range((const uint8_t *)"\1\1\2", 3, (const uint8_t *)"\1\1\4", 3, ".csv");
	CHECKF(!strcmp(r, "0000000000000000001+0000000000000000002.csv"), "%s", r);
	free(r);

	/* a key-ordered table: named by its declared key, the rowid only where the key has a NULL */
	const uint8_t k1[] = { 2, 3, 1, 'a', 1, 14 }; /* ('a', rowid 7) */
	const uint8_t k2[] = { 2, 0, 1, 4 };          /* (NULL, rowid 2) */
	r = name_range_n(k1, sizeof(k1), k1, sizeof(k1), 1, ".csv");
	CHECKF(!strcmp(r, "a+a.csv"), "%s", r);
	free(r);
	r = name_range_n(k2, sizeof(k2), k1, sizeof(k1), 1, ".csv");
	CHECKF(!strcmp(r, "n,0000000000000000002+a.csv"), "%s", r);
	free(r);
}

/* ---- order ---- */

struct k {
	uint8_t *key;
	size_t n;
	char *name;  /* name_range(k, k) */
	char *kname; /* name_key(k) */
};

static int cmp_keys(const void *a, const void *b)
{
	const struct k *x = a, *y = b;
	return key_compare(x->key, x->n, y->key, y->n);
}

static void make(struct k *e, const uint8_t *key, size_t n)
{
	e->key = xmalloc(n ? n : 1);
	memcpy(e->key, key, n);
	e->n = n;
	e->name = name_range(key, n, key, n, ".csv");
	e->kname = keyname(key, n);
}

static void check_order(struct k *v, size_t n, const char *what)
{
	int bad = 0;
	qsort(v, n, sizeof(*v), cmp_keys);
	for (size_t i = 0; i < n; i++) {
		CHECKF(safe_name(v[i].name), "%s: unsafe name '%s'", what, v[i].name);
		if (!safe_name(v[i].name) && ++bad > 5)
			break;
	}
	for (size_t i = 1; i < n && bad < 5; i++) {
		int kc = key_compare(v[i - 1].key, v[i - 1].n, v[i].key, v[i].n);
		int nc = strcmp(v[i - 1].name, v[i].name);
		if (kc == 0) {
			CHECK(nc == 0);
			continue;
		}
		/* truncated names with the same first NAME_KEY_MAX chars order by hash */
		if (strlen(v[i - 1].kname) > NAME_KEY_MAX && strlen(v[i].kname) > NAME_KEY_MAX &&
		    !strncmp(v[i - 1].kname, v[i].kname, NAME_KEY_MAX)) {
			CHECK(nc != 0);
			continue;
		}
		if (nc >= 0) {
			bad++;
			CHECKF(nc < 0, "%s: key order differs from name order: '%s' !< '%s'", what,
			       v[i - 1].name, v[i].name);
		}
	}
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].name);
		free(v[i].kname);
	}
}

static int strpcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void order(void)
{
	enum { N = 20000 };
	struct k *v = xcalloc(N, sizeof(*v));
	unsigned long long seed = 5;
	const uint8_t *key;
	size_t n, m;

	/* integers, including negatives and the extremes */
	m = 0;
	int64_t special[] = { 0, 1, -1, INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1, 9, 10,
			      -9, -10, 999, 1000 };
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		key = key_int(special[i], &n);
		make(&v[m++], key, n);
	}
	while (m < N) {
		uint64_t r = test_rand(&seed);
		int64_t x = (int64_t)(r >> (test_rand(&seed) % 64));
		if (r & 1)
			x = -x;
		key = key_int(x, &n);
		make(&v[m++], key, n);
	}
	check_order(v, m, "int");

	/* text: random byte strings over all bytes 0-255, short enough not to truncate,
	 * plus prefixes of each other */
	m = 0;
	for (int c = 0; c < 256; c++) {
		uint8_t ch = (uint8_t)c;
		key = key_text(&ch, 1, &n);
		make(&v[m++], key, n);
		uint8_t two[2] = { (uint8_t)c, (uint8_t)c };
		key = key_text(two, 2, &n);
		make(&v[m++], key, n);
	}
	key = key_text("", 0, &n);
	make(&v[m++], key, n);
	while (m < N) {
		uint8_t s[60];
		size_t len = test_rand(&seed) % 60;
		unsigned mode = (unsigned)(test_rand(&seed) % 3);
		for (size_t i = 0; i < len; i++) {
			uint64_t r = test_rand(&seed);
			s[i] = mode == 0 ? (uint8_t)r : mode == 1 ? (uint8_t)("aAz09/,+-._~ \x7f\xff"[r % 16])
								 : (uint8_t)('a' + r % 3);
		}
		key = key_text(s, len, &n);
		make(&v[m++], key, n);
	}
	check_order(v, m, "text");

	/* blobs */
	m = 0;
	while (m < N) {
		uint8_t s[40];
		size_t len = test_rand(&seed) % 40;
		for (size_t i = 0; i < len; i++)
			s[i] = (uint8_t)(test_rand(&seed) % ((m & 1) ? 256 : 3));
		struct chunk_shape sh = { .nhidden = 0, .ncols = 1, .nkey = 1 };
		struct value val = { .type = VAL_BLOB, .p = s, .n = len };
		buf_reset(&kb);
		key_encode(&kb, &sh, &val);
		make(&v[m++], kb.data, kb.len);
	}
	check_order(v, m, "blob");

	/* composite (int, text) and (text, int) */
	for (int pass = 0; pass < 2; pass++) {
		m = 0;
		while (m < N) {
			uint8_t s[12];
			size_t len = test_rand(&seed) % 12;
			for (size_t i = 0; i < len; i++) {
				uint64_t r = test_rand(&seed);
				s[i] = (m & 1) ? (uint8_t)r : (uint8_t)("ab,+-\0~"[r % 7]);
			}
			int64_t x = (int64_t)(test_rand(&seed) % 7) - 3;
			if (m % 5 == 0)
				x = (int64_t)test_rand(&seed);
			struct chunk_shape sh = { .nhidden = 0, .ncols = 2, .nkey = 2 };
			sh.keypos[0] = 0;
			sh.keypos[1] = 1;
			struct value row[2];
			struct value vi = { .type = VAL_INT, .i = x };
			struct value vt = { .type = VAL_TEXT, .p = s, .n = len };
			row[pass] = vi;
			row[1 - pass] = vt;
			buf_reset(&kb);
			key_encode(&kb, &sh, row);
			make(&v[m++], kb.data, kb.len);
		}
		check_order(v, m, pass ? "(text,int)" : "(int,text)");
	}
	free(v);
}

static void truncation(void)
{
	enum { N = 2000 };
	char *names[N];
	unsigned long long seed = 9;
	size_t n;

	/* long keys sharing a long prefix: truncated, still unique and safe */
	for (int i = 0; i < N; i++) {
		uint8_t s[600];
		size_t len = 200 + test_rand(&seed) % 400;
		memset(s, 'a', len);
		for (int j = 0; j < 4; j++)
			s[len - 1 - (size_t)j] = (uint8_t)test_rand(&seed);
		if (i % 2)
			s[150] = '/';
		const uint8_t *key = key_text(s, len, &n);
		names[i] = name_range(key, n, key, n, ".csv");
		CHECKF(safe_name(names[i]), "unsafe truncated name '%s'", names[i]);
		char *kn = keyname(key, n);
		CHECK(strlen(kn) == NAME_KEY_MAX + 18 && !strncmp(kn + NAME_KEY_MAX, "~~", 2));
		free(kn);
	}
	qsort(names, N, sizeof(char *), strpcmp);
	int dups = 0;
	for (int i = 1; i < N; i++)
		dups += !strcmp(names[i - 1], names[i]);
	/* a few random 4-byte tails can collide as equal keys; count real collisions */
	CHECKF(dups <= 1, "%d duplicate truncated names", dups);
	for (int i = 0; i < N; i++)
		free(names[i]);

	/* the longest possible range name */
	uint8_t big[5000];
	memset(big, 0xff, sizeof(big));
	const uint8_t *key = key_text(big, sizeof(big), &n);
	char *r = name_range(key, n, key, n, ".csv");
	CHECK(safe_name(r) && strlen(r) <= 255);
	free(r);
	/* a huge malformed key */
	r = name_range(big, sizeof(big), big, sizeof(big), ".csv");
	CHECK(safe_name(r) && strlen(r) <= 255);
	free(r);
}

static void dir_is(const char *name, const char *want)
{
	char *d = name_table_dir(name);
	CHECKF(!strcmp(d, want), "name_table_dir('%s') = '%s', want '%s'", name, d, want);
	CHECK(safe_name(d));
	free(d);
}

static void table_dirs(void)
{
	dir_is("order items/2024", "order items%2F2024");
	dir_is("users", "users");
	dir_is(".", "%2E");
	dir_is("..", "%2E.");
	dir_is(".hidden", "%2Ehidden");
	dir_is("a.b", "a.b");
	dir_is("schema.sql", "%73chema.sql");
	dir_is("generation.json", "%67eneration.json");
	dir_is("schema.sql2", "schema.sql2");
	dir_is("a%b", "a%25b");
	dir_is("a\tb\x01\x7f", "a%09b%01%7F");
	dir_is("", "%00");
	dir_is("\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9");

	/* distinct names give distinct dirs */
	const char *names[] = { "a/b", "a%2Fb", "a%b", ".", "%2E", "schema.sql", "%73chema.sql",
				"", "%00", "..", "%2E.", ".hidden", "%2Ehidden" };
	size_t nn = sizeof(names) / sizeof(names[0]);
	for (size_t i = 0; i < nn; i++)
		for (size_t j = i + 1; j < nn; j++) {
			char *a = name_table_dir(names[i]), *b = name_table_dir(names[j]);
			CHECKF(strcmp(a, b), "'%s' and '%s' both map to '%s'", names[i], names[j], a);
			free(a);
			free(b);
		}

	/* long names: bounded, unique, no split escape or UTF-8 sequence */
	char a[1001], b[1001];
	memset(a, 'x', 1000);
	a[1000] = 0;
	memcpy(b, a, sizeof(a));
	b[999] = 'y';
	char *da = name_table_dir(a), *db = name_table_dir(b);
	CHECK(strlen(da) <= 255 && strlen(db) <= 255 && strcmp(da, db));
	CHECK(safe_name(da) && safe_name(db));
	free(da);
	free(db);
	for (int off = 0; off < 6; off++) {
		/* escapes and 2-byte UTF-8 around the cut point */
		char s[1001];
		memset(s, 'x', 1000);
		s[1000] = 0;
		for (int i = off; i < 1000; i += 3) {
			s[i] = (off & 1) ? '/' : (char)0xc3;
			if (!(off & 1) && i + 1 < 1000)
				s[i + 1] = (char)0xa9;
		}
		char *d = name_table_dir(s);
		CHECK(safe_name(d) && strlen(d) <= NAME_TABLE_MAX + 17);
		char *tilde = strrchr(d, '~');
		CHECK(tilde && strlen(tilde) == 17);
		if (tilde) {
			size_t cut = (size_t)(tilde - d);
			/* no escape cut short */
			CHECK(!(cut >= 1 && d[cut - 1] == '%') && !(cut >= 2 && d[cut - 2] == '%'));
			/* no UTF-8 sequence cut short: the byte before the cut is not a lead */
			CHECK(!(cut >= 1 && ((unsigned char)d[cut - 1] & 0xC0) == 0xC0));
		}
		free(d);
	}
	/* random names: always safe */
	unsigned long long seed = 13;
	for (int i = 0; i < 20000; i++) {
		char s[400];
		size_t len = test_rand(&seed) % 399;
		for (size_t j = 0; j < len; j++) {
			s[j] = (char)(1 + test_rand(&seed) % 255);
		}
		s[len] = 0;
		char *d = name_table_dir(s);
		CHECKF(safe_name(d), "unsafe dir for random name %d", i);
		free(d);
	}
}

/* ---- rows/ key-range directories ---- */

static void groups(void)
{
	char *g = name_group("0000000000000000001+0000000000000000009.csv",
			     "0000000000000000100+0000000000000000120.csv");
	CHECKF(g && !strcmp(g, "0000000000000000001+0000000000000000120"), "%s", g ? g : "NULL");
	free(g);
	/* an empty text key part (a name starting with '+') and composite keys */
	g = name_group("+a.csv", "a,0000000000000000002+b~~0123456789abcdef.csv");
	CHECKF(g && !strcmp(g, "+b~~0123456789abcdef"), "%s", g ? g : "NULL");
	free(g);
	g = name_group("x+y.csv", "x+.csv");
	CHECKF(g && !strcmp(g, "x+"), "%s", g ? g : "NULL");
	free(g);
	/* not row-range names */
	CHECK(name_group("nope.csv", "a+b.csv") == NULL);
	CHECK(name_group("a+b.csv", "a+b") == NULL);
	CHECK(name_group("a+b+c.csv", "a+b.csv") == NULL);
	CHECK(name_group("a+b.csv", "a+b+c.csv") == NULL);
	/* the group rule: content-defined, bounded */
	CHECK(rows_group_ends(0, 1) && rows_group_ends(ROWS_GROUP_AVG * 7, 5));
	CHECK(!rows_group_ends(1, 1) && !rows_group_ends(ROWS_GROUP_AVG + 1, ROWS_GROUP_MAX - 1));
	CHECK(rows_group_ends(1, ROWS_GROUP_MAX));
	/* group names of real ranges keep their order: first parts ascend */
	char *a = name_range((const uint8_t *)"\1\1\2", 3, (const uint8_t *)"\1\1\4", 3, ".csv");
	char *b = name_range((const uint8_t *)"\1\1\6", 3, (const uint8_t *)"\1\1\10", 3, ".csv");
	g = name_group(a, b);
	CHECKF(g && !strcmp(g, "0000000000000000001+0000000000000000004"), "%s", g ? g : "NULL");
	free(g);
	free(a);
	free(b);
}

/* Database names: the rule, and the default a source path gets (docs/FORMAT.md, "Database names"). */
static void db_names(void)
{
	static const struct { const char *name; bool ok; } rule[] = {
		{ "shop", true }, { "shop.eu-2_b", true }, { "A9", true }, { "x", true },
		{ "", false }, { ".shop", false }, { "-shop", false }, { "sh op", false },
		{ "a/b", false }, { "caf\xc3\xa9", false }, { "a\tb", false },
		{ "0123456789012345678901234567890123456789012345678901234567890123", true },
		{ "01234567890123456789012345678901234567890123456789012345678901234", false },
	};
	for (size_t i = 0; i < sizeof(rule) / sizeof(rule[0]); i++)
		CHECKF(db_name_ok(rule[i].name) == rule[i].ok, "db_name_ok('%s')", rule[i].name);
	static const struct { const char *source, *want; } dflt[] = {
		{ "/srv/shop.db", "shop" }, { "/srv/app.2024.sqlite3", "app.2024" },
		{ "/srv/noext", "noext" }, { "/srv/.hidden.db", "_hidden" }, { "/srv/.db", "_db" },
		{ "rel/x y.db", "x_y" }, { "/srv/caf\xc3\xa9.db", "caf__" }, { "/", "db" },
		{ "/srv/-x.db", "_x" }, { "", "db" },
		{ "/a/0123456789012345678901234567890123456789012345678901234567890123456789.db",
		  "0123456789012345678901234567890123456789012345678901234567890123" },
	};
	for (size_t i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++) {
		char out[DB_NAME_MAX + 1];
		db_name_default(dflt[i].source, out);
		CHECKF(!strcmp(out, dflt[i].want), "db_name_default('%s') = '%s', not '%s'",
		       dflt[i].source, out, dflt[i].want);
		CHECKF(db_name_ok(out), "default '%s' breaks the rule", out);
	}
}

int main(void)
{
	db_names();
	groups();
	exact();
	order();
	truncation();
	table_dirs();
	buf_release(&kb);
	return check_done("unit-naming");
}
