/*
 * naming.h - file names derived from database content (docs/FORMAT.md,
 * "Names").  Every result is a single safe path component: never empty,
 * never "." or "..", no '/', no NUL, no control bytes, at most 255 bytes.
 */
#ifndef STRATA_NAMING_H
#define STRATA_NAMING_H

#include "strata/util.h"

#define NAME_KEY_MAX 100   /* encoded key chars kept before truncation */
#define NAME_TABLE_MAX 200 /* escaped table name bytes kept before truncation */

/*
 * Append the order-preserving encoding of an encoded key (rowcodec key) to
 * out: `LC_ALL=C` byte order of the results equals SQLite's key order for
 * integer, text and blob keys.  Malformed keys encode as 'z' + hex.
 */
void name_key(struct buf *out, const uint8_t *key, size_t n);

/* "<name_key(first)>+<name_key(last)>.csv"; caller frees. */
char *name_range(const uint8_t *first, size_t fn, const uint8_t *last, size_t ln,
		 const char *ext);

/* Directory name of a table, escaped (%XX) and bounded; caller frees. */
char *name_table_dir(const char *name);

#endif
