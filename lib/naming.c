/*
 * naming.c - safe, order-preserving names; see strata/naming.h.
 *
 * Key encoding (one component per key column, joined by ','):
 *   integer >= 0   19-digit zero-padded decimal
 *   integer < 0    '-' + 19 digits of n + 2^63 (offset binary keeps order)
 *   real           'r' + 16 hex digits of the order-preserving bit pattern
 *   text           [0-9A-Za-z] raw; any other byte as one escape char + two
 *                  uppercase hex digits.  The escape char is picked by the
 *                  gap of ASCII the byte falls in ('-' below '0', '@' between
 *                  '9' and 'A', '_' between 'Z' and 'a', '~' above 'z'), so the
 *                  escaped form sorts exactly where the byte would.
 *   blob           'x' + lowercase hex
 *   NULL           'n' (cannot occur in a primary key; kept total)
 * ',' and '+' sort below every character a component can hold, so a key that
 * is a prefix of another sorts first, as in SQLite.
 * An encoding longer than NAME_KEY_MAX is cut at a component boundary char
 * and gets "~~" + 16 hex digits of the xxh3-64 of the whole key: names stay
 * unique; the order is exact for keys that differ in their first 100 chars.
 */
#include "strata/naming.h"
#include "strata/rowcodec.h"

#include <stdio.h>
#include <string.h>
#include <xxhash.h>

static void enc_text(struct buf *out, const uint8_t *p, size_t n)
{
	static const char HX[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
			buf_addc(out, c);
			continue;
		}
		char e = c < '0' ? '-' : c < 'A' ? '@' : c < 'a' ? '_' : '~';
		buf_addc(out, (uint8_t)e);
		buf_addc(out, (uint8_t)HX[c >> 4]);
		buf_addc(out, (uint8_t)HX[c & 15]);
	}
}

static void enc_value(struct buf *out, const struct value *v)
{
	uint64_t bits;
	char hex[40];

	switch (v->type) {
	case VAL_NULL:
		buf_addc(out, 'n');
		break;
	case VAL_INT:
		if (v->i >= 0)
			buf_addf(out, "%019lld", (long long)v->i);
		else
			buf_addf(out, "-%019llu",
				 (unsigned long long)((uint64_t)v->i ^ (UINT64_C(1) << 63)));
		break;
	case VAL_REAL:
		memcpy(&bits, &v->r, 8);
		/* flip so that unsigned order equals numeric order */
		bits = (bits >> 63) ? ~bits : bits | (UINT64_C(1) << 63);
		buf_addf(out, "r%016llx", (unsigned long long)bits);
		break;
	case VAL_TEXT:
		enc_text(out, v->p, v->n);
		break;
	default:
		buf_addc(out, 'x');
		for (size_t i = 0; i < v->n; i += 16) {
			size_t k = v->n - i < 16 ? v->n - i : 16;
			hex_encode(hex, v->p + i, k);
			buf_add(out, hex, 2 * k);
		}
		break;
	}
}

void name_key(struct buf *out, const uint8_t *key, size_t n)
{
	name_key_n(out, key, n, UINT64_MAX);
}

void name_key_n(struct buf *out, const uint8_t *key, size_t n, uint64_t maxvals)
{
	struct buf tmp = BUF_INIT;
	struct rd r;
	uint64_t nk;
	struct value v;

	rd_init(&r, key, n);
	rd_count(&r, KEY_MAX_COLUMNS, &nk);
	for (uint64_t i = 0; i < nk && i < maxvals && !r.err; i++) {
		if (value_decode(&r, &v))
			break;
		if (i)
			buf_addc(&tmp, ',');
		enc_value(&tmp, &v);
		if (tmp.len > NAME_KEY_MAX)
			break; /* the rest is cut anyway */
	}
	if (r.err || nk == 0) {
		char hex[40];
		buf_reset(&tmp);
		buf_addc(&tmp, 'z');
		for (size_t i = 0; i < n && tmp.len <= NAME_KEY_MAX; i += 16) {
			size_t k = n - i < 16 ? n - i : 16;
			hex_encode(hex, key + i, k);
			buf_add(&tmp, hex, 2 * k);
		}
	}
	if (tmp.len > NAME_KEY_MAX) {
		buf_add(out, tmp.data, NAME_KEY_MAX);
		buf_addf(out, "~~%016llx", (unsigned long long)XXH3_64bits(key, n));
	} else {
		buf_add(out, tmp.data, tmp.len);
	}
	buf_release(&tmp);
}

char *name_range(const uint8_t *first, size_t fn, const uint8_t *last, size_t ln,
		 const char *ext)
{
	return name_range_n(first, fn, last, ln, UINT64_MAX, ext);
}

/* Whether one of the first maxvals values of a key is NULL. */
static bool has_null(const uint8_t *key, size_t n, uint64_t maxvals)
{
	struct rd r;
	uint64_t nk;
	struct value v;
	rd_init(&r, key, n);
	rd_count(&r, KEY_MAX_COLUMNS, &nk);
	for (uint64_t i = 0; i < nk && i < maxvals && !r.err; i++)
		if (!value_decode(&r, &v) && v.type == VAL_NULL)
			return true;
	return false;
}

char *name_range_n(const uint8_t *first, size_t fn, const uint8_t *last, size_t ln,
		   uint64_t maxvals, const char *ext)
{
	struct buf b = BUF_INIT;
	name_key_n(&b, first, fn, has_null(first, fn, maxvals) ? UINT64_MAX : maxvals);
	buf_addc(&b, '+');
	name_key_n(&b, last, ln, has_null(last, ln, maxvals) ? UINT64_MAX : maxvals);
	buf_adds(&b, ext);
	return (char *)buf_detach(&b, NULL);
}

char *name_group(const char *first_fname, const char *last_fname)
{
	/* key parts never contain '+' (name_key escapes it), so it splits exactly */
	const char *plus1 = strchr(first_fname, '+');
	const char *plus2 = strchr(last_fname, '+');
	size_t l2 = strlen(last_fname);

	if (!plus1 || !plus2 || strchr(plus1 + 1, '+') || strchr(plus2 + 1, '+') || l2 < 4 ||
	    strcmp(last_fname + l2 - 4, ".csv") || plus2 + 1 > last_fname + l2 - 4)
		return NULL;
	return xasprintf("%.*s+%.*s", (int)(plus1 - first_fname), first_fname,
			 (int)(last_fname + l2 - 4 - (plus2 + 1)), plus2 + 1);
}

char *name_table_dir(const char *name)
{
	static const char HX[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT;
	size_t n = strlen(name);
	/*
	 * Names of the generation's own files, and names whose "<name>.sql"
	 * is one of the table's schema files (docs/FORMAT.md "Mount layout").
	 */
	bool reserved = !strcmp(name, "schema.sql") || !strcmp(name, "generation.json") ||
			!strcmp(name, "dump.sql") || !strcmp(name, "schema.pg.sql") ||
			!strcmp(name, "schema") || !strcmp(name, "schema.pg");

	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)name[i];
		if (c == '/' || c == '%' || c < 0x20 || c == 0x7f || (i == 0 && c == '.') ||
		    (i == 0 && reserved)) {
			buf_addc(&b, '%');
			buf_addc(&b, (uint8_t)HX[c >> 4]);
			buf_addc(&b, (uint8_t)HX[c & 15]);
		} else {
			buf_addc(&b, c);
		}
	}
	if (b.len == 0)
		buf_adds(&b, "%00"); /* SQLite allows an empty table name */
	if (b.len > NAME_TABLE_MAX) {
		size_t cut = NAME_TABLE_MAX;
		/* never split a %XX escape or a UTF-8 sequence */
		while (cut > 0 && ((b.data[cut] & 0xC0) == 0x80))
			cut--;
		if (cut >= 1 && b.data[cut - 1] == '%')
			cut -= 1;
		else if (cut >= 2 && b.data[cut - 2] == '%')
			cut -= 2;
		b.len = cut;
		buf_addf(&b, "~%016llx", (unsigned long long)XXH3_64bits(name, n));
	}
	return (char *)buf_detach(&b, NULL);
}

bool name_is_safe(const void *s, size_t n, size_t max)
{
	const uint8_t *p = s;
	if (n == 0 || n > max || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '/' || p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

static bool db_name_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

bool db_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > DB_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!db_name_byte((unsigned char)name[i]))
			return false;
	return true;
}

void db_name_default(const char *source, char out[DB_NAME_MAX + 1])
{
	const char *base = strrchr(source, '/');
	base = base ? base + 1 : source;
	size_t n = strlen(base);
	const char *dot = strrchr(base, '.');
	if (dot && dot > base)
		n = (size_t)(dot - base);
	size_t k = 0;
	for (size_t i = 0; i < n && k < DB_NAME_MAX; i++) {
		unsigned char c = (unsigned char)base[i];
		out[k++] = db_name_byte(c) ? (char)c : '_';
	}
	out[k] = 0;
	/* no leading '.' or '-' (a hidden or option-like name) */
	for (size_t i = 0; i < k && (out[i] == '.' || out[i] == '-'); i++)
		out[i] = '_';
	if (!k)
		snprintf(out, DB_NAME_MAX + 1, "db");
}
