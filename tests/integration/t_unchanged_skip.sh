#!/bin/bash
# An unchanged source is not read again: the new generation reuses the
# previous one's tables.  The skip must never be wrong: every way of
# changing a database that keeps its size (and even its mtime) is seen, in
# rollback-journal and in WAL mode, and every generation equals the
# database as it was when it was taken.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/s.db
"$STRATA" init "$R" --chunk-size 8K >/dev/null
oracle make-shop "$DB" --day 1 --orders 3000
declare -A EXPECT
hour=0
# backup_expect skip|read: take a backup, check whether it skipped reading
backup_expect() {
    local want=$1 why=$2 n
    hour=$((hour + 1))
    n=$(date -u -d "2026-11-01 + $hour hours" +%Y-%m-%dT%H%M%SZ)
    cp "$DB" "$T/$n.db"
    # a WAL database's committed state includes its -wal: copy it with the file
    if [ -e "$DB-wal" ]; then cp "$DB-wal" "$T/$n.db-wal"; fi
    "$STRATA" backup "$R" "$DB" --at "$(date -u -d "2026-11-01 + $hour hours" +%Y-%m-%dT%H:%M:%SZ)" >"$T/out" 2>&1 ||
        fail "$why: backup failed: $(cat "$T/out")"
    if grep -q "unchanged since" "$T/out"; then got=skip; else got=read; fi
    [ "$got" = "$want" ] || fail "$why: expected the backup to $want the source, it did $got: $(cat "$T/out")"
    note "$why: $got ($(tail -n1 "$T/out"))"
    EXPECT[$n]=$T/$n.db
}

backup_expect read "first backup"
backup_expect skip "unchanged database"
backup_expect skip "unchanged again"
t0=$(date +%s%N); "$STRATA" backup "$R" "$DB" --force --at 2026-11-02T00:00:00Z >"$T/out" 2>&1 || fail "--force backup failed"
grep -q "unchanged since" "$T/out" && fail "--force still skipped"
EXPECT[2026-11-02T000000Z]=$T/force.db; cp "$DB" "$T/force.db"

# same size, mtime put back: an UPDATE of a fixed-width value
mt=$(stat -c %y "$DB")
"$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE products SET stock = stock + 1 WHERE sku = (SELECT min(sku) FROM products)"); c.execute("UPDATE orders SET status = CASE status WHEN \"new\" THEN \"old\" ELSE \"new\" END WHERE id = 5"); c.commit()' "$DB"
touch -d "$mt" "$DB"
[ "$(stat -c %y "$DB")" = "$mt" ] || fail "could not restore the mtime"
backup_expect read "same size, same mtime, changed row"

# another file moved into place with the first one's size and times
cp -p "$DB" "$T/other.db"
"$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE customers SET city = \"Oslo\" WHERE id = 3"); c.commit()' "$T/other.db"
touch -r "$DB" "$T/other.db"
mv "$T/other.db" "$DB"
backup_expect read "another file renamed over the database"
backup_expect skip "unchanged after the rename"

# WAL mode: commits stay in the -wal file while a connection holds it open
"$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA journal_mode=WAL"); c.close()' "$DB"
backup_expect read "switched to WAL mode"
backup_expect skip "unchanged in WAL mode"
coproc W { "$PY" -u -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA wal_autocheckpoint=0")
for line in sys.stdin:
    c.execute(line.strip())
    print("done", flush=True)
' "$DB"; }
_PIDS+=("$W_PID")
wal_exec() { echo "$1" >&"${W[1]}"; read -r -u "${W[0]}" _ || fail "WAL writer died"; }
wal_exec "UPDATE orders SET status = 'wal-1' WHERE id = 7"
backup_expect read "a commit in the WAL (no checkpoint)"
backup_expect skip "unchanged with the WAL open"
wal_exec "UPDATE orders SET status = 'wal-2' WHERE id = 7"
backup_expect read "a second same-size commit in the WAL"
wal_exec "PRAGMA wal_checkpoint(TRUNCATE)"
backup_expect read "checkpoint into the database file"
# a WAL generation that starts over at the same size, with both mtimes put back
wal_exec "UPDATE orders SET status = 'wal-3' WHERE id = 8"
backup_expect read "first commit after the checkpoint"
dbmt=$(stat -c %y "$DB") walmt=$(stat -c %y "$DB-wal") walsz=$(stat -c %s "$DB-wal")
wal_exec "PRAGMA wal_checkpoint(RESTART)"
wal_exec "UPDATE orders SET status = 'wal-4' WHERE id = 8"
touch -d "$dbmt" "$DB"; touch -d "$walmt" "$DB-wal"
[ "$(stat -c %s "$DB-wal")" = "$walsz" ] || note "(the restarted WAL has another size: $(stat -c %s "$DB-wal") vs $walsz)"
backup_expect read "WAL restarted and rewritten, same size, mtimes put back"
exec {W[1]}>&-
wait "$W_PID" 2>/dev/null || true

# every generation equals the database it was taken from
mount_fs "$R" "$M"
for n in "${!EXPECT[@]}"; do
    oracle compare-mount "${EXPECT[$n]}" "$M/$n" >"$T/cmp" || { cat "$T/cmp" >&2; fail "generation $n differs from its database"; }
done
umount_fs "$M"
"$STRATA" verify "$R" >/dev/null || fail "verify"
echo ok
