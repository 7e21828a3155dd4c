#!/bin/bash
# New generations appear under a running mount within 10 s; latest follows.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/s.db
oracle make-shop "$DB" --day 1 --orders 3000
cp "$DB" "$T/d1.db"
"$STRATA" init "$R" >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z >/dev/null || fail "backup 1"
mount_fs "$R" "$M"
G1=$M/2026-11-20T020000Z
[ "$(readlink "$M/latest")" = 2026-11-20T020000Z ] || fail "latest initially -> $(readlink "$M/latest")"
# keep a file of generation 1 open across the change
exec 7<"$G1/orders/orders.csv"
head -c 100 <&7 >/dev/null

oracle make-shop "$DB" --day 2
cp "$DB" "$T/d2.db"
"$STRATA" backup "$R" "$DB" --at 2026-11-21T02:00:00Z >/dev/null || fail "backup 2"
t0=$(date +%s.%N)
has_gen2() { [ -d "$M/2026-11-21T020000Z" ] && [ "$(readlink "$M/latest")" = 2026-11-21T020000Z ]; }
wait_until 10 has_gen2 || { ls -la "$M" >&2; fail "new generation / latest not visible within 10 s"; }
note "new generation visible after $(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo '?') s"
oracle compare-mount "$T/d2.db" "$M/2026-11-21T020000Z" || fail "new generation differs from oracle"
[ -f "$M/latest/generation.json" ] || fail "latest/generation.json not reachable"
oracle compare-mount "$T/d1.db" "$G1" || fail "old generation changed"
cat <&7 >/dev/null || fail "reading a file held open across the new generation failed"
exec 7<&-

# an older-dated generation appears too but latest does not move
"$STRATA" backup "$R" "$T/d1.db" --at 2026-11-19T02:00:00Z >/dev/null || fail "backup 3"
has_old() { [ -d "$M/2026-11-19T020000Z" ]; }
wait_until 10 has_old || fail "older-dated generation not visible within 10 s"
[ "$(readlink "$M/latest")" = 2026-11-21T020000Z ] || fail "latest moved to $(readlink "$M/latest") after an older-dated backup"
oracle compare-mount "$T/d1.db" "$M/2026-11-19T020000Z" || fail "older-dated generation differs"

# a generation without --at (now) becomes latest (if the clock is past 2026-11-21)
if [[ "$(date -u +%Y-%m-%dT%H%M%SZ)" < 2026-11-21T020001Z ]]; then
    note "clock before 2026-11-21: skipping the 'now' part"; umount_fs "$M"; echo ok; exit 0
fi
"$STRATA" backup "$R" "$DB" --label now >/dev/null || fail "backup 4"
now_latest() { local l; l=$(readlink "$M/latest"); [ -n "$l" ] && [[ "$l" > 2026-11-21T020000Z ]] && [ -d "$M/$l" ]; }
wait_until 10 now_latest || fail "generation taken now is not latest within 10 s (latest -> $(readlink "$M/latest"))"
L=$(readlink "$M/latest")
[[ "$L" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z(-[0-9]+)?$ ]] || fail "bad generation name $L"
oracle compare-mount "$T/d2.db" "$M/$L" || fail "generation $L differs"
umount_fs "$M"
echo ok
