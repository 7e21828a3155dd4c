#!/bin/bash
# Run strata integration tests.
#   tests/integration/run.sh            all t_*.sh
#   tests/integration/run.sh t_ls t_awkward.sh   a subset
# Env: STRATA, STRATAFS (binaries), STRATA_TEST_TIMEOUT (seconds per test,
# default 900), STRATA_TEST_EXCLUDE (names of tests not to run, separated by
# spaces; scripts/test.sh runs the slowest ones under one build only),
# KEEP_TMP=1 (keep temp dirs), VERBOSE=1 (print output of passing tests too).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TIMEOUT=${STRATA_TEST_TIMEOUT:-900}

tests=()
if [ $# -gt 0 ]; then
    for a in "$@"; do
        a=$(basename -- "$a" .sh)
        [ -f "$HERE/$a.sh" ] || { echo "no such test: $a" >&2; exit 2; }
        tests+=("$HERE/$a.sh")
    done
else
    for f in "$HERE"/t_*.sh; do
        [ -f "$f" ] || continue
        case " ${STRATA_TEST_EXCLUDE:-} " in *" $(basename "$f" .sh) "*) continue ;; esac
        tests+=("$f")
    done
    [ -n "${STRATA_TEST_EXCLUDE:-}" ] && echo "not run here: $STRATA_TEST_EXCLUDE"
fi

pass=0 failn=0 skipn=0
tpid=
# forward INT/TERM to the running test (timeout relays it to the test's group)
on_signal() {
    [ -n "$tpid" ] && kill -TERM "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
    rm -rf "$logdir"
    echo "interrupted" >&2
    exit 130
}
trap on_signal INT TERM
failed=()
logdir=$(mktemp -d "${TMPDIR:-/tmp}/strata-it-logs.XXXXXX")
for t in "${tests[@]}"; do
    name=$(basename "$t" .sh)
    log="$logdir/$name.log"
    start=$(date +%s)
    rc=0
    # timeout puts the test in its own process group and signals all of it
    timeout -s TERM -k 30 "$TIMEOUT" bash "$t" >"$log" 2>&1 </dev/null &
    tpid=$!
    wait $tpid || rc=$?
    secs=$(( $(date +%s) - start ))
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
        echo "PASS $name (${secs}s)"
        [ "${VERBOSE:-0}" = 1 ] && sed 's/^/    /' "$log"
    elif [ $rc -eq 77 ]; then
        skipn=$((skipn + 1))
        echo "SKIP $name"
        echo "    $(tail -n1 "$log")"
    else
        failn=$((failn + 1))
        failed+=("$name")
        echo "FAIL $name"
        echo "    (exit $rc after ${secs}s)"
        if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then echo "    (timed out after ${TIMEOUT}s)"; fi
        tail -n 60 "$log" | sed 's/^/    /'
    fi
done
rm -rf "$logdir"
echo "$pass passed, $failn failed, $skipn skipped"
[ $failn -eq 0 ]
