/*
 * pack.c - pack writer and reader; see strata/pack.h for the layout.
 *
 * Invariants:
 *  1. A pack under packs/ is complete: written to a temporary file, then
 *     stored whole (strata/store.h); readers never see a partial pack.
 *  2. Every index entry read from disk is range-checked against the file
 *     before it is used; nothing from disk sizes an allocation unchecked.
 *  3. A chunk's bytes are served only after their xxh3-128 matched its id.
 */
#include "strata/fault.h"
#include "strata/pack.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static const char PACK_MAGIC[8] = "STRPACK";
static const char PACK_END[8] = "STRPEND";

struct pack_writer {
	struct store *store;
	int fd;
	char *tmppath;
	uint64_t size;
	struct buf index;
	size_t count;
	/*
	 * Direct I/O (O_DIRECT): the pack's bytes go through stage, whole
	 * blocks of it written straight to the file, the last partial one
	 * without O_DIRECT at the end.  A pack is written once, made durable
	 * by an fsync and read later: through the page cache, its bytes cost
	 * a copy into pages that the fsync writes out anyway, and on the VM
	 * measured (docs/PERFORMANCE.md) that copy into newly allocated pages
	 * made a backup's system time after scattered changes vary from 0.4
	 * to 0.8 s (1.5 s at times), against 0.34-0.42 s written directly.
	 * Filesystems without direct I/O (tmpfs before Linux 6.6) are written
	 * as before; one that refuses a direct write midway, through the cache.
	 */
	uint8_t *stage;  /* NULL: written with write() as it comes */
	size_t staged;
	uint64_t fpos;   /* where the stage goes in the file (pwrite: the file's position is not used) */
	bool odirect;    /* the descriptor has O_DIRECT */
	int err;         /* a failed write: every later add and the finish fail with it */
};

#define PACK_STAGE (4u << 20)
#define PACK_ALIGN 4096

/*
 * One stage kept from a finished writer for the next: a backup writes one
 * pack after another, and on the virtual machines measured a page touched
 * for the first time costs 2-27 us (a stage's 1,024 pages: up to 28 ms).
 */
static _Atomic(void *) spare_stage;

static void *stage_get(void)
{
	void *p = atomic_exchange(&spare_stage, NULL);
	return p ? p : aligned_alloc(PACK_ALIGN, PACK_STAGE);
}

static void stage_put(void *p)
{
	if (p)
		free(atomic_exchange(&spare_stage, p));
}

/* Stop direct I/O on the pack's descriptor. */
static void pw_undirect(struct pack_writer *w)
{
	w->odirect = false;
	fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) & ~O_DIRECT);
}

/*
 * Write the stage's first n bytes (whole blocks) at fpos: directly, or
 * through the page cache once the filesystem refused (a partial direct
 * write is written again, the same bytes at the same place).
 */
static int pw_stage_out(struct pack_writer *w, size_t n)
{
	int rc = 0;
	if (w->odirect) {
		rc = fault_fails("pack-direct") ? -EINVAL : pwrite_all(w->fd, w->stage, n, w->fpos);
		if (rc == -EINVAL || rc == -EOPNOTSUPP)
			pw_undirect(w);
	}
	if (!w->odirect)
		rc = pwrite_all(w->fd, w->stage, n, w->fpos);
	if (!rc)
		w->fpos += n;
	return rc;
}

/* Write n bytes of the pack (after those written before). */
static int pw_write(struct pack_writer *w, const void *p, size_t n)
{
	const uint8_t *s = p;
	if (!w->stage)
		return write_all(w->fd, p, n);
	while (n) {
		size_t k = PACK_STAGE - w->staged < n ? PACK_STAGE - w->staged : n;
		memcpy(w->stage + w->staged, s, k);
		w->staged += k;
		s += k;
		n -= k;
		if (w->staged == PACK_STAGE) {
			int rc = pw_stage_out(w, PACK_STAGE);
			if (rc)
				return rc;
			w->staged = 0;
		}
	}
	return 0;
}

/* The staged bytes: whole blocks as the others, the rest through the page cache. */
static int pw_flush(struct pack_writer *w)
{
	if (!w->stage)
		return 0;
	size_t whole = w->staged & ~(size_t)(PACK_ALIGN - 1);
	int rc = whole ? pw_stage_out(w, whole) : 0;
	if (w->odirect)
		pw_undirect(w);
	if (!rc)
		rc = pwrite_all(w->fd, w->stage + whole, w->staged - whole, w->fpos);
	if (!rc)
		w->fpos += w->staged - whole;
	w->staged = 0;
	return rc;
}

void chunk_id_of(struct chunk_id *id, const void *data, size_t n)
{
	XXH128_hash_t h = XXH3_128bits(data, n);
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, h);
	memcpy(id->b, c.digest, 16);
}

void chunk_id_hex(char out[33], const struct chunk_id *id)
{
	hex_encode(out, id->b, 16);
}

int pack_writer_open(struct pack_writer **wp, struct store *store)
{
	struct pack_writer *w = xcalloc(1, sizeof(*w));
	uint8_t hdr[PACK_HEADER_SIZE] = { 0 };
	int rc;

	*wp = NULL;
	w->store = store;
	w->fd = store_tmp_create(store, "pack", &w->tmppath);
	if (w->fd < 0) {
		rc = w->fd;
		free(w);
		return rc;
	}
	if (fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_DIRECT) == 0) {
		w->odirect = true;
		w->stage = stage_get();
		if (!w->stage)
			pw_undirect(w);
	}
	memcpy(hdr, PACK_MAGIC, 8);
	put_u32le(hdr + 8, PACK_VERSION);
	rc = pw_write(w, hdr, sizeof(hdr));
	if (rc) {
		pack_writer_abort(w);
		return rc;
	}
	w->size = PACK_HEADER_SIZE;
	*wp = w;
	return 0;
}

int pack_writer_add(struct pack_writer *w, struct pack_entry *e, const void *cdata)
{
	uint8_t ent[PACK_ENTRY_SIZE];
	if (w->err)
		return w->err;
	/* a failed write may leave part of the entry behind (in the stage or the file) */
	int rc = w->err = pw_write(w, cdata, e->clen);
	if (rc)
		return rc;
	fault_point("pack-add");
	e->offset = w->size;
	w->size += e->clen;
	memcpy(ent, e->id.b, 16);
	put_u64le(ent + 16, e->offset);
	put_u32le(ent + 24, e->clen);
	put_u32le(ent + 28, e->ulen);
	put_u64le(ent + 32, e->nrows);
	put_u64le(ent + 40, e->csv_len);
	buf_add(&w->index, ent, sizeof(ent));
	w->count++;
	return 0;
}

uint64_t pack_writer_size(const struct pack_writer *w)
{
	return w->size + w->index.len + PACK_TRAILER_SIZE;
}

size_t pack_writer_count(const struct pack_writer *w)
{
	return w->count;
}

int pack_writer_finish(struct pack_writer *w, char name[33])
{
	uint8_t tr[PACK_TRAILER_SIZE];
	struct chunk_id pid;
	char key[64];
	int rc;

	put_u64le(tr, w->size);
	put_u32le(tr + 8, (uint32_t)w->count);
	put_u32le(tr + 12, PACK_VERSION);
	put_u64le(tr + 16, XXH3_64bits(w->index.data, w->index.len));
	memcpy(tr + 24, PACK_END, 8);
	rc = w->err ? w->err : pw_write(w, w->index.data, w->index.len);
	if (!rc)
		rc = pw_write(w, tr, sizeof(tr));
	if (!rc)
		rc = pw_flush(w);
	if (rc) {
		pack_writer_abort(w);
		return rc;
	}
	chunk_id_of(&pid, w->index.data, w->index.len);
	chunk_id_hex(name, &pid);
	store_pack_key(key, name);
	fault_point("pack-synced");
	/* the store makes it durable, then visible whole, and takes the temporary */
	rc = store_put_tmp(w->store, key, w->fd, w->tmppath, 0);
	w->fd = -1;
	free(w->tmppath);
	w->tmppath = NULL;
	if (!rc)
		fault_point("pack-renamed");
	pack_writer_abort(w);
	return rc;
}

void pack_writer_abort(struct pack_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmppath) {
		unlink(w->tmppath);
		free(w->tmppath);
	}
	buf_release(&w->index);
	stage_put(w->stage);
	free(w);
}

static int cmp_offset(const void *a, const void *b)
{
	const struct pack_entry *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Check trailer + index bytes (already read) against a file of size bytes. */
static int parse_index(const uint8_t *idx, size_t idxlen, const uint8_t *tr, uint64_t size,
		       struct pack_entry **entries, size_t *n)
{
	uint64_t ioff = get_u64le(tr);
	uint32_t count = get_u32le(tr + 8);
	struct pack_entry *es;

	if (memcmp(tr + 24, PACK_END, 8) || get_u32le(tr + 12) != PACK_VERSION)
		return -EUCLEAN;
	if (count > PACK_MAX_ENTRIES || ioff < PACK_HEADER_SIZE ||
	    (uint64_t)count * PACK_ENTRY_SIZE != idxlen ||
	    ioff + idxlen + PACK_TRAILER_SIZE != size)
		return -EUCLEAN;
	if (XXH3_64bits(idx, idxlen) != get_u64le(tr + 16))
		return -EBADMSG;
	es = xcalloc(count ? count : 1, sizeof(*es));
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *p = idx + (size_t)i * PACK_ENTRY_SIZE;
		struct pack_entry *e = &es[i];
		memcpy(e->id.b, p, 16);
		e->offset = get_u64le(p + 16);
		e->clen = get_u32le(p + 24);
		e->ulen = get_u32le(p + 28);
		e->nrows = get_u64le(p + 32);
		e->csv_len = get_u64le(p + 40);
		if (e->offset < PACK_HEADER_SIZE || e->offset > ioff || e->clen == 0 ||
		    e->clen > ioff - e->offset || e->ulen > CHUNK_MAX_ULEN ||
		    e->nrows > e->ulen || e->csv_len > (uint64_t)e->ulen * 8 + e->nrows * 4 * 1024) {
			free(es);
			return -EUCLEAN;
		}
	}
	qsort(es, count, sizeof(*es), cmp_offset);
	for (uint32_t i = 1; i < count; i++) {
		if (es[i - 1].offset + es[i - 1].clen > es[i].offset) {
			free(es);
			return -EUCLEAN; /* overlapping frames */
		}
	}
	*entries = es;
	*n = count;
	return 0;
}

int pack_parse(const uint8_t *data, size_t size, struct pack_entry **entries, size_t *n)
{
	*entries = NULL;
	*n = 0;
	if (size < PACK_HEADER_SIZE + PACK_TRAILER_SIZE || memcmp(data, PACK_MAGIC, 8) ||
	    get_u32le(data + 8) != PACK_VERSION)
		return -EUCLEAN;
	const uint8_t *tr = data + size - PACK_TRAILER_SIZE;
	uint64_t ioff = get_u64le(tr);
	if (ioff < PACK_HEADER_SIZE || ioff > size - PACK_TRAILER_SIZE)
		return -EUCLEAN;
	return parse_index(data + ioff, size - PACK_TRAILER_SIZE - ioff, tr, size, entries, n);
}

/* Bytes read from a pack's end in one go: its trailer and, mostly, its whole index. */
#define PACK_TAIL_READ (64u << 10)

int pack_read_index(struct store_file *f, struct pack_entry **entries, size_t *n,
		    uint64_t *file_size)
{
	uint8_t hdr[PACK_HEADER_SIZE], *tail;
	uint64_t size = store_file_size(f), ioff, idxlen, tlen;
	uint8_t *idx = NULL;
	int rc;

	*entries = NULL;
	*n = 0;
	*file_size = size;
	if (size < PACK_HEADER_SIZE + PACK_TRAILER_SIZE)
		return -EUCLEAN;
	rc = store_pread(f, hdr, sizeof(hdr), 0);
	if (rc)
		return rc;
	if (memcmp(hdr, PACK_MAGIC, 8) || get_u32le(hdr + 8) != PACK_VERSION)
		return -EUCLEAN;
	/* one read for trailer and index where they fit: a remote store pays per request */
	tlen = size - PACK_HEADER_SIZE < PACK_TAIL_READ ? size - PACK_HEADER_SIZE : PACK_TAIL_READ;
	tail = xmalloc(tlen);
	rc = store_pread(f, tail, tlen, size - tlen);
	if (rc)
		goto out;
	const uint8_t *tr = tail + tlen - PACK_TRAILER_SIZE;
	ioff = get_u64le(tr);
	rc = -EUCLEAN;
	if (ioff < PACK_HEADER_SIZE || ioff > size - PACK_TRAILER_SIZE)
		goto out;
	idxlen = size - PACK_TRAILER_SIZE - ioff;
	if (idxlen > (uint64_t)PACK_MAX_ENTRIES * PACK_ENTRY_SIZE)
		goto out;
	if (idxlen <= tlen - PACK_TRAILER_SIZE) {
		rc = parse_index(tail + tlen - PACK_TRAILER_SIZE - idxlen, idxlen, tr, size,
				 entries, n);
		goto out;
	}
	idx = xmalloc(idxlen);
	rc = store_pread(f, idx, idxlen, ioff);
	if (!rc)
		rc = parse_index(idx, idxlen, tr, size, entries, n);
out:
	free(idx);
	free(tail);
	return rc;
}

int chunk_decode(const void *cdata, size_t clen, const struct pack_entry *e,
		 ZSTD_DCtx *dctx, uint8_t **out)
{
	struct chunk_id id;
	uint8_t *u;
	size_t r;

	*out = NULL;
	if (e->ulen > CHUNK_MAX_ULEN)
		return -EUCLEAN;
	/*
	 * Allocate ulen only for a frame that can produce it: zstd expands at
	 * most 32768 times (a 4-byte RLE block gives at most 128 KiB), and a
	 * frame that declares its content size (the writer's always do) must
	 * declare ulen.  A lying index entry is refused before the allocation.
	 */
	if ((uint64_t)e->ulen > (uint64_t)clen * 32768)
		return -EUCLEAN;
	unsigned long long fcs = ZSTD_getFrameContentSize(cdata, clen);
	if (fcs == ZSTD_CONTENTSIZE_ERROR)
		return -EBADMSG;
	if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != e->ulen)
		return -EUCLEAN;
	u = malloc(e->ulen ? e->ulen : 1);
	if (!u)
		return -ENOMEM;
	r = ZSTD_decompressDCtx(dctx, u, e->ulen, cdata, clen);
	if (ZSTD_isError(r) || r != e->ulen) {
		free(u);
		return ZSTD_isError(r) ? -EBADMSG : -EUCLEAN;
	}
	chunk_id_of(&id, u, e->ulen);
	if (memcmp(id.b, e->id.b, 16)) {
		free(u);
		return -EBADMSG;
	}
	*out = u;
	return 0;
}

int chunk_read(struct store_file *f, const struct pack_entry *e, ZSTD_DCtx *dctx, uint8_t **out)
{
	uint8_t *c;
	int rc;

	*out = NULL;
	if (e->clen > CHUNK_MAX_ULEN + (CHUNK_MAX_ULEN >> 7) + 4096)
		return -EUCLEAN;
	c = malloc(e->clen ? e->clen : 1);
	if (!c)
		return -ENOMEM;
	rc = store_pread(f, c, e->clen, e->offset);
	if (!rc)
		rc = chunk_decode(c, e->clen, e, dctx, out);
	free(c);
	return rc;
}
