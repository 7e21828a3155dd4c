#!/usr/bin/python3
"""Soak test for stratafs: many concurrent readers across many generations
while new backups keep arriving, every byte checked against the oracle.

Standard library only.  Subcommands:

  mkdb DB --step N [--rows R]
      Create the soak database (step 1, R rows in `events`, default 120000)
      or evolve it step by step up to step N: updates, inserts at the end and
      in gaps, deleted ranges, tables created and dropped, schema changes.

  prepare DB ORACLE_DIR NAME --at RFC3339 [--label L] [--prev NAME]
      Write what generation NAME must contain, computed from DB with
      tests/oracle.py (whole-table CSVs, exact schema.sql texts, each row's
      body offset and encoded key), into ORACLE_DIR/NAME (atomically: a
      rename).  Files equal to those of --prev are hard links.

  writer DB REPO ORACLE_DIR --strata BIN --from N [--to M] [--rows R]
         [--interval S] [--stop-file F]
      For step = N, N+1, ...: mkdb, prepare (before the backup), then
      `strata backup REPO DB --at T --label "soak step N"`, then record the
      time the backup finished in ORACLE_DIR/.done/NAME.  Generation time T
      is 2026-11-01T02:00:00Z + (step - 1) days.  Stops after step M or when
      the stop file exists.  Exit 1 on any failure.

  run MOUNT ORACLE_DIR --duration S [--readers 16] [--procs 4]
      [--cache-size BYTES] [--rss-margin BYTES] [--no-rss-bar] [--pid PID]
      [--seed N] [--max-latency S]
      Runs the readers for S seconds.  Readers (threads, spread over
      processes) mix whole-file sequential reads (page cache dropped first,
      or O_DIRECT, or plain) of whole-table CSVs and rows/ files, random
      preads (1 B .. 256 KiB, uniform offsets, across chunk boundaries, at
      and past EOF; mostly O_DIRECT so they reach stratafs), listings and
      stats of every kind of directory, generation.json / schema.sql reads
      and reads through `latest`, on every generation, picking up new
      generations as they appear.  Prints one line each: duration, reads
      served, bytes read, errors, wrong bytes, peak RSS of stratafs (VmHWM)
      and the cache bound.  Exit 1 on any error or wrong byte, or when the
      peak RSS exceeds cache_size + margin (unless --no-rss-bar).
"""

import argparse
import array
import bisect
import datetime
import json
import mmap
import multiprocessing
import os
import random
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import traceback

# what the root holds besides the generations (mount layout 5)
ROOT_DIRS = ("latest", "tables", "at", "db")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402  (tests/oracle.py)

MiB = 1 << 20
GEN_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z(-[0-9]+)?$")
BASE_TIME = datetime.datetime(2026, 11, 1, 2, 0, 0, tzinfo=datetime.timezone.utc)


# ---------------------------------------------------------------------------
# the soak database

SCHEMA = """
CREATE TABLE events(
  id INTEGER PRIMARY KEY,
  ts TEXT NOT NULL,
  kind TEXT,
  amount REAL,
  qty INTEGER,
  payload BLOB,
  note TEXT
);
CREATE INDEX events_by_kind ON events(kind, ts);
CREATE TABLE accounts(
  name TEXT PRIMARY KEY,
  balance INTEGER NOT NULL,
  city TEXT,
  updated TEXT
) WITHOUT ROWID;
CREATE TABLE pairs(a INTEGER, b TEXT, v REAL, PRIMARY KEY(a, b)) WITHOUT ROWID;
CREATE TABLE notes(id INTEGER PRIMARY KEY, title TEXT, body TEXT);
CREATE TABLE config(k TEXT PRIMARY KEY, v);
CREATE TABLE empty_t(x INTEGER, y TEXT);
CREATE VIEW big_events AS SELECT id, amount FROM events WHERE amount > 900;
CREATE TRIGGER notes_touch AFTER UPDATE ON notes BEGIN
  UPDATE config SET v = v + 1 WHERE k = 'note_updates';
END;
"""

KINDS = ["click", "view", "buy", "refund", None, "a,b", 'say "hi"', "", "multi\nline",
         "\\.", "späť", "日本"]
CITIES = ["Berlin", "Paris", "São Paulo", "New York, NY", "Zürich", "Oslo", "Lagos", "東京"]
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta, eta", 'the "theta"', "iota"]
SPECIAL_REALS = [0.0, -0.0, 1e300, -1e-300, 5e-324, 0.1 + 0.2, 1 / 3, 1e15, 1e16, 2.5e-8,
                 float("inf"), float("-inf"), 100.0]


def ev_row(rnd, i, day):
    r = rnd.random()
    if r < 0.02:
        amount = rnd.choice(SPECIAL_REALS)
    elif r < 0.05:
        amount = None
    else:
        amount = round(rnd.uniform(-1000, 1000), rnd.randint(0, 6))
    qty = rnd.choice([0, 1, 2, 3, -1, 2 ** 62, -2 ** 63, 2 ** 63 - 1, rnd.randint(-99999, 99999)])
    payload = None if rnd.random() < 0.4 else bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 20)))
    r = rnd.random()
    if r < 0.3:
        note = None
    elif r < 0.33:
        note = ""
    elif r < 0.335:
        note = "long " + " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(100, 600)))
    else:
        note = "%s %d %s" % (rnd.choice(WORDS), i, "x" * rnd.randint(0, 30))
    ts = "2026-%02d-%02d %02d:%02d:%02d" % (10 + day // 28 % 3, 1 + day % 28, rnd.randint(0, 23),
                                            rnd.randint(0, 59), rnd.randint(0, 59))
    return (i, ts, rnd.choice(KINDS), amount, qty, payload, note)


def acct_name(rnd, i):
    if i % 997 == 5:
        return "long account %d %s" % (i, "y" * 120)  # encoded key > 100 bytes: truncated name
    return "acct %05d %s" % (i, rnd.choice(CITIES))


def db_create(con, nrows):
    rnd = random.Random(1)
    rows = []
    i = 0
    while len(rows) < nrows:
        i += 1
        if i % 7 == 0:
            continue  # gaps for later inserts in the middle of the key space
        rows.append(ev_row(rnd, i, 0))
    con.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?)", rows)
    con.executemany("INSERT OR IGNORE INTO accounts VALUES (?,?,?,?)",
                    [(acct_name(rnd, i), rnd.randint(-10 ** 6, 10 ** 9), rnd.choice(CITIES + [None]),
                      "2026-10-01") for i in range(max(50, nrows // 20))])
    con.executemany("INSERT OR IGNORE INTO pairs VALUES (?,?,?)",
                    [(rnd.choice([rnd.randint(-50, 50), rnd.randint(-2 ** 40, 2 ** 40), -2 ** 63, 2 ** 63 - 1]),
                      rnd.choice(["", "x", "y,z", "b+c", "ä", "k%d" % rnd.randint(0, 999)]),
                      rnd.choice([None, rnd.uniform(-1e6, 1e6), 0.5])) for _ in range(max(30, nrows // 40))])
    con.executemany("INSERT INTO notes VALUES (?,?,?)",
                    [(k, "note %d" % k, "\n".join('line %d, "quoted", %s' % (j, rnd.choice(WORDS))
                                                  for j in range(rnd.choice([1, 3, 10, 200, 1500]))))
                     for k in range(1, 301)])
    con.executemany("INSERT INTO config VALUES (?,?)",
                    [("nrows", nrows), ("note_updates", 0), ("step", 1), ("blob", b"\x00\xff"),
                     ("pi", 3.141592653589793), ("empty", "")])


def db_evolve(con, step):
    rnd = random.Random(step * 7919)
    maxid = con.execute("SELECT max(id) FROM events").fetchone()[0] or 0
    nrows = con.execute("SELECT v FROM config WHERE k='nrows'").fetchone()[0]
    # updates: a few scattered over the table, more in the recent (hot) end,
    # so some chunks change and others stay shared with older generations
    for k in range(max(20, nrows // 1000)):
        lo = 1 if k % 4 == 0 else maxid - maxid // 10
        con.execute("UPDATE events SET amount=?, note=? WHERE id=?",
                    (round(rnd.uniform(-1000, 1000), 2), "updated at step %d" % step, rnd.randint(lo, maxid)))
    # inserts at the end and in the gaps
    con.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?)",
                    [ev_row(rnd, maxid + 1 + k, step) for k in range(max(20, nrows // 400))])
    con.executemany("INSERT OR REPLACE INTO events VALUES (?,?,?,?,?,?,?)",
                    [ev_row(rnd, 7 * rnd.randint(1, maxid // 7), step) for _ in range(max(5, nrows // 2000))])
    # a deleted range
    lo = rnd.randint(1, maxid)
    con.execute("DELETE FROM events WHERE id BETWEEN ? AND ?", (lo, lo + rnd.randint(0, 60)))
    # accounts
    names = [r[0] for r in con.execute("SELECT name FROM accounts ORDER BY name")]
    for _ in range(30):
        con.execute("UPDATE accounts SET balance = balance + ?, updated = ? WHERE name = ?",
                    (rnd.randint(-500, 500), "2026-11-%02d" % (1 + step % 28), rnd.choice(names)))
    con.executemany("INSERT OR IGNORE INTO accounts VALUES (?,?,?,?)",
                    [("acct new %d-%d" % (step, k), k, rnd.choice(CITIES), None) for k in range(5)])
    for n in rnd.sample(names, min(2, len(names))):
        con.execute("DELETE FROM accounts WHERE name = ?", (n,))
    # pairs
    con.executemany("INSERT OR IGNORE INTO pairs VALUES (?,?,?)",
                    [(rnd.randint(-100, 100), "s%d" % step, float(k)) for k in range(20)])
    keys = con.execute("SELECT a, b FROM pairs ORDER BY a, b").fetchall()
    for a, b in rnd.sample(keys, min(10, len(keys))):
        con.execute("DELETE FROM pairs WHERE a = ? AND b = ?", (a, b))
    # notes every third step (the trigger then changes config)
    if step % 3 == 0:
        con.execute("UPDATE notes SET body = ? WHERE id = ?",
                    ("rewritten at step %d\nwith, commas" % step, rnd.randint(1, 300)))
    if step % 4 == 0:
        con.execute("UPDATE config SET v = ? WHERE k = 'step'", (step,))
    # a table that exists only for a while; schema changes
    if step % 5 == 0:
        con.execute('CREATE TABLE "tmp step %d"(x INTEGER, y TEXT)' % step)
        con.executemany('INSERT INTO "tmp step %d" VALUES (?,?)' % step,
                        [(k, "row %d" % k) for k in range(100)])
    elif step % 5 == 2:
        for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'tmp step %'").fetchall():
            con.execute('DROP TABLE "%s"' % t.replace('"', '""'))
    if step % 7 == 0:
        con.execute("CREATE INDEX IF NOT EXISTS accounts_by_city ON accounts(city)")
    elif step % 7 == 3:
        con.execute("DROP INDEX IF EXISTS accounts_by_city")


def mkdb(path, step, nrows):
    con = sqlite3.connect(path, isolation_level=None)
    cur = con.execute("PRAGMA user_version").fetchone()[0]
    if cur > step:
        raise SystemExit("soak: %s is already at step %d > %d" % (path, cur, step))
    if cur == 0:
        con.executescript(SCHEMA)
        con.execute("BEGIN")
        db_create(con, nrows)
        con.execute("PRAGMA user_version=1")
        con.execute("COMMIT")
        cur = 1
    for s in range(cur + 1, step + 1):
        con.execute("BEGIN")
        db_evolve(con, s)
        con.execute("PRAGMA user_version=%d" % s)
        con.execute("COMMIT")
    con.close()


# ---------------------------------------------------------------------------
# oracle preparation

def gen_time(step):
    return BASE_TIME + datetime.timedelta(days=step - 1)


def gen_name_of(t):
    return t.strftime("%Y-%m-%dT%H%M%SZ")


def prepare(db, odir, name, at, label=None, prev=None):
    final = os.path.join(odir, name)
    if os.path.exists(final):
        raise SystemExit("soak: oracle %s exists already" % final)
    tmp = os.path.join(odir, ".tmp-" + name)
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    prevdir = os.path.join(odir, prev) if prev else None
    con = oracle.connect(db)
    con.execute("BEGIN")  # one consistent read

    def put(rel, data):
        p = os.path.join(tmp, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if prevdir:
            q = os.path.join(prevdir, rel)
            try:
                if os.stat(q).st_size == len(data):
                    with open(q, "rb") as f:
                        if f.read() == data:
                            os.link(q, p)
                            return
            except FileNotFoundError:
                pass
        with open(p, "wb") as f:
            f.write(data)

    # the schema texts exactly as docs/FORMAT.md (Backup, steps 3 and 4) says
    # (tables, indexes, views, triggers, each group in sqlite_schema order;
    # no SQLite-internal tables and no shadow tables of virtual tables)
    shadow = {r[0] for r in con.execute(
        "SELECT name FROM pragma_table_list WHERE schema='main' AND type='shadow'")}
    gschema = b"".join(r[0] + b";\n" for r in con.execute(
        "SELECT sql, name FROM sqlite_master WHERE sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid")
        if r[1] not in shadow)
    put("schema.sql", gschema)
    tables = []
    for t in oracle.table_names(con):
        pre, trunc = oracle.enc_name(t)
        if trunc:
            raise SystemExit("soak: table name %r too long for the soak oracle" % t)
        d = os.fsdecode(pre)
        hdr = oracle.header_line(con, t)
        offsets = array.array("Q")
        keys = []
        body = []
        o = 0
        for k, line in oracle.row_keys_and_lines(con, t):
            offsets.append(o)
            o += len(line)
            body.append(line)
            e, tr = oracle.enc_key(k)
            keys.append(b"?" if e is None else e + (b"~~" if tr else b""))
        offsets.append(o)
        if sys.byteorder != "little":
            offsets.byteswap()
        keyw = max((len(k) for k in keys), default=1)
        tschema = b"".join(r[0] + b";\n" for r in con.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name=? AND sql IS NOT NULL "
            "ORDER BY type='table' DESC, type='index' DESC, name", (t,)))
        put(os.path.join(d, d + ".csv"), hdr + b"".join(body))
        put(os.path.join(d, "schema.sql"), tschema)
        put(os.path.join(d, "offsets.u64"), offsets.tobytes())
        put(os.path.join(d, "keys"), b"".join(k.ljust(keyw) for k in keys))
        tables.append({"name": t, "path": d, "rows": len(keys),
                       "without_rowid": oracle.is_without_rowid(con, t),
                       "header_len": len(hdr), "csv_len": len(hdr) + o, "keyw": keyw})
    con.close()
    meta = {"name": name, "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "unix_time": int(at.timestamp()), "label": label or "",
            "source": os.path.realpath(db), "source_bytes": os.stat(db).st_size,
            "tables": tables}
    with open(os.path.join(tmp, "gen.json"), "w") as f:
        json.dump(meta, f, indent=1)
    os.rename(tmp, final)


# ---------------------------------------------------------------------------
# writer: evolve the database, prepare the oracle, back up

def cmd_writer(a):
    os.makedirs(os.path.join(a.oracle_dir, ".done"), exist_ok=True)
    step = a.first
    n = 0
    times = []
    while a.to is None or step <= a.to:
        if a.stop_file and os.path.exists(a.stop_file):
            break
        at = gen_time(step)
        name = gen_name_of(at)
        prev = gen_name_of(gen_time(step - 1)) if step > 1 else None
        if prev and not os.path.isdir(os.path.join(a.oracle_dir, prev)):
            prev = None
        mkdb(a.db, step, a.rows)
        label = "soak step %d" % step
        prepare(a.db, a.oracle_dir, name, at, label, prev)
        t0 = time.time()
        p = subprocess.run([a.strata, "backup", a.repo, a.db, "--at", at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            "--label", label], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        t1 = time.time()
        if p.returncode != 0:
            msg = "soak writer: strata backup step %d (%s) exited %d: %s" % (
                step, name, p.returncode, p.stdout.decode(errors="replace").strip())
            print(msg, file=sys.stderr)
            with open(os.path.join(a.oracle_dir, ".writer-errors"), "a") as f:
                f.write(msg + "\n")
            return 1
        with open(os.path.join(a.oracle_dir, ".done", name + ".tmp"), "w") as f:
            json.dump({"done": t1, "backup_secs": t1 - t0, "step": step}, f)
        os.rename(os.path.join(a.oracle_dir, ".done", name + ".tmp"),
                  os.path.join(a.oracle_dir, ".done", name))
        times.append(t1 - t0)
        n += 1
        step += 1
        if a.verbose:
            print("# soak writer: %s backed up in %.2f s" % (name, t1 - t0), flush=True)
        end = time.time() + a.interval
        while time.time() < end and not (a.stop_file and os.path.exists(a.stop_file)):
            time.sleep(0.05)
    if n:
        print("# soak writer: %d backup(s), steps %d..%d, %.2f s each on average, slowest %.2f s"
              % (n, a.first, step - 1, sum(times) / n, max(times)), flush=True)
    return 0


# ---------------------------------------------------------------------------
# reading side: oracle objects

def mmap_file(path):
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return b""
        return mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)


class Table:
    def __init__(self, gen, info):
        self.gen = gen
        self.name = info["name"]
        self.path = info["path"]
        self.rows = info["rows"]
        self.wr = info["without_rowid"]
        self.hdr_len = info["header_len"]
        self.csv_len = info["csv_len"]
        self.keyw = info["keyw"]
        self.odir = os.path.join(gen.odir, self.path)
        self._csv = self._offs = self._keys = None
        self._schema = None
        self.layout = None  # verified rows/ listing: [(fname, size, body_off)]

    def csv(self):
        if self._csv is None:
            self._csv = mmap_file(os.path.join(self.odir, self.path + ".csv"))
            if len(self._csv) != self.csv_len:
                raise RuntimeError("oracle %s: csv length %d != %d" % (self.odir, len(self._csv), self.csv_len))
        return self._csv

    def schema(self):
        if self._schema is None:
            with open(os.path.join(self.odir, "schema.sql"), "rb") as f:
                self._schema = f.read()
        return self._schema

    def offsets(self):
        if self._offs is None:
            m = mmap_file(os.path.join(self.odir, "offsets.u64"))
            self._offs = memoryview(m).cast("Q")
        return self._offs

    def key(self, i):
        if self._keys is None:
            self._keys = mmap_file(os.path.join(self.odir, "keys"))
        return self._keys[i * self.keyw:(i + 1) * self.keyw].rstrip(b" ")

    def row_index(self, body_off):
        """index of the row starting at body_off, or None if no row starts there"""
        offs = self.offsets()
        i = bisect.bisect_left(offs, body_off)
        if i < len(offs) and offs[i] == body_off:
            return i
        return None

    def abs_path(self, mnt):
        return os.path.join(mnt, self.gen.name, self.path)


class Gen:
    def __init__(self, odir_root, name):
        self.name = name
        self.odir = os.path.join(odir_root, name)
        with open(os.path.join(self.odir, "gen.json")) as f:
            self.meta = json.load(f)
        with open(os.path.join(self.odir, "schema.sql"), "rb") as f:
            self.schema = f.read()
        self.tables = [Table(self, t) for t in self.meta["tables"]]
        self.mtime = self.meta["unix_time"]
        self.weights = [1 + (t.csv_len ** 0.5) for t in self.tables]


def key_ok(name_part, want):
    """name_part: encoded key as it appears in the file name; want: oracle's"""
    if want == b"?":
        return True
    if want.endswith(b"~~"):
        return re.fullmatch(re.escape(want) + rb"[0-9a-f]{16}", name_part) is not None
    return name_part == want


# ---------------------------------------------------------------------------
# reader worker

class Stats:
    def __init__(self):
        self.reads = 0
        self.bytes = 0
        self.errors = 0
        self.wrong_bytes = 0
        self.mismatches = 0
        self.ops = {}
        self.msgs = []

    def op(self, k):
        self.ops[k] = self.ops.get(k, 0) + 1

    def add(self, o):
        self.reads += o.reads
        self.bytes += o.bytes
        self.errors += o.errors
        self.wrong_bytes += o.wrong_bytes
        self.mismatches += o.mismatches
        for k, v in o.ops.items():
            self.ops[k] = self.ops.get(k, 0) + v
        self.msgs.extend(o.msgs[:max(0, 40 - len(self.msgs))])

    def as_dict(self):
        return self.__dict__

    @classmethod
    def from_dict(cls, d):
        s = cls()
        s.__dict__.update(d)
        return s


def count_wrong(got, exp):
    n = min(len(got), len(exp))
    if got[:n] == exp[:n]:
        return abs(len(got) - len(exp)), n
    first = next(i for i in range(n) if got[i] != exp[i])
    wrong = sum(1 for i in range(first, n) if got[i] != exp[i])
    return wrong + abs(len(got) - len(exp)), first


SIZES = [1, 2, 3, 17, 100, 511, 512, 4095, 4096, 4097, 65535, 65536, 65537, 131072,
         131073, 262143, 262144]


class Reader:
    def __init__(self, shared, rnd, stats):
        self.sh = shared
        self.rnd = rnd
        self.st = stats
        self.mnt = shared.mnt
        self.last_latest = ""
        self.ctx = ""

    # -- bookkeeping
    def err(self, msg):
        self.st.errors += 1
        if len(self.st.msgs) < 40:
            self.st.msgs.append("ERROR %.3f %s" % (time.time() - self.sh.t0, msg))

    def check(self, what, got, exp):
        """compare bytes read with the oracle's; returns True if equal"""
        if got == exp:
            return True
        wrong, first = count_wrong(got, exp)
        self.st.wrong_bytes += wrong
        self.st.mismatches += 1
        if len(self.st.msgs) < 40:
            self.st.msgs.append("WRONG %.3f %s: got %d bytes, want %d, %d wrong byte(s), first at +%d: got %r want %r"
                                % (time.time() - self.sh.t0, what, len(got), len(exp), wrong, first,
                                   bytes(got[first:first + 40]), bytes(exp[first:first + 40])))
        return False

    def pread(self, fd, n, off):
        b = os.pread(fd, n, off)
        self.st.reads += 1
        self.st.bytes += len(b)
        return b

    # -- choices
    def pick_gen(self):
        names = self.sh.names
        if self.rnd.random() < 0.35:
            name = self.rnd.choice(names[-3:])
        else:
            name = self.rnd.choice(names)
        return self.sh.gens[name]

    def pick_table(self, g):
        return self.rnd.choices(g.tables, weights=g.weights)[0]

    def pick_size(self):
        if self.rnd.random() < 0.3:
            return self.rnd.choice(SIZES)
        return int(2 ** self.rnd.uniform(0, 18))

    # -- layout of rows/ (listing + stat), verified against the oracle
    def list_rows(self, t):
        rd = os.path.join(t.abs_path(self.mnt), "rows")
        names = os.listdir(rd)
        self.st.op("ls")
        bad = False
        enc = [os.fsencode(n) for n in names]
        if enc != sorted(enc):
            self.err("%s: listing not in byte order" % rd)
            bad = True
        # the CSV files make the layout; each has its .jsonl and .sql beside it
        csvs = [n for n in names if n.endswith(".csv")]
        stems = sorted(n[:-4] for n in csvs)
        for ext in (".jsonl", ".sql"):
            if sorted(n[:-len(ext)] for n in names if n.endswith(ext)) != stems:
                self.err("%s: the %s files are not those of the .csv files" % (rd, ext))
                bad = True
        names = csvs
        layout = []
        bo = 0
        for n in names:
            st = os.stat(os.path.join(rd, n))
            self.st.op("stat")
            # a row-range file's mtime is the oldest generation holding its bytes (layout 6;
            # t_shared_inodes checks which): never after this one's
            if not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o444 or int(st.st_mtime) > t.gen.mtime \
                    or st.st_nlink < 1:
                self.err("%s/%s: mode %o mtime %d nlink %d (want regular 0444, mtime <= %d)"
                         % (rd, n, st.st_mode, st.st_mtime, st.st_nlink, t.gen.mtime))
                bad = True
            blen = st.st_size - t.hdr_len
            if blen <= 0:
                self.err("%s/%s: size %d: no rows" % (rd, n, st.st_size))
                return None
            i = t.row_index(bo)
            j = t.row_index(bo + blen)
            if i is None or j is None or j <= i:
                self.err("%s/%s: body bytes %d..%d do not start and end on rows of the oracle"
                         % (rd, n, bo, bo + blen))
                return None
            m = re.fullmatch(rb"(.*)\+(.*)\.csv", os.fsencode(n))
            if not m or not key_ok(m.group(1), t.key(i)) or not key_ok(m.group(2), t.key(j - 1)):
                self.err("%s/%s: name does not encode keys of rows %d..%d (%r + %r)"
                         % (rd, n, i, j - 1, t.key(i), t.key(j - 1)))
                bad = True
            layout.append((n, st.st_size, bo))
            bo += blen
        if bo != t.csv_len - t.hdr_len:
            self.err("%s: rows/ bodies total %d bytes, oracle body %d" % (rd, bo, t.csv_len - t.hdr_len))
            return None
        return None if bad else layout

    def layout(self, t):
        lay = t.layout
        if lay is None:
            lay = self.list_rows(t)
            if lay is None:
                return None
            t.layout = lay
        return lay

    def rows_expected(self, t, ent):
        n, size, bo = ent
        csv = t.csv()
        return csv[:t.hdr_len] + csv[t.hdr_len + bo:t.hdr_len + bo + size - t.hdr_len]

    def pick_file(self, t, p_table):
        """(path, expected bytes-like, size, chunk boundaries, label)"""
        lay = self.layout(t) if t.rows else []
        base = t.abs_path(self.mnt)
        if lay is None:
            return None
        if not lay or self.rnd.random() < p_table:
            bounds = [t.hdr_len + bo for _, _, bo in lay] + [t.csv_len]
            return os.path.join(base, t.path + ".csv"), t.csv(), t.csv_len, bounds
        ent = self.rnd.choice(lay)
        return os.path.join(base, "rows", ent[0]), self.rows_expected(t, ent), ent[1], [t.hdr_len, ent[1]]

    # -- operations
    def op_pread(self):
        g = self.pick_gen()
        t = self.pick_table(g)
        f = self.pick_file(t, 0.55)
        if f is None:
            return
        path, exp, size, bounds = f
        direct = self.rnd.random() < 0.75
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECT if direct else 0))
        try:
            st = os.fstat(fd)
            if st.st_size != size:
                self.err("%s: st_size %d, oracle %d" % (path, st.st_size, size))
                return
            for _ in range(self.rnd.randint(1, 24)):
                n = self.pick_size()
                r = self.rnd.random()
                if r < 0.35:
                    off = self.rnd.randint(0, size)
                elif r < 0.7:  # across a chunk boundary
                    b = self.rnd.choice(bounds)
                    off = max(0, b - self.rnd.randint(0, max(1, n)))
                elif r < 0.85:  # ending at or near EOF
                    off = max(0, size - self.rnd.randint(0, n))
                elif r < 0.9:  # at or past EOF
                    off = size + self.rnd.choice([0, 0, 1, 4096, 10 ** 6])
                else:  # the header and the first row
                    off = self.rnd.randint(0, min(size, 2 * t.hdr_len + 10))
                self.ctx = "pread(%s, %d, %d)%s" % (path, n, off, " O_DIRECT" if direct else "")
                got = self.pread(fd, n, off)
                self.check("pread(%s, %d, %d)%s" % (path, n, off, " O_DIRECT" if direct else ""),
                           got, exp[off:off + n])
            self.st.op("pread-file")
        finally:
            os.close(fd)

    def op_seq(self):
        g = self.pick_gen()
        t = self.pick_table(g)
        f = self.pick_file(t, 0.35)
        if f is None:
            return
        path, exp, size, _ = f
        r = self.rnd.random()
        mode = "direct" if r < 0.35 else "dropcache" if r < 0.85 else "cached"
        bs = self.rnd.choice([4096, 65536, 131072, 262144, MiB, self.rnd.randint(1, 300000)])
        if mode == "direct" and size > 4 * MiB:
            bs = max(bs, 65536)
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECT if mode == "direct" else 0))
        try:
            if mode == "dropcache":
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            pos = 0
            ok = True
            while True:
                self.ctx = "read(%s) at %d, %d bytes, %s" % (path, pos, bs, mode)
                b = os.read(fd, bs)
                self.st.reads += 1
                self.st.bytes += len(b)
                if not b:
                    break
                if ok and not self.check("read(%s) at %d, %d bytes, %s" % (path, pos, bs, mode),
                                         b, exp[pos:pos + len(b)]):
                    ok = False
                pos += len(b)
                if time.time() > self.sh.deadline + 10:
                    return
            if pos != size and ok:
                self.err("%s: sequential read (%s) gave %d bytes, oracle %d" % (path, mode, pos, size))
            self.st.op("seq-" + mode)
        finally:
            os.close(fd)

    def op_ls(self):
        g = self.pick_gen()
        r = self.rnd.random()
        gd = os.path.join(self.mnt, g.name)
        if r < 0.15:
            ents = os.listdir(gd)
            self.st.op("ls")
            # mount layout 4: the generation's dump.sql and schema.pg.sql after its tables
            files = ("generation.json", "schema.sql", "dump.sql", "schema.pg.sql")
            want = ["generation.json", "schema.sql"] + [t.path for t in g.tables] + \
                ["dump.sql", "schema.pg.sql"]
            if ents != want:
                self.err("%s: listing %r, oracle %r" % (gd, ents, want))
            for e in ents:
                st = os.stat(os.path.join(gd, e))
                self.st.op("stat")
                isdir = e not in files
                if (stat.S_ISDIR(st.st_mode) != isdir or int(st.st_mtime) != g.mtime
                        or stat.S_IMODE(st.st_mode) != (0o555 if isdir else 0o444)):
                    self.err("%s/%s: mode %o mtime %d" % (gd, e, st.st_mode, st.st_mtime))
                if e == "schema.sql" and st.st_size != len(g.schema):
                    self.err("%s/schema.sql: st_size %d, oracle %d" % (gd, st.st_size, len(g.schema)))
        elif r < 0.45:
            t = self.pick_table(g)
            td = t.abs_path(self.mnt)
            ents = os.listdir(td)
            self.st.op("ls")
            # schema.pg.sql for the database's own tables, not SQLite's
            want = ["schema.sql"] + ([] if t.path.startswith("sqlite_") else ["schema.pg.sql"]) + \
                [t.path + ".csv", t.path + ".jsonl", t.path + ".sql", "rows", "key"] + \
                ([] if t.path == "changes" else ["changes.csv", "changes.jsonl"])  # layout 5
            if ents != want:
                self.err("%s: listing %r, oracle %r" % (td, ents, want))
            for e, size in (("schema.sql", len(t.schema())), (t.path + ".csv", t.csv_len), ("rows", None)):
                st = os.stat(os.path.join(td, e))
                self.st.op("stat")
                if size is not None and st.st_size != size:
                    self.err("%s/%s: st_size %d, oracle %d" % (td, e, st.st_size, size))
                if int(st.st_mtime) != g.mtime or stat.S_ISDIR(st.st_mode) != (size is None):
                    self.err("%s/%s: mode %o mtime %d" % (td, e, st.st_mode, st.st_mtime))
        else:
            t = self.pick_table(g)
            lay = self.list_rows(t)  # fresh listing and stats, verified
            if lay is not None and t.layout is not None and lay != t.layout:
                self.err("%s/rows: listing changed between two reads" % t.abs_path(self.mnt))

    def read_whole(self, path, direct):
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECT if direct else 0))
        try:
            parts = []
            while True:
                b = os.read(fd, 65536)
                self.st.reads += 1
                self.st.bytes += len(b)
                if not b:
                    break
                parts.append(b)
            return b"".join(parts), os.fstat(fd).st_size
        finally:
            os.close(fd)

    def op_meta(self):
        g = self.pick_gen()
        r = self.rnd.random()
        direct = self.rnd.random() < 0.5
        gd = os.path.join(self.mnt, g.name)
        if r < 0.4:
            data, size = self.read_whole(os.path.join(gd, "generation.json"), direct)
            if size != len(data):
                self.err("%s/generation.json: st_size %d, read %d bytes" % (gd, size, len(data)))
            try:
                j = json.loads(data)
            except ValueError as e:
                self.err("%s/generation.json does not parse: %s" % (gd, e))
                return
            m = g.meta
            want_tables = [{"name": t["name"], "path": t["path"], "rows": t["rows"],
                            "without_rowid": t["without_rowid"]} for t in m["tables"]]
            for k in ("name", "time", "unix_time", "label", "source", "source_bytes"):
                if j.get(k) != m[k]:
                    self.err("%s/generation.json: %s = %r, oracle %r" % (gd, k, j.get(k), m[k]))
            if j.get("format") != 6 or j.get("tables") != want_tables:
                self.err("%s/generation.json: format %r, tables %r; oracle tables %r"
                         % (gd, j.get("format"), j.get("tables"), want_tables))
            self.st.op("meta")
        elif r < 0.7:
            data, size = self.read_whole(os.path.join(gd, "schema.sql"), direct)
            self.check("%s/schema.sql" % gd, data, g.schema)
            self.st.op("meta")
        else:
            t = self.pick_table(g)
            p = os.path.join(t.abs_path(self.mnt), "schema.sql")
            data, size = self.read_whole(p, direct)
            self.check(p, data, t.schema())
            self.st.op("meta")

    def op_latest(self):
        lk = os.path.join(self.mnt, "latest")
        a = os.readlink(lk)
        if a not in self.sh.gens:
            self.sh.refresh(self)
        if a not in self.sh.gens:
            self.err("latest -> %r: not a known generation" % a)
            return
        if a < self.last_latest:
            self.err("latest went back from %s to %s" % (self.last_latest, a))
        self.last_latest = a
        g = self.sh.gens[a]
        t = self.rnd.choice(g.tables)
        path = os.path.join(self.mnt, "latest", t.path, t.path + ".csv")
        n = self.pick_size()
        off = self.rnd.randint(0, max(0, t.csv_len - 1))
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
        except FileNotFoundError:
            if os.readlink(lk) != a:
                return  # latest moved to a generation without that table
            raise
        try:
            size = os.fstat(fd).st_size
            got = self.pread(fd, n, off)
        finally:
            os.close(fd)
        b = os.readlink(lk)
        if b not in self.sh.gens:
            self.sh.refresh(self)
        # latest may have moved meanwhile: any generation from a to b will do
        cands = [self.sh.gens[x] for x in self.sh.names if a <= x <= b]
        for c in cands:
            ct = next((u for u in c.tables if u.path == t.path), None)
            if ct is not None and ct.csv_len == size and got == ct.csv()[off:off + n]:
                break
        else:
            self.check("pread(%s, %d, %d) via latest (-> %s, then %s)" % (path, n, off, a, b),
                       got, t.csv()[off:off + n])
        self.st.op("latest")

    def run(self):
        ops = [(self.op_pread, 40), (self.op_seq, 22), (self.op_ls, 20), (self.op_meta, 12),
               (self.op_latest, 6)]
        fns = [o for o, _ in ops]
        wts = [w for _, w in ops]
        while time.time() < self.sh.deadline and os.getppid() == self.sh.parent:
            fn = self.rnd.choices(fns, weights=wts)[0]
            self.ctx = ""
            try:
                fn()
            except OSError as e:
                self.err("%s: %s%s" % (fn.__name__, e, " in " + self.ctx if self.ctx else ""))
            except Exception:  # a bug here must not pass silently
                self.err("%s: %s" % (fn.__name__, traceback.format_exc().strip().replace("\n", " | ")))


class Shared:
    """per process: known generations and their oracles"""

    def __init__(self, mnt, odir, deadline, t0):
        self.mnt = mnt
        self.odir = odir
        self.deadline = deadline
        self.t0 = t0
        self.parent = os.getppid()
        self.gens = {}
        self.names = []
        self.missing = set()
        self.lock = threading.Lock()

    def refresh(self, reader):
        # list and compare under one lock: a listing taken before another
        # thread's newer one must not be compared with what that one added
        with self.lock:
            self._refresh(reader)

    def _refresh(self, reader):
        ents = os.listdir(self.mnt)
        reader.st.op("ls-root")
        # the root ends with latest, tables, at (mount layout 5) and db (layout 6)
        gens = [e for e in ents if e not in ROOT_DIRS]
        if ents[-4:] != ["latest", "tables", "at", "db"] or any(e in gens for e in ROOT_DIRS):
            reader.err("root listing does not end with latest, tables, at, db: %r" % ents[-5:])
        if gens != sorted(gens):
            reader.err("root listing not in byte order")
        for n in gens:
            if n in self.gens:
                continue
            if not GEN_RE.match(n):
                reader.err("root: unexpected entry %r" % n)
                continue
            if not os.path.exists(os.path.join(self.odir, n, "gen.json")):
                if n not in self.missing:
                    self.missing.add(n)
                    reader.err("generation %s is in the mount but has no oracle" % n)
                continue
            self.gens[n] = Gen(self.odir, n)
        gone = set(self.gens) - set(gens)
        if gone:
            reader.err("generations disappeared from the root: %r" % sorted(gone))
        self.names = sorted(self.gens)


def worker_main(idx, nthreads, mnt, odir, deadline, t0, seed, conn):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
    sh = Shared(mnt, odir, deadline, t0)
    total = Stats()
    try:
        boot = Reader(sh, random.Random(seed), Stats())
        sh.refresh(boot)
        if not sh.names:
            boot.err("no generation in %s" % mnt)
        stats = [Stats() for _ in range(nthreads)]
        readers = [Reader(sh, random.Random("%d-%d-%d" % (seed, idx, i)), stats[i]) for i in range(nthreads)]

        def refresher():
            r = Reader(sh, random.Random(seed), boot.st)
            while time.time() < deadline:
                try:
                    sh.refresh(r)
                except Exception as e:  # noqa
                    r.err("refresh: %s" % e)
                time.sleep(0.3)

        ths = [threading.Thread(target=refresher, daemon=True)]
        if sh.names:
            ths += [threading.Thread(target=r.run, daemon=True) for r in readers]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        total.add(boot.st)
        for s in stats:
            total.add(s)
    except Exception:
        total.errors += 1
        total.msgs.append("ERROR worker %d: %s" % (idx, traceback.format_exc()))
    conn.send(total.as_dict())
    conn.close()


# ---------------------------------------------------------------------------
# run

def find_stratafs(mnt):
    real = os.path.realpath(mnt)
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if not argv or not os.path.basename(argv[0]).startswith(b"stratafs"):
            continue
        try:  # relative arguments are relative to that process's directory
            cwd = os.readlink("/proc/%s/cwd" % p)
            with open("/proc/%s/stat" % p) as f:
                if f.read().rsplit(")", 1)[1].split()[0] in "ZX":
                    continue
        except OSError:
            continue
        # a daemon has chdir'd to /: a relative argument is also tried from here
        if any(a and real in (os.path.realpath(os.path.join(cwd, os.fsdecode(a))),
                              os.path.realpath(os.fsdecode(a))) for a in argv[1:]):
            found.append(int(p))
    return found


def proc_status(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def parse_bytes(s):
    m = re.fullmatch(r"(\d+)([KMG]i?B?)?", s.strip())
    if not m:
        raise argparse.ArgumentTypeError("bad size %r" % s)
    mult = {None: 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)[0] if m.group(2) else None]
    return int(m.group(1)) * mult


def fmt_mib(n):
    return "%.1f MiB" % (n / MiB)


def cmd_run(a):
    mnt = os.path.abspath(a.mount)
    odir = os.path.abspath(a.oracle_dir)
    seed = a.seed if a.seed is not None else int(time.time() * 1000) % 1000000
    errors = []
    pids = [a.pid] if a.pid else find_stratafs(mnt)
    pid = pids[0] if len(pids) == 1 else None
    if pid is None:
        errors.append("cannot tell the stratafs process of %s (found %r); pass --pid" % (mnt, pids))
    if pid is not None and a.cache_size is not None:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            argv = []
        given = [m.group(1) for x in argv for m in re.finditer(r"(?:^|,)cache_size=([^,]*)", x)]
        if not given:
            errors.append("stratafs pid %d was not mounted with -o cache_size=%d" % (pid, a.cache_size))
        elif given[-1] != str(a.cache_size):
            errors.append("stratafs pid %d has cache_size=%s, expected %d (it takes plain bytes)"
                          % (pid, given[-1], a.cache_size))
    rss_samples = []
    t0 = time.time()
    deadline = t0 + a.duration
    print("# soak: %d readers in %d processes for %.0f s on %s (seed %d, stratafs pid %s)"
          % (a.readers, a.procs, a.duration, mnt, seed, pid), flush=True)
    ctx = multiprocessing.get_context("fork")
    procs = []
    per = [a.readers // a.procs + (1 if i < a.readers % a.procs else 0) for i in range(a.procs)]
    for i in range(a.procs):
        if per[i] == 0:
            continue
        rconn, wconn = ctx.Pipe(duplex=False)
        p = ctx.Process(target=worker_main, args=(i, per[i], mnt, odir, deadline, t0, seed, wconn), daemon=True)
        p.start()
        wconn.close()
        procs.append((p, rconn))

    # monitor: visibility of new generations, latest, stratafs alive, RSS
    seen = {}
    start_names = None
    done_dir = os.path.join(odir, ".done")

    def poll_root():
        try:
            ents = os.listdir(mnt)
        except OSError as e:
            errors.append("listing %s: %s" % (mnt, e))
            return None
        now = time.time()
        for e in ents:
            if e not in ROOT_DIRS and e not in seen:
                seen[e] = now
        return ents

    ents = poll_root()
    start_names = sorted(e for e in (ents or []) if e not in ROOT_DIRS)
    dead = False
    while time.time() < deadline:
        poll_root()
        if pid is not None and not dead:
            v = proc_status(pid, "VmRSS")
            if v is None:
                errors.append("stratafs (pid %d) is gone during the run" % pid)
                dead = True
            else:
                rss_samples.append((time.time() - t0, v))
        time.sleep(0.1)
    hwm = proc_status(pid, "VmHWM") if pid is not None else None

    total = Stats()
    for p, rconn in procs:
        d = None
        if rconn.poll(a.duration + 300):
            try:
                d = rconn.recv()
            except EOFError:
                d = None
        p.join(10)
        if d is None:
            errors.append("reader process %d sent no result (exit code %r)" % (p.pid, p.exitcode))
            if p.is_alive():
                p.terminate()
        else:
            total.add(Stats.from_dict(d))
    elapsed = time.time() - t0

    # every finished backup must have become visible within --max-latency
    lat = []
    done = {}
    try:
        for n in os.listdir(done_dir):
            if GEN_RE.match(n):
                with open(os.path.join(done_dir, n)) as f:
                    done[n] = json.load(f)["done"]
    except FileNotFoundError:
        pass
    for n, dt in sorted(done.items()):
        if n not in seen:
            while time.time() < dt + a.max_latency and n not in seen:
                poll_root()
                time.sleep(0.1)
        if n not in seen:
            errors.append("generation %s (backup finished %.1f s ago) never appeared in the mount"
                          % (n, time.time() - dt))
        elif n not in start_names:
            lat.append(max(0.0, seen[n] - dt))
            if seen[n] - dt > a.max_latency:
                errors.append("generation %s appeared %.1f s after its backup (bound %.0f s)"
                              % (n, seen[n] - dt, a.max_latency))
    for n in seen:
        if n not in done and GEN_RE.match(n) and not os.path.isdir(os.path.join(odir, n)):
            errors.append("generation %s in the mount has no oracle" % n)
    # latest points at the newest generation
    for _ in range(5):
        try:
            names = sorted(e for e in os.listdir(mnt) if e not in ROOT_DIRS)
            target = os.readlink(os.path.join(mnt, "latest"))
        except OSError as e:
            errors.append("final root check: %s" % e)
            break
        if names and target == names[-1]:
            break
        time.sleep(1)
    else:
        errors.append("latest -> %s, newest generation is %s" % (target, names[-1] if names else None))
    werr = os.path.join(odir, ".writer-errors")
    if os.path.exists(werr):
        with open(werr) as f:
            errors.extend(l.strip() for l in f if l.strip())

    if pid is not None:  # VmRSS and VmHWM are updated lazily: take the larger
        h = proc_status(pid, "VmHWM")
        hwm = max([x for x in [hwm, h] + [v for _, v in rss_samples] if x is not None], default=None)
    for e in sorted(total.msgs, key=lambda m: float(m.split()[1]) if m.split()[1:2] and
                    m.split()[1].replace(".", "", 1).isdigit() else 0)[:30]:
        print("# " + e)
    for e in errors[:30]:
        print("# ERROR " + e)
    n_err = total.errors + len(errors)
    gens_read = len(seen)
    print("soak: duration: %.1f s (%d readers in %d processes, seed %d)" % (elapsed, a.readers, len(procs), seed))
    print("soak: generations: %d at start, %d new during the run (max visibility latency %s)"
          % (len(start_names), len(seen) - len(start_names), "%.1f s" % max(lat) if lat else "n/a"))
    print("soak: operations: %s" % ", ".join("%s %d" % kv for kv in sorted(total.ops.items())))
    print("soak: reads served: %d" % total.reads)
    print("soak: bytes read: %d (%s, %.1f MiB/s)" % (total.bytes, fmt_mib(total.bytes), total.bytes / MiB / max(elapsed, 1e-9)))
    print("soak: errors: %d" % n_err)
    print("soak: wrong bytes: %d (in %d read(s))" % (total.wrong_bytes, total.mismatches))
    bound = a.cache_size + a.rss_margin if a.cache_size is not None else None
    rss_fail = False
    if hwm is None:
        print("soak: peak RSS: unknown")
        rss_fail = not a.no_rss_bar
    else:
        print("soak: peak RSS: %s (VmHWM of stratafs pid %d, or a larger sampled VmRSS; largest sampled VmRSS %s)"
              % (fmt_mib(hwm), pid, fmt_mib(max(v for _, v in rss_samples)) if rss_samples else "n/a"))
        if rss_samples:  # the largest VmRSS in each tenth of the run: growth shows here
            tl = []
            for k in range(10):
                vs = [v for t, v in rss_samples if k * elapsed / 10 <= t < (k + 1) * elapsed / 10]
                tl.append("%.0f" % (max(vs) / MiB) if vs else "-")
            print("# soak: VmRSS by tenth of the run (MiB): %s" % " ".join(tl))
    if bound is None:
        print("soak: cache bound: not given (no RSS bar)")
    elif a.no_rss_bar:
        print("soak: cache bound: cache_size %s + margin %s = %s (RSS bar not applied)"
              % (fmt_mib(a.cache_size), fmt_mib(a.rss_margin), fmt_mib(bound)))
    else:
        rss_fail = rss_fail or hwm > bound
        print("soak: cache bound: cache_size %s + margin %s = %s: %s"
              % (fmt_mib(a.cache_size), fmt_mib(a.rss_margin), fmt_mib(bound),
                 "over" if rss_fail else "within"))
    ok = n_err == 0 and total.wrong_bytes == 0 and total.mismatches == 0 and not rss_fail and total.reads > 0
    print("soak: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


# ---------------------------------------------------------------------------

def main(argv):
    ap = argparse.ArgumentParser(prog="soak.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("mkdb")
    p.add_argument("db")
    p.add_argument("--step", type=int, required=True)
    p.add_argument("--rows", type=int, default=120000)
    p = sub.add_parser("prepare")
    p.add_argument("db")
    p.add_argument("oracle_dir")
    p.add_argument("name")
    p.add_argument("--at", required=True)
    p.add_argument("--label")
    p.add_argument("--prev")
    p = sub.add_parser("writer")
    p.add_argument("db")
    p.add_argument("repo")
    p.add_argument("oracle_dir")
    p.add_argument("--strata", required=True)
    p.add_argument("--from", dest="first", type=int, required=True)
    p.add_argument("--to", type=int)
    p.add_argument("--rows", type=int, default=120000)
    p.add_argument("--interval", type=float, default=0.0)
    p.add_argument("--stop-file")
    p.add_argument("-v", "--verbose", action="store_true")
    p = sub.add_parser("run")
    p.add_argument("mount")
    p.add_argument("oracle_dir")
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--readers", type=int, default=16)
    p.add_argument("--procs", type=int, default=4)
    p.add_argument("--cache-size", type=parse_bytes)
    p.add_argument("--rss-margin", type=parse_bytes, default=48 * MiB)
    p.add_argument("--no-rss-bar", action="store_true")
    p.add_argument("--pid", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--max-latency", type=float, default=10.0)
    a = ap.parse_args(argv[1:])
    if a.cmd == "mkdb":
        mkdb(a.db, a.step, a.rows)
        return 0
    if a.cmd == "prepare":
        at = datetime.datetime.strptime(a.at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        prepare(a.db, a.oracle_dir, a.name, at, a.label, a.prev)
        return 0
    if a.cmd == "writer":
        return cmd_writer(a)
    if a.cmd == "run":
        if a.procs < 1 or a.readers < 1:
            ap.error("need at least one reader and one process")

        def on_signal(sig, frame):
            raise SystemExit(128 + sig)
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGHUP, on_signal)
        try:
            return cmd_run(a)
        finally:  # whatever happens, no reader process outlives us
            for p in multiprocessing.active_children():
                p.terminate()
            for p in multiprocessing.active_children():
                p.join(5)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
