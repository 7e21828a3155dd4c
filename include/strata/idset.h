/*
 * idset.h - an open-addressing hash map from chunk id to a small non-zero
 * tag (1..255).  Used by backup (ids already stored) and verify (state of
 * every chunk).  Ids are xxh3-128 values, so their low bytes are already
 * uniformly spread and serve as the hash.
 */
#ifndef STRATA_IDSET_H
#define STRATA_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "strata/pack.h"

struct idset {
	struct chunk_id *v;
	uint8_t *tag; /* 0: empty slot */
	size_t cap, n;
};

#define IDSET_INIT { NULL, NULL, 0, 0 }

/* Add id with tag 1; true if it was not there before. */
bool idset_add(struct idset *s, const struct chunk_id *id);
/* Set id's tag (adds it when missing); tag must be non-zero. */
void idset_put(struct idset *s, const struct chunk_id *id, uint8_t tag);
/* The tag of id, 0 when absent. */
uint8_t idset_get(const struct idset *s, const struct chunk_id *id);
void idset_release(struct idset *s);

#endif
