/*
 * tablediff.c - see strata/tablediff.h.
 */
#include "strata/tablediff.h"
#include "strata/manifest.h"
#include "strata/rowcodec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *tdiff_op_name(enum tdiff_op op)
{
	return op == TDIFF_INSERT ? "insert" : op == TDIFF_UPDATE ? "update" : "delete";
}

/* The rows of a list of chunks, one at a time, in order. */
struct cursor {
	struct reader *rd;
	uint64_t seq;
	uint32_t tidx;
	struct cat_chunk *ch;
	size_t n, next;
	struct buf typed, key, one;
	struct rd r;
	struct chunk_shape shape;
	bool have_shape;
	size_t hdr;
	struct value *vals;
	unsigned nv;
	bool valid;          /* a current row: key, one */
};

static bool same_order(const struct chunk_shape *a, const struct chunk_shape *b)
{
	if (a->nhidden != b->nhidden || a->nkey != b->nkey)
		return false;
	for (unsigned i = 0; i < a->nkey; i++)
		if (a->keypos[i] != b->keypos[i])
			return false;
	return true;
}

/* Move to the next row; valid = false at the end. */
static int cursor_next(struct cursor *c)
{
	c->valid = false;
	while (c->r.p >= c->r.end) {
		struct chunk_shape s;
		if (c->next == c->n)
			return 0;
		buf_reset(&c->typed);
		int rc = reader_chunk_typed(c->rd, c->seq, c->tidx, &c->ch[c->next++], &c->typed);
		if (rc)
			return rc;
		rd_init(&c->r, c->typed.data, c->typed.len);
		if (chunk_shape_decode(&c->r, &s))
			return -EUCLEAN;
		if (c->have_shape && (!same_order(&s, &c->shape) || s.ncols != c->shape.ncols))
			return -EUCLEAN; /* one table version has one shape */
		c->shape = s;
		c->have_shape = true;
		c->hdr = (size_t)(c->r.p - c->typed.data);
		if (!c->vals) {
			c->nv = s.nhidden + s.ncols;
			c->vals = xcalloc(c->nv, sizeof(*c->vals));
		}
	}
	const uint8_t *row = c->r.p;
	for (unsigned i = 0; i < c->nv; i++)
		if (value_decode(&c->r, &c->vals[i]))
			return -EUCLEAN;
	buf_reset(&c->key);
	key_encode(&c->key, &c->shape, c->vals);
	buf_reset(&c->one);
	buf_add(&c->one, c->typed.data, c->hdr);
	buf_add(&c->one, row, (size_t)(c->r.p - row));
	c->valid = true;
	return 0;
}

static void cursor_release(struct cursor *c)
{
	catalog_free_chunks(c->ch, c->n);
	buf_release(&c->typed);
	buf_release(&c->key);
	buf_release(&c->one);
	free(c->vals);
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/*
 * Every chunk of side s (none when it is absent) into c.  A chunk whose
 * pack the catalog does not hold is not listed: that is -ENODATA, never
 * a shorter table.
 */
static int list_side(struct catalog *cat, const struct tdiff_side *s, struct cursor *c)
{
	struct cat_table tb;
	c->seq = s->seq;
	c->tidx = (uint32_t)s->tidx;
	c->ch = NULL;
	c->n = c->next = 0;
	if (s->tidx < 0)
		return 0;
	int rc = catalog_table_by_idx(cat, s->seq, (uint32_t)s->tidx, &tb);
	if (rc)
		return rc;
	free(tb.dirname);
	rc = catalog_table_chunks(cat, s->seq, (uint32_t)s->tidx, false, &c->ch, &c->n);
	return rc ? rc : c->n == tb.nchunks ? 0 : -ENODATA;
}

/* The ids of c's chunks, sorted. */
static struct chunk_id *sorted_ids(const struct cursor *c)
{
	struct chunk_id *ids = xcalloc(c->n ? c->n : 1, sizeof(*ids));
	for (size_t i = 0; i < c->n; i++)
		ids[i] = c->ch[i].e.id;
	qsort(ids, c->n, sizeof(*ids), cmp_id);
	return ids;
}

/* Keep only the chunks of c whose ids are not among other's n (sorted). */
static void keep_only(struct cursor *c, const struct chunk_id *other, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < c->n; i++)
		if (!bsearch(&c->ch[i].e.id, other, n, sizeof(*other), cmp_id))
			c->ch[k++] = c->ch[i];
	c->n = k;
}

/* The values of a key the user names: a key-ordered rowid table's trailing rowid is not one. */
static unsigned user_values(const struct cursor *c, unsigned flags)
{
	unsigned n = c->shape.nkey;
	return (flags & TABLE_KEY_ORDER) && !(flags & TABLE_WITHOUT_ROWID) && n > 1 ? n - 1 : n;
}

int table_diff(struct catalog *cat, struct reader *rd, const struct tdiff_side *old,
	       const struct tdiff_side *new, bool *replaced,
	       int (*fn)(void *arg, enum tdiff_op op, int side, const struct buf *onerow),
	       void *arg)
{
	struct cursor a = { .rd = rd }, b = { .rd = rd };
	struct chunk_id *ida = NULL, *idb = NULL;
	int rc;

	*replaced = false;
	rc = list_side(cat, old, &a);
	if (!rc)
		rc = list_side(cat, new, &b);
	if (!rc) {
		/* what both list is the same rows in both */
		size_t na = a.n, nb = b.n;
		ida = sorted_ids(&a);
		idb = sorted_ids(&b);
		keep_only(&a, idb, nb);
		keep_only(&b, ida, na);
	}
	if (!rc)
		rc = cursor_next(&a);
	if (!rc)
		rc = cursor_next(&b);
	if (rc)
		goto out;
	if (a.valid && b.valid &&
	    (!same_order(&a.shape, &b.shape) ||
	     user_values(&a, old->flags) != user_values(&b, new->flags) ||
	     ((old->flags ^ new->flags) & (TABLE_KEY_ORDER | TABLE_WITHOUT_ROWID)))) {
		/* not one key order: every old row goes, every new row comes */
		*replaced = true;
		cursor_release(&a);
		cursor_release(&b);
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		a.rd = b.rd = rd;
		rc = list_side(cat, old, &a);
		if (!rc)
			rc = list_side(cat, new, &b);
		for (rc = rc ? rc : cursor_next(&a); !rc && a.valid; rc = cursor_next(&a))
			if ((rc = fn(arg, TDIFF_DELETE, 0, &a.one)))
				goto out;
		for (rc = rc ? rc : cursor_next(&b); !rc && b.valid; rc = cursor_next(&b))
			if ((rc = fn(arg, TDIFF_INSERT, 1, &b.one)))
				goto out;
		goto out;
	}
	while (!rc && (a.valid || b.valid)) {
		int c;
		if (!a.valid)
			c = 1;
		else if (!b.valid)
			c = -1;
		else
			c = key_compare_prefix(a.key.data, a.key.len, b.key.data, b.key.len,
					       user_values(&a, old->flags));
		if (c < 0) {
			rc = fn(arg, TDIFF_DELETE, 0, &a.one);
			if (!rc)
				rc = cursor_next(&a);
		} else if (c > 0) {
			rc = fn(arg, TDIFF_INSERT, 1, &b.one);
			if (!rc)
				rc = cursor_next(&b);
		} else {
			if (a.one.len != b.one.len || memcmp(a.one.data, b.one.data, a.one.len))
				rc = fn(arg, TDIFF_UPDATE, 1, &b.one);
			if (!rc)
				rc = cursor_next(&a);
			if (!rc)
				rc = cursor_next(&b);
		}
	}
out:
	cursor_release(&a);
	cursor_release(&b);
	free(ida);
	free(idb);
	return rc;
}
