#!/bin/bash
# catalog.db is derived: deleting and rebuilding it (index, index --rebuild)
# gives an identical mount (listing incl. inode numbers, sizes, modes, mtimes, contents).
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/s.db
oracle make-shop "$DB" --day 1 --orders 5000
"$STRATA" init "$R" --chunk-size 8192 >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z --label d1 >/dev/null || fail "backup 1"
oracle make-shop "$DB" --day 2
"$STRATA" backup "$R" "$DB" --at 2026-11-21T02:00:00Z --label d2 >/dev/null || fail "backup 2"
oracle make-shop "$DB" --day 3
"$STRATA" backup "$R" "$DB" --at 2026-11-21T02:00:00Z --label d3 >/dev/null || fail "backup 3"
[ -f "$R/catalog.db" ] || fail "no catalog.db after backup"

snapshot() {  # snapshot OUTFILE: full listing of the mount + content hashes
    mount_fs "$R" "$M"
    timeout 300 "$PY" - "$M" >"$1" <<'PYEOF'
import hashlib, os, stat, sys
m = sys.argv[1]
for root, dirs, files in os.walk(m):
    dirs.sort()
    for n in sorted(dirs + files):
        p = os.path.join(root, n)
        st = os.lstat(p)
        line = "%s mode=%o size=%d mtime=%d ino=%d nlink=%d" % (
            os.path.relpath(p, m), st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino, st.st_nlink)
        if stat.S_ISLNK(st.st_mode):
            line += " -> " + os.readlink(p)
        elif stat.S_ISREG(st.st_mode):
            line += " sha256=" + hashlib.sha256(open(p, "rb").read()).hexdigest()
        print(line)
st = os.stat(m)
print(". mode=%o ino=%d" % (st.st_mode, st.st_ino))
PYEOF
    umount_fs "$M"
}
"$STRATA" ls "$R" --json >"$T/ls0.json" || fail "ls"
snapshot "$T/snap0"
[ "$(wc -l <"$T/snap0")" -gt 20 ] || fail "listing too short"

rm -f "$R/catalog.db" "$R/catalog.db-wal" "$R/catalog.db-shm" "$R/catalog.db-journal"
"$STRATA" index "$R" >/dev/null || fail "strata index after deleting catalog.db failed"
[ -f "$R/catalog.db" ] || fail "strata index did not create catalog.db"
snapshot "$T/snap1"
diff "$T/snap0" "$T/snap1" | head -20 >&2 || true
cmp -s "$T/snap0" "$T/snap1" || fail "mount differs after deleting catalog.db + strata index"
"$STRATA" ls "$R" --json >"$T/ls1.json" || fail "ls"
"$PY" -c 'import json,sys; a,b=[json.load(open(x)) for x in sys.argv[1:]]; k=lambda g:g["name"]; assert sorted(a,key=k)==sorted(b,key=k), (a,b)' "$T/ls0.json" "$T/ls1.json" \
    || fail "strata ls --json differs after reindex"

"$STRATA" index "$R" >/dev/null || fail "strata index (up to date) failed"
"$STRATA" index "$R" --rebuild >/dev/null || fail "strata index --rebuild failed"
snapshot "$T/snap2"
cmp -s "$T/snap0" "$T/snap2" || { diff "$T/snap0" "$T/snap2" | head -20 >&2; fail "mount differs after strata index --rebuild"; }

# a corrupt/garbage catalog is replaced by --rebuild
echo garbage >"$R/catalog.db"
"$STRATA" index "$R" --rebuild >/dev/null || fail "index --rebuild over a garbage catalog.db failed"
snapshot "$T/snap3"
cmp -s "$T/snap0" "$T/snap3" || { diff "$T/snap0" "$T/snap3" | head -20 >&2; fail "mount differs after rebuilding a garbage catalog"; }

# ... and by any writer: plain index (garbage file) and ls (pages damaged in place)
echo garbage >"$R/catalog.db"
"$STRATA" index "$R" >/dev/null 2>"$T/ix.err" || fail "index over a garbage catalog.db failed: $(cat "$T/ix.err")"
grep -q "is damaged; rebuilding" "$T/ix.err" || fail "index did not say it rebuilt a garbage catalog: $(cat "$T/ix.err")"
snapshot "$T/snap4"
cmp -s "$T/snap0" "$T/snap4" || fail "mount differs after index replaced a garbage catalog"
pages=$(( $(stat -c %s "$R/catalog.db") / 4096 ))
# one fixed byte (0xA5) that starts no valid b-tree page: damaged wherever the tables lie
head -c $(( (pages - 1) * 4096 )) /dev/zero | tr '\0' '\245' | dd of="$R/catalog.db" bs=4096 seek=1 conv=notrunc status=none
"$STRATA" ls "$R" >/dev/null 2>"$T/ls.err" || fail "ls over a damaged catalog.db failed: $(cat "$T/ls.err")"
snapshot "$T/snap5"
cmp -s "$T/snap0" "$T/snap5" || fail "mount differs after ls replaced a damaged catalog"
echo ok
