"""Reading records through the Python API: one engine visit per record
(JetRetrieveColumns), column subsets, reads from index keys, long and
multi-valued values past the first buffer, and duplicated cursors."""
from __future__ import annotations

import random

import pytest

import esepy
from esepy import errors


@pytest.fixture
def tab(tmp_path):
    with esepy.Instance("pyret", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                        log_file_size_kb=256) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "r.edb"))
        t = db.create_table("r", {"id": "long", "score": "double", "name": "text", "blob": "longbinary",
                                  "tags": {"type": "longtext", "multi_valued": True}, "n": "longlong"},
                            primary_key=["id"])
        yield s, t
        t.close()


def fill(t, n=200, seed=3):
    rnd = random.Random(seed)
    want = {}
    for i in range(n):
        rec = {"id": i, "score": rnd.choice([None, rnd.uniform(-1e9, 1e9), -0.0, 0.0]),
               "name": rnd.choice([None, "Name%d" % rnd.randrange(50), "x" * rnd.randrange(1, 120)]),
               "blob": rnd.choice([None, b"", bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 3000)))]),
               "tags": ["t%d" % rnd.randrange(9) + "y" * rnd.randrange(400) for _ in range(rnd.randrange(4))],
               "n": rnd.choice([None, rnd.randrange(-2**63, 2**63)])}
        t.insert(rec)
        want[i] = rec
    return want


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return str(a) == str(b)  # keeps -0.0 apart from 0.0
    return a == b


def test_whole_records_and_subsets(tab):
    s, t = tab
    want = fill(t)
    got = list(t)
    assert len(got) == len(want)
    for rec in got:
        w = want[rec["id"]]
        assert set(rec) == set(w)
        for k in w:
            assert same(rec[k], w[k]), (rec["id"], k)
    sub = list(t.range(10, 20, columns=["tags", "id"]))
    assert [list(r) for r in sub] == [["tags", "id"]] * 10
    assert [r["tags"] for r in sub] == [want[i]["tags"] for i in range(10, 20)]
    assert t.get(7) == t.seek(7)
    with pytest.raises(errors.ColumnNotFound):
        next(t.range(columns=["nope"]))


def test_ranges_read_from_the_index_agree_with_the_records(tab):
    s, t = tab
    want = fill(t, 300, seed=9)
    t.create_index("by_score", ["-score", "n"])
    t.create_index("by_name", ["name"])
    # key columns only (index + primary bookmark): no record visits, same values
    got = list(t.range(index="by_score", columns=["score", "n", "id"]))
    assert len(got) == 300
    for r in got:
        w = want[r["id"]]
        assert same(r["score"], w["score"]) and r["n"] == w["n"]
    # order: NULL first then descending (nulls are low before inversion)
    scores = [r["score"] for r in got if r["score"] is not None]
    assert scores == sorted(scores, key=lambda v: -v)
    # text keys are folded, so text comes from the record: exact case and length
    for r in t.range(index="by_name", columns=["name", "id"]):
        assert r["name"] == want[r["id"]]["name"]


def test_dup_cursor(tab):
    s, t = tab
    fill(t, 20)
    t.create_index("by_n", ["n"])
    assert t.seek(5)["id"] == 5
    with t.dup() as d:
        assert d.name == t.name and d.tableid != t.tableid
        assert d.current()["id"] == 0  # as ESENT: the new cursor is on the first record (deferred move)
        assert d.seek(9)["id"] == 9
        assert t.current()["id"] == 5  # positions are independent
        d.delete_current()
        assert t.get(9) is None
        assert [r["id"] for r in d.range(0, 3)] == [0, 1, 2]
    assert d.tableid is None
    assert len(t) == 19


def test_dup_cursor_is_on_the_primary_index(tab):
    """As ESENT: the duplicate is on the clustered index and its first record, even when the
    table's cursor is on a secondary index; the source keeps its index and position."""
    s, t = tab
    for i in range(5):
        t.insert({"id": i, "n": -i})
    t.create_index("by_neg", ["n"])
    t._use_index("by_neg")
    assert t._move(-0x80000000) is True
    first = t.current()["id"]
    assert first == 4  # by_neg: the largest id first
    with t.dup() as d:
        assert "index='primary'" in repr(d)
        assert d.current()["id"] == 0
        assert [r["id"] for r in d] == [0, 1, 2, 3, 4]
    assert "index='by_neg'" in repr(t) and t.current()["id"] == first


def test_read_and_write_locks(tmp_path):
    with esepy.Instance("pylock", system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                        temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                        log_file_size_kb=256) as inst, inst.begin_session() as s1, inst.begin_session() as s2:
        db1 = s1.create_database(str(tmp_path / "l.edb"))
        t1 = db1.create_table("l", {"id": "long", "v": "long"}, primary_key=["id"])
        for i in range(3):
            t1.insert({"id": i, "v": 0})
        t2 = s2.open_database(str(tmp_path / "l.edb")).open_table("l")
        with pytest.raises(errors.NotInTransaction):
            t1.seek(1) and t1.lock()
        s1.begin_transaction()
        t1.seek(1)
        t1.lock()
        s2.begin_transaction()
        with pytest.raises(errors.WriteConflict):
            t2.update(1, {"v": 5})
        t2.update(2, {"v": 5})
        t2.seek(1)
        t2.lock()  # read locks share
        s2.rollback()
        s1.commit()
        t2.update(1, {"v": 7})  # released with the transaction
        s1.begin_transaction()
        t1.seek(0)
        t1.lock(write=True)
        with pytest.raises(errors.WriteConflict):
            with s2.transaction():
                t2.seek(0)
                t2.lock()
        s1.rollback()
        assert t1.get(1)["v"] == 7 and t1.get(2)["v"] == 0
        t1.close()
        t2.close()


def test_insert_in_one_visit_keeps_empty_values_apart_from_null(tab):
    s, t = tab
    t.insert({"id": 1, "tags": ["", "x", ""], "name": "", "blob": b""})
    t.insert({"id": 2, "tags": [], "name": None})
    assert t.get(1)["tags"] == ["", "x", ""] and t.get(1)["name"] == "" and t.get(1)["blob"] == b""
    assert t.get(2)["tags"] == [] and t.get(2)["name"] is None and t.get(2)["blob"] is None
    with pytest.raises(errors.KeyDuplicate):
        t.insert({"id": 1})
    t.insert({"id": 3})  # the failed insert left no update prepared
    assert len(t) == 3


def test_scan_reads_what_iteration_reads(tab):
    """Table.scan (records read in batches in C, on a second cursor) gives
    the records iteration gives, for every batch size, column subset and
    index, and leaves the table's own cursor where it was."""
    s, t = tab
    assert list(t.scan()) == []  # an empty table
    want = fill(t, n=150)
    iterated = list(t)
    for batch in (1, 3, 7, 256, 1000):
        got = list(t.scan(batch=batch))
        assert len(got) == len(iterated)
        for a, b in zip(got, iterated):
            assert list(a) == list(b)
            for k in a:
                assert same(a[k], b[k]), (a["id"], k, batch)
    assert [r for r in t.scan(["tags", "id"], batch=4)] == [{"tags": r["tags"], "id": r["id"]} for r in iterated]
    assert [r["blob"] for r in t.scan(["blob"])] == [want[i]["blob"] for i in range(150)]  # past the 256-byte slot
    t.create_index("by_n", ["n", "id"])
    by_n = [r["id"] for r in t.range(index="by_n", columns=["id"])]
    assert [r["id"] for r in t.scan(["id"], index="by_n", batch=5)] == by_n
    assert [r["id"] for r in t.scan(["id"], start=140, batch=4)] == list(range(140, 150))
    assert [r["id"] for r in t.scan(["id"], start=150)] == []
    assert [r["id"] for r in t.scan(["id"], start=(-5,))][:2] == [0, 1]
    assert t.seek(42)["id"] == 42
    assert sum(1 for _ in t.scan()) == 150
    assert t.current(["id"]) == {"id": 42}  # the table's cursor did not move


def test_scan_in_a_transaction_sees_its_snapshot(tab):
    s, t = tab
    fill(t, n=10)
    s.begin_transaction()
    t.insert({"id": 100, "name": "mine"})
    t.delete(3)
    ids = [r["id"] for r in t.scan(["id"], batch=2)]
    assert ids == [0, 1, 2, 4, 5, 6, 7, 8, 9, 100]
    s.rollback()
    assert [r["id"] for r in t.scan(["id"])] == list(range(10))
