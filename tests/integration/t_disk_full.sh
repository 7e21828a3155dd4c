#!/bin/bash
# Disk full during a backup: the repository lives on a small tmpfs made by
# the test, filled so the backup runs out of space at different stages
# (first pack, a later pack, the manifest, the catalog).  Each time: exit 1
# with one line that says the disk is full, no partial generation visible,
# `strata verify` clean; after space is freed the same backup succeeds and
# equals its database.
. "$(dirname "$0")/lib.sh"
require_bins

SMALL=$T/small R=$T/small/repo DB=$T/s.db M=$T/mnt
mkdir -p "$SMALL"
mount -t tmpfs -o size=8m,mode=0755 strata-test-full "$SMALL" 2>"$T/mount.err" ||
    skip "cannot mount a tmpfs here: $(cat "$T/mount.err")"
_KMOUNTS+=("$SMALL")   # the EXIT trap unmounts it after the FUSE mounts

oracle make-shop "$DB" --day 1 --orders 6000
"$STRATA" init "$R" --chunk-size 8K --pack-size 64K >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-01T00:00:00Z >/dev/null || fail "first backup failed"
cp "$DB" "$T/g1.db"
used=$(du -sk "$R" | cut -f1)
note "one generation takes ${used} KiB"

# a second source with new content: it needs about as much space again
oracle make-shop "$T/s2.db" --day 1 --orders 6100
tried=0 failed=0
fitted=0
for free_kb in 0 16 64 128 192 $(seq 200 8 400) 500 700 1000 1400; do
    # leave about free_kb KiB free on the small filesystem
    rm -f "$SMALL/filler"
    avail=$(df -k --output=avail "$SMALL" | tail -n1 | tr -d ' ')
    if [ "$avail" -gt "$free_kb" ]; then
        fallocate -l "$(( (avail - free_kb) * 1024 ))" "$SMALL/filler" 2>/dev/null ||
            dd if=/dev/zero of="$SMALL/filler" bs=1K count=$((avail - free_kb)) status=none 2>/dev/null || true
    fi
    before=$(ls "$R/generations")
    tried=$((tried + 1))
    rc=0
    "$STRATA" backup "$R" "$T/s2.db" --at 2026-11-02T00:00:00Z >"$T/out" 2>"$T/err" || rc=$?
    if [ $rc -eq 0 ]; then
        note "with ${free_kb} KiB free: the backup fitted"
        fitted=1
        break
    fi
    failed=$((failed + 1))
    [ $rc -lt 128 ] || fail "with ${free_kb} KiB free: backup died from a signal ($rc): $(cat "$T/err")"
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "with ${free_kb} KiB free: expected one error line, got: $(cat "$T/err")"
    grep -q '^strata: .*no space left' "$T/err" || fail "with ${free_kb} KiB free: the error does not say the disk is full: $(cat "$T/err")"
    note "with ${free_kb} KiB free -> exit $rc: $(cat "$T/err")"
    # nothing new is visible, except a generation whose manifest made it to disk
    # (then it must be complete, checked below), and the repository verifies
    after=$(ls "$R/generations")
    rm -f "$SMALL/filler"
    "$STRATA" verify "$R" --quick >"$T/v.out" 2>&1 || { cat "$T/v.out" >&2; fail "with ${free_kb} KiB free: verify found damage"; }
    if [ "$before" != "$after" ]; then
        note "with ${free_kb} KiB free the manifest was written before space ran out (catalog update failed)"
        "$STRATA" ls "$R" >/dev/null || fail "strata ls cannot bring the catalog up to date after space was freed"
        fitted=1
        break
    fi
    "$STRATA" ls "$R" --json | grep -c '"name"' | grep -qx 1 || fail "with ${free_kb} KiB free: strata ls shows more than the first generation"
done
[ "$failed" -ge 3 ] || fail "only $failed of $tried fill levels ran out of space: the test does not exercise a full disk"

# space freed: the same backup succeeds and both generations are right
rm -f "$SMALL/filler"
if [ $fitted = 0 ]; then
    "$STRATA" backup "$R" "$T/s2.db" --at 2026-11-02T00:00:00Z >/dev/null 2>"$T/err" ||
        fail "retry after freeing space failed: $(cat "$T/err")"
fi
[ "$(ls "$R/generations" | wc -l)" -eq 2 ] || fail "expected exactly 2 generations, found: $(ls "$R/generations")"
"$STRATA" verify "$R" >"$T/v.out" 2>&1 || { cat "$T/v.out" >&2; fail "verify after the retry found damage"; }
[ -z "$(ls -A "$R/tmp")" ] || fail "tmp/ not empty after a successful backup: $(ls "$R/tmp")"
mount_fs "$R" "$M"
oracle compare-mount "$T/g1.db" "$M/2026-11-01T000000Z" || fail "generation 1 differs after the disk-full attempts"
oracle compare-mount "$T/s2.db" "$M/2026-11-02T000000Z" || fail "generation 2 differs from its database"
umount_fs "$M"
note "$failed of $tried backups ran out of space; the retry succeeded"
echo ok
