/*
 * Fuzz the S3 XML readers (strata/s3xml.h), whose input is an S3 store's
 * answer, i.e. bytes from the network.  The input, cut at its first NUL and
 * NUL-terminated, is the document.  Never crash or leak, and:
 *
 *  - s3_xml_text() for Key, UploadId, Code, NextContinuationToken (and
 *    IsTruncated), called with *from moving on until it gives NULL: it
 *    gives text exactly when the harness finds a "<tag>" at or after *from
 *    with a "</tag>" after it; *from then moves to just past that "</tag>"
 *    (never past the document's end); the text is no longer than the raw
 *    text between the two tags (entities only shrink), hence than the
 *    input; and there are at most len / (2 * strlen(tag) + 5) of them.
 *    When the raw text holds only what the header documents (plain bytes,
 *    &amp; &lt; &gt; &quot; &apos;, &#N; and &#xN; of a code point up to
 *    U+10FFFF), the text is exactly its decoding, read here independently
 *    (as far as a C string shows it: up to a decoded NUL).
 *
 *  - s3_list_page() with prefix "" and depths 0, 1, 3 and UINT_MAX, and
 *    prefix "p/packs/" and depths 0, 1, 3, each run twice: once from
 *    *last NULL, once carrying the first run's *last over (the next page
 *    of a listing) with a callback that stops after its second name.  For
 *    every input:
 *      - it returns 0, -EBADMSG or what the callback returned (and that
 *        only when the callback returned it, on the name where it did);
 *      - *next_token is non-NULL only when it returns 0, and then not
 *        empty and the text of the first <NextContinuationToken>;
 *      - without "<ListBucketResult" it is -EBADMSG, with no name given;
 *      - every name given is not empty, holds no byte < 0x20 nor 0x7f and
 *        at most depth '/'; it is the rest after the prefix of a <Key> of
 *        the page, cut at a '/' or whole, the keys taken in document order;
 *        it differs from the name given before it (or *last, carried in);
 *        *last is afterwards the last name given (untouched if none).
 *    And when the Keys, IsTruncated and NextContinuationToken hold only
 *    documented text, exactly the names a model of the header gives:
 *    each Key's decoded text, skipped when it holds a control byte (NUL
 *    included: "holds no control byte"), else when it starts with prefix
 *    the rest cut before its (depth + 1)th '/', given unless empty or
 *    equal to the name before; and the model's return and token.
 */
#include "fuzz.h"
#include "strata/s3xml.h"
#include "strata/util.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#define S3XML_MAX_INPUT (1 << 20)
#define STOP_RC 42 /* what the stopping callback returns: not 0, not -EBADMSG */

/* The next "<tag>...</tag>" at or after from: raw text [*a, *e), *end past it. */
static bool find_element(const char *from, const char *tag, const char **a, const char **e,
			 const char **end)
{
	char open[64], close_[64];
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close_, sizeof(close_), "</%s>", tag);
	const char *o = strstr(from, open);
	if (!o)
		return false;
	*a = o + strlen(open);
	const char *c = strstr(*a, close_);
	if (!c)
		return false;
	*e = c;
	*end = c + strlen(close_);
	return true;
}

static void put_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_addc(b, (uint8_t)cp);
	} else if (cp < 0x800) {
		buf_addc(b, (uint8_t)(0xc0 | cp >> 6));
		buf_addc(b, (uint8_t)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (uint8_t)(0xe0 | cp >> 12));
		buf_addc(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (uint8_t)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (uint8_t)(0xf0 | cp >> 18));
		buf_addc(b, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (uint8_t)(0x80 | (cp & 0x3f)));
	}
}

static int digit(char c, unsigned base)
{
	int v = c >= '0' && c <= '9' ? c - '0'
		: c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
	return v < (int)base ? v : -1;
}

/*
 * The raw text [a, e) decoded into out (which may then hold NULs) as the
 * header documents it; false when it holds a '&' that begins none of the
 * documented entities (the header says nothing of what becomes of it).
 */
static bool ref_decode(const char *a, const char *e, struct buf *out)
{
	static const struct { const char *name; char c; } named[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
	};
	buf_reset(out);
	for (const char *p = a; p < e;) {
		if (*p != '&') {
			buf_addc(out, (uint8_t)*p++);
			continue;
		}
		size_t left = (size_t)(e - p - 1);
		bool done = false;
		for (size_t i = 0; i < sizeof(named) / sizeof(named[0]) && !done; i++) {
			size_t n = strlen(named[i].name);
			if (left >= n && !memcmp(p + 1, named[i].name, n)) {
				buf_addc(out, (uint8_t)named[i].c);
				p += 1 + n;
				done = true;
			}
		}
		if (done)
			continue;
		if (left < 3 || p[1] != '#')
			return false;
		unsigned base = p[2] == 'x' ? 16 : 10;
		const char *q = p + (base == 16 ? 3 : 2);
		unsigned long cp = 0;
		size_t nd = 0;
		bool big = false;
		for (int d; q < e && (d = digit(*q, base)) >= 0; q++, nd++) {
			cp = cp * base + (unsigned long)d;
			if (cp > 0x10ffff) {
				big = true;
				cp = 0x110000; /* keeps cp bounded while the digits go on */
			}
		}
		if (q >= e || *q != ';')
			return false;
		/* the header: no digits, NUL, a surrogate or past U+10FFFF give byte 0x01 */
		if (!nd || big || cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
			buf_addc(out, 0x01);
		else
			put_utf8(out, cp);
		p = q + 1;
	}
	return true;
}

/* s3_xml_text() over the whole document for one tag. */
static void check_text(const char *xml, size_t len, const char *tag)
{
	struct buf ref = BUF_INIT;
	const char *from = xml;
	size_t count = 0, tl = strlen(tag);

	for (;;) {
		const char *a, *e, *end;
		bool there = find_element(from, tag, &a, &e, &end);
		char *t = s3_xml_text(xml, &from, tag);
		FUZZ_ASSERT(!t == !there);
		if (!t)
			break;
		FUZZ_ASSERT(from == end && from <= xml + len);
		size_t n = strlen(t);
		FUZZ_ASSERT(n <= (size_t)(e - a) && n <= len);
		if (ref_decode(a, e, &ref)) {
			const char *r = ref.data ? (const char *)ref.data : "";
			FUZZ_ASSERT(n == ref.len && !memcmp(t, r, n)); /* the whole text: no NUL in it */
		}
		free(t);
		FUZZ_ASSERT(++count <= len / (2 * tl + 5));
	}
	buf_release(&ref);
}

/* What the callback saw, and when it stops. */
struct got {
	unsigned depth;
	size_t stop_after; /* return STOP_RC on this name (1-based); 0: never */
	char **names;
	size_t n, cap;
	const char *before; /* *last as the page was given it */
};

static int collect(const char *name, void *arg)
{
	struct got *g = arg;
	size_t slashes = 0;

	FUZZ_ASSERT(name && *name);
	for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
		FUZZ_ASSERT(*c >= 0x20 && *c != 0x7f);
		slashes += *c == '/';
	}
	FUZZ_ASSERT(slashes <= g->depth);
	const char *prev = g->n ? g->names[g->n - 1] : g->before;
	FUZZ_ASSERT(!prev || strcmp(prev, name));
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 16;
		g->names = xrealloc(g->names, g->cap * sizeof(char *));
	}
	g->names[g->n++] = xstrdup(name);
	return g->stop_after && g->n == g->stop_after ? STOP_RC : 0;
}

static void got_release(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->names[i]);
	free(g->names);
}

/* The rest of key after prefix cut before its (depth + 1)th '/' (or whole); NULL: not under prefix. */
static char *cut_name(const char *key, size_t klen, const char *prefix, unsigned depth)
{
	size_t plen = strlen(prefix);
	if (klen < plen || memcmp(key, prefix, plen))
		return NULL;
	const char *name = key + plen;
	size_t n = klen - plen, i = 0;
	unsigned long long slashes = 0;
	for (; i < n; i++)
		if (name[i] == '/' && ++slashes > depth)
			break;
	return xstrndup(name, i);
}

/* Does name follow (as the page gives it) from the key text k? */
static bool name_of_key(const char *k, const char *prefix, const char *name)
{
	size_t plen = strlen(prefix), nl = strlen(name);
	return !strncmp(k, prefix, plen) && !strncmp(k + plen, name, nl) &&
	       (k[plen + nl] == 0 || k[plen + nl] == '/');
}

/*
 * The model: the names, return and token s3_list_page should give, from the
 * decoded Keys; false if some Key, or the IsTruncated or token it reads,
 * holds text the header does not define.
 */
static bool model(const char *xml, const char *prefix, unsigned depth, const char *before,
		  size_t stop_after, struct got *want, int *rc, char **token)
{
	struct buf ref = BUF_INIT;
	const char *from = xml, *a, *e, *end;
	char *last = before ? xstrdup(before) : NULL;
	bool ok = true;

	*rc = 0;
	*token = NULL;
	memset(want, 0, sizeof(*want));
	if (!strstr(xml, "<ListBucketResult")) {
		*rc = -EBADMSG;
		goto out;
	}
	while (!*rc && find_element(from, "Key", &a, &e, &end)) {
		from = end;
		if (!ref_decode(a, e, &ref)) {
			ok = false;
			goto out;
		}
		const char *k = ref.data ? (const char *)ref.data : "";
		bool plain = true;
		for (size_t i = 0; i < ref.len; i++)
			plain = plain && (uint8_t)k[i] >= 0x20 && (uint8_t)k[i] != 0x7f;
		char *name = plain ? cut_name(k, ref.len, prefix, depth) : NULL;
		if (name && *name && (!last || strcmp(last, name))) {
			free(last);
			last = xstrdup(name);
			if (want->n == want->cap) {
				want->cap = want->cap ? 2 * want->cap : 16;
				want->names = xrealloc(want->names, want->cap * sizeof(char *));
			}
			want->names[want->n++] = name;
			name = NULL;
			if (stop_after && want->n == stop_after)
				*rc = STOP_RC;
		}
		free(name);
	}
	if (*rc)
		goto out;
	/* IsTruncated and the token as C strings: a NUL in them is not a key's */
	if (find_element(xml, "IsTruncated", &a, &e, &end)) {
		if (!ref_decode(a, e, &ref)) {
			ok = false;
			goto out;
		}
		if (ref.data && !strcmp((const char *)ref.data, "true")) {
			if (find_element(xml, "NextContinuationToken", &a, &e, &end)) {
				if (!ref_decode(a, e, &ref)) {
					ok = false;
					goto out;
				}
				if (ref.data && ref.data[0])
					*token = xstrdup((const char *)ref.data);
			}
			if (!*token)
				*rc = -EBADMSG;
		}
	}
out:
	free(last);
	buf_release(&ref);
	return ok;
}

static void check_list(const char *xml, size_t len, const char *prefix, unsigned depth,
		       char **last, size_t stop_after)
{
	struct got g;
	char *token = (char *)"not set";
	char *before = *last ? xstrdup(*last) : NULL;

	memset(&g, 0, sizeof(g));
	g.depth = depth;
	g.stop_after = stop_after;
	g.before = before;
	int rc = s3_list_page(xml, prefix, depth, last, collect, &g, &token);

	/* the return, the token */
	FUZZ_ASSERT(rc == 0 || rc == -EBADMSG || rc == STOP_RC);
	FUZZ_ASSERT((rc == STOP_RC) == (stop_after && g.n == stop_after));
	FUZZ_ASSERT(!stop_after || g.n <= stop_after);
	FUZZ_ASSERT(!token || (rc == 0 && *token && strlen(token) <= len));
	if (token) {
		const char *f = xml;
		char *t = s3_xml_text(xml, &f, "NextContinuationToken");
		FUZZ_ASSERT(t && !strcmp(t, token));
		free(t);
	}
	if (!strstr(xml, "<ListBucketResult"))
		FUZZ_ASSERT(rc == -EBADMSG && g.n == 0);

	/* *last: the last name given, else as it was */
	if (g.n)
		FUZZ_ASSERT(*last && !strcmp(*last, g.names[g.n - 1]));
	else
		FUZZ_ASSERT(!*last == !before && (!before || !strcmp(*last, before)));

	/* each name from a Key of the page, one each, in document order */
	{
		const char *from = xml;
		for (size_t i = 0; i < g.n; i++) {
			char *k;
			for (;;) {
				k = s3_xml_text(xml, &from, "Key");
				FUZZ_ASSERT(k != NULL); /* a name that is no Key's, or out of order */
				if (name_of_key(k, prefix, g.names[i]))
					break;
				free(k);
			}
			free(k);
		}
	}

	/* the model, where the page holds only documented text */
	struct got want;
	int wrc;
	char *wtoken;
	if (model(xml, prefix, depth, before, stop_after, &want, &wrc, &wtoken)) {
		FUZZ_ASSERT(g.n == want.n);
		for (size_t i = 0; i < g.n; i++)
			FUZZ_ASSERT(!strcmp(g.names[i], want.names[i]));
		FUZZ_ASSERT(rc == wrc);
		FUZZ_ASSERT(!token == !wtoken && (!token || !strcmp(token, wtoken)));
	}
	got_release(&want);
	free(wtoken);

	got_release(&g);
	free(token);
	free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tags[] = { "Key", "UploadId", "Code", "NextContinuationToken",
					    "IsTruncated" };
	static const struct { const char *prefix; unsigned depth; } lists[] = {
		{ "", 0 }, { "", 1 }, { "", 3 }, { "", UINT_MAX },
		{ "p/packs/", 0 }, { "p/packs/", 1 }, { "p/packs/", 3 },
	};

	if (size > S3XML_MAX_INPUT)
		return 0;
	char *xml = xmalloc(size + 1);
	memcpy(xml, data, size);
	xml[size] = 0;
	size_t len = strlen(xml);

	for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++)
		check_text(xml, len, tags[t]);
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char *last = NULL;
		check_list(xml, len, lists[i].prefix, lists[i].depth, &last, 0);
		/* the next page of the same listing, stopped on its second name */
		check_list(xml, len, lists[i].prefix, lists[i].depth, &last, 2);
		free(last);
	}
	free(xml);
	return 0;
}
