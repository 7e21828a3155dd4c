#!/bin/bash
# Generations with a version 2 manifest (tests/fixtures/v2-repo, written by
# strata at commit 27985a0, the last one that wrote manifest 2 / mount
# layout 3) are read by this strata exactly as that strata served them:
# indexed, listed, mounted against their source databases, their JSONL and
# SQL views in revision 1 (text holding CR as a plain '...' literal, the
# lengths their manifests recorded), with no dump.sql and no schema.pg.sql,
# every file of their trees byte for byte what 27985a0 served, and
# `strata restore` exact.  A new backup into the repository writes a
# version 3 generation (revision 2, dump.sql) next to them and leaves them
# as they were.
#
# How the fixture was made (in an empty directory /tmp/v2make, so the
# generations' "source" is /tmp/v2make/...; 27985a0 built with
# `git archive 27985a0 | tar -x -C /tmp/old27 && meson setup /tmp/old27/build
# /tmp/old27 && ninja -C /tmp/old27/build`, S=/tmp/old27/build/indexer/strata):
#     python3 make_source.py v2-source.db      (make_source below)
#     $S init v2-repo --chunk-size 4096
#     $S backup v2-repo v2-source.db --at 2026-02-01T00:00:00Z
#     cp v2-source.db v2-source-2.db && python3 modify.py v2-source-2.db   (modify below)
#     $S backup v2-repo v2-source-2.db --at 2026-02-02T00:00:00Z
# then v2-repo/catalog.db, lock and tmp/ (derived) were left out, and the
# listing below (OLD_TREE) was taken from 27985a0's stratafs on that copy
# after `$S index`.  v2-source.db is the source of the first generation; the
# test remakes the source of the second with modify.
. "$(dirname "$0")/lib.sh"
require_bins
command -v sqlite3 >/dev/null || skip "sqlite3 missing"

FX=$(cd "$(dirname "$0")/../fixtures" && pwd)
R=$T/repo M=$T/mnt
G1=2026-02-01T000000Z G2=2026-02-02T000000Z G3=2026-02-03T000000Z
cp -r "$FX/v2-repo" "$R"
mkdir -p "$R/tmp"   # git does not keep empty directories
cp "$FX/v2-source.db" "$T/v2.db"
[ ! -e "$R/catalog.db" ] || fail "the fixture has a catalog (derived: leave it out)"

# the fixture's source database, remade (fixed data)
make_source() {
    "$PY" - "$1" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""
PRAGMA page_size = 4096;
CREATE TABLE notes(id INTEGER PRIMARY KEY, kind TEXT, body, n);
CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT);
""")
special = [
    ("crlf", "first\r\nsecond", 1),
    ("cr", "lone\rcr", 2),
    ("cr-end", "ends in cr\r", 3),
    ("cr-only", "\r", 4),
    ("nul", None, 5),             # text with a NUL inside (set below)
    ("bad-utf8", None, 6),        # text that is not valid UTF-8 (set below)
    ("blob", b"\x00\xff\r\n'x", 7),
    ("neg-zero", "z", -0.0),
    ("inf", "+inf", float("inf")),
    ("-inf", "-inf", float("-inf")),
    ("max", "2^63-1", 2**63 - 1),
    ("min", "-2^63", -2**63),
    ("null", None, None),
    ("empty", "", ""),
    ("quote", "it's \"quoted\", a,b", 0.1),
    ("unicode", "\u00fcn\u00efc\u00f8de \u2603", 19.99),
    ("lf", "line\nbreak", 1e300),
]
for i, (kind, body, n) in enumerate(special, 1):
    db.execute("INSERT INTO notes VALUES(?,?,?,?)", (i, kind, body, n))
db.execute("UPDATE notes SET body = CAST(X'61006200' AS TEXT) WHERE kind = 'nul'")
db.execute("UPDATE notes SET body = CAST(X'ff41fe0d0a' AS TEXT) WHERE kind = 'bad-utf8'")
# filler, so that the tables span several 4 KiB chunks; every 7th row has a CR
for i in range(100, 700):
    body = "row %d\r\nwith crlf" % i if i % 7 == 0 else "row %d plain text %s" % (i, "x" * (i % 23))
    db.execute("INSERT INTO notes VALUES(?,?,?,?)", (i, "filler-%d" % (i % 5), body, i * 3))
vals = [None, 0, -1, 2**63 - 1, -0.0, float("inf"), float("-inf"), "", "cr\rin kv",
        "crlf\r\n", b"\x00\x01", 1.5]
for i in range(120):
    db.execute("INSERT INTO kv VALUES(?,?)", ("key%03d" % i, vals[i % len(vals)]))
db.execute("INSERT INTO kv VALUES(?,?)", ("cr\rkey", "value"))
for i in range(1, 41):
    db.execute("INSERT INTO events(what) VALUES(?)", ("event %d" % i,))
db.execute("DELETE FROM events WHERE id > 35")   # sqlite_sequence stays at 40
db.executescript("""
CREATE INDEX notes_kind ON notes(kind);
CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
  INSERT INTO events(what) VALUES('note ' || new.id);
END;
CREATE VIEW plain_notes AS SELECT id, kind FROM notes WHERE kind NOT LIKE 'filler%';
PRAGMA user_version = 20260201;
PRAGMA application_id = 1398035506;
""")
db.commit()
db.execute("VACUUM")
db.close()
PYEOF
}

# the change between the two generations (the trigger adds event 41)
modify() {
    "$PY" - "$1" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE notes SET body = 'changed\r' || id WHERE id = 650")
db.execute("INSERT INTO notes(id, kind, body, n) VALUES(1000, 'new', 'new\r\nrow', ?)", (-0.0,))
db.execute("DELETE FROM kv WHERE k < 'key010'")
db.execute("PRAGMA user_version = 20260202")
db.commit()
PYEOF
}

# same_values A B WHAT: every table (sqlite_sequence too) holds the same
# rows, value for value: storage class, bytes of text (NUL, not UTF-8),
# bits of reals (-0.0) -- what `.dump` cannot show
same_values() {
    "$PY" - "$1" "$2" <<'PYEOF' || fail "$3: values differ"
import sqlite3, struct, sys
def rows(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    con.text_factory = bytes
    out = {}
    for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
        q = '"%s"' % t.decode().replace('"', '""')
        try:
            cur = con.execute("SELECT _rowid_, * FROM %s ORDER BY 1" % q)
        except sqlite3.OperationalError:  # WITHOUT ROWID
            cur = con.execute("SELECT * FROM %s ORDER BY 1" % q)
        out[t] = [tuple((type(v).__name__, struct.pack("<d", v) if isinstance(v, float) else v)
                        for v in r) for r in cur]
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
bad = 0
for t in sorted(set(a) | set(b)):
    ra, rb = a.get(t), b.get(t)
    if ra != rb:
        bad = 1
        diff = [(x, y) for x, y in zip(ra or [], rb or []) if x != y][:3]
        print("table %r: %s vs %s rows; first differences %r"
              % (t, ra and len(ra), rb and len(rb), diff), file=sys.stderr)
sys.exit(bad)
PYEOF
}

# same_db (lib.sh), then every value: .dump does not show -0.0 or NUL inside text
same_all() {
    same_db "$1" "$2" "$3"
    same_values "$1" "$2" "$3"
}

# manifest_version FILE: bytes 8..11 of a .gen file
manifest_version() {
    "$PY" -c 'import struct, sys; print(struct.unpack_from("<I", open(sys.argv[1], "rb").read(), 8)[0])' "$1"
}

# walk MNT GEN...: each directory and file of the generations' trees, every
# file read whole (a read error fails), its st_size equal to the bytes read
walk() {
    "$PY" - "$@" <<'PYEOF'
import hashlib, os, stat, sys
os.chdir(sys.argv[1])
bad = 0
def onerror(e):
    sys.exit("walk: %s" % e)
added = 0
for d in sys.argv[2:]:
    for root, dirs, files in os.walk(d, onerror=onerror):
        # what mount layout 5 added to every table (key/, changes.csv/.jsonl) is
        # new, not something 27985a0 served: left out here, counted below
        if root.count("/") == 1:
            added += ("key" in dirs) + ("changes.csv" in files) + ("changes.jsonl" in files)
            dirs[:] = [x for x in dirs if x != "key"]
            files = [x for x in files if x not in ("changes.csv", "changes.jsonl")]
        dirs.sort()
        print("d %o %s" % (stat.S_IMODE(os.stat(root).st_mode), root))
        for f in sorted(files):
            p = os.path.join(root, f)
            st = os.stat(p)
            with open(p, "rb") as fh:
                data = fh.read()
            if st.st_size != len(data):
                print("walk: %s: st_size %d, %d bytes read" % (p, st.st_size, len(data)), file=sys.stderr)
                bad = 1
            print("f %o %d %s %s" % (stat.S_IMODE(st.st_mode), st.st_size,
                                     hashlib.sha256(data).hexdigest()[:16], p))
if not added:
    print("walk: no key/ or changes files: not mount layout 5", file=sys.stderr)
    bad = 1
sys.exit(bad)
PYEOF
}

# repo_files: the repository's own files (not the derived catalog, lock, tmp/, verify-status)
repo_files() {
    (cd "$R" && find config generations packs -type f -print0 | sort -z | xargs -0 sha256sum)
}

# --- the fixture is what it says it is
grep -qx 'version = 2' "$R/config" || fail "fixture config: $(cat "$R/config")"
for g in "$G1" "$G2"; do
    [ "$(manifest_version "$R/generations/$g.gen")" = 2 ] || fail "fixture $g: not a version 2 manifest"
done
[ "$(ls "$R/generations")" = "$G1.gen
$G2.gen" ] || fail "fixture generations: $(ls "$R/generations")"
make_source "$T/remade.db"
same_all "$T/v2.db" "$T/remade.db" "the fixture's source remade"
cp "$T/v2.db" "$T/v2b.db"
modify "$T/v2b.db"
"$PY" - "$T/v2.db" <<'PYEOF' || fail "the fixture's source lacks a case"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.text_factory = bytes
one = lambda q: c.execute(q).fetchone()[0]
assert one("SELECT count(*) FROM notes WHERE typeof(body) = 'text' AND instr(body, char(13, 10))")
assert one("SELECT count(*) FROM notes WHERE body = CAST('lone' || char(13) || 'cr' AS TEXT)")
assert one("SELECT hex(body) FROM notes WHERE kind = 'nul'") == b"61006200"
assert one("SELECT hex(body) FROM notes WHERE kind = 'bad-utf8'") == b"FF41FE0D0A"
assert one("SELECT typeof(body) FROM notes WHERE kind = 'blob'") == b"blob"
assert one("SELECT count(*) FROM notes WHERE n = 9223372036854775807")
assert one("SELECT count(*) FROM notes WHERE n = 1e999") and one("SELECT count(*) FROM notes WHERE n = -1e999")
assert one("SELECT count(*) FROM notes WHERE body IS NULL") and one("SELECT count(*) FROM notes WHERE body = ''")
assert one("SELECT seq FROM sqlite_sequence WHERE name = 'events'") == 40
assert one("PRAGMA user_version") == 20260201 and one("PRAGMA application_id") == 1398035506
assert one("SELECT count(*) FROM sqlite_master WHERE type IN ('index', 'trigger', 'view') AND sql IS NOT NULL") == 3
assert one("SELECT count(*) FROM pragma_table_list WHERE name = 'kv' AND wr")
PYEOF
repo_files >"$T/repo.before"

# --- (a) the catalog is built and lists the two generations
"$STRATA" index "$R" >"$T/index.out" 2>&1 || fail "index: $(cat "$T/index.out")"
[ -f "$R/catalog.db" ] || fail "index made no catalog"
"$STRATA" ls "$R" >"$T/ls.out" 2>&1 || fail "ls: $(cat "$T/ls.out")"
[ "$(awk 'NR > 1 { print $1 }' "$T/ls.out")" = "$G1
$G2" ] || fail "ls lists: $(cat "$T/ls.out")"
"$STRATA" verify "$R" >"$T/verify.out" 2>&1 || fail "verify: $(cat "$T/verify.out")"

# --- (b) mounted, each generation is its source (layout 3: generation.json "format": 3)
mount_fs "$R" "$M"
for g in "$G1" "$G2"; do
    [ "$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["format"])' "$M/$g/generation.json")" = 3 ] ||
        fail "$g: generation.json format: $(head -c 300 "$M/$g/generation.json")"
done
oracle compare-mount "$T/v2.db" "$M/$G1" || fail "$G1 differs from its source"
oracle compare-mount "$T/v2b.db" "$M/$G2" || fail "$G2 differs from its source"

# --- (c) no dump.sql, no schema.pg.sql: not in the mount, not through strata cat
for g in "$G1" "$G2"; do
    found=$(find "$M/$g" \( -name dump.sql -o -name schema.pg.sql \) -print)
    [ -z "$found" ] || fail "$g serves $found"
    [ ! -e "$M/$g/dump.sql" ] || fail "$g/dump.sql can be looked up"
    [ ! -e "$M/$g/notes/schema.pg.sql" ] || fail "$g/notes/schema.pg.sql can be looked up"
    for p in dump.sql schema.pg.sql notes/schema.pg.sql; do
        expect_err 1 "is not in the tree" "$STRATA" cat "$R" "$g/$p"
    done
done

# --- (d) revision 1 SQL: every CR of valid UTF-8 text is a raw byte inside '...'
# and text with a NUL or not UTF-8 is CAST(X'..' AS TEXT) (revision 2 writes CR and
# NUL as char(13) and char(0));
# the size is the bytes read; strata cat gives the same bytes, also read in odd sizes
crs() {   # crs DB TABLE: CRs in the table's text values that are UTF-8 without NUL
    "$PY" - "$1" "$2" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.text_factory = bytes
n = 0
for r in c.execute('SELECT * FROM "%s"' % sys.argv[2]):
    for v in r:
        if isinstance(v, bytes) and b"\0" not in v:
            try:
                v.decode("utf-8")
            except UnicodeDecodeError:
                continue
            n += v.count(b"\r")
print(n)
PYEOF
}
check_rev1() {   # check_rev1 FILE
    "$PY" - "$1" <<'PYEOF' || fail "$1: not revision 1"
import sys
d = open(sys.argv[1], "rb").read()
want = [b"'first\r\nsecond'", b"'lone\rcr'", b"'ends in cr\r'", b",'\r',",
        b"CAST(X'61006200' AS TEXT)", b"CAST(X'ff41fe0d0a' AS TEXT)", b"X'00ff0d0a2778'",
        b"1e999", b"-1e999", b"9223372036854775807", b"-0.0"]
for w in want:
    if w not in d:
        sys.exit("%s: no %r" % (sys.argv[1], w))
for w in (b"'lone'||char(13)||'cr'", b"char(0)"):
    if w in d:
        sys.exit("%s: %r (revision 2)" % (sys.argv[1], w))
PYEOF
}
for g in "$G1" "$G2"; do
    db=$T/v2.db; [ "$g" = "$G1" ] || db=$T/v2b.db
    f=$M/$g/notes/notes.sql
    check_rev1 "$f"
    size=$(stat -c %s "$f")
    [ "$size" = "$(wc -c <"$f")" ] || fail "$g notes.sql: st_size $size, $(wc -c <"$f") bytes read"
    for t in notes kv events; do
        n=$(tr -cd '\r' <"$M/$g/$t/$t.sql" | wc -c)
        [ "$n" = "$(crs "$db" "$t")" ] || fail "$g $t.sql: $n raw CRs, the source's text has $(crs "$db" "$t")"
    done
    [ "$(tr -cd '\r' <"$M/$g/kv/kv.sql" | wc -c)" -gt 0 ] || fail "$g kv.sql: no raw CR"
    "$STRATA" cat "$R" "$g/notes/notes.sql" >"$T/cat.sql" || fail "strata cat $g/notes/notes.sql"
    cmp "$T/cat.sql" "$f" || fail "$g notes.sql: strata cat and the mount differ"
    dd if="$f" bs=777 status=none | cmp - "$f" || fail "$g notes.sql: reads of 777 bytes differ"
    # every view file, through strata cat as through the mount
    (cd "$M" && find "$g" -type f \( -name '*.sql' -o -name '*.jsonl' \)) >"$T/views.list"
    [ "$(wc -l <"$T/views.list")" -ge 30 ] || fail "$g: only $(wc -l <"$T/views.list") view files"
    while IFS= read -r p; do
        "$STRATA" cat "$R" "$p" >"$T/cat.out" 2>"$T/cat.err" || fail "strata cat $p: $(cat "$T/cat.err")"
        cmp -s "$T/cat.out" "$M/$p" || fail "$p: strata cat and the mount differ"
    done <"$T/views.list"
done
# every file of both trees (each .csv, .jsonl and .sql read whole: no EIO, the
# sizes the manifests recorded) is what 27985a0's stratafs served
OLD_TREE=$(cat <<'EOF'
d 555 2026-02-01T000000Z
f 444 573 0e56ceb11a5ebc10 2026-02-01T000000Z/generation.json
f 444 424 f490929219ecd297 2026-02-01T000000Z/schema.sql
d 555 2026-02-01T000000Z/events
f 444 410 0f4dd19876864cba 2026-02-01T000000Z/events/events.csv
f 444 962 e8cfe5ab8f034033 2026-02-01T000000Z/events/events.jsonl
f 444 2283 1b80fa7076e29bb0 2026-02-01T000000Z/events/events.sql
f 444 70 0fe7e3f036d4f554 2026-02-01T000000Z/events/schema.sql
d 555 2026-02-01T000000Z/events/rows
f 444 410 0f4dd19876864cba 2026-02-01T000000Z/events/rows/0000000000000000001+0000000000000000035.csv
f 444 962 e8cfe5ab8f034033 2026-02-01T000000Z/events/rows/0000000000000000001+0000000000000000035.jsonl
f 444 2283 1b80fa7076e29bb0 2026-02-01T000000Z/events/rows/0000000000000000001+0000000000000000035.sql
d 555 2026-02-01T000000Z/kv
f 444 1699 7c8fca0c70a9788e 2026-02-01T000000Z/kv/kv.csv
f 444 3528 1b8c275bdab6b22f 2026-02-01T000000Z/kv/kv.jsonl
f 444 6222 63dfc5ff98cd764e 2026-02-01T000000Z/kv/kv.sql
f 444 54 0dbf083a3641f67c 2026-02-01T000000Z/kv/schema.sql
d 555 2026-02-01T000000Z/kv/rows
f 444 1699 7c8fca0c70a9788e 2026-02-01T000000Z/kv/rows/cr-0Dkey+key119.csv
f 444 3528 1b8c275bdab6b22f 2026-02-01T000000Z/kv/rows/cr-0Dkey+key119.jsonl
f 444 6222 63dfc5ff98cd764e 2026-02-01T000000Z/kv/rows/cr-0Dkey+key119.sql
d 555 2026-02-01T000000Z/notes
f 444 28717 18f04262b9661770 2026-02-01T000000Z/notes/notes.csv
f 444 46648 82050b51e83e7595 2026-02-01T000000Z/notes/notes.jsonl
f 444 70302 4e1fd7506fa623fc 2026-02-01T000000Z/notes/notes.sql
f 444 215 a7b564aea7aeb561 2026-02-01T000000Z/notes/schema.sql
d 555 2026-02-01T000000Z/notes/rows
f 444 1094 b7a241de9ae8fb09 2026-02-01T000000Z/notes/rows/0000000000000000001+0000000000000000113.csv
f 444 2031 1004a2bf8b193d6f 2026-02-01T000000Z/notes/rows/0000000000000000001+0000000000000000113.jsonl
f 444 3583 2de85b4be1f02cdc 2026-02-01T000000Z/notes/rows/0000000000000000001+0000000000000000113.sql
f 444 6186 c81c96ef6c80d9de 2026-02-01T000000Z/notes/rows/0000000000000000114+0000000000000000246.csv
f 444 10028 6a80e7fafd557d8a 2026-02-01T000000Z/notes/rows/0000000000000000114+0000000000000000246.jsonl
f 444 15044 354f284df1e8b517 2026-02-01T000000Z/notes/rows/0000000000000000114+0000000000000000246.sql
f 444 3381 3596e10609b48b88 2026-02-01T000000Z/notes/rows/0000000000000000247+0000000000000000318.csv
f 444 5454 eedd08b62ac1bf12 2026-02-01T000000Z/notes/rows/0000000000000000247+0000000000000000318.jsonl
f 444 8170 6cef780d30793bbc 2026-02-01T000000Z/notes/rows/0000000000000000247+0000000000000000318.sql
f 444 10530 c145a4878ace7852 2026-02-01T000000Z/notes/rows/0000000000000000319+0000000000000000540.csv
f 444 16953 466e23af2ac7661d 2026-02-01T000000Z/notes/rows/0000000000000000319+0000000000000000540.jsonl
f 444 25325 f08b13fa90f050e8 2026-02-01T000000Z/notes/rows/0000000000000000319+0000000000000000540.sql
f 444 3064 bf42c4abfa5742c9 2026-02-01T000000Z/notes/rows/0000000000000000541+0000000000000000604.csv
f 444 4905 b84bd1a409f145a2 2026-02-01T000000Z/notes/rows/0000000000000000541+0000000000000000604.jsonl
f 444 7319 dc44e9504137195c 2026-02-01T000000Z/notes/rows/0000000000000000541+0000000000000000604.sql
f 444 4537 ee962508be634214 2026-02-01T000000Z/notes/rows/0000000000000000605+0000000000000000699.csv
f 444 7277 655487752fb21bf3 2026-02-01T000000Z/notes/rows/0000000000000000605+0000000000000000699.jsonl
f 444 10861 936baafc5cb6f2e3 2026-02-01T000000Z/notes/rows/0000000000000000605+0000000000000000699.sql
d 555 2026-02-01T000000Z/sqlite_sequence
f 444 89 5a31e16c00c93497 2026-02-01T000000Z/sqlite_sequence/schema.sql
f 444 19 8d02c79e318b6056 2026-02-01T000000Z/sqlite_sequence/sqlite_sequence.csv
f 444 27 0bd91b7e656b8795 2026-02-01T000000Z/sqlite_sequence/sqlite_sequence.jsonl
f 444 73 a999be21ac5ecad5 2026-02-01T000000Z/sqlite_sequence/sqlite_sequence.sql
d 555 2026-02-01T000000Z/sqlite_sequence/rows
f 444 19 8d02c79e318b6056 2026-02-01T000000Z/sqlite_sequence/rows/0000000000000000001+0000000000000000001.csv
f 444 27 0bd91b7e656b8795 2026-02-01T000000Z/sqlite_sequence/rows/0000000000000000001+0000000000000000001.jsonl
f 444 73 a999be21ac5ecad5 2026-02-01T000000Z/sqlite_sequence/rows/0000000000000000001+0000000000000000001.sql
d 555 2026-02-02T000000Z
f 444 575 c4475b7b581cebf1 2026-02-02T000000Z/generation.json
f 444 424 f490929219ecd297 2026-02-02T000000Z/schema.sql
d 555 2026-02-02T000000Z/events
f 444 423 efa4f2828c8de301 2026-02-02T000000Z/events/events.csv
f 444 991 67440a275eee49a3 2026-02-02T000000Z/events/events.jsonl
f 444 2350 a53cc52a85095484 2026-02-02T000000Z/events/events.sql
f 444 70 0fe7e3f036d4f554 2026-02-02T000000Z/events/schema.sql
d 555 2026-02-02T000000Z/events/rows
f 444 423 efa4f2828c8de301 2026-02-02T000000Z/events/rows/0000000000000000001+0000000000000000041.csv
f 444 991 67440a275eee49a3 2026-02-02T000000Z/events/rows/0000000000000000001+0000000000000000041.jsonl
f 444 2350 a53cc52a85095484 2026-02-02T000000Z/events/rows/0000000000000000001+0000000000000000041.sql
d 555 2026-02-02T000000Z/kv
f 444 1541 5def2f927fb067c3 2026-02-02T000000Z/kv/kv.csv
f 444 3208 cb5218fd1d44368c 2026-02-02T000000Z/kv/kv.jsonl
f 444 5659 a146a8ae28666030 2026-02-02T000000Z/kv/kv.sql
f 444 54 0dbf083a3641f67c 2026-02-02T000000Z/kv/schema.sql
d 555 2026-02-02T000000Z/kv/rows
f 444 1541 5def2f927fb067c3 2026-02-02T000000Z/kv/rows/key010+key119.csv
f 444 3208 cb5218fd1d44368c 2026-02-02T000000Z/kv/rows/key010+key119.jsonl
f 444 5659 a146a8ae28666030 2026-02-02T000000Z/kv/rows/key010+key119.sql
d 555 2026-02-02T000000Z/notes
f 444 28730 e7c94927f8307dd9 2026-02-02T000000Z/notes/notes.csv
f 444 46689 f20778c3a3fb6724 2026-02-02T000000Z/notes/notes.jsonl
f 444 70379 cd5abbff081cd676 2026-02-02T000000Z/notes/notes.sql
f 444 215 a7b564aea7aeb561 2026-02-02T000000Z/notes/schema.sql
d 555 2026-02-02T000000Z/notes/rows
f 444 1094 b7a241de9ae8fb09 2026-02-02T000000Z/notes/rows/0000000000000000001+0000000000000000113.csv
f 444 2031 1004a2bf8b193d6f 2026-02-02T000000Z/notes/rows/0000000000000000001+0000000000000000113.jsonl
f 444 3583 2de85b4be1f02cdc 2026-02-02T000000Z/notes/rows/0000000000000000001+0000000000000000113.sql
f 444 6186 c81c96ef6c80d9de 2026-02-02T000000Z/notes/rows/0000000000000000114+0000000000000000246.csv
f 444 10028 6a80e7fafd557d8a 2026-02-02T000000Z/notes/rows/0000000000000000114+0000000000000000246.jsonl
f 444 15044 354f284df1e8b517 2026-02-02T000000Z/notes/rows/0000000000000000114+0000000000000000246.sql
f 444 3381 3596e10609b48b88 2026-02-02T000000Z/notes/rows/0000000000000000247+0000000000000000318.csv
f 444 5454 eedd08b62ac1bf12 2026-02-02T000000Z/notes/rows/0000000000000000247+0000000000000000318.jsonl
f 444 8170 6cef780d30793bbc 2026-02-02T000000Z/notes/rows/0000000000000000247+0000000000000000318.sql
f 444 10530 c145a4878ace7852 2026-02-02T000000Z/notes/rows/0000000000000000319+0000000000000000540.csv
f 444 16953 466e23af2ac7661d 2026-02-02T000000Z/notes/rows/0000000000000000319+0000000000000000540.jsonl
f 444 25325 f08b13fa90f050e8 2026-02-02T000000Z/notes/rows/0000000000000000319+0000000000000000540.sql
f 444 3064 bf42c4abfa5742c9 2026-02-02T000000Z/notes/rows/0000000000000000541+0000000000000000604.csv
f 444 4905 b84bd1a409f145a2 2026-02-02T000000Z/notes/rows/0000000000000000541+0000000000000000604.jsonl
f 444 7319 dc44e9504137195c 2026-02-02T000000Z/notes/rows/0000000000000000541+0000000000000000604.sql
f 444 4550 633b82946e7278a3 2026-02-02T000000Z/notes/rows/0000000000000000605+0000000000000001000.csv
f 444 7318 78b41431e2273706 2026-02-02T000000Z/notes/rows/0000000000000000605+0000000000000001000.jsonl
f 444 10938 abdb5056a2805674 2026-02-02T000000Z/notes/rows/0000000000000000605+0000000000000001000.sql
d 555 2026-02-02T000000Z/sqlite_sequence
f 444 89 5a31e16c00c93497 2026-02-02T000000Z/sqlite_sequence/schema.sql
f 444 19 04c33e4721de4242 2026-02-02T000000Z/sqlite_sequence/sqlite_sequence.csv
f 444 27 6f5028bbeb5efd1a 2026-02-02T000000Z/sqlite_sequence/sqlite_sequence.jsonl
f 444 73 a642e821a7ec336c 2026-02-02T000000Z/sqlite_sequence/sqlite_sequence.sql
d 555 2026-02-02T000000Z/sqlite_sequence/rows
f 444 19 04c33e4721de4242 2026-02-02T000000Z/sqlite_sequence/rows/0000000000000000001+0000000000000000001.csv
f 444 27 6f5028bbeb5efd1a 2026-02-02T000000Z/sqlite_sequence/rows/0000000000000000001+0000000000000000001.jsonl
f 444 73 a642e821a7ec336c 2026-02-02T000000Z/sqlite_sequence/rows/0000000000000000001+0000000000000000001.sql
EOF
)
walk "$M" "$G1" "$G2" >"$T/tree.out" || fail "reading the trees failed (see above)"
[ "$(cat "$T/tree.out")" = "$OLD_TREE" ] ||
    fail "the trees differ from what 27985a0 served: $(diff <(echo "$OLD_TREE") "$T/tree.out" | head -c 2000)"
umount_fs "$M"

# --- (e) strata restore of each generation is its source
for g in "$G1" "$G2"; do
    db=$T/v2.db; [ "$g" = "$G1" ] || db=$T/v2b.db
    "$STRATA" restore "$R" "$g" --to "$T/restored-$g.db" >"$T/r.out" 2>"$T/r.err" ||
        fail "restore $g: $(cat "$T/r.out" "$T/r.err")"
    [ ! -s "$T/r.err" ] || fail "restore of a version 2 generation said: $(cat "$T/r.err")"
    same_all "$db" "$T/restored-$g.db" "restore of $g"
done
# reading changed nothing of the repository
repo_files >"$T/repo.after"
cmp -s "$T/repo.before" "$T/repo.after" || fail "reading changed the repository: $(diff "$T/repo.before" "$T/repo.after")"

# --- (f) a new backup writes a version 5 generation (revision 2, dump.sql, its database name)
# and leaves the version 2 ones as they were
"$STRATA" backup "$R" "$T/v2.db" --at 2026-02-03T00:00:00Z >"$T/b.out" 2>&1 ||
    fail "backup: $(cat "$T/b.out")"
grep -q "^generation $G3: " "$T/b.out" || fail "backup said: $(cat "$T/b.out")"
[ "$(manifest_version "$R/generations/$G3.gen")" = 5 ] || fail "$G3: manifest version $(manifest_version "$R/generations/$G3.gen")"
for g in "$G1" "$G2"; do
    cmp -s "$FX/v2-repo/generations/$g.gen" "$R/generations/$g.gen" || fail "the backup rewrote $g.gen"
done
[ "$(awk 'NR > 1 { print $1 }' <("$STRATA" ls "$R"))" = "$G1
$G2
$G3" ] || fail "ls after the backup: $("$STRATA" ls "$R")"
mount_fs "$R" "$M"
[ "$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["format"])' "$M/$G3/generation.json")" = 6 ] ||
    fail "$G3: generation.json format: $(head -c 300 "$M/$G3/generation.json")"
[ -f "$M/$G3/dump.sql" ] && [ -f "$M/$G3/schema.pg.sql" ] && [ -f "$M/$G3/notes/schema.pg.sql" ] ||
    fail "$G3 has no dump.sql or schema.pg.sql: $(ls "$M/$G3")"
oracle compare-mount "$T/v2.db" "$M/$G3" || fail "$G3 differs from its source"
# the same chunks render in revision 2 there: CR and NUL in text as char(13), char(0)
grep -qaF "'lone'||char(13)||'cr'" "$M/$G3/notes/notes.sql" || fail "$G3 notes.sql: not revision 2"
grep -qaF "'a'||char(0)||'b'||char(0)||''" "$M/$G3/notes/notes.sql" || fail "$G3 notes.sql: NUL not in revision 2"
for t in notes kv events; do
    [ "$(tr -cd '\r' <"$M/$G3/$t/$t.sql" | wc -c)" = 0 ] || fail "$G3 $t.sql: a raw CR in revision 2"
done
# dump.sql replayed by sqlite3 is the source, CR text intact
"$STRATA" cat "$R" "$G3/dump.sql" >"$T/dump.sql" || fail "strata cat $G3/dump.sql"
cmp "$T/dump.sql" "$M/$G3/dump.sql" || fail "$G3/dump.sql: strata cat and the mount differ"
[ "$(stat -c %s "$M/$G3/dump.sql")" = "$(wc -c <"$T/dump.sql")" ] || fail "$G3/dump.sql: st_size"
sqlite3 "$T/replayed.db" <"$T/dump.sql" >"$T/replay.out" 2>&1 || fail "dump.sql does not replay: $(head -c 500 "$T/replay.out")"
[ ! -s "$T/replay.out" ] || fail "dump.sql replay said: $(head -c 500 "$T/replay.out")"
same_all "$T/v2.db" "$T/replayed.db" "dump.sql of $G3 replayed"
[ "$(sqlite3 "$T/replayed.db" "SELECT hex(body) FROM notes WHERE id = 1")" = 66697273740D0A7365636F6E64 ] ||
    fail "dump.sql lost the CR of CR LF"
# the version 2 generations: still no dump.sql, still every byte as before
for g in "$G1" "$G2"; do
    found=$(find "$M/$g" \( -name dump.sql -o -name schema.pg.sql \) -print)
    [ -z "$found" ] || fail "after the backup $g serves $found"
done
walk "$M" "$G1" "$G2" >"$T/tree2.out" || fail "reading the trees after the backup failed"
[ "$(cat "$T/tree2.out")" = "$OLD_TREE" ] ||
    fail "after the backup the trees differ: $(diff <(echo "$OLD_TREE") "$T/tree2.out" | head -c 2000)"
umount_fs "$M"
# a catalog rebuilt from nothing, with the version 3 generation sharing the chunks, serves them the same
"$STRATA" index "$R" --rebuild >"$T/rebuild.out" 2>&1 || fail "index --rebuild: $(cat "$T/rebuild.out")"
mount_fs "$R" "$M"
walk "$M" "$G1" "$G2" >"$T/tree3.out" || fail "reading the trees after a rebuild failed"
[ "$(cat "$T/tree3.out")" = "$OLD_TREE" ] ||
    fail "after index --rebuild the trees differ: $(diff <(echo "$OLD_TREE") "$T/tree3.out" | head -c 2000)"
grep -qaF "'lone'||char(13)||'cr'" "$M/$G3/notes/notes.sql" || fail "$G3 notes.sql after a rebuild: not revision 2"
umount_fs "$M"
echo ok
