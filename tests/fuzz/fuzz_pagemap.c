/*
 * Fuzz pagemap_decode: never crash; what decodes holds only what the
 * decoder promises (end kinds, nleaves, chunks strictly sorted by (first,
 * start_cell); segments with end 1 or 2, known flags, rows, typed and CSV
 * bytes, fire_end under typed_len, in strictly increasing (k, si) order,
 * no two at one (first, start_cell), seg_order a permutation sorted by
 * it), every chunk is found by pagemap_table and pagemap_find from its own
 * first leaf and cell, every segment by pagemap_find_seg from its own, and
 * pagemap_chunk_segs of its k is exactly the run of segments of that k,
 * which holds it; and it re-encodes to a blob that decodes again to the
 * same content (and re-encodes to the same bytes).  The same input as a
 * chunk's segment list (pagemap_segs_load): loaded whole or not at all,
 * each indexed record checked as above and found from its own start, and
 * its records re-encode to a list that loads again to as many.  What decodes had the
 * magic, the version and a right checksum, and (in small inputs, where
 * searching is cheap) the bytes of each ident, each chunk's first and
 * span, each segment's first and span, id and keys, and classes, are bytes
 * of the input.
 */
#include "fuzz.h"
#include "strata/pagemap.h"

#include <string.h>
#include <xxhash.h>

static void one(const uint8_t *data, size_t size);

/*
 * Each input is decoded as is, and again with its checksum fixed up, so
 * that mutations reach the structural checks behind the xxh3.
 */
static void one_list(const uint8_t *data, size_t size);
static void both(const uint8_t *data, size_t size)
{
	one(data, size);
	one_list(data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_with_checksum_fixed(data, size, 13, both);
	return 0;
}

static int cmp_start(const struct pagemap_chunk *x, const struct pagemap_chunk *y)
{
	int c = memcmp(x->first, y->first, 16);
	if (c)
		return c;
	return x->start_cell < y->start_cell ? -1 : x->start_cell > y->start_cell;
}

static int cmp_seg_start(const struct pagemap_seg *x, const struct pagemap_seg *y)
{
	int c = memcmp(x->first, y->first, 16);
	if (c)
		return c;
	return x->start_cell < y->start_cell ? -1 : x->start_cell > y->start_cell;
}

/* Two decoded maps hold the same tables, chunks and segments, in the same order. */
static void same(const struct pagemap *a, const struct pagemap *b)
{
	FUZZ_ASSERT(a->ntables == b->ntables);
	for (size_t i = 0; i < a->ntables; i++) {
		const struct pagemap_table *x = &a->tables[i], *y = &b->tables[i];
		FUZZ_ASSERT(!strcmp(x->name, y->name) && !memcmp(x->ident, y->ident, 16));
		FUZZ_ASSERT(x->ncols == y->ncols && x->nchunks == y->nchunks);
		for (size_t k = 0; k < x->nchunks; k++) {
			const struct pagemap_chunk *p = &x->chunks[k], *q = &y->chunks[k];
			FUZZ_ASSERT(p->k == q->k && !memcmp(p->first, q->first, 16) &&
				    !memcmp(p->span, q->span, 16) && p->start_cell == q->start_cell &&
				    p->nleaves == q->nleaves && p->end_cell == q->end_cell &&
				    p->end == q->end && !memcmp(p->classes, q->classes, x->ncols));
		}
		FUZZ_ASSERT(x->nsegs == y->nsegs);
		for (size_t k = 0; k < x->nsegs; k++) {
			const struct pagemap_seg *p = &x->segs[k], *q = &y->segs[k];
			FUZZ_ASSERT(p->k == q->k && p->si == q->si &&
				    !memcmp(p->first, q->first, 16) && !memcmp(p->span, q->span, 16) &&
				    p->start_cell == q->start_cell &&
				    p->nleaves == q->nleaves && p->end_cell == q->end_cell &&
				    p->end == q->end && p->flags == q->flags);
			FUZZ_ASSERT(p->nrows == q->nrows && p->typed_len == q->typed_len &&
				    p->csv_len == q->csv_len && p->fire_end == q->fire_end &&
				    p->jsonl_len == q->jsonl_len && p->sql_len == q->sql_len &&
				    !memcmp(p->id, q->id, 16));
			FUZZ_ASSERT(p->first_len == q->first_len && p->last_len == q->last_len &&
				    !memcmp(p->first_key, q->first_key, p->first_len) &&
				    !memcmp(p->last_key, q->last_key, p->last_len) &&
				    !memcmp(p->classes, q->classes, x->ncols));
			FUZZ_ASSERT(x->seg_order[k] == y->seg_order[k]);
		}
	}
}

/* n bytes at p (none: trivially) are somewhere in the input. */
static int in_input(const uint8_t *data, size_t size, const void *p, size_t n)
{
	return !n || (data && size >= n && memmem(data, size, p, n) != NULL);
}

/* A decoded table's segments: what decode_segs promises, and both look-ups. */
static void check_segs(const struct pagemap_table *t, const uint8_t *data, size_t size)
{
	FUZZ_ASSERT(t->nsegs <= size / 63 && t->segs && t->seg_order);
	uint8_t *seen = calloc(t->nsegs ? t->nsegs : 1, 1);
	for (size_t k = 0; k < t->nsegs; k++) {
		uint32_t o = t->seg_order[k];
		FUZZ_ASSERT(o < t->nsegs && !seen[o]);
		seen[o] = 1;
		if (k)
			FUZZ_ASSERT(cmp_seg_start(&t->segs[t->seg_order[k - 1]], &t->segs[o]) < 0);
	}
	free(seen);
	for (size_t k = 0; k < t->nsegs; k++) {
		const struct pagemap_seg *g = &t->segs[k];
		FUZZ_ASSERT(g->end == PAGEMAP_END_CUT || g->end == PAGEMAP_END_TABLE);
		FUZZ_ASSERT(g->flags <= (PAGEMAP_SEG_OWN | PAGEMAP_SEG_LAST_FIRES));
		FUZZ_ASSERT(g->nleaves >= 1 && (g->nleaves > 1 || g->end_cell >= g->start_cell));
		FUZZ_ASSERT(g->nrows && g->typed_len && g->csv_len && g->fire_end < g->typed_len);
		FUZZ_ASSERT(g->first_key && g->last_key && g->classes);
		FUZZ_ASSERT(g->first_len < size && g->last_len < size);
		if (k)
			FUZZ_ASSERT(g[-1].k < g->k || (g[-1].k == g->k && g[-1].si < g->si));
		if (size <= 4096) {
			uint8_t fs[32];
			memcpy(fs, g->first, 16);
			memcpy(fs + 16, g->span, 16);
			FUZZ_ASSERT(in_input(data, size, fs, 32) && in_input(data, size, g->id, 16));
			FUZZ_ASSERT(in_input(data, size, g->first_key, g->first_len));
			FUZZ_ASSERT(in_input(data, size, g->last_key, g->last_len));
			FUZZ_ASSERT(in_input(data, size, g->classes, t->ncols));
		}
		/* found at its own start */
		FUZZ_ASSERT(pagemap_find_seg(t, g->first, g->start_cell) == g);
		/* a neighbouring cell is another segment of that leaf, or none */
		const struct pagemap_seg *o = pagemap_find_seg(t, g->first, g->start_cell + 1);
		FUZZ_ASSERT(!o || (o != g && !memcmp(o->first, g->first, 16) &&
				   o->start_cell == g->start_cell + 1));
		/* its chunk's segments: the whole run of its k, which holds it */
		size_t n = 0;
		const struct pagemap_seg *run = pagemap_chunk_segs(t, g->k, &n);
		FUZZ_ASSERT(run && n >= 1 && run >= t->segs && run + n <= t->segs + t->nsegs);
		FUZZ_ASSERT(g >= run && g < run + n);
		for (size_t j = 0; j < n; j++)
			FUZZ_ASSERT(run[j].k == g->k && (!j || run[j - 1].si < run[j].si));
		FUZZ_ASSERT(run == t->segs || run[-1].k < g->k);
		FUZZ_ASSERT(run + n == t->segs + t->nsegs || run[n].k > g->k);
		/* the k after it: the run right after this one, or none */
		if (g->k < UINT32_MAX) {
			size_t n2 = 99;
			const struct pagemap_seg *nx = pagemap_chunk_segs(t, g->k + 1, &n2);
			if (nx)
				FUZZ_ASSERT(nx == run + n && n2 >= 1 && nx->k == g->k + 1);
			else
				FUZZ_ASSERT(n2 == 0 &&
					    (run + n == t->segs + t->nsegs || run[n].k > g->k + 1));
		}
	}
	/* the chunks' starts: a segment there is one of this table's, at that start */
	for (size_t k = 0; k < t->nchunks; k++) {
		const struct pagemap_chunk *c = &t->chunks[k];
		const struct pagemap_seg *g = pagemap_find_seg(t, c->first, c->start_cell);
		FUZZ_ASSERT(!g || (g >= t->segs && g < t->segs + t->nsegs &&
				   !memcmp(g->first, c->first, 16) &&
				   g->start_cell == c->start_cell));
	}
}

static void one(const uint8_t *data, size_t size)
{
	struct pagemap m, m2;
	struct buf b = BUF_INIT, b2 = BUF_INIT;
	int rc = pagemap_decode(data, size, &m);

	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN);
	if (rc) {
		FUZZ_ASSERT(m.ntables == 0 && m.tables == NULL);
		return;
	}
	FUZZ_ASSERT(size >= 14 && size <= PAGEMAP_MAX_SIZE);
	FUZZ_ASSERT(!memcmp(data, "STPM", 4) && data[4] == PAGEMAP_VERSION);
	FUZZ_ASSERT(get_u64le(data + size - 8) == XXH3_64bits(data, size - 8));
	FUZZ_ASSERT(m.ntables <= size / 20 && (m.tables || !m.ntables));
	for (size_t i = 0; i < m.ntables; i++) {
		const struct pagemap_table *t = &m.tables[i];
		FUZZ_ASSERT(t->name && t->ncols <= 32767 && t->nchunks <= size / 37);
		/* names are unique and hold no NUL byte: a lookup by name finds this table */
		const struct pagemap_table *byname = pagemap_table(&m, t->name);
		FUZZ_ASSERT(byname == t);
		FUZZ_ASSERT(size > 4096 || memmem(data, size, t->ident, 16));
		for (size_t k = 0; k < t->nchunks; k++) {
			const struct pagemap_chunk *c = &t->chunks[k];
			FUZZ_ASSERT(c->nleaves >= 1);
			FUZZ_ASSERT(c->end >= PAGEMAP_END_CUT && c->end <= PAGEMAP_END_BEFORE_NEXT);
			FUZZ_ASSERT(c->nleaves > 1 || c->end_cell >= c->start_cell);
			FUZZ_ASSERT(c->classes);
			if (size <= 4096) {
				uint8_t fs[32];
				memcpy(fs, c->first, 16);
				memcpy(fs + 16, c->span, 16);
				FUZZ_ASSERT(memmem(data, size, fs, 32));
				FUZZ_ASSERT(!t->ncols || memmem(data, size, c->classes, t->ncols));
			}
			if (k)
				FUZZ_ASSERT(cmp_start(&t->chunks[k - 1], c) < 0);
			FUZZ_ASSERT(pagemap_find(t, c->first, c->start_cell) == c);
			if (byname == t)
				FUZZ_ASSERT(pagemap_find(byname, c->first, c->start_cell) == c);
			/* a neighbouring cell is another chunk of that leaf, or none */
			const struct pagemap_chunk *o = pagemap_find(t, c->first, c->start_cell + 1);
			FUZZ_ASSERT(!o || (o != c && !memcmp(o->first, c->first, 16) &&
					   o->start_cell == c->start_cell + 1));
		}
		check_segs(t, data, size);
	}
	pagemap_encode(&m, &b);
	FUZZ_ASSERT(b.len <= size); /* varints at their shortest, no more records */
	FUZZ_ASSERT(pagemap_decode(b.data, b.len, &m2) == 0);
	same(&m, &m2);
	pagemap_encode(&m2, &b2);
	FUZZ_ASSERT(b.len == b2.len && !memcmp(b.data, b2.data, b.len));
	pagemap_release(&m2);
	FUZZ_ASSERT(m2.ntables == 0 && m2.tables == NULL);
	pagemap_release(&m);
	buf_release(&b);
	buf_release(&b2);
}

static int cmp_si(const void *a, const void *b)
{
	const struct pagemap_seg *x = *(const struct pagemap_seg *const *)a;
	const struct pagemap_seg *y = *(const struct pagemap_seg *const *)b;
	return x->si < y->si ? -1 : x->si > y->si;
}

static void one_list(const uint8_t *data, size_t size)
{
	/* the list's own width when it is a one-byte varint, so that loads get past that check */
	struct pagemap_segs s = { .ncols = size > 5 && data[5] < 128 ? data[5] : 0 };
	int rc = pagemap_segs_load(&s, 42, data, size);

	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN);
	if (rc) {
		FUZZ_ASSERT(s.n == 0);
		pagemap_segs_release(&s);
		return;
	}
	FUZZ_ASSERT(size >= 15 && !memcmp(data, "STSG", 4) && data[4] == PAGEMAP_SEGS_VERSION);
	FUZZ_ASSERT(get_u64le(data + size - 8) == XXH3_64bits(data, size - 8));
	FUZZ_ASSERT(s.n <= size / 62);
	const struct pagemap_seg **v = calloc(s.n ? s.n : 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < s.nslots; i++) {
		const struct pagemap_seg *g = s.slots[i];
		if (!g)
			continue;
		FUZZ_ASSERT(n < s.n);
		v[n++] = g;
		FUZZ_ASSERT(g->k == 42 && g->nleaves >= 1 && g->nrows && g->typed_len && g->csv_len);
		FUZZ_ASSERT(g->end == PAGEMAP_END_CUT || g->end == PAGEMAP_END_TABLE);
		FUZZ_ASSERT(g->flags <= (PAGEMAP_SEG_OWN | PAGEMAP_SEG_LAST_FIRES));
		FUZZ_ASSERT(g->fire_end < g->typed_len && (g->nleaves > 1 || g->end_cell >= g->start_cell));
		FUZZ_ASSERT(pagemap_segs_find(&s, g->first, g->start_cell) == g);
		FUZZ_ASSERT(in_input(data, size, g->id, 16) && in_input(data, size, g->first_key, g->first_len) &&
			    in_input(data, size, g->last_key, g->last_len));
	}
	FUZZ_ASSERT(n == s.n);
	qsort(v, n, sizeof(*v), cmp_si);
	struct pagemap_seg *flat = calloc(n ? n : 1, sizeof(*flat));
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(!i || v[i - 1]->si < v[i]->si);
		flat[i] = *v[i];
	}
	struct buf b = BUF_INIT;
	pagemap_segs_encode(flat, n, s.ncols, &b);
	FUZZ_ASSERT(b.len <= size);
	struct pagemap_segs s2 = { .ncols = s.ncols };
	FUZZ_ASSERT(pagemap_segs_load(&s2, 7, b.data, b.len) == 0 && s2.n == n);
	pagemap_segs_release(&s2);
	buf_release(&b);
	free(flat);
	free(v);
	pagemap_segs_release(&s);
}
