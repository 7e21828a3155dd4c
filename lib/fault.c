/*
 * fault.c - test-only crash points (see fault.h).
 */
#include "strata/fault.h"

#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char fault_name[64];
static unsigned long fault_at;
static int fault_sig = SIGKILL;
static bool fault_fail;   /* "@fail": fault_fails() says so instead of a signal */
static atomic_ulong fault_hits;

static void fault_init(void)
{
	const char *s = getenv("STRATA_FAULT");
	if (!s || !*s)
		return;
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	if (n > 5 && !memcmp(s + n - 5, "@stop", 5)) {
		fault_sig = SIGSTOP; /* stop there, for a test to look at what the process holds */
		n -= 5;
	} else if (n > 5 && !memcmp(s + n - 5, "@fail", 5)) {
		fault_fail = true;
		n -= 5;
	}
	if (n >= sizeof(fault_name))
		return;
	memcpy(fault_name, s, n);
	fault_name[n] = 0;
	fault_at = colon ? strtoul(colon + 1, NULL, 10) : 1;
	if (fault_at == 0)
		fault_at = 1;
}

void fault_point(const char *name)
{
	pthread_once(&once, fault_init);
	if (!fault_name[0] || fault_fail || strcmp(name, fault_name))
		return;
	if (atomic_fetch_add(&fault_hits, 1) + 1 == fault_at)
		kill(getpid(), fault_sig);
}

bool fault_fails(const char *name)
{
	pthread_once(&once, fault_init);
	if (!fault_name[0] || !fault_fail || strcmp(name, fault_name))
		return false;
	return atomic_fetch_add(&fault_hits, 1) + 1 >= fault_at;
}
