#!/bin/bash
# Install what is missing, build with warnings as errors, run every test:
# unit tests and fuzz-corpus regressions (meson test), then the integration
# tests, which mount for real through FUSE.
# The last line is "N passed, N failed, N skipped".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
t_start=$(date +%s)
# Ceph (mon, memstore OSD, radosgw) is the S3 store of tests/integration/rgw.sh;
# without its Recommends (ceph-mds, a time daemon...)
bash scripts/deps.sh clang proj-data postgresql rsync \
    --no-recommends ceph-mon ceph-osd radosgw ceph-common || { echo "0 passed, 1 failed"; exit 1; }

BUILD=${BUILD:-build-test}
if [ ! -d "$BUILD" ]; then
    meson setup "$BUILD" -Dwerror=true >/dev/null || { echo "meson setup failed"; echo "0 passed, 1 failed"; exit 1; }
fi
if ! ninja -C "$BUILD" >"$BUILD/build.log" 2>&1; then
    cat "$BUILD/build.log"
    echo "0 passed, 1 failed"
    exit 1
fi

pass=0 fail=0 skip=0

# The slowest integration tests run once, under the sanitizer build only:
# both builds are -O2 of the same code, so the plain run would repeat them
# without checking more, and the suite stays well under 20 minutes on 2 cores.
# t_rgw_smoke runs no strata binary: once is enough.
SAN_ONLY="t_crash t_hostile_repo t_hostile_sources t_rows_groups t_soak t_cat_tree t_postgres t_format_v2 t_navigate t_prune t_shared_inodes t_many_dbs t_format_v3 t_incremental t_growth t_format_v4 t_format_v5 t_rgw_smoke t_s3 t_s3_hosts t_s3_faults"

# run_suite BUILD_DIR LABEL [EXCLUDED TESTS]: unit tests (meson test) then the
# integration tests against that build's binaries; adds to the counters.
run_suite() {
    local dir=$1 label=$2 exclude=${3:-}
    echo "== $label"
    meson test -C "$dir" --print-errorlogs >"$dir/meson-test.log" 2>&1
    grep -E '^ *[0-9]+/[0-9]+ ' "$dir/meson-test.log" | sed "s/^/  [$label] /"
    grep -E -A40 '^(=+ [0-9]+/[0-9]+ =+|.*stderr:)' "$dir/meson-test.log" | head -80
    local ok fl sk to
    ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$dir/meson-test.log" | tail -1)
    fl=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$dir/meson-test.log" | tail -1)
    sk=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$dir/meson-test.log" | tail -1)
    to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$dir/meson-test.log" | tail -1)
    [ -n "$ok$fl" ] || fl=1
    pass=$((pass + ${ok:-0})); fail=$((fail + ${fl:-0} + ${to:-0})); skip=$((skip + ${sk:-0}))

    STRATA="$ROOT/$dir/indexer/strata" STRATAFS="$ROOT/$dir/fs/stratafs" STRATA_TEST_EXCLUDE="$exclude" \
        bash tests/integration/run.sh >"$dir/integration.log" 2>&1
    grep -v -E '^[0-9]+ passed, [0-9]+ failed' "$dir/integration.log" | sed "s/^/  [$label] /"
    local line p f s
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$dir/integration.log" | tail -1)
    if [ -z "$line" ]; then
        fail=$((fail + 1))
    else
        p=$(echo "$line" | sed 's/^\([0-9]*\) passed.*/\1/')
        f=$(echo "$line" | sed 's/.* \([0-9]*\) failed.*/\1/')
        s=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
        pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
    fi
}

run_suite "$BUILD" "gcc -Werror" "$SAN_ONLY"

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.  Reports
# of the daemonized mount go to log files (its stderr is gone); any report,
# leaks at exit included, is a failure.
ASAN_BUILD=${ASAN_BUILD:-build-asan}
if [ ! -d "$ASAN_BUILD" ]; then
    meson setup "$ASAN_BUILD" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
if ninja -C "$ASAN_BUILD" >"$ASAN_BUILD/build.log" 2>&1; then
    rm -rf "$ROOT/$ASAN_BUILD/sanitizer-logs"; mkdir -p "$ROOT/$ASAN_BUILD/sanitizer-logs"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$ROOT/$ASAN_BUILD/sanitizer-logs/asan"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$ROOT/$ASAN_BUILD/sanitizer-logs/ubsan"
    run_suite "$ASAN_BUILD" "asan+ubsan"
    unset ASAN_OPTIONS UBSAN_OPTIONS
    # LeakSanitizer's "Unable to get registers from thread N." alone is not a
    # report: its leak check skipped one thread's registers and went on (a
    # rare failure of ptrace under load, llvm/llvm-project#116555); a leak
    # found would have its own report in the same file.  Shown, not counted.
    for f in "$ROOT/$ASAN_BUILD/sanitizer-logs"/*; do
        [ -f "$f" ] || continue
        if ! grep -qv '^==[0-9]*==Unable to get registers from thread [0-9]*\.$' "$f"; then
            echo "sanitizer note (not a report): $(cat "$f")"
            rm -f "$f"
        fi
    done
    if ls "$ROOT/$ASAN_BUILD/sanitizer-logs"/* >/dev/null 2>&1; then
        echo "sanitizer reports:"
        head -60 "$ROOT/$ASAN_BUILD/sanitizer-logs"/*
        fail=$((fail + 1))
    fi
else
    cat "$ASAN_BUILD/build.log"
    fail=$((fail + 1))
fi

# Fuzzing: every libFuzzer target (tests/fuzz/fuzz_*.c, built with clang into
# $FUZZ_BUILD_DIR) for a fixed number of runs with a fixed seed, each capped
# at FUZZ_MAX_SECONDS; each target counts as one pass or fail.  About 20 s of
# build and 20 s of runs on an idle machine.  scripts/fuzz.sh runs the same
# targets for longer.
echo "== fuzz (libFuzzer, ${FUZZ_RUNS:-25000} runs per target)"
export FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
mkdir -p "$FUZZ_BUILD_DIR"
fzlog=$FUZZ_BUILD_DIR/fuzz-ci.log
FUZZ_MAX_SECONDS=${FUZZ_MAX_SECONDS:-6} bash tests/fuzz/run.sh -r "${FUZZ_RUNS:-25000}" \
    >"$fzlog" 2>&1
fz=$(grep -c -E '^fuzz-[a-z]+ +ok ' "$fzlog")
fzbad=$(grep -c -E '^fuzz-[a-z]+ +CRASH ' "$fzlog")
sed -n -E 's/^(fuzz-[a-z]+ .*)/  [fuzz] \1/p' "$fzlog"
if [ "$fz" -eq 0 ] || [ "$fzbad" -ne 0 ]; then
    grep -v -E '^fuzz-[a-z]+ ' "$fzlog" | tail -n 60
fi
[ "$fz" -gt 0 ] || fzbad=$((fzbad + 1)) # the build failed: one failure
pass=$((pass + fz)); fail=$((fail + fzbad))

echo "wall time: $(( $(date +%s) - t_start )) s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
