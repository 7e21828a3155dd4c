#!/bin/bash
# strata ls and ls --json list every generation with correct counts and labels.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo DB=$T/s.db
"$STRATA" init "$R" >/dev/null
"$STRATA" ls "$R" --json >"$T/empty.json" || fail "ls --json of empty repo failed"
"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); assert a==[], a' "$T/empty.json" || fail "ls --json of an empty repo is not []"
"$STRATA" ls "$R" >/dev/null || fail "ls of empty repo failed"

oracle make-shop "$DB" --day 1 --orders 4000
cp "$DB" "$T/d1.db"
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z --label nightly >/dev/null || fail "backup 1"
"$STRATA" backup "$R" "$DB" --at 2026-11-20T14:30:00Z --label 'same db, again "quoted" ✓' >/dev/null || fail "backup 2"
oracle make-shop "$DB" --day 2
cp "$DB" "$T/d2.db"
"$STRATA" backup "$R" "$DB" --at 2026-11-21T02:00:00Z >/dev/null || fail "backup 3 (no label)"
"$STRATA" ls "$R" >"$T/ls.txt" || fail "ls failed"
"$STRATA" ls "$R" --json >"$T/ls.json" || fail "ls --json failed"
cat "$T/ls.txt"
for n in 2026-11-20T020000Z 2026-11-20T143000Z 2026-11-21T020000Z; do
    grep -qF "$n" "$T/ls.txt" || fail "ls output lacks $n"
done
grep -qF nightly "$T/ls.txt" || fail "ls output lacks label nightly"
grep -qF 'same db, again' "$T/ls.txt" || fail "ls output lacks label 2"

"$PY" - "$T/ls.json" "$T/d1.db" "$T/d2.db" <<'PYEOF' || fail "ls --json content wrong"
import json, sqlite3, sys, datetime
a = json.load(open(sys.argv[1]))
def counts(db):
    con = sqlite3.connect(db)
    ts = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    return len(ts), sum(con.execute('SELECT count(*) FROM "%s"' % t).fetchone()[0] for t in ts)
c1, c2 = counts(sys.argv[2]), counts(sys.argv[3])
want = {
    "2026-11-20T020000Z": ("2026-11-20T02:00:00Z", "nightly", c1),
    "2026-11-20T143000Z": ("2026-11-20T14:30:00Z", 'same db, again "quoted" ✓', c1),
    "2026-11-21T020000Z": ("2026-11-21T02:00:00Z", None, c2),
}
errs = []
if not isinstance(a, list) or len(a) != 3:
    errs.append("want a list of 3 generations, got %r" % a)
    a = a if isinstance(a, list) else []
by = {}
for g in a:
    for k in ("name", "id", "time", "label", "tables", "rows", "logical_bytes", "new_bytes"):
        if k not in g:
            errs.append("%r lacks key %s" % (g.get("name"), k))
    by[g.get("name")] = g
if set(by) != set(want):
    errs.append("names %r != %r" % (sorted(by, key=str), sorted(want)))
ids = [g.get("id") for g in a]
if len(set(map(str, ids))) != len(ids):
    errs.append("ids not distinct: %r" % ids)
for n, (t, lbl, (nt, nr)) in want.items():
    g = by.get(n)
    if not g:
        continue
    try:
        gt = datetime.datetime.fromisoformat(str(g.get("time")).replace("Z", "+00:00"))
        if gt != datetime.datetime.fromisoformat(t.replace("Z", "+00:00")):
            errs.append("%s: time %r != %s" % (n, g.get("time"), t))
    except ValueError:
        errs.append("%s: time %r not RFC 3339" % (n, g.get("time")))
    if lbl is None:
        if g.get("label") not in (None, ""):
            errs.append("%s: label %r, want null/empty" % (n, g.get("label")))
    elif g.get("label") != lbl:
        errs.append("%s: label %r != %r" % (n, g.get("label"), lbl))
    if g.get("tables") != nt:
        errs.append("%s: tables %r != %d" % (n, g.get("tables"), nt))
    if g.get("rows") != nr:
        errs.append("%s: rows %r != %d" % (n, g.get("rows"), nr))
    if not isinstance(g.get("logical_bytes"), int) or g["logical_bytes"] <= 0:
        errs.append("%s: logical_bytes %r" % (n, g.get("logical_bytes")))
    if not isinstance(g.get("new_bytes"), int) or g["new_bytes"] < 0:
        errs.append("%s: new_bytes %r" % (n, g.get("new_bytes")))
g1, g2 = by.get("2026-11-20T020000Z"), by.get("2026-11-20T143000Z")
if g1 and g2 and isinstance(g1.get("new_bytes"), int) and isinstance(g2.get("new_bytes"), int):
    if g2["new_bytes"] * 10 > g1["new_bytes"]:
        errs.append("backup of an unchanged db added %d new bytes (first added %d): no dedup?" % (g2["new_bytes"], g1["new_bytes"]))
    if g1.get("logical_bytes") != g2.get("logical_bytes"):
        errs.append("same db, different logical_bytes %r vs %r" % (g1.get("logical_bytes"), g2.get("logical_bytes")))
for e in errs:
    print("ERR:", e)
sys.exit(1 if errs else 0)
PYEOF

# ls works from the generations alone after the catalog is removed and rebuilt
rm -f "$R/catalog.db"*
"$STRATA" index "$R" >/dev/null || fail "index"
"$STRATA" ls "$R" --json >"$T/ls2.json" || fail "ls --json after reindex"
"$PY" -c 'import json,sys; a,b=[json.load(open(x)) for x in sys.argv[1:]]; k=lambda g:g["name"]; assert sorted(a,key=k)==sorted(b,key=k)' "$T/ls.json" "$T/ls2.json" \
    || fail "ls --json differs after catalog rebuild"

# ls while a writer holds the repository lock (a long backup) lists what the
# catalog has instead of failing
bg flock "$R/lock" sleep 4
sleep 0.5
"$STRATA" ls "$R" --json >"$T/ls3.json" 2>"$T/ls3.err" || fail "ls failed while the repository was locked: $(cat "$T/ls3.err")"
"$PY" -c 'import json,sys; a,b=[json.load(open(x)) for x in sys.argv[1:]]; k=lambda g:g["name"]; assert sorted(a,key=k)==sorted(b,key=k)' "$T/ls2.json" "$T/ls3.json" \
    || fail "ls --json under the lock differs"
echo ok
