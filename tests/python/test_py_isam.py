"""Databases, tables, records and transactions through the Python API."""
from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest

import esepy
from esepy import errors


def make_instance(tmp_path, name="isam", **params):
    return esepy.Instance(name, system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                          temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                          log_file_size_kb=256, **params)


ALL_TYPES = {
    "id": "long", "flag": "bit", "b": "ubyte", "s": "short", "us": "ushort", "ul": "ulong",
    "ll": "longlong", "ull": "ulonglong", "cur": "currency", "f": "float", "d": "double",
    "when": "datetime", "g": "guid", "name": "text", "blob": "binary",
}


def sample(i):
    return {
        "id": i, "flag": i % 2 == 0, "b": i % 256, "s": -i, "us": i % 65536, "ul": i * 7, "ll": -(i << 33),
        "ull": (1 << 63) + i, "cur": i * 10000, "f": 0.5, "d": i / 3, "when": dt.datetime(2024, 1, 1, 12, 0, i % 60),
        "g": uuid.UUID(int=i), "name": f"name-{i} é", "blob": bytes([i % 256]) * 3,
    }


def test_create_insert_retrieve_all_types(tmp_path):
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "a.edb"))
        t = db.create_table("things", ALL_TYPES, primary_key=["id"])
        with s.transaction():
            for i in range(50):
                t.insert(sample(i))
        got = list(t)
        assert [r["id"] for r in got] == list(range(50))
        for r in got:
            want = sample(r["id"])
            assert r["when"] == want["when"]
            assert r == want
        assert db.tables == ["things"]


def test_seek_update_delete(tmp_path):
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "a.edb"))
        t = db.create_table("kv", {"k": "long", "v": "text"}, primary_key=["k"])
        for k in range(0, 100, 10):
            t.insert({"k": k, "v": str(k)})
        assert t.get(30) == {"k": 30, "v": "30"}
        assert t.get(31) is None
        assert t.seek(31, how=esepy._isam.SEEK_GE)["k"] == 40
        assert t.seek(31, how=esepy._isam.SEEK_LE)["k"] == 30
        t.update(30, {"v": "thirty"})
        assert t.get(30)["v"] == "thirty"
        t.delete(40)
        assert t.get(40) is None
        assert [r["k"] for r in t] == [0, 10, 20, 30, 50, 60, 70, 80, 90]
        with pytest.raises(errors.RecordNotFound):
            t.delete(40)
        with pytest.raises(errors.KeyDuplicate):
            t.insert({"k": 30, "v": "again"})
        with pytest.raises(errors.RecordPrimaryChanged):
            t.update(30, {"k": 31})


def test_sequential_keys_without_primary_index(tmp_path):
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "a.edb"))
        t = db.create_table("log", {"msg": "text"})
        for i in range(20):
            t.insert({"msg": f"m{i}"})
        assert [r["msg"] for r in t] == [f"m{i}" for i in range(20)]
        assert t.primary_key == []


def test_rollback_discards_and_commit_keeps(tmp_path):
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "a.edb"))
        t = db.create_table("kv", {"k": "long", "v": "long"}, primary_key=["k"])
        with pytest.raises(ZeroDivisionError):
            with s.transaction():
                t.insert({"k": 1, "v": 1})
                1 / 0
        assert t.get(1) is None
        with s.transaction():
            t.insert({"k": 2, "v": 2})
        assert t.get(2) == {"k": 2, "v": 2}
        # nested: the inner rollback only undoes the inner level
        s.begin_transaction()
        t.insert({"k": 3, "v": 3})
        s.begin_transaction()
        t.insert({"k": 4, "v": 4})
        t.update(2, {"v": 20})
        s.rollback()
        s.commit()
        assert [r["k"] for r in t] == [2, 3]
        assert t.get(2)["v"] == 2
        with pytest.raises(errors.NotInTransaction):
            s.commit()


def test_durable_across_restart_and_catalog(tmp_path):
    path = str(tmp_path / "a.edb")
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(path)
        t = db.create_table("kv", {"k": "long", "v": "text", "n": {"type": "long", "default": 7}},
                            primary_key=["-k"])
        with s.transaction():
            for k in range(300):
                t.insert({"k": k, "v": "x" * (k % 50)})
        t.close()
        db.close()
    info = esepy._esepy  # noqa: F841  (module stays importable)
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.attach_database(path)
        assert db.tables == ["kv"]
        t = db.open_table("kv")
        assert t.primary_key == ["k"]
        rows = list(t)
        assert [r["k"] for r in rows] == list(range(299, -1, -1))  # descending key
        assert rows[0]["n"] == 7  # default value
        assert rows[-1]["v"] == ""  or rows[-1]["v"] is None


def test_errors(tmp_path):
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "a.edb"))
        with pytest.raises(errors.DatabaseDuplicate):
            s.create_database(str(tmp_path / "a.edb"))
        db.create_table("t", {"k": "long"}, primary_key=["k"])
        with pytest.raises(errors.TableDuplicate):
            db.create_table("T")  # names are case-insensitive
        with pytest.raises(errors.ObjectNotFound):
            db.open_table("missing")
        t = db.open_table("t")
        with pytest.raises(errors.ColumnNotFound):
            t.insert({"nope": 1})
        with pytest.raises(errors.ColumnDuplicate):
            t.add_column("K", "long")
        t.insert({"k": 1})
        with pytest.raises(errors.IndexHasPrimary):
            t.create_primary_index(["k"])
        u = db.create_table("u", {"k": "long"})
        u.insert({"k": 1})
        with pytest.raises(errors.TableNotEmpty):
            u.create_primary_index(["k"])
        with pytest.raises(errors.DatabaseNotFound):
            s.open_database(str(tmp_path / "b.edb"))
        with pytest.raises(errors.InvalidName):
            db.create_table("bad.name")


def test_snapshot_isolation_and_write_conflict(tmp_path):
    with make_instance(tmp_path) as inst:
        s1 = inst.begin_session()
        s2 = inst.begin_session()
        path = str(tmp_path / "a.edb")
        db1 = s1.create_database(path)
        t1 = db1.create_table("kv", {"k": "long", "v": "long"}, primary_key=["k"])
        t1.insert({"k": 1, "v": 1})
        db2 = s2.open_database(path)
        t2 = db2.open_table("kv")
        s1.begin_transaction()
        assert t1.get(1)["v"] == 1
        with s2.transaction():
            t2.update(1, {"v": 2})
            t2.insert({"k": 2, "v": 2})
        # s1's snapshot predates s2's commit
        assert t1.get(1)["v"] == 1
        assert t1.get(2) is None
        with pytest.raises(errors.WriteConflict):
            t1.update(1, {"v": 3})
        s1.rollback()
        assert t1.get(1)["v"] == 2 and t1.get(2)["v"] == 2
        # an uncommitted change blocks other writers
        s2.begin_transaction()
        t2.update(2, {"v": 22})
        with pytest.raises(errors.WriteConflict):
            t1.update(2, {"v": 33})
        assert t1.get(2)["v"] == 2  # the uncommitted value is invisible
        s2.rollback()
        t1.update(2, {"v": 33})
        assert t2.get(2)["v"] == 33
        s1.end()
        s2.end()


def test_version_store_limit(tmp_path):
    with make_instance(tmp_path, max_ver_pages=1) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "a.edb"))
        t = db.create_table("kv", {"k": "long", "v": "binary"}, primary_key=["k"])
        s.begin_transaction()
        with pytest.raises(errors.VersionStoreOutOfMemory):
            for k in range(100000):
                t.insert({"k": k, "v": b"x" * 200})
        s.rollback()
        assert len(t) == 0


def test_concurrent_sessions_insert(tmp_path):
    with make_instance(tmp_path) as inst:
        path = str(tmp_path / "a.edb")
        with inst.begin_session() as s:
            s.create_database(path).create_table("kv", {"k": "long", "w": "long"}, primary_key=["k"])
        failures = []

        def worker(w):
            try:
                with inst.begin_session() as s:
                    t = s.open_database(path).open_table("kv")
                    for i in range(200):
                        with s.transaction(lazy=True):
                            t.insert({"k": w * 1000 + i, "w": w})
            except Exception as e:  # pragma: no cover - reported below
                failures.append(e)

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert failures == []
        with inst.begin_session() as s:
            t = s.open_database(path).open_table("kv")
            assert len(t) == 800


def test_dirty_term_then_recovery(tmp_path):
    path = str(tmp_path / "a.edb")
    inst = make_instance(tmp_path)
    inst.init()
    s = inst.begin_session()
    db = s.create_database(path)
    t = db.create_table("kv", {"k": "long"}, primary_key=["k"])
    with s.transaction():
        t.insert({"k": 1})
    s.begin_transaction()
    t.insert({"k": 2})  # never committed
    with pytest.raises(errors.DirtyShutdown):
        inst.term(esepy.TERM_DIRTY)
    hdr = esepy._esepy  # the header says dirty: attaching without recovery is refused
    import ctypes  # noqa: F401
    with make_instance(tmp_path) as inst2, inst2.begin_session() as s2:  # JetInit recovers
        db2 = s2.attach_database(path)
        t2 = db2.open_table("kv")
        assert [r["k"] for r in t2] == [1]
    del hdr


def test_table_is_the_extensions_table_type(tmp_path):
    """esepy.Table derives from the C Table type: calls go through the cursor it holds,
    and a closed cursor or an ended session is refused with the engine's error."""
    from esepy import _esepy
    with make_instance(tmp_path) as inst:
        s = inst.begin_session()
        db = s.create_database(str(tmp_path / "t.edb"))
        t = db.create_table("t", {"id": "long"}, primary_key=["id"])
        assert isinstance(t, _esepy.Table)
        t.insert({"id": 7})
        assert t._move(-0x80000000) is True  # JET_MoveFirst through the C type
        other = t.dup()
        assert isinstance(other, _esepy.Table) and other.tableid != t.tableid
        t.close()
        assert t.tableid is None
        with pytest.raises(errors.InvalidTableId):
            t._move(1)
        assert other.get(7) == {"id": 7}
        s.end()
        with pytest.raises(errors.InvalidSesid):
            other._move(1)


def test_scan_steps_correctly_while_another_session_splits_and_merges_its_leaf(tmp_path):
    """JetMove steps from the cursor's leaf (issue 20) instead of seeking from
    the root: between two moves another session splits, merges and empties
    that leaf; every move must still land on the first committed key after
    the current one."""
    import random
    rnd = random.Random(20)
    path = str(tmp_path / "a.edb")
    with make_instance(tmp_path) as inst, inst.begin_session() as s1, inst.begin_session() as s2:
        db = s1.create_database(path)
        t1 = db.create_table("kv", {"k": "long", "v": "binary"}, primary_key=["k"])
        live = set(range(0, 40000, 10))
        with s1.transaction():
            for k in sorted(live):
                t1.insert({"k": k, "v": b"x" * 150})
        t2 = s2.open_database(path).open_table("kv")
        expect, moves = min(live), 0
        for row in t1:
            k = row["k"]
            assert k == expect   # the first committed key after the previous one
            moves += 1
            op = rnd.randrange(4)
            with s2.transaction():
                if op == 0:   # split the leaf: many rows right after k
                    for j in range(k + 1, k + 1 + rnd.randrange(1, 9)):
                        if j not in live and j % 10:
                            t2.insert({"k": j, "v": b"y" * 150})
                            live.add(j)
                elif op == 1:   # empty the neighbourhood after k: merges
                    for j in sorted(x for x in live if k < x <= k + 400)[:rnd.randrange(1, 40)]:
                        t2.delete(j)
                        live.discard(j)
                elif op == 2:   # delete k itself under the cursor
                    t2.delete(k)
                    live.discard(k)
            expect = min((x for x in live if x > k), default=None)
        assert expect is None and moves > 500


def test_read_only_table_refuses_changes(tmp_path):
    """Database.open_table(read_only=True) (JET_bitTableReadOnly) reads; inserts, updates,
    deletes and index DDL through it raise PermissionDenied (as ESENT), the data unchanged."""
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "ro.edb"))
        with db.create_table("t", {"id": "long", "v": "text"}, primary_key=["id"]) as t:
            t.insert({"id": 1, "v": "one"})
        with db.open_table("t", read_only=True) as ro:
            assert ro.get(1) == {"id": 1, "v": "one"}
            with pytest.raises(errors.PermissionDenied):
                ro.insert({"id": 2, "v": "two"})
            with pytest.raises(errors.PermissionDenied):
                ro.update(1, {"v": "uno"})
            with pytest.raises(errors.PermissionDenied):
                ro.delete(1)
            with pytest.raises(errors.PermissionDenied):
                ro.create_index("by_v", ["v"])
            with ro.dup() as d, pytest.raises(errors.PermissionDenied):
                d.insert({"id": 3, "v": "three"})
        with db.open_table("t") as t:
            assert list(t) == [{"id": 1, "v": "one"}]
            t.insert({"id": 2, "v": "two"})
            assert len(t) == 2
