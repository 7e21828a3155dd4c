#!/bin/bash
# Every write-like operation on the mount fails with EROFS and changes nothing.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/s.db
oracle make-shop "$DB" --day 1 --orders 2000
"$STRATA" init "$R" >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z >/dev/null || fail "backup failed"
mount_fs "$R" "$M"
G=$M/2026-11-20T020000Z
repo_before=$(tree_digest "$R")
mnt_before=$(tree_digest "$M")

timeout 120 "$PY" - "$M" <<'PYEOF' || fail "write-like operations did not all fail with EROFS"
import errno, os, sys
m = sys.argv[1]
g = os.path.join(m, "2026-11-20T020000Z")
f = os.path.join(g, "orders", "orders.csv")
rf = os.path.join(g, "orders", "rows", sorted(os.listdir(os.path.join(g, "orders", "rows")))[0])
d = os.path.join(g, "orders")
errs = []
def expect(desc, fn, *a, **kw):
    try:
        r = fn(*a, **kw)
    except OSError as e:
        if e.errno != errno.EROFS:
            errs.append("%s: errno %s (%s), want EROFS" % (desc, errno.errorcode.get(e.errno, e.errno), e.strerror))
        return
    errs.append("%s: succeeded (returned %r)" % (desc, r))
    if isinstance(r, int) and desc.startswith("open"):
        os.close(r)
expect("open O_WRONLY", os.open, f, os.O_WRONLY)
expect("open O_RDWR", os.open, f, os.O_RDWR)
expect("open O_RDONLY|O_TRUNC", os.open, f, os.O_RDONLY | os.O_TRUNC)
expect("open O_WRONLY|O_APPEND rows file", os.open, rf, os.O_WRONLY | os.O_APPEND)
expect("open O_CREAT new file in gen", os.open, os.path.join(g, "new.txt"), os.O_WRONLY | os.O_CREAT, 0o644)
expect("open O_CREAT new file in root", os.open, os.path.join(m, "new.txt"), os.O_WRONLY | os.O_CREAT, 0o644)
expect("open O_CREAT|O_EXCL in table dir", os.open, os.path.join(d, "x.csv"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
expect("mkdir in root", os.mkdir, os.path.join(m, "newdir"))
expect("mkdir in gen", os.mkdir, os.path.join(g, "newdir"))
expect("mkdir in rows", os.mkdir, os.path.join(d, "rows", "newdir"))
expect("mknod fifo", os.mkfifo, os.path.join(g, "fifo"))
expect("unlink csv", os.unlink, f)
expect("unlink rows file", os.unlink, rf)
expect("unlink latest", os.unlink, os.path.join(m, "latest"))
expect("rmdir rows", os.rmdir, os.path.join(d, "rows"))
expect("rmdir generation", os.rmdir, g)
expect("rename csv", os.rename, f, f + ".bak")
expect("rename table dir", os.rename, d, d + "2")
expect("rename generation", os.rename, g, g + "x")
expect("rename latest", os.rename, os.path.join(m, "latest"), os.path.join(m, "latest2"))
expect("chmod file", os.chmod, f, 0o644)
expect("chmod dir", os.chmod, d, 0o755)
expect("chown file", os.chown, f, 1, 1)
expect("utime file", os.utime, f, (0, 0))
expect("utime now", os.utime, f, None)
expect("utime dir", os.utime, g, (0, 0))
expect("symlink in root", os.symlink, "2026-11-20T020000Z", os.path.join(m, "mylink"))
expect("symlink in gen", os.symlink, "x", os.path.join(g, "mylink"))
expect("hard link", os.link, f, os.path.join(d, "link.csv"))
expect("truncate path", os.truncate, f, 0)
try:
    fd = os.open(f, os.O_RDONLY)
    try:
        os.ftruncate(fd, 0)
        errs.append("ftruncate on a read-only fd succeeded")
    except OSError as e:
        if e.errno not in (errno.EROFS, errno.EINVAL, errno.EBADF):
            errs.append("ftruncate: errno %s" % errno.errorcode.get(e.errno))
    os.close(fd)
except OSError as e:
    errs.append("open O_RDONLY failed: %s" % e)
if hasattr(os, "setxattr"):
    try:
        os.setxattr(f, "user.test", b"1")
        errs.append("setxattr succeeded")
    except OSError as e:
        if e.errno not in (errno.EROFS, errno.ENOTSUP, errno.EOPNOTSUPP):
            errs.append("setxattr: errno %s" % errno.errorcode.get(e.errno))
for e in errs:
    print("ERR:", e)
print("%d problems" % len(errs))
sys.exit(1 if errs else 0)
PYEOF

# shell tools too
for cmd in "touch $G/orders/orders.csv" "touch $G/newfile" "rm -f $G/orders/orders.csv" "mkdir $M/x" \
           "mv $G/orders $G/orders2" "chmod 777 $G" "ln -s a $M/b" "cp $DB $G/" "rm -rf $G"; do
    if bash -c "$cmd" 2>"$T/err"; then fail "'$cmd' succeeded on the mount"; fi
    grep -qi 'read-only file system' "$T/err" || fail "'$cmd' failed but not with 'Read-only file system': $(cat "$T/err")"
done
if (echo x >>"$G/orders/orders.csv") 2>"$T/err"; then fail "append succeeded"; fi
grep -qi 'read-only' "$T/err" || fail "append: not EROFS: $(cat "$T/err")"

[ "$(tree_digest "$M")" = "$mnt_before" ] || fail "mount content changed"
[ "$(tree_digest "$R")" = "$repo_before" ] || fail "repository changed"
oracle compare-mount "$DB" "$G" || fail "content differs after write attempts"
umount_fs "$M"
echo ok
