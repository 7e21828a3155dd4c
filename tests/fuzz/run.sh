#!/bin/bash
# run.sh - build the libFuzzer targets with clang and run each one.  This is
# the one implementation; scripts/fuzz.sh (the documented entry point) and
# the fuzz step of scripts/test.sh call it.
#
#   tests/fuzz/run.sh                     20000 runs per target, every target
#   tests/fuzz/run.sh -r 100000           100000 runs per target
#   tests/fuzz/run.sh -t 60 pack csv      60 seconds per target, two targets
#   tests/fuzz/run.sh 100000              (old form of -r)
#   FUZZ_TARGETS="pack manifest" tests/fuzz/run.sh   (old form of a target list)
#
# The build directory is build-fuzz at the top of the tree (FUZZ_BUILD_DIR
# overrides it), configured with CC=clang -Dfuzz=true.  Inputs libFuzzer
# finds go to $BUILD/fuzz-corpus/<target>/ (the seeds in tests/fuzz/corpus
# are read, never written); crashes to $BUILD/fuzz-artifacts/<target>-*.
# A crash input is kept as a regression: copy it to tests/fuzz/corpus/<target>/
# (the meson test fuzz-regress-<target> replays it under gcc), then fix it.
#
# In runs mode (-r) the seed is fixed (FUZZ_SEED, default 1) so that a run
# is reproducible, and each target is also capped at FUZZ_MAX_SECONDS
# (default 30) of wall time; in time mode (-t) the seed is random.
#
# Output: one line per target, "fuzz-<target> ok|CRASH <executions> execs
# cov <edges>"; the exit status is non-zero if any target crashed or the
# build failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bdir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
runs=20000
secs=
usage() { echo "usage: $0 [-r RUNS | -t SECONDS] [TARGET...]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	-t) [ $# -ge 2 ] || usage; secs=$2; shift 2 ;;
	-r) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) usage ;;
	*[!0-9]*) break ;;
	*) runs=$1; shift ;;
	esac
done
case "$runs$secs" in *[!0-9]*) usage ;; esac

all=$(cd "$here" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
if [ $# -gt 0 ]; then
	targets="$*"
else
	targets=${FUZZ_TARGETS:-$all}
fi
for t in $targets; do
	[ -f "$here/fuzz_$t.c" ] || { echo "no such fuzz target: $t (have: $(echo $all))" >&2; exit 2; }
done

# Largest single allocation allowed per target, in MiB (libFuzzer
# -malloc_limit_mb: a malloc of more than this is reported as a crash).
# Every parser must bound its allocations by the bytes it was given (a count
# is checked against the input left before anything is allocated for it),
# so with inputs of at most 64 KiB:
#   config   1  REPO_CONFIG_MAX is 64 KiB; the parser copies one line at a time
#   keycmp   1  allocates nothing from the input
#   name     1  a key name is cut at NAME_KEY_MAX; the work buffer is <= 3 x input
#   render   4  CSV is at most ~4 x the chunk bytes (a 9-byte REAL gives <= 25 chars)
#   csv      4  the same rendering, plus a parse buffer of its size
#   manifest 4  tables: >= 8 bytes each on disk, 88 in memory; chunks: >= 22 on
#               disk, 72 in memory; a count beyond what is left is refused
#               before allocating (MANIFEST_MAX_TABLES x 88 B = 5.5 MiB and
#               MANIFEST_MAX_CHUNKS x 72 B = 72 MiB are never reached from a
#               small input)
#   pack     4  the index is read from the input (count x 48 = what is there);
#               chunk_decode allocates ulen only if the frame declares ulen
#               and ulen <= clen x 32768 (zstd's maximum ratio); the target
#               decodes entries of ulen <= 1 MiB (CHUNK_MAX_ULEN, 2 GiB,
#               bounds the mount)
#   frames   4  the target skips entries of csv_len or ulen > 1 MiB; framed_parse
#               allocates a table of nframes <= clen / 4 offsets, framed_check a
#               side stream of <= ulen + 9 x nrows + 16
#               bytes and one frame (<= 1 MiB,
#               FRAMED_MAX_FRAME); round trips render a <= 64 KiB chunk
#   lookup   8  SQLite's page cache and statements over a fixed small catalog
#   sqlpage  4  a copy of the image, and one payload assembled from overflow
#               pages, which sqlpage.c bounds by the pages the image has
#   verifyrec 1 one 16-byte id per "damaged = " line of >= 43 bytes and one
#               49-byte copy per "damaged_copy = " line of >= 80 bytes (the
#               arrays double: < 2x the input); formatting writes each line
#               back at its length; lines are copied into 128 bytes on the stack
#   keyname  4  keyname_parse: 64 values' readings (~12 KiB), each candidate
#               <= the name + 9 bytes a value; chunk_rows_each: one row's
#               values, nhidden + ncols <= ROW_MAX_VALUES as the shape says
#               (32768 x 40 B = 1.25 MiB from a 6-byte shape: bounded by the
#               constant, not by the input)
limit_of() {
	case "$1" in
	config|keycmp|name|verifyrec|s3xml) echo 1 ;;
	render|csv|manifest|pack|frames|keyname) echo 4 ;;
	lookup) echo 8 ;;
	sqlpage|pagemap) echo 4 ;;
	*) echo 16 ;;
	esac
}

if [ ! -f "$bdir/build.ninja" ]; then
	log=$(mktemp)
	CC=${CC:-clang} meson setup "$bdir" "$root" -Dfuzz=true -Dbuildtype=debugoptimized \
		>"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; echo "fuzz build: meson setup failed" >&2; exit 1; }
	rm -f "$log"
else
	meson configure "$bdir" -Dfuzz=true >/dev/null
fi
if ! ninja -C "$bdir" $(for t in $targets; do printf 'tests/fuzz/fuzz-%s ' "$t"; done) \
	>"$bdir/fuzz-build.log" 2>&1; then
	grep -v '^\[' "$bdir/fuzz-build.log" | head -60 >&2
	echo "fuzz build: failed (log: $bdir/fuzz-build.log)" >&2
	exit 1
fi

mkdir -p "$bdir/fuzz-artifacts"
if [ -n "$secs" ]; then
	mode=(-max_total_time="$secs")
else
	mode=(-runs="$runs" -seed="${FUZZ_SEED:-1}" -max_total_time="${FUZZ_MAX_SECONDS:-30}")
fi

failed=0
for t in $targets; do
	work="$bdir/fuzz-corpus/$t"
	log="$bdir/fuzz-$t.log"
	lim=$(limit_of "$t")
	mkdir -p "$work"
	if "$bdir/tests/fuzz/fuzz-$t" "${mode[@]}" -timeout=10 -rss_limit_mb=1024 \
		-malloc_limit_mb="$lim" -artifact_prefix="$bdir/fuzz-artifacts/$t-" \
		-print_final_stats=1 "$work" "$here/corpus/$t" >"$log" 2>&1; then
		status=ok
	else
		status=CRASH
		failed=1
		tail -n 40 "$log" | sed "s/^/  [fuzz-$t] /" >&2
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
	printf 'fuzz-%-9s %-6s %9s execs  cov %-5s malloc_limit %s MiB\n' "$t" "$status" \
		"${execs:-?}" "${cov:-?}" "$lim"
done
if [ "$failed" -ne 0 ]; then
	echo "crash inputs: $bdir/fuzz-artifacts/ (copy each to tests/fuzz/corpus/<target>/)" >&2
	exit 1
fi
