#!/bin/bash
# How strata grows with the number of generations and of tables.
#
#   scripts/scale.sh [--dir DIR] [--max-gens N]
#
# Generations: one repository grows to 1, 10, 100, 1,000 and 10,000 (--max-gens)
# generations of a small database (5 tables, 1,000 rows).  Between the
# measured points the database is unchanged, so those backups are the
# unchanged-source skip (milliseconds); at each point one row changes and one
# real backup is timed.  Then, at that size: catalog.db size, manifests on
# disk, and a fresh mount's ready time, root listing, a lookup + stat of a
# file in the newest generation, the first byte of that file and the daemon's
# peak RSS.
# Tables: a database of 1, 10, 100 and 1,000 tables (20 rows each): backup
# time, catalog size, mount ready, cold `ls -l` of the generation, RSS.
# Each figure is one measurement (the curve's shape is the point).
# Needs root (FUSE); installs what is missing via scripts/deps.sh.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${TMPDIR:-/tmp}/strata-scale
MAXG=10000
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) DIR=$2; shift 2 ;;
        --max-gens) MAXG=$2; shift 2 ;;
        *) echo "scale: unknown argument '$1'; see the header of $0" >&2; exit 2 ;;
    esac
done
bash "$ROOT/scripts/deps.sh" >/dev/null
if [ ! -d "$ROOT/build-bench" ]; then
    meson setup "$ROOT/build-bench" --buildtype=release >/dev/null
fi
ninja -C "$ROOT/build-bench" >/dev/null
STRATA=$ROOT/build-bench/indexer/strata
STRATAFS=$ROOT/build-bench/fs/stratafs
PY=/usr/bin/python3
MNT=$DIR/mnt
rm -rf "$DIR"
mkdir -p "$MNT"
cleanup() {
    if mountpoint -q "$MNT" 2>/dev/null; then fusermount3 -u -z "$MNT" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
now() { date +%s%N; }
kib() { echo $(( $(stat -c %s "$1") / 1024 )); }

# mount_probe REPO FILE_IN_MOUNT: prints "ready_ms root_ls_ms stat_ms first_byte_ms rss_kib"
mount_probe() {
    local repo=$1 rel=$2 t pid ready lsr st fb rss
    t=$(now)
    "$STRATAFS" "$repo" "$MNT"
    until stat "$MNT/latest/generation.json" >/dev/null 2>&1; do sleep 0.001; done
    ready=$(ms "$t")
    pid=$(pgrep -f "stratafs $repo $MNT" | head -n1)
    t=$(now); ls "$MNT" >/dev/null; lsr=$(ms "$t")
    t=$(now); stat "$MNT/$rel" >/dev/null; st=$(ms "$t")
    t=$(now); head -c 1 "$MNT/$rel" >/dev/null; fb=$(ms "$t")
    rss=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
    fusermount3 -u "$MNT"
    echo "$ready $lsr $st $fb $rss"
}

echo "== generations (5 tables, 1,000 rows; one real backup timed at each point)"
DB=$DIR/small.db
"$PY" - "$DB" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for t in range(5):
    c.execute("CREATE TABLE t%d(id INTEGER PRIMARY KEY, v TEXT, n REAL)" % t)
    c.executemany("INSERT INTO t%d VALUES (?,?,?)" % t, ((i, "row %d of t%d" % (i, t), i / 7) for i in range(200)))
c.commit()
EOF
R=$DIR/repo-gens
"$STRATA" init "$R" >/dev/null
printf '%-12s %10s %12s %14s %10s %10s %10s %12s %10s\n' generations "backup ms" "catalog KiB" "manifests KiB" "ready ms" "ls / ms" "stat ms" "1st byte ms" "RSS KiB"
count=0 hour=0 change=0
for point in 1 10 100 1000 10000; do
    [ "$point" -le "$MAXG" ] || break
    while [ $count -lt $((point - 1)) ]; do   # unchanged: the skip path
        hour=$((hour + 1))
        "$STRATA" backup "$R" "$DB" --at "$(date -u -d "2020-01-01 + $hour hours" +%Y-%m-%dT%H:%M:%SZ)" >/dev/null
        count=$((count + 1))
    done
    change=$((change + 1))
    "$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE t0 SET v=? WHERE id=1", ("change %s" % sys.argv[2],)); c.commit()' "$DB" "$change"
    hour=$((hour + 1))
    t=$(now)
    "$STRATA" backup "$R" "$DB" --at "$(date -u -d "2020-01-01 + $hour hours" +%Y-%m-%dT%H:%M:%SZ)" >/dev/null
    b=$(ms "$t")
    count=$((count + 1))
    read -r ready lsr st fb rss < <(mount_probe "$R" latest/t0/t0.csv)
    printf '%-12s %10s %12s %14s %10s %10s %10s %12s %10s\n' "$count" "$b" "$(kib "$R/catalog.db")" \
        "$(du -sk "$R/generations" | cut -f1)" "$ready" "$lsr" "$st" "$fb" "$rss"
done

echo "== tables (20 rows each)"
printf '%-12s %10s %12s %10s %12s %16s %10s\n' tables "backup ms" "catalog KiB" "ready ms" "ls -l ms" "ls -l latest/ ms" "RSS KiB"
for n in 1 10 100 1000; do
    DB=$DIR/tables-$n.db R=$DIR/repo-tables-$n
    "$PY" - "$DB" "$n" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for t in range(int(sys.argv[2])):
    c.execute("CREATE TABLE t%04d(id INTEGER PRIMARY KEY, v TEXT)" % t)
    c.executemany("INSERT INTO t%04d VALUES (?,?)" % t, ((i, "v%d" % i) for i in range(20)))
c.commit()
EOF
    "$STRATA" init "$R" >/dev/null
    t=$(now); "$STRATA" backup "$R" "$DB" >/dev/null; b=$(ms "$t")
    t=$(now)
    "$STRATAFS" "$R" "$MNT"
    until stat "$MNT/latest/generation.json" >/dev/null 2>&1; do sleep 0.001; done
    ready=$(ms "$t")
    g=$(readlink "$MNT/latest")
    t=$(now); ls -l "$MNT/$g/" >/dev/null; lsl=$(ms "$t")
    fusermount3 -u "$MNT"
    # through the symlink: every entry's path walk reads `latest` again (it is
    # not cached by the kernel, so that it can move)
    "$STRATAFS" "$R" "$MNT"
    until stat "$MNT/latest/generation.json" >/dev/null 2>&1; do sleep 0.001; done
    t=$(now); ls -l "$MNT/latest/" >/dev/null; lsll=$(ms "$t")
    rss=$(awk '/VmHWM/ { print $2 }' "/proc/$(pgrep -f "stratafs $R $MNT" | head -n1)/status")
    fusermount3 -u "$MNT"
    printf '%-12s %10s %12s %10s %12s %16s %10s\n' "$n" "$b" "$(kib "$R/catalog.db")" "$ready" "$lsl" "$lsll" "$rss"
done
