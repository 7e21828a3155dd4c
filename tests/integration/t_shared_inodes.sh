#!/bin/bash
# Dedup that tools can see (docs/FORMAT.md "Inode numbers", "du"): a row-range
# file with the same bytes in several generations is one inode in all of them,
# st_nlink = the generations holding it, mtime = the oldest one's time; du counts
# it once and comes out near the stored size; rsync's size+mtime check skips it,
# rsync -aH and tar store it once; the numbers survive a remount, a catalog
# rebuild and a prune (a file open from a pruned generation keeps working, and a
# new open of it is served from a generation that remains).
. "$(dirname "$0")/lib.sh"
require_bins
command -v rsync >/dev/null || fail "rsync missing (scripts/test.sh installs it)"

R=$T/repo M=$T/mnt DB=$T/shop.db
"$STRATA" init "$R" --chunk-size 8192 >/dev/null
oracle make-shop "$DB" --day 1 --orders 3000
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z >/dev/null || fail "backup 1"
oracle make-shop "$DB" --day 2
"$STRATA" backup "$R" "$DB" --at 2026-11-21T02:00:00Z >/dev/null || fail "backup 2"
oracle make-shop "$DB" --day 3
"$STRATA" backup "$R" "$DB" --at 2026-11-22T02:00:00Z >/dev/null || fail "backup 3"
# day 4: only a column's name changes: the rows' chunks may stay, their files' bytes do not
sqlite3 "$DB" "ALTER TABLE customers RENAME COLUMN city TO town" || fail "rename column"
"$STRATA" backup "$R" "$DB" --at 2026-11-23T02:00:00Z >/dev/null || fail "backup 4"
# day 5: nothing changed
"$STRATA" backup "$R" "$DB" --at 2026-11-24T02:00:00Z >/dev/null || fail "backup 5"

# every row-range file of every generation: its number, links, time, blocks, and
# the oracle's view of it (its bytes), checked against each other
check_tree() { # MNT OUT: writes relpath -> ino for the row-range files to OUT
    "$PY" - "$1" "$2" <<'PYEOF'
import calendar, hashlib, os, sys
m, out = sys.argv[1:3]
gens = sorted(g for g in os.listdir(m) if g[:2] == "20")
gtime = {g: calendar.timegm((int(g[0:4]), int(g[5:7]), int(g[8:10]), int(g[11:13]), int(g[13:15]), int(g[15:17]))) for g in gens}
files = {}   # (table, ext, sha) -> [(gen, relpath, stat)]
inos = {}    # ino -> set of (table, ext, sha)
errs = []
with open(out, "w") as o:
    for g in gens:
        for tb in sorted(os.listdir(os.path.join(m, g))):
            rows = os.path.join(m, g, tb, "rows")
            if not os.path.isdir(rows):
                continue
            for n in sorted(os.listdir(rows)):
                p = os.path.join(rows, n)
                st = os.lstat(p)
                with open(p, "rb") as f:
                    data = f.read()
                if len(data) != st.st_size:
                    errs.append("%s: size %d, read %d" % (p, st.st_size, len(data)))
                k = (tb, n.rsplit(".", 1)[1], hashlib.sha256(data).hexdigest())
                files.setdefault(k, []).append((g, os.path.relpath(p, m), st))
                inos.setdefault(st.st_ino, set()).add(k)
                o.write("%s %d\n" % (os.path.relpath(p, m), st.st_ino))
shared = 0
for k, where in files.items():
    holders = sorted({g for g, _, _ in where})
    if len(holders) != len(where):
        errs.append("%s: one generation holds it twice" % where[0][1])
    for g, rel, st in where:
        if st.st_ino != where[0][2].st_ino:
            errs.append("%s and %s: same bytes, inodes %d and %d" % (where[0][1], rel, where[0][2].st_ino, st.st_ino))
        if st.st_nlink != len(holders):
            errs.append("%s: st_nlink %d, %d generations hold it" % (rel, st.st_nlink, len(holders)))
        if st.st_mtime != gtime[holders[0]]:
            errs.append("%s: mtime %d, oldest holder %s" % (rel, st.st_mtime, holders[0]))
        if st.st_blocks < 1:
            errs.append("%s: %d blocks" % (rel, st.st_blocks))
    shared += len(holders) > 1
for ino, ks in inos.items():
    if len(ks) > 1:
        errs.append("inode %d serves different bytes: %s" % (ino, sorted(ks)[:2]))
if shared < 10:
    errs.append("test bug: only %d shared files" % shared)
# the renamed column: the same rows, other bytes, other numbers, in every format
g3, g4, g5 = "2026-11-22T020000Z", "2026-11-23T020000Z", "2026-11-24T020000Z"
c3, c4 = os.path.join(m, g3, "customers", "rows"), os.path.join(m, g4, "customers", "rows")
same = set(os.listdir(c3)) & set(os.listdir(c4))
if not same:
    errs.append("test bug: no customers row range kept its name across the rename")
for n in same:
    if os.stat(os.path.join(c3, n)).st_ino == os.stat(os.path.join(c4, n)).st_ino:
        errs.append("customers/rows/%s: one inode across a renamed column" % n)
# day 5 changed nothing: every file is day 4's
for tb in os.listdir(os.path.join(m, g5)):
    r4, r5 = os.path.join(m, g4, tb, "rows"), os.path.join(m, g5, tb, "rows")
    if os.path.isdir(r5) and sorted((n, os.stat(os.path.join(r5, n)).st_ino) for n in os.listdir(r5)) != \
            sorted((n, os.stat(os.path.join(r4, n)).st_ino) for n in os.listdir(r4)):
        errs.append("%s/rows: an unchanged generation has other inodes" % tb)
for e in errs[:20]:
    print("ERR:", e)
print("# %d files with distinct bytes, %d in more than one generation" % (len(files), shared))
sys.exit(1 if errs else 0)
PYEOF
}

mount_fs "$R" "$M"
check_tree "$M" "$T/inos.1" || fail "row-range inodes, links or times wrong"

# du counts each shared file once and the chunks at their stored size
du_m=$(du -sk "$M" | cut -f1)
du_l=$(du -skl "$M" | cut -f1)        # -l: every link counted
packs=$(du -sk --apparent-size "$R/packs" | cut -f1)
note "du of the mount ${du_m} KiB (each link counted: ${du_l} KiB), packs ${packs} KiB"
# (each file that is not a chunk's CSV counts a block: small tables make that a good part)
[ "$du_m" -le $((packs * 5 / 2)) ] && [ "$du_m" -ge $((packs / 2)) ] ||
    fail "du of the mount (${du_m} KiB) is not close to the stored size (${packs} KiB)"
[ "$du_l" -ge $((du_m * 2)) ] || fail "du -l (${du_l} KiB) vs du (${du_m} KiB): no sharing visible"

G=($(cd "$M" && ls -d 20*))
# rsync: the next generation over a copy of the previous one transfers only what differs
rsync -a "$M/${G[0]}/" "$T/sync/" || fail "rsync 1"
rsync -a --delete --stats "$M/${G[1]}/" "$T/sync/" >"$T/rsync.out" || fail "rsync 2"
got=$(sed -n 's/^Number of regular files transferred: //p' "$T/rsync.out" | tr -d ,)
want=$("$PY" - "$M/${G[0]}" "$M/${G[1]}" <<'PYEOF'
import os, sys
a, b = sys.argv[1:3]
n = 0
for root, dirs, files in os.walk(b):
    for f in files:
        p = os.path.join(root, f); q = os.path.join(a, os.path.relpath(p, b))
        # only an unchanged row-range file (same name, same bytes) keeps its size and mtime
        same = os.path.basename(root) == "rows" and os.path.exists(q) and open(p, "rb").read() == open(q, "rb").read()
        n += not same
print(n)
PYEOF
)
note "rsync of ${G[1]} over ${G[0]}: $got files transferred, $want differ"
[ "$got" = "$want" ] || fail "rsync transferred $got files, $want differ"
diff -r "$M/${G[1]}" "$T/sync" >/dev/null || fail "rsync'd copy differs from ${G[1]}"

# rsync -aH and tar keep one copy of what generations share
rsync -aH "$M/${G[0]}" "$M/${G[1]}" "$M/${G[2]}" "$T/h/" || fail "rsync -aH"
tar -cf "$T/a.tar" -C "$M" "${G[0]}" "${G[1]}" "${G[2]}" || fail "tar"
"$PY" - "$M" "$T/h" "$T/a.tar" "${G[0]}" "${G[1]}" "${G[2]}" <<'PYEOF' || fail "rsync -aH / tar do not keep shared files once"
import os, sys, tarfile
m, h, tf = sys.argv[1:4]; gens = sys.argv[4:]
errs = []
want = {}  # relpath -> first relpath with the same bytes in the same table and format
first = {}
links = 0
for g in gens:
    for root, dirs, files in os.walk(os.path.join(m, g)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            rel = os.path.relpath(p, m)
            if os.path.basename(root) != "rows":
                continue
            k = (rel.split("/")[1], f.rsplit(".", 1)[1], open(p, "rb").read())
            if k in first:
                want[rel] = first[k]
            else:
                first[k] = rel
for rel, to in want.items():
    if os.stat(os.path.join(h, rel)).st_ino != os.stat(os.path.join(h, to)).st_ino:
        errs.append("rsync -aH copied %s apart from %s" % (rel, to))
with tarfile.open(tf) as t:
    got = {mb.name for mb in t.getmembers() if mb.islnk()}
missing = set(want) - got
if missing or len(got) < len(want):
    errs.append("tar: %d hard links, %d expected (%s)" % (len(got), len(want), sorted(missing)[:2]))
if not want:
    errs.append("test bug: nothing shared")
for e in errs[:10]:
    print("ERR:", e)
print("# %d shared files kept once" % len(want))
sys.exit(1 if errs else 0)
PYEOF

# stable across a remount and a catalog rebuild
umount_fs "$M"
"$STRATA" index --rebuild "$R" >/dev/null || fail "rebuild"
mount_fs "$R" "$M"
check_tree "$M" "$T/inos.2" || fail "after a rebuild"
cmp -s "$T/inos.1" "$T/inos.2" || { diff "$T/inos.1" "$T/inos.2" | head -5 >&2; fail "inode numbers changed across a remount and rebuild"; }
umount_fs "$M"

# prune: a file found only through the oldest generation, open across the prune
mount_fs "$R" "$M"
"$PY" - "$M" "$R" "$STRATA" "${G[0]}" "${G[1]}" <<'PYEOF' || fail "shared file across a prune"
import os, subprocess, sys, time
m, r, strata, g0, g1 = sys.argv[1:6]
rows = os.path.join(m, g0, "orders", "rows")
# a file g0 shares with g1 (the names are the oracle: same name, same bytes)
name = None
for n in sorted(os.listdir(rows)):
    q = os.path.join(m, g1, "orders", "rows", n)
    if n.endswith(".csv") and open(os.path.join(rows, n), "rb").read() == (open(q, "rb").read() if os.path.exists(q) else None):
        name = n
        break
assert name, "test bug: no orders row range shared by the first two generations"
# remount state: only g0's name was looked up; the number's address is g0
p = os.path.join(rows, name)
fd = os.open(p, os.O_RDONLY)
before = os.fstat(fd)
data = os.pread(fd, before.st_size + 1, 0)
out = subprocess.run([strata, "prune", r, "--keep-last", "4"], capture_output=True, text=True)
assert out.returncode == 0, out.stderr
end = time.time() + 60  # bounded, not timed: the mount re-reads its catalog within seconds, later under load
while os.path.exists(os.path.join(m, g0)) and time.time() < end:
    time.sleep(0.1)
assert not os.path.exists(os.path.join(m, g0)), "the pruned generation is still in the mount"
time.sleep(1.2)  # attributes of a shared file are cached 1 s (docs/FORMAT.md "Cache timeouts")
after = os.fstat(fd)
assert after.st_ino == before.st_ino, "the number changed"
assert after.st_nlink == before.st_nlink - 1, "st_nlink %d after the prune, %d before" % (after.st_nlink, before.st_nlink)
assert after.st_mtime > before.st_mtime, "mtime still the pruned generation's"
assert os.pread(fd, before.st_size + 1, 0) == data, "an open file reads other bytes after the prune"
# a new open of the same inode (not by name): served from a generation that remains
with open("/proc/self/fd/%d" % fd, "rb") as f:
    assert f.read() == data, "reopened file reads other bytes"
os.close(fd)
st = os.stat(os.path.join(m, g1, "orders", "rows", name))
assert st.st_ino == before.st_ino and st.st_nlink == after.st_nlink, "the remaining generation's file is another inode"
print("# %s: %d links before the prune, %d after" % (name, before.st_nlink, after.st_nlink))
PYEOF
# the catalog's counts after the prune: links and times of every file as the oracle has them
check_tree "$M" "$T/inos.3" || fail "after the prune"
umount_fs "$M"
note "ok"
