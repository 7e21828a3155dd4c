#!/bin/bash
# strata benchmark: figures measured against references in the same run.
#
#   scripts/bench.sh [--rows N] [--dir DIR] [--json FILE] [--trials N]
#
# Generates a deterministic `orders` table (default 9.2 M rows, ~1.05 GB as
# CSV) as a SQLite database, then measures:
#   backup        strata backup: seconds, MB/s of source file, MB/s of CSV
#                 bytes, stored bytes vs the source and vs `zstd -3` of the CSV;
#                 an unchanged second backup
#   seq read      the mounted whole-table CSV, fresh mount (cold chunk cache,
#                 file evicted with POSIX_FADV_DONTNEED), vs `zstd -dc` of the CSV
#   page cache    a second read of the same mounted file vs a plain file
#   random 4 KiB  2,000 preads on a fresh mount: median and p99
#   memory        stratafs peak RSS (VmHWM) during the reads
# Each figure is the median of --trials runs (default 3) with min-max.
# Needs root (FUSE); installs what is missing via scripts/deps.sh.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=9200000
DIR=${TMPDIR:-/tmp}/strata-bench
JSON=
TRIALS=3
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) ROWS=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --json) JSON=$2; shift 2 ;;
        --trials) TRIALS=$2; shift 2 ;;
        *) echo "bench: unknown argument '$1'; see the header of $0" >&2; exit 2 ;;
    esac
done
bash "$ROOT/scripts/deps.sh" bc
if [ ! -d "$ROOT/build-bench" ]; then
    meson setup "$ROOT/build-bench" --buildtype=release >/dev/null
fi
ninja -C "$ROOT/build-bench" >/dev/null
STRATA=$ROOT/build-bench/indexer/strata
STRATAFS=$ROOT/build-bench/fs/stratafs
PY=/usr/bin/python3

mkdir -p "$DIR"
MNT=$DIR/mnt
FSPID=
cleanup() {
    if mountpoint -q "$MNT" 2>/dev/null; then fusermount3 -u -z "$MNT" 2>/dev/null || true; fi
    [ -n "$FSPID" ] && kill "$FSPID" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

DB=$DIR/orders-v2-$ROWS.db
CSV=$DIR/orders-v2-$ROWS.csv
if [ ! -f "$DB" ]; then
    echo "generating $ROWS rows into $DB ..." >&2
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
    rm -f "$CSV" "$CSV.zst"
fi

# CSV and zstd reference from the mount itself (byte-identical to what users read)
REPO=$DIR/repo
rm -rf "$REPO"; mkdir -p "$MNT"
"$STRATA" init "$REPO" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%s %s %s\n", m, a[1], a[NR]}'; }
now() { date +%s.%N; }
mount_fresh() {
    cleanup; FSPID=
    "$STRATAFS" "$REPO" "$MNT" -f -o cache_size=$((64<<20)) &
    FSPID=$!
    for _ in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.05; done
    mountpoint -q "$MNT"
}
evict() { $PY -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED); os.close(fd)' "$1"; }

SRC_BYTES=$(stat -c %s "$DB")
bk_times=()
for t in $(seq "$TRIALS"); do
    rm -rf "$REPO"; "$STRATA" init "$REPO" >/dev/null
    sync; evict "$DB"
    s=$(now); "$STRATA" backup "$REPO" "$DB" --at 2026-11-20T02:00:00Z >/dev/null; e=$(now)
    bk_times+=("$(echo "$e - $s" | bc -l)")
done
STORED=$(du -sb "$REPO/packs" | cut -f1)
s=$(now); "$STRATA" backup "$REPO" "$DB" --at 2026-11-21T02:00:00Z >/dev/null; e=$(now)
BK2=$(echo "$e - $s" | bc -l)

mount_fresh
GEN=$MNT/2026-11-20T020000Z
TCSV=$GEN/orders/orders.csv
if [ ! -f "$CSV" ]; then cp "$TCSV" "$CSV"; fi
CSV_BYTES=$(stat -c %s "$CSV")
[ -f "$CSV.zst" ] || zstd -q -3 -T1 -f "$CSV" -o "$CSV.zst"
ZST_BYTES=$(stat -c %s "$CSV.zst")

seq_times=(); zstd_times=(); pc_times=(); plain_times=()
for t in $(seq "$TRIALS"); do
    mount_fresh
    s=$(now); cat "$TCSV" >/dev/null; e=$(now); seq_times+=("$(echo "$e - $s" | bc -l)")
    s=$(now); cat "$TCSV" >/dev/null; e=$(now); pc_times+=("$(echo "$e - $s" | bc -l)")
    evict "$CSV.zst"; cat "$CSV.zst" >/dev/null
    s=$(now); zstd -dc -T1 "$CSV.zst" >/dev/null; e=$(now); zstd_times+=("$(echo "$e - $s" | bc -l)")
    cat "$CSV" >/dev/null
    s=$(now); cat "$CSV" >/dev/null; e=$(now); plain_times+=("$(echo "$e - $s" | bc -l)")
done

# random 4 KiB reads on a fresh mount
mount_fresh
RAND=$($PY - "$TCSV" <<'EOF'
import os, random, sys, time
p = sys.argv[1]; rnd = random.Random(7)
size = os.stat(p).st_size
fd = os.open(p, os.O_RDONLY)
lat = []
for _ in range(2000):
    off = rnd.randrange(0, max(1, size - 4096))
    os.posix_fadvise(fd, off, 4096, os.POSIX_FADV_DONTNEED)
    t = time.perf_counter(); os.pread(fd, 4096, off); lat.append(time.perf_counter() - t)
lat.sort()
print("%.3f %.3f" % (lat[len(lat)//2] * 1e3, lat[int(len(lat) * 0.99)] * 1e3))
EOF
)
HWM=$(awk '/VmHWM/ {print $2}' /proc/$FSPID/status)
cat "$TCSV" >/dev/null
HWM2=$(awk '/VmHWM/ {print $2}' /proc/$FSPID/status)
cleanup; FSPID=

read -r bk bkmin bkmax <<<"$(printf '%s\n' "${bk_times[@]}" | median)"
read -r sq sqmin sqmax <<<"$(printf '%s\n' "${seq_times[@]}" | median)"
read -r zs zsmin zsmax <<<"$(printf '%s\n' "${zstd_times[@]}" | median)"
read -r pc pcmin pcmax <<<"$(printf '%s\n' "${pc_times[@]}" | median)"
read -r pl plmin plmax <<<"$(printf '%s\n' "${plain_times[@]}" | median)"
read -r rmed rp99 <<<"$RAND"
mbs() { echo "scale=1; $1 / 1000000 / $2" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }

printf '\nstrata bench: %s rows, source %s MB, CSV %s MB (median of %s, min-max)\n' \
    "$ROWS" "$((SRC_BYTES/1000000))" "$((CSV_BYTES/1000000))" "$TRIALS"
printf '%-44s %12s %22s\n' "figure" "value" "reference / ratio"
printf '%-44s %10.2f s %22s\n' "backup (first)" "$bk" "$(printf '%.2f-%.2f s' "$bkmin" "$bkmax")"
printf '%-44s %8s MB/s\n' "backup throughput, source file bytes" "$(mbs "$SRC_BYTES" "$bk")"
printf '%-44s %8s MB/s\n' "backup throughput, CSV bytes" "$(mbs "$CSV_BYTES" "$bk")"
printf '%-44s %9s MB %15s MB zstd-3 %s\n' "stored (packs)" "$((STORED/1000000))" "$((ZST_BYTES/1000000))" "x$(ratio "$STORED" "$ZST_BYTES")"
printf '%-44s %12s\n' "stored / source file" "$(ratio "$STORED" "$SRC_BYTES")"
printf '%-44s %10.2f s\n' "backup, unchanged second run" "$BK2"
printf '%-44s %8s MB/s %12s MB/s zstd -dc  x%s\n' "seq read, fresh mount (evicted)" "$(mbs "$CSV_BYTES" "$sq")" "$(mbs "$CSV_BYTES" "$zs")" "$(ratio "$zs" "$sq")"
printf '%-44s %8s MB/s %12s MB/s plain  x%s\n' "second read (page cache)" "$(mbs "$CSV_BYTES" "$pc")" "$(mbs "$CSV_BYTES" "$pl")" "$(ratio "$pl" "$pc")"
printf '%-44s %9s ms\n' "random 4 KiB read, median" "$rmed"
printf '%-44s %9s ms\n' "random 4 KiB read, p99" "$rp99"
printf '%-44s %8s MiB\n' "stratafs peak RSS, random reads" "$((HWM/1024))"
printf '%-44s %8s MiB (cache 64 MiB)\n' "stratafs peak RSS, after a full read" "$((HWM2/1024))"

if [ -n "$JSON" ]; then
    cat >"$JSON" <<EOF
{"rows": $ROWS, "source_bytes": $SRC_BYTES, "csv_bytes": $CSV_BYTES, "trials": $TRIALS,
 "backup_s": $bk, "backup_unchanged_s": $BK2, "stored_bytes": $STORED, "zstd3_bytes": $ZST_BYTES,
 "seq_read_s": $sq, "zstd_dc_s": $zs, "page_cache_read_s": $pc, "plain_read_s": $pl,
 "rand4k_median_ms": $rmed, "rand4k_p99_ms": $rp99, "peak_rss_kib": $HWM2}
EOF
fi
