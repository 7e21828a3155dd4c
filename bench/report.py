#!/usr/bin/env python3
"""Turn the raw figures of scripts/bench.sh into one table (stdout) and JSON.

    report.py RESULTS [--json FILE]

RESULTS has one figure a line, written by bench.sh as the run goes:
    meta KEY VALUE          a fact about the run (sizes, counts, versions)
    KEY VALUE               one trial's value; a key repeated across trials
                            gives the median and min-max
    na TOOL[.PART] REASON   TOOL (or one part of what it was asked) could not
                            be measured, and why
Every ratio is stated so that > 1 means strata is better: a reference's time
divided by strata's, strata's throughput divided by the reference's, a
reference's size or memory divided by strata's.
"""
import json
import statistics
import sys


def load(path):
    meta, vals, na = {}, {}, {}
    for line in open(path):
        parts = line.rstrip("\n").split(" ", 2)
        if not parts or not parts[0]:
            continue
        if parts[0] == "meta" and len(parts) == 3:
            meta[parts[1]] = parts[2]
        elif parts[0] == "na" and len(parts) >= 2:
            na.setdefault(parts[1], parts[2] if len(parts) == 3 else "failed")
        elif len(parts) >= 2:
            try:
                vals.setdefault(parts[0], []).append(float(parts[1]))
            except ValueError:
                pass
    return meta, vals, na


def stat(vals, key):
    xs = vals.get(key)
    if not xs:
        return None
    return {"median": statistics.median(xs),
            "min": min(xs), "max": max(xs), "trials": xs}


def fnum(x):
    if x is None:
        return "-"
    a = abs(x)
    if a >= 1000:
        return "{:,.0f}".format(x)
    if a >= 100:
        return "%.0f" % x
    if a >= 10:
        return "%.1f" % x
    if a >= 1:
        return "%.2f" % x
    if a >= 0.1:
        return "%.3f" % x
    return "%.2g" % x


class Report:
    def __init__(self, meta, vals, na):
        self.meta, self.vals, self.na = meta, vals, na
        self.rows = []      # printed lines
        self.figures = []   # JSON records

    def why_na(self, key, tool):
        """na keys are TOOL or TOOL.SECTION (SECTION: the key's first part)."""
        parts = key.split(".")
        parts = parts[:2] + key.replace("_", ".").split(".")[1:]
        for t in parts[1:]:
            for k in (t + "." + parts[0], t):
                if k in self.na:
                    return self.na[k]
        for t in parts[1:2]:   # e.g. mount figures taken in a read section that failed
            for k, v in sorted(self.na.items()):
                if k.split(".")[0] == t:
                    return v
        return None

    def section(self, title):
        self.rows.append(("section", title))

    def note(self, text):
        self.rows.append(("note", text))

    def record(self, section, figure, tool, key, unit, conv, higher_better, why, base=None,
               base_conv=None, extra=None):
        """One figure: key's trials through conv (increasing or decreasing), and the ratio
        against base's median (through base_conv, default conv), > 1 when strata is better;
        why(): the reason shown when key was not measured."""
        s = stat(self.vals, key)
        rec = {"section": section, "figure": figure, "tool": tool, "key": key, "unit": unit}
        if s is None:
            rec["na"] = why()
            self.figures.append(rec)
            self.rows.append(("fig", figure, tool, "n/a (%s)" % rec["na"], "", ""))
            return None
        med, lo, hi = conv(s["median"]), conv(s["min"]), conv(s["max"])
        lo, hi = min(lo, hi), max(lo, hi)
        rec.update({"median": med, "min": lo, "max": hi,
                    "trials": [conv(x) for x in s["trials"]]})
        text = "%s %s" % (fnum(med), unit)
        if len(s["trials"]) > 1:
            text += " (%s-%s)" % (fnum(lo), fnum(hi))
        ratio = ""
        if base is not None and base != key:
            b = stat(self.vals, base)
            if b is not None and med > 0:
                bmed = (base_conv or conv)(b["median"])
                r = bmed / med if higher_better else med / bmed if bmed else None
                if r is not None:
                    rec["ratio_strata_better_gt1"] = r
                    ratio = "%.2fx" % r
        if extra:
            rec["extra"] = extra
        self.figures.append(rec)
        self.rows.append(("fig", figure, tool, text, ratio, extra or ""))
        return med

    def fig(self, section, figure, tool, key, unit, kind, base=None, scale=1.0, extra=None,
            show_ratio=True):
        """kind: 'time' (lower better), 'rate' (MB/s from bytes/time, higher better),
        'size' (lower better), 'rss' (lower better), 'value' (lower better)."""
        conv = (lambda x: x * scale)
        if kind == "rate":
            conv = (lambda t: scale / 1e6 / t if t > 0 else 0.0)
        return self.record(section, figure, tool, key, unit, conv, kind == "rate",
                           lambda: self.why_na(key, tool) or "not measured",
                           base if show_ratio else None, extra=extra)

    def record_size(self, section, figure, tool, key, why, base=None):
        """A size recorded once (meta key, bytes), in MB; ratio: base's bytes over these."""
        if key not in self.meta:
            self.figures.append({"section": section, "figure": figure, "tool": tool, "key": key,
                                 "unit": "MB", "na": why()})
            self.rows.append(("fig", figure, tool, "n/a (%s)" % self.figures[-1]["na"], "", ""))
            return
        v = float(self.meta[key])
        rec = {"section": section, "figure": figure, "tool": tool, "key": key, "unit": "MB",
               "median": v / 1e6}
        ratio = ""
        if base and base != key and base in self.meta and v > 0 and float(self.meta[base]) > 0:
            r = v / float(self.meta[base])
            rec["ratio_strata_better_gt1"] = r
            ratio = "%.2fx" % r
        self.figures.append(rec)
        self.rows.append(("fig", figure, tool, "%s MB" % fnum(v / 1e6), ratio, ""))

    def size(self, section, figure, tool, key, base=None):
        self.record_size(section, figure, tool, key,
                         lambda: self.why_na(key, tool) or "not measured", base)

    def render(self):
        out = []
        w1, w2, w3, w4 = 34, 27, 26, 8
        out.append("%-*s %-*s %-*s %-*s" % (w1, "figure", w2, "what", w3, "median (min-max)",
                                            w4, "ratio") + " (ratio > 1: strata better)")
        for r in self.rows:
            if r[0] == "section":
                out.append("")
                out.append(r[1])
            elif r[0] == "note":
                out.append("  " + r[1])
            else:
                _, figure, tool, text, ratio, extra = r
                line = "%-*s %-*s %-*s %-*s %s" % (w1, "  " + figure, w2, tool, w3, text, w4,
                                                   ratio, extra)
                out.append(line.rstrip())
        return "\n".join(out)


def main():
    args = sys.argv[1:]
    path = args[0]
    jpath = args[args.index("--json") + 1] if "--json" in args else None
    meta, vals, na = load(path)
    R = Report(meta, vals, na)
    m = lambda k, d=0: float(meta.get(k, d))
    src, csv = m("source_bytes"), m("csv_bytes")
    rows = int(m("rows"))

    sec = "backup"
    R.section("BACKUP of orders.db (%d rows, %.0f MB; CSV %.0f MB); source evicted before each run"
              % (rows, src / 1e6, csv / 1e6))
    for what, key in (("first backup", "first_s"), ("unchanged second backup", "unchanged_s"),
                      ("after 1,000 random rows changed", "changed_s"),
                      ("1,000 consecutive rows changed", "changed_cons_s"),
                      ("random change, source in page cache", "changed_warm_s"),
                      ("consecutive change, source in page cache", "changed_cons_warm_s")):
        for tool in ("strata", "restic") if key.startswith("changed") else ("strata", "restic", "borg"):
            k = "backup.%s.%s" % (tool, key)
            if key == "first_s":
                med = R.fig(sec, what, tool, k, "s", "time", base="backup.strata.first_s")
                if med:
                    R.rows[-1] = R.rows[-1][:5] + ("%.0f MB/s of the db file" % (src / 1e6 / med),)
                    R.figures[-1]["db_MBps"] = src / 1e6 / med
            else:
                R.fig(sec, what, tool, k, "s", "time", base="backup.strata." + key)
    R.fig(sec, "after 1,000 random rows changed", "strata --kind full",
          "backup.strata.changed_full_s", "s", "time", base="backup.strata.changed_s")
    # a live WAL database (the change in the log); reference: restic's cached consecutive change
    med = R.fig(sec, "consecutive change, live WAL database", "strata (file + log cached)",
                "backup.strata.changed_cons_wal_s", "s", "time", show_ratio=False)
    ref = stat(vals, "backup.restic.changed_cons_warm_s")
    if med and ref:
        r = ref["median"] / med
        R.figures[-1]["ratio_strata_better_gt1"] = r
        R.rows[-1] = R.rows[-1][:4] + ("%.2fx" % r, "vs restic's cached consecutive change")
    # a repository of 64 KiB chunks; ratio: restic's time over this one (> 1: strata better)
    R.note("strata --chunk-size 64K: ratio against restic's time for the same change")
    for what, key in (("first backup", "first_s"),
                      ("random change, source in page cache", "changed_warm_s"),
                      ("consecutive change, source in page cache", "changed_cons_warm_s")):
        med = R.fig(sec, what, "strata --chunk-size 64K", "backup.strata64k." + key, "s", "time",
                    show_ratio=False)
        ref = stat(vals, "backup.restic." + key)
        if med and ref:
            r = ref["median"] / med
            R.figures[-1]["ratio_strata_better_gt1"] = r
            R.rows[-1] = R.rows[-1][:4] + ("%.2fx" % r,) + R.rows[-1][5:]
    R.note("the history issue's bar for a backup after 1,000 changed rows: ratio >= 5 "
           "(strata <= 0.2x restic's time)")
    R.fig(sec, "zstd -3 -T1 of the CSV", "zstd (CPU reference)", "backup.zstd3_s", "s", "time")
    for tool in ("strata", "restic", "borg"):
        R.size(sec, "stored (repository on disk)", tool, "stored.%s" % tool, base="stored.strata")
    R.size(sec, "stored (repository on disk)", "zstd -3 -T1 of the CSV", "stored.zstd3",
           base="stored.strata")
    R.size(sec, "stored (repository on disk)", "squashfs image of the CSV", "stored.squashfs",
           base="stored.strata")
    R.size(sec, "stored (repository on disk)", "strata --chunk-size 64K", "stored.strata64k",
           base="stored.strata")
    for what, key in (("added (random change)", "changed_added"),
                      ("added (consecutive change)", "changed_cons_added")):
        for tool, label in (("strata", "strata"), ("restic", "restic"),
                            ("strata64k", "strata --chunk-size 64K")):
            k = "backup.%s.%s" % (tool, key)
            s = stat(vals, k)
            if s is None:
                R.fig(sec, what, label, k, "MB", "size")
            else:
                R.fig(sec, what, label, k, "MB", "size", scale=1e-6, base="backup.strata." + key)
    # what the consecutive change added, split: repository (packs, manifest) and catalog.db
    for what, key in (("  of which repository", "changed_cons_repo_added"),
                      ("  of which catalog.db", "changed_cons_catalog_added")):
        R.fig(sec, what, "strata", "backup.strata." + key, "KB", "size", scale=1e-3)

    sec = "read"
    R.section("SEQUENTIAL READ of the whole CSV (%.0f MB) through each mount, MB/s" % (csv / 1e6))
    R.note("evicted re-read (main figure): read once, drop the file's page cache "
           "(POSIX_FADV_DONTNEED), read again at once")
    tools = ("strata", "memfs", "squashfuse", "borg", "restic")
    names = {"memfs": "memfs (ceiling)"}
    for t in tools:
        R.fig(sec, "evicted re-read", names.get(t, t), "read.%s.evicted_s" % t, "MB/s", "rate",
              base="read.strata.evicted_s", scale=csv)
    R.fig(sec, "evicted re-read", "zstd -dc -T1 CSV.zst", "read.zstd_dc_s", "MB/s", "rate",
          base="read.strata.evicted_s", scale=csv)
    for t in tools:
        R.fig(sec, "fresh mount, first read", names.get(t, t), "read.%s.fresh_s" % t, "MB/s",
              "rate", base="read.strata.fresh_s", scale=csv)
    R.fig(sec, "fresh mount, first read", "strata cat (no FUSE)", "read.strata_cat.fresh_s",
          "MB/s", "rate", base="read.strata.fresh_s", scale=csv)
    for t in ("strata", "memfs"):
        R.fig(sec, "first read, readahead 1 MiB", names.get(t, t),
              "read.%s_ra1m.fresh_s" % t, "MB/s", "rate", base="read.strata_ra1m.fresh_s",
              scale=csv)
    for t in tools:
        R.fig(sec, "second read (page cache)", names.get(t, t), "read.%s.cached_s" % t, "MB/s",
              "rate", base="read.strata.cached_s", scale=csv)
    R.fig(sec, "second read (page cache)", "plain file", "read.plain_cached_s", "MB/s", "rate",
          base="read.strata.cached_s", scale=csv)
    for t in ("strata", "memfs", "squashfuse"):
        R.fig(sec, "4 concurrent readers, aggregate", names.get(t, t), "par4.%s_s" % t, "MB/s",
              "rate", base="par4.strata_s", scale=csv)
    for t in ("strata", "squashfuse", "borg", "restic"):
        R.fig(sec, "daemon peak RSS after the reads", t, "read.%s.hwm_kib" % t, "MiB", "rss",
              base="read.strata.hwm_kib", scale=1 / 1024)

    sec = "restore"
    R.section("RESTORE of the bench database into a new SQLite file, s (the same database)")
    R.fig(sec, "restore", "strata restore", "restore.strata_s", "s", "time", base="restore.strata_s")
    R.fig(sec, "restore", "sqlite3 .dump | sqlite3", "restore.dump_pipe_s", "s", "time",
          base="restore.strata_s")
    R.fig(sec, "restore", "sqlite3 .backup (page copy)", "restore.backup_s", "s", "time",
          base="restore.strata_s")
    R.fig(sec, "restore", "sqlite3 NEW < MNT/gen/dump.sql", "restore.dump_sql_mount_s", "s", "time",
          base="restore.strata_s")

    sec = "navigate"
    R.section("NAVIGATE: one row, what changed, a row's history, key order (fresh mounts), s")
    R.fig(sec, "one row by key, median", "strata MNT/gen/t/key/<id>.csv", "nav.lookup_strata_median_s",
          "s", "time", base="nav.lookup_strata_median_s")
    R.fig(sec, "one row by key, median", "sqlite3 query, new connection", "nav.lookup_sqlite_median_s",
          "s", "time", base="nav.lookup_strata_median_s")
    R.fig(sec, "one row by key, p99", "strata MNT/gen/t/key/<id>.csv", "nav.lookup_strata_p99_s",
          "s", "time", base="nav.lookup_strata_p99_s")
    R.fig(sec, "one row by key, p99", "sqlite3 query, new connection", "nav.lookup_sqlite_p99_s",
          "s", "time", base="nav.lookup_strata_p99_s")
    R.fig(sec, "1,000 changed rows", "strata MNT/gen/t/changes.csv", "nav.changes_mount_s", "s",
          "time", base="nav.changes_mount_s")
    R.fig(sec, "1,000 changed rows", "strata diff --table", "nav.changes_diff_s", "s", "time",
          base="nav.changes_mount_s")
    R.fig(sec, "1,000 changed rows", "sqlite3 EXCEPT over both copies", "nav.changes_sql_s", "s",
          "time", base="nav.changes_mount_s")
    R.fig(sec, "a row over 100 generations", "strata MNT/tables/t/key/<id>.csv", "nav.history100_s",
          "s", "time", base="nav.history100_s")
    R.fig(sec, "a row over 100 generations", "grep in each generation's CSV", "nav.history100_grep_s",
          "s", "time", base="nav.history100_s")
    R.fig(sec, "backup, TEXT key table", "no declared key (rowid order)", "nav.backup_nopk_s", "s",
          "time", base="nav.backup_nopk_s")
    R.fig(sec, "backup, TEXT key table", "TEXT PRIMARY KEY (key order)", "nav.backup_textpk_s", "s",
          "time", base="nav.backup_nopk_s")

    sec = "history"
    R.section("HISTORY: prune + GC of 365 daily generations; verify reading every chunk, s")
    R.fig(sec, "prune 365 days to 7d/5w/12m/10y", "strata prune", "hist.prune_strata_s", "s",
          "time", base="hist.prune_strata_s")
    R.fig(sec, "prune 365 days to 7d/5w/12m/10y", "restic forget --prune", "hist.prune_restic_s",
          "s", "time", base="hist.prune_strata_s")
    R.size(sec, "repository before prune", "strata", "hist.strata_before_bytes")
    R.size(sec, "repository after prune", "strata", "hist.strata_after_bytes")
    R.fig(sec, "verify every chunk (packs evicted)", "strata verify", "hist.verify_strata_s", "s",
          "time", base="hist.verify_strata_s")
    R.fig(sec, "verify every chunk (packs evicted)", "restic check --read-data (CSV repo)",
          "hist.verify_restic_s", "s", "time", base="hist.verify_strata_s")

    sec = "random"
    R.section("RANDOM 4 KiB READS: 2,000 preads at fixed-seed offsets, fresh mount, ms")
    R.note("borg and restic: first trial only")
    for t in ("strata", "squashfuse", "borg", "restic"):
        R.fig(sec, "median latency", t, "rand.%s.median_ms" % t, "ms", "time",
              base="rand.strata.median_ms")
    for t in ("strata", "squashfuse", "borg", "restic"):
        R.fig(sec, "p99 latency", t, "rand.%s.p99_ms" % t, "ms", "time",
              base="rand.strata.p99_ms")
    for t in ("strata", "squashfuse", "borg", "restic"):
        R.fig(sec, "daemon peak RSS after them", t, "rand.%s.hwm_kib" % t, "MiB", "rss",
              base="rand.strata.hwm_kib", scale=1 / 1024)

    sec = "mount"
    ngen = meta.get("gen10k_count", "10000")
    R.section("MOUNT: exec to stat answering; first byte = open + read 1 byte of the CSV")
    subj = (("strata", "strata, 1 generation"), ("strata_10k", "strata, %s generations" % ngen),
            ("squashfuse", "squashfuse"), ("borg", "borg, 1 archive"),
            ("restic", "restic, 1 snapshot"))
    for what, key, unit, kind, sc in (("mount ready", "ready_s", "ms", "time", 1e3),
                                      ("first byte", "firstbyte_s", "ms", "time", 1e3),
                                      ("daemon peak RSS", "hwm_kib", "MiB", "rss", 1 / 1024)):
        for t, label in subj:
            R.fig(sec, what, label, "mount.%s.%s" % (t, key), unit, kind,
                  base="mount.strata.%s" % key, scale=sc, show_ratio=(t != "strata_10k"))
    if "gen10k_build_s" in meta:
        R.note("making the %s-generation repository (100-row db, one `strata backup --at` each): "
               "%.0f s%s" % (ngen, float(meta["gen10k_build_s"]),
                             " (cached from an earlier run)" if meta.get("gen10k_cached") == "1"
                             else ""))

    sec = "metadata"
    R.section("METADATA, cold (fresh mount each trial), s")
    R.fig(sec, "ls -l, generation of 1,000 tables", "strata", "meta.ls1000.strata_s", "s", "time",
          base="meta.ls1000.strata_s")
    R.fig(sec, "ls -l, generation of 1,000 tables", "squashfuse (same tree)",
          "meta.ls1000.squashfuse_s", "s", "time", base="meta.ls1000.strata_s")
    ent = meta.get("find100_entries")
    R.fig(sec, "find over 100 generations", "strata", "meta.find100.strata_s", "s", "time",
          base="meta.find100.strata_s", extra=("%s entries" % ent) if ent else None)
    R.fig(sec, "find over 100 generations", "squashfuse (same tree)",
          "meta.find100.squashfuse_s", "s", "time", base="meta.find100.strata_s")

    head = ("strata bench: %d rows, source %.0f MB, CSV %.0f MB, median of %s trials (min-max); "
            "ratio > 1 means strata is better" % (rows, src / 1e6, csv / 1e6, meta.get("trials")))
    print()
    print(head)
    if meta.get("wall_s"):
        print("wall time of the run: %s s, of which %s s made data kept for later runs; "
              "load average at start: %s (%s CPUs)" % (meta.get("wall_s"), meta.get("prep_s", "?"),
                                                       meta.get("load", "?"), meta.get("nproc", "?")))
    print(R.render())
    nas = sorted(set(na.items()))
    if nas:
        print("\nnot measured:")
        for k, v in nas:
            print("  %s: %s" % (k, v))

    if jpath:
        def med(key):
            s = stat(vals, key)
            return s["median"] if s else None
        doc = {
            "rows": rows, "source_bytes": int(src), "csv_bytes": int(csv),
            "trials": int(m("trials", 0)), "meta": meta, "not_measured": na,
            "figures": R.figures,
            # the flat keys of the first version of this bench
            "backup_s": med("backup.strata.first_s"),
            "backup_unchanged_s": med("backup.strata.unchanged_s"),
            "stored_bytes": int(m("stored.strata_packs")) if "stored.strata_packs" in meta else None,
            "zstd3_bytes": int(m("stored.zstd3")) if "stored.zstd3" in meta else None,
            "seq_read_s": med("read.strata.fresh_s"), "zstd_dc_s": med("read.zstd_dc_s"),
            "page_cache_read_s": med("read.strata.cached_s"),
            "plain_read_s": med("read.plain_cached_s"),
            "rand4k_median_ms": med("rand.strata.median_ms"),
            "rand4k_p99_ms": med("rand.strata.p99_ms"),
            "peak_rss_kib": med("read.strata.hwm_kib"),
        }
        with open(jpath, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
