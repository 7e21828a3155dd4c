#!/bin/bash
# strata prune: retention (restic's forget rules, per source database, UTC
# buckets), --dry-run changes nothing, garbage collection removes exactly the
# chunks no remaining generation needs (each needed chunk kept once), a
# running mount keeps serving what remains, kill -9 at every step leaves every
# remaining generation readable and the next prune finishes the job, and the
# locks keep prune away from a backup and a verify.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo DB=$T/shop.db OTHER=$T/other.db
"$STRATA" init "$R" --chunk-size 8192 --pack-size 65536 >/dev/null

# nine generations of shop.db (each day's database kept as its oracle) ...
times=(2026-10-01T02:00:00Z 2026-10-08T02:00:00Z 2026-10-15T02:00:00Z 2026-10-29T02:00:00Z
       2026-11-02T01:00:00Z 2026-11-02T13:00:00Z 2026-11-03T02:00:00Z 2026-11-04T02:00:00Z
       2026-11-04T20:00:00Z)
oracle make-shop "$DB" --day 1 --orders 3000
for i in "${!times[@]}"; do
    [ "$i" -gt 0 ] && oracle make-shop "$DB" --day $((i + 1))
    cp "$DB" "$T/g$((i + 1)).db"
    "$STRATA" backup "$R" "$DB" --at "${times[$i]}" --force >/dev/null || fail "backup $((i + 1))"
done
# ... and two of another database, whose timeline is its own
oracle make-shop "$OTHER" --day 1 --orders 500
cp "$OTHER" "$T/h1.db"
"$STRATA" backup "$R" "$OTHER" --at 2026-10-01T03:00:00Z >/dev/null || fail "backup h1"
oracle make-shop "$OTHER" --day 2
cp "$OTHER" "$T/h2.db"
"$STRATA" backup "$R" "$OTHER" --at 2026-11-01T03:00:00Z >/dev/null || fail "backup h2"
name() { gen_name "$1"; }
G=() # G[k]: name of generation k (1-based)
for i in "${!times[@]}"; do G[$((i + 1))]=$(name "${times[$i]}"); done
H1=$(name 2026-10-01T03:00:00Z) H2=$(name 2026-11-01T03:00:00Z)

# usage errors
expect_err 2 'keep-daily takes a count' "$STRATA" prune "$R" --keep-daily x
expect_err 2 'keep-within takes a duration' "$STRATA" prune "$R" --keep-within 3w
expect_err 2 'repack takes a percentage' "$STRATA" prune "$R" --repack 101

# the locks: a backup (or index) holding the writer lock, a verify holding the deletion lock
flock -o "$R/lock" sleep 30 &
holder=$!
_PIDS+=($holder)
wait_until 5 bash -c "! flock -n '$R/lock' true" || fail "test bug: lock not taken"
expect_err 5 'busy' "$STRATA" prune "$R" --keep-last 1
pkill -P $holder sleep || true; kill $holder 2>/dev/null || true; wait $holder 2>/dev/null || true
flock -o -s "$R/gc-lock" sleep 30 &
holder=$!
_PIDS+=($holder)
wait_until 5 bash -c "! flock -n '$R/gc-lock' true" || fail "test bug: gc-lock not taken"
expect_err 5 'verify' "$STRATA" prune "$R" --keep-last 1
pkill -P $holder sleep || true; kill $holder 2>/dev/null || true; wait $holder 2>/dev/null || true

# --dry-run: the plan, and not one byte changes
"$STRATA" index "$R" >/dev/null
tree_digest "$R" | grep -v 'catalog.db' >"$T/before"
"$STRATA" prune "$R" --keep-daily 3 --keep-monthly 2 --dry-run >"$T/dry" || fail "dry run failed"
cat "$T/dry"
tree_digest "$R" | grep -v 'catalog.db' >"$T/after"
cmp -s "$T/before" "$T/after" || fail "--dry-run changed the repository: $(diff "$T/before" "$T/after" | head)"
grep -q "^would remove 5 generations, keep 6; would collect" "$T/dry" || fail "dry run summary: $(tail -1 "$T/dry")"

# Expected, worked out by hand: daily 3 keeps the newest of 11-04 (g9), 11-03
# (g7), 11-02 (g6); monthly 2 the newest of 2026-11 (g9) and 2026-10 (g4).
# other.db on its own: 11-01 and 10-01 (daily, monthly) both kept.
want_keep="${G[4]} ${G[6]} ${G[7]} ${G[9]} $H1 $H2"
want_gone="${G[1]} ${G[2]} ${G[3]} ${G[5]} ${G[8]}"
for g in $want_keep; do grep -Eq "^  keep +$g " "$T/dry" || fail "dry run does not keep $g"; done
for g in $want_gone; do grep -q "^  remove  $g\$" "$T/dry" || fail "dry run does not remove $g"; done
grep -Eq "^  keep +${G[9]} +daily, monthly$" "$T/dry" || fail "the rules that kept ${G[9]}: $(grep "${G[9]}" "$T/dry")"
grep -Eq "^  keep +${G[4]} +monthly$" "$T/dry" || fail "the rules that kept ${G[4]}"

# a mount serving throughout; a reader of a kept generation holds files open
M=$T/mnt
mount_fs "$R" "$M"
# every row-range file of generation 4 opened, none read yet: their packs are
# not open when prune deletes them, so reads must find the chunks' new packs
"$PY" - "$M/${G[4]}" "$T/go" "$T/opened" "$T/rows.before" <<'PYEOF' &
import hashlib, os, sys, time
gen, go, opened, out = sys.argv[1:5]
fds = {}
for tb in sorted(os.listdir(gen)):
    d = os.path.join(gen, tb, "rows")
    if os.path.isdir(d):
        for f in sorted(os.listdir(d)):
            if f.endswith(".csv"):
                fds[os.path.join(tb, f)] = os.open(os.path.join(d, f), os.O_RDONLY)
open(opened, "w").close()
while not os.path.exists(go):
    time.sleep(0.05)
with open(out, "w") as o:
    for k in sorted(fds):
        data = b""
        while True:
            b = os.read(fds[k], 1 << 20)
            if not b:
                break
            data += b
        o.write("%s %s\n" % (k, hashlib.sha256(data).hexdigest()))
PYEOF
reader=$!
_PIDS+=($reader)
wait_until 20 test -e "$T/opened" || fail "the reader did not open the row-range files"
# generation 9's changes compare it with generation 8, which prune removes:
# read now (the kernel keeps it), they must then compare with generation 7
cat "$M/${G[9]}/orders/changes.csv" >"$T/ch.before"
"$STRATA" diff "$R" "${G[8]}" "${G[9]}" --table orders >"$T/ch.want1"
cmp -s "$T/ch.before" "$T/ch.want1" || fail "changes.csv of generation 9 before the prune"
"$STRATA" prune "$R" --keep-daily 3 --keep-monthly 2 --repack 0 >"$T/out" || fail "prune failed: $(cat "$T/out")"
cat "$T/out"
touch "$T/go"
wait $reader || fail "row-range files opened before the prune could not be read after it"
(cd "$M/${G[4]}" && for f in */rows/*.csv; do echo "${f%%/*}/${f##*/} $(sha256sum <"$f" | cut -d' ' -f1)"; done) |
    sort >"$T/rows.after"
[ "$(wc -l <"$T/rows.after")" -ge 10 ] || fail "test bug: too few row-range files"
cmp -s "$T/rows.before" "$T/rows.after" || fail "row-range files opened before the prune read other bytes: $(diff "$T/rows.before" "$T/rows.after" | head -5)"
grep -q "^removed 5 generations, kept 6" "$T/out" || fail "summary: $(tail -1 "$T/out")"
for g in $want_gone; do wait_until 10 test ! -e "$M/$g" || fail "$g still in the mount after prune"; done
"$STRATA" diff "$R" "${G[7]}" "${G[9]}" --table orders >"$T/ch.want2"
cmp -s "$T/ch.want1" "$T/ch.want2" && fail "test bug: the changes against 7 and 8 are the same"
same_changes() { cat "$M/${G[9]}/orders/changes.csv" >"$T/ch.after" 2>/dev/null && cmp -s "$T/ch.after" "$T/ch.want2"; }
wait_until 5 same_changes || fail "changes.csv of generation 9 after its previous generation was pruned: $(cmp "$T/ch.after" "$T/ch.want2")"
"$STRATA" cat "$R" "${G[9]}/orders/changes.csv" | cmp -s - "$T/ch.want2" || fail "strata cat of changes.csv after the prune"
oracle compare-mount "$T/g4.db" "$M/${G[4]}" >/dev/null || fail "generation 4 differs after prune (mount)"
oracle compare-mount "$T/g9.db" "$M/${G[9]}" >/dev/null || fail "generation 9 differs after prune (mount)"
oracle compare-mount "$T/h1.db" "$M/$H1" >/dev/null || fail "other.db generation 1 differs after prune (mount)"
umount_fs "$M"

# exactly the needed chunks, each once: pack indexes against the catalog
# rebuilt from the manifests (a separate reading of them)
exactly_needed() {
    "$STRATA" index --rebuild "$1" >/dev/null || fail "index --rebuild"
    "$PY" - "$1" "$ORACLE" <<'PYEOF'
import importlib.util, os, sqlite3, struct, sys
repo = sys.argv[1]
spec = importlib.util.spec_from_file_location("oracle", sys.argv[2])
oracle = importlib.util.module_from_spec(spec)
spec.loader.exec_module(oracle)
have = []
for d in sorted(os.listdir(os.path.join(repo, "packs"))):
    for f in sorted(os.listdir(os.path.join(repo, "packs", d))):
        data = open(os.path.join(repo, "packs", d, f), "rb").read()
        idx_off, count = struct.unpack_from("<QI", data, len(data) - 32)
        for k in range(count):
            have.append(data[idx_off + 48 * k: idx_off + 48 * k + 16])
need = {r[0] for r in sqlite3.connect(os.path.join(repo, "catalog.db")).execute(
    "SELECT DISTINCT chunk_id FROM table_chunks")}
# and the index nodes the manifests list (manifest version 5)
for g in os.listdir(os.path.join(repo, "generations")):
    need.update(oracle.manifest_nodes(os.path.join(repo, "generations", g)))
dups = len(have) - len(set(have))
extra = set(have) - need
missing = need - set(have)
print("packs hold %d chunks, generations need %d: %d extra, %d missing, %d second copies"
      % (len(have), len(need), len(extra), len(missing), dups))
sys.exit(1 if extra or missing or dups else 0)
PYEOF
}
exactly_needed "$R" || fail "after prune --repack 0 the packs do not hold exactly the needed chunks"
# segment lists (catalog segmaps) went with their chunks, the others stayed
# (and survived the rebuild above)
orphans=$(sqlite3 "$R/catalog.db" "SELECT count(*) FROM segmaps WHERE chunk_id NOT IN (SELECT id FROM chunks)")
[ "$orphans" = 0 ] || fail "$orphans segment lists of chunks prune removed are left in the catalog"
[ "$(sqlite3 "$R/catalog.db" "SELECT count(*) FROM segmaps")" -gt 0 ] || fail "prune removed every segment list"
"$STRATA" verify "$R" >"$T/v" || fail "verify after prune: $(cat "$T/v")"
for k in 4 6 7 9; do
    "$STRATA" restore "$R" "${G[$k]}" --to "$T/r$k.db" >/dev/null || fail "restore ${G[$k]}"
    same_db "$T/g$k.db" "$T/r$k.db" "generation $k after prune"
done
[ "$(ls "$R/generations" | wc -l)" -eq 6 ] || fail "manifests left: $(ls "$R/generations")"

# a second prune with a further rule; keep-last counts per database
"$STRATA" prune "$R" --keep-last 1 >"$T/out2" || fail "second prune"
grep -q "^removed 4 generations, kept 2" "$T/out2" || fail "keep-last 1: $(tail -1 "$T/out2")"
grep -Eq "^  keep +${G[9]} +last$" "$T/out2" || fail "keep-last keeps ${G[9]}"
grep -Eq "^  keep +$H2 +last$" "$T/out2" || fail "keep-last keeps $H2"
"$STRATA" verify "$R" >/dev/null || fail "verify after the second prune"
"$STRATA" restore "$R" "$H2" --to "$T/rh2.db" >/dev/null || fail "restore $H2"
same_db "$T/h2.db" "$T/rh2.db" "other.db generation 2"
# strata stats against the pack files and catalog read independently
"$STRATA" stats "$R" --json >"$T/stats.json" || fail "stats"
"$STRATA" stats "$R" >"$T/stats.txt" || fail "stats (text)"
cat "$T/stats.txt"
"$PY" - "$R" "$T/stats.json" "$ORACLE" <<'PYEOF' || fail "strata stats disagrees with the repository"
import importlib.util, json, os, sqlite3, struct, sys
repo, got = sys.argv[1], json.load(open(sys.argv[2]))
spec = importlib.util.spec_from_file_location("oracle", sys.argv[3])
oracle = importlib.util.module_from_spec(spec)
spec.loader.exec_module(oracle)
have, size, npacks = [], 0, 0
for d in sorted(os.listdir(os.path.join(repo, "packs"))):
    for f in sorted(os.listdir(os.path.join(repo, "packs", d))):
        data = open(os.path.join(repo, "packs", d, f), "rb").read()
        npacks += 1
        size += len(data)
        idx_off, count = struct.unpack_from("<QI", data, len(data) - 32)
        for k in range(count):
            e = data[idx_off + 48 * k: idx_off + 48 * k + 48]
            nrows, csv_len = struct.unpack_from("<QQ", e, 32)
            have.append((e[:16], struct.unpack_from("<I", e, 24)[0], nrows == 0 and csv_len == 0))
con = sqlite3.connect(os.path.join(repo, "catalog.db"))
need = {r[0] for r in con.execute("SELECT DISTINCT chunk_id FROM table_chunks")}
for g in os.listdir(os.path.join(repo, "generations")):
    need.update(oracle.manifest_nodes(os.path.join(repo, "generations", g)))
logical = con.execute("SELECT sum(logical_bytes) FROM generations").fetchone()[0]
kept, garbage, nodes = set(), 0, 0
for i, c, node in have:
    if i in need and i not in kept:
        kept.add(i)
        nodes += node
    else:
        garbage += c
want = {"packs": npacks, "pack_bytes": size, "chunks": len(kept) - nodes, "index_nodes": nodes,
        "logical_bytes": logical,
        "garbage_chunks": len(have) - len(kept), "garbage_bytes": garbage, "generations": 2,
        "manifests": 2}
bad = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
print("stats:", {k: got[k] for k in want}, "mismatch (got, want):" if bad else "", bad if bad else "")
sys.exit(1 if bad or len(got["databases"]) != 2 else 0)
PYEOF
# without a rule: only garbage collection, nothing removed
"$STRATA" prune "$R" >"$T/out3" || fail "prune without rules"
grep -q "^removed 0 generations, kept 2" "$T/out3" || fail "prune without rules: $(tail -1 "$T/out3")"

# kill -9 at each durable step, on copies of a repository with all eleven
# generations; then verify is clean, every remaining generation restores to
# its oracle, and the next prune finishes: exactly the needed chunks
B=$T/base
"$STRATA" init "$B" --chunk-size 8192 --pack-size 65536 >/dev/null
for k in 1 2 3 4 5 6 7 8 9; do
    cp "$T/g$k.db" "$T/src.db" # one source path: one timeline
    "$STRATA" backup "$B" "$T/src.db" --at "${times[$((k - 1))]}" --force >/dev/null || fail "base backup $k"
done
for point in prune-removed:1 prune-removed:3 prune-packed:1 prune-packed:2 prune-served:1 prune-deleted:1 prune-deleted:4; do
    C=$T/crash
    rm -rf "$C"
    cp -a "$B" "$C"
    rc=0
    STRATA_FAULT=$point "$STRATA" prune "$C" --keep-daily 3 --keep-monthly 2 --repack 0 >/dev/null 2>&1 || rc=$?
    [ $rc -eq 137 ] || fail "$point: prune was not killed (exit $rc): the fault point is not reached"
    "$STRATA" verify "$C" >"$T/v" 2>&1 || fail "$point: verify after the crash: $(cat "$T/v")"
    for g in "$C"/generations/*.gen; do
        n=$(basename "$g" .gen)
        k=0
        for i in 1 2 3 4 5 6 7 8 9; do [ "${G[$i]}" = "$n" ] && k=$i; done
        [ $k -gt 0 ] || fail "$point: unknown generation $n"
        rm -f "$T/rc.db"
        "$STRATA" restore "$C" "$n" --to "$T/rc.db" >/dev/null || fail "$point: restore $n"
        same_db "$T/g$k.db" "$T/rc.db" "$point: generation $k"
    done
    "$STRATA" prune "$C" --keep-daily 3 --keep-monthly 2 --repack 0 >"$T/o" || fail "$point: the next prune: $(cat "$T/o")"
    [ "$(ls "$C/generations" | sort | tr '\n' ' ')" = "$(for g in 4 6 7 9; do echo "${G[$g]}.gen"; done | tr '\n' ' ')" ] ||
        fail "$point: generations left: $(ls "$C/generations")"
    exactly_needed "$C" >/dev/null || fail "$point: after the next prune the packs do not hold exactly the needed chunks"
    note "$point: ok"
done
# second copies and damage: a prune killed after its first new pack leaves
# every chunk of that pack twice. Damage every chunk of the new pack, unknown
# to verify: the next prune keeps the new pack (fullest) but checks it before
# deleting the other copies, finds the damage and deletes none of them
# (exit 3). Then verify records the damaged copies; the prune after that
# rewrites the old packs, whose new pack has the damaged one's name (the same
# chunks in the same order): it replaces it, and must not then delete it.
restore_all() {   # REPO WHAT
    local g n k i
    for g in "$1"/generations/*.gen; do
        n=$(basename "$g" .gen); k=0
        for i in 1 2 3 4 5 6 7 8 9; do [ "${G[$i]}" = "$n" ] && k=$i; done
        [ $k -gt 0 ] || continue
        rm -f "$T/rc.db"
        "$STRATA" restore "$1" "$n" --to "$T/rc.db" >/dev/null || fail "$2: restore $n"
        same_db "$T/g$k.db" "$T/rc.db" "$2: generation $k"
    done
}
damage_pack() {   # PACK: flip a byte in the middle of every chunk body
    "$PY" - "$1" <<'PYEOF'
import struct, sys
p = sys.argv[1]
data = bytearray(open(p, "rb").read())
idx_off, count = struct.unpack_from("<QI", data, len(data) - 32)
for k in range(count):
    off, clen = struct.unpack_from("<QI", data, idx_off + 48 * k + 16)
    data[off + clen // 2] ^= 0x55
open(p, "wb").write(bytes(data))
PYEOF
}
C=$T/crash
rm -rf "$C"; cp -a "$B" "$C"
rc=0
STRATA_FAULT=prune-packed:1 "$STRATA" prune "$C" --keep-daily 3 --keep-monthly 2 --repack 0 >/dev/null 2>&1 || rc=$?
[ $rc -eq 137 ] || fail "prune was not killed at prune-packed:1 (exit $rc)"
Y=$(ls -t "$C"/packs/*/*.pack | head -n 1)
damage_pack "$Y"
rc=0
"$STRATA" prune "$C" --keep-daily 3 --keep-monthly 2 --repack 0 >"$T/o" 2>"$T/e" || rc=$?
[ $rc -eq 3 ] || fail "prune over an unknown damaged copy: exit $rc, want 3: $(cat "$T/o" "$T/e")"
yb=$(basename "$Y")
grep -q "^damaged: chunk .* in pack packs/${yb:0:2}/$yb: " "$T/o" || fail "prune did not name the damaged chunk: $(cat "$T/o")"
restore_all "$C" "after a prune met a damaged copy"
"$STRATA" verify "$C" >"$T/v" 2>&1 || fail "verify after a prune met a damaged copy: $(cat "$T/v")"
grep -q "healed" "$T/v" || fail "verify does not see the damaged copies: $(cat "$T/v")"
rc=0
"$STRATA" prune "$C" --keep-daily 3 --keep-monthly 2 --repack 0 >"$T/o" 2>"$T/e" || rc=$?
[ $rc -eq 0 ] || fail "prune of recorded damaged copies: exit $rc: $(cat "$T/o" "$T/e")"
restore_all "$C" "after a prune dropped recorded damaged copies"
"$STRATA" verify "$C" >"$T/v" 2>&1 || fail "verify after a prune dropped damaged copies: $(cat "$T/v")"
grep -q "healed" "$T/v" && fail "a damaged copy is left: $(cat "$T/v")"
grep -q "^damaged_copy" "$C/verify-status" && fail "verify-status still lists copies prune removed: $(cat "$C/verify-status")"
exactly_needed "$C" >/dev/null || fail "after the damaged copies went the packs do not hold exactly the needed chunks"

# a backup killed after writing its packs (no manifest): prune collects what
# it left; a backup and a prune started together (--wait) both finish, one
# after the other, and the new generation is whole
C=$T/crash
rm -rf "$C"; cp -a "$B" "$C"
oracle make-shop "$T/src.db" --day 10
rc=0
STRATA_FAULT=backup-packs-done "$STRATA" backup "$C" "$T/src.db" --at 2026-11-05T02:00:00Z >/dev/null 2>&1 || rc=$?
[ $rc -eq 137 ] || fail "backup was not killed at backup-packs-done (exit $rc)"
"$STRATA" prune "$C" --repack 0 >"$T/o" || fail "prune after a killed backup: $(cat "$T/o")"
exactly_needed "$C" >/dev/null || fail "prune left the killed backup's chunks"
"$STRATA" verify "$C" >/dev/null || fail "verify after prune of a killed backup's packs"
cp "$T/src.db" "$T/g10.db"
"$STRATA" backup "$C" "$T/src.db" --at 2026-11-05T02:00:00Z --wait >"$T/cb.out" 2>&1 &
bpid=$!
_PIDS+=($bpid)
"$STRATA" prune "$C" --keep-last 2 --repack 0 --wait >"$T/cp.out" 2>&1 || fail "prune next to a backup: $(cat "$T/cp.out")"
wait $bpid || fail "backup next to a prune: $(cat "$T/cb.out")"
"$STRATA" verify "$C" >/dev/null || fail "verify after a backup and a prune together"
G10=$(gen_name 2026-11-05T02:00:00Z)
[ -e "$C/generations/$G10.gen" ] || fail "the backup's generation is gone: $(cat "$T/cp.out")"
rm -f "$T/rc.db"
"$STRATA" restore "$C" "$G10" --to "$T/rc.db" >/dev/null || fail "restore of the concurrent backup"
same_db "$T/g10.db" "$T/rc.db" "the backup taken next to a prune"

# small packs are merged once there are 32 of them: 12 backups of small
# changes write 24 (chunks and index nodes), which prune leaves alone; 18
# more, and the next prune (no rule, no garbage) copies them into full-size
# packs: a few packs, exactly the needed chunks, every generation restores,
# and the prune after that changes nothing
S=$T/small
"$STRATA" init "$S" --chunk-size 4K >/dev/null
"$PY" - "$T/sm.db" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
c.executemany("INSERT INTO t VALUES(?, ?)", [(i, "row %d" % i) for i in range(1, 3001)])
c.commit()
PYEOF
npacks() { find "$S/packs" -name '*.pack' | wc -l; }
sm_at() { date -u -d "2026-12-01 + $1 hours" +%Y-%m-%dT%H:%M:%SZ; }
small_round() {   # FROM TO: one backup after a change each
    local i
    for i in $(seq "$1" "$2"); do
        sqlite3 "$T/sm.db" "UPDATE t SET v = 'changed $i' WHERE id = $((i * 97 % 3000 + 1))"
        cp "$T/sm.db" "$T/sm$i.db"
        "$STRATA" backup "$S" "$T/sm.db" --at "$(sm_at "$i")" >/dev/null || fail "small pack backup $i"
    done
}
small_round 1 12
n1=$(npacks)
"$STRATA" prune "$S" >"$T/sp.out" 2>&1 || fail "prune of a few small packs: $(cat "$T/sp.out")"
[ "$(npacks)" -eq "$n1" ] || fail "prune changed $n1 small packs, fewer than 32: $(cat "$T/sp.out")"
small_round 13 30
n2=$(npacks)
[ "$n2" -ge 32 ] || fail "test bug: only $n2 packs after 30 backups"
"$STRATA" prune "$S" >"$T/sp.out" 2>&1 || fail "prune of many small packs: $(cat "$T/sp.out")"
n3=$(npacks)
[ "$n3" -le 2 ] || fail "prune left $n3 of $n2 small packs: $(cat "$T/sp.out")"
note "small packs: $n2 merged into $n3"
exactly_needed "$S" >/dev/null || fail "after merging small packs the packs do not hold exactly the needed chunks"
"$STRATA" verify "$S" >"$T/v" 2>&1 || fail "verify after merging small packs: $(cat "$T/v")"
for i in 1 17 30; do
    rm -f "$T/rc.db"
    "$STRATA" restore "$S" "$(gen_name "$(sm_at "$i")")" --to "$T/rc.db" >/dev/null ||
        fail "restore of small-pack generation $i"
    same_db "$T/sm$i.db" "$T/rc.db" "generation $i after its packs were merged"
done
"$STRATA" prune "$S" >"$T/sp.out" 2>&1 || fail "prune after the merge: $(cat "$T/sp.out")"
[ "$(npacks)" -eq "$n3" ] || fail "a prune right after the merge rewrote packs again: $(cat "$T/sp.out")"
note "prune: ok"
