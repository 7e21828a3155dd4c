/*
 * browse.h - `strata cat` and `strata ls REPO PATH`: the mount's tree
 * (strata/tree.h) without FUSE, for containers without /dev/fuse and for
 * scripts.  The bytes and listings are the mount's, from the same code.
 */
#ifndef STRATA_BROWSE_H
#define STRATA_BROWSE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Write the files at paths (relative to the mount point) to stdout, one
 * after the other.  0; -EBADMSG when data could not be read because it is
 * damaged (logged on stderr: which pack, which chunk); other failures set
 * *err (one line; caller frees).
 */
int browse_cat(const char *repo, const char *const *paths, size_t n, char **err);

/*
 * List the directory at path as `ls -l` would show it through the mount
 * (a file: that one entry), as text or JSON.  Same results as browse_cat.
 */
int browse_ls(const char *repo, const char *path, bool json, char **err);

/*
 * `strata diff`: the rows that changed from generation a to b (names, or
 * "latest"), of one table (its directory name) or of all, in format
 * "csv" or "jsonl", on stdout (tree_diff).  Same results as browse_cat.
 */
int browse_diff(const char *repo, const char *a, const char *b, const char *table,
		const char *format, char **err);

#endif
