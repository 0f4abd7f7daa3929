"""Import throughput: esepy.import_ese on the Windows ESE samples, in MB/s of source file.

    python benchmarks/bench_import.py [--samples DIR] [--repeat N]

Imports each sample of the test-suite (tests/data/ese) into a new esepy database in a
scratch folder, --repeat times, keeping the best time; SRUDB.dat is recovered from its logs
first (that time is included).  A sample the import refuses is reported with its error,
not timed; dissect_large_32k.edb (64,994 columns) is left out unless --large is given
(adding its columns takes minutes).  Not a test: nothing here asserts speed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

import esepy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import sampledata  # noqa: E402

FILES = [("srum_win11_dirty/SRUDB.dat", "srum_win11_dirty"), ("qmgr_win11_24h2_16k.db", None),
         ("stroz_decompress_7bit_8k.edb", None), ("dissect_ual_current_4k.mdb", None),
         ("dissect_multi_4k.edb", None), ("dissect_text_4k.edb", None)]


def main(argv: list) -> int:
    """Run the benchmark and print one line per sample."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--large", action="store_true")
    ns = ap.parse_args(argv)
    scratch = tempfile.mkdtemp(prefix="esepy-bench-import-")
    try:
        samples = ns.samples or sampledata.materialize(os.path.join(scratch, "samples"))
        files = FILES + ([("dissect_large_32k.edb", None)] if ns.large else [])
        print(f"{'sample':34} {'MB':>7} {'rows':>6} {'best s':>8} {'MB/s':>7}")
        for name, logs in files:
            src = os.path.join(samples, name)
            mb = os.path.getsize(src) / 1e6
            best, rows, err = None, 0, None
            for i in range(ns.repeat):
                dest = os.path.join(scratch, f"out{i}.edb")
                t0 = time.perf_counter()
                try:
                    rep = esepy.import_ese(src, dest, logs=os.path.join(samples, logs) if logs else None)
                except esepy.JetError as e:
                    err = type(e).__name__
                    break
                dt = time.perf_counter() - t0
                rows = rep.rows
                best = dt if best is None else min(best, dt)
                os.unlink(dest)
            if err:
                print(f"{name:34} {mb:7.2f} {'':>6} {'fail':>8} {err}")
            else:
                print(f"{name:34} {mb:7.2f} {rows:6d} {best:8.3f} {mb / best:7.2f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
