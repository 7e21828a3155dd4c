#!/bin/bash
# The typed views beside CSV, through the mount: every table's .jsonl parsed
# line by line equals the source row by row, storage classes included
# (integers exact, reals to the last bit, -0.0 and infinities, text that is
# not UTF-8, blobs); replaying a table's schema.sql and then its .sql into
# an empty database gives the source table's .dump; rows/*.jsonl and
# rows/*.sql concatenate to the table's; every size is what a read gives;
# -o formats= chooses the files; a generation from before the views (the
# format 1 fixture) has CSV only.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/src.db
oracle make-restore "$DB"
"$STRATA" init "$R" --chunk-size 4096 >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z >/dev/null || fail "backup"
mount_fs "$R" "$M"
G=$M/2026-11-20T020000Z
timeout 600 "$PY" - "$DB" "$G" "$ORACLE" <<'PYEOF' || fail "views differ from the source"
import importlib.util, json, math, os, sqlite3, struct, subprocess, sys
db, g, orc = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("oracle", orc); o = importlib.util.module_from_spec(spec); spec.loader.exec_module(o)
meta = o.connect(db)              # names, as the oracle reads them
con = sqlite3.connect(db)         # values, text as bytes (it need not be UTF-8)
con.text_factory = bytes
errs = []

def want_json(ty, v):
    """What the JSONL encoding (docs/FORMAT.md "JSONL") must give for a value."""
    if ty == b"null":
        return None
    if ty == b"integer":
        return v
    if ty == b"real":
        if math.isinf(v):
            return {"real": "Infinity" if v > 0 else "-Infinity"}
        return v
    if ty == b"text":
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return {"text_hex": v.hex()}
    return {"blob": bytes(v).hex()}

def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is type(b) and struct.pack("<d", a) == struct.pack("<d", b)
    return type(a) is type(b) and a == b

ntables = nrows = 0
for tb in o.table_names(meta) + ["sqlite_sequence", "sqlite_stat1"]:
    tdir = os.path.join(g, o.enc_name(tb)[0].decode())
    if meta.execute("SELECT count(*) FROM sqlite_schema WHERE name=? AND sql LIKE 'CREATE VIRTUAL%'", (tb,)).fetchone()[0]:
        continue  # a virtual table: its rows are its shadow tables'
    cols = [c[1] if isinstance(c[1], bytes) else c[1].encode()
            for c in meta.execute("SELECT * FROM pragma_table_info(?)", (tb,))]
    qcols = ", ".join("typeof(%s), %s" % (o.qi(c.decode()), o.qi(c.decode())) for c in cols)
    rows = con.execute("SELECT %s FROM %s %s" % (qcols, o.qi(tb), o.order_clause(meta, tb))).fetchall()
    path = os.path.join(tdir, os.path.basename(tdir) + ".jsonl")
    data = open(path, "rb").read()
    if len(data) != os.stat(path).st_size:
        errs.append("%s: read %d bytes, st_size %d" % (path, len(data), os.stat(path).st_size))
    lines = data.split(b"\n")
    if lines[-1] != b"" or len(lines) - 1 != len(rows):
        errs.append("%s: %d lines for %d rows" % (path, len(lines) - 1, len(rows)))
        continue
    for i, (line, row) in enumerate(zip(lines, rows)):
        obj = json.loads(line)
        keys = list(obj.keys())
        if keys != [c.decode() for c in cols]:
            errs.append("%s line %d: keys %r" % (path, i + 1, keys)); break
        for k, c in enumerate(cols):
            w = want_json(row[2 * k], row[2 * k + 1])
            if not same(obj[c.decode()], w):
                errs.append("%s line %d, %s: %r, want %r" % (path, i + 1, c.decode(), obj[c.decode()], w)); break
    # rows/ files concatenate to the whole file, in every format
    rdir = os.path.join(tdir, "rows")
    for ext in ("jsonl", "sql"):
        whole = open(os.path.join(tdir, os.path.basename(tdir) + "." + ext), "rb").read()
        parts = b"".join(open(os.path.join(rdir, f), "rb").read()
                         for f in sorted(os.listdir(rdir)) if f.endswith("." + ext))
        if parts != whole:
            errs.append("%s: rows/*.%s do not concatenate to the table's .%s" % (tb, ext, ext))
        for f in os.listdir(rdir):
            p = os.path.join(rdir, f)
            if f.endswith("." + ext) and len(open(p, "rb").read()) != os.stat(p).st_size:
                errs.append("%s: size differs from what a read gives" % p)
    # schema.sql then .sql into an empty database: the table's .dump
    # (triggers fire on a replay: the trigger of seqd writes log; documented)
    trig = meta.execute("SELECT count(*) FROM sqlite_schema WHERE type='trigger' AND tbl_name=?", (tb,)).fetchone()[0]
    if not trig and not tb.startswith("sqlite_") and not tb.startswith("docs_"):
        new = db + ".replay.db"
        if os.path.exists(new):
            os.remove(new)
        script = open(os.path.join(tdir, "schema.sql"), "rb").read() + \
                 open(os.path.join(tdir, os.path.basename(tdir) + ".sql"), "rb").read()
        r = subprocess.run(["sqlite3", new], input=script, capture_output=True)
        d1 = subprocess.run(["sqlite3", db, ".dump --preserve-rowids '%s'" % tb.replace("'", "''")], capture_output=True).stdout
        d2 = subprocess.run(["sqlite3", new, ".dump --preserve-rowids '%s'" % tb.replace("'", "''")], capture_output=True).stdout
        if r.returncode or r.stderr or d1 != d2:
            errs.append("%s: schema.sql + .sql replay: rc %d %s; dump %s" % (tb, r.returncode, r.stderr[:200], "differs" if d1 != d2 else "same"))
    ntables += 1
    nrows += len(rows)
print("# %d tables, %d rows checked in JSONL and SQL" % (ntables, nrows))
for e in errs[:20]:
    print("ERR:", e)
sys.exit(1 if errs else 0)
PYEOF
umount_fs "$M"

# -o formats=csv: only CSV files; formats=jsonl: no CSV
mount_fs "$R" "$M" -o formats=csv
[ -z "$(find "$M/2026-11-20T020000Z" -name '*.jsonl' -o -name '*.sql' ! -name schema.sql ! -name schema.pg.sql)" ] ||
    fail "-o formats=csv still shows jsonl or sql files"
[ ! -e "$M/2026-11-20T020000Z/vals/vals.jsonl" ] || fail "-o formats=csv: vals.jsonl looks up"
umount_fs "$M"
mount_fs "$R" "$M" -o formats=jsonl,sql
[ -z "$(find "$M/2026-11-20T020000Z" -name '*.csv')" ] || fail "-o formats=jsonl,sql still shows csv files"
[ -s "$M/2026-11-20T020000Z/vals/vals.jsonl" ] || fail "-o formats=jsonl,sql: no vals.jsonl"
umount_fs "$M"
rc=0
"$STRATAFS" "$R" "$M" -o formats=xml 2>"$T/err" || rc=$?
[ $rc -eq 2 ] && grep -q "formats takes csv, jsonl and sql" "$T/err" || fail "-o formats=xml: exit $rc: $(cat "$T/err")"

# a generation from before the views: CSV only, and the mount says nothing wrong
FX=$(cd "$(dirname "$0")/../fixtures" && pwd)
cp -r "$FX/v1-repo" "$T/v1" && mkdir -p "$T/v1/tmp"
"$STRATA" index "$T/v1" >/dev/null
"$STRATA" ls "$T/v1" 2026-01-01T000000Z/orders >"$T/ls.out" || fail "strata ls of a v1 table"
grep -q "orders.csv$" "$T/ls.out" && ! grep -q "jsonl\|orders.sql" "$T/ls.out" ||
    fail "a v1 generation lists: $(cat "$T/ls.out")"
echo ok
