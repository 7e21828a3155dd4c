/*
 * gen_corpus.c - writes the seed corpora under DIR/<target>/ (DIR is
 * argv[1], normally tests/fuzz/corpus).  Rerun after a format change:
 *   build/tests/fuzz/gen-corpus tests/fuzz/corpus
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "strata/frames.h"
#include "strata/manifest.h"
#include "strata/naming.h"
#include "strata/pack.h"
#include "strata/render.h"
#include "strata/repo.h"
#include "strata/rowcodec.h"
#include "strata/views.h"
#include "lookup_fixture.h"

static const char *root;

static void put(const char *target, const char *name, const void *d, size_t n)
{
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
	for (size_t i = 0; i < 12; i++) {
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

static void pack_and_manifest_corpus(void)
{
	char tmpl[] = "/tmp/strata-corpus-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *packs = xasprintf("%s/packs", dir), *tmp = xasprintf("%s/tmp", dir);
	struct pack_writer *w;
	struct manifest_chunk mc[3];
	char name[33];
	mkdir(packs, 0755);
	mkdir(tmp, 0755);

	if (pack_writer_open(&w, tmp))
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
	if (pack_writer_finish(w, packs, name))
		exit(1);
	char *pp = xasprintf("%s/%.2s/%s.pack", packs, name, name);
	uint8_t *d;
	size_t n;
	if (read_file(pp, 1 << 20, &d, &n))
		exit(1);
	put("pack", "three-chunks", d, n);
	free(d);
	free(pp);
	if (pack_writer_open(&w, tmp) || pack_writer_finish(w, packs, name))
		exit(1);
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
	struct buf b = BUF_INIT;
	manifest_encode(&m, &b);
	put("manifest", "three-tables", b.data, b.len);
	buf_reset(&b);
	m.ntables = 0;
	m.seq = 1;
	manifest_encode(&m, &b);
	put("manifest", "no-tables", b.data, b.len);
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

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	root = argv[1];
	render_corpus();
	frames_corpus();
	lookup_corpus();
	key_corpus();
	pack_and_manifest_corpus();
	return 0;
}
