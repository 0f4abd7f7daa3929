"""The Python read figures of docs/benchmarks.md "Read side, second pass": run.py's own
engine adapters (Esepy, Sqlite, Lmdb), timed by the minimum thread CPU time of ITER
repetitions, which a loaded shared machine disturbs far less than wall-clock medians.

    python benchmarks/read_cpu.py get|scan|range|start ROWS ITER [esepy|esepy-dict|sqlite|lmdb]

get: ROWS random point reads; scan: one full scan; range: ROWS/100 seeks reading 100
rows each; start: ROWS/100 seeks reading 1 row each, printed per seek (a range's fixed
cost: the engine's seek and, for esepy, starting and ending a Table.scan).  esepy reads (key, value) tuples as the peers do (run.py's adapter);
esepy-dict reads Table.scan's default dict rows.  Prints "min cpu N ns/row".  Not a test."""
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402


class EsepyDict(R.Esepy):
    """Table.scan's default rows: a dict per record."""

    def scan(self):
        return sum(1 for _ in self.t.scan())

    def seek_range(self, k, n):
        c = 0
        for _ in self.t.scan(start=k, batch=n):
            c += 1
            if c == n:
                break
        return c


def main():
    what, rows, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    eng = sys.argv[4] if len(sys.argv) > 4 else "esepy"
    folder = tempfile.mkdtemp(prefix="read-cpu-")
    try:
        e = {"esepy": R.Esepy, "esepy-dict": EsepyDict, "sqlite": R.Sqlite, "lmdb": R.Lmdb}[eng](folder)
        ks = R.keys(rows)
        e.fill(ks)
        e.scan()
        rnd = random.Random(1)
        probes = [ks[rnd.randrange(rows)] for _ in range(rows)]
        best = float("inf")
        for _ in range(iters):
            t0 = time.thread_time()
            if what == "scan":
                assert e.scan() == rows
            elif what == "get":
                for k in probes:
                    e.get(k)
            elif what == "start":
                for k in probes[: rows // 100]:
                    e.seek_range(k, 1)
            else:
                for k in probes[: rows // 100]:
                    e.seek_range(k, 100)
            best = min(best, time.thread_time() - t0)
        if what == "start":
            print(f"{eng} {what}: min cpu {best / (rows // 100) * 1e9:.0f} ns/seek")
        else:
            print(f"{eng} {what}: min cpu {best / rows * 1e9:.0f} ns/row")
        if hasattr(e, "close"):
            e.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
