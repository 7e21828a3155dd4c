/*
 * frames.h - framed chunk bodies (chunk format 2, docs/FORMAT.md).
 *
 * A chunk is identified by the xxh3-128 of its typed rows (rowcodec.h), as
 * in format 1, so dedup and manifests do not change.  What a pack stores
 * for it changed: format 1 stored the typed rows as one zstd frame, and
 * every read rendered CSV from them; format 2 stores the rendered CSV,
 * cut into independently compressed frames of frame_size bytes, plus a
 * "side stream" with what CSV does not say (types, hidden rowids), so
 * the typed rows stay recoverable.  A read decompresses only the frames
 * it touches and renders nothing.
 *
 * Body (clen bytes at the entry's offset in its pack), integers LE:
 *   0  "SFC2"
 *   4  u32 frame_size   CSV bytes per frame (the last may be shorter)
 *   8  u32 nframes      = ceil(csv_len / frame_size)
 *   12 u32 side_ulen    side stream bytes
 *   16 u32 side_clen    its zstd frame's bytes
 *   20 u32 0
 *   24 u64 xxh3-64 of the side stream followed by the CSV
 *   32 id[16]           the chunk's id, as in the pack index (a body read
 *                       for another entry is refused)
 *   48 u32 clen[nframes]
 *   then the side stream's zstd frame, then the CSV frames in order.
 * Every zstd frame declares its content size and carries zstd's content
 * checksum, so a frame is checked on its own when it is read.
 *
 * Side stream: the chunk's shape header (as in the typed chunk), then per
 * row its hidden value (the rowid; an INTEGER one is stored as tag 1 and
 * the zigzag varint of its difference from the previous row's integer
 * rowid, starting from 0; other types as encoded) and one type tag byte
 * per column (enum val_type).
 */
#ifndef STRATA_FRAMES_H
#define STRATA_FRAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <zstd.h>
#include "strata/pack.h"
#include "strata/util.h"

#define FRAMED_MAGIC "SFC2"
#define FRAMED_HEADER 48
#define FRAMED_DEFAULT_FRAME (128u * 1024)
#define FRAMED_MIN_FRAME 4096u
#define FRAMED_MAX_FRAME (1u << 20)
#define FRAMED_MAX_FRAMES (1u << 20)

/*
 * Format 3 bodies, "SFC3" (repository format 4): the chunk's rows cut into
 * segments at row boundaries by a content-defined rule (backup.c), each
 * segment a typed chunk of its own (the chunk's shape header, then its
 * rows) whose id is chunk_id_of() of those bytes; the chunk id is the
 * xxh3-128 of its segments' ids in order (framed3_chunk_id), so a backup
 * can take a segment of an earlier body without decoding its rows.  Each
 * segment stores its side stream (as framed_render makes it for the
 * segment as a typed chunk: shape header, rowid differences from 0) as
 * one zstd frame and its CSV as zstd frames of FRAMED3_FRAME bytes (the
 * last shorter), so no read decompresses more than FRAMED3_FRAME bytes.
 *   0  "SFC3"
 *   4  u32 nsegs        1 .. FRAMED_MAX_FRAMES
 *   8  u32 nframes      CSV frames, = sum of ceil(csv_len / FRAMED3_FRAME)
 *   12 u32 0
 *   16 u64 xxh3-64 of the two tables (bytes 48 .. 48 + 48 nsegs + 4 nframes)
 *   24 u64 0
 *   32 id[16]           the chunk id = framed3_chunk_id(segments)
 *   48 nsegs x 48       u32 nrows, typed_len, csv_len, csv_clen, side_ulen,
 *                       side_clen, u64 zsum (xxh3-64 of the segment's side
 *                       frame then its CSV frames, compressed, as stored:
 *                       a copy of them into another body is checked without
 *                       decompressing), then the segment id[16]
 *   .. nframes x 4      u32 compressed length of each CSV frame
 *   then the side frames (one per segment) in order, then the CSV frames.
 * The entry's ulen is the merged typed chunk's length (one shape header,
 * then every row), csv_len and nrows the sums of the segments'.
 */
#define FRAMED3_MAGIC "SFC3"
#define FRAMED3_SEG_BYTES 48
#define FRAMED3_FRAME (1u << 20)

struct framed3_seg {
	uint32_t nrows, typed_len, csv_len, csv_clen, side_ulen, side_clen;
	uint64_t zsum;  /* xxh3-64 of its side frame followed by its CSV frames, as stored */
	uint8_t id[16]; /* chunk_id_of() of the segment's typed chunk */
};

/* A chunk's id from its segments' ids (format 3). */
void framed3_chunk_id(const struct framed3_seg *segs, uint32_t n, struct chunk_id *out);

/*
 * Compress one segment's side stream and CSV (framed_render of the
 * segment's typed chunk; csv is not consumed): the side stream as one zstd
 * frame appended to side_z, the CSV as frames of FRAMED3_FRAME bytes
 * appended to csv_z, each frame's compressed length appended to clens (as
 * uint32_t).  Fills s->csv_len, csv_clen, side_ulen, side_clen, zsum;
 * nrows, typed_len and id are the caller's.  cctx as for framed_build.
 */
int framed3_compress_seg(const struct buf *csv, const struct buf *side, ZSTD_CCtx *cctx,
			 struct buf *side_z, struct buf *csv_z, struct buf *clens,
			 struct framed3_seg *s);

/* One segment of a body being assembled: its table entry and compressed bytes. */
struct framed3_part {
	struct framed3_seg s;
	const uint8_t *side_z;  /* s.side_clen bytes */
	const uint8_t *csv_z;   /* s.csv_clen bytes: its CSV frames */
	const uint32_t *clens;  /* ceil(s.csv_len / FRAMED3_FRAME) frame lengths, summing to csv_clen */
};

/*
 * Write a format 3 body for id (framed3_chunk_id of the parts) into out
 * (reset first).  Each part's bytes must hash to its zsum (-EBADMSG
 * otherwise: a segment copied from a damaged body).
 */
int framed3_assemble(const struct framed3_part *p, uint32_t n, const struct chunk_id *id,
		     struct buf *out);

/*
 * A parsed frame table.  "Frames" are the body's CSV zstd frames in both
 * formats (a reader's unit): frame k holds CSV bytes coff[k] .. coff[k+1]
 * of the chunk and is stored at foff[k] .. foff[k+1] of the body.
 */
struct framed_toc {
	uint32_t version;  /* 2 (SFC2) or 3 (SFC3) */
	uint32_t frame_size, nframes; /* frame_size: SFC2's; 0 for SFC3 */
	uint32_t side_ulen, side_clen; /* SFC2 */
	uint64_t sum;      /* SFC2: of side stream + CSV; SFC3: of the tables */
	uint64_t side_off; /* offset of the side frame in the body (SFC2) */
	uint64_t *foff;    /* nframes + 1 offsets in the body; foff[nframes] = clen */
	uint64_t *coff;    /* nframes + 1 CSV offsets; coff[nframes] = csv_len */
	/* SFC3 only (0 / NULL for SFC2): */
	uint32_t nsegs;
	struct framed3_seg *segs; /* the segment table */
	uint64_t *soff;    /* nsegs + 1: body offsets of the side frames (soff[nsegs] = foff[0]) */
	uint32_t *sfirst;  /* nsegs + 1: the first CSV frame of each segment (sfirst[nsegs] = nframes) */
};

/*
 * foff, coff, segs, soff and sfirst share one allocation, starting at
 * foff, of framed_toc_bytes() bytes (framed_toc_free frees it); a copy of
 * the struct and of that block is made usable with framed_toc_rebase (the
 * block aligned for uint64_t, as malloc's and as after the struct in one
 * malloc'ed copy of both).  framed_toc_bytes() is 0 for a table that holds
 * none (foff NULL: freed, or never parsed).
 */
size_t framed_toc_bytes(const struct framed_toc *t);
void framed_toc_rebase(struct framed_toc *t, void *block);

/* The frame holding CSV offset off (< csv_len): SFC2 by division, SFC3 by a search of coff. */
uint32_t framed_frame_at(const struct framed_toc *t, uint64_t off);

/* The two steps of framed_build(), for a caller that frees the typed rows between them. */
int framed_render(const uint8_t *typed, size_t n, struct buf *csv, struct buf *side,
		  uint64_t *nrows);
/* Frames csv (csv->len bytes) and side into out; the content of csv is consumed. */
int framed_compress(struct buf *csv, const struct buf *side, const struct chunk_id *id,
		    uint32_t frame_size, ZSTD_CCtx *cctx, struct buf *out);

/*
 * Render a typed chunk and build its framed body into out (reset first).
 * csv and side are scratch buffers the caller keeps between calls.
 * cctx must have ZSTD_c_checksumFlag set.  -EUCLEAN: malformed chunk.
 */
int framed_build(const uint8_t *typed, size_t n, uint32_t frame_size, ZSTD_CCtx *cctx,
		 struct buf *csv, struct buf *side, struct buf *out, uint64_t *csv_len,
		 uint64_t *nrows);

/* Whether a body (its first n bytes) is framed (SFC2 or SFC3); format 1 bodies are zstd frames. */
bool framed_is(const uint8_t *p, size_t n);

/*
 * Parse a body's header and frame table (hdr holds at least the first
 * FRAMED_HEADER bytes; *need says how many bytes the table needs, and
 * -EAGAIN is returned while n < *need).  Everything is checked against
 * the pack entry: sizes add up to e->clen, nframes matches e->csv_len.
 * -EUCLEAN otherwise.  SFC3 (need: 48 + 40 nsegs + 4 nframes): also the
 * tables' xxh3-64 and that their segment ids make e->id (-EBADMSG), the
 * segments' CSV lengths, rows and frame lengths against each other and
 * against e->csv_len and e->nrows, and e->ulen between the largest
 * segment's typed_len and their sum.  On success t->foff is malloc'ed
 * (framed_toc_free).
 */
int framed_parse(const uint8_t *hdr, size_t n, const struct pack_entry *e,
		 struct framed_toc *t, size_t *need);
void framed_toc_free(struct framed_toc *t);

/* CSV bytes of frame k. */
static inline size_t framed_frame_len(const struct framed_toc *t, const struct pack_entry *e,
				      uint32_t k)
{
	(void)e;
	return (size_t)(t->coff[k + 1] - t->coff[k]);
}

/* pread and parse the header and frame table of the body of e. */
int framed_read_toc(struct store_file *f, const struct pack_entry *e, struct framed_toc *t);

/*
 * Decode one zstd frame of exactly ulen bytes into out, which must have
 * ulen bytes.  The frame must declare that size and carry a checksum.
 * -EBADMSG: checksum or data error; -EUCLEAN: wrong shape.
 */
int framed_decode(const void *c, size_t clen, size_t ulen, ZSTD_DCtx *dctx, uint8_t *out);

/* pread and decode CSV frame k of e; *out is malloc'ed, framed_frame_len() bytes. */
int framed_read_frame(struct store_file *f, const struct pack_entry *e, const struct framed_toc *t,
		      uint32_t k, ZSTD_DCtx *dctx, uint8_t **out);

/*
 * Check a whole body in memory: header, every frame, the side stream and
 * the content checksum (SFC3: each segment's side stream, with its rows;
 * the tables' checksum); the CSV is appended to csv when it is not NULL,
 * the side stream (SFC3: the segments', one after the other, each with
 * its shape header) to side when it is not NULL.  Nothing is appended
 * when the body is refused.
 */
int framed_check(const uint8_t *body, size_t clen, const struct pack_entry *e, ZSTD_DCtx *dctx,
		 struct buf *csv, struct buf *side);
/*
 * The same; count_rows false leaves out the comparison of the side
 * stream's rows with e->nrows, for a reader that checks the rebuilt typed
 * rows against the chunk id instead (reads do not use nrows).  SFC3
 * checks the rows of its segments against its table, and framed_parse
 * their sum against e->nrows, whatever count_rows says.
 */
int framed_check_rows(const uint8_t *body, size_t clen, const struct pack_entry *e,
		      ZSTD_DCtx *dctx, struct buf *csv, struct buf *side, bool count_rows);

/*
 * The CSV rows of any chunk (format 1, SFC2 or SFC3), checked: pread the
 * body, decode it, verify it (format 1: its id; framed: framed_check) and
 * its size and row count against e.  Appends to csv.
 */
int chunk_read_csv(struct store_file *f, const struct pack_entry *e, ZSTD_DCtx *dctx, struct buf *csv);

/*
 * Everything a chunk can be checked for (strata verify): chunk_read_csv(),
 * and for a framed body also framed_body_typed() (typed rows whose ids
 * are the chunk's, -EBADMSG otherwise) and that their length is ulen
 * (-EUCLEAN).  Memory: the chunk's CSV, side stream and typed rows.  An
 * index node (pack_entry_is_node) is read and checked against its id.
 */
int chunk_check(struct store_file *f, const struct pack_entry *e, ZSTD_DCtx *dctx);

/*
 * The typed chunk of a framed body (SFC2 or SFC3) in memory, appended to
 * typed, checked: everything framed_check_rows checks, then the id - SFC2:
 * chunk_id_of() of the rebuilt rows; SFC3: each segment's rebuilt typed
 * chunk against its segment id (and its length, rows against the table),
 * every segment's shape header the same, and the segment ids against the
 * chunk id.  SFC3 segments are merged into one typed chunk (the shape
 * header once, then every row).  csv, when not NULL, gets the CSV.
 * -EBADMSG: an id does not match; -EUCLEAN: malformed (on any error typed
 * and csv are left as they were).  Does not compare the result's length
 * with e->ulen.  Memory: the CSV, the side stream(s) and the typed rows.
 */
int framed_body_typed(const uint8_t *body, size_t clen, const struct pack_entry *e,
		      ZSTD_DCtx *dctx, struct buf *typed, struct buf *csv, bool count_rows);

/*
 * The inverse of render_csv_chunk_side(): rebuild a chunk's typed rows from
 * its side stream and its CSV, appended to typed.  Each CSV field is read
 * as the type its tag says, and only in the exact form the renderer writes
 * (strata/render.h): NULL empty; INTEGER canonical decimal in int64 range;
 * REAL the text render_real() gives for what strtod() reads; TEXT unquoted
 * exactly when it needs no quotes, else quoted with quotes doubled; BLOB \x
 * + lowercase hex.  The rowid differences of the side stream must be in
 * their shortest form.  So when it returns 0, render_csv_chunk_side() of
 * the result gives back exactly csv and side; and for a typed chunk that
 * value_encode() wrote (shortest varints) without NaN, the result is that
 * chunk byte for byte, so its id can be recomputed.  (The renderer writes
 * every NaN as "NaN", read back as strtod's NaN; overlong varints in the
 * values of a typed chunk are written back in their shortest form.)
 * Appends at most 4 x (side_len + csv_len) bytes.  -EUCLEAN for anything
 * else (typed is then left as it was).
 */
int framed_typed(const uint8_t *side, size_t side_len, const uint8_t *csv, size_t csv_len,
		 struct buf *typed);

#endif
