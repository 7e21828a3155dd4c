/*
 * Fuzz the write-ahead log reader (lib/sqlwal.c) and the page reader over
 * a WAL snapshot (sqlpage_open_wal, lib/sqlpage.c).
 *
 * Bytes 0-95: the wal-index header, both copies, as at the start of a -shm
 * file (host byte order).  Byte 96: options.  The rest is the -wal file,
 * except its last k pages (of the index's page size, as many as there are)
 * when k > 0: those are the database file.
 * Options: bits 0-2: k.  Bit 3: also read the index from a -shm cut short
 * (-EINVAL).  Bit 4: open the snapshot with one page more than the index
 * says.  Bit 5: the map of the database file stops 100 bytes short of its
 * k pages.  Bit 6: allow the log 64 KiB more than its length (max_bytes).
 * Bit 7: also hash the leaves through a descriptor of the database file
 * (one at a time, and ahead by two threads).
 *
 * The -shm and -wal bytes are memfds (the API preads them).  Each input
 * runs as given, then "repaired": the log header's checksum, every frame's
 * salts and checksum chain, the index's salts, frame checksum and page
 * count those of the log (its frame mx_frame), both index copies with their
 * checksum; so that mutations of the pages reach the page reader.
 *
 * Invariants: sqlwal_read_index returns 0, -EAGAIN or -EINVAL: -EAGAIN
 * when the two copies differ, -EINVAL from a -shm shorter than the header;
 * on 0 its fields are the header's bytes, the page size a power of two in
 * 512 .. 65536, and a second read is sqlwal_same (a changed byte is not).
 * sqlwal_overlay: -EFBIG for any max_bytes below 32 + mx_frame * (24 +
 * page size) when mx_frame > 0; otherwise 0 exactly when this file's own
 * check of the log against the index passes (magic, version, page size,
 * salts, the checksum chain ending at the index's, the last frame a
 * commit of the index's page count), else -EINVAL (a memfd read does not
 * fail); nothing is left allocated on a failure.  On 0: page_size the
 * index's; pgno strictly ascending within 1 .. max_pgno, each one's bit
 * set and no other bit (set bits == n); each page the newest copy in
 * frames 1 .. mx_frame and every page those frames name there (empty for
 * mx_frame 0); sqlwal_overlay_release leaves the struct zeroed.
 * sqlpage_open_wal refuses no overlay and 0 pages; when it opens, every
 * page 1 .. npages is a whole page of the map or in the overlay, and the
 * snapshot reads exactly as its flattened image (each page the overlay's,
 * else the file's) does through sqlpage_open: the same open result (unless
 * page 1 names another page size than the log, which sqlpage_open_wal
 * refuses), and for root page 1 and the root pages its rows name the same
 * leaves, rows (each within the map, the overlay or the scan's overflow
 * buffer, at most npages * usable / 2 of them) and leaf hashes, also through
 * a descriptor of the file (also hashed ahead by threads); positions stay
 * within the leaves.  The map is allocated at its exact size (ASan).
 *
 * Not covered: a log accepted with a frame of a page above 2^20 (and at
 * most the snapshot's page count) is not handed to sqlwal_overlay, whose
 * bitmap is sized by that page number (512 MiB for 2^32 - 1), past the
 * malloc limit; the backup checks the page count against SQLite's first.
 *
 * Seeds (corpus/sqlwal/): logs SQLite wrote (gen_corpus.c), page sizes
 * 512 and 1024, each file the -shm's first 96 bytes, the options, the
 * -wal and the database file; a few with a flipped byte or a torn index.
 */
#include "fuzz.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "strata/sqlpage.h"
#include "strata/sqlwal.h"

#define IDX 96            /* the wal-index header, both copies */
#define WAL_HDR 32
#define FRAME_HDR 24
#define MAX_PGNO (1u << 20)
#define MAX_ROOTS 16
#define FLAT_MAX (1u << 20) /* bytes of a flattened snapshot */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t host32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void put_host32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* SQLite's WAL checksum, continuing s: words big-endian (order 1), little-endian (0), host (2). */
static void cksum(const uint8_t *p, size_t n, int order, uint32_t s[2])
{
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint32_t a = order == 2 ? host32(p + i) : order ? be32(p + i) : le32(p + i);
		uint32_t b = order == 2 ? host32(p + i + 4) : order ? be32(p + i + 4) : le32(p + i + 4);
		s[0] += a + s[1];
		s[1] += b + s[0];
	}
}

static int memfd_of(const char *name, const uint8_t *p, size_t n)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd >= 0 && n && write_all(fd, p, n)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool within(const void *p, size_t n, const void *base, size_t size)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
	return base && a >= b && a - b <= size && n <= size - (a - b);
}

/* Where the database file ends in the input: its k pages of page size ps, as many as there are. */
static size_t file_pages(uint8_t opt, size_t nrest, uint32_t ps)
{
	size_t k = opt & 7;
	if (k * ps > nrest)
		k = nrest / ps;
	return k;
}

/*
 * This file's own reading of the log (wal, len bytes) against x: what
 * sqlwal_overlay must answer (0, -EFBIG or -EINVAL), and the largest page
 * number of frames 1 .. mx_frame when 0.
 */
static int expect_overlay(const uint8_t *wal, size_t len, const struct sqlwal_index *x,
			  size_t max_bytes, uint32_t *maxp)
{
	*maxp = 0;
	if (!x->mx_frame)
		return 0;
	uint64_t fsz = FRAME_HDR + (uint64_t)x->page_size;
	uint64_t need = WAL_HDR + (uint64_t)x->mx_frame * fsz;
	if (need > max_bytes)
		return -EFBIG;
	if (need > len)
		return -EINVAL;
	uint32_t magic = be32(wal);
	if ((magic != 0x377f0682u && magic != 0x377f0683u) || be32(wal + 4) != 3007000u ||
	    be32(wal + 8) != x->page_size || memcmp(wal + 16, x->salt, 8))
		return -EINVAL;
	int order = (int)(magic & 1);
	uint32_t s[2] = { 0, 0 };
	cksum(wal, 24, order, s);
	if (s[0] != be32(wal + 24) || s[1] != be32(wal + 28))
		return -EINVAL;
	const uint8_t *f = NULL;
	for (uint32_t i = 0; i < x->mx_frame; i++) {
		f = wal + WAL_HDR + i * fsz;
		if (!be32(f) || memcmp(f + 8, x->salt, 8))
			return -EINVAL;
		cksum(f, 8, order, s);
		cksum(f + FRAME_HDR, x->page_size, order, s);
		if (s[0] != be32(f + 16) || s[1] != be32(f + 20))
			return -EINVAL;
		if (be32(f) > *maxp && be32(f) <= x->npages)
			*maxp = be32(f); /* pages past the snapshot's size are not in it */
	}
	if (s[0] != x->cksum[0] || s[1] != x->cksum[1] || x->npages == 0 || be32(f + 4) != x->npages)
		return -EINVAL;
	return 0;
}

static void assert_empty(const struct sqlpage_overlay *o)
{
	FUZZ_ASSERT(o->n == 0 && !o->pgno && !o->data && !o->bits && o->max_pgno == 0);
}

static bool overlaid(const struct sqlpage_overlay *o, uint32_t p)
{
	return p >= 1 && p <= o->max_pgno && (o->bits[(p - 1) / 8] >> ((p - 1) % 8) & 1);
}

/* Index of page p in o, or -1. */
static long find_page(const struct sqlpage_overlay *o, uint32_t p)
{
	uint32_t lo = 0, hi = o->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (o->pgno[mid] < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->n && o->pgno[lo] == p ? (long)lo : -1;
}

/* An overlay sqlwal_overlay accepted, against the log it was read from. */
static void check_overlay(const struct sqlpage_overlay *o, const struct sqlwal_index *x,
			  const uint8_t *wal)
{
	FUZZ_ASSERT(o->page_size == x->page_size);
	if (!x->mx_frame) {
		FUZZ_ASSERT(o->n == 0 && o->max_pgno == 0);
		return;
	}
	FUZZ_ASSERT(o->n <= x->mx_frame && o->pgno && o->data && o->bits && o->max_pgno <= x->npages);
	for (uint32_t i = 0; i < o->n; i++) {
		FUZZ_ASSERT(o->pgno[i] >= 1 && o->pgno[i] <= o->max_pgno);
		FUZZ_ASSERT(i == 0 || o->pgno[i] > o->pgno[i - 1]);
		FUZZ_ASSERT(overlaid(o, o->pgno[i]));
	}
	/* no bit but theirs, up to max_pgno */
	uint64_t set = 0;
	for (uint32_t b = 0; b < (o->max_pgno + 7) / 8; b++)
		set += (uint64_t)__builtin_popcount(o->bits[b]);
	FUZZ_ASSERT(set == o->n);
	/* each page the newest frame's copy (found from the last frame back), every frame's page there */
	uint8_t *found = calloc(o->n, 1);
	uint32_t nfound = 0;
	uint64_t fsz = FRAME_HDR + (uint64_t)x->page_size;
	for (uint32_t i = x->mx_frame; i-- > 0;) {
		const uint8_t *f = wal + WAL_HDR + i * fsz;
		long k = find_page(o, be32(f));
		if (be32(f) > x->npages) {
			FUZZ_ASSERT(k < 0); /* past the snapshot's size: not in it */
			continue;
		}
		FUZZ_ASSERT(k >= 0);
		if (found[k])
			continue;
		found[k] = 1;
		nfound++;
		FUZZ_ASSERT(!memcmp(o->data + (size_t)k * o->page_size, f + FRAME_HDR, o->page_size));
	}
	FUZZ_ASSERT(nfound == o->n);
	free(found);
}

/*
 * Leaf hashes of root in w, alike in f (the flattened image, or NULL) and
 * through a descriptor of w's file (use_fd), one leaf at a time and
 * hashed ahead by two threads; then positions and seeks.
 */
static void hashes(const struct sqlpage_db *w, const struct sqlpage_db *f, bool use_fd,
		   uint32_t root)
{
	struct sqlpage_db d = *w;
	struct sqlpage_scan a, b, c, e;
	uint8_t h1[16], h2[16];
	size_t li;
	uint32_t ci;

	d.fd = use_fd ? memfd_of("sqlwal-db", w->map, w->size) : -1;
	int ra = sqlpage_scan_start(&a, w, root);
	if (f) {
		int rb = sqlpage_scan_start(&b, f, root);
		FUZZ_ASSERT(ra == rb && a.nleaves == b.nleaves);
	}
	if (d.fd >= 0) {
		int rc = sqlpage_scan_start(&c, &d, root), re = sqlpage_scan_start(&e, &d, root);
		FUZZ_ASSERT(ra == rc && a.nleaves == c.nleaves && ra == re && a.nleaves == e.nleaves);
		e.memo_block = 2;
		sqlpage_scan_hash_ahead(&e, 2);
	}
	for (size_t i = 0; !ra && i < a.nleaves && i < 256; i++) {
		int x = sqlpage_leaves_hash(&a, i, 1, h1);
		if (f) {
			int y = sqlpage_leaves_hash(&b, i, 1, h2);
			FUZZ_ASSERT(x == y && (x || !memcmp(h1, h2, 16)));
		}
		if (d.fd >= 0) {
			int y = sqlpage_leaves_hash(&c, i, 1, h2);
			FUZZ_ASSERT(x == y && (x || !memcmp(h1, h2, 16)));
			y = sqlpage_leaves_hash(&e, i, 1, h2);
			FUZZ_ASSERT(x == y && (x || !memcmp(h1, h2, 16)));
		}
		uint32_t nc;
		(void)sqlpage_leaf_cells(&a, i, &nc);
	}
	if (!ra && a.nleaves) {
		int x = sqlpage_leaves_hash(&a, 0, a.nleaves, h1);
		if (f) {
			int y = sqlpage_leaves_hash(&b, 0, a.nleaves, h2);
			FUZZ_ASSERT(x == y && (x || !memcmp(h1, h2, 16)));
		}
	}
	FUZZ_ASSERT(sqlpage_leaves_hash(&a, a.nleaves, 1, h1) == SQLPAGE_GIVEUP);
	/* a seek to one past a position, then on: positions stay within the leaves */
	for (int k = 0; k < 4 && sqlpage_scan_pos(&a, &li, &ci) == 1; k++) {
		FUZZ_ASSERT(li < a.nleaves && ci < a.ncells);
		sqlpage_scan_seek(&a, li, ci + 1);
	}
	sqlpage_scan_release(&a);
	if (f)
		sqlpage_scan_release(&b);
	if (d.fd >= 0) {
		sqlpage_scan_release(&c);
		sqlpage_scan_release(&e);
		close(d.fd);
	}
}

/*
 * Scan root in w (map + overlay o) and, alike, in f (or NULL); on page 1,
 * collect the root pages sqlite_master's rows name.
 */
static void scan(const struct sqlpage_db *w, const struct sqlpage_db *f,
		 const struct sqlpage_overlay *o, uint32_t root, uint32_t *roots, unsigned *nroots)
{
	static const struct sqlpage_col master[5] = { { false, false } };
	struct sqlpage_scan a, b;
	uint64_t rows = 0, limit = (uint64_t)w->npages * w->usable / 2;
	int x;

	int ra = sqlpage_scan_start(&a, w, root);
	FUZZ_ASSERT(ra == 0 || ra == SQLPAGE_GIVEUP);
	if (f) {
		int rb = sqlpage_scan_start(&b, f, root);
		FUZZ_ASSERT(ra == rb && a.nleaves == b.nleaves && a.depth == b.depth);
		FUZZ_ASSERT(!a.nleaves || !memcmp(a.leaves, b.leaves, a.nleaves * sizeof(*a.leaves)));
	}
	for (;;) {
		int64_t ia = 0, ib = 0;
		const uint8_t *pa = NULL, *pb = NULL;
		uint32_t la = 0, lb = 0;
		x = sqlpage_scan_next(&a, &ia, &pa, &la);
		FUZZ_ASSERT(x == 1 || x == 0 || x == SQLPAGE_GIVEUP);
		if (f) {
			int y = sqlpage_scan_next(&b, &ib, &pb, &lb);
			FUZZ_ASSERT(x == y);
			FUZZ_ASSERT(x != 1 || (ia == ib && la == lb && !memcmp(pa, pb, la)));
		}
		if (x != 1)
			break;
		FUZZ_ASSERT(++rows <= limit);
		FUZZ_ASSERT(within(pa, la, w->map, w->size) ||
			    within(pa, la, o->data, (size_t)o->n * o->page_size) ||
			    (pa == a.ovf.data && la == a.ovf.len));
		struct value v[5];
		if (root == 1 && roots && !sqlpage_record(pa, la, ia, master, 5, v) &&
		    v[3].type == VAL_INT && v[3].i >= 2 && v[3].i <= w->npages && *nroots < MAX_ROOTS)
			roots[(*nroots)++] = (uint32_t)v[3].i;
	}
	/* the end is final */
	int64_t r;
	const uint8_t *p;
	uint32_t l;
	FUZZ_ASSERT(sqlpage_scan_next(&a, &r, &p, &l) == x);
	sqlpage_scan_release(&a);
	if (f)
		sqlpage_scan_release(&b);
}

/* The snapshot: the database file (flen bytes) overlaid with o, at npages of the index. */
static void snapshot(const struct sqlpage_overlay *o, uint32_t index_npages, const uint8_t *file,
		     size_t flen, uint8_t opt)
{
	struct sqlpage_db db, fdb;
	uint32_t ps = o->page_size;
	size_t msize = flen;
	if ((opt & 32) && msize >= 100)
		msize -= 100;
	uint8_t *map = malloc(msize); /* exactly: ASan sees a read past the file */
	if (msize)
		memcpy(map, file, msize);
	uint32_t np = index_npages + (opt & 16 ? 1 : 0);

	FUZZ_ASSERT(sqlpage_open_wal(&db, map, msize, np, NULL) == SQLPAGE_GIVEUP);
	FUZZ_ASSERT(sqlpage_open_wal(&db, map, msize, 0, o) == SQLPAGE_GIVEUP);
	int r = sqlpage_open_wal(&db, map, msize, np, o);
	FUZZ_ASSERT(r == 0 || r == SQLPAGE_GIVEUP);
	uint64_t in_map = msize / ps;
	if (!r) {
		FUZZ_ASSERT(db.map == map && db.size == msize && db.page_size == ps && db.npages == np);
		FUZZ_ASSERT(db.ovl == o && db.fd == -1 && !db.last);
		FUZZ_ASSERT(db.usable >= 480 && db.usable <= ps);
		/* every page the file's or the log's */
		FUZZ_ASSERT(np <= in_map || np <= o->max_pgno);
		for (uint32_t p = 1; p <= np; p++)
			FUZZ_ASSERT(p <= in_map || overlaid(o, p));
	}

	/* the same pages as one image */
	uint8_t *flat = NULL;
	const struct sqlpage_db *f = NULL;
	if (np && (uint64_t)np * ps <= FLAT_MAX) {
		bool holes = false;
		flat = malloc((size_t)np * ps);
		for (uint32_t p = 1; p <= np; p++) {
			uint8_t *to = flat + (size_t)(p - 1) * ps;
			long k = o->n ? find_page(o, p) : -1;
			if (k >= 0)
				memcpy(to, o->data + (size_t)k * ps, ps);
			else if (p <= in_map)
				memcpy(to, map + (size_t)(p - 1) * ps, ps);
			else {
				memset(to, 0, ps);
				holes = true;
			}
		}
		int rf = sqlpage_open(&fdb, flat, (uint64_t)np * ps, np);
		if (holes || (!rf && fdb.page_size != ps)) {
			/* a page neither the file's nor the log's; page 1 of another page size */
			FUZZ_ASSERT(r == SQLPAGE_GIVEUP);
		} else {
			FUZZ_ASSERT(r == rf);
			if (!r) {
				FUZZ_ASSERT(fdb.usable == db.usable && fdb.npages == db.npages);
				f = &fdb;
			}
		}
	}

	if (!r) {
		uint32_t roots[MAX_ROOTS];
		unsigned nroots = 0;
		scan(&db, f, o, 1, roots, &nroots);
		hashes(&db, f, opt & 128, 1);
		for (unsigned i = 0; i < nroots; i++) {
			scan(&db, f, o, roots[i], NULL, NULL);
			hashes(&db, f, opt & 128, roots[i]);
		}
	}
	free(flat);
	free(map);
}

static void one(const uint8_t *data, size_t size)
{
	struct sqlwal_index x, x2;
	struct sqlpage_overlay o;

	if (size < IDX + 1) {
		/* a -shm shorter than the header */
		int fd = memfd_of("sqlwal-shm", data, size < IDX ? size : IDX - 1);
		if (fd >= 0) {
			FUZZ_ASSERT(sqlwal_read_index(fd, &x) == -EINVAL);
			close(fd);
		}
		return;
	}
	const uint8_t *shm = data, *rest = data + IDX + 1;
	uint8_t opt = data[IDX];
	size_t nrest = size - IDX - 1;

	if (opt & 8) {
		int fd = memfd_of("sqlwal-shm", shm, nrest % IDX);
		if (fd >= 0) {
			FUZZ_ASSERT(sqlwal_read_index(fd, &x) == -EINVAL);
			close(fd);
		}
	}
	int shmfd = memfd_of("sqlwal-shm", shm, IDX);
	if (shmfd < 0)
		return;
	int rc = sqlwal_read_index(shmfd, &x);
	FUZZ_ASSERT(rc == 0 || rc == -EAGAIN || rc == -EINVAL);
	if (memcmp(shm, shm + 48, 48))
		FUZZ_ASSERT(rc == -EAGAIN);
	FUZZ_ASSERT(sqlwal_read_index(shmfd, &x2) == rc);
	close(shmfd);
	if (rc)
		return;
	FUZZ_ASSERT(!memcmp(x.raw, shm, IDX));
	FUZZ_ASSERT(x.page_size >= 512 && x.page_size <= 65536 && !(x.page_size & (x.page_size - 1)));
	FUZZ_ASSERT(x.mx_frame == host32(shm + 16) && x.npages == host32(shm + 20));
	FUZZ_ASSERT(x.cksum[0] == host32(shm + 24) && x.cksum[1] == host32(shm + 28));
	FUZZ_ASSERT(!memcmp(x.salt, shm + 32, 8));
	FUZZ_ASSERT(sqlwal_same(&x, &x2));
	x2.raw[nrest % IDX] ^= 0x10;
	FUZZ_ASSERT(!sqlwal_same(&x, &x2));

	size_t k = file_pages(opt, nrest, x.page_size);
	size_t flen = k * x.page_size, wlen = nrest - flen;
	const uint8_t *wal = rest, *file = rest + wlen;
	int walfd = memfd_of("sqlwal-wal", wal, wlen);
	if (walfd < 0)
		return;
	size_t max_bytes = wlen + (opt & 64 ? 65536 : 0);
	uint32_t maxp;
	int want = expect_overlay(wal, wlen, &x, max_bytes, &maxp);
	if (x.mx_frame) {
		uint64_t need = WAL_HDR + (uint64_t)x.mx_frame * (FRAME_HDR + x.page_size);
		FUZZ_ASSERT(sqlwal_overlay(walfd, &x, 0, &o) == -EFBIG);
		assert_empty(&o);
		FUZZ_ASSERT(sqlwal_overlay(walfd, &x, (size_t)(need - 1), &o) == -EFBIG);
		assert_empty(&o);
	}
	if (want == 0 && maxp > MAX_PGNO) {
		/* a bitmap of maxp bits (see the top) */
		close(walfd);
		return;
	}
	rc = sqlwal_overlay(walfd, &x, max_bytes, &o);
	close(walfd);
	FUZZ_ASSERT(rc == want);
	if (rc) {
		assert_empty(&o);
		return;
	}
	check_overlay(&o, &x, wal);
	snapshot(&o, x.npages, file, flen, opt);
	sqlwal_overlay_release(&o);
	assert_empty(&o);
	FUZZ_ASSERT(o.page_size == 0);
}

/*
 * The input with every checksum, salt and the page count made to agree
 * (see the top), or NULL when that changes nothing.
 */
static uint8_t *repaired(const uint8_t *data, size_t size)
{
	if (size < IDX + 1)
		return NULL;
	uint8_t *c = malloc(size), *h = c;
	memcpy(c, data, size);
	uint16_t sz;
	memcpy(&sz, h + 14, 2);
	uint32_t ps = (uint32_t)(sz & 0xfe00) + ((uint32_t)(sz & 1) << 16);
	uint32_t mx = host32(h + 16);
	if (ps >= 512 && ps <= 65536 && !(ps & (ps - 1))) {
		size_t nrest = size - IDX - 1;
		size_t wlen = nrest - file_pages(c[IDX], nrest, ps) * ps;
		uint8_t *wal = c + IDX + 1;
		if (wlen >= WAL_HDR) {
			int order = wal[3] & 1;
			uint32_t s[2] = { 0, 0 };
			cksum(wal, 24, order, s);
			put_be32(wal + 24, s[0]);
			put_be32(wal + 28, s[1]);
			uint64_t fsz = FRAME_HDR + (uint64_t)ps, nf = (wlen - WAL_HDR) / fsz;
			for (uint64_t i = 0; i < nf && i < mx; i++) {
				uint8_t *f = wal + WAL_HDR + i * fsz;
				memcpy(f + 8, wal + 16, 8);
				cksum(f, 8, order, s);
				cksum(f + FRAME_HDR, ps, order, s);
				put_be32(f + 16, s[0]);
				put_be32(f + 20, s[1]);
				if (i + 1 == mx) {
					put_host32(h + 20, be32(f + 4));
					put_host32(h + 24, s[0]);
					put_host32(h + 28, s[1]);
				}
			}
			memcpy(h + 32, wal + 16, 8);
		}
	}
	uint32_t s[2] = { 0, 0 };
	cksum(h, 40, 2, s);
	put_host32(h + 40, s[0]);
	put_host32(h + 44, s[1]);
	memcpy(h + 48, h, 48);
	if (!memcmp(c, data, size)) {
		free(c);
		return NULL;
	}
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size);
	uint8_t *r = repaired(data, size);
	if (r) {
		one(r, size);
		free(r);
	}
	return 0;
}
