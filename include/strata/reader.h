/*
 * reader.h - the bytes of a served file, from chunks: a file is a literal
 * prefix (a CSV header, or the whole of a metadata file) followed by a
 * body, the concatenation of its chunks rendered.  The tree (tree.h)
 * describes a file as a struct rd_file when it is opened; reading it then
 * never touches the catalog: a binary search over the chunk list, cache
 * lookups and, on a miss, pread + decompress + verify + render.
 *
 * Every byte handed out was verified against its chunk id (DESIGN.md
 * invariant 2): a chunk that fails is -EIO and one log line (log.h) naming
 * the pack, the offset, the generation and the table; a read is answered
 * whole or not at all.
 *
 * Threads: a reader is shared by any number of threads.  Sequential
 * readers get the pieces ahead of them decoded by a pool of read-ahead
 * threads (reader_start).  The pieces a read returns are cache entries
 * held until reader_done(), so the caller can send them without copying.
 */
#ifndef STRATA_READER_H
#define STRATA_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "strata/catalog.h"
#include "strata/repo.h"
#include "strata/views.h"

/* An open file; filled by the tree, read by any number of threads at once. */
struct rd_file {
	char *text;          /* the prefix: a CSV header, or a whole metadata file */
	size_t text_len;
	struct cat_chunk *chunks; /* the body, in order; csv_off is each one's offset in it */
	size_t nchunks;
	uint64_t size;       /* text_len + every chunk's csv_len */
	uint64_t seq;        /* generation and table, for log lines */
	uint32_t tidx;
	uint64_t next_off;   /* where a sequential reader reads next (a racy hint) */
	uint64_t pf_upto;    /* body bytes below this were handed to read-ahead */
	/*
	 * The body's format.  CSV: the chunks' frames as stored.  JSONL, SQL:
	 * each chunk's typed rows rendered with vt (owned; set with
	 * rd_file_set_view), offsets and lengths from the chunks' jsonl_ or
	 * sql_ fields, each rendering checked against its recorded length.
	 */
	enum view_format fmt;
	struct view_table *vt;
	uint8_t variant[16]; /* the cache's key for this table's renderings */
	/*
	 * A file assembled of parts (dump.sql: texts and tables' SQL views),
	 * each a file of its own (owned), one after the other; then the
	 * fields above but size and seq are unused.
	 */
	struct rd_file **parts;
	uint64_t *part_off;  /* where each part starts */
	size_t nparts;
};

/* Append part (owned from now on) to the assembled file f. */
void rd_file_add_part(struct rd_file *f, struct rd_file *part);

/*
 * Make f a JSONL or SQL file of the table with these names (the chunks are
 * already in f), rendered in revision rev (views.h VIEW_REV).
 */
void rd_file_set_view(struct rd_file *f, enum view_format fmt, const char *table,
		      char *const *cols, unsigned ncols, bool without_rowid, unsigned rev);

/*
 * Make the JSONL file f (rd_file_set_view VIEW_JSONL done, its chunks in
 * f) a changes file whose every row is op (views.h view_table.op): as
 * JSONL, or as CSV lines when csv.  Its chunks' offsets and lengths are
 * recomputed; call rd_file_set_size after.
 */
void rd_file_set_op(struct rd_file *f, const char *op, bool csv);

/* Set f->size from its prefix and its chunks' lengths in its format, or from its parts. */
void rd_file_set_size(struct rd_file *f);

/* Frees what f holds and f itself; NULL is fine. */
void rd_file_free(struct rd_file *f);

struct reader;

/*
 * A reader of repo's packs (through its store; repo must outlive the
 * reader).  cache_bytes bounds the memory of decoded pieces.
 */
struct reader *reader_new(const struct repo *repo, size_t cache_bytes);
/* Start nthreads read-ahead threads (0: none).  Call after any fork(). */
void reader_start(struct reader *r, int nthreads);
/* Stops the threads, closes the packs.  NULL is fine. */
void reader_free(struct reader *r);

#define RD_IOV_SMALL 64

/* The pieces one read returns, and the cache references that keep them alive. */
struct rd_reply {
	struct iovec *iov;   /* niov pieces making up len bytes, in order */
	size_t niov;
	size_t len;
	/* private */
	struct iovec iov_small[RD_IOV_SMALL];
	struct cache_entry *held_small[RD_IOV_SMALL * 2], **held;
	size_t nheld, cap;
	uint64_t end;        /* the file offset after the read */
	int sequential;
};

/*
 * Read up to size bytes of f at off into r (nothing at or after the end
 * of the file).  0 or -EIO (logged).  Whatever the result, end with
 * reader_done(), which drops the pieces and, after a sequential read,
 * hands the next ones to read-ahead.
 */
int reader_read(struct reader *rd, struct rd_file *f, uint64_t off, size_t size,
		struct rd_reply *r);
void reader_done(struct reader *rd, struct rd_file *f, struct rd_reply *r, int rc);

/*
 * The typed rows of a chunk (rowcodec.h), whatever its body's format,
 * appended to typed: the whole body is read and checked (frames, side
 * stream), the rows rebuilt and their id compared with the chunk's, so
 * what comes back is exactly what was backed up.  0 or -EIO (logged, as
 * reads are).  Not cached: for restores and typed views, which read a
 * chunk once.
 */
int reader_chunk_typed(struct reader *rd, uint64_t seq, uint32_t tidx,
		       const struct cat_chunk *ch, struct buf *typed);

/* Bytes of decoded pieces held in memory now (for tests of the bound). */
size_t reader_cache_bytes(struct reader *rd);

#endif
