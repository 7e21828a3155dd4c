/* Unit tests for lib/rowcodec.c: values, chunk shapes, key order. */
#include "check.h"
#include "strata/rowcodec.h"

#include <math.h>
#include <stdint.h>

static struct value vnull(void) { struct value v = { .type = VAL_NULL }; return v; }
static struct value vint(int64_t i) { struct value v = { .type = VAL_INT, .i = i }; return v; }
static struct value vreal(double r) { struct value v = { .type = VAL_REAL, .r = r }; return v; }
static struct value vtext(const void *p, size_t n)
{
	struct value v = { .type = VAL_TEXT, .p = p, .n = n };
	return v;
}
static struct value vblob(const void *p, size_t n)
{
	struct value v = { .type = VAL_BLOB, .p = p, .n = n };
	return v;
}

static int same_value(const struct value *a, const struct value *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case VAL_NULL: return 1;
	case VAL_INT: return a->i == b->i;
	case VAL_REAL: return !memcmp(&a->r, &b->r, 8); /* bit-exact */
	default: return a->n == b->n && (a->n == 0 || !memcmp(a->p, b->p, a->n));
	}
}

static void values(void)
{
	uint64_t nanbits = 0x7ff8000000000123ULL, snanbits = 0xfff0000000000001ULL;
	double nan1, nan2;
	memcpy(&nan1, &nanbits, 8);
	memcpy(&nan2, &snanbits, 8);
	struct value vs[] = {
		vnull(), vint(0), vint(1), vint(-1), vint(INT64_MAX), vint(INT64_MIN),
		vreal(0.0), vreal(-0.0), vreal(1.5), vreal(-1e300), vreal(5e-324),
		vreal(INFINITY), vreal(-INFINITY), vreal(nan1), vreal(nan2),
		vreal(9223372036854775808.0), vreal(-9223372036854775808.0),
		vtext("", 0), vtext("abc", 3), vtext("a\0b", 3), vtext("\xc3\xa9", 2),
		vblob("", 0), vblob("\0\1\2\xff", 4),
	};
	size_t nv = sizeof(vs) / sizeof(vs[0]);
	struct buf b = BUF_INIT;
	struct rd r;

	for (size_t i = 0; i < nv; i++)
		value_encode(&b, &vs[i]);
	rd_init(&r, b.data, b.len);
	for (size_t i = 0; i < nv; i++) {
		struct value v;
		CHECKF(value_decode(&r, &v) == 0 && same_value(&v, &vs[i]), "value %zu", i);
	}
	CHECK(rd_left(&r) == 0 && r.err == 0);

	/* exact encodings */
	buf_reset(&b);
	struct value x = vnull();
	value_encode(&b, &x);
	CHECK(b.len == 1 && b.data[0] == 0);
	buf_reset(&b);
	x = vint(-1);
	value_encode(&b, &x);
	CHECK(b.len == 2 && b.data[0] == 1 && b.data[1] == 1);
	buf_reset(&b);
	x = vreal(-0.0);
	value_encode(&b, &x);
	CHECK(b.len == 9 && b.data[0] == 2 && b.data[8] == 0x80);
	buf_reset(&b);
	x = vtext("", 0);
	value_encode(&b, &x);
	CHECK(b.len == 2 && b.data[0] == 3 && b.data[1] == 0);
	buf_reset(&b);
	x = vblob("", 0);
	value_encode(&b, &x);
	CHECK(b.len == 2 && b.data[0] == 4 && b.data[1] == 0);

	/* every truncation of every value fails; bad tags fail */
	for (size_t i = 0; i < nv; i++) {
		buf_reset(&b);
		value_encode(&b, &vs[i]);
		for (size_t k = 0; k < b.len; k++) {
			struct value v;
			rd_init(&r, b.data, k);
			CHECKF(value_decode(&r, &v) == -EUCLEAN, "value %zu cut at %zu", i, k);
		}
	}
	for (int tag = 5; tag < 256; tag++) {
		uint8_t d[2] = { (uint8_t)tag, 0 };
		struct value v;
		rd_init(&r, d, 2);
		CHECK(value_decode(&r, &v) == -EUCLEAN && r.err == -EUCLEAN);
	}
	buf_release(&b);
}

static void shapes(void)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 3, .nkey = 2 }, t;
	struct buf b = BUF_INIT;
	struct rd r;

	s.keypos[0] = 0;
	s.keypos[1] = 3;
	chunk_shape_encode(&b, &s);
	CHECK(b.data[0] == CHUNK_VERSION);
	rd_init(&r, b.data, b.len);
	CHECK(chunk_shape_decode(&r, &t) == 0);
	CHECK(t.nhidden == 1 && t.ncols == 3 && t.nkey == 2 && t.keypos[0] == 0 &&
	      t.keypos[1] == 3);
	CHECK(rd_left(&r) == 0);
	for (size_t k = 0; k < b.len; k++) {
		rd_init(&r, b.data, k);
		CHECK(chunk_shape_decode(&r, &t) != 0);
	}

	/* a big WITHOUT ROWID shape */
	memset(&s, 0, sizeof(s));
	s.nhidden = 0;
	s.ncols = ROW_MAX_VALUES - 1;
	s.nkey = KEY_MAX_COLUMNS;
	for (unsigned i = 0; i < s.nkey; i++)
		s.keypos[i] = s.ncols - 1 - i;
	buf_reset(&b);
	chunk_shape_encode(&b, &s);
	rd_init(&r, b.data, b.len);
	CHECK(chunk_shape_decode(&r, &t) == 0 && !memcmp(&s, &t, sizeof(s)));

	/* malformed shapes */
	struct { const char *why; uint8_t d[8]; size_t n; } bad[] = {
		{ "version 0", { 0, 1, 1, 1, 0 }, 5 },
		{ "version 2", { 2, 1, 1, 1, 0 }, 5 },
		{ "nhidden 2", { 1, 2, 1, 1, 0 }, 5 },
		{ "no values", { 1, 0, 0, 1, 0 }, 5 },
		{ "no key", { 1, 1, 1, 0 }, 4 },
		{ "keypos out of row", { 1, 1, 1, 1, 2 }, 5 },
		{ "keypos out of row (no hidden)", { 1, 0, 2, 1, 2 }, 5 },
		{ "ncols too big", { 1, 0, 0x80, 0x80, 0x02, 1, 0 }, 7 },
		{ "nkey too big", { 1, 0, 1, 0x81, 0x10, 0 }, 6 },
		{ "missing keypos", { 1, 1, 1, 2, 0 }, 5 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rd_init(&r, bad[i].d, bad[i].n);
		CHECKF(chunk_shape_decode(&r, &t) != 0, "accepted %s", bad[i].why);
	}
	buf_release(&b);
}

/* Encode a one- or two-value key. */
static void key1(struct buf *b, struct value v)
{
	struct chunk_shape s = { .nhidden = 0, .ncols = 1, .nkey = 1 };
	buf_reset(b);
	key_encode(b, &s, &v);
}

static void key2(struct buf *b, struct value v, struct value w)
{
	struct chunk_shape s = { .nhidden = 0, .ncols = 2, .nkey = 2 };
	struct value row[2] = { v, w };
	s.keypos[0] = 0;
	s.keypos[1] = 1;
	buf_reset(b);
	key_encode(b, &s, row);
}

static int sgn(int x) { return (x > 0) - (x < 0); }

static int cmp1(struct value a, struct value b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	key1(&x, a);
	key1(&y, b);
	int c = sgn(key_compare(x.data, x.len, y.data, y.len));
	int d = sgn(key_compare(y.data, y.len, x.data, x.len));
	CHECKF(c == -d, "antisymmetry %d %d", c, d);
	buf_release(&x);
	buf_release(&y);
	return c;
}

static void key_order(void)
{
	struct buf x = BUF_INIT, y = BUF_INIT;

	/* an ascending list in SQLite's order */
	struct value asc[] = {
		vnull(), vreal(-INFINITY), vint(INT64_MIN), vreal(-1e18), vint(-2), vreal(-1.5),
		vint(-1), vreal(-0.5), vint(0), vreal(0.5), vint(1), vreal(1.5), vint(2),
		vint(INT64_MAX), vreal(1e19), vreal(INFINITY),
		vtext("", 0), vtext("\0", 1), vtext("A", 1), vtext("B", 1), vtext("a", 1),
		vtext("ab", 2), vtext("abc", 3), vtext("b", 1), vtext("\x7f", 1),
		vtext("\xc3\xa9", 2), vtext("\xff", 1),
		vblob("", 0), vblob("\0", 1), vblob("\0\0", 2), vblob("\1", 1), vblob("\xff", 1),
	};
	size_t n = sizeof(asc) / sizeof(asc[0]);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int want = i < j ? -1 : i > j;
			CHECKF(cmp1(asc[i], asc[j]) == want, "order of %zu vs %zu", i, j);
		}
	/* equal numbers across types */
	CHECK(cmp1(vint(1), vreal(1.0)) == 0);
	CHECK(cmp1(vint(0), vreal(-0.0)) == 0);
	CHECK(cmp1(vreal(0.0), vreal(-0.0)) == 0);
	CHECK(cmp1(vnull(), vnull()) == 0);
	CHECK(cmp1(vtext("x", 1), vblob("x", 1)) < 0);

	/*
	 * SQLite compares an INTEGER with a REAL exactly (sqlite3IntFloatCompare);
	 * converting the integer to double loses precision above 2^53.
	 */
	KNOWN_BUG(cmp1(vint((INT64_C(1) << 53) + 1), vreal(9007199254740992.0)) > 0,
		  "key_compare: INTEGER 2^53+1 vs REAL 2^53 compares equal (int converted to double)");
	KNOWN_BUG(cmp1(vint(INT64_MAX), vreal(9223372036854775808.0)) < 0,
		  "key_compare: INTEGER 2^63-1 vs REAL 2^63 compares equal");

	/* composite: first column decides, then second */
	struct buf a = BUF_INIT, b = BUF_INIT;
	key2(&a, vint(1), vtext("b", 1));
	key2(&b, vint(2), vtext("a", 1));
	CHECK(key_compare(a.data, a.len, b.data, b.len) < 0);
	key2(&b, vint(1), vtext("a", 1));
	CHECK(key_compare(a.data, a.len, b.data, b.len) > 0);
	key2(&b, vint(1), vtext("b", 1));
	CHECK(key_compare(a.data, a.len, b.data, b.len) == 0);
	/* fewer columns (a prefix) sorts first */
	key1(&b, vint(1));
	CHECK(key_compare(b.data, b.len, a.data, a.len) < 0);
	CHECK(key_compare(a.data, a.len, b.data, b.len) > 0);

	/* malformed keys compare by bytes, and antisymmetrically */
	uint8_t m1[] = { 1, 9 }, m2[] = { 1, 9, 0 };
	key1(&x, vint(5));
	CHECK(sgn(key_compare(m1, 2, x.data, x.len)) == -sgn(key_compare(x.data, x.len, m1, 2)));
	CHECK(key_compare(m1, 2, m2, 3) < 0 && key_compare(m2, 3, m1, 2) > 0);
	CHECK(key_compare(m1, 2, m1, 2) == 0);
	CHECK(key_compare(m1, 0, m2, 0) == 0); /* empty, not NULL: rd_init(NULL, 0) is NULL + 0 (UB) */

	/* random int keys: order equals integer order */
	unsigned long long seed = 3;
	for (int i = 0; i < 20000; i++) {
		int64_t p = (int64_t)test_rand(&seed), q = (int64_t)test_rand(&seed);
		if ((i & 1) && p > INT64_MIN + 1 && p < INT64_MAX - 1)
			q = p + (int64_t)(test_rand(&seed) % 3) - 1;
		CHECK(cmp1(vint(p), vint(q)) == (p < q ? -1 : p > q));
	}
	buf_release(&a);
	buf_release(&b);
	buf_release(&x);
	buf_release(&y);
}

int main(void)
{
	values();
	shapes();
	key_order();
	return check_done("unit-rowcodec");
}
