/*
 * store.h - where a repository's objects are kept: the storage seam.
 *
 * Everything strata keeps in a repository is an object named by a relative
 * key ("config", "generations/<name>.gen", "packs/<xx>/<name>.pack",
 * "verify-status"); every reader and writer reaches them through a struct store,
 * never through paths of its own.  A backend is one file behind struct
 * store_backend (store_local.c: a directory; more to come), chosen by
 * store_open() from the repository's location.  The catalog is not an
 * object: it is derived, local, and rebuilt from the objects.
 *
 * The rules every backend keeps (docs/FORMAT.md, "Storage"):
 *  - an object is written whole or not at all: store_put() and
 *    store_put_tmp() make it visible in one step, after its bytes are
 *    durable; STORE_IF_ABSENT never replaces an object (-EEXIST);
 *  - a read returns the object's bytes or an error, never other bytes;
 *    short objects are -EUCLEAN;
 *  - deletes are durable once store_barrier() returns;
 *  - locks: "lock" is the writers' lock (exclusive), "gc-lock" prune's
 *    (exclusive) and verify's (shared).
 *
 * Errors are -errno: -ENOENT no such object, -ELOOP a symbolic link where
 * an object or its directory should be (never followed), -EUCLEAN not a
 * regular object (a FIFO or directory where an object should be), -EFBIG larger
 * than the caller's limit, -EEXIST (STORE_IF_ABSENT), -EIO and the rest as
 * the backend meets them.
 */
#ifndef STRATA_STORE_H
#define STRATA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_IF_ABSENT 1u /* store_put*: -EEXIST rather than replace */

struct store;
struct store_ops;

/* An object open for reads; a backend's own handle begins with this. */
struct store_file {
	const struct store_ops *ops;
	uint64_t size;
};

/* A lock held; a backend's own begins with this. */
struct store_lock {
	const struct store_ops *ops;
};

/* called once per object below a prefix; non-zero stops the listing with that value */
typedef int (*store_list_fn)(const char *name, void *arg);
typedef void (*store_wait_fn)(const char *holder, void *arg);

struct store_ops {
	int (*list)(struct store *s, const char *dir, unsigned depth, store_list_fn fn, void *arg);
	int (*get)(struct store *s, const char *key, size_t max, uint8_t **data, size_t *len);
	int (*open)(struct store *s, const char *key, struct store_file **f);
	int (*pread)(struct store_file *f, void *buf, size_t n, uint64_t off);
	void (*close)(struct store_file *f);
	int (*put)(struct store *s, const char *key, const void *data, size_t len, unsigned flags);
	int (*tmp_create)(struct store *s, const char *hint, char **path);
	int (*put_tmp)(struct store *s, const char *key, int fd, const char *path, unsigned flags);
	int (*del)(struct store *s, const char *key);
	int (*barrier)(struct store *s);
	int (*lock)(struct store *s, const char *name, bool exclusive, const char *what,
		    int64_t wait_ms, store_wait_fn waiting, void *arg, struct store_lock **l);
	void (*unlock)(struct store_lock *l);
	int (*lock_check)(struct store_lock *l); /* NULL: a lock that cannot be lost */
	char *(*lock_holder)(struct store *s, const char *name);
	void (*clean_tmp)(struct store *s);
	void (*free)(struct store *s);
};

struct store {
	const struct store_ops *ops;
	char *where; /* the location as the user gave it, for messages */
	char *tmp;   /* a local directory for temporaries */
	char *local; /* a local directory the repository lives in, or NULL */
	char *cache; /* remote stores: the local directory of this host's caches */
};

struct store_backend {
	const char *name;
	/* does this location belong to this backend? */
	bool (*claims)(const char *where);
	/*
	 * Open the repository at where; create: make a new one there (it must
	 * be missing or empty: -ENOTEMPTY).  -ENOENT/-ENOTDIR: nothing there;
	 * -ELOOP: a part of the layout that must be a plain directory is not;
	 * -ENXIO: a location this backend cannot use (a malformed URL);
	 * -ENOKEY: no credentials.
	 */
	int (*open)(const char *where, bool create, struct store **s);
};

extern const struct store_backend store_local_backend;
extern const struct store_backend store_s3_backend;

/* The backend for where and an open store of it (see store_backend.open). */
int store_open(const char *where, bool create, struct store **s);
void store_free(struct store *s);
/* Whether where names a local directory (not a remote store's URL). */
bool store_is_local(const char *where);

/*
 * The names below "<dir>/", in no particular order, each cut after depth + 1
 * components ("packs", 1: "ab/ab12...pack"): a key deeper than that (or, in
 * a directory, a subdirectory at the last level) is listed once, by its
 * first components, as what it is in the layout: something that is not an
 * object.  Entries that are not regular objects may be listed too: opening
 * them fails (-ELOOP, -EUCLEAN).  -ENOENT: no such dir (a local store).
 */
static inline int store_list(struct store *s, const char *dir, unsigned depth, store_list_fn fn,
			     void *arg)
{
	return s->ops->list(s, dir, depth, fn, arg);
}
/* The whole object (max bytes at most, else -EFBIG), NUL-terminated; caller frees. */
static inline int store_get(struct store *s, const char *key, size_t max, uint8_t **data,
			    size_t *len)
{
	return s->ops->get(s, key, max, data, len);
}
/* Open an object for reads of byte ranges. */
static inline int store_file_open(struct store *s, const char *key, struct store_file **f)
{
	return s->ops->open(s, key, f);
}
/* n bytes at off, all of them (-EUCLEAN past the end). */
int store_pread(struct store_file *f, void *buf, size_t n, uint64_t off);
/*
 * Read the whole object into memory (one request) when it is at most max
 * bytes, and make *f read from there: for a reader of most of an object
 * (verify, prune's repacking) in a store that charges per request.  0 and
 * *f unchanged when it is larger.
 */
int store_file_load(struct store_file **f, uint64_t max);
static inline uint64_t store_file_size(const struct store_file *f)
{
	return f->size;
}
void store_file_close(struct store_file *f); /* NULL is fine */
/* Write an object from memory. */
static inline int store_put(struct store *s, const char *key, const void *data, size_t len,
			    unsigned flags)
{
	return s->ops->put(s, key, data, len, flags);
}
/*
 * Large objects are written to a temporary file first: tmp_create gives a
 * new one (fd, *path malloc'ed) below s->tmp; put_tmp makes it the object
 * key and always consumes fd and the file, also on failure.
 */
static inline int store_tmp_create(struct store *s, const char *hint, char **path)
{
	return s->ops->tmp_create(s, hint, path);
}
static inline int store_put_tmp(struct store *s, const char *key, int fd, const char *path,
				unsigned flags)
{
	return s->ops->put_tmp(s, key, fd, path, flags);
}
/* Remove an object; -ENOENT if there was none (a remote store may say 0).  Durable after store_barrier(). */
static inline int store_delete(struct store *s, const char *key)
{
	return s->ops->del(s, key);
}
static inline int store_barrier(struct store *s)
{
	return s->ops->barrier(s);
}
/*
 * Take lock name, exclusive or shared.  wait_ms: 0 gives up at once, < 0
 * waits as long as it takes, > 0 up to that long (-EWOULDBLOCK while held
 * by another).  waiting (may be NULL) is called once, before the first
 * wait, with the holder's line.  An exclusive holder records who it is.
 */
static inline int store_lock(struct store *s, const char *name, bool exclusive, const char *what,
			     int64_t wait_ms, store_wait_fn waiting, void *arg,
			     struct store_lock **l)
{
	return s->ops->lock(s, name, exclusive, what, wait_ms, waiting, arg, l);
}
void store_unlock(struct store_lock *l); /* NULL is fine */
/*
 * 0 while lock l certainly holds (NULL: none held); -ENOLCK once it may
 * have been lost (a lease that could not be renewed in time): the holder
 * must then change nothing more that others see.
 */
static inline int store_lock_check(struct store_lock *l)
{
	return l && l->ops->lock_check ? l->ops->lock_check(l) : 0;
}
/* Who holds (or last held) lock name, printable; "" if unknown.  Caller frees. */
static inline char *store_lock_holder(struct store *s, const char *name)
{
	return s->ops->lock_holder(s, name);
}
/* Remove leftovers of interrupted writers (call under the writers' lock). */
static inline void store_clean_tmp(struct store *s)
{
	s->ops->clean_tmp(s);
}

/*
 * Keep what is read of *s's packs in a bounded cache in the local directory
 * dir (at most max_bytes of files): *s becomes a store that reads packs
 * through the cache, in aligned blocks of STORE_CACHE_BLOCK bytes, and does
 * everything else through the old *s, which it now owns (lib/store_cache.c).
 */
#define STORE_CACHE_BLOCK (256u << 10)
int store_cache_wrap(struct store **s, const char *dir, uint64_t max_bytes);

/* The key of pack name (32 hex): "packs/<xx>/<name>.pack". */
void store_pack_key(char out[64], const char *name);

#endif
