#!/bin/bash
# Awkward values/names/types, many small chunks; everything compared with the oracle.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/awkward.db
oracle make-awkward "$DB"
"$STRATA" init "$R" --chunk-size 4096 >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z --label awkward >"$T/backup.out" || { cat "$T/backup.out"; fail "backup failed"; }
note "backup summary: $(head -c 500 "$T/backup.out")"
mount_fs "$R" "$M"
G=$M/2026-11-20T020000Z
[ -d "$G" ] || { ls -la "$M" >&2; fail "generation dir $G missing"; }
[ "$(readlink "$M/latest")" = 2026-11-20T020000Z ] || fail "latest -> '$(readlink "$M/latest")', want 2026-11-20T020000Z"

timeout 600 "$PY" "$ORACLE" compare-mount "$DB" "$G" || fail "mount differs from oracle"

# cat (not only python) gives the same bytes
oracle table-csv "$DB" "order items/2024" >"$T/oi.csv"
cmp "$T/oi.csv" "$G/order items%2F2024/order items%2F2024.csv" || fail "cat of order items csv differs"
awk 'FNR==1 && NR>1 {next} {print}' "$G"/big/rows/*.csv >"$T/big_cat.csv"
oracle table-csv "$DB" big >"$T/big.csv"
cmp "$T/big.csv" "$T/big_cat.csv" || fail "header + cat of rows/* bodies of big != oracle"

# many row-range files with a 4 KiB chunk size
n=$(ls "$G/big/rows" | wc -l)
[ "$n" -ge 20 ] || fail "big has only $n rows/ files with --chunk-size 4096"
nk=$(ls "$G/kv/rows" | wc -l)
[ "$nk" -ge 3 ] || fail "kv has only $nk rows/ files"
note "big: $n rows files, kv: $nk rows files"

# generation.json, mtimes, modes, latest
"$PY" - "$DB" "$G" "$M" <<'PYEOF' || fail "metadata checks failed"
import json, os, sqlite3, stat, sys, datetime
db, g, m = sys.argv[1:4]
gj = json.load(open(os.path.join(g, "generation.json")))
errs = []
t = datetime.datetime(2026, 11, 20, 2, 0, 0, tzinfo=datetime.timezone.utc)
try:
    got = datetime.datetime.fromisoformat(gj["time"].replace("Z", "+00:00"))
    if got != t:
        errs.append("generation.json time %r != 2026-11-20T02:00:00Z" % gj["time"])
except Exception as e:
    errs.append("generation.json time %r unparsable: %s" % (gj.get("time"), e))
if gj.get("label") != "awkward":
    errs.append("label %r" % gj.get("label"))
if gj.get("name") != "2026-11-20T020000Z":
    errs.append("name %r" % gj.get("name"))
if not isinstance(gj.get("source"), str) or "awkward.db" not in gj["source"]:
    errs.append("source %r does not mention awkward.db" % gj.get("source"))
con = sqlite3.connect(db)
for tb in gj["tables"]:
    n = con.execute('SELECT count(*) FROM "%s"' % tb["name"].replace('"', '""')).fetchone()[0]
    if tb.get("rows") != n:
        errs.append("table %r rows %r want %d" % (tb["name"], tb.get("rows"), n))
ts = t.timestamp()
def chk_mtime(p):
    st = os.lstat(p)
    if abs(st.st_mtime - ts) > 1e-6:
        errs.append("%s: mtime %s, want %s" % (p, st.st_mtime, ts))
chk_mtime(g)
chk_mtime(os.path.join(g, "generation.json"))
chk_mtime(os.path.join(g, "schema.sql"))
for tb in gj["tables"]:
    d = os.path.join(g, tb["path"])
    chk_mtime(os.path.join(d, tb["path"] + ".csv"))
    for sub in (d, os.path.join(d, "rows")):
        mode = stat.S_IMODE(os.stat(sub).st_mode)
        if mode != 0o555:
            errs.append("%s: mode %o" % (sub, mode))
    for f in os.listdir(os.path.join(d, "rows")):
        mode = stat.S_IMODE(os.stat(os.path.join(d, "rows", f)).st_mode)
        if mode != 0o444:
            errs.append("%s/rows/%s: mode %o" % (d, f, mode))
if stat.S_IMODE(os.stat(m).st_mode) != 0o555:
    errs.append("mount root mode %o" % stat.S_IMODE(os.stat(m).st_mode))
if not os.path.islink(os.path.join(m, "latest")):
    errs.append("latest is not a symlink")
# the whole-table csv of the view must not exist; view in schema.sql
if os.path.exists(os.path.join(g, "big_view")):
    errs.append("view big_view shows up as a table dir")
if b"CREATE VIEW big_view" not in open(os.path.join(g, "schema.sql"), "rb").read():
    errs.append("schema.sql lacks the view")
ts_schema = open(os.path.join(g, "big", "schema.sql"), "rb").read()
for needle in (b"CREATE TABLE big(", b"CREATE INDEX big_name ON big(name);\n"):
    if needle not in ts_schema:
        errs.append("big/schema.sql lacks %r" % needle)
if b"ipk_trg" not in open(os.path.join(g, "ipk", "schema.sql"), "rb").read():
    errs.append("ipk/schema.sql lacks its trigger")
if b"big_name" in open(os.path.join(g, "ipk", "schema.sql"), "rb").read():
    errs.append("ipk/schema.sql contains another table's index")
# negative lookups (twice, to hit any cache) fail with ENOENT
import errno
for p in (os.path.join(g, "no_such_table"), os.path.join(g, "big", "no_such.csv"),
          os.path.join(g, "big", "rows", "0+1.csv"), os.path.join(m, "2026-11-20T020001Z"),
          os.path.join(g, "big", "big.csv", "x")):
    for _ in range(2):
        try:
            os.stat(p)
            errs.append("%s: exists" % p)
        except OSError as e:
            if e.errno not in (errno.ENOENT, errno.ENOTDIR):
                errs.append("%s: errno %s" % (p, errno.errorcode.get(e.errno)))
# st_nlink of dirs is sane and inode numbers are unique
inos = {}
for root, dirs, files in os.walk(g):
    for n in dirs + files:
        st = os.lstat(os.path.join(root, n))
        if st.st_ino in inos:
            errs.append("inode %d shared by %s and %s" % (st.st_ino, inos[st.st_ino], os.path.join(root, n)))
        inos[st.st_ino] = os.path.join(root, n)
for e in errs:
    print("ERR:", e)
sys.exit(1 if errs else 0)
PYEOF

# readdir of a generation with `ls` works and names are as specified
ls "$G" >"$T/ls.txt"
for d in "order items%2F2024" "%2Ehidden" "%73chema.sql" "%67eneration.json" "100%25" "ctl%09tab" big kv pairs empty_table; do
    grep -qxF -- "$d" "$T/ls.txt" || fail "dir '$d' missing from ls of generation"
done
[ -z "$(ls "$G/empty_table/rows")" ] || fail "empty_table/rows not empty"
[ "$(cat "$G/empty_table/empty_table.csv")" = "x,y" ] || fail "empty_table.csv is not just the header"

umount_fs "$M"
echo ok
