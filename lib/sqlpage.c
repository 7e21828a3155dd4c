/*
 * sqlpage.c - see strata/sqlpage.h.  Layouts from SQLite's file format
 * document, sections 1.3 (header), 1.6 (b-tree pages), 2.1 (records).
 */
#include "strata/sqlpage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

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

static int open_image(struct sqlpage_db *db, const uint8_t *map, uint64_t size, uint32_t npages,
		      const uint8_t *last)
{
	memset(db, 0, sizeof(*db));
	if (size < 100 || memcmp(map, "SQLite format 3", 16))
		return SQLPAGE_GIVEUP;
	uint32_t ps = be16(map + 16);
	if (ps == 1)
		ps = 65536;
	if (ps < 512 || ps > 65536 || (ps & (ps - 1)))
		return SQLPAGE_GIVEUP;
	uint32_t reserved = map[20];
	/* payload fractions are fixed at 64/32/32; usable space at least 480 bytes */
	if (map[21] != 64 || map[22] != 32 || map[23] != 32 || ps - reserved < 480)
		return SQLPAGE_GIVEUP;
	/* text encoding 1 = UTF-8; schema formats 1-4 (serial types 8 and 9 need 4, any reads them) */
	if (be32(map + 56) != 1 || be32(map + 44) < 1 || be32(map + 44) > 4)
		return SQLPAGE_GIVEUP;
	uint64_t mapped = last ? (uint64_t)npages - 1 : npages;
	if (npages == 0 || (last && npages < 2) || mapped * ps > size)
		return SQLPAGE_GIVEUP;
	db->map = map;
	db->size = size;
	db->page_size = ps;
	db->usable = ps - reserved;
	db->npages = npages;
	db->last = last;
	return 0;
}

int sqlpage_open(struct sqlpage_db *db, const uint8_t *map, uint64_t size, uint32_t npages)
{
	return open_image(db, map, size, npages, NULL);
}

int sqlpage_open_split(struct sqlpage_db *db, const uint8_t *map, uint64_t size, uint32_t npages,
		       const uint8_t *last)
{
	return last ? open_image(db, map, size, npages, last) : SQLPAGE_GIVEUP;
}

/* The b-tree header of page pgno: its offset in the page (100 on page 1). */
static const uint8_t *page_at(const struct sqlpage_db *db, uint32_t pgno, uint32_t *hoff)
{
	*hoff = pgno == 1 ? 100 : 0;
	if (pgno == db->npages && db->last)
		return db->last;
	return db->map + (uint64_t)(pgno - 1) * db->page_size;
}

/* Enter a table b-tree page: checks its type and its cell pointer array. */
static int push_page(struct sqlpage_scan *s, uint32_t pgno)
{
	const struct sqlpage_db *db = s->db;
	uint32_t hoff;
	if (pgno < 1 || pgno > db->npages || s->depth + 1 >= SQLPAGE_MAX_DEPTH || !s->seen ||
	    (s->seen[(pgno - 1) / 8] & (1u << ((pgno - 1) % 8))))
		return SQLPAGE_GIVEUP;
	s->seen[(pgno - 1) / 8] |= (uint8_t)(1u << ((pgno - 1) % 8));
	const uint8_t *pg = page_at(db, pgno, &hoff);
	uint8_t type = pg[hoff];
	if (type != 0x05 && type != 0x0d)
		return SQLPAGE_GIVEUP;
	uint32_t hsize = type == 0x05 ? 12 : 8;
	uint32_t ncells = be16(pg + hoff + 3);
	if (hoff + hsize + 2 * (uint64_t)ncells > db->usable)
		return SQLPAGE_GIVEUP;
	s->depth++;
	s->stack[s->depth].pgno = pgno;
	s->stack[s->depth].next = 0;
	s->stack[s->depth].ncells = ncells;
	return 0;
}

void sqlpage_scan_start(struct sqlpage_scan *s, const struct sqlpage_db *db, uint32_t root)
{
	memset(s, 0, sizeof(*s));
	s->db = db;
	s->depth = -1;
	buf_init(&s->ovf);
	s->seen = calloc((size_t)db->npages / 8 + 1, 1); /* NULL: gives up */
	if (push_page(s, root))
		s->depth = -2; /* gives up at the first call */
}

void sqlpage_scan_release(struct sqlpage_scan *s)
{
	buf_release(&s->ovf);
	free(s->seen);
	s->seen = NULL;
}

/*
 * A leaf cell at offset off of page pg: rowid and payload, the payload
 * assembled from its overflow chain when it does not fit on the page.
 */
static int leaf_cell(struct sqlpage_scan *s, const uint8_t *pg, uint32_t off, int64_t *rowid,
		     const uint8_t **payload, uint32_t *len)
{
	const struct sqlpage_db *db = s->db;
	const uint8_t *end = pg + db->usable, *p = pg + off;
	uint64_t plen, key;
	uint32_t U = db->usable;

	if (get_varint(&p, end, &plen) || get_varint(&p, end, &key) || plen > 0x7fffffff)
		return SQLPAGE_GIVEUP;
	*rowid = (int64_t)key;
	/* section 1.6: how much of the payload is stored on the page */
	uint64_t X = U - 35, local = plen;
	if (plen > X) {
		uint64_t M = ((uint64_t)(U - 12) * 32 / 255) - 23;
		uint64_t K = M + ((plen - M) % (U - 4));
		local = K <= X ? K : M;
	}
	if ((uint64_t)(end - p) < local + (local < plen ? 4 : 0))
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
	uint32_t next = be32(p + local);
	while (rest) {
		if (next < 2 || next > db->npages)
			return SQLPAGE_GIVEUP;
		uint32_t ohoff;
		const uint8_t *op = page_at(db, next, &ohoff);
		uint32_t n = rest < U - 4 ? (uint32_t)rest : U - 4;
		buf_add(&s->ovf, op + 4, n);
		rest -= n;
		next = be32(op);
	}
	if (next != 0)
		return SQLPAGE_GIVEUP; /* the chain goes on after the payload ended */
	*payload = s->ovf.data;
	*len = (uint32_t)plen;
	return 0;
}

int sqlpage_scan_next(struct sqlpage_scan *s, int64_t *rowid, const uint8_t **payload,
		      uint32_t *len)
{
	const struct sqlpage_db *db = s->db;

	if (s->depth < -1)
		return SQLPAGE_GIVEUP;
	while (s->depth >= 0) {
		uint32_t hoff;
		const uint8_t *pg = page_at(db, s->stack[s->depth].pgno, &hoff);
		uint32_t k = s->stack[s->depth].next, n = s->stack[s->depth].ncells;
		bool leaf = pg[hoff] == 0x0d;
		uint32_t hsize = leaf ? 8 : 12;

		if (k > n || (leaf && k == n)) {
			s->depth--;
			continue;
		}
		s->stack[s->depth].next = k + 1;
		uint32_t child;
		if (k == n) {
			child = be32(pg + hoff + 8); /* the right-most child */
		} else {
			uint32_t off = be16(pg + hoff + hsize + 2 * k);
			/* a cell starts after the cell pointer array and leaves room for its first bytes */
			if (off < hoff + hsize + 2 * n || off + 4 > db->usable) {
				s->depth = -2;
				return SQLPAGE_GIVEUP;
			}
			if (leaf) {
				int rc = leaf_cell(s, pg, off, rowid, payload, len);
				if (rc)
					s->depth = -2;
				return rc ? rc : 1;
			}
			child = be32(pg + off);
		}
		if (push_page(s, child)) {
			s->depth = -2;
			return SQLPAGE_GIVEUP;
		}
	}
	return 0;
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
