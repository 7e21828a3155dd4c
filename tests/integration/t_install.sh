#!/bin/bash
# What `meson install` puts where, and that it works: man pages, the systemd
# units (systemd-analyze verify, which must also catch a broken copy), and
# mount(8): `mount -t fuse.stratafs` and an fstab line run the helper
# /sbin/mount.fuse.stratafs, found whatever PATH says and wherever stratafs
# lives.
. "$(dirname "$0")/lib.sh"
require_bins
BUILD=$(cd "$(dirname "$STRATA")/.." && pwd)
command -v systemd-analyze >/dev/null || skip "systemd-analyze missing (scripts/deps.sh installs systemd)"

# ---- meson install into a staging root ----
D=$T/dest
DESTDIR=$D meson install -C "$BUILD" --no-rebuild >"$T/install.log" 2>&1 || { cat "$T/install.log" >&2; fail "meson install"; }
prefix=$(meson introspect "$BUILD" --buildoptions | "$PY" -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
helperdir=$(meson introspect "$BUILD" --buildoptions | "$PY" -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "mount_helper_dir"][0])')
for f in bin/strata bin/stratafs share/man/man1/strata.1 share/man/man8/stratafs.8 \
         lib/systemd/system/strata-backup@.service lib/systemd/system/strata-backup@.timer \
         lib/systemd/system/strata-verify@.service lib/systemd/system/strata-verify@.timer \
         lib/systemd/system/strata-status@.service lib/systemd/system/strata-status@.timer \
         share/doc/strata/strata.conf.example; do
    [ -e "$D$prefix/$f" ] || fail "meson install did not install $prefix/$f"
done
[ "$(readlink "$D$helperdir/mount.fuse.stratafs")" = "$prefix/bin/stratafs" ] ||
    fail "the mount helper $helperdir/mount.fuse.stratafs points to '$(readlink "$D$helperdir/mount.fuse.stratafs")', want $prefix/bin/stratafs"
cmp -s "$D$prefix/share/man/man1/strata.1" "$BUILD/doc/strata.1" || fail "the installed strata.1 is not the built one"
grep -q "^ExecStart=$prefix/bin/strata backup " "$D$prefix/lib/systemd/system/strata-backup@.service" ||
    fail "strata-backup@.service does not run the installed strata: $(grep ExecStart "$D$prefix/lib/systemd/system/strata-backup@.service")"

# ---- systemd-analyze verify, in the staging root ----
# (the root needs systemd's own units, which the ones here depend on, and a
# configuration for the instance)
mkdir -p "$D/usr/lib/systemd" "$D/etc/strata"
cp -a /usr/lib/systemd/system "$D/usr/lib/systemd/"
cp "$D$prefix/share/doc/strata/strata.conf.example" "$D/etc/strata/shop.conf"
mkdir -p "$D/etc/systemd/system"
cp "$ROOT/contrib/systemd/mnt-backups-shop.mount" "$D/etc/systemd/system/"
units=(strata-backup@shop.service strata-backup@shop.timer strata-verify@shop.service
       strata-verify@shop.timer strata-status@shop.service strata-status@shop.timer
       mnt-backups-shop.mount)
analyze() { systemd-analyze verify --root="$D" --man=no "$@" 2>&1 | grep -v "Failed to resolve symlink" || true; }
out=$(analyze "${units[@]}")
systemd-analyze verify --root="$D" --man=no "${units[@]}" >/dev/null 2>&1 || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
note "systemd-analyze verify: ${#units[@]} units clean"
# ... and it would catch a broken unit (the check can fail)
sed -i 's/^OnCalendar=daily/OnCalendar=every day at dawn/' "$D$prefix/lib/systemd/system/strata-backup@.timer"
if systemd-analyze verify --root="$D" --man=no strata-backup@shop.timer >/dev/null 2>&1; then
    fail "systemd-analyze verify accepted a timer with a bad OnCalendar"
fi
sed -i "s|^ExecStart=$prefix/bin/strata |ExecStart=$prefix/bin/no-such-strata |" "$D$prefix/lib/systemd/system/strata-verify@.service"
if systemd-analyze verify --root="$D" --man=no strata-verify@shop.service >/dev/null 2>&1; then
    fail "systemd-analyze verify accepted a unit whose program is missing"
fi

# ---- mount -t fuse.stratafs and fstab, through the helper in /sbin ----
R=$T/repo M=$T/mnt DB=$T/s.db
oracle make-shop "$DB" --day 1 --orders 800
"$STRATA" init "$R" >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z >/dev/null || fail "backup"
mkdir -p "$M"
H=$helperdir/mount.fuse.stratafs
[ "$(id -u)" = 0 ] || skip "the mount(8) part needs root (it puts $H in place); the install checks passed"
if [ -e "$H" ] || [ -L "$H" ]; then
    [ "$(readlink -f "$H")" = "$(readlink -f "$STRATAFS")" ] ||
        skip "$H exists (an installed strata: $(readlink "$H")) and is not replaced; the install checks passed"
else
    ln -s "$STRATAFS" "$H"
    at_exit rm -f "$H"
fi
_MOUNTS+=("$M")
# stratafs is nowhere on PATH: mount(8) finds the helper itself
env -i PATH=/nonexistent /usr/bin/mount -t fuse.stratafs "$R" "$M" 2>"$T/mount.err" ||
    fail "mount -t fuse.stratafs: $(cat "$T/mount.err")"
is_mounted "$M" || fail "mount -t fuse.stratafs returned but nothing is mounted"
grep -q " $(realpath "$M") .* fuse.stratafs " /proc/self/mountinfo || fail "the mount is not of type fuse.stratafs"
oracle compare-mount "$DB" "$M/2026-11-20T020000Z" >/dev/null || fail "the generation mounted by mount(8) differs"
umount "$M"
wait_until 10 not_mounted "$M" || fail "umount"
# an fstab line with the options mount and systemd use, which the helper drops
printf '%s %s fuse.stratafs nofail,_netdev,x-systemd.automount,allow_other,cache_size=16M,ro 0 0\n' "$R" "$M" >"$T/fstab"
env -i PATH=/nonexistent /usr/bin/mount -T "$T/fstab" "$M" 2>"$T/mount.err" || fail "mount from an fstab line: $(cat "$T/mount.err")"
is_mounted "$M" || fail "mount from fstab returned but nothing is mounted"
grep " $(realpath "$M") " /proc/self/mountinfo | grep -q "allow_other" || fail "allow_other from fstab did not reach the mount"
[ -L "$M/latest" ] || fail "the fstab mount shows no latest"
umount "$M"
wait_until 10 not_mounted "$M" || fail "umount after the fstab mount"
# mount -f (fake) mounts nothing; a bad repository fails loudly, not silently
/usr/bin/mount -f -t fuse.stratafs "$R" "$M" || fail "mount -f"
not_mounted "$M" || fail "mount -f mounted"
rc=0
/usr/bin/mount -t fuse.stratafs "$T/nope" "$M" 2>"$T/mount.err" || rc=$?
[ $rc -ne 0 ] || { umount "$M"; fail "mount of a missing repository succeeded"; }
grep -q "stratafs: .*is not a strata repository" "$T/mount.err" || fail "mount of a missing repository does not say why: $(cat "$T/mount.err")"
echo ok
