/*
 * store_local.c - a repository in a local directory (strata/store.h).
 *
 * Keys are paths below the repository directory.  What this backend
 * guarantees beyond the seam's rules:
 *  - every path is walked from the repository's directory one component at
 *    a time with O_NOFOLLOW: a symbolic link anywhere inside the repository
 *    is never followed, for reads, writes or deletes;
 *  - objects are opened O_NONBLOCK and must be regular files, so a FIFO
 *    planted in the repository cannot hang a reader;
 *  - a new object is written to tmp/, fsynced, renamed into place and its
 *    directory fsynced (STORE_IF_ABSENT: renameat2 RENAME_NOREPLACE, or a
 *    hard link where the filesystem has no such rename);
 *  - locks are flock()s of REPO/<name>, released by the kernel when the
 *    holder dies.
 */
#include "strata/fault.h"
#include "strata/store.h"
#include "strata/util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

struct local {
	struct store s;
	int root;
	struct namelist dirty; /* directories (keys) whose entries changed since the barrier */
};

struct local_file {
	struct store_file f;
	int fd;
};

struct local_lock {
	struct store_lock l;
	int fd;
};

static const struct store_ops local_ops;

static struct local *L(struct store *s)
{
	return (struct local *)s;
}

/* A key is relative, of plain components: no "", ".", ".." and no leading '/'. */
static bool key_ok(const char *key)
{
	const char *p = key;
	if (!*p)
		return false;
	for (;;) {
		const char *sl = strchr(p, '/');
		size_t n = sl ? (size_t)(sl - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!sl)
			return true;
		p = sl + 1;
	}
}

/*
 * Open the directory holding key (its components but the last), never
 * through a link; create: make missing directories (and note them for the
 * barrier).  *base points at the last component.  -ELOOP: a component is
 * a link; -EUCLEAN: not a directory.
 */
static int walk(struct local *l, const char *key, bool create, const char **base)
{
	int dfd = dup(l->root);
	const char *p = key;
	char comp[256];

	if (dfd < 0)
		return -errno;
	if (!key_ok(key)) {
		close(dfd);
		return -EINVAL;
	}
	for (;;) {
		const char *sl = strchr(p, '/');
		if (!sl)
			break;
		size_t n = (size_t)(sl - p);
		if (n >= sizeof(comp)) {
			close(dfd);
			return -ENAMETOOLONG;
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		int nfd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(dfd, comp, 0755) < 0 && errno != EEXIST) {
				int rc = -errno;
				close(dfd);
				return rc;
			}
			/* the new directory's entry in its parent must be durable too */
			namelist_add_n(&l->dirty, key, (size_t)(p - key) ? (size_t)(p - key) - 1 : 0);
			nfd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		int err = errno;
		struct stat st;
		/* O_NOFOLLOW | O_DIRECTORY on a link says ENOTDIR: tell a link from a file */
		if (nfd < 0 && err == ENOTDIR)
			err = fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)
				      ? ELOOP : EUCLEAN;
		close(dfd);
		if (nfd < 0)
			return -err;
		dfd = nfd;
		p = sl + 1;
	}
	*base = p;
	return dfd;
}

static int local_open_file(struct store *s, const char *key, struct store_file **out)
{
	const char *base;
	struct stat st;
	int dfd = walk(L(s), key, false, &base), fd, rc;

	*out = NULL;
	if (dfd < 0)
		return dfd;
	/* O_NONBLOCK: opening a FIFO planted in the repository must not hang */
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	rc = fd < 0 ? -errno : 0;
	close(dfd);
	if (rc)
		return rc;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EUCLEAN;
	if (rc) {
		close(fd);
		return rc;
	}
	struct local_file *f = xcalloc(1, sizeof(*f));
	f->f.ops = &local_ops;
	f->f.size = (uint64_t)st.st_size;
	f->fd = fd;
	*out = &f->f;
	return 0;
}

static int local_pread(struct store_file *f, void *buf, size_t n, uint64_t off)
{
	return pread_all(((struct local_file *)f)->fd, buf, n, off);
}

static void local_close(struct store_file *f)
{
	close(((struct local_file *)f)->fd);
	free(f);
}

static int local_get(struct store *s, const char *key, size_t max, uint8_t **data, size_t *len)
{
	struct store_file *f;
	int rc = local_open_file(s, key, &f);

	*data = NULL;
	*len = 0;
	if (rc)
		return rc;
	/* bounded by the bytes present, so a failed allocation is "too big", not an abort */
	if (f->size > max || f->size >= SIZE_MAX / 2 || !(*data = malloc((size_t)f->size + 1))) {
		store_file_close(f);
		return -EFBIG;
	}
	rc = store_pread(f, *data, (size_t)f->size, 0);
	if (rc) {
		free(*data);
		*data = NULL;
	} else {
		(*data)[f->size] = 0;
		*len = (size_t)f->size;
	}
	store_file_close(f);
	return rc;
}

/* fsync the directory (a key, "" for the root) */
static int sync_dir(struct local *l, const char *dir)
{
	int fd;
	if (!*dir) {
		fd = dup(l->root);
	} else {
		char *probe = xasprintf("%s/x", dir);
		const char *base;
		fd = walk(l, probe, false, &base);
		free(probe);
		if (fd < 0)
			return fd == -ENOENT ? 0 : fd; /* gone: nothing left to make durable */
	}
	return fsync_close(fd);
}

static int local_barrier(struct store *s)
{
	struct local *l = L(s);
	int rc = 0;
	/* deepest first: a new directory's contents, then its entry in the parent */
	namelist_sort(&l->dirty);
	for (size_t i = l->dirty.n; i-- > 0;) {
		if (i + 1 < l->dirty.n && !strcmp(l->dirty.v[i], l->dirty.v[i + 1]))
			continue;
		int r = sync_dir(l, l->dirty.v[i]);
		if (!rc)
			rc = r;
	}
	namelist_release(&l->dirty);
	return rc;
}

static void note_dirty(struct local *l, const char *key)
{
	const char *sl = strrchr(key, '/');
	namelist_add_n(&l->dirty, key, sl ? (size_t)(sl - key) : 0);
}

static int local_tmp_create(struct store *s, const char *hint, char **path)
{
	char *p = xasprintf("%s/%s.XXXXXX", s->tmp, hint);
	int fd = mkostemp(p, O_CLOEXEC);
	if (fd < 0) {
		int rc = -errno;
		free(p);
		*path = NULL;
		return rc;
	}
	fchmod(fd, 0644); /* mkostemp makes 0600; objects are as readable as the repository */
	*path = p;
	return fd;
}

/* put_tmp; faults: fire the crash points of a small object's write (t_crash) */
static int commit_tmp(struct store *s, const char *key, int fd, const char *path,
		      unsigned flags, bool faults)
{
	struct local *l = L(s);
	const char *base;
	int rc = fsync(fd) < 0 ? -errno : 0;
	int dfd = -1;

	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && faults)
		fault_point("atomic-synced");
	if (!rc) {
		dfd = walk(l, key, true, &base);
		if (dfd < 0)
			rc = dfd;
	}
	if (!rc && (flags & STORE_IF_ABSENT)) {
		if (renameat2(AT_FDCWD, path, dfd, base, RENAME_NOREPLACE) < 0) {
			rc = -errno;
			if (rc == -EINVAL || rc == -ENOSYS) {
				/* no such rename here: a hard link never replaces either */
				rc = linkat(AT_FDCWD, path, dfd, base, 0) < 0 ? -errno : 0;
			}
		}
	} else if (!rc && renameat(AT_FDCWD, path, dfd, base) < 0) {
		rc = -errno;
	}
	unlink(path); /* after a rename: nothing there; after a link or failure: the temporary */
	if (!rc) {
		if (faults)
			fault_point("atomic-renamed");
		note_dirty(l, key);
		rc = local_barrier(s);
	}
	if (dfd >= 0)
		close(dfd);
	return rc;
}

static int local_put_tmp(struct store *s, const char *key, int fd, const char *path,
			 unsigned flags)
{
	return commit_tmp(s, key, fd, path, flags, false);
}

static int local_put(struct store *s, const char *key, const void *data, size_t len,
		     unsigned flags)
{
	const char *sl = strrchr(key, '/');
	char *path;
	int fd = local_tmp_create(s, sl ? sl + 1 : key, &path), rc;
	if (fd < 0)
		return fd;
	rc = write_all(fd, data, len);
	if (rc) {
		close(fd);
		unlink(path);
	} else {
		rc = commit_tmp(s, key, fd, path, flags, true);
	}
	free(path);
	return rc;
}

static int local_del(struct store *s, const char *key)
{
	const char *base;
	int dfd = walk(L(s), key, false, &base), rc;
	if (dfd < 0)
		return dfd;
	rc = unlinkat(dfd, base, 0) < 0 ? -errno : 0;
	close(dfd);
	if (!rc)
		note_dirty(L(s), key);
	return rc;
}

/* List the directory open at dfd (prefix rel, "" at the top), descending depth levels more. */
static int list_dir(int dfd, const char *rel, unsigned depth, store_list_fn fn, void *arg)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		rc = -errno;
		close(dfd);
		return rc;
	}
	/*
	 * A listing is complete or an error: prune and the catalog act on what
	 * is not listed (errno is checked after readdir's NULL).
	 */
	for (;;) {
		errno = 0;
		if (rc || !(e = readdir(d))) {
			if (!rc && errno)
				rc = -errno;
			break;
		}
		if (e->d_name[0] == '.')
			continue;
		char *name = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		bool dir = e->d_type == DT_DIR;
		if (e->d_type == DT_UNKNOWN) {
			struct stat st;
			dir = fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			      S_ISDIR(st.st_mode);
		}
		if (dir && depth) {
			int sfd = openat(dirfd(d), e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			/*
			 * Replaced by a link or a file since readdir: listed as a name,
			 * not followed; any other failure fails the listing.
			 */
			if (sfd >= 0)
				rc = list_dir(sfd, name, depth - 1, fn, arg);
			else if (errno == ELOOP || errno == ENOTDIR || errno == ENOENT)
				rc = fn(name, arg);
			else
				rc = -errno;
		} else {
			rc = fn(name, arg);
		}
		free(name);
	}
	closedir(d);
	return rc;
}

static int local_list(struct store *s, const char *dir, unsigned depth, store_list_fn fn,
		      void *arg)
{
	char *probe = xasprintf("%s/x", dir);
	const char *base;
	int dfd = walk(L(s), probe, false, &base);
	free(probe);
	if (dfd < 0)
		return dfd;
	return list_dir(dfd, "", depth, fn, arg);
}

/* What the lock file fd says about its holder, one printable line, or "" (caller frees). */
static char *holder_line(int fd)
{
	char text[256];
	ssize_t n = fd >= 0 ? pread(fd, text, sizeof(text) - 1, 0) : -1;
	struct buf b = BUF_INIT;
	if (n < 0)
		n = 0;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == 0))
		n--;
	buf_add_printable(&b, text, (size_t)n);
	return b.data ? (char *)buf_detach(&b, NULL) : xstrdup("");
}

static char *local_lock_holder(struct store *s, const char *name)
{
	int fd = openat(L(s)->root, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char *h = holder_line(fd); /* -1: an unknown holder */
	if (fd >= 0)
		close(fd);
	return h;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int local_lock(struct store *s, const char *name, bool exclusive, const char *what,
		      int64_t wait_ms, store_wait_fn waiting, void *arg, struct store_lock **out)
{
	int root = L(s)->root, op = exclusive ? LOCK_EX : LOCK_SH;
	/* never through a link, never blocking on a FIFO (flock then fails on it) */
	int fd = openat(root, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
	/* a shared lock needs no write access: one who may not write here still takes it */
	if (fd < 0 && !exclusive && (errno == EACCES || errno == EROFS || errno == EPERM))
		fd = openat(root, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	/* a wait of more than a century is no limit (and mono_ms() + wait_ms cannot overflow) */
	if (wait_ms > INT64_C(100) * 366 * 86400 * 1000)
		wait_ms = -1;
	int64_t deadline = wait_ms > 0 ? mono_ms() + wait_ms : 0;
	unsigned nap_ms = 50;

	*out = NULL;
	if (fd < 0)
		return -errno;
	while (flock(fd, op | LOCK_NB) < 0) {
		int rc = -errno;
		if (rc == -EINTR)
			continue;
		if (rc != -EWOULDBLOCK || !wait_ms || (wait_ms > 0 && mono_ms() >= deadline)) {
			close(fd);
			return rc;
		}
		if (waiting) {
			char *h = holder_line(fd);
			waiting(h, arg);
			free(h);
			waiting = NULL;
		}
		/* poll, not a blocking flock: the wait can end at the deadline */
		if (wait_ms > 0 && mono_ms() + nap_ms > deadline)
			nap_ms = (unsigned)(deadline - mono_ms() > 0 ? deadline - mono_ms() : 1);
		struct timespec ts = { nap_ms / 1000, (long)(nap_ms % 1000) * 1000000 };
		nanosleep(&ts, NULL);
		nap_ms = nap_ms * 2 > 1000 ? 1000 : nap_ms * 2;
	}
	if (exclusive) {
		/* who holds it, for the next one that has to wait */
		char host[64] = "", ts[32];
		gethostname(host, sizeof(host) - 1);
		time_rfc3339(ts, (int64_t)time(NULL));
		char *who = xasprintf("%s (pid %ld on %s, since %s)\n", what ? what : "strata",
				      (long)getpid(), host, ts);
		if (ftruncate(fd, 0) == 0 && pwrite(fd, who, strlen(who), 0) < 0) {
			/* only a courtesy to waiters: the lock itself is held */
		}
		free(who);
	}
	struct local_lock *l = xcalloc(1, sizeof(*l));
	l->l.ops = &local_ops;
	l->fd = fd;
	*out = &l->l;
	return 0;
}

static void local_unlock(struct store_lock *l)
{
	close(((struct local_lock *)l)->fd);
	free(l);
}

static void local_clean_tmp(struct store *s)
{
	/* never through a link: only what is really inside REPO/tmp is removed */
	int fd = openat(L(s)->root, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

static void local_free(struct store *s)
{
	struct local *l = L(s);
	if (l->root >= 0)
		close(l->root);
	namelist_release(&l->dirty);
	free(s->where);
	free(s->tmp);
	free(s->local);
	free(l);
}

static const struct store_ops local_ops = {
	.list = local_list,
	.get = local_get,
	.open = local_open_file,
	.pread = local_pread,
	.close = local_close,
	.put = local_put,
	.tmp_create = local_tmp_create,
	.put_tmp = local_put_tmp,
	.del = local_del,
	.barrier = local_barrier,
	.lock = local_lock,
	.unlock = local_unlock,
	.lock_holder = local_lock_holder,
	.clean_tmp = local_clean_tmp,
	.free = local_free,
};

static bool local_claims(const char *where)
{
	(void)where;
	return true;
}

/* 0 for a directory; -ELOOP for a link or anything else there; -ENOENT if missing. */
static int real_dir(int root, const char *name)
{
	struct stat st;
	if (fstatat(root, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ELOOP;
}

static int local_open(const char *where, bool create, struct store **out)
{
	struct stat st;
	int rc = 0;

	*out = NULL;
	if (create) {
		if (mkdir(where, 0755) < 0 && errno != EEXIST)
			return -errno;
		rc = dir_is_empty(where);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return -ENOTEMPTY;
		rc = 0;
	}
	if (stat(where, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	struct local *l = xcalloc(1, sizeof(*l));
	l->s.ops = &local_ops;
	l->s.where = xstrdup(where);
	l->s.local = xstrdup(where);
	l->s.tmp = xasprintf("%s/tmp", where);
	l->root = open(where, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->root < 0)
		rc = -errno;
	if (!rc && create) {
		if (mkdirat(l->root, "packs", 0755) < 0 || mkdirat(l->root, "generations", 0755) < 0 ||
		    mkdirat(l->root, "tmp", 0755) < 0)
			rc = -errno;
		/*
		 * The deletion lock's file exists from the start, so that a verify
		 * run by a user who may not create files here can still take it
		 * shared.
		 */
		int gfd = rc ? -1 : openat(l->root, "gc-lock",
					   O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
		if (gfd >= 0)
			close(gfd);
	}
	/*
	 * packs/, generations/ and tmp/ must be real directories: a symbolic
	 * link there would make writers write (and tmp/ cleaning delete)
	 * outside the repository.  Only asked of a directory that says it is a
	 * repository (a config), so that anything else is "not a repository".
	 */
	if (!rc && !create && real_dir(l->root, "config") != -ENOENT) {
		rc = real_dir(l->root, "packs");
		if (!rc)
			rc = real_dir(l->root, "generations");
		if (rc == -ENOENT)
			rc = -EUCLEAN;
		if (!rc && real_dir(l->root, "tmp") == -ENOENT)
			mkdirat(l->root, "tmp", 0755);
		if (!rc)
			rc = real_dir(l->root, "tmp");
	}
	if (rc) {
		local_free(&l->s);
		return rc;
	}
	*out = &l->s;
	return 0;
}

const struct store_backend store_local_backend = {
	.name = "local",
	.claims = local_claims,
	.open = local_open,
};
