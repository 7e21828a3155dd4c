/*
 * retention.c - see strata/retention.h.
 *
 * The calendar is computed here (proleptic Gregorian, UTC), not with
 * gmtime()/timegm(): no time zone, no locale, and the same answer for any
 * time_t width.
 */
#include "strata/retention.h"
#include "strata/util.h"

#include <errno.h>
#include <stdlib.h>

#define TIME_MIN (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define TIME_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */
#define DURATION_MAX 100000

/* Division rounding towards minus infinity (times before 1970 are negative). */
static int64_t fdiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * Days from 1970-01-01 to y-m-d; m may be 1..12 and d any value (a day past
 * the month's end counts on into the next month, a day < 1 back into the
 * previous one).  The year is taken to start on March 1 so that the leap day
 * is its last: the days before month m (March = 0) are then (153 m + 2) / 5,
 * and the leap days before year y are y/4 - y/100 + y/400.
 */
static int64_t days_from_civil(int64_t y, int m, int64_t d)
{
	int64_t mar = m >= 3 ? m - 3 : m + 9;

	if (m < 3)
		y--;
	/* 719468: the value of the sum below for 1970-01-01 */
	return 365 * y + fdiv(y, 4) - fdiv(y, 100) + fdiv(y, 400) + (153 * mar + 2) / 5 + d - 1 -
	       719468;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The date of day number days (days_from_civil's inverse). */
static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	/* an estimate within a year of the answer (146097 days in 400 years), then correct it */
	int64_t year = 1970 + fdiv(days * 400, 146097);
	int64_t left;
	int month = 1;

	while (days_from_civil(year, 1, 1) > days)
		year--;
	while (days_from_civil(year + 1, 1, 1) <= days)
		year++;
	left = days - days_from_civil(year, 1, 1);
	for (;;) {
		int len = mdays[month - 1] + (month == 2 && is_leap(year));
		if (left < len)
			break;
		left -= len;
		month++;
	}
	*y = year;
	*m = month;
	*d = (int)left + 1;
}

/* The bucket of time t for rule r (KEEP_HOURLY .. KEEP_YEARLY); equal buckets, equal values. */
static int64_t bucket(enum keep_rule r, int64_t t)
{
	int64_t days = fdiv(t, 86400), y;
	int m, d;

	switch (r) {
	case KEEP_HOURLY:
		/* UTC hours start at multiples of 3600 s: (year, month, day, hour) */
		return fdiv(t, 3600);
	case KEEP_DAILY:
		return days;
	case KEEP_WEEKLY:
		/*
		 * An ISO 8601 week (ISO year, week number) is exactly one Monday
		 * to Sunday week, so the count of Mondays up to the day names it.
		 * 1970-01-01 was a Thursday: day -3 was a Monday.
		 */
		return fdiv(days + 3, 7);
	default:
		break;
	}
	civil_from_days(days, &y, &m, &d);
	return r == KEEP_MONTHLY ? y * 12 + (m - 1) : y;
}

/* The limit of keep-within d for the newest time t: only later times are kept. */
static int64_t within_cutoff(const struct keep_duration *d, int64_t t)
{
	int64_t days = fdiv(t, 86400), sec = t - days * 86400, y, mon;
	int m, day;

	civil_from_days(days, &y, &m, &day);
	/* years and months in one step: a month number < 0 borrows years */
	mon = (m - 1) - (int64_t)d->months;
	y = y - d->years + fdiv(mon, 12);
	mon -= fdiv(mon, 12) * 12;
	/* the day of the month counts on from the 1st: Feb 31 is Mar 2 or 3 */
	days = days_from_civil(y, (int)mon + 1, day) - d->days;
	return days * 86400 + sec - (int64_t)d->hours * 3600;
}

static bool within_used(const struct keep_policy *p)
{
	const struct keep_duration *w = &p->within;
	return p->within_set && (w->years || w->months || w->days || w->hours);
}

bool keep_policy_any(const struct keep_policy *p)
{
	for (int r = KEEP_LAST; r < KEEP_WITHIN; r++)
		if (p->n[r])
			return true;
	return within_used(p);
}

struct order {
	int64_t time;
	uint64_t seq;
	size_t i; /* index into the caller's array */
};

/* Newest first: later time, then higher seq; the input position settles exact duplicates. */
static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->time != y->time)
		return x->time > y->time ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq > y->seq ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int retention_apply(const struct keep_policy *p, struct keep_gen *g, size_t n)
{
	uint32_t left[KEEP_WITHIN];
	int64_t last[KEEP_WITHIN], cutoff = 0;
	bool have_last[KEEP_WITHIN] = { false };
	bool within = within_used(p), any = keep_policy_any(p);
	struct order *o;

	for (size_t i = 0; i < n; i++)
		if (g[i].time < TIME_MIN || g[i].time > TIME_MAX)
			return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		g[i].keep = !any; /* no rule: everything stays */
		g[i].reasons = 0;
	}
	if (!n || !any)
		return 0;

	o = xmalloc(n * sizeof(*o));
	for (size_t i = 0; i < n; i++)
		o[i] = (struct order){ g[i].time, g[i].seq, i };
	qsort(o, n, sizeof(*o), order_cmp);
	if (within)
		cutoff = within_cutoff(&p->within, o[0].time);
	for (int r = KEEP_LAST; r < KEEP_WITHIN; r++)
		left[r] = p->n[r];

	for (size_t k = 0; k < n; k++) {
		struct keep_gen *cur = &g[o[k].i];
		uint32_t why = 0;

		/* keep-last: every generation is a bucket of its own */
		if (left[KEEP_LAST]) {
			why |= 1u << KEEP_LAST;
			if (left[KEEP_LAST] != KEEP_UNLIMITED)
				left[KEEP_LAST]--;
		}
		/*
		 * Newest first, so the first generation met in a bucket is its
		 * newest: keep it when its bucket is not that of the generation
		 * this rule kept last, and the rule has a count left.  A rule
		 * with a count left when the walk reaches the oldest generation
		 * keeps that one as well (restic 0.17), as KEEP_OLDEST; its
		 * count is not needed any more after the oldest.
		 */
		for (int r = KEEP_HOURLY; r < KEEP_WITHIN; r++) {
			int64_t b;

			if (!left[r])
				continue;
			b = bucket((enum keep_rule)r, cur->time);
			if (have_last[r] && b == last[r]) {
				if (k == n - 1)
					why |= 1u << KEEP_OLDEST;
				continue;
			}
			have_last[r] = true;
			last[r] = b;
			if (left[r] != KEEP_UNLIMITED)
				left[r]--;
			why |= 1u << r;
		}
		/* restic: kept when After(limit), so not on the limit itself */
		if (within && cur->time > cutoff)
			why |= 1u << KEEP_WITHIN;
		cur->keep = why != 0;
		cur->reasons = why;
	}
	free(o);
	return 0;
}

/* Digits at *s as a number <= max; -EINVAL if there are none or it is larger. */
static int number(const char **s, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;

	if (**s < '0' || **s > '9')
		return -EINVAL;
	while (**s >= '0' && **s <= '9') {
		x = x * 10 + (uint64_t)(**s - '0');
		if (x > max)
			return -EINVAL;
		(*s)++;
	}
	*v = (uint32_t)x;
	return 0;
}

int keep_duration_parse(const char *s, struct keep_duration *d)
{
	static const char units[] = "ymdh";
	struct keep_duration r = { 0, 0, 0, 0 };
	uint32_t *field[] = { &r.years, &r.months, &r.days, &r.hours };
	int next = 0; /* the units left of this one were passed: 1h1d is refused */

	if (!*s)
		return -EINVAL;
	while (*s) {
		uint32_t v;
		int u;

		if (number(&s, DURATION_MAX, &v))
			return -EINVAL;
		for (u = next; u < 4 && units[u] != *s; u++)
			;
		if (u == 4)
			return -EINVAL;
		*field[u] = v;
		next = u + 1;
		s++;
	}
	*d = r;
	return 0;
}

int keep_count_parse(const char *s, uint32_t *n)
{
	uint32_t v;

	if (!strcmp(s, "-1")) {
		*n = KEEP_UNLIMITED;
		return 0;
	}
	if (number(&s, INT32_MAX, &v) || *s)
		return -EINVAL;
	*n = v;
	return 0;
}

const char *keep_rule_name(enum keep_rule r)
{
	static const char *const names[KEEP_NRULES] = {
		[KEEP_LAST] = "keep-last",	 [KEEP_HOURLY] = "keep-hourly",
		[KEEP_DAILY] = "keep-daily",	 [KEEP_WEEKLY] = "keep-weekly",
		[KEEP_MONTHLY] = "keep-monthly", [KEEP_YEARLY] = "keep-yearly",
		[KEEP_WITHIN] = "keep-within",	 [KEEP_OLDEST] = "keep-oldest",
	};

	if ((unsigned)r >= KEEP_NRULES)
		return NULL;
	return names[r];
}
