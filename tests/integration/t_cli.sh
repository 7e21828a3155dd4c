#!/bin/bash
# The command line's conventions: help for every command, versions, man
# pages that list what --help lists, exit statuses, --wait, and
# strata status as text, JSON and Prometheus metrics (parsed with
# prometheus_client's parser).
. "$(dirname "$0")/lib.sh"
require_bins
BUILD=$(cd "$(dirname "$STRATA")/.." && pwd)
MAN1=$BUILD/doc/strata.1 MAN8=$BUILD/doc/stratafs.8
[ -f "$MAN1" ] && [ -f "$MAN8" ] || fail "the build has no man pages ($MAN1, $MAN8)"

# the text of a roff line: fonts dropped, \- as -
unroff() { sed 's/\\f[BIR]//g; s/\\-/-/g'; }

# ---- help and versions ----
"$STRATA" --version | grep -qE '^strata [0-9]+\.[0-9]+\.[0-9]+ ' || fail "strata --version: $("$STRATA" --version)"
"$STRATAFS" --version | grep -qE '^stratafs [0-9]+\.[0-9]+\.[0-9]+ ' || fail "stratafs --version: $("$STRATAFS" --version 2>&1)"
[ "$("$STRATA" --version | cut -d' ' -f2)" = "$("$STRATAFS" --version | cut -d' ' -f2)" ] || fail "strata and stratafs report other versions"
"$STRATA" --help >"$T/help.txt" || fail "strata --help"
"$STRATA" help >"$T/help2.txt" || fail "strata help"
cmp -s "$T/help.txt" "$T/help2.txt" || fail "strata --help and strata help differ"
# the commands listed by 'strata help'
sed -n '/^commands:/,/^$/p' "$T/help.txt" | awk 'NF && !/^commands:/ { print $1 }' >"$T/cmds"
[ "$(wc -l <"$T/cmds")" -ge 7 ] || fail "strata help lists too few commands: $(cat "$T/cmds")"
# ... are exactly the man page's COMMANDS
sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$MAN1" | sed -n 's/^\.SS \\fBstrata \([a-z]*\)\\fR.*/\1/p' >"$T/mancmds"
diff "$T/cmds" "$T/mancmds" >&2 || fail "the commands of 'strata help' and of strata(1) differ"
while read -r c; do
    "$STRATA" "$c" --help >"$T/c.txt" 2>&1 || fail "strata $c --help exits non-zero"
    head -1 "$T/c.txt" | grep -q "^usage: strata $c" || fail "strata $c --help: $(head -2 "$T/c.txt")"
    "$STRATA" help "$c" | cmp -s - "$T/c.txt" || fail "strata help $c differs from strata $c --help"
    "$STRATA" "$c" -h | cmp -s - "$T/c.txt" || fail "strata $c -h differs from --help"
    # every option --help shows is in the man page, and the man page's
    # options for the command are those --help shows
    sed -n 's/^  \(-[a-z], \)\{0,1\}\(--[a-z-]*\).*/\2/p' "$T/c.txt" | { grep -v -- '--help' || true; } | sort >"$T/opts"
    awk -v c="$c" '/^\.SS /{ on = ($0 ~ "strata " c "\\\\fR") } /^\.SH /{ on = 0 } on' "$MAN1" |
        { grep -A1 '^\.TP' || true; } | { grep -v '^\.TP\|^--$' || true; } | unroff | { grep -o -- '--[a-z-]*' || true; } | sort >"$T/manopts"
    diff "$T/opts" "$T/manopts" >&2 || fail "the options of 'strata $c --help' and of strata(1) differ"
done <"$T/cmds"
# stratafs: --help's options are the man page's
"$STRATAFS" --help >"$T/fs.txt" || fail "stratafs --help"
sed -n 's/^  \(-[a-zA-Z], \)\{0,1\}\(--*[a-z]*\( [a-z_A-Z]*\)\{0,1\}\).*/\2/p' "$T/fs.txt" | grep -v -- '--help' |
    sed 's/=.*//; s/ *$//' | sort >"$T/fsopts"
grep -A1 '^\.TP' "$MAN8" | grep -v '^\.TP\|^--$' | unroff | sed 's/^-[a-zA-Z], //; s/=.*//' | sort >"$T/fsman"
diff "$T/fsopts" "$T/fsman" >&2 || fail "the options of 'stratafs --help' and of stratafs(8) differ"
# the pages render without a warning
for m in "$MAN1" "$MAN8"; do
    groff -man -Tutf8 -ww "$m" 2>"$T/groff.err" >"$T/man.txt" || fail "groff cannot render $m"
    [ ! -s "$T/groff.err" ] || fail "groff warns about $m: $(head -5 "$T/groff.err")"
    grep -q "^\.SH EXIT STATUS" "$m" || fail "$m has no EXIT STATUS"
done
# every -o option stratafs documents is one the README documents too
for o in $(sed -n 's/^  -o \([a-z_]*\).*/\1/p' "$T/fs.txt"); do
    grep -q -- "-o $o" "$ROOT/README.md" || fail "the README does not mention stratafs -o $o"
done

# ---- usage errors: exit 2, one line ----
R=$T/repo DB=$T/s.db
"$STRATA" init "$R" >/dev/null
oracle make-shop "$DB" --day 1 --orders 500
usage() { # usage DESC CMD...: exit 2 and one line on stderr
    local desc=$1 rc=0; shift
    "$@" >"$T/u.out" 2>"$T/u.err" || rc=$?
    [ $rc -eq 2 ] || fail "$desc: exit $rc, want 2: $(cat "$T/u.out" "$T/u.err")"
    [ "$(wc -l <"$T/u.err")" -eq 1 ] || fail "$desc: want one line on stderr: $(cat "$T/u.err")"
}
rc=0; "$STRATA" >/dev/null 2>"$T/u.err" || rc=$?
[ $rc -eq 2 ] && grep -q "^commands:" "$T/u.err" || fail "strata without a command: exit $rc, want 2 and the overview on stderr"
usage "unknown command" "$STRATA" frobnicate
usage "unknown option" "$STRATA" backup "$R" "$DB" --frobnicate
usage "missing value" "$STRATA" backup "$R" "$DB" --label
usage "value to a flag" "$STRATA" backup "$R" "$DB" --force=yes
usage "option twice" "$STRATA" backup "$R" "$DB" --label a --label b
usage "bad --wait" "$STRATA" backup "$R" "$DB" --wait=soon
usage "bad --max-age" "$STRATA" status "$R" --max-age 3x
usage "bad --compression" "$STRATA" init "$T/r2" --compression 20
usage "json and prometheus" "$STRATA" status "$R" --json --prometheus
usage "missing repository" "$STRATA" ls
usage "help of nothing" "$STRATA" help frobnicate
rc=0; "$STRATAFS" >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "stratafs without arguments: exit $rc, want 2"

# ---- --wait: waits for the holder, says whom; gives up after DURATION with 5 ----
# generation times relative to the clock, so that ages hold whatever the date
AT1=$(date -u -d '2 days ago' +%Y-%m-%dT%H:%M:%SZ) AT2=$(date -u -d '2 hours ago' +%Y-%m-%dT%H:%M:%SZ)
G2=$(gen_name "$AT2") T2=$(date -u -d "$AT2" +%s)
"$STRATA" backup "$R" "$DB" --at "$AT1" >/dev/null || fail "first backup"
mkdir -p "$T/m"
_MOUNTS+=("$T/m")
for bad in "-o no_such_option" "--frobnicate"; do
    rc=0; "$STRATAFS" "$R" "$T/m" $bad >/dev/null 2>"$T/fs.err" || rc=$?
    not_mounted "$T/m" || fail "stratafs mounted with $bad"
    [ $rc -eq 2 ] || fail "stratafs $bad: exit $rc, want 2 (usage): $(cat "$T/fs.err")"
done
cat >"$T/hold.py" <<'PYEOF'
import fcntl, os, sys, time
fd = os.open(sys.argv[1] + "/lock", os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, b"test holder (pid %d)\n" % os.getpid())
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
PYEOF
bg "$PY" "$T/hold.py" "$R" "$T/held" "$T/release"
wait_until 20 test -e "$T/held" || fail "the lock holder did not start"
rc=0
"$STRATA" backup "$R" "$DB" --at "$AT2" >"$T/w0.out" 2>"$T/w0.err" || rc=$?
[ $rc -eq 5 ] || fail "backup while the lock is held: exit $rc, want 5 (busy): $(cat "$T/w0.err")"
grep -q "is busy: test holder (pid [0-9]*) holds its lock.*--wait" "$T/w0.err" || fail "busy message: $(cat "$T/w0.err")"
rc=0
"$STRATA" index "$R" --wait=1 >"$T/w1.out" 2>"$T/w1.err" || rc=$?
[ $rc -eq 5 ] || fail "index --wait=1 while the lock is held: exit $rc, want 5: $(cat "$T/w1.err")"
grep -q "waiting for the lock of repository .*held by test holder" "$T/w1.err" || fail "--wait did not say whom it waits for: $(cat "$T/w1.err")"
"$STRATA" backup "$R" "$DB" --at "$AT2" --force --wait >"$T/w2.out" 2>"$T/w2.err" &
WPID=$!
_PIDS+=("$WPID")
said() { grep -q "waiting for the lock" "$T/w2.err"; }
wait_until 30 said || fail "backup --wait did not say it waits: $(cat "$T/w2.err")"
kill -0 "$WPID" 2>/dev/null || fail "backup --wait ended while the lock was still held"
touch "$T/release"
rc=0; wait "$WPID" || rc=$?
[ $rc -eq 0 ] || fail "backup --wait after the holder let go: exit $rc: $(cat "$T/w2.out" "$T/w2.err")"
grep -q "^generation $G2" "$T/w2.out" || fail "backup --wait: $(cat "$T/w2.out")"
grep -q "ls (catalog update)\|backup of" "$R/lock" || fail "REPO/lock does not name its last holder: $(cat "$R/lock")"

# ---- status: text, JSON, Prometheus; exit 4 when too old ----
"$STRATA" verify "$R" --quick >/dev/null || fail "verify --quick"
"$STRATA" status "$R" >"$T/st.txt" || fail "status of a healthy repository: exit $?: $(cat "$T/st.txt")"
grep -q "^$G2 .* $(realpath "$DB")$" "$T/st.txt" || fail "status does not show the newest generation: $(cat "$T/st.txt")"
grep -q "^last quick verify: .*no damage" "$T/st.txt" || fail "status does not show the quick verify: $(cat "$T/st.txt")"
grep -q "^last full verify: never" "$T/st.txt" || fail "status does not say the full verify never ran: $(cat "$T/st.txt")"
rc=0; "$STRATA" status "$R" --max-age 1h >/dev/null 2>"$T/st.err" || rc=$?
[ $rc -eq 4 ] || fail "status --max-age 1h of a generation 2 hours old: exit $rc, want 4"
grep -q "is .* old, more than --max-age" "$T/st.err" || fail "status --max-age says: $(cat "$T/st.err")"
"$STRATA" status "$R" --max-age 1d >/dev/null || fail "status --max-age 1d of a generation 2 hours old: exit $?"
"$STRATA" init "$T/empty" >/dev/null
# a new repository mounts at once (init made its catalog), empty
mount_fs "$T/empty" "$T/em"
[ -z "$(ls -A "$T/em")" ] || fail "the mount of a new repository is not empty: $(ls -A "$T/em")"
umount_fs "$T/em"
rc=0; "$STRATA" status "$T/empty" --max-age 1d >/dev/null 2>&1 || rc=$?
[ $rc -eq 4 ] || fail "status --max-age of an empty repository: exit $rc, want 4"
"$STRATA" verify "$R" >/dev/null || fail "verify"
"$STRATA" status "$R" --json >"$T/st.json" || fail "status --json"
rc=0; "$STRATA" status "$R" --prometheus --output "$T/metrics/strata.prom" 2>"$T/o.err" || rc=$?
[ $rc -eq 1 ] && grep -q "cannot write '$T/metrics/strata.prom'" "$T/o.err" || fail "status --output into a missing directory: exit $rc: $(cat "$T/o.err")"
mkdir -p "$T/metrics"
rc=0; "$STRATA" status "$R" --prometheus --output "$T/metrics/strata.prom" --max-age 1h 2>/dev/null || rc=$?
[ $rc -eq 4 ] && [ -s "$T/metrics/strata.prom" ] || fail "status --output: exit $rc, file: $(ls -la "$T/metrics")"
[ "$(ls "$T/metrics")" = strata.prom ] || fail "status --output left files behind: $(ls "$T/metrics")"
"$PY" - "$T/st.json" "$T/metrics/strata.prom" "$(realpath "$R")" "$(realpath "$DB")" "$DB" "$T2" "$G2" <<'PYEOF' || fail "status JSON or metrics wrong"
import json, sqlite3, sys
from prometheus_client.parser import text_string_to_metric_families
jpath, ppath, repo, src, db = sys.argv[1:6]
con = sqlite3.connect(db)
tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
rows = sum(con.execute('SELECT count(*) FROM "%s"' % t).fetchone()[0] for t in tables)
T = int(sys.argv[6])  # the newest generation's time
j = json.load(open(jpath))
assert j["repository"] == repo, j["repository"]
assert j["healthy"] is True and j["generations"] == 2 and j["packs"] >= 1, j
d = j["databases"]
assert len(d) == 1 and d[0]["source"] == src and d[0]["generations"] == 2, d
l = d[0]["latest"]
assert l["name"] == sys.argv[7] and l["unix_time"] == T, l
assert l["rows"] == rows and l["tables"] == len(tables), (l, rows, len(tables))
assert j["verify"]["full"]["problems"] == 0 and j["verify"]["quick"]["problems"] == 0, j["verify"]
fams = {f.name: f for f in text_string_to_metric_families(open(ppath).read())}
def one(name, **labels):
    f = fams[name]
    s = [x for x in f.samples if all(x.labels.get(k) == v for k, v in labels.items())]
    assert len(s) == 1, (name, labels, f.samples)
    assert s[0].labels["repository"] == repo, s[0].labels
    return s[0].value
assert one("strata_last_backup_timestamp_seconds", database=src) == T
assert one("strata_last_backup_rows", database=src) == rows
assert one("strata_last_backup_tables", database=src) == len(tables)
assert one("strata_generations", database=src) == 2
assert one("strata_last_backup_age_seconds", database=src) > 0
assert one("strata_repository_generations") == 2
assert one("strata_repository_packs") == j["packs"]
assert one("strata_repository_stored_bytes") == j["stored_bytes"]
assert one("strata_verify_last_problems", mode="full") == 0
assert one("strata_verify_last_problems", mode="quick") == 0
assert one("strata_verify_last_timestamp_seconds", mode="full") >= one("strata_verify_last_timestamp_seconds", mode="quick")
assert one("strata_verify_damaged_chunks") == 0
for f in fams.values():
    assert f.type == "gauge", (f.name, f.type)
print("status: JSON and %d metric families check out" % len(fams))
PYEOF
# a repository path that needs escaping in a label still parses
Q=$T/'we"ird\dir'
cp -a "$R" "$Q"
"$STRATA" status "$Q" --prometheus >"$T/q.prom" 2>/dev/null || fail "status of a repository with a quote in its path"
"$PY" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families as f
fams = list(f(open(sys.argv[1]).read()))
assert fams and all(s.labels["repository"] == sys.argv[2] for x in fams for s in x.samples)' "$T/q.prom" "$(realpath "$Q")" ||
    fail "metrics with an escaped repository label do not parse back to the path"
# a source path with a newline and a byte that is not UTF-8: the metrics stay
# valid (the byte becomes U+FFFD), the text output stays one line per database
ODD=$T/$'odd\ndir\xff'
mkdir -p "$ODD"
cp "$DB" "$ODD/s.db"
"$STRATA" init "$T/oddrepo" >/dev/null
"$STRATA" backup "$T/oddrepo" "$ODD/s.db" >/dev/null || fail "backup of a source under an odd path"
"$STRATA" status "$T/oddrepo" --prometheus >"$T/odd.prom" || fail "status --prometheus of an odd source path"
"$PY" -c '
import os, sys
from prometheus_client.parser import text_string_to_metric_families as f
want = os.fsdecode(os.path.realpath(sys.argv[2])).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
fams = {x.name: x for x in f(open(sys.argv[1], encoding="utf-8").read())}
got = fams["strata_last_backup_rows"].samples[0].labels["database"]
assert got == want, (got, want)' "$T/odd.prom" "$ODD/s.db" || fail "metrics of an odd source path do not parse to it: $(grep rows "$T/odd.prom")"
"$STRATA" status "$T/oddrepo" >"$T/odd.txt" || fail "status of an odd source path"
[ "$(wc -l <"$T/odd.txt")" -eq 5 ] || fail "status text of an odd source path is not 5 lines: $(cat -A "$T/odd.txt")"
grep -qF 'odd\ndir\xff/s.db' "$T/odd.txt" || fail "status does not escape the odd path: $(cat -A "$T/odd.txt")"
echo ok
