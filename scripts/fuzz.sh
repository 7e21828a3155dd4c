#!/bin/bash
# fuzz.sh - run the libFuzzer targets (tests/fuzz/fuzz_*.c) for as long as
# asked.
#
#   scripts/fuzz.sh                      60 seconds per target, every target
#   scripts/fuzz.sh 600                  10 minutes per target
#   scripts/fuzz.sh 300 manifest pack    5 minutes each for two targets
#
# Needs clang (scripts/deps.sh clang).  Builds into build-fuzz
# (FUZZ_BUILD_DIR overrides), keeps what it finds in build-fuzz/fuzz-corpus/
# and crash inputs in build-fuzz/fuzz-artifacts/.  A crash input becomes a
# regression test by copying it to tests/fuzz/corpus/<target>/.  Prints the
# executions per target; exits non-zero if any target crashed.
#
# CI (scripts/test.sh) runs the same engine, tests/fuzz/run.sh, for a fixed
# number of runs per target instead of a time.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
secs=60
case "${1:-}" in
	'') ;;
	-h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*[!0-9]*) ;;
	*) secs=$1; shift ;;
esac
exec bash "$ROOT/tests/fuzz/run.sh" -t "$secs" "$@"
