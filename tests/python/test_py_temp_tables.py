"""Temporary tables through the Python API: Session.temp_table sorts by its key
(ascending, descending, text, several columns), keeps / drops / refuses
duplicates, keeps insertion order without a key, seeks and ranges on the key,
holds long values, rolls back with transactions, and disappears when closed;
the temporary database file is removed at term."""
from __future__ import annotations

import os
import random

import pytest

import esepy
from esepy import errors


@pytest.fixture
def session(tmp_path):
    with esepy.Instance("pytemp", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/",
                        temp_path=f"{tmp_path}/", log_file_size_kb=256) as inst, inst.begin_session() as s:
        yield s


def test_sorts_by_key_and_keeps_duplicates(session):
    rnd = random.Random(1)
    rows = [(rnd.randrange(50), rnd.choice(["pear", "Apple", "fig", "kiwi"]), i) for i in range(500)]
    with session.temp_table({"n": "long", "fruit": "text", "seq": "long"}, key=["-n", "fruit"]) as t:
        assert isinstance(t, esepy.TempTable)
        assert t.key == ["-n", "fruit"]
        for n, f, i in rows:
            t.insert({"n": n, "fruit": f, "seq": i})
        assert len(t) == 500
        got = [(r["n"], r["fruit"], r["seq"]) for r in t]
        assert got == sorted(rows, key=lambda r: (-r[0], r[1].lower(), r[2]))


def test_unique_drops_or_refuses_duplicates(session):
    with session.temp_table({"k": "text", "v": "long"}, key=["k"], unique=True) as t:
        for k, v in (("b", 1), ("a", 2), ("B", 3), ("a", 4)):
            t.insert({"k": k, "v": v})
        assert [(r["k"], r["v"]) for r in t] == [("a", 2), ("b", 1)]
    with session.temp_table({"k": "long"}, key=["k"], unique=True, error_on_duplicate=True) as t:
        t.insert({"k": 1})
        with pytest.raises(errors.KeyDuplicate):
            t.insert({"k": 1})
        assert [r["k"] for r in t] == [1]


def test_insertion_order_without_key(session):
    vals = [random.Random(2).random() for _ in range(200)]
    with session.temp_table([esepy.ColumnDef("x", "double")]) as t:
        for v in vals:
            t.insert({"x": v})
        assert [r["x"] for r in t] == vals
        assert t.key == []


def test_seek_range_count_and_updates(session):
    with session.temp_table({"k": "long", "name": "text"}, key=["k"]) as t:
        for k in range(0, 100, 3):
            t.insert({"k": k, "name": f"n{k}"})
        assert t.get(30) == {"k": 30, "name": "n30"}
        assert t.get(31) is None
        assert t.seek(31, how=esepy._isam.SEEK_GE)["k"] == 33
        assert t.seek(31, how=esepy._isam.SEEK_LE)["k"] == 30
        assert [r["k"] for r in t.range(10, 25)] == [12, 15, 18, 21, 24]
        assert [r["k"] for r in t.range(10, 25, reverse=True)] == [24, 21, 18, 15, 12]
        assert t.count() == 34 and t.count(prefix=42) == 1
        t.update(42, {"name": "changed"})
        assert t.get(42)["name"] == "changed"
        t.delete(42)
        assert t.get(42) is None and t.count() == 33
        assert t.seek(60) is not None
        bm = t.bookmark()
        assert t.goto(bm)["k"] == 60
        with pytest.raises(errors.IndexNotFound):
            list(t.range(index="other"))
        with pytest.raises(errors.IllegalOperation):
            t.add_column("more", "long")


def test_case_sensitive_and_nulls_high(session):
    with session.temp_table({"w": "text"}, key=["w"], case_sensitive=True) as t:
        for w in ("b", "B", "a", "A"):
            t.insert({"w": w})
        assert [r["w"] for r in t] == ["A", "B", "a", "b"]
    with session.temp_table({"n": "long"}, key=["n"], sort_nulls_high=True) as t:
        for n in (2, None, 1):
            t.insert({"n": n})
        assert [r["n"] for r in t] == [1, 2, None]


def test_long_values(session):
    blob = os.urandom(300_000)
    with session.temp_table({"k": "long", "data": "longbinary", "text": "longtext"}, key=["k"]) as t:
        t.insert({"k": 2, "data": blob, "text": "x" * 100_000})
        t.insert({"k": 1, "data": b"small", "text": None})
        recs = list(t)
        assert [r["k"] for r in recs] == [1, 2]
        assert recs[1]["data"] == blob and recs[1]["text"] == "x" * 100_000
        t.seek(2)
        with t.open_value("data") as f:
            f.seek(1000)
            assert f.read(10) == blob[1000:1010]


def test_transactions(session):
    t = session.temp_table({"k": "long"}, key=["k"])
    t.insert({"k": 1})
    with pytest.raises(RuntimeError):
        with session.transaction():
            t.insert({"k": 2})
            assert len(t) == 2
            raise RuntimeError("roll back")
    assert [r["k"] for r in t] == [1]
    session.begin_transaction()
    inner = session.temp_table({"k": "long"}, key=["k"])
    session.rollback()
    with pytest.raises(errors.InvalidTableId):
        inner.insert({"k": 1})  # the rollback closed it (as ESENT)
    inner.close()  # quietly: already gone
    t.close()
    t.close()  # idempotent


def test_file_lifecycle_and_limit(tmp_path):
    inst = esepy.Instance("pytemp2", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/",
                          temp_path=f"{tmp_path}/scratch.edb", max_temporary_tables=1)
    with inst, inst.begin_session() as s:
        with s.temp_table({"k": "long"}, key=["k"]) as t:
            t.insert({"k": 1})
            assert (tmp_path / "scratch.edb").exists()
            with pytest.raises(errors.TooManySorts):
                s.temp_table({"k": "long"})
        with s.temp_table({"k": "long"}) as t2:  # the slot is free again
            t2.insert({"k": 5})
    assert not (tmp_path / "scratch.edb").exists()


def test_bad_key_column(session):
    with pytest.raises(errors.ColumnNotFound):
        session.temp_table({"k": "long"}, key=["nope"])


def test_dup_and_key_reads_from_the_index(tmp_path):
    """A second cursor on a temporary table, and key columns read back from its index."""
    with esepy.Instance("ttdup", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True) as inst, \
            inst.begin_session() as s:
        with s.temp_table({"n": "long", "v": "text"}, key=["-n"]) as t:
            for i in (3, 1, 2):
                t.insert({"n": i, "v": "x%d" % i})
            assert [r["n"] for r in t.range(columns=["n"])] == [3, 2, 1]
            d = t.dup()
            assert d.current() == {"n": 3, "v": "x3"}  # on the first record, as ESENT
            assert [r["v"] for r in d] == ["x3", "x2", "x1"]
            d.close()
            assert len(t) == 3  # the table stays while a cursor is open
