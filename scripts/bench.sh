#!/bin/bash
# strata benchmark: strata measured against references in the same run.
#
#   scripts/bench.sh [--rows N] [--dir DIR] [--json FILE] [--trials N] [--quick]
#                    [--no-s3 | --s3-only] [--backup-only]
#
# One command on a fresh Debian 12 machine (as root): installs what is missing
# with scripts/deps.sh (strata's build dependencies and the references:
# squashfs-tools, squashfuse, borgbackup with python3-pyfuse3, restic,
# eatmydata), builds a release strata (build-bench/) and the bench's helpers
# (bench/probe.c, bench/memfs.c; gcc), and generates a deterministic `orders`
# SQLite database (default 9.2 M rows, 1.07 GB; 1.05 GB as CSV; --quick: 300,000
# rows unless --rows is given). Everything lives under DIR (default
# /tmp/strata-bench); the databases, the CSV, the squashfs image, the borg and
# restic repositories of the CSV and the small repositories are kept there
# between runs (the first run makes them; the table says how long that took).
#
# Measured, each figure the median of --trials runs (default 3) with min-max:
#   backup      `strata backup`, `restic backup` (repository v2, compression
#               auto), `borg create -C zstd,3` (unencrypted) of the .db file:
#               seconds, MB/s of the db file, repository size on disk; an
#               unchanged second backup; for strata and restic a backup after
#               1,000 random rows were UPDATEd and one after 1,000 consecutive
#               rows were (same path, new contents; strata's default is an
#               incremental backup, and the random case is also read in full
#               with --kind full for reference), both changes again with the
#               source in the page cache (as a live database's usually is;
#               every other backup starts with it evicted), and the cached
#               changes once more in a repository of 64 KiB chunks (strata
#               init --chunk-size 64K); strata after the consecutive change
#               to the database in WAL mode, held open by another connection,
#               the change in the log (live database); time and size of
#               `zstd -3 -T1` of the CSV. --backup-only stops after this
#               section (no S3 either).
#   seq read    the whole-table CSV through: the strata mount; memfs, a minimal
#               in-memory FUSE filesystem (the FUSE ceiling); squashfuse over
#               a `mksquashfs -comp zstd` image of the CSV; `borg mount` and
#               `restic mount` of a repository holding the CSV; and
#               `zstd -dc -T1` of CSV.zst. Per fresh mount: first read, then the
#               "evicted re-read" (that file's page cache dropped with
#               POSIX_FADV_DONTNEED, read again at once: the main figure), then
#               a second read from the page cache (vs a plain file); the first
#               read again for strata and memfs with the mount's kernel
#               readahead raised to 1 MiB (read_ahead_kb of its bdi); and
#               `strata cat` of the same file to /dev/null (no FUSE, new process)
#   restore     `strata restore` of the bench generation into a new SQLite file
#               vs `sqlite3 DB .dump | sqlite3 NEW` and `sqlite3 DB .backup NEW`;
#               `sqlite3 NEW < MNT/<gen>/dump.sql` through a fresh mount
#               (a page copy: the floor), each with the source evicted
#   concurrency 4 readers, each one quarter of the CSV, fresh mount: strata,
#               memfs, squashfuse
#   random      2,000 preads of 4 KiB at fixed-seed offsets on a fresh mount:
#               median and p99 (strata, squashfuse; borg and restic in the
#               first trial only: they are slow and vary little)
#   mount       exec to the mount answering stat of the CSV, then open + read 1
#               byte, and the daemon's peak RSS: strata with 1 and with 10,000
#               generations (the latter made once from a 100-row db, kept),
#               squashfuse, borg and restic with 1 archive/snapshot
#   metadata    `ls -l` of a generation of 1,000 tables and `find` over 100
#               generations, fresh mount, vs squashfuse over an image of the
#               same tree
#   history     `strata prune --keep-daily 7 --keep-weekly 5 --keep-monthly 12
#               --keep-yearly 10` of 365 daily generations (20,000 rows, 100
#               updated a day; made once, kept) vs `restic forget ... --prune`
#               of the same 365 days; `strata verify` of the bench repository
#               (packs evicted) vs `restic check --read-data` of the CSV's
#   s3          (--no-s3 leaves it out; --s3-only runs it alone) a one-node
#               Ceph RGW on loopback (tests/integration/rgw.sh: monitor,
#               memstore OSD, radosgw; the data in the OSD's memory; Ceph
#               installed with scripts/deps.sh), the same one for both tools:
#               `strata backup s3://...` of the .db file vs `restic backup` to
#               `s3:http://127.0.0.1:PORT/BUCKET` (one new bucket each per
#               trial), seconds and bytes in the bucket; through fresh mounts
#               of trial 1's backups (`strata index`, then `stratafs s3://...`;
#               `restic mount`), the first read of the whole table file
#               (strata: GEN/orders/orders.csv; restic: snapshots/latest/
#               orders.db, the file it stored: each side's own bytes, both
#               printed) and 2,000 preads of 4 KiB at fixed-seed offsets
#               (reads/s; restic in the first trial only); then 1,000
#               generations (100 with --quick) of a 100-row db made by as many
#               `strata backup s3://... --at` (timed), and what a new host pays:
#               catalog cache deleted -> `strata index` -> `stratafs` ready ->
#               `ls MNT` listing them all, and the same mount with the cache warm
#               (printed after the main table, ratio > 1: strata better)
# Prints one table (ratio > 1: strata better); --json FILE writes the same.
# docs/PERFORMANCE.md explains every row. A reference that cannot be installed
# or run shows "n/a (why)" instead of stopping the bench. Every exit path
# unmounts what the bench mounted and ends the daemons it started.
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=9200000
ROWS_SET=
QUICK=
DIR=${TMPDIR:-/tmp}/strata-bench
JSON=
TRIALS=3
S3=1        # the S3 section
S3_ONLY=    # only that section
BACKUP_ONLY= # only the backup section (no S3)
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) ROWS=$2; ROWS_SET=1; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --json) JSON=$2; shift 2 ;;
        --trials) TRIALS=$2; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --no-s3) S3=; shift ;;
        --s3-only) S3=1; S3_ONLY=1; shift ;;
        --backup-only) BACKUP_ONLY=1; S3=; shift ;;
        *) echo "bench: unknown argument '$1'; see the header of $0" >&2; exit 2 ;;
    esac
done
if [ -n "$QUICK" ] && [ -z "$ROWS_SET" ]; then ROWS=300000; fi
case "$ROWS$TRIALS" in *[!0-9]*) echo "bench: --rows and --trials take numbers" >&2; exit 2 ;; esac
[ "$TRIALS" -ge 1 ] || { echo "bench: --trials must be at least 1" >&2; exit 2; }
if [ -n "$JSON" ]; then JSON=$(realpath -m "$JSON"); fi
T_START=${EPOCHREALTIME/./}
exec 3>&2
say() { echo "bench: [$(( (${EPOCHREALTIME/./} - T_START) / 1000000 )) s] $*" >&3; }

bash "$ROOT/scripts/deps.sh"
REFPKGS=(squashfs-tools squashfuse borgbackup python3-pyfuse3 restic eatmydata)
if ! bash "$ROOT/scripts/deps.sh" "${REFPKGS[@]}"; then
    # one at a time, so that one missing package does not keep the others out
    for p in "${REFPKGS[@]}"; do bash "$ROOT/scripts/deps.sh" "$p" || say "could not install $p"; done
fi
if [ ! -d "$ROOT/build-bench" ]; then
    meson setup "$ROOT/build-bench" --buildtype=release >/dev/null
fi
ninja -C "$ROOT/build-bench" >/dev/null
STRATA=$ROOT/build-bench/indexer/strata
STRATAFS=$ROOT/build-bench/fs/stratafs
PY=/usr/bin/python3

mkdir -p "$DIR" "$DIR/bin" "$DIR/logs" "$DIR/work"
DIR=$(cd "$DIR" && pwd)
PROBE=$DIR/bin/probe
MEMFS=$DIR/bin/memfs
gcc -O2 -Wall -o "$PROBE" "$ROOT/bench/probe.c" -pthread
gcc -O2 -Wall -o "$MEMFS" "$ROOT/bench/memfs.c" $(pkg-config --cflags --libs fuse3) -pthread
RES=$DIR/results.txt
: >"$RES"
rec() { echo "$*" >>"$RES"; }
meta() { rec "meta $*"; }
na() { rec "na $1 ${*:2}"; say "$1: n/a (${*:2})"; }

# --- daemons and mounts: one at a time, on $MNT; every path unmounts -------
MNT=$DIR/mnt
PIDS=$DIR/pids            # "PID NAME" of every daemon started and not yet stopped
: >"$PIDS"
mkdir -p "$MNT"
DPID=
SECTION=     # pid (and process group) of the running section
# is_mounted: something is mounted on $MNT, read from the mount table: a FUSE
# mount whose daemon died answers stat with ENOTCONN, which `mountpoint` takes
# for "not a mountpoint" (seen: restic mount ended by the INT/TERM trap)
is_mounted() {
    M=$(printf '%s' "$MNT" | sed 's/\\/\\134/g; s/ /\\040/g; s/\t/\\011/g') \
        awk '$5 == ENVIRON["M"] { f = 1 } END { exit !f }' /proc/self/mountinfo
}
unmount_mnt() {
    if is_mounted; then
        fusermount3 -u "$MNT" 2>/dev/null || { sleep 0.3; fusermount3 -u "$MNT" 2>/dev/null; } ||
            fusermount3 -u -z "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
    fi
}
stop_daemon() {
    unmount_mnt
    if [ -n "$DPID" ]; then
        for _ in $(seq 200); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
        kill "$DPID" 2>/dev/null || true
        wait "$DPID" 2>/dev/null || true
        sed -i "/^$DPID /d" "$PIDS"
        DPID=
    fi
}
cleanup() {
    if [ -n "$SECTION" ]; then
        kill -TERM -- "-$SECTION" 2>/dev/null || true
        wait "$SECTION" 2>/dev/null || true
        SECTION=
    fi
    stop_daemon
    # daemons of a section that died: ours only, by pid, if still the same program
    while read -r pid name; do
        [ -n "$pid" ] || continue
        if [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$name" ]; then kill "$pid" 2>/dev/null || true; fi
    done <"$PIDS"
    : >"$PIDS"
    unmount_mnt
    # the S3 section's Ceph RGW: rgw.sh stops the daemons it started, by pid
    if declare -F rgw_stop >/dev/null; then rgw_stop >>"$DIR/logs/rgw.log" 2>&1 || true; fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# start_daemon LOG READY_PATH FIRST_FILE CMD...: start CMD (a FUSE daemon in the
# foreground), wait until READY_PATH answers stat, then read 1 byte of
# FIRST_FILE. Sets DPID and READY=(ready_s firstbyte_s).
start_daemon() {
    local log=$1 ready=$2 first=$3 t0
    shift 3
    stop_daemon
    t0=$EPOCHREALTIME
    "$@" >"$log" 2>&1 &
    DPID=$!
    echo "$DPID $(basename "$1" | cut -c1-15)" >>"$PIDS"
    local out
    if ! out=$("$PROBE" ready "$t0" "$ready" "$first" "$DPID"); then
        echo "$(basename "$1") did not come up: $( (grep -m 1 -i 'error\|fatal\|fail' "$log" || tail -n 1 "$log") | cut -c1-120)" >&2
        stop_daemon
        return 1
    fi
    read -r -a READY <<<"$out"
    sed -i "s/^$DPID .*/$DPID $(cat /proc/"$DPID"/comm)/" "$PIDS"   # the name it runs under
}
# recv KEY CMD...: record what CMD prints as one trial of KEY (a failure stops the section)
recv() { local k=$1 v; shift; v=$("$@"); rec "$k" "$v"; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$DPID/status"; }
usecs() { local s=$1 e=${EPOCHREALTIME/./}; printf '%d.%06d' $(((e - s) / 1000000)) $(((e - s) % 1000000)); }
now() { echo "${EPOCHREALTIME/./}"; }
readf() { local o; o=$("$PROBE" read "$1"); echo "${o% *}"; }
par4() { local o; o=$("$PROBE" par "$1" 4); echo "${o% *}"; }
evict() { "$PROBE" evict "$@"; }
dusb() { du -sb "$1" | cut -f1; }
# a repository's bytes without its catalog; the catalog's pages in use after a checkpoint
repo_bytes() { du -sb --exclude='catalog.db*' "$1" | cut -f1; }
catalog_bytes() {
    sqlite3 "$1/catalog.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    sqlite3 "$1/catalog.db" "SELECT ((SELECT page_count FROM pragma_page_count())
        - (SELECT freelist_count FROM pragma_freelist_count())) * (SELECT page_size FROM pragma_page_size());"
}
gen_name() { echo "$1" | sed 's/://g'; }  # 2026-11-20T02:00:00Z -> 2026-11-20T020000Z
# small_db PATH TABLES ROWS: a small deterministic database (kept once made)
small_db() {   # PATH TABLES ROWS
    [ -f "$1" ] && return 0
    $PY - "$1.tmp" "$2" "$3" <<'EOF'
import random, sqlite3, sys
path, tables, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(5)
db = sqlite3.connect(path)
for t in range(tables):
    name = "orders" if tables == 1 else "t%04d" % t
    db.execute("CREATE TABLE %s(id INTEGER PRIMARY KEY, customer TEXT, amount REAL, note TEXT)" % name)
    db.executemany("INSERT INTO %s VALUES(?,?,?,?)" % name,
                   [(i, "customer%d" % rnd.randrange(1000), round(rnd.uniform(1, 500), 2),
                     None if rnd.random() < 0.3 else "note %d" % rnd.randrange(100))
                    for i in range(1, n + 1)])
db.commit(); db.close()
EOF
    mv "$1.tmp" "$1"
}
# times "2020-01-01T00:00:00Z" + i hours, for i < N
at_times() { $PY -c 'import datetime,sys
t0 = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
for i in range(int(sys.argv[1])): print((t0 + datetime.timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"; }
EMD=; command -v eatmydata >/dev/null && EMD=eatmydata

# run_section NAME FUNC ARGS: run in a subshell with set -e; a failure records
# "n/a" for NAME with the last line it printed on stderr, and the bench goes on.
# The subshell is a process group of its own (set -m for that one fork) that
# the traps end as a whole: it, what it runs and the daemon it started.
run_section() {
    local name=$1 rc s
    shift
    s=$(now)
    set +e
    set -m
    (set +m; set -e; trap stop_daemon EXIT; "$@") 2>"$DIR/logs/$name.err" </dev/null &
    SECTION=$!
    set +m
    wait "$SECTION"
    rc=$?
    SECTION=
    set -e
    rec "sect.$name" "$(usecs "$s")"
    if [ $rc -ne 0 ]; then
        na "$name" "$(grep -v '^\s*$' "$DIR/logs/$name.err" | tail -n 1 | cut -c1-160)"
    fi
    return 0
}

# --- data ------------------------------------------------------------------
DB=$DIR/orders-v2-$ROWS.db
CSV=$DIR/orders-v2-$ROWS.csv
DBMOD=$DIR/orders-v2-$ROWS-mod1000.db       # 1,000 random rows updated
DBCONS=$DIR/orders-v2-$ROWS-cons1000.db     # 1,000 consecutive rows updated
# time spent making data that is kept for later runs (not part of a warm run)
PREP_US=0
P0=$(now)
if [ ! -f "$DB" ]; then
    say "generating $ROWS rows into $DB ..."
    rm -f "$DB.tmp"
    $PY - "$DB.tmp" "$ROWS" <<'EOF'
import random, sqlite3, sys
path, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode=OFF"); db.execute("PRAGMA synchronous=OFF")
db.execute("""CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL,
  product TEXT NOT NULL, quantity INTEGER NOT NULL, unit_price REAL NOT NULL,
  status TEXT NOT NULL, created_at TEXT NOT NULL, email TEXT NOT NULL, note TEXT)""")
products = ["widget", "gadget", "sprocket", "gizmo", "doohickey", "thingamajig", "whatsit"]
statuses = ["new", "paid", "shipped", "delivered", "cancelled", "refunded"]
words = "red green blue fast slow gift express fragile bulk sample".split()
def rows():
    for i in range(1, n + 1):
        yield (i, rnd.randrange(1, 200000), rnd.choice(products) + "-" + str(rnd.randrange(1000)),
               rnd.randrange(1, 20), round(rnd.uniform(1, 500), 2), rnd.choice(statuses),
               "2026-%02d-%02dT%02d:%02d:%02dZ" % (rnd.randrange(1, 13), rnd.randrange(1, 29),
               rnd.randrange(24), rnd.randrange(60), rnd.randrange(60)),
               "customer%d@example.%s" % (rnd.randrange(1, 200000), rnd.choice(["com", "org", "net"])),
               None if rnd.random() < 0.2 else " ".join(rnd.choice(words) for _ in range(rnd.randrange(2, 9))))
db.executemany("INSERT INTO orders VALUES(?,?,?,?,?,?,?,?,?)", rows())
db.commit(); db.close()
EOF
    mv "$DB.tmp" "$DB"
    rm -f "$CSV" "$CSV.zst" "$DBMOD" "$DBCONS"
fi
if [ ! -f "$DBMOD" ]; then
    cp "$DB" "$DBMOD.tmp"
    $PY - "$DBMOD.tmp" <<'EOF'
import random, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("SELECT max(id) FROM orders").fetchone()[0]
ids = random.Random(1000).sample(range(1, n + 1), min(1000, n))
db.executemany("UPDATE orders SET status = 'returned', quantity = quantity + 1 WHERE id = ?",
               [(i,) for i in ids])
db.commit(); db.close()
EOF
    mv "$DBMOD.tmp" "$DBMOD"
fi
# change_consecutive DB: 1,000 consecutive rows in the middle of orders updated
# (in WAL mode the change stays in the log: no automatic checkpoint)
change_consecutive() {
    $PY - "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA wal_autocheckpoint=0")
n = db.execute("SELECT max(id) FROM orders").fetchone()[0]
lo = max(1, n // 2 - 500)
db.execute("UPDATE orders SET status = 'returned', quantity = quantity + 1 WHERE id BETWEEN ? AND ?",
           (lo, lo + 999))
db.commit(); db.close()
EOF
}
if [ ! -f "$DBCONS" ]; then
    cp "$DB" "$DBCONS.tmp"
    change_consecutive "$DBCONS.tmp"
    mv "$DBCONS.tmp" "$DBCONS"
fi
PREP_US=$((PREP_US + $(now) - P0))
SRC_BYTES=$(stat -c %s "$DB")
AT1=2026-11-20T02:00:00Z; AT2=2026-11-21T02:00:00Z; AT3=2026-11-22T02:00:00Z
GEN1=$(gen_name $AT1)
W=$DIR/work/orders.db   # what restic, borg and strata back up: same path every time
REPO=$DIR/repo
rm -rf "$REPO" "$DIR/repo-bk"

meta rows "$ROWS"; meta trials "$TRIALS"; meta source_bytes "$SRC_BYTES"
meta load "$(cut -d' ' -f1-3 /proc/loadavg)"
meta nproc "$(nproc)"
meta strata_commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"

# --- which references are here --------------------------------------------
HAVE_SQ=1; HAVE_BORG=1; HAVE_RESTIC=1; BORG_MOUNT=1
if ! command -v mksquashfs >/dev/null || ! command -v squashfuse >/dev/null; then
    HAVE_SQ=; na squashfuse "squashfs-tools/squashfuse not installed"; na squashfs "squashfs-tools not installed"
fi
if ! command -v borg >/dev/null; then
    HAVE_BORG=; na borg "borgbackup not installed"
elif ! $PY -c 'import pyfuse3' 2>/dev/null; then
    BORG_MOUNT=
    for p in mount read rand; do na borg.$p "borg mount needs python3-pyfuse3, not installed"; done
fi
if ! command -v restic >/dev/null; then HAVE_RESTIC=; na restic "restic not installed"; fi
[ -n "$HAVE_BORG" ] && meta borg_version "$(borg --version | cut -d' ' -f2)"
[ -n "$HAVE_RESTIC" ] && meta restic_version "$(restic version | cut -d' ' -f2)"
export RESTIC_PASSWORD=strata-bench RESTIC_CACHE_DIR=$DIR/restic-cache RESTIC_PROGRESS_FPS=0.01
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export BORG_FUSE_IMPL=pyfuse3 BORG_BASE_DIR=$DIR/borg-home

# put_source FILE: the file to back up, at the same path $W every time (a hard
# link: no copy to write back), evicted from the page cache
put_source() { ln -f "$1" "$W"; evict "$W"; }
# again REPO: the repository as it was before the change (REPO.base), written
# back to disk first: otherwise the next timed backup shares the disk and a
# CPU with the writeback of a copy it did not make (strata's random change:
# 0.88-0.95 s in a bench run without the sync, 0.70-0.85 s by hand with it;
# restic's times fell too)
again() { rm -rf "$1"; cp -a "$1.base" "$1"; sync; }
warm() { cat "$1" >/dev/null; }   # the file in the page cache
# finish: stop everything, print the table(s); the end of every run
finish() {
    cleanup
    rm -rf "$DIR/work" "$RESTIC_CACHE_DIR"
    meta prep_s $((PREP_US / 1000000))
    meta wall_s "$(usecs "$T_START" | cut -d. -f1)"
    if [ -z "$S3_ONLY" ]; then
        $PY "$ROOT/bench/report.py" "$RES" ${JSON:+--json "$JSON"}
    fi
    if [ -n "$S3" ]; then
        $PY "$ROOT/scripts/bench_s3_report.py" "$RES" ${JSON:+--json "$JSON"} ${S3_ONLY:+--alone}
    fi
}

# --- S3: strata and restic against one Ceph RGW on loopback -----------------
# tests/integration/rgw.sh starts the RGW (monitor, memstore OSD, radosgw: the
# bucket's data live in the OSD's memory) in $S3DIR/rgw and exports the AWS_*
# variables both tools read; cleanup() stops it on every exit path. Nothing of
# it is kept between runs: each run makes its buckets anew.
S3DIR=$DIR/s3
S3GENS_N=1000; [ -n "$QUICK" ] && S3GENS_N=100
S3R=s3://strata-bench-1       # trial 1's strata backup of the bench db: the one read
S3G=s3://strata-gens          # $S3GENS_N generations of a 100-row db
S3GCACHE=$S3DIR/cache-gens    # the catalog cache of $S3G alone (what a new host lacks)
S3GDB=$DIR/small-100rows.db
RS3=                          # trial 1's restic repository, once the RGW is up
# shellcheck source=../tests/integration/rgw.sh
. "$ROOT/tests/integration/rgw.sh"
s3_start() {   # in the main shell: the RGW's daemons are its children
    local rc=0 why
    rm -rf "$S3DIR"; mkdir -p "$S3DIR"
    bash "$ROOT/scripts/deps.sh" --no-recommends ceph-mon ceph-osd radosgw ceph-common ||
        say "could not install Ceph (ceph-mon ceph-osd radosgw ceph-common)"
    # room for every trial's two backups of the db, uncompressed, and the rest
    export RGW_OSD_BYTES=$(( (2 * TRIALS + 1) * SRC_BYTES + (1 << 30) ))
    rgw_start "$S3DIR/rgw" >"$DIR/logs/rgw.log" 2>&1 || rc=$?
    if [ $rc != 0 ]; then
        why=$(grep -m 1 '^SKIP\|^FAIL' "$DIR/logs/rgw.log" | cut -c1-160)
        na s3 "${why:-the Ceph RGW did not start: see $DIR/logs/rgw.log}"
        return 1
    fi
    meta s3.rgw_start_s "$RGW_START_SECONDS"
    meta s3.rgw_osd_bytes "$RGW_OSD_BYTES"
    export XDG_CACHE_HOME=$S3DIR/cache    # strata's catalog caches (and temporary packs)
    RS3=s3:$RGW_ENDPOINT/restic-bench-1
}
# bucket_bytes BUCKET: the bytes of the objects in BUCKET (RGW's own count)
bucket_bytes() {
    radosgw-admin -c "$RGW_DIR/ceph.conf" bucket stats --bucket="$1" 2>>"$DIR/logs/rgw.log" |
        $PY -c 'import json, sys; print(json.load(sys.stdin)["usage"].get("rgw.main", {}).get("size", 0))'
}
s3_backup_strata() {   # TRIAL: the bench db into a new bucket
    local b=strata-bench-$1 s
    rgw_mkbucket "$b"
    "$STRATA" init "s3://$b" >/dev/null
    put_source "$DB"
    s=$(now); "$STRATA" backup "s3://$b" "$W" --at $AT1 >"$DIR/logs/s3-backup-strata.out"
    rec s3.backup.strata_s "$(usecs "$s")"
    meta s3.backup_strata_said "$(tail -n 1 "$DIR/logs/s3-backup-strata.out")"
    meta s3.stored.strata "$(bucket_bytes "$b")"
}
s3_backup_restic() {   # TRIAL: the same file, same path, into a new bucket
    local b=restic-bench-$1 s
    rgw_mkbucket "$b"
    # a cache of its own, kept (as strata's catalog cache) for the mount of trial 1's
    export RESTIC_CACHE_DIR=$S3DIR/restic-cache-$1
    rm -rf "$RESTIC_CACHE_DIR"; restic -q -r "s3:$RGW_ENDPOINT/$b" init >/dev/null
    meta s3.restic_repo_version "$(restic -q -r "s3:$RGW_ENDPOINT/$b" cat config |
        $PY -c 'import json, sys; print(json.load(sys.stdin)["version"])')"
    put_source "$DB"
    cd "$DIR/work"
    s=$(now); restic -q -r "s3:$RGW_ENDPOINT/$b" backup orders.db >/dev/null
    rec s3.backup.restic_s "$(usecs "$s")"
    cd "$DIR"
    meta s3.stored.restic "$(bucket_bytes "$b")"
}
s3_index() { "$STRATA" index "$S3R" >/dev/null; }   # up to date already: the backup did it
# s3_mount TOOL: a fresh mount of trial 1's backup; sets F, the file to read
s3_mount() {
    case $1 in
        strata) F=$MNT/$GEN1/orders/orders.csv
                start_daemon "$DIR/logs/stratafs-s3.log" "$F" "$F" "$STRATAFS" "$S3R" "$MNT" -f ;;
        restic) F=$MNT/snapshots/latest/orders.db
                start_daemon "$DIR/logs/restic-s3.log" "$F" "$F" \
                    env RESTIC_CACHE_DIR="$S3DIR/restic-cache-1" restic -r "$RS3" mount "$MNT" ;;
    esac
}
# s3_read TOOL: the whole file, first read of a fresh mount (page cache of it dropped)
s3_read() {
    local o size
    s3_mount "$1"
    rec "s3.mount.$1.ready_s" "${READY[0]}"
    size=$(stat -c %s "$F"); meta "s3.read.$1_bytes" "$size"
    evict "$F"
    o=$("$PROBE" read "$F")
    [ "${o#* }" = "$size" ] || { echo "read ${o#* } bytes of $F, whose size is $size" >&2; return 1; }
    rec "s3.read.$1_s" "${o% *}"
    stop_daemon
}
# s3_rand TOOL: 2,000 preads of 4 KiB at fixed-seed offsets, fresh mount
s3_rand() {
    local s out
    s3_mount "$1"
    s=$(now); out=$("$PROBE" rand "$F" 2000 7); rec "s3.rand.$1_s" "$(usecs "$s")"
    rec "s3.rand.$1.median_ms" "${out% *}"; rec "s3.rand.$1.p99_ms" "${out#* }"
    stop_daemon
}
# $S3GENS_N generations of a 100-row db, one `strata backup --at` each, timed
s3_gens_make() {
    local s i=0 at
    small_db "$S3GDB" 1 100
    rgw_mkbucket strata-gens
    rm -rf "$S3GCACHE"
    XDG_CACHE_HOME=$S3GCACHE "$STRATA" init "$S3G" >/dev/null
    s=$(now)
    while read -r at; do
        XDG_CACHE_HOME=$S3GCACHE "$STRATA" backup "$S3G" "$S3GDB" --at "$at" >/dev/null
        i=$((i + 1)); if [ $((i % 250)) = 0 ]; then say "  $i of $S3GENS_N generations"; fi
    done < <(at_times "$S3GENS_N")
    meta s3.gens_make_s "$(usecs "$s")"
}
# s3_gens_ls KEY PRE: mount $S3G, wait for its last generation (and read 1
# byte of its generation.json), `ls` the root, check that it lists all; records
# under KEY the mount's ready (exec to stat) and ls seconds, and the total:
# PRE seconds + ready + that first byte + ls (not the bench's own bookkeeping)
s3_gens_ls() {
    local last t n ls_s
    last=$MNT/$(gen_name "$(at_times "$S3GENS_N" | tail -n 1)")
    start_daemon "$DIR/logs/stratafs-s3.log" "$last" "$last/generation.json" \
        env XDG_CACHE_HOME="$S3GCACHE" "$STRATAFS" "$S3G" "$MNT" -f
    t=$(now); n=$(ls "$MNT" | grep -c '^[0-9]\{4\}-' || true); ls_s=$(usecs "$t")
    rec "s3.gens.$1_ready_s" "${READY[0]}"
    rec "s3.gens.$1_ls_s" "$ls_s"
    rec "s3.gens.$1_total_s" "$(echo "$2 ${READY[0]} ${READY[1]} $ls_s" | awk '{printf "%.6f", $1 + $2 + $3 + $4}')"
    [ "$n" = "$S3GENS_N" ] || { echo "ls $MNT lists $n generations, not $S3GENS_N" >&2; return 1; }
    stop_daemon
}
# a new host: catalog cache deleted -> strata index -> stratafs ready -> ls
# lists all; then the same mount with the cache warm, and an index with
# nothing new to fetch
s3_gens_mount() {
    local s t
    s=$(now)
    rm -rf "$S3GCACHE"
    t=$(now); XDG_CACHE_HOME=$S3GCACHE "$STRATA" index "$S3G" >/dev/null; rec s3.gens.cold_index_s "$(usecs "$t")"
    s3_gens_ls cold "$(usecs "$s")"
    s3_gens_ls warm 0
    t=$(now); XDG_CACHE_HOME=$S3GCACHE "$STRATA" index "$S3G" >/dev/null; rec s3.gens.warm_index_s "$(usecs "$t")"
}
s3_bench() {
    local s0 t tool
    s0=$(now)
    meta s3.gens_n "$S3GENS_N"
    say "S3: a one-node Ceph RGW on loopback ..."
    if ! s3_start; then say "S3: n/a (the RGW did not start; $DIR/logs/rgw.log)"; return 0; fi
    for t in $(seq "$TRIALS"); do
        say "S3 backup, trial $t of $TRIALS ..."
        run_section s3_strata.backup s3_backup_strata "$t"
        [ -n "$HAVE_RESTIC" ] && run_section s3_restic.backup s3_backup_restic "$t"
    done
    rm -f "$W"
    run_section s3_strata.read s3_index
    for t in $(seq "$TRIALS"); do
        say "S3 reads, trial $t of $TRIALS ..."
        for tool in strata ${HAVE_RESTIC:+restic}; do
            run_section "s3_$tool.read" s3_read "$tool"
            # restic's random reads fetch a whole blob each and vary little: first trial only
            if [ "$tool" = strata ] || [ "$t" = 1 ]; then run_section "s3_$tool.rand" s3_rand "$tool"; fi
        done
    done
    say "S3: $S3GENS_N generations of a 100-row db, one strata backup each ..."
    run_section s3_strata.gens s3_gens_make
    if grep -q '^meta s3.gens_make_s ' "$RES"; then
        for t in $(seq "$TRIALS"); do
            say "S3 mount with $S3GENS_N generations, trial $t of $TRIALS ..."
            run_section s3_strata.gens s3_gens_mount
        done
    fi
    meta s3.rgw_rss_kib "$(rgw_rss_kb)"
    cleanup     # the RGW too
    meta s3.wall_s "$(usecs "$s0")"
}
if [ -n "$S3_ONLY" ]; then
    s3_bench
    finish
    exit 0
fi

# --- backup ----------------------------------------------------------------
backup_strata() {
    local r=$DIR/repo-bk s before
    rm -rf "$r"; "$STRATA" init "$r" >/dev/null
    put_source "$DB"
    s=$(now); "$STRATA" backup "$r" "$W" --at $AT1 >/dev/null; rec backup.strata.first_s "$(usecs "$s")"
    if [ ! -d "$REPO" ]; then cp -a "$r" "$REPO"; touch "$REPO/.bench-read"; fi
    meta stored.strata "$(dusb "$r")"; meta stored.strata_packs "$(dusb "$r/packs")"
    evict "$W"
    s=$(now); "$STRATA" backup "$r" "$W" --at $AT2 >/dev/null; rec backup.strata.unchanged_s "$(usecs "$s")"
    before=$(dusb "$r")
    cp -a "$r" "$r.base"; sync
    put_source "$DBMOD"
    s=$(now); "$STRATA" backup "$r" "$W" --at $AT3 >/dev/null; rec backup.strata.changed_s "$(usecs "$s")"
    rec backup.strata.changed_added "$(( $(dusb "$r") - before ))"
    # the same change read in full (--kind full: the reference incremental backups must beat)
    again "$r"; put_source "$DBMOD"
    s=$(now); "$STRATA" backup "$r" "$W" --at $AT3 --kind full >/dev/null; rec backup.strata.changed_full_s "$(usecs "$s")"
    # 1,000 consecutive rows changed (the history issue's case): time, bytes added
    # (all, the repository's, the catalog's)
    again "$r"; put_source "$DBCONS"
    local rb cb
    rb=$(repo_bytes "$r") cb=$(catalog_bytes "$r")
    s=$(now); "$STRATA" backup "$r" "$W" --at $AT3 >/dev/null; rec backup.strata.changed_cons_s "$(usecs "$s")"
    rec backup.strata.changed_cons_added "$(( $(dusb "$r") - before ))"
    rec backup.strata.changed_cons_repo_added "$(( $(repo_bytes "$r") - rb ))"
    rec backup.strata.changed_cons_catalog_added "$(( $(catalog_bytes "$r") - cb ))"
    # the same two changes with the source in the page cache (a live database usually is)
    again "$r"; put_source "$DBMOD"; warm "$W"
    s=$(now); "$STRATA" backup "$r" "$W" --at $AT3 >/dev/null; rec backup.strata.changed_warm_s "$(usecs "$s")"
    again "$r"; put_source "$DBCONS"; warm "$W"
    s=$(now); "$STRATA" backup "$r" "$W" --at $AT3 >/dev/null; rec backup.strata.changed_cons_warm_s "$(usecs "$s")"
    rm -rf "$r" "$r.base"
    # the same, source cached, in a repository of 64 KiB chunks (init --chunk-size 64K):
    # a random change touches 8x smaller chunks, each chunk costs a little more
    r=$DIR/repo-bk64k
    rm -rf "$r"; "$STRATA" init "$r" --chunk-size 64K >/dev/null
    put_source "$DB"
    s=$(now); "$STRATA" backup "$r" "$W" --at $AT1 >/dev/null; rec backup.strata64k.first_s "$(usecs "$s")"
    meta stored.strata64k "$(dusb "$r")"
    before=$(dusb "$r")
    cp -a "$r" "$r.base"; sync
    put_source "$DBMOD"; warm "$W"
    s=$(now); "$STRATA" backup "$r" "$W" --at $AT3 >/dev/null; rec backup.strata64k.changed_warm_s "$(usecs "$s")"
    rec backup.strata64k.changed_added "$(( $(dusb "$r") - before ))"
    again "$r"; put_source "$DBCONS"; warm "$W"
    s=$(now); "$STRATA" backup "$r" "$W" --at $AT3 >/dev/null; rec backup.strata64k.changed_cons_warm_s "$(usecs "$s")"
    rec backup.strata64k.changed_cons_added "$(( $(dusb "$r") - before ))"
    rm -rf "$r" "$r.base"
    # a live WAL database: another connection holds it open, the same 1,000
    # consecutive rows change and stay in the log; source and log cached
    r=$DIR/repo-bkwal
    local wd=$DIR/wal
    rm -rf "$r" "$wd"; mkdir -p "$wd"; "$STRATA" init "$r" >/dev/null
    cp "$DB" "$wd/orders.db"
    sqlite3 "$wd/orders.db" "PRAGMA journal_mode=WAL" >/dev/null
    $PY - "$wd/orders.db" "$wd/up" "$wd/stop" <<'EOF' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("SELECT count(*) FROM orders WHERE id < 10").fetchone()
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
EOF
    local holder=$! k=0
    while [ ! -e "$wd/up" ] && [ $k -lt 200 ]; do sleep 0.05; k=$((k + 1)); done
    "$STRATA" backup "$r" "$wd/orders.db" --at $AT1 >/dev/null
    change_consecutive "$wd/orders.db"
    [ -s "$wd/orders.db-wal" ] || { touch "$wd/stop"; echo "bench: the WAL case has no frames in its log" >&2; return 1; }
    warm "$wd/orders.db"; warm "$wd/orders.db-wal"
    s=$(now); "$STRATA" backup "$r" "$wd/orders.db" --at $AT3 >/dev/null; rec backup.strata.changed_cons_wal_s "$(usecs "$s")"
    touch "$wd/stop"; wait "$holder" || true
    rm -rf "$r" "$wd"
}
backup_restic() {
    local r=$DIR/restic-bk s before
    rm -rf "$r" "$RESTIC_CACHE_DIR"; restic -q -r "$r" init >/dev/null
    put_source "$DB"
    cd "$DIR/work"
    s=$(now); restic -q -r "$r" backup orders.db >/dev/null; rec backup.restic.first_s "$(usecs "$s")"
    meta stored.restic "$(dusb "$r")"
    evict "$W"
    s=$(now); restic -q -r "$r" backup orders.db >/dev/null; rec backup.restic.unchanged_s "$(usecs "$s")"
    before=$(dusb "$r")
    cp -a "$r" "$r.base"; sync
    put_source "$DBMOD"
    s=$(now); restic -q -r "$r" backup orders.db >/dev/null; rec backup.restic.changed_s "$(usecs "$s")"
    rec backup.restic.changed_added "$(( $(dusb "$r") - before ))"
    again "$r"; put_source "$DBCONS"
    s=$(now); restic -q -r "$r" backup orders.db >/dev/null; rec backup.restic.changed_cons_s "$(usecs "$s")"
    rec backup.restic.changed_cons_added "$(( $(dusb "$r") - before ))"
    again "$r"; put_source "$DBMOD"; warm "$W"
    s=$(now); restic -q -r "$r" backup orders.db >/dev/null; rec backup.restic.changed_warm_s "$(usecs "$s")"
    again "$r"; put_source "$DBCONS"; warm "$W"
    s=$(now); restic -q -r "$r" backup orders.db >/dev/null; rec backup.restic.changed_cons_warm_s "$(usecs "$s")"
    cd "$DIR"; rm -rf "$r" "$r.base"
}
backup_borg() {
    local r=$DIR/borg-bk s before
    rm -rf "$r" "$BORG_BASE_DIR"; borg init -e none "$r" >/dev/null 2>&1
    put_source "$DB"
    cd "$DIR/work"
    s=$(now); borg create -C zstd,3 "$r::g1" orders.db; rec backup.borg.first_s "$(usecs "$s")"
    meta stored.borg "$(dusb "$r")"
    evict "$W"
    s=$(now); borg create -C zstd,3 "$r::g2" orders.db; rec backup.borg.unchanged_s "$(usecs "$s")"
    cd "$DIR"; rm -rf "$r" "$BORG_BASE_DIR"
}
for t in $(seq "$TRIALS"); do
    say "backup, trial $t of $TRIALS ..."
    run_section strata.backup backup_strata
    [ -n "$HAVE_RESTIC" ] && run_section restic.backup backup_restic
    [ -n "$HAVE_BORG" ] && run_section borg.backup backup_borg
done
rm -f "$W"
if [ -n "$BACKUP_ONLY" ]; then
    finish
    exit 0
fi

# the read repository: one generation of the db (a copy of the first strata
# backup of trial 1); the CSV and CSV.zst come from its mount
P0=$(now)
if [ ! -f "$REPO/.bench-read" ]; then
    say "strata backup of the read repository ..."
    rm -rf "$REPO"; "$STRATA" init "$REPO" >/dev/null
    "$STRATA" backup "$REPO" "$DB" --at $AT1 >/dev/null
fi
TCSV=$MNT/$GEN1/orders/orders.csv
if [ ! -f "$CSV" ]; then
    start_daemon "$DIR/logs/stratafs.log" "$TCSV" "$TCSV" "$STRATAFS" "$REPO" "$MNT" -f
    cp "$TCSV" "$CSV.tmp"; chmod 444 "$CSV.tmp"; mv "$CSV.tmp" "$CSV"
    stop_daemon
fi
CSV_BYTES=$(stat -c %s "$CSV")
CSVNAME=$(basename "$CSV")
[ -f "$CSV.zst" ] || zstd -q -3 -T1 -f "$CSV" -o "$CSV.zst"
PREP_US=$((PREP_US + $(now) - P0))
meta csv_bytes "$CSV_BYTES"
meta stored.zstd3 "$(stat -c %s "$CSV.zst")"

# --- stores of the CSV for the read comparison (kept between runs) ----------
SQFS=$DIR/orders-v2-$ROWS.csv.sqfs
BORGCSV=$DIR/borg-csv-$ROWS
RESTICCSV=$DIR/restic-csv-$ROWS
make_sqfs() {
    if [ ! -f "$SQFS" ]; then
        say "mksquashfs -comp zstd of the CSV ..."
        mksquashfs "$CSV" "$SQFS.tmp" -comp zstd -Xcompression-level 3 -noappend -quiet -no-progress >/dev/null
        mv "$SQFS.tmp" "$SQFS"
    fi
    meta stored.squashfs "$(stat -c %s "$SQFS")"
}
make_borgcsv() {
    if [ ! -f "$BORGCSV/.bench-done" ]; then
        say "borg create of the CSV ..."
        rm -rf "$BORGCSV"; borg init -e none "$BORGCSV" >/dev/null 2>&1
        (cd "$DIR" && BORG_BASE_DIR=$DIR/borg-home-csv borg create -C zstd,3 "$BORGCSV::csv" "$CSVNAME")
        touch "$BORGCSV/.bench-done"
    fi
}
make_resticcsv() {
    if [ ! -f "$RESTICCSV/.bench-done" ]; then
        say "restic backup of the CSV ..."
        rm -rf "$RESTICCSV"; restic -q -r "$RESTICCSV" init >/dev/null
        (cd "$DIR" && restic -q -r "$RESTICCSV" backup "$CSVNAME" >/dev/null)
        touch "$RESTICCSV/.bench-done"
    fi
}
P0=$(now)
[ -n "$HAVE_SQ" ] && run_section squashfuse.stores make_sqfs
[ -f "$SQFS" ] || HAVE_SQ=
[ -n "$HAVE_BORG" ] && [ -n "$BORG_MOUNT" ] && run_section borg.stores make_borgcsv
[ -f "$BORGCSV/.bench-done" ] || HAVE_BORG=
[ -n "$HAVE_RESTIC" ] && run_section restic.stores make_resticcsv
[ -f "$RESTICCSV/.bench-done" ] || HAVE_RESTIC=
PREP_US=$((PREP_US + $(now) - P0))

# mount_TOOL: a fresh mount of the CSV; sets F (the CSV inside) and READY
mount_strata() {
    F=$TCSV; start_daemon "$DIR/logs/stratafs.log" "$F" "$F" "$STRATAFS" "$REPO" "$MNT" -f
}
mount_memfs() {
    F=$MNT/$CSVNAME; start_daemon "$DIR/logs/memfs.log" "$F" "$F" "$MEMFS" "$CSV" "$MNT" -f
}
mount_squashfuse() {
    F=$MNT/$CSVNAME; start_daemon "$DIR/logs/squashfuse.log" "$F" "$F" squashfuse -f "$SQFS" "$MNT"
}
mount_borg() {
    F=$MNT/$CSVNAME
    start_daemon "$DIR/logs/borg.log" "$F" "$F" env BORG_BASE_DIR="$DIR/borg-home-csv" \
        borg mount -f "$BORGCSV::csv" "$MNT"
}
mount_restic() {
    F=$MNT/snapshots/latest/$CSVNAME
    start_daemon "$DIR/logs/restic.log" "$F" "$F" restic -r "$RESTICCSV" mount "$MNT"
}
# raise the kernel readahead of the current mount to 1 MiB (its bdi)
readahead_1m() {
    local dev; dev=$(stat -c %d "$MNT")
    echo 1024 >"/sys/class/bdi/$((dev >> 8)):$((dev & 255))/read_ahead_kb"
}

# --- sequential reads, mount ready, first byte ------------------------------
read_mount() {   # TOOL
    local t=$1
    "mount_$t"
    case $t in strata) rec mount.strata.ready_s "${READY[0]}"; rec mount.strata.firstbyte_s "${READY[1]}"
                       recv mount.strata.hwm_kib hwm ;;
               squashfuse|borg|restic) rec "mount.$t.ready_s" "${READY[0]}"; rec "mount.$t.firstbyte_s" "${READY[1]}"
                       recv "mount.$t.hwm_kib" hwm ;;
    esac
    evict "$F"
    recv "read.$t.fresh_s" readf "$F"
    evict "$F"
    recv "read.$t.evicted_s" readf "$F"
    recv "read.$t.cached_s" readf "$F"
    [ "$t" = memfs ] || recv "read.$t.hwm_kib" hwm
    stop_daemon
}
read_ra1m() {    # TOOL: first read of a fresh mount whose readahead is 1 MiB
    local t=$1
    "mount_$t"
    readahead_1m
    evict "$F"; recv "read.${t}_ra1m.fresh_s" readf "$F"
    stop_daemon
}
read_rand() {    # TOOL
    local t=$1 out
    "mount_$t"
    out=$("$PROBE" rand "$F" 2000 7)
    rec "rand.$t.median_ms" "${out% *}"; rec "rand.$t.p99_ms" "${out#* }"
    recv "rand.$t.hwm_kib" hwm
    stop_daemon
}
read_par() {     # TOOL
    local t=$1
    "mount_$t"
    evict "$F"
    recv "par4.${t}_s" par4 "$F"
    stop_daemon
}
# strata cat of the same file: the mount's tree and reader without FUSE, in a
# new process each time (so an empty cache, as a fresh mount's first read)
read_cat() {
    local s; s=$(now)
    "$STRATA" cat "$REPO" "$GEN1/orders/orders.csv" >/dev/null
    rec read.strata_cat.fresh_s "$(usecs "$s")"
}
read_refs() {
    cat "$CSV" >/dev/null
    local s; s=$(now); zstd -q -3 -T1 -c "$CSV" >/dev/null; rec backup.zstd3_s "$(usecs "$s")"
    evict "$CSV.zst"; cat "$CSV.zst" >/dev/null
    s=$(now); zstd -q -dc -T1 "$CSV.zst" >/dev/null; rec read.zstd_dc_s "$(usecs "$s")"
    cat "$CSV" >/dev/null
    recv read.plain_cached_s readf "$CSV"
}
READ_TOOLS=(strata memfs)
[ -n "$HAVE_SQ" ] && READ_TOOLS+=(squashfuse)
[ -n "$HAVE_BORG" ] && [ -n "$BORG_MOUNT" ] && READ_TOOLS+=(borg)
[ -n "$HAVE_RESTIC" ] && READ_TOOLS+=(restic)
for t in $(seq "$TRIALS"); do
    say "reads, trial $t of $TRIALS ..."
    for tool in "${READ_TOOLS[@]}"; do
        run_section "$tool.read" read_mount "$tool"
        case $tool in strata|memfs) run_section "${tool}_ra1m.read" read_ra1m "$tool" ;; esac
        # borg's and restic's random reads are slow (whole chunks through
        # Python or Go) and vary little: first trial only
        case $tool in memfs) ;; borg|restic) [ "$t" = 1 ] && run_section "$tool.rand" read_rand "$tool" ;;
                      *) run_section "$tool.rand" read_rand "$tool" ;; esac
        case $tool in strata|memfs|squashfuse) run_section "$tool.par4" read_par "$tool" ;; esac
    done
    run_section strata_cat.read read_cat
    run_section zstd.read read_refs
done

# --- restore: strata restore vs .dump | sqlite3 and .backup (a page copy) ---
restore_all() {
    local out=$DIR/work/restored.db s
    rm -f "$out"; evict "$DB"
    s=$(now); "$STRATA" restore "$REPO" "$GEN1" --to "$out" >/dev/null; rec restore.strata_s "$(usecs "$s")"
    rm -f "$out"; evict "$DB"
    s=$(now); sqlite3 "$DB" .dump | sqlite3 "$out"; rec restore.dump_pipe_s "$(usecs "$s")"
    rm -f "$out"; evict "$DB"
    s=$(now); sqlite3 "$DB" ".backup '$out'"; rec restore.backup_s "$(usecs "$s")"
    rm -f "$out"
    # <generation>/dump.sql through a fresh mount, replayed by sqlite3
    mount_strata
    s=$(now); sqlite3 "$out" <"$MNT/$GEN1/dump.sql"; rec restore.dump_sql_mount_s "$(usecs "$s")"
    stop_daemon
    rm -f "$out"
}
for t in $(seq "$TRIALS"); do
    say "restore, trial $t of $TRIALS ..."
    run_section strata.restore restore_all
done

# --- small repositories for mount and metadata figures (kept between runs) --
# make_gens REPO DB N: N generations of DB, one `strata backup --at` each; prints seconds
make_gens() {
    local repo=$1 db=$2 n=$3 s i=0
    rm -rf "$repo"; "$STRATA" init "$repo" >/dev/null
    s=$(now)
    while read -r at; do
        $EMD "$STRATA" backup "$repo" "$db" --at "$at" >/dev/null
        i=$((i + 1)); if [ $((i % 1000)) = 0 ]; then say "  $i of $n generations"; fi
    done < <(at_times "$n")
    sync
    usecs "$s"
}
# a cached repository is used only if the current stratafs mounts it once its
# catalog is brought up to date (a new catalog schema rebuilds it); otherwise remade
repo_ok() {   # REPO PATH-INSIDE
    [ -f "$1/.bench-done" ] || return 1
    "$STRATA" index "$1" >/dev/null 2>&1 || return 1
    start_daemon "$DIR/logs/stratafs.log" "$MNT/$2" "$MNT/$2" "$STRATAFS" "$1" "$MNT" -f 2>/dev/null || return 1
    stop_daemon
}
G10K=$DIR/repo-gen10k
G10K_N=10000
G10K_LAST=$(gen_name "$(at_times $G10K_N | tail -n 1)")
prepare_10k() {
    small_db "$DIR/small-100rows.db" 1 100
    if repo_ok "$G10K" "$G10K_LAST/orders/orders.csv"; then
        meta gen10k_cached 1; meta gen10k_build_s "$(cat "$G10K/.bench-done")"
    else
        say "making $G10K_N generations of a 100-row db (once; kept in $G10K) ..."
        local secs; secs=$(make_gens "$G10K" "$DIR/small-100rows.db" $G10K_N)
        echo "$secs" >"$G10K/.bench-done"
        meta gen10k_cached 0; meta gen10k_build_s "$secs"
    fi
    meta gen10k_count $G10K_N
}
T1000=$DIR/repo-tables1000
G100=$DIR/repo-gen100
prepare_t1000() {
    small_db "$DIR/small-1000tables.db" 1000 20
    if ! repo_ok "$T1000" "$GEN1/t0999/t0999.csv"; then
        rm -rf "$T1000"; "$STRATA" init "$T1000" >/dev/null
        "$STRATA" backup "$T1000" "$DIR/small-1000tables.db" --at $AT1 >/dev/null
        rm -f "$T1000.sqfs"; touch "$T1000/.bench-done"
    fi
    if [ -n "$HAVE_SQ" ] && [ ! -f "$T1000.sqfs" ]; then
        start_daemon "$DIR/logs/stratafs.log" "$MNT/$GEN1" "$MNT/$GEN1/schema.sql" "$STRATAFS" "$T1000" "$MNT" -f
        mksquashfs "$MNT/$GEN1" "$T1000.sqfs.tmp" -comp zstd -Xcompression-level 3 -noappend -quiet -no-progress >/dev/null
        stop_daemon; mv "$T1000.sqfs.tmp" "$T1000.sqfs"
    fi
}
G100_LAST=$(gen_name "$(at_times 100 | tail -n 1)")
prepare_g100() {
    small_db "$DIR/small-20tables.db" 20 500
    if ! repo_ok "$G100" "$G100_LAST/t0019/t0019.csv"; then
        make_gens "$G100" "$DIR/small-20tables.db" 100 >/dev/null
        rm -f "$G100.sqfs"; touch "$G100/.bench-done"
    fi
    if [ -n "$HAVE_SQ" ] && [ ! -f "$G100.sqfs" ]; then
        start_daemon "$DIR/logs/stratafs.log" "$MNT/$G100_LAST" "$MNT/$G100_LAST/schema.sql" "$STRATAFS" "$G100" "$MNT" -f
        mksquashfs "$MNT" "$G100.sqfs.tmp" -comp zstd -Xcompression-level 3 -noappend -quiet -no-progress >/dev/null
        stop_daemon; mv "$G100.sqfs.tmp" "$G100.sqfs"
    fi
}
# --- navigate: one row by key, what changed, a row's history, key order ------
NAV=$DIR/repo-nav
GEN3=$(gen_name $AT3)
# the bench table with a TEXT primary key (rowids kept) and the same rows with
# no declared key: what storing a table in its key's order costs the backup
DBTXT=$DIR/orders-v2-$ROWS-textpk.db
DBNOPK=$DIR/orders-v2-$ROWS-nopk.db
P0=$(now)
for v in "$DBTXT:k TEXT PRIMARY KEY" "$DBNOPK:k TEXT"; do
    f=${v%%:*}; decl=${v#*:}
    [ -f "$f" ] && continue
    rm -f "$f.tmp"
    sqlite3 "$f.tmp" "PRAGMA journal_mode=OFF; ATTACH '$DB' AS s;
      CREATE TABLE orders($decl, customer_id INTEGER, product TEXT, quantity INTEGER,
        unit_price REAL, status TEXT, created_at TEXT, email TEXT, note TEXT);
      INSERT INTO orders(rowid, k, customer_id, product, quantity, unit_price, status, created_at, email, note)
        SELECT id, email || '#' || id, customer_id, product, quantity, unit_price, status, created_at, email, note
        FROM s.orders;" >/dev/null
    mv "$f.tmp" "$f"
done
PREP_US=$((PREP_US + $(now) - P0))
nav_backup() {
    local r=$DIR/work/repo-keyorder s v
    for v in nopk:"$DBNOPK" textpk:"$DBTXT"; do
        rm -rf "$r"; "$STRATA" init "$r" >/dev/null; evict "${v#*:}"
        s=$(now); "$STRATA" backup "$r" "${v#*:}" --at $AT1 >/dev/null
        rec "nav.backup_${v%%:*}_s" "$(usecs "$s")"
    done
    rm -rf "$r"
}
# the repository: the bench table, then after 1,000 rows were updated
nav_prepare() {
    rm -rf "$NAV"; "$STRATA" init "$NAV" >/dev/null
    "$STRATA" backup "$NAV" "$DB" --at $AT1 >/dev/null
    "$STRATA" backup "$NAV" "$DBMOD" --at $AT3 >/dev/null
}
# 200 random keys on a fresh mount: latency of open+read of key/<id>.csv, and
# of a query by key in a new sqlite3 connection to the source
nav_lookup() {
    start_daemon "$DIR/logs/stratafs.log" "$MNT/$GEN1" "$MNT/$GEN1/schema.sql" "$STRATAFS" "$NAV" "$MNT" -f
    $PY - "$MNT/$GEN1/orders/key" "$DB" "$ROWS" >>"$RES" <<'PYEOF'
import random, sqlite3, statistics, sys, time
d, db, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
keys = random.Random(7).sample(range(1, n + 1), 200)
def lat(f):
    out = []
    for k in keys:
        t = time.perf_counter()
        f(k)
        out.append(time.perf_counter() - t)
    out.sort()
    return statistics.median(out), out[int(len(out) * 0.99) - 1]
def strata(k):
    with open("%s/%d.csv" % (d, k), "rb") as fh:
        assert fh.read().count(b"\n") == 2
def sql(k):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    assert c.execute("SELECT * FROM orders WHERE id=?", (k,)).fetchone()
    c.close()
for name, f in (("strata", strata), ("sqlite", sql)):
    m, p = lat(f)
    print("nav.lookup_%s_median_s %.6f" % (name, m))
    print("nav.lookup_%s_p99_s %.6f" % (name, p))
PYEOF
    stop_daemon
}
# changes.csv of the 1,000 updated rows on a fresh mount; strata diff; and the
# SQL way with both copies of the database at hand (EXCEPT over ATTACH)
nav_changes() {
    local s n
    start_daemon "$DIR/logs/stratafs.log" "$MNT/$GEN3" "$MNT/$GEN3/schema.sql" "$STRATAFS" "$NAV" "$MNT" -f
    s=$(now); n=$(wc -l <"$MNT/$GEN3/orders/changes.csv"); rec nav.changes_mount_s "$(usecs "$s")"
    [ "$n" = 1001 ] || { echo "changes.csv has $n lines, not 1001" >&2; return 1; }
    stop_daemon
    s=$(now); "$STRATA" diff "$NAV" "$GEN1" "$GEN3" --table orders >/dev/null
    rec nav.changes_diff_s "$(usecs "$s")"
    evict "$DB" "$DBMOD"
    s=$(now)
    sqlite3 "$DBMOD" "ATTACH '$DB' AS o; SELECT * FROM main.orders EXCEPT SELECT * FROM o.orders;" >/dev/null
    rec nav.changes_sql_s "$(usecs "$s")"
}
# 100 generations of a 10,000-row table, 20 rows changed in each and row 77
# in every 10th: its history through tables/, and by hand (grep in every
# generation's CSV through a fresh mount)
NAVH=$DIR/repo-nav-hist
nav_hist_prepare() {
    local db=$DIR/work/hist.db i=0 at
    [ -f "$NAVH/.bench-done" ] && "$STRATA" index "$NAVH" >/dev/null && return 0
    rm -rf "$NAVH" "$db"; "$STRATA" init "$NAVH" >/dev/null
    small_db "$db" 1 10000
    while read -r at; do
        $PY - "$db" "$i" <<'PYEOF'
import random, sqlite3, sys
db, i = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(i)
db.executemany("UPDATE orders SET amount = amount + 1 WHERE id = ?",
               [(rnd.randrange(100, 10001),) for _ in range(20)])
if i % 10 == 0:
    db.execute("UPDATE orders SET note = ? WHERE id = 77", ("version %d" % i,))
db.commit()
PYEOF
        $EMD "$STRATA" backup "$NAVH" "$db" --at "$at" >/dev/null
        i=$((i + 1))
    done < <(at_times 100)
    rm -f "$db"; touch "$NAVH/.bench-done"
}
nav_hist() {
    local last s n g
    last=$(gen_name "$(at_times 100 | tail -n 1)")
    start_daemon "$DIR/logs/stratafs.log" "$MNT/$last" "$MNT/$last/schema.sql" "$STRATAFS" "$NAVH" "$MNT" -f
    s=$(now); n=$(wc -l <"$MNT/tables/orders/key/77.csv"); rec nav.history100_s "$(usecs "$s")"
    [ "$n" = 11 ] || { echo "history of row 77 has $n lines, not 11" >&2; return 1; }
    stop_daemon
    start_daemon "$DIR/logs/stratafs.log" "$MNT/$last" "$MNT/$last/schema.sql" "$STRATAFS" "$NAVH" "$MNT" -f
    s=$(now)
    for g in "$MNT"/2020-*; do grep -m 1 '^77,' "$g/orders/orders.csv"; done >/dev/null
    rec nav.history100_grep_s "$(usecs "$s")"
    stop_daemon
}
P0=$(now)
run_section strata.nav nav_prepare
run_section strata.nav nav_hist_prepare
PREP_US=$((PREP_US + $(now) - P0))
for t in $(seq "$TRIALS"); do
    say "navigate, trial $t of $TRIALS ..."
    run_section strata.nav nav_backup
    run_section strata.nav nav_lookup
    run_section strata.nav nav_changes
    run_section strata.nav nav_hist
done

say "small repositories (10,000 generations, 1,000 tables, 100 generations) ..."
P0=$(now)
run_section strata_10k.mount prepare_10k
run_section strata.meta prepare_t1000
run_section strata.meta prepare_g100
PREP_US=$((PREP_US + $(now) - P0))

mount_10k() {
    local f=$MNT/$G10K_LAST/orders/orders.csv
    start_daemon "$DIR/logs/stratafs.log" "$f" "$f" "$STRATAFS" "$G10K" "$MNT" -f
    rec mount.strata_10k.ready_s "${READY[0]}"; rec mount.strata_10k.firstbyte_s "${READY[1]}"
    recv mount.strata_10k.hwm_kib hwm
    stop_daemon
}
# timed_cmd KEY CMD...: seconds of CMD (output discarded)
timed_cmd() { local k=$1 s; shift; s=$(now); "$@" >/dev/null; rec "$k" "$(usecs "$s")"; }
meta_ls() {   # TOOL
    if [ "$1" = strata ]; then
        start_daemon "$DIR/logs/stratafs.log" "$MNT/$GEN1" "$MNT/$GEN1/schema.sql" "$STRATAFS" "$T1000" "$MNT" -f
        timed_cmd meta.ls1000.strata_s ls -l "$MNT/$GEN1"
    else
        start_daemon "$DIR/logs/squashfuse.log" "$MNT/schema.sql" "$MNT/schema.sql" squashfuse -f "$T1000.sqfs" "$MNT"
        timed_cmd meta.ls1000.squashfuse_s ls -l "$MNT"
    fi
    stop_daemon
}
meta_find() {   # TOOL
    if [ "$1" = strata ]; then
        start_daemon "$DIR/logs/stratafs.log" "$MNT/$G100_LAST" "$MNT/$G100_LAST/schema.sql" "$STRATAFS" "$G100" "$MNT" -f
    else
        start_daemon "$DIR/logs/squashfuse.log" "$MNT/$G100_LAST" "$MNT/$G100_LAST/schema.sql" squashfuse -f "$G100.sqfs" "$MNT"
    fi
    timed_cmd "meta.find100.${1}_s" find "$MNT"
    [ "$1" = strata ] && meta find100_entries "$(find "$MNT" | wc -l)"
    stop_daemon
}
for t in $(seq "$TRIALS"); do
    say "mount and metadata, trial $t of $TRIALS ..."
    [ -f "$G10K/.bench-done" ] && run_section strata_10k.mount mount_10k
    if [ -f "$T1000/.bench-done" ]; then
        run_section strata.meta meta_ls strata
        [ -n "$HAVE_SQ" ] && [ -f "$T1000.sqfs" ] && run_section squashfuse.meta meta_ls squashfuse
    fi
    if [ -f "$G100/.bench-done" ]; then
        run_section strata.meta meta_find strata
        [ -n "$HAVE_SQ" ] && [ -f "$G100.sqfs" ] && run_section squashfuse.meta meta_find squashfuse
    fi
done

# --- history: prune + GC of a year of daily generations; verify's data rate --
# 365 daily generations (2025) of a 20,000-row table, 100 rows updated a day,
# made once and kept; restic the same (one snapshot a day, --time); each trial
# prunes a copy with one policy: 7 daily, 5 weekly, 12 monthly, 10 yearly
HIST=$DIR/repo-hist365 RHIST=$DIR/restic-hist365
hist_prepare() {
    local db=$DIR/work/hist365.db i=0 day
    [ -f "$HIST/.bench-done" ] && { [ -z "$HAVE_RESTIC" ] || [ -f "$RHIST/.bench-done" ]; } && return 0
    rm -rf "$HIST" "$RHIST" "$db"; mkdir -p "$DIR/work"
    "$STRATA" init "$HIST" >/dev/null
    [ -n "$HAVE_RESTIC" ] && restic -q -r "$RHIST" init >/dev/null
    small_db "$db" 1 20000
    while read -r day; do
        $PY - "$db" "$i" <<'PYEOF'
import random, sqlite3, sys
db, i = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(1000 + i)
db.executemany("UPDATE orders SET amount = amount + 1 WHERE id = ?",
               [(rnd.randrange(1, 20001),) for _ in range(100)])
db.commit()
PYEOF
        $EMD "$STRATA" backup "$HIST" "$db" --at "${day}T02:00:00Z" >/dev/null
        [ -n "$HAVE_RESTIC" ] && (cd "$DIR/work" && $EMD restic -q -r "$RHIST" backup --host bench \
            --time "$day 02:00:00" hist365.db >/dev/null)
        i=$((i + 1)); if [ $((i % 73)) = 0 ]; then say "  $i of 365 days"; fi
    done < <($PY -c 'import datetime
for i in range(365): print((datetime.date(2025, 1, 1) + datetime.timedelta(days=i)).isoformat())')
    rm -f "$db"; touch "$HIST/.bench-done"; [ -n "$HAVE_RESTIC" ] && touch "$RHIST/.bench-done"
    return 0
}
hist_prune() {
    local w=$DIR/work/hist s
    rm -rf "$w"; cp -a "$HIST" "$w"
    meta hist.strata_before_bytes "$(dusb "$w")"
    s=$(now); "$STRATA" prune "$w" --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --keep-yearly 10 >/dev/null
    rec hist.prune_strata_s "$(usecs "$s")"
    meta hist.strata_after_bytes "$(dusb "$w")"
    meta hist_strata_kept "$(ls "$w/generations" | wc -l)"
    rm -rf "$w"
    [ -n "$HAVE_RESTIC" ] || return 0
    rm -rf "$w" "$RESTIC_CACHE_DIR"; cp -a "$RHIST" "$w"
    s=$(now); restic -q -r "$w" forget --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --keep-yearly 10 --prune >/dev/null
    rec hist.prune_restic_s "$(usecs "$s")"
    meta hist_restic_kept "$(restic -q -r "$w" snapshots --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')"
    rm -rf "$w"
}
# verify of the bench repository (every chunk decompressed and checked), packs
# evicted first; restic check --read-data of its repository holding the CSV
hist_verify() {
    evict "$REPO"/packs/*/*.pack
    local s; s=$(now); "$STRATA" verify "$REPO" >"$DIR/logs/verify.out"
    rec hist.verify_strata_s "$(usecs "$s")"
    meta hist_verify_line "$(tail -n 1 "$DIR/logs/verify.out")"
    rec hist.verify_strata_bytes "$(dusb "$REPO/packs")"
    [ -n "$HAVE_RESTIC" ] && [ -f "$RESTICCSV/.bench-done" ] || return 0
    rm -rf "$RESTIC_CACHE_DIR"
    s=$(now); restic -q -r "$RESTICCSV" check --read-data >/dev/null
    rec hist.verify_restic_s "$(usecs "$s")"
    rec hist.verify_restic_bytes "$(dusb "$RESTICCSV")"
}
P0=$(now)
say "history: a year of daily generations (made once, kept) ..."
run_section strata.hist hist_prepare
PREP_US=$((PREP_US + $(now) - P0))
for t in $(seq "$TRIALS"); do
    say "history, trial $t of $TRIALS ..."
    [ -f "$HIST/.bench-done" ] && run_section strata.hist hist_prune
    run_section strata.hist hist_verify
done

[ -n "$S3" ] && s3_bench
finish
