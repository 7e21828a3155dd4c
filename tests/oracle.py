#!/usr/bin/python3
"""Independent oracle for strata.

Renders, straight from a SQLite database via Python's sqlite3 module, what
every file of a mounted strata generation must contain, and compares a
mounted generation directory with it.  Standard library only.

Subcommands:
  tables DB                      JSON list of {"name","path","rows"}
  table-csv DB TABLE             whole-table CSV on stdout (bytes)
  table-body DB TABLE            CSV without header line
  schema-sql DB [TABLE]          CREATE statements expected in schema.sql
  enc-name NAME                  the directory name of a table
  compare-mount DB GENDIR [--strict-names] [--raw]
                                 compare a generation directory with DB;
                                 exit 0 when equal, 1 with the first
                                 difference(s) on stdout.  --raw reads DB
                                 through the SQLite C API (ctypes), for
                                 names that are not valid UTF-8, which
                                 Python's sqlite3 cannot put into SQL
  compare-tables DB GENDIR [--raw] TABLE...
                                 compare-mount for the named tables only
  table-sha256 DB TABLE          sha256 and length of the whole-table CSV,
                                 streamed (for tables with huge values)
  render DB OUTDIR [ROWS_PER_FILE]
                                 write the expected generation tree into a
                                 plain directory (self-test of compare-mount)
  make-awkward DB                create the awkward test database
  make-shop DB --day N [--orders N]
                                 create/evolve the shop sample database
  invariant-check GENDIR         (concurrent writer test) check the bank
                                 invariant on a mounted generation
"""

import errno
import hashlib
import json
import os
import subprocess
import tempfile
import random
import re
import sqlite3
import stat
import sys

def json_name(s):
    """A name as generation.json carries it: bytes that are not valid UTF-8
    (surrogate-escaped here) read back as U+0080..U+00FF."""
    return "".join(chr(ord(ch) - 0xdc00) if 0xdc80 <= ord(ch) <= 0xdcff else ch for ch in s)


# rows/ layout of huge tables (include/strata/naming.h): the limits a mount
# must respect, not strata's (content-defined) grouping itself
ROWS_FLAT_MAX = 4096     # at most this many files directly in rows/
ROWS_GROUP_MAX = 4096    # files per key-range directory
ROWS_DIR_LIMIT = 10000   # entries in rows/ of any table (the bound)

# ---------------------------------------------------------------------------
# CSV rendering


def fmt_real(x):
    if x != x:  # NaN cannot be stored by SQLite (becomes NULL) but be safe
        return b"NaN"
    if x == float("inf"):
        return b"Infinity"
    if x == float("-inf"):
        return b"-Infinity"
    s = None
    for p in (15, 16, 17):
        s = "%.*g" % (p, x)
        if float(s) == x:
            break
    if not any(c in s for c in ".eni"):
        s += ".0"
    return s.encode("ascii")


def quote_text(b):
    if (b == b"" or b"," in b or b'"' in b or b"\r" in b or b"\n" in b
            or b == b"\\."):
        return b'"' + b.replace(b'"', b'""') + b'"'
    return b


def fmt_value(v, t):
    if t == "null":
        return b""
    if t == "integer":
        return str(v).encode("ascii")
    if t == "real":
        return fmt_real(float(v))
    if t == "text":
        if isinstance(v, str):
            v = v.encode("utf-8", "surrogatepass")
        return quote_text(bytes(v))
    if t == "blob":
        return b"\\x" + bytes(v).hex().encode("ascii")
    raise ValueError("unknown type %r" % t)


def qi(name):
    """Quote an identifier for SQL."""
    return '"' + name.replace('"', '""') + '"'


def connect(path):
    if not os.path.exists(path):
        raise SystemExit("oracle: no such database: %s" % path)
    uri = "file:%s?mode=ro" % path.replace("?", "%3f").replace("#", "%23")
    con = sqlite3.connect(uri, uri=True)
    con.text_factory = bytes
    return con


# ---------------------------------------------------------------------------
# raw access through the SQLite C API (ctypes): SQL text and names as bytes.
# Python's sqlite3 encodes SQL strictly as UTF-8, so it cannot name a table
# whose name is not valid UTF-8; this connection encodes str with
# surrogateescape and otherwise behaves like connect()'s (TEXT as bytes).

_RAW_LIB = None


def _raw_lib():
    global _RAW_LIB
    if _RAW_LIB is None:
        import ctypes
        import ctypes.util
        L = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
        vp, ip, cp = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
        L.sqlite3_open_v2.argtypes = [cp, ctypes.POINTER(vp), ip, cp]
        L.sqlite3_prepare_v2.argtypes = [vp, cp, ip, ctypes.POINTER(vp), ctypes.POINTER(vp)]
        L.sqlite3_step.argtypes = [vp]
        L.sqlite3_finalize.argtypes = [vp]
        L.sqlite3_close_v2.argtypes = [vp]
        L.sqlite3_errmsg.argtypes = [vp]
        L.sqlite3_errmsg.restype = cp
        L.sqlite3_column_count.argtypes = [vp]
        L.sqlite3_column_type.argtypes = [vp, ip]
        L.sqlite3_column_int64.argtypes = [vp, ip]
        L.sqlite3_column_int64.restype = ctypes.c_int64
        L.sqlite3_column_double.argtypes = [vp, ip]
        L.sqlite3_column_double.restype = ctypes.c_double
        L.sqlite3_column_text.argtypes = [vp, ip]
        L.sqlite3_column_text.restype = vp
        L.sqlite3_column_blob.argtypes = [vp, ip]
        L.sqlite3_column_blob.restype = vp
        L.sqlite3_column_bytes.argtypes = [vp, ip]
        L.sqlite3_bind_text.argtypes = [vp, ip, cp, ip, vp]
        L.sqlite3_bind_blob.argtypes = [vp, ip, cp, ip, vp]
        L.sqlite3_bind_int64.argtypes = [vp, ip, ctypes.c_int64]
        L.sqlite3_bind_double.argtypes = [vp, ip, ctypes.c_double]
        L.sqlite3_bind_null.argtypes = [vp, ip]
        _RAW_LIB = (L, ctypes)
    return _RAW_LIB


class _RawCursor:
    def __init__(self, gen):
        self._gen = gen

    def __iter__(self):
        return self._gen

    def fetchone(self):
        return next(self._gen, None)

    def fetchall(self):
        return list(self._gen)


class RawConnection:
    def __init__(self, path):
        L, ctypes = _raw_lib()
        self._db = ctypes.c_void_p()
        rc = L.sqlite3_open_v2(os.fsencode(path), ctypes.byref(self._db), 1, None)  # READONLY
        if rc:
            raise sqlite3.OperationalError("cannot open %s: %d" % (path, rc))

    def _err(self):
        L, _ = _raw_lib()
        return sqlite3.OperationalError(L.sqlite3_errmsg(self._db).decode("utf-8", "replace"))

    def _rows(self, st):
        L, ctypes = _raw_lib()
        try:
            n = L.sqlite3_column_count(st)
            while True:
                rc = L.sqlite3_step(st)
                if rc == 101:  # DONE
                    return
                if rc != 100:  # ROW
                    raise self._err()
                row = []
                for i in range(n):
                    t = L.sqlite3_column_type(st, i)
                    if t == 1:
                        row.append(L.sqlite3_column_int64(st, i))
                    elif t == 2:
                        row.append(L.sqlite3_column_double(st, i))
                    elif t == 3:
                        p = L.sqlite3_column_text(st, i)
                        row.append(ctypes.string_at(p, L.sqlite3_column_bytes(st, i)) if p else b"")
                    elif t == 4:
                        p = L.sqlite3_column_blob(st, i)
                        nb = L.sqlite3_column_bytes(st, i)
                        row.append(ctypes.string_at(p, nb) if p and nb else b"")
                    else:
                        row.append(None)
                yield tuple(row)
        finally:
            L.sqlite3_finalize(st)

    def execute(self, sql, params=()):
        L, ctypes = _raw_lib()
        st = ctypes.c_void_p()
        b = sql.encode("utf-8", "surrogateescape") if isinstance(sql, str) else bytes(sql)
        if L.sqlite3_prepare_v2(self._db, b, len(b), ctypes.byref(st), None):
            raise self._err()
        transient = ctypes.c_void_p(-1)
        for i, v in enumerate(params, 1):
            if v is None:
                L.sqlite3_bind_null(st, i)
            elif isinstance(v, int):
                L.sqlite3_bind_int64(st, i, v)
            elif isinstance(v, float):
                L.sqlite3_bind_double(st, i, v)
            elif isinstance(v, str):
                e = v.encode("utf-8", "surrogateescape")
                L.sqlite3_bind_text(st, i, e, len(e), transient)
            else:
                e = bytes(v)
                L.sqlite3_bind_blob(st, i, e, len(e), transient)
        return _RawCursor(self._rows(st))

    def close(self):
        L, _ = _raw_lib()
        L.sqlite3_close_v2(self._db)


def connect_raw(path):
    if not os.path.exists(path):
        raise SystemExit("oracle: no such database: %s" % path)
    return RawConnection(path)


def table_names(con):
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type='table' "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").fetchall()
    return [r[0].decode("utf-8", "surrogateescape") for r in rows]


def columns(con, table):
    rows = con.execute("PRAGMA table_info(%s)" % qi(table)).fetchall()
    # cid, name, type, notnull, dflt, pk
    return [(r[1].decode("utf-8", "surrogateescape"), r[5]) for r in rows]


def is_without_rowid(con, table):
    sql = con.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name=?",
                      (table,)).fetchone()[0]
    sql = sql.decode("utf-8", "surrogateescape")
    # last ")" followed by table options
    tail = sql[sql.rfind(")") + 1:]
    if re.search(r"without\s+rowid", tail, re.I):
        return True
    try:
        con.execute("SELECT _rowid_ FROM %s LIMIT 0" % qi(table))
    except sqlite3.OperationalError:
        return True
    return False


def is_key_ordered(con, table):
    """A rowid table whose declared primary key is not the rowid (SQLite made
    an index for it): strata stores it in that key's order, rowid last."""
    if is_without_rowid(con, table):
        return False
    return any(r[3] in ("pk", b"pk") for r in con.execute("PRAGMA index_list(%s)" % qi(table)))


def pk_names(con, table):
    cols = columns(con, table)
    return [n for _, n in sorted((p, n) for n, p in cols if p > 0)]


def order_clause(con, table):
    if is_without_rowid(con, table):
        return "ORDER BY " + ", ".join(qi(n) + " COLLATE BINARY" for n in pk_names(con, table))
    if is_key_ordered(con, table):
        return "ORDER BY " + ", ".join(qi(n) + " COLLATE BINARY" for n in pk_names(con, table)) + \
            ", _rowid_"
    return "ORDER BY _rowid_"


def user_key(pkvals, rowid):
    """The key a key-ordered table's names show: the declared key, and the
    rowid too when the key holds a NULL (docs/FORMAT.md "Row-range file names")."""
    if any(t == "null" for t, _ in pkvals):
        return pkvals + (("integer", rowid),)
    return pkvals


# SQLite's default limit on result columns (SQLITE_MAX_COLUMN); a select of
# every column and its typeof() needs twice as many as the table has
RESULT_COLUMNS_MAX = 2000


def row_keys_and_lines(con, table):
    """Yields (key tuple of (type,value), csv line bytes) for each row."""
    cols = columns(con, table)
    wr = is_without_rowid(con, table)
    if 2 * len(cols) + 2 * sum(1 for _, p in cols if p > 0) + 1 > RESULT_COLUMNS_MAX:
        yield from _row_keys_and_lines_wide(con, table, cols, wr)
        return
    sel = []
    for n, _ in cols:
        sel.append(qi(n))
        sel.append("typeof(%s)" % qi(n))
    ko = not wr and is_key_ordered(con, table)
    if wr or ko:
        pk = pk_names(con, table)
        for n in pk:
            sel.append(qi(n))
            sel.append("typeof(%s)" % qi(n))
    else:
        pk = []
    if not wr:
        sel.append("_rowid_")
    sql = "SELECT %s FROM %s %s" % (", ".join(sel) if sel else "1", qi(table),
                                    order_clause(con, table))
    nc = len(cols)
    for r in con.execute(sql):
        fields = [fmt_value(r[2 * i], r[2 * i + 1].decode()) for i in range(nc)]
        line = b",".join(fields) + b"\n"
        pkv = tuple((r[2 * nc + 2 * i + 1].decode(), r[2 * nc + 2 * i]) for i in range(len(pk)))
        if wr:
            key = pkv
        elif ko:
            key = user_key(pkv, r[2 * nc + 2 * len(pk)])
        else:
            key = (("integer", r[2 * nc]),)
        yield key, line


def _row_keys_and_lines_wide(con, table, cols, wr):
    """row_keys_and_lines for tables too wide for one select: the key in a
    first select, then the columns in slices, each select in the same order
    (one connection, no writes in between), zipped row by row."""
    order = order_clause(con, table)
    ko = not wr and is_key_ordered(con, table)
    if wr or ko:
        pk = pk_names(con, table)
        ksel = ", ".join("%s, typeof(%s)" % (qi(n), qi(n)) for n in pk)
        if ko:
            ksel += ", _rowid_"
    else:
        pk = []
        ksel = "_rowid_"
    per = (RESULT_COLUMNS_MAX - 1) // 2
    slices = [cols[i:i + per] for i in range(0, len(cols), per)]
    its = [iter(con.execute("SELECT %s FROM %s %s" % (ksel, qi(table), order)))]
    for sl in slices:
        sel = ", ".join("%s, typeof(%s)" % (qi(n), qi(n)) for n, _ in sl)
        its.append(iter(con.execute("SELECT %s FROM %s %s" % (sel, qi(table), order))))
    for parts in zip(*its):
        kr = parts[0]
        pkv = tuple((kr[2 * i + 1].decode(), kr[2 * i]) for i in range(len(pk)))
        if wr:
            key = pkv
        elif ko:
            key = user_key(pkv, kr[2 * len(pk)])
        else:
            key = (("integer", kr[0]),)
        fields = []
        for r in parts[1:]:
            fields.extend(fmt_value(r[2 * i], r[2 * i + 1].decode()) for i in range(len(r) // 2))
        yield key, b",".join(fields) + b"\n"


def header_line(con, table):
    return b",".join(quote_text(n.encode("utf-8", "surrogateescape"))
                     for n, _ in columns(con, table)) + b"\n"


def table_csv(con, table):
    out = [header_line(con, table)]
    out.extend(l for _, l in row_keys_and_lines(con, table))
    return b"".join(out)


def row_count(con, table):
    return con.execute("SELECT count(*) FROM %s" % qi(table)).fetchone()[0]


# ---------------------------------------------------------------------------
# names

RESERVED = ("schema.sql", "generation.json")


def enc_name(name):
    """Table directory name.  Returns (prefix, truncated) where truncated
    means the real name is prefix + '~' + 16 lowercase hex of some hash."""
    b = name.encode("utf-8", "surrogateescape")
    out = bytearray()
    for i, c in enumerate(b):
        if c in (0x2F, 0x25) or 0x01 <= c <= 0x1F or c == 0x7F:
            out += b"%%%02X" % c
        elif i == 0 and c == 0x2E:
            out += b"%2E"
        else:
            out.append(c)
    if name in RESERVED:
        out = bytearray(b"%%%02X" % b[0]) + out[1:]
    if not out:
        return b"%00", False  # docs/FORMAT.md: the empty name becomes %00
    if len(out) > 200:
        # docs/FORMAT.md: cut to 200 bytes, moved back so that it does not
        # split a UTF-8 sequence or a %XX escape
        cut = 200
        while cut > 0 and (out[cut] & 0xC0) == 0x80:
            cut -= 1
        if cut >= 1 and out[cut - 1] == 0x25:
            cut -= 1
        elif cut >= 2 and out[cut - 2] == 0x25:
            cut -= 2
        return bytes(out[:cut]), True
    return bytes(out), False


def name_matches(dirname_b, name):
    pre, trunc = enc_name(name)
    if not trunc:
        return dirname_b == pre
    return re.fullmatch(re.escape(pre) + rb"~[0-9a-f]{16}", dirname_b) is not None


def enc_key_component(t, v):
    if t == "integer":
        if v >= 0:
            return b"%019d" % v
        return b"-%019d" % (v + 2 ** 63)
    if t == "text":
        b = bytes(v)
        out = bytearray()
        for c in b:
            if 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A:
                out.append(c)
            elif c <= 0x2F:
                out += b"-%02X" % c
            elif 0x3A <= c <= 0x40:
                out += b"@%02X" % c
            elif 0x5B <= c <= 0x60:
                out += b"_%02X" % c
            else:
                out += b"~%02X" % c
        return bytes(out)
    if t == "blob":
        return b"x" + bytes(v).hex().encode()
    if t == "real":
        return None  # unspecified
    if t == "null":
        return None
    return None


def enc_key(key):
    parts = [enc_key_component(t, v) for t, v in key]
    if any(p is None for p in parts):
        return None, False
    s = b",".join(parts)
    if len(s) > 100:
        return s[:100], True
    return s, False


def key_matches(enc_b, key):
    want, trunc = enc_key(key)
    if want is None:
        return True  # cannot check
    if not trunc:
        return enc_b == want
    return re.fullmatch(re.escape(want) + rb"~~[0-9a-f]{16}", enc_b) is not None


# ---------------------------------------------------------------------------
# CSV splitting for diagnostics

def split_records(data):
    """Split CSV bytes into records (list of list of raw field bytes),
    keeping quotes in fields.  Tolerant of malformed input."""
    recs = []
    fields = []
    cur = bytearray()
    i = 0
    n = len(data)
    inq = False
    while i < n:
        c = data[i]
        if inq:
            cur.append(c)
            if c == 0x22:
                if i + 1 < n and data[i + 1] == 0x22:
                    cur.append(0x22)
                    i += 1
                else:
                    inq = False
        else:
            if c == 0x22:
                inq = True
                cur.append(c)
            elif c == 0x2C:
                fields.append(bytes(cur))
                cur = bytearray()
            elif c == 0x0A:
                fields.append(bytes(cur))
                recs.append(fields)
                fields = []
                cur = bytearray()
            else:
                cur.append(c)
        i += 1
    if cur or fields:
        fields.append(bytes(cur))
        recs.append(fields)
    return recs


def first_difference(label, got, want, header):
    """Human-readable description of the first difference."""
    if got == want:
        return None
    # find first differing byte
    n = min(len(got), len(want))
    pos = next((i for i in range(n) if got[i] != want[i]), n)
    gr = split_records(got)
    wr = split_records(want)
    hdr = split_records(header)[0] if header else None
    msg = ["%s: differs (got %d bytes, want %d bytes), first differing byte at offset %d"
           % (label, len(got), len(want), pos)]
    for ri in range(max(len(gr), len(wr))):
        g = gr[ri] if ri < len(gr) else None
        w = wr[ri] if ri < len(wr) else None
        if g == w:
            continue
        if g is None:
            msg.append("  record %d missing; want %r" % (ri, b",".join(w)[:300]))
        elif w is None:
            msg.append("  extra record %d: %r" % (ri, b",".join(g)[:300]))
        else:
            msg.append("  record %d:" % ri)
            for fi in range(max(len(g), len(w))):
                gf = g[fi] if fi < len(g) else None
                wf = w[fi] if fi < len(w) else None
                if gf != wf:
                    col = hdr[fi].decode("utf-8", "replace") if hdr and fi < len(hdr) else "?"
                    msg.append("    field %d (column %s): got %r, want %r"
                               % (fi, col, None if gf is None else gf[:200],
                                  None if wf is None else wf[:200]))
                    break
            msg.append("    got  record: %r" % b",".join(g)[:300])
            msg.append("    want record: %r" % b",".join(w)[:300])
        break
    return "\n".join(msg)


# ---------------------------------------------------------------------------
# schema

def schema_statements(con, table=None):
    if table is None:
        rows = con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").fetchall()
    else:
        rows = con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE sql IS NOT NULL AND tbl_name=? AND type IN ('table','index','trigger') "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'", (table,)).fetchall()
    return [(r[0].decode(), r[1], r[3]) for r in rows]


# ---------------------------------------------------------------------------
# compare-mount


class Cmp:
    def __init__(self):
        self.errors = []
        self.warnings = []

    def err(self, m):
        self.errors.append(m)

    def warn(self, m):
        self.warnings.append(m)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def check_size(c, path, data):
    st = os.stat(path)
    if st.st_size != len(data):
        c.err("%s: st_size %d != bytes read %d" % (path, st.st_size, len(data)))
    if not stat.S_ISREG(st.st_mode):
        c.err("%s: not a regular file" % path)
    if stat.S_IMODE(st.st_mode) != 0o444:
        c.err("%s: mode %o, want 444" % (path, stat.S_IMODE(st.st_mode)))


def compare_mount(dbpath, gendir, strict_names=False, gen_time=None, raw=False, only=None,
                  dump=True):
    """only: compare just these tables' directories (the generation's
    listing and generation.json are still checked)."""
    con = connect_raw(dbpath) if raw else connect(dbpath)
    c = Cmp()
    gd = os.fsencode(gendir)
    st = os.stat(gd)
    if stat.S_IMODE(st.st_mode) != 0o555:
        c.err("%s: dir mode %o, want 555" % (gendir, stat.S_IMODE(st.st_mode)))
    tables = table_names(con)
    # SQLite's own tables that strata keeps for exact restores (mount layout 3)
    internal = [r[0].decode() for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name IN "
        "('sqlite_sequence', 'sqlite_stat1', 'sqlite_stat4') ORDER BY name")]
    shadow = {r[0].encode() if isinstance(r[0], str) else r[0] for r in con.execute(
        "SELECT name FROM pragma_table_list WHERE schema='main' AND type='shadow'")}
    # generation.json
    gj_path = os.path.join(gd, b"generation.json")
    gjraw = read_file(gj_path)
    check_size(c, gj_path, gjraw)
    try:
        # JSON is UTF-8: a name byte outside valid UTF-8 is written \u00xx
        gj = json.loads(gjraw.decode("utf-8"))
    except Exception as e:  # noqa
        c.err("generation.json does not parse: %s" % e)
        gj = {"tables": []}
    # layout 3 (docs/FORMAT.md): JSONL and SQL views, SQLite's own tables kept
    views = gj.get("format", 2) >= 3
    # layout 4: dump.sql, schema.pg.sql (generation and table)
    layout4 = gj.get("format", 2) >= 4
    if views:
        tables = sorted(tables + internal)
    for k in ("id", "name", "time", "label", "source", "tables"):
        if k not in gj:
            c.err("generation.json: missing key %r" % k)
    if gj.get("name") is not None and gj.get("name") != os.path.basename(gendir.rstrip("/")):
        c.err("generation.json name %r != dir name %r" % (gj.get("name"), os.path.basename(gendir)))
    gtabs = {}
    for t in gj.get("tables", []):
        gtabs[t.get("name")] = t
    if set(gtabs) != {json_name(t) for t in tables}:
        c.err("generation.json tables %r != db tables %r"
              % (sorted(gtabs), sorted(json_name(t) for t in tables)))
    # schema.sql
    sp = os.path.join(gd, b"schema.sql")
    sraw = read_file(sp)
    check_size(c, sp, sraw)
    for typ, name, sql in schema_statements(con):
        if views and name in shadow:
            continue  # made by its virtual table: not in a layout 3 schema.sql
        if sql + b";\n" not in sraw:
            c.err("schema.sql: missing %s %r statement %r" % (typ, name, sql[:120]))
    # directory listing
    entries = set(os.listdir(gd))
    expected_dirs = {}
    for t in tables:
        info = gtabs.get(json_name(t), {})
        path = info.get("path")
        # the directory whose name generation.json's "path" carries (json_name form)
        pb = None
        if isinstance(path, str):
            hits = [e for e in entries if json_name(os.fsdecode(e)) == path]
            pb = hits[0] if len(hits) == 1 else os.fsencode(path)
        if pb is None:
            pre, trunc = enc_name(t)
            if trunc:
                cands = [e for e in entries if name_matches(e, t)]
                pb = cands[0] if cands else pre
            else:
                pb = pre
        if not name_matches(pb, t):
            c.err("table %r: directory %r, want %r" % (t, pb, enc_name(t)))
        expected_dirs[pb] = t
        if "rows" in info:
            n = row_count(con, t)
            if info["rows"] != n:
                c.err("generation.json: table %r rows %r, want %d" % (t, info["rows"], n))
    want_entries = set(expected_dirs) | {b"generation.json", b"schema.sql"}
    if layout4:
        want_entries |= {b"dump.sql", b"schema.pg.sql"}
    if entries != want_entries:
        c.err("generation dir entries: extra %r missing %r"
              % (sorted(entries - want_entries), sorted(want_entries - entries)))
    if layout4 and b"dump.sql" in entries and only is None and dump:
        check_dump_sql(c, dbpath, os.path.join(gd, b"dump.sql"))
    for pb, t in sorted(expected_dirs.items()):
        if pb not in entries:
            continue
        if only is not None and t not in only:
            continue
        pg = layout4 and not t.startswith("sqlite_") and os.fsencode(t) not in shadow
        compare_table(c, con, t, os.path.join(gd, pb), pb, strict_names, views, pg)
    return c


def check_dump_sql(c, dbpath, path):
    """dump.sql replayed by the sqlite3 shell gives a database whose
    `.dump --preserve-rowids` is the source's, byte for byte."""
    raw = read_file(path)
    check_size(c, path, raw)
    with tempfile.TemporaryDirectory() as td:
        new = os.path.join(td, "new.db")
        r = subprocess.run(["sqlite3", new], input=raw, capture_output=True)
        if r.returncode or r.stderr:
            c.err("dump.sql does not replay: %r" % r.stderr[:300])
            return
        dumps = [subprocess.run(["sqlite3", db, ".dump --preserve-rowids"], capture_output=True,
                                check=True).stdout for db in (dbpath, new)]
        if dumps[0] != dumps[1]:
            c.err("dump.sql replayed: .dump differs from the source's: %s"
                  % first_difference("dump", dumps[1], dumps[0], b""))


def compare_table(c, con, t, tdir, pb, strict_names, views=False, pg=False):
    """views: the table also has <dir>.jsonl, <dir>.sql and their rows/
    files (their content is t_views' to check; here that they are there);
    pg: schema.pg.sql (t_postgres loads it)."""
    ents = set(os.listdir(tdir))
    # layout 5: key/ (lookup-only) and the changes files (t_navigate checks them)
    want = {b"schema.sql", pb + b".csv", b"rows", b"key"}
    if pb != b"changes":
        want.add(b"changes.csv")
    if views:
        want |= {pb + b".jsonl", pb + b".sql"}
        if pb != b"changes":
            want.add(b"changes.jsonl")
    if pg:
        want.add(b"schema.pg.sql")
    if ents != want:
        c.err("%r: entries %r, want %r" % (tdir, sorted(ents), sorted(want)))
    # schema
    sp = os.path.join(tdir, b"schema.sql")
    if os.path.exists(sp) and not t.startswith("sqlite_"):
        sraw = read_file(sp)
        check_size(c, sp, sraw)
        for typ, name, sql in schema_statements(con, t):
            if sql + b";\n" not in sraw:
                c.err("%r: missing %s %r statement" % (sp, typ, name))
    header = header_line(con, t)
    keyed = list(row_keys_and_lines(con, t))
    body = b"".join(l for _, l in keyed)
    want_csv = header + body
    cp = os.path.join(tdir, pb + b".csv")
    if os.path.exists(cp):
        got = read_file(cp)
        check_size(c, cp, got)
        d = first_difference(os.fsdecode(cp), got, want_csv, header)
        if d:
            c.err(d)
    rd = os.path.join(tdir, b"rows")
    if not os.path.isdir(rd):
        c.err("%r: no rows/ dir" % tdir)
        return
    allnames = os.listdir(rd)
    # names sort as keys only when each key column holds one storage class
    # (docs/FORMAT.md "Ordering guarantee"); a key-ordered rowid table may
    # hold NULL keys ('n'), which sort after digits: then the listing order,
    # which is key order, is the order
    mixed = len({tuple(t for t, _ in k) for k, _ in keyed}) > 1
    listed = [n for n in allnames if not n.endswith((b".jsonl", b".sql"))]
    top = listed if mixed else sorted(listed)  # bytes sort == LC_ALL=C ls
    if views:
        # every row-range file in each format, and nothing else
        csvs = {n[:-4] for n in allnames if n.endswith(b".csv")}
        for ext in (b".jsonl", b".sql"):
            got = {n[:-len(ext)] for n in allnames if n.endswith(ext)}
            if got != csvs:
                c.err("%r: %s files %d, csv files %d" % (rd, ext, len(got), len(csvs)))
    elif len(top) != len(allnames):
        c.err("%r: .jsonl or .sql files in a layout without views" % rd)
    # a table of more than ROWS_FLAT_MAX chunks has key-range directories in
    # rows/ (docs/FORMAT.md, "Mount layout"), each named <first>+<last> of
    # the files it holds; files of all groups in order are the chunks
    entries = []  # (path, name)
    dirs = [nm for nm in top if os.path.isdir(os.path.join(rd, nm))]
    if dirs:
        if len(dirs) != len(top):
            c.err("%r: mixes key-range directories and files" % rd)
        if len(top) > ROWS_DIR_LIMIT:
            c.err("%r: %d entries, more than %d" % (rd, len(top), ROWS_DIR_LIMIT))
        for dn in dirs:
            suball = os.listdir(os.path.join(rd, dn))
            sub = sorted(n for n in suball if n.endswith(b".csv"))
            if views and len(suball) != 3 * len(sub):
                c.err("%r: %d files for %d csv files" % (dn, len(suball), len(sub)))
            if not sub or len(sub) > ROWS_GROUP_MAX:
                c.err("%r: %d files in a key-range directory" % (dn, len(sub)))
                continue
            want = sub[0].split(b"+")[0] + b"+" + sub[-1][:-4].split(b"+")[-1]
            if dn != want:
                c.err("%r: key-range directory name, want %r" % (dn, want))
            entries += [(os.path.join(rd, dn, f), f) for f in sub]
        if len(entries) <= ROWS_FLAT_MAX:
            c.err("%r: key-range directories for only %d chunks" % (rd, len(entries)))
    else:
        entries = [(os.path.join(rd, nm), nm) for nm in top]
        if len(entries) > ROWS_FLAT_MAX:
            c.err("%r: %d files in one directory (more than %d)" % (rd, len(entries), ROWS_FLAT_MAX))
    names = [nm for _, nm in entries]
    if not keyed and names:
        c.err("%r: empty table but rows/ has %d files" % (rd, len(names)))
    if keyed and not names:
        c.err("%r: no rows files for non-empty table" % rd)
    parts = []
    prev_last = None
    ki = 0
    for p, nm in entries:
        data = read_file(p)
        check_size(c, p, data)
        if not data.startswith(header):
            c.err("%r: does not start with header %r" % (p, header[:100]))
            continue
        b = data[len(header):]
        if not b:
            c.err("%r: has no rows" % p)
        parts.append(b)
        sp = nm[:-4].split(b"+") if nm.endswith(b".csv") else []
        if len(sp) != 2:
            c.err("%r: name not <first>+<last>.csv" % p)
            continue
        first, last = sp
        if first > last:
            (c.warn if mixed else c.err)("%r: first > last" % p)
        if prev_last is not None and not prev_last < first:
            (c.warn if mixed else c.err)("%r: overlaps/out of order with previous (prev last %r)"
                                         % (p, prev_last))
        prev_last = last
        # check keys of first/last row (informational unless strict)
        nrows = b.count(b"\n")  # approx: lines; correct when no newline in fields
        lines_here = []
        acc = 0
        while ki < len(keyed) and acc < len(b):
            acc += len(keyed[ki][1])
            lines_here.append(keyed[ki][0])
            ki += 1
        if lines_here and acc == len(b):
            fk, lk = lines_here[0], lines_here[-1]
            if not key_matches(first, fk) or not key_matches(last, lk):
                msg = "%r: name does not encode keys first=%r last=%r (want %r + %r)" % (
                    p, fk, lk, enc_key(fk)[0], enc_key(lk)[0])
                (c.err if strict_names else c.warn)(msg)
    cat = b"".join(parts)
    d = first_difference(os.fsdecode(rd) + "/* concatenated bodies", cat, body, header)
    if d:
        c.err(d)


# ---------------------------------------------------------------------------
# render: write the expected generation directory into a plain directory
# (self-test of compare-mount; chunking here is by a fixed row count, not
# strata's content-defined chunking, and long names use a fake hash)


def render(dbpath, outdir, rows_per_file=1000, name="2026-11-20T020000Z"):
    con = connect(dbpath)
    gd = os.path.join(outdir, name)
    os.makedirs(gd)
    tabs = []
    for t in table_names(con):
        pre, trunc = enc_name(t)
        if trunc:
            pre += b"~" + hashlib.sha256(t.encode("utf-8", "surrogateescape")).hexdigest()[:16].encode()
        tabs.append({"name": t, "path": os.fsdecode(pre), "rows": row_count(con, t)})
        td = os.path.join(os.fsencode(gd), pre)
        os.makedirs(os.path.join(td, b"rows"))
        with open(os.path.join(td, b"schema.sql"), "wb") as f:
            f.write(b"".join(sql + b";\n" for _, _, sql in schema_statements(con, t)))
        hdr = header_line(con, t)
        keyed = list(row_keys_and_lines(con, t))
        with open(os.path.join(td, pre + b".csv"), "wb") as f:
            f.write(hdr + b"".join(l for _, l in keyed))
        for i in range(0, len(keyed), rows_per_file):
            part = keyed[i:i + rows_per_file]
            def enc(k):
                e, tr = enc_key(k)
                return e + (b"~~" + b"0" * 16 if tr else b"")
            fn = enc(part[0][0]) + b"+" + enc(part[-1][0]) + b".csv"
            with open(os.path.join(td, b"rows", fn), "wb") as f:
                f.write(hdr + b"".join(l for _, l in part))
    with open(os.path.join(gd, "schema.sql"), "wb") as f:
        f.write(b"".join(sql + b";\n" for _, _, sql in schema_statements(con)))
    with open(os.path.join(gd, "generation.json"), "w") as f:
        json.dump({"id": 1, "name": name, "time": "2026-11-20T02:00:00Z", "label": None,
                   "source": os.path.abspath(dbpath), "tables": tabs}, f)
    for root, dirs, files in os.walk(gd):
        for fn in files:
            os.chmod(os.path.join(root, fn), 0o444)
        os.chmod(root, 0o555)
    return gd


# ---------------------------------------------------------------------------
# awkward database

def make_awkward(path):
    if os.path.exists(path):
        os.unlink(path)
    con = sqlite3.connect(path)
    rnd = random.Random(4242)
    cur = con.cursor()
    cur.executescript("""
    PRAGMA page_size=4096;
    CREATE TABLE texts(t TEXT, note TEXT);
    CREATE TABLE numbers(id INTEGER PRIMARY KEY, i INTEGER, r REAL, anyv, n NUMERIC);
    CREATE TABLE blobs(id INTEGER PRIMARY KEY, b BLOB, t TEXT);
    CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
    CREATE TABLE pairs(a INTEGER, b TEXT, v REAL, PRIMARY KEY(a, b)) WITHOUT ROWID;
    CREATE TABLE empty_table(x INTEGER, y TEXT);
    CREATE TABLE "order items/2024"(id INTEGER PRIMARY KEY, item TEXT, qty INTEGER);
    CREATE TABLE ipk(id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE big(id INTEGER PRIMARY KEY, name TEXT, amount REAL, flag INTEGER, tag);
    CREATE TABLE gaps(a TEXT, b INTEGER);
    CREATE TABLE mixed(v);
    CREATE TABLE ".hidden"(x);
    CREATE TABLE "schema.sql"(x);
    CREATE TABLE "generation.json"(x);
    CREATE TABLE "100%"(x);
    CREATE TABLE "ctl	tab"(x);
    CREATE TABLE "ünïcode 表"(x);
    CREATE INDEX big_name ON big(name);
    CREATE INDEX "idx on order items" ON "order items/2024"(item);
    CREATE VIEW big_view AS SELECT id, name FROM big WHERE flag = 1;
    CREATE TRIGGER ipk_trg AFTER INSERT ON ipk BEGIN UPDATE ipk SET name = name WHERE id = new.id; END;
    """)
    cur.execute('CREATE TABLE "weird ""cols"""("col,with,commas" TEXT, "quote""col" INTEGER, "nl\ncol" TEXT, "" TEXT)')
    long_name = "L" * 150 + "/" + "x" * 80
    cur.execute("CREATE TABLE %s(x)" % qi(long_name))
    cur.execute("INSERT INTO %s VALUES (1)" % qi(long_name))
    for t in (".hidden", "schema.sql", "generation.json", "100%", "ctl\ttab", "ünïcode 表"):
        cur.execute("INSERT INTO %s VALUES (?)" % qi(t), (t,))
    texts = [
        (None, "null"), ("", "empty"), ('"', "quote"), ('a"b""c', "quotes"),
        ("a,b", "comma"), ("line1\nline2", "lf"), ("cr\rx", "cr"), ("crlf\r\n", "crlf"),
        ("tab\there", "tab"), ("héllo wörld ✓ 日本語 🎉", "utf8"), ("\\.", "backslash-dot"),
        ("\\.x", "backslash-dot-x"), ("\\", "backslash"), (" lead/trail ", "spaces"),
        ("NULL", "word NULL"), ("\\N", "backslash N"), ("'single'", "single quotes"),
        ("x" * 5000, "long"), (",", "only comma"), ("\n", "only lf"), ('""', "two quotes"),
        ("=1+2", "formula"), ("\x7f\x01", "ctl"),
    ]
    cur.executemany("INSERT INTO texts VALUES (?, ?)", texts)
    cur.execute("INSERT INTO texts VALUES (CAST(x'610062' AS TEXT), 'embedded nul')")
    cur.execute("INSERT INTO texts VALUES (CAST(x'fffe80' AS TEXT), 'invalid utf8 2')")
    reals = [0.1 + 0.2, 1e300, 5e-324, -0.0, 0.0, 1.0, -1.0, 0.1, 1.5e-07, 1e16, 1e15,
             123456789012345678.0, 2.0 ** 53, 2.0 ** 53 + 2, 1 / 3, -2 / 3, 1e-5, 1e-4,
             1.7976931348623157e308, 2.2250738585072014e-308, 100.0, 1e21, 1e22,
             float("inf"), float("-inf"), 3.141592653589793, 9007199254740993.0]
    ints = [-2 ** 63, 2 ** 63 - 1, 0, -1, 1, 2 ** 31, -2 ** 31, 2 ** 53 + 1, 127, 128,
            32767, 32768, 8388607, 8388608, 2 ** 47, 2 ** 48 - 1, -(2 ** 47)]
    anyvals = [None, 1, 1.5, "text", b"\x00\x01", -0.0, "", b"", 2 ** 63 - 1,
               float("inf"), "12", "1.0"]
    n = max(len(reals), len(ints), len(anyvals))
    for k in range(n):
        cur.execute("INSERT INTO numbers(i, r, anyv, n) VALUES (?,?,?,?)",
                    (ints[k % len(ints)], reals[k % len(reals)],
                     anyvals[k % len(anyvals)],
                     [1, 1.0, 1.5, "1", "abc", None, 2 ** 62, "1e3", -0.0][k % 9]))
    # -0.0 stored in a column without affinity keeps its sign
    cur.execute("INSERT INTO numbers(i, r, anyv, n) VALUES (NULL, NULL, ?, NULL)", (-0.0,))
    cur.execute("INSERT INTO numbers(i, r, anyv, n) VALUES ('notint', 'notreal', NULL, NULL)")
    cur.execute("INSERT INTO numbers(i, r, anyv, n) VALUES (1.0, 2, 3, 4.0)")
    cur.execute("INSERT INTO numbers(i, r, anyv, n) VALUES (1.5, '3.0', ' 7', '0x10')")
    blobs = [b"", b"\x00", b"\x00\x00\x00", bytes(range(256)),
             bytes(rnd.getrandbits(8) for _ in range(3000)),
             bytes(rnd.getrandbits(8) for _ in range(200000)), None]
    for b in blobs:
        cur.execute("INSERT INTO blobs(b, t) VALUES (?, ?)", (b, None if b is None else "len%d" % len(b)))
    cur.execute("INSERT INTO blobs(b, t) VALUES (NULL, ?)", ("big text " * 12000,))
    cur.execute("INSERT INTO blobs(id, b, t) VALUES (?, x'ab', 'max rowid')", (2 ** 63 - 1,))
    cur.execute("INSERT INTO blobs(id, b, t) VALUES (?, x'cd', 'min rowid')", (-2 ** 63,))
    cur.execute("INSERT INTO blobs(id, b, t) VALUES (-5, x'ef', 'negative rowid')")
    # kv: text keys, many rows for several chunks
    keys = set()
    specials = ["", " ", "+", ",", "/", "a+b", "a,b", "a b", "A", "a", "Z", "_", "~",
                "é", "日本", "🎉", "\x01", "\x7f", "\\.", '"q"', "%41", ".", "..",
                "k" * 150, "k" * 150 + "1", "k" * 150 + "2", "1", "10", "9"]
    for s in specials:
        keys.add(s)
    while len(keys) < 4000:
        L = rnd.randint(1, 24)
        keys.add("".join(rnd.choice("abcdefghijXYZ0123456789 -_+,./é日") for _ in range(L)))
    for k in sorted(keys):  # a set's order changes with PYTHONHASHSEED
        cur.execute("INSERT INTO kv VALUES (?, ?)", (k, rnd.choice([None, rnd.random(), rnd.randint(-9, 9), "v" + k, b"\x00" + k.encode()])))
    # pairs: composite (int, text)
    seen = set()
    while len(seen) < 5000:
        a = rnd.choice([-2 ** 63, 2 ** 63 - 1, rnd.randint(-50, 50), rnd.randint(-2 ** 40, 2 ** 40)])
        b = rnd.choice(["", "x", "y,z", "b+c", "ä", "".join(rnd.choice("abcXYZ09 ") for _ in range(rnd.randint(0, 10)))])
        if (a, b) in seen:
            continue
        seen.add((a, b))
        cur.execute("INSERT INTO pairs VALUES (?, ?, ?)", (a, b, rnd.choice([None, rnd.uniform(-1e6, 1e6), 0.5])))
    cur.executemany('INSERT INTO "order items/2024"(item, qty) VALUES (?, ?)',
                    [("item %d, \"special\"" % i, i * 3) for i in range(500)])
    cur.executemany("INSERT INTO ipk(id, name) VALUES (?, ?)",
                    [(i * 7 - 300, "name%d" % i) for i in range(1000)])
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota, kappa", 'lam"bda']
    rows = []
    for i in range(1, 120001):
        rows.append((i, "%s-%d" % (words[i % len(words)], i), round(rnd.uniform(-1000, 1000), rnd.randint(0, 6)),
                     i % 3, [None, i, i * 0.25, "t%d" % i, b"\x01\x02"][i % 5]))
    cur.executemany("INSERT INTO big VALUES (?,?,?,?,?)", rows)
    # rowid table with gaps (deleted rows) and no IPK
    cur.executemany("INSERT INTO gaps VALUES (?, ?)", [("g%d" % i, i) for i in range(3000)])
    cur.execute("DELETE FROM gaps WHERE b % 7 = 3")
    cur.executemany("INSERT INTO mixed VALUES (?)",
                    [(v,) for v in [None, 1, -1, 2.5, -0.0, "1", "", "text, with comma", b"", b"\x00z",
                                    2 ** 63 - 1, -2 ** 63, 1e300, float("-inf"), "\\."]])
    cur.execute("INSERT INTO \"weird \"\"cols\"\"\" VALUES ('a,b', 1, 'x\ny', '')")
    con.commit()
    con.close()


# ---------------------------------------------------------------------------
# shop database (demo + tests); evolves by day

SHOP_SCHEMA = """
CREATE TABLE customers(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT,
  city TEXT,
  created TEXT
);
CREATE TABLE products(
  sku TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  price REAL NOT NULL,
  stock INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE orders(
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  placed TEXT NOT NULL,
  status TEXT NOT NULL,
  total REAL NOT NULL DEFAULT 0
);
CREATE TABLE order_items(
  order_id INTEGER NOT NULL,
  line_no INTEGER NOT NULL,
  sku TEXT NOT NULL,
  qty INTEGER NOT NULL,
  price REAL NOT NULL,
  PRIMARY KEY(order_id, line_no)
) WITHOUT ROWID;
CREATE TABLE promo_day1(code TEXT, discount REAL);
CREATE INDEX orders_by_customer ON orders(customer_id, placed);
CREATE VIEW order_totals AS
  SELECT o.id, o.customer_id, sum(i.qty * i.price) AS total
  FROM orders o JOIN order_items i ON i.order_id = o.id GROUP BY o.id;
CREATE TRIGGER order_items_total AFTER INSERT ON order_items BEGIN
  UPDATE orders SET total = round(total + new.qty * new.price, 2) WHERE id = new.order_id;
END;
"""

FIRST = ["Ada", "Bob", "Chloé", "Dmitri", "Eve", "Fatima", "Gus", "Hana", "Ivan", "Jun",
         "Kofi", "Lena", "Mårten", "Nia", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tariq"]
LAST = ["Smith", "O'Neil", "Nakamura", "García", "Müller", "Okafor", "Rossi", "Kowalski",
        "Dubois", "Svensson", "Li", "Haddad"]
CITIES = ["Berlin", "Paris", "Lisbon", "Tokyo", "Lagos", "São Paulo", "New York, NY",
          "Zürich", "Oslo", "Austin"]
STATUSES = ["new", "paid", "shipped", "delivered", "cancelled"]


def shop_day1(con, n_orders):
    rnd = random.Random(1)
    con.executescript(SHOP_SCHEMA)
    ncust = max(50, n_orders // 25)
    for i in range(1, ncust + 1):
        fn, ln = rnd.choice(FIRST), rnd.choice(LAST)
        con.execute("INSERT INTO customers VALUES (?,?,?,?,?)",
                    (i, "%s %s" % (fn, ln),
                     None if i % 17 == 0 else "%s.%s%d@example.com" % (fn.lower(), ln.lower().replace("'", ""), i),
                     rnd.choice(CITIES), "2026-%02d-%02d" % (1 + i % 10, 1 + i % 28)))
    skus = []
    for i in range(1, 301):
        sku = "SKU-%04d" % (i * 3)
        skus.append(sku)
        con.execute("INSERT INTO products VALUES (?,?,?,?)",
                    (sku, "Product %d %s" % (i, rnd.choice(["mug", "shirt", "lamp", "book, hardcover", 'poster 24"'])),
                     round(rnd.uniform(1, 200), 2), rnd.randint(0, 500)))
    # orders ids leave gaps (every 10th id unused) so later days can insert "in the middle"
    oid = 0
    for k in range(n_orders):
        oid += 1
        if oid % 10 == 0:
            oid += 1
        cid = rnd.randint(1, ncust)
        con.execute("INSERT INTO orders(id, customer_id, placed, status) VALUES (?,?,?,?)",
                    (oid, cid, "2026-11-%02d %02d:%02d" % (1 + k * 19 // n_orders, rnd.randint(0, 23), rnd.randint(0, 59)),
                     rnd.choice(STATUSES)))
        for ln in range(1, rnd.randint(1, 4) + 1):
            sku = rnd.choice(skus)
            con.execute("INSERT INTO order_items VALUES (?,?,?,?,(SELECT price FROM products WHERE sku=?))",
                        (oid, ln, sku, rnd.randint(1, 5), sku))
    con.executemany("INSERT INTO promo_day1 VALUES (?,?)", [("WELCOME", 0.1), ("NOV20", 0.2)])


def shop_apply_day(con, day):
    """Changes that turn day-1 state into day `day` state."""
    rnd = random.Random(day * 1000)
    maxid = con.execute("SELECT max(id) FROM orders").fetchone()[0] or 0
    ncust = con.execute("SELECT count(*) FROM customers").fetchone()[0]
    skus = [r[0] for r in con.execute("SELECT sku FROM products ORDER BY sku")]
    if day == 2:
        # a few updates, inserts in the middle of the key space, deletes,
        # a new table, a dropped table
        for cid in (5, 6, 7, 500 % (ncust + 1) or 1):
            con.execute("UPDATE customers SET city=?, email=? WHERE id=?",
                        ("Reykjavík", "moved%d@example.org" % cid, cid))
        for oid in (maxid // 2 // 10 * 10, maxid // 2 // 10 * 10 + 10):
            con.execute("INSERT OR IGNORE INTO orders(id, customer_id, placed, status) VALUES (?,?,?,?)",
                        (oid, 1, "2026-11-20 09:15", "new"))
            con.execute("INSERT OR IGNORE INTO order_items VALUES (?,?,?,?,?)", (oid, 1, skus[0], 2, 9.5))
        con.execute("UPDATE orders SET status='shipped' WHERE id IN (3, 4, ?)", (maxid // 3,))
        con.execute("DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE id BETWEEN ? AND ?)",
                    (maxid * 3 // 4, maxid * 3 // 4 + 5))
        con.execute("DELETE FROM orders WHERE id BETWEEN ? AND ?", (maxid * 3 // 4, maxid * 3 // 4 + 5))
        con.execute("UPDATE products SET stock = stock - 1 WHERE sku IN (?, ?)", (skus[1], skus[-1]))
        con.execute("DROP TABLE promo_day1")
        con.execute("CREATE TABLE coupons(code TEXT PRIMARY KEY, percent INTEGER, note TEXT) WITHOUT ROWID")
        con.executemany("INSERT INTO coupons VALUES (?,?,?)",
                        [("BLACKFRIDAY", 30, "one day only"), ("CYBER", 20, None), ("FREESHIP", 0, "shipping, free")])
    else:
        # later days: new orders at the end, a few status changes, price change
        for k in range(200):
            oid = maxid + 1 + k
            con.execute("INSERT INTO orders(id, customer_id, placed, status) VALUES (?,?,?,?)",
                        (oid, rnd.randint(1, ncust), "2026-11-%02d %02d:%02d" % (19 + day, rnd.randint(0, 23), rnd.randint(0, 59)), "new"))
            for ln in range(1, rnd.randint(1, 3) + 1):
                sku = rnd.choice(skus)
                con.execute("INSERT INTO order_items VALUES (?,?,?,?,(SELECT price FROM products WHERE sku=?))",
                            (oid, ln, sku, rnd.randint(1, 3), sku))
        con.execute("UPDATE orders SET status='delivered' WHERE id IN (1, 2, 3)")
        con.execute("UPDATE products SET price = round(price * 0.8, 2) WHERE sku = ?", (skus[day],))
        con.execute("INSERT INTO customers(name, email, city, created) VALUES (?,?,?,?)",
                    ("New Customer %d" % day, "new%d@example.com" % day, "Oslo", "2026-11-%02d" % (19 + day)))


def make_shop(path, day, n_orders):
    con = sqlite3.connect(path)
    cur_day = con.execute("PRAGMA user_version").fetchone()[0]
    if cur_day > day:
        con.close()
        os.unlink(path)
        con = sqlite3.connect(path)
        cur_day = 0
    with con:
        if cur_day == 0:
            shop_day1(con, n_orders)
            cur_day = 1
        for d in range(cur_day + 1, day + 1):
            shop_apply_day(con, d)
        con.execute("PRAGMA user_version=%d" % day)
    con.close()


# ---------------------------------------------------------------------------
# concurrent-writer invariant (bank)

def read_csv_records(path):
    data = read_file(path)
    recs = split_records(data)
    return recs[0], recs[1:]


def unq(f):
    if f.startswith(b'"'):
        return f[1:-1].replace(b'""', b'"')
    return f


def invariant_check(gendir, total):
    gd = gendir
    _, accts = read_csv_records(os.path.join(gd, "accounts", "accounts.csv"))
    _, ledger = read_csv_records(os.path.join(gd, "ledger", "ledger.csv"))
    _, meta = read_csv_records(os.path.join(gd, "meta", "meta.csv"))
    bal = {int(r[0]): int(r[1]) for r in accts}
    s = sum(bal.values())
    errs = []
    if s != total:
        errs.append("sum of balances %d != %d" % (s, total))
    expect = {k: 1000 for k in bal}
    for r in ledger:
        frm, to, amt = int(r[1]), int(r[2]), int(r[3])
        expect[frm] -= amt
        expect[to] += amt
    if expect != bal:
        bad = [k for k in bal if bal[k] != expect.get(k)]
        errs.append("balances disagree with ledger for accounts %r" % bad[:10])
    m = {unq(r[0]).decode(): int(r[1]) for r in meta}
    if m.get("ledger_rows") != len(ledger):
        errs.append("meta ledger_rows %r != ledger rows %d" % (m.get("ledger_rows"), len(ledger)))
    return errs, len(ledger)


# ---------------------------------------------------------------------------


# ---- a database for exact restores (t_restore) ----

RESTORE_SCHEMA = r"""
PRAGMA page_size=8192;
PRAGMA user_version=42;
PRAGMA application_id=1234567;
CREATE TABLE keys(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TABLE seqd(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);
CREATE INDEX seqd_name ON seqd(name);
CREATE TABLE gaps(a, b);
CREATE TABLE gen(a INTEGER, b INTEGER, s TEXT GENERATED ALWAYS AS (a || '-' || b) VIRTUAL,
                 t INTEGER GENERATED ALWAYS AS (a * 2) STORED);
CREATE TABLE strict_t(id INTEGER PRIMARY KEY, n INTEGER, r REAL, t TEXT, b BLOB, x ANY) STRICT;
CREATE VIRTUAL TABLE docs USING fts5(title, body);
CREATE TABLE vals(id INTEGER PRIMARY KEY, v);
CREATE INDEX vals_expr ON vals(typeof(v), length(v)) WHERE v IS NOT NULL;
CREATE VIEW v_vals AS SELECT id, typeof(v) AS ty FROM vals;
CREATE VIEW v_both AS SELECT v_vals.id, seqd.name FROM v_vals JOIN seqd ON seqd.id = v_vals.id;
CREATE TABLE log(at INTEGER, what TEXT);
CREATE TRIGGER seqd_ins AFTER INSERT ON seqd BEGIN INSERT INTO log VALUES (new.id, 'ins'); END;
CREATE TRIGGER v_vals_ins INSTEAD OF INSERT ON v_vals BEGIN INSERT INTO vals(id, v) VALUES (new.id, new.ty); END;
CREATE TABLE "odd ""name""/x"(id INTEGER PRIMARY KEY DESC, "col,1" TEXT);
"""


def make_restore(path):
    """The awkward cases of an exact restore (docs/FORMAT.md "Restore")."""
    rnd = random.Random(77)
    con = sqlite3.connect(path, isolation_level=None)
    con.executescript(RESTORE_SCHEMA)
    con.execute("BEGIN")
    # a WITHOUT ROWID table whose keys are 1, '1', 1.5, x'01' and text that is not UTF-8
    for k, v in [(1, "int"), ("1", "text"), (1.5, "real"), (b"\x01", "blob"),
                 (-2 ** 63, "min"), (2 ** 63 - 1, "max")]:
        con.execute("INSERT INTO keys VALUES (?, ?)", (k, v))
    con.execute("INSERT INTO keys VALUES (CAST(x'ff00fe41' AS TEXT), 'not utf-8 key')")
    for i in range(1, 601):
        con.execute("INSERT INTO seqd(name) VALUES (?)", ("n%d" % rnd.randint(0, 50),))
    con.execute("DELETE FROM seqd WHERE id > 590 OR id % 7 = 0")
    for i in range(3000):
        con.execute("INSERT INTO gaps(rowid, a, b) VALUES (?, ?, ?)",
                    (i * 3 + rnd.randint(0, 2), rnd.random(), "g%d" % i))
    for i in range(200):
        con.execute("INSERT INTO gen(a, b) VALUES (?, ?)", (i, -i))
    con.execute("INSERT INTO strict_t VALUES (1, 9223372036854775807, -0.0, 'x', x'0000', 1.5)")
    con.execute("INSERT INTO strict_t VALUES (2, -9223372036854775808, 1e308, '', x'', 'a')")
    con.execute("INSERT INTO strict_t VALUES (3, NULL, NULL, NULL, NULL, NULL)")
    for i in range(400):
        con.execute("INSERT INTO docs(title, body) VALUES (?, ?)",
                    ("doc %d" % i, " ".join(rnd.choice(["alpha", "beta", "gamma", "délta", "日本"])
                                            for _ in range(rnd.randint(1, 40)))))
    specials = [None, 0, -1, 2 ** 63 - 1, -2 ** 63, 0.0, -0.0, 1e308, -1e308, 5e-324,
                float("inf"), float("-inf"), 0.1, "", "text", "Infinity", "'quoted'",
                "line\nbreak", b"", b"\x00\x00\xff", b"\x00ff", "1", "ünïcödé"]
    for i, v in enumerate(specials):
        con.execute("INSERT INTO vals VALUES (?, ?)", (i + 1, v))
    con.execute("INSERT INTO vals VALUES (100, CAST(x'c328' AS TEXT))")  # invalid UTF-8
    con.execute("INSERT INTO vals VALUES (101, CAST(x'00410042' AS TEXT))")  # NULs in text
    for i in range(2000):
        con.execute("INSERT INTO vals VALUES (?, ?)", (1000 + i, rnd.choice(
            [rnd.randint(-10 ** 12, 10 ** 12), rnd.random() * 1e6, "t%d" % i, bytes([i % 256]) * 3])))
    con.execute('INSERT INTO "odd ""name""/x" VALUES (5, \'a,b\'), (-3, NULL)')
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()


def mutate_restore(path, step):
    """Generation step of the restore history: updates, deletes, inserts, DDL."""
    rnd = random.Random(step)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN")
    con.execute("UPDATE gaps SET b = b || '+' WHERE rowid % ? = 0", (step + 2,))
    con.execute("DELETE FROM seqd WHERE id % ? = 1", (step + 3,))
    for i in range(20):
        con.execute("INSERT INTO seqd(name) VALUES (?)", ("step%d-%d" % (step, i),))
    con.execute("INSERT INTO docs(title, body) VALUES (?, 'new words for step')", ("s%d" % step,))
    con.execute("DELETE FROM docs WHERE rowid = ?", (step * 5,))
    con.execute("INSERT OR REPLACE INTO keys VALUES (?, ?)", ("step", step))
    if step == 2:
        con.execute("CREATE TABLE added(id INTEGER PRIMARY KEY AUTOINCREMENT, v)")
        con.execute("INSERT INTO added(v) VALUES (1), (2), (3)")
        con.execute("CREATE INDEX added_v ON added(v)")
    if step == 3:
        con.execute("DROP TABLE gen")
    con.execute("COMMIT")
    if step % 2 == 0:
        con.execute("ANALYZE")
    con.execute("PRAGMA user_version=%d" % (42 + step))
    con.close()

def manifest_nodes(path):
    """The index node ids (16 bytes each) a generation's manifest lists:
    none before manifest version 5, which lists them instead of chunks.
    Parsed here from docs/FORMAT.md ("Manifests"), apart from strata's reader."""
    data = open(path, "rb").read()
    assert data[:8] == b"STRGEN\0\0", path
    ver = int.from_bytes(data[8:12], "little")
    if ver < 5:
        return []
    pos = 12
    def varint():
        nonlocal pos
        v, shift = 0, 0
        while True:
            b = data[pos]
            pos += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return v
    def skip_str():
        nonlocal pos
        n = varint()
        pos += n
    varint()            # seq
    skip_str()          # name
    pos += 16           # id
    varint()            # time (zigzag)
    skip_str(); skip_str(); skip_str()   # label, source, schema
    varint(); varint()  # source_bytes, new_bytes
    ids = []
    for _ in range(varint()):
        skip_str(); skip_str(); skip_str()   # name, dirname, schema
        varint()                             # flags
        for _ in range(varint()):            # column names
            skip_str()
        skip_str()                           # classes
        varint(); varint(); varint()         # nrows, csv_size, nchunks
        for _ in range(varint()):            # nodes
            ids.append(data[pos:pos + 16])
            pos += 16
            varint()
    return ids


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    out = sys.stdout.buffer
    if cmd == "tables":
        con = connect(argv[2])
        res = []
        for t in table_names(con):
            pre, trunc = enc_name(t)
            res.append({"name": t, "path": os.fsdecode(pre) + ("~" if trunc else ""),
                        "rows": row_count(con, t)})
        print(json.dumps(res, ensure_ascii=False))
    elif cmd == "table-csv":
        out.write(table_csv(connect(argv[2]), argv[3]))
    elif cmd == "table-body":
        con = connect(argv[2])
        out.write(b"".join(l for _, l in row_keys_and_lines(con, argv[3])))
    elif cmd == "schema-sql":
        con = connect(argv[2])
        for _, _, sql in schema_statements(con, argv[3] if len(argv) > 3 else None):
            out.write(sql + b";\n")
    elif cmd == "enc-name":
        pre, trunc = enc_name(argv[2])
        out.write(pre + (b"~<hash>" if trunc else b"") + b"\n")
    elif cmd in ("compare-mount", "compare-tables"):
        strict = "--strict-names" in argv
        raw = "--raw" in argv
        # --csv: the files served from the CSV alone (dump.sql reads the side stream too)
        csv_only = "--csv" in argv
        args = [a for a in argv[2:] if a not in ("--strict-names", "--raw", "--csv")]
        only = None
        if cmd == "compare-tables":
            only = set(args[2:])
            missing = only - set(table_names(connect_raw(args[0]) if raw else connect(args[0])))
            if missing:
                print("compare-tables: no such tables in %s: %r" % (args[0], sorted(missing)))
                return 1
        c = compare_mount(args[0], args[1], strict_names=strict, raw=raw, only=only,
                          dump=not csv_only)
        for w in c.warnings[:20]:
            print("WARN: " + w)
        if c.errors:
            print("compare-mount %s vs %s: %d difference(s)" % (args[0], args[1], len(c.errors)))
            modes = [e for e in c.errors if ": mode " in e or ": dir mode " in e]
            other = [e for e in c.errors if e not in modes]
            for e in other[:30]:
                print("DIFF: " + e)
            for e in modes[:3]:
                print("DIFF: " + e)
            if len(modes) > 3:
                print("DIFF: ... and %d more wrong modes" % (len(modes) - 3))
            return 1
        print("compare-mount %s vs %s: OK" % (args[0], args[1]))
    elif cmd == "table-sha256":
        con = connect(argv[2])
        h = hashlib.sha256(header_line(con, argv[3]))
        n = len(header_line(con, argv[3]))
        for _, line in row_keys_and_lines(con, argv[3]):
            h.update(line)
            n += len(line)
        print("%s %d" % (h.hexdigest(), n))
    elif cmd == "render":
        rpf = int(argv[4]) if len(argv) > 4 else 1000
        print(render(argv[2], argv[3], rpf))
    elif cmd == "make-awkward":
        make_awkward(argv[2])
    elif cmd == "make-restore":
        make_restore(argv[2])
    elif cmd == "mutate-restore":
        mutate_restore(argv[2], int(argv[3]))
    elif cmd == "make-shop":
        day = 1
        n_orders = 50000
        args = argv[2:]
        db = None
        i = 0
        while i < len(args):
            if args[i] == "--day":
                day = int(args[i + 1])
                i += 2
            elif args[i] == "--orders":
                n_orders = int(args[i + 1])
                i += 2
            else:
                db = args[i]
                i += 1
        make_shop(db, day, n_orders)
    elif cmd == "invariant-check":
        errs, n = invariant_check(argv[2], int(argv[3]))
        if errs:
            for e in errs:
                print("INVARIANT: " + e)
            return 1
        print("invariant OK (%d ledger rows)" % n)
    else:
        print("unknown subcommand %r" % cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
