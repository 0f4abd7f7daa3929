"""Log bytes per row by record type (issue 20, log volume).

Fills a fresh database the way benchmarks/run.py's fillseq / fillrandom do
(16-byte keys, 100-byte values, 1,000 rows per lazy transaction), shuts down
cleanly, then reads every generation with the engine's own log reader and sums
record lengths (the log's 16-byte header included) per record type.  Pad and
Flush records (block alignment of group commits) are counted as well.

    python benchmarks/log_volume.py [--rows 100000] [--order seq|random] [--cache-mb N] [--checkpoint-mb N] [--json]
    python benchmarks/log_volume.py --value100k 250    # run.py's value100k fill (issue 20)

--value100k N fills N values of 100 KB (random bytes, a LongBinary column) in lazy
transactions of 10, as run.py's value100k does, and prints log and file bytes per value.

--cache-mb bounds the page cache (JET_paramCacheSizeMax, 4 KiB pages): a fill
larger than the cache evicts pages and changes them again after reading them
back (torn-page images, btree.c T3); --checkpoint-mb sets
JET_paramCheckpointDepthMax (a page is imaged again after each checkpoint
advance).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import sys
import tempfile

import esepy
import esepy.inspect


def fill(folder: str, rows: int, order: str, cache_mb: int = 0, checkpoint_mb: int = 0) -> None:
    ks = [i.to_bytes(16, "big") for i in range(rows)]
    if order == "random":
        random.Random(7).shuffle(ks)
    inst = esepy.Instance("logvol", system_path=folder + "/", log_path=folder + "/logs/",
                          temp_path=folder + "/tmp.edb", create_path_if_not_exist=True,
                          log_file_size_kb=16384, max_ver_pages=65536,
                          **({"cache_size_max": cache_mb * 256} if cache_mb else {}),
                          **({"checkpoint_depth_max": checkpoint_mb << 20} if checkpoint_mb else {}))
    inst.init()
    s = inst.begin_session()
    db = s.create_database(os.path.join(folder, "bench.edb"))
    t = db.create_table("kv", {"k": "binary", "v": "binary"}, primary_key=["k"])
    value = b"v" * 100
    for b in range(0, rows, 1000):
        with s.transaction(lazy=True):
            t.insert_many([(k, value) for k in ks[b:b + 1000]], columns=("k", "v"), batch=1000)
    t.close()
    db.close()
    s.end()
    inst.term()


def fill_big(folder: str, n: int) -> int:
    """run.py's value100k fill: n 100 KB values, lazy transactions of 10; the file's size."""
    inst = esepy.Instance("logvol", system_path=folder + "/", log_path=folder + "/logs/",
                          temp_path=folder + "/tmp.edb", create_path_if_not_exist=True,
                          log_file_size_kb=16384, max_ver_pages=65536)
    inst.init()
    s = inst.begin_session()
    path = os.path.join(folder, "bench.edb")
    db = s.create_database(path)
    t = db.create_table("kv", {"k": "binary", "v": "longbinary"}, primary_key=["k"])
    big = random.Random(7).randbytes(100 * 1024)
    ks = [i.to_bytes(16, "big") for i in range(n)]
    for b in range(0, n, 10):
        with s.transaction(lazy=True):
            t.insert_many([(k, big) for k in ks[b:b + 10]], columns=("k", "v"), batch=10)
    t.close()
    db.close()
    s.end()
    inst.term()
    return os.path.getsize(path)


def breakdown(logs: str) -> "collections.OrderedDict[str, list]":
    per: "dict[str, list]" = collections.defaultdict(lambda: [0, 0])
    for lf in esepy.inspect.LogFolder(logs).files():
        for r in lf.records(include_padding=True):
            e = per[r.type_name]
            e[0] += 1
            e[1] += r.length
    return collections.OrderedDict(sorted(per.items(), key=lambda kv: -kv[1][1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--order", choices=("seq", "random"), default="seq")
    ap.add_argument("--cache-mb", type=int, default=0, help="cache size in MiB (default: the engine's)")
    ap.add_argument("--checkpoint-mb", type=int, default=0, help="checkpoint depth in MiB (default: the engine's)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--value100k", type=int, default=0, metavar="N", help="N values of 100 KB instead of rows")
    ns = ap.parse_args(argv)
    if ns.value100k:
        with tempfile.TemporaryDirectory(prefix="logvol") as d:
            cb = fill_big(d, ns.value100k)
            per = breakdown(os.path.join(d, "logs"))
        n = ns.value100k
        total = sum(b for _, b in per.values())
        if ns.json:
            print(json.dumps({"values": n, "file": cb, "total": total,
                              "types": {k: {"count": c, "bytes": b} for k, (c, b) in per.items()}}))
            return 0
        print(f"{n} values of 100 KB: {total / n:.0f} log bytes/value, {cb / n:.0f} file bytes/value")
        print(f"{'type':<10} {'records':>9} {'bytes':>11} {'rec/value':>9} {'bytes/value':>11}")
        for k, (c, b) in per.items():
            print(f"{k:<10} {c:>9} {b:>11} {c / n:>9.1f} {b / n:>11.0f}")
        return 0
    with tempfile.TemporaryDirectory(prefix="logvol") as d:
        fill(d, ns.rows, ns.order, ns.cache_mb, ns.checkpoint_mb)
        per = breakdown(os.path.join(d, "logs"))
    total = sum(b for _, b in per.values())
    if ns.json:
        print(json.dumps({"rows": ns.rows, "order": ns.order, "cache_mb": ns.cache_mb, "checkpoint_mb": ns.checkpoint_mb, "total": total,
                          "types": {k: {"count": c, "bytes": b} for k, (c, b) in per.items()}}))
        return 0
    cache = f", cache {ns.cache_mb} MiB" if ns.cache_mb else ""
    cache += f", checkpoint depth {ns.checkpoint_mb} MiB" if ns.checkpoint_mb else ""
    print(f"{ns.rows} rows, fill{ns.order}{cache}: {total / ns.rows:.1f} log bytes/row")
    print(f"{'type':<10} {'records':>9} {'bytes':>11} {'bytes/row':>9} {'avg len':>8}")
    for k, (c, b) in per.items():
        print(f"{k:<10} {c:>9} {b:>11} {b / ns.rows:>9.1f} {b / c:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
