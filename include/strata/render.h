/*
 * render.h - CSV rendering of typed rows (docs/FORMAT.md, "CSV").
 *
 * Pure functions: the same chunk bytes always render to the same text, so
 * the rendered size recorded at backup time is exact forever.  A change to
 * any rule here changes file sizes and needs a format version bump.
 */
#ifndef STRATA_RENDER_H
#define STRATA_RENDER_H

#include <stdbool.h>
#include "strata/rowcodec.h"

/* The first of %.15g, %.16g, %.17g that reads back as the same double
 * (shortest in practice; subnormals may keep 15 digits), always marked as a
 * real ("1.0", "0.1", "1e+300", "Infinity"). Returns the length. */
size_t render_real(char out[40], double d);

/* One CSV field (no separator). */
void render_csv_value(struct buf *b, const struct value *v);
/* A text field with CSV quoting (used for header names too). */
void render_csv_text(struct buf *b, const uint8_t *p, size_t n);
/* Whether render_csv_text() quotes this text (empty, "\.", or a comma, quote, CR or LF). */
bool render_csv_needs_quotes(const uint8_t *p, size_t n);
/* The header row: names quoted as text, LF-terminated. */
void render_csv_header(struct buf *b, char *const *names, unsigned n);

/*
 * Render every row of a chunk as CSV lines (no header) appended to out.
 * On success *nrows is the row count.  -EUCLEAN if the chunk is malformed;
 * out may then hold a partial rendering, which callers must discard.
 */
int render_csv_chunk(const uint8_t *chunk, size_t n, struct buf *out, uint64_t *nrows);

/*
 * The length render_csv_chunk() would produce, without rendering (backup
 * records it; a chunk may hold one value of hundreds of MiB).  Same
 * results and errors as render_csv_chunk().
 */
int render_csv_chunk_len(const uint8_t *chunk, size_t n, uint64_t *len, uint64_t *nrows);

/*
 * render_csv_chunk(), and append to side the part of the chunk the CSV does
 * not carry: its shape header, then per row the hidden values (as encoded)
 * and one type tag byte per column (strata/frames.h, "side stream").
 */
int render_csv_chunk_side(const uint8_t *chunk, size_t n, struct buf *out, struct buf *side,
			  uint64_t *nrows);

#endif
