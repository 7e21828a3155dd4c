/*
 * util.h - small shared helpers: growable byte buffers, bounds-checked
 * readers, varints, hex, atomic file writes, time formatting.
 *
 * Error convention (whole project): functions return 0 on success or a
 * negative errno.  Corrupt on-disk structure is -EUCLEAN, a checksum
 * mismatch is -EBADMSG.
 */
#ifndef STRATA_UTIL_H
#define STRATA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#ifndef EUCLEAN
#define EUCLEAN 117
#endif

/* Allocation that aborts on failure: used only for sizes we bounded. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
/*
 * n bytes at a 4 KiB boundary (freed with free()): for buffers pread() fills
 * from the page cache.  On the AMD EPYC machines measured, the kernel's copy
 * runs 3x slower when the buffer sits 1-31 bytes (mod 64) off the file's page
 * boundary, where malloc() puts large blocks (docs/DESIGN-NOTES.md).
 */
void *xmalloc_pages(size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* n bytes of p and a NUL after them (never NULL). */
char *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * struct buf: growable byte buffer.  buf_init() leaves it empty; the data is
 * owned by the buf until buf_detach() hands it to the caller.  Kept
 * NUL-terminated once anything was added (the NUL is not counted in len).
 */
struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_init(struct buf *b);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
/* Room for extra more bytes plus a NUL (the common case inline: rows are built byte by byte). */
void buf_grow_slow(struct buf *b, size_t extra);
static inline void buf_grow(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->cap)
		buf_grow_slow(b, extra);
}
static inline void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
}
static inline void buf_addc(struct buf *b, uint8_t c)
{
	buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = 0;
}
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* LEB128 varint; inline: a backup encodes one or two per value (~0.4 s per GB out of line). */
static inline void buf_add_varint(struct buf *b, uint64_t v)
{
	buf_grow(b, 10);
	uint8_t *o = b->data + b->len;
	while (v >= 0x80) {
		*o++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*o++ = (uint8_t)v;
	b->len = (size_t)(o - b->data);
	b->data[b->len] = 0;
}
static inline void buf_add_svarint(struct buf *b, int64_t v)
{
	/* zigzag: small magnitudes of either sign stay short */
	buf_add_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}
void buf_add_u32le(struct buf *b, uint32_t v);
static inline void buf_add_u64le(struct buf *b, uint64_t v)
{
	buf_grow(b, 8);
	for (int i = 0; i < 8; i++)
		b->data[b->len + (size_t)i] = (uint8_t)(v >> (8 * i));
	b->len += 8;
	b->data[b->len] = 0;
}
/* Length-prefixed (varint) byte string. */
static inline void buf_add_bytes(struct buf *b, const void *p, size_t n)
{
	buf_add_varint(b, n);
	buf_add(b, p, n);
}
/* Hands the data to the caller (who frees it); the buf is left empty. */
uint8_t *buf_detach(struct buf *b, size_t *len);

/*
 * struct rd: a bounds-checked reader over borrowed memory.  Every get
 * returns 0 or -EUCLEAN when the input is short or malformed; once an error
 * happened all further gets fail too, so a parser may check r->err once.
 */
struct rd {
	const uint8_t *p;
	const uint8_t *end;
	int err;
};

void rd_init(struct rd *r, const void *p, size_t n);
int rd_varint_slow(struct rd *r, uint64_t *v);
/* One-byte varints (most lengths and small integers) inline; the rest out of line. */
static inline int rd_varint(struct rd *r, uint64_t *v)
{
	if (!r->err && r->p < r->end && !(*r->p & 0x80)) {
		*v = *r->p++;
		return 0;
	}
	return rd_varint_slow(r, v);
}
static inline int rd_svarint(struct rd *r, int64_t *v)
{
	uint64_t u;
	int rc = rd_varint(r, &u);
	*v = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
	return rc;
}
int rd_fail(struct rd *r);
static inline int rd_u8(struct rd *r, uint8_t *v)
{
	*v = 0;
	if (r->err)
		return r->err;
	if (r->p >= r->end)
		return rd_fail(r);
	*v = *r->p++;
	return 0;
}
int rd_u32le(struct rd *r, uint32_t *v);
int rd_u64le(struct rd *r, uint64_t *v);
static inline int rd_raw(struct rd *r, size_t n, const uint8_t **p)
{
	*p = NULL;
	if (r->err)
		return r->err;
	if ((size_t)(r->end - r->p) < n)
		return rd_fail(r);
	*p = r->p;
	r->p += n;
	return 0;
}
/* A varint length then that many bytes; the length is bounded by what remains. */
static inline int rd_bytes(struct rd *r, const uint8_t **p, size_t *n)
{
	uint64_t len;
	*p = NULL;
	*n = 0;
	if (rd_varint(r, &len))
		return r->err;
	if (len > (uint64_t)(r->end - r->p))
		return rd_fail(r);
	*n = (size_t)len;
	return rd_raw(r, *n, p);
}
/* Like rd_bytes, but returns a fresh NUL-terminated copy (caller frees). */
int rd_str(struct rd *r, char **s);
/* A count that must not exceed max (guards allocations from hostile input). */
int rd_count(struct rd *r, uint64_t max, uint64_t *v);
static inline size_t rd_left(const struct rd *r) { return (size_t)(r->end - r->p); }

uint32_t get_u32le(const uint8_t *p);
uint64_t get_u64le(const uint8_t *p);
void put_u32le(uint8_t *p, uint32_t v);
void put_u64le(uint8_t *p, uint64_t v);
/* Big-endian, as SQLite's file formats store them (inline: the page reader's hot path). */
static inline uint32_t get_u16be(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static inline uint32_t get_u32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A growable list of strings (each malloc'ed). */
struct namelist {
	char **v;
	size_t n, cap;
};
void namelist_add(struct namelist *l, const char *s);
void namelist_add_n(struct namelist *l, const char *s, size_t n);
void namelist_sort(struct namelist *l);
/* after namelist_sort */
bool namelist_has(const struct namelist *l, const char *s);
void namelist_release(struct namelist *l);

void hex_encode(char *out, const uint8_t *in, size_t n); /* writes 2n chars + NUL */
int hex_decode(uint8_t *out, const char *in, size_t n);  /* n output bytes */

/* Write the whole buffer, retrying short writes and EINTR. */
int write_all(int fd, const void *p, size_t n);
/* pread the whole range; -EUCLEAN if the file is shorter. */
int pread_all(int fd, void *p, size_t n, uint64_t off);
/* pwrite the whole buffer at off, retrying short writes and EINTR (the file's position stays). */
int pwrite_all(int fd, const void *p, size_t n, uint64_t off);
/*
 * Open a file of the repository for reading: never through a symbolic link
 * (-ELOOP), never blocking on a FIFO, and only a regular file (-EUCLEAN for
 * anything else).  Every reader of repository files opens them this way.
 * st (may be NULL) receives the file's fstat; *fd is -1 on failure.
 */
int open_regular(const char *path, int *fd, struct stat *st);
/*
 * Read a whole regular file (open_regular's rules) of at most max bytes;
 * -EFBIG beyond, or if the memory cannot be had.  *data is NUL-terminated
 * and the caller frees it.
 */
int read_file(const char *path, size_t max, uint8_t **data, size_t *len);
/* fsync fd and close it; -errno (fd < 0: the errno of the open that failed). */
int fsync_close(int fd);
/* fsync a directory so that a rename into it is durable. */
int fsync_dir(const char *dir);
/*
 * Write data to dir/name atomically: a temporary file in tmpdir (same
 * filesystem), fsync, rename, fsync of dir.  Never leaves a partial dir/name.
 */
int write_file_atomic(const char *tmpdir, const char *dir, const char *name,
		      const void *data, size_t len);
int mkdir_p(const char *path, unsigned mode);
/* 1 if the directory has no entry but . and .., 0 if it has one, -errno if it cannot be read. */
int dir_is_empty(const char *path);

/*
 * Parse a byte count: digits, optionally followed by K, M or G (powers of
 * 1024), optionally followed by "B" or "iB" (512K, 32M, 32MiB, 1GB, 4096).
 * -EINVAL for anything else or an overflow.
 */
int parse_size(const char *s, uint64_t *v);

/*
 * A byte count for people, in IEC units as `ls -lh` counts them (powers of
 * 1024): "0 B", "512 B", "1.5 KiB", "5.4 MiB".  Every command prints sizes
 * through this one function, so the same count always reads the same.
 */
#define HUMAN_MAX 24
void human_bytes(char out[HUMAN_MAX], uint64_t v);

/*
 * Parse a duration: a number of seconds ("90"), or numbers with units s, m,
 * h, d (86400 s) and w (7 d), largest first, each at most once: "30s",
 * "15m", "26h", "1h30m", "2w". -EINVAL for anything else or an overflow.
 */
int parse_duration(const char *s, int64_t *secs);

/* Format a UTC unix time as 2026-11-20T020000Z (name) or RFC 3339. */
void time_name(char out[32], int64_t t);
void time_rfc3339(char out[32], int64_t t);
/*
 * Parse RFC 3339 ("Z" or +hh:mm offsets, optional fraction, which is
 * dropped).  Dates that do not exist (2026-02-30) and leap seconds are
 * -EINVAL.
 */
int time_parse_rfc3339(const char *s, int64_t *t);
/*
 * A point in time as a user names one (the mount's at/): RFC 3339
 * ("2026-11-20T14:00:00Z", "...+01:00", a fraction is dropped), ISO 8601
 * basic ("20261120T140000Z", "...+0100"), a generation name's form
 * ("2026-11-20T140000Z"), or a date ("2026-11-20", "20261120": the last
 * second of that day, UTC).  -EINVAL for anything else or a date that
 * does not exist.
 */
int time_parse_point(const char *s, int64_t *t);

/* Length of the valid UTF-8 sequence at p (n > 0 bytes left), 0 if none starts there. */
size_t utf8_seq(const unsigned char *p, size_t n);

/*
 * Text from a database or a user (table names, labels) for a terminal or a
 * table row: control bytes, C1 controls and bytes that are not UTF-8 become
 * escapes (\n, \t, \r, \xNN; a backslash doubles), so a name can neither
 * split a line nor send the terminal a command.  Valid UTF-8 stays as is.
 */
void buf_add_printable(struct buf *b, const char *s, size_t n);

/* JSON string literal with quotes; control bytes as \u00XX, others raw. */
void buf_add_json_str(struct buf *b, const char *s, size_t n);

/* An SQL identifier in double quotes, quotes doubled: "a""b" (caller frees). */
char *sql_ident(const char *s);

#endif
