/*
 * Unit tests for lib/sqlwal.c (a WAL snapshot's pages) and the page
 * reader over them (sqlpage_open_wal).
 *
 * The oracle is SQLite itself: the database file and its -wal copied aside
 * and checkpointed there (PRAGMA wal_checkpoint(TRUNCATE)) are the snapshot
 * as one file.  For page sizes 512 to 65536, over commits that insert,
 * update, delete, grow past the file and drop a table: every page of the
 * file overlaid with the log's must equal that copy's page, and a scan of
 * every table through the overlay must give the rows and leaf hashes a scan
 * of the copy gives; also once VACUUM shrank the database in the log (frames
 * of pages past its size then belong to no snapshot page).  Then what must be refused is: a flipped byte in a
 * frame or in the log header, a log shorter than the index says, other
 * salts, a torn or changed index, a log longer than allowed.
 */
#include "check.h"
#include "strata/sqlpage.h"
#include "strata/sqlwal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	CHECKF(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		*n = 0;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	uint8_t *p = xmalloc((size_t)st.st_size + 1);
	*n = (size_t)st.st_size;
	CHECK(pread_all(fd, p, *n, 0) == 0);
	close(fd);
	return p;
}

static void put(const char *path, const uint8_t *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write_all(fd, p, n) == 0);
	if (fd >= 0)
		close(fd);
}

static int open_ro(const char *base, const char *suffix)
{
	char p[512];
	snprintf(p, sizeof(p), "%s%s", base, suffix);
	return open(p, O_RDONLY);
}

/* The snapshot as one file: the database and its log copied, checkpointed. */
static uint8_t *checkpointed(const char *db, size_t *n)
{
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s/copy.db", dir);
	unlink(a);
	snprintf(b, sizeof(b), "%s/copy.db-wal", dir);
	unlink(b);
	size_t n1, n2;
	uint8_t *d = slurp(db, &n1);
	snprintf(b, sizeof(b), "%s-wal", db);
	uint8_t *w = slurp(b, &n2);
	put(a, d, n1);
	snprintf(b, sizeof(b), "%s/copy.db-wal", dir);
	put(b, w, n2);
	free(d);
	free(w);
	sqlite3 *c = NULL;
	CHECK(sqlite3_open(a, &c) == SQLITE_OK);
	exec(c, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(c);
	return slurp(a, n);
}

static int64_t page_count(sqlite3 *db)
{
	sqlite3_stmt *q = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

static unsigned long n_pages_compared, n_rows_compared, n_snapshots;

/* Every table's rows and leaf hashes alike through a and b. */
static void compare_scans(const struct sqlpage_db *a, const struct sqlpage_db *b, sqlite3 *db,
			  const char *ctx)
{
	sqlite3_stmt *q = NULL;
	CHECK(sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND rootpage > 0",
				 -1, &q, NULL) == SQLITE_OK);
	uint32_t roots[64];
	unsigned nr = 0;
	roots[nr++] = 1;
	while (q && sqlite3_step(q) == SQLITE_ROW && nr < 64)
		roots[nr++] = (uint32_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	for (unsigned r = 0; r < nr; r++) {
		struct sqlpage_scan x, y;
		int rx = sqlpage_scan_start(&x, a, roots[r]), ry = sqlpage_scan_start(&y, b, roots[r]);
		CHECKF(rx == ry && x.nleaves == y.nleaves, "%s: root %u: scans start differently", ctx, roots[r]);
		for (size_t i = 0; !rx && !ry && i < x.nleaves && i < y.nleaves; i++) {
			uint8_t hx[16], hy[16];
			int h1 = sqlpage_leaves_hash(&x, i, 1, hx), h2 = sqlpage_leaves_hash(&y, i, 1, hy);
			CHECKF(h1 == h2 && (h1 || !memcmp(hx, hy, 16)), "%s: root %u leaf %zu hashes differ", ctx, roots[r], i);
		}
		for (;;) {
			int64_t ix = 0, iy = 0;
			const uint8_t *px = NULL, *py = NULL;
			uint32_t lx = 0, ly = 0;
			int sx = sqlpage_scan_next(&x, &ix, &px, &lx), sy = sqlpage_scan_next(&y, &iy, &py, &ly);
			CHECKF(sx == sy, "%s: root %u: scans end differently", ctx, roots[r]);
			if (sx != 1 || sy != 1)
				break;
			CHECKF(ix == iy && lx == ly && !memcmp(px, py, lx), "%s: root %u: row %lld differs", ctx,
			       roots[r], (long long)ix);
			n_rows_compared++;
		}
		sqlpage_scan_release(&x);
		sqlpage_scan_release(&y);
	}
}

/* The live connection's state (db, its file at path): index, overlay, pages, scans. */
static void check_snapshot(sqlite3 *db, const char *path, const char *ctx)
{
	int shm = open_ro(path, "-shm"), wal = open_ro(path, "-wal"), fd = open(path, O_RDONLY);
	CHECKF(shm >= 0 && wal >= 0 && fd >= 0, "%s: open", ctx);
	struct sqlwal_index x, x2;
	int rc = sqlwal_read_index(shm, &x);
	CHECKF(rc == 0, "%s: read_index %d", ctx, rc);
	CHECK(sqlwal_read_index(shm, &x2) == 0 && sqlwal_same(&x, &x2));
	int64_t np = page_count(db);
	CHECKF((int64_t)x.npages == np, "%s: index says %u pages, SQLite %lld", ctx, x.npages, (long long)np);
	struct sqlpage_overlay o;
	rc = sqlwal_overlay(wal, &x, 64u << 20, &o);
	CHECKF(rc == 0, "%s: overlay %d", ctx, rc);
	size_t fsize, csize;
	uint8_t *file = slurp(path, &fsize);
	uint8_t *want = checkpointed(path, &csize);
	uint32_t ps = x.page_size;
	CHECKF(csize >= (size_t)np * ps, "%s: the checkpointed copy has %zu bytes", ctx, csize);
	size_t fpages = fsize / ps;
	for (uint32_t p = 1; !rc && p <= (uint32_t)np && (size_t)p * ps <= csize; p++) {
		const uint8_t *got = NULL;
		uint32_t lo = 0;
		for (; lo < o.n && o.pgno[lo] < p; lo++)
			;
		if (lo < o.n && o.pgno[lo] == p)
			got = o.data + (size_t)lo * ps;
		else if (p <= fpages)
			got = file + (size_t)(p - 1) * ps;
		CHECKF(got && !memcmp(got, want + (size_t)(p - 1) * ps, ps), "%s: page %u differs from the checkpointed copy", ctx, p);
		n_pages_compared++;
	}
	/* the page reader over file + overlay reads what it reads in the copy */
	struct sqlpage_db a, b;
	int oa = sqlpage_open_wal(&a, file, fpages * ps, (uint32_t)np, &o);
	int ob = sqlpage_open(&b, want, (uint64_t)np * ps, (uint32_t)np);
	CHECKF(oa == 0 && ob == 0, "%s: open %d %d", ctx, oa, ob);
	if (!oa && !ob) {
		compare_scans(&a, &b, db, ctx);
		/* hashing through a descriptor of the file: overlaid pages still come from the log */
		a.fd = fd;
		compare_scans(&a, &b, db, ctx);
	}
	n_snapshots++;
	sqlwal_overlay_release(&o);
	free(file);
	free(want);
	close(shm);
	close(wal);
	close(fd);
}

/* What must be refused, on the state of path (a log with frames). */
static void check_refusals(const char *path)
{
	int shm = open_ro(path, "-shm");
	struct sqlwal_index x;
	CHECK(sqlwal_read_index(shm, &x) == 0);
	close(shm);
	char wp[512], bad[512];
	snprintf(wp, sizeof(wp), "%s-wal", path);
	snprintf(bad, sizeof(bad), "%s/bad-wal", dir);
	size_t n;
	uint8_t *w = slurp(wp, &n);
	CHECK(w && x.mx_frame >= 2);
	struct sqlpage_overlay o;
	uint64_t fsz = 24 + (uint64_t)x.page_size, len = 32 + x.mx_frame * fsz;
	/* a flipped byte: in a frame's page, a frame header, the log header */
	uint64_t at[] = { 32 + fsz + 24 + 7, 32 + 3, 32 + fsz * (x.mx_frame - 1) + 1, 12, 20 };
	for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		w[at[i]] ^= 0x10;
		put(bad, w, n);
		w[at[i]] ^= 0x10;
		int fd = open(bad, O_RDONLY);
		int rc = sqlwal_overlay(fd, &x, 64u << 20, &o);
		CHECKF(rc == -EINVAL, "a byte flipped at %llu: %d, want -EINVAL", (unsigned long long)at[i], rc);
		CHECK(o.n == 0 && !o.data);
		close(fd);
	}
	/* shorter than the index says */
	put(bad, w, (size_t)len - 1);
	int fd = open(bad, O_RDONLY);
	CHECK(sqlwal_overlay(fd, &x, 64u << 20, &o) == -EINVAL);
	close(fd);
	/* longer than allowed */
	fd = open(wp, O_RDONLY);
	CHECK(sqlwal_overlay(fd, &x, (size_t)len - 1, &o) == -EFBIG);
	CHECK(sqlwal_overlay(fd, &x, (size_t)len, &o) == 0);
	sqlwal_overlay_release(&o);
	/* other salts, or the index's frame checksum not the chain's end */
	struct sqlwal_index y = x;
	y.salt[5] ^= 1;
	CHECK(sqlwal_overlay(fd, &y, 64u << 20, &o) == -EINVAL);
	y = x;
	y.cksum[1] ^= 1;
	CHECK(sqlwal_overlay(fd, &y, 64u << 20, &o) == -EINVAL);
	/* an index naming an earlier frame that is no commit of its page count */
	y = x;
	y.npages ^= 1;
	CHECK(sqlwal_overlay(fd, &y, 64u << 20, &o) == -EINVAL);
	close(fd);
	free(w);
	/* a torn index (the copies differ), and one whose checksum does not check */
	char sp[512];
	snprintf(sp, sizeof(sp), "%s-shm", path);
	uint8_t *s = slurp(sp, &n);
	s[16] ^= 1; /* mxFrame of the first copy */
	put(bad, s, n);
	fd = open(bad, O_RDONLY);
	CHECK(sqlwal_read_index(fd, &y) == -EAGAIN);
	close(fd);
	s[16 + 48] ^= 1;
	put(bad, s, n);
	fd = open(bad, O_RDONLY);
	CHECK(sqlwal_read_index(fd, &y) == -EAGAIN);
	close(fd);
	s[16] ^= 1;
	s[16 + 48] ^= 1;
	s[0] ^= 1; /* the version, both copies */
	s[48] ^= 1;
	put(bad, s, n);
	fd = open(bad, O_RDONLY);
	CHECK(sqlwal_read_index(fd, &y) == -EINVAL);
	close(fd);
	free(s);
	unlink(bad);
}

/* Commits, then the snapshot checked (check_snapshot). */
struct step {
	const char *what;
	const char *sql[4]; /* NULL-terminated */
};

static const struct step steps[] = {
	/* checkpointed: the file holds the rows, the log is empty from the next commit on */
	{ "after a truncating checkpoint", { "PRAGMA wal_checkpoint(TRUNCATE)", "INSERT INTO u VALUES (1, 2)" } },
	/* updates, a long value (overflow pages), deletes, growth past the file */
	{ "updates", { "UPDATE t SET v = v || ' (changed)' WHERE id % 97 = 3",
		       "UPDATE t SET b = zeroblob(5000) WHERE id = 1500" } },
	{ "deletes and growth",
	  { "DELETE FROM t WHERE id BETWEEN 100 AND 400",
	    "WITH RECURSIVE c(i) AS (SELECT 3001 UNION ALL SELECT i + 1 FROM c WHERE i < 5000) "
	    "INSERT INTO t SELECT i, printf('more %d', i), NULL FROM c",
	    "INSERT INTO u SELECT id, v FROM t WHERE id % 5 = 0" } },
	{ "a dropped table", { "DROP TABLE u", "UPDATE t SET v = 'x' WHERE id = 4999" } },
	/* the database shrinks in the log: earlier frames name pages past its new size */
	{ "shrunk by VACUUM", { "DELETE FROM t WHERE id > 2500", "VACUUM" } },
	/* a passive checkpoint copies frames into the file but leaves the log: still the same pages */
	{ "after a passive checkpoint", { "PRAGMA wal_checkpoint(PASSIVE)" } },
};

static void step(sqlite3 *db, const char *path, int page_size, const struct step *st)
{
	char ctx[96];
	for (unsigned i = 0; i < 4 && st->sql[i]; i++)
		exec(db, st->sql[i]);
	snprintf(ctx, sizeof(ctx), "page %d, %s", page_size, st->what);
	check_snapshot(db, path, ctx);
}

static void run(int page_size)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/w%d.db", dir, page_size);
	sqlite3 *db = NULL;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	char sql[200];
	snprintf(sql, sizeof(sql), "PRAGMA page_size=%d", page_size);
	exec(db, sql);
	exec(db, "PRAGMA journal_mode=WAL");
	exec(db, "PRAGMA wal_autocheckpoint=0");
	exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)");
	exec(db, "CREATE TABLE u(x, y)");
	exec(db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000) "
		 "INSERT INTO t SELECT i, printf('value %d', i * 37 % 1013), zeroblob(i % 7 * 90) FROM c");
	for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		step(db, path, page_size, &steps[i]);
	/* a commit changes the index */
	int shm = open_ro(path, "-shm");
	struct sqlwal_index a, b;
	CHECK(sqlwal_read_index(shm, &a) == 0);
	exec(db, "UPDATE t SET v = 'y' WHERE id = 2");
	CHECK(sqlwal_read_index(shm, &b) == 0);
	/* (the log restarted: everything was in the file, so mxFrame began again at 1) */
	CHECK(!sqlwal_same(&a, &b) && b.mx_frame < a.mx_frame);
	close(shm);
	step(db, path, page_size,
	     &(struct step){ "after the log restarted", { "UPDATE t SET v = 'z' WHERE id BETWEEN 1000 AND 1400" } });
	check_refusals(path);
	sqlite3_close(db);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/strata-sqlwal-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	int sizes[] = { 512, 1024, 4096, 65536 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		run(sizes[i]);
	printf("sqlwal: %lu snapshots, %lu pages and %lu rows compared with the checkpointed copies\n",
	       n_snapshots, n_pages_compared, n_rows_compared);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
	return check_done("unit-sqlwal");
}
