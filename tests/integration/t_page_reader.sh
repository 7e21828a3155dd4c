#!/bin/bash
# The page reader (lib/sqlpage.c) reads rowid tables straight from the
# database pages; SQLite's API reads everything else.  For databases of
# every page size, with the value kinds and schemas where the two could
# disagree (REAL affinity over integers on disk, the INTEGER PRIMARY KEY
# and its DESC look-alike, overflow chains, deleted rows, pointer-map
# pages), the generation must be byte for byte the database (oracle,
# through the mount), a --reader sqlite backup of the same database must
# store no new chunk (same typed rows), and --verbose must say which reader
# read which table, so this test fails if the page reader is never used.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt
"$STRATA" init "$R" --chunk-size 8K >/dev/null

make_db() {  # make_db PATH PAGE_SIZE AUTO_VACUUM
"$PY" - "$@" <<'EOF'
import random, sqlite3, struct, sys
path, ps, av = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(ps)
c = sqlite3.connect(path)
c.execute("PRAGMA page_size=%d" % ps)
c.execute("PRAGMA auto_vacuum=%s" % av)
c.execute("""CREATE TABLE plain(id INTEGER PRIMARY KEY, r REAL, d "DOUBLE PRECISION", f FLOAT,
  fp "FLOATING POINT", n NUMERIC, t TEXT, b BLOB, x, ci CHARINT)""")
c.execute("CREATE TABLE desc_pk(id INTEGER PRIMARY KEY DESC, v TEXT)")
c.execute("CREATE TABLE nopk(a TEXT, b REAL)")
c.execute("CREATE TABLE textpk(k TEXT PRIMARY KEY, v INTEGER)")
c.execute("CREATE TABLE big(id INTEGER PRIMARY KEY, body BLOB, note TEXT)")
c.execute("CREATE TABLE added(id INTEGER PRIMARY KEY, a TEXT)")
c.execute("CREATE TABLE wr(k INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID")
c.execute("CREATE TABLE gen(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL)")
c.execute("CREATE TABLE late(id INTEGER PRIMARY KEY, a TEXT)")
ints = [0, 1, -1, 127, -128, 128, 32767, -32768, 32768, 2**23 - 1, -2**23, 2**31 - 1, -2**31,
        2**47 - 1, -2**47, 2**47, 2**63 - 1, -2**63, 2**53 + 1]
def val():
    k = rnd.randrange(8)
    if k == 0: return None
    if k == 1: return rnd.choice(ints)
    if k == 2: return rnd.choice([0.0, -0.0, 1.5, -2.25, 1e308, -1e-308, 3.0, 2.0**60, 0.1])
    if k == 3: return "".join(rnd.choice("abc\u00e9\u4e2d,\"\n ") for _ in range(rnd.randrange(12)))
    if k == 4: return bytes(rnd.randrange(256) for _ in range(rnd.randrange(10)))
    if k == 5: return "nul\x00inside"
    return rnd.randrange(-10**6, 10**6)
for i in range(1, 1501):
    c.execute("INSERT INTO plain VALUES(?,?,?,?,?,?,?,?,?,?)",
              (i * 3,) + tuple(val() for _ in range(9)))
for i in range(300):
    c.execute("INSERT INTO desc_pk VALUES(?,?)", (i if i % 7 else None, "v%d" % i))
    c.execute("INSERT INTO nopk VALUES(?,?)", ("a%d" % i, rnd.choice([None, 1, 2.5, "t"])))
    c.execute("INSERT INTO textpk VALUES(?,?)", ("k%05d" % (i * 7919 % 100003), i)) if i % 3 else None
for i in range(1, 41):
    n = rnd.choice([0, 100, ps - 40, ps, 3 * ps + 7, 70000])
    c.execute("INSERT INTO big VALUES(?,?,?)", (i, bytes(rnd.randrange(256) for _ in range(n)), "x" * rnd.randrange(2 * ps)))
for i in range(1, 101):
    c.execute("INSERT INTO added VALUES(?,?)", (i, "a%d" % i))
# late: its short records (from before ADD COLUMN) come last in rowid order, so the page
# reader has handed chunks to the workers before it gives up and the table is read again
for i in range(10**6, 10**6 + 50):
    c.execute("INSERT INTO late VALUES(?,?)", (i, "old%d" % i))
c.execute("ALTER TABLE late ADD COLUMN z REAL DEFAULT 2")
for i in range(1, 3001):
    c.execute("INSERT INTO late VALUES(?,?,?)", (i, "row %d of the late table" % i, i))
c.execute("ALTER TABLE added ADD COLUMN z INTEGER DEFAULT 5")
c.execute("INSERT INTO added VALUES(1000, 'new', 7)")
for i in range(50):
    c.execute("INSERT INTO wr VALUES(?,?)", (i, "w"))
    c.execute("INSERT INTO gen(id, a) VALUES(?,?)", (i, i))
c.commit()
# holes: deleted rows and values that grew (freeblocks, overflow pages freed and reused)
c.execute("DELETE FROM plain WHERE id % 7 = 0")
c.execute("UPDATE plain SET t = ? WHERE id % 11 = 0", ("grown " * 50,))
c.execute("DELETE FROM big WHERE id % 4 = 0")
c.commit()
c.close()
EOF
}

declare -A PAGED=( [plain]=1 [nopk]=1 [big]=1 )
# a declared key that is not the rowid orders the rows (mount layout 5): SQLite's API, by that key
declare -A API=( [added]="a page or record it does not read" [late]="a page or record it does not read" [wr]="WITHOUT ROWID"
                 [gen]="generated or hidden columns" [desc_pk]="rows in primary key order"
                 [textpk]="rows in primary key order" )
day=0
check_db() {  # check_db DB WHAT: back up twice, check readers, chunks and bytes
    local db=$1 what=$2 at g
    day=$((day + 1))
    at=2026-11-$(printf %02d $day)T00:00:00Z
    "$STRATA" backup "$R" "$db" --at "$at" --verbose >"$T/out" 2>"$T/err" ||
        fail "$what: backup failed: $(cat "$T/out" "$T/err")"
    for t in "${!PAGED[@]}"; do
        grep -q "table $t: .*read from the database pages" "$T/err" ||
            fail "$what: table $t was not read by the page reader: $(cat "$T/err")"
    done
    for t in "${!API[@]}"; do
        grep -A1 "table $t: .*read through SQLite's API" "$T/err" | grep -qF "(page reader not used: ${API[$t]})" ||
            fail "$what: table $t: expected SQLite's API because '${API[$t]}': $(cat "$T/err")"
    done
    # SQLite's API reads the same typed rows: every chunk is known already
    "$STRATA" backup "$R" "$db" --force --reader sqlite --at "${at%T*}T12:00:00Z" >"$T/out2" 2>&1 ||
        fail "$what: --reader sqlite backup failed: $(cat "$T/out2")"
    grep -q " chunks (0 new)" "$T/out2" ||
        fail "$what: SQLite's API read different rows than the page reader: $(cat "$T/out" "$T/out2")"
    # the same chunk count: chunks of an abandoned page read are not counted twice
    [ "$(grep -o '[0-9]* chunks' "$T/out")" = "$(grep -o '[0-9]* chunks' "$T/out2")" ] ||
        fail "$what: chunk counts differ between the readers: $(cat "$T/out" "$T/out2")"
    note "$what: $(tail -n1 "$T/out")"
}

for ps in 512 4096 65536; do
    make_db "$T/p$ps.db" "$ps" NONE
    check_db "$T/p$ps.db" "page size $ps"
done
make_db "$T/av.db" 1024 FULL
check_db "$T/av.db" "auto_vacuum=FULL, page size 1024"

# WAL with committed frames: the snapshot is the file overlaid with the newest
# copy of each page in the log (lib/sqlwal.c), which the page reader reads;
# SQLite's API reads the same rows (a --reader sqlite backup stores nothing new)
"$PY" - "$T/wal.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA wal_autocheckpoint=0")
c.execute("CREATE TABLE w(id INTEGER PRIMARY KEY, v TEXT)")
c.executemany("INSERT INTO w VALUES(?,?)", [(i, "v%d" % i) for i in range(2000)])
import os; os._exit(0)  # no checkpoint at close: the rows stay in the -wal file
EOF
[ -s "$T/wal.db-wal" ] || fail "the WAL test database has no -wal file"
"$STRATA" backup "$R" "$T/wal.db" --at 2026-11-20T00:00:00Z --verbose >"$T/out" 2>"$T/err" || fail "WAL backup failed"
grep -qF "table w: 2000 rows, read from the database pages" "$T/err" ||
    fail "a WAL with frames was not read from its pages: $(cat "$T/err")"
"$STRATA" backup "$R" "$T/wal.db" --at 2026-11-20T12:00:00Z --reader sqlite --force >"$T/out" 2>&1 ||
    fail "WAL backup --reader sqlite failed: $(cat "$T/out")"
grep -q "chunks (0 new)" "$T/out" || fail "the pages and SQLite read the WAL database differently: $(cat "$T/out")"
cp "$T/wal.db" "$T/wal-copy.db"; cp "$T/wal.db-wal" "$T/wal-copy.db-wal"
# named through a symbolic link: SQLite opens where it points, and so does the page reader
ln -s wal.db "$T/wal-link.db"
"$STRATA" backup "$R" "$T/wal-link.db" --name wal --at 2026-11-21T00:00:00Z --force --verbose >"$T/out" 2>&1 ||
    fail "backup through a symbolic link failed: $(cat "$T/out")"
grep -qF "table w: 2000 rows, read from the database pages" "$T/out" ||
    fail "a database named through a symbolic link was not read from its pages: $(cat "$T/out")"
grep -q "chunks (0 new)" "$T/out" || fail "the same database through a symbolic link stored new chunks: $(cat "$T/out")"

mount_fs "$R" "$M"
n=0
for g in $(ls "$M" | grep -vx -e latest -e tables -e at -e db); do
    n=$((n + 1))
done
[ "$n" -eq 11 ] || fail "expected 11 generations, found $n: $(ls "$M")"
for ps in 512 4096 65536; do
    d=$((ps == 512 ? 1 : ps == 4096 ? 2 : 3))
    oracle compare-mount "$T/p$ps.db" "$M/2026-11-0${d}T000000Z" || fail "page size $ps: the generation differs"
    oracle compare-mount "$T/p$ps.db" "$M/2026-11-0${d}T120000Z" || fail "page size $ps, --reader sqlite: differs"
done
oracle compare-mount "$T/av.db" "$M/2026-11-04T000000Z" || fail "auto_vacuum: the generation differs"
oracle compare-mount "$T/wal-copy.db" "$M/2026-11-20T000000Z" || fail "WAL: the generation differs"
oracle compare-mount "$T/wal-copy.db" "$M/2026-11-20T120000Z" || fail "WAL, --reader sqlite: the generation differs"
oracle compare-mount "$T/wal-copy.db" "$M/2026-11-21T000000Z" || fail "WAL through a symbolic link: the generation differs"
"$STRATA" verify "$R" >"$T/v" 2>&1 || fail "verify failed: $(cat "$T/v")"
note "11 generations compared with their databases through the mount"
