#!/bin/bash
# strata demo: build, back up a sample shop database on three days, mount the
# repository and take a short tour with ls / head / cat / diff.
#
#   scripts/demo.sh                 run the demo, unmount at the end
#   scripts/demo.sh --keep-mounted  leave ./demo/mnt mounted to explore
#
# Works on a fresh Debian 12 machine as root (installs missing packages).
# Everything lives under ./demo (removed and recreated on every run).
set -euo pipefail

KEEP=0
for a in "$@"; do
    case "$a" in
        --keep-mounted) KEEP=1 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "demo.sh: unknown option '$a'" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEMO=$ROOT/demo
MNT=$DEMO/mnt
REPO=$DEMO/repo
DB=$DEMO/shop.db
STRATA=$ROOT/build/indexer/strata
STRATAFS=$ROOT/build/fs/stratafs
export LC_ALL=C

say()  { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '\033[36m$ %s\033[0m\n' "$*"; eval "$*"; }

is_mounted() { awk -v m="$1" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; }

# --- packages -----------------------------------------------------------------
bash scripts/deps.sh || { echo "demo.sh: cannot install what is missing (scripts/deps.sh needs root or sudo)" >&2; exit 1; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

# --- build ----------------------------------------------------------------------
say "building"
[ -f build/build.ninja ] || meson setup build
ninja -C build
[ -x "$STRATA" ] && [ -x "$STRATAFS" ] || { echo "demo.sh: build did not produce $STRATA and $STRATAFS" >&2; exit 1; }
export PATH="$ROOT/build/indexer:$ROOT/build/fs:$PATH"
echo "# PATH now starts with build/indexer and build/fs, so 'strata' and 'stratafs' below are the fresh build"

# --- fresh demo dir ---------------------------------------------------------------
if is_mounted "$MNT"; then
    fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -u -z "$MNT"
fi
rm -rf "$DEMO"
mkdir -p "$DEMO" "$MNT"

DONE=0
cleanup() {
    if { [ "$KEEP" = 0 ] || [ "$DONE" = 0 ]; } && is_mounted "$MNT"; then
        fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -u -z "$MNT" 2>/dev/null || true
    fi
}
trap cleanup EXIT

# --- three nightly backups ----------------------------------------------------------
say "a sample shop database (customers, products, orders, order_items) and three nightly backups"
"$PY" tests/oracle.py make-shop "$DB" --day 1 --orders 50000
show "sqlite3 demo/shop.db 'SELECT name, type FROM sqlite_master ORDER BY type, name'"
show "strata init demo/repo"
show "strata backup demo/repo demo/shop.db --at 2026-11-20T02:00:00Z --label nightly"
echo "# day 2: a few customers move, orders are inserted, updated and deleted, table promo_day1 is dropped, coupons is added"
"$PY" tests/oracle.py make-shop "$DB" --day 2
show "strata backup demo/repo demo/shop.db --at 2026-11-21T02:00:00Z --label nightly"
echo "# day 3: 200 new orders, a price cut, a new customer"
"$PY" tests/oracle.py make-shop "$DB" --day 3
show "strata backup demo/repo demo/shop.db --at 2026-11-22T02:00:00Z --label nightly"
show "strata ls demo/repo"
show "du -sh demo/shop.db demo/repo"
say "is it healthy? check every chunk, then ask for the status (the demo's backups carry dates of"
echo "# November 2026, so a 26-hour limit finds them too old: exit status 4)"
show "strata verify demo/repo"
show 'strata status demo/repo --max-age 26h || echo "exit status $?"'
show "strata status demo/repo --prometheus | grep -v '^#' | head -n 4"

# --- mount and tour -------------------------------------------------------------------
say "mount the repository read-only"
show "stratafs demo/repo demo/mnt"
show "ls -l demo/mnt"
show "ls -l demo/mnt/latest/"
show "cat demo/mnt/latest/generation.json; echo"
show "ls -l demo/mnt/2026-11-22T020000Z/orders"
show "ls -l demo/mnt/2026-11-22T020000Z/orders/rows | head -n 8"
show "head -n 5 demo/mnt/latest/customers/customers.csv"
show "cat demo/mnt/latest/orders/schema.sql"
FIRST_ROWS=$(ls "$MNT/2026-11-22T020000Z/order_items/rows" | head -n 1)
show "head -n 4 'demo/mnt/2026-11-22T020000Z/order_items/rows/$FIRST_ROWS'"
say "what changed between two nights? diff the tables"
show "diff demo/mnt/2026-11-20T020000Z/customers/customers.csv demo/mnt/2026-11-21T020000Z/customers/customers.csv | head -n 12 || true"
show "diff demo/mnt/2026-11-21T020000Z/orders/orders.csv demo/mnt/2026-11-22T020000Z/orders/orders.csv | head -n 8 || true"
show "diff <(ls demo/mnt/2026-11-20T020000Z) <(ls demo/mnt/2026-11-21T020000Z) || true"
say "what changed, by key: changes.csv (insert, update, delete with the row), strata diff for any two"
show "head -n 6 demo/mnt/2026-11-21T020000Z/customers/changes.csv"
show "strata diff demo/repo 2026-11-20T020000Z latest --table products | head -n 4"
say "one row by its key, in any generation; every version of it; the database at a moment"
CUST=$(sed -n 2p demo/mnt/2026-11-21T020000Z/customers/changes.csv | cut -d, -f2)  # one that moved
SKU=$(sqlite3 demo/shop.db "SELECT sku FROM products ORDER BY sku LIMIT 1")
show "cat demo/mnt/latest/products/key/$SKU.csv"
show "cat demo/mnt/latest/customers/key/$CUST.jsonl"
show "cat demo/mnt/tables/customers/key/$CUST.csv"
show "ls -l demo/mnt/tables/customers/"
show "readlink demo/mnt/at/2026-11-21T12:00:00Z demo/mnt/at/2026-11-22"
say "the same rows with their types: JSON Lines, and SQL to replay after schema.sql"
show "head -n 2 demo/mnt/latest/customers/customers.jsonl"
show "head -n 2 demo/mnt/latest/customers/customers.sql"
say "a whole night's database back, exactly as it was, without the mount"
show "rm -f demo/restored.db && strata restore demo/repo 2026-11-21T020000Z --to demo/restored.db"
show "sqlite3 demo/restored.db 'PRAGMA integrity_check; SELECT count(*) AS orders FROM orders'"
say "or from the mount: dump.sql replays the whole database; schema.pg.sql is the same tables for PostgreSQL"
show "rm -f demo/replayed.db && sqlite3 demo/replayed.db < demo/mnt/2026-11-21T020000Z/dump.sql && cmp <(sqlite3 demo/restored.db .dump) <(sqlite3 demo/replayed.db .dump) && echo 'same .dump'"
show "grep -A 6 'CREATE TABLE \"orders\"' demo/mnt/latest/schema.pg.sql"
say "restoring is cp; everything else is read-only"
show "cp demo/mnt/2026-11-20T020000Z/promo_day1/promo_day1.csv demo/restored-promo.csv && cat demo/restored-promo.csv"
show "touch demo/mnt/latest/orders/orders.csv || true"
show "sqlite3 -csv -header :memory: \".import demo/mnt/latest/products/products.csv p\" 'SELECT count(*) AS products, round(sum(price), 2) AS total_price FROM p'"

DONE=1
if [ "$KEEP" = 1 ]; then
    say "left mounted at $MNT"
    echo "unmount with: fusermount3 -u $MNT"
else
    say "unmounting"
    show "fusermount3 -u demo/mnt"
fi
