/*
 * rowcodec.h - the typed, deterministic row encoding and the chunk layout.
 *
 * A chunk's uncompressed bytes (what its id hashes) are:
 *
 *   u8      CHUNK_VERSION (1)
 *   varint  nhidden   values before the columns that are not shown (1 for a
 *                     rowid table: the rowid; 0 for WITHOUT ROWID)
 *   varint  ncols     declared columns
 *   varint  nkey      key values, then nkey varints: positions in the row
 *                     (0 = the rowid when nhidden = 1)
 *   rows...           each row is nhidden + ncols values back to back
 *
 * A value is a tag byte then its payload:
 *   0 NULL; 1 INTEGER: zigzag varint; 2 REAL: 8 bytes, IEEE-754 bits LE;
 *   3 TEXT, 4 BLOB: varint length, bytes.
 * Same rows, same bytes: dedup depends on it.  The chunk is self-describing,
 * so rendering needs no catalog.
 *
 * A key (first/last key of a chunk, in manifests) is varint nkey + values.
 */
#ifndef STRATA_ROWCODEC_H
#define STRATA_ROWCODEC_H

#include <stdbool.h>
#include "strata/util.h"

enum val_type { VAL_NULL = 0, VAL_INT = 1, VAL_REAL = 2, VAL_TEXT = 3, VAL_BLOB = 4 };

#define CHUNK_VERSION 1
#define ROW_MAX_VALUES 32768 /* SQLite's hard column limit is 32767 */

/* A decoded value; p/n borrow from the chunk buffer. */
struct value {
	uint8_t type;
	int64_t i;
	double r;
	const uint8_t *p;
	size_t n;
};

struct chunk_shape {
	unsigned nhidden;
	unsigned ncols;
	unsigned nkey;
	unsigned keypos[ROW_MAX_VALUES / 16]; /* key positions; nkey <= 2048 */
};
#define KEY_MAX_COLUMNS (ROW_MAX_VALUES / 16)

void value_encode(struct buf *b, const struct value *v);
int value_decode(struct rd *r, struct value *v);

void chunk_shape_encode(struct buf *b, const struct chunk_shape *s);
int chunk_shape_decode(struct rd *r, struct chunk_shape *s);

/* Encode a key: varint nkey + the key values of a row. */
void key_encode(struct buf *b, const struct chunk_shape *s, const struct value *row);

/*
 * Compare two encoded keys in SQLite's order (NULL < numbers < TEXT < BLOB;
 * numbers by value; TEXT and BLOB bytewise, as the BINARY collation).
 * Returns <0, 0, >0; malformed keys compare by their bytes.
 */
int key_compare(const uint8_t *a, size_t an, const uint8_t *b, size_t bn);
/* The same over the first max values only (when both keys have that many). */
int key_compare_prefix(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, uint64_t max);

#endif
