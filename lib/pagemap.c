/*
 * pagemap.c - see strata/pagemap.h.  The encoding (docs/FORMAT.md, "Page
 * maps"): "STPM", a version byte, varint ntables, per table: bytes name,
 * 16 bytes ident, varint ncols, varint nchunks, per chunk: varint k,
 * 16 bytes first, 16 bytes span, varints start_cell, nleaves, end_cell, a
 * byte end, ncols bytes classes; then XXH3-64 of everything before, u64 LE.
 */
#include "strata/pagemap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define PM_MAX_COLS 32767 /* SQLite's own hard limit on columns */

void pagemap_encode(const struct pagemap *pm, struct buf *out)
{
	size_t start = out->len;
	buf_add(out, "STPM", 4);
	uint8_t ver = PAGEMAP_VERSION;
	buf_add(out, &ver, 1);
	buf_add_varint(out, pm->ntables);
	for (size_t i = 0; i < pm->ntables; i++) {
		const struct pagemap_table *t = &pm->tables[i];
		buf_add_bytes(out, t->name, strlen(t->name));
		buf_add(out, t->ident, 16);
		buf_add_varint(out, t->ncols);
		buf_add_varint(out, t->nchunks);
		for (size_t k = 0; k < t->nchunks; k++) {
			const struct pagemap_chunk *c = &t->chunks[k];
			buf_add_varint(out, c->k);
			buf_add(out, c->first, 16);
			buf_add(out, c->span, 16);
			buf_add_varint(out, c->start_cell);
			buf_add_varint(out, c->nleaves);
			buf_add_varint(out, c->end_cell);
			buf_add(out, &c->end, 1);
			buf_add(out, c->classes, t->ncols);
		}
	}
	buf_add_u64le(out, XXH3_64bits(out->data + start, out->len - start));
}

static int cmp_chunk(const void *a, const void *b)
{
	const struct pagemap_chunk *x = a, *y = b;
	int c = memcmp(x->first, y->first, 16);
	if (c)
		return c;
	return x->start_cell < y->start_cell ? -1 : x->start_cell > y->start_cell;
}

static int rd_u32v(struct rd *r, uint32_t *v)
{
	uint64_t x;
	if (rd_varint(r, &x) || x > UINT32_MAX)
		return rd_fail(r);
	*v = (uint32_t)x;
	return 0;
}

int pagemap_decode(const uint8_t *p, size_t n, struct pagemap *pm)
{
	struct rd r;
	uint64_t v;
	const uint8_t *raw;

	memset(pm, 0, sizeof(*pm));
	if (n < 13 || n > PAGEMAP_MAX_SIZE || memcmp(p, "STPM", 4) || p[4] != PAGEMAP_VERSION ||
	    get_u64le(p + n - 8) != XXH3_64bits(p, n - 8))
		return -EUCLEAN;
	rd_init(&r, p + 5, n - 13);
	/* a table takes at least 19 bytes, a chunk at least 37 and its classes */
	if (rd_count(&r, rd_left(&r) / 19, &v))
		return -EUCLEAN;
	pm->tables = xcalloc(v ? v : 1, sizeof(*pm->tables));
	for (uint64_t i = 0; i < v; i++) {
		struct pagemap_table *t = &pm->tables[pm->ntables++];
		uint64_t nc, nch;
		const uint8_t *nm;
		size_t nn;
		if (rd_bytes(&r, &nm, &nn) || memchr(nm, 0, nn) || rd_raw(&r, 16, &raw))
			goto bad;
		t->name = xstrndup((const char *)nm, nn);
		for (size_t o = 0; o + 1 < pm->ntables; o++)
			if (!strcmp(pm->tables[o].name, t->name))
				goto bad; /* one record per table */
		memcpy(t->ident, raw, 16);
		if (rd_count(&r, PM_MAX_COLS, &nc))
			goto bad;
		t->ncols = (unsigned)nc;
		if (rd_count(&r, rd_left(&r) / (37 + nc), &nch))
			goto bad;
		t->chunks = xcalloc(nch ? nch : 1, sizeof(*t->chunks));
		for (uint64_t k = 0; k < nch; k++) {
			struct pagemap_chunk *c = &t->chunks[t->nchunks++];
			if (rd_u32v(&r, &c->k) || rd_raw(&r, 16, &raw))
				goto bad;
			memcpy(c->first, raw, 16);
			if (rd_raw(&r, 16, &raw))
				goto bad;
			memcpy(c->span, raw, 16);
			if (rd_u32v(&r, &c->start_cell) || rd_u32v(&r, &c->nleaves) ||
			    rd_u32v(&r, &c->end_cell) || rd_u8(&r, &c->end) || rd_raw(&r, t->ncols, &raw))
				goto bad;
			if (!c->nleaves || c->end < PAGEMAP_END_CUT || c->end > PAGEMAP_END_BEFORE_NEXT ||
			    (c->nleaves == 1 && c->end_cell < c->start_cell))
				goto bad;
			c->classes = xmalloc(t->ncols ? t->ncols : 1);
			memcpy(c->classes, raw, t->ncols);
		}
		qsort(t->chunks, t->nchunks, sizeof(*t->chunks), cmp_chunk);
		for (size_t k = 1; k < t->nchunks; k++)
			if (!cmp_chunk(&t->chunks[k - 1], &t->chunks[k]))
				goto bad; /* two chunks cannot start at one row */
	}
	if (rd_left(&r) || r.err)
		goto bad;
	return 0;
bad:
	pagemap_release(pm);
	return -EUCLEAN;
}

void pagemap_release(struct pagemap *pm)
{
	for (size_t i = 0; i < pm->ntables; i++) {
		struct pagemap_table *t = &pm->tables[i];
		for (size_t k = 0; k < t->nchunks; k++)
			free(t->chunks[k].classes);
		free(t->chunks);
		free(t->name);
	}
	free(pm->tables);
	memset(pm, 0, sizeof(*pm));
}

struct pagemap_table *pagemap_add_table(struct pagemap *pm, const char *name,
					const uint8_t ident[16], unsigned ncols)
{
	pm->tables = xrealloc(pm->tables, (pm->ntables + 1) * sizeof(*pm->tables));
	struct pagemap_table *t = &pm->tables[pm->ntables++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	memcpy(t->ident, ident, 16);
	t->ncols = ncols;
	return t;
}

void pagemap_add(struct pagemap_table *t, const struct pagemap_chunk *c)
{
	if ((t->nchunks & (t->nchunks - 1)) == 0) /* 0, 1, 2, 4 ...: grow to the next power of two */
		t->chunks = xrealloc(t->chunks, (t->nchunks ? t->nchunks * 2 : 1) * sizeof(*t->chunks));
	struct pagemap_chunk *d = &t->chunks[t->nchunks++];
	*d = *c;
	d->classes = xmalloc(t->ncols ? t->ncols : 1);
	memcpy(d->classes, c->classes, t->ncols);
}

const struct pagemap_table *pagemap_table(const struct pagemap *pm, const char *name)
{
	for (size_t i = 0; i < pm->ntables; i++)
		if (!strcmp(pm->tables[i].name, name))
			return &pm->tables[i];
	return NULL;
}

const struct pagemap_chunk *pagemap_find(const struct pagemap_table *t, const uint8_t first[16],
					 uint32_t cell)
{
	struct pagemap_chunk key;
	if (!t->nchunks)
		return NULL;
	memcpy(key.first, first, 16);
	key.start_cell = cell;
	return bsearch(&key, t->chunks, t->nchunks, sizeof(*t->chunks), cmp_chunk);
}
