/*
 * Fuzz the page reader (lib/sqlpage.c) on arbitrary database images.
 *
 * Byte 0: options.  Bits 0-1 choose npages from the image's length L and
 * its header's page size P: L / P, one less, one more (which sqlpage_open
 * must refuse), or half.  Bit 2: also scan every page (up to 64) as if it
 * were a root.  Bit 3: decode with more column layouts.
 * Byte 1: a root page; 0 means page 1 (sqlite_master) and every root page
 * its rows name.  The rest is the image.
 *
 * The image is copied into a buffer of exactly npages * P bytes, so any
 * read past the pages the reader was given is an ASan report.  Invariants:
 * sqlpage_open refuses npages beyond the image; a scan ends (0 or
 * SQLPAGE_GIVEUP, and stays ended) after at most npages * usable / 2 rows;
 * every row lies within the image or is the scan's overflow buffer; every
 * record sqlpage_record accepts yields values of a known type, TEXT/BLOB
 * within the record, no NaN, the rowid column equal to the rowid, no
 * INTEGER in a REAL column.  Short TEXT values also go through
 * sqlpage_real_affinity as type names.  The incremental backup's calls
 * (hashes(): positions, seeks, leaf hashes) stay in bounds, and a leaf
 * hashes alike through the map and through a descriptor of the image.
 *
 * Seeds (corpus/sqlpage/): small SQLite databases with 512-byte pages (a
 * few with 1024), written by python3's sqlite3 module; each file is the
 * two option bytes then the database file.
 */
#include "fuzz.h"

#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "strata/sqlpage.h"

#define MAX_ROOTS 64
#define MAX_COLS 12

static bool within(const void *p, size_t n, const void *base, size_t size)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
	return a >= b && a - b <= size && n <= size - (a - b);
}

static void check_record(const uint8_t *pl, uint32_t len, int64_t rowid,
			 const struct sqlpage_col *cols, unsigned ncols)
{
	struct value v[MAX_COLS];
	if (sqlpage_record(pl, len, rowid, cols, ncols, v))
		return;
	for (unsigned i = 0; i < ncols; i++) {
		switch (v[i].type) {
		case VAL_NULL:
			FUZZ_ASSERT(!cols[i].rowid);
			break;
		case VAL_INT:
			FUZZ_ASSERT(!cols[i].real || cols[i].rowid);
			FUZZ_ASSERT(!cols[i].rowid || v[i].i == rowid);
			break;
		case VAL_REAL:
			FUZZ_ASSERT(!cols[i].rowid && !isnan(v[i].r));
			break;
		case VAL_TEXT:
		case VAL_BLOB:
			FUZZ_ASSERT(!cols[i].rowid && within(v[i].p, v[i].n, pl, len));
			if (v[i].type == VAL_TEXT && v[i].n < 64) {
				/* any text as a declared type (sqlite_master's sql, say) */
				char t[64];
				memcpy(t, v[i].p, v[i].n);
				t[v[i].n] = 0;
				(void)sqlpage_real_affinity(t);
			}
			break;
		default:
			FUZZ_ASSERT(!"a value of no known type");
		}
	}
}

/*
 * The incremental backup's calls (positions, seeks, leaf cell counts and
 * leaf hashes) on the same root: they stay in bounds, a hash is the same
 * each time and through a descriptor of the image (pread) as through the
 * map, and a range past the leaves is refused.
 */
static void hashes(const struct sqlpage_db *db, uint32_t root)
{
	struct sqlpage_scan a, b;
	struct sqlpage_db fdb = *db;
	uint8_t d1[16], d2[16];
	size_t li;
	uint32_t ci, nc;

	fdb.fd = memfd_create("sqlpage-image", MFD_CLOEXEC);
	if (fdb.fd >= 0 && write(fdb.fd, db->map, db->size) != (ssize_t)db->size) {
		close(fdb.fd);
		fdb.fd = -1;
	}
	int ra = sqlpage_scan_start(&a, db, root), rb = sqlpage_scan_start(&b, &fdb, root);
	FUZZ_ASSERT(ra == rb && a.nleaves == b.nleaves);
	for (size_t i = 0; !ra && i < a.nleaves && i < 256; i++) {
		int x = sqlpage_leaves_hash(&a, i, 1, d1), y = sqlpage_leaves_hash(&a, i, 1, d2);
		FUZZ_ASSERT(x == y && (x || !memcmp(d1, d2, 16)));
		if (fdb.fd >= 0) {
			y = sqlpage_leaves_hash(&b, i, 1, d2);
			FUZZ_ASSERT(x == y && (x || !memcmp(d1, d2, 16)));
		}
		(void)sqlpage_leaf_cells(&a, i, &nc);
	}
	if (!ra && a.nleaves) {
		int x = sqlpage_leaves_hash(&a, 0, a.nleaves, d1);
		if (fdb.fd >= 0) {
			int y = sqlpage_leaves_hash(&b, 0, a.nleaves, d2);
			FUZZ_ASSERT(x == y && (x || !memcmp(d1, d2, 16)));
		}
	}
	FUZZ_ASSERT(sqlpage_leaves_hash(&a, a.nleaves, 1, d1) == SQLPAGE_GIVEUP);
	FUZZ_ASSERT(sqlpage_leaves_hash(&a, 0, 0, d1) == SQLPAGE_GIVEUP);
	/* a seek to one past a position, then on: positions stay within the leaves */
	for (int k = 0; k < 4 && sqlpage_scan_pos(&a, &li, &ci) == 1; k++) {
		FUZZ_ASSERT(li < a.nleaves && ci < a.ncells);
		sqlpage_scan_seek(&a, li, ci + 1);
	}
	sqlpage_scan_release(&a);
	sqlpage_scan_release(&b);
	if (fdb.fd >= 0)
		close(fdb.fd);
}

/* Scan one root; on page 1 (sqlite_master), collect the root pages it names. */
static void scan(const struct sqlpage_db *db, uint32_t root, uint8_t opt, uint32_t *roots,
		 unsigned *nroots)
{
	struct sqlpage_scan s;
	int64_t rowid;
	const uint8_t *pl;
	uint32_t len;
	uint64_t rows = 0, limit = (uint64_t)db->npages * db->usable / 2;
	int r;
	static const struct sqlpage_col master[5] = { { false, false } };

	sqlpage_scan_start(&s, db, root);
	while ((r = sqlpage_scan_next(&s, &rowid, &pl, &len)) == 1) {
		FUZZ_ASSERT(++rows <= limit);
		FUZZ_ASSERT(within(pl, len, db->map, db->size) ||
			    (pl == s.ovf.data && len == s.ovf.len));
		if (root == 1 && roots) {
			struct value v[5];
			if (!sqlpage_record(pl, len, rowid, master, 5, v) && v[3].type == VAL_INT &&
			    v[3].i >= 2 && v[3].i <= db->npages && *nroots < MAX_ROOTS)
				roots[(*nroots)++] = (uint32_t)v[3].i;
		}
		/* layouts: n columns all plain; the first the rowid; all REAL; mixed */
		struct sqlpage_col cols[MAX_COLS];
		unsigned maxn = opt & 8 ? MAX_COLS : 7;
		for (unsigned n = 0; n <= maxn && n <= MAX_COLS; n++) {
			for (int layout = 0; layout < 4; layout++) {
				for (unsigned i = 0; i < n; i++) {
					cols[i].rowid = layout == 1 ? i == 0 : layout == 3 ? i % 3 == 1 : false;
					cols[i].real = layout == 2 ? true : layout == 3 ? i % 2 == 0 : false;
				}
				check_record(pl, len, rowid, cols, n);
			}
		}
	}
	FUZZ_ASSERT(r == 0 || r == SQLPAGE_GIVEUP);
	/* the end is final */
	FUZZ_ASSERT(sqlpage_scan_next(&s, &rowid, &pl, &len) == r);
	sqlpage_scan_release(&s);
	hashes(db, root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sqlpage_db db;
	if (size < 2 + 100) {
		/* shorter than the database header */
		if (size > 2)
			FUZZ_ASSERT(sqlpage_open(&db, data + 2, size - 2, 1) == SQLPAGE_GIVEUP);
		return 0;
	}
	uint8_t opt = data[0], root = data[1];
	const uint8_t *img = data + 2;
	size_t n = size - 2;

	uint32_t ps = (uint32_t)img[16] << 8 | img[17];
	if (ps == 1)
		ps = 65536;
	if (ps < 512 || (ps & (ps - 1)))
		ps = 512; /* sqlpage_open refuses it; still exercise the refusal */
	uint64_t whole = n / ps, np;
	switch (opt & 3) {
	case 0: np = whole; break;
	case 1: np = whole ? whole - 1 : 0; break;
	case 2: np = whole + 1; break;
	default: np = whole / 2; break;
	}
	if (np > UINT32_MAX)
		return 0;

	if ((opt & 3) == 2) {
		/* one page more than the image: refused */
		FUZZ_ASSERT(sqlpage_open(&db, img, n, (uint32_t)np) == SQLPAGE_GIVEUP);
		np = whole;
	}
	if (np == 0) {
		FUZZ_ASSERT(sqlpage_open(&db, img, n, 0) == SQLPAGE_GIVEUP);
		return 0;
	}
	/* exactly the pages the reader is given */
	size_t isize = (size_t)(np * ps);
	uint8_t *copy = malloc(isize);
	if (!copy)
		return 0;
	memcpy(copy, img, isize);
	if (sqlpage_open(&db, copy, isize, (uint32_t)np)) {
		free(copy);
		return 0;
	}
	FUZZ_ASSERT(db.page_size == ps && db.npages == np && db.size == isize);
	FUZZ_ASSERT(db.usable >= 480 && db.usable <= db.page_size);

	uint32_t roots[MAX_ROOTS];
	unsigned nroots = 0;
	if (root) {
		scan(&db, root, opt, NULL, NULL);
	} else {
		scan(&db, 1, opt, roots, &nroots);
		for (unsigned i = 0; i < nroots; i++)
			scan(&db, roots[i], opt, NULL, NULL);
	}
	if (opt & 4)
		for (uint32_t p = 0; p <= db.npages && p <= 64; p++)
			scan(&db, p, opt, NULL, NULL);
	free(copy);
	return 0;
}
