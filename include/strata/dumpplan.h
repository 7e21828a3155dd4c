/*
 * dumpplan.h - the steps that recreate a backed-up SQLite database, in
 * order: settings, tables, rows, indexes, triggers and views, the database
 * header's values.  `strata restore` runs them against a new database;
 * a generation's dump.sql prints them, with each table's rows as its SQL
 * view (views.h).  One walk for both, so the two keep one contract
 * (docs/FORMAT.md "Restore"): `.dump --preserve-rowids` of the result is
 * byte-identical to the source's.
 */
#ifndef STRATA_DUMPPLAN_H
#define STRATA_DUMPPLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "strata/manifest.h"

enum plan_step {
	PLAN_SETTING,   /* PRAGMA encoding / page_size / auto_vacuum: before anything is created */
	PLAN_BEGIN,     /* foreign keys off, BEGIN TRANSACTION */
	PLAN_TABLE,     /* a CREATE TABLE */
	PLAN_VTAB,      /* a virtual table's sqlite_schema row, written with writable_schema on */
	PLAN_STAT,      /* ANALYZE sqlite_schema, which creates sqlite_stat1 (and stat4) empty */
	PLAN_SEQ_CLEAR, /* DELETE FROM sqlite_sequence, before its backed-up rows */
	PLAN_OBJECT,    /* an index, a trigger or a view (after the rows) */
	PLAN_END,       /* writable_schema off, user_version, application_id */
	PLAN_COMMIT,
};

struct plan_ops {
	/*
	 * sql: one or more statements, each ending in ";\n"; name: the
	 * object's (for messages; the table the stat step creates; "" for
	 * the database); ob: the object a PLAN_TABLE or PLAN_OBJECT step
	 * creates (its sql without the terminator: run alone, SQLite stores
	 * exactly that text, where a script's "\n;" after a trailing comment
	 * would add the LF to an index's SQL), else NULL.  Nonzero stops the
	 * walk and is returned.
	 */
	int (*sql)(void *arg, enum plan_step step, const char *sql, const char *name,
		   const struct manifest_object *ob);
	/* the rows of the manifest's table tidx */
	int (*rows)(void *arg, uint32_t tidx);
	/* NULL: all; otherwise whether an object of the manifest / a table's rows are in */
	bool (*object_wanted)(void *arg, const struct manifest_object *ob);
	bool (*table_wanted)(void *arg, const struct manifest_table *t);
};

/* Walk the steps that recreate m's database (its objects and pragmas; version 2 on). */
int dump_plan(const struct manifest *m, const struct plan_ops *ops, void *arg);

/*
 * A generation's dump.sql as text parts: text[i] is followed by the SQL
 * view of table tidx[i] (-1: none, the last part).  Owned by the caller
 * (dump_parts_free).
 */
struct dump_parts {
	char **text;
	int64_t *tidx;
	size_t n;
};
void dump_parts_build(const struct manifest *m, struct dump_parts *p);
void dump_parts_free(struct dump_parts *p);

#endif
