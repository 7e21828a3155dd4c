/*
 * Unit tests for lib/frames.c: framed chunk bodies (SFC2 and SFC3).
 *
 * For a range of typed chunks: framed_build agrees with render_csv_chunk
 * (size, rows, bytes), the body follows the layout documented in
 * strata/frames.h (an encoder written here from that comment produces the
 * same bytes), every frame decodes on its own to its slice of the CSV, the
 * side stream describes the typed rows exactly; chunk_read_csv serves
 * format 1 and format 2 chunks of a real pack alike; and damage (a flipped
 * byte anywhere, a lying pack entry, a frame without zstd's checksum, a
 * truncated header) is refused, never served as different CSV.
 *
 * SFC3 (sfc3() and the b3_ functions): bodies of typed chunks cut into
 * segments at rows (one segment, a row each, a segment of two CSV frames)
 * as backup makes them: the layout of the comment in frames.h, the table
 * framed_parse makes (offsets, framed_frame_at, a copy of its block),
 * every frame, the CSV, the merged typed chunk framed_body_typed gives
 * back, and damage: header and tables (also with their checksum made
 * right again), frames, lying entries, segments of two shapes, a forged
 * segment; chunk_check and frame reads through a real pack.
 */
#include "check.h"
#include "testutil.h"
#include "strata/frames.h"

#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <xxhash.h>

#define FS 4096u /* the frame size of these tests */

static ZSTD_CCtx *cctx; /* level 3, with zstd's content checksum */
static ZSTD_DCtx *dctx;

static struct value vnull(void) { struct value v = { .type = VAL_NULL }; return v; }
static struct value vint(int64_t i) { struct value v = { .type = VAL_INT, .i = i }; return v; }
static struct value vreal(double r) { struct value v = { .type = VAL_REAL, .r = r }; return v; }
static struct value vtext(const char *s)
{
	struct value v = { .type = VAL_TEXT, .p = (const uint8_t *)s, .n = strlen(s) };
	return v;
}
static struct value vtextn(const void *p, size_t n)
{
	struct value v = { .type = VAL_TEXT, .p = p, .n = n };
	return v;
}
static struct value vblob(const void *p, size_t n)
{
	struct value v = { .type = VAL_BLOB, .p = p, .n = n };
	return v;
}

/* One test chunk: its typed bytes, reference rendering, and framed body. */
struct tc {
	const char *name;
	struct buf typed;
	struct buf csv;  /* render_csv_chunk's output */
	uint64_t nrows;  /* render_csv_chunk's row count */
	struct buf body; /* framed_build's output */
	struct pack_entry e;
};

/* Rowid table (rowid; a, b, c, d, e): every value type and the awkward ones. */
static void chunk_rowid(struct buf *c, unsigned nrows)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 5, .nkey = 1 };
	static const char *texts[] = { "plain", "a,b", "say \"hi\"", "two\nlines", "cr\rhere",
				       "",      "\\.",  "\\.x",       "\xc3\xa9t\xc3\xa9", " x " };
	static const double reals[] = { 0.1, -0.0, 1e300, 2.5e-5, 1.0 / 3, 100.0, 5e-324 };
	static const int64_t ints[] = { INT64_MIN, INT64_MAX, 0, -1, 1, 1234567890123LL };
	uint8_t blob[40];
	chunk_shape_encode(c, &s);
	for (unsigned i = 0; i < nrows; i++) {
		for (size_t k = 0; k < sizeof(blob); k++)
			blob[k] = (uint8_t)(i * 31 + k * 7);
		struct value row[6] = {
			vint((int64_t)i * 3 - 100),
			i % 7 == 0 ? vnull() : vint(ints[i % 6]),
			i % 13 == 1 ? vnull() : vtext(texts[i % 10]),
			i % 4 == 2 ? vnull() : vreal(i % 9 == 8 ? INFINITY : reals[i % 7]),
			vblob(blob, i % 3 == 0 ? 0 : 1 + i % 40),
			i % 11 == 0 ? vtextn("nul\0inside", 10) : vint(i),
		};
		for (int k = 0; k < 6; k++)
			value_encode(c, &row[k]);
	}
}

/* A rowid table of one column; rowids (NULL where the entry is INT64_MIN + 1) in that order. */
static void chunk_rowids(struct buf *c, const int64_t *ids, size_t n)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 1, .nkey = 1 };
	chunk_shape_encode(c, &s);
	for (size_t i = 0; i < n; i++) {
		struct value row[2] = { ids[i] == INT64_MIN + 1 ? vnull() : vint(ids[i]),
					vint((int64_t)i) };
		value_encode(c, &row[0]);
		value_encode(c, &row[1]);
	}
}

/* WITHOUT ROWID (nhidden 0), composite key (b, a). */
static void chunk_without_rowid(struct buf *c, unsigned nrows)
{
	struct chunk_shape s = { .nhidden = 0, .ncols = 3, .nkey = 2 };
	char t[48];
	s.keypos[0] = 1;
	s.keypos[1] = 0;
	chunk_shape_encode(c, &s);
	for (unsigned i = 0; i < nrows; i++) {
		snprintf(t, sizeof(t), i % 2 ? "k%06u" : "k,%06u \"q\"", i);
		struct value row[3] = { vint(INT64_MAX - i), vtext(t),
					i % 3 ? vreal(i / 8.0) : vblob("\x00\xff", 2) };
		for (int k = 0; k < 3; k++)
			value_encode(c, &row[k]);
	}
}

/* One text column; rows of 'x' * (len - 1) + LF: a CSV of exactly total bytes. */
static void chunk_exact(struct buf *c, size_t total, size_t row)
{
	struct chunk_shape s = { .nhidden = 0, .ncols = 1, .nkey = 1 };
	char *t = xmalloc(row);
	memset(t, 'x', row);
	chunk_shape_encode(c, &s);
	while (total) {
		size_t n = total < row ? total : row;
		struct value v = vtextn(t, n - 1);
		value_encode(c, &v);
		total -= n;
	}
	free(t);
}

/* A rowid table of one row holding one blob of n pseudo-random bytes. */
static void chunk_big(struct buf *c, size_t n)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 1, .nkey = 1 };
	uint8_t *b = xmalloc(n);
	unsigned long long seed = 5;
	for (size_t i = 0; i < n; i += 8) {
		unsigned long long r = test_rand(&seed);
		memcpy(b + i, &r, n - i < 8 ? n - i : 8);
	}
	chunk_shape_encode(c, &s);
	struct value row[2] = { vint(42), vblob(b, n) };
	value_encode(c, &row[0]);
	value_encode(c, &row[1]);
	free(b);
}

static size_t shape_len(const uint8_t *typed, size_t n)
{
	struct chunk_shape s;
	struct rd r;
	rd_init(&r, typed, n);
	if (chunk_shape_decode(&r, &s))
		abort();
	return (size_t)(r.p - typed);
}

/*
 * The side stream of typed, written here from its description in
 * strata/frames.h: the shape header, then per row the hidden value (an
 * INTEGER rowid as tag 1 and the zigzag varint of its difference from the
 * previous row's integer rowid, starting from 0; other types as encoded)
 * and one type tag per column.
 */
static void expected_side(const uint8_t *typed, size_t n, struct buf *out, uint64_t *rows)
{
	struct chunk_shape sh;
	struct value v;
	struct rd r;
	int64_t prev = 0;

	*rows = 0;
	rd_init(&r, typed, n);
	if (chunk_shape_decode(&r, &sh))
		abort();
	buf_add(out, typed, (size_t)(r.p - typed));
	while (rd_left(&r)) {
		for (unsigned i = 0; i < sh.nhidden; i++) {
			const uint8_t *h0 = r.p;
			if (value_decode(&r, &v))
				abort();
			if (v.type == VAL_INT) {
				buf_addc(out, VAL_INT);
				buf_add_svarint(out, (int64_t)((uint64_t)v.i - (uint64_t)prev));
				prev = v.i;
			} else {
				buf_add(out, h0, (size_t)(r.p - h0));
			}
		}
		for (unsigned i = 0; i < sh.ncols; i++) {
			if (value_decode(&r, &v))
				abort();
			buf_addc(out, v.type);
		}
		(*rows)++;
	}
}

/* Whether side is exactly the side stream of typed. */
static bool side_matches(const uint8_t *typed, size_t n, const uint8_t *side, size_t sn,
			 uint64_t *rows)
{
	struct buf want = BUF_INIT;
	expected_side(typed, n, &want, rows);
	bool ok = want.len == sn && !memcmp(want.data, side, sn);
	buf_release(&want);
	return ok;
}

/*
 * framed_typed (the inverse of the renderer) on side and csv, each in a
 * private buffer of exactly its size (so ASan sees a read past either),
 * appended after 4 bytes already in the output.  On success it must have
 * appended at most 4 x the input, and rendering what it appended must give
 * side and csv back exactly (it accepts only what the renderer writes); on
 * refusal the output must be as it was.  Returns its rc; *out (when not
 * NULL) receives what was appended.
 */
static int typed_of(const uint8_t *side, size_t sn, const uint8_t *csv, size_t cn,
		    struct buf *out)
{
	struct buf t = BUF_INIT, c2 = BUF_INIT, s2 = BUF_INIT;
	uint8_t *sp = xmalloc(sn ? sn : 1), *cp = xmalloc(cn ? cn : 1);
	uint64_t nr;

	if (sn)
		memcpy(sp, side, sn);
	if (cn)
		memcpy(cp, csv, cn);
	buf_adds(&t, "keep");
	int rc = framed_typed(sp, sn, cp, cn, &t);
	CHECKF(rc == 0 || rc == -EUCLEAN, "framed_typed rc %d", rc);
	CHECKF(t.len >= 4 && !memcmp(t.data, "keep", 4) && t.data[t.len] == 0,
	       "framed_typed: the output's start was changed");
	if (rc) {
		CHECKF(t.len == 4, "framed_typed: refused, yet %zu bytes appended", t.len - 4);
	} else {
		CHECKF(t.len - 4 <= 4 * (sn + cn), "framed_typed: %zu bytes from %zu + %zu",
		       t.len - 4, sn, cn);
		int rrc = render_csv_chunk_side(t.data + 4, t.len - 4, &c2, &s2, &nr);
		bool same = rrc == 0 && c2.len == cn && s2.len == sn &&
			    (!cn || !memcmp(c2.data, csv, cn)) &&
			    (!sn || !memcmp(s2.data, side, sn));
		CHECKF(same, "framed_typed accepted what the renderer does not write "
			     "(rc %d, csv %zu/%zu, side %zu/%zu)", rrc, c2.len, cn, s2.len, sn);
	}
	if (out) {
		buf_reset(out);
		buf_add(out, t.data + 4, t.len - 4);
	}
	free(sp);
	free(cp);
	buf_release(&t);
	buf_release(&c2);
	buf_release(&s2);
	return rc;
}

/* Whether typed is, byte for byte, what framed_typed rebuilds from its rendering. */
static bool typed_inverts(const uint8_t *typed, size_t n)
{
	struct buf csv = BUF_INIT, side = BUF_INIT, back = BUF_INIT;
	uint64_t nr;
	bool ok = render_csv_chunk_side(typed, n, &csv, &side, &nr) == 0 &&
		  typed_of(side.data, side.len, csv.data, csv.len, &back) == 0 && back.len == n &&
		  !memcmp(back.data, typed, n);
	buf_release(&csv);
	buf_release(&side);
	buf_release(&back);
	return ok;
}

/*
 * The typed rows of t back from its side stream and CSV: as the renderer
 * gives them, and as framed_check reads them out of the stored body.
 */
static void typed_roundtrip(struct tc *t)
{
	struct buf csv = BUF_INIT, side = BUF_INIT, back = BUF_INIT;

	CHECKF(typed_inverts(t->typed.data, t->typed.len), "%s: framed_typed of the rendering",
	       t->name);
	CHECK(framed_check(t->body.data, t->body.len, &t->e, dctx, &csv, &side) == 0);
	buf_adds(&back, "xy");
	int rc = framed_typed(side.data, side.len, csv.data, csv.len, &back);
	CHECKF(rc == 0 && back.len == 2 + t->typed.len && !memcmp(back.data, "xy", 2) &&
		       !memcmp(back.data + 2, t->typed.data, t->typed.len),
	       "%s: framed_typed of the stored body: rc %d, %zu bytes, want %zu", t->name, rc,
	       back.len - 2, t->typed.len);
	/* the id, recomputed from what the body holds */
	struct chunk_id id;
	chunk_id_of(&id, back.data + 2, back.len - 2);
	CHECK(!memcmp(id.b, t->e.id.b, 16));
	buf_release(&csv);
	buf_release(&side);
	buf_release(&back);
}

/* Render, build with frame size fs, fill the entry as backup does. */
static void tc_build(struct tc *t, uint32_t fs)
{
	struct buf csv = BUF_INIT, side = BUF_INIT;
	uint64_t csv_len = 0, nrows = 0;

	buf_reset(&t->csv);
	CHECK(render_csv_chunk(t->typed.data, t->typed.len, &t->csv, &t->nrows) == 0);
	buf_grow(&t->csv, 0); /* data is not NULL even for an empty CSV */
	int rc = framed_build(t->typed.data, t->typed.len, fs, cctx, &csv, &side, &t->body,
			      &csv_len, &nrows);
	CHECKF(rc == 0, "%s: framed_build rc %d", t->name, rc);
	CHECKF(csv_len == t->csv.len && nrows == t->nrows, "%s: csv_len %llu/%zu nrows %llu/%llu",
	       t->name, (unsigned long long)csv_len, t->csv.len, (unsigned long long)nrows,
	       (unsigned long long)t->nrows);
	/* the scratch side stream is the one stored */
	uint64_t srows;
	CHECKF(side_matches(t->typed.data, t->typed.len, side.data, side.len, &srows) &&
		       srows == t->nrows,
	       "%s: scratch side stream", t->name);
	memset(&t->e, 0, sizeof(t->e));
	chunk_id_of(&t->e.id, t->typed.data, t->typed.len);
	t->e.clen = (uint32_t)t->body.len;
	t->e.ulen = (uint32_t)t->typed.len;
	t->e.nrows = nrows;
	t->e.csv_len = csv_len;
	buf_release(&csv);
	buf_release(&side);
	typed_roundtrip(t);
}

/*
 * A body assembled here, from the layout in strata/frames.h alone.  Frame
 * odd (-1: none; 0: the side frame; k + 1: CSV frame k) is compressed with
 * codd instead of cctx.
 */
static void assemble(const struct chunk_id *id, const uint8_t *side, size_t sn,
		     const uint8_t *csv, size_t cn, uint32_t fs, long odd, ZSTD_CCtx *codd,
		     struct buf *out)
{
	uint32_t nframes = (uint32_t)((cn + fs - 1) / fs);
	size_t hlen = FRAMED_HEADER + 4 * (size_t)nframes;
	uint8_t *z;
	size_t cap, cl;

	buf_reset(out);
	buf_grow(out, hlen);
	memset(out->data, 0, hlen);
	memcpy(out->data, "SFC2", 4);
	put_u32le(out->data + 4, fs);
	put_u32le(out->data + 8, nframes);
	put_u32le(out->data + 12, (uint32_t)sn);
	XXH3_state_t *st = XXH3_createState();
	XXH3_64bits_reset(st);
	XXH3_64bits_update(st, side, sn);
	XXH3_64bits_update(st, csv, cn);
	put_u64le(out->data + 24, XXH3_64bits_digest(st));
	XXH3_freeState(st);
	memcpy(out->data + 32, id->b, 16);
	out->len = hlen;
	for (long k = -1; k < (long)nframes; k++) {
		const uint8_t *src = k < 0 ? side : csv + (size_t)k * fs;
		size_t n = k < 0 ? sn : (cn - (size_t)k * fs < fs ? cn - (size_t)k * fs : fs);
		ZSTD_CCtx *c = odd == k + 1 ? codd : cctx;
		cap = ZSTD_compressBound(n);
		z = xmalloc(cap);
		cl = ZSTD_compress2(c, z, cap, src, n);
		if (ZSTD_isError(cl))
			abort();
		buf_add(out, z, cl);
		free(z);
		if (k < 0)
			put_u32le(out->data + 16, (uint32_t)cl);
		else
			put_u32le(out->data + FRAMED_HEADER + 4 * (size_t)k, (uint32_t)cl);
	}
}

/* Everything that must hold for a well-formed body of t. */
static void check_body(struct tc *t, uint32_t fs)
{
	struct buf csv = BUF_INIT, side = BUF_INIT;
	struct framed_toc toc;
	size_t need = 0;
	int rc;
	const struct pack_entry *e = &t->e;
	const uint8_t *b = t->body.data;

	CHECK(framed_is(b, t->body.len));
	CHECK(!memcmp(b, FRAMED_MAGIC, 4) && get_u32le(b + 4) == fs && get_u32le(b + 20) == 0);
	CHECK(t->body.len >= FRAMED_HEADER && !memcmp(b + 32, e->id.b, 16));

	/* the whole check: same CSV byte for byte, and the side stream */
	buf_addc(&csv, 'P'); /* appended to, not replaced */
	csv.len = 1;
	rc = framed_check(b, t->body.len, e, dctx, &csv, &side);
	CHECKF(rc == 0, "%s: framed_check rc %d", t->name, rc);
	CHECKF(csv.len == t->csv.len + 1 && csv.data[0] == 'P' &&
		       !memcmp(csv.data + 1, t->csv.data, t->csv.len),
	       "%s: framed_check CSV differs (%zu bytes, want %zu)", t->name, csv.len - 1,
	       t->csv.len);
	size_t hdr = shape_len(t->typed.data, t->typed.len);
	CHECKF(side.len >= hdr && !memcmp(side.data, t->typed.data, hdr),
	       "%s: side stream does not start with the shape", t->name);
	uint64_t srows = 0;
	CHECKF(side_matches(t->typed.data, t->typed.len, side.data, side.len, &srows) &&
		       srows == t->nrows,
	       "%s: side stream wrong (%llu rows)", t->name, (unsigned long long)srows);
	CHECK(framed_check(b, t->body.len, e, dctx, NULL, NULL) == 0);

	/* header and table */
	rc = framed_parse(b, t->body.len, e, &toc, &need);
	CHECKF(rc == 0, "%s: framed_parse rc %d", t->name, rc);
	if (rc)
		goto out;
	uint32_t want_frames = (uint32_t)((t->csv.len + fs - 1) / fs);
	size_t hlen = FRAMED_HEADER + 4 * (size_t)want_frames;
	CHECKF(toc.nframes == want_frames, "%s: %u frames, want %u", t->name, toc.nframes,
	       want_frames);
	CHECK(toc.frame_size == fs && toc.side_ulen == side.len && need == hlen);
	CHECK(toc.side_off == hlen && toc.foff[0] == hlen + toc.side_clen);
	CHECK(toc.foff[toc.nframes] == t->body.len && toc.foff[toc.nframes] == e->clen);
	CHECK(toc.sum == get_u64le(b + 24));
	{
		XXH3_state_t *st = XXH3_createState();
		XXH3_64bits_reset(st);
		XXH3_64bits_update(st, side.data, side.len);
		XXH3_64bits_update(st, t->csv.data, t->csv.len);
		CHECK(XXH3_64bits_digest(st) == toc.sum);
		XXH3_freeState(st);
	}

	/* the side frame alone */
	uint8_t *u = xmalloc(toc.side_ulen + 1);
	CHECK(framed_decode(b + toc.side_off, toc.side_clen, toc.side_ulen, dctx, u) == 0 &&
	      !memcmp(u, side.data, side.len));
	free(u);

	/* every frame alone: its slice of the CSV */
	u = xmalloc(fs);
	size_t bad = 0, sum = 0;
	for (uint32_t k = 0; k < toc.nframes; k++) {
		size_t ulen = framed_frame_len(&toc, e, k);
		size_t want = t->csv.len - (size_t)k * fs < fs ? t->csv.len - (size_t)k * fs : fs;
		/* the CSV offsets, and the frame of a frame's first and last byte */
		if (toc.coff[k] != (uint64_t)k * fs || framed_frame_at(&toc, toc.coff[k]) != k ||
		    framed_frame_at(&toc, toc.coff[k] + ulen - 1) != k)
			bad++;
		if (toc.foff[k + 1] <= toc.foff[k] || ulen != want) {
			bad++;
			continue;
		}
		rc = framed_decode(b + toc.foff[k], (size_t)(toc.foff[k + 1] - toc.foff[k]), ulen,
				   dctx, u);
		if (rc || memcmp(u, t->csv.data + (size_t)k * fs, ulen))
			bad++;
		/* one byte short or long: the frame is not that size */
		if (ulen > 1)
			CHECK(framed_decode(b + toc.foff[k],
					    (size_t)(toc.foff[k + 1] - toc.foff[k]), ulen - 1,
					    dctx, u) == -EUCLEAN);
		sum += ulen;
	}
	CHECKF(bad == 0 && sum == t->csv.len, "%s: %zu frames wrong", t->name, bad);
	CHECK(toc.coff[toc.nframes] == t->csv.len && toc.version == 2 && toc.nsegs == 0 &&
	      !toc.segs && !toc.soff && !toc.sfirst);
	if (toc.nframes) {
		size_t last = framed_frame_len(&toc, e, toc.nframes - 1);
		size_t want_last = t->csv.len % fs ? t->csv.len % fs : fs;
		CHECKF(last == want_last, "%s: last frame %zu bytes, want %zu", t->name, last,
		       want_last);
	}
	free(u);

	/* every shorter prefix of the header and table: -EAGAIN and what is needed */
	size_t wrong = 0;
	for (size_t n = 0; n < hlen; n++) {
		struct framed_toc t2;
		rc = framed_parse(b, n, e, &t2, &need);
		if (rc != -EAGAIN || need != (n < FRAMED_HEADER ? FRAMED_HEADER : hlen) ||
		    t2.foff != NULL)
			wrong++;
	}
	CHECKF(wrong == 0, "%s: %zu truncated headers not -EAGAIN", t->name, wrong);
	{
		struct framed_toc t2;
		CHECK(framed_parse(b, hlen, e, &t2, &need) == 0 && need == hlen);
		framed_toc_free(&t2);
		CHECK(t2.foff == NULL);
	}

	/* an encoder written from the documented layout gives the same bytes */
	struct buf hand = BUF_INIT;
	assemble(&e->id, side.data, side.len, t->csv.data, t->csv.len, fs, -1, NULL, &hand);
	CHECKF(hand.len == t->body.len && !memcmp(hand.data, b, hand.len),
	       "%s: body differs from the documented layout", t->name);
	buf_release(&hand);

	/* deterministic, and the same through the two steps */
	{
		struct buf c2 = BUF_INIT, s2 = BUF_INIT, o2 = BUF_INIT;
		uint64_t nr = 0;
		CHECK(framed_render(t->typed.data, t->typed.len, &c2, &s2, &nr) == 0 &&
		      nr == t->nrows && c2.len == t->csv.len);
		CHECK(framed_compress(&c2, &s2, &e->id, fs, cctx, &o2) == 0);
		CHECK(o2.len == t->body.len && !memcmp(o2.data, b, o2.len));
		buf_release(&c2);
		buf_release(&s2);
		buf_release(&o2);
	}
out:
	framed_toc_free(&toc);
	buf_release(&csv);
	buf_release(&side);
}

static void tc_free(struct tc *t)
{
	buf_release(&t->typed);
	buf_release(&t->csv);
	buf_release(&t->body);
}

/* framed_check on a damaged copy: an error, or (harmless) the same CSV. */
static int check_copy(const struct tc *t, const uint8_t *b, size_t n, const struct pack_entry *e,
		      bool *same)
{
	struct buf csv = BUF_INIT;
	int rc = framed_check(b, n, e, dctx, &csv, NULL);
	*same = rc == 0 && csv.len == t->csv.len &&
		(csv.len == 0 || !memcmp(csv.data, t->csv.data, csv.len));
	buf_release(&csv);
	return rc;
}

/*
 * Damage to a multi-frame body.  Every byte of the header and frame table,
 * and chosen bytes of each frame (descriptor, middle, checksum), must be
 * refused; then every byte of the frames with three masks must be refused
 * or give the same CSV: zstd does not look at some bits (the frame header's
 * unused bit, bits of some entropy table descriptions), and the output is
 * what its checksum covers.
 */
static void damage(struct tc *t)
{
	struct framed_toc toc;
	size_t need;
	bool same;
	int rc;
	const size_t n = t->body.len;
	uint8_t *c = xmalloc(n + 1);

	CHECK(framed_parse(t->body.data, n, &t->e, &toc, &need) == 0);
	CHECK(toc.nframes >= 3);
	if (!toc.foff || toc.nframes < 3) {
		free(c);
		return;
	}

	/* every header byte (every field), every frame-table byte: refused */
	size_t accepted = 0;
	for (size_t off = 0; off < toc.side_off; off++) {
		for (int m = 0; m < 3; m++) {
			static const uint8_t masks[] = { 0x01, 0x80, 0xff };
			memcpy(c, t->body.data, n);
			c[off] ^= masks[m];
			rc = check_copy(t, c, n, &t->e, &same);
			if (!(rc == -EBADMSG || rc == -EUCLEAN)) {
				accepted++;
				CHECKF(0, "%s: header/table byte %zu ^ 0x%02x: rc %d", t->name, off,
				       masks[m], rc);
			}
		}
	}
	CHECK(accepted == 0);
	/* the stored xxh3: -EBADMSG exactly */
	for (size_t off = 24; off < 32; off++) {
		memcpy(c, t->body.data, n);
		c[off] ^= 0x10;
		CHECKF(check_copy(t, c, n, &t->e, &same) == -EBADMSG, "sum byte %zu", off);
	}
	/* reserved field, magic: -EUCLEAN */
	memcpy(c, t->body.data, n);
	c[21] = 1;
	CHECK(check_copy(t, c, n, &t->e, &same) == -EUCLEAN);
	memcpy(c, t->body.data, n);
	c[3] = '1';
	CHECK(check_copy(t, c, n, &t->e, &same) == -EUCLEAN);
	CHECK(!framed_is(c, n));

	/* one byte in the middle, the descriptor and the checksum of every frame */
	for (uint32_t k = 0; k <= toc.nframes; k++) {
		uint64_t lo = k == 0 ? toc.side_off : toc.foff[k - 1];
		uint64_t hi = k == 0 ? toc.foff[0] : toc.foff[k];
		uint64_t at[3] = { lo + 4, lo + (hi - lo) / 2, hi - 1 };
		for (int i = 0; i < 3; i++) {
			memcpy(c, t->body.data, n);
			c[at[i]] ^= 0xff;
			rc = check_copy(t, c, n, &t->e, &same);
			CHECKF(rc == -EBADMSG || rc == -EUCLEAN,
			       "%s: %s frame %u byte %llu: rc %d", t->name, k ? "CSV" : "side",
			       k ? k - 1 : 0, (unsigned long long)at[i], rc);
		}
		/* the last 4 bytes are zstd's checksum: a data error */
		memcpy(c, t->body.data, n);
		c[hi - 2] ^= 0x01;
		CHECK(check_copy(t, c, n, &t->e, &same) == -EBADMSG);
	}

	/* every byte of every frame, three masks: never different CSV */
	size_t flips = 0, refused = 0, harmless = 0, wrong = 0;
	for (uint64_t off = toc.side_off; off < n; off++) {
		static const uint8_t masks[] = { 0x01, 0x10, 0x80 };
		for (int m = 0; m < 3; m++) {
			memcpy(c, t->body.data, n);
			c[off] ^= masks[m];
			rc = check_copy(t, c, n, &t->e, &same);
			flips++;
			if (rc == -EBADMSG || rc == -EUCLEAN)
				refused++;
			else if (rc == 0 && same)
				harmless++;
			else
				wrong++;
		}
	}
	fprintf(stderr, "%s: %zu frame byte flips: %zu refused, %zu accepted with the same CSV\n",
		t->name, flips, refused, harmless);
	CHECK(wrong == 0);
	CHECK(refused > flips * 9 / 10);

	/* lying entries: csv_len, clen, nrows */
	struct pack_entry x;
	int64_t deltas[] = { 1, -1, FS, -(int64_t)FS, 2 * FS };
	for (size_t i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		x = t->e;
		x.csv_len += (uint64_t)deltas[i];
		CHECKF(check_copy(t, t->body.data, n, &x, &same) == -EUCLEAN, "csv_len %+lld",
		       (long long)deltas[i]);
		x = t->e;
		x.nrows += (uint64_t)deltas[i];
		CHECKF(check_copy(t, t->body.data, n, &x, &same) == -EUCLEAN, "nrows %+lld",
		       (long long)deltas[i]);
	}
	x = t->e;
	x.nrows = 0;
	CHECK(check_copy(t, t->body.data, n, &x, &same) == -EUCLEAN);
	/* another chunk's id: the body is not this entry's */
	for (int i = 0; i < 16; i += 5) {
		x = t->e;
		x.id.b[i] ^= 0x20;
		CHECK(check_copy(t, t->body.data, n, &x, &same) == -EUCLEAN);
	}
	x = t->e;
	x.csv_len = 0;
	CHECK(check_copy(t, t->body.data, n, &x, &same) == -EUCLEAN);
	x = t->e;
	x.csv_len = UINT64_MAX;
	CHECK(check_copy(t, t->body.data, n, &x, &same) == -EUCLEAN);
	/* clen: the entry says more or less than the body holds */
	memcpy(c, t->body.data, n);
	c[n] = 0;
	x = t->e;
	x.clen = (uint32_t)n + 1;
	CHECK(check_copy(t, c, n + 1, &x, &same) == -EUCLEAN);
	CHECK(check_copy(t, c, n, &x, &same) == -EUCLEAN);
	x.clen = (uint32_t)n - 1;
	CHECK(check_copy(t, c, n - 1, &x, &same) == -EUCLEAN);
	CHECK(check_copy(t, c, n, &x, &same) == -EUCLEAN);
	x.clen = FRAMED_HEADER - 1;
	CHECK(check_copy(t, c, FRAMED_HEADER - 1, &x, &same) == -EUCLEAN);
	x.clen = FRAMED_HEADER;
	CHECK(check_copy(t, c, FRAMED_HEADER, &x, &same) == -EUCLEAN);
	/* ulen and nrows smaller than the side stream can be */
	x = t->e;
	x.ulen = 0;
	x.nrows = 0;
	CHECK(check_copy(t, t->body.data, n, &x, &same) == -EUCLEAN);
	/* the body cut short, whatever the entry says */
	for (size_t cut = 0; cut < n; cut += (cut < 64 ? 1 : 97)) {
		x = t->e;
		rc = check_copy(t, t->body.data, cut, &x, &same);
		CHECKF(rc == -EUCLEAN, "cut at %zu: rc %d", cut, rc);
		x.clen = (uint32_t)cut;
		rc = check_copy(t, t->body.data, cut, &x, &same);
		CHECKF(rc == -EUCLEAN || rc == -EBADMSG, "cut at %zu (entry too): rc %d", cut, rc);
	}

	framed_toc_free(&toc);
	free(c);
}

/* Frames without zstd's checksum or content size, or not one frame: refused. */
static void bad_frames(struct tc *t)
{
	ZSTD_CCtx *plain = ZSTD_createCCtx(); /* checksum flag off: zstd's default */
	ZSTD_CCtx *nosize = ZSTD_createCCtx();
	struct buf side = BUF_INIT, csv = BUF_INIT, hand = BUF_INIT;
	uint8_t *u = xmalloc(FS);
	size_t cap = ZSTD_compressBound(FS) * 2 + 64;
	uint8_t *z = xmalloc(cap);
	uint64_t nr;
	size_t cl;

	ZSTD_CCtx_setParameter(nosize, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(nosize, ZSTD_c_contentSizeFlag, 0);
	CHECK(framed_render(t->typed.data, t->typed.len, &csv, &side, &nr) == 0);

	/* the first frame's CSV without a checksum */
	cl = ZSTD_compress2(plain, z, cap, csv.data, FS);
	CHECK(!ZSTD_isError(cl) && !(z[4] & 4));
	CHECK(framed_decode(z, cl, FS, dctx, u) == -EUCLEAN);
	/* the same bytes decode fine with zstd itself: only the flag is missing */
	CHECK(ZSTD_decompressDCtx(dctx, u, FS, z, cl) == FS && !memcmp(u, csv.data, FS));
	/* ... also through ZSTD_compress, the one-call API */
	cl = ZSTD_compress(z, cap, csv.data, FS, 3);
	CHECK(!ZSTD_isError(cl) && framed_decode(z, cl, FS, dctx, u) == -EUCLEAN);
	/* with checksum but no declared size */
	cl = ZSTD_compress2(nosize, z, cap, csv.data, FS);
	CHECK(!ZSTD_isError(cl) && framed_decode(z, cl, FS, dctx, u) == -EUCLEAN);
	/* a good frame: right size only; truncated; two frames; garbage; a skippable frame */
	cl = ZSTD_compress2(cctx, z, cap, csv.data, FS);
	CHECK(!ZSTD_isError(cl) && framed_decode(z, cl, FS, dctx, u) == 0 &&
	      !memcmp(u, csv.data, FS));
	CHECK(framed_decode(z, cl, FS - 1, dctx, u) == -EUCLEAN);
	for (size_t cut = 0; cut < cl; cut++) {
		int rc = framed_decode(z, cut, FS, dctx, u);
		CHECKF(rc == -EUCLEAN || rc == -EBADMSG, "frame cut at %zu: rc %d", cut, rc);
	}
	memcpy(z + cl, z, cl);
	CHECK(framed_decode(z, 2 * cl, FS, dctx, u) == -EUCLEAN);
	memset(z, 0xa5, 64);
	CHECK(framed_decode(z, 64, FS, dctx, u) == -EUCLEAN);
	put_u32le(z, 0x184D2A50u);
	put_u32le(z + 4, 8);
	CHECK(framed_decode(z, 16, 8, dctx, u) == -EUCLEAN);

	/* whole bodies with one frame compressed without the checksum */
	uint32_t nframes = (uint32_t)((csv.len + FS - 1) / FS);
	for (long odd = 0; odd <= (long)nframes; odd++) {
		assemble(&t->e.id, side.data, side.len, csv.data, csv.len, FS, odd, plain, &hand);
		struct pack_entry x = t->e;
		x.clen = (uint32_t)hand.len;
		struct buf out = BUF_INIT;
		int rc = framed_check(hand.data, hand.len, &x, dctx, &out, NULL);
		CHECKF(rc == -EUCLEAN, "frame %ld without checksum: rc %d", odd, rc);
		buf_release(&out);
	}
	/* and the control: all with checksums is accepted */
	assemble(&t->e.id, side.data, side.len, csv.data, csv.len, FS, -1, NULL, &hand);
	CHECK(framed_check(hand.data, hand.len, &t->e, dctx, NULL, NULL) == 0);

	free(u);
	free(z);
	buf_release(&side);
	buf_release(&csv);
	buf_release(&hand);
	ZSTD_freeCCtx(plain);
	ZSTD_freeCCtx(nosize);
}

/*
 * Side streams that are not well formed, in bodies whose checksums are all
 * right (assembled here): refused on their structure.
 */
static void bad_side(struct tc *t)
{
	struct buf side = BUF_INIT, csv = BUF_INIT, bad = BUF_INIT, hand = BUF_INIT;
	uint64_t nr;

	CHECK(framed_render(t->typed.data, t->typed.len, &csv, &side, &nr) == 0 && nr > 0);
	size_t row = (side.len - shape_len(t->typed.data, t->typed.len)) / (nr ? nr : 1);
	for (int v = 0; v < 6; v++) {
		buf_reset(&bad);
		buf_add(&bad, side.data, side.len);
		switch (v) {
		case 0: /* the last column's tag is not a type */
			bad.data[bad.len - 1] = VAL_BLOB + 1;
			break;
		case 1: /* the last row cut short */
			bad.len--;
			break;
		case 2: /* a chunk version that does not exist */
			bad.data[0] = CHUNK_VERSION + 1;
			break;
		case 3: /* a row more than the entry says (or part of one) */
			buf_add(&bad, side.data + side.len - row, row);
			break;
		case 4: /* nothing */
			bad.len = 0;
			break;
		case 5: /* only the shape: no rows */
			bad.len = shape_len(t->typed.data, t->typed.len);
			break;
		}
		assemble(&t->e.id, bad.data, bad.len, csv.data, csv.len, FS, -1, NULL, &hand);
		struct pack_entry x = t->e;
		x.clen = (uint32_t)hand.len;
		int rc = framed_check(hand.data, hand.len, &x, dctx, NULL, NULL);
		CHECKF(rc == -EUCLEAN, "bad side stream %d: rc %d", v, rc);
	}
	buf_release(&side);
	buf_release(&csv);
	buf_release(&bad);
	buf_release(&hand);
}

/* Odd sizes and malformed chunks. */
static void edges(void)
{
	struct buf typed = BUF_INIT, csv = BUF_INIT, side = BUF_INIT, out = BUF_INIT;
	uint64_t cl, nr;

	chunk_rowid(&typed, 3);
	CHECK(framed_build(typed.data, typed.len, FRAMED_MIN_FRAME - 1, cctx, &csv, &side, &out,
			   &cl, &nr) == -EINVAL);
	CHECK(framed_build(typed.data, typed.len, FRAMED_MAX_FRAME + 1, cctx, &csv, &side, &out,
			   &cl, &nr) == -EINVAL);
	/* the largest frame size: one frame */
	CHECK(framed_build(typed.data, typed.len, FRAMED_MAX_FRAME, cctx, &csv, &side, &out, &cl,
			   &nr) == 0);
	CHECK(get_u32le(out.data + 8) == 1);
	/* malformed chunks */
	CHECK(framed_build(typed.data, typed.len - 1, FS, cctx, &csv, &side, &out, &cl, &nr) ==
	      -EUCLEAN);
	typed.data[0] = 2;
	CHECK(framed_build(typed.data, typed.len, FS, cctx, &csv, &side, &out, &cl, &nr) ==
	      -EUCLEAN);
	CHECK(framed_build(typed.data, 0, FS, cctx, &csv, &side, &out, &cl, &nr) == -EUCLEAN);
	/* framed_is */
	CHECK(!framed_is((const uint8_t *)"SFC", 3));
	CHECK(framed_is((const uint8_t *)"SFC2", 4));
	CHECK(!framed_is((const uint8_t *)"\x28\xb5\x2f\xfd", 4));
	/* framed_parse: a body too short for a header is refused before asking for more */
	struct pack_entry e = { .clen = 10, .csv_len = 0 };
	struct framed_toc t;
	size_t need = 0;
	CHECK(framed_parse((const uint8_t *)"SFC2", 4, &e, &t, &need) == -EUCLEAN && t.foff == NULL);
	e.clen = 1000;
	CHECK(framed_parse((const uint8_t *)"SFC2", 4, &e, &t, &need) == -EAGAIN &&
	      need == FRAMED_HEADER && t.foff == NULL);
	buf_release(&typed);
	buf_release(&csv);
	buf_release(&side);
	buf_release(&out);
}

/*
 * A header-only chunk (no rows) has an empty CSV and no frames.  The entry
 * must still say so: a csv_len near 2^64 wraps the frame count to 0 in
 * framed_parse (csv_len + frame_size - 1 overflows).
 */
static void empty_chunk(void)
{
	struct tc t = { .name = "empty" };
	struct chunk_shape s = { .nhidden = 1, .ncols = 2, .nkey = 1 };
	chunk_shape_encode(&t.typed, &s);
	tc_build(&t, FS);
	CHECK(t.csv.len == 0 && t.nrows == 0 && t.e.csv_len == 0);
	CHECK(get_u32le(t.body.data + 8) == 0);
	check_body(&t, FS);
	struct pack_entry x = t.e;
	bool same;
	x.nrows = 1;
	CHECK(check_copy(&t, t.body.data, t.body.len, &x, &same) == -EUCLEAN);
	x = t.e;
	x.csv_len = 1;
	CHECK(check_copy(&t, t.body.data, t.body.len, &x, &same) == -EUCLEAN);
	x.csv_len = UINT64_MAX - FS;
	CHECK(check_copy(&t, t.body.data, t.body.len, &x, &same) == -EUCLEAN);
	x.csv_len = UINT64_MAX;
	int rc = check_copy(&t, t.body.data, t.body.len, &x, &same);
	CHECKF(rc == -EUCLEAN, "framed_parse: csv_len = UINT64_MAX must not wrap nframes to 0 (%d)",
	       rc);
	x.csv_len = UINT64_MAX - (FS - 2);
	rc = check_copy(&t, t.body.data, t.body.len, &x, &same);
	CHECKF(rc == -EUCLEAN, "framed_parse: csv_len = 2^64-4095 must not wrap nframes to 0 (%d)",
	       rc);
	tc_free(&t);
}

/*
 * Rowids stored as differences can take more bytes than in the typed
 * chunk: 1 and 2^62 alternating cost 2 and 11 bytes as values, 10 and 11
 * as differences.  Rowids in ascending order (what backup reads) never
 * grow by more than a byte; other orders are valid chunks all the same.
 */
static void side_growth(void)
{
	struct tc t = { .name = "rowids-alternating" };
	int64_t ids[8];
	for (int i = 0; i < 8; i++)
		ids[i] = i % 2 ? 1 : INT64_C(1) << 62;
	chunk_rowids(&t.typed, ids, 8);
	tc_build(&t, FS);
	uint32_t side_ulen = get_u32le(t.body.data + 12);
	CHECK(side_ulen > t.e.ulen + 16);
	fprintf(stderr, "%s: typed chunk %u bytes, side stream %u bytes\n", t.name, t.e.ulen,
		side_ulen);
	int rc = framed_check(t.body.data, t.body.len, &t.e, dctx, NULL, NULL);
	CHECKF(rc == 0, "a body framed_build made with a side stream longer than the typed rows "
			"is refused (%d)", rc);
	tc_free(&t);
}

/*
 * A consistent forgery: a body whose CSV is not the rendering of the rows
 * its id names, with every checksum recomputed.  Reads serve it (they do
 * not rebuild the rows); chunk_check() (strata verify) refuses it.
 */
static void forgery(struct tc *t)
{
	struct buf csv = BUF_INIT, side = BUF_INIT, body = BUF_INIT;
	uint64_t nrows;
	char *dir = make_tmpdir("forgery");
	char *path = xasprintf("%s/body", dir);

	CHECK(framed_render(t->typed.data, t->typed.len, &csv, &side, &nrows) == 0);
	/* one digit changed: still a valid rendering of other rows */
	size_t k = 0;
	while (k < csv.len && (csv.data[k] < '1' || csv.data[k] > '8'))
		k++;
	CHECK(k < csv.len);
	if (k < csv.len)
		csv.data[k]++;
	CHECK(framed_compress(&csv, &side, &t->e.id, FS, cctx, &body) == 0);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write_all(fd, body.data, body.len) == 0);
	struct pack_entry e = t->e;
	e.offset = 0;
	e.clen = (uint32_t)body.len;
	struct buf got = BUF_INIT;
	struct store_file *sf = test_file(path);
	CHECK(sf && chunk_read_csv(sf, &e, dctx, &got) == 0 && got.len == t->csv.len &&
	      memcmp(got.data, t->csv.data, got.len) != 0);
	CHECK(sf && chunk_check(sf, &e, dctx) == -EBADMSG);
	store_file_close(sf);
	/* the genuine body passes */
	CHECK(pwrite(fd, t->body.data, t->body.len, 0) == (ssize_t)t->body.len);
	e.clen = (uint32_t)t->body.len;
	CHECK(ftruncate(fd, (off_t)t->body.len) == 0);
	sf = test_file(path);
	CHECK(sf && chunk_check(sf, &e, dctx) == 0);
	store_file_close(sf);
	close(fd);
	unlink(path);
	rmdir(dir);
	buf_release(&got);
	buf_release(&csv);
	buf_release(&side);
	buf_release(&body);
	free(path);
	free(dir);
}

/* A real pack: one format 1 chunk, framed chunks; read back through the fd API. */
static void pack_roundtrip(struct tc *f1, struct tc **framed, int nframed)
{
	char *dir = make_tmpdir("frames");
	char *packs = xasprintf("%s/packs", dir), *tmp = xasprintf("%s/tmp", dir);
	struct pack_writer *w;
	struct store *st;
	struct pack_entry e1;
	char name[33];
	size_t clen;

	CHECK(store_open(dir, true, &st) == 0);
	CHECK(pack_writer_open(&w, st) == 0);
	/* format 1: one zstd frame of the typed rows, as backup wrote before */
	uint8_t *z = compress_chunk(f1->typed.data, f1->typed.len, &clen);
	memset(&e1, 0, sizeof(e1));
	chunk_id_of(&e1.id, f1->typed.data, f1->typed.len);
	e1.clen = (uint32_t)clen;
	e1.ulen = (uint32_t)f1->typed.len;
	e1.nrows = f1->nrows;
	e1.csv_len = f1->csv.len;
	CHECK(pack_writer_add(w, &e1, z) == 0);
	free(z);
	for (int i = 0; i < nframed; i++)
		CHECK(pack_writer_add(w, &framed[i]->e, framed[i]->body.data) == 0);
	CHECK(pack_writer_finish(w, name) == 0);
	store_free(st);

	char *path = xasprintf("%s/%.2s/%s.pack", packs, name, name);
	struct store_file *fd = test_file(path);
	struct pack_entry *e = NULL;
	size_t n = 0;
	uint64_t fsize;
	CHECK(fd && pack_read_index(fd, &e, &n, &fsize) == 0 && n == (size_t)nframed + 1);
	for (size_t i = 0; e && i < n; i++) {
		struct tc *t = i == 0 ? f1 : framed[i - 1];
		struct buf csv = BUF_INIT;
		uint8_t head[4];
		CHECK(store_pread(fd, head, 4, e[i].offset) == 0);
		CHECK(framed_is(head, 4) == (i != 0));
		buf_adds(&csv, "keep");
		/* everything verify checks, the id against rebuilt typed rows included */
		CHECKF(chunk_check(fd, &e[i], dctx) == 0, "%s: chunk_check", t->name);
		int rc = chunk_read_csv(fd, &e[i], dctx, &csv);
		CHECKF(rc == 0 && csv.len == 4 + t->csv.len && !memcmp(csv.data, "keep", 4) &&
			       !memcmp(csv.data + 4, t->csv.data, t->csv.len),
		       "%s: chunk_read_csv rc %d, %zu bytes", t->name, rc, csv.len);
		/* a lying entry: refused, and csv left as it was */
		struct pack_entry x = e[i];
		x.nrows++;
		csv.len = 4;
		CHECK(chunk_read_csv(fd, &x, dctx, &csv) == -EUCLEAN && csv.len == 4);
		x = e[i];
		x.csv_len--;
		CHECK(chunk_read_csv(fd, &x, dctx, &csv) == -EUCLEAN && csv.len == 4);
		buf_release(&csv);
		if (i == 0) {
			struct framed_toc toc;
			/* a format 1 body is not framed */
			CHECK(framed_read_toc(fd, &e[0], &toc) == -EUCLEAN && toc.foff == NULL);
			continue;
		}
		/* the table, then each frame on its own */
		struct framed_toc toc;
		rc = framed_read_toc(fd, &e[i], &toc);
		CHECKF(rc == 0, "%s: framed_read_toc rc %d", t->name, rc);
		if (rc)
			continue;
		CHECK(toc.nframes == (t->csv.len + FS - 1) / FS);
		CHECK(toc.foff[toc.nframes] == e[i].clen);
		size_t bad = 0, at = 0;
		for (uint32_t k = 0; k < toc.nframes; k++) {
			uint8_t *u = NULL;
			size_t len = framed_frame_len(&toc, &e[i], k);
			rc = framed_read_frame(fd, &e[i], &toc, k, dctx, &u);
			if (rc || !u || at + len > t->csv.len || memcmp(u, t->csv.data + at, len))
				bad++;
			at += len;
			free(u);
		}
		CHECKF(bad == 0 && at == t->csv.len, "%s: %zu frames read wrong", t->name, bad);
		framed_toc_free(&toc);
	}
	store_file_close(fd);

	/* damage in the file: the frame read fails, chunk_read_csv fails */
	if (e && n >= 2) {
		size_t plen;
		uint8_t *d;
		CHECK(read_file(path, 1 << 30, &d, &plen) == 0);
		struct framed_toc toc;
		fd = test_file(path);
		CHECK(fd && framed_read_toc(fd, &e[1], &toc) == 0);
		store_file_close(fd);
		if (toc.foff && toc.nframes >= 2) {
			char *bad = xasprintf("%s/bad.pack", dir);
			d[e[1].offset + toc.foff[1] + (toc.foff[2] - toc.foff[1]) / 2] ^= 0x40;
			int wfd = open(bad, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			CHECK(wfd >= 0 && write_all(wfd, d, plen) == 0);
			close(wfd);
			fd = test_file(bad);
			uint8_t *u = NULL;
			int rc = framed_read_frame(fd, &e[1], &toc, 1, dctx, &u);
			CHECK((rc == -EBADMSG || rc == -EUCLEAN) && u == NULL);
			CHECK(framed_read_frame(fd, &e[1], &toc, 0, dctx, &u) == 0 && u);
			free(u);
			struct buf csv = BUF_INIT;
			rc = chunk_read_csv(fd, &e[1], dctx, &csv);
			CHECK((rc == -EBADMSG || rc == -EUCLEAN) && csv.len == 0);
			buf_release(&csv);
			/* neighbours unaffected */
			CHECK(chunk_read_csv(fd, &e[0], dctx, &csv) == 0 && csv.len == f1->csv.len);
			buf_release(&csv);
			store_file_close(fd);
			free(bad);
		}
		framed_toc_free(&toc);
		free(d);
	}
	free(e);
	free(path);
	rm_rf(dir);
	free(dir);
	free(packs);
	free(tmp);
}

/*
 * One row of values (no rowid) rendered: its CSV line must be want, and
 * framed_typed must give the typed chunk back byte for byte.
 */
static void one_row(const struct value *vals, unsigned n, const char *want, size_t wn)
{
	struct chunk_shape s = { .nhidden = 0, .ncols = n, .nkey = 1 };
	struct buf typed = BUF_INIT, csv = BUF_INIT;
	uint64_t nr;

	chunk_shape_encode(&typed, &s);
	for (unsigned i = 0; i < n; i++)
		value_encode(&typed, &vals[i]);
	CHECK(render_csv_chunk(typed.data, typed.len, &csv, &nr) == 0 && nr == 1);
	CHECKF(csv.len == wn && !memcmp(csv.data, want, wn), "rendered %.*s, want %.*s",
	       (int)csv.len, (const char *)csv.data, (int)wn, want);
	CHECKF(typed_inverts(typed.data, typed.len), "framed_typed of %.*s", (int)wn, want);
	buf_release(&typed);
	buf_release(&csv);
}

/* A side stream of one row (no rowid) whose column tags are the digits of tags. */
static void side_of(struct buf *side, const char *tags)
{
	struct chunk_shape s = { .nhidden = 0, .ncols = (unsigned)strlen(tags), .nkey = 1 };
	buf_reset(side);
	chunk_shape_encode(side, &s);
	for (const char *t = tags; *t; t++)
		buf_addc(side, (uint8_t)(*t - '0'));
}

/* framed_typed of one row of those tags and that CSV (n bytes) */
static int one(const char *tags, const char *csv, size_t n)
{
	struct buf side = BUF_INIT;
	side_of(&side, tags);
	int rc = typed_of(side.data, side.len, (const uint8_t *)csv, n, NULL);
	buf_release(&side);
	return rc;
}
#define ACCEPTS(tags, lit) CHECKF(one(tags, lit, sizeof(lit) - 1) == 0, "%s: refused", #lit)
#define REFUSES(tags, lit) CHECKF(one(tags, lit, sizeof(lit) - 1) == -EUCLEAN, "%s: accepted", #lit)

/* framed_typed refuses every prefix of side and of csv, and every side or CSV cut short. */
static void typed_cuts(const char *name, const uint8_t *typed, size_t n, size_t step)
{
	struct buf csv = BUF_INIT, side = BUF_INIT;
	uint64_t nr;
	size_t bad = 0;

	CHECK(render_csv_chunk_side(typed, n, &csv, &side, &nr) == 0);
	for (size_t k = 0; k < csv.len; k += k < 4096 ? 1 : step)
		bad += typed_of(side.data, side.len, csv.data, k, NULL) != -EUCLEAN;
	for (size_t k = 0; k < side.len; k += k < 4096 ? 1 : step)
		bad += typed_of(side.data, k, csv.data, csv.len, NULL) != -EUCLEAN;
	CHECKF(bad == 0, "%s: %zu cut inputs accepted", name, bad);
	/* a row more on either side */
	if (nr) {
		struct buf more = BUF_INIT;
		buf_add(&more, csv.data, csv.len);
		buf_addc(&more, '\n');
		CHECK(typed_of(side.data, side.len, more.data, more.len, NULL) == -EUCLEAN);
		buf_release(&more);
	}
	buf_release(&csv);
	buf_release(&side);
}

/*
 * Every byte of csv and side flipped (three masks): refused, or accepted
 * only as the exact rendering of what comes back (typed_of checks that).
 */
static void typed_flips(const char *name, const uint8_t *typed, size_t n)
{
	struct buf csv = BUF_INIT, side = BUF_INIT;
	static const uint8_t masks[] = { 0x01, 0x20, 0x80 };
	size_t refused = 0, accepted = 0;
	uint64_t nr;

	CHECK(render_csv_chunk_side(typed, n, &csv, &side, &nr) == 0);
	for (int which = 0; which < 2; which++) {
		struct buf *b = which ? &side : &csv;
		for (size_t k = 0; k < b->len; k++) {
			for (int m = 0; m < 3; m++) {
				b->data[k] ^= masks[m];
				if (typed_of(side.data, side.len, csv.data, csv.len, NULL))
					refused++;
				else
					accepted++;
				b->data[k] ^= masks[m];
			}
		}
	}
	fprintf(stderr, "%s: %zu flips of side stream and CSV: %zu refused, %zu accepted as "
			"other rows\n", name, refused + accepted, refused, accepted);
	buf_release(&csv);
	buf_release(&side);
}

/*
 * framed_typed: the exact values (quoted newlines, "\.", -0.0, INT64_MIN,
 * the extreme reals, empty text against NULL, empty blobs), then each kind
 * of input the renderer does not write, then truncations and flips.
 */
static void typed_inverse(void)
{
	struct buf typed = BUF_INIT, side = BUF_INIT;

	/* values one by one: the CSV the renderer writes, and back */
#define V(val, lit) { val, lit, sizeof(lit) - 1 }
	struct {
		struct value v;
		const char *csv;
		size_t n;
	} vals[] = {
		V(vnull(), "\n"),
		V(vtext(""), "\"\"\n"),
		V(vtext("\\."), "\"\\.\"\n"),
		V(vtext("\\.."), "\\..\n"),
		V(vtext("."), ".\n"),
		V(vtext("\\"), "\\\n"),
		V(vtext("a\nb\r\nc\n"), "\"a\nb\r\nc\n\"\n"),
		V(vtext("\n"), "\"\n\"\n"),
		V(vtext("\r"), "\"\r\"\n"),
		V(vtext(","), "\",\"\n"),
		V(vtext("\""), "\"\"\"\"\n"),
		V(vtext("\"\""), "\"\"\"\"\"\"\n"),
		V(vtext("x\"\n\"y"), "\"x\"\"\n\"\"y\"\n"),
		V(vtext(" x "), " x \n"),
		V(vtext("NULL"), "NULL\n"),
		V(vtext("\\x00"), "\\x00\n"),
		V(vtext("1"), "1\n"),
		V(vtext("-0.0"), "-0.0\n"),
		V(vtextn("\0", 1), "\0\n"),
		V(vtextn("a\0,b", 4), "\"a\0,b\"\n"),
		V(vint(INT64_MIN), "-9223372036854775808\n"),
		V(vint(INT64_MAX), "9223372036854775807\n"),
		V(vint(0), "0\n"),
		V(vint(-1), "-1\n"),
		V(vint(10), "10\n"),
		V(vreal(-0.0), "-0.0\n"),
		V(vreal(0.0), "0.0\n"),
		V(vreal(5e-324), "4.94065645841247e-324\n"),
		V(vreal(-5e-324), "-4.94065645841247e-324\n"),
		V(vreal(2.2250738585072014e-308), "2.2250738585072014e-308\n"),
		V(vreal(2.225073858507201e-308), "2.225073858507201e-308\n"),
		V(vreal(1.7976931348623157e308), "1.7976931348623157e+308\n"),
		V(vreal(-1.7976931348623157e308), "-1.7976931348623157e+308\n"),
		V(vreal(INFINITY), "Infinity\n"),
		V(vreal(-INFINITY), "-Infinity\n"),
		V(vreal(0.1), "0.1\n"),
		V(vreal(1.0 / 3), "0.3333333333333333\n"),
		V(vreal(100.0), "100.0\n"),
		V(vreal(1e15), "1e+15\n"),
		V(vreal(123456789012345.0), "123456789012345.0\n"),
		V(vreal(9007199254740993.0), "9007199254740992.0\n"),
		V(vreal(1e-5), "1e-05\n"),
		V(vreal(2.5e-5), "2.5e-05\n"),
		V(vreal(-2.5), "-2.5\n"),
		V(vblob("", 0), "\\x\n"),
		V(vblob("\0", 1), "\\x00\n"),
		V(vblob("\xab\xff\x01", 3), "\\xabff01\n"),
	};
#undef V
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		one_row(&vals[i].v, 1, vals[i].csv, vals[i].n);
	/* every pair in one row: the field after each is found right */
	size_t nv = sizeof(vals) / sizeof(vals[0]);
	struct chunk_shape s = { .nhidden = 1, .ncols = (unsigned)nv, .nkey = 1 };
	buf_reset(&typed);
	chunk_shape_encode(&typed, &s);
	for (size_t r = 0; r < nv; r++) {
		struct value id = vint((int64_t)(r * 7919) - 40);
		value_encode(&typed, &id);
		for (size_t i = 0; i < nv; i++)
			value_encode(&typed, &vals[(i + r) % nv].v);
	}
	CHECK(typed_inverts(typed.data, typed.len));
	typed_cuts("all-values", typed.data, typed.len, 7);

	/* no columns (only a rowid): empty lines; odd hidden values: as encoded */
	struct chunk_shape s0 = { .nhidden = 1, .ncols = 0, .nkey = 1 };
	buf_reset(&typed);
	chunk_shape_encode(&typed, &s0);
	struct value hid[] = { vint(5), vnull(), vint(INT64_MIN), vtext("t"), vreal(NAN),
			       vblob("\x01", 1), vint(INT64_MAX), vreal(-0.0), vint(-3) };
	for (size_t i = 0; i < sizeof(hid) / sizeof(hid[0]); i++)
		value_encode(&typed, &hid[i]);
	CHECK(typed_inverts(typed.data, typed.len));
	typed_cuts("no-columns", typed.data, typed.len, 1);
	{
		/* a NaN rowid of any bits is copied as it is */
		uint8_t t[] = { 1, 1, 0, 1, 0, 2, 1, 2, 3, 4, 5, 6, 0xf7, 0xff };
		CHECK(typed_inverts(t, sizeof(t)));
	}
	/* a header only: no rows, no CSV */
	buf_reset(&typed);
	chunk_shape_encode(&typed, &s0);
	CHECK(typed_inverts(typed.data, typed.len));
	CHECK(typed_of(typed.data, typed.len, (const uint8_t *)"\n", 1, NULL) == -EUCLEAN);

	/* the rowids of the test chunks, cut everywhere; the big rowid chunk, flipped */
	buf_reset(&typed);
	chunk_rowid(&typed, 40);
	typed_cuts("rowid-40", typed.data, typed.len, 1);
	typed_flips("rowid-40", typed.data, typed.len);
	buf_reset(&typed);
	chunk_without_rowid(&typed, 30);
	typed_cuts("without-rowid-30", typed.data, typed.len, 1);
	typed_flips("without-rowid-30", typed.data, typed.len);
	static const int64_t ids[] = { INT64_MAX, INT64_MIN, 0, INT64_MIN + 1, -1, 5, 4, 4 };
	buf_reset(&typed);
	chunk_rowids(&typed, ids, sizeof(ids) / sizeof(ids[0]));
	typed_cuts("rowids", typed.data, typed.len, 1);
	typed_flips("rowids", typed.data, typed.len);

	/* fields against their tags: too few, too many */
	ACCEPTS("11", "1,2\n");
	REFUSES("11", "1\n");
	REFUSES("11", "1,2,3\n");
	REFUSES("1", "1,2\n");
	REFUSES("3", "a,b\n");
	REFUSES("33", "a\nb\n");
	REFUSES("1", "1");
	REFUSES("1", "");
	REFUSES("", "\n");   /* no columns and no rowid: not a shape */
	REFUSES("5", "1\n"); /* not a type */
	/* NULL: only the empty unquoted field */
	ACCEPTS("00", ",\n");
	REFUSES("0", "x\n");
	REFUSES("0", " \n");
	REFUSES("0", "\"\"\n");
	REFUSES("0", "\r\n");
	/* INTEGER: render_int()'s decimal only */
	ACCEPTS("1", "-9223372036854775808\n");
	ACCEPTS("1", "9223372036854775807\n");
	REFUSES("1", "\n");
	REFUSES("1", "-\n");
	REFUSES("1", "01\n");
	REFUSES("1", "00\n");
	REFUSES("1", "-0\n");
	REFUSES("1", "-01\n");
	REFUSES("1", "+1\n");
	REFUSES("1", " 1\n");
	REFUSES("1", "1 \n");
	REFUSES("1", "1.0\n");
	REFUSES("1", "1e3\n");
	REFUSES("1", "0x10\n");
	REFUSES("1", "9223372036854775808\n");
	REFUSES("1", "-9223372036854775809\n");
	REFUSES("1", "18446744073709551616\n");
	REFUSES("1", "99999999999999999999999\n");
	REFUSES("1", "\"1\"\n");
	REFUSES("1", "1\0\n");
	REFUSES("1", "1\r\n");
	/* REAL: strtod() must read it all, and it must be render_real()'s text */
	ACCEPTS("2", "-0.0\n");
	ACCEPTS("2", "NaN\n"); /* the renderer's text for any NaN */
	REFUSES("2", "\n");
	REFUSES("2", "1\n");
	REFUSES("2", "1.\n");
	REFUSES("2", ".5\n");
	REFUSES("2", "0.10\n");
	REFUSES("2", "1.00\n");
	REFUSES("2", "+1.0\n");
	REFUSES("2", " 1.0\n");
	REFUSES("2", "1.0 \n");
	REFUSES("2", "1.0x\n");
	REFUSES("2", "abc\n");
	REFUSES("2", "1e300\n"); /* the renderer writes 1e+300 */
	REFUSES("2", "1E+300\n");
	REFUSES("2", "5e-324\n"); /* it writes 4.94065645841247e-324 */
	REFUSES("2", "0.30000000000000001\n");
	REFUSES("2", "inf\n");
	REFUSES("2", "Inf\n");
	REFUSES("2", "infinity\n");
	REFUSES("2", "+Infinity\n");
	REFUSES("2", "nan\n");
	REFUSES("2", "-NaN\n");
	REFUSES("2", "NaN(1)\n");
	REFUSES("2", "0x1p0\n");
	REFUSES("2", "\"1.0\"\n");
	REFUSES("2", "1.0\0\n");
	REFUSES("2", "1.0\r\n");
	REFUSES("2", "1.00000000000000000000000000000000000000000000000000\n");
	/* BLOB: \x and an even number of lowercase hex digits */
	ACCEPTS("4", "\\x\n");
	ACCEPTS("4", "\\x0123456789abcdef\n");
	REFUSES("4", "\n");
	REFUSES("4", "\\\n");
	REFUSES("4", "\\x0\n");
	REFUSES("4", "\\x000\n");
	REFUSES("4", "\\xAB\n");
	REFUSES("4", "\\xgg\n");
	REFUSES("4", "\\X00\n");
	REFUSES("4", "x00\n");
	REFUSES("4", "00\n");
	REFUSES("4", "\\x00 \n");
	REFUSES("4", "\\x0 0\n");
	REFUSES("4", "\"\\x00\"\n");
	/* TEXT: unquoted exactly when the renderer does not quote */
	ACCEPTS("3", "\"\"\n");
	ACCEPTS("3", "\"\\.\"\n");
	ACCEPTS("3", "\\.\\.\n");
	ACCEPTS("33", "\"a\n\",\"\n,\"\n");
	REFUSES("3", "\n");     /* the empty string is "" */
	REFUSES("3", "\\.\n");  /* always quoted */
	REFUSES("3", "a\"b\n"); /* a quote: quoted */
	REFUSES("3", "a\rb\n"); /* CR: quoted */
	REFUSES("3", "\"abc\"\n");
	REFUSES("3", "\"\\.x\"\n");
	REFUSES("3", "\"abc\n");
	REFUSES("3", "\"a,b\"");
	REFUSES("3", "\"a\"b\"\n");
	REFUSES("3", "\"a\"\"\n");
	REFUSES("3", "\"a,\"x\n");
	REFUSES("3", "\"a,\" \n");
	REFUSES("3", " \"a,\"\n");
	REFUSES("3", "\"");
	REFUSES("3", "\"\"");
	REFUSES("3", "\"\"\"\n");
	REFUSES("33", "\"a,\"\"b\"\n");
	/* bytes left over, rows that do not match */
	REFUSES("1", "1\n2\n");
	REFUSES("1", "1\nx");
	REFUSES("1", "1\n\n");
	{
		side_of(&side, "1");
		buf_addc(&side, VAL_INT); /* a second row, no second line */
		CHECK(typed_of(side.data, side.len, (const uint8_t *)"1\n", 2, NULL) == -EUCLEAN);
		CHECK(typed_of(side.data, side.len, (const uint8_t *)"1\n2\n", 4, NULL) == 0);
		side.data[side.len - 1] = VAL_BLOB + 1;
		CHECK(typed_of(side.data, side.len, (const uint8_t *)"1\n2\n", 4, NULL) ==
		      -EUCLEAN);
		side.data[0] = CHUNK_VERSION + 1;
		CHECK(typed_of(side.data, side.len, (const uint8_t *)"1\n", 2, NULL) == -EUCLEAN);
		CHECK(typed_of(NULL, 0, NULL, 0, NULL) == -EUCLEAN);
	}
	/* a rowid difference not in its shortest form (the renderer never writes one) */
	{
		struct chunk_shape sr = { .nhidden = 1, .ncols = 1, .nkey = 1 };
		buf_reset(&side);
		chunk_shape_encode(&side, &sr);
		size_t h = side.len;
		static const uint8_t row[] = { VAL_INT, 0x0a, VAL_INT };
		static const uint8_t longer[] = { VAL_INT, 0x8a, 0x00, VAL_INT };
		buf_add(&side, row, sizeof(row));
		CHECK(typed_of(side.data, side.len, (const uint8_t *)"7\n", 2, &typed) == 0);
		CHECK(typed.len == h + 4 && typed.data[h + 1] == 10 && typed.data[h + 3] == 14);
		side.len = h;
		buf_add(&side, longer, sizeof(longer));
		CHECK(typed_of(side.data, side.len, (const uint8_t *)"7\n", 2, NULL) == -EUCLEAN);
	}

	/*
	 * What the renderer cannot give back (what framed_typed returns instead
	 * renders to the same CSV and side stream, which typed_of checks): a
	 * NaN of other bits comes back as strtod's NaN, and a varint longer than
	 * it needs to be (value_encode never writes one) in its shortest form.
	 */
	{
		struct buf csv = BUF_INIT, back = BUF_INIT;
		struct chunk_shape sn = { .nhidden = 0, .ncols = 1, .nkey = 1 };
		uint64_t nr, bits;
		double nan_bits;
		buf_reset(&typed);
		chunk_shape_encode(&typed, &sn);
		size_t h = typed.len;
		buf_addc(&typed, VAL_REAL);
		buf_add_u64le(&typed, UINT64_C(0xfff8000000000123)); /* a negative NaN, a payload */
		buf_reset(&side);
		CHECK(render_csv_chunk_side(typed.data, typed.len, &csv, &side, &nr) == 0);
		CHECK(csv.len == 4 && !memcmp(csv.data, "NaN\n", 4));
		CHECK(typed_of(side.data, side.len, csv.data, csv.len, &back) == 0);
		nan_bits = strtod("NaN", NULL);
		memcpy(&bits, &nan_bits, 8);
		CHECK(back.len == h + 9 && get_u64le(back.data + h + 1) == bits);
		CHECK(!typed_inverts(typed.data, typed.len));
		typed.len = h + 1;
		buf_add_u64le(&typed, bits);
		CHECK(typed_inverts(typed.data, typed.len));
		/* an INTEGER 1 as a two-byte varint */
		typed.len = h;
		static const uint8_t overlong[] = { VAL_INT, 0x82, 0x00 };
		buf_add(&typed, overlong, sizeof(overlong));
		buf_reset(&csv);
		buf_reset(&side);
		CHECK(render_csv_chunk_side(typed.data, typed.len, &csv, &side, &nr) == 0);
		CHECK(typed_of(side.data, side.len, csv.data, csv.len, &back) == 0);
		CHECK(back.len == h + 2 && back.data[h + 1] == 2);
		CHECK(!typed_inverts(typed.data, typed.len));
		buf_release(&csv);
		buf_release(&back);
	}

	buf_release(&typed);
	buf_release(&side);
}
#undef ACCEPTS
#undef REFUSES

/*
 * SFC3: bodies of segments cut at row boundaries, built here as a backup
 * builds them (each segment a typed chunk: framed_render, then
 * framed3_compress_seg; ids by chunk_id_of and framed3_chunk_id; then
 * framed3_assemble), and read back through everything in frames.c.
 */

/* The offsets of a typed chunk's rows, *nrows + 1 of them: the first is the header's length. */
static size_t *row_starts(const uint8_t *typed, size_t n, size_t *nrows)
{
	struct chunk_shape s;
	struct value v;
	struct rd r;
	size_t cap = 16, k = 0, *at = xmalloc(cap * sizeof(*at));

	rd_init(&r, typed, n);
	if (chunk_shape_decode(&r, &s))
		abort();
	for (;;) {
		if (k == cap) {
			cap *= 2;
			at = xrealloc(at, cap * sizeof(*at));
		}
		at[k++] = (size_t)(r.p - typed);
		if (!rd_left(&r))
			break;
		for (unsigned i = 0; i < s.nhidden + s.ncols; i++)
			if (value_decode(&r, &v))
				abort();
	}
	*nrows = k - 1;
	return at;
}

/* One SFC3 test body, and what it was made from. */
struct b3 {
	const char *name;
	struct buf typed; /* the merged typed chunk: what framed_body_typed must give back */
	struct buf csv;   /* the segments' CSV, in order: the chunk's */
	struct buf side;  /* the segments' side streams, in order */
	struct buf body;
	struct pack_entry e;
	uint32_t nsegs;
	struct framed3_seg *segs;
	struct framed3_part *parts; /* pointing into the three buffers below */
	struct buf side_z, csv_z, clens;
};

static void b3_free(struct b3 *b)
{
	buf_release(&b->typed);
	buf_release(&b->csv);
	buf_release(&b->side);
	buf_release(&b->body);
	buf_release(&b->side_z);
	buf_release(&b->csv_z);
	buf_release(&b->clens);
	free(b->segs);
	free(b->parts);
	memset(b, 0, sizeof(*b));
}

/* The body of the n typed chunks seg[] as segments; b->typed is the caller's. */
static void b3_from(struct b3 *b, const struct buf *seg, uint32_t n)
{
	struct buf csv = BUF_INIT, side = BUF_INIT;
	size_t *zo = xcalloc(n, sizeof(size_t)), *co = xcalloc(n, sizeof(size_t));
	size_t *lo = xcalloc(n, sizeof(size_t));
	uint64_t nr, rows = 0;
	struct chunk_id id;

	b->nsegs = n;
	b->segs = xcalloc(n, sizeof(*b->segs));
	b->parts = xcalloc(n, sizeof(*b->parts));
	for (uint32_t i = 0; i < n; i++) {
		struct framed3_seg *g = &b->segs[i];
		CHECK(framed_render(seg[i].data, seg[i].len, &csv, &side, &nr) == 0 && nr > 0);
		zo[i] = b->side_z.len;
		co[i] = b->csv_z.len;
		lo[i] = b->clens.len;
		int rc = framed3_compress_seg(&csv, &side, cctx, &b->side_z, &b->csv_z, &b->clens,
					      g);
		CHECKF(rc == 0, "%s: framed3_compress_seg rc %d", b->name, rc);
		CHECK(g->csv_len == csv.len && g->side_ulen == side.len &&
		      g->side_clen == b->side_z.len - zo[i] && g->csv_clen == b->csv_z.len - co[i]);
		CHECK(b->clens.len - lo[i] == 4 * ((csv.len + FRAMED3_FRAME - 1) / FRAMED3_FRAME));
		g->nrows = (uint32_t)nr;
		g->typed_len = (uint32_t)seg[i].len;
		chunk_id_of(&id, seg[i].data, seg[i].len);
		memcpy(g->id, id.b, 16);
		buf_add(&b->csv, csv.data, csv.len);
		buf_add(&b->side, side.data, side.len);
		rows += nr;
	}
	for (uint32_t i = 0; i < n; i++) {
		b->parts[i].s = b->segs[i];
		b->parts[i].side_z = b->side_z.data + zo[i];
		b->parts[i].csv_z = b->csv_z.data + co[i];
		b->parts[i].clens = (const uint32_t *)(const void *)(b->clens.data + lo[i]);
	}
	memset(&b->e, 0, sizeof(b->e));
	framed3_chunk_id(b->segs, n, &b->e.id);
	int rc = framed3_assemble(b->parts, n, &b->e.id, &b->body);
	CHECKF(rc == 0, "%s: framed3_assemble rc %d", b->name, rc);
	b->e.clen = (uint32_t)b->body.len;
	b->e.ulen = (uint32_t)b->typed.len;
	b->e.nrows = rows;
	b->e.csv_len = b->csv.len;
	free(zo);
	free(co);
	free(lo);
	buf_release(&csv);
	buf_release(&side);
}

/* b->typed cut into segments starting at rows cut[0] = 0 < cut[1] < ... < cut[n - 1]. */
static void b3_build(struct b3 *b, const size_t *cut, uint32_t n)
{
	struct buf *seg = xcalloc(n, sizeof(*seg)), whole = BUF_INIT;
	size_t nrows, *at = row_starts(b->typed.data, b->typed.len, &nrows);
	uint64_t nr;

	for (uint32_t i = 0; i < n; i++) {
		size_t r0 = cut[i], r1 = i + 1 < n ? cut[i + 1] : nrows;
		if (r0 >= r1 || r1 > nrows)
			abort();
		buf_add(&seg[i], b->typed.data, at[0]);
		buf_add(&seg[i], b->typed.data + at[r0], at[r1] - at[r0]);
	}
	b3_from(b, seg, n);
	/* CSV is rendered row by row: the segments' make the chunk's */
	CHECK(render_csv_chunk(b->typed.data, b->typed.len, &whole, &nr) == 0 && nr == nrows);
	CHECKF(whole.len == b->csv.len && !memcmp(whole.data, b->csv.data, whole.len),
	       "%s: the segments' CSV is not the chunk's", b->name);
	for (uint32_t i = 0; i < n; i++)
		buf_release(&seg[i]);
	free(seg);
	free(at);
	buf_release(&whole);
}

/* b->typed cut every `every` rows. */
static void b3_build_every(struct b3 *b, size_t every)
{
	size_t nrows, *at = row_starts(b->typed.data, b->typed.len, &nrows);
	uint32_t n = (uint32_t)((nrows + every - 1) / every);
	size_t *cut = xmalloc(n * sizeof(*cut));
	for (uint32_t i = 0; i < n; i++)
		cut[i] = i * every;
	b3_build(b, cut, n);
	free(cut);
	free(at);
}

/* The body as the comment in strata/frames.h lays it out, from b's compressed parts. */
static void b3_hand(const struct b3 *b, struct buf *out)
{
	uint32_t nframes = 0;

	for (uint32_t i = 0; i < b->nsegs; i++)
		nframes += (b->segs[i].csv_len + FRAMED3_FRAME - 1) / FRAMED3_FRAME;
	buf_reset(out);
	buf_add(out, "SFC3", 4);
	buf_add_u32le(out, b->nsegs);
	buf_add_u32le(out, nframes);
	buf_add_u32le(out, 0);
	buf_add_u64le(out, 0); /* the tables' xxh3-64, below */
	buf_add_u64le(out, 0);
	buf_add(out, b->e.id.b, 16);
	for (uint32_t i = 0; i < b->nsegs; i++) {
		const struct framed3_seg *g = &b->segs[i];
		buf_add_u32le(out, g->nrows);
		buf_add_u32le(out, g->typed_len);
		buf_add_u32le(out, g->csv_len);
		buf_add_u32le(out, g->csv_clen);
		buf_add_u32le(out, g->side_ulen);
		buf_add_u32le(out, g->side_clen);
		buf_add_u64le(out, g->zsum);
		buf_add(out, g->id, 16);
	}
	for (uint32_t i = 0; i < b->nsegs; i++) {
		uint32_t nf = (b->segs[i].csv_len + FRAMED3_FRAME - 1) / FRAMED3_FRAME;
		for (uint32_t j = 0; j < nf; j++)
			buf_add_u32le(out, b->parts[i].clens[j]);
	}
	put_u64le(out->data + 16, XXH3_64bits(out->data + 48, out->len - 48));
	for (uint32_t i = 0; i < b->nsegs; i++)
		buf_add(out, b->parts[i].side_z, b->segs[i].side_clen);
	for (uint32_t i = 0; i < b->nsegs; i++)
		buf_add(out, b->parts[i].csv_z, b->segs[i].csv_clen);
}

/* The chunk id of segment ids, from the comment (xxh3-128, canonical): not through frames.c. */
static void ids_hash(const struct framed3_seg *s, uint32_t n, uint8_t out[16])
{
	uint8_t *ids = xmalloc(16 * (size_t)n);
	XXH128_canonical_t c;
	for (uint32_t i = 0; i < n; i++)
		memcpy(ids + 16 * (size_t)i, s[i].id, 16);
	XXH128_canonicalFromHash(&c, XXH3_128bits(ids, 16 * (size_t)n));
	memcpy(out, c.digest, 16);
	free(ids);
}

/*
 * Recompute what a body's writer would after a change to its tables: the
 * tables' xxh3-64, and (with_id) the chunk id from the segment ids, which
 * *id receives (the entry's, for the body to be read under).
 */
static void b3_reseal(uint8_t *p, bool with_id, struct chunk_id *id)
{
	uint32_t n = get_u32le(p + 4), nframes = get_u32le(p + 8);
	struct framed3_seg *s = xcalloc(n, sizeof(*s));
	for (uint32_t i = 0; i < n; i++)
		memcpy(s[i].id, p + 48 + 48 * (size_t)i + 32, 16);
	if (with_id) {
		framed3_chunk_id(s, n, id);
		memcpy(p + 32, id->b, 16);
	}
	put_u64le(p + 16, XXH3_64bits(p + 48, 48 * (size_t)n + 4 * (size_t)nframes));
	free(s);
}

/* framed_body_typed on a copy: rc, and whether what it gave is the chunk (and its CSV). */
static int b3_typed(const struct b3 *b, const uint8_t *p, size_t n, const struct pack_entry *e,
		    bool *same)
{
	struct buf typed = BUF_INIT, csv = BUF_INIT;
	buf_adds(&typed, "keep");
	buf_adds(&csv, "kept");
	int rc = framed_body_typed(p, n, e, dctx, &typed, &csv, true);
	CHECKF(rc == 0 || rc == -EUCLEAN || rc == -EBADMSG, "framed_body_typed rc %d", rc);
	CHECK(!memcmp(typed.data, "keep", 4) && !memcmp(csv.data, "kept", 4));
	if (rc)
		CHECKF(typed.len == 4 && csv.len == 4, "%s: refused, yet %zu typed, %zu CSV bytes",
		       b->name, typed.len - 4, csv.len - 4);
	*same = rc == 0 && typed.len == 4 + b->typed.len && csv.len == 4 + b->csv.len &&
		!memcmp(typed.data + 4, b->typed.data, b->typed.len) &&
		!memcmp(csv.data + 4, b->csv.data, b->csv.len);
	buf_release(&typed);
	buf_release(&csv);
	return rc;
}

/* framed_check on a copy: rc, and whether its CSV is the chunk's. */
static int b3_csv(const struct b3 *b, const uint8_t *p, size_t n, const struct pack_entry *e,
		  bool *same)
{
	struct buf csv = BUF_INIT;
	int rc = framed_check(p, n, e, dctx, &csv, NULL);
	CHECKF(rc == 0 || rc == -EUCLEAN || rc == -EBADMSG, "framed_check rc %d", rc);
	*same = rc == 0 && csv.len == b->csv.len && !memcmp(csv.data, b->csv.data, csv.len);
	if (rc)
		CHECK(csv.len == 0);
	buf_release(&csv);
	return rc;
}

/* The table of a parsed body against what b was built from. */
static void b3_toc(const struct b3 *b, const struct framed_toc *t)
{
	uint64_t hlen = FRAMED_HEADER + 48 * (uint64_t)b->nsegs + 4 * (uint64_t)t->nframes;
	uint64_t csv = 0, side_at = hlen;
	uint32_t k = 0;
	size_t bad = 0;

	CHECK(t->version == 3 && t->frame_size == 0 && t->nsegs == b->nsegs);
	CHECK(t->sum == get_u64le(b->body.data + 16) && t->side_off == 0 && t->side_ulen == 0);
	for (uint32_t i = 0; i < b->nsegs; i++) {
		const struct framed3_seg *g = &t->segs[i];
		uint32_t nf = (g->csv_len + FRAMED3_FRAME - 1) / FRAMED3_FRAME;
		uint64_t clen = 0;
		bad += memcmp(g, &b->segs[i], sizeof(*g)) != 0;
		bad += t->soff[i] != side_at || t->sfirst[i] != k || t->coff[k] != csv;
		for (uint32_t j = 0; j < nf; j++, k++) {
			size_t len = framed_frame_len(t, &b->e, k);
			uint32_t want = g->csv_len - j * FRAMED3_FRAME;
			bad += len != (want < FRAMED3_FRAME ? want : FRAMED3_FRAME);
			bad += t->foff[k + 1] - t->foff[k] != b->parts[i].clens[j];
			clen += t->foff[k + 1] - t->foff[k];
			/* the frame of its first and of its last byte */
			bad += framed_frame_at(t, t->coff[k]) != k;
			bad += framed_frame_at(t, t->coff[k + 1] - 1) != k;
			if (len > 2)
				bad += framed_frame_at(t, t->coff[k] + len / 2) != k;
		}
		bad += clen != g->csv_clen;
		side_at += g->side_clen;
		csv += g->csv_len;
	}
	CHECKF(bad == 0, "%s: %zu table values wrong", b->name, bad);
	CHECK(k == t->nframes && t->sfirst[b->nsegs] == k);
	CHECK(t->soff[b->nsegs] == side_at && t->foff[0] == side_at);
	CHECK(t->coff[k] == csv && csv == b->e.csv_len && t->foff[k] == b->e.clen);
}

/* Everything that must hold for a well-formed SFC3 body. */
static void b3_check(struct b3 *b)
{
	const struct pack_entry *e = &b->e;
	const uint8_t *p = b->body.data;
	const size_t n = b->body.len;
	struct framed_toc t;
	size_t need;
	bool same;
	int rc;

	CHECK(framed_is(p, n) && !memcmp(p, FRAMED3_MAGIC, 4));
	/* the layout of the comment in frames.h, the id from the segment ids */
	{
		struct buf hand = BUF_INIT;
		uint8_t want[16];
		b3_hand(b, &hand);
		CHECKF(hand.len == n && !memcmp(hand.data, p, n),
		       "%s: body differs from the documented layout", b->name);
		ids_hash(b->segs, b->nsegs, want);
		CHECK(!memcmp(want, e->id.b, 16));
		buf_release(&hand);
	}
	/* the same parts, the same bytes */
	{
		struct buf again = BUF_INIT;
		CHECK(framed3_assemble(b->parts, b->nsegs, &e->id, &again) == 0 && again.len == n &&
		      !memcmp(again.data, p, n));
		buf_release(&again);
	}

	rc = framed_parse(p, n, e, &t, &need);
	CHECKF(rc == 0, "%s: framed_parse rc %d", b->name, rc);
	if (rc)
		return;
	size_t hlen = FRAMED_HEADER + 48 * (size_t)b->nsegs + 4 * (size_t)t.nframes;
	CHECK(need == hlen);
	b3_toc(b, &t);

	/* each frame alone: its slice of the CSV; each side frame: its segment's side stream */
	uint8_t *u = xmalloc(FRAMED3_FRAME);
	size_t bad = 0, side_at = 0;
	for (uint32_t k = 0; k < t.nframes; k++) {
		size_t len = framed_frame_len(&t, e, k);
		bad += framed_decode(p + t.foff[k], (size_t)(t.foff[k + 1] - t.foff[k]), len, dctx,
				     u) != 0 ||
		       memcmp(u, b->csv.data + t.coff[k], len);
	}
	for (uint32_t i = 0; i < t.nsegs; i++) {
		uint32_t ul = t.segs[i].side_ulen;
		uint8_t *s = xmalloc(ul);
		bad += framed_decode(p + t.soff[i], (size_t)(t.soff[i + 1] - t.soff[i]), ul, dctx,
				     s) != 0 ||
		       memcmp(s, b->side.data + side_at, ul);
		side_at += ul;
		free(s);
	}
	CHECKF(bad == 0 && side_at == b->side.len, "%s: %zu frames wrong", b->name, bad);
	free(u);

	/* the table copied as a reader caches it, struct and block in one allocation */
	{
		size_t bytes = framed_toc_bytes(&t);
		CHECK(bytes >= 2 * (t.nframes + 1) * sizeof(uint64_t) +
				       t.nsegs * sizeof(struct framed3_seg));
		uint8_t *copy = xmalloc(sizeof(t) + bytes);
		memcpy(copy, &t, sizeof(t));
		memcpy(copy + sizeof(t), t.foff, bytes);
		struct framed_toc *c = (struct framed_toc *)(void *)copy;
		framed_toc_rebase(c, copy + sizeof(t));
		CHECK((uint8_t *)c->foff == copy + sizeof(t) && framed_toc_bytes(c) == bytes);
		framed_toc_free(&t); /* the original's block gone: the copy stands alone */
		CHECK(t.foff == NULL && t.coff == NULL && t.segs == NULL && t.soff == NULL &&
		      t.sfirst == NULL);
		b3_toc(b, c);
		free(copy);
	}

	/* every shorter prefix of the header and tables: -EAGAIN and what is needed */
	size_t wrong = 0;
	for (size_t k = 0; k < hlen; k += k < 4096 ? 1 : 61) {
		rc = framed_parse(p, k, e, &t, &need);
		wrong += rc != -EAGAIN || need != (k < FRAMED_HEADER ? FRAMED_HEADER : hlen) ||
			 t.foff != NULL;
	}
	CHECKF(wrong == 0, "%s: %zu truncated tables not -EAGAIN", b->name, wrong);

	/* the whole check: the CSV and the side streams */
	struct buf csv = BUF_INIT, side = BUF_INIT;
	buf_adds(&csv, "P");
	rc = framed_check(p, n, e, dctx, &csv, &side);
	CHECKF(rc == 0 && csv.len == 1 + b->csv.len &&
		       !memcmp(csv.data + 1, b->csv.data, b->csv.len),
	       "%s: framed_check rc %d, %zu CSV bytes", b->name, rc, csv.len - 1);
	CHECK(side.len == b->side.len && !memcmp(side.data, b->side.data, side.len));
	CHECK(framed_check(p, n, e, dctx, NULL, NULL) == 0);
	CHECK(framed_check_rows(p, n, e, dctx, NULL, NULL, false) == 0);
	buf_release(&csv);
	buf_release(&side);

	/* the typed chunk back: one header, every row; with and without its CSV */
	rc = b3_typed(b, p, n, e, &same);
	CHECKF(rc == 0 && same, "%s: framed_body_typed rc %d", b->name, rc);
	{
		struct buf typed = BUF_INIT;
		CHECK(framed_body_typed(p, n, e, dctx, &typed, NULL, false) == 0 &&
		      typed.len == b->typed.len && !memcmp(typed.data, b->typed.data, typed.len));
		buf_release(&typed);
	}

	/* a body under another entry's id: refused */
	struct pack_entry x = *e;
	for (int i = 0; i < 16; i += 5) {
		x = *e;
		x.id.b[i] ^= 0x04;
		CHECK(b3_csv(b, p, n, &x, &same) == -EUCLEAN);
		CHECK(b3_typed(b, p, n, &x, &same) == -EUCLEAN);
	}
}

/*
 * Damage to an SFC3 body: every byte of the header and tables refused
 * (the tables' checksum); changes to the tables with their checksum made
 * right again refused by what they contradict; every step-th byte of the
 * frames refused or read as the same CSV and the same typed rows; entries
 * that lie and bodies cut short refused.
 */
static void b3_damage(struct b3 *b, size_t step)
{
	const struct pack_entry *e = &b->e;
	const size_t n = b->body.len;
	uint8_t *c = xmalloc(n + 1);
	struct framed_toc t;
	struct pack_entry x;
	size_t need, bad = 0;
	bool same;
	int rc;

	CHECK(framed_parse(b->body.data, n, e, &t, &need) == 0);
	if (!t.foff) {
		free(c);
		return;
	}
	size_t hlen = (size_t)t.soff[0];

	for (size_t off = 0; off < hlen; off++) {
		static const uint8_t masks[] = { 0x01, 0x80, 0xff };
		for (int m = 0; m < 3; m++) {
			memcpy(c, b->body.data, n);
			c[off] ^= masks[m];
			rc = b3_csv(b, c, n, e, &same);
			bad += !(rc == -EUCLEAN || rc == -EBADMSG);
			if (off >= 48 || m == 0) {
				/* the tables: their checksum, exactly */
				rc = b3_typed(b, c, n, e, &same);
				bad += off >= 48 ? rc != -EBADMSG : rc == 0;
			}
		}
	}
	CHECKF(bad == 0, "%s: %zu header or table flips accepted", b->name, bad);
	memcpy(c, b->body.data, n);
	c[13] = 1; /* reserved */
	CHECK(b3_csv(b, c, n, e, &same) == -EUCLEAN);
	memcpy(c, b->body.data, n);
	c[30] = 1; /* reserved */
	CHECK(b3_csv(b, c, n, e, &same) == -EUCLEAN);

	/* the tables changed, their checksum right: refused by what each value contradicts */
	bad = 0;
	for (size_t off = 48; off < hlen; off++) {
		static const uint8_t masks[] = { 0x01, 0x10, 0x80 };
		for (int m = 0; m < 3; m++) {
			memcpy(c, b->body.data, n);
			c[off] ^= masks[m];
			b3_reseal(c, false, NULL);
			rc = b3_csv(b, c, n, e, &same);
			/* a segment's typed_len is read only with its rows (and a CSV of other
			 * frames' lengths would not decode): the CSV, when given, is the same */
			bad += !(rc == -EUCLEAN || rc == -EBADMSG || (rc == 0 && same));
			rc = b3_typed(b, c, n, e, &same);
			bad += !(rc == -EUCLEAN || rc == -EBADMSG);
		}
	}
	CHECKF(bad == 0, "%s: %zu resealed table flips accepted", b->name, bad);

	/* rows moved to the next segment in the table: the sums agree, the side streams not */
	for (uint32_t i = 0; i + 1 < b->nsegs; i++) {
		if (b->segs[i + 1].nrows < 2)
			continue;
		memcpy(c, b->body.data, n);
		put_u32le(c + 48 + 48 * (size_t)i, b->segs[i].nrows + 1);
		put_u32le(c + 48 + 48 * (size_t)(i + 1), b->segs[i + 1].nrows - 1);
		b3_reseal(c, false, NULL);
		CHECK(b3_csv(b, c, n, e, &same) == -EUCLEAN);
		CHECK(b3_typed(b, c, n, e, &same) == -EUCLEAN);
		break;
	}

	/*
	 * A segment id changed and the chunk id made from the ids again: the
	 * body is consistent, its frames all right, and its CSV is served; but
	 * that segment's rows are not what its id names.
	 */
	for (uint32_t i = 0; i < b->nsegs; i += 1 + b->nsegs / 4) {
		memcpy(c, b->body.data, n);
		c[48 + 48 * (size_t)i + 32 + i % 16] ^= 0x08;
		x = *e;
		b3_reseal(c, true, &x.id);
		CHECK(b3_csv(b, c, n, &x, &same) == 0 && same);
		CHECK(b3_typed(b, c, n, &x, &same) == -EBADMSG);
		/* the ids do not make the entry's id any more */
		CHECK(b3_csv(b, c, n, e, &same) == -EUCLEAN);
		b3_reseal(c, false, NULL);
		memcpy(c + 32, e->id.b, 16);
		CHECK(b3_csv(b, c, n, e, &same) == -EBADMSG);
	}
	/* a zsum that is not its segment's bytes' (the table resealed): a whole check refuses it */
	for (uint32_t i = 0; i < b->nsegs; i += 1 + b->nsegs / 4) {
		memcpy(c, b->body.data, n);
		c[48 + 48 * (size_t)i + 24 + i % 8] ^= 0x01;
		b3_reseal(c, false, NULL);
		CHECK(b3_csv(b, c, n, e, &same) == -EBADMSG);
		CHECK(b3_typed(b, c, n, e, &same) == -EBADMSG);
	}

	/* the frames, every step-th byte: never other CSV, never other rows */
	size_t flips = 0, refused = 0;
	bad = 0;
	for (size_t off = hlen; off < n; off += step) {
		static const uint8_t masks[] = { 0x01, 0x10, 0x80 };
		for (int m = 0; m < 3; m++) {
			memcpy(c, b->body.data, n);
			c[off] ^= masks[m];
			rc = b3_csv(b, c, n, e, &same);
			flips++;
			if (rc) {
				refused++;
				continue;
			}
			bad += !same;
			rc = b3_typed(b, c, n, e, &same);
			bad += !(rc == 0 && same);
		}
	}
	fprintf(stderr, "%s: %zu frame byte flips: %zu refused, the rest read the same\n", b->name,
		flips, refused);
	CHECK(bad == 0 && refused > flips * 9 / 10);

	/* lying entries */
	static const int64_t deltas[] = { 1, -1, 4096 };
	for (size_t i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		x = *e;
		x.csv_len += (uint64_t)deltas[i];
		CHECK(b3_csv(b, b->body.data, n, &x, &same) == -EUCLEAN);
		x = *e;
		x.nrows += (uint64_t)deltas[i];
		CHECK(b3_csv(b, b->body.data, n, &x, &same) == -EUCLEAN);
		CHECK(b3_typed(b, b->body.data, n, &x, &same) == -EUCLEAN);
	}
	/*
	 * A lying ulen (the merged typed size, which reads do not use, as for
	 * SFC2) does not stop reads; the rows come back whole, and chunk_check
	 * compares their length with it (unit tests of it through a pack below)
	 */
	x = *e;
	x.ulen = 1u << 31;
	CHECK(b3_csv(b, b->body.data, n, &x, &same) == 0 && same);
	CHECK(b3_typed(b, b->body.data, n, &x, &same) == 0 && same);
	x = *e;
	x.nrows = 0;
	x.csv_len = 0;
	CHECK(b3_csv(b, b->body.data, n, &x, &same) == -EUCLEAN);
	/* clen: more or less than the body */
	memcpy(c, b->body.data, n);
	c[n] = 0;
	x = *e;
	x.clen = (uint32_t)n + 1;
	CHECK(b3_csv(b, c, n + 1, &x, &same) == -EUCLEAN);
	CHECK(b3_csv(b, c, n, &x, &same) == -EUCLEAN);
	x.clen = (uint32_t)n - 1;
	CHECK(b3_csv(b, c, n - 1, &x, &same) == -EUCLEAN);
	/* cut short, with the entry as it is and with the entry saying so */
	bad = 0;
	for (size_t cut = 0; cut < n; cut += cut < 256 ? 1 : step * 7) {
		x = *e;
		bad += b3_csv(b, b->body.data, cut, &x, &same) != -EUCLEAN;
		x.clen = (uint32_t)cut;
		rc = b3_csv(b, b->body.data, cut, &x, &same);
		bad += rc != -EUCLEAN && rc != -EBADMSG;
	}
	CHECKF(bad == 0, "%s: %zu cut bodies accepted", b->name, bad);

	framed_toc_free(&t);
	free(c);
}

/* A rowid table (rowid; a, b): row `at` of which holds a text of len pseudo-random letters. */
static void chunk_long_text(struct buf *c, unsigned nrows, unsigned at, size_t len)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 2, .nkey = 1 };
	unsigned long long seed = 11;
	char *t = xmalloc(len);
	char row[32];

	for (size_t i = 0; i < len; i++)
		t[i] = (char)('a' + test_rand(&seed) % 26);
	for (size_t i = 0; i < len; i += 997)
		t[i] = i % 2 ? ',' : '"'; /* quoted, with quotes doubled */
	chunk_shape_encode(c, &s);
	for (unsigned i = 0; i < nrows; i++) {
		snprintf(row, sizeof(row), "row %u", i);
		struct value v[3] = { vint(1000 + 2 * (int64_t)i), vint(i),
				      i == at ? vtextn(t, len) : vtext(row) };
		for (int k = 0; k < 3; k++)
			value_encode(c, &v[k]);
	}
	free(t);
}

/*
 * Segments of different shapes, each consistent: read as CSV, refused as
 * one typed chunk.  Headers of other lengths (rowid, WITHOUT ROWID), and
 * of the same length (5 columns, 1 column).
 */
static void b3_shapes(void)
{
	static const int64_t ids[] = { 7, 8, 9 };
	for (int v = 0; v < 2; v++) {
		struct b3 b = { .name = v ? "two-shapes-same-length" : "two-shapes" };
		struct buf seg[2] = { BUF_INIT, BUF_INIT };
		bool same;
		chunk_rowid(&seg[0], 5);
		if (v)
			chunk_rowids(&seg[1], ids, 3);
		else
			chunk_without_rowid(&seg[1], 5);
		size_t hl = shape_len(seg[0].data, seg[0].len);
		CHECK(v == (hl == shape_len(seg[1].data, seg[1].len)));
		/* what merging would give, had the headers been the same */
		buf_add(&b.typed, seg[0].data, seg[0].len);
		buf_add(&b.typed, seg[1].data + hl, seg[1].len - hl);
		b3_from(&b, seg, 2);
		CHECK(b3_csv(&b, b.body.data, b.body.len, &b.e, &same) == 0);
		CHECK(b3_typed(&b, b.body.data, b.body.len, &b.e, &same) == -EUCLEAN);
		b3_free(&b);
		buf_release(&seg[0]);
		buf_release(&seg[1]);
	}
}

/*
 * A consistent forgery: one segment's CSV changed by a digit and framed
 * again, its table entry and id left: every checksum is right and reads
 * serve it; the segment's rows do not match its id (chunk_check).
 */
static void b3_forgery(struct b3 *b, const char *dir)
{
	struct buf csv = BUF_INIT, side = BUF_INIT, sz = BUF_INIT, cz = BUF_INIT, cl = BUF_INIT;
	struct buf body = BUF_INIT, seg = BUF_INIT, got = BUF_INIT;
	size_t nrows, *at = row_starts(b->typed.data, b->typed.len, &nrows);
	uint32_t i = b->nsegs / 2;
	uint64_t nr;
	bool same;

	/* segment i's typed chunk again: the rows before it are the other segments' */
	size_t r0 = 0;
	for (uint32_t k = 0; k < i; k++)
		r0 += b->segs[k].nrows;
	buf_add(&seg, b->typed.data, at[0]);
	buf_add(&seg, b->typed.data + at[r0], at[r0 + b->segs[i].nrows] - at[r0]);
	CHECK(framed_render(seg.data, seg.len, &csv, &side, &nr) == 0);
	size_t k = 0;
	while (k < csv.len && (csv.data[k] < '1' || csv.data[k] > '8'))
		k++;
	CHECK(k < csv.len);
	csv.data[k]++;
	struct framed3_part *p = xmalloc(b->nsegs * sizeof(*p));
	memcpy(p, b->parts, b->nsegs * sizeof(*p));
	CHECK(framed3_compress_seg(&csv, &side, cctx, &sz, &cz, &cl, &p[i].s) == 0);
	p[i].side_z = sz.data;
	p[i].csv_z = cz.data;
	p[i].clens = (const uint32_t *)(const void *)cl.data;
	CHECK(framed3_assemble(p, b->nsegs, &b->e.id, &body) == 0);
	struct pack_entry e = b->e;
	e.clen = (uint32_t)body.len;
	CHECK(b3_csv(b, body.data, body.len, &e, &same) == 0 && !same);
	CHECK(b3_typed(b, body.data, body.len, &e, &same) == -EBADMSG);
	/* through a file, as verify reads it */
	char *path = xasprintf("%s/forged", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write_all(fd, body.data, body.len) == 0);
	close(fd);
	e.offset = 0;
	struct store_file *sf = test_file(path);
	CHECK(sf && chunk_read_csv(sf, &e, dctx, &got) == 0 && got.len == b->csv.len &&
	      memcmp(got.data, b->csv.data, got.len) != 0);
	CHECK(sf && chunk_check(sf, &e, dctx) == -EBADMSG);
	store_file_close(sf);
	unlink(path);
	free(path);
	free(p);
	free(at);
	buf_release(&csv);
	buf_release(&side);
	buf_release(&sz);
	buf_release(&cz);
	buf_release(&cl);
	buf_release(&body);
	buf_release(&seg);
	buf_release(&got);
}

/* SFC3 bodies in a real pack beside an SFC2 one: read, checked, frame by frame. */
static void b3_pack(struct b3 **bs, int nb, struct tc *sfc2)
{
	char *dir = make_tmpdir("frames3");
	struct pack_writer *w;
	struct store *st;
	char name[33];

	CHECK(store_open(dir, true, &st) == 0);
	CHECK(pack_writer_open(&w, st) == 0);
	for (int i = 0; i < nb; i++)
		CHECK(pack_writer_add(w, &bs[i]->e, bs[i]->body.data) == 0);
	CHECK(pack_writer_add(w, &sfc2->e, sfc2->body.data) == 0);
	CHECK(pack_writer_finish(w, name) == 0);
	store_free(st);

	char *path = xasprintf("%s/packs/%.2s/%s.pack", dir, name, name);
	struct store_file *f = test_file(path);
	struct pack_entry *e = NULL;
	size_t n = 0;
	uint64_t fsize;
	CHECK(f && pack_read_index(f, &e, &n, &fsize) == 0 && n == (size_t)nb + 1);
	for (size_t i = 0; e && i < n; i++) {
		struct b3 *b = NULL;
		for (int k = 0; k < nb; k++)
			if (!memcmp(bs[k]->e.id.b, e[i].id.b, 16))
				b = bs[k];
		CHECKF(chunk_check(f, &e[i], dctx) == 0, "chunk_check of entry %zu", i);
		if (!b)
			continue; /* the SFC2 one */
		struct buf csv = BUF_INIT;
		buf_adds(&csv, "keep");
		CHECK(chunk_read_csv(f, &e[i], dctx, &csv) == 0 && csv.len == 4 + b->csv.len &&
		      !memcmp(csv.data + 4, b->csv.data, b->csv.len));
		/* entries that lie: refused, the CSV as it was */
		struct pack_entry x = e[i];
		x.csv_len--;
		csv.len = 4;
		CHECK(chunk_read_csv(f, &x, dctx, &csv) == -EUCLEAN && csv.len == 4);
		x = e[i];
		x.ulen++; /* within what the table allows, not what the rows make */
		CHECK(chunk_check(f, &x, dctx) == -EUCLEAN);
		buf_release(&csv);

		struct framed_toc t;
		int rc = framed_read_toc(f, &e[i], &t);
		CHECKF(rc == 0, "%s: framed_read_toc rc %d", b->name, rc);
		if (rc)
			continue;
		b3_toc(b, &t);
		size_t bad = 0;
		for (uint32_t k = 0; k < t.nframes; k++) {
			uint8_t *u = NULL;
			size_t len = framed_frame_len(&t, &e[i], k);
			bad += framed_read_frame(f, &e[i], &t, k, dctx, &u) != 0 || !u ||
			       memcmp(u, b->csv.data + t.coff[k], len);
			free(u);
		}
		CHECKF(bad == 0, "%s: %zu frames read wrong", b->name, bad);
		framed_toc_free(&t);
	}
	store_file_close(f);
	b3_forgery(bs[0], dir);
	free(e);
	free(path);
	rm_rf(dir);
	free(dir);
}

/* What the writers refuse. */
static void b3_writers(struct b3 *b)
{
	struct buf csv = BUF_INIT, side = BUF_INIT, sz = BUF_INIT, cz = BUF_INIT, cl = BUF_INIT;
	struct buf out = BUF_INIT;
	struct framed3_seg s = { 0 };

	/* no CSV: a segment has a row */
	buf_adds(&side, "x");
	buf_adds(&sz, "kept");
	CHECK(framed3_compress_seg(&csv, &side, cctx, &sz, &cz, &cl, &s) == -EUCLEAN);
	CHECK(sz.len == 4 && cz.len == 0 && cl.len == 0);

	struct framed3_part *p = xmalloc(b->nsegs * sizeof(*p));
	memcpy(p, b->parts, b->nsegs * sizeof(*p));
	CHECK(framed3_assemble(p, 0, &b->e.id, &out) == -EINVAL);
	CHECK(framed3_assemble(p, FRAMED_MAX_FRAMES + 1, &b->e.id, &out) == -EINVAL);
	struct chunk_id other = b->e.id;
	other.b[7] ^= 1;
	CHECK(framed3_assemble(p, b->nsegs, &other, &out) == -EINVAL && out.len == 0);
	/* a table entry the parser would refuse */
	static const size_t field[] = { offsetof(struct framed3_seg, nrows),
					offsetof(struct framed3_seg, typed_len),
					offsetof(struct framed3_seg, csv_len),
					offsetof(struct framed3_seg, csv_clen),
					offsetof(struct framed3_seg, side_clen) };
	for (size_t f = 0; f < sizeof(field) / sizeof(field[0]); f++) {
		p[0].s = b->parts[0].s;
		memset((uint8_t *)&p[0].s + field[f], 0, 4);
		CHECKF(framed3_assemble(p, b->nsegs, &b->e.id, &out) == -EINVAL, "field %zu", f);
	}
	p[0].s = b->parts[0].s;
	p[0].s.csv_clen++; /* not the sum of its frames */
	CHECK(framed3_assemble(p, b->nsegs, &b->e.id, &out) == -EINVAL);
	/* a frame longer than zstd's bound for its content, the sum made right */
	uint32_t big = (uint32_t)ZSTD_compressBound(p[0].s.csv_len) + 1;
	p[0].s.csv_clen = big;
	p[0].clens = &big;
	CHECK(framed3_assemble(p, b->nsegs, &b->e.id, &out) == -EINVAL);
	p[0].clens = b->parts[0].clens;
	p[0].s = b->parts[0].s;
	/*
	 * A copied segment's bytes that are not what its zsum says (damage in
	 * the body it was copied from): -EBADMSG, for every segment, in its
	 * side frame as in its CSV frames
	 */
	for (uint32_t i = 0; i < b->nsegs; i++) {
		size_t sn = p[i].s.side_clen, cn = p[i].s.csv_clen;
		uint8_t *copy = xmalloc(sn + cn);
		memcpy(copy, p[i].side_z, sn);
		memcpy(copy + sn, p[i].csv_z, cn);
		const uint8_t *side_z = p[i].side_z, *csv_z = p[i].csv_z;
		p[i].side_z = copy;
		p[i].csv_z = copy + sn;
		for (size_t at = i % 2 ? sn + cn / 2 : sn / 2, k = 0; k < 2; k++, at = sn + cn - 1) {
			copy[at] ^= 0x20;
			CHECKF(framed3_assemble(p, b->nsegs, &b->e.id, &out) == -EBADMSG,
			       "%s: segment %u, byte %zu of its copy changed", b->name, i, at);
			copy[at] ^= 0x20;
		}
		CHECK(framed3_assemble(p, b->nsegs, &b->e.id, &out) == 0);
		p[i].side_z = side_z;
		p[i].csv_z = csv_z;
		free(copy);
	}
	CHECK(framed3_assemble(p, b->nsegs, &b->e.id, &out) == 0 && out.len == b->body.len &&
	      !memcmp(out.data, b->body.data, out.len));
	free(p);
	buf_release(&csv);
	buf_release(&side);
	buf_release(&sz);
	buf_release(&cz);
	buf_release(&cl);
	buf_release(&out);
}

static void sfc3(struct tc *sfc2)
{
	struct b3 one = { .name = "sfc3-one-segment" }, rows = { .name = "sfc3-row-each" };
	struct b3 some = { .name = "sfc3-some" }, worow = { .name = "sfc3-without-rowid" };
	struct b3 big = { .name = "sfc3-long-value" }, small = { .name = "sfc3-small" };

	chunk_rowid(&one.typed, 900);
	b3_build_every(&one, 900);
	chunk_rowid(&rows.typed, 300);
	b3_build_every(&rows, 1);
	chunk_rowid(&some.typed, 900);
	{
		static const size_t cut[] = { 0, 1, 2, 77, 78, 400, 899 };
		b3_build(&some, cut, sizeof(cut) / sizeof(cut[0]));
	}
	chunk_without_rowid(&worow.typed, 700);
	b3_build_every(&worow, 64);
	/* a row of 1.5 MiB: its segment has two CSV frames, the last shorter */
	chunk_long_text(&big.typed, 40, 20, (3u << 20) / 2);
	{
		static const size_t cut[] = { 0, 19, 20, 21 };
		b3_build(&big, cut, 4);
		CHECK(big.segs[1].csv_len < FRAMED3_FRAME && big.segs[2].csv_len > FRAMED3_FRAME &&
		      big.segs[2].csv_len < 2 * FRAMED3_FRAME && big.segs[2].nrows == 1);
		CHECK(get_u32le(big.body.data + 8) == 5);
	}
	chunk_rowid(&small.typed, 24);
	{
		static const size_t cut[] = { 0, 5, 6, 17 };
		b3_build(&small, cut, 4);
	}
	CHECK(one.nsegs == 1 && rows.nsegs == 300 && some.nsegs == 7 && worow.nsegs == 11);

	struct b3 *all[] = { &one, &rows, &some, &worow, &big, &small };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		b3_check(all[i]);
	/* built again: the same bytes */
	{
		struct b3 again = { .name = "sfc3-some-again" };
		static const size_t cut[] = { 0, 1, 2, 77, 78, 400, 899 };
		chunk_rowid(&again.typed, 900);
		b3_build(&again, cut, sizeof(cut) / sizeof(cut[0]));
		CHECK(again.body.len == some.body.len &&
		      !memcmp(again.body.data, some.body.data, some.body.len));
		b3_free(&again);
	}
	/* a 1-row segment of the SFC2 body's chunk: the chunk id differs, SFC2's is the rows' */
	CHECK(memcmp(one.e.id.b, sfc2->e.id.b, 16) != 0);

	b3_damage(&small, 1);
	b3_damage(&some, 5);
	b3_damage(&big, 997);
	b3_shapes();
	b3_writers(&some);
	struct b3 *packed[] = { &some, &big, &rows };
	b3_pack(packed, 3, sfc2);
	/* framed_is: both magics */
	CHECK(framed_is((const uint8_t *)"SFC3", 4) && !framed_is((const uint8_t *)"SFC4", 4));

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		b3_free(all[i]);
}

int main(void)
{
	cctx = ZSTD_createCCtx();
	dctx = ZSTD_createDCtx();
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);

	struct tc rowid = { .name = "rowid" }, worow = { .name = "without-rowid" };
	struct tc small = { .name = "small" }, one = { .name = "exact-4096" };
	struct tc exact = { .name = "exact-3x4096" }, big = { .name = "big-value" };
	struct tc plus1 = { .name = "3x4096+1" }, odd = { .name = "rowids-unsorted" };

	chunk_rowid(&rowid.typed, 900);
	chunk_without_rowid(&worow.typed, 700);
	chunk_rowid(&small.typed, 5);
	chunk_exact(&one.typed, FS, 100);
	chunk_exact(&exact.typed, 3 * FS, 1000);
	chunk_exact(&plus1.typed, 3 * FS + 1, 1000);
	/* 5 MiB of blob: 10 MiB of hex CSV, 2561 frames (and the CSV buffer is
	 * given back page by page while it is compressed) */
	chunk_big(&big.typed, 5u << 20);
	/* rowids out of order, extremes, a NULL (INT64_MIN + 1 here) */
	static const int64_t ids[] = { INT64_MAX, INT64_MIN, 0, INT64_MIN + 1, -1, 5, 4, 4 };
	chunk_rowids(&odd.typed, ids, sizeof(ids) / sizeof(ids[0]));

	struct tc *all[] = { &rowid, &worow, &small, &one, &exact, &plus1, &big, &odd };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tc_build(all[i], FS);
		check_body(all[i], FS);
	}
	CHECK(one.csv.len == FS && get_u32le(one.body.data + 8) == 1);
	CHECK(exact.csv.len == 3 * FS && get_u32le(exact.body.data + 8) == 3);
	CHECK(plus1.csv.len == 3 * FS + 1 && get_u32le(plus1.body.data + 8) == 4);
	CHECK(big.csv.len > (10u << 20) && get_u32le(big.body.data + 8) > 2560);
	CHECK(rowid.csv.len > 10 * FS && worow.csv.len > 5 * FS);
	/* the awkward values made it into the CSV */
#define HAS(s) (memmem(rowid.csv.data, rowid.csv.len, s, sizeof(s) - 1) != NULL)
	CHECK(HAS("-9223372036854775808,") && HAS("\n9223372036854775807,"));
	CHECK(HAS(",\"say \"\"hi\"\"\",") && HAS(",\"\",") && HAS(",Infinity,"));
	CHECK(HAS(",\\x,") && HAS(",\"two\nlines\",") && HAS(",\"\\.\","));
	CHECK(!HAS(",\"nul\0inside\"\n") && HAS(",nul\0inside\n"));
#undef HAS

	/* other frame sizes: one frame; a frame size that is not a power of two */
	{
		struct tc r2 = { .name = "rowid-128k" }, r3 = { .name = "rowid-5000" };
		chunk_rowid(&r2.typed, 900);
		chunk_rowid(&r3.typed, 900);
		tc_build(&r2, FRAMED_DEFAULT_FRAME);
		tc_build(&r3, 5000);
		struct framed_toc toc;
		size_t need;
		CHECK(framed_check(r2.body.data, r2.body.len, &r2.e, dctx, NULL, NULL) == 0);
		CHECK(framed_parse(r2.body.data, r2.body.len, &r2.e, &toc, &need) == 0 &&
		      toc.nframes == 1 && framed_frame_len(&toc, &r2.e, 0) == r2.csv.len);
		framed_toc_free(&toc);
		struct buf csv = BUF_INIT;
		CHECK(framed_check(r3.body.data, r3.body.len, &r3.e, dctx, &csv, NULL) == 0 &&
		      csv.len == r3.csv.len && !memcmp(csv.data, r3.csv.data, csv.len));
		buf_release(&csv);
		CHECK(framed_parse(r3.body.data, r3.body.len, &r3.e, &toc, &need) == 0 &&
		      toc.nframes == (r3.csv.len + 4999) / 5000);
		framed_toc_free(&toc);
		/* the same entry, another chunk's body: refused */
		CHECK(framed_check(r3.body.data, r3.body.len, &r2.e, dctx, NULL, NULL) == -EUCLEAN);
		tc_free(&r2);
		tc_free(&r3);
	}

	/* compressed as backup does at level 3 (greedy matching of 6+ bytes) */
	{
		ZSTD_CCtx *lvl3 = cctx;
		cctx = ZSTD_createCCtx();
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_strategy, ZSTD_greedy);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_minMatch, 6);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_searchLog, 3);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_hashLog, 17);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_chainLog, 17);
		struct tc g1 = { .name = "greedy-4096" }, g2 = { .name = "greedy-128k" };
		chunk_rowid(&g1.typed, 900);
		chunk_without_rowid(&g2.typed, 3000);
		tc_build(&g1, FS);
		check_body(&g1, FS);
		tc_build(&g2, FRAMED_DEFAULT_FRAME);
		check_body(&g2, FRAMED_DEFAULT_FRAME);
		CHECK(get_u32le(g2.body.data + 8) >= 1);
		tc_free(&g1);
		tc_free(&g2);
		ZSTD_freeCCtx(cctx);
		cctx = lvl3;
	}

	damage(&worow);
	damage(&plus1);
	bad_frames(&rowid);
	bad_side(&small);
	bad_side(&worow);
	edges();
	empty_chunk();
	side_growth();
	typed_inverse();
	struct tc *framed[] = { &rowid, &worow, &exact, &big };
	pack_roundtrip(&small, framed, 4);
	forgery(&rowid);
	sfc3(&rowid);

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		tc_free(all[i]);
	ZSTD_freeCCtx(cctx);
	ZSTD_freeDCtx(dctx);
	return check_done("unit-frames");
}
