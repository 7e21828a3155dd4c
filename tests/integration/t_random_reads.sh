#!/bin/bash
# Random pread()s on a 100k+ row table equal a sequential read and the oracle,
# including reads crossing chunk boundaries, at EOF and past EOF; also with
# concurrent readers and a tiny cache.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo DB=$T/rr.db
"$PY" - "$DB" <<'PYEOF'
import sqlite3, sys, random
r = random.Random(7)
con = sqlite3.connect(sys.argv[1])
con.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL, b BLOB, q TEXT)")
con.executemany("INSERT INTO t VALUES (?,?,?,?,?)",
    ((i, "name %d %s" % (i, "x" * r.randint(0, 40)), r.random() * 1e6, bytes(r.getrandbits(8) for _ in range(r.randint(0, 12))),
      r.choice([None, "", 'say "hi"', "a,b", "multi\nline", "plain"])) for i in range(1, 130001)))
con.execute("CREATE TABLE w(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID")
con.executemany("INSERT INTO w VALUES (?,?)", (("key-%08d-%s" % (i * 7919 % 100003, "y" * (i % 13)), i) for i in range(30000)))
con.commit()
PYEOF
"$STRATA" init "$R" --chunk-size 16384 >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z >/dev/null || fail "backup failed"
oracle table-csv "$DB" t >"$T/t.csv"
oracle table-csv "$DB" w >"$T/w.csv"

run_reads() {
    local mnt=$1
    timeout 600 "$PY" - "$mnt/2026-11-20T020000Z" "$T/t.csv" "$T/w.csv" <<'PYEOF'
import os, sys, random, threading
g, tcsv, wcsv = sys.argv[1:4]
rnd = random.Random(12345)
errs = []

def check_table(name, oracle_path, nreads):
    want = open(oracle_path, "rb").read()
    path = os.path.join(g, name, name + ".csv")
    st = os.stat(path)
    if st.st_size != len(want):
        errs.append("%s: st_size %d != oracle %d" % (name, st.st_size, len(want)))
    # sequential read in odd-sized pieces
    with open(path, "rb", buffering=0) as f:
        parts = []
        while True:
            b = f.read(rnd.choice([1, 7, 4095, 4096, 65536, 100000, 1 << 20]))
            if not b:
                break
            parts.append(b)
    seq = b"".join(parts)
    if seq != want:
        i = next((k for k in range(min(len(seq), len(want))) if seq[k] != want[k]), min(len(seq), len(want)))
        errs.append("%s: sequential read differs from oracle at %d (len %d vs %d)" % (name, i, len(seq), len(want)))
        return
    size = len(want)
    # chunk boundaries from rows/ files
    rows = sorted(f for f in os.listdir(os.path.join(g, name, "rows")) if f.endswith(".csv"))
    hdr = want[:want.index(b"\n") + 1]
    bounds = [len(hdr)]
    for rf in rows:
        bounds.append(bounds[-1] + os.stat(os.path.join(g, name, "rows", rf)).st_size - len(hdr))
    if bounds[-1] != size:
        errs.append("%s: sum of rows/ body sizes %d != table size %d" % (name, bounds[-1], size))
    if len(rows) < 5:
        errs.append("%s: only %d rows/ files" % (name, len(rows)))
    offsets = []
    for _ in range(nreads):
        kind = rnd.random()
        if kind < 0.4:
            b = rnd.choice(bounds)
            off = max(0, b + rnd.randint(-300, 300))
        elif kind < 0.5:
            off = max(0, size - rnd.randint(0, 5000))
        elif kind < 0.55:
            off = size + rnd.randint(0, 10000)
        else:
            off = rnd.randint(0, size)
        ln = rnd.choice([0, 1, 2, 17, 511, 4096, 4097, 65536, 131072, 300000, 1 << 20])
        offsets.append((off, ln))
    offsets += [(size, 10), (size - 1, 10), (0, size + 100), (size + 1, 1), (bounds[len(bounds) // 2] - 1, 2)]
    lock = threading.Lock()
    def worker(items):
        fd = os.open(path, os.O_RDONLY)
        try:
            for off, ln in items:
                got = os.pread(fd, ln, off)
                exp = want[off:off + ln]
                if got != exp:
                    with lock:
                        errs.append("%s: pread(off=%d, len=%d) returned %d bytes, want %d; equal=%s"
                                    % (name, off, ln, len(got), len(exp), got == exp))
        finally:
            os.close(fd)
    ths = [threading.Thread(target=worker, args=(offsets[i::4],)) for i in range(4)]
    for th in ths: th.start()
    for th in ths: th.join()
    # random reads of rows/ files too
    for rf in rnd.sample(rows, min(len(rows), 40)):
        p = os.path.join(g, name, "rows", rf)
        data = open(p, "rb").read()
        fd = os.open(p, os.O_RDONLY)
        for _ in range(20):
            off = rnd.randint(0, len(data) + 10)
            ln = rnd.randint(0, 9000)
            if os.pread(fd, ln, off) != data[off:off + ln]:
                errs.append("%s: pread mismatch at %d+%d" % (p, off, ln))
        os.close(fd)
    print("%s: %d bytes, %d rows files, %d preads" % (name, size, len(rows), len(offsets)))

check_table("t", tcsv, 2500)
check_table("w", wcsv, 800)
for e in errs[:30]:
    print("ERR:", e)
sys.exit(1 if errs else 0)
PYEOF
}

mount_fs "$R" "$T/mnt1"
run_reads "$T/mnt1" || fail "random reads (default cache) failed"
umount_fs "$T/mnt1"

mount_fs "$R" "$T/mnt2" -o cache_size=65536
run_reads "$T/mnt2" || fail "random reads (cache_size=65536) failed"
umount_fs "$T/mnt2"
echo ok
