/*
 * s3xml.c - see strata/s3xml.h: the little XML S3 answers with.
 */
#include "strata/s3xml.h"
#include "strata/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *s3_xml_text(const char *xml, const char **from, const char *tag)
{
	char open[64], close_[64];
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close_, sizeof(close_), "</%s>", tag);
	const char *a = strstr(*from, open), *e;
	if (!a)
		return NULL;
	a += strlen(open);
	e = strstr(a, close_);
	if (!e)
		return NULL;
	*from = e + strlen(close_);
	struct buf b = BUF_INIT;
	for (const char *p = a; p < e;) {
		if (*p != '&') {
			buf_addc(&b, (uint8_t)*p++);
			continue;
		}
		const char *semi = memchr(p, ';', (size_t)(e - p));
		if (!semi) {
			buf_addc(&b, (uint8_t)*p++);
			continue;
		}
		size_t n = (size_t)(semi - p - 1);
		const char *name = p + 1;
		if (n == 3 && !strncmp(name, "amp", 3))
			buf_addc(&b, '&');
		else if (n == 2 && !strncmp(name, "lt", 2))
			buf_addc(&b, '<');
		else if (n == 2 && !strncmp(name, "gt", 2))
			buf_addc(&b, '>');
		else if (n == 4 && !strncmp(name, "quot", 4))
			buf_addc(&b, '"');
		else if (n == 4 && !strncmp(name, "apos", 4))
			buf_addc(&b, '\'');
		else if (n >= 1 && name[0] == '#') {
			unsigned base = n >= 2 && name[1] == 'x' ? 16 : 10;
			const char *q = name + (base == 16 ? 2 : 1), *qe = name + n;
			unsigned long cp = 0;
			bool ok = q < qe;
			for (; ok && q < qe; q++) {
				int d = *q >= '0' && *q <= '9' ? *q - '0'
					: base == 16 && *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
					: base == 16 && *q >= 'A' && *q <= 'F' ? *q - 'A' + 10 : -1;
				ok = d >= 0 && (cp = cp * base + (unsigned long)d) <= 0x10ffff;
			}
			/*
			 * UTF-8 of the code point.  A reference without digits, or
			 * to one XML cannot carry (NUL, a surrogate, past U+10FFFF),
			 * becomes byte 0x01: a control byte, so that the text is
			 * refused as a name rather than cut short at a NUL or
			 * mistaken for another.
			 */
			if (!ok || cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
				buf_addc(&b, 0x01);
			} else if (cp < 0x80) {
				buf_addc(&b, (uint8_t)cp);
			} else if (cp < 0x800) {
				buf_addc(&b, (uint8_t)(0xc0 | cp >> 6));
				buf_addc(&b, (uint8_t)(0x80 | (cp & 0x3f)));
			} else if (cp < 0x10000) {
				buf_addc(&b, (uint8_t)(0xe0 | cp >> 12));
				buf_addc(&b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
				buf_addc(&b, (uint8_t)(0x80 | (cp & 0x3f)));
			} else {
				buf_addc(&b, (uint8_t)(0xf0 | cp >> 18));
				buf_addc(&b, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
				buf_addc(&b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
				buf_addc(&b, (uint8_t)(0x80 | (cp & 0x3f)));
			}
		} else {
			buf_add(&b, p, n + 2);
		}
		p = semi + 1;
	}
	buf_addc(&b, 0);
	return (char *)buf_detach(&b, NULL);
}

int s3_list_page(const char *xml, const char *prefix, unsigned depth, char **last,
		 store_list_fn fn, void *arg, char **next_token)
{
	size_t plen = strlen(prefix);
	const char *from = xml;
	char *key;
	int rc = 0;

	*next_token = NULL;
	if (!strstr(xml, "<ListBucketResult"))
		return -EBADMSG;
	while (!rc && (key = s3_xml_text(xml, &from, "Key"))) {
		/* a key with a byte that cannot be in a name (NUL, control) is nothing of ours */
		bool plain = true;
		for (const unsigned char *c = (const unsigned char *)key; *c && plain; c++)
			plain = *c >= 0x20 && *c != 0x7f;
		if (plain && !strncmp(key, prefix, plen)) {
			/* cut after depth + 1 components */
			char *name = key + plen, *p = name;
			for (unsigned d = 0; p && d <= depth; d++) {
				p = strchr(p, '/');
				if (p && d < depth)
					p++;
			}
			if (p)
				*p = 0;
			if (*name && (!*last || strcmp(*last, name))) {
				free(*last);
				*last = xstrdup(name);
				rc = fn(name, arg);
			}
		}
		free(key);
	}
	const char *f2 = xml;
	char *trunc = s3_xml_text(xml, &f2, "IsTruncated");
	if (!rc && trunc && !strcmp(trunc, "true")) {
		f2 = xml;
		*next_token = s3_xml_text(xml, &f2, "NextContinuationToken");
		if (!*next_token || !**next_token) {
			/* truncated without a way on: a listing we cannot finish */
			free(*next_token);
			*next_token = NULL;
			rc = -EBADMSG;
		}
	}
	free(trunc);
	return rc;
}
