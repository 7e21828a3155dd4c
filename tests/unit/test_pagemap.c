/*
 * Unit tests for lib/pagemap.c (the page maps of incremental backups):
 * a map built with pagemap_add_table / pagemap_add survives encode and
 * decode field for field (decode sorts each table's chunks by first and
 * start_cell); pagemap_table and pagemap_find hit and miss as they should;
 * every truncation and every changed byte of an encoding is -EUCLEAN and
 * never a crash; content that is wrong behind a valid checksum (magic,
 * version, end kind, nleaves, duplicate starts, counts, trailing bytes)
 * is refused too; a failed decode leaves the map empty, and release is
 * safe on built, decoded and empty maps.
 */
#include "check.h"
#include "strata/pagemap.h"

#include <stdint.h>
#include <xxhash.h>

/* A deterministic 16-byte "hash" standing for sqlpage_leaves_hash. */
static void h16(uint8_t out[16], uint32_t seed)
{
	unsigned long long s = seed;
	uint64_t a = test_rand(&s), b = test_rand(&s);
	put_u64le(out, a);
	put_u64le(out + 8, b);
}

static void add_chunk(struct pagemap_table *t, uint32_t k, uint32_t first_seed, uint32_t span_seed,
		      uint32_t start, uint32_t nleaves, uint32_t end_cell, uint8_t end)
{
	uint8_t classes[64];
	struct pagemap_chunk c = { .k = k, .start_cell = start, .nleaves = nleaves,
				   .end_cell = end_cell, .end = end, .classes = classes };
	for (unsigned i = 0; i < sizeof(classes); i++)
		classes[i] = (uint8_t)(k * 31 + i * 7 + 1);
	h16(c.first, first_seed);
	h16(c.span, span_seed);
	pagemap_add(t, &c);
}

#define MANY 300

/*
 * Four tables: "t" (3 columns, chunks added out of (first, start_cell)
 * order, two of them on one leaf at different cells, extreme values),
 * "empty" (2 columns, no chunk), "order items/2024" (no column, 3 chunks,
 * one sharing "t"'s first leaf and cell) and "many" (7 columns, MANY chunks).
 */
static void build(struct pagemap *pm)
{
	uint8_t ident[16];
	memset(pm, 0, sizeof(*pm));

	h16(ident, 1000);
	struct pagemap_table *t = pagemap_add_table(pm, "t", ident, 3);
	add_chunk(t, 4, 50, 51, 9, 3, 2, PAGEMAP_END_BEFORE_NEXT);
	add_chunk(t, 0, 10, 11, 0, 1, 17, PAGEMAP_END_CUT);
	add_chunk(t, 1, 10, 12, 18, 2, 0, PAGEMAP_END_CUT); /* same leaf as chunk 0 */
	add_chunk(t, 2, 20, 21, 5, 1, 5, PAGEMAP_END_TABLE); /* one row: end_cell == start_cell */
	add_chunk(t, UINT32_MAX, 30, 31, UINT32_MAX, UINT32_MAX, UINT32_MAX, PAGEMAP_END_TABLE);

	h16(ident, 1001);
	pagemap_add_table(pm, "empty", ident, 2);

	h16(ident, 1002);
	t = pagemap_add_table(pm, "order items/2024", ident, 0);
	add_chunk(t, 2, 60, 61, 3, 1, 9, PAGEMAP_END_TABLE);
	add_chunk(t, 0, 10, 62, 0, 4, 1, PAGEMAP_END_CUT); /* "t"'s chunk 0's leaf and cell */
	add_chunk(t, 1, 70, 71, 128, 1, 300, PAGEMAP_END_BEFORE); /* two-byte varints */

	h16(ident, 1003);
	t = pagemap_add_table(pm, "many", ident, 7);
	for (uint32_t i = 0; i < MANY; i++)
		add_chunk(t, i, 5000 + i / 2, 9000 + i, (i & 1) * 100 + (i % 7), 1 + i % 5, 200,
			  i == MANY - 1 ? PAGEMAP_END_TABLE : PAGEMAP_END_CUT + i % 4);
}

static int chunk_cmp(const struct pagemap_chunk *x, const struct pagemap_chunk *y)
{
	int c = memcmp(x->first, y->first, 16);
	if (c)
		return c;
	return x->start_cell < y->start_cell ? -1 : x->start_cell > y->start_cell;
}

static int chunk_eq(const struct pagemap_chunk *x, const struct pagemap_chunk *y, unsigned ncols)
{
	return x->k == y->k && !memcmp(x->first, y->first, 16) && !memcmp(x->span, y->span, 16) &&
	       x->start_cell == y->start_cell && x->nleaves == y->nleaves &&
	       x->end_cell == y->end_cell && x->end == y->end && x->classes && y->classes &&
	       !memcmp(x->classes, y->classes, ncols);
}

/*
 * b (decoded) holds what a (built) holds: the same tables in order, each
 * with the same chunks, sorted strictly by (first, start_cell).
 */
static void same(const struct pagemap *a, const struct pagemap *b)
{
	CHECKF(a->ntables == b->ntables, "%zu tables, decoded %zu", a->ntables, b->ntables);
	for (size_t i = 0; i < a->ntables && i < b->ntables; i++) {
		const struct pagemap_table *x = &a->tables[i], *y = &b->tables[i];
		CHECKF(x->name && y->name && !strcmp(x->name, y->name), "table %zu name", i);
		CHECK(!memcmp(x->ident, y->ident, 16));
		CHECK(x->ncols == y->ncols);
		CHECKF(x->nchunks == y->nchunks, "table %zu: %zu chunks, decoded %zu", i,
		       x->nchunks, y->nchunks);
		for (size_t k = 1; k < y->nchunks; k++)
			CHECKF(chunk_cmp(&y->chunks[k - 1], &y->chunks[k]) < 0,
			       "table %zu: chunks %zu, %zu not in order", i, k - 1, k);
		/* each built chunk is in the decoded table (a bijection: keys are distinct) */
		for (size_t k = 0; k < x->nchunks; k++) {
			const struct pagemap_chunk *c = &x->chunks[k], *d = NULL;
			for (size_t j = 0; j < y->nchunks && !d; j++)
				if (!chunk_cmp(c, &y->chunks[j]))
					d = &y->chunks[j];
			CHECKF(d && chunk_eq(c, d, x->ncols), "table %zu chunk %zu", i, k);
		}
		/* the decoded classes are the map's own copies */
		for (size_t k = 0; k < x->nchunks && k < y->nchunks; k++)
			CHECK(x->chunks[k].classes != y->chunks[k].classes);
	}
}

static void roundtrip(void)
{
	struct pagemap pm, d, d2;
	struct buf b = BUF_INIT, b2 = BUF_INIT, b3 = BUF_INIT;

	build(&pm);
	CHECK(pm.ntables == 4 && pm.tables[3].nchunks == MANY && pm.tables[1].nchunks == 0);
	pagemap_encode(&pm, &b);
	CHECK(b.len > 13 && !memcmp(b.data, "STPM", 4) && b.data[4] == PAGEMAP_VERSION);
	CHECK(get_u64le(b.data + b.len - 8) == XXH3_64bits(b.data, b.len - 8));
	memset(&d, 0xa5, sizeof(d)); /* decode must not look at what was there */
	CHECK(pagemap_decode(b.data, b.len, &d) == 0);
	same(&pm, &d);

	/* encoding is deterministic, and decode's order is a fixed point */
	pagemap_encode(&pm, &b2);
	CHECK(b2.len == b.len && !memcmp(b.data, b2.data, b.len));
	buf_reset(&b2);
	pagemap_encode(&d, &b2);
	CHECK(b2.len == b.len); /* the same records, in another order */
	CHECK(pagemap_decode(b2.data, b2.len, &d2) == 0);
	same(&pm, &d2);
	pagemap_encode(&d2, &b3);
	CHECK(b3.len == b2.len && !memcmp(b2.data, b3.data, b2.len));
	pagemap_release(&d2);

	/* encoding appends: a prefix in the buffer is kept and not hashed */
	buf_reset(&b3);
	buf_adds(&b3, "prefix");
	pagemap_encode(&pm, &b3);
	CHECK(b3.len == 6 + b.len && !memcmp(b3.data, "prefix", 6) &&
	      !memcmp(b3.data + 6, b.data, b.len));

	/* pagemap_table */
	const struct pagemap_table *t = pagemap_table(&d, "t");
	CHECK(t == &d.tables[0]);
	CHECK(pagemap_table(&d, "empty") == &d.tables[1]);
	CHECK(pagemap_table(&d, "order items/2024") == &d.tables[2]);
	CHECK(pagemap_table(&d, "many") == &d.tables[3]);
	CHECK(pagemap_table(&pm, "many") == &pm.tables[3]);
	CHECK(pagemap_table(&d, "T") == NULL);
	CHECK(pagemap_table(&d, "") == NULL);
	CHECK(pagemap_table(&d, "order items") == NULL);
	CHECK(pagemap_table(&d, "order items/20245") == NULL);
	CHECK(pagemap_table(&d, "manyx") == NULL);

	/* pagemap_find: every chunk by its own first leaf and cell */
	for (size_t i = 0; i < d.ntables; i++) {
		const struct pagemap_table *dt = &d.tables[i];
		for (size_t k = 0; k < dt->nchunks; k++) {
			const struct pagemap_chunk *c = &dt->chunks[k];
			CHECKF(pagemap_find(dt, c->first, c->start_cell) == c, "table %zu chunk %zu",
			       i, k);
		}
	}
	uint8_t f[16], g[16];
	const struct pagemap_chunk *c;
	h16(f, 10); /* two chunks of "t" on this leaf, at cells 0 and 18 */
	c = pagemap_find(t, f, 0);
	CHECK(c && c->k == 0 && c->start_cell == 0 && c->end_cell == 17);
	c = pagemap_find(t, f, 18);
	CHECK(c && c->k == 1 && c->nleaves == 2);
	CHECK(pagemap_find(t, f, 1) == NULL);
	CHECK(pagemap_find(t, f, 17) == NULL);
	CHECK(pagemap_find(t, f, 19) == NULL);
	CHECK(pagemap_find(t, f, UINT32_MAX) == NULL);
	/* the same leaf and cell in another table is that table's chunk */
	c = pagemap_find(&d.tables[2], f, 0);
	CHECK(c && c->k == 0 && c->nleaves == 4 && c->end == PAGEMAP_END_CUT);
	CHECK(pagemap_find(&d.tables[2], f, 18) == NULL);
	h16(f, 30);
	c = pagemap_find(t, f, UINT32_MAX);
	CHECK(c && c->k == UINT32_MAX && c->nleaves == UINT32_MAX && c->end == PAGEMAP_END_TABLE);
	CHECK(pagemap_find(t, f, UINT32_MAX - 1) == NULL);
	h16(g, 20);
	c = pagemap_find(t, g, 5);
	CHECK(c && c->k == 2 && c->end_cell == 5 && c->classes[0] == (uint8_t)(2 * 31 + 1) &&
	      c->classes[2] == (uint8_t)(2 * 31 + 15));
	/* other leaves: one of another table, one of no table, all 0 and all 0xff bytes */
	h16(f, 60);
	CHECK(pagemap_find(t, f, 3) == NULL);
	h16(f, 4242);
	CHECK(pagemap_find(t, f, 0) == NULL);
	memset(f, 0, 16);
	CHECK(pagemap_find(t, f, 0) == NULL);
	memset(f, 0xff, 16);
	CHECK(pagemap_find(t, f, UINT32_MAX) == NULL);
	/* a decoded table without chunks */
	h16(f, 10);
	CHECK(pagemap_find(&d.tables[1], f, 0) == NULL);
	/* "many": two chunks a leaf (cells i % 7 and 100 + i % 7) */
	const struct pagemap_table *mt = pagemap_table(&d, "many");
	for (uint32_t i = 0; i < MANY; i++) {
		h16(f, 5000 + i / 2);
		c = pagemap_find(mt, f, (i & 1) * 100 + (i % 7));
		CHECKF(c && c->k == i && c->nleaves == 1 + i % 5, "many: chunk %u", i);
		CHECK(pagemap_find(mt, f, 50) == NULL);
	}

	/* release: decoded, built, twice, and a zeroed map */
	pagemap_release(&d);
	CHECK(d.ntables == 0 && d.tables == NULL);
	pagemap_release(&d);
	CHECK(d.ntables == 0 && d.tables == NULL);
	pagemap_release(&pm);
	CHECK(pm.ntables == 0 && pm.tables == NULL);
	struct pagemap z = { 0 };
	pagemap_release(&z);

	/* no table at all */
	buf_reset(&b);
	pagemap_encode(&z, &b);
	CHECK(b.len == 4 + 1 + 1 + 8);
	CHECK(pagemap_decode(b.data, b.len, &d) == 0 && d.ntables == 0);
	pagemap_release(&d);
	CHECK(d.ntables == 0 && d.tables == NULL);

	buf_release(&b);
	buf_release(&b2);
	buf_release(&b3);
}

/* A decode that must fail: -EUCLEAN, and the map left empty. */
static void refused(const uint8_t *p, size_t n, const char *why)
{
	struct pagemap d;
	memset(&d, 0x5a, sizeof(d));
	int rc = pagemap_decode(p, n, &d);
	CHECKF(rc == -EUCLEAN, "%s: rc %d", why, rc);
	CHECKF(d.ntables == 0 && d.tables == NULL, "%s: map not left empty", why);
	if (rc == 0)
		pagemap_release(&d);
}

static void accepted(const uint8_t *p, size_t n, const char *why)
{
	struct pagemap d;
	int rc = pagemap_decode(p, n, &d);
	CHECKF(rc == 0, "%s: rc %d", why, rc);
	pagemap_release(&d);
}

/* Replace the checksum (the last 8 bytes) with the right one for the rest. */
static void rehash(uint8_t *p, size_t n)
{
	put_u64le(p + n - 8, XXH3_64bits(p, n - 8));
}

/* b with byte off set to v and the checksum fixed up must be refused. */
static void refused_patch(const struct buf *b, size_t off, uint8_t v, const char *why)
{
	uint8_t *copy = xmalloc(b->len);
	memcpy(copy, b->data, b->len);
	copy[off] = v;
	rehash(copy, b->len);
	refused(copy, b->len, why);
	free(copy);
}

/* A small map: one table "ab" of 2 columns, two chunks. */
static void small(struct buf *b)
{
	struct pagemap pm = { 0 };
	uint8_t ident[16];
	h16(ident, 7);
	struct pagemap_table *t = pagemap_add_table(&pm, "ab", ident, 2);
	add_chunk(t, 0, 1, 2, 0, 1, 3, PAGEMAP_END_CUT);
	add_chunk(t, 1, 3, 4, 4, 2, 1, PAGEMAP_END_TABLE);
	pagemap_encode(&pm, b);
	pagemap_release(&pm);
}

/* Offsets in small()'s encoding. */
enum {
	S_NTABLES = 5,
	S_NAME = 6,          /* 2, 'a', 'b' */
	S_NCOLS = 6 + 3 + 16,
	S_NCHUNKS = S_NCOLS + 1,
	S_CHUNK0 = S_NCHUNKS + 1,
	S_CHUNK_SIZE = 1 + 16 + 16 + 3 + 1 + 2,
	S_NLEAVES = 1 + 32 + 1,  /* within a chunk */
	S_END = 1 + 32 + 3,
	S_SIZE = S_CHUNK0 + 2 * S_CHUNK_SIZE + 8,
};

static void damage(void)
{
	struct buf b = BUF_INIT, big = BUF_INIT;
	struct pagemap pm;
	char why[64];

	small(&b);
	CHECKF(b.len == S_SIZE, "small encoding is %zu bytes", b.len);
	accepted(b.data, b.len, "small");
	uint8_t *copy = xmalloc(b.len + 64);

	/* every truncation, each in a buffer of exactly that size */
	for (size_t n = 0; n < b.len; n++) {
		uint8_t *p = xmalloc(n ? n : 1);
		memcpy(p, b.data, n);
		snprintf(why, sizeof(why), "truncated to %zu", n);
		refused(p, n, why);
		free(p);
	}
	/* every bit of every byte, and every byte inverted */
	for (size_t i = 0; i < b.len; i++) {
		for (int bit = 0; bit <= 8; bit++) {
			memcpy(copy, b.data, b.len);
			copy[i] ^= bit < 8 ? (uint8_t)(1u << bit) : 0xff;
			snprintf(why, sizeof(why), "byte %zu ^ %#x", i, bit < 8 ? 1u << bit : 0xffu);
			refused(copy, b.len, why);
		}
	}
	/* the larger map, truncated anywhere */
	build(&pm);
	pagemap_encode(&pm, &big);
	pagemap_release(&pm);
	for (size_t n = 0; n < big.len; n += 1 + n / 64) {
		snprintf(why, sizeof(why), "large, truncated to %zu", n);
		refused(big.data, n, why);
	}
	refused(big.data, big.len - 1, "large, last byte cut");

	/* behind a valid checksum: magic, version */
	static const char *const magics[] = { "STPN", "stpm", "\0TPM", "MPTS", "STPm" };
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		memcpy(copy, b.data, b.len);
		memcpy(copy, magics[i], 4);
		rehash(copy, b.len);
		snprintf(why, sizeof(why), "magic %zu", i);
		refused(copy, b.len, why);
	}
	static const uint8_t versions[] = { 0, PAGEMAP_VERSION + 1, 0x81, 0xff };
	for (size_t i = 0; i < sizeof(versions); i++) {
		snprintf(why, sizeof(why), "version %u", versions[i]);
		refused_patch(&b, 4, versions[i], why);
	}
	/* end kinds other than CUT, TABLE, BEFORE and BEFORE_NEXT, in either chunk */
	static const uint8_t ends[] = { 0, PAGEMAP_END_BEFORE_NEXT + 1, 0x7f, 0x80, 0xff };
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < sizeof(ends); i++) {
			memcpy(copy, b.data, b.len);
			copy[S_CHUNK0 + k * S_CHUNK_SIZE + S_END] = ends[i];
			rehash(copy, b.len);
			snprintf(why, sizeof(why), "chunk %d end %u", k, ends[i]);
			refused(copy, b.len, why);
		}
		for (uint8_t e = PAGEMAP_END_CUT; e <= PAGEMAP_END_BEFORE_NEXT; e++) {
			memcpy(copy, b.data, b.len);
			copy[S_CHUNK0 + k * S_CHUNK_SIZE + S_END] = e;
			rehash(copy, b.len);
			snprintf(why, sizeof(why), "chunk %d end %u", k, e);
			accepted(copy, b.len, why);
		}
		/* nleaves 0 */
		memcpy(copy, b.data, b.len);
		copy[S_CHUNK0 + k * S_CHUNK_SIZE + S_NLEAVES] = 0;
		rehash(copy, b.len);
		snprintf(why, sizeof(why), "chunk %d nleaves 0", k);
		refused(copy, b.len, why);
	}
	/* one leaf, ending before the cell it starts at (chunk 0: start 0, end 3) */
	memcpy(copy, b.data, b.len);
	copy[S_CHUNK0 + S_NLEAVES - 1] = 4; /* start_cell 4 > end_cell 3 */
	rehash(copy, b.len);
	refused(copy, b.len, "one leaf, end_cell < start_cell");
	/* ... which two leaves may (chunk 1: start 4, end 1, nleaves 2) */
	memcpy(copy, b.data, b.len);
	copy[S_CHUNK0 + S_CHUNK_SIZE + S_NLEAVES] = 1;
	rehash(copy, b.len);
	refused(copy, b.len, "chunk 1 on one leaf, end_cell < start_cell");

	/* two chunks starting at one row: chunk 1 given chunk 0's first and start_cell */
	memcpy(copy, b.data, b.len);
	memcpy(copy + S_CHUNK0 + S_CHUNK_SIZE + 1, copy + S_CHUNK0 + 1, 16);
	copy[S_CHUNK0 + S_CHUNK_SIZE + S_NLEAVES - 1] = copy[S_CHUNK0 + S_NLEAVES - 1];
	rehash(copy, b.len);
	refused(copy, b.len, "two chunks at one (first, start_cell)");
	/* ... the same first at another cell is fine */
	copy[S_CHUNK0 + S_CHUNK_SIZE + S_NLEAVES - 1] = 9;
	rehash(copy, b.len);
	accepted(copy, b.len, "same first, another cell");

	/* trailing bytes before the checksum, and after it */
	for (size_t extra = 1; extra <= 40; extra += 13) {
		size_t n = b.len + extra;
		memcpy(copy, b.data, b.len - 8);
		memset(copy + b.len - 8, 0, extra);
		rehash(copy, n);
		snprintf(why, sizeof(why), "%zu trailing zero bytes", extra);
		refused(copy, n, why);
		memcpy(copy, b.data, b.len);
		memset(copy + b.len, 0, extra);
		refused(copy, n, "bytes after the checksum");
	}
	/* a whole extra chunk's bytes behind the declared ones */
	memcpy(copy, b.data, b.len - 8);
	memcpy(copy + b.len - 8, b.data + S_CHUNK0, S_CHUNK_SIZE);
	rehash(copy, b.len + S_CHUNK_SIZE);
	refused(copy, b.len + S_CHUNK_SIZE, "an undeclared chunk");
	/* ... declared, it is a duplicate of chunk 0 */
	copy[S_NCHUNKS] = 3;
	rehash(copy, b.len + S_CHUNK_SIZE);
	refused(copy, b.len + S_CHUNK_SIZE, "three chunks, one twice");

	/* counts larger than the bytes allow */
	for (uint8_t v = 3; v < 0x80; v = (uint8_t)(v * 2 + 1)) {
		snprintf(why, sizeof(why), "nchunks %u", v);
		refused_patch(&b, S_NCHUNKS, v, why);
		snprintf(why, sizeof(why), "ntables %u", v);
		refused_patch(&b, S_NTABLES, v, why);
		snprintf(why, sizeof(why), "ncols %u", v);
		refused_patch(&b, S_NCOLS, v, why); /* more classes a chunk than there are bytes */
	}
	/* fewer: a chunk, a table, a column short, and a name longer than the rest */
	refused_patch(&b, S_NCHUNKS, 1, "nchunks 1 of 2");
	refused_patch(&b, S_NTABLES, 0, "ntables 0 of 1");
	refused_patch(&b, S_NCOLS, 1, "ncols 1 of 2");
	refused_patch(&b, S_NAME, 0x7f, "name longer than the blob");

	/* hand-made blobs for counts and values of several varint bytes */
	struct buf h = BUF_INIT;
	static const struct {
		uint64_t ntables, ncols, nchunks, k;
		int ok;
		const char *why;
	} hand[] = {
		{ 1, 0, 1, 0, 1, "hand-made, valid" },
		{ 1, 0, 1, UINT32_MAX, 1, "k 2^32-1" },
		{ 1, 0, 1, (uint64_t)UINT32_MAX + 1, 0, "k 2^32" },
		{ 1, 0, 1, UINT64_MAX, 0, "k 2^64-1" },
		{ 1, 0, 2, 0, 0, "nchunks 2, one there" },
		{ 1, 0, UINT64_MAX, 0, 0, "nchunks 2^64-1" },
		{ 1, 0, (uint64_t)1 << 40, 0, 0, "nchunks 2^40" },
		{ 2, 0, 1, 0, 0, "ntables 2, one there" },
		{ UINT64_MAX, 0, 1, 0, 0, "ntables 2^64-1" },
		{ (uint64_t)1 << 35, 0, 1, 0, 0, "ntables 2^35" },
		{ 1, 32768, 1, 0, 0, "ncols 32768" },
		{ 1, UINT64_MAX, 1, 0, 0, "ncols 2^64-1" },
		{ 1, (uint64_t)1 << 32, 1, 0, 0, "ncols 2^32" },
	};
	for (size_t i = 0; i < sizeof(hand) / sizeof(hand[0]); i++) {
		uint8_t z[16] = { 0 };
		buf_reset(&h);
		buf_add(&h, "STPM", 4);
		buf_addc(&h, PAGEMAP_VERSION);
		buf_add_varint(&h, hand[i].ntables);
		buf_add_bytes(&h, "x", 1);
		buf_add(&h, z, 16);
		buf_add_varint(&h, hand[i].ncols);
		buf_add_varint(&h, hand[i].nchunks);
		buf_add_varint(&h, hand[i].k);
		buf_add(&h, z, 16);
		buf_add(&h, z, 16);
		buf_add_varint(&h, 0); /* start_cell */
		buf_add_varint(&h, 1); /* nleaves */
		buf_add_varint(&h, 0); /* end_cell */
		buf_addc(&h, PAGEMAP_END_TABLE);
		buf_add_u64le(&h, XXH3_64bits(h.data, h.len));
		if (hand[i].ok)
			accepted(h.data, h.len, hand[i].why);
		else
			refused(h.data, h.len, hand[i].why);
	}
	/* a table without chunks: 32767 columns is SQLite's limit, 32768 too many */
	for (uint64_t nc = 32766; nc <= 32769; nc++) {
		uint8_t z[16] = { 0 };
		buf_reset(&h);
		buf_add(&h, "STPM", 4);
		buf_addc(&h, PAGEMAP_VERSION);
		buf_add_varint(&h, 1);
		buf_add_bytes(&h, "x", 1);
		buf_add(&h, z, 16);
		buf_add_varint(&h, nc);
		buf_add_varint(&h, 0);
		buf_add_u64le(&h, XXH3_64bits(h.data, h.len));
		snprintf(why, sizeof(why), "ncols %llu, no chunk", (unsigned long long)nc);
		if (nc <= 32767)
			accepted(h.data, h.len, why);
		else
			refused(h.data, h.len, why);
	}
	/* 32767 columns with a chunk */
	{
		uint8_t z[16] = { 0 };
		buf_reset(&h);
		buf_add(&h, "STPM", 4);
		buf_addc(&h, PAGEMAP_VERSION);
		buf_add_varint(&h, 1);
		buf_add_bytes(&h, "wide", 4);
		buf_add(&h, z, 16);
		buf_add_varint(&h, 32767);
		buf_add_varint(&h, 1);
		buf_add_varint(&h, 0);
		buf_add(&h, z, 16);
		buf_add(&h, z, 16);
		buf_add_varint(&h, 0);
		buf_add_varint(&h, 1);
		buf_add_varint(&h, 0);
		buf_addc(&h, PAGEMAP_END_CUT);
		for (int i = 0; i < 32767; i++)
			buf_addc(&h, (uint8_t)i);
		buf_add_u64le(&h, XXH3_64bits(h.data, h.len));
		struct pagemap d;
		CHECK(pagemap_decode(h.data, h.len, &d) == 0 && d.ntables == 1 &&
		      d.tables[0].ncols == 32767 && d.tables[0].nchunks == 1 &&
		      d.tables[0].chunks[0].classes[32766] == (uint8_t)32766);
		pagemap_release(&d);
		/* and one class byte short */
		memmove(h.data + h.len - 9, h.data + h.len - 8, 8);
		h.len--;
		rehash(h.data, h.len);
		refused(h.data, h.len, "one class byte short");
	}

	free(copy);
	buf_release(&h);
	buf_release(&b);
	buf_release(&big);
}

/*
 * Content the encoder writes without checking, built with the library: the
 * decoder refuses it (and, as positive controls, takes the near misses).
 */
static void structure(void)
{
	struct pagemap pm;
	struct buf b = BUF_INIT;
	uint8_t ident[16] = { 0 };
	struct pagemap_table *t;

	/* duplicates in one table, added far apart */
	memset(&pm, 0, sizeof(pm));
	t = pagemap_add_table(&pm, "dup", ident, 1);
	for (uint32_t i = 0; i < 20; i++)
		add_chunk(t, i, 100 + i, 0, 0, 1, 0, PAGEMAP_END_CUT);
	add_chunk(t, 20, 107, 1, 0, 3, 0, PAGEMAP_END_TABLE);
	pagemap_encode(&pm, &b);
	refused(b.data, b.len, "duplicate start among 21 chunks");
	pagemap_release(&pm);

	/* the same start in two tables is fine */
	memset(&pm, 0, sizeof(pm));
	t = pagemap_add_table(&pm, "a", ident, 1);
	add_chunk(t, 0, 100, 0, 0, 1, 0, PAGEMAP_END_CUT);
	t = pagemap_add_table(&pm, "b", ident, 1);
	add_chunk(t, 0, 100, 0, 0, 1, 0, PAGEMAP_END_CUT);
	buf_reset(&b);
	pagemap_encode(&pm, &b);
	accepted(b.data, b.len, "one start in two tables");
	/* a bad chunk in the second table, after a good first table: still empty */
	t->chunks[0].nleaves = 0;
	buf_reset(&b);
	pagemap_encode(&pm, &b);
	refused(b.data, b.len, "nleaves 0 in table 2");
	t->chunks[0].nleaves = 1;
	t->chunks[0].end = 0;
	buf_reset(&b);
	pagemap_encode(&pm, &b);
	refused(b.data, b.len, "end 0 in table 2");
	t->chunks[0].end = PAGEMAP_END_BEFORE_NEXT + 1;
	buf_reset(&b);
	pagemap_encode(&pm, &b);
	refused(b.data, b.len, "end 5 in table 2");
	t->chunks[0].end = PAGEMAP_END_BEFORE_NEXT;
	buf_reset(&b);
	pagemap_encode(&pm, &b);
	accepted(b.data, b.len, "end BEFORE_NEXT in table 2");
	t->chunks[0].end = PAGEMAP_END_TABLE;
	t->chunks[0].start_cell = 1;
	buf_reset(&b);
	pagemap_encode(&pm, &b);
	refused(b.data, b.len, "one leaf, end before start, table 2");
	t->chunks[0].nleaves = 2;
	buf_reset(&b);
	pagemap_encode(&pm, &b);
	accepted(b.data, b.len, "two leaves, end before start");
	pagemap_release(&pm);

	buf_release(&b);
}

int main(void)
{
	roundtrip();
	damage();
	structure();
	return check_done("unit-pagemap");
}
