#!/bin/bash
# Crash injection: `strata backup` and `strata index --rebuild` are killed
# with SIGKILL at every crash point between two durable steps (STRATA_FAULT,
# lib/fault.c) and at random moments.  After every kill:
#   - a generation exists exactly when its manifest was renamed into place,
#     and the kill points before that rename never leave one;
#   - `strata ls` and a running mount show no generation that is partial
#     (every one they show is compared with its oracle at the end);
#   - `strata verify` finds no damage;
#   - the next backup succeeds.
# At the end every generation, read through a fresh mount, equals the
# database it was taken from, and `strata verify` reads every chunk.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/s.db
mkdir -p "$T/oracle"
"$STRATA" init "$R" --chunk-size 4K --pack-size 16K >/dev/null
day=1
oracle make-shop "$DB" --day 1 --orders 4000

# expected generations: name -> database copy it must equal
declare -A EXPECT
at_for() { date -u -d "2026-10-01 + $1 hours" +%Y-%m-%dT%H:%M:%SZ; }
name_for() { date -u -d "2026-10-01 + $1 hours" +%Y-%m-%dT%H%M%SZ; }
nextday() { day=$((day + 1)); oracle make-shop "$DB" --day "$day"; }

backup_ok() {
    local n
    n=$(name_for "$day")
    "$STRATA" backup "$R" "$DB" --at "$(at_for "$day")" >"$T/b.out" 2>&1 || { cat "$T/b.out" >&2; fail "backup of day $day failed after a crash"; }
    cp "$DB" "$T/oracle/$n.db"
    EXPECT[$n]=$T/oracle/$n.db
}

# after a kill: the repository is consistent and shows only complete generations
kills=0
check_after_kill() {
    local what=$1 n=$2 must=$3   # must: "absent", "present" or "either"
    kills=$((kills + 1))
    if [ -e "$R/generations/$n.gen" ]; then
        [ "$must" != absent ] || fail "$what: generation $n exists although the kill came before its manifest"
        EXPECT[$n]=$T/oracle/$n.db
    else
        [ "$must" != present ] || fail "$what: generation $n missing although its manifest was renamed before the kill"
    fi
    "$STRATA" verify "$R" --quick >"$T/v.out" 2>&1 || { cat "$T/v.out" >&2; fail "$what: verify found damage"; }
    "$STRATA" ls "$R" --json >"$T/ls.json" 2>"$T/ls.err" || { cat "$T/ls.err" >&2; fail "$what: strata ls failed"; }
    "$PY" - "$T/ls.json" "$M" "${!EXPECT[@]}" <<'PYEOF' || fail "$what: listed generations differ from the expected ones"
import json, os, sys
listed = sorted(g["name"] for g in json.load(open(sys.argv[1])))
expect = sorted(sys.argv[3:])
if listed != expect:
    print("strata ls:", listed, "\nexpected: ", expect); sys.exit(1)
# the running mount: whatever it shows must be a complete generation
shown = sorted(n for n in os.listdir(sys.argv[2]) if n not in ("latest", "tables", "at", "db"))
extra = set(shown) - set(expect)
if extra:
    print("mount shows", sorted(extra), "which are not complete generations"); sys.exit(1)
PYEOF
}

backup_ok
mount_fs "$R" "$M"

# 1. every crash point of backup, in the order a backup reaches them
#    point[:N] (the Nth time it is reached; catalog points are reached once
#    by the sync at the start of every backup; index --rebuild syncs once),
#    where the kill must leave the generation
POINTS=(
    "pack-add:1 absent" "pack-add:7 absent" "pack-synced:1 absent" "pack-renamed:1 absent"
    "pack-synced:2 absent" "pack-renamed:3 absent" "backup-packs-done absent"
    "atomic-synced absent" "atomic-renamed present" "backup-manifest-done present"
    "catalog-gen present" "catalog-commit:2 present" "catalog-committed:2 present"
)
# The killed backups read a database of new content each time (another
# order count changes every row), so they write several packs.
k=0
for pm in "${POINTS[@]}"; do
    read -r point must <<<"$pm"
    k=$((k + 1))
    day=$((day + 1))
    n=$(name_for "$day")
    oracle make-shop "$T/oracle/$n.db" --day 1 --orders $((3000 + 37 * k))
    rc=0
    # in a subshell whose stderr is dropped: bash's own "Killed" notice goes there
    (STRATA_FAULT=$point "$STRATA" backup "$R" "$T/oracle/$n.db" --at "$(at_for "$day")" >/dev/null 2>&1; exit $?) 2>/dev/null || rc=$?
    [ $rc -eq 137 ] || fail "backup with STRATA_FAULT=$point exited $rc, expected death by SIGKILL (137): the point was not reached"
    check_after_kill "kill at $point" "$n" "$must"
    nextday
    backup_ok
done
note "backup killed at ${#POINTS[@]} crash points"

# 2. index --rebuild killed half way: the old catalog stays (one transaction)
for point in catalog-gen:3 catalog-commit; do
    rc=0
    (STRATA_FAULT=$point "$STRATA" index "$R" --rebuild >/dev/null 2>&1; exit $?) 2>/dev/null || rc=$?
    [ $rc -eq 137 ] || fail "index --rebuild with STRATA_FAULT=$point exited $rc, expected 137"
    check_after_kill "index --rebuild killed at $point" none either
done

# 3. kills at random moments (timed against a full backup's duration)
nextday
t0=$(date +%s%N)
backup_ok
dur_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$dur_ms" -ge 5 ] || dur_ms=5
RANDOM=7
late=0
for i in $(seq 1 12); do
    nextday
    n=$(name_for "$day")
    cp "$DB" "$T/oracle/$n.db"
    delay_ms=$(( RANDOM % (dur_ms + dur_ms / 4) ))
    "$STRATA" backup "$R" "$DB" --at "$(at_for "$day")" >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '0.%03d' "$delay_ms")" 2>/dev/null || sleep "$((delay_ms / 1000))"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    check_after_kill "random kill after ${delay_ms} ms" "$n" either
    if [ -e "$R/generations/$n.gen" ]; then late=$((late + 1)); fi
    nextday
    backup_ok
done
note "backup killed at 12 random moments within ${dur_ms} ms runs; $late of them after the manifest was in place"

# direct I/O refused, as a filesystem without it refuses it (lib/pack.c): every
# pack written through the page cache instead; checked with the others below
nextday
n=$(name_for "$day")
STRATA_FAULT=pack-direct@fail "$STRATA" backup "$R" "$DB" --at "$(at_for "$day")" >"$T/b.out" 2>&1 ||
    { cat "$T/b.out" >&2; fail "backup with direct I/O refused failed"; }
cp "$DB" "$T/oracle/$n.db"
EXPECT[$n]=$T/oracle/$n.db

# 4. the end: every generation through a fresh mount equals its database
umount_fs "$M"
"$STRATA" verify "$R" >"$T/v.out" 2>&1 || { cat "$T/v.out" >&2; fail "final full verify found damage"; }
note "$(tail -n1 "$T/v.out")"
mount_fs "$R" "$M"
for n in "${!EXPECT[@]}"; do
    oracle compare-mount "${EXPECT[$n]}" "$M/$n" >"$T/cmp.out" || { cat "$T/cmp.out" >&2; fail "generation $n differs from its database"; }
done
umount_fs "$M"
[ -z "$(ls -A "$R/tmp")" ] || note "tmp/ holds leftovers of the last kill: $(ls "$R/tmp" | wc -l) files (removed by the next writer)"
note "$kills kills survived; ${#EXPECT[@]} generations equal their databases"
echo ok
