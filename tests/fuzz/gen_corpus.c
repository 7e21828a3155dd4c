/*
 * gen_corpus.c - writes the seed corpora under DIR/<target>/ (DIR is
 * argv[1], normally tests/fuzz/corpus).  Rerun after a format change:
 *   build/tests/fuzz/gen-corpus tests/fuzz/corpus
 * A target's name after the directory writes that corpus alone:
 *   build/tests/fuzz/gen-corpus tests/fuzz/corpus sqlwal
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "strata/dumpplan.h"
#include "strata/frames.h"
#include "strata/manifest.h"
#include "strata/naming.h"
#include "strata/pack.h"
#include "strata/pagemap.h"
#include "strata/render.h"
#include "strata/repo.h"
#include "strata/rowcodec.h"
#include "strata/rowkey.h"
#include "strata/views.h"
#include "lookup_fixture.h"

static const char *root;
static const char *only; /* the one target written, or NULL: all */

static void put(const char *target, const char *name, const void *d, size_t n)
{
	if (only && strcmp(target, only))
		return;
	char *dir = xasprintf("%s/%s", root, target);
	char *path = xasprintf("%s/%s", dir, name);
	if (mkdir_p(dir, 0755)) {
		perror(dir);
		exit(1);
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write_all(fd, d, n)) {
		perror(path);
		exit(1);
	}
	close(fd);
	free(dir);
	free(path);
}

static struct value V_INT(int64_t i) { struct value v = { .type = VAL_INT, .i = i }; return v; }
static struct value V_REAL(double r) { struct value v = { .type = VAL_REAL, .r = r }; return v; }
static struct value V_TEXT(const char *s)
{
	struct value v = { .type = VAL_TEXT, .p = (const uint8_t *)s, .n = strlen(s) };
	return v;
}
static struct value V_BLOB(const void *p, size_t n)
{
	struct value v = { .type = VAL_BLOB, .p = p, .n = n };
	return v;
}
static struct value V_NULL(void) { struct value v = { .type = VAL_NULL }; return v; }

/* A rowid chunk (rowid, a, b, c) of n rows. */
static void rowid_chunk(struct buf *c, int64_t first, int n, struct buf *fk, struct buf *lk)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 3, .nkey = 1 };
	char t[32];
	chunk_shape_encode(c, &s);
	for (int i = 0; i < n; i++) {
		snprintf(t, sizeof(t), i % 3 ? "row %d" : "a,\"b\"\n%d", i);
		struct value row[4] = { V_INT(first + i), V_INT(i * 1000 - 7), V_TEXT(t),
					i % 4 ? V_REAL(i / 3.0) : V_NULL() };
		for (int k = 0; k < 4; k++)
			value_encode(c, &row[k]);
		if (fk && i == 0)
			key_encode(fk, &s, row);
		if (lk && i == n - 1)
			key_encode(lk, &s, row);
	}
}

/* fuzz_csv: mode byte 0 (a chunk) or 1 (generator bytes), then the bytes */
static void put_csv(const char *name, uint8_t mode, const void *d, size_t n)
{
	uint8_t *b = xmalloc(n + 1);
	b[0] = mode;
	memcpy(b + 1, d, n);
	put("csv", name, b, n + 1);
	free(b);
}

static void render_corpus(void)
{
	struct buf c = BUF_INIT;
	rowid_chunk(&c, 1, 12, NULL, NULL);
	put("render", "rowid", c.data, c.len);
	put_csv("rowid", 0, c.data, c.len);

	/* WITHOUT ROWID, composite key (text, int), every value type */
	struct chunk_shape s = { .nhidden = 0, .ncols = 4, .nkey = 2 };
	s.keypos[0] = 1;
	s.keypos[1] = 0;
	buf_reset(&c);
	chunk_shape_encode(&c, &s);
	struct value rows[3][4] = {
		{ V_INT(1), V_TEXT("a"), V_BLOB("\0\xff", 2), V_REAL(-0.0) },
		{ V_INT(2), V_TEXT(""), V_BLOB("", 0), V_REAL(1e300) },
		{ V_INT(-3), V_TEXT("\\."), V_NULL(), V_TEXT("\xc3\xa9") },
	};
	for (int r = 0; r < 3; r++)
		for (int k = 0; k < 4; k++)
			value_encode(&c, &rows[r][k]);
	put("render", "without-rowid", c.data, c.len);
	put_csv("without-rowid", 0, c.data, c.len);

	buf_reset(&c);
	chunk_shape_encode(&c, &s);
	put("render", "header-only", c.data, c.len);
	buf_release(&c);

	/* generator inputs: shape byte, row count, then values */
	static const uint8_t g1[] = { 0x0b, 0x03, 0x03, 0x05, 'a', ',', 'b', 0x80, 0x81,
				      0x02, 0x07, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				      0xff, 0x7f, 0x04, 0x03, 0x00, 0xff, 0x10, 0x00 };
	static const uint8_t g2[] = { 0x04, 0x05, 0x83, 0x0b, 0x01, 0x00, 0x00, 0x00, 0x00,
				      0x00, 0x00, 0x00, 0x82, 0x00, 0x00, 0x00, 0x00, 0x00,
				      0x00, 0xf0, 0x7f, 0x82, 0x01, 0x00, 0x00, 0x00, 0x00,
				      0x00, 0xf8, 0x7f, 0x02, 0x05, 0x00, 0x00, 0x00, 0x00,
				      0x00, 0x00, 0x00, 0x03, 0x00, 0x05, 0x02, 0x81, 0x82 };
	put_csv("generated-text", 1, g1, sizeof(g1));
	put_csv("generated-real", 1, g2, sizeof(g2));
}

/*
 * fuzz_frames: mode 0, an entry (csv_len, nrows, ulen) and a framed body;
 * mode 2, the same with another id; mode 1, a round trip (u32 position,
 * mask, lie) of a typed chunk.
 */
static void put_frames(const char *name, const struct buf *typed, int mode, uint32_t pos,
		       uint8_t mask, uint8_t lie)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	struct buf csv = BUF_INIT, side = BUF_INIT, body = BUF_INIT, in = BUF_INIT;
	uint64_t csv_len, nrows;

	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	buf_addc(&in, (uint8_t)mode);
	if (mode & 1) {
		buf_add_u32le(&in, pos);
		buf_addc(&in, mask);
		buf_addc(&in, lie);
		buf_add(&in, typed->data, typed->len);
	} else {
		if (framed_build(typed->data, typed->len, FRAMED_MIN_FRAME, cctx, &csv, &side, &body,
				 &csv_len, &nrows))
			exit(1);
		buf_add_u32le(&in, (uint32_t)csv_len);
		buf_add_u32le(&in, (uint32_t)nrows);
		buf_add_u32le(&in, (uint32_t)typed->len);
		buf_add(&in, body.data, body.len);
	}
	put("frames", name, in.data, in.len);
	buf_release(&csv);
	buf_release(&side);
	buf_release(&body);
	buf_release(&in);
	ZSTD_freeCCtx(cctx);
}

static void frames_corpus(void)
{
	struct buf c = BUF_INIT;
	/* a few rows: one frame */
	rowid_chunk(&c, 1, 12, NULL, NULL);
	put_frames("body-rowid", &c, 0, 0, 0, 0);
	put_frames("body-other-id", &c, 2, 0, 0, 0);
	put_frames("trip-rowid", &c, 1, 0, 0, 0);
	/* 400 rows: about 9 KiB of CSV, three frames of 4096 bytes */
	buf_reset(&c);
	rowid_chunk(&c, 1000, 400, NULL, NULL);
	put_frames("body-three-frames", &c, 0, 0, 0, 0);
	put_frames("trip-three-frames-flip", &c, 1, 1234, 0x10, 0);
	put_frames("trip-three-frames-lie", &c, 1, 77, 0, 1);
	/* WITHOUT ROWID, every value type */
	struct chunk_shape s = { .nhidden = 0, .ncols = 4, .nkey = 2 };
	s.keypos[0] = 1;
	s.keypos[1] = 0;
	buf_reset(&c);
	chunk_shape_encode(&c, &s);
	struct value rows[3][4] = {
		{ V_INT(INT64_MIN), V_TEXT("a"), V_BLOB("\0\xff", 2), V_REAL(-0.0) },
		{ V_INT(INT64_MAX), V_TEXT(""), V_BLOB("", 0), V_REAL(1e300) },
		{ V_INT(-3), V_TEXT("\\."), V_NULL(), V_TEXT("q\"\n,\r") },
	};
	for (int r = 0; r < 3; r++)
		for (int k = 0; k < 4; k++)
			value_encode(&c, &rows[r][k]);
	put_frames("body-without-rowid", &c, 0, 0, 0, 0);
	put_frames("trip-without-rowid-id", &c, 1, 3, 0, 5);
	/* no rows: no CSV frames */
	buf_reset(&c);
	chunk_shape_encode(&c, &s);
	put_frames("body-header-only", &c, 0, 0, 0, 0);
	put_frames("trip-header-only", &c, 1, 0, 0, 0);
	buf_release(&c);
}

/*
 * fuzz_frames, SFC3: mode 8, an entry and the SFC3 body of the n typed
 * chunks seg[] (of one shape) as its segments; mode 9, a round trip
 * (position, mask, lie, k cut counts) of the chunk they make together.
 */
static void put_frames3(const char *name, const struct buf *seg, uint32_t n, int mode,
			uint32_t pos, uint8_t mask, uint8_t lie, const uint8_t *cut, uint8_t k)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	struct buf csv = BUF_INIT, side = BUF_INIT, side_z = BUF_INIT, csv_z = BUF_INIT;
	struct buf clens = BUF_INIT, body = BUF_INIT, in = BUF_INIT, whole = BUF_INIT;
	struct framed3_seg *s = xcalloc(n, sizeof(*s));
	struct framed3_part *p = xcalloc(n, sizeof(*p));
	size_t *at = xcalloc(3 * (size_t)n, sizeof(size_t));
	uint64_t nrows = 0, csv_len = 0, nr;
	struct chunk_shape shape;
	struct chunk_id id;
	struct rd r;

	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	for (uint32_t i = 0; i < n; i++) {
		/* the merged chunk: the first segment's header, every segment's rows */
		rd_init(&r, seg[i].data, seg[i].len);
		if (chunk_shape_decode(&r, &shape))
			exit(1);
		size_t h = (size_t)(r.p - seg[i].data);
		buf_add(&whole, seg[i].data + (i ? h : 0), seg[i].len - (i ? h : 0));
		if (mode & 1)
			continue; /* the round trip makes the body itself */
		at[3 * i] = side_z.len;
		at[3 * i + 1] = csv_z.len;
		at[3 * i + 2] = clens.len;
		if (framed_render(seg[i].data, seg[i].len, &csv, &side, &nr) ||
		    framed3_compress_seg(&csv, &side, cctx, &side_z, &csv_z, &clens, &s[i]))
			exit(1);
		s[i].nrows = (uint32_t)nr;
		s[i].typed_len = (uint32_t)seg[i].len;
		chunk_id_of(&id, seg[i].data, seg[i].len);
		memcpy(s[i].id, id.b, 16);
		nrows += nr;
		csv_len += csv.len;
	}
	buf_addc(&in, (uint8_t)mode);
	if (mode & 1) {
		buf_add_u32le(&in, pos);
		buf_addc(&in, mask);
		buf_addc(&in, lie);
		buf_addc(&in, k);
		buf_add(&in, cut, k);
		buf_add(&in, whole.data, whole.len);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			p[i].s = s[i];
			p[i].side_z = side_z.data + at[3 * i];
			p[i].csv_z = csv_z.data + at[3 * i + 1];
			p[i].clens = (const uint32_t *)(const void *)(clens.data + at[3 * i + 2]);
		}
		framed3_chunk_id(s, n, &id);
		if (framed3_assemble(p, n, &id, &body))
			exit(1);
		buf_add_u32le(&in, (uint32_t)csv_len);
		buf_add_u32le(&in, (uint32_t)nrows);
		buf_add_u32le(&in, (uint32_t)whole.len);
		buf_add(&in, body.data, body.len);
	}
	put("frames", name, in.data, in.len);
	free(s);
	free(p);
	free(at);
	buf_release(&csv);
	buf_release(&side);
	buf_release(&side_z);
	buf_release(&csv_z);
	buf_release(&clens);
	buf_release(&body);
	buf_release(&in);
	buf_release(&whole);
	ZSTD_freeCCtx(cctx);
}

static void frames3_corpus(void)
{
	struct buf seg[20];
	struct chunk_shape s = { .nhidden = 0, .ncols = 2, .nkey = 1 };
	static const uint8_t cuts[] = { 3, 0, 7, 15, 1 };

	for (int i = 0; i < 20; i++)
		buf_init(&seg[i]);
	/* three segments of a rowid table; one; twenty of one to three rows */
	rowid_chunk(&seg[0], 1, 5, NULL, NULL);
	rowid_chunk(&seg[1], 6, 1, NULL, NULL);
	rowid_chunk(&seg[2], 7, 12, NULL, NULL);
	put_frames3("sfc3-body-rowid", seg, 3, 8, 0, 0, 0, NULL, 0);
	put_frames3("sfc3-body-other-id", seg, 3, 8 | 2, 0, 0, 0, NULL, 0);
	put_frames3("sfc3-body-one", seg, 1, 8, 0, 0, 0, NULL, 0);
	put_frames3("sfc3-trip-rowid", seg, 3, 9, 0, 0, 0, cuts, 3);
	put_frames3("sfc3-trip-one", seg, 3, 9, 0, 0, 0, NULL, 0);
	put_frames3("sfc3-trip-rowid-flip", seg, 3, 9, 1234, 0x10, 0, cuts, 5);
	for (int i = 0; i < 20; i++) {
		buf_reset(&seg[i]);
		rowid_chunk(&seg[i], 100 + 3 * i, 1 + i % 3, NULL, NULL);
	}
	put_frames3("sfc3-body-many", seg, 20, 8, 0, 0, 0, NULL, 0);
	put_frames3("sfc3-trip-many-lie", seg, 20, 9, 77, 0, 3, cuts, 2);
	/* 400 rows, about 9 KiB of CSV, cut every row or sixteen */
	buf_reset(&seg[0]);
	rowid_chunk(&seg[0], 1000, 400, NULL, NULL);
	put_frames3("sfc3-trip-400-flip", seg, 1, 9, 4321, 0x01, 5, cuts + 3, 2);
	/* WITHOUT ROWID, every value type, one row per segment */
	for (int i = 0; i < 3; i++) {
		struct value rows[3][2] = {
			{ V_TEXT("a\"b"), V_BLOB("\0\xff", 2) },
			{ V_INT(INT64_MIN), V_REAL(-0.0) },
			{ V_NULL(), V_TEXT("") },
		};
		buf_reset(&seg[i]);
		chunk_shape_encode(&seg[i], &s);
		value_encode(&seg[i], &rows[i][0]);
		value_encode(&seg[i], &rows[i][1]);
	}
	put_frames3("sfc3-body-without-rowid", seg, 3, 8, 0, 0, 0, NULL, 0);
	put_frames3("sfc3-trip-without-rowid", seg, 3, 9, 9, 0x80, 1, cuts + 1, 1);
	/* a NaN with a payload: CSV says "NaN", so the rows rebuilt are not the segment's bytes */
	{
		uint64_t bits = UINT64_C(0xfff8000000000123);
		struct value v = V_REAL(0);
		memcpy(&v.r, &bits, 8);
		buf_reset(&seg[1]);
		chunk_shape_encode(&seg[1], &s);
		value_encode(&seg[1], &v);
		value_encode(&seg[1], &v);
		put_frames3("sfc3-trip-nan", seg, 3, 9, 0, 0, 0, NULL, 0);
	}
	/* no rows: not a segment */
	buf_reset(&seg[0]);
	chunk_shape_encode(&seg[0], &s);
	put_frames3("sfc3-trip-header-only", seg, 1, 9, 0, 0, 0, NULL, 0);
	for (int i = 0; i < 20; i++)
		buf_release(&seg[i]);
}

static bool has_dir_named(const struct manifest *m, const char *name)
{
	for (size_t t = 0; t < m->ntables; t++)
		if (!strcmp(m->tables[t].dirname, name))
			return true;
	return false;
}

/*
 * fuzz_lookup (its input format is at the top of fuzz_lookup.c): real names
 * in every directory of the fixture, lookups in files, reads, and the inode
 * numbers of docs/FORMAT.md, served ones and near misses.
 */
static void put_lookup(const char *fn, uint8_t mode, const char *name, const void *tail,
		       size_t ntail)
{
	struct buf b = BUF_INIT;
	buf_addc(&b, mode);
	buf_adds(&b, name);
	if (ntail) {
		buf_addc(&b, 0);
		buf_add(&b, tail, ntail);
	}
	put("lookup", fn, b.data, b.len);
	buf_release(&b);
}

/* An inode number, then a read (offset u16 LE, 16 * size) when rd_n is not 0. */
static void put_ino(const char *fn, uint64_t ino, unsigned rd_off, unsigned rd_n)
{
	uint8_t in[12] = { 0x80 };
	put_u64le(in + 1, ino);
	in[9] = (uint8_t)rd_off;
	in[10] = (uint8_t)(rd_off >> 8);
	in[11] = (uint8_t)rd_n;
	put("lookup", fn, in, rd_n ? sizeof(in) : 9);
}

/*
 * The JSONL and SQL files: <dir>.jsonl and <dir>.sql in every table, the
 * row-range files FIRST+LAST.jsonl / .sql of every table's last chunk,
 * reads across chunk boundaries, inode numbers (type 6 position 1 and 2;
 * types 11 and 12), and near misses of both.
 */
static void lookup_views_corpus(const struct fx *f)
{
	char fn[64];
	int k = 0;

	for (size_t p = 0; p < f->nparents; p++) {
		const struct fx_parent *x = &f->parents[p];
		const struct manifest_table *mt = &f->gens[x->gen].tables[x->tidx];
		for (unsigned fmt = VIEW_JSONL; fmt < VIEW_FORMATS; fmt++) {
			const char *ext = view_ext((enum view_format)fmt);
			if (x->kind == FX_TABLE) {
				char *file = xasprintf("%s.%s", mt->dirname, ext);
				snprintf(fn, sizeof(fn), "view-name-%03d", k++);
				put_lookup(fn, (uint8_t)p, file, NULL, 0);
				free(file);
			} else if (x->kind == FX_ROWS && mt->nchunks) {
				snprintf(fn, sizeof(fn), "view-name-%03d", k++);
				put_lookup(fn, (uint8_t)p,
					   f->fnames[fmt][x->gen][x->tidx][mt->nchunks - 1], NULL, 0);
			}
		}
	}
	/* generation 0, table 0 (3 chunks) and its rows/ */
	size_t tp = 0;
	while (f->parents[tp].kind != FX_TABLE)
		tp++;
	const struct manifest *m = &f->gens[0];
	const struct manifest_table *t0 = &m->tables[0];
	for (unsigned fmt = VIEW_JSONL; fmt < VIEW_FORMATS; fmt++) {
		const char *ext = view_ext((enum view_format)fmt);
		uint64_t l0 = fmt == VIEW_JSONL ? t0->chunks[0].jsonl_len : t0->chunks[0].sql_len;
		/* reads: the start, across chunk 0's end, at chunk 1's start, past the end */
		const struct { const char *what; uint64_t off; unsigned n; } rd[] = {
			{ "start", 0, 2 }, { "across", l0 - 7, 1 }, { "chunk1", l0, 3 },
			{ "past", 0xffff, 1 }, { "whole", 0, 0 },
		};
		char *file = xasprintf("%s.%s", t0->dirname, ext);
		for (size_t i = 0; i < sizeof(rd) / sizeof(rd[0]); i++) {
			uint8_t r[3] = { (uint8_t)rd[i].off, (uint8_t)(rd[i].off >> 8), (uint8_t)rd[i].n };
			if (rd[i].off > 0xffff)
				abort(); /* the read's offset is a u16 */
			snprintf(fn, sizeof(fn), "read-%s-%s", ext, rd[i].what);
			put_lookup(fn, (uint8_t)tp, file, r, rd[i].n ? sizeof(r) : 2);
		}
		free(file);
		uint8_t r[3] = { 9, 0, 2 };
		snprintf(fn, sizeof(fn), "read-rows-%s", ext);
		put_lookup(fn, (uint8_t)(tp + 1), f->fnames[fmt][0][0][1], r, sizeof(r));
		/* the same files by number, read */
		snprintf(fn, sizeof(fn), "ino-0-0-table-%s", ext);
		put_ino(fn, fx_ino(FX_T_TABLE_CSV, m->seq, 0, fmt), (unsigned)l0 - 3, 1);
		snprintf(fn, sizeof(fn), "ino-0-0-rows-%s", ext);
		put_ino(fn, fx_ino(fx_rows_type((enum view_format)fmt), m->seq, 0, 2), 1, 1);
	}
	/* JSONL and SQL files by number, the table's and its last chunk's */
	for (size_t g = 0; g < f->ngens; g++) {
		const struct manifest *mg = &f->gens[g];
		for (size_t t = 0; t < mg->ntables; t++) {
			if (g != 1 && t != 0)
				continue;
			size_t last = mg->tables[t].nchunks ? mg->tables[t].nchunks - 1 : 0;
			for (unsigned fmt = VIEW_JSONL; fmt < VIEW_FORMATS; fmt++) {
				const char *ext = view_ext((enum view_format)fmt);
				snprintf(fn, sizeof(fn), "ino-%zu-%zu-%s", g, t, ext);
				put_ino(fn, fx_ino(FX_T_TABLE_CSV, mg->seq, t, fmt), 0, 0);
				snprintf(fn, sizeof(fn), "ino-%zu-%zu-last-%s", g, t, ext);
				put_ino(fn, fx_ino(fx_rows_type((enum view_format)fmt), mg->seq, t, last),
					0, 0);
			}
		}
	}
	/* near misses: names ... */
	{
		static const char *const tails[] = { ".JSONL", ".json", ".sq", ".sql.csv", ".", "" };
		for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
			char *name = xasprintf("%s%s", t0->dirname, tails[i]);
			snprintf(fn, sizeof(fn), "view-miss-table-%zu", i);
			put_lookup(fn, (uint8_t)tp, name, NULL, 0);
			free(name);
		}
		const char *csv = f->fnames[VIEW_CSV][0][0][0];
		size_t cl = strlen(csv) - 4;
		static const char *const exts[] = { ".JSONL", ".json", ".txt", ".jsonl.sql" };
		for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
			char *name = xasprintf("%.*s%s", (int)cl, csv, exts[i]);
			snprintf(fn, sizeof(fn), "view-miss-rows-%zu", i);
			put_lookup(fn, (uint8_t)(tp + 1), name, NULL, 0);
			free(name);
		}
		put_lookup("view-miss-rows-bare-jsonl", (uint8_t)(tp + 1), ".jsonl", NULL, 0);
		put_lookup("view-miss-rows-bare-sql", (uint8_t)(tp + 1), ".sql", NULL, 0);
		/* another table's chunk, by its JSONL name, in table 0's rows/ */
		put_lookup("view-miss-rows-other", (uint8_t)(tp + 1), f->fnames[VIEW_JSONL][0][1][0],
			   NULL, 0);
	}
	/* ... and numbers: no fourth format, no such chunk or table, type 13 */
	{
		const struct manifest_table *empty = NULL;
		size_t te = 0;
		for (size_t t = 0; t < m->ntables && !empty; t++)
			if (!m->tables[t].nchunks)
				empty = &m->tables[te = t];
		put_ino("miss-table-format-3", fx_ino(FX_T_TABLE_CSV, m->seq, 0, VIEW_FORMATS), 0, 0);
		put_ino("miss-table-format-high", fx_ino(FX_T_TABLE_CSV, m->seq, 0, 1u << 19 | 1), 0, 0);
		put_ino("miss-chunk-jsonl", fx_ino(FX_T_ROWS_JSONL, m->seq, 0, t0->nchunks), 0, 0);
		put_ino("miss-chunk-sql", fx_ino(FX_T_ROWS_SQL, m->seq, 0, t0->nchunks), 0, 0);
		put_ino("miss-tidx-jsonl", fx_ino(FX_T_ROWS_JSONL, m->seq, m->ntables, 0), 0, 0);
		put_ino("miss-tidx-sql-table", fx_ino(FX_T_TABLE_CSV, m->seq, m->ntables, VIEW_SQL),
			0, 0);
		put_ino("miss-seq-sql", fx_ino(FX_T_ROWS_SQL, f->gens[f->ngens - 1].seq + 1, 0, 0),
			0, 0);
		put_ino("miss-type-12-seq-0", fx_ino(FX_T_ROWS_SQL, 0, 0, 0), 0, 0);
		put_ino("miss-type-13", (uint64_t)13 << 60 | m->seq << 36, 0, 0);
		if (empty)
			put_ino("miss-empty-jsonl", fx_ino(FX_T_ROWS_JSONL, m->seq, te, 0), 0, 0);
	}
}

/* The parent of this kind (fuzz_lookup.c parent_index): a the generation or the dirs index, b the table. */
static size_t parent_of(const struct fx *f, enum fx_kind kind, size_t a, size_t b)
{
	for (size_t p = 0; p < f->nparents; p++) {
		const struct fx_parent *x = &f->parents[p];
		if (x->kind != kind)
			continue;
		if (kind == FX_ROOT || kind == FX_TABLES || kind == FX_AT || kind == FX_DB ||
		    (kind == FX_GEN && x->gen == a) ||
		    ((kind == FX_TABLE || kind == FX_ROWS || kind == FX_KEY) && x->gen == a &&
		     x->tidx == b) ||
		    ((kind == FX_HIST || kind == FX_HIST_KEY || kind == FX_DB_NAME) && x->dir == a))
			return p;
	}
	abort();
}

/* A lookup with a read (offset u16 LE, 16 * n bytes; n 0: none, the default 4096) */
static void put_lookup_read(const char *fn, size_t p, const char *name, unsigned off, unsigned n)
{
	uint8_t r[3] = { (uint8_t)off, (uint8_t)(off >> 8), (uint8_t)n };
	put_lookup(fn, (uint8_t)p, name, r, n ? sizeof(r) : 2);
}

/*
 * Mount layout 4: dump.sql and schema.pg.sql by name in every generation
 * and in some tables, reads of dump.sql where its parts start, and their
 * numbers (type 13 positions 0 and 1, type 5 position 1), served and not.
 */
static void lookup_layout4_corpus(const struct fx *f)
{
	char fn[64];
	for (size_t g = 0; g < f->ngens; g++) {
		const struct manifest *m = &f->gens[g];
		size_t gp = parent_of(f, FX_GEN, g, 0);
		snprintf(fn, sizeof(fn), "gen-%zu-dump", g);
		put_lookup(fn, (uint8_t)gp, "dump.sql", NULL, 0);
		snprintf(fn, sizeof(fn), "gen-%zu-pg", g);
		put_lookup(fn, (uint8_t)gp, "schema.pg.sql", NULL, 0);
		snprintf(fn, sizeof(fn), "ino-%zu-dump", g);
		put_ino(fn, fx_ino(FX_T_GEN_FILE, m->seq, 0, FX_GEN_DUMP), 0, 0);
		snprintf(fn, sizeof(fn), "ino-%zu-pg", g);
		put_ino(fn, fx_ino(FX_T_GEN_FILE, m->seq, 0, FX_GEN_PG), 100, 4);
		for (size_t t = 0; t < m->ntables; t++) {
			if (g != 1 && t != 0)
				continue;
			snprintf(fn, sizeof(fn), "table-%zu-%zu-pg", g, t);
			put_lookup(fn, (uint8_t)parent_of(f, FX_TABLE, g, t), "schema.pg.sql", NULL, 0);
			snprintf(fn, sizeof(fn), "ino-%zu-%zu-table-pg", g, t);
			put_ino(fn, fx_ino(FX_T_TABLE_SCHEMA, m->seq, t, FX_SCHEMA_PG), 0, 0);
		}
		if (has_dir_named(m, "dump.sql"))
			continue;
		/* dump.sql: where its parts and tables start (up to 64 KiB), the end, past it */
		struct dump_parts dp;
		uint64_t at = 0, cuts[256];
		size_t nc = 0;
		dump_parts_build(m, &dp);
		for (size_t i = 0; i < dp.n && nc + 2 < 256; i++) {
			cuts[nc++] = at;
			at += strlen(dp.text[i]);
			if (dp.tidx[i] >= 0) {
				const struct manifest_table *mt = &m->tables[dp.tidx[i]];
				cuts[nc++] = at;
				for (size_t k = 0; k < mt->nchunks; k++)
					at += mt->chunks[k].sql_len;
			}
		}
		dump_parts_free(&dp);
		for (size_t i = 0, k = 0; i < nc && k < 8; i += 1 + nc / 8, k++) {
			if (cuts[i] < 3 || cuts[i] > 0x7fff)
				continue;
			snprintf(fn, sizeof(fn), "read-dump-%zu-%02zu", g, i);
			put_lookup_read(fn, gp, "dump.sql", (unsigned)cuts[i] - 3, 1);
		}
		snprintf(fn, sizeof(fn), "read-dump-%zu-end", g);
		put_lookup_read(fn, gp, "dump.sql", (unsigned)((at - 1) & 0x7fff), 1);
		snprintf(fn, sizeof(fn), "read-dump-%zu-past", g);
		put_lookup_read(fn, gp, "dump.sql", 0xffff, 1);
		snprintf(fn, sizeof(fn), "read-dump-%zu-wrap", g);
		put_lookup_read(fn, gp, "dump.sql", 0x7fff, 0xff);
		snprintf(fn, sizeof(fn), "read-dump-%zu-whole", g);
		put_lookup(fn, (uint8_t)gp, "dump.sql", NULL, 0);
		if (at > 0x1000) {
			snprintf(fn, sizeof(fn), "ino-%zu-dump-across", g);
			put_ino(fn, fx_ino(FX_T_GEN_FILE, m->seq, 0, FX_GEN_DUMP), (unsigned)(at / 2), 1);
		}
	}
	const struct manifest *m = &f->gens[0];
	put_ino("miss-gen-file-2", fx_ino(FX_T_GEN_FILE, m->seq, 0, 2), 0, 0);
	put_ino("miss-gen-file-seq", fx_ino(FX_T_GEN_FILE, f->gens[f->ngens - 1].seq + 1, 0, 0),
		0, 0);
	put_ino("miss-gen-file-tidx", fx_ino(FX_T_GEN_FILE, m->seq, 1, 0), 0, 0);
	put_ino("miss-table-schema-2", fx_ino(FX_T_TABLE_SCHEMA, m->seq, 0, 2), 0, 0);
}

/* The key name of row i of a table version, with an extension (NULL: none names it). */
static char *row_name(const struct fx *f, const struct manifest_table *mt, const struct fx_row *r,
		      const char *ext)
{
	char *stem = fx_key_name(r->key.data, r->key.len, fx_user_values(mt));
	char *name = stem ? xasprintf("%s%s", stem, ext) : NULL;
	(void)f;
	free(stem);
	return name;
}

/*
 * Mount layout 5: tables/ and at/ in the root; key/ and the changes files
 * in every table; every table directory name in tables/, and in each
 * tables/<T> its versions' links and key/; key files of the first and last
 * row of every table version in every format, histories of them, spellings
 * of keys that name the same row or none; times in at/; reads of changes
 * files and key files; the extended numbers (type 14), served and near
 * misses, and hashed ones (type 15) no lookup handed out.
 */
static void lookup_nav_corpus(const struct fx *f)
{
	static const char *const exts[] = { ".csv", ".jsonl", ".sql" };
	size_t rootp = parent_of(f, FX_ROOT, 0, 0), tables = parent_of(f, FX_TABLES, 0, 0);
	size_t at = parent_of(f, FX_AT, 0, 0);
	char fn[64];

	put_lookup("nav-root-tables", (uint8_t)rootp, "tables", NULL, 0);
	put_lookup("nav-root-at", (uint8_t)rootp, "at", NULL, 0);
	put_lookup("nav-root-miss-table", (uint8_t)rootp, "table", NULL, 0);
	put_lookup("nav-root-miss-key", (uint8_t)rootp, "key", NULL, 0);
	/* every table directory: key/ and its changes files */
	for (size_t g = 0; g < f->ngens; g++)
		for (size_t t = 0; t < f->gens[g].ntables; t++) {
			size_t tp = parent_of(f, FX_TABLE, g, t);
			static const char *const names[] = { "key", "changes.csv", "changes.jsonl" };
			for (size_t i = 0; i < 3; i++) {
				snprintf(fn, sizeof(fn), "nav-table-%zu-%zu-%zu", g, t, i);
				put_lookup(fn, (uint8_t)tp, names[i], NULL, 0);
			}
		}
	put_lookup("nav-table-miss-changes-sql", (uint8_t)parent_of(f, FX_TABLE, 0, 0),
		   "changes.sql", NULL, 0);
	put_lookup("nav-table-miss-keys", (uint8_t)parent_of(f, FX_TABLE, 0, 0), "keys", NULL, 0);
	/* tables/ and tables/<T> */
	for (size_t d = 0; d < f->ndirs; d++) {
		size_t hp = parent_of(f, FX_HIST, d, 0), gs[FX_MAX_GENS], ts[FX_MAX_GENS];
		size_t n = fx_versions(f, f->dirs[d], gs, ts);
		snprintf(fn, sizeof(fn), "nav-tables-%02zu", d);
		put_lookup(fn, (uint8_t)tables, f->dirs[d], NULL, 0);
		for (size_t i = 0; i < n; i++) {
			snprintf(fn, sizeof(fn), "nav-hist-%02zu-%zu", d, i);
			put_lookup(fn, (uint8_t)hp, f->gens[gs[i]].name, NULL, 0);
		}
		snprintf(fn, sizeof(fn), "nav-hist-%02zu-key", d);
		put_lookup(fn, (uint8_t)hp, "key", NULL, 0);
		/* a generation that does not hold it */
		for (size_t g = 0; g < f->ngens; g++) {
			bool holds = false;
			for (size_t i = 0; i < n; i++)
				holds |= gs[i] == g;
			if (!holds) {
				snprintf(fn, sizeof(fn), "nav-hist-%02zu-miss", d);
				put_lookup(fn, (uint8_t)hp, f->gens[g].name, NULL, 0);
				break;
			}
		}
	}
	put_lookup("nav-tables-miss", (uint8_t)tables, "nope", NULL, 0);
	put_lookup("nav-tables-miss-latest", (uint8_t)tables, "latest", NULL, 0);
	/* key files: the first and the last row of every table version, every format */
	for (size_t g = 0; g < f->ngens; g++)
		for (size_t t = 0; t < f->gens[g].ntables; t++) {
			const struct manifest_table *mt = &f->gens[g].tables[t];
			size_t kp = parent_of(f, FX_KEY, g, t), nr;
			struct fx_row *rows = fx_rows(f, mt, &nr);
			for (size_t i = 0; i < nr; i += nr > 1 ? nr - 1 : 1)
				for (size_t e = 0; e < 3; e++) {
					char *name = row_name(f, mt, &rows[i], exts[e]);
					if (!name)
						continue;
					snprintf(fn, sizeof(fn), "key-%zu-%02zu-%zu-%s", g, t, i, exts[e] + 1);
					put_lookup(fn, (uint8_t)kp, name, NULL, 0);
					free(name);
				}
			fx_rows_free(rows, nr);
		}
	/* histories: the first and the last row of every version, CSV and JSONL; not SQL */
	for (size_t d = 0; d < f->ndirs; d++) {
		size_t hp = parent_of(f, FX_HIST_KEY, d, 0), gs[FX_MAX_GENS], ts[FX_MAX_GENS];
		size_t n = fx_versions(f, f->dirs[d], gs, ts);
		for (size_t v = 0; v < n; v++) {
			const struct manifest_table *mt = &f->gens[gs[v]].tables[ts[v]];
			size_t nr;
			struct fx_row *rows = fx_rows(f, mt, &nr);
			for (size_t i = 0; i < nr; i += nr > 1 ? nr - 1 : 1)
				for (size_t e = 0; e < 3; e++) {
					if (e == 2 && (v || i))
						continue;
					char *name = row_name(f, mt, &rows[i], exts[e]);
					if (!name)
						continue;
					snprintf(fn, sizeof(fn), "hist-%02zu-%zu-%zu-%s", d, v, i, exts[e] + 1);
					put_lookup(fn, (uint8_t)hp, name, NULL, 0);
					free(name);
				}
			fx_rows_free(rows, nr);
		}
	}
	/* other spellings of keys, keys no row has, names that are not key names */
	{
		static const struct { size_t g; const char *table, *name; } sp[] = {
			{ 0, "customers", "+1.csv" }, { 0, "customers", "01.jsonl" },
			{ 0, "customers", "1.0.sql" }, { 0, "customers", "1e0.csv" },
			{ 0, "customers", "25.csv" }, { 0, "customers", "26.csv" },
			{ 0, "customers", "0x1.csv" }, { 0, "customers", "1,2.csv" },
			{ 0, "customers", "1" }, { 0, "customers", "1.txt" },
			{ 0, "customers", "-9223372036854775808.csv" },
			{ 0, "customers", "9223372036854775808.csv" },
			{ 0, "customers", "%31.csv" }, { 0, "customers", "%3.csv" },
			{ 0, "customers", "%zz.csv" }, { 0, "customers", "%.csv" },
			/* fuzz_keyname.c's known bug: the REAL 4 too, so row 4 */
			{ 0, "customers", "4%00x.csv" },
			/* a key name of more than 16 readings, five numbers (fuzz_keyname.c) */
			{ 0, "prices", "1,2,3,4,5.csv" },
			{ 0, "prices", "apple,2.csv" }, { 0, "prices", "apple,2.0.jsonl" },
			{ 0, "prices", "apple.csv" }, { 0, "prices", "pear,7,1.csv" },
			{ 0, "prices", "pear%2C7.csv" }, { 0, "prices", "kiwi,-9.sql" },
			{ 0, "reals", "-1.csv" }, { 0, "reals", "0.csv" }, { 0, "reals", "-0.csv" },
			{ 0, "reals", "2.50.jsonl" }, { 0, "reals", "1e300.csv" },
			{ 0, "reals", "Infinity.csv" }, { 0, "reals", "3.5.csv" },
			{ 0, "%00", "x''.csv" }, { 0, "%00", "x'00FF'.csv" }, { 0, "%00", "X'010203'.sql" },
			{ 0, "%00", "x'0'.csv" }, { 0, "%00", ".csv" },
			{ 0, "keyed", "a.csv" }, { 0, "keyed", "b%2Fc%2C%25.jsonl" }, { 0, "keyed", "b,2.csv" },
			{ 0, "keyed", "9.csv" }, { 0, "keyed", "b%2fc%2c%25.sql" },
			{ 1, "many", "1.csv" }, { 1, "many", "207.csv" }, { 1, "many", "210.csv" },
			{ 1, "many", "-1.csv" }, { 1, "reals", "2.5.csv" }, { 1, "reals", "3.5.jsonl" },
			{ 1, "keyed", "b.csv" }, { 1, "keyed", "c.sql" },
		};
		for (size_t i = 0; i < sizeof(sp) / sizeof(sp[0]); i++) {
			const struct manifest *m = &f->gens[sp[i].g];
			size_t t = 0;
			while (t < m->ntables && strcmp(m->tables[t].dirname, sp[i].table))
				t++;
			if (t == m->ntables)
				abort();
			snprintf(fn, sizeof(fn), "key-spell-%02zu", i);
			put_lookup(fn, (uint8_t)parent_of(f, FX_KEY, sp[i].g, t), sp[i].name, NULL, 0);
		}
		static const struct { const char *dir, *name; } hs[] = {
			{ "reals", "2.5.csv" }, { "reals", "3.5.jsonl" },
			{ "reals", "1.0000000000000001e+300.csv" }, { "reals", "1e300.jsonl" },
			{ "reals", "-1.csv" }, { "reals", "-1.sql" }, { "reals", "7.csv" },
			{ "keyed", "b.csv" }, { "keyed", "b%2Fc%2C%25.jsonl" }, { "keyed", "c.csv" },
			{ "customers", "1.jsonl" }, { "customers", "15.csv" }, { "customers", "26.csv" },
			{ "many", "207.jsonl" }, { "changes", "0.csv" },
		};
		for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
			size_t d = 0;
			while (d < f->ndirs && strcmp(f->dirs[d], hs[i].dir))
				d++;
			if (d == f->ndirs)
				abort();
			snprintf(fn, sizeof(fn), "hist-spell-%02zu", i);
			put_lookup(fn, (uint8_t)parent_of(f, FX_HIST_KEY, d, 0), hs[i].name, NULL, 0);
		}
	}
	/* at/: the generations' names and times, days, offsets, fractions, and what is not a time */
	{
		static const char *const times[] = {
			"2026-11-20T020000Z", "2026-11-19T020000Z", "2026-11-20T020000Z-2",
			"2026-11-20T02:00:00Z", "2026-11-20T01:59:59Z", "2026-11-19T02:00:00Z",
			"2026-11-19T01:59:59Z", "2026-11-20", "2026-11-19", "2026-11-18", "20261120",
			"20261120T020000Z", "20261120T015959Z", "2026-11-20T03:00:00+01:00",
			"2026-11-20T03:00:00+0100", "2026-11-20T02:00:00.999Z", "2026-11-20t02:00:00z",
			"2026-11-20T02:00:00", "2026-02-30", "2026-13-01", "2026-11-20T24:00:00Z",
			"2026-11-20T02:00:60Z", "9999-12-31", "0000-01-01", "latest", "",
			"2026-11-20T02:00:00,5Z", "2026-11-20T02:00:00.Z", "2026-11-20T02:00:00-23:59",
		};
		for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
			snprintf(fn, sizeof(fn), "at-%02zu", i);
			put_lookup(fn, (uint8_t)at, times[i], NULL, 0);
		}
	}
	/* reads: changes.csv of the table that changed, a key file, a history */
	{
		size_t t = 0;
		const struct manifest *m = &f->gens[1];
		while (strcmp(m->tables[t].dirname, "reals"))
			t++;
		size_t tp = parent_of(f, FX_TABLE, 1, t), d = 0;
		while (strcmp(f->dirs[d], "reals"))
			d++;
		put_lookup_read("read-changes-csv-0", tp, "changes.csv", 0, 1);
		put_lookup_read("read-changes-csv-mid", tp, "changes.csv", 20, 2);
		put_lookup_read("read-changes-jsonl-past", tp, "changes.jsonl", 0xffff, 1);
		put_lookup_read("read-key-csv", parent_of(f, FX_KEY, 1, t), "3.5.csv", 5, 1);
		put_lookup_read("read-key-sql-wrap", parent_of(f, FX_KEY, 1, t), "3.5.sql", 0x7fff, 2);
		put_lookup_read("read-hist-csv", parent_of(f, FX_HIST_KEY, d, 0), "2.5.csv", 30, 3);
		put_lookup_read("read-hist-jsonl-past", parent_of(f, FX_HIST_KEY, d, 0), "2.5.jsonl",
				0x8000, 1);
		put_lookup_read("read-at", at, "2026-11-20", 0, 1);
	}
	/* numbers: type 14 served ... */
	put_ino("ino-ext-tables", fx_ext_ino(FX_EXT_TABLES, 0, 0, 0), 0, 0);
	put_ino("ino-ext-at", fx_ext_ino(FX_EXT_AT, 0, 0, 0), 0, 0);
	for (size_t g = 0; g < f->ngens; g++) {
		const struct manifest *m = &f->gens[g];
		for (size_t t = 0; t < m->ntables; t++) {
			if (g != 1 && t != 0)
				continue;
			snprintf(fn, sizeof(fn), "ino-ext-%zu-%zu-key", g, t);
			put_ino(fn, fx_ext_ino(FX_EXT_KEY_DIR, m->seq, t, 0), 0, 0);
			snprintf(fn, sizeof(fn), "ino-ext-%zu-%zu-changes-csv", g, t);
			put_ino(fn, fx_ext_ino((enum fx_ext)3, m->seq, t, 0), 3, 1); /* retired subtype: names nothing now */
			snprintf(fn, sizeof(fn), "ino-ext-%zu-%zu-changes-jsonl", g, t);
			put_ino(fn, fx_ext_ino((enum fx_ext)3, m->seq, t, 1), 0, 0);
			snprintf(fn, sizeof(fn), "ino-ext-%zu-%zu-link", g, t);
			put_ino(fn, fx_ext_ino(FX_EXT_HIST_LINK, m->seq, t, 0), 0, 0);
		}
	}
	/* ... and not: unused fields set, no such table or generation, subtypes 5..15, type 15 */
	{
		const struct manifest *m = &f->gens[0];
		size_t tc = 0;
		while (strcmp(m->tables[tc].dirname, "changes"))
			tc++;
		put_ino("miss-ext-tables-seq", fx_ext_ino(FX_EXT_TABLES, 1, 0, 0), 0, 0);
		put_ino("miss-ext-at-pos", fx_ext_ino(FX_EXT_AT, 0, 0, 1), 0, 0);
		put_ino("miss-ext-key-pos", fx_ext_ino(FX_EXT_KEY_DIR, m->seq, 0, 1), 0, 0);
		put_ino("miss-ext-key-seq-0", fx_ext_ino(FX_EXT_KEY_DIR, 0, 0, 0), 0, 0);
		put_ino("miss-ext-key-tidx", fx_ext_ino(FX_EXT_KEY_DIR, m->seq, m->ntables, 0), 0, 0);
		put_ino("miss-ext-changes-2", fx_ext_ino((enum fx_ext)3, m->seq, 0, 2), 0, 0);
		put_ino("miss-ext-changes-seq", fx_ext_ino((enum fx_ext)3, 9, 0, 0), 0, 0);
		/* the table named "changes" has no changes files (see fuzz_lookup.c changes_alias) */
		put_ino("miss-ext-changes-of-changes", fx_ext_ino((enum fx_ext)3, m->seq, tc, 0), 0, 0);
		put_ino("miss-ext-changes-of-changes-jsonl", fx_ext_ino((enum fx_ext)3, m->seq, tc, 1),
			0, 0);
		put_ino("miss-ext-link-pos", fx_ext_ino(FX_EXT_HIST_LINK, m->seq, 0, 1), 0, 0);
		put_ino("miss-ext-link-tidx", fx_ext_ino(FX_EXT_HIST_LINK, m->seq, m->ntables, 0), 0, 0);
		put_ino("miss-ext-seq-high", fx_ext_ino(FX_EXT_KEY_DIR, 0xffffff, 0, 0), 0, 0);
		for (unsigned sub = 5; sub < 16; sub += 5) {
			snprintf(fn, sizeof(fn), "miss-ext-sub-%u", sub);
			put_ino(fn, fx_ext_ino((enum fx_ext)sub, m->seq, 0, 0), 0, 0);
		}
		put_ino("miss-hash-0", (uint64_t)FX_T_HASH << 60, 0, 0);
		put_ino("miss-hash-1", (uint64_t)FX_T_HASH << 60 | 0x0123456789abcdeULL, 0, 0);
		put_ino("miss-hash-max", UINT64_MAX, 0, 0);
	}
}

/*
 * Mount layout 6, db/: the databases by name and names that are none; in
 * each db/<name>/ every generation (its own: links; another database's:
 * misses), latest and the root's names; the numbers of db/ and of the
 * links (extended subtypes 5 and 6), served and near misses.
 */
static void lookup_db_corpus(const struct fx *f)
{
	static const char *const miss[] = { "latest", "tables", "at", "db", "nope", "FUZZ", "" };
	size_t rootp = parent_of(f, FX_ROOT, 0, 0), dbs = parent_of(f, FX_DB, 0, 0);
	char fn[64];

	put_lookup("db-root", (uint8_t)rootp, "db", NULL, 0);
	put_lookup("db-root-miss-dbs", (uint8_t)rootp, "dbs", NULL, 0);
	for (size_t d = 0; d < f->ndbs; d++) {
		size_t np = parent_of(f, FX_DB_NAME, d, 0);
		snprintf(fn, sizeof(fn), "db-%zu", d);
		put_lookup(fn, (uint8_t)dbs, f->dbs[d], NULL, 0);
		for (size_t g = 0; g < f->ngens; g++) {
			snprintf(fn, sizeof(fn), "db-%zu-gen-%zu", d, g);
			put_lookup(fn, (uint8_t)np, f->gens[g].name, NULL, 0);
		}
		snprintf(fn, sizeof(fn), "db-%zu-latest", d);
		put_lookup(fn, (uint8_t)np, "latest", NULL, 0);
		for (size_t i = 1; i < sizeof(miss) / sizeof(miss[0]); i++) {
			snprintf(fn, sizeof(fn), "db-%zu-miss-%zu", d, i);
			put_lookup(fn, (uint8_t)np, miss[i], NULL, 0);
		}
		snprintf(fn, sizeof(fn), "db-%zu-miss-db", d);
		put_lookup(fn, (uint8_t)np, f->dbs[(d + 1) % f->ndbs], NULL, 0);
	}
	for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++) {
		snprintf(fn, sizeof(fn), "db-miss-%zu", i);
		put_lookup(fn, (uint8_t)dbs, miss[i], NULL, 0);
	}
	put_lookup("db-miss-gen", (uint8_t)dbs, f->gens[0].name, NULL, 0);
	put_ino("ino-db", fx_ext_ino(FX_EXT_DB, 0, 0, 0), 0, 0);
	for (size_t g = 0; g < f->ngens; g++) {
		snprintf(fn, sizeof(fn), "ino-db-link-%zu", g);
		put_ino(fn, fx_ext_ino(FX_EXT_DB_LINK, f->gens[g].seq, 0, 0), 0, 0);
	}
	{
		uint64_t seq = f->gens[0].seq;
		put_ino("miss-db-seq", fx_ext_ino(FX_EXT_DB, seq, 0, 0), 0, 0);
		put_ino("miss-db-pos", fx_ext_ino(FX_EXT_DB, 0, 0, 1), 0, 0);
		put_ino("miss-db-link-seq-0", fx_ext_ino(FX_EXT_DB_LINK, 0, 0, 0), 0, 0);
		put_ino("miss-db-link-seq-9", fx_ext_ino(FX_EXT_DB_LINK, 9, 0, 0), 0, 0);
		put_ino("miss-db-link-tidx", fx_ext_ino(FX_EXT_DB_LINK, seq, 1, 0), 0, 0);
		put_ino("miss-db-link-pos", fx_ext_ino(FX_EXT_DB_LINK, seq, 0, 1), 0, 0);
		put_ino("miss-ext-sub-7", fx_ext_ino((enum fx_ext)7, seq, 0, 0), 0, 0);
	}
}

static void lookup_corpus(void)
{
	struct fx f;
	int k = 0;
	char fn[48];

	fx_describe(&f);
#define SEED(p, s)                                                                     \
	do {                                                                           \
		snprintf(fn, sizeof(fn), "name-%03d", k++);                            \
		put_lookup(fn, (uint8_t)(p), (s), NULL, 0);                            \
	} while (0)
	for (size_t p = 0; p < f.nparents; p++) {
		const struct fx_parent *x = &f.parents[p];
		const struct manifest *m = &f.gens[x->gen];
		switch (x->kind) {
		case FX_ROOT:
			for (size_t g = 0; g < f.ngens; g++)
				SEED(p, f.gens[g].name);
			SEED(p, "latest");
			break;
		case FX_GEN:
			for (size_t t = 0; t < m->ntables; t++)
				SEED(p, m->tables[t].dirname);
			SEED(p, "generation.json");
			break;
		case FX_TABLE: {
			char *csv = xasprintf("%s.csv", m->tables[x->tidx].dirname);
			SEED(p, csv);
			free(csv);
			break;
		}
		case FX_ROWS:
			for (size_t c = 0; c < m->tables[x->tidx].nchunks; c++)
				SEED(p, f.fnames[VIEW_CSV][x->gen][x->tidx][c]);
			break;
		default: /* layout 5: lookup_nav_corpus */
			break;
		}
	}
#undef SEED
	/* the other names: a generation's schema.sql, a table's schema.sql and rows */
	for (size_t p = 0; p < f.nparents; p++) {
		const struct fx_parent *x = &f.parents[p];
		if (x->kind == FX_GEN) {
			snprintf(fn, sizeof(fn), "gen-%zu-schema", x->gen);
			put_lookup(fn, (uint8_t)p, "schema.sql", NULL, 0);
		} else if (x->kind == FX_TABLE && (x->gen == 1 || x->tidx == 0)) {
			snprintf(fn, sizeof(fn), "table-%zu-%zu-schema", x->gen, x->tidx);
			put_lookup(fn, (uint8_t)p, "schema.sql", NULL, 0);
			snprintf(fn, sizeof(fn), "table-%zu-%zu-rows", x->gen, x->tidx);
			put_lookup(fn, (uint8_t)p, "rows", NULL, 0);
		}
	}
	/* reads: across the header's end, in the body, past the end, of nothing */
	{
		static const struct { unsigned off, n; } rd[] = {
			{ 5, 4 }, { 400, 8 }, { 0xffff, 1 }, { 3, 0 },
		};
		size_t p = 0;
		while (f.parents[p].kind != FX_TABLE) /* generation 0, table 0: 3 chunks */
			p++;
		char *csv = xasprintf("%s.csv", f.gens[0].tables[0].dirname);
		for (size_t i = 0; i < sizeof(rd) / sizeof(rd[0]); i++) {
			uint8_t t[3] = { (uint8_t)rd[i].off, (uint8_t)(rd[i].off >> 8), (uint8_t)rd[i].n };
			snprintf(fn, sizeof(fn), "read-csv-%zu", i);
			put_lookup(fn, (uint8_t)p, csv, t, sizeof(t));
		}
		free(csv);
		uint8_t t[3] = { 10, 0, 2 };
		put_lookup("read-rows-file", (uint8_t)(p + 1), f.fnames[VIEW_CSV][0][0][1], t, sizeof(t));
	}
	/*
	 * lookups in the first nodes of the tree, files and the link among them
	 * (8 to 11: generation 0's first table's .csv, .jsonl, .sql and rows)
	 */
	for (size_t i = 0; i < 12 && f.nparents + i < 0x80; i++) {
		snprintf(fn, sizeof(fn), "node-%zu", i);
		put_lookup(fn, (uint8_t)(f.nparents + i), i & 1 ? "x" : "schema.sql", NULL, 0);
	}
	/* inode numbers (docs/FORMAT.md "Inode numbers"), served ... */
	put_ino("ino-root", FX_INO_ROOT, 0, 0);
	put_ino("ino-latest", FX_INO_LATEST, 0, 0);
	for (size_t g = 0; g < f.ngens; g++) {
		const struct manifest *m = &f.gens[g];
		snprintf(fn, sizeof(fn), "ino-%zu-gen", g);
		put_ino(fn, fx_ino(FX_T_GEN, m->seq, 0, 0), 0, 0);
		snprintf(fn, sizeof(fn), "ino-%zu-json", g);
		put_ino(fn, fx_ino(FX_T_GEN_JSON, m->seq, 0, 0), 20, 2);
		snprintf(fn, sizeof(fn), "ino-%zu-schema", g);
		put_ino(fn, fx_ino(FX_T_GEN_SCHEMA, m->seq, 0, 0), 0, 0);
		for (size_t t = 0; t < m->ntables; t++) {
			const struct manifest_table *mt = &m->tables[t];
			/* the last row-range file of every table (or, empty, its chunk 0: none) */
			snprintf(fn, sizeof(fn), "ino-%zu-%zu", g, t);
			put_ino(fn, fx_ino(FX_T_ROWS_FILE, m->seq, t, mt->nchunks ? mt->nchunks - 1 : 0),
				0, 0);
			if (g != 1 && t != 0)
				continue;
			static const struct { enum fx_type type; const char *what; } tt[] = {
				{ FX_T_TABLE, "table" }, { FX_T_TABLE_SCHEMA, "table-schema" },
				{ FX_T_TABLE_CSV, "csv" }, { FX_T_ROWS, "rows" },
			};
			for (size_t i = 0; i < sizeof(tt) / sizeof(tt[0]); i++) {
				snprintf(fn, sizeof(fn), "ino-%zu-%zu-%s", g, t, tt[i].what);
				put_ino(fn, fx_ino(tt[i].type, m->seq, t, 0), 0, 0);
			}
		}
	}
	/* ... and not: no such generation, table, chunk or group; types 0, 9, 11; unused fields set */
	{
		const struct manifest *m = &f.gens[0];
		put_ino("miss-seq", fx_ino(FX_T_GEN, f.gens[f.ngens - 1].seq + 1, 0, 0), 0, 0);
		put_ino("miss-tidx", fx_ino(FX_T_TABLE, m->seq, m->ntables, 0), 0, 0);
		put_ino("miss-chunk", fx_ino(FX_T_ROWS_FILE, m->seq, 0, m->tables[0].nchunks), 0, 0);
		put_ino("miss-group", fx_ino(FX_T_ROWS_GROUP, m->seq, 0, 0), 0, 0);
		put_ino("miss-type-0", (uint64_t)0 << 60 | m->seq << 36, 0, 0);
		put_ino("miss-type-9", (uint64_t)9 << 60 | m->seq << 36, 0, 0);
		/* named when types 11 and the position of type 6 were unused: now served
		 * (table 0's first JSONL row-range file, and its JSONL table file) */
		put_ino("miss-type-11", (uint64_t)11 << 60 | m->seq << 36, 0, 0);
		put_ino("miss-seq-0", fx_ino(FX_T_GEN_JSON, 0, 0, 0), 0, 0);
		put_ino("miss-unused-gen", fx_ino(FX_T_GEN, m->seq, 1, 0), 0, 0);
		put_ino("miss-unused-csv", fx_ino(FX_T_TABLE_CSV, m->seq, 0, 1), 0, 0);
	}
	lookup_views_corpus(&f);
	lookup_layout4_corpus(&f);
	lookup_nav_corpus(&f);
	lookup_db_corpus(&f);
	fx_free(&f);
}

static void key_corpus(void)
{
	struct buf k = BUF_INIT, pair = BUF_INIT;
	struct chunk_shape s1 = { .nhidden = 0, .ncols = 1, .nkey = 1 };
	struct chunk_shape s2 = { .nhidden = 0, .ncols = 2, .nkey = 2 };
	s2.keypos[0] = 0;
	s2.keypos[1] = 1;
	struct value one[] = { V_INT(42), V_INT(-1), V_TEXT("a/b c"), V_BLOB("\x01\x02", 2),
			       V_REAL(2.5), V_NULL() };
	const char *names[] = { "int", "negative", "text", "blob", "real", "null" };
	for (int i = 0; i < 6; i++) {
		buf_reset(&k);
		key_encode(&k, &s1, &one[i]);
		put("name", names[i], k.data, k.len);
		/* keycmp: split byte, then two keys */
		buf_reset(&pair);
		struct buf k2 = BUF_INIT;
		key_encode(&k2, &s1, &one[(i + 1) % 6]);
		buf_addc(&pair, (uint8_t)(k.len + 1));
		buf_add(&pair, k.data, k.len);
		buf_add(&pair, k2.data, k2.len);
		put("keycmp", names[i], pair.data, pair.len);
		buf_release(&k2);
	}
	struct value two[2] = { V_INT(7), V_TEXT("x,y") };
	buf_reset(&k);
	key_encode(&k, &s2, two);
	put("name", "composite", k.data, k.len);
	struct value two2[2] = { V_INT(7), V_TEXT("x") };
	struct buf k2 = BUF_INIT;
	key_encode(&k2, &s2, two2);
	buf_reset(&pair);
	buf_addc(&pair, (uint8_t)(k.len + 1));
	buf_add(&pair, k.data, k.len);
	buf_add(&pair, k2.data, k2.len);
	put("keycmp", "composite", pair.data, pair.len);
	/* a long text key (truncated name) */
	char longs[300];
	memset(longs, 'q', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = 0;
	struct value lv = V_TEXT(longs);
	buf_reset(&k);
	key_encode(&k, &s1, &lv);
	put("name", "long", k.data, k.len);
	put("name", "table-name", "order items/2024", 16);
	buf_release(&k);
	buf_release(&k2);
	buf_release(&pair);
}

/*
 * fuzz_keyname: key names (every input is also read as a typed chunk) and
 * typed chunks (every input is also read as a key name).
 */
static void keyname_corpus(void)
{
	static const struct { const char *file, *name; } names[] = {
		{ "int", "42" }, { "negative", "-7" }, { "real", "2.5" }, { "real-exp", "1e+300" },
		{ "infinity", "-Infinity" }, { "blob", "x'00ff'" }, { "blob-empty", "x''" },
		{ "blob-odd", "x'0'" }, { "escapes", "a%2Fb%2cc%25" }, { "composite", "apple,2" },
		{ "empty", "" }, { "comma", "," }, { "five", "1,2,3,4,5" }, { "mixed", "x'',2.5,7,t" },
		{ "utf8", "h\xc3\xa9llo w\xc3\xb6rld" }, { "int-max", "9223372036854775807" },
		{ "int-over", "9223372036854775808" }, { "int-min", "-9223372036854775808" },
		{ "bad-escape", "%zz" }, { "short-escape", "%4" }, { "percent", "%" },
		{ "plus", "+1" }, { "zeros", "007,-0" }, { "dots", "1.,.5,." },
		/* the known bug of fuzz_keyname.c: a number, then an escaped NUL */
		{ "real-nul", "4%00x" }, { "nul-digit", "%001" },
	};
	char many[256];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		put("keyname", names[i].file, names[i].name, strlen(names[i].name));
	/* 64 values: the most a name has; 65 is too many */
	memset(many, ',', 63);
	many[63] = 0;
	put("keyname", "values-64", many, 63);
	put("keyname", "values-65", many, 64);
	/* typed chunks */
	struct buf c = BUF_INIT;
	rowid_chunk(&c, 1, 12, NULL, NULL);
	put("keyname", "chunk-rowid", c.data, c.len);
	put("keyname", "chunk-rowid-cut", c.data, c.len - 3);
	struct chunk_shape s = { .nhidden = 0, .ncols = 4, .nkey = 2 };
	s.keypos[0] = 1;
	s.keypos[1] = 0;
	buf_reset(&c);
	chunk_shape_encode(&c, &s);
	put("keyname", "chunk-header-only", c.data, c.len);
	struct value rows[3][4] = {
		{ V_INT(1), V_TEXT("a"), V_BLOB("\0\xff", 2), V_REAL(-0.0) },
		{ V_INT(2), V_TEXT(""), V_BLOB("", 0), V_REAL(1e300) },
		{ V_INT(-3), V_TEXT("\\."), V_NULL(), V_TEXT("\xc3\xa9") },
	};
	for (int r = 0; r < 3; r++)
		for (int k = 0; k < 4; k++)
			value_encode(&c, &rows[r][k]);
	put("keyname", "chunk-without-rowid", c.data, c.len);
	buf_release(&c);
}

/* fuzz_pagemap: a chunk whose leaf hashes are bytes made from seeds. */
static void pm_chunk(struct pagemap_table *t, uint32_t k, unsigned first, unsigned span,
		     uint32_t start, uint32_t nleaves, uint32_t end_cell, uint8_t end)
{
	uint8_t classes[8];
	struct pagemap_chunk c = { .k = k, .start_cell = start, .nleaves = nleaves,
				   .end_cell = end_cell, .end = end, .classes = classes };
	for (int i = 0; i < 16; i++) {
		c.first[i] = (uint8_t)(first * 37 + (unsigned)i * 11);
		c.span[i] = (uint8_t)(span * 53 + (unsigned)i * 7 + 1);
	}
	for (int i = 0; i < 8; i++)
		classes[i] = (uint8_t)(1u << (k + (uint32_t)i) % 5);
	pagemap_add(t, &c);
}

/*
 * fuzz_pagemap: segment si of chunk k, starting at cell start of the leaf
 * made from seed first, with keys of flen and llen bytes; its other fields
 * valid and made from (k, si).
 */
static void pm_seg(struct pagemap_table *t, uint32_t k, uint32_t si, unsigned first, uint32_t start,
		   uint32_t flen, uint32_t llen)
{
	uint8_t classes[8], fk[400], lk[400];
	struct pagemap_seg g = { .k = k, .si = si, .start_cell = start, .nleaves = 1 + (k + si) % 3,
				 .first_key = fk, .first_len = flen, .last_key = lk,
				 .last_len = llen, .classes = classes };
	for (int i = 0; i < 16; i++) {
		g.first[i] = (uint8_t)(first * 37 + (unsigned)i * 11);
		g.span[i] = (uint8_t)((k * 7 + si) * 53 + (unsigned)i * 5 + 3);
		g.id[i] = (uint8_t)((k * 13 + si) * 17 + (unsigned)i * 3 + 9);
	}
	g.end_cell = g.nleaves == 1 ? start + si % 4 : (k + si) % 9;
	g.end = si % 2 ? PAGEMAP_END_TABLE : PAGEMAP_END_CUT;
	g.flags = (uint8_t)((k + si) % 4);
	g.nrows = 1 + (k * 5 + si) % 90;
	g.typed_len = g.nrows * 37 + si;
	g.csv_len = g.typed_len + g.nrows * 3;
	g.fire_end = (k + si) % 3 ? g.typed_len - 1 - (k % 5) : 0;
	g.jsonl_len = (uint64_t)g.typed_len * 3 + si;
	g.sql_len = ((uint64_t)k << 35) + g.typed_len * 4;
	for (unsigned i = 0; i < sizeof(fk); i++) {
		fk[i] = (uint8_t)(k * 11 + si * 3 + i);
		lk[i] = (uint8_t)(k * 19 + si * 7 + i * 5 + 1);
	}
	for (int i = 0; i < 8; i++)
		classes[i] = (uint8_t)(1u << (k + si + (uint32_t)i) % 5);
	pagemap_add_seg(t, &g);
}

static void put_pagemap(const char *name, struct pagemap *pm)
{
	struct buf b = BUF_INIT;
	pagemap_encode(pm, &b);
	put("pagemap", name, b.data, b.len);
	buf_release(&b);
	pagemap_release(pm);
}

/*
 * fuzz_pagemap: page maps (version 2) as backups write them - none, one
 * table with every end kind, two chunks on one leaf and 0 to 3 segments a
 * chunk (one where its chunk starts, some of chunks without a record),
 * tables without columns, chunks or segments, one leaf and cell in two
 * tables, many chunks and segments with multi-byte varints and keys of
 * hundreds of bytes; and, checksummed right, things the decoder refuses:
 * a name twice, two chunks at one start, an end kind 0, two segments at
 * one start (in two chunks), segments out of (k, si) order, a segment's
 * fire_end at its typed_len, and a version 1 map (no segment counts).
 */
static void pagemap_corpus(void)
{
	struct pagemap pm = { 0 };
	struct pagemap_table *t;
	uint8_t ident[16];

	memset(ident, 0x11, sizeof(ident));
	put_pagemap("no-tables", &pm);

	t = pagemap_add_table(&pm, "t", ident, 3);
	pm_chunk(t, 2, 3, 30, 7, 1, 40, PAGEMAP_END_CUT);
	pm_chunk(t, 0, 1, 10, 0, 1, 6, PAGEMAP_END_BEFORE);
	pm_chunk(t, 1, 1, 20, 7, 2, 3, PAGEMAP_END_BEFORE_NEXT); /* chunk 0's leaf */
	pm_chunk(t, 3, 4, 40, 41, 3, 12, PAGEMAP_END_TABLE);
	pm_seg(t, 0, 0, 1, 0, 6, 6); /* where chunk 0 starts */
	pm_seg(t, 0, 1, 1, 3, 6, 6);
	pm_seg(t, 2, 0, 3, 7, 0, 9); /* an empty first key */
	pm_seg(t, 2, 1, 3, 20, 9, 0);
	pm_seg(t, 2, 2, 5, 1, 9, 9);
	pm_seg(t, 4, 0, 6, 2, 5, 5); /* chunk 4: no chunk record */
	{
		/* chunk 2's segment list as a backup stores it (pagemap_segs_encode), and an empty one */
		struct buf l = BUF_INIT;
		pagemap_segs_encode(&t->segs[2], 3, t->ncols, &l);
		put("pagemap", "list-three", l.data, l.len);
		buf_reset(&l);
		pagemap_segs_encode(NULL, 0, t->ncols, &l);
		put("pagemap", "list-empty", l.data, l.len);
		buf_release(&l);
	}
	put_pagemap("one-table", &pm);

	t = pagemap_add_table(&pm, "empty", ident, 0);
	t = pagemap_add_table(&pm, "no columns", ident, 0);
	pm_chunk(t, 0, 9, 90, 0, 1, 0, PAGEMAP_END_TABLE);
	pm_seg(t, 0, 0, 9, 0, 3, 3);
	put_pagemap("no-columns", &pm);

	t = pagemap_add_table(&pm, "a", ident, 2);
	pm_chunk(t, 0, 5, 50, 2, 1, 2, PAGEMAP_END_CUT);
	pm_seg(t, 0, 0, 5, 2, 4, 4);
	memset(ident, 0x22, sizeof(ident));
	t = pagemap_add_table(&pm, "order items/2024", ident, 2);
	pm_chunk(t, 0, 5, 51, 2, 4, 0, PAGEMAP_END_CUT); /* "a"'s leaf and cell */
	pm_chunk(t, 1, 6, 60, 1, 1, 1, PAGEMAP_END_TABLE);
	pm_seg(t, 0, 0, 5, 2, 4, 4); /* "a"'s segment's leaf and cell */
	pm_seg(t, 1, 0, 6, 1, 4, 4);
	put_pagemap("one-leaf-two-tables", &pm);

	t = pagemap_add_table(&pm, "segments only", ident, 1);
	pm_seg(t, 3, 0, 70, 0, 2, 2);
	pm_seg(t, 3, 5, 70, 9, 2, 2);
	pm_seg(t, 200, 0, 71, 300, 2, 2);
	put_pagemap("segments-only", &pm);

	t = pagemap_add_table(&pm, "many", ident, 8);
	for (uint32_t i = 0; i < 40; i++)
		pm_chunk(t, i * 1000, 100 + i / 3, 200 + i, (i % 3) * 150, 1 + i % 4, 300 + i,
			 (uint8_t)(PAGEMAP_END_CUT + i % 4));
	for (uint32_t i = 0; i < 40; i++)
		for (uint32_t j = 0; j < i % 4; j++)
			pm_seg(t, i * 1000, j * 70, 100 + i / 3, (i % 3) * 150 + j * 40,
			       (i * 37 + j) % 400, (i * 53 + j * 7) % 400);
	put_pagemap("many-chunks", &pm);

	t = pagemap_add_table(&pm, "t", ident, 1);
	pm_chunk(t, 0, 1, 1, 0, 1, 0, PAGEMAP_END_CUT);
	t = pagemap_add_table(&pm, "t", ident, 1);
	pm_chunk(t, 0, 2, 2, 0, 1, 0, PAGEMAP_END_TABLE);
	put_pagemap("refused-name-twice", &pm);

	t = pagemap_add_table(&pm, "t", ident, 2);
	pm_chunk(t, 0, 1, 10, 3, 1, 9, PAGEMAP_END_CUT);
	pm_chunk(t, 1, 1, 11, 3, 2, 0, PAGEMAP_END_TABLE);
	put_pagemap("refused-same-start", &pm);

	t = pagemap_add_table(&pm, "t", ident, 2);
	pm_chunk(t, 0, 1, 10, 3, 1, 9, 0);
	put_pagemap("refused-end-0", &pm);

	t = pagemap_add_table(&pm, "t", ident, 2);
	pm_seg(t, 0, 0, 1, 3, 4, 4);
	pm_seg(t, 0, 1, 2, 0, 4, 4);
	pm_seg(t, 5, 0, 1, 3, 4, 4); /* segment (0, 0)'s start, in another chunk */
	put_pagemap("refused-seg-same-start", &pm);

	t = pagemap_add_table(&pm, "t", ident, 2);
	pm_seg(t, 1, 2, 1, 3, 4, 4);
	pm_seg(t, 1, 1, 2, 3, 4, 4); /* si going down */
	put_pagemap("refused-seg-order", &pm);

	t = pagemap_add_table(&pm, "t", ident, 2);
	pm_seg(t, 1, 1, 1, 3, 4, 4);
	pm_seg(t, 1, 2, 2, 3, 4, 4);
	t->segs[1].fire_end = t->segs[1].typed_len;
	put_pagemap("refused-seg-fire-end", &pm);

	/* a version 1 map: no segment count after a table's chunks */
	{
		struct buf b = BUF_INIT;
		uint8_t z[16];
		memset(z, 0x33, sizeof(z));
		buf_add(&b, "STPM", 4);
		buf_addc(&b, 1);
		buf_add_varint(&b, 1);
		buf_add_bytes(&b, "t", 1);
		buf_add(&b, z, 16);
		buf_add_varint(&b, 1); /* ncols */
		buf_add_varint(&b, 1); /* nchunks */
		buf_add_varint(&b, 0); /* k */
		buf_add(&b, z, 16);
		buf_add(&b, z, 16);
		buf_add_varint(&b, 0);
		buf_add_varint(&b, 1);
		buf_add_varint(&b, 5);
		buf_addc(&b, PAGEMAP_END_CUT);
		buf_addc(&b, 1); /* classes */
		buf_add_u64le(&b, XXH3_64bits(b.data, b.len));
		put("pagemap", "refused-version-1", b.data, b.len);
		buf_release(&b);
	}
}

static void pack_and_manifest_corpus(void)
{
	char tmpl[] = "/tmp/strata-corpus-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *packs = xasprintf("%s/packs", dir), *tmp = xasprintf("%s/tmp", dir);
	struct pack_writer *w;
	struct manifest_chunk mc[3];
	char name[33];
	struct store *st;

	if (store_open(dir, true, &st) || pack_writer_open(&w, st))
		exit(1);
	for (int i = 0; i < 3; i++) {
		struct buf c = BUF_INIT, csv = BUF_INIT, fk = BUF_INIT, lk = BUF_INIT;
		struct pack_entry e = { 0 };
		uint64_t nr;
		rowid_chunk(&c, 1 + i * 10, 10, &fk, &lk);
		render_csv_chunk(c.data, c.len, &csv, &nr);
		chunk_id_of(&e.id, c.data, c.len);
		e.ulen = (uint32_t)c.len;
		e.nrows = nr;
		e.csv_len = csv.len;
		uint8_t *z = xmalloc(ZSTD_compressBound(c.len));
		e.clen = (uint32_t)ZSTD_compress(z, ZSTD_compressBound(c.len), c.data, c.len, 3);
		pack_writer_add(w, &e, z);
		free(z);
		mc[i] = (struct manifest_chunk){ .id = e.id, .nrows = nr, .ulen = c.len,
						 .csv_len = csv.len };
		mc[i].first_key = buf_detach(&fk, &mc[i].first_len);
		mc[i].last_key = buf_detach(&lk, &mc[i].last_len);
		buf_release(&c);
		buf_release(&csv);
	}
	if (pack_writer_finish(w, name))
		exit(1);
	char *pp = xasprintf("%s/%.2s/%s.pack", packs, name, name);
	uint8_t *d;
	size_t n;
	if (read_file(pp, 1 << 20, &d, &n))
		exit(1);
	put("pack", "three-chunks", d, n);
	free(d);
	free(pp);
	if (pack_writer_open(&w, st) || pack_writer_finish(w, name))
		exit(1);
	store_free(st);
	pp = xasprintf("%s/%.2s/%s.pack", packs, name, name);
	if (read_file(pp, 1 << 20, &d, &n))
		exit(1);
	put("pack", "empty", d, n);
	free(d);
	free(pp);

	/* manifests */
	static char *cols[] = { "a", "b", "c" };
	struct manifest_table t[3];
	memset(t, 0, sizeof(t));
	t[0] = (struct manifest_table){ .name = "t", .dirname = "t", .schema = "CREATE TABLE t(a,b,c)",
					.ncols = 3, .cols = cols, .nchunks = 3, .chunks = mc };
	for (int i = 0; i < 3; i++) {
		t[0].nrows += mc[i].nrows;
		t[0].csv_size += mc[i].csv_len;
	}
	t[1] = (struct manifest_table){ .name = "order items/2024", .dirname = "order items%2F2024",
					.schema = "CREATE TABLE x(a PRIMARY KEY) WITHOUT ROWID",
					.flags = TABLE_WITHOUT_ROWID, .ncols = 1, .cols = cols,
					.nchunks = 1, .chunks = mc + 1, .nrows = mc[1].nrows,
					.csv_size = mc[1].csv_len };
	t[2] = (struct manifest_table){ .name = "empty", .dirname = "empty", .schema = "",
					.ncols = 0, .cols = cols };
	struct manifest m = { .seq = 3, .name = "2026-11-20T020000Z", .time = 1795140000,
			      .label = "nightly", .source = "/data/app.db",
			      .schema = "CREATE TABLE t(a,b,c);", .source_bytes = 4096,
			      .new_bytes = 1234, .ntables = 3, .tables = t };
	/* (version 5; "three-tables" and "no-tables" are the version 4 seeds, kept) */
	struct buf b = BUF_INIT;
	manifest_encode(&m, &b);
	put("manifest", "three-tables-v5", b.data, b.len);
	buf_reset(&b);
	/* an index node of table t: fuzz_manifest reads every input as a node too */
	manifest_node_encode(mc, 3, &b);
	put("manifest", "node-3", b.data, b.len);
	buf_reset(&b);
	m.ntables = 0;
	m.seq = 1;
	manifest_encode(&m, &b);
	put("manifest", "no-tables-v5", b.data, b.len);
	buf_release(&b);
	for (int i = 0; i < 3; i++) {
		free(mc[i].first_key);
		free(mc[i].last_key);
	}

	/* config: what repo_init writes, and a hand-written one */
	char *rp = xasprintf("%s/repo", dir);
	struct repo_init_opts o = { .chunk_avg = 65536 };
	if (repo_init(rp, &o))
		exit(1);
	char *cp = xasprintf("%s/config", rp);
	if (read_file(cp, 65536, &d, &n))
		exit(1);
	/* a fixed id so the corpus does not change between runs */
	char *idl = strstr((char *)d, "id = ");
	if (idl)
		memcpy(idl + 5, "00112233445566778899aabbccddeeff", 32);
	put("config", "init", d, n);
	free(d);
	const char *hand = "strata-repository\n# comment\nversion = 1\n"
			   "id = 0123456789abcdef0123456789abcdef\nchunk_min = 0\n"
			   "chunk_avg = 64\nchunk_max = 64\npack_size = 4096\nzstd_level = 19\n"
			   "unknown = value\n";
	put("config", "hand", hand, strlen(hand));
	const char *v2 = "strata-repository\nversion = 2\n";
	put("config", "version2", v2, strlen(v2));

	char *rm = xasprintf("rm -rf '%s'", dir);
	if (system(rm) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(rm);
	free(cp);
	free(rp);
	free(packs);
	free(tmp);
}

/*
 * fuzz_s3xml: what an S3 store answers (an input is the whole body):
 * ListObjectsV2 pages, an error, an InitiateMultipartUploadResult.
 */
static void put_s3(const char *name, const char *xml)
{
	put("s3xml", name, xml, strlen(xml));
}

#define S3_XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define S3_LIST_HEAD                                                                   \
	S3_XML_HEAD "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" \
		    "<Name>bucket</Name><Prefix>p/packs/</Prefix>"
#define S3_CONTENTS(key, size)                                                         \
	"<Contents><Key>" key "</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified>" \
	"<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>" size "</Size>"    \
	"<StorageClass>STANDARD</StorageClass></Contents>"

static void s3xml_corpus(void)
{
	put_s3("list-page",
	       S3_LIST_HEAD "<KeyCount>6</KeyCount><MaxKeys>1000</MaxKeys>"
	       "<IsTruncated>false</IsTruncated>"
	       S3_CONTENTS("p/packs/0a/0a1b2c3d4e5f60718293a4b5c6d7e8f9.pack", "4194304")
	       S3_CONTENTS("p/packs/0a/0a1b2c3d4e5f60718293a4b5c6d7e8f9.pack.idx", "4096")
	       S3_CONTENTS("p/packs/0b/tom&amp;jerry&lt;1&gt;.pack", "17")
	       S3_CONTENTS("p/packs/&#x41;&#66;/caf&#xe9;&#x1F600;.pack", "9")
	       S3_CONTENTS("p/packs/deep/er/than/depth", "1")
	       S3_CONTENTS("p/other/not-under-prefix", "2")
	       "</ListBucketResult>");
	put_s3("list-truncated",
	       S3_LIST_HEAD "<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
	       "<IsTruncated>true</IsTruncated>"
	       S3_CONTENTS("p/packs/00/00aa.pack", "4194304")
	       S3_CONTENTS("p/packs/01/01bb.pack", "4194304")
	       "<ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken>"
	       "<NextContinuationToken>1Tr/XYExHnhbYLg&amp;veDs2J+wm36Hy4vbOwM=</NextContinuationToken>"
	       "</ListBucketResult>");
	put_s3("list-truncated-no-token",
	       S3_LIST_HEAD "<KeyCount>1</KeyCount><MaxKeys>1</MaxKeys>"
	       "<IsTruncated>true</IsTruncated>"
	       S3_CONTENTS("p/packs/00/00aa.pack", "1")
	       "</ListBucketResult>");
	put_s3("list-empty",
	       S3_LIST_HEAD "<KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>"
	       "<IsTruncated>false</IsTruncated></ListBucketResult>");
	put_s3("list-control-keys",
	       S3_LIST_HEAD "<KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys>"
	       "<IsTruncated>false</IsTruncated>"
	       S3_CONTENTS("p/packs/line&#10;feed", "1")
	       S3_CONTENTS("p/packs/del&#x7f;", "1")
	       S3_CONTENTS("p/packs/plain", "1")
	       "</ListBucketResult>");
	put_s3("error-slowdown",
	       S3_XML_HEAD "<Error><Code>SlowDown</Code><Message>Please reduce your request "
	       "rate.</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>"
	       "n6V1bZbWkSLk+2TgBqK0X4aJ3l5bOrO7iD8=</HostId></Error>");
	put_s3("initiate-multipart",
	       S3_XML_HEAD "<InitiateMultipartUploadResult "
	       "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>bucket</Bucket>"
	       "<Key>p/packs/0a/0a1b2c3d4e5f60718293a4b5c6d7e8f9.pack</Key>"
	       "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
	       "</InitiateMultipartUploadResult>");
}

/*
 * fuzz_sqlwal: logs SQLite wrote.  A database in WAL mode in a temporary
 * directory (no automatic checkpoint), a few commits, the connection kept
 * open; each input is the -shm's first 96 bytes (the wal-index header,
 * both copies), an options byte (its bits 0-2: the database file's pages,
 * which this sets), the -wal, then the database file.  A flip offset > 0
 * changes one byte of the input (a torn index, a damaged frame or header).
 */
static void wal_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "gen-corpus: %s: %s\n", sql, msg ? msg : "?");
		exit(1);
	}
}

static uint8_t *wal_slurp(const char *path, const char *suffix, size_t *n)
{
	char *p = xasprintf("%s%s", path, suffix);
	uint8_t *d = NULL;
	int rc = read_file(p, 1 << 20, &d, n);
	if (rc == -ENOENT) {
		d = NULL;
		*n = 0;
	} else if (rc) {
		fprintf(stderr, "gen-corpus: %s: %s\n", p, strerror(-rc));
		exit(1);
	}
	free(p);
	return d;
}

static void put_wal(const char *name, const char *path, uint8_t opt, size_t flip)
{
	size_t nshm, nwal, nfile;
	uint8_t *shm = wal_slurp(path, "-shm", &nshm), *wal = wal_slurp(path, "-wal", &nwal);
	uint8_t *file = wal_slurp(path, "", &nfile);
	uint32_t ps = nfile >= 100 ? (uint32_t)file[16] << 8 | file[17] : 0;
	if (nshm < 96 || !ps || nfile % ps || nfile / ps > 7) {
		fprintf(stderr, "gen-corpus: %s: unexpected -shm or database file\n", name);
		exit(1);
	}
	struct buf b = BUF_INIT;
	buf_add(&b, shm, 96);
	uint8_t o = (uint8_t)((opt & ~7u) | nfile / ps);
	buf_add(&b, &o, 1);
	buf_add(&b, wal, nwal);
	buf_add(&b, file, nfile);
	if (flip)
		b.data[flip] ^= 0x01;
	put("sqlwal", name, b.data, b.len);
	buf_release(&b);
	free(shm);
	free(wal);
	free(file);
}

static sqlite3 *wal_open(const char *path, int page_size)
{
	sqlite3 *db = NULL;
	/* the same salts every run (SQLite draws them from its PRNG) */
	sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, 0x5eed, NULL);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "gen-corpus: cannot open %s\n", path);
		exit(1);
	}
	char *sql = xasprintf("PRAGMA page_size = %d; PRAGMA journal_mode = WAL;"
			      " PRAGMA wal_autocheckpoint = 0", page_size);
	wal_exec(db, sql);
	free(sql);
	return db;
}

static void wal_cleanup(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		char *p = xasprintf("%s%s", path, suffix[i]);
		unlink(p);
		free(p);
	}
}

static void sqlwal_corpus(void)
{
	char tmpl[] = "/tmp/strata-corpus-XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!dir) {
		perror("mkdtemp");
		exit(1);
	}
	static const int sizes[] = { 512, 1024 };
	for (int i = 0; i < 2; i++) {
		int ps = sizes[i];
		/* a table over several leaves (one row with overflow pages at 1024), an index, updates */
		char *path = xasprintf("%s/wal-%d.db", dir, ps);
		sqlite3 *db = wal_open(path, ps);
		if (ps == 1024) /* fewer commits: the same pages fewer times */
			wal_exec(db, "BEGIN");
		wal_exec(db, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL, d BLOB)");
		wal_exec(db, "INSERT INTO t(b, c, d) VALUES ('one', 1.5, x'00ff'), ('two', -2.25, NULL)");
		wal_exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)"
			     " INSERT INTO t(b, c, d) SELECT printf('row %03d of the log', i), i / 4.0,"
			     " CASE WHEN i % 5 = 0 THEN x'cafe' END FROM n");
		if (ps == 1024) {
			wal_exec(db, "INSERT INTO t(b, d) VALUES ('big', zeroblob(1500))");
			wal_exec(db, "COMMIT");
		}
		wal_exec(db, "CREATE INDEX t_b ON t(b)");
		wal_exec(db, "UPDATE t SET c = c * 2 WHERE a % 3 = 0");
		wal_exec(db, "DELETE FROM t WHERE a = 7");
		char *name = xasprintf("wal-%d", ps);
		put_wal(name, path, 0x80, 0);
		free(name);
		sqlite3_close(db);
		wal_cleanup(path);
		free(path);

		/* checkpointed into the file: an empty log, then commits over the file's pages */
		path = xasprintf("%s/ckpt-%d.db", dir, ps);
		db = wal_open(path, ps);
		wal_exec(db, "CREATE TABLE s(a INTEGER PRIMARY KEY, b TEXT)");
		wal_exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 24)"
			     " INSERT INTO s(b) SELECT printf('checkpointed row %d', i) FROM n");
		if (ps == 1024) /* overflow pages in the file, their leaf then in the log */
			wal_exec(db, "INSERT INTO s(a, b) VALUES (3000, printf('%.2500c', 'o'))");
		wal_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
		name = xasprintf("ckpt-%d-empty-log", ps);
		put_wal(name, path, 0, 0);
		free(name);
		wal_exec(db, "UPDATE s SET b = 'changed in the log' WHERE a IN (2, 20)");
		wal_exec(db, "INSERT INTO s(b) VALUES ('appended in the log')");
		name = xasprintf("ckpt-%d", ps);
		put_wal(name, path, 0x80, 0);
		free(name);
		if (ps == 512) {
			/* one page more than the snapshot has; the file's last page cut short */
			put_wal("ckpt-512-npages-plus1", path, 0x90, 0);
			put_wal("ckpt-512-short-map", path, 0xa0, 0);
			/* the second index copy torn; a byte of the last frame's page changed */
			put_wal("ckpt-512-torn-index", path, 0, 48 + 16);
			size_t n;
			free(wal_slurp(path, "-wal", &n));
			put_wal("ckpt-512-flipped-frame", path, 0, 97 + n - 100);
		} else {
			/* the log header's salt */
			put_wal("ckpt-1024-flipped-header", path, 0x40, 97 + 20);
		}
		sqlite3_close(db);
		wal_cleanup(path);
		free(path);
	}
	rmdir(dir);
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s CORPUS_DIR [TARGET]\n", argv[0]);
		return 2;
	}
	root = argv[1];
	only = argc == 3 ? argv[2] : NULL;
	render_corpus();
	frames_corpus();
	frames3_corpus();
	lookup_corpus();
	key_corpus();
	keyname_corpus();
	pagemap_corpus();
	pack_and_manifest_corpus();
	s3xml_corpus();
	sqlwal_corpus();
	return 0;
}
