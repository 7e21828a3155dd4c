/*
 * store_s3.c - a repository in an S3-compatible bucket (strata/store.h).
 *
 * Location: s3://BUCKET[/PREFIX]; every key is stored as PREFIX/key.
 * Configuration, as AWS's own SDKs and CLI read it (docs/S3.md):
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional)
 *   AWS_REGION or AWS_DEFAULT_REGION (default us-east-1)
 *   AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: a non-AWS store, addressed
 *   path-style (ENDPOINT/BUCKET/KEY); without one, AWS virtual-hosted
 *   https://BUCKET.s3.REGION.amazonaws.com/KEY.
 *   STRATA_S3_RETRIES (default 5), STRATA_S3_TIMEOUT (seconds without
 *   progress before a request is abandoned and retried, default 30),
 *   STRATA_S3_PART_SIZE (multipart part size, default 16 MiB, at least 5 MiB),
 *   STRATA_S3_LOCK_STALE (seconds after which an unrefreshed lock is stale,
 *   default 600).
 *
 * Requests are signed here (strata/sigv4.h) and sent with libcurl.  The
 * rules of the seam, over S3:
 *  - an object is written whole by one PUT (or one completed multipart
 *    upload): readers see all of it or nothing; STORE_IF_ABSENT is
 *    If-None-Match: * (412 when the key exists; of racing writers exactly
 *    one wins);
 *  - the body of every PUT is signed with its sha256, so the store refuses
 *    bytes damaged on the way; ranged reads are checked by length here and
 *    by content (xxh3) by the readers above;
 *  - 5xx, 429, timeouts and dropped connections are retried with
 *    exponential backoff; a request that still fails is an error
 *    (-EIO, with one log line), never a partial object;
 *  - locks are objects with a lease (see the lock section below).
 * Credentials never appear in messages.
 */
#include "strata/awsconf.h"
#include "strata/fault.h"
#include "strata/log.h"
#include "strata/s3xml.h"
#include "strata/sigv4.h"
#include "strata/store.h"
#include "strata/util.h"

#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define S3_POOL 16
#define S3_ERRBODY_MAX 4096
#define S3_MIN_PART (5u << 20)

struct s3 {
	struct store s;
	char *bucket, *prefix; /* prefix "" or "p/q/" */
	char *base;            /* URL up to the key: "http://h:p/bucket/" or "https://b.s3.r.amazonaws.com/" */
	char *host;            /* Host header */
	char *path0;           /* path up to the key: "/bucket/" or "/" */
	char *access, *secret, *token, *region;
	unsigned retries;
	long timeout_s;
	uint64_t part_size;
	int64_t lock_stale_s;
	pthread_mutex_t mu;
	CURL *pool[S3_POOL];
	unsigned npool;
};

struct s3_file {
	struct store_file f;
	struct s3 *s;
	char *key;
};

static const struct store_ops s3_ops;

static struct s3 *S(struct store *s)
{
	return (struct s3 *)s;
}

/* ---- requests ---- */

struct s3_req {
	const char *method;
	const char *key;       /* below the prefix; NULL: the bucket itself */
	bool raw_key;          /* key is the full object key (no prefix added) */
	const struct sigv4_param *query;
	size_t nquery;
	const char *range;     /* "bytes=a-b" or NULL */
	bool if_none_match;
	bool once;             /* no retry: a request whose repeat could undo another's (see locks) */
	/* body: body_len bytes of memory, or (body NULL) of fd from body_off */
	const void *body;
	int body_fd;
	uint64_t body_off, body_len;
	/* response: into out (at most out_max bytes, else -EFBIG), or exactly fixed_len bytes into fixed */
	struct buf *out;
	size_t out_max;
	void *fixed;
	size_t fixed_len;
	/* response headers wanted */
	uint64_t *content_length;
	char *etag;            /* 128 bytes */
	int64_t *last_modified;
};

struct xfer {
	const struct s3_req *q;
	uint64_t sent;
	size_t got;
	bool overflow;
	struct buf err;        /* an error response's body (bounded) */
	long status;
	bool headers_done;     /* the blank line that ends the response's headers came */
	uint64_t clen;         /* the response's Content-Length, when it said one */
	bool have_clen;
	char region[64];       /* x-amz-bucket-region of a redirect */
};

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = sz * n;
	if (x->status >= 300) {
		size_t room = S3_ERRBODY_MAX - x->err.len;
		buf_add(&x->err, p, len < room ? len : room);
		return len;
	}
	if (x->q->fixed) {
		if (x->got + len > x->q->fixed_len) {
			x->overflow = true;
			return 0; /* more than asked for: abort, never wrong bytes */
		}
		memcpy((uint8_t *)x->q->fixed + x->got, p, len);
	} else if (x->q->out) {
		if (x->got + len > x->q->out_max) {
			x->overflow = true;
			return 0;
		}
		buf_add(x->q->out, p, len);
	}
	x->got += len;
	return len;
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = sz * n;
	const struct s3_req *q = x->q;
	if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue, or a redirect): its status */
		const char *sp = memchr(p, ' ', len);
		x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		x->have_clen = x->headers_done = false;
		return len;
	}
	if ((len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n')) {
		x->headers_done = true;
		return len;
	}
	char line[512];
	size_t l = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
	memcpy(line, p, l);
	line[l] = 0;
	while (l && (line[l - 1] == '\r' || line[l - 1] == '\n'))
		line[--l] = 0;
	char *colon = strchr(line, ':');
	if (!colon)
		return len;
	*colon = 0;
	char *v = colon + 1;
	while (*v == ' ')
		v++;
	if (!strcasecmp(line, "content-length")) {
		x->clen = strtoull(v, NULL, 10);
		x->have_clen = true;
		if (q->content_length)
			*q->content_length = x->clen;
	} else if (!strcasecmp(line, "x-amz-bucket-region"))
		snprintf(x->region, sizeof(x->region), "%s", v);
	else if (q->etag && !strcasecmp(line, "etag"))
		snprintf(q->etag, 128, "%s", v);
	else if (q->last_modified && !strcasecmp(line, "last-modified")) {
		struct tm tm = { 0 };
		if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm))
			*q->last_modified = (int64_t)timegm(&tm);
	}
	return len;
}

static size_t on_send(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer *x = arg;
	const struct s3_req *q = x->q;
	size_t want = sz * n;
	uint64_t left = q->body_len - x->sent;
	if (want > left)
		want = (size_t)left;
	if (!want)
		return 0;
	if (q->body) {
		memcpy(p, (const uint8_t *)q->body + x->sent, want);
	} else {
		ssize_t r = pread(q->body_fd, p, want, (off_t)(q->body_off + x->sent));
		if (r <= 0)
			return CURL_READFUNC_ABORT;
		want = (size_t)r;
	}
	x->sent += want;
	return want;
}

/* curl rewinds the body to send it again (a kept connection that died under it) */
static int on_seek(void *arg, curl_off_t offset, int origin)
{
	struct xfer *x = arg;
	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > x->q->body_len)
		return CURL_SEEKFUNC_FAIL;
	x->sent = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static CURL *take_handle(struct s3 *s)
{
	CURL *c = NULL;
	pthread_mutex_lock(&s->mu);
	if (s->npool)
		c = s->pool[--s->npool];
	pthread_mutex_unlock(&s->mu);
	return c ? c : curl_easy_init();
}

/* Back to the pool, its connection kept for the next request. */
static void give_handle(struct s3 *s, CURL *c)
{
	pthread_mutex_lock(&s->mu);
	if (s->npool < S3_POOL) {
		s->pool[s->npool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	if (c)
		curl_easy_cleanup(c);
}

static void amz_date(char out[17])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* The sha256 of the request body, as hex. */
static int body_sha(const struct s3_req *q, char out[65])
{
	if (q->body)
		return sigv4_sha256_hex(q->body, q->body_len, out);
	if (!q->body_len)
		return sigv4_sha256_hex("", 0, out);
	struct sigv4_sha256 h;
	uint8_t *b = xmalloc(1 << 20);
	int rc = sigv4_sha256_init(&h);
	for (uint64_t at = 0; !rc && at < q->body_len;) {
		size_t want = q->body_len - at < (1 << 20) ? (size_t)(q->body_len - at) : (1 << 20);
		ssize_t r = pread(q->body_fd, b, want, (off_t)(q->body_off + at));
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			sigv4_sha256_abort(&h);
			break;
		}
		at += (uint64_t)r;
		rc = sigv4_sha256_update(&h, b, (size_t)r);
	}
	if (!rc)
		rc = sigv4_sha256_final(&h, out);
	free(b);
	return rc;
}

/* The S3 error code in an error body ("<Code>NoSuchKey</Code>"), or "". */
static void error_code(const struct buf *b, char out[64])
{
	out[0] = 0;
	if (!b->len)
		return;
	const char *s = memmem(b->data, b->len, "<Code>", 6), *e;
	if (!s)
		return;
	s += 6;
	e = memmem(s, b->len - (size_t)(s - (const char *)b->data), "</Code>", 7);
	if (!e || e - s >= 63)
		return;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = 0;
}

static bool retryable(CURLcode cc, long status)
{
	if (cc != CURLE_OK)
		return cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_COULDNT_CONNECT ||
		       cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR || cc == CURLE_GOT_NOTHING ||
		       cc == CURLE_PARTIAL_FILE || cc == CURLE_COULDNT_RESOLVE_HOST ||
		       cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_HTTP2 ||
		       cc == CURLE_HTTP2_STREAM || cc == CURLE_READ_ERROR ||
		       cc == CURLE_SEND_FAIL_REWIND;
	return status >= 500 || status == 429 || status == 408;
}

static void nap_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* The path of a request: raw (to sign) and percent-encoded (to send). */
static void add_path(struct buf *raw, struct buf *enc, const struct s3 *s, const struct s3_req *q)
{
	buf_adds(raw, s->path0);
	if (q->key) {
		if (!q->raw_key)
			buf_adds(raw, s->prefix);
		buf_adds(raw, q->key);
	}
	sigv4_uri_encode(enc, raw->data + strlen(s->path0), raw->len - strlen(s->path0), 1);
	buf_addc(raw, 0);
	raw->len--;
	buf_addc(enc, 0);
	enc->len--;
}

/*
 * One request, retried as the rules say.  Returns the final HTTP status
 * (2xx, or an error status that retrying does not help) or -errno for
 * transport failures after the last retry (-EFBIG: a response larger than
 * wanted; -EUCLEAN: a ranged read that returned other than asked).
 */
static long s3_do(struct s3 *s, const struct s3_req *q)
{
	char sha[65], date[17];
	struct buf path = BUF_INIT, epath = BUF_INIT, qs = BUF_INIT, url = BUF_INIT;
	long result = -EIO;
	int rc;

	rc = body_sha(q, sha);
	if (rc)
		return rc;
	add_path(&path, &epath, s, q);
	sigv4_add_query(&qs, q->query, q->nquery);
	buf_adds(&url, s->base);
	buf_add(&url, epath.data, epath.len);
	if (qs.len) {
		buf_addc(&url, '?');
		buf_add(&url, qs.data, qs.len);
	}
	buf_addc(&url, 0);

	unsigned backoff = 100;
	for (unsigned attempt = 0;; attempt++) {
		struct sigv4_header h[4];
		size_t nh = 0;
		h[nh++] = (struct sigv4_header){ "host", s->host };
		if (q->range)
			h[nh++] = (struct sigv4_header){ "range", q->range };
		if (q->if_none_match)
			h[nh++] = (struct sigv4_header){ "if-none-match", "*" };
		struct sigv4_creds cr = { s->access, s->secret, s->token, s->region, "s3" };
		amz_date(date);
		struct sigv4_request rq = { q->method, (const char *)path.data, q->query, q->nquery, h, nh, sha,
					    date };
		struct sigv4_signed sg;
		rc = sigv4_sign(&cr, &rq, &sg);
		if (rc) {
			result = rc;
			break;
		}
		struct curl_slist *hl = NULL;
		char *line;
		/* whole lines, however long (an STS session token has no fixed size) */
		for (size_t i = 0; i < nh; i++) {
			line = xasprintf("%s: %s", h[i].name, h[i].value);
			hl = curl_slist_append(hl, line);
			free(line);
		}
		for (size_t i = 0; i < sg.nadd; i++) {
			line = xasprintf("%s: %s", sg.add[i].name, sg.add[i].value);
			hl = curl_slist_append(hl, line);
			free(line);
		}
		line = xasprintf("authorization: %s", sg.authorization);
		hl = curl_slist_append(hl, line);
		explicit_bzero(line, strlen(line));
		free(line);
		sigv4_signed_release(&sg);
		hl = curl_slist_append(hl, "Expect:"); /* no 100-continue round trip */

		struct xfer x = { .q = q };
		CURL *c = take_handle(s);
		if (q->out)
			q->out->len = 0;
		curl_easy_reset(c);
		curl_easy_setopt(c, CURLOPT_URL, url.data);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s->timeout_s);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, s->timeout_s);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		if (!strcmp(q->method, "HEAD")) {
			curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		} else if (!strcmp(q->method, "PUT") || !strcmp(q->method, "POST")) {
			/* a body, read (and rewound for a resend) through x */
			bool put = q->method[1] == 'U';
			curl_easy_setopt(c, put ? CURLOPT_UPLOAD : CURLOPT_POST, 1L);
			curl_easy_setopt(c, put ? CURLOPT_INFILESIZE_LARGE : CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)q->body_len);
			curl_easy_setopt(c, CURLOPT_READFUNCTION, on_send);
			curl_easy_setopt(c, CURLOPT_READDATA, &x);
			curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
			curl_easy_setopt(c, CURLOPT_SEEKDATA, &x);
		} else if (strcmp(q->method, "GET")) {
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
		}
		CURLcode cc = curl_easy_perform(c);
		long status = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_slist_free_all(hl);
		if (cc == CURLE_OK || !x.overflow)
			give_handle(s, c);
		else
			curl_easy_cleanup(c); /* a connection abandoned mid-body is not reused */

		/*
		 * A success whose body is not what its header said (cut short), or
		 * a HEAD without the size asked for: the transfer failed, whatever
		 * curl thought; tried again like a dropped connection.
		 */
		bool cut = false;
		if (cc == CURLE_OK && status >= 200 && status < 300 && !x.overflow)
			cut = !x.headers_done || /* curl 7.88 takes headers cut after the status line for an answer */
			      (!strcmp(q->method, "HEAD") ? q->content_length && !x.have_clen
							  : x.have_clen && x.got != x.clen);
		if (x.overflow && status < 300) {
			result = q->fixed ? -EUCLEAN : -EFBIG;
			buf_release(&x.err);
			break;
		}
		if (!cut && cc == CURLE_OK && status >= 200 && status < 300 && q->fixed &&
		    x.got != q->fixed_len) {
			/* a short ranged read the store stands by: the object is shorter than its size said */
			result = -EUCLEAN;
			buf_release(&x.err);
			break;
		}
		bool again = (cut || retryable(cc, status)) && !q->once && attempt + 1 < s->retries;
		if (!again) {
			if (cut) {
				log_msg("s3: %s %s%s: the answer was cut short after %u attempt%s",
					q->method, s->prefix, q->key ? q->key : "", attempt + 1,
					attempt ? "s" : "");
				result = -EIO;
			} else if (status >= 300 && status < 400) {
				log_msg("s3: %s %s%s: HTTP %ld (a redirect: the bucket is %s%s); set AWS_REGION to the bucket's region",
					q->method, s->prefix, q->key ? q->key : "", status,
					*x.region ? "in region " : "elsewhere", x.region);
				result = -EIO;
			} else if (cc != CURLE_OK) {
				log_msg("s3: %s %s%s: %s after %u attempt%s", q->method, s->prefix,
					q->key ? q->key : "", curl_easy_strerror(cc), attempt + 1,
					attempt ? "s" : "");
				result = cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
			} else {
				char code[64];
				error_code(&x.err, code);
				/* 404, 412, 416 are answers, 403 the caller's message (credentials) */
				if (status >= 500 || status == 429 || status == 408 ||
				    (status >= 400 && status != 403 && status != 404 && status != 412 &&
				     status != 416))
					log_msg("s3: %s %s%s: HTTP %ld%s%s%s", q->method, s->prefix,
						q->key ? q->key : "", status, *code ? " (" : "", code,
						*code ? ")" : "");
				/* no such bucket is not "no such object": the whole repository is missing */
				result = status == 404 && !strcmp(code, "NoSuchBucket") ? -ENOMEDIUM : status;
			}
			buf_release(&x.err);
			break;
		}
		buf_release(&x.err);
		/* exponential backoff with jitter, capped at 3 s */
		unsigned j = 0;
		if (getrandom(&j, sizeof(j), 0) != sizeof(j))
			j = (unsigned)attempt * 7919u;
		nap_ms(backoff / 2 + j % (backoff / 2 + 1));
		backoff = backoff * 2 > 3000 ? 3000 : backoff * 2;
	}
	buf_release(&path);
	buf_release(&epath);
	buf_release(&qs);
	buf_release(&url);
	return result;
}

/* An HTTP status as -errno. */
static int status_rc(long st)
{
	if (st < 0)
		return (int)st;
	if (st >= 200 && st < 300)
		return 0;
	switch (st) {
	case 404:
		return -ENOENT;
	case 412:
		return -EEXIST;
	case 416:
		return -EUCLEAN;
	case 403:
		return -EACCES;
	default:
		return -EIO;
	}
}

/* ---- objects ---- */

static int s3_get(struct store *st, const char *key, size_t max, uint8_t **data, size_t *len)
{
	struct s3 *s = S(st);
	struct buf b = BUF_INIT;
	struct s3_req q = { .method = "GET", .key = key, .body_fd = -1, .out = &b, .out_max = max };
	int rc = status_rc(s3_do(s, &q));
	*data = NULL;
	*len = 0;
	if (rc) {
		buf_release(&b);
		return rc;
	}
	buf_addc(&b, 0);
	*data = buf_detach(&b, len);
	(*len)--;
	return 0;
}

static int s3_open(struct store *st, const char *key, struct store_file **out)
{
	struct s3 *s = S(st);
	uint64_t size = UINT64_MAX;
	struct s3_req q = { .method = "HEAD", .key = key, .body_fd = -1, .content_length = &size };
	int rc = status_rc(s3_do(s, &q));
	*out = NULL;
	if (rc)
		return rc;
	if (size == UINT64_MAX)
		return -EIO;
	struct s3_file *f = xcalloc(1, sizeof(*f));
	f->f.ops = &s3_ops;
	f->f.size = size;
	f->s = s;
	f->key = xstrdup(key);
	*out = &f->f;
	return 0;
}

static int s3_pread(struct store_file *sf, void *buf, size_t n, uint64_t off)
{
	struct s3_file *f = (struct s3_file *)sf;
	char range[64];
	snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)off,
		 (unsigned long long)(off + n - 1));
	struct s3_req q = { .method = "GET", .key = f->key, .body_fd = -1, .range = range,
			    .fixed = buf, .fixed_len = n };
	long st = s3_do(f->s, &q);
	/* 200 would be the whole object: only a 206 of exactly the range is that range */
	if (st == 200)
		return n == f->f.size && off == 0 ? 0 : -EUCLEAN;
	return status_rc(st);
}

static void s3_close(struct store_file *sf)
{
	struct s3_file *f = (struct s3_file *)sf;
	free(f->key);
	free(f);
}

static int s3_put(struct store *st, const char *key, const void *data, size_t len,
		  unsigned flags)
{
	struct s3_req q = { .method = "PUT", .key = key, .body = data ? data : "", .body_fd = -1,
			    .body_len = len, .if_none_match = flags & STORE_IF_ABSENT };
	int rc = status_rc(s3_do(S(st), &q));
	if (rc == -EEXIST) {
		/*
		 * A retry of our own write that had landed (its answer lost) is
		 * refused too: the object holding exactly our bytes is ours.
		 */
		uint8_t *d = NULL;
		size_t n = 0;
		if (s3_get(st, key, len, &d, &n) == 0 && n == len && !memcmp(d, data ? data : "", len))
			rc = 0;
		free(d);
	}
	return rc;
}

static int s3_tmp_create(struct store *st, const char *hint, char **path)
{
	char *p = xasprintf("%s/%s.XXXXXX", st->tmp, hint);
	int fd = mkostemp(p, O_CLOEXEC);
	if (fd < 0) {
		int rc = -errno;
		free(p);
		*path = NULL;
		return rc;
	}
	*path = p;
	return fd;
}

/* Multipart upload of the file at fd (len bytes): parts of s->part_size, then complete. */
static int put_multipart(struct s3 *s, const char *key, int fd, uint64_t len)
{
	struct buf resp = BUF_INIT, body = BUF_INIT;
	struct sigv4_param up[1] = { { "uploads", NULL } };
	struct s3_req q = { .method = "POST", .key = key, .query = up, .nquery = 1, .body = "",
			    .body_fd = -1, .out = &resp, .out_max = 1 << 16 };
	int rc = status_rc(s3_do(s, &q));
	if (rc) {
		buf_release(&resp);
		return rc;
	}
	buf_addc(&resp, 0);
	const char *from = (const char *)resp.data;
	char *upload = s3_xml_text((const char *)resp.data, &from, "UploadId");
	buf_release(&resp);
	if (!upload)
		return -EIO;
	buf_adds(&body, "<CompleteMultipartUpload>");
	unsigned part = 0;
	for (uint64_t at = 0; !rc && at < len; at += s->part_size) {
		char num[16], etag[128] = "";
		snprintf(num, sizeof(num), "%u", ++part);
		struct sigv4_param pq[2] = { { "partNumber", num }, { "uploadId", upload } };
		uint64_t n = len - at < s->part_size ? len - at : s->part_size;
		struct s3_req pp = { .method = "PUT", .key = key, .query = pq, .nquery = 2,
				     .body_fd = fd, .body_off = at, .body_len = n, .etag = etag };
		rc = status_rc(s3_do(s, &pp));
		if (!rc && !etag[0])
			rc = -EIO;
		if (!rc)
			buf_addf(&body, "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>", part,
				 etag);
	}
	buf_adds(&body, "</CompleteMultipartUpload>");
	if (!rc) {
		struct sigv4_param cq[1] = { { "uploadId", upload } };
		struct buf cresp = BUF_INIT;
		struct s3_req c = { .method = "POST", .key = key, .query = cq, .nquery = 1,
				    .body = body.data, .body_fd = -1, .body_len = body.len,
				    .out = &cresp, .out_max = 1 << 16 };
		rc = status_rc(s3_do(s, &c));
		/* a 200 may still carry an error (S3 documents it for CompleteMultipartUpload) */
		if (!rc && cresp.len && memmem(cresp.data, cresp.len, "<Error>", 7))
			rc = -EIO;
		buf_release(&cresp);
	}
	if (rc) {
		struct sigv4_param aq[1] = { { "uploadId", upload } };
		struct s3_req a = { .method = "DELETE", .key = key, .query = aq, .nquery = 1,
				    .body_fd = -1 };
		s3_do(s, &a); /* best effort: an abandoned upload holds space until it is aborted */
	}
	buf_release(&body);
	free(upload);
	return rc;
}

static int s3_put_tmp(struct store *st, const char *key, int fd, const char *path,
		      unsigned flags)
{
	struct s3 *s = S(st);
	struct stat sb;
	int rc = fstat(fd, &sb) < 0 ? -errno : 0;
	if (!rc) {
		uint64_t len = (uint64_t)sb.st_size;
		/* a conditional write is one PUT (up to S3's 5 GiB): not every store honours it on a multipart completion */
		if (len > s->part_size && !(flags & STORE_IF_ABSENT)) {
			rc = put_multipart(s, key, fd, len);
		} else {
			struct s3_req q = { .method = "PUT", .key = key, .body_fd = fd, .body_len = len,
					    .if_none_match = flags & STORE_IF_ABSENT };
			rc = status_rc(s3_do(s, &q));
		}
	}
	close(fd);
	unlink(path);
	return rc;
}

static int s3_del(struct store *st, const char *key)
{
	struct s3_req q = { .method = "DELETE", .key = key, .body_fd = -1 };
	return status_rc(s3_do(S(st), &q));
}

/* One DELETE, not retried: a repeat after an answer that was lost could remove an object created since. */
static int s3_del_once(struct s3 *s, const char *key)
{
	struct s3_req q = { .method = "DELETE", .key = key, .body_fd = -1, .once = true };
	return status_rc(s3_do(s, &q));
}

static int s3_barrier(struct store *st)
{
	(void)st; /* S3 is strongly consistent: a completed DELETE is durable and seen by all */
	return 0;
}

static int s3_list(struct store *st, const char *dir, unsigned depth, store_list_fn fn,
		   void *arg)
{
	struct s3 *s = S(st);
	char *prefix = xasprintf("%s%s/", s->prefix, dir);
	char *token = NULL, *last = NULL;
	int rc = 0;

	for (;;) {
		struct buf resp = BUF_INIT;
		struct sigv4_param q[3] = { { "list-type", "2" }, { "prefix", prefix },
					    { "continuation-token", token } };
		struct s3_req r = { .method = "GET", .key = NULL, .query = q,
				    .nquery = token ? 3 : 2, .body_fd = -1, .out = &resp,
				    .out_max = 16u << 20 };
		rc = status_rc(s3_do(s, &r));
		free(token);
		token = NULL;
		if (rc) {
			buf_release(&resp);
			break;
		}
		buf_addc(&resp, 0);
		rc = s3_list_page((const char *)resp.data, prefix, depth, &last, fn, arg, &token);
		buf_release(&resp);
		if (rc || !token)
			break;
	}
	free(token);
	free(last);
	free(prefix);
	return rc;
}

/* ---- locks ----
 *
 * A lock is an object with a lease: locks/<name> (exclusive) or
 * locks/<name>.shared/<random> (shared), holding "what (pid N on HOST,
 * since TIME)" and the lease's end.  Taking one: an exclusive lock is
 * created with If-None-Match: * (of racing takers exactly one succeeds);
 * a shared one is created under its own random key.  Then each side looks
 * for the other kind and, if it finds a live one, removes its own object
 * and waits: announce, then check, which S3's read-after-write consistency
 * makes safe.  The holder rewrites its object every lease/5 seconds, after
 * reading back that it is still the one it wrote; an object whose lease
 * has ended (STRATA_S3_LOCK_STALE, default 600 s without a refresh: a
 * holder that died) is stale.
 *
 * Removing a stale exclusive object is the one step two takers could race
 * on: both read the stale bytes, one deletes them and creates its own, the
 * other's delete then removes the new holder's object.  So the right to
 * remove one stale instance is an object of its own, created if absent:
 * locks/<name>.takeover/<xxh3 of the stale bytes>-<k>; its winner reads
 * the lock again and deletes it only if it still holds those bytes, and
 * removes its claim only after it tried to create its own lock, so that a
 * later claimant reads the new holder's bytes.  A claim whose own lease
 * ended (its taker died between claim and delete) is passed over by
 * claiming k + 1.
 *
 * A holder that could not refresh for 4/5 of the lease (a paused process,
 * a suspended machine, a network that failed every retry) can no longer
 * know that nobody took its lock: from then on the lock is lost for good
 * (store_lock_check() says so, and writers check before each change others
 * would see: a manifest, a deletion), and it neither rewrites nor deletes
 * the object, which may be another's by then.  Nor does a taker paused
 * past its claim's lease delete.  What no lease rules out (S3 offers no
 * fencing): a pause between such a check and the one request after it.
 */

#define TAKEOVER_TRIES 32

struct s3_lock {
	struct store_lock l;
	struct s3 *s;
	char *key, *text;
	char *body;             /* what this holder last wrote at key */
	struct timespec ok;     /* CLOCK_BOOTTIME just before the last write that landed */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, running, lost;
};

static char *lock_text(struct s3 *s, const char *what)
{
	char host[64] = "", ts[32];
	gethostname(host, sizeof(host) - 1);
	time_rfc3339(ts, (int64_t)time(NULL));
	return xasprintf("%s (pid %ld on %s, since %s)\n", what ? what : "strata", (long)getpid(),
			 host, ts);
}

/*
 * Write text with a new lease end at key; *body (if given) gets what was
 * written and *at (if given) the CLOCK_BOOTTIME before the lease was set.
 */
static int lock_put(struct s3 *s, const char *key, const char *text, bool if_absent, char **body,
		    struct timespec *at)
{
	struct timespec t;
	clock_gettime(CLOCK_BOOTTIME, &t);
	char *b = xasprintf("%sexpires = %lld\n", text, (long long)time(NULL) + s->lock_stale_s);
	int rc = s3_put(&s->s, key, b, strlen(b), if_absent ? STORE_IF_ABSENT : 0);
	if (!rc && at)
		*at = t;
	if (body && !rc) {
		free(*body);
		*body = b;
	} else {
		free(b);
	}
	return rc;
}

static int64_t since_ms(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_BOOTTIME, &now);
	return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Whether a lease set at t may have ended for others (4/5 of it: room for their clocks and requests). */
static bool lease_spent(const struct s3 *s, const struct timespec *t)
{
	return since_ms(t) >= s->lock_stale_s * 800;
}

/*
 * Read the lock object at key: 1 live, 0 stale, -ENOENT gone, -errno.
 * *holder (if given) gets a live one's first line, printable; *bytes (if
 * given) its bytes, NUL-terminated.
 */
static int lock_read(struct s3 *s, const char *key, char **holder, char **bytes)
{
	uint8_t *d;
	size_t n;
	int rc = s3_get(&s->s, key, 4096, &d, &n);
	if (rc)
		return rc;
	const char *e = strstr((const char *)d, "expires = ");
	/* a lock that does not say when it ends is taken as held: never delete what we cannot read */
	long long exp = e ? strtoll(e + 10, NULL, 10) : LLONG_MAX;
	int live = exp > (long long)time(NULL);
	if (holder && live) {
		const char *nl = strchr((const char *)d, '\n');
		struct buf b = BUF_INIT;
		buf_add_printable(&b, (const char *)d, nl ? (size_t)(nl - (const char *)d) : n);
		free(*holder);
		*holder = b.data ? (char *)buf_detach(&b, NULL) : xstrdup("");
	}
	if (bytes)
		*bytes = (char *)d;
	else
		free(d);
	return live;
}

/* 1 if the lock object at key is live, 0 if stale or gone, -errno. */
static int lock_live(struct s3 *s, const char *key, char **holder)
{
	int rc = lock_read(s, key, holder, NULL);
	return rc == -ENOENT ? 0 : rc;
}

/* The take-over claims of one stale instance: locks/<name>.takeover/<xxh3 of its bytes>-<k> */
static char *claim_key(const char *name, const char *stale, unsigned k)
{
	return xasprintf("locks/%s.takeover/%016llx-%u", name,
			 (unsigned long long)XXH3_64bits(stale, strlen(stale)), k);
}

/* Remove claims 0 .. n-1 of the instance stale (ours, and dead takers' before it). */
static void lock_take_over_done(struct s3 *s, const char *name, const char *stale, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char *claim = claim_key(name, stale, i);
		s3_del(&s->s, claim);
		free(claim);
	}
}

/*
 * Remove the stale exclusive object at key, whose bytes were stale (see
 * above).  Returns the number of claims to remove with
 * lock_take_over_done once the caller tried to create its own object (the
 * object is gone or another's by then), -EWOULDBLOCK while another taker
 * is at it, -errno.
 */
static int lock_take_over(struct s3 *s, const char *name, const char *key, const char *stale,
			  const char *text)
{
	struct timespec at;
	int rc = -EWOULDBLOCK;
	unsigned k;
	fault_point("s3-lock-takeover");
	for (k = 0; k < TAKEOVER_TRIES; k++) {
		char *claim = claim_key(name, stale, k);
		rc = lock_put(s, claim, text, true, NULL, &at);
		/* another taker's claim: wait for it while it lives, pass over a dead one */
		int l = rc == -EEXIST ? lock_live(s, claim, NULL) : 0;
		free(claim);
		if (rc != -EEXIST)
			break;
		rc = l < 0 ? l : -EWOULDBLOCK;
		if (l != 0)
			break;
	}
	if (rc)
		return rc;
	/*
	 * Ours to remove, if the stale bytes are still there.  Each DELETE
	 * follows a read that saw them and is not repeated by the transport:
	 * a repeat after a lost answer could remove a lock created meanwhile.
	 */
	for (unsigned tries = 0; tries < s->retries; tries++) {
		char *now = NULL;
		rc = lock_read(s, key, NULL, &now);
		bool same = rc >= 0 && !strcmp(now, stale);
		free(now);
		if (rc == -ENOENT || (rc >= 0 && !same)) {
			rc = 0; /* released, refreshed or taken meanwhile: look again */
			break;
		}
		if (rc < 0)
			continue;
		/* a taker paused past its claim's lease may have been passed over: not its to delete now */
		if (lease_spent(s, &at)) {
			rc = -EWOULDBLOCK;
			break;
		}
		rc = s3_del_once(s, key);
		if (!rc || rc == -ENOENT) {
			rc = 0;
			break;
		}
		nap_ms(200u << tries);
	}
	if (rc) {
		lock_take_over_done(s, name, stale, k + 1);
		return rc;
	}
	return (int)k + 1;
}

/*
 * The exclusive object at key exists: 0 if it was stale and is now ours
 * (*body what we wrote, *at when), 1 if it went away meanwhile (try again),
 * -EWOULDBLOCK while another holds it (*holder who), -errno.
 */
static int lock_contended(struct s3 *s, const char *name, const char *key, const char *text,
			  char **holder, char **body, struct timespec *at)
{
	char *stale = NULL;
	int rc = lock_read(s, key, holder, &stale);
	if (rc == -ENOENT)
		return 1;
	if (rc != 0) {
		free(stale);
		return rc < 0 ? rc : -EWOULDBLOCK;
	}
	/* stale: its holder died without releasing it */
	int k = lock_take_over(s, name, key, stale, text);
	if (k > 0) {
		rc = lock_put(s, key, text, true, body, at);
		lock_take_over_done(s, name, stale, (unsigned)k);
		if (rc == -EEXIST)
			rc = -EWOULDBLOCK; /* another taker created it first: it holds it */
	} else {
		rc = k;
	}
	free(stale);
	return rc;
}

struct shared_scan {
	struct s3 *s;
	const char *dir;
	const char *mine;
	int live;
	char *holder;
};

static int shared_seen(const char *name, void *arg)
{
	struct shared_scan *sc = arg;
	char *key = xasprintf("%s/%s", sc->dir, name);
	int l = 0;
	if (!sc->mine || strcmp(key, sc->mine)) {
		l = lock_live(sc->s, key, &sc->holder);
		if (l > 0)
			sc->live++;
		else if (l == 0)
			s3_del(&sc->s->s, key); /* stale: its holder died (a random key: no one else's) */
	}
	free(key);
	/* a holder that cannot be read stops the look: never taken for absent */
	return l < 0 ? l : 0;
}

/* live shared holders of name other than mine; -errno */
static int shared_live(struct s3 *s, const char *name, const char *mine, char **holder)
{
	char *dir = xasprintf("locks/%s.shared", name);
	struct shared_scan sc = { s, dir, mine, 0, NULL };
	int rc = s3_list(&s->s, dir, 0, shared_seen, &sc);
	if (holder && sc.holder) {
		free(*holder);
		*holder = sc.holder;
	} else {
		free(sc.holder);
	}
	free(dir);
	return rc ? rc : sc.live;
}

static void lock_lost(struct s3_lock *l, const char *why)
{
	log_msg("s3: the lock '%s' is no longer certainly this process's (%s); stopping before the "
		"next change to the repository", l->key, why);
	pthread_mutex_lock(&l->mu);
	l->lost = true;
	pthread_mutex_unlock(&l->mu);
}

/*
 * One refresh: the lease must not have run out (else others may have
 * taken the lock as stale: lost for good, whatever the object says now)
 * and the object must still hold what this holder wrote; then a new lease.
 */
static void lock_refresh(struct s3_lock *l)
{
	if (lease_spent(l->s, &l->ok)) {
		lock_lost(l, "its lease could not be renewed in time");
		return;
	}
	char *now = NULL;
	int rc = lock_read(l->s, l->key, NULL, &now);
	bool mine = rc >= 0 && !strcmp(now, l->body);
	free(now);
	if (rc == -ENOENT || (rc >= 0 && !mine)) {
		lock_lost(l, "its object was taken as stale and removed or replaced");
		return;
	}
	char *body = NULL;
	struct timespec at;
	if (rc >= 0)
		rc = lock_put(l->s, l->key, l->text, false, &body, &at);
	if (rc) {
		log_msg("s3: cannot refresh the lock '%s'; it may be taken as stale", l->key);
		return;
	}
	pthread_mutex_lock(&l->mu);
	free(l->body);
	l->body = body;
	l->ok = at;
	pthread_mutex_unlock(&l->mu);
}

static void *refresher(void *arg)
{
	struct s3_lock *l = arg;
	pthread_mutex_lock(&l->mu);
	while (!l->stop && !l->lost) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += l->s->lock_stale_s / 5 > 0 ? l->s->lock_stale_s / 5 : 1;
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
		if (l->stop)
			break;
		pthread_mutex_unlock(&l->mu);
		lock_refresh(l);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* Remove take-over claims left by takers that died; called by a new exclusive holder. */
static int claim_seen(const char *name, void *arg)
{
	void **a = arg;
	struct s3 *s = a[0];
	char *key = xasprintf("%s/%s", (const char *)a[1], name);
	if (lock_live(s, key, NULL) == 0)
		s3_del(&s->s, key);
	free(key);
	return 0;
}

static int s3_lock(struct store *st, const char *name, bool exclusive, const char *what,
		   int64_t wait_ms, store_wait_fn waiting, void *arg, struct store_lock **out)
{
	struct s3 *s = S(st);
	char *text = lock_text(s, what), *holder = NULL, *key, *body = NULL;
	struct timespec t0, at;
	unsigned nap = 200;
	int rc;

	*out = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (exclusive) {
		key = xasprintf("locks/%s", name);
	} else {
		uint8_t r[8];
		char hex[17];
		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			memset(r, 0, sizeof(r));
		hex_encode(hex, r, 8);
		key = xasprintf("locks/%s.shared/%s", name, hex);
	}
	for (;;) {
		int busy = 0;
		rc = lock_put(s, key, text, exclusive, &body, &at);
		if (rc == -EEXIST)
			rc = lock_contended(s, name, key, text, &holder, &body, &at);
		if (rc == 1)
			continue;
		if (rc == -EWOULDBLOCK) {
			rc = 0;
			busy = 1;
		} else if (!rc) {
			/* announced: now the other kind must not be there */
			char *other = exclusive ? NULL : xasprintf("locks/%s", name);
			int l = exclusive ? shared_live(s, name, NULL, &holder)
					  : lock_live(s, other, &holder);
			free(other);
			if (l < 0)
				rc = l;
			if (l != 0) {
				s3_del(st, key);
				busy = rc == 0;
			}
		}
		if (rc || !busy)
			break;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t spent = (int64_t)(now.tv_sec - t0.tv_sec) * 1000 +
				(now.tv_nsec - t0.tv_nsec) / 1000000;
		if (!wait_ms || (wait_ms > 0 && spent >= wait_ms)) {
			rc = -EWOULDBLOCK;
			break;
		}
		if (waiting) {
			waiting(holder ? holder : "", arg);
			waiting = NULL;
		}
		nap_ms(nap);
		nap = nap * 2 > 2000 ? 2000 : nap * 2;
	}
	free(holder);
	if (rc) {
		free(key);
		free(text);
		free(body);
		return rc;
	}
	if (exclusive) {
		char *dir = xasprintf("locks/%s.takeover", name);
		void *a[2] = { s, dir };
		s3_list(st, dir, 0, claim_seen, a);
		free(dir);
	}
	struct s3_lock *l = xcalloc(1, sizeof(*l));
	l->l.ops = &s3_ops;
	l->s = s;
	l->key = key;
	l->text = text;
	l->body = body;
	l->ok = at;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->running = pthread_create(&l->th, NULL, refresher, l) == 0;
	*out = &l->l;
	return 0;
}

/* 0 while the lease certainly holds; -ENOLCK once it may have been taken (see above). */
static int s3_lock_check(struct store_lock *sl)
{
	struct s3_lock *l = (struct s3_lock *)sl;
	pthread_mutex_lock(&l->mu);
	bool lost = l->lost || lease_spent(l->s, &l->ok);
	l->lost = lost;
	pthread_mutex_unlock(&l->mu);
	return lost ? -ENOLCK : 0;
}

static void s3_unlock(struct store_lock *sl)
{
	struct s3_lock *l = (struct s3_lock *)sl;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if (l->running)
		pthread_join(l->th, NULL);
	/*
	 * Only our own object, and only while the lease holds: after it ran
	 * out the object may be another holder's by the time a DELETE lands
	 * (a stale one of ours is removed by the next taker).
	 */
	char *now = NULL;
	if (!l->lost && !lease_spent(l->s, &l->ok) && lock_read(l->s, l->key, NULL, &now) >= 0 &&
	    !strcmp(now, l->body))
		s3_del(&l->s->s, l->key);
	free(now);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l->key);
	free(l->text);
	free(l->body);
	free(l);
}

static char *s3_lock_holder(struct store *st, const char *name)
{
	char *key = xasprintf("locks/%s", name), *holder = NULL;
	/* the exclusive holder; else one of the shared ones */
	if (lock_live(S(st), key, &holder) <= 0) {
		free(holder);
		holder = NULL;
		shared_live(S(st), name, NULL, &holder);
	}
	free(key);
	return holder ? holder : xstrdup("");
}

static void s3_clean_tmp(struct store *st)
{
	/*
	 * Temporaries are this host's files, shared by every repository it
	 * writes to, each removed as it is stored; what a killed writer left
	 * goes once it is a day old (no pack takes a day to write).
	 */
	DIR *d = opendir(st->tmp);
	struct dirent *e;
	time_t now = time(NULL);
	while (d && (e = readdir(d))) {
		struct stat sb;
		if (e->d_name[0] != '.' &&
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode) && sb.st_mtime < now - 86400)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
}

static void s3_free(struct store *st)
{
	struct s3 *s = S(st);
	for (unsigned i = 0; i < s->npool; i++)
		curl_easy_cleanup(s->pool[i]);
	pthread_mutex_destroy(&s->mu);
	free(s->bucket);
	free(s->prefix);
	free(s->base);
	free(s->host);
	free(s->path0);
	if (s->secret)
		explicit_bzero(s->secret, strlen(s->secret));
	free(s->access);
	free(s->secret);
	free(s->token);
	free(s->region);
	free(st->where);
	free(st->tmp);
	free(st->cache);
	free(s);
}

static const struct store_ops s3_ops = {
	.list = s3_list,
	.get = s3_get,
	.open = s3_open,
	.pread = s3_pread,
	.close = s3_close,
	.put = s3_put,
	.tmp_create = s3_tmp_create,
	.put_tmp = s3_put_tmp,
	.del = s3_del,
	.barrier = s3_barrier,
	.lock = s3_lock,
	.unlock = s3_unlock,
	.lock_check = s3_lock_check,
	.lock_holder = s3_lock_holder,
	.clean_tmp = s3_clean_tmp,
	.free = s3_free,
};

static bool s3_claims(const char *where)
{
	return !strncmp(where, "s3://", 5);
}

static const char *env(const char *a, const char *b)
{
	const char *v = getenv(a);
	if ((!v || !*v) && b)
		v = getenv(b);
	return v && *v ? v : NULL;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The local directory for temporaries (and, in repo.c, the catalog cache). */
static char *cache_dir(void)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	if (x && *x == '/')
		return xasprintf("%s/strata", x);
	if (h && *h == '/')
		return xasprintf("%s/.cache/strata", h);
	/* no home (a system service): root's cache is the system's */
	if (getuid() == 0)
		return xstrdup("/var/cache/strata");
	return xasprintf("/tmp/strata-cache-%ld", (long)getuid());
}

static unsigned env_uint(const char *name, unsigned dflt, unsigned min, unsigned max)
{
	const char *v = getenv(name);
	char *end;
	if (!v || !*v)
		return dflt;
	unsigned long x = strtoul(v, &end, 10);
	return *end || x < min || x > max ? dflt : (unsigned)x;
}

/* key of the profile's section in the AWS file named by env var (else ~/.aws/dflt); NULL if none. */
static char *aws_file_value(const char *var, const char *dflt, const char *section, const char *key)
{
	const char *f = getenv(var), *h = getenv("HOME");
	char *path = f && *f ? xstrdup(f) : h && *h ? xasprintf("%s/.aws/%s", h, dflt) : NULL;
	uint8_t *d = NULL;
	size_t n = 0;
	char *v = NULL;
	if (path && read_file(path, 1u << 20, &d, &n) == 0)
		aws_ini_get((const char *)d, n, section, key, &v);
	if (d)
		explicit_bzero(d, n); /* it may hold secrets */
	free(d);
	free(path);
	if (v && !*v) {
		free(v);
		v = NULL;
	}
	return v;
}

static int s3_open_with(const char *where, bool create, const char *access, const char *secret,
			const char *token, const char *region, const char *endpoint,
			struct store **out);

static int s3_open_store(const char *where, bool create, struct store **out)
{
	const char *access = env("AWS_ACCESS_KEY_ID", NULL), *secret = env("AWS_SECRET_ACCESS_KEY", NULL);
	const char *token = env("AWS_SESSION_TOKEN", NULL);
	const char *endpoint = env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
	const char *region = env("AWS_REGION", "AWS_DEFAULT_REGION");
	/* without them in the environment: the profile's, from AWS's shared files */
	const char *profile = env("AWS_PROFILE", "AWS_DEFAULT_PROFILE");
	char *f_access = NULL, *f_secret = NULL, *f_token = NULL, *f_region = NULL, *f_endpoint = NULL;
	char *csec = !profile || !strcmp(profile, "default") ? xstrdup("default")
							     : xasprintf("profile %s", profile);
	if (!access || !secret) {
		const char *p = profile ? profile : "default";
		f_access = aws_file_value("AWS_SHARED_CREDENTIALS_FILE", "credentials", p,
					  "aws_access_key_id");
		f_secret = aws_file_value("AWS_SHARED_CREDENTIALS_FILE", "credentials", p,
					  "aws_secret_access_key");
		f_token = aws_file_value("AWS_SHARED_CREDENTIALS_FILE", "credentials", p,
					 "aws_session_token");
		access = f_access;
		secret = f_secret;
		token = f_token;
	}
	if (!region)
		region = f_region = aws_file_value("AWS_CONFIG_FILE", "config", csec, "region");
	if (!endpoint)
		endpoint = f_endpoint = aws_file_value("AWS_CONFIG_FILE", "config", csec, "endpoint_url");
	free(csec);
	int rc = s3_open_with(where, create, access, secret, token, region, endpoint, out);
	if (f_secret)
		explicit_bzero(f_secret, strlen(f_secret));
	free(f_access);
	free(f_secret);
	free(f_token);
	free(f_region);
	free(f_endpoint);
	return rc;
}

static int s3_open_with(const char *where, bool create, const char *access, const char *secret,
			const char *token, const char *region, const char *endpoint,
			struct store **out)
{
	const char *b = where + 5, *sl = strchr(b, '/');
	size_t blen = sl ? (size_t)(sl - b) : strlen(b);
	int rc;

	*out = NULL;
	if (!blen || blen > 63 || strspn(b, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") < blen)
		return -ENXIO;
	if (!access || !secret)
		return -ENOKEY;
	if (endpoint && strncmp(endpoint, "http://", 7) && strncmp(endpoint, "https://", 8))
		return -ENXIO;
	pthread_once(&curl_once, curl_init_once);
	struct s3 *s = xcalloc(1, sizeof(*s));
	s->s.ops = &s3_ops;
	s->s.where = xstrdup(where);
	s->bucket = xstrndup(b, blen);
	/* the prefix: its components, without empty ones, each followed by '/' */
	struct buf p = BUF_INIT;
	for (const char *c = sl; c && *c;) {
		while (*c == '/')
			c++;
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (n) {
			buf_add(&p, c, n);
			buf_addc(&p, '/');
		}
		c += n;
	}
	buf_addc(&p, 0);
	s->prefix = (char *)buf_detach(&p, NULL);
	s->access = xstrdup(access);
	s->secret = xstrdup(secret);
	s->token = token ? xstrdup(token) : NULL;
	s->region = xstrdup(region ? region : "us-east-1");
	if (endpoint) {
		const char *h = strstr(endpoint, "://") + 3;
		const char *he = strchr(h, '/');
		size_t hn = he ? (size_t)(he - h) : strlen(h);
		s->host = xstrndup(h, hn);
		/* path-style: ENDPOINT[/path]/BUCKET/KEY */
		struct buf pp = BUF_INIT;
		if (he)
			buf_adds(&pp, he);
		while (pp.len && pp.data[pp.len - 1] == '/')
			pp.len--;
		buf_addf(&pp, "/%s/", s->bucket);
		s->path0 = (char *)buf_detach(&pp, NULL);
		s->base = xasprintf("%.*s%s", (int)(h - endpoint) + (int)hn, endpoint, s->path0);
	} else {
		s->host = xasprintf("%s.s3.%s.amazonaws.com", s->bucket, s->region);
		s->path0 = xstrdup("/");
		s->base = xasprintf("https://%s/", s->host);
	}
	s->retries = env_uint("STRATA_S3_RETRIES", 5, 1, 100);
	s->timeout_s = (long)env_uint("STRATA_S3_TIMEOUT", 30, 1, 3600);
	s->part_size = (uint64_t)env_uint("STRATA_S3_PART_SIZE", 16u << 20, S3_MIN_PART, 1u << 30);
	s->lock_stale_s = env_uint("STRATA_S3_LOCK_STALE", 600, 5, 86400);
	pthread_mutex_init(&s->mu, NULL);
	s->s.cache = cache_dir();
	s->s.tmp = xasprintf("%s/tmp", s->s.cache);
	rc = mkdir_p(s->s.tmp, 0700);
	/* ours alone to write: in /tmp another user could have made it first, to plant files */
	struct stat cs;
	if (!rc && (lstat(s->s.cache, &cs) < 0 || !S_ISDIR(cs.st_mode) || cs.st_uid != getuid() ||
		    (cs.st_mode & 022)))
		rc = -EPERM;
	if (!rc && create) {
		/* a new repository needs an empty place: no config there yet */
		struct store_file *f;
		int e = s3_open(&s->s, "config", &f);
		if (!e) {
			store_file_close(f);
			rc = -ENOTEMPTY;
		} else if (e != -ENOENT) {
			rc = e;
		}
	}
	if (rc) {
		s3_free(&s->s);
		return rc;
	}
	*out = &s->s;
	return 0;
}

const struct store_backend store_s3_backend = {
	.name = "s3",
	.claims = s3_claims,
	.open = s3_open_store,
};
