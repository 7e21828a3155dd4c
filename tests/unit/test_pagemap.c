/*
 * Unit tests for lib/pagemap.c (the page maps of incremental backups,
 * version 2: chunks and segments):
 * a map built with pagemap_add_table / pagemap_add / pagemap_add_seg
 * survives encode and decode field for field (decode sorts each table's
 * chunks by first and start_cell, keeps its segments in (k, si) order and
 * orders them by (first, start_cell) in seg_order); pagemap_table,
 * pagemap_find, pagemap_find_seg and pagemap_chunk_segs hit and miss as
 * they should; every truncation and every changed byte of an encoding is
 * -EUCLEAN and never a crash; content that is wrong behind a valid
 * checksum (magic, version - a version 1 blob included -, end kinds,
 * nleaves, flags, a segment's counts and sizes, (k, si) order, duplicate
 * starts, counts, trailing bytes) is refused, and each neighbouring value
 * taken, so that every check is exact; a failed decode leaves the map
 * empty, and release is safe on built, decoded and empty maps.  A chunk's
 * segment list (pagemap_segs_*) likewise (seg_lists).
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

#define MAXCOLS 512 /* the most columns of a table built here */

static void add_chunk(struct pagemap_table *t, uint32_t k, uint32_t first_seed, uint32_t span_seed,
		      uint32_t start, uint32_t nleaves, uint32_t end_cell, uint8_t end)
{
	uint8_t classes[MAXCOLS];
	struct pagemap_chunk c = { .k = k, .start_cell = start, .nleaves = nleaves,
				   .end_cell = end_cell, .end = end, .classes = classes };
	for (unsigned i = 0; i < sizeof(classes); i++)
		classes[i] = (uint8_t)(k * 31 + i * 7 + 1);
	h16(c.first, first_seed);
	h16(c.span, span_seed);
	pagemap_add(t, &c);
}

#define KEYMAX 600 /* the longest key of a segment built here */

/* A segment record and the buffers its pointers point into. */
struct seg_in {
	struct pagemap_seg g;
	uint8_t fk[KEYMAX], lk[KEYMAX], classes[MAXCOLS];
};

/*
 * Segment si of chunk k, starting at cell start of the leaf hashing as
 * h16(first_seed), with keys of flen and llen bytes; every other field is
 * valid and made from (k, si), so that a mix-up shows.
 */
static void seg_init(struct seg_in *s, uint32_t k, uint32_t si, uint32_t first_seed, uint32_t start,
		     uint32_t flen, uint32_t llen)
{
	struct pagemap_seg *g = &s->g;
	memset(s, 0, sizeof(*s));
	g->k = k;
	g->si = si;
	h16(g->first, first_seed);
	h16(g->span, 0x10000 + k * 97 + si);
	g->start_cell = start;
	g->nleaves = 1 + (k + si) % 3;
	if (g->nleaves == 1)
		g->end_cell = start <= UINT32_MAX - 4 ? start + si % 5 : start;
	else
		g->end_cell = (k * 3 + si) % 7;
	g->end = si % 2 ? PAGEMAP_END_TABLE : PAGEMAP_END_CUT;
	g->flags = (uint8_t)((k + si) % 4);
	g->nrows = 1 + (k * 7 + si) % 50;
	g->typed_len = g->nrows * 13 + si % 3;
	g->csv_len = g->typed_len * 2 + 1;
	g->fire_end = (k + si) % 3 == 0   ? 0
		      : (k + si) % 3 == 1 ? g->typed_len / 2
					  : g->typed_len - 1;
	g->jsonl_len = ((uint64_t)(k % 1000 + 1) << 33) + si;
	g->sql_len = UINT64_MAX - k - si;
	h16(g->id, 0x20000 + k * 131 + si);
	for (uint32_t i = 0; i < KEYMAX; i++) {
		s->fk[i] = (uint8_t)(k * 17 + si * 5 + i);
		s->lk[i] = (uint8_t)(k * 29 + si * 3 + i * 11 + 1);
	}
	g->first_key = s->fk;
	g->first_len = flen;
	g->last_key = s->lk;
	g->last_len = llen;
	for (uint32_t i = 0; i < MAXCOLS; i++)
		s->classes[i] = (uint8_t)(k * 13 + si * 3 + i * 5 + 2);
	g->classes = s->classes;
}

static void add_seg(struct pagemap_table *t, uint32_t k, uint32_t si, uint32_t first_seed,
		    uint32_t start, uint32_t flen, uint32_t llen)
{
	struct seg_in s;
	seg_init(&s, k, si, first_seed, start, flen, llen);
	pagemap_add_seg(t, &s.g);
}

#define MANY 300
#define NTABLES 6

/*
 * Six tables: "t" (3 columns, chunks added out of (first, start_cell)
 * order, two of them on one leaf at different cells, extreme values; 0 to
 * 3 segments a chunk, segments of chunks without a chunk record, keys of
 * 0, 1 and several hundred bytes, one segment of extreme values), "empty"
 * (2 columns, no chunk, no segment), "order items/2024" (no column, 3
 * chunks, one chunk and one segment sharing "t"'s first leaf and cell),
 * "many" (7 columns, MANY chunks, 0 to 3 segments each, two chunks a
 * leaf), "segments only" (1 column, segments of chunks 5 to 100000 and no
 * chunk record) and "wide" (500 columns, a chunk and its segments).
 */
static void build(struct pagemap *pm)
{
	uint8_t ident[16];
	struct seg_in s;
	memset(pm, 0, sizeof(*pm));

	h16(ident, 1000);
	struct pagemap_table *t = pagemap_add_table(pm, "t", ident, 3);
	add_chunk(t, 4, 50, 51, 9, 3, 2, PAGEMAP_END_BEFORE_NEXT);
	add_chunk(t, 0, 10, 11, 0, 1, 17, PAGEMAP_END_CUT);
	add_chunk(t, 1, 10, 12, 18, 2, 0, PAGEMAP_END_CUT); /* same leaf as chunk 0 */
	add_chunk(t, 2, 20, 21, 5, 1, 5, PAGEMAP_END_TABLE); /* one row: end_cell == start_cell */
	add_chunk(t, UINT32_MAX, 30, 31, UINT32_MAX, UINT32_MAX, UINT32_MAX, PAGEMAP_END_TABLE);
	add_seg(t, 0, 0, 10, 0, 0, 5);     /* where chunk 0 starts; an empty first key */
	add_seg(t, 0, 1, 10, 7, 300, 300); /* the same leaf */
	add_seg(t, 0, 2, 11, 3, 1, 0);     /* an empty last key */
	add_seg(t, 2, 0, 20, 5, 8, 8);     /* chunk 1 has none */
	add_seg(t, 3, 0, 40, 0, 599, 2);   /* chunk 3: no chunk record */
	add_seg(t, 3, 1, 40, 9, 2, 599);
	add_seg(t, 3, 5, 41, 0, 0, 0);     /* si need not be contiguous */
	add_seg(t, 7, 0, 42, 2, 4, 4);     /* chunk 7: no chunk record either */
	add_seg(t, UINT32_MAX, 0, 30, UINT32_MAX, 3, 3);
	seg_init(&s, UINT32_MAX, UINT32_MAX, 31, UINT32_MAX, 255, 256);
	s.g.nleaves = UINT32_MAX;
	s.g.end_cell = 0;
	s.g.end = PAGEMAP_END_TABLE;
	s.g.flags = PAGEMAP_SEG_OWN | PAGEMAP_SEG_LAST_FIRES;
	s.g.nrows = s.g.typed_len = s.g.csv_len = UINT32_MAX;
	s.g.fire_end = UINT32_MAX - 1;
	s.g.jsonl_len = s.g.sql_len = UINT64_MAX;
	pagemap_add_seg(t, &s.g);

	h16(ident, 1001);
	pagemap_add_table(pm, "empty", ident, 2);

	h16(ident, 1002);
	t = pagemap_add_table(pm, "order items/2024", ident, 0);
	add_chunk(t, 2, 60, 61, 3, 1, 9, PAGEMAP_END_TABLE);
	add_chunk(t, 0, 10, 62, 0, 4, 1, PAGEMAP_END_CUT); /* "t"'s chunk 0's leaf and cell */
	add_chunk(t, 1, 70, 71, 128, 1, 300, PAGEMAP_END_BEFORE); /* two-byte varints */
	add_seg(t, 0, 0, 10, 0, 1, 1);    /* "t"'s segment 0 of chunk 0: its leaf and cell */
	add_seg(t, 0, 1, 10, 18, 0, 0);   /* "t"'s chunk 1's leaf and cell */
	add_seg(t, 2, 0, 60, 3, 2, 3);
	add_seg(t, 2, 1, 60, 200, 130, 140);
	add_seg(t, 5, 0, 61, 0, 7, 7);

	h16(ident, 1003);
	t = pagemap_add_table(pm, "many", ident, 7);
	for (uint32_t i = 0; i < MANY; i++)
		add_chunk(t, i, 5000 + i / 2, 9000 + i, (i & 1) * 100 + (i % 7), 1 + i % 5, 200,
			  i == MANY - 1 ? PAGEMAP_END_TABLE : PAGEMAP_END_CUT + i % 4);
	/* chunk i: i % 4 segments, the first where the chunk starts, the others on its leaf */
	for (uint32_t i = 0; i < MANY; i++)
		for (uint32_t j = 0; j < i % 4; j++)
			add_seg(t, i, j, 5000 + i / 2,
				j ? 1000 + (i & 1) * 50 + j * 3 : (i & 1) * 100 + (i % 7),
				(i * 37 + j) % 400, (i * 53 + j) % 400);

	h16(ident, 1004);
	t = pagemap_add_table(pm, "segments only", ident, 1);
	add_seg(t, 5, 0, 7000, 0, 10, 10);
	add_seg(t, 6, 0, 7001, 0, 10, 10);
	add_seg(t, 6, 1, 7000, 1, 10, 10);
	add_seg(t, 9, 0, 7002, 200, 10, 10);
	add_seg(t, 100000, 0, 7002, 201, 10, 10);
	add_seg(t, 100000, 3, 7003, 0, 10, 10);
	seg_init(&s, 100000, 4, 7000, 0, 10, 10); /* 7000's leaf but for its last byte */
	s.g.first[15] ^= 1;
	pagemap_add_seg(t, &s.g);

	h16(ident, 1005);
	t = pagemap_add_table(pm, "wide", ident, 500);
	add_chunk(t, 0, 8000, 8001, 1, 1, 1, PAGEMAP_END_TABLE);
	for (uint32_t j = 0; j < 3; j++)
		add_seg(t, 0, j, 8000, 1 + j * 40, 20, 20);
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

static int seg_cmp(const struct pagemap_seg *x, const struct pagemap_seg *y)
{
	int c = memcmp(x->first, y->first, 16);
	if (c)
		return c;
	return x->start_cell < y->start_cell ? -1 : x->start_cell > y->start_cell;
}

/* Every field, the keys' and classes' bytes included. */
static int seg_eq(const struct pagemap_seg *x, const struct pagemap_seg *y, unsigned ncols)
{
	return x->k == y->k && x->si == y->si && !memcmp(x->first, y->first, 16) &&
	       !memcmp(x->span, y->span, 16) && x->start_cell == y->start_cell &&
	       x->nleaves == y->nleaves && x->end_cell == y->end_cell && x->end == y->end &&
	       x->flags == y->flags && x->nrows == y->nrows && x->typed_len == y->typed_len &&
	       x->csv_len == y->csv_len && x->fire_end == y->fire_end &&
	       x->jsonl_len == y->jsonl_len && x->sql_len == y->sql_len &&
	       !memcmp(x->id, y->id, 16) && x->first_len == y->first_len &&
	       x->last_len == y->last_len && x->first_key && y->first_key && x->last_key &&
	       y->last_key && !memcmp(x->first_key, y->first_key, x->first_len) &&
	       !memcmp(x->last_key, y->last_key, x->last_len) && x->classes && y->classes &&
	       !memcmp(x->classes, y->classes, ncols);
}

/*
 * b (decoded) holds what a (built) holds: the same tables in order, each
 * with the same chunks, sorted strictly by (first, start_cell), and the
 * same segments in the same ((k, si)) order, with seg_order a permutation
 * of them sorted strictly by (first, start_cell).
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

		/* segments: in the order they were added, every field */
		CHECKF(x->nsegs == y->nsegs, "table %zu: %zu segments, decoded %zu", i, x->nsegs,
		       y->nsegs);
		for (size_t k = 0; k < x->nsegs && k < y->nsegs; k++) {
			const struct pagemap_seg *p = &x->segs[k], *q = &y->segs[k];
			CHECKF(seg_eq(p, q, x->ncols), "table %zu segment %zu (k %u si %u)", i, k,
			       p->k, p->si);
			CHECKF(p->first_key != q->first_key && p->last_key != q->last_key &&
				       p->classes != q->classes,
			       "table %zu segment %zu: decoded keys and classes are copies", i, k);
		}
		CHECKF(y->seg_order != NULL, "table %zu: no seg_order", i);
		if (!y->seg_order)
			continue;
		uint8_t *seen = xcalloc(y->nsegs ? y->nsegs : 1, 1);
		int perm = 1;
		for (size_t k = 0; k < y->nsegs; k++) {
			if (y->seg_order[k] >= y->nsegs || seen[y->seg_order[k]])
				perm = 0;
			else
				seen[y->seg_order[k]] = 1;
		}
		CHECKF(perm, "table %zu: seg_order is not a permutation", i);
		for (size_t k = 1; perm && k < y->nsegs; k++)
			CHECKF(seg_cmp(&y->segs[y->seg_order[k - 1]], &y->segs[y->seg_order[k]]) < 0,
			       "table %zu: seg_order %zu, %zu not in order", i, k - 1, k);
		free(seen);
	}
}

/* What pagemap_find_seg must return, by a linear search. */
static const struct pagemap_seg *find_seg_linear(const struct pagemap_table *t,
						 const uint8_t first[16], uint32_t cell)
{
	for (size_t i = 0; i < t->nsegs; i++)
		if (!memcmp(t->segs[i].first, first, 16) && t->segs[i].start_cell == cell)
			return &t->segs[i];
	return NULL;
}

/* pagemap_find_seg agrees with the linear search; returns whether it found one. */
static int probe_seg(const struct pagemap_table *t, const uint8_t first[16], uint32_t cell,
		     const char *tname)
{
	const struct pagemap_seg *want = find_seg_linear(t, first, cell);
	const struct pagemap_seg *got = pagemap_find_seg(t, first, cell);
	CHECKF(got == want, "%s: find_seg at cell %u: %p, want %p", tname, cell, (const void *)got,
	       (const void *)want);
	return want != NULL;
}

/* pagemap_chunk_segs(t, k) is exactly chunk k's segments, in si order, or NULL and 0. */
static void probe_chunk_segs(const struct pagemap_table *t, uint32_t k, const char *tname)
{
	size_t lo = 0, n = 0, got_n = 12345;
	while (lo < t->nsegs && t->segs[lo].k != k)
		lo++;
	while (lo + n < t->nsegs && t->segs[lo + n].k == k)
		n++;
	const struct pagemap_seg *got = pagemap_chunk_segs(t, k, &got_n);
	CHECKF(got_n == n, "%s: chunk %u: %zu segments, want %zu", tname, k, got_n, n);
	if (!n) {
		CHECKF(got == NULL, "%s: chunk %u: no segment, not NULL", tname, k);
		return;
	}
	CHECKF(got == &t->segs[lo], "%s: chunk %u: not its first segment", tname, k);
	for (size_t j = 0; got == &t->segs[lo] && j < n; j++)
		CHECKF(got[j].k == k && (!j || got[j - 1].si < got[j].si),
		       "%s: chunk %u: segment %zu", tname, k, j);
}

static void roundtrip(void)
{
	struct pagemap pm, d, d2;
	struct buf b = BUF_INIT, b2 = BUF_INIT, b3 = BUF_INIT;

	build(&pm);
	CHECK(pm.ntables == NTABLES && pm.tables[3].nchunks == MANY && pm.tables[1].nchunks == 0);
	CHECK(pm.tables[0].nsegs == 10 && pm.tables[1].nsegs == 0 && pm.tables[2].nsegs == 5 &&
	      pm.tables[3].nsegs == MANY / 4 * 6 && pm.tables[4].nsegs == 7 &&
	      pm.tables[4].nchunks == 0 && pm.tables[5].nsegs == 3 && pm.tables[5].ncols == 500);
	pagemap_encode(&pm, &b);
	CHECK(b.len > 13 && !memcmp(b.data, "STPM", 4) && b.data[4] == PAGEMAP_VERSION);
	CHECK(PAGEMAP_VERSION == 2);
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
	CHECK(pagemap_table(&d, "segments only") == &d.tables[4]);
	CHECK(pagemap_table(&d, "wide") == &d.tables[5]);
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
	CHECK(pagemap_find(t, f, 7) == NULL); /* a segment's start is no chunk's */
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
	/* decoded tables without chunks */
	h16(f, 10);
	CHECK(pagemap_find(&d.tables[1], f, 0) == NULL);
	h16(f, 7000);
	CHECK(pagemap_find(&d.tables[4], f, 0) == NULL); /* a segment starts there */
	/* "many": two chunks a leaf (cells i % 7 and 100 + i % 7) */
	const struct pagemap_table *mt = pagemap_table(&d, "many");
	for (uint32_t i = 0; i < MANY; i++) {
		h16(f, 5000 + i / 2);
		c = pagemap_find(mt, f, (i & 1) * 100 + (i % 7));
		CHECKF(c && c->k == i && c->nleaves == 1 + i % 5, "many: chunk %u", i);
		CHECK(pagemap_find(mt, f, 50) == NULL);
	}

	/*
	 * pagemap_find_seg: every segment by its own first leaf and cell;
	 * against a linear search, every leaf of a segment or chunk of the
	 * table with every cell of one (a digest there with another cell, a
	 * cell there with another digest), and cells next to them
	 */
	for (size_t i = 0; i < d.ntables; i++) {
		const struct pagemap_table *dt = &d.tables[i];
		const char *tn = dt->name;
		for (size_t k = 0; k < dt->nsegs; k++) {
			const struct pagemap_seg *sg = &dt->segs[k];
			CHECKF(pagemap_find_seg(dt, sg->first, sg->start_cell) == sg,
			       "%s: segment %zu (k %u si %u) not found at its start", tn, k, sg->k,
			       sg->si);
			probe_seg(dt, sg->first, sg->start_cell + 1, tn);
			probe_seg(dt, sg->first, sg->start_cell - 1, tn);
		}
		for (size_t k = 0; k < dt->nchunks; k++) {
			const struct pagemap_chunk *ch = &dt->chunks[k];
			probe_seg(dt, ch->first, ch->start_cell, tn);
			probe_seg(dt, ch->first, ch->start_cell + 1, tn);
		}
		/* cross products (in "many", three pairs a segment) */
		size_t ns = dt->nsegs;
		for (size_t x = 0; x < ns; x++) {
			for (size_t m = 0; m < (ns <= 64 ? ns : 3); m++) {
				size_t y = ns <= 64 ? m : (x * 13 + 5 + m * 7) % ns;
				probe_seg(dt, dt->segs[x].first, dt->segs[y].start_cell, tn);
			}
			for (size_t m = 0; m < (dt->nchunks <= 64 ? dt->nchunks : 3); m++) {
				size_t y = dt->nchunks <= 64 ? m : (x * 11 + m * 5) % dt->nchunks;
				probe_seg(dt, dt->chunks[y].first, dt->segs[x].start_cell, tn);
				probe_seg(dt, dt->segs[x].first, dt->chunks[y].start_cell, tn);
			}
		}
	}
	const struct pagemap_seg *sg;
	h16(f, 10); /* "t": segments at cells 0 and 7 of this leaf, chunks at 0 and 18 */
	sg = pagemap_find_seg(t, f, 0);
	CHECK(sg && sg->k == 0 && sg->si == 0 && sg->first_len == 0 && sg->last_len == 5);
	sg = pagemap_find_seg(t, f, 7);
	CHECK(sg && sg->k == 0 && sg->si == 1 && sg->first_len == 300 && sg->last_len == 300 &&
	      sg->first_key[299] == (uint8_t)(5 + 299) &&
	      sg->last_key[299] == (uint8_t)(3 + 299 * 11 + 1));
	CHECK(pagemap_find_seg(t, f, 18) == NULL); /* chunk 1 starts there, no segment */
	CHECK(pagemap_find_seg(t, f, 3) == NULL);  /* a segment starts at 3 of another leaf */
	CHECK(pagemap_find_seg(t, f, 1) == NULL);
	CHECK(pagemap_find_seg(t, f, 6) == NULL);
	CHECK(pagemap_find_seg(t, f, 8) == NULL);
	h16(f, 11);
	sg = pagemap_find_seg(t, f, 3);
	CHECK(sg && sg->k == 0 && sg->si == 2 && sg->first_len == 1 && sg->last_len == 0);
	CHECK(pagemap_find_seg(t, f, 0) == NULL); /* cell 0 is a segment's, of leaf 10 */
	CHECK(pagemap_find_seg(t, f, 7) == NULL);
	h16(f, 40);
	sg = pagemap_find_seg(t, f, 0);
	CHECK(sg && sg->k == 3 && sg->si == 0 && sg->first_len == 599 &&
	      sg->first_key[598] == (uint8_t)(3 * 17 + 598));
	h16(f, 30);
	sg = pagemap_find_seg(t, f, UINT32_MAX);
	CHECK(sg && sg->k == UINT32_MAX && sg->si == 0);
	h16(f, 31);
	sg = pagemap_find_seg(t, f, UINT32_MAX);
	CHECK(sg && sg->k == UINT32_MAX && sg->si == UINT32_MAX && sg->nleaves == UINT32_MAX &&
	      sg->end_cell == 0 && sg->end == PAGEMAP_END_TABLE && sg->flags == 3 &&
	      sg->nrows == UINT32_MAX && sg->typed_len == UINT32_MAX &&
	      sg->csv_len == UINT32_MAX && sg->fire_end == UINT32_MAX - 1 &&
	      sg->jsonl_len == UINT64_MAX && sg->sql_len == UINT64_MAX && sg->first_len == 255 &&
	      sg->last_len == 256);
	CHECK(pagemap_find_seg(t, f, UINT32_MAX - 1) == NULL);
	CHECK(pagemap_find_seg(t, f, 0) == NULL);
	h16(f, 60); /* a leaf of "order items/2024"'s segments */
	CHECK(pagemap_find_seg(t, f, 3) == NULL);
	sg = pagemap_find_seg(&d.tables[2], f, 200);
	CHECK(sg && sg->k == 2 && sg->si == 1 && sg->first_len == 130 && sg->last_len == 140);
	h16(f, 10); /* ... and "t"'s leaf, at cells where "t" has a segment, and a chunk */
	sg = pagemap_find_seg(&d.tables[2], f, 0);
	CHECK(sg && sg->k == 0 && sg->si == 0 && sg->first_len == 1 &&
	      sg != pagemap_find_seg(t, f, 0));
	sg = pagemap_find_seg(&d.tables[2], f, 18);
	CHECK(sg && sg->k == 0 && sg->si == 1);
	CHECK(pagemap_find_seg(&d.tables[2], f, 7) == NULL);
	memset(f, 0, 16);
	CHECK(pagemap_find_seg(t, f, 0) == NULL);
	memset(f, 0xff, 16);
	CHECK(pagemap_find_seg(t, f, UINT32_MAX) == NULL);
	h16(f, 10);
	CHECK(pagemap_find_seg(&d.tables[1], f, 0) == NULL); /* a table without segments */
	h16(f, 8000); /* "wide": its chunk and first segment start at cell 1 */
	sg = pagemap_find_seg(&d.tables[5], f, 81);
	CHECK(sg && sg->k == 0 && sg->si == 2 && sg->classes[499] == (uint8_t)(2 * 3 + 499 * 5 + 2));
	CHECK(pagemap_find_seg(&d.tables[5], f, 1) == &d.tables[5].segs[0]);
	CHECK(pagemap_find(&d.tables[5], f, 1) == &d.tables[5].chunks[0]);
	for (uint32_t i = 0; i < MANY; i++) {
		h16(f, 5000 + i / 2);
		sg = pagemap_find_seg(mt, f, (i & 1) * 100 + (i % 7));
		CHECKF(i % 4 ? sg && sg->k == i && sg->si == 0 : sg == NULL, "many: chunk %u", i);
		for (uint32_t j = 1; j < 4; j++) {
			sg = pagemap_find_seg(mt, f, 1000 + (i & 1) * 50 + j * 3);
			CHECKF(j < i % 4 ? sg && sg->k == i && sg->si == j &&
						   sg->first_len == (i * 37 + j) % 400
					 : sg == NULL,
			       "many: chunk %u segment %u", i, j);
		}
	}

	/*
	 * pagemap_chunk_segs: exactly chunk k's segments, in si order, for
	 * every k that has some, the ks next to them, those of the chunk
	 * records (some without segments), and ks below the first and above
	 * the last
	 */
	for (size_t i = 0; i < d.ntables; i++) {
		const struct pagemap_table *dt = &d.tables[i];
		const char *tn = dt->name;
		static const uint32_t ks[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 100, 99999, 100000, 100001,
					       MANY, UINT32_MAX - 1, UINT32_MAX };
		for (size_t j = 0; j < sizeof(ks) / sizeof(ks[0]); j++)
			probe_chunk_segs(dt, ks[j], tn);
		for (size_t k = 0; k < dt->nsegs; k++) {
			probe_chunk_segs(dt, dt->segs[k].k, tn);
			probe_chunk_segs(dt, dt->segs[k].k - 1, tn);
			probe_chunk_segs(dt, dt->segs[k].k + 1, tn);
		}
		for (size_t k = 0; k < dt->nchunks; k++)
			probe_chunk_segs(dt, dt->chunks[k].k, tn);
		/* the built table, segments in the same order, answers the same */
		for (size_t k = 0; k < pm.tables[i].nsegs; k++)
			probe_chunk_segs(&pm.tables[i], pm.tables[i].segs[k].k, tn);
	}
	size_t n = 99;
	sg = pagemap_chunk_segs(t, 0, &n);
	CHECK(sg == &t->segs[0] && n == 3 && sg[0].si == 0 && sg[1].si == 1 && sg[2].si == 2);
	n = 99;
	CHECK(pagemap_chunk_segs(t, 1, &n) == NULL && n == 0); /* a chunk record, no segment */
	n = 99;
	sg = pagemap_chunk_segs(t, 3, &n); /* segments, no chunk record */
	CHECK(sg == &t->segs[4] && n == 3 && sg[0].si == 0 && sg[1].si == 1 && sg[2].si == 5);
	n = 99;
	CHECK(pagemap_chunk_segs(t, 4, &n) == NULL && n == 0);
	n = 99;
	sg = pagemap_chunk_segs(t, 7, &n);
	CHECK(sg == &t->segs[7] && n == 1 && sg->k == 7);
	n = 99;
	sg = pagemap_chunk_segs(t, UINT32_MAX, &n); /* the last k there is */
	CHECK(sg == &t->segs[8] && n == 2 && sg[1].si == UINT32_MAX);
	const struct pagemap_table *so = &d.tables[4];
	for (uint32_t k = 0; k < 5; k++) { /* below the first */
		n = 99;
		CHECK(pagemap_chunk_segs(so, k, &n) == NULL && n == 0);
	}
	n = 99;
	sg = pagemap_chunk_segs(so, 6, &n);
	CHECK(sg == &so->segs[1] && n == 2);
	n = 99;
	CHECK(pagemap_chunk_segs(so, 7, &n) == NULL && n == 0); /* between */
	n = 99;
	sg = pagemap_chunk_segs(so, 100000, &n);
	CHECK(sg == &so->segs[4] && n == 3 && sg[1].si == 3 && sg[2].si == 4);
	h16(f, 7000); /* two leaves whose digests differ in their last byte only */
	CHECK(pagemap_find_seg(so, f, 0) == &so->segs[0]);
	f[15] ^= 1;
	CHECK(pagemap_find_seg(so, f, 0) == &so->segs[6]);
	f[15] ^= 3;
	CHECK(pagemap_find_seg(so, f, 0) == NULL);
	f[15] ^= 2;
	f[0] ^= 1;
	CHECK(pagemap_find_seg(so, f, 0) == NULL);
	n = 99;
	CHECK(pagemap_chunk_segs(so, 100001, &n) == NULL && n == 0); /* above the last */
	n = 99;
	CHECK(pagemap_chunk_segs(so, UINT32_MAX, &n) == NULL && n == 0);
	n = 99;
	CHECK(pagemap_chunk_segs(&d.tables[1], 0, &n) == NULL && n == 0); /* no segments */
	n = 99;
	CHECK(pagemap_chunk_segs(&d.tables[1], UINT32_MAX, &n) == NULL && n == 0);
	n = 99;
	CHECK(pagemap_chunk_segs(&pm.tables[1], 0, &n) == NULL && n == 0); /* built, none */
	for (uint32_t i = 0; i < MANY; i++) {
		n = 99;
		sg = pagemap_chunk_segs(mt, i, &n);
		CHECKF(n == i % 4 && (n ? sg && sg->k == i && sg[n - 1].si == n - 1 : !sg),
		       "many: chunk %u's segments", i);
	}
	n = 99;
	CHECK(pagemap_chunk_segs(mt, MANY, &n) == NULL && n == 0);

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

	/* a table of no chunk and no segment: its name, ident, ncols, nchunks 0, nsegs 0 */
	uint8_t ident[16];
	h16(ident, 5);
	pagemap_add_table(&z, "e", ident, 1);
	buf_reset(&b);
	pagemap_encode(&z, &b);
	CHECK(b.len == 4 + 1 + 1 + 2 + 16 + 1 + 1 + 1 + 8);
	CHECK(pagemap_decode(b.data, b.len, &d) == 0 && d.ntables == 1 && d.tables[0].nsegs == 0 &&
	      d.tables[0].nchunks == 0);
	pagemap_release(&d);
	pagemap_release(&z);

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

/* b with byte off set to v and the checksum fixed up: taken (ok) or refused. */
static void patched(const struct buf *b, size_t off, uint8_t v, int ok, const char *why)
{
	uint8_t *copy = xmalloc(b->len);
	memcpy(copy, b->data, b->len);
	copy[off] = v;
	rehash(copy, b->len);
	if (ok)
		accepted(copy, b->len, why);
	else
		refused(copy, b->len, why);
	free(copy);
}

static void refused_patch(const struct buf *b, size_t off, uint8_t v, const char *why)
{
	patched(b, off, v, 0, why);
}

/* Two bytes changed at once. */
static void patched2(const struct buf *b, size_t off1, uint8_t v1, size_t off2, uint8_t v2, int ok,
		     const char *why)
{
	struct buf c = BUF_INIT;
	buf_add(&c, b->data, b->len);
	c.data[off1] = v1;
	patched(&c, off2, v2, ok, why);
	buf_release(&c);
}

/* A small map: one table "ab" of 2 columns, two chunks, no segment. */
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
	S_NSEGS = S_CHUNK0 + 2 * S_CHUNK_SIZE, /* 0 */
	S_SIZE = S_NSEGS + 1 + 8,
};

static void damage(void)
{
	struct buf b = BUF_INIT, big = BUF_INIT;
	struct pagemap pm;
	char why[64];

	small(&b);
	CHECKF(b.len == S_SIZE, "small encoding is %zu bytes", b.len);
	CHECK(b.len == S_SIZE && b.data[S_NSEGS] == 0 && b.data[S_NCHUNKS] == 2 &&
	      b.data[S_CHUNK0 + S_CHUNK_SIZE] == 1);
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
	static const uint8_t versions[] = { 0, 1, PAGEMAP_VERSION + 1, 0x81, 0xff };
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
	patched(&b, S_CHUNK0 + S_NLEAVES - 1, 3, 1, "one leaf, end_cell == start_cell");
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
	/* a whole extra chunk's bytes behind the declared ones (before nsegs) */
	memcpy(copy, b.data, S_NSEGS);
	memcpy(copy + S_NSEGS, b.data + S_CHUNK0, S_CHUNK_SIZE);
	memcpy(copy + S_NSEGS + S_CHUNK_SIZE, b.data + S_NSEGS, b.len - S_NSEGS);
	rehash(copy, b.len + S_CHUNK_SIZE);
	refused(copy, b.len + S_CHUNK_SIZE, "an undeclared chunk");
	/* ... declared, it is a duplicate of chunk 0 */
	copy[S_NCHUNKS] = 3;
	rehash(copy, b.len + S_CHUNK_SIZE);
	refused(copy, b.len + S_CHUNK_SIZE, "three chunks, one twice");
	/* ... at another cell of that leaf, it is a third chunk */
	copy[S_NSEGS + S_NLEAVES - 1] = 1;
	rehash(copy, b.len + S_CHUNK_SIZE);
	accepted(copy, b.len + S_CHUNK_SIZE, "three chunks");

	/* counts larger than the bytes allow */
	for (uint8_t v = 3; v < 0x80; v = (uint8_t)(v * 2 + 1)) {
		snprintf(why, sizeof(why), "nchunks %u", v);
		refused_patch(&b, S_NCHUNKS, v, why);
		snprintf(why, sizeof(why), "ntables %u", v);
		refused_patch(&b, S_NTABLES, v, why);
		snprintf(why, sizeof(why), "ncols %u", v);
		refused_patch(&b, S_NCOLS, v, why); /* more classes a chunk than there are bytes */
		snprintf(why, sizeof(why), "nsegs %u, no segment there", v);
		refused_patch(&b, S_NSEGS, v, why);
	}
	/* fewer: a chunk, a table, a column short, and a name longer than the rest */
	refused_patch(&b, S_NCHUNKS, 1, "nchunks 1 of 2");
	refused_patch(&b, S_NTABLES, 0, "ntables 0 of 1");
	refused_patch(&b, S_NCOLS, 1, "ncols 1 of 2");
	refused_patch(&b, S_NAME, 0x7f, "name longer than the blob");
	refused_patch(&b, S_NSEGS, 1, "nsegs 1, no segment there");

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
		buf_add_varint(&h, 0); /* nsegs */
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
		buf_add_varint(&h, 0); /* nsegs */
		buf_add_u64le(&h, XXH3_64bits(h.data, h.len));
		snprintf(why, sizeof(why), "ncols %llu, no chunk", (unsigned long long)nc);
		if (nc <= 32767)
			accepted(h.data, h.len, why);
		else
			refused(h.data, h.len, why);
	}
	/* 32767 columns with a chunk and a segment */
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
		buf_add_varint(&h, 1); /* nsegs */
		buf_add_varint(&h, 0); /* k */
		buf_add_varint(&h, 0); /* si */
		buf_add(&h, z, 16);
		buf_add(&h, z, 16);
		static const uint8_t rest[] = { 0, 1, 0, PAGEMAP_END_CUT, 0, 1, 1, 1, 0, 0, 0 };
		buf_add(&h, rest, sizeof(rest)); /* start_cell .. sql_len */
		buf_add(&h, z, 16);
		buf_add_varint(&h, 0);
		buf_add_varint(&h, 0);
		for (int i = 0; i < 32767; i++)
			buf_addc(&h, (uint8_t)(i * 3));
		buf_add_u64le(&h, XXH3_64bits(h.data, h.len));
		struct pagemap d;
		CHECK(pagemap_decode(h.data, h.len, &d) == 0 && d.ntables == 1 &&
		      d.tables[0].ncols == 32767 && d.tables[0].nchunks == 1 &&
		      d.tables[0].chunks[0].classes[32766] == (uint8_t)32766 &&
		      d.tables[0].nsegs == 1 &&
		      d.tables[0].segs[0].classes[32766] == (uint8_t)(32766 * 3));
		pagemap_release(&d);
		/* and one class byte short (the segment's last) */
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
 * A version 1 blob (no varint nsegs after a table's chunks) is refused by
 * its version byte; its bytes with version 2 lack nsegs and are refused
 * too; with nsegs 0 added they are a valid version 2 map.
 */
static void version1(void)
{
	struct buf h = BUF_INIT;
	uint8_t z[16];
	h16(z, 3);
	for (int variant = 0; variant < 4; variant++) {
		int ver = variant & 1 ? 2 : 1, with_nsegs = variant >= 2;
		buf_reset(&h);
		buf_add(&h, "STPM", 4);
		buf_addc(&h, (uint8_t)ver);
		buf_add_varint(&h, 2); /* two tables, the first with a chunk */
		buf_add_bytes(&h, "t", 1);
		buf_add(&h, z, 16);
		buf_add_varint(&h, 1);
		buf_add_varint(&h, 1);
		buf_add_varint(&h, 0);
		buf_add(&h, z, 16);
		buf_add(&h, z, 16);
		buf_add_varint(&h, 0);
		buf_add_varint(&h, 1);
		buf_add_varint(&h, 4);
		buf_addc(&h, PAGEMAP_END_CUT);
		buf_addc(&h, 7); /* classes */
		if (with_nsegs)
			buf_add_varint(&h, 0);
		buf_add_bytes(&h, "u", 1);
		buf_add(&h, z, 16);
		buf_add_varint(&h, 0);
		buf_add_varint(&h, 0);
		if (with_nsegs)
			buf_add_varint(&h, 0);
		buf_add_u64le(&h, XXH3_64bits(h.data, h.len));
		if (ver == 1 && !with_nsegs)
			refused(h.data, h.len, "a version 1 map");
		else if (ver == 2 && !with_nsegs)
			refused(h.data, h.len, "a version 1 map's bytes as version 2");
		else if (ver == 1)
			refused(h.data, h.len, "a version 2 map's bytes as version 1");
		else
			accepted(h.data, h.len, "version 2, nsegs 0");
	}
	buf_release(&h);
}

/*
 * A small map with segments: table "ab" of 2 columns, chunk 0, and two
 * segments of chunk 1 (which has no chunk record), si 1 and 2, with keys
 * of 2 and 3 bytes, every varint of one byte.
 */
static void small_segs(struct buf *b)
{
	struct pagemap pm = { 0 };
	uint8_t ident[16];
	struct seg_in s;
	h16(ident, 7);
	struct pagemap_table *t = pagemap_add_table(&pm, "ab", ident, 2);
	add_chunk(t, 0, 1, 2, 0, 1, 3, PAGEMAP_END_CUT);
	seg_init(&s, 1, 1, 5, 2, 2, 3);
	s.g.nleaves = 1;
	s.g.end_cell = 5;
	s.g.end = PAGEMAP_END_CUT;
	s.g.flags = PAGEMAP_SEG_OWN;
	s.g.nrows = 4;
	s.g.typed_len = 40;
	s.g.csv_len = 50;
	s.g.fire_end = 10;
	s.g.jsonl_len = 60;
	s.g.sql_len = 70;
	pagemap_add_seg(t, &s.g);
	seg_init(&s, 1, 2, 9, 6, 2, 3);
	s.g.nleaves = 2;
	s.g.end_cell = 1; /* on the second leaf: before start_cell is fine */
	s.g.end = PAGEMAP_END_TABLE;
	s.g.flags = PAGEMAP_SEG_LAST_FIRES;
	s.g.nrows = 3;
	s.g.typed_len = 30;
	s.g.csv_len = 35;
	s.g.fire_end = 0;
	s.g.jsonl_len = 61;
	s.g.sql_len = 71;
	pagemap_add_seg(t, &s.g);
	pagemap_encode(&pm, b);
	pagemap_release(&pm);
}

/* Offsets in small_segs()'s encoding, and within a segment record. */
enum {
	T_NSEGS = S_CHUNK0 + S_CHUNK_SIZE,
	T_SEG0 = T_NSEGS + 1,
	G_K = 0, G_SI = 1, G_FIRST = 2, G_SPAN = 18, G_START = 34, G_NLEAVES = 35,
	G_END_CELL = 36, G_END = 37, G_FLAGS = 38, G_NROWS = 39, G_TYPED = 40, G_CSV = 41,
	G_FIRE = 42, G_JSONL = 43, G_SQL = 44, G_ID = 45, G_FKEY = 61, G_LKEY = 64,
	G_CLASSES = 68, G_SIZE = 70,
	T_SIZE = T_SEG0 + 2 * G_SIZE + 8,
};
#define SEG(i, field) (T_SEG0 + (i) * G_SIZE + (field))

/* The decoded maps a and b hold the same content (tables, chunks, segments in order). */
static int same_decoded(const struct pagemap *a, const struct pagemap *b)
{
	if (a->ntables != b->ntables)
		return 0;
	for (size_t i = 0; i < a->ntables; i++) {
		const struct pagemap_table *x = &a->tables[i], *y = &b->tables[i];
		if (strcmp(x->name, y->name) || memcmp(x->ident, y->ident, 16) ||
		    x->ncols != y->ncols || x->nchunks != y->nchunks || x->nsegs != y->nsegs)
			return 0;
		for (size_t k = 0; k < x->nchunks; k++)
			if (!chunk_eq(&x->chunks[k], &y->chunks[k], x->ncols))
				return 0;
		for (size_t k = 0; k < x->nsegs; k++)
			if (!seg_eq(&x->segs[k], &y->segs[k], x->ncols))
				return 0;
	}
	return 1;
}

static void damage_segs(void)
{
	struct buf b = BUF_INIT, e = BUF_INIT;
	char why[96];

	small_segs(&b);
	CHECKF(b.len == T_SIZE, "small encoding with segments is %zu bytes", b.len);
	if (b.len != T_SIZE) {
		buf_release(&b);
		return;
	}
	/* the offsets are right */
	uint8_t f[16];
	h16(f, 5);
	CHECK(b.data[T_NSEGS] == 2 && b.data[SEG(0, G_K)] == 1 && b.data[SEG(0, G_SI)] == 1 &&
	      !memcmp(b.data + SEG(0, G_FIRST), f, 16) && b.data[SEG(0, G_START)] == 2 &&
	      b.data[SEG(0, G_NLEAVES)] == 1 && b.data[SEG(0, G_END_CELL)] == 5 &&
	      b.data[SEG(0, G_END)] == PAGEMAP_END_CUT && b.data[SEG(0, G_FLAGS)] == 1 &&
	      b.data[SEG(0, G_NROWS)] == 4 && b.data[SEG(0, G_TYPED)] == 40 &&
	      b.data[SEG(0, G_CSV)] == 50 && b.data[SEG(0, G_FIRE)] == 10 &&
	      b.data[SEG(0, G_JSONL)] == 60 && b.data[SEG(0, G_SQL)] == 70 &&
	      b.data[SEG(0, G_FKEY)] == 2 && b.data[SEG(0, G_LKEY)] == 3);
	h16(f, 9);
	CHECK(b.data[SEG(1, G_K)] == 1 && b.data[SEG(1, G_SI)] == 2 &&
	      !memcmp(b.data + SEG(1, G_FIRST), f, 16) && b.data[SEG(1, G_START)] == 6 &&
	      b.data[SEG(1, G_NLEAVES)] == 2 && b.data[SEG(1, G_END_CELL)] == 1 &&
	      b.data[SEG(1, G_TYPED)] == 30 && b.data[SEG(1, G_FIRE)] == 0 &&
	      b.data[SEG(1, G_SQL)] == 71 && b.data[SEG(1, G_FKEY)] == 2);
	accepted(b.data, b.len, "small with segments");
	{
		struct pagemap d;
		CHECK(pagemap_decode(b.data, b.len, &d) == 0 && d.tables[0].nsegs == 2 &&
		      d.tables[0].segs[1].classes[1] == (uint8_t)(13 + 6 + 5 + 2) &&
		      d.tables[0].segs[0].last_key[2] == (uint8_t)(29 + 3 + 22 + 1));
		pagemap_release(&d);
	}

	/* every truncation, each in a buffer of exactly that size */
	for (size_t n = 0; n < b.len; n++) {
		uint8_t *p = xmalloc(n ? n : 1);
		memcpy(p, b.data, n);
		snprintf(why, sizeof(why), "segments: truncated to %zu", n);
		refused(p, n, why);
		free(p);
	}
	/*
	 * every bit of every byte, and every byte inverted: refused as is; with
	 * the checksum fixed up, refused or taken (then its encoding decodes
	 * again to the same content), and always taken where the byte is one
	 * no check looks at (digests, ids, key and class bytes)
	 */
	uint8_t *copy = xmalloc(b.len);
	size_t taken = 0, nrefused = 0;
	for (size_t i = 0; i < b.len; i++) {
		int free_byte = (i >= S_NAME + 3 && i < S_NCOLS) ||                /* ident */
				(i > S_CHUNK0 && i < S_CHUNK0 + 33) ||             /* digests */
				(i >= S_CHUNK0 + S_CHUNK_SIZE - 2 && i < T_NSEGS); /* classes */
		for (int s = 0; s < 2; s++) {
			size_t o = SEG(s, 0);
			if ((i >= o + G_FIRST && i < o + G_START) ||
			    (i >= o + G_ID && i < o + G_FKEY) || (i > o + G_FKEY && i < o + G_LKEY) ||
			    (i > o + G_LKEY && i < o + G_CLASSES) ||
			    (i >= o + G_CLASSES && i < o + G_SIZE))
				free_byte = 1;
		}
		/* the two segments' digests: a one-byte change cannot make them one start */
		for (int bit = 0; bit <= 8; bit++) {
			uint8_t x = bit < 8 ? (uint8_t)(1u << bit) : 0xff;
			memcpy(copy, b.data, b.len);
			copy[i] ^= x;
			snprintf(why, sizeof(why), "segments: byte %zu ^ %#x", i, (unsigned)x);
			refused(copy, b.len, why);
			if (i >= b.len - 8)
				continue;
			rehash(copy, b.len);
			struct pagemap d, d2;
			int rc = pagemap_decode(copy, b.len, &d);
			CHECKF(rc == 0 || rc == -EUCLEAN, "%s, rehashed: rc %d", why, rc);
			CHECKF(!free_byte || rc == 0, "%s, rehashed: refused", why);
			if (rc) {
				CHECKF(d.ntables == 0 && d.tables == NULL, "%s: map not left empty",
				       why);
				nrefused++;
				continue;
			}
			taken++;
			buf_reset(&e);
			pagemap_encode(&d, &e);
			int rc2 = e.len <= b.len ? pagemap_decode(e.data, e.len, &d2) : -1;
			CHECKF(rc2 == 0, "%s, rehashed: its encoding (%zu bytes) rc %d", why, e.len,
			       rc2);
			if (rc2 == 0) {
				CHECKF(same_decoded(&d, &d2), "%s, rehashed: not the same again", why);
				pagemap_release(&d2);
			}
			pagemap_release(&d);
		}
	}
	CHECKF(taken > 0 && nrefused > 0, "rehashed flips: %zu taken, %zu refused", taken, nrefused);
	free(copy);

	/* the version byte: 1 (the layout without segments), and others */
	static const uint8_t versions[] = { 0, 1, PAGEMAP_VERSION + 1, 0xff };
	for (size_t i = 0; i < sizeof(versions); i++) {
		snprintf(why, sizeof(why), "segments: version %u", versions[i]);
		refused_patch(&b, 4, versions[i], why);
	}

	for (int s = 0; s < 2; s++) {
		/* end: 1 and 2 only (3 and 4 are chunks' kinds) */
		for (unsigned v = 0; v < 256; v++) {
			snprintf(why, sizeof(why), "segment %d end %u", s, v);
			patched(&b, SEG(s, G_END), (uint8_t)v,
				v == PAGEMAP_END_CUT || v == PAGEMAP_END_TABLE, why);
		}
		/* flags: bits 0 and 1 only */
		for (unsigned v = 0; v < 256; v++) {
			snprintf(why, sizeof(why), "segment %d flags %#x", s, v);
			patched(&b, SEG(s, G_FLAGS), (uint8_t)v, v <= 3, why);
		}
		/* nleaves 0 */
		snprintf(why, sizeof(why), "segment %d nleaves 0", s);
		patched(&b, SEG(s, G_NLEAVES), 0, 0, why);
		snprintf(why, sizeof(why), "segment %d nleaves 3", s);
		patched(&b, SEG(s, G_NLEAVES), 3, 1, why);
		/* nrows 0 */
		snprintf(why, sizeof(why), "segment %d nrows 0", s);
		patched(&b, SEG(s, G_NROWS), 0, 0, why);
		snprintf(why, sizeof(why), "segment %d nrows 1", s);
		patched(&b, SEG(s, G_NROWS), 1, 1, why);
		snprintf(why, sizeof(why), "segment %d nrows 127", s);
		patched(&b, SEG(s, G_NROWS), 0x7f, 1, why);
		/* typed_len 0 */
		snprintf(why, sizeof(why), "segment %d typed_len 0", s);
		patched(&b, SEG(s, G_TYPED), 0, 0, why);
		snprintf(why, sizeof(why), "segment %d typed_len 127", s);
		patched(&b, SEG(s, G_TYPED), 0x7f, 1, why);
		/* csv_len 0 */
		snprintf(why, sizeof(why), "segment %d csv_len 0", s);
		patched(&b, SEG(s, G_CSV), 0, 0, why);
		snprintf(why, sizeof(why), "segment %d csv_len 1", s);
		patched(&b, SEG(s, G_CSV), 1, 1, why);
		/* jsonl_len and sql_len are not checked: 0 is taken */
		snprintf(why, sizeof(why), "segment %d jsonl_len 0", s);
		patched(&b, SEG(s, G_JSONL), 0, 1, why);
		snprintf(why, sizeof(why), "segment %d sql_len 0", s);
		patched(&b, SEG(s, G_SQL), 0, 1, why);
		/* fire_end 0 (none) is taken */
		snprintf(why, sizeof(why), "segment %d fire_end 0", s);
		patched(&b, SEG(s, G_FIRE), 0, 1, why);
	}
	/* segment 1 (typed_len 30, fire_end 0): typed_len 1 is the least */
	patched(&b, SEG(1, G_TYPED), 1, 1, "segment 1 typed_len 1, fire_end 0");
	/* segment 0 (typed_len 40, fire_end 10): fire_end under typed_len, exactly */
	for (unsigned v = 0; v < 0x80; v++) {
		snprintf(why, sizeof(why), "segment 0 fire_end %u of typed_len 40", v);
		patched(&b, SEG(0, G_FIRE), (uint8_t)v, v < 40, why);
		snprintf(why, sizeof(why), "segment 0 typed_len %u, fire_end 10", v);
		patched(&b, SEG(0, G_TYPED), (uint8_t)v, v > 10, why);
	}
	patched2(&b, SEG(1, G_TYPED), 1, SEG(1, G_FIRE), 0, 1, "typed_len 1, fire_end 0");
	patched2(&b, SEG(1, G_TYPED), 1, SEG(1, G_FIRE), 1, 0, "typed_len 1, fire_end 1");
	/* one leaf: end_cell at or after start_cell (segment 0: start 2, end 5) */
	for (unsigned v = 0; v < 0x80; v++) {
		snprintf(why, sizeof(why), "segment 0, one leaf, start_cell %u, end_cell 5", v);
		patched(&b, SEG(0, G_START), (uint8_t)v, v <= 5, why);
		snprintf(why, sizeof(why), "segment 0, one leaf, start_cell 2, end_cell %u", v);
		patched(&b, SEG(0, G_END_CELL), (uint8_t)v, v >= 2, why);
	}
	/* segment 1 (start 6, end 1) on two leaves; on one it is refused */
	patched(&b, SEG(1, G_NLEAVES), 1, 0, "segment 1 on one leaf, end_cell < start_cell");
	patched2(&b, SEG(1, G_NLEAVES), 1, SEG(1, G_END_CELL), 6, 1,
		 "segment 1 on one leaf, end_cell == start_cell");
	patched2(&b, SEG(1, G_NLEAVES), 1, SEG(1, G_END_CELL), 5, 0,
		 "segment 1 on one leaf, end_cell == start_cell - 1");

	/* (k, si) strictly increasing: segment 0 is (1, 1), segment 1 (1, 2) */
	patched(&b, SEG(1, G_SI), 1, 0, "same k, same si");
	patched(&b, SEG(1, G_SI), 0, 0, "same k, smaller si");
	patched(&b, SEG(1, G_SI), 3, 1, "same k, larger si");
	patched(&b, SEG(1, G_SI), 0x7f, 1, "same k, si 127");
	patched(&b, SEG(1, G_K), 0, 0, "smaller k, larger si");
	patched2(&b, SEG(1, G_K), 0, SEG(1, G_SI), 1, 0, "smaller k, same si");
	patched2(&b, SEG(1, G_K), 0, SEG(1, G_SI), 0, 0, "smaller k, smaller si");
	patched(&b, SEG(1, G_K), 2, 1, "larger k, larger si");
	patched2(&b, SEG(1, G_K), 2, SEG(1, G_SI), 1, 1, "larger k, same si");
	patched2(&b, SEG(1, G_K), 2, SEG(1, G_SI), 0, 1, "larger k, si 0");
	patched(&b, SEG(0, G_SI), 2, 0, "segment 0 with segment 1's si");
	patched(&b, SEG(0, G_SI), 3, 0, "segment 0 with a larger si");
	patched(&b, SEG(0, G_SI), 0, 1, "segment 0 si 0");
	patched(&b, SEG(0, G_K), 2, 0, "segment 0 of a larger k");
	patched(&b, SEG(0, G_K), 0, 1, "segment 0 of chunk 0");
	patched2(&b, SEG(0, G_K), 0, SEG(0, G_SI), 0x7f, 1, "segment 0 of chunk 0, si 127");

	/* two segments starting at one row, of one chunk or of two */
	{
		struct buf c = BUF_INIT;
		buf_add(&c, b.data, b.len);
		memcpy(c.data + SEG(1, G_FIRST), c.data + SEG(0, G_FIRST), 16);
		patched(&c, SEG(1, G_START), 2, 0, "two segments at one (first, start_cell)");
		patched(&c, SEG(1, G_START), 3, 1, "segment 1 on segment 0's leaf, another cell");
		patched(&c, SEG(1, G_START), 1, 1, "segment 1 on segment 0's leaf, a cell before");
		c.data[SEG(1, G_K)] = 2;
		patched(&c, SEG(1, G_START), 2, 0, "two segments of two chunks at one start");
		c.data[SEG(1, G_K)] = 1;
		/* ... and its digest, changed in the last byte, is another leaf */
		c.data[SEG(1, G_FIRST) + 15] ^= 1;
		patched(&c, SEG(1, G_START), 2, 1, "another leaf at segment 0's cell");
		/* a segment may start where a chunk starts (its chunk's first segment does) */
		buf_reset(&c);
		buf_add(&c, b.data, b.len);
		memcpy(c.data + SEG(0, G_FIRST), c.data + S_CHUNK0 + 1, 16);
		patched(&c, SEG(0, G_START), 0, 1, "a segment where a chunk starts");
		buf_release(&c);
	}

	/* nsegs: 2 there; larger than the bytes allow (2 x 70 bytes, 65 at least each) */
	for (unsigned v = 0; v < 0x80; v++) {
		snprintf(why, sizeof(why), "nsegs %u of 2", v);
		patched(&b, T_NSEGS, (uint8_t)v, v == 2, why);
	}
	/* ncols 3: a class byte more a segment than there is */
	refused_patch(&b, S_NCOLS, 3, "ncols 3 of 2, with segments");
	refused_patch(&b, S_NCOLS, 1, "ncols 1 of 2, with segments");
	/* a key longer than the rest, or one byte longer */
	patched(&b, SEG(1, G_LKEY), 0x7f, 0, "last key longer than the blob");
	patched(&b, SEG(1, G_LKEY), 4, 0, "last key a byte too long");
	patched(&b, SEG(0, G_FKEY), 3, 0, "segment 0's first key a byte too long");
	patched(&b, SEG(0, G_FKEY), 1, 0, "segment 0's first key a byte short");
	/* a whole third segment behind the declared ones */
	{
		struct buf c = BUF_INIT;
		buf_add(&c, b.data, b.len - 8);
		buf_add(&c, b.data + SEG(1, 0), G_SIZE);
		buf_add_u64le(&c, 0);
		rehash(c.data, c.len);
		refused(c.data, c.len, "an undeclared segment");
		c.data[T_NSEGS] = 3; /* a copy of segment 1: its (k, si) again */
		patched(&c, T_NSEGS, 3, 0, "three segments, one twice");
		c.data[SEG(2, G_SI)] = 3; /* ... its start again */
		patched(&c, T_NSEGS, 3, 0, "three segments, two at one start");
		c.data[SEG(2, G_START)] = 7;
		patched(&c, T_NSEGS, 3, 1, "three segments");
		patched(&c, T_NSEGS, 4, 0, "nsegs 4 of 3");
		buf_release(&c);
	}
	buf_release(&e);
	buf_release(&b);
}

/* The fields of a hand-made segment record, wide enough for values out of range. */
struct raw_seg {
	uint64_t k, si, start, nleaves, end_cell, end, flags, nrows, typed, csv, fire, jsonl, sql;
	uint64_t flen, llen; /* above KEYMAX: the length alone, no bytes */
};

static const struct raw_seg RAW_OK = { 0, 0, 0, 1, 0, PAGEMAP_END_CUT, 0, 1, 1, 1, 0, 0, 0, 0, 0 };

static void raw_seg_add(struct buf *h, const struct raw_seg *g, unsigned ncols, uint32_t cell_seed)
{
	uint8_t z[16], keys[KEYMAX];
	h16(z, cell_seed);
	memset(keys, 0x4b, sizeof(keys));
	buf_add_varint(h, g->k);
	buf_add_varint(h, g->si);
	buf_add(h, z, 16);
	buf_add(h, z, 16);
	buf_add_varint(h, g->start);
	buf_add_varint(h, g->nleaves);
	buf_add_varint(h, g->end_cell);
	buf_addc(h, (uint8_t)g->end);
	buf_addc(h, (uint8_t)g->flags);
	buf_add_varint(h, g->nrows);
	buf_add_varint(h, g->typed);
	buf_add_varint(h, g->csv);
	buf_add_varint(h, g->fire);
	buf_add_varint(h, g->jsonl);
	buf_add_varint(h, g->sql);
	buf_add(h, z, 16);
	buf_add_varint(h, g->flen);
	if (g->flen <= KEYMAX)
		buf_add(h, keys, g->flen);
	buf_add_varint(h, g->llen);
	if (g->llen <= KEYMAX)
		buf_add(h, keys, g->llen);
	for (unsigned i = 0; i < ncols; i++)
		buf_addc(h, (uint8_t)i);
}

/* A map of one table "x" of ncols columns, no chunk, nsegs declared, the given records. */
static void raw_map(struct buf *h, unsigned ncols, uint64_t nsegs, const struct raw_seg *g,
		    size_t n)
{
	uint8_t z[16] = { 0 };
	buf_reset(h);
	buf_add(h, "STPM", 4);
	buf_addc(h, PAGEMAP_VERSION);
	buf_add_varint(h, 1);
	buf_add_bytes(h, "x", 1);
	buf_add(h, z, 16);
	buf_add_varint(h, ncols);
	buf_add_varint(h, 0);
	buf_add_varint(h, nsegs);
	for (size_t i = 0; i < n; i++)
		raw_seg_add(h, &g[i], ncols, (uint32_t)i); /* distinct leaves */
	buf_add_u64le(h, XXH3_64bits(h->data, h->len));
}

/* Values of several varint bytes and counts, in hand-made blobs. */
static void hand_segs(void)
{
	struct buf h = BUF_INIT;
	char why[96];
	const uint64_t U32 = UINT32_MAX, O32 = (uint64_t)UINT32_MAX + 1;
	struct raw_seg g;
	struct pagemap d;

	raw_map(&h, 0, 1, &RAW_OK, 1);
	CHECK(h.len == 4 + 1 + 1 + 2 + 16 + 1 + 1 + 1 + 63 + 8); /* a segment's least: 63 bytes */
	accepted(h.data, h.len, "hand-made segment, valid");
	/* a table's only segment is found, and nothing else */
	CHECK(pagemap_decode(h.data, h.len, &d) == 0 && d.ntables == 1 && d.tables[0].nsegs == 1);
	if (d.ntables == 1 && d.tables[0].nsegs == 1) {
		const struct pagemap_seg *one = &d.tables[0].segs[0];
		size_t n = 0;
		CHECK(pagemap_find_seg(&d.tables[0], one->first, 0) == one);
		CHECK(pagemap_find_seg(&d.tables[0], one->first, 1) == NULL);
		CHECK(pagemap_chunk_segs(&d.tables[0], 0, &n) == one && n == 1);
		CHECK(pagemap_chunk_segs(&d.tables[0], 1, &n) == NULL && n == 0);
	}
	pagemap_release(&d);

#define RAW(field, value, ok)                                                  \
	do {                                                                   \
		g = RAW_OK;                                                    \
		g.field = (value);                                             \
		raw_map(&h, 2, 1, &g, 1);                                      \
		snprintf(why, sizeof(why), "segment %s %llu", #field,          \
			 (unsigned long long)(value));                         \
		if (ok)                                                        \
			accepted(h.data, h.len, why);                          \
		else                                                           \
			refused(h.data, h.len, why);                           \
	} while (0)
	RAW(k, U32, 1);
	RAW(k, O32, 0);
	RAW(k, UINT64_MAX, 0);
	RAW(si, U32, 1);
	RAW(si, O32, 0);
	RAW(si, UINT64_MAX, 0);
	RAW(start, O32, 0);
	RAW(nleaves, U32, 1);
	RAW(nleaves, O32, 0);
	RAW(end_cell, U32, 1);
	RAW(end_cell, O32, 0);
	RAW(nrows, U32, 1);
	RAW(nrows, O32, 0);
	RAW(typed, U32, 1);
	RAW(typed, O32, 0);
	RAW(csv, U32, 1);
	RAW(csv, O32, 0);
	RAW(csv, UINT64_MAX, 0);
	RAW(fire, O32, 0);
	RAW(jsonl, UINT64_MAX, 1);
	RAW(sql, UINT64_MAX, 1);
	RAW(jsonl, O32, 1);
	RAW(flen, KEYMAX, 1);
	RAW(llen, KEYMAX, 1);
	RAW(flen, O32, 0);
	RAW(llen, O32, 0);
	RAW(flen, UINT64_MAX, 0);
	RAW(llen, 1000, 0);
#undef RAW
	/* start_cell 2^32-1 on one leaf: end_cell must be 2^32-1 too */
	g = RAW_OK;
	g.start = U32;
	g.end_cell = U32;
	raw_map(&h, 1, 1, &g, 1);
	accepted(h.data, h.len, "start_cell = end_cell = 2^32-1");
	g.end_cell = U32 - 1;
	raw_map(&h, 1, 1, &g, 1);
	refused(h.data, h.len, "start_cell 2^32-1, end_cell 2^32-2, one leaf");
	g.nleaves = 2;
	raw_map(&h, 1, 1, &g, 1);
	accepted(h.data, h.len, "start_cell 2^32-1, end_cell 2^32-2, two leaves");
	/* fire_end under typed_len, with values of five varint bytes */
	g = RAW_OK;
	g.typed = U32;
	g.fire = U32 - 1;
	raw_map(&h, 1, 1, &g, 1);
	accepted(h.data, h.len, "fire_end 2^32-2 of typed_len 2^32-1");
	g.fire = U32;
	raw_map(&h, 1, 1, &g, 1);
	refused(h.data, h.len, "fire_end 2^32-1 of typed_len 2^32-1");
	g.typed = 100000;
	g.fire = 99999;
	raw_map(&h, 1, 1, &g, 1);
	accepted(h.data, h.len, "fire_end 99999 of typed_len 100000");
	g.fire = 100000;
	raw_map(&h, 1, 1, &g, 1);
	refused(h.data, h.len, "fire_end 100000 of typed_len 100000");
	/* (k, si) order with values of several bytes */
	struct raw_seg two[2] = { RAW_OK, RAW_OK };
	two[0].k = 1000000;
	two[0].si = 300;
	two[1].k = 1000000;
	two[1].si = 301;
	raw_map(&h, 1, 2, two, 2);
	accepted(h.data, h.len, "(10^6, 300), (10^6, 301)");
	two[1].si = 300;
	raw_map(&h, 1, 2, two, 2);
	refused(h.data, h.len, "(10^6, 300) twice");
	two[1].k = 999999;
	two[1].si = U32;
	raw_map(&h, 1, 2, two, 2);
	refused(h.data, h.len, "(10^6, 300), (10^6 - 1, 2^32-1)");
	two[1].k = 1000001;
	two[1].si = 0;
	raw_map(&h, 1, 2, two, 2);
	accepted(h.data, h.len, "(10^6, 300), (10^6 + 1, 0)");

	/* counts beyond what is there, of several bytes */
	static const uint64_t counts[] = { 2, 3, 127, 128, 16383, 16384, O32, (uint64_t)1 << 40,
					   UINT64_MAX };
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		raw_map(&h, 0, counts[i], &RAW_OK, 1);
		snprintf(why, sizeof(why), "nsegs %llu, one there", (unsigned long long)counts[i]);
		refused(h.data, h.len, why);
	}
	raw_map(&h, 0, 0, &RAW_OK, 1);
	refused(h.data, h.len, "nsegs 0, one there");

	/*
	 * the bound on nsegs is exact: n segments of 63 bytes and their
	 * classes are taken, n + 1 declared over those bytes refused
	 */
	static const unsigned ncs[] = { 0, 1, 3, 200 };
	for (size_t c = 0; c < sizeof(ncs) / sizeof(ncs[0]); c++) {
		struct raw_seg many[127];
		static const size_t counts_n[] = { 1, 2, 3, 4, 5, 30, 55, 80, 105, 127 };
		for (size_t ni = 0; ni < sizeof(counts_n) / sizeof(counts_n[0]); ni++) {
			size_t n = counts_n[ni];
			for (size_t i = 0; i < n; i++) {
				many[i] = RAW_OK;
				many[i].si = i;
			}
			raw_map(&h, ncs[c], n, many, n);
			snprintf(why, sizeof(why), "%zu minimal segments of %u columns", n, ncs[c]);
			CHECKF(h.len == 4 + 1 + 1 + 2 + 16 + (ncs[c] > 127 ? 2 : 1) + 1 + 1 +
					    n * (63 + ncs[c]) + 8,
			       "%s: %zu bytes", why, h.len);
			CHECKF(pagemap_decode(h.data, h.len, &d) == 0 && d.tables[0].nsegs == n &&
				       d.tables[0].segs[n - 1].si == n - 1,
			       "%s", why);
			pagemap_release(&d);
			raw_map(&h, ncs[c], n + 1, many, n);
			snprintf(why, sizeof(why), "%zu minimal segments of %u columns, %zu declared",
				 n, ncs[c], n + 1);
			refused(h.data, h.len, why);
		}
	}

	/* segments in a table after one with chunks and segments, and the other way round */
	{
		struct pagemap pm = { 0 };
		struct buf b = BUF_INIT;
		uint8_t ident[16] = { 0 };
		struct pagemap_table *t = pagemap_add_table(&pm, "a", ident, 2);
		add_chunk(t, 0, 1, 1, 0, 1, 0, PAGEMAP_END_CUT);
		add_seg(t, 0, 0, 1, 0, 3, 3);
		add_seg(t, 0, 1, 1, 4, 3, 3);
		t = pagemap_add_table(&pm, "b", ident, 0);
		add_seg(t, 0, 0, 1, 0, 3, 3);
		t = pagemap_add_table(&pm, "c", ident, 5);
		add_chunk(t, 0, 1, 1, 0, 1, 0, PAGEMAP_END_CUT);
		pagemap_encode(&pm, &b);
		CHECK(pagemap_decode(b.data, b.len, &d) == 0 && d.ntables == 3 &&
		      d.tables[0].nsegs == 2 && d.tables[1].nsegs == 1 && d.tables[2].nsegs == 0 &&
		      d.tables[2].nchunks == 1);
		same(&pm, &d);
		pagemap_release(&d);
		pagemap_release(&pm);
		buf_release(&b);
	}
	buf_release(&h);
}

/* Encode pm into b (reset first), and decode it: taken or refused. */
static void check_map(const struct pagemap *pm, struct buf *b, int ok, const char *why)
{
	buf_reset(b);
	pagemap_encode(pm, b);
	if (ok)
		accepted(b->data, b->len, why);
	else
		refused(b->data, b->len, why);
}

/*
 * Content the encoder writes without checking, built with the library: the
 * decoder refuses it (and, as positive controls, takes the near misses).
 * Refusals come after earlier tables, chunks and segments were decoded, so
 * that the sanitizer build sees any of their memory leak on the way out.
 */
static void structure(void)
{
	struct pagemap pm;
	struct buf b = BUF_INIT;
	uint8_t ident[16] = { 0 };
	struct pagemap_table *t;
	struct seg_in s;

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

	/* segments: two at one start in different chunks, added far apart */
	memset(&pm, 0, sizeof(pm));
	t = pagemap_add_table(&pm, "segs", ident, 2);
	for (uint32_t i = 0; i < 20; i++)
		for (uint32_t j = 0; j < 2; j++)
			add_seg(t, i, j, 100 + i, j * 10, 40, 40);
	add_seg(t, 25, 0, 107, 10, 40, 40); /* chunk 7's segment 1's start */
	check_map(&pm, &b, 0, "two segments at one start, chunks 7 and 25, among 41");
	t->segs[40].start_cell = 11;
	check_map(&pm, &b, 1, "41 segments, the last at another cell of that leaf");
	h16(t->segs[40].first, 4242);
	t->segs[40].start_cell = 10;
	check_map(&pm, &b, 1, "41 segments, the last at that cell of another leaf");
	/* ... and at one start with the same k */
	t->segs[40].k = 7;
	t->segs[40].si = 1;
	memcpy(t->segs[40].first, t->segs[15].first, 16); /* chunk 7's segment 1 */
	check_map(&pm, &b, 0, "chunk 7's segment 1 twice");
	t->segs[40].si = 2;
	check_map(&pm, &b, 0, "chunk 7's segments 1 and 2 at one start, out of order");
	pagemap_release(&pm);

	/* a segment where its chunk, or another chunk, starts is fine */
	memset(&pm, 0, sizeof(pm));
	t = pagemap_add_table(&pm, "at chunks", ident, 1);
	add_chunk(t, 0, 300, 301, 4, 2, 1, PAGEMAP_END_CUT);
	add_chunk(t, 1, 302, 303, 0, 1, 9, PAGEMAP_END_TABLE);
	add_seg(t, 0, 0, 300, 4, 5, 5);
	add_seg(t, 0, 1, 302, 0, 5, 5); /* where chunk 1 starts */
	add_seg(t, 1, 0, 302, 1, 5, 5);
	check_map(&pm, &b, 1, "segments where chunks start");
	pagemap_release(&pm);

	/* out of (k, si) order, added so through the library (which does not check) */
	static const struct {
		uint32_t k0, si0, k1, si1;
		int ok;
		const char *why;
	} order[] = {
		{ 3, 4, 3, 4, 0, "(3, 4), (3, 4)" },
		{ 3, 4, 3, 3, 0, "(3, 4), (3, 3)" },
		{ 3, 4, 3, 0, 0, "(3, 4), (3, 0)" },
		{ 3, 4, 2, 9, 0, "(3, 4), (2, 9)" },
		{ 3, 4, 2, 4, 0, "(3, 4), (2, 4)" },
		{ 3, 4, 0, 0, 0, "(3, 4), (0, 0)" },
		{ 3, UINT32_MAX, 3, 0, 0, "(3, 2^32-1), (3, 0)" },
		{ UINT32_MAX, 0, 0, 1, 0, "(2^32-1, 0), (0, 1)" },
		{ 3, 4, 3, 5, 1, "(3, 4), (3, 5)" },
		{ 3, 4, 4, 0, 1, "(3, 4), (4, 0)" },
		{ 3, 4, 4, 4, 1, "(3, 4), (4, 4)" },
		{ 3, UINT32_MAX - 1, 3, UINT32_MAX, 1, "(3, 2^32-2), (3, 2^32-1)" },
		{ 1, 0, UINT32_MAX, 0, 1, "(1, 0), (2^32-1, 0)" },
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		memset(&pm, 0, sizeof(pm));
		t = pagemap_add_table(&pm, "first", ident, 1); /* decoded before: its memory */
		add_chunk(t, 0, 1, 1, 0, 1, 0, PAGEMAP_END_CUT);
		add_seg(t, 0, 0, 1, 0, 50, 50);
		add_seg(t, 1, 0, 2, 0, 50, 50);
		t = pagemap_add_table(&pm, "order", ident, 3);
		add_chunk(t, 0, 1, 1, 0, 1, 0, PAGEMAP_END_CUT);
		add_seg(t, 0, 0, 5, 0, 20, 20);
		add_seg(t, order[i].k0, order[i].si0, 10, 0, 20, 20);
		add_seg(t, order[i].k1, order[i].si1, 11, 0, 20, 20);
		add_seg(t, UINT32_MAX, UINT32_MAX, 12, 0, 20, 20); /* a good one after */
		check_map(&pm, &b, order[i].ok, order[i].why);
		pagemap_release(&pm);
	}

	/*
	 * each check on a segment's fields, on the fourth segment of a second
	 * table (the first with chunks and segments), with values of several
	 * varint bytes: refused, and the neighbouring value taken
	 */
	static const struct {
		int field; /* 0 end, 1 flags, 2 nleaves, 3 end_cell, 4 nrows, 5 typed_len,
			      6 csv_len, 7 fire_end */
		uint32_t v;
		int ok;
		const char *why;
	} fields[] = {
		{ 0, 0, 0, "end 0" }, { 0, PAGEMAP_END_CUT, 1, "end 1" },
		{ 0, PAGEMAP_END_TABLE, 1, "end 2" }, { 0, PAGEMAP_END_BEFORE, 0, "end 3" },
		{ 0, PAGEMAP_END_BEFORE_NEXT, 0, "end 4" }, { 0, 255, 0, "end 255" },
		{ 1, 0, 1, "flags 0" }, { 1, 3, 1, "flags 3" }, { 1, 4, 0, "flags 4" },
		{ 1, 0x80, 0, "flags 0x80" },
		{ 2, 0, 0, "nleaves 0" }, { 2, 1, 1, "nleaves 1, end_cell = start_cell" },
		{ 3, 1000 - 1, 0, "one leaf, end_cell = start_cell - 1" },
		{ 3, 1000, 1, "one leaf, end_cell = start_cell" },
		{ 4, 0, 0, "nrows 0" }, { 4, 1, 1, "nrows 1" },
		{ 5, 0, 0, "typed_len 0" }, { 5, 70000, 0, "typed_len = fire_end" },
		{ 5, 70001, 1, "typed_len = fire_end + 1" },
		{ 6, 0, 0, "csv_len 0" }, { 6, 1, 1, "csv_len 1" },
		{ 7, 100000, 0, "fire_end = typed_len" }, { 7, 100001, 0, "fire_end > typed_len" },
		{ 7, 99999, 1, "fire_end = typed_len - 1" }, { 7, 0, 1, "fire_end 0" },
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		memset(&pm, 0, sizeof(pm));
		t = pagemap_add_table(&pm, "first", ident, 2);
		for (uint32_t k = 0; k < 3; k++)
			add_chunk(t, k, 20 + k, 1, 0, 1, 0, PAGEMAP_END_CUT);
		for (uint32_t k = 0; k < 3; k++)
			add_seg(t, k, 0, 20 + k, 0, 100, 200);
		t = pagemap_add_table(&pm, "second", ident, 4);
		add_chunk(t, 0, 1, 1, 0, 1, 0, PAGEMAP_END_CUT);
		for (uint32_t k = 0; k < 3; k++)
			add_seg(t, 0, k, 30 + k, 0, 300, 300);
		seg_init(&s, 1, 0, 40, 1000, 300, 300);
		s.g.nleaves = 1;
		s.g.end_cell = 1000;
		s.g.end = PAGEMAP_END_CUT;
		s.g.flags = 1;
		s.g.nrows = 5000;
		s.g.typed_len = 100000;
		s.g.csv_len = 200000;
		s.g.fire_end = 70000;
		switch (fields[i].field) {
		case 0: s.g.end = (uint8_t)fields[i].v; break;
		case 1: s.g.flags = (uint8_t)fields[i].v; break;
		case 2: s.g.nleaves = fields[i].v; break;
		case 3: s.g.end_cell = fields[i].v; break;
		case 4: s.g.nrows = fields[i].v; break;
		case 5: s.g.typed_len = fields[i].v; break;
		case 6: s.g.csv_len = fields[i].v; break;
		case 7: s.g.fire_end = fields[i].v; break;
		}
		pagemap_add_seg(t, &s.g);
		add_seg(t, 1, 1, 41, 0, 300, 300);
		t = pagemap_add_table(&pm, "third", ident, 0);
		add_seg(t, 0, 0, 50, 0, 1, 1);
		check_map(&pm, &b, fields[i].ok, fields[i].why);
		pagemap_release(&pm);
	}

	/* a bad chunk, or a table named twice, after a table with segments */
	memset(&pm, 0, sizeof(pm));
	t = pagemap_add_table(&pm, "a", ident, 2);
	for (uint32_t k = 0; k < 5; k++)
		add_seg(t, k, 0, 60 + k, 0, 500, 500);
	t = pagemap_add_table(&pm, "b", ident, 2);
	add_chunk(t, 0, 70, 1, 0, 0, 0, PAGEMAP_END_CUT);
	check_map(&pm, &b, 0, "nleaves 0 in a chunk after a table with segments");
	t->chunks[0].nleaves = 1;
	check_map(&pm, &b, 1, "nleaves 1 in a chunk after a table with segments");
	free(t->name);
	t->name = xstrdup("a");
	check_map(&pm, &b, 0, "a table named twice, the first with segments");
	pagemap_release(&pm);

	buf_release(&b);
}

/* ---- one chunk's segment list (pagemap_segs_*) ---- */

/* A load that must fail: -EUCLEAN, and nothing added to s. */
static void list_refused(struct pagemap_segs *s, const uint8_t *p, size_t n, const char *why)
{
	size_t before = s->n;
	int rc = pagemap_segs_load(s, 99, p, n);
	CHECKF(rc == -EUCLEAN, "%s: rc %d", why, rc);
	CHECKF(s->n == before, "%s: %zu records added", why, s->n - before);
}

/* A list of n segments of chunk k (seg_init), encoded for ncols columns, in ins[]. */
static void list_make(struct seg_in *ins, size_t n, uint32_t k, uint32_t seed, unsigned ncols,
		      struct buf *out)
{
	struct pagemap_seg *g = xcalloc(n ? n : 1, sizeof(*g));
	for (size_t i = 0; i < n; i++) {
		seg_init(&ins[i], k, (uint32_t)(2 * i + k % 2), seed + (uint32_t)i, (uint32_t)(i * 3),
			 (uint32_t)(i * 37 % KEYMAX), (uint32_t)(i * 53 % KEYMAX));
		g[i] = ins[i].g;
	}
	buf_reset(out);
	pagemap_segs_encode(g, n, ncols, out);
	free(g);
}

/*
 * Lists survive encode and load field for field (k is the one given to the
 * load, whatever the records had); records are found by where they start,
 * stay where they are while the index grows, and a record starting where a
 * loaded one starts is not indexed; the layout is byte for byte the one
 * docs/FORMAT.md gives; every truncation and changed byte, and wrong
 * content behind a right checksum (magic, version, ncols, si order,
 * count, trailing bytes), is -EUCLEAN and adds nothing.
 */
static void seg_lists(void)
{
	enum { NCOLS = 3, N = 6, MANYLISTS = 300 };
	struct seg_in ins[N], other[N];
	struct buf b = BUF_INIT, c = BUF_INIT;
	struct pagemap_segs s = { .ncols = NCOLS };

	uint8_t zero[16] = { 0 };
	CHECK(pagemap_segs_find(&s, zero, 0) == NULL); /* empty: nothing, no crash */
	list_make(ins, N, 4, 1000, NCOLS, &b);
	CHECK(pagemap_segs_load(&s, 7, b.data, b.len) == 0 && s.n == N);
	const struct pagemap_seg *found[N];
	for (size_t i = 0; i < N; i++) {
		const struct pagemap_seg *g = pagemap_segs_find(&s, ins[i].g.first, ins[i].g.start_cell);
		struct pagemap_seg want = ins[i].g;
		want.k = 7;
		CHECKF(g && seg_eq(g, &want, NCOLS), "list record %zu after load", i);
		found[i] = g;
		CHECK(!pagemap_segs_find(&s, ins[i].g.first, ins[i].g.start_cell + 1));
	}
	/* many more lists: the index grows, the first records stay where they were */
	for (uint32_t k = 0; k < MANYLISTS; k++) {
		list_make(other, N, 10 + k, 5000 + k * N, NCOLS, &c);
		CHECK(pagemap_segs_load(&s, 10 + k, c.data, c.len) == 0);
	}
	CHECK(s.n == N + (size_t)MANYLISTS * N);
	for (size_t i = 0; i < N; i++) {
		struct pagemap_seg want = ins[i].g;
		want.k = 7;
		CHECKF(pagemap_segs_find(&s, ins[i].g.first, ins[i].g.start_cell) == found[i] &&
		       seg_eq(found[i], &want, NCOLS), "list record %zu after %d more lists", i, MANYLISTS);
	}
	list_make(other, N, 10 + MANYLISTS - 1, 5000 + (MANYLISTS - 1) * N, NCOLS, &c);
	const struct pagemap_seg *g = pagemap_segs_find(&s, other[2].g.first, other[2].g.start_cell);
	CHECK(g && g->k == 10 + MANYLISTS - 1 && g->si == other[2].g.si);
	/* the same list again, as another chunk: loaded, nothing new indexed, the first stays */
	CHECK(pagemap_segs_load(&s, 8, b.data, b.len) == 0 && s.n == N + (size_t)MANYLISTS * N);
	CHECK(pagemap_segs_find(&s, ins[0].g.first, ins[0].g.start_cell) == found[0] && found[0]->k == 7);
	/* an empty list */
	buf_reset(&c);
	pagemap_segs_encode(NULL, 0, NCOLS, &c);
	CHECK(c.len == 15 && pagemap_segs_load(&s, 9, c.data, c.len) == 0);

	/* the layout, by hand: one record of chunk 5, segment 2 */
	struct seg_in one;
	seg_init(&one, 5, 2, 77, 3, 2, 1);
	struct buf h = BUF_INIT;
	buf_add(&h, "STSG", 4);
	buf_addc(&h, 1);
	buf_add_varint(&h, NCOLS);
	buf_add_varint(&h, 1);
	buf_add_varint(&h, 2); /* si; no k */
	buf_add(&h, one.g.first, 16);
	buf_add(&h, one.g.span, 16);
	buf_add_varint(&h, one.g.start_cell);
	buf_add_varint(&h, one.g.nleaves);
	buf_add_varint(&h, one.g.end_cell);
	buf_addc(&h, one.g.end);
	buf_addc(&h, one.g.flags);
	buf_add_varint(&h, one.g.nrows);
	buf_add_varint(&h, one.g.typed_len);
	buf_add_varint(&h, one.g.csv_len);
	buf_add_varint(&h, one.g.fire_end);
	buf_add_varint(&h, one.g.jsonl_len);
	buf_add_varint(&h, one.g.sql_len);
	buf_add(&h, one.g.id, 16);
	buf_add_bytes(&h, one.fk, 2);
	buf_add_bytes(&h, one.lk, 1);
	buf_add(&h, one.classes, NCOLS);
	buf_add_u64le(&h, XXH3_64bits(h.data, h.len));
	buf_reset(&c);
	pagemap_segs_encode(&one.g, 1, NCOLS, &c);
	CHECK(c.len == h.len && !memcmp(c.data, h.data, h.len));

	/* damage: every truncation, every byte changed */
	struct pagemap_segs d = { .ncols = NCOLS };
	for (size_t n = 0; n < b.len; n++)
		list_refused(&d, b.data, n, "truncated list");
	uint8_t *copy = xmalloc(b.len);
	for (size_t i = 0; i < b.len; i++) {
		memcpy(copy, b.data, b.len);
		copy[i] ^= 0x20;
		list_refused(&d, copy, b.len, "changed byte");
	}
	/* wrong content behind a right checksum */
	struct buf x = BUF_INIT;
#define PATCH(off, v, why) do { buf_reset(&x); buf_add(&x, h.data, h.len); x.data[off] = (v); \
		rehash(x.data, x.len); list_refused(&d, x.data, x.len, why); } while (0)
	PATCH(0, 'X', "magic");
	PATCH(4, 2, "version 2");
	PATCH(4, 0, "version 0");
	PATCH(5, NCOLS + 1, "ncols");
	PATCH(6, 2, "count 2 of 1");
	PATCH(6, 0, "count 0 of 1");
#undef PATCH
	struct pagemap_segs wide = { .ncols = NCOLS + 1 };
	list_refused(&wide, h.data, h.len, "a list of another table's width");
	buf_reset(&x);
	buf_add(&x, h.data, h.len - 8);
	buf_addc(&x, 0);
	buf_add_u64le(&x, XXH3_64bits(x.data, x.len));
	list_refused(&d, x.data, x.len, "a trailing byte");
	/* si strictly increasing: two records with one si refused, increasing taken */
	struct pagemap_seg two[2] = { one.g, one.g };
	h16(two[1].first, 78);
	buf_reset(&x);
	pagemap_segs_encode(two, 2, NCOLS, &x);
	list_refused(&d, x.data, x.len, "two records of one si");
	two[1].si = 1;
	buf_reset(&x);
	pagemap_segs_encode(two, 2, NCOLS, &x);
	list_refused(&d, x.data, x.len, "si decreasing");
	two[1].si = 3;
	buf_reset(&x);
	pagemap_segs_encode(two, 2, NCOLS, &x);
	CHECK(pagemap_segs_load(&d, 1, x.data, x.len) == 0 && d.n == 2);
	/* one bad record among good ones: nothing of the list indexed */
	two[1].nrows = 0;
	buf_reset(&x);
	pagemap_segs_encode(two, 2, NCOLS, &x);
	list_refused(&d, x.data, x.len, "a record without rows");
	CHECK(d.n == 2);

	free(copy);
	buf_release(&x);
	buf_release(&h);
	buf_release(&b);
	buf_release(&c);
	pagemap_segs_release(&s);
	pagemap_segs_release(&d);
	pagemap_segs_release(&wide);
	pagemap_segs_release(&s); /* twice: safe */
}

int main(void)
{
	roundtrip();
	damage();
	version1();
	damage_segs();
	hand_segs();
	structure();
	seg_lists();
	return check_done("unit-pagemap");
}
