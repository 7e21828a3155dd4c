/*
 * stratafs.c - the read-only FUSE mount (libfuse low-level API): glue over
 * the tree (strata/tree.h), which holds the namespace, the inode numbers
 * and the catalog, and its reader (strata/reader.h), which turns chunks
 * into bytes.  `strata cat` and `strata ls` serve the same tree.
 *
 * What is FUSE's alone lives here: timeouts (everything but the root and
 * "latest" is immutable, so entries, attributes and pages are cached for
 * long, with keep_cache), the handles the kernel holds, zero-copy replies
 * from cached pieces, and the watcher that tells the kernel when "latest"
 * moved.
 */
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "strata/catalog.h"
#include "strata/helpdoc.h"
#include "strata/log.h"
#include "strata/repo.h"
#include "strata/tree.h"

#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define IMMUTABLE_TIMEOUT 86400.0 * 365
#define LIVE_TIMEOUT 1.0

static double timeout_of(unsigned flags)
{
	return flags & TREE_LIVE ? LIVE_TIMEOUT : IMMUTABLE_TIMEOUT;
}

static double attr_timeout_of(unsigned flags)
{
	return flags & (TREE_LIVE | TREE_LIVE_ATTR) ? LIVE_TIMEOUT : IMMUTABLE_TIMEOUT;
}

/* Messages go to stderr (seen with -f) and to syslog. */
static void log_sink(const char *line)
{
	fprintf(stderr, "stratafs: %s\n", line);
	syslog(LOG_ERR, "%s", line);
}

/*
 * Every open file and directory handle is on one list, so the handles the
 * kernel never released (the session ended first, or the open reply could
 * not be delivered) are freed when the mount ends.
 */
struct handle {
	struct handle *prev, *next;
	bool is_dir; /* a struct dirlist, else a struct ofile */
};
static struct handle g_handles = { &g_handles, &g_handles, false };
static pthread_mutex_t g_handles_mu = PTHREAD_MUTEX_INITIALIZER;

static void handle_link(struct handle *h)
{
	pthread_mutex_lock(&g_handles_mu);
	h->next = g_handles.next;
	h->prev = &g_handles;
	g_handles.next->prev = h;
	g_handles.next = h;
	pthread_mutex_unlock(&g_handles_mu);
}

static void handle_unlink(struct handle *h)
{
	pthread_mutex_lock(&g_handles_mu);
	h->prev->next = h->next;
	h->next->prev = h->prev;
	pthread_mutex_unlock(&g_handles_mu);
}

/* An open file. */
struct ofile {
	struct handle h; /* first: the handle list holds &of->h == of */
	struct rd_file *f;
	/*
	 * One reference for the open file, one per read in progress.  The kernel
	 * sends RELEASE as soon as it has the last read's reply, which can be
	 * while fuse_reply_iov() is still returning from writev() over our
	 * buffers, so release only drops its reference.
	 */
	unsigned refs;
};

/* An open directory: its listing, built at opendir. */
struct dirlist {
	struct handle h; /* first, as in struct ofile */
	uint64_t ino;
	struct tree_dir d;
};

/* errno for the kernel from a tree error (which logged what it had to) */
static int kerr(int rc)
{
	return rc == -ENOENT ? ENOENT : rc == -ENOTDIR ? ENOTDIR : rc == -EISDIR ? EISDIR
	       : rc == -EINVAL ? EINVAL : EIO;
}

static void fs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct tree *t = fuse_req_userdata(req);
	struct stat st;
	unsigned flags;
	int rc = tree_stat(t, ino, &st, &flags);
	if (rc)
		fuse_reply_err(req, kerr(rc));
	else
		fuse_reply_attr(req, &st, attr_timeout_of(flags));
}

static bool root_listed(void);

/*
 * The entry timeout of a name in directory dir: a generation looked up
 * before the watcher's first listing of the root is not cached, since the
 * watcher could not tell the kernel if it was pruned (see watch_main).
 * listed: root_listed() as read *before* the name was resolved (a
 * generation resolved before the first listing and pruned before it is in
 * no listing the watcher compares).
 */
static double entry_timeout(fuse_ino_t dir, bool listed, unsigned flags)
{
	return dir == TREE_INO_ROOT && !listed ? 0 : timeout_of(flags);
}

static void fs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct tree *t = fuse_req_userdata(req);
	struct fuse_entry_param e;
	uint64_t ino = 0;
	unsigned flags;
	int rc;

	memset(&e, 0, sizeof(e));
	bool listed = root_listed();
	rc = tree_lookup(t, parent, name, &ino, &e.attr, &flags);
	if (rc == -ENOENT) {
		/* cache final misses: the root can gain entries, nothing else can */
		e.ino = 0;
		e.entry_timeout = flags & TREE_FINAL ? IMMUTABLE_TIMEOUT : 0;
		fuse_reply_entry(req, &e);
		return;
	}
	if (rc) {
		fuse_reply_err(req, kerr(rc));
		return;
	}
	e.ino = ino;
	e.attr_timeout = attr_timeout_of(flags);
	e.entry_timeout = entry_timeout(parent, listed, flags);
	fuse_reply_entry(req, &e);
}

static void watch_served(const char *target);

/* A node named by a key or a time is remembered until the kernel forgets it (tree_forget). */
static void fs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	tree_forget(fuse_req_userdata(req), ino, nlookup);
	fuse_reply_none(req);
}

static void fs_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct tree *t = fuse_req_userdata(req);
	for (size_t i = 0; i < count; i++)
		tree_forget(t, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void fs_op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct tree *t = fuse_req_userdata(req);
	char *target = NULL;
	int rc = tree_readlink(t, ino, &target);
	if (rc) {
		fuse_reply_err(req, kerr(rc));
		return;
	}
	if (ino == TREE_INO_LATEST)
		watch_served(target); /* the kernel keeps it: the watcher compares */
	fuse_reply_readlink(req, target);
	free(target);
}

/* ---- directories ---- */

static void dl_free(struct dirlist *d)
{
	if (!d)
		return;
	handle_unlink(&d->h);
	tree_dir_release(&d->d);
	free(d);
}

static void fs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct tree *t = fuse_req_userdata(req);
	struct dirlist *d = xcalloc(1, sizeof(*d));
	unsigned flags;
	int rc;

	d->h.is_dir = true;
	d->ino = ino;
	handle_link(&d->h);
	rc = tree_list(t, ino, &d->d, &flags);
	if (rc) {
		dl_free(d);
		fuse_reply_err(req, kerr(rc));
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	fi->cache_readdir = !(flags & TREE_LIVE);
	fi->keep_cache = !(flags & TREE_LIVE);
	if (fuse_reply_open(req, fi))
		dl_free(d); /* the kernel never got the handle */
}

/*
 * Entry i of a listing at offset i + 1: "." and ".." first, then the
 * tree's entries (their ".." inode number is ignored by the kernel).
 */
static const char *dl_entry(const struct dirlist *d, size_t i, const char **name_pos,
			    uint64_t *ino, mode_t *type)
{
	if (i < 2) {
		*ino = i == 0 || d->ino == TREE_INO_ROOT ? d->ino : TREE_INO_ROOT;
		*type = S_IFDIR;
		return i == 0 ? "." : "..";
	}
	const char *name = *name_pos;
	*name_pos += strlen(name) + 1;
	*ino = d->d.inos[i - 2];
	*type = d->d.types[i - 2];
	return name;
}

/* Skip to entry off of a listing: returns the position of its name. */
static const char *dl_seek(const struct dirlist *d, size_t off)
{
	const char *p = (const char *)d->d.names.data;
	for (size_t i = 2; i < off && i < d->d.n + 2; i++)
		p += strlen(p) + 1;
	return p;
}

static void fs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			  struct fuse_file_info *fi)
{
	struct dirlist *d = (struct dirlist *)(uintptr_t)fi->fh;
	char *buf = xmalloc(size);
	size_t used = 0;
	const char *pos = dl_seek(d, (size_t)off);
	(void)ino;

	for (size_t i = (size_t)off; i < d->d.n + 2; i++) {
		uint64_t eino;
		mode_t type;
		const char *name = dl_entry(d, i, &pos, &eino, &type);
		struct stat st = { .st_ino = eino, .st_mode = type };
		size_t need = fuse_add_direntry(req, buf + used, size - used, name, &st, (off_t)i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

/*
 * readdirplus: the listing with every entry's attributes, so `ls -l` or
 * `find` needs no LOOKUP round trip per entry, all under one catalog lock
 * (tree_stat_entries).  An entry whose attributes cannot be read (catalog
 * changing) is listed with node id 0, which the kernel takes as "no
 * attributes", not as a miss.
 */
struct plus {
	fuse_req_t req;
	const struct dirlist *d;
	char *buf;
	size_t size, used;
	const char *pos;
};

static int plus_add(struct plus *p, size_t i, const struct stat *st, unsigned flags)
{
	struct fuse_entry_param e;
	uint64_t ino;
	mode_t type;
	const char *name = dl_entry(p->d, i, &p->pos, &ino, &type);

	memset(&e, 0, sizeof(e));
	if (st) {
		e.ino = ino;
		e.attr = *st;
		e.attr_timeout = attr_timeout_of(flags);
		/* stated under the catalog lock, after any pruning the first listing missed */
		e.entry_timeout = entry_timeout(p->d->ino, root_listed(), flags);
	} else {
		/* "." and ".." are never linked by the kernel */
		e.attr.st_ino = ino;
		e.attr.st_mode = type;
	}
	size_t need = fuse_add_direntry_plus(p->req, p->buf + p->used, p->size - p->used, name, &e,
					     (off_t)i + 1);
	if (need > p->size - p->used)
		return 1;
	p->used += need;
	return 0;
}

static int plus_entry(void *arg, size_t i, const struct stat *st, unsigned flags)
{
	return plus_add(arg, i + 2, st, flags);
}

static void fs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			      struct fuse_file_info *fi)
{
	struct tree *t = fuse_req_userdata(req);
	struct dirlist *d = (struct dirlist *)(uintptr_t)fi->fh;
	struct plus p = { req, d, xmalloc(size), size, 0, dl_seek(d, (size_t)off) };
	size_t i = (size_t)off;
	(void)ino;

	for (; i < 2; i++)
		if (plus_add(&p, i, NULL, 0))
			goto out;
	if (i - 2 < d->d.n)
		tree_stat_entries(t, &d->d, i - 2, plus_entry, &p);
out:
	fuse_reply_buf(req, p.buf, p.used);
	free(p.buf);
}

static void fs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	dl_free((struct dirlist *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* ---- files ---- */

static void ofile_free(struct ofile *of)
{
	if (!of || __atomic_sub_fetch(&of->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	handle_unlink(&of->h);
	rd_file_free(of->f);
	free(of);
}

static void fs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct tree *t = fuse_req_userdata(req);
	struct ofile *of;
	int rc;

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & (O_TRUNC | O_CREAT))) {
		fuse_reply_err(req, EROFS);
		return;
	}
	of = xcalloc(1, sizeof(*of));
	of->refs = 1;
	handle_link(&of->h);
	rc = tree_open_file(t, ino, &of->f);
	if (rc) {
		ofile_free(of);
		fuse_reply_err(req, kerr(rc));
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)of;
	fi->keep_cache = 1;
	fi->noflush = 1;
	if (fuse_reply_open(req, fi))
		ofile_free(of); /* the kernel never got the handle */
}

/*
 * A read is answered whole or not at all: a short reply would be taken as
 * end of file (and zero-filled in the page cache), so an error in any piece
 * fails the whole request with EIO.  Up to RD_IOV_SMALL pieces go out
 * straight from the cached buffers; a read touching more is copied once.
 */
static void fs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct tree *t = fuse_req_userdata(req);
	struct ofile *of = (struct ofile *)(uintptr_t)fi->fh;
	struct rd_reply r;
	int rc;
	(void)ino;

	__atomic_add_fetch(&of->refs, 1, __ATOMIC_ACQ_REL);
	rc = reader_read(tree_reader(t), of->f, (uint64_t)off, size, &r);
	if (rc) {
		fuse_reply_err(req, EIO);
	} else if (r.niov <= RD_IOV_SMALL) {
		fuse_reply_iov(req, r.iov, (int)r.niov);
	} else {
		struct buf out = BUF_INIT;
		buf_grow(&out, r.len);
		for (size_t i = 0; i < r.niov; i++)
			buf_add(&out, r.iov[i].iov_base, r.iov[i].iov_len);
		fuse_reply_buf(req, (const char *)out.data, out.len);
		buf_release(&out);
	}
	reader_done(tree_reader(t), of->f, &r, rc);
	ofile_free(of);
}

static void fs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	ofile_free((struct ofile *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void fs_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;
	(void)ino;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = 65536;
	sv.f_frsize = 65536;
	sv.f_namemax = 255;
	sv.f_flag = ST_RDONLY;
	fuse_reply_statfs(req, &sv);
}

/* Everything that would change the tree: the mount is read-only. */
static void fs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *a, int to_set,
			  struct fuse_file_info *fi)
{
	(void)ino; (void)a; (void)to_set; (void)fi;
	fuse_reply_err(req, EROFS);
}
static void fs_op_mknod(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t r)
{
	(void)p; (void)n; (void)m; (void)r;
	fuse_reply_err(req, EROFS);
}
static void fs_op_mkdir(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m)
{
	(void)p; (void)n; (void)m;
	fuse_reply_err(req, EROFS);
}
static void fs_op_unlink(fuse_req_t req, fuse_ino_t p, const char *n)
{
	(void)p; (void)n;
	fuse_reply_err(req, EROFS);
}
static void fs_op_symlink(fuse_req_t req, const char *l, fuse_ino_t p, const char *n)
{
	(void)l; (void)p; (void)n;
	fuse_reply_err(req, EROFS);
}
static void fs_op_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np,
			 const char *nn, unsigned f)
{
	(void)p; (void)n; (void)np; (void)nn; (void)f;
	fuse_reply_err(req, EROFS);
}
static void fs_op_link(fuse_req_t req, fuse_ino_t i, fuse_ino_t p, const char *n)
{
	(void)i; (void)p; (void)n;
	fuse_reply_err(req, EROFS);
}
static void fs_op_write(fuse_req_t req, fuse_ino_t i, const char *b, size_t s, off_t o,
			struct fuse_file_info *fi)
{
	(void)i; (void)b; (void)s; (void)o; (void)fi;
	fuse_reply_err(req, EROFS);
}
static void fs_op_create(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m,
			 struct fuse_file_info *fi)
{
	(void)p; (void)n; (void)m; (void)fi;
	fuse_reply_err(req, EROFS);
}
static void fs_op_setxattr(fuse_req_t req, fuse_ino_t i, const char *n, const char *v,
			   size_t s, int f)
{
	(void)i; (void)n; (void)v; (void)s; (void)f;
	fuse_reply_err(req, EROFS);
}
static void fs_op_removexattr(fuse_req_t req, fuse_ino_t i, const char *n)
{
	(void)i; (void)n;
	fuse_reply_err(req, EROFS);
}
static void fs_op_fallocate(fuse_req_t req, fuse_ino_t i, int m, off_t o, off_t l,
			    struct fuse_file_info *fi)
{
	(void)i; (void)m; (void)o; (void)l; (void)fi;
	fuse_reply_err(req, EROFS);
}

static void fs_op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* large reads and readahead: content is immutable and decoded in chunks */
	conn->max_readahead = 1u << 20;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want &= ~FUSE_CAP_SPLICE_WRITE;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	/* "latest" moves: the kernel keeps its target until the watcher says it changed */
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
}

/*
 * ---- the latest watcher ----
 * The kernel caches the target of "latest" (FUSE_CAP_CACHE_SYMLINKS), so a
 * path walk through it (ls -l latest/) does not ask us for it again on
 * every component.  readlink records the target it handed out; every
 * WATCH_MS this thread compares it with the newest generation (one indexed
 * catalog query, ~20 us) and, when they differ, drops the kernel's copy
 * (notify_inval_inode): "latest" follows a new generation within about
 * WATCH_MS of the generation's directory appearing.
 * Every GONE_TICKS it also lists the root and drops the kernel's entry of
 * each generation that left it (notify_inval_entry): a pruned generation
 * the kernel had looked up would otherwise stay for the entry's timeout
 * (365 days), as a directory whose files cannot be opened.
 * Notifications are sent from this thread only: never from a request
 * handler, where they could deadlock with the kernel.
 */
#define WATCH_MS 100
#define GONE_TICKS 10

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	pthread_t th;
	bool running;
	struct fuse_session *se;
	char served[64]; /* the target the kernel may hold; "" if none */
	unsigned refresh_ticks; /* remote repositories: sync the catalog cache every so many ticks */
	bool refresh_failing;
	/* the root's generations as last listed (the first listing: see watch_main) */
	struct tree_dir root;
	bool have_root; /* read by request handlers: atomic */
	uint64_t stamp;
} g_watch = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static bool root_listed(void)
{
	return __atomic_load_n(&g_watch.have_root, __ATOMIC_ACQUIRE);
}

static void watch_served(const char *target)
{
	pthread_mutex_lock(&g_watch.mu);
	snprintf(g_watch.served, sizeof(g_watch.served), "%s", target);
	pthread_mutex_unlock(&g_watch.mu);
}

struct gen_ent {
	uint64_t ino;
	const char *name;
};

static int gen_ent_cmp(const void *a, const void *b)
{
	const struct gen_ent *x = a, *y = b;
	return x->ino < y->ino ? -1 : x->ino > y->ino ? 1 : strcmp(x->name, y->name);
}

/* The directories of the root listing d, sorted by number and name (caller frees). */
static struct gen_ent *gen_ents(const struct tree_dir *d, size_t *n)
{
	struct gen_ent *e = xcalloc(d->n + 1, sizeof(*e));
	const char *name = (const char *)d->names.data;
	*n = 0;
	for (size_t i = 0; i < d->n; i++, name += strlen(name) + 1)
		if (d->types[i] == S_IFDIR)
			e[(*n)++] = (struct gen_ent){ d->inos[i], name };
	qsort(e, *n, sizeof(*e), gen_ent_cmp);
	return e;
}

/*
 * Drop the kernel's entries of the root's directories that *prev had and
 * now has not; the root is listed only when the generations changed.
 */
static void watch_gone(struct tree *t, struct tree_dir *prev, bool *have_prev, uint64_t *stamp)
{
	struct tree_dir now = { 0 };
	unsigned flags;
	size_t np, nn;
	uint64_t st;

	if (tree_gen_stamp(t, &st) || (*have_prev && st == *stamp))
		return;
	if (tree_list(t, TREE_INO_ROOT, &now, &flags)) {
		tree_dir_release(&now);
		return;
	}
	if (*have_prev) {
		struct gen_ent *p = gen_ents(prev, &np), *q = gen_ents(&now, &nn);
		/*
		 * Not once the session is ending: the kernel takes the root's lock
		 * for the notification, and a lookup no worker will answer any more
		 * may hold it (the join in watch_stop would wait for ever).
		 */
		for (size_t i = 0; i < np && !fuse_session_exited(g_watch.se); i++)
			if (!bsearch(&p[i], q, nn, sizeof(*q), gen_ent_cmp))
				fuse_lowlevel_notify_inval_entry(g_watch.se, TREE_INO_ROOT, p[i].name,
								 strlen(p[i].name));
		free(p);
		free(q);
	}
	tree_dir_release(prev);
	*prev = now;
	*stamp = st;
	__atomic_store_n(have_prev, true, __ATOMIC_RELEASE);
}

static void *watch_main(void *arg)
{
	struct tree *t = arg;
	unsigned tick = 0;

	/*
	 * The root's first listing comes with the first GONE_TICKS, not before
	 * serving: listing 10,000 generations holds the catalog for ~25 ms,
	 * which a mount's first requests would wait for.  Until it is taken,
	 * generations are looked up with an entry timeout of 0
	 * (entry_timeout()): one pruned before the first listing would be
	 * missing from it already, and the kernel would keep its entry for a
	 * year.
	 */
	pthread_mutex_lock(&g_watch.mu);
	while (!g_watch.stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += WATCH_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g_watch.cv, &g_watch.mu, &until);
		tick++;
		if (!g_watch.stop && g_watch.refresh_ticks && tick % g_watch.refresh_ticks == 0) {
			pthread_mutex_unlock(&g_watch.mu);
			/* new generations of other hosts into the cache; watch_gone and latest follow */
			int src = tree_sync_remote(t, 0);
			if (src && !g_watch.refresh_failing)
				log_msg("cannot bring the catalog cache up to date from '%s': %s; serving what it holds, trying again every few seconds",
					tree_repo_path(t), strerror(-src));
			else if (!src && g_watch.refresh_failing)
				log_msg("the catalog cache of '%s' is up to date again", tree_repo_path(t));
			g_watch.refresh_failing = src != 0;
			pthread_mutex_lock(&g_watch.mu);
		}
		if (!g_watch.stop && tick % GONE_TICKS == 0) {
			pthread_mutex_unlock(&g_watch.mu);
			watch_gone(t, &g_watch.root, &g_watch.have_root, &g_watch.stamp);
			pthread_mutex_lock(&g_watch.mu);
		}
		if (g_watch.stop || !g_watch.served[0])
			continue;
		pthread_mutex_unlock(&g_watch.mu);
		char *target = NULL;
		int rc = tree_readlink(t, TREE_INO_LATEST, &target);
		pthread_mutex_lock(&g_watch.mu);
		if ((rc == 0 || rc == -ENOENT) && strcmp(rc ? "" : target, g_watch.served)) {
			/* the next readlink records what the kernel gets then */
			g_watch.served[0] = 0;
			pthread_mutex_unlock(&g_watch.mu);
			if (!fuse_session_exited(g_watch.se))
				fuse_lowlevel_notify_inval_inode(g_watch.se, TREE_INO_LATEST, 0, 0);
			pthread_mutex_lock(&g_watch.mu);
		}
		free(target);
	}
	pthread_mutex_unlock(&g_watch.mu);
	return NULL;
}

static void watch_start(struct tree *t, struct fuse_session *se)
{
	g_watch.se = se;
	g_watch.running = pthread_create(&g_watch.th, NULL, watch_main, t) == 0;
}

static void watch_stop(void)
{
	if (!g_watch.running) {
		tree_dir_release(&g_watch.root);
		return;
	}
	pthread_mutex_lock(&g_watch.mu);
	g_watch.stop = true;
	pthread_cond_signal(&g_watch.cv);
	pthread_mutex_unlock(&g_watch.mu);
	pthread_join(g_watch.th, NULL);
	tree_dir_release(&g_watch.root);
}

static const struct fuse_lowlevel_ops fs_ops = {
	.init = fs_op_init,
	.lookup = fs_op_lookup,
	.forget = fs_op_forget,
	.forget_multi = fs_op_forget_multi,
	.getattr = fs_op_getattr,
	.setattr = fs_op_setattr,
	.readlink = fs_op_readlink,
	.mknod = fs_op_mknod,
	.mkdir = fs_op_mkdir,
	.unlink = fs_op_unlink,
	.rmdir = fs_op_unlink,
	.symlink = fs_op_symlink,
	.rename = fs_op_rename,
	.link = fs_op_link,
	.open = fs_op_open,
	.read = fs_op_read,
	.write = fs_op_write,
	.release = fs_op_release,
	.opendir = fs_op_opendir,
	.readdir = fs_op_readdir,
	.readdirplus = fs_op_readdirplus,
	.releasedir = fs_op_releasedir,
	.statfs = fs_op_statfs,
	.setxattr = fs_op_setxattr,
	.removexattr = fs_op_removexattr,
	.create = fs_op_create,
	.fallocate = fs_op_fallocate,
};

/* ---- main ---- */

struct opts {
	char *repo;
	char *mnt;
	char *cache_size; /* as given; parsed with parse_size() */
	char *readahead;  /* likewise */
	char *refresh;    /* -o refresh=SECONDS (remote repositories) */
	char *disk_cache; /* -o disk_cache=SIZE (remote repositories) */
	char *formats;    /* -o formats=csv,jsonl,sql */
	int foreground;
	int help, version, man;
	int nonempty;     /* -o nonempty: mount over a directory that is not empty */
	int nargs;
};

enum { KEY_HELP, KEY_FG, KEY_VERSION, KEY_MAN };

static const struct fuse_opt opt_spec[] = {
	{ "cache_size=%s", offsetof(struct opts, cache_size), 0 },
	{ "readahead=%s", offsetof(struct opts, readahead), 0 },
	{ "refresh=%s", offsetof(struct opts, refresh), 0 },
	{ "disk_cache=%s", offsetof(struct opts, disk_cache), 0 },
	{ "formats=%s", offsetof(struct opts, formats), 0 },
	{ "nonempty", offsetof(struct opts, nonempty), 1 },
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("--man", KEY_MAN),
	FUSE_OPT_KEY("-f", KEY_FG),
	FUSE_OPT_END
};

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *out)
{
	struct opts *o = data;
	(void)out;
	if (key == KEY_HELP || key == KEY_VERSION || key == KEY_MAN) {
		*(key == KEY_HELP ? &o->help : key == KEY_VERSION ? &o->version : &o->man) = 1;
		return 0;
	}
	if (key == KEY_FG) {
		o->foreground = 1;
		return 0;
	}
	/*
	 * -o formats=csv,jsonl: the comma splits mount options, so the formats
	 * after the first arrive as options of their own; they join the list.
	 */
	if (key == FUSE_OPT_KEY_OPT && o->formats &&
	    (!strcmp(arg, "csv") || !strcmp(arg, "jsonl") || !strcmp(arg, "sql"))) {
		char *joined = xasprintf("%s,%s", o->formats, arg);
		free(o->formats);
		o->formats = joined;
		return 0;
	}
	if (key == FUSE_OPT_KEY_NONOPT) {
		if (o->nargs == 0)
		{
			o->repo = store_is_local(arg) ? realpath(arg, NULL) : NULL;
			if (!o->repo)
				o->repo = xstrdup(arg);
		}
		else if (o->nargs == 1)
			o->mnt = xstrdup(arg);
		o->nargs++;
		return 0;
	}
	return 1; /* everything else goes to libfuse */
}

/* Undo mountinfo's octal escapes (\040 for a space, ...) in place. */
static void unescape_mountinfo(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*o++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
}

/*
 * Set the read-ahead of our mount's backing device (sysfs; root only).  A
 * FUSE mount starts at the kernel's default of 128 KiB whatever max_readahead
 * the daemon asks for; 1 MiB requests keep the prefetch threads busy and
 * halve the round trips (docs/PERFORMANCE.md).  The mount is found in
 * /proc/self/mountinfo, not by stat(), which would wait for this very
 * daemon to answer.  Best effort: failures leave the default.
 */
static void set_readahead(const char *real, uint64_t bytes)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned maj = 0, min = 0;
	bool found = false;
	FILE *f = real ? fopen("/proc/self/mountinfo", "re") : NULL;

	while (f && getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint options... - fstype source super */
		char point[4096], fstype[64];
		unsigned a, b;
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*u %*u %u:%u %*s %4095s", &a, &b, point) != 3 ||
		    sscanf(dash + 3, "%63s", fstype) != 1)
			continue;
		unescape_mountinfo(point);
		if (!strcmp(point, real) && !strcmp(fstype, "fuse.stratafs")) {
			maj = a; /* the last match is the newest mount there */
			min = b;
			found = true;
		}
	}
	if (f)
		fclose(f);
	if (found) {
		char path[64], val[32];
		snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb", maj, min);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			int n = snprintf(val, sizeof(val), "%llu\n", (unsigned long long)(bytes >> 10));
			if (write(fd, val, (size_t)n) != n)
				log_msg("cannot set the read-ahead of this mount to %llu KiB: %s",
					(unsigned long long)(bytes >> 10), strerror(errno));
			close(fd);
		}
	}
	free(line);
}

/*
 * The documentation: `stratafs --help`, and stratafs(8) from `stratafs --man`
 * (strata/helpdoc.h).  fuse_opt parses the arguments; every option listed
 * here is one that opt_spec or libfuse takes (t_cli checks them).
 */
static const struct help_opt fs_opts[] = {
	{ "-f", HELP_ARG_NONE, NULL,
	  "stay in the foreground; messages go to stderr (otherwise to syslog)", false },
	{ "-d", HELP_ARG_NONE, NULL, "debug: log every FUSE request (implies -f)", false },
	{ "-o cache_size=SIZE", HELP_ARG_NONE, NULL,
	  "memory for decompressed frames (default 64M); `ls -l` never needs it", false },
	{ "-o readahead=SIZE", HELP_ARG_NONE, NULL,
	  "the kernel's read-ahead for this mount, 4K to 64M (default 1M; 0 keeps the kernel's "
	  "128K); needs root, ignored otherwise", false },
	{ "-o refresh=SECONDS", HELP_ARG_NONE, NULL,
	  "a repository in S3: how often the catalog cache is brought up to date from the "
	  "bucket, so that generations other hosts store appear (default 5; 0 never)", false },
	{ "-o disk_cache=SIZE", HELP_ARG_NONE, NULL,
	  "a repository in S3: the bytes of packs kept on disk, in this host's cache directory, "
	  "so that what was read once is not fetched again (default 1G; 0 none)", false },
	{ "-o formats=LIST", HELP_ARG_NONE, NULL,
	  "which files each table and key range appears as: any of csv, jsonl and sql, "
	  "comma-separated (default all three); generations made before strata 0.3 have csv "
	  "only", false },
	{ "-o allow_other", HELP_ARG_NONE, NULL,
	  "let other users in; they read what the repository directory's owner, group and "
	  "mode allow (docs/SECURITY.md). Needs root, or user_allow_other in /etc/fuse.conf", false },
	{ "-o nonempty", HELP_ARG_NONE, NULL,
	  "mount over a directory that is not empty (its files are hidden while mounted); "
	  "refused otherwise", false },
	{ "-o OPTION", HELP_ARG_NONE, NULL,
	  "any other FUSE mount option (fuse(8)); ro, default_permissions and "
	  "subtype=stratafs are always set", false },
	{ "--version,-V", HELP_ARG_NONE, NULL, "print the version and exit", false },
	{ 0 },
};

static const struct help_cmd fs_cmds[] = {
	{ NULL, "REPO MOUNTPOINT", "mount a strata repository read-only",
	  "Mounts the repository REPO on the empty directory MOUNTPOINT and returns once the "
	  "mount is ready (with -f it stays in the foreground). Every generation is a "
	  "directory, every table a CSV file with its exact size, every key range a smaller "
	  "CSV file; reads decompress only the frames they touch and check them before "
	  "serving: a damaged chunk is EIO and a log line naming the pack, never wrong bytes. "
	  "New generations appear within a second. Unmount with `fusermount3 -u MOUNTPOINT` "
	  "(or `umount` as root).",
	  fs_opts, NULL },
	{ 0 },
};

static const struct help_section fs_sections[] = {
	{ "LAYOUT",
	  "  MOUNTPOINT/\n"
	  "    2026-11-20T020000Z/        one generation (UTC; -002 ... for more in one second)\n"
	  "      generation.json          id, time, label, source, tables\n"
	  "      schema.sql               the database's schema\n"
	  "      orders/\n"
	  "        schema.sql             the table's CREATE TABLE, indexes and triggers\n"
	  "        orders.csv             the whole table: header and rows in key order\n"
	  "        orders.jsonl           the same rows as JSON Lines, every value exact\n"
	  "        orders.sql             and as INSERT statements (after schema.sql)\n"
	  "        rows/FIRST+LAST.csv    the same rows by key range (.jsonl, .sql too)\n"
	  "    latest -> 2026-11-22T020000Z\n"
	  "\n"
	  "docs/FORMAT.md has the exact rules: names, escaping, sizes, inode numbers." },
	{ "MOUNT AND FSTAB",
	  "`mount -t fuse.stratafs REPO MOUNTPOINT` and fstab lines of type fuse.stratafs run "
	  "the helper /sbin/mount.fuse.stratafs, a link to stratafs that `meson install` puts "
	  "there (meson option mount_helper_dir): mount(8) looks for helpers in /sbin only, and "
	  "runs them with a PATH of its own, so stratafs is found wherever it is installed. "
	  "The helper drops the options meant for mount(8) and systemd (nofail, _netdev, "
	  "noauto, x-*, defaults, rw; the mount is always read-only) and passes the rest. An "
	  "fstab line:\n"
	  "\n"
	  "  /srv/backups/shop  /mnt/shop  fuse.stratafs  nofail,allow_other,cache_size=256M  0 0\n"
	  "\n"
	  "contrib/systemd/ in the source has a mount unit." },
	{ "EXIT STATUS",
	  "  0  mounted (and, with -f, unmounted again)\n"
	  "  1  the mount failed; one line on stderr says why and what to do\n"
	  "  2  usage: an unknown option or a value it does not take" },
	{ "EXAMPLES",
	  "  stratafs /srv/backups/shop /mnt/shop\n"
	  "  ls /mnt/shop/latest/\n"
	  "  diff /mnt/shop/2026-11-21T020000Z/orders/orders.csv /mnt/shop/latest/orders/orders.csv\n"
	  "  fusermount3 -u /mnt/shop" },
	{ "SEE ALSO", "strata(1), fusermount3(1), mount(8), fstab(5), fuse(8)" },
	{ 0 },
};

static const struct help_page fs_page = {
	"stratafs", 8, "mount a strata repository as a read-only file system",
	"stratafs shows every backup (generation) in a strata repository as a directory of "
	"plain files: restoring is `cp`, comparing is `diff`, and `rsync`, `tar` and `du` "
	"read the mounted paths. Nothing is decompressed until a read needs it, and `ls -l` "
	"never reads table data. The mount is read-only: every write fails with EROFS.",
	fs_cmds, fs_sections,
};


/*
 * mount(8) runs /sbin/mount.fuse.stratafs SOURCE TARGET [-sfnv] [-o OPTIONS]
 * (our link, see MOUNT AND FSTAB).  Rewrite that into stratafs's own
 * arguments in out (empty): the options meant for mount(8) and systemd are
 * dropped.  -1 for -f (fake): mount nothing.
 */
static int helper_args(int argc, char **argv, struct fuse_args *out)
{
	static const char *drop[] = { "nofail", "_netdev", "auto", "noauto", "user", "users",
				      "nouser", "owner", "group", "defaults", "rw", "ro", NULL };
	struct buf o = BUF_INIT;
	bool fake = false;

	fuse_opt_add_arg(out, argv[0]);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-o") && i + 1 < argc) {
			char *opts = xstrdup(argv[++i]), *save = NULL;
			for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				bool skip = !strncmp(t, "x-", 2) || !strncmp(t, "comment=", 8);
				for (int k = 0; drop[k] && !skip; k++)
					skip = !strcmp(t, drop[k]);
				if (!skip) {
					buf_adds(&o, o.len ? "," : "");
					buf_adds(&o, t);
				}
			}
			free(opts);
		} else if (!strcmp(a, "-t") && i + 1 < argc) {
			i++; /* the type: ours */
		} else if (a[0] == '-' && a[1] && strspn(a + 1, "sfnv") == strlen(a + 1)) {
			/* -s sloppy, -n no mtab, -v verbose: nothing to do; -f: fake */
			fake |= strchr(a, 'f') != NULL;
		} else {
			fuse_opt_add_arg(out, a);
		}
	}
	if (o.len) {
		fuse_opt_add_arg(out, "-o");
		fuse_opt_add_arg(out, (char *)o.data);
	}
	buf_release(&o);
	return fake ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct opts o = { 0 };
	uint64_t cache_size = 64u << 20;
	struct fuse_session *se = NULL;
	struct tree *t = NULL;
	struct stat st;
	char *mnt_real = NULL; /* resolved before mounting: afterwards a path walk would wait on us */
	int rc = 1;

	/*
	 * Memory stays within the cache bound only if freed chunk buffers go
	 * back to the system: a fixed mmap threshold keeps glibc from raising it
	 * (and then recycling multi-MiB buffers inside per-thread arenas).
	 * Frames (128 KiB by default) stay below it: mapping and unmapping each
	 * one cost page faults, zeroing and TLB shootdowns on every read.  One
	 * arena: frames are freed by other threads than the ones that made
	 * them, and with four arenas each kept its own high-water mark (peak
	 * RSS 84 MiB against 72 MiB with one, for a 64 MiB cache; malloc is
	 * called about ten times per MiB read, so the shared lock costs nothing).
	 */
	mallopt(M_MMAP_THRESHOLD, 512 * 1024);
	mallopt(M_ARENA_MAX, 1);
	const char *base = strrchr(argv[0], '/');
	if (!strncmp(base ? base + 1 : argv[0], "mount.", 6)) {
		/* run by mount(8) as its helper */
		args = (struct fuse_args)FUSE_ARGS_INIT(0, NULL);
		if (helper_args(argc, argv, &args) < 0) {
			fuse_opt_free_args(&args);
			return 0;
		}
	}
	if (fuse_opt_parse(&args, &o, opt_spec, opt_proc) == -1) {
		fprintf(stderr, "stratafs: see 'stratafs --help'\n");
		rc = 2;
		goto out_early;
	}
	if (o.help || o.version || o.man) {
		if (o.help)
			helpdoc_command(stdout, &fs_page, fs_cmds);
		else if (o.man)
			helpdoc_roff(stdout, &fs_page, STRATA_VERSION);
		else
			printf("stratafs %s (repository format %d, reads %d to %d; catalog schema %d; FUSE %s)\n",
			       STRATA_VERSION, REPO_FORMAT_VERSION, REPO_FORMAT_OLDEST,
			       REPO_FORMAT_VERSION, CATALOG_SCHEMA_VERSION, fuse_pkgversion());
		rc = 0;
		goto out_early;
	}
	if (o.cache_size && (parse_size(o.cache_size, &cache_size) || cache_size > (SIZE_MAX >> 1))) {
		fprintf(stderr, "stratafs: cache_size takes a size such as 64M or 67108864, not '%s'\n",
			o.cache_size);
		rc = 2;
		goto out_early;
	}
	uint64_t readahead = 1u << 20;
	if (o.readahead && (parse_size(o.readahead, &readahead) || readahead > (64u << 20) ||
			    (readahead && readahead < 4096))) {
		fprintf(stderr, "stratafs: readahead takes a size from 4K to 64M such as 1M, or 0, not '%s'\n",
			o.readahead);
		rc = 2;
		goto out_early;
	}
	uint64_t disk_cache = 1u << 30;
	if (o.disk_cache && parse_size(o.disk_cache, &disk_cache)) {
		fprintf(stderr, "stratafs: disk_cache takes a size such as 1G or 512M, or 0, not '%s'\n",
			o.disk_cache);
		rc = 2;
		goto out_early;
	}
	unsigned refresh_s = 5;
	if (o.refresh) {
		char *end;
		unsigned long v = strtoul(o.refresh, &end, 10);
		if (!*o.refresh || *end || v > 86400) {
			fprintf(stderr, "stratafs: refresh takes seconds from 0 to 86400, such as refresh=5, not '%s'\n",
				o.refresh);
			rc = 2;
			goto out_early;
		}
		refresh_s = (unsigned)v;
	}
	unsigned formats = 0;
	if (o.formats && tree_parse_formats(o.formats, &formats)) {
		fprintf(stderr, "stratafs: formats takes csv, jsonl and sql, comma-separated, such as formats=csv,jsonl, not '%s'\n",
			o.formats);
		rc = 2;
		goto out_early;
	}
	if (o.nargs != 2) {
		fprintf(stderr, "stratafs: %s; usage: stratafs REPO MOUNTPOINT [-f] [-o OPTIONS], see 'stratafs --help'\n",
			o.nargs < 2 ? "need a repository and a mount point" : "too many arguments");
		rc = 2;
		goto out_early;
	}
	if (getuid() != 0 && store_is_local(o.repo) && access(o.repo, R_OK | X_OK) < 0) {
		fprintf(stderr, "stratafs: you may not list the repository '%s', so you could not read its mount; ask its owner for read and search permission\n",
			o.repo);
		goto out_early;
	}
	char *err = NULL;
	if (tree_open(&t, o.repo, &err)) {
		fprintf(stderr, "stratafs: %s\n", err);
		free(err);
		goto out_early;
	}
	if (formats)
		tree_set_formats(t, formats);
	int dcrc = tree_disk_cache(t, disk_cache);
	if (dcrc) {
		fprintf(stderr, "stratafs: cannot make the disk cache in '%s': %s; give -o disk_cache=0 to go without\n",
			tree_repo_path(t), strerror(-dcrc));
		goto out_early;
	}
	if (stat(o.mnt, &st) < 0) {
		if (errno == ENOENT)
			fprintf(stderr, "stratafs: mount point '%s' does not exist; create it with 'mkdir -p %s'\n",
				o.mnt, o.mnt);
		else
			fprintf(stderr, "stratafs: cannot use mount point '%s': %s\n", o.mnt, strerror(errno));
		goto out_early;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "stratafs: mount point '%s' is a file, not a directory; mount on an empty directory (stratafs REPO MOUNTPOINT)\n",
			o.mnt);
		goto out_early;
	}
	{
		/* a mount point already in use: its device differs from its parent's */
		char *parent = xasprintf("%s/..", o.mnt);
		struct stat pst;
		bool busy = stat(parent, &pst) == 0 && (pst.st_dev != st.st_dev ||
							pst.st_ino == st.st_ino);
		free(parent);
		if (busy && strcmp(o.mnt, "/")) {
			fprintf(stderr, "stratafs: mount point '%s' is busy: something is already mounted there; unmount it first ('fusermount3 -u %s')\n",
				o.mnt, o.mnt);
			goto out_early;
		}
	}
	if (!o.nonempty && dir_is_empty(o.mnt) == 0) { /* unreadable: the mount decides */
		fprintf(stderr, "stratafs: mount point '%s' is not empty: mounting would hide its files; choose an empty directory, or add -o nonempty\n",
			o.mnt);
		goto out_early;
	}
	if (access("/dev/fuse", R_OK | W_OK) < 0) {
		fprintf(stderr, "stratafs: cannot use /dev/fuse: %s; install fuse3 and load the fuse module ('modprobe fuse')\n",
			strerror(errno));
		goto out_early;
	}
	/* one fd per pack stays open; let the limit be as high as allowed */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	log_set_sink(log_sink);

	char *fsname = xasprintf("-osubtype=stratafs,ro,default_permissions,fsname=%s", o.repo);
	for (char *p = fsname + 3; *p; p++)
		if (*p == ',' && strncmp(p, ",ro,", 4) && strncmp(p, ",default_permissions,", 21) &&
		    strncmp(p, ",fsname=", 8))
			*p = '_'; /* a comma in the path would split the option */
	fuse_opt_add_arg(&args, fsname);
	free(fsname);
	se = fuse_session_new(&args, &fs_ops, sizeof(fs_ops), t);
	if (!se) {
		/* libfuse said which option it does not know */
		fprintf(stderr, "stratafs: see 'stratafs --help' for the options\n");
		rc = 2;
		goto out;
	}
	if (fuse_set_signal_handlers(se) != 0)
		goto out;
	mnt_real = realpath(o.mnt, NULL);
	if (fuse_session_mount(se, o.mnt) != 0) {
		fprintf(stderr, "stratafs: cannot mount on '%s'; check that it exists, is not busy and that you may mount there\n", o.mnt);
		goto out_sig;
	}
	if (readahead && mnt_real)
		set_readahead(mnt_real, readahead);
	fuse_daemonize(o.foreground);
	/* SQLite connections and threads must not cross fork(): start in the daemon */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (tree_start(t, (size_t)cache_size, ncpu > 1 ? (int)(ncpu < 8 ? ncpu : 8) : 1, &err)) {
		log_msg("%s", err);
		free(err);
		fuse_session_unmount(se);
		goto out_sig;
	}
	if (!store_is_local(o.repo))
		g_watch.refresh_ticks = refresh_s * (1000 / WATCH_MS);
	watch_start(t, se);
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	fuse_loop_cfg_set_clone_fd(cfg, 1);
	fuse_loop_cfg_set_max_threads(cfg, 8);
	fuse_loop_cfg_set_idle_threads(cfg, 8);
	rc = fuse_session_loop_mt(se, cfg) ? 1 : 0;
	fuse_loop_cfg_destroy(cfg);
	watch_stop();
	/* no request runs any more: free what the kernel did not release */
	while (g_handles.next != &g_handles) {
		struct handle *h = g_handles.next;
		if (h->is_dir) {
			dl_free((struct dirlist *)h);
		} else {
			((struct ofile *)h)->refs = 1;
			ofile_free((struct ofile *)h);
		}
	}
	fuse_session_unmount(se);
out_sig:
	fuse_remove_signal_handlers(se);
out:
	if (se)
		fuse_session_destroy(se);
out_early:
	tree_close(t);
	free(o.repo);
	free(o.mnt);
	free(o.cache_size);
	free(o.readahead);
	free(o.refresh);
	free(o.disk_cache);
	free(o.formats);
	free(mnt_real);
	fuse_opt_free_args(&args);
	return rc;
}
