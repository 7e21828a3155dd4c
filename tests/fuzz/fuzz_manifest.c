/* Fuzz manifest_decode: never crash; what decodes re-encodes and decodes again. */
#include "fuzz.h"
#include "strata/manifest.h"

#include <string.h>
#include <xxhash.h>

static void one(const uint8_t *data, size_t size);

/*
 * Each input is decoded as is, and again with its checksum fixed up, so
 * that mutations reach the structural checks behind the xxh3.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size);
	if (size >= 20) {
		uint8_t *copy = malloc(size);
		memcpy(copy, data, size);
		put_u64le(copy + size - 8, XXH3_64bits(copy, size - 8));
		one(copy, size);
		free(copy);
	}
	return 0;
}

static void one(const uint8_t *data, size_t size)
{
	struct manifest m, m2;
	struct buf b = BUF_INIT, b2 = BUF_INIT;
	int rc = manifest_decode(data, size, &m);

	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN || rc == -EBADMSG || rc == -EPROTONOSUPPORT);
	if (rc) {
		FUZZ_ASSERT(m.name == NULL && m.tables == NULL);
		return;
	}
	FUZZ_ASSERT(m.seq > 0 && m.name && strcmp(m.name, ".") && strcmp(m.name, "..") &&
		    !strchr(m.name, '/'));
	for (size_t i = 0; i < m.ntables; i++)
		FUZZ_ASSERT(m.tables[i].dirname && !strchr(m.tables[i].dirname, '/'));
	manifest_encode(&m, &b);
	FUZZ_ASSERT(manifest_decode(b.data, b.len, &m2) == 0);
	manifest_encode(&m2, &b2);
	FUZZ_ASSERT(b.len == b2.len && !memcmp(b.data, b2.data, b.len));
	manifest_release(&m2);
	manifest_release(&m);
	buf_release(&b);
	buf_release(&b2);
}
