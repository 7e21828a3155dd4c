/*
 * stats.h - `strata stats`: generations per database, logical and stored
 * bytes, dedup ratio, packs, garbage, manifests and catalog size.
 */
#ifndef STRATA_STATS_H
#define STRATA_STATS_H

#include <stdbool.h>

/* Print the statistics of the repository at path (text or JSON); 0, or < 0 with *err set. */
int stats_run(const char *path, bool as_json, char **err);

#endif
