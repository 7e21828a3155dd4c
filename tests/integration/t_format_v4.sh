#!/bin/bash
# A repository of format 2 with version 4 manifests (tests/fixtures/v4-repo,
# written by strata at commit cdb16b6, the last one that wrote them: every
# chunk listed in every manifest) is read as it was: indexed, listed, mounted
# and equal to its sources, verified.  The first backup into it upgrades the
# config to format 4 (3 when it was made) and writes a version 5 manifest whose index nodes are in
# a pack; the old manifests stay as they were, every generation still equals
# its source, and prune (which must read the new generation's nodes to know
# which chunks it needs) keeps what the remaining generations use.
#
# How the fixture was made (in /tmp/v4make, cdb16b6 built as in t_format_v2,
# S=its strata): python3 make_v3_source.py a/shop.db 12000 a; $S init v4-repo
# --chunk-size 4096; $S backup v4-repo a/shop.db --at 2026-04-01T00:00:00Z;
# then the edit in edit() below; $S backup v4-repo a/shop.db --at
# 2026-04-02T00:00:00Z; catalog.db, locks and tmp/ left out.
. "$(dirname "$0")/lib.sh"
require_bins

FX=$(cd "$(dirname "$0")/../fixtures" && pwd)
R=$T/repo M=$T/mnt
cp -r "$FX/v4-repo" "$R"
mkdir -p "$R/tmp"
edit() { sqlite3 "$1" "UPDATE items SET price = 99.5 WHERE id IN (3, 7000); DELETE FROM items WHERE id = 9000; INSERT INTO tags VALUES ('zz', 1)"; }
manifest_version() { od -An -tu4 -j8 -N4 "$1" | tr -d ' '; }
G1=2026-04-01T000000Z G2=2026-04-02T000000Z G3=2026-04-03T000000Z

# the fixture is what it says it is
grep -qx 'version = 2' "$R/config" || fail "fixture config: $(cat "$R/config")"
for g in $G1 $G2; do
    [ "$(manifest_version "$R/generations/$g.gen")" = 4 ] || fail "fixture $g: not a version 4 manifest"
done

# its sources, made again
"$PY" "$FX/make_v3_source.py" "$T/s1.db" 12000 a
cp "$T/s1.db" "$T/s2.db"
edit "$T/s2.db"

"$STRATA" index "$R" >/dev/null || fail "index of a version 4 repository"
"$STRATA" verify --read-data "$R" >"$T/v.out" 2>&1 || fail "verify of the fixture: $(cat "$T/v.out")"
grep -qx 'version = 2' "$R/config" || fail "reading upgraded the config"
mount_fs "$R" "$M"
oracle compare-mount "$T/s1.db" "$M/$G1" || fail "$G1 differs from its source"
oracle compare-mount "$T/s2.db" "$M/$G2" || fail "$G2 differs from its source"

# a backup: format 4, a version 5 manifest, its nodes in a pack; the old manifests untouched
cp "$T/s2.db" "$T/s3.db"
sqlite3 "$T/s3.db" "UPDATE items SET name = 'renamed' WHERE id BETWEEN 100 AND 140"
"$STRATA" backup "$R" "$T/s3.db" --name shop --at 2026-04-03T00:00:00Z >"$T/b.out" 2>&1 ||
    fail "backup into a format 2 repository: $(cat "$T/b.out")"
grep -qx 'version = 4' "$R/config" || fail "config not upgraded: $(cat "$R/config")"
[ "$(manifest_version "$R/generations/$G3.gen")" = 5 ] || fail "$G3: manifest version $(manifest_version "$R/generations/$G3.gen")"
for g in $G1 $G2; do
    cmp -s "$FX/v4-repo/generations/$g.gen" "$R/generations/$g.gen" || fail "the backup rewrote $g.gen"
done
nodes=$(sqlite3 "$R/catalog.db" "SELECT count(*) FROM chunks WHERE nrows = 0 AND csv_len = 0")
[ "$nodes" -ge 1 ] || fail "no index node in the packs"
# the manifest lists nodes, not chunks: far smaller than the old ones
[ "$(stat -c %s "$R/generations/$G3.gen")" -lt $(( $(stat -c %s "$R/generations/$G2.gen") / 2 )) ] ||
    fail "the version 5 manifest is not smaller: $(stat -c %s "$R/generations/$G3.gen") vs $(stat -c %s "$R/generations/$G2.gen")"
has_g3() { [ -d "$M/$G3" ]; }
wait_until 5 has_g3 || fail "$G3 not in the mount"
oracle compare-mount "$T/s3.db" "$M/$G3" || fail "$G3 differs from its source"
"$STRATA" verify --read-data "$R" >"$T/v.out" 2>&1 || fail "verify after the backup: $(cat "$T/v.out")"

# a catalog rebuilt from the repository alone reads the nodes back
umount_fs "$M"
"$STRATA" index --rebuild "$R" >/dev/null || fail "index --rebuild"
mount_fs "$R" "$M"
oracle compare-mount "$T/s3.db" "$M/$G3" || fail "$G3 differs after a rebuild"
umount_fs "$M"

# a damaged index node: verify finds it, the next backup that lists it stores it
# again and says so, and a catalog rebuilt from the repository reads the new copy
IFS='|' read -r npk noff nclen < <(sqlite3 "$R/catalog.db" "SELECT p.name, c.offset, c.clen FROM chunks c
    JOIN packs p USING(pack_id) WHERE c.nrows = 0 AND c.csv_len = 0 ORDER BY c.id LIMIT 1")
[ -n "$npk" ] || fail "no index node to damage"
"$PY" - "$R/packs/${npk:0:2}/$npk.pack" "$noff" "$nclen" <<'PYEOF'
import sys
path, off, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytearray(open(path, "rb").read())
data[off + n // 2] ^= 0x5A
open(path + ".new", "wb").write(data)
import os
os.rename(path + ".new", path)
PYEOF
rc=0
"$STRATA" verify --read-data "$R" >"$T/v.out" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "verify missed a damaged index node (exit $rc): $(cat "$T/v.out")"
"$STRATA" backup "$R" "$T/s3.db" --name shop --force --at 2026-04-03T12:00:00Z >"$T/b.out" 2>&1 ||
    fail "backup over a damaged index node: $(cat "$T/b.out")"
grep -q "^healed: stored again 1 index node that 'strata verify' found damaged" "$T/b.out" ||
    fail "the backup did not say it healed the node: $(cat "$T/b.out")"
grep -q "skipping" "$T/b.out" && fail "the healing backup could not index a generation: $(cat "$T/b.out")"
"$STRATA" ls "$R" | grep -q "^2026-04-03T120000Z " || fail "the healing generation is not listed: $("$STRATA" ls "$R")"
# prune reads every generation's nodes from the packs (the damaged copy is still there): dry, it must not stop
"$STRATA" prune "$R" --keep-last 4 --dry-run >"$T/p.out" 2>&1 || fail "prune beside a damaged node copy: $(cat "$T/p.out")"
"$STRATA" index --rebuild "$R" >"$T/i.out" 2>&1 || fail "index --rebuild after healing: $(cat "$T/i.out")"
[ "$("$STRATA" ls "$R" | awk 'NR > 1' | wc -l)" -eq 4 ] || fail "generations after healing: $("$STRATA" ls "$R")"
mount_fs "$R" "$M"
oracle compare-mount "$T/s3.db" "$M/$G3" || fail "$G3 differs after its node was healed"
umount_fs "$M"

# keys so large that a few chunks' keys fill a node: nodes end by size too (NODE_KEY_BYTES)
"$PY" - "$T/big.db" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE k(id BLOB PRIMARY KEY, v) WITHOUT ROWID")
c.executemany("INSERT INTO k VALUES(?, ?)", ((bytes([i]) * (1200 << 10), i) for i in range(12)))
c.commit()
PYEOF
"$STRATA" backup "$R" "$T/big.db" --name big --at 2026-04-04T00:00:00Z >"$T/b.out" 2>&1 ||
    fail "backup of huge keys: $(cat "$T/b.out")"
[ "$(sqlite3 "$R/catalog.db" "SELECT count(*) FROM table_nodes tn JOIN generations g USING(seq) WHERE g.dbname = 'big'")" -ge 6 ] ||
    fail "huge keys did not end their nodes early"
mount_fs "$R" "$M"
oracle compare-mount "$T/big.db" "$M/2026-04-04T000000Z" || fail "huge keys differ from their source"
umount_fs "$M"

# prune keeps the newest: the chunks and nodes it needs stay, the rest goes
"$STRATA" prune "$R" --name shop --keep-last 1 >"$T/p.out" 2>&1 || fail "prune: $(cat "$T/p.out")"
[ "$(ls "$R/generations" | tr '\n' ' ')" = "2026-04-03T120000Z.gen 2026-04-04T000000Z.gen " ] || fail "prune left: $(ls "$R/generations")"
"$STRATA" verify --read-data "$R" >"$T/v.out" 2>&1 || fail "verify after prune: $(cat "$T/v.out")"
mount_fs "$R" "$M"
oracle compare-mount "$T/s3.db" "$M/2026-04-03T120000Z" || fail "the newest generation differs after prune"
umount_fs "$M"
note "ok"
