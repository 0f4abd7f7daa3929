"""Threads doing everything at once against one database -- records, escrow updates, read and
write locks, index creation and deletion, tables created, filled and deleted, commits and
rollbacks -- then a clean shutdown: every index agrees with its table, every escrow total is
exactly what committed, and the file's space is all accounted for (nothing leaked)."""
from __future__ import annotations

import os
import random
import threading
import time

import esepy
from esepy import errors
from esepy.inspection import DatabaseFile

SECONDS = float(os.environ.get("ESEPY_STRESS_SECONDS", "4"))
RETRYABLE = (errors.WriteConflict, errors.KeyDuplicate, errors.RecordNotFound, errors.TableInUse,
             errors.ObjectNotFound, errors.IndexNotFound, errors.IndexDuplicate, errors.TableDuplicate,
             errors.NoCurrentRecord)


def check_indexes(t, key="id"):
    recs = {r[key]: r for r in t}
    for name in t.indexes:
        got = [r[key] for r in t.range(index=name)]
        assert sorted(got) == sorted(recs), name


def test_everything_at_once(tmp_path):
    path = str(tmp_path / "s.edb")
    committed_total = [0]
    total_lock = threading.Lock()
    failures = []
    stop = threading.Event()
    with esepy.Instance("stress", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True, log_file_size_kb=512,
                        max_ver_pages=4096) as inst:
        with inst.begin_session() as s:
            db = s.create_database(path)
            t = db.create_table("main", [esepy.ColumnDef("id", "long"), esepy.ColumnDef("a", "long"),
                                         esepy.ColumnDef("b", "text"), esepy.ColumnDef("body", "longbinary"),
                                         esepy.ColumnDef("n", "long", escrow=True, default=0)],
                                primary_key=["id"])
            for i in range(200):
                t.insert({"id": i, "a": i % 7, "b": "b%d" % (i % 11)})
            t.close()
            db.close()

        def worker(seed):
            rnd = random.Random(seed)
            try:
                with inst.begin_session() as s:
                    db = s.open_database(path)
                    t = db.open_table("main")
                    mine = 0
                    while not stop.is_set():
                        op = rnd.random()
                        try:
                            s.begin_transaction()
                            delta = 0
                            for _ in range(rnd.randrange(1, 5)):
                                k = rnd.randrange(260)
                                if op < 0.35:
                                    r = t.get(k)
                                    if r is not None:  # its long value is whole, whatever rolls back
                                        assert set(r["body"] or b"") <= {k % 256}, k
                                    if r is None:
                                        t.insert({"id": k, "a": rnd.randrange(20), "b": "x%d" % rnd.randrange(9),
                                                  "body": bytes([k % 256]) * rnd.randrange(0, 6000)})
                                    else:
                                        t.update(k, {"a": rnd.randrange(20)})
                                elif op < 0.5:
                                    k = 200 + k % 60  # records 0..199 stay: their escrow totals are checked
                                    if t.get(k) is not None:
                                        t.delete(k)
                                elif op < 0.8:
                                    if t.seek(k % 200) is not None:
                                        d = rnd.randrange(-3, 6)
                                        t.escrow_update("n", d)
                                        delta += d
                                else:
                                    if t.seek(k) is not None:
                                        t.lock(write=rnd.random() < 0.3)
                            if rnd.random() < 0.3:
                                s.rollback()
                            else:
                                s.commit()
                                mine += delta
                        except RETRYABLE:
                            s.rollback()
                    with total_lock:
                        committed_total[0] += mine
                    t.close()
            except BaseException as e:  # reported by the main thread
                failures.append(e)

        def ddl(seed):
            rnd = random.Random(seed)
            try:
                with inst.begin_session() as s:
                    db = s.open_database(path)
                    t = db.open_table("main")
                    n = 0
                    while not stop.is_set():
                        n += 1
                        try:
                            r = rnd.random()
                            if r < 0.4:
                                t.create_index("i%d" % n, rnd.choice([["a"], ["-a", "b"], ["b", "-id"]]))
                            elif r < 0.6 and t.indexes:
                                t.delete_index(rnd.choice(sorted(t.indexes)))
                            else:
                                name = "side%d" % n
                                with s.transaction():
                                    side = db.create_table(name, {"k": "long", "v": "longbinary"},
                                                           primary_key=["k"])
                                    for i in range(rnd.randrange(1, 60)):
                                        side.insert({"k": i, "v": b"v" * rnd.randrange(1, 3000)})
                                    side.create_index("byv", ["v"])
                                    side.close()
                                    if rnd.random() < 0.4:
                                        raise RuntimeError("roll it back")
                                if rnd.random() < 0.7:
                                    db.delete_table(name)
                        except RuntimeError:
                            pass
                        except RETRYABLE:
                            pass  # the DDL calls roll their own transactions back
                        time.sleep(0.002)
                    t.close()
            except BaseException as e:
                failures.append(e)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
        threads.append(threading.Thread(target=ddl, args=(99,)))
        for th in threads:
            th.start()
        time.sleep(SECONDS)
        stop.set()
        for th in threads:
            th.join()
        assert not failures, failures
        with inst.begin_session() as s:
            db = s.open_database(path)
            t = db.open_table("main")
            check_indexes(t)
            assert sum(r["n"] for r in t if r["id"] < 200) == committed_total[0]
            for name in db.tables:
                if name.startswith("side"):
                    side = db.open_table(name)
                    check_indexes(side, "k")
                    side.close()
            t.close()
            db.close()
            s.detach_database(path)
    report = DatabaseFile(path).check_integrity()
    assert report.problems == [], report.problems[:5]
