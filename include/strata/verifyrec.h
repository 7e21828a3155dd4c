/*
 * verifyrec.h - REPO/verify-status: what the last `strata verify` runs
 * found (docs/FORMAT.md, "verify-status").
 *
 * Written by verify at its end (atomically: tmp/, fsync, rename), read by
 * `strata status` (when was the repository last checked, and the result)
 * and by `strata backup` (a chunk verify found damaged must not be reused
 * silently).  It is the only repository file that is rewritten, and it is
 * advice, not truth: deleting it loses the record of past checks, nothing
 * else.  Text, one "key = value" per line after a first line
 * "strata-verify-status 1"; unknown keys are ignored.
 *
 * The last full check and the last quick check are kept apart: a quick
 * check cannot see damaged chunk data, so it neither clears nor sets the
 * damaged list, which is the last full check's.
 */
#ifndef STRATA_VERIFYREC_H
#define STRATA_VERIFYREC_H

#include <stdbool.h>
#include <stdint.h>
#include "strata/pack.h"
#include "strata/repo.h"

#define VERIFYREC_NAME "verify-status"
#define VERIFYREC_MAX (UINT64_C(64) << 20) /* ~1.3 M damaged chunk ids */
#define VERIFYREC_MAX_TIME INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

struct verify_run_rec {
	int64_t time;        /* when the check started, unix seconds; 0: never (every field 0) */
	uint64_t seconds;    /* how long it took */
	uint64_t problems;   /* "damaged:" lines it printed (0: no damage) */
	uint64_t generations, bad_generations, packs, pack_bytes, chunks;
};

/* One stored copy of a chunk that a full verify found damaged: the id and the pack holding it. */
struct damaged_copy {
	struct chunk_id id;
	char pack[33];
};

struct verify_record {
	struct verify_run_rec full, quick;
	struct chunk_id *damaged; /* chunk ids with no intact copy (damaged data), sorted */
	size_t ndamaged;
	/*
	 * Every damaged copy (also those of ids another pack holds intact),
	 * sorted by id, then pack: the catalog serves such an id from another
	 * copy, a backup stores the chunk again when the catalog knows no
	 * other, and prune removes the damaged copy once another exists.
	 */
	struct damaged_copy *copies;
	size_t ncopies, capcopies;
};

/*
 * Read REPO/verify-status.  A missing file is an empty record (every time 0)
 * and 0; -EUCLEAN for a file that is not one (open_regular's rules apply).
 */
int verifyrec_read(const struct repo *r, struct verify_record *v);
/* Parse the file's text (also the fuzz target's entry); *v is empty on failure. */
int verifyrec_parse(const char *text, size_t n, struct verify_record *v);
/* Write v as REPO/verify-status, atomically. */
int verifyrec_write(const struct repo *r, const struct verify_record *v);
void verifyrec_format(struct buf *out, const struct verify_record *v);
/*
 * Append a damaged copy (id in pack; no_intact: and the id to the damaged
 * ids).  The lists are unsorted after this until the record is written and
 * read back: look nothing up in them meanwhile.
 */
void verifyrec_add(struct verify_record *v, const struct chunk_id *id, const char *pack,
		   bool no_intact);
/* Whether that copy (id in pack) is in the damaged copies (binary search). */
bool verifyrec_damaged_copy(const struct verify_record *v, const struct chunk_id *id,
			    const char *pack);
/* Whether id is in the damaged list (binary search). */
bool verifyrec_damaged(const struct verify_record *v, const struct chunk_id *id);
void verifyrec_release(struct verify_record *v);

#endif
