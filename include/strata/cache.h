/*
 * cache.h - bounded, sharded cache of pieces of chunks: a key is a chunk id
 * and a piece number (a frame of CSV, the whole CSV of a format 1 chunk, or
 * the frame table; lib/reader.c says which is which).
 *
 * Protocol: chunk_cache_get() returns a referenced entry or NULL; the
 * caller fills a miss with chunk_cache_put_new() (which may return an entry
 * another thread inserted first) and always ends with chunk_cache_unref().
 * The cache holds one reference of its own while an entry is resident;
 * eviction drops that reference, so bytes in use are never freed under a
 * reader.  Those evicted-but-held bytes still count against the budget
 * until they are freed, so max_bytes bounds all piece memory, not only
 * what is resident.  Each shard has one mutex, held only for map and LRU updates,
 * never across I/O or decompression.
 */
#ifndef STRATA_CACHE_H
#define STRATA_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "strata/pack.h"

struct cache_entry {
	struct chunk_id id;
	uint32_t piece;
	uint8_t *data;
	size_t len;
	unsigned refs;
	bool orphan; /* evicted while in use: counted until its last reader lets go */
	struct cache_entry *hnext, *prev, *next;
};

struct chunk_cache;

struct chunk_cache *chunk_cache_new(size_t max_bytes);
void chunk_cache_free(struct chunk_cache *c);
struct cache_entry *chunk_cache_get(struct chunk_cache *c, const struct chunk_id *id,
				    uint32_t piece);
/* Takes ownership of data (malloc'ed); returns a referenced entry. */
struct cache_entry *chunk_cache_put_new(struct chunk_cache *c, const struct chunk_id *id,
					uint32_t piece, uint8_t *data, size_t len);
void chunk_cache_unref(struct chunk_cache *c, struct cache_entry *e);
/* Bytes of all entries not freed yet: resident, and evicted but still held. */
size_t chunk_cache_bytes(struct chunk_cache *c);

#endif
