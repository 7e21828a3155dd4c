/*
 * srcstate.h - the identity and state of a source database file, to skip
 * re-reading a database that has not changed since the last backup.
 *
 * A SQLite database is unchanged when neither its file nor its WAL file
 * changed.  The state recorded covers, for the database file and for its
 * -wal file (or the fact that there is none, or that it is empty): device,
 * inode, size, mtime (and for the database file ctime) in nanoseconds, the
 * WAL header and its last frame's checksum; and the database header's first
 * 100 bytes (its file change counter moves on every commit in rollback-journal
 * mode and on every checkpoint in WAL mode).  ctime cannot be set back
 * from user space, so a write followed by `touch -d` to restore the mtime
 * is still seen; in the WAL, SQLite's cumulative frame checksums see it.  Any doubt (a field that cannot be read) means "changed".
 *
 * Read the state BEFORE the backup's read transaction begins: a commit
 * between the two then makes the recorded state older than the snapshot,
 * which can only cause an unnecessary re-read, never a wrong skip.
 */
#ifndef STRATA_SRCSTATE_H
#define STRATA_SRCSTATE_H

#include <stddef.h>
#include <stdint.h>

#define SRCSTATE_LEN 256

struct srcstate {
	uint8_t b[SRCSTATE_LEN]; /* fixed little-endian encoding, compared bytewise */
};

/* 0 on success; -errno if the database file cannot be examined. */
int srcstate_read(const char *path, struct srcstate *s);

#endif
