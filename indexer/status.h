/*
 * status.h - `strata status`: is every database backed up, recently, and
 * was the repository checked; as text, JSON or Prometheus metrics.
 */
#ifndef STRATA_STATUS_H
#define STRATA_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include "strata/catalog.h"
#include "strata/repo.h"

struct status_opts {
	bool json, prometheus;
	const char *output; /* write here atomically instead of stdout (NULL: stdout) */
	int64_t max_age;    /* seconds; 0: no limit */
	int64_t now;        /* the time ages are computed against */
};

struct status_result {
	bool damaged; /* the last full verify found damage */
	bool stale;   /* max_age given and a database's newest generation is older, or none */
};

/*
 * Print the status of the repository at path.  Problems that make it
 * unhealthy are also said on stderr, one line each.  Returns non-zero with
 * *err set when the status cannot be had at all.
 */
int status_run(const char *path, const struct status_opts *o, struct status_result *res,
	       char **err);

/*
 * Bring the catalog up to date when nobody holds the lock and the
 * repository is writable to us; otherwise leave it as it is (0).  A
 * failure that leaves no usable catalog sets *err and returns < 0.
 */
int status_update_catalog(const char *path, char **err);

/*
 * Open the repository and its catalog for reading (ls, status), after
 * bringing the catalog up to date when nobody holds the lock; when the lock
 * is held, or the repository is read-only to us, what the catalog has is
 * used as it is.  On failure sets *err (one line, what to do; caller frees),
 * leaves r and c closed and returns a negative errno.
 */
int status_open_catalog(const char *path, struct repo *r, struct catalog *c, char **err);

#endif
