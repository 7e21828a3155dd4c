#!/usr/bin/python3
"""PostgreSQL side of t_postgres (docs/FORMAT.md "PostgreSQL").

  pgcheck.py make DB             the awkward source database
  pgcheck.py check DB GEN         load GEN/schema.pg.sql and every table's CSV into
                                  a fresh database, then compare every value with DB
  pgcheck.py check-each DB GEN    the same, each table alone from GEN/<dir>/schema.pg.sql

psql comes from PATH and reaches the server through PGHOST, PGPORT and PGUSER.  The comparison is independent of strata: the source
values come from Python's sqlite3, the loaded ones from PostgreSQL, each
spelled canonically per the PostgreSQL type the docs' rules give the column.
"""
import collections, decimal, json, math, os, sqlite3, struct, subprocess, sys

I53 = 2 ** 53

# table -> (columns as "name type [NOT NULL]" in order, primary key columns or None,
#           indexes as (name, unique, key text)); every table of make() but badtext
EXPECT = {
    "vals": (["id bigint NOT NULL", "i bigint", "r double precision", "t text", "b bytea",
              "n double precision", "u text", "z bytea", "e text", "f text", "g double precision",
              "h numeric", "k bigint", "w double precision"], ["id"], []),
    "mixsmall": (["id bigint NOT NULL", "x double precision"], ["id"], []),
    "mixwide": (["id bigint NOT NULL", "x numeric"], ["id"], []),
    "mixtext": (["id bigint NOT NULL", "x text"], ["id"], []),
    "wr": (["k text NOT NULL", "v bigint"], ["k"], []),
    "comp": (["a bigint NOT NULL", "b text NOT NULL", "c double precision"], ["b", "a"], []),
    "nullpk": (["k text", "v bigint"], None, [("sqlite_autoindex_nullpk_1", True, "k")]),
    "mixpk": (["k text NOT NULL", "v bigint"], None, []),
    "idx": (["id bigint NOT NULL", "a bigint", "b text", "c double precision", "m text"], ["id"],
            [("sqlite_autoindex_idx_1", True, "c"), ("idx_a", False, "a"), ("idx_b", True, "b"),
             ("idx_desc", False, "a DESC, c"), ("idx_nocase", False, "b")]),
    "gen": (["id bigint NOT NULL", "a bigint"], ["id"], []),
    'odd "name" it\'s': (["id bigint NOT NULL", 'my "col" x text', "ü col double precision"],
                         ["id"], [('odd "idx"', False, '"my ""col"" x"')]),
    "strict": (["id bigint NOT NULL", "a bigint", "b text", "c text", "d double precision",
                "e bytea"], ["id"], []),
    "geo": (["id bigint NOT NULL", "xmin_ double precision", "xmax_ double precision", "ctid_ text",
             "XMIN_ double precision"], ["id"], [("geo_x", False, "xmin_, \"XMIN_\"")]),
    "empty": (["a bigint", "b text", "c bytea", "d double precision", "e numeric"], None, []),
}
BAD = "badtext"  # text PostgreSQL cannot hold: its load must fail
# FTS5's shadow tables, backed up like any table, are internal to the virtual table like
# SQLite's own sqlite_* tables: a schema.pg.sql need not create them; one that does is
# checked like the others, but for their structure, which is FTS5's
SHADOW = ["docs_data", "docs_idx", "docs_content", "docs_docsize", "docs_config"]


def internal(name):
    return name in SHADOW or name.startswith("sqlite_")


def make(path):
    con = sqlite3.connect(path)
    x = con.execute
    x("CREATE TABLE vals(id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n NUMERIC, u,"
      " z, e TEXT, f VARCHAR(10), g DOUBLE, h DECIMAL(10,2), k BIGINT, w)")
    ints = [-2 ** 63, 2 ** 63 - 1, 0, None, I53, -I53 - 1, 1, -1]
    reals = [-0.0, math.inf, -math.inf, 1e308, 5e-324, 0.1, None, 1e15, 2.5e-8, 1 / 3, 0.1 + 0.2,
             100.0, 1.7976931348623157e308, -2.2250738585072014e-308]
    texts = ["", None, "a,b", 'say "hi"', "line\nbreak", "cr\rx", "\\.", "\\.x", "ünï€😀", " lead ",
             "tab\there", "\\x41", "NULL", ",", '"', "\r\n", "\\N", "'"]
    blobs = [b"", None, b"\x00\x01\x00", b"\xff\xfe", b"\\.", b"\x00", b"a,b\n"]
    nums = [1, 2.5, "3", None, 1e20, -7, "4.5"]      # NUMERIC affinity: '3' is stored as 3
    unt = ["plain", None, "", "x y"]
    def pick(v):
        return v[r] if r < len(v) else None

    for r in range(max(map(len, (ints, reals, texts, blobs, nums, unt)))):
        x("INSERT INTO vals VALUES(?,?,?,?,?,?,?,NULL,NULL,NULL,NULL,NULL,NULL,?)",
          (r + 1, pick(ints), pick(reals), pick(texts), pick(blobs), pick(nums), pick(unt),
           pick(reals)))   # w: no affinity, so -0.0 stays -0.0 (a REAL column stores it as 0)
    x("CREATE TABLE mixsmall(id INTEGER PRIMARY KEY, x)")
    for i, v in enumerate([1, 2.5, -0.0, math.inf, -7, I53, -I53, None, 0.1, -math.inf, 5e-324]):
        x("INSERT INTO mixsmall VALUES(?,?)", (i, v))
    x("CREATE TABLE mixwide(id INTEGER PRIMARY KEY, x)")
    for i, v in enumerate([2 ** 60, 0.1, 1e308, 5e-324, -math.inf, math.inf, -2 ** 63, 2 ** 63 - 1,
                           3, 2.5, None, 1e15, 123456789.125, -1.5e-300]):
        x("INSERT INTO mixwide VALUES(?,?)", (i, v))
    x("CREATE TABLE mixtext(id INTEGER PRIMARY KEY, x)")
    for i, v in enumerate(["abc", 1, 2.5, b"\x00\xff", "", None, 1e300, -0.0, math.inf, b"", 100.0,
                           -2 ** 63, "1", 1e15, 2.5e-8]):
        x("INSERT INTO mixtext VALUES(?,?)", (i, v))
    x("CREATE TABLE wr(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID")
    x("INSERT INTO wr VALUES('b',1),('a',2),('',3),('é',4),('a b',NULL)")
    x("CREATE TABLE comp(a INTEGER NOT NULL, b TEXT, c REAL, PRIMARY KEY(b, a))")
    x("INSERT INTO comp VALUES(1,'x',0.5),(2,'x',NULL),(1,'y',-0.0),(-5,'',1e-10)")
    x("CREATE TABLE nullpk(k TEXT PRIMARY KEY, v INTEGER)")
    x("INSERT INTO nullpk VALUES(NULL,1),(NULL,2),('a',3),('',4)")
    x("CREATE TABLE mixpk(k PRIMARY KEY, v INTEGER) WITHOUT ROWID")
    x("INSERT INTO mixpk VALUES(1,1),('1',2),(x'31',3),(2.5,4)")
    x("CREATE TABLE idx(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL UNIQUE, m)")
    x("CREATE INDEX idx_a ON idx(a)")
    x("CREATE UNIQUE INDEX idx_b ON idx(b)")
    x("CREATE INDEX idx_desc ON idx(a DESC, c)")
    x("CREATE INDEX idx_part ON idx(a) WHERE a > 0")
    x("CREATE INDEX idx_expr ON idx(lower(b))")
    x("CREATE INDEX idx_nocase ON idx(b COLLATE NOCASE)")
    x("CREATE UNIQUE INDEX idx_mixed ON idx(m)")
    x("INSERT INTO idx VALUES(1,5,'A',1.5,1),(2,5,'a',2.5,'1'),(3,-1,NULL,NULL,NULL),"
      "(4,NULL,NULL,NULL,'x')")
    x("CREATE TABLE gen(id INTEGER PRIMARY KEY, a INTEGER, g INTEGER GENERATED ALWAYS AS (a * 2),"
      " s TEXT AS (a || 'x') STORED)")
    x("INSERT INTO gen(id, a) VALUES(1, 10), (2, NULL), (3, -4)")
    x('CREATE TABLE "odd ""name"" it\'s"(id INTEGER PRIMARY KEY, "my ""col"" x" TEXT, "ü col" REAL)')
    x('CREATE INDEX "odd ""idx""" ON "odd ""name"" it\'s"("my ""col"" x")')
    x('INSERT INTO "odd ""name"" it\'s" VALUES(1, \'v, "1"\', 1.25), (2, NULL, NULL)')
    x("CREATE TABLE strict(id INTEGER PRIMARY KEY, a INT, b TEXT, c ANY, d REAL, e BLOB) STRICT")
    x("INSERT INTO strict VALUES(1, 7, 'x', 1, 1.0, x'00'), (2, NULL, '', 'one', -0.0, x''),"
      " (3, -2, NULL, x'01', NULL, NULL)")
    # PostgreSQL's system column names (xmin, xmax, ctid ...) are renamed; names are case-sensitive
    x("CREATE TABLE geo(id INTEGER PRIMARY KEY, xmin REAL, xmax REAL, ctid TEXT, XMIN_ REAL)")
    x("CREATE INDEX geo_x ON geo(xmin, XMIN_)")
    x("INSERT INTO geo VALUES(1, -180.0, 180.0, '(0,1)', 0.5), (2, NULL, 1e-7, NULL, NULL)")
    x("CREATE TABLE empty(a INT, b CHAR(3), c, d FLOAT, e DATE)")
    x("CREATE VIRTUAL TABLE docs USING fts5(title, body)")
    x("INSERT INTO docs VALUES('alpha', 'beta gamma'), ('δ \"x\"', NULL), ('', 'e,f')")
    x("CREATE TABLE badtext(id INTEGER PRIMARY KEY, t TEXT)")
    x("INSERT INTO badtext VALUES(1, 'fine'), (2, CAST(x'610062' AS TEXT)),"
      " (3, CAST(x'ff41' AS TEXT))")
    con.commit()
    con.close()


# ---- canonical spellings: "N" for NULL, otherwise a type tag and the value ----

def csv_real(r):
    """docs/FORMAT.md "CSV" rule 5: how a REAL is spelled in the CSV (and so in a text column)."""
    if math.isinf(r):
        return "Infinity" if r > 0 else "-Infinity"
    for p in (15, 16, 17):
        s = "%.*g" % (p, r)
        if float(s) == r:
            break
    assert float(s) == r and math.copysign(1, float(s)) == math.copysign(1, r), r
    return s if ("." in s or "e" in s or "n" in s) else s + ".0"


def bits(r):
    return struct.pack(">d", r).hex()


def want(pgtype, ty, v):
    """The canonical form the value of storage class ty must have in a column of pgtype."""
    if ty == "null":
        return "N"
    if pgtype == "bigint":
        return "i:%d" % v if ty == "integer" else "WRONG %s %r" % (ty, v)
    if pgtype == "double precision":
        if ty == "integer" and abs(v) <= I53:
            return "d:" + bits(float(v))
        return "d:" + bits(v) if ty == "real" else "WRONG %s %r" % (ty, v)
    if pgtype == "numeric":
        if ty == "integer":
            return dec(str(v))
        # the CSV's decimal, which reads back as exactly v (csv_real): numeric must hold it
        return dec(csv_real(v)) if ty == "real" else "WRONG %s %r" % (ty, v)
    if pgtype == "bytea":
        return "b:" + v.hex() if ty == "blob" else "WRONG %s %r" % (ty, v)
    if pgtype == "text":  # text, or a mixed column: the CSV spelling of the value
        s = {"text": lambda: v, "integer": lambda: str(v).encode(),
             "real": lambda: csv_real(v).encode(), "blob": lambda: b"\\x" + v.hex().encode()}[ty]()
        return "t:" + s.hex()
    return "WRONG type " + pgtype


DEC = decimal.Context(prec=2000)


def dec(s):
    """A decimal's value, spelled one way (5, 5.0 and 5.00 alike)."""
    return "n:" + str(DEC.create_decimal(s).normalize(DEC))


def pg_select(pgtype, col):
    """SQL giving the canonical form of a column of that type (NULL kept apart from '')."""
    if pgtype == "bigint":
        e = "'i:' || %s::text" % col
    elif pgtype == "double precision":
        e = "'d:' || encode(float8send(%s), 'hex')" % col
    elif pgtype == "numeric":
        e = "'n:' || %s::text" % col
    elif pgtype == "bytea":
        e = "'b:' || encode(%s, 'hex')" % col
    else:
        e = "'t:' || encode(convert_to(%s::text, 'UTF8'), 'hex')" % col
    return "CASE WHEN %s IS NULL THEN 'N' ELSE %s END" % (col, e)


# ---- PostgreSQL ----

def ident(s):
    return '"' + s.replace('"', '""') + '"'


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def psql(db, *args, input=None, check=True):
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, *args],
                       input=input, capture_output=True, encoding="utf-8")
    if check and r.returncode != 0:
        raise SystemExit("psql %s failed: %s" % (" ".join(args)[:200], r.stderr.strip()))
    return r


def query(db, sql):
    """Rows of a query (no canonical form holds \\x01 or \\x02)."""
    out = psql(db, "-At", "-F", "\x01", "-R", "\x02", "-c", sql).stdout
    if out.endswith("\n"):  # psql ends the last row with LF, not -R
        out = out[:-1]
    return [row.split("\x01") for row in out.split("\x02") if row != ""]


def fresh_db(name):
    CATALOG.pop(name, None)
    psql("postgres", "-c", "DROP DATABASE IF EXISTS %s" % name,
         "-c", "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'" % name)


def copy(db, table, csv):
    """The documented load: \\copy "t" FROM 't.csv' (FORMAT csv, HEADER)."""
    cmd = "\\copy %s FROM %s (FORMAT csv, HEADER)\n" % (ident(table), lit(csv))
    return psql(db, "-f", "-", input=cmd, check=False)


CATALOG = {}


def catalog(db):
    """{table: {"cols": [[name, type, not null]], "pk": [names] or None, "idx": [[name,
    unique, definition]]}} of the tables of db, in one query (a psql costs 0.1 s)."""
    if db not in CATALOG:
        out = psql(db, "-At", "-c", """
            SELECT json_object_agg(c.relname, json_build_object(
              'cols', (SELECT json_agg(json_build_array(a.attname,
                         format_type(a.atttypid, a.atttypmod), a.attnotnull) ORDER BY a.attnum)
                       FROM pg_attribute a
                       WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
              'pk', (SELECT json_agg(a.attname ORDER BY k.o)
                     FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(n, o), pg_attribute a
                     WHERE i.indrelid = c.oid AND i.indisprimary AND a.attrelid = c.oid
                       AND a.attnum = k.n),
              'idx', (SELECT json_agg(json_build_array(ic.relname, i.indisunique,
                                                       pg_get_indexdef(i.indexrelid)))
                      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                      WHERE i.indrelid = c.oid AND NOT i.indisprimary)))
            FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
            """).stdout.strip()
        CATALOG[db] = json.loads(out) if out else {}
    return CATALOG[db]


def columns(db, table):
    """[(name, type, NOT NULL)] of a table, [] if there is none."""
    return (catalog(db).get(table) or {}).get("cols") or []


def structure(db, table):
    """(columns as EXPECT spells them, primary key columns or None, sorted indexes)."""
    t = catalog(db)[table]
    cols = ["%s %s%s" % (n, ty, " NOT NULL" if nn else "") for n, ty, nn in t["cols"]]
    idx = [(n, u, d[d.rindex("(") + 1:-1]) for n, u, d in t["idx"] or []]
    return cols, t["pk"], sorted(idx)


def source_rows(src, table, ncols):
    con = sqlite3.connect(src)
    con.text_factory = bytes
    names = [r[1].decode() for r in con.execute("SELECT * FROM pragma_table_info(?)", (table,))]
    assert len(names) == ncols, (table, names)
    sel = ", ".join("typeof(%s), %s" % (ident(n), ident(n)) for n in names)
    rows = [[(r[2 * c].decode(), r[2 * c + 1]) for c in range(ncols)]
            for r in con.execute("SELECT %s FROM %s" % (sel, ident(table)))]
    con.close()
    return rows


# values the comparison must have met, or the test lost what it is for: -0.0, +-Infinity and
# 5e-324 as double precision, +-2^63 as bigint, 2^60 and Infinity as numeric, '' and an empty
# blob, text with CR LF, and \. alone
MUST_SEE = {"d:8000000000000000", "d:7ff0000000000000", "d:fff0000000000000", "d:0000000000000001",
            "i:-9223372036854775808", "i:9223372036854775807", "n:1152921504606846976",
            "n:Infinity", "t:", "b:", "t:0d0a", "t:5c2e"}
SEEN = set()


def compare(src, db, table, errs):
    """Every value of table in PostgreSQL equals the source's: rows as multisets."""
    cols = columns(db, table)
    if not cols:
        errs.append("%s: not created" % table)
        return 0
    types = [t for _, t, _ in cols]
    want_rows = collections.Counter(
        tuple(want(types[c], ty, v) for c, (ty, v) in enumerate(r))
        for r in source_rows(src, table, len(cols)))
    sel = ", ".join(pg_select(t, ident(n)) for n, t, _ in cols)
    got_rows = collections.Counter()
    for r in query(db, "SELECT %s FROM %s" % (sel, ident(table))):
        got_rows[tuple(dec(v[2:]) if v.startswith("n:") else v for v in r)] += 1
    SEEN.update(v for r in want_rows for v in r)
    if want_rows != got_rows:
        errs.append("%s: rows differ\n  only in the source: %s\n  only in PostgreSQL: %s" % (
            table, list((want_rows - got_rows).elements())[:5],
            list((got_rows - want_rows).elements())[:5]))
    return sum(want_rows.values())


def check_table(src, db, gen, name, path, errs):
    """Load one table's CSV (the schema is loaded), check its structure and values."""
    csv = os.path.join(gen, path, path + ".csv")
    r = copy(db, name, csv)
    if name == BAD:
        if r.returncode == 0 or 'invalid byte sequence for encoding "UTF8"' not in r.stderr:
            errs.append("%s: loading must fail on its invalid text, got %d: %s" % (
                name, r.returncode, r.stderr.strip()))
        return 0
    if r.returncode != 0:
        errs.append("%s: \\copy failed: %s" % (name, r.stderr.strip()))
        return 0
    if name in EXPECT:
        got, want_ = structure(db, name), EXPECT[name]
        want_ = (want_[0], want_[1], sorted(want_[2]))
        if got != want_:
            errs.append("%s: structure\n  got  %s\n  want %s" % (name, got, want_))
    elif not internal(name):
        errs.append("%s: a table this test does not know" % name)
    return compare(src, db, name, errs)


def tables_of(gen):
    with open(os.path.join(gen, "generation.json"), encoding="utf-8") as f:
        return [(t["name"], t["path"]) for t in json.load(f)["tables"]]


def check(src, gen):
    errs, nvals, db = [], 0, "whole"
    fresh_db(db)
    psql(db, "-f", os.path.join(gen, "schema.pg.sql"))
    names = [n for n, _ in tables_of(gen)]
    for t in list(EXPECT) + [BAD] + SHADOW:  # SHADOW: the source has an FTS5 table
        if t not in names:
            errs.append("%s: not backed up" % t)
    for name, path in tables_of(gen):
        if columns(db, name):
            nvals += check_table(src, db, gen, name, path, errs)
        elif not internal(name):
            errs.append("%s: schema.pg.sql does not create it" % name)
    return errs, nvals


def check_each(src, gen):
    errs, nvals = [], 0
    for name, path in tables_of(gen):
        schema = os.path.join(gen, path, "schema.pg.sql")
        if internal(name) and not os.path.exists(schema):
            continue
        db = "one"
        fresh_db(db)
        psql(db, "-f", schema)
        made = sorted(catalog(db))
        if internal(name) and not made:
            continue
        if made != [name]:
            errs.append("%s/schema.pg.sql creates %s" % (path, made))
        nvals += check_table(src, db, gen, name, path, errs)
    return errs, nvals


def main():
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2])
        return
    errs, n = {"check": check, "check-each": check_each}[cmd](sys.argv[2], sys.argv[3])
    if MUST_SEE - SEEN:
        errs.append("the source lacks %s" % sorted(MUST_SEE - SEEN))
    for e in errs:
        print("FAIL: " + e, file=sys.stderr)
    print("# %s: %d rows equal" % (cmd, n))
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
