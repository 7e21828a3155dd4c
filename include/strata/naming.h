/*
 * naming.h - file names derived from database content (docs/FORMAT.md,
 * "Names").  Every result is a single safe path component: never empty,
 * never "." or "..", no '/', no NUL, no control bytes, at most 255 bytes.
 */
#ifndef STRATA_NAMING_H
#define STRATA_NAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strata/util.h"

#define NAME_KEY_MAX 100   /* encoded key chars kept before truncation */
#define NAME_TABLE_MAX 200 /* escaped table name bytes kept before truncation */

/*
 * Append the order-preserving encoding of an encoded key (rowcodec key) to
 * out: `LC_ALL=C` byte order of the results equals SQLite's key order for
 * integer, text and blob keys.  Malformed keys encode as 'z' + hex.
 */
void name_key(struct buf *out, const uint8_t *key, size_t n);
/*
 * The same of the first maxvals values only: a key-ordered rowid table
 * (manifest.h TABLE_KEY_ORDER) is named by its declared key, without the
 * trailing rowid, which only keys holding a NULL need to stay unique.
 */
void name_key_n(struct buf *out, const uint8_t *key, size_t n, uint64_t maxvals);

/* "<name_key(first)>+<name_key(last)>.csv"; caller frees. */
char *name_range(const uint8_t *first, size_t fn, const uint8_t *last, size_t ln,
		 const char *ext);
/*
 * The same naming each key by its first maxvals values, or by all of them
 * when one of those is NULL (so names stay unique: keys without NULLs are).
 */
char *name_range_n(const uint8_t *first, size_t fn, const uint8_t *last, size_t ln,
		   uint64_t maxvals, const char *ext);

/*
 * Huge tables: rows/ of a table with more than ROWS_FLAT_MAX chunks holds
 * key-range directories ("groups") of consecutive chunks instead of the
 * files, so no directory lists more than a few thousand entries.  A group
 * ends after a chunk whose id's first 8 bytes (LE) are 0 modulo
 * ROWS_GROUP_AVG, or at ROWS_GROUP_MAX chunks: content-defined, so
 * unchanged key ranges keep their directory names from one generation to
 * the next and `diff -r` pairs them.
 */
#define ROWS_FLAT_MAX 4096
#define ROWS_GROUP_AVG 1024
#define ROWS_GROUP_MAX 4096
static inline bool rows_group_ends(uint64_t id_head, size_t n)
{
	return n >= ROWS_GROUP_MAX || id_head % ROWS_GROUP_AVG == 0;
}

/*
 * A group's directory name: "<first>+<last>" where first is the first key
 * part of its first chunk's file name and last the last key part of its
 * last chunk's (name_range(..., ".csv") results).  NULL if either is not
 * such a name.  Caller frees.
 */
char *name_group(const char *first_fname, const char *last_fname);

/*
 * The one rule for a name used as a path component (docs/FORMAT.md,
 * "Names"), checked on the bytes as stored, so a NUL inside fails too:
 * 1..max bytes, not "." or "..", no '/', no control byte (< 0x20 or 0x7F).
 * The manifest reader and the mount both apply it.
 */
bool name_is_safe(const void *s, size_t n, size_t max);

/*
 * Database names (docs/FORMAT.md, "Database names"): each source database
 * backed up into a repository has its own timeline, named by `strata
 * backup --name` or, without it, by db_name_default() of its path.
 * A name is 1..DB_NAME_MAX bytes of [A-Za-z0-9._-], not starting with '.'
 * or '-'.
 */
#define DB_NAME_MAX 64
bool db_name_ok(const char *name);
/* The name of a database at `source` without --name: its file name without
 * the last extension, other bytes mapped to '_' ("/srv/shop.db" -> "shop"). */
void db_name_default(const char *source, char out[DB_NAME_MAX + 1]);

/*
 * Generation names: the time, "2026-11-20T020000Z"; later generations of the
 * same second add "-002" .. "-999", fixed width so that byte order is
 * backup order.  (Before this rule, "-2", "-3" ... were written; they stay
 * as they are, and the catalog orders by time and seq, not by name.)
 */
#define GEN_SAME_SECOND_MAX 999

/* Directory name of a table, escaped (%XX) and bounded; caller frees. */
char *name_table_dir(const char *name);

#endif
