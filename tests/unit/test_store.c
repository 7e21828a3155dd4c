/* Unit tests for lib/store.c and lib/store_local.c: the storage seam's rules, locally. */
#include "check.h"
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int count_seen(const char *name, void *arg)
{
	namelist_add(arg, name);
	return 0;
}

static int stop_at_first(const char *name, void *arg)
{
	(void)name;
	(*(int *)arg)++;
	return 7;
}

static bool get_is(struct store *s, const char *key, const char *want)
{
	uint8_t *d;
	size_t n;
	bool ok = store_get(s, key, 1 << 20, &d, &n) == 0 && n == strlen(want) &&
		  !memcmp(d, want, n) && d[n] == 0;
	free(d);
	return ok;
}

static bool dir_empty(const char *p)
{
	return dir_is_empty(p) == 1;
}

int main(void)
{
	char *base = make_tmpdir("store");
	char *root = xasprintf("%s/repo", base), *outside = xasprintf("%s/outside", base);
	struct store *s = NULL, *s2 = NULL;
	int rc;

	CHECK(mkdir(outside, 0755) == 0);
	/* opening */
	CHECK(store_open(root, false, &s) == -ENOENT && !s);
	CHECK(store_open(root, true, &s) == 0 && s);
	CHECK(s && !strcmp(s->where, root) && s->local && s->tmp);
	CHECK(store_open(root, true, &s2) == -ENOTEMPTY);
	{
		char *f = xasprintf("%s/plain", outside);
		int fd = open(f, O_CREAT | O_WRONLY, 0644);
		close(fd);
		CHECK(store_open(f, false, &s2) == -ENOTDIR);
		unlink(f);
		free(f);
	}

	/* keys are relative paths of plain components */
	static const char *const bad_keys[] = { "", "/abs", "../up", "a/../b", "a//b", "./a", "a/",
						"a/." };
	for (size_t i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
		CHECKF(store_put(s, bad_keys[i], "x", 1, 0) == -EINVAL, "put '%s'", bad_keys[i]);
		uint8_t *d;
		size_t n;
		CHECKF(store_get(s, bad_keys[i], 10, &d, &n) == -EINVAL, "get '%s'", bad_keys[i]);
	}

	/* put, get, if-absent, replace; directories made on the way */
	CHECK(store_put(s, "packs/ab/one", "hello", 5, STORE_IF_ABSENT) == 0);
	CHECK(get_is(s, "packs/ab/one", "hello"));
	CHECK(store_put(s, "packs/ab/one", "other", 5, STORE_IF_ABSENT) == -EEXIST);
	CHECK(get_is(s, "packs/ab/one", "hello"));
	CHECK(store_put(s, "packs/ab/one", "again!", 6, 0) == 0);
	CHECK(get_is(s, "packs/ab/one", "again!"));
	CHECK(store_put(s, "config", "c", 1, 0) == 0);
	{
		uint8_t *d;
		size_t n;
		CHECK(store_get(s, "config", 0, &d, &n) == -EFBIG && !d);
		CHECK(store_get(s, "nothing", 10, &d, &n) == -ENOENT && !d);
		CHECK(store_get(s, "packs/zz/nothing", 10, &d, &n) == -ENOENT);
	}
	/* temporaries leave nothing behind */
	{
		char *tmp = xasprintf("%s/tmp", root);
		CHECK(dir_empty(tmp));
		char *path;
		int fd = store_tmp_create(s, "big", &path);
		CHECK(fd >= 0 && path && !strncmp(path, tmp, strlen(tmp)));
		CHECK(write_all(fd, "0123456789", 10) == 0);
		CHECK(store_put_tmp(s, "generations/g1.gen", fd, path, STORE_IF_ABSENT) == 0);
		CHECK(access(path, F_OK) < 0);
		free(path);
		fd = store_tmp_create(s, "big", &path);
		CHECK(store_put_tmp(s, "generations/g1.gen", fd, path, STORE_IF_ABSENT) == -EEXIST);
		CHECK(access(path, F_OK) < 0);
		free(path);
		CHECK(dir_empty(tmp));
		free(tmp);
	}

	/* ranged reads */
	{
		struct store_file *f;
		char b[8];
		CHECK(store_file_open(s, "generations/g1.gen", &f) == 0);
		CHECK(store_file_size(f) == 10);
		CHECK(store_pread(f, b, 4, 3) == 0 && !memcmp(b, "3456", 4));
		CHECK(store_pread(f, b, 4, 7) == -EUCLEAN);
		CHECK(store_pread(f, b, 1, 11) == -EUCLEAN);
		CHECK(store_pread(f, b, 0, 10) == 0);
		store_file_close(f);
		store_file_close(NULL);
	}

	/* links are never followed: not for reads, writes or deletes */
	{
		char *ln = xasprintf("%s/packs/cd", root), *lf = xasprintf("%s/generations/l.gen", root);
		char *victim = xasprintf("%s/victim", outside);
		int fd = open(victim, O_CREAT | O_WRONLY, 0644);
		CHECK(fd >= 0 && write(fd, "v", 1) == 1);
		close(fd);
		CHECK(symlink(outside, ln) == 0 && symlink(victim, lf) == 0);
		struct store_file *f = NULL;
		uint8_t *d;
		size_t n;
		CHECK(store_file_open(s, "packs/cd/victim", &f) == -ELOOP && !f);
		CHECK(store_get(s, "generations/l.gen", 10, &d, &n) == -ELOOP);
		CHECK(store_put(s, "packs/cd/new", "x", 1, 0) == -ELOOP);
		CHECK(store_delete(s, "packs/cd/victim") == -ELOOP);
		CHECK(access(victim, F_OK) == 0);
		/* a link in place of an object is replaced, not written through */
		CHECK(store_put(s, "generations/l.gen", "new", 3, 0) == 0);
		CHECK(get_is(s, "generations/l.gen", "new"));
		CHECK(read_file(victim, 10, &d, &n) == 0 && n == 1);
		free(d);
		/* nothing was written outside */
		char *stray = xasprintf("%s/new", outside);
		CHECK(access(stray, F_OK) < 0);
		free(stray);
		free(ln);
		free(lf);
		free(victim);
	}

	/* a FIFO is refused without blocking; a directory is not an object */
	{
		char *fifo = xasprintf("%s/packs/ab/fifo", root);
		CHECK(mkfifo(fifo, 0644) == 0);
		struct store_file *f = NULL;
		CHECK(store_file_open(s, "packs/ab/fifo", &f) == -EUCLEAN && !f);
		CHECK(store_file_open(s, "packs/ab", &f) == -EUCLEAN && !f);
		free(fifo);
	}

	/* listing: every depth, dot names skipped, links named but not entered */
	{
		struct namelist l = { 0 };
		char *dot = xasprintf("%s/packs/ab/.hidden", root);
		int fd = open(dot, O_CREAT | O_WRONLY, 0644);
		close(fd);
		char *deep = xasprintf("%s/packs/ab/sub", root);
		CHECK(mkdir(deep, 0755) == 0);
		CHECK(store_put(s, "packs/ab/sub/x", "x", 1, 0) == 0);
		CHECK(store_list(s, "packs", 1, count_seen, &l) == 0);
		namelist_sort(&l);
		CHECKF(l.n == 4, "%zu names", l.n);
		CHECK(l.n == 4 && !strcmp(l.v[0], "ab/fifo") && !strcmp(l.v[1], "ab/one") &&
		      !strcmp(l.v[2], "ab/sub") && !strcmp(l.v[3], "cd"));
		namelist_release(&l);
		CHECK(store_list(s, "packs", 0, count_seen, &l) == 0);
		namelist_sort(&l);
		CHECK(l.n == 2 && !strcmp(l.v[0], "ab") && !strcmp(l.v[1], "cd"));
		namelist_release(&l);
		CHECK(store_list(s, "packs", 5, count_seen, &l) == 0);
		namelist_sort(&l);
		CHECK(l.n == 4 && namelist_has(&l, "ab/sub/x"));
		namelist_release(&l);
		int calls = 0;
		CHECK(store_list(s, "packs", 1, stop_at_first, &calls) == 7 && calls == 1);
		CHECK(store_list(s, "nothing", 1, count_seen, &l) == -ENOENT);
		CHECK(store_delete(s, "packs/ab/sub/x") == 0);
		free(deep);
		free(dot);
	}

	/* deletes */
	CHECK(store_delete(s, "packs/ab/one") == 0);
	CHECK(store_delete(s, "packs/ab/one") == -ENOENT);
	CHECK(store_barrier(s) == 0);
	CHECK(store_delete(s, "packs/xx/none") == -ENOENT);

	/* locks: exclusive excludes all, shared shares, the holder is named */
	{
		struct store_lock *a = NULL, *b = NULL, *c = NULL;
		CHECK(store_open(root, false, &s2) == 0);
		CHECK(store_lock(s, "lock", true, "backup", 0, NULL, NULL, &a) == 0 && a);
		CHECK(store_lock(s2, "lock", true, "prune", 0, NULL, NULL, &b) == -EWOULDBLOCK && !b);
		char *h = store_lock_holder(s2, "lock");
		CHECKF(!strncmp(h, "backup (pid ", 12), "holder '%s'", h);
		free(h);
		store_unlock(a);
		CHECK(store_lock(s2, "lock", true, "prune", 0, NULL, NULL, &b) == 0);
		store_unlock(b);
		CHECK(store_lock(s, "gc-lock", false, "verify", 0, NULL, NULL, &a) == 0);
		CHECK(store_lock(s2, "gc-lock", false, "verify", 0, NULL, NULL, &b) == 0);
		CHECK(store_lock(s2, "gc-lock", true, "prune", 0, NULL, NULL, &c) == -EWOULDBLOCK);
		store_unlock(a);
		store_unlock(b);
		store_unlock(NULL);
		store_free(s2);
	}

	/* clean_tmp removes leftovers only */
	{
		char *path;
		int fd = store_tmp_create(s, "left", &path);
		close(fd);
		store_clean_tmp(s);
		CHECK(access(path, F_OK) < 0);
		CHECK(get_is(s, "config", "c"));
		free(path);
	}

	/* the disk cache over a store: same bytes across block edges, bounded, checked */
	{
		const char *key = "packs/0a/0a000000000000000000000000000001.pack";
		size_t big = 3 * STORE_CACHE_BLOCK + 777;
		uint8_t *want = xmalloc(big), *got = xmalloc(big);
		for (size_t i = 0; i < big; i++)
			want[i] = (uint8_t)(i * 2654435761u >> 13);
		CHECK(store_put(s, key, want, big, 0) == 0);
		CHECK(store_put(s, "generations/c.gen", "plain", 5, 0) == 0);
		char *cdir = xasprintf("%s/cache", base);
		struct store *c = NULL;
		CHECK(store_open(root, false, &c) == 0);
		CHECK(store_cache_wrap(&c, cdir, 2 * STORE_CACHE_BLOCK + 100) == 0);
		CHECK(get_is(c, "generations/c.gen", "plain")); /* not a pack: passed through */
		struct store_file *f = NULL;
		CHECK(store_file_open(c, key, &f) == 0 && f && store_file_size(f) == big);
		static const struct { uint64_t off, n; } rd[] = {
			{ 0, 10 }, { STORE_CACHE_BLOCK - 5, 10 }, { 1, 3 * STORE_CACHE_BLOCK },
			{ 3 * STORE_CACHE_BLOCK, 777 }, { 0, 3 * STORE_CACHE_BLOCK + 777 },
		};
		for (size_t i = 0; f && i < sizeof(rd) / sizeof(rd[0]); i++) {
			memset(got, 0, big);
			CHECKF(store_pread(f, got, rd[i].n, rd[i].off) == 0 &&
			       !memcmp(got, want + rd[i].off, rd[i].n), "range %zu", i);
		}
		CHECK(f && store_pread(f, got, 2, big - 1) == -EUCLEAN);
		store_file_close(f);
		/* bounded: at most the bound in files (blocks and the size) */
		uint64_t used = 0;
		struct namelist l = { 0 };
		DIR *d = opendir(cdir);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			struct stat st;
			char *p = xasprintf("%s/%s", cdir, e->d_name);
			if (e->d_name[0] != '.' && stat(p, &st) == 0) {
				used += (uint64_t)st.st_size;
				namelist_add(&l, e->d_name);
			}
			free(p);
		}
		if (d)
			closedir(d);
		CHECKF(used > 0 && used <= 2 * STORE_CACHE_BLOCK + 100, "%llu bytes cached",
		       (unsigned long long)used);
		/* damage every cached block: read again, the same bytes (fetched again) */
		for (size_t i = 0; i < l.n; i++) {
			char *p = xasprintf("%s/%s", cdir, l.v[i]);
			int fd = open(p, O_WRONLY);
			if (fd >= 0 && !strstr(l.v[i], ".size"))
				CHECK(pwrite(fd, "\xff\xfe", 2, 20) == 2);
			if (fd >= 0)
				close(fd);
			free(p);
		}
		namelist_release(&l);
		CHECK(store_file_open(c, key, &f) == 0);
		memset(got, 0, big);
		CHECK(f && store_pread(f, got, big, 0) == 0 && !memcmp(got, want, big));
		store_file_close(f);
		/* the object gone from the store: an error (the part not cached), never other bytes */
		CHECK(store_delete(s, key) == 0);
		rc = store_file_open(c, key, &f);
		if (!rc) {
			rc = store_pread(f, got, big, 0);
			store_file_close(f);
		}
		CHECKF(rc == -ENOENT, "rc %d", rc);
		store_free(c);
		free(cdir);
		free(want);
		free(got);
	}

	rc = 0;
	store_free(s);
	store_free(NULL);
	rm_rf(base);
	free(base);
	free(root);
	free(outside);
	return check_done("unit-store") | rc;
}
