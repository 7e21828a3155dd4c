/*
 * reader.c - see reader.h.
 *
 * PIECES.  The cache (cache.h) holds a chunk's CSV in pieces: a framed
 * chunk (SFC2, SFC3) has one piece per CSV frame, piece k being CSV bytes
 * [coff[k], coff[k+1]); a format 1 chunk is one piece, its whole CSV,
 * rendered from its typed rows.  Piece PIECE_TOC is the chunk's table: a
 * struct framed_toc and its arrays in one allocation; version 0 marks a
 * format 1 chunk.
 *
 * READ-AHEAD.  A file read sequentially gets the pieces of its next
 * PREFETCH_BYTES decoded by a small pool of threads, so decompression runs
 * ahead of the reader on the other cores; for a JSONL or SQL file (and the
 * tables' parts of dump.sql) the next chunks are rendered whole.  Jobs copy
 * what they need (no pointer into an rd_file, which may be freed
 * meanwhile) and hold a reference to a view's names (struct shared_vt); a
 * full queue drops the job.
 */
#include "strata/reader.h"
#include "strata/cache.h"
#include "strata/frames.h"
#include "strata/log.h"
#include "strata/render.h"

#include <xxhash.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PIECE_TOC UINT32_MAX
/* a format 1 chunk's one piece (its whole CSV): not piece 0 of a framed copy of the same chunk */
#define PIECE_WHOLE (UINT32_MAX - 1)
#define PREFETCH_BYTES (4u << 20)
#define PF_QUEUE 256
#define VF_MAX 16

struct pf_job {
	struct cat_chunk ch;
	uint32_t piece;      /* CSV: a piece of the chunk; views: 0 */
	uint64_t seq;
	uint32_t tidx;
	enum view_format fmt;
	struct view_table *vt; /* views: the names (a reference), else NULL */
	uint8_t variant[16];
};

/* An rd_file's view_table, shared with the read-ahead jobs that render it. */
struct shared_vt {
	struct view_table vt;
	unsigned refs;
};

static struct view_table *vt_ref(struct view_table *vt)
{
	__atomic_add_fetch(&((struct shared_vt *)vt)->refs, 1, __ATOMIC_RELAXED);
	return vt;
}

static void vt_unref(struct view_table *vt)
{
	struct shared_vt *s = (struct shared_vt *)vt; /* vt is its first member */
	if (vt && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		view_table_release(&s->vt);
		free(s);
	}
}

struct reader {
	const struct repo *repo;
	struct chunk_cache *cache;
	pthread_key_t dctx_key;
	pthread_mutex_t pack_mu;
	struct pack_fd { char name[33]; struct store_file *f; } *packs;
	size_t npacks, cap_packs;
	/* read-ahead */
	pthread_mutex_t pf_mu;
	pthread_cond_t pf_cv;
	struct pf_job pf_q[PF_QUEUE];
	size_t pf_head, pf_len;
	bool pf_stop;
	pthread_t *pf_threads;
	int pf_nthreads;
	/*
	 * Views being rendered now (get_view): a second reader of the same
	 * chunk waits for the first instead of rendering it again (the
	 * kernel's parallel reads and the read-ahead land in one chunk).
	 */
	pthread_mutex_t vf_mu;
	pthread_cond_t vf_cv;
	struct chunk_id vf_keys[VF_MAX];
	size_t vf_n;
};

/* Where a chunk's rows are in the body of f, and how many bytes. */
static inline uint64_t chunk_off(const struct rd_file *f, const struct cat_chunk *c)
{
	return f->fmt == VIEW_JSONL ? c->jsonl_off : f->fmt == VIEW_SQL ? c->sql_off : c->csv_off;
}

static inline uint64_t fmt_len(enum view_format fmt, const struct cat_chunk *c)
{
	return fmt == VIEW_JSONL ? c->jsonl_len : fmt == VIEW_SQL ? c->sql_len : c->e.csv_len;
}

static inline uint64_t chunk_len(const struct rd_file *f, const struct cat_chunk *c)
{
	return fmt_len(f->fmt, c);
}

void rd_file_set_size(struct rd_file *f)
{
	f->size = f->text_len;
	for (size_t i = 0; i < f->nchunks; i++)
		f->size += chunk_len(f, &f->chunks[i]);
	for (size_t i = 0; i < f->nparts; i++)
		f->size += f->parts[i]->size;
}

void rd_file_add_part(struct rd_file *f, struct rd_file *part)
{
	f->parts = xrealloc(f->parts, (f->nparts + 1) * sizeof(*f->parts));
	f->part_off = xrealloc(f->part_off, (f->nparts + 1) * sizeof(*f->part_off));
	f->part_off[f->nparts] = f->nparts ? f->part_off[f->nparts - 1] + f->parts[f->nparts - 1]->size : 0;
	f->parts[f->nparts++] = part;
}

void rd_file_set_op(struct rd_file *f, const char *op, bool csv)
{
	uint64_t extra = strlen(op) + (csv ? 1 : 8);
	f->vt->op = op;
	f->vt->op_csv = csv;
	/* another rendering of the same rows: another cache key */
	uint8_t in[18 + 64];
	size_t ol = strlen(op) < 64 ? strlen(op) : 64;
	memcpy(in, f->variant, 16);
	in[16] = csv;
	in[17] = (uint8_t)ol;
	memcpy(in + 18, op, ol);
	XXH128_hash_t h = XXH3_128bits(in, 18 + ol);
	memcpy(f->variant, &h.high64, 8);
	memcpy(f->variant + 8, &h.low64, 8);
	/* each chunk's rows as this file has them: its offsets and lengths in the JSONL fields */
	uint64_t off = 0;
	for (size_t i = 0; i < f->nchunks; i++) {
		struct cat_chunk *c = &f->chunks[i];
		c->jsonl_len = (csv ? c->e.csv_len : c->jsonl_len) + c->e.nrows * extra;
		c->jsonl_off = off;
		off += c->jsonl_len;
	}
}

void rd_file_set_view(struct rd_file *f, enum view_format fmt, const char *table,
		      char *const *cols, unsigned ncols, bool without_rowid, unsigned rev)
{
	XXH3_state_t *st = XXH3_createState();
	XXH128_hash_t h;
	uint8_t tag[3] = { (uint8_t)fmt, without_rowid, 0 };

	struct shared_vt *svt = xcalloc(1, sizeof(*svt));
	svt->refs = 1;
	f->fmt = fmt;
	f->vt = &svt->vt;
	view_table_init(f->vt, table, cols, ncols, without_rowid);
	f->vt->rev = rev;
	tag[2] = (uint8_t)rev;
	/* what the rendering depends on besides the rows: format, names, rowid */
	XXH3_128bits_reset(st);
	XXH3_128bits_update(st, tag, 3);
	XXH3_128bits_update(st, f->vt->insert.data, f->vt->insert.len);
	for (unsigned c = 0; c < ncols; c++)
		XXH3_128bits_update(st, f->vt->keys[c].data, f->vt->keys[c].len);
	h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	memcpy(f->variant, &h.high64, 8);
	memcpy(f->variant + 8, &h.low64, 8);
}

void rd_file_free(struct rd_file *f)
{
	if (!f)
		return;
	vt_unref(f->vt);
	free(f->text);
	catalog_free_chunks(f->chunks, f->nchunks);
	for (size_t i = 0; i < f->nparts; i++)
		rd_file_free(f->parts[i]);
	free(f->parts);
	free(f->part_off);
	free(f);
}

static void dctx_free(void *p)
{
	ZSTD_freeDCtx(p);
}

struct reader *reader_new(const struct repo *repo, size_t cache_bytes)
{
	struct reader *r = xcalloc(1, sizeof(*r));
	r->repo = repo;
	r->cache = chunk_cache_new(cache_bytes);
	pthread_key_create(&r->dctx_key, dctx_free);
	pthread_mutex_init(&r->pack_mu, NULL);
	pthread_mutex_init(&r->pf_mu, NULL);
	pthread_cond_init(&r->pf_cv, NULL);
	pthread_mutex_init(&r->vf_mu, NULL);
	pthread_cond_init(&r->vf_cv, NULL);
	return r;
}

size_t reader_cache_bytes(struct reader *rd)
{
	return chunk_cache_bytes(rd->cache);
}

/*
 * The pack's handle, opened once and kept.  The store opens it without
 * following a symbolic link at any step and only as a regular object.
 */
static int pack_file(struct reader *r, const char *name, struct store_file **f)
{
	int rc = 0;
	*f = NULL;
	pthread_mutex_lock(&r->pack_mu);
	for (size_t i = 0; i < r->npacks; i++)
		if (!strcmp(r->packs[i].name, name)) {
			*f = r->packs[i].f;
			goto out;
		}
	/* the name came from the catalog, which only holds 32-hex pack names */
	if (strlen(name) != 32 || strspn(name, "0123456789abcdef") != 32) {
		rc = -EUCLEAN;
		goto out;
	}
	rc = repo_open_pack(r->repo, name, f);
	if (rc)
		goto out;
	if (r->npacks == r->cap_packs) {
		r->cap_packs = r->cap_packs ? r->cap_packs * 2 : 64;
		r->packs = xrealloc(r->packs, r->cap_packs * sizeof(*r->packs));
	}
	memcpy(r->packs[r->npacks].name, name, 33);
	r->packs[r->npacks++].f = *f;
out:
	pthread_mutex_unlock(&r->pack_mu);
	return rc;
}

static ZSTD_DCtx *thread_dctx(struct reader *r)
{
	ZSTD_DCtx *d = pthread_getspecific(r->dctx_key);
	if (!d) {
		d = ZSTD_createDCtx();
		pthread_setspecific(r->dctx_key, d);
	}
	return d;
}

static void log_bad_chunk(const struct cat_chunk *ch, uint64_t gseq, uint32_t tidx, int rc,
			  const char *what)
{
	char hex[33];
	chunk_id_hex(hex, &ch->e.id);
	log_msg("bad chunk %s in pack 'packs/%.2s/%s.pack' at offset %llu (generation %llu, table %u, chunk %u%s): %s; restore the pack from a copy of the repository",
		hex, ch->pack, ch->pack, (unsigned long long)ch->e.offset,
		(unsigned long long)gseq, tidx, ch->seqno, what,
		rc == -EBADMSG ? "checksum mismatch" : rc == -EIO ? "read error" : "bad structure");
}

/*
 * The chunk's pack is gone: garbage collection moved the chunk to another
 * pack (and made the catalog serve it from there) before deleting this one.
 * Ask the catalog where it is now, on a connection of its own (this is rare,
 * and the caller may hold the tree's catalog).  The copy must be the same
 * chunk: same id and sizes.  0 with *moved filled, or an error.
 */
static int relocate(struct reader *r, const struct cat_chunk *ch, struct cat_chunk *moved)
{
	struct catalog c;
	int rc = catalog_open(&c, r->repo->catalog, true);
	if (rc)
		return rc;
	*moved = *ch;
	rc = catalog_chunk_where(&c, &ch->e.id, &moved->e, moved->pack);
	catalog_close(&c);
	if (!rc && (!strcmp(moved->pack, ch->pack) || moved->e.ulen != ch->e.ulen ||
		    moved->e.nrows != ch->e.nrows || moved->e.csv_len != ch->e.csv_len))
		rc = -ENOENT;
	return rc;
}

/*
 * The descriptor of the pack holding *chp; if that pack is gone and the
 * chunk now lives in another one, *chp is pointed at moved, which describes
 * that copy.
 */
static int open_chunk_pack(struct reader *r, uint64_t gseq, uint32_t tidx,
			   const struct cat_chunk **chp, struct cat_chunk *moved,
			   struct store_file **f)
{
	const struct cat_chunk *ch = *chp;
	int rc = pack_file(r, ch->pack, f);
	if (rc == -ENOENT && !relocate(r, ch, moved)) {
		struct store_file *f2;
		if (!pack_file(r, moved->pack, &f2)) {
			*chp = ch = moved;
			*f = f2;
			rc = 0;
		}
	}
	if (rc) {
		log_msg("cannot open pack 'packs/%.2s/%s.pack': %s (generation %llu, table %u)",
			ch->pack, ch->pack,
			rc == -EUCLEAN ? "not a regular file" :
			rc == -ELOOP ? "it is a symbolic link, which is not followed" :
			strerror(-rc), (unsigned long long)gseq, tidx);
		return -EIO;
	}
	/* sizes come from the catalog: hold them to the bounds a pack index obeys */
	if (ch->e.ulen > CHUNK_MAX_ULEN || ch->e.nrows > ch->e.ulen ||
	    ch->e.csv_len > (uint64_t)ch->e.ulen * 8 + ch->e.nrows * 4096) {
		log_msg("catalog entry of chunk %u of generation %llu, table %u is out of bounds; run 'strata index --rebuild %s'",
			ch->seqno, (unsigned long long)gseq, tidx, r->repo->path);
		return -EIO;
	}
	return 0;
}

/*
 * The cache key of a chunk's table: its id, pack and offset hashed, since
 * two copies of a chunk (one stored again after damage) may have other
 * bodies.  Pieces are keyed by the id alone: every copy renders the same CSV.
 */
static struct chunk_id toc_key(const struct cat_chunk *ch)
{
	uint8_t in[16 + 32 + 8];
	struct chunk_id k;
	memcpy(in, ch->e.id.b, 16);
	memcpy(in + 16, ch->pack, 32);
	put_u64le(in + 48, ch->e.offset);
	chunk_id_of(&k, in, sizeof(in));
	return k;
}

static int get_toc(struct reader *r, uint64_t gseq, uint32_t tidx, const struct cat_chunk *ch,
		   struct cache_entry **out)
{
	uint8_t head[4096];
	struct framed_toc t;
	struct cat_chunk moved;
	size_t n;
	struct store_file *f;
	int rc;

	struct chunk_id key = toc_key(ch);
	*out = chunk_cache_get(r->cache, &key, PIECE_TOC);
	if (*out)
		return 0;
	rc = open_chunk_pack(r, gseq, tidx, &ch, &moved, &f);
	key = toc_key(ch); /* the copy actually read */
	if (rc)
		return rc;
	n = ch->e.clen < sizeof(head) ? ch->e.clen : sizeof(head);
	rc = store_pread(f, head, n, ch->e.offset);
	if (!rc && !framed_is(head, n)) {
		memset(&t, 0, sizeof(t)); /* format 1 */
	} else if (!rc) {
		rc = framed_read_toc(f, &ch->e, &t);
	}
	if (rc) {
		log_bad_chunk(ch, gseq, tidx, rc, ", frame table");
		return -EIO;
	}
	size_t nblock = t.version ? framed_toc_bytes(&t) : 0;
	size_t len = sizeof(t) + nblock;
	uint8_t *data = xmalloc(len);
	if (nblock) {
		memcpy(data + sizeof(t), t.foff, nblock);
		framed_toc_free(&t);
		framed_toc_rebase(&t, data + sizeof(t));
	}
	memcpy(data, &t, sizeof(t));
	*out = chunk_cache_put_new(r->cache, &key, PIECE_TOC, data, len);
	return 0;
}

static inline const struct framed_toc *toc_of(const struct cache_entry *e)
{
	return (const struct framed_toc *)(const void *)e->data;
}

/* The piece holding CSV byte in (< csv_len) of a chunk, and where that piece starts. */
static inline uint32_t piece_at(const struct framed_toc *t, uint64_t in)
{
	return t->version ? framed_frame_at(t, in) : 0;
}

static inline uint64_t piece_start(const struct framed_toc *t, uint32_t k)
{
	return t->version ? t->coff[k] : 0;
}

static inline uint32_t piece_count(const struct framed_toc *t)
{
	return t->version ? t->nframes : 1;
}

/* Piece k of a chunk (see above), from the cache or from its pack. */
static int get_piece(struct reader *r, uint64_t gseq, uint32_t tidx, const struct cat_chunk *ch,
		     const struct framed_toc *t, uint32_t k, struct cache_entry **out)
{
	uint8_t *raw = NULL;
	struct buf csv = BUF_INIT;
	struct cat_chunk moved;
	uint64_t nrows;
	struct store_file *f;
	int rc;

	/* two copies of a chunk may differ in body format (one stored again): keyed apart */
	*out = chunk_cache_get(r->cache, &ch->e.id, t->version ? k : PIECE_WHOLE);
	if (*out)
		return 0;
	rc = open_chunk_pack(r, gseq, tidx, &ch, &moved, &f);
	if (rc)
		return rc;
	if (t->version) {
		if (k >= t->nframes)
			return -EIO;
		rc = framed_read_frame(f, &ch->e, t, k, thread_dctx(r), &raw);
		if (rc) {
			char what[32];
			snprintf(what, sizeof(what), ", frame %u", k);
			log_bad_chunk(ch, gseq, tidx, rc, what);
			return -EIO;
		}
		*out = chunk_cache_put_new(r->cache, &ch->e.id, k, raw,
					   framed_frame_len(t, &ch->e, k));
		return 0;
	}
	rc = chunk_read(f, &ch->e, thread_dctx(r), &raw);
	if (!rc) {
		/* the recorded csv_len is checked below, not trusted for the allocation */
		buf_grow(&csv, (size_t)(ch->e.csv_len < (uint64_t)ch->e.ulen * 4 ? ch->e.csv_len
									 : (uint64_t)ch->e.ulen * 4));
		rc = render_csv_chunk(raw, ch->e.ulen, &csv, &nrows);
		if (!rc && (csv.len != ch->e.csv_len || nrows != ch->e.nrows))
			rc = -EUCLEAN;
	}
	free(raw);
	if (rc) {
		log_bad_chunk(ch, gseq, tidx, rc, "");
		buf_release(&csv);
		return -EIO;
	}
	uint8_t *data = buf_detach(&csv, NULL);
	*out = chunk_cache_put_new(r->cache, &ch->e.id, PIECE_WHOLE, data, ch->e.csv_len);
	return 0;
}

int reader_chunk_typed(struct reader *r, uint64_t gseq, uint32_t tidx,
		       const struct cat_chunk *ch, struct buf *typed)
{
	uint8_t head[4], *body = NULL, *raw = NULL;
	size_t before = typed->len;
	struct cat_chunk moved;
	struct store_file *f;
	int rc = open_chunk_pack(r, gseq, tidx, &ch, &moved, &f);

	if (rc)
		return rc;
	rc = store_pread(f, head, ch->e.clen < 4 ? ch->e.clen : 4, ch->e.offset);
	if (!rc && !framed_is(head, ch->e.clen < 4 ? ch->e.clen : 4)) {
		/* format 1: the typed rows themselves, checked against the id */
		rc = chunk_read(f, &ch->e, thread_dctx(r), &raw);
		if (!rc)
			buf_add(typed, raw, ch->e.ulen);
		free(raw);
	} else if (!rc) {
		body = malloc(ch->e.clen ? ch->e.clen : 1);
		rc = body ? store_pread(f, body, ch->e.clen, ch->e.offset) : -ENOMEM;
		/* the ids decide; a framed body is read without the recorded ulen, as reads are */
		if (!rc)
			rc = framed_body_typed(body, ch->e.clen, &ch->e, thread_dctx(r), typed, NULL,
					       false);
		free(body);
	}
	if (rc) {
		typed->len = before;
		log_bad_chunk(ch, gseq, tidx, rc, rc == -ENOMEM ? " (out of memory)" : "");
		return -EIO;
	}
	return 0;
}

/*
 * Claim the rendering of view key: true when this thread is to render it;
 * false when another thread just did (*out holds it).  With every slot
 * taken the rendering goes ahead unclaimed: at worst done twice.
 */
static bool view_claim(struct reader *r, const struct chunk_id *key, struct cache_entry **out)
{
	pthread_mutex_lock(&r->vf_mu);
	for (;;) {
		size_t i = 0;
		while (i < r->vf_n && memcmp(r->vf_keys[i].b, key->b, 16))
			i++;
		if (i == r->vf_n)
			break;
		pthread_cond_wait(&r->vf_cv, &r->vf_mu);
		*out = chunk_cache_get(r->cache, key, 0);
		if (*out) {
			pthread_mutex_unlock(&r->vf_mu);
			return false;
		}
	}
	if (r->vf_n < VF_MAX)
		r->vf_keys[r->vf_n++] = *key;
	pthread_mutex_unlock(&r->vf_mu);
	return true;
}

static void view_release(struct reader *r, const struct chunk_id *key)
{
	pthread_mutex_lock(&r->vf_mu);
	for (size_t i = 0; i < r->vf_n; i++)
		if (!memcmp(r->vf_keys[i].b, key->b, 16)) {
			r->vf_keys[i] = r->vf_keys[--r->vf_n];
			break;
		}
	pthread_cond_broadcast(&r->vf_cv);
	pthread_mutex_unlock(&r->vf_mu);
}

static void log_view_len(struct reader *r, enum view_format fmt, uint64_t seq, uint32_t tidx,
			 const struct cat_chunk *ch, size_t got)
{
	log_msg("chunk %u of generation %llu, table %u renders as %s in %zu bytes, not the %llu its manifest records; run 'strata verify %s'",
		ch->seqno, (unsigned long long)seq, tidx, view_ext(fmt), got,
		(unsigned long long)fmt_len(fmt, ch), r->repo->path);
}

/*
 * A cached rendering is that of the same rows with the same names, but
 * this file's manifest may record another length for it (a forged or
 * damaged one): it must agree, as for CSV pieces, or the read would run
 * past the entry.
 */
static int view_len_ok(struct reader *r, enum view_format fmt, uint64_t seq, uint32_t tidx,
		       const struct cat_chunk *ch, struct cache_entry **out)
{
	if ((*out)->len == fmt_len(fmt, ch))
		return 0;
	log_view_len(r, fmt, seq, tidx, ch, (*out)->len);
	chunk_cache_unref(r->cache, *out);
	*out = NULL;
	return -EIO;
}

/*
 * A chunk rendered as a JSONL or SQL view: one piece, the whole rendering,
 * cached under an id derived from the chunk's and the file's variant (the
 * same rows render differently in tables with other names).
 */
static int get_view(struct reader *r, enum view_format fmt, const struct view_table *vt,
		    const uint8_t variant[16], uint64_t seq, uint32_t tidx,
		    const struct cat_chunk *ch, struct cache_entry **out)
{
	struct buf typed = BUF_INIT, text = BUF_INIT;
	struct chunk_id key;
	uint8_t in[32];
	uint64_t nrows;
	int rc;

	memcpy(in, ch->e.id.b, 16);
	memcpy(in + 16, variant, 16);
	chunk_id_of(&key, in, 32);
	*out = chunk_cache_get(r->cache, &key, 0);
	if (*out || !view_claim(r, &key, out)) /* cached, or rendered by another thread meanwhile */
		return view_len_ok(r, fmt, seq, tidx, ch, out);
	rc = reader_chunk_typed(r, seq, tidx, ch, &typed);
	if (rc) {
		view_release(r, &key);
		return rc; /* logged */
	}
	rc = view_render_chunk(fmt, vt, typed.data, typed.len, &text, &nrows);
	buf_release(&typed);
	/* the rows are the id's; what the size promised is checked (nrows is not used, as for CSV) */
	if (rc || text.len != fmt_len(fmt, ch)) {
		log_view_len(r, fmt, seq, tidx, ch, text.len);
		buf_release(&text);
		view_release(r, &key);
		return -EIO;
	}
	size_t len = text.len;
	*out = chunk_cache_put_new(r->cache, &key, 0, buf_detach(&text, NULL), len);
	view_release(r, &key);
	return 0;
}

/* ---- read-ahead ---- */

/* Queue a job (a copy of j; its vt reference is taken here), once. */
static void prefetch_push(struct reader *r, const struct pf_job *j)
{
	pthread_mutex_lock(&r->pf_mu);
	if (!r->pf_nthreads)
		goto out;
	for (size_t i = 0; i < r->pf_len; i++) {
		const struct pf_job *q = &r->pf_q[(r->pf_head + i) % PF_QUEUE];
		if (q->piece == j->piece && q->fmt == j->fmt && !memcmp(q->ch.e.id.b, j->ch.e.id.b, 16) &&
		    (!j->vt || !memcmp(q->variant, j->variant, 16)))
			goto out; /* already queued */
	}
	if (r->pf_len < PF_QUEUE) {
		struct pf_job *q = &r->pf_q[(r->pf_head + r->pf_len++) % PF_QUEUE];
		*q = *j;
		q->ch.fname = NULL;
		if (q->vt)
			vt_ref(q->vt);
		pthread_cond_signal(&r->pf_cv);
	}
out:
	pthread_mutex_unlock(&r->pf_mu);
}

static void *prefetch_main(void *arg)
{
	struct reader *r = arg;
	for (;;) {
		struct pf_job j;
		struct cache_entry *e, *te;
		pthread_mutex_lock(&r->pf_mu);
		while (!r->pf_len && !r->pf_stop)
			pthread_cond_wait(&r->pf_cv, &r->pf_mu);
		if (r->pf_stop) {
			pthread_mutex_unlock(&r->pf_mu);
			return NULL;
		}
		j = r->pf_q[r->pf_head];
		r->pf_head = (r->pf_head + 1) % PF_QUEUE;
		r->pf_len--;
		pthread_mutex_unlock(&r->pf_mu);
		if (j.vt) {
			/* errors: the reader will hit them itself and log them */
			if (!get_view(r, j.fmt, j.vt, j.variant, j.seq, j.tidx, &j.ch, &e))
				chunk_cache_unref(r->cache, e);
			vt_unref(j.vt);
			continue;
		}
		e = chunk_cache_get(r->cache, &j.ch.e.id, j.piece);
		if (e) {
			chunk_cache_unref(r->cache, e);
			continue;
		}
		/* errors: the reader will hit them itself and log them */
		if (get_toc(r, j.seq, j.tidx, &j.ch, &te))
			continue;
		if (!get_piece(r, j.seq, j.tidx, &j.ch, toc_of(te), j.piece, &e))
			chunk_cache_unref(r->cache, e);
		chunk_cache_unref(r->cache, te);
	}
}

void reader_start(struct reader *r, int nthreads)
{
	if (nthreads <= 0)
		return;
	pthread_mutex_lock(&r->pf_mu);
	r->pf_threads = xcalloc((size_t)nthreads, sizeof(pthread_t));
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&r->pf_threads[r->pf_nthreads], NULL, prefetch_main, r) == 0)
			r->pf_nthreads++;
	pthread_mutex_unlock(&r->pf_mu);
}

void reader_free(struct reader *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->pf_mu);
	r->pf_stop = true;
	pthread_cond_broadcast(&r->pf_cv);
	pthread_mutex_unlock(&r->pf_mu);
	for (int i = 0; i < r->pf_nthreads; i++)
		pthread_join(r->pf_threads[i], NULL);
	for (size_t i = 0; i < r->pf_len; i++)
		vt_unref(r->pf_q[(r->pf_head + i) % PF_QUEUE].vt);
	free(r->pf_threads);
	chunk_cache_free(r->cache);
	for (size_t i = 0; i < r->npacks; i++)
		store_file_close(r->packs[i].f);
	free(r->packs);
	/* this thread's context: the key's destructor only runs at thread exit */
	ZSTD_freeDCtx(pthread_getspecific(r->dctx_key));
	pthread_setspecific(r->dctx_key, NULL);
	pthread_key_delete(r->dctx_key);
	pthread_mutex_destroy(&r->pack_mu);
	pthread_mutex_destroy(&r->pf_mu);
	pthread_cond_destroy(&r->pf_cv);
	pthread_mutex_destroy(&r->vf_mu);
	pthread_cond_destroy(&r->vf_cv);
	free(r);
}

/* ---- reads ---- */

/* First chunk whose rendered range ends after body offset off. */
static size_t find_chunk(const struct rd_file *f, uint64_t off)
{
	size_t lo = 0, hi = f->nchunks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cat_chunk *c = &f->chunks[mid];
		if (chunk_off(f, c) + chunk_len(f, c) <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Room for one more held entry and two more pieces. */
static void reply_room(struct rd_reply *r)
{
	if (r->nheld == 2 * r->cap || r->niov + 2 > r->cap) {
		size_t ncap = r->cap * 4;
		struct iovec *ni = xmalloc(ncap * sizeof(*ni));
		struct cache_entry **nh = xmalloc(2 * ncap * sizeof(*nh));
		memcpy(ni, r->iov, r->niov * sizeof(*ni));
		memcpy(nh, r->held, r->nheld * sizeof(*nh));
		if (r->iov != r->iov_small) {
			free(r->iov);
			free(r->held);
		}
		r->iov = ni;
		r->held = nh;
		r->cap = ncap;
	}
}

static void reply_hold(struct rd_reply *r, struct cache_entry *e)
{
	reply_room(r);
	r->held[r->nheld++] = e;
}

static void reply_add(struct rd_reply *r, const void *p, size_t n)
{
	/* a piece of a cache entry: room was made by its hold; a prefix's: here */
	if (r->niov + 1 > r->cap)
		reply_room(r);
	r->iov[r->niov].iov_base = (void *)(uintptr_t)p;
	r->iov[r->niov++].iov_len = n;
	r->len += n;
}

/*
 * Hand the pieces after a sequential read's end (up to PREFETCH_BYTES
 * ahead) to the read-ahead threads, each once.
 */
static void read_ahead(struct reader *rd, struct rd_file *f, uint64_t bend)
{
	uint64_t body = f->size - f->text_len;
	uint64_t from = __atomic_load_n(&f->pf_upto, __ATOMIC_RELAXED);
	uint64_t to = bend + PREFETCH_BYTES < body ? bend + PREFETCH_BYTES : body;
	uint64_t pos = from > bend ? from : bend;

	if (pos >= to)
		return;
	for (size_t i = find_chunk(f, pos); i < f->nchunks && pos < to; i++) {
		const struct cat_chunk *c = &f->chunks[i];
		struct cache_entry *te;
		if (get_toc(rd, f->seq, f->tidx, c, &te))
			return; /* the reader will meet the error itself */
		const struct framed_toc *t = toc_of(te);
		uint64_t cend = c->csv_off + c->e.csv_len, in = pos - c->csv_off;
		/* pieces starting at or after pos; the one holding pos is being read */
		uint32_t k = 0, n = piece_count(t);
		if (in < c->e.csv_len) {
			k = piece_at(t, in);
			k += piece_start(t, k) < in;
		} else {
			k = n;
		}
		for (; k < n && c->csv_off + piece_start(t, k) < to; k++)
			prefetch_push(rd, &(struct pf_job){ .ch = *c, .piece = k,
							    .seq = f->seq, .tidx = f->tidx });
		pos = k < n ? c->csv_off + piece_start(t, k) : cend;
		chunk_cache_unref(rd->cache, te);
	}
	__atomic_store_n(&f->pf_upto, pos, __ATOMIC_RELAXED);
}

/* The first part of an assembled file that ends after off (nparts: none). */
static size_t part_at(const struct rd_file *f, uint64_t off)
{
	size_t lo = 0, hi = f->nparts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->part_off[mid] + f->parts[mid]->size <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Append the bytes [off, end) of f (end <= f->size) to r. */
static int read_span(struct reader *rd, struct rd_file *f, uint64_t off, uint64_t end,
		     struct rd_reply *r)
{
	int rc = 0;
	for (size_t i = part_at(f, off); i < f->nparts && off < end && !rc; i++) {
		uint64_t pstart = f->part_off[i], pend = pstart + f->parts[i]->size;
		uint64_t to = end < pend ? end : pend;
		rc = read_span(rd, f->parts[i], off - pstart, to - pstart, r);
		off = to;
	}
	if (f->nparts)
		return rc;
	if (off < f->text_len) {
		size_t n = (size_t)((end < f->text_len ? end : f->text_len) - off);
		reply_add(r, f->text + off, n);
		off += n;
	}
	if (off < end) {
		uint64_t body = off - f->text_len, bend = end - f->text_len;
		for (size_t i = find_chunk(f, body); !rc && i < f->nchunks && body < bend; i++) {
			const struct cat_chunk *c = &f->chunks[i];
			struct cache_entry *te, *e;
			if (f->fmt != VIEW_CSV) {
				/* one piece per chunk: its whole rendering */
				uint64_t coff = chunk_off(f, c), cend = coff + chunk_len(f, c);
				rc = get_view(rd, f->fmt, f->vt, f->variant, f->seq, f->tidx, c, &e);
				if (rc)
					break;
				reply_hold(r, e);
				uint64_t want = (bend < cend ? bend : cend) - body;
				reply_add(r, e->data + (body - coff), (size_t)want);
				body += want;
				continue;
			}
			rc = get_toc(rd, f->seq, f->tidx, c, &te);
			if (rc)
				break;
			reply_hold(r, te);
			const struct framed_toc *t = toc_of(te);
			uint64_t cend = c->csv_off + c->e.csv_len;
			while (body < bend && body < cend) {
				uint64_t in = body - c->csv_off;
				uint32_t k = piece_at(t, in);
				rc = get_piece(rd, f->seq, f->tidx, c, t, k, &e);
				if (rc)
					break;
				reply_hold(r, e);
				uint64_t from = in - piece_start(t, k);
				uint64_t want = (bend < cend ? bend : cend) - body;
				if (from >= e->len) {
					rc = -EIO; /* a piece shorter than its table says */
					break;
				}
				uint64_t n = e->len - from < want ? e->len - from : want;
				reply_add(r, e->data + from, (size_t)n);
				body += n;
			}
		}
		if (!rc && body < bend)
			rc = -EIO; /* the chunk list ends before the file: never a short read */
	}
	return rc;
}

/*
 * The same for a JSONL or SQL file: the chunks starting in its body's
 * [bend, to) are rendered ahead, each whole (the one holding bend is being
 * read).
 */
static void read_ahead_view(struct reader *rd, struct rd_file *f, uint64_t bend, uint64_t to)
{
	uint64_t from = __atomic_load_n(&f->pf_upto, __ATOMIC_RELAXED);
	uint64_t pos = from > bend ? from : bend;
	for (size_t i = find_chunk(f, pos); i < f->nchunks; i++) {
		const struct cat_chunk *c = &f->chunks[i];
		uint64_t coff = chunk_off(f, c);
		if (coff >= to)
			break;
		pos = coff + chunk_len(f, c);
		if (coff < bend)
			continue; /* being read */
		struct pf_job j = { .ch = *c, .seq = f->seq, .tidx = f->tidx, .fmt = f->fmt,
				    .vt = f->vt };
		memcpy(j.variant, f->variant, 16);
		prefetch_push(rd, &j);
	}
	__atomic_store_n(&f->pf_upto, pos, __ATOMIC_RELAXED);
}

/* Read-ahead after a sequential read of f that ended at end (a file offset). */
static void read_ahead_any(struct reader *rd, struct rd_file *f, uint64_t end)
{
	if (!f->nparts) {
		if (end <= f->text_len || !f->nchunks)
			return;
		uint64_t bend = end - f->text_len, body = f->size - f->text_len;
		if (f->fmt == VIEW_CSV)
			read_ahead(rd, f, bend);
		else
			read_ahead_view(rd, f, bend, bend + PREFETCH_BYTES < body ? bend + PREFETCH_BYTES : body);
		return;
	}
	/* an assembled file: the part holding end and the next ones, PREFETCH_BYTES in all */
	uint64_t budget_end = end + PREFETCH_BYTES;
	for (size_t i = part_at(f, end); i < f->nparts; i++) {
		struct rd_file *p = f->parts[i];
		uint64_t pstart = f->part_off[i];
		if (pstart + p->text_len >= budget_end)
			break;
		if (!p->nchunks || p->fmt == VIEW_CSV)
			continue;
		uint64_t bend = end > pstart + p->text_len ? end - pstart - p->text_len : 0;
		uint64_t to = budget_end - pstart - p->text_len;
		read_ahead_view(rd, p, bend, to);
	}
}

int reader_read(struct reader *rd, struct rd_file *f, uint64_t off, size_t size,
		struct rd_reply *r)
{
	uint64_t start = off, end;
	int rc;

	r->iov = r->iov_small;
	r->held = r->held_small;
	r->niov = r->nheld = r->len = 0;
	r->cap = RD_IOV_SMALL;
	r->sequential = 0;
	r->end = off;
	if (off >= f->size)
		return 0;
	end = size < f->size - off ? off + size : f->size;
	r->end = end;
	rc = read_span(rd, f, off, end, r);
	/* near-sequential: the kernel's parallel readahead reorders requests */
	uint64_t prev = __atomic_load_n(&f->next_off, __ATOMIC_RELAXED);
	r->sequential = start + (4u << 20) >= prev && start <= prev + (4u << 20);
	__atomic_store_n(&f->next_off, end, __ATOMIC_RELAXED);
	return rc;
}

void reader_done(struct reader *rd, struct rd_file *f, struct rd_reply *r, int rc)
{
	for (size_t i = 0; i < r->nheld; i++)
		chunk_cache_unref(rd->cache, r->held[i]);
	/* after the reply: read_ahead() may pread frame tables of the next chunks */
	if (!rc && r->sequential)
		read_ahead_any(rd, f, r->end);
	if (r->iov != r->iov_small) {
		free(r->iov);
		free(r->held);
	}
	r->iov = r->iov_small;
	r->held = r->held_small;
	r->niov = r->nheld = 0;
}
