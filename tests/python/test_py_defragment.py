"""Database.defragment / stop_defragment: online defragmentation from Python."""
from __future__ import annotations

import os

import esepy
from esepy.inspection import DatabaseFile


def make_instance(tmp_path, name):
    return esepy.Instance(name, system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                          temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True, log_file_size_kb=1024)


def fill(db, n=3000):
    t = db.create_table("t", {"id": "long", "s": "text"}, primary_key=["id"])
    t.create_index("by_s", ["s"])
    s = db.session
    with s.transaction(lazy=True):
        for i in range(n):
            t.insert({"id": i, "s": "v%06d" % i + "y" * 100})
    with s.transaction(lazy=True):
        for i in range(n):
            if i % 5 not in (0, 3):
                t.delete(i)
    return t


def leaves(path):
    report = DatabaseFile(path).check_integrity()
    assert report.problems == [], report.problems[:5]
    return {tr.name: tr.leaf_pages for tr in report.trees}


def test_defragment_waits_and_halves_the_leaves(tmp_path):
    path = str(tmp_path / "d.edb")
    with make_instance(tmp_path, "pydefrag") as inst, inst.begin_session() as s:
        db = s.create_database(path)
        fill(db).close()
        db.close()
        s.detach_database(path)
        before = leaves(path)
        db = s.attach_database(path)
        assert db.defragment() >= 1
        assert db.stop_defragment() == 0   # nothing running any more
        with db.open_table("t") as t:
            assert [r["id"] for r in t] == [i for i in range(3000) if i % 5 in (0, 3)]
        db.close()
        s.detach_database(path)
    after = leaves(path)
    assert after["t"] * 10 < before["t"] * 6, (before, after)
    assert after["t/by_s"] * 10 < before["t/by_s"] * 6, (before, after)


def test_defragment_in_background_then_stop(tmp_path):
    path = str(tmp_path / "d.edb")
    with make_instance(tmp_path, "pydefrag2") as inst, inst.begin_session() as s:
        db = s.create_database(path)
        fill(db).close()
        assert db.defragment("t", wait=False) is None
        assert db.defragment(wait=False) is None   # already running: left alone
        assert db.stop_defragment() >= 0
        assert db.defragment(passes=1) == 1
        with db.open_table("t") as t:
            assert len(list(t)) == 1200


def test_resize_gives_the_free_end_of_the_file_back(tmp_path):
    path = str(tmp_path / "d.edb")
    with make_instance(tmp_path, "pyresize") as inst, inst.begin_session() as s:
        db = s.create_database(path)
        fill(db, n=500).close()
        big = db.create_table("big", {"id": "long", "b": "longbinary"}, primary_key=["id"])
        with s.transaction():
            for i in range(200):
                big.insert({"id": i, "b": bytes([i % 200]) * 3000})
        big.close()
        size = os.path.getsize(path)
        db.delete_table("big")
        pages = db.resize(1)
        assert (pages + 2) * 4096 == os.path.getsize(path) < size // 2
        assert db.resize(pages + 100) == pages + 100   # growing
        with db.open_table("t") as t:
            assert len(list(t)) == 200
        db.close()
        s.detach_database(path)
    leaves(path)
