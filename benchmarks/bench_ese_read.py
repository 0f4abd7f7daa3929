"""Forensic-reader benchmark: time to read every record of every ESE sample
with esepy, dissect.esedb and (when pip-installable) libesedb-python
(`pyesedb`), side by side in one run.

    python benchmarks/bench_ese_read.py [--samples DIR] [--repeat-large N] [--repeat N]

The samples are those of the test-suite (tests/data/ese, see tests/data/README.md).

Each reader opens the file, walks the catalog and reads every value of every
record of every table (dict rows for esepy and dissect, get_value_data /
get_value_data_as_* for pyesedb).  The 32 KiB-page sample (16 records of 64,994
columns) is read --repeat-large times for stable figures; every file is read
--repeat times and the best time is kept.  A reader that fails on a file is
reported as such ("fail"), not timed.  Not a test: nothing here asserts speed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

import esepy

try:
    from dissect.esedb import EseDB as _DissectDB
except ImportError:  # pragma: no cover
    _DissectDB = None
try:
    import pyesedb as _pyesedb
except ImportError:  # pragma: no cover
    _pyesedb = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import sampledata  # noqa: E402  (tests/sampledata.py: the samples of tests/data/ese)

FILES = [
    "dissect_text_4k.edb", "dissect_binary_4k.edb", "dissect_multi_4k.edb",
    "stroz_decompress_7bit_8k.edb", "stroz_decompress_lzxpress_8k.edb", "qmgr_win11_24h2_16k.db",
    "srum_win11_dirty/SRUDB.dat", "srum_win11_dirty/SRUDB.repaired-by-esentutl-p.dat",
    "dissect_large_32k.edb",
]


def read_esepy(path):
    n = 0
    with esepy.open_ese(path) as db:
        for t in db.tables:
            for row in t:
                n += len(row)
    return n


def read_dissect(path):
    n = 0
    with open(path, "rb") as fh:
        db = _DissectDB(fh)
        for t in db.tables():
            for rec in t.records():
                n += len(rec.as_dict())
    return n


def read_pyesedb(path):
    n = 0
    f = _pyesedb.file()
    f.open(path)
    try:
        for it in range(f.get_number_of_tables()):
            t = f.get_table(it)
            ncol = t.get_number_of_columns()
            for ir in range(t.get_number_of_records()):
                rec = t.get_record(ir)
                for ic in range(ncol):
                    rec.get_value_data(ic)
                    n += 1
    finally:
        f.close()
    return n


def best_time(fn, path, repeat):
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            fn(path)
        except Exception as exc:  # a reader that cannot read this file
            return None, f"{type(exc).__name__}: {str(exc)[:60]}"
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", default=None,
                    help="folder of the samples, plain or .gz (default: ESEPY_SAMPLES, else tests/data/ese)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per file (best kept)")
    ap.add_argument("--repeat-large", type=int, default=3, help="reads of the 32 KiB sample per run")
    args = ap.parse_args()

    readers = [("esepy", read_esepy)]
    if _DissectDB is not None:
        readers.append(("dissect.esedb", read_dissect))
    else:
        print("dissect.esedb not installed: skipped")
    if _pyesedb is not None:
        readers.append(("pyesedb", read_pyesedb))
    else:
        print("libesedb-python (pyesedb) not installed: skipped")

    tmp = tempfile.mkdtemp(prefix="bench_ese_")
    try:
        rows = []
        totals = {name: 0.0 for name, _ in readers}
        complete = {name: True for name, _ in readers}
        # per reader: (its time, esepy's time) over the files it could read
        paired = {name: [0.0, 0.0] for name, _ in readers}
        if args.samples:
            os.environ["ESEPY_SAMPLES"] = args.samples
        sampledata.materialize(tmp)
        for name in FILES:
            path = os.path.join(tmp, name)
            large = "large" in name
            reps = args.repeat_large if large else 1
            cells = []
            times = {}
            for rname, fn in readers:
                def many(p, fn=fn, reps=reps):
                    for _ in range(reps):
                        fn(p)
                t, err = best_time(many, path, 1 if large else args.repeat)
                if t is None:
                    cells.append(f"fail ({err})")
                    complete[rname] = False
                else:
                    cells.append(f"{t * 1000:.1f} ms")
                    totals[rname] += t
                    times[rname] = t
            for rname in times:
                if "esepy" in times:
                    paired[rname][0] += times[rname]
                    paired[rname][1] += times["esepy"]
            label = os.path.basename(name) + (f" x{reps}" if large else "")
            rows.append((label, cells))
            print(f"{label:45s} " + "  ".join(f"{c:>14s}" for c in cells), flush=True)
        print()
        print("| file | " + " | ".join(r for r, _ in readers) + " |")
        print("|---|" + "---|" * len(readers))
        for label, cells in rows:
            print(f"| {label} | " + " | ".join(cells) + " |")
        print("| **total** | " + " | ".join(
            f"{totals[r] * 1000:.0f} ms" + ("" if complete[r] else " (files it could read)")
            for r, _ in readers) + " |")
        for r, _ in readers[1:]:
            theirs, ours = paired[r]
            if ours > 0:
                print(f"esepy is {theirs / ours:.1f}x faster than {r} over the files {r} could read "
                      f"({theirs * 1000:.0f} ms vs {ours * 1000:.0f} ms)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
