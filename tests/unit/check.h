/*
 * check.h - minimal test harness for the unit tests.
 *
 * CHECK(cond): on failure prints file:line and the condition, counts it.
 * CHECKF(cond, fmt, ...): same with a printf-style explanation.
 * KNOWN_BUG(cond, what): a check that documents a bug in lib/ found by these
 *   tests (see the report); it fails the test like CHECK, unless the
 *   environment has STRATA_ALLOW_KNOWN_BUGS=1, and always prints "KNOWN BUG".
 * check_done(): the exit status for main().
 */
#ifndef STRATA_TEST_CHECK_H
#define STRATA_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;
static int check_known_bugs;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		check_count++;                                                         \
		if (!(cond)) {                                                         \
			check_failures++;                                              \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                \
		}                                                                      \
	} while (0)

#define CHECKF(cond, ...)                                                              \
	do {                                                                           \
		check_count++;                                                         \
		if (!(cond)) {                                                         \
			check_failures++;                                              \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, \
				#cond);                                                \
			fprintf(stderr, __VA_ARGS__);                                  \
			fputc('\n', stderr);                                           \
		}                                                                      \
	} while (0)

#define KNOWN_BUG(cond, what)                                                          \
	do {                                                                           \
		check_count++;                                                         \
		if (!(cond)) {                                                         \
			check_known_bugs++;                                            \
			fprintf(stderr, "%s:%d: KNOWN BUG: %s (check: %s)\n", __FILE__,  \
				__LINE__, what, #cond);                                \
		}                                                                      \
	} while (0)

static inline int check_done(const char *name)
{
	const char *allow = getenv("STRATA_ALLOW_KNOWN_BUGS");
	int bugs_fail = !(allow && !strcmp(allow, "1"));
	fprintf(stderr, "%s: %d checks, %d failed, %d known bugs\n", name, check_count,
		check_failures, check_known_bugs);
	return (check_failures || (bugs_fail && check_known_bugs)) ? 1 : 0;
}

/* Deterministic PRNG (splitmix64) so failures reproduce. */
static inline unsigned long long test_rand(unsigned long long *s)
{
	unsigned long long z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
