#!/bin/bash
# Many hosts, one bucket (Ceph RGW on loopback): two hosts (two catalog
# caches, concurrent processes) back up different databases into one
# repository at the same moment, both see and mount everything, a mount on a
# third host shows a new generation within seconds; backups share the
# repository's lock and prune waits for them; a lock left by a killed backup
# turns stale and stops blocking; two takers of one stale lock do not both
# hold it; a backup or prune paused past its lease changes nothing after.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rgw.sh"
require_bins
rgw_start
rgw_mkbucket strata-hosts

R=s3://strata-hosts/fleet
on() { local h=$1; shift; XDG_CACHE_HOME=$T/host-$h "$@"; }
# stopped OUT FAULT HOST [NAME=VALUE...] CMD...: CMD as host HOST in the background
# until it stops itself at fault point FAULT; STOPPED = its pid
stopped() {
    local out=$1 fault=$2 host=$3
    shift 3
    env STRATA_FAULT="$fault@stop" XDG_CACHE_HOME="$T/host-$host" "$@" >"$out" 2>&1 &
    STOPPED=$!
    _PIDS+=($STOPPED)
    wait_until 30 sh -c "grep -q '^State:.*T' /proc/$STOPPED/status" ||
        fail "did not stop at $fault: $*: $(cat "$out")"
}
# resume PID: let a stopped process go on; RC = its exit status
resume() { RC=0; kill -CONT "$1"; wait "$1" || RC=$?; }
# lost_said OUT WHAT: a process let go after its lease ran out failed and said why
lost_said() {
    [ "$RC" != 0 ] || fail "$2 that lost its lock went on: $(cat "$1")"
    grep -q "lost the lock" "$1" || fail "$2: the lost lock is not said: $(cat "$1")"
}

on a "$STRATA" init "$R" >/dev/null || fail "init"
oracle make-shop "$T/shop.db" --day 1 --orders 3000
oracle make-shop "$T/stock.db" --day 1 --orders 1500
cp "$T/shop.db" "$T/shop.1.db"
cp "$T/stock.db" "$T/stock.1.db"

# the same second on two hosts: both generations stored, under two names
at=2026-11-20T02:00:00Z
on a "$STRATA" backup "$R" "$T/shop.db" --at $at >"$T/a.out" 2>&1 &
pa=$!
on b "$STRATA" backup "$R" "$T/stock.db" --at $at >"$T/b.out" 2>&1 &
pb=$!
wait $pa || fail "host a's backup: $(cat "$T/a.out")"
wait $pb || fail "host b's backup: $(cat "$T/b.out")"
na=$(sed -n 's/^generation \([^:]*\):.*/\1/p' "$T/a.out")
nb=$(sed -n 's/^generation \([^:]*\):.*/\1/p' "$T/b.out")
[ -n "$na" ] && [ -n "$nb" ] && [ "$na" != "$nb" ] || fail "generation names '$na' and '$nb'"
case "$na $nb" in *2026-11-20T020000Z*) ;; *) fail "neither took the plain name: $na $nb" ;; esac
note "concurrent backups stored $na and $nb"

# each host brings its cache up to date and lists both
for h in a b; do
    on $h "$STRATA" index "$R" >/dev/null || fail "index on host $h"
    on $h "$STRATA" ls "$R" >"$T/ls.$h" || fail "ls on host $h"
    grep -q "^$na .* shop " "$T/ls.$h" && grep -q "^$nb .* stock " "$T/ls.$h" ||
        fail "host $h lists: $(cat "$T/ls.$h")"
done
cmp -s "$T/ls.a" "$T/ls.b" || fail "the hosts list differently: $(diff "$T/ls.a" "$T/ls.b")"

# both mount everything (a mount makes its cache itself: host c has none yet)
on a mount_fs "$R" "$T/ma"
oracle compare-mount "$T/shop.1.db" "$T/ma/$na" || fail "host a: shop differs"
oracle compare-mount "$T/stock.1.db" "$T/ma/$nb" || fail "host a: stock differs"
umount_fs "$T/ma"
[ ! -e "$T/host-c" ] || fail "test bug: host c has a cache"
on c mount_fs "$R" "$T/mc" -o refresh=1
oracle compare-mount "$T/stock.1.db" "$T/mc/$nb" || fail "host c: stock differs"

# a new generation from host b appears in host c's mount within seconds
oracle make-shop "$T/stock.db" --day 2
cp "$T/stock.db" "$T/stock.2.db"
on b "$STRATA" backup "$R" "$T/stock.db" --at 2026-11-21T02:00:00Z >/dev/null || fail "host b's second backup"
g=2026-11-21T020000Z
wait_until 30 test -d "$T/mc/$g" || fail "host c's mount does not show $g after 30 s: $(ls "$T/mc")"
oracle compare-mount "$T/stock.2.db" "$T/mc/$g" || fail "host c: the new generation differs"
[ "$(readlink "$T/mc/db/stock/latest" 2>/dev/null || readlink "$T/mc/latest")" != "" ] || fail "no latest"
umount_fs "$T/mc"

# backups share the lock; prune waits for them (a backup held at a point, then let go)
oracle make-shop "$T/shop.db" --day 2
stopped "$T/held.out" backup-tables-read a "$STRATA" backup "$R" "$T/shop.db" --at 2026-11-22T02:00:00Z
held=$STOPPED
on b "$STRATA" backup "$R" "$T/stock.db" --at 2026-11-22T03:00:00Z --force >/dev/null ||
    fail "a backup beside a running one (shared lock) failed"
rc=0
on c "$STRATA" prune "$R" --keep-last 10 >"$T/prune.out" 2>&1 || rc=$?
[ $rc = 5 ] || fail "prune beside a running backup: exit $rc, want 5 (busy): $(cat "$T/prune.out")"
grep -q "backup" "$T/prune.out" || fail "prune does not say who holds the lock: $(cat "$T/prune.out")"
resume $held
[ $RC = 0 ] || fail "the held backup failed after it went on: $(cat "$T/held.out")"
on c "$STRATA" prune "$R" --keep-last 10 >"$T/prune.out" 2>&1 || fail "prune after the backups: $(cat "$T/prune.out")"

# a backup killed while it holds the lock: its lease ends, then it blocks no one
oracle make-shop "$T/shop.db" --day 3
STRATA_S3_LOCK_STALE=6 STRATA_FAULT=backup-tables-read XDG_CACHE_HOME=$T/host-a "$STRATA" backup "$R" \
    "$T/shop.db" --at 2026-11-23T02:00:00Z >/dev/null 2>&1 && fail "the killed backup succeeded"
rgw_curl "$RGW_ENDPOINT/strata-hosts?list-type=2&prefix=fleet%2Flocks%2F" | grep -q '<Key>fleet/locks/' ||
    fail "test bug: the killed backup left no lock object"
start=$(date +%s)
on c "$STRATA" prune "$R" --keep-last 10 --wait=60s >"$T/prune2.out" 2>&1 ||
    fail "prune did not get past a stale lock: $(cat "$T/prune2.out")"
note "prune waited $(($(date +%s) - start)) s for the stale lock"
# a stale exclusive lock and two prunes taking it over: the slow one read the
# stale object before the fast one replaced it, and goes on after: it must not
# remove the fast one's lock (it waits, here: exit 5)
lockurl=$RGW_ENDPOINT/strata-hosts/fleet/locks/lock
printf 'gone (pid 1 on nowhere, since 2026-11-01T00:00:00Z)\nexpires = 1\n' |
    rgw_curl -f -X PUT --data-binary @- "$lockurl" >/dev/null || fail "test bug: cannot put a stale lock"
stopped "$T/slow.out" s3-lock-takeover c "$STRATA" prune "$R" --keep-last 10
slow=$STOPPED
stopped "$T/fast.out" prune-locked a "$STRATA" prune "$R" --keep-last 10
fast=$STOPPED
rgw_curl "$lockurl" | grep -q "^prune (pid $fast " || fail "test bug: the lock is not the fast prune's"
resume $slow
[ $RC = 5 ] || fail "a second taker of one stale lock: exit $RC, want 5 (busy): $(cat "$T/slow.out")"
rgw_curl "$lockurl" | grep -q "^prune (pid $fast " || fail "the second taker removed the first one's lock"
resume $fast
[ $RC = 0 ] || fail "the fast prune: $(cat "$T/fast.out")"

# a backup paused past its lease: prune takes its shared lock as stale and goes
# on; the backup, let go, must not write a generation that prune did not see
oracle make-shop "$T/shop.db" --day 4
stopped "$T/paused.out" backup-tables-read a STRATA_S3_LOCK_STALE=5 "$STRATA" backup "$R" "$T/shop.db" \
    --at 2026-11-24T02:00:00Z
paused=$STOPPED
sleep 6 # past its 5-s lease: its last refresh was before it stopped
on c "$STRATA" prune "$R" --keep-last 10 >"$T/prune3.out" 2>&1 ||
    fail "prune beside a backup paused past its lease: $(cat "$T/prune3.out")"
resume $paused
lost_said "$T/paused.out" "a backup"
on a "$STRATA" index "$R" >/dev/null || fail "index after the lost lock"
on a "$STRATA" ls "$R" | grep -q "2026-11-24" && fail "the paused backup's generation is listed"

# a prune paused past its lease: a backup goes ahead meanwhile (the exclusive
# object is stale); prune, let go, must delete nothing
oracle make-shop "$T/shop.db" --day 5
on a "$STRATA" ls "$R" | awk 'NR > 1 { print $1 }' >"$T/gens.before"
stopped "$T/pprune.out" prune-locked c STRATA_S3_LOCK_STALE=5 "$STRATA" prune "$R" --keep-last 1
pp=$STOPPED
sleep 6 # past its 5-s lease
on a "$STRATA" backup "$R" "$T/shop.db" --at 2026-11-25T02:00:00Z >"$T/b5.out" 2>&1 ||
    fail "a backup beside a prune paused past its lease: $(cat "$T/b5.out")"
resume $pp
lost_said "$T/pprune.out" "a prune"
on a "$STRATA" index "$R" >/dev/null || fail "index after the lost prune"
on a "$STRATA" ls "$R" | awk 'NR > 1 { print $1 }' >"$T/gens.after"
missing=$(comm -23 <(sort "$T/gens.before") <(sort "$T/gens.after"))
[ -z "$missing" ] || fail "the prune that lost its lock removed: $missing"
grep -q "^2026-11-25T020000Z" "$T/gens.after" || fail "the backup beside the lost prune is not listed"
# its stale objects are taken over by the next prune
on c "$STRATA" prune "$R" --keep-last 10 >"$T/prune4.out" 2>&1 ||
    fail "prune after a lost one: $(cat "$T/prune4.out")"

on a "$STRATA" verify "$R" >/dev/null || fail "verify"
rgw_curl "$RGW_ENDPOINT/strata-hosts?list-type=2&prefix=fleet%2Flocks%2F" | grep -q '<Key>fleet/locks/' &&
    fail "lock objects left behind"
true
