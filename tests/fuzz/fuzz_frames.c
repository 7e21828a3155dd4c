/*
 * Fuzz framed chunk bodies (lib/frames.c, chunk format 2).
 *
 * Byte 0 selects the mode.
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
 * or -EUCLEAN (and what "typed" below says).
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
 * Even with bit 2 of byte 0 set: framed_typed on raw input.  Bytes 1..4
 * give the side stream's length (modulo what is left + 1), the side stream
 * follows, the rest is the CSV.
 *
 * typed: framed_typed returns 0 or -EUCLEAN, leaves its output as it was
 * when it refuses, appends at most 4 x (side + CSV) bytes when it accepts,
 * and accepts only the renderer's own output: rendering what it returned
 * gives the side stream and the CSV back exactly.
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
	FUZZ_ASSERT(side_rows(side->data, side->len) == (int64_t)e->nrows);
	FUZZ_ASSERT(framed_parse(body, clen, e, &t, &need) == 0);
	FUZZ_ASSERT(t.nframes == (e->csv_len + t.frame_size - 1) / t.frame_size);
	FUZZ_ASSERT(t.side_off == FRAMED_HEADER + 4 * (uint64_t)t.nframes);
	FUZZ_ASSERT(t.side_ulen == side->len && t.foff[t.nframes] == clen);
	XXH3_state_t *st = XXH3_createState();
	XXH3_64bits_reset(st);
	XXH3_64bits_update(st, side->data, side->len);
	XXH3_64bits_update(st, csv->data, csv->len);
	FUZZ_ASSERT(XXH3_64bits_digest(st) == t.sum);
	XXH3_freeState(st);
	/* each frame on its own: its slice of the CSV */
	uint8_t *u = malloc(t.frame_size);
	uint64_t at = 0;
	for (uint32_t k = 0; k < t.nframes; k++) {
		size_t len = framed_frame_len(&t, e, k);
		FUZZ_ASSERT(len > 0 && len <= t.frame_size && t.foff[k] < t.foff[k + 1]);
		size_t cl = (size_t)(t.foff[k + 1] - t.foff[k]);
		FUZZ_ASSERT(framed_decode(body + t.foff[k], cl, len, dctx, u) == 0);
		FUZZ_ASSERT(!memcmp(u, csv->data + at, len));
		at += len;
	}
	FUZZ_ASSERT(at == e->csv_len);
	free(u);
	framed_toc_free(&t);
	return 0;
}

static void parse_only(const uint8_t *body, size_t n, const struct pack_entry *e)
{
	struct framed_toc t;
	size_t need = 0;
	int rc = framed_parse(body, n, e, &t, &need);

	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN || rc == -EAGAIN);
	if (rc == -EAGAIN) {
		FUZZ_ASSERT(need > n && t.foff == NULL);
		/* past the fixed header, what is asked for is in the body */
		FUZZ_ASSERT(n < FRAMED_HEADER || need <= e->clen);
	} else if (rc == 0) {
		FUZZ_ASSERT(n >= need && t.foff && t.foff[t.nframes] == e->clen);
		uint64_t sum = 0;
		for (uint32_t k = 0; k < t.nframes; k++) {
			FUZZ_ASSERT(t.foff[k] < t.foff[k + 1]);
			sum += framed_frame_len(&t, e, k);
		}
		FUZZ_ASSERT(sum == e->csv_len);
		FUZZ_ASSERT(t.side_off + t.side_clen == (t.nframes ? t.foff[0] : e->clen));
	} else {
		FUZZ_ASSERT(t.foff == NULL);
	}
	framed_toc_free(&t);
}

static void body_mode(const uint8_t *data, size_t size, bool other_id)
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
	if (size >= FRAMED_HEADER)
		memcpy(e.id.b, data + 32, 16);
	if (other_id)
		e.id.b[15] ^= 1;

	/* a private copy: ASan sees any read past the body */
	uint8_t *body = malloc(size ? size : 1);
	memcpy(body, data, size);
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
	/* an entry that lies */
	struct pack_entry x = e;
	uint64_t d = 1 + pos % 9000;
	size_t n = body.len;
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
	if (memcmp(&x, &e, sizeof(x))) {
		rc = framed_check(body.data, n, &x, dctx, NULL, NULL);
		FUZZ_ASSERT(rc == -EUCLEAN);
	}
out:
	buf_release(&ref);
	buf_release(&rside);
	buf_release(&csv);
	buf_release(&side);
	buf_release(&body);
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
	if (data[0] & 1)
		round_trip(data + 1, size - 1);
	else if (data[0] & 4)
		raw_typed(data + 1, size - 1);
	else
		body_mode(data + 1, size - 1, (data[0] & 2) != 0);
	return 0;
}
