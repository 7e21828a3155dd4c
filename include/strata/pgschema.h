/*
 * pgschema.h - PostgreSQL DDL for backed-up SQLite tables (docs/FORMAT.md
 * "PostgreSQL"): `psql -f schema.pg.sql`, then per table
 * `\copy "t" FROM 't.csv' (FORMAT csv, HEADER)` of the mount's CSV, loads
 * every value equal.  Column types come from what each column held at
 * backup (enum pg_class), not only from its declared type: SQLite lets any
 * column hold any value.
 */
#ifndef STRATA_PGSCHEMA_H
#define STRATA_PGSCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "strata/rowcodec.h"
#include "strata/util.h"

/* bits of what a column holds, recorded per column at backup (the OR over its values) */
enum pg_class {
	PG_INT = 1,
	PG_REAL = 2,
	PG_TEXT = 4,
	PG_BLOB = 8,
	PG_NULL = 16,
	PG_WIDE_INT = 32, /* an integer outside +-2^53: a double cannot hold it */
	PG_BAD_TEXT = 64  /* text holding NUL or not valid UTF-8: PostgreSQL's text cannot */
};

/* the bits one value contributes */
unsigned pg_class_of(const struct value *v);

struct pg_table {
	const char *name;       /* SQLite table name */
	char *const *cols;      /* its stored columns (no generated ones), in CSV header order */
	unsigned ncols;
	const uint8_t *classes; /* per column, enum pg_class bits; NULL: not recorded (older backups) */
};

/*
 * Append to out the PostgreSQL DDL for tables[0..n): CREATE TABLE for each,
 * then the indexes that translate.  schema is SQLite DDL text (statements
 * separated by ";\n", as a generation's schema.sql) in which those tables
 * and their indexes are defined; it may hold more objects than wanted.  A
 * table it does not define (SQLite's sqlite_stat1, shadow tables of a
 * virtual table whose module this SQLite lacks) gets a CREATE TABLE from
 * its column names and classes alone.  0, or -errno with *err set to a
 * one-line message (malloc'd).  The same input gives the same bytes.
 */
int pg_schema(const char *schema, const struct pg_table *tables, size_t n, struct buf *out,
	      char **err);

#endif
