/*
 * tree.h - the namespace a repository is served as: the tree of
 * generations, tables and files that stratafs mounts and that `strata cat`
 * and `strata ls REPO PATH` walk, from the same code (DESIGN.md invariant
 * 8).  docs/FORMAT.md "Mount layout" describes it.
 *
 * A node is named by a 64-bit inode number that is its address (tree.c
 * says how), so no table maps numbers to nodes and a number never changes
 * (DESIGN.md invariant 6).  Every node kind (lib/node_*.c) answers lookup
 * / stat / list / open / readlink for its nodes; the tree dispatches on the
 * number and holds the catalog connection.
 *
 * The catalog (catalog.db) is derived data that may be deleted, damaged or
 * rebuilt under a running tree: the tree looks at the file at most once a
 * second and swaps connections when it was replaced (tree.c), logging
 * (log.h) what it did.  Catalog errors are logged once and returned as
 * -EIO.
 *
 * Threads: every function may be called from any number of threads at
 * once; catalog access is serialised inside, reads (reader.h) are not.
 * Errors: -ENOENT, -ENOTDIR, -EISDIR, -EINVAL (not a symbolic link), -EIO
 * (logged).
 */
#ifndef STRATA_TREE_H
#define STRATA_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "strata/reader.h"
#include "strata/util.h"

#define TREE_INO_ROOT 1
#define TREE_INO_LATEST 2

/* flags of a stat, lookup or listing */
enum tree_flags {
	TREE_LIVE = 1 << 0,  /* may change (the root, "latest"): cache it briefly */
	TREE_FINAL = 1 << 1, /* lookup: this miss is for good (the parent is immutable) */
	TREE_LIVE_ATTR = 1 << 2, /* stat, lookup: the name and bytes are for good, the
				  * attributes may change (a shared row-range file's st_nlink) */
};

struct tree;

/*
 * Open the repository at path for serving: its config, packs directory and
 * catalog are checked, so that what is wrong is said on the terminal; no
 * catalog connection is kept yet (SQLite connections must not cross a
 * fork()).  On failure *err is a one-line message (caller frees).
 * Attributes: files and directories belong to the repository directory's
 * owner and group, readable by each class that may list and enter it.
 */
int tree_open(struct tree **out, const char *path, char **err);
/*
 * Open the catalog connection and the reader (cache_bytes of decoded
 * pieces, readahead_threads threads); call once, after any fork().
 */
int tree_start(struct tree *t, size_t cache_bytes, int readahead_threads, char **err);
/*
 * A remote repository (S3): bring this host's catalog cache up to date
 * from the store's listing, so that generations other hosts wrote appear
 * (the mount calls it every few seconds, never from a request).  wait_ms
 * as repo_lock; 0 without doing anything when another writer of the cache
 * holds its lock, or for a local repository, whose writers keep its
 * catalog themselves.
 */
int tree_sync_remote(struct tree *t, int64_t wait_ms);
/*
 * A remote repository: read packs through a bounded on-disk cache of
 * bytes (in this host's cache directory; strata/store.h,
 * store_cache_wrap).  Call after tree_open, before serving.  0 for a local
 * repository, which needs none.
 */
int tree_disk_cache(struct tree *t, uint64_t bytes);
void tree_close(struct tree *t);

/*
 * Which formats table and row-range files are served in: a mask of
 * 1 << enum view_format (views.h); all three by default.  Call before
 * serving.  Generations made before the JSONL and SQL views existed
 * (manifest version 1) have CSV files only.
 */
void tree_set_formats(struct tree *t, unsigned mask);
/* Parse "csv,jsonl,sql" (any non-empty subset) into a mask; -EINVAL if it is not one. */
int tree_parse_formats(const char *s, unsigned *mask);

/*
 * A command's walk: why a name a user typed names nothing (at/now: not a
 * time) is kept for its message (tree_last_note, "" if none; reset by each
 * tree_resolve) instead of being logged as a mount logs it.
 */
void tree_keep_notes(struct tree *t);
const char *tree_last_note(struct tree *t);

/* The repository path as given to tree_open (for messages). */
const char *tree_repo_path(const struct tree *t);
struct reader *tree_reader(struct tree *t);

/*
 * Look name up in directory parent: its number and attributes.  On
 * -ENOENT, *flags has TREE_FINAL when the miss may be cached for good.
 */
int tree_lookup(struct tree *t, uint64_t parent, const char *name, uint64_t *ino,
		struct stat *st, unsigned *flags);
int tree_stat(struct tree *t, uint64_t ino, struct stat *st, unsigned *flags);
/* A symbolic link's target, relative to its directory (caller frees). */
int tree_readlink(struct tree *t, uint64_t ino, char **target);
/*
 * Nodes named by what a user typed (a key, a time) have numbers that are
 * a hash of their name, remembered while someone may use them: each
 * successful lookup counts one reference, and the kernel's FORGET drops
 * nlookup of them.  Other numbers are addresses and ignore this.  Callers
 * that never forget (the command line) hold a few entries until
 * tree_close.
 */
void tree_forget(struct tree *t, uint64_t ino, uint64_t nlookup);

/* A directory listing, without "." and "..", in the order it is served. */
struct tree_dir {
	struct buf names; /* NUL-separated */
	uint64_t *inos;
	mode_t *types;    /* S_IFDIR, S_IFREG or S_IFLNK */
	size_t n, cap;
	struct tree *t;   /* private: the tree that lists it */
	uint64_t dir;     /* private: the directory listed */
};
void tree_dir_release(struct tree_dir *d);
/* A number that changes whenever a generation is added or removed (catalog_gen_stamp). */
int tree_gen_stamp(struct tree *t, uint64_t *stamp);
/* *flags: TREE_LIVE when the listing may change. */
int tree_list(struct tree *t, uint64_t ino, struct tree_dir *d, unsigned *flags);
/*
 * Attributes of the entries of d from index from on, under one catalog
 * lock (readdirplus): fn is called for each (st NULL when they cannot be
 * read now) until it returns non-zero, which means that entry was not
 * handed out.  An entry handed out with attributes counts as a lookup
 * (see tree_forget).  fn runs under that lock: it must not call the tree.
 */
void tree_stat_entries(struct tree *t, const struct tree_dir *d, size_t from,
		       int (*fn)(void *arg, size_t i, const struct stat *st, unsigned flags),
		       void *arg);

/*
 * `strata diff`: the rows that changed from generation gen_a to gen_b
 * (names), as changes.csv / changes.jsonl print them (fmt VIEW_CSV or
 * VIEW_JSONL), written to out as they are found.  With table (a table
 * directory name) exactly that table's changes; without, every table
 * with changes, each after a line "==> <table> <==".  -ENOENT (with *err)
 * for a generation or table that is not there, -EIO (with *err).
 */
int tree_diff(struct tree *t, const char *gen_a, const char *gen_b, const char *table,
	      enum view_format fmt, FILE *out, char **err);

/* Open a file for reading (reader.h); free it with rd_file_free(). */
int tree_open_file(struct tree *t, uint64_t ino, struct rd_file **f);

/*
 * Walk a path relative to the root, "/"-separated ("latest/orders/orders.csv";
 * "" or "." is the root), as the kernel would through the mount: ".."
 * goes up, symbolic links inside the tree are followed (the last component
 * only if follow_last), at most 40 of them.
 */
int tree_resolve(struct tree *t, const char *path, bool follow_last, uint64_t *ino);

#endif
