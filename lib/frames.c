/*
 * frames.c - framed chunk bodies; see strata/frames.h.
 */
#include "strata/frames.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include "strata/render.h"
#include "strata/rowcodec.h"

/* Append one zstd frame of src (with checksum: the cctx's setting). */
static int add_frame(ZSTD_CCtx *cctx, struct buf *out, const uint8_t *src, size_t n,
		     uint32_t *clen)
{
	size_t bound = ZSTD_compressBound(n);
	buf_grow(out, bound);
	ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
	ZSTD_CCtx_setPledgedSrcSize(cctx, n);
	size_t cl = ZSTD_compress2(cctx, out->data + out->len, bound, src, n);
	if (ZSTD_isError(cl) || cl > UINT32_MAX)
		return -EIO;
	out->len += cl;
	*clen = (uint32_t)cl;
	return 0;
}

int framed_render(const uint8_t *typed, size_t n, struct buf *csv, struct buf *side,
		  uint64_t *nrows)
{
	buf_reset(csv);
	buf_reset(side);
	return render_csv_chunk_side(typed, n, csv, side, nrows);
}

int framed_compress(struct buf *csv, const struct buf *side, const struct chunk_id *id,
		    uint32_t frame_size, ZSTD_CCtx *cctx, struct buf *out)
{
	uint32_t nframes, clen;
	int rc;

	buf_reset(out);
	if (frame_size < FRAMED_MIN_FRAME || frame_size > FRAMED_MAX_FRAME)
		return -EINVAL;
	uint64_t nf = (csv->len + frame_size - 1) / frame_size;
	if (nf > FRAMED_MAX_FRAMES || side->len > UINT32_MAX)
		return -EFBIG;
	nframes = (uint32_t)nf;

	XXH3_state_t *st = XXH3_createState();
	if (!st)
		return -ENOMEM;
	XXH3_64bits_reset(st);
	XXH3_64bits_update(st, side->data, side->len);
	XXH3_64bits_update(st, csv->data, csv->len);
	uint64_t sum = XXH3_64bits_digest(st);
	XXH3_freeState(st);

	size_t hlen = FRAMED_HEADER + 4 * (size_t)nframes;
	buf_grow(out, hlen);
	memset(out->data, 0, hlen);
	memcpy(out->data, FRAMED_MAGIC, 4);
	put_u32le(out->data + 4, frame_size);
	put_u32le(out->data + 8, nframes);
	put_u32le(out->data + 12, (uint32_t)side->len);
	put_u64le(out->data + 24, sum);
	memcpy(out->data + 32, id->b, 16);
	out->len = hlen;
	rc = add_frame(cctx, out, side->data, side->len, &clen);
	if (rc)
		return rc;
	put_u32le(out->data + 16, clen);
	/*
	 * A chunk may be one value of hundreds of MiB: give the pages of CSV
	 * already compressed back as the body grows, so the two are not both
	 * resident.  The CSV buffer's content is consumed (its length stays).
	 */
	bool release = csv->len >= (8u << 20);
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t done = 0;
	for (uint32_t k = 0; k < nframes; k++) {
		size_t from = (size_t)k * frame_size;
		size_t len = csv->len - from < frame_size ? csv->len - from : frame_size;
		rc = add_frame(cctx, out, csv->data + from, len, &clen);
		if (rc)
			return rc;
		put_u32le(out->data + FRAMED_HEADER + 4 * (size_t)k, clen);
		if (release && pg > 0) {
			uintptr_t lo = ((uintptr_t)csv->data + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
			uintptr_t hi = ((uintptr_t)csv->data + from + len) & ~((uintptr_t)pg - 1);
			if (lo < done)
				lo = done;
			if (hi > lo + (4u << 20) || (k + 1 == nframes && hi > lo)) {
				madvise((void *)lo, hi - lo, MADV_DONTNEED);
				done = hi;
			}
		}
	}
	return 0;
}

int framed_build(const uint8_t *typed, size_t n, uint32_t frame_size, ZSTD_CCtx *cctx,
		 struct buf *csv, struct buf *side, struct buf *out, uint64_t *csv_len,
		 uint64_t *nrows)
{
	struct chunk_id id;
	int rc = framed_render(typed, n, csv, side, nrows);
	if (rc)
		return rc;
	*csv_len = csv->len;
	chunk_id_of(&id, typed, n);
	return framed_compress(csv, side, &id, frame_size, cctx, out);
}

bool framed_is(const uint8_t *p, size_t n)
{
	return n >= 4 && !memcmp(p, FRAMED_MAGIC, 4);
}

int framed_parse(const uint8_t *hdr, size_t n, const struct pack_entry *e,
		 struct framed_toc *t, size_t *need)
{
	memset(t, 0, sizeof(*t));
	*need = FRAMED_HEADER;
	if (e->clen < FRAMED_HEADER)
		return -EUCLEAN; /* before asking for more bytes than the body has */
	if (n < FRAMED_HEADER)
		return -EAGAIN;
	if (!framed_is(hdr, n))
		return -EUCLEAN;
	t->frame_size = get_u32le(hdr + 4);
	t->nframes = get_u32le(hdr + 8);
	t->side_ulen = get_u32le(hdr + 12);
	t->side_clen = get_u32le(hdr + 16);
	t->sum = get_u64le(hdr + 24);
	if (t->frame_size < FRAMED_MIN_FRAME || t->frame_size > FRAMED_MAX_FRAME ||
	    t->nframes > FRAMED_MAX_FRAMES || get_u32le(hdr + 20) != 0 ||
	    /* the body is the entry's: a body stored or found under another id is refused */
	    memcmp(hdr + 32, e->id.b, 16) ||
	    /* ceil without overflow: csv_len comes from outside */
	    t->nframes != e->csv_len / t->frame_size + (e->csv_len % t->frame_size != 0) ||
	    /* the side stream is the shape and a tag per column, as in the typed rows,
	     * but a hidden rowid may grow from 2 to 11 bytes as a difference */
	    t->side_ulen > (uint64_t)e->ulen + 9 * e->nrows + 16 || t->side_clen == 0)
		return -EUCLEAN;
	uint64_t hlen = FRAMED_HEADER + 4 * (uint64_t)t->nframes;
	if (hlen > e->clen)
		return -EUCLEAN;
	*need = (size_t)hlen;
	if (n < hlen)
		return -EAGAIN;
	uint64_t pos = hlen + t->side_clen;
	if (pos > e->clen)
		return -EUCLEAN;
	t->side_off = hlen;
	t->foff = malloc(((size_t)t->nframes + 1) * sizeof(uint64_t));
	if (!t->foff)
		return -ENOMEM;
	for (uint32_t k = 0; k < t->nframes; k++) {
		uint32_t c = get_u32le(hdr + FRAMED_HEADER + 4 * (size_t)k);
		t->foff[k] = pos;
		pos += c;
		/* a frame is never empty, zstd expands at most 32768 times, and a
		 * frame is never larger than zstd's bound for its content (so a lying
		 * table cannot make a reader allocate more than a frame needs) */
		if (c == 0 || pos > e->clen ||
		    (uint64_t)framed_frame_len(t, e, k) > (uint64_t)c * 32768 ||
		    c > ZSTD_compressBound(framed_frame_len(t, e, k))) {
			framed_toc_free(t);
			return -EUCLEAN;
		}
	}
	if (pos != e->clen || (uint64_t)t->side_ulen > (uint64_t)t->side_clen * 32768 ||
	    t->side_clen > ZSTD_compressBound(t->side_ulen)) {
		framed_toc_free(t);
		return -EUCLEAN;
	}
	t->foff[t->nframes] = pos;
	return 0;
}

void framed_toc_free(struct framed_toc *t)
{
	free(t->foff);
	t->foff = NULL;
}

int framed_read_toc(struct store_file *f, const struct pack_entry *e, struct framed_toc *t)
{
	uint8_t small[4096], *hdr = small;
	size_t n = e->clen < sizeof(small) ? e->clen : sizeof(small), need;
	int rc;

	memset(t, 0, sizeof(*t));
	rc = store_pread(f, small, n, e->offset);
	if (rc)
		return rc;
	rc = framed_parse(small, n, e, t, &need);
	if (rc == -EAGAIN && need > n) {
		/* need <= e->clen was checked: a table this long is in the pack */
		hdr = malloc(need);
		if (!hdr)
			return -ENOMEM;
		rc = store_pread(f, hdr, need, e->offset);
		if (!rc)
			rc = framed_parse(hdr, need, e, t, &need);
		free(hdr);
	}
	return rc == -EAGAIN ? -EUCLEAN : rc;
}

int framed_decode(const void *c, size_t clen, size_t ulen, ZSTD_DCtx *dctx, uint8_t *out)
{
	const uint8_t *p = c;
	/* RFC 8878: magic 28 b5 2f fd, then the frame header descriptor, whose
	 * bit 2 is Content_Checksum_flag */
	if (clen < 6 || get_u32le(p) != 0xFD2FB528u || !(p[4] & 4))
		return -EUCLEAN;
	unsigned long long fcs = ZSTD_getFrameContentSize(c, clen);
	if (fcs == ZSTD_CONTENTSIZE_ERROR)
		return -EBADMSG;
	if (fcs != ulen || ZSTD_findFrameCompressedSize(c, clen) != clen)
		return -EUCLEAN;
	size_t r = ZSTD_decompressDCtx(dctx, out, ulen, c, clen);
	if (ZSTD_isError(r))
		return -EBADMSG;
	return r == ulen ? 0 : -EUCLEAN;
}

int framed_read_frame(struct store_file *f, const struct pack_entry *e, const struct framed_toc *t,
		      uint32_t k, ZSTD_DCtx *dctx, uint8_t **out)
{
	size_t ulen = framed_frame_len(t, e, k);
	size_t clen = (size_t)(t->foff[k + 1] - t->foff[k]);
	uint8_t *c, *u;
	int rc;

	*out = NULL;
	c = malloc(clen);
	u = malloc(ulen ? ulen : 1);
	if (!c || !u) {
		free(c);
		free(u);
		return -ENOMEM;
	}
	rc = store_pread(f, c, clen, e->offset + t->foff[k]);
	if (!rc)
		rc = framed_decode(c, clen, ulen, dctx, u);
	free(c);
	if (rc) {
		free(u);
		return rc;
	}
	*out = u;
	return 0;
}

/* Rows the side stream describes; -EUCLEAN when it is not well formed. */
static int side_rows(const uint8_t *p, size_t n, uint64_t *rows)
{
	struct chunk_shape shape;
	struct value v;
	struct rd r;
	int rc;

	*rows = 0;
	rd_init(&r, p, n);
	rc = chunk_shape_decode(&r, &shape);
	if (rc)
		return rc;
	while (rd_left(&r)) {
		const uint8_t *tags;
		for (unsigned i = 0; i < shape.nhidden; i++)
			if (value_decode(&r, &v))
				return -EUCLEAN;
		if (rd_raw(&r, shape.ncols, &tags))
			return -EUCLEAN;
		for (unsigned i = 0; i < shape.ncols; i++)
			if (tags[i] > VAL_BLOB)
				return -EUCLEAN;
		(*rows)++;
	}
	return 0;
}

int framed_check(const uint8_t *body, size_t clen, const struct pack_entry *e, ZSTD_DCtx *dctx,
		 struct buf *csv, struct buf *side)
{
	return framed_check_rows(body, clen, e, dctx, csv, side, true);
}

int framed_check_rows(const uint8_t *body, size_t clen, const struct pack_entry *e,
		      ZSTD_DCtx *dctx, struct buf *csv, struct buf *side, bool count_rows)
{
	struct framed_toc t;
	struct buf s = BUF_INIT;
	uint8_t *frame = NULL;
	XXH3_state_t *st = NULL;
	uint64_t rows;
	size_t need, csv_start = csv ? csv->len : 0;
	int rc;

	if (clen != e->clen)
		return -EUCLEAN;
	rc = framed_parse(body, clen, e, &t, &need);
	if (rc)
		return rc == -EAGAIN ? -EUCLEAN : rc;
	buf_grow(&s, t.side_ulen);
	if (csv)
		buf_grow(csv, e->csv_len); /* its size (framed_parse checked it): no copies while it grows */
	rc = framed_decode(body + t.side_off, t.foff[0] - t.side_off, t.side_ulen, dctx, s.data);
	s.len = t.side_ulen;
	if (!rc)
		rc = side_rows(s.data, s.len, &rows);
	if (!rc && count_rows && rows != e->nrows)
		rc = -EUCLEAN;
	/* frame by frame through one buffer: memory is one frame, whatever the chunk */
	if (!rc) {
		frame = malloc(t.frame_size);
		st = XXH3_createState();
		rc = frame && st ? 0 : -ENOMEM;
	}
	if (!rc) {
		XXH3_64bits_reset(st);
		XXH3_64bits_update(st, s.data, s.len);
	}
	for (uint32_t k = 0; !rc && k < t.nframes; k++) {
		size_t ulen = framed_frame_len(&t, e, k);
		rc = framed_decode(body + t.foff[k], (size_t)(t.foff[k + 1] - t.foff[k]), ulen, dctx,
				   frame);
		if (rc)
			break;
		XXH3_64bits_update(st, frame, ulen);
		if (csv)
			buf_add(csv, frame, ulen);
	}
	if (!rc && XXH3_64bits_digest(st) != t.sum)
		rc = -EBADMSG;
	if (rc && csv)
		csv->len = csv_start; /* nothing of a refused body is handed out */
	if (!rc && side)
		buf_add(side, s.data, s.len);
	XXH3_freeState(st);
	free(frame);
	buf_release(&s);
	framed_toc_free(&t);
	return rc;
}

/* pread a whole framed body (clen is bounded by the pack's own checks) and framed_check() it. */
static int framed_read_check(struct store_file *f, const struct pack_entry *e, ZSTD_DCtx *dctx,
			     struct buf *csv, struct buf *side)
{
	uint8_t *raw;
	int rc;

	if (e->clen > CHUNK_MAX_ULEN + (CHUNK_MAX_ULEN >> 7) + 4096)
		return -EUCLEAN;
	raw = malloc(e->clen);
	if (!raw)
		return -ENOMEM;
	rc = store_pread(f, raw, e->clen, e->offset);
	if (!rc)
		rc = framed_check(raw, e->clen, e, dctx, csv, side);
	free(raw);
	return rc;
}

/* Whether the body of e is framed (format 2) or a single zstd frame (format 1). */
static int body_is_framed(struct store_file *f, const struct pack_entry *e, bool *framed)
{
	uint8_t head[4];
	int rc;

	if (e->clen < 4)
		return -EUCLEAN;
	rc = store_pread(f, head, 4, e->offset);
	if (!rc)
		*framed = framed_is(head, 4);
	return rc;
}

/* A format 1 body: decoded, hashed against its id, rendered and measured. */
static int v1_read_csv(struct store_file *f, const struct pack_entry *e, ZSTD_DCtx *dctx, struct buf *csv)
{
	uint8_t *raw = NULL;
	uint64_t nrows;
	size_t start = csv->len;
	int rc = chunk_read(f, e, dctx, &raw);

	if (!rc)
		rc = render_csv_chunk(raw, e->ulen, csv, &nrows);
	free(raw);
	if (!rc && (csv->len - start != e->csv_len || nrows != e->nrows))
		rc = -EUCLEAN;
	if (rc)
		csv->len = start;
	return rc;
}

int chunk_read_csv(struct store_file *f, const struct pack_entry *e, ZSTD_DCtx *dctx, struct buf *csv)
{
	size_t start = csv->len;
	bool framed;
	int rc = body_is_framed(f, e, &framed);

	if (rc)
		return rc;
	if (!framed)
		return v1_read_csv(f, e, dctx, csv);
	rc = framed_read_check(f, e, dctx, csv, NULL);
	if (rc)
		csv->len = start;
	return rc;
}

/*
 * framed_typed: the CSV and the side stream back to the typed rows.  The
 * side stream says each field's type, so each field is read as that type,
 * and only in the one form render.c writes for it: anything else is not
 * what the renderer wrote, and is refused.
 */

/* A lowercase hex digit's value, or -1. */
static int hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Bytes buf_add_varint() writes for v. */
static size_t varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* An integer as render_int() writes it: [-]digits, no leading zero, no "-0", in int64 range. */
static int parse_int(const uint8_t *s, size_t n, int64_t *v)
{
	bool neg = n && s[0] == '-';
	const uint8_t *p = s + neg, *e = s + n;
	uint64_t u = 0, max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	if (p == e || (*p == '0' && (e - p > 1 || neg)))
		return -EUCLEAN;
	for (; p < e; p++) {
		if (*p < '0' || *p > '9')
			return -EUCLEAN;
		unsigned d = (unsigned)(*p - '0');
		if (u > (max - d) / 10)
			return -EUCLEAN;
		u = u * 10 + d;
	}
	/* u - 1 fits an int64 even for INT64_MIN */
	*v = neg ? -(int64_t)(u - 1) - 1 : (int64_t)u;
	return 0;
}

/*
 * A real as render_real() writes it: strtod() must read all of it, and
 * render_real() must give the same text back.  The first makes it a
 * number; the second makes it the renderer's own text for that number,
 * which strtod() reads back to the very bits it was rendered from (that is
 * how render_real() chose it; "-0.0" gives -0.0, "Infinity" infinity).
 */
static int parse_real(const uint8_t *s, size_t n, double *d)
{
	char t[40], back[40];
	char *end;

	if (n == 0 || n >= sizeof(t))
		return -EUCLEAN; /* render_real() writes 3 to 24 characters */
	memcpy(t, s, n);
	t[n] = 0; /* strtod() reads a string: a private, terminated copy */
	*d = strtod(t, &end);
	if (end != t + n || render_real(back, *d) != n || memcmp(back, t, n))
		return -EUCLEAN;
	return 0;
}

/*
 * A quoted TEXT field; c->p is at its opening quote.  The closing quote
 * must be followed by delim (',' or LF), and the text must be one the
 * renderer quotes.  A quoted field may hold any byte, LF and NUL included.
 */
static int csv_quoted(struct rd *c, uint8_t delim, struct buf *typed)
{
	const uint8_t *s = c->p + 1, *q = s, *e;
	size_t n = 0;

	/* the closing quote: the first quote not doubled; n counts the text's bytes */
	for (;;) {
		e = memchr(q, '"', (size_t)(c->end - q));
		if (!e)
			return -EUCLEAN;
		n += (size_t)(e - q);
		if (e + 1 < c->end && e[1] == '"') {
			n++;
			q = e + 2;
			continue;
		}
		break;
	}
	if (e + 1 >= c->end || e[1] != delim)
		return -EUCLEAN;
	/* a quote in [s, e) is a doubled one; the test on the raw bytes is the text's */
	if (!render_csv_needs_quotes(s, (size_t)(e - s)))
		return -EUCLEAN;
	buf_addc(typed, VAL_TEXT);
	buf_add_varint(typed, n);
	buf_grow(typed, n);
	uint8_t *o = typed->data + typed->len;
	for (const uint8_t *p = s; p < e; p++) {
		*o++ = *p;
		if (*p == '"')
			p++; /* the second of the pair */
	}
	typed->len += n;
	typed->data[typed->len] = 0;
	c->p = e + 2;
	return 0;
}

/* One field of type tag, followed by delim (',' or LF), appended to typed as a value. */
static int csv_field(struct rd *c, uint8_t tag, uint8_t delim, struct buf *typed)
{
	const uint8_t *s = c->p, *e;
	struct value v = { .type = tag };
	size_t n;

	if (tag == VAL_TEXT && s < c->end && *s == '"')
		return csv_quoted(c, delim, typed);
	/* unquoted: up to the first ',' or LF, which must be delim (or a field is missing) */
	for (e = s; e < c->end && *e != ',' && *e != '\n'; e++)
		;
	if (e == c->end || *e != delim)
		return -EUCLEAN;
	n = (size_t)(e - s);
	c->p = e + 1;
	switch (tag) {
	case VAL_NULL:
		if (n)
			return -EUCLEAN;
		break;
	case VAL_INT:
		if (parse_int(s, n, &v.i))
			return -EUCLEAN;
		break;
	case VAL_REAL:
		if (parse_real(s, n, &v.r))
			return -EUCLEAN;
		break;
	case VAL_TEXT:
		/* empty, "\.", or holding '"' or CR: the renderer would have quoted it */
		if (render_csv_needs_quotes(s, n))
			return -EUCLEAN;
		v.p = s;
		v.n = n;
		break;
	case VAL_BLOB: {
		if (n < 2 || s[0] != '\\' || s[1] != 'x' || n % 2)
			return -EUCLEAN;
		n = (n - 2) / 2;
		buf_addc(typed, VAL_BLOB);
		buf_add_varint(typed, n);
		buf_grow(typed, n);
		uint8_t *o = typed->data + typed->len;
		for (size_t i = 0; i < n; i++) {
			int hi = hex_digit(s[2 + 2 * i]), lo = hex_digit(s[3 + 2 * i]);
			if (hi < 0 || lo < 0)
				return -EUCLEAN; /* framed_typed() takes back what was added */
			o[i] = (uint8_t)(hi << 4 | lo);
		}
		typed->len += n;
		typed->data[typed->len] = 0;
		return 0;
	}
	default:
		return -EUCLEAN;
	}
	value_encode(typed, &v);
	return 0;
}

int framed_typed(const uint8_t *side, size_t side_len, const uint8_t *csv, size_t csv_len,
		 struct buf *typed)
{
	struct chunk_shape shape;
	struct value v;
	struct rd s, c;
	size_t start = typed->len;
	int64_t prev = 0; /* the last integer rowid, as in walk_chunk() */

	rd_init(&s, side, side_len);
	rd_init(&c, csv, csv_len);
	if (chunk_shape_decode(&s, &shape))
		goto bad;
	buf_add(typed, side, (size_t)(s.p - side)); /* the typed chunk's header, as it was */
	/* a row for each row of the side stream: one CSV line (a quoted LF does not end it) */
	while (rd_left(&s)) {
		const uint8_t *tags;
		for (unsigned i = 0; i < shape.nhidden; i++) {
			const uint8_t *h = s.p;
			if (value_decode(&s, &v))
				goto bad;
			if (v.type != VAL_INT) {
				buf_add(typed, h, (size_t)(s.p - h)); /* copied as encoded */
				continue;
			}
			/* the difference from prev, in the shortest form (buf_add_svarint) */
			uint64_t zz = ((uint64_t)v.i << 1) ^ (v.i < 0 ? UINT64_MAX : 0);
			if ((size_t)(s.p - h) != 1 + varint_len(zz))
				goto bad;
			prev = (int64_t)((uint64_t)prev + (uint64_t)v.i); /* wraps, as in render */
			v.i = prev;
			value_encode(typed, &v);
		}
		if (rd_raw(&s, shape.ncols, &tags))
			goto bad;
		for (unsigned i = 0; i < shape.ncols; i++)
			if (csv_field(&c, tags[i], i + 1 < shape.ncols ? ',' : '\n', typed))
				goto bad;
		if (shape.ncols == 0) { /* a row of no columns is an empty line */
			if (!rd_left(&c) || *c.p != '\n')
				goto bad;
			c.p++;
		}
	}
	if (rd_left(&c))
		goto bad; /* more CSV than the side stream has rows */
	return 0;
bad:
	typed->len = start;
	if (typed->data)
		typed->data[start] = 0;
	return -EUCLEAN;
}

int chunk_check(struct store_file *f, const struct pack_entry *e, ZSTD_DCtx *dctx)
{
	struct buf csv = BUF_INIT, side = BUF_INIT, typed = BUF_INIT;
	struct chunk_id id;
	bool framed;
	int rc;

	if (pack_entry_is_node(e)) {
		/* an index node: its bytes against its id (their structure is checked where a manifest loads it) */
		uint8_t *d = NULL;
		rc = chunk_read(f, e, dctx, &d);
		free(d);
		return rc;
	}
	rc = body_is_framed(f, e, &framed);
	if (rc)
		return rc;
	if (!framed) {
		rc = v1_read_csv(f, e, dctx, &csv);
		buf_release(&csv);
		return rc;
	}
	rc = framed_read_check(f, e, dctx, &csv, &side);
	if (!rc)
		rc = framed_typed(side.data, side.len, csv.data, csv.len, &typed);
	if (!rc && typed.len != e->ulen)
		rc = -EUCLEAN;
	if (!rc) {
		chunk_id_of(&id, typed.data, typed.len);
		if (memcmp(id.b, e->id.b, 16))
			rc = -EBADMSG;
	}
	buf_release(&csv);
	buf_release(&side);
	buf_release(&typed);
	return rc;
}
