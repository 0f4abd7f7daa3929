"""Backup and restore benchmark: esepy against `cp` of the same bytes, in one run.

    python benchmarks/bench_backup.py [--size-mb 1024] [--log-mb 256] [--dir DIR]

Steps:
  1. build a database of about --size-mb MB (0.6 KB records, lazy commits);
  2. full backup (JetBackupInstance) vs `cp` of the database and log files
     followed by an fsync of each copy (the backup also fsyncs everything);
  3. write about --log-mb MB of log after the backup, stop dirty (a crash);
  4. restore with roll-forward (JetRestoreInstance): the copy phase (until the
     first progress report of the replay, i.e. the copy written and fsynced) vs `cp` + fsync of the backup's
     database file, and the replay rate in MB of log per second.

Prints seconds and ratios.  Not a test: nothing here asserts speed.
"""
from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import tempfile
import time

import esepy


def fsync_tree(paths):
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def cp_time(files, dest):
    os.makedirs(dest, exist_ok=True)
    t0 = time.perf_counter()
    subprocess.run(["cp", *files, dest], check=True)
    fsync_tree([os.path.join(dest, os.path.basename(f)) for f in files])
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--log-mb", type=int, default=256)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="esepy-bench-backup-", dir=args.dir)
    try:
        live = os.path.join(root, "live")
        params = dict(system_path=live + "/", log_path=live + "/", temp_path=live + "/tmp.edb",
                      create_path_if_not_exist=True, log_file_size_kb=16384)
        db = os.path.join(live, "bench.edb")
        # No long values yet: three 100-character (UTF-16) text columns make a 0.6 KB record (the largest record a 4 KiB page takes without long values).
        cols = {"k": "long", **{f"v{i}": "text" for i in range(3)}}
        value = {f"v{i}": chr(97 + i) * 100 for i in range(3)}
        rows = args.size_mb * 1024 * 1024 // 700
        inst = esepy.Instance("bench", **params)
        inst.init()
        s = inst.begin_session()
        t = s.create_database(db).create_table("t", cols, primary_key=["k"])
        t0 = time.perf_counter()
        for b in range(0, rows, 1000):
            with s.transaction(lazy=True):
                for k in range(b, min(rows, b + 1000)):
                    t.insert({"k": k, **value})
        build = time.perf_counter() - t0
        db_mb = os.path.getsize(db) / 2**20
        print(f"database: {db_mb:.0f} MB, {rows} rows, built in {build:.1f} s")

        # 2. full backup vs cp
        bk = os.path.join(root, "bk")
        os.mkdir(bk)
        t0 = time.perf_counter()
        inst.backup(bk)
        t_backup = time.perf_counter() - t0
        copied = sorted(glob.glob(os.path.join(bk, "*")))
        bytes_bk = sum(os.path.getsize(p) for p in copied)
        t_cp = cp_time(copied, os.path.join(root, "cp1"))
        print(f"full backup: {t_backup:.2f} s for {bytes_bk / 2**20:.0f} MB ({bytes_bk / 2**20 / t_backup:.0f} MB/s);"
              f" cp+fsync of the same files {t_cp:.2f} s; throughput ratio backup/cp = {t_cp / t_backup:.2f}")

        # 3. logs after the backup, then a crash
        before = {p: os.path.getsize(p) for p in glob.glob(os.path.join(live, "edb*.log"))}
        k = rows
        target = args.log_mb * 2**20
        written = 0
        while written < target:
            with s.transaction(lazy=True):
                for _ in range(1000):
                    t.insert({"k": k, **value})
                    k += 1
            logs = glob.glob(os.path.join(live, "edb*.log"))
            written = sum(os.path.getsize(p) for p in logs if p not in before or p.endswith("edb.log")) - \
                before.get(os.path.join(live, "edb.log"), 0)
        try:
            inst.term(grbit=esepy.TERM_DIRTY)
        except esepy.errors.DirtyShutdown:
            pass
        log_mb = sum(os.path.getsize(p) for p in glob.glob(os.path.join(bk, "edb0*.log"))) / 2**20
        log_mb += written / 2**20

        # 4. restore with roll-forward
        os.unlink(db)
        marks = []
        db_kb = os.path.getsize(os.path.join(bk, "bench.edb")) // 1024

        def progress(p):
            marks.append((time.perf_counter(), p.done, p.total))

        r = esepy.Instance("restore", **params)
        t0 = time.perf_counter()
        r.restore_instance(bk, progress=progress)
        t_restore = time.perf_counter() - t0
        r.term()
        copy_end = next((tm for tm, done, _ in marks if done > db_kb), marks[-1][0])  # first replay report
        t_copy = copy_end - t0
        t_replay = t_restore - t_copy
        t_cp2 = cp_time([os.path.join(bk, "bench.edb")], os.path.join(root, "cp2"))
        print(f"restore: {t_restore:.2f} s; copy phase {t_copy:.2f} s vs cp+fsync {t_cp2:.2f} s "
              f"(ratio {t_copy / t_cp2:.2f}); replay {log_mb:.0f} MB of log in {t_replay:.2f} s "
              f"({log_mb / t_replay:.0f} MB/s)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
