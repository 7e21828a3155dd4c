/*
 * restore.h - a generation back as a SQLite database (`strata restore`).
 *
 * The contract (docs/FORMAT.md "Restore", tests/integration/t_restore.sh):
 * for the database as it was at backup time, `sqlite3 X '.dump
 * --preserve-rowids'` of it and of the result are byte-identical, its
 * user_version and application_id are equal and `PRAGMA integrity_check`
 * is ok.  Every value comes back with its storage class and every rowid as
 * it was, from chunks checked against their ids (reader_chunk_typed()).
 *
 * The database is built in a temporary file in the target's directory and
 * linked to the target name only when complete: an interrupted restore
 * leaves no target, and an existing file is never overwritten.
 */
#ifndef STRATA_RESTORE_H
#define STRATA_RESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct restore_opts {
	const char *const *tables; /* only these tables, their indexes and triggers (NULL: all) */
	size_t ntables;
	bool progress;             /* a progress line on stderr */
};

struct restore_result {
	char name[64];             /* the generation restored */
	uint64_t tables, rows;
	double seconds;
	char lacks[200];           /* what the generation did not record ("" if nothing) */
};

/*
 * Restore generation gen ("latest" or a name) of the repository at repo
 * into the new file to.  The catalog must be up to date (the CLI brings
 * it up to date first).  On failure *err is one line (caller frees).
 */
int restore_run(const char *repo, const char *gen, const char *to, const struct restore_opts *o,
		struct restore_result *res, char **err);

#endif
