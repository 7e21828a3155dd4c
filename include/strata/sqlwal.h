/*
 * sqlwal.h - the pages a SQLite read transaction sees in the write-ahead
 * log, for the page reader (strata/sqlpage.h): the snapshot of a WAL
 * database is its file overlaid with the newest copy of each page in log
 * frames 1 .. mxFrame (https://www.sqlite.org/fileformat2.html, sections 4
 * and 4.5; https://www.sqlite.org/walformat.html for the wal-index).
 *
 * Which mxFrame is a connection's is not written anywhere outside it.  The
 * backup reads the wal-index header before BEGIN and again after its first
 * read: byte for byte the same (its change counter moves with every commit)
 * means no transaction committed in between, so the connection's snapshot
 * is that header's.  The log's frames up to it are then checked against the
 * header (salts, the checksum chain ending in the header's frame checksum,
 * the last frame a commit of the header's page count) and copied; the
 * header is read a third time after the copy (docs/DESIGN-NOTES.md,
 * "Page reader").  Anything else is -EAGAIN or -EINVAL, and the caller
 * reads through SQLite's API.
 */
#ifndef STRATA_SQLWAL_H
#define STRATA_SQLWAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The log's 32-byte header: its magic, version and checksum.  (SQLite
 * ignores a log whose header does not check, and every transaction in it.)
 */
bool sqlwal_header_valid(const uint8_t h[32]);

/* The wal-index header (both copies) as read from the -shm file. */
struct sqlwal_index {
	uint8_t raw[96];
	uint32_t mx_frame;  /* the last frame of the last commit */
	uint32_t npages;    /* the database's size in pages after it */
	uint32_t page_size;
	uint32_t cksum[2];  /* the checksum of frame mx_frame */
	uint8_t salt[8];    /* as in the log's header */
};

/*
 * Read the header of the wal-index in the -shm file at shmfd: 0, -EAGAIN
 * (the two copies differ or do not check: a writer is at work), or
 * -EINVAL (not an initialised wal-index of this version).
 */
int sqlwal_read_index(int shmfd, struct sqlwal_index *x);

/* The same header, byte for byte (no commit in between). */
bool sqlwal_same(const struct sqlwal_index *a, const struct sqlwal_index *b);

/* Pages of a snapshot found in the log: the newest frame of each. */
struct sqlpage_overlay {
	uint32_t n;        /* pages */
	uint32_t *pgno;    /* ascending */
	uint8_t *data;     /* page pgno[i] at i * page_size */
	uint8_t *bits;     /* bit pgno - 1 set: overlaid (pages 1 .. max_pgno) */
	uint32_t max_pgno;
	uint32_t page_size;
};

/*
 * Read frames 1 .. x->mx_frame of the log at walfd (at most max_bytes of
 * it) and check them against x: magic, version, page size, the header's
 * checksum and salts, each frame's salts and checksum in the chain ending
 * at x->cksum, the last frame a commit of x->npages pages.  0 with *o
 * filled (empty when mx_frame is 0), -EFBIG (longer than max_bytes),
 * -EINVAL (anything does not check), or -errno of a read.
 */
int sqlwal_overlay(int walfd, const struct sqlwal_index *x, size_t max_bytes,
		   struct sqlpage_overlay *o);

void sqlwal_overlay_release(struct sqlpage_overlay *o);

#endif
