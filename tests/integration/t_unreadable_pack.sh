#!/bin/bash
# An unreadable pack (deleted, truncated, replaced by a directory, or its
# bytes zeroed): reading any file that needs one of its chunks fails with
# EIO; every other file of every generation reads exactly as before; the
# mount stays up; `strata verify` names the damage and the generations it
# touches.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/s.db
oracle make-shop "$DB" --day 1 --orders 3000
"$STRATA" init "$R" --chunk-size 4K --pack-size 32K >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-01T00:00:00Z >/dev/null || fail "backup 1"
cp "$DB" "$T/d1.db"
oracle make-shop "$DB" --day 3
"$STRATA" backup "$R" "$DB" --at 2026-11-03T00:00:00Z >/dev/null || fail "backup 2"
cp "$DB" "$T/d3.db"

# the good bytes, checked against the oracle, kept aside
mount_fs "$R" "$M"
oracle compare-mount "$T/d1.db" "$M/2026-11-01T000000Z" >/dev/null || fail "generation 1 differs before any damage"
oracle compare-mount "$T/d3.db" "$M/2026-11-03T000000Z" >/dev/null || fail "generation 2 differs before any damage"
cp -r "$M/2026-11-01T000000Z" "$M/2026-11-03T000000Z" "$T/good/" 2>/dev/null ||
    { mkdir -p "$T/good" && cp -r "$M/2026-11-01T000000Z" "$M/2026-11-03T000000Z" "$T/good/"; }
umount_fs "$M"
cp "$R/catalog.db" "$T/catalog-copy.db"

# check_damage HOW PACK: mount fresh (in the foreground, so its log lines reach
# the log file) and read every file of both generations
check_damage() {
    local how=$1 pack=$2
    : >"$T/stratafs.mnt.log"
    STRATA_MOUNT_FG=1 mount_fs "$R" "$M"
    "$PY" - "$T/catalog-copy.db" "$pack" "$M" "$T/good" "$how" <<'PYEOF' || fail "$how: wrong result (see above)"
import errno, os, sqlite3, sys
cat, pack, mnt, good, how = sys.argv[1:]
con = sqlite3.connect(cat)
# which (generation, table dir, row-range file) need a chunk of the damaged pack
need = set()
for gname, dirname, fname in con.execute(
        "SELECT g.name, t.dirname, tc.fname FROM table_chunks tc"
        " JOIN generations g ON g.seq = tc.seq"
        " JOIN tables t ON t.seq = tc.seq AND t.tidx = tc.tidx"
        " JOIN chunks c ON c.id = tc.chunk_id JOIN packs p ON p.pack_id = c.pack_id"
        " WHERE p.name = ?", (pack,)):
    for ext in (".csv", ".jsonl", ".sql"):  # every format of the file and of the table
        need.add((gname, dirname, "rows/" + fname[:-4] + ext))
        need.add((gname, dirname, dirname + ext))
    need.add((gname, "dump.sql", ""))  # the generation's dump.sql holds every table's rows
# changes.csv/.jsonl read the chunks that differ from the table's previous
# version (all of them for a table new in its generation)
ids, damaged, order = {}, set(), []
for gname, dirname, cid, pname in con.execute(
        "SELECT g.name, t.dirname, tc.chunk_id, p.name FROM table_chunks tc"
        " JOIN generations g ON g.seq = tc.seq"
        " JOIN tables t ON t.seq = tc.seq AND t.tidx = tc.tidx"
        " JOIN chunks c ON c.id = tc.chunk_id JOIN packs p ON p.pack_id = c.pack_id"):
    ids.setdefault((gname, dirname), set()).add(cid)
    if pname == pack:
        damaged.add(cid)
for gname, dirname in con.execute(
        "SELECT g.name, t.dirname FROM tables t JOIN generations g ON g.seq = t.seq"
        " ORDER BY t.dirname, g.time, g.seq"):
    order.append((gname, dirname))
for i, (gname, dirname) in enumerate(order):
    prev = order[i - 1] if i and order[i - 1][1] == dirname else None
    cur = ids.get((gname, dirname), set())
    diff = cur ^ ids.get(prev, set()) if prev else cur
    if diff & damaged:
        for ext in (".csv", ".jsonl"):
            need.add((gname, dirname, "changes" + ext))
eio = ok = 0
bad = []
for gname in sorted(os.listdir(good)):
    for root, dirs, files in os.walk(os.path.join(good, gname)):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), os.path.join(good, gname))
            parts = rel.split(os.sep)
            key = (gname, parts[0], "/".join(parts[1:]))
            try:
                with open(os.path.join(mnt, gname, rel), "rb") as fh:
                    got = fh.read()
                err = None
            except OSError as e:
                err = e.errno
            if key in need:
                if err != errno.EIO:
                    bad.append("%s/%s: expected EIO, got %s" % (gname, rel, "data" if err is None else os.strerror(err)))
                eio += 1
            else:
                if err is not None:
                    bad.append("%s/%s: needs no damaged chunk but failed: %s" % (gname, rel, os.strerror(err)))
                elif got != open(os.path.join(root, f), "rb").read():
                    bad.append("%s/%s: WRONG BYTES" % (gname, rel))
                ok += 1
if not need:
    bad.append("the damaged pack holds no chunk of any file: the test checks nothing")
for b in bad[:20]:
    print(b)
print("# %s: %d files failed with EIO as they must, %d files read correctly" % (how, eio, ok))
sys.exit(1 if bad else 0)
PYEOF
    [ -d "$M/2026-11-01T000000Z" ] || fail "$how: the mount died"
    grep -q "pack" "$T"/stratafs.mnt.log || fail "$how: stratafs logged nothing about the damaged pack"
    umount_fs "$M"
    rc=0
    "$STRATA" verify "$R" --quick >"$T/v.out" 2>"$T/v.err" || rc=$?
    [ $rc -eq 3 ] || fail "$how: verify exit $rc, expected 3 (damage): $(cat "$T/v.out" "$T/v.err")"
    if [ -e "$R/packs/${pack:0:2}/$pack.pack" ]; then
        grep -q "^damaged: .*$pack" "$T/v.out" || fail "$how: verify does not name pack $pack: $(cat "$T/v.out")"
    else
        grep -q "^damaged: .* is in no pack" "$T/v.out" || fail "$how: verify does not report the missing chunks: $(cat "$T/v.out")"
    fi
    grep -q "^damaged: generation " "$T/v.out" || fail "$how: verify does not name the generations affected"
}

# the two largest packs (they hold chunks of the big tables)
mapfile -t packs < <(cd "$R/packs" && find . -name '*.pack' -printf '%s %f\n' | sort -rn | sed 's|^[0-9]* ||; s|\.pack$||')
[ ${#packs[@]} -ge 4 ] || fail "expected several packs, got ${#packs[@]}"
P1=${packs[0]} P2=${packs[1]}
path_of() { echo "$R/packs/${1:0:2}/$1.pack"; }

cp "$(path_of "$P1")" "$T/saved.pack"
rm "$(path_of "$P1")"
check_damage "deleted pack" "$P1"

truncate -s $(( $(stat -c %s "$T/saved.pack") / 2 )) "$(path_of "$P1")" 2>/dev/null ||
    { cp "$T/saved.pack" "$(path_of "$P1")"; truncate -s $(( $(stat -c %s "$T/saved.pack") / 2 )) "$(path_of "$P1")"; }
check_damage "truncated pack" "$P1"

rm -f "$(path_of "$P1")"; mkdir "$(path_of "$P1")"
check_damage "pack replaced by a directory" "$P1"
rmdir "$(path_of "$P1")"; cp "$T/saved.pack" "$(path_of "$P1")"

cp "$(path_of "$P2")" "$T/saved2.pack"
"$PY" -c '
import sys
p = sys.argv[1]
n = len(open(p, "rb").read())
with open(p, "r+b") as f:
    f.seek(16); f.write(bytes(max(0, n - 16 - 32 - 48)))   # zero the frames, keep the index
' "$(path_of "$P2")"
check_damage "pack with zeroed chunk data" "$P2"
# a quick verify's damage is the newest word: status reports it (status
# brings the catalog up to date, so only here, where the pack index is intact)
rc=0
"$STRATA" status "$R" >"$T/s.out" 2>"$T/s.err" || rc=$?
[ $rc -eq 3 ] || fail "status after a quick verify found damage: exit $rc, want 3: $(cat "$T/s.err")"
grep -q "^last quick verify: .*DAMAGED" "$T/s.out" || fail "status: $(cat "$T/s.out")"
cp "$T/saved2.pack" "$(path_of "$P2")"

# repaired from the copy: all good again
"$STRATA" verify "$R" >/dev/null || fail "verify after restoring the packs"
"$STRATA" status "$R" >/dev/null || fail "status after a clean full verify that followed the damaged quick one: exit $?"
mount_fs "$R" "$M"
oracle compare-mount "$T/d1.db" "$M/2026-11-01T000000Z" >/dev/null || fail "generation 1 differs after repair"
oracle compare-mount "$T/d3.db" "$M/2026-11-03T000000Z" >/dev/null || fail "generation 2 differs after repair"
umount_fs "$M"
echo ok
