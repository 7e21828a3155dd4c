/*
 * Fuzz key names and a chunk's rows one by one (strata/rowkey.h), what the
 * mount's key/ directories read (lib/node_key.c):
 *
 *  - keyname_parse() of the whole input (any bytes: a lookup's name is
 *    any bytes but '/' and NUL): 0 or -EINVAL, and -EINVAL exactly when a
 *    value holds a '%' not followed by two hex digits or there are more
 *    than 64 values (the input's ','-separated parts).  On success 1 ..
 *    KEYNAME_MAX_CANDIDATES candidates, all different, each a well-formed
 *    encoded key (rowcodec.h: a varint count, then exactly that many
 *    values, nothing after them) of as many values as the name has parts
 *    (key_values() says the same); the last candidate is every part as
 *    TEXT even when the combinations exceed the maximum:
 *    TEXT, its bytes the part %XX-unescaped (unescaped here, not by the
 *    library); in every candidate each value is a reading of its part: the
 *    TEXT, or an INTEGER or REAL of the same number (strtod; a NUL is never
 *    part of a number), or a BLOB
 *    x'<hex>' of those bytes.
 *  - chunk_rows_each() over the whole input as a typed chunk: 0, -EUCLEAN,
 *    or what the callback returned (it stops after (input size % 4) rows,
 *    0: never).  Each row lies in the input, right after the one before it
 *    (the first right after the shape header of *hdr_len bytes); its key
 *    is well-formed; the header and the row are a one-row chunk that reads
 *    back as exactly that row with that key (lib/node_key.c serves a row
 *    so).
 */
#include "fuzz.h"
#include "strata/rowkey.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static int hexval(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One part of a name %XX-unescaped into out; false: an escape that is not %XX. */
static bool unescape(const uint8_t *s, size_t n, struct buf *out)
{
	buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			buf_addc(out, s[i]);
			continue;
		}
		if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
			return false;
		buf_addc(out, (uint8_t)(hexval(s[i + 1]) << 4 | hexval(s[i + 2])));
		i += 2;
	}
	return true;
}

/* Whether v is a reading of the text t (n bytes). */
static bool reads_as(const struct value *v, const uint8_t *t, size_t n)
{
	char tmp[80], *end;
	switch (v->type) {
	case VAL_TEXT:
		return v->n == n && (!n || !memcmp(v->p, t, n));
	case VAL_INT: {
		/* decimal digits after an optional '-', of exactly that value */
		bool neg = n && t[0] == '-';
		uint64_t acc = 0;
		if (n == (size_t)neg)
			return false;
		for (size_t i = neg; i < n; i++) {
			if (t[i] < '0' || t[i] > '9' || acc > (UINT64_MAX - (t[i] - '0')) / 10)
				return false;
			acc = acc * 10 + (uint64_t)(t[i] - '0');
		}
		return neg ? acc <= UINT64_C(9223372036854775808) && (uint64_t)v->i == 0 - acc
			   : acc <= INT64_MAX && (uint64_t)v->i == acc;
	}
	case VAL_REAL: {
		/* a decimal number (digits, sign, point, exponent) or ±Infinity, of that value */
		if (memchr(t, 0, n))
			return false; /* a NUL is not part of a number */
		if (n == 0 || n >= sizeof(tmp))
			return false;
		memcpy(tmp, t, n);
		tmp[n] = 0;
		if (strcmp(tmp, "Infinity") && strcmp(tmp, "-Infinity") &&
		    (strspn(tmp, "0123456789+-.eE") != n || !strpbrk(tmp, "0123456789")))
			return false;
		double d = strtod(tmp, &end);
		return *end == 0 && (d == v->r || (isnan(d) && isnan(v->r)));
	}
	case VAL_BLOB:
		if (n < 3 || (t[0] != 'x' && t[0] != 'X') || t[1] != '\'' || t[n - 1] != '\'' ||
		    (n - 3) % 2 || v->n != (n - 3) / 2)
			return false;
		for (size_t i = 0; i < v->n; i++) {
			int hi = hexval(t[2 + 2 * i]), lo = hexval(t[3 + 2 * i]);
			if (hi < 0 || lo < 0 || v->p[i] != (uint8_t)(hi << 4 | lo))
				return false;
		}
		return true;
	default:
		return false;
	}
}

static void names(const uint8_t *data, size_t size)
{
	struct buf cands[KEYNAME_MAX_CANDIDATES];
	struct buf *parts;
	size_t nparts = 1, ncands = 99;
	bool ok = true;

	for (size_t i = 0; i < size; i++)
		nparts += data[i] == ',';
	/* the parts unescaped (at most 65 of them matter: one more fails) */
	size_t keep = nparts < 65 ? nparts : 65;
	parts = xcalloc(keep, sizeof(*parts));
	for (size_t i = 0, start = 0; i < keep; i++) {
		const uint8_t *comma = memchr(data + start, ',', size - start);
		size_t end = comma ? (size_t)(comma - data) : size;
		buf_init(&parts[i]);
		ok &= unescape(data + start, end - start, &parts[i]);
		start = end + 1;
	}
	ok &= nparts <= 64;

	for (size_t i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
		buf_init(&cands[i]);
	int rc = keyname_parse((const char *)data, size, cands, &ncands);
	FUZZ_ASSERT(rc == 0 || rc == -EINVAL);
	FUZZ_ASSERT((rc == 0) == ok);
	if (rc == 0) {
		FUZZ_ASSERT(ncands >= 1 && ncands <= KEYNAME_MAX_CANDIDATES);
		for (size_t c = 0; c < ncands; c++) {
			struct rd r;
			uint64_t nk;
			rd_init(&r, cands[c].data, cands[c].len);
			FUZZ_ASSERT(rd_count(&r, KEY_MAX_COLUMNS, &nk) == 0 && nk == nparts);
			FUZZ_ASSERT(key_values(cands[c].data, cands[c].len) == nparts);
			for (size_t i = 0; i < nparts; i++) {
				struct value v;
				FUZZ_ASSERT(value_decode(&r, &v) == 0);
				FUZZ_ASSERT(reads_as(&v, parts[i].data, parts[i].len));
				/* the last candidate: every part as itself, even past the cap */
				if (c == ncands - 1)
					FUZZ_ASSERT(v.type == VAL_TEXT);
			}
			FUZZ_ASSERT(!r.err && r.p == r.end); /* nothing after the values */
			for (size_t o = 0; o < c; o++)
				FUZZ_ASSERT(cands[o].len != cands[c].len ||
					    memcmp(cands[o].data, cands[c].data, cands[c].len));
			/* a key compares equal to itself, over all of its values too */
			FUZZ_ASSERT(key_compare(cands[c].data, cands[c].len, cands[c].data,
						cands[c].len) == 0);
			FUZZ_ASSERT(key_compare_prefix(cands[c].data, cands[c].len, cands[c].data,
						       cands[c].len, nparts) == 0);
		}
		/* deterministic */
		struct buf again[KEYNAME_MAX_CANDIDATES];
		size_t n2 = 0;
		for (size_t i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
			buf_init(&again[i]);
		FUZZ_ASSERT(keyname_parse((const char *)data, size, again, &n2) == 0 && n2 == ncands);
		for (size_t c = 0; c < ncands; c++)
			FUZZ_ASSERT(again[c].len == cands[c].len &&
				    !memcmp(again[c].data, cands[c].data, cands[c].len));
		for (size_t i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
			buf_release(&again[i]);
	}
	for (size_t i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
		buf_release(&cands[i]);
	for (size_t i = 0; i < keep; i++)
		buf_release(&parts[i]);
	free(parts);
}

/* ---- chunk_rows_each ---- */

struct walk {
	const uint8_t *chunk, *end;
	const uint8_t *next; /* where the next row must start */
	size_t hdr;
	size_t rows, stop;   /* stop after this many rows (0: never) */
};

static int key_of_one(void *arg, const uint8_t *key, size_t klen, const uint8_t *row, size_t rlen)
{
	struct buf *k = arg;
	(void)row;
	(void)rlen;
	FUZZ_ASSERT(k->len == 0); /* one row */
	buf_add(k, key, klen);
	if (!klen)
		buf_addc(k, 0xff); /* an empty key is still one row's */
	return 0;
}

static int each(void *arg, const uint8_t *key, size_t klen, const uint8_t *row, size_t rlen)
{
	struct walk *w = arg;
	struct rd r;
	uint64_t nk;
	FUZZ_ASSERT(row == w->next && rlen > 0 && row + rlen <= w->end);
	w->next = row + rlen;
	/* a well-formed key: its count, then that many values, nothing more */
	rd_init(&r, key, klen);
	FUZZ_ASSERT(rd_count(&r, KEY_MAX_COLUMNS, &nk) == 0);
	FUZZ_ASSERT(key_values(key, klen) == nk);
	for (uint64_t i = 0; i < nk; i++) {
		struct value v;
		FUZZ_ASSERT(value_decode(&r, &v) == 0);
	}
	FUZZ_ASSERT(!r.err && r.p == r.end);
	/* the header and the row: a one-row chunk of that row and key */
	struct buf one = BUF_INIT, k2 = BUF_INIT;
	size_t h2 = 0;
	buf_add(&one, w->chunk, w->hdr);
	buf_add(&one, row, rlen);
	FUZZ_ASSERT(chunk_rows_each(one.data, one.len, &h2, key_of_one, &k2) == 0);
	FUZZ_ASSERT(h2 == w->hdr && k2.len == klen && (!klen || !memcmp(k2.data, key, klen)));
	buf_release(&one);
	buf_release(&k2);
	w->rows++;
	return w->stop && w->rows == w->stop ? 7 : 0;
}

static void rows(const uint8_t *data, size_t size)
{
	struct walk w = { data, data + size, NULL, 0, 0, size % 4 };
	size_t hdr = (size_t)-1;
	struct rd r;
	struct chunk_shape *shape = xcalloc(1, sizeof(*shape));

	/* the header's length, known before the first row: where chunk_shape_decode stops */
	rd_init(&r, data, size);
	bool shaped = chunk_shape_decode(&r, shape) == 0;
	free(shape);
	w.hdr = shaped ? (size_t)(r.p - data) : 0;
	w.next = data + w.hdr;
	int rc = chunk_rows_each(data, size, &hdr, each, &w);
	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN || rc == 7);
	if (!shaped) {
		FUZZ_ASSERT(rc == -EUCLEAN && w.rows == 0);
		return;
	}
	FUZZ_ASSERT(hdr == w.hdr);
	if (rc == 7)
		FUZZ_ASSERT(w.stop && w.rows == w.stop);
	else if (rc == 0)
		FUZZ_ASSERT(w.next == data + size); /* every byte is in a row */
	else
		FUZZ_ASSERT(w.next < data + size); /* stopped at a row that does not decode */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	names(data, size);
	rows(data, size);
	return 0;
}
