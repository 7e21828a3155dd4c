#!/bin/bash
# Install what is missing, build with warnings as errors, run every test:
# unit tests and fuzz-corpus regressions (meson test), then the integration
# tests, which mount for real through FUSE.
# The last line is "N passed, N failed, N skipped".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/deps.sh clang || { echo "0 passed, 1 failed"; exit 1; }

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
# unit tests
meson test -C "$BUILD" --print-errorlogs >"$BUILD/meson-test.log" 2>&1
grep -E '^ *[0-9]+/[0-9]+ ' "$BUILD/meson-test.log" | sed 's/^/  /'
grep -E -A40 'FAIL|ERROR' "$BUILD/meson-test.log" | grep -v '^ *[0-9]*/[0-9]* .*OK' | head -80
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$BUILD/meson-test.log" | tail -1)
fl=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$BUILD/meson-test.log" | tail -1)
sk=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$BUILD/meson-test.log" | tail -1)
to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$BUILD/meson-test.log" | tail -1)
pass=$((pass + ${ok:-0})); fail=$((fail + ${fl:-0} + ${to:-0})); skip=$((skip + ${sk:-0}))

# integration tests, through a real mount
STRATA="$ROOT/$BUILD/indexer/strata" STRATAFS="$ROOT/$BUILD/fs/stratafs" \
    bash tests/integration/run.sh >"$BUILD/integration.log" 2>&1
cat "$BUILD/integration.log" | grep -v -E '^[0-9]+ passed, [0-9]+ failed'
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$BUILD/integration.log" | tail -1)
if [ -z "$line" ]; then
    fail=$((fail + 1))
else
    p=$(echo "$line" | sed 's/^\([0-9]*\) passed.*/\1/')
    f=$(echo "$line" | sed 's/.* \([0-9]*\) failed.*/\1/')
    s=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
