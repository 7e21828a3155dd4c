/*
 * sqlpage.c - see strata/sqlpage.h.  Layouts from SQLite's file format
 * document, sections 1.3 (header), 1.6 (b-tree pages), 2.1 (records).
 */
#include "strata/sqlpage.h"

#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <math.h>
#include <xxhash.h>
#include <stdlib.h>
#include <string.h>


/* SQLite's varint (1-9 bytes, big-endian groups; the 9th byte is whole) within [*p, end). */
static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t x = 0;
	for (int i = 0; i < 8; i++) {
		if (q >= end)
			return SQLPAGE_GIVEUP;
		x = x << 7 | (*q & 0x7f);
		if (!(*q++ & 0x80)) {
			*p = q;
			*v = x;
			return 0;
		}
	}
	if (q >= end)
		return SQLPAGE_GIVEUP;
	*v = x << 8 | *q++;
	*p = q;
	return 0;
}

static bool overlaid(const struct sqlpage_overlay *o, uint32_t pgno)
{
	return o && pgno >= 1 && pgno <= o->max_pgno && (o->bits[(pgno - 1) / 8] >> ((pgno - 1) % 8) & 1);
}

/* Page pgno of the overlay (overlaid(o, pgno)). */
static const uint8_t *overlay_page(const struct sqlpage_overlay *o, uint32_t pgno)
{
	uint32_t lo = 0, hi = o->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (o->pgno[mid] < pgno)
			lo = mid + 1;
		else
			hi = mid;
	}
	return o->data + (size_t)lo * o->page_size;
}

static int open_image(struct sqlpage_db *db, const uint8_t *map, uint64_t size, uint32_t npages,
		      const uint8_t *last, const struct sqlpage_overlay *ovl)
{
	memset(db, 0, sizeof(*db));
	db->fd = -1;
	const uint8_t *h = overlaid(ovl, 1) ? overlay_page(ovl, 1) : map;
	if ((h == map && size < 100) || memcmp(h, "SQLite format 3", 16))
		return SQLPAGE_GIVEUP;
	uint32_t ps = get_u16be(h + 16);
	if (ps == 1)
		ps = 65536;
	if (ps < 512 || ps > 65536 || (ps & (ps - 1)) || (ovl && ovl->page_size != ps))
		return SQLPAGE_GIVEUP;
	uint32_t reserved = h[20];
	/* payload fractions are fixed at 64/32/32; usable space at least 480 bytes */
	if (h[21] != 64 || h[22] != 32 || h[23] != 32 || ps - reserved < 480)
		return SQLPAGE_GIVEUP;
	/* text encoding 1 = UTF-8; schema formats 1-4 (serial types 8 and 9 need 4, any reads them) */
	if (get_u32be(h + 56) != 1 || get_u32be(h + 44) < 1 || get_u32be(h + 44) > 4)
		return SQLPAGE_GIVEUP;
	if (ovl) {
		/* every page is the file's or the log's */
		if (npages == 0)
			return SQLPAGE_GIVEUP;
		for (uint64_t p = size / ps + 1; p <= npages; p++)
			if (!overlaid(ovl, (uint32_t)p))
				return SQLPAGE_GIVEUP;
	} else {
		uint64_t mapped = last ? (uint64_t)npages - 1 : npages;
		if (npages == 0 || (last && npages < 2) || mapped * ps > size)
			return SQLPAGE_GIVEUP;
	}
	db->map = map;
	db->size = size;
	db->page_size = ps;
	db->usable = ps - reserved;
	db->npages = npages;
	db->last = last;
	db->ovl = ovl;
	db->fd = -1;
	return 0;
}

int sqlpage_open(struct sqlpage_db *db, const uint8_t *map, uint64_t size, uint32_t npages)
{
	return open_image(db, map, size, npages, NULL, NULL);
}

int sqlpage_open_split(struct sqlpage_db *db, const uint8_t *map, uint64_t size, uint32_t npages,
		       const uint8_t *last)
{
	return last ? open_image(db, map, size, npages, last, NULL) : SQLPAGE_GIVEUP;
}

int sqlpage_open_wal(struct sqlpage_db *db, const uint8_t *map, uint64_t size, uint32_t npages,
		     const struct sqlpage_overlay *ovl)
{
	return ovl ? open_image(db, map, size, npages, NULL, ovl) : SQLPAGE_GIVEUP;
}

/* The b-tree header of page pgno: its offset in the page (100 on page 1). */
static const uint8_t *page_at(const struct sqlpage_db *db, uint32_t pgno, uint32_t *hoff)
{
	*hoff = pgno == 1 ? 100 : 0;
	if (overlaid(db->ovl, pgno))
		return overlay_page(db->ovl, pgno);
	if (pgno == db->npages && db->last)
		return db->last;
	return db->map + (uint64_t)(pgno - 1) * db->page_size;
}

/* A page not yet part of this scan: in range, and marked now (a page twice gives up). */
static int mark_page(struct sqlpage_scan *s, uint32_t pgno)
{
	const struct sqlpage_db *db = s->db;
	if (pgno < 1 || pgno > db->npages || !s->seen ||
	    (s->seen[(pgno - 1) / 8] & (1u << ((pgno - 1) % 8))))
		return SQLPAGE_GIVEUP;
	s->seen[(pgno - 1) / 8] |= (uint8_t)(1u << ((pgno - 1) % 8));
	return 0;
}

/* A b-tree page's type and its cell count, the cell pointer array within the page. */
static int page_head(const struct sqlpage_db *db, uint32_t pgno, uint8_t want, uint32_t *ncells)
{
	uint32_t hoff;
	const uint8_t *pg = page_at(db, pgno, &hoff);
	if (pg[hoff] != want)
		return SQLPAGE_GIVEUP;
	uint32_t hsize = want == 0x05 ? 12 : 8;
	*ncells = get_u16be(pg + hoff + 3);
	if (hoff + hsize + 2 * (uint64_t)*ncells > db->usable)
		return SQLPAGE_GIVEUP;
	return 0;
}

static void add_leaf(struct sqlpage_scan *s, uint32_t pgno)
{
	if (s->nleaves == s->capleaves) {
		s->capleaves = s->capleaves ? s->capleaves * 2 : 64;
		s->leaves = xrealloc(s->leaves, s->capleaves * sizeof(*s->leaves));
	}
	s->leaves[s->nleaves++] = pgno;
}

/*
 * The table's leaf pages in key order, from its interior pages alone: a
 * b-tree's leaves are all at one depth (the left-most path's), so the
 * children of the pages just above it are listed without being read; each
 * leaf's header is checked when the scan enters it.  A leaf anywhere else,
 * or an interior page at the leaves' depth, gives up.
 */
static int collect_leaves(struct sqlpage_scan *s, uint32_t root)
{
	const struct sqlpage_db *db = s->db;
	struct {
		uint32_t pgno, next, ncells;
	} st[SQLPAGE_MAX_DEPTH];
	int depth = 0, leaf_depth = -1;
	uint32_t n;

	if (mark_page(s, root))
		return SQLPAGE_GIVEUP;
	s->depth = 0;
	if (!page_head(db, root, 0x0d, &n)) {
		add_leaf(s, root);
		return 0;
	}
	if (page_head(db, root, 0x05, &n))
		return SQLPAGE_GIVEUP;
	st[0].pgno = root;
	st[0].next = 0;
	st[0].ncells = n;
	while (depth >= 0) {
		uint32_t hoff;
		const uint8_t *pg = page_at(db, st[depth].pgno, &hoff);
		uint32_t k = st[depth].next++, nc = st[depth].ncells, child;
		if (k > nc) {
			depth--;
			continue;
		}
		if (k == nc) {
			child = get_u32be(pg + hoff + 8); /* the right-most child */
		} else {
			uint32_t off = get_u16be(pg + hoff + 12 + 2 * k);
			if (off < hoff + 12 + 2 * nc || off + 4 > db->usable)
				return SQLPAGE_GIVEUP;
			child = get_u32be(pg + off);
		}
		if (mark_page(s, child))
			return SQLPAGE_GIVEUP;
		if (depth + 1 == leaf_depth) {
			add_leaf(s, child); /* checked when entered */
			continue;
		}
		if (leaf_depth < 0 && !page_head(db, child, 0x0d, &n)) {
			leaf_depth = s->depth = depth + 1;
			add_leaf(s, child);
			continue;
		}
		if (depth + 2 >= SQLPAGE_MAX_DEPTH || page_head(db, child, 0x05, &n))
			return SQLPAGE_GIVEUP;
		depth++;
		st[depth].pgno = child;
		st[depth].next = 0;
		st[depth].ncells = n;
	}
	return 0;
}

int sqlpage_scan_start(struct sqlpage_scan *s, const struct sqlpage_db *db, uint32_t root)
{
	memset(s, 0, sizeof(*s));
	s->db = db;
	buf_init(&s->ovf);
	s->seen = calloc((size_t)db->npages / 8 + 1, 1); /* NULL: gives up */
	if (collect_leaves(s, root))
		s->state = SQLPAGE_GIVEUP;
	return s->state;
}

void sqlpage_scan_free_payload(struct sqlpage_scan *s)
{
	buf_release(&s->ovf);
}

void sqlpage_scan_release(struct sqlpage_scan *s)
{
	buf_release(&s->ovf);
	free(s->seen);
	free(s->leaves);
	free(s->w.win);
	free(s->w.opage);
	free(s->memo);
	free(s->memo_ok);
	for (unsigned t = 0; t < SQLPAGE_HASH_THREADS; t++) {
		free(s->part_w[t].win);
		free(s->part_w[t].opage);
		s->part_w[t] = (struct sqlpage_win){ 0 };
	}
	s->seen = NULL;
	s->leaves = NULL;
	s->w.win = s->w.opage = NULL;
	s->memo = NULL;
	s->memo_ok = NULL;
	s->memo_n = 0;
}

/*
 * A leaf cell at p (within the page's usable end): its payload size, rowid,
 * the part stored on the page (section 1.6) and where that part starts.
 */
static int cell_head(const struct sqlpage_db *db, const uint8_t *p, const uint8_t *end,
		     uint64_t *plen, int64_t *rowid, uint64_t *local, const uint8_t **start)
{
	uint64_t key;
	uint32_t U = db->usable;
	if (get_varint(&p, end, plen) || get_varint(&p, end, &key) || *plen > 0x7fffffff)
		return SQLPAGE_GIVEUP;
	*rowid = (int64_t)key;
	uint64_t X = U - 35;
	*local = *plen;
	if (*plen > X) {
		uint64_t M = ((uint64_t)(U - 12) * 32 / 255) - 23;
		uint64_t K = M + ((*plen - M) % (U - 4));
		*local = K <= X ? K : M;
	}
	if ((uint64_t)(end - p) < *local + (*local < *plen ? 4 : 0))
		return SQLPAGE_GIVEUP;
	*start = p;
	return 0;
}

/*
 * A leaf cell at offset off of page pg: rowid and payload, the payload
 * assembled from its overflow chain when it does not fit on the page.
 */
static int leaf_cell(struct sqlpage_scan *s, const uint8_t *pg, uint32_t off, int64_t *rowid,
		     const uint8_t **payload, uint32_t *len)
{
	const struct sqlpage_db *db = s->db;
	const uint8_t *p;
	uint64_t plen, local;
	uint32_t U = db->usable;

	if (cell_head(db, pg + off, pg + db->usable, &plen, rowid, &local, &p))
		return SQLPAGE_GIVEUP;
	if (local == plen) {
		*payload = p;
		*len = (uint32_t)plen;
		return 0;
	}
	/* overflow pages: 4-byte next page number, then up to U - 4 bytes; no more pages than the file has */
	uint64_t rest = plen - local;
	if ((rest + U - 5) / (U - 4) > db->npages)
		return SQLPAGE_GIVEUP;
	buf_reset(&s->ovf);
	buf_grow(&s->ovf, plen);
	buf_add(&s->ovf, p, local);
	uint32_t next = get_u32be(p + local);
	while (rest) {
		if (next < 2 || next > db->npages)
			return SQLPAGE_GIVEUP;
		uint32_t ohoff;
		const uint8_t *op = page_at(db, next, &ohoff);
		uint32_t n = rest < U - 4 ? (uint32_t)rest : U - 4;
		buf_add(&s->ovf, op + 4, n);
		rest -= n;
		next = get_u32be(op);
	}
	if (next != 0)
		return SQLPAGE_GIVEUP; /* the chain goes on after the payload ended */
	*payload = s->ovf.data;
	*len = (uint32_t)plen;
	return 0;
}

/* The offset of cell k of leaf page pg with n cells, or 0 when it is not a place a cell can be. */
static uint32_t cell_off(const struct sqlpage_db *db, const uint8_t *pg, uint32_t hoff, uint32_t n,
			 uint32_t k)
{
	uint32_t off = get_u16be(pg + hoff + 8 + 2 * k);
	/* a cell starts after the cell pointer array and leaves room for its first bytes */
	if (off < hoff + 8 + 2 * n || off + 4 > db->usable)
		return 0;
	return off;
}

/* Enter leaf s->li when not yet: check its header. */
static int enter_leaf(struct sqlpage_scan *s)
{
	if (s->entered)
		return 0;
	if (page_head(s->db, s->leaves[s->li], 0x0d, &s->ncells)) {
		s->state = SQLPAGE_GIVEUP;
		return SQLPAGE_GIVEUP;
	}
	s->entered = true;
	return 0;
}

int sqlpage_scan_pos(struct sqlpage_scan *s, size_t *li, uint32_t *ci)
{
	if (s->state)
		return SQLPAGE_GIVEUP;
	for (;;) {
		if (s->li >= s->nleaves)
			return 0;
		if (enter_leaf(s))
			return SQLPAGE_GIVEUP;
		if (s->ci < s->ncells)
			break;
		s->li++;
		s->ci = 0;
		s->entered = false;
	}
	*li = s->li;
	*ci = s->ci;
	return 1;
}

int sqlpage_scan_next(struct sqlpage_scan *s, int64_t *rowid, const uint8_t **payload,
		      uint32_t *len)
{
	size_t li;
	uint32_t ci, hoff;
	int r = sqlpage_scan_pos(s, &li, &ci);
	if (r <= 0)
		return r;
	const uint8_t *pg = page_at(s->db, s->leaves[li], &hoff);
	uint32_t off = cell_off(s->db, pg, hoff, s->ncells, ci);
	if (!off || leaf_cell(s, pg, off, rowid, payload, len)) {
		s->state = SQLPAGE_GIVEUP;
		return SQLPAGE_GIVEUP;
	}
	s->row_li = li;
	s->row_ci = ci;
	s->ci++;
	return 1;
}

void sqlpage_scan_seek(struct sqlpage_scan *s, size_t li, uint32_t ci)
{
	s->li = li;
	s->ci = ci;
	s->entered = false;
}

int sqlpage_leaf_cells(const struct sqlpage_scan *s, size_t li, uint32_t *ncells)
{
	if (s->state || li >= s->nleaves)
		return SQLPAGE_GIVEUP;
	return page_head(s->db, s->leaves[li], 0x0d, ncells);
}

#define HASH_WINDOW (256u << 10) /* bytes of consecutive pages one pread() fetches for hashing */

/* Read n pages from pgno into buf through db->fd: 0, or SQLPAGE_GIVEUP on a short read. */
static int read_pages(const struct sqlpage_db *db, uint32_t pgno, uint32_t n, uint8_t *buf)
{
	size_t want = (size_t)n * db->page_size, got = 0;
	off_t off = (off_t)(pgno - 1) * db->page_size;
	while (got < want) {
		ssize_t r = pread(db->fd, buf + got, want - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return SQLPAGE_GIVEUP;
		got += (size_t)r;
	}
	return 0;
}

/*
 * Page pgno's bytes for hashing: from the map, or (db->fd) a copy in one of
 * w's buffers - a window of consecutive pages holding the leaf (read with
 * the pages after it, for the leaves that follow in file order), or an
 * overflow page.  NULL: cannot be read.
 */
static const uint8_t *hash_page(const struct sqlpage_db *db, struct sqlpage_win *w, uint32_t pgno,
				bool leaf)
{
	uint32_t hoff;
	if (db->fd < 0 || (pgno == db->npages && db->last) || overlaid(db->ovl, pgno))
		return page_at(db, pgno, &hoff);
	if (!leaf) {
		if (!w->opage)
			w->opage = xmalloc_pages(db->page_size);
		return read_pages(db, pgno, 1, w->opage) ? NULL : w->opage;
	}
	if (pgno < w->win_first || pgno - w->win_first >= w->win_n) {
		uint32_t n = HASH_WINDOW / db->page_size;
		if (n == 0)
			n = 1;
		/* never the last page (it may be a copy: sqlpage_open_split), nor past the file */
		uint32_t upto = db->last ? db->npages - 1 : db->npages;
		if (upto > db->size / db->page_size)
			upto = (uint32_t)(db->size / db->page_size);
		if (n > upto - pgno + 1)
			n = upto - pgno + 1;
		if (!w->win)
			w->win = xmalloc_pages(HASH_WINDOW > db->page_size ? HASH_WINDOW : db->page_size);
		w->win_n = 0;
		if (read_pages(db, pgno, n, w->win))
			return NULL;
		w->win_first = pgno;
		w->win_n = n;
	}
	/* valid until the next leaf is fetched (overflow pages go to w->opage) */
	return w->win + (size_t)(pgno - w->win_first) * db->page_size;
}

/*
 * A leaf's digest: XXH3-128 of its page, or of its page then the pages of
 * its cells' overflow chains in cell order when it has any.  Only a cell
 * whose payload size exceeds what a page holds (one varint read) is parsed
 * further.
 */
static int leaf_digest(const struct sqlpage_db *db, struct sqlpage_win *w, uint32_t pgno,
		       XXH128_hash_t *out)
{
	uint32_t hoff = pgno == 1 ? 100 : 0, n, U = db->usable;
	XXH3_state_t *st = NULL;
	const uint8_t *pg = hash_page(db, w, pgno, true);
	if (!pg || pg[hoff] != 0x0d)
		return SQLPAGE_GIVEUP;
	n = get_u16be(pg + hoff + 3);
	if (hoff + 8 + 2 * (uint64_t)n > U)
		return SQLPAGE_GIVEUP;
	int rc = 0;
	for (uint32_t k = 0; k < n && !rc; k++) {
		uint32_t off = cell_off(db, pg, hoff, n, k);
		if (!off) {
			rc = SQLPAGE_GIVEUP;
			break;
		}
		if (pg[off] < 0x80 || (pg[off + 1] < 0x80 && ((pg[off] & 0x7fu) << 7 | pg[off + 1]) <= U - 35))
			continue; /* a payload size of one or two bytes that fits on the page */
		uint64_t plen, local;
		int64_t rowid;
		const uint8_t *p;
		if (cell_head(db, pg + off, pg + U, &plen, &rowid, &local, &p)) {
			rc = SQLPAGE_GIVEUP;
			break;
		}
		uint64_t rest = plen - local;
		if (!rest)
			continue;
		if ((rest + U - 5) / (U - 4) > db->npages) {
			rc = SQLPAGE_GIVEUP;
			break;
		}
		if (!st) {
			st = XXH3_createState();
			if (!st)
				return SQLPAGE_GIVEUP;
			XXH3_128bits_reset(st);
			XXH3_128bits_update(st, pg, db->page_size);
		}
		uint32_t next = get_u32be(p + local);
		for (; rest; rest -= rest < U - 4 ? rest : U - 4) {
			const uint8_t *op = next >= 2 && next <= db->npages ? hash_page(db, w, next, false) : NULL;
			if (!op) {
				rc = SQLPAGE_GIVEUP;
				break;
			}
			XXH3_128bits_update(st, op, db->page_size);
			next = get_u32be(op);
		}
	}
	if (!rc)
		*out = st ? XXH3_128bits_digest(st) : XXH3_128bits(pg, db->page_size);
	XXH3_freeState(st);
	return rc;
}

#define HASH_AHEAD 16384u /* leaves one block of sqlpage_scan_hash_ahead() digests */

struct ahead_part {
	const struct sqlpage_scan *s;
	size_t from, to;      /* leaf indices */
	struct sqlpage_win *w; /* this part's (s->part_w): fresh pages cost, so kept */
};

static void *hash_part(void *arg)
{
	struct ahead_part *p = arg;
	const struct sqlpage_scan *s = p->s;
	for (size_t i = p->from; i < p->to; i++) {
		XXH128_hash_t h;
		XXH128_canonical_t c;
		size_t k = i - s->memo_first;
		s->memo_ok[k] = !leaf_digest(s->db, p->w, s->leaves[i], &h);
		if (s->memo_ok[k]) {
			XXH128_canonicalFromHash(&c, h);
			memcpy(s->memo[k], c.digest, 16);
		}
	}
	return NULL;
}

/* Digests of the block of leaves from li, by s->hash_threads threads. */
static void hash_block(struct sqlpage_scan *s, size_t li)
{
	unsigned nt = s->hash_threads;
	size_t n = s->nleaves - li < s->memo_block ? s->nleaves - li : s->memo_block;
	if (!s->memo) {
		s->memo = xmalloc(s->memo_block * sizeof(*s->memo));
		s->memo_ok = xmalloc(s->memo_block);
	}
	s->memo_first = li;
	s->memo_n = n;
	if (nt > n)
		nt = (unsigned)n;
	struct ahead_part part[SQLPAGE_HASH_THREADS];
	pthread_t tid[SQLPAGE_HASH_THREADS];
	bool started[SQLPAGE_HASH_THREADS] = { false };
	for (unsigned t = 0; t < nt; t++) {
		part[t] = (struct ahead_part){ .s = s, .from = li + n * t / nt, .to = li + n * (t + 1) / nt,
					       .w = &s->part_w[t] };
		/* the first part on this thread; a part that cannot start runs here too */
		started[t] = t > 0 && !pthread_create(&tid[t], NULL, hash_part, &part[t]);
	}
	for (unsigned t = 0; t < nt; t++)
		if (!started[t])
			hash_part(&part[t]);
	for (unsigned t = 0; t < nt; t++)
		if (started[t])
			pthread_join(tid[t], NULL);
}

void sqlpage_scan_hash_ahead(struct sqlpage_scan *s, unsigned threads)
{
	s->hash_threads = threads < 1 ? 1 : threads > SQLPAGE_HASH_THREADS ? SQLPAGE_HASH_THREADS : threads;
	if (!s->memo_block)
		s->memo_block = HASH_AHEAD;
}

/* Leaf li's digest: from the block hashed ahead, a new block, or by itself. */
static int leaf_digest_at(struct sqlpage_scan *s, size_t li, uint8_t out[16])
{
	if (s->hash_threads) {
		/* ahead of the block (or none yet): the next block starts here */
		if (!s->memo_n || li >= s->memo_first + s->memo_n)
			hash_block(s, li);
		if (li >= s->memo_first) {
			size_t k = li - s->memo_first;
			if (!s->memo_ok[k])
				return SQLPAGE_GIVEUP;
			memcpy(out, s->memo[k], 16);
			return 0;
		}
	}
	XXH128_hash_t h;
	XXH128_canonical_t c;
	if (leaf_digest(s->db, &s->w, s->leaves[li], &h))
		return SQLPAGE_GIVEUP;
	XXH128_canonicalFromHash(&c, h);
	memcpy(out, c.digest, 16);
	return 0;
}

int sqlpage_leaves_hash(struct sqlpage_scan *s, size_t li, size_t n, uint8_t out[16])
{
	if (s->state || li > s->nleaves || n > s->nleaves - li || n == 0)
		return SQLPAGE_GIVEUP;
	if (n == 1)
		return leaf_digest_at(s, li, out);
	/* the leaves' digests in order, hashed */
	XXH3_state_t *st = XXH3_createState();
	uint8_t d[16];
	int rc = st ? 0 : SQLPAGE_GIVEUP;
	if (!rc)
		XXH3_128bits_reset(st);
	for (size_t i = li; i < li + n && !rc; i++) {
		rc = leaf_digest_at(s, i, d);
		if (!rc)
			XXH3_128bits_update(st, d, 16);
	}
	if (!rc) {
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
		memcpy(out, c.digest, 16);
	}
	XXH3_freeState(st);
	return rc;
}

int sqlpage_record(const uint8_t *payload, uint32_t len, int64_t rowid,
		   const struct sqlpage_col *cols, unsigned ncols, struct value *out)
{
	const uint8_t *end = payload + len, *h = payload, *hend;
	uint64_t hsize, body;

	if (get_varint(&h, end, &hsize) || hsize > len || hsize < (uint64_t)(h - payload))
		return SQLPAGE_GIVEUP;
	hend = payload + hsize;
	body = hsize;
	for (unsigned i = 0; i < ncols; i++) {
		uint64_t st, size;
		struct value *v = &out[i];
		if (get_varint(&h, hend, &st))
			return SQLPAGE_GIVEUP; /* fewer fields than columns (ALTER TABLE ADD COLUMN) */
		if (st >= 12)
			size = (st - 12) / 2;
		else if (st == 10 || st == 11)
			return SQLPAGE_GIVEUP;
		else
			size = (const uint8_t[]){ 0, 1, 2, 3, 4, 6, 8, 8, 0, 0 }[st];
		if (size > len - body)
			return SQLPAGE_GIVEUP;
		const uint8_t *d = payload + body;
		body += size;
		if (cols[i].rowid) {
			if (st != 0)
				return SQLPAGE_GIVEUP;
			v->type = VAL_INT;
			v->i = rowid;
			continue;
		}
		if (st == 0) {
			v->type = VAL_NULL;
		} else if (st <= 6 || st == 8 || st == 9) {
			int64_t x = 0;
			if (st == 9) {
				x = 1;
			} else if (st != 8) {
				uint64_t u = d[0] & 0x80 ? ~UINT64_C(0) : 0; /* sign extension */
				for (uint64_t b = 0; b < size; b++)
					u = u << 8 | d[b];
				x = (int64_t)u;
			}
			if (cols[i].real) {
				v->type = VAL_REAL;
				v->r = (double)x;
			} else {
				v->type = VAL_INT;
				v->i = x;
			}
		} else if (st == 7) {
			uint64_t u = 0;
			for (int b = 0; b < 8; b++)
				u = u << 8 | d[b];
			memcpy(&v->r, &u, 8);
			if (isnan(v->r))
				return SQLPAGE_GIVEUP; /* SQLite reads it as NULL; not ours to decide */
			v->type = VAL_REAL;
		} else {
			v->type = st & 1 ? VAL_TEXT : VAL_BLOB;
			v->p = d;
			v->n = (size_t)size;
		}
	}
	/* exactly ncols fields, and exactly the bytes they need */
	if (h != hend || body != len)
		return SQLPAGE_GIVEUP;
	return 0;
}

bool sqlpage_real_affinity(const char *t)
{
	/* SQLite's sqlite3AffinityType(): a 4-character window over the lower-cased name */
	uint32_t h = 0;
	enum { NUMERIC, TEXT, BLOB, REAL, INTEGER } aff = NUMERIC;
	if (!t || !*t)
		return false; /* no type: BLOB affinity */
	for (; *t; t++) {
		uint8_t c = (uint8_t)*t;
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		h = h << 8 | c;
		if (h == 0x63686172u /* char */ || h == 0x636c6f62u /* clob */ || h == 0x74657874u /* text */)
			aff = TEXT;
		else if (h == 0x626c6f62u /* blob */ && (aff == NUMERIC || aff == REAL))
			aff = BLOB;
		else if ((h == 0x7265616cu /* real */ || h == 0x666c6f61u /* floa */ ||
			  h == 0x646f7562u /* doub */) && aff == NUMERIC)
			aff = REAL;
		else if ((h & 0xffffff) == 0x696e74u /* int */)
			return false;
	}
	return aff == REAL;
}
