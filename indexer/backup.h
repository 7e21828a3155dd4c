/*
 * backup.h - `strata backup` and the shared CLI error reporting.
 */
#ifndef STRATA_BACKUP_H
#define STRATA_BACKUP_H

#include <stdbool.h>
#include <stdint.h>
#include "strata/repo.h"

/* How a command takes the repository lock. */
struct lock_opts {
	const char *what; /* written into REPO/lock: "backup of /srv/shop.db", "index" */
	int64_t wait_ms;  /* 0: fail at once when busy; < 0: wait as long as it takes */
	bool quiet;       /* do not say that it waits */
};

struct backup_opts {
	const char *repo;
	const char *source;
	int64_t at;        /* generation time, unix seconds */
	const char *label;
	const char *name;  /* --name; NULL: db_name_default() of the source */
	bool progress;     /* progress display on stderr */
	bool force;        /* read the source even if it is unchanged */
	bool api_reader;   /* --reader sqlite: every table through SQLite's API, no page reader */
	bool verbose;      /* one line per table on stderr: rows, and how it was read */
	/*
	 * --kind: "full" reads every row; "incremental" (NULL, the default)
	 * takes the chunks of unchanged pages from the newest generation of
	 * the same database with a page map, "differential" from the newest
	 * full one (docs/DESIGN-NOTES.md, "Incremental backups").
	 */
	const char *kind;
	struct lock_opts lock;
	/*
	 * Which tables: those matching an include pattern (all when there is
	 * none) and no exclude pattern; fnmatch(3) globs on the table name.
	 */
	const char **include, **exclude;
	size_t ninclude, nexclude;
};

struct backup_result {
	char name[64];
	char unchanged_since[64]; /* non-empty: the source was not read (same state as then) */
	uint64_t tables, rows, bytes_in, source_bytes, new_bytes, chunks, new_chunks;
	/*
	 * Distinct chunks reused although the last full verify (at
	 * damaged_verified) found their data damaged: the new generation
	 * cannot read them either.
	 */
	uint64_t damaged_reused;
	int64_t damaged_verified;
	/*
	 * Chunks stored again because the copy the catalog served was found
	 * damaged, and the generations using them (this one included), which
	 * now read the new copy.
	 */
	uint64_t healed, healed_gens;
	/* index nodes stored again for the same reason (every generation listing one reads the new copy) */
	uint64_t healed_nodes;
	/* what was recorded: the kind, the parent ("" when none), what was taken from it unread */
	char kind[16], parent[64];
	uint64_t reused_chunks, reused_rows, reused_segs;
	uint64_t seg_lists; /* segment lists written to the catalog: at most one per chunk built */
	double seconds;
};

/*
 * Take the backup.  On failure returns a negative errno and sets *err to a
 * one-line message (what went wrong and what to do) that the caller prints.
 */
int backup_run(const struct backup_opts *o, struct backup_result *res, char **err);

/* Sync the catalog under the repository lock (strata index). */
int index_run(const char *repo, bool rebuild, const struct lock_opts *lk, char **err);

#endif
