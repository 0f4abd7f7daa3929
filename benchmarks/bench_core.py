"""Engine-core benchmark: esepy against SQLite (stdlib sqlite3, WAL mode, synchronous
FULL and NORMAL) on the same data, side by side in one run.

    python benchmarks/bench_core.py [--rows N] [--commits N] [--lookups N] [--dir DIR]

Workloads (defaults from the engine-core issue):
  bulk insert   N rows (16-byte key, 100-byte value) in transactions of 1,000 rows
  commits       10,000 durable single-row transactions
  lookups       N random point lookups by key
  scan          one full scan in key order
Prints seconds per workload and the ratio esepy / sqlite (lower is better for
esepy).  Both engines are driven from Python, so the numbers include each
binding's per-call cost.  Not a test: nothing here asserts speed.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import tempfile
import time

import esepy


def keys(n):
    return [i.to_bytes(16, "big") for i in range(n)]


def run_sqlite(folder, sync, rows, commits, lookups):
    path = os.path.join(folder, f"bench-{sync}.sqlite")
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(f"PRAGMA synchronous={sync}")
    con.execute("CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID")
    ks = keys(rows)
    val = b"v" * 100
    t = {}
    t0 = time.perf_counter()
    for b in range(0, rows, 1000):
        con.execute("BEGIN")
        con.executemany("INSERT INTO kv VALUES (?, ?)", ((k, val) for k in ks[b:b + 1000]))
        con.execute("COMMIT")
    t["bulk insert"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(commits):
        con.execute("BEGIN")
        con.execute("INSERT INTO kv VALUES (?, ?)", ((rows + i).to_bytes(16, "big"), val))
        con.execute("COMMIT")
    t["durable commits"] = time.perf_counter() - t0
    rnd = random.Random(1)
    probe = [ks[rnd.randrange(rows)] for _ in range(lookups)]
    t0 = time.perf_counter()
    for k in probe:
        con.execute("SELECT v FROM kv WHERE k = ?", (k,)).fetchone()
    t["point lookups"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = sum(1 for _ in con.execute("SELECT k, v FROM kv ORDER BY k"))
    t["full scan"] = time.perf_counter() - t0
    assert n == rows + commits
    con.close()
    return t


def run_esepy(folder, rows, commits, lookups):
    d = os.path.join(folder, "esepy")
    inst = esepy.Instance("bench", system_path=d + "/", log_path=d + "/logs/", temp_path=d + "/tmp.edb",
                          create_path_if_not_exist=True, log_file_size_kb=16384, max_ver_pages=4096)
    t = {}
    with inst, inst.begin_session() as s:
        db = s.create_database(os.path.join(d, "bench.edb"))
        tab = db.create_table("kv", {"k": "binary", "v": "binary"}, primary_key=["k"])
        ks = keys(rows)
        val = b"v" * 100
        t0 = time.perf_counter()
        for b in range(0, rows, 1000):
            with s.transaction():
                for k in ks[b:b + 1000]:
                    tab.insert({"k": k, "v": val})
        t["bulk insert"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(commits):
            with s.transaction():
                tab.insert({"k": (rows + i).to_bytes(16, "big"), "v": val})
        t["durable commits"] = time.perf_counter() - t0
        rnd = random.Random(1)
        probe = [ks[rnd.randrange(rows)] for _ in range(lookups)]
        t0 = time.perf_counter()
        for k in probe:
            tab.get(k)
        t["point lookups"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        n = sum(1 for _ in tab)
        t["full scan"] = time.perf_counter() - t0
        assert n == rows + commits
        tab.close()
        db.close()
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--commits", type=int, default=10_000)
    ap.add_argument("--lookups", type=int, default=1_000_000)
    ap.add_argument("--dir", default=None, help="folder for the files (default: a temporary folder)")
    a = ap.parse_args()
    folder = a.dir or tempfile.mkdtemp(prefix="esepy-bench-")
    try:
        res = {
            "esepy": run_esepy(folder, a.rows, a.commits, a.lookups),
            "sqlite FULL": run_sqlite(folder, "FULL", a.rows, a.commits, a.lookups),
            "sqlite NORMAL": run_sqlite(folder, "NORMAL", a.rows, a.commits, a.lookups),
        }
    finally:
        if a.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    names = list(res)
    print(f"rows={a.rows} commits={a.commits} lookups={a.lookups}")
    print(f"{'workload':18}" + "".join(f"{n:>15}" for n in names) + f"{'esepy/FULL':>12}{'esepy/NORMAL':>14}")
    for w in res["esepy"]:
        row = f"{w:18}" + "".join(f"{res[n][w]:14.3f}s" for n in names)
        row += f"{res['esepy'][w] / res['sqlite FULL'][w]:12.2f}{res['esepy'][w] / res['sqlite NORMAL'][w]:14.2f}"
        print(row)


if __name__ == "__main__":
    main()
