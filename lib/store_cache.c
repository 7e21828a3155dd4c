/*
 * store_cache.c - a bounded on-disk cache of a remote store's packs
 * (strata/store.h, store_cache_wrap).
 *
 * Packs never change once stored (their name is the hash of their index),
 * so what was fetched once can be kept: the ranges a read asks for are
 * fetched in aligned blocks of STORE_CACHE_BLOCK bytes, each kept in a file
 * "<pack name>.<block number>" below the cache directory, beginning with
 * the xxh3-64 of its bytes (checked on every read: a damaged file is
 * fetched again, never served), and the pack's size in "<pack name>.size",
 * so that a pack read before opens without a request.  When the files pass
 * the bound, the least recently used blocks go.  Everything else passes
 * through to the wrapped store.  The cache is advice: deleting it (even
 * under a running mount) loses nothing but time.
 */
#include "strata/log.h"
#include "strata/store.h"
#include "strata/util.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define NBUCKET 4096

struct centry {
	struct centry *next;
	char *name;   /* "<pack>.<block>" */
	uint64_t bytes;
	uint64_t used; /* clock of the last use */
};

struct cstore {
	struct store s;
	struct store *inner;
	char *dir;
	uint64_t max_bytes, bytes, clock;
	pthread_mutex_t mu;
	struct centry *b[NBUCKET];
	size_t n;
};

struct cfile {
	struct store_file f;
	struct cstore *c;
	struct store_file *inner; /* opened on the first miss */
	char name[33];            /* pack name */
	char *key;
};

static const struct store_ops cache_ops;

static struct cstore *C(struct store *s)
{
	return (struct cstore *)s;
}

static struct centry **slot(struct cstore *c, const char *name)
{
	struct centry **p = &c->b[XXH3_64bits(name, strlen(name)) % NBUCKET];
	while (*p && strcmp((*p)->name, name))
		p = &(*p)->next;
	return p;
}

/* Forget a block (under mu) and remove its file. */
static void drop(struct cstore *c, struct centry **p)
{
	struct centry *e = *p;
	char *path = xasprintf("%s/%s", c->dir, e->name);
	unlink(path);
	free(path);
	*p = e->next;
	c->bytes -= e->bytes;
	c->n--;
	free(e->name);
	free(e);
}

/* The least recently used blocks go until the files take at most 9/10 of the bound (under mu). */
static void evict(struct cstore *c)
{
	while (c->bytes > c->max_bytes - c->max_bytes / 10 && c->n) {
		struct centry **oldest = NULL;
		for (size_t i = 0; i < NBUCKET; i++)
			for (struct centry **p = &c->b[i]; *p; p = &(*p)->next)
				if (!oldest || (*p)->used < (*oldest)->used)
					oldest = p;
		drop(c, oldest);
	}
}

static void note(struct cstore *c, const char *name, uint64_t bytes)
{
	pthread_mutex_lock(&c->mu);
	struct centry **p = slot(c, name);
	if (*p) {
		(*p)->used = ++c->clock;
	} else {
		struct centry *e = xcalloc(1, sizeof(*e));
		e->name = xstrdup(name);
		e->bytes = bytes;
		e->used = ++c->clock;
		*p = e;
		c->bytes += bytes;
		c->n++;
		if (c->bytes > c->max_bytes)
			evict(c);
	}
	pthread_mutex_unlock(&c->mu);
}

/* A pack name (32 hex) from "packs/xx/<name>.pack", or false: only packs are cached. */
static bool pack_of(const char *key, char name[33])
{
	size_t n = strlen(key);
	if (n != 46 || strncmp(key, "packs/", 6) || key[8] != '/' || strcmp(key + 41, ".pack"))
		return false;
	memcpy(name, key + 9, 32);
	name[32] = 0;
	return strspn(name, "0123456789abcdef") == 32;
}

/* Write a cache file whole (temporary, then rename), or not at all. */
static void put_file(struct cstore *c, const char *name, const void *a, size_t na, const void *b,
		     size_t nb)
{
	char *path = xasprintf("%s/%s", c->dir, name), *tmp = xasprintf("%s/.%s.XXXXXX", c->dir, name);
	int fd = mkostemp(tmp, O_CLOEXEC);
	bool ok = fd >= 0 && !write_all(fd, a, na) && !write_all(fd, b, nb);
	if (fd >= 0)
		close(fd);
	if (ok && rename(tmp, path) == 0)
		note(c, name, na + nb);
	else if (fd >= 0)
		unlink(tmp);
	free(path);
	free(tmp);
}

static int cache_open(struct store *s, const char *key, struct store_file **out)
{
	struct cstore *c = C(s);
	char name[33];
	*out = NULL;
	if (!pack_of(key, name))
		return store_file_open(c->inner, key, out);
	struct cfile *f = xcalloc(1, sizeof(*f));
	f->f.ops = &cache_ops;
	f->c = c;
	f->key = xstrdup(key);
	memcpy(f->name, name, 33);
	/* the size, kept from an earlier open: no request */
	char *sp = xasprintf("%s/%s.size", c->dir, name);
	uint8_t *d = NULL;
	size_t n;
	bool known = false;
	if (read_file(sp, 64, &d, &n) == 0) {
		char *end;
		unsigned long long v = strtoull((char *)d, &end, 10);
		if (end != (char *)d && *end == '\n') {
			f->f.size = v;
			known = true;
		}
	}
	free(d);
	free(sp);
	if (!known) {
		int rc = store_file_open(c->inner, key, &f->inner);
		if (rc) {
			free(f->key);
			free(f);
			return rc;
		}
		f->f.size = store_file_size(f->inner);
		char line[32];
		int ln = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)f->f.size);
		char *szname = xasprintf("%s.size", name);
		put_file(c, szname, line, (size_t)ln, "", 0);
		free(szname);
	}
	*out = &f->f;
	return 0;
}

/* Block k of f (len bytes), from the cache or fetched. */
static int get_block(struct cfile *f, uint64_t k, uint8_t *out, size_t len)
{
	struct cstore *c = f->c;
	char name[64];
	snprintf(name, sizeof(name), "%s.%llu", f->name, (unsigned long long)k);
	char *path = xasprintf("%s/%s", c->dir, name);
	uint8_t *d = NULL;
	size_t n = 0;
	int rc = read_file(path, len + 8, &d, &n);
	free(path);
	if (!rc && n == len + 8 && get_u64le(d) == XXH3_64bits(d + 8, len)) {
		memcpy(out, d + 8, len);
		free(d);
		note(c, name, n);
		return 0;
	}
	free(d);
	if (!rc) {
		/* damaged or of another size: fetched again, never served */
		pthread_mutex_lock(&c->mu);
		struct centry **p = slot(c, name);
		if (*p)
			drop(c, p);
		pthread_mutex_unlock(&c->mu);
	}
	/* the pack itself, on the first miss (readers share f: once, under the lock) */
	pthread_mutex_lock(&c->mu);
	rc = f->inner ? 0 : store_file_open(c->inner, f->key, &f->inner);
	pthread_mutex_unlock(&c->mu);
	if (rc)
		return rc;
	if (store_file_size(f->inner) != f->f.size) {
		/* the size kept is not this pack's: never mix the two; the next open asks again */
		char *sp = xasprintf("%s/%s.size", c->dir, f->name);
		unlink(sp);
		free(sp);
		return -EUCLEAN;
	}
	rc = store_pread(f->inner, out, len, k * STORE_CACHE_BLOCK);
	if (rc)
		return rc;
	uint8_t h[8];
	put_u64le(h, XXH3_64bits(out, len));
	put_file(c, name, h, 8, out, len);
	return 0;
}

static int cache_pread(struct store_file *sf, void *buf, size_t n, uint64_t off)
{
	struct cfile *f = (struct cfile *)sf;
	uint8_t *blk = xmalloc(STORE_CACHE_BLOCK), *o = buf;
	int rc = 0;
	while (n && !rc) {
		uint64_t k = off / STORE_CACHE_BLOCK, start = k * STORE_CACHE_BLOCK;
		size_t len = f->f.size - start < STORE_CACHE_BLOCK ? (size_t)(f->f.size - start)
								    : STORE_CACHE_BLOCK;
		size_t at = (size_t)(off - start), take = len - at < n ? len - at : n;
		rc = get_block(f, k, blk, len);
		if (!rc) {
			memcpy(o, blk + at, take);
			o += take;
			off += take;
			n -= take;
		}
	}
	free(blk);
	return rc;
}

static void cache_close(struct store_file *sf)
{
	struct cfile *f = (struct cfile *)sf;
	store_file_close(f->inner);
	free(f->key);
	free(f);
}

/* ---- pass-through ---- */

static int cache_list(struct store *s, const char *dir, unsigned depth, store_list_fn fn, void *arg)
{
	return store_list(C(s)->inner, dir, depth, fn, arg);
}

static int cache_get(struct store *s, const char *key, size_t max, uint8_t **data, size_t *len)
{
	return store_get(C(s)->inner, key, max, data, len);
}

static int cache_put(struct store *s, const char *key, const void *data, size_t len,
		     unsigned flags)
{
	return store_put(C(s)->inner, key, data, len, flags);
}

static int cache_tmp_create(struct store *s, const char *hint, char **path)
{
	return store_tmp_create(C(s)->inner, hint, path);
}

static int cache_put_tmp(struct store *s, const char *key, int fd, const char *path,
			 unsigned flags)
{
	return store_put_tmp(C(s)->inner, key, fd, path, flags);
}

static int cache_del(struct store *s, const char *key)
{
	return store_delete(C(s)->inner, key);
}

static int cache_barrier(struct store *s)
{
	return store_barrier(C(s)->inner);
}

static int cache_lock(struct store *s, const char *name, bool exclusive, const char *what,
		      int64_t wait_ms, store_wait_fn waiting, void *arg, struct store_lock **l)
{
	return store_lock(C(s)->inner, name, exclusive, what, wait_ms, waiting, arg, l);
}

static char *cache_lock_holder(struct store *s, const char *name)
{
	return store_lock_holder(C(s)->inner, name);
}

static void cache_clean_tmp(struct store *s)
{
	store_clean_tmp(C(s)->inner);
}

static void cache_free(struct store *s)
{
	struct cstore *c = C(s);
	for (size_t i = 0; i < NBUCKET; i++)
		while (c->b[i]) {
			struct centry *e = c->b[i];
			c->b[i] = e->next;
			free(e->name);
			free(e);
		}
	pthread_mutex_destroy(&c->mu);
	store_free(c->inner);
	free(c->dir);
	free(c);
}

static const struct store_ops cache_ops = {
	.list = cache_list,
	.get = cache_get,
	.open = cache_open,
	.pread = cache_pread,
	.close = cache_close,
	.put = cache_put,
	.tmp_create = cache_tmp_create,
	.put_tmp = cache_put_tmp,
	.del = cache_del,
	.barrier = cache_barrier,
	.lock = cache_lock,
	.unlock = NULL, /* a lock is the inner store's: store_unlock goes to its ops */
	.lock_holder = cache_lock_holder,
	.clean_tmp = cache_clean_tmp,
	.free = cache_free,
};

int store_cache_wrap(struct store **s, const char *dir, uint64_t max_bytes)
{
	int rc = mkdir_p(dir, 0700);
	if (rc)
		return rc;
	struct cstore *c = xcalloc(1, sizeof(*c));
	c->s = **s; /* where, tmp, local, cache: the inner store's (it keeps owning them) */
	c->s.ops = &cache_ops;
	c->inner = *s;
	c->dir = xstrdup(dir);
	c->max_bytes = max_bytes < 2 * STORE_CACHE_BLOCK ? 2 * STORE_CACHE_BLOCK : max_bytes;
	pthread_mutex_init(&c->mu, NULL);
	/* what an earlier run left: counted, oldest (by mtime) first to go */
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.') {
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(dirfd(d), e->d_name, 0); /* a temporary of a run that died */
			continue;
		}
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		struct centry **p = slot(c, e->d_name);
		if (*p)
			continue;
		struct centry *ne = xcalloc(1, sizeof(*ne));
		ne->name = xstrdup(e->d_name);
		ne->bytes = (uint64_t)st.st_size;
		ne->used = (uint64_t)st.st_mtime; /* older files first; new uses count from here */
		*p = ne;
		c->bytes += ne->bytes;
		c->n++;
	}
	if (d)
		closedir(d);
	c->clock = (uint64_t)time(NULL);
	if (c->bytes > c->max_bytes)
		evict(c);
	*s = &c->s;
	return 0;
}
