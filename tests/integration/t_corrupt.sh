#!/bin/bash
# A flipped byte inside a pack's chunk data: reads touching that chunk fail
# with EIO, never return wrong bytes; other tables still read fine.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/c.db
"$PY" - "$DB" <<'PYEOF'
import sqlite3, sys, random
r = random.Random(3)
con = sqlite3.connect(sys.argv[1])
con.execute("CREATE TABLE big(id INTEGER PRIMARY KEY, t TEXT, n REAL)")
con.executemany("INSERT INTO big VALUES (?,?,?)",
                ((i, "".join(r.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(r.randint(5, 60))), r.random()) for i in range(60000)))
for k in range(1, 6):
    con.execute("CREATE TABLE small%d(id INTEGER PRIMARY KEY, v TEXT)" % k)
    con.executemany("INSERT INTO small%d VALUES (?,?)" % k, ((i, "small %d row %d" % (k, i)) for i in range(50)))
con.commit()
PYEOF
"$STRATA" init "$R" --chunk-size 16384 --pack-size 65536 >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z >/dev/null || fail "backup failed"
mapfile -t packs < <(find "$R/packs" -type f -name '*.pack' | sort)
[ ${#packs[@]} -ge 1 ] || fail "no pack files under $R/packs"
note "${#packs[@]} pack files"

# choose the chunk to damage by content, not by position: workers append
# chunks to packs in completion order, so which pack is largest and what sits
# in its middle changes from run to run.  Among the framed chunks of big
# (SFC3, docs/FORMAT.md; the small tables' chunks are far smaller), the
# one with the smallest id; in it a byte inside its middle CSV frame, and a
# byte of its side streams.
"$PY" - "${packs[@]}" >"$T/flip.txt" <<'PYEOF'
import struct, sys
cands = []
for p in sys.argv[1:]:
    data = open(p, "rb").read()
    ioff, count = struct.unpack_from("<QI", data, len(data) - 32)
    for i in range(count):
        cid, off, clen, ulen, nrows, csv_len = struct.unpack_from("<16sQIIQQ", data, ioff + 48 * i)
        if data[off:off + 4] == b"SFC3" and nrows > 60:
            cands.append((cid, p, off))
assert cands, "no framed chunk of big in the packs"
cid, p, off = min(cands)
data = open(p, "rb").read()
nsegs, nframes = struct.unpack_from("<II", data, off + 4)
side_clen = sum(struct.unpack_from("<I", data, off + 48 + 48 * i + 20)[0] for i in range(nsegs))
table = struct.unpack_from("<%dI" % nframes, data, off + 48 + 48 * nsegs)
side = off + 48 + 48 * nsegs + 4 * nframes
k = nframes // 2
start = side + side_clen + sum(table[:k])
print(p, start + max(8, table[k] // 3), side + side_clen // 2,
      "chunk %s, CSV frame %d of %d at %d..%d" % (cid.hex(), k, nframes, start, start + table[k]))
PYEOF
read -r PACK POS SIDEPOS HOW <"$T/flip.txt"
flip() {
    "$PY" -c '
import sys
p, pos = sys.argv[1], int(sys.argv[2])
with open(p, "r+b") as f:
    f.seek(pos); b = f.read(1); f.seek(pos); f.write(bytes([b[0] ^ 0x5a]))
' "$PACK" "$1"
}
note "flipping byte at $POS of $PACK ($HOW)"
flip "$POS"
rc=0; "$STRATA" verify "$R" >"$T/verify.out" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "verify exit $rc, want 3 (damage): $(cat "$T/verify.out")"
grep -q "damaged:.*$(basename "$PACK" .pack)" "$T/verify.out" || fail "verify does not name the pack: $(cat "$T/verify.out")"

mount_fs "$R" "$M"
G=$M/2026-11-20T020000Z
timeout 300 "$PY" - "$DB" "$G" "$ORACLE" <<'PYEOF' || fail "corruption handling wrong"
import errno, os, sys, importlib.util
db, g, orc = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("oracle", orc); o = importlib.util.module_from_spec(spec); spec.loader.exec_module(o)
con = o.connect(db)
eio, ok, wrong = [], [], []
def check(path, want):
    for attempt in range(2):
        try:
            with open(path, "rb") as f:
                got = f.read()
        except OSError as e:
            if e.errno == errno.EIO:
                eio.append(path) if attempt == 0 else None
                continue
            wrong.append("%s: unexpected errno %s" % (path, errno.errorcode.get(e.errno)))
            return
        if got != want:
            wrong.append("%s: WRONG BYTES (attempt %d, got %d bytes, want %d)" % (path, attempt, len(got), len(want)))
            return
        if attempt == 0:
            ok.append(path)
    # second attempt must behave like the first (no caching of bad data)
for t in o.table_names(con):
    hdr = o.header_line(con, t)
    keyed = list(o.row_keys_and_lines(con, t))
    body = b"".join(l for _, l in keyed)
    check(os.path.join(g, t, t + ".csv"), hdr + body)
    # rows files: each must be a correct consecutive piece of the body or EIO
    rows = sorted(f for f in os.listdir(os.path.join(g, t, "rows")) if f.endswith(".csv"))
    pos = 0
    for rf in rows:
        p = os.path.join(g, t, "rows", rf)
        size = os.stat(p).st_size
        piece = body[pos:pos + size - len(hdr)]
        check(p, hdr + piece)
        pos += size - len(hdr)
    # random-offset reads of the whole-table file: EIO or correct bytes
    p = os.path.join(g, t, t + ".csv")
    fd = os.open(p, os.O_RDONLY)
    want = hdr + body
    # A read that ends in a bad chunk may return the pages before it that
    # the kernel already holds (a short count, as read(2) does for any
    # error after some bytes); those bytes must be right, and reading on
    # from where it stopped gives right bytes or EIO again.
    def pread_check(off, n):
        try:
            got = os.pread(fd, n, off)
        except OSError as e:
            return None if e.errno == errno.EIO else "errno %s" % errno.errorcode.get(e.errno)
        if got != want[off:off + len(got)]:
            return "wrong bytes"
        if len(got) == min(n, len(want) - off):
            return None
        if not got:
            return "empty read before the end of the file"
        return pread_check(off + len(got), n - len(got))
    for off in range(0, len(want), max(1, len(want) // 50)):
        err = pread_check(off, 5000)
        if err:
            wrong.append("%s: pread at %d: %s" % (p, off, err))
            break
    os.close(fd)
for f in ("generation.json", "schema.sql"):
    try:
        open(os.path.join(g, f), "rb").read()
    except OSError as e:
        print("note: %s unreadable: %s" % (f, e))
print("EIO: %d files, OK: %d files, wrong: %d" % (len(eio), len(ok), len(wrong)))
for p in eio[:10]:
    print("  EIO:", p)
for w in wrong:
    print("ERR:", w)
bad = bool(wrong)
if not eio:
    print("ERR: no read failed with EIO after corrupting a chunk"); bad = True
if not any(p.endswith(".csv") and "/rows/" not in p for p in ok):
    print("ERR: no whole-table csv is readable; corruption of one chunk must not break other tables"); bad = True
if not any("/big/rows/" in p for p in ok) and any("/big/" in p for p in eio):
    print("ERR: no rows/ file of big readable; only the chunk touched should fail"); bad = True
sys.exit(1 if bad else 0)
PYEOF
umount_fs "$M"

# strata cat meets the same damage: status 3, a line naming the pack, and
# what it wrote before stopping is a prefix of the right bytes, never wrong
# bytes; an undamaged table is written whole
oracle table-csv "$DB" big >"$T/big.want"
rc=0
"$STRATA" cat "$R" 2026-11-20T020000Z/big/big.csv >"$T/big.got" 2>"$T/cat.err" || rc=$?
[ $rc -eq 3 ] || fail "strata cat of a damaged table: exit $rc, want 3: $(cat "$T/cat.err")"
grep -q "bad chunk .*$(basename "$PACK" .pack)" "$T/cat.err" || fail "strata cat does not name the pack: $(cat "$T/cat.err")"
grep -q "^strata: '2026-11-20T020000Z/big/big.csv' cannot be read: its data is damaged" "$T/cat.err" ||
    fail "strata cat's last line: $(tail -n1 "$T/cat.err")"
got=$(stat -c %s "$T/big.got") want=$(stat -c %s "$T/big.want")
[ "$got" -lt "$want" ] || fail "strata cat wrote $got bytes of a damaged $want-byte table"
cmp -s -n "$got" "$T/big.got" "$T/big.want" || fail "strata cat wrote wrong bytes before the damage"
oracle table-csv "$DB" small3 >"$T/s3.want"
"$STRATA" cat "$R" 2026-11-20T020000Z/small3/small3.csv >"$T/s3.got" || fail "strata cat of an undamaged table failed"
cmp "$T/s3.got" "$T/s3.want" || fail "strata cat of an undamaged table differs"

# the side stream (types and rowids, which the CSV does not carry) is never
# read for CSV: damage there leaves every CSV file correct, the files that
# rebuild the typed rows (the table's .sql, dump.sql) fail with EIO rather
# than give wrong bytes, and verify finds it
flip "$POS"
flip "$SIDEPOS"
note "flipping byte at $SIDEPOS (side stream of the same chunk)"
"$STRATA" verify "$R" >"$T/verify2.out" 2>&1 && fail "verify missed side stream damage"
grep -q "damaged:.*$(basename "$PACK" .pack)" "$T/verify2.out" || fail "verify: $(cat "$T/verify2.out")"
mount_fs "$R" "$M"
oracle compare-mount --csv "$DB" "$M/2026-11-20T020000Z" || fail "side stream damage changed served bytes"
for f in big/big.sql dump.sql; do
    cat "$M/2026-11-20T020000Z/$f" >/dev/null 2>"$T/cat.err" && fail "$f read whole over a damaged side stream"
    grep -q "Input/output error" "$T/cat.err" || fail "$f over a damaged side stream: $(cat "$T/cat.err")"
done
umount_fs "$M"

# verify recorded the damaged copy (REPO/verify-status: the chunk id, and the
# pack holding it); status reports the damage with exit 3
PK=$(basename "$PACK" .pack)
grep -q "^damaged = " "$R/verify-status" || fail "verify did not record the damaged chunk: $(cat "$R/verify-status")"
grep -q "^damaged_copy = [0-9a-f]\{32\} $PK\$" "$R/verify-status" || fail "verify did not record the damaged copy: $(cat "$R/verify-status")"
rc=0
"$STRATA" status "$R" >"$T/s.out" 2>"$T/s.err" || rc=$?
[ $rc -eq 3 ] || fail "status after verify found damage: exit $rc, want 3: $(cat "$T/s.out" "$T/s.err")"
grep -q "last full verify: .*DAMAGED" "$T/s.out" || fail "status does not show the damage: $(cat "$T/s.out")"
# --read-data: 100% is the full check; a sample (which may or may not draw the
# damaged chunk) is recorded as a quick check and never clears what the full
# one found; bad values are usage errors
expect_err 2 'percentage' "$STRATA" verify "$R" --read-data=0
expect_err 2 'percentage' "$STRATA" verify "$R" --read-data=101
expect_err 2 'percentage' "$STRATA" verify "$R" --read-data=x
expect_err 2 'contradict' "$STRATA" verify "$R" --quick --read-data
rc=0
"$STRATA" verify "$R" --read-data=100% >"$T/v100.out" 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "verify --read-data=100% missed the damage (exit $rc)"
grep -q "MiB/s" "$T/v100.out" || fail "verify gives no rate: $(tail -1 "$T/v100.out")"
cp "$R/verify-status" "$T/vs.full"
rc=0
"$STRATA" verify "$R" --read-data=5 >"$T/v5.out" 2>&1 || rc=$?
[ $rc -eq 0 ] || [ $rc -eq 3 ] || fail "verify --read-data=5: exit $rc: $(cat "$T/v5.out")"
grep -q "a random sample" "$T/v5.out" || fail "a sampled verify does not say so: $(tail -1 "$T/v5.out")"
grep -q "^quick.time = " "$R/verify-status" || fail "a sampled verify was not recorded as a quick check"
grep '^damaged' "$T/vs.full" >"$T/dl"
[ -s "$T/dl" ] || fail "test bug: the full check recorded no damage"
while read -r l; do
    grep -qxF "$l" "$R/verify-status" || fail "a sampled verify dropped '$l' of the full check"
done <"$T/dl"
grep "^full\." "$T/vs.full" | cmp -s - <(grep "^full\." "$R/verify-status") || fail "a sampled verify changed the full check's record"
# a record written by an older strata names ids only: a backup needing the
# chunk reuses it and says so (exit 3, one line), as it did then
cp "$R/verify-status" "$T/vs.saved"
grep -v '^damaged_copy' "$T/vs.saved" >"$R/verify-status"
for how in --force ""; do
    rc=0
    "$STRATA" backup "$R" "$DB" $how >"$T/b.out" 2>"$T/b.err" || rc=$?
    [ $rc -eq 3 ] || fail "backup ${how:-(unchanged source)} reusing a damaged chunk: exit $rc, want 3: $(cat "$T/b.out" "$T/b.err")"
    grep -q "reuses 1 chunks that 'strata verify' found damaged" "$T/b.err" || fail "backup did not say it reuses a damaged chunk: $(cat "$T/b.err")"
    [ "$(wc -l <"$T/b.err")" -eq 1 ] || fail "backup said more than one line: $(cat "$T/b.err")"
done
cp "$T/vs.saved" "$R/verify-status"
# self-healing: the next backup that needs the chunk stores it again (exit 0,
# and it says so); every generation using it, the first one included, then
# reads the new copy: its .sql and dump.sql read whole and exact again
rc=0
"$STRATA" backup "$R" "$DB" --force >"$T/b.out" 2>"$T/b.err" || rc=$?
[ $rc -eq 0 ] || fail "backup that heals a damaged chunk: exit $rc: $(cat "$T/b.out" "$T/b.err")"
grep -q "^healed: stored again 1 chunk that 'strata verify' found damaged; the [0-9]* generations using it read the new copy from now on\$" "$T/b.out" ||
    fail "backup does not say it healed: $(cat "$T/b.out")"
mount_fs "$R" "$M"
oracle compare-mount "$DB" "$M/2026-11-20T020000Z" || fail "the first generation is not whole after healing"
umount_fs "$M"
"$STRATA" cat "$R" 2026-11-20T020000Z/dump.sql >/dev/null || fail "strata cat of dump.sql after healing"
"$STRATA" backup "$R" "$DB" --force >"$T/b.out" 2>&1 || fail "a backup after healing: $(cat "$T/b.out")"
grep -q healed "$T/b.out" && fail "a chunk was stored again twice: $(cat "$T/b.out")"
# healed: an unchanged source is not read again (its generation's chunks are all served intact)
"$STRATA" backup "$R" "$DB" >"$T/b.out" 2>&1 || fail "an unchanged backup after healing: $(cat "$T/b.out")"
grep -q "source unchanged since" "$T/b.out" || fail "after healing, an unchanged source was read again: $(cat "$T/b.out")"
# verify: the damaged copy is a note now (an intact copy serves it), not damage
"$STRATA" verify "$R" >"$T/v3.out" 2>&1 || fail "verify after healing: $(cat "$T/v3.out")"
grep -q "^note: pack packs/.*$PK.pack: chunk .* healed: an intact copy" "$T/v3.out" || fail "verify does not note the healed copy: $(cat "$T/v3.out")"
grep -q "1 damaged copy healed" "$T/v3.out" || fail "verify summary: $(tail -1 "$T/v3.out")"
"$STRATA" status "$R" >/dev/null || fail "status after verify found only healed copies"
# prune drops the damaged copy (its pack is rewritten without it); then verify has nothing to say
"$STRATA" prune "$R" >"$T/p.out" || fail "prune: $(cat "$T/p.out")"
[ ! -e "$PACK" ] || fail "prune kept the pack holding the damaged copy: $(cat "$T/p.out")"
"$STRATA" verify "$R" >"$T/v4.out" 2>&1 || fail "verify after prune: $(cat "$T/v4.out")"
grep -q "healed" "$T/v4.out" && fail "verify still finds a damaged copy after prune: $(cat "$T/v4.out")"
mount_fs "$R" "$M"
oracle compare-mount "$DB" "$M/2026-11-20T020000Z" || fail "the first generation after prune"
umount_fs "$M"
echo ok
