/*
 * Unit tests for lib/dumpplan.c: the steps that recreate a database, as
 * dump.sql's text parts.  The parts are checked byte for byte for a
 * manifest with every kind of object (settings, a plain table, an
 * AUTOINCREMENT table with its sqlite_sequence, sqlite_stat1, a virtual
 * table and its shadow table, an index, a trigger, a view); then the
 * script, with each table's rows left out, replays in SQLite without an
 * error and gives the objects in the source's order.  The --table filter
 * (restore's) leaves out what it is asked to.
 */
#include "check.h"
#include "strata/dumpplan.h"

#include <sqlite3.h>

static struct manifest_object objects[] = {
	{ "table", "items", "items", "CREATE TABLE items(id INTEGER PRIMARY KEY AUTOINCREMENT, v)" },
	{ "table", "sqlite_sequence", "sqlite_sequence", "CREATE TABLE sqlite_sequence(name,seq)" },
	{ "table", "docs", "docs", "CREATE VIRTUAL TABLE docs USING fts5(body)" },
	{ "table", "docs_data", "docs_data", "CREATE TABLE 'docs_data'(id INTEGER PRIMARY KEY, block BLOB)" },
	{ "index", "items_v", "items", "CREATE INDEX items_v ON items(v)" },
	{ "table", "sqlite_stat1", "sqlite_stat1", "CREATE TABLE sqlite_stat1(tbl,idx,stat)" },
	{ "view", "it's", "it's", "CREATE VIEW \"it's\" AS SELECT v FROM items -- a comment" },
	{ "trigger", "items_t", "items", "CREATE TRIGGER items_t AFTER INSERT ON items BEGIN SELECT 1; END" },
};
static struct manifest_pragma pragmas[] = {
	{ "encoding", 1 }, { "page_size", 8192 }, { "auto_vacuum", 0 },
	{ "user_version", 42 }, { "application_id", -7 },
};
static struct manifest_table tables[4] = {
	{ .name = "items" }, { .name = "docs_data" }, { .name = "sqlite_stat1" },
	{ .name = "sqlite_sequence" },
};
static struct manifest m;

static void setup(void)
{
	m.version = 3;
	m.objects = objects;
	m.nobjects = sizeof(objects) / sizeof(objects[0]);
	m.pragmas = pragmas;
	m.npragmas = sizeof(pragmas) / sizeof(pragmas[0]);
	m.tables = tables;
	m.ntables = 4;
}

static const char WANT0[] =
	"PRAGMA encoding='UTF-8';\n"
	"PRAGMA page_size=8192;\n"
	"PRAGMA auto_vacuum=0;\n"
	"PRAGMA foreign_keys=OFF;\n"
	"BEGIN TRANSACTION;\n"
	"CREATE TABLE items(id INTEGER PRIMARY KEY AUTOINCREMENT, v);\n"
	"PRAGMA writable_schema=ON;\n"
	"INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql) VALUES('table','docs','docs',0,"
	"'CREATE VIRTUAL TABLE docs USING fts5(body)');\n"
	"CREATE TABLE 'docs_data'(id INTEGER PRIMARY KEY, block BLOB);\n"
	"ANALYZE sqlite_schema;\n";
static const char WANT_END[] =
	"CREATE INDEX items_v ON items(v);\n"
	"CREATE VIEW \"it's\" AS SELECT v FROM items -- a comment\n;\n"
	"CREATE TRIGGER items_t AFTER INSERT ON items BEGIN SELECT 1; END;\n"
	"PRAGMA writable_schema=OFF;\n"
	"PRAGMA user_version=42;\n"
	"PRAGMA application_id=-7;\n"
	"COMMIT;\n";

static void parts(void)
{
	struct dump_parts p;
	dump_parts_build(&m, &p);
	/* text, rows of items, (nothing), docs_data, (nothing), sqlite_stat1, DELETE, sqlite_sequence, end */
	CHECKF(p.n == 5, "%zu parts", p.n);
	if (p.n != 5) {
		dump_parts_free(&p);
		return;
	}
	CHECKF(!strcmp(p.text[0], WANT0), "part 0:\n%s", p.text[0]);
	CHECK(p.tidx[0] == 0 && p.tidx[1] == 1 && p.tidx[2] == 2 && p.tidx[3] == 3 && p.tidx[4] == -1);
	CHECK(!strcmp(p.text[1], "") && !strcmp(p.text[2], ""));
	CHECKF(!strcmp(p.text[3], "DELETE FROM sqlite_sequence;\n"), "part 3: %s", p.text[3]);
	CHECKF(!strcmp(p.text[4], WANT_END), "last part:\n%s", p.text[4]);

	/* the script replays (rows left out), objects in the source's order */
	struct buf script = BUF_INIT;
	for (size_t i = 0; i < p.n; i++)
		buf_adds(&script, p.text[i]);
	buf_addc(&script, 0);
	sqlite3 *db;
	char *err = NULL;
	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
	int rc = sqlite3_exec(db, (const char *)script.data, NULL, NULL, &err);
	CHECKF(rc == SQLITE_OK, "replay: %s", err ? err : "?");
	sqlite3_free(err);
	sqlite3_stmt *st;
	struct buf names = BUF_INIT;
	sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema ORDER BY rowid", -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		buf_adds(&names, (const char *)sqlite3_column_text(st, 0));
		buf_addc(&names, ' ');
	}
	buf_addc(&names, 0);
	sqlite3_finalize(st);
	/* FTS5's own shadow tables come with its first use; the listed ones in order */
	CHECKF(!strncmp((char *)names.data, "items sqlite_sequence docs docs_data sqlite_stat1 items_v it's items_t",
			70), "order: %s", (char *)names.data);
	sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 42);
	sqlite3_finalize(st);
	sqlite3_close(db);
	buf_release(&names);
	buf_release(&script);
	dump_parts_free(&p);
}

/* restore --table items: its index and trigger, no view, no virtual table */
static bool want_items(void *arg, const struct manifest_object *ob)
{
	return !strcmp(ob->tbl_name, "items") && strcmp(ob->type, "view");
}

static bool want_items_rows(void *arg, const struct manifest_table *t)
{
	return !strcmp(t->name, "items") || !strcmp(t->name, "sqlite_sequence");
}

static struct buf seen;

static int seen_sql(void *arg, enum plan_step step, const char *sql, const char *name,
		    const struct manifest_object *ob)
{
	buf_addf(&seen, "%d:%s", (int)step, sql);
	return 0;
}

static int seen_rows(void *arg, uint32_t tidx)
{
	buf_addf(&seen, "rows %u\n", tidx);
	return tidx == 99 ? -1 : 0;
}

static void filtered(void)
{
	struct plan_ops ops = { seen_sql, seen_rows, want_items, want_items_rows };
	CHECK(dump_plan(&m, &ops, NULL) == 0);
	buf_addc(&seen, 0);
	const char *s = (const char *)seen.data;
	CHECK(strstr(s, "CREATE TABLE items(") && strstr(s, "items_v") && strstr(s, "items_t"));
	CHECK(!strstr(s, "docs") && !strstr(s, "it's") && !strstr(s, "ANALYZE"));
	CHECK(strstr(s, "rows 0\n") && strstr(s, "DELETE FROM sqlite_sequence;\nrows 3\n"));
	CHECK(!strstr(s, "rows 1\n") && !strstr(s, "rows 2\n"));
	buf_release(&seen);
}

/* a sqlite_sequence left behind by a dropped AUTOINCREMENT table: its rows are left out */
static void leftover_sequence(void)
{
	struct dump_parts p;
	char *sql = objects[0].sql;
	objects[0].sql = "CREATE TABLE items(id INTEGER PRIMARY KEY, v)";
	dump_parts_build(&m, &p);
	bool del = false, seqrows = false;
	for (size_t i = 0; i < p.n; i++) {
		del |= strstr(p.text[i], "DELETE FROM sqlite_sequence") != NULL;
		seqrows |= p.tidx[i] == 3;
	}
	CHECK(!del && !seqrows);
	dump_parts_free(&p);
	objects[0].sql = sql;
}

int main(void)
{
	setup();
	parts();
	filtered();
	leftover_sequence();
	return check_done("unit-dumpplan");
}
