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
		/* a frame is never empty, and zstd expands at most 32768 times */
		if (c == 0 || pos > e->clen ||
		    (uint64_t)framed_frame_len(t, e, k) > (uint64_t)c * 32768) {
			framed_toc_free(t);
			return -EUCLEAN;
		}
	}
	if (pos != e->clen || (uint64_t)t->side_ulen > (uint64_t)t->side_clen * 32768) {
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

int framed_read_toc(int fd, const struct pack_entry *e, struct framed_toc *t)
{
	uint8_t small[4096], *hdr = small;
	size_t n = e->clen < sizeof(small) ? e->clen : sizeof(small), need;
	int rc;

	memset(t, 0, sizeof(*t));
	rc = pread_all(fd, small, n, e->offset);
	if (rc)
		return rc;
	rc = framed_parse(small, n, e, t, &need);
	if (rc == -EAGAIN && need > n) {
		/* need <= e->clen was checked: a table this long is in the pack */
		hdr = malloc(need);
		if (!hdr)
			return -ENOMEM;
		rc = pread_all(fd, hdr, need, e->offset);
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

int framed_read_frame(int fd, const struct pack_entry *e, const struct framed_toc *t,
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
	rc = pread_all(fd, c, clen, e->offset + t->foff[k]);
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
	rc = framed_decode(body + t.side_off, t.foff[0] - t.side_off, t.side_ulen, dctx, s.data);
	s.len = t.side_ulen;
	if (!rc)
		rc = side_rows(s.data, s.len, &rows);
	if (!rc && rows != e->nrows)
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

int chunk_read_csv(int fd, const struct pack_entry *e, ZSTD_DCtx *dctx, struct buf *csv)
{
	uint8_t head[4];
	uint8_t *raw = NULL;
	uint64_t nrows;
	size_t start = csv->len;
	int rc;

	if (e->clen < 4)
		return -EUCLEAN;
	rc = pread_all(fd, head, 4, e->offset);
	if (rc)
		return rc;
	if (!framed_is(head, 4)) {
		rc = chunk_read(fd, e, dctx, &raw);
		if (!rc)
			rc = render_csv_chunk(raw, e->ulen, csv, &nrows);
		free(raw);
		if (!rc && (csv->len - start != e->csv_len || nrows != e->nrows))
			rc = -EUCLEAN;
		if (rc)
			csv->len = start;
		return rc;
	}
	/* the whole body is read: e->clen was bounded by the pack's own checks */
	if (e->clen > CHUNK_MAX_ULEN + (CHUNK_MAX_ULEN >> 7) + 4096)
		return -EUCLEAN;
	raw = malloc(e->clen);
	if (!raw)
		return -ENOMEM;
	rc = pread_all(fd, raw, e->clen, e->offset);
	if (!rc)
		rc = framed_check(raw, e->clen, e, dctx, csv, NULL);
	free(raw);
	if (rc)
		csv->len = start;
	return rc;
}
