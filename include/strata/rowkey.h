/*
 * rowkey.h - rows by their key: the names a user gives a key in the
 * mount's key/ directories (docs/FORMAT.md "Key names"), and the rows of a
 * chunk one by one.  Pure functions, fuzzed (tests/fuzz/fuzz_keyname.c).
 *
 * A key name is the key's values joined by ',': an integer in decimal
 * ("42", "-7"), a real as a decimal number ("2.5", "1e+300"), a blob as
 * x'<hex>', text as itself; in every value '%', ',', '/' and the bytes
 * below 0x20 and 0x7F are written %XX (two hex digits, either case).  A
 * value that reads as a number may also be text, so a name stands for up
 * to KEYNAME_MAX_CANDIDATES keys, the numeric and blob readings first, the
 * all-text reading always among them (last).
 */
#ifndef STRATA_ROWKEY_H
#define STRATA_ROWKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strata/rowcodec.h"
#include "strata/util.h"

#define KEYNAME_MAX_CANDIDATES 16

/*
 * The encoded keys (rowcodec.h) a name of n bytes stands for, most likely
 * first: *ncands of them in cands[] (each reset and filled).  -EINVAL if
 * it is not a key name (an escape that is not %XX, more than 64 values).
 */
int keyname_parse(const char *name, size_t n, struct buf cands[KEYNAME_MAX_CANDIDATES],
		  size_t *ncands);

/* The number of values of an encoded key (0 if malformed). */
unsigned key_values(const uint8_t *key, size_t n);

/*
 * Walk the rows of a typed chunk: fn gets each row's encoded key and its
 * bytes (its values as encoded in the chunk) until it returns non-zero,
 * which is returned.  *hdr_len: the length of the chunk's shape header,
 * which with one row's bytes makes a one-row chunk.  -EUCLEAN if malformed.
 */
int chunk_rows_each(const uint8_t *chunk, size_t n, size_t *hdr_len,
		    int (*fn)(void *arg, const uint8_t *key, size_t klen, const uint8_t *row,
			      size_t rlen),
		    void *arg);

#endif
