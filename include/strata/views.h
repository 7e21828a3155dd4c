/*
 * views.h - typed views of a chunk's rows beside CSV (docs/FORMAT.md
 * "JSONL" and "SQL"): JSON Lines, lossless for every storage class, and
 * SQL INSERT statements that restore every value and rowid exactly.
 *
 * Pure functions of the typed rows and the table's names, like render.h:
 * the length recorded at backup is the length served forever, so any
 * change to these rules needs a format version bump.
 */
#ifndef STRATA_VIEWS_H
#define STRATA_VIEWS_H

#include <stdbool.h>
#include <stdint.h>

#include "strata/rowcodec.h"
#include "strata/util.h"

enum view_format { VIEW_CSV = 0, VIEW_JSONL = 1, VIEW_SQL = 2, VIEW_FORMATS = 3 };

/* The file name extension of a format: "csv", "jsonl", "sql". */
const char *view_ext(enum view_format f);

/* What a table's rows render with: built once per table (view_table_init). */
struct view_table {
	unsigned ncols;
	struct buf *keys;   /* JSONL: "\"name\":" per column */
	struct buf insert;  /* SQL: INSERT INTO "t"(rowid,"a",...) VALUES( */
	unsigned hidden;    /* values before the columns: 1 (the rowid) for a rowid table */
	bool rowid;         /* INSERTs name the rowid */
	unsigned rev;       /* the rendering's revision (VIEW_REV, or an older one) */
	/*
	 * A changes file whose rows are all one op (a table new in its
	 * generation: changes.csv is every row as an insert): with op set,
	 * VIEW_JSONL renders each row as {"op":"<op>", then its members, or,
	 * with op_csv, as "<op>," and its CSV line.  Lengths: a row's JSONL
	 * length + strlen(op) + 8, or its CSV length + strlen(op) + 1.
	 */
	const char *op;     /* a static string, or NULL */
	bool op_csv;
};

/*
 * Revisions of the JSONL and SQL renderings, recorded with the lengths
 * they measured (docs/FORMAT.md "SQL"): 1, manifest version 2: text
 * holding CR was an SQL literal, which the sqlite3 shell reading a script
 * cuts short (it drops a CR before LF); 2, from manifest version 3: such
 * text is CAST(X'..' AS TEXT).  view_table_init sets VIEW_REV; a reader of
 * an older generation sets the revision its lengths were measured with.
 */
#define VIEW_REV 2

/*
 * name: the table's name; cols: its stored columns; without_rowid: rows
 * carry no hidden rowid.  A rowid table's INSERTs name its rowid through
 * the first of rowid, _rowid_, oid that no column shadows (none: the rowid
 * is left out).
 */
void view_table_init(struct view_table *t, const char *name, char *const *cols, unsigned ncols,
		     bool without_rowid);
void view_table_release(struct view_table *t);

/*
 * Render every row of a typed chunk in format f (VIEW_JSONL or VIEW_SQL),
 * appended to out; *nrows is the row count.  -EUCLEAN when the chunk is
 * malformed or does not have the table's shape.
 */
int view_render_chunk(enum view_format f, const struct view_table *t, const uint8_t *chunk,
		      size_t n, struct buf *out, uint64_t *nrows);

/*
 * The length view_render_chunk() gives, measured without rendering (backup
 * records it for every chunk).  Same errors.
 */
int view_chunk_len(enum view_format f, const struct view_table *t, const uint8_t *chunk,
		   size_t n, uint64_t *len);
/*
 * Both lengths in one pass over the rows; with classes (t->ncols bytes),
 * also what each column holds (OR of pgschema.h pg_class_of).
 */
int view_chunk_lens(const struct view_table *t, const uint8_t *chunk, size_t n,
		    uint64_t *jsonl, uint64_t *sql, uint8_t *classes);

/* One value as an SQL literal that SQLite reads back as exactly this value (revision rev). */
void view_sql_value(struct buf *b, const struct value *v, unsigned rev);

#endif
