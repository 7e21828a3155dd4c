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
 * The manifests are version 2: every chunk carries its jsonl_len and
 * sql_len, measured with view_chunk_lens() as backup does, so the mount
 * serves each table and row-range file as CSV, JSONL and SQL.
 */
#ifndef STRATA_LOOKUP_FIXTURE_H
#define STRATA_LOOKUP_FIXTURE_H

#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "strata/catalog.h"
#include "strata/manifest.h"
#include "strata/naming.h"
#include "strata/repo.h"
#include "strata/views.h"

#define FX_MAX_CHUNKS 32

struct fx_chunk {
	uint8_t *data;
	size_t len;
	struct pack_entry e;
	struct buf fk, lk;
};

/* One directory the mount can look names up in. */
enum fx_kind { FX_ROOT, FX_GEN, FX_TABLE, FX_ROWS };
struct fx_parent {
	enum fx_kind kind;
	size_t gen;  /* index into fx.gens */
	size_t tidx; /* table position in that generation */
	uint64_t ino; /* its inode number (fx_ino) */
};

/*
 * Inode numbers as docs/FORMAT.md "Inode numbers" defines them (a stable
 * format: a number served once never changes): type << 60 | seq << 36 |
 * tidx << 20 | position, unused fields 0; the root is 1, "latest" 2.
 * A table file (type 6) has its format (enum view_format: 0 CSV, 1 JSONL,
 * 2 SQL) in the position; a row-range file is type 8 (CSV), 11 (JSONL) or
 * 12 (SQL) with its chunk in the position.
 */
enum fx_type {
	FX_T_GEN = 1, FX_T_GEN_JSON = 2, FX_T_GEN_SCHEMA = 3, FX_T_TABLE = 4,
	FX_T_TABLE_SCHEMA = 5, FX_T_TABLE_CSV = 6, FX_T_ROWS = 7, FX_T_ROWS_FILE = 8,
	FX_T_ROWS_GROUP = 10, FX_T_ROWS_JSONL = 11, FX_T_ROWS_SQL = 12,
};
#define FX_INO_ROOT 1
#define FX_INO_LATEST 2

static inline uint64_t fx_ino(enum fx_type type, uint64_t seq, uint64_t tidx, uint64_t pos)
{
	return (uint64_t)type << 60 | seq << 36 | tidx << 20 | pos;
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
	struct manifest gens[2];
	size_t ngens;
	/* fnames[fmt][g][t][k]: the rows/ file name of chunk k in format fmt (view_format) */
	char ***fnames[VIEW_FORMATS][2];
	struct fx_parent *parents;
	size_t nparents;
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

static inline void fx_table(struct manifest_table *t, const char *name, unsigned flags,
			    unsigned ncols, const struct fx *f, const size_t *which, size_t n)
{
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->dirname = name_table_dir(name);
	t->schema = xasprintf("CREATE TABLE \"%s\"(...)", name);
	t->flags = flags;
	t->ncols = ncols;
	t->cols = xcalloc(ncols ? ncols : 1, sizeof(char *));
	for (unsigned i = 0; i < ncols; i++)
		t->cols[i] = xasprintf(i == 1 ? "col,%u" : "c%u", i);
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
		if (view_chunk_lens(&vt, c->data, c->len, &mc->jsonl_len, &mc->sql_len))
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
}

static inline void fx_copy_table(struct manifest_table *dst, const struct manifest_table *src)
{
	*dst = *src;
	dst->name = xstrdup(src->name);
	dst->dirname = xstrdup(src->dirname);
	dst->schema = xstrdup(src->schema);
	dst->cols = xcalloc(src->ncols ? src->ncols : 1, sizeof(char *));
	for (unsigned i = 0; i < src->ncols; i++)
		dst->cols[i] = xstrdup(src->cols[i]);
	dst->chunks = xcalloc(src->nchunks ? src->nchunks : 1, sizeof(*dst->chunks));
	for (size_t k = 0; k < src->nchunks; k++) {
		const struct manifest_chunk *s = &src->chunks[k];
		struct manifest_chunk *d = &dst->chunks[k];
		*d = *s;
		d->first_key = xmalloc(s->first_len);
		memcpy(d->first_key, s->first_key, s->first_len);
		d->last_key = xmalloc(s->last_len);
		memcpy(d->last_key, s->last_key, s->last_len);
	}
}

static inline void fx_gen(struct manifest *m, uint64_t seq, const char *name, int64_t t)
{
	memset(m, 0, sizeof(*m));
	m->seq = seq;
	m->name = xstrdup(name);
	m->id[0] = (uint8_t)seq;
	m->time = t;
	m->label = xstrdup("fuzz");
	m->source = xstrdup("/src/fuzz.db");
	m->schema = xstrdup("");
}

/* The tables and generations, in memory only (no files). */
static inline void fx_describe(struct fx *f)
{
	static const uint8_t blob1[] = { 0x00, 0xff }, blob2[] = { 0x01, 0x02, 0x03 };
	char longk[160], longk2[160], longname[320];
	struct chunk_shape wr1 = { .nhidden = 0, .ncols = 2, .nkey = 1 };
	struct chunk_shape wr2 = { .nhidden = 0, .ncols = 3, .nkey = 2 };
	wr2.keypos[0] = 1;
	wr2.keypos[1] = 0;

	memset(f, 0, sizeof(*f));
	size_t cust[3], ab, prices[2], longc[2], esc, reals, blobs;
	cust[0] = fx_rowid_chunk(f, 1, 10, "c");
	cust[1] = fx_rowid_chunk(f, 11, 10, "c");
	cust[2] = fx_rowid_chunk(f, 21, 5, "c");
	ab = fx_rowid_chunk(f, -3, 4, "ab");
	{
		/* prices(region INTEGER, sku TEXT, x), PRIMARY KEY(sku, region) */
		struct value r1[] = { fx_int(2), fx_text("apple"), fx_real(1.5),
				      fx_int(-9), fx_text("kiwi"), fx_real(2) };
		struct value r2[] = { fx_int(1), fx_text("pear"), fx_text("x"),
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
		struct value r[] = { fx_text(""), fx_int(0), fx_text("O'Brien, Pat"), fx_int(1),
				     fx_text("a/b"), fx_int(2), fx_text("a_b@c~d"), fx_int(3),
				     fx_text("caf\xc3\xa9"), fx_int(4) };
		esc = fx_add_chunk(f, &wr1, r, 5);
	}
	{
		struct value r[] = { fx_real(-1.0), fx_int(1), fx_real(0.0), fx_int(2),
				     fx_real(2.5), fx_int(3), fx_real(1e300), fx_int(4) };
		reals = fx_add_chunk(f, &wr1, r, 4);
	}
	{
		struct value r[] = { fx_blob("", 0), fx_int(1), fx_blob(blob1, 2), fx_int(2),
				     fx_blob(blob2, 3), fx_int(3) };
		blobs = fx_add_chunk(f, &wr1, r, 3);
	}
	memset(longname, 'n', 300);
	memcpy(longname + 300, "\xc3\xa9", 3);

	struct manifest *g1 = &f->gens[0], *g2 = &f->gens[1];
	fx_gen(g1, 1, "2026-11-20T020000Z", 1795140000);
	fx_gen(g2, 2, "2026-11-20T020000Z-2", 1795140000);
	f->ngens = 2;
	g1->ntables = 11;
	g1->tables = xcalloc(g1->ntables, sizeof(*g1->tables));
	size_t i = 0;
	fx_table(&g1->tables[i++], "customers", 0, 3, f, cust, 3);
	fx_table(&g1->tables[i++], "a/b", 0, 3, f, &ab, 1);
	fx_table(&g1->tables[i++], "prices", TABLE_WITHOUT_ROWID, 3, f, prices, 2);
	fx_table(&g1->tables[i++], "long keys", TABLE_WITHOUT_ROWID, 2, f, longc, 2);
	fx_table(&g1->tables[i++], "O'Brien, \"Pat\" %", TABLE_WITHOUT_ROWID, 2, f, &esc, 1);
	fx_table(&g1->tables[i++], "schema.sql", 0, 3, f, &ab, 1);
	fx_table(&g1->tables[i++], ".hidden", 0, 0, f, NULL, 0);
	fx_table(&g1->tables[i++], "reals", TABLE_WITHOUT_ROWID, 2, f, &reals, 1);
	fx_table(&g1->tables[i++], "", TABLE_WITHOUT_ROWID, 2, f, &blobs, 1);
	fx_table(&g1->tables[i++], longname, 0, 3, f, cust + 1, 1);
	fx_table(&g1->tables[i++], "\xc3\x9c" "n" "\xc3\xaf" "code tab\tname", 0, 3, f, cust + 2, 1);
	/* generation 2: some of the same tables, at other positions */
	g2->ntables = 3;
	g2->tables = xcalloc(g2->ntables, sizeof(*g2->tables));
	fx_copy_table(&g2->tables[0], &g1->tables[2]);
	fx_copy_table(&g2->tables[1], &g1->tables[0]);
	fx_copy_table(&g2->tables[2], &g1->tables[5]);

	/* rows/ names and the parents (each after its own parent), as the mount would see them */
	f->parents = xcalloc(1 + f->ngens * (1 + 2 * 16), sizeof(*f->parents));
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
				for (size_t k = 0; k < mt->nchunks; k++)
					f->fnames[fmt][g][t][k] =
						name_range(mt->chunks[k].first_key,
							   mt->chunks[k].first_len,
							   mt->chunks[k].last_key,
							   mt->chunks[k].last_len, ext);
				free(ext);
			}
			f->parents[f->nparents++] = (struct fx_parent){
				.kind = FX_TABLE, .gen = g, .tidx = t,
				.ino = fx_ino(FX_T_TABLE, m->seq, t, 0) };
			f->parents[f->nparents++] = (struct fx_parent){
				.kind = FX_ROWS, .gen = g, .tidx = t,
				.ino = fx_ino(FX_T_ROWS, m->seq, t, 0) };
		}
	}
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
	if (pack_writer_open(&w, r.tmp))
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
	if (pack_writer_finish(w, r.packs, name))
		return -1;
	for (size_t g = 0; g < f->ngens; g++) {
		struct buf b = BUF_INIT;
		char *fn = xasprintf("%s.gen", f->gens[g].name);
		manifest_encode(&f->gens[g], &b);
		if (write_file_atomic(r.tmp, r.gens, fn, b.data, b.len))
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
	if (f->dir)
		rm_rf(f->dir);
	free(f->dir);
	free(f->repo);
	memset(f, 0, sizeof(*f));
}

#endif
