/*
 * sigv4.c - AWS Signature Version 4; see strata/sigv4.h.
 *
 *   CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n
 *                      (name:value \n)* \n SignedHeaders \n PayloadHash
 *   StringToSign     = "AWS4-HMAC-SHA256" \n AmzDate \n Scope \n
 *                      hex(sha256(CanonicalRequest))
 *   Scope            = Date/Region/Service/aws4_request
 *   SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + Secret, Date), Region),
 *                      Service), "aws4_request")
 *   Signature        = hex(HMAC(SigningKey, StringToSign))
 */
#include "strata/sigv4.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define ALGORITHM "AWS4-HMAC-SHA256"

static int unreserved(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

void sigv4_uri_encode(struct buf *b, const void *s, size_t n, int keep_slash)
{
	/* Uppercase hex: AWS compares the canonical request byte for byte. */
	static const char HX[] = "0123456789ABCDEF";
	const uint8_t *p = s;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			buf_addc(b, c);
		} else {
			buf_addc(b, '%');
			buf_addc(b, (uint8_t)HX[c >> 4]);
			buf_addc(b, (uint8_t)HX[c & 15]);
		}
	}
}

/* ---- hashing ---- */

int sigv4_sha256_hex(const void *data, size_t n, char out[65])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (!EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) || len != 32) {
		out[0] = 0;
		return -EIO;
	}
	hex_encode(out, md, 32);
	return 0;
}

int sigv4_sha256_init(struct sigv4_sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	h->ctx = NULL;
	if (!ctx)
		return -ENOMEM;
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		return -EIO;
	}
	h->ctx = ctx;
	return 0;
}

int sigv4_sha256_update(struct sigv4_sha256 *h, const void *data, size_t n)
{
	if (!h->ctx)
		return -EIO;
	return EVP_DigestUpdate(h->ctx, data, n) ? 0 : -EIO;
}

int sigv4_sha256_final(struct sigv4_sha256 *h, char out[65])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int rc = -EIO;
	out[0] = 0;
	if (h->ctx && EVP_DigestFinal_ex(h->ctx, md, &len) && len == 32) {
		hex_encode(out, md, 32);
		rc = 0;
	}
	sigv4_sha256_abort(h);
	return rc;
}

void sigv4_sha256_abort(struct sigv4_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

/* out = HMAC-SHA256(key, data); 0 or -EIO. */
static int hmac(const void *key, size_t keylen, const void *data, size_t n, uint8_t out[32])
{
	unsigned int len = 0;
	if (keylen > INT_MAX)
		return -EIO;
	if (!HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &len) || len != 32)
		return -EIO;
	return 0;
}

/* ---- validation ---- */

/* RFC 7230 tchar: what a header name or a method may hold. */
static int tchar(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_token(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!tchar((uint8_t)*s))
			return 0;
	return 1;
}

/*
 * A field of the Credential ("AK/date/region/service/aws4_request"):
 * a '/' would shift the fields, ',' or '=' would end the Credential
 * parameter of the Authorization header, whitespace would split it.
 */
static int scope_field_ok(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++) {
		uint8_t c = (uint8_t)*s;
		if (c <= ' ' || c == 0x7f || c == '/' || c == ',' || c == '=')
			return 0;
	}
	return 1;
}

static int amz_date_ok(const char *d)
{
	if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
		return 0;
	for (int i = 0; i < 15; i++)
		if (i != 8 && (d[i] < '0' || d[i] > '9'))
			return 0;
	return 1;
}

/* 64 lowercase hex digits, or a literal such as UNSIGNED-PAYLOAD. */
static int payload_hash_ok(const char *h)
{
	size_t n = h ? strlen(h) : 0, hex = 0, lit = 0;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		hex += (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		lit += (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
	}
	return (n == 64 && hex == n) || lit == n;
}

/* ---- canonical headers ---- */

struct hdr {
	char *name; /* lowercase */
	const char *value;
	size_t pos; /* given order: keeps repeated names in order through qsort */
};

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int fold_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Append a header value as AWS canonicalises it: leading and trailing
 * whitespace dropped, each run of inner whitespace (line folds included)
 * one space.  -EINVAL for a control byte, or a CR/LF that is not part of a
 * fold: an HTTP client sending that value would be sending another header.
 */
static int add_value(struct buf *b, const char *v)
{
	const uint8_t *p = (const uint8_t *)v;
	size_t n = strlen(v);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '\r' && (i + 1 >= n || p[i + 1] != '\n'))
			return -EINVAL;
		if (c == '\n' && (i + 1 >= n || (p[i + 1] != ' ' && p[i + 1] != '\t')))
			return -EINVAL;
		if ((c < ' ' && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
			return -EINVAL;
	}
	size_t i = 0;
	int pending = 0;
	while (i < n && fold_ws(p[i]))
		i++;
	for (; i < n; i++) {
		if (fold_ws(p[i])) {
			pending = 1;
			continue;
		}
		if (pending)
			buf_addc(b, ' ');
		pending = 0;
		buf_addc(b, p[i]);
	}
	return 0;
}

static char *lower_dup(const char *s)
{
	char *d = xstrdup(s);
	for (char *q = d; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	return d;
}

/*
 * Canonical headers (each "name:value\n") into ch, the signed header list
 * into sh.  The signer's own headers (add) are merged in like the caller's.
 */
static int canonical_headers(const struct sigv4_request *req, const struct sigv4_header *add,
			     size_t nadd, struct buf *ch, struct buf *sh)
{
	size_t n = req->nheaders + nadd;
	struct hdr *h = xcalloc(n ? n : 1, sizeof(*h));
	int rc = 0, host = 0;

	for (size_t i = 0; i < n; i++) {
		const struct sigv4_header *src = i < req->nheaders ? &req->headers[i] :
								     &add[i - req->nheaders];
		if (!is_token(src->name) || !src->value) {
			rc = -EINVAL;
			goto out;
		}
		h[i].name = lower_dup(src->name);
		h[i].value = src->value;
		h[i].pos = i;
		if (i >= req->nheaders)
			continue;
		/* Ours to set: a second copy from the caller would be signed and sent twice. */
		if (!strcmp(h[i].name, "authorization")) {
			rc = -EINVAL;
			goto out;
		}
		for (size_t j = 0; j < nadd; j++)
			if (!strcmp(h[i].name, add[j].name)) {
				rc = -EINVAL;
				goto out;
			}
		host |= !strcmp(h[i].name, "host");
	}
	/* SigV4 requires Host signed; the signer cannot guess it. */
	if (!host) {
		rc = -EINVAL;
		goto out;
	}
	qsort(h, n, sizeof(*h), hdr_cmp);
	for (size_t i = 0; i < n; i++) {
		int first = !i || strcmp(h[i].name, h[i - 1].name);
		int last = i + 1 == n || strcmp(h[i].name, h[i + 1].name);
		if (first) {
			if (sh->len)
				buf_addc(sh, ';');
			buf_adds(sh, h[i].name);
			buf_adds(ch, h[i].name);
			buf_addc(ch, ':');
		} else {
			buf_addc(ch, ',');
		}
		rc = add_value(ch, h[i].value);
		if (rc)
			goto out;
		if (last)
			buf_addc(ch, '\n');
	}
out:
	for (size_t i = 0; i < n; i++)
		free(h[i].name);
	free(h);
	return rc;
}

/* ---- canonical query ---- */

struct qpair {
	char *name, *value; /* encoded */
};

static int qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

static char *encode_dup(const char *s)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, ""); /* "" rather than NULL for an empty string */
	if (s)
		sigv4_uri_encode(&b, s, strlen(s), 0);
	return (char *)buf_detach(&b, NULL);
}

void sigv4_add_query(struct buf *b, const struct sigv4_param *q, size_t n)
{
	if (!n)
		return;
	struct qpair *p = xcalloc(n, sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		p[i].name = encode_dup(q[i].name);
		p[i].value = encode_dup(q[i].value);
	}
	/* Sorted by the encoded bytes, as the service sorts what it received. */
	qsort(p, n, sizeof(*p), qpair_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(b, '&');
		buf_adds(b, p[i].name);
		buf_addc(b, '=');
		buf_adds(b, p[i].value);
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
}

/* ---- signing ---- */

static char *buf_str(struct buf *b)
{
	buf_adds(b, ""); /* never NULL, even when empty */
	return (char *)buf_detach(b, NULL);
}

/* hex(HMAC(SigningKey, sts)); the secret and derived keys are wiped. */
static int signature(const struct sigv4_creds *c, const char *date, const char *sts,
		     char out[65])
{
	uint8_t k[32], k2[32];
	size_t slen = strlen(c->secret_key);
	char *seed = xmalloc(slen + 5);
	int rc;

	memcpy(seed, "AWS4", 4);
	memcpy(seed + 4, c->secret_key, slen + 1);
	rc = hmac(seed, slen + 4, date, 8, k);
	if (!rc)
		rc = hmac(k, 32, c->region, strlen(c->region), k2);
	if (!rc)
		rc = hmac(k2, 32, c->service, strlen(c->service), k);
	if (!rc)
		rc = hmac(k, 32, "aws4_request", 12, k2);
	if (!rc)
		rc = hmac(k2, 32, sts, strlen(sts), k);
	if (!rc)
		hex_encode(out, k, 32);
	OPENSSL_cleanse(seed, slen + 4);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(k2, sizeof(k2));
	free(seed);
	return rc;
}

void sigv4_signed_release(struct sigv4_signed *s)
{
	free(s->authorization);
	free(s->canonical_request);
	free(s->string_to_sign);
	free(s->signed_headers);
	for (size_t i = 0; i < SIGV4_MAX_ADD; i++)
		free(s->owned[i]);
	memset(s, 0, sizeof(*s));
}

int sigv4_sign(const struct sigv4_creds *creds, const struct sigv4_request *req,
	       struct sigv4_signed *out)
{
	struct buf cr = BUF_INIT, ch = BUF_INIT, sh = BUF_INIT, sts = BUF_INIT;
	char date[9], crhash[65], sig[65];
	const char *path;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!creds || !req || !scope_field_ok(creds->access_key) || !creds->secret_key ||
	    !*creds->secret_key || !scope_field_ok(creds->region) ||
	    !scope_field_ok(creds->service) || !is_token(req->method) ||
	    !amz_date_ok(req->amz_date) || !payload_hash_ok(req->payload_hash) ||
	    (req->nquery && !req->query) || (req->nheaders && !req->headers))
		return -EINVAL;
	path = req->path && *req->path ? req->path : "/";
	if (path[0] != '/')
		return -EINVAL;
	for (size_t i = 0; i < req->nquery; i++)
		if (!req->query[i].name)
			return -EINVAL;
	memcpy(date, req->amz_date, 8);
	date[8] = 0;

	/* The headers the signer owns; they are signed like the caller's. */
	out->owned[out->nadd] = xstrdup(req->amz_date);
	out->add[out->nadd].name = "x-amz-date";
	out->add[out->nadd].value = out->owned[out->nadd];
	out->nadd++;
	/* S3 refuses a request without it; other services do not know it. */
	if (!strcmp(creds->service, "s3")) {
		out->owned[out->nadd] = xstrdup(req->payload_hash);
		out->add[out->nadd].name = "x-amz-content-sha256";
		out->add[out->nadd].value = out->owned[out->nadd];
		out->nadd++;
	}
	/* Signed, not appended after signing: S3 wants it in SignedHeaders. */
	if (creds->session_token) {
		out->owned[out->nadd] = xstrdup(creds->session_token);
		out->add[out->nadd].name = "x-amz-security-token";
		out->add[out->nadd].value = out->owned[out->nadd];
		out->nadd++;
	}

	rc = canonical_headers(req, out->add, out->nadd, &ch, &sh);
	if (rc)
		goto fail;

	buf_adds(&cr, req->method);
	buf_addc(&cr, '\n');
	sigv4_uri_encode(&cr, path, strlen(path), 1);
	buf_addc(&cr, '\n');
	sigv4_add_query(&cr, req->query, req->nquery);
	buf_addc(&cr, '\n');
	buf_add(&cr, ch.data, ch.len);
	buf_addc(&cr, '\n');
	buf_add(&cr, sh.data, sh.len);
	buf_addc(&cr, '\n');
	buf_adds(&cr, req->payload_hash);

	rc = sigv4_sha256_hex(cr.data, cr.len, crhash);
	if (rc)
		goto fail;
	buf_addf(&sts, ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", req->amz_date, date,
		 creds->region, creds->service, crhash);

	rc = signature(creds, date, (const char *)sts.data, sig);
	if (rc)
		goto fail;

	out->canonical_request = buf_str(&cr);
	out->string_to_sign = buf_str(&sts);
	out->signed_headers = buf_str(&sh);
	out->authorization = xasprintf(ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, "
					   "SignedHeaders=%s, Signature=%s",
				       creds->access_key, date, creds->region, creds->service,
				       out->signed_headers, sig);
	buf_release(&ch);
	return 0;
fail:
	buf_release(&cr);
	buf_release(&ch);
	buf_release(&sh);
	buf_release(&sts);
	sigv4_signed_release(out);
	return rc;
}
