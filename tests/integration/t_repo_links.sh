#!/bin/bash
# Links inside a repository never make strata write or delete outside it:
# a symlinked tmp/, generations/ or packs/ is refused in one line, and a
# packs/xx link is never written through; the files they point at stay.
. "$(dirname "$0")/lib.sh"
require_bins

DB=$T/s.db
oracle make-shop "$DB" --day 1 --orders 200
mkdir -p "$T/victim"
echo precious >"$T/victim/keep"

for d in tmp generations packs; do
    R=$T/repo-$d
    "$STRATA" init "$R" >/dev/null
    "$STRATA" backup "$R" "$DB" --at 2026-11-01T00:00:00Z >/dev/null || fail "backup before linking $d"
    cp -a "$R/$d/." "$T/victim/" 2>/dev/null || true
    rm -rf "${R:?}/$d"
    ln -s "$T/victim" "$R/$d"
    for cmd in "ls $R" "index $R" "backup $R $DB" "verify $R"; do
        # shellcheck disable=SC2086
        expect_fail "$d/ is a link: strata $cmd" "$STRATA" $cmd
        grep -q "unsafe" "$T/ef.err" || fail "strata $cmd with a linked $d/ does not say why: $(cat "$T/ef.err")"
    done
    [ "$(cat "$T/victim/keep")" = precious ] || fail "a file outside the repository changed (linked $d/)"
done

# packs/xx linked out of the repository: the backup fails, nothing is written there
R=$T/repo-xx
"$STRATA" init "$R" >/dev/null
mkdir -p "$T/victim2"
for x in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
    for y in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do ln -s "$T/victim2" "$R/packs/$x$y"; done
done
rc=0
"$STRATA" backup "$R" "$DB" >"$T/out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "backup wrote packs through linked packs/xx directories"
[ -z "$(ls -A "$T/victim2")" ] || fail "a pack was written outside the repository: $(ls "$T/victim2")"
note "packs/xx linked: $(cat "$T/out")"
[ -z "$(ls "$R/generations")" ] || fail "a generation was recorded although its packs could not be written"
echo ok
