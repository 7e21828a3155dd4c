/* Unit tests for lib/util.c: varints, readers, time, JSON strings. */
#include "check.h"
#include "strata/util.h"

#include <stdint.h>

static void varint_roundtrip(void)
{
	static const uint64_t u[] = { 0, 1, 127, 128, 255, 300, 16383, 16384, UINT32_MAX,
				      (uint64_t)UINT32_MAX + 1, UINT64_MAX >> 1, UINT64_MAX - 1,
				      UINT64_MAX };
	static const int64_t s[] = { 0, 1, -1, 63, -64, 64, -65, INT32_MAX, INT32_MIN,
				     INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1 };
	struct buf b = BUF_INIT;
	struct rd r;

	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		uint64_t v = 12345;
		buf_reset(&b);
		buf_add_varint(&b, u[i]);
		CHECK(b.len >= 1 && b.len <= 10);
		rd_init(&r, b.data, b.len);
		CHECK(rd_varint(&r, &v) == 0);
		CHECKF(v == u[i], "varint %llu -> %llu", (unsigned long long)u[i],
		       (unsigned long long)v);
		CHECK(rd_left(&r) == 0);
		/* every strict prefix is a truncated varint: rejected */
		for (size_t k = 0; k < b.len; k++) {
			rd_init(&r, b.data, k);
			CHECK(rd_varint(&r, &v) == -EUCLEAN);
			CHECK(r.err == -EUCLEAN);
		}
	}
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		int64_t v = 12345;
		buf_reset(&b);
		buf_add_svarint(&b, s[i]);
		rd_init(&r, b.data, b.len);
		CHECK(rd_svarint(&r, &v) == 0);
		CHECKF(v == s[i], "svarint %lld -> %lld", (long long)s[i], (long long)v);
		CHECK(rd_left(&r) == 0);
		for (size_t k = 0; k < b.len; k++) {
			rd_init(&r, b.data, k);
			CHECK(rd_svarint(&r, &v) == -EUCLEAN);
		}
	}
	/* small magnitudes stay short */
	buf_reset(&b);
	buf_add_svarint(&b, -1);
	CHECK(b.len == 1 && b.data[0] == 1);
	buf_reset(&b);
	buf_add_svarint(&b, 1);
	CHECK(b.len == 1 && b.data[0] == 2);

	/* random round trips, many values in one buffer */
	unsigned long long seed = 1;
	uint64_t vals[1000];
	buf_reset(&b);
	for (int i = 0; i < 1000; i++) {
		vals[i] = test_rand(&seed) >> (test_rand(&seed) % 64);
		if (i & 1)
			buf_add_varint(&b, vals[i]);
		else
			buf_add_svarint(&b, (int64_t)vals[i]);
	}
	rd_init(&r, b.data, b.len);
	for (int i = 0; i < 1000; i++) {
		uint64_t v;
		int64_t sv;
		if (i & 1) {
			CHECK(rd_varint(&r, &v) == 0 && v == vals[i]);
		} else {
			CHECK(rd_svarint(&r, &sv) == 0 && (uint64_t)sv == vals[i]);
		}
	}
	CHECK(rd_left(&r) == 0 && r.err == 0);

	/* over-long: 11 continuation bytes, and a 10th byte with more than 1 bit */
	{
		uint8_t x[11];
		uint64_t v;
		memset(x, 0x80, sizeof(x));
		rd_init(&r, x, sizeof(x));
		CHECK(rd_varint(&r, &v) == -EUCLEAN);
		memset(x, 0xff, 9);
		x[9] = 0x02;
		rd_init(&r, x, 10);
		CHECK(rd_varint(&r, &v) == -EUCLEAN);
		x[9] = 0x01;
		rd_init(&r, x, 10);
		CHECK(rd_varint(&r, &v) == 0 && v == UINT64_MAX);
	}
	buf_release(&b);
}

static void reader_bounds(void)
{
	struct buf b = BUF_INIT;
	struct rd r;
	const uint8_t *p;
	size_t n;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	char *s;

	buf_add_bytes(&b, "hello", 5);
	buf_add_bytes(&b, "", 0);
	buf_add_u32le(&b, 0xdeadbeef);
	buf_add_u64le(&b, 0x0123456789abcdefULL);
	rd_init(&r, b.data, b.len);
	CHECK(rd_bytes(&r, &p, &n) == 0 && n == 5 && !memcmp(p, "hello", 5));
	CHECK(rd_bytes(&r, &p, &n) == 0 && n == 0);
	CHECK(rd_u32le(&r, &u32) == 0 && u32 == 0xdeadbeef);
	CHECK(rd_u64le(&r, &u64) == 0 && u64 == 0x0123456789abcdefULL);
	CHECK(rd_left(&r) == 0);
	CHECK(rd_u8(&r, &u8) == -EUCLEAN);
	/* sticky error */
	CHECK(rd_bytes(&r, &p, &n) == -EUCLEAN && p == NULL && n == 0);

	/* a length larger than what remains */
	buf_reset(&b);
	buf_add_varint(&b, 6);
	buf_add(&b, "hello", 5);
	rd_init(&r, b.data, b.len);
	CHECK(rd_bytes(&r, &p, &n) == -EUCLEAN && p == NULL && n == 0);
	CHECK(r.err == -EUCLEAN && rd_left(&r) == 0);
	/* a huge length */
	buf_reset(&b);
	buf_add_varint(&b, UINT64_MAX);
	buf_add(&b, "x", 1);
	rd_init(&r, b.data, b.len);
	CHECK(rd_bytes(&r, &p, &n) == -EUCLEAN);
	rd_init(&r, b.data, b.len);
	CHECK(rd_str(&r, &s) == -EUCLEAN && s == NULL);
	/* exact length */
	buf_reset(&b);
	buf_add_bytes(&b, "ab\0c", 4);
	rd_init(&r, b.data, b.len);
	CHECK(rd_str(&r, &s) == 0 && s && !memcmp(s, "ab\0c", 5));
	free(s);
	/* rd_count */
	buf_reset(&b);
	buf_add_varint(&b, 10);
	buf_add_varint(&b, 11);
	rd_init(&r, b.data, b.len);
	CHECK(rd_count(&r, 10, &u64) == 0 && u64 == 10);
	CHECK(rd_count(&r, 10, &u64) == -EUCLEAN && u64 == 0);
	/* short fixed-size reads */
	rd_init(&r, "abc", 3);
	CHECK(rd_u32le(&r, &u32) == -EUCLEAN && u32 == 0);
	rd_init(&r, "abcdefg", 7);
	CHECK(rd_u64le(&r, &u64) == -EUCLEAN);
	rd_init(&r, "abc", 3);
	CHECK(rd_raw(&r, 4, &p) == -EUCLEAN && p == NULL);
	rd_init(&r, "abc", 3);
	CHECK(rd_raw(&r, 3, &p) == 0 && p && rd_left(&r) == 0);
	buf_release(&b);
}

static void hex(void)
{
	uint8_t in[] = { 0x00, 0x0f, 0xa5, 0xff }, out[4];
	char h[9];
	hex_encode(h, in, 4);
	CHECK(!strcmp(h, "000fa5ff"));
	CHECK(hex_decode(out, "000FA5ff", 4) == 0 && !memcmp(out, in, 4));
	CHECK(hex_decode(out, "00g0", 2) == -EINVAL);
	CHECK(hex_decode(out, "0", 1) == -EINVAL);
}

static void time_parse(void)
{
	int64_t t = 0;
	char out[32];

	CHECK(time_parse_rfc3339("1970-01-01T00:00:00Z", &t) == 0 && t == 0);
	CHECK(time_parse_rfc3339("2026-11-20T02:00:00Z", &t) == 0 && t == 1795140000);
	CHECK(time_parse_rfc3339("2026-11-20t02:00:00z", &t) == 0 && t == 1795140000);
	CHECK(time_parse_rfc3339("2026-11-20 02:00:00Z", &t) == 0 && t == 1795140000);
	CHECK(time_parse_rfc3339("2026-11-20T04:30:00+02:30", &t) == 0 && t == 1795140000);
	CHECK(time_parse_rfc3339("2026-11-19T21:00:00-05:00", &t) == 0 && t == 1795140000);
	CHECK(time_parse_rfc3339("2026-11-20T02:00:00+00:00", &t) == 0 && t == 1795140000);
	CHECK(time_parse_rfc3339("2026-11-20T02:00:00.999999Z", &t) == 0 && t == 1795140000);
	CHECK(time_parse_rfc3339("2026-11-20T02:00:00.5+01:00", &t) == 0 &&
	      t == 1795140000 - 3600);
	CHECK(time_parse_rfc3339("2000-02-29T23:59:59Z", &t) == 0 && t == 951868799);
	CHECK(time_parse_rfc3339("1969-12-31T23:59:59Z", &t) == 0 && t == -1);
	CHECK(time_parse_rfc3339("2024-02-29T00:00:00Z", &t) == 0 && t == 1709164800);
	CHECK(time_parse_rfc3339("2000-02-29T00:00:00Z", &t) == 0);
	CHECK(time_parse_rfc3339("2026-12-31T23:59:59Z", &t) == 0);
	CHECK(time_parse_rfc3339("2026-04-30T00:00:00Z", &t) == 0);

	static const char *bad[] = {
		"", "2026", "2026-11-20", "2026-11-20T02:00:00", "2026-11-20T02:00Z",
		"2026-11-20T02:00:00.Z", "2026-11-20T02:00:00ZZ", "2026-11-20T02:00:00 Z",
		"2026-13-20T02:00:00Z", "2026-00-20T02:00:00Z", "2026-11-00T02:00:00Z",
		"2026-11-32T02:00:00Z", "2026-11-20T24:00:00Z", "2026-11-20T02:60:00Z",
		"2026-11-20T02:00:61Z", "2026-11-20T02:00:00+0200", "2026-11-20T02:00:00+2:00",
		"2026-11-20T02:00:00+24:00", "2026-11-20T02:00:00+02:60", "2026/11/20T02:00:00Z",
		"2026-11-20X02:00:00Z", "20a6-11-20T02:00:00Z", "2026-11-20T02:00:00+",
		"2026-11-20T02:00:00.123", "-026-11-20T02:00:00Z", "2026-11-20T02:00:00Z ",
		/* days that do not exist, and leap seconds (timegm would move them) */
		"2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-06-31T12:00:00Z", "2026-09-31T00:00:00Z",
		"2026-11-31T00:00:00Z", "2016-12-31T23:59:60Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		CHECKF(time_parse_rfc3339(bad[i], &t) == -EINVAL, "accepted '%s'", bad[i]);
	}

	time_name(out, 1795140000);
	CHECK(!strcmp(out, "2026-11-20T020000Z"));
	time_name(out, 0);
	CHECK(!strcmp(out, "1970-01-01T000000Z"));
	time_rfc3339(out, 1795140000);
	CHECK(!strcmp(out, "2026-11-20T02:00:00Z"));
	/* rfc3339 output parses back */
	unsigned long long seed = 7;
	for (int i = 0; i < 1000; i++) {
		int64_t x = (int64_t)(test_rand(&seed) % 4102444800ULL); /* < 2100 */
		time_rfc3339(out, x);
		CHECK(time_parse_rfc3339(out, &t) == 0 && t == x);
	}
}

static void json_str(void)
{
	struct buf b = BUF_INIT;
	buf_add_json_str(&b, "plain", 5);
	CHECK(!strcmp((char *)b.data, "\"plain\""));
	buf_reset(&b);
	buf_add_json_str(&b, "", 0);
	CHECK(b.len == 2 && !strcmp((char *)b.data, "\"\""));
	buf_reset(&b);
	buf_add_json_str(&b, "a\"b\\c\nd\te\rf", 11);
	CHECK(!strcmp((char *)b.data, "\"a\\\"b\\\\c\\nd\\te\\rf\""));
	buf_reset(&b);
	buf_add_json_str(&b, "\x01\x1f\x7f", 3);
	CHECK(!strcmp((char *)b.data, "\"\\u0001\\u001f\\u007f\""));
	buf_reset(&b);
	buf_add_json_str(&b, "\0x", 2);
	CHECK(!strcmp((char *)b.data, "\"\\u0000x\""));
	buf_reset(&b);
	buf_add_json_str(&b, "\xc3\xa9/", 3); /* UTF-8 and '/' raw */
	CHECK(!strcmp((char *)b.data, "\"\xc3\xa9/\""));
	/* bytes outside valid UTF-8 become \u00xx; valid 3- and 4-byte sequences stay */
	const struct { const char *in; const char *out; } u8[] = {
		{ "\xff", "\"\\u00ff\"" },
		{ "\x80" "a", "\"\\u0080a\"" },
		{ "\xc3", "\"\\u00c3\"" },                       /* truncated sequence */
		{ "\xc0\xaf", "\"\\u00c0\\u00af\"" },           /* overlong '/' */
		{ "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"" }, /* a surrogate */
		{ "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"" }, /* > U+10FFFF */
		{ "\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xe2\x82\xac\xf0\x9f\x98\x80\"" },
	};
	for (size_t i = 0; i < sizeof(u8) / sizeof(u8[0]); i++) {
		buf_reset(&b);
		buf_add_json_str(&b, u8[i].in, strlen(u8[i].in));
		CHECKF(!strcmp((char *)b.data, u8[i].out), "json of case %zu: %s", i, (char *)b.data);
	}
	buf_release(&b);
}

static void bufs(void)
{
	struct buf b = BUF_INIT;
	size_t n;
	uint8_t *p = buf_detach(&b, &n);
	CHECK(p && n == 0);
	free(p);
	for (int i = 0; i < 10000; i++)
		buf_addc(&b, (uint8_t)('a' + i % 26));
	CHECK(b.len == 10000 && b.data[b.len] == 0);
	buf_addf(&b, "%d-%s", 42, "x");
	CHECK(b.len == 10004 && !strcmp((char *)b.data + 10000, "42-x"));
	buf_reset(&b);
	CHECK(b.len == 0 && b.data[0] == 0);
	buf_release(&b);
	char *s = xasprintf("%s/%05d", "dir", 7);
	CHECK(!strcmp(s, "dir/00007"));
	free(s);
}

static void human_and_duration(void)
{
	static const struct {
		uint64_t v;
		const char *want;
	} h[] = {
		{ 0, "0 B" }, { 1, "1 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" }, { 1048575, "1.0 MiB" }, { 5662310, "5.4 MiB" },
		{ UINT64_C(1) << 30, "1.0 GiB" }, { UINT64_C(3) << 40, "3.0 TiB" },
		{ UINT64_MAX, "16.0 EiB" },
	};
	char out[HUMAN_MAX];
	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		human_bytes(out, h[i].v);
		CHECKF(!strcmp(out, h[i].want), "%llu -> '%s', want '%s'",
		       (unsigned long long)h[i].v, out, h[i].want);
	}

	static const struct {
		const char *s;
		int64_t want;
	} d[] = {
		{ "0", 0 }, { "90", 90 }, { "30s", 30 }, { "15m", 900 }, { "26h", 93600 },
		{ "1d", 86400 }, { "2w", 1209600 }, { "1h30m", 5400 }, { "1d2h3m4s", 93784 },
		{ "1w1d", 691200 },
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		int64_t v = -1;
		CHECKF(parse_duration(d[i].s, &v) == 0 && v == d[i].want, "'%s' -> %lld",
		       d[i].s, (long long)v);
	}
	static const char *bad[] = {
		"", "s", "1x", "-1", "1.5h", "30m1h", "1h1h", "1h30", " 1h", "1h ", "1H",
		"99999999999999999999", "9999999999999999w",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 7;
		CHECKF(parse_duration(bad[i], &v) == -EINVAL && v == 7, "accepted '%s'", bad[i]);
	}
}

static void printable(void)
{
	static const struct {
		const char *in;
		size_t n;
		const char *want;
	} v[] = {
		{ "plain label", 11, "plain label" },
		{ "two\nlines", 9, "two\\nlines" },
		{ "tab\there\r", 9, "tab\\there\\r" },
		{ "back\\slash", 10, "back\\\\slash" },
		{ "esc\x1b[31mred", 11, "esc\\x1b[31mred" },
		{ "del\x7f", 4, "del\\x7f" },
		{ "nul\0in", 6, "nul\\x00in" },
		{ "caf\xc3\xa9 \xe2\x82\xac", 9, "caf\xc3\xa9 \xe2\x82\xac" }, /* UTF-8 kept */
		{ "c1 \xc2\x9b", 5, "c1 \\xc2\\x9b" },                    /* CSI as C1 */
		{ "nbsp\xc2\xa0", 6, "nbsp\xc2\xa0" },
		{ "bad \xff\xc3", 6, "bad \\xff\\xc3" },                   /* not UTF-8 */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct buf b = BUF_INIT;
		buf_add_printable(&b, v[i].in, v[i].n);
		CHECKF(b.len == strlen(v[i].want) && !memcmp(b.data, v[i].want, b.len),
		       "case %zu: got '%s', want '%s'", i, b.data ? (char *)b.data : "", v[i].want);
		for (size_t k = 0; k < b.len; k++)
			CHECKF(b.data[k] >= 0x20 && b.data[k] != 0x7f, "case %zu: control byte out", i);
		buf_release(&b);
	}
}

/* at/<TIME>: every form a user may name a moment in */
static void time_point(void)
{
	int64_t t;
	CHECK(time_parse_point("2026-11-20T02:00:00Z", &t) == 0 && t == 1795140000);
	CHECK(time_parse_point("2026-11-20T04:30:00+02:30", &t) == 0 && t == 1795140000);
	CHECK(time_parse_point("2026-11-20T02:00:00.75Z", &t) == 0 && t == 1795140000);
	CHECK(time_parse_point("20261120T020000Z", &t) == 0 && t == 1795140000);
	CHECK(time_parse_point("20261120T040000+0200", &t) == 0 && t == 1795140000);
	CHECK(time_parse_point("2026-11-20T020000Z", &t) == 0 && t == 1795140000);
	/* a date: the last second of that day, UTC */
	CHECK(time_parse_point("2026-11-20", &t) == 0 && t == 1795140000 - 7200 + 86399);
	CHECK(time_parse_point("20261120", &t) == 0 && t == 1795140000 - 7200 + 86399);
	static const char *bad[] = {
		"", "2026", "2026-11", "2026-02-30", "20260230", "2026-11-20T", "2026-11-20T02:00:00",
		"2026-11-20T02:00Z", "2026-11-20T25:00:00Z", "2026-11-20T02:00:00+2", "now",
		"2026-11-20T02:00:00Zx", "2026-11-20x", "2026-11-20T02:00:00.Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(time_parse_point(bad[i], &t) == -EINVAL, "%s", bad[i]);
}

int main(void)
{
	time_point();
	printable();
	human_and_duration();
	varint_roundtrip();
	reader_bounds();
	hex();
	time_parse();
	json_str();
	bufs();
	return check_done("unit-util");
}
