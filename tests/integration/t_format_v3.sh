#!/bin/bash
# Generations with a version 3 manifest (tests/fixtures/v3-repo, written by
# strata at commit 87e91a1, the last one that wrote manifest 3 / mount layout 5)
# are read by this strata as that strata served them: every file of their trees
# has the bytes 87e91a1 served (tests/fixtures/v3-tree.txt: path, size, sha256;
# generation.json differs only in "format": 5 -> 6), and they get the default
# database name of their source (docs/FORMAT.md "Database names"): the fixture's
# two sources /tmp/v3make/a/shop.db and /tmp/v3make/b/shop.db are both "shop"
# in db/, but retention keeps them apart by path, as 87e91a1 did.  New backups write version 5; a
# default name another path claimed is refused; the old manifests stay as they were.
#
# How the fixture was made (in /tmp/v3make, 87e91a1 built as in t_format_v2,
# S=its strata): python3 make_v3_source.py a/shop.db 1500 a; python3
# make_v3_source.py b/shop.db 300 b; $S init v3-repo --chunk-size 4096;
# $S backup v3-repo a/shop.db --at 2026-03-01T00:00:00Z; $S backup v3-repo
# b/shop.db --at 2026-03-01T01:00:00Z; sqlite3 a/shop.db "UPDATE items SET
# price = 99.5 WHERE id IN (3, 700); DELETE FROM items WHERE id = 1200; INSERT
# INTO tags VALUES ('zz', 1)"; $S backup v3-repo a/shop.db --at
# 2026-03-02T00:00:00Z; then 87e91a1's stratafs on it gave v3-tree.txt (every
# regular file outside tables/ and at/); catalog.db, locks and tmp/ left out.
. "$(dirname "$0")/lib.sh"
require_bins

FX=$(cd "$(dirname "$0")/../fixtures" && pwd)
R=$T/repo M=$T/mnt
cp -r "$FX/v3-repo" "$R"
mkdir -p "$R/tmp"
"$STRATA" index "$R" >/dev/null || fail "index of a version 3 repository"
"$STRATA" ls "$R" --json | "$PY" -c '
import json, sys
g = json.load(sys.stdin)
assert [x["name"] for x in g] == ["2026-03-01T000000Z", "2026-03-01T010000Z", "2026-03-02T000000Z"], g
assert all(x["database"] == "shop" for x in g), g
assert [x["source"] for x in g] == ["/tmp/v3make/a/shop.db", "/tmp/v3make/b/shop.db", "/tmp/v3make/a/shop.db"], g
' || fail "strata ls of the version 3 generations"

mount_fs "$R" "$M"
"$PY" - "$M" "$FX/v3-tree.txt" <<'PYEOF' || fail "the version 3 generations are not served as 87e91a1 served them"
import hashlib, os, sys
m, want = sys.argv[1:3]
errs = []
n = 0
for line in open(want):
    path, size, sha = line.split()
    p = os.path.join(m, path)
    try:
        data = open(p, "rb").read()
    except OSError as e:
        errs.append("%s: %s" % (path, e))
        continue
    if path.endswith("/generation.json"):
        # the mount layout is the one thing a generation's own file says that changed
        if b'"format": 6,' not in data:
            errs.append("%s: not layout 6" % path)
        data = data.replace(b'"format": 6,', b'"format": 5,', 1)
    if len(data) != int(size) or os.stat(p).st_size != int(size) or hashlib.sha256(data).hexdigest() != sha:
        errs.append("%s: %d bytes, not the %s 87e91a1 served" % (path, len(data), size))
    n += 1
if n < 100:
    errs.append("test bug: only %d files in the listing" % n)
for e in errs[:10]:
    print("ERR:", e)
print("# %d files as 87e91a1 served them" % n)
sys.exit(1 if errs else 0)
PYEOF
[ "$(ls "$M/db")" = shop ] || fail "db/ of the version 3 generations: $(ls "$M/db")"
[ "$(ls "$M/db/shop" | tr '\n' ' ')" = "2026-03-01T000000Z 2026-03-01T010000Z 2026-03-02T000000Z latest " ] ||
    fail "db/shop: $(ls "$M/db/shop")"

# retention: the two databases the old generations share a default name with stay
# apart (grouped by path, as 87e91a1 grouped them): never one timeline
"$STRATA" prune "$R" --keep-last 1 --dry-run >"$T/p.out" || fail "prune --dry-run: $(cat "$T/p.out")"
grep -q "^database shop (/tmp/v3make/a/shop.db): 2 generations, keep 1, would remove 1" "$T/p.out" &&
    grep -q "^database shop (/tmp/v3make/b/shop.db): 1 generation, keep 1, would remove 0" "$T/p.out" ||
    fail "prune merged or lost an old timeline: $(cat "$T/p.out")"

# new backups: version 5; the first to name itself shop claims the name, another
# path then needs --name; the old manifests stay as they were
mkdir -p "$T/c" "$T/d"
"$PY" "$FX/make_v3_source.py" "$T/c/shop.db" 50 c
"$PY" "$FX/make_v3_source.py" "$T/d/shop.db" 60 d
"$STRATA" backup "$R" "$T/c/shop.db" --at 2026-03-03T00:00:00Z >"$T/b.out" || fail "backup of c: $(cat "$T/b.out")"
[ "$(od -An -tu4 -j8 -N4 "$R/generations/2026-03-03T000000Z.gen" | tr -d ' ')" = 5 ] || fail "the new generation is not manifest version 5"
expect_err 1 "the database name 'shop' is the timeline of $T/c/shop.db already" "$STRATA" backup "$R" "$T/d/shop.db" --at 2026-03-04T00:00:00Z
"$STRATA" backup "$R" "$T/d/shop.db" --name shop-d --at 2026-03-04T00:00:00Z >"$T/b.out" || fail "backup --name: $(cat "$T/b.out")"
for f in "$FX"/v3-repo/generations/*.gen; do
    cmp -s "$f" "$R/generations/${f##*/}" || fail "the backup rewrote ${f##*/}"
done
dbs_are() { [ "$(ls "$M/db" | tr '\n' ' ')" = "$1" ]; } # (evaluated at every try)
wait_until 5 dbs_are "shop shop-d " || fail "db/ after the new backups: $(ls "$M/db")"
oracle compare-mount "$T/d/shop.db" "$(cd -P "$M/db/shop-d/latest" && pwd)" || fail "db/shop-d/latest"
"$STRATA" prune "$R" --name shop --keep-last 1 --dry-run >"$T/p.out" || fail "prune --dry-run: $(cat "$T/p.out")"
grep -q "^database shop ($T/c/shop.db): 1 generation, keep 1, would remove 0" "$T/p.out" &&
    grep -q "^database shop (/tmp/v3make/a/shop.db): 2 generations, keep 1, would remove 1" "$T/p.out" &&
    grep -q "^database shop (/tmp/v3make/b/shop.db): 1 generation, keep 1, would remove 0" "$T/p.out" ||
    fail "prune after a named backup: $(cat "$T/p.out")"
# an old generation joins the named timeline of its own path: back up the fixture's
# first source path again, with the name explicitly (only where that path is free to create)
if [ ! -e /tmp/v3make ]; then
    at_exit rm -rf /tmp/v3make
    mkdir -p /tmp/v3make/a
    "$PY" "$FX/make_v3_source.py" /tmp/v3make/a/shop.db 70 a
    "$STRATA" backup "$R" /tmp/v3make/a/shop.db --name shop --at 2026-03-05T00:00:00Z >"$T/b.out" 2>&1 ||
        fail "backup of the old path: $(cat "$T/b.out")"
    "$STRATA" prune "$R" --name shop --keep-last 1 --dry-run >"$T/p.out" || fail "prune --dry-run: $(cat "$T/p.out")"
    # (--name shop is explicit: c's generation is in that timeline too)
    grep -q "^database shop (/tmp/v3make/a/shop.db): 4 generations, keep 1, would remove 3" "$T/p.out" &&
        grep -q "^database shop (/tmp/v3make/b/shop.db): 1 generation, keep 1, would remove 0" "$T/p.out" ||
        fail "the old generations of /tmp/v3make/a did not join its named timeline: $(cat "$T/p.out")"
else
    note "/tmp/v3make exists: the join of an old timeline is not checked here"
fi
umount_fs "$M"
note "ok"
