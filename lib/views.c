/*
 * views.c - see views.h; the rules are docs/FORMAT.md "JSONL" and "SQL".
 *
 * REALS IN SQL.  SQLite up to 3.42 converts decimal text to double with
 * long double arithmetic, which is not correctly rounded: about 0.35% of
 * random doubles written with 17 (or .dump's 20) significant digits read
 * back one bit off.  So a REAL is written as decimal only when it is an
 * integer below 2^53 in magnitude ("5.0", "-0.0"), which every parser reads
 * exactly; any other finite value as m / 2^k or m * 2^k with m an odd
 * integer below 2^53 and the power of two as a product of exact integer
 * literals: each step is exact in IEEE arithmetic, so the value is too,
 * whatever the SQLite version.  Infinities are 1e999 and -1e999.
 */
#include "strata/views.h"
#include "strata/pgschema.h"
#include "strata/render.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *view_ext(enum view_format f)
{
	return f == VIEW_JSONL ? "jsonl" : f == VIEW_SQL ? "sql" : "csv";
}

static void add_ident(struct buf *b, const char *s)
{
	char *q = sql_ident(s);
	buf_adds(b, q);
	free(q);
}

void view_table_init(struct view_table *t, const char *name, char *const *cols, unsigned ncols,
		     bool without_rowid)
{
	static const char *const rowids[] = { "rowid", "_rowid_", "oid" };
	const char *rid = NULL;

	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->keys = xcalloc(ncols ? ncols : 1, sizeof(*t->keys));
	for (unsigned c = 0; c < ncols; c++) {
		buf_add_json_str(&t->keys[c], cols[c], strlen(cols[c]));
		buf_addc(&t->keys[c], ':');
	}
	for (size_t k = 0; !without_rowid && k < 3 && !rid; k++) {
		rid = rowids[k];
		for (unsigned c = 0; c < ncols && rid; c++)
			if (!strcasecmp(cols[c], rowids[k]))
				rid = NULL;
	}
	t->rowid = !without_rowid;
	t->rev = VIEW_REV;
	buf_adds(&t->insert, "INSERT INTO ");
	add_ident(&t->insert, name);
	buf_addc(&t->insert, '(');
	if (rid)
		buf_adds(&t->insert, rid);
	for (unsigned c = 0; c < ncols; c++) {
		if (c || rid)
			buf_addc(&t->insert, ',');
		add_ident(&t->insert, cols[c]);
	}
	buf_adds(&t->insert, ") VALUES(");
	if (!rid)
		t->rowid = false; /* a rowid no name reaches: left out of the INSERTs */
	t->hidden = without_rowid ? 0 : 1;
}

void view_table_release(struct view_table *t)
{
	for (unsigned c = 0; t->keys && c < t->ncols; c++)
		buf_release(&t->keys[c]);
	free(t->keys);
	buf_release(&t->insert);
	memset(t, 0, sizeof(*t));
}

static void add_hex(struct buf *b, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	buf_grow(b, 2 * n);
	for (size_t i = 0; i < n; i++) {
		b->data[b->len++] = (uint8_t)hx[p[i] >> 4];
		b->data[b->len++] = (uint8_t)hx[p[i] & 15];
	}
}

static bool valid_utf8(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t l = utf8_seq(p + i, n - i);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

/* ---- JSONL ---- */

static void json_value(struct buf *b, const struct value *v)
{
	char tmp[40];
	size_t n;
	switch (v->type) {
	case VAL_NULL:
		buf_adds(b, "null");
		return;
	case VAL_INT:
		buf_addf(b, "%lld", (long long)v->i);
		return;
	case VAL_REAL:
		if (!isfinite(v->r)) {
			buf_adds(b, isnan(v->r) ? "{\"real\":\"NaN\"}"
				    : v->r > 0 ? "{\"real\":\"Infinity\"}" : "{\"real\":\"-Infinity\"}");
			return;
		}
		n = render_real(tmp, v->r); /* shortest text that reads back, with '.' or 'e' */
		buf_add(b, tmp, n);
		return;
	case VAL_TEXT:
		if (valid_utf8(v->p, v->n)) {
			buf_add_json_str(b, (const char *)v->p, v->n);
		} else {
			buf_adds(b, "{\"text_hex\":\"");
			add_hex(b, v->p, v->n);
			buf_adds(b, "\"}");
		}
		return;
	default:
		buf_adds(b, "{\"blob\":\"");
		add_hex(b, v->p, v->n);
		buf_adds(b, "\"}");
		return;
	}
}

/* ---- SQL ---- */

/* 2^k as a product of exact integer literals: "*4503599627370496.0*...*2.0". */
static void pow2_chain(struct buf *b, char op, int k)
{
	while (k > 0) {
		int step = k > 52 ? 52 : k;
		buf_addf(b, "%c%llu.0", op, (unsigned long long)1 << step);
		k -= step;
	}
}

/* d = m * 2^e with m odd (|m| < 2^53): the shortest exact fraction (d finite, not 0). */
static int64_t odd_mantissa(double d, int *e)
{
	uint64_t bits;
	memcpy(&bits, &d, sizeof(bits));
	int ex = (int)(bits >> 52 & 0x7ff);
	uint64_t m = bits & ((UINT64_C(1) << 52) - 1);
	if (ex) {
		m |= UINT64_C(1) << 52;
		ex -= 1075;
	} else {
		ex = -1074; /* subnormal */
	}
	int tz = __builtin_ctzll(m);
	*e = ex + tz;
	m >>= tz;
	return bits >> 63 ? -(int64_t)m : (int64_t)m;
}

static void sql_real(struct buf *b, double d)
{
	char tmp[40];
	if (isnan(d)) {
		buf_adds(b, "NULL"); /* SQLite stores no NaN; a writer never makes one */
		return;
	}
	if (isinf(d)) {
		buf_adds(b, d > 0 ? "1e999" : "-1e999");
		return;
	}
	if (d == floor(d) && fabs(d) < 9007199254740992.0) {
		size_t n = render_real(tmp, d); /* "5.0", "-0.0": exact in any parser */
		buf_add(b, tmp, n);
		return;
	}
	int e;
	int64_t m = odd_mantissa(d, &e);
	buf_addf(b, "(%lld.0", (long long)m);
	pow2_chain(b, e < 0 ? '/' : '*', e < 0 ? -e : e);
	buf_addc(b, ')');
}

/*
 * Whether a text value is written as a quoted literal: valid UTF-8, and in
 * revision 1 without NUL (which a literal cannot hold).  From revision 2 a
 * NUL or a CR inside is written as '||char(0)||' or '||char(13)||': the
 * sqlite3 shell drops a CR before LF from the lines of a script it reads,
 * and char() gives the character in any database encoding, where
 * CAST(X'..' AS TEXT) would read UTF-8 bytes as UTF-16 in a UTF-16
 * database.  Other text (not UTF-8) is CAST(X'..' AS TEXT).
 */
static bool text_literal(const struct value *v, unsigned rev)
{
	return valid_utf8(v->p, v->n) && (rev >= 2 || !memchr(v->p, 0, v->n));
}

void view_sql_value(struct buf *b, const struct value *v, unsigned rev)
{
	switch (v->type) {
	case VAL_NULL:
		buf_adds(b, "NULL");
		return;
	case VAL_INT:
		buf_addf(b, "%lld", (long long)v->i);
		return;
	case VAL_REAL:
		sql_real(b, v->r);
		return;
	case VAL_TEXT:
		if (text_literal(v, rev)) {
			buf_addc(b, '\'');
			for (size_t i = 0; i < v->n; i++) {
				if (v->p[i] == '\r' && rev >= 2) {
					buf_adds(b, "'||char(13)||'");
					continue;
				}
				if (v->p[i] == 0) {
					buf_adds(b, "'||char(0)||'");
					continue;
				}
				if (v->p[i] == '\'')
					buf_addc(b, '\'');
				buf_addc(b, v->p[i]);
			}
			buf_addc(b, '\'');
		} else {
			buf_adds(b, "CAST(X'");
			add_hex(b, v->p, v->n);
			buf_adds(b, "' AS TEXT)");
		}
		return;
	default:
		buf_adds(b, "X'");
		add_hex(b, v->p, v->n);
		buf_addc(b, '\'');
		return;
	}
}

/* ---- chunks ---- */

int view_render_chunk(enum view_format f, const struct view_table *t, const uint8_t *chunk,
		      size_t n, struct buf *out, uint64_t *nrows)
{
	struct chunk_shape *s = xmalloc(sizeof(*s));
	struct value v;
	struct rd r;
	int rc = -EUCLEAN;

	*nrows = 0;
	rd_init(&r, chunk, n);
	if (chunk_shape_decode(&r, s) || s->ncols != t->ncols || s->nhidden != t->hidden)
		goto out;
	while (rd_left(&r)) {
		if (f == VIEW_JSONL && t->op && t->op_csv) {
			/* "<op>," and the row's CSV line (render.c's rules) */
			buf_adds(out, t->op);
			buf_addc(out, ',');
			for (unsigned c = 0; c < s->nhidden + s->ncols; c++) {
				if (value_decode(&r, &v))
					goto out;
				if (c < s->nhidden)
					continue;
				if (c > s->nhidden)
					buf_addc(out, ',');
				render_csv_value(out, &v);
			}
			buf_addc(out, '\n');
		} else if (f == VIEW_JSONL) {
			if (s->nhidden && value_decode(&r, &v))
				goto out;
			buf_addc(out, '{');
			if (t->op)
				buf_addf(out, "\"op\":\"%s\",", t->op);
			for (unsigned c = 0; c < s->ncols; c++) {
				if (value_decode(&r, &v))
					goto out;
				if (c)
					buf_addc(out, ',');
				buf_add(out, t->keys[c].data, t->keys[c].len);
				json_value(out, &v);
			}
			buf_adds(out, "}\n");
		} else {
			bool first = true;
			buf_add(out, t->insert.data, t->insert.len);
			for (unsigned c = 0; c < s->nhidden + s->ncols; c++) {
				if (value_decode(&r, &v))
					goto out;
				if (c < s->nhidden && !t->rowid)
					continue;
				if (!first)
					buf_addc(out, ',');
				first = false;
				view_sql_value(out, &v, t->rev);
			}
			buf_adds(out, ");\n");
		}
		(*nrows)++;
	}
	rc = 0;
out:
	free(s);
	return rc;
}

/* ---- lengths without rendering (backup records them for every chunk) ---- */

static uint64_t int_len(int64_t i)
{
	uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
	uint64_t n = i < 0 ? 2 : 1;
	/* compares, not divisions: every integer of every new chunk is measured */
	for (uint64_t p = 10; u >= p; p *= 10) {
		n++;
		if (p > UINT64_MAX / 10)
			break; /* u >= 10^19: 20 digits */
	}
	return n;
}

/*
 * What the length rules need of a text value, in one pass: the backup
 * measures every value of every new chunk, and five passes (UTF-8 twice,
 * JSON escapes, SQL quotes, PostgreSQL's class) were a fifth of its CPU.
 */
struct text_scan {
	bool utf8;        /* valid UTF-8 (a NUL is); nothing below counts if not */
	uint64_t json;    /* bytes buf_add_json_str() writes */
	uint64_t quotes;  /* ' */
	uint64_t crs;     /* CR */
	uint64_t nuls;    /* NUL */
};

static void text_scan(const uint8_t *p, size_t n, struct text_scan *t)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
	uint64_t json = 2 + (uint64_t)n, quotes = 0, crs = 0, nuls = 0;
	t->utf8 = false;
	for (size_t i = 0; i < n; i++) {
		/* eight bytes at a time while none is special: below 0x20, " ' \\ 0x7f or 0x80 up */
		while (n - i >= 8) {
			uint64_t x, q, a, b, d;
			memcpy(&x, p + i, 8);
			q = x ^ (ones * '"');
			a = x ^ (ones * '\'');
			b = x ^ (ones * '\\');
			d = x ^ (ones * 0x7f);
			if (((x - ones * 0x20) | (q - ones) | (a - ones) | (b - ones) | (d - ones) | x) & highs)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		uint8_t c = p[i];
		if (c - 0x20u < 0x5fu) { /* printable ASCII */
			if (c == '"' || c == '\\')
				json++;
			else if (c == '\'')
				quotes++;
		} else if (c >= 0x80) {
			size_t l = utf8_seq(p + i, n - i);
			if (!l)
				return;
			i += l - 1;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			json++;
			crs += c == '\r';
		} else {
			json += 5; /* \u00xx */
			nuls += c == 0;
		}
	}
	t->utf8 = true;
	t->json = json;
	t->quotes = quotes;
	t->crs = crs;
	t->nuls = nuls;
}

/* Bytes json_value() writes for a text value. */
static uint64_t json_text_len(const struct value *v, const struct text_scan *t)
{
	return t->utf8 ? t->json : 15 + 2 * (uint64_t)v->n;
}

/* Bytes view_sql_value() writes for a text value (text_literal's rule). */
static uint64_t sql_text_len(const struct value *v, const struct text_scan *t, unsigned rev)
{
	if (t->utf8 && (rev >= 2 || !t->nuls))
		return 2 + v->n + t->quotes + 12 * t->nuls + (rev >= 2 ? 13 * t->crs : 0);
	return 17 + 2 * (uint64_t)v->n; /* CAST(X'..' AS TEXT) */
}

static uint64_t json_value_len(const struct value *v)
{
	char tmp[40];
	switch (v->type) {
	case VAL_NULL: return 4;
	case VAL_INT: return int_len(v->i);
	case VAL_REAL:
		if (!isfinite(v->r))
			return isnan(v->r) ? 14 : v->r > 0 ? 19 : 20;
		return render_real(tmp, v->r);
	case VAL_TEXT: {
		struct text_scan t;
		text_scan(v->p, v->n, &t);
		return json_text_len(v, &t);
	}
	default:
		return 11 + 2 * (uint64_t)v->n; /* {"blob":".."} */
	}
}

static uint64_t sql_value_len(const struct value *v, unsigned rev)
{
	char tmp[40];
	uint64_t len;
	switch (v->type) {
	case VAL_NULL: return 4;
	case VAL_INT: return int_len(v->i);
	case VAL_REAL: {
		double d = v->r;
		if (isnan(d))
			return 4;
		if (isinf(d))
			return d > 0 ? 5 : 6;
		if (d == floor(d) && fabs(d) < 9007199254740992.0)
			return render_real(tmp, d);
		int e;
		int64_t m = odd_mantissa(d, &e);
		len = 2 + int_len(m) + 2; /* "(" m ".0" ")" */
		for (int k = e < 0 ? -e : e; k > 0; k -= 52)
			len += 1 + int_len((int64_t)((uint64_t)1 << (k > 52 ? 52 : k))) + 2;
		return len;
	}
	case VAL_TEXT: {
		struct text_scan t;
		text_scan(v->p, v->n, &t);
		return sql_text_len(v, &t, rev);
	}
	default:
		return 3 + 2 * (uint64_t)v->n;
	}
}

int view_chunk_lens(const struct view_table *t, const uint8_t *chunk, size_t n,
		    uint64_t *jsonl, uint64_t *sql, uint8_t *classes)
{
	struct chunk_shape *s = xmalloc(sizeof(*s));
	struct value v;
	struct rd r;
	uint64_t keys = 0, jl = 0, sl = 0;
	int rc = -EUCLEAN;

	rd_init(&r, chunk, n);
	if (chunk_shape_decode(&r, s) || s->ncols != t->ncols || s->nhidden != t->hidden)
		goto out;
	for (unsigned c = 0; c < t->ncols; c++)
		keys += t->keys[c].len;
	unsigned shown = s->ncols + (t->rowid ? s->nhidden : 0);
	/* per row: "{" keys "," ... "}\n"; INSERT ... VALUES( values "," ... ");\n" */
	uint64_t jrow = 3 + keys + (t->ncols ? t->ncols - 1 : 0);
	uint64_t srow = t->insert.len + (shown ? shown - 1 : 0) + 3;
	while (rd_left(&r)) {
		jl += jrow;
		sl += srow;
		for (unsigned c = 0; c < s->nhidden + s->ncols; c++) {
			if (value_decode(&r, &v))
				goto out;
			if (c < s->nhidden) {
				if (t->rowid)
					sl += sql_value_len(&v, t->rev);
				continue;
			}
			unsigned cls;
			if (v.type == VAL_TEXT) {
				/* one pass over the text for all three rules */
				struct text_scan ts;
				text_scan(v.p, v.n, &ts);
				jl += json_text_len(&v, &ts);
				sl += sql_text_len(&v, &ts, t->rev);
				cls = ts.utf8 && !ts.nuls ? PG_TEXT : PG_TEXT | PG_BAD_TEXT;
			} else if (v.type == VAL_INT) {
				uint64_t il = int_len(v.i); /* the same digits in both */
				jl += il;
				sl += il;
				cls = pg_class_of(&v);
			} else {
				jl += json_value_len(&v);
				sl += sql_value_len(&v, t->rev);
				cls = pg_class_of(&v);
			}
			if (classes)
				classes[c - s->nhidden] |= (uint8_t)cls;
		}
	}
	*jsonl = jl;
	*sql = sl;
	rc = 0;
out:
	free(s);
	return rc;
}

int view_chunk_len(enum view_format f, const struct view_table *t, const uint8_t *chunk,
		   size_t n, uint64_t *len)
{
	uint64_t jl, sl;
	int rc = view_chunk_lens(t, chunk, n, &jl, &sl, NULL);
	*len = rc ? 0 : f == VIEW_JSONL ? jl : sl;
	return rc;
}
