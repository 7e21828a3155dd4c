#!/bin/bash
# A source database over 2 GiB (SQLite's memory-map limit in Debian's build)
# is read from its pages like any other, through this process's own map of
# the file SQLite holds locked: the first backup by the page reader, the next
# one after a change incremental (chunks taken from unchanged pages) and equal
# to a full read of the same database (no new chunk), every generation equal
# to its database through the mount.  The table lies past the 2 GiB offset: a
# 2.2 GB filler table is written first and dropped (free pages, never read).
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/big.db
avail=$(df --output=avail -B1 "$T" | tail -n 1)
[ "$avail" -gt $((5 * 1024 * 1024 * 1024)) ] || skip "needs 5 GiB free in $T, has $avail bytes"

sqlite3 "$DB" <<'EOF' >/dev/null || fail "could not make the database"
PRAGMA page_size=65536;
PRAGMA journal_mode=OFF;
PRAGMA synchronous=OFF;
CREATE TABLE filler(b BLOB);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2200)
  INSERT INTO filler SELECT zeroblob(1000000) FROM c;
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60000)
  INSERT INTO t SELECT x, x * 7919 % 100003, printf('row %d of the big source, %d', x, x * x % 9973) FROM c;
DROP TABLE filler;
EOF
size=$(stat -c %s "$DB")
[ "$size" -gt $((2 * 1024 * 1024 * 1024)) ] || fail "test bug: the database is $size bytes, not over 2 GiB"
# the table's root page lies past 2 GiB (the filler took the pages before it)
root=$(sqlite3 "$DB" "SELECT rootpage FROM sqlite_master WHERE name = 't'")
[ $((root * 65536)) -gt $((2 * 1024 * 1024 * 1024)) ] || fail "test bug: table t starts at page $root, before 2 GiB"
note "database: $size bytes, table t from page $root"

"$STRATA" init "$R" --chunk-size 16K >/dev/null
G1=2026-11-01T000000Z G2=2026-11-02T000000Z G3=2026-11-03T000000Z
"$STRATA" backup "$R" "$DB" --verbose --at 2026-11-01T00:00:00Z >"$T/b1" 2>&1 || fail "first backup: $(cat "$T/b1")"
grep -q "table t: 60000 rows, read from the database pages" "$T/b1" ||
    fail "the page reader did not read a $size-byte database: $(cat "$T/b1")"
mount_fs "$R" "$M"
oracle compare-mount "$DB" "$M/$G1" || fail "generation 1 differs from its database"
umount_fs "$M"

sqlite3 "$DB" "UPDATE t SET v = v || ' (changed)' WHERE id BETWEEN 30000 AND 30099" || fail "update"
"$STRATA" backup "$R" "$DB" --verbose --at 2026-11-02T00:00:00Z >"$T/b2" 2>&1 || fail "second backup: $(cat "$T/b2")"
grep -q "table t: 60000 rows, read from the database pages" "$T/b2" || fail "second backup: not by the page reader: $(cat "$T/b2")"
taken=$(sed -n 's/^ *\([0-9]*\) of \([0-9]*\) chunks taken unread from generation .*/\1 \2/p' "$T/b2")
[ -n "$taken" ] && [ "${taken% *}" -gt 0 ] && [ "${taken% *}" -lt "${taken#* }" ] ||
    fail "second backup: want some but not all chunks taken from unchanged pages, got '$taken': $(cat "$T/b2")"
note "incremental: $taken chunks taken"
"$STRATA" backup "$R" "$DB" --kind full --at 2026-11-03T00:00:00Z >"$T/b3" 2>&1 || fail "full backup: $(cat "$T/b3")"
grep -q "chunks (0 new)" "$T/b3" || fail "a full read stored chunks the incremental backup did not: $(cat "$T/b3")"
mount_fs "$R" "$M"
oracle compare-mount "$DB" "$M/$G2" || fail "generation 2 differs from its database"
oracle compare-mount "$DB" "$M/$G3" || fail "generation 3 differs from its database"
umount_fs "$M"
