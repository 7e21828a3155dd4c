/*
 * awsconf.c - see strata/awsconf.h.
 */
#include "strata/awsconf.h"
#include "strata/util.h"

#include <stdlib.h>
#include <string.h>

static const char *trim(const char *s, const char *e, const char **end)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	*end = e;
	return s;
}

int aws_ini_get(const char *text, size_t n, const char *section, const char *key, char **val)
{
	const char *p = text, *end = text + n;
	bool in = false, nested = false;
	size_t sl = strlen(section), kl = strlen(key);

	*val = NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *e;
		const char *s = trim(p, le, &e);
		bool indented = *p == ' ' || *p == '\t';
		p = nl ? nl + 1 : end;
		if (s == e || *s == '#' || *s == ';')
			continue;
		/*
		 * "s3 =" then indented "key = value" lines: a nested section of
		 * another service's settings (dynamodb's endpoint_url is not ours).
		 */
		if (nested && indented)
			continue;
		nested = false;
		if (*s == '[') {
			/* [name] (a profile may be written "[profile name]" in the config file) */
			if (e[-1] != ']')
				goto bad;
			const char *ne, *nm = trim(s + 1, e - 1, &ne);
			in = (size_t)(ne - nm) == sl && !memcmp(nm, section, sl);
			continue;
		}
		const char *eq = memchr(s, '=', (size_t)(e - s));
		if (!eq)
			continue; /* a line that is none of ours (continuations of nested values) */
		const char *ke, *k = trim(s, eq, &ke), *ve, *v = trim(eq + 1, e, &ve);
		if (v == ve) {
			nested = true; /* (and an empty value of its own) */
		}
		if (in && (size_t)(ke - k) == kl && !memcmp(k, key, kl)) {
			if (memchr(v, 0, (size_t)(ve - v)))
				goto bad;
			free(*val);
			*val = xstrndup(v, (size_t)(ve - v)); /* the last one counts */
		}
	}
	return *val ? 0 : -ENOENT;
bad:
	free(*val);
	*val = NULL;
	return -EINVAL;
}
