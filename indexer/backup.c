/*
 * backup.c - `strata backup`: a consistent snapshot of a SQLite database
 * into a new generation.
 *
 * Order of durable steps (invariant 1 of DESIGN.md):
 *  1. packs: written under tmp/, fsynced, renamed into packs/;
 *  2. the manifest: written last, atomically;
 *  3. the catalog: updated in one transaction from what is on disk.
 * A crash before 2 leaves at most packs nobody refers to yet; the next run's
 * catalog sync indexes them, so their chunks are reused, not written again.
 */
#include "backup.h"

#include "strata/fault.h"
#include "strata/catalog.h"
#include "strata/manifest.h"
#include "strata/naming.h"
#include "strata/render.h"
#include "strata/rowcodec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

/* Open-addressing set of chunk ids known to the repository. */
struct idset {
	struct chunk_id *v;
	uint8_t *used;
	size_t cap, n;
};

static size_t idset_slot(const struct chunk_id *id, size_t cap)
{
	return (size_t)get_u64le(id->b) & (cap - 1);
}

static bool idset_add(struct idset *s, const struct chunk_id *id);

static void idset_grow(struct idset *s)
{
	struct idset o = *s;
	s->cap = o.cap ? o.cap * 2 : 4096;
	s->v = xcalloc(s->cap, sizeof(*s->v));
	s->used = xcalloc(s->cap, 1);
	s->n = 0;
	for (size_t i = 0; i < o.cap; i++)
		if (o.used[i])
			idset_add(s, &o.v[i]);
	free(o.v);
	free(o.used);
}

/* Returns true if newly added. */
static bool idset_add(struct idset *s, const struct chunk_id *id)
{
	if ((s->n + 1) * 2 > s->cap)
		idset_grow(s);
	for (size_t i = idset_slot(id, s->cap);; i = (i + 1) & (s->cap - 1)) {
		if (!s->used[i]) {
			s->used[i] = 1;
			s->v[i] = *id;
			s->n++;
			return true;
		}
		if (!memcmp(s->v[i].b, id->b, 16))
			return false;
	}
}

static int idset_add_cb(void *arg, const struct chunk_id *id)
{
	idset_add(arg, id);
	return 0;
}

struct backup {
	struct repo *repo;
	struct idset known;
	struct pack_writer *pw;
	ZSTD_CCtx *cctx;
	struct buf cbuf, render;
	uint64_t new_bytes, new_chunks, chunks, rows, bytes_in;
	bool progress;
	time_t last_progress;
};

static int flush_pack(struct backup *b)
{
	char name[33];
	int rc;
	if (!b->pw)
		return 0;
	b->new_bytes += pack_writer_size(b->pw);
	rc = pack_writer_finish(b->pw, b->repo->packs, name);
	b->pw = NULL;
	return rc;
}

/* Store one chunk (if new) and describe it in *mc. */
static int store_chunk(struct backup *b, struct buf *chunk, uint64_t nrows,
		       struct manifest_chunk *mc)
{
	struct pack_entry e;
	uint64_t rendered;
	int rc;

	memset(&e, 0, sizeof(e));
	chunk_id_of(&e.id, chunk->data, chunk->len);
	buf_reset(&b->render);
	rc = render_csv_chunk(chunk->data, chunk->len, &b->render, &rendered);
	if (rc)
		return rc;
	mc->id = e.id;
	mc->nrows = nrows;
	mc->ulen = chunk->len;
	mc->csv_len = b->render.len;
	b->chunks++;
	if (chunk->len > CHUNK_MAX_ULEN)
		return -EFBIG;
	if (!idset_add(&b->known, &e.id))
		return 0; /* stored once per repository */
	size_t bound = ZSTD_compressBound(chunk->len);
	buf_reset(&b->cbuf);
	buf_grow(&b->cbuf, bound);
	size_t cl = ZSTD_compress2(b->cctx, b->cbuf.data, bound, chunk->data, chunk->len);
	if (ZSTD_isError(cl))
		return -EIO;
	e.clen = (uint32_t)cl;
	e.ulen = (uint32_t)chunk->len;
	e.nrows = nrows;
	e.csv_len = b->render.len;
	if (!b->pw) {
		rc = pack_writer_open(&b->pw, b->repo->tmp);
		if (rc)
			return rc;
	}
	rc = pack_writer_add(b->pw, &e, b->cbuf.data);
	if (rc)
		return rc;
	b->new_chunks++;
	if (pack_writer_size(b->pw) >= b->repo->pack_size)
		rc = flush_pack(b);
	return rc;
}

static char *quote_ident(const char *s)
{
	struct buf b = BUF_INIT;
	buf_addc(&b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addc(&b, '"');
		buf_addc(&b, (uint8_t)*s);
	}
	buf_addc(&b, '"');
	return (char *)buf_detach(&b, NULL);
}

static void set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(char **err, const char *fmt, ...)
{
	va_list ap;
	char tmp[1024];
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	free(*err);
	*err = xstrdup(tmp);
}

static int sqlite_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_NOTADB: return -ENOEXEC;
	case SQLITE_CORRUPT: return -EUCLEAN;
	case SQLITE_CANTOPEN: return -ENOENT;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_PERM:
	case SQLITE_AUTH: return -EACCES;
	default: return -EIO;
	}
}

/* Schema text (CREATE statements + ";\n") of the table and its indexes/triggers. */
static int table_schema(sqlite3 *db, const char *table, char **out)
{
	sqlite3_stmt *st;
	struct buf b = BUF_INIT;
	int rc = sqlite3_prepare_v2(db,
		"SELECT sql FROM sqlite_master WHERE tbl_name=?1 AND sql IS NOT NULL "
		"ORDER BY type='table' DESC, type='index' DESC, name", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqlite_rc(rc);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		buf_adds(&b, (const char *)sqlite3_column_text(st, 0));
		buf_adds(&b, ";\n");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		buf_release(&b);
		return sqlite_rc(rc);
	}
	*out = (char *)buf_detach(&b, NULL);
	return 0;
}

/* Pick the name that reaches the real rowid, or NULL for WITHOUT ROWID. */
static const char *rowid_name(sqlite3 *db, const char *qtable, char **cols, unsigned ncols)
{
	static const char *names[] = { "rowid", "_rowid_", "oid" };
	for (unsigned k = 0; k < 3; k++) {
		bool shadowed = false;
		for (unsigned c = 0; c < ncols; c++)
			if (!sqlite3_stricmp(cols[c], names[k]))
				shadowed = true;
		if (shadowed)
			continue;
		char *sql = xasprintf("SELECT %s FROM %s LIMIT 0", names[k], qtable);
		sqlite3_stmt *st;
		int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		free(sql);
		sqlite3_finalize(st);
		if (rc == SQLITE_OK)
			return names[k];
	}
	return NULL;
}

static void value_from_sqlite(sqlite3_stmt *st, int i, struct value *v)
{
	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		v->type = VAL_INT;
		v->i = sqlite3_column_int64(st, i);
		break;
	case SQLITE_FLOAT:
		v->type = VAL_REAL;
		v->r = sqlite3_column_double(st, i);
		break;
	case SQLITE_TEXT:
		v->type = VAL_TEXT;
		v->p = sqlite3_column_text(st, i);
		v->n = (size_t)sqlite3_column_bytes(st, i);
		break;
	case SQLITE_BLOB:
		v->type = VAL_BLOB;
		v->p = sqlite3_column_blob(st, i);
		v->n = (size_t)sqlite3_column_bytes(st, i);
		break;
	default:
		v->type = VAL_NULL;
	}
}

/* Store the chunk being built and append its manifest entry; resets it. */
static int close_chunk(struct backup *b, struct manifest_table *t, size_t *cap,
		       struct buf *chunk, size_t hdrlen, uint64_t *chunk_rows,
		       struct buf *first, const struct buf *last)
{
	struct manifest_chunk *mc;
	int rc;

	if (t->nchunks == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		t->chunks = xrealloc(t->chunks, *cap * sizeof(*t->chunks));
	}
	mc = &t->chunks[t->nchunks++];
	memset(mc, 0, sizeof(*mc));
	rc = store_chunk(b, chunk, *chunk_rows, mc);
	mc->first_key = buf_detach(first, &mc->first_len);
	mc->last_key = xmalloc(last->len ? last->len : 1);
	memcpy(mc->last_key, last->data, last->len);
	mc->last_len = last->len;
	chunk->len = hdrlen;
	*chunk_rows = 0;
	return rc;
}

static int backup_table(struct backup *b, sqlite3 *db, const char *name,
			struct manifest_table *t, char **err)
{
	char *qt = quote_ident(name), *pragma = NULL, *sql = NULL;
	struct chunk_shape *shape = xcalloc(1, sizeof(*shape));
	struct buf chunk = BUF_INIT, row = BUF_INIT, last = BUF_INIT, order = BUF_INIT;
	struct buf first = BUF_INIT;
	struct value *vals = NULL;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	uint64_t nrows = 0;
	unsigned pkpos[KEY_MAX_COLUMNS], npk = 0;
	int rc, s;

	t->name = xstrdup(name);
	t->dirname = name_table_dir(name);
	rc = table_schema(db, name, &t->schema);
	if (rc)
		goto out;
	/* columns and primary key */
	pragma = xasprintf("PRAGMA table_info(%s)", qt);
	rc = sqlite3_prepare_v2(db, pragma, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = sqlite_rc(rc);
		goto out;
	}
	unsigned ccap = 0;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (t->ncols == ccap) {
			ccap = ccap ? ccap * 2 : 16;
			t->cols = xrealloc(t->cols, ccap * sizeof(char *));
		}
		int pk = sqlite3_column_int(st, 5);
		if (pk > 0 && pk <= KEY_MAX_COLUMNS) {
			pkpos[pk - 1] = t->ncols;
			if ((unsigned)pk > npk)
				npk = (unsigned)pk;
		}
		t->cols[t->ncols++] = xstrdup((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	st = NULL;
	if (s != SQLITE_DONE || t->ncols == 0) {
		rc = s != SQLITE_DONE ? sqlite_rc(s) : -EUCLEAN;
		goto out;
	}
	const char *rid = rowid_name(db, qt, t->cols, t->ncols);
	if (rid) {
		shape->nhidden = 1;
		shape->nkey = 1;
		shape->keypos[0] = 0;
		buf_adds(&order, rid);
		sql = xasprintf("SELECT %s, * FROM %s ORDER BY %s", rid, qt, rid);
	} else {
		t->flags |= TABLE_WITHOUT_ROWID;
		if (npk == 0) {
			set_err(err, "table '%s' has neither a rowid nor a primary key", name);
			rc = -EINVAL;
			goto out;
		}
		shape->nhidden = 0;
		shape->nkey = npk;
		for (unsigned k = 0; k < npk; k++) {
			char *qc = quote_ident(t->cols[pkpos[k]]);
			shape->keypos[k] = pkpos[k];
			buf_addf(&order, "%s%s", k ? ", " : "", qc);
			free(qc);
		}
		sql = xasprintf("SELECT * FROM %s ORDER BY %s", qt, (char *)order.data);
	}
	shape->ncols = t->ncols;
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = sqlite_rc(rc);
		goto out;
	}
	unsigned nv = shape->nhidden + shape->ncols;
	vals = xcalloc(nv, sizeof(*vals));
	chunk_shape_encode(&chunk, shape);
	size_t hdrlen = chunk.len;
	uint64_t chunk_rows = 0;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		buf_reset(&row);
		for (unsigned i = 0; i < nv; i++) {
			value_from_sqlite(st, (int)i, &vals[i]);
			value_encode(&row, &vals[i]);
		}
		b->bytes_in += row.len;
		if (chunker_cut_before(&b->repo->chunk, chunk.len - hdrlen, row.len)) {
			rc = close_chunk(b, t, &cap, &chunk, hdrlen, &chunk_rows, &first, &last);
			if (rc)
				goto out;
		}
		buf_reset(&last);
		key_encode(&last, shape, vals);
		if (chunk_rows == 0)
			buf_add(&first, last.data, last.len);
		buf_add(&chunk, row.data, row.len);
		chunk_rows++;
		nrows++;
		if (chunker_cut_after(&b->repo->chunk, chunk.len - hdrlen, row.len, last.data,
				      last.len)) {
			rc = close_chunk(b, t, &cap, &chunk, hdrlen, &chunk_rows, &first, &last);
			if (rc)
				goto out;
		}
		if (b->progress && (nrows & 0xffff) == 0) {
			time_t now = time(NULL);
			if (now != b->last_progress) {
				b->last_progress = now;
				fprintf(stderr, "\r  %s: %llu rows, %.1f MB read, %.1f MB new   ",
					name, (unsigned long long)nrows, (b->bytes_in) / 1e6,
					b->new_bytes / 1e6);
			}
		}
	}
	if (s != SQLITE_DONE) {
		rc = sqlite_rc(s);
		goto out;
	}
	if (chunk_rows) {
		rc = close_chunk(b, t, &cap, &chunk, hdrlen, &chunk_rows, &first, &last);
		if (rc)
			goto out;
	}
	t->nrows = nrows;
	for (size_t k = 0; k < t->nchunks; k++)
		t->csv_size += t->chunks[k].csv_len;
	b->rows += nrows;
	rc = 0;
out:
	sqlite3_finalize(st);
	free(vals);
	free(qt);
	free(pragma);
	free(sql);
	free(shape);
	buf_release(&chunk);
	buf_release(&row);
	buf_release(&last);
	buf_release(&order);
	buf_release(&first);
	return rc;
}

static int list_tables(sqlite3 *db, char ***names, size_t *n, struct buf *schema)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = sqlite3_prepare_v2(db,
		"SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
		"ORDER BY type='table' DESC, type='index' DESC, type='view' DESC, name", -1, &st, NULL);
	*names = NULL;
	*n = 0;
	if (rc != SQLITE_OK)
		return sqlite_rc(rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *sql = (const char *)sqlite3_column_text(st, 2);
		buf_adds(schema, sql);
		buf_adds(schema, ";\n");
		if (strcmp(type, "table") || !strncmp(name, "sqlite_", 7) ||
		    !sqlite3_strnicmp(sql, "CREATE VIRTUAL", 14))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*names = xrealloc(*names, cap * sizeof(char *));
		}
		(*names)[(*n)++] = xstrdup(name);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_rc(rc);
}

static const char *source_problem(int rc)
{
	switch (rc) {
	case -ENOEXEC: return "it is not a SQLite database";
	case -EUCLEAN: return "the database is corrupt; check it with 'sqlite3 DB \"PRAGMA integrity_check\"'";
	case -EBUSY: return "the database is locked; retry when the writer has committed";
	case -ENOENT: return "no such file";
	case -EACCES: return "permission denied";
	default: return "read error";
	}
}

/* Open the repository, take the lock, sync the catalog. */
static int open_repo_locked(const char *path, struct repo *r, struct catalog *c, char **err)
{
	struct catalog_sync_stats st;
	int rc = repo_open(r, path);
	if (rc == -ENOENT || rc == -ENOTDIR || rc == -EUCLEAN) {
		set_err(err, "'%s' is not a strata repository; create one with 'strata init %s'", path, path);
		return rc;
	}
	if (rc == -EPROTONOSUPPORT) {
		set_err(err, "repository '%s' has format version %u, this strata reads version %d; use a newer strata",
			path, r->version, REPO_FORMAT_VERSION);
		return rc;
	}
	if (rc) {
		set_err(err, "cannot open repository '%s': %s", path, strerror(-rc));
		return rc;
	}
	rc = repo_lock(r, 0);
	if (rc) {
		set_err(err, "repository '%s' is busy: another strata backup or index is running; retry when it ends", path);
		repo_close(r);
		return rc;
	}
	repo_clean_tmp(r);
	rc = catalog_open(c, r->catalog, false);
	if (!rc)
		rc = catalog_sync(c, r, false, &st);
	if (rc == -EUCLEAN) {
		/* the catalog is derived: a damaged one is replaced, never trusted */
		fprintf(stderr, "strata: catalog '%s' is damaged; rebuilding it from the repository\n",
			r->catalog);
		catalog_close(c);
		rc = catalog_remove(r->catalog);
		if (!rc)
			rc = catalog_open(c, r->catalog, false);
		if (!rc)
			rc = catalog_sync(c, r, true, &st);
	}
	if (rc == -ENOSPC) {
		set_err(err, "cannot update the catalog '%s/catalog.db': no space left on device; free space and retry",
			path);
		catalog_close(c);
		repo_close(r);
	} else if (rc) {
		set_err(err, "cannot update the catalog '%s/catalog.db': %s; run 'strata index --rebuild %s'",
			path, strerror(-rc), path);
		catalog_close(c);
		repo_close(r);
	}
	return rc;
}

int index_run(const char *path, bool rebuild, char **err)
{
	struct repo r;
	struct catalog c;
	struct catalog_sync_stats st;
	int rc = open_repo_locked(path, &r, &c, err);
	if (rc)
		return rc;
	if (rebuild) {
		rc = catalog_sync(&c, &r, true, &st);
		if (rc)
			set_err(err, "cannot rebuild the catalog '%s/catalog.db': %s; delete it and run 'strata index %s'",
				path, strerror(-rc), path);
	}
	catalog_close(&c);
	repo_close(&r);
	return rc;
}

static int pick_name(struct catalog *c, const struct repo *r, int64_t at, char out[64])
{
	char base[32];
	time_name(base, at);
	for (unsigned k = 1; k < 100000; k++) {
		if (k == 1)
			snprintf(out, 64, "%s", base);
		else
			snprintf(out, 64, "%s-%u", base, k);
		int t = catalog_name_taken(c, out);
		if (t < 0)
			return t;
		char *p = xasprintf("%s/%s.gen", r->gens, out);
		bool exists = access(p, F_OK) == 0;
		free(p);
		if (!t && !exists)
			return 0;
	}
	return -EEXIST;
}

int backup_run(const struct backup_opts *o, struct backup_result *res, char **err)
{
	struct repo r;
	struct catalog c;
	struct backup b;
	struct manifest m;
	struct buf schema = BUF_INIT, enc = BUF_INIT;
	sqlite3 *db = NULL;
	char **names = NULL;
	size_t ntables = 0;
	struct timespec t0, t1;
	struct stat sst;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&m, 0, sizeof(m));
	memset(&b, 0, sizeof(b));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (stat(o->source, &sst) < 0 || !S_ISREG(sst.st_mode)) {
		set_err(err, "cannot read source database '%s': %s", o->source,
			errno == ENOENT || S_ISREG(sst.st_mode) ? "no such file" : "not a regular file");
		return -ENOENT;
	}
	rc = open_repo_locked(o->repo, &r, &c, err);
	if (rc)
		return rc;
	b.repo = &r;
	b.progress = o->progress;
	b.cctx = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(b.cctx, ZSTD_c_compressionLevel, r.zstd_level);
	ZSTD_CCtx_setParameter(b.cctx, ZSTD_c_checksumFlag, 0);
	catalog_each_chunk(&c, idset_add_cb, &b.known);

	/* read-only, no URI tricks from the path: it is passed as a plain file name */
	rc = sqlite3_open_v2(o->source, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		sqlite3_busy_timeout(db, 5000);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "BEGIN; SELECT count(*) FROM sqlite_master;", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = sqlite_rc(rc);
		set_err(err, "cannot read source database '%s': %s", o->source, source_problem(rc));
		goto out;
	}
	/* from here on, one read transaction: every table is read at one committed state */
	rc = list_tables(db, &names, &ntables, &schema);
	if (rc) {
		set_err(err, "cannot read the schema of '%s': %s", o->source, source_problem(rc));
		goto out;
	}
	m.tables = xcalloc(ntables ? ntables : 1, sizeof(*m.tables));
	for (size_t i = 0; i < ntables; i++) {
		rc = backup_table(&b, db, names[i], &m.tables[m.ntables++], err);
		if (rc) {
			if (!*err)
				set_err(err, "cannot back up table '%s' of '%s': %s", names[i], o->source,
					rc == -ENOSPC ? "no space left on the repository's device; free space and retry" :
					rc == -EFBIG ? "a row is larger than 2 GiB" : source_problem(rc));
			goto out;
		}
	}
	for (size_t i = 0; i < m.ntables; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(m.tables[i].dirname, m.tables[j].dirname)) {
				rc = -EEXIST;
				set_err(err, "tables '%s' and '%s' map to the same directory name", m.tables[i].name, m.tables[j].name);
				goto out;
			}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	rc = flush_pack(&b);
	if (!rc)
		fault_point("backup-packs-done");
	if (rc) {
		set_err(err, "cannot write a pack into '%s': %s", r.packs,
			rc == -ENOSPC ? "no space left on device; free space and retry" : strerror(-rc));
		goto out;
	}
	/* the manifest, last */
	rc = catalog_max_seq(&c, &m.seq);
	m.seq++;
	m.name = xmalloc(64);
	if (!rc)
		rc = pick_name(&c, &r, o->at, m.name);
	if (rc) {
		set_err(err, "cannot name the generation: %s", strerror(-rc));
		goto out;
	}
	if (getrandom(m.id, 16, 0) != 16) {
		rc = -EIO;
		set_err(err, "cannot get random bytes for the generation id");
		goto out;
	}
	m.time = o->at;
	m.label = xstrdup(o->label ? o->label : "");
	char *abs = realpath(o->source, NULL);
	m.source = xstrdup(abs ? abs : o->source);
	free(abs);
	m.schema = (char *)buf_detach(&schema, NULL);
	m.source_bytes = (uint64_t)sst.st_size;
	m.new_bytes = b.new_bytes;
	manifest_encode(&m, &enc);
	char *fname = xasprintf("%s.gen", m.name);
	rc = write_file_atomic(r.tmp, r.gens, fname, enc.data, enc.len);
	free(fname);
	if (rc) {
		set_err(err, "cannot write the manifest into '%s': %s", r.gens,
			rc == -ENOSPC ? "no space left on device; free space and retry" : strerror(-rc));
		goto out;
	}
	fault_point("backup-manifest-done");
	struct catalog_sync_stats st;
	rc = catalog_sync(&c, &r, false, &st);
	if (rc) {
		set_err(err, "generation '%s' is stored but the catalog update failed: %s; %s 'strata index %s'",
			m.name, rc == -ENOSPC ? "no space left on device" : strerror(-rc),
			rc == -ENOSPC ? "free space and run" : "run", o->repo);
		goto out;
	}
	snprintf(res->name, sizeof(res->name), "%s", m.name);
	res->tables = m.ntables;
	res->rows = b.rows;
	res->bytes_in = b.bytes_in;
	res->source_bytes = m.source_bytes;
	res->new_bytes = b.new_bytes + enc.len;
	res->chunks = b.chunks;
	res->new_chunks = b.new_chunks;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
out:
	if (b.progress)
		fprintf(stderr, "\r\033[K");
	pack_writer_abort(b.pw);
	if (db)
		sqlite3_close_v2(db);
	for (size_t i = 0; i < ntables; i++)
		free(names[i]);
	free(names);
	free(b.known.v);
	free(b.known.used);
	ZSTD_freeCCtx(b.cctx);
	buf_release(&b.cbuf);
	buf_release(&b.render);
	buf_release(&schema);
	buf_release(&enc);
	manifest_release(&m);
	catalog_close(&c);
	repo_close(&r);
	return rc;
}
