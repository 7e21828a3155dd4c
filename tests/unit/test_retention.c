/*
 * Unit tests for lib/retention.c: restic `forget` semantics over a fixed set
 * of generations, ISO weeks, keep-within calendar arithmetic, parsers.
 *
 * Every expectation below was derived by hand from the bucket tables in the
 * comments, not taken from the code's output.
 *
 * restic 0.17 (internal/restic/snapshot_policy.go, ApplyPolicy): keep-within
 * keeps a generation when its time is After(newest - D), so not one exactly
 * on the limit; a keep-hourly .. keep-yearly rule with a count left (or -1)
 * at the oldest generation keeps it too (reason bit KEEP_OLDEST, "O" below,
 * when the oldest is not the newest of its bucket).
 */
#include "check.h"
#include "strata/retention.h"
#include "strata/util.h"

#include <stdint.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int64_t T(const char *rfc3339)
{
	int64_t t = 0;
	if (time_parse_rfc3339(rfc3339, &t))
		fprintf(stderr, "bad test time %s\n", rfc3339);
	return t;
}

/*
 * The generations: seq, then time (UTC), with the buckets each falls in.
 * Ties: 9/10 and 29/30 share a second (the higher seq is the newer); they are
 * listed in opposite orders on purpose.
 *
 *  seq time                  weekday ISO week
 *   1  2022-01-01T09:00:00Z  Sat     2021-W52
 *   2  2022-01-02T23:30:00Z  Sun     2021-W52
 *   3  2022-01-03T00:15:00Z  Mon     2022-W01
 *   4  2022-06-15T12:00:00Z  Wed     2022-W24
 *   5  2022-12-31T23:59:59Z  Sat     2022-W52
 *   6  2023-01-01T00:00:00Z  Sun     2022-W52  (year 2023, ISO year 2022)
 *   7  2023-01-02T08:00:00Z  Mon     2023-W01
 *   8  2023-07-04T09:30:00Z  Tue     2023-W27
 *  10  2023-07-04T10:45:00Z  Tue     2023-W27
 *   9  2023-07-04T10:45:00Z  Tue     2023-W27  (same second as 10, older)
 *  11  2023-07-04T11:05:00Z  Tue     2023-W27
 *  12  2024-02-29T18:00:00Z  Thu     2024-W09
 *  13  2024-12-29T20:00:00Z  Sun     2024-W52
 *  14  2024-12-30T01:00:00Z  Mon     2025-W01  (year 2024, ISO year 2025)
 *  15  2024-12-31T23:00:00Z  Tue     2025-W01  (year 2024)
 *  16  2025-01-01T00:30:00Z  Wed     2025-W01
 *  17  2025-01-20T06:00:00Z  Mon     2025-W04
 *  18  2025-02-10T06:00:00Z  Mon     2025-W07
 *  19  2025-02-28T23:00:00Z  Fri     2025-W09
 *  20  2025-03-01T00:00:00Z  Sat     2025-W09
 *  21  2025-03-03T11:59:59Z  Mon     2025-W10
 *  22  2025-03-03T12:00:00Z  Mon     2025-W10
 *  23  2025-03-29T10:00:00Z  Sat     2025-W13
 *  24  2025-03-30T22:00:00Z  Sun     2025-W13
 *  25  2025-03-31T09:00:00Z  Mon     2025-W14
 *  26  2025-03-31T09:20:00Z  Mon     2025-W14
 *  27  2025-03-31T10:00:00Z  Mon     2025-W14
 *  28  2025-03-31T11:00:00Z  Mon     2025-W14
 *  29  2025-03-31T12:00:00Z  Mon     2025-W14
 *  30  2025-03-31T12:00:00Z  Mon     2025-W14  (same second as 29, newer: the newest)
 *
 * Newest first, the newest generation of each bucket ("x<-y" = y shares x's bucket):
 *   hourly (27): 30<-29, 28, 27, 26<-25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14,
 *                13, 12, 11, 10<-9, 8, 7, 6, 5, 4, 3, 2, 1
 *   daily (21):  30<-29..25, 24, 23, 22<-21, 20, 19, 18, 17, 16, 15, 14, 13, 12,
 *                11<-10,9,8, 7, 6, 5, 4, 3, 2, 1
 *   weekly (15): 30<-29..25, 24<-23, 22<-21, 20<-19, 18, 17, 16<-15,14, 13, 12,
 *                11<-10..8, 7, 6<-5, 4, 3, 2<-1
 *   monthly (10): 30<-29..20, 19<-18, 17<-16, 15<-14,13, 12, 11<-10..8, 7<-6, 5, 4,
 *                3<-2,1
 *   yearly (4):  30<-29..16, 15<-14..12, 11<-10..6, 5<-4..1
 *
 * The oldest generation is 1: alone in its hour and its day (so keep-hourly
 * and keep-daily reach it the ordinary way when they get that far), but not
 * the newest of its week (2), month (3) or year (5): keep-weekly with more
 * than 15, keep-monthly with more than 10, keep-yearly with more than 4, or
 * any of them at -1, keep 1 as the oldest (O).
 */
static const struct {
	uint64_t seq;
	const char *time;
} gens[] = {
	{ 1, "2022-01-01T09:00:00Z" },	{ 2, "2022-01-02T23:30:00Z" },
	{ 3, "2022-01-03T00:15:00Z" },	{ 4, "2022-06-15T12:00:00Z" },
	{ 5, "2022-12-31T23:59:59Z" },	{ 6, "2023-01-01T00:00:00Z" },
	{ 7, "2023-01-02T08:00:00Z" },	{ 8, "2023-07-04T09:30:00Z" },
	{ 10, "2023-07-04T10:45:00Z" }, { 9, "2023-07-04T10:45:00Z" },
	{ 11, "2023-07-04T11:05:00Z" }, { 12, "2024-02-29T18:00:00Z" },
	{ 13, "2024-12-29T20:00:00Z" }, { 14, "2024-12-30T01:00:00Z" },
	{ 15, "2024-12-31T23:00:00Z" }, { 16, "2025-01-01T00:30:00Z" },
	{ 17, "2025-01-20T06:00:00Z" }, { 18, "2025-02-10T06:00:00Z" },
	{ 19, "2025-02-28T23:00:00Z" }, { 20, "2025-03-01T00:00:00Z" },
	{ 21, "2025-03-03T11:59:59Z" }, { 22, "2025-03-03T12:00:00Z" },
	{ 23, "2025-03-29T10:00:00Z" }, { 24, "2025-03-30T22:00:00Z" },
	{ 25, "2025-03-31T09:00:00Z" }, { 26, "2025-03-31T09:20:00Z" },
	{ 27, "2025-03-31T10:00:00Z" }, { 28, "2025-03-31T11:00:00Z" },
	{ 30, "2025-03-31T12:00:00Z" }, { 29, "2025-03-31T12:00:00Z" },
};
#define NGENS NELEM(gens)

#define U KEEP_UNLIMITED
#define DUR(y, mo, d, h) .within_set = true, .within = { (y), (mo), (d), (h) }

/*
 * Expectations: "seq:letters ..." lists every kept generation with its
 * reasons (L last, H hourly, D daily, W weekly, M monthly, Y yearly,
 * I within, O oldest); every generation not listed is removed with no reason.
 * "*:letters" means every generation, kept with exactly those reasons; a
 * later "seq:letters" replaces that for seq.
 */
static const struct policy_case {
	const char *name;
	struct keep_policy p;
	const char *expect;
} cases[] = {
	/* no rule at all: keep everything, no reason */
	{ "none", { .n = { 0 } }, "*:" },
	/* the newest: 30 beats 29 (same second) by seq */
	{ "last 1", { .n = { [KEEP_LAST] = 1 } }, "30:L" },
	{ "last 3", { .n = { [KEEP_LAST] = 3 } }, "30:L 29:L 28:L" },
	/* more than there are generations: all of them */
	{ "last 100", { .n = { [KEEP_LAST] = 100 } }, "*:L" },
	{ "last -1", { .n = { [KEEP_LAST] = U } }, "*:L" },
	/* exactly as many as there are: all of them, no O (keep-last never needs it) */
	{ "last 30", { .n = { [KEEP_LAST] = 30 } }, "*:L" },
	/* one fewer: 1 goes; keep-last alone never keeps the oldest as such */
	{ "last 29", { .n = { [KEEP_LAST] = 29 } },
	  "30:L 29:L 28:L 27:L 26:L 25:L 24:L 23:L 22:L 21:L 20:L 19:L 18:L 17:L 16:L 15:L "
	  "14:L 13:L 12:L 11:L 10:L 9:L 8:L 7:L 6:L 5:L 4:L 3:L 2:L" },
	/* hours 03-31 12h (30 over 29), 11h, 10h, 09h (26 over 25), 03-30 22h */
	{ "hourly 5", { .n = { [KEEP_HOURLY] = 5 } }, "30:H 28:H 27:H 26:H 24:H" },
	/* all 27 hours: only 29, 25 and 9 share an hour with a newer generation */
	{ "hourly -1", { .n = { [KEEP_HOURLY] = U } },
	  "30:H 28:H 27:H 26:H 24:H 23:H 22:H 21:H 20:H 19:H 18:H 17:H 16:H 15:H 14:H 13:H "
	  "12:H 11:H 10:H 8:H 7:H 6:H 5:H 4:H 3:H 2:H 1:H" },
	/* a count left at 1, but 1 is the newest of its hour: H as usual, no O */
	{ "hourly 28", { .n = { [KEEP_HOURLY] = 28 } },
	  "30:H 28:H 27:H 26:H 24:H 23:H 22:H 21:H 20:H 19:H 18:H 17:H 16:H 15:H 14:H 13:H "
	  "12:H 11:H 10:H 8:H 7:H 6:H 5:H 4:H 3:H 2:H 1:H" },
	/* days 03-31, 03-30, 03-29, 03-03 (22 over 21) */
	{ "daily 4", { .n = { [KEEP_DAILY] = 4 } }, "30:D 24:D 23:D 22:D" },
	/*
	 * all 21 days; 2022-12-31 (5) and 2023-01-01 (6) are different days by
	 * one second; 1 is the newest of its day (D), so unlimited adds no O
	 */
	{ "daily -1", { .n = { [KEEP_DAILY] = U } },
	  "30:D 24:D 23:D 22:D 20:D 19:D 18:D 17:D 16:D 15:D 14:D 13:D 12:D 11:D 7:D 6:D 5:D "
	  "4:D 3:D 2:D 1:D" },
	/* exactly the 21 days: the last count goes to 1's day, 1 itself, D */
	{ "daily 21", { .n = { [KEEP_DAILY] = 21 } },
	  "30:D 24:D 23:D 22:D 20:D 19:D 18:D 17:D 16:D 15:D 14:D 13:D 12:D 11:D 7:D 6:D 5:D "
	  "4:D 3:D 2:D 1:D" },
	/* 2025-W14, W13 (24: Sunday 03-30 over Saturday 23), W10 */
	{ "weekly 3", { .n = { [KEEP_WEEKLY] = 3 } }, "30:W 24:W 22:W" },
	/*
	 * ... then W09 (20 over 19), W07, W04, 2025-W01 (16: 2025-01-01 over
	 * 2024-12-31 and 2024-12-30, which are in ISO year 2025), 2024-W52 (13,
	 * Sunday 2024-12-29, a week of its own)
	 */
	{ "weekly 8", { .n = { [KEEP_WEEKLY] = 8 } }, "30:W 24:W 22:W 20:W 18:W 17:W 16:W 13:W" },
	/*
	 * all 15 weeks: ... 2024-W09, 2023-W27 (11), 2023-W01 (7, Monday),
	 * 2022-W52 (6: Sunday 2023-01-01 over Saturday 2022-12-31), 2022-W24,
	 * 2022-W01 (3, Monday 2022-01-03), 2021-W52 (2 over 1: Jan 1 and 2 2022);
	 * unlimited never runs out, so 1 (in 2's week) is kept as the oldest
	 */
	{ "weekly -1", { .n = { [KEEP_WEEKLY] = U } },
	  "30:W 24:W 22:W 20:W 18:W 17:W 16:W 13:W 12:W 11:W 7:W 6:W 4:W 3:W 2:W 1:O" },
	/* 15 = the weeks there are: the 15th count goes to 2, none is left at 1 */
	{ "weekly 15", { .n = { [KEEP_WEEKLY] = 15 } },
	  "30:W 24:W 22:W 20:W 18:W 17:W 16:W 13:W 12:W 11:W 7:W 6:W 4:W 3:W 2:W" },
	/* 16: one count left at 1 */
	{ "weekly 16", { .n = { [KEEP_WEEKLY] = 16 } },
	  "30:W 24:W 22:W 20:W 18:W 17:W 16:W 13:W 12:W 11:W 7:W 6:W 4:W 3:W 2:W 1:O" },
	/* 2025-03 (30), 2025-02 (19 over 18), 2025-01 (17 over 16) */
	{ "monthly 3", { .n = { [KEEP_MONTHLY] = 3 } }, "30:M 19:M 17:M" },
	/* only 10 months hold a generation: 90 counts left at 1 (2022-01, 3's month): O */
	{ "monthly 100", { .n = { [KEEP_MONTHLY] = 100 } },
	  "30:M 19:M 17:M 15:M 12:M 11:M 7:M 5:M 4:M 3:M 1:O" },
	/* 10 = the months there are: used up by 3 */
	{ "monthly 10", { .n = { [KEEP_MONTHLY] = 10 } },
	  "30:M 19:M 17:M 15:M 12:M 11:M 7:M 5:M 4:M 3:M" },
	{ "monthly 11", { .n = { [KEEP_MONTHLY] = 11 } },
	  "30:M 19:M 17:M 15:M 12:M 11:M 7:M 5:M 4:M 3:M 1:O" },
	{ "monthly -1", { .n = { [KEEP_MONTHLY] = U } },
	  "30:M 19:M 17:M 15:M 12:M 11:M 7:M 5:M 4:M 3:M 1:O" },
	/*
	 * 4 years: 2025 (30), 2024 (15: Dec 31, in ISO week 2025-W01 but year
	 * 2024), 2023, 2022 (5); 6 counts left at 1, in 5's year: O
	 */
	{ "yearly 10", { .n = { [KEEP_YEARLY] = 10 } }, "30:Y 15:Y 11:Y 5:Y 1:O" },
	{ "yearly -1", { .n = { [KEEP_YEARLY] = U } }, "30:Y 15:Y 11:Y 5:Y 1:O" },
	/* exactly 4, and fewer: nothing left for 1 */
	{ "yearly 4", { .n = { [KEEP_YEARLY] = 4 } }, "30:Y 15:Y 11:Y 5:Y" },
	{ "yearly 3", { .n = { [KEEP_YEARLY] = 3 } }, "30:Y 15:Y 11:Y" },
	/*
	 * 2025-03-31T12:00 minus 1 month = 2025-02-31T12:00 = 2025-03-03T12:00:
	 * 22 is exactly on the limit, not newer than it: not kept; 21 a second
	 * before it is not either.  (Clamping to Feb 28 would wrongly keep 19,
	 * 20, 21 and 22.)  keep-within has no count: no O for 1.
	 */
	{ "within 1m", { DUR(0, 1, 0, 0) },
	  "30:I 29:I 28:I 27:I 26:I 25:I 24:I 23:I" },
	/* minus 36 h = 2025-03-30T00:00: 24 (22:00 that day) yes, 23 (03-29) no */
	{ "within 36h", { DUR(0, 0, 0, 36) }, "30:I 29:I 28:I 27:I 26:I 25:I 24:I" },
	/* minus 1 y = 2024-03-31T12:00: 13 (2024-12-29) yes, 12 (2024-02-29) no */
	{ "within 1y", { DUR(1, 0, 0, 0) },
	  "30:I 29:I 28:I 27:I 26:I 25:I 24:I 23:I 22:I 21:I 20:I 19:I 18:I 17:I 16:I 15:I "
	  "14:I 13:I" },
	/*
	 * 2024-02-31 minus 1 d = 2024-02-30 = 2024-03-01T12:00 (leap year): 12
	 * (2024-02-29T18:00) is not kept; clamping to Feb 29 first would keep it.
	 */
	{ "within 1y1m1d", { DUR(1, 1, 1, 0) },
	  "30:I 29:I 28:I 27:I 26:I 25:I 24:I 23:I 22:I 21:I 20:I 19:I 18:I 17:I 16:I 15:I "
	  "14:I 13:I" },
	/* 2024-02-31 minus 2 d = 2024-02-29T12:00, minus 7 h = 2024-02-29T05:00: 12 kept */
	{ "within 1y1m2d7h", { DUR(1, 1, 2, 7) },
	  "30:I 29:I 28:I 27:I 26:I 25:I 24:I 23:I 22:I 21:I 20:I 19:I 18:I 17:I 16:I 15:I "
	  "14:I 13:I 12:I" },
	/* 2022-03-31T12:00: 4 (2022-06-15) yes, 3 (2022-01-03) no */
	{ "within 3y", { DUR(3, 0, 0, 0) },
	  "30:I 29:I 28:I 27:I 26:I 25:I 24:I 23:I 22:I 21:I 20:I 19:I 18:I 17:I 16:I 15:I "
	  "14:I 13:I 12:I 11:I 10:I 9:I 8:I 7:I 6:I 5:I 4:I" },
	{ "within 10y", { DUR(10, 0, 0, 0) }, "*:I" },
	/* a zero keep-within is no rule (restic): everything stays, no reason */
	{ "within 0d", { DUR(0, 0, 0, 0) }, "*:" },
	{ "within 0h + last 1", { .n = { [KEEP_LAST] = 1 }, DUR(0, 0, 0, 0) }, "30:L" },
	/* last: 30, 29; daily: 03-31, 03-30, 03-29; monthly: 2025-03, 2025-02 */
	{ "last 2 daily 3 monthly 2",
	  { .n = { [KEEP_LAST] = 2, [KEEP_DAILY] = 3, [KEEP_MONTHLY] = 2 } },
	  "30:LDM 29:L 24:D 23:D 19:M" },
	/*
	 * hourly: 12h, 11h, 10h of 03-31; weekly: W14, W13, W10, W09; yearly:
	 * all 4 years, and unlimited: 1 as the oldest
	 */
	{ "hourly 3 weekly 4 yearly -1",
	  { .n = { [KEEP_HOURLY] = 3, [KEEP_WEEKLY] = 4, [KEEP_YEARLY] = U } },
	  "30:HWY 28:H 27:H 24:W 22:W 20:W 15:Y 11:Y 5:Y 1:O" },
	/*
	 * within 1m: 23..30 (22 on the limit); monthly 6: 30 19 17 15 12 11;
	 * yearly 2: 30 15; both used up before 1
	 */
	{ "within 1m monthly 6 yearly 2",
	  { .n = { [KEEP_MONTHLY] = 6, [KEEP_YEARLY] = 2 }, DUR(0, 1, 0, 0) },
	  "30:IMY 29:I 28:I 27:I 26:I 25:I 24:I 23:I 19:M 17:M 15:MY 12:M 11:M" },
	/* every day, plus the two newest weeks */
	{ "daily -1 weekly 2", { .n = { [KEEP_DAILY] = U, [KEEP_WEEKLY] = 2 } },
	  "30:DW 24:DW 23:D 22:D 20:D 19:D 18:D 17:D 16:D 15:D 14:D 13:D 12:D 11:D 7:D 6:D "
	  "5:D 4:D 3:D 2:D 1:D" },
	/* last: 30; within 1d12h (= 36h: 2025-03-30T00:00): 24..30; hourly 2: 12h (30), 11h (28) */
	{ "last 1 within 1d12h hourly 2", { .n = { [KEEP_LAST] = 1, [KEEP_HOURLY] = 2 },
					    DUR(0, 0, 1, 12) },
	  "30:LHI 29:I 28:HI 27:I 26:I 25:I 24:I" },
	/*
	 * one of everything: all pick the newest, no count left for 1; within 1h:
	 * the limit is 11:00:00, 28's time exactly, so only 29 besides 30
	 */
	{ "all 1", { .n = { 1, 1, 1, 1, 1, 1 }, DUR(0, 0, 0, 1) }, "30:LHDWMYI 29:I" },
	/*
	 * The oldest rule with 1 kept by another rule as well.  keep-last -1
	 * keeps everything (L); yearly -1 adds Y to the newest of each year and
	 * O to 1.
	 */
	{ "last -1 yearly -1", { .n = { [KEEP_LAST] = U, [KEEP_YEARLY] = U } },
	  "*:L 30:LY 15:LY 11:LY 5:LY 1:LO" },
	/* keep-last 30 (all) and weekly 16 (one count left at 1) */
	{ "last 30 weekly 16", { .n = { [KEEP_LAST] = 30, [KEEP_WEEKLY] = 16 } },
	  "*:L 30:LW 24:LW 22:LW 20:LW 18:LW 17:LW 16:LW 13:LW 12:LW 11:LW 7:LW 6:LW 4:LW 3:LW "
	  "2:LW 1:LO" },
	/* within 10y keeps all (I); monthly 100 the 10 months, and 1 as the oldest */
	{ "within 10y monthly 100", { .n = { [KEEP_MONTHLY] = 100 }, DUR(10, 0, 0, 0) },
	  "*:I 30:IM 19:IM 17:IM 15:IM 12:IM 11:IM 7:IM 5:IM 4:IM 3:IM 1:IO" },
	/* 1 the newest of its day (D) and the oldest of its year (O) */
	{ "daily -1 yearly -1", { .n = { [KEEP_DAILY] = U, [KEEP_YEARLY] = U } },
	  "30:DY 24:D 23:D 22:D 20:D 19:D 18:D 17:D 16:D 15:DY 14:D 13:D 12:D 11:DY 7:D 6:D "
	  "5:DY 4:D 3:D 2:D 1:DO" },
	/* daily 21 reaches 1 exactly (D), yearly 10 has counts left (O) */
	{ "daily 21 yearly 10", { .n = { [KEEP_DAILY] = 21, [KEEP_YEARLY] = 10 } },
	  "30:DY 24:D 23:D 22:D 20:D 19:D 18:D 17:D 16:D 15:DY 14:D 13:D 12:D 11:DY 7:D 6:D "
	  "5:DY 4:D 3:D 2:D 1:DO" },
	/* the hour is 1's own (H), the week 2's (O) */
	{ "hourly -1 weekly 16", { .n = { [KEEP_HOURLY] = U, [KEEP_WEEKLY] = 16 } },
	  "30:HW 28:H 27:H 26:H 24:HW 23:H 22:HW 21:H 20:HW 19:H 18:HW 17:HW 16:HW 15:H 14:H "
	  "13:HW 12:HW 11:HW 10:H 8:H 7:HW 6:HW 5:H 4:HW 3:HW 2:HW 1:HO" },
	/* three rules keep 1 as the oldest: still the one bit */
	{ "weekly -1 monthly -1 yearly -1",
	  { .n = { [KEEP_WEEKLY] = U, [KEEP_MONTHLY] = U, [KEEP_YEARLY] = U } },
	  "30:WMY 24:W 22:W 20:W 19:M 18:W 17:WM 16:W 15:MY 13:W 12:WM 11:WMY 7:WM 6:W 5:MY "
	  "4:WM 3:WM 2:W 1:O" },
	/* monthly 10 is used up at 3, yearly 5 is not: O from yearly alone */
	{ "monthly 10 yearly 5", { .n = { [KEEP_MONTHLY] = 10, [KEEP_YEARLY] = 5 } },
	  "30:MY 19:M 17:M 15:MY 12:M 11:MY 7:M 5:MY 4:M 3:M 1:O" },
	/* every count exactly the number of buckets: 1 goes */
	{ "weekly 15 monthly 10 yearly 4",
	  { .n = { [KEEP_WEEKLY] = 15, [KEEP_MONTHLY] = 10, [KEEP_YEARLY] = 4 } },
	  "30:WMY 24:W 22:W 20:W 19:M 18:W 17:WM 16:W 15:MY 13:W 12:WM 11:WMY 7:WM 6:W 5:MY "
	  "4:WM 3:WM 2:W" },
	/* within 1m (23..30) and yearly -1: 1 kept as the oldest only */
	{ "within 1m yearly -1", { .n = { [KEEP_YEARLY] = U }, DUR(0, 1, 0, 0) },
	  "30:IY 29:I 28:I 27:I 26:I 25:I 24:I 23:I 15:Y 11:Y 5:Y 1:O" },
};

static uint32_t letter_bit(char c)
{
	static const char letters[] = "LHDWMYIO"; /* in enum keep_rule order */
	const char *p = strchr(letters, c);
	return p && c ? 1u << (p - letters) : 0xffffffffu;
}

/* Check g (any order, seqs 1..n present at most once) against an expectation string. */
static void check_expect(const char *name, const struct keep_gen *g, size_t n, const char *exp)
{
	bool want_keep[64] = { false };
	uint32_t want_why[64] = { 0 };
	const char *s = exp;

	while (*s) {
		bool all = *s == '*';
		uint64_t seq = 0;
		uint32_t why = 0;

		if (all) {
			s++;
		} else {
			char *end;
			seq = strtoull(s, &end, 10);
			if (end == s || seq >= 64) {
				CHECKF(0, "%s: bad expectation '%s'", name, exp);
				return;
			}
			s = end;
		}
		CHECK(*s == ':');
		s++;
		while (*s && *s != ' ')
			why |= letter_bit(*s++);
		while (*s == ' ')
			s++;
		for (uint64_t k = all ? 0 : seq; k < (all ? 64 : seq + 1); k++) {
			want_keep[k] = true;
			want_why[k] = why;
		}
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t q = g[i].seq;
		if (q >= 64) {
			CHECKF(0, "%s: seq %llu", name, (unsigned long long)q);
			continue;
		}
		CHECKF(g[i].keep == want_keep[q] && g[i].reasons == want_why[q],
		       "%s: seq %llu: keep %d reasons %#x, expected keep %d reasons %#x", name,
		       (unsigned long long)q, g[i].keep, g[i].reasons, want_keep[q], want_why[q]);
	}
}

static void fill(struct keep_gen *g)
{
	for (size_t i = 0; i < NGENS; i++) {
		g[i].time = T(gens[i].time);
		g[i].seq = gens[i].seq;
		g[i].keep = i & 1; /* garbage the call must overwrite */
		g[i].reasons = 0xdead;
	}
}

static void policies(void)
{
	struct keep_gen g[NGENS];
	unsigned long long seed = 42;

	for (size_t c = 0; c < NELEM(cases); c++) {
		fill(g);
		CHECKF(retention_apply(&cases[c].p, g, NGENS) == 0, "%s", cases[c].name);
		check_expect(cases[c].name, g, NGENS, cases[c].expect);
		/* any input order gives the same answer */
		for (int round = 0; round < 8; round++) {
			fill(g);
			for (size_t i = NGENS - 1; i > 0; i--) {
				size_t j = (size_t)(test_rand(&seed) % (i + 1));
				struct keep_gen tmp = g[i];
				g[i] = g[j];
				g[j] = tmp;
			}
			CHECKF(retention_apply(&cases[c].p, g, NGENS) == 0, "%s", cases[c].name);
			check_expect(cases[c].name, g, NGENS, cases[c].expect);
		}
	}
}

/*
 * restic 0.17's oldest rule on small sets (seq = position + 1, times
 * ascending), each also in shuffled input orders.
 */
static void oldest_rule(void)
{
	static const struct {
		const char *name;
		struct keep_policy p;
		const char *times[5];
		const char *expect;
	} c[] = {
		/* alone: the newest of its day, an ordinary D */
		{ "one", { .n = { [KEEP_DAILY] = 5 } }, { "2024-05-05T10:00:00Z" }, "1:D" },
		/* one day, count 1 = the days there are: used up by 2 */
		{ "one day, daily 1", { .n = { [KEEP_DAILY] = 1 } },
		  { "2024-05-05T10:00:00Z", "2024-05-05T11:00:00Z" }, "2:D" },
		/* count 2: one left at 1, which is in 2's day */
		{ "one day, daily 2", { .n = { [KEEP_DAILY] = 2 } },
		  { "2024-05-05T10:00:00Z", "2024-05-05T11:00:00Z" }, "1:O 2:D" },
		{ "one day, daily -1", { .n = { [KEEP_DAILY] = U } },
		  { "2024-05-05T10:00:00Z", "2024-05-05T11:00:00Z" }, "1:O 2:D" },
		/* the same second: the lower seq is the oldest */
		{ "one second, daily 2", { .n = { [KEEP_DAILY] = 2 } },
		  { "2024-05-05T10:00:00Z", "2024-05-05T10:00:00Z" }, "1:O 2:D" },
		/*
		 * backups since mid-2023 (restic issue 3624): yearly 3 keeps 2024
		 * (5) and 2023 (3), and with the count left, 1 (June 2023)
		 */
		{ "since mid-year, yearly 3", { .n = { [KEEP_YEARLY] = 3 } },
		  { "2023-06-01T00:00:00Z", "2023-09-01T00:00:00Z", "2023-12-01T00:00:00Z",
		    "2024-03-01T00:00:00Z", "2024-06-01T00:00:00Z" },
		  "1:O 3:Y 5:Y" },
		{ "since mid-year, yearly 2", { .n = { [KEEP_YEARLY] = 2 } },
		  { "2023-06-01T00:00:00Z", "2023-09-01T00:00:00Z", "2023-12-01T00:00:00Z",
		    "2024-03-01T00:00:00Z", "2024-06-01T00:00:00Z" },
		  "3:Y 5:Y" },
		/* hourly 2: 11h (3), 10h (2), used up; daily 1: 3 */
		{ "hourly 2 daily 1", { .n = { [KEEP_HOURLY] = 2, [KEEP_DAILY] = 1 } },
		  { "2024-05-05T10:00:00Z", "2024-05-05T10:30:00Z", "2024-05-05T11:00:00Z" },
		  "2:H 3:HD" },
		/* hourly 3: one left at 1, in 2's hour */
		{ "hourly 3 daily 1", { .n = { [KEEP_HOURLY] = 3, [KEEP_DAILY] = 1 } },
		  { "2024-05-05T10:00:00Z", "2024-05-05T10:30:00Z", "2024-05-05T11:00:00Z" },
		  "1:O 2:H 3:HD" },
		/* keep-last alone reaches the oldest as an ordinary L */
		{ "last 5", { .n = { [KEEP_LAST] = 5 } },
		  { "2024-05-05T10:00:00Z", "2024-05-05T10:30:00Z", "2024-05-05T11:00:00Z" },
		  "*:L" },
		/* last 2: 3, 2; daily 2: 3, and one left for 1 (3's day) */
		{ "last 2 daily 2", { .n = { [KEEP_LAST] = 2, [KEEP_DAILY] = 2 } },
		  { "2024-05-05T10:00:00Z", "2024-05-05T10:30:00Z", "2024-05-05T11:00:00Z" },
		  "1:O 2:L 3:LD" },
		/* within 1h: the limit is 10:00, 1's time: 1 only as the oldest */
		{ "within 1h daily 3", { .n = { [KEEP_DAILY] = 3 }, DUR(0, 0, 0, 1) },
		  { "2024-05-05T10:00:00Z", "2024-05-05T10:30:00Z", "2024-05-05T11:00:00Z" },
		  "1:O 2:I 3:ID" },
		/* within 2h (limit 09:00) keeps 1 too */
		{ "within 2h daily 3", { .n = { [KEEP_DAILY] = 3 }, DUR(0, 0, 0, 2) },
		  { "2024-05-05T10:00:00Z", "2024-05-05T10:30:00Z", "2024-05-05T11:00:00Z" },
		  "1:IO 2:I 3:ID" },
		/* keep-within alone has no count: nothing for the oldest */
		{ "within 1h", { DUR(0, 0, 0, 1) },
		  { "2024-05-05T10:00:00Z", "2024-05-05T10:30:00Z", "2024-05-05T11:00:00Z" },
		  "2:I 3:I" },
		/*
		 * only the oldest: 2 shares February with 3 and goes; 1 is the
		 * newest of January (M), no O
		 */
		{ "monthly -1", { .n = { [KEEP_MONTHLY] = U } },
		  { "2024-01-15T00:00:00Z", "2024-02-01T00:00:00Z", "2024-02-02T00:00:00Z" },
		  "1:M 3:M" },
	};
	unsigned long long seed = 7;

	for (size_t k = 0; k < NELEM(c); k++) {
		struct keep_gen g[NELEM(c[k].times)];
		size_t n = 0;

		while (n < NELEM(c[k].times) && c[k].times[n])
			n++;
		for (int round = 0; round < 6; round++) {
			for (size_t i = 0; i < n; i++)
				g[i] = (struct keep_gen){ .time = T(c[k].times[i]), .seq = i + 1,
							  .keep = true, .reasons = 0xdead };
			for (size_t i = n - 1; round && i > 0; i--) {
				size_t j = (size_t)(test_rand(&seed) % (i + 1));
				struct keep_gen tmp = g[i];
				g[i] = g[j];
				g[j] = tmp;
			}
			CHECKF(retention_apply(&c[k].p, g, n) == 0, "%s", c[k].name);
			check_expect(c[k].name, g, n, c[k].expect);
		}
	}
}

static void policy_any(void)
{
	struct keep_policy p = { .n = { 0 } };

	CHECK(!keep_policy_any(&p));
	for (int r = KEEP_LAST; r < KEEP_WITHIN; r++) {
		p.n[r] = 1;
		CHECK(keep_policy_any(&p));
		p.n[r] = U;
		CHECK(keep_policy_any(&p));
		p.n[r] = 0;
	}
	p.within_set = true; /* given as 0d: no rule */
	CHECK(!keep_policy_any(&p));
	p.within.hours = 1;
	CHECK(keep_policy_any(&p));
	p.within_set = false; /* a value without the flag is not a rule */
	CHECK(!keep_policy_any(&p));
}

/* Empty input, ties, exact duplicates, the time range. */
static void edges(void)
{
	struct keep_policy last1 = { .n = { [KEEP_LAST] = 1 } };
	struct keep_policy all = { .n = { U, U, U, U, U, U }, DUR(100000, 100000, 100000, 100000) };
	struct keep_policy none = { .n = { 0 } };
	struct keep_gen g[3];

	CHECK(retention_apply(&last1, NULL, 0) == 0);
	CHECK(retention_apply(&none, NULL, 0) == 0);
	CHECK(retention_apply(&last1, g, 0) == 0);

	/* same second: the higher seq is the newer, whatever the array order */
	g[0] = (struct keep_gen){ .time = 1000, .seq = 3 };
	g[1] = (struct keep_gen){ .time = 1000, .seq = 7 };
	CHECK(retention_apply(&last1, g, 2) == 0);
	CHECK(!g[0].keep && g[0].reasons == 0 && g[1].keep && g[1].reasons == 1u << KEEP_LAST);
	g[0].seq = 7;
	g[1].seq = 3;
	CHECK(retention_apply(&last1, g, 2) == 0);
	CHECK(g[0].keep && !g[1].keep);
	/* a later time wins over a higher seq */
	g[0] = (struct keep_gen){ .time = 999, .seq = 100 };
	g[1] = (struct keep_gen){ .time = 1000, .seq = 1 };
	CHECK(retention_apply(&last1, g, 2) == 0);
	CHECK(!g[0].keep && g[1].keep);
	/* exact duplicates: exactly one is the newest */
	g[0] = (struct keep_gen){ .time = 5, .seq = 5 };
	g[1] = g[0];
	CHECK(retention_apply(&last1, g, 2) == 0);
	CHECK(g[0].keep + g[1].keep == 1);

	/* the range: years 0000..9999, both ends included */
	g[0] = (struct keep_gen){ .time = -62167219200LL, .seq = 1 };
	g[1] = (struct keep_gen){ .time = 253402300799LL, .seq = 2 };
	g[2] = (struct keep_gen){ .time = 0, .seq = 3 };
	CHECK(T("0000-01-01T00:00:00Z") == g[0].time && T("9999-12-31T23:59:59Z") == g[1].time);
	CHECK(retention_apply(&all, g, 3) == 0);
	/*
	 * the largest duration reaches back beyond year 0: everything kept by
	 * every rule; each generation is alone in all its buckets, so the
	 * oldest (year 0) is the newest of its own and gets no O
	 */
	for (int i = 0; i < 3; i++)
		CHECK(g[i].keep && g[i].reasons == (1u << KEEP_OLDEST) - 1);
	{
		/* the newest is in year 0: the limit (year -1) must not break anything */
		struct keep_policy w1y = { DUR(1, 0, 0, 0) };
		g[1].time = g[0].time + 3600;
		CHECK(retention_apply(&w1y, g, 2) == 0);
		CHECK(g[0].keep && g[1].keep);
	}
	static const int64_t bad[] = { -62167219201LL, 253402300800LL, INT64_MIN, INT64_MAX };
	for (size_t i = 0; i < NELEM(bad); i++) {
		g[0] = (struct keep_gen){ .time = 0, .seq = 1, .keep = false, .reasons = 77 };
		g[1] = (struct keep_gen){ .time = bad[i], .seq = 2, .keep = true, .reasons = 88 };
		CHECK(retention_apply(&last1, g, 2) == -EINVAL);
		CHECK(retention_apply(&none, g, 2) == -EINVAL);
		/* nothing written */
		CHECK(!g[0].keep && g[0].reasons == 77 && g[1].keep && g[1].reasons == 88);
	}
}

/*
 * Whether a and b (a older) fall in the same keep-weekly bucket (true) or not
 * (false), through keep-weekly -1: b is the newest of its week; a is that too
 * when its week is another (W), else it is kept only as the oldest (O).
 */
static bool week_of(const char *a, const char *b, bool same)
{
	struct keep_policy p = { .n = { [KEEP_WEEKLY] = U } };
	struct keep_gen g[2] = { { .time = T(a), .seq = 1 }, { .time = T(b), .seq = 2 } };

	if (retention_apply(&p, g, 2) || !g[1].keep || g[1].reasons != 1u << KEEP_WEEKLY ||
	    !g[0].keep)
		return false;
	return g[0].reasons == 1u << (same ? KEEP_OLDEST : KEEP_WEEKLY);
}
#define same_week(a, b) week_of(a, b, true)
#define other_week(a, b) week_of(a, b, false)

static void iso_weeks(void)
{
	/* 2020 has 53 ISO weeks: W53 is Mon 2020-12-28 .. Sun 2021-01-03 */
	CHECK(same_week("2020-12-28T00:00:00Z", "2021-01-03T23:59:59Z"));
	CHECK(same_week("2020-12-31T12:00:00Z", "2021-01-01T12:00:00Z"));
	CHECK(other_week("2021-01-03T23:59:59Z", "2021-01-04T00:00:00Z"));
	CHECK(other_week("2020-12-27T23:59:59Z", "2020-12-28T00:00:00Z"));
	/* 2025-W01 is Mon 2024-12-30 .. Sun 2025-01-05 */
	CHECK(same_week("2024-12-30T00:00:00Z", "2025-01-05T23:59:59Z"));
	CHECK(other_week("2024-12-29T23:59:59Z", "2024-12-30T00:00:00Z"));
	CHECK(other_week("2025-01-05T23:59:59Z", "2025-01-06T00:00:00Z"));
	/* 2026-W01 is Mon 2025-12-29 .. Sun 2026-01-04 (2026-01-01 is a Thursday) */
	CHECK(same_week("2025-12-29T00:00:00Z", "2026-01-01T00:00:00Z"));
	/* 1970-W01 is Mon 1969-12-29 .. Sun 1970-01-04: negative times */
	CHECK(same_week("1969-12-29T00:00:00Z", "1970-01-04T23:59:59Z"));
	CHECK(other_week("1969-12-28T23:59:59Z", "1969-12-29T00:00:00Z"));
	CHECK(same_week("1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z"));
	/* a whole week in the middle of the year: Mon 2023-07-03 .. Sun 2023-07-09 */
	CHECK(same_week("2023-07-03T00:00:00Z", "2023-07-09T23:59:59Z"));
	CHECK(other_week("2023-07-09T23:59:59Z", "2023-07-10T00:00:00Z"));
	/* 0000-01-01 was a Saturday (0001-01-01 a Monday, year 0 a leap year) */
	CHECK(same_week("0000-01-01T00:00:00Z", "0000-01-02T23:59:59Z"));
	CHECK(other_week("0000-01-02T23:59:59Z", "0000-01-03T00:00:00Z"));
	/* 9999-12-31 is a Friday: Mon 9999-12-27 .. */
	CHECK(same_week("9999-12-27T00:00:00Z", "9999-12-31T23:59:59Z"));
	CHECK(other_week("9999-12-26T23:59:59Z", "9999-12-27T00:00:00Z"));
	/* the same check for the other bucket kinds' edges, through keep-daily/-monthly/-yearly */
	{
		struct keep_policy p = { .n = { [KEEP_DAILY] = U, [KEEP_MONTHLY] = U,
						[KEEP_YEARLY] = U } };
		struct keep_gen g[4] = {
			{ .time = T("2023-12-31T23:59:59Z"), .seq = 1 },
			{ .time = T("2024-01-01T00:00:00Z"), .seq = 2 },
			/*
		 * the same day as the next one and older, though its seq is
		 * higher: the oldest of all, so the three unlimited rules keep it
		 * as such (O), not as the newest of a day, month or year
		 */
			{ .time = T("1969-12-31T00:00:00Z"), .seq = 5 },
			{ .time = T("1969-12-31T23:59:59Z"), .seq = 4 },
		};
		uint32_t dmy = (1u << KEEP_DAILY) | (1u << KEEP_MONTHLY) | (1u << KEEP_YEARLY);
		CHECK(retention_apply(&p, g, 4) == 0);
		CHECK(g[0].keep && g[0].reasons == dmy && g[1].keep && g[1].reasons == dmy);
		CHECK(g[2].keep && g[2].reasons == 1u << KEEP_OLDEST);
		CHECK(g[3].keep && g[3].reasons == dmy);
	}
	/*
	 * A run of days around the 2020/2021 new year with keep-weekly 2: the
	 * newest of 2021-W01 (Jan 4..10) and of 2020-W53 (Dec 28..Jan 3); a
	 * third week (2020-W52: Dec 26, 27) uses no count, so no O for 1.
	 */
	{
		struct keep_policy p = { .n = { [KEEP_WEEKLY] = 2 } };
		static const char *days[] = {
			"2020-12-26T12:00:00Z", "2020-12-27T12:00:00Z", "2020-12-28T12:00:00Z",
			"2020-12-31T12:00:00Z", "2021-01-01T12:00:00Z", "2021-01-03T12:00:00Z",
			"2021-01-04T12:00:00Z", "2021-01-05T12:00:00Z",
		};
		struct keep_gen g[NELEM(days)];
		for (size_t i = 0; i < NELEM(days); i++)
			g[i] = (struct keep_gen){ .time = T(days[i]), .seq = i + 1 };
		CHECK(retention_apply(&p, g, NELEM(days)) == 0);
		check_expect("weekly around 2021", g, NELEM(days), "8:W 6:W");
	}
}

/* keep-within: calendar arithmetic from a leap day, month borrows into years. */
static void within_calendar(void)
{
	static const char *times[] = {
		"2023-01-28T23:00:00Z", /* 1 */
		"2023-01-29T00:00:00Z", /* 2 */
		"2023-02-28T12:00:00Z", /* 3 */
		"2023-03-01T00:00:00Z", /* 4 */
		"2024-02-29T00:00:00Z", /* 5: the newest */
	};
	static const struct {
		struct keep_duration d;
		const char *expect;
	} w[] = {
		/*
		 * 2023-02-29 is 2023-03-01T00:00, 4's time: on the limit, not
		 * kept (clamped to Feb 28 it would keep 3 and 4)
		 */
		{ { 1, 0, 0, 0 }, "5:I" },
		{ { 0, 12, 0, 0 }, "5:I" },
		/* 365 days before 2024-02-29 (the span holds that leap day): 2023-03-01 */
		{ { 0, 0, 365, 0 }, "5:I" },
		/* 366 days: 2023-02-28T00:00, 3 (12:00) is newer */
		{ { 0, 0, 366, 0 }, "3:I 4:I 5:I" },
		/* 2023-03-01T00:00 minus 12 h = 2023-02-28T12:00: 3 exactly on the limit */
		{ { 1, 0, 0, 12 }, "4:I 5:I" },
		/* 11:00: 3 is newer; 13:00: 3 is older, 4 newer */
		{ { 1, 0, 0, 13 }, "3:I 4:I 5:I" },
		{ { 1, 0, 0, 11 }, "4:I 5:I" },
		/*
		 * years and months in one step: 2023-01-29T00:00, 2's time (on the
		 * limit); one hour more, 2023-01-28T23:00, is 1's time: 2 kept.
		 * (2023-03-01 minus 1 month, 2023-02-01, would not keep 2.)
		 */
		{ { 1, 1, 0, 0 }, "3:I 4:I 5:I" },
		{ { 1, 1, 0, 1 }, "2:I 3:I 4:I 5:I" },
		/* 2023-01-28T00:00: 1 (23:00 that day) is inside */
		{ { 1, 1, 1, 0 }, "1:I 2:I 3:I 4:I 5:I" },
		/* 2024-01-29 */
		{ { 0, 1, 0, 0 }, "5:I" },
		/* 2 months from February borrows a year: 2023-12-29 */
		{ { 0, 2, 0, 0 }, "5:I" },
		/* 13 months: 2023-01-29T00:00 (2 on the limit); plus 1 h: 1 on it */
		{ { 0, 13, 0, 0 }, "3:I 4:I 5:I" },
		{ { 0, 13, 0, 1 }, "2:I 3:I 4:I 5:I" },
		/* 14 months: 2022-12-29 */
		{ { 0, 14, 0, 0 }, "1:I 2:I 3:I 4:I 5:I" },
		/* a day before the newest: nothing else */
		{ { 0, 0, 1, 0 }, "5:I" },
	};
	struct keep_gen g[NELEM(times)];

	for (size_t c = 0; c < NELEM(w); c++) {
		struct keep_policy p = { .within_set = true, .within = w[c].d };
		char name[64];

		for (size_t i = 0; i < NELEM(times); i++)
			g[i] = (struct keep_gen){ .time = T(times[i]), .seq = i + 1 };
		snprintf(name, sizeof(name), "within %uy%um%ud%uh", w[c].d.years, w[c].d.months,
			 w[c].d.days, w[c].d.hours);
		CHECK(retention_apply(&p, g, NELEM(times)) == 0);
		check_expect(name, g, NELEM(times), w[c].expect);
	}

	/*
	 * month borrow from January: 2024-01-15 minus 2 months = 2023-11-15:
	 * 2 on the limit goes, 3 a second later stays
	 */
	{
		struct keep_policy p = { DUR(0, 2, 0, 0) };
		struct keep_gen h[4] = {
			{ .time = T("2023-11-14T23:59:59Z"), .seq = 1 },
			{ .time = T("2023-11-15T00:00:00Z"), .seq = 2 },
			{ .time = T("2023-11-15T00:00:01Z"), .seq = 3 },
			{ .time = T("2024-01-15T00:00:00Z"), .seq = 4 },
		};
		CHECK(retention_apply(&p, h, 4) == 0);
		check_expect("within 2m from January", h, 4, "3:I 4:I");
	}
	/*
	 * month end to a shorter month: 2023-05-31 minus 1 m = 2023-04-31 =
	 * 2023-05-01T06:00, 2's time (clamped to 04-30 it would keep 2)
	 */
	{
		struct keep_policy p = { DUR(0, 1, 0, 0) };
		struct keep_gen h[4] = {
			{ .time = T("2023-04-30T06:00:00Z"), .seq = 1 },
			{ .time = T("2023-05-01T06:00:00Z"), .seq = 2 },
			{ .time = T("2023-05-01T06:00:01Z"), .seq = 3 },
			{ .time = T("2023-05-31T06:00:00Z"), .seq = 4 },
		};
		CHECK(retention_apply(&p, h, 4) == 0);
		check_expect("within 1m from May 31", h, 4, "3:I 4:I");
	}
	/*
	 * hours cross a day and a month: 2024-03-01T01:00 minus 2 h =
	 * 2024-02-29T23:00, 2's time
	 */
	{
		struct keep_policy p = { DUR(0, 0, 0, 2) };
		struct keep_gen h[4] = {
			{ .time = T("2024-02-29T22:59:59Z"), .seq = 1 },
			{ .time = T("2024-02-29T23:00:00Z"), .seq = 2 },
			{ .time = T("2024-02-29T23:00:01Z"), .seq = 3 },
			{ .time = T("2024-03-01T01:00:00Z"), .seq = 4 },
		};
		CHECK(retention_apply(&p, h, 4) == 0);
		check_expect("within 2h over Feb 29", h, 4, "3:I 4:I");
	}
	/* the limit is relative to the newest generation, not to now: old sets keep theirs */
	{
		struct keep_policy p = { DUR(0, 0, 7, 0) };
		struct keep_gen h[2] = {
			{ .time = T("1990-06-01T00:00:00Z"), .seq = 1 },
			{ .time = T("1990-06-05T00:00:00Z"), .seq = 2 },
		};
		CHECK(retention_apply(&p, h, 2) == 0);
		check_expect("within 7d long ago", h, 2, "1:I 2:I");
	}
}

static void duration_parse(void)
{
	static const struct {
		const char *s;
		struct keep_duration d;
	} good[] = {
		{ "1y6m", { 1, 6, 0, 0 } },	 { "7d", { 0, 0, 7, 0 } },
		{ "36h", { 0, 0, 0, 36 } },	 { "2y3m4d5h", { 2, 3, 4, 5 } },
		{ "1y", { 1, 0, 0, 0 } },	 { "12m", { 0, 12, 0, 0 } },
		{ "1y5h", { 1, 0, 0, 5 } },	 { "3m2h", { 0, 3, 0, 2 } },
		{ "0d", { 0, 0, 0, 0 } },	 { "007d", { 0, 0, 7, 0 } },
		{ "100000y", { 100000, 0, 0, 0 } },
		{ "100000y100000m100000d100000h", { 100000, 100000, 100000, 100000 } },
	};
	static const char *bad[] = {
		"",	 "d",	 "1x",	  "1d1d",    "1h1d",   "-1d",	 "99999999d", "100001h",
		"1",	 "1d ",	 " 1d",	  "+1d",     "1D",     "1y1",	 "1m1y",      "1.5d",
		"1d-1h", "y",	 "1yy",	  "1w",	     "1s",     "18446744073709551617d",
	};
	struct keep_duration d;

	for (size_t i = 0; i < NELEM(good); i++) {
		memset(&d, 0xff, sizeof(d));
		CHECKF(keep_duration_parse(good[i].s, &d) == 0 && d.years == good[i].d.years &&
			       d.months == good[i].d.months && d.days == good[i].d.days &&
			       d.hours == good[i].d.hours,
		       "%s", good[i].s);
	}
	for (size_t i = 0; i < NELEM(bad); i++) {
		d = (struct keep_duration){ 9, 9, 9, 9 };
		CHECKF(keep_duration_parse(bad[i], &d) == -EINVAL, "accepted '%s'", bad[i]);
		CHECK(d.years == 9 && d.months == 9 && d.days == 9 && d.hours == 9);
	}
}

static void count_parse(void)
{
	static const struct {
		const char *s;
		uint32_t n;
	} good[] = {
		{ "-1", KEEP_UNLIMITED }, { "0", 0 }, { "5", 5 }, { "2147483647", 2147483647u },
		{ "05", 5 },
	};
	static const char *bad[] = {
		"2147483648", "-2", "", "1a", "-", "+5", " 5", "5 ", "-0", "-01", "4294967295",
		"4294967296", "99999999999999999999", "0x10", "1e3",
	};
	uint32_t n;

	for (size_t i = 0; i < NELEM(good); i++) {
		n = 12345;
		CHECKF(keep_count_parse(good[i].s, &n) == 0 && n == good[i].n, "%s", good[i].s);
	}
	for (size_t i = 0; i < NELEM(bad); i++)
		CHECKF(keep_count_parse(bad[i], &n) == -EINVAL, "accepted '%s'", bad[i]);
}

static void rule_names(void)
{
	static const char *want[KEEP_NRULES] = { "keep-last",	 "keep-hourly",	 "keep-daily",
						 "keep-weekly",	 "keep-monthly", "keep-yearly",
						 "keep-within",	 "keep-oldest" };

	for (int r = 0; r < KEEP_NRULES; r++)
		CHECKF(keep_rule_name((enum keep_rule)r) &&
			       !strcmp(keep_rule_name((enum keep_rule)r), want[r]),
		       "rule %d", r);
	CHECK(KEEP_OLDEST == KEEP_WITHIN + 1 && KEEP_NRULES == KEEP_OLDEST + 1);
	CHECK(keep_rule_name(KEEP_NRULES) == NULL);
}

int main(void)
{
	policies();
	oldest_rule();
	policy_any();
	edges();
	iso_weeks();
	within_calendar();
	duration_parse();
	count_parse();
	rule_names();
	return check_done("unit-retention");
}
