/*
 * verify.h - `strata verify`.
 */
#ifndef STRATA_VERIFY_H
#define STRATA_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include "strata/repo.h"

struct verify_opts {
	bool quick;       /* structure only: do not decompress every chunk */
	unsigned percent; /* with !quick: check the data of this share of chunks (1..100; 0 = 100) */
};

struct verify_result {
	uint64_t gens, bad_gens, packs, pack_bytes, chunks, chunk_bytes;
	uint64_t nodes;         /* index nodes among the pack entries (not counted in chunks) */
	uint64_t problems, notes;
	uint64_t chunks_read;   /* chunks (and index nodes) whose data was checked */
	uint64_t healed;        /* damaged copies of chunks another pack holds intact */
	double seconds;         /* how long the data check took */
};

/*
 * Check every manifest, pack and (unless quick) chunk.  Problems are
 * printed on stdout as "damaged: ..." lines and counted; returns non-zero
 * (with *err set to one line) only when the check itself cannot run.
 */
int verify_run(const char *path, const struct verify_opts *o, struct verify_result *res,
	       char **err);

#endif
