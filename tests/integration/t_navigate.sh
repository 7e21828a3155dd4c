#!/bin/bash
# Navigating a history (mount layout 5): over 23 generations of a seeded
# database (tables keyed by INTEGER PRIMARY KEY, by an awkward TEXT key, by
# a composite key in a rowid and in a WITHOUT ROWID table, by INTEGER
# PRIMARY KEY DESC, by nothing; a generation that changes nothing, a table
# added, one dropped, one dropped and made again, a column renamed, two
# generations in the same second, one taken later with an earlier time):
#   <gen>/<table>/key/<KEY>.csv|.jsonl|.sql  the one row with that key
#   <gen>/<table>/changes.csv|.jsonl         the rows that differ from the
#                                           previous generation holding it
#   strata diff                              the same, for any two generations
#   tables/, tables/<T>/<gen> links, tables/<T>/key/<KEY>.csv|.jsonl (history)
#   at/<TIME>                                 in every accepted form
# all against values computed from copies of the database taken after each
# backup (tests/navcheck.py), through the kernel mount and, for a sample,
# through strata cat / strata ls.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt W=$T/work
NAV="$ROOT/tests/navcheck.py"
mkdir -p "$W"
"$STRATA" init "$R" --chunk-size 4096 >/dev/null
"$PY" "$NAV" build "$W" "$STRATA" "$R" || fail "taking the history"

mount_fs "$R" "$M"
timeout 300 "$PY" "$NAV" check "$W" "$STRATA" "$R" "$M" || fail "navigation differs from the oracle"
umount_fs "$M"

# the command line alone, without a mount: the same errors
expect_err 2 "format" "$STRATA" diff "$R" latest latest --format xml
expect_fail "diff with one generation" "$STRATA" diff "$R" latest
echo ok
