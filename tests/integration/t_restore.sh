#!/bin/bash
# strata restore gives the database back exactly (DESIGN.md invariant 7):
# for every generation of a five-generation history of a database with the
# awkward cases (mixed-type keys in a WITHOUT ROWID table, AUTOINCREMENT
# with deleted rows, a rowid table without an alias with gaps, generated
# columns, STRICT, FTS5, ANALYZE, user_version/application_id, page size,
# text that is not UTF-8, blobs with NULs, +-2^63, -0.0, +-Infinity, views,
# triggers, partial and expression indexes, a table added and one dropped),
# and for Debian's proj.db (a real database nobody here wrote: 36 tables,
# 35 triggers, 7 views): `sqlite3 X '.dump --preserve-rowids'` of the
# source as it was at backup time and of the restore are byte-identical,
# user_version and application_id are equal and integrity_check is ok.
# --table restores equal the source's .dump of those tables; the same for
# <generation>/dump.sql replayed by sqlite3 (through the mount and strata cat); a generation
# from an older strata restores what it has and says what it lacks; errors
# leave nothing behind.
. "$(dirname "$0")/lib.sh"
require_bins
command -v sqlite3 >/dev/null || skip "sqlite3 missing"

R=$T/repo DB=$T/src.db
# the .dump of one table (a LIKE pattern: these names hold no % or _ ... but docs_ tables)
dump_table() { sqlite3 "$1" ".dump --preserve-rowids '$2'"; }

oracle make-restore "$DB"
"$STRATA" init "$R" --chunk-size 4096 >/dev/null
gens=()
for step in 0 1 2 3 4; do
    [ "$step" = 0 ] || oracle mutate-restore "$DB" "$step"
    cp "$DB" "$T/snap$step.db"   # the database as this backup saw it
    "$STRATA" backup "$R" "$DB" --at "2026-11-2${step}T02:00:00Z" >/dev/null || fail "backup $step"
    gens+=("2026-11-2${step}T020000Z")
done
for step in 0 1 2 3 4; do
    out=$T/restored$step.db
    "$STRATA" restore "$R" "${gens[$step]}" --to "$out" >"$T/r.out" 2>"$T/r.err" ||
        fail "restore of ${gens[$step]}: $(cat "$T/r.out" "$T/r.err")"
    [ ! -s "$T/r.err" ] || fail "restore of a new generation said: $(cat "$T/r.err")"
    grep -q "^restored generation ${gens[$step]}: " "$T/r.out" || fail "summary: $(cat "$T/r.out")"
    same_db "$T/snap$step.db" "$out" "generation $step"
done
note "5 generations restored, .dump identical"
# the FTS5 index works in the restore, not only its rows
[ "$(sqlite3 "$T/restored4.db" "SELECT count(*) FROM docs WHERE docs MATCH 'gamma'")" = \
  "$(sqlite3 "$T/snap4.db" "SELECT count(*) FROM docs WHERE docs MATCH 'gamma'")" ] || fail "FTS5 query differs"
# latest is the newest generation
"$STRATA" restore "$R" latest --to "$T/latest.db" >/dev/null || fail "restore latest"
same_db "$T/snap4.db" "$T/latest.db" "latest"

# <generation>/dump.sql through the mount: the same contract with
# `sqlite3 NEW.db < dump.sql`; its size is exact; strata cat gives the same
# bytes; a read of odd-sized blocks (crossing every text/rows boundary at
# another place) gives the same bytes too
M=$T/mnt
mount_fs "$R" "$M"
for step in 0 1 2 3 4; do
    d=$M/${gens[$step]}/dump.sql
    sqlite3 "$T/dumped$step.db" <"$d" 2>"$T/d.err" || fail "dump.sql of ${gens[$step]} does not replay: $(head -c 500 "$T/d.err")"
    [ ! -s "$T/d.err" ] || fail "dump.sql of ${gens[$step]} replays with messages: $(head -c 500 "$T/d.err")"
    same_db "$T/snap$step.db" "$T/dumped$step.db" "dump.sql of generation $step"
    [ "$(stat -c %s "$d")" = "$(wc -c <"$d")" ] || fail "dump.sql: stat size $(stat -c %s "$d"), read $(wc -c <"$d")"
    "$STRATA" cat "$R" "${gens[$step]}/dump.sql" >"$T/cat.sql" || fail "strata cat dump.sql"
    cmp -s "$T/cat.sql" "$d" || fail "strata cat and the mount differ on dump.sql of ${gens[$step]}"
done
dd if="$M/${gens[4]}/dump.sql" bs=4093 iflag=direct status=none >"$T/odd.sql" 2>/dev/null ||
    dd if="$M/${gens[4]}/dump.sql" bs=4093 status=none >"$T/odd.sql"
cmp -s "$T/odd.sql" "$T/cat.sql" || fail "dump.sql read in 4093-byte blocks differs"
note "dump.sql of 5 generations replayed, .dump identical"
umount_fs "$M"
mount_fs "$R" "$M" -o formats=csv
[ ! -e "$M/${gens[4]}/dump.sql" ] || fail "dump.sql shown without the SQL format"
umount_fs "$M"

# --table: those tables with their indexes and triggers, as .dump shows them
for name in keys seqd docs gaps 'odd "name"/x'; do
    rm -f "$T/one.db"
    "$STRATA" restore "$R" latest --to "$T/one.db" --table "$name" >/dev/null ||
        fail "restore --table $name"
    dump_table "$T/snap4.db" "$name" >"$T/want.sql"
    dump_table "$T/one.db" "$name" >"$T/got.sql"
    cmp -s "$T/want.sql" "$T/got.sql" || fail "--table $name: $(diff "$T/want.sql" "$T/got.sql" | head -c 1000)"
    others=$(sqlite3 "$T/one.db" "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'docs_%' AND name <> '$(echo "$name" | sed "s/'/''/g")'")
    [ -z "$others" ] || fail "--table $name restored other tables too: $others"
done
sqlite3 "$T/one.db" "PRAGMA integrity_check" | grep -qx ok || fail "--table restore is not intact"

# a real database nobody here wrote
PROJ=/usr/share/proj/proj.db
if [ -r "$PROJ" ]; then
    R2=$T/repo2
    cp "$PROJ" "$T/proj.db"
    "$STRATA" init "$R2" >/dev/null
    "$STRATA" backup "$R2" "$T/proj.db" >/dev/null || fail "backup of proj.db"
    "$STRATA" restore "$R2" latest --to "$T/proj-restored.db" >/dev/null || fail "restore of proj.db"
    same_db "$T/proj.db" "$T/proj-restored.db" "proj.db"
    "$STRATA" cat "$R2" latest/dump.sql | sqlite3 "$T/proj-dumped.db" || fail "dump.sql of proj.db"
    same_db "$T/proj.db" "$T/proj-dumped.db" "dump.sql of proj.db"
    note "proj.db: $(sqlite3 "$PROJ" "SELECT count(*) FROM sqlite_schema") schema objects, .dump identical"
else
    note "proj.db not installed (Debian package proj-data): that part is left out"
fi

# a UTF-16 database with CR and NUL inside text, a view and an index whose
# SQL ends in a comment, and a sqlite_sequence its AUTOINCREMENT table left
# behind (which no script or restore can make: the source's .dump is
# compared without its "DELETE FROM sqlite_sequence;"); dump.sql replays it
# the way `.dump | sqlite3` does, so the index is left out of its part
R3=$T/repo16 U=$T/u16.db
make_u16() {   # make_u16 DB WITH_INDEX
    "$PY" - "$1" "$2" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA encoding='UTF-16le'")
c.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)")
c.executemany("INSERT INTO t VALUES(?,?)", [(1, "a\r\nb"), (2, "x\x00y\r"), (3, "\r"), (4, "plain")])
c.execute("CREATE VIEW v AS SELECT b FROM t -- the last line is a comment")
if sys.argv[2] == "1":
    c.execute("CREATE INDEX t_b ON t(b) WHERE a > 1 -- so is this one's")
c.execute("CREATE TABLE gone(id INTEGER PRIMARY KEY AUTOINCREMENT)")
c.execute("INSERT INTO gone VALUES(7)")
c.execute("DROP TABLE gone")
c.execute("PRAGMA user_version=16")
c.commit()
PYEOF
}
same_u16() {   # same_u16 SRC NEW WHAT
    sqlite3 "$1" '.dump --preserve-rowids' | grep -vx 'DELETE FROM sqlite_sequence;' >"$T/want.sql"
    sqlite3 "$2" '.dump --preserve-rowids' >"$T/got.sql"
    cmp -s "$T/want.sql" "$T/got.sql" || fail "$3: .dump differs: $(diff "$T/want.sql" "$T/got.sql" | head -c 800)"
    [ "$(sqlite3 "$2" 'PRAGMA encoding; PRAGMA user_version; PRAGMA integrity_check' | tr '\n' ' ')" = "UTF-16le 16 ok " ] ||
        fail "$3: $(sqlite3 "$2" 'PRAGMA encoding; PRAGMA user_version; PRAGMA integrity_check' | tr '\n' ' ')"
    [ "$(sqlite3 "$2" "SELECT hex(CAST(b AS BLOB)) FROM t WHERE a=2")" = 7800000079000D00 ] ||
        fail "$3: NUL and CR text differ"
}
"$STRATA" init "$R3" >/dev/null
for with_index in 1 0; do
    rm -f "$U"
    make_u16 "$U" "$with_index"
    "$STRATA" backup "$R3" "$U" >/dev/null || fail "backup of a UTF-16 database"
    rm -f "$T/u16-restored.db"
    "$STRATA" restore "$R3" latest --to "$T/u16-restored.db" >/dev/null || fail "restore of a UTF-16 database"
    same_u16 "$U" "$T/u16-restored.db" "restore of a UTF-16 database (index $with_index)"
done
"$STRATA" cat "$R3" latest/dump.sql >"$T/u16.sql" || fail "strata cat dump.sql of a UTF-16 database"
sqlite3 "$T/u16-dumped.db" <"$T/u16.sql" 2>"$T/d.err" && [ ! -s "$T/d.err" ] ||
    fail "dump.sql of a UTF-16 database does not replay: $(cat "$T/d.err")"
same_u16 "$U" "$T/u16-dumped.db" "dump.sql of a UTF-16 database"

# a generation written by an older strata (manifest 1): restored, and what it lacks is said
FX=$(cd "$(dirname "$0")/../fixtures" && pwd)
cp -r "$FX/v1-repo" "$T/v1" && mkdir -p "$T/v1/tmp"
"$STRATA" restore "$T/v1" latest --to "$T/v1.db" >"$T/r.out" 2>"$T/r.err" || fail "restore of a v1 generation: $(cat "$T/r.err")"
grep -q "was made by an older strata and does not have sqlite_sequence" "$T/r.err" ||
    fail "restore of a v1 generation does not say what it lacks: $(cat "$T/r.err")"
# the order of tables was not recorded: each table's .dump is equal
for name in $(sqlite3 "$FX/v1-source.db" "SELECT name FROM sqlite_schema WHERE type='table'"); do
    dump_table "$FX/v1-source.db" "$name" >"$T/want.sql"
    dump_table "$T/v1.db" "$name" >"$T/got.sql"
    cmp -s "$T/want.sql" "$T/got.sql" || fail "v1 restore of $name: $(diff "$T/want.sql" "$T/got.sql" | head -c 1000)"
done
sqlite3 "$T/v1.db" "PRAGMA integrity_check" | grep -qx ok || fail "v1 restore is not intact"
# ... and has no dump.sql: its settings and the order of its objects are unknown
! "$STRATA" cat "$T/v1" latest/dump.sql >/dev/null 2>&1 || fail "a v1 generation has a dump.sql"

# errors: one line, nothing left behind
expect_err 1 "already exists; restore into a new file" "$STRATA" restore "$R" latest --to "$T/latest.db"
expect_err 1 "has no generation 'nope'" "$STRATA" restore "$R" nope --to "$T/x.db"
expect_err 1 "has no table 'nope'" "$STRATA" restore "$R" latest --to "$T/x.db" --table nope
expect_err 2 "--to NEW.db is needed" "$STRATA" restore "$R" latest
expect_err 2 "a repository and a generation" "$STRATA" restore "$R"
[ ! -e "$T/x.db" ] || fail "a failed restore left $T/x.db"
# damaged data: status 3, no target, no temporary file
cp -r "$R" "$T/bad"
# the chunk to damage is chosen from the catalog, not by where bytes land:
# the first chunk of table vals in the first generation, a byte in its middle
"$PY" - "$T/bad" <<'PYEOF'
import os, sqlite3, sys
r = sys.argv[1]
c = sqlite3.connect(os.path.join(r, "catalog.db"))
name, off, clen = c.execute(
    "SELECT p.name, ch.offset, ch.clen FROM tables t JOIN table_chunks tc ON tc.seq = t.seq AND tc.tidx = t.tidx"
    " JOIN chunks ch ON ch.id = tc.chunk_id JOIN packs p ON p.pack_id = ch.pack_id"
    " WHERE t.seq = 1 AND t.name = 'vals' ORDER BY tc.seqno LIMIT 1").fetchone()
p = os.path.join(r, "packs", name[:2], name + ".pack")
pos = off + clen // 2
with open(p, "r+b") as f:
    f.seek(pos); b = f.read(1); f.seek(pos); f.write(bytes([b[0] ^ 0x5a]))
PYEOF
mkdir "$T/out"
rc=0
"$STRATA" restore "$T/bad" "${gens[0]}" --to "$T/out/bad.db" >/dev/null 2>"$T/err" || rc=$?
[ $rc -eq 3 ] || fail "restore of damaged data: exit $rc, want 3: $(cat "$T/err")"
grep -q "bad chunk" "$T/err" || fail "restore of damaged data does not name the chunk: $(cat "$T/err")"
[ -z "$(ls -A "$T/out")" ] || fail "a failed restore left files: $(ls -A "$T/out")"
echo ok
