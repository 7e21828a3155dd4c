/*
 * sqlpage.h - a strict reader of SQLite table b-trees, straight from the
 * database file's pages (https://www.sqlite.org/fileformat2.html).
 *
 * Why: a backup spends most of its reading time in SQLite's virtual
 * machine and column API (about 3 s of CPU per GB on the bench table);
 * walking the leaf pages and decoding records directly costs a fraction
 * of that.  It is an accelerator, never the authority: the caller reads a
 * table this way only when SQLite's own scan is known to return the same
 * rows (docs/DESIGN-NOTES.md, "Page reader"), and anything this reader does
 * not fully understand - a page, cell, record or value outside the plain
 * cases - is SQLPAGE_GIVEUP, after which the caller reads the whole table
 * again through SQLite's API, which then decides (rows, or its own error).
 * So it never reports corruption itself, and it never has to agree with
 * SQLite on anything but well-formed files.
 *
 * The image is a byte range the caller keeps stable for the scan (a
 * memory map of a file under a read transaction).  Every offset is
 * bounds-checked; a scan visits each page at most once.
 */
#ifndef STRATA_SQLPAGE_H
#define STRATA_SQLPAGE_H

#include <stdbool.h>
#include <stdint.h>
#include "strata/rowcodec.h"
#include "strata/sqlwal.h"
#include "strata/util.h"

#define SQLPAGE_GIVEUP (-1)
#define SQLPAGE_MAX_DEPTH 40 /* SQLite's own cursors stop at 20 */
#define SQLPAGE_HASH_THREADS 8 /* at most, for sqlpage_scan_hash_ahead() */

struct sqlpage_db {
	const uint8_t *map;
	uint64_t size;      /* bytes of map, at least npages * page_size */
	uint32_t page_size; /* 512 .. 65536 */
	uint32_t usable;    /* page_size - reserved bytes */
	uint32_t npages;
	const uint8_t *last; /* page npages, when map stops one page short (sqlpage_open_split) */
	/*
	 * -1 (as opened), or a descriptor of the very file the map shows, for
	 * sqlpage_leaves_hash to pread() pages through instead of touching the
	 * map: first touches of a map cost about 2 us a page on the virtual
	 * machines measured, pread() a tenth of that.  The caller proves it
	 * is the same file and keeps its bytes stable as the map's.
	 */
	int fd;
	/* pages of the snapshot from the write-ahead log, read before the map (sqlpage_open_wal) */
	const struct sqlpage_overlay *ovl;
};

/*
 * Check the database header of an image of npages pages (the snapshot's
 * page count, from SQLite) and fill db.  Only UTF-8 databases qualify.
 * Returns 0 or SQLPAGE_GIVEUP.
 */
int sqlpage_open(struct sqlpage_db *db, const uint8_t *map, uint64_t size, uint32_t npages);

/*
 * The same for a map of the first npages - 1 pages (size at least that)
 * and a copy of the last page at last (page_size bytes, npages >= 2).
 * Newer SQLite releases map a file only up to 256 bytes short of its end
 * for xFetch, so the backup maps all but the last page and reads that one.
 */
int sqlpage_open_split(struct sqlpage_db *db, const uint8_t *map, uint64_t size, uint32_t npages,
		       const uint8_t *last);

/*
 * The same for a WAL snapshot: map holds the file's first size / page_size
 * pages (size may be 0), ovl the snapshot's pages from the log (strata/
 * sqlwal.h), which win over the file's; every page the map lacks must be
 * in ovl.  ovl must outlive db.
 */
int sqlpage_open_wal(struct sqlpage_db *db, const uint8_t *map, uint64_t size, uint32_t npages,
		     const struct sqlpage_overlay *ovl);

struct sqlpage_scan {
	const struct sqlpage_db *db;
	uint32_t *leaves;   /* the table's leaf pages in key order (from its interior pages) */
	size_t nleaves, capleaves;
	int depth;          /* of the leaves (0: the root is a leaf) */
	size_t li;          /* where the next row is: leaf li, cell ci */
	uint32_t ci;
	uint32_t ncells;    /* cells of leaf li, once entered */
	bool entered;
	int state;          /* 0, or SQLPAGE_GIVEUP once given up (every later call too) */
	size_t row_li;      /* where the row sqlpage_scan_next last returned was */
	uint32_t row_ci;
	uint8_t *seen;      /* one bit per page: b-tree pages listed (a page twice gives up) */
	struct buf ovf;     /* a payload assembled from overflow pages */
	/* db->fd >= 0: pages read for hashing - a window of consecutive pages, an overflow page */
	struct sqlpage_win {
		uint8_t *win, *opage;
		uint32_t win_first, win_n;
	} w;
	/*
	 * sqlpage_scan_hash_ahead(): leaf digests computed ahead by several
	 * threads, for leaves memo_first .. memo_first + memo_n - 1 (memo_ok[i]:
	 * digest i could be computed).
	 */
	unsigned hash_threads;
	struct sqlpage_win part_w[SQLPAGE_HASH_THREADS]; /* theirs, kept from block to block */
	size_t memo_block;  /* leaves a block holds (a test may set it before the first hash) */
	size_t memo_first, memo_n;
	uint8_t (*memo)[16];
	uint8_t *memo_ok;
};

/*
 * Start a scan of the table b-tree at root: lists its leaf pages from the
 * interior pages.  0, or SQLPAGE_GIVEUP (then every call gives up).
 */
int sqlpage_scan_start(struct sqlpage_scan *s, const struct sqlpage_db *db, uint32_t root);
void sqlpage_scan_release(struct sqlpage_scan *s);
/*
 * Free the buffer a payload with overflow pages was assembled in (a row
 * returned before is then gone); positions and hashes still work.
 */
void sqlpage_scan_free_payload(struct sqlpage_scan *s);
/*
 * The next row of a table b-tree in b-tree (rowid) order: 1 and its rowid
 * and payload (valid until the next call), 0 at the end, or
 * SQLPAGE_GIVEUP.
 */
int sqlpage_scan_next(struct sqlpage_scan *s, int64_t *rowid, const uint8_t **payload,
		      uint32_t *len);
/*
 * Where the next row is (leaf index into s->leaves, cell): 1, 0 at the
 * end, or SQLPAGE_GIVEUP.  Positions let a backup take an earlier
 * generation's chunk for leaves whose bytes did not change
 * (docs/DESIGN-NOTES.md, "Incremental backups").
 */
int sqlpage_scan_pos(struct sqlpage_scan *s, size_t *li, uint32_t *ci);
/* Go on from leaf li, cell ci (a position sqlpage_scan_pos gave, or one past a row). */
void sqlpage_scan_seek(struct sqlpage_scan *s, size_t li, uint32_t ci);
/* The number of cells of leaf li.  0 or SQLPAGE_GIVEUP. */
int sqlpage_leaf_cells(const struct sqlpage_scan *s, size_t li, uint32_t *ncells);
/*
 * A hash of every byte the rows of leaves li .. li+n-1 are read from: for
 * one leaf its digest, XXH3-128 of its page (followed, when its cells
 * have overflow chains, by those pages in cell order); for several, XXH3-128
 * of their digests in order.  0 or SQLPAGE_GIVEUP.
 */
int sqlpage_leaves_hash(struct sqlpage_scan *s, size_t li, size_t n, uint8_t out[16]);
/*
 * From now on, hash leaves ahead of the scan in blocks, split between
 * `threads` threads (each preads its own windows), and keep the block's
 * digests: a backup that compares every leaf with a page map then reads
 * and hashes each leaf once, on every core.  Hashes are the same as
 * without; leaves before the block are hashed as before, one at a time.
 */
void sqlpage_scan_hash_ahead(struct sqlpage_scan *s, unsigned threads);

/* How a declared column is read back by SQLite's scan. */
struct sqlpage_col {
	bool rowid; /* the INTEGER PRIMARY KEY: stored as NULL, read as the rowid */
	bool real;  /* REAL affinity: an integer on disk reads as a REAL */
};

/*
 * Decode a record of exactly ncols fields into out[0..ncols) (TEXT and
 * BLOB point into payload).  Returns 0 or SQLPAGE_GIVEUP (wrong field
 * count, a reserved serial type, a NaN, lengths that do not add up).
 */
int sqlpage_record(const uint8_t *payload, uint32_t len, int64_t rowid,
		   const struct sqlpage_col *cols, unsigned ncols, struct value *out);

/*
 * True when a column of this declared type has REAL affinity, by SQLite's
 * rules (https://www.sqlite.org/datatype3.html, 3.1): not when the name
 * contains "INT", "CHAR", "CLOB", "TEXT" or "BLOB"; yes when it contains
 * "REAL", "FLOA" or "DOUB" (case-insensitive).
 */
bool sqlpage_real_affinity(const char *decltype);

#endif
