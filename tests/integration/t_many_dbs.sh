#!/bin/bash
# Many databases, one repository (docs/FORMAT.md "Database names"): each has its
# own timeline (MNT/db/<name>/ with its generations and its latest, strata ls
# --name, strata prune --name), chunks dedup across them, a default name that
# another source path already uses is refused, and the root keeps every generation.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt
mkdir -p "$T/a" "$T/b"
oracle make-shop "$T/a/shop.db" --day 1 --orders 3000
oracle make-shop "$T/b/shop.db" --day 1 --orders 500
sqlite3 "$T/a/crm.db" "CREATE TABLE contacts(id INTEGER PRIMARY KEY, name TEXT, note TEXT);
  INSERT INTO contacts(name, note) VALUES ('Ada', 'first'), ('Bob', NULL), ('Cy', 'x,y');"
"$STRATA" init "$R" >/dev/null

declare -A DB  # generation name -> database name (the test's own record)
back() { # DBNAME TIME [--name N] SOURCE: sets LAST to the generation's name
    local want=$1 at=$2; shift 2
    "$STRATA" backup "$R" "$@" --at "$at" >"$T/out" || fail "backup $* at $at: $(cat "$T/out")"
    local g; g=$(sed -n 's/^generation \([^:]*\):.*/\1/p' "$T/out")
    [ -n "$g" ] || fail "no generation name in: $(cat "$T/out")"
    DB[$g]=$want
    cp "${@: -1}" "$T/oracle.$g.db"
    LAST=$g
}
back shop 2026-11-01T02:00:00Z "$T/a/shop.db"; g1=$LAST
back crm 2026-11-01T03:00:00Z "$T/a/crm.db"; g2=$LAST
# same file name in another directory: its default name is taken
expect_err 1 "is the timeline of $T/a/shop.db already" "$STRATA" backup "$R" "$T/b/shop.db" --at 2026-11-01T04:00:00Z
[ "$(ls "$R/generations" | wc -l)" = 2 ] || fail "the refused backup wrote a generation"
expect_err 2 "--name takes" "$STRATA" backup "$R" "$T/b/shop.db" --name "../x"
back shop-b 2026-11-01T04:00:00Z --name shop-b "$T/b/shop.db"; g3=$LAST
oracle make-shop "$T/a/shop.db" --day 2
back shop 2026-11-02T02:00:00Z "$T/a/shop.db"; g4=$LAST
sqlite3 "$T/a/crm.db" "UPDATE contacts SET note='moved' WHERE name='Bob'"
back crm 2026-11-02T03:00:00Z "$T/a/crm.db"; g5=$LAST
# a copy of shop under its own name stores no new chunk: dedup across databases
cp "$T/a/shop.db" "$T/a/shop-copy.db"
back shop-copy 2026-11-02T04:00:00Z "$T/a/shop-copy.db"; g6=$LAST
grep -q "(0 new)" "$T/out" || fail "a copy of a database stored new chunks: $(cat "$T/out")"

# strata ls: every generation with its database; --name; --json with the source
"$STRATA" ls "$R" >"$T/ls.txt" || fail "strata ls"
for g in "${!DB[@]}"; do
    grep -q "^$g .* ${DB[$g]}  *\(full\|incremental\|differential\) *\$" "$T/ls.txt" ||
        fail "strata ls: $g is not shown as ${DB[$g]} with its kind: $(cat "$T/ls.txt")"
done
[ "$("$STRATA" ls "$R" --name crm | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" = "$g2 $g5 " ] ||
    fail "strata ls --name crm: $("$STRATA" ls "$R" --name crm)"
expect_err 1 "no database named 'nope'" "$STRATA" ls "$R" --name nope
"$STRATA" ls "$R" --json | "$PY" -c '
import json, sys
want = dict(a.split("=") for a in sys.argv[1:])
got = {g["name"]: (g["database"], g["source"]) for g in json.load(sys.stdin)}
assert {n: d for n, (d, s) in got.items()} == want, got
assert got[min(n for n in got if want[n] == "shop-b")][1].endswith("/b/shop.db"), got
' $(for g in "${!DB[@]}"; do echo "$g=${DB[$g]}"; done) || fail "strata ls --json: database or source wrong"

mount_fs "$R" "$M"
# (compare-mount checks generation.json's name against the directory's: walk the link with cd -P)
check_db() { # the mount's db/ against the test's record
    "$PY" - "$M" $(for g in "${!DB[@]}"; do echo "$g=${DB[$g]}"; done) <<'PYEOF'
import os, sys
m = sys.argv[1]
want = {}
for a in sys.argv[2:]:
    g, d = a.split("=")
    want.setdefault(d, []).append(g)
errs = []
if sorted(os.listdir(os.path.join(m, "db"))) != sorted(want):
    errs.append("db/ lists %s, want %s" % (sorted(os.listdir(os.path.join(m, "db"))), sorted(want)))
for d, gens in want.items():
    p = os.path.join(m, "db", d)
    ents = os.listdir(p)
    if ents != sorted(gens) + ["latest"]:
        errs.append("db/%s lists %s, want %s + latest" % (d, ents, sorted(gens)))
    for g in gens:
        if os.readlink(os.path.join(p, g)) != "../../" + g or not os.path.samefile(os.path.join(p, g), os.path.join(m, g)):
            errs.append("db/%s/%s does not lead to %s" % (d, g, g))
    if os.readlink(os.path.join(p, "latest")) != "../../" + max(gens):
        errs.append("db/%s/latest -> %s, want %s" % (d, os.readlink(os.path.join(p, "latest")), max(gens)))
allg = sorted(g for gs in want.values() for g in gs)
root = sorted(e for e in os.listdir(m) if e not in ("latest", "tables", "at", "db"))
if root != allg:
    errs.append("the root lists %s, want every generation %s" % (root, allg))
if os.readlink(os.path.join(m, "latest")) != allg[-1]:
    errs.append("latest -> %s, want the newest of all, %s" % (os.readlink(os.path.join(m, "latest")), allg[-1]))
for e in errs:
    print("ERR:", e)
sys.exit(1 if errs else 0)
PYEOF
}
check_db || fail "db/ does not show each database's timeline"
oracle compare-mount "$T/oracle.$g5.db" "$(cd -P "$M/db/crm/latest" && pwd)" || fail "db/crm/latest is not crm's newest"
oracle compare-mount "$T/oracle.$g4.db" "$(cd -P "$M/db/shop/latest" && pwd)" || fail "db/shop/latest is not shop's newest"
oracle compare-mount "$T/oracle.$g3.db" "$(cd -P "$M/db/shop-b/latest" && pwd)" || fail "db/shop-b/latest is not shop-b's newest"

# a new generation of crm moves db/crm/latest (the kernel asks again after a second), nothing else
sqlite3 "$T/a/crm.db" "INSERT INTO contacts(name) VALUES ('Dee')"
back crm 2026-11-03T03:00:00Z "$T/a/crm.db"; g7=$LAST
latest_is() { [ "$(readlink "$M/db/crm/latest")" = "$1" ]; } # (evaluated at every try)
wait_until 5 latest_is "../../$g7" || fail "db/crm/latest did not move to $g7: $(readlink "$M/db/crm/latest")"
[ "$(readlink "$M/db/shop/latest")" = "../../$g4" ] || fail "db/shop/latest moved with crm"
oracle compare-mount "$T/oracle.$g7.db" "$(cd -P "$M/db/crm/latest" && pwd)" || fail "db/crm/latest after the new generation"
sleep 1.1 # the listings of db/ live a second
check_db || fail "db/ after a new generation"

# prune --name: only that timeline; without it each keeps its own newest
"$STRATA" prune "$R" --name crm --keep-last 1 >"$T/prune.out" || fail "prune --name crm: $(cat "$T/prune.out")"
grep -q "^database crm .*: 3 generations, keep 1, remove 2" "$T/prune.out" || fail "prune --name crm said: $(cat "$T/prune.out")"
grep -q "^database shop" "$T/prune.out" && fail "prune --name crm looked at shop: $(cat "$T/prune.out")"
unset "DB[$g2]" "DB[$g5]"
[ "$(ls "$R/generations" | sed 's/\.gen$//' | sort | tr '\n' ' ')" = "$(printf '%s\n' "${!DB[@]}" | sort | tr '\n' ' ')" ] ||
    fail "prune --name crm removed other generations: $(ls "$R/generations")"
"$STRATA" prune "$R" --keep-last 1 >"$T/prune.out" || fail "prune: $(cat "$T/prune.out")"
unset "DB[$g1]"
[ "$(ls "$R/generations" | sed 's/\.gen$//' | sort | tr '\n' ' ')" = "$(printf '%s\n' "${!DB[@]}" | sort | tr '\n' ' ')" ] ||
    fail "prune --keep-last 1 did not keep each database's newest: $(ls "$R/generations")"
expect_err 1 "no database named 'nope'" "$STRATA" prune "$R" --name nope --keep-last 1
sleep 1.1
wait_until 5 check_db >/dev/null || { check_db; fail "db/ after the prunes"; }
oracle compare-mount "$T/oracle.$g4.db" "$(cd -P "$M/db/shop/latest" && pwd)" || fail "db/shop/latest after the prunes"
umount_fs "$M"
note "ok"
