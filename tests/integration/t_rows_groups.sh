#!/bin/bash
# Huge tables stay browsable: a table of more than ROWS_FLAT_MAX (4096)
# chunks gets key-range directories in rows/ (docs/FORMAT.md, "Mount
# layout"), none with more than 4096 files; the oracle checks every file,
# every directory name and the order.  Directory names are content-defined,
# so a second generation with a few changed rows keeps almost all of them,
# and lookups only find a file in its own directory.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/big.db
"$PY" - "$DB" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT, n REAL)")
db.executemany("INSERT INTO big VALUES(?,?,?)",
               ((i, "value %d, \"q\"" % (i * 7919 % 100003), i / 8.0) for i in range(1, 40001)))
# mid: flat rows/ of some 2,000 chunks, 6,000 files: more than the tree remembers unreferenced
db.execute("CREATE TABLE mid(id INTEGER PRIMARY KEY, v TEXT)")
db.executemany("INSERT INTO mid VALUES(?,?)", ((i, "mid row %d" % (i * 31 % 7919)) for i in range(1, 20001)))
db.execute("CREATE TABLE small(k TEXT PRIMARY KEY, v) WITHOUT ROWID")
db.executemany("INSERT INTO small VALUES(?,?)", (("k%03d" % i, i) for i in range(100)))
db.commit()
PYEOF
cp "$DB" "$T/day1.db"
# 256-byte chunks: 40,000 rows make some 6,000 chunks
"$STRATA" init "$R" --chunk-size 256 >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z >"$T/b1.out" || fail "backup 1"
"$PY" - "$DB" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE big SET v = 'changed' WHERE id IN (100, 20000, 39999)")
db.commit()
PYEOF
"$STRATA" backup "$R" "$DB" --at 2026-11-21T02:00:00Z >"$T/b2.out" || fail "backup 2"

mount_fs "$R" "$M"
G1=$M/2026-11-20T020000Z G2=$M/2026-11-21T020000Z
oracle compare-mount "$T/day1.db" "$G1" || fail "generation 1 differs from its database"
oracle compare-mount "$DB" "$G2" || fail "generation 2 differs from its database"

# a listing longer than the tree's memory of unreferenced numbers (4,096): every
# entry has its attributes, through strata ls and through readdirplus (ls -l)
nmid=$(ls "$G1/mid/rows" | wc -l)
[ "$nmid" -gt 4200 ] && [ "$nmid" -le $((3 * 4096)) ] || fail "test bug: mid/rows has $nmid files"
"$STRATA" ls "$R" "2026-11-20T020000Z/mid/rows" >"$T/mid.ls" 2>"$T/mid.err" || fail "strata ls of mid/rows: $(cat "$T/mid.err")"
[ "$(grep -c . "$T/mid.ls")" -ge "$nmid" ] || fail "strata ls of mid/rows lists $(grep -c . "$T/mid.ls") of $nmid"
[ "$(ls -l "$G1/mid/rows" | grep -c '^-r')" = "$nmid" ] || fail "ls -l of mid/rows"

n1=$(ls "$G1/big/rows" | wc -l)
files=$(find "$G1/big/rows" -type f -name '*.csv' | wc -l)
[ "$files" -gt 4096 ] || fail "test bug: only $files chunks, no key-range directories"
[ "$n1" -ge 2 ] && [ "$n1" -lt 100 ] || fail "rows/ of big has $n1 entries for $files files"
[ "$(find "$G1/big/rows" -mindepth 1 -maxdepth 1 -type d | wc -l)" = "$n1" ] ||
    fail "rows/ of big holds something else than directories"
[ "$(ls "$G1/small/rows" | wc -l)" -ge 1 ] && [ -z "$(find "$G1/small/rows" -mindepth 1 -type d)" ] ||
    fail "small table: rows/ should hold files"
note "big: $files files in $n1 key-range directories"

# content-defined names: 3 changed rows change at most a few directories
"$PY" - "$G1/big/rows" "$G2/big/rows" <<'PYEOF' || fail "key-range directory names are not stable"
import os, sys
a, b = set(os.listdir(sys.argv[1])), set(os.listdir(sys.argv[2]))
changed = len(a - b)
print("# %d of %d directory names changed" % (changed, len(a)))
sys.exit(0 if changed <= 6 and len(a & b) >= len(a) - 6 else 1)
PYEOF

# diff -r between the generations: only the directories of the 3 changed
# rows differ (a change may move chunk boundaries, so files there may be
# renamed; the directories around them are untouched)
diff -rq "$G1/big/rows" "$G2/big/rows" >"$T/diff.out" || true
sed -E "s#^Only in ($G1|$G2)/big/rows/?##; s#^Files ($G1|$G2)/big/rows/##" "$T/diff.out" |
    sed -E 's#^([^/: ]+).*#\1#; s#^: ##' | sort -u >"$T/dirs.out"
nd=$(wc -l <"$T/dirs.out")
[ "$nd" -ge 1 ] && [ "$nd" -le 6 ] || { head "$T/diff.out" >&2; fail "diff -r touches $nd directories"; }
note "diff -r: $(wc -l <"$T/diff.out") lines in $nd key-range directories"

# a file is found in its own directory only
d1=$(ls "$G1/big/rows" | sed -n 1p) d2=$(ls "$G1/big/rows" | sed -n 2p)
f1=$(ls "$G1/big/rows/$d1" | sed -n 1p)
[ -f "$G1/big/rows/$d1/$f1" ] || fail "file $d1/$f1 not found"
[ ! -e "$G1/big/rows/$f1" ] || fail "a file of a key-range directory is visible in rows/"
[ ! -e "$G1/big/rows/$d2/$f1" ] || fail "a file is visible in another key-range directory"
[ ! -e "$G1/big/rows/nope+nope" ] || fail "a made-up directory exists"
# the whole-table file and the concatenation of every rows file agree
cat "$G1/big/big.csv" | tail -n +2 | cmp -s - <(find "$G1/big/rows" -type f -name '*.csv' | LC_ALL=C sort |
    while read -r f; do tail -n +2 "$f"; done) || fail "rows files do not add up to big.csv"
umount_fs "$M"
echo ok
