/*
 * Unit tests for lib/tree.c (include/strata/tree.h): the path walk of
 * tree_resolve ("", ".", "..", "latest" followed or not, a trailing "/",
 * a file in the middle of a path), tree_readlink, the order of the root's
 * listing, and the errors of tree_open_file, tree_lookup and tree_list on
 * the wrong kind of node, on a small repository of two generations.
 */
#include "check.h"
#include "testutil.h"
#include "strata/catalog.h"
#include "strata/manifest.h"
#include "strata/naming.h"
#include "strata/repo.h"
#include "strata/tree.h"

#include <errno.h>
#include <sys/stat.h>

#define GEN1 "2026-11-20T020000Z"
#define GEN2 "2026-11-21T020000Z" /* a day later: the newest */
#define HEADER "n,text,r\n"


static struct built chunks[4];
static struct tree *t;

static void add_table(struct manifest_table *mt, const char *name, const int *which, int n)
{
	built_table(mt, name, chunks, which, n);
}

static void gen_init(struct manifest *m, uint64_t seq, const char *name, int64_t time)
{
	test_gen_init(m, seq, name, time, "CREATE TABLE orders(n INTEGER, text, r);");
}

/*
 * GEN1: orders (chunks 0, 1) and "a/b" (chunk 3); GEN2: orders (chunks 0, 1,
 * 2) and an empty table.  Written with the library's writers, then indexed.
 */
static void build_repo(const char *path, struct manifest *g1, struct manifest *g2)
{
	struct repo r;
	struct pack_writer *w;
	struct catalog c;
	struct catalog_sync_stats st;
	char pack[33];

	CHECK(repo_init(path, NULL) == 0);
	CHECK(repo_open(&r, path) == 0);
	static const struct { int64_t first; unsigned n; const char *tag; } spec[] = {
		{ 1, 40, "a" }, { 41, 55, "a" }, { 96, 30, "a" }, { -1000, 10, "b" },
	};
	CHECK(pack_writer_open(&w, r.store) == 0);
	for (int i = 0; i < 4; i++) {
		struct built *b = &chunks[i];
		size_t clen;
		buf_init(&b->fk);
		buf_init(&b->lk);
		b->data = make_chunk(spec[i].first, spec[i].n, spec[i].tag, &b->e, &b->len, &b->fk,
				     &b->lk);
		uint8_t *z = compress_chunk(b->data, b->len, &clen);
		b->e.clen = (uint32_t)clen;
		CHECK(pack_writer_add(w, &b->e, z) == 0);
		free(z);
	}
	CHECK(pack_writer_finish(w, pack) == 0);

	int o1[] = { 0, 1 }, ab[] = { 3 }, o2[] = { 0, 1, 2 };
	gen_init(g1, 1, GEN1, 1795140000);
	g1->ntables = 2;
	g1->tables = xcalloc(2, sizeof(*g1->tables));
	add_table(&g1->tables[0], "orders", o1, 2);
	add_table(&g1->tables[1], "a/b", ab, 1);
	test_write_gen(&r, g1);
	gen_init(g2, 2, GEN2, 1795140000 + 86400);
	g2->ntables = 2;
	g2->tables = xcalloc(2, sizeof(*g2->tables));
	add_table(&g2->tables[0], "orders", o2, 3);
	add_table(&g2->tables[1], "empty", NULL, 0);
	test_write_gen(&r, g2);

	CHECK(catalog_open(&c, r.catalog, false) == 0);
	CHECK(catalog_sync(&c, &r, false, &st) == 0);
	CHECK(st.gens_added == 2 && st.bad_gens == 0 && st.bad_packs == 0);
	catalog_close(&c);
	repo_close(&r);
}

/* tree_resolve: its result, and the number in *ino (0 on an error). */
static int res(const char *path, bool follow_last, uint64_t *ino)
{
	int rc = tree_resolve(t, path, follow_last, ino);
	if (rc)
		*ino = 0;
	return rc;
}

/* The number a path resolves to (following a last link), 0 if it does not. */
static uint64_t ino_of(const char *path)
{
	uint64_t ino;
	int rc = res(path, true, &ino);
	CHECKF(rc == 0, "resolve '%s': %s", path, strerror(-rc));
	return ino;
}

static mode_t type_of(uint64_t ino)
{
	struct stat st;
	unsigned flags;
	return tree_stat(t, ino, &st, &flags) ? 0 : st.st_mode & S_IFMT;
}

static void test_root_and_dots(uint64_t g1)
{
	static const char *const roots[] = { "", ".", "/", "//", "./", "/./.", "..", "../..",
					     "./../.", GEN1 "/..", GEN1 "/orders/../.." };
	uint64_t ino;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		CHECKF(res(roots[i], false, &ino) == 0 && ino == TREE_INO_ROOT, "'%s' -> %llx",
		       roots[i], (unsigned long long)ino);
	/* ".." goes up; at the root it stays there */
	CHECK(res(GEN1 "/orders/..", false, &ino) == 0 && ino == g1);
	CHECK(res(GEN1 "/orders/rows/../..", false, &ino) == 0 && ino == g1);
	CHECK(res(GEN1 "/orders/rows/../../", false, &ino) == 0 && ino == g1);
	CHECK(res("../../" GEN1, false, &ino) == 0 && ino == g1);
	CHECK(res("../../x", false, &ino) == -ENOENT);
	CHECK(res("/../x", true, &ino) == -ENOENT);
}

static void test_latest(uint64_t g1, uint64_t g2)
{
	struct stat st;
	unsigned flags = 0;
	uint64_t ino;
	char *target = NULL;

	/* not followed as the last component: the link itself */
	CHECK(res("latest", false, &ino) == 0 && ino == TREE_INO_LATEST);
	CHECK(tree_stat(t, TREE_INO_LATEST, &st, &flags) == 0 && S_ISLNK(st.st_mode) &&
	      st.st_size == (off_t)strlen(GEN2) && (flags & TREE_LIVE));
	CHECK(res("/latest", false, &ino) == 0 && ino == TREE_INO_LATEST);
	CHECK(res("./latest", false, &ino) == 0 && ino == TREE_INO_LATEST);
	/* followed: the newest generation's directory */
	CHECK(res("latest", true, &ino) == 0 && ino == g2 && type_of(ino) == S_IFDIR);
	CHECK(g1 != g2);
	/* a trailing "/" or anything after it follows it, whatever follow_last says */
	CHECK(res("latest/", false, &ino) == 0 && ino == g2);
	CHECK(res("latest//", false, &ino) == 0 && ino == g2);
	CHECK(res("latest/.", false, &ino) == 0 && ino == g2);
	CHECK(res("latest/..", false, &ino) == 0 && ino == TREE_INO_ROOT);
	CHECK(res("latest/orders/..", false, &ino) == 0 && ino == g2);
	CHECK(res("latest/orders", false, &ino) == 0 && ino == ino_of(GEN2 "/orders"));
	CHECK(res(GEN1 "/../latest", true, &ino) == 0 && ino == g2);
	/* the same file through the link and through the name */
	uint64_t a = ino_of("latest/orders/orders.csv"), b = ino_of(GEN2 "/orders/orders.csv");
	CHECK(a && a == b && a != ino_of(GEN1 "/orders/orders.csv"));
	CHECK(ino_of("latest/orders/rows") == ino_of(GEN2 "/orders/rows"));
	CHECK(res("latest/a%2Fb", true, &ino) == -ENOENT); /* only in GEN1 */

	/* readlink: of the link, its target; of anything else -EINVAL */
	CHECK(tree_readlink(t, TREE_INO_LATEST, &target) == 0 && target && !strcmp(target, GEN2));
	free(target);
	target = NULL;
	CHECK(tree_readlink(t, TREE_INO_ROOT, &target) == -EINVAL && !target);
	CHECK(tree_readlink(t, g1, &target) == -EINVAL && !target);
	CHECK(tree_readlink(t, ino_of(GEN1 "/generation.json"), &target) == -EINVAL && !target);
}

static void test_not_dirs_and_misses(uint64_t g1, const struct manifest *m2)
{
	struct stat st;
	unsigned flags;
	uint64_t ino, json = ino_of(GEN1 "/generation.json");

	/* a file in the middle of a path */
	CHECK(res(GEN1 "/generation.json/x", true, &ino) == -ENOTDIR);
	CHECK(res(GEN1 "/generation.json/..", true, &ino) == -ENOTDIR);
	CHECK(res(GEN1 "/generation.json/.", true, &ino) == -ENOTDIR);
	CHECK(res("latest/orders/orders.csv/x", true, &ino) == -ENOTDIR);
	/* as the last component, a file is the answer */
	CHECK(res(GEN1 "/generation.json", false, &ino) == 0 && ino == json &&
	      type_of(ino) == S_IFREG);
	/* as through the mount: "file/" is not a directory (the kernel says ENOTDIR) */
	CHECK(res(GEN1 "/generation.json/", true, &ino) == -ENOTDIR);

	/* names that are not there */
	CHECK(res("nope", true, &ino) == -ENOENT);
	CHECK(res(GEN1 "/nope", true, &ino) == -ENOENT);
	CHECK(res(GEN1 "/a/b", true, &ino) == -ENOENT); /* the table's directory is a%2Fb */
	CHECK(res(GEN1 "/a%2Fb/a%2Fb.csv", true, &ino) == 0 && type_of(ino) == S_IFREG);
	CHECK(res(GEN1 "/orders/nope.csv", true, &ino) == -ENOENT);
	CHECK(res(GEN2 "/empty/rows/x", true, &ino) == -ENOENT);

	/* a miss in a generation (immutable) is final; in the root it is not */
	flags = 0;
	CHECK(tree_lookup(t, g1, "nope", &ino, &st, &flags) == -ENOENT && (flags & TREE_FINAL));
	flags = 0;
	CHECK(tree_lookup(t, ino_of(GEN1 "/orders/rows"), "nope.csv", &ino, &st, &flags) ==
		      -ENOENT && (flags & TREE_FINAL));
	flags = TREE_FINAL;
	CHECK(tree_lookup(t, TREE_INO_ROOT, "nope", &ino, &st, &flags) == -ENOENT &&
	      !(flags & TREE_FINAL));
	/* a hit: the attributes of the file */
	const struct manifest_table *o2 = &m2->tables[0];
	CHECK(tree_lookup(t, ino_of(GEN2 "/orders"), "orders.csv", &ino, &st, &flags) == 0 &&
	      ino == ino_of("latest/orders/orders.csv") && S_ISREG(st.st_mode) &&
	      st.st_ino == ino && (uint64_t)st.st_size == strlen(HEADER) + o2->csv_size &&
	      flags == 0);

	/* a lookup in something that is not a directory */
	CHECK(tree_lookup(t, json, "x", &ino, &st, &flags) == -ENOTDIR);
	CHECK(tree_lookup(t, ino_of("latest/orders/orders.csv"), "x", &ino, &st, &flags) ==
	      -ENOTDIR);
	CHECK(tree_lookup(t, TREE_INO_LATEST, "orders", &ino, &st, &flags) == -ENOTDIR);
	/* opening a directory */
	struct rd_file *f = NULL;
	CHECK(tree_open_file(t, TREE_INO_ROOT, &f) == -EISDIR && !f);
	CHECK(tree_open_file(t, g1, &f) == -EISDIR && !f);
	CHECK(tree_open_file(t, ino_of(GEN1 "/orders"), &f) == -EISDIR && !f);
	CHECK(tree_open_file(t, ino_of(GEN1 "/orders/rows"), &f) == -EISDIR && !f);
	/* listing a file */
	struct tree_dir d;
	CHECK(tree_list(t, json, &d, &flags) == -ENOTDIR && d.n == 0);

	/* a number nothing lists: the generation's with a table index (unused fields are 0) */
	uint64_t alias = g1 | (uint64_t)1 << 20;
	CHECK(tree_stat(t, alias, &st, &flags) == -ENOENT);
}

/* tree_list of a directory: names (NUL-separated), types and numbers. */
static void check_list(uint64_t dir, const char *const *names, const mode_t *types, size_t n,
		       unsigned want_flags)
{
	struct tree_dir d;
	unsigned flags = 0xff; /* all of it is set: TREE_LIVE for the root only */
	CHECK(tree_list(t, dir, &d, &flags) == 0);
	CHECKF(d.n == n, "%zu entries, not %zu", d.n, n);
	CHECK(flags == want_flags);
	const char *name = (const char *)d.names.data;
	for (size_t i = 0; i < n && i < d.n; i++, name += strlen(name) + 1) {
		CHECKF(!strcmp(name, names[i]), "entry %zu: '%s', not '%s'", i, name, names[i]);
		CHECK(d.types[i] == types[i]);
		CHECK(type_of(d.inos[i]) == types[i]);
		uint64_t ino;
		struct stat st;
		unsigned fl;
		CHECK(tree_lookup(t, dir, names[i], &ino, &st, &fl) == 0 && ino == d.inos[i]);
	}
	tree_dir_release(&d);
}

static void test_lists(uint64_t g1, uint64_t g2)
{
	/* the root: the generations, oldest first, then "latest", tables/, at/ and db/ */
	const char *root[] = { GEN1, GEN2, "latest", "tables", "at", "db" };
	const mode_t root_t[] = { S_IFDIR, S_IFDIR, S_IFLNK, S_IFDIR, S_IFDIR, S_IFDIR };
	check_list(TREE_INO_ROOT, root, root_t, 6, TREE_LIVE);
	struct tree_dir d;
	unsigned flags;
	CHECK(tree_list(t, TREE_INO_ROOT, &d, &flags) == 0 && d.n == 6);
	if (d.n == 6)
		CHECK(d.inos[0] == g1 && d.inos[1] == g2 && d.inos[2] == TREE_INO_LATEST);
	tree_dir_release(&d);
	/* db/: the one database (its source /src/app.db), its generations and its latest */
	const char *dbs[] = { "app" };
	const mode_t dbs_t[] = { S_IFDIR };
	check_list(ino_of("db"), dbs, dbs_t, 1, TREE_LIVE);
	const char *app[] = { GEN1, GEN2, "latest" };
	const mode_t app_t[] = { S_IFLNK, S_IFLNK, S_IFLNK };
	check_list(ino_of("db/app"), app, app_t, 3, TREE_LIVE);
	char *target = NULL;
	uint64_t lino;
	CHECK(res("db/app/latest", false, &lino) == 0 && tree_readlink(t, lino, &target) == 0 &&
	      target && !strcmp(target, "../../" GEN2));
	free(target);
	CHECK(res("db/app/latest", true, &lino) == 0 && lino == g2);
	CHECK(res("db/app/" GEN1, true, &lino) == 0 && lino == g1);
	uint64_t none0;
	CHECK(res("db/other", true, &none0) == -ENOENT);
	CHECK(res("db/app/2026-01-01T000000Z", true, &none0) == -ENOENT);
	/* at/ lists nothing; tables/ every table once; a table's versions, oldest first */
	CHECK(tree_list(t, ino_of("at"), &d, &flags) == 0 && d.n == 0 && flags == TREE_LIVE);
	tree_dir_release(&d);
	const char *tabs[] = { "a%2Fb", "empty", "orders" };
	const mode_t tabs_t[] = { S_IFDIR, S_IFDIR, S_IFDIR };
	check_list(ino_of("tables"), tabs, tabs_t, 3, TREE_LIVE);
	const char *vers[] = { GEN1, GEN2, "key" };
	const mode_t vers_t[] = { S_IFLNK, S_IFLNK, S_IFDIR };
	check_list(ino_of("tables/orders"), vers, vers_t, 3, TREE_LIVE);

	const char *gen[] = { "generation.json", "schema.sql", "orders", "a%2Fb", "dump.sql",
			      "schema.pg.sql" };
	const mode_t gen_t[] = { S_IFREG, S_IFREG, S_IFDIR, S_IFDIR, S_IFREG, S_IFREG };
	check_list(g1, gen, gen_t, 6, 0);
	const char *table[] = { "schema.sql", "schema.pg.sql", "orders.csv", "orders.jsonl",
				"orders.sql", "rows", "key", "changes.csv", "changes.jsonl" };
	const mode_t table_t[] = { S_IFREG, S_IFREG, S_IFREG, S_IFREG, S_IFREG, S_IFDIR, S_IFDIR,
				   S_IFREG, S_IFREG };
	check_list(ino_of(GEN2 "/orders"), table, table_t, 9, 0);
	/* with CSV alone (stratafs -o formats=csv), as before the views: no dump.sql */
	tree_set_formats(t, 1u << VIEW_CSV);
	const char *csv_only[] = { "schema.sql", "schema.pg.sql", "orders.csv", "rows", "key",
				   "changes.csv" };
	const mode_t csv_only_t[] = { S_IFREG, S_IFREG, S_IFREG, S_IFDIR, S_IFDIR, S_IFREG };
	check_list(ino_of(GEN2 "/orders"), csv_only, csv_only_t, 6, 0);
	const char *gen_csv[] = { "generation.json", "schema.sql", "orders", "a%2Fb",
				  "schema.pg.sql" };
	const mode_t gen_csv_t[] = { S_IFREG, S_IFREG, S_IFDIR, S_IFDIR, S_IFREG };
	check_list(g1, gen_csv, gen_csv_t, 5, 0);
	uint64_t none;
	CHECK(res(GEN2 "/orders/orders.jsonl", true, &none) == -ENOENT);
	CHECK(res(GEN2 "/dump.sql", true, &none) == -ENOENT);
	tree_set_formats(t, 1u << VIEW_CSV | 1u << VIEW_JSONL | 1u << VIEW_SQL);
	/* the link lists as what it leads to */
	CHECK(tree_list(t, TREE_INO_LATEST, &d, &flags) == -ENOTDIR);
	CHECK(tree_list(t, ino_of("latest"), &d, &flags) == 0 && d.n == 6);
	tree_dir_release(&d);
	/* a key directory lists nothing */
	CHECK(tree_list(t, ino_of("latest/orders/key"), &d, &flags) == 0 && d.n == 0);
	tree_dir_release(&d);
}

/* A row-range file and the table's CSV: sizes, and a read of each. */
static void test_files(const struct manifest *m2)
{
	const struct manifest_table *o2 = &m2->tables[0];
	const struct manifest_chunk *c2 = &o2->chunks[2];
	char *fname = name_range(c2->first_key, c2->first_len, c2->last_key, c2->last_len, ".csv");
	char *path = xasprintf("latest/orders/rows/%s", fname);
	uint64_t ino = ino_of(path), csv = ino_of("latest/orders/orders.csv");
	struct stat st;
	unsigned flags;
	struct rd_file *f = NULL;
	struct rd_reply r;

	CHECK(tree_stat(t, ino, &st, &flags) == 0 && S_ISREG(st.st_mode) &&
	      (uint64_t)st.st_size == strlen(HEADER) + c2->csv_len);
	CHECK(tree_stat(t, csv, &st, &flags) == 0 &&
	      (uint64_t)st.st_size == strlen(HEADER) + o2->csv_size);
	CHECK(tree_open_file(t, csv, &f) == 0 && f && f->size == (uint64_t)st.st_size);
	if (f) {
		int rc = reader_read(tree_reader(t), f, 0, (size_t)f->size, &r);
		CHECK(rc == 0 && r.len == f->size && r.niov > 0 &&
		      r.iov[0].iov_len >= strlen(HEADER) &&
		      !memcmp(r.iov[0].iov_base, HEADER, strlen(HEADER)));
		reader_done(tree_reader(t), f, &r, rc);
		rd_file_free(f);
	}
	free(fname);
	free(path);
}

int main(void)
{
	char *dir = make_tmpdir("tree");
	char *path = xasprintf("%s/repo", dir);
	char *err = NULL;
	struct manifest g1, g2;

	build_repo(path, &g1, &g2);
	CHECKF(tree_open(&t, path, &err) == 0, "tree_open: %s", err ? err : "");
	if (t) {
		CHECKF(tree_start(t, 1u << 20, 0, &err) == 0, "tree_start: %s", err ? err : "");
		uint64_t ig1 = ino_of(GEN1), ig2 = ino_of(GEN2);
		CHECK(ig1 && ig2 && type_of(ig1) == S_IFDIR && type_of(ig2) == S_IFDIR);
		test_root_and_dots(ig1);
		test_latest(ig1, ig2);
		test_not_dirs_and_misses(ig1, &g2);
		test_lists(ig1, ig2);
		test_files(&g2);
		tree_close(t);
	}
	free(err);
	manifest_release(&g1);
	manifest_release(&g2);
	for (int i = 0; i < 4; i++) {
		free(chunks[i].data);
		buf_release(&chunks[i].fk);
		buf_release(&chunks[i].lk);
	}
	rm_rf(dir);
	free(dir);
	free(path);
	return check_done("test_tree");
}
