/*
 * dumpplan.c - see dumpplan.h.
 *
 * ORDER.  `.dump` lists tables in sqlite_schema rowid order (sqlite_sequence
 * last) and indexes, triggers and views in rowid order too, as two separate
 * groups.  So the objects are created in the source's order within each
 * group, which gives the same order in the new sqlite_schema: first every
 * table (a virtual table as `.dump` makes it: its sqlite_schema row written
 * directly, with writable_schema, and its shadow tables as plain tables;
 * sqlite_stat1/4 by `ANALYZE sqlite_schema`, which creates them empty; and
 * sqlite_sequence by SQLite itself, with the first AUTOINCREMENT table, as
 * in the source), then the rows, then indexes, views and triggers (after
 * the rows: an index is built once, and no trigger fires on restored rows).
 * sqlite_sequence's rows go last: inserting rows with explicit rowids into
 * an AUTOINCREMENT table writes it too, so they replace what that wrote.
 * user_version and application_id are set at the end, inside the
 * transaction, as the header's last changes.
 */
#include "strata/dumpplan.h"
#include "strata/util.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool obj_in(const struct plan_ops *o, void *arg, const struct manifest_object *ob)
{
	return !o->object_wanted || o->object_wanted(arg, ob);
}

/* fmt: sqlite3_mprintf's (%Q quotes a text literal) */
static int emit(const struct plan_ops *o, void *arg, enum plan_step step, const char *name,
		const struct manifest_object *ob, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (!sql)
		return -ENOMEM;
	int rc = o->sql(arg, step, sql, name, ob);
	sqlite3_free(sql);
	return rc;
}

/*
 * What ends an object's statement: ";" and LF, after a LF when the text's
 * last line holds "--" (SQLite keeps a trailing comment in the stored SQL
 * of a view or an index; the ';' must not land inside it), as .dump does.
 */
static const char *stmt_end(const char *sql)
{
	const char *nl = strrchr(sql, '\n');
	return strstr(nl ? nl : sql, "--") ? "\n;\n" : ";\n";
}

/*
 * Whether a table that creates sqlite_sequence is in (an AUTOINCREMENT
 * one): a sqlite_sequence left behind by dropped tables cannot be made, so
 * its rows are left out rather than failing the script.
 */
static bool makes_sequence(const struct manifest *m, const struct plan_ops *o, void *arg)
{
	for (size_t i = 0; i < m->nobjects; i++) {
		const struct manifest_object *ob = &m->objects[i];
		if (!strcmp(ob->type, "table") && obj_in(o, arg, ob) &&
		    sqlite3_strlike("%autoincrement%", ob->sql, 0) == 0)
			return true;
	}
	return false;
}

static int create_table(const struct plan_ops *o, void *arg, const struct manifest_object *ob,
			bool *writable)
{
	if (!strcmp(ob->name, "sqlite_sequence"))
		return 0; /* made by SQLite with the first AUTOINCREMENT table */
	if (!strcmp(ob->name, "sqlite_stat1") || !strcmp(ob->name, "sqlite_stat4"))
		return emit(o, arg, PLAN_STAT, ob->name, NULL, "ANALYZE sqlite_schema;\n");
	if (sqlite3_strnicmp(ob->sql, "CREATE VIRTUAL", 14))
		return emit(o, arg, PLAN_TABLE, ob->name, ob, "%s%s", ob->sql, stmt_end(ob->sql));
	/* as .dump does: the row itself; its shadow tables follow as tables */
	int rc = emit(o, arg, PLAN_VTAB, ob->name, NULL,
		      "%sINSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)"
		      " VALUES('table',%Q,%Q,0,%Q);\n",
		      *writable ? "" : "PRAGMA writable_schema=ON;\n", ob->name, ob->tbl_name,
		      ob->sql);
	*writable = true;
	return rc;
}

static const char *const ENCODINGS[] = { "", "UTF-8", "UTF-16le", "UTF-16be" };

int dump_plan(const struct manifest *m, const struct plan_ops *o, void *arg)
{
	bool writable = false, sequence = makes_sequence(m, o, arg);
	int64_t v;
	int rc = 0;

	/* settings that must precede the first table */
	if (manifest_pragma(m, "encoding", &v) && v >= 1 && v <= 3)
		rc = emit(o, arg, PLAN_SETTING, "", NULL, "PRAGMA encoding='%s';\n", ENCODINGS[v]);
	if (!rc && manifest_pragma(m, "page_size", &v) && v >= 512 && v <= 65536)
		rc = emit(o, arg, PLAN_SETTING, "", NULL, "PRAGMA page_size=%lld;\n", (long long)v);
	if (!rc && manifest_pragma(m, "auto_vacuum", &v) && v >= 0 && v <= 2)
		rc = emit(o, arg, PLAN_SETTING, "", NULL, "PRAGMA auto_vacuum=%lld;\n", (long long)v);
	if (!rc)
		rc = emit(o, arg, PLAN_BEGIN, "", NULL, "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n");
	for (size_t i = 0; !rc && i < m->nobjects; i++) {
		const struct manifest_object *ob = &m->objects[i];
		if (!strcmp(ob->type, "table") && obj_in(o, arg, ob))
			rc = create_table(o, arg, ob, &writable);
	}
	for (int pass = 0; pass < 2 && !rc; pass++)
		for (size_t i = 0; i < m->ntables && !rc; i++) {
			const struct manifest_table *t = &m->tables[i];
			bool seq = !strcmp(t->name, "sqlite_sequence");
			if (seq != (pass == 1) || (o->table_wanted && !o->table_wanted(arg, t)) ||
			    (seq && !sequence))
				continue;
			if (seq)
				rc = emit(o, arg, PLAN_SEQ_CLEAR, t->name, NULL, "DELETE FROM sqlite_sequence;\n");
			if (!rc)
				rc = o->rows(arg, (uint32_t)i);
		}
	for (size_t i = 0; !rc && i < m->nobjects; i++) {
		const struct manifest_object *ob = &m->objects[i];
		if (strcmp(ob->type, "table") && obj_in(o, arg, ob))
			rc = emit(o, arg, PLAN_OBJECT, ob->name, ob, "%s%s", ob->sql, stmt_end(ob->sql));
	}
	if (!rc && writable)
		rc = emit(o, arg, PLAN_END, "", NULL, "PRAGMA writable_schema=OFF;\n");
	if (!rc && manifest_pragma(m, "user_version", &v))
		rc = emit(o, arg, PLAN_END, "", NULL, "PRAGMA user_version=%d;\n", (int32_t)v);
	if (!rc && manifest_pragma(m, "application_id", &v))
		rc = emit(o, arg, PLAN_END, "", NULL, "PRAGMA application_id=%d;\n", (int32_t)v);
	if (!rc)
		rc = emit(o, arg, PLAN_COMMIT, "", NULL, "COMMIT;\n");
	return rc;
}

/* ---- dump.sql ---- */

struct parts_build {
	struct dump_parts *p;
	struct buf text;
};

static void close_part(struct parts_build *b, int64_t tidx)
{
	struct dump_parts *p = b->p;
	p->text = xrealloc(p->text, (p->n + 1) * sizeof(*p->text));
	p->tidx = xrealloc(p->tidx, (p->n + 1) * sizeof(*p->tidx));
	buf_addc(&b->text, 0);
	p->text[p->n] = (char *)buf_detach(&b->text, NULL);
	p->tidx[p->n++] = tidx;
}

static int parts_sql(void *arg, enum plan_step step, const char *sql, const char *name,
		     const struct manifest_object *ob)
{
	struct parts_build *b = arg;
	buf_adds(&b->text, sql);
	return 0;
}

static int parts_rows(void *arg, uint32_t tidx)
{
	close_part(arg, tidx);
	return 0;
}

void dump_parts_build(const struct manifest *m, struct dump_parts *p)
{
	static const struct plan_ops ops = { .sql = parts_sql, .rows = parts_rows };
	struct parts_build b = { p, BUF_INIT };
	memset(p, 0, sizeof(*p));
	dump_plan(m, &ops, &b);
	close_part(&b, -1);
}

void dump_parts_free(struct dump_parts *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->text[i]);
	free(p->text);
	free(p->tidx);
	memset(p, 0, sizeof(*p));
}
