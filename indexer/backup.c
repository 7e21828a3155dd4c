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

#include "srcstate.h"
#include "strata/fault.h"
#include "strata/frames.h"
#include "strata/idset.h"
#include "strata/catalog.h"
#include "strata/idxnode.h"
#include "strata/manifest.h"
#include "strata/naming.h"
#include "strata/pagemap.h"
#include "strata/render.h"
#include "strata/rowcodec.h"
#include "strata/sqlpage.h"
#include "strata/sqlwal.h"
#include "strata/views.h"
#include "strata/verifyrec.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

static int idset_add_cb(void *arg, const struct chunk_id *id)
{
	idset_add(arg, id);
	return 0;
}

/*
 * Where a segment taken from an earlier body is (resolved by the reader
 * thread, copied by a worker): its side frame and CSV frames in a pack.
 */
struct seg_src {
	struct store_file *f;        /* the pack (backup's open packs, closed at the end) */
	uint64_t side_off, csv_off;  /* in the pack file */
	uint32_t *clens;             /* its CSV frames' lengths, owned */
	struct framed3_seg s;        /* its entry of the body's segment table */
};

/*
 * A segment of a chunk (format 3 bodies, strata/frames.h): rows decoded
 * into the job's data as a typed chunk of their own (off, len: the shape
 * header and the rows), or taken unread from an earlier body (from).
 */
struct seg {
	size_t off, len;
	uint32_t nrows;
	const struct pagemap_seg *from; /* taken: the parent's record; src says where */
	struct seg_src src;
	/* results of the worker, for new ones */
	uint8_t id[16];
	uint32_t csv_len;
	uint64_t jsonl_len, sql_len;
	uint8_t *classes;
	/* for the new page map: its leaves, cells, why it ended (0: by the next row) */
	size_t f_li, l_li;
	uint32_t f_ci, l_ci;
	uint8_t end, flags;
	uint32_t fire_end;
	uint8_t *first_key, *last_key;
	uint32_t first_len, last_len;
	/* its leaves' digests (record_hashes), taken when it is cut; hashed: both are */
	bool hashed;
	uint8_t h_first[16], h_span[16];
	long pm_i;                      /* its record in the new page map; -1: none */
};

/*
 * A closed chunk on its way to the pack: the reader thread hands it over
 * whole (no copy for a chunk that ends the buffer), a worker hashes it,
 * measures its CSV, compresses and stores it if new.  Results stay in the
 * job until every worker is done, then go into the manifest (the reader
 * may grow t->chunks meanwhile).
 */
struct job {
	uint8_t *data;       /* the new segments' typed chunks */
	size_t len;
	size_t ulen;         /* the chunk's typed rows: one shape header and every row */
	struct seg *segs;
	size_t nsegs;
	uint64_t nrows;
	struct manifest_table *t; /* NULL once the table is read again (table_restart) */
	unsigned ncols;
	size_t k;            /* index in t->chunks */
	struct chunk_id id;  /* results */
	uint64_t csv_len;
	uint64_t jsonl_len, sql_len;
	uint8_t *classes;    /* what each column holds (pgschema.h), for schema.pg.sql */
	const struct view_table *vt; /* the table's names, for the JSONL and SQL lengths */
	struct job *next;    /* queue link */
	long pm_t;           /* its record in the new page map: table, chunk; -1 when none */
	size_t pm_k;
	long pm_seg_t;       /* the table its segments' records are in (seg.pm_i); -1 when none */
};

#define MAX_WORKERS 8

/* tags of the dedup set (strata/idset.h) */
enum {
	KNOWN = 1,            /* stored in the repository */
	KNOWN_DAMAGED,        /* stored, but the last full verify found its data damaged */
	KNOWN_DAMAGED_REUSED, /* ... and this backup reuses it */
	KNOWN_HEAL,           /* its serving copy is damaged and no intact copy is known: store it again */
};

struct backup {
	struct repo *repo;
	struct catalog *cat; /* the reader thread's (segments' sources) */
	/* shared by the reader and the workers under store_mu: the dedup set, counters */
	pthread_mutex_t store_mu;
	struct idset known;
	uint64_t chunks, damaged_reused, healed;
	struct chunk_id *healed_ids; /* stored again (KNOWN_HEAL), for the summary */
	/*
	 * The open pack and what was written, under pack_mu, which a worker
	 * holds while the pack goes to disk (a 4 MiB direct write, a pack's
	 * fsync): the reader, which looks up the dedup set for every chunk and
	 * segment it takes, never waits for the disk.
	 */
	pthread_mutex_t pack_mu;
	struct pack_writer *pw;
	uint64_t new_bytes, new_chunks;
	/* the work queue, under q_mu */
	pthread_mutex_t q_mu;
	pthread_cond_t q_work, q_space;
	struct job *q_head, *q_tail;
	size_t inflight, inflight_bytes, max_inflight_bytes;
	bool q_stop;
	int q_err;                /* first worker error */
	pthread_t th[MAX_WORKERS];
	int nworkers;
	int zstd_level;
	/* reader side */
	struct job **jobs;        /* every job of this backup, in chunk order */
	size_t njobs, capjobs;
	struct view_table **vts;  /* one per table read, owned: jobs point into them */
	size_t nvts;
	uint64_t rows, bytes_in;
	bool progress;
	time_t last_progress;
	const char *collate; /* collation that orders TEXT keys as key_compare() does */
	/*
	 * The page reader (strata/sqlpage.h): a memory map of the snapshot's
	 * file, held from after BEGIN until before COMMIT (pages_setup), and
	 * in WAL mode the log's pages over it; pages.map NULL when tables are
	 * read through SQLite's API only.
	 */
	struct sqlpage_db pages;
	sqlite3_file *pages_file;
	void *pages_ref;       /* SQLite's map (xFetch), */
	void *pages_map;       /* or this process's own map of the proved descriptor */
	size_t pages_map_len;
	uint8_t *pages_last;   /* a copy of the last page (sqlpage_open_split) */
	struct sqlpage_overlay wal_pages; /* the snapshot's pages in the log (strata/sqlwal.h) */
	const char *pages_why; /* why not, for --verbose */
	int probe_fd;          /* a descriptor of the source opened in the read transaction; -1: none */
	int prefetch_fd;       /* the prefetcher's descriptor of the source, or -1 */
	/*
	 * WAL mode, a log with frames: its index (-shm) and the log, opened
	 * before BEGIN and closed only after SQLite closed the database
	 * (closing a descriptor drops this process's POSIX locks on the file,
	 * SQLite's own on the index included); the index's header, the
	 * snapshot's when wal_known (it did not change across BEGIN).
	 */
	int shm_fd, wal_fd;
	struct sqlwal_index wal_index;
	bool wal_known;
	bool api_only;         /* --reader sqlite */
	bool verbose;
	/*
	 * Incremental backups (docs/DESIGN-NOTES.md): the parent generation's
	 * page map and manifest when there is one (parent[0]), the page map
	 * this backup builds, and what it took from the parent unread.
	 */
	char parent[64];
	struct pagemap parent_pm;
	struct manifest parent_m;
	struct pagemap new_pm;
	/*
	 * Segment records: those loaded from the catalog for the parent's
	 * chunks a take failed at (one set per table, freed at the end: jobs
	 * point into them until the workers are done), and those of the chunks
	 * this backup built, written to the catalog after the generation
	 * (struct pagemap_segs).
	 */
	struct pagemap_segs **seg_sets;
	size_t nseg_sets;
	struct pagemap new_segs;
	uint64_t reused_chunks, reused_rows, reused_segs;
	/* packs segments are taken from (struct seg_src), open until the end */
	struct open_pack {
		char name[33];
		struct store_file *f;
	} *opens;
	size_t nopens;
	/* the body segments were last taken from, read once for its consecutive segments */
	struct chunk_id src_id;
	struct framed_toc src_toc;
	struct pack_entry src_e;
	struct store_file *src_f;
	int src_rc;                  /* 0: src_* describe src_id; else why it cannot be taken from */
	bool src_set;
};

/* Finish the open pack (call with pack_mu held, or with no workers running). */
static int flush_pack(struct backup *b)
{
	char name[33];
	int rc;
	if (!b->pw)
		return 0;
	b->new_bytes += pack_writer_size(b->pw);
	rc = pack_writer_finish(b->pw, name);
	b->pw = NULL;
	return rc;
}

/* A worker's compressors (fast, and small: see worker_main) and scratch buffers, kept from chunk to chunk. */
struct worker_bufs {
	ZSTD_CCtx *cctx, *cctx_small;
	struct buf csv, side, body;
	struct buf side_z, csv_z, clens; /* compressed segments, in order */
	struct buf taken;                /* taken segments' bytes, copied from their packs */
};

static void seg_release(struct seg *g)
{
	free(g->src.clens);
	free(g->classes);
	free(g->first_key);
	free(g->last_key);
}

/* A new segment's entry of the new body, before its compression fills in the sizes. */
static void seg_entry(const struct seg *g, struct framed3_seg *e)
{
	memset(e, 0, sizeof(*e));
	e->nrows = g->nrows;
	e->typed_len = (uint32_t)g->len;
	e->csv_len = g->csv_len;
	memcpy(e->id, g->id, 16);
}

/*
 * Compress the new segments and copy the taken ones' bytes out of their
 * packs, then assemble the body (strata/frames.h, SFC3) into wb->body.
 * framed3_assemble checks each segment's bytes against its zsum, so damage
 * in an earlier body that verify has not seen yet is not copied into a new
 * chunk: -EBADMSG, and the backup says to run verify (worker_failed).
 */
static int build_body(struct backup *b, struct job *j, struct worker_bufs *wb)
{
	struct framed3_part *parts = xcalloc(j->nsegs, sizeof(*parts));
	size_t *soff = xcalloc(j->nsegs, 3 * sizeof(size_t)), *coff = soff + j->nsegs,
	       *loff = coff + j->nsegs;
	uint64_t rendered;
	int rc = 0;

	buf_reset(&wb->side_z);
	buf_reset(&wb->csv_z);
	buf_reset(&wb->clens);
	buf_reset(&wb->taken);
	for (size_t i = 0; i < j->nsegs && !rc; i++) {
		struct seg *g = &j->segs[i];
		struct framed3_part *p = &parts[i];
		if (g->from) {
			/*
			 * Its side frame and CSV frames as they are in the earlier
			 * body, with those of the taken segments after it that
			 * follow it there: two reads for the run.
			 */
			size_t e = i + 1, sn = g->src.s.side_clen, cn = g->src.s.csv_clen;
			while (e < j->nsegs && j->segs[e].from && j->segs[e].src.f == g->src.f &&
			       j->segs[e].src.side_off == g->src.side_off + sn &&
			       j->segs[e].src.csv_off == g->src.csv_off + cn) {
				sn += j->segs[e].src.s.side_clen;
				cn += j->segs[e].src.s.csv_clen;
				e++;
			}
			size_t at = wb->taken.len;
			buf_grow(&wb->taken, sn + cn);
			rc = store_pread(g->src.f, wb->taken.data + at, sn, g->src.side_off);
			if (!rc)
				rc = store_pread(g->src.f, wb->taken.data + at + sn, cn, g->src.csv_off);
			wb->taken.len += sn + cn;
			for (size_t k = i, so = at, co = at + sn; k < e; k++) {
				parts[k].s = j->segs[k].src.s;
				parts[k].clens = j->segs[k].src.clens;
				soff[k] = so;
				coff[k] = co;
				so += parts[k].s.side_clen;
				co += parts[k].s.csv_clen;
			}
			i = e - 1;
			continue;
		}
		seg_entry(g, &p->s);
		rc = framed_render(j->data + g->off, g->len, &wb->csv, &wb->side, &rendered);
		if (!rc && (rendered != g->nrows || wb->csv.len > UINT32_MAX))
			rc = -EUCLEAN;
		g->csv_len = (uint32_t)wb->csv.len;
		j->csv_len += wb->csv.len;
		if (g->off + g->len == j->len) {
			/* the last new one: the typed rows are no longer needed (a huge value not held three times) */
			free(j->data);
			j->data = NULL;
		}
		soff[i] = wb->side_z.len;
		coff[i] = wb->csv_z.len;
		loff[i] = wb->clens.len;
		/* one segment in four (by its id, so a segment always gets the same bytes) greedily */
		if (!rc)
			rc = framed3_compress_seg(&wb->csv, &wb->side,
						  g->id[15] % 4 == 0 ? wb->cctx_small : wb->cctx,
						  &wb->side_z, &wb->csv_z, &wb->clens, &p->s);
	}
	/* nor the CSV of an outsize segment, before the body copies the compressed bytes */
	if (wb->csv.cap > 8 * b->repo->chunk.max + 65536)
		buf_release(&wb->csv);
	/* the buffers are complete: point into them */
	for (size_t i = 0; i < j->nsegs && !rc; i++) {
		struct framed3_part *p = &parts[i];
		if (j->segs[i].from) {
			p->side_z = wb->taken.data + soff[i];
			p->csv_z = wb->taken.data + coff[i];
		} else {
			p->side_z = wb->side_z.data + soff[i];
			p->csv_z = wb->csv_z.data + coff[i];
			p->clens = (const uint32_t *)(const void *)(wb->clens.data + loff[i]);
		}
	}
	if (!rc)
		rc = framed3_assemble(parts, (uint32_t)j->nsegs, &j->id, &wb->body);
	free(parts);
	free(soff);
	return rc;
}

/*
 * Hash one chunk's new segments and, if the chunk is new, render and
 * compress them and store its body (strata/frames.h); a known chunk is
 * only measured, without rendering.  Runs on a worker.  Memory: a chunk
 * may be a single value of hundreds of MiB (a row larger than chunk_max
 * is a chunk of its own); its CSV, side stream and body are scratch
 * buffers released again when they are larger than a normal chunk needs.
 */
static int process_job(struct backup *b, struct job *j, struct worker_bufs *wb)
{
	struct pack_entry e;
	struct framed3_seg *ents;
	uint64_t rendered;
	bool is_new;
	int rc = 0;

	if (j->ulen > CHUNK_MAX_ULEN || j->nsegs > FRAMED_MAX_FRAMES)
		return -EFBIG;
	ents = xcalloc(j->nsegs, sizeof(*ents));
	for (size_t i = 0; i < j->nsegs; i++) {
		struct seg *g = &j->segs[i];
		if (!g->from) {
			struct chunk_id sid;
			chunk_id_of(&sid, j->data + g->off, g->len);
			memcpy(g->id, sid.b, 16);
		}
		memcpy(ents[i].id, g->from ? g->src.s.id : g->id, 16);
	}
	framed3_chunk_id(ents, (uint32_t)j->nsegs, &j->id);
	free(ents);
	pthread_mutex_lock(&b->store_mu);
	b->chunks++;
	uint8_t tag = idset_get(&b->known, &j->id);
	is_new = !tag;
	if (is_new) {
		idset_add(&b->known, &j->id); /* stored once per repository */
	} else if (tag == KNOWN_DAMAGED) {
		/* reused although verify found its data damaged: counted once, said at the end */
		idset_put(&b->known, &j->id, KNOWN_DAMAGED_REUSED);
		b->damaged_reused++;
	} else if (tag == KNOWN_HEAL) {
		/* stored again, once: the catalog then serves the new copy to every generation */
		idset_put(&b->known, &j->id, KNOWN);
		b->healed_ids = xrealloc(b->healed_ids, (b->healed + 1) * sizeof(*b->healed_ids));
		b->healed_ids[b->healed++] = j->id;
		is_new = true;
	}
	pthread_mutex_unlock(&b->store_mu);
	/* sizes: its JSONL and SQL with this table's names (docs/FORMAT.md "JSONL", "SQL"), its CSV */
	j->csv_len = j->jsonl_len = j->sql_len = 0;
	for (size_t i = 0; i < j->nsegs && !rc; i++) {
		struct seg *g = &j->segs[i];
		if (g->from) {
			j->csv_len += g->from->csv_len;
			j->jsonl_len += g->from->jsonl_len;
			j->sql_len += g->from->sql_len;
			for (unsigned c = 0; c < j->ncols; c++)
				j->classes[c] |= g->from->classes[c];
			continue;
		}
		rc = view_chunk_lens(j->vt, j->data + g->off, g->len, &g->jsonl_len, &g->sql_len,
				     g->classes);
		if (!rc && !is_new) {
			/* a known chunk: its CSV only measured (a new one is rendered in build_body) */
			uint64_t cl = 0;
			rc = render_csv_chunk_len(j->data + g->off, g->len, &cl, &rendered);
			if (!rc && (rendered != g->nrows || cl > UINT32_MAX))
				rc = -EUCLEAN;
			g->csv_len = (uint32_t)cl;
			j->csv_len += cl;
		}
		j->jsonl_len += g->jsonl_len;
		j->sql_len += g->sql_len;
		for (unsigned c = 0; c < j->ncols; c++)
			j->classes[c] |= g->classes[c];
	}
	if (rc || !is_new)
		return rc;
	rc = build_body(b, j, wb);
	if (!rc && wb->body.len > UINT32_MAX)
		rc = -EFBIG;
	if (rc)
		return rc;
	memset(&e, 0, sizeof(e));
	e.id = j->id;
	e.clen = (uint32_t)wb->body.len;
	e.ulen = (uint32_t)j->ulen;
	e.nrows = j->nrows;
	e.csv_len = j->csv_len;
	pthread_mutex_lock(&b->pack_mu);
	rc = 0;
	if (!b->pw)
		rc = pack_writer_open(&b->pw, b->repo->store);
	if (!rc)
		rc = pack_writer_add(b->pw, &e, wb->body.data);
	if (!rc) {
		b->new_chunks++;
		if (pack_writer_size(b->pw) >= b->repo->pack_size)
			rc = flush_pack(b);
	}
	pthread_mutex_unlock(&b->pack_mu);
	/* do not keep outsize buffers (a chunk of one huge value) for normal chunks */
	size_t keep = 8 * b->repo->chunk.max + 65536;
	struct buf *scratch[] = { &wb->csv, &wb->side, &wb->body, &wb->side_z, &wb->csv_z, &wb->taken };
	for (size_t i = 0; i < sizeof(scratch) / sizeof(*scratch); i++)
		if (scratch[i]->cap > keep)
			buf_release(scratch[i]);
	return rc;
}

static void *worker_main(void *arg)
{
	struct backup *b = arg;
	struct worker_bufs wb = { .cctx = ZSTD_createCCtx(), .cctx_small = ZSTD_createCCtx() };

	/* framed bodies: every frame carries zstd's checksum (strata/frames.h) */
	ZSTD_CCtx_setParameter(wb.cctx, ZSTD_c_compressionLevel, b->zstd_level);
	ZSTD_CCtx_setParameter(wb.cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(wb.cctx_small, ZSTD_c_compressionLevel, b->zstd_level);
	ZSTD_CCtx_setParameter(wb.cctx_small, ZSTD_c_checksumFlag, 1);
	if (b->zstd_level == 3) {
		/*
		 * zstd's level 3 for a 128 KiB input is weak on text.  Two
		 * settings instead (docs/PERFORMANCE.md, "Compression"): double
		 * fast with 6-byte matches and bigger tables stores 1.6% less
		 * in 0.9x the time; greedy matching stores 4% less than that for
		 * 1.8x the time of double fast.  One segment in four (by its id,
		 * so a segment always gets the same bytes; one chunk in four
		 * before format 4) is compressed greedily: on the bench's CSV that
		 * lands 1% under zstd -3 of the whole file for 11% more backup CPU
		 * than double fast alone.  Levels other than the default are
		 * zstd's own, for both.
		 */
		ZSTD_CCtx_setParameter(wb.cctx, ZSTD_c_strategy, ZSTD_dfast);
		ZSTD_CCtx_setParameter(wb.cctx, ZSTD_c_minMatch, 6);
		ZSTD_CCtx_setParameter(wb.cctx, ZSTD_c_hashLog, 18);
		ZSTD_CCtx_setParameter(wb.cctx, ZSTD_c_chainLog, 18);
		ZSTD_CCtx_setParameter(wb.cctx_small, ZSTD_c_strategy, ZSTD_greedy);
		ZSTD_CCtx_setParameter(wb.cctx_small, ZSTD_c_minMatch, 6);
		ZSTD_CCtx_setParameter(wb.cctx_small, ZSTD_c_searchLog, 3);
		ZSTD_CCtx_setParameter(wb.cctx_small, ZSTD_c_hashLog, 17);
		ZSTD_CCtx_setParameter(wb.cctx_small, ZSTD_c_chainLog, 17);
	}
	pthread_mutex_lock(&b->q_mu);
	for (;;) {
		while (!b->q_head && !b->q_stop)
			pthread_cond_wait(&b->q_work, &b->q_mu);
		struct job *j = b->q_head;
		if (!j)
			break;
		b->q_head = j->next;
		if (!b->q_head)
			b->q_tail = NULL;
		bool skip = b->q_err != 0;
		pthread_mutex_unlock(&b->q_mu);
		int rc = skip ? 0 : process_job(b, j, &wb);
		free(j->data);
		j->data = NULL;
		pthread_mutex_lock(&b->q_mu);
		if (rc && !b->q_err)
			b->q_err = rc;
		b->inflight--;
		b->inflight_bytes -= j->len;
		pthread_cond_broadcast(&b->q_space);
	}
	pthread_mutex_unlock(&b->q_mu);
	struct buf *scratch[] = { &wb.csv, &wb.side, &wb.body, &wb.side_z, &wb.csv_z, &wb.clens,
				  &wb.taken };
	for (size_t i = 0; i < sizeof(scratch) / sizeof(*scratch); i++)
		buf_release(scratch[i]);
	ZSTD_freeCCtx(wb.cctx);
	ZSTD_freeCCtx(wb.cctx_small);
	return NULL;
}

static int pool_start(struct backup *b)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_mutex_init(&b->store_mu, NULL);
	pthread_mutex_init(&b->pack_mu, NULL);
	pthread_mutex_init(&b->q_mu, NULL);
	pthread_cond_init(&b->q_work, NULL);
	pthread_cond_init(&b->q_space, NULL);
	b->zstd_level = b->repo->zstd_level;
	b->nworkers = ncpu < 1 ? 1 : ncpu > MAX_WORKERS ? MAX_WORKERS : (int)ncpu;
	/* memory in flight: a few chunks per worker (a larger chunk waits for an empty queue) */
	b->max_inflight_bytes = (size_t)(4 * b->nworkers) * (size_t)b->repo->chunk.max;
	for (int i = 0; i < b->nworkers; i++)
		if (pthread_create(&b->th[i], NULL, worker_main, b)) {
			b->nworkers = i;
			break;
		}
	return b->nworkers ? 0 : -EAGAIN;
}

/* Hand a chunk to the workers; blocks while too much is in flight. */
static int pool_submit(struct backup *b, struct job *j)
{
	pthread_mutex_lock(&b->q_mu);
	while (b->inflight && b->inflight_bytes + j->len > b->max_inflight_bytes && !b->q_err)
		pthread_cond_wait(&b->q_space, &b->q_mu);
	int rc = b->q_err;
	if (!rc) {
		j->next = NULL;
		if (b->q_tail)
			b->q_tail->next = j;
		else
			b->q_head = j;
		b->q_tail = j;
		b->inflight++;
		b->inflight_bytes += j->len;
		pthread_cond_signal(&b->q_work);
	} else {
		free(j->data);
		j->data = NULL;
	}
	pthread_mutex_unlock(&b->q_mu);
	return rc;
}

/* The first worker error so far (0: none). */
static int pool_error(struct backup *b)
{
	pthread_mutex_lock(&b->q_mu);
	int rc = b->q_err;
	pthread_mutex_unlock(&b->q_mu);
	return rc;
}

/* Wait for every job, stop the workers; returns the first worker error. */
static int pool_finish(struct backup *b)
{
	if (!b->nworkers && !b->q_head)
		return b->q_err;
	pthread_mutex_lock(&b->q_mu);
	while (b->inflight && b->nworkers)
		pthread_cond_wait(&b->q_space, &b->q_mu);
	b->q_stop = true;
	pthread_cond_broadcast(&b->q_work);
	pthread_mutex_unlock(&b->q_mu);
	for (int i = 0; i < b->nworkers; i++)
		pthread_join(b->th[i], NULL);
	b->nworkers = 0;
	return b->q_err;
}

static void job_free(struct job *j)
{
	for (size_t i = 0; i < j->nsegs; i++)
		seg_release(&j->segs[i]);
	free(j->segs);
	free(j->data);
	free(j->classes);
	free(j);
}

/* Copy the workers' results into the manifest and free the jobs. */
static void apply_jobs(struct backup *b)
{
	for (size_t i = 0; i < b->njobs; i++) {
		struct job *j = b->jobs[i];
		if (!j->t) {
			/* a page-read attempt the table was read again after (table_restart) */
			b->chunks--;
			job_free(j);
			continue;
		}
		struct manifest_chunk *mc = &j->t->chunks[j->k];
		if (j->pm_t >= 0) {
			/* what its columns hold, for the next backup that takes it unread */
			struct pagemap_table *pt = &b->new_pm.tables[j->pm_t];
			memcpy(pt->chunks[j->pm_k].classes, j->classes, pt->ncols);
		}
		for (size_t k = 0; k < j->nsegs; k++) {
			/* the same for its new segments, with their sizes and ids */
			const struct seg *g = &j->segs[k];
			if (g->from || g->pm_i < 0 || j->pm_seg_t < 0)
				continue;
			struct pagemap_table *pt = &b->new_segs.tables[j->pm_seg_t];
			struct pagemap_seg *r = &pt->segs[g->pm_i];
			memcpy(r->classes, g->classes, pt->ncols);
			memcpy(r->id, g->id, 16);
			r->csv_len = g->csv_len;
			r->jsonl_len = g->jsonl_len;
			r->sql_len = g->sql_len;
		}
		mc->id = j->id;
		mc->nrows = j->nrows;
		mc->ulen = j->ulen;
		mc->csv_len = j->csv_len;
		mc->jsonl_len = j->jsonl_len;
		mc->sql_len = j->sql_len;
		j->t->csv_size += j->csv_len;
		for (unsigned c = 0; c < j->t->ncols; c++)
			j->t->classes[c] |= j->classes[c];
		job_free(j);
	}
	free(b->jobs);
	b->jobs = NULL;
	b->njobs = b->capjobs = 0;
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

/* Append a job to the backup's list (chunk order). */
static void jobs_push(struct backup *b, struct job *j)
{
	if (b->njobs == b->capjobs) {
		b->capjobs = b->capjobs ? b->capjobs * 2 : 256;
		b->jobs = xrealloc(b->jobs, b->capjobs * sizeof(*b->jobs));
	}
	b->jobs[b->njobs++] = j;
}

/* A new, zeroed chunk entry at the end of t (cap: its allocated length); its job fills it (apply_jobs). */
static struct manifest_chunk *chunk_slot(struct manifest_table *t, size_t *cap)
{
	if (t->nchunks == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		t->chunks = xrealloc(t->chunks, *cap * sizeof(*t->chunks));
	}
	struct manifest_chunk *mc = &t->chunks[t->nchunks++];
	memset(mc, 0, sizeof(*mc));
	return mc;
}

/*
 * The chunk the reader is building (strata/chunker.h cuts chunks, and the
 * segments inside them: chunker_segments): its new segments'
 * typed chunks in data, which always ends with the open segment (its
 * shape header, then its rows so far), and its segments so far.
 */
struct build {
	struct buf data;
	const struct buf *hdr;  /* the shape header every segment starts with */
	struct chunker_params sp; /* the segments' sizes */
	struct seg *segs;
	size_t nsegs, capsegs;
	uint64_t ccur;          /* the chunk's row bytes, taken segments included */
	uint64_t chunk_rows;
	struct buf first;       /* the chunk's first key */
	size_t f_li, l_li;      /* leaves and cells of the chunk's first and last rows */
	uint32_t f_ci, l_ci;
	/* the open segment */
	size_t seg_start;       /* where its header is in data */
	uint64_t fcur;          /* its row bytes */
	uint32_t seg_rows;
	uint32_t fe, fe_before; /* end of its last row firing at the chunk's average; before its last row */
	size_t sf_li;
	uint32_t sf_ci;
	struct buf seg_first;   /* its first key */
};

static void build_init(struct build *bd, const struct buf *hdr, uint64_t seg_avg)
{
	memset(bd, 0, sizeof(*bd));
	bd->hdr = hdr;
	bd->sp = chunker_segments(seg_avg);
	buf_add(&bd->data, hdr->data, hdr->len);
}

static void build_release(struct build *bd)
{
	for (size_t i = 0; i < bd->nsegs; i++)
		seg_release(&bd->segs[i]);
	free(bd->segs);
	buf_release(&bd->data);
	buf_release(&bd->first);
	buf_release(&bd->seg_first);
}

static struct seg *seg_push(struct build *bd)
{
	if (bd->nsegs == bd->capsegs) {
		bd->capsegs = bd->capsegs ? bd->capsegs * 2 : 16;
		bd->segs = xrealloc(bd->segs, bd->capsegs * sizeof(*bd->segs));
	}
	struct seg *g = &bd->segs[bd->nsegs++];
	memset(g, 0, sizeof(*g));
	g->pm_i = -1;
	return g;
}

/* The open segment ends at data offset end (why: PAGEMAP_END_*, 0 for "by the next row"). */
static void seg_close(struct build *bd, size_t end, uint8_t why, uint8_t flags, const struct buf *last,
		      unsigned ncols)
{
	struct seg *g = seg_push(bd);
	g->off = bd->seg_start;
	g->len = end - bd->seg_start;
	g->nrows = bd->seg_rows;
	g->classes = xcalloc(ncols ? ncols : 1, 1);
	g->f_li = bd->sf_li;
	g->f_ci = bd->sf_ci;
	g->l_li = bd->l_li;
	g->l_ci = bd->l_ci;
	g->end = why;
	g->flags = flags;
	g->fire_end = bd->fe_before;
	g->first_key = (uint8_t *)xmemdup(bd->seg_first.data, bd->seg_first.len);
	g->first_len = (uint32_t)bd->seg_first.len;
	g->last_key = (uint8_t *)xmemdup(last->data, last->len);
	g->last_len = (uint32_t)last->len;
	bd->fcur = 0;
	bd->seg_rows = 0;
	bd->fe = bd->fe_before = 0;
	buf_reset(&bd->seg_first);
}

/* Start the next segment at the end of data. */
static void seg_open(struct build *bd)
{
	bd->seg_start = bd->data.len;
	buf_add(&bd->data, bd->hdr->data, bd->hdr->len);
}

/*
 * Close the chunk: its segments and data[0, len) go to the workers (when
 * len is all of data, the buffer itself; otherwise a copy, and data keeps
 * only its first header, for the caller to go on from).  *last is its last
 * key.  The builder starts a new chunk, its segments and keys empty.
 */
static int close_chunk(struct backup *b, struct manifest_table *t, size_t *cap, struct build *bd,
		       size_t len, const struct buf *last)
{
	struct manifest_chunk *mc;
	struct job *j = xcalloc(1, sizeof(*j));
	int rc;

	j->t = t;
	j->ncols = t->ncols;
	j->pm_t = -1;
	j->pm_seg_t = -1;
	j->vt = b->vts[b->nvts - 1]; /* the table being read */
	j->classes = xcalloc(t->ncols ? t->ncols : 1, 1);
	j->k = t->nchunks;
	j->len = len;
	j->ulen = bd->hdr->len + bd->ccur;
	j->nrows = bd->chunk_rows;
	j->segs = bd->segs;
	j->nsegs = bd->nsegs;
	bd->segs = NULL;
	bd->nsegs = bd->capsegs = 0;
	if (len == bd->data.len) {
		j->data = buf_detach(&bd->data, NULL);
		buf_add(&bd->data, bd->hdr->data, bd->hdr->len);
	} else {
		j->data = xmalloc(len ? len : 1);
		memcpy(j->data, bd->data.data, len);
		bd->data.len = bd->hdr->len; /* every segment's header is the same */
	}
	bd->seg_start = 0;
	bd->ccur = 0;
	bd->chunk_rows = 0;
	jobs_push(b, j);
	mc = chunk_slot(t, cap);
	rc = pool_submit(b, j);
	mc->first_key = buf_detach(&bd->first, &mc->first_len);
	mc->last_key = xmalloc(last->len ? last->len : 1);
	memcpy(mc->last_key, last->data, last->len);
	mc->last_len = last->len;
	return rc;
}

static const char *source_problem(int rc);

/* What a worker's error (storing a chunk) means, as the backup's error. */
static void worker_failed(char **err, const char *source, int rc)
{
	set_err(err, "cannot store the chunks of '%s': %s", source,
		rc == -ENOSPC ? "no space left on the repository's device; free space and retry" :
		rc == -ELOOP || rc == -EUCLEAN ? "a directory under its packs/ is a symbolic link or not a directory; make it a plain directory" :
		rc == -EFBIG ? "a row is larger than 2 GiB" :
		rc == -EBADMSG ? "a part of an earlier chunk it reuses is damaged in its pack; run "
				 "'strata verify --read-data' (which records it), then back up again" :
		strerror(-rc));
}

/* An SQLite failure: remember SQLite's own message for the error line. */
static int sq_fail(sqlite3 *db, int rc, char **msg)
{
	free(*msg);
	*msg = xstrdup(sqlite3_errmsg(db));
	return sqlite_rc(rc);
}

/* One integer from a query with the table name as ?1; -1 on any failure. */
static int64_t query_int(sqlite3 *db, const char *sql, const char *name)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Whether the page reader returns exactly what `SELECT rowid, cols ORDER
 * BY rowid` returns for this rowid table, and how each column reads:
 * every declared column is stored in the record (no generated or hidden
 * ones), the INTEGER PRIMARY KEY (if any) reads as the rowid, and REAL
 * affinity turns stored integers into REALs.  The primary key is the rowid
 * alias exactly when SQLite made no index for it ("INTEGER PRIMARY KEY
 * DESC" and other key types get one).  Returns the reason when not.
 */
static const char *page_plan(struct backup *b, sqlite3 *db, const char *name,
			     const struct manifest_table *t, char **decl, const unsigned *pkpos,
			     unsigned npk, uint32_t *root, struct sqlpage_col **cols)
{
	if (!b->pages.map)
		return b->pages_why;
	int64_t rp = query_int(db, "SELECT rootpage FROM sqlite_master WHERE type='table' AND name=?1",
			       name);
	if (rp < 2 || rp > b->pages.npages)
		return "no root page";
	if (query_int(db, "SELECT count(*) FROM pragma_table_xinfo(?1)", name) != (int64_t)t->ncols)
		return "generated or hidden columns";
	int64_t pkidx = query_int(db, "SELECT count(*) FROM pragma_index_list(?1) WHERE origin='pk'",
				  name);
	if (pkidx < 0)
		return "index list";
	struct sqlpage_col *c = xcalloc(t->ncols, sizeof(*c));
	for (unsigned i = 0; i < t->ncols; i++)
		c[i].real = sqlpage_real_affinity(decl[i]);
	if (npk == 1 && pkidx == 0) {
		if (!decl[pkpos[0]] || sqlite3_stricmp(decl[pkpos[0]], "INTEGER")) {
			free(c);
			return "primary key without an index that is not INTEGER";
		}
		c[pkpos[0]].rowid = true;
		c[pkpos[0]].real = false;
	}
	*root = (uint32_t)rp;
	*cols = c;
	return NULL;
}

/*
 * Forget what a page-read attempt of table t produced, before reading it
 * again through SQLite: its manifest entries, and its jobs (still stored
 * by the workers: the same rows make the same chunks, found known again).
 */
static void table_restart(struct backup *b, struct manifest_table *t, size_t job0)
{
	for (size_t i = job0; i < b->njobs; i++)
		b->jobs[i]->t = NULL;
	for (size_t k = 0; k < t->nchunks; k++) {
		free(t->chunks[k].first_key);
		free(t->chunks[k].last_key);
	}
	t->nchunks = 0;
}

/*
 * ---- incremental backups (docs/DESIGN-NOTES.md, "Incremental backups") ----
 * A chunk of the table being read, for the new page map: the leaves and
 * cells its first and last rows were read from, and why it ended.
 */
struct pend {
	struct job *j;
	size_t f_li, l_li;
	uint32_t f_ci, l_ci;
	uint8_t end;                      /* PAGEMAP_END_*; 0: its end depends on the next row */
	const struct pagemap_chunk *from; /* taken unread: the parent's record */
	bool hashed;                      /* first and span hold its leaves' digests */
	uint8_t first[16], span[16];
};

/* One table's incremental state. */
struct incr {
	const struct pagemap_table *pt;  /* the parent's map of this table; NULL: read it all */
	const struct manifest_table *mt; /* the parent's table, whose chunks pt's records index */
	uint8_t ident[16];
	/*
	 * The parent's segment records, loaded chunk by chunk from the catalog
	 * (seg_want) into segs, tried[k] once chunk k's were asked for.  (The
	 * records a map written before they moved to the catalog holds are not
	 * used: such a chunk is read whole at its first change, and its list
	 * written then.)
	 */
	struct pagemap_segs *segs;
	uint8_t *tried;
	struct pend *pend;
	size_t npend, cappend;
};

static struct pend *pend_add(struct incr *inc, struct job *j, uint8_t end)
{
	if (inc->npend == inc->cappend) {
		inc->cappend = inc->cappend ? inc->cappend * 2 : 64;
		inc->pend = xrealloc(inc->pend, inc->cappend * sizeof(*inc->pend));
	}
	struct pend *p = &inc->pend[inc->npend++];
	memset(p, 0, sizeof(*p));
	p->j = j;
	p->end = end;
	return p;
}

/*
 * Everything a table's rows, their chunk ids, sizes and classes depend on
 * besides the leaf pages' bytes: its names and declared types, how the
 * page reader reads each column, the page geometry, the chunker and the
 * renderings.  A table whose ident changed is read in full.
 */
static void table_ident(const struct backup *b, const struct manifest_table *t, char **decl,
			const struct sqlpage_col *pcols, uint8_t out[16])
{
	struct buf k = BUF_INIT;
	buf_addf(&k, "strata page map %d, views %d%c", PAGEMAP_VERSION, VIEW_REV, 0);
	buf_add(&k, t->name, strlen(t->name) + 1);
	buf_add_varint(&k, t->ncols);
	for (unsigned i = 0; i < t->ncols; i++) {
		buf_add_bytes(&k, t->cols[i], strlen(t->cols[i]));
		buf_add_bytes(&k, decl[i] ? decl[i] : "", decl[i] ? strlen(decl[i]) : 0);
		uint8_t how = (uint8_t)((decl[i] ? 4 : 0) | (pcols[i].rowid ? 2 : 0) | (pcols[i].real ? 1 : 0));
		buf_add(&k, &how, 1);
	}
	buf_add_varint(&k, t->flags);
	buf_add_varint(&k, b->pages.page_size);
	buf_add_varint(&k, b->pages.usable);
	buf_add_varint(&k, b->repo->chunk.min);
	buf_add_varint(&k, b->repo->chunk.avg);
	buf_add_varint(&k, b->repo->chunk.max);
	buf_add_varint(&k, b->repo->frame_size); /* the segments' sizes */
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(k.data, k.len));
	memcpy(out, c.digest, 16);
	buf_release(&k);
}

/* The parent's map and table for t when both are there and its ident matches. */
static void incr_setup(struct backup *b, const struct manifest_table *t, char **decl,
		       const struct sqlpage_col *pcols, struct incr *inc)
{
	table_ident(b, t, decl, pcols, inc->ident);
	if (!b->parent[0])
		return;
	const struct pagemap_table *pt = pagemap_table(&b->parent_pm, t->name);
	if (!pt || pt->ncols != t->ncols || memcmp(pt->ident, inc->ident, 16))
		return;
	for (size_t i = 0; i < b->parent_m.ntables; i++) {
		const struct manifest_table *mt = &b->parent_m.tables[i];
		if (!strcmp(mt->name, t->name) && mt->ncols == t->ncols) {
			inc->pt = pt;
			inc->mt = mt;
		}
	}
	if (inc->pt) {
		inc->segs = xcalloc(1, sizeof(*inc->segs));
		inc->segs->ncols = t->ncols;
		b->seg_sets = xrealloc(b->seg_sets, (b->nseg_sets + 1) * sizeof(*b->seg_sets));
		b->seg_sets[b->nseg_sets++] = inc->segs;
		inc->tried = xcalloc(inc->mt->nchunks / 8 + 1, 1);
	}
}

/*
 * The parent's chunk k's segment records, from the catalog, once: asked
 * for where a take of a whole chunk failed (that chunk and the next, where
 * a moved cut continues; where no chunk of the parent started, the one
 * holding the rows after the last one read, found by key), and after each
 * segment taken (the chunk after it).  A chunk without a list, or with a
 * damaged one, is read whole.
 */
static void seg_want(struct backup *b, struct incr *inc, size_t k)
{
	uint8_t *data;
	size_t len;

	if (!inc->segs || k >= inc->mt->nchunks || (inc->tried[k / 8] & (1u << (k % 8))))
		return;
	inc->tried[k / 8] |= (uint8_t)(1u << (k % 8));
	if (!catalog_segmap_get(b->cat, inc->ident, &inc->mt->chunks[k].id, &data, &len))
		pagemap_segs_load(inc->segs, (uint32_t)k, data, len);
	free(data);
}

/* Where the scan is (leaf li, cell ci) and the digest of that leaf; nonzero when it cannot say. */
static int scan_at(struct sqlpage_scan *s, size_t *li, uint32_t *ci, uint8_t first[16])
{
	return sqlpage_scan_pos(s, li, ci) != 1 || sqlpage_leaves_hash(s, *li, 1, first);
}

/*
 * Whether the leaves from li (whose digest is first) are still those of a
 * record of nleaves leaves (and the one after, with next) hashing to span,
 * whose last row is cell end_cell of its last leaf; *end_li is that leaf,
 * *last_cell whether end_cell is its last cell.
 */
static bool leaves_same(struct sqlpage_scan *s, size_t li, const uint8_t first[16], uint32_t nleaves,
			bool next, uint32_t end_cell, const uint8_t span[16], size_t *end_li,
			bool *last_cell)
{
	size_t nspan = (size_t)nleaves + next;
	uint32_t lastn;
	uint8_t h[16];

	if (nspan > s->nleaves - li)
		return false;
	*end_li = li + nleaves - 1;
	if (sqlpage_leaf_cells(s, *end_li, &lastn) || end_cell >= lastn)
		return false;
	*last_cell = end_cell + 1 == lastn;
	if (nspan == 1)
		memcpy(h, first, 16);
	else if (sqlpage_leaves_hash(s, li, nspan, h))
		return false;
	return !memcmp(h, span, 16);
}

/*
 * At a chunk boundary (the chunker starts afresh at the next row): when the
 * parent had a chunk starting at this row whose leaves are byte for byte
 * the same, and ending where its end still holds, take that chunk as it
 * was: the full read would cut exactly the same rows into it.  Only chunks
 * the repository holds intact are taken (a damaged one is read and healed
 * as in a full read).  1 when taken (the scan is past it), 0 when not.
 */
static int take_chunk(struct backup *b, struct sqlpage_scan *s, struct incr *inc,
		      struct manifest_table *t, size_t *cap, struct buf *last, uint64_t *nrows,
		      const struct pagemap_chunk **found)
{
	size_t li, end_li;
	uint32_t ci;
	uint8_t first[16];
	bool last_cell;

	if (scan_at(s, &li, &ci, first))
		return 0;
	const struct pagemap_chunk *pc = *found = pagemap_find(inc->pt, first, ci);
	if (!pc || pc->k >= inc->mt->nchunks ||
	    !leaves_same(s, li, first, pc->nleaves, pc->end == PAGEMAP_END_BEFORE_NEXT, pc->end_cell,
			 pc->span, &end_li, &last_cell))
		return 0;
	/* where the chunk ended must still be so: the table's end, or the next row's place */
	if ((pc->end == PAGEMAP_END_TABLE && (end_li + 1 != s->nleaves || !last_cell)) ||
	    (pc->end == PAGEMAP_END_BEFORE && last_cell) ||
	    (pc->end == PAGEMAP_END_BEFORE_NEXT && !last_cell))
		return 0;
	const struct manifest_chunk *pmc = &inc->mt->chunks[pc->k];
	if (*nrows && key_compare(last->data, last->len, pmc->first_key, pmc->first_len) >= 0)
		return 0; /* read it: the rows before are out of order, and the reader decides */
	pthread_mutex_lock(&b->store_mu);
	bool intact = idset_get(&b->known, &pmc->id) == KNOWN;
	if (intact)
		b->chunks++;
	pthread_mutex_unlock(&b->store_mu);
	if (!intact)
		return 0;

	struct job *j = xcalloc(1, sizeof(*j));
	j->t = t;
	j->k = t->nchunks;
	j->pm_t = -1;
	j->pm_seg_t = -1;
	j->id = pmc->id;
	j->nrows = pmc->nrows;
	j->ulen = pmc->ulen;
	j->csv_len = pmc->csv_len;
	j->jsonl_len = pmc->jsonl_len;
	j->sql_len = pmc->sql_len;
	j->classes = xmalloc(t->ncols ? t->ncols : 1);
	memcpy(j->classes, pc->classes, t->ncols);
	jobs_push(b, j);
	struct manifest_chunk *mc = chunk_slot(t, cap); /* its sizes come from the job (apply_jobs) */
	mc->first_key = xmalloc(pmc->first_len ? pmc->first_len : 1);
	memcpy(mc->first_key, pmc->first_key, pmc->first_len);
	mc->first_len = pmc->first_len;
	mc->last_key = xmalloc(pmc->last_len ? pmc->last_len : 1);
	memcpy(mc->last_key, pmc->last_key, pmc->last_len);
	mc->last_len = pmc->last_len;
	pend_add(inc, j, pc->end)->from = pc;
	sqlpage_scan_seek(s, end_li, pc->end_cell + 1);
	buf_reset(last);
	buf_add(last, pmc->last_key, pmc->last_len);
	*nrows += pmc->nrows;
	b->reused_chunks++;
	b->reused_rows += pmc->nrows;
	return 1;
}

/* The first of the parent's chunks whose last key is after key: the one holding the rows after it. */
static size_t parent_chunk_after(const struct manifest_table *mt, const struct buf *key)
{
	size_t lo = 0, hi = mt->nchunks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_compare(mt->chunks[mid].last_key, mt->chunks[mid].last_len, key->data, key->len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* take_chunk; where it fails, the segment records of the parent's chunks there (seg_want) */
static int take_unread(struct backup *b, struct sqlpage_scan *s, struct incr *inc,
		       struct manifest_table *t, size_t *cap, struct buf *last, uint64_t *nrows)
{
	const struct pagemap_chunk *pc = NULL;
	size_t k = 0; /* the table's first rows */
	if (take_chunk(b, s, inc, t, cap, last, nrows, &pc))
		return 1;
	if (pc && pc->k < inc->mt->nchunks)
		k = pc->k; /* the chunk starting here changed */
	else if (*nrows)
		k = parent_chunk_after(inc->mt, last); /* no chunk of the parent started here */
	seg_want(b, inc, k);
	seg_want(b, inc, k + 1);
	return 0;
}

/*
 * The digests a page map record of leaves f_li..l_li holds: of its first
 * leaf, and of its leaves and extra more.  Taken when a chunk is cut, while
 * the scan's block of digests hashed ahead still holds them (at the end of
 * the table most would be hashed again, on one thread).  False when a
 * digest cannot be taken: no record.
 */
static bool record_hashes(struct sqlpage_scan *s, size_t f_li, size_t l_li, size_t extra,
			  uint8_t first[16], uint8_t span[16])
{
	return l_li >= f_li && l_li - f_li < UINT32_MAX && !sqlpage_leaves_hash(s, f_li, 1, first) &&
	       !sqlpage_leaves_hash(s, f_li, l_li - f_li + 1 + extra, span);
}

/*
 * Close the chunk being built (close_chunk) and, when it was read from the
 * pages of scan s (NULL: through SQLite), note it and its new segments for
 * the new page map (why it ended: end).
 */
static int chunk_cut(struct backup *b, struct manifest_table *t, size_t *cap, struct build *bd,
		     struct incr *inc, struct sqlpage_scan *s, size_t len, uint8_t end,
		     const struct buf *last)
{
	size_t f_li = bd->f_li, l_li = bd->l_li;
	uint32_t f_ci = bd->f_ci, l_ci = bd->l_ci;
	for (size_t i = 0; s && i < bd->nsegs; i++) {
		struct seg *g = &bd->segs[i];
		if (!g->from && g->end)
			g->hashed = record_hashes(s, g->f_li, g->l_li, 0, g->h_first, g->h_span);
	}
	int rc = close_chunk(b, t, cap, bd, len, last);
	if (!rc && s) {
		struct pend *p = pend_add(inc, b->jobs[b->njobs - 1], end);
		p->f_li = f_li, p->f_ci = f_ci, p->l_li = l_li, p->l_ci = l_ci;
		p->hashed = end && record_hashes(s, f_li, l_li, end == PAGEMAP_END_BEFORE_NEXT, p->first,
						 p->span);
	}
	return rc;
}

/* A pack segments are taken from, opened once for the whole backup. */
static int open_pack(struct backup *b, const char *name, struct store_file **f)
{
	for (size_t i = 0; i < b->nopens; i++)
		if (!strcmp(b->opens[i].name, name)) {
			*f = b->opens[i].f;
			return 0;
		}
	int rc = repo_open_pack(b->repo, name, f);
	if (rc)
		return rc;
	b->opens = xrealloc(b->opens, (b->nopens + 1) * sizeof(*b->opens));
	snprintf(b->opens[b->nopens].name, sizeof(b->opens[b->nopens].name), "%s", name);
	b->opens[b->nopens++].f = *f;
	return 0;
}

/*
 * Where segment g of chunk id is (the parent's body, read once for all
 * its segments taken in a row): only from a chunk the repository holds
 * intact, in a format 3 body whose segment table agrees with the record.
 */
static int seg_source(struct backup *b, const struct chunk_id *id, const struct pagemap_seg *g,
		      size_t hdrlen, struct seg_src *src)
{
	if (!b->src_set || memcmp(b->src_id.b, id->b, 16)) {
		char pack[33];
		framed_toc_free(&b->src_toc);
		b->src_set = true;
		b->src_id = *id;
		pthread_mutex_lock(&b->store_mu);
		bool intact = idset_get(&b->known, id) == KNOWN;
		pthread_mutex_unlock(&b->store_mu);
		int rc = intact ? catalog_chunk_where(b->cat, id, &b->src_e, pack) : -ENOENT;
		if (!rc)
			rc = open_pack(b, pack, &b->src_f);
		if (!rc)
			rc = framed_read_toc(b->src_f, &b->src_e, &b->src_toc);
		if (!rc && b->src_toc.version != 3)
			rc = -EUCLEAN;
		b->src_rc = rc;
	}
	if (b->src_rc)
		return b->src_rc;
	const struct framed_toc *toc = &b->src_toc;
	if (g->si >= toc->nsegs)
		return -EUCLEAN;
	const struct framed3_seg *e = &toc->segs[g->si];
	if (memcmp(e->id, g->id, 16) || e->nrows != g->nrows || e->csv_len != g->csv_len ||
	    e->typed_len != g->typed_len + hdrlen)
		return -EUCLEAN;
	uint32_t f0 = toc->sfirst[g->si], nf = toc->sfirst[g->si + 1] - f0;
	src->f = b->src_f;
	src->side_off = b->src_e.offset + toc->soff[g->si];
	src->csv_off = b->src_e.offset + toc->foff[f0];
	src->clens = xmalloc((nf ? nf : 1) * sizeof(*src->clens));
	for (uint32_t k = 0; k < nf; k++)
		src->clens[k] = (uint32_t)(toc->foff[f0 + k + 1] - toc->foff[f0 + k]);
	src->s = *e;
	return 0;
}

/*
 * At a segment boundary (no open segment): when the parent had a segment
 * starting at this row whose leaves are byte for byte the same, and the
 * chunk being built would be cut neither inside it nor anywhere but where
 * it ended (pagemap.h, struct pagemap_seg), take it: a full read would
 * cut the same rows into it, and its bytes are copied from the parent's
 * body by the worker instead of decoded, rendered and compressed again.
 * 1 when taken (the scan is past it), 0 when not, < 0 on an error.
 */
static int take_seg(struct backup *b, struct sqlpage_scan *s, struct incr *inc, struct build *bd,
		    struct manifest_table *t, size_t *cap, struct buf *last, uint64_t *nrows)
{
	const struct chunker_params *cp = &b->repo->chunk;
	size_t li, end_li;
	uint32_t ci;
	uint8_t first[16];
	bool last_cell;
	struct seg_src src;

	if (scan_at(s, &li, &ci, first))
		return 0;
	const struct pagemap_seg *g = pagemap_segs_find(inc->segs, first, ci);
	if (!g || g->k >= inc->mt->nchunks ||
	    !leaves_same(s, li, first, g->nleaves, false, g->end_cell, g->span, &end_li, &last_cell))
		return 0;
	bool at_end = g->end == PAGEMAP_END_TABLE;
	if (at_end && (end_li + 1 != s->nleaves || !last_cell))
		return 0;
	/* no cut inside it, and the chunk's cut after it (if any) where the segment ended */
	if ((g->fire_end && bd->ccur + g->fire_end >= cp->min) || bd->ccur + g->typed_len >= cp->max)
		return 0;
	bool cut = !at_end && (g->flags & PAGEMAP_SEG_LAST_FIRES) && bd->ccur + g->typed_len >= cp->min;
	if (!at_end && !cut && !(g->flags & PAGEMAP_SEG_OWN))
		return 0;
	if (*nrows && key_compare(last->data, last->len, g->first_key, g->first_len) >= 0)
		return 0; /* read it: the rows before are out of order, and the reader decides */
	if (seg_source(b, &inc->mt->chunks[g->k].id, g, bd->hdr->len, &src))
		return 0;

	struct seg *sg = seg_push(bd);
	sg->from = g;
	sg->src = src;
	sg->nrows = g->nrows;
	if (!bd->chunk_rows) {
		buf_add(&bd->first, g->first_key, g->first_len);
		bd->f_li = li;
		bd->f_ci = ci;
	}
	bd->l_li = end_li;
	bd->l_ci = g->end_cell;
	bd->ccur += g->typed_len;
	bd->chunk_rows += g->nrows;
	*nrows += g->nrows;
	buf_reset(last);
	buf_add(last, g->last_key, g->last_len);
	sqlpage_scan_seek(s, end_li, g->end_cell + 1);
	b->reused_segs++;
	b->reused_rows += g->nrows;
	seg_want(b, inc, g->k + 1);
	if (cut) {
		int rc = chunk_cut(b, t, cap, bd, inc, s, bd->data.len - bd->hdr->len,
				   PAGEMAP_END_CUT, last);
		if (rc)
			return rc;
	}
	return 1;
}

/* The record of a new segment g, or -1 when its end depended on the next row or a hash failed. */
static int seg_record(const struct seg *g, size_t hdrlen, uint32_t k, uint32_t si, uint8_t *zero,
		      struct pagemap_seg *r)
{
	memset(r, 0, sizeof(*r));
	if (!g->hashed || g->len - hdrlen > UINT32_MAX) /* hashed: only a segment with an end */
		return -1;
	memcpy(r->first, g->h_first, 16);
	memcpy(r->span, g->h_span, 16);
	r->k = k;
	r->si = si;
	r->start_cell = g->f_ci;
	r->nleaves = (uint32_t)(g->l_li - g->f_li + 1);
	r->end_cell = g->l_ci;
	r->end = g->end;
	r->flags = g->flags;
	r->nrows = g->nrows;
	r->typed_len = (uint32_t)(g->len - hdrlen);
	r->fire_end = g->fire_end;
	r->first_key = g->first_key;
	r->first_len = g->first_len;
	r->last_key = g->last_key;
	r->last_len = g->last_len;
	r->classes = zero; /* with its sizes and id, when the workers are done (apply_jobs) */
	return 0;
}

/*
 * After a table read from its pages: its page map for the next backup, one
 * record per chunk whose end depends on its own rows only, and one per such
 * segment, with the digests chunk_cut took.  The chunks' classes (and the
 * new segments' sizes and ids) are filled in when the workers are done
 * (apply_jobs).
 */
static void incr_record(struct backup *b, struct incr *inc, const struct manifest_table *t,
			size_t hdrlen)
{
	struct pagemap_table *nt = pagemap_add_table(&b->new_pm, t->name, inc->ident, t->ncols);
	long ti = (long)b->new_pm.ntables - 1;
	struct pagemap_table *st = pagemap_add_table(&b->new_segs, t->name, inc->ident, t->ncols);
	long sti = (long)b->new_segs.ntables - 1;
	uint8_t *zero = xcalloc(t->ncols ? t->ncols : 1, 1);
	for (size_t i = 0; i < inc->npend; i++) {
		struct pend *p = &inc->pend[i];
		struct job *j = p->j;
		struct pagemap_chunk c;
		bool rec = true;
		if (p->from) {
			c = *p->from;
		} else {
			memset(&c, 0, sizeof(c));
			rec = p->hashed;
			memcpy(c.first, p->first, 16);
			memcpy(c.span, p->span, 16);
			c.start_cell = p->f_ci;
			c.nleaves = (uint32_t)(p->l_li - p->f_li + 1);
			c.end_cell = p->l_ci;
			c.end = p->end;
			c.classes = zero;
		}
		c.k = (uint32_t)j->k;
		if (rec) {
			pagemap_add(nt, &c);
			if (!p->from) {
				j->pm_t = ti;
				j->pm_k = nt->nchunks - 1;
			}
		}
		if (p->from)
			continue; /* taken whole: its segment list is in the catalog already */
		j->pm_seg_t = sti;
		for (size_t k = 0; k < j->nsegs; k++) {
			struct seg *g = &j->segs[k];
			struct pagemap_seg r;
			if (g->from) {
				r = *g->from;
			} else if (seg_record(g, hdrlen, 0, 0, zero, &r)) {
				continue;
			}
			r.k = (uint32_t)j->k;
			r.si = (uint32_t)k;
			pagemap_add_seg(st, &r);
			if (!g->from)
				g->pm_i = (long)st->nsegs - 1;
		}
	}
	free(zero);
}

/*
 * Back up one table.  Values are read by name, in PRAGMA table_info order:
 * that list is the CSV header, and it leaves out generated columns, which
 * `SELECT *` would include (shifting every later value into the wrong
 * column).  Rows are read in the order of key_compare(), which the
 * manifest readers check: BINARY (b->collate: its UTF-8 form in a UTF-16
 * database), whatever collation the primary key declares.  Each key must
 * be greater than the one before, or the b-tree is corrupt in a way SQLite
 * does not notice during a scan (a child pointer to another page).
 */
static int backup_table(struct backup *b, sqlite3 *db, const char *source, const char *name,
			struct manifest_table *t, char **err)
{
	char *qt = sql_ident(name), *pragma = NULL, *sql = NULL, *rsql = NULL, *sqmsg = NULL;
	struct chunk_shape *shape = xcalloc(1, sizeof(*shape));
	struct buf key = BUF_INIT, last = BUF_INIT, order = BUF_INIT;
	struct buf sel = BUF_INIT, hdr = BUF_INIT;
	struct build bd;
	struct value *vals = NULL;
	sqlite3_stmt *st = NULL, *rst = NULL;
	char **decl = NULL;
	struct sqlpage_scan scan;
	struct sqlpage_col *pcols = NULL;
	bool paged = false;
	const char *why = NULL;
	size_t cap = 0, job0 = b->njobs;
	uint64_t bytes0 = b->bytes_in;
	struct buf shown = BUF_INIT; /* the name as the terminal may show it */
	buf_add_printable(&shown, name, strlen(name));
	uint64_t nrows = 0;
	int64_t prev_rowid = 0;
	unsigned pkpos[KEY_MAX_COLUMNS], npk = 0;
	struct incr inc = { 0 };
	size_t cur_li = 0;
	uint32_t cur_ci = 0;
	uint64_t reused0 = b->reused_chunks, reused_rows0 = b->reused_rows, segs0 = b->reused_segs;
	int rc, s;

	memset(&bd, 0, sizeof(bd));
	t->name = xstrdup(name);
	t->dirname = name_table_dir(name);
	rc = table_schema(db, name, &t->schema);
	if (rc)
		goto out;
	/* columns and primary key */
	pragma = xasprintf("PRAGMA table_info(%s)", qt);
	rc = sqlite3_prepare_v2(db, pragma, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = sq_fail(db, rc, &sqmsg);
		goto out;
	}
	unsigned ccap = 0;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (t->ncols == ccap) {
			ccap = ccap ? ccap * 2 : 16;
			t->cols = xrealloc(t->cols, ccap * sizeof(char *));
			decl = xrealloc(decl, ccap * sizeof(char *));
		}
		int pk = sqlite3_column_int(st, 5);
		if (pk > 0 && pk <= KEY_MAX_COLUMNS) {
			pkpos[pk - 1] = t->ncols;
			if ((unsigned)pk > npk)
				npk = (unsigned)pk;
		}
		const char *dt = (const char *)sqlite3_column_text(st, 2);
		decl[t->ncols] = dt ? xstrdup(dt) : NULL;
		t->cols[t->ncols++] = xstrdup((const char *)sqlite3_column_text(st, 1));
	}
	if (s != SQLITE_DONE)
		rc = sq_fail(db, s, &sqmsg);
	sqlite3_finalize(st);
	st = NULL;
	if (s != SQLITE_DONE || t->ncols == 0) {
		rc = s != SQLITE_DONE ? rc : -EUCLEAN;
		goto out;
	}
	t->classes = xcalloc(t->ncols, 1); /* filled from the chunks' jobs (apply_jobs) */
	for (unsigned c = 0; c < t->ncols; c++) {
		char *qc = sql_ident(t->cols[c]);
		buf_addf(&sel, "%s%s", c ? ", " : "", qc);
		free(qc);
	}
	const char *rid = rowid_name(db, qt, t->cols, t->ncols);
	bool keyed = false;
	if (rid) {
		/*
		 * A declared primary key that is not the rowid (it has an index:
		 * TEXT, composite, INTEGER PRIMARY KEY DESC ...) orders the rows;
		 * the rowid, kept, ends the key, which keeps keys unique where
		 * the key holds NULLs (a rowid table allows them).
		 */
		keyed = npk > 0 && npk < KEY_MAX_COLUMNS &&
			query_int(db, "SELECT count(*) FROM pragma_index_list(?1) WHERE origin='pk'",
				  name) > 0;
		shape->nhidden = 1;
		shape->nkey = 1;
		shape->keypos[0] = 0;
		if (keyed) {
			t->flags |= TABLE_KEY_ORDER;
			shape->nkey = npk + 1;
			for (unsigned k = 0; k < npk; k++) {
				char *qc = sql_ident(t->cols[pkpos[k]]);
				shape->keypos[k] = 1 + pkpos[k];
				buf_addf(&order, "%s COLLATE %s, ", qc, b->collate);
				free(qc);
			}
			shape->keypos[npk] = 0;
		}
		buf_adds(&order, rid);
		if (t->ncols + 1 > (unsigned)sqlite3_limit(db, SQLITE_LIMIT_COLUMN, -1)) {
			/*
			 * rowid + every column is one result column more than
			 * SQLite allows (a table at the column limit, 2000 by
			 * default): read the rowids with a second scan in the
			 * same order, in step.
			 */
			rsql = xasprintf("SELECT %s FROM %s ORDER BY %s", rid, qt, (char *)order.data);
			sql = xasprintf("SELECT %s FROM %s ORDER BY %s", (char *)sel.data, qt,
					(char *)order.data);
		} else {
			sql = xasprintf("SELECT %s, %s FROM %s ORDER BY %s", rid, (char *)sel.data, qt,
					(char *)order.data);
		}
	} else {
		t->flags |= TABLE_WITHOUT_ROWID;
		if (npk == 0) {
			set_err(err, "cannot back up table '%s' of '%s': it has neither a rowid nor a primary key",
				name, source);
			rc = -EINVAL;
			goto out;
		}
		shape->nhidden = 0;
		shape->nkey = npk;
		for (unsigned k = 0; k < npk; k++) {
			char *qc = sql_ident(t->cols[pkpos[k]]);
			shape->keypos[k] = pkpos[k];
			buf_addf(&order, "%s%s COLLATE %s", k ? ", " : "", qc, b->collate);
			free(qc);
		}
		sql = xasprintf("SELECT %s FROM %s ORDER BY %s", (char *)sel.data, qt, (char *)order.data);
	}
	shape->ncols = t->ncols;
	/* the names its rows render with in the JSONL and SQL views */
	b->vts = xrealloc(b->vts, (b->nvts + 1) * sizeof(*b->vts));
	b->vts[b->nvts] = xcalloc(1, sizeof(**b->vts));
	view_table_init(b->vts[b->nvts++], name, t->cols, t->ncols,
			(t->flags & TABLE_WITHOUT_ROWID) != 0);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && rsql)
		rc = sqlite3_prepare_v2(db, rsql, -1, &rst, NULL);
	if (rc != SQLITE_OK) {
		rc = sq_fail(db, rc, &sqmsg);
		goto out;
	}
	unsigned nv = shape->nhidden + shape->ncols;
	vals = xcalloc(nv, sizeof(*vals));
	chunk_shape_encode(&hdr, shape);
	build_init(&bd, &hdr, b->repo->frame_size);
	uint32_t root = 0;
	if (sqlite3_get_autocommit(db)) {
		/* SQLite ended the read transaction (an I/O error rolls it back): no one snapshot any more */
		set_err(err, "cannot back up table '%s' of '%s': the read transaction ended early "
			"(SQLite: %s); retry the backup", name, source, sqlite3_errmsg(db));
		rc = -EIO;
		goto out;
	}
	if (rid && !rsql && !b->api_only && !keyed) {
		why = page_plan(b, db, name, t, decl, pkpos, npk, &root, &pcols);
		paged = !why;
	} else {
		why = b->api_only ? "--reader sqlite" : keyed ? "rows in primary key order"
		      : rid ? "too many columns" : "WITHOUT ROWID";
	}
	if (paged) {
		sqlpage_scan_start(&scan, &b->pages, root);
		incr_setup(b, t, decl, pcols, &inc);
		/* every leaf is compared with the parent's map: hash them ahead on every core */
		if (inc.pt)
			sqlpage_scan_hash_ahead(&scan, (unsigned)b->nworkers);
	}
	for (;;) {
		if (paged && inc.pt && bd.chunk_rows == 0 &&
		    take_unread(b, &scan, &inc, t, &cap, &last, &nrows))
			continue;
		if (paged && inc.pt && bd.seg_rows == 0) {
			rc = take_seg(b, &scan, &inc, &bd, t, &cap, &last, &nrows);
			if (rc < 0)
				goto out;
			if (rc)
				continue;
		}
		if (paged) {
			int64_t rowid;
			const uint8_t *pl;
			uint32_t pn;
			int r = sqlpage_scan_next(&scan, &rowid, &pl, &pn);
			if (r == 1) {
				vals[0].type = VAL_INT;
				vals[0].i = rowid;
				if (sqlpage_record(pl, pn, rowid, pcols, t->ncols, vals + 1))
					r = SQLPAGE_GIVEUP;
			}
			if (r < 0) {
				why = "a page or record it does not read";
				goto restart;
			}
			cur_li = scan.row_li;
			cur_ci = scan.row_ci;
			s = r ? SQLITE_ROW : SQLITE_DONE;
		} else {
			s = sqlite3_step(st);
			if (rst) {
				int s2 = sqlite3_step(rst);
				if ((s == SQLITE_ROW || s == SQLITE_DONE) && s2 != s)
					s = s2 == SQLITE_ROW || s2 == SQLITE_DONE ? SQLITE_CORRUPT : s2;
			}
		}
		if (s != SQLITE_ROW)
			break;
		if (paged) {
			/* values decoded above */
		} else if (rst) {
			value_from_sqlite(rst, 0, &vals[0]);
			for (unsigned i = 1; i < nv; i++)
				value_from_sqlite(st, (int)i - 1, &vals[i]);
		} else {
			for (unsigned i = 0; i < nv; i++)
				value_from_sqlite(st, (int)i, &vals[i]);
		}
		buf_reset(&key);
		key_encode(&key, shape, vals);
		bool out_of_order = nrows && key_compare(last.data, last.len, key.data, key.len) >= 0;
		if (out_of_order && paged) {
			why = "rows out of rowid order";
restart:
			/* SQLite reads the table again from the start and decides */
			sqlpage_scan_release(&scan);
			paged = false;
			inc.pt = NULL;
			inc.npend = 0;
			b->reused_chunks = reused0;
			b->reused_rows = reused_rows0;
			b->reused_segs = segs0;
			table_restart(b, t, job0);
			b->bytes_in = bytes0;
			build_release(&bd);
			build_init(&bd, &hdr, b->repo->frame_size);
			buf_reset(&last);
			nrows = 0;
			prev_rowid = 0;
			continue;
		}
		if (out_of_order) {
			char where[96] = "";
			if (rid)
				snprintf(where, sizeof(where), ": rowid %lld after %lld",
					 (long long)vals[0].i, (long long)prev_rowid);
			set_err(err, "cannot back up table '%s' of '%s': the database is corrupt (rows out of key order%s); "
				"check it with 'sqlite3 DB \"PRAGMA integrity_check\"'", name, source, where);
			rc = -EUCLEAN;
			goto out;
		}
		if (rid)
			prev_rowid = vals[0].i;
		/* the row goes straight into the open segment: no second copy of a large value */
		size_t pos = bd.data.len;
		for (unsigned i = 0; i < nv; i++)
			value_encode(&bd.data, &vals[i]);
		size_t row_len = bd.data.len - pos;
		b->bytes_in += row_len;
		bool cut_chunk = chunker_cut_before(&b->repo->chunk, bd.ccur, row_len);
		if (cut_chunk || chunker_cut_before(&bd.sp, bd.fcur, row_len)) {
			/* the open segment ends before this row: a decision on this row too (not recorded) */
			size_t len = pos;
			if (bd.seg_rows)
				seg_close(&bd, pos, 0, 0, &last, t->ncols);
			else
				len -= hdr.len; /* none open (the last was taken): only a chunk is cut here */
			if (cut_chunk) {
				/* its end depends on this row too: recorded when the row is where the span can cover it */
				uint8_t end = cur_li == bd.l_li ? PAGEMAP_END_BEFORE :
					      cur_li == bd.l_li + 1 && cur_ci == 0 ? PAGEMAP_END_BEFORE_NEXT : 0;
				rc = chunk_cut(b, t, &cap, &bd, &inc, paged ? &scan : NULL, len, end, &last);
				if (rc)
					goto out;
				/* the row starts the next chunk, after its header */
				memmove(bd.data.data + hdr.len, bd.data.data + pos, row_len);
				bd.data.len = hdr.len + row_len;
			} else {
				/* a header for the next segment, before the row */
				buf_grow(&bd.data, hdr.len);
				memmove(bd.data.data + pos + hdr.len, bd.data.data + pos, row_len);
				memcpy(bd.data.data + pos, hdr.data, hdr.len);
				bd.data.len += hdr.len;
				bd.seg_start = pos;
			}
		}
		if (bd.chunk_rows == 0) {
			buf_add(&bd.first, key.data, key.len);
			bd.f_li = cur_li;
			bd.f_ci = cur_ci;
		}
		if (bd.seg_rows == 0) {
			buf_add(&bd.seg_first, key.data, key.len);
			bd.sf_li = cur_li;
			bd.sf_ci = cur_ci;
		}
		struct buf tmp = last;
		last = key;
		key = tmp;
		bd.l_li = cur_li;
		bd.l_ci = cur_ci;
		bd.ccur += row_len;
		bd.fcur += row_len;
		bd.seg_rows++;
		bd.chunk_rows++;
		nrows++;
		bool fires = chunker_fires(&b->repo->chunk, row_len, last.data, last.len);
		bd.fe_before = bd.fe;
		if (fires)
			bd.fe = (uint32_t)bd.fcur;
		cut_chunk = chunker_cut_after(&b->repo->chunk, bd.ccur, row_len, last.data, last.len);
		bool cut_own = chunker_cut_after(&bd.sp, bd.fcur, row_len, last.data, last.len);
		if (cut_chunk || cut_own) {
			seg_close(&bd, bd.data.len, PAGEMAP_END_CUT,
				  (uint8_t)((cut_own ? PAGEMAP_SEG_OWN : 0) | (fires ? PAGEMAP_SEG_LAST_FIRES : 0)),
				  &last, t->ncols);
			if (cut_chunk) {
				rc = chunk_cut(b, t, &cap, &bd, &inc, paged ? &scan : NULL, bd.data.len,
					       PAGEMAP_END_CUT, &last);
				if (rc)
					goto out;
			} else {
				seg_open(&bd);
			}
		}
		if (b->progress && (nrows & 0xffff) == 0) {
			time_t now = time(NULL);
			if (now != b->last_progress) {
				b->last_progress = now;
				char rd[HUMAN_MAX], nw[HUMAN_MAX];
				human_bytes(rd, b->bytes_in);
				pthread_mutex_lock(&b->pack_mu); /* the workers add to it */
				uint64_t written = b->new_bytes;
				pthread_mutex_unlock(&b->pack_mu);
				human_bytes(nw, written);
				fprintf(stderr, "\r\033[K  %s: %llu rows, %s read, %s new",
					(char *)shown.data, (unsigned long long)nrows, rd, nw);
			}
		}
	}
	if (s != SQLITE_DONE) {
		rc = sq_fail(db, s, &sqmsg);
		goto out;
	}
	if (paged)
		sqlpage_scan_free_payload(&scan); /* a huge value's copy, before its chunk is rendered */
	if (bd.chunk_rows) {
		size_t len = bd.data.len;
		if (bd.seg_rows)
			seg_close(&bd, len, PAGEMAP_END_TABLE, 0, &last, t->ncols);
		else
			len -= hdr.len; /* the last segments were taken: no open one */
		rc = chunk_cut(b, t, &cap, &bd, &inc, paged ? &scan : NULL, len, PAGEMAP_END_TABLE, &last);
		if (rc)
			goto out;
	}
	if (paged) {
		incr_record(b, &inc, t, hdr.len);
		sqlpage_scan_release(&scan);
		paged = false;
	}
	if (b->verbose)
		fprintf(stderr, "  table %s: %llu rows, %s\n", (char *)shown.data, (unsigned long long)nrows,
			why ? "read through SQLite's API" : "read from the database pages");
	if (b->verbose && why)
		fprintf(stderr, "    (page reader not used: %s)\n", why);
	if (b->verbose && inc.pt)
		fprintf(stderr, "    %llu of %zu chunks taken unread from generation %s, and %llu segments of the others\n",
			(unsigned long long)(b->reused_chunks - reused0), t->nchunks, b->parent,
			(unsigned long long)(b->reused_segs - segs0));
	t->nrows = nrows; /* csv_size: once the workers are done (apply_jobs) */
	b->rows += nrows;
	rc = 0;
out:
	if (rc == -EUCLEAN && !*err && sqmsg)
		set_err(err, "cannot back up table '%s' of '%s': the database is corrupt (SQLite: %s); "
			"check it with 'sqlite3 DB \"PRAGMA integrity_check\"'", name, source, sqmsg);
	else if (rc && !*err && sqmsg)
		set_err(err, "cannot back up table '%s' of '%s': %s (SQLite: %s)", name, source,
			source_problem(rc), sqmsg);
	if (paged)
		sqlpage_scan_release(&scan);
	for (unsigned c = 0; decl && c < t->ncols; c++)
		free(decl[c]);
	free(decl);
	free(pcols);
	free(inc.pend);
	free(inc.tried);
	sqlite3_finalize(st);
	sqlite3_finalize(rst);
	free(vals);
	free(qt);
	free(pragma);
	free(sql);
	free(rsql);
	free(sqmsg);
	free(shape);
	build_release(&bd);
	buf_release(&key);
	buf_release(&last);
	buf_release(&order);
	buf_release(&shown);
	buf_release(&sel);
	buf_release(&hdr);
	return rc;
}

/*
 * key_compare() orders TEXT by the bytes of its UTF-8 form.  In a UTF-8
 * database that is SQLite's BINARY collation, which lets a primary key be
 * read in index order; in a UTF-16 database BINARY compares UTF-16 bytes
 * (U+0100 before 'a' in UTF-16LE), so keys are sorted with this collation,
 * which SQLite hands the UTF-8 form.
 */
static int collate_utf8(void *arg, int an, const void *a, int bn, const void *b)
{
	int n = an < bn ? an : bn;
	int c = n > 0 ? memcmp(a, b, (size_t)n) : 0;
	(void)arg;
	return c ? c : (an > bn) - (an < bn);
}

/*
 * Every user table (kept and left out) against the patterns: an --include
 * that matches none is an error (a typo would silently back up nothing of
 * what was asked); an --exclude that matches none is said on stderr and the
 * backup goes on.
 */
static int check_patterns(const struct backup_opts *o, char **kept, size_t nkept, char **out,
			  size_t nout, char **err)
{
	struct buf all = BUF_INIT;
	int rc = 0;
	for (size_t k = 0; k < nkept + nout && all.len < 300; k++) {
		buf_adds(&all, k ? ", " : "");
		buf_adds(&all, k < nkept ? kept[k] : out[k - nkept]); /* escaped where printed */
	}
	for (size_t i = 0; i < o->ninclude + o->nexclude && !rc; i++) {
		bool inc = i < o->ninclude, hit = false;
		const char *pat = inc ? o->include[i] : o->exclude[i - o->ninclude];
		for (size_t k = 0; k < nkept + nout && !hit; k++)
			hit = fnmatch(pat, k < nkept ? kept[k] : out[k - nkept], 0) == 0;
		if (hit)
			continue;
		if (inc) {
			rc = -ENOENT;
			set_err(err, "--include '%s' matches no table of '%s' (its tables: %s); "
				"check the name (patterns are shell globs, case matters)",
				pat, o->source, all.len ? (char *)all.data : "none");
		} else {
			fprintf(stderr, "strata: note: --exclude '%s' matches no table of '%s'\n",
				pat, o->source);
		}
	}
	buf_release(&all);
	return rc;
}

/* Whether --include/--exclude leave the table in (backup.h). */
static bool table_selected(const struct backup_opts *o, const char *name)
{
	bool in = o->ninclude == 0;
	for (size_t i = 0; i < o->ninclude && !in; i++)
		in = fnmatch(o->include[i], name, 0) == 0;
	for (size_t i = 0; i < o->nexclude && in; i++)
		in = fnmatch(o->exclude[i], name, 0) != 0;
	return in;
}

/* SQLite's own tables that an exact restore needs (docs/FORMAT.md "Manifests"). */
static bool internal_table(const char *name)
{
	return !strcmp(name, "sqlite_sequence") || !strcmp(name, "sqlite_stat1") ||
	       !strcmp(name, "sqlite_stat4");
}

static bool in_list(char **v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!sqlite3_stricmp(v[i], name)) /* as SQL spells it: case-insensitively */
			return true;
	return false;
}

static void add_name(char ***v, size_t *n, const char *name)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(char *));
	(*v)[(*n)++] = xstrdup(name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The generation's schema.sql: every object kept, in an order that replays
 * on an empty database (docs/FORMAT.md "Mount layout"): tables (a virtual
 * table's CREATE VIRTUAL TABLE, not its shadow tables, which it makes
 * itself), then indexes, views and triggers (last: an INSTEAD OF trigger
 * needs its view), each group in the source's order; SQLite's own tables
 * are left out.
 */
static void schema_text(const struct manifest *m, char **shadow, size_t nshadow, struct buf *out)
{
	static const char *const order[] = { "table", "index", "view", "trigger" };
	for (size_t g = 0; g < 4; g++)
		for (size_t i = 0; i < m->nobjects; i++) {
			const struct manifest_object *o = &m->objects[i];
			if (strcmp(o->type, order[g]) || !strncmp(o->name, "sqlite_", 7) ||
			    (g == 0 && in_list(shadow, nshadow, o->name)))
				continue;
			buf_adds(out, o->sql);
			buf_adds(out, ";\n");
		}
}

/*
 * The tables to back up (sorted by name; SQLite's sqlite_sequence and
 * sqlite_stat tables included, marked internal by backup_table), every
 * schema object kept into m->objects in the source's order, the shadow
 * tables of virtual tables into *shadow, and the generation's schema text.
 * A table left out by --include/--exclude is left out of the objects with
 * its indexes and triggers.  A failed pattern check (check_patterns) sets
 * *err; a SQLite failure leaves it to the caller.
 */
static int list_tables(sqlite3 *db, const struct backup_opts *o, char ***names, size_t *n,
		       char ***shadow, size_t *nshadow, struct manifest *m, struct buf *schema,
		       char **err)
{
	sqlite3_stmt *st;
	size_t nout = 0, ncap = 0;
	char **out = NULL; /* tables left out */
	int rc;

	*names = NULL;
	*n = 0;
	/* shadow tables of virtual tables (FTS5's docs_data ...): SQLite 3.37's table_list */
	rc = sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_list WHERE schema='main' AND type='shadow'",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqlite_rc(rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		add_name(shadow, nshadow, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_rc(rc);
	rc = sqlite3_prepare_v2(db,
		"SELECT type, name, sql, tbl_name FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqlite_rc(rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *sql = (const char *)sqlite3_column_text(st, 2);
		const char *tbl = (const char *)sqlite3_column_text(st, 3);
		bool table = !strcmp(type, "table");
		bool user_table = table && strncmp(name, "sqlite_", 7) &&
				  sqlite3_strnicmp(sql, "CREATE VIRTUAL", 14);
		if (user_table && !table_selected(o, name)) {
			add_name(&out, &nout, name);
			continue;
		}
		/* indexes and triggers of a table left out (tables come first in rowid order) */
		if ((!strcmp(type, "index") || !strcmp(type, "trigger")) && tbl &&
		    in_list(out, nout, tbl))
			continue;
		if (m->nobjects == ncap) {
			ncap = ncap ? ncap * 2 : 32;
			m->objects = xrealloc(m->objects, ncap * sizeof(*m->objects));
		}
		struct manifest_object *ob = &m->objects[m->nobjects++];
		ob->type = xstrdup(type);
		ob->name = xstrdup(name);
		ob->tbl_name = xstrdup(tbl ? tbl : "");
		ob->sql = xstrdup(sql);
		if (user_table || (table && internal_table(name)))
			add_name(names, n, name);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = sqlite_rc(rc);
	} else {
		/* an index or trigger created before a table left out that it belongs to */
		size_t k = 0;
		for (size_t i = 0; i < m->nobjects; i++) {
			struct manifest_object *ob = &m->objects[i];
			if ((!strcmp(ob->type, "index") || !strcmp(ob->type, "trigger")) &&
			    in_list(out, nout, ob->tbl_name)) {
				free(ob->type);
				free(ob->name);
				free(ob->tbl_name);
				free(ob->sql);
				continue;
			}
			m->objects[k++] = *ob;
		}
		m->nobjects = k;
		if (*n)
			qsort(*names, *n, sizeof(char *), cmp_str);
		schema_text(m, *shadow, *nshadow, schema);
		rc = check_patterns(o, *names, *n, out, nout, err);
	}
	for (size_t i = 0; i < nout; i++)
		free(out[i]);
	free(out);
	return rc;
}

/* The database settings a restore applies (docs/FORMAT.md "Manifests"). */
static void capture_pragmas(sqlite3 *db, struct manifest *m)
{
	static const char *const ints[] = { "user_version", "application_id", "page_size",
					     "auto_vacuum" };
	sqlite3_stmt *st;
	m->pragmas = xcalloc(5, sizeof(*m->pragmas));
	for (size_t i = 0; i < 4; i++) {
		char *sql = xasprintf("PRAGMA %s", ints[i]);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW) {
			m->pragmas[m->npragmas].name = xstrdup(ints[i]);
			m->pragmas[m->npragmas++].value = sqlite3_column_int64(st, 0);
		}
		sqlite3_finalize(st);
		free(sql);
	}
	/* encoding: 1 UTF-8, 2 UTF-16le, 3 UTF-16be, as in the database header */
	if (sqlite3_prepare_v2(db, "PRAGMA encoding", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *e = (const char *)sqlite3_column_text(st, 0);
		int64_t v = !strcmp(e, "UTF-8") ? 1 : !strcmp(e, "UTF-16le") ? 2 : 3;
		m->pragmas[m->npragmas].name = xstrdup("encoding");
		m->pragmas[m->npragmas++].value = v;
	}
	sqlite3_finalize(st);
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

static void say_waiting(const char *holder, void *arg)
{
	const struct repo *r = arg;
	fprintf(stderr, "strata: waiting for the lock of repository '%s', held by %s\n", r->path,
		*holder ? holder : "another strata");
}

/* Open the repository, take the lock, sync (or rebuild) the catalog. */
static int open_repo_locked(const char *path, struct repo *r, struct catalog *c, bool rebuild,
			    enum repo_lock_kind kind, const struct lock_opts *lk, char **err)
{
	struct catalog_sync_stats st;
	int rc = repo_open(r, path);
	if (rc) {
		free(*err);
		*err = repo_open_message(path, r, rc);
		return rc;
	}
	rc = repo_lock(r, kind, lk->what, lk->wait_ms, lk->quiet ? NULL : say_waiting, r);
	if (rc == -EWOULDBLOCK) {
		char *holder = repo_lock_holder(r);
		set_err(err, "repository '%s' is busy: %s holds its lock%s; %s", path,
			*holder ? holder : "another strata backup or index",
			lk->wait_ms ? " still" : "",
			lk->wait_ms ? "wait longer (--wait=DURATION, or --wait to wait as long as it takes)" :
				      "retry when it ends, or add --wait to wait for it");
		free(holder);
		repo_close(r);
		return rc;
	}
	if (rc) {
		set_err(err, "cannot take the lock of repository '%s': %s", path, strerror(-rc));
		repo_close(r);
		return rc;
	}
	repo_clean_tmp(r);
	rc = catalog_open_sync(c, r, rebuild, &st); /* closes c on failure */
	if (rc == -ENOSPC)
		set_err(err, "cannot update the catalog '%s/catalog.db': no space left on device; free space and retry",
			path);
	else if (rc)
		set_err(err, "cannot update the catalog '%s/catalog.db': %s; run 'strata index --rebuild %s'",
			path, strerror(-rc), path);
	if (rc)
		repo_close(r);
	return rc;
}

int index_run(const char *path, bool rebuild, const struct lock_opts *lk, char **err)
{
	struct repo r;
	struct catalog c;
	int rc = open_repo_locked(path, &r, &c, rebuild, REPO_LOCK_CATALOG, lk, err);
	if (rc)
		return rc;
	catalog_close(&c);
	repo_close(&r);
	return rc;
}

/*
 * A generation is named after its time; the second and later ones of the
 * same second get "-002" ... "-999" (docs/FORMAT.md, "Generation names"):
 * three digits, so byte order -- ls, shell globs, rsync -- is backup order.
 * -EEXIST when all 999 are taken.
 */
static int pick_name(struct catalog *c, const struct repo *r, int64_t at, char out[64])
{
	char base[32];
	time_name(base, at);
	for (unsigned k = 1; k <= GEN_SAME_SECOND_MAX; k++) {
		if (k == 1)
			snprintf(out, 64, "%s", base);
		else
			snprintf(out, 64, "%s-%03u", base, k);
		int t = catalog_name_taken(c, out);
		if (t < 0)
			return t;
		char *key = repo_gen_key(out);
		struct store_file *f = NULL;
		int orc = store_file_open(r->store, key, &f);
		store_file_close(f);
		free(key);
		/* a link or FIFO there takes the name too; a store that cannot say is an error */
		if (orc && orc != -ENOENT && orc != -ELOOP && orc != -EUCLEAN)
			return orc;
		bool exists = orc != -ENOENT;
		if (!t && !exists)
			return 0;
	}
	return -EEXIST;
}

/* The path of the database's -wal or -journal file: SQLite names them after its real path (symlinks resolved). */
static char *sidecar_path(const char *source, const char *suffix)
{
	char *real = realpath(source, NULL);
	char *path = xasprintf("%s%s", real ? real : source, suffix);
	free(real);
	return path;
}

/*
 * A WAL database's -wal file, when present and at least one header long,
 * must start with a valid WAL header (magic, version, checksum).  SQLite
 * silently ignores a WAL whose header is damaged, and with it every
 * transaction committed since the last checkpoint: a backup would look
 * fine and miss them.  (SQLite reads an existing -wal whatever the
 * database header says.)  A header that is valid is all we can check: a
 * damaged frame after it is how a normal crash looks, and SQLite stops at
 * it as it should.
 */
static int check_wal(const char *source, char **err)
{
	char *path = sidecar_path(source, "-wal");
	uint8_t h[32];
	struct stat st;
	int rc = 0, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		free(path);
		return 0; /* no WAL (or SQLite reports why it cannot read it) */
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 32 &&
	    pread_all(fd, h, sizeof(h), 0) == 0) {
		if (!sqlwal_header_valid(h)) {
			set_err(err, "cannot read source database '%s': its write-ahead log '%s' is damaged "
				"(no valid WAL header), so the transactions in it cannot be read; restore both "
				"files from a copy, or move '%s' away to back up the last checkpointed state",
				source, path, path);
			rc = -EUCLEAN;
		}
	}
	close(fd);
	free(path);
	return rc;
}

/*
 * After SQLite reported corruption: a more precise reason when the main
 * file is shorter than its header says or not a whole number of pages.
 * In WAL mode the main file may lag its header during a checkpoint, so
 * only the page multiple is checked there.  Returns a static string or NULL.
 */
static const char *source_truncated(const char *source, char *why, size_t n)
{
	uint8_t h[100];
	struct stat st;
	const char *res = NULL;
	int fd = open(source, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && pread_all(fd, h, sizeof(h), 0) == 0 &&
	    !memcmp(h, "SQLite format 3", 16)) {
		uint64_t ps = (uint64_t)h[16] << 8 | h[17];
		uint64_t pages = get_u32be(h + 28), size = (uint64_t)st.st_size;
		bool wal = h[18] == 2 || h[19] == 2;
		bool valid = pages && get_u32be(h + 24) == get_u32be(h + 92);
		if (ps == 1)
			ps = 65536;
		if (ps < 512 || ps > 65536 || (ps & (ps - 1))) {
			/* not a page size: SQLite says what is wrong */
		} else if (size % ps) {
			snprintf(why, n, "the file is truncated or damaged: it has %llu bytes, not a whole "
				 "number of %llu-byte pages", (unsigned long long)size, (unsigned long long)ps);
			res = why;
		} else if (!wal && valid && size < pages * ps) {
			snprintf(why, n, "the file is truncated: it has %llu bytes, its header says %llu "
				 "pages of %llu bytes", (unsigned long long)size, (unsigned long long)pages,
				 (unsigned long long)ps);
			res = why;
		}
	}
	close(fd);
	return res;
}

/* The database's name: --name, or the default for its (real) path. */
static void backup_db_name(const struct backup_opts *o, const char *abs_source,
			   char out[DB_NAME_MAX + 1])
{
	if (o->name)
		snprintf(out, DB_NAME_MAX + 1, "%s", o->name);
	else
		db_name_default(abs_source, out);
}

/*
 * Without --name, a default name that another source path already uses
 * would merge two databases into one timeline (and one retention): refuse,
 * before reading anything.  With --name the user said which timeline.
 */
static int check_db_name(struct catalog *c, const struct backup_opts *o, const char *abs_source,
			 char **err)
{
	char name[DB_NAME_MAX + 1], *other = NULL;
	if (o->name)
		return 0;
	backup_db_name(o, abs_source, name);
	int rc = catalog_db_other_source(c, name, abs_source, &other);
	if (rc) {
		set_err(err, "cannot read the catalog: %s", strerror(-rc));
		return rc;
	}
	if (!other)
		return 0;
	struct buf shown = BUF_INIT;
	buf_add_printable(&shown, other, strlen(other));
	buf_add(&shown, "", 1);
	set_err(err, "the database name '%s' is the timeline of %s already; give this database its own "
		"name with --name NAME, or --name %s to continue that timeline (a moved database)",
		name, (char *)shown.data, name);
	buf_release(&shown);
	free(other);
	return -EEXIST;
}

/* A generation's index nodes in memory, by id: what its manifest is checked against before it is written. */
struct memnode {
	struct chunk_id id;
	struct buf data;
};
struct memnodes {
	struct memnode *v;
	size_t n, cap;
};

static int memnodes_put(void *arg, const struct chunk_id *id, const uint8_t *data, size_t len)
{
	struct memnodes *mn = arg;
	if (mn->n == mn->cap) {
		mn->cap = mn->cap ? 2 * mn->cap : 64;
		mn->v = xrealloc(mn->v, mn->cap * sizeof(*mn->v));
	}
	mn->v[mn->n].id = *id;
	mn->v[mn->n].data = (struct buf)BUF_INIT;
	buf_add(&mn->v[mn->n].data, data, len);
	mn->n++;
	return 0;
}

static int cmp_memnode(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct chunk_id));
}

static int memnodes_get(void *arg, const struct chunk_id *id, uint8_t **data, size_t *len)
{
	struct memnodes *mn = arg;
	const struct memnode *n = mn->n ? bsearch(id, mn->v, mn->n, sizeof(*mn->v), cmp_memnode) : NULL;
	if (!n)
		return -ENOENT;
	*data = xmalloc(n->data.len ? n->data.len : 1);
	memcpy(*data, n->data.data, n->data.len);
	*len = n->data.len;
	return 0;
}

static void memnodes_release(struct memnodes *mn)
{
	for (size_t i = 0; i < mn->n; i++)
		buf_release(&mn->v[i].data);
	free(mn->v);
}

/* Whether the repository holds an index node intact (as far as the last verify knows). */
struct node_have {
	struct catalog *c;
	struct verify_record rec;
	bool have_rec;
	uint64_t healed; /* damaged ones, to be stored again */
};

static bool have_node(void *arg, const struct chunk_id *id)
{
	struct node_have *h = arg;
	struct pack_entry e;
	char pack[33];
	if (catalog_chunk_where(h->c, id, &e, pack) || !pack_entry_is_node(&e))
		return false;
	/* damaged where the catalog serves it: stored again, which heals every generation listing it */
	if (!h->have_rec || !verifyrec_damaged_copy(&h->rec, id, pack))
		return true;
	h->healed++;
	return false;
}

/*
 * Name a finished generation (seq, name, id, time, label, source), write
 * its index nodes and then its manifest atomically and bring the catalog
 * up to date.  m's tables,
 * schema and new_bytes are filled by the caller.
 */
static int store_generation(struct catalog *c, struct repo *r, const struct backup_opts *o,
			    struct manifest *m, const struct stat *sst, struct buf *enc,
			    uint64_t *healed_nodes, char **err)
{
	int rc = catalog_max_seq(c, &m->seq);
	m->seq++;
	free(m->name);
	m->name = xmalloc(64);
	if (!rc)
		rc = pick_name(c, r, o->at, m->name);
	if (rc == -EEXIST) {
		char ts[32];
		time_rfc3339(ts, o->at);
		set_err(err, "cannot name the generation: %d generations already carry the time %s; "
			"give another time with --at", GEN_SAME_SECOND_MAX, ts);
		return rc;
	}
	if (rc) {
		set_err(err, "cannot name the generation: %s", strerror(-rc));
		return rc;
	}
	if (getrandom(m->id, 16, 0) != 16) {
		set_err(err, "cannot get random bytes for the generation id");
		return -EIO;
	}
	char idhex[33], *claim;
	hex_encode(idhex, m->id, 16);
	/* the generation's random id makes the claim this backup's own (a retried PUT knows it) */
	claim = xasprintf("%s %s\n", m->name, idhex);
	rc = repo_claim_seq(r, &m->seq, claim);
	free(claim);
	if (rc) {
		set_err(err, "cannot claim a generation number in '%s': %s", r->path, strerror(-rc));
		return rc;
	}
	m->time = o->at;
	free(m->label);
	m->label = xstrdup(o->label ? o->label : "");
	char *abs = realpath(o->source, NULL);
	free(m->source);
	m->source = xstrdup(abs ? abs : o->source);
	free(abs);
	char dbname[DB_NAME_MAX + 1];
	backup_db_name(o, m->source, dbname);
	free(m->dbname);
	m->dbname = xstrdup(dbname);
	m->source_bytes = (uint64_t)sst->st_size;
	/* the index nodes the repository lacks (or holds damaged), in a pack before the manifest */
	struct node_have nh = { .c = c };
	nh.have_rec = !verifyrec_read(r, &nh.rec);
	uint64_t node_bytes = 0;
	rc = idxnode_store(r, m, have_node, &nh, &node_bytes);
	if (nh.have_rec)
		verifyrec_release(&nh.rec);
	if (rc) {
		set_err(err, "cannot write the generation's index nodes into '%s': %s", r->path,
			rc == -ENOSPC ? "no space left on device; free space and retry" : strerror(-rc));
		return rc;
	}
	m->new_bytes += node_bytes;
	*healed_nodes = nh.healed;
	buf_reset(enc);
	manifest_encode(m, enc);
	/* never report success for a generation the readers would refuse (its nodes included) */
	struct manifest chk;
	struct memnodes mn = { 0 };
	rc = manifest_decode(enc->data, enc->len, &chk);
	if (!rc && !manifest_resolved(&chk)) {
		rc = manifest_make_nodes(m, memnodes_put, &mn);
		if (mn.n)
			qsort(mn.v, mn.n, sizeof(*mn.v), cmp_memnode);
		if (!rc)
			rc = manifest_resolve(&chk, memnodes_get, &mn);
		if (rc)
			manifest_release(&chk);
	}
	memnodes_release(&mn);
	if (rc) {
		set_err(err, "internal error: the new generation's manifest fails the readers' checks (%s); "
			"no generation was written; please report this", strerror(-rc));
		return rc;
	}
	manifest_release(&chk);
	rc = repo_lock_check(r);
	if (rc) {
		set_err(err, "lost the lock of '%s' (its lease could not be renewed in time, so another host "
			"may have taken it as stale); no generation was written; run the backup again", r->path);
		return rc;
	}
	/*
	 * Last, and never over another: a generation is visible whole or not
	 * at all.  Another host may take the name between pick_name and here
	 * (its catalog and ours differ): then the next free name, re-encoded.
	 */
	for (unsigned tries = 0;; tries++) {
		char *key = repo_gen_key(m->name);
		rc = store_put(r->store, key, enc->data, enc->len, STORE_IF_ABSENT);
		free(key);
		if (rc != -EEXIST || tries == GEN_SAME_SECOND_MAX)
			break;
		int prc = pick_name(c, r, o->at, m->name);
		if (prc) {
			rc = prc;
			break;
		}
		buf_reset(enc);
		manifest_encode(m, enc);
	}
	if (rc) {
		set_err(err, "cannot write the manifest of generation '%s' into '%s': %s", m->name, r->path,
			rc == -ENOSPC ? "no space left on device; free space and retry" :
			rc == -EEXIST ? "another backup stored a generation of that name meanwhile; run the backup again" :
			strerror(-rc));
		return rc;
	}
	fault_point("backup-manifest-done");
	struct catalog_sync_stats st;
	rc = catalog_sync(c, r, false, &st);
	if (rc)
		set_err(err, "generation '%s' is stored but the catalog update failed: %s; %s 'strata index %s'",
			m->name, rc == -ENOSPC ? "no space left on device" : strerror(-rc),
			rc == -ENOSPC ? "free space and run" : "run", o->repo);
	struct cat_gen g;
	if (!rc && catalog_gen_by_name(c, m->name, &g)) {
		set_err(err, "generation '%s' is stored but the catalog could not index it (see above); run 'strata verify %s'",
			m->name, o->repo);
		rc = -EUCLEAN;
	}
	return rc;
}

/*
 * The catalog key under which the source's state is remembered: its path,
 * and the table selection when there is one, so that a backup with other
 * --include/--exclude patterns never reuses a generation of another set of
 * tables.
 */
static char *source_key(const struct backup_opts *o, const char *path)
{
	struct buf k = BUF_INIT;
	buf_addf(&k, "source:%s", path);
	/* length-prefixed: no pattern can spell another selection */
	for (size_t i = 0; i < o->ninclude; i++)
		buf_addf(&k, "\ninclude=%zu:%s", strlen(o->include[i]), o->include[i]);
	for (size_t i = 0; i < o->nexclude; i++)
		buf_addf(&k, "\nexclude=%zu:%s", strlen(o->exclude[i]), o->exclude[i]);
	return (char *)buf_detach(&k, NULL);
}

/* Record the source's state at this generation (best effort: losing it only costs a re-read). */
static void remember_source(struct catalog *c, const char *key, const struct srcstate *ss,
			    const char *gen)
{
	char hex[2 * SRCSTATE_LEN + 1];
	hex_encode(hex, ss->b, SRCSTATE_LEN);
	char *val = xasprintf("%s %s", hex, gen);
	catalog_meta_put(c, key, val);
	free(val);
}

/* Whether a chunk of m is one the last full verify found damaged. */
static bool uses_damaged(const struct repo *r, struct catalog *c, const struct manifest *m)
{
	struct verify_record rec;
	bool bad = false;
	if (verifyrec_read(r, &rec))
		return false;
	for (size_t i = 0; i < m->ntables && !bad && rec.ndamaged; i++)
		for (size_t k = 0; k < m->tables[i].nchunks && !bad; k++) {
			const struct chunk_id *id = &m->tables[i].chunks[k].id;
			struct pack_entry e;
			char pack[33];
			/* damaged, unless the catalog serves an intact copy now (healed) */
			bad = verifyrec_damaged(&rec, id) &&
			      (catalog_chunk_where(c, id, &e, pack) ||
			       verifyrec_damaged_copy(&rec, id, pack) ||
			       !rec.ncopies /* a record naming ids only */);
		}
	verifyrec_release(&rec);
	return bad;
}

/*
 * If the source is in exactly the state recorded at an existing generation,
 * store a new generation with that generation's tables without reading the
 * source.  Returns 0 when it did, 1 when the source must be read, <0 on
 * failure (*err set).
 */
static int try_skip(struct catalog *c, struct repo *r, const struct backup_opts *o,
		    const struct srcstate *ss, const char *key, const struct stat *sst,
		    struct backup_result *res, char **err)
{
	char hex[2 * SRCSTATE_LEN + 1], *val = NULL;
	struct cat_gen g;
	struct manifest m;
	struct buf enc = BUF_INIT;
	int rc;

	hex_encode(hex, ss->b, SRCSTATE_LEN);
	if (catalog_meta_get(c, key, &val))
		return 1;
	size_t hl = strlen(hex);
	if (strlen(val) <= hl + 1 || strncmp(val, hex, hl) || val[hl] != ' ' ||
	    catalog_gen_by_name(c, val + hl + 1, &g)) {
		free(val);
		return 1;
	}
	free(val);
	struct idxnode_reader rd = { .r = r, .cat = c };
	rc = manifest_load(r, g.name, &rd, &m, NULL);
	idxnode_reader_done(&rd);
	if (!rc && (m.version < 3 || m.other_props)) {
		/* made by an older strata (lacks what a restore needs), or by a newer one
		 * (properties this one would not write back) */
		manifest_release(&m);
		rc = -EPROTONOSUPPORT;
	}
	if (rc)
		return 1; /* the earlier generation cannot be reused: read the source */
	if (uses_damaged(r, c, &m)) {
		manifest_release(&m);
		return 1; /* read it, and say which damaged chunks it needs (mark_damaged) */
	}
	m.new_bytes = 0;
	/* nothing was read: an incremental backup with every chunk taken from g */
	free(m.kind);
	free(m.parent);
	m.kind = xstrdup("incremental");
	m.parent = xstrdup(g.name);
	rc = store_generation(c, r, o, &m, sst, &enc, &res->healed_nodes, err);
	if (!rc) {
		/* g's page map is this generation's too: the next backup compares with it */
		char dbname[DB_NAME_MAX + 1], pg[64], pid[33], idhex[33];
		uint8_t *map = NULL;
		size_t maplen = 0;
		manifest_db_name(&m, dbname);
		hex_encode(idhex, m.id, 16);
		if (!catalog_pagemap_get(c, dbname, g.name, false, pg, pid, &map, &maplen))
			catalog_pagemap_put(c, m.name, idhex, dbname, false, map, maplen);
		free(map);
		snprintf(res->kind, sizeof(res->kind), "incremental");
		snprintf(res->parent, sizeof(res->parent), "%s", g.name);
		remember_source(c, key, ss, m.name);
		snprintf(res->name, sizeof(res->name), "%s", m.name);
		snprintf(res->unchanged_since, sizeof(res->unchanged_since), "%s", g.name);
		res->tables = m.ntables;
		for (size_t i = 0; i < m.ntables; i++) {
			res->rows += m.tables[i].nrows;
			res->chunks += m.tables[i].nchunks;
		}
		res->source_bytes = m.source_bytes;
		res->new_bytes = m.new_bytes + enc.len; /* its index nodes, when they had to be written */
	}
	buf_release(&enc);
	manifest_release(&m);
	return rc;
}

/*
 * Chunks the last full `strata verify` found damaged (REPO/verify-status)
 * are tagged in the dedup set.  A damaged copy the catalog still serves
 * (no intact copy known: the sync serves an intact one when there is) is
 * stored again if this backup needs the chunk, which heals every generation
 * that uses it.  A record from a strata before damaged copies were recorded
 * names ids only: reusing one of those is counted and said, as then.
 */
static void mark_damaged(const struct repo *r, struct catalog *c, struct idset *known,
			 struct backup_result *res)
{
	struct verify_record rec;
	if (verifyrec_read(r, &rec))
		return; /* an unreadable record: nothing known to be damaged */
	for (size_t i = 0; i < rec.ncopies; i++) {
		struct pack_entry e;
		char pack[33];
		const struct damaged_copy *d = &rec.copies[i];
		if (idset_get(known, &d->id) && !catalog_chunk_where(c, &d->id, &e, pack) &&
		    !strcmp(pack, d->pack))
			idset_put(known, &d->id, KNOWN_HEAL);
	}
	for (size_t i = 0; i < rec.ndamaged; i++) {
		bool has_copies = false;
		for (size_t k = 0; k < rec.ncopies && !has_copies; k++)
			has_copies = !memcmp(rec.copies[k].id.b, rec.damaged[i].b, 16);
		if (!has_copies && idset_get(known, &rec.damaged[i]))
			idset_put(known, &rec.damaged[i], KNOWN_DAMAGED);
	}
	res->damaged_verified = rec.full.time;
	verifyrec_release(&rec);
}

/*
 * ---- source read-ahead ----
 * SQLite reads the source through its memory map, one page fault at a
 * time on the reader thread: with the file not in the page cache a backup
 * waited on the disk for about 2 s per GB (the bench evicts it).  This
 * thread asks the kernel to read the file in order ahead of time
 * (POSIX_FADV_WILLNEED, 32 MiB at a time), as sequential I/O.  Only for a
 * file that fits comfortably in memory (half of MemAvailable), so a huge
 * database does not push the rest of the machine out of the page cache.
 */
struct src_prefetch {
	pthread_t th;
	int fd;
	atomic_bool stop; /* the reader's word to the prefetcher (volatile was a data race) */
	bool running;
};

static uint64_t mem_available(void)
{
	char line[128];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kb << 10;
}

static void *src_prefetch_main(void *arg)
{
	struct src_prefetch *p = arg;
	struct stat st;
	if (fstat(p->fd, &st) == 0)
		for (off_t off = 0; off < st.st_size && !atomic_load(&p->stop); off += 32 << 20)
			posix_fadvise(p->fd, off, 32 << 20, POSIX_FADV_WILLNEED);
	return NULL;
}

static void src_prefetch_start(struct src_prefetch *p, const char *path)
{
	struct stat st;
	p->running = false;
	atomic_init(&p->stop, false);
	p->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (p->fd < 0)
		return;
	if (fstat(p->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size <= mem_available() / 2 &&
	    pthread_create(&p->th, NULL, src_prefetch_main, p) == 0) {
		p->running = true;
		return;
	}
	close(p->fd);
	p->fd = -1;
}

/*
 * Only once SQLite's read transaction has ended: closing any descriptor of
 * a file drops every POSIX lock this process holds on it, SQLite's SHARED
 * lock included.
 */
static void src_prefetch_stop(struct src_prefetch *p)
{
	if (p->running) {
		atomic_store(&p->stop, true);
		pthread_join(p->th, NULL);
		p->running = false;
	}
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/*
 * Let the page reader at the snapshot (strata/sqlpage.h), after BEGIN: a
 * memory map of the file SQLite has open and locked, held until
 * pages_release().  When the -wal file is absent or empty the snapshot is
 * the main file alone (a read transaction that uses WAL frames keeps the
 * log from being reset or truncated, so an empty log now means none were
 * in this snapshot, and checkpoints cannot write into the file while this
 * reader holds the log's read lock 0); in rollback-journal mode the shared
 * lock keeps writers out of the file.  A log with frames: pages_setup_wal.
 *
 * The map is this process's own, of a descriptor proved to be SQLite's
 * locked file (same_file_fd), at any size; when the proof fails (another
 * reader's lock came first), SQLite's own map of its file handle (xFetch),
 * which Debian's build limits to 2 GB: a larger database is then read
 * through the API.  Returns why not, or NULL.
 */
static int same_file_fd(const char *source, int *probe, int prefetch_fd);

static const char *pages_setup_wal(struct backup *b, const char *source, int64_t npages, int64_t ps);

/*
 * The page reader over this process's own map of fd (proved to be SQLite's
 * file): the file's first npages pages, or (WAL mode) as many of them as
 * the file has, with the log's pages over them (ovl).  Returns why not.
 */
static const char *map_source(struct backup *b, int fd, int64_t npages, int64_t ps,
			      const struct sqlpage_overlay *ovl)
{
	struct stat st;
	uint64_t fpages = fstat(fd, &st) ? 0 : (uint64_t)st.st_size / (uint64_t)ps;
	if (fpages > (uint64_t)npages)
		fpages = (uint64_t)npages;
	if (!ovl && fpages < (uint64_t)npages)
		return "the file is shorter than its page count";
	size_t len = (size_t)(fpages * (uint64_t)ps);
	void *p = NULL;
	if (len && (p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
		return "cannot map the file";
	if (ovl ? sqlpage_open_wal(&b->pages, p, len, (uint32_t)npages, ovl)
		: sqlpage_open(&b->pages, p, len, (uint32_t)npages)) {
		if (p)
			munmap(p, len);
		memset(&b->pages, 0, sizeof(b->pages));
		return ovl ? "not UTF-8, an unusual header, or pages neither in the file nor in the log"
			   : "not UTF-8, or an unusual header";
	}
	b->pages_map = p;
	b->pages_map_len = len;
	b->pages.fd = fd;
	return NULL;
}

static const char *pages_setup(struct backup *b, sqlite3 *db, const char *source, int64_t npages)
{
	sqlite3_file *f = NULL;
	struct stat st;
	void *p = NULL;
	int64_t ps = -1;

	char *wal = sidecar_path(source, "-wal");
	int r = stat(wal, &st), e = errno;
	free(wal);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		ps = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (npages < 2 || ps <= 0 || npages > UINT32_MAX)
		return npages < 2 ? "no table pages" : "more pages than the page reader counts";
	if (r == 0 ? st.st_size != 0 : e != ENOENT)
		return pages_setup_wal(b, source, npages, ps);
	int fd = same_file_fd(source, &b->probe_fd, b->prefetch_fd);
	if (fd >= 0)
		return map_source(b, fd, npages, ps, NULL);
	/* not proved: SQLite's own map of its file, which stops at 2 GB in Debian's build */
	if (npages > INT32_MAX / ps)
		return "larger than SQLite's memory-map limit, and another reader's lock hid whether "
		       "this process's descriptor is SQLite's file";
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
	    !f->pMethods || f->pMethods->iVersion < 3 || !f->pMethods->xFetch ||
	    !f->pMethods->xUnfetch)
		return "no memory map";
	/*
	 * All but the last page from the map, the last one read: SQLite 3.40
	 * maps up to the end of the file, later releases only up to 256 bytes
	 * short of it, so a fetch of the whole file would fail there.
	 */
	uint64_t mapped = (uint64_t)(npages - 1) * (uint64_t)ps;
	if (f->pMethods->xFetch(f, 0, (int)mapped, &p) != SQLITE_OK || !p)
		return "SQLite gave no memory map of the file (over its 2 GB limit?)";
	uint8_t *last = xmalloc((size_t)ps);
	if (f->pMethods->xRead(f, last, (int)ps, (sqlite3_int64)mapped) != SQLITE_OK ||
	    sqlpage_open_split(&b->pages, p, mapped, (uint32_t)npages, last)) {
		f->pMethods->xUnfetch(f, 0, p);
		free(last);
		memset(&b->pages, 0, sizeof(b->pages));
		return "not UTF-8, or an unusual header";
	}
	b->pages_file = f;
	b->pages_ref = p;
	b->pages_last = last;
	b->pages.fd = -1; /* not proved: pages are hashed through the map */
	return NULL;
}

/*
 * The log's index header, before BEGIN (strata/sqlwal.h): when the -wal file
 * has frames and the index exists; wal_known says it was read, and after
 * BEGIN whether it is still the same (backup_run).  The descriptors stay
 * open until SQLite has closed the database (struct backup, shm_fd).
 */
static void wal_before_begin(struct backup *b, const char *source)
{
	struct stat st;
	char *wal = sidecar_path(source, "-wal"), *shm = sidecar_path(source, "-shm");
	if (stat(wal, &st) == 0 && st.st_size > 0) {
		b->shm_fd = open(shm, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		b->wal_fd = open(wal, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		b->wal_known = b->shm_fd >= 0 && b->wal_fd >= 0 &&
			       sqlwal_read_index(b->shm_fd, &b->wal_index) == 0;
	}
	free(wal);
	free(shm);
}

#define WAL_MAX_BYTES (256u << 20) /* a longer log is left to SQLite's API */

/*
 * pages_setup for a snapshot in WAL mode whose log has frames: the file
 * overlaid with the newest copy of each page in the snapshot's frames.
 * The snapshot's last frame is the index header's when that header did
 * not change from before BEGIN to after the first read (no commit in
 * between: its change counter moves with every one; wal_known, settled by
 * backup_run), and it is read once more after the log, as a cross-check.  The file's other pages do not change under this reader: a
 * checkpoint copies only frames up to the oldest reader's mark, and this
 * reader's frames are the overlay's (copied); nor can the log's frames be
 * overwritten before they are copied (a writer restarts the log only when
 * no reader uses it, and then the snapshot is the file).  Returns why not.
 */
static const char *pages_setup_wal(struct backup *b, const char *source, int64_t npages, int64_t ps)
{
	struct sqlwal_index now;
	if (!b->wal_known)
		return "the write-ahead log holds transactions, and which of its frames this snapshot "
		       "reads could not be told (its index unreadable, or a commit at every BEGIN)";
	if (b->wal_index.npages != (uint64_t)npages || b->wal_index.page_size != (uint64_t)ps)
		return "the write-ahead log's index does not match the snapshot";
	int fd = same_file_fd(source, &b->probe_fd, b->prefetch_fd);
	if (fd < 0)
		return "the write-ahead log holds transactions, and another reader's lock hid whether "
		       "this process's descriptor is SQLite's file";
	int rc = sqlwal_overlay(b->wal_fd, &b->wal_index, WAL_MAX_BYTES, &b->wal_pages);
	if (rc)
		return rc == -EFBIG ? "the write-ahead log is over 256 MiB"
				    : "the write-ahead log does not check against its index";
	const char *why = NULL;
	if (sqlwal_read_index(b->shm_fd, &now) || !sqlwal_same(&b->wal_index, &now))
		why = "a transaction committed while the backup read the write-ahead log";
	else
		why = map_source(b, fd, npages, ps, &b->wal_pages);
	if (why)
		sqlwal_overlay_release(&b->wal_pages);
	return why;
}

/*
 * Whether a descriptor of this process other than fd and skip names the
 * same file as fd (the same device and inode, both open, so neither can be
 * reused): /proc/self/fd lists them.
 */
static bool open_elsewhere(int fd, int skip)
{
	struct stat a, o;
	if (fstat(fd, &a))
		return false;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		char *end;
		long n = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || n < 0 || n > INT_MAX || n == fd || n == skip || n == dirfd(d))
			continue;
		found = fstat((int)n, &o) == 0 && o.st_dev == a.st_dev && o.st_ino == a.st_ino;
	}
	closedir(d);
	return found;
}

/*
 * A descriptor of the very file SQLite reads under this read transaction,
 * or -1, for mapping its pages and hashing them with pread() (strata/
 * sqlpage.h).  The path may name another file by now (renamed over), so
 * it is proved, one of two ways:
 *   - SQLite holds a POSIX read lock on the file's SHARED byte range
 *     (offset 2^30 + 2, 510 bytes, in rollback and WAL mode alike) for the
 *     transaction, and an open file description lock query on the new
 *     descriptor reports a conflicting POSIX lock of this process only if
 *     both name the same file (no other database is open here).  The query
 *     reports one conflicting lock, and another reader's may come first (in
 *     WAL mode every open connection holds one);
 *   - then: another descriptor of this process, not the prefetcher's
 *     (b->prefetch_fd, opened by path too), names the same file - SQLite's,
 *     the only other one.
 * Its bytes are then the snapshot's: no writer changes the file while that
 * lock is held, nor (WAL mode) a checkpoint beyond this reader's mark (see
 * pages_setup_wal).  The descriptor, proved or not, stays open in *probe
 * until the read transaction has ended (closing it would drop SQLite's
 * lock: see src_prefetch_stop).
 */
static int same_file_fd(const char *source, int *probe, int prefetch_fd)
{
	/* where a symbolic link points, as SQLite opens it (the proof holds either way) */
	char *real = realpath(source, NULL);
	int fd = open(real ? real : source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(real);
	if (fd < 0)
		return -1;
	*probe = fd;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0x40000002, .l_len = 510 };
	if (fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid == getpid())
		return fd;
	return open_elsewhere(fd, prefetch_fd) ? fd : -1;
}

/* Hand SQLite's map back (before COMMIT or close). */
static void pages_release(struct backup *b)
{
	if (b->pages_ref)
		b->pages_file->pMethods->xUnfetch(b->pages_file, 0, b->pages_ref);
	if (b->pages_map)
		munmap(b->pages_map, b->pages_map_len);
	b->pages_map = NULL;
	sqlwal_overlay_release(&b->wal_pages);
	free(b->pages_last);
	b->pages_last = NULL;
	b->pages_ref = NULL;
	b->pages_file = NULL;
	memset(&b->pages, 0, sizeof(b->pages));
}

/*
 * The parent of an incremental (or differential) backup: the newest
 * generation of database dbname with a page map (the newest full one's for
 * a differential), and its manifest.  Without one the backup reads
 * everything and is recorded as full.
 */
static void load_parent(struct catalog *c, const struct repo *r, const char *dbname, bool full_only,
			struct backup *b)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char gen[64], id[33], mid[33];
	if (catalog_pagemap_get(c, dbname, NULL, full_only, gen, id, &data, &len))
		return;
	int rc = pagemap_decode(data, len, &b->parent_pm);
	free(data);
	data = NULL;
	if (!rc) {
		struct idxnode_reader rd = { .r = r, .cat = c };
		rc = manifest_load(r, gen, &rd, &b->parent_m, NULL);
		idxnode_reader_done(&rd);
	}
	if (!rc) {
		/* the map was written for this very manifest (not another of that name) */
		hex_encode(mid, b->parent_m.id, 16);
		if (strcmp(mid, id)) {
			manifest_release(&b->parent_m);
			rc = -ESTALE;
		}
	}
	if (rc) {
		pagemap_release(&b->parent_pm);
		return; /* a damaged map or a generation gone meanwhile: read everything */
	}
	snprintf(b->parent, sizeof(b->parent), "%s", gen);
}

/*
 * The segment records of the chunks this backup built, one list per chunk
 * (struct pagemap_segs) under its table's ident: best effort, as the page
 * map (a chunk without one is read whole when it changes).  Returns how
 * many lists were written.
 */
static uint64_t store_segmaps(struct catalog *c, const struct pagemap *ns, const struct manifest *m)
{
	uint64_t n = 0;
	struct buf enc = BUF_INIT;
	if (catalog_begin(c))
		return 0;
	int rc = 0;
	for (size_t i = 0; i < ns->ntables && !rc; i++) {
		const struct pagemap_table *st = &ns->tables[i];
		const struct manifest_table *mt = NULL;
		for (size_t k = 0; k < m->ntables && !mt; k++)
			if (!strcmp(m->tables[k].name, st->name) && m->tables[k].ncols == st->ncols)
				mt = &m->tables[k];
		for (size_t a = 0, e; mt && a < st->nsegs && !rc; a = e) {
			for (e = a + 1; e < st->nsegs && st->segs[e].k == st->segs[a].k; e++)
				;
			if (st->segs[a].k >= mt->nchunks)
				continue;
			buf_reset(&enc);
			pagemap_segs_encode(&st->segs[a], e - a, st->ncols, &enc);
			rc = catalog_segmap_put(c, st->ident, &mt->chunks[st->segs[a].k].id, enc.data, enc.len);
			n++;
		}
	}
	if (rc || catalog_commit(c)) {
		catalog_rollback(c);
		n = 0;
	}
	buf_release(&enc);
	return n;
}

int backup_run(const struct backup_opts *o, struct backup_result *res, char **err)
{
	struct repo r;
	struct catalog c;
	struct backup b;
	struct manifest m;
	struct buf schema = BUF_INIT, enc = BUF_INIT;
	sqlite3 *db = NULL;
	struct src_prefetch pf = { .fd = -1 };
	char **names = NULL, **shadow = NULL;
	size_t ntables = 0, nshadow = 0;
	struct timespec t0, t1;
	struct stat sst;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&m, 0, sizeof(m));
	memset(&b, 0, sizeof(b));
	b.probe_fd = -1;
	b.prefetch_fd = -1;
	b.shm_fd = b.wal_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (stat(o->source, &sst) < 0) {
		rc = -errno;
		set_err(err, "cannot read source database '%s': %s", o->source,
			rc == -ENOENT ? "no such file" : strerror(-rc));
		return rc;
	}
	if (!S_ISREG(sst.st_mode)) {
		set_err(err, "cannot read source database '%s': it is %s, not a SQLite database file; "
			"give the path of the database file", o->source,
			S_ISDIR(sst.st_mode) ? "a directory" : "a device, FIFO or socket");
		return -EINVAL;
	}
	rc = check_wal(o->source, err);
	if (rc)
		return rc;
	/*
	 * The source's state is read before the read transaction begins (see
	 * srcstate.h): a commit in between can only make the next backup read
	 * again, never skip wrongly.
	 */
	struct srcstate ss;
	bool have_state = srcstate_read(o->source, &ss) == 0;
	char *abs_src = realpath(o->source, NULL);
	char *src_key = source_key(o, abs_src ? abs_src : o->source);
	rc = open_repo_locked(o->repo, &r, &c, false, REPO_LOCK_ADD, &o->lock, err);
	if (!rc) {
		rc = check_db_name(&c, o, abs_src ? abs_src : o->source, err);
		if (rc) {
			catalog_close(&c);
			repo_close(&r);
		}
	}
	free(abs_src);
	if (rc) {
		free(src_key);
		return rc;
	}
	/* before anything is written, a skip's index nodes and manifest included */
	rc = repo_upgrade(&r);
	if (rc) {
		set_err(err, "cannot upgrade repository '%s' to format %d (its config): %s", o->repo,
			REPO_FORMAT_VERSION, strerror(-rc));
		catalog_close(&c);
		repo_close(&r);
		free(src_key);
		return rc;
	}
	bool kind_full = o->kind && !strcmp(o->kind, "full");
	bool kind_diff = o->kind && !strcmp(o->kind, "differential");
	if (have_state && !o->force && !kind_full && !kind_diff) {
		rc = try_skip(&c, &r, o, &ss, src_key, &sst, res, err);
		if (rc <= 0) {
			/* skipped (0) or failed (<0) */
			catalog_close(&c);
			repo_close(&r);
			free(src_key);
			if (!rc) {
				clock_gettime(CLOCK_MONOTONIC, &t1);
				res->seconds = (double)(t1.tv_sec - t0.tv_sec) +
					       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
			}
			return rc;
		}
	}
	b.repo = &r;
	b.cat = &c;
	b.progress = o->progress;
	char dbname[DB_NAME_MAX + 1];
	{
		char *abs = realpath(o->source, NULL);
		backup_db_name(o, abs ? abs : o->source, dbname);
		free(abs);
	}
	if (!kind_full && !o->api_reader)
		load_parent(&c, &r, dbname, kind_diff, &b);
	catalog_each_chunk(&c, idset_add_cb, &b.known);
	mark_damaged(&r, &c, &b.known, res);
	rc = pool_start(&b);
	if (rc) {
		set_err(err, "cannot start worker threads: %s; retry with fewer processes running", strerror(-rc));
		goto out;
	}

	src_prefetch_start(&pf, o->source);
	b.prefetch_fd = pf.fd;
	/* read-only, no URI tricks from the path: it is passed as a plain file name */
	rc = sqlite3_open_v2(o->source, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		/*
		 * Read pages through a memory map instead of pread() copies (about
		 * a tenth of the CPU time of a backup).  A snapshot's pages are
		 * never truncated away under a reader: a checkpoint stops at the
		 * oldest reader's mark.
		 */
		sqlite3_exec(db, "PRAGMA mmap_size=1099511627776", NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK) {
		if (!o->api_reader)
			wal_before_begin(&b, o->source);
		rc = sqlite3_exec(db, "BEGIN; SELECT count(*) FROM sqlite_master;", NULL, NULL, NULL);
		/*
		 * A log with frames: the snapshot's last frame is known when the
		 * index did not change across BEGIN (pages_setup_wal).  A commit,
		 * or SQLite recovering the index as the first connection, came in
		 * between: begin again, a few times, before leaving it to the API.
		 */
		for (int tries = 0; rc == SQLITE_OK && b.wal_known; tries++) {
			struct sqlwal_index now;
			if (sqlwal_read_index(b.shm_fd, &now) == 0 && sqlwal_same(&b.wal_index, &now))
				break;
			b.wal_known = false;
			if (tries == 3)
				break;
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			b.wal_known = sqlwal_read_index(b.shm_fd, &b.wal_index) == 0;
			rc = sqlite3_exec(db, "BEGIN; SELECT count(*) FROM sqlite_master;", NULL, NULL, NULL);
		}
	}
	if (rc != SQLITE_OK) {
		char why[160];
		const char *trunc = NULL;
		char *jpath = sidecar_path(o->source, "-journal");
		bool journal = access(jpath, F_OK) == 0;
		int prc = rc & 0xff;
		rc = sqlite_rc(rc);
		if (prc == SQLITE_CORRUPT || prc == SQLITE_NOTADB)
			trunc = source_truncated(o->source, why, sizeof(why));
		if (trunc)
			set_err(err, "cannot read source database '%s': %s; restore it from a copy",
				o->source, trunc);
		else if (prc == SQLITE_NOTADB)
			set_err(err, "cannot read source database '%s': it is not a SQLite database; "
				"check the path", o->source);
		else if (prc == SQLITE_READONLY && journal)
			set_err(err, "cannot read source database '%s': its rollback journal '%s' holds an "
				"unfinished transaction that a read-only backup cannot roll back; open the "
				"database once with sqlite3 (which rolls it back), then retry", o->source, jpath);
		else
			set_err(err, "cannot read source database '%s': %s (SQLite: %s)", o->source,
				source_problem(rc), db ? sqlite3_errmsg(db) : "out of memory");
		free(jpath);
		goto out;
	}
	b.collate = "BINARY";
	sqlite3_stmt *pe = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA encoding", -1, &pe, NULL) == SQLITE_OK &&
	    sqlite3_step(pe) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(pe, 0), "UTF-8") &&
	    sqlite3_create_collation_v2(db, "strata_utf8", SQLITE_UTF8, NULL, collate_utf8,
					NULL) == SQLITE_OK)
		b.collate = "strata_utf8";
	sqlite3_finalize(pe);
	/* an empty file is a valid empty database to SQLite, but never what was meant */
	sqlite3_stmt *pc = NULL;
	int64_t npages = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &pc, NULL) == SQLITE_OK &&
	    sqlite3_step(pc) == SQLITE_ROW)
		npages = sqlite3_column_int64(pc, 0);
	sqlite3_finalize(pc);
	if (npages == 0) {
		rc = -ENOEXEC;
		set_err(err, "cannot read source database '%s': it is empty (0 bytes), not a SQLite "
			"database; check the path", o->source);
		goto out;
	}
	b.api_only = o->api_reader;
	b.verbose = o->verbose;
	b.pages_why = b.api_only ? "--reader sqlite" : pages_setup(&b, db, o->source, npages);
	fault_point("backup-pages-ready"); /* in the read transaction, before any table is read */
	/* from here on, one read transaction: every table is read at one committed state */
	rc = list_tables(db, o, &names, &ntables, &shadow, &nshadow, &m, &schema, err);
	if (!rc)
		capture_pragmas(db, &m); /* in the same read transaction */
	if (rc) {
		if (!*err)
			set_err(err, "cannot read the schema of '%s': %s", o->source, source_problem(rc));
		goto out;
	}
	m.tables = xcalloc(ntables ? ntables : 1, sizeof(*m.tables));
	for (size_t i = 0; i < ntables; i++) {
		struct manifest_table *t = &m.tables[m.ntables++];
		rc = backup_table(&b, db, o->source, names[i], t, err);
		if (!rc && internal_table(names[i])) {
			/* made by SQLite itself: its CREATE TABLE cannot be replayed */
			t->flags |= TABLE_INTERNAL;
			free(t->schema);
			t->schema = xasprintf("-- %s is SQLite's own table; 'strata restore' and dump.sql restore its rows\n",
					      names[i]);
		}
		if (!rc && in_list(shadow, nshadow, names[i]))
			t->flags |= TABLE_SHADOW;
		if (rc && pool_error(&b) == rc) {
			/* a worker failed to store a chunk: a repository problem, not a source one */
			free(*err);
			*err = NULL;
			worker_failed(err, o->source, rc);
			goto out;
		}
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
	fault_point("backup-tables-read"); /* still in the read transaction */
	pages_release(&b);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	rc = pool_finish(&b);
	if (rc) {
		worker_failed(err, o->source, rc);
		goto out;
	}
	apply_jobs(&b);
	rc = flush_pack(&b);
	if (!rc)
		fault_point("backup-packs-done");
	if (rc) {
		set_err(err, "cannot write a pack into '%s': %s", r.path,
			rc == -ENOSPC ? "no space left on device; free space and retry" :
			rc == -ELOOP || rc == -EUCLEAN ? "a directory under its packs/ is a symbolic link or not a directory; make it a plain directory" :
			strerror(-rc));
		goto out;
	}
	/* the manifest, last */
	m.schema = (char *)buf_detach(&schema, NULL);
	m.new_bytes = b.new_bytes;
	/* a backup that took nothing from a parent read every row: full, whatever was asked */
	if (!b.reused_chunks && !b.reused_segs)
		b.parent[0] = 0;
	m.kind = xstrdup(!b.parent[0] ? "full" : kind_diff ? "differential" : "incremental");
	m.parent = b.parent[0] ? xstrdup(b.parent) : NULL;
	rc = store_generation(&c, &r, o, &m, &sst, &enc, &res->healed_nodes, err);
	if (rc)
		goto out;
	if (b.new_pm.ntables) {
		/* best effort: without it the next backup reads everything */
		struct buf pm = BUF_INIT;
		pagemap_encode(&b.new_pm, &pm);
		char idhex[33];
		hex_encode(idhex, m.id, 16);
		catalog_pagemap_put(&c, m.name, idhex, dbname, !b.parent[0], pm.data, pm.len);
		buf_release(&pm);
	}
	res->seg_lists = store_segmaps(&c, &b.new_segs, &m);
	snprintf(res->kind, sizeof(res->kind), "%s", m.kind);
	snprintf(res->parent, sizeof(res->parent), "%s", b.parent);
	res->reused_chunks = b.reused_chunks;
	res->reused_rows = b.reused_rows;
	res->reused_segs = b.reused_segs;
	if (have_state)
		remember_source(&c, src_key, &ss, m.name);
	snprintf(res->name, sizeof(res->name), "%s", m.name);
	res->tables = m.ntables;
	res->rows = b.rows;
	res->bytes_in = b.bytes_in;
	res->source_bytes = m.source_bytes;
	res->new_bytes = m.new_bytes + enc.len; /* chunks, index nodes, manifest */
	res->chunks = b.chunks;
	res->new_chunks = b.new_chunks;
	res->damaged_reused = b.damaged_reused;
	res->healed = b.healed;
	if (b.healed)
		catalog_count_gens_using(&c, b.healed_ids, b.healed, &res->healed_gens);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
out:
	if (b.progress)
		fprintf(stderr, "\r\033[K");
	pool_finish(&b);
	apply_jobs(&b);
	framed_toc_free(&b.src_toc);
	for (size_t i = 0; i < b.nopens; i++)
		store_file_close(b.opens[i].f);
	free(b.opens);
	pthread_mutex_destroy(&b.store_mu);
	pthread_mutex_destroy(&b.pack_mu);
	pthread_mutex_destroy(&b.q_mu);
	free(b.healed_ids);
	pthread_cond_destroy(&b.q_work);
	pthread_cond_destroy(&b.q_space);
	pack_writer_abort(b.pw);
	for (size_t i = 0; i < b.nvts; i++) {
		view_table_release(b.vts[i]);
		free(b.vts[i]);
	}
	free(b.vts);
	pages_release(&b);
	if (db)
		sqlite3_close_v2(db);
	/* the source's other descriptors, now that SQLite holds no lock on it */
	src_prefetch_stop(&pf);
	if (b.probe_fd >= 0)
		close(b.probe_fd);
	if (b.shm_fd >= 0)
		close(b.shm_fd);
	if (b.wal_fd >= 0)
		close(b.wal_fd);
	for (size_t i = 0; i < ntables; i++)
		free(names[i]);
	free(names);
	for (size_t i = 0; i < nshadow; i++)
		free(shadow[i]);
	free(shadow);
	idset_release(&b.known);
	pagemap_release(&b.parent_pm);
	pagemap_release(&b.new_pm);
	pagemap_release(&b.new_segs);
	for (size_t i = 0; i < b.nseg_sets; i++) {
		pagemap_segs_release(b.seg_sets[i]);
		free(b.seg_sets[i]);
	}
	free(b.seg_sets);
	manifest_release(&b.parent_m);
	buf_release(&schema);
	buf_release(&enc);
	manifest_release(&m);
	catalog_close(&c);
	repo_close(&r);
	free(src_key);
	return rc;
}
