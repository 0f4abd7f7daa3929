"""Replay-throughput benchmark: recovery of a Windows ESE database (esepy.recover_ese) in MB
of log per second, next to esepy's own soft recovery, measured in the same run.

    python benchmarks/bench_ese_replay.py [--repeat 20] [--esepy-log-mb 32] [--dir DIR]

1. Windows logs: the SRUM sample of the test-suite (tests/data/ese/srum_win11_dirty) sent
   back to generation 89 as tests/ese/test_ese_recover.py does (checkpoint and database
   header moved, the database attached from the start): recovery reads generations 89-92,
   checks ~1,000 page records of the attached window against their pages by the dbtime rule
   and writes a clean copy.  The same folder is recovered --repeat times (a new output each
   time); the volume counted is the size of the log files read (all four generations, 64 KiB
   each: ESE log files have a fixed size).  "Lost flushes" does the same on a copy where up to
   --lost-pages fully logged pages were rolled back before their trailing Inserts (the
   lose_inserts helper of tests/ese/test_ese_redo.py), so that redo really rewrites pages.
2. esepy's own logs: an esepy instance writes about --esepy-log-mb MB of log (lazy commits of
   0.6 KB records, 1 MiB log files like the sample's), stops dirty (TERM_DIRTY, a crash), and
   a new instance's init() replays them.  The volume counted is the log files from the
   checkpoint's generation on, the time is init() alone.

Prints MB, seconds and MB/s.  Not a test: nothing here asserts speed.
"""
from __future__ import annotations

import argparse
import glob
import os
import shutil
import sys
import tempfile
import time

import esepy
import esepy.inspection

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "tests", "ese"))
import sampledata  # noqa: E402  (tests/sampledata.py: the samples of tests/data/ese)
from test_ese_recover import EVIDENCE, from_generation_89  # noqa: E402
from test_ese_redo import by_page, lose_inserts, window_records  # noqa: E402


def windows_replay(samples, root, repeat, lost_pages=0):
    src = os.path.join(samples, "srum_win11_dirty")
    evidence = os.path.join(root, "evidence")
    os.makedirs(evidence)
    for name in EVIDENCE:
        shutil.copyfile(os.path.join(src, name), os.path.join(evidence, name))
    work = from_generation_89(evidence, os.path.join(root, "work"))
    if lost_pages:
        lose_inserts(work, by_page(window_records(work)), max_pages=lost_pages)
    db = os.path.join(work, "SRUDB.dat")
    best, total, rep = None, 0.0, None
    for i in range(repeat):
        out = os.path.join(root, f"out{i}.dat")
        t0 = time.perf_counter()
        rep = esepy.recover_ese(db, work, out)
        dt = time.perf_counter() - t0
        total += dt
        best = dt if best is None else min(best, dt)
        os.unlink(out)
    g0, g1 = rep["generations"]
    names = {89: "SRU00059.log", 90: "SRU0005A.log", 91: "SRU0005B.log", 92: "SRU.log"}
    mb = sum(os.path.getsize(os.path.join(work, names[g])) for g in range(g0, g1 + 1)) / 2**20
    return mb, repeat, total, best, rep


def esepy_replay(root, log_mb):
    live = os.path.join(root, "live")
    params = dict(system_path=live + "/", log_path=live + "/", temp_path=live + "/tmp.edb",
                  create_path_if_not_exist=True, log_file_size_kb=1024)
    cols = {"k": "long", **{f"v{i}": "text" for i in range(3)}}
    value = {f"v{i}": chr(97 + i) * 100 for i in range(3)}
    inst = esepy.Instance("bench", **params)
    inst.init()
    s = inst.begin_session()
    t = s.create_database(os.path.join(live, "bench.edb")).create_table("t", cols, primary_key=["k"])
    k, written = 0, 0
    while written < log_mb * 2**20:
        with s.transaction(lazy=True):
            for _ in range(1000):
                t.insert({"k": k, **value})
                k += 1
        written = sum(os.path.getsize(p) for p in glob.glob(os.path.join(live, "edb*.log")))
    try:
        inst.term(grbit=esepy.TERM_DIRTY)
    except esepy.errors.DirtyShutdown:
        pass
    gen0 = esepy.inspection.read_checkpoint(os.path.join(live, "edb.chk")).checkpoint.generation
    mb = 0
    for p in glob.glob(os.path.join(live, "edb*.log")):
        base = os.path.basename(p)[3:-4]  # edb.log (current), edbXXXXX.log; not edbtmp.log
        if base == "" or (base.isalnum() and all(c in "0123456789ABCDEFabcdef" for c in base)
                          and int(base, 16) >= gen0):
            mb += os.path.getsize(p)
    mb /= 2**20
    r = esepy.Instance("replay", **params)
    t0 = time.perf_counter()
    r.init()
    dt = time.perf_counter() - t0
    r.term()
    return mb, dt, k


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--lost-pages", type=int, default=6)
    ap.add_argument("--esepy-log-mb", type=int, default=32)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="esepy-bench-replay-", dir=args.dir)
    try:
        samples = sampledata.materialize(os.path.join(root, "samples"))
        mb, n, total, best, rep = windows_replay(samples, os.path.join(root, "win"), args.repeat)
        print(f"Windows logs (SRUM, generations {rep['generations'][0]}-{rep['generations'][1]}, "
              f"{rep['records']} records, {rep['page_references_applied']} page references checked, "
              f"{rep['pages_redone']} redone): {mb:.1f} MB x {n} in {total:.2f} s = {mb * n / total:.1f} MB/s "
              f"(best run {mb / best:.1f} MB/s)")
        mb, n, total, best, rep = windows_replay(samples, os.path.join(root, "lost"), args.repeat, args.lost_pages)
        print(f"Windows logs, lost flushes ({rep['pages_redone']} page changes redone on the rolled-back pages, "
              f"{rep['page_references_applied']} checked): {mb:.1f} MB x {n} in {total:.2f} s = "
              f"{mb * n / total:.1f} MB/s (best run {mb / best:.1f} MB/s)")
        mb2, dt2, rows = esepy_replay(os.path.join(root, "own"), args.esepy_log_mb)
        print(f"esepy logs ({rows} inserts): {mb2:.1f} MB replayed by init() in {dt2:.2f} s = {mb2 / dt2:.1f} MB/s")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
