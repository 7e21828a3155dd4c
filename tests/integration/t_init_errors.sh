#!/bin/bash
# init / backup / stratafs error handling; failed commands leave the repo unchanged.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo
SRC=$T/src.db
sqlite3 "$SRC" "CREATE TABLE a(x INTEGER PRIMARY KEY, y TEXT); INSERT INTO a VALUES (1, 'one'), (2, 'two');"

# init into a non-empty directory that is not a repository
mkdir "$T/nonempty"; echo data >"$T/nonempty/file.txt"
before_ne=$(tree_digest "$T/nonempty")
expect_fail "init non-empty dir" "$STRATA" init "$T/nonempty"
[ "$(tree_digest "$T/nonempty")" = "$before_ne" ] || fail "init of non-empty dir modified it"

# init into an empty existing dir and into a missing dir both work
mkdir "$T/emptydir"
"$STRATA" init "$T/emptydir" >/dev/null || fail "init of an existing empty dir failed"
"$STRATA" init "$R" >/dev/null || fail "init of a missing dir failed"
[ -f "$R/config" ] || fail "no $R/config after init"

"$STRATA" backup "$R" "$SRC" --at 2026-11-20T02:00:00Z --label first >/dev/null || fail "first backup failed"
before=$(tree_digest "$R")

expect_fail "init twice" "$STRATA" init "$R"
expect_fail "init over empty repo" "$STRATA" init "$T/emptydir"
expect_fail "backup into non-repo dir" "$STRATA" backup "$T/nonempty" "$SRC"
[ "$(tree_digest "$T/nonempty")" = "$before_ne" ] || fail "backup into non-repo modified the dir"
expect_fail "backup into missing repo" "$STRATA" backup "$T/missing-repo" "$SRC"
[ ! -e "$T/missing-repo" ] || fail "backup into missing repo created $T/missing-repo"
expect_fail "backup of missing source" "$STRATA" backup "$R" "$T/no-such.db"
"$PY" -c "import random, sys; sys.stdout.buffer.write(random.Random(1).randbytes(65536))" >"$T/random.bin"
expect_fail "backup of random bytes" "$STRATA" backup "$R" "$T/random.bin"
printf 'this is not a database\n%.0s' $(seq 500) >"$T/text.db"
expect_fail "backup of a text file" "$STRATA" backup "$R" "$T/text.db"
expect_fail "backup of a directory" "$STRATA" backup "$R" "$T/nonempty"
expect_fail "backup with bad --at" "$STRATA" backup "$R" "$SRC" --at not-a-time
expect_fail "backup with unknown option" "$STRATA" backup "$R" "$SRC" --no-such-option
expect_fail "unknown command" "$STRATA" frobnicate "$R"
expect_fail "ls of non-repo" "$STRATA" ls "$T/nonempty"
expect_fail "index of non-repo" "$STRATA" index "$T/nonempty"

after=$(tree_digest "$R")
if [ "$before" != "$after" ]; then
    diff <(echo "$before") <(echo "$after") | head -20 >&2
    fail "repository changed by failed commands"
fi
[ "$(tree_digest "$T/nonempty")" = "$before_ne" ] || fail "non-repo dir modified"

# the one good generation is still listed
"$STRATA" ls "$R" --json >"$T/ls.json" || fail "ls failed"
"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); assert len(a)==1 and a[0]["label"]=="first", a' "$T/ls.json" \
    || fail "ls --json should list exactly the one good generation"

# stratafs on a missing mountpoint fails, leaves nothing behind
rc=0
timeout 30 "$STRATAFS" "$R" "$T/no-such-mnt" >"$T/fs.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "stratafs on a missing mountpoint exited 0"
[ $rc -ne 124 ] || fail "stratafs on a missing mountpoint hung (timeout)"
note "stratafs missing mountpoint -> exit $rc: $(head -c 300 "$T/fs.out")"
sleep 0.5
[ -z "$(_stratafs_pids_with_arg "$T/no-such-mnt")" ] || fail "stratafs process left running after failed mount"

# stratafs of a non-repository fails too
mkdir "$T/mnt2"
rc=0
timeout 30 "$STRATAFS" "$T/nonempty" "$T/mnt2" >"$T/fs2.out" 2>&1 || rc=$?
if [ $rc -eq 0 ]; then
    _MOUNTS+=("$T/mnt2")
    fail "stratafs of a non-repository exited 0"
fi
! is_mounted "$T/mnt2" || { _MOUNTS+=("$T/mnt2"); fail "non-repo got mounted"; }
note "stratafs non-repo -> exit $rc: $(head -c 300 "$T/fs2.out")"

# stratafs on a mount point that is already in use fails with a clear message
"$STRATA" backup "$R" "$SRC" --at 2026-11-20T02:00:00Z >/dev/null || fail "backup for the busy-mount check"
mount_fs "$R" "$T/busy"
rc=0
timeout 30 "$STRATAFS" "$R" "$T/busy" >"$T/fs3.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "stratafs on a busy mount point exited 0"
grep -q "busy" "$T/fs3.out" || fail "no 'busy' in the message: $(cat "$T/fs3.out")"
[ "$(wc -l <"$T/fs3.out")" -eq 1 ] || fail "busy mount point: expected one line, got: $(cat "$T/fs3.out")"
ls "$T/busy" >/dev/null || fail "the first mount broke after a refused second mount"
note "stratafs busy mountpoint -> exit $rc: $(cat "$T/fs3.out")"

echo "ok"
