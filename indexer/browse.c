/*
 * browse.c - see browse.h.
 *
 * Both commands first bring the catalog up to date as `strata ls` does
 * (status_update_catalog), then serve the tree exactly as the mount does:
 * tree_resolve() walks the path as the kernel walks a mounted path
 * ("latest" and other links inside the tree are followed), and the bytes
 * come from reader_read() with the mount's cache and read-ahead.
 */
#include "browse.h"
#include "status.h"
#include "strata/tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define CAT_CACHE (64u << 20)
#define CAT_READ (1u << 20)

/* readahead: start read-ahead threads (cat reads files; ls does not) */
static int open_tree(const char *repo, bool readahead, struct tree **t, char **err)
{
	int rc = status_update_catalog(repo, err);
	if (rc)
		return rc;
	rc = tree_open(t, repo, err);
	if (rc)
		return rc;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	rc = tree_start(*t, CAT_CACHE, !readahead ? 0 : ncpu > 1 ? (int)(ncpu < 8 ? ncpu : 8) : 1,
			err);
	if (rc) {
		tree_close(*t);
		*t = NULL;
	} else {
		tree_keep_notes(*t);
	}
	return rc;
}

/* The one-line message for a path that does not resolve. */
static char *path_message(struct tree *t, const char *repo, const char *path, int rc)
{
	if (rc == -ENOENT && *tree_last_note(t))
		return xasprintf("'%s' is not in the tree of '%s': %s", path, repo, tree_last_note(t));
	if (rc == -ENOENT)
		return xasprintf("'%s' is not in the tree of '%s'; see 'strata ls %s' and 'strata ls %s PATH'",
				 path, repo, repo, repo);
	if (rc == -ENOTDIR)
		return xasprintf("'%s': a part of the path before the last is a file, not a directory",
				 path);
	if (rc == -ELOOP)
		return xasprintf("'%s': too many symbolic links", path);
	if (rc == -EIO)
		return xasprintf("'%s' cannot be looked up: the catalog cannot be read (said above); run 'strata index --rebuild %s'",
				 path, repo);
	return xasprintf("'%s' cannot be looked up: %s", path, strerror(-rc));
}

static int write_iov(struct iovec *iov, size_t n)
{
	while (n) {
		int cnt = n > IOV_MAX ? IOV_MAX : (int)n;
		ssize_t w = writev(STDOUT_FILENO, iov, cnt);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (n && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int cat_one(struct tree *t, const char *repo, const char *path, char **err)
{
	struct rd_file *f;
	struct stat st;
	unsigned flags;
	uint64_t ino, off = 0;
	int rc = tree_resolve(t, path, true, &ino);

	if (!rc)
		rc = tree_stat(t, ino, &st, &flags);
	if (rc) {
		*err = path_message(t, repo, path, rc);
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		*err = xasprintf("'%s' is a directory; list it with 'strata ls %s %s'", path, repo, path);
		return -EISDIR;
	}
	rc = tree_open_file(t, ino, &f);
	if (rc) {
		*err = path_message(t, repo, path, rc);
		return rc;
	}
	while (off < f->size) {
		struct rd_reply r;
		rc = reader_read(tree_reader(t), f, off, CAT_READ, &r);
		if (!rc)
			rc = write_iov(r.iov, r.niov);
		off += r.len;
		reader_done(tree_reader(t), f, &r, rc);
		if (rc)
			break;
	}
	rd_file_free(f);
	if (rc == -EIO) {
		*err = xasprintf("'%s' cannot be read: its data is damaged (said above); run 'strata verify %s'",
				 path, repo);
		return -EBADMSG;
	}
	if (rc)
		*err = xasprintf("cannot write '%s' to the standard output: %s", path, strerror(-rc));
	return rc;
}

int browse_cat(const char *repo, const char *const *paths, size_t n, char **err)
{
	struct tree *t = NULL;
	int rc = open_tree(repo, true, &t, err);
	for (size_t i = 0; !rc && i < n; i++)
		rc = cat_one(t, repo, paths[i], err);
	tree_close(t);
	return rc;
}

/* ---- ls ---- */

static void print_entry(struct buf *b, struct tree *t, bool json, bool first, const char *name,
			uint64_t ino, const struct stat *st)
{
	char ts[32], *target = NULL;
	const char *type = S_ISDIR(st->st_mode) ? "dir" : S_ISLNK(st->st_mode) ? "link" : "file";

	if (S_ISLNK(st->st_mode) && tree_readlink(t, ino, &target))
		target = NULL;
	time_rfc3339(ts, st->st_mtime);
	if (json) {
		buf_adds(b, first ? "\n {\"name\": " : ",\n {\"name\": ");
		buf_add_json_str(b, name, strlen(name));
		buf_addf(b, ", \"type\": \"%s\", \"size\": %llu, \"mtime\": \"%s\", \"ino\": %llu",
			 type, (unsigned long long)st->st_size, ts, (unsigned long long)ino);
		if (target) {
			buf_adds(b, ", \"target\": ");
			buf_add_json_str(b, target, strlen(target));
		}
		buf_adds(b, "}");
	} else {
		buf_addf(b, "%-4s %14llu  %s  ", type, (unsigned long long)st->st_size, ts);
		buf_add_printable(b, name, strlen(name)); /* names come from databases */
		if (S_ISDIR(st->st_mode))
			buf_adds(b, "/");
		if (target) {
			buf_adds(b, " -> ");
			buf_add_printable(b, target, strlen(target));
		}
		buf_adds(b, "\n");
	}
	free(target);
}

/* Attributes of a listing's entries (tree_stat_entries: no tree call inside). */
struct ls_stats {
	struct stat *st;
	int rc;
};

static int ls_entry(void *arg, size_t i, const struct stat *st, unsigned flags)
{
	struct ls_stats *s = arg;
	(void)flags;
	if (!st) {
		s->rc = -EIO;
		return 1;
	}
	s->st[i] = *st;
	return 0;
}

int browse_ls(const char *repo, const char *path, bool json, char **err)
{
	struct buf b = BUF_INIT;
	struct tree *t = NULL;
	struct tree_dir d = { 0 };
	struct stat st;
	unsigned flags;
	uint64_t ino;
	int rc = open_tree(repo, false, &t, err);

	if (rc)
		return rc;
	/* like ls: a link named on the command line is followed when it leads to a directory */
	rc = tree_resolve(t, path, true, &ino);
	if (!rc)
		rc = tree_stat(t, ino, &st, &flags);
	if (rc) {
		*err = path_message(t, repo, path, rc);
		goto out;
	}
	if (json)
		buf_adds(&b, "[");
	if (!S_ISDIR(st.st_mode)) {
		const char *base = strrchr(path, '/');
		print_entry(&b, t, json, true, base && base[1] ? base + 1 : path, ino, &st);
	} else {
		struct ls_stats s = { NULL, 0 };
		rc = tree_list(t, ino, &d, &flags);
		if (!rc && d.n) {
			s.st = xcalloc(d.n, sizeof(*s.st));
			tree_stat_entries(t, &d, 0, ls_entry, &s);
			rc = s.rc;
		}
		const char *name = (const char *)d.names.data;
		for (size_t i = 0; !rc && i < d.n; i++, name += strlen(name) + 1)
			print_entry(&b, t, json, i == 0, name, d.inos[i], &s.st[i]);
		free(s.st);
		if (rc) {
			*err = xasprintf("'%s' cannot be listed: the catalog cannot be read (said above); run 'strata index --rebuild %s'",
					 path, repo);
			goto out;
		}
	}
	if (json)
		buf_adds(&b, b.len > 1 ? "\n]\n" : "]\n");
	rc = write_all(STDOUT_FILENO, b.data, b.len);
	if (rc)
		*err = xasprintf("cannot write to the standard output: %s", strerror(-rc));
out:
	buf_release(&b);
	tree_dir_release(&d);
	tree_close(t);
	return rc;
}

/* "latest" names the newest generation here too */
static int gen_name(struct tree *t, const char *name, char **out)
{
	if (strcmp(name, "latest")) {
		*out = xstrdup(name);
		return 0;
	}
	return tree_readlink(t, TREE_INO_LATEST, out);
}

int browse_diff(const char *repo, const char *a, const char *b, const char *table,
		const char *format, char **err)
{
	struct tree *t = NULL;
	char *na = NULL, *nb = NULL;
	enum view_format fmt = !strcmp(format, "csv") ? VIEW_CSV : VIEW_JSONL;
	int rc = open_tree(repo, true, &t, err);
	if (rc)
		return rc;
	rc = gen_name(t, a, &na);
	if (!rc)
		rc = gen_name(t, b, &nb);
	if (rc) {
		*err = xasprintf("'%s' has no generation yet", repo);
	} else {
		rc = tree_diff(t, na, nb, table, fmt, stdout, err);
		if (fflush(stdout) && !rc) {
			rc = -errno;
			*err = xasprintf("cannot write the differences: %s", strerror(errno));
		}
	}
	free(na);
	free(nb);
	tree_close(t);
	return rc;
}
