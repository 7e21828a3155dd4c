/*
 * Unit tests for lib/views.c: SQL literals read back by SQLite as exactly the
 * value (every REAL among 200,000 random bit patterns included), JSON forms,
 * and whole chunks in both formats.
 */
#include "check.h"
#include "strata/pgschema.h"
#include "strata/views.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>

static sqlite3 *db;

/* SQLite's reading of an SQL literal, compared with v (type and bits). */
static int sql_reads_back(const struct value *v)
{
	struct buf b = BUF_INIT;
	sqlite3_stmt *st;
	int ok = 0;
	buf_adds(&b, "SELECT ");
	view_sql_value(&b, v, VIEW_REV);
	buf_addc(&b, 0);
	if (sqlite3_prepare_v2(db, (const char *)b.data, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "cannot prepare %s\n", (const char *)b.data);
		buf_release(&b);
		return 0;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		int t = sqlite3_column_type(st, 0);
		switch (v->type) {
		case VAL_NULL: ok = t == SQLITE_NULL; break;
		case VAL_INT: ok = t == SQLITE_INTEGER && sqlite3_column_int64(st, 0) == v->i; break;
		case VAL_REAL: {
			double d = sqlite3_column_double(st, 0);
			ok = t == SQLITE_FLOAT && !memcmp(&d, &v->r, 8);
			break;
		}
		case VAL_TEXT:
			ok = t == SQLITE_TEXT && (size_t)sqlite3_column_bytes(st, 0) == v->n &&
			     (v->n == 0 || !memcmp(sqlite3_column_blob(st, 0), v->p, v->n));
			break;
		default:
			ok = t == SQLITE_BLOB && (size_t)sqlite3_column_bytes(st, 0) == v->n &&
			     (v->n == 0 || !memcmp(sqlite3_column_blob(st, 0), v->p, v->n));
		}
	}
	if (!ok)
		fprintf(stderr, "literal %s does not read back\n", (const char *)b.data);
	sqlite3_finalize(st);
	buf_release(&b);
	return ok;
}

static void sql_literals(void)
{
	struct value v = { 0 };
	static const double reals[] = { 0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 19.99, 3.14159,
					1e308, -1e308, 5e-324, 2.2250738585072014e-308,
					1.7976931348623157e308, 9007199254740992.0, 9007199254740993.0,
					123456789012345678.0, 1e-300, INFINITY, -INFINITY };
	static const int64_t ints[] = { 0, 1, -1, INT64_MAX, INT64_MIN, 9007199254740993 };
	v.type = VAL_NULL;
	CHECK(sql_reads_back(&v));
	v.type = VAL_INT;
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		v.i = ints[i];
		CHECK(sql_reads_back(&v));
	}
	v.type = VAL_REAL;
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		v.r = reals[i];
		CHECKF(sql_reads_back(&v), "real %.17g", reals[i]);
	}
	/* random bit patterns: the decimal text SQLite 3.40 misreads ~0.35% of these */
	uint64_t x = 88172645463325252ull;
	int bad = 0;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(&v.r, &x, 8);
		if (isnan(v.r))
			continue;
		bad += !sql_reads_back(&v);
	}
	CHECKF(bad == 0, "%d random reals do not read back", bad);
	static const char *const texts[] = { "", "a'b", "line\nbreak", "ünï", "\x01\x7f" };
	v.type = VAL_TEXT;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		v.p = (const uint8_t *)texts[i];
		v.n = strlen(texts[i]);
		CHECK(sql_reads_back(&v));
	}
	v.p = (const uint8_t *)"a\0b\xc3\x28";
	v.n = 5;
	CHECK(sql_reads_back(&v)); /* NUL and invalid UTF-8: CAST(X'..' AS TEXT) */
	/* CR: a literal in revision 1 (manifest version 2), hex from revision 2 */
	struct buf b = BUF_INIT;
	v.p = (const uint8_t *)"a\r\nb";
	v.n = 4;
	CHECK(sql_reads_back(&v));
	view_sql_value(&b, &v, 1);
	CHECK(b.len == 6 && !memcmp(b.data, "'a\r\nb'", 6));
	buf_reset(&b);
	view_sql_value(&b, &v, 2);
	buf_addc(&b, 0);
	CHECKF(!strcmp((char *)b.data, "'a'||char(13)||'\nb'"), "%s", (char *)b.data);
	/* NUL: CAST(X'..') in revision 1, char(0) from 2 (any database encoding) */
	v.p = (const uint8_t *)"\0x\r";
	v.n = 3;
	CHECK(sql_reads_back(&v));
	buf_reset(&b);
	view_sql_value(&b, &v, 1);
	buf_addc(&b, 0);
	CHECKF(!strcmp((char *)b.data, "CAST(X'00780d' AS TEXT)"), "%s", (char *)b.data);
	buf_reset(&b);
	view_sql_value(&b, &v, 2);
	buf_addc(&b, 0);
	CHECKF(!strcmp((char *)b.data, "''||char(0)||'x'||char(13)||''"), "%s", (char *)b.data);
	/* in a UTF-16 database too */
	sqlite3 *u16;
	sqlite3_stmt *st;
	sqlite3_open(":memory:", &u16);
	sqlite3_exec(u16, "PRAGMA encoding='UTF-16le'", NULL, NULL, NULL);
	buf_reset(&b);
	buf_adds(&b, "SELECT hex(CAST(");
	view_sql_value(&b, &v, 2);
	buf_adds(&b, " AS BLOB))");
	buf_addc(&b, 0);
	CHECK(sqlite3_prepare_v2(u16, (char *)b.data, -1, &st, NULL) == SQLITE_OK &&
	      sqlite3_step(st) == SQLITE_ROW &&
	      !strcmp((const char *)sqlite3_column_text(st, 0), "000078000D00"));
	sqlite3_finalize(st);
	sqlite3_close(u16);
	buf_release(&b);
	v.type = VAL_BLOB;
	v.n = 0;
	CHECK(sql_reads_back(&v));
	v.p = (const uint8_t *)"\x00\xff";
	v.n = 2;
	CHECK(sql_reads_back(&v));
}

/* A chunk of a rowid table (id INTEGER PRIMARY KEY, v) with the given v values. */
static void chunk_of(struct buf *b, const struct value *vals, size_t n)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 2, .nkey = 1 };
	chunk_shape_encode(b, &s); /* version byte included */
	for (size_t i = 0; i < n; i++) {
		struct value id = { .type = VAL_INT, .i = (int64_t)i + 1 };
		value_encode(b, &id);
		value_encode(b, &id);
		value_encode(b, &vals[i]);
	}
}

static void chunks(void)
{
	char *cols[] = { "id", "v\"x" };
	struct view_table t;
	struct buf c = BUF_INIT, out = BUF_INIT;
	uint64_t nrows, len;
	struct value vals[] = {
		{ .type = VAL_NULL }, { .type = VAL_INT, .i = -5 }, { .type = VAL_REAL, .r = 1.5 },
		{ .type = VAL_REAL, .r = INFINITY }, { .type = VAL_TEXT, .p = (const uint8_t *)"a\"b\n", .n = 4 },
		{ .type = VAL_TEXT, .p = (const uint8_t *)"\xff", .n = 1 },
		{ .type = VAL_BLOB, .p = (const uint8_t *)"\x00\x01", .n = 2 },
	};
	chunk_of(&c, vals, 7);
	view_table_init(&t, "my \"t\"", cols, 2, false);
	CHECK(view_render_chunk(VIEW_JSONL, &t, c.data, c.len, &out, &nrows) == 0 && nrows == 7);
	buf_addc(&out, 0);
	CHECKF(!strcmp((char *)out.data,
		       "{\"id\":1,\"v\\\"x\":null}\n"
		       "{\"id\":2,\"v\\\"x\":-5}\n"
		       "{\"id\":3,\"v\\\"x\":1.5}\n"
		       "{\"id\":4,\"v\\\"x\":{\"real\":\"Infinity\"}}\n"
		       "{\"id\":5,\"v\\\"x\":\"a\\\"b\\n\"}\n"
		       "{\"id\":6,\"v\\\"x\":{\"text_hex\":\"ff\"}}\n"
		       "{\"id\":7,\"v\\\"x\":{\"blob\":\"0001\"}}\n"), "jsonl: %s", (char *)out.data);
	buf_reset(&out);
	CHECK(view_render_chunk(VIEW_SQL, &t, c.data, c.len, &out, &nrows) == 0 && nrows == 7);
	buf_addc(&out, 0);
	CHECKF(!strncmp((char *)out.data,
			"INSERT INTO \"my \"\"t\"\"\"(rowid,\"id\",\"v\"\"x\") VALUES(1,1,NULL);\n"
			"INSERT INTO \"my \"\"t\"\"\"(rowid,\"id\",\"v\"\"x\") VALUES(2,2,-5);\n"
			"INSERT INTO \"my \"\"t\"\"\"(rowid,\"id\",\"v\"\"x\") VALUES(3,3,(3.0/2.0));\n", 183),
	       "sql: %s", (char *)out.data);
	/* the length is the rendering's */
	CHECK(view_chunk_len(VIEW_SQL, &t, c.data, c.len, &len) == 0 && len == out.len - 1);
	buf_reset(&out);
	CHECK(view_render_chunk(VIEW_JSONL, &t, c.data, c.len, &out, &nrows) == 0);
	CHECK(view_chunk_len(VIEW_JSONL, &t, c.data, c.len, &len) == 0 && len == out.len);
	/* a chunk of another shape is refused */
	view_table_release(&t);
	view_table_init(&t, "t", cols, 1, false);
	CHECK(view_render_chunk(VIEW_JSONL, &t, c.data, c.len, &out, &nrows) == -EUCLEAN);
	view_table_release(&t);
	/* a column named rowid: the INSERTs use _rowid_ */
	char *cols2[] = { "rowid", "v" };
	view_table_init(&t, "t", cols2, 2, false);
	buf_reset(&out);
	CHECK(view_render_chunk(VIEW_SQL, &t, c.data, c.len, &out, &nrows) == 0);
	CHECK(!strncmp((char *)out.data, "INSERT INTO \"t\"(_rowid_,\"rowid\",\"v\") VALUES(1,1,NULL);", 54));
	view_table_release(&t);
	/* truncated chunk */
	view_table_init(&t, "t", cols, 2, false);
	CHECK(view_render_chunk(VIEW_SQL, &t, c.data, c.len - 1, &out, &nrows) == -EUCLEAN);
	view_table_release(&t);
	buf_release(&c);
	buf_release(&out);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * view_chunk_len() equals the rendering's length, over random chunks of every
 * kind of value; view_chunk_lens()'s classes are each column's values' classes
 * by pg_class_of(), OR'ed.
 */
static void lengths(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
#define NEXT() xorshift(&x)
	char *cols[] = { "a", "b\"\n", "c" };
	uint8_t bytes[64];
	int bad = 0, bad_classes = 0;
	for (int round = 0; round < 2000; round++) {
		uint8_t want[3] = { 0 }, got[3] = { 0 };
		bool without = round % 3 == 0;
		struct chunk_shape s = { .nhidden = without ? 0 : 1, .ncols = 3, .nkey = 1 };
		struct buf c = BUF_INIT, out = BUF_INIT;
		struct view_table t;
		chunk_shape_encode(&c, &s);
		for (int row = 0; row < 5; row++)
			for (unsigned k = 0; k < s.nhidden + s.ncols; k++) {
				struct value v = { .type = (uint8_t)(NEXT() % 5) };
				uint64_t r = NEXT();
				if (v.type == VAL_INT)
					v.i = (int64_t)r >> (r % 64);
				if (v.type == VAL_REAL) {
					if (r % 4 == 0)
						v.r = (double)(int64_t)(r >> 20) / 100.0;
					else if (r % 4 == 1)
						v.r = (double)(int64_t)(r >> 12);
					else
						memcpy(&v.r, &r, 8);
					if (isnan(v.r))
						v.r = -INFINITY;
				}
				if (v.type >= VAL_TEXT) {
					/* odd rounds: long runs of plain letters (text_scan's 8-byte steps) */
					bool plain = round % 2;
					v.n = r % (plain ? 64 : 20);
					for (size_t i = 0; i < v.n; i++) {
						uint64_t b = NEXT();
						/* letters, control bytes, quotes, NULs, bytes >= 0x80 */
						if (plain && b % 16)
							bytes[i] = (uint8_t)(' ' + (b >> 8) % 95);
						else
							bytes[i] = (uint8_t)(b % 4 == 0 ? b >> 8 : b % 4 == 1 ? b % 32 :
									     b % 4 == 2 ? (uint64_t)(uint8_t)"'\"\\x"[b % 4] : 'a' + b % 3);
					}
					v.p = bytes;
				}
				value_encode(&c, &v);
				if (k >= s.nhidden)
					want[k - s.nhidden] |= (uint8_t)pg_class_of(&v);
			}
		view_table_init(&t, "t", cols, 3, without);
		uint64_t jl, sl;
		if (view_chunk_lens(&t, c.data, c.len, &jl, &sl, got) || memcmp(got, want, sizeof(want)))
			bad_classes++;
		t.rev = 1 + (unsigned)(c.len & 1); /* both revisions (views.h) */
		for (int f = VIEW_JSONL; f <= VIEW_SQL; f++) {
			uint64_t len = 0, nrows;
			buf_reset(&out);
			int r1 = view_render_chunk((enum view_format)f, &t, c.data, c.len, &out, &nrows);
			int r2 = view_chunk_len((enum view_format)f, &t, c.data, c.len, &len);
			if (r1 || r2 || len != out.len) {
				if (bad++ < 3)
					fprintf(stderr, "format %d: len %llu, rendered %zu: %.*s\n", f,
						(unsigned long long)len, out.len, (int)out.len, (char *)out.data);
			}
		}
		view_table_release(&t);
		buf_release(&c);
		buf_release(&out);
	}
	CHECKF(bad == 0, "%d random chunks measured otherwise than rendered", bad);
	CHECKF(bad_classes == 0, "%d random chunks classed otherwise than by pg_class_of", bad_classes);
#undef NEXT
}

int main(void)
{
	lengths();
	sqlite3_open(":memory:", &db);
	sql_literals();
	chunks();
	sqlite3_close(db);
	return check_done("unit-views");
}
