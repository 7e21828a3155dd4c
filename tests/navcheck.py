#!/usr/bin/python3
"""Oracle and checker for the navigation layer (mount layout 5) -- used by
tests/integration/t_navigate.sh.  Standard library only.

  navcheck.py build WORK STRATA REPO
      Make WORK/src.db and take its history into REPO: 22 generations in
      time order plus one taken later with an earlier time, each seeded
      (random.Random), with a generation that changes nothing, a table
      added, one dropped, one dropped and made again, a column renamed and
      two generations in the same second.  A copy of the database after
      each backup is kept in WORK/copies (the oracle of that generation);
      WORK/gens.json lists them in backup order.

  navcheck.py check WORK STRATA REPO MNT
      Check key/ lookups, changes.csv/.jsonl, `strata diff`, tables/ (links
      and per-row history), at/ -- through the mount MNT and a sample through
      `strata cat` / `strata ls` -- against values computed here from the
      copies only (tests/oracle.py's pure helpers render CSV lines).
      Prints "# N checks"; exit 1 with the differences.
"""

import calendar
import importlib.util
import json
import os
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
import time

_spec = importlib.util.spec_from_file_location(
    "oracle", os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracle.py"))
o = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(o)


# ---------------------------------------------------------------------------
# the history

def utc(s):
    """'2026-11-01T00:00:00Z' -> epoch seconds."""
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def rfc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def gen_base_name(t):
    return time.strftime("%Y-%m-%dT%H%M%SZ", time.gmtime(t))


# step -> time of its backup, in backup order; "ooo" is taken after step 3
# with a time between steps 1 and 2
STEPS = [
    (0, "2026-11-01T00:00:00Z"),
    (1, "2026-11-02T08:30:00Z"),
    (2, "2026-11-03T23:59:59Z"),
    (3, "2026-11-04T00:00:00Z"),
    ("ooo", "2026-11-03T10:00:00Z"),
    (4, "2026-11-05T12:00:00Z"),
    (5, "2026-11-06T06:15:30Z"),
    (6, "2026-11-07T06:15:30Z"),   # nothing changes
    (7, "2026-11-08T17:45:00Z"),
    (8, "2026-11-10T09:00:00Z"),
    (9, "2026-11-12T14:00:00Z"),
    (10, "2026-11-12T14:00:00Z"),  # the same second: ...-002
    (11, "2026-11-12T14:00:01Z"),
    (12, "2026-11-14T03:00:00Z"),
    (13, "2026-11-15T22:10:00Z"),
    (14, "2026-11-17T01:02:03Z"),
    (15, "2026-11-18T11:11:11Z"),
    (16, "2026-11-19T19:19:19Z"),
    (17, "2026-11-20T14:00:00Z"),
    (18, "2026-11-22T07:00:00Z"),
    (19, "2026-11-24T16:30:00Z"),
    (20, "2026-11-26T00:00:01Z"),
    (21, "2026-11-28T20:00:00Z"),
]

AWKWARD = ["b/c", "a,b", "", "héllo wörld", "x y", "100%", "42", "tab\there",
           "nl\nx", "del\x7f", 'q"uote']
TEXTS = ["plain", "with, comma", 'dq "x"', "ünï", "line\nbreak", "", "%25", "a/b", "日本"]

SCHEMA = """
CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL, data BLOB);
CREATE TABLE words(k TEXT PRIMARY KEY, v, n INTEGER);
CREATE TABLE lines(order_id INTEGER, line INTEGER, qty INTEGER, note TEXT,
                   PRIMARY KEY(order_id, line));
CREATE TABLE stock(sku TEXT, region INTEGER, qty INTEGER, PRIMARY KEY(sku, region)) WITHOUT ROWID;
CREATE TABLE notes(author TEXT, body TEXT, score);
CREATE TABLE descs(id INTEGER PRIMARY KEY DESC, v TEXT);
CREATE TABLE changes(id INTEGER PRIMARY KEY, what TEXT);
CREATE TABLE dropped(id INTEGER PRIMARY KEY, v TEXT);
CREATE TABLE phoenix(id INTEGER PRIMARY KEY, v TEXT);
CREATE TABLE reals(x REAL PRIMARY KEY, label TEXT) WITHOUT ROWID;
CREATE TABLE blobs(b BLOB PRIMARY KEY, n INTEGER);
"""
REALS = [2.5, -0.125, 0.1, 100.0, 1e+300, 3.75, -40.5, 1234.5678]
BLOBS = [b"\x00\xff", b"", b"/", b"%,", b"\x01\x02\x03", b"abc"]

PROTECTED_ITEMS = {-7}          # never changes
PROTECTED_LINES = {(1001, 3)}   # only the scripted updates


def rval(rnd):
    return rnd.choice([None, rnd.randint(-1000, 1000), round(rnd.uniform(-50, 50), 3),
                       rnd.choice(TEXTS), bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 3)))])


def make_db(path):
    rnd = random.Random(424242)
    con = sqlite3.connect(path, isolation_level=None)
    con.executescript(SCHEMA)
    con.execute("BEGIN")
    ids = rnd.sample(range(-20, 400), 40)
    if -7 not in ids:
        ids.append(-7)
    for i in ids:
        con.execute("INSERT INTO items VALUES (?,?,?,?)",
                    (i, rnd.choice(TEXTS), rnd.choice([None, 2.5, 0.1, rnd.uniform(0, 99)]),
                     rnd.choice([None, b"\x00\xff", bytes([i % 256])])))
    for k in AWKWARD:
        con.execute("INSERT INTO words VALUES (?,?,?)", (k, rval(rnd), rnd.randint(0, 9)))
    for i in range(20):
        con.execute("INSERT OR IGNORE INTO words VALUES (?,?,?)",
                    ("w%02d" % rnd.randrange(100), rval(rnd), rnd.randint(0, 9)))
    for oid in range(1000, 1008):
        for ln in range(1, rnd.randint(2, 6)):
            con.execute("INSERT INTO lines VALUES (?,?,?,?)",
                        (oid, ln, rnd.randint(1, 20), rnd.choice(TEXTS)))
    con.execute("INSERT OR IGNORE INTO lines VALUES (1001, 3, 5, 'three')")
    for sku in ["a,b", "x/y", "plain", "ü", "z%", "w w"]:
        for reg in rnd.sample(range(1, 6), 3):
            con.execute("INSERT INTO stock VALUES (?,?,?)", (sku, reg, rnd.randint(0, 100)))
    for i in range(20):
        con.execute("INSERT INTO notes VALUES (?,?,?)",
                    (rnd.choice(["ann", "bob", "cé"]), rnd.choice(TEXTS), rval(rnd)))
    for i in rnd.sample(range(-30, 60), 15):
        con.execute("INSERT INTO descs VALUES (?,?)", (i, rnd.choice(TEXTS)))
    for i in range(1, 6):
        con.execute("INSERT INTO changes VALUES (?,?)", (i, "c%d" % i))
    for i in range(1, 16):
        con.execute("INSERT INTO dropped VALUES (?,?)", (i, "d%d" % i))
    for i in range(1, 11):
        con.execute("INSERT INTO phoenix VALUES (?,?)", (i, "p%d" % i))
    for x in REALS[:6]:
        con.execute("INSERT INTO reals VALUES (?,?)", (x, "r%r" % x))
    for i, b in enumerate(BLOBS[:5]):
        con.execute("INSERT INTO blobs VALUES (?,?)", (b, i))
    con.execute("COMMIT")
    con.close()


def exists(con, name):
    return con.execute("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?",
                       (name,)).fetchone()[0] > 0


def random_ops(con, rnd, step):
    """A few inserts, updates and deletes in every table (protected keys aside)."""
    # items
    have = [r[0] for r in con.execute("SELECT id FROM items")]
    for _ in range(rnd.randint(1, 3)):
        i = rnd.randint(-20, 420)
        if i not in have and i not in PROTECTED_ITEMS:
            con.execute("INSERT INTO items VALUES (?,?,?,?)",
                        (i, rnd.choice(TEXTS), rnd.choice([None, rnd.uniform(0, 9), 7.0]),
                         rnd.choice([None, b"", b"\x01\x02"])))
    for i in rnd.sample(have, 3):
        if i not in PROTECTED_ITEMS:
            con.execute("UPDATE items SET name=?, price=? WHERE id=?",
                        (rnd.choice(TEXTS), rnd.choice([None, 1.5, rnd.uniform(0, 9)]), i))
    for i in rnd.sample(have, rnd.randint(0, 2)):
        if i not in PROTECTED_ITEMS:
            con.execute("DELETE FROM items WHERE id=?", (i,))
    # words (the awkward keys only as scripted)
    have = [r[0] for r in con.execute("SELECT k FROM words") if r[0] not in AWKWARD]
    for _ in range(rnd.randint(0, 2)):
        con.execute("INSERT OR IGNORE INTO words VALUES (?,?,?)",
                    ("w%02d" % rnd.randrange(100), rval(rnd), rnd.randint(0, 9)))
    for k in rnd.sample(have, min(2, len(have))):
        con.execute("UPDATE words SET v=? WHERE k=?", (rval(rnd), k))
    for k in rnd.sample(have, min(rnd.randint(0, 1), len(have))):
        con.execute("DELETE FROM words WHERE k=?", (k,))
    # lines
    have = [tuple(r) for r in con.execute("SELECT order_id, line FROM lines")]
    free = [p for p in have if p not in PROTECTED_LINES]
    for _ in range(rnd.randint(0, 2)):
        con.execute("INSERT OR IGNORE INTO lines VALUES (?,?,?,?)",
                    (rnd.randint(1000, 1010), rnd.randint(1, 7), rnd.randint(1, 20), rnd.choice(TEXTS)))
    for p in rnd.sample(free, 2):
        con.execute("UPDATE lines SET qty=qty+1 WHERE order_id=? AND line=?", p)
    for p in rnd.sample(free, rnd.randint(0, 1)):
        con.execute("DELETE FROM lines WHERE order_id=? AND line=?", p)
    # stock
    have = [tuple(r) for r in con.execute("SELECT sku, region FROM stock")]
    con.execute("INSERT OR REPLACE INTO stock VALUES (?,?,?)",
                (rnd.choice(["a,b", "x/y", "new%d" % rnd.randrange(5)]), rnd.randint(1, 6),
                 rnd.randint(0, 100)))
    for p in rnd.sample(have, 1):
        con.execute("UPDATE stock SET qty=? WHERE sku=? AND region=?", (rnd.randint(0, 100),) + p)
    if rnd.random() < 0.4:
        con.execute("DELETE FROM stock WHERE sku=? AND region=?", rnd.choice(have))
    # notes (no declared key: the rowid)
    body = [r[1] for r in con.execute("PRAGMA table_info(notes)")][1]
    have = [r[0] for r in con.execute("SELECT rowid FROM notes")]
    con.execute("INSERT INTO notes VALUES (?,?,?)", (rnd.choice(["ann", "dee"]), rnd.choice(TEXTS),
                                                    rval(rnd)))
    for r in rnd.sample(have, 1):
        con.execute("UPDATE notes SET %s=? WHERE rowid=?" % body, (rnd.choice(TEXTS) + "!", r))
    if rnd.random() < 0.5:
        con.execute("DELETE FROM notes WHERE rowid=?", (rnd.choice(have),))
    # descs
    have = [r[0] for r in con.execute("SELECT id FROM descs")]
    con.execute("INSERT OR IGNORE INTO descs VALUES (?,?)", (rnd.randint(-40, 70), rnd.choice(TEXTS)))
    con.execute("UPDATE descs SET v=? WHERE id=?", ("v%d" % step, rnd.choice(have)))
    if rnd.random() < 0.3:
        con.execute("DELETE FROM descs WHERE id=?", (rnd.choice(have),))
    # reals, blobs
    con.execute("INSERT OR REPLACE INTO reals VALUES (?,?)", (rnd.choice(REALS), "s%s" % step))
    if rnd.random() < 0.3:
        con.execute("DELETE FROM reals WHERE x=?", (rnd.choice(REALS),))
    con.execute("INSERT OR REPLACE INTO blobs VALUES (?,?)", (rnd.choice(BLOBS), step))
    if rnd.random() < 0.3:
        con.execute("DELETE FROM blobs WHERE b=?", (rnd.choice(BLOBS),))
    # changes (the table named "changes"): now and then
    if step % 3 == 0:
        con.execute("INSERT OR REPLACE INTO changes VALUES (?,?)", (rnd.randint(1, 9), "s%s" % step))
    # dropped / added / phoenix while they exist
    if exists(con, "dropped"):
        con.execute("UPDATE dropped SET v=? WHERE id=?", ("d-%s" % step, rnd.randint(1, 15)))
    if exists(con, "added"):
        have = [r[0] for r in con.execute("SELECT code FROM added")]
        con.execute("INSERT OR IGNORE INTO added VALUES (?,?)", ("k%d" % rnd.randint(1, 30), step))
        con.execute("UPDATE added SET n=n+100 WHERE code=?", (rnd.choice(have),))
    if exists(con, "phoenix") and step not in (14,):
        con.execute("UPDATE phoenix SET v=? WHERE id=?", ("p-%s" % step, rnd.randint(3, 12)))


def scripted(con, step):
    """The events the history checks rely on."""
    W = "UPDATE words SET v=? WHERE k=?"
    if step == 2:
        con.execute(W, ("v2", "héllo wörld"))
    if step == 3:
        con.execute("DELETE FROM words WHERE k='b/c'")
    if step == 4:
        con.execute("CREATE TABLE added(code TEXT PRIMARY KEY, n INTEGER)")
        con.executemany("INSERT INTO added VALUES (?,?)", [("k%d" % i, i) for i in range(1, 9)])
    if step == 5:
        con.execute(W, ("v5", "héllo wörld"))
        con.execute("UPDATE lines SET qty=55 WHERE order_id=1001 AND line=3")
    if step == 7:
        con.execute("INSERT INTO words VALUES ('b/c', 'back', 7)")
    if step == 8:
        con.execute("DROP TABLE phoenix")
    if step == 9:
        con.execute(W, ("nine", "a,b"))
        con.execute("UPDATE lines SET note='nine' WHERE order_id=1001 AND line=3")
    if step == 10:
        con.execute(W, ("ten", "a,b"))
    if step == 11:
        con.execute(W, (11, "héllo wörld"))
    if step == 12:
        con.execute("DROP TABLE dropped")
    if step == 13:
        # the same values under a new rowid: an update
        row = con.execute("SELECT v, n FROM words WHERE k='x y'").fetchone()
        con.execute("DELETE FROM words WHERE k='x y'")
        con.execute("INSERT INTO words(rowid, k, v, n) VALUES ((SELECT max(rowid)+5 FROM words), 'x y', ?, ?)",
                    row)
    if step == 14:
        con.execute("CREATE TABLE phoenix(id INTEGER PRIMARY KEY, v TEXT)")
        # 1, 2 as before the drop; 5 other values; 11, 12 new; 3, 4, 6.. gone
        con.executemany("INSERT INTO phoenix VALUES (?,?)",
                        [(1, "p1"), (2, "p2"), (5, "reborn"), (11, "p11"), (12, "p12")])
    if step == 15:
        con.execute(W, (15.5, "héllo wörld"))
    if step == 16:
        con.execute("ALTER TABLE notes RENAME COLUMN body TO text")
    if step == 18:
        con.execute("DELETE FROM words WHERE k='100%'")


def mutate(path, step):
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN")
    rnd = random.Random(9000 + (99 if step == "ooo" else step))
    random_ops(con, rnd, 99 if step == "ooo" else step)
    if step != "ooo":
        scripted(con, step)
    con.execute("COMMIT")
    con.close()


def build(work, strata, repo):
    db = os.path.join(work, "src.db")
    copies = os.path.join(work, "copies")
    os.makedirs(copies, exist_ok=True)
    make_db(db)
    gens = []
    taken = set()
    for order, (step, at) in enumerate(STEPS):
        if step == 6:
            pass  # the source is not touched at all
        elif step != 0:
            mutate(db, step)
        t = utc(at)
        name = gen_base_name(t)
        k = 1
        while name in taken:
            k += 1
            name = "%s-%03d" % (gen_base_name(t), k)
        taken.add(name)
        p = subprocess.run([strata, "backup", repo, db, "--at", at], capture_output=True)
        out = p.stdout.decode(errors="replace")
        if p.returncode:
            print("FAIL: backup of step %s: exit %d: %s %s" % (step, p.returncode, out,
                                                              p.stderr.decode(errors="replace")))
            return 1
        if not out.startswith("generation %s:" % name):
            print("FAIL: backup of step %s --at %s: want generation %s, strata says %r"
                  % (step, at, name, out[:200]))
            return 1
        cp = os.path.join(copies, name + ".db")
        shutil.copyfile(db, cp)
        gens.append({"name": name, "time": t, "order": order, "step": step, "copy": cp})
    with open(os.path.join(work, "gens.json"), "w") as f:
        json.dump(gens, f, indent=1)
    print("# %d generations taken" % len(gens))
    return 0


# ---------------------------------------------------------------------------
# the oracle: table versions from the copies

def type_class(t):
    return {"null": 0, "integer": 1, "real": 1, "text": 2, "blob": 3}[t]


def sort_key(key):
    """SQLite's order of keys under BINARY collation: NULL, numbers, text
    (memcmp), blobs (memcmp)."""
    return tuple((type_class(t), bytes(v) if t in ("text", "blob") else (0 if v is None else v))
                 for t, v in key)


class Row:
    """cols: the column names of the version it belongs to (a row's JSON keys)"""
    __slots__ = ("key", "rowid", "vals", "line", "cols")

    def __init__(self, key, rowid, vals, line, cols):
        self.key, self.rowid, self.vals, self.line, self.cols = key, rowid, vals, line, cols

    def same(self, other):
        return self.rowid == other.rowid and len(self.vals) == len(other.vals) and all(
            a[0] == b[0] and (struct.pack("<d", a[1]) == struct.pack("<d", b[1]) if a[0] == "real"
                              else a[1] == b[1]) for a, b in zip(self.vals, other.vals))


class Version:
    """One table as one generation holds it."""

    def __init__(self, con, table):
        self.table = table
        self.cols = [n for n, _ in o.columns(con, table)]
        self.header = o.header_line(con, table)
        self.wr = o.is_without_rowid(con, table)
        self.ko = not self.wr and o.is_key_ordered(con, table)
        sel = ", ".join("typeof(%s), %s" % (o.qi(c), o.qi(c)) for c in self.cols)
        if not self.wr:
            sel += ", _rowid_"
        typed = con.execute("SELECT %s FROM %s %s" % (sel, o.qi(table),
                                                      o.order_clause(con, table))).fetchall()
        kl = list(o.row_keys_and_lines(con, table))
        assert len(kl) == len(typed)
        self.rows = []
        for (key, line), r in zip(kl, typed):
            vals = tuple((r[2 * i].decode(), r[2 * i + 1]) for i in range(len(self.cols)))
            rowid = None if self.wr else r[-1]
            self.rows.append(Row(key, rowid, vals, line, self.cols))
        self.by_key = {r.key: r for r in self.rows}
        assert len(self.by_key) == len(self.rows), "duplicate user keys in %s" % table
        self.dirname = os.fsdecode(o.enc_name(table)[0])


class Gen:
    def __init__(self, d):
        self.name, self.time, self.order, self.step, self.copy = \
            d["name"], d["time"], d["order"], d["step"], d["copy"]
        con = o.connect(self.copy)
        self.tables = {}
        for t in o.table_names(con):
            v = Version(con, t)
            self.tables[v.dirname] = v
        con.close()


def diff(old, new):
    """[(op, Row)] between two versions (None: the table is not there), in key order."""
    ob = old.by_key if old else {}
    nb = new.by_key if new else {}
    out = []
    for k in sorted(set(ob) | set(nb), key=sort_key):
        a, b = ob.get(k), nb.get(k)
        if a is None:
            out.append(("insert", b))
        elif b is None:
            out.append(("delete", a))
        elif not a.same(b):
            out.append(("update", b))
    return out


def diff_csv(old, new):
    hdr = (new or old).header
    return b"op," + hdr + b"".join(op.encode() + b"," + r.line for op, r in diff(old, new))


def want_json(ty, v):
    """The JSONL encoding of a value (as t_views.sh checks it)."""
    if ty == "null":
        return None
    if ty == "integer":
        return v
    if ty == "real":
        if v in (float("inf"), float("-inf")):
            return {"real": "Infinity" if v > 0 else "-Infinity"}
        return v
    if ty == "text":
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            return {"text_hex": bytes(v).hex()}
    return {"blob": bytes(v).hex()}


def same_json(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is type(b) and struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def row_pairs(row):
    """a row's JSON object: its own version's column names"""
    return [[c, want_json(t, v)] for c, (t, v) in zip(row.cols, row.vals)]


class _Pairs(list):
    pass


def parse_line(line):
    """One JSON object -> [[key, value], ...] in its key order (nested objects as dicts)."""
    obj = json.loads(line, object_pairs_hook=_Pairs)
    if not isinstance(obj, _Pairs):
        raise ValueError("not an object: %r" % line[:100])

    def val(v):
        if isinstance(v, _Pairs):
            return {k: val(x) for k, x in v}
        if isinstance(v, list):
            return [val(x) for x in v]
        return v
    return [[k, val(v)] for k, v in obj]


def parse_jsonl(data):
    """JSON lines -> list of [[key, value], ...]; raises on bad JSON."""
    if data and not data.endswith(b"\n"):
        raise ValueError("no newline at the end")
    return [parse_line(l) for l in data.split(b"\n")[:-1]]


def key_name(key):
    parts = []
    for t, v in key:
        if t == "integer":
            parts.append(str(v).encode())
        elif t == "text":
            b = bytes(v)
            parts.append(b"".join(b"%%%02X" % c if c in b"%,/" or c < 0x20 or c == 0x7F
                                  else bytes([c]) for c in b))
        elif t == "blob":
            parts.append(b"x'" + bytes(v).hex().encode() + b"'")
        elif t == "real":
            r = repr(v)  # only values whose shortest decimal is plain here
            assert float(r) == v and ("." in r or "e" in r)
            parts.append(r.encode())
        else:
            raise ValueError("no key name for a %s in this test" % t)
    return os.fsdecode(b",".join(parts))


# ---------------------------------------------------------------------------
# the checks

class Checker:
    def __init__(self, work, strata, repo, mnt):
        self.strata_bin, self.repo, self.mnt = strata, repo, mnt
        with open(os.path.join(work, "gens.json")) as f:
            raw = json.load(f)
        self.gens = sorted((Gen(d) for d in raw), key=lambda g: (g.time, g.order))
        self.by_name = {g.name: g for g in self.gens}
        self.n = 0
        self.errs = []
        self.part = "?"

    # -- helpers
    def ok(self, cond, msg):
        self.n += 1
        if not cond:
            self.errs.append("[%s] %s" % (self.part, msg))
        return cond

    def read(self, path):
        """bytes, or the errno name."""
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError as e:
            return "errno %s" % (os.strerror(e.errno) if e.errno else e)

    def expect_bytes(self, path, want, what):
        got = self.read(path)
        if isinstance(got, str):
            return self.ok(False, "%s: %s: %s, want %d bytes %r" % (what, path, got, len(want), want[:200]))
        if got != want:
            d = o.first_difference(path, got, want, None) or ""
            return self.ok(False, "%s: %s\n   got  %r\n   want %r\n%s" % (what, path, got[:600], want[:600], d[:800]))
        st = os.stat(path)
        return self.ok(st.st_size == len(got), "%s: %s: st_size %d, read %d bytes" % (what, path, st.st_size, len(got)))

    def expect_enoent(self, path, what):
        try:
            os.lstat(path)
            e = 0
        except OSError as x:
            e = x.errno
        return self.ok(e == 2, "%s: %s: want ENOENT, got %s" % (what, path, os.strerror(e) if e else "it exists"))

    def expect_jsonl(self, path, want, what):
        """want: list of pair lists"""
        got = self.read(path)
        if isinstance(got, str):
            return self.ok(False, "%s: %s: %s" % (what, path, got))
        try:
            objs = parse_jsonl(got)
        except Exception as e:  # noqa
            return self.ok(False, "%s: %s does not parse as JSON lines (%s): %r" % (what, path, e, got[:300]))
        if len(objs) != len(want):
            return self.ok(False, "%s: %s: %d lines, want %d\n   got  %r\n   want %r"
                           % (what, path, len(objs), len(want), got[:600], want[:6]))
        for i, (g, w) in enumerate(zip(objs, want)):
            if [k for k, _ in g] != [k for k, _ in w] or not all(same_json(a[1], b[1]) for a, b in zip(g, w)):
                return self.ok(False, "%s: %s line %d:\n   got  %r\n   want %r" % (what, path, i + 1, g, w))
        return self.ok(os.stat(path).st_size == len(got), "%s: %s: st_size differs from read" % (what, path))

    def cli(self, *args):
        p = subprocess.run([self.strata_bin] + list(args), capture_output=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def expect_cli_fail(self, args, what):
        rc, out, err = self.cli(*args)
        lines = err.decode(errors="replace").splitlines()
        self.ok(rc != 0 and rc < 128 and len(lines) == 1 and lines[0].startswith("strata: ") and not out,
                "%s: strata %s: exit %d, stderr %r, stdout %r, want one 'strata: ' line and an error exit"
                % (what, " ".join(args), rc, err[:300], out[:200]))

    def holding(self, dirname):
        return [g for g in self.gens if dirname in g.tables]

    def prev_holding(self, g, dirname):
        p = None
        for h in self.gens:
            if h is g:
                return p
            if dirname in h.tables:
                p = h
        raise AssertionError

    # -- parts
    def check_names(self):
        self.part = "generations"
        want = [g.name for g in self.gens]
        got = sorted(e for e in os.listdir(self.mnt) if e not in ("latest", "tables", "at", "db"))
        self.ok(sorted(want) == got, "generations in the mount %r, want %r" % (got, sorted(want)))
        got = os.readlink(os.path.join(self.mnt, "latest"))
        self.ok(got == self.gens[-1].name, "latest -> %r, want %r" % (got, self.gens[-1].name))

    def check_keys(self):
        """<gen>/<table>/key/<KEY>.csv|.jsonl|.sql"""
        self.part = "key"
        steps = {0, "ooo", 3, 10, 14, 21}
        picked = [g for g in self.gens if g.step in steps]
        cli_budget = 12
        for g in picked:
            gdir = os.path.join(self.mnt, g.name)
            for dn, v in sorted(g.tables.items()):
                kdir = os.path.join(gdir, dn, "key")
                try:
                    lst = os.listdir(kdir)
                    self.ok(lst == [], "%s: lists %r, want nothing" % (kdir, lst[:5]))
                except OSError as e:
                    self.ok(False, "%s: cannot list: %s" % (kdir, e))
                rows = v.rows
                sel = []
                if rows:
                    sel = [rows[0], rows[-1], rows[len(rows) // 2], rows[len(rows) // 3]]
                if dn == "words":
                    sel += [r for r in rows if bytes(r.key[0][1]).decode() in AWKWARD]
                if dn in ("reals", "blobs"):
                    sel += rows
                seen = set()
                for r in sel:
                    if r.key in seen:
                        continue
                    seen.add(r.key)
                    kn = key_name(r.key)
                    base = os.path.join(kdir, kn)
                    what = "%s/%s key %r" % (g.name, dn, r.key)
                    want_csv = v.header + r.line
                    self.expect_bytes(base + ".csv", want_csv, what + " .csv")
                    self.expect_jsonl(base + ".jsonl", [row_pairs(r)], what + " .jsonl")
                    self.check_sql(g, dn, v, r, base + ".sql", what + " .sql")
                    if cli_budget > 0 and len(kn) > 0 and len(seen) % 4 == 1:
                        cli_budget -= 1
                        rc, out, err = self.cli("cat", self.repo, "%s/%s/key/%s.csv" % (g.name, dn, kn))
                        self.ok(rc == 0 and out == want_csv, "strata cat %s/%s/key/%s.csv: exit %d %r, want %r"
                                % (g.name, dn, kn, rc, (out or err)[:300], want_csv[:300]))
                # keys that are not there
                if not v.rows:
                    miss = (("integer", 1),)
                elif v.rows[0].key[0][0] == "integer":
                    miss = (("integer", 10 ** 6),) + tuple(v.rows[0].key[1:])
                else:
                    miss = (("text", b"no/such key"),) + tuple(v.rows[0].key[1:])
                for ext in ("csv", "jsonl", "sql"):
                    self.expect_enoent(os.path.join(kdir, key_name(miss) + "." + ext),
                                       "%s/%s missing key %r" % (g.name, dn, miss))
            # deleted words: absent in this generation
            w = g.tables["words"]
            for k in AWKWARD:
                if (("text", k.encode()),) not in w.by_key:
                    for ext in ("csv", "jsonl", "sql"):
                        self.expect_enoent(os.path.join(gdir, "words", "key", key_name((("text", k.encode()),)) + "." + ext),
                                           "%s words key %r (not in this generation)" % (g.name, k))
        # hex escapes in either case, through the mount and strata cat
        g = self.gens[-1]
        v = g.tables["words"]
        r = v.by_key[(("text", b"b/c"),)]
        self.expect_bytes(os.path.join(self.mnt, g.name, "words", "key", "b%2fc.csv"), v.header + r.line,
                          "lower-case escape b%2fc")
        rc, out, err = self.cli("cat", self.repo, "latest/words/key/a%2cb.jsonl")
        want = [row_pairs(v.by_key[(("text", b"a,b"),)])]
        try:
            okj = rc == 0 and len(parse_jsonl(out)) == 1 and same_json(parse_jsonl(out)[0], want[0])
        except Exception:  # noqa
            okj = False
        self.ok(okj, "strata cat latest/words/key/a%%2cb.jsonl: exit %d %r, want %r" % (rc, (out or err)[:300], want))
        self.expect_cli_fail(["cat", self.repo, "latest/words/key/no%2Fsuch.csv"], "strata cat of a missing key")
        # composite names spelled out, and the integer key written as "-7"
        self.expect_bytes(os.path.join(self.mnt, g.name, "items", "key", "-7.csv"),
                          g.tables["items"].header + g.tables["items"].by_key[(("integer", -7),)].line, "items -7")
        lk = (("integer", 1001), ("integer", 3))
        self.expect_bytes(os.path.join(self.mnt, g.name, "lines", "key", "1001,3.csv"),
                          g.tables["lines"].header + g.tables["lines"].by_key[lk].line, "lines 1001,3")
        self.expect_enoent(os.path.join(self.mnt, g.name, "lines", "key", "1001,3,1.csv"), "lines: one value too many")

    def check_sql(self, g, dn, v, r, path, what):
        sql = self.read(path)
        schema = self.read(os.path.join(self.mnt, g.name, dn, "schema.sql"))
        if isinstance(sql, str) or isinstance(schema, str):
            return self.ok(False, "%s: %s / schema.sql: %s %s" % (what, path, sql if isinstance(sql, str) else "",
                                                                  schema if isinstance(schema, str) else ""))
        try:
            con = sqlite3.connect(":memory:")
            con.text_factory = bytes
            con.executescript(schema.decode())
            con.executescript(sql.decode())
            sel = ", ".join("typeof(%s), %s" % (o.qi(c), o.qi(c)) for c in v.cols)
            if not v.wr:
                sel += ", _rowid_"
            got = con.execute("SELECT %s FROM %s" % (sel, o.qi(v.table))).fetchall()
            con.close()
        except Exception as e:  # noqa
            return self.ok(False, "%s: replaying schema.sql + %s: %s\n   %r" % (what, path, e, sql[:300]))
        if len(got) != 1:
            return self.ok(False, "%s: replay gives %d rows: %r" % (what, len(got), sql[:300]))
        vals = tuple((got[0][2 * i].decode(), got[0][2 * i + 1]) for i in range(len(v.cols)))
        back = Row(r.key, None if v.wr else got[0][-1], vals, None, v.cols)
        return self.ok(back.same(r), "%s: replay gives %r rowid %r, want %r rowid %r\n   %r"
                       % (what, vals, back.rowid, r.vals, r.rowid, sql[:300]))

    def check_changes(self):
        """<gen>/<table>/changes.csv and .jsonl of every table of every generation"""
        self.part = "changes"
        for g in self.gens:
            gdir = os.path.join(self.mnt, g.name)
            for dn, v in sorted(g.tables.items()):
                tdir = os.path.join(gdir, dn)
                lst = os.listdir(tdir)
                if dn == "changes":
                    # the table's own changes.csv / .jsonl win
                    self.ok(lst.count("changes.csv") == 1 and lst.count("changes.jsonl") == 1,
                            "%s: listing %r" % (tdir, lst))
                    con = o.connect(g.copy)
                    self.expect_bytes(os.path.join(tdir, "changes.csv"), o.table_csv(con, "changes"),
                                      "the table named changes")
                    con.close()
                    self.expect_jsonl(os.path.join(tdir, "changes.jsonl"), [row_pairs(r) for r in v.rows],
                                      "the table named changes")
                    continue
                self.ok("changes.csv" in lst and "changes.jsonl" in lst and "key" in lst,
                        "%s: listing %r lacks changes.csv, changes.jsonl or key" % (tdir, lst))
                p = self.prev_holding(g, dn)
                old = p.tables[dn] if p else None
                what = "%s/%s (previous: %s)" % (g.name, dn, p.name if p else "none")
                self.expect_bytes(os.path.join(tdir, "changes.csv"), diff_csv(old, v), what)
                if dn in ("phoenix", "words", "notes") and g.step in (0, "ooo", 6, 13, 14, 16):
                    rc, out, err = self.cli("cat", self.repo, "%s/%s/changes.csv" % (g.name, dn))
                    self.ok(rc == 0 and out == diff_csv(old, v), "strata cat %s/changes.csv: exit %d %r, want %r"
                            % (what, rc, (out or err)[:300], diff_csv(old, v)[:300]))
                self.expect_jsonl(os.path.join(tdir, "changes.jsonl"),
                                  [[["op", op]] + row_pairs(r) for op, r in diff(old, v)], what)
            # no directory for a table this generation does not hold
            for dn in ("dropped", "added", "phoenix"):
                if dn not in g.tables:
                    self.expect_enoent(os.path.join(gdir, dn), "%s has no %s" % (g.name, dn))
                    self.expect_enoent(os.path.join(gdir, dn, "changes.csv"), "%s has no %s" % (g.name, dn))

    def diff_expected(self, a, b, table, fmt):
        """what `strata diff R a b [--table table] --format fmt` prints"""
        if table is not None:
            va, vb = a.tables.get(table), b.tables.get(table)
            if fmt == "csv":
                return diff_csv(va, vb)
            return [[["op", op]] + row_pairs(r) for op, r in diff(va, vb)]
        out = b"" if fmt == "csv" else []
        for dn in sorted(set(a.tables) | set(b.tables), key=os.fsencode):
            va, vb = a.tables.get(dn), b.tables.get(dn)
            d = diff(va, vb)
            if not d:
                continue
            if fmt == "csv":
                out += b"==> " + os.fsencode(dn) + b" <==\n" + diff_csv(va, vb)
            else:
                out.append(dn)
                out += [[["op", op]] + row_pairs(r) for op, r in d]
        return out

    def run_diff(self, a, b, table, fmt, an=None, bn=None):
        args = ["diff", self.repo, an or a.name, bn or b.name, "--format", fmt]
        if table is not None:
            args += ["--table", table]
        rc, out, err = self.cli(*args)
        what = "strata " + " ".join(args[2:])
        if rc != 0:
            self.ok(False, "%s: exit %d: %r" % (what, rc, err[:300]))
            return None
        want = self.diff_expected(a, b, table, fmt)
        if fmt == "csv":
            self.ok(out == want, "%s:\n   got  %r\n   want %r" % (what, out[:800], want[:800]))
        else:
            try:
                got = []
                for l in out.split(b"\n")[:-1] if out.endswith(b"\n") or not out else None:
                    if l.startswith(b"==> ") and l.endswith(b" <=="):
                        got.append(os.fsdecode(l[4:-4]))
                    else:
                        got.append(parse_line(l))
            except Exception as e:  # noqa
                self.ok(False, "%s: does not parse (%s): %r" % (what, e, out[:300]))
                return out
            good = len(got) == len(want) and all(
                (g == w) if isinstance(w, str) else
                (isinstance(g, list) and [k for k, _ in g] == [k for k, _ in w] and
                 all(same_json(x[1], y[1]) for x, y in zip(g, w)))
                for g, w in zip(got, want))
            self.ok(good, "%s:\n   got  %r\n   want %r" % (what, out[:800], want[:8]))
        return out

    def check_diff(self):
        self.part = "diff"
        # consecutive generations: --table equals changes.csv / .jsonl (when the
        # previous generation holds the table or none before it does) and the oracle
        # (every pair without --table; with it, and in JSONL, every third pair:
        # each is a strata process, and the changes files of every pair are
        # checked against the oracle through the mount anyway)
        for i in range(1, len(self.gens)):
            a, b = self.gens[i - 1], self.gens[i]
            self.run_diff(a, b, None, "csv")
            if i % 3:
                continue
            self.run_diff(a, b, None, "jsonl")
            for dn in sorted(set(a.tables) | set(b.tables)):
                for fmt in ("csv", "jsonl"):
                    out = self.run_diff(a, b, dn, fmt)
                    if out is None or dn not in b.tables or dn == "changes":
                        continue
                    p = self.prev_holding(b, dn)
                    if p is a or p is None:
                        f = os.path.join(self.mnt, b.name, dn, "changes." + fmt)
                        got = self.read(f)
                        self.ok(got == out, "strata diff %s %s --table %s --format %s differs from %s:\n   %r\n   %r"
                                % (a.name, b.name, dn, fmt, f, out[:400], got[:400] if not isinstance(got, str) else got))
        # generations far apart, either way round, and "latest"
        G = {g.step: g for g in self.gens}
        pairs = [(G[0], G[21]), (G[3], G[17]), (G[21], G[0]), (G["ooo"], G[10]), (G[7], G[14]),
                 (G[11], G[13]), (G[2], G["ooo"]), (G[6], G[5])]
        for k, (a, b) in enumerate(pairs):
            for fmt in ("csv", "jsonl"):
                self.run_diff(a, b, None, fmt)
                if fmt == "csv" or k < 3:
                    for dn in sorted(set(a.tables) | set(b.tables)):
                        self.run_diff(a, b, dn, fmt)
        self.run_diff(G[0], G[21], None, "csv", bn="latest")
        self.run_diff(G[21], G[14], "phoenix", "jsonl", an="latest")
        # the generation that changed nothing: empty
        rc, out, err = self.cli("diff", self.repo, G[5].name, G[6].name)
        self.ok(rc == 0 and out == b"", "strata diff over the unchanged generation: exit %d %r" % (rc, out[:300]))
        self.expect_cli_fail(["diff", self.repo, G[0].name, "2020-01-01T000000Z"], "diff with no such generation")
        self.expect_cli_fail(["diff", self.repo, G[0].name, G[1].name, "--table", "nosuch"], "diff of no such table")
        self.expect_cli_fail(["diff", self.repo, G[0].name, G[1].name, "--format", "xml"], "diff --format xml")

    def history(self, dn, key):
        """[(gen, op, Row)] of one key over every generation holding dn"""
        out, prev = [], None
        for g in self.holding(dn):
            cur = g.tables[dn].by_key.get(key)
            if cur is not None and prev is None:
                out.append((g, "insert", cur))
            elif cur is not None and not cur.same(prev):
                out.append((g, "update", cur))
            elif cur is None and prev is not None:
                out.append((g, "delete", prev))
            prev = cur
        return out

    def check_tables(self):
        """tables/, tables/<T>/ links, tables/<T>/key/<KEY>.csv|.jsonl"""
        self.part = "tables"
        tdir = os.path.join(self.mnt, "tables")
        alln = set()
        for g in self.gens:
            alln |= set(g.tables)
        lst = os.listdir(tdir)
        self.ok(sorted(lst) == sorted(alln) and len(lst) == len(set(lst)), "tables/ lists %r, want %r"
                % (sorted(lst), sorted(alln)))
        rc, out, err = self.cli("ls", self.repo, "tables", "--json")
        self.ok(rc == 0 and [e["name"] for e in json.loads(out)] == lst,
                "strata ls tables: exit %d %r, the mount %r" % (rc, (out or err)[:300], lst))
        for dn in sorted(alln):
            d = os.path.join(tdir, dn)
            lst = os.listdir(d)
            want = [g.name for g in self.holding(dn)]
            self.ok([e for e in lst if e != "key"] == want and lst.count("key") == 1,
                    "tables/%s lists %r, want %r + key" % (dn, lst, want))
            self.ok(os.path.isdir(os.path.join(d, "key")) and not os.path.islink(os.path.join(d, "key")),
                    "tables/%s/key is not a directory" % dn)
            for gn in want:
                p = os.path.join(d, gn)
                tgt = os.readlink(p) if os.path.islink(p) else None
                self.ok(tgt == "../../%s/%s" % (gn, dn), "tables/%s/%s -> %r, want ../../%s/%s" % (dn, gn, tgt, gn, dn))
                self.ok(os.path.isdir(p), "tables/%s/%s does not resolve to a directory" % (dn, gn))
            for g in self.gens:
                if g.name not in want:
                    self.expect_enoent(os.path.join(d, g.name), "tables/%s/%s (not holding it)" % (dn, g.name))
            self.ok(os.listdir(os.path.join(d, "key")) == [], "tables/%s/key lists something" % dn)
            rc, out, err = self.cli("ls", self.repo, "tables/" + dn, "--json")
            try:
                ents = json.loads(out)
                okl = rc == 0 and [e["name"] for e in ents] == lst and all(
                    e.get("target") == "../../%s/%s" % (e["name"], dn) for e in ents if e["name"] != "key")
            except Exception:  # noqa
                okl = False
            self.ok(okl, "strata ls tables/%s: exit %d %r, the mount lists %r" % (dn, rc, (out or err)[:400], lst))
        self.expect_enoent(os.path.join(tdir, "nosuch"), "tables/nosuch")
        # per-row history
        G = {g.step: g for g in self.gens}
        T = lambda s: (("text", s.encode()),)  # noqa
        I = lambda *n: tuple(("integer", x) for x in n)  # noqa
        keys = [("words", T("b/c")), ("words", T("héllo wörld")), ("words", T("")), ("words", T("x y")),
                ("words", T("100%")), ("words", T("a,b")), ("items", I(-7)), ("lines", I(1001, 3)),
                ("stock", (("text", b"a,b"), ("integer", 2))), ("notes", I(1)), ("notes", I(3)),
                ("added", T("k1")), ("added", T("k3")), ("dropped", I(3)), ("dropped", I(4)),
                ("changes", I(1)), ("changes", I(3))]
        keys += [("phoenix", I(i)) for i in range(1, 13)]
        for dn in ("words", "descs", "items", "reals", "blobs"):
            ks = set()
            for g in self.gens:
                ks |= set(g.tables[dn].by_key)
            keys += [(dn, k) for k in sorted(ks, key=sort_key) if (dn, k) not in keys]
        stock_keys = [k for k in G[0].tables["stock"].by_key]
        keys.append(("stock", stock_keys[0]))
        kinds = {"insert-delete-insert": False, "several-updates": False, "never-changed": False,
                 "delete-at-end": False}
        cli = 0
        for dn, key in keys:
            h = self.history(dn, key)
            base = os.path.join(tdir, dn, "key", key_name(key))
            what = "tables/%s/key/%s" % (dn, key_name(key))
            if not h:
                for ext in ("csv", "jsonl"):
                    self.expect_enoent(base + "." + ext, what + " (never present)")
                continue
            ops = [op for _, op, _ in h]
            if ops[:3] == ["insert", "delete", "insert"]:
                kinds["insert-delete-insert"] = True
            if ops.count("update") >= 3:
                kinds["several-updates"] = True
            if ops == ["insert"]:
                kinds["never-changed"] = True
            if ops[-1] == "delete":
                kinds["delete-at-end"] = True
            newest = self.holding(dn)[-1].tables[dn]
            want = b"generation,op," + newest.header + b"".join(
                g.name.encode() + b"," + op.encode() + b"," + r.line for g, op, r in h)
            self.expect_bytes(base + ".csv", want, what)
            cols = newest.cols
            self.expect_jsonl(base + ".jsonl", [[["generation", g.name], ["op", op]] + row_pairs(r)
                                                for g, op, r in h], what)
            self.expect_enoent(base + ".sql", what + " .sql")
            if cli < 8 and dn in ("words", "phoenix", "lines"):
                cli += 1
                rc, out, err = self.cli("cat", self.repo, "tables/%s/key/%s.csv" % (dn, key_name(key)))
                self.ok(rc == 0 and out == want, "strata cat %s.csv: exit %d %r, want %r" % (what, rc, (out or err)[:300], want[:300]))
        self.ok(all(kinds.values()), "the history lacks a case: %r" % kinds)
        for dn, key in [("words", T("never/was")), ("items", I(10 ** 9)), ("lines", I(1, 1)),
                        ("reals", (("real", 99.5),)), ("blobs", (("blob", b"\xde\xad"),))]:
            for ext in ("csv", "jsonl"):
                self.expect_enoent(os.path.join(tdir, dn, "key", key_name(key) + "." + ext),
                                   "tables/%s key %r never present" % (dn, key))
        self.expect_cli_fail(["cat", self.repo, "tables/words/key/never%2Fwas.csv"], "strata cat of a key never present")

    def check_at(self):
        self.part = "at"
        adir = os.path.join(self.mnt, "at")
        self.ok(os.path.isdir(adir) and os.listdir(adir) == [], "at/ lists %r" % (os.listdir(adir),))
        rc, out, err = self.cli("ls", self.repo, "at", "--json")
        self.ok(rc == 0 and json.loads(out or b"null") == [], "strata ls at: exit %d %r" % (rc, (out or err)[:200]))

        def newest_at(t):
            best = None
            for g in self.gens:  # sorted by time, then backup order
                if g.time <= t:
                    best = g
            return best

        def rfc_forms(t, frac=""):
            """RFC 3339: UTC and two offsets, with an optional fraction"""
            tm = time.gmtime(t)
            e = time.gmtime(t + 3600)
            w = time.gmtime(t - 5 * 3600 - 1800)
            return [time.strftime("%Y-%m-%dT%H:%M:%S", tm) + frac + "Z",
                    time.strftime("%Y-%m-%dT%H:%M:%S", e) + frac + "+01:00",
                    time.strftime("%Y-%m-%dT%H:%M:%S", w) + frac + "-05:30"]

        def forms(t):
            """the same instant in every accepted spelling"""
            tm = time.gmtime(t)
            e = time.gmtime(t + 3600)
            return rfc_forms(t) + [time.strftime("%Y%m%dT%H%M%S", tm) + "Z",
                                   time.strftime("%Y%m%dT%H%M%S", e) + "+0100",
                                   time.strftime("%Y-%m-%dT%H%M%S", tm) + "Z"]

        cases = []  # (name, epoch or None for ENOENT-by-invalid)
        first = self.gens[0].time
        for g in self.gens:
            for f in forms(g.time):
                cases.append((f, g.time))
            for f in forms(g.time - 1):
                cases.append((f, g.time - 1))
            cases.append((rfc(g.time + 1), g.time + 1))
        for i in range(1, len(self.gens)):
            mid = (self.gens[i - 1].time + self.gens[i].time) // 2
            cases.append((rfc(mid), mid))
        # fractions: .5 after a generation's second is still that second
        for g in self.gens[::3] + [self.gens[0]]:
            cases += [(f, g.time) for f in rfc_forms(g.time, ".5") + rfc_forms(g.time, ".999999")]
            cases += [(f, g.time - 1) for f in rfc_forms(g.time - 1, ".999")]
        cases.append(("2026-11-12T14:00:00,25Z", utc("2026-11-12T14:00:00Z")))
        # dates: the end of that day, UTC
        day = 24 * 3600
        for d0 in range(first - 2 * day, self.gens[-1].time + 3 * day, day):
            end = d0 - d0 % day + day - 1
            cases.append((time.strftime("%Y-%m-%d", time.gmtime(end)), end))
            cases.append((time.strftime("%Y%m%d", time.gmtime(end)), end))
        cases += [("2026-10-31T23:59:59Z", utc("2026-10-31T23:59:59Z")), ("2030-01-01T00:00:00Z", utc("2030-01-01T00:00:00Z")),
                  ("2028-02-29", utc("2028-02-29T23:59:59Z")), ("1970-01-01T00:00:00Z", 0)]
        invalid = ["2026-02-30", "20260230", "2027-02-29", "now", "2026-13-01", "2026-11-20T25:00:00Z",
                   "2026-11-20T14:61:00Z", "2026-11-20T14:00:60Z", "not-a-time", "2026-11-20T14:00:00",
                   "2026-11-20T14:00:00+0", "2026-11-20X", "latest"]
        seen_kinds = set()
        cli = 0
        for name, t in cases:
            g = newest_at(t)
            p = os.path.join(adir, name)
            if g is None:
                seen_kinds.add("before")
                self.expect_enoent(p, "at/%s (before the first generation)" % name)
                continue
            if g.time == t:
                seen_kinds.add("exact")
            try:
                tgt = os.readlink(p)
            except OSError as e:
                tgt = "errno " + os.strerror(e.errno)
            self.ok(tgt == "../" + g.name, "at/%s -> %r, want ../%s" % (name, tgt, g.name))
            if cli < 6 and g.step in (10, 21, "ooo", 2, 3, 6):
                cli += 1
                v = g.tables["items"]
                r = v.by_key[(("integer", -7),)]
                rc, out, err = self.cli("cat", self.repo, "at/%s/items/key/-7.csv" % name)
                self.ok(rc == 0 and out == v.header + r.line, "strata cat at/%s/items/key/-7.csv: exit %d %r"
                        % (name, rc, (out or err)[:300]))
        self.ok(seen_kinds == {"before", "exact"}, "at/ cases lack a kind: %r" % seen_kinds)
        # the same second: the later backup; a date: the last generation of that day
        self.ok(os.readlink(os.path.join(adir, "2026-11-12T140000Z")) == "../2026-11-12T140000Z-002",
                "at/2026-11-12T140000Z: want the later of the two backups of that second")
        self.ok(os.readlink(os.path.join(adir, "2026-11-03")) == "../2026-11-03T235959Z", "at/2026-11-03")
        self.ok(os.readlink(os.path.join(adir, "20261103T120000Z")) == "../2026-11-03T100000Z",
                "at/20261103T120000Z: the generation taken later with an earlier time")
        for name in invalid:
            self.expect_enoent(os.path.join(adir, name), "at/%s (not a time)" % name)
        self.expect_cli_fail(["ls", self.repo, "at/now"], "strata ls at/now")
        self.expect_cli_fail(["ls", self.repo, "at/2026-10-31"], "strata ls at/ before the first generation")
        self.ok(os.listdir(adir) == [], "at/ lists something after the lookups: %r" % os.listdir(adir)[:5])


def check(work, strata, repo, mnt):
    t0 = time.time()
    c = Checker(work, strata, repo, mnt)
    for part in (c.check_names, c.check_keys, c.check_changes, c.check_diff, c.check_tables, c.check_at):
        before = len(c.errs)
        n0 = c.n
        t1 = time.time()
        part()
        print("# %-14s %5d checks, %d failed (%.1f s)" % (c.part, c.n - n0, len(c.errs) - before, time.time() - t1))
    print("# %d checks over %d generations (%.1f s)" % (c.n, len(c.gens), time.time() - t0))
    for e in c.errs[:40]:
        print("FAIL: " + e)
    if len(c.errs) > 40:
        print("FAIL: ... and %d more" % (len(c.errs) - 40))
    return 1 if c.errs else 0


if __name__ == "__main__":
    a = sys.argv
    if len(a) == 5 and a[1] == "build":
        sys.exit(build(a[2], a[3], a[4]))
    if len(a) == 6 and a[1] == "check":
        sys.exit(check(a[2], a[3], a[4], a[5]))
    print(__doc__)
    sys.exit(2)
