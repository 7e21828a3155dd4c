/*
 * Fuzz framed chunk bodies (lib/frames.c: SFC2 and SFC3).
 *
 * Byte 0 selects the mode; bit 3 selects SFC3 in the first two.
 *
 * Even: a body as a pack entry would describe it.  Bytes 1..12 are the
 * entry's csv_len, nrows and ulen (u32 LE each; inputs with csv_len or ulen
 * above 1 MiB are skipped, so every allocation stays far below the 4 MiB
 * malloc limit), the rest is the body (clen = its length).  The entry's id
 * is the one the body's header names, so the id check is passed, unless
 * bit 1 of byte 0 is set.  framed_parse (the whole body and prefixes) and
 * framed_check never crash or leak and return only what they document;
 * when framed_check accepts a body, everything it says agrees: the CSV is
 * csv_len bytes and equals the frames decoded one by one, the side stream
 * is well formed with nrows rows, the xxh3 matches.
 *
 * framed_typed on the side stream and CSV of an accepted body returns 0
 * or -EUCLEAN (and what "typed" below says), and framed_body_typed what
 * "body typed" below says.
 *
 * Even with bit 3 set: the same for an SFC3 body: its magic is made
 * "SFC3", and when its header and tables are in the input, the tables'
 * xxh3-64 and the chunk id (framed3_chunk_id of the table's segment ids,
 * the entry's too) are computed, so that the fuzzer reaches what lies
 * behind them.  An accepted body satisfies what its table says (offsets,
 * frames, each segment's side stream has its rows).
 *
 * Odd: a round trip.  Bytes 1..4 are a position, byte 5 a mask, byte 6 a
 * lie; the rest is a typed chunk.  When render_csv_chunk accepts it,
 * framed_build (frame size 4096) must succeed and framed_check must return
 * exactly render_csv_chunk's CSV and render_csv_chunk_side's side stream;
 * the body with the byte at position % clen xored with the mask is refused
 * or gives that same CSV; an entry that lies about csv_len, nrows, clen or
 * the id (byte 6) is refused.  framed_typed gives the typed chunk back from
 * its side stream and CSV: byte for byte when value_encode could have
 * written it (shortest varints, no NaN but strtod's), else that canonical
 * form; each of the two cut at position % its length is refused, and with
 * the byte there xored with the mask it is refused or read as typed says.
 *
 * Odd with bit 3 set: an SFC3 round trip.  Bytes 1..6 as in the odd
 * mode, byte 7 a count k (modulo 32), then k bytes: segment i has
 * 1 + (byte i modulo k) % 16 rows (k = 0: one segment; at most 64
 * segments, the last takes the rows left); the rest is a typed chunk.
 * When it renders and has rows, each segment (its shape header and rows)
 * is rendered and framed3_compress_seg'ed and the body framed3_assemble'd:
 * it parses and checks exactly (the CSV is the chunk's, the side stream
 * the segments' in order), assembling again gives the same bytes, and
 * framed_body_typed gives back the chunk byte for byte, or -EBADMSG when
 * value_encode could not have written it (framed_typed's canonical form
 * then differs from a segment's bytes, which its id names).  The body
 * with the byte at position % clen xored with the mask, then also with
 * the tables' checksum made right again, is refused or read as the same
 * CSV and typed rows; an entry that lies (byte 6) is refused.
 *
 * Even with bit 2 of byte 0 set: framed_typed on raw input.  Bytes 1..4
 * give the side stream's length (modulo what is left + 1), the side stream
 * follows, the rest is the CSV.
 *
 * typed: framed_typed returns 0 or -EUCLEAN, leaves its output as it was
 * when it refuses, appends at most 4 x (side + CSV) bytes when it accepts,
 * and accepts only the renderer's own output: rendering what it returned
 * gives the side stream and the CSV back exactly.
 *
 * body typed: framed_body_typed returns 0, -EUCLEAN or -EBADMSG, leaves
 * typed and csv as they were when it refuses, and accepts only a body
 * framed_check accepts, giving its CSV and typed rows that render to that
 * CSV with e->nrows rows, whose id is the entry's (SFC2) or, cut into the
 * table's segments, whose segments' ids are the table's (SFC3).
 */
#include "fuzz.h"
#include "strata/frames.h"
#include "strata/render.h"
#include "strata/rowcodec.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <xxhash.h>

#define LIMIT (1u << 20)
#define FS 4096u

static ZSTD_CCtx *cctx;
static ZSTD_DCtx *dctx;

static void setup(void)
{
	if (cctx)
		return;
	cctx = ZSTD_createCCtx();
	dctx = ZSTD_createDCtx();
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
}

/* Rows of a side stream, or -1 when it is not one (independent of frames.c). */
static int64_t side_rows(const uint8_t *p, size_t n)
{
	struct chunk_shape s;
	struct value v;
	struct rd r;
	int64_t rows = 0;

	rd_init(&r, p, n);
	if (chunk_shape_decode(&r, &s))
		return -1;
	while (rd_left(&r)) {
		const uint8_t *tags;
		for (unsigned i = 0; i < s.nhidden; i++)
			if (value_decode(&r, &v))
				return -1;
		if (rd_raw(&r, s.ncols, &tags))
			return -1;
		for (unsigned i = 0; i < s.ncols; i++)
			if (tags[i] > VAL_BLOB)
				return -1;
		rows++;
	}
	return rows;
}

/*
 * framed_typed on private copies (ASan sees any read past either input),
 * appending to out after what it holds, and what any answer must satisfy
 * (see "typed" above).
 */
static int typed(const uint8_t *side, size_t sn, const uint8_t *csv, size_t cn, struct buf *out)
{
	struct buf c2 = BUF_INIT, s2 = BUF_INIT;
	uint8_t *sp = malloc(sn ? sn : 1), *cp = malloc(cn ? cn : 1);
	size_t start = out->len;
	uint64_t nr;

	if (sn)
		memcpy(sp, side, sn);
	if (cn)
		memcpy(cp, csv, cn);
	int rc = framed_typed(sp, sn, cp, cn, out);
	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN);
	if (rc) {
		FUZZ_ASSERT(out->len == start);
	} else {
		size_t n = out->len - start;
		FUZZ_ASSERT(n <= 4 * (sn + cn));
		FUZZ_ASSERT(render_csv_chunk_side(out->data + start, n, &c2, &s2, &nr) == 0);
		FUZZ_ASSERT(c2.len == cn && (!cn || !memcmp(c2.data, csv, cn)));
		FUZZ_ASSERT(s2.len == sn && (!sn || !memcmp(s2.data, side, sn)));
	}
	free(sp);
	free(cp);
	buf_release(&c2);
	buf_release(&s2);
	return rc;
}

/*
 * What framed_typed must rebuild from the rendering of a valid typed chunk
 * (independent of frames.c): the header and any hidden value but an
 * INTEGER as they are, every other value as value_encode writes it, with
 * the NaN strtod reads from "NaN", which the renderer writes for any NaN.
 */
static void canonical(const uint8_t *p, size_t n, struct buf *out)
{
	struct chunk_shape s;
	struct value v;
	struct rd r;

	rd_init(&r, p, n);
	FUZZ_ASSERT(chunk_shape_decode(&r, &s) == 0);
	buf_add(out, p, (size_t)(r.p - p));
	while (rd_left(&r)) {
		for (unsigned i = 0; i < s.nhidden + s.ncols; i++) {
			const uint8_t *h = r.p;
			FUZZ_ASSERT(value_decode(&r, &v) == 0);
			if (i < s.nhidden && v.type != VAL_INT) {
				buf_add(out, h, (size_t)(r.p - h));
				continue;
			}
			if (v.type == VAL_REAL && isnan(v.r))
				v.r = strtod("NaN", NULL);
			value_encode(out, &v);
		}
	}
}

/* The inverse of a valid chunk's rendering, then the rendering cut and flipped. */
static void typed_round_trip(const uint8_t *chunk, size_t n, const struct buf *csv,
			     const struct buf *side, uint32_t pos, uint8_t mask)
{
	struct buf back = BUF_INIT, want = BUF_INIT, x = BUF_INIT;

	buf_addc(&back, 'k');
	FUZZ_ASSERT(typed(side->data, side->len, csv->data, csv->len, &back) == 0);
	canonical(chunk, n, &want);
	FUZZ_ASSERT(back.len == 1 + want.len && !memcmp(back.data + 1, want.data, want.len));
	FUZZ_ASSERT(want.len <= n);
	if (csv->len)
		FUZZ_ASSERT(typed(side->data, side->len, csv->data, pos % csv->len, &back) ==
			    -EUCLEAN);
	FUZZ_ASSERT(typed(side->data, pos % side->len, csv->data, csv->len, &back) == -EUCLEAN);
	if (mask) {
		for (int which = 0; which < 2; which++) {
			const struct buf *b = which ? side : csv;
			if (!b->len)
				continue;
			buf_reset(&x);
			buf_add(&x, b->data, b->len);
			x.data[pos % x.len] ^= mask;
			if (which)
				typed(x.data, x.len, csv->data, csv->len, &back);
			else
				typed(side->data, side->len, x.data, x.len, &back);
		}
	}
	buf_release(&back);
	buf_release(&want);
	buf_release(&x);
}

static bool ok_rc(int rc)
{
	return rc == 0 || rc == -EUCLEAN || rc == -EBADMSG;
}

/* The offsets of a valid typed chunk's rows, *n + 1 of them (the first: the header's length). */
static size_t *rows_at(const uint8_t *p, size_t len, size_t *n)
{
	struct chunk_shape s;
	struct value v;
	struct rd r;
	size_t cap = 64, k = 0, *at = malloc(cap * sizeof(*at));

	rd_init(&r, p, len);
	FUZZ_ASSERT(chunk_shape_decode(&r, &s) == 0);
	for (;;) {
		if (k == cap) {
			cap *= 2;
			at = realloc(at, cap * sizeof(*at));
		}
		at[k++] = (size_t)(r.p - p);
		if (!rd_left(&r))
			break;
		for (unsigned i = 0; i < s.nhidden + s.ncols; i++)
			FUZZ_ASSERT(value_decode(&r, &v) == 0);
	}
	*n = k - 1;
	return at;
}

/*
 * What an SFC3 body's writer computes over its tables, when the header
 * and tables are in the n bytes at b: the tables' xxh3-64, and with_id
 * the chunk id from the segment ids (the entry's then: *id).
 */
static void seal3(uint8_t *b, size_t n, bool with_id, struct chunk_id *id)
{
	if (n < FRAMED_HEADER)
		return;
	uint32_t nsegs = get_u32le(b + 4), nframes = get_u32le(b + 8);
	uint64_t hlen = FRAMED_HEADER + 48 * (uint64_t)nsegs + 4 * (uint64_t)nframes;
	if (hlen > n)
		return;
	if (with_id) {
		struct framed3_seg *s = calloc(nsegs ? nsegs : 1, sizeof(*s));
		for (uint32_t i = 0; i < nsegs; i++)
			memcpy(s[i].id, b + FRAMED_HEADER + 48 * (size_t)i + 32, 16);
		framed3_chunk_id(s, nsegs, id);
		memcpy(b + 32, id->b, 16);
		free(s);
	}
	put_u64le(b + 16, XXH3_64bits(b + FRAMED_HEADER, (size_t)(hlen - FRAMED_HEADER)));
}

/* Everything a parsed table says, in both formats, also in a copy made by framed_toc_rebase. */
static void toc_ok(const struct framed_toc *t, const struct pack_entry *e)
{
	uint32_t most = t->version == 2 ? t->frame_size : FRAMED3_FRAME;

	FUZZ_ASSERT(t->foff && t->foff[t->nframes] == e->clen);
	FUZZ_ASSERT(t->coff[0] == 0 && t->coff[t->nframes] == e->csv_len);
	for (uint32_t k = 0; k < t->nframes; k++) {
		size_t len = framed_frame_len(t, e, k);
		FUZZ_ASSERT(t->foff[k] < t->foff[k + 1] && len > 0 && len <= most);
		FUZZ_ASSERT(framed_frame_at(t, t->coff[k]) == k);
		FUZZ_ASSERT(framed_frame_at(t, t->coff[k + 1] - 1) == k);
	}
	if (t->version == 2) {
		FUZZ_ASSERT(t->nsegs == 0 && !t->segs && !t->soff && !t->sfirst);
		FUZZ_ASSERT(t->nframes == (e->csv_len + t->frame_size - 1) / t->frame_size);
		FUZZ_ASSERT(t->side_off == FRAMED_HEADER + 4 * (uint64_t)t->nframes);
		FUZZ_ASSERT(t->side_off + t->side_clen == t->foff[0]);
	} else {
		FUZZ_ASSERT(t->version == 3 && t->frame_size == 0 && t->nsegs > 0);
		FUZZ_ASSERT(t->soff[0] == FRAMED_HEADER + FRAMED3_SEG_BYTES * (uint64_t)t->nsegs +
						  4 * (uint64_t)t->nframes);
		FUZZ_ASSERT(t->soff[t->nsegs] == t->foff[0]);
		FUZZ_ASSERT(t->sfirst[0] == 0 && t->sfirst[t->nsegs] == t->nframes);
		for (uint32_t i = 0; i < t->nsegs; i++) {
			const struct framed3_seg *g = &t->segs[i];
			uint32_t a = t->sfirst[i], b = t->sfirst[i + 1];
			FUZZ_ASSERT(a < b);
			FUZZ_ASSERT(b - a == (g->csv_len + FRAMED3_FRAME - 1) / FRAMED3_FRAME);
			FUZZ_ASSERT(t->coff[b] - t->coff[a] == g->csv_len);
			FUZZ_ASSERT(t->foff[b] - t->foff[a] == g->csv_clen);
			FUZZ_ASSERT(t->soff[i + 1] - t->soff[i] == g->side_clen && g->nrows > 0);
		}
	}
	/* the struct and its block copied, as a reader caches them */
	size_t bytes = framed_toc_bytes(t);
	uint8_t *copy = malloc(sizeof(*t) + bytes);
	memcpy(copy, t, sizeof(*t));
	memcpy(copy + sizeof(*t), t->foff, bytes);
	struct framed_toc *c = (struct framed_toc *)(void *)copy;
	framed_toc_rebase(c, copy + sizeof(*t));
	FUZZ_ASSERT((uint8_t *)c->foff == copy + sizeof(*t));
	FUZZ_ASSERT(!memcmp(c->foff, t->foff, (t->nframes + 1) * sizeof(uint64_t)));
	FUZZ_ASSERT(!memcmp(c->coff, t->coff, (t->nframes + 1) * sizeof(uint64_t)));
	if (t->nsegs) {
		FUZZ_ASSERT(!memcmp(c->segs, t->segs, t->nsegs * sizeof(*t->segs)));
		FUZZ_ASSERT(!memcmp(c->soff, t->soff, (t->nsegs + 1) * sizeof(uint64_t)));
		FUZZ_ASSERT(!memcmp(c->sfirst, t->sfirst, (t->nsegs + 1) * sizeof(uint32_t)));
	}
	free(copy);
}

/* framed_check, and what an accepted body must satisfy. */
static int check(const uint8_t *body, size_t clen, const struct pack_entry *e, struct buf *csv,
		 struct buf *side)
{
	struct framed_toc t;
	size_t need;

	buf_reset(csv);
	buf_reset(side);
	int rc = framed_check(body, clen, e, dctx, csv, side);
	FUZZ_ASSERT(ok_rc(rc));
	if (rc)
		return rc;
	FUZZ_ASSERT(csv->len == e->csv_len);
	FUZZ_ASSERT(framed_parse(body, clen, e, &t, &need) == 0);
	toc_ok(&t, e);
	if (t.version == 2) {
		FUZZ_ASSERT(side_rows(side->data, side->len) == (int64_t)e->nrows);
		FUZZ_ASSERT(t.side_ulen == side->len);
		XXH3_state_t *st = XXH3_createState();
		XXH3_64bits_reset(st);
		XXH3_64bits_update(st, side->data, side->len);
		XXH3_64bits_update(st, csv->data, csv->len);
		FUZZ_ASSERT(XXH3_64bits_digest(st) == t.sum);
		XXH3_freeState(st);
	} else {
		/* each segment's side stream, with its rows; the tables' checksum */
		size_t at = 0;
		for (uint32_t i = 0; i < t.nsegs; i++) {
			FUZZ_ASSERT(at + t.segs[i].side_ulen <= side->len);
			FUZZ_ASSERT(side_rows(side->data + at, t.segs[i].side_ulen) ==
				    (int64_t)t.segs[i].nrows);
			at += t.segs[i].side_ulen;
		}
		FUZZ_ASSERT(at == side->len);
		size_t tables = (size_t)(t.soff[0] - FRAMED_HEADER);
		FUZZ_ASSERT(XXH3_64bits(body + FRAMED_HEADER, tables) == t.sum);
	}
	/* each frame on its own: its slice of the CSV */
	uint8_t *u = malloc(t.version == 2 ? t.frame_size : FRAMED3_FRAME);
	for (uint32_t k = 0; k < t.nframes; k++) {
		size_t len = framed_frame_len(&t, e, k);
		size_t cl = (size_t)(t.foff[k + 1] - t.foff[k]);
		FUZZ_ASSERT(framed_decode(body + t.foff[k], cl, len, dctx, u) == 0);
		FUZZ_ASSERT(!memcmp(u, csv->data + t.coff[k], len));
	}
	free(u);
	framed_toc_free(&t);
	return 0;
}

/* framed_body_typed appending to typed, and what any answer must satisfy ("body typed" above). */
static int body_typed(const uint8_t *body, size_t clen, const struct pack_entry *e,
		      struct buf *typed)
{
	struct buf csv = BUF_INIT, want = BUF_INIT, r = BUF_INIT, seg = BUF_INIT;
	size_t start = typed->len;
	struct framed_toc t;
	struct chunk_id id;
	uint64_t nr;
	size_t need;

	buf_adds(&csv, "kept");
	int rc = framed_body_typed(body, clen, e, dctx, typed, &csv, true);
	FUZZ_ASSERT(ok_rc(rc));
	if (rc) {
		FUZZ_ASSERT(typed->len == start && csv.len == 4);
		goto out;
	}
	FUZZ_ASSERT(framed_check(body, clen, e, dctx, &want, NULL) == 0);
	FUZZ_ASSERT(csv.len == 4 + want.len && !memcmp(csv.data + 4, want.data, want.len));
	const uint8_t *p = typed->data + start;
	size_t n = typed->len - start;
	FUZZ_ASSERT(render_csv_chunk(p, n, &r, &nr) == 0 && nr == e->nrows);
	FUZZ_ASSERT(r.len == want.len && (!r.len || !memcmp(r.data, want.data, r.len)));
	FUZZ_ASSERT(framed_parse(body, clen, e, &t, &need) == 0);
	if (t.version == 2) {
		chunk_id_of(&id, p, n);
		FUZZ_ASSERT(!memcmp(id.b, e->id.b, 16));
	} else {
		/* cut where the table says: each segment is the rows its id names */
		size_t rows, r0 = 0, *at = rows_at(p, n, &rows);
		FUZZ_ASSERT(rows == e->nrows);
		for (uint32_t i = 0; i < t.nsegs; i++) {
			size_t r1 = r0 + t.segs[i].nrows;
			buf_reset(&seg);
			buf_add(&seg, p, at[0]);
			buf_add(&seg, p + at[r0], at[r1] - at[r0]);
			chunk_id_of(&id, seg.data, seg.len);
			FUZZ_ASSERT(!memcmp(id.b, t.segs[i].id, 16));
			FUZZ_ASSERT(seg.len == t.segs[i].typed_len);
			r0 = r1;
		}
		free(at);
	}
	framed_toc_free(&t);
out:
	buf_release(&csv);
	buf_release(&want);
	buf_release(&r);
	buf_release(&seg);
	return rc;
}

static void parse_only(const uint8_t *body, size_t n, const struct pack_entry *e)
{
	struct framed_toc t;
	size_t need = 0;
	int rc = framed_parse(body, n, e, &t, &need);

	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN || rc == -EBADMSG || rc == -EAGAIN);
	if (rc == -EAGAIN) {
		FUZZ_ASSERT(need > n && t.foff == NULL);
		/* past the fixed header, what is asked for is in the body */
		FUZZ_ASSERT(n < FRAMED_HEADER || need <= e->clen);
	} else if (rc == 0) {
		FUZZ_ASSERT(n >= need);
		toc_ok(&t, e);
	} else {
		FUZZ_ASSERT(t.foff == NULL);
	}
	framed_toc_free(&t);
}

static void body_mode(const uint8_t *data, size_t size, bool other_id, bool sfc3)
{
	struct pack_entry e;
	struct buf csv = BUF_INIT, side = BUF_INIT;

	if (size < 12)
		return;
	memset(&e, 0, sizeof(e));
	e.csv_len = get_u32le(data);
	e.nrows = get_u32le(data + 4);
	e.ulen = get_u32le(data + 8);
	if (e.csv_len > LIMIT || e.ulen > LIMIT)
		return;
	data += 12;
	size -= 12;
	e.clen = (uint32_t)size;
	e.offset = 4096;

	/* a private copy: ASan sees any read past the body */
	uint8_t *body = malloc(size ? size : 1);
	memcpy(body, data, size);
	if (sfc3 && size >= 4) {
		memcpy(body, FRAMED3_MAGIC, 4);
		seal3(body, size, true, &e.id);
	}
	if (size >= FRAMED_HEADER)
		memcpy(e.id.b, body + 32, 16);
	if (other_id)
		e.id.b[15] ^= 1;
	parse_only(body, size, &e);
	parse_only(body, size < FRAMED_HEADER ? size : FRAMED_HEADER, &e);
	if (size > FRAMED_HEADER)
		parse_only(body, size - 1, &e);
	int rc = check(body, size, &e, &csv, &side);
	if (other_id && size >= FRAMED_HEADER)
		FUZZ_ASSERT(rc != 0);
	/* the typed rows of an accepted body: framed_typed appends at most 4 x (side + CSV)
	 * bytes, so with at most 256 KiB of those its buffer stays below the 4 MiB malloc
	 * limit (CSV up to 1 MiB is checked above, but not turned into rows) */
	if (rc == 0 && side.len + csv.len <= (256u << 10)) {
		struct buf t = BUF_INIT;
		typed(side.data, side.len, csv.data, csv.len, &t);
		buf_reset(&t);
		body_typed(body, size, &e, &t);
		buf_release(&t);
	}
	/* the same without the buffers */
	FUZZ_ASSERT(framed_check(body, size, &e, dctx, NULL, NULL) == rc);
	/* an entry that does not match the bytes given */
	if (size)
		FUZZ_ASSERT(framed_check(body, size - 1, &e, dctx, NULL, NULL) == -EUCLEAN);
	free(body);
	buf_release(&csv);
	buf_release(&side);
}

/* An entry that lies (kind lie % 8, by pos) about a body of either format: refused. */
static void lies(const struct buf *body, const struct pack_entry *e, uint8_t lie, uint32_t pos)
{
	struct pack_entry x = *e;
	uint64_t d = 1 + pos % 9000;
	size_t n = body->len;

	switch (lie % 8) {
	case 1:
		x.csv_len += d;
		break;
	case 2:
		/* (d > csv_len would wrap: see unit-frames, framed_parse's known bug) */
		x.csv_len -= d <= x.csv_len ? d : 0;
		break;
	case 3:
		x.nrows += d;
		break;
	case 4:
		x.nrows -= d <= x.nrows ? d : 0;
		break;
	case 5:
		x.id.b[pos % 16] ^= (uint8_t)(1u << (pos % 8));
		break;
	case 6:
		x.clen -= (uint32_t)(d < n ? d : n);
		n = x.clen;
		break;
	case 7:
		x.clen += 1;
		break;
	}
	if (memcmp(&x, e, sizeof(x)))
		FUZZ_ASSERT(framed_check(body->data, n, &x, dctx, NULL, NULL) == -EUCLEAN);
}

static void round_trip(const uint8_t *data, size_t size)
{
	struct buf ref = BUF_INIT, rside = BUF_INIT, csv = BUF_INIT, side = BUF_INIT;
	struct buf body = BUF_INIT;
	uint64_t nrows = 0, rn = 0, csv_len = 0;

	if (size < 6)
		return;
	uint32_t pos = get_u32le(data);
	uint8_t mask = data[4], lie = data[5];
	data += 6;
	size -= 6;

	int rc = render_csv_chunk_side(data, size, &ref, &rside, &rn);
	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN);
	int brc = framed_build(data, size, FS, cctx, &csv, &side, &body, &csv_len, &nrows);
	FUZZ_ASSERT(brc == rc);
	if (rc)
		goto out;
	FUZZ_ASSERT(csv_len == ref.len && nrows == rn);
	FUZZ_ASSERT(side.len == rside.len && !memcmp(side.data, rside.data, side.len));
	typed_round_trip(data, size, &ref, &rside, pos, mask);
	{
		/* render_csv_chunk itself: the same CSV */
		struct buf plain = BUF_INIT;
		uint64_t pn;
		FUZZ_ASSERT(render_csv_chunk(data, size, &plain, &pn) == 0 && pn == rn);
		FUZZ_ASSERT(plain.len == ref.len &&
			    (!ref.len || !memcmp(plain.data, ref.data, ref.len)));
		buf_release(&plain);
	}

	struct pack_entry e;
	memset(&e, 0, sizeof(e));
	chunk_id_of(&e.id, data, size);
	e.clen = (uint32_t)body.len;
	e.ulen = (uint32_t)size;
	e.nrows = nrows;
	e.csv_len = csv_len;
	FUZZ_ASSERT(framed_is(body.data, body.len));
	rc = check(body.data, body.len, &e, &csv, &side);
	FUZZ_ASSERT(rc == 0);
	FUZZ_ASSERT(csv.len == ref.len && (!ref.len || !memcmp(csv.data, ref.data, ref.len)));
	FUZZ_ASSERT(side.len == rside.len && !memcmp(side.data, rside.data, side.len));

	/* one flipped byte: refused, or the same CSV */
	if (mask) {
		uint8_t *c = malloc(body.len);
		memcpy(c, body.data, body.len);
		c[pos % body.len] ^= mask;
		rc = check(c, body.len, &e, &csv, &side);
		FUZZ_ASSERT(rc != 0 || (csv.len == ref.len &&
					(!ref.len || !memcmp(csv.data, ref.data, ref.len))));
		free(c);
	}
	lies(&body, &e, lie, pos);
out:
	buf_release(&ref);
	buf_release(&rside);
	buf_release(&csv);
	buf_release(&side);
	buf_release(&body);
}

/* The SFC3 round trip (see the top). */
static void round_trip3(const uint8_t *data, size_t size)
{
	struct buf whole = BUF_INIT, wside = BUF_INIT, seg = BUF_INIT, csv = BUF_INIT;
	struct buf side = BUF_INIT, sides = BUF_INIT, side_z = BUF_INIT, csv_z = BUF_INIT;
	struct buf clens = BUF_INIT, body = BUF_INIT, again = BUF_INIT, typed = BUF_INIT;
	struct buf canon = BUF_INIT;
	struct framed3_seg segs[64];
	struct framed3_part parts[64];
	size_t zo[64], co[64], lo[64], nrows = 0, *at = NULL;
	struct pack_entry e;
	struct chunk_id id;
	uint64_t rn, nr;
	uint32_t n = 0;

	if (size < 7)
		return;
	uint32_t pos = get_u32le(data);
	uint8_t mask = data[4], lie = data[5];
	size_t k = data[6] % 32;
	if (size - 7 < k)
		return;
	const uint8_t *cnt = data + 7;
	data += 7 + k;
	size -= 7 + k;

	int rc = render_csv_chunk_side(data, size, &whole, &wside, &rn);
	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN);
	if (rc)
		goto out;
	if (rn == 0) {
		/* no rows, no segment: its empty CSV is refused */
		FUZZ_ASSERT(framed3_compress_seg(&whole, &wside, cctx, &side_z, &csv_z, &clens,
						 &segs[0]) == -EUCLEAN);
		FUZZ_ASSERT(side_z.len == 0 && csv_z.len == 0 && clens.len == 0);
		goto out;
	}
	at = rows_at(data, size, &nrows);
	FUZZ_ASSERT(nrows == rn);
	for (size_t r0 = 0, r1; r0 < nrows; r0 = r1, n++) {
		r1 = k == 0 || n == 63 ? nrows : r0 + 1 + cnt[n % k] % 16;
		if (r1 > nrows)
			r1 = nrows;
		buf_reset(&seg);
		buf_add(&seg, data, at[0]);
		buf_add(&seg, data + at[r0], at[r1] - at[r0]);
		FUZZ_ASSERT(framed_render(seg.data, seg.len, &csv, &side, &nr) == 0);
		FUZZ_ASSERT(nr == r1 - r0);
		zo[n] = side_z.len;
		co[n] = csv_z.len;
		lo[n] = clens.len;
		FUZZ_ASSERT(framed3_compress_seg(&csv, &side, cctx, &side_z, &csv_z, &clens,
						 &segs[n]) == 0);
		segs[n].nrows = (uint32_t)nr;
		segs[n].typed_len = (uint32_t)seg.len;
		chunk_id_of(&id, seg.data, seg.len);
		memcpy(segs[n].id, id.b, 16);
		buf_add(&sides, side.data, side.len);
	}
	for (uint32_t i = 0; i < n; i++) {
		parts[i].s = segs[i];
		parts[i].side_z = side_z.data + zo[i];
		parts[i].csv_z = csv_z.data + co[i];
		parts[i].clens = (const uint32_t *)(const void *)(clens.data + lo[i]);
	}
	memset(&e, 0, sizeof(e));
	framed3_chunk_id(segs, n, &e.id);
	FUZZ_ASSERT(framed3_assemble(parts, n, &e.id, &body) == 0);
	FUZZ_ASSERT(framed3_assemble(parts, n, &e.id, &again) == 0);
	FUZZ_ASSERT(again.len == body.len && !memcmp(again.data, body.data, body.len));
	e.clen = (uint32_t)body.len;
	e.ulen = (uint32_t)size;
	e.nrows = rn;
	e.csv_len = whole.len;

	/* exactly: the chunk's CSV, the segments' side streams */
	FUZZ_ASSERT(check(body.data, body.len, &e, &csv, &side) == 0);
	FUZZ_ASSERT(csv.len == whole.len && !memcmp(csv.data, whole.data, csv.len));
	FUZZ_ASSERT(side.len == sides.len && !memcmp(side.data, sides.data, side.len));
	canonical(data, size, &canon);
	bool exact = canon.len == size && !memcmp(canon.data, data, size);
	rc = body_typed(body.data, body.len, &e, &typed);
	FUZZ_ASSERT(exact ? rc == 0 : rc == -EBADMSG);
	FUZZ_ASSERT(!exact || (typed.len == size && !memcmp(typed.data, data, size)));

	/* a byte flipped; then the tables' checksum made right; then the chunk id too */
	for (int pass = 0; mask && pass < 3; pass++) {
		struct pack_entry x = e;
		memcpy(again.data, body.data, body.len);
		again.data[pos % body.len] ^= mask;
		if (pass)
			seal3(again.data, again.len, pass == 2, &x.id);
		if (check(again.data, again.len, &x, &csv, &side))
			continue;
		FUZZ_ASSERT(csv.len == whole.len && !memcmp(csv.data, whole.data, csv.len));
		buf_reset(&typed);
		if (body_typed(again.data, again.len, &x, &typed) == 0)
			FUZZ_ASSERT(exact && typed.len == size && !memcmp(typed.data, data, size));
	}
	lies(&body, &e, lie, pos);
out:
	free(at);
	buf_release(&whole);
	buf_release(&wside);
	buf_release(&seg);
	buf_release(&csv);
	buf_release(&side);
	buf_release(&sides);
	buf_release(&side_z);
	buf_release(&csv_z);
	buf_release(&clens);
	buf_release(&body);
	buf_release(&again);
	buf_release(&typed);
	buf_release(&canon);
}

/* framed_typed on raw input: a side stream of the length bytes 0..3 say, then the CSV */
static void raw_typed(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;

	if (size < 4)
		return;
	size_t sn = get_u32le(data) % (size - 4 + 1);
	data += 4;
	size -= 4;
	buf_adds(&out, "keep");
	typed(data, sn, data + sn, size - sn, &out);
	FUZZ_ASSERT(!memcmp(out.data, "keep", 4));
	buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	setup();
	if ((data[0] & 9) == 9)
		round_trip3(data + 1, size - 1);
	else if (data[0] & 1)
		round_trip(data + 1, size - 1);
	else if (data[0] & 4)
		raw_typed(data + 1, size - 1);
	else
		body_mode(data + 1, size - 1, (data[0] & 2) != 0, (data[0] & 8) != 0);
	return 0;
}
