/* Shared bits of the fuzz targets. */
#ifndef STRATA_FUZZ_H
#define STRATA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional one-time setup (libFuzzer calls it when a target defines it). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An invariant violation: abort so both libFuzzer and regress.c report it. */
#define FUZZ_ASSERT(cond)                                                              \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__,  \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

/*
 * Run one(data, size), then, for inputs of at least min bytes, one() again
 * on a copy whose last 8 bytes are the XXH3-64 of the rest (u64 LE): the
 * formats that end in such a checksum (manifests, page maps) then reach
 * their structural checks behind it.
 */
static inline void fuzz_with_checksum_fixed(const uint8_t *data, size_t size, size_t min,
					    void (*one)(const uint8_t *, size_t))
{
	one(data, size);
	if (size >= min && size >= 8) {
		uint8_t *copy = malloc(size);
		memcpy(copy, data, size);
		uint64_t h = XXH3_64bits(copy, size - 8);
		for (int i = 0; i < 8; i++)
			copy[size - 8 + i] = (uint8_t)(h >> (8 * i));
		one(copy, size);
		free(copy);
	}
}

#endif
