/*
 * sqlwal.c - a WAL snapshot's pages for the page reader: see strata/sqlwal.h.
 * Layouts: https://www.sqlite.org/fileformat2.html (4, the WAL file) and
 * https://www.sqlite.org/walformat.html (2.1, the wal-index header).
 */
#include "strata/sqlwal.h"
#include "strata/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAL_HDR 32
#define FRAME_HDR 24
#define INDEX_VERSION 3007000u

static uint32_t host32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* How SQLite's WAL checksum reads its 32-bit words. */
enum word_order { WORDS_LE, WORDS_BE, WORDS_HOST };

/*
 * SQLite's WAL checksum over n bytes (a multiple of 8), continuing s[]: the
 * log's frames in the order its magic number says, the wal-index header's
 * in host order.
 */
static void wal_cksum(const uint8_t *p, size_t n, enum word_order order, uint32_t s[2])
{
	uint32_t (*word)(const uint8_t *) = order == WORDS_HOST ? host32 : order == WORDS_BE ? get_u32be
											     : get_u32le;
	uint32_t s0 = s[0], s1 = s[1];
	for (size_t i = 0; i + 8 <= n; i += 8) {
		s0 += word(p + i) + s1;
		s1 += word(p + i + 4) + s0;
	}
	s[0] = s0;
	s[1] = s1;
}

bool sqlwal_header_valid(const uint8_t h[WAL_HDR])
{
	uint32_t magic = get_u32be(h);
	if ((magic & ~1u) != 0x377f0682u || get_u32be(h + 4) != 3007000u)
		return false;
	uint32_t s[2] = { 0, 0 };
	wal_cksum(h, 24, magic & 1 ? WORDS_BE : WORDS_LE, s);
	return s[0] == get_u32be(h + 24) && s[1] == get_u32be(h + 28);
}

int sqlwal_read_index(int shmfd, struct sqlwal_index *x)
{
	memset(x, 0, sizeof(*x));
	if (pread_all(shmfd, x->raw, sizeof(x->raw), 0))
		return -EINVAL;
	const uint8_t *h = x->raw;
	if (memcmp(h, h + 48, 48))
		return -EAGAIN; /* a writer between the two copies */
	if (host32(h) != INDEX_VERSION || h[12] != 1)
		return -EINVAL;
	uint32_t c[2] = { 0, 0 };
	wal_cksum(h, 40, WORDS_HOST, c);
	if (c[0] != host32(h + 40) || c[1] != host32(h + 44))
		return -EAGAIN;
	uint16_t sz;
	memcpy(&sz, h + 14, 2);
	x->page_size = (uint32_t)(sz & 0xfe00) + ((uint32_t)(sz & 1) << 16);
	if (x->page_size < 512 || x->page_size > 65536 || (x->page_size & (x->page_size - 1)))
		return -EINVAL;
	x->mx_frame = host32(h + 16);
	x->npages = host32(h + 20);
	x->cksum[0] = host32(h + 24);
	x->cksum[1] = host32(h + 28);
	memcpy(x->salt, h + 32, 8);
	return 0;
}

bool sqlwal_same(const struct sqlwal_index *a, const struct sqlwal_index *b)
{
	return !memcmp(a->raw, b->raw, sizeof(a->raw));
}

void sqlwal_overlay_release(struct sqlpage_overlay *o)
{
	free(o->pgno);
	free(o->data);
	free(o->bits);
	memset(o, 0, sizeof(*o));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int sqlwal_overlay(int walfd, const struct sqlwal_index *x, size_t max_bytes,
		   struct sqlpage_overlay *o)
{
	memset(o, 0, sizeof(*o));
	o->page_size = x->page_size;
	if (x->mx_frame == 0)
		return 0;
	uint64_t fsz = FRAME_HDR + (uint64_t)x->page_size;
	uint64_t len = WAL_HDR + (uint64_t)x->mx_frame * fsz;
	if (len > max_bytes)
		return -EFBIG;
	uint8_t *log = xmalloc((size_t)len);
	uint64_t *order = NULL;
	int rc = pread_all(walfd, log, (size_t)len, 0);
	if (rc) {
		rc = rc == -EUCLEAN ? -EINVAL : rc; /* shorter than the index says */
		goto out;
	}
	rc = -EINVAL;
	if (!sqlwal_header_valid(log) || get_u32be(log + 8) != x->page_size || memcmp(log + 16, x->salt, 8))
		goto out;
	enum word_order big = get_u32be(log) & 1 ? WORDS_BE : WORDS_LE;
	/* the frames' chain starts from the header's checksum */
	uint32_t s[2] = { get_u32be(log + 24), get_u32be(log + 28) };
	/* every frame in the chain; (pgno << 32 | frame index) to find each page's newest */
	order = xmalloc(x->mx_frame * sizeof(*order));
	for (uint32_t i = 0; i < x->mx_frame; i++) {
		const uint8_t *f = log + WAL_HDR + (uint64_t)i * fsz;
		uint32_t pgno = get_u32be(f);
		if (pgno == 0 || memcmp(f + 8, x->salt, 8))
			goto out;
		wal_cksum(f, 8, big, s);
		wal_cksum(f + FRAME_HDR, x->page_size, big, s);
		if (s[0] != get_u32be(f + 16) || s[1] != get_u32be(f + 20))
			goto out;
		order[i] = (uint64_t)pgno << 32 | i;
	}
	const uint8_t *lastf = log + WAL_HDR + (uint64_t)(x->mx_frame - 1) * fsz;
	if (s[0] != x->cksum[0] || s[1] != x->cksum[1] || x->npages == 0 || get_u32be(lastf + 4) != x->npages)
		goto out;
	qsort(order, x->mx_frame, sizeof(*order), cmp_u64);
	/*
	 * Pages past the snapshot's size (a later commit of it shrank the
	 * database) are not in it; the rest bound the bitmap.
	 */
	uint32_t n = 0, maxp = 0, nf = x->mx_frame;
	while (nf && order[nf - 1] >> 32 > x->npages)
		nf--;
	for (uint32_t i = 0; i < nf; i++)
		if (i + 1 == nf || order[i] >> 32 != order[i + 1] >> 32)
			n++;
	maxp = nf ? (uint32_t)(order[nf - 1] >> 32) : 0;
	o->pgno = xmalloc((n ? n : 1) * sizeof(*o->pgno));
	o->data = xmalloc((size_t)(n ? n : 1) * x->page_size);
	o->bits = xcalloc((size_t)maxp / 8 + 1, 1);
	o->max_pgno = maxp;
	for (uint32_t i = 0, k = 0; i < nf; i++) {
		if (i + 1 < nf && order[i] >> 32 == order[i + 1] >> 32)
			continue; /* a newer frame of the same page follows */
		uint32_t pgno = (uint32_t)(order[i] >> 32), fi = (uint32_t)order[i];
		o->pgno[k] = pgno;
		memcpy(o->data + (size_t)k * x->page_size, log + WAL_HDR + (uint64_t)fi * fsz + FRAME_HDR,
		       x->page_size);
		o->bits[(pgno - 1) / 8] |= (uint8_t)(1u << ((pgno - 1) % 8));
		k++;
	}
	o->n = n;
	rc = 0;
out:
	if (rc)
		sqlwal_overlay_release(o);
	free(order);
	free(log);
	return rc;
}
