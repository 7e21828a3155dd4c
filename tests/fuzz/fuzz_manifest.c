/* Fuzz manifest_decode: never crash; what decodes re-encodes and decodes again. */
#include "fuzz.h"
#include "strata/manifest.h"
#include "strata/rowcodec.h"

#include <string.h>
#include <xxhash.h>

static void one(const uint8_t *data, size_t size);

/* A path component: 1..max bytes, not . or .., no '/' and no control byte. */
static int safe(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* A key as writers encode it: 1..2048 values and nothing after them. */
static int key_ok(const uint8_t *k, size_t n)
{
	struct rd r;
	uint64_t nk;
	struct value v;
	rd_init(&r, k, n);
	if (rd_count(&r, KEY_MAX_COLUMNS, &nk) || nk == 0)
		return 0;
	for (uint64_t i = 0; i < nk; i++)
		if (value_decode(&r, &v))
			return 0;
	return rd_left(&r) == 0;
}

/*
 * Each input is decoded as is, and again with its checksum fixed up, so
 * that mutations reach the structural checks behind the xxh3.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_with_checksum_fixed(data, size, 20, one);
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
	FUZZ_ASSERT(m.seq > 0 && m.seq < (1u << 24));
	FUZZ_ASSERT(m.name && safe(m.name, 255) && strcmp(m.name, "latest"));
	/* years 0000 .. 9999 */
	FUZZ_ASSERT(m.time >= INT64_C(-62167219200) && m.time <= INT64_C(253402300799));
	FUZZ_ASSERT(m.ntables <= MANIFEST_MAX_TABLES);
	for (size_t i = 0; i < m.ntables; i++) {
		const struct manifest_table *t = &m.tables[i];
		uint64_t rows = 0, csv = 0;
		/* a directory holding "<dirname>.csv", beside the generation's files */
		FUZZ_ASSERT(t->dirname && safe(t->dirname, 251));
		FUZZ_ASSERT(strcmp(t->dirname, "schema.sql") && strcmp(t->dirname, "generation.json"));
		for (size_t j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(t->dirname, m.tables[j].dirname));
		FUZZ_ASSERT(t->nchunks <= MANIFEST_MAX_CHUNKS);
		for (size_t k = 0; k < t->nchunks; k++) {
			const struct manifest_chunk *c = &t->chunks[k];
			FUZZ_ASSERT(c->nrows >= 1 && c->nrows <= c->ulen && c->ulen <= CHUNK_MAX_ULEN);
			FUZZ_ASSERT(c->csv_len <= c->ulen * 8 + c->nrows * 4096);
			FUZZ_ASSERT(key_ok(c->first_key, c->first_len) && key_ok(c->last_key, c->last_len));
			FUZZ_ASSERT(key_compare(c->first_key, c->first_len, c->last_key, c->last_len) <= 0);
			if (k)
				FUZZ_ASSERT(key_compare(t->chunks[k - 1].last_key, t->chunks[k - 1].last_len,
							c->first_key, c->first_len) < 0);
			FUZZ_ASSERT(!__builtin_add_overflow(rows, c->nrows, &rows));
			FUZZ_ASSERT(!__builtin_add_overflow(csv, c->csv_len, &csv));
		}
		FUZZ_ASSERT(rows == t->nrows && csv == t->csv_size && csv <= INT64_MAX);
	}
	manifest_encode(&m, &b);
	FUZZ_ASSERT(manifest_decode(b.data, b.len, &m2) == 0);
	manifest_encode(&m2, &b2);
	FUZZ_ASSERT(b.len == b2.len && !memcmp(b.data, b2.data, b.len));
	manifest_release(&m2);
	manifest_release(&m);
	buf_release(&b);
	buf_release(&b2);
}
