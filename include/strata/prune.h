/*
 * prune.h - `strata prune`: remove generations by a retention policy, then
 * collect the garbage (docs/FORMAT.md, "Prune and garbage collection").
 *
 * Order of durable steps, each safe to interrupt (kill -9) at any point:
 *   1. the manifests of removed generations are unlinked (a generation
 *      exists iff its manifest does; every other generation is untouched);
 *   2. the chunks still referenced that sit in packs to be rewritten are
 *      copied (checked against their ids first) into new packs, each made
 *      durable (tmp/, fsync, rename, fsync directories) before anything
 *      is deleted;
 *   3. the catalog serves every moved chunk from its new pack;
 *   4. the old packs are unlinked.
 * A crash leaves at most unreferenced chunks or second copies, which the
 * next run collects.  Prune holds the writer lock (no backup runs meanwhile,
 * so no chunk a backup is reusing can be collected) and the deletion lock
 * exclusively (no verify runs meanwhile).
 */
#ifndef STRATA_PRUNE_H
#define STRATA_PRUNE_H

#include "strata/retention.h"

#include <stdbool.h>
#include <stdint.h>

struct prune_opts {
	struct keep_policy policy; /* no rule: remove no generation, only collect garbage */
	bool dry_run;              /* print what would be done; change nothing */
	unsigned repack_percent;   /* repack a pack once this share of its bytes is garbage */
	int64_t wait_ms;           /* for the locks, as repo_lock */
	bool quiet;                /* no per-generation lines */
	const char *dbname;        /* --name: apply the rules to this database only; NULL: each */
};

struct prune_result {
	uint64_t gens_kept, gens_removed;
	uint64_t packs_before, bytes_before, packs_after, bytes_after;
	uint64_t packs_deleted, packs_repacked, packs_written;
	uint64_t chunks_removed, chunks_moved, bytes_moved;
	uint64_t garbage_left;      /* bytes of unreferenced chunks left in packs kept as they are */
	uint64_t damaged_kept;      /* packs kept because a chunk to move was damaged */
	double seconds;
};

/* 0; or an error with *err a one-line message (caller frees). */
int prune_run(const char *repo_path, const struct prune_opts *o, struct prune_result *res,
	      char **err);

/* What the packs hold, measured as prune sees it (strata stats). */
struct gc_survey {
	uint64_t manifests, manifest_bytes;
	uint64_t packs, pack_bytes;         /* readable packs and their file sizes */
	uint64_t bad_packs;                 /* packs whose index cannot be read */
	uint64_t chunks, chunk_bytes;       /* the kept copy of each referenced chunk (stored bytes) */
	uint64_t nodes, node_bytes;         /* the same of index nodes (not counted as chunks) */
	uint64_t csv_bytes;                 /* their rows as CSV (what they hold, once each) */
	uint64_t garbage_chunks, garbage_bytes; /* unreferenced chunks and second copies */
	uint64_t collectable_bytes;         /* of those, what a prune with the default --repack frees */
};

/*
 * Read every manifest and pack index (taking REPO/gc-lock shared, waiting
 * for a running prune; no writer lock: a backup may run, and its packs
 * count as garbage until its manifest is written).  0, or an error with
 * *err set.
 */
int gc_survey_run(const char *repo_path, struct gc_survey *s, char **err);

#endif
