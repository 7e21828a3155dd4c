#!/bin/bash
# Incremental backups (the history issue, item 2) take the parent
# generation's chunks for runs of database pages whose bytes did not
# change.  The contract: the generation is the one a full read makes.
# Repository A gets default (incremental) backups, repository B the same
# sources at the same times with --kind full; after every step both
# catalogs list the same tables and chunks (ids, sizes, keys, row-file
# names, classes) and serve the same bytes, and A's generation restores to
# the source (dump.sql replayed, .dump --preserve-rowids compared).  Steps:
# random updates, a growing overflow value, deletes then inserts reusing
# freed pages, VACUUM, WAL mode (checkpointed; then with frames in the log
# held by another connection, and a commit and a checkpoint while the
# backup holds its snapshot) and back, a renamed column,
# a new and a dropped table, the file replaced by another database, an
# unchanged source, a differential backup.  It also checks that A took
# chunks unread where it should, and segments of changed chunks (so it
# fails if incremental never works), and that kind and parent are
# recorded and shown.
. "$(dirname "$0")/lib.sh"
require_bins

A=$T/a B=$T/b DB=$T/src.db
# segments of 512 bytes (SFC3): changed chunks are built from the parent's unchanged segments
"$STRATA" init "$A" --chunk-size 4K --frame-size 512 >/dev/null
"$STRATA" init "$B" --chunk-size 4K --frame-size 512 >/dev/null

"$PY" - "$DB" <<'EOF'
import random, sqlite3, sys
rnd = random.Random(42)
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA page_size=1024")
c.execute("CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL, qty INTEGER, tag BLOB)")
c.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, body BLOB, note TEXT)")
c.execute("CREATE TABLE keyed(k TEXT PRIMARY KEY, v INTEGER)")
c.execute("CREATE TABLE gone(id INTEGER PRIMARY KEY, v TEXT)")
for i in range(1, 12001):
    c.execute("INSERT INTO items VALUES(?,?,?,?,?)",
              (i, "item %d %s" % (i, "x" * rnd.randrange(40)), rnd.random() * 100,
               rnd.choice([None, rnd.randrange(-10**9, 10**9)]), bytes(rnd.randrange(8))))
for i in range(1, 61):
    c.execute("INSERT INTO docs VALUES(?,?,?)", (i, bytes(rnd.randrange(256) for _ in range(rnd.choice([10, 900, 3000, 9000]))), "n%d" % i))
for i in range(300):
    c.execute("INSERT INTO keyed VALUES(?,?)", ("k%05d" % (i * 7919 % 100003), i))
    c.execute("INSERT INTO gone VALUES(?,?)", (i, "g%d" % i))
c.commit()
EOF

DAY=0
# step NAME [A_OPTS]: back up DB into both repositories, compare them and the restore
step() {
    local name=$1 opts=${2:-}
    DAY=$((DAY + 1))
    local at gen
    at=$(date -u -d "2026-03-01 +$DAY days" +%Y-%m-%dT02:00:00Z)
    gen=$(gen_name "$at")
    # shellcheck disable=SC2086
    "$STRATA" backup "$A" "$DB" --at "$at" $opts >"$T/a.out" 2>&1 || fail "$name: backup A: $(cat "$T/a.out")"
    "$STRATA" backup "$B" "$DB" --at "$at" --kind full >"$T/b.out" 2>&1 || fail "$name: backup B: $(cat "$T/b.out")"
    for r in "$A" "$B"; do
        sqlite3 "$r/catalog.db" "SELECT t.name, t.nrows, t.nchunks, t.csv_size, t.jsonl_size, t.sql_size,
              t.flags, t.pg_schema, t.header FROM tables t JOIN generations g USING(seq)
              WHERE g.name = '$gen' ORDER BY t.tidx" >"$r.tables"
        sqlite3 "$r/catalog.db" "SELECT c.tidx, c.seqno, hex(c.chunk_id), c.csv_off, c.fname,
              c.jsonl_off, c.jsonl_len, c.sql_off, c.sql_len, hex(c.first_key), hex(c.last_key)
              FROM table_chunks c JOIN generations g USING(seq) WHERE g.name = '$gen'
              ORDER BY c.tidx, c.seqno" >"$r.chunks"
    done
    [ -s "$A.chunks" ] || fail "$name: test bug: no chunks listed for $gen"
    cmp -s "$A.tables" "$B.tables" || fail "$name: tables differ from a full read: $(diff "$A.tables" "$B.tables" | head -c 1500)"
    cmp -s "$A.chunks" "$B.chunks" || fail "$name: chunks differ from a full read: $(diff "$A.chunks" "$B.chunks" | head -c 1500)"
    # served bytes: every table's three views and schema.pg.sql, then dump.sql
    # (one `strata cat` of all of them per repository)
    local paths=() tb
    while read -r tb; do
        paths+=("$gen/$tb/$tb.csv" "$gen/$tb/$tb.jsonl" "$gen/$tb/$tb.sql" "$gen/$tb/schema.pg.sql")
    done < <(sqlite3 "$DB" "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    [ ${#paths[@]} -gt 0 ] || fail "$name: test bug: no tables"
    "$STRATA" cat "$A" "${paths[@]}" >"$T/a.all" || fail "$name: cat the tables from A"
    "$STRATA" cat "$B" "${paths[@]}" >"$T/b.all" || fail "$name: cat the tables from B"
    cmp -s "$T/a.all" "$T/b.all" || fail "$name: a table's files differ from a full read's"
    "$STRATA" cat "$A" "$gen/dump.sql" >"$T/a.dump" || fail "$name: cat dump.sql from A"
    "$STRATA" cat "$B" "$gen/dump.sql" >"$T/b.dump" || fail "$name: cat dump.sql from B"
    cmp -s "$T/a.dump" "$T/b.dump" || fail "$name: dump.sql differs from a full read's"
    rm -f "$T/new.db"
    sqlite3 "$T/new.db" <"$T/a.dump" || fail "$name: dump.sql does not replay"
    same_db "$DB" "$T/new.db" "$name"
    GEN=$gen
}
# taken: chunks A's last backup took unread (0 when it said nothing)
taken() { sed -n 's/^[a-z]* from generation [^:]*: \([0-9]*\) of .*/\1/p' "$T/a.out" | grep . || echo 0; }
segs() { sed -n 's/^[a-z]* from generation .* chunks and \([0-9]*\) segments of the others .*/\1/p' "$T/a.out" | grep . || echo 0; }
parent_of() { sqlite3 "$A/catalog.db" "SELECT kind || ' ' || parent FROM generations WHERE name = '$1'"; }
edit() { "$PY" - "$DB" "$@"; }
sql() { sqlite3 "$DB" "$1" || fail "test bug: $1"; }

step "first backup"
G1=$GEN
[ "$(parent_of "$G1")" = "full " ] || fail "the first backup is recorded as '$(parent_of "$G1")', want full without parent"
[ "$(taken)" = 0 ] || fail "the first backup took chunks from nowhere: $(cat "$T/a.out")"

edit <<'EOF'
import random, sqlite3, sys
rnd = random.Random(1)
c = sqlite3.connect(sys.argv[1])
for i in rnd.sample(range(1, 12001), 12):
    c.execute("UPDATE items SET name = ?, qty = qty + 1 WHERE id = ?", ("changed %d" % i, i))
c.execute("UPDATE docs SET body = body || x'00ff' WHERE id = 7")
c.execute("INSERT INTO items(name, price) VALUES('appended', 1.5)")
c.commit()
EOF
lists() { sqlite3 "$A/catalog.db" "SELECT count(*) FROM segmaps"; }
L1=$(lists)
step "random updates" --verbose
G2=$GEN
# segment lists (catalog segmaps) are written for the chunks a backup built,
# not for every chunk of the table, as the page map once held them: the
# catalog holds at most one more per new chunk, and the backup wrote at most
# one per chunk not taken whole (a chunk built again that the repository
# holds already gets its list again, replacing its row: only the count the
# backup reports shows a list written for a chunk taken whole)
L2=$(lists) new=$(sed -n 's/.* chunks (\([0-9]*\) new).*/\1/p' "$T/a.out")
wrote=$(sed -n 's/^ *\([0-9]*\) segment lists written.*/\1/p' "$T/a.out")
all=$(sed -n 's/^[a-z]* from generation [^:]*: [0-9]* of \([0-9]*\) chunks.*/\1/p' "$T/a.out")
[ -n "$new" ] && [ -n "$wrote" ] && [ -n "$all" ] ||
    fail "test bug: no chunk or list count in $(cat "$T/a.out")"
built=$((all - $(taken)))
[ "$L1" -gt 0 ] || fail "the first backup wrote no segment list"
[ $((L2 - L1)) -ge 1 ] && [ $((L2 - L1)) -le "$new" ] ||
    fail "random updates: $((L2 - L1)) segment lists added for $new new chunks"
[ "$wrote" -ge $((L2 - L1)) ] && [ "$wrote" -le "$built" ] ||
    fail "random updates: the backup wrote $wrote segment lists for $built chunks built ($all in all)"
n=$(taken)
total=$(sqlite3 "$A/catalog.db" "SELECT sum(nchunks) FROM tables t JOIN generations g USING(seq) WHERE g.name = '$G2'")
note "random updates: $n of $total chunks taken unread, and $(segs) segments of the others"
[ "$n" -gt $((total / 2)) ] || fail "12 updated rows: only $n of $total chunks taken unread: $(cat "$T/a.out")"
[ "$(segs)" -gt 0 ] || fail "12 updated rows: no segment of a changed chunk taken unread: $(cat "$T/a.out")"
[ "$(parent_of "$G2")" = "incremental $G1" ] || fail "recorded as '$(parent_of "$G2")', want incremental from $G1"
"$STRATA" ls "$A" --json | "$PY" -c '
import json, sys
g = json.load(sys.stdin)[-1]
assert g["kind"] == "incremental" and g["parent"] == sys.argv[1], g' "$G1" || fail "strata ls --json does not show kind and parent"
"$STRATA" ls "$A" | grep -q "incremental" || fail "strata ls does not show the kind: $("$STRATA" ls "$A")"

# rows that grow or shrink by a few hundred bytes early in their chunks:
# the chunk then holds more (or fewer) bytes where its later segments start,
# so a row inside one of them that fires at the chunk's average may now
# cut the chunk (or no longer cut it): such a segment must be decoded, not
# taken (pagemap.h, fire_end), or the chunks differ from a full read
for round in 1 2 3; do
    edit "$round" <<'EOF'
import random, sqlite3, sys
rnd = random.Random(100 + int(sys.argv[2]))
c = sqlite3.connect(sys.argv[1])
for i in rnd.sample(range(1, 12001), 40):
    n = rnd.choice([40, 150, 300, 600])
    c.execute("UPDATE items SET name = ? WHERE id = ?", ("g" * n if rnd.random() < 0.6 else "s", i))
c.commit()
EOF
    step "rows grown and shrunk, round $round"
done

# the last row of many chunks deleted: the chunk's cut after it is gone, so
# the next chunk's rows now follow at least a chunk's minimum into a merged
# chunk, and a row early in them that fires at the average cuts it there:
# such a segment (pagemap.h, fire_end) must be decoded, not taken whole
lasts=$(sqlite3 "$A/catalog.db" "SELECT c.fname FROM table_chunks c JOIN generations g USING(seq)
    JOIN tables t ON t.seq = c.seq AND t.tidx = c.tidx
    WHERE g.name = '$GEN' AND t.name = 'items' ORDER BY c.seqno" |
    sed -n 's/^0*[0-9]*+0*\([0-9]*\)\.csv$/\1/p' | sed -n '5,200p' | awk 'NR % 2')
[ "$(echo "$lasts" | wc -w)" -ge 20 ] || fail "test bug: too few items chunks to merge: $lasts"
edit $lasts <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for k in sys.argv[2:]:
    c.execute("DELETE FROM items WHERE id = ?", (int(k),))
c.commit()
EOF
step "the last rows of chunks deleted"

edit <<'EOF'
import random, sqlite3, sys
rnd = random.Random(2)
c = sqlite3.connect(sys.argv[1])
c.execute("DELETE FROM items WHERE id BETWEEN 3000 AND 5200")
c.commit()
for i in range(20000, 21500):
    c.execute("INSERT INTO items VALUES(?,?,?,?,?)", (i, "new %d" % i, rnd.random(), i, b"\x01"))
c.commit()
EOF
step "deletes, then inserts into the freed pages"

edit <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("VACUUM")
EOF
step "VACUUM"

edit <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA journal_mode=WAL")
c.execute("UPDATE items SET price = -price WHERE id % 997 = 0")
c.commit()
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
c.close()
EOF
step "WAL mode"
[ "$(taken)" -gt 0 ] || fail "WAL mode with an empty log: nothing taken unread: $(cat "$T/a.out")"

# WAL mode with frames in the log, as a live database has them: another
# connection keeps the log from being checkpointed away at close; the
# snapshot is the file overlaid with the log's pages (lib/sqlwal.c)
"$PY" - "$DB" "$T/holder-up" "$T/holder-stop" <<'EOF' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("SELECT count(*) FROM items").fetchone()
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
c.close()
EOF
HOLDER=$!
at_exit "touch '$T/holder-stop'; kill $HOLDER 2>/dev/null || true"
holder_up() { [ -e "$T/holder-up" ]; }
wait_until 20 holder_up || fail "the connection holding the log did not start"
wal_edit() {
    edit "$@" <<'EOF'
import random, sqlite3, sys
rnd = random.Random(int(sys.argv[2]))
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA wal_autocheckpoint=0")
for i in rnd.sample(range(1, 12001), 40):
    c.execute("UPDATE items SET name = ?, price = price + 1 WHERE id = ?", ("wal %d %d" % (int(sys.argv[2]), i), i))
c.commit()
c.execute("UPDATE docs SET note = note || '+' WHERE id % 9 = 1")
c.commit()
EOF
}
read_pages() { grep -q "table items: .* read from the database pages" "$T/a.out"; }
for k in 1 2; do
    wal_edit "$k"
    [ -s "$DB-wal" ] || fail "test bug: no frames in the log"
    step "WAL mode, frames in the log ($k)" --verbose
    read_pages || fail "WAL with frames: items not read from its pages: $(cat "$T/a.out")"
    [ "$(taken)" -gt 0 ] || fail "WAL with frames: nothing taken unread: $(cat "$T/a.out")"
done
# a commit, a checkpoint and another commit while the backup holds its
# snapshot (stopped right after it set up its pages): the checkpoint copies
# the snapshot's frames into the file under the backup, later frames wait;
# the generation is still the snapshot (a copy of the files taken before)
wal_edit 3
cp "$DB" "$T/snap.db"
cp "$DB-wal" "$T/snap.db-wal"
STRATA_FAULT=backup-pages-ready@stop "$STRATA" backup "$A" "$DB" --verbose --at 2026-06-01T00:00:00Z >"$T/a.out" 2>&1 &
BK=$!
at_exit "kill -CONT $BK 2>/dev/null; kill $BK 2>/dev/null || true"
bk_stopped() { grep -q '^State:.*T' "/proc/$BK/status" 2>/dev/null; }
wait_until 60 bk_stopped || fail "the backup did not stop at backup-pages-ready: $(cat "$T/a.out")"
edit <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=0.5)
c.execute("UPDATE items SET price = price * 2, name = name || '!'")
c.commit()
c.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
c.execute("UPDATE docs SET note = 'after'")
c.commit()
EOF
kill -CONT "$BK"
wait "$BK" || fail "the stopped backup failed once continued: $(cat "$T/a.out")"
read_pages || fail "WAL with frames, a writer at work: items not read from its pages: $(cat "$T/a.out")"
"$STRATA" restore "$A" 2026-06-01T000000Z --to "$T/snap-restored.db" >"$T/r.out" 2>&1 ||
    fail "restore of the snapshot taken under a writer: $(cat "$T/r.out")"
same_db "$T/snap.db" "$T/snap-restored.db" "a commit and a checkpoint under the backup"
touch "$T/holder-stop"
wait "$HOLDER" || fail "the connection holding the log failed"

edit <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA journal_mode=DELETE")
c.execute("ALTER TABLE items RENAME COLUMN qty TO quantity")
c.execute("CREATE TABLE fresh(id INTEGER PRIMARY KEY, v TEXT)")
c.executemany("INSERT INTO fresh VALUES(?, ?)", [(i, "f%d" % i) for i in range(500)])
c.execute("DROP TABLE gone")
c.commit()
EOF
step "a renamed column, a new and a dropped table"

sql "UPDATE docs SET note = 'again' WHERE id = 50"
step "one more update"
[ "$(taken)" -gt 0 ] || fail "after the rename, nothing taken unread: $(cat "$T/a.out")"

# the same path, another database: nothing of it is taken for the other one's pages
"$PY" - "$T/other.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA page_size=1024")
c.execute("CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL, quantity INTEGER, tag BLOB)")
c.executemany("INSERT INTO items VALUES(?,?,?,?,?)", [(i, "other %d" % i, i / 3, i, None) for i in range(1, 9000)])
c.commit()
EOF
mv "$T/other.db" "$DB"
step "the file replaced by another database"

# unchanged: not read at all, recorded as incremental from the one before,
# whose page map it shares: the next change still takes chunks unread
step "unchanged source"
grep -q "source unchanged since generation" "$T/a.out" || fail "an unchanged source was read: $(cat "$T/a.out")"
GU=$GEN
sql "UPDATE items SET name = 'late change' WHERE id = 4000"
step "after an unchanged one"
[ "$(taken)" -gt 0 ] || fail "after an unchanged backup, nothing taken unread: $(cat "$T/a.out")"
[ "$(parent_of "$GEN")" = "incremental $GU" ] || fail "recorded as '$(parent_of "$GEN")', want incremental from $GU"

# differential: against the newest full generation, whatever came after it
step "a full one" "--kind full"
GF=$GEN
[ "$(parent_of "$GF")" = "full " ] || fail "--kind full recorded as '$(parent_of "$GF")'"
[ "$(taken)" = 0 ] || fail "--kind full took chunks unread: $(cat "$T/a.out")"
sql "UPDATE items SET price = 0 WHERE id = 10"
step "incremental after the full one"
sql "UPDATE items SET price = 1 WHERE id = 8000"
step "differential" "--kind differential"
[ "$(parent_of "$GEN")" = "differential $GF" ] || fail "--kind differential recorded as '$(parent_of "$GEN")', want differential from $GF"
[ "$(taken)" -gt 0 ] || fail "differential: nothing taken unread: $(cat "$T/a.out")"

# `strata index --rebuild` keeps page maps (as it keeps the sources' states);
# a catalog made anew has none, and the next backup reads everything
"$STRATA" index "$A" --rebuild >/dev/null || fail "index --rebuild"
[ "$(parent_of "$GEN")" = "differential $GF" ] || fail "kind and parent lost by a catalog rebuild: '$(parent_of "$GEN")'"
GD=$GEN
sql "UPDATE items SET price = 2 WHERE id = 8001"
step "after a catalog rebuild"
[ "$(parent_of "$GEN")" = "incremental $GD" ] || fail "after index --rebuild: recorded as '$(parent_of "$GEN")', want incremental from $GD"
rm -f "$A/catalog.db" "$A/catalog.db-wal" "$A/catalog.db-shm"
sql "UPDATE items SET price = 3 WHERE id = 8002"
step "after the catalog was deleted"
[ "$(parent_of "$GEN")" = "full " ] || fail "without page maps: recorded as '$(parent_of "$GEN")', want full"

# the source stays locked for the whole read, even when another reader's lock
# came first (the page hashes' descriptor is then not proved to be SQLite's
# file; closing it would drop SQLite's lock): stopped after reading every
# table, the backup still keeps a writer out
[ "$(sqlite3 "$DB" 'PRAGMA journal_mode')" = delete ] || fail "test bug: the source is not in rollback mode"
"$PY" - "$DB" "$T/ready" "$T/release" <<'EOF' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN")
c.execute("SELECT count(*) FROM items").fetchone()
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.02)
c.execute("COMMIT")
EOF
READER=$!
at_exit "kill $READER 2>/dev/null || true"
ready() { [ -e "$T/ready" ]; }
wait_until 20 ready || fail "the outside reader did not start"
STRATA_FAULT=backup-tables-read@stop "$STRATA" backup "$A" "$DB" --force --at 2027-01-01T00:00:00Z >"$T/l.out" 2>&1 &
BK=$!
at_exit "kill -CONT $BK 2>/dev/null; kill $BK 2>/dev/null || true"
stopped() { grep -q '^State:.*T' "/proc/$BK/status" 2>/dev/null; }
wait_until 60 stopped || fail "the backup did not stop at backup-tables-read: $(cat "$T/l.out")"
touch "$T/release"
wait "$READER" || fail "the outside reader failed"
"$PY" - "$DB" <<'EOF' || fail "a writer committed while the backup was still reading the source"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=0.3)
try:
    c.execute("UPDATE items SET price = price WHERE id = 1")
    c.commit()
except sqlite3.OperationalError as e:
    sys.exit(0 if "locked" in str(e) else 1)
sys.exit(1)
EOF
kill -CONT "$BK"
wait "$BK" || fail "the stopped backup failed once continued: $(cat "$T/l.out")"

# a page map belongs to its generation, not to its name: a generation pruned
# and then made again under the same name (--at) without a map of its own
# must not lend the old one to the next backup
C=$T/c S=$T/s.db
"$STRATA" init "$C" --chunk-size 4K >/dev/null
"$PY" - "$S" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
c.executemany("INSERT INTO t VALUES(?, ?)", [(i, "value %d %s" % (i, "abcdefgh" * (i % 5))) for i in range(1, 3001)])
c.commit()
EOF
cp "$S" "$T/s1.db"
"$STRATA" backup "$C" "$S" --at 2024-01-01T00:00:00Z >/dev/null || fail "name reuse: first backup"
"$STRATA" backup "$C" "$S" --at 2024-01-02T00:00:00Z --force >/dev/null || fail "name reuse: second backup"
"$STRATA" prune "$C" --keep-last 1 >/dev/null || fail "name reuse: prune"
sqlite3 "$S" "UPDATE t SET v = upper(v)"
"$STRATA" backup "$C" "$S" --at 2024-01-01T00:00:00Z --reader sqlite >/dev/null || fail "name reuse: backup under the old name"
cp "$T/s1.db" "$S"
"$STRATA" backup "$C" "$S" --at 2024-01-03T00:00:00Z >"$T/c.out" 2>&1 || fail "name reuse: last backup: $(cat "$T/c.out")"
"$STRATA" cat "$C" 2024-01-03T000000Z/dump.sql >"$T/c.dump" || fail "name reuse: cat dump.sql"
rm -f "$T/c.db"
sqlite3 "$T/c.db" <"$T/c.dump" || fail "name reuse: dump.sql does not replay"
same_db "$T/s1.db" "$T/c.db" "a generation after a name was reused"

expect_err 2 "kind" "$STRATA" backup "$A" "$DB" --kind weekly
echo "ok"
