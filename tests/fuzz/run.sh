#!/bin/sh
# run.sh - build the libFuzzer targets with clang and run each one.
#
#   tests/fuzz/run.sh              20000 runs per target
#   tests/fuzz/run.sh 100000       100000 runs per target
#   tests/fuzz/run.sh -t 60        60 seconds per target
#   FUZZ_TARGETS="pack manifest" tests/fuzz/run.sh   only these targets
#
# The build directory is build-fuzz at the top of the tree (FUZZ_BUILD_DIR
# overrides it), configured with CC=clang -Dfuzz=true.  Inputs libFuzzer
# finds go to $BUILD/fuzz-corpus/<target>/ (the seeds in tests/fuzz/corpus
# are read, never written); crashes to $BUILD/fuzz-artifacts/.  Prints the
# executions per target; exits non-zero if any target crashed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bdir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
runs=20000
secs=
case "${1:-}" in
	-t) secs=${2:?usage: run.sh -t SECONDS} ;;
	'') ;;
	*[!0-9]*) echo "usage: $0 [RUNS | -t SECONDS]" >&2; exit 2 ;;
	*) runs=$1 ;;
esac

targets=${FUZZ_TARGETS:-$(cd "$here" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}

if [ ! -f "$bdir/build.ninja" ]; then
	CC=${CC:-clang} meson setup "$bdir" "$root" -Dfuzz=true -Dbuildtype=debugoptimized
else
	meson configure "$bdir" -Dfuzz=true >/dev/null
fi
ninja -C "$bdir" $(for t in $targets; do printf 'tests/fuzz/fuzz-%s ' "$t"; done)

mkdir -p "$bdir/fuzz-artifacts"
if [ -n "$secs" ]; then
	limit="-max_total_time=$secs"
else
	limit="-runs=$runs"
fi

failed=0
summary=""
for t in $targets; do
	work="$bdir/fuzz-corpus/$t"
	log="$bdir/fuzz-$t.log"
	mkdir -p "$work"
	echo "== fuzz-$t ($limit)"
	if "$bdir/tests/fuzz/fuzz-$t" "$limit" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$bdir/fuzz-artifacts/$t-" -print_final_stats=1 \
		"$work" "$here/corpus/$t" >"$log" 2>&1; then
		status=ok
	else
		status=CRASH
		failed=1
		tail -n 40 "$log" >&2
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
	summary="$summary$(printf '%-10s %-6s %10s execs  cov %s' "$t" "$status" "${execs:-?}" "${cov:-?}")
"
done

echo
echo "target     status      executions"
printf '%s' "$summary"
if [ "$failed" -ne 0 ]; then
	echo "crash inputs: $bdir/fuzz-artifacts/" >&2
	exit 1
fi
