/*
 * pgschema.c - PostgreSQL DDL for backed-up SQLite tables; see strata/pgschema.h.
 *
 * SQLite itself parses the schema: its CREATE TABLE and CREATE INDEX
 * statements run in an empty in-memory database, and PRAGMA table_xinfo,
 * index_list and index_xinfo say what they declare.
 *
 * COLUMN TYPES.  S = the classes a column held at backup, NULL not counted:
 *   S empty (no rows, only NULLs) or classes not recorded: the declared
 *     type's affinity (https://www.sqlite.org/datatype3.html, 3.1): INTEGER
 *     -> bigint, REAL -> double precision, TEXT -> text, BLOB or no type ->
 *     bytea, NUMERIC -> numeric;
 *   {integer} -> bigint; {real} -> double precision; {text} -> text;
 *   {blob} -> bytea;
 *   {integer, real} -> double precision, or numeric when an integer lies
 *     outside +-2^53 (a double cannot hold it; numeric holds every int64 and
 *     the CSV's shortest decimal of every finite double exactly, but has no
 *     -0.0: it loads as 0);
 *   any other mix -> text: each value is its CSV spelling (a blob as \x +
 *     hex, a number as printed).
 * Text holding NUL or invalid UTF-8 cannot be PostgreSQL text: the table is
 * still created, under a comment naming the column (its .jsonl has the
 * values).
 *
 * KEYS.  NOT NULL is kept (unless the column holds NULL anyway).  The
 * PRIMARY KEY is kept, in key order, unless a key column holds NULL (SQLite
 * allows it in a rowid table's key that is not INTEGER) or is text because
 * it mixes classes (1 and '1' are two keys in SQLite, one in PostgreSQL);
 * the key's own index is then translated like a UNIQUE index.  An index is
 * translated when every key part is a stored column: UNIQUE kept, DESC
 * kept, COLLATE dropped (a comment names one that is not BINARY).  Partial
 * and expression indexes, indexes over a generated column and UNIQUE ones
 * over a column that mixes classes are left out, with a comment.
 * Generated columns are not in the CSV and are left out.  Foreign keys,
 * CHECK constraints, defaults, triggers and views are not translated.
 *
 * NAMES are double-quoted, " doubled.  A column named as a PostgreSQL system
 * column (tableoid, xmin, cmin, xmax, cmax, ctid) gets '_' appended until
 * unique; a comment names those longer than PostgreSQL's 63 bytes.
 */
#include "strata/pgschema.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WIDE (INT64_C(1) << 53)
#define VM_STEPS_MAX 10000 /* progress calls (each 1000 VM steps) a schema statement may take */
#define SCAN_MAX ((size_t)256 << 20) /* bytes sqlite3_complete may read, in all */

unsigned pg_class_of(const struct value *v)
{
	switch (v->type) {
	case VAL_NULL:
		return PG_NULL;
	case VAL_INT:
		return PG_INT | (v->i > WIDE || v->i < -WIDE ? PG_WIDE_INT : 0);
	case VAL_REAL:
		return PG_REAL;
	case VAL_BLOB:
		return PG_BLOB;
	default:
		for (size_t i = 0; i < v->n;) {
			size_t l = v->p[i] ? utf8_seq(v->p + i, v->n - i) : 0;
			if (!l)
				return PG_TEXT | PG_BAD_TEXT;
			i += l;
		}
		return PG_TEXT;
	}
}

struct col {
	const char *name;  /* borrowed from the pg_table */
	char *pgname;      /* its name in PostgreSQL */
	char *decl;        /* declared type; NULL: none */
	bool notnull;
	unsigned pk;       /* position in the primary key from 1; 0: not in it */
	unsigned cls;      /* enum pg_class bits; 0: not recorded */
	const char *type;  /* the PostgreSQL type */
	bool mixed;        /* text because it mixes text or blobs with other classes */
};

struct tbl {
	const struct pg_table *t;
	struct col *c;     /* t->ncols */
	int *xmap;         /* table_xinfo cid -> stored column, -1: not stored */
	unsigned nx;
	bool pk_kept;
};

/*
 * Append fmt with each '@' replaced by the next argument quoted as an
 * identifier, each '$' by the next argument as is; both escaped
 * (buf_add_printable): no name from the schema can end a comment line.
 */
static void note(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '@' && *fmt != '$') {
			buf_addc(b, (uint8_t)*fmt);
			continue;
		}
		const char *a = va_arg(ap, const char *);
		char *q = *fmt == '@' ? sql_ident(a) : xstrdup(a);
		buf_add_printable(b, q, strlen(q));
		free(q);
	}
	va_end(ap);
}

static void add_ident(struct buf *b, const char *s)
{
	char *q = sql_ident(s);
	buf_adds(b, q);
	free(q);
}

/* The declared type's affinity (datatype3.html 3.1, rules in that order) as a PostgreSQL type. */
static const char *affinity_type(const char *decl)
{
	static const char *const rules[][2] = {
		{ "INT", "bigint" }, { "CHAR", "text" }, { "CLOB", "text" }, { "TEXT", "text" },
		{ "BLOB", "bytea" }, { "REAL", "double precision" }, { "FLOA", "double precision" },
		{ "DOUB", "double precision" }
	};
	if (!decl || !*decl)
		return "bytea";
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcasestr(decl, rules[i][0]))
			return rules[i][1];
	return "numeric";
}

static const char *col_type(struct col *c)
{
	static const char *const one[] = { [PG_INT] = "bigint", [PG_REAL] = "double precision",
					   [PG_TEXT] = "text", [PG_BLOB] = "bytea" };
	unsigned s = c->cls & (PG_INT | PG_REAL | PG_TEXT | PG_BLOB);

	c->mixed = (s & (s - 1)) && s != (PG_INT | PG_REAL);
	if (!s)
		return affinity_type(c->decl);
	if (!(s & (s - 1))) /* one class */
		return one[s];
	if (s == (PG_INT | PG_REAL))
		return c->cls & PG_WIDE_INT ? "numeric" : "double precision";
	return "text";
}

/* Skip the word w (any case) after blanks; false if s does not start with it. */
static bool word(const char **s, const char *w)
{
	*s += strspn(*s, " \t\r\n");
	if (sqlite3_strnicmp(*s, w, (int)strlen(w)))
		return false;
	*s += strlen(w);
	return true;
}

/* Only CREATE [UNIQUE] INDEX and CREATE [VIRTUAL] TABLE run: never ATTACH, PRAGMA, triggers. */
static bool wanted(const char *s)
{
	if (!word(&s, "CREATE"))
		return false;
	if (!word(&s, "UNIQUE"))
		word(&s, "VIRTUAL");
	return word(&s, "TABLE") || word(&s, "INDEX");
}

static int progress(void *arg)
{
	return ++*(unsigned *)arg > VM_STEPS_MAX;
}

/*
 * Run the wanted statements of schema, failures ignored (a virtual table's
 * module may be missing).  The schema may come from a hostile repository:
 * only the first statement of each piece runs, none for long (CREATE TABLE
 * ... AS SELECT could loop), and the loading stops when sqlite3_complete
 * has read SCAN_MAX bytes (it reads a statement again at each ";\n" inside
 * it: quadratic in their number).
 */
static void load_schema(sqlite3 *db, const char *schema)
{
	struct buf stmt = BUF_INIT;
	const char *p = schema;
	size_t budget = SCAN_MAX;
	unsigned steps;

	sqlite3_progress_handler(db, 1000, progress, &steps);
	while (*p) {
		const char *e = strstr(p, ";\n");
		size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
		buf_add(&stmt, p, n);
		p += e ? n + 1 : n;
		if (stmt.len > budget)
			break;
		budget -= stmt.len;
		if (e && !sqlite3_complete((const char *)stmt.data)) {
			buf_addc(&stmt, '\n'); /* a ";\n" inside the statement */
			continue;
		}
		sqlite3_stmt *st;
		steps = 0;
		if (wanted((const char *)stmt.data) &&
		    sqlite3_prepare_v2(db, (const char *)stmt.data, -1, &st, NULL) == SQLITE_OK) {
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
		buf_reset(&stmt);
	}
	buf_release(&stmt);
	sqlite3_progress_handler(db, 0, NULL, NULL);
}

/*
 * The stored columns as the schema declares them, into tb; false when the
 * schema does not define the table with exactly t->cols.  Notes the
 * generated columns left out.
 */
static bool read_cols(sqlite3 *db, struct tbl *tb, struct buf *notes)
{
	const struct pg_table *t = tb->t;
	sqlite3_stmt *st;
	unsigned k = 0;
	bool ok = true;

	if (sqlite3_prepare_v2(db, "SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?1)"
			       " ORDER BY cid", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *decl = (const char *)sqlite3_column_text(st, 1);
		tb->xmap = xrealloc(tb->xmap, (tb->nx + 1) * sizeof(*tb->xmap));
		tb->xmap[tb->nx++] = -1;
		if (sqlite3_column_int(st, 4)) {
			if (sqlite3_column_int(st, 4) >= 2)
				note(notes, "-- @: column @ is generated in SQLite and not in the CSV: left out\n",
				     t->name, name);
			continue;
		}
		ok = k < t->ncols && name && !strcmp(name, t->cols[k]);
		if (!ok)
			break;
		tb->xmap[tb->nx - 1] = (int)k;
		tb->c[k].decl = decl && *decl ? xstrdup(decl) : NULL;
		tb->c[k].notnull = sqlite3_column_int(st, 2) != 0;
		tb->c[k].pk = (unsigned)sqlite3_column_int(st, 3);
		k++;
	}
	sqlite3_finalize(st);
	return ok && k == t->ncols && tb->nx;
}

static void name_note(struct buf *notes, const char *name)
{
	if (strlen(name) > 63)
		note(notes, "-- PostgreSQL cuts names to 63 bytes: @\n", name);
}

/* Per-column notes, and whether the PRIMARY KEY can be kept. */
static void column_notes(struct tbl *tb, struct buf *notes)
{
	const struct pg_table *t = tb->t;
	const char *why = NULL, *whycol = NULL;
	bool haspk = false;

	name_note(notes, t->name);
	for (unsigned k = 0; k < t->ncols; k++) {
		struct col *c = &tb->c[k];
		name_note(notes, c->name);
		if (c->cls & PG_BAD_TEXT)
			note(notes, "-- @: column @ holds text with NUL or invalid UTF-8, which PostgreSQL's "
			     "text cannot: loading @ fails (its .jsonl has every value)\n", t->name, c->name,
			     t->name);
		if (c->mixed)
			note(notes, "-- @: column @ mixes text or blobs with other values: text, each value "
			     "as its CSV spelling\n", t->name, c->name);
		if (!c->mixed && c->cls & PG_WIDE_INT && c->cls & PG_REAL)
			note(notes, "-- @: column @ mixes reals with integers beyond 2^53: numeric "
			     "(-0.0 loads as 0)\n", t->name, c->name);
		if (c->notnull && (c->cls & PG_NULL)) {
			note(notes, "-- @: column @ is NOT NULL in SQLite but holds NULL: NOT NULL left out\n",
			     t->name, c->name);
			c->notnull = false;
		}
		if (!c->pk)
			continue;
		haspk = true;
		if (!why && (c->cls & PG_NULL))
			why = "holds NULL, which SQLite allows in a rowid table's key", whycol = c->name;
		if (!why && c->mixed)
			why = "mixes classes as text: keys SQLite keeps apart (1 and '1') may be equal",
			whycol = c->name;
	}
	tb->pk_kept = haspk && !why;
	if (why)
		note(notes, "-- @: no PRIMARY KEY: column @ $\n", t->name, whycol, why);
}

static bool taken(const struct pg_table *t, const char *name)
{
	for (unsigned k = 0; k < t->ncols; k++)
		if (!strcmp(t->cols[k], name))
			return true;
	return false;
}

/*
 * PostgreSQL's system column names are taken (CREATE TABLE fails): such a
 * column gets '_' appended until no other column has the name.  \copy
 * fills columns by position, so the CSV header need not match.
 */
static void pg_names(struct tbl *tb, struct buf *notes)
{
	static const char *const sys[] = { "tableoid", "xmin", "cmin", "xmax", "cmax", "ctid" };
	const struct pg_table *t = tb->t;

	for (unsigned k = 0; k < t->ncols; k++) {
		struct col *c = &tb->c[k];
		c->pgname = xstrdup(c->name);
		for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
			if (strcmp(c->name, sys[i]))
				continue;
			while (taken(t, c->pgname)) {
				char *n = xasprintf("%s_", c->pgname);
				free(c->pgname);
				c->pgname = n;
			}
			note(notes, "-- @: column @ has a system column's name in PostgreSQL: named @\n",
			     t->name, c->name, c->pgname);
		}
	}
}

static void emit_table(struct tbl *tb, const struct buf *notes, struct buf *out)
{
	const struct pg_table *t = tb->t;
	unsigned npk = 0;

	buf_addc(out, '\n');
	buf_add(out, notes->data, notes->len);
	buf_adds(out, "CREATE TABLE ");
	add_ident(out, t->name);
	buf_adds(out, " (\n");
	for (unsigned k = 0; k < t->ncols; k++) {
		struct col *c = &tb->c[k];
		if (c->pk > npk)
			npk = c->pk;
		buf_addc(out, '\t');
		add_ident(out, c->pgname);
		buf_addf(out, " %s%s%s\n", c->type, c->notnull ? " NOT NULL" : "",
			 k + 1 < t->ncols || tb->pk_kept ? "," : "");
	}
	if (tb->pk_kept) {
		buf_adds(out, "\tPRIMARY KEY (");
		for (unsigned p = 1; p <= npk; p++)
			for (unsigned k = 0; k < t->ncols; k++)
				if (tb->c[k].pk == p) {
					buf_adds(out, p > 1 ? ", " : "");
					add_ident(out, tb->c[k].pgname);
				}
		buf_adds(out, ")\n");
	}
	buf_adds(out, ");\n");
}

/* One index (ix: its key parts, index_xinfo), or a comment saying why not. */
static void emit_index(sqlite3_stmt *ix, const struct tbl *tb, const char *name, bool uniq,
		       bool partial, struct buf *out)
{
	struct buf keys = BUF_INIT, notes = BUF_INIT;
	const char *why = partial ? "a partial index (its WHERE is not translated)" : NULL;

	sqlite3_bind_text(ix, 1, name, -1, SQLITE_STATIC);
	while (sqlite3_step(ix) == SQLITE_ROW) {
		int cid = sqlite3_column_int(ix, 0), k = -1;
		const char *coll = (const char *)sqlite3_column_text(ix, 2);
		if (cid >= 0 && (unsigned)cid < tb->nx)
			k = tb->xmap[cid];
		if (k < 0) {
			why = why ? why : cid == -2 ? "an expression index" : "over a column not in the CSV";
			continue;
		}
		const struct col *c = &tb->c[k];
		if (uniq && c->mixed && !why)
			why = "UNIQUE over a column that mixes classes as text";
		if (coll && sqlite3_stricmp(coll, "BINARY"))
			note(&notes, "-- index @: COLLATE $ of column @ left out\n", name, coll, c->name);
		buf_adds(&keys, keys.len ? ", " : "");
		add_ident(&keys, c->pgname);
		buf_adds(&keys, sqlite3_column_int(ix, 1) ? " DESC" : "");
	}
	sqlite3_reset(ix);
	if (!why && !keys.len)
		why = "no key columns";
	if (why) {
		note(out, "-- index @ of @ left out: $\n", name, tb->t->name, why);
	} else {
		buf_add(out, notes.data, notes.len);
		buf_adds(out, uniq ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
		add_ident(out, name);
		buf_adds(out, " ON ");
		add_ident(out, tb->t->name);
		buf_addf(out, " (%s);\n", (const char *)keys.data);
	}
	buf_release(&keys);
	buf_release(&notes);
}

/* The table's indexes in creation order (its key's and UNIQUE constraints' first). */
static void emit_indexes(sqlite3 *db, const struct tbl *tb, struct buf *out)
{
	sqlite3_stmt *il = NULL, *ix = NULL;

	if (sqlite3_prepare_v2(db, "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1)"
			       " ORDER BY seq DESC", -1, &il, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT cid, \"desc\", coll FROM pragma_index_xinfo(?1) WHERE key"
			       " ORDER BY seqno", -1, &ix, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(il, 1, tb->t->name, -1, SQLITE_STATIC);
	while (sqlite3_step(il) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(il, 0);
		const char *origin = (const char *)sqlite3_column_text(il, 2);
		if (!name || (origin && !strcmp(origin, "pk") && tb->pk_kept))
			continue;
		name_note(out, name);
		emit_index(ix, tb, name, sqlite3_column_int(il, 1) != 0, sqlite3_column_int(il, 3) != 0,
			   out);
	}
out:
	sqlite3_finalize(il);
	sqlite3_finalize(ix);
}

static void one_table(sqlite3 *db, const struct pg_table *t, struct buf *out, struct buf *idx)
{
	struct tbl tb = { .t = t, .c = xcalloc(t->ncols ? t->ncols : 1, sizeof(struct col)) };
	struct buf notes = BUF_INIT;
	bool found = read_cols(db, &tb, &notes);

	if (!found) {
		buf_reset(&notes);
		note(&notes, "-- @: its CREATE TABLE is not in the schema: types from its values alone, "
		     "no keys\n", t->name);
		for (unsigned k = 0; k < t->ncols; k++) {
			free(tb.c[k].decl);
			tb.c[k] = (struct col){ 0 };
		}
	}
	for (unsigned k = 0; k < t->ncols; k++) {
		tb.c[k].name = t->cols[k];
		tb.c[k].cls = t->classes ? t->classes[k] : 0;
		tb.c[k].type = col_type(&tb.c[k]);
	}
	pg_names(&tb, &notes);
	column_notes(&tb, &notes);
	emit_table(&tb, &notes, out);
	if (found)
		emit_indexes(db, &tb, idx);
	for (unsigned k = 0; k < t->ncols; k++) {
		free(tb.c[k].decl);
		free(tb.c[k].pgname);
	}
	free(tb.c);
	free(tb.xmap);
	buf_release(&notes);
}

int pg_schema(const char *schema, const struct pg_table *tables, size_t n, struct buf *out,
	      char **err)
{
	struct buf idx = BUF_INIT;
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		*err = xasprintf("cannot open an in-memory SQLite database: %s",
				 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -ENOMEM;
	}
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	load_schema(db, schema ? schema : "");
	buf_adds(out, "-- PostgreSQL schema of SQLite tables, by strata; types: see docs/FORMAT.md "
		 "\"PostgreSQL\"\n"
		 "-- Not translated: foreign keys, CHECK constraints, defaults, triggers, views.\n"
		 "-- Load each table: \\copy \"t\" FROM 't.csv' (FORMAT csv, HEADER) (the CSV is UTF-8)\n"
		 "SET client_encoding = 'UTF8';\n");
	for (size_t i = 0; i < n; i++)
		one_table(db, &tables[i], out, &idx);
	if (idx.len) {
		buf_addc(out, '\n');
		buf_add(out, idx.data, idx.len);
	}
	buf_release(&idx);
	sqlite3_close(db);
	return 0;
}
