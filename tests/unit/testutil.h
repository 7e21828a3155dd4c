/* Shared helpers for tests that need files: temp dirs, chunk building. */
#ifndef STRATA_TEST_UTIL_H
#define STRATA_TEST_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zstd.h>

#include "strata/idxnode.h"
#include "strata/manifest.h"
#include "strata/repo.h"
#include "strata/naming.h"
#include "strata/pack.h"
#include "strata/render.h"
#include "strata/rowcodec.h"
#include "strata/views.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static inline void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory under $TMPDIR (or /tmp); caller frees and rm_rf()s it. */
static inline char *make_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *p = xasprintf("%s/strata-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	if (!mkdtemp(p)) {
		perror("mkdtemp");
		exit(2);
	}
	return p;
}

/*
 * Build a rowid-table chunk of nrows rows starting at rowid first:
 * columns (int, text, real).  Fills the entry's id/ulen/nrows/csv_len,
 * returns the uncompressed bytes; first/last keys into fk/lk when not NULL.
 */
static inline uint8_t *make_chunk(int64_t first, unsigned nrows, const char *tag,
				  struct pack_entry *e, size_t *ulen, struct buf *fk,
				  struct buf *lk)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 3, .nkey = 1 };
	struct buf c = BUF_INIT, csv = BUF_INIT;
	uint64_t nr;
	char text[64];

	chunk_shape_encode(&c, &s);
	for (unsigned i = 0; i < nrows; i++) {
		int64_t id = first + i;
		snprintf(text, sizeof(text), "%s row %lld, \"q\"", tag, (long long)id);
		struct value row[4] = {
			{ .type = VAL_INT, .i = id },
			{ .type = VAL_INT, .i = id * 7 },
			{ .type = VAL_TEXT, .p = (const uint8_t *)text, .n = strlen(text) },
			{ .type = VAL_REAL, .r = (double)id / 4 },
		};
		for (int k = 0; k < 4; k++)
			value_encode(&c, &row[k]);
		if (fk && i == 0) {
			buf_reset(fk);
			key_encode(fk, &s, row);
		}
		if (lk && i == nrows - 1) {
			buf_reset(lk);
			key_encode(lk, &s, row);
		}
	}
	if (render_csv_chunk(c.data, c.len, &csv, &nr) != 0)
		abort();
	memset(e, 0, sizeof(*e));
	chunk_id_of(&e->id, c.data, c.len);
	e->ulen = (uint32_t)c.len;
	e->nrows = nr;
	e->csv_len = csv.len;
	buf_release(&csv);
	*ulen = c.len;
	return buf_detach(&c, NULL);
}

/* zstd-compress; *clen receives the size. */
static inline uint8_t *compress_chunk(const uint8_t *u, size_t n, size_t *clen)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *c = xmalloc(cap);
	size_t r = ZSTD_compress(c, cap, u, n, 3);
	if (ZSTD_isError(r))
		abort();
	*clen = r;
	return c;
}

/* A typed chunk made for a test, its pack entry, and its first and last keys. */
struct built {
	uint8_t *data;
	size_t len;
	struct pack_entry e;
	struct buf fk, lk;
};

/*
 * A manifest table "name" (a rowid table, schema CREATE TABLE "name"(n
 * INTEGER, text, r)) whose rows are the built chunks which[0..n-1], with
 * every size a backup records, the JSONL and SQL lengths included.
 */
static inline void built_table(struct manifest_table *mt, const char *name,
			       const struct built *chunks, const int *which, int n)
{
	static char *cols[] = { "n", "text", "r" };
	struct view_table vt;
	memset(mt, 0, sizeof(*mt));
	mt->name = xstrdup(name);
	mt->dirname = name_table_dir(name);
	mt->schema = xasprintf("CREATE TABLE \"%s\"(n INTEGER, text, r)", name);
	mt->ncols = 3;
	mt->cols = xcalloc(3, sizeof(char *));
	for (int i = 0; i < 3; i++)
		mt->cols[i] = xstrdup(cols[i]);
	view_table_init(&vt, name, mt->cols, 3, false);
	mt->nchunks = (size_t)n;
	mt->chunks = xcalloc(n ? (size_t)n : 1, sizeof(*mt->chunks));
	for (int k = 0; k < n; k++) {
		const struct built *b = &chunks[which[k]];
		struct manifest_chunk *c = &mt->chunks[k];
		c->id = b->e.id;
		c->nrows = b->e.nrows;
		c->ulen = b->e.ulen;
		c->csv_len = b->e.csv_len;
		if (view_chunk_lens(&vt, b->data, b->len, &c->jsonl_len, &c->sql_len, NULL))
			abort(); /* a test chunk of another shape */
		c->first_len = b->fk.len;
		c->first_key = xmalloc(b->fk.len ? b->fk.len : 1);
		memcpy(c->first_key, b->fk.data, b->fk.len);
		c->last_len = b->lk.len;
		c->last_key = xmalloc(b->lk.len ? b->lk.len : 1);
		memcpy(c->last_key, b->lk.data, b->lk.len);
		mt->nrows += c->nrows;
		mt->csv_size += c->csv_len;
	}
	view_table_release(&vt);
}

/* A generation's manifest fields for a test (its tables are the caller's). */
static inline void test_gen_init(struct manifest *m, uint64_t seq, const char *name, int64_t time,
				 const char *schema)
{
	memset(m, 0, sizeof(*m));
	m->seq = seq;
	m->name = xstrdup(name);
	m->id[0] = (uint8_t)seq;
	m->time = time;
	m->label = xstrdup("test");
	m->source = xstrdup("/src/app.db");
	m->schema = xstrdup(schema);
}

/* Packs of index nodes test_write_gen wrote (in this test program). */
static size_t test_node_packs;

/*
 * Open the file at path for reads as a store opens objects (the tests hand
 * pack files around by path); NULL on failure.
 */
static inline struct store_file *test_file(const char *path)
{
	char *dir = xstrdup(path), *sl = strrchr(dir, '/');
	struct store *s;
	struct store_file *f = NULL;
	if (!sl)
		abort();
	*sl = 0;
	if (store_open(dir, false, &s) == 0) {
		store_file_open(s, sl + 1, &f);
		store_free(s);
	}
	free(dir);
	return f;
}

/* Write the manifest into the repository, as a backup does last (its index nodes first, in a pack of their own). */
static inline void test_write_gen(const struct repo *r, struct manifest *m)
{
	struct buf b = BUF_INIT;
	char *fn = xasprintf("%s.gen", m->name);
	uint64_t bytes;
	if (idxnode_store(r, m, NULL, NULL, &bytes))
		abort();
	test_node_packs += bytes > 0;
	manifest_encode(m, &b);
	free(fn);
	fn = repo_gen_key(m->name);
	if (store_put(r->store, fn, b.data, b.len, STORE_IF_ABSENT))
		abort();
	free(fn);
	buf_release(&b);
}

#endif
