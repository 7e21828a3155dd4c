#!/bin/bash
# Hostile and awkward sources (issue "Trust", item 5).
#
#  1. Files that are not (usable) databases: random bytes, text, empty, a
#     directory, a FIFO, a SQLite header over garbage, a WAL database whose
#     -wal is garbage, a garbage hot journal; then truncated databases (cut
#     at half, cut mid-page) and a corrupt page inside a table's b-tree
#     (garbage, zeroed, child pointers redirected so rows repeat or go
#     backwards, rowid and WITHOUT ROWID).  `strata backup` must exit 1
#     with ONE line "strata: ..." saying what is wrong and what to do, and
#     leave the repository exactly as it was (tree digest, `strata ls`,
#     empty tmp/).  A valid WAL database whose data is only in its -wal is
#     the control: it must back up and equal the oracle.
#  2. Awkward but valid: 2,000 columns (SQLite's limit: `SELECT rowid, *`
#     is one result column too many), generated columns, NOCASE and DESC
#     primary keys, a UTF-16 database; 1,000 tables; table and column names
#     with every byte 1..255 (raw, not UTF-8: created through the sqlite3
#     shell, compared with `oracle.py --raw`, which reads through the C
#     API).  Everything is compared with the oracle through a real mount.
#  3. One value larger than the maximum chunk size (TEXT and BLOB, 200 MiB;
#     64 MiB under AddressSanitizer, which is slower and whose RSS means
#     nothing): `cat` through the mount equals the oracle's sha256, and the
#     peak RSS of `strata backup` stays under BACKUP_RSS_FACTOR x the value
#     size + BACKUP_RSS_CONST_MIB.  stratafs's peak RSS while reading is
#     reported, not checked (fs/ is measured elsewhere).
. "$(dirname "$0")/lib.sh"
require_bins
command -v sqlite3 >/dev/null || skip "sqlite3 shell missing"

ASAN=0
LIBS=$(ldd "$STRATA" 2>/dev/null || true) # (whole: grep -q closing the pipe would trip pipefail)
if [[ $LIBS == *libasan* ]]; then ASAN=1; fi
if [ $ASAN = 1 ]; then BIG_MIB=${HOSTILE_BIG_MIB:-64}; else BIG_MIB=${HOSTILE_BIG_MIB:-200}; fi
# strata backup's peak RSS for a single blob of V bytes: SQLite's copy of
# the value (or its memory map of the file), the typed chunk (V) and its CSV
# (2V: a blob is rendered as hex; the typed chunk is freed before the CSV is
# compressed, and compressed frames replace CSV pages as they are made),
# plus the process's ordinary footprint.  Rendering a huge value straight
# into frames would save the 2V (docs/DESIGN-NOTES.md, known gaps).
BACKUP_RSS_FACTOR=4.25
BACKUP_RSS_CONST_MIB=48

lap() { note "[${SECONDS}s] $*"; }
R=$T/repo M=$T/mnt
"$STRATA" init "$R" >/dev/null
sqlite3 "$T/good.db" "CREATE TABLE a(x INTEGER PRIMARY KEY, y TEXT); INSERT INTO a VALUES (1, 'one'), (2, 'two');"
"$STRATA" backup "$R" "$T/good.db" --at 2026-11-20T01:00:00Z >/dev/null || fail "backup of a good database failed"

repo_state() {
    tree_digest "$R"
    "$STRATA" ls "$R"
}

# refuse DESC REGEX SOURCE: backup of SOURCE exits 1 with one line
# "strata: " matching REGEX (ERE), and the repository is unchanged
refuse() {
    local desc=$1 re=$2 src=$3 rc=0 before after
    before=$(repo_state)
    "$STRATA" backup "$R" "$src" --at 2026-11-21T01:00:00Z >"$T/rf.out" 2>"$T/rf.err" || rc=$?
    [ $rc -eq 1 ] || fail "$desc: exit $rc, want 1 (stderr: $(head -c 400 "$T/rf.err"))"
    [ "$(wc -l <"$T/rf.err")" -eq 1 ] || fail "$desc: want one stderr line, got: $(cat "$T/rf.err")"
    grep -q '^strata: ' "$T/rf.err" || fail "$desc: stderr does not start with 'strata: ': $(cat "$T/rf.err")"
    grep -Eq -- "$re" "$T/rf.err" || fail "$desc: stderr does not match /$re/: $(cat "$T/rf.err")"
    [ ! -s "$T/rf.out" ] || fail "$desc: unexpected stdout: $(head -c 300 "$T/rf.out")"
    after=$(repo_state)
    if [ "$before" != "$after" ]; then
        diff <(echo "$before") <(echo "$after") | head -20 >&2
        fail "$desc: the repository changed"
    fi
    [ -z "$(ls -A "$R/tmp")" ] || fail "$desc: left files in tmp/: $(ls -A "$R/tmp")"
    note "$desc -> $(cat "$T/rf.err")"
}

# ---------------------------------------------------------------------------
# 1. not databases, damaged databases

S=$T/src
mkdir "$S"
"$PY" -c "import random, sys; sys.stdout.buffer.write(random.Random(1).randbytes(65536))" >"$S/random.db"
printf 'id,name\n1,this is a CSV file, not a database\n%.0s' $(seq 200) >"$S/text.db"
: >"$S/empty.db"
printf 'hello' >"$S/tiny.db"
mkdir "$S/dir.db"
mkfifo "$S/fifo.db"
"$PY" - "$S" <<'PYEOF'
import os, random, shutil, sqlite3, struct, sys
S = sys.argv[1]
rnd = random.Random(5)

def make(path, wal=False):
    con = sqlite3.connect(path)
    if wal:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n REAL)")
    con.execute("CREATE TABLE u(id INTEGER PRIMARY KEY, v TEXT)")
    con.execute("CREATE TABLE k(a TEXT, b INTEGER, v, PRIMARY KEY(a, b)) WITHOUT ROWID")
    con.execute("CREATE TABLE k0(a TEXT PRIMARY KEY, v) WITHOUT ROWID")
    con.executemany("INSERT INTO t(v, n) VALUES (?, ?)",
                    [("row %d, " % i * 4, rnd.random()) for i in range(20000)])
    con.executemany("INSERT INTO u(v) VALUES (?)", [("u%d" % i,) for i in range(100)])
    con.executemany("INSERT INTO k VALUES (?, ?, ?)",
                    [("key%06d" % i, i % 7, "v" * 30) for i in range(20000)])
    con.executemany("INSERT INTO k0 VALUES (?, ?)", [("a%03d" % i, i) for i in range(50)])
    con.commit()
    return con

make(os.path.join(S, "base.db")).close()
base = open(os.path.join(S, "base.db"), "rb").read()
ps = struct.unpack(">H", base[16:18])[0]
assert len(base) % ps == 0 and len(base) // ps > 100, (len(base), ps)

def put(name, data):
    with open(os.path.join(S, name), "wb") as f:
        f.write(data)

put("header-garbage.db", base[:100] + rnd.randbytes(200000))
put("trunc-half.db", base[:len(base) // 2 // ps * ps])
put("trunc-midpage.db", base[:len(base) // 2 // ps * ps + ps // 3])

# b-tree walking: the children of an interior page (table 0x05, index 0x02)
con = sqlite3.connect(os.path.join(S, "base.db"))
roots = dict(con.execute("SELECT name, rootpage FROM sqlite_master WHERE type='table'"))
con.close()

def page_off(pg):
    return (pg - 1) * ps

def children(d, pg):
    off = page_off(pg)
    h = off + (100 if pg == 1 else 0)
    if d[h] not in (2, 5):
        return []
    n = struct.unpack(">H", d[h + 3:h + 5])[0]
    kids = []
    for i in range(n):
        cp = struct.unpack(">H", d[h + 12 + 2 * i:h + 14 + 2 * i])[0]
        kids.append((off + cp, struct.unpack(">I", d[off + cp:off + cp + 4])[0]))
    kids.append((h + 8, struct.unpack(">I", d[h + 8:h + 12])[0]))
    return kids

def leaves(d, pg):
    kids = children(d, pg)
    if not kids:
        return [pg]
    return [l for _, c in kids for l in leaves(d, c)]

def leaf_parent(d, pg):
    """children of the first interior page whose children are leaves"""
    kids = children(d, pg)
    if kids and not children(d, kids[0][1]):
        return kids
    return leaf_parent(d, kids[len(kids) // 2][1])

tk = leaf_parent(base, roots["t"])
assert len(tk) > 5, "table t is not deep enough"
mid_leaf = leaves(base, roots["t"])[len(leaves(base, roots["t"])) // 2]
d = bytearray(base)
d[page_off(mid_leaf):page_off(mid_leaf) + ps] = rnd.randbytes(ps)
put("corrupt-garbage-leaf.db", d)
d = bytearray(base)
d[page_off(mid_leaf):page_off(mid_leaf) + ps] = bytes(ps)
put("corrupt-zero-leaf.db", d)
# a child pointer of t's root redirected to table u's root leaf: SQLite
# reads u's rows as part of t without complaint; only the key order shows it
d = bytearray(base)
ptr = tk[len(tk) // 2][0]
d[ptr:ptr + 4] = struct.pack(">I", roots["u"])
put("corrupt-child-other-table.db", d)
# the same pointer redirected to t's first leaf: rows repeat
d = bytearray(base)
d[ptr:ptr + 4] = struct.pack(">I", tk[0][1])
put("corrupt-child-repeat.db", d)
# WITHOUT ROWID: a child of k's root redirected to k0's root (keys a000..,
# which sort before key0...)
kk = leaf_parent(base, roots["k"])
assert len(kk) > 2 and children(base, roots["k"]), "table k is not deep enough"
d = bytearray(base)
ptr = kk[len(kk) // 2][0]
d[ptr:ptr + 4] = struct.pack(">I", roots["k0"])
put("corrupt-child-without-rowid.db", d)

# WAL: the data lives only in the -wal (copied while the writer is open)
con = make(os.path.join(S, "walsrc.db"), wal=True)
shutil.copy(os.path.join(S, "walsrc.db"), os.path.join(S, "wal-ok.db"))
shutil.copy(os.path.join(S, "walsrc.db-wal"), os.path.join(S, "wal-ok.db-wal"))
shutil.copy(os.path.join(S, "walsrc.db"), os.path.join(S, "wal-garbage.db"))
put("wal-garbage.db-wal", rnd.randbytes(os.path.getsize(os.path.join(S, "walsrc.db-wal"))))
con.close()
assert os.path.getsize(os.path.join(S, "wal-ok.db-wal")) > 100000
# a hot rollback journal that is garbage
shutil.copy(os.path.join(S, "base.db"), os.path.join(S, "journal.db"))
put("journal.db-journal", rnd.randbytes(5000))
PYEOF

lap "sources made"
refuse "random bytes" "'$S/random.db': it is not a SQLite database; check the path" "$S/random.db"
refuse "text file" "it is not a SQLite database; check the path" "$S/text.db"
refuse "empty file" "it is empty \(0 bytes\), not a SQLite database; check the path" "$S/empty.db"
refuse "5-byte file" "it is not a SQLite database; check the path" "$S/tiny.db"
refuse "directory" "it is a directory, not a SQLite database file; give the path of the database file" "$S/dir.db"
refuse "fifo" "it is a device, FIFO or socket, not a SQLite database file; give the path" "$S/fifo.db"
refuse "missing file" "'$S/missing.db': no such file" "$S/missing.db"
refuse "SQLite header over garbage" "truncated or damaged.*restore it from a copy|corrupt.*integrity_check" "$S/header-garbage.db"
refuse "WAL database, garbage -wal" "write-ahead log '$S/wal-garbage.db-wal' is damaged .*; restore both files from a copy, or move" "$S/wal-garbage.db"
refuse "garbage hot journal" "rollback journal '$S/journal.db-journal' holds an unfinished transaction.*then retry" "$S/journal.db"
refuse "truncated at half" "the file is truncated: it has [0-9]+ bytes, its header says [0-9]+ pages.*restore it from a copy" "$S/trunc-half.db"
refuse "truncated mid-page" "truncated or damaged: it has [0-9]+ bytes, not a whole number of 4096-byte pages; restore it from a copy" "$S/trunc-midpage.db"
refuse "garbage leaf page in t" "table 't' .*: the database is corrupt \(SQLite: .*\); check it with" "$S/corrupt-garbage-leaf.db"
refuse "zeroed leaf page in t" "table 't' .*: the database is corrupt \(SQLite: .*\); check it with" "$S/corrupt-zero-leaf.db"
refuse "child pointer to another table" "table 't' .*corrupt \(rows out of key order: rowid 1 after [0-9]+\); check it with" "$S/corrupt-child-other-table.db"
refuse "child pointer to an earlier leaf" "table 't' .*corrupt \(rows out of key order: rowid [0-9]+ after [0-9]+\); check it with" "$S/corrupt-child-repeat.db"
refuse "WITHOUT ROWID child pointer to another table" "table 'k' .*corrupt \(rows out of key order\); check it with" "$S/corrupt-child-without-rowid.db"
[ "$("$STRATA" ls "$R" --json | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] \
    || fail "strata ls does not list exactly the one good generation"


lap "refusals checked"

# ---------------------------------------------------------------------------
# 2. awkward but valid: wide tables, generated columns, NOCASE keys

"$PY" - "$T/wide.db" <<'PYEOF'
import random, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
rnd = random.Random(7)
N = 2000
cols = ", ".join("c%d" % i for i in range(N))
con.execute("CREATE TABLE wide(%s)" % cols)
con.execute("CREATE TABLE wide_ipk(id INTEGER PRIMARY KEY, %s)" % ", ".join("c%d" % i for i in range(1, N)))
con.execute("CREATE TABLE wide_wr(%s, PRIMARY KEY(c1999, c7)) WITHOUT ROWID" % cols)
vals = [None, 0, -1, 2 ** 63 - 1, 1.5, 1e300, "", "a,b", 'q"q', "line\nbreak", b"", b"\x00\xff", "é"]
for t in ("wide", "wide_ipk", "wide_wr"):
    for r in range(5):
        row = [rnd.choice(vals) for _ in range(N)]
        if t == "wide_ipk":
            row[0] = r * 1000 - 7
        if t == "wide_wr":
            row[1999], row[7] = "k%d" % (4 - r), r
        con.execute("INSERT INTO %s VALUES (%s)" % (t, ", ".join("?" * N)), row)
con.execute("CREATE TABLE gen(a INTEGER, b AS (a * 2), c TEXT, d AS (c || '!') STORED, e)")
con.executemany("INSERT INTO gen(a, c, e) VALUES (?, ?, ?)", [(i, "c%d" % i, i * 0.5) for i in range(50)])
con.execute("CREATE TABLE gen_wr(k TEXT PRIMARY KEY, v AS (length(k)), w) WITHOUT ROWID")
con.executemany("INSERT INTO gen_wr(k, w) VALUES (?, ?)", [("k%03d" % i, i) for i in range(50)])
# a NOCASE primary key: SQLite's own order is not the BINARY key order
con.execute("CREATE TABLE nocase(name TEXT COLLATE NOCASE PRIMARY KEY, v) WITHOUT ROWID")
con.executemany("INSERT INTO nocase VALUES (?, ?)",
                [("%s%04d" % ("aBcD"[i % 4], i), "x" * 40) for i in range(2000)])
con.execute("CREATE TABLE desc_pk(a INTEGER, b TEXT, v, PRIMARY KEY(a DESC, b)) WITHOUT ROWID")
con.executemany("INSERT INTO desc_pk VALUES (?, ?, ?)", [(i % 13, "b%d" % i, i) for i in range(500)])
con.commit()
PYEOF
lap "wide.db made"
R2=$T/repo-awkward
"$STRATA" init "$R2" --chunk-size 4096 >/dev/null
# the control of part 1: a WAL database whose rows are only in its -wal
"$STRATA" backup "$R2" "$S/wal-ok.db" --at 2026-11-20T01:00:00Z >/dev/null || fail "backup of a valid WAL database failed"
"$STRATA" backup "$R2" "$T/wide.db" --at 2026-11-20T02:00:00Z >"$T/wide.out" || fail "backup of wide.db failed"

# 1,000 tables
"$PY" - "$T/many.db" <<'PYEOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for i in range(1000):
    con.execute('CREATE TABLE "t%04d"(id INTEGER PRIMARY KEY, v TEXT, n)' % i)
    con.executemany('INSERT INTO "t%04d"(v, n) VALUES (?, ?)' % i,
                    [("t%d row %d" % (i, j), i * j) for j in range(i % 5)])
con.commit()
PYEOF
lap "many.db made"
"$STRATA" backup "$R2" "$T/many.db" --at 2026-11-20T03:00:00Z >"$T/many.out" || fail "backup of 1000 tables failed"

# names with every byte 1..255, made with the sqlite3 shell (Python's
# sqlite3 only takes SQL that is valid UTF-8)
"$PY" - "$T/names.sql" <<'PYEOF'
import sys
def qi(b):
    return b'"' + b.replace(b'"', b'""') + b'"'
out = [b"BEGIN;"]
names = []
for c in range(1, 256):
    names.append(bytes([c]) + b"%02x" % c)         # the byte first
    names.append(b"x%02x" % c + bytes([c]))         # the byte last
names += [b".", b"..", b"/", b"%", b"", b"~", b"-", b" ", b"\n", b"\xff", b"\x80",
          bytes(range(1, 256)), bytes(range(255, 0, -1)),
          "é".encode() * 150, b"\x80" * 300, b"%" * 100, b"a" * 200, b"a" * 201,
          b"." + b"\xe6\x97\xa5" * 80, b"/" * 70]
for i, n in enumerate(names):
    out.append(b"CREATE TABLE %s(v, name BLOB);" % qi(n))
    out.append(b"INSERT INTO %s VALUES (%d, x'%s');" % (qi(n), i, n.hex().encode()))
cols = [bytes([c]) + b"%02x" % c for c in range(1, 256)] + [bytes(range(1, 256)), b""]
out.append(b"CREATE TABLE colnames(%s);" % b", ".join(qi(c) for c in cols))
for r in range(3):
    out.append(b"INSERT INTO colnames VALUES (%s);" % b", ".join(b"%d" % (r * 1000 + i) for i in range(len(cols))))
out.append(b"COMMIT;")
open(sys.argv[1], "wb").write(b"\n".join(out) + b"\n")
PYEOF
sqlite3 "$T/names.db" <"$T/names.sql" || fail "sqlite3 could not create the names database"
ntab=$(sqlite3 "$T/names.db" "SELECT count(*) FROM sqlite_master WHERE type='table'")
[ "$ntab" -eq 531 ] || fail "names.db has $ntab tables, want 531"
"$STRATA" backup "$R2" "$T/names.db" --at 2026-11-20T04:00:00Z >"$T/names.out" || fail "backup of names.db failed"

# a UTF-16 database: its BINARY collation orders UTF-16 bytes, strata's key
# order is that of the UTF-8 bytes (docs/FORMAT.md, key_compare)
"$PY" - "$T/utf16.db" <<'PYEOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("PRAGMA encoding='UTF-16le'")
con.execute("CREATE TABLE k(name TEXT PRIMARY KEY, v) WITHOUT ROWID")
con.execute("CREATE TABLE r(name TEXT, v)")
keys = ["a", "b", "z", "A", "", " ", "\u0100", "\u20ac", "\U0001F600", "\uffe0", "\u00e9t\u00e9"]
keys += ["k%03d\u0101" % i for i in range(300)]
con.executemany("INSERT INTO k VALUES (?, ?)", [(k, i) for i, k in enumerate(keys)])
con.executemany("INSERT INTO r VALUES (?, ?)", [(k, i) for i, k in enumerate(keys)])
con.commit()
PYEOF
"$STRATA" backup "$R2" "$T/utf16.db" --at 2026-11-20T05:00:00Z >"$T/utf16.out" || fail "backup of a UTF-16 database failed"
lap "names.db made, all backed up"
mount_fs "$R2" "$M"
GW=$M/2026-11-20T020000Z GM=$M/2026-11-20T030000Z GN=$M/2026-11-20T040000Z

"$PY" "$ORACLE" compare-mount "$S/wal-ok.db" "$M/2026-11-20T010000Z" || fail "wal-ok.db: mount differs from the oracle"
timeout 600 "$PY" "$ORACLE" compare-mount "$T/wide.db" "$GW" || fail "wide.db: mount differs from the oracle"
hdr=$(head -n1 "$GW/wide/wide.csv")
if [ ${#hdr} -le 10000 ] || [ "$(echo "$hdr" | tr ',' '\n' | wc -l)" -ne 2000 ]; then
    fail "wide.csv header does not have 2000 columns"
fi
[ "$(head -n1 "$GW/gen/gen.csv")" = "a,c,e" ] || fail "gen.csv header: $(head -n1 "$GW/gen/gen.csv")"

lap "wide.db compared"
# 1,000 tables: all listed, ls -l works, a few compared
ls -l "$GM" >"$T/ls-many.txt" || fail "ls -l of a generation with 1000 tables failed"
[ "$(grep -c '^d' "$T/ls-many.txt")" -eq 1000 ] || fail "ls -l lists $(grep -c '^d' "$T/ls-many.txt") table dirs, want 1000"
for i in $(seq 0 999); do printf 't%04d\n' "$i"; done >"$T/want-many.txt"
find "$GM" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort >"$T/got-many.txt"
cmp -s "$T/want-many.txt" "$T/got-many.txt" || fail "table dirs of the 1000-table generation differ from t0000..t0999"
"$PY" -c 'import json,sys; t=json.load(open(sys.argv[1]))["tables"]; sys.exit(len(t) != 1000)' "$GM/generation.json" \
    || fail "generation.json does not list 1000 tables"
pick=$(shuf -n 6 --random-source=<(yes) "$T/want-many.txt" | tr '\n' ' ')
# shellcheck disable=SC2086
"$PY" "$ORACLE" compare-tables "$T/many.db" "$GM" t0000 t0999 $pick || fail "1000 tables: tables differ from the oracle"

lap "1000 tables checked"
# names: every entry a safe component, every table reachable, equal to the oracle
"$PY" - "$GN" <<'PYEOF' || fail "unsafe or missing names in the names generation"
import os, sys
g = os.fsencode(sys.argv[1])
ents = [e for e in os.listdir(g) if e not in (b"generation.json", b"schema.sql", b"dump.sql", b"schema.pg.sql")]
errs = []
if len(ents) != 531:
    errs.append("%d table dirs, want 531" % len(ents))
for e in ents:
    if (not e or e in (b".", b"..") or b"/" in e or len(e) > 255
            or any(c < 0x20 or c == 0x7F for c in e)):
        errs.append("unsafe name %r" % e)
    p = os.path.join(g, e)
    # the views' names are longer: a file name over 255 bytes is not served
    want = {b"schema.sql", b"schema.pg.sql", b"rows", b"key", b"changes.csv", b"changes.jsonl"} | \
        {e + x for x in (b".csv", b".jsonl", b".sql") if len(e + x) <= 255}
    got = set(os.listdir(p))
    if got != want:
        errs.append("%r: entries %r" % (e, sorted(got)))
    os.stat(os.path.join(p, e + b".csv"))
for x in errs[:20]:
    print("ERR:", x)
sys.exit(1 if errs else 0)
PYEOF
timeout 600 "$PY" "$ORACLE" compare-mount "$T/names.db" "$GN" --raw >"$T/names-cmp.txt" \
    || { cat "$T/names-cmp.txt"; fail "names.db: mount differs from the oracle"; }
# generation.json is valid UTF-8 JSON even for names that are not (compare-mount parses it strictly)
"$PY" -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))' "$GN/generation.json" ||
    fail "names.db: generation.json is not valid UTF-8 JSON"
# oracle.py enc-name gives the directory name (spot checks, raw bytes via $'..')
for n in . .. / % '~' $'\n' $'\x0101' $'x7f\x7f' $'.2e' $'\xff' $'\x80' $'\xffff' $'x80\x80'; do
    want=$("$PY" "$ORACLE" enc-name "$n")
    [ -d "$GN/$want" ] || fail "enc-name '$n' -> '$want', no such directory"
done
[ -d "$GN/%00" ] || fail "the empty table name is not %00"
for d in %2E %2E. %2F %25; do
    [ -d "$GN/$d" ] || fail "., .., /, % are not escaped as documented: no $d"
done
lap "names checked"

# UTF-16: r (rowid) equals the oracle; k holds the oracle's rows, in UTF-8 key order
GU=$M/2026-11-20T050000Z
"$PY" "$ORACLE" compare-tables "$T/utf16.db" "$GU" r || fail "utf16.db: table r differs from the oracle"
"$PY" - "$ORACLE" "$T/utf16.db" "$GU/k/k.csv" <<'PYEOF' || fail "utf16.db: table k is not the oracle's rows in UTF-8 key order"
import subprocess, sys
oracle, db, got_path = sys.argv[1:4]
want = subprocess.run([sys.executable, oracle, "table-csv", db, "k"], check=True,
                      stdout=subprocess.PIPE).stdout.split(b"\n")
got = open(got_path, "rb").read().split(b"\n")
assert got[0] == want[0], (got[0], want[0])
assert sorted(got) == sorted(want), "rows differ"
keys = [l.rsplit(b",", 1)[0] for l in got[1:] if l]
keys = [b"" if k == b'""' else k for k in keys]
assert keys == sorted(keys) and len(set(keys)) == len(keys), "keys not in UTF-8 byte order"
PYEOF
umount_fs "$M"

# ---------------------------------------------------------------------------
# 3. one value larger than the maximum chunk size

BIG=$((BIG_MIB * 1024 * 1024))
R3=$T/repo-big
"$STRATA" init "$R3" >/dev/null
sqlite3 "$T/bigblob.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v); INSERT INTO t VALUES (1, x'0102'); INSERT INTO t VALUES (2, randomblob($BIG)); INSERT INTO t VALUES (3, 'after');"
# random bytes as TEXT: incompressible, full of quotes, commas and LFs
sqlite3 "$T/bigtext.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v); INSERT INTO t VALUES (1, 'before'); INSERT INTO t VALUES (2, CAST(randomblob($BIG) AS TEXT)); INSERT INTO t VALUES (3, 'after');"
[ "$(sqlite3 "$T/bigtext.db" "SELECT typeof(v) || length(CAST(v AS BLOB)) FROM t WHERE id=2")" = "text$BIG" ] || fail "bigtext.db: the big value is not a $BIG-byte TEXT"

lap "big databases made"
limit_kb=$("$PY" -c "print(int($BACKUP_RSS_FACTOR * $BIG / 1024 + $BACKUP_RSS_CONST_MIB * 1024))")
at=5
for kind in blob text; do
    # peak RSS (KiB) and wall time of the child, measured by its parent
    "$PY" - "$T/time.$kind" "$STRATA" backup "$R3" "$T/big$kind.db" --at 2026-11-20T0$at:00:00Z >"$T/big.out" <<'PYEOF' \
        || { cat "$T/big.out"; fail "backup of a $BIG_MIB MiB $kind value failed"; }
import resource, subprocess, sys, time
t0 = time.monotonic()
rc = subprocess.call(sys.argv[2:])
secs = time.monotonic() - t0
open(sys.argv[1], "w").write("%d %.2f\n" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, secs))
sys.exit(rc)
PYEOF
    at=$((at + 1))
    read -r rss_kb secs <"$T/time.$kind"
    note "backup of one $BIG_MIB MiB $kind value: peak RSS $((rss_kb / 1024)) MiB ($("$PY" -c "print('%.2f' % ($rss_kb * 1024 / $BIG))") x the value), ${secs}s"
    if [ $ASAN = 0 ] && [ "$rss_kb" -gt "$limit_kb" ]; then
        fail "backup of a $BIG_MIB MiB $kind value peaked at $((rss_kb / 1024)) MiB RSS, over the bound $BACKUP_RSS_FACTOR x value + $BACKUP_RSS_CONST_MIB MiB = $((limit_kb / 1024)) MiB"
    fi
done
lap "big values backed up"
mount_fs "$R3" "$M"
fspid=$(_stratafs_pids_with_arg "$M" | head -n1)
at=5
for kind in blob text; do
    G=$M/2026-11-20T0${at}0000Z
    at=$((at + 1))
    read -r want_sha want_len < <("$PY" "$ORACLE" table-sha256 "$T/big$kind.db" t)
    [ "$(stat -c %s "$G/t/t.csv")" = "$want_len" ] || fail "$kind: st_size $(stat -c %s "$G/t/t.csv"), oracle says $want_len"
    got=$(sha256sum <"$G/t/t.csv" | cut -d' ' -f1)
    [ "$got" = "$want_sha" ] || fail "$kind: cat t.csv through the mount: sha256 $got, oracle $want_sha"
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$fspid/status" 2>/dev/null || echo 0)
    note "stratafs after reading the $BIG_MIB MiB $kind table: peak RSS (VmHWM, whole mount so far) $((hwm / 1024)) MiB (not checked)"
    # the big row is a chunk of its own, between the chunks of rows 1 and 3
    n=$(find "$G/t/rows" -mindepth 1 -name '*.csv' | wc -l)
    [ "$n" -eq 3 ] || fail "$kind: $n rows/ files, want 3: $(ls "$G/t/rows")"
    hl=$(head -n1 "$G/t/t.csv" | wc -c)
    sum=$(stat -c %s "$G"/t/rows/*.csv | awk -v h="$hl" '{ s += $1 - h } END { print s + h }')
    [ "$sum" = "$want_len" ] || fail "$kind: rows/ files hold $sum bytes of CSV, want $want_len"
    [ "$(tail -n +2 "$G/t/rows/0000000000000000003+0000000000000000003.csv")" = "3,after" ] \
        || fail "$kind: rows/ file of row 3 is wrong"
done
lap "big values read"
umount_fs "$M"
echo ok
