/*
 * tablediff.h - the rows that differ between two versions of a table, by
 * key, reading only the chunks whose ids differ (docs/FORMAT.md
 * "changes.csv").
 *
 * A chunk id is a hash of its rows, and the rows of one table version
 * have unique keys, so a row held by a chunk both versions list is the
 * same row in both: every difference lies in the chunks only one version
 * lists.  Those are read in key order on both sides and merged by key:
 * a key only in the old rows is a delete (old values), only in the new
 * rows an insert, in both with other values an update (new values).
 *
 * Keys compare as the user's key: the declared primary key (a key-ordered
 * rowid table's trailing rowid is not part of it), else the rowid.  When
 * the two versions are not in the same key order (the key changed, or the
 * older one predates key order) no merge is possible: every old row is a
 * delete, then every new row an insert, and *replaced says so.
 */
#ifndef STRATA_TABLEDIFF_H
#define STRATA_TABLEDIFF_H

#include <stdbool.h>

#include "strata/catalog.h"
#include "strata/reader.h"

enum tdiff_op { TDIFF_INSERT = 0, TDIFF_UPDATE = 1, TDIFF_DELETE = 2 };
const char *tdiff_op_name(enum tdiff_op op);

/* One version of a table: tidx < 0 for "not in that generation". */
struct tdiff_side {
	uint64_t seq;
	int64_t tidx;
	unsigned flags; /* manifest.h table_flags */
};

/*
 * Call fn for every differing row in key order with a one-row chunk
 * (rowcodec.h: shape header + the row) of the side it comes from (0 old,
 * 1 new) until it returns non-zero, which is returned.  Chunks are read
 * through rd (errors logged there: -EIO).  -EUCLEAN: a chunk that does
 * not decode; -ENODATA: the catalog lacks a chunk of a side (its pack).
 */
int table_diff(struct catalog *c, struct reader *rd, const struct tdiff_side *old,
	       const struct tdiff_side *new, bool *replaced,
	       int (*fn)(void *arg, enum tdiff_op op, int side, const struct buf *onerow),
	       void *arg);

#endif
