/*
 * rowcodec.c - see strata/rowcodec.h for the encoding.
 * A change to what this produces must bump PAGEMAP_VERSION (strata/pagemap.h):
 * incremental backups take sizes and ids measured by the strata that wrote a page map.
 */
#include "strata/rowcodec.h"

#include <string.h>

void value_encode(struct buf *b, const struct value *v)
{
	uint64_t bits;

	buf_addc(b, v->type);
	switch (v->type) {
	case VAL_NULL:
		break;
	case VAL_INT:
		buf_add_svarint(b, v->i);
		break;
	case VAL_REAL:
		memcpy(&bits, &v->r, 8);
		buf_add_u64le(b, bits);
		break;
	default:
		buf_add_bytes(b, v->p, v->n);
		break;
	}
}

int value_decode(struct rd *r, struct value *v)
{
	uint64_t bits;

	memset(v, 0, sizeof(*v));
	if (rd_u8(r, &v->type))
		return r->err;
	switch (v->type) {
	case VAL_NULL:
		return 0;
	case VAL_INT:
		return rd_svarint(r, &v->i);
	case VAL_REAL:
		if (rd_u64le(r, &bits))
			return r->err;
		memcpy(&v->r, &bits, 8);
		return 0;
	case VAL_TEXT:
	case VAL_BLOB:
		return rd_bytes(r, &v->p, &v->n);
	default:
		r->err = -EUCLEAN;
		r->p = r->end;
		return -EUCLEAN;
	}
}

void chunk_shape_encode(struct buf *b, const struct chunk_shape *s)
{
	buf_addc(b, CHUNK_VERSION);
	buf_add_varint(b, s->nhidden);
	buf_add_varint(b, s->ncols);
	buf_add_varint(b, s->nkey);
	for (unsigned i = 0; i < s->nkey; i++)
		buf_add_varint(b, s->keypos[i]);
}

int chunk_shape_decode(struct rd *r, struct chunk_shape *s)
{
	uint8_t ver;
	uint64_t nh, nc, nk, pos;

	memset(s, 0, sizeof(*s));
	if (rd_u8(r, &ver))
		return r->err;
	if (ver != CHUNK_VERSION)
		return -EUCLEAN;
	rd_count(r, 1, &nh);
	rd_count(r, ROW_MAX_VALUES - 1, &nc);
	rd_count(r, KEY_MAX_COLUMNS, &nk);
	if (r->err)
		return r->err;
	if (nh + nc == 0 || nk == 0)
		return -EUCLEAN;
	s->nhidden = (unsigned)nh;
	s->ncols = (unsigned)nc;
	s->nkey = (unsigned)nk;
	for (unsigned i = 0; i < s->nkey; i++) {
		if (rd_count(r, nh + nc - 1, &pos))
			return r->err;
		s->keypos[i] = (unsigned)pos;
	}
	return 0;
}

void key_encode(struct buf *b, const struct chunk_shape *s, const struct value *row)
{
	buf_add_varint(b, s->nkey);
	for (unsigned i = 0; i < s->nkey; i++)
		value_encode(b, &row[s->keypos[i]]);
}

static int type_rank(uint8_t t)
{
	switch (t) {
	case VAL_NULL: return 0;
	case VAL_INT:
	case VAL_REAL: return 1;
	case VAL_TEXT: return 2;
	default: return 3;
	}
}

/* INTEGER i against REAL r exactly, as SQLite does (no rounding of i). */
static int cmp_int_real(int64_t i, double r)
{
	if (r != r)
		return 1; /* NaN is stored as NULL by SQLite; order it below numbers */
	if (r >= 9223372036854775808.0)
		return -1;
	if (r < -9223372036854775808.0)
		return 1;
	int64_t t = (int64_t)r; /* truncation; exact as a double */
	if (i != t)
		return i < t ? -1 : 1;
	double frac = r - (double)t;
	return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

static int cmp_num(const struct value *a, const struct value *b)
{
	if (a->type == VAL_INT && b->type == VAL_INT)
		return a->i < b->i ? -1 : a->i > b->i;
	if (a->type == VAL_INT)
		return cmp_int_real(a->i, b->r);
	if (b->type == VAL_INT)
		return -cmp_int_real(b->i, a->r);
	return a->r < b->r ? -1 : a->r > b->r;
}

static int value_compare(const struct value *a, const struct value *b)
{
	int ra = type_rank(a->type), rb = type_rank(b->type);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 0)
		return 0;
	if (ra == 1)
		return cmp_num(a, b);
	size_t n = a->n < b->n ? a->n : b->n;
	int c = n ? memcmp(a->p, b->p, n) : 0;
	if (c)
		return c;
	return a->n < b->n ? -1 : a->n > b->n;
}

int key_compare(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return key_compare_prefix(a, an, b, bn, UINT64_MAX);
}

int key_compare_prefix(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, uint64_t max)
{
	struct rd ra, rb;
	uint64_t na, nb;

	rd_init(&ra, a, an);
	rd_init(&rb, b, bn);
	rd_count(&ra, KEY_MAX_COLUMNS, &na);
	rd_count(&rb, KEY_MAX_COLUMNS, &nb);
	/* only the first max values count */
	if (na > max)
		na = max;
	if (nb > max)
		nb = max;
	for (uint64_t i = 0; !ra.err && !rb.err && i < na && i < nb; i++) {
		struct value va, vb;
		value_decode(&ra, &va);
		value_decode(&rb, &vb);
		if (ra.err || rb.err)
			break;
		int c = value_compare(&va, &vb);
		if (c)
			return c;
	}
	if (ra.err || rb.err) {
		size_t n = an < bn ? an : bn;
		int c = n ? memcmp(a, b, n) : 0;
		return c ? c : (an < bn ? -1 : an > bn);
	}
	return na < nb ? -1 : na > nb;
}
