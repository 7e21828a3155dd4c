#!/bin/bash
# catalog.db deleted, overwritten with garbage, or truncated under a running
# mount: the mount stays up, never returns wrong bytes (EIO allowed, with a
# log line), and after `strata index --rebuild` it serves correctly again
# without a remount, new generations included.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/s.db
LOG=$T/stratafs.mnt.log
oracle make-shop "$DB" --day 1 --orders 3000
cp "$DB" "$T/d1.db"
"$STRATA" init "$R" --chunk-size 8192 >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z >/dev/null || fail "backup 1"
oracle make-shop "$DB" --day 2
cp "$DB" "$T/d2.db"
"$STRATA" backup "$R" "$DB" --at 2026-11-21T02:00:00Z >/dev/null || fail "backup 2"
G1=2026-11-20T020000Z G2=2026-11-21T020000Z

STRATA_MOUNT_FG=1 mount_fs "$R" "$M" # foreground: its log is $LOG
PID=${_PIDS[-1]}

alive() {
    kill -0 "$PID" 2>/dev/null || { cat "$LOG" >&2; fail "stratafs died ($1)"; }
    is_mounted "$M" || fail "mount gone ($1)"
}
# poke: an operation that uses the catalog (the root is never cached)
poke() { ls "$M" >/dev/null 2>&1 || true; }
logged() { poke; grep -q -- "$1" "$LOG"; }
nswitch() { grep -c 'was replaced; serving from the new one' "$LOG" || true; }
# rebuild WHAT: strata index --rebuild, then wait until the mount serves from
# the rebuilt catalog (a new file), or for 3 s if it was rebuilt in place
rebuild() {
    local before
    before=$(nswitch)
    "$STRATA" index "$R" --rebuild >/dev/null 2>"$T/idx.err" || fail "index --rebuild $1: $(cat "$T/idx.err")"
    switched() { poke; [ "$(nswitch)" -gt "$before" ]; }
    wait_until 10 switched || note "$1: no switch (rebuilt in place?): $(cat "$T/idx.err")"
}

# check_gen DB GEN: every file of GEN holds the oracle's bytes, or fails
# with EIO; prints "EIO n OK n"; exits 1 on wrong bytes or another errno
check_gen() {
    timeout 300 "$PY" - "$1" "$M/$2" "$ORACLE" <<'PYEOF'
import errno, os, sys, importlib.util
db, g, orc = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("oracle", orc); o = importlib.util.module_from_spec(spec); spec.loader.exec_module(o)
con = o.connect(db)
n = {"EIO": 0, "OK": 0}
bad = []
def attempt(what, fn):
    try:
        return fn()
    except OSError as e:
        if e.errno == errno.EIO:
            n["EIO"] += 1
        else:
            bad.append("%s: errno %s" % (what, errno.errorcode.get(e.errno)))
        return None
def check(path, want):
    got = attempt(path, lambda: open(path, "rb").read())
    if got is None:
        return
    if got != want:
        bad.append("%s: WRONG BYTES (%d, want %d)" % (path, len(got), len(want)))
    else:
        n["OK"] += 1
for t in o.table_names(con):
    hdr = o.header_line(con, t)
    body = b"".join(l for _, l in o.row_keys_and_lines(con, t))
    d = os.path.join(g, t) # the shop's table names need no escaping
    check(os.path.join(d, t + ".csv"), hdr + body)
    names = attempt(d + "/rows", lambda: sorted(f for f in os.listdir(os.path.join(d, "rows")) if f.endswith(".csv")))
    pos = 0
    for rf in names or []:
        p = os.path.join(d, "rows", rf)
        st = attempt(p, lambda: os.stat(p))
        if st is None:
            break # offsets of the next files are unknown
        k = st.st_size - len(hdr)
        check(p, hdr + body[pos:pos + k])
        pos += k
print("EIO %d OK %d" % (n["EIO"], n["OK"]))
for b in bad:
    print("ERR:", b)
sys.exit(1 if bad else 0)
PYEOF
}

# the full comparison, after a repair
compare_all() {
    oracle compare-mount "$T/d1.db" "$M/$G1" >/dev/null || fail "$1: generation 1 differs"
    oracle compare-mount "$T/d2.db" "$M/$G2" >/dev/null || fail "$1: generation 2 differs"
}

# a new generation after a repair appears and reads correctly: lookups go
# through the catalog the mount serves from now
n_new=0
new_generation() {
    n_new=$((n_new + 1))
    local at="2026-12-0${n_new}T02:00:00Z" g src=$T/n$n_new.db
    g=$(gen_name "$at")
    oracle make-shop "$DB" --day $((2 + n_new))
    cp "$DB" "$src"
    "$STRATA" backup "$R" "$src" --at "$at" >/dev/null || fail "$1: backup"
    has() { [ -d "$M/$g" ]; }
    wait_until 10 has || fail "$1: new generation $g not visible within 10 s"
    oracle compare-mount "$src" "$M/$g" >/dev/null || fail "$1: new generation $g differs"
    # latest follows within ~100 ms of the directory (the kernel caches its target)
    is_latest() { [ "$(readlink "$M/latest")" = "$g" ]; }
    wait_until 3 is_latest || fail "$1: latest -> $(readlink "$M/latest"), want $g"
}

# reads before anything happens (generation 2 is left for later lookups)
oracle compare-mount "$T/d1.db" "$M/$G1" >/dev/null || fail "generation 1 differs at start"
exec 7<"$M/$G1/orders/orders.csv"
head -c 1000 <&7 >/dev/null

# ---- (1) rm catalog.db ----
rm "$R/catalog.db"
wait_until 5 logged "was removed" || { cat "$LOG" >&2; fail "no log line after catalog.db was removed"; }
note "removed: $(grep 'was removed' "$LOG" | tail -1)"
out=$(check_gen "$T/d2.db" "$G2") || { echo "$out" >&2; fail "reads after rm catalog.db"; }
note "after rm, generation 2 (new lookups): $out"
cat <&7 >/dev/null || fail "file held open across rm catalog.db"
exec 7<&-
alive "after rm catalog.db"
before=$(nswitch)
"$STRATA" index "$R" --rebuild >/dev/null 2>&1 || fail "index --rebuild after rm"
switched() { poke; [ "$(nswitch)" -gt "$before" ]; }
wait_until 10 switched || { cat "$LOG" >&2; fail "mount did not switch to the rebuilt catalog"; }
compare_all "after rm + rebuild"
new_generation "after rm + rebuild"
alive "after rm + rebuild"
[ "$(sqlite3 "$R/catalog.db" 'PRAGMA integrity_check')" = ok ] || fail "rebuilt catalog is damaged"

# ---- (2) garbage over the middle of catalog.db and its WAL, in place ----
# (with a mount open, the WAL holds the newest copy of many pages: garbage in
# catalog.db alone may well be masked by it, which is fine but tests nothing)
# The garbage is one fixed byte, 0xA5: no b-tree page starts with it, so
# every page it covers is invalid for SQLite, wherever the catalog's tables
# happen to lie; random bytes could now and then form a page that parses.
garbage() { # garbage FILE OFFSET COUNT (bytes)
    head -c "$3" /dev/zero | tr '\0' '\245' | dd of="$1" bs=4096 seek="$2" oflag=seek_bytes conv=notrunc status=none
}
sz=$(stat -c %s "$R/catalog.db")
pages=$((sz / 4096))
[ "$pages" -ge 8 ] || fail "catalog too small for the test ($sz bytes)"
garbage "$R/catalog.db" 4096 $((pages * 3 / 4 * 4096))
if [ -f "$R/catalog.db-wal" ] && [ "$(stat -c %s "$R/catalog.db-wal")" -gt 4096 ]; then
    wsz=$(stat -c %s "$R/catalog.db-wal")
    garbage "$R/catalog.db-wal" 32 $((wsz - 64))
fi
# every answer the mount gives up on because of the catalog logs a line that
# ends in the repair ('strata index --rebuild'), whichever query hit the damage
nlogged() { grep -c "strata index --rebuild" "$LOG" || true; }
before=$(nlogged)
sleep 1.2 # the mount looks at catalog.db at most once a second
poke
out=$(check_gen "$T/d2.db" "$G2") || { echo "$out" >&2; fail "reads with a garbage catalog"; }
note "garbage: generation 2: $out"
out=$(check_gen "$T/d1.db" "$G1") || { echo "$out" >&2; fail "reads with a garbage catalog"; }
note "garbage: generation 1: $out"
case "$out" in "EIO 0 "*) fail "no read failed with a garbage catalog: the damage was not seen" ;; esac
[ "$(nlogged)" -gt "$before" ] || { cat "$LOG" >&2; fail "no new log line with a garbage catalog"; }
note "logged: $(grep 'strata index --rebuild' "$LOG" | tail -1)"
alive "garbage catalog"
rebuild "over garbage"
compare_all "after garbage + rebuild"
new_generation "after garbage + rebuild"
alive "after garbage + rebuild"

# ---- (3) catalog.db truncated, in place ----
truncate -s $(( $(stat -c %s "$R/catalog.db") / 3 )) "$R/catalog.db"
sleep 1.2
poke
out=$(check_gen "$T/d2.db" "$G2") || { echo "$out" >&2; fail "reads with a truncated catalog"; }
note "truncated: generation 2: $out"
alive "truncated catalog"
rebuild "over a truncated catalog"
compare_all "after truncate + rebuild"
new_generation "after truncate + rebuild"

# ---- (4) truncated to 0 bytes ----
: >"$R/catalog.db"
sleep 1.2
out=$(check_gen "$T/d1.db" "$G1") || { echo "$out" >&2; fail "reads with an empty catalog"; }
note "emptied: generation 1: $out"
rebuild "over an empty catalog"
compare_all "after emptying + rebuild"
new_generation "after emptying + rebuild"
alive "end"
grep -iE 'sanitizer|runtime error' "$LOG" && fail "sanitizer report in the log"
umount_fs "$M"
echo ok
