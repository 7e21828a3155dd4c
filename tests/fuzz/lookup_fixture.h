/*
 * lookup_fixture.h - the small repository fuzz_lookup queries, built with
 * the library's own writers (repo_init, pack_writer, manifest_encode,
 * catalog_sync), and the list of directories ("parents") whose names the
 * mount resolves, with the inode numbers docs/FORMAT.md gives them.
 * gen_corpus.c uses the same fixture to write seeds that are real names and
 * real inode numbers.
 *
 * Tables are chosen for awkward names: escaped and truncated table
 * directory names, text/real/blob/composite keys, truncated key names,
 * an empty table, and a second generation holding some of the same tables
 * at other positions.  Some chunks are shared by tables of other names
 * (their JSONL and SQL renderings differ by table).
 *
 * The manifests are version 5 (MANIFEST_VERSION, what manifest_encode
 * writes; version 3's content plus the database name, see below, with
 * the chunk lists in index nodes, stored as a backup stores them): every
 * chunk carries its jsonl_len and sql_len, measured with view_chunk_lens()
 * as backup does (rendering revision VIEW_REV: a text holding CR is in
 * prices), and every table what its columns hold (classes, the OR over its
 * chunks), so the mount serves each table and row-range file as CSV, JSONL
 * and SQL, a schema.pg.sql per table and per generation, and a dump.sql
 * per generation.  For those, the manifests carry a database section
 * (pragmas; the schema objects in the source's order) and real CREATE
 * statements as the tables' and the generations' schemas, as backup
 * writes them:
 *  - generation 1: thirteen tables, an index, a view (with a byte that is
 *    not UTF-8) and a trigger (a ";\n" inside), five pragmas; among the
 *    tables one whose directory is named "changes" (it keeps its own
 *    changes.csv: no changes files) and "keyed", a rowid table in the order
 *    of a declared TEXT key (TABLE_KEY_ORDER: keys are that value then the
 *    rowid; two rows hold NULL there);
 *  - generation 2: three of those tables at other positions (the same
 *    chunks: no changes), then a virtual table's shadow table
 *    (TABLE_SHADOW: rows in dump.sql, no schema.pg.sql) and sqlite_sequence
 *    (TABLE_INTERNAL: its rows last in dump.sql, after "DELETE FROM
 *    sqlite_sequence;"), the virtual table itself as an object only, a
 *    table of FX_MANY one-row chunks (a read of it or of dump.sql in more
 *    pieces than a reply starts with), and new versions of "reals" and
 *    "keyed" that share their first chunk with generation 1's and differ
 *    after it (an update, a delete and an insert each: changes.csv and the
 *    histories of tables/<T>/key/);
 *  - generation 3 (older than the others: "latest" is generation 2, and
 *    it is the first version of "customers", with its first chunk, which
 *    generations 1 and 2 share, and a chunk of rows 100..103 that compresses
 *    to more than 512 bytes, which they do not have): two tables whose
 *    directories are named dump.sql and schema.pg.sql, as a strata that did
 *    not reserve those names wrote them: they hide the generation's own
 *    files of those names.
 *
 * Mount layout 5 adds, beside the generations, tables/ (every table
 * directory name of any generation; tables/<T>/ a link per generation
 * holding T, then key/) and at/, and in each table directory key/ and
 * changes.csv / changes.jsonl.  Their parents here: FX_KEY (<gen>/<T>/key),
 * FX_TABLES, FX_AT, FX_HIST (tables/<T>, by its index into dirs) and
 * FX_HIST_KEY (tables/<T>/key).  The numbers of tables/<T> and its key/
 * are hashes the tree hands out (type 15): their ino here is 0, to be
 * learned from the tree.
 *
 * Mount layout 6 adds db/ (every database of the repository; db/<name>/ a
 * link per generation of it, then latest).  Its parents here: FX_DB (db/)
 * and FX_DB_NAME (db/<name>, by its index into dbs; a hash, learned).  A
 * generation's database is manifest_db_name() of its manifest (manifest
 * version 4: the "db" property manifest_encode writes, m->dbname or else
 * db_name_default() of the source): generations 1 and 2 have no dbname and
 * the source /src/fuzz.db, so the database "fuzz" (two generations of the
 * same second, ordered by seq); generation 3 was read from another source
 * and named with --name "Shop.v2", which is not its source's default name
 * ("orders"): only the property says it.  "Shop.v2" sorts before "fuzz"
 * bytewise (not case-insensitively), and its latest is generation 3, which
 * is not the root's.  tables/, at/, the changes files and the row-range
 * files' sharing span both databases (chunks are shared by all of them).
 */
#ifndef STRATA_LOOKUP_FIXTURE_H
#define STRATA_LOOKUP_FIXTURE_H

#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "strata/catalog.h"
#include "strata/manifest.h"
#include "strata/naming.h"
#include "strata/pgschema.h"
#include "strata/repo.h"
#include "strata/rowkey.h"
#include "strata/views.h"

#define FX_MAX_CHUNKS 128
#define FX_MANY 70 /* chunks of the table "many": more than a reply's first RD_IOV_SMALL pieces */
#define FX_MAX_GENS 3
#define FX_MAX_TABLES 16 /* per generation */
#define FX_MAX_DIRS (FX_MAX_GENS * FX_MAX_TABLES)

struct fx_chunk {
	uint8_t *data;
	size_t len;
	struct pack_entry e;
	struct buf fk, lk;
};

/*
 * One directory the mount can look names up in: the root, a generation, a
 * table, its rows/ and key/; tables/, at/, tables/<T> and tables/<T>/key;
 * db/ and db/<name>.
 */
enum fx_kind {
	FX_ROOT, FX_GEN, FX_TABLE, FX_ROWS, FX_KEY, FX_TABLES, FX_AT, FX_HIST, FX_HIST_KEY,
	FX_DB, FX_DB_NAME, /* layout 6: db/, db/<name> */
};
struct fx_parent {
	enum fx_kind kind;
	size_t gen;  /* index into fx.gens */
	size_t tidx; /* table position in that generation */
	size_t dir;  /* FX_HIST, FX_HIST_KEY: index into fx.dirs; FX_DB_NAME: into fx.dbs */
	uint64_t ino; /* its inode number (fx_ino, fx_ext_ino); 0: a hash, learned from the tree */
};

/*
 * Inode numbers as docs/FORMAT.md "Inode numbers" defines them (a stable
 * format: a number served once never changes): type << 60 | seq << 36 |
 * tidx << 20 | position, unused fields 0; the root is 1, "latest" 2.
 * A table file (type 6) has its format (enum view_format: 0 CSV, 1 JSONL,
 * 2 SQL) in the position.  A row-range file was type 8 (CSV), 11 (JSONL)
 * or 12 (SQL) with its chunk in the position up to mount layout 5; from
 * layout 6 it has a hashed number (type 15, shared by the generations
 * holding the same bytes) and those numbers name nothing (gen_corpus.c
 * still writes seeds of them: misses).  A table's schema.sql is type 5
 * position 0, its schema.pg.sql type 5 position 1; a generation's dump.sql
 * is type 13 position 0, its schema.pg.sql type 13 position 1 (table 0).
 */
enum fx_type {
	FX_T_GEN = 1, FX_T_GEN_JSON = 2, FX_T_GEN_SCHEMA = 3, FX_T_TABLE = 4,
	FX_T_TABLE_SCHEMA = 5, FX_T_TABLE_CSV = 6, FX_T_ROWS = 7, FX_T_ROWS_FILE = 8,
	FX_T_ROWS_GROUP = 10, FX_T_ROWS_JSONL = 11, FX_T_ROWS_SQL = 12, FX_T_GEN_FILE = 13,
};
/* positions: of type 5 (a table's schemas) and of type 13 (a generation's files) */
enum { FX_SCHEMA_SQL = 0, FX_SCHEMA_PG = 1 };
enum { FX_GEN_DUMP = 0, FX_GEN_PG = 1 };
#define FX_INO_ROOT 1
#define FX_INO_LATEST 2

static inline uint64_t fx_ino(enum fx_type type, uint64_t seq, uint64_t tidx, uint64_t pos)
{
	return (uint64_t)type << 60 | seq << 36 | tidx << 20 | pos;
}

/*
 * Mount layout 5: type 14 is an extended address, type << 60 | subtype <<
 * 56 | seq << 32 | tidx << 16 | position (unused fields 0); type 15 a hash
 * of the node's identity (its name included), served while the tree
 * remembers it (tables/<T>, tables/<T>/key, key files, histories, at/<TIME>).
 */
#define FX_T_EXT 14
#define FX_T_HASH 15
enum fx_ext {
	FX_EXT_TABLES = 0,    /* tables/ */
	FX_EXT_AT = 1,        /* at/ */
	FX_EXT_KEY_DIR = 2,   /* <gen>/<table>/key (seq, tidx) */
	/* 3: <gen>/<table>/changes.* before catalog schema 7 (now hashed) */
	FX_EXT_HIST_LINK = 4, /* tables/<T>/<gen> (seq, tidx) */
	FX_EXT_DB = 5,        /* db/ (layout 6) */
	FX_EXT_DB_LINK = 6,   /* db/<name>/<gen> (seq) */
};

static inline uint64_t fx_ext_ino(enum fx_ext sub, uint64_t seq, uint64_t tidx, uint64_t pos)
{
	return (uint64_t)FX_T_EXT << 60 | (uint64_t)sub << 56 | seq << 32 | tidx << 16 | pos;
}

/* The type of a row-range file in format fmt. */
static inline enum fx_type fx_rows_type(enum view_format fmt)
{
	return fmt == VIEW_JSONL ? FX_T_ROWS_JSONL : fmt == VIEW_SQL ? FX_T_ROWS_SQL
		: FX_T_ROWS_FILE;
}

struct fx {
	char *dir;   /* temporary directory holding repo/ */
	char *repo;
	struct fx_chunk chunks[FX_MAX_CHUNKS];
	size_t nchunks;
	struct manifest gens[FX_MAX_GENS];
	size_t ngens;
	/* fnames[fmt][g][t][k]: the rows/ file name of chunk k in format fmt (view_format) */
	char ***fnames[VIEW_FORMATS][FX_MAX_GENS];
	struct fx_parent *parents;
	size_t nparents;
	/* every table directory name of any generation, sorted bytewise (tables/ lists them) */
	char *dirs[FX_MAX_DIRS];
	size_t ndirs;
	/* every database name (manifest_db_name of a generation), sorted bytewise (db/ lists them) */
	char *dbs[FX_MAX_GENS];
	size_t ndbs;
};

/* One row of a table version: its encoded key, and a one-row chunk (shape header + the row). */
struct fx_row {
	struct buf key, one;
};

static inline struct value fx_int(int64_t i)
{
	struct value v = { .type = VAL_INT, .i = i };
	return v;
}

static inline struct value fx_real(double r)
{
	struct value v = { .type = VAL_REAL, .r = r };
	return v;
}

static inline struct value fx_text(const char *s)
{
	struct value v = { .type = VAL_TEXT, .p = (const uint8_t *)s, .n = strlen(s) };
	return v;
}

static inline struct value fx_blob(const void *p, size_t n)
{
	struct value v = { .type = VAL_BLOB, .p = p, .n = n };
	return v;
}

/* A chunk of nrows rows of nhidden + ncols values each; returns its index. */
static inline size_t fx_add_chunk(struct fx *f, const struct chunk_shape *s,
				  const struct value *rows, size_t nrows)
{
	struct fx_chunk *c = &f->chunks[f->nchunks];
	struct buf b = BUF_INIT, csv = BUF_INIT;
	unsigned nv = s->nhidden + s->ncols;
	uint64_t nr;

	if (f->nchunks == FX_MAX_CHUNKS)
		abort();
	chunk_shape_encode(&b, s);
	for (size_t i = 0; i < nrows * nv; i++)
		value_encode(&b, &rows[i]);
	buf_init(&c->fk);
	buf_init(&c->lk);
	key_encode(&c->fk, s, rows);
	key_encode(&c->lk, s, rows + (nrows - 1) * nv);
	if (render_csv_chunk(b.data, b.len, &csv, &nr) != 0 || nr != nrows)
		abort();
	memset(&c->e, 0, sizeof(c->e));
	chunk_id_of(&c->e.id, b.data, b.len);
	c->e.ulen = (uint32_t)b.len;
	c->e.nrows = nr;
	c->e.csv_len = csv.len;
	buf_release(&csv);
	c->data = buf_detach(&b, &c->len);
	return f->nchunks++;
}

static inline size_t fx_rowid_chunk(struct fx *f, int64_t first, unsigned n, const char *tag)
{
	struct fx_chunk *c = &f->chunks[f->nchunks];
	if (f->nchunks == FX_MAX_CHUNKS)
		abort();
	buf_init(&c->fk);
	buf_init(&c->lk);
	c->data = make_chunk(first, n, tag, &c->e, &c->len, &c->fk, &c->lk);
	return f->nchunks++;
}

/* A schema object (a row of the source's sqlite_schema), after the others. */
static inline void fx_object(struct manifest *m, const char *type, const char *name,
			     const char *tbl, const char *sql)
{
	m->objects = xrealloc(m->objects, (m->nobjects + 1) * sizeof(*m->objects));
	struct manifest_object *o = &m->objects[m->nobjects++];
	o->type = xstrdup(type);
	o->name = xstrdup(name);
	o->tbl_name = xstrdup(tbl);
	o->sql = xstrdup(sql);
}

static inline void fx_pragma(struct manifest *m, const char *name, int64_t value)
{
	m->pragmas = xrealloc(m->pragmas, (m->npragmas + 1) * sizeof(*m->pragmas));
	m->pragmas[m->npragmas].name = xstrdup(name);
	m->pragmas[m->npragmas++].value = value;
}

/*
 * A table's CREATE TABLE as its source would hold it: declared types by
 * column position (INTEGER, TEXT, none) and the PRIMARY KEY of its chunks'
 * shape (key): a WITHOUT ROWID table's, or (key->nhidden 1) a rowid table's
 * declared key, whose rowid ends the chunks' keys (TABLE_KEY_ORDER).
 */
static inline char *fx_create_table(const char *name, char *const *cols, unsigned ncols,
				    const struct chunk_shape *key)
{
	static const char *const decl[] = { " INTEGER", " TEXT", "" };
	struct buf b = BUF_INIT;
	char *q = sql_ident(name);
	buf_addf(&b, "CREATE TABLE %s(", q);
	free(q);
	for (unsigned c = 0; c < ncols; c++) {
		q = sql_ident(cols[c]);
		buf_addf(&b, "%s%s%s", c ? ", " : "", q, decl[c % 3]);
		free(q);
	}
	if (key) {
		buf_adds(&b, ", PRIMARY KEY(");
		for (unsigned k = 0, n = 0; k < key->nkey; k++) {
			if (key->keypos[k] < key->nhidden)
				continue; /* the rowid */
			q = sql_ident(cols[key->keypos[k] - key->nhidden]);
			buf_addf(&b, "%s%s", n++ ? ", " : "", q);
			free(q);
		}
		buf_adds(&b, key->nhidden ? "))" : ")) WITHOUT ROWID");
	} else {
		buf_adds(&b, ")");
	}
	buf_addc(&b, 0);
	return (char *)buf_detach(&b, NULL);
}

/*
 * Append table name to m, of the chunks which[0..n) (cols: its column
 * names, NULL: c0, "col,1", c2 ...; key: a WITHOUT ROWID or key-ordered table's key), with
 * its CREATE TABLE as a schema object and as its schema.sql, as backup
 * writes them (SQLite's own tables get a comment for a schema).
 */
static inline struct manifest_table *fx_table(struct manifest *m, const char *name,
					      unsigned flags, unsigned ncols,
					      const char *const *cols, const struct chunk_shape *key,
					      const struct fx *f, const size_t *which, size_t n)
{
	struct manifest_table *t;
	if (!m->tables)
		m->tables = xcalloc(FX_MAX_TABLES, sizeof(*m->tables));
	if (m->ntables == FX_MAX_TABLES)
		abort();
	t = &m->tables[m->ntables++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->dirname = name_table_dir(name);
	t->flags = flags;
	t->ncols = ncols;
	t->cols = xcalloc(ncols ? ncols : 1, sizeof(char *));
	for (unsigned i = 0; i < ncols; i++)
		t->cols[i] = cols ? xstrdup(cols[i]) : xasprintf(i == 1 ? "col,%u" : "c%u", i);
	char *create = fx_create_table(name, t->cols, ncols, key);
	t->schema = flags & TABLE_INTERNAL
		    ? xasprintf("-- %s is SQLite's own table; 'strata restore' and dump.sql restore its rows\n", name)
		    : xasprintf("%s;\n", create);
	fx_object(m, "table", name, name, create);
	free(create);
	/* what each column holds: the OR over the chunks, as backup records it */
	t->classes = xcalloc(ncols ? ncols : 1, 1);
	t->nchunks = n;
	t->chunks = xcalloc(n ? n : 1, sizeof(*t->chunks));
	/* the view lengths depend on the table's names: measured per table, as backup does */
	struct view_table vt;
	view_table_init(&vt, t->name, t->cols, ncols, (flags & TABLE_WITHOUT_ROWID) != 0);
	for (size_t k = 0; k < n; k++) {
		const struct fx_chunk *c = &f->chunks[which[k]];
		struct manifest_chunk *mc = &t->chunks[k];
		mc->id = c->e.id;
		mc->nrows = c->e.nrows;
		mc->ulen = c->e.ulen;
		mc->csv_len = c->e.csv_len;
		if (view_chunk_lens(&vt, c->data, c->len, &mc->jsonl_len, &mc->sql_len, t->classes))
			abort();
		mc->first_len = c->fk.len;
		mc->first_key = xmalloc(c->fk.len);
		memcpy(mc->first_key, c->fk.data, c->fk.len);
		mc->last_len = c->lk.len;
		mc->last_key = xmalloc(c->lk.len);
		memcpy(mc->last_key, c->lk.data, c->lk.len);
		t->nrows += mc->nrows;
		t->csv_size += mc->csv_len;
	}
	view_table_release(&vt);
	return t;
}

/* An index or trigger of table t of m: a schema object, and in t's schema.sql. */
static inline void fx_table_object(struct manifest *m, struct manifest_table *t, const char *type,
				   const char *name, const char *sql)
{
	char *s = xasprintf("%s%s;\n", t->schema, sql);
	free(t->schema);
	t->schema = s;
	fx_object(m, type, name, t->name, sql);
}

/* Append a copy of table tidx of src to m, with its schema objects. */
static inline void fx_copy_table(struct manifest *m, const struct manifest *src, size_t tidx)
{
	const struct manifest_table *s = &src->tables[tidx];
	struct manifest_table *dst;
	if (!m->tables)
		m->tables = xcalloc(FX_MAX_TABLES, sizeof(*m->tables));
	if (m->ntables == FX_MAX_TABLES)
		abort();
	dst = &m->tables[m->ntables++];
	*dst = *s;
	dst->name = xstrdup(s->name);
	dst->dirname = xstrdup(s->dirname);
	dst->schema = xstrdup(s->schema);
	dst->cols = xcalloc(s->ncols ? s->ncols : 1, sizeof(char *));
	for (unsigned i = 0; i < s->ncols; i++)
		dst->cols[i] = xstrdup(s->cols[i]);
	dst->classes = xcalloc(s->ncols ? s->ncols : 1, 1);
	if (s->classes)
		memcpy(dst->classes, s->classes, s->ncols);
	dst->chunks = xcalloc(s->nchunks ? s->nchunks : 1, sizeof(*dst->chunks));
	for (size_t k = 0; k < s->nchunks; k++) {
		const struct manifest_chunk *sc = &s->chunks[k];
		struct manifest_chunk *d = &dst->chunks[k];
		*d = *sc;
		d->first_key = xmalloc(sc->first_len);
		memcpy(d->first_key, sc->first_key, sc->first_len);
		d->last_key = xmalloc(sc->last_len);
		memcpy(d->last_key, sc->last_key, sc->last_len);
	}
	for (size_t i = 0; i < src->nobjects; i++) {
		const struct manifest_object *o = &src->objects[i];
		if (!strcmp(o->tbl_name, s->name))
			fx_object(m, o->type, o->name, o->tbl_name, o->sql);
	}
}

static inline void fx_gen(struct manifest *m, uint64_t seq, const char *name, int64_t t)
{
	memset(m, 0, sizeof(*m));
	m->version = MANIFEST_VERSION; /* as manifest_encode writes it */
	m->seq = seq;
	m->name = xstrdup(name);
	m->id[0] = (uint8_t)seq;
	m->time = t;
	m->label = xstrdup("fuzz");
	m->source = xstrdup("/src/fuzz.db");
}

/*
 * The generation's schema.sql, as backup writes it: every object but
 * SQLite's own tables and the shadow tables of virtual tables, tables
 * first, then indexes, views and triggers, each with ";\n".
 */
static inline char *fx_gen_schema(const struct manifest *m)
{
	static const char *const order[] = { "table", "index", "view", "trigger" };
	struct buf b = BUF_INIT;
	for (size_t g = 0; g < 4; g++)
		for (size_t i = 0; i < m->nobjects; i++) {
			const struct manifest_object *o = &m->objects[i];
			bool shadow = false;
			for (size_t t = 0; t < m->ntables; t++)
				shadow |= (m->tables[t].flags & TABLE_SHADOW) &&
					  !strcmp(m->tables[t].name, o->name);
			if (strcmp(o->type, order[g]) || !strncmp(o->name, "sqlite_", 7) ||
			    (g == 0 && shadow))
				continue;
			buf_adds(&b, o->sql);
			buf_adds(&b, ";\n");
		}
	buf_addc(&b, 0);
	return (char *)buf_detach(&b, NULL);
}

/* The tables and generations, in memory only (no files). */
static inline void fx_describe(struct fx *f)
{
	static const uint8_t blob1[] = { 0x00, 0xff }, blob2[] = { 0x01, 0x02, 0x03 };
	static const char *const seqcols[] = { "name", "seq" }, *const datacols[] = { "id", "block" };
	char longk[160], longk2[160], longname[320];
	struct chunk_shape wr1 = { .nhidden = 0, .ncols = 2, .nkey = 1 };
	struct chunk_shape wr2 = { .nhidden = 0, .ncols = 3, .nkey = 2 };
	struct chunk_shape rid2 = { .nhidden = 1, .ncols = 2, .nkey = 1 }; /* the rowid is the key */
	/* keyed(c0 INTEGER, "col,1" TEXT, c2, PRIMARY KEY("col,1")): its key is "col,1" then the rowid */
	struct chunk_shape ko = { .nhidden = 1, .ncols = 3, .nkey = 2 };
	wr2.keypos[0] = 1;
	wr2.keypos[1] = 0;
	ko.keypos[0] = 2;
	ko.keypos[1] = 0;

	memset(f, 0, sizeof(*f));
	size_t cust[3], custbig, ab, prices[2], longc[2], esc, reals[2], reals2, blobs, seqs, shadow,
		many[FX_MANY], keyed[2], keyed2;
	cust[0] = fx_rowid_chunk(f, 1, 10, "c");
	cust[1] = fx_rowid_chunk(f, 11, 10, "c");
	cust[2] = fx_rowid_chunk(f, 21, 5, "c");
	{
		/*
		 * custbig: rows 100..103 of customers' shape, whose texts (pseudo-random
		 * printable bytes) compress badly: a chunk stored in more than 512 bytes,
		 * whose row-range CSV file counts more than one block (mount layout 6)
		 */
		struct chunk_shape rid3 = { .nhidden = 1, .ncols = 3, .nkey = 1 };
		static char texts[4][301];
		struct value r[4 * 4];
		uint32_t x = 12345;
		for (int i = 0; i < 4; i++) {
			for (int k = 0; k < 300; k++) {
				x = x * 1103515245u + 12345u;
				texts[i][k] = (char)(0x21 + (x >> 16) % 94);
			}
			texts[i][300] = 0;
			r[4 * i] = fx_int(100 + i);
			r[4 * i + 1] = fx_int(i);
			r[4 * i + 2] = fx_text(texts[i]);
			r[4 * i + 3] = fx_real(i / 4.0);
		}
		custbig = fx_add_chunk(f, &rid3, r, 4);
	}
	ab = fx_rowid_chunk(f, -3, 4, "ab");
	{
		/* prices(region INTEGER, sku TEXT, x), PRIMARY KEY(sku, region); a CR in x */
		struct value r1[] = { fx_int(2), fx_text("apple"), fx_real(1.5),
				      fx_int(-9), fx_text("kiwi"), fx_real(2) };
		struct value r2[] = { fx_int(1), fx_text("pear"), fx_text("two\r\nlines"),
				      fx_int(7), fx_text("pear"), fx_blob(blob1, 2) };
		prices[0] = fx_add_chunk(f, &wr2, r1, 2);
		prices[1] = fx_add_chunk(f, &wr2, r2, 2);
	}
	memset(longk, 'k', sizeof(longk) - 1);
	longk[sizeof(longk) - 1] = 0;
	memcpy(longk2, longk, sizeof(longk));
	longk2[150] = 'l'; /* differs after the 100 kept characters */
	{
		struct value r1[] = { fx_text(longk), fx_int(1) };
		struct value r2[] = { fx_text(longk2), fx_int(2) };
		longc[0] = fx_add_chunk(f, &wr1, r1, 1);
		longc[1] = fx_add_chunk(f, &wr1, r2, 1);
	}
	{
		/* text keys to escape in a key name, one that reads as a number, one as a blob */
		struct value r[] = { fx_text(""), fx_int(0), fx_text("100%\t"), fx_int(5),
				     fx_text("7"), fx_int(6), fx_text("O'Brien, Pat"), fx_int(1),
				     fx_text("a/b"), fx_int(2), fx_text("a_b@c~d"), fx_int(3),
				     fx_text("caf\xc3\xa9"), fx_int(4), fx_text("x'0A'"), fx_int(7) };
		esc = fx_add_chunk(f, &wr1, r, 8);
	}
	{
		/* generation 2 keeps the first chunk; after it 2.5 goes, 3.5 comes, 1e300 changes */
		struct value r1[] = { fx_real(-1.0), fx_int(1), fx_real(0.0), fx_int(2) };
		struct value r2[] = { fx_real(2.5), fx_int(3), fx_real(1e300), fx_int(4) };
		struct value r3[] = { fx_real(3.5), fx_int(5), fx_real(1e300), fx_int(44) };
		reals[0] = fx_add_chunk(f, &wr1, r1, 2);
		reals[1] = fx_add_chunk(f, &wr1, r2, 2);
		reals2 = fx_add_chunk(f, &wr1, r3, 2);
	}
	{
		/*
		 * keyed: rowid, c0, "col,1", c2 in the order of ("col,1", rowid); two
		 * NULL keys (no key name names them).  Generation 2 keeps the first
		 * chunk; after it "b" has another rowid, "b/c,%" goes, "c" comes.
		 */
		struct value r1[] = { fx_int(3), fx_int(30), { .type = VAL_NULL }, fx_real(0.5),
				      fx_int(4), fx_int(40), { .type = VAL_NULL }, fx_text("n"),
				      fx_int(9), fx_int(90), fx_text("a"), fx_int(1) };
		struct value r2[] = { fx_int(2), fx_int(20), fx_text("b"), fx_int(2),
				      fx_int(7), fx_int(70), fx_text("b/c,%"), fx_int(3) };
		struct value r3[] = { fx_int(6), fx_int(20), fx_text("b"), fx_int(2),
				      fx_int(5), fx_int(50), fx_text("c"), fx_blob(blob2, 3) };
		keyed[0] = fx_add_chunk(f, &ko, r1, 3);
		keyed[1] = fx_add_chunk(f, &ko, r2, 2);
		keyed2 = fx_add_chunk(f, &ko, r3, 2);
	}
	{
		struct value r[] = { fx_blob("", 0), fx_int(1), fx_blob(blob1, 2), fx_int(2),
				     fx_blob(blob2, 3), fx_int(3) };
		blobs = fx_add_chunk(f, &wr1, r, 3);
	}
	{
		/* sqlite_sequence(name, seq) and an FTS5 shadow table's rows */
		struct value r1[] = { fx_int(1), fx_text("customers"), fx_int(25),
				      fx_int(2), fx_text("prices"), fx_int(2) };
		struct value r2[] = { fx_int(1), fx_int(1), fx_blob(blob2, 3),
				      fx_int(10), fx_int(10), fx_blob(blob1, 2) };
		seqs = fx_add_chunk(f, &rid2, r1, 2);
		shadow = fx_add_chunk(f, &rid2, r2, 2);
	}
	for (size_t i = 0; i < FX_MANY; i++)
		many[i] = fx_rowid_chunk(f, (int64_t)i * 3, 1, "m");
	memset(longname, 'n', 300);
	memcpy(longname + 300, "\xc3\xa9", 3);

	struct manifest *g1 = &f->gens[0], *g2 = &f->gens[1], *g3 = &f->gens[2];
	fx_gen(g1, 1, "2026-11-20T020000Z", 1795140000);
	fx_gen(g2, 2, "2026-11-20T020000Z-2", 1795140000);
	fx_gen(g3, 3, "2026-11-19T020000Z", 1795053600); /* older: not "latest" */
	f->ngens = 3;
	/* another database (db/): read from another source, named with --name */
	free(g3->source);
	g3->source = xstrdup("/srv/shop/orders.db");
	g3->dbname = xstrdup("Shop.v2");
	fx_pragma(g1, "encoding", 1);
	fx_pragma(g1, "page_size", 4096);
	fx_pragma(g1, "auto_vacuum", 1);
	fx_pragma(g1, "user_version", 7);
	fx_pragma(g1, "application_id", -2);
	struct manifest_table *tb;
	tb = fx_table(g1, "customers", 0, 3, NULL, NULL, f, cust, 3);
	fx_table_object(g1, tb, "index", "customers by c2",
			"CREATE INDEX \"customers by c2\" ON \"customers\"(\"c2\" DESC)");
	fx_table(g1, "a/b", 0, 3, NULL, NULL, f, &ab, 1);
	tb = fx_table(g1, "prices", TABLE_WITHOUT_ROWID, 3, NULL, &wr2, f, prices, 2);
	fx_table_object(g1, tb, "index", "prices_c2", "CREATE UNIQUE INDEX prices_c2 ON prices(c2)");
	fx_table(g1, "long keys", TABLE_WITHOUT_ROWID, 2, NULL, &wr1, f, longc, 2);
	fx_table(g1, "O'Brien, \"Pat\" %", TABLE_WITHOUT_ROWID, 2, NULL, &wr1, f, &esc, 1);
	fx_table(g1, "schema.sql", 0, 3, NULL, NULL, f, &ab, 1);
	fx_table(g1, ".hidden", 0, 0, NULL, NULL, f, NULL, 0);
	fx_table(g1, "reals", TABLE_WITHOUT_ROWID, 2, NULL, &wr1, f, reals, 2);
	fx_table(g1, "", TABLE_WITHOUT_ROWID, 2, NULL, &wr1, f, &blobs, 1);
	fx_table(g1, longname, 0, 3, NULL, NULL, f, cust + 1, 1);
	fx_table(g1, "\xc3\x9c" "n" "\xc3\xaf" "code tab\tname", 0, 3, NULL, NULL, f, cust + 2, 1);
	fx_table(g1, "changes", 0, 3, NULL, NULL, f, &ab, 1);
	fx_table(g1, "keyed", TABLE_KEY_ORDER, 3, NULL, &ko, f, keyed, 2);
	/* a view with a byte that is not UTF-8, a trigger with ";\n" inside */
	fx_object(g1, "view", "v", "v", "CREATE VIEW v AS SELECT 'caf\xe9' AS x");
	fx_table_object(g1, &g1->tables[0], "trigger", "customers_ai",
			"CREATE TRIGGER customers_ai AFTER INSERT ON customers BEGIN\n  SELECT 1;\nEND");
	/* generation 2: some of the same tables, at other positions, then SQLite's own */
	fx_pragma(g2, "user_version", 3);
	fx_copy_table(g2, g1, 2);
	fx_copy_table(g2, g1, 0);
	fx_copy_table(g2, g1, 5);
	fx_object(g2, "table", "docs", "docs", "CREATE VIRTUAL TABLE docs USING fts5(body)");
	fx_table(g2, "sqlite_sequence", TABLE_INTERNAL, 2, seqcols, NULL, f, &seqs, 1);
	fx_table(g2, "docs_data", TABLE_SHADOW, 2, datacols, NULL, f, &shadow, 1);
	fx_table(g2, "many", 0, 3, NULL, NULL, f, many, FX_MANY);
	{
		size_t r[2] = { reals[0], reals2 }, k[2] = { keyed[0], keyed2 };
		fx_table(g2, "reals", TABLE_WITHOUT_ROWID, 2, NULL, &wr1, f, r, 2);
		fx_table(g2, "keyed", TABLE_KEY_ORDER, 3, NULL, &ko, f, k, 2);
	}
	/* generation 3: directories named as the generation's files (not reserved before) */
	fx_table(g3, "dump.sql", 0, 3, NULL, NULL, f, &ab, 1);
	fx_table(g3, "schema.pg.sql", TABLE_WITHOUT_ROWID, 2, NULL, &wr1, f, reals, 2);
	{
		size_t c[2] = { cust[0], custbig };
		fx_table(g3, "customers", 0, 3, NULL, NULL, f, c, 2);
	}
	for (size_t i = 0; i < g3->ntables; i++) {
		free(g3->tables[i].dirname);
		g3->tables[i].dirname = xstrdup(g3->tables[i].name);
	}
	for (size_t g = 0; g < f->ngens; g++)
		f->gens[g].schema = fx_gen_schema(&f->gens[g]);

	/* rows/ names and the parents (each after its own parent), as the mount would see them */
	f->parents = xcalloc(4 + f->ngens * (1 + 3 * FX_MAX_TABLES) + 2 * FX_MAX_DIRS + FX_MAX_GENS,
			     sizeof(*f->parents));
	f->parents[f->nparents++] = (struct fx_parent){ .kind = FX_ROOT, .ino = FX_INO_ROOT };
	for (size_t g = 0; g < f->ngens; g++) {
		const struct manifest *m = &f->gens[g];
		for (unsigned fmt = 0; fmt < VIEW_FORMATS; fmt++)
			f->fnames[fmt][g] = xcalloc(m->ntables, sizeof(char **));
		f->parents[f->nparents++] = (struct fx_parent){
			.kind = FX_GEN, .gen = g, .ino = fx_ino(FX_T_GEN, m->seq, 0, 0) };
		for (size_t t = 0; t < m->ntables; t++) {
			const struct manifest_table *mt = &m->tables[t];
			for (unsigned fmt = 0; fmt < VIEW_FORMATS; fmt++) {
				char *ext = xasprintf(".%s", view_ext((enum view_format)fmt));
				f->fnames[fmt][g][t] = xcalloc(mt->nchunks ? mt->nchunks : 1,
							       sizeof(char *));
				/* a key-ordered rowid table is named by its declared key, without the rowid */
				for (size_t k = 0; k < mt->nchunks; k++) {
					const struct manifest_chunk *mc = &mt->chunks[k];
					uint64_t nv = (mt->flags & TABLE_KEY_ORDER) &&
						      !(mt->flags & TABLE_WITHOUT_ROWID)
						      ? key_values(mc->first_key, mc->first_len) - 1
						      : UINT64_MAX;
					f->fnames[fmt][g][t][k] =
						name_range_n(mc->first_key, mc->first_len,
							     mc->last_key, mc->last_len,
							     nv ? nv : UINT64_MAX, ext);
				}
				free(ext);
			}
			f->parents[f->nparents++] = (struct fx_parent){
				.kind = FX_TABLE, .gen = g, .tidx = t,
				.ino = fx_ino(FX_T_TABLE, m->seq, t, 0) };
			f->parents[f->nparents++] = (struct fx_parent){
				.kind = FX_ROWS, .gen = g, .tidx = t,
				.ino = fx_ino(FX_T_ROWS, m->seq, t, 0) };
			f->parents[f->nparents++] = (struct fx_parent){
				.kind = FX_KEY, .gen = g, .tidx = t,
				.ino = fx_ext_ino(FX_EXT_KEY_DIR, m->seq, t, 0) };
			/* tables/ lists every directory name once, sorted bytewise */
			size_t d = 0;
			while (d < f->ndirs && strcmp(f->dirs[d], mt->dirname) < 0)
				d++;
			if (d == f->ndirs || strcmp(f->dirs[d], mt->dirname)) {
				memmove(f->dirs + d + 1, f->dirs + d, (f->ndirs - d) * sizeof(char *));
				f->dirs[d] = xstrdup(mt->dirname);
				f->ndirs++;
			}
		}
	}
	f->parents[f->nparents++] = (struct fx_parent){
		.kind = FX_TABLES, .ino = fx_ext_ino(FX_EXT_TABLES, 0, 0, 0) };
	f->parents[f->nparents++] = (struct fx_parent){
		.kind = FX_AT, .ino = fx_ext_ino(FX_EXT_AT, 0, 0, 0) };
	for (size_t d = 0; d < f->ndirs; d++) {
		f->parents[f->nparents++] = (struct fx_parent){ .kind = FX_HIST, .dir = d };
		f->parents[f->nparents++] = (struct fx_parent){ .kind = FX_HIST_KEY, .dir = d };
	}
	/* layout 6: db/ lists every database name once, sorted bytewise */
	for (size_t g = 0; g < f->ngens; g++) {
		char name[DB_NAME_MAX + 1];
		size_t d = 0;
		manifest_db_name(&f->gens[g], name);
		while (d < f->ndbs && strcmp(f->dbs[d], name) < 0)
			d++;
		if (d == f->ndbs || strcmp(f->dbs[d], name)) {
			memmove(f->dbs + d + 1, f->dbs + d, (f->ndbs - d) * sizeof(char *));
			f->dbs[d] = xstrdup(name);
			f->ndbs++;
		}
	}
	f->parents[f->nparents++] = (struct fx_parent){
		.kind = FX_DB, .ino = fx_ext_ino(FX_EXT_DB, 0, 0, 0) };
	for (size_t d = 0; d < f->ndbs; d++)
		f->parents[f->nparents++] = (struct fx_parent){ .kind = FX_DB_NAME, .dir = d };
}

/* The generations oldest first (by time, then seq), as the root and tables/<T> list them. */
static inline void fx_gen_order(const struct fx *f, size_t order[FX_MAX_GENS])
{
	for (size_t i = 0; i < f->ngens; i++)
		order[i] = i;
	for (size_t i = 1; i < f->ngens; i++)
		for (size_t k = i; k > 0; k--) {
			const struct manifest *a = &f->gens[order[k - 1]], *b = &f->gens[order[k]];
			if (a->time < b->time || (a->time == b->time && a->seq < b->seq))
				break;
			size_t x = order[k];
			order[k] = order[k - 1];
			order[k - 1] = x;
		}
}

/*
 * The versions of table directory dir: the generations holding it, oldest
 * first, and its position in each (gens[i], tidx[i]); returns how many.
 */
static inline size_t fx_versions(const struct fx *f, const char *dir, size_t gens[FX_MAX_GENS],
				 size_t tidx[FX_MAX_GENS])
{
	size_t order[FX_MAX_GENS], n = 0;
	fx_gen_order(f, order);
	for (size_t i = 0; i < f->ngens; i++) {
		const struct manifest *m = &f->gens[order[i]];
		for (size_t t = 0; t < m->ntables; t++)
			if (!strcmp(m->tables[t].dirname, dir)) {
				gens[n] = order[i];
				tidx[n++] = t;
				break;
			}
	}
	return n;
}

/*
 * The generations of database dbs[d] (manifest_db_name), oldest first (by
 * time, then seq), as db/<name>/ lists them; returns how many.  The last
 * is the database's newest, its latest.
 */
static inline size_t fx_db_gens(const struct fx *f, size_t d, size_t gens[FX_MAX_GENS])
{
	size_t order[FX_MAX_GENS], n = 0;
	fx_gen_order(f, order);
	for (size_t i = 0; i < f->ngens; i++) {
		char name[DB_NAME_MAX + 1];
		manifest_db_name(&f->gens[order[i]], name);
		if (!strcmp(name, f->dbs[d]))
			gens[n++] = order[i];
	}
	return n;
}

/*
 * The values of a table's keys a user names (a key name's): the declared
 * key, without the rowid that ends a key-ordered rowid table's keys; 0 for
 * a table without rows.
 */
static inline unsigned fx_user_values(const struct manifest_table *mt)
{
	unsigned n = mt->nchunks ? key_values(mt->chunks[0].first_key, mt->chunks[0].first_len) : 0;
	return n && (mt->flags & TABLE_KEY_ORDER) && !(mt->flags & TABLE_WITHOUT_ROWID) ? n - 1 : n;
}

/*
 * The key name (rowkey.h) of the first nvals values of an encoded key, as
 * docs/FORMAT.md "Key names" writes one: an integer in decimal, a real as
 * %.17g (Infinity, -Infinity), a blob as x'<hex>', text as itself with
 * '%', ',', '/' and bytes below 0x20 and 0x7F as %XX.  NULL when a value
 * has no name (NULL, NaN) or the key is malformed.  Caller frees.
 */
static inline char *fx_key_name(const uint8_t *key, size_t n, unsigned nvals)
{
	struct buf b = BUF_INIT;
	struct rd r;
	uint64_t nk;
	rd_init(&r, key, n);
	if (rd_count(&r, KEY_MAX_COLUMNS, &nk) || nk < nvals)
		return NULL;
	for (unsigned i = 0; i < nvals; i++) {
		struct value v;
		if (value_decode(&r, &v) || v.type == VAL_NULL || (v.type == VAL_REAL && isnan(v.r))) {
			buf_release(&b);
			return NULL;
		}
		if (i)
			buf_addc(&b, ',');
		if (v.type == VAL_INT) {
			buf_addf(&b, "%lld", (long long)v.i);
		} else if (v.type == VAL_REAL) {
			if (isinf(v.r))
				buf_adds(&b, v.r > 0 ? "Infinity" : "-Infinity");
			else
				buf_addf(&b, "%.17g", v.r);
		} else if (v.type == VAL_BLOB) {
			buf_adds(&b, "x'");
			for (size_t k = 0; k < v.n; k++)
				buf_addf(&b, "%02x", v.p[k]);
			buf_addc(&b, '\'');
		} else {
			for (size_t k = 0; k < v.n; k++) {
				uint8_t c = v.p[k];
				if (c == '%' || c == ',' || c == '/' || c < 0x20 || c == 0x7f)
					buf_addf(&b, "%%%02X", c);
				else
					buf_addc(&b, c);
			}
		}
	}
	buf_addc(&b, 0);
	return (char *)buf_detach(&b, NULL);
}

static int fx_row_add(void *arg, const uint8_t *key, size_t klen, const uint8_t *row, size_t rlen)
{
	struct buf *rows = arg; /* rows[0]: the fx_row array; rows[1]: the chunk's header */
	struct fx_row r = { BUF_INIT, BUF_INIT };
	buf_add(&r.key, key, klen);
	buf_add(&r.one, rows[1].data, rows[1].len);
	buf_add(&r.one, row, rlen);
	buf_add(&rows[0], &r, sizeof(r));
	return 0;
}

/* Every row of a table version, in key order (free with fx_rows_free). */
static inline struct fx_row *fx_rows(const struct fx *f, const struct manifest_table *mt, size_t *n)
{
	struct buf acc[2] = { BUF_INIT, BUF_INIT };
	for (size_t k = 0; k < mt->nchunks; k++) {
		const struct fx_chunk *c = NULL;
		size_t hdr = 0;
		for (size_t i = 0; i < f->nchunks && !c; i++)
			if (!memcmp(f->chunks[i].e.id.b, mt->chunks[k].id.b, 16))
				c = &f->chunks[i];
		if (!c)
			abort();
		/* the header first: chunk_rows_each says its length with the first row */
		struct rd r;
		struct chunk_shape *s = xcalloc(1, sizeof(*s));
		rd_init(&r, c->data, c->len);
		if (chunk_shape_decode(&r, s))
			abort();
		free(s);
		hdr = (size_t)(r.p - c->data);
		buf_reset(&acc[1]);
		buf_add(&acc[1], c->data, hdr);
		size_t h2 = 0;
		if (chunk_rows_each(c->data, c->len, &h2, fx_row_add, acc) || h2 != hdr)
			abort();
	}
	buf_release(&acc[1]);
	*n = acc[0].len / sizeof(struct fx_row);
	return (struct fx_row *)buf_detach(&acc[0], NULL);
}

static inline void fx_rows_free(struct fx_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf_release(&rows[i].key);
		buf_release(&rows[i].one);
	}
	free(rows);
}

/* The newest generation (index into f->gens): greatest time, then greatest seq. */
static inline size_t fx_newest(const struct fx *f)
{
	size_t n = 0;
	for (size_t g = 1; g < f->ngens; g++)
		if (f->gens[g].time > f->gens[n].time ||
		    (f->gens[g].time == f->gens[n].time && f->gens[g].seq > f->gens[n].seq))
			n = g;
	return n;
}

/* The chunk of the fixture with this id (its typed rows), or NULL. */
static inline const struct fx_chunk *fx_chunk_by_id(const struct fx *f, const struct chunk_id *id)
{
	for (size_t i = 0; i < f->nchunks; i++)
		if (!memcmp(f->chunks[i].e.id.b, id->b, sizeof(id->b)))
			return &f->chunks[i];
	return NULL;
}

/* Write the repository under a new temporary directory and sync its catalog. */
static inline int fx_build(struct fx *f)
{
	struct repo r;
	struct pack_writer *w;
	struct catalog c;
	struct catalog_sync_stats st;
	char name[33];

	f->dir = make_tmpdir("fuzz-lookup");
	f->repo = xasprintf("%s/repo", f->dir);
	if (repo_init(f->repo, NULL) || repo_open(&r, f->repo))
		return -1;
	if (pack_writer_open(&w, r.store))
		return -1;
	for (size_t i = 0; i < f->nchunks; i++) {
		struct fx_chunk *ch = &f->chunks[i];
		size_t clen;
		uint8_t *z = compress_chunk(ch->data, ch->len, &clen);
		ch->e.clen = (uint32_t)clen;
		if (pack_writer_add(w, &ch->e, z))
			return -1;
		free(z);
	}
	if (pack_writer_finish(w, name))
		return -1;
	for (size_t g = 0; g < f->ngens; g++) {
		struct buf b = BUF_INIT;
		char *fn = repo_gen_key(f->gens[g].name);
		uint64_t bytes;
		if (idxnode_store(&r, &f->gens[g], NULL, NULL, &bytes))
			return -1;
		manifest_encode(&f->gens[g], &b);
		if (store_put(r.store, fn, b.data, b.len, STORE_IF_ABSENT))
			return -1;
		free(fn);
		buf_release(&b);
	}
	if (catalog_open(&c, r.catalog, false) || catalog_sync(&c, &r, false, &st))
		return -1;
	catalog_close(&c);
	repo_close(&r);
	return st.gens_added == f->ngens && st.bad_gens == 0 && st.bad_packs == 0 ? 0 : -1;
}

static inline void fx_free(struct fx *f)
{
	for (size_t g = 0; g < f->ngens; g++) {
		for (unsigned fmt = 0; fmt < VIEW_FORMATS; fmt++) {
			for (size_t t = 0; t < f->gens[g].ntables; t++) {
				for (size_t k = 0; k < f->gens[g].tables[t].nchunks; k++)
					free(f->fnames[fmt][g][t][k]);
				free(f->fnames[fmt][g][t]);
			}
			free(f->fnames[fmt][g]);
		}
		manifest_release(&f->gens[g]);
	}
	for (size_t i = 0; i < f->nchunks; i++) {
		free(f->chunks[i].data);
		buf_release(&f->chunks[i].fk);
		buf_release(&f->chunks[i].lk);
	}
	free(f->parents);
	for (size_t d = 0; d < f->ndirs; d++)
		free(f->dirs[d]);
	for (size_t d = 0; d < f->ndbs; d++)
		free(f->dbs[d]);
	if (f->dir)
		rm_rf(f->dir);
	free(f->dir);
	free(f->repo);
	memset(f, 0, sizeof(*f));
}

#endif
