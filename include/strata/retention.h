/*
 * retention.h - which generations a retention policy keeps (restic's `forget`
 * semantics as of restic 0.17, UTC buckets).
 *
 * Generations are ordered newest first (time descending, then seq
 * descending) and walked in that order:
 *   keep-last N      the N newest generations;
 *   keep-hourly N    the newest generation of each of the N most recent
 *   ... yearly N     buckets that hold a generation; the buckets are UTC
 *                    hours, days, ISO 8601 weeks (Monday to Sunday, so
 *                    2021-01-03 is in 2020-W53), months and years;
 *   keep-within D    every generation strictly newer than the newest one's
 *                    time minus D (calendar arithmetic in UTC, see below):
 *                    restic's "newer than", so a generation exactly on the
 *                    limit is not kept by this rule;
 *   oldest           (restic 0.17, no option of its own) when the walk
 *                    reaches the oldest generation and one of keep-hourly ..
 *                    keep-yearly still has a count left (always so for
 *                    KEEP_UNLIMITED), that rule keeps the oldest generation
 *                    too, although a newer generation of the same bucket was
 *                    already kept: the history reaches back as far as it can
 *                    while counts are unused.  A count equal to the number of
 *                    buckets that hold a generation is used up by then, so it
 *                    does not keep the oldest (unless the oldest is alone in
 *                    its bucket and so kept the ordinary way).  keep-last
 *                    never needs it (each generation is a bucket of its own),
 *                    nor does keep-within (no count).
 * A generation is kept when any rule keeps it.  A count of KEEP_UNLIMITED
 * never runs out.  A keep-within of zero (0d, 0h, ...) is no rule, as in
 * restic.
 *
 * Reasons: bit (1u << KEEP_x) for each rule that kept the generation.  When a
 * rule keeps the oldest generation only by the oldest rule above (it is not
 * the newest of its bucket), the bit set is KEEP_OLDEST, not that rule's own
 * bit (which always means "newest of one of its buckets"); one KEEP_OLDEST
 * bit stands for any number of such rules, and it is set whether or not
 * another rule keeps the generation as well.  restic records this case
 * under the rule's ordinary reason ("monthly snapshot") in 0.17 and as
 * "oldest monthly snapshot" from 0.18 on; both map to KEEP_OLDEST here.
 *
 * keep-within subtracts years and months from the newest time's date in
 * one step, then days, normalising a day past the end of its month into
 * the next one (as timegm() or Go's AddDate do: 2024-03-31 minus 1m is
 * 2024-02-31, that is 2024-03-02), keeping the time of day; then hours as
 * 3600 s each.
 */
#ifndef STRATA_RETENTION_H
#define STRATA_RETENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEEP_UNLIMITED UINT32_MAX /* a count of -1 on the command line: every bucket */

enum keep_rule {
	KEEP_LAST,
	KEEP_HOURLY,
	KEEP_DAILY,
	KEEP_WEEKLY,
	KEEP_MONTHLY,
	KEEP_YEARLY,
	KEEP_WITHIN,
	KEEP_OLDEST, /* a reason only: kept as the oldest generation (see above) */
	KEEP_NRULES
};

struct keep_policy {
	uint32_t n[KEEP_WITHIN]; /* counts for KEEP_LAST .. KEEP_YEARLY; 0 = rule not used */
	bool within_set;         /* --keep-within given */
	struct keep_duration {
		uint32_t years, months, days, hours;
	} within;
};

struct keep_gen {
	int64_t time;     /* input: Unix seconds UTC */
	uint64_t seq;     /* input: generation number, breaks ties of equal time (higher = newer) */
	bool keep;        /* output */
	uint32_t reasons; /* output: bit (1u << rule) for every rule that kept it, KEEP_OLDEST included */
};

/* Whether any rule is used (a policy with none keeps everything and must be refused by callers). */
bool keep_policy_any(const struct keep_policy *p);
/*
 * Decide keep/reasons for g[0..n-1] (any input order; the array is not
 * reordered).  0, or -EINVAL when a time is outside the years 0000..9999
 * (-62167219200 .. 253402300799); then no output field was written.
 */
int retention_apply(const struct keep_policy *p, struct keep_gen *g, size_t n);
/*
 * Parse a --keep-within duration: one or more of <N>y <N>m <N>d <N>h in that
 * order, e.g. "1y6m", "7d", "36h", "2y3m4d5h"; N decimal, no sign, each
 * component at most once, total non-empty; each N <= 100000.  0 or -EINVAL
 * (then *d is unchanged).
 */
int keep_duration_parse(const char *s, struct keep_duration *d);
/* Parse a count argument: decimal 0..2^31-1, or "-1" meaning KEEP_UNLIMITED. 0 or -EINVAL. */
int keep_count_parse(const char *s, uint32_t *n);
/*
 * The rule's option name without dashes: "keep-last", "keep-hourly", ...,
 * "keep-within", and "keep-oldest" for KEEP_OLDEST (no option of that name);
 * NULL if r is no rule.
 */
const char *keep_rule_name(enum keep_rule r);

#endif
