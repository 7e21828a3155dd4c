#!/bin/bash
# S3 faults: strata talks to a real Ceph RGW (tests/integration/rgw.sh) through
# tests/integration/s3fault.py, a proxy on loopback that fails requests by
# rule; the product has no fault code of its own.  Each request kind (PUT of
# a pack, of a manifest, GET of config, HEAD, ranged GET, list) fails:
#  1. once, by a 503, a dropped connection, an answer cut mid-body, an answer
#     lost after the store applied the request, a header block cut short:
#     backup (and, for the read kinds, cat) still succeeds, and what the
#     bucket holds restores to the source, one generation per backup;
#  2. on every attempt (STRATA_S3_RETRIES=3): backup fails, exit 1, one line,
#     after exactly 3 attempts; no new generation in the bucket nor in a
#     fresh cache's ls, no lock left behind; a failure after the manifest
#     says the generation is stored (and it is right); a later backup
#     without faults succeeds and verifies;
#  3. slowly: a delay below STRATA_S3_TIMEOUT (3 s) is waited for, not
#     retried; a stall (STRATA_S3_TIMEOUT=2) is abandoned and retried, and
#     the command succeeds; a stall on every attempt fails cleanly in
#     bounded time;
#  4. under a mount: ranged GETs failing on every attempt make a read EIO
#     (never other bytes), with a line in the mount's log, and the mount
#     stays up and reads the file right once the fault is gone; failing once
#     (a 503, a drop, a cut; the disk cache emptied first), the read is
#     right.
# Checks against the bucket run straight at RGW, with a fresh cache.  The
# checks of each case go on after a failure (all are reported, then the test
# fails); the proxy's log proves each fault happened, so no case passes
# without its fault.  Everything started (RGW, proxy, mount) stops at exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rgw.sh"
require_bins
rgw_start
B=strata-faults
rgw_mkbucket $B

export XDG_CACHE_HOME=$T/cache STRATA_S3_RETRIES=3 STRATA_S3_TIMEOUT=3
PLOG=$T/proxy.log RULES=$T/rules
: >"$RULES"
bg "$PY" "$ROOT/tests/integration/s3fault.py" --upstream "$RGW_ENDPOINT" --rules "$RULES" \
    --log "$PLOG" --port-file "$T/proxy.port" >"$T/proxy.out" 2>&1
wait_until 15 test -s "$T/proxy.port" || fail "s3fault.py did not start: $(cat "$T/proxy.out")"
PROXY=http://127.0.0.1:$(cat "$T/proxy.port")
export AWS_ENDPOINT_URL=$PROXY # strata goes through the proxy; checks go to $RGW_ENDPOINT
note "proxy $PROXY -> $RGW_ENDPOINT"

DB=$T/shop.db
oracle make-shop "$DB" --day 1 --orders 2000
cp "$DB" "$T/day1.db"
oracle table-csv "$DB" orders >"$T/orders.csv"
# at DAY: the backup time of day DAY
at() { printf '2026-11-%02dT02:00:00Z' $((19 + $1)); }

# bad MESSAGE: a failed check; the test goes on, then lists them all and fails
bad() {
    echo "FAIL: $*" >&2
    echo "$*" | head -n1 | cut -c1-240 >>"$T/bad.list"
    _SOFT_FAILS=$((_SOFT_FAILS + 1))
}
summary() {
    [ -s "$T/bad.list" ] || return 0
    echo "FAILED CHECKS ($(wc -l <"$T/bad.list")):" >&2
    sed 's/^/  /' "$T/bad.list" >&2
}
at_exit summary
t_phase=$(date +%s)
phase() { note "phase $1 took $(($(date +%s) - t_phase)) s"; t_phase=$(date +%s); }

# rules LINE...: the proxy's rules from the next request on (a new file:
# counters start again); no argument: pass everything
declare -A RULES_OK
rules() {
    printf '%s\n' "$@" >"$RULES.new"
    if [ -z "${RULES_OK["x$*"]:-}" ]; then
        "$PY" "$ROOT/tests/integration/s3fault.py" --rules "$RULES.new" --check || fail "test bug: bad rules: $*"
        RULES_OK["x$*"]=1
    fi
    mv -f "$RULES.new" "$RULES"
}

# mark: the proxy log's length now; since MARK: its request lines after that
mark() { wc -l <"$PLOG"; }
since() { tail -n +$(($1 + 1)) "$PLOG" | awk '$2 != "done"'; }
# faults MARK: how many requests a rule acted on since MARK
faults() { since "$1" | awk '$6 != "pass"' | wc -l; }
# most_faults MARK: the most faults any one key had since MARK
most_faults() { since "$1" | awk '$6 != "pass" { n[$3]++ } END { m = 0; for (k in n) if (n[k] > m) m = n[k]; print m }'; }

# direct CMD...: run CMD against RGW itself, with the cache of the last fresh_cache
# (one that never saw the repository before)
nd=0
fresh_cache() { nd=$((nd + 1)); }
direct() {
    AWS_ENDPOINT_URL=$RGW_ENDPOINT XDG_CACHE_HOME=$T/direct.$nd "$@"
}

# gens_in_bucket PREFIX: the generation keys the bucket holds below PREFIX/
gens_in_bucket() {
    rgw_curl "$RGW_ENDPOINT/$B?list-type=2&prefix=$1%2Fgenerations%2F" >"$T/list.xml" || fail "listing the bucket"
    grep -o '<Key>[^<]*</Key>' "$T/list.xml" | sed 's/<[^>]*>//g' | sort || true
}
locks_in_bucket() {
    rgw_curl "$RGW_ENDPOINT/$B?list-type=2&prefix=$1%2Flocks%2F" >"$T/list.xml" || fail "listing the bucket"
    grep -o '<Key>[^<]*</Key>' "$T/list.xml" | sed 's/<[^>]*>//g' || true
}

# restores_right REPO GEN DESC: GEN of REPO, restored straight from RGW, is the source
restores_right() {
    rm -f "$T/restored.db"
    if ! direct "$STRATA" restore "$1" "$2" --to "$T/restored.db" >"$T/restore.out" 2>&1; then
        bad "$3: restore of $2: $(head -c 400 "$T/restore.out")"
        return 1
    fi
    (same_db "$DB" "$T/restored.db" "$3: restore of $2") 2>"$T/same.err" || { bad "$(sed 's/^FAIL: //' "$T/same.err")"; return 1; }
}

# run_timed SECONDS OUT CMD...: CMD with stdout/stderr to OUT.out/OUT.err, killed after
# SECONDS; sets rc and ms.  In the foreground, not `CMD & wait`: run.sh's
# timeout sends a TERM to the test and another to its process group, and a
# `wait` interrupted by the first lets the second land in lib.sh's EXIT trap
# and cut the cleanup short; a foreground command takes both at once.  The
# limits stay well below run.sh's 30 s from TERM to KILL.
run_timed() {
    local lim=$1 out=$2 t0
    shift 2
    t0=$(date +%s%N)
    rc=0
    timeout -k 5 "$lim" "$@" >"$out.out" 2>"$out.err" </dev/null || rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
}

# under RULES SECONDS OUT CMD...: run_timed CMD with the proxy's RULES (one per
# line) in force, then everything passes again; m = the proxy log's mark before
under() {
    local -a rs
    mapfile -t rs <<<"$1"
    shift
    rules "${rs[@]}"
    m=$(mark)
    run_timed "$@"
    rules
}

# same_or_prefix GOT WANT: after a command that exited $rc, GOT is WANT (rc 0),
# or a part of it from the start (a failure: never other bytes)
same_or_prefix() {
    if [ "$rc" = 0 ]; then cmp -s "$1" "$2"; else cmp -s -n "$(stat -c %s "$1")" "$1" "$2"; fi
}

# one_line OUT DESC: OUT.err is one line starting "strata: " (README: exit 1, one line on stderr)
one_line() {
    local n
    n=$(wc -l <"$1.err")
    [ "$n" = 1 ] && grep -q '^strata: ' "$1.err" ||
        bad "$2: want one stderr line 'strata: ...', got $n: $(head -c 600 "$1.err" | tr '\n' '|')"
}

##### 1. once: every kind of request failing once, each way
PACK_PUT='PUT /packs/[0-9a-f]{2}/[0-9a-f]{32}\.pack$'
GEN_PUT='PUT /generations/[^/]+\.gen$'
CONFIG_GET='GET /config$'
PACK_HEAD='HEAD /packs/'
RANGED_GET='GET /packs/ range=yes'
LIST='GET ^$ query=list-type=2'
n=0
once() { # KIND-NAME RULE ACTION
    local name=$1 rule=$2 act=$3 m
    n=$((n + 1))
    local R=s3://$B/once$n desc="once$n: $name $act"
    "$STRATA" init "$R" >/dev/null || fail "$desc: init"
    under "$rule times=1 $act" 25 "$T/once" "$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z
    [ "$(faults "$m")" = 1 ] || bad "$desc: the fault was applied $(faults "$m") times in the backup, want 1 (test bug?)"
    local gens
    gens=$(gens_in_bucket "once$n" | tr '\n' ' ')
    if [ $rc != 0 ]; then
        bad "$desc: backup exit $rc: $(head -c 600 "$T/once.err" | tr '\n' '|')"
        # failed: then nothing visible, or a message that says what is
        [ -z "$gens" ] || grep -q "is stored" "$T/once.err" ||
            bad "$desc: the backup failed, yet the bucket holds generations $gens"
    else
        [ "$gens" = "once$n/generations/2026-11-20T020000Z.gen " ] || bad "$desc: the bucket holds generations '$gens', want the one backup's"
        fresh_cache
        if direct "$STRATA" ls "$R" >"$T/ls.out" 2>&1; then
            [ "$(grep -c '^2026-' "$T/ls.out")" = 1 ] && [ "$(wc -l <"$T/ls.out")" = 2 ] ||
                bad "$desc: a fresh cache lists: $(tr '\n' '|' <"$T/ls.out")"
        else
            bad "$desc: ls from a fresh cache: $(tr '\n' '|' <"$T/ls.out")"
        fi
        restores_right "$R" latest "$desc" || true
    fi
    [ -n "$gens" ] || return 0 # nothing to read below
    # the read kinds fail once under strata cat too
    case $name in
    config-GET | HEAD | ranged-GET | list)
        under "$rule times=1 $act" 25 "$T/cat" "$STRATA" cat "$R" latest/orders/orders.csv
        [ "$(faults "$m")" = 1 ] || bad "$desc: the fault was applied $(faults "$m") times in cat, want 1 (test bug?)"
        [ $rc = 0 ] || bad "$desc: cat exit $rc: $(head -c 600 "$T/cat.err" | tr '\n' '|')"
        same_or_prefix "$T/cat.out" "$T/orders.csv" || bad "$desc: strata cat printed other bytes than the source's orders"
        ;;
    esac
}
for act in status=503 drop cut; do
    once pack-PUT "$PACK_PUT" $act
    once manifest-PUT "$GEN_PUT" $act
    once config-GET "$CONFIG_GET" $act
    once HEAD "$PACK_HEAD" $act
    once ranged-GET "$RANGED_GET" $act
    once list "$LIST" $act
done
# the store applied the request, the answer never came: the retry must not
# make a second generation, nor call its own manifest someone else's
once pack-PUT "$PACK_PUT" lost
once manifest-PUT "$GEN_PUT" lost
# a header block cut after the status line (curl takes it as whole)
once config-GET "$CONFIG_GET" cuthead
once ranged-GET "$RANGED_GET" cuthead
once list "$LIST" cuthead
phase "1 (once: $n cases)"

##### 2. repeatedly: every attempt fails
R=s3://$B/rep
"$STRATA" init "$R" >/dev/null || fail "init $R"
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z >/dev/null || fail "rep: first backup"
before=$(gens_in_bucket rep)
[ -n "$before" ] || fail "rep: no generation after the first backup"
day=1
repeatedly() { # NAME RULE [after]
    local name=$1 rule=$2 after=${3:-} m desc="repeatedly: $1" locks gens
    day=$((day + 1))
    oracle make-shop "$DB" --day $day # new rows: the backup has packs to write
    # after: the catalog up to date first, so that the backup reads packs only after its manifest
    if [ -n "$after" ]; then "$STRATA" index "$R" >/dev/null || fail "$desc: index first"; fi
    locks=$(locks_in_bucket rep)
    under "$rule" 20 "$T/rep" "$STRATA" backup "$R" "$DB" --at "$(at $day)"
    note "$desc: exit $rc after $ms ms: $(head -c 300 "$T/rep.err" | tr '\n' '|')"
    if [ $rc = 124 ] || [ $rc = 137 ]; then
        bad "$desc: backup still running after 20 s: $(head -c 300 "$T/rep.err" | tr '\n' '|')"
        return 0 # its lock stays (its lease would end in STRATA_S3_LOCK_STALE): not checked below
    fi
    [ $rc = 1 ] || bad "$desc: backup exit $rc, want 1"
    one_line "$T/rep" "$desc"
    [ "$(most_faults "$m")" -ge 3 ] || bad "$desc: $(most_faults "$m") attempts of one request, want STRATA_S3_RETRIES=3"
    case $rule in *status=*) [ "$(most_faults "$m")" = 3 ] || bad "$desc: $(most_faults "$m") attempts of one request, want exactly STRATA_S3_RETRIES=3" ;; esac
    [ "$(locks_in_bucket rep)" = "$locks" ] || bad "$desc: lock objects left in the bucket: $(locks_in_bucket rep | tr '\n' ' ')"
    gens=$(gens_in_bucket rep)
    if [ "$gens" = "$before" ]; then
        [ -z "$after" ] || bad "$desc: test bug: the backup failed before its manifest"
        # nothing visible, in a cache that never saw this repository either
        fresh_cache
        direct "$STRATA" ls "$R" >"$T/ls.out" 2>&1 || bad "$desc: ls from a fresh cache: $(head -c 300 "$T/ls.out")"
        [ "$(grep -c '^2026-' "$T/ls.out")" = "$(echo "$before" | wc -l)" ] ||
            bad "$desc: a fresh cache lists $(grep -c '^2026-' "$T/ls.out") generations, want $(echo "$before" | wc -l)"
    else
        # the manifest went in before the fault: one generation, named in the message, whole
        [ "$(echo "$gens" | wc -l)" = $(($(echo "$before" | wc -l) + 1)) ] ||
            bad "$desc: the failed backup left generations: $(echo "$gens" | tr '\n' ' ')"
        local g
        g=$(comm -13 <(echo "$before") <(echo "$gens") | head -1 | sed 's|.*/||; s|\.gen$||')
        grep -q "generation '$g' is stored" "$T/rep.err" ||
            bad "$desc: generation $g is in the bucket but the message does not say it is stored: $(tr '\n' '|' <"$T/rep.err")"
        before=$gens
        fresh_cache
        restores_right "$R" "$g" "$desc" || true
        "$STRATA" index "$R" >/dev/null 2>"$T/index.err" || bad "$desc: index afterwards: $(cat "$T/index.err")"
    fi
}
repeatedly "pack PUT 503" "$PACK_PUT status=503"
repeatedly "pack PUT dropped" "$PACK_PUT drop"
repeatedly "manifest PUT 503" "$GEN_PUT status=503"
repeatedly "config GET 503" "$CONFIG_GET status=503"
repeatedly "list 503" "$LIST status=503"
repeatedly "generation-name HEAD 503" "HEAD /generations/ status=503"
repeatedly "generation-number claim PUT 503" "PUT /seqs/ status=503"
repeatedly "ranged GET after the manifest 503" "$RANGED_GET status=503" after
# without faults: a backup succeeds and verifies
day=$((day + 1))
oracle make-shop "$DB" --day $day
"$STRATA" backup "$R" "$DB" --at "$(at $day)" >"$T/ok.out" 2>&1 || bad "repeatedly: the backup without faults: $(cat "$T/ok.out")"
[ "$(gens_in_bucket rep | wc -l)" = $(($(echo "$before" | wc -l) + 1)) ] ||
    bad "repeatedly: after the good backup the bucket holds $(gens_in_bucket rep | tr '\n' ' ')"
fresh_cache
restores_right "$R" latest "repeatedly: the backup without faults" || true
direct "$STRATA" verify "$R" --read-data >"$T/verify.out" 2>&1 || bad "repeatedly: verify: $(tail -3 "$T/verify.out")"
phase "2 (repeatedly)"

##### 3. slowly
R=s3://$B/slow
"$STRATA" init "$R" >/dev/null || fail "init $R"
cp "$T/day1.db" "$DB"
# a delay below STRATA_S3_TIMEOUT (3 s) is waited for, not abandoned
under "$PACK_PUT times=1 delay=1"$'\n'"$CONFIG_GET times=1 delay=1" 25 "$T/slow" "$STRATA" backup "$R" "$DB" --at "$(at 1)"
note "slowly: two delays of 1 s: exit $rc after $ms ms"
[ $rc = 0 ] || bad "slowly: backup with delays below the timeout: exit $rc: $(tr '\n' '|' <"$T/slow.err")"
[ "$(faults "$m")" = 2 ] || bad "slowly: $(faults "$m") requests delayed, want 2"
# each delayed request was sent once: none abandoned before the timeout
again=$(since "$m" | awk '$6 ~ /delay/ { d[$2 " " $3] = 1 } { n[$2 " " $3]++ } END { for (k in d) if (n[k] != 1) print k }')
[ -z "$again" ] || bad "slowly: delayed requests sent again (abandoned before the timeout?): $again"
fresh_cache
restores_right "$R" latest "slowly: delays" || true
# stalls (headers, then nothing), with STRATA_S3_TIMEOUT=2: abandoned and retried
export STRATA_S3_TIMEOUT=2
oracle make-shop "$DB" --day 2
oracle table-csv "$DB" orders >"$T/orders.csv"
under "$PACK_PUT times=1 stall=120" 25 "$T/slow" "$STRATA" backup "$R" "$DB" --at "$(at 2)"
note "slowly: a stalled pack PUT: exit $rc after $ms ms"
[ $rc = 0 ] || bad "slowly: backup with one stalled PUT: exit $rc: $(tr '\n' '|' <"$T/slow.err")"
[ "$(faults "$m")" = 1 ] || bad "slowly: $(faults "$m") stalls, want 1"
stalled=$(since "$m" | awk '$6 ~ /stall/ { print $3 }')
[ -n "$stalled" ] && [ "$(since "$m" | awk -v k="$stalled" '$2 == "PUT" && $3 == k' | wc -l)" -ge 2 ] ||
    bad "slowly: the stalled PUT of '$stalled' was not sent again"
fresh_cache
restores_right "$R" latest "slowly: stalled PUT" || true
under "$RANGED_GET times=1 stall=120" 25 "$T/slow" "$STRATA" cat "$R" latest/orders/orders.csv
note "slowly: a stalled ranged GET under cat: exit $rc after $ms ms"
[ $rc = 0 ] || bad "slowly: cat with one stalled ranged GET: exit $rc: $(tr '\n' '|' <"$T/slow.err")"
[ "$(faults "$m")" = 1 ] || bad "slowly: $(faults "$m") stalls in cat, want 1"
same_or_prefix "$T/slow.out" "$T/orders.csv" || bad "slowly: cat after a stall printed other bytes than the source's orders"
# every attempt stalled: a clean failure in bounded time (3 attempts of 2 s
# without progress, each up to ~5 s more while curl's speed average decays)
under "$CONFIG_GET stall=120" 25 "$T/slow" "$STRATA" backup "$R" "$DB" --at "$(at 3)"
note "slowly: every attempt stalled: exit $rc after $ms ms: $(tr '\n' '|' <"$T/slow.err")"
[ $rc = 1 ] || bad "slowly: backup with every attempt stalled: exit $rc, want 1"
[ $ms -lt 24000 ] || bad "slowly: failing took $ms ms with STRATA_S3_TIMEOUT=2 and STRATA_S3_RETRIES=3"
[ "$(faults "$m")" = 3 ] || bad "slowly: $(faults "$m") stalled attempts, want 3"
one_line "$T/slow" "slowly: every attempt stalled"
[ "$(gens_in_bucket slow | wc -l)" = 2 ] || bad "slowly: the bucket holds $(gens_in_bucket slow | tr '\n' ' ')"
export STRATA_S3_TIMEOUT=3
phase "3 (slowly)"

##### 4. reads through the mount
R=s3://$B/slow
"$STRATA" index "$R" >/dev/null || fail "index before the mount"
M=$T/mnt MLOG=$T/stratafs.mnt.log
STRATA_MOUNT_FG=1 mount_fs "$R" "$M" # -f: its log lines go to $MLOG
F=$M/latest/orders/orders.csv
[ -f "$F" ] || fail "no $F in the mount: $(ls "$M" "$M/latest" 2>&1 | tr '\n' ' ')"
logn=$(wc -l <"$MLOG")
under "$RANGED_GET status=503" 25 "$T/read" cat "$F"
note "mount: read under 503s: exit $rc: $(cat "$T/read.err")"
[ $rc = 1 ] && grep -q 'Input/output error' "$T/read.err" || bad "mount: read with every ranged GET failing: exit $rc, want EIO: $(cat "$T/read.err")"
[ "$(faults "$m")" -ge 3 ] || bad "mount: $(faults "$m") ranged GETs failed, want at least 3 (one read's attempts)"
cmp -s -n "$(stat -c %s "$T/read.out")" "$T/read.out" "$T/orders.csv" || bad "mount: the failing read returned other bytes than the file's"
tail -n +$((logn + 1)) "$MLOG" | grep -q 's3: GET .*packs/.*503' || bad "mount: no log line for the failed reads: $(tail -n +$((logn + 1)) "$MLOG" | head -5)"
is_mounted "$M" && ls "$M/latest" >/dev/null || fail "mount: the mount is gone after failed reads"
# the fault gone, the same file reads right
cmp -s "$F" "$T/orders.csv" || bad "mount: after the fault, $F differs from the source's orders"
# failing once, each way: the read is right.  Other tables (not in the
# mount's memory yet), and the mount's disk cache of pack blocks emptied
# first (docs/FORMAT.md: <repository id>/blocks/; deleting it loses nothing):
# the packs are fetched again
for x in "customers status=503" "products drop" "order_items cut"; do
    set -- $x
    rm -f "$XDG_CACHE_HOME"/strata/*/blocks/*
    under "$RANGED_GET times=1 $2" 25 "$T/read" cat "$M/latest/$1/$1.csv"
    [ $rc = 0 ] || bad "mount: reading $1.csv with one ranged GET failing ($2): exit $rc: $(cat "$T/read.err")"
    [ "$(faults "$m")" = 1 ] || bad "mount: $(faults "$m") faults while reading $1.csv ($2), want 1"
    oracle table-csv "$DB" "$1" >"$T/want.csv"
    same_or_prefix "$T/read.out" "$T/want.csv" || bad "mount: $1.csv read with one $2 differs from the source"
done
is_mounted "$M" || bad "mount: gone at the end"
umount_fs "$M"
phase "4 (mount)"
if grep -q RULES-ERROR "$PLOG"; then fail "test bug: the proxy refused rules: $(grep RULES-ERROR "$PLOG" | head -3)"; fi
note "proxy: $(grep -vc ' done ' "$PLOG") requests, $(awk '$2 != "done" && $6 != "pass"' "$PLOG" | wc -l) faults; RGW start $RGW_START_SECONDS s"
