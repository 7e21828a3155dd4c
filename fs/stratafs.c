/*
 * stratafs.c - the read-only FUSE mount (libfuse low-level API).
 *
 * INODE NUMBERS.  An inode number is the address of what it names, so no
 * table maps numbers to objects and numbers never change (DESIGN.md
 * invariant 6):
 *
 *   bits 63..60  type (enum ino_type)
 *   bits 59..36  generation seq (from its manifest; stable across rebuilds)
 *   bits 35..20  table index in the generation
 *   bits 19..0   chunk position in the table (rows/ files), or group
 *                position in rows/ (key-range directories of huge tables)
 *   1 is the root, 2 is "latest".
 *
 * HOT PATH.  open() resolves a file into a struct ofile (header bytes and
 * the chunk list with pack locations) kept in fi->fh; read() only does a
 * binary search, cache lookups and, on a miss, pread + decompress + verify
 * + render.  The catalog (one SQLite connection behind cat_mu) is used by
 * lookup/getattr/readdir/open only, and is reopened when catalog.db is
 * replaced (cat_refresh()).
 *
 * TRUST.  The repository is data from outside (docs/SECURITY.md): packs
 * are opened without following links, names from the catalog are listed
 * only if they are plain path components, and a chunk list that does not
 * cover its file exactly is refused (EIO) rather than served.
 *
 * Everything but the root and "latest" is immutable: long timeouts and
 * keep_cache let the kernel cache entries, attributes and pages.
 */
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "cache.h"
#include "strata/catalog.h"
#include "strata/frames.h"
#include "strata/helpdoc.h"
#include "strata/naming.h"
#include "strata/render.h"
#include "strata/repo.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

enum ino_type {
	T_ROOT = 0, T_GEN = 1, T_GEN_JSON = 2, T_GEN_SCHEMA = 3, T_TABLE = 4,
	T_TABLE_SCHEMA = 5, T_TABLE_CSV = 6, T_ROWS = 7, T_ROWS_FILE = 8, T_LATEST = 9,
	T_ROWS_GROUP = 10, /* a key-range directory in rows/ (naming.h); chunk field = group */
};

#define INO_ROOT FUSE_ROOT_ID
#define INO_LATEST 2
#define IMMUTABLE_TIMEOUT 86400.0 * 365
#define LIVE_TIMEOUT 1.0

static fuse_ino_t mkino(enum ino_type t, uint64_t seq, uint64_t tidx, uint64_t chunk)
{
	return (fuse_ino_t)((uint64_t)t << 60 | seq << 36 | tidx << 20 | chunk);
}

static enum ino_type ino_type(fuse_ino_t ino)
{
	if (ino == INO_ROOT)
		return T_ROOT;
	if (ino == INO_LATEST)
		return T_LATEST;
	return (enum ino_type)(ino >> 60);
}
static uint64_t ino_seq(fuse_ino_t ino) { return (ino >> 36) & 0xffffff; }
static uint32_t ino_tidx(fuse_ino_t ino) { return (uint32_t)((ino >> 20) & 0xffff); }
static uint32_t ino_chunk(fuse_ino_t ino) { return (uint32_t)(ino & 0xfffff); }

struct fs {
	struct repo repo;
	/*
	 * The catalog connection and what is known about the file it reads.
	 * Every use, the reopen included, holds cat_mu and copies what it needs
	 * out of the results, so swapping the connection under cat_mu is safe
	 * without reference counts (see cat_refresh()).
	 */
	struct catalog cat;
	pthread_mutex_t cat_mu;
	dev_t cat_dev;        /* (st_dev, st_ino) of the file cat reads */
	ino_t cat_ino;
	struct timespec cat_stat; /* its st_ctim when last checked */
	int64_t cat_next_check; /* monotonic ms: next stat of catalog.db */
	int cat_note;         /* what was last logged about the file (enum cat_note) */
	ino_t cand_ino;       /* a replacement not adopted yet (still being filled) */
	int64_t cand_since;
	ino_t bad_ino;        /* a replacement that could not be opened */
	unsigned bad_count;   /* ... at this many checks in a row */
	int64_t cat_err_logged; /* monotonic ms of the last "cannot read" line */
	struct chunk_cache *cache;
	pthread_mutex_t pack_mu;
	struct pack_fd { char name[33]; int fd; } *packs;
	size_t npacks, cap_packs;
	int packs_dir;        /* REPO/packs, opened without following links */
	pthread_key_t dctx_key;
	uid_t uid;            /* owner and group of the repository directory */
	gid_t gid;
	mode_t file_mode;     /* permission bits of files and directories */
	mode_t dir_mode;
	int64_t mount_time;
};

static struct fs g_fs;

/*
 * Every open file and directory handle is on one list, so the handles the
 * kernel never released (the session ended first, or the open reply could
 * not be delivered) are freed when the mount ends.
 */
struct handle {
	struct handle *prev, *next;
	bool is_dir; /* a struct dirlist, else a struct ofile */
};
static struct handle g_handles = { &g_handles, &g_handles, false };
static pthread_mutex_t g_handles_mu = PTHREAD_MUTEX_INITIALIZER;

static void handle_link(struct handle *h)
{
	pthread_mutex_lock(&g_handles_mu);
	h->next = g_handles.next;
	h->prev = &g_handles;
	g_handles.next->prev = h;
	g_handles.next = h;
	pthread_mutex_unlock(&g_handles_mu);
}

static void handle_unlink(struct handle *h)
{
	pthread_mutex_lock(&g_handles_mu);
	h->prev->next = h->next;
	h->next->prev = h->prev;
	pthread_mutex_unlock(&g_handles_mu);
}

/* An open file: either literal bytes, or a header + chunk list. */
struct ofile {
	struct handle h; /* first: the handle list holds &of->h == of */
	char *text;      /* header (csv) or the whole content (metadata files) */
	size_t text_len;
	struct cat_chunk *chunks;
	size_t nchunks;
	uint64_t size;
	uint64_t seq;
	uint32_t tidx;
	uint64_t next_off; /* where a sequential reader reads next (racy hint) */
	uint64_t pf_upto;  /* body bytes below this were already handed to read-ahead */
	/*
	 * One reference for the open file, one per read in progress.  The kernel
	 * sends RELEASE as soon as it has the last read's reply, which can be
	 * while fuse_reply_iov() is still returning from writev() over our
	 * buffers, so release only drops its reference.
	 */
	unsigned refs;
};

static void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "stratafs: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	va_start(ap, fmt);
	vsyslog(LOG_ERR, fmt, ap);
	va_end(ap);
}

/*
 * Open packs/<xx>/<name>.pack below the packs directory without following a
 * symbolic link at any step (a link could lead out of the repository), and
 * only if it is a regular file (O_NONBLOCK: a FIFO must not hang the open).
 */
#define PACK_NOT_REGULAR (-100000)

static int open_pack(int packs_dir, const char *name)
{
	char sub[3] = { name[0], name[1], 0 }, file[40];
	struct stat st;
	int dfd, fd;

	snprintf(file, sizeof(file), "%s.pack", name);
	dfd = openat(packs_dir, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return PACK_NOT_REGULAR;
	}
	return fd;
}

static int pack_fd(struct fs *fs, const char *name)
{
	int fd = -1;
	pthread_mutex_lock(&fs->pack_mu);
	for (size_t i = 0; i < fs->npacks; i++)
		if (!strcmp(fs->packs[i].name, name)) {
			fd = fs->packs[i].fd;
			goto out;
		}
	/* the name came from the catalog, which only holds 32-hex pack names */
	if (strlen(name) != 32 || strspn(name, "0123456789abcdef") != 32) {
		fd = -EUCLEAN;
		goto out;
	}
	fd = open_pack(fs->packs_dir, name);
	if (fd < 0)
		goto out;
	if (fs->npacks == fs->cap_packs) {
		fs->cap_packs = fs->cap_packs ? fs->cap_packs * 2 : 64;
		fs->packs = xrealloc(fs->packs, fs->cap_packs * sizeof(*fs->packs));
	}
	memcpy(fs->packs[fs->npacks].name, name, 33);
	fs->packs[fs->npacks++].fd = fd;
out:
	pthread_mutex_unlock(&fs->pack_mu);
	return fd;
}

static ZSTD_DCtx *thread_dctx(struct fs *fs)
{
	ZSTD_DCtx *d = pthread_getspecific(fs->dctx_key);
	if (!d) {
		d = ZSTD_createDCtx();
		pthread_setspecific(fs->dctx_key, d);
	}
	return d;
}

static void dctx_free(void *p)
{
	ZSTD_freeDCtx(p);
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

static int open_chunk_pack(struct fs *fs, uint64_t gseq, uint32_t tidx, const struct cat_chunk *ch)
{
	int fd = pack_fd(fs, ch->pack);
	if (fd < 0) {
		log_msg("cannot open pack 'packs/%.2s/%s.pack': %s (generation %llu, table %u)",
			ch->pack, ch->pack,
			fd == PACK_NOT_REGULAR ? "not a regular file" :
			fd == -ELOOP ? "it is a symbolic link, which is not followed" :
			strerror(-fd), (unsigned long long)gseq, tidx);
		return -EIO;
	}
	/* sizes come from the catalog: hold them to the bounds a pack index obeys */
	if (ch->e.ulen > CHUNK_MAX_ULEN || ch->e.nrows > ch->e.ulen ||
	    ch->e.csv_len > (uint64_t)ch->e.ulen * 8 + ch->e.nrows * 4096) {
		log_msg("catalog entry of chunk %u of generation %llu, table %u is out of bounds; run 'strata index --rebuild %s'",
			ch->seqno, (unsigned long long)gseq, tidx, fs->repo.path);
		return -EIO;
	}
	return fd;
}

/*
 * ---- pieces of chunks ----
 * The cache holds a chunk's CSV in pieces: a framed chunk (format 2) has
 * one piece per frame, piece k being CSV bytes [k*F, (k+1)*F); a format 1
 * chunk is one piece, its whole CSV, rendered from its typed rows.  Piece
 * PIECE_TOC is the chunk's table: a struct framed_toc and its offsets in
 * one allocation; frame_size 0 marks a format 1 chunk.
 */
#define PIECE_TOC UINT32_MAX

static int get_toc(struct fs *fs, uint64_t gseq, uint32_t tidx, const struct cat_chunk *ch,
		   struct cache_entry **out)
{
	uint8_t head[4096];
	struct framed_toc t;
	size_t n;
	int fd, rc;

	*out = chunk_cache_get(fs->cache, &ch->e.id, PIECE_TOC);
	if (*out)
		return 0;
	fd = open_chunk_pack(fs, gseq, tidx, ch);
	if (fd < 0)
		return fd;
	n = ch->e.clen < sizeof(head) ? ch->e.clen : sizeof(head);
	rc = pread_all(fd, head, n, ch->e.offset);
	if (!rc && !framed_is(head, n)) {
		memset(&t, 0, sizeof(t)); /* format 1 */
	} else if (!rc) {
		rc = framed_read_toc(fd, &ch->e, &t);
	}
	if (rc) {
		log_bad_chunk(ch, gseq, tidx, rc, ", frame table");
		return -EIO;
	}
	size_t noff = t.frame_size ? (size_t)t.nframes + 1 : 0;
	size_t len = sizeof(t) + noff * sizeof(uint64_t);
	uint8_t *data = xmalloc(len);
	if (noff)
		memcpy(data + sizeof(t), t.foff, noff * sizeof(uint64_t));
	framed_toc_free(&t);
	t.foff = noff ? (uint64_t *)(void *)(data + sizeof(t)) : NULL;
	memcpy(data, &t, sizeof(t));
	*out = chunk_cache_put_new(fs->cache, &ch->e.id, PIECE_TOC, data, len);
	return 0;
}

static inline const struct framed_toc *toc_of(const struct cache_entry *e)
{
	return (const struct framed_toc *)(const void *)e->data;
}

/* Bytes of CSV per piece of a chunk: its frame size, or all of it (format 1). */
static inline uint64_t piece_span(const struct framed_toc *t, const struct cat_chunk *ch)
{
	return t->frame_size ? t->frame_size : (ch->e.csv_len ? ch->e.csv_len : 1);
}

/* Piece k of a chunk (see above), from the cache or from its pack. */
static int get_piece(struct fs *fs, uint64_t gseq, uint32_t tidx, const struct cat_chunk *ch,
		     const struct framed_toc *t, uint32_t k, struct cache_entry **out)
{
	uint8_t *raw = NULL;
	struct buf csv = BUF_INIT;
	uint64_t nrows;
	int fd, rc;

	*out = chunk_cache_get(fs->cache, &ch->e.id, k);
	if (*out)
		return 0;
	fd = open_chunk_pack(fs, gseq, tidx, ch);
	if (fd < 0)
		return fd;
	if (t->frame_size) {
		if (k >= t->nframes)
			return -EIO;
		rc = framed_read_frame(fd, &ch->e, t, k, thread_dctx(fs), &raw);
		if (rc) {
			char what[32];
			snprintf(what, sizeof(what), ", frame %u", k);
			log_bad_chunk(ch, gseq, tidx, rc, what);
			return -EIO;
		}
		*out = chunk_cache_put_new(fs->cache, &ch->e.id, k, raw,
					   framed_frame_len(t, &ch->e, k));
		return 0;
	}
	rc = chunk_read(fd, &ch->e, thread_dctx(fs), &raw);
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
	*out = chunk_cache_put_new(fs->cache, &ch->e.id, 0, data, ch->e.csv_len);
	return 0;
}

/*
 * ---- read-ahead ----
 * A file read sequentially gets the pieces of its next PREFETCH_BYTES
 * decoded by a small pool of threads, so decompression runs ahead of the
 * reader on the other cores.  Jobs copy what they need (no pointer into
 * an ofile, which may be released meanwhile); a full queue drops the job.
 */
#define PREFETCH_BYTES (4u << 20)
#define PF_QUEUE 256

struct pf_job {
	struct cat_chunk ch;
	uint32_t piece;
	uint64_t seq;
	uint32_t tidx;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pf_job q[PF_QUEUE];
	size_t head, len;
	int stop;
	pthread_t *threads;
	int nthreads;
} g_pf = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void prefetch_push(const struct cat_chunk *ch, uint32_t piece, uint64_t seq, uint32_t tidx)
{
	pthread_mutex_lock(&g_pf.mu);
	for (size_t i = 0; i < g_pf.len; i++) {
		const struct pf_job *q = &g_pf.q[(g_pf.head + i) % PF_QUEUE];
		if (q->piece == piece && !memcmp(q->ch.e.id.b, ch->e.id.b, 16))
			goto out; /* already queued */
	}
	if (g_pf.len < PF_QUEUE) {
		struct pf_job *j = &g_pf.q[(g_pf.head + g_pf.len++) % PF_QUEUE];
		j->ch = *ch;
		j->ch.fname = NULL;
		j->piece = piece;
		j->seq = seq;
		j->tidx = tidx;
		pthread_cond_signal(&g_pf.cv);
	}
out:
	pthread_mutex_unlock(&g_pf.mu);
}

static void *prefetch_main(void *arg)
{
	struct fs *fs = arg;
	for (;;) {
		struct pf_job j;
		struct cache_entry *e, *te;
		pthread_mutex_lock(&g_pf.mu);
		while (!g_pf.len && !g_pf.stop)
			pthread_cond_wait(&g_pf.cv, &g_pf.mu);
		if (g_pf.stop) {
			pthread_mutex_unlock(&g_pf.mu);
			return NULL;
		}
		j = g_pf.q[g_pf.head];
		g_pf.head = (g_pf.head + 1) % PF_QUEUE;
		g_pf.len--;
		pthread_mutex_unlock(&g_pf.mu);
		e = chunk_cache_get(fs->cache, &j.ch.e.id, j.piece);
		if (e) {
			chunk_cache_unref(fs->cache, e);
			continue;
		}
		/* errors: the reader will hit them itself and log them */
		if (get_toc(fs, j.seq, j.tidx, &j.ch, &te))
			continue;
		if (!get_piece(fs, j.seq, j.tidx, &j.ch, toc_of(te), j.piece, &e))
			chunk_cache_unref(fs->cache, e);
		chunk_cache_unref(fs->cache, te);
	}
}

static void prefetch_start(struct fs *fs, int n)
{
	g_pf.threads = xcalloc((size_t)n, sizeof(pthread_t));
	for (int i = 0; i < n; i++)
		if (pthread_create(&g_pf.threads[g_pf.nthreads], NULL, prefetch_main, fs) == 0)
			g_pf.nthreads++;
}

static void prefetch_stop(void)
{
	pthread_mutex_lock(&g_pf.mu);
	g_pf.stop = 1;
	pthread_cond_broadcast(&g_pf.cv);
	pthread_mutex_unlock(&g_pf.mu);
	for (int i = 0; i < g_pf.nthreads; i++)
		pthread_join(g_pf.threads[i], NULL);
	free(g_pf.threads);
}

/*
 * ---- the catalog connection ----
 * catalog.db is derived data that may be deleted, damaged or recreated
 * (`strata index --rebuild`) under a running mount.  Every operation that
 * uses the catalog goes through cat_lock()/cat_unlock(); at most once a
 * second cat_lock() looks at the file:
 *  - same file: nothing to do; a rebuild in place is one transaction the
 *    connection sees like any other commit.  If the file was changed without
 *    SQLite (overwritten, truncated, copied over), the connection's page
 *    cache no longer matches it and is dropped, so damage shows as an error.
 *  - no file: the connection keeps reading the deleted file, which stays
 *    intact while it is open; one log line.
 *  - another file: it is opened and swapped in once it is filled (a writer
 *    creates the schema before the transaction that fills it; an empty
 *    catalog while manifests exist is not adopted for up to CAT_FILL_WAIT).
 * Inode numbers are addresses that do not depend on the catalog file, so
 * the kernel's caches stay valid across the swap.  No reference counting
 * is needed: every use holds cat_mu and copies what it needs.
 */
#define CAT_CHECK_MS 1000
#define CAT_FILL_WAIT_MS 30000
#define CAT_ERR_LOG_MS 10000
/* an error already logged by the code that found it */
#define CAT_LOGGED (-100001)

enum cat_note { NOTE_NONE, NOTE_MISSING, NOTE_NOT_REGULAR };

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Open the file now at the catalog path; st receives its identity.  Only a
 * regular file is opened (SQLite refuses a symbolic link itself), and not
 * one swapped while it was being opened.
 */
static int cat_open(struct fs *fs, struct catalog *c, struct stat *st)
{
	struct stat a;
	int rc;

	if (lstat(fs->repo.catalog, &a) < 0)
		return -errno;
	if (S_ISLNK(a.st_mode))
		return -ELOOP;
	if (!S_ISREG(a.st_mode) || a.st_size == 0)
		return -EUCLEAN;
	rc = catalog_open(c, fs->repo.catalog, true);
	if (rc)
		return rc;
	if (lstat(fs->repo.catalog, st) < 0 || st->st_dev != a.st_dev || st->st_ino != a.st_ino) {
		catalog_close(c);
		return -EAGAIN;
	}
	return 0;
}

/*
 * Close a connection.  When its file is no longer the one at the catalog
 * path, SQLite must not checkpoint and delete "catalog.db-wal"/"-shm" on
 * close: those names now belong to the new catalog.
 */
static void cat_close(struct fs *fs, struct catalog *c, dev_t dev, ino_t ino)
{
	struct stat st;
	if (!c->db)
		return;
	if (lstat(fs->repo.catalog, &st) < 0 || st.st_dev != dev || st.st_ino != ino)
		sqlite3_db_config(c->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	catalog_close(c);
}

static bool repo_has_manifests(struct fs *fs)
{
	DIR *d = opendir(fs->repo.gens);
	struct dirent *e;
	bool any = false;
	if (!d)
		return false;
	while (!any && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		any = l > 4 && e->d_name[0] != '.' && !strcmp(e->d_name + l - 4, ".gen");
	}
	closedir(d);
	return any;
}

/* Whether a replacement catalog may be adopted now (see above). */
static int cat_filled(struct fs *fs, struct catalog *c, const struct stat *st, int64_t now)
{
	uint64_t stamp = 0;
	int rc = catalog_gen_stamp(c, &stamp);
	if (rc)
		return rc;
	if (stamp || !repo_has_manifests(fs))
		return 1;
	if (fs->cand_ino != st->st_ino) {
		fs->cand_ino = st->st_ino;
		fs->cand_since = now;
	}
	return now - fs->cand_since >= CAT_FILL_WAIT_MS;
}

static void cat_refresh(struct fs *fs)
{
	int64_t now = now_ms();
	struct catalog nc = { 0 };
	struct stat st;
	int rc;

	if (now < fs->cat_next_check)
		return;
	fs->cat_next_check = now + CAT_CHECK_MS;
	if (lstat(fs->repo.catalog, &st) < 0) {
		if (errno == ENOENT && fs->cat_note != NOTE_MISSING) {
			log_msg("catalog '%s' was removed; serving from the catalog opened before until 'strata index %s' recreates it",
				fs->repo.catalog, fs->repo.path);
			fs->cat_note = NOTE_MISSING;
		}
		return;
	}
	if (st.st_dev == fs->cat_dev && st.st_ino == fs->cat_ino) {
		if (st.st_ctim.tv_sec != fs->cat_stat.tv_sec ||
		    st.st_ctim.tv_nsec != fs->cat_stat.tv_nsec) {
			fs->cat_stat = st.st_ctim;
			sqlite3_db_release_memory(fs->cat.db);
		}
		fs->cat_note = NOTE_NONE;
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		if (fs->cat_note != NOTE_NOT_REGULAR)
			log_msg("catalog '%s' was replaced by something that is not a regular file (a symbolic link is never followed); serving from the catalog opened before",
				fs->repo.catalog);
		fs->cat_note = NOTE_NOT_REGULAR;
		return;
	}
	rc = cat_open(fs, &nc, &st);
	if (!rc) {
		rc = cat_filled(fs, &nc, &st, now);
		if (rc <= 0)
			cat_close(fs, &nc, st.st_dev, st.st_ino);
		if (rc == 0)
			return; /* still being filled: look again in a second */
		rc = rc < 0 ? rc : 0;
	}
	if (rc) {
		if (rc == -EAGAIN)
			return;
		/* a writer creating it makes it briefly unreadable: log the second time */
		fs->bad_count = fs->bad_ino == st.st_ino ? fs->bad_count + 1 : 1;
		fs->bad_ino = st.st_ino;
		if (fs->bad_count == 2)
			log_msg("catalog '%s' was replaced but the new one cannot be read (%s); serving from the catalog opened before; run 'strata index --rebuild %s'",
				fs->repo.catalog, strerror(-rc), fs->repo.path);
		return;
	}
	cat_close(fs, &fs->cat, fs->cat_dev, fs->cat_ino);
	fs->cat = nc;
	fs->cat_dev = st.st_dev;
	fs->cat_ino = st.st_ino;
	fs->cat_stat = st.st_ctim;
	fs->cat_note = NOTE_NONE;
	fs->cand_ino = fs->bad_ino = 0;
	log_msg("catalog '%s' was replaced; serving from the new one", fs->repo.catalog);
}

static void cat_lock(struct fs *fs)
{
	pthread_mutex_lock(&fs->cat_mu);
	cat_refresh(fs);
}

/* rc: the result of the catalog calls made since cat_lock(); failures are logged. */
static void cat_unlock(struct fs *fs, int rc)
{
	if (rc && rc != -ENOENT && rc != -ENOTDIR && rc != -EISDIR && rc != -EINVAL &&
	    rc != CAT_LOGGED) {
		int64_t now = now_ms();
		if (!fs->cat_err_logged || now - fs->cat_err_logged >= CAT_ERR_LOG_MS) {
			log_msg("cannot read the catalog '%s': %s (%s); answering EIO; run 'strata index --rebuild %s'",
				fs->repo.catalog, strerror(-rc), sqlite3_errmsg(fs->cat.db),
				fs->repo.path);
			fs->cat_err_logged = now;
		}
	}
	pthread_mutex_unlock(&fs->cat_mu);
}

/* A name from the catalog used as a path component (docs/FORMAT.md "Names"). */
static bool safe_name(const char *s)
{
	return name_is_safe(s, strlen(s), 255);
}

static bool seq_ok(uint64_t seq)
{
	return seq >= 1 && seq <= 0xffffff;
}

/* ---- attributes ---- */

static void fill_attr(struct fs *fs, struct stat *st, fuse_ino_t ino, bool dir, uint64_t size,
		      int64_t mtime)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = dir ? S_IFDIR | fs->dir_mode : S_IFREG | fs->file_mode;
	st->st_nlink = dir ? 2 : 1;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_size = (off_t)size;
	st->st_blksize = 65536;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_mtime = st->st_ctime = st->st_atime = (time_t)mtime;
}

/* Attributes of ino; caller holds cat_mu. */
static int stat_ino(struct fs *fs, fuse_ino_t ino, struct stat *st, double *timeout)
{
	struct cat_gen g;
	struct cat_table t;
	struct cat_chunk ch;
	enum ino_type ty = ino_type(ino);
	int rc;

	*timeout = IMMUTABLE_TIMEOUT;
	if (ty == T_ROOT) {
		fill_attr(fs, st, ino, true, 0, fs->mount_time);
		if (catalog_latest(&fs->cat, &g) == 0)
			st->st_mtime = st->st_ctime = (time_t)g.time;
		*timeout = LIVE_TIMEOUT;
		return 0;
	}
	if (ty == T_LATEST) {
		rc = catalog_latest(&fs->cat, &g);
		if (rc)
			return rc;
		fill_attr(fs, st, ino, false, strlen(g.name), g.time);
		st->st_mode = S_IFLNK | 0777;
		*timeout = LIVE_TIMEOUT;
		return 0;
	}
	rc = catalog_gen_by_seq(&fs->cat, ino_seq(ino), &g);
	if (rc)
		return rc;
	switch (ty) {
	case T_GEN:
		fill_attr(fs, st, ino, true, 0, g.time);
		return 0;
	case T_GEN_JSON:
		fill_attr(fs, st, ino, false, g.json_len, g.time);
		return 0;
	case T_GEN_SCHEMA:
		fill_attr(fs, st, ino, false, g.schema_len, g.time);
		return 0;
	default:
		break;
	}
	rc = catalog_table_by_idx(&fs->cat, g.seq, ino_tidx(ino), &t);
	if (rc)
		return rc;
	switch (ty) {
	case T_TABLE:
	case T_ROWS:
		fill_attr(fs, st, ino, true, 0, g.time);
		break;
	case T_TABLE_SCHEMA:
		fill_attr(fs, st, ino, false, t.schema_len, g.time);
		break;
	case T_TABLE_CSV:
		fill_attr(fs, st, ino, false, t.header_len + t.csv_size, g.time);
		break;
	case T_ROWS_FILE:
		rc = catalog_chunk_by_seqno(&fs->cat, g.seq, t.tidx, ino_chunk(ino), &ch);
		if (!rc)
			fill_attr(fs, st, ino, false, t.header_len + ch.e.csv_len, g.time);
		break;
	case T_ROWS_GROUP: {
		struct cat_group gr;
		rc = catalog_group_by_idx(&fs->cat, g.seq, t.tidx, ino_chunk(ino), &gr);
		if (!rc)
			fill_attr(fs, st, ino, true, 0, g.time);
		free(gr.name);
		break;
	}
	default:
		rc = -ENOENT;
	}
	free(t.dirname);
	return rc;
}

static void fs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct stat st;
	double to;
	cat_lock(fs);
	int rc = stat_ino(fs, ino, &st, &to);
	cat_unlock(fs, rc);
	if (rc)
		fuse_reply_err(req, rc == -ENOENT ? ENOENT : EIO);
	else
		fuse_reply_attr(req, &st, to);
}

/* Resolve name in parent to an inode number; caller holds cat_mu. */
static int resolve(struct fs *fs, fuse_ino_t parent, const char *name, fuse_ino_t *ino)
{
	enum ino_type ty = ino_type(parent);
	uint64_t seq = ino_seq(parent);
	uint32_t tidx = ino_tidx(parent);
	struct cat_gen g;
	struct cat_table t;
	struct cat_chunk ch;
	int rc;

	/* no name outside the rule is ever listed, so none is found either */
	if (!safe_name(name))
		return -ENOENT;
	switch (ty) {
	case T_ROOT:
		if (!strcmp(name, "latest")) {
			*ino = INO_LATEST;
			return 0;
		}
		rc = catalog_gen_by_name(&fs->cat, name, &g);
		if (rc)
			return rc;
		if (!seq_ok(g.seq))
			return -ENOENT; /* not from a valid manifest: not shown */
		*ino = mkino(T_GEN, g.seq, 0, 0);
		return 0;
	case T_GEN:
		if (!strcmp(name, "generation.json")) {
			*ino = mkino(T_GEN_JSON, seq, 0, 0);
			return 0;
		}
		if (!strcmp(name, "schema.sql")) {
			*ino = mkino(T_GEN_SCHEMA, seq, 0, 0);
			return 0;
		}
		rc = catalog_table_by_dir(&fs->cat, seq, name, &t);
		if (rc)
			return rc;
		free(t.dirname);
		if (t.tidx > 0xffff)
			return -ENOENT;
		*ino = mkino(T_TABLE, seq, t.tidx, 0);
		return 0;
	case T_TABLE:
		if (!strcmp(name, "schema.sql")) {
			*ino = mkino(T_TABLE_SCHEMA, seq, tidx, 0);
			return 0;
		}
		if (!strcmp(name, "rows")) {
			*ino = mkino(T_ROWS, seq, tidx, 0);
			return 0;
		}
		rc = catalog_table_by_idx(&fs->cat, seq, tidx, &t);
		if (rc)
			return rc;
		size_t dl = strlen(t.dirname);
		bool match = strlen(name) == dl + 4 && !strncmp(name, t.dirname, dl) &&
			     !strcmp(name + dl, ".csv");
		free(t.dirname);
		if (!match)
			return -ENOENT;
		*ino = mkino(T_TABLE_CSV, seq, tidx, 0);
		return 0;
	case T_ROWS: {
		struct cat_group gr;
		rc = catalog_table_by_idx(&fs->cat, seq, tidx, &t);
		if (rc)
			return rc;
		free(t.dirname);
		if (t.nchunks > ROWS_FLAT_MAX) {
			/* a huge table: rows/ holds its key-range directories */
			rc = catalog_group_by_name(&fs->cat, seq, tidx, name, &gr);
			if (rc)
				return rc;
			free(gr.name);
			if (gr.grp > 0xfffff)
				return -ENOENT;
			*ino = mkino(T_ROWS_GROUP, seq, tidx, gr.grp);
			return 0;
		}
		rc = catalog_chunk_by_name(&fs->cat, seq, tidx, name, &ch);
		if (rc)
			return rc;
		if (ch.seqno > 0xfffff)
			return -ENOENT;
		*ino = mkino(T_ROWS_FILE, seq, tidx, ch.seqno);
		return 0;
	}
	case T_ROWS_GROUP: {
		struct cat_group gr;
		rc = catalog_group_by_idx(&fs->cat, seq, tidx, ino_chunk(parent), &gr);
		if (rc)
			return rc;
		free(gr.name);
		rc = catalog_chunk_by_name(&fs->cat, seq, tidx, name, &ch);
		if (rc)
			return rc;
		if (ch.seqno > 0xfffff || ch.seqno < gr.first || ch.seqno - gr.first >= gr.n)
			return -ENOENT;
		*ino = mkino(T_ROWS_FILE, seq, tidx, ch.seqno);
		return 0;
	}
	default:
		return -ENOTDIR;
	}
}

static void fs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fuse_req_userdata(req);
	struct fuse_entry_param e;
	fuse_ino_t ino = 0;
	double to = 0;
	bool final_miss = false;
	int rc;

	memset(&e, 0, sizeof(e));
	cat_lock(fs);
	rc = resolve(fs, parent, name, &ino);
	if (!rc)
		rc = stat_ino(fs, ino, &e.attr, &to);
	if (rc == -ENOENT && ino_type(parent) != T_ROOT) {
		/*
		 * A miss is final only if the catalog knows the parent (whose
		 * content is then immutable); not while a catalog is being
		 * rebuilt or after the parent's generation was removed.
		 */
		struct stat pst;
		int prc = stat_ino(fs, parent, &pst, &to);
		final_miss = prc == 0;
		if (prc && prc != -ENOENT)
			rc = prc;
	}
	cat_unlock(fs, rc);
	if (rc == -ENOENT) {
		/* cache final misses: the root can gain entries, nothing else can */
		e.ino = 0;
		e.entry_timeout = final_miss ? IMMUTABLE_TIMEOUT : 0;
		fuse_reply_entry(req, &e);
		return;
	}
	if (rc) {
		fuse_reply_err(req, rc == -ENOTDIR ? ENOTDIR : EIO);
		return;
	}
	e.ino = ino;
	e.attr_timeout = to;
	e.entry_timeout = ino == INO_LATEST ? LIVE_TIMEOUT : IMMUTABLE_TIMEOUT;
	fuse_reply_entry(req, &e);
}

static void watch_served(const char *target);

static void fs_op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = fuse_req_userdata(req);
	struct cat_gen g;
	int rc;
	if (ino != INO_LATEST) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	cat_lock(fs);
	rc = catalog_latest(&fs->cat, &g);
	if (!rc && !safe_name(g.name)) {
		log_msg("catalog '%s' gives the latest generation a name that is not a plain file name; run 'strata index --rebuild %s'",
			fs->repo.catalog, fs->repo.path);
		rc = CAT_LOGGED;
	}
	cat_unlock(fs, rc);
	if (rc) {
		fuse_reply_err(req, rc == -ENOENT ? ENOENT : EIO);
	} else {
		watch_served(g.name); /* the kernel keeps it: the watcher compares */
		fuse_reply_readlink(req, g.name); /* one plain name: never leaves the mount */
	}
}

/* ---- directories: the listing is built at opendir and kept in fh ---- */

struct dirlist {
	struct handle h; /* first, as in struct ofile */
	struct buf names; /* NUL-separated */
	fuse_ino_t *inos;
	mode_t *modes;
	size_t n, cap;
};

static void dl_add(struct dirlist *d, const char *name, fuse_ino_t ino, bool dir)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 32;
		d->inos = xrealloc(d->inos, d->cap * sizeof(*d->inos));
		d->modes = xrealloc(d->modes, d->cap * sizeof(*d->modes));
	}
	d->inos[d->n] = ino;
	d->modes[d->n] = dir ? S_IFDIR : S_IFREG;
	d->n++;
	buf_add(&d->names, name, strlen(name) + 1);
}

static void dl_free(struct dirlist *d)
{
	if (!d)
		return;
	handle_unlink(&d->h);
	buf_release(&d->names);
	free(d->inos);
	free(d->modes);
	free(d);
}

/* Names from the catalog are listed only if they are plain path components. */
static bool dl_name_ok(struct fs *fs, const char *name)
{
	if (safe_name(name))
		return true;
	log_msg("catalog '%s' holds a name that is not a plain file name; it is not listed; run 'strata index --rebuild %s'",
		fs->repo.catalog, fs->repo.path);
	return false;
}

static int build_dir(struct fs *fs, fuse_ino_t ino, struct dirlist *d)
{
	uint64_t seq = ino_seq(ino);
	uint32_t tidx = ino_tidx(ino);
	int rc = 0;

	dl_add(d, ".", ino, true);
	dl_add(d, "..", ino_type(ino) == T_ROOT ? ino : INO_ROOT, true);
	switch (ino_type(ino)) {
	case T_ROOT: {
		struct cat_gen *g;
		size_t n;
		rc = catalog_list_gens(&fs->cat, &g, &n);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++)
			if (seq_ok(g[i].seq) && dl_name_ok(fs, g[i].name))
				dl_add(d, g[i].name, mkino(T_GEN, g[i].seq, 0, 0), true);
		if (n) {
			dl_add(d, "latest", INO_LATEST, false);
			d->modes[d->n - 1] = S_IFLNK;
		}
		catalog_free_gens(g, n);
		return 0;
	}
	case T_GEN: {
		/*
		 * Listings of directories other than the root are cached by the
		 * kernel: list only a generation the catalog holds, whole.
		 */
		struct cat_table *t;
		struct cat_gen g;
		size_t n;
		rc = catalog_gen_by_seq(&fs->cat, seq, &g);
		if (!rc)
			rc = catalog_list_tables(&fs->cat, seq, &t, &n);
		if (rc)
			return rc;
		if (n != g.ntables) {
			catalog_free_tables(t, n);
			log_msg("catalog '%s' lists %zu tables for generation %llu, which has %llu; run 'strata index --rebuild %s'",
				fs->repo.catalog, n, (unsigned long long)seq,
				(unsigned long long)g.ntables, fs->repo.path);
			return CAT_LOGGED;
		}
		dl_add(d, "generation.json", mkino(T_GEN_JSON, seq, 0, 0), false);
		dl_add(d, "schema.sql", mkino(T_GEN_SCHEMA, seq, 0, 0), false);
		for (size_t i = 0; i < n; i++)
			if (t[i].tidx <= 0xffff && dl_name_ok(fs, t[i].dirname))
				dl_add(d, t[i].dirname, mkino(T_TABLE, seq, t[i].tidx, 0), true);
		catalog_free_tables(t, n);
		return 0;
	}
	case T_TABLE: {
		struct cat_table t;
		rc = catalog_table_by_idx(&fs->cat, seq, tidx, &t);
		if (rc)
			return rc;
		char *csv = xasprintf("%s.csv", t.dirname);
		dl_add(d, "schema.sql", mkino(T_TABLE_SCHEMA, seq, tidx, 0), false);
		if (dl_name_ok(fs, csv))
			dl_add(d, csv, mkino(T_TABLE_CSV, seq, tidx, 0), false);
		dl_add(d, "rows", mkino(T_ROWS, seq, tidx, 0), true);
		free(csv);
		free(t.dirname);
		return 0;
	}
	case T_ROWS: {
		struct cat_chunk *ch;
		struct cat_table t;
		size_t n;
		rc = catalog_table_by_idx(&fs->cat, seq, tidx, &t); /* the table exists */
		if (rc)
			return rc;
		free(t.dirname);
		if (t.nchunks > ROWS_FLAT_MAX) {
			struct cat_group *g;
			rc = catalog_table_groups(&fs->cat, seq, tidx, &g, &n);
			if (rc)
				return rc;
			for (size_t i = 0; i < n; i++)
				if (g[i].grp <= 0xfffff && dl_name_ok(fs, g[i].name))
					dl_add(d, g[i].name, mkino(T_ROWS_GROUP, seq, tidx, g[i].grp),
					       true);
			catalog_free_groups(g, n);
			return 0;
		}
		rc = catalog_table_chunks(&fs->cat, seq, tidx, true, &ch, &n);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++)
			if (ch[i].seqno <= 0xfffff && dl_name_ok(fs, ch[i].fname))
				dl_add(d, ch[i].fname, mkino(T_ROWS_FILE, seq, tidx, ch[i].seqno), false);
		catalog_free_chunks(ch, n);
		return 0;
	}
	case T_ROWS_GROUP: {
		struct cat_chunk *ch;
		struct cat_group g;
		size_t n;
		rc = catalog_group_by_idx(&fs->cat, seq, tidx, ino_chunk(ino), &g);
		if (rc)
			return rc;
		free(g.name);
		rc = catalog_table_chunk_range(&fs->cat, seq, tidx, g.first, g.n, true, &ch, &n);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++)
			if (ch[i].seqno <= 0xfffff && dl_name_ok(fs, ch[i].fname))
				dl_add(d, ch[i].fname, mkino(T_ROWS_FILE, seq, tidx, ch[i].seqno), false);
		catalog_free_chunks(ch, n);
		return 0;
	}
	default:
		return -ENOTDIR;
	}
}

static void fs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct dirlist *d = xcalloc(1, sizeof(*d));
	d->h.is_dir = true;
	handle_link(&d->h);
	cat_lock(fs);
	int rc = build_dir(fs, ino, d);
	cat_unlock(fs, rc);
	if (rc) {
		dl_free(d);
		fuse_reply_err(req, rc == -ENOTDIR ? ENOTDIR : rc == -ENOENT ? ENOENT : EIO);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	fi->cache_readdir = ino_type(ino) != T_ROOT;
	fi->keep_cache = ino_type(ino) != T_ROOT;
	if (fuse_reply_open(req, fi))
		dl_free(d); /* the kernel never got the handle */
}

static void fs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	struct dirlist *d = (struct dirlist *)(uintptr_t)fi->fh;
	char *buf = xmalloc(size);
	size_t used = 0;
	const char *name = (const char *)d->names.data;
	(void)ino;

	for (size_t i = 0; i < d->n; i++, name += strlen(name) + 1) {
		if ((off_t)i < off)
			continue;
		struct stat st = { .st_ino = d->inos[i], .st_mode = d->modes[i] };
		size_t need = fuse_add_direntry(req, buf + used, size - used, name, &st, (off_t)i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

/*
 * readdirplus: the listing with every entry's attributes, so `ls -l` or
 * `find` needs no LOOKUP round trip per entry.  Attributes come from the
 * same stat_ino() as getattr and lookup, all under one catalog lock.  An
 * entry whose attributes cannot be read (catalog changing) is listed with
 * node id 0, which the kernel takes as "no attributes", not as a miss.
 */
static void fs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			      struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct dirlist *d = (struct dirlist *)(uintptr_t)fi->fh;
	char *buf = xmalloc(size);
	size_t used = 0;
	const char *name = (const char *)d->names.data;
	(void)ino;

	cat_lock(fs);
	for (size_t i = 0; i < d->n; i++, name += strlen(name) + 1) {
		if ((off_t)i < off)
			continue;
		struct fuse_entry_param e;
		double to = 0;
		memset(&e, 0, sizeof(e));
		/* "." and ".." (the first two) are never linked by the kernel */
		if (i >= 2 && stat_ino(fs, d->inos[i], &e.attr, &to) == 0) {
			e.ino = d->inos[i];
			e.attr_timeout = to;
			e.entry_timeout = d->inos[i] == INO_LATEST ? LIVE_TIMEOUT : IMMUTABLE_TIMEOUT;
		} else {
			e.attr.st_ino = d->inos[i];
			e.attr.st_mode = d->modes[i];
		}
		size_t need = fuse_add_direntry_plus(req, buf + used, size - used, name, &e, (off_t)i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	cat_unlock(fs, 0);
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void fs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	dl_free((struct dirlist *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* ---- files ---- */

static void ofile_free(struct ofile *of)
{
	if (!of || __atomic_sub_fetch(&of->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	handle_unlink(&of->h);
	free(of->text);
	catalog_free_chunks(of->chunks, of->nchunks);
	free(of);
}

/*
 * The chunk list of a table must cover its body exactly, in order: reads
 * index it by offset, and getattr reported header + csv_size.  A chunk
 * whose pack was removed is missing from the list (the catalog drops it).
 */
static int check_chunk_list(struct fs *fs, const struct ofile *of)
{
	struct cat_table t;
	uint64_t off = 0;
	bool ok;
	int rc = catalog_table_by_idx(&fs->cat, of->seq, of->tidx, &t);
	if (rc)
		return rc;
	free(t.dirname);
	ok = of->text_len == t.header_len && of->nchunks == t.nchunks;
	for (size_t i = 0; ok && i < of->nchunks; i++) {
		const struct cat_chunk *c = &of->chunks[i];
		ok = c->seqno == i && c->csv_off == off && c->e.csv_len <= UINT64_MAX - off;
		off += c->e.csv_len;
	}
	if (ok && off == t.csv_size)
		return 0;
	log_msg("catalog '%s' does not hold every chunk of generation %llu, table %u: a pack file is missing or the catalog is damaged; restore missing packs from a copy of the repository, then run 'strata index --rebuild %s'",
		fs->repo.catalog, (unsigned long long)of->seq, of->tidx, fs->repo.path);
	return CAT_LOGGED;
}

static int build_ofile(struct fs *fs, fuse_ino_t ino, struct ofile *of)
{
	enum ino_type ty = ino_type(ino);
	uint64_t seq = ino_seq(ino);
	uint32_t tidx = ino_tidx(ino);
	int rc;

	of->seq = seq;
	of->tidx = tidx;
	switch (ty) {
	case T_GEN_JSON:
	case T_GEN_SCHEMA:
		rc = catalog_gen_text(&fs->cat, seq, ty == T_GEN_JSON, &of->text, &of->text_len);
		of->size = of->text_len;
		return rc;
	case T_TABLE_SCHEMA:
		rc = catalog_table_text(&fs->cat, seq, tidx, false, &of->text, &of->text_len);
		of->size = of->text_len;
		return rc;
	case T_TABLE_CSV:
		rc = catalog_table_text(&fs->cat, seq, tidx, true, &of->text, &of->text_len);
		if (!rc)
			rc = catalog_table_chunks(&fs->cat, seq, tidx, false, &of->chunks, &of->nchunks);
		if (!rc)
			rc = check_chunk_list(fs, of);
		break;
	case T_ROWS_FILE:
		rc = catalog_table_text(&fs->cat, seq, tidx, true, &of->text, &of->text_len);
		if (!rc) {
			of->chunks = xcalloc(1, sizeof(*of->chunks));
			rc = catalog_chunk_by_seqno(&fs->cat, seq, tidx, ino_chunk(ino), of->chunks);
			of->nchunks = rc ? 0 : 1;
			of->chunks[0].csv_off = 0;
		}
		break;
	case T_ROOT: case T_GEN: case T_TABLE: case T_ROWS: case T_ROWS_GROUP:
		return -EISDIR;
	default:
		return -EINVAL;
	}
	if (rc)
		return rc;
	of->size = of->text_len;
	for (size_t i = 0; i < of->nchunks; i++)
		of->size += of->chunks[i].e.csv_len;
	return 0;
}

static void fs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct ofile *of;
	int rc;

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & (O_TRUNC | O_CREAT))) {
		fuse_reply_err(req, EROFS);
		return;
	}
	of = xcalloc(1, sizeof(*of));
	of->refs = 1;
	handle_link(&of->h);
	cat_lock(fs);
	rc = build_ofile(fs, ino, of);
	cat_unlock(fs, rc);
	if (rc) {
		ofile_free(of);
		fuse_reply_err(req, rc == -ENOENT ? ENOENT : rc == -EISDIR ? EISDIR : EIO);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)of;
	fi->keep_cache = 1;
	fi->noflush = 1;
	if (fuse_reply_open(req, fi))
		ofile_free(of); /* the kernel never got the handle */
}

/* First chunk whose rendered range ends after body offset off. */
static size_t find_chunk(const struct ofile *of, uint64_t off)
{
	size_t lo = 0, hi = of->nchunks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cat_chunk *c = &of->chunks[mid];
		if (c->csv_off + c->e.csv_len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define MAX_IOV 64

/* The pieces a read replies with, and the cache references that keep them alive. */
struct reply {
	struct iovec iov_small[MAX_IOV], *iov;
	struct cache_entry *held_small[MAX_IOV * 2], **held;
	size_t niov, nheld, cap;
};

static void reply_hold(struct reply *r, struct cache_entry *e)
{
	/* at most one iovec follows each hold */
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
	r->held[r->nheld++] = e;
}

static void reply_add(struct reply *r, const void *p, size_t n)
{
	/* every iovec but the header's comes with a held entry: room was made there */
	r->iov[r->niov].iov_base = (void *)(uintptr_t)p;
	r->iov[r->niov++].iov_len = n;
}

/*
 * Hand the pieces after a sequential read's end (up to PREFETCH_BYTES
 * ahead) to the read-ahead threads, each once.
 */
static void read_ahead(struct fs *fs, struct ofile *of, uint64_t bend)
{
	uint64_t body = of->size - of->text_len;
	uint64_t from = __atomic_load_n(&of->pf_upto, __ATOMIC_RELAXED);
	uint64_t to = bend + PREFETCH_BYTES < body ? bend + PREFETCH_BYTES : body;
	uint64_t pos = from > bend ? from : bend;

	if (pos >= to)
		return;
	for (size_t i = find_chunk(of, pos); i < of->nchunks && pos < to; i++) {
		const struct cat_chunk *c = &of->chunks[i];
		struct cache_entry *te;
		if (get_toc(fs, of->seq, of->tidx, c, &te))
			return; /* the reader will meet the error itself */
		uint64_t span = piece_span(toc_of(te), c);
		uint64_t cend = c->csv_off + c->e.csv_len;
		/* pieces starting at or after pos; the one holding pos is being read */
		uint64_t k = (pos - c->csv_off + span - 1) / span;
		for (; c->csv_off + k * span < cend && c->csv_off + k * span < to; k++)
			prefetch_push(c, (uint32_t)k, of->seq, of->tidx);
		pos = c->csv_off + k * span < cend ? c->csv_off + k * span : cend;
		chunk_cache_unref(fs->cache, te);
	}
	__atomic_store_n(&of->pf_upto, pos, __ATOMIC_RELAXED);
}

/*
 * A read is answered whole or not at all: a short reply would be taken as
 * end of file (and zero-filled in the page cache), so an error in any piece
 * fails the whole request with EIO.  Up to MAX_IOV pieces go out straight
 * from the cached buffers; a read touching more is copied once.
 */
static void fs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off_,
		       struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct ofile *of = (struct ofile *)(uintptr_t)fi->fh;
	struct reply r;
	uint64_t off = (uint64_t)off_, end;
	int rc = 0;
	(void)ino;

	if (off >= of->size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	r.iov = r.iov_small;
	r.held = r.held_small;
	r.niov = r.nheld = 0;
	r.cap = MAX_IOV;
	__atomic_add_fetch(&of->refs, 1, __ATOMIC_ACQ_REL);
	end = off + size < of->size ? off + size : of->size;
	if (off < of->text_len) {
		size_t n = (size_t)((end < of->text_len ? end : of->text_len) - off);
		reply_add(&r, of->text + off, n);
		off += n;
	}
	if (off < end) {
		uint64_t body = off - of->text_len, bend = end - of->text_len;
		for (size_t i = find_chunk(of, body); !rc && i < of->nchunks && body < bend; i++) {
			const struct cat_chunk *c = &of->chunks[i];
			struct cache_entry *te, *e;
			rc = get_toc(fs, of->seq, of->tidx, c, &te);
			if (rc)
				break;
			reply_hold(&r, te);
			const struct framed_toc *t = toc_of(te);
			uint64_t span = piece_span(t, c);
			uint64_t cend = c->csv_off + c->e.csv_len;
			while (body < bend && body < cend) {
				uint64_t in = body - c->csv_off;
				uint32_t k = (uint32_t)(in / span);
				rc = get_piece(fs, of->seq, of->tidx, c, t, k, &e);
				if (rc)
					break;
				reply_hold(&r, e);
				uint64_t from = in - (uint64_t)k * span;
				uint64_t want = (bend < cend ? bend : cend) - body;
				if (from >= e->len) {
					rc = -EIO; /* a piece shorter than its table says */
					break;
				}
				uint64_t n = e->len - from < want ? e->len - from : want;
				reply_add(&r, e->data + from, (size_t)n);
				body += n;
			}
		}
	}
	/* near-sequential: the kernel's parallel readahead reorders requests */
	uint64_t prev = __atomic_load_n(&of->next_off, __ATOMIC_RELAXED);
	bool seq = (uint64_t)off_ + (4u << 20) >= prev && (uint64_t)off_ <= prev + (4u << 20);
	__atomic_store_n(&of->next_off, end, __ATOMIC_RELAXED);
	if (rc) {
		fuse_reply_err(req, EIO);
	} else if (r.niov <= MAX_IOV) {
		fuse_reply_iov(req, r.iov, (int)r.niov);
	} else {
		struct buf out = BUF_INIT;
		buf_grow(&out, (size_t)(end - (uint64_t)off_));
		for (size_t i = 0; i < r.niov; i++)
			buf_add(&out, r.iov[i].iov_base, r.iov[i].iov_len);
		fuse_reply_buf(req, (const char *)out.data, out.len);
		buf_release(&out);
	}
	for (size_t i = 0; i < r.nheld; i++)
		chunk_cache_unref(fs->cache, r.held[i]);
	/* after the reply: read_ahead() may pread frame tables of the next chunks */
	if (!rc && seq && end > of->text_len)
		read_ahead(fs, of, end - of->text_len);
	if (r.iov != r.iov_small) {
		free(r.iov);
		free(r.held);
	}
	ofile_free(of);
}

static void fs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	ofile_free((struct ofile *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void fs_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;
	(void)ino;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = 65536;
	sv.f_frsize = 65536;
	sv.f_namemax = 255;
	sv.f_flag = ST_RDONLY;
	fuse_reply_statfs(req, &sv);
}

/* Everything that would change the tree: the mount is read-only. */
static void fs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *a, int to_set,
			  struct fuse_file_info *fi)
{
	(void)ino; (void)a; (void)to_set; (void)fi;
	fuse_reply_err(req, EROFS);
}
static void fs_op_mknod(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t r)
{
	(void)p; (void)n; (void)m; (void)r;
	fuse_reply_err(req, EROFS);
}
static void fs_op_mkdir(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m)
{
	(void)p; (void)n; (void)m;
	fuse_reply_err(req, EROFS);
}
static void fs_op_unlink(fuse_req_t req, fuse_ino_t p, const char *n)
{
	(void)p; (void)n;
	fuse_reply_err(req, EROFS);
}
static void fs_op_symlink(fuse_req_t req, const char *l, fuse_ino_t p, const char *n)
{
	(void)l; (void)p; (void)n;
	fuse_reply_err(req, EROFS);
}
static void fs_op_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np,
			 const char *nn, unsigned f)
{
	(void)p; (void)n; (void)np; (void)nn; (void)f;
	fuse_reply_err(req, EROFS);
}
static void fs_op_link(fuse_req_t req, fuse_ino_t i, fuse_ino_t p, const char *n)
{
	(void)i; (void)p; (void)n;
	fuse_reply_err(req, EROFS);
}
static void fs_op_write(fuse_req_t req, fuse_ino_t i, const char *b, size_t s, off_t o,
			struct fuse_file_info *fi)
{
	(void)i; (void)b; (void)s; (void)o; (void)fi;
	fuse_reply_err(req, EROFS);
}
static void fs_op_create(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m,
			 struct fuse_file_info *fi)
{
	(void)p; (void)n; (void)m; (void)fi;
	fuse_reply_err(req, EROFS);
}
static void fs_op_setxattr(fuse_req_t req, fuse_ino_t i, const char *n, const char *v,
			   size_t s, int f)
{
	(void)i; (void)n; (void)v; (void)s; (void)f;
	fuse_reply_err(req, EROFS);
}
static void fs_op_removexattr(fuse_req_t req, fuse_ino_t i, const char *n)
{
	(void)i; (void)n;
	fuse_reply_err(req, EROFS);
}
static void fs_op_fallocate(fuse_req_t req, fuse_ino_t i, int m, off_t o, off_t l,
			    struct fuse_file_info *fi)
{
	(void)i; (void)m; (void)o; (void)l; (void)fi;
	fuse_reply_err(req, EROFS);
}

static void fs_op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* large reads and readahead: content is immutable and decoded in chunks */
	conn->max_readahead = 1u << 20;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want &= ~FUSE_CAP_SPLICE_WRITE;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	/* "latest" moves: the kernel keeps its target until the watcher says it changed */
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
}

/*
 * ---- the latest watcher ----
 * The kernel caches the target of "latest" (FUSE_CAP_CACHE_SYMLINKS), so a
 * path walk through it (ls -l latest/) does not ask us for it again on
 * every component.  readlink records the target it handed out; every
 * WATCH_MS this thread compares it with the newest generation (one indexed
 * catalog query, ~20 us) and, when they differ, drops the kernel's copy
 * (notify_inval_inode): "latest" follows a new generation within about
 * WATCH_MS of the generation's directory appearing.
 * Notifications are sent from this thread only: never from a request
 * handler, where they could deadlock with the kernel.
 */
#define WATCH_MS 100

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	pthread_t th;
	bool running;
	struct fuse_session *se;
	char served[64]; /* the target the kernel may hold; "" if none */
} g_watch = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void watch_served(const char *target)
{
	pthread_mutex_lock(&g_watch.mu);
	snprintf(g_watch.served, sizeof(g_watch.served), "%s", target);
	pthread_mutex_unlock(&g_watch.mu);
}

static void *watch_main(void *arg)
{
	struct fs *fs = arg;

	pthread_mutex_lock(&g_watch.mu);
	while (!g_watch.stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += WATCH_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g_watch.cv, &g_watch.mu, &until);
		if (g_watch.stop || !g_watch.served[0])
			continue;
		pthread_mutex_unlock(&g_watch.mu);
		struct cat_gen g;
		cat_lock(fs);
		int rc = catalog_latest(&fs->cat, &g);
		cat_unlock(fs, rc == -ENOENT ? 0 : rc);
		pthread_mutex_lock(&g_watch.mu);
		if ((rc == 0 || rc == -ENOENT) && strcmp(rc ? "" : g.name, g_watch.served)) {
			/* the next readlink records what the kernel gets then */
			g_watch.served[0] = 0;
			pthread_mutex_unlock(&g_watch.mu);
			fuse_lowlevel_notify_inval_inode(g_watch.se, INO_LATEST, 0, 0);
			pthread_mutex_lock(&g_watch.mu);
		}
	}
	pthread_mutex_unlock(&g_watch.mu);
	return NULL;
}

static void watch_start(struct fs *fs, struct fuse_session *se)
{
	g_watch.se = se;
	g_watch.running = pthread_create(&g_watch.th, NULL, watch_main, fs) == 0;
}

static void watch_stop(void)
{
	if (!g_watch.running)
		return;
	pthread_mutex_lock(&g_watch.mu);
	g_watch.stop = true;
	pthread_cond_signal(&g_watch.cv);
	pthread_mutex_unlock(&g_watch.mu);
	pthread_join(g_watch.th, NULL);
}

static const struct fuse_lowlevel_ops fs_ops = {
	.init = fs_op_init,
	.lookup = fs_op_lookup,
	.getattr = fs_op_getattr,
	.setattr = fs_op_setattr,
	.readlink = fs_op_readlink,
	.mknod = fs_op_mknod,
	.mkdir = fs_op_mkdir,
	.unlink = fs_op_unlink,
	.rmdir = fs_op_unlink,
	.symlink = fs_op_symlink,
	.rename = fs_op_rename,
	.link = fs_op_link,
	.open = fs_op_open,
	.read = fs_op_read,
	.write = fs_op_write,
	.release = fs_op_release,
	.opendir = fs_op_opendir,
	.readdir = fs_op_readdir,
	.readdirplus = fs_op_readdirplus,
	.releasedir = fs_op_releasedir,
	.statfs = fs_op_statfs,
	.setxattr = fs_op_setxattr,
	.removexattr = fs_op_removexattr,
	.create = fs_op_create,
	.fallocate = fs_op_fallocate,
};

/* ---- main ---- */

struct opts {
	char *repo;
	char *mnt;
	char *cache_size; /* as given; parsed with parse_size() */
	char *readahead;  /* likewise */
	int foreground;
	int help, version, man;
	int nonempty;     /* -o nonempty: mount over a directory that is not empty */
	int nargs;
};

enum { KEY_HELP, KEY_FG, KEY_VERSION, KEY_MAN };

static const struct fuse_opt opt_spec[] = {
	{ "cache_size=%s", offsetof(struct opts, cache_size), 0 },
	{ "readahead=%s", offsetof(struct opts, readahead), 0 },
	{ "nonempty", offsetof(struct opts, nonempty), 1 },
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("--man", KEY_MAN),
	FUSE_OPT_KEY("-f", KEY_FG),
	FUSE_OPT_END
};

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct opts *o = data;
	(void)out;
	if (key == KEY_HELP || key == KEY_VERSION || key == KEY_MAN) {
		*(key == KEY_HELP ? &o->help : key == KEY_VERSION ? &o->version : &o->man) = 1;
		return 0;
	}
	if (key == KEY_FG) {
		o->foreground = 1;
		return 0;
	}
	if (key == FUSE_OPT_KEY_NONOPT) {
		if (o->nargs == 0)
		{
			o->repo = realpath(arg, NULL);
			if (!o->repo)
				o->repo = xstrdup(arg);
		}
		else if (o->nargs == 1)
			o->mnt = xstrdup(arg);
		o->nargs++;
		return 0;
	}
	return 1; /* everything else goes to libfuse */
}

/* Undo mountinfo's octal escapes (\040 for a space, ...) in place. */
static void unescape_mountinfo(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*o++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
}

/*
 * Set the read-ahead of our mount's backing device (sysfs; root only).  A
 * FUSE mount starts at the kernel's default of 128 KiB whatever max_readahead
 * the daemon asks for; 1 MiB requests keep the prefetch threads busy and
 * halve the round trips (docs/PERFORMANCE.md).  The mount is found in
 * /proc/self/mountinfo, not by stat(), which would wait for this very
 * daemon to answer.  Best effort: failures leave the default.
 */
static void set_readahead(const char *real, uint64_t bytes)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned maj = 0, min = 0;
	bool found = false;
	FILE *f = real ? fopen("/proc/self/mountinfo", "re") : NULL;

	while (f && getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint options... - fstype source super */
		char point[4096], fstype[64];
		unsigned a, b;
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*u %*u %u:%u %*s %4095s", &a, &b, point) != 3 ||
		    sscanf(dash + 3, "%63s", fstype) != 1)
			continue;
		unescape_mountinfo(point);
		if (!strcmp(point, real) && !strcmp(fstype, "fuse.stratafs")) {
			maj = a; /* the last match is the newest mount there */
			min = b;
			found = true;
		}
	}
	if (f)
		fclose(f);
	if (found) {
		char path[64], val[32];
		snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb", maj, min);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			int n = snprintf(val, sizeof(val), "%llu\n", (unsigned long long)(bytes >> 10));
			if (write(fd, val, (size_t)n) != n)
				log_msg("cannot set the read-ahead of this mount to %llu KiB: %s",
					(unsigned long long)(bytes >> 10), strerror(errno));
			close(fd);
		}
	}
	free(line);
}

/*
 * The documentation: `stratafs --help`, and stratafs(8) from `stratafs --man`
 * (strata/helpdoc.h).  fuse_opt parses the arguments; every option listed
 * here is one that opt_spec or libfuse takes (t_cli checks them).
 */
static const struct help_opt fs_opts[] = {
	{ "-f", HELP_ARG_NONE, NULL,
	  "stay in the foreground; messages go to stderr (otherwise to syslog)", false },
	{ "-d", HELP_ARG_NONE, NULL, "debug: log every FUSE request (implies -f)", false },
	{ "-o cache_size=SIZE", HELP_ARG_NONE, NULL,
	  "memory for decompressed frames (default 64M); `ls -l` never needs it", false },
	{ "-o readahead=SIZE", HELP_ARG_NONE, NULL,
	  "the kernel's read-ahead for this mount, 4K to 64M (default 1M; 0 keeps the kernel's "
	  "128K); needs root, ignored otherwise", false },
	{ "-o allow_other", HELP_ARG_NONE, NULL,
	  "let other users in; they read what the repository directory's owner, group and "
	  "mode allow (docs/SECURITY.md). Needs root, or user_allow_other in /etc/fuse.conf", false },
	{ "-o nonempty", HELP_ARG_NONE, NULL,
	  "mount over a directory that is not empty (its files are hidden while mounted); "
	  "refused otherwise", false },
	{ "-o OPTION", HELP_ARG_NONE, NULL,
	  "any other FUSE mount option (fuse(8)); ro, default_permissions and "
	  "subtype=stratafs are always set", false },
	{ "--version,-V", HELP_ARG_NONE, NULL, "print the version and exit", false },
	{ 0 },
};

static const struct help_cmd fs_cmds[] = {
	{ NULL, "REPO MOUNTPOINT", "mount a strata repository read-only",
	  "Mounts the repository REPO on the empty directory MOUNTPOINT and returns once the "
	  "mount is ready (with -f it stays in the foreground). Every generation is a "
	  "directory, every table a CSV file with its exact size, every key range a smaller "
	  "CSV file; reads decompress only the frames they touch and check them before "
	  "serving: a damaged chunk is EIO and a log line naming the pack, never wrong bytes. "
	  "New generations appear within a second. Unmount with `fusermount3 -u MOUNTPOINT` "
	  "(or `umount` as root).",
	  fs_opts, NULL },
	{ 0 },
};

static const struct help_section fs_sections[] = {
	{ "LAYOUT",
	  "  MOUNTPOINT/\n"
	  "    2026-11-20T020000Z/        one generation (UTC; -002 ... for more in one second)\n"
	  "      generation.json          id, time, label, source, tables\n"
	  "      schema.sql               the database's schema\n"
	  "      orders/\n"
	  "        schema.sql             the table's CREATE TABLE, indexes and triggers\n"
	  "        orders.csv             the whole table: header and rows in key order\n"
	  "        rows/FIRST+LAST.csv    the same rows by key range\n"
	  "    latest -> 2026-11-22T020000Z\n"
	  "\n"
	  "docs/FORMAT.md has the exact rules: names, escaping, sizes, inode numbers." },
	{ "MOUNT AND FSTAB",
	  "`mount -t fuse.stratafs REPO MOUNTPOINT` and fstab lines of type fuse.stratafs run "
	  "the helper /sbin/mount.fuse.stratafs, a link to stratafs that `meson install` puts "
	  "there (meson option mount_helper_dir): mount(8) looks for helpers in /sbin only, and "
	  "runs them with a PATH of its own, so stratafs is found wherever it is installed. "
	  "The helper drops the options meant for mount(8) and systemd (nofail, _netdev, "
	  "noauto, x-*, defaults, rw; the mount is always read-only) and passes the rest. An "
	  "fstab line:\n"
	  "\n"
	  "  /srv/backups/shop  /mnt/shop  fuse.stratafs  nofail,allow_other,cache_size=256M  0 0\n"
	  "\n"
	  "contrib/systemd/ in the source has a mount unit." },
	{ "EXIT STATUS",
	  "  0  mounted (and, with -f, unmounted again)\n"
	  "  1  the mount failed; one line on stderr says why and what to do\n"
	  "  2  usage: an unknown option or a value it does not take" },
	{ "EXAMPLES",
	  "  stratafs /srv/backups/shop /mnt/shop\n"
	  "  ls /mnt/shop/latest/\n"
	  "  diff /mnt/shop/2026-11-21T020000Z/orders/orders.csv /mnt/shop/latest/orders/orders.csv\n"
	  "  fusermount3 -u /mnt/shop" },
	{ "SEE ALSO", "strata(1), fusermount3(1), mount(8), fstab(5), fuse(8)" },
	{ 0 },
};

static const struct help_page fs_page = {
	"stratafs", 8, "mount a strata repository as a read-only file system",
	"stratafs shows every backup (generation) in a strata repository as a directory of "
	"plain files: restoring is `cp`, comparing is `diff`, and `rsync`, `tar` and `du` "
	"read the mounted paths. Nothing is decompressed until a read needs it, and `ls -l` "
	"never reads table data. The mount is read-only: every write fails with EROFS.",
	fs_cmds, fs_sections,
};


/*
 * mount(8) runs /sbin/mount.fuse.stratafs SOURCE TARGET [-sfnv] [-o OPTIONS]
 * (our link, see MOUNT AND FSTAB).  Rewrite that into stratafs's own
 * arguments in out (empty): the options meant for mount(8) and systemd are
 * dropped.  -1 for -f (fake): mount nothing.
 */
static int helper_args(int argc, char **argv, struct fuse_args *out)
{
	static const char *drop[] = { "nofail", "_netdev", "auto", "noauto", "user", "users",
				      "nouser", "owner", "group", "defaults", "rw", "ro", NULL };
	struct buf o = BUF_INIT;
	bool fake = false;

	fuse_opt_add_arg(out, argv[0]);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-o") && i + 1 < argc) {
			char *opts = xstrdup(argv[++i]), *save = NULL;
			for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				bool skip = !strncmp(t, "x-", 2) || !strncmp(t, "comment=", 8);
				for (int k = 0; drop[k] && !skip; k++)
					skip = !strcmp(t, drop[k]);
				if (!skip) {
					buf_adds(&o, o.len ? "," : "");
					buf_adds(&o, t);
				}
			}
			free(opts);
		} else if (!strcmp(a, "-t") && i + 1 < argc) {
			i++; /* the type: ours */
		} else if (a[0] == '-' && a[1] && strspn(a + 1, "sfnv") == strlen(a + 1)) {
			/* -s sloppy, -n no mtab, -v verbose: nothing to do; -f: fake */
			fake |= strchr(a, 'f') != NULL;
		} else {
			fuse_opt_add_arg(out, a);
		}
	}
	if (o.len) {
		fuse_opt_add_arg(out, "-o");
		fuse_opt_add_arg(out, (char *)o.data);
	}
	buf_release(&o);
	return fake ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct opts o = { 0 };
	uint64_t cache_size = 64u << 20;
	struct fuse_session *se = NULL;
	struct fs *fs = &g_fs;
	struct stat st;
	char *mnt_real = NULL; /* resolved before mounting: afterwards a path walk would wait on us */
	int rc = 1;

	fs->packs_dir = -1;
	/*
	 * Memory stays within the cache bound only if freed chunk buffers go
	 * back to the system: a fixed mmap threshold keeps glibc from raising it
	 * (and then recycling multi-MiB buffers inside per-thread arenas).
	 * Frames (128 KiB by default) stay below it: mapping and unmapping each
	 * one cost page faults, zeroing and TLB shootdowns on every read.  One
	 * arena: frames are freed by other threads than the ones that made
	 * them, and with four arenas each kept its own high-water mark (peak
	 * RSS 84 MiB against 72 MiB with one, for a 64 MiB cache; malloc is
	 * called about ten times per MiB read, so the shared lock costs nothing).
	 */
	mallopt(M_MMAP_THRESHOLD, 512 * 1024);
	mallopt(M_ARENA_MAX, 1);
	const char *base = strrchr(argv[0], '/');
	if (!strncmp(base ? base + 1 : argv[0], "mount.", 6)) {
		/* run by mount(8) as its helper */
		args = (struct fuse_args)FUSE_ARGS_INIT(0, NULL);
		if (helper_args(argc, argv, &args) < 0) {
			fuse_opt_free_args(&args);
			return 0;
		}
	}
	if (fuse_opt_parse(&args, &o, opt_spec, opt_proc) == -1) {
		fprintf(stderr, "stratafs: see 'stratafs --help'\n");
		rc = 2;
		goto out_early;
	}
	if (o.help || o.version || o.man) {
		if (o.help)
			helpdoc_command(stdout, &fs_page, fs_cmds);
		else if (o.man)
			helpdoc_roff(stdout, &fs_page, STRATA_VERSION);
		else
			printf("stratafs %s (repository format %d, reads %d to %d; catalog schema %d; FUSE %s)\n",
			       STRATA_VERSION, REPO_FORMAT_VERSION, REPO_FORMAT_OLDEST,
			       REPO_FORMAT_VERSION, CATALOG_SCHEMA_VERSION, fuse_pkgversion());
		rc = 0;
		goto out_early;
	}
	if (o.cache_size && (parse_size(o.cache_size, &cache_size) || cache_size > (SIZE_MAX >> 1))) {
		fprintf(stderr, "stratafs: cache_size takes a size such as 64M or 67108864, not '%s'\n",
			o.cache_size);
		rc = 2;
		goto out_early;
	}
	uint64_t readahead = 1u << 20;
	if (o.readahead && (parse_size(o.readahead, &readahead) || readahead > (64u << 20) ||
			    (readahead && readahead < 4096))) {
		fprintf(stderr, "stratafs: readahead takes a size from 4K to 64M such as 1M, or 0, not '%s'\n",
			o.readahead);
		rc = 2;
		goto out_early;
	}
	if (o.nargs != 2) {
		fprintf(stderr, "stratafs: %s; usage: stratafs REPO MOUNTPOINT [-f] [-o OPTIONS], see 'stratafs --help'\n",
			o.nargs < 2 ? "need a repository and a mount point" : "too many arguments");
		rc = 2;
		goto out_early;
	}
	int orc = repo_open(&fs->repo, o.repo);
	if (orc) {
		char *msg = repo_open_message(o.repo, &fs->repo, orc);
		fprintf(stderr, "stratafs: %s\n", msg);
		free(msg);
		goto out_early;
	}
	if (stat(o.mnt, &st) < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "stratafs: mount point '%s' does not exist; create it with 'mkdir -p %s'\n",
				o.mnt, o.mnt);
		else
			fprintf(stderr, "stratafs: cannot use mount point '%s': %s\n", o.mnt, strerror(errno));
		goto out_early;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "stratafs: mount point '%s' is a file, not a directory; mount on an empty directory (stratafs REPO MOUNTPOINT)\n",
			o.mnt);
		goto out_early;
	}
	{
		/* a mount point already in use: its device differs from its parent's */
		char *parent = xasprintf("%s/..", o.mnt);
		struct stat pst;
		bool busy = stat(parent, &pst) == 0 && (pst.st_dev != st.st_dev ||
							pst.st_ino == st.st_ino);
		free(parent);
		if (busy && strcmp(o.mnt, "/")) {
			fprintf(stderr, "stratafs: mount point '%s' is busy: something is already mounted there; unmount it first ('fusermount3 -u %s')\n",
				o.mnt, o.mnt);
			goto out_early;
		}
	}
	if (!o.nonempty && dir_is_empty(o.mnt) == 0) { /* unreadable: the mount decides */
		fprintf(stderr, "stratafs: mount point '%s' is not empty: mounting would hide its files; choose an empty directory, or add -o nonempty\n",
			o.mnt);
		goto out_early;
	}
	if (access("/dev/fuse", R_OK | W_OK) < 0) {
		fprintf(stderr, "stratafs: cannot use /dev/fuse: %s; install fuse3 and load the fuse module ('modprobe fuse')\n",
			strerror(errno));
		goto out_early;
	}
	/*
	 * Who may read the mount follows the repository directory (see
	 * docs/SECURITY.md): its owner and group, and for each class read
	 * access if that class may list and enter the directory.  Nothing in
	 * the mount is ever writable.
	 */
	if (stat(o.repo, &st) < 0) {
		fprintf(stderr, "stratafs: cannot stat the repository '%s': %s\n", o.repo,
			strerror(errno));
		goto out_early;
	}
	fs->uid = st.st_uid;
	fs->gid = st.st_gid;
	fs->file_mode = 0;
	for (int sh = 0; sh <= 6; sh += 3)
		if (((st.st_mode >> sh) & 5) == 5)
			fs->file_mode |= (mode_t)(4 << sh);
	fs->dir_mode = fs->file_mode | fs->file_mode >> 2;
	if (getuid() != 0 && access(o.repo, R_OK | X_OK) < 0) {
		fprintf(stderr, "stratafs: you may not list the repository '%s', so you could not read its mount; ask its owner for read and search permission\n",
			o.repo);
		goto out_early;
	}
	/* the mount never follows a link from inside the repository */
	fs->packs_dir = open(fs->repo.packs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fs->packs_dir < 0) {
		fprintf(stderr, "stratafs: cannot open '%s': %s; it must be a directory, not a symbolic link\n",
			fs->repo.packs, strerror(errno));
		goto out_early;
	}
	if (lstat(fs->repo.catalog, &st) < 0) {
		fprintf(stderr, "stratafs: repository '%s' has no catalog; run 'strata index %s' first\n",
			o.repo, o.repo);
		goto out_early;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "stratafs: the catalog '%s' is %s; remove it and run 'strata index %s'\n",
			fs->repo.catalog, S_ISLNK(st.st_mode) ? "a symbolic link, which is not followed"
							      : "not a regular file", o.repo);
		goto out_early;
	}
	orc = cat_open(fs, &fs->cat, &st);
	if (orc == -EPROTONOSUPPORT) {
		fprintf(stderr, "stratafs: the catalog '%s' has another schema version than this stratafs reads (%d); run 'strata index %s' to rebuild it\n",
			fs->repo.catalog, CATALOG_SCHEMA_VERSION, o.repo);
		goto out_early;
	}
	if (orc) {
		fprintf(stderr, "stratafs: cannot open the catalog '%s': %s; run 'strata index --rebuild %s'\n",
			fs->repo.catalog, strerror(-orc), o.repo);
		goto out_early;
	}
	/* checked here so errors reach the terminal; reopened after the fork */
	catalog_close(&fs->cat);
	/* one fd per pack stays open; let the limit be as high as allowed */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	pthread_mutex_init(&fs->cat_mu, NULL);
	pthread_mutex_init(&fs->pack_mu, NULL);
	pthread_key_create(&fs->dctx_key, dctx_free);
	fs->cache = chunk_cache_new((size_t)cache_size);
	fs->mount_time = (int64_t)time(NULL);

	char *fsname = xasprintf("-osubtype=stratafs,ro,default_permissions,fsname=%s", o.repo);
	for (char *p = fsname + 3; *p; p++)
		if (*p == ',' && strncmp(p, ",ro,", 4) && strncmp(p, ",default_permissions,", 21) &&
		    strncmp(p, ",fsname=", 8))
			*p = '_'; /* a comma in the path would split the option */
	fuse_opt_add_arg(&args, fsname);
	free(fsname);
	se = fuse_session_new(&args, &fs_ops, sizeof(fs_ops), fs);
	if (!se) {
		/* libfuse said which option it does not know */
		fprintf(stderr, "stratafs: see 'stratafs --help' for the options\n");
		rc = 2;
		goto out;
	}
	if (fuse_set_signal_handlers(se) != 0)
		goto out;
	mnt_real = realpath(o.mnt, NULL);
	if (fuse_session_mount(se, o.mnt) != 0) {
		fprintf(stderr, "stratafs: cannot mount on '%s'; check that it exists, is not busy and that you may mount there\n", o.mnt);
		goto out_sig;
	}
	if (readahead && mnt_real)
		set_readahead(mnt_real, readahead);
	fuse_daemonize(o.foreground);
	/* SQLite connections must not cross fork(): open the catalog in the daemon */
	orc = cat_open(fs, &fs->cat, &st);
	if (orc) {
		log_msg("cannot open the catalog '%s': %s; run 'strata index --rebuild'",
			fs->repo.catalog, strerror(-orc));
		fuse_session_unmount(se);
		goto out_sig;
	}
	fs->cat_dev = st.st_dev;
	fs->cat_ino = st.st_ino;
	fs->cat_stat = st.st_ctim;
	fs->cat_next_check = now_ms() + CAT_CHECK_MS;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	prefetch_start(fs, ncpu > 1 ? (int)(ncpu < 8 ? ncpu : 8) : 1);
	watch_start(fs, se);
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	fuse_loop_cfg_set_clone_fd(cfg, 1);
	fuse_loop_cfg_set_max_threads(cfg, 8);
	fuse_loop_cfg_set_idle_threads(cfg, 8);
	rc = fuse_session_loop_mt(se, cfg) ? 1 : 0;
	fuse_loop_cfg_destroy(cfg);
	watch_stop();
	prefetch_stop();
	/* no request runs any more: free what the kernel did not release */
	while (g_handles.next != &g_handles) {
		struct handle *h = g_handles.next;
		if (h->is_dir) {
			dl_free((struct dirlist *)h);
		} else {
			((struct ofile *)h)->refs = 1;
			ofile_free((struct ofile *)h);
		}
	}
	fuse_session_unmount(se);
out_sig:
	fuse_remove_signal_handlers(se);
out:
	if (se)
		fuse_session_destroy(se);
	chunk_cache_free(fs->cache);
	cat_close(fs, &fs->cat, fs->cat_dev, fs->cat_ino);
	for (size_t i = 0; i < fs->npacks; i++)
		close(fs->packs[i].fd);
	free(fs->packs);
	close(fs->packs_dir);
	repo_close(&fs->repo);
	free(o.repo);
	free(o.mnt);
	free(o.cache_size);
	free(o.readahead);
	free(mnt_real);
	fuse_opt_free_args(&args);
	return rc;
out_early:
	catalog_close(&fs->cat);
	if (fs->packs_dir >= 0)
		close(fs->packs_dir);
	repo_close(&fs->repo);
	free(o.repo);
	free(o.mnt);
	free(o.cache_size);
	free(o.readahead);
	fuse_opt_free_args(&args);
	return rc;
}
