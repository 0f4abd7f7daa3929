"""Readers racing rollbacks: snapshot isolation without exceptions (ver.c V4).

A reader copies a node, then looks its version chain up.  If another transaction's rollback
restores that node and takes its version away in between, the copy shows a change that never
committed.  These tests hammer exactly that window: one session changes committed rows (and
their long values) and rolls back, over and over; readers check that they always see the
committed value.  They run a fixed number of rollbacks, not for a time."""
from __future__ import annotations

import threading

import esepy

ROWS = 16
ROLLBACKS = 600
BODY = 5000  # several chunks of the long-value tree on 4 KiB pages


def body(k):
    return bytes([k]) * BODY + b"end%d" % k


def run_race(tmp_path, name, change, read, readers=2):
    failures = []
    done = threading.Event()
    path = str(tmp_path / "race.edb")
    with esepy.Instance(name, system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True) as inst:
        with inst.begin_session() as s:
            db = s.create_database(path)
            t = db.create_table("t", {"id": "long", "a": "long", "body": "longbinary"}, primary_key=["id"])
            with s.transaction():
                for k in range(ROWS):
                    t.insert({"id": k, "a": k * 10, "body": body(k)})
            t.close()
            db.close()

        def writer():
            try:
                with inst.begin_session() as s:
                    t = s.open_database(path).open_table("t")
                    for _ in range(ROLLBACKS):
                        s.begin_transaction()  # every row changed: many nodes rolled back at once
                        for k in range(ROWS):
                            change(t, k)
                        s.rollback()
                    t.close()
            except BaseException as e:  # reported by the main thread
                failures.append(e)
            finally:
                done.set()

        def reader(n):
            try:
                with inst.begin_session() as s:
                    t = s.open_database(path).open_table("t")
                    i = n
                    while not done.is_set() and not failures:
                        read(s, t, i % ROWS)
                        i += 1
                    t.close()
            except BaseException as e:
                failures.append(e)

        threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader, args=(n,))
                                                       for n in range(readers)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert not failures, failures[:3]


def check_row(r, k, with_body):
    assert r is not None, f"committed row {k} missing"
    assert r["a"] == k * 10, (k, r["a"])
    if with_body:
        assert r["body"] == body(k), (k, len(r["body"] or b""))


def read_seek(s, t, k):
    for j in range(ROWS):
        check_row(t.get(j), j, False)


def read_scan(s, t, k):
    got = {r["id"]: r for r in t}
    assert sorted(got) == list(range(ROWS)), sorted(got)
    for j in range(ROWS):
        check_row(got[j], j, False)


def read_body_in_transaction(s, t, k):
    with s.transaction():
        check_row(t.get(k), k, True)


def test_reader_never_sees_a_rolled_back_update(tmp_path):
    run_race(tmp_path, "race_upd", lambda t, k: t.update(k, {"a": -1}), read_seek)


def test_scan_never_sees_a_rolled_back_update(tmp_path):
    run_race(tmp_path, "race_upd_scan", lambda t, k: t.update(k, {"a": -1}), read_scan)


def test_reader_never_misses_a_row_whose_delete_rolls_back(tmp_path):
    run_race(tmp_path, "race_del", lambda t, k: t.delete(k), read_scan)


def test_reader_never_misses_a_long_value_whose_delete_rolls_back(tmp_path):
    # the symptom was a transient JET_errLVCorrupted: a chunk copied deleted
    run_race(tmp_path, "race_lvdel", lambda t, k: t.delete(k), read_body_in_transaction)


def test_reader_never_sees_a_rolled_back_long_value(tmp_path):
    run_race(tmp_path, "race_lvupd", lambda t, k: t.update(k, {"body": b"x" * (2 * BODY)}),
             read_body_in_transaction)
