"""Secondary-index benchmark: esepy against SQLite (stdlib sqlite3, WAL mode,
synchronous=NORMAL) on the same data, side by side in one run.

    python benchmarks/bench_index.py [--rows N] [--seeks N] [--ranges N] [--dir DIR]

Schema: id (primary key), email (text, unique secondary index), age (integer,
non-unique secondary index).  Workloads:
  insert        N rows in transactions of 1,000, maintaining both indexes
  build         creating a third index (on age, email) over the N rows
  seeks         N random equality seeks on email through its index, reading the row
  ranges        N prefix ranges on age (about rows/100 records each), reading ids
Prints seconds per workload and the ratio esepy / sqlite (lower is better for
esepy).  Both engines are driven from Python, so the numbers include each
binding's per-call cost.  Not a test: nothing here asserts speed.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time

import sqlite3

import esepy


def rows_of(n):
    rnd = random.Random(5)
    return [(i, f"user{i:08d}@example.org", rnd.randrange(100)) for i in range(n)]


def run_sqlite(folder, rows, seeks, ranges):
    con = sqlite3.connect(os.path.join(folder, "bench.sqlite"), isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE, age INTEGER)")
    con.execute("CREATE UNIQUE INDEX by_email ON people(email)")
    con.execute("CREATE INDEX by_age ON people(age)")
    con.execute("CREATE INDEX by_email_desc ON people(email DESC, age)")
    t = {}
    t0 = time.perf_counter()
    for b in range(0, len(rows), 1000):
        con.execute("BEGIN")
        con.executemany("INSERT INTO people VALUES (?, ?, ?)", rows[b:b + 1000])
        con.execute("COMMIT")
    t["insert"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    con.execute("CREATE INDEX by_age_email ON people(age, email)")
    t["build"] = time.perf_counter() - t0
    rnd = random.Random(1)
    probe = [rows[rnd.randrange(len(rows))][1].upper() for _ in range(seeks)]
    t0 = time.perf_counter()
    for e in probe:
        con.execute("SELECT id, email, age FROM people WHERE email = ?", (e,)).fetchone()
    t["seeks"] = time.perf_counter() - t0
    ages = [rnd.randrange(100) for _ in range(ranges)]
    t0 = time.perf_counter()
    for a in ages:
        sum(1 for _ in con.execute("SELECT id FROM people WHERE age = ?", (a,)))
    t["ranges"] = time.perf_counter() - t0
    con.close()
    return t


def run_esepy(folder, rows, seeks, ranges):
    inst = esepy.Instance("bench", system_path=folder + "/", log_path=folder + "/logs/",
                          temp_path=folder + "/tmp.edb", create_path_if_not_exist=True, max_ver_pages=65536)
    t = {}
    with inst, inst.begin_session() as s:
        db = s.create_database(os.path.join(folder, "bench.edb"))
        tab = db.create_table("people", {"id": "long", "email": "text", "age": "long"}, primary_key=["id"])
        tab.create_index("by_email", ["email"], unique=True)
        tab.create_index("by_age", ["age"])
        tab.create_index("by_email_desc", ["-email", "age"])
        t0 = time.perf_counter()
        for b in range(0, len(rows), 1000):
            with s.transaction(lazy=True):
                for i, e, a in rows[b:b + 1000]:
                    tab.insert({"id": i, "email": e, "age": a})
        t["insert"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        tab.create_index("by_age_email", ["age", "email"])
        t["build"] = time.perf_counter() - t0
        rnd = random.Random(1)
        probe = [rows[rnd.randrange(len(rows))][1].upper() for _ in range(seeks)]
        t0 = time.perf_counter()
        for e in probe:
            tab.seek(e, index="by_email")
        t["seeks"] = time.perf_counter() - t0
        ages = [rnd.randrange(100) for _ in range(ranges)]
        t0 = time.perf_counter()
        for a in ages:
            sum(1 for _ in tab.range(index="by_age", prefix=a, columns=["id"]))  # from the index alone
        t["ranges"] = time.perf_counter() - t0
        tab.close()
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--seeks", type=int, default=100_000)
    ap.add_argument("--ranges", type=int, default=100)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    rows = rows_of(args.rows)
    base = tempfile.mkdtemp(prefix="esepy-bench-", dir=args.dir)
    try:
        os.makedirs(os.path.join(base, "e"))
        os.makedirs(os.path.join(base, "s"))
        e = run_esepy(os.path.join(base, "e"), rows, args.seeks, args.ranges)
        q = run_sqlite(os.path.join(base, "s"), rows, args.seeks, args.ranges)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{'workload':10} {'esepy':>10} {'sqlite':>10} {'ratio':>7}")
    for k in e:
        print(f"{k:10} {e[k]:10.2f} {q[k]:10.2f} {e[k] / q[k]:7.2f}")


if __name__ == "__main__":
    main()
