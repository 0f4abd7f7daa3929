"""Read-path micro-benchmark: full scan and random point reads, esepy against
SQLite (WAL) on the same rows, in the same run, through C and through Python.

    python benchmarks/bench_scan.py [--rows 200000] [--lookups 200000] [--repeat 3] [--dir DIR] [--no-c]

First builds and runs benchmarks/bench_scan_c.c (esepy's ESENT API against
SQLite's C API; needs a C compiler and sqlite3.h / libsqlite3), then the
Python part below.

Loads N rows (16-byte keys, 100-byte values) into each engine, then times,
interleaved and repeated (median reported):
  full scan     every row in key order (keys and values fetched): `for r in table`
  scan()        the same through Table.scan() (rows read in batches in C)
  point reads   N random lookups by key, warm cache
Both engines are driven from Python (esepy's Table API, sqlite3's cursor), so
the numbers include each binding's per-call cost.  Prints seconds and the
ratio esepy / sqlite (lower is better for esepy).  Not a test.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

import esepy


def keys(n):
    return [i.to_bytes(16, "big") for i in range(n)]


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run_c(folder, rows, repeat):
    """Build bench_scan_c.c against the installed engine and run it."""
    here = os.path.dirname(os.path.abspath(__file__))
    lib = os.path.dirname(esepy.native_library())
    exe = os.path.join(folder, "bench_scan_c")
    cc = os.environ.get("CC", "cc")
    build = subprocess.run([cc, "-O2", "-std=c11", "-I", esepy.include_dir(), os.path.join(here, "bench_scan_c.c"),
                            "-L", lib, "-l:" + os.path.basename(esepy.native_library()), "-lsqlite3",
                            "-Wl,-rpath," + lib, "-o", exe], capture_output=True, text=True)
    if build.returncode != 0:
        print("C part skipped: cannot build bench_scan_c.c (C compiler, sqlite3.h?)\n" + build.stderr, file=sys.stderr)
        return
    d = os.path.join(folder, "c")
    os.makedirs(d, exist_ok=True)
    subprocess.run([exe, d, str(rows), str(repeat)], check=True)
    shutil.rmtree(d, ignore_errors=True)
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--lookups", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default=None, help="folder for the files (default: a temporary folder)")
    ap.add_argument("--no-c", action="store_true", help="skip the C API part")
    a = ap.parse_args()
    folder = a.dir or tempfile.mkdtemp(prefix="esepy-bench-scan-")
    if not a.no_c:
        run_c(folder, a.rows, a.repeat)
    ks = keys(a.rows)
    val = b"v" * 100
    rnd = random.Random(1)
    probe = [ks[rnd.randrange(a.rows)] for _ in range(a.lookups)]
    res = {("esepy", "full scan"): [], ("esepy", "point reads"): [], ("esepy", "scan()"): [],
           ("sqlite", "full scan"): [], ("sqlite", "point reads"): [], ("sqlite", "scan()"): []}
    try:
        con = sqlite3.connect(os.path.join(folder, "bench.sqlite"), isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID")
        for b in range(0, a.rows, 1000):
            con.execute("BEGIN")
            con.executemany("INSERT INTO kv VALUES (?, ?)", ((k, val) for k in ks[b:b + 1000]))
            con.execute("COMMIT")

        d = os.path.join(folder, "esepy")
        inst = esepy.Instance("bench-scan", system_path=d + "/", log_path=d + "/logs/", temp_path=d + "/tmp.edb",
                              create_path_if_not_exist=True, log_file_size_kb=16384, max_ver_pages=4096)
        with inst, inst.begin_session() as s:
            db = s.create_database(os.path.join(d, "bench.edb"))
            tab = db.create_table("kv", {"k": "binary", "v": "binary"}, primary_key=["k"])
            for b in range(0, a.rows, 1000):
                with s.transaction(lazy=True):
                    for k in ks[b:b + 1000]:
                        tab.insert({"k": k, "v": val})

            def e_scan():
                assert sum(1 for _ in tab) == a.rows

            def e_scan_batched():
                assert sum(1 for _ in tab.scan()) == a.rows

            def e_get():
                for k in probe:
                    tab.get(k)

            def s_scan():
                assert sum(1 for _ in con.execute("SELECT k, v FROM kv ORDER BY k")) == a.rows

            def s_get():
                for k in probe:
                    con.execute("SELECT v FROM kv WHERE k = ?", (k,)).fetchone()

            e_scan(), s_scan()   # warm both caches
            for _ in range(a.repeat):
                res[("esepy", "full scan")].append(timed(e_scan))
                res[("sqlite", "full scan")].append(timed(s_scan))
                res[("esepy", "scan()")].append(timed(e_scan_batched))
                res[("sqlite", "scan()")].append(timed(s_scan))
                res[("esepy", "point reads")].append(timed(e_get))
                res[("sqlite", "point reads")].append(timed(s_get))
            tab.close()
            db.close()
        con.close()
    finally:
        if a.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"Python: rows={a.rows} lookups={a.lookups} repeat={a.repeat} (medians)")
    print(f"{'workload':14}{'esepy':>10}{'sqlite':>10}{'esepy/sqlite':>14}")
    for w in ("full scan", "scan()", "point reads"):
        e, q = statistics.median(res[("esepy", w)]), statistics.median(res[("sqlite", w)])
        print(f"{w:14}{e:9.3f}s{q:9.3f}s{e / q:14.2f}")


if __name__ == "__main__":
    main()
