/*
 * fault.h - test-only crash points.
 *
 * fault_point("name") does nothing unless the environment variable
 * STRATA_FAULT is "name" or "name:N": then the process kills itself with
 * SIGKILL on the first (or Nth) time it reaches that point, exactly as a
 * power cut or an OOM kill would stop it there.  The crash tests
 * (tests/integration/t_crash.sh) use it to stop writers between every pair
 * of durable steps; the list of points is docs/DESIGN-NOTES.md's
 * "Crash points".  "name@stop" (or "name@stop:N") stops the process there
 * with SIGSTOP instead, for a test to look at what it holds (SIGCONT goes on).  The cost when unset is one cached getenv.
 *
 * fault_fails("name") is false unless STRATA_FAULT is "name@fail" or
 * "name@fail:N": then it is true from the first (or Nth) time on, for a
 * test to take a path that only an unusual system takes (DESIGN-NOTES,
 * "Fault points that fail").
 */
#ifndef STRATA_FAULT_H
#define STRATA_FAULT_H

#include <stdbool.h>

void fault_point(const char *name);
bool fault_fails(const char *name);

#endif
