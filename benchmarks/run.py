"""One benchmark command: esepy against SQLite, LMDB and RocksDB, same data, same
durability class, same run.

    python benchmarks/run.py [--rows N] [--only W1,W2] [--repeat 3] [--markdown FILE] [--json FILE]

    pip install -e '.[bench]'          # lmdb, rocksdict (sqlite3 is in the standard library)
    python benchmarks/run.py --rows 1000000 --commits 10000 --markdown bench.md   # the 1M run

Engines (a peer whose package is missing is skipped and said so; esepy always runs):
  esepy    the esepy.Table API; lazy = transaction(lazy=True), durable = default commit
  sqlite   the sqlite3 module, WAL, synchronous=NORMAL (lazy) / FULL (durable), WITHOUT ROWID
  lmdb     the lmdb package; lazy = Environment(sync=False), durable = sync=True
  rocksdb  rocksdict (raw mode); lazy = WAL without sync, durable = WriteOptions.sync

Workloads (16-byte keys, 100-byte values unless said):
  fillseq       --rows rows in key order, batches of 1,000 rows per transaction (lazy)
  fillrandom    the same rows in random order (lazy)
  commit1/2/4   --commits durable single-row commits by 1, 2, 4 writer threads
  readrandom    --rows (or --lookups) warm random point lookups (value copied out)
  readseq       full scan in key order (keys and values: every engine hands each row out
                as a (key, value) tuple of bytes; esepy: Table.scan(rows="tuple"))
  seekrandom    --rows/100 seeks to a random key, each reading the next 100 rows (the same
                (key, value) tuples)
  value100k     --rows/200 (at least 10) 100 KB values inserted (lazy), then read back
                (timed together; the read-back alone is printed below the table)
  index3        --rows rows into a table with 3 secondary indexes (lazy); lmdb and rocksdb
                keep the index entries as extra keys in the same transaction / batch
  indexbuild    one more index built over those rows
  backup        a full backup of the --rows table (esepy: Instance.backup; sqlite: the
                online backup API; lmdb: Environment.copy; rocksdb: flush + copy of its
                folder) against `cp` + fsync of the same files
  restore       esepy: restore_instance of that backup against `cp` + fsync of its files
C API column (readrandom, readseq, seekrandom, value100k): the same operations through
esepy's ESENT API (libesent) and SQLite's C API (libsqlite3), one process each, by
benchmarks/run_c.c, built at the start of the run with the system's C compiler (skipped,
and said so, when it cannot be built); no binding cost in those figures.
Each (workload, engine) runs in its own process (so peak RSS is that process's
ru_maxrss, setup included), repeated --repeat times with the engines interleaved;
medians are printed, with the ratio esepy / peer (lower is better for esepy), and for
the fills and reads the process's CPU time of the timed part (all its threads; I/O waits
not included), which a loaded machine stretches less than wall time.  The
device's fdatasync rate (4 KiB writes in sequence into a file allocated beforehand, one
fdatasync after each, in the data folder) is measured in the same run.  Space (fillseq,
fillrandom, index3): bytes per row of the database files once closed, esepy's log bytes
(its attach-to-detach log positions), and every byte the process passed to write calls
(Linux /proc/self/io) during the fill and the close.  Not a test: no number is asserted; the command exits non-zero only
when it cannot run.
"""
from __future__ import annotations

import argparse
import array
import glob
import importlib.util
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ENGINES = ("esepy", "sqlite", "lmdb", "rocksdb")
WORKLOADS = ("fillseq", "fillrandom", "commit1", "commit2", "commit4", "readrandom", "readseq", "seekrandom",
             "value100k", "index3", "indexbuild", "backup", "restore")
RESTORE_ENGINES = ("esepy",)     # the others' restore is a file copy: the `cp` column
C_WORKLOADS = ("readrandom", "readseq", "seekrandom", "value100k")   # run_c.c
C_ENGINES = ("esepy", "sqlite")
VALUE = b"v" * 100
BIG = 100 * 1024
# --cache-mb: the page cache of esepy and SQLite (the children read it from the environment);
# 0 = each engine's default (esepy: grows with the data; SQLite: 2 MB)
CACHE_MB = int(os.environ.get("ESEPY_BENCH_CACHE_MB", "0") or 0)
# --lookups: readrandom's point lookups (0 = --rows)
LOOKUPS = int(os.environ.get("ESEPY_BENCH_LOOKUPS", "0") or 0)


def installed(engine):
    mod = {"esepy": "esepy", "sqlite": "sqlite3", "lmdb": "lmdb", "rocksdb": "rocksdict"}[engine]
    return importlib.util.find_spec(mod) is not None


class Keys:
    """The 16-byte big-endian keys 0..n-1 (or in the order of an index array), made when
    sliced or indexed: a 10M-row run holds no 10M-key list (about 700 MB of bytes objects),
    so a child's peak RSS is the engine's, plus 4 bytes a row for a shuffled order."""

    def __init__(self, n, order=None):
        self.n, self.order = n, order

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        o = self.order
        if isinstance(i, slice):
            idx = range(self.n)[i] if o is None else o[i]
            return [j.to_bytes(16, "big") for j in idx]
        return (i if o is None else o[i]).to_bytes(16, "big")

    def __iter__(self):
        for b in range(0, self.n, 1000):
            yield from self[b:b + 1000]


def keys(n):
    return Keys(n)


def shuffled(ks, seed=7):
    order = array.array("L" if len(ks) >= 1 << 32 else "I", range(len(ks)))
    random.Random(seed).shuffle(order)
    return Keys(len(ks), order)


def rss_now_mb():
    """This process's resident set now (Linux /proc/self/statm), in MB, or None."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


def people(n):
    rnd = random.Random(5)
    return [(i, f"user{i:08d}@example.org", rnd.randrange(100), f"city{rnd.randrange(1000)}") for i in range(n)]


def fsync_tree(paths):
    for p in paths:
        if os.path.isdir(p):
            fsync_tree([os.path.join(p, n) for n in os.listdir(p)])
            continue
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def cp_fsync(files, dest):
    """`cp` of files (or folders) into dest, then an fsync of each copy: seconds."""
    os.makedirs(dest, exist_ok=True)
    t0 = time.perf_counter()
    subprocess.run(["cp", "-r", *files, dest], check=True)
    fsync_tree([os.path.join(dest, os.path.basename(f)) for f in files])
    return time.perf_counter() - t0


def du(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


# ---------------------------------------------------------------------------
# Engines: one adapter each, the same operations
# ---------------------------------------------------------------------------

class Esepy:
    def __init__(self, folder, big=False):
        import esepy
        self.esepy = esepy
        self.folder = folder
        self.params = dict(system_path=folder + "/", log_path=folder + "/logs/", temp_path=folder + "/tmp.edb",
                           create_path_if_not_exist=True, log_file_size_kb=16384, max_ver_pages=65536)
        if CACHE_MB:   # process-wide in esepy (JET_paramCacheSizeMax, in 4 KiB pages)
            esepy.set_default_param("cache_size_max", CACHE_MB * 256)
        self.inst = esepy.Instance("bench", **self.params)
        self.inst.init()
        self.s = self.inst.begin_session()
        self.path = os.path.join(folder, "bench.edb")
        self.db = self.s.create_database(self.path)
        self.t = self.db.create_table("kv", {"k": "binary", "v": "longbinary" if big else "binary"}, primary_key=["k"])

    def fill(self, ks, value=VALUE, batch=1000):
        s, t = self.s, self.t
        for b in range(0, len(ks), batch):
            with s.transaction(lazy=True):
                t.insert_many([(k, value) for k in ks[b:b + batch]], columns=("k", "v"), batch=batch)

    def writer(self):
        s = self.inst.begin_session()
        t = s.open_database(self.path).open_table("kv")

        def put(k, v):
            with s.transaction():
                t.insert({"k": k, "v": v})
        return put, s.end

    def get(self, k):
        return self.t.get(k)["v"]

    # The reads hand out what the peers' do: each row a (key, value) tuple of bytes
    # (Table.scan's rows="tuple"; the default dict rows cost a dict per row more).
    def scan(self):
        return sum(1 for _ in self.t.scan(("k", "v"), rows="tuple"))

    def seek_range(self, k, n):
        c = 0
        for _ in self.t.scan(("k", "v"), start=k, batch=n, rows="tuple"):
            c += 1
            if c == n:
                break
        return c

    def people_table(self, rows):
        t = self.db.create_table("people", {"id": "long", "email": "text", "age": "long", "city": "text"},
                                 primary_key=["id"])
        t.create_index("by_email", ["email"], unique=True)
        t.create_index("by_age", ["age"])
        t.create_index("by_city_age", ["city", "age"])
        for b in range(0, len(rows), 1000):
            with self.s.transaction(lazy=True):
                t.insert_many(rows[b:b + 1000], columns=("id", "email", "age", "city"))
        self.p = t

    def build_index(self):
        self.p.create_index("by_age_email", ["age", "email"])

    def backup(self, dest):
        self.inst.backup(dest)
        return sorted(glob.glob(os.path.join(dest, "*")))

    def files(self):
        return [self.path] + sorted(glob.glob(os.path.join(self.folder, "logs", "*.log")))

    def close(self):
        self.t.close()
        if getattr(self, "p", None) is not None:
            self.p.close()
        self.db.close()
        self.s.end()
        self.inst.term()

    def space(self):
        """After close: (database file bytes, log bytes the database's life wrote: from its
        attach to its detach position, as the header records them)."""
        import esepy.inspect
        info = self.esepy.database_file_info(self.path)
        hdr = esepy.inspect.LogFile(os.path.join(self.folder, "logs", "edb.log")).header

        def pos(lg):
            return (lg[0] - 1) * hdr.file_size + lg[1] * hdr.page_size + lg[2]
        return os.path.getsize(self.path), pos(info["lgpos_detach"]) - pos(info["lgpos_attach"])


class Sqlite:
    def __init__(self, folder, durable=False):
        import sqlite3
        self.sqlite3 = sqlite3
        self.path = os.path.join(folder, "bench.sqlite")
        self.sync = "FULL" if durable else "NORMAL"
        self.con = self.connect()
        self.con.execute("CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID")

    def connect(self):
        con = self.sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(f"PRAGMA synchronous={self.sync}")
        if CACHE_MB:
            con.execute(f"PRAGMA cache_size=-{CACHE_MB * 1024}")
        return con

    def fill(self, ks, value=VALUE, batch=1000):
        con = self.con
        for b in range(0, len(ks), batch):
            con.execute("BEGIN")
            con.executemany("INSERT INTO kv VALUES (?, ?)", ((k, value) for k in ks[b:b + batch]))
            con.execute("COMMIT")

    def writer(self):
        con = self.connect()

        def put(k, v):
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO kv VALUES (?, ?)", (k, v))
            con.execute("COMMIT")
        return put, con.close

    def get(self, k):
        return self.con.execute("SELECT v FROM kv WHERE k = ?", (k,)).fetchone()[0]

    def scan(self):
        return sum(1 for _ in self.con.execute("SELECT k, v FROM kv ORDER BY k"))

    def seek_range(self, k, n):
        return sum(1 for _ in self.con.execute("SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?", (k, n)))

    def people_table(self, rows):
        con = self.con
        con.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE, age INTEGER, city TEXT)")
        con.execute("CREATE UNIQUE INDEX by_email ON people(email)")
        con.execute("CREATE INDEX by_age ON people(age)")
        con.execute("CREATE INDEX by_city_age ON people(city, age)")
        for b in range(0, len(rows), 1000):
            con.execute("BEGIN")
            con.executemany("INSERT INTO people VALUES (?, ?, ?, ?)", rows[b:b + 1000])
            con.execute("COMMIT")

    def build_index(self):
        self.con.execute("CREATE INDEX by_age_email ON people(age, email)")

    def backup(self, dest):
        out = os.path.join(dest, "bench.sqlite")
        b = self.sqlite3.connect(out)
        self.con.backup(b)
        b.close()
        fsync_tree([out])
        return [out]

    def files(self):
        self.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return [p for p in (self.path, self.path + "-wal") if os.path.exists(p)]

    def close(self):
        self.con.close()

    def space(self):
        return sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p)), None


class Lmdb:
    def __init__(self, folder, durable=False):
        import lmdb
        self.folder = folder
        self.env = lmdb.open(os.path.join(folder, "lmdb"), map_size=1 << 36, max_dbs=8, sync=durable,
                             metasync=durable, writemap=False, lock=True)
        self.main = self.env.open_db(b"kv")

    def fill(self, ks, value=VALUE, batch=1000):
        env, db = self.env, self.main
        for b in range(0, len(ks), batch):
            with env.begin(write=True, db=db) as txn:
                for k in ks[b:b + batch]:
                    txn.put(k, value)

    def writer(self):
        env, db = self.env, self.main

        def put(k, v):
            with env.begin(write=True, db=db) as txn:
                txn.put(k, v)
        return put, lambda: None

    def get(self, k):
        with self.env.begin(db=self.main, buffers=False) as txn:
            return txn.get(k)

    def scan(self):
        with self.env.begin(db=self.main) as txn:
            return sum(1 for _ in txn.cursor())

    def seek_range(self, k, n):
        c = 0
        with self.env.begin(db=self.main) as txn:
            cur = txn.cursor()
            if cur.set_range(k):
                for _ in cur:
                    c += 1
                    if c == n:
                        break
        return c

    def people_table(self, rows):
        env = self.env
        self.pdb = {n: env.open_db(n) for n in (b"people", b"by_email", b"by_age", b"by_city_age")}
        for b in range(0, len(rows), 1000):
            with env.begin(write=True) as txn:
                for i, e, a, c in rows[b:b + 1000]:
                    pk = i.to_bytes(8, "big")
                    txn.put(pk, b"%s\0%d\0%s" % (e.encode(), a, c.encode()), db=self.pdb[b"people"])
                    if not txn.put(e.lower().encode(), pk, db=self.pdb[b"by_email"], overwrite=False):
                        raise KeyError(e)
                    txn.put(a.to_bytes(4, "big") + pk, b"", db=self.pdb[b"by_age"])
                    txn.put(c.encode() + b"\0" + a.to_bytes(4, "big") + pk, b"", db=self.pdb[b"by_city_age"])

    def build_index(self):
        env = self.env
        idx = env.open_db(b"by_age_email")
        with env.begin(write=True) as txn:
            for pk, v in txn.cursor(db=self.pdb[b"people"]):
                e, a, _ = v.split(b"\0")
                txn.put(int(a).to_bytes(4, "big") + e.lower() + b"\0" + pk, b"", db=idx)

    def backup(self, dest):
        out = os.path.join(dest, "lmdb")
        os.makedirs(out)
        self.env.copy(out)
        fsync_tree([out])
        return [out]

    def files(self):
        self.env.sync(True)
        return [os.path.join(self.folder, "lmdb")]

    def close(self):
        self.env.close()

    def space(self):   # the map is sparse: the blocks in use
        return os.stat(os.path.join(self.folder, "lmdb", "data.mdb")).st_blocks * 512, None


class Rocks:
    def __init__(self, folder, durable=False):
        import rocksdict
        self.rd = rocksdict
        self.folder = folder
        self.path = os.path.join(folder, "rocks")
        opt = rocksdict.Options(raw_mode=True)
        opt.create_if_missing(True)
        self.db = rocksdict.Rdict(self.path, opt)
        self.wo = rocksdict.WriteOptions()
        self.wo.sync = durable

    def fill(self, ks, value=VALUE, batch=1000):
        rd, db = self.rd, self.db
        for b in range(0, len(ks), batch):
            wb = rd.WriteBatch(raw_mode=True)
            for k in ks[b:b + batch]:
                wb.put(k, value)
            db.write(wb, self.wo)

    def writer(self):
        db, wo = self.db, self.wo

        def put(k, v):
            db.put(k, v, wo)
        return put, lambda: None

    def get(self, k):
        return self.db[k]

    def scan(self):
        it = self.db.iter()
        it.seek_to_first()
        c = 0
        while it.valid():
            it.key(), it.value()
            c += 1
            it.next()
        return c

    def seek_range(self, k, n):
        it = self.db.iter()
        it.seek(k)
        c = 0
        while it.valid() and c < n:
            it.key(), it.value()
            c += 1
            it.next()
        return c

    def people_table(self, rows):
        rd, db = self.rd, self.db
        for b in range(0, len(rows), 1000):
            wb = rd.WriteBatch(raw_mode=True)
            for i, e, a, c in rows[b:b + 1000]:
                pk = i.to_bytes(8, "big")
                ek = b"E" + e.lower().encode()
                if db.key_may_exist(ek) and db.get(ek) is not None:
                    raise KeyError(e)
                wb.put(b"P" + pk, b"%s\0%d\0%s" % (e.encode(), a, c.encode()))
                wb.put(ek, pk)
                wb.put(b"A" + a.to_bytes(4, "big") + pk, b"")
                wb.put(b"C" + c.encode() + b"\0" + a.to_bytes(4, "big") + pk, b"")
            db.write(wb, self.wo)

    def build_index(self):
        rd, db = self.rd, self.db
        it = db.iter()
        it.seek(b"P")
        wb, n = rd.WriteBatch(raw_mode=True), 0
        while it.valid() and it.key()[:1] == b"P":
            e, a, _ = it.value().split(b"\0")
            wb.put(b"X" + int(a).to_bytes(4, "big") + e.lower() + b"\0" + it.key()[1:], b"")
            n += 1
            if n % 1000 == 0:
                db.write(wb, self.wo)
                wb = rd.WriteBatch(raw_mode=True)
            it.next()
        db.write(wb, self.wo)

    def backup(self, dest):
        self.db.flush(True)
        self.db.flush_wal(True)
        out = os.path.join(dest, "rocks")
        shutil.copytree(self.path, out)  # rocksdict has no checkpoint API: a flushed folder's copy
        fsync_tree([out])
        return [out]

    def files(self):
        self.db.flush(True)
        self.db.flush_wal(True)
        return [self.path]

    def close(self):
        self.db.close()

    def space(self):   # its folder: tables, WAL, manifest (values compressed by default)
        return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(self.path) for f in fs
                   if not f.startswith("LOG")), None


def open_engine(engine, folder, durable=False, big=False):
    if engine == "esepy":
        return Esepy(folder, big)
    return {"sqlite": Sqlite, "lmdb": Lmdb, "rocksdb": Rocks}[engine](folder, durable)


# ---------------------------------------------------------------------------
# One (engine, workload) in this process: setup untimed, then the timed part
# ---------------------------------------------------------------------------

def run_one(engine, workload, folder, rows, commits):
    """Seconds of the timed part (and, for backup/restore, the `cp` time of the same files)."""
    durable = workload.startswith("commit")
    out = {}
    ks = keys(rows)
    # the workload's own material, made before the engine opens: its RSS is the harness's
    order = shuffled(ks) if workload == "fillrandom" else ks
    if workload == "readrandom":
        rnd = random.Random(1)
        probe = [ks[rnd.randrange(rows)] for _ in range(LOOKUPS or rows)]
    out["harness_mb"] = rss_now_mb()
    e = open_engine(engine, folder, durable, workload == "value100k")
    try:
        if workload in ("fillseq", "fillrandom"):
            w0 = written()
            c0, t0 = time.process_time(), time.perf_counter()
            e.fill(order)
            out["s"] = time.perf_counter() - t0
            out["cpu"] = time.process_time() - c0
            space(e, out, rows, w0)
            e = None
        elif durable:
            nthreads = int(workload[-1])
            per = max(1, commits // nthreads)
            writers = [e.writer() for _ in range(nthreads)]
            start = threading.Barrier(nthreads + 1)
            errors = []

            def work(w, put):
                try:
                    start.wait()
                    for i in range(per):
                        put((w * per + i).to_bytes(16, "big"), VALUE)
                except BaseException as ex:  # reported below
                    errors.append(ex)

            ths = [threading.Thread(target=work, args=(w, p)) for w, (p, _) in enumerate(writers)]
            for th in ths:
                th.start()
            start.wait()
            t0 = time.perf_counter()
            for th in ths:
                th.join()
            out["s"] = time.perf_counter() - t0
            for _, close in writers:
                close()
            if errors:
                raise errors[0]
            out["ops"] = per * nthreads
        elif workload in ("readrandom", "readseq", "seekrandom"):
            e.fill(ks)
            assert e.scan() == rows  # and warms the cache
            if workload == "readrandom":
                for k in probe[: min(len(probe), 10000)]:
                    e.get(k)
                c0, t0 = time.process_time(), time.perf_counter()
                for k in probe:
                    e.get(k)
                out["s"] = time.perf_counter() - t0
                out["cpu"] = time.process_time() - c0
            elif workload == "readseq":
                c0, t0 = time.process_time(), time.perf_counter()
                n = e.scan()
                out["s"] = time.perf_counter() - t0
                out["cpu"] = time.process_time() - c0
                assert n == rows
            else:
                rnd = random.Random(2)
                probe = [ks[rnd.randrange(rows)] for _ in range(max(1, rows // 100))]
                c0, t0 = time.process_time(), time.perf_counter()
                for k in probe:
                    e.seek_range(k, 100)
                out["s"] = time.perf_counter() - t0
                out["cpu"] = time.process_time() - c0
        elif workload == "value100k":
            n = max(10, rows // 200)
            big = os.urandom(BIG)
            c0, t0 = time.process_time(), time.perf_counter()
            e.fill(keys(n), big, batch=10)
            t1 = time.perf_counter()
            for k in keys(n):
                assert len(e.get(k)) == BIG
            out["s"] = time.perf_counter() - t0
            out["cpu"] = time.process_time() - c0
            out["read"] = time.perf_counter() - t1   # the read-back alone
        elif workload in ("index3", "indexbuild"):
            ppl = people(rows)
            w0 = written()
            c0, t0 = time.process_time(), time.perf_counter()
            e.people_table(ppl)
            c1, t1 = time.process_time(), time.perf_counter()
            if workload == "indexbuild":
                e.build_index()
                out["s"] = time.perf_counter() - t1
                out["cpu"] = time.process_time() - c1
            else:
                out["s"] = t1 - t0
                out["cpu"] = c1 - c0
                space(e, out, rows, w0)
                e = None
        elif workload in ("backup", "restore"):
            e.fill(ks)
            bk = os.path.join(folder, "backup")
            os.makedirs(bk)
            t0 = time.perf_counter()
            files = e.backup(bk)
            tb = time.perf_counter() - t0
            if workload == "backup":
                out["s"] = tb
                out["cp"] = cp_fsync(e.files(), os.path.join(folder, "cp"))
                out["mb"] = sum(du(f) for f in files) / 2**20
            else:
                e.close()
                e = None
                dest = os.path.join(folder, "restored")
                os.makedirs(dest)
                t0 = time.perf_counter()
                restore_esepy(bk, dest)
                out["s"] = time.perf_counter() - t0
                out["cp"] = cp_fsync([f for f in files if f.endswith(".edb")], os.path.join(folder, "cp"))
        else:
            raise ValueError(workload)
    finally:
        if e is not None:
            e.close()
    return out


def written():
    """Bytes this process has passed to write calls so far (Linux /proc/self/io wchar), or None."""
    try:
        with open("/proc/self/io") as f:
            for line in f:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def space(e, out, rows, w0):
    """Close e, then record its file bytes, its log bytes (esepy) and the bytes written
    since w0 (setup after w0 included: the table's creation is small), each per row."""
    e.close()
    w1 = written()
    size, log = e.space()
    out["file_b"] = size / rows
    if log is not None:
        out["log_b"] = log / rows
    if w0 is not None and w1 is not None:
        out["written_b"] = (w1 - w0) / rows


def restore_esepy(bk, dest):
    import esepy
    inst = esepy.Instance("restore", system_path=dest + "/", log_path=dest + "/logs/", temp_path=dest + "/tmp.edb",
                          create_path_if_not_exist=True, log_file_size_kb=16384)
    inst.restore_instance(bk, dest)
    inst.term()


def fdatasync_rate(folder, n):
    """fdatasync() calls per second, each after the next 4 KiB write into a file
    allocated and synced beforehand (as a write-ahead log is written)."""
    path = os.path.join(folder, "fsync.probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        block = b"\0" * 4096
        for i in range(n):
            os.pwrite(fd, block, i * 4096)
        os.fsync(fd)
        t0 = time.perf_counter()
        for i in range(n):
            os.pwrite(fd, block, i * 4096)
            os.fdatasync(fd)
        return n / (time.perf_counter() - t0)
    finally:
        os.close(fd)
        os.unlink(path)


# ---------------------------------------------------------------------------
# The parent: interleaved runs, medians, tables
# ---------------------------------------------------------------------------

def child(engine, workload, base, rows, commits):
    """Run one (engine, workload) in a new process: (result dict, peak RSS in MB)."""
    folder = tempfile.mkdtemp(prefix=f"{engine}-{workload}-", dir=base)
    try:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", engine, workload, folder, str(rows), str(commits)]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate()
        if p.returncode != 0:
            sys.stderr.write(f"{engine} {workload} failed:\n{err.decode(errors='replace')}\n")
            return None, None
        res = json.loads(out.decode().strip().splitlines()[-1])
        rss_mb = res.pop("rss_mb", None)
        return res, rss_mb
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def build_c(base):
    """Build benchmarks/run_c.c against the installed engine and libsqlite3: its path,
    or None (and why on stderr) when it cannot be built."""
    import esepy
    here = os.path.dirname(os.path.abspath(__file__))
    lib = esepy.native_library()
    exe = os.path.join(base, "run_c")
    cc = os.environ.get("CC", "cc")
    try:
        b = subprocess.run([cc, "-O2", "-std=c11", "-I", esepy.include_dir(), os.path.join(here, "run_c.c"),
                            "-L", os.path.dirname(lib), "-l:" + os.path.basename(lib), "-lsqlite3",
                            "-Wl,-rpath," + os.path.dirname(lib), "-o", exe], capture_output=True, text=True)
    except OSError as ex:
        print(f"C API column skipped: no C compiler ({ex})", file=sys.stderr)
        return None
    if b.returncode != 0:
        print("C API column skipped: cannot build run_c.c (C compiler, sqlite3.h?)\n" + b.stderr, file=sys.stderr)
        return None
    return exe


def child_c(exe, engine, workload, base, rows):
    """One (engine, workload) of run_c.c in a new process: its result dict, or None."""
    folder = tempfile.mkdtemp(prefix=f"c-{engine}-{workload}-", dir=base)
    try:
        p = subprocess.run([exe, engine, workload, folder, str(rows)], capture_output=True, text=True)
        if p.returncode != 0:
            sys.stderr.write(f"C {engine} {workload} failed:\n{p.stderr}\n")
            return None
        return json.loads(p.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
def fmt_b(x):
    return "" if x is None else f"{x:.0f}"


def fmt_s(x):
    return "" if x is None else (f"{x:.3f} s" if x < 10 else f"{x:.1f} s")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="Workloads: " + ", ".join(WORKLOADS))
    ap.add_argument("--rows", type=int, default=50_000, help="rows per table (default 50,000; the issue's run: 1000000)")
    ap.add_argument("--commits", type=int, default=None, help="durable commits per commitN workload (default rows/50)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs per figure (median)")
    ap.add_argument("--only", default=None, help="comma-separated workloads")
    ap.add_argument("--engines", default=",".join(ENGINES), help="comma-separated engines (esepy always runs)")
    ap.add_argument("--dir", default=None, help="folder for the files (default: a temporary folder)")
    ap.add_argument("--markdown", default=None, help="write the tables as Markdown to this file")
    ap.add_argument("--json", default=None, help="write every figure as JSON to this file")
    ap.add_argument("--no-c", action="store_true", help="skip the C API column")
    ap.add_argument("--cache-mb", type=int, default=None,
                    help="page cache of esepy and SQLite in MB (default: each engine's own)")
    ap.add_argument("--lookups", type=int, default=None,
                    help="readrandom's point lookups (default --rows; e.g. 1000000 for a 10M-row table)")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.cache_mb is not None:
        os.environ["ESEPY_BENCH_CACHE_MB"] = str(a.cache_mb)
    if a.lookups is not None:
        os.environ["ESEPY_BENCH_LOOKUPS"] = str(a.lookups)
    if a.child:
        engine, workload, folder, rows, commits = a.child
        res = run_one(engine, workload, folder, int(rows), int(commits))
        res["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(res))
        return 0
    workloads = WORKLOADS if a.only is None else tuple(w.strip() for w in a.only.split(",") if w.strip())
    bad = [w for w in workloads if w not in WORKLOADS]
    if bad:
        ap.error(f"unknown workload {bad[0]!r} (known: {', '.join(WORKLOADS)})")
    wanted = ["esepy"] + [e for e in a.engines.split(",") if e in ENGINES and e != "esepy"]
    engines = [e for e in wanted if installed(e)]
    missing = [e for e in wanted if e not in engines]
    if "esepy" not in engines:
        print("esepy is not installed", file=sys.stderr)
        return 2
    commits = a.commits if a.commits is not None else max(8, a.rows // 50)
    base = tempfile.mkdtemp(prefix="esepy-bench-run-", dir=a.dir)
    results = {}   # (workload, engine) -> list of result dicts
    rss = {}
    try:
        nsync = max(20, min(1000, commits))
        c_work = [w for w in workloads if w in C_WORKLOADS]
        exe = build_c(base) if c_work and not a.no_c else None
        rates = [fdatasync_rate(base, nsync)]
        for rep in range(a.repeat):
            for w in workloads:
                order = engines if rep % 2 == 0 else engines[::-1]
                for eng in order:
                    if w == "restore" and eng not in RESTORE_ENGINES:
                        continue
                    r, m = child(eng, w, base, a.rows, commits)
                    if r is not None:
                        results.setdefault((w, eng), []).append(r)
                        rss.setdefault((w, eng), []).append(m)
                if exe is not None and w in C_WORKLOADS:
                    for eng in (C_ENGINES if rep % 2 == 0 else C_ENGINES[::-1]):
                        r = child_c(exe, eng, w, base, a.rows)
                        if r is not None:
                            results.setdefault((w, "c-" + eng), []).append(r)
            rates.append(fdatasync_rate(base, nsync))  # the device changes under load: once per round
    finally:
        shutil.rmtree(base, ignore_errors=True)

    def med(w, eng, field="s"):
        rs = [r[field] for r in results.get((w, eng), []) if field in r]
        return statistics.median(rs) if rs else None

    peers = [e for e in engines if e != "esepy"]
    rate = statistics.median(rates)
    sync_txt = (f"fdatasync: {rate:.0f}/s median ({1000 / rate:.2f} ms), {min(rates):.0f}-{max(rates):.0f}/s "
                f"over {len(rates)} probes")
    lines = []
    lines.append(f"rows={a.rows} commits={commits} repeat={a.repeat} (medians); {sync_txt}"
                 + (f"; cache {a.cache_mb} MB" if a.cache_mb else "")
                 + (f"; readrandom lookups {a.lookups}" if a.lookups else ""))
    if missing:
        lines.append("not installed (skipped): " + ", ".join(missing) + "  -- pip install -e '.[bench]'")
    hdr = ["workload"] + engines + ["cp"] + [f"esepy/{p}" for p in peers] + ["esepy/cp"]
    table = []
    for w in workloads:
        row = [w]
        e = med(w, "esepy")
        for eng in engines:
            row.append(fmt_s(med(w, eng)))
        cp = med(w, "esepy", "cp")
        row.append(fmt_s(cp))
        for p in peers:
            q = med(w, p)
            row.append(f"{e / q:.2f}" if e and q else "")
        row.append(f"{e / cp:.2f}" if e and cp else "")
        table.append(row)
    def rss_cell(w, eng):
        if not rss.get((w, eng)):
            return ""
        h = med(w, eng, "harness_mb")
        return f"{max(rss[(w, eng)]):.0f}" + ("" if h is None else f" ({h:.0f})")
    rss_tab = [[w] + [rss_cell(w, eng) for eng in engines] for w in workloads]
    cpu_w = [w for w in workloads if any(med(w, eng, "cpu") is not None for eng in engines)]
    if cpu_w:   # a loaded machine stretches wall time; the process's CPU time of the same part
        hdr = hdr + [f"{eng} CPU" for eng in engines]
        for row, w in zip(table, workloads):
            row += [fmt_s(med(w, eng, "cpu")) for eng in engines]
    widths = [max(len(str(r[i])) for r in [hdr] + table) for i in range(len(hdr))]
    lines.append("  ".join(h.rjust(widths[i]) if i else h.ljust(widths[i]) for i, h in enumerate(hdr)))
    for r in table:
        lines.append("  ".join(c.rjust(widths[i]) if i else c.ljust(widths[i]) for i, c in enumerate(r)))
    lines.append("")
    lines.append("peak RSS (MB, the process that ran the workload, setup included; in brackets its RSS "
                 "before the engine opened: interpreter and the workload's keys)")
    rh = ["workload"] + engines
    rw = [max(len(str(r[i])) for r in [rh] + rss_tab) for i in range(len(rh))]
    lines.append("  ".join(h.rjust(rw[i]) if i else h.ljust(rw[i]) for i, h in enumerate(rh)))
    for r in rss_tab:
        lines.append("  ".join(c.rjust(rw[i]) if i else c.ljust(rw[i]) for i, c in enumerate(r)))
    c_tab = []
    for w in workloads:
        if w not in C_WORKLOADS or not results.get((w, "c-esepy")):
            continue
        e, q = med(w, "c-esepy"), med(w, "c-sqlite")
        ec, qc = med(w, "c-esepy", "cpu"), med(w, "c-sqlite", "cpu")   # value100k reports its CPU time
        c_tab.append([w, fmt_s(e), fmt_s(q), f"{e / q:.2f}" if e and q else "",
                      fmt_s(ec) if ec is not None else "", fmt_s(qc) if qc is not None else "",
                      f"{ec / qc:.2f}" if ec and qc else ""])
    if "value100k" in workloads:
        parts = []
        for label, e_, q_ in (("Python", "esepy", "sqlite"), ("C API", "c-esepy", "c-sqlite")):
            e, q = med("value100k", e_, "read"), med("value100k", q_, "read")
            if e and q:
                parts.append(f"{label} esepy {e:.3f} s, sqlite {q:.3f} s, esepy/sqlite {e / q:.2f}")
        if parts:
            lines.append("")
            lines.append("value100k, the read-back alone: " + "; ".join(parts))
    c_hdr = ["C API", "esepy", "sqlite", "esepy/sqlite", "esepy CPU", "sqlite CPU", "CPU esepy/sqlite"]
    if c_tab:
        lines.append("")
        lines.append("C API (benchmarks/run_c.c: ESENT API vs SQLite's C API, no binding cost)")
        cw = [max(len(str(r[i])) for r in [c_hdr] + c_tab) for i in range(len(c_hdr))]
        lines.append("  ".join(h.rjust(cw[i]) if i else h.ljust(cw[i]) for i, h in enumerate(c_hdr)))
        for r in c_tab:
            lines.append("  ".join(c.rjust(cw[i]) if i else c.ljust(cw[i]) for i, c in enumerate(r)))
    # space: bytes per row of the files a fill left (after close), esepy's log, and all
    # bytes written (the process's write calls, timed part and close)
    space_w = [w for w in workloads if any(med(w, eng, "file_b") is not None for eng in engines)]
    sh = (["workload"] + [f"{eng} file" for eng in engines] + ["esepy log"] + [f"{eng} written" for eng in engines]
          + [f"file esepy/{p}" for p in peers])
    space_tab = []
    for w in space_w:
        fe = med(w, "esepy", "file_b")
        space_tab.append([w] + [fmt_b(med(w, eng, "file_b")) for eng in engines] + [fmt_b(med(w, "esepy", "log_b"))]
                         + [fmt_b(med(w, eng, "written_b")) for eng in engines]
                         + [(f"{fe / med(w, p, 'file_b'):.2f}" if fe and med(w, p, "file_b") else "") for p in peers])
    if space_tab:
        lines.append("")
        lines.append("bytes per row: database files after the fill (closed), esepy's log, all bytes written")
        sw = [max(len(str(r[i])) for r in [sh] + space_tab) for i in range(len(sh))]
        lines.append("  ".join(h.rjust(sw[i]) if i else h.ljust(sw[i]) for i, h in enumerate(sh)))
        for r in space_tab:
            lines.append("  ".join(c.rjust(sw[i]) if i else c.ljust(sw[i]) for i, c in enumerate(r)))
    print("\n".join(lines))
    if a.markdown:
        md = [f"rows={a.rows}, commits={commits}, medians of {a.repeat} interleaved runs; {sync_txt}", "",
              "| " + " | ".join(hdr) + " |", "|" + "---|" + "---:|" * (len(hdr) - 1)]
        md += ["| " + " | ".join(r) + " |" for r in table]
        md += ["", "| peak RSS, MB | " + " | ".join(engines) + " |", "|---|" + "---:|" * len(engines)]
        md += ["| " + " | ".join(r) + " |" for r in rss_tab]
        if c_tab:
            md += ["", "| " + " | ".join(c_hdr) + " |", "|---|---:|---:|---:|"]
            md += ["| " + " | ".join(r) + " |" for r in c_tab]
        if space_tab:
            md += ["", "| bytes per row | " + " | ".join(sh[1:]) + " |", "|---|" + "---:|" * (len(sh) - 1)]
            md += ["| " + " | ".join(r) + " |" for r in space_tab]
        with open(a.markdown, "w") as f:
            f.write("\n".join(md) + "\n")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rows": a.rows, "commits": commits, "repeat": a.repeat, "cache_mb": a.cache_mb,
                       "lookups": a.lookups or a.rows, "fdatasync_per_s": rate,
                       "fdatasync_probes": rates,
                       "engines": engines, "missing": missing, "workloads": list(workloads),
                       "figures": {f"{w}/{eng}": {"s": med(w, eng), "cp": med(w, eng, "cp"),
                                                  "cpu_s": med(w, eng, "cpu"),
                                                  "file_bytes_per_row": med(w, eng, "file_b"),
                                                  "log_bytes_per_row": med(w, eng, "log_b"),
                                                  "written_bytes_per_row": med(w, eng, "written_b"),
                                                  "rss_mb": max(rss[(w, eng)]) if rss.get((w, eng)) else None,
                                                  "harness_rss_mb": med(w, eng, "harness_mb")}
                                   for (w, eng) in results if not eng.startswith("c-")},
                       "c_figures": {f"{w}/{eng[2:]}": {"s": med(w, eng), "read": med(w, eng, "read")}
                                     for (w, eng) in results if eng.startswith("c-")}}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
