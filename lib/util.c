/*
 * util.c - see strata/util.h.
 */
#include "strata/fault.h"
#include "strata/util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void oom(size_t n)
{
	fprintf(stderr, "strata: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xmalloc_pages(size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, 4096, n ? n : 1))
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		oom(n * m);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xmemdup(const void *p, size_t n)
{
	char *d = xmalloc(n + 1);
	if (n)
		memcpy(d, p, n);
	d[n] = 0;
	return d;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int n;

	char probe[1];
	va_start(ap, fmt);
	n = vsnprintf(probe, sizeof(probe), fmt, ap);
	va_end(ap);
	buf_grow(&b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf((char *)b.data, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return (char *)b.data;
}

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

void buf_grow_slow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap < (SIZE_MAX / 2) ? cap * 2 : need;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	char probe[1];
	va_start(ap, fmt);
	n = vsnprintf(probe, sizeof(probe), fmt, ap);
	va_end(ap);
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_add_u32le(struct buf *b, uint32_t v)
{
	uint8_t t[4];
	put_u32le(t, v);
	buf_add(b, t, 4);
}

uint8_t *buf_detach(struct buf *b, size_t *len)
{
	uint8_t *p = b->data ? b->data : xcalloc(1, 1);
	if (len)
		*len = b->len;
	buf_init(b);
	return p;
}

void rd_init(struct rd *r, const void *p, size_t n)
{
	r->p = p;
	r->end = p ? r->p + n : r->p; /* NULL + 0 is undefined */
	r->err = 0;
}

int rd_fail(struct rd *r)
{
	r->err = -EUCLEAN;
	r->p = r->end;
	return -EUCLEAN;
}

int rd_varint_slow(struct rd *r, uint64_t *v)
{
	uint64_t x = 0;
	unsigned shift = 0;

	*v = 0;
	if (r->err)
		return r->err;
	for (;;) {
		if (r->p >= r->end || shift > 63)
			return rd_fail(r);
		uint8_t c = *r->p++;
		if (shift == 63 && (c & 0x7e))
			return rd_fail(r);
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			break;
		shift += 7;
	}
	*v = x;
	return 0;
}

int rd_u32le(struct rd *r, uint32_t *v)
{
	const uint8_t *p;
	*v = 0;
	if (rd_raw(r, 4, &p))
		return r->err;
	*v = get_u32le(p);
	return 0;
}

int rd_u64le(struct rd *r, uint64_t *v)
{
	const uint8_t *p;
	*v = 0;
	if (rd_raw(r, 8, &p))
		return r->err;
	*v = get_u64le(p);
	return 0;
}

int rd_str(struct rd *r, char **s)
{
	const uint8_t *p;
	size_t n;
	*s = NULL;
	if (rd_bytes(r, &p, &n))
		return r->err;
	*s = xstrndup((const char *)p, n);
	return 0;
}

int rd_count(struct rd *r, uint64_t max, uint64_t *v)
{
	if (rd_varint(r, v))
		return r->err;
	if (*v > max) {
		*v = 0;
		return rd_fail(r);
	}
	return 0;
}

uint32_t get_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t get_u64le(const uint8_t *p)
{
	return (uint64_t)get_u32le(p) | (uint64_t)get_u32le(p + 4) << 32;
}

void put_u32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void put_u64le(uint8_t *p, uint64_t v)
{
	put_u32le(p, (uint32_t)v);
	put_u32le(p + 4, (uint32_t)(v >> 32));
}

void hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(uint8_t *out, const char *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(in[2 * i]), lo;
		if (hi < 0)
			return -EINVAL;
		lo = hexval(in[2 * i + 1]);
		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void namelist_add_n(struct namelist *l, const char *s, size_t n)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(char *));
	}
	l->v[l->n++] = xstrndup(s, n);
}

void namelist_add(struct namelist *l, const char *s)
{
	namelist_add_n(l, s, strlen(s));
}

void namelist_release(struct namelist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void namelist_sort(struct namelist *l)
{
	if (l->n) /* qsort's array may not be NULL, even when empty */
		qsort(l->v, l->n, sizeof(char *), cmp_strp);
}

bool namelist_has(const struct namelist *l, const char *s)
{
	return l->n && bsearch(&s, l->v, l->n, sizeof(char *), cmp_strp) != NULL;
}

int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int pread_all(int fd, void *p, size_t n, uint64_t off)
{
	uint8_t *c = p;
	while (n) {
		ssize_t r = pread(fd, c, n, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EUCLEAN;
		c += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	const uint8_t *c = p;
	while (n) {
		ssize_t w = pwrite(fd, c, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		c += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int open_regular(const char *path, int *fdp, struct stat *stp)
{
	struct stat own, *st = stp ? stp : &own;
	/* O_NONBLOCK: opening a FIFO planted in the repository must not hang */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	*fdp = -1;
	if (fd < 0)
		return -errno;
	int rc = fstat(fd, st) < 0 ? -errno : S_ISREG(st->st_mode) ? 0 : -EUCLEAN;
	if (rc) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

int read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
	struct stat st;
	int fd, rc;

	*data = NULL;
	*len = 0;
	rc = open_regular(path, &fd, &st);
	if (rc)
		return rc;
	/* bounded by the bytes present, so a failed allocation is "too big", not an abort */
	if ((uint64_t)st.st_size > max || (uint64_t)st.st_size >= SIZE_MAX / 2 ||
	    !(*data = malloc((size_t)st.st_size + 1))) {
		rc = -EFBIG;
		goto out;
	}
	rc = pread_all(fd, *data, (size_t)st.st_size, 0);
	if (rc) {
		free(*data);
		*data = NULL;
		goto out;
	}
	(*data)[st.st_size] = 0;
	*len = (size_t)st.st_size;
out:
	close(fd);
	return rc;
}

int fsync_close(int fd)
{
	int rc = 0;
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int fsync_dir(const char *dir)
{
	return fsync_close(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

int write_file_atomic(const char *tmpdir, const char *dir, const char *name,
		      const void *data, size_t len)
{
	char *tmp = xasprintf("%s/%s.XXXXXX", tmpdir, name);
	char *dst = xasprintf("%s/%s", dir, name);
	int fd, rc;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	fchmod(fd, 0644); /* mkostemp makes 0600 */
	rc = write_all(fd, data, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc)
		fault_point("atomic-synced");
	if (!rc && rename(tmp, dst) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	else {
		fault_point("atomic-renamed");
		rc = fsync_dir(dir);
	}
out:
	free(tmp);
	free(dst);
	return rc;
}

int parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned shift = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end && strcmp(end, "iB") && strcmp(end, "B"))
		return -EINVAL;
	if (shift && x > (UINT64_MAX >> shift))
		return -EINVAL;
	*v = (uint64_t)x << shift;
	return 0;
}

int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;
	if (!d)
		return -errno;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

int mkdir_p(const char *path, unsigned mode)
{
	char *p = xstrdup(path);
	int rc = 0;
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;
			*s = 0;
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				rc = -errno;
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return rc;
}

/* The UTC fields of t; false for a time gmtime cannot take or a year outside 0000..9999. */
static bool utc_fields(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;
	return gmtime_r(&tt, tm) && tm->tm_year <= 9999 - 1900 && tm->tm_year >= -1900;
}

void time_name(char out[32], int64_t t)
{
	struct tm tm;
	if (!utc_fields(t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H%M%SZ", &tm))
		snprintf(out, 32, "?");
}

void time_rfc3339(char out[32], int64_t t)
{
	struct tm tm;
	if (!utc_fields(t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "?");
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

static int digits(const char **s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*s)[i];
		if (c < '0' || c > '9')
			return -EINVAL;
		*v = *v * 10 + (c - '0');
	}
	*s += n;
	return 0;
}

static int expect(const char **s, const char *set)
{
	if (**s && strchr(set, **s)) {
		(*s)++;
		return 0;
	}
	return -EINVAL;
}

/* What a time may look like besides RFC 3339 (time_parse_point). */
enum { TIME_BASIC = 1, TIME_DATE = 2 };

/*
 * RFC 3339; with TIME_BASIC also ISO 8601 basic (no '-' or ':'), a ',' before
 * the fraction and a +hhmm offset; with TIME_DATE a date alone, meaning its
 * last second (UTC).
 */
static int parse_time(const char *s, int64_t *t, unsigned forms)
{
	int Y, M, D, h = 23, m = 59, sec = 59, oh = 0, om = 0, sign = 0;
	bool ext;
	struct tm tm;

	if (digits(&s, 4, &Y))
		return -EINVAL;
	ext = *s == '-' || !(forms & TIME_BASIC);
	if ((ext && expect(&s, "-")) || digits(&s, 2, &M) || (ext && expect(&s, "-")) ||
	    digits(&s, 2, &D))
		return -EINVAL;
	if (*s || !(forms & TIME_DATE)) {
		/* a time: hh:mm:ss (or hhmmss), an optional fraction, then Z or an offset */
		if (expect(&s, "Tt ") || digits(&s, 2, &h))
			return -EINVAL;
		ext = *s == ':' || !(forms & TIME_BASIC);
		if ((ext && expect(&s, ":")) || digits(&s, 2, &m) || (ext && expect(&s, ":")) ||
		    digits(&s, 2, &sec))
			return -EINVAL;
		if (*s == '.' || (*s == ',' && (forms & TIME_BASIC))) {
			s++;
			if (*s < '0' || *s > '9')
				return -EINVAL;
			while (*s >= '0' && *s <= '9')
				s++;
		}
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s == '+' ? 1 : -1;
			s++;
			if (digits(&s, 2, &oh) ||
			    ((*s == ':' || !(forms & TIME_BASIC)) && expect(&s, ":")) ||
			    digits(&s, 2, &om))
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	/*
	 * A date that does not exist (2026-02-30) is refused, not normalized by
	 * timegm() into another day; so is a leap second (23:59:60), which Unix
	 * time cannot name.
	 */
	if (*s || M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || m > 59 ||
	    sec > 59 || oh > 23 || om > 59)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	*t = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}

int time_parse_rfc3339(const char *s, int64_t *t)
{
	return parse_time(s, t, 0);
}

int time_parse_point(const char *s, int64_t *t)
{
	return parse_time(s, t, TIME_BASIC | TIME_DATE);
}

void human_bytes(char out[HUMAN_MAX], uint64_t v)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = (double)v;
	int i = 0;
	while (d >= 1024 && i < 6)
		d /= 1024, i++;
	/* 1023.96 KiB would print as "1024.0 KiB": say "1.0 MiB" instead */
	if (i && i < 6 && d >= 1023.95)
		d /= 1024, i++;
	if (i)
		snprintf(out, HUMAN_MAX, "%.1f %s", d, unit[i]);
	else
		snprintf(out, HUMAN_MAX, "%llu B", (unsigned long long)v);
}

int parse_duration(const char *s, int64_t *secs)
{
	static const struct {
		char c;
		int64_t mul;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 } };
	int64_t total = 0;
	int last = -1; /* units must appear largest first, each once: 1h30m, not 30m1h */

	if (!*s)
		return -EINVAL;
	while (*s) {
		int64_t n = 0;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		while (*s >= '0' && *s <= '9') {
			if (n > (INT64_MAX - 9) / 10)
				return -EINVAL;
			n = n * 10 + (*s++ - '0');
		}
		int u = 0; /* a bare number is seconds, and only as the whole string */
		if (*s) {
			for (u = 0; u < 5 && units[u].c != *s; u++)
				;
			if (u == 5 || (last >= 0 && u >= last))
				return -EINVAL;
			s++;
		} else if (last >= 0) {
			return -EINVAL;
		}
		last = u;
		if (n > (INT64_MAX - total) / units[u].mul)
			return -EINVAL;
		total += n * units[u].mul;
	}
	*secs = total;
	return 0;
}

size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len;
	unsigned min, cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* The short escape of a line feed, tab or carriage return (JSON and C spell them alike), or NULL. */
static const char *ctl_escape(unsigned char c)
{
	return c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
}

void buf_add_json_str(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			/* JSON is UTF-8: a byte outside a valid sequence is written \u00xx */
			size_t l = utf8_seq((const unsigned char *)s + i, n - i);
			if (l) {
				buf_add(b, s + i, l);
				i += l - 1;
			} else {
				buf_addf(b, "\\u%04x", c);
			}
		} else if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, c);
		} else if (ctl_escape(c)) {
			buf_adds(b, ctl_escape(c));
		} else if (c < 0x20 || c == 0x7f) {
			buf_addf(b, "\\u%04x", c);
		} else {
			buf_addc(b, c);
		}
	}
	buf_addc(b, '"');
}

void buf_add_printable(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t l = c >= 0x80 ? utf8_seq((const unsigned char *)s + i, n - i) : 1;
		/* C1 controls (U+0080..U+009F, "c2 80".."c2 9f") act on some terminals too */
		if (l > 1 && !(c == 0xc2 && (unsigned char)s[i + 1] < 0xa0)) {
			buf_add(b, s + i, l);
			i += l - 1;
		} else if (c == '\\') {
			buf_adds(b, "\\\\");
		} else if (ctl_escape(c)) {
			buf_adds(b, ctl_escape(c));
		} else if (c < 0x20 || c >= 0x7f) {
			buf_addf(b, "\\x%02x", c);
		} else {
			buf_addc(b, c);
		}
	}
}

char *sql_ident(const char *s)
{
	struct buf b = BUF_INIT;
	buf_addc(&b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addc(&b, '"');
		buf_addc(&b, (uint8_t)*s);
	}
	buf_addc(&b, '"');
	return (char *)buf_detach(&b, NULL);
}
