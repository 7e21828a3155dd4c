/*
 * rowkey.c - key names and a chunk's rows one by one; see strata/rowkey.h.
 */
#include "strata/rowkey.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KEYNAME_MAX_VALUES 64

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One value of a name, unescaped. */
static int unescape(const char *s, size_t n, struct buf *out)
{
	buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			buf_addc(out, (uint8_t)s[i]);
			continue;
		}
		int hi = i + 2 < n ? hexval(s[i + 1]) : -1, lo = hi >= 0 ? hexval(s[i + 2]) : -1;
		if (lo < 0)
			return -EINVAL;
		buf_addc(out, (uint8_t)(hi << 4 | lo));
		i += 2;
	}
	return 0;
}

static bool parse_int(const char *s, size_t n, int64_t *v)
{
	size_t i = s[0] == '-' ? 1 : 0;
	uint64_t acc = 0, lim = i ? UINT64_C(9223372036854775808) : INT64_MAX;
	if (i == n)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (acc > (lim - d) / 10)
			return false;
		acc = acc * 10 + d;
	}
	*v = s[0] == '-' ? (int64_t)(0 - acc) : (int64_t)acc;
	return true;
}

/* A decimal real (digits, an optional fraction and exponent) or ±Infinity. */
static bool parse_real(const char *s, size_t n, double *v)
{
	char tmp[64], *end;
	bool digit = false;
	if (n == 0 || n >= sizeof(tmp) || memchr(s, 0, n))
		return false; /* a NUL is never part of a number (the C string would end there) */
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (!strcmp(tmp, "Infinity") || !strcmp(tmp, "-Infinity")) {
		*v = tmp[0] == '-' ? -INFINITY : INFINITY;
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strchr("0123456789+-.eE", tmp[i]))
			return false;
		digit |= tmp[i] >= '0' && tmp[i] <= '9';
	}
	if (!digit)
		return false;
	*v = strtod(tmp, &end);
	return *end == 0;
}

static bool parse_blob(const uint8_t *s, size_t n, struct buf *out)
{
	if (n < 3 || (s[0] != 'x' && s[0] != 'X') || s[1] != '\'' || s[n - 1] != '\'' ||
	    (n - 3) % 2)
		return false;
	buf_reset(out);
	for (size_t i = 2; i + 1 < n - 1; i += 2) {
		int hi = hexval((char)s[i]), lo = hexval((char)s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		buf_addc(out, (uint8_t)(hi << 4 | lo));
	}
	return true;
}

/* The readings of one value, most likely first. */
struct readings {
	struct value v[3];
	unsigned n;
	struct buf text, blob;
};

static void read_value(struct readings *r)
{
	const char *s = (const char *)r->text.data;
	size_t n = r->text.len;
	int64_t i;
	double d;
	r->n = 0;
	if (n && parse_int(s, n, &i)) {
		r->v[r->n++] = (struct value){ .type = VAL_INT, .i = i };
	} else if (n && parse_real(s, n, &d)) {
		r->v[r->n++] = (struct value){ .type = VAL_REAL, .r = d };
	} else if (parse_blob(r->text.data, n, &r->blob)) {
		r->v[r->n++] = (struct value){ .type = VAL_BLOB, .p = r->blob.data, .n = r->blob.len };
	}
	r->v[r->n++] = (struct value){ .type = VAL_TEXT, .p = r->text.data, .n = n };
}

int keyname_parse(const char *name, size_t n, struct buf cands[KEYNAME_MAX_CANDIDATES],
		  size_t *ncands)
{
	struct readings *rs = NULL;
	size_t nv = 0, total = 1;
	int rc = 0;

	*ncands = 0;
	rs = xcalloc(KEYNAME_MAX_VALUES, sizeof(*rs));
	for (size_t start = 0; !rc;) {
		const char *comma = memchr(name + start, ',', n - start);
		size_t end = comma ? (size_t)(comma - name) : n;
		if (nv == KEYNAME_MAX_VALUES) {
			rc = -EINVAL;
			break;
		}
		struct readings *r = &rs[nv++];
		rc = unescape(name + start, end - start, &r->text);
		if (rc)
			break;
		read_value(r);
		if (!comma)
			break;
		start = end + 1;
	}
	/*
	 * Every combination, in order, the first readings first, the last value
	 * varying fastest; beyond the maximum, the first ones and then the
	 * all-text reading, which is always the last.
	 */
	bool capped = false;
	for (size_t i = 0; !rc && i < nv; i++) {
		capped |= total * rs[i].n > KEYNAME_MAX_CANDIDATES;
		total = capped ? KEYNAME_MAX_CANDIDATES : total * rs[i].n;
	}
	for (size_t c = 0; !rc && c < total; c++) {
		size_t sel = c;
		struct buf *k = &cands[c];
		buf_reset(k);
		buf_add_varint(k, nv);
		size_t *pick = xcalloc(nv, sizeof(*pick));
		for (size_t i = nv; i-- > 0;) {
			pick[i] = capped && c == total - 1 ? rs[i].n - 1 : sel % rs[i].n;
			sel /= rs[i].n;
		}
		for (size_t i = 0; i < nv; i++)
			value_encode(k, &rs[i].v[pick[i]]);
		free(pick);
		*ncands = c + 1;
	}
	for (size_t i = 0; i < KEYNAME_MAX_VALUES; i++) {
		buf_release(&rs[i].text);
		buf_release(&rs[i].blob);
	}
	free(rs);
	return rc;
}

unsigned key_values(const uint8_t *key, size_t n)
{
	struct rd r;
	uint64_t nk;
	rd_init(&r, key, n);
	return rd_count(&r, KEY_MAX_COLUMNS, &nk) ? 0 : (unsigned)nk;
}

int chunk_rows_each(const uint8_t *chunk, size_t n, size_t *hdr_len,
		    int (*fn)(void *arg, const uint8_t *key, size_t klen, const uint8_t *row,
			      size_t rlen),
		    void *arg)
{
	struct chunk_shape *shape = xcalloc(1, sizeof(*shape));
	struct buf key = BUF_INIT;
	struct value *vals = NULL;
	struct rd r;
	int rc;

	rd_init(&r, chunk, n);
	rc = chunk_shape_decode(&r, shape);
	if (rc)
		goto out;
	*hdr_len = (size_t)(r.p - chunk);
	unsigned nv = shape->nhidden + shape->ncols;
	vals = xcalloc(nv, sizeof(*vals));
	while (!rc && r.p < r.end) {
		const uint8_t *row = r.p;
		for (unsigned i = 0; i < nv; i++)
			if (value_decode(&r, &vals[i]))
				break;
		if (r.err) {
			rc = -EUCLEAN;
			break;
		}
		buf_reset(&key);
		key_encode(&key, shape, vals);
		rc = fn(arg, key.data, key.len, row, (size_t)(r.p - row));
	}
out:
	free(vals);
	free(shape);
	buf_release(&key);
	return rc;
}
