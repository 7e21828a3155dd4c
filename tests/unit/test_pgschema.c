/*
 * Unit tests for lib/pgschema.c: the classes of edge values, and the exact
 * DDL for the type rules, the primary keys left out, index translation,
 * quoting, tables the schema does not define, and schemas that must not
 * run (ATTACH, a statement that loops).  t_postgres loads the DDL into a
 * real PostgreSQL.
 */
#include "check.h"
#include "strata/pgschema.h"

#include <math.h>
#include <unistd.h>

#define HEAD                                                                                        \
	"-- PostgreSQL schema of SQLite tables, by strata; types: see docs/FORMAT.md \"PostgreSQL\"\n" \
	"-- Not translated: foreign keys, CHECK constraints, defaults, triggers, views.\n"             \
	"-- Load each table: \\copy \"t\" FROM 't.csv' (FORMAT csv, HEADER) (the CSV is UTF-8)\n"      \
	"SET client_encoding = 'UTF8';\n"

static unsigned text_class(const char *s, size_t n)
{
	struct value v = { .type = VAL_TEXT, .p = (const uint8_t *)s, .n = n };
	return pg_class_of(&v);
}

static void classes(void)
{
	struct value v = { .type = VAL_NULL };
	CHECK(pg_class_of(&v) == PG_NULL);
	v.type = VAL_INT;
	static const struct {
		int64_t i;
		unsigned want;
	} ints[] = {
		{ 0, PG_INT }, { -1, PG_INT },
		{ INT64_C(9007199254740992), PG_INT },                /* 2^53: a double holds it */
		{ INT64_C(9007199254740993), PG_INT | PG_WIDE_INT },  /* 2^53 + 1 */
		{ -INT64_C(9007199254740992), PG_INT },
		{ -INT64_C(9007199254740993), PG_INT | PG_WIDE_INT },
		{ INT64_MAX, PG_INT | PG_WIDE_INT }, { INT64_MIN, PG_INT | PG_WIDE_INT },
	};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		v.i = ints[i].i;
		CHECKF(pg_class_of(&v) == ints[i].want, "%lld: %u", (long long)ints[i].i, pg_class_of(&v));
	}
	v.type = VAL_REAL;
	static const double reals[] = { 0.0, -0.0, INFINITY, -INFINITY, 1e308, 5e-324, 9007199254740993.0 };
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		v.r = reals[i];
		CHECK(pg_class_of(&v) == PG_REAL);
	}
	CHECK(text_class("", 0) == PG_TEXT);
	CHECK(text_class("plain, \"quoted\"\r\n", 17) == PG_TEXT);
	CHECK(text_class("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9) == PG_TEXT); /* é € 😀 */
	CHECK(text_class("\xf4\x8f\xbf\xbf", 4) == PG_TEXT);                    /* U+10FFFF */
	CHECK(text_class("a\0b", 3) == (PG_TEXT | PG_BAD_TEXT));                 /* NUL */
	CHECK(text_class("\0", 1) == (PG_TEXT | PG_BAD_TEXT));
	CHECK(text_class("\xff", 1) == (PG_TEXT | PG_BAD_TEXT));
	CHECK(text_class("ok\xc3", 3) == (PG_TEXT | PG_BAD_TEXT));              /* cut short */
	CHECK(text_class("\xc0\x80", 2) == (PG_TEXT | PG_BAD_TEXT));            /* overlong NUL */
	CHECK(text_class("\xed\xa0\x80", 3) == (PG_TEXT | PG_BAD_TEXT));        /* a surrogate */
	CHECK(text_class("\xf4\x90\x80\x80", 4) == (PG_TEXT | PG_BAD_TEXT));    /* beyond U+10FFFF */
	v.type = VAL_BLOB;
	v.p = (const uint8_t *)"";
	v.n = 0;
	CHECK(pg_class_of(&v) == PG_BLOB);
	v.p = (const uint8_t *)"\0\xff";
	v.n = 2;
	CHECK(pg_class_of(&v) == PG_BLOB);
}

/* pg_schema's output for one schema must be HEAD + want, twice alike. */
static void expect(const char *what, const char *schema, const struct pg_table *t, size_t n,
		   const char *want)
{
	struct buf out = BUF_INIT, again = BUF_INIT;
	char *err = NULL, *full = xasprintf("%s%s", HEAD, want);
	int rc = pg_schema(schema, t, n, &out, &err);
	CHECKF(rc == 0, "%s: %d %s", what, rc, err ? err : "");
	buf_addc(&out, 0);
	CHECKF(!strcmp((char *)out.data, full), "%s: got\n%s\nwant\n%s", what, (char *)out.data, full);
	CHECK(pg_schema(schema, t, n, &again, &err) == 0);
	buf_addc(&again, 0);
	CHECKF(again.len == out.len && !memcmp(again.data, out.data, out.len), "%s: not deterministic",
	       what);
	buf_release(&out);
	buf_release(&again);
	free(full);
	free(err);
}

static void types(void)
{
	static char *cols[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n",
				"o", "p" };
	static const uint8_t cls[] = {
		PG_INT, PG_REAL, PG_TEXT | PG_NULL, PG_BLOB, PG_INT | PG_REAL,
		PG_INT | PG_REAL | PG_WIDE_INT | PG_NULL, PG_TEXT | PG_INT, PG_BLOB | PG_REAL,
		PG_NULL, 0, 0, PG_NULL, 0, 0, PG_INT | PG_WIDE_INT, PG_TEXT | PG_BAD_TEXT,
	};
	const char *schema =
		"CREATE TABLE t(a INTEGER, b REAL, c TEXT, d BLOB, e NUMERIC, f, g TEXT, h BLOB,"
		" i VARCHAR(5), j FLOATING POINT, k, l DECIMAL(10,2), m DOUBLE, n BLOB, o INT,"
		" p TEXT NOT NULL);\n";
	struct pg_table t = { "t", cols, 16, cls };
	expect("types from classes", schema, &t, 1,
	       "\n"
	       "-- \"t\": column \"f\" mixes reals with integers beyond 2^53: numeric (-0.0 loads as 0)\n"
	       "-- \"t\": column \"g\" mixes text or blobs with other values: text, each value as its CSV spelling\n"
	       "-- \"t\": column \"h\" mixes text or blobs with other values: text, each value as its CSV spelling\n"
	       "-- \"t\": column \"p\" holds text with NUL or invalid UTF-8, which PostgreSQL's text cannot: loading \"t\" fails (its .jsonl has every value)\n"
	       "CREATE TABLE \"t\" (\n"
	       "\t\"a\" bigint,\n"
	       "\t\"b\" double precision,\n"
	       "\t\"c\" text,\n"
	       "\t\"d\" bytea,\n"
	       "\t\"e\" double precision,\n"
	       "\t\"f\" numeric,\n"
	       "\t\"g\" text,\n"
	       "\t\"h\" text,\n"
	       "\t\"i\" text,\n"
	       "\t\"j\" bigint,\n"            /* FLOATING POINT has INT: affinity INTEGER */
	       "\t\"k\" bytea,\n"
	       "\t\"l\" numeric,\n"
	       "\t\"m\" double precision,\n"
	       "\t\"n\" bytea,\n"
	       "\t\"o\" bigint,\n"
	       "\t\"p\" text NOT NULL\n"
	       ");\n");
	/* not recorded (older backups): the declared types alone */
	t.classes = NULL;
	expect("types from declared types", schema, &t, 1,
	       "\n"
	       "CREATE TABLE \"t\" (\n"
	       "\t\"a\" bigint,\n"
	       "\t\"b\" double precision,\n"
	       "\t\"c\" text,\n"
	       "\t\"d\" bytea,\n"
	       "\t\"e\" numeric,\n"
	       "\t\"f\" bytea,\n"
	       "\t\"g\" text,\n"
	       "\t\"h\" bytea,\n"
	       "\t\"i\" text,\n"
	       "\t\"j\" bigint,\n"
	       "\t\"k\" bytea,\n"
	       "\t\"l\" numeric,\n"
	       "\t\"m\" double precision,\n"
	       "\t\"n\" bytea,\n"
	       "\t\"o\" bigint,\n"
	       "\t\"p\" text NOT NULL\n"
	       ");\n");
}

static void keys(void)
{
	static char *kv[] = { "k", "v" }, *abc[] = { "a", "b", "c" }, *idv[] = { "id", "v" };
	static const uint8_t nullk[] = { PG_TEXT | PG_NULL, PG_INT }, mixk[] = { PG_TEXT | PG_INT, PG_INT };
	static const uint8_t plain[] = { PG_TEXT, PG_INT }, abcc[] = { PG_INT, PG_TEXT, PG_REAL };
	const char *schema =
		"CREATE TABLE nk(k TEXT PRIMARY KEY, v INTEGER);\n"
		"CREATE TABLE mk(k PRIMARY KEY, v INTEGER) WITHOUT ROWID;\n"
		"CREATE TABLE wr(k TEXT PRIMARY KEY, v) WITHOUT ROWID;\n"
		"CREATE TABLE comp(a INTEGER NOT NULL, b TEXT, c REAL, PRIMARY KEY(b, a));\n"
		"CREATE TABLE ipk(id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n";
	const struct pg_table t[] = {
		{ "nk", kv, 2, nullk }, { "mk", kv, 2, mixk }, { "wr", kv, 2, plain },
		{ "comp", abc, 3, abcc }, { "ipk", idv, 2, (const uint8_t[]){ PG_INT, PG_TEXT | PG_NULL } },
	};
	expect("primary keys", schema, t, 5,
	       "\n"
	       "-- \"nk\": no PRIMARY KEY: column \"k\" holds NULL, which SQLite allows in a rowid table's key\n"
	       "CREATE TABLE \"nk\" (\n"
	       "\t\"k\" text,\n"
	       "\t\"v\" bigint\n"
	       ");\n"
	       "\n"
	       "-- \"mk\": column \"k\" mixes text or blobs with other values: text, each value as its CSV spelling\n"
	       "-- \"mk\": no PRIMARY KEY: column \"k\" mixes classes as text: keys SQLite keeps apart (1 and '1') may be equal\n"
	       "CREATE TABLE \"mk\" (\n"
	       "\t\"k\" text NOT NULL,\n"
	       "\t\"v\" bigint\n"
	       ");\n"
	       "\n"
	       "CREATE TABLE \"wr\" (\n"
	       "\t\"k\" text NOT NULL,\n"
	       "\t\"v\" bigint,\n"
	       "\tPRIMARY KEY (\"k\")\n"
	       ");\n"
	       "\n"
	       "CREATE TABLE \"comp\" (\n"
	       "\t\"a\" bigint NOT NULL,\n"
	       "\t\"b\" text,\n"
	       "\t\"c\" double precision,\n"
	       "\tPRIMARY KEY (\"b\", \"a\")\n"
	       ");\n"
	       "\n"
	       "-- \"ipk\": column \"v\" is NOT NULL in SQLite but holds NULL: NOT NULL left out\n"
	       "CREATE TABLE \"ipk\" (\n"
	       "\t\"id\" bigint,\n"
	       "\t\"v\" text,\n"
	       "\tPRIMARY KEY (\"id\")\n"
	       ");\n"
	       "\n"
	       /* the key's own index, when the key is left out: UNIQUE, unless it mixes classes */
	       "CREATE UNIQUE INDEX \"sqlite_autoindex_nk_1\" ON \"nk\" (\"k\");\n"
	       "-- index \"sqlite_autoindex_mk_1\" of \"mk\" left out: UNIQUE over a column that mixes classes as text\n");
}

static void indexes(void)
{
	static char *cols[] = { "id", "a", "b", "c", "m" };
	static const uint8_t cls[] = { PG_INT, PG_INT | PG_NULL, PG_TEXT, PG_REAL, PG_INT | PG_TEXT };
	const char *schema =
		"CREATE TABLE x(id INTEGER PRIMARY KEY, a INTEGER, b TEXT COLLATE NOCASE, c REAL UNIQUE, m,"
		" g AS (a * 2), s TEXT AS (b || 'x') STORED);\n"
		"CREATE INDEX xa ON x(a);\n"
		"CREATE UNIQUE INDEX xb ON x(b);\n"
		"CREATE INDEX xd ON x(a DESC, c, id);\n"
		"CREATE INDEX xp ON x(a) WHERE a > 0;\n"
		"CREATE INDEX xe ON x(lower(b));\n"
		"CREATE INDEX xr ON x(c COLLATE RTRIM);\n"
		"CREATE UNIQUE INDEX xm ON x(m);\n"
		"CREATE INDEX xmn ON x(m);\n"
		"CREATE INDEX xg ON x(a, g);\n"
		"CREATE TRIGGER tr AFTER INSERT ON x BEGIN\n"
		"  UPDATE x SET a = 1;\n"
		"  DELETE FROM x WHERE a = 2;\n"
		"END;\n"
		"CREATE VIEW v AS SELECT a FROM x;\n";
	struct pg_table t = { "x", cols, 5, cls };
	expect("indexes", schema, &t, 1,
	       "\n"
	       "-- \"x\": column \"g\" is generated in SQLite and not in the CSV: left out\n"
	       "-- \"x\": column \"s\" is generated in SQLite and not in the CSV: left out\n"
	       "-- \"x\": column \"m\" mixes text or blobs with other values: text, each value as its CSV spelling\n"
	       "CREATE TABLE \"x\" (\n"
	       "\t\"id\" bigint,\n"
	       "\t\"a\" bigint,\n"
	       "\t\"b\" text,\n"
	       "\t\"c\" double precision,\n"
	       "\t\"m\" text,\n"
	       "\tPRIMARY KEY (\"id\")\n"
	       ");\n"
	       "\n"
	       "CREATE UNIQUE INDEX \"sqlite_autoindex_x_1\" ON \"x\" (\"c\");\n"
	       "CREATE INDEX \"xa\" ON \"x\" (\"a\");\n"
	       "-- index \"xb\": COLLATE NOCASE of column \"b\" left out\n"
	       "CREATE UNIQUE INDEX \"xb\" ON \"x\" (\"b\");\n"
	       "CREATE INDEX \"xd\" ON \"x\" (\"a\" DESC, \"c\", \"id\");\n"
	       "-- index \"xp\" of \"x\" left out: a partial index (its WHERE is not translated)\n"
	       "-- index \"xe\" of \"x\" left out: an expression index\n"
	       "-- index \"xr\": COLLATE RTRIM of column \"c\" left out\n"
	       "CREATE INDEX \"xr\" ON \"x\" (\"c\");\n"
	       "-- index \"xm\" of \"x\" left out: UNIQUE over a column that mixes classes as text\n"
	       "CREATE INDEX \"xmn\" ON \"x\" (\"m\");\n"
	       "-- index \"xg\" of \"x\" left out: over a column not in the CSV\n");
}

static void names(void)
{
	static char *cols[] = { "my \"col\" x", "\xc3\xbc col", "line\nfeed" };
	static char *one[] = { "v" };
	static const uint8_t cls[] = { PG_TEXT, PG_REAL, PG_INT | PG_TEXT };
	char longname[80];
	memset(longname, 'n', 64);
	longname[64] = 0;
	char *schema = xasprintf("CREATE TABLE \"odd \"\"name\"\" it's\"(\"my \"\"col\"\" x\" TEXT PRIMARY KEY,"
				 " \"\xc3\xbc col\" REAL, \"line\nfeed\");\n"
				 "CREATE INDEX \"i \"\"q\"\"\" ON \"odd \"\"name\"\" it's\"(\"\xc3\xbc col\");\n"
				 "CREATE TABLE %s(v);\n", longname);
	const struct pg_table t[] = { { "odd \"name\" it's", cols, 3, cls }, { longname, one, 1, NULL } };
	/* in a comment a name is escaped (no LF can end the line); in SQL it is as is */
	expect("names", schema, t, 2,
	       "\n"
	       "-- \"odd \"\"name\"\" it's\": column \"line\\nfeed\" mixes text or blobs with other values: text, each value as its CSV spelling\n"
	       "CREATE TABLE \"odd \"\"name\"\" it's\" (\n"
	       "\t\"my \"\"col\"\" x\" text,\n"
	       "\t\"\xc3\xbc col\" double precision,\n"
	       "\t\"line\nfeed\" text,\n"
	       "\tPRIMARY KEY (\"my \"\"col\"\" x\")\n"
	       ");\n"
	       "\n"
	       "-- PostgreSQL cuts names to 63 bytes: \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"\n"
	       "CREATE TABLE \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\" (\n"
	       "\t\"v\" bytea\n"
	       ");\n"
	       "\n"
	       "CREATE INDEX \"i \"\"q\"\"\" ON \"odd \"\"name\"\" it's\" (\"\xc3\xbc col\");\n");
	free(schema);
}

/* PostgreSQL's system column names: renamed, in the table and its indexes */
static void system_names(void)
{
	static char *cols[] = { "xmin", "xmin_", "ctid", "XMAX", "cmin__" };
	static const uint8_t cls[] = { PG_REAL, PG_INT, PG_TEXT, PG_REAL, PG_INT };
	struct pg_table t = { "geo", cols, 5, cls };
	expect("system column names",
	       "CREATE TABLE geo(xmin REAL, xmin_ INT, ctid TEXT PRIMARY KEY, XMAX REAL, cmin__);\n"
	       "CREATE INDEX geo_x ON geo(xmin, xmin_ DESC);\n", &t, 1,
	       "\n"
	       "-- \"geo\": column \"xmin\" has a system column's name in PostgreSQL: named \"xmin__\"\n"
	       "-- \"geo\": column \"ctid\" has a system column's name in PostgreSQL: named \"ctid_\"\n"
	       "CREATE TABLE \"geo\" (\n"
	       "\t\"xmin__\" double precision,\n"
	       "\t\"xmin_\" bigint,\n"
	       "\t\"ctid_\" text,\n"
	       "\t\"XMAX\" double precision,\n"   /* names are case-sensitive in PostgreSQL */
	       "\t\"cmin__\" bigint,\n"
	       "\tPRIMARY KEY (\"ctid_\")\n"
	       ");\n"
	       "\n"
	       "CREATE INDEX \"geo_x\" ON \"geo\" (\"xmin__\", \"xmin_\" DESC);\n");
}

/*
 * What the schema does not define, and what must not run: a missing
 * virtual table module, ATTACH (it would create a file), a statement
 * behind another in one piece, a CREATE TABLE ... AS that never ends.
 */
static void hostile(void)
{
	static char *cols[] = { "x", "y" };
	static const uint8_t cls[] = { PG_INT | PG_TEXT, PG_BLOB | PG_NULL };
	char *dir = xasprintf("%s/strata-pgschema-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	CHECK(mkdtemp(dir) != NULL);
	char *schema = xasprintf(
		"CREATE VIRTUAL TABLE v USING no_such_module(x, y);\n"
		"ATTACH '%s/a.db' AS a;\n"
		"CREATE TABLE b(x, y); ATTACH '%s/b.db' AS b2;\n"
		"CREATE TABLE loop AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
		" SELECT x, x AS y FROM c;\n"
		"CREATE TABLE c(x, y\n", dir, dir);
	const struct pg_table t[] = { { "v", cols, 2, cls }, { "b", cols, 2, cls }, { "loop", cols, 2, cls },
				      { "c", cols, 2, NULL } };
	expect("hostile", schema, t, 4,
	       "\n"
	       "-- \"v\": its CREATE TABLE is not in the schema: types from its values alone, no keys\n"
	       "-- \"v\": column \"x\" mixes text or blobs with other values: text, each value as its CSV spelling\n"
	       "CREATE TABLE \"v\" (\n"
	       "\t\"x\" text,\n"
	       "\t\"y\" bytea\n"
	       ");\n"
	       "\n"
	       "-- \"b\": column \"x\" mixes text or blobs with other values: text, each value as its CSV spelling\n"
	       "CREATE TABLE \"b\" (\n"
	       "\t\"x\" text,\n"
	       "\t\"y\" bytea\n"
	       ");\n"
	       "\n"
	       "-- \"loop\": its CREATE TABLE is not in the schema: types from its values alone, no keys\n"
	       "-- \"loop\": column \"x\" mixes text or blobs with other values: text, each value as its CSV spelling\n"
	       "CREATE TABLE \"loop\" (\n"
	       "\t\"x\" text,\n"
	       "\t\"y\" bytea\n"
	       ");\n"
	       "\n"
	       "-- \"c\": its CREATE TABLE is not in the schema: types from its values alone, no keys\n"
	       "CREATE TABLE \"c\" (\n"
	       "\t\"x\" bytea,\n"
	       "\t\"y\" bytea\n"
	       ");\n");
	char *a = xasprintf("%s/a.db", dir), *b = xasprintf("%s/b.db", dir);
	CHECK(access(a, F_OK) != 0 && access(b, F_OK) != 0);
	unlink(a);
	unlink(b);
	rmdir(dir);
	free(a);
	free(b);
	free(dir);
	free(schema);
	/* a table whose columns differ from the schema's (another generation's table) */
	static char *other[] = { "x", "z" };
	const struct pg_table d = { "b", other, 2, NULL };
	expect("columns differ", "CREATE TABLE b(x INTEGER PRIMARY KEY, y);\n", &d, 1,
	       "\n"
	       "-- \"b\": its CREATE TABLE is not in the schema: types from its values alone, no keys\n"
	       "CREATE TABLE \"b\" (\n"
	       "\t\"x\" bytea,\n"
	       "\t\"z\" bytea\n"
	       ");\n");
	expect("nothing", "", NULL, 0, "");
	/* a string that never ends, then 10,000 ";\n": not 50 GB of sqlite3_complete */
	struct buf big = BUF_INIT;
	buf_adds(&big, "CREATE TABLE q('");
	for (int i = 0; i < 10000; i++) {
		for (int k = 0; k < 100; k++)
			buf_adds(&big, "0123456789");
		buf_adds(&big, ";\n");
	}
	buf_adds(&big, "';\nCREATE TABLE b(x, y);\n");
	const struct pg_table bt = { "b", cols, 2, NULL };
	expect("long statement", (const char *)big.data, &bt, 1,
	       "\n"
	       "-- \"b\": its CREATE TABLE is not in the schema: types from its values alone, no keys\n"
	       "CREATE TABLE \"b\" (\n"
	       "\t\"x\" bytea,\n"
	       "\t\"y\" bytea\n"
	       ");\n");
	buf_release(&big);
}

int main(void)
{
	classes();
	types();
	keys();
	indexes();
	names();
	system_names();
	hostile();
	return check_done("unit-pgschema");
}
