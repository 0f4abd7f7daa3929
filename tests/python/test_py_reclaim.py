"""Space reclamation: the pages of deleted tables and indexes, and of tables and indexes
whose creation rolled back, go back to the free list once nobody can reach them -- and not
before (an open cursor or an older snapshot keeps them)."""
from __future__ import annotations

import os

import pytest

import esepy
from esepy import errors
from esepy.inspection import DatabaseFile


def make_instance(tmp_path, name):
    return esepy.Instance(name, system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                          temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True, log_file_size_kb=1024,
                          max_ver_pages=8192)  # an old snapshot below keeps every version


def fill(db, name, n=3000):
    t = db.create_table(name, {"id": "long", "a": "long", "body": "longbinary", "s": "text"}, primary_key=["id"])
    t.create_index("by_a", ["a", "-s"])
    s = db.session
    for b in range(0, n, 500):
        with s.transaction(lazy=True):
            for i in range(b, b + 500):
                t.insert({"id": i, "a": i % 97, "s": "v%d" % i, "body": bytes([i % 251]) * (200 + (i * 37) % 9000)})
    return t


def pages(path):
    return os.path.getsize(path)


def integrity(path):
    report = DatabaseFile(path).check_integrity()
    assert report.problems == [], report.problems[:5]
    return report


def test_deleted_tables_and_indexes_give_their_pages_back(tmp_path):
    path = str(tmp_path / "r.edb")
    with make_instance(tmp_path, "recl") as inst, inst.begin_session() as s:
        db = s.create_database(path)
        fill(db, "a").close()
        size = pages(path)
        for round_ in range(3):
            db.delete_table("a" if round_ == 0 else "b%d" % (round_ - 1))
            fill(db, "b%d" % round_).close()
        # three more tables' worth of data, in the space of about one
        assert pages(path) < size * 1.3, (pages(path), size)
        t = db.open_table("b2")
        t.create_index("by_s", ["s"])
        t.delete_index("by_s")
        with pytest.raises(errors.KeyDuplicate):
            t.create_index("u", ["a"], unique=True)  # a failed build drops its tree too
        t.close()
        db.close()
        s.detach_database(path)
    report = integrity(path)
    assert report.free_pages > 0
    assert {tr.name for tr in report.trees} >= {"b2", "b2/lv"}


def test_rolled_back_creations_give_their_pages_back(tmp_path):
    path = str(tmp_path / "r.edb")
    with make_instance(tmp_path, "reclrb") as inst, inst.begin_session() as s:
        db = s.create_database(path)
        s.begin_transaction()
        fill(db, "x", 1000).close()
        s.rollback()
        size = pages(path)
        for _ in range(4):
            s.begin_transaction()
            fill(db, "x", 1000).close()
            s.rollback()
        assert pages(path) < size * 1.3, (pages(path), size)
        assert db.tables == []
        db.close()
        s.detach_database(path)
    integrity(path)


def test_open_cursors_and_old_snapshots_keep_a_deleted_table(tmp_path):
    path = str(tmp_path / "r.edb")
    with make_instance(tmp_path, "reclkeep") as inst, inst.begin_session() as s1, inst.begin_session() as s2:
        db1 = s1.create_database(path)
        fill(db1, "a", 2000).close()
        db2 = s2.open_database(path)
        reader = db2.open_table("a")
        s2.begin_transaction()  # an old snapshot, with a cursor on the table
        db1.delete_table("a")
        assert "a" not in db1.tables
        fill(db1, "b", 2000).close()  # may not take the pages the reader still walks
        got = [(r["id"], len(r["body"])) for r in reader]
        assert got == [(i, 200 + (i * 37) % 9000) for i in range(2000)]
        assert reader.count(index="by_a", prefix=5) == len([i for i in range(2000) if i % 97 == 5])
        s2.commit()
        reader.close()  # now the pages can go back
        size = pages(path)
        db1.delete_table("b")
        fill(db1, "c", 2000).close()
        assert pages(path) <= size * 1.1
        db1.close()
        db2.close()
        s1.detach_database(path)
    integrity(path)
