/*
 * chunker.h - content-defined chunk boundaries at row boundaries.
 *
 * A chunk ends after a row when the chunk holds at least min bytes and the
 * row's key "fires": xxh3-64(encoded key) / 2^64 < row_len / avg.  Whether
 * a key fires depends only on that row (its key and, weakly, its length), so
 * an insert or a delete moves only the boundaries around it and every other
 * key range keeps its chunk, and its chunk id, in every generation (the
 * prolly-tree idea).  Scaling by the row's length makes the expected chunk
 * size avg bytes whatever the row width.  A chunk is also cut before a row
 * that would take it past max bytes; a single row larger than max is a
 * chunk of its own.  The chunk header (a few bytes) is not counted.
 */
#ifndef STRATA_CHUNKER_H
#define STRATA_CHUNKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

struct chunker_params {
	uint64_t min, avg, max;
};

/* True when a chunk of cur bytes must be closed before adding a row of row_len. */
static inline bool chunker_cut_before(const struct chunker_params *p, uint64_t cur,
				      uint64_t row_len)
{
	return cur > 0 && cur + row_len > p->max;
}

/* Whether a row's key fires at p's average: a cut after it once min bytes are reached. */
static inline bool chunker_fires(const struct chunker_params *p, uint64_t row_len, const void *key,
				 size_t keylen)
{
	uint64_t h = XXH3_64bits(key, keylen);
	/* h / 2^64 < row_len / avg  <=>  h * avg < row_len * 2^64 */
	__extension__ typedef unsigned __int128 u128;
	u128 lhs = (u128)h * p->avg;
	u128 rhs = (u128)row_len << 64;
	return lhs < rhs;
}

/* True when a chunk of cur bytes (this row included) ends after this row. */
static inline bool chunker_cut_after(const struct chunker_params *p, uint64_t cur,
				     uint64_t row_len, const void *key, size_t keylen)
{
	if (cur >= p->max)
		return true;
	return cur >= p->min && chunker_fires(p, row_len, key, keylen);
}

/*
 * Segments (SFC3 bodies, strata/frames.h) are cut inside a chunk by the
 * same rule, sized to average about `size` bytes (the config's
 * frame_size) with little spread: at least three quarters of it, then a
 * cut at the first row that fires at a quarter of it, at most four times
 * it; a chunk's ends are also its segments' ends.  Little spread because
 * a changed row costs its whole segment, and a row is likelier to fall
 * in a long segment: with the chunks' spread (min avg/4, then fires at
 * avg) the segment holding a random row averages 1.6 times the size.
 */
static inline struct chunker_params chunker_segments(uint64_t size)
{
	return (struct chunker_params){ size / 4 * 3, size / 4, size * 4 };
}

#endif
