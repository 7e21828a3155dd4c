#!/bin/bash
# A repository of format 3 (tests/fixtures/v5-repo, written by strata at
# commit 0357492, the last one that wrote it: version 5 manifests, chunk
# bodies SFC2, chunk ids the xxh3-128 of the typed rows) is read as it was:
# indexed, verified, mounted and equal to its sources.  The first backup
# into it upgrades the config to format 4 and writes SFC3 bodies (chunk ids
# from segment ids); the old generations stay as they were and readable
# beside the new ones; the next backup after a change takes segments of
# the new bodies unread, and every generation equals its source.
#
# How the fixture was made (in /tmp/v5make, 0357492 built as in t_format_v2,
# S=its strata): python3 make_v3_source.py a/shop.db 12000 a; $S init v5-repo
# --chunk-size 262144; $S backup v5-repo a/shop.db --name shop --at
# 2026-04-01T00:00:00Z; then the edit in edit() below; $S backup v5-repo
# a/shop.db --name shop --at 2026-04-02T00:00:00Z; catalog.db, locks and
# tmp/ left out.
. "$(dirname "$0")/lib.sh"
require_bins

FX=$(cd "$(dirname "$0")/../fixtures" && pwd)
R=$T/repo M=$T/mnt
cp -r "$FX/v5-repo" "$R"
mkdir -p "$R/tmp"
edit() { sqlite3 "$1" "UPDATE items SET price = 99.5 WHERE id IN (3, 7000); DELETE FROM items WHERE id = 9000; INSERT INTO tags VALUES ('zz', 1)"; }
G1=2026-04-01T000000Z G2=2026-04-02T000000Z G3=2026-04-03T000000Z G4=2026-04-04T000000Z
# the magic of every chunk body of a generation's chunks ("SFC2" or "SFC3")
bodies() {
    sqlite3 "$R/catalog.db" "SELECT DISTINCT p.name || ' ' || c.offset FROM table_chunks tc
        JOIN generations g USING(seq) JOIN chunks c ON c.id = tc.chunk_id JOIN packs p USING(pack_id)
        WHERE g.name = '$1'" |
    while read -r pk off; do
        dd if="$R/packs/${pk:0:2}/$pk.pack" bs=1 skip="$off" count=4 status=none; echo
    done | sort | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' '
}

# the fixture is what it says it is
grep -qx 'version = 3' "$R/config" || fail "fixture config: $(cat "$R/config")"

# its sources, made again
"$PY" "$FX/make_v3_source.py" "$T/s1.db" 12000 a
cp "$T/s1.db" "$T/s2.db"
edit "$T/s2.db"

"$STRATA" index "$R" >/dev/null || fail "index of a format 3 repository"
"$STRATA" verify --read-data "$R" >"$T/v.out" 2>&1 || fail "verify of the fixture: $(cat "$T/v.out")"
grep -qx 'version = 3' "$R/config" || fail "reading upgraded the config"
[ "$(bodies $G2)" = "SFC2:2 " ] || fail "fixture bodies: $(bodies $G2)"
mount_fs "$R" "$M"
oracle compare-mount "$T/s1.db" "$M/$G1" || fail "$G1 differs from its source"
oracle compare-mount "$T/s2.db" "$M/$G2" || fail "$G2 differs from its source"

# a backup of the same rows: format 4, every chunk stored again as SFC3 (new ids)
cp "$T/s2.db" "$T/s3.db"
"$STRATA" backup "$R" "$T/s3.db" --name shop --force --at 2026-04-03T00:00:00Z >"$T/b.out" 2>&1 ||
    fail "backup into a format 3 repository: $(cat "$T/b.out")"
grep -qx 'version = 4' "$R/config" || fail "config not upgraded: $(cat "$R/config")"
[ "$(bodies $G3)" = "SFC3:2 " ] || fail "$G3 bodies: $(bodies $G3)"
for g in $G1 $G2; do
    cmp -s "$FX/v5-repo/generations/$g.gen" "$R/generations/$g.gen" || fail "the backup rewrote $g.gen"
done
has_gen() { [ -d "$M/$1" ]; }
wait_until 5 has_gen $G3 || fail "$G3 not in the mount"
oracle compare-mount "$T/s3.db" "$M/$G3" || fail "$G3 differs from its source"
oracle compare-mount "$T/s2.db" "$M/$G2" || fail "$G2 differs from its source beside SFC3 bodies"
# the same rows in both formats: the same bytes through the mount
cmp -s "$M/$G2/items/items.csv" "$M/$G3/items/items.csv" || fail "items.csv differs between SFC2 and SFC3"

# a change: the next backup takes the unchanged segments of the changed chunks unread
cp "$T/s3.db" "$T/s4.db"
sqlite3 "$T/s4.db" "UPDATE items SET name = 'renamed' WHERE id IN (500, 5000, 9500)"
"$STRATA" backup "$R" "$T/s4.db" --name shop --at 2026-04-04T00:00:00Z -v >"$T/b.out" 2>&1 ||
    fail "incremental backup: $(cat "$T/b.out")"
segs=$(sed -n 's/.* chunks taken unread from generation .*, and \([0-9]*\) segments of the others$/\1/p' "$T/b.out" | head -1)
[ -n "$segs" ] && [ "$segs" -ge 1 ] || fail "no segment taken unread: $(cat "$T/b.out")"
wait_until 5 has_gen $G4 || fail "$G4 not in the mount"
oracle compare-mount "$T/s4.db" "$M/$G4" || fail "$G4 differs from its source"
umount_fs "$M"
# and a full read of the same file makes the same chunks
"$STRATA" backup "$R" "$T/s4.db" --name shop --kind full --force --at 2026-04-05T00:00:00Z >"$T/b.out" 2>&1 ||
    fail "full backup: $(cat "$T/b.out")"
grep -q "(0 new)" "$T/b.out" || fail "a full read of the same file stored chunks again: $(cat "$T/b.out")"
"$STRATA" verify --read-data "$R" >"$T/v.out" 2>&1 || fail "verify after the upgrade: $(cat "$T/v.out")"
"$STRATA" index --rebuild "$R" >/dev/null || fail "index --rebuild"
mount_fs "$R" "$M"
oracle compare-mount "$T/s1.db" "$M/$G1" || fail "$G1 differs after a rebuild"
oracle compare-mount "$T/s4.db" "$M/$G4" || fail "$G4 differs after a rebuild"
umount_fs "$M"

# damage no verify has seen yet, in a segment the next backup would copy: it
# stops with what to do, not spreading the damage; after verify it reads
# those rows instead, and the new generation is exact
IFS='|' read -r dpk doff dclen < <(sqlite3 "$R/catalog.db" "SELECT p.name, c.offset, c.clen
    FROM table_chunks tc JOIN generations g USING(seq) JOIN chunks c ON c.id = tc.chunk_id
    JOIN packs p USING(pack_id) JOIN tables t ON t.seq = tc.seq AND t.tidx = tc.tidx
    WHERE g.name = '$G4' AND t.name = 'items' ORDER BY tc.seqno LIMIT 1")
[ -n "$dpk" ] || fail "no chunk of items in $G4"
"$PY" - "$R/packs/${dpk:0:2}/$dpk.pack" "$doff" "$dclen" <<'PYEOF'
import os, struct, sys
path, off, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytearray(open(path, "rb").read())
assert data[off:off + 4] == b"SFC3"
nsegs, nframes = struct.unpack_from("<II", data, off + 4)
# the last CSV frame of the body: a byte in its middle
last = struct.unpack_from("<I", data, off + 48 + 48 * nsegs + 4 * (nframes - 1))[0]
data[off + n - last // 2] ^= 0x5A
open(path + ".new", "wb").write(data)
os.rename(path + ".new", path)
PYEOF
cp "$T/s4.db" "$T/s6.db"
sqlite3 "$T/s6.db" "UPDATE items SET name = 'again' WHERE id = 2"
rc=0
"$STRATA" backup "$R" "$T/s6.db" --name shop --at 2026-04-06T00:00:00Z >"$T/b.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "a backup copied a damaged segment: $(cat "$T/b.out")"
grep -q "is damaged in its pack; run 'strata verify --read-data'" "$T/b.out" ||
    fail "no advice for the damaged segment: $(cat "$T/b.out")"
[ ! -e "$R/generations/2026-04-06T000000Z.gen" ] || fail "a generation was written over the damage"
rc=0
"$STRATA" verify --read-data "$R" >"$T/v.out" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "verify missed the damage (exit $rc): $(cat "$T/v.out")"
"$STRATA" backup "$R" "$T/s6.db" --name shop --at 2026-04-06T00:00:00Z >"$T/b.out" 2>&1 ||
    fail "backup after verify recorded the damage: $(cat "$T/b.out")"
mount_fs "$R" "$M"
oracle compare-mount "$T/s6.db" "$M/2026-04-06T000000Z" || fail "the generation after the damage differs"
umount_fs "$M"
note "ok"
