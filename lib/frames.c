/*
 * frames.c - framed chunk bodies (SFC2 and SFC3); see strata/frames.h.
 */
#include "strata/frames.h"

#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
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

/*
 * What writers and parsers of both formats agree on: what makes a frame,
 * a side stream, a segment plausible.  The writers refuse what the parser
 * would, so a body is never written that cannot be read.
 */

/*
 * A zstd frame of clen bytes said to hold ulen: never empty, zstd expands
 * at most 32768 times, and a frame is never larger than zstd's bound for
 * its content (so a lying table cannot make a reader allocate more than a
 * frame needs).
 */
static bool frame_plausible(uint64_t ulen, uint64_t clen)
{
	return clen > 0 && ulen <= clen * 32768 && clen <= ZSTD_compressBound(ulen);
}

/*
 * A side frame for typed bytes of nrows rows: the side stream is the shape
 * and a tag per column, as in the typed rows, but a hidden rowid may grow
 * from 2 to 11 bytes as a difference: ulen <= typed + 9 nrows + 16, tested
 * without overflow (nrows may be a lying entry's).
 */
static bool side_plausible(uint64_t ulen, uint64_t clen, uint64_t typed, uint64_t nrows)
{
	bool fits = ulen <= typed + 16 || (ulen - typed - 16 + 8) / 9 <= nrows;
	return fits && frame_plausible(ulen, clen);
}

/* An SFC3 segment holds a row at least, so typed bytes and CSV. */
static bool seg_plausible(const struct framed3_seg *g)
{
	return g->nrows && g->typed_len && g->csv_len &&
	       side_plausible(g->side_ulen, g->side_clen, g->typed_len, g->nrows);
}

/* CSV frames of an SFC3 segment of csv_len bytes, and the length of its frame j. */
static uint32_t seg_nframes(uint32_t csv_len)
{
	return csv_len / FRAMED3_FRAME + (csv_len % FRAMED3_FRAME != 0);
}

static uint32_t seg_frame_len(uint32_t csv_len, uint32_t j)
{
	uint32_t left = csv_len - j * FRAMED3_FRAME;
	return left < FRAMED3_FRAME ? left : FRAMED3_FRAME;
}

/* chunk_id_of() of n ids, the first at ids, each stride bytes after the one before. */
static void ids_id(const uint8_t *ids, size_t stride, uint32_t n, struct chunk_id *out)
{
	uint8_t *b = xmalloc(16 * (size_t)n + 1);
	for (uint32_t i = 0; i < n; i++)
		memcpy(b + 16 * (size_t)i, ids + stride * i, 16);
	chunk_id_of(out, b, 16 * (size_t)n);
	free(b);
}

void framed3_chunk_id(const struct framed3_seg *segs, uint32_t n, struct chunk_id *out)
{
	ids_id((const uint8_t *)segs + offsetof(struct framed3_seg, id), sizeof(*segs), n, out);
}

/* A segment's zsum: xxh3-64 of its side frame followed by its CSV frames. */
static uint64_t seg_zsum(const uint8_t *side_z, size_t side_clen, const uint8_t *csv_z,
			 size_t csv_clen)
{
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		abort(); /* as xmalloc does */
	XXH3_64bits_reset(st);
	XXH3_64bits_update(st, side_z, side_clen);
	XXH3_64bits_update(st, csv_z, csv_clen);
	uint64_t h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	return h;
}

int framed3_compress_seg(const struct buf *csv, const struct buf *side, ZSTD_CCtx *cctx,
			 struct buf *side_z, struct buf *csv_z, struct buf *clens,
			 struct framed3_seg *s)
{
	size_t side0 = side_z->len, csv0 = csv_z->len, clens0 = clens->len;
	uint64_t sum = 0;
	uint32_t side_clen, clen, nf;
	int rc;

	if (csv->len == 0)
		return -EUCLEAN; /* a segment holds a row, and a row a line */
	if (csv->len > UINT32_MAX || side->len > UINT32_MAX)
		return -EFBIG;
	nf = seg_nframes((uint32_t)csv->len);
	rc = add_frame(cctx, side_z, side->data, side->len, &side_clen);
	for (uint32_t j = 0; !rc && j < nf; j++) {
		uint32_t len = seg_frame_len((uint32_t)csv->len, j);
		rc = add_frame(cctx, csv_z, csv->data + (size_t)j * FRAMED3_FRAME, len, &clen);
		if (rc)
			break;
		buf_add(clens, &clen, sizeof(clen));
		sum += clen;
	}
	if (!rc && sum > UINT32_MAX)
		rc = -EFBIG;
	if (rc) {
		/* the caller's buffers hold the segments before this one, as they were */
		side_z->len = side0;
		csv_z->len = csv0;
		clens->len = clens0;
		return rc;
	}
	s->csv_len = (uint32_t)csv->len;
	s->csv_clen = (uint32_t)sum;
	s->side_ulen = (uint32_t)side->len;
	s->side_clen = side_clen;
	s->zsum = seg_zsum(side_z->data + side0, side_clen, csv_z->data + csv0, (size_t)sum);
	return 0;
}

/* An SFC3 segment table entry (FRAMED3_SEG_BYTES), written and read. */
static void seg_put(uint8_t *p, const struct framed3_seg *g)
{
	put_u32le(p, g->nrows);
	put_u32le(p + 4, g->typed_len);
	put_u32le(p + 8, g->csv_len);
	put_u32le(p + 12, g->csv_clen);
	put_u32le(p + 16, g->side_ulen);
	put_u32le(p + 20, g->side_clen);
	put_u64le(p + 24, g->zsum);
	memcpy(p + 32, g->id, 16);
}

static void seg_get(const uint8_t *p, struct framed3_seg *g)
{
	g->nrows = get_u32le(p);
	g->typed_len = get_u32le(p + 4);
	g->csv_len = get_u32le(p + 8);
	g->csv_clen = get_u32le(p + 12);
	g->side_ulen = get_u32le(p + 16);
	g->side_clen = get_u32le(p + 20);
	g->zsum = get_u64le(p + 24);
	memcpy(g->id, p + 32, 16);
}


/* Bytes of an SFC3 body's header and tables. */
static uint64_t v3_hlen(uint32_t nsegs, uint32_t nframes)
{
	return FRAMED_HEADER + (uint64_t)FRAMED3_SEG_BYTES * nsegs + 4 * (uint64_t)nframes;
}

int framed3_assemble(const struct framed3_part *p, uint32_t n, const struct chunk_id *id,
		     struct buf *out)
{
	uint64_t nframes = 0, zlen = 0;
	struct chunk_id want;

	buf_reset(out);
	if (n == 0 || n > FRAMED_MAX_FRAMES)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		const struct framed3_seg *g = &p[i].s;
		uint64_t sum = 0;
		if (!seg_plausible(g))
			return -EINVAL;
		for (uint32_t j = 0; j < seg_nframes(g->csv_len); j++) {
			if (!frame_plausible(seg_frame_len(g->csv_len, j), p[i].clens[j]))
				return -EINVAL;
			sum += p[i].clens[j];
		}
		if (sum != g->csv_clen)
			return -EINVAL;
		if (seg_zsum(p[i].side_z, g->side_clen, p[i].csv_z, g->csv_clen) != g->zsum)
			return -EBADMSG;
		nframes += seg_nframes(g->csv_len);
		zlen += (uint64_t)g->side_clen + g->csv_clen;
	}
	if (nframes > FRAMED_MAX_FRAMES)
		return -EFBIG;
	uint64_t hlen = v3_hlen(n, (uint32_t)nframes);
	if (hlen + zlen > UINT32_MAX)
		return -EFBIG; /* a pack entry's clen */

	buf_grow(out, (size_t)(hlen + zlen));
	memset(out->data, 0, FRAMED_HEADER);
	memcpy(out->data, FRAMED3_MAGIC, 4);
	put_u32le(out->data + 4, n);
	put_u32le(out->data + 8, (uint32_t)nframes);
	memcpy(out->data + 32, id->b, 16);
	uint8_t *segs = out->data + FRAMED_HEADER, *clens = segs + (size_t)FRAMED3_SEG_BYTES * n;
	for (uint32_t i = 0; i < n; i++) {
		seg_put(segs + (size_t)FRAMED3_SEG_BYTES * i, &p[i].s);
		for (uint32_t j = 0; j < seg_nframes(p[i].s.csv_len); j++, clens += 4)
			put_u32le(clens, p[i].clens[j]);
	}
	/* from the table as written: the body names the chunk its segments make */
	ids_id(segs + 32, FRAMED3_SEG_BYTES, n, &want);
	if (memcmp(want.b, id->b, 16))
		return -EINVAL;
	put_u64le(out->data + 16, XXH3_64bits(segs, (size_t)(hlen - FRAMED_HEADER)));
	out->len = (size_t)hlen;
	for (uint32_t i = 0; i < n; i++)
		buf_add(out, p[i].side_z, p[i].s.side_clen);
	for (uint32_t i = 0; i < n; i++)
		buf_add(out, p[i].csv_z, p[i].s.csv_clen);
	return 0;
}

bool framed_is(const uint8_t *p, size_t n)
{
	return n >= 4 && (!memcmp(p, FRAMED_MAGIC, 4) || !memcmp(p, FRAMED3_MAGIC, 4));
}

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

/*
 * The table's arrays in one block: foff, coff (nframes + 1 each), then for
 * SFC3 segs (nsegs), soff and sfirst (nsegs + 1 each), each at its type's
 * alignment.  at[] receives their offsets; returns the block's size.
 */
static size_t toc_layout(uint32_t nframes, uint32_t nsegs, size_t at[5])
{
	size_t n = (size_t)(nframes + 1ull) * sizeof(uint64_t);

	at[0] = 0;
	at[1] = n;
	n += (size_t)(nframes + 1ull) * sizeof(uint64_t);
	if (!nsegs) {
		at[2] = at[3] = at[4] = n;
		return n;
	}
	at[2] = align_up(n, alignof(struct framed3_seg));
	n = at[2] + (size_t)nsegs * sizeof(struct framed3_seg);
	at[3] = align_up(n, alignof(uint64_t));
	n = at[3] + (size_t)(nsegs + 1ull) * sizeof(uint64_t);
	at[4] = align_up(n, alignof(uint32_t));
	return at[4] + (size_t)(nsegs + 1ull) * sizeof(uint32_t);
}

size_t framed_toc_bytes(const struct framed_toc *t)
{
	size_t at[5];
	return t->foff ? toc_layout(t->nframes, t->nsegs, at) : 0;
}

void framed_toc_rebase(struct framed_toc *t, void *block)
{
	uint8_t *b = block;
	size_t at[5];

	toc_layout(t->nframes, t->nsegs, at);
	t->foff = (uint64_t *)(void *)(b + at[0]);
	t->coff = (uint64_t *)(void *)(b + at[1]);
	t->segs = t->nsegs ? (struct framed3_seg *)(void *)(b + at[2]) : NULL;
	t->soff = t->nsegs ? (uint64_t *)(void *)(b + at[3]) : NULL;
	t->sfirst = t->nsegs ? (uint32_t *)(void *)(b + at[4]) : NULL;
}

/* The block of t's arrays, for its nframes and nsegs. */
static int toc_alloc(struct framed_toc *t)
{
	size_t at[5];
	void *b = malloc(toc_layout(t->nframes, t->nsegs, at));
	if (!b)
		return -ENOMEM;
	framed_toc_rebase(t, b);
	return 0;
}

/* framed_parse of an SFC2 header (the magic and the id checked). */
static int parse_v2(const uint8_t *hdr, size_t n, const struct pack_entry *e,
		    struct framed_toc *t, size_t *need)
{
	int rc;

	t->version = 2;
	t->frame_size = get_u32le(hdr + 4);
	t->nframes = get_u32le(hdr + 8);
	t->side_ulen = get_u32le(hdr + 12);
	t->side_clen = get_u32le(hdr + 16);
	t->sum = get_u64le(hdr + 24);
	if (t->frame_size < FRAMED_MIN_FRAME || t->frame_size > FRAMED_MAX_FRAME ||
	    t->nframes > FRAMED_MAX_FRAMES || get_u32le(hdr + 20) != 0 ||
	    /* ceil without overflow: csv_len comes from outside */
	    t->nframes != e->csv_len / t->frame_size + (e->csv_len % t->frame_size != 0) ||
	    !side_plausible(t->side_ulen, t->side_clen, e->ulen, e->nrows))
		return -EUCLEAN;
	uint64_t hlen = FRAMED_HEADER + 4 * (uint64_t)t->nframes;
	if (hlen > e->clen)
		return -EUCLEAN;
	*need = (size_t)hlen;
	if (n < hlen)
		return -EAGAIN;
	t->side_off = hlen;
	rc = toc_alloc(t);
	if (rc)
		return rc;
	/* nframes = ceil(csv_len / frame_size): csv_len < 2^40, no overflow */
	for (uint32_t k = 0; k <= t->nframes; k++)
		t->coff[k] = (uint64_t)k * t->frame_size < e->csv_len ? (uint64_t)k * t->frame_size
								   : e->csv_len;
	uint64_t pos = hlen + t->side_clen;
	for (uint32_t k = 0; k < t->nframes; k++) {
		uint32_t c = get_u32le(hdr + FRAMED_HEADER + 4 * (size_t)k);
		t->foff[k] = pos;
		pos += c;
		if (!frame_plausible(t->coff[k + 1] - t->coff[k], c)) {
			framed_toc_free(t);
			return -EUCLEAN;
		}
	}
	if (pos != e->clen) {
		framed_toc_free(t);
		return -EUCLEAN;
	}
	t->foff[t->nframes] = pos;
	return 0;
}

/*
 * framed_parse of an SFC3 header (the magic and the id checked).  Every
 * value of the tables is checked against the others and against the
 * entry; sums are 64-bit (at most 2^20 values of 32 bits each).
 */
static int parse_v3(const uint8_t *hdr, size_t n, const struct pack_entry *e,
		    struct framed_toc *t, size_t *need)
{
	uint64_t pos, csv = 0, cz = 0;
	struct chunk_id id;
	uint32_t k = 0;
	int rc;

	t->version = 3;
	t->nsegs = get_u32le(hdr + 4);
	t->nframes = get_u32le(hdr + 8);
	t->sum = get_u64le(hdr + 16);
	/* every segment has a CSV frame at least */
	if (get_u32le(hdr + 12) != 0 || get_u64le(hdr + 24) != 0 || t->nsegs == 0 ||
	    t->nsegs > FRAMED_MAX_FRAMES || t->nframes > FRAMED_MAX_FRAMES ||
	    t->nframes < t->nsegs)
		return -EUCLEAN;
	uint64_t hlen = v3_hlen(t->nsegs, t->nframes);
	if (hlen > e->clen)
		return -EUCLEAN;
	*need = (size_t)hlen;
	if (n < hlen)
		return -EAGAIN;
	if (XXH3_64bits(hdr + FRAMED_HEADER, (size_t)(hlen - FRAMED_HEADER)) != t->sum)
		return -EBADMSG;
	rc = toc_alloc(t);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < t->nsegs; i++)
		seg_get(hdr + FRAMED_HEADER + (size_t)FRAMED3_SEG_BYTES * i, &t->segs[i]);
	/* the table is the chunk's: its segment ids make the id the entry has */
	framed3_chunk_id(t->segs, t->nsegs, &id);
	if (memcmp(id.b, e->id.b, 16)) {
		framed_toc_free(t);
		return -EBADMSG;
	}
	const uint8_t *clens = hdr + FRAMED_HEADER + (size_t)FRAMED3_SEG_BYTES * t->nsegs;
	pos = hlen;
	for (uint32_t i = 0; i < t->nsegs; i++) {
		const struct framed3_seg *g = &t->segs[i];
		uint32_t nf = seg_nframes(g->csv_len);
		uint64_t sum = 0;
		if (!seg_plausible(g) || nf > t->nframes - k)
			goto bad;
		t->soff[i] = pos;
		t->sfirst[i] = k;
		pos += g->side_clen;
		for (uint32_t j = 0; j < nf; j++, k++) {
			uint32_t c = get_u32le(clens + 4 * (size_t)k);
			uint32_t len = seg_frame_len(g->csv_len, j);
			if (!frame_plausible(len, c))
				goto bad;
			t->coff[k] = csv;
			t->foff[k] = cz; /* from the first CSV frame: after the side frames */
			csv += len;
			cz += c;
			sum += c;
		}
		if (sum != g->csv_clen)
			goto bad;
	}
	/*
	 * Not compared with what reads do not use, as for SFC2: the entry's
	 * row count (framed_check_rows counts the rows) and its ulen (verify
	 * compares the rebuilt rows with it), so a consistent lie there does
	 * not stop the data from being read.
	 */
	if (k != t->nframes || csv != e->csv_len || pos + cz != e->clen)
		goto bad;
	for (k = 0; k < t->nframes; k++)
		t->foff[k] += pos;
	t->foff[t->nframes] = pos + cz;
	t->coff[t->nframes] = csv;
	t->soff[t->nsegs] = pos;
	t->sfirst[t->nsegs] = t->nframes;
	return 0;
bad:
	framed_toc_free(t);
	return -EUCLEAN;
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
	/* the body is the entry's: a body stored or found under another id is refused */
	if (!framed_is(hdr, n) || memcmp(hdr + 32, e->id.b, 16))
		return -EUCLEAN;
	return hdr[3] == '2' ? parse_v2(hdr, n, e, t, need) : parse_v3(hdr, n, e, t, need);
}

void framed_toc_free(struct framed_toc *t)
{
	free(t->foff);
	t->foff = t->coff = t->soff = NULL;
	t->segs = NULL;
	t->sfirst = NULL;
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

uint32_t framed_frame_at(const struct framed_toc *t, uint64_t off)
{
	uint32_t lo = 0, hi = t->nframes;

	if (t->frame_size)
		return (uint32_t)(off / t->frame_size);
	/* the last frame starting at or before off: coff[lo] <= off < coff[hi] */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (t->coff[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
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

/*
 * Side frame i of a body (SFC2: its one; SFC3: segment i's) decoded onto
 * s, well formed, of *rows rows.
 */
static int side_frame(const uint8_t *body, const struct framed_toc *t, uint32_t i,
		      ZSTD_DCtx *dctx, struct buf *s, uint64_t *rows)
{
	uint64_t off = t->version == 2 ? t->side_off : t->soff[i];
	uint32_t clen = t->version == 2 ? t->side_clen : t->segs[i].side_clen;
	uint32_t ulen = t->version == 2 ? t->side_ulen : t->segs[i].side_ulen;
	int rc;

	buf_grow(s, ulen);
	rc = framed_decode(body + off, clen, ulen, dctx, s->data + s->len);
	if (!rc)
		rc = side_rows(s->data + s->len, ulen, rows);
	if (rc)
		return rc;
	s->len += ulen;
	s->data[s->len] = 0;
	return 0;
}

/*
 * framed_check_rows, the parsed table left in *t on success (the caller
 * frees it) for what else the caller reads of the body.
 */
static int body_check(const uint8_t *body, size_t clen, const struct pack_entry *e,
		      ZSTD_DCtx *dctx, struct buf *csv, struct buf *side, bool count_rows,
		      struct framed_toc *t)
{
	struct buf s = BUF_INIT;
	uint8_t *frame = NULL;
	XXH3_state_t *st = NULL;
	uint64_t rows = 0, fmax = 0;
	size_t need, csv_start = csv ? csv->len : 0;
	int rc;

	memset(t, 0, sizeof(*t));
	if (clen != e->clen)
		return -EUCLEAN;
	rc = framed_parse(body, clen, e, t, &need);
	if (rc)
		return rc == -EAGAIN ? -EUCLEAN : rc;
	if (csv)
		buf_grow(csv, e->csv_len); /* its size (framed_parse checked it): no copies while it grows */
	/* the side streams, each with the rows its segment says (SFC2: the entry) */
	for (uint32_t i = 0; !rc && i < (t->version == 2 ? 1 : t->nsegs); i++) {
		uint64_t r = 0;
		rc = side_frame(body, t, i, dctx, &s, &r);
		if (!rc && t->version == 3 && r != t->segs[i].nrows)
			rc = -EUCLEAN;
		if (!rc && t->version == 3 &&
		    seg_zsum(body + t->soff[i], t->segs[i].side_clen, body + t->foff[t->sfirst[i]],
			     t->segs[i].csv_clen) != t->segs[i].zsum)
			rc = -EBADMSG;
		rows += r;
	}
	if (!rc && count_rows && rows != e->nrows)
		rc = -EUCLEAN;
	/* frame by frame through one buffer: memory is one frame, whatever the chunk */
	if (!rc) {
		for (uint32_t k = 0; k < t->nframes; k++)
			if (framed_frame_len(t, e, k) > fmax)
				fmax = framed_frame_len(t, e, k);
		frame = malloc(fmax ? fmax : 1);
		rc = frame ? 0 : -ENOMEM;
	}
	/* SFC2's content checksum; SFC3's tables have theirs, and each frame zstd's */
	if (!rc && t->version == 2) {
		st = XXH3_createState();
		rc = st ? 0 : -ENOMEM;
	}
	if (st) {
		XXH3_64bits_reset(st);
		XXH3_64bits_update(st, s.data, s.len);
	}
	for (uint32_t k = 0; !rc && k < t->nframes; k++) {
		size_t ulen = framed_frame_len(t, e, k);
		rc = framed_decode(body + t->foff[k], (size_t)(t->foff[k + 1] - t->foff[k]), ulen,
				   dctx, frame);
		if (rc)
			break;
		if (st)
			XXH3_64bits_update(st, frame, ulen);
		if (csv)
			buf_add(csv, frame, ulen);
	}
	if (!rc && st && XXH3_64bits_digest(st) != t->sum)
		rc = -EBADMSG;
	if (rc && csv)
		csv->len = csv_start; /* nothing of a refused body is handed out */
	if (!rc && side)
		buf_add(side, s.data, s.len);
	if (rc)
		framed_toc_free(t);
	XXH3_freeState(st);
	free(frame);
	buf_release(&s);
	return rc;
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
	int rc = body_check(body, clen, e, dctx, csv, side, count_rows, &t);
	framed_toc_free(&t);
	return rc;
}

/* pread a whole framed body (clen is bounded by the pack's own checks); *raw is malloc'ed. */
static int framed_read_body(struct store_file *f, const struct pack_entry *e, uint8_t **raw)
{
	int rc;

	*raw = NULL;
	if (e->clen > CHUNK_MAX_ULEN + (CHUNK_MAX_ULEN >> 7) + 4096)
		return -EUCLEAN;
	*raw = malloc(e->clen);
	if (!*raw)
		return -ENOMEM;
	rc = store_pread(f, *raw, e->clen, e->offset);
	if (rc) {
		free(*raw);
		*raw = NULL;
	}
	return rc;
}

/* Whether the body of e is framed (SFC2 or SFC3) or a single zstd frame (format 1). */
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
	uint8_t *raw;
	bool framed;
	int rc = body_is_framed(f, e, &framed);

	if (rc)
		return rc;
	if (!framed)
		return v1_read_csv(f, e, dctx, csv);
	rc = framed_read_body(f, e, &raw);
	if (!rc)
		rc = framed_check(raw, e->clen, e, dctx, csv, NULL); /* refused: csv as it was */
	free(raw);
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

/* -EBADMSG when the n typed bytes at p are not the rows id names. */
static int id_check(const uint8_t *p, size_t n, const uint8_t id[16])
{
	struct chunk_id got;
	chunk_id_of(&got, p, n);
	return memcmp(got.b, id, 16) ? -EBADMSG : 0;
}

/*
 * SFC3: each segment's typed chunk from its side stream and CSV (side and
 * csv: all of them, in order), checked against its id and its length,
 * appended to typed with the shape header only once: all are the same.
 */
static int typed_segments(const struct framed_toc *t, const uint8_t *side, const uint8_t *csv,
			  struct buf *typed)
{
	size_t start = typed->len, hlen = 0;

	for (uint32_t i = 0; i < t->nsegs; i++) {
		const struct framed3_seg *g = &t->segs[i];
		struct chunk_shape shape;
		size_t at = typed->len;
		struct rd r;
		int rc = framed_typed(side, g->side_ulen, csv + t->coff[t->sfirst[i]], g->csv_len,
				      typed);
		side += g->side_ulen;
		if (!rc)
			rc = id_check(typed->data + at, typed->len - at, g->id);
		if (rc)
			return rc;
		if (typed->len - at != g->typed_len)
			return -EUCLEAN;
		/* framed_typed read this header: it decodes */
		rd_init(&r, typed->data + at, typed->len - at);
		chunk_shape_decode(&r, &shape);
		size_t h = (size_t)(r.p - (typed->data + at));
		if (i == 0) {
			hlen = h;
			continue;
		}
		if (h != hlen || memcmp(typed->data + at, typed->data + start, h))
			return -EUCLEAN;
		memmove(typed->data + at, typed->data + at + h, typed->len - at - h);
		typed->len -= h;
		typed->data[typed->len] = 0;
	}
	return 0;
}

int framed_body_typed(const uint8_t *body, size_t clen, const struct pack_entry *e,
		      ZSTD_DCtx *dctx, struct buf *typed, struct buf *csv, bool count_rows)
{
	struct buf own = BUF_INIT, side = BUF_INIT, *c = csv ? csv : &own;
	size_t start = typed->len, cstart = c->len;
	struct framed_toc t;
	int rc = body_check(body, clen, e, dctx, c, &side, count_rows, &t);

	if (!rc) {
		/*
		 * Room for its recorded size, so that it does not copy itself while
		 * it grows; but no more than what it is made from could need: a
		 * lying ulen (up to 2^31) must not make a read allocate gigabytes.
		 */
		uint64_t want = e->ulen, most = e->csv_len + side.len + 64;
		buf_grow(typed, (size_t)(want < most ? want : most));
		if (t.version == 2) {
			rc = framed_typed(side.data, side.len, c->data + cstart, e->csv_len, typed);
			if (!rc)
				rc = id_check(typed->data + start, typed->len - start, e->id.b);
		} else {
			/* the segment ids make the chunk id: framed_parse checked that */
			rc = typed_segments(&t, side.data, c->data + cstart, typed);
		}
		framed_toc_free(&t);
		if (rc) {
			typed->len = start;
			typed->data[start] = 0;
			c->len = cstart; /* nothing of a refused body is handed out */
		}
	}
	buf_release(&own);
	buf_release(&side);
	return rc;
}

int chunk_check(struct store_file *f, const struct pack_entry *e, ZSTD_DCtx *dctx)
{
	struct buf typed = BUF_INIT;
	uint8_t *raw;
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
		struct buf csv = BUF_INIT;
		rc = v1_read_csv(f, e, dctx, &csv);
		buf_release(&csv);
		return rc;
	}
	rc = framed_read_body(f, e, &raw);
	if (!rc)
		rc = framed_body_typed(raw, e->clen, e, dctx, &typed, NULL, true);
	if (!rc && typed.len != e->ulen)
		rc = -EUCLEAN;
	free(raw);
	buf_release(&typed);
	return rc;
}
