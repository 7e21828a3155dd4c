/*
 * pack.h - pack files: immutable containers of compressed chunks.
 *
 * Layout (docs/FORMAT.md, "Packs"); integers little-endian:
 *   header   16 bytes: "STRPACK\0", u32 version (1), u32 0
 *   frames   one zstd frame per chunk, back to back
 *   index    count entries of PACK_ENTRY_SIZE bytes:
 *            id[16] (xxh3-128 of the uncompressed chunk, big-endian halves),
 *            u64 offset, u32 clen, u32 ulen, u64 nrows, u64 csv_len
 *   trailer  32 bytes: u64 index offset, u32 count, u32 version,
 *            u64 xxh3-64 of the index bytes, "STRPEND\0"
 * A pack is named after the xxh3-128 of its index (32 hex digits) and lives
 * at packs/<first 2 hex>/<name>.pack.  It is written to a temporary file and
 * stored whole (strata/store.h), so a pack either exists whole or not at all.
 */
#ifndef STRATA_PACK_H
#define STRATA_PACK_H

#include <stdbool.h>
#include <stdint.h>
#include <zstd.h>
#include "strata/store.h"
#include "strata/util.h"

#define PACK_VERSION 1
#define PACK_HEADER_SIZE 16
#define PACK_ENTRY_SIZE 48
#define PACK_TRAILER_SIZE 32
#define PACK_MAX_ENTRIES (1u << 22)
/* Largest uncompressed chunk accepted from disk: bounds every allocation. */
#define CHUNK_MAX_ULEN (UINT64_C(1) << 31)

struct chunk_id {
	uint8_t b[16];
};

struct pack_entry {
	struct chunk_id id;
	uint64_t offset;
	uint32_t clen;
	uint32_t ulen;
	uint64_t nrows;
	uint64_t csv_len;
};

/*
 * An index node (strata/idxnode.h), not a chunk: nrows and csv_len 0 (a
 * chunk always has rows).  Its body is one zstd frame of the node's bytes.
 */
static inline bool pack_entry_is_node(const struct pack_entry *e)
{
	return e->nrows == 0 && e->csv_len == 0;
}

void chunk_id_of(struct chunk_id *id, const void *data, size_t n);
void chunk_id_hex(char out[33], const struct chunk_id *id);

struct pack_writer;

/* Start a pack for store.  The writer owns its temporary file. */
int pack_writer_open(struct pack_writer **w, struct store *store);
/* Append one compressed chunk; e->offset is filled in. */
int pack_writer_add(struct pack_writer *w, struct pack_entry *e, const void *cdata);
uint64_t pack_writer_size(const struct pack_writer *w);
size_t pack_writer_count(const struct pack_writer *w);
/*
 * Write index and trailer and store the pack as packs/<xx>/<name>.pack
 * (durable before it is visible).  name receives the 32-hex pack name.
 * Frees w, also on failure.
 */
int pack_writer_finish(struct pack_writer *w, char name[33]);
/* Remove the temporary file and free w (NULL is fine). */
void pack_writer_abort(struct pack_writer *w);

/*
 * Read and check a pack's trailer and index.  *entries (caller frees) is
 * sorted by offset; every entry lies inside the frame area.  -EUCLEAN for a
 * bad structure, -EBADMSG for a checksum mismatch.
 */
int pack_read_index(struct store_file *f, struct pack_entry **entries, size_t *n,
		    uint64_t *file_size);
/* Parse an index from memory (the whole pack file); used by the fuzzer too. */
int pack_parse(const uint8_t *data, size_t size, struct pack_entry **entries, size_t *n);

/*
 * Read one chunk: pread the frame, decompress (dctx reused by the caller's
 * thread), and verify the xxh3-128 against e->id.  *out is malloc'ed, *out
 * and ulen bytes long.  -EBADMSG: the bytes do not match the id (never
 * served); -EUCLEAN: the frame does not decode or has the wrong size.
 */
int chunk_read(struct store_file *f, const struct pack_entry *e, ZSTD_DCtx *dctx, uint8_t **out);
/* Decode and verify a compressed frame already in memory. */
int chunk_decode(const void *cdata, size_t clen, const struct pack_entry *e,
		 ZSTD_DCtx *dctx, uint8_t **out);

#endif
