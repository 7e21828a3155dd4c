#!/bin/bash
# Hostile repositories: a valid repository with two generations (A, B) is
# copied and rewritten by tests/tools/forge into lying variants whose
# checksums are valid, so the lies reach the structural checks (counts of
# 2^60, sums that overflow, dirnames '..', '.', 'a/b', '' or with NUL and
# control bytes, chunk ids no pack has, pack entries past EOF or overlapping
# the index, absurd configs, FIFOs and symlinks in place of files...).
# `forge --list` names every variant and what a reader must do with it.
#
# For each variant, under a 1 GiB address-space limit (ulimit -v; with
# AddressSanitizer, max_allocation_size_mb=1024 instead):
#  - `strata index --rebuild` and `strata ls` never crash (exit < 128), never
#    hang, and print only "strata: ..." lines.  A bad config is refused in one
#    line; a bad manifest or pack is skipped with a message and A stays listed.
#  - stratafs mounted on it never crashes, never lists '.', '..', a name with
#    '/' or a control byte, or a name twice; A serves exactly the bytes of
#    the good repository's mount, which tests/oracle.py compare-mount checked
#    against the databases first; whatever it serves of B is B's true content
#    or fails with EIO (and some read of a chunk that lies does).  A lie in
#    a field the reads of a framed chunk do not use (its row count) leaves
#    B's data files exact, and `strata verify` reports it.
#  - on a bad config, stratafs refuses to mount in one line.
. "$(dirname "$0")/lib.sh"
require_bins
FORGE=${FORGE:-$(cd "$(dirname "$STRATA")/.." && pwd)/tests/tools/forge}
[ -x "$FORGE" ] || skip "forge not built at $FORGE"

# The allocation bound: 1 GiB of address space, or ASan's own limit.
# Under AddressSanitizer (its shadow memory needs far more address space)
# the bound is ASan's: an allocation beyond 1 GiB returns NULL, and what
# strata must do then is refuse, not abort.  ASan says "WARNING: ... failed
# to allocate" when that happens: strata's reports go to $T/san, where such
# warnings are expected and anything else fails this test.
ASAN=
# (whole outputs captured: grep -q closing the pipe early would fail ldd or nm
# with SIGPIPE under pipefail, and the sanitizer build would go undetected)
LIBS=$(ldd "$STRATA" 2>/dev/null || true)
SYMS=$(nm "$STRATA" 2>/dev/null || true)
if [[ $LIBS == *libasan* || $SYMS == *" __asan_init"* ]]; then
    ASAN=1
    VLIMIT=
    mkdir -p "$T/san"
    note "AddressSanitizer build: allocations bounded by max_allocation_size_mb=1024"
else
    VLIMIT=1048576
    note "allocations bounded by ulimit -v $VLIMIT (KiB)"
fi
# bounded TIMEOUT CMD...: run strata under the memory bound and a time limit
bounded() {
    local t=$1; shift
    (
        if [ -n "$ASAN" ]; then
            export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1:max_allocation_size_mb=1024:log_path=$T/san/asan"
        else
            ulimit -v "$VLIMIT"
        fi
        exec timeout -k 5 "$t" "$@"
    )
}
# sanitizer reports of strata: only "failed to allocate" warnings may be there
san_check() {
    [ -n "$ASAN" ] || return 0
    local f
    for f in "$T"/san/*; do
        [ -e "$f" ] || continue
        if grep -v -q -e 'WARNING: AddressSanitizer failed to allocate' -e '^$' "$f"; then
            cat "$f" >&2
            fail "$1: sanitizer report"
        fi
        rm -f "$f"
    done
}

# ---- the good repository: A (a.db) and B (b.db) share no chunk ----
"$PY" - "$T/a.db" "$T/b.db" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE a_one(id INTEGER PRIMARY KEY, t TEXT)")
c.executemany("INSERT INTO a_one VALUES(?,?)", ((i, 'alpha %d, "q"' % i) for i in range(200)))
c.execute("CREATE TABLE a_two(k TEXT PRIMARY KEY, v) WITHOUT ROWID")
c.executemany("INSERT INTO a_two VALUES(?,?)", (("key%03d" % i, i * 1.5) for i in range(100)))
c.commit()
c = sqlite3.connect(sys.argv[2])
c.execute("CREATE TABLE b_big(id INTEGER PRIMARY KEY, t TEXT, r REAL)")
c.executemany("INSERT INTO b_big VALUES(?,?,?)", ((i, "bravo row %d" % (i * 7919 % 1000), i / 3) for i in range(400)))
c.execute("CREATE TABLE b_small(x, y)")
c.executemany("INSERT INTO b_small VALUES(?,?)", ((i, "s%d" % i) for i in range(20)))
c.commit()
PYEOF
GOOD=$T/good GA=2026-11-19T020000Z GB=2026-11-20T020000Z M=$T/mnt
"$STRATA" init "$GOOD" --chunk-size 1K --pack-size 1M >/dev/null
"$STRATA" backup "$GOOD" "$T/a.db" --at 2026-11-19T02:00:00Z >/dev/null || fail "backup A"
"$STRATA" backup "$GOOD" "$T/b.db" --at 2026-11-20T02:00:00Z >/dev/null || fail "backup B"

# The checker: one Python process for every variant (its start-up would
# cost more than the rest of a variant).  Requests on stdin, one answer
# line each ("ok ..." or "err ...") on stdout:
#   snapshot MNT        remember every file of the (verified) good mount
#   check MNT KIND      listings are safe everywhere; A is exactly the
#                       snapshot; what B serves is the snapshot's bytes or
#                       EIO (KIND eio: some read must fail; otherwise none)
cat >"$T/check.py" <<'PYEOF'
import errno, os, subprocess, sys
ga, gb = sys.argv[1:3]
snap = {}

def listings(mnt, errs):
    """Every directory's names as the kernel returns them, in one `ls -1fbR`:
    -f keeps . and .. (Python's listdir hides them, and a table named '..'
    with them); -b escapes control bytes and backslashes, so a '\\' in its
    output means one.  Blocks are "DIR:" then one name per line."""
    r = subprocess.run(["ls", "-1fbR", "--", mnt], capture_output=True)
    if r.returncode:
        errs.append("ls -R %s: %s" % (mnt, r.stderr.decode(errors="replace").strip()[:300]))
    for block in r.stdout.split(b"\n\n"):
        lines = block.split(b"\n")
        if not lines[0].endswith(b":"):
            errs.append("ls -R: unexpected output %r" % block[:100])
            continue
        check_names(lines[0][:-1], [n for n in lines[1:] if n], errs)

def check_names(d, names, errs):
    if names.count(b".") != 1 or names.count(b"..") != 1:
        errs.append("%s: '.' x%d, '..' x%d" % (d, names.count(b"."), names.count(b"..")))
    rest = [n for n in names if n not in (b".", b"..")]
    if len(set(rest)) != len(rest):
        errs.append("%s: a name listed twice: %r" % (d, sorted(rest)))
    for n in rest:
        if b"/" in n or b"\\" in n or not n:
            errs.append("%s: unsafe name %r" % (d, n))

def files(mnt, errs):
    """Every regular file under mnt, relative path -> absolute path."""
    out = {}
    if errs is not None:
        listings(mnt, errs)
    def walk(d, rel):
        for n in sorted(os.listdir(d)):
            p, r = os.path.join(d, n), os.path.join(rel, n)
            if os.path.islink(p):
                continue
            if os.path.isdir(p):
                walk(p, r)
            else:
                out[r] = p
    walk(mnt, "")
    return out

def check(mnt, kind):
    errs, eio, nread = [], [], 0
    gens = set(os.listdir(mnt)) - {"latest", "tables", "at", "db"}
    if ga not in gens:
        errs.append("generation A is not listed: %r" % sorted(gens))
    if gens - {ga, gb}:
        errs.append("generations that should have been refused: %r" % sorted(gens - {ga, gb}))
    for rel, p in sorted(files(mnt, errs).items()):
        gen = rel.split("/", 1)[0]
        if rel not in snap:
            errs.append("%s: not in the good repository" % rel)
            continue
        try:
            with open(p, "rb") as f:
                got = f.read()
            nread += 1
        except OSError as e:
            if e.errno == errno.EIO and gen == gb:
                eio.append(rel)
            else:
                errs.append("%s: %s" % (rel, e))
            continue
        if got != snap[rel] and not (kind in ("eio", "verify") and gen == gb and rel.count("/") == 1):
            # (B's generation.json may repeat what its lying manifest says,
            # e.g. a row count; data files never may)
            errs.append("%s: WRONG BYTES served (%d bytes, want %d)" % (rel, len(got), len(snap[rel])))
    if gen_a_missing(mnt):
        errs.append("generation A lost files")
    if kind == "eio" and not eio:
        errs.append("no read of B failed with EIO, but a chunk of B lies")
    if kind == "verify":
        # a table's changes files are sized from its row count (every row of a
        # new table is "insert," more), so a lying nrows makes their reads fail
        eio = [r for r in eio if not r.endswith(("/changes.csv", "/changes.jsonl"))]
    if kind != "eio" and eio:
        errs.append("EIO where nothing readable lies: %r" % eio[:3])
    os.stat(mnt)  # still mounted and answering
    return errs, "read %d files, %d EIO" % (nread, len(eio))

def gen_a_missing(mnt):
    have = set(files(mnt, None))
    return any(r.startswith(ga + "/") and r not in have for r in snap)

for line in sys.stdin:
    cmd, mnt, *rest = line.split()
    try:
        if cmd == "snapshot":
            for rel, p in files(mnt, None).items():
                with open(p, "rb") as f:
                    snap[rel] = f.read()
            print("ok %d files" % len(snap), flush=True)
        else:
            errs, summary = check(mnt, rest[0])
            print(("err " + " | ".join(errs[:8])) if errs else ("ok " + summary), flush=True)
    except Exception as e:  # noqa: report, keep serving
        print("err exception: %r" % (e,), flush=True)
PYEOF
coproc CHECK { exec "$PY" "$T/check.py" "$GA" "$GB"; }
_PIDS+=("$CHECK_PID")
# ask REQUEST...: one request to the checker, its answer in $ANSWER
ask() {
    echo "$*" >&"${CHECK[1]}"
    read -r -t 120 ANSWER <&"${CHECK[0]}" || fail "the checker did not answer '$*'"
}

# The good repository's mount, compared with the oracle once; its bytes are
# then the reference for every variant (A must stay exactly this).
"$STRATA" index --rebuild "$GOOD" >/dev/null 2>"$T/idx.err" || fail "index good: $(cat "$T/idx.err")"
[ ! -s "$T/idx.err" ] || fail "index of the good repository complains: $(cat "$T/idx.err")"
mount_fs "$GOOD" "$M"
oracle compare-mount "$T/a.db" "$M/$GA" || fail "good repository: generation A differs from the oracle"
oracle compare-mount "$T/b.db" "$M/$GB" || fail "good repository: generation B differs from the oracle"
ask snapshot "$M"
case $ANSWER in ok*) ;; *) fail "snapshot: $ANSWER" ;; esac
ask check "$M" accept
case $ANSWER in ok*) ;; *) fail "the good repository fails the check: $ANSWER" ;; esac
umount_fs "$M"
rm -f "$GOOD"/catalog.db*

# stderr of strata: only "strata: " lines; returns the number of lines
check_stderr() {
    local what=$1 f=$2
    if grep -v -q '^strata: ' "$f"; then
        fail "$what: stderr has lines not starting with 'strata: ': $(grep -v '^strata: ' "$f" | head -3)"
    fi
    wc -l <"$f"
}

mapfile -t variants < <("$FORGE" --list)
[ "${#variants[@]}" -ge 50 ] || fail "forge --list gave only ${#variants[@]} variants"
_MOUNTS+=("$M")
for line in "${variants[@]}"; do
    IFS=$'\t' read -r v kind desc <<<"$line"
    R=$T/r
    rm -rf "$R"
    cp -al "$GOOD" "$R"   # hard links: forge replaces files, never writes in place
    "$FORGE" "$R" "$GB" "$v" || fail "forge $v"

    rc=0
    bounded 60 "$STRATA" index --rebuild "$R" >"$T/idx.out" 2>"$T/idx.err" || rc=$?
    [ $rc -ne 124 ] || fail "$v: strata index --rebuild hung"
    [ $rc -lt 128 ] || fail "$v: strata index --rebuild died (exit $rc): $(head -c 400 "$T/idx.err")"
    lines=$(check_stderr "$v: index" "$T/idx.err")
    lrc=0
    bounded 60 "$STRATA" ls "$R" >"$T/ls.out" 2>"$T/ls.err" || lrc=$?
    [ $lrc -ne 124 ] || fail "$v: strata ls hung"
    [ $lrc -lt 128 ] || fail "$v: strata ls died (exit $lrc): $(head -c 400 "$T/ls.err")"
    check_stderr "$v: ls" "$T/ls.err" >/dev/null
    san_check "$v"
    case $kind in
    refuse-repo)
        [ $rc -ne 0 ] && [ "$lines" -eq 1 ] ||
            fail "$v ($desc): index must refuse in one line, got exit $rc and $lines line(s): $(cat "$T/idx.err")"
        [ $lrc -ne 0 ] && [ "$(wc -l <"$T/ls.err")" -eq 1 ] ||
            fail "$v: ls must refuse in one line, got exit $lrc: $(cat "$T/ls.err")"
        frc=0
        bounded 30 "$STRATAFS" "$R" "$M" >"$T/fs.out" 2>"$T/fs.err" || frc=$?
        san_check "$v: stratafs"
        is_mounted "$M" && fail "$v: stratafs mounted a repository with a bad config"
        [ $frc -ne 0 ] && [ $frc -lt 124 ] || fail "$v: stratafs exit $frc: $(cat "$T/fs.err")"
        [ "$(wc -l <"$T/fs.err")" -eq 1 ] && grep -q '^stratafs: ' "$T/fs.err" ||
            fail "$v: stratafs must refuse in one line: $(cat "$T/fs.err")"
        note "$v: refused: $(cat "$T/idx.err")"
        continue
        ;;
    skip)
        [ $rc -eq 0 ] || fail "$v ($desc): index failed (exit $rc) instead of skipping: $(cat "$T/idx.err")"
        grep -q "skipping" "$T/idx.err" || fail "$v ($desc): nothing reported as skipped"
        ;;
    eio|accept|verify)
        [ $rc -eq 0 ] || fail "$v ($desc): index failed (exit $rc): $(cat "$T/idx.err")"
        [ "$lines" -eq 0 ] || fail "$v ($desc): unexpected messages: $(cat "$T/idx.err")"
        grep -q "^$GB " "$T/ls.out" || fail "$v: generation B not listed"
        ;;
    *) fail "forge: unknown kind $kind" ;;
    esac
    [ $lrc -eq 0 ] || fail "$v: ls failed (exit $lrc): $(cat "$T/ls.err")"
    grep -q "^$GA " "$T/ls.out" || fail "$v: generation A not listed by strata ls: $(cat "$T/ls.out")"
    # B is listed only if nothing of it was refused (or the lie is elsewhere)
    if [ "$kind" = skip ] && grep -q "generations/$GB.gen\|skipping pack" "$T/idx.err" &&
        grep -q "^$GB " "$T/ls.out"; then
        fail "$v: generation B was reported skipped but is listed"
    fi

    # ---- the mount ----
    frc=0
    ( [ -z "$VLIMIT" ] || ulimit -v "$VLIMIT"; exec timeout 30 "$STRATAFS" "$R" "$M" ) \
        >"$T/fs.out" 2>"$T/fs.err" || frc=$?
    # (the EXIT trap kills any stratafs whose arguments mention $T; scanning
    # /proc here for every variant would cost seconds each)
    [ $frc -eq 0 ] && is_mounted "$M" || fail "$v: stratafs did not mount (exit $frc): $(cat "$T/fs.err")"
    ask check "$M" "$kind"
    is_mounted "$M" || fail "$v: the mount went away (stratafs crashed?): $ANSWER"
    # let the kernel's asynchronous RELEASEDIRs of the walk reach stratafs
    # before it is unmounted (otherwise it exits with directory handles open)
    sleep 0.1
    umount_fs "$M"
    case $ANSWER in ok*) ;; *) fail "$v ($desc): $ANSWER" ;; esac
    if [ "$kind" = verify ]; then
        # a lie the mount's reads do not depend on: verify must find it
        "$STRATA" verify "$R" >"$T/verify.out" 2>&1 && fail "$v ($desc): verify found nothing"
        grep -q '^damaged: ' "$T/verify.out" || fail "$v: verify: $(head -3 "$T/verify.out")"
    fi
    note "$v: $(sort -u "$T/idx.err" | head -2 | cut -c1-150 | tr '\n' ' ')| mount: ${ANSWER#ok }"
done
echo "ok: ${#variants[@]} hostile variants"
