#!/bin/bash
# strata trade-offs: what the settings of `strata init` cost and save, measured
# on a generated shop database.  docs/RECIPES.md quotes its output.
#
#   scripts/tradeoffs.sh [--scale F] [--trials N] [--dir DIR] [--no-level-19]
#
# Needs a built strata (meson setup build && ninja -C build), python3, fuse3
# (fusermount3) and /usr/bin/time; run as root to drop the page cache between
# runs (echo 3 > /proc/sys/vm/drop_caches), otherwise reads are not evicted and
# the table says so.  Not part of the test suite.
#
# The database (python3's sqlite3, fixed seed): customers (200,000 x F),
# products (5,000), orders with free-text notes (900,000 x F), order_items
# (~3 per order) and log (1,200,000 x F); F = --scale, default 0.7: about
# 240 MiB of SQLite file, 205 MiB of CSV.
#
# Measured, each in a fresh repository made by `strata init`:
#   compression  --compression 1, 3 (default), 6, 9, 19: first backup's wall
#                time and CPU (user + system), bytes of packs/, and the whole
#                database read through a fresh stratafs mount with
#                `cat MNT/latest/*/*.csv`: "cold" after dropping the page cache,
#                "warm" from a second fresh mount with the packs in the page
#                cache.  Median of --trials runs (default 5), run in rounds
#                over the levels so that a busy spell of the machine spreads
#                over all of them; the level 19 backup runs once (about a
#                minute of CPU on this data), its reads --trials times.
#   chunk size   --chunk-size 128K, 512K (default), 2M: a first backup, then
#                eight more generations (--at one day apart), each after a
#                change to the database:
#                  scattered  1,000 UPDATEs of random orders, 1,000 INSERTs of
#                             new orders, 1,000 DELETEs of random order_items
#                  one row    1 UPDATE of one order (5 times, 5 generations,
#                             orders at 1/6 ... 5/6 of the table: median, min-max)
#                  shop day   1,000 UPDATEs among the newest 20,000 orders,
#                             1,000 new orders with their items, 5,000 new log
#                             rows, the 1,000 oldest log rows deleted
#                  unchanged  nothing (the backup does not read the database)
#                bytes each backup added (new_bytes of `strata ls --json`),
#                catalog.db size, backup times.
#   frame size   --frame-size 32K, 128K (default), 512K: stored bytes, cold
#                sequential read, and random reads through a fresh mount: one
#                pread of 4 KiB at a random 4 KiB-aligned offset in every
#                whole MiB of every table's CSV (fixed seed, shuffled, read
#                ahead off: POSIX_FADV_RANDOM), so that nearly every read is
#                the first touch of its frame, on --trials fresh mounts with
#                other offsets each: median and p99 of all reads, cold (page
#                cache dropped) and warm (packs in the page cache).
#   verify       full and --quick `strata verify` of the 512K repository
#                (8 generations), page cache dropped first.
# Prints one table, with the machine, the load average before and after, and
# the strata commit.  Everything lives in a temporary directory under DIR
# (default $TMPDIR or /tmp) that is unmounted and removed on every exit path.
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STRATA=$ROOT/build/indexer/strata
STRATAFS=$ROOT/build/fs/stratafs
SCALE=0.7
TRIALS=5
DIR=${TMPDIR:-/tmp}
L19=1
while [ $# -gt 0 ]; do
    case "$1" in
        --scale) SCALE=$2; shift 2 ;;
        --trials) TRIALS=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --no-level-19) L19=; shift ;;
        -h|--help) sed -n '2,51p' "$0"; exit 0 ;;
        *) echo "tradeoffs: unknown argument '$1'; see the header of $0" >&2; exit 2 ;;
    esac
done
case "$TRIALS" in ''|*[!0-9]*) echo "tradeoffs: --trials takes a number" >&2; exit 2 ;; esac
[ "$TRIALS" -ge 1 ] || { echo "tradeoffs: --trials must be at least 1" >&2; exit 2; }
python3 -c "import sys; f = float(sys.argv[1]); assert 0 < f <= 10" "$SCALE" 2>/dev/null ||
    { echo "tradeoffs: --scale takes a number above 0 and at most 10" >&2; exit 2; }
for x in "$STRATA" "$STRATAFS"; do
    [ -x "$x" ] || { echo "tradeoffs: $x is missing; build first: meson setup build && ninja -C build" >&2; exit 1; }
done
for c in python3 fusermount3 /usr/bin/time; do
    command -v "$c" >/dev/null || { echo "tradeoffs: $c is missing (Debian: python3, fuse3, time)" >&2; exit 1; }
done

mkdir -p "$DIR"
WORK=$(mktemp -d "$(realpath "$DIR")/strata-tradeoffs.XXXXXX")
is_mounted() { awk -v m="$1" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; }
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    # every mount under WORK (a run stopped between mount and unmount)
    local m
    for m in $(awk -v w="$WORK/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo); do
        fusermount3 -u "$m" 2>/dev/null || fusermount3 -u -z "$m" 2>/dev/null || true
    done
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

T_START=${EPOCHREALTIME/./}
say() { echo "tradeoffs: [$(( (${EPOCHREALTIME/./} - T_START) / 1000000 )) s] $*" >&2; }
now_us() { echo "${EPOCHREALTIME/./}"; }

# Drop the page cache (pack files, the source, the mount's pages).  EVICT
# records whether that worked; without it "cold" figures are page-cache reads.
EVICT=yes
drop_caches() {
    sync
    if [ "$EVICT" = yes ] && ! { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null; then
        EVICT=no
        say "cannot write /proc/sys/vm/drop_caches: 'cold' reads are NOT evicted (run as root)"
    fi
}
# bytes of all files under a directory (exact, not blocks)
bytes_of() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d\n", s }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
minmax() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
kib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }

# run CMD..., timed: sets WALL, CPU (user + system) in seconds
timed() {
    /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || {
        echo "tradeoffs: failed ($?): $*" >&2; cat "$WORK/err" "$WORK/out" >&2; exit 1; }
    read -r WALL u s < "$WORK/time"
    CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}
mount_repo() {
    "$STRATAFS" "$1" "$2" || { echo "tradeoffs: stratafs $1 $2 failed" >&2; exit 1; }
    is_mounted "$2" || { echo "tradeoffs: stratafs returned but $2 is not mounted" >&2; exit 1; }
}
umount_repo() { fusermount3 -u "$1"; }
# seconds to cat every whole-table CSV of the latest generation
read_all() {
    local t0 t1
    t0=$(now_us)
    cat "$1"/latest/*/*.csv > /dev/null
    t1=$(now_us)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'
}
# MiB/s of LOGICAL bytes in SECONDS
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1048576 / s }'; }
# a field of generation number N (1-based) from `strata ls --json`
ls_field() {
    "$STRATA" ls "$1" --json | python3 -c '
import json, sys
print(json.load(sys.stdin)[int(sys.argv[1]) - 1][sys.argv[2]])' "$2" "$3"
}

# --- the database ------------------------------------------------------------------
cat > "$WORK/shop.py" <<'PY'
import random, sqlite3, sys

FIRST = ("Anna Ben Carla David Emma Felix Greta Hugo Ida Jonas Karin Leo Mia Noah Olga Paul "
         "Quinn Rosa Sven Tara Uwe Vera Walter Xenia Yusuf Zoe Ali Bea Chen Dana").split()
LAST = ("Schmidt Meyer Weber Fischer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf "
        "Neumann Braun Zimmermann Kruger Hartmann Lange Werner Krause Garcia Rossi Novak Silva "
        "Nguyen Kowalski Jensen Dubois Murphy Tanaka").split()
CITIES = ("Berlin Hamburg Munich Cologne Frankfurt Stuttgart Leipzig Dresden Hanover Bremen "
          "Vienna Zurich Basel Graz Linz Lyon Paris Milan Prague Warsaw").split()
DOMAINS = ["example.com", "mail.test", "shop.example", "post.invalid"]
WORDS = ("please deliver to the back door ring twice customer called about delivery time "
         "gift wrap requested leave with neighbour fragile handle with care invoice to company "
         "address express shipping paid refund pending partial return size exchange color "
         "blue red green black white large small medium replacement sent warehouse backorder "
         "expected next week discount code applied loyalty points used payment confirmed by "
         "bank transfer card declined retry later address changed phone number updated "
         "package damaged photo received courier tracking number resent apologised voucher "
         "issued for the delay note from support team escalated resolved closed").split()
STATUSES = ["new", "paid", "packed", "shipped", "delivered", "delivered", "delivered",
            "cancelled", "returned"]
LEVELS = ["INFO"] * 8 + ["WARN", "ERROR"]
SOURCES = ["web", "api", "worker", "payment", "mailer"]
MDAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

def ts(sec):
    """2024-01-01T00:00:00Z + sec, RFC 3339"""
    d, s = divmod(int(sec), 86400)
    y, m = 2024, 1
    while True:
        n = 29 if m == 2 and y % 4 == 0 else MDAYS[m - 1]
        if d < n:
            break
        d -= n
        m += 1
        if m == 13:
            m, y = 1, y + 1
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (y, m, d + 1, s // 3600, s // 60 % 60, s % 60)

def note(R):
    if R.random() < 0.35:
        return None
    return " ".join(R.choice(WORDS) for _ in range(R.randint(3, 30)))

def log_message(R, n_ord, n_cust):
    k = R.random()
    if k < 0.5:
        return "order %d status %s -> %s" % (R.randint(1, n_ord), R.choice(STATUSES), R.choice(STATUSES))
    if k < 0.8:
        return "GET /api/orders/%d 200 %d ms user=%d" % (R.randint(1, n_ord), R.randint(2, 900), R.randint(1, n_cust))
    return "mail sent to customer %d: %s" % (R.randint(1, n_cust), " ".join(R.choice(WORDS) for _ in range(R.randint(2, 8))))

def add_orders(c, R, first, n, t0, prices, n_cust):
    """n orders from id first on, 1-5 items each; returns nothing"""
    item = c.execute("SELECT coalesce(max(id), 0) FROM order_items").fetchone()[0]
    orders, items = [], []
    for i in range(first, first + n):
        total = 0.0
        for _ in range(R.randint(1, 5)):
            item += 1
            p = R.randrange(len(prices))
            q = R.choice((1, 1, 1, 2, 2, 3, 5))
            items.append((item, i, p + 1, q, prices[p]))
            total += q * prices[p]
        orders.append((i, R.randint(1, n_cust), ts(t0 + (i - first) * 33), R.choice(STATUSES),
                       round(total, 2), note(R)))
    c.executemany("INSERT INTO orders VALUES(?,?,?,?,?,?)", orders)
    c.executemany("INSERT INTO order_items VALUES(?,?,?,?,?)", items)

def make(db, scale):
    R = random.Random(20261120)
    c = sqlite3.connect(db)
    c.executescript("""
    PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-200000;
    CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,
      city TEXT, created_at TEXT NOT NULL, note TEXT);
    CREATE TABLE products(id INTEGER PRIMARY KEY, sku TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
      price REAL NOT NULL);
    CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers,
      created_at TEXT NOT NULL, status TEXT NOT NULL, total REAL NOT NULL, note TEXT);
    CREATE INDEX orders_customer ON orders(customer_id);
    CREATE TABLE order_items(id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders,
      product_id INTEGER NOT NULL REFERENCES products, qty INTEGER NOT NULL, price REAL NOT NULL);
    CREATE INDEX order_items_order ON order_items(order_id);
    CREATE TABLE log(id INTEGER PRIMARY KEY, ts TEXT NOT NULL, level TEXT NOT NULL,
      source TEXT NOT NULL, message TEXT NOT NULL);
    """)
    n_cust, n_ord, n_log = int(200000 * scale), int(900000 * scale), int(1200000 * scale)
    c.executemany("INSERT INTO customers VALUES(?,?,?,?,?,?)",
                  ((i, "%s %s" % (R.choice(FIRST), R.choice(LAST)),
                    "%s.%s%d@%s" % (R.choice(FIRST).lower(), R.choice(LAST).lower(), i, R.choice(DOMAINS)),
                    R.choice(CITIES), ts(i * 150), note(R) if R.random() < 0.3 else None)
                   for i in range(1, n_cust + 1)))
    prices = [round(R.uniform(1, 300), 2) for _ in range(5000)]
    c.executemany("INSERT INTO products VALUES(?,?,?,?)",
                  ((i + 1, "SKU-%06d" % (i * 7919 % 1000000),
                    " ".join(R.choice(WORDS) for _ in range(3)).title(), prices[i]) for i in range(5000)))
    add_orders(c, R, 1, n_ord, 0, prices, n_cust)
    c.executemany("INSERT INTO log VALUES(?,?,?,?,?)",
                  ((i, ts(i * 25), R.choice(LEVELS), R.choice(SOURCES), log_message(R, n_ord, n_cust))
                   for i in range(1, n_log + 1)))
    c.commit()
    c.execute("PRAGMA journal_mode=DELETE")
    c.close()

def change(db, what):
    R = random.Random({"scattered": 1, "day": 3}.get(what, 2))
    c = sqlite3.connect(db)
    prices = [r[0] for r in c.execute("SELECT price FROM products ORDER BY id")]
    n_cust = c.execute("SELECT max(id) FROM customers").fetchone()[0]
    max_o = c.execute("SELECT max(id) FROM orders").fetchone()[0]
    max_l = c.execute("SELECT max(id) FROM log").fetchone()[0]
    t0 = (2 * 365 + 3) * 86400
    if what == "scattered":
        c.executemany("UPDATE orders SET status = ?, note = ? WHERE id = ?",
                      ((R.choice(STATUSES), note(R), i) for i in R.sample(range(1, max_o + 1), 1000)))
        add_orders(c, R, max_o + 1, 1000, t0, prices, n_cust)
        max_i = c.execute("SELECT max(id) FROM order_items").fetchone()[0]
        c.executemany("DELETE FROM order_items WHERE id = ?",
                      ((i,) for i in R.sample(range(1, max_i - 3500), 1000)))
    elif what.startswith("onerow"):   # onerowK, K = 1..5: the order at K/6 of the table
        c.execute("UPDATE orders SET status = CASE status WHEN 'returned' THEN 'paid' ELSE 'returned' END"
                  " WHERE id = ?", (max_o * int(what[6:]) // 6,))
    else:
        c.executemany("UPDATE orders SET status = ? WHERE id = ?",
                      ((R.choice(STATUSES), i) for i in R.sample(range(max_o - 19999, max_o + 1), 1000)))
        add_orders(c, R, max_o + 1, 1000, t0, prices, n_cust)
        c.executemany("INSERT INTO log VALUES(?,?,?,?,?)",
                      ((i, ts(t0 + (i - max_l) * 17), R.choice(LEVELS), R.choice(SOURCES),
                        log_message(R, max_o, n_cust)) for i in range(max_l + 1, max_l + 5001)))
        c.execute("DELETE FROM log WHERE id IN (SELECT id FROM log ORDER BY id LIMIT 1000)")
    c.commit()
    c.close()

if sys.argv[1] == "make":
    make(sys.argv[2], float(sys.argv[3]))
else:
    change(sys.argv[2], sys.argv[3])
PY

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
commit() {
    local c
    c=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ -n "$(git -C "$ROOT" status --porcelain -- lib include indexer fs meson.build 2>/dev/null)" ]; then
        c="$c (+ uncommitted changes in lib/ include/ indexer/ fs/)"
    fi
    echo "$c"
}
COMMIT_START=$(commit)
say "generating the shop database (scale $SCALE)"
DB=$WORK/shop.db
t0=$(now_us)
python3 "$WORK/shop.py" make "$DB" "$SCALE"
GEN_S=$(( ($(now_us) - t0) / 1000000 ))
DB_BYTES=$(stat -c %s "$DB")
ROWS=$(python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(" ".join("%s=%d" % (t, c.execute("SELECT count(*) FROM " + t).fetchone()[0])
               for t in ("customers", "products", "orders", "order_items", "log")))' "$DB")
MNT=$WORK/mnt
mkdir -p "$MNT"
AT1=2026-01-01T02:00:00Z

# --- compression ------------------------------------------------------------------
# Trials run in rounds over the levels (level 1, 3, 6, 9, then again), so that a
# busy spell of the machine spreads over all levels instead of one.
LEVELS=(1 3 6 9)
declare -A C_STORED C_WALLS C_CPUS C_COLDS C_WARMS C_N
LOGICAL=
for ((i = 1; i <= TRIALS; i++)); do
    for L in "${LEVELS[@]}"; do
        say "compression $L: backup, round $i of $TRIALS"
        R=$WORK/c$L
        rm -rf "$R"
        "$STRATA" init "$R" --compression "$L" >/dev/null
        drop_caches
        timed "$STRATA" backup "$R" "$DB" --at "$AT1"
        C_WALLS[$L]+=" $WALL" C_CPUS[$L]+=" $CPU"
        [ -n "$LOGICAL" ] || LOGICAL=$(ls_field "$R" 1 logical_bytes)
        C_STORED[$L]=$(bytes_of "$R/packs")
        C_N[$L]=$i
    done
done
if [ -n "$L19" ]; then
    say "compression 19: backup (once)"
    R=$WORK/c19
    "$STRATA" init "$R" --compression 19 >/dev/null
    drop_caches
    timed "$STRATA" backup "$R" "$DB" --at "$AT1"
    C_WALLS[19]=" $WALL" C_CPUS[19]=" $CPU" C_N[19]=1
    C_STORED[19]=$(bytes_of "$R/packs")
    LEVELS+=(19)
fi
for ((i = 1; i <= TRIALS; i++)); do
    for L in "${LEVELS[@]}"; do
        say "compression $L: reads, round $i of $TRIALS"
        mount_repo "$WORK/c$L" "$MNT"
        drop_caches
        C_COLDS[$L]+=" $(rate "$LOGICAL" "$(read_all "$MNT")")"
        umount_repo "$MNT"
        mount_repo "$WORK/c$L" "$MNT"
        C_WARMS[$L]+=" $(rate "$LOGICAL" "$(read_all "$MNT")")"
        umount_repo "$MNT"
    done
done
for L in "${LEVELS[@]}"; do [ "$L" = 3 ] || rm -rf "$WORK/c$L"; done

# --- chunk size -------------------------------------------------------------------
declare -A K_SAME K_FIRST K_B1 K_B2 K_NEW2 K_ONE K_ONER K_DAY K_CAT1 K_CATN K_CHUNKS
NGEN=9
for K in 128K 512K 2M; do
    say "chunk size $K: $NGEN generations"
    R=$WORK/k$K
    cp "$DB" "$WORK/work.db"
    "$STRATA" init "$R" --chunk-size "$K" >/dev/null
    drop_caches
    timed "$STRATA" backup "$R" "$WORK/work.db" --at 2026-01-01T02:00:00Z
    K_B1[$K]=$WALL
    K_CHUNKS[$K]=$(sed -n 's/.* \([0-9]*\) chunks (.*/\1/p' "$WORK/out")
    K_FIRST[$K]=$(ls_field "$R" 1 new_bytes)
    K_CAT1[$K]=$(stat -c %s "$R/catalog.db")
    day=2
    for what in scattered onerow1 onerow2 onerow3 onerow4 onerow5 day; do
        python3 "$WORK/shop.py" change "$WORK/work.db" "$what"
        drop_caches
        timed "$STRATA" backup "$R" "$WORK/work.db" --at "2026-01-0${day}T02:00:00Z"
        [ "$what" != scattered ] || K_B2[$K]=$WALL
        day=$((day + 1))
    done
    timed "$STRATA" backup "$R" "$WORK/work.db" --at "2026-01-0${day}T02:00:00Z"
    K_SAME[$K]=$(ls_field "$R" 9 new_bytes)
    K_NEW2[$K]=$(ls_field "$R" 2 new_bytes)
    ones=()
    for g in 3 4 5 6 7; do ones+=("$(kib "$(ls_field "$R" "$g" new_bytes)")"); done
    K_ONE[$K]=$(median "${ones[@]}") K_ONER[$K]=$(minmax "${ones[@]}")
    K_DAY[$K]=$(ls_field "$R" 8 new_bytes)
    K_CATN[$K]=$(stat -c %s "$R/catalog.db")
    [ "$K" = 512K ] || rm -rf "$R"
done
rm -f "$WORK/work.db"

# --- verify (the 512K repository: 8 generations) ------------------------------------
say "verify"
R=$WORK/k512K
V_PACKS=$(bytes_of "$R/packs")
drop_caches
timed "$STRATA" verify "$R"
V_FULL_S=$WALL V_FULL_CPU=$CPU V_FULL_OUT=$(cat "$WORK/out")
V_DEC=$(sed -n 's/.*chunks (\([0-9.]*\) \([KMG]\)iB decompressed.*/\1 \2/p' "$WORK/out" |
        awk '{ m = $2 == "G" ? 1024 : $2 == "M" ? 1 : 1 / 1024; printf "%.0f", $1 * m * 1048576 }')
drop_caches
timed "$STRATA" verify "$R" --quick
V_QUICK_S=$WALL V_QUICK_OUT=$(cat "$WORK/out")

# --- frame size -------------------------------------------------------------------
# rand.py MNT/latest SEED OUT: one 4 KiB pread in every whole MiB of every CSV,
# shuffled; appends each latency (ms) to OUT
cat > "$WORK/rand.py" <<'PY'
import glob, os, random, sys, time
MIB = 1 << 20
R = random.Random(int(sys.argv[2]))
reads = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*", "*.csv"))):
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
    size = os.fstat(fd).st_size
    for m in range(size // MIB):
        reads.append((fd, m * MIB + (R.randrange(MIB - 4096) & ~4095)))
R.shuffle(reads)
lat = []
for fd, off in reads:
    t = time.perf_counter_ns()
    if len(os.pread(fd, 4096, off)) != 4096:
        sys.exit("short read")
    lat.append((time.perf_counter_ns() - t) / 1e6)
with open(sys.argv[3], "a") as f:
    f.write("".join("%.4f\n" % x for x in lat))
PY
# "median p99 count" of the latencies in a file
pctl() {
    python3 -c '
import sys
v = sorted(float(x) for x in open(sys.argv[1]))
print("%.2f %.2f %d" % (v[len(v) // 2], v[min(len(v) - 1, int(len(v) * 0.99))], len(v)))' "$1"
}
FRAMES=(32K 128K 512K)
declare -A F_STORED F_B F_SEQS F_COLD F_WARM
for F in "${FRAMES[@]}"; do
    if [ "$F" = 128K ]; then
        F_B[$F]=$(median ${C_WALLS[3]})   # the default settings: the compression run's repository
        ln -s c3 "$WORK/f$F"
    else
        say "frame size $F: backup"
        "$STRATA" init "$WORK/f$F" --frame-size "$F" >/dev/null
        drop_caches
        timed "$STRATA" backup "$WORK/f$F" "$DB" --at "$AT1"
        F_B[$F]=$WALL
    fi
    F_STORED[$F]=$(bytes_of "$WORK/f$F/packs/")
done
for ((i = 1; i <= TRIALS; i++)); do
    for F in "${FRAMES[@]}"; do
        say "frame size $F: reads, round $i of $TRIALS"
        R=$WORK/f$F
        mount_repo "$R" "$MNT"
        drop_caches
        F_SEQS[$F]+=" $(rate "$LOGICAL" "$(read_all "$MNT")")"
        umount_repo "$MNT"
        mount_repo "$R" "$MNT"
        drop_caches
        python3 "$WORK/rand.py" "$MNT/latest" "$i" "$WORK/cold$F"
        umount_repo "$MNT"
        cat "$R"/packs/*/* > /dev/null   # the packs into the page cache
        mount_repo "$R" "$MNT"
        python3 "$WORK/rand.py" "$MNT/latest" "$((i + 1000))" "$WORK/warm$F"
        umount_repo "$MNT"
    done
done
for F in "${FRAMES[@]}"; do
    F_COLD[$F]=$(pctl "$WORK/cold$F") F_WARM[$F]=$(pctl "$WORK/warm$F")
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
TOTAL_S=$(( ($(now_us) - T_START) / 1000000 ))

# --- the table ----------------------------------------------------------------------
COMMIT=$(commit)
[ "$COMMIT" = "$COMMIT_START" ] || COMMIT="$COMMIT_START at the start, $COMMIT at the end"
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
MEM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
echo
echo "strata trade-offs (scripts/tradeoffs.sh --scale $SCALE --trials $TRIALS)"
echo "machine: $(nproc) CPUs, $CPU_MODEL, $MEM RAM, Linux $(uname -r); strata $COMMIT"
echo "load average before: $LOAD_BEFORE, after: $LOAD_AFTER; page cache evicted for cold figures: $EVICT"
echo "database: $(mib "$DB_BYTES") MiB SQLite file ($ROWS), made in $GEN_S s; $(mib "$LOGICAL") MiB as CSV"
echo "total run time: $TOTAL_S s"
echo
echo "COMPRESSION (--compression L; first backup; cold/warm: cat of every table's CSV through a fresh mount)"
printf '%-6s %6s %12s %14s %8s %16s %16s\n' level trials "stored MiB" "backup wall s" "CPU s" "cold read MiB/s" "warm read MiB/s"
for L in "${LEVELS[@]}"; do
    printf '%-6s %6s %12s %14s %8s %16s %16s\n' "$L" "${C_N[$L]}" "$(mib "${C_STORED[$L]}")" \
        "$(median ${C_WALLS[$L]}) ($(minmax ${C_WALLS[$L]}))" "$(median ${C_CPUS[$L]})" \
        "$(median ${C_COLDS[$L]}) ($(minmax ${C_COLDS[$L]}))" "$(median ${C_WARMS[$L]}) ($(minmax ${C_WARMS[$L]}))"
done
echo "  (median of the trials, min-max in brackets; reads: $TRIALS rounds for every level;"
echo "  stored = bytes of packs/ of a $(mib "$LOGICAL") MiB CSV database)"
echo
echo "CHUNK SIZE (--chunk-size; bytes added = new_bytes of strata ls --json: new packs + manifest)"
printf '%-6s %7s %10s %10s %14s %23s %13s %13s %12s %13s\n' chunk chunks "first MiB" "backup s" "scattered MiB" "one row KiB" "shop day KiB" "unchanged KiB" "catalog KiB" "catalog+ KiB"
for K in 128K 512K 2M; do
    printf '%-6s %7s %10s %10s %14s %23s %13s %13s %12s %13s\n' "$K" "${K_CHUNKS[$K]}" "$(mib "${K_FIRST[$K]}")" \
        "${K_B1[$K]}/${K_B2[$K]}" "$(mib "${K_NEW2[$K]}")" "${K_ONE[$K]} (${K_ONER[$K]})" "$(kib "${K_DAY[$K]}")" \
        "$(kib "${K_SAME[$K]}")" "$(kib "${K_CATN[$K]}")" "$(kib $(( (${K_CATN[$K]} - ${K_CAT1[$K]}) / (NGEN - 1) )))"
done
echo "  backup s: first / after the scattered change (wall); scattered: 1,000 updated + 1,000 inserted +"
echo "  1,000 deleted rows; shop day: 1,000 recent orders updated, 1,000 orders + items and 5,000 log rows"
echo "  inserted, 1,000 oldest log rows deleted; one row: median (min-max) of 5 one-row UPDATEs;"
echo "  unchanged: a backup of the same file again (the manifest only); catalog KiB: catalog.db after"
echo "  $NGEN generations; catalog+ KiB: its growth per generation after the first"
echo
read -r _ _ NREADS <<< "${F_COLD[128K]}"
echo "FRAME SIZE (--frame-size; random: $NREADS preads of 4 KiB over $TRIALS fresh mounts, one in each MiB of every CSV per mount)"
printf '%-6s %12s %9s %20s %22s %22s\n' frame "stored MiB" "backup s" "seq cold MiB/s" "random cold med/p99 ms" "random warm med/p99 ms"
for F in "${FRAMES[@]}"; do
    read -r cm cp _ <<< "${F_COLD[$F]}"
    read -r wm wp _ <<< "${F_WARM[$F]}"
    printf '%-6s %12s %9s %20s %22s %22s\n' "$F" "$(mib "${F_STORED[$F]}")" "${F_B[$F]}" \
        "$(median ${F_SEQS[$F]}) ($(minmax ${F_SEQS[$F]}))" "$cm / $cp" "$wm / $wp"
done
echo "  128K is the compression table's level 3 repository (backup s: its median); cold: page cache"
echo "  dropped; warm: packs in the page cache, fresh mount (empty strata cache); p99 of all reads pooled"
echo
echo "VERIFY (512K repository, $NGEN generations, $(mib "$V_PACKS") MiB of packs, page cache dropped)"
echo "  full:  $V_FULL_S s wall, $V_FULL_CPU s CPU, $(rate "$V_PACKS" "$V_FULL_S") MiB/s of packs, $(rate "$V_DEC" "$V_FULL_S") MiB/s decompressed"
echo "         $V_FULL_OUT"
echo "  quick: $V_QUICK_S s wall"
echo "         $V_QUICK_OUT"
