#!/bin/bash
# Soak (short): 16 concurrent readers for ~30 s over every generation of a
# repository while new backups keep arriving (tests/soak.py; the long version
# is scripts/soak.sh).  Sequential reads, random preads across chunk
# boundaries and at EOF, listings and stats, reads through latest; every byte
# is compared with the oracle.  Fails on any error, any wrong byte, a stratafs
# log line, a failed backup, or a peak RSS (VmHWM) of stratafs above
# cache_size + RSS_MARGIN.
#
# RSS_MARGIN: what stratafs needs besides its chunk cache (code, libraries,
# SQLite catalog cache, FUSE and read-ahead threads with their zstd contexts,
# chunks being decoded or held by in-flight reads, allocator slack).  Measured
# on 2 CPUs with this data set: cache 4 MiB -> peak 18 MiB, 8 MiB -> 23 MiB
# (overhead 14-15 MiB); with the cache bound ignored (cache_size=1 GiB) the
# peak is 36 MiB and still climbing at the end.  So the bar is 4 + 24 MiB.
# (scripts/soak.sh: cache 32 MiB, peak 53-63 MiB over 30-600 s; bar 32 + 48.)
# Under AddressSanitizer (the binary links libasan) RSS says nothing about
# stratafs itself, so only the RSS bar is skipped there.
. "$(dirname "$0")/lib.sh"
require_bins

START=$(date +%s)
SOAK="$ROOT/tests/soak.py"
R=$T/repo DB=$T/soak.db O=$T/oracle M=$T/mnt
CACHE=$((4 << 20))
RSS_MARGIN=$((24 << 20))
RSS_ARGS=()
# (whole outputs captured: grep -q closing a pipe early would trip pipefail)
LIBS=$(ldd "$STRATAFS" 2>/dev/null || true)
SYMS=$(nm "$STRATAFS" 2>/dev/null || true)
if [[ $LIBS == *libasan* || $LIBS == *clang_rt.asan* || $SYMS == *__asan_init* ]]; then
    RSS_ARGS=(--no-rss-bar)
    note "stratafs is built with AddressSanitizer: RSS bar not applied"
fi

"$STRATA" init "$R" --chunk-size 16384 >/dev/null
"$PY" "$SOAK" writer "$DB" "$R" "$O" --strata "$STRATA" --from 1 --to 8 --rows 20000 \
    || fail "initial backups failed"
STRATA_MOUNT_FG=1 mount_fs "$R" "$M" -o cache_size=$CACHE
FSPID=${_PIDS[-1]}   # mount_fs in foreground mode records the stratafs pid last
note "8 generations ready after $(( $(date +%s) - START )) s"

bg "$PY" "$SOAK" writer "$DB" "$R" "$O" --strata "$STRATA" --from 9 --rows 20000 \
    --interval 1 --stop-file "$T/stop"
WRITER=$!

# about 30 s of soak, less if the set-up was slow (whole test within ~45 s)
DUR=$(( 40 - ( $(date +%s) - START ) ))
[ $DUR -le 30 ] || DUR=30
[ $DUR -ge 15 ] || DUR=15
rc=0
"$PY" "$SOAK" run "$M" "$O" --duration $DUR --readers 16 --procs 4 \
    --pid "$FSPID" --cache-size $CACHE --rss-margin $RSS_MARGIN "${RSS_ARGS[@]}" || rc=$?

touch "$T/stop"
wait "$WRITER" || fail "the backup writer failed"
umount_fs "$M"
# let it finish exiting (sanitizer reports at exit land in its log too)
fs_exited() { [ ! -e "/proc/$FSPID" ] || [ "$(sed 's/.*) //' "/proc/$FSPID/stat" 2>/dev/null | cut -c1)" = Z ]; }
wait_until 10 fs_exited || fail "stratafs still running 10 s after unmount"
fsrc=0
wait "$FSPID" || fsrc=$?
[ $fsrc -eq 0 ] || fail "stratafs exited $fsrc"
LOG=$T/stratafs.$(basename -- "$M").log
if [ -s "$LOG" ] && grep -q . "$LOG"; then
    sed 's/^/    /' "$LOG" | head -n 20 >&2
    fail "stratafs logged errors during the soak"
fi
[ $rc -eq 0 ] || fail "soak failed (see the figures above)"
note "whole test took $(( $(date +%s) - START )) s"
echo ok
