/* Unit tests for lib/render.c: reals, CSV quoting, chunk rendering. */
#include "check.h"
#include "strata/render.h"

#include <math.h>
#include <stdint.h>

static void real_is(double d, const char *want)
{
	char out[40];
	size_t n = render_real(out, d);
	CHECKF(n == strlen(out) && !strcmp(out, want), "render_real(%.17g) = '%s', want '%s'",
	       d, out, want);
}

static void reals(void)
{
	real_is(1.0, "1.0");
	real_is(0.1, "0.1");
	real_is(0.1 + 0.2, "0.30000000000000004");
	real_is(1e300, "1e+300");
	real_is(-0.0, "-0.0");
	real_is(0.0, "0.0");
	real_is(1e16, "1e+16");
	real_is(1e15, "1e+15");
	real_is(100.0, "100.0");
	real_is(-2.0, "-2.0");
	real_is(123456789012345678.0, "1.2345678901234568e+17");
	real_is(9007199254740992.0, "9007199254740992.0");
	real_is(2.5e-5, "2.5e-05");
	real_is(1.0 / 3, "0.3333333333333333");
	real_is(INFINITY, "Infinity");
	real_is(-INFINITY, "-Infinity");
	real_is(NAN, "NaN");
	/* rule 4 of render.c (first of %.15g/%.16g/%.17g that round-trips);
	 * note: not the shortest decimal "5e-324" render.h promises */
	real_is(5e-324, "4.94065645841247e-324");

	/* random doubles (random bit patterns and random "nice" values) */
	unsigned long long seed = 11;
	for (int i = 0; i < 200000; i++) {
		uint64_t bits = test_rand(&seed);
		double d;
		if (i % 3 == 0) {
			d = (double)(int64_t)(test_rand(&seed) % 2000001) / 1000.0 - 1000;
		} else if (i % 3 == 1) {
			d = (double)(int64_t)(bits >> (bits & 63));
		} else {
			memcpy(&d, &bits, 8);
		}
		if (isnan(d))
			continue;
		char out[40];
		size_t n = render_real(out, d);
		CHECK(n == strlen(out) && n < 40);
		CHECKF(strtod(out, NULL) == d && signbit(strtod(out, NULL)) == signbit(d),
		       "%s does not read back as %.17g", out, d);
		CHECKF(strpbrk(out, ".e") || strstr(out, "Infinity"), "'%s' looks like an integer",
		       out);
		CHECK(!strchr(out, ','));
	}
}

static const char *text_csv(struct buf *b, const char *s, size_t n)
{
	buf_reset(b);
	render_csv_text(b, (const uint8_t *)s, n);
	buf_addc(b, 0); /* NUL terminate even when empty (len includes it) */
	return (const char *)b->data;
}

static void quoting(void)
{
	struct buf b = BUF_INIT;
	CHECK(!strcmp(text_csv(&b, "", 0), "\"\""));
	CHECK(!strcmp(text_csv(&b, "abc", 3), "abc"));
	CHECK(!strcmp(text_csv(&b, "a,b", 3), "\"a,b\""));
	CHECK(!strcmp(text_csv(&b, "a\"b", 3), "\"a\"\"b\""));
	CHECK(!strcmp(text_csv(&b, "\"", 1), "\"\"\"\""));
	CHECK(!strcmp(text_csv(&b, "\"\"", 2), "\"\"\"\"\"\""));
	CHECK(!strcmp(text_csv(&b, "a\nb", 3), "\"a\nb\""));
	CHECK(!strcmp(text_csv(&b, "a\rb", 3), "\"a\rb\""));
	CHECK(!strcmp(text_csv(&b, "\\.", 2), "\"\\.\""));
	CHECK(!strcmp(text_csv(&b, "\\.x", 3), "\\.x"));
	CHECK(!strcmp(text_csv(&b, "x\\.", 3), "x\\."));
	CHECK(!strcmp(text_csv(&b, "\\", 1), "\\"));
	CHECK(!strcmp(text_csv(&b, "a\tb", 3), "a\tb"));
	CHECK(!strcmp(text_csv(&b, "\xc3\xa9t\xc3\xa9", 6), "\xc3\xa9t\xc3\xa9"));
	CHECK(!strcmp(text_csv(&b, " x ", 3), " x "));
	/* embedded NUL is kept as is */
	buf_reset(&b);
	render_csv_text(&b, (const uint8_t *)"a\0b", 3);
	CHECK(b.len == 3 && !memcmp(b.data, "a\0b", 3));
	/*
	 * The word-at-a-time scan: each special (and near misses such as '+',
	 * '-', '!' and 0x8c/0xac, which share low bits) at every position of
	 * texts of every length up to 40, against a byte-by-byte rule.
	 */
	const uint8_t probes[] = { ',', '"', '\n', '\r', '+', '-', '!', '#', 0x0b, 0x8c, 0xac, 0xa2, 0x00 };
	for (size_t n = 1; n <= 40; n++) {
		for (size_t pos = 0; pos < n; pos++) {
			for (size_t k = 0; k < sizeof(probes); k++) {
				uint8_t t[40];
				memset(t, 'a' + (int)(n % 26), n);
				t[pos] = probes[k];
				bool special = probes[k] == ',' || probes[k] == '"' || probes[k] == '\n' ||
					       probes[k] == '\r';
				buf_reset(&b);
				render_csv_text(&b, t, n);
				bool quoted = b.len >= 2 && b.data[0] == '"';
				CHECKF(quoted == special, "text of %zu bytes with 0x%02x at %zu: quoted=%d",
				       n, probes[k], pos, quoted);
			}
		}
	}

	/* values */
	struct value v = { .type = VAL_NULL };
	buf_reset(&b);
	render_csv_value(&b, &v);
	CHECK(b.len == 0);
	v.type = VAL_INT;
	v.i = INT64_MIN;
	buf_reset(&b);
	render_csv_value(&b, &v);
	CHECK(!strcmp((char *)b.data, "-9223372036854775808"));
	v.i = INT64_MAX;
	buf_reset(&b);
	render_csv_value(&b, &v);
	CHECK(!strcmp((char *)b.data, "9223372036854775807"));
	v.i = 0;
	buf_reset(&b);
	render_csv_value(&b, &v);
	CHECK(!strcmp((char *)b.data, "0"));
	v.type = VAL_BLOB;
	v.p = (const uint8_t *)"\x00\xab\xff\x10";
	v.n = 4;
	buf_reset(&b);
	render_csv_value(&b, &v);
	CHECK(!strcmp((char *)b.data, "\\x00abff10"));
	v.n = 0;
	buf_reset(&b);
	render_csv_value(&b, &v);
	CHECK(!strcmp((char *)b.data, "\\x"));
	v.type = VAL_REAL;
	v.r = 0.5;
	buf_reset(&b);
	render_csv_value(&b, &v);
	CHECK(!strcmp((char *)b.data, "0.5"));

	/* header */
	char *names[] = { "id", "a,b", "", "say \"x\"", "\xc3\xa9" };
	buf_reset(&b);
	render_csv_header(&b, names, 5);
	CHECK(!strcmp((char *)b.data, "id,\"a,b\",\"\",\"say \"\"x\"\"\",\xc3\xa9\n"));
	buf_reset(&b);
	render_csv_header(&b, names, 0);
	CHECK(!strcmp((char *)b.data, "\n"));
	buf_release(&b);
}

static void chunks(void)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 4, .nkey = 1 };
	struct buf c = BUF_INIT, out = BUF_INIT;
	uint64_t nrows = 99;

	chunk_shape_encode(&c, &s);
	struct value rows[][5] = {
		{ { .type = VAL_INT, .i = 1 }, { .type = VAL_INT, .i = -7 },
		  { .type = VAL_TEXT, .p = (const uint8_t *)"a,b", .n = 3 },
		  { .type = VAL_NULL }, { .type = VAL_REAL, .r = 2.0 } },
		{ { .type = VAL_INT, .i = 2 }, { .type = VAL_TEXT, .p = (const uint8_t *)"", .n = 0 },
		  { .type = VAL_BLOB, .p = (const uint8_t *)"\x01\xfe", .n = 2 },
		  { .type = VAL_TEXT, .p = (const uint8_t *)"\\.", .n = 2 },
		  { .type = VAL_TEXT, .p = (const uint8_t *)"q\"\nr", .n = 4 } },
		{ { .type = VAL_INT, .i = 3 }, { .type = VAL_NULL }, { .type = VAL_NULL },
		  { .type = VAL_NULL }, { .type = VAL_NULL } },
	};
	for (int r = 0; r < 3; r++)
		for (int i = 0; i < 5; i++)
			value_encode(&c, &rows[r][i]);
	const char *want = "-7,\"a,b\",,2.0\n"
			   "\"\",\\x01fe,\"\\.\",\"q\"\"\nr\"\n"
			   ",,,\n";
	CHECK(render_csv_chunk(c.data, c.len, &out, &nrows) == 0);
	CHECK(nrows == 3);
	CHECKF(out.len == strlen(want) && !memcmp(out.data, want, out.len), "got '%s'",
	       (char *)out.data);
	/* deterministic */
	struct buf again = BUF_INIT;
	CHECK(render_csv_chunk(c.data, c.len, &again, &nrows) == 0);
	CHECK(again.len == out.len && !memcmp(again.data, out.data, out.len));

	/* only a header: zero rows */
	size_t hdr = 0;
	{
		struct buf h = BUF_INIT;
		chunk_shape_encode(&h, &s);
		hdr = h.len;
		buf_reset(&out);
		CHECK(render_csv_chunk(h.data, h.len, &out, &nrows) == 0 && nrows == 0 &&
		      out.len == 0);
		buf_release(&h);
	}
	/* every truncation inside the rows fails unless it falls on a row boundary */
	for (size_t k = 0; k < c.len; k++) {
		buf_reset(&out);
		int rc = render_csv_chunk(c.data, k, &out, &nrows);
		if (k < hdr)
			CHECK(rc == -EUCLEAN);
		else if (rc == 0)
			CHECKF(nrows <= 3, "cut %zu", k);
		else
			CHECK(rc == -EUCLEAN && nrows == 0);
	}
	/* a row cut in the middle of its values */
	buf_reset(&out);
	CHECK(render_csv_chunk(c.data, c.len - 1, &out, &nrows) == -EUCLEAN);
	/* a bad tag */
	struct buf bad = BUF_INIT;
	buf_add(&bad, c.data, c.len);
	bad.data[hdr] = 9;
	buf_reset(&out);
	CHECK(render_csv_chunk(bad.data, bad.len, &out, &nrows) == -EUCLEAN);
	/* bad version */
	bad.data[0] = 2;
	CHECK(render_csv_chunk(bad.data, bad.len, &out, &nrows) == -EUCLEAN);
	CHECK(render_csv_chunk(bad.data, 0, &out, &nrows) == -EUCLEAN);
	buf_release(&bad);
	buf_release(&again);
	buf_release(&c);
	buf_release(&out);
}

int main(void)
{
	reals();
	quoting();
	chunks();
	return check_done("unit-render");
}
