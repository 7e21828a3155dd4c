/*
 * Fuzz pagemap_decode: never crash; what decodes holds only what the
 * decoder promises (end kinds, nleaves, chunks strictly sorted by (first,
 * start_cell)), every chunk is found by pagemap_table and pagemap_find
 * from its own first leaf and cell, and it re-encodes to a blob that
 * decodes again to the same content (and re-encodes to the same bytes).
 * What decodes had the magic, the version and a right checksum, and (in
 * small inputs, where searching is cheap) the bytes of each ident, each
 * chunk's first and span, and its classes, are bytes of the input.
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
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_with_checksum_fixed(data, size, 13, one);
	return 0;
}

static int cmp_start(const struct pagemap_chunk *x, const struct pagemap_chunk *y)
{
	int c = memcmp(x->first, y->first, 16);
	if (c)
		return c;
	return x->start_cell < y->start_cell ? -1 : x->start_cell > y->start_cell;
}

/* Two decoded maps hold the same tables and chunks, in the same order. */
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
	FUZZ_ASSERT(m.ntables <= size / 19 && (m.tables || !m.ntables));
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
