/* Fuzz pack_parse (and chunk_decode of what it yields). */
#include "fuzz.h"
#include "strata/pack.h"

#include <string.h>
#include <xxhash.h>

static ZSTD_DCtx *dctx;
static void one(const uint8_t *data, size_t size);

/* As is, and with the index checksum fixed up (to get past the xxh3). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size);
	if (size >= PACK_HEADER_SIZE + PACK_TRAILER_SIZE) {
		uint64_t ioff = get_u64le(data + size - PACK_TRAILER_SIZE);
		if (ioff >= PACK_HEADER_SIZE && ioff <= size - PACK_TRAILER_SIZE) {
			uint8_t *copy = malloc(size);
			memcpy(copy, data, size);
			put_u64le(copy + size - 16,
				  XXH3_64bits(copy + ioff, size - PACK_TRAILER_SIZE - ioff));
			one(copy, size);
			free(copy);
		}
	}
	return 0;
}

static void one(const uint8_t *data, size_t size)
{
	struct pack_entry *e = NULL;
	size_t n = 0;
	int rc = pack_parse(data, size, &e, &n);

	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN || rc == -EBADMSG);
	if (rc) {
		FUZZ_ASSERT(e == NULL && n == 0);
		return;
	}
	if (!dctx)
		dctx = ZSTD_createDCtx();
	uint64_t ioff = get_u64le(data + size - PACK_TRAILER_SIZE);
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(e[i].offset >= PACK_HEADER_SIZE && e[i].clen > 0 &&
			    e[i].offset + e[i].clen <= ioff && ioff <= size);
		if (i)
			FUZZ_ASSERT(e[i - 1].offset + e[i - 1].clen <= e[i].offset);
		if (e[i].ulen <= (1u << 20)) {
			uint8_t *out = NULL;
			rc = chunk_decode(data + e[i].offset, e[i].clen, &e[i], dctx, &out);
			FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN || rc == -EBADMSG);
			FUZZ_ASSERT((rc == 0) == (out != NULL));
			if (out) {
				struct chunk_id id;
				chunk_id_of(&id, out, e[i].ulen);
				FUZZ_ASSERT(!memcmp(&id, &e[i].id, 16));
			}
			free(out);
		}
	}
	free(e);
}
