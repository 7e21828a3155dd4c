/*
 * idxnode.h - index nodes in the repository (manifest version 5, see
 * strata/manifest.h and docs/FORMAT.md "Index nodes"): storing a
 * generation's new nodes in a pack, reading nodes back, and loading a
 * manifest with its nodes.
 *
 * A node is a pack entry with nrows 0 and csv_len 0 (a chunk always has
 * rows) whose body is one zstd frame of the node's bytes; chunk_read()
 * checks them against the id, the XXH3-128 of those bytes.
 */
#ifndef STRATA_IDXNODE_H
#define STRATA_IDXNODE_H

#include "strata/catalog.h"
#include "strata/manifest.h"
#include "strata/repo.h"

/*
 * Cut m's tables into nodes (manifest_make_nodes) and write those the
 * repository lacks (have(arg, id) false; have NULL: all) into one new pack,
 * fsynced before this returns, as the chunks are before their manifest.
 * *bytes: that pack's size (0 when every node was there).
 */
int idxnode_store(const struct repo *r, struct manifest *m,
		  bool (*have)(void *arg, const struct chunk_id *id), void *have_arg,
		  uint64_t *bytes);

/*
 * Where a node is: its nth copy's pack entry and pack name (nth = 0 the
 * one to try first), -ENOENT past the last.  The default goes through the
 * catalog (the copy it serves, then chunk_copies); verify and prune, which
 * trust only the packs, pass their own.
 */
typedef int (*idxnode_where)(void *arg, const struct chunk_id *id, unsigned nth,
			     struct pack_entry *e, char pack[33]);

struct idxnode_reader {
	const struct repo *r;
	struct catalog *cat;      /* for the default lookup */
	idxnode_where where;      /* NULL: through cat */
	void *where_arg;
	ZSTD_DCtx *dctx;          /* created on first use; idxnode_reader_done frees it */
};

/*
 * A manifest_node_get over a struct idxnode_reader: the first copy that
 * reads intact.  -ENOENT no such node, -EUCLEAN not a node, -EBADMSG every
 * copy damaged.
 */
int idxnode_get(void *reader, const struct chunk_id *id, uint8_t **data, size_t *len);
void idxnode_reader_done(struct idxnode_reader *rd);

/*
 * Read generations/<name>.gen (a regular file, at most MANIFEST_MAX_SIZE
 * bytes), decode it and, with rd, load its nodes.  *bytes (may be NULL):
 * the file's size.  Errors as read_file, manifest_decode, idxnode_get.
 */
int manifest_load(const struct repo *r, const char *name, struct idxnode_reader *rd,
		  struct manifest *m, size_t *bytes);

#endif
