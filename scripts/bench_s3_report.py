#!/usr/bin/env python3
"""The S3 part of scripts/bench.sh's output: the figures it recorded as s3.*.

    bench_s3_report.py RESULTS [--json FILE] [--alone]

Prints one table in the layout of bench/report.py (whose loader and
formatting it uses), ratio > 1 meaning strata is better: a reference's time
divided by strata's, strata's MB/s or reads/s divided by the reference's, a
reference's size divided by strata's. --json FILE adds the figures (section
"s3") to the JSON report.py wrote there; with --alone (bench.sh --s3-only) it
writes FILE with the S3 figures only, and prints the run's heading too.
"""
import json
import os
import sys

sys.dont_write_bytecode = True   # no __pycache__ left in bench/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from report import Report, load, stat  # noqa: E402


class S3Report(Report):
    def why(self, tool, part):
        for k in ("s3_%s.%s" % (tool, part), "s3_%s" % tool, tool, "s3"):
            if k in self.na:
                return self.na[k]
        return "not measured"

    def s3fig(self, figure, label, tool, part, key, unit, conv, higher_better, base=None,
              extra=None):
        """conv: recorded value -> shown value; base: strata's key for the ratio (same conv
        unless base is a (key, conv) pair)."""
        base, bconv = base if isinstance(base, tuple) else (base, None)
        return self.record("s3", figure, label, key, unit, conv, higher_better,
                           lambda: self.why(tool, part), base, bconv, extra)

    def s3size(self, figure, label, tool, key, base=None):
        self.record_size("s3", figure, label, key, lambda: self.why(tool, "backup"), base)


def main():
    args = sys.argv[1:]
    path = args[0]
    jpath = args[args.index("--json") + 1] if "--json" in args else None
    alone = "--alone" in args
    meta, vals, na = load(path)
    R = S3Report(meta, vals, na)
    m = lambda k, d=0: float(meta.get(k, d))
    src = m("source_bytes")

    R.section("S3: strata and restic against the same Ceph RGW on loopback (one radosgw, memstore "
              "OSD, on this host's CPUs), median of %s trials (min-max)" % meta.get("trials"))
    notes = []
    if "s3.rgw_start_s" in meta:
        notes.append("RGW up in %s s" % meta["s3.rgw_start_s"])
    if "s3.rgw_rss_kib" in meta:
        notes.append("its 3 daemons' RSS at the end: %.0f MiB" % (m("s3.rgw_rss_kib") / 1024))
    if "s3.wall_s" in meta:
        notes.append("S3 section's wall time: %.0f s" % m("s3.wall_s"))
    if notes:
        R.note("; ".join(notes))
    if "s3" in na and not any(k.startswith("s3.") for k in vals):
        R.note("not measured: %s" % na["s3"])
        R.figures.append({"section": "s3", "na": na["s3"]})
        skip = True
    else:
        skip = False

    if not skip:
        figures(R, meta, vals, src)
    finish(R, meta, na, src, jpath, alone)


def figures(R, meta, vals, src):
    m = lambda k, d=0: float(meta.get(k, d))
    ident = lambda x: x
    mbps = lambda nbytes: (lambda t: nbytes / 1e6 / t if t > 0 else 0.0)

    # backup
    rv = meta.get("s3.restic_repo_version")
    rlabel = "restic backup s3:%s" % (" (repo v%s)" % rv if rv else "")
    for label, tool in (("strata backup s3://", "strata"), (rlabel, "restic")):
        k = "s3.backup.%s_s" % tool
        s = stat(vals, k)
        extra = ("%.0f MB/s of the db file" % (src / 1e6 / s["median"])) if s and s["median"] > 0 else None
        R.s3fig("backup of orders.db (%.0f MB)" % (src / 1e6), label, tool, "backup", k, "s", ident,
                False, base=None if tool == "strata" else "s3.backup.strata_s", extra=extra)
    R.s3size("stored in the bucket", "strata", "strata", "s3.stored.strata")
    R.s3size("stored in the bucket", "restic", "restic", "s3.stored.restic", base="s3.stored.strata")

    # sequential read: each side's own bytes
    sb, rb = m("s3.read.strata_bytes"), m("s3.read.restic_bytes")
    R.note("sequential read: fresh mount, the file's page cache dropped, read start to end in 1 MiB "
           "reads; strata reads MNT/GEN/orders/orders.csv (its table as CSV), restic "
           "MNT/snapshots/latest/orders.db (the database file it stored): the same backup's data, "
           "MB/s of each one's own bytes")
    R.s3fig("sequential read, fresh mount", "strata orders.csv", "strata", "read",
            "s3.read.strata_s", "MB/s", mbps(sb), True,
            extra=("%s bytes read" % format(int(sb), ",")) if sb else None)
    R.s3fig("sequential read, fresh mount", "restic orders.db", "restic", "read",
            "s3.read.restic_s", "MB/s", mbps(rb), True, base=("s3.read.strata_s", mbps(sb)),
            extra=("%s bytes read" % format(int(rb), ",")) if rb else None)
    for tool in ("strata", "restic"):
        R.s3fig("mount ready (exec to stat)", tool, tool, "read", "s3.mount.%s.ready_s" % tool, "ms",
                lambda x: x * 1e3, False, base=None if tool == "strata" else "s3.mount.strata.ready_s")

    # random reads
    R.note("random: 2,000 preads of 4 KiB at fixed-seed offsets in the same two files, fresh mount, "
           "each range's page cache dropped first; restic: first trial only")
    rps = lambda t: 2000 / t if t > 0 else 0.0
    R.s3fig("random 4 KiB reads", "strata orders.csv", "strata", "rand", "s3.rand.strata_s",
            "reads/s", rps, True)
    R.s3fig("random 4 KiB reads", "restic orders.db", "restic", "rand", "s3.rand.restic_s",
            "reads/s", rps, True, base="s3.rand.strata_s")
    for what, key in (("median latency", "median_ms"), ("p99 latency", "p99_ms")):
        for tool in ("strata", "restic"):
            R.s3fig(what, tool, tool, "rand", "s3.rand.%s.%s" % (tool, key), "ms", ident, False,
                    base=None if tool == "strata" else "s3.rand.strata.%s" % key)

    # many generations
    n = meta.get("s3.gens_n", "?")
    if "s3.gens_make_s" in meta:
        secs = m("s3.gens_make_s")
        R.note("%s generations of a 100-row db made by as many `strata backup s3://... --at`: "
               "%.1f s, %.0f ms each" % (n, secs, secs * 1e3 / max(1, int(m("s3.gens_n", 1)))))
    R.note("new host: rm -rf of the catalog cache, `strata index`, `stratafs` ready, 1 byte of "
           "the last generation read, `ls MNT` listing all; warm: the same mount and ls, cache kept")
    R.s3fig("new host, %s generations" % n, "strata index, mount, ls", "strata", "gens",
            "s3.gens.cold_total_s", "s", ident, False)
    for what, key in (("  of which strata index", "cold_index_s"),
                      ("  of which stratafs ready", "cold_ready_s"),
                      ("  of which ls of the root", "cold_ls_s")):
        R.s3fig(what, "strata", "strata", "gens", "s3.gens." + key, "s", ident, False)
    R.s3fig("warm cache, %s generations" % n, "strata mount, ls", "strata", "gens",
            "s3.gens.warm_total_s", "s", ident, False)
    for what, key in (("  of which stratafs ready", "warm_ready_s"),
                      ("  of which ls of the root", "warm_ls_s")):
        R.s3fig(what, "strata", "strata", "gens", "s3.gens." + key, "s", ident, False)
    R.s3fig("strata index, nothing new", "%s generations" % n, "strata", "gens",
            "s3.gens.warm_index_s", "s", ident, False)


def finish(R, meta, na, src, jpath, alone):
    m = lambda k, d=0: float(meta.get(k, d))
    if alone:
        print()
        print("strata bench, S3 section only (--s3-only): %d rows, source %.0f MB; "
              "ratio > 1 means strata is better" % (int(m("rows")), src / 1e6))
        if meta.get("wall_s"):
            print("wall time of the run: %s s, of which %s s made data kept for later runs; "
                  "load average at start: %s (%s CPUs)" % (meta.get("wall_s"), meta.get("prep_s", "?"),
                                                           meta.get("load", "?"), meta.get("nproc", "?")))
    print(R.render())
    if alone:
        nas = sorted((k, v) for k, v in na.items() if k.startswith("s3") or k == "restic")
        if nas:
            print("\nnot measured:")
            for k, v in nas:
                print("  %s: %s" % (k, v))

    if jpath:
        doc = {}
        if not alone and os.path.exists(jpath):
            with open(jpath) as f:
                doc = json.load(f)
        else:
            doc = {"rows": int(m("rows")), "source_bytes": int(src), "trials": int(m("trials", 0)),
                   "meta": meta, "not_measured": na, "figures": []}
        doc.setdefault("figures", []).extend(R.figures)
        doc["s3"] = {k[3:]: v for k, v in meta.items() if k.startswith("s3.")}
        with open(jpath, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
