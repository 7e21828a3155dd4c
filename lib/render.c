/*
 * render.c - CSV rendering; see strata/render.h.
 * A change to what this produces must bump PAGEMAP_VERSION (strata/pagemap.h):
 * incremental backups take sizes and ids measured by the strata that wrote a page map.
 *
 * Rules (RFC 4180, as PostgreSQL's COPY ... (FORMAT csv) reads them back):
 *  1. NULL is an empty unquoted field; the empty string is "".
 *  2. Text is quoted when it contains , " CR or LF, is empty, or is exactly
 *     \. (PostgreSQL's end-of-data marker); quotes inside are doubled.
 *  3. Blobs are \x + lowercase hex, unquoted.
 *  4. Reals: first of %.15g/%.16g/%.17g that round-trips; ".0" appended when
 *     the text would read back as an integer.
 */
#include "strata/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Fast path for the common case, a decimal with few digits (prices,
 * measurements): d is exactly the double nearest to m / 10^k for a small k
 * and an m of at most 15 digits.  Then %.15g prints exactly those digits
 * (rounding d to 15 significant digits gives m / 10^k back), so the result
 * is the same as the slow path's, without printf and strtod.  IEEE division
 * of two exactly representable values is correctly rounded, which makes
 * the check m / 10^k == d exact.
 */
static size_t real_fast(char out[40], double d)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8 };
	double a = d < 0 ? -d : d;

	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	for (int k = 0; k <= 8; k++) {
		double scaled = a * p10[k];
		if (scaled >= 1e15)
			return 0;
		double m = (double)(int64_t)(scaled + 0.5);
		if (m / p10[k] != a)
			continue;
		char digits[24];
		int nd = 0;
		uint64_t u = (uint64_t)m;
		do {
			digits[nd++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		size_t n = 0;
		if (d < 0)
			out[n++] = '-';
		if (nd <= k) { /* 0.000ddd */
			out[n++] = '0';
			out[n++] = '.';
			for (int z = 0; z < k - nd; z++)
				out[n++] = '0';
			while (nd)
				out[n++] = digits[--nd];
		} else {
			while (nd > k)
				out[n++] = digits[--nd];
			out[n++] = '.';
			if (k == 0)
				out[n++] = '0';
			while (nd)
				out[n++] = digits[--nd];
		}
		out[n] = 0;
		return n;
	}
	return 0;
}

size_t render_real(char out[40], double d)
{
	int n = 0;
	size_t fast = real_fast(out, d);

	if (fast)
		return fast;

	if (isinf(d))
		return (size_t)snprintf(out, 40, "%s", d > 0 ? "Infinity" : "-Infinity");
	if (isnan(d)) /* SQLite stores NaN as NULL; keep a readable form anyway */
		return (size_t)snprintf(out, 40, "NaN");
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(out, 40, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
	if (!strpbrk(out, ".e")) {
		memcpy(out + n, ".0", 3);
		n += 2;
	}
	return (size_t)n;
}

/* Room for n more bytes; returns where to write.  Callers then bump b->len. */
static inline uint8_t *reserve(struct buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_grow(b, n);
	return b->data + b->len;
}

/* Whether any byte of w equals c (exact: the classic zero-byte test on w ^ c). */
static inline bool word_has(uint64_t w, uint8_t c)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
	uint64_t x = w ^ (ones * c);
	return ((x - ones) & ~x & highs) != 0;
}

static inline bool needs_quotes(const uint8_t *p, size_t n)
{
	size_t i = 0;
	if (n == 0)
		return true;
	if (n == 2 && p[0] == '\\' && p[1] == '.')
		return true;
	/* eight bytes at a time: most text has none of the four specials */
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (word_has(w, ',') || word_has(w, '"') || word_has(w, '\n') || word_has(w, '\r'))
			return true;
	}
	for (; i < n; i++) {
		uint8_t c = p[i];
		/* one compare rejects most bytes: all four specials are <= '"' or ',' */
		if (c <= ',' && (c == ',' || c == '"' || c == '\n' || c == '\r'))
			return true;
	}
	return false;
}

bool render_csv_needs_quotes(const uint8_t *p, size_t n)
{
	return needs_quotes(p, n);
}

void render_csv_text(struct buf *b, const uint8_t *p, size_t n)
{
	if (!needs_quotes(p, n)) {
		uint8_t *o = reserve(b, n);
		if (n)
			memcpy(o, p, n);
		b->len += n;
		b->data[b->len] = 0;
		return;
	}
	/* worst case: every byte a quote, doubled, plus the enclosing pair */
	uint8_t *o = reserve(b, 2 * n + 2), *start = o;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"')
			*o++ = '"';
		*o++ = p[i];
	}
	*o++ = '"';
	b->len += (size_t)(o - start);
	b->data[b->len] = 0;
}

static void render_blob(struct buf *b, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	uint8_t *o = reserve(b, 2 + 2 * n);
	*o++ = '\\';
	*o++ = 'x';
	for (size_t i = 0; i < n; i++) {
		*o++ = (uint8_t)hx[p[i] >> 4];
		*o++ = (uint8_t)hx[p[i] & 15];
	}
	b->len += 2 + 2 * n;
	b->data[b->len] = 0;
}

static void render_int(struct buf *b, int64_t v)
{
	char tmp[24];
	char *e = tmp + sizeof(tmp), *s = e;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--s = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--s = '-';
	size_t n = (size_t)(e - s);
	memcpy(reserve(b, n), s, n);
	b->len += n;
	b->data[b->len] = 0;
}

void render_csv_value(struct buf *b, const struct value *v)
{
	switch (v->type) {
	case VAL_NULL:
		break;
	case VAL_INT:
		render_int(b, v->i);
		break;
	case VAL_REAL: {
		uint8_t *o = reserve(b, 40);
		b->len += render_real((char *)o, v->r);
		break;
	}
	case VAL_TEXT:
		render_csv_text(b, v->p, v->n);
		break;
	default:
		render_blob(b, v->p, v->n);
		break;
	}
}

void render_csv_header(struct buf *b, char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (i)
			buf_addc(b, ',');
		render_csv_text(b, (const uint8_t *)names[i], strlen(names[i]));
	}
	buf_addc(b, '\n');
}

/* Bytes render_csv_value() appends for v. */
static uint64_t csv_value_len(const struct value *v)
{
	char tmp[40];
	uint64_t n;

	switch (v->type) {
	case VAL_NULL:
		return 0;
	case VAL_INT: {
		uint64_t u = v->i < 0 ? (uint64_t)0 - (uint64_t)v->i : (uint64_t)v->i;
		n = v->i < 0;
		do {
			n++;
			u /= 10;
		} while (u);
		return n;
	}
	case VAL_REAL:
		return render_real(tmp, v->r);
	case VAL_TEXT:
		if (!needs_quotes(v->p, v->n))
			return v->n;
		n = v->n + 2;
		for (const uint8_t *p = v->p, *e = v->p + v->n;
		     (p = memchr(p, '"', (size_t)(e - p))) != NULL; p++)
			n++;
		return n;
	default:
		return 2 + 2 * (uint64_t)v->n;
	}
}

/*
 * Walk a chunk's rows: render them into out, or (out == NULL) only add up
 * the bytes rendering would append, so backup learns a chunk's CSV size
 * without a second copy of it.  With side != NULL, also append what the CSV
 * does not say (strata/frames.h): the chunk's shape header, then per row
 * its hidden value (an integer rowid as the difference from the previous
 * row's, which compresses to almost nothing) and one type tag per column.
 * One walker keeps the three in step.
 */
static int walk_chunk(const uint8_t *chunk, size_t n, struct buf *out, struct buf *side,
		      uint64_t *len, uint64_t *nrows)
{
	struct chunk_shape shape;
	struct rd r;
	struct value v;
	uint64_t rows = 0, total = 0;
	int rc;

	*nrows = 0;
	rd_init(&r, chunk, n);
	rc = chunk_shape_decode(&r, &shape);
	if (rc)
		return rc;
	if (side)
		buf_add(side, chunk, (size_t)(r.p - chunk));
	int64_t prev = 0; /* the last integer rowid: the side stream stores differences */
	while (rd_left(&r)) {
		for (unsigned i = 0; i < shape.nhidden; i++) {
			const uint8_t *hid = r.p;
			if (value_decode(&r, &v))
				return r.err;
			if (!side)
				continue;
			if (v.type == VAL_INT) {
				buf_addc(side, VAL_INT);
				buf_add_svarint(side, (int64_t)((uint64_t)v.i - (uint64_t)prev));
				prev = v.i;
			} else {
				buf_add(side, hid, (size_t)(r.p - hid));
			}
		}
		if (side)
			reserve(side, shape.ncols);
		for (unsigned i = 0; i < shape.ncols; i++) {
			if (value_decode(&r, &v))
				return r.err;
			if (side)
				side->data[side->len++] = v.type;
			if (!out) {
				total += (i ? 1 : 0) + csv_value_len(&v);
				continue;
			}
			if (i) {
				*reserve(out, 1) = ',';
				out->len++;
			}
			render_csv_value(out, &v);
		}
		if (out) {
			*reserve(out, 1) = '\n';
			out->len++;
			out->data[out->len] = 0;
		}
		total++; /* LF */
		rows++;
	}
	if (len)
		*len = total;
	*nrows = rows;
	return 0;
}

int render_csv_chunk_len(const uint8_t *chunk, size_t n, uint64_t *len, uint64_t *nrows)
{
	*len = 0;
	return walk_chunk(chunk, n, NULL, NULL, len, nrows);
}

int render_csv_chunk(const uint8_t *chunk, size_t n, struct buf *out, uint64_t *nrows)
{
	return walk_chunk(chunk, n, out, NULL, NULL, nrows);
}

int render_csv_chunk_side(const uint8_t *chunk, size_t n, struct buf *out, struct buf *side,
			  uint64_t *nrows)
{
	return walk_chunk(chunk, n, out, side, NULL, nrows);
}
