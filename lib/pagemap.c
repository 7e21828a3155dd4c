/*
 * pagemap.c - see strata/pagemap.h.  The encoding (docs/FORMAT.md, "Page
 * maps"): "STPM", a version byte, varint ntables, per table: bytes name,
 * 16 bytes ident, varint ncols, varint nchunks, per chunk: varint k,
 * 16 bytes first, 16 bytes span, varints start_cell, nleaves, end_cell, a
 * byte end, ncols bytes classes; then (version 2) varint nsegs, per
 * segment: varints k, si, 16 bytes first, 16 bytes span, varints
 * start_cell, nleaves, end_cell, bytes end and flags, varints nrows,
 * typed_len, csv_len, fire_end, jsonl_len, sql_len, 16 bytes id, bytes
 * first_key, bytes last_key, ncols bytes classes; then XXH3-64 of
 * everything before, u64 LE.
 */
#include "strata/pagemap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define PM_MAX_COLS 32767 /* SQLite's own hard limit on columns */

/* A segment record (with its chunk's k in a page map, without it in a chunk's list). */
static void enc_seg(struct buf *out, const struct pagemap_seg *g, unsigned ncols, bool with_k)
{
	if (with_k)
		buf_add_varint(out, g->k);
	buf_add_varint(out, g->si);
	buf_add(out, g->first, 16);
	buf_add(out, g->span, 16);
	buf_add_varint(out, g->start_cell);
	buf_add_varint(out, g->nleaves);
	buf_add_varint(out, g->end_cell);
	buf_add(out, &g->end, 1);
	buf_add(out, &g->flags, 1);
	buf_add_varint(out, g->nrows);
	buf_add_varint(out, g->typed_len);
	buf_add_varint(out, g->csv_len);
	buf_add_varint(out, g->fire_end);
	buf_add_varint(out, g->jsonl_len);
	buf_add_varint(out, g->sql_len);
	buf_add(out, g->id, 16);
	buf_add_bytes(out, g->first_key, g->first_len);
	buf_add_bytes(out, g->last_key, g->last_len);
	buf_add(out, g->classes, ncols);
}

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
		buf_add_varint(out, t->nsegs);
		for (size_t k = 0; k < t->nsegs; k++)
			enc_seg(out, &t->segs[k], t->ncols, true);
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

/* Segments by where they start, for pagemap_find_seg (qsort_r's argument: the table). */
static int cmp_seg_at(const void *a, const void *b, void *arg)
{
	const struct pagemap_table *t = arg;
	const struct pagemap_seg *x = &t->segs[*(const uint32_t *)a], *y = &t->segs[*(const uint32_t *)b];
	int c = memcmp(x->first, y->first, 16);
	if (c)
		return c;
	return x->start_cell < y->start_cell ? -1 : x->start_cell > y->start_cell;
}

/*
 * Segments' keys and classes live in blocks of the table's arena, not one
 * allocation each: a map holds one record per segment of the database
 * (18,000 for the 1.2 GB bench table at 64 KiB segments), decoded and copied
 * on every backup.
 */
struct ablock {
	struct ablock *next;
	size_t used, cap;
	uint8_t data[];
};
#define ABLOCK (64u << 10)

static uint8_t *arena_dup(void **arena, const uint8_t *p, size_t n)
{
	struct ablock *b = *arena;
	size_t need = (n + 7) & ~(size_t)7;
	if (!b || b->cap - b->used < need) {
		size_t cap = need > ABLOCK ? need : ABLOCK;
		b = xmalloc(sizeof(*b) + cap);
		b->cap = cap;
		b->used = 0;
		b->next = *arena;
		*arena = b;
	}
	uint8_t *d = b->data + b->used;
	b->used += need;
	if (n && p) /* p may be NULL: room only */
		memcpy(d, p, n);
	return d;
}

static void arena_free(void *arena)
{
	for (struct ablock *b = arena, *n; b; b = n) {
		n = b->next;
		free(b);
	}
}

static int rd_u32v(struct rd *r, uint32_t *v)
{
	uint64_t x;
	if (rd_varint(r, &x) || x > UINT32_MAX)
		return rd_fail(r);
	*v = (uint32_t)x;
	return 0;
}

/*
 * One segment record (enc_seg), its keys and classes into the arena, and
 * checked on its own: an end of 1 or 2, known flags, leaves, rows, typed and
 * CSV bytes, fire_end under typed_len.
 */
static int dec_seg(struct rd *r, unsigned ncols, void **arena, bool with_k, struct pagemap_seg *g)
{
	const uint8_t *raw, *k1, *k2;
	size_t n1, n2;
	uint64_t jl, sl;

	if ((with_k && rd_u32v(r, &g->k)) || rd_u32v(r, &g->si) || rd_raw(r, 16, &raw))
		return -EUCLEAN;
	memcpy(g->first, raw, 16);
	if (rd_raw(r, 16, &raw))
		return -EUCLEAN;
	memcpy(g->span, raw, 16);
	if (rd_u32v(r, &g->start_cell) || rd_u32v(r, &g->nleaves) || rd_u32v(r, &g->end_cell) ||
	    rd_u8(r, &g->end) || rd_u8(r, &g->flags) || rd_u32v(r, &g->nrows) ||
	    rd_u32v(r, &g->typed_len) || rd_u32v(r, &g->csv_len) || rd_u32v(r, &g->fire_end) ||
	    rd_varint(r, &jl) || rd_varint(r, &sl) || rd_raw(r, 16, &raw) ||
	    rd_bytes(r, &k1, &n1) || rd_bytes(r, &k2, &n2))
		return -EUCLEAN;
	g->jsonl_len = jl;
	g->sql_len = sl;
	memcpy(g->id, raw, 16);
	if (rd_raw(r, ncols, &raw) || n1 > UINT32_MAX || n2 > UINT32_MAX)
		return -EUCLEAN;
	g->first_key = arena_dup(arena, k1, n1);
	g->first_len = (uint32_t)n1;
	g->last_key = arena_dup(arena, k2, n2);
	g->last_len = (uint32_t)n2;
	g->classes = arena_dup(arena, raw, ncols);
	if (!g->nleaves || (g->end != PAGEMAP_END_CUT && g->end != PAGEMAP_END_TABLE) ||
	    g->flags > (PAGEMAP_SEG_OWN | PAGEMAP_SEG_LAST_FIRES) ||
	    (g->nleaves == 1 && g->end_cell < g->start_cell) || !g->nrows ||
	    !g->typed_len || !g->csv_len || g->fire_end >= g->typed_len)
		return -EUCLEAN;
	return 0;
}

/* A table's segments (version 2), checked: in (k, si) order, no two starting at one row. */
static int decode_segs(struct rd *r, struct pagemap_table *t)
{
	uint64_t ns;

	/* a segment takes at least 63 bytes and its classes */
	if (rd_count(r, rd_left(r) / (63 + t->ncols), &ns))
		return -EUCLEAN;
	t->segs = xcalloc(ns ? ns : 1, sizeof(*t->segs));
	for (uint64_t i = 0; i < ns; i++) {
		struct pagemap_seg *g = &t->segs[t->nsegs];
		if (dec_seg(r, t->ncols, &t->arena, true, g))
			return -EUCLEAN;
		t->nsegs++;
		const struct pagemap_seg *p = t->nsegs > 1 ? g - 1 : NULL;
		if (p && (p->k > g->k || (p->k == g->k && p->si >= g->si)))
			return -EUCLEAN;
	}
	t->seg_order = xmalloc((t->nsegs ? t->nsegs : 1) * sizeof(*t->seg_order));
	for (size_t i = 0; i < t->nsegs; i++)
		t->seg_order[i] = (uint32_t)i;
	qsort_r(t->seg_order, t->nsegs, sizeof(*t->seg_order), cmp_seg_at, t);
	for (size_t i = 1; i < t->nsegs; i++)
		if (!cmp_seg_at(&t->seg_order[i - 1], &t->seg_order[i], t))
			return -EUCLEAN; /* two segments cannot start at one row */
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
	/* a table takes at least 20 bytes, a chunk at least 37 and its classes */
	if (rd_count(&r, rd_left(&r) / 20, &v))
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
		if (decode_segs(&r, t))
			goto bad;
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
		arena_free(t->arena);
		free(t->segs);
		free(t->seg_order);
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
	d->classes = (uint8_t *)xmemdup(c->classes, t->ncols);
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

void pagemap_add_seg(struct pagemap_table *t, const struct pagemap_seg *g)
{
	if ((t->nsegs & (t->nsegs - 1)) == 0)
		t->segs = xrealloc(t->segs, (t->nsegs ? t->nsegs * 2 : 1) * sizeof(*t->segs));
	struct pagemap_seg *d = &t->segs[t->nsegs++];
	*d = *g;
	d->first_key = arena_dup(&t->arena, g->first_key, g->first_len);
	d->last_key = arena_dup(&t->arena, g->last_key, g->last_len);
	d->classes = arena_dup(&t->arena, g->classes, t->ncols);
}

const struct pagemap_seg *pagemap_find_seg(const struct pagemap_table *t, const uint8_t first[16],
					   uint32_t cell)
{
	size_t lo = 0, hi = t->nsegs;
	if (!t->seg_order)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pagemap_seg *g = &t->segs[t->seg_order[mid]];
		int c = memcmp(g->first, first, 16);
		if (!c)
			c = g->start_cell < cell ? -1 : g->start_cell > cell;
		if (!c)
			return g;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct pagemap_seg *pagemap_chunk_segs(const struct pagemap_table *t, uint32_t k, size_t *n)
{
	size_t lo = 0, hi = t->nsegs;
	while (lo < hi) { /* the first segment of chunk k or after */
		size_t mid = lo + (hi - lo) / 2;
		if (t->segs[mid].k < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < t->nsegs && t->segs[end].k == k)
		end++;
	*n = end - lo;
	return *n ? &t->segs[lo] : NULL;
}

/* ---- one chunk's segment records, kept apart from the map (pagemap.h, struct pagemap_segs) ---- */

void pagemap_segs_encode(const struct pagemap_seg *g, size_t n, unsigned ncols, struct buf *out)
{
	size_t start = out->len;
	buf_add(out, "STSG", 4);
	uint8_t ver = PAGEMAP_SEGS_VERSION;
	buf_add(out, &ver, 1);
	buf_add_varint(out, ncols);
	buf_add_varint(out, n);
	for (size_t i = 0; i < n; i++)
		enc_seg(out, &g[i], ncols, false);
	buf_add_u64le(out, XXH3_64bits(out->data + start, out->len - start));
}

static size_t seg_slot(const uint8_t first[16], uint32_t cell, size_t mask)
{
	uint64_t h = get_u64le(first) ^ ((uint64_t)cell * 0x9E3779B97F4A7C15ULL);
	return (size_t)(h ^ (h >> 29)) & mask;
}

/* Index g by where it starts; false when a record already starts there (the first one stays). */
static bool segs_put(struct pagemap_segs *s, struct pagemap_seg *g)
{
	if ((s->n + 1) * 2 > s->nslots) {
		size_t ns = s->nslots ? s->nslots * 2 : 64;
		struct pagemap_seg **nsl = xcalloc(ns, sizeof(*nsl));
		for (size_t i = 0; i < s->nslots; i++) {
			struct pagemap_seg *x = s->slots[i];
			if (!x)
				continue;
			size_t j = seg_slot(x->first, x->start_cell, ns - 1);
			while (nsl[j])
				j = (j + 1) & (ns - 1);
			nsl[j] = x;
		}
		free(s->slots);
		s->slots = nsl;
		s->nslots = ns;
	}
	size_t j = seg_slot(g->first, g->start_cell, s->nslots - 1);
	for (; s->slots[j]; j = (j + 1) & (s->nslots - 1))
		if (s->slots[j]->start_cell == g->start_cell && !memcmp(s->slots[j]->first, g->first, 16))
			return false;
	s->slots[j] = g;
	s->n++;
	return true;
}

int pagemap_segs_load(struct pagemap_segs *s, uint32_t k, const uint8_t *p, size_t n)
{
	struct rd r;
	uint64_t nc, ns;

	if (n < 15 || n > PAGEMAP_MAX_SIZE || memcmp(p, "STSG", 4) || p[4] != PAGEMAP_SEGS_VERSION ||
	    get_u64le(p + n - 8) != XXH3_64bits(p, n - 8))
		return -EUCLEAN;
	rd_init(&r, p + 5, n - 13);
	if (rd_count(&r, PM_MAX_COLS, &nc) || nc != s->ncols ||
	    rd_count(&r, rd_left(&r) / (62 + nc), &ns))
		return -EUCLEAN;
	/* all of it decoded and checked before any record is indexed */
	struct pagemap_seg **v = xmalloc((ns ? ns : 1) * sizeof(*v));
	int rc = 0;
	for (uint64_t i = 0; i < ns && !rc; i++) {
		v[i] = (struct pagemap_seg *)arena_dup(&s->arena, NULL, sizeof(**v));
		memset(v[i], 0, sizeof(**v));
		if (dec_seg(&r, s->ncols, &s->arena, false, v[i]) || (i && v[i - 1]->si >= v[i]->si))
			rc = -EUCLEAN;
		v[i]->k = k;
	}
	if (!rc && (rd_left(&r) || r.err))
		rc = -EUCLEAN;
	for (uint64_t i = 0; i < ns && !rc; i++)
		segs_put(s, v[i]);
	free(v);
	return rc;
}

const struct pagemap_seg *pagemap_segs_find(const struct pagemap_segs *s, const uint8_t first[16],
					    uint32_t cell)
{
	if (!s->n)
		return NULL;
	for (size_t j = seg_slot(first, cell, s->nslots - 1); s->slots[j]; j = (j + 1) & (s->nslots - 1))
		if (s->slots[j]->start_cell == cell && !memcmp(s->slots[j]->first, first, 16))
			return s->slots[j];
	return NULL;
}

void pagemap_segs_release(struct pagemap_segs *s)
{
	free(s->slots);
	arena_free(s->arena);
	unsigned ncols = s->ncols;
	memset(s, 0, sizeof(*s));
	s->ncols = ncols;
}
