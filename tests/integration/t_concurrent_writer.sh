#!/bin/bash
# A writer keeps changing a WAL-mode db in invariant-preserving transactions
# while backups run; every generation is a consistent snapshot.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/bank.db
NACC=300 TOTAL=$((300 * 1000))
"$PY" - "$DB" "$NACC" <<'PYEOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
con.execute("CREATE TABLE ledger(id INTEGER PRIMARY KEY, src INTEGER, dst INTEGER, amount INTEGER, memo TEXT)")
con.execute("CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID")
con.execute("BEGIN")
con.executemany("INSERT INTO accounts VALUES (?, 1000)", ((i,) for i in range(1, int(sys.argv[2]) + 1)))
con.execute("INSERT INTO meta VALUES ('ledger_rows', 0)")
con.execute("COMMIT")
PYEOF

cat >"$T/writer.py" <<'PYEOF'
import os, random, sqlite3, sys, time
db, nacc, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(99)
con = sqlite3.connect(db, isolation_level=None, timeout=60)
con.execute("PRAGMA journal_mode=WAL")
txns = 0
while not os.path.exists(stop):
    n = rnd.choice([1, 5, 20, 100, 500])
    con.execute("BEGIN IMMEDIATE")
    for _ in range(n):
        a, b = rnd.randint(1, nacc), rnd.randint(1, nacc)
        amt = rnd.randint(1, 50)
        con.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (amt, a))
        con.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amt, b))
        con.execute("INSERT INTO ledger(src, dst, amount, memo) VALUES (?,?,?,?)",
                    (a, b, amt, "transfer %d %s" % (txns, "m" * rnd.randint(0, 60))))
    con.execute("UPDATE meta SET v = v + ? WHERE k = 'ledger_rows'", (n,))
    con.execute("COMMIT")
    txns += 1
    time.sleep(0.03)  # keep the db from growing faster than backups can read it
print("writer: %d transactions" % txns)
PYEOF
"$STRATA" init "$R" --chunk-size 4096 >/dev/null
rm -f "$T/stop"
bg "$PY" "$T/writer.py" "$DB" "$NACC" "$T/stop"
WRITER=${_PIDS[-1]}
sleep 1
# ledger rows committed now (the writer commits in WAL mode; readers never wait)
committed() { sqlite3 "$DB" "SELECT v FROM meta WHERE k = 'ledger_rows'"; }
moved_past() { [ "$(committed)" -gt "$1" ]; }
for i in 1 2 3 4 5 6; do
    "$STRATA" backup "$R" "$DB" --at "2026-11-20T02:0$i:00Z" --label "snap$i" --verbose >"$T/b$i.out" 2>&1 \
        || { cat "$T/b$i.out" >&2; touch "$T/stop"; fail "backup $i during writes failed"; }
    # the next backup starts only after a commit this one cannot have seen,
    # so every generation must hold more ledger rows than the one before
    # however fast or slow either side runs
    c=$(committed)
    wait_until 60 moved_past "$c" || { touch "$T/stop"; fail "the writer made no commit in 60 s"; }
done
touch "$T/stop"
wait "$WRITER" || fail "writer failed"
# (whether a backup under the writer read the pages depends on where its commits fell)
note "backups under the writer that read the accounts from the pages and the log: $(cat "$T"/b[1-6].out | grep -c 'table accounts: .* read from the database pages') of 6"

# a reader holds the db open with an un-checkpointed WAL containing a marker
# commit; the backup must see it
cat >"$T/holder.py" <<'PYEOF'
import sqlite3, sys, time, os
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA wal_autocheckpoint=0")
con.execute("BEGIN IMMEDIATE")
con.execute("UPDATE accounts SET balance = balance - 7 WHERE id = 1")
con.execute("UPDATE accounts SET balance = balance + 7 WHERE id = 2")
con.execute("INSERT INTO ledger(src, dst, amount, memo) VALUES (1, 2, 7, 'WAL-MARKER')")
con.execute("UPDATE meta SET v = v + 1 WHERE k = 'ledger_rows'")
con.execute("COMMIT")
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
PYEOF
bg "$PY" "$T/holder.py" "$DB" "$T/ready" "$T/stop2"
HOLDER=${_PIDS[-1]}
wait_until 20 test -e "$T/ready" || fail "holder did not start"
[ -s "$DB-wal" ] || note "WARN: no WAL file present"
"$STRATA" backup "$R" "$DB" --at 2026-11-20T03:00:00Z --label final --verbose >"$T/final.out" 2>&1 ||
    fail "final backup failed: $(cat "$T/final.out")"
# no writer at work now: the page reader reads the file and the log's frames
grep -q "table accounts: .* read from the database pages" "$T/final.out" ||
    fail "final backup: the WAL database was not read from its pages: $(cat "$T/final.out")"
# oracle copy taken through sqlite (includes the WAL)
sqlite3 "$DB" ".backup '$T/final.db'"
touch "$T/stop2"
wait "$HOLDER" || true

mount_fs "$R" "$M"
prev=-1
for i in 1 2 3 4 5 6; do
    G=$M/2026-11-20T020${i}00Z
    out=$(oracle invariant-check "$G" "$TOTAL") || fail "generation $i is not a consistent snapshot: $out"
    n=$(echo "$out" | sed -n 's/.*(\([0-9]*\) ledger rows).*/\1/p')
    note "generation $i: $out"
    [ "$n" -gt "$prev" ] || fail "generation $i holds $n ledger rows, the one before $prev: it missed commits made before it started"
    prev=$n
done
G=$M/2026-11-20T030000Z
oracle invariant-check "$G" "$TOTAL" || fail "final generation inconsistent"
grep -q WAL-MARKER "$G/ledger/ledger.csv" || fail "final backup misses a commit that is only in the WAL"
oracle compare-mount "$T/final.db" "$G" || fail "final generation differs from the db"
umount_fs "$M"
echo ok
