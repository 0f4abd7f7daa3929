"""Table.insert_many: many records in one engine call per batch, all or none."""
from __future__ import annotations

import io

import pytest

import esepy
from esepy import errors

from test_py_isam import ALL_TYPES, make_instance, sample


@pytest.fixture
def db(tmp_path):
    with make_instance(tmp_path, "many") as inst, inst.begin_session() as s:
        yield s.create_database(str(tmp_path / "a.edb"))


def test_every_type_reads_back_as_insert_writes_it(db):
    a = db.create_table("a", ALL_TYPES, primary_key=["id"])
    b = db.create_table("b", ALL_TYPES, primary_key=["id"])
    rows = [sample(i) for i in range(120)]
    rows[5]["name"] = None       # an explicit NULL
    rows[6]["blob"] = b""        # zero-length, not NULL
    rows[7]["name"] = "x" * 120  # 240 bytes of UTF-16
    for r in rows:
        a.insert(r)
    assert b.insert_many(rows, batch=7) == 120
    assert list(b) == list(a)
    assert b.get(6)["blob"] == b"" and b.get(5)["name"] is None


def test_sequences_with_columns_and_mixed_key_sets(db):
    t = db.create_table("t", {"k": "long", "v": "text", "n": "long"}, primary_key=["k"])
    assert t.insert_many([(1, "one"), (2, "two")], columns=["k", "v"]) == 2
    assert t.insert_many([{"k": 3, "v": "three"}, {"k": 4, "n": 40}, {"v": "five", "k": 5}]) == 3
    assert list(t) == [{"k": 1, "v": "one", "n": None}, {"k": 2, "v": "two", "n": None},
                       {"k": 3, "v": "three", "n": None}, {"k": 4, "v": None, "n": 40},
                       {"k": 5, "v": "five", "n": None}]
    assert t.insert_many(iter([])) == 0
    with pytest.raises(ValueError):
        t.insert_many([(6,)], columns=["k", "v"])
    with pytest.raises(ValueError):
        t.insert_many([(6, "x")], columns=["k", "v"], batch=0)


def test_a_refused_row_leaves_the_table_as_it_was(db):
    t = db.create_table("t", {"k": "long", "v": "text"}, primary_key=["k"])
    t.insert({"k": 7, "v": "old"})
    rows = [{"k": k, "v": str(k)} for k in range(10)]   # k=7 is a duplicate
    with pytest.raises(errors.KeyDuplicate) as ei:
        t.insert_many(rows, batch=4)
    assert ei.value.row == 3   # 7 is the 4th row of the second batch
    assert list(t) == [{"k": 7, "v": "old"}]
    # inside the caller's transaction: only insert_many's own rows go
    with db.session.transaction():
        t.insert({"k": 100, "v": "kept"})
        with pytest.raises(errors.ColumnNotFound):
            t.insert_many([{"k": 1, "v": "a"}, {"k": 2, "nope": 1}])
        with pytest.raises(ValueError):   # a value the column cannot hold, raised by Column.encode
            t.insert_many([{"k": 1, "v": "a"}, {"k": 1 << 40, "v": "b"}])
    assert list(t) == [{"k": 7, "v": "old"}, {"k": 100, "v": "kept"}]


def test_rollback_of_the_callers_transaction_takes_the_rows_back(db):
    t = db.create_table("t", {"k": "long"}, primary_key=["k"])
    with pytest.raises(RuntimeError):
        with db.session.transaction():
            assert t.insert_many([(k,) for k in range(50)], columns=["k"]) == 50
            assert sum(1 for _ in t) == 50
            raise RuntimeError("stop")
    assert list(t) == []


def test_multi_valued_and_stream_rows_take_the_general_path(db):
    t = db.create_table("t", [esepy.ColumnDef("k", "long"), esepy.ColumnDef("tags", "text", multi_valued=True),
                              esepy.ColumnDef("big", "longbinary")], primary_key=["k"])
    n = t.insert_many([{"k": 1, "tags": ["a", "b"]}, {"k": 2, "big": io.BytesIO(b"z" * 70000)},
                       {"k": 3, "big": b"plain"}])
    assert n == 3
    assert t.get(1)["tags"] == ["a", "b"]
    assert t.get(2)["big"] == b"z" * 70000
    assert t.get(3)["big"] == b"plain"
