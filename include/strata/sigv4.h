/*
 * sigv4.h - AWS Signature Version 4 for requests to S3 (and other AWS-style
 * services): canonical request, string to sign, Authorization header.
 *
 * The signer is pure: it never reads the clock, the environment or the
 * network, so the caller decides the timestamp and the tests can replay
 * AWS's published examples.  It never logs; the secret key only ever goes
 * into HMAC and the derived keys are wiped after use.
 *
 * S3 rules, which this module follows for every service:
 *  - the path is percent-encoded once, segment by segment ('/' kept), and
 *    never normalised ("a/../b" and "a//b" are object keys in S3);
 *  - the query is given as raw pairs; the signer encodes and sorts them, and
 *    sigv4_add_query() builds exactly that string for the URL to send.
 *
 * Errors: sigv4_sign() returns 0 or a negative errno: -EINVAL for a request
 * it would have to guess about (see sigv4_sign), -EIO if libcrypto fails.
 */
#ifndef STRATA_SIGV4_H
#define STRATA_SIGV4_H

#include <stddef.h>

#include "strata/util.h"

/* sha256 of the empty string: the payload hash of a request without a body. */
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* Payload "hash" that tells S3 the body is not part of the signature. */
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

struct sigv4_creds {
	const char *access_key;
	const char *secret_key;
	const char *session_token; /* may be NULL: long-term credentials */
	const char *region;	   /* "us-east-1" */
	const char *service;	   /* "s3" */
};

struct sigv4_header {
	const char *name;
	const char *value;
};

/* One query parameter, raw (not encoded).  A NULL value is written "name=". */
struct sigv4_param {
	const char *name;
	const char *value;
};

struct sigv4_request {
	const char *method;	/* "GET", "PUT", ... */
	const char *path;	/* raw path, starting with '/'; NULL or "" is "/" */
	const struct sigv4_param *query;
	size_t nquery;
	/*
	 * Every header to sign, Host included (required).  Names in any case;
	 * repeated names are joined with ',' in the given order.  Not here:
	 * x-amz-date, authorization, and x-amz-content-sha256 (service "s3")
	 * or x-amz-security-token (session token) — the signer adds those.
	 */
	const struct sigv4_header *headers;
	size_t nheaders;
	/* Lowercase hex sha256 of the body, or "UNSIGNED-PAYLOAD" (or a like literal). */
	const char *payload_hash;
	const char *amz_date; /* "YYYYMMDDTHHMMSSZ", UTC */
};

#define SIGV4_MAX_ADD 3

struct sigv4_signed {
	char *authorization; /* the Authorization header's value */
	/*
	 * Headers the caller must send besides its own and Authorization:
	 * x-amz-date, x-amz-content-sha256 (service "s3"), x-amz-security-token
	 * (session token).  Names are lowercase literals; values are owned here.
	 */
	struct sigv4_header add[SIGV4_MAX_ADD];
	size_t nadd;
	/* Intermediate results (for tests and debugging; they hold no secret). */
	char *canonical_request;
	char *string_to_sign;
	char *signed_headers;
	char *owned[SIGV4_MAX_ADD]; /* storage of add[].value */
};

/*
 * Sign a request.  On success *out holds fresh strings (free them with
 * sigv4_signed_release); on failure *out is left empty.
 *
 * -EINVAL for: a missing field, a timestamp not of the form
 * YYYYMMDDTHHMMSSZ, a path not starting with '/', an access key, region or
 * service that is empty or holds '/', ',', '=', whitespace or a control byte
 * (they are fields of the Credential), a header name that is not an HTTP
 * token, no Host header, a header the signer adds itself, a header value
 * with a control byte or a CR/LF that is not a line fold (CRLF or LF
 * followed by a space or tab; folds are read as one space, as AWS does),
 * a method or payload hash that is not a plain token.
 */
int sigv4_sign(const struct sigv4_creds *creds, const struct sigv4_request *req,
	       struct sigv4_signed *out);
void sigv4_signed_release(struct sigv4_signed *s);

/*
 * Percent-encode n bytes for SigV4: A-Z a-z 0-9 - . _ ~ stay, every other
 * byte becomes %XX (uppercase hex), and '/' stays too if keep_slash (paths).
 * Appended to b.  Used for the path and the query the HTTP client sends, so
 * that it sends exactly what was signed.
 */
void sigv4_uri_encode(struct buf *b, const void *s, size_t n, int keep_slash);

/*
 * Append the canonical query string: each name and value encoded, pairs
 * sorted by encoded name then encoded value, joined with '&', "name=" for a
 * valueless parameter.  Nothing is appended for n == 0.  The HTTP client
 * must send this very string after the '?'.
 */
void sigv4_add_query(struct buf *b, const struct sigv4_param *q, size_t n);

/* Lowercase hex sha256 of data (65 bytes with the NUL).  0 or -EIO. */
int sigv4_sha256_hex(const void *data, size_t n, char out[65]);

/*
 * Incremental sha256, for a body hashed while it is read (an upload from a
 * file).  init, any number of updates, then final (which also frees) or
 * abort.  Each returns 0 or -EIO (-ENOMEM from init); after a failure only
 * sigv4_sha256_abort is allowed.
 */
struct sigv4_sha256 {
	void *ctx; /* EVP_MD_CTX: keeps <openssl/evp.h> out of this header */
};
int sigv4_sha256_init(struct sigv4_sha256 *h);
int sigv4_sha256_update(struct sigv4_sha256 *h, const void *data, size_t n);
int sigv4_sha256_final(struct sigv4_sha256 *h, char out[65]);
void sigv4_sha256_abort(struct sigv4_sha256 *h);

#endif
