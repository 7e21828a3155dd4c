/*
 * pagemap.h - what an incremental backup needs of an earlier generation:
 * for each table read from the database pages, which leaf pages each of
 * its chunks was read from (docs/DESIGN-NOTES.md, "Incremental backups";
 * the blob is docs/FORMAT.md's "Page maps").
 *
 * A chunk is recorded when its rows depend only on its leaves: it starts
 * at cell start_cell of a leaf whose bytes hash to `first`, spans nleaves
 * leaves whose bytes (with their overflow pages) hash to `span`, and ends
 * at cell end_cell of the last one (see PAGEMAP_END_*).  A later backup at
 * a chunk boundary on such a leaf and cell, whose next leaves hash to
 * `span` (and whose table, for END_TABLE, ends at end_cell),
 * reads exactly the rows of that chunk again, so it takes the chunk as it
 * was - id, sizes, keys and classes - without decoding them.  `ident`
 * covers everything else the rows' encoding depends on (names, declared
 * types, page size, chunker parameters, renderings), so a table whose
 * ident differs is read in full.  What the ident cannot cover is this
 * strata's own code: a change to how rows are decoded (sqlpage_record),
 * encoded (rowcodec), cut (chunker.h), rendered or measured (render.c,
 * views.c: csv_len, jsonl_len, sql_len) or classified (pgschema.h) must
 * bump PAGEMAP_VERSION, so that maps written before stop matching.
 */
#ifndef STRATA_PAGEMAP_H
#define STRATA_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>
#include "strata/util.h"

#define PAGEMAP_VERSION 2 /* 2: segments */
#define PAGEMAP_MAX_SIZE (1ULL << 30)

#include <stdbool.h>

/*
 * Why a chunk ended: the chunker cut after its last row (a decision on its
 * own rows), the table ended, or the chunker cut before the next row (a
 * decision on that row's length too) - which then is in the chunk's last
 * leaf (END_BEFORE) or the first row of the leaf after it (END_BEFORE_NEXT,
 * whose span covers that leaf as well).
 */
enum { PAGEMAP_END_CUT = 1, PAGEMAP_END_TABLE, PAGEMAP_END_BEFORE, PAGEMAP_END_BEFORE_NEXT };

struct pagemap_chunk {
	uint32_t k;         /* its index in the generation's table (manifest order) */
	uint8_t first[16];  /* sqlpage_leaves_hash of its first leaf alone */
	uint8_t span[16];   /* ... of its nleaves leaves (and the next one for END_BEFORE_NEXT) */
	uint32_t start_cell, nleaves, end_cell;
	uint8_t end;        /* PAGEMAP_END_* */
	uint8_t *classes;   /* ncols bytes: what each column holds (pgschema.h), owned */
};

/*
 * A segment of a chunk (format 3 bodies, strata/frames.h), recorded when
 * it ended by its own rows (PAGEMAP_END_CUT) or at the table's end: a
 * later backup at a segment boundary on the same leaf and cell, whose
 * leaves hash to span, takes the segment from segment si of its chunk k
 * (its body's bytes copied, not decoded) when the chunk it is building
 * would not be cut inside it: fire_end, the end (bytes of typed rows from
 * the segment's start) of its last row but one whose key fires at the
 * chunk's average (0: none), must stay under the chunk's minimum, and
 * the whole segment under its maximum.  It then ends where it did when it
 * ended by its own rule (SEG_OWN), or when the chunk is cut after its
 * last row (SEG_LAST_FIRES and the chunk's minimum reached).
 *
 * Maps written since catalog schema 11 hold no segments: each chunk's are
 * in its own list (struct pagemap_segs below), so that a backup reads and
 * writes only those of the chunks that changed.  Older maps' segments are
 * still decoded (and not used).
 */
enum { PAGEMAP_SEG_OWN = 1, PAGEMAP_SEG_LAST_FIRES = 2 };

struct pagemap_seg {
	uint32_t k, si;        /* its chunk's index in the generation's table, its index there */
	uint8_t first[16], span[16];
	uint32_t start_cell, nleaves, end_cell;
	uint8_t end;           /* PAGEMAP_END_CUT or PAGEMAP_END_TABLE */
	uint8_t flags;         /* PAGEMAP_SEG_* */
	uint32_t nrows, typed_len, csv_len, fire_end; /* typed_len: its rows, no header */
	uint64_t jsonl_len, sql_len;
	uint8_t id[16];        /* the segment id (frames.h) */
	uint8_t *first_key, *last_key; /* in the table's arena */
	uint32_t first_len, last_len;
	uint8_t *classes;      /* ncols bytes, in the table's arena */
};

struct pagemap_table {
	char *name;
	uint8_t ident[16];
	unsigned ncols;
	size_t nchunks;
	struct pagemap_chunk *chunks; /* decoded: sorted by (first, start_cell) for pagemap_find */
	size_t nsegs;
	struct pagemap_seg *segs;     /* in (k, si) order */
	uint32_t *seg_order;          /* decoded: segs' indexes sorted by (first, start_cell) */
	void *arena;                  /* blocks holding the segments' keys and classes */
};

struct pagemap {
	size_t ntables;
	struct pagemap_table *tables;
};

void pagemap_encode(const struct pagemap *pm, struct buf *out);
/* Parse and check (a damaged or foreign blob is -EUCLEAN, never a crash); on failure *pm is empty. */
int pagemap_decode(const uint8_t *p, size_t n, struct pagemap *pm);
void pagemap_release(struct pagemap *pm);
/* Append a table (name copied); its chunks are added with pagemap_add. */
struct pagemap_table *pagemap_add_table(struct pagemap *pm, const char *name,
					const uint8_t ident[16], unsigned ncols);
/* Append a chunk (classes copied, ncols bytes) to a table made by pagemap_add_table, not a decoded one. */
void pagemap_add(struct pagemap_table *t, const struct pagemap_chunk *c);
/* The table of that name, or NULL. */
const struct pagemap_table *pagemap_table(const struct pagemap *pm, const char *name);
/* The chunk that starts at cell `cell` of a leaf hashing to first, or NULL (a decoded table). */
const struct pagemap_chunk *pagemap_find(const struct pagemap_table *t, const uint8_t first[16],
					 uint32_t cell);
/* Append a segment (keys and classes copied), in (k, si) order, to a table made by pagemap_add_table. */
void pagemap_add_seg(struct pagemap_table *t, const struct pagemap_seg *g);
/* The segment that starts at cell `cell` of a leaf hashing to first, or NULL (a decoded table). */
const struct pagemap_seg *pagemap_find_seg(const struct pagemap_table *t, const uint8_t first[16],
					   uint32_t cell);
/* The first of chunk k's segments (they follow in si order), or NULL. */
const struct pagemap_seg *pagemap_chunk_segs(const struct pagemap_table *t, uint32_t k, size_t *n);

/*
 * One chunk's segment records, kept apart from the page map (maps written
 * since catalog schema 11 hold only chunk records: the catalog's segmaps,
 * keyed by table ident and chunk id, docs/FORMAT.md "Segment lists"), so that a backup writes
 * the records of the chunks it built and reads those of the chunks whose
 * take failed, not all of them.  The encoding: "STSG", a version byte,
 * varint ncols, varint n, per segment the page map's segment fields
 * without k (si strictly increasing), then XXH3-64 of everything before,
 * u64 LE.
 */
#define PAGEMAP_SEGS_VERSION 1

void pagemap_segs_encode(const struct pagemap_seg *g, size_t n, unsigned ncols, struct buf *out);

/* Records loaded chunk by chunk, found by where they start; set ncols, the rest zero. */
struct pagemap_segs {
	unsigned ncols;
	struct pagemap_seg **slots; /* open addressing by (first, start_cell); records in the arena */
	size_t nslots, n;
	void *arena;
};
/*
 * Add the records of a blob as those of chunk k (their k), checked whole
 * first (a damaged or foreign blob is -EUCLEAN and adds nothing).  A
 * record starting where a loaded one starts is not indexed.  Records stay
 * where they are until pagemap_segs_release.
 */
int pagemap_segs_load(struct pagemap_segs *s, uint32_t k, const uint8_t *p, size_t n);
const struct pagemap_seg *pagemap_segs_find(const struct pagemap_segs *s, const uint8_t first[16],
					    uint32_t cell);
void pagemap_segs_release(struct pagemap_segs *s);

#endif
