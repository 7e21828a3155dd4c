/*
 * Fuzz CSV rendering against decoding (round trip).  fuzz_render only
 * checks that rendering does not crash and is deterministic; this target
 * checks that the CSV means the values: the rendered text is parsed back
 * with a small RFC 4180 parser written here (independent of render.c) and
 * every field is compared with the value it came from (docs/FORMAT.md,
 * "CSV").
 *
 * Byte 0 selects the mode.  Even: the rest is a chunk's bytes (as on disk);
 * if it renders, its values are decoded with rowcodec and compared.  Odd:
 * the rest drives a generator of rows (values chosen so that quoting,
 * escapes and every type are common), encoded with rowcodec; the rendering
 * is compared with the generated values, and the column names with the
 * header.
 */
#include "fuzz.h"
#include "strata/render.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* ---- an RFC 4180 parser: LF-terminated records, "" inside quotes ---- */

struct field {
	const uint8_t *val; /* unquoted value (in the parser's scratch buffer) */
	size_t len;
	bool quoted;
};

struct csv {
	const uint8_t *p, *end;
	uint8_t *scratch; /* as large as the text: unquoting only shrinks */
};

/* One record into f[] (at most max fields); -1 on malformed input. */
static int parse_record(struct csv *c, struct field *f, size_t max, size_t *nf)
{
	uint8_t *w = c->scratch;
	*nf = 0;
	for (;;) {
		struct field *x;
		if (*nf == max)
			return -1;
		x = &f[(*nf)++];
		memset(x, 0, sizeof(*x));
		x->val = w;
		if (c->p < c->end && *c->p == '"') {
			x->quoted = true;
			c->p++;
			for (;;) {
				if (c->p == c->end)
					return -1; /* unterminated quote */
				if (*c->p == '"') {
					if (c->p + 1 < c->end && c->p[1] == '"') {
						w[x->len++] = '"';
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				w[x->len++] = *c->p++;
			}
		} else {
			while (c->p < c->end && *c->p != ',' && *c->p != '\n') {
				if (*c->p == '"' || *c->p == '\r')
					return -1; /* not allowed unquoted */
				w[x->len++] = *c->p++;
			}
		}
		w += x->len;
		if (c->p == c->end)
			return -1; /* every record ends with LF */
		if (*c->p++ == '\n')
			return 0;
		/* ',' : another field follows */
	}
}

/* ---- what a field must be for a value ---- */

static bool needs_quotes(const uint8_t *p, size_t n)
{
	if (n == 0 || (n == 2 && p[0] == '\\' && p[1] == '.'))
		return true;
	for (size_t i = 0; i < n; i++)
		if (p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n')
			return true;
	return false;
}

static bool is_decimal_real(const uint8_t *s, size_t n)
{
	/* -?digits(.digits)?(e[+-]digits)?, with a '.' or an 'e' */
	size_t i = 0, d = 0;
	bool dot = false, exp = false;
	if (i < n && s[i] == '-')
		i++;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, d++;
	if (i < n && s[i] == '.') {
		dot = true;
		i++;
		size_t fd = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, fd++;
		if (!fd)
			return false;
	}
	if (i < n && s[i] == 'e') {
		exp = true;
		i++;
		if (i == n || (s[i] != '+' && s[i] != '-'))
			return false;
		i++;
		size_t ed = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, ed++;
		if (ed < 2)
			return false;
	}
	return i == n && d > 0 && (dot || exp);
}

static void check_field(const struct field *f, const struct value *v)
{
	char tmp[64];

	switch (v->type) {
	case VAL_NULL:
		FUZZ_ASSERT(!f->quoted && f->len == 0);
		break;
	case VAL_INT: {
		FUZZ_ASSERT(!f->quoted && f->len > 0 && f->len < sizeof(tmp));
		memcpy(tmp, f->val, f->len);
		tmp[f->len] = 0;
		char *end;
		errno = 0;
		long long x = strtoll(tmp, &end, 10);
		FUZZ_ASSERT(errno == 0 && *end == 0 && x == v->i);
		/* canonical: no '+', no leading zeros, no "-0" */
		FUZZ_ASSERT(tmp[0] != '+' && !(tmp[0] == '0' && f->len > 1));
		FUZZ_ASSERT(!(tmp[0] == '-' && tmp[1] == '0'));
		break;
	}
	case VAL_REAL: {
		FUZZ_ASSERT(!f->quoted && f->len > 0 && f->len < sizeof(tmp));
		memcpy(tmp, f->val, f->len);
		tmp[f->len] = 0;
		if (isnan(v->r)) {
			FUZZ_ASSERT(!strcmp(tmp, "NaN"));
		} else if (isinf(v->r)) {
			FUZZ_ASSERT(!strcmp(tmp, v->r > 0 ? "Infinity" : "-Infinity"));
		} else {
			FUZZ_ASSERT(is_decimal_real(f->val, f->len));
			double d = strtod(tmp, NULL);
			uint64_t a, b;
			memcpy(&a, &d, 8);
			memcpy(&b, &v->r, 8);
			FUZZ_ASSERT(a == b); /* reads back as the same double, sign of 0 too */
			FUZZ_ASSERT(f->len <= 24); /* at most 17 significant digits */
		}
		break;
	}
	case VAL_TEXT:
		FUZZ_ASSERT(f->len == v->n && (v->n == 0 || !memcmp(f->val, v->p, v->n)));
		FUZZ_ASSERT(f->quoted == needs_quotes(v->p, v->n));
		break;
	case VAL_BLOB: {
		static const char HX[] = "0123456789abcdef";
		FUZZ_ASSERT(!f->quoted && f->len == 2 + 2 * v->n);
		FUZZ_ASSERT(f->val[0] == '\\' && f->val[1] == 'x');
		for (size_t i = 0; i < v->n; i++)
			FUZZ_ASSERT(f->val[2 + 2 * i] == HX[v->p[i] >> 4] &&
				    f->val[3 + 2 * i] == HX[v->p[i] & 15]);
		break;
	}
	default:
		FUZZ_ASSERT(0);
	}
}

/*
 * Render chunk (nhidden + ncols values per row, vals[] in order, nrows
 * rows) and compare the parsed CSV with vals.
 */
static void check_chunk(const uint8_t *chunk, size_t n, const struct chunk_shape *s,
			const struct value *vals, uint64_t nrows)
{
	struct buf out = BUF_INIT;
	uint64_t got_rows = 0;
	unsigned nv = s->nhidden + s->ncols;

	FUZZ_ASSERT(render_csv_chunk(chunk, n, &out, &got_rows) == 0);
	FUZZ_ASSERT(got_rows == nrows);
	static const uint8_t empty[1];
	const uint8_t *text = out.len ? out.data : empty; /* no rows: nothing was added */
	struct csv c = { text, text + out.len, malloc(out.len + 1) };
	struct field *f = malloc((s->ncols + 1) * sizeof(*f));
	for (uint64_t r = 0; r < nrows; r++) {
		size_t nf;
		if (s->ncols == 0) {
			/* no declared column: an empty line */
			FUZZ_ASSERT(c.p < c.end && *c.p == '\n');
			c.p++;
			continue;
		}
		int rc = parse_record(&c, f, s->ncols + 1, &nf);
		FUZZ_ASSERT(rc == 0 && nf == s->ncols);
		for (unsigned k = 0; k < s->ncols; k++)
			check_field(&f[k], &vals[r * nv + s->nhidden + k]);
	}
	FUZZ_ASSERT(c.p == c.end); /* nothing after the last record */
	free(c.scratch);
	free(f);
	buf_release(&out);
}

/* ---- mode 0: a chunk from disk ---- */

static void raw_chunk(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	uint64_t nrows;
	if (render_csv_chunk(data, size, &out, &nrows) != 0) {
		buf_release(&out);
		return;
	}
	buf_release(&out);
	/* decode every value (rowcodec) to know what the CSV must say */
	struct chunk_shape s;
	struct rd r;
	rd_init(&r, data, size);
	FUZZ_ASSERT(chunk_shape_decode(&r, &s) == 0);
	unsigned nv = s.nhidden + s.ncols;
	size_t cap = 0, n = 0;
	struct value *vals = NULL;
	while (rd_left(&r)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			vals = realloc(vals, cap * sizeof(*vals));
		}
		FUZZ_ASSERT(value_decode(&r, &vals[n++]) == 0);
	}
	FUZZ_ASSERT(n % nv == 0 && n / nv == nrows);
	check_chunk(data, size, &s, vals, nrows);
	free(vals);
}

/* ---- mode 1: generated rows ---- */

struct src {
	const uint8_t *p, *end;
};

static uint8_t take(struct src *s)
{
	return s->p < s->end ? *s->p++ : 0;
}

static uint64_t take64(struct src *s)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)take(s) << (8 * i);
	return v;
}

static void gen_bytes(struct src *s, uint8_t *buf, size_t *n)
{
	static const uint8_t special[] = { ',', '"', '\n', '\r', '\\', '.', ' ', 0, 0xc3, 0xa9 };
	size_t len = take(s) % 12;
	if (len == 11 && take(s) & 1) {
		buf[0] = '\\';
		buf[1] = '.';
		*n = 2;
		return;
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t b = take(s);
		buf[i] = b & 0x80 ? special[b % sizeof(special)] : b;
	}
	*n = len;
}

static void gen_value(struct src *s, struct value *v, uint8_t *store)
{
	static const double reals[] = { 0.0, -0.0, 1.0, 0.1, 1e15, 1e16, 1e300, 2.5e-8, 1.0 / 3,
					100.0, 5e-324, 1.7976931348623157e308, -1.5 };
	uint8_t t = take(s);
	memset(v, 0, sizeof(*v));
	v->type = t % 5;
	switch (v->type) {
	case VAL_INT:
		v->i = (t & 0x80) ? (int64_t)take64(s) : (int8_t)take(s);
		break;
	case VAL_REAL: {
		uint64_t bits = take64(s);
		if (t & 0x80)
			memcpy(&v->r, &bits, 8); /* any bit pattern: NaN, Inf, subnormals */
		else
			v->r = reals[bits % (sizeof(reals) / sizeof(reals[0]))];
		break;
	}
	case VAL_TEXT:
	case VAL_BLOB:
		gen_bytes(s, store, &v->n);
		v->p = store;
		break;
	default:
		break;
	}
}

static void generated(const uint8_t *data, size_t size)
{
	struct src s = { data, data + size };
	struct chunk_shape shape = { 0 };
	uint8_t b = take(&s);
	shape.nhidden = b & 1;
	shape.ncols = (b >> 1) % 6 + (shape.nhidden ? 0 : 1);
	shape.nkey = 1;
	unsigned nv = shape.nhidden + shape.ncols;
	unsigned nrows = 1 + take(&s) % 8;
	struct value *vals = calloc((size_t)nrows * nv, sizeof(*vals));
	uint8_t(*store)[16] = calloc((size_t)nrows * nv, sizeof(*store));
	struct buf chunk = BUF_INIT;

	chunk_shape_encode(&chunk, &shape);
	for (unsigned i = 0; i < nrows * nv; i++) {
		gen_value(&s, &vals[i], store[i]);
		value_encode(&chunk, &vals[i]);
	}
	check_chunk(chunk.data, chunk.len, &shape, vals, nrows);

	/* the header: column names are rendered as text */
	char **names = calloc(shape.ncols + 1, sizeof(char *));
	struct value *nv_ = calloc(shape.ncols + 1, sizeof(*nv_));
	for (unsigned k = 0; k < shape.ncols; k++) {
		uint8_t tmp[16];
		size_t n;
		gen_bytes(&s, tmp, &n);
		/* a name is a C string: stop at a NUL */
		const uint8_t *z = memchr(tmp, 0, n);
		if (z)
			n = (size_t)(z - tmp);
		names[k] = xstrndup((const char *)tmp, n);
		nv_[k] = (struct value){ .type = VAL_TEXT, .p = (const uint8_t *)names[k], .n = n };
	}
	struct buf h = BUF_INIT;
	render_csv_header(&h, names, shape.ncols);
	struct csv c = { h.data, h.data + h.len, malloc(h.len + 1) };
	struct field *f = malloc((shape.ncols + 1) * sizeof(*f));
	size_t nf;
	if (shape.ncols) {
		FUZZ_ASSERT(parse_record(&c, f, shape.ncols + 1, &nf) == 0 && nf == shape.ncols);
		for (unsigned k = 0; k < shape.ncols; k++)
			check_field(&f[k], &nv_[k]);
	} else {
		FUZZ_ASSERT(h.len == 1 && h.data[0] == '\n');
		c.p = c.end;
	}
	FUZZ_ASSERT(c.p == c.end);
	free(c.scratch);
	for (unsigned k = 0; k < shape.ncols; k++)
		free(names[k]);
	free(names);
	free(nv_);
	free(f);
	buf_release(&h);
	buf_release(&chunk);
	free(store);
	free(vals);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		generated(data + 1, size - 1);
	else
		raw_chunk(data + 1, size - 1);
	return 0;
}
