/* Shared helpers for tests that need files: temp dirs, chunk building. */
#ifndef STRATA_TEST_UTIL_H
#define STRATA_TEST_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zstd.h>

#include "strata/pack.h"
#include "strata/render.h"
#include "strata/rowcodec.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static inline void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory under $TMPDIR (or /tmp); caller frees and rm_rf()s it. */
static inline char *make_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *p = xasprintf("%s/strata-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	if (!mkdtemp(p)) {
		perror("mkdtemp");
		exit(2);
	}
	return p;
}

/*
 * Build a rowid-table chunk of nrows rows starting at rowid first:
 * columns (int, text, real).  Fills the entry's id/ulen/nrows/csv_len,
 * returns the uncompressed bytes; first/last keys into fk/lk when not NULL.
 */
static inline uint8_t *make_chunk(int64_t first, unsigned nrows, const char *tag,
				  struct pack_entry *e, size_t *ulen, struct buf *fk,
				  struct buf *lk)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 3, .nkey = 1 };
	struct buf c = BUF_INIT, csv = BUF_INIT;
	uint64_t nr;
	char text[64];

	chunk_shape_encode(&c, &s);
	for (unsigned i = 0; i < nrows; i++) {
		int64_t id = first + i;
		snprintf(text, sizeof(text), "%s row %lld, \"q\"", tag, (long long)id);
		struct value row[4] = {
			{ .type = VAL_INT, .i = id },
			{ .type = VAL_INT, .i = id * 7 },
			{ .type = VAL_TEXT, .p = (const uint8_t *)text, .n = strlen(text) },
			{ .type = VAL_REAL, .r = (double)id / 4 },
		};
		for (int k = 0; k < 4; k++)
			value_encode(&c, &row[k]);
		if (fk && i == 0) {
			buf_reset(fk);
			key_encode(fk, &s, row);
		}
		if (lk && i == nrows - 1) {
			buf_reset(lk);
			key_encode(lk, &s, row);
		}
	}
	if (render_csv_chunk(c.data, c.len, &csv, &nr) != 0)
		abort();
	memset(e, 0, sizeof(*e));
	chunk_id_of(&e->id, c.data, c.len);
	e->ulen = (uint32_t)c.len;
	e->nrows = nr;
	e->csv_len = csv.len;
	buf_release(&csv);
	*ulen = c.len;
	return buf_detach(&c, NULL);
}

/* zstd-compress; *clen receives the size. */
static inline uint8_t *compress_chunk(const uint8_t *u, size_t n, size_t *clen)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *c = xmalloc(cap);
	size_t r = ZSTD_compress(c, cap, u, n, 3);
	if (ZSTD_isError(r))
		abort();
	*clen = r;
	return c;
}

#endif
