#!/bin/bash
# Two (and more) generations: each matches its own oracle, diffs show exactly the
# changed rows, rows/ names of untouched ranges are stable, latest / naming.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/shop.db
oracle make-shop "$DB" --day 1 --orders 20000
cp "$DB" "$T/day1.db"
"$STRATA" init "$R" --chunk-size 8192 >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z --label day1 >/dev/null || fail "backup 1 failed"
# day 2: updates, inserts in the middle of the key space, deletes, a new table
# (coupons) and a dropped table (promo_day1) -- see oracle.py shop_apply_day
oracle make-shop "$DB" --day 2
cp "$DB" "$T/day2.db"
"$STRATA" backup "$R" "$DB" --at 2026-11-21T02:00:00Z --label day2 >/dev/null || fail "backup 2 failed"

mount_fs "$R" "$M"
G1=$M/2026-11-20T020000Z G2=$M/2026-11-21T020000Z
[ -d "$G1" ] && [ -d "$G2" ] || { ls -la "$M" >&2; fail "generation dirs missing"; }
[ "$(readlink "$M/latest")" = 2026-11-21T020000Z ] || fail "latest -> $(readlink "$M/latest")"
oracle compare-mount "$T/day1.db" "$G1" || fail "generation 1 differs from day1 oracle"
oracle compare-mount "$T/day2.db" "$G2" || fail "generation 2 differs from day2 oracle"
[ ! -e "$G2/promo_day1" ] || fail "dropped table promo_day1 present in generation 2"
[ -d "$G1/promo_day1" ] || fail "promo_day1 missing in generation 1"
[ -d "$G2/coupons" ] && [ ! -e "$G1/coupons" ] || fail "coupons should exist only in generation 2"

# diff of the whole-table csvs shows exactly the changed rows
for tb in customers orders order_items products; do
    diff "$G1/$tb/$tb.csv" "$G2/$tb/$tb.csv" | grep '^[<>] ' | sort >"$T/diff.$tb" || true
    "$PY" - "$T/day1.db" "$T/day2.db" "$tb" "$ORACLE" <<'PYEOF' | sort >"$T/want.$tb"
import sys, importlib.util
spec = importlib.util.spec_from_file_location("oracle", sys.argv[4]); o = importlib.util.module_from_spec(spec); spec.loader.exec_module(o)
a = o.table_csv(o.connect(sys.argv[1]), sys.argv[3]).split(b"\n")
b = o.table_csv(o.connect(sys.argv[2]), sys.argv[3]).split(b"\n")
sa, sb = set(a), set(b)
out = sys.stdout.buffer
for l in a:
    if l not in sb: out.write(b"< " + l + b"\n")
for l in b:
    if l not in sa: out.write(b"> " + l + b"\n")
PYEOF
    if ! cmp -s "$T/diff.$tb" "$T/want.$tb"; then
        diff "$T/want.$tb" "$T/diff.$tb" | head -20 >&2
        fail "diff of $tb between generations is not exactly the changed rows"
    fi
    [ -s "$T/want.$tb" ] || fail "test bug: no changes in $tb"
    note "$tb: $(wc -l <"$T/want.$tb") changed lines"
done

# rows/ file names of untouched key ranges are identical in both generations
"$PY" - "$G1" "$G2" <<'PYEOF' || fail "rows/ names not stable across generations"
import os, sys
g1, g2 = sys.argv[1:3]
bad = False
for tb in ("orders", "order_items", "customers"):
    n1 = set(os.listdir(os.path.join(g1, tb, "rows")))
    n2 = set(os.listdir(os.path.join(g2, tb, "rows")))
    common = n1 & n2
    same = sum(1 for n in common
               if open(os.path.join(g1, tb, "rows", n), "rb").read() == open(os.path.join(g2, tb, "rows", n), "rb").read())
    frac = len(common) / max(1, len(n1))
    print("%s: gen1 %d files, gen2 %d files, %d names in common (%.0f%%), %d identical content"
          % (tb, len(n1), len(n2), len(common), 100 * frac, same))
    if len(n1) >= 10 and frac < 0.6:
        print("ERR: %s: only %.0f%% of row-range names survive a small change" % (tb, 100 * frac)); bad = True
    if len(n1) < 10 and tb != "customers":
        print("ERR: %s: expected many rows files, got %d" % (tb, len(n1))); bad = True
sys.exit(1 if bad else 0)
PYEOF

umount_fs "$M"

# more generations: one with an earlier time (latest must not move), two with
# the same --at (distinct names ...Z and ...Z-002; the second is latest:
# the catalog breaks a tie in time by backup order)
"$STRATA" backup "$R" "$T/day1.db" --at 2026-11-19T23:59:59Z --label earlier >/dev/null || fail "backup earlier failed"
oracle make-shop "$DB" --day 3
cp "$DB" "$T/day3.db"
"$STRATA" backup "$R" "$DB" --at 2026-11-22T02:00:00Z --label day3a >/dev/null || fail "backup 3a failed"
"$STRATA" backup "$R" "$T/day2.db" --at 2026-11-22T02:00:00Z --label day3b >/dev/null || fail "backup 3b failed"
mount_fs "$R" "$M"
ls "$M" >"$T/root.txt"
cat >"$T/root.want" <<'X'
2026-11-19T235959Z
2026-11-20T020000Z
2026-11-21T020000Z
2026-11-22T020000Z
2026-11-22T020000Z-002
at
db
latest
tables
X
diff "$T/root.want" "$T/root.txt" >&2 || fail "mount root listing differs"
L=$(readlink "$M/latest")
[ "$L" = 2026-11-22T020000Z-002 ] || fail "latest -> $L, want 2026-11-22T020000Z-002 (the later backup of that second)"
oracle compare-mount "$T/day1.db" "$M/2026-11-19T235959Z" || fail "earlier generation differs"
# which of the two same-second generations holds which db: use the label
for n in 2026-11-22T020000Z 2026-11-22T020000Z-002; do
    lbl=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["label"])' "$M/$n/generation.json")
    case "$lbl" in
        day3a) oracle compare-mount "$T/day3.db" "$M/$n" || fail "$n differs from day3" ;;
        day3b) oracle compare-mount "$T/day2.db" "$M/$n" || fail "$n differs from day2" ;;
        *) fail "$n has label $lbl" ;;
    esac
done
[ "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["label"])' "$M/2026-11-22T020000Z/generation.json")" = day3a ] \
    || note "WARN: first same-second backup did not get the name without suffix"
# the old generations are unchanged by later backups
oracle compare-mount "$T/day1.db" "$M/2026-11-20T020000Z" || fail "generation 1 changed after more backups"
umount_fs "$M"
echo ok
