#!/bin/bash
# Who may read the mount, and that it never leaves the repository:
#  - default: only the mounting user (root here); user nobody gets EACCES;
#  - allow_other: the kernel enforces the modes, which follow the repository
#    directory (owner, group, and r only for the classes with r+x on it):
#    0700 keeps nobody out, 0755 lets nobody read the same bytes as root,
#    0750 root:nogroup lets the group in and keeps others out, and a
#    repository owned by nobody at 0700 is nobody's alone;
#  - latest is one plain relative name;
#  - a pack replaced by a symbolic link (to an exact copy outside the
#    repository), a packs/xx directory replaced by a link, and a pack
#    replaced by a FIFO: the reads that need them fail with EIO (never the
#    outside bytes, never a hang), the others are correct;
#  - a catalog.db that is a symbolic link is refused at mount in one line.
. "$(dirname "$0")/lib.sh"
require_bins
[ "$(id -u)" = 0 ] || skip "needs root (mounts as root, reads as user nobody)"
command -v setpriv >/dev/null || skip "setpriv (util-linux) missing"
getent passwd nobody >/dev/null && getent group nogroup >/dev/null && getent passwd daemon >/dev/null \
    || skip "users nobody/daemon or group nogroup missing"

chmod 755 "$T" # other users can reach $T/mnt: only the mount decides
R=$T/repo M=$T/mnt DB=$T/s.db
GEN=2026-11-20T020000Z
oracle make-shop "$DB" --day 1 --orders 3000
chmod 644 "$DB"
"$STRATA" init "$R" --chunk-size 4096 --pack-size 8192 >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z >/dev/null || fail "backup failed"
mkdir -p "$M"

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_daemon() { setpriv --reuid=daemon --regid=daemon --clear-groups "$@"; }

# probe MNT: what the calling user can do: "LIST STAT READ", each ok or an
# errno name (listdir of the root, stat of a generation, read of a file)
cat >"$T/probe.py" <<'PYEOF'
import errno, os, sys
m, gen = sys.argv[1:3]
def t(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
f = os.path.join(m, gen, "orders", "orders.csv")
print(t(lambda: os.listdir(m)), t(lambda: os.stat(os.path.join(m, gen))),
      t(lambda: open(f, "rb").read()))
PYEOF
chmod 644 "$T/probe.py"
probe() { "$@" "$PY" "$T/probe.py" "$M" "$GEN"; }

# mode and owner of a file and a directory of the mount, as root
modes() { stat -c '%a %u %g' "$M/$GEN/orders/orders.csv" "$M/$GEN/orders" | tr '\n' ' '; }

[ "$(as_nobody "$PY" -c 'import os,sys; os.stat(sys.argv[1]); print("ok")' "$M")" = ok ] \
    || fail "user nobody cannot reach $M before mounting (test setup)"

# ---- default: only the mounting user ----
chmod 755 "$R"
mount_fs "$R" "$M"
oracle compare-mount "$DB" "$M/$GEN" || fail "root cannot read its own mount"
got=$(probe as_nobody)
[ "$got" = "EACCES EACCES EACCES" ] || fail "default mount: user nobody got '$got', want EACCES everywhere"
note "default mount: nobody -> $got"
umount_fs "$M"

# ---- allow_other, repository 0700: modes keep nobody out ----
chmod 700 "$R"
mount_fs "$R" "$M" -o allow_other
[ "$(modes)" = "400 0 0 500 0 0 " ] || fail "repo 0700: modes/owners '$(modes)', want '400 0 0 500 0 0'"
cmp -s "$M/$GEN/orders/orders.csv" <(oracle table-csv "$DB" orders) || fail "root cannot read with repo 0700"
got=$(probe as_nobody)
[ "$got" = "EACCES EACCES EACCES" ] || fail "allow_other, repo 0700: user nobody got '$got', want EACCES everywhere"
note "allow_other, repo 0700: nobody -> $got"
umount_fs "$M"

# ---- allow_other, repository 0755: everyone reads the same bytes ----
chmod 755 "$R"
mount_fs "$R" "$M" -o allow_other
[ "$(modes)" = "444 0 0 555 0 0 " ] || fail "repo 0755: modes/owners '$(modes)', want '444 0 0 555 0 0'"
as_nobody "$PY" "$ORACLE" compare-mount "$DB" "$M/$GEN" || fail "allow_other, repo 0755: user nobody does not read the oracle's bytes"
for f in orders/orders.csv generation.json schema.sql; do
    as_nobody cat "$M/$GEN/$f" >"$T/nobody.out" || fail "nobody cannot read $f"
    cmp -s "$T/nobody.out" "$M/$GEN/$f" || fail "$f: nobody's bytes differ from root's"
done
if as_nobody touch "$M/$GEN/x" 2>"$T/err"; then fail "nobody could create a file"; fi
note "allow_other, repo 0755: nobody reads the same bytes as root"

# latest: one plain relative name, that resolves inside the mount
L=$(readlink "$M/latest")
[ "$L" = "$GEN" ] || fail "latest -> '$L', want '$GEN'"
case "$L" in */* | .. | . | "") fail "latest target '$L' is not one plain name" ;; esac
[ "$(realpath "$M/latest")" = "$(realpath "$M")/$GEN" ] || fail "latest resolves to $(realpath "$M/latest")"
[ "$(as_nobody readlink "$M/latest")" = "$GEN" ] || fail "nobody reads another latest"
umount_fs "$M"

# ---- allow_other, repository 0750 root:nogroup: the group reads, others do not ----
chgrp nogroup "$R"
chmod 750 "$R"
mount_fs "$R" "$M" -o allow_other
ng=$(getent group nogroup | cut -d: -f3)
[ "$(modes)" = "440 0 $ng 550 0 $ng " ] || fail "repo 0750 root:nogroup: modes/owners '$(modes)'"
got=$(probe as_nobody)
[ "$got" = "ok ok ok" ] || fail "repo 0750: nobody (group nogroup) got '$got', want ok"
got=$(probe as_daemon)
[ "$got" = "EACCES EACCES EACCES" ] || fail "repo 0750: daemon (not in the group) got '$got', want EACCES"
note "allow_other, repo 0750 root:nogroup: group reads, others denied"
umount_fs "$M"

# ---- allow_other, repository owned by nobody, 0700 ----
chown nobody:nogroup "$R"
chmod 700 "$R"
mount_fs "$R" "$M" -o allow_other
nb=$(id -u nobody)
[ "$(modes)" = "400 $nb $ng 500 $nb $ng " ] || fail "repo nobody 0700: modes/owners '$(modes)'"
got=$(probe as_nobody)
[ "$got" = "ok ok ok" ] || fail "repo owned by nobody: nobody got '$got', want ok"
got=$(probe as_daemon)
[ "$got" = "EACCES EACCES EACCES" ] || fail "repo owned by nobody: daemon got '$got', want EACCES"
umount_fs "$M"
chown root:root "$R"
chmod 755 "$R"

# ---- the mount never follows a link out of the repository ----
O=$T/outside
mkdir -p "$O"
# packs holding rows (a pack of index nodes only is never read by the mount), as packs/xx/NAME.pack
mapfile -t packs < <(sqlite3 "$R/catalog.db" "SELECT DISTINCT p.name FROM chunks c JOIN packs p USING(pack_id)
    WHERE c.nrows > 0 ORDER BY p.name" | sed 's|^\(..\)\(.*\)$|\1/\1\2.pack|')
[ ${#packs[@]} -ge 4 ] || fail "want at least 4 packs, got ${#packs[@]}"
# a pack file -> an exact copy outside: following it would serve correct bytes
P1=${packs[0]}
cp "$R/packs/$P1" "$O/copy.pack"
ln -sf "$O/copy.pack" "$R/packs/$P1"
# a packs/xx directory (of a pack in another directory) -> a copy outside
P2=
for p in "${packs[@]}"; do [ "${p%%/*}" != "${P1%%/*}" ] && { P2=$p; break; }; done
[ -n "$P2" ] || fail "all packs in one packs/xx directory (test setup)"
D2=${P2%%/*}
cp -a "$R/packs/$D2" "$O/$D2"
rm -rf "${R:?}/packs/$D2"
ln -s "$O/$D2" "$R/packs/$D2"
# a pack replaced by a FIFO: must not hang
P3=
for p in "${packs[@]}"; do
    d=${p%%/*}
    [ "$d" != "${P1%%/*}" ] && [ "$d" != "$D2" ] && { P3=$p; break; }
done
if [ -n "$P3" ]; then
    mv "$R/packs/$P3" "$O/fifo-orig.pack"
    mkfifo "$R/packs/$P3"
fi
note "linked: $P1 (file), $D2/ (directory); fifo: ${P3:-none}"

STRATA_MOUNT_FG=1 mount_fs "$R" "$M"
timeout 120 "$PY" - "$DB" "$M/$GEN" "$ORACLE" <<'PYEOF' || fail "reads through links: wrong behaviour"
import errno, os, sys, importlib.util
db, g, orc = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("oracle", orc); o = importlib.util.module_from_spec(spec); spec.loader.exec_module(o)
con = o.connect(db)
eio, ok, wrong = [], [], []
def check(path, want):
    try:
        with open(path, "rb") as f:
            got = f.read()
    except OSError as e:
        if e.errno == errno.EIO:
            eio.append(path)
        else:
            wrong.append("%s: errno %s" % (path, errno.errorcode.get(e.errno)))
        return
    if got != want:
        wrong.append("%s: WRONG BYTES (%d, want %d)" % (path, len(got), len(want)))
    else:
        ok.append(path)
for t in o.table_names(con):
    hdr = o.header_line(con, t)
    body = b"".join(l for _, l in o.row_keys_and_lines(con, t))
    d = os.path.join(g, t) # the shop's table names need no escaping
    check(os.path.join(d, t + ".csv"), hdr + body)
    pos = 0
    for rf in sorted(f for f in os.listdir(os.path.join(d, "rows")) if f.endswith(".csv")):
        p = os.path.join(d, "rows", rf)
        n = os.stat(p).st_size - len(hdr)
        check(p, hdr + body[pos:pos + n])
        pos += n
print("EIO: %d files, OK: %d files, wrong: %d" % (len(eio), len(ok), len(wrong)))
for w in wrong:
    print("ERR:", w)
if not eio:
    print("ERR: no read failed: a link was followed")
if not ok:
    print("ERR: no read succeeded")
sys.exit(1 if wrong or not eio or not ok else 0)
PYEOF
LOG=$T/stratafs.mnt.log
grep -q "packs/$P1': it is a symbolic link, which is not followed" "$LOG" \
    || { cat "$LOG" >&2; fail "no log line for the linked pack $P1"; }
grep -q "packs/$D2/.*symbolic link\|packs/$D2/.*Not a directory" "$LOG" \
    || { cat "$LOG" >&2; fail "no log line for the linked directory $D2"; }
if [ -n "$P3" ]; then
    grep -q "packs/$P3': not a regular file" "$LOG" || { cat "$LOG" >&2; fail "no log line for the FIFO $P3"; }
fi
umount_fs "$M"

# a symbolic link as catalog.db is refused at mount, in one line
mv "$R/catalog.db" "$O/catalog.db"
rm -f "$R/catalog.db-wal" "$R/catalog.db-shm"
ln -s "$O/catalog.db" "$R/catalog.db"
rc=0
"$STRATAFS" "$R" "$M" >"$T/m.out" 2>"$T/m.err" || rc=$?
not_mounted "$M" || { fusermount3 -u "$M"; fail "mounted with catalog.db a symbolic link"; }
[ $rc -ne 0 ] || fail "stratafs exited 0 with catalog.db a symbolic link"
[ "$(wc -l <"$T/m.err")" = 1 ] && grep -q '^stratafs: .*symbolic link' "$T/m.err" \
    || fail "catalog.db link: want one 'stratafs: ... symbolic link' line, got: $(cat "$T/m.err")"
note "catalog.db link -> $(cat "$T/m.err")"
echo ok
