"""Import and export throughput: esepy.import_ese on Windows ESE files, in MB/s of source
file, and esepy's ESE-format export, in MB/s of the file written.

    python benchmarks/bench_import.py [--samples DIR] [--only NAME]... [--repeat N]
    python benchmarks/bench_import.py --source FILE [--logs DIR] [--repeat N]
    python benchmarks/bench_import.py --generate-mb 1024 [--repeat 1]
    python benchmarks/bench_import.py --add-columns 64993
    ... [--json FILE]

Without --source / --generate-mb: every Windows sample of the test-suite (tests/data/ese),
SRUDB.dat recovered from its logs first (that time is included); the largest sample that
imports is then exported back to ESE's format (``esepy.export_ese`` on the imported database,
once) for the export figure. --source FILE: any Windows ESE file (--logs: its log folder).
--generate-mb N: a Windows-format source of about N MB is made here -- an esepy database of
that size (one table: Long key, DateTime, UnsignedLong, Text, a 400-byte LongBinary, a
secondary index on the Text column) written out in ESE's format with ``Database.export_ese``,
timed once (the export figure, MB/s of the file written) -- then imported; without
``export_ese`` in this build (issue 21 item 2) that line says so and has no figure. Each import
goes into a new database in a scratch folder, --repeat times, best time kept. A source the
import refuses is reported with its error, not timed. --add-columns N times only adding N
tagged columns to one table, in transactions of 500, as the import does for a wide source
(linear since table.c's column lookup map; it was quadratic). Not a test: nothing here asserts
speed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import esepy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import sampledata  # noqa: E402

SAMPLES = [("srum_win11_dirty/SRUDB.dat", "srum_win11_dirty"), ("qmgr_win11_24h2_16k.db", None),
           ("stroz_decompress_7bit_8k.edb", None), ("stroz_decompress_lzxpress_8k.edb", None),
           ("dissect_ual_current_4k.mdb", None), ("dissect_binary_4k.edb", None),
           ("dissect_multi_4k.edb", None), ("dissect_text_4k.edb", None), ("dissect_large_32k.edb", None)]
GENERATED_ROW_BYTES = 580        # what one generated row takes in the exported file at 1M rows (8 KiB pages)


def time_import(src: str, logs, scratch: str, repeat: int, keep: str = "") -> dict:
    """Import ``src`` ``repeat`` times; the figure of the best run, or the error.  With
    ``keep`` the last imported database stays there (for the export round trip)."""
    mb = os.path.getsize(src) / 1e6
    best, rep = None, None
    for i in range(repeat):
        dest = keep if keep and i == repeat - 1 else os.path.join(scratch, f"out{i}.edb")
        t0 = time.perf_counter()
        try:
            rep = esepy.import_ese(src, dest, logs=logs)
        except esepy.JetError as e:
            return {"mb": round(mb, 3), "error": type(e).__name__, "message": str(e),
                    "seconds_to_refuse": round(time.perf_counter() - t0, 3)}
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
        if dest != keep:
            os.unlink(dest)
    return {"mb": round(mb, 3), "rows": rep.rows, "tables": len(rep.tables), "page_size": rep.page_size,
            "seconds": round(best, 4), "mb_per_s": round(mb / best, 2)}


def time_export(db, out: str) -> dict:
    """Export the open esepy database ``db`` to ``out`` once: MB/s of the written file."""
    t0 = time.perf_counter()
    rep = db.export_ese(out)
    dt = time.perf_counter() - t0
    mb = os.path.getsize(out) / 1e6
    return {"mb": round(mb, 3), "rows": rep.rows, "seconds": round(dt, 4), "mb_per_s": round(mb / dt, 2)}


def time_export_file(src: str, scratch: str) -> dict:
    """Export the esepy database file ``src`` (an import's result) back to ESE's format once."""
    out = os.path.join(scratch, "roundtrip_windows.edb")
    from esepy import inspection
    page = int(inspection.read_database_header(src).page_size)     # its records fit its pages
    t0 = time.perf_counter()
    rep = esepy.export_ese(src, out, page_size=page)
    dt = time.perf_counter() - t0
    mb = os.path.getsize(out) / 1e6
    os.unlink(out)
    return {"mb": round(mb, 3), "rows": rep.rows, "seconds": round(dt, 4), "mb_per_s": round(mb / dt, 2)}


def generate(folder: str, size_mb: float, figures: dict = None) -> str:
    """A Windows-format source of about ``size_mb`` MB (see the module doc); its path.  The
    export's figure (MB/s of the written file) goes into ``figures["export"]``."""
    import datetime as dt
    if not hasattr(esepy.Database, "export_ese"):
        raise NotImplementedError("needs Database.export_ese (issue 21 item 2, the ESE-format writer), "
                                  "not in this build")
    rows = max(1, int(size_mb * 1e6 / GENERATED_ROW_BYTES))
    d = os.path.join(folder, "gen") + os.sep
    with esepy.Instance("bench-import-gen", system_path=d, log_path=d, temp_path=d + "tmp.edb",
                        create_path_if_not_exist=True, circular_log=True) as inst, inst.begin_session() as s:
        db = s.create_database(d + "gen.edb")
        t = db.create_table("events", {"Id": "long", "When": "datetime", "Count": "ulong",
                                       "Name": {"type": "text", "codepage": 1200, "max_length": 80},
                                       "Blob": "longbinary"}, primary_key=["Id"])
        t0 = dt.datetime(2024, 1, 1)
        blob = bytes(range(256)) + bytes(144)
        for start in range(0, rows, 500):
            with s.transaction(lazy=True):
                for i in range(start, min(rows, start + 500)):
                    t.insert({"Id": i, "When": t0 + dt.timedelta(seconds=i), "Count": i * 7 % 100003,
                              "Name": f"event {i % 997} of batch {i // 997}", "Blob": blob[i % 256:] + blob[:i % 256]})
        t.create_index("ByName", ["+Name"])
        t.close()
        out = os.path.join(folder, "generated_windows.edb")
        ex = time_export(db, out)
        if figures is not None:
            figures["export"] = ex
        db.close()
    shutil.rmtree(d, ignore_errors=True)
    return out


def time_add_columns(n: int, scratch: str) -> dict:
    """Seconds to add ``n`` tagged UnsignedShort columns to a new table (32 KiB pages)."""
    from esepy._isam import Table
    d = os.path.join(scratch, "cols") + os.sep
    old = esepy.get_default_param("database_page_size")
    try:
        with esepy.Instance("bench-import-cols", system_path=d, log_path=d, temp_path=d + "tmp.edb",
                            create_path_if_not_exist=True, database_page_size=32768) as inst, \
                inst.begin_session() as s:
            db = s.create_database(d + "cols.edb")
            with s.transaction():
                tableid = s._create_table(db.dbid, "wide")
            t = Table(db, "wide", tableid)
            t0 = time.perf_counter()
            for i in range(0, n, 500):
                with s.transaction():
                    for j in range(i, min(n, i + 500)):
                        t._add_column(f"Column{j}", 17, 0, 0x2, 0, None)
            dt = time.perf_counter() - t0
            got = len(t.columns)
            t.close()
            db.close()
    finally:
        esepy.set_default_param("database_page_size", old)
    shutil.rmtree(d, ignore_errors=True)
    return {"columns": got, "seconds": round(dt, 4)}


def main(argv: list) -> int:
    """Run the benchmark; one line per source."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", help="folder of the samples (default: tests/data, decompressed)")
    ap.add_argument("--only", action="append", default=[], help="only this sample (repeatable)")
    ap.add_argument("--source", action="append", default=[], help="a Windows ESE file (repeatable)")
    ap.add_argument("--logs", help="log folder of --source")
    ap.add_argument("--generate-mb", type=float, help="make a Windows-format source of about this size")
    ap.add_argument("--add-columns", type=int, help="only time adding this many columns to one table")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", help="scratch folder (default: a temporary one)")
    ap.add_argument("--json", help="write the figures here")
    ns = ap.parse_args(argv)
    scratch = tempfile.mkdtemp(prefix="esepy-bench-import-", dir=ns.dir)
    results = {}
    try:
        if ns.add_columns:
            r = results[f"add {ns.add_columns} columns"] = time_add_columns(ns.add_columns, scratch)
            print(f"added {r['columns']} tagged columns to one table in {r['seconds']:.3f} s")
            if ns.json:
                with open(ns.json, "w") as f:
                    json.dump({"results": results}, f, indent=1)
            return 0
        jobs = []
        if ns.source:
            jobs = [(os.path.basename(p), p, ns.logs) for p in ns.source]
        elif ns.generate_mb is None:
            samples = ns.samples or sampledata.materialize(os.path.join(scratch, "samples"))
            jobs = [(name, os.path.join(samples, name), os.path.join(samples, logs) if logs else None)
                    for name, logs in SAMPLES if not ns.only or name in ns.only]
        print(f"{'source':36} {'MB':>8} {'rows':>8} {'page':>6} {'best s':>8} {'MB/s':>7}")
        exports = {}
        if ns.generate_mb is not None:
            name = f"generated ~{ns.generate_mb:g} MB"
            try:
                fig: dict = {}
                jobs.append((name, generate(scratch, ns.generate_mb, fig), None))
                exports[f"export of {name}"] = fig["export"]
            except NotImplementedError as e:
                results[name] = {"error": "NotImplementedError", "message": str(e)}
                print(f"{name:36} {'':>8} {'':>8} {'':>6} {'-':>8} {str(e)}")
        imported = {}
        for name, src, logs in jobs:
            keep = os.path.join(scratch, f"kept{len(imported)}.edb")
            r = results[name] = time_import(src, logs, scratch, ns.repeat, keep)
            if "error" in r:
                print(f"{name:36} {r['mb']:8.2f} {'':>8} {'':>6} {'refused':>8} {r['error']} "
                      f"after {r['seconds_to_refuse']:.2f} s")
            else:
                print(f"{name:36} {r['mb']:8.2f} {r['rows']:8d} {r['page_size']:6d} {r['seconds']:8.3f} "
                      f"{r['mb_per_s']:7.2f}")
                imported[name] = (os.path.getsize(src), keep)
        if imported and ns.generate_mb is None:
            # the round trip: the largest source that imports, exported back to ESE's format
            name = max(imported, key=lambda n: imported[n][0])
            exports[f"export of imported {name}"] = time_export_file(imported[name][1], scratch)
        for _size, kept in imported.values():
            os.unlink(kept)
        for name, r in exports.items():
            results[name] = r
            print(f"{name:36} {r['mb']:8.2f} {r['rows']:8d} {'':>6} {r['seconds']:8.3f} {r['mb_per_s']:7.2f}")
        if ns.json:
            with open(ns.json, "w") as f:
                json.dump({"repeat": ns.repeat, "results": results}, f, indent=1)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
