# Shared helpers for strata integration tests.  Source from a t_*.sh script:
#     . "$(dirname "$0")/lib.sh"
# Provides: $ROOT $STRATA $STRATAFS $PY $ORACLE $T (per-test temp dir),
# mount_fs / umount_fs, bg (track a background process), fail / skip / note,
# expect_fail / expect_err (one-line errors),
# and an EXIT trap that always unmounts, kills what the test started and
# removes $T.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STRATA=${STRATA:-$ROOT/build/indexer/strata}
STRATAFS=${STRATAFS:-$ROOT/build/fs/stratafs}
PY=${PY:-/usr/bin/python3}
ORACLE="$ROOT/tests/oracle.py"
TEST_NAME=$(basename "$0" .sh)
export LC_ALL=C

_MOUNTS=()
_KMOUNTS=()   # kernel mounts the test made itself (tmpfs...), unmounted last
_PIDS=()
_SOFT_FAILS=0
T=$(mktemp -d "${TMPDIR:-/tmp}/strata-it.$TEST_NAME.XXXXXX")

note() { echo "# $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

oracle() { "$PY" "$ORACLE" "$@"; }

require_bins() {
    [ -x "$STRATA" ] || skip "strata binary not found at $STRATA"
    [ -x "$STRATAFS" ] || skip "stratafs binary not found at $STRATAFS"
    [ -e /dev/fuse ] || skip "/dev/fuse missing"
    command -v fusermount3 >/dev/null || skip "fusermount3 missing"
}

# is_mounted DIR: true if DIR is a mountpoint (reads /proc, never touches DIR)
is_mounted() {
    local m
    m=$(realpath -m -- "$1")
    awk -v m="$m" '{ p=$5; gsub(/\\040/, " ", p); if (p == m) f=1 } END { exit !f }' /proc/self/mountinfo
}

not_mounted() { ! is_mounted "$1"; }

# pids of stratafs processes that have ARG as one of their arguments
_stratafs_pids_with_arg() {
    local arg=$1 p exe
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = "$$" ] && continue
        [ -r "/proc/$p/cmdline" ] || continue
        exe=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | head -n1) || continue
        case "$(basename -- "${exe:-x}")" in stratafs* | mount.fuse.stratafs*) ;; *) continue ;; esac
        if tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$arg"; then
            echo "$p"
        fi
    done
}

# wait_until TIMEOUT_S CMD...: poll CMD every 0.1 s
wait_until() {
    local t=$1; shift
    local end=$(( $(date +%s%N) / 1000000 + t * 1000 ))
    while :; do
        if "$@"; then return 0; fi
        if [ $(( $(date +%s%N) / 1000000 )) -ge $end ]; then return 1; fi
        sleep 0.1
    done
}

# mount_fs REPO MNT [stratafs options...]
# Default: daemon mode (stratafs returns when the mount is ready).
# STRATA_MOUNT_FG=1: run with -f in the background and wait for the mount.
mount_fs() {
    local repo=$1 mnt=$2; shift 2
    mkdir -p -- "$mnt"
    _MOUNTS+=("$mnt")
    local log="$T/stratafs.$(basename -- "$mnt").log"
    if [ "${STRATA_MOUNT_FG:-0}" = 1 ]; then
        "$STRATAFS" "$repo" "$mnt" -f "$@" >>"$log" 2>&1 &
        _PIDS+=($!)
        wait_until 15 is_mounted "$mnt" || { cat "$log" >&2; fail "stratafs -f did not mount $mnt"; }
    else
        local rc=0
        timeout 30 "$STRATAFS" "$repo" "$mnt" "$@" >>"$log" 2>&1 || rc=$?
        local p
        for p in $(_stratafs_pids_with_arg "$mnt"); do _PIDS+=("$p"); done
        if [ $rc -ne 0 ]; then cat "$log" >&2; fail "stratafs $repo $mnt exited $rc"; fi
        # spec: returns once the mount is ready
        is_mounted "$mnt" || { sleep 1; is_mounted "$mnt" && note "WARN: stratafs returned before mount was ready"; } \
            || { cat "$log" >&2; fail "stratafs returned 0 but $mnt is not mounted"; }
    fi
}

umount_fs() {
    local mnt=$1
    fusermount3 -u -- "$mnt" || fusermount3 -u -z -- "$mnt"
    wait_until 10 not_mounted "$mnt" || fail "$mnt still mounted after fusermount3 -u"
}

# same_db WANT GOT WHAT: the restore contract (docs/FORMAT.md "Restore"):
# `sqlite3 X '.dump --preserve-rowids'` byte-identical, user_version,
# application_id and page_size equal, integrity_check of GOT ok
same_db() {
    local p='PRAGMA user_version; PRAGMA application_id; PRAGMA page_size; PRAGMA integrity_check'
    sqlite3 "$1" '.dump --preserve-rowids' >"$T/want.sql"
    sqlite3 "$2" '.dump --preserve-rowids' >"$T/got.sql"
    cmp -s "$T/want.sql" "$T/got.sql" ||
        fail "$3: .dump differs: $(diff "$T/want.sql" "$T/got.sql" | head -c 1500)"
    [ "$(sqlite3 "$1" "$p")" = "$(sqlite3 "$2" "$p")" ] ||
        fail "$3: pragmas $(sqlite3 "$2" "$p" | tr '\n' ' ') want $(sqlite3 "$1" "$p" | tr '\n' ' ')"
    [ "$(sqlite3 "$2" 'PRAGMA integrity_check')" = ok ] || fail "$3: integrity_check"
}

# bg CMD...: start a background process that cleanup will kill
bg() {
    "$@" &
    _PIDS+=($!)
}

# at_exit CMD...: run CMD first when the test ends, whatever the way
_AT_EXIT=()
at_exit() { _AT_EXIT+=("$*"); }

_cleanup() {
    local rc=$?
    # timeout(1) signals the test, then its process group: a second signal
    # must not cut the cleanup short (a cluster or mount left behind)
    trap '' INT TERM HUP
    set +e
    local h
    for h in "${_AT_EXIT[@]}"; do eval "$h"; done
    if [ $rc -eq 0 ] && [ "$_SOFT_FAILS" -gt 0 ]; then
        echo "FAIL: $_SOFT_FAILS soft failure(s) above" >&2
        rc=1
    fi
    trap - EXIT
    local m p
    for m in "${_MOUNTS[@]}"; do
        if is_mounted "$m"; then fusermount3 -u -z -- "$m" 2>/dev/null; fi
    done
    # stratafs processes we started (recorded pids + any whose args mention $T)
    local all=("${_PIDS[@]}")
    for p in $(_stratafs_pids_with_arg "$T"); do all+=("$p"); done
    for p in "${all[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for _ in $(seq 50); do
        local alive=0
        for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for p in "${all[@]}"; do
        if kill -0 "$p" 2>/dev/null; then
            echo "WARN: pid $p still alive at cleanup, killing" >&2
            kill -KILL "$p" 2>/dev/null
        fi
    done
    for p in "${all[@]}"; do wait "$p" 2>/dev/null; done
    for m in "${_KMOUNTS[@]}"; do umount -l -- "$m" 2>/dev/null; done
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "# KEEP_TMP=1: leaving $T" >&2
    else
        rm -rf -- "$T" 2>/dev/null
    fi
    exit $rc
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# expect_fail DESC CMD...: CMD must exit non-zero with exactly one stderr line
# starting "strata: "
expect_fail() {
    local desc=$1; shift
    local rc=0
    "$@" >"$T/ef.out" 2>"$T/ef.err" || rc=$?
    [ $rc -ne 0 ] || fail "$desc: expected failure, got exit 0 (stdout: $(head -c 300 "$T/ef.out"))"
    [ $rc -lt 128 ] || fail "$desc: died from signal (exit $rc): $(cat "$T/ef.err")"
    local lines
    lines=$(wc -l <"$T/ef.err")
    if [ "$lines" -ne 1 ] || ! head -n1 "$T/ef.err" | grep -q '^strata: '; then
        # keep going so one report shows every such problem; fails at exit
        echo "SOFT-FAIL: $desc: expected one stderr line starting 'strata: ', got $lines line(s): $(head -c 300 "$T/ef.err")" >&2
        _SOFT_FAILS=$((_SOFT_FAILS + 1))
        return 0
    fi
    note "$desc -> exit $rc: $(cat "$T/ef.err")"
}

# expect_err STATUS PATTERN CMD...: CMD fails in one "strata: " line
# (expect_fail) with exit STATUS, and the line says PATTERN (grep)
expect_err() {
    local want=$1 pat=$2 rc=0; shift 2
    expect_fail "$*" "$@"
    "$@" >/dev/null 2>"$T/err" || rc=$?
    [ $rc -eq "$want" ] || fail "$*: exit $rc, want $want: $(cat "$T/err")"
    grep -q -- "$pat" "$T/err" || fail "$*: the message does not say '$pat': $(cat "$T/err")"
}

# gen_name TIME(RFC3339 UTC 'Z') -> generation dir name
gen_name() {
    date -u -d "$1" +%Y-%m-%dT%H%M%SZ
}

# tree_digest DIR: listing + sha256 of every file (for "unchanged" checks);
# a repository's ./lock and ./gc-lock are left out: every writer that takes
# a lock writes its own name into it, and verify creates gc-lock to take it
# shared (docs/FORMAT.md), whether it then succeeds or not
tree_digest() {
    (cd "$1" && find . ! -path ./lock ! -path ./gc-lock -printf '%p %y %s %m\n' | sort &&
        find . -type f ! -path ./lock ! -path ./gc-lock -print0 | sort -z | xargs -0r sha256sum)
}
