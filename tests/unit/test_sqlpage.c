/*
 * Unit tests for lib/sqlpage.c: the strict reader of SQLite table b-trees.
 *
 * (a) On databases SQLite writes (random schemas and values, page sizes 512
 *     to 65536, reserved bytes, auto_vacuum FULL and INCREMENTAL, deletes,
 *     growing updates, VACUUM, overflow chains, deep trees), every table read
 *     through the pages gives exactly what SQLite's
 *     `SELECT rowid, <cols> FROM t ORDER BY rowid` gives: the same rows in
 *     the same order, the same types, the same bytes (REALs bit for bit) -
 *     and it does not give up.  Tables SQLite reads in ways the reader does
 *     not (ALTER TABLE ADD COLUMN, WITHOUT ROWID, an index) are given up on,
 *     or read identically.
 * (b) sqlpage_real_affinity agrees with SQLite itself (typeof of an integer
 *     stored in a column of that type) over ~50 type names.
 * (c) Damaged images (every byte of small images set to a few values, random
 *     multi-byte damage, truncation, child and overflow pointer cycles, a
 *     page reached twice, huge cell counts, cell offsets past the page, a
 *     41-deep tree) are given up on or read without crashing; each row
 *     returned lies within the image (or the scan's overflow buffer) and
 *     each value within its record; a scan always ends.  Run it under
 *     ASan/UBSan for the out-of-bounds part.
 * (d) sqlpage_open refuses what it must: npages beyond the image, UTF-16
 *     databases, headers out of range.
 *
 * Databases are files under $TMPDIR (or /tmp), removed at the end; the PRNG
 * is fixed, so any failure reproduces.
 */
#include "check.h"
#include "strata/sqlpage.h"

#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static unsigned long long seed = 0x5a1e5eed0001ULL;
static char dbpath[256];

/* statistics for the summary */
static unsigned long n_databases, n_tables_matched, n_rows_matched, n_values_matched;
static unsigned long n_damaged_scans, n_damaged_giveups, n_damaged_rows;
/* what the matched rows held on disk: serial types 0-11, 12 = BLOB, 13 = TEXT;
 * rows with overflow chains; integers read as REAL */
static unsigned long n_serial[14], n_overflow_rows, n_int_as_real;
static unsigned long n_split_opens; /* tables compared through sqlpage_open_split() */

static uint64_t rnd64(void)
{
	return test_rand(&seed);
}

static unsigned rnd(unsigned n)
{
	return (unsigned)(rnd64() % n);
}

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t img_page_size(const uint8_t *img)
{
	uint32_t ps = be16(img + 16);
	return ps == 1 ? 65536 : ps;
}

/* ---------------------------------------------------------------- SQLite */

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	CHECKF(rc == SQLITE_OK, "%s: %s", sql, err ? err : sqlite3_errstr(rc));
	sqlite3_free(err);
}

static int64_t qint(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		CHECKF(0, "%s: %s", sql, sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * A new database file: page size, reserved bytes (< 0: leave alone),
 * auto_vacuum (0 NONE, 1 FULL, 2 INCREMENTAL), encoding (NULL: UTF-8).
 */
static sqlite3 *new_db(unsigned ps, int reserve, int autovac, const char *enc)
{
	sqlite3 *db;
	unlink(dbpath);
	if (sqlite3_open(dbpath, &db) != SQLITE_OK) {
		fprintf(stderr, "cannot open %s\n", dbpath);
		exit(2);
	}
	char *sql = xasprintf("PRAGMA page_size=%u", ps);
	exec(db, sql);
	free(sql);
	if (reserve >= 0) {
		/* after the page size (which sets the reserve to 0), before anything
		 * fixes the page size: PRAGMA auto_vacuum=FULL opens a write
		 * transaction, after which the reserve no longer changes */
		int n = reserve;
		CHECK(sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &n) == SQLITE_OK);
	}
	sql = xasprintf("PRAGMA auto_vacuum=%d; PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;",
			autovac);
	exec(db, sql);
	free(sql);
	if (enc) {
		sql = xasprintf("PRAGMA encoding='%s'", enc);
		exec(db, sql);
		free(sql);
	}
	n_databases++;
	return db;
}

/* The database's image, in a buffer of exactly its size (so ASan sees overreads). */
static uint8_t *db_image(sqlite3 *db, uint64_t *size)
{
	sqlite3_int64 sz = 0;
	unsigned char *p = sqlite3_serialize(db, "main", &sz, 0);
	if (!p || sz <= 0) {
		fprintf(stderr, "sqlite3_serialize failed\n");
		exit(2);
	}
	uint8_t *img = xmalloc((size_t)sz);
	memcpy(img, p, (size_t)sz);
	sqlite3_free(p);
	*size = (uint64_t)sz;
	return img;
}

static int64_t root_of(sqlite3 *db, const char *name)
{
	char *sql = xasprintf("SELECT rootpage FROM sqlite_master WHERE name='%s'", name);
	int64_t r = qint(db, sql);
	free(sql);
	return r;
}

/* ------------------------------------------------------------ comparison */

enum { CMP_MATCH, CMP_GIVEUP, CMP_DIFF };

static const char *tname(int t)
{
	static const char *n[] = { "?", "INTEGER", "REAL", "TEXT", "BLOB", "NULL" };
	return n[t >= 1 && t <= 5 ? t : 0];
}

/* One value of the reader against column k of SQLite's row. */
static bool same_value(sqlite3_stmt *st, int k, const struct value *v, const char *ctx,
		       int64_t rowid)
{
	int t = sqlite3_column_type(st, k);
	bool ok = false;
	switch (t) {
	case SQLITE_NULL:
		ok = v->type == VAL_NULL;
		break;
	case SQLITE_INTEGER:
		ok = v->type == VAL_INT && v->i == sqlite3_column_int64(st, k);
		break;
	case SQLITE_FLOAT: {
		double d = sqlite3_column_double(st, k);
		ok = v->type == VAL_REAL && !memcmp(&d, &v->r, sizeof(d));
		break;
	}
	case SQLITE_TEXT: {
		const unsigned char *s = sqlite3_column_text(st, k);
		size_t n = (size_t)sqlite3_column_bytes(st, k);
		ok = v->type == VAL_TEXT && v->n == n && (!n || !memcmp(v->p, s, n));
		break;
	}
	case SQLITE_BLOB: {
		const void *s = sqlite3_column_blob(st, k);
		size_t n = (size_t)sqlite3_column_bytes(st, k);
		ok = v->type == VAL_BLOB && v->n == n && (!n || !memcmp(v->p, s, n));
		break;
	}
	}
	if (!ok)
		fprintf(stderr,
			"  %s: rowid %lld column %d: SQLite %s, reader %d (i=%lld r=%.17g n=%zu)\n", ctx,
			(long long)rowid, k, tname(t), v->type, (long long)v->i, v->r, v->n);
	return ok;
}

static unsigned varint_at(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < 9 && p + i < end; i++) {
		if (i == 8) {
			*v = x << 8 | p[8];
			return 9;
		}
		x = x << 7 | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

/* Coverage: which serial types the compared rows had on disk (a record the reader accepted). */
static void count_serial_types(const uint8_t *pl, uint32_t len, const struct sqlpage_col *cols,
			       unsigned ncols, bool overflow)
{
	uint64_t hsize, st;
	unsigned k = varint_at(pl, pl + len, &hsize);
	n_overflow_rows += overflow;
	for (unsigned i = 0; i < ncols && k && k < hsize; i++) {
		unsigned m = varint_at(pl + k, pl + hsize, &st);
		if (!m)
			break;
		k += m;
		n_serial[st < 12 ? st : 12 + (st & 1)]++;
		if (cols[i].real && !cols[i].rowid && (st >= 1 && st <= 6 ? 1 : st == 8 || st == 9))
			n_int_as_real++;
	}
}

/*
 * sqlpage_leaves_hash reads the same bytes through a descriptor (pread, in
 * windows of pages) as through the map: every leaf alone, the whole table
 * and spans of random lengths give the same hashes both ways, and a span
 * of several leaves hashes differently from its first leaf alone.
 */
static unsigned long n_hash_leaves;

static void check_hashes(const struct sqlpage_db *pdb, uint32_t root, const uint8_t *img,
			 uint64_t size, const char *ctx)
{
	char path[300];
	snprintf(path, sizeof(path), "%s.hashimg", dbpath);
	FILE *f = fopen(path, "wb");
	CHECKF(f && fwrite(img, 1, size, f) == size, "%s: write %s", ctx, path);
	if (f)
		fclose(f);
	struct sqlpage_db fdb = *pdb;
	fdb.fd = open(path, O_RDONLY);
	CHECKF(fdb.fd >= 0, "%s: open %s", ctx, path);
	struct sqlpage_scan a, b, c;
	CHECK(sqlpage_scan_start(&a, pdb, root) == 0);
	CHECK(sqlpage_scan_start(&b, &fdb, root) == 0);
	/* c: hashed ahead by 1-3 threads in blocks of 1-4 leaves (a backup's are 16,384) */
	CHECK(sqlpage_scan_start(&c, &fdb, root) == 0);
	c.memo_block = 1 + rnd(4);
	sqlpage_scan_hash_ahead(&c, 1 + rnd(3));
	CHECK(a.nleaves == b.nleaves && a.nleaves == c.nleaves);
	uint8_t ha[16], hb[16], hc[16];
	for (size_t i = 0; i < a.nleaves && i < b.nleaves; i++) {
		int ra = sqlpage_leaves_hash(&a, i, 1, ha), rb = sqlpage_leaves_hash(&b, i, 1, hb);
		CHECKF(ra == rb && (ra || !memcmp(ha, hb, 16)), "%s: leaf %zu hashes differ by map and by pread", ctx, i);
		int rc = sqlpage_leaves_hash(&c, i, 1, hc);
		CHECKF(ra == rc && (ra || !memcmp(ha, hc, 16)), "%s: leaf %zu hashed ahead differs", ctx, i);
		n_hash_leaves++;
	}
	for (int k = 0; k < 8 && a.nleaves; k++) {
		size_t li = k ? rnd((unsigned)a.nleaves) : 0;
		size_t n = k ? 1 + rnd((unsigned)(a.nleaves - li)) : a.nleaves;
		int ra = sqlpage_leaves_hash(&a, li, n, ha), rb = sqlpage_leaves_hash(&b, li, n, hb);
		CHECKF(ra == rb && (ra || !memcmp(ha, hb, 16)), "%s: span %zu+%zu hashes differ", ctx, li, n);
		/* spans start before, inside and after c's block */
		int rc = sqlpage_leaves_hash(&c, li, n, hc);
		CHECKF(ra == rc && (ra || !memcmp(ha, hc, 16)), "%s: span %zu+%zu hashed ahead differs", ctx, li, n);
		uint8_t h1[16];
		if (!ra && n > 1 && !sqlpage_leaves_hash(&a, li, 1, h1))
			CHECKF(memcmp(h1, ha, 16), "%s: a span hashes as its first leaf", ctx);
	}
	sqlpage_scan_release(&a);
	sqlpage_scan_release(&b);
	sqlpage_scan_release(&c);
	if (fdb.fd >= 0)
		close(fdb.fd);
	unlink(path);
}

/*
 * Read table `table` (its column names, and the reader's layout) through
 * the pages and through SQLite, compare row by row.  Returns CMP_*;
 * *depth: the deepest stack the scan used.
 */
static int compare_table(sqlite3 *db, const uint8_t *img, uint64_t size, const char *table,
			 unsigned ncols, const char *const *names, const struct sqlpage_col *cols,
			 const char *ctx, int *depth)
{
	struct sqlpage_db pdb;
	uint32_t ps = img_page_size(img);
	uint32_t np = (uint32_t)(size / ps);
	/*
	 * Every other table through sqlpage_open_split(), as the backup opens
	 * it: the first np - 1 pages in a buffer of exactly that size (so the
	 * sanitizers see a read past it) and the last page in its own.
	 */
	static unsigned n_compares;
	uint8_t *head = NULL, *last = NULL;
	int rc;
	if (np >= 2 && n_compares++ % 2) {
		head = xmalloc((size_t)(np - 1) * ps);
		last = xmalloc(ps);
		memcpy(head, img, (size_t)(np - 1) * ps);
		memcpy(last, img + (size_t)(np - 1) * ps, ps);
		rc = sqlpage_open_split(&pdb, head, (uint64_t)(np - 1) * ps, np, last);
		n_split_opens++;
	} else {
		rc = sqlpage_open(&pdb, img, size, np);
	}
	CHECKF(rc == 0, "%s: sqlpage_open", ctx);
	if (rc) {
		free(head);
		free(last);
		return CMP_GIVEUP;
	}
	int64_t root = strcmp(table, "sqlite_master") ? root_of(db, table) : 1;
	CHECKF(root >= 1, "%s: root of %s", ctx, table);

	struct buf sql = BUF_INIT;
	buf_adds(&sql, "SELECT rowid");
	for (unsigned i = 0; i < ncols; i++)
		buf_addf(&sql, ", \"%s\"", names[i]);
	buf_addf(&sql, " FROM \"%s\" ORDER BY rowid", table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, (const char *)sql.data, -1, &st, NULL) != SQLITE_OK) {
		CHECKF(0, "%s: %s: %s", ctx, sql.data, sqlite3_errmsg(db));
		buf_release(&sql);
		return CMP_DIFF;
	}
	buf_release(&sql);

	struct value *vals = xcalloc(ncols + 1, sizeof(*vals));
	struct sqlpage_scan s;
	sqlpage_scan_start(&s, &pdb, (uint32_t)root);
	int result = CMP_MATCH, maxdepth = 0;
	unsigned long rows = 0, values = 0;
	for (;;) {
		int64_t rowid;
		const uint8_t *pl;
		uint32_t len;
		int r = sqlpage_scan_next(&s, &rowid, &pl, &len);
		if (s.depth > maxdepth)
			maxdepth = s.depth;
		if (r < 0) {
			CHECKF(r == SQLPAGE_GIVEUP, "%s: scan_next returned %d", ctx, r);
			result = CMP_GIVEUP;
			break;
		}
		int sr = sqlite3_step(st);
		if (r == 0) {
			if (sr != SQLITE_DONE) {
				fprintf(stderr, "  %s: reader ended after %lu rows, SQLite has more\n", ctx, rows);
				result = CMP_DIFF;
			}
			break;
		}
		if (sr != SQLITE_ROW) {
			fprintf(stderr, "  %s: reader has row %lu (rowid %lld), SQLite: %d\n", ctx, rows,
				(long long)rowid, sr);
			result = CMP_DIFF;
			break;
		}
		if (rowid != sqlite3_column_int64(st, 0)) {
			fprintf(stderr, "  %s: row %lu: rowid %lld, SQLite %lld\n", ctx, rows,
				(long long)rowid, (long long)sqlite3_column_int64(st, 0));
			result = CMP_DIFF;
			break;
		}
		if (sqlpage_record(pl, len, rowid, cols, ncols, vals)) {
			result = CMP_GIVEUP;
			break;
		}
		count_serial_types(pl, len, cols, ncols, pl == s.ovf.data);
		for (unsigned i = 0; i < ncols; i++) {
			if (!same_value(st, (int)i + 1, &vals[i], ctx, rowid))
				result = CMP_DIFF;
			values++;
		}
		if (result == CMP_DIFF)
			break;
		rows++;
	}
	sqlpage_scan_release(&s);
	sqlite3_finalize(st);
	free(vals);
	if (result == CMP_MATCH)
		check_hashes(&pdb, (uint32_t)root, img, size, ctx);
	free(head);
	free(last);
	if (depth)
		*depth = maxdepth;
	if (result == CMP_MATCH) {
		n_tables_matched++;
		n_rows_matched += rows;
		n_values_matched += values;
	}
	return result;
}

/* sqlite_master (root page 1, behind the 100-byte header): type, name, tbl_name, rootpage, sql */
static int compare_master(sqlite3 *db, const uint8_t *img, uint64_t size, const char *ctx)
{
	static const char *const names[] = { "type", "name", "tbl_name", "rootpage", "sql" };
	struct sqlpage_col cols[5] = { { false, false } };
	return compare_table(db, img, size, "sqlite_master", 5, names, cols, ctx, NULL);
}

/* ------------------------------------------------------- random databases */

static int64_t rand_int(void)
{
	static const int64_t special[] = {
		0, 1, -1, 2, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769,
		8388607, 8388608, -8388608, -8388609, INT32_MAX, (int64_t)INT32_MAX + 1, INT32_MIN,
		(int64_t)INT32_MIN - 1, 140737488355327LL, 140737488355328LL, -140737488355328LL,
		-140737488355329LL, 2251799813685248LL, 9007199254740993LL, INT64_MAX, INT64_MIN,
		INT64_MIN + 1, INT64_MAX - 1,
	};
	if (rnd(3) == 0)
		return special[rnd(sizeof(special) / sizeof(special[0]))];
	/* every serial width, both signs */
	unsigned bits = 1 + rnd(64);
	uint64_t u = rnd64();
	if (bits < 64)
		u &= (UINT64_C(1) << bits) - 1;
	if (rnd(2))
		u = ~u;
	return (int64_t)u;
}

static double rand_real(void)
{
	static const double special[] = {
		0.0, -0.0, 1.0, -1.0, 0.5, 3.0, -7.0, 1e308, -1e308, DBL_MAX, -DBL_MAX, DBL_MIN,
		5e-324, -5e-324, 0.1, 1.0 / 3, 140737488355327.0, 140737488355328.0,
		-140737488355328.0, 2251799813685247.0, 2251799813685248.0, 4503599627370496.0,
		9007199254740992.0, 9007199254740994.0, 1e18, 9223372036854775807.0,
		-9223372036854775808.0, 1e19, -1e19, 123456789.0, 1e15, 1e16,
	};
	switch (rnd(6)) {
	case 0:
	case 1:
		return special[rnd(sizeof(special) / sizeof(special[0]))];
	case 2:
		return (double)(int64_t)(rnd64() % 2000001) - 1000000.0; /* integral */
	case 3:
		return rnd(2) ? INFINITY : rnd(2) ? -INFINITY : NAN; /* NaN binds as NULL */
	case 4: {
		/* any bit pattern (a NaN binds as NULL) */
		uint64_t u = rnd64();
		double d;
		memcpy(&d, &u, sizeof(d));
		return d;
	}
	default: {
		/* a fraction times 10^-20 .. 10^19 (no libm in the link) */
		double d = (double)rnd64() / 18446744073709551616.0 - 0.5;
		for (int e = (int)rnd(40) - 20; e; e += e < 0 ? 1 : -1)
			d = e < 0 ? d / 10 : d * 10;
		return d;
	}
	}
}

/* A value length: empty, small, around a page, several pages (overflow chains). */
static size_t rand_len(unsigned ps, size_t *budget)
{
	size_t n;
	switch (rnd(10)) {
	case 0:
		n = 0;
		break;
	case 1:
	case 2:
	case 3:
	case 4:
		n = rnd(24);
		break;
	case 5:
		n = rnd(300);
		break;
	case 6:
		n = rnd(ps);
		break;
	case 7: /* around the largest payload kept on the page */
		n = ps - 80 + rnd(80);
		break;
	case 8:
		n = ps + rnd(3 * ps);
		break;
	default:
		n = rnd(ps < 4096 ? ps * 5 : 4096) + rnd(100);
		break;
	}
	if (n > *budget)
		n = rnd(32);
	*budget -= n < *budget ? n : *budget;
	return n;
}

static void rand_text(uint8_t *p, size_t n)
{
	static const char *numeric[] = { "123", "-5", "1.5", "1e3", " 7 ", "0x1F", "-0", "1.0",
		"9223372036854775807", "9223372036854775808", "-9223372036854775809", "3.0e0",
		"\xc3\xa9t\xc3\xa9", "12abc", "", "+4", ".5", "5." };
	int mode = (int)rnd(6);
	if (n < 24 && mode == 0) {
		const char *s = numeric[rnd(sizeof(numeric) / sizeof(numeric[0]))];
		size_t l = strlen(s) < n ? strlen(s) : n;
		memcpy(p, s, l);
		memset(p + l, ' ', n - l);
		return;
	}
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)('a' + rnd(26));
	if (mode == 1 && n) /* embedded NULs */
		for (unsigned k = 0, m = 1 + rnd(4); k < m; k++)
			p[rnd((unsigned)n)] = 0;
	if (mode == 2 && n >= 2)
		memcpy(p + rnd((unsigned)n - 1), "\xc3\xa9", 2);
}

/* Bind a random value of any type (SQLite is dynamically typed; affinity decides). */
static void bind_random(sqlite3_stmt *st, int idx, unsigned ps, size_t *budget)
{
	switch (rnd(10)) {
	case 0:
		sqlite3_bind_null(st, idx);
		break;
	case 1:
	case 2:
		sqlite3_bind_int64(st, idx, rand_int());
		break;
	case 3:
	case 4:
		sqlite3_bind_double(st, idx, rand_real());
		break;
	case 5:
	case 6:
	case 7: {
		size_t n = rand_len(ps, budget);
		uint8_t *p = xmalloc(n + 1);
		rand_text(p, n);
		sqlite3_bind_text(st, idx, (const char *)p, (int)n, SQLITE_TRANSIENT);
		free(p);
		break;
	}
	default: {
		size_t n = rand_len(ps, budget);
		uint8_t *p = xmalloc(n + 1);
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)rnd64();
		if (rnd(8) == 0)
			sqlite3_bind_zeroblob(st, idx, (int)n);
		else
			sqlite3_bind_blob(st, idx, p, (int)n, SQLITE_TRANSIENT);
		free(p);
		break;
	}
	}
}

static void bind_rowid(sqlite3_stmt *st, int idx, bool autoinc)
{
	switch (rnd(10)) {
	case 6:
	case 7:
		sqlite3_bind_int64(st, idx, (int64_t)rnd(1000) - 200);
		break;
	case 8: {
		int64_t v = rand_int();
		if (autoinc && v > INT64_MAX / 2)
			v /= 2; /* leave AUTOINCREMENT room for the next rowid */
		sqlite3_bind_int64(st, idx, v);
		break;
	}
	case 9:
		sqlite3_bind_int64(st, idx, rnd(2) ? INT64_MIN : autoinc ? -1 : INT64_MAX);
		break;
	default:
		sqlite3_bind_null(st, idx); /* the next rowid */
		break;
	}
}

static const char *const col_types[] = {
	"INTEGER", "INT", "REAL", "DOUBLE PRECISION", "FLOAT", "NUMERIC", "TEXT", "BLOB", "",
	"FLOATING POINT", "CHARINT", "VARCHAR(20)", "DECIMAL(10,5)", "BOOLEAN", "DATE", "DOUBLE",
	"real", "floaty", "REALTEXT", "BLOBREAL", "REALBLOB", "BIGINT", "ANY", "\"DOUBLE PRECISION\"",
};
#define NTYPES (sizeof(col_types) / sizeof(col_types[0]))

/* How the primary key is declared: the rowid alias or not (SQLite makes an index then). */
enum pk_kind {
	PK_NONE, PK_IPK, PK_IPK_DESC, PK_IPK_ASC, PK_IPK_AUTOINC, PK_TABLE_DESC, PK_INT, PK_REAL,
	PK_COMPOSITE, PK_KINDS
};

struct table_def {
	const char *name;
	unsigned ncols;
	char *names[12];
	const char *type[12];
	int pk_kind;
	int pkcol;    /* the primary key column, -1 none */
	bool alias;   /* pkcol is the rowid */
	bool autoinc;
	struct sqlpage_col cols[12];
};

static void table_create(sqlite3 *db, struct table_def *t, const char *name)
{
	struct buf sql = BUF_INIT;
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->ncols = 1 + rnd(rnd(3) ? 6 : 12);
	t->pk_kind = (int)rnd(PK_KINDS + 2) % PK_KINDS;
	t->pkcol = t->pk_kind == PK_NONE ? -1 : (int)rnd(t->ncols);
	if (t->pk_kind == PK_COMPOSITE && t->ncols < 2)
		t->pk_kind = PK_NONE, t->pkcol = -1;
	buf_addf(&sql, "CREATE TABLE %s(", name);
	for (unsigned i = 0; i < t->ncols; i++) {
		t->names[i] = xasprintf("c%u", i);
		t->type[i] = col_types[rnd(NTYPES)];
		const char *extra = "";
		if ((int)i == t->pkcol) {
			switch (t->pk_kind) {
			case PK_IPK:
				t->type[i] = "INTEGER";
				extra = " PRIMARY KEY";
				t->alias = true;
				break;
			case PK_IPK_DESC: t->type[i] = "INTEGER"; extra = " PRIMARY KEY DESC"; break;
			case PK_IPK_ASC:
				t->type[i] = "integer";
				extra = " primary key asc";
				t->alias = true;
				break;
			case PK_IPK_AUTOINC:
				t->type[i] = "INTEGER";
				extra = " PRIMARY KEY AUTOINCREMENT";
				t->alias = t->autoinc = true;
				break;
			case PK_TABLE_DESC: t->type[i] = "INTEGER"; t->alias = true; break;
			case PK_INT: t->type[i] = "INT"; extra = " PRIMARY KEY"; break;
			case PK_REAL: t->type[i] = "REAL"; extra = " PRIMARY KEY"; break;
			default: break;
			}
		}
		buf_addf(&sql, "%s%s %s%s", i ? ", " : "", t->names[i], t->type[i], extra);
	}
	if (t->pk_kind == PK_TABLE_DESC)
		buf_addf(&sql, ", PRIMARY KEY(%s DESC)", t->names[t->pkcol]);
	if (t->pk_kind == PK_COMPOSITE)
		buf_addf(&sql, ", PRIMARY KEY(%s, %s)", t->names[t->pkcol],
			 t->names[(t->pkcol + 1) % (int)t->ncols]);
	buf_adds(&sql, ")");
	exec(db, (const char *)sql.data);
	buf_release(&sql);

	/* the reader's layout, as the backup derives it: the declared types of
	 * PRAGMA table_info; the alias exactly when SQLite made no index for it */
	char *q = xasprintf("SELECT count(*) FROM pragma_index_list('%s') WHERE origin='pk'", name);
	int64_t pkidx = qint(db, q);
	free(q);
	CHECKF((pkidx == 0) == (t->pk_kind == PK_NONE || t->alias), "pk kind %d: %lld pk indexes",
	       t->pk_kind, (long long)pkidx);
	sqlite3_stmt *st;
	q = xasprintf("SELECT type FROM pragma_table_info('%s') ORDER BY cid", name);
	CHECK(sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK);
	free(q);
	for (unsigned i = 0; i < t->ncols && sqlite3_step(st) == SQLITE_ROW; i++) {
		const char *decl = (const char *)sqlite3_column_text(st, 0);
		t->cols[i].real = sqlpage_real_affinity(decl);
		t->cols[i].rowid = t->alias && (int)i == t->pkcol;
		if (t->cols[i].rowid)
			t->cols[i].real = false;
	}
	sqlite3_finalize(st);
}

static void table_free(struct table_def *t)
{
	for (unsigned i = 0; i < t->ncols; i++)
		free(t->names[i]);
}

static sqlite3_stmt *insert_stmt(sqlite3 *db, const struct table_def *t)
{
	struct buf sql = BUF_INIT;
	sqlite3_stmt *st;
	buf_addf(&sql, "INSERT OR REPLACE INTO %s(%s", t->name, t->alias ? "" : "rowid");
	for (unsigned i = 0; i < t->ncols; i++)
		buf_addf(&sql, "%s%s", i || !t->alias ? ", " : "", t->names[i]);
	buf_adds(&sql, ") VALUES (");
	for (unsigned i = 0; i < t->ncols + !t->alias; i++)
		buf_addf(&sql, "%s?", i ? ", " : "");
	buf_adds(&sql, ")");
	CHECKF(sqlite3_prepare_v2(db, (const char *)sql.data, -1, &st, NULL) == SQLITE_OK, "%s: %s",
	       sql.data, sqlite3_errmsg(db));
	buf_release(&sql);
	return st;
}

static void insert_row(sqlite3 *db, const struct table_def *t, sqlite3_stmt *st, unsigned ps,
		       size_t *budget)
{
	int k = 1;
	if (!t->alias)
		bind_rowid(st, k++, false);
	for (unsigned i = 0; i < t->ncols; i++, k++) {
		if (t->cols[i].rowid)
			bind_rowid(st, k, t->autoinc);
		else
			bind_random(st, k, ps, budget);
	}
	int rc = sqlite3_step(st);
	CHECKF(rc == SQLITE_DONE, "insert into %s: %s", t->name, sqlite3_errmsg(db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int64_t *all_rowids(sqlite3 *db, const char *table, size_t *n)
{
	char *q = xasprintf("SELECT rowid FROM %s", table);
	sqlite3_stmt *st;
	size_t cap = 64;
	int64_t *ids = xmalloc(cap * sizeof(*ids));
	*n = 0;
	CHECK(sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK);
	free(q);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap)
			ids = xrealloc(ids, (cap *= 2) * sizeof(*ids));
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return ids;
}

/* Delete a random share of the rows (freeblocks, emptied pages, rebalancing). */
static void delete_some(sqlite3 *db, const struct table_def *t)
{
	size_t n;
	int64_t *ids = all_rowids(db, t->name, &n);
	unsigned pct = (unsigned[]){ 5, 30, 60, 95 }[rnd(4)];
	char *q = xasprintf("DELETE FROM %s WHERE rowid=?", t->name);
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK);
	free(q);
	for (size_t i = 0; i < n; i++) {
		if (rnd(100) >= pct)
			continue;
		sqlite3_bind_int64(st, 1, ids[i]);
		CHECK(sqlite3_step(st) == SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	free(ids);
}

/* Updates that mostly grow values (cells move, overflow chains appear). */
static void update_some(sqlite3 *db, const struct table_def *t, unsigned ps, size_t *budget)
{
	size_t n;
	int64_t *ids = all_rowids(db, t->name, &n);
	for (unsigned k = 0, m = (unsigned)(n / 4) + 1; k < m && n; k++) {
		unsigned c = rnd(t->ncols);
		if (t->cols[c].rowid)
			continue;
		char *q = xasprintf("UPDATE OR REPLACE %s SET %s=? WHERE rowid=?", t->name, t->names[c]);
		sqlite3_stmt *st;
		CHECK(sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK);
		free(q);
		if (rnd(2)) {
			size_t len = rnd(2) ? ps / 2 + rnd(2 * ps) : rnd(200);
			if (len > *budget)
				len = rnd(40);
			*budget -= len < *budget ? len : *budget;
			uint8_t *p = xmalloc(len + 1);
			rand_text(p, len);
			sqlite3_bind_text(st, 1, (const char *)p, (int)len, SQLITE_TRANSIENT);
			free(p);
		} else {
			bind_random(st, 1, ps, budget);
		}
		sqlite3_bind_int64(st, 2, ids[rnd((unsigned)n)]);
		int rc = sqlite3_step(st);
		CHECKF(rc == SQLITE_DONE, "update: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
	}
	free(ids);
}

static const unsigned page_sizes[] = { 512, 1024, 4096, 65536 };

/* One random database: one or two tables, compared with SQLite, and sqlite_master. */
static void random_db(unsigned iter)
{
	unsigned ps = page_sizes[iter % 4];
	int reserve = (int[]){ 0, 8, 32, -1 }[(iter / 4) % 4];
	int autovac = (int)((iter / 16) % 3);
	sqlite3 *db = new_db(ps, reserve, autovac, NULL);
	size_t budget = ps == 65536 ? (3u << 20) : ps >= 4096 ? (1u << 20) : (512u << 10);
	unsigned nrows = rnd(8) == 0 ? 0 : rnd(4) == 0 ? rnd(1500) : rnd(150);
	if (ps == 65536 && nrows > 300)
		nrows = 300;
	struct table_def t, u;
	bool two = rnd(3) == 0;
	char ctx[128];

	exec(db, "BEGIN");
	table_create(db, &t, "t");
	if (two)
		table_create(db, &u, "u");
	sqlite3_stmt *it = insert_stmt(db, &t), *iu = two ? insert_stmt(db, &u) : NULL;
	for (unsigned r = 0; r < nrows; r++) {
		insert_row(db, &t, it, ps, &budget);
		if (two && rnd(2)) /* interleaved: the tables' pages mix */
			insert_row(db, &u, iu, ps, &budget);
	}
	sqlite3_finalize(it);
	sqlite3_finalize(iu);
	if (rnd(2))
		delete_some(db, &t);
	if (rnd(2))
		update_some(db, &t, ps, &budget);
	if (two && rnd(2))
		delete_some(db, &u);
	exec(db, "COMMIT");
	bool vacuumed = rnd(5) == 0;
	if (vacuumed)
		exec(db, "VACUUM");
	if (autovac == 2 && rnd(2))
		exec(db, "PRAGMA incremental_vacuum(5)");

	uint64_t size;
	uint8_t *img = db_image(db, &size);
	snprintf(ctx, sizeof(ctx), "db %u (page %u, reserve %d, autovac %d, %u rows, pk %d%s) t",
		 iter, ps, reserve, autovac, nrows, t.pk_kind, vacuumed ? ", vacuum" : "");
	CHECK(size % ps == 0 && img_page_size(img) == ps);
	if (reserve >= 0)
		CHECKF(img[20] == reserve, "%s: reserved bytes %d, header says %u", ctx, reserve, img[20]);
	CHECK(be32(img + 52) != 0 ? autovac != 0 : autovac == 0); /* largest root page: auto-vacuum */
	int r = compare_table(db, img, size, "t", t.ncols, (const char *const *)t.names, t.cols, ctx,
			      NULL);
	CHECKF(r == CMP_MATCH, "%s: %s", ctx, r == CMP_GIVEUP ? "gave up" : "differs");
	if (two) {
		ctx[strlen(ctx) - 1] = 'u';
		r = compare_table(db, img, size, "u", u.ncols, (const char *const *)u.names, u.cols,
				  ctx, NULL);
		CHECKF(r == CMP_MATCH, "%s: %s", ctx, r == CMP_GIVEUP ? "gave up" : "differs");
	}
	r = compare_master(db, img, size, ctx);
	CHECKF(r == CMP_MATCH, "%s sqlite_master: %s", ctx, r == CMP_GIVEUP ? "gave up" : "differs");

	free(img);
	table_free(&t);
	if (two)
		table_free(&u);
	sqlite3_close(db);
}

/* ------------------------------------------------------- specific schemas */

/* Every value kind in every column kind, a row each, at every page size. */
static void test_value_matrix(void)
{
	static const char *const types[] = { "REAL", "DOUBLE PRECISION", "FLOAT", "NUMERIC", "TEXT",
		"BLOB", "", "FLOATING POINT", "CHARINT", "INTEGER", "\"DOUBLE PRECISION\"", "floaty" };
	enum { NT = sizeof(types) / sizeof(types[0]) };
	const char *names[NT];
	struct sqlpage_col cols[NT];
	char nb[NT][8];
	for (unsigned ps_i = 0; ps_i < 4; ps_i++) {
		unsigned ps = page_sizes[ps_i];
		sqlite3 *db = new_db(ps, -1, 0, NULL);
		struct buf sql = BUF_INIT;
		buf_adds(&sql, "CREATE TABLE t(");
		for (unsigned i = 0; i < NT; i++) {
			snprintf(nb[i], sizeof(nb[i]), "v%u", i);
			names[i] = nb[i];
			cols[i].rowid = false;
			cols[i].real = sqlpage_real_affinity(types[i]);
			buf_addf(&sql, "%s%s %s", i ? ", " : "", nb[i], types[i]);
		}
		buf_adds(&sql, ")");
		exec(db, (const char *)sql.data);
		buf_reset(&sql);
		buf_adds(&sql, "INSERT INTO t(rowid");
		for (unsigned i = 0; i < NT; i++)
			buf_addf(&sql, ", v%u", i);
		buf_adds(&sql, ") VALUES (?");
		for (unsigned i = 0; i < NT; i++)
			buf_adds(&sql, ", ?1000");
		buf_adds(&sql, ")");
		sqlite3_stmt *st;
		CHECK(sqlite3_prepare_v2(db, (const char *)sql.data, -1, &st, NULL) == SQLITE_OK);
		buf_release(&sql);
		exec(db, "BEGIN");
		static const int64_t ints[] = { 0, 1, -1, 2, 127, -128, 128, 32767, -32768, 32768,
			8388607, -8388608, 8388608, 2147483647, -2147483648LL, 2147483648LL,
			140737488355327LL, -140737488355328LL, 140737488355328LL, INT64_MAX, INT64_MIN };
		static const double reals[] = { 0.0, -0.0, 1.0, 1e308, -1e308, 5e-324, 0.1, 3.0, -3.0,
			140737488355328.0, 9223372036854775808.0, 1e300 * 1e10, -1e300 * 1e10, 2.5 };
		static const char *texts[] = { "", "x", "12", "-0", "1e3", "3.0", " 5", "0x10", "abc",
			"9223372036854775808", "1.5e400" };
		int64_t rowid = -1000;
		for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++, rowid += 7) {
			sqlite3_bind_int64(st, 1, rowid);
			sqlite3_bind_int64(st, 1000, ints[k]);
			CHECK(sqlite3_step(st) == SQLITE_DONE);
			sqlite3_reset(st);
		}
		for (size_t k = 0; k < sizeof(reals) / sizeof(reals[0]); k++, rowid += 7) {
			sqlite3_bind_int64(st, 1, rowid);
			sqlite3_bind_double(st, 1000, reals[k]);
			CHECK(sqlite3_step(st) == SQLITE_DONE);
			sqlite3_reset(st);
		}
		for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++, rowid += 7) {
			sqlite3_bind_int64(st, 1, rowid);
			sqlite3_bind_text(st, 1000, texts[k], -1, SQLITE_STATIC);
			CHECK(sqlite3_step(st) == SQLITE_DONE);
			sqlite3_reset(st);
		}
		/* text with NULs, blobs, empty and several pages long (overflow chains) */
		size_t lens[] = { 0, 1, ps / 8, ps - 100, ps - 36, ps - 35, ps - 34, ps, 3 * ps + 17 };
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			size_t n = lens[k] > 200000 ? 200000 : lens[k];
			uint8_t *p = xmalloc(n + 1);
			for (size_t i = 0; i < n; i++)
				p[i] = (uint8_t)(i % 7 == 3 ? 0 : 'a' + i % 26);
			sqlite3_bind_int64(st, 1, rowid += 7);
			sqlite3_bind_text(st, 1000, (const char *)p, (int)n, SQLITE_TRANSIENT);
			CHECK(sqlite3_step(st) == SQLITE_DONE);
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, rowid += 7);
			sqlite3_bind_blob(st, 1000, p, (int)n, SQLITE_TRANSIENT);
			CHECK(sqlite3_step(st) == SQLITE_DONE);
			sqlite3_reset(st);
			free(p);
		}
		sqlite3_bind_int64(st, 1, INT64_MAX);
		sqlite3_bind_null(st, 1000);
		CHECK(sqlite3_step(st) == SQLITE_DONE);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, INT64_MIN);
		sqlite3_bind_int64(st, 1000, 1);
		CHECK(sqlite3_step(st) == SQLITE_DONE);
		sqlite3_finalize(st);
		exec(db, "COMMIT");

		/* a REAL column reads numbers back as REALs only */
		CHECK(qint(db, "SELECT count(*) FROM t WHERE typeof(v0)='real'") ==
		      qint(db, "SELECT count(*) FROM t WHERE typeof(v0) IN ('real','integer')"));

		uint64_t size;
		uint8_t *img = db_image(db, &size);
		char ctx[64];
		snprintf(ctx, sizeof(ctx), "value matrix, page %u", ps);
		int r = compare_table(db, img, size, "t", NT, names, cols, ctx, NULL);
		CHECKF(r == CMP_MATCH, "%s: %s", ctx, r == CMP_GIVEUP ? "gave up" : "differs");
		free(img);
		sqlite3_close(db);
	}
}

/*
 * The record forms behind the value matrix, written by hand: every serial
 * type, REAL affinity over each integer form, the rowid column.
 */
static void test_record_direct(void)
{
	struct value v[8];
	struct sqlpage_col plain[8] = { { false, false } }, real[4], rid[4] = { { true, false } };
	for (int i = 0; i < 4; i++)
		real[i] = (struct sqlpage_col){ false, true };

	/* each integer width, sign-extended */
	static const struct {
		uint8_t st;
		uint8_t bytes[8];
		int64_t want;
	} ints[] = {
		{ 1, { 0x80 }, -128 },
		{ 1, { 0x7f }, 127 },
		{ 2, { 0xff, 0xfe }, -2 },
		{ 3, { 0x80, 0, 0 }, -8388608 },
		{ 3, { 0x7f, 0xff, 0xff }, 8388607 },
		{ 4, { 0x80, 0, 0, 0 }, INT32_MIN },
		{ 5, { 0x80, 0, 0, 0, 0, 0 }, -140737488355328LL },
		{ 5, { 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff }, 140737488355327LL },
		{ 6, { 0x80, 0, 0, 0, 0, 0, 0, 0 }, INT64_MIN },
		{ 6, { 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, INT64_MAX },
		{ 8, { 0 }, 0 },
		{ 9, { 0 }, 1 },
	};
	for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++) {
		static const unsigned sz[] = { 0, 1, 2, 3, 4, 6, 8, 8, 0, 0 };
		uint8_t rec[16] = { 2, ints[k].st };
		memcpy(rec + 2, ints[k].bytes, sz[ints[k].st]);
		uint32_t len = 2 + sz[ints[k].st];
		CHECK(sqlpage_record(rec, len, 5, plain, 1, v) == 0 && v[0].type == VAL_INT &&
		      v[0].i == ints[k].want);
		CHECK(sqlpage_record(rec, len, 5, real, 1, v) == 0 && v[0].type == VAL_REAL &&
		      v[0].r == (double)ints[k].want);
		/* one byte short, one byte long */
		CHECK(sqlpage_record(rec, len - 1, 5, plain, 1, v) == SQLPAGE_GIVEUP || sz[ints[k].st] == 0);
		CHECK(sqlpage_record(rec, len + 1, 5, plain, 1, v) == SQLPAGE_GIVEUP);
	}
	/* a float, NaN, -0.0 */
	{
		uint8_t rec[10] = { 2, 7, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0 }; /* 1.5 */
		CHECK(sqlpage_record(rec, 10, 1, plain, 1, v) == 0 && v[0].type == VAL_REAL &&
		      v[0].r == 1.5);
		rec[2] = 0x80;
		rec[3] = 0;
		CHECK(sqlpage_record(rec, 10, 1, plain, 1, v) == 0 && v[0].type == VAL_REAL &&
		      v[0].r == 0 && signbit(v[0].r));
		rec[2] = 0x7f;
		rec[3] = 0xf8; /* NaN: SQLite reads it as NULL; the reader gives up */
		CHECK(sqlpage_record(rec, 10, 1, plain, 1, v) == SQLPAGE_GIVEUP);
		rec[3] = 0xf0; /* +inf */
		CHECK(sqlpage_record(rec, 10, 1, plain, 1, v) == 0 && isinf(v[0].r) && v[0].r > 0);
	}
	/* NULL, text with a NUL, a blob, the rowid column */
	{
		/* header of 5 bytes: NULL, TEXT of 2 (17), BLOB of 2 (16), NULL */
		uint8_t rec[] = { 5, 0, 17, 16, 0, 'a', 0, 0xde, 0xad };
		CHECK(sqlpage_record(rec, sizeof(rec), 9, plain, 4, v) == 0);
		CHECK(v[0].type == VAL_NULL && v[3].type == VAL_NULL);
		CHECK(v[1].type == VAL_TEXT && v[1].n == 2 && v[1].p == rec + 5 && !memcmp(v[1].p, "a\0", 2));
		CHECK(v[2].type == VAL_BLOB && v[2].n == 2 && v[2].p == rec + 7);
		/* the blob one byte short */
		CHECK(sqlpage_record(rec, sizeof(rec) - 1, 9, plain, 4, v) == SQLPAGE_GIVEUP);
		CHECK(sqlpage_record(rec, sizeof(rec), 9, rid, 4, v) == 0 && v[0].type == VAL_INT &&
		      v[0].i == 9);
		/* the rowid column must be NULL on disk */
		struct sqlpage_col r2[4] = { { false, false }, { true, false } };
		CHECK(sqlpage_record(rec, sizeof(rec), 9, r2, 4, v) == SQLPAGE_GIVEUP);
		/* fewer fields than columns (ALTER TABLE ADD COLUMN), more fields */
		CHECK(sqlpage_record(rec, sizeof(rec), 9, plain, 3, v) == SQLPAGE_GIVEUP);
		uint8_t rec5[] = { 6, 0, 17, 16, 0, 0, 'a', 0, 0xde, 0xad }; /* 5 fields */
		CHECK(sqlpage_record(rec5, sizeof(rec5), 9, plain, 4, v) == SQLPAGE_GIVEUP);
		CHECK(sqlpage_record(rec5, sizeof(rec5), 9, plain, 5, v) == 0);
	}
	/* reserved serial types, a header bigger than the record or than itself */
	{
		uint8_t r10[] = { 2, 10 }, r11[] = { 2, 11 }, big[] = { 9, 0 }, self[] = { 0 };
		CHECK(sqlpage_record(r10, 2, 1, plain, 1, v) == SQLPAGE_GIVEUP);
		CHECK(sqlpage_record(r11, 2, 1, plain, 1, v) == SQLPAGE_GIVEUP);
		CHECK(sqlpage_record(big, 2, 1, plain, 1, v) == SQLPAGE_GIVEUP);
		CHECK(sqlpage_record(self, 1, 1, plain, 0, v) == SQLPAGE_GIVEUP);
		CHECK(sqlpage_record(self, 0, 1, plain, 0, v) == SQLPAGE_GIVEUP);
		uint8_t none[] = { 1 };
		CHECK(sqlpage_record(none, 1, 1, plain, 0, v) == 0);
		/* a 9-byte serial type: a length near 2^63 */
		uint8_t huge[] = { 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x' };
		CHECK(sqlpage_record(huge, sizeof(huge), 1, plain, 1, v) == SQLPAGE_GIVEUP);
		/* a header size in a varint running past the end, after 2 and after 8 bytes */
		uint8_t cut[] = { 0x81, 0x81 }, cut8[] = { 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81 };
		CHECK(sqlpage_record(cut, 2, 1, plain, 0, v) == SQLPAGE_GIVEUP);
		CHECK(sqlpage_record(cut8, 8, 1, plain, 0, v) == SQLPAGE_GIVEUP);
		/* a serial type running past the header */
		uint8_t st_cut[] = { 2, 0x81, 0x01 };
		CHECK(sqlpage_record(st_cut, 3, 1, plain, 1, v) == SQLPAGE_GIVEUP);
		/* a 2-byte header size (a record of many columns) */
		uint8_t two[] = { 0x80, 3, 1, 0x2a };
		CHECK(sqlpage_record(two, 4, 1, plain, 1, v) == 0 && v[0].type == VAL_INT && v[0].i == 42);
	}
}

/* 50,000 small rows on 512-byte pages: a deep tree. */
static void test_deep_tree(void)
{
	sqlite3 *db = new_db(512, 0, 0, NULL);
	exec(db, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL, d)");
	exec(db, "CREATE TABLE n(x, y)");
	exec(db, "BEGIN");
	sqlite3_stmt *st, *sn;
	CHECK(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?, ?, ?, ?)", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "INSERT INTO n(rowid, x, y) VALUES (?, ?, ?)", -1, &sn, NULL) ==
	      SQLITE_OK);
	char txt[32];
	for (int i = 0; i < 50000; i++) {
		snprintf(txt, sizeof(txt), "row %d", i);
		sqlite3_bind_int64(st, 1, (int64_t)i * 3 - 70000);
		sqlite3_bind_text(st, 2, txt, -1, SQLITE_TRANSIENT);
		sqlite3_bind_double(st, 3, i % 3 ? i / 7.0 : (double)i);
		if (i % 5)
			sqlite3_bind_int64(st, 4, i);
		CHECK(sqlite3_step(st) == SQLITE_DONE);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		/* random 64-bit rowids: 9-byte varint keys, fuller interior pages */
		sqlite3_bind_int64(sn, 1, (int64_t)rnd64());
		sqlite3_bind_int64(sn, 2, i);
		sqlite3_bind_text(sn, 3, txt, -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(sn);
		CHECK(rc == SQLITE_DONE);
		sqlite3_reset(sn);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(sn);
	exec(db, "COMMIT");
	uint64_t size;
	uint8_t *img = db_image(db, &size);
	static const char *const nt[] = { "a", "b", "c", "d" }, *const nn[] = { "x", "y" };
	struct sqlpage_col ct[4] = { { true, false }, { false, false }, { false, true },
				     { false, false } };
	struct sqlpage_col cn[2] = { { false, false } };
	int depth = 0;
	int r = compare_table(db, img, size, "t", 4, nt, ct, "deep tree t", &depth);
	CHECKF(r == CMP_MATCH, "deep tree t: %d", r);
	CHECKF(depth >= 2, "deep tree t: depth %d", depth); /* 0-based: three levels */
	r = compare_table(db, img, size, "n", 2, nn, cn, "deep tree n", &depth);
	CHECKF(r == CMP_MATCH, "deep tree n: %d", r);
	CHECKF(depth >= 2, "deep tree n: depth %d", depth);
	CHECK(qint(db, "SELECT count(*) FROM t") == 50000);
	free(img);
	sqlite3_close(db);
}

/*
 * A wide table (300 columns: record headers over 127 bytes, so a 2-byte
 * header size), and a schema of 150 tables, so that sqlite_master spans
 * several pages and page 1 (its b-tree header at offset 100) is interior.
 */
static void test_wide_and_master(void)
{
	enum { NC = 300 };
	sqlite3 *db = new_db(1024, 8, 1, NULL);
	struct buf sql = BUF_INIT;
	char **names = xcalloc(NC, sizeof(char *));
	struct sqlpage_col *cols = xcalloc(NC, sizeof(*cols));
	buf_adds(&sql, "CREATE TABLE wide(");
	for (unsigned i = 0; i < NC; i++) {
		const char *type = col_types[i % NTYPES];
		names[i] = xasprintf("w%u", i);
		cols[i].real = sqlpage_real_affinity(type);
		buf_addf(&sql, "%s%s %s", i ? ", " : "", names[i], type);
	}
	buf_adds(&sql, ")");
	exec(db, (const char *)sql.data);
	buf_reset(&sql);
	buf_adds(&sql, "INSERT INTO wide VALUES (?");
	for (unsigned i = 1; i < NC; i++)
		buf_adds(&sql, ", ?");
	buf_adds(&sql, ")");
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(db, (const char *)sql.data, -1, &st, NULL) == SQLITE_OK);
	exec(db, "BEGIN");
	for (int r = 0; r < 40; r++) {
		size_t budget = 1u << 16;
		for (int i = 1; i <= NC; i++)
			bind_random(st, i, 1024, &budget);
		CHECK(sqlite3_step(st) == SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	for (int k = 0; k < 150; k++) {
		buf_reset(&sql);
		buf_addf(&sql, "CREATE TABLE s%d(a INTEGER PRIMARY KEY, b REAL, c TEXT, d, e, f, g, h, "
			       "a_long_column_name_to_make_the_schema_bigger_%d)", k, k);
		exec(db, (const char *)sql.data);
	}
	exec(db, "INSERT INTO s7(b, c) VALUES (1, 'x'), (2.5, NULL)");
	exec(db, "COMMIT");
	buf_release(&sql);
	uint64_t size;
	uint8_t *img = db_image(db, &size);
	CHECK(img[100] == 0x05); /* page 1 is an interior page */
	int r = compare_table(db, img, size, "wide", NC, (const char *const *)names, cols, "wide", NULL);
	CHECKF(r == CMP_MATCH, "wide table: %d", r);
	r = compare_master(db, img, size, "150 tables");
	CHECKF(r == CMP_MATCH, "sqlite_master over several pages: %d", r);
	static const char *const s7[] = { "a", "b", "c" };
	struct sqlpage_col c7[9] = { { true, false }, { false, true } };
	r = compare_table(db, img, size, "s7", 3, s7, c7, "s7", NULL);
	CHECKF(r == CMP_GIVEUP, "s7 read with 3 of its 9 columns: %d", r); /* more fields than columns */
	free(img);
	for (unsigned i = 0; i < NC; i++)
		free(names[i]);
	free(names);
	free(cols);
	sqlite3_close(db);
}

/*
 * Tables the reader must give up on or read like SQLite: after ALTER TABLE
 * ADD COLUMN (old rows have fewer fields), a WITHOUT ROWID table and an
 * index (not table b-trees).
 */
static void test_giveups(void)
{
	sqlite3 *db = new_db(1024, -1, 0, NULL);
	exec(db, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)");
	exec(db, "INSERT INTO t(b) VALUES ('one'), ('two'), (NULL)");
	exec(db, "ALTER TABLE t ADD COLUMN x DEFAULT 5");
	exec(db, "ALTER TABLE t ADD COLUMN y REAL DEFAULT 2");
	exec(db, "INSERT INTO t(b, x, y) VALUES ('three', 6, 7)");
	exec(db, "CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID");
	exec(db, "INSERT INTO w VALUES ('a', 1), ('b', 2)");
	exec(db, "CREATE TABLE i(k, v)");
	exec(db, "CREATE INDEX i_k ON i(k)");
	exec(db, "INSERT INTO i VALUES ('a', 1), ('b', 2)");
	uint64_t size;
	uint8_t *img = db_image(db, &size);
	static const char *const names[] = { "a", "b", "x", "y" };
	struct sqlpage_col cols[4] = { { true, false }, { false, false }, { false, false },
				       { false, true } };
	int r = compare_table(db, img, size, "t", 4, names, cols, "added columns", NULL);
	CHECKF(r != CMP_DIFF, "added columns: the reader differs from SQLite");
	CHECKF(r == CMP_GIVEUP, "added columns: by design the reader gives up (%d)", r);

	struct sqlpage_db pdb;
	CHECK(sqlpage_open(&pdb, img, size, (uint32_t)(size / 1024)) == 0);
	for (int k = 0; k < 2; k++) {
		int64_t root = root_of(db, k ? "i_k" : "w");
		struct sqlpage_scan s;
		int64_t rowid;
		const uint8_t *pl;
		uint32_t len;
		sqlpage_scan_start(&s, &pdb, (uint32_t)root);
		CHECKF(sqlpage_scan_next(&s, &rowid, &pl, &len) == SQLPAGE_GIVEUP, "%s: not a table b-tree",
		       k ? "index" : "WITHOUT ROWID");
		CHECK(sqlpage_scan_next(&s, &rowid, &pl, &len) == SQLPAGE_GIVEUP); /* and stays so */
		sqlpage_scan_release(&s);
	}
	free(img);
	sqlite3_close(db);

	/* rows inserted after the ALTER only: read like SQLite */
	db = new_db(512, -1, 0, NULL);
	exec(db, "CREATE TABLE t(a, b)");
	exec(db, "ALTER TABLE t ADD COLUMN x DEFAULT 5");
	exec(db, "INSERT INTO t(a, b) VALUES (1, 2), (3, 4)");
	img = db_image(db, &size);
	struct sqlpage_col c3[3] = { { false, false } };
	static const char *const n3[] = { "a", "b", "x" };
	r = compare_table(db, img, size, "t", 3, n3, c3, "added column, new rows", NULL);
	CHECKF(r == CMP_MATCH, "added column, new rows: %d", r);
	free(img);
	sqlite3_close(db);
}

/* ------------------------------------------------------ sqlpage_real_affinity */

static void test_real_affinity(void)
{
	static const char *const types[] = {
		"REAL", "real", "Real", "FLOAT", "DOUBLE", "DOUB", "DOUBLE PRECISION", "FLOATING POINT",
		"INT", "INTEGER", "BIGINT", "TINYINT", "UNSIGNED BIG INT", "INT2", "CHARACTER(20)",
		"VARCHAR", "VARCHAR(255)", "NCHAR(55)", "CLOB", "TEXT", "BLOB", "", "NUMERIC",
		"DECIMAL(10,5)", "BOOLEAN", "DATE", "DATETIME", "REALTEXT", "TEXTREAL", "BLOBREAL",
		"REALBLOB", "doubleint", "xfloa", "floaty", "flo", "POINT", "ANY", "CHARINT", "REAL(10)",
		"STRING", "DOUBLE TEXT", "FLOAT BLOB", "BLOB FLOAT", "REALCHAR", "CLOBREAL", "REA L",
		"r\xc3\xa9\x61l", "\xc3\xa9real", "DOUBLE_PRECISION", "VARREAL", "FLOATINT", "REALINTEGER",
		"\"DOUBLE PRECISION\"", "'REAL'", "[FLOAT]", "`DOUB`", "\"TEXT\"",
	};
	sqlite3 *db;
	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
	unsigned nreal = 0;
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		exec(db, "DROP TABLE IF EXISTS a");
		char *sql = xasprintf("CREATE TABLE a(x %s)", types[k]);
		exec(db, sql);
		free(sql);
		exec(db, "INSERT INTO a VALUES (1)");
		sqlite3_stmt *st;
		CHECK(sqlite3_prepare_v2(db,
					 "SELECT typeof(x), (SELECT type FROM pragma_table_info('a')) "
					 "FROM a",
					 -1, &st, NULL) == SQLITE_OK);
		CHECK(sqlite3_step(st) == SQLITE_ROW);
		bool is_real = !strcmp((const char *)sqlite3_column_text(st, 0), "real");
		const char *decl = (const char *)sqlite3_column_text(st, 1);
		nreal += is_real;
		/* the declared type as the backup gets it (PRAGMA table_info) */
		CHECKF(sqlpage_real_affinity(decl) == is_real, "type [%s] (declared [%s]): SQLite says %s",
		       types[k], decl, is_real ? "REAL" : "not REAL");
		/* and the type name itself, when it is not quoted */
		if (!strchr("\"'[`", types[k][0]))
			CHECKF(sqlpage_real_affinity(types[k]) == is_real, "type [%s]: SQLite says %s",
			       types[k], is_real ? "REAL" : "not REAL");
		sqlite3_finalize(st);
	}
	CHECK(nreal >= 10); /* the oracle itself works */
	CHECK(!sqlpage_real_affinity(NULL));
	sqlite3_close(db);
}

/* --------------------------------------------------------------- damage */

static bool within(const void *p, size_t n, const void *base, size_t size)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
	return a >= b && a - b <= size && n <= size - (a - b);
}

/*
 * Scan root of a possibly damaged image (npages pages of it, in a buffer of
 * exactly that size), decoding each row with the given layout and a few
 * others.  Checks that the scan ends, rows lie in the image or the overflow
 * buffer, values in their record.  Returns 0 (ended), SQLPAGE_GIVEUP, or 1
 * when sqlpage_open refused; *rows counts rows.
 */
static int scan_damaged(const uint8_t *img, uint64_t size, uint32_t npages, uint32_t root,
			const struct sqlpage_col *cols, unsigned ncols, uint64_t *rows)
{
	struct sqlpage_db pdb;
	*rows = 0;
	if (sqlpage_open(&pdb, img, size, npages))
		return 1;
	n_damaged_scans++;
	struct sqlpage_scan s;
	struct value vals[16];
	struct sqlpage_col alt[16];
	sqlpage_scan_start(&s, &pdb, root);
	uint64_t limit = (uint64_t)npages * pdb.usable / 2 + 1;
	int r;
	int64_t rowid;
	const uint8_t *pl;
	uint32_t len;
	const char *bad = NULL; /* one check per scan, not per value */
	while ((r = sqlpage_scan_next(&s, &rowid, &pl, &len)) == 1) {
		if (!within(pl, len, img, (size_t)npages * pdb.page_size) &&
		    !(pl == s.ovf.data && len == s.ovf.len)) {
			bad = "a row outside the image and the overflow buffer";
			break;
		}
		for (int layout = 0; layout < 4; layout++) {
			/* the given layout; as many columns as the first byte says; 1-15 */
			unsigned n = layout == 0   ? ncols
				     : layout == 1 ? (len ? pl[0] : 0) % 16
						   : 1 + (unsigned)rnd(15);
			for (unsigned i = 0; i < n; i++)
				alt[i] = layout == 0 ? cols[i]
						     : (struct sqlpage_col){ rnd(4) == 0, rnd(2) == 0 };
			if (sqlpage_record(pl, len, rowid, alt, n, vals))
				continue;
			for (unsigned i = 0; i < n; i++) {
				const struct value *v = &vals[i];
				if ((v->type == VAL_TEXT || v->type == VAL_BLOB) && !within(v->p, v->n, pl, len))
					bad = "a value outside its record";
				else if (v->type == VAL_REAL && isnan(v->r))
					bad = "a NaN";
				else if (alt[i].rowid && (v->type != VAL_INT || v->i != rowid))
					bad = "the rowid column is not the rowid";
				else if (v->type > VAL_BLOB)
					bad = "a value of no known type";
				else if (alt[i].real && !alt[i].rowid && v->type == VAL_INT)
					bad = "an INTEGER in a REAL column";
			}
		}
		if (++*rows > limit) {
			bad = "more rows than the pages can hold";
			break;
		}
	}
	CHECKF(!bad, "%s (%u pages, root %u)", bad, npages, root);
	CHECKF(r == 0 || r == SQLPAGE_GIVEUP || r == 1, "scan_next returned %d", r);
	if (r <= 0) /* the end is final */
		CHECK(sqlpage_scan_next(&s, &rowid, &pl, &len) == r);
	sqlpage_scan_release(&s);
	n_damaged_rows += *rows;
	n_damaged_giveups += r == SQLPAGE_GIVEUP;
	return r;
}

/* A small real database for damage: two tables, a 2-level tree, overflow chains. */
static uint8_t *base_image(unsigned ps, int autovac, unsigned nrows, uint64_t *size,
			   uint32_t *roots, unsigned *nroots)
{
	sqlite3 *db = new_db(ps, rnd(2) ? 0 : 16, autovac, NULL);
	exec(db, "CREATE TABLE t(a INTEGER PRIMARY KEY, b REAL, c TEXT, d BLOB)");
	exec(db, "CREATE TABLE u(x, y)");
	exec(db, "BEGIN");
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?, ?, ?, ?)", -1, &st, NULL) == SQLITE_OK);
	for (unsigned i = 0; i < nrows; i++) {
		size_t budget = 1u << 20;
		sqlite3_bind_int64(st, 1, i * 5);
		bind_random(st, 2, ps, &budget);
		bind_random(st, 3, ps, &budget);
		size_t n = i % 9 == 4 ? 2 * ps + i : i % 40;
		uint8_t *p = xcalloc(n + 1, 1);
		for (size_t k = 0; k < n; k++)
			p[k] = (uint8_t)(k * 7 + i);
		sqlite3_bind_blob(st, 4, p, (int)n, SQLITE_TRANSIENT);
		free(p);
		CHECK(sqlite3_step(st) == SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	exec(db, "INSERT INTO u SELECT a, c FROM t WHERE a % 3 = 0");
	exec(db, "DELETE FROM t WHERE a % 7 = 3");
	exec(db, "COMMIT");
	uint8_t *img = db_image(db, size);
	*nroots = 0;
	roots[(*nroots)++] = 1;
	roots[(*nroots)++] = (uint32_t)root_of(db, "t");
	roots[(*nroots)++] = (uint32_t)root_of(db, "u");
	sqlite3_close(db);
	return img;
}

static const struct sqlpage_col t_cols[4] = { { true, false }, { false, true }, { false, false },
					      { false, false } };

/* Every byte of small images set to a few values; random multi-byte damage; truncation. */
static void test_damage_bytes(void)
{
	static const struct {
		unsigned ps, rows;
		int autovac;
	} bases[] = { { 512, 40, 0 }, { 512, 25, 1 }, { 1024, 60, 0 }, { 4096, 30, 1 },
		      { 512, 300, 0 } };
	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		uint64_t size, rows;
		uint32_t roots[3];
		unsigned nroots;
		uint8_t *img = base_image(bases[b].ps, bases[b].autovac, bases[b].rows, &size, roots,
					  &nroots);
		uint32_t ps = bases[b].ps, npages = (uint32_t)(size / ps);
		uint8_t *m = xmalloc(size);

		/* the undamaged image reads completely */
		CHECK(scan_damaged(img, size, npages, roots[1], t_cols, 4, &rows) == 0 && rows > 0);

		/* every byte (of the first 8 KiB when larger), four values each */
		uint64_t every = size <= 8192 ? size : 8192;
		for (uint64_t pos = 0; pos < every; pos++) {
			for (int k = 0; k < 4; k++) {
				memcpy(m, img, size);
				m[pos] = k == 0 ? 0 : k == 1 ? 0xff : k == 2 ? (uint8_t)(img[pos] ^ 0x80)
									  : (uint8_t)(img[pos] + 1);
				if (m[pos] == img[pos])
					continue;
				scan_damaged(m, size, npages, roots[1 + pos % 2], t_cols, 4, &rows);
				if (pos < 512 && k < 2)
					scan_damaged(m, size, npages, 1, t_cols, 4, &rows);
			}
		}
		/* random damage, several bytes, mostly where the structure is */
		for (int it = 0; it < 1500; it++) {
			memcpy(m, img, size);
			for (unsigned f = 0, nf = 1 + rnd(8); f < nf; f++) {
				uint64_t pg = rnd(npages), off;
				switch (rnd(4)) {
				case 0: off = rnd(16); break;            /* page header */
				case 1: off = 8 + rnd(64); break;        /* cell pointers */
				case 2: off = rnd(4); break;             /* overflow / next pointers */
				default: off = rnd(ps); break;
				}
				if (pg == 0 && off < 100 && rnd(4))
					off += 100;
				uint8_t *at = &m[pg * ps + off];
				*at = rnd(3) ? (uint8_t)rnd64() : (uint8_t)(*at ^ (1u << rnd(8)));
			}
			uint32_t root = rnd(5) ? roots[rnd(nroots)] : 1 + rnd(npages + 2);
			scan_damaged(m, size, npages, root, t_cols, 4, &rows);
		}
		/* truncated: fewer pages, in a buffer of exactly their size */
		for (uint32_t n = 1; n < npages; n++) {
			uint8_t *cut = xmalloc((size_t)n * ps);
			memcpy(cut, img, (size_t)n * ps);
			for (unsigned r = 0; r < nroots; r++)
				scan_damaged(cut, (uint64_t)n * ps, n, roots[r], t_cols, 4, &rows);
			free(cut);
		}
		free(m);
		free(img);
	}
}

/* Offset of the k-th cell of page pgno. */
static uint32_t cell_off(const uint8_t *img, uint32_t ps, uint32_t pgno, unsigned k)
{
	const uint8_t *pg = img + (uint64_t)(pgno - 1) * ps;
	uint32_t hoff = pgno == 1 ? 100 : 0, hsize = pg[hoff] == 0x05 ? 12 : 8;
	return be16(pg + hoff + hsize + 2 * k);
}

static unsigned get_varint(const uint8_t *p, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < 8; i++) {
		x = x << 7 | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	*v = x << 8 | p[8];
	return 9;
}

/* Structural damage made on purpose: cycles, huge counts, wild offsets, depth. */
static void test_damage_structure(void)
{
	uint64_t size, rows;
	uint32_t roots[3];
	unsigned nroots;
	const uint32_t ps = 512;
	/* 400 rows of ~60 bytes and an overflowing blob every 9th: an interior root */
	uint8_t *img = base_image(ps, 0, 400, &size, roots, &nroots);
	uint32_t npages = (uint32_t)(size / ps), root = roots[1];
	uint8_t *m = xmalloc(size), *rp = m + (uint64_t)(root - 1) * ps;
	CHECK(img[(uint64_t)(root - 1) * ps] == 0x05); /* an interior root */
	CHECK(scan_damaged(img, size, npages, root, t_cols, 4, &rows) == 0 && rows > 300);

	/* a child pointer back to the root: a cycle, must end in a give-up */
	memcpy(m, img, size);
	put_be32(rp + cell_off(m, ps, root, 0), root);
	CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) == SQLPAGE_GIVEUP);
	/* the right-most child back to the root */
	memcpy(m, img, size);
	put_be32(rp + 8, root);
	CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) == SQLPAGE_GIVEUP);
	/* a child pointer to page 0, beyond the file, to page 1 (sqlite_master, a leaf) */
	uint32_t bad[] = { 0, npages + 1, 0xffffffffu };
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		memcpy(m, img, size);
		put_be32(rp + cell_off(m, ps, root, 0), bad[k]);
		CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) == SQLPAGE_GIVEUP);
	}
	memcpy(m, img, size);
	put_be32(rp + 8, 1);
	CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) <= 0);

	/* ncells huge, on the root and on a leaf; one too many on a leaf */
	uint32_t leaf = root;
	for (int d = 0; d < 10 && img[(uint64_t)(leaf - 1) * ps] == 0x05; d++)
		leaf = be32(img + (uint64_t)(leaf - 1) * ps + cell_off(img, ps, leaf, 0));
	uint8_t *lp = m + (uint64_t)(leaf - 1) * ps;
	CHECK(img[(uint64_t)(leaf - 1) * ps] == 0x0d);
	memcpy(m, img, size);
	put_be16(rp + 3, 0xffff);
	CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) == SQLPAGE_GIVEUP && rows == 0);
	memcpy(m, img, size);
	put_be16(lp + 3, 0xffff);
	CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) == SQLPAGE_GIVEUP);
	memcpy(m, img, size);
	put_be16(lp + 3, (ps - 8) / 2); /* the largest count that fits: pointers fill the page */
	CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) <= 0);
	memcpy(m, img, size);
	put_be16(lp + 3, be16(lp + 3) + 1);
	CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) <= 0);

	/* a cell offset past the page, at its very end, inside the pointer array, zero */
	uint32_t offs[] = { 0xffff, ps, ps - 1, ps - 3, ps - 4, ps - 5, 0, 8, 9, 7 };
	for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
		memcpy(m, img, size);
		put_be16(lp + 8, offs[k]);
		int r = scan_damaged(m, size, npages, root, t_cols, 4, &rows);
		if (offs[k] + 4 > ps || offs[k] < 8 + 2 * be16(lp + 3))
			CHECKF(r == SQLPAGE_GIVEUP, "cell offset %u", offs[k]);
		else
			CHECK(r <= 0);
		/* and on the interior root */
		memcpy(m, img, size);
		put_be16(rp + 12, offs[k]);
		r = scan_damaged(m, size, npages, root, t_cols, 4, &rows);
		if (offs[k] + 4 > ps || offs[k] < 12 + 2 * be16(rp + 3))
			CHECKF(r == SQLPAGE_GIVEUP, "interior cell offset %u", offs[k]);
	}
	/* a page type that is not a table b-tree page */
	static const uint8_t types[] = { 0x02, 0x0a, 0x00, 0x0d, 0xff };
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		memcpy(m, img, size);
		rp[0] = types[k];
		CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) <= 0);
		if (types[k] != 0x0d)
			CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) == SQLPAGE_GIVEUP &&
			      rows == 0);
	}

	/* overflow chains: find a cell with one */
	bool found = false;
	for (uint32_t pg = 2; pg <= npages && !found; pg++) {
		const uint8_t *p = img + (uint64_t)(pg - 1) * ps;
		if (p[0] != 0x0d)
			continue;
		for (unsigned k = 0; k < be16(p + 3) && !found; k++) {
			uint32_t off = cell_off(img, ps, pg, k);
			uint64_t plen, key;
			unsigned a = get_varint(p + off, &plen);
			unsigned b = get_varint(p + off + a, &key);
			uint32_t U = ps - img[20], X = U - 35;
			if (plen <= X)
				continue;
			uint32_t M = (U - 12) * 32 / 255 - 23, K = M + (uint32_t)((plen - M) % (U - 4));
			uint32_t local = K <= X ? K : M;
			uint32_t at = (pg - 1) * ps + off + a + b + local; /* the first overflow page's number */
			uint32_t first = be32(img + at);
			CHECK(first >= 2 && first <= npages);
			found = true;
			/* the first overflow page pointing to itself */
			memcpy(m, img, size);
			put_be32(m + (uint64_t)(first - 1) * ps, first);
			CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) == SQLPAGE_GIVEUP);
			/* the cell's pointer to the leaf itself, to page 1, 0, beyond the file */
			uint32_t to[] = { pg, 1, 0, npages + 1, root };
			for (size_t j = 0; j < sizeof(to) / sizeof(to[0]); j++) {
				memcpy(m, img, size);
				put_be32(m + at, to[j]);
				CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) <= 0);
				if (to[j] < 2 || to[j] > npages)
					CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) ==
					      SQLPAGE_GIVEUP);
			}
			/* the chain cut short: its last page says there is more */
			uint32_t last = first, hops = 0;
			while (be32(img + (uint64_t)(last - 1) * ps) && hops++ < npages)
				last = be32(img + (uint64_t)(last - 1) * ps);
			memcpy(m, img, size);
			put_be32(m + (uint64_t)(last - 1) * ps, leaf);
			CHECK(scan_damaged(m, size, npages, root, t_cols, 4, &rows) == SQLPAGE_GIVEUP);
		}
	}
	CHECK(found);
	free(m);
	free(img);
}

/* A synthetic image: a header, page 1 an empty sqlite_master leaf, zeroed pages. */
static uint8_t *synth_image(uint32_t ps, uint32_t npages)
{
	uint8_t *m = xcalloc(npages, ps);
	memcpy(m, "SQLite format 3", 16);
	put_be16(m + 16, ps == 65536 ? 1 : ps);
	m[18] = m[19] = 1;
	m[21] = 64;
	m[22] = m[23] = 32;
	put_be32(m + 28, npages);
	put_be32(m + 44, 4);
	put_be32(m + 56, 1);
	m[100] = 0x0d;
	put_be16(m + 105, ps == 65536 ? 0 : ps);
	return m;
}

/* A leaf at page pgno with one row: rowid 7, the record (5). */
static void synth_leaf(uint8_t *m, uint32_t ps, uint32_t pgno)
{
	uint8_t *p = m + (uint64_t)(pgno - 1) * ps;
	static const uint8_t cell[] = { 3, 7, 2, 1, 5 };
	p[0] = 0x0d;
	put_be16(p + 3, 1);
	put_be16(p + 5, ps - sizeof(cell));
	put_be16(p + 8, ps - sizeof(cell));
	memcpy(p + ps - sizeof(cell), cell, sizeof(cell));
}

static void synth_interior(uint8_t *m, uint32_t ps, uint32_t pgno, uint32_t right)
{
	uint8_t *p = m + (uint64_t)(pgno - 1) * ps;
	p[0] = 0x05;
	put_be16(p + 3, 0);
	put_be16(p + 5, ps);
	put_be32(p + 8, right);
}

static void test_synthetic(void)
{
	const uint32_t ps = 512;
	uint64_t rows;
	struct sqlpage_col one[1] = { { false, false } };
	/* chains of interior pages: SQLPAGE_MAX_DEPTH pages deep is read, one more is not */
	for (uint32_t depth = 1; depth <= SQLPAGE_MAX_DEPTH + 2; depth++) {
		uint32_t npages = depth + 1;
		uint8_t *m = synth_image(ps, npages);
		for (uint32_t p = 2; p < npages; p++)
			synth_interior(m, ps, p, p + 1);
		synth_leaf(m, ps, npages);
		int r = scan_damaged(m, (uint64_t)npages * ps, npages, 2, one, 1, &rows);
		if (depth <= SQLPAGE_MAX_DEPTH)
			CHECKF(r == 0 && rows == 1, "a tree %u pages deep: %d, %llu rows", depth, r,
			       (unsigned long long)rows);
		else
			CHECKF(r == SQLPAGE_GIVEUP, "a tree %u pages deep: %d", depth, r);
		/* the leaf's record decodes */
		free(m);
	}
	/* a cycle of interior pages without any leaf: 2 -> 3 -> 2 */
	{
		uint8_t *m = synth_image(ps, 3);
		synth_interior(m, ps, 2, 3);
		synth_interior(m, ps, 3, 2);
		CHECK(scan_damaged(m, 3 * ps, 3, 2, one, 1, &rows) == SQLPAGE_GIVEUP && rows == 0);
		free(m);
	}
	/* an interior page whose cell and right-most child are the same leaf */
	{
		uint8_t *m = synth_image(ps, 3);
		synth_interior(m, ps, 2, 3);
		uint8_t *p = m + ps;
		put_be16(p + 3, 1);
		put_be16(p + 12, ps - 5);
		put_be32(p + ps - 5, 3);
		p[ps - 1] = 7; /* key 7 */
		synth_leaf(m, ps, 3);
		int r = scan_damaged(m, 3 * ps, 3, 2, one, 1, &rows);
		/* strata/sqlpage.h: "a scan visits each page at most once" (this
		 * returned the leaf's row twice and ended normally before 28be5ef) */
		CHECKF(r == SQLPAGE_GIVEUP && rows <= 1, "a leaf reached twice: %d, %llu rows", r,
		       (unsigned long long)rows);
		free(m);
	}
	/* a chain of 30 interior pages, each with both children on the next one:
	 * 2^30 paths down to the one leaf: given up at the first page reached twice */
	{
		uint32_t npages = 32;
		uint8_t *m = synth_image(ps, npages);
		for (uint32_t pg = 2; pg < npages; pg++) {
			synth_interior(m, ps, pg, pg + 1);
			uint8_t *p = m + (uint64_t)(pg - 1) * ps;
			put_be16(p + 3, 1);
			put_be16(p + 12, ps - 5);
			put_be32(p + ps - 5, pg + 1);
			p[ps - 1] = 7;
		}
		synth_leaf(m, ps, npages);
		CHECK(scan_damaged(m, (uint64_t)npages * ps, npages, 2, one, 1, &rows) == SQLPAGE_GIVEUP &&
		      rows < npages);
		free(m);
	}
	/* payload lengths beyond what the file can hold, or beyond 2^31 */
	{
		static const uint8_t lens[][5] = { { 0x87, 0xff, 0xff, 0xff, 0x7f },
			{ 0x88, 0x80, 0x80, 0x80, 0x00 }, { 0x80, 0x80, 0x80, 0x84, 0x00 } };
		for (int k = 0; k < 3; k++) {
			uint8_t *m = synth_image(ps, 4);
			synth_leaf(m, ps, 2);
			uint8_t *p = m + ps;
			put_be16(p + 8, 100);
			memcpy(p + 100, lens[k], 5);
			p[105] = 7;
			for (uint32_t pg = 3; pg <= 4; pg++)
				put_be32(m + (uint64_t)(pg - 1) * ps, pg == 4 ? 0 : 4);
			put_be32(p + 300, 3);
			CHECKF(scan_damaged(m, 4 * ps, 4, 2, one, 1, &rows) == SQLPAGE_GIVEUP, "length %d", k);
			free(m);
		}
	}
	/* a cell in the last 4 bytes of the page whose varints run off its end */
	{
		static const uint8_t tails[][4] = { { 0xff, 0xff, 0xff, 0xff }, { 0x01, 0xff, 0xff, 0xff },
						    { 0x03, 0x07, 0x02, 0x01 } };
		for (int k = 0; k < 3; k++) {
			uint8_t *m = synth_image(ps, 2);
			synth_leaf(m, ps, 2);
			memcpy(m + 2 * ps - 4, tails[k], 4);
			put_be16(m + ps + 8, ps - 4);
			CHECKF(scan_damaged(m, 2 * ps, 2, 2, one, 1, &rows) == SQLPAGE_GIVEUP, "tail %d", k);
			free(m);
		}
	}
	/* the root page itself: 0, beyond the file */
	{
		uint8_t *m = synth_image(ps, 2);
		synth_leaf(m, ps, 2);
		CHECK(scan_damaged(m, 2 * ps, 2, 2, one, 1, &rows) == 0 && rows == 1);
		CHECK(scan_damaged(m, 2 * ps, 2, 0, one, 1, &rows) == SQLPAGE_GIVEUP);
		CHECK(scan_damaged(m, 2 * ps, 2, 3, one, 1, &rows) == SQLPAGE_GIVEUP);
		CHECK(scan_damaged(m, 2 * ps, 1, 2, one, 1, &rows) == SQLPAGE_GIVEUP);
		/* the empty sqlite_master on page 1 */
		CHECK(scan_damaged(m, 2 * ps, 2, 1, one, 1, &rows) == 0 && rows == 0);
		free(m);
	}
	/* a 65536-byte page (page size field 1), reserved bytes at the end */
	{
		uint32_t big = 65536;
		uint8_t *m = synth_image(big, 2);
		m[20] = 200;
		synth_leaf(m, big, 2);
		/* the cell sits in the reserved area now: given up */
		CHECK(scan_damaged(m, 2 * (uint64_t)big, 2, 2, one, 1, &rows) == SQLPAGE_GIVEUP);
		m[20] = 0;
		CHECK(scan_damaged(m, 2 * (uint64_t)big, 2, 2, one, 1, &rows) == 0 && rows == 1);
		free(m);
	}
}

/* sqlpage_open: what it must refuse. */
static void test_open(void)
{
	struct sqlpage_db pdb;
	sqlite3 *db = new_db(1024, 8, 0, NULL);
	exec(db, "CREATE TABLE t(a)");
	exec(db, "INSERT INTO t VALUES (1)");
	uint64_t size;
	uint8_t *img = db_image(db, &size);
	sqlite3_close(db);
	uint32_t np = (uint32_t)(size / 1024);
	CHECK(sqlpage_open(&pdb, img, size, np) == 0);
	CHECK(pdb.page_size == 1024 && pdb.usable == 1016 && pdb.npages == np && pdb.size == size);
	CHECK(sqlpage_open(&pdb, img, size, np + 1) == SQLPAGE_GIVEUP);
	CHECK(sqlpage_open(&pdb, img, size - 1, np) == SQLPAGE_GIVEUP);
	CHECK(sqlpage_open(&pdb, img, size, 0) == SQLPAGE_GIVEUP);
	CHECK(sqlpage_open(&pdb, img, size, UINT32_MAX) == SQLPAGE_GIVEUP);
	CHECK(sqlpage_open(&pdb, img, 99, 1) == SQLPAGE_GIVEUP);
	CHECK(sqlpage_open(&pdb, img, size, np - 1) == 0); /* fewer pages than the image: fine */

	/* header fields out of range */
	struct {
		unsigned off;
		uint8_t v;
	} bad[] = { { 0, 's' }, { 15, 1 }, { 16, 0 }, { 17, 1 }, { 16, 0x03 }, { 21, 63 }, { 22, 33 },
		    { 23, 31 }, { 47, 0 }, { 47, 5 }, { 59, 2 }, { 59, 3 }, { 59, 0 } };
	uint8_t *m = xmalloc(size);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		memcpy(m, img, size);
		m[bad[k].off] = bad[k].v;
		CHECKF(sqlpage_open(&pdb, m, size, np) == SQLPAGE_GIVEUP, "header byte %u = %u",
		       bad[k].off, bad[k].v);
	}
	/* usable space: 480 bytes is enough, 479 not (512-byte pages) */
	uint8_t *s = synth_image(512, 1);
	s[20] = 32;
	CHECK(sqlpage_open(&pdb, s, 512, 1) == 0 && pdb.usable == 480);
	s[20] = 33;
	CHECK(sqlpage_open(&pdb, s, 512, 1) == SQLPAGE_GIVEUP);
	free(s);
	free(m);
	free(img);

	/* UTF-16 databases */
	static const char *const enc[] = { "UTF-16le", "UTF-16be" };
	for (int k = 0; k < 2; k++) {
		db = new_db(512, -1, 0, enc[k]);
		exec(db, "CREATE TABLE t(a TEXT)");
		exec(db, "INSERT INTO t VALUES ('hello')");
		img = db_image(db, &size);
		CHECK(be32(img + 56) == (uint32_t)(2 + k));
		CHECKF(sqlpage_open(&pdb, img, size, (uint32_t)(size / 512)) == SQLPAGE_GIVEUP, "%s",
		       enc[k]);
		free(img);
		sqlite3_close(db);
	}
}

int main(void)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const char *tmp = getenv("TMPDIR");
	snprintf(dbpath, sizeof(dbpath), "%s/strata-sqlpage-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(dbpath);
	if (fd < 0) {
		perror("mkstemp");
		return 2;
	}
	close(fd);
	/* SQLite's own PRNG picks rowids once INT64_MAX is taken: seed it too */
	sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, 1, NULL);

	test_record_direct();
	test_real_affinity();
	test_open();
	test_value_matrix();
	test_giveups();
	test_deep_tree();
	test_wide_and_master();
	for (unsigned i = 0; i < 384; i++)
		random_db(i);
	test_synthetic();
	test_damage_structure();
	test_damage_bytes();

	unlink(dbpath);
	/* the comparisons met every on-disk form (serial types 10 and 11 are reserved) */
	for (int k = 0; k < 14; k++)
		CHECKF(k == 10 || k == 11 ? n_serial[k] == 0 : n_serial[k] > 0, "serial type %d: %lu", k,
		       n_serial[k]);
	CHECK(n_overflow_rows > 100 && n_int_as_real > 100);
	CHECKF(n_split_opens > 100, "only %lu tables compared through sqlpage_open_split", n_split_opens);
	CHECKF(n_hash_leaves > 1000, "only %lu leaves hashed both ways", n_hash_leaves);
	fprintf(stderr, "unit-sqlpage: serial types seen 0-9:");
	for (int k = 0; k < 10; k++)
		fprintf(stderr, " %lu", n_serial[k]);
	fprintf(stderr, ", blob %lu, text %lu; %lu rows with overflow chains, %lu integers read as REAL\n",
		n_serial[12], n_serial[13], n_overflow_rows, n_int_as_real);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr,
		"unit-sqlpage: %lu databases; %lu tables, %lu rows, %lu values identical to SQLite; "
		"%lu damaged scans (%lu gave up, %lu rows); %.1f s\n",
		n_databases, n_tables_matched, n_rows_matched, n_values_matched, n_damaged_scans,
		n_damaged_giveups, n_damaged_rows,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return check_done("unit-sqlpage");
}
