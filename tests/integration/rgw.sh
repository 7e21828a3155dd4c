# A real S3 store for tests: a single-node Ceph RADOS Gateway on loopback
# (one ceph-mon, one ceph-osd with the in-memory memstore, one radosgw with
# the beast frontend on 127.0.0.1), every file under one directory.
# Source after lib.sh:
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/rgw.sh"
#     rgw_start                 # skips (exit 77) if Ceph is not installed
#     rgw_mkbucket bucket1      # S3 rules: 3-63 chars, lower case
#     rgw_curl -T file "$RGW_ENDPOINT/bucket1/key"
#
# rgw_start [DIR]   start a cluster in DIR (default $T/rgw, which must not
#                   exist yet) and export
#                     RGW_ENDPOINT=http://127.0.0.1:PORT  AWS_ENDPOINT_URL (same)
#                     AWS_ACCESS_KEY_ID  AWS_SECRET_ACCESS_KEY  (fixed test keys)
#                     AWS_DEFAULT_REGION=default  AWS_REGION=default
#                   and sets RGW_DIR, RGW_START_SECONDS (start to ready).
#                   The region: RGW checks SigV4 signatures with whatever
#                   region the request's credential scope names, but its
#                   zonegroup is "default", and a CreateBucket whose
#                   LocationConstraint is not "default" is refused
#                   (InvalidLocationConstraint; SDKs send one for any region
#                   but us-east-1).
#                   Fails (lib.sh's fail) with the daemons' log tails if the
#                   cluster is not serving S3 within RGW_START_TIMEOUT
#                   seconds (default 60); a start that loses a port it chose
#                   to another process is retried with new ports.
# rgw_mkbucket NAME create a bucket (fails unless RGW says 200)
# rgw_curl ARGS...  curl -sS signed with SigV4 as the test user.  Sends
#                   x-amz-content-sha256: UNSIGNED-PAYLOAD unless ARGS has
#                   its own x-amz-content-sha256 header: RGW refuses SigV4
#                   without it, and curl 7.88 adds it to the signature only
#                   when given.  curl 7.88 also signs the query string as
#                   written: put parameters in sorted order and write
#                   valueless ones as `name=` (`?uploads=`, not `?uploads`).
# rgw_stop          stop the daemons (radosgw, then the OSD, then the
#                   monitor: TERM, then KILL after 10 s) and remove the
#                   directory.  Idempotent.  rgw_start registers it with
#                   lib.sh's at_exit, so a test need not call it.
# rgw_rss_kb        resident memory of the three daemons, in KiB
#
# Outside a t_*.sh (scripts/bench.sh...): these functions need $T (or a DIR
# argument to rgw_start) and use lib.sh's bg, fail, skip, note and at_exit
# when they are defined; without them, processes are started with plain `&`,
# failures print "FAIL: ..." and return 1 from rgw_start (skip returns 77),
# and the caller must run rgw_stop itself (an EXIT trap is the safe place).
# One cluster per shell.  Daemons are stopped by the PIDs this shell
# started, after checking that their command line names our ceph.conf:
# never by name, so clusters of concurrent tests do not touch each other.
#
# Environment: RGW_START_TIMEOUT (seconds, default 60), RGW_OSD_BYTES (the
# memstore's capacity, default 1 GiB: the data live in the OSD's memory),
# RGW_THREADS (radosgw's thread pool, default 32).
#
# Settings that matter (docs: /work/shared/notes/ceph-rgw-on-loopback.md):
# auth none inside the cluster needs `ms mon client mode = crc`; the
# monitor's `public addrv` must equal `mon host` with non-default ports;
# `paxos propose interval = 0.01` and starting radosgw only once the OSD is
# up take the start from ~15 s to ~2-3 s.  beast's `tcp_nodelay=1`: without
# it radosgw sends a response's headers and body in two segments, Nagle
# holds the second until our delayed ACK, and every ranged GET takes 40 ms.

RGW_DIR=
_RGW_WHY=      # why the last start attempt failed
_RGW_PORT=     # radosgw's
_RGW_PIDS=()   # mon osd radosgw, in start order
_RGW_NAMES=()  # their names
_RGW_AT_EXIT=0
RGW_TEST_ACCESS_KEY=STRATATESTACCESSKEY1
RGW_TEST_SECRET_KEY=strataTestSecretKey0000000000000000000001

_rgw_fail() {
    if declare -F fail >/dev/null; then fail "$@"; fi
    echo "FAIL: $*" >&2
    return 1
}
_rgw_note() {
    if declare -F note >/dev/null; then note "$@"; else echo "# $*"; fi
}
_rgw_now_ms() { echo $(($(date +%s%N) / 1000000)); }

# _rgw_alive PID: PID exists and is not a zombie
_rgw_alive() {
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
# _rgw_owns PID: PID is alive and runs with our ceph.conf
_rgw_owns() {
    local p=$1
    [ -n "$RGW_DIR" ] && _rgw_alive "$p" || return 1
    local args a
    mapfile -d '' args 2>/dev/null <"/proc/$p/cmdline" || return 1
    for a in "${args[@]}"; do [ "$a" = "$RGW_DIR/ceph.conf" ] && return 0; done
    return 1
}

# _rgw_bg LOG CMD...: start CMD in the background (lib.sh's bg when there
# is one, so lib.sh's EXIT trap kills it too); its pid is appended to
# _RGW_PIDS
_rgw_bg() {
    local log=$1; shift
    if declare -F bg >/dev/null; then # lib.sh's function, not the job-control builtin
        # shellcheck disable=SC2217
        bg "$@" >>"$log" 2>&1 </dev/null
    else
        "$@" >>"$log" 2>&1 </dev/null &
    fi
    _RGW_PIDS+=($!)
    _RGW_NAMES+=("$(basename -- "$1")")
}

# _rgw_ceph ARGS...: the ceph CLI on our cluster, bounded in time
_rgw_ceph() {
    timeout 20 ceph -c "$RGW_DIR/ceph.conf" --connect-timeout 5 "$@" 2>>"$RGW_DIR/ceph-cli.out"
}
_rgw_osd_new() { _rgw_ceph osd new "$1" 0 >/dev/null; }

_rgw_logs() {
    local f
    for f in "$RGW_DIR"/{mon.a,osd.0,client.rgw}.{log,out} "$RGW_DIR"/{mon-mkfs,osd-mkfs,ceph-cli,user-create}.out; do
        [ -s "$f" ] || continue
        echo "--- tail of $f" >&2
        tail -n 6 -- "$f" | cut -c1-300 >&2
    done
}

# _rgw_free_ports N: N distinct loopback TCP ports that were free just now
_rgw_free_ports() {
    python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

_rgw_write_conf() {
    local d=$1 p1=$2 p2=$3 prgw=$4 fsid=$5
    local mons="[v2:127.0.0.1:$p2,v1:127.0.0.1:$p1]"
    cat >"$d/ceph.conf" <<EOF
# written by tests/integration/rgw.sh
[global]
fsid = $fsid
mon host = $mons
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
# a port taken between our choice and the bind: fail now, start again
ms bind retry count = 1
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
ms mon client mode = crc
run dir = $d
admin socket = $d/\$name.\$pid.asok
log file = $d/\$name.log
mon cluster log file = $d/cluster.log
crash dir = $d/crash
keyring = $d/keyring
mon data = $d/\$name
osd data = $d/\$name
client mount timeout = 30
rados mon op timeout = 30
rados osd op timeout = 30
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
paxos propose interval = 0.01
[mon.a]
public addrv = $mons
[osd]
osd objectstore = memstore
memstore device bytes = ${RGW_OSD_BYTES:-1073741824}
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$prgw tcp_nodelay=1
rgw data = $d/rgw
rgw thread pool size = ${RGW_THREADS:-32}
rgw init timeout = 30
rgw exit timeout secs = 5
# no lifecycle (expiration) processing: its workers walk 32 shards and make
# radosgw take ~5 s to stop
rgw enable lc threads = false
EOF
}

# _rgw_wait DEADLINE_MS WHAT CMD...: poll CMD until it succeeds; returns 2
# when a daemon died of a port taken meanwhile, 1 on any other failure
_rgw_wait() {
    local deadline=$1 what=$2; shift 2
    local i p
    _RGW_WHY=
    while :; do
        for i in "${!_RGW_PIDS[@]}"; do
            p=${_RGW_PIDS[i]}
            if ! _rgw_owns "$p"; then
                if grep -qs 'Address already in use' "$RGW_DIR"/*.log "$RGW_DIR"/*.out; then
                    _RGW_WHY="a port was taken (Address already in use)"
                    return 2
                fi
                _RGW_WHY="${_RGW_NAMES[i]} (pid $p) exited while waiting for $what"
                return 1
            fi
        done
        if "$@"; then return 0; fi
        if [ "$(_rgw_now_ms)" -ge "$deadline" ]; then
            _RGW_WHY="no $what after ${RGW_START_TIMEOUT:-60} s"
            return 1
        fi
        sleep 0.1
    done
}

# the monitor has bound its ports and formed its quorum of one (a bind
# failure shows in its log, and it exits, within milliseconds: this is
# checked before the ceph CLI, which would wait out its connect timeout)
_rgw_mon_leader() { grep -qs 'mon\.a@0(leader)' "$RGW_DIR/mon.a.log"; }
_rgw_osd_up() {
    local s
    s=$(_rgw_ceph osd stat -f json) || return 1
    case $s in *'"num_up_osds":1'*) return 0 ;; esac
    return 1
}
# _rgw_listens PID PORT: PID holds the socket listening on 127.0.0.1:PORT
# (so a probe that gets an answer there talks to our radosgw, not to
# whatever took the port, another test's RGW with the same keys included)
_rgw_listens() {
    local pid=$1 inode f
    inode=$(awk -v a="$(printf '0100007F:%04X' "$2")" '$2 == a && $4 == "0A" { print $10; exit }' /proc/net/tcp) || return 1
    [ -n "$inode" ] || return 1
    for f in /proc/"$pid"/fd/*; do
        [ "$(readlink -- "$f" 2>/dev/null)" = "socket:[$inode]" ] && return 0
    done
    return 1
}
_rgw_http_up() {
    _rgw_listens "${_RGW_PIDS[2]}" "$_RGW_PORT" &&
        curl -s -o /dev/null --max-time 2 "$RGW_ENDPOINT/" 2>/dev/null
}
_rgw_signed_ok() {
    [ "$(rgw_curl -o /dev/null -w '%{http_code}' --max-time 2 "$RGW_ENDPOINT/" 2>/dev/null)" = 200 ]
}

# _rgw_try_start DIR DEADLINE_MS: one attempt; 0 ready, 2 a port was
# taken, 1 anything else
_rgw_try_start() {
    local d=$1 deadline=$2 p1 p2 prgw fsid uuid
    _RGW_WHY=
    read -r p1 p2 prgw < <(_rgw_free_ports 3) && [ -n "$prgw" ] || { _RGW_WHY="cannot pick free ports"; return 1; }
    fsid=$(python3 -c 'import uuid; print(uuid.uuid4())')
    uuid=$(python3 -c 'import uuid; print(uuid.uuid4())')
    mkdir -p "$d/osd.0" "$d/rgw" "$d/crash" || return 1
    _rgw_write_conf "$d" "$p1" "$p2" "$prgw" "$fsid"
    _RGW_PORT=$prgw
    export RGW_ENDPOINT=http://127.0.0.1:$prgw
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$p2,v1:127.0.0.1:$p1]" "$d/monmap" \
        >"$d/monmaptool.out" 2>&1 || { _RGW_WHY="monmaptool failed"; return 1; }
    ceph-mon -c "$d/ceph.conf" -i a --mkfs --monmap "$d/monmap" >"$d/mon-mkfs.out" 2>&1 ||
        { _RGW_WHY="ceph-mon --mkfs failed"; return 1; }
    _rgw_bg "$d/mon.a.out" ceph-mon -f -c "$d/ceph.conf" -i a
    _rgw_wait "$deadline" "monitor" _rgw_mon_leader || return $?
    _rgw_wait "$deadline" "monitor (osd new)" _rgw_osd_new "$uuid" || return $?
    ceph-osd -c "$d/ceph.conf" -i 0 --mkfs --osd-uuid "$uuid" >"$d/osd-mkfs.out" 2>&1 ||
        { _RGW_WHY="ceph-osd --mkfs failed"; return 1; }
    _rgw_bg "$d/osd.0.out" ceph-osd -f -c "$d/ceph.conf" -i 0
    _rgw_wait "$deadline" "OSD up" _rgw_osd_up || return $?
    _rgw_bg "$d/client.rgw.out" radosgw -f -c "$d/ceph.conf" -n client.rgw
    _rgw_wait "$deadline" "radosgw on $RGW_ENDPOINT" _rgw_http_up || return $?
    radosgw-admin -c "$d/ceph.conf" user create --uid=strata-test --display-name="strata tests" \
        --access-key="$RGW_TEST_ACCESS_KEY" --secret-key="$RGW_TEST_SECRET_KEY" \
        >"$d/user-create.out" 2>&1 || { _RGW_WHY="radosgw-admin user create failed"; return 1; }
    _rgw_wait "$deadline" "signed request accepted" _rgw_signed_ok || return $?
}

rgw_start() {
    local d=${1:-${T:?rgw_start: \$T or a directory needed}/rgw}
    local b
    for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool curl python3; do
        if ! command -v "$b" >/dev/null; then
            local why="$b missing: Ceph RGW not installed (bash scripts/deps.sh --no-recommends ceph-mon ceph-osd radosgw ceph-common)"
            if declare -F skip >/dev/null; then skip "$why"; fi
            echo "SKIP: $why" >&2
            return 77
        fi
    done
    [ -z "$RGW_DIR" ] || { _rgw_fail "rgw_start: a cluster is already running in $RGW_DIR"; return 1; }
    [ ! -e "$d" ] || { _rgw_fail "rgw_start: $d exists"; return 1; }
    case $d in /*) ;; *) d=$PWD/$d ;; esac
    if [ $_RGW_AT_EXIT = 0 ] && declare -F at_exit >/dev/null; then
        at_exit rgw_stop
        _RGW_AT_EXIT=1
    fi
    export AWS_ACCESS_KEY_ID=$RGW_TEST_ACCESS_KEY
    export AWS_SECRET_ACCESS_KEY=$RGW_TEST_SECRET_KEY
    export AWS_DEFAULT_REGION=default AWS_REGION=default
    local t0 deadline rc=1
    t0=$(_rgw_now_ms)
    for _ in 1 2 3; do
        RGW_DIR=$d
        deadline=$(($(_rgw_now_ms) + ${RGW_START_TIMEOUT:-60} * 1000))
        rc=0
        _rgw_try_start "$d" "$deadline" || rc=$?
        [ $rc = 0 ] && break
        # a port lost to another process (2), or a daemon that died on a
        # loaded machine (seen: ceph-mon exiting at start): once more, anew
        if [ $rc = 2 ]; then
            _rgw_note "rgw: a port was taken before our daemons bound it; starting again with new ports"
        else
            _rgw_logs
            _rgw_note "rgw: start failed (${_RGW_WHY:-?}); starting again"
        fi
        rgw_stop
    done
    if [ $rc != 0 ]; then
        _rgw_logs
        _rgw_fail "rgw_start: the Ceph RGW in $d did not come up: ${_RGW_WHY:-?} (log tails above)"
        return 1
    fi
    export AWS_ENDPOINT_URL=$RGW_ENDPOINT
    local ms=$(($(_rgw_now_ms) - t0))
    RGW_START_SECONDS=$((ms / 1000)).$(printf %03d $((ms % 1000)))
    _rgw_note "rgw: S3 at $RGW_ENDPOINT after ${RGW_START_SECONDS} s (pids ${_RGW_PIDS[*]}, $(($(rgw_rss_kb) / 1024)) MiB resident)"
}

rgw_rss_kb() {
    local p kb sum=0
    for p in "${_RGW_PIDS[@]}"; do
        kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || kb=0
        sum=$((sum + ${kb:-0}))
    done
    echo $sum
}

rgw_curl() {
    local a sha=0
    for a in "$@"; do
        case ${a,,} in x-amz-content-sha256:*) sha=1 ;; esac
    done
    local h=()
    [ $sha = 1 ] || h=(-H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
    curl -sS --aws-sigv4 "aws:amz:${AWS_DEFAULT_REGION:-default}:s3" \
        --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "${h[@]}" "$@"
}

rgw_mkbucket() {
    local name=$1 code
    [ -n "$RGW_DIR" ] || { _rgw_fail "rgw_mkbucket: no cluster (rgw_start first)"; return 1; }
    # the SHA-256 of the empty body
    code=$(rgw_curl -o "$RGW_DIR/mkbucket.out" -w '%{http_code}' -X PUT \
        -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
        "$RGW_ENDPOINT/$name") || code="curl exit $?"
    [ "$code" = 200 ] || {
        _rgw_fail "rgw_mkbucket $name: HTTP $code: $(head -c 500 "$RGW_DIR/mkbucket.out" 2>/dev/null)"
        return 1
    }
}

rgw_stop() {
    [ -n "$RGW_DIR" ] || return 0
    local i p end
    # radosgw first (it would wait for the OSD), the monitor last
    for ((i = ${#_RGW_PIDS[@]} - 1; i >= 0; i--)); do
        p=${_RGW_PIDS[i]}
        _rgw_owns "$p" || continue
        kill -TERM "$p" 2>/dev/null || true
        end=$(($(_rgw_now_ms) + 10000))
        while _rgw_owns "$p" && [ "$(_rgw_now_ms)" -lt "$end" ]; do sleep 0.05; done
        if _rgw_owns "$p"; then
            echo "WARN: rgw: pid $p still alive 10 s after SIGTERM, killing" >&2
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    # reap them; a pid alive without our ceph.conf on its command line is
    # not waited for nor signalled (lib.sh's EXIT trap still has it)
    local reaped=()
    for p in "${_RGW_PIDS[@]}"; do
        if _rgw_owns "$p" || ! _rgw_alive "$p"; then
            wait "$p" 2>/dev/null || true
            reaped+=("$p")
        fi
    done
    # lib.sh's EXIT trap must not signal reaped pids again (they may be reused)
    if declare -p _PIDS >/dev/null 2>&1 && ((${#_PIDS[@]})); then
        local keep=() q mine
        for q in "${_PIDS[@]}"; do
            mine=0
            for p in "${reaped[@]}"; do [ "$q" = "$p" ] && mine=1; done
            [ $mine = 1 ] || keep+=("$q")
        done
        _PIDS=("${keep[@]}")
    fi
    rm -rf -- "$RGW_DIR"
    RGW_DIR=
    _RGW_PIDS=() _RGW_NAMES=()
    return 0
}
