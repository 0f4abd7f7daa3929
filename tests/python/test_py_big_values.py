"""Transactions holding long values of many megabytes with the default version store.

A new long value's chunks are inserted without versions (lv.c L4, ver.c V3: 8 bytes of undo
information each), and a long value is deleted as its root alone (L5, V2), so neither the
size of the values nor their number fills the version store.  A rollback takes them back
entirely: nothing is left in the long-value tree and the space goes back to the free list."""
from __future__ import annotations

import hashlib
import os

import esepy
from esepy.inspection import DatabaseFile

MB = 1 << 20


def make_instance(tmp_path, name):
    # the default version store (no max_ver_pages)
    return esepy.Instance(name, system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                          temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                          log_file_size_kb=16384, circular_log=True)


def big(i, n):
    return hashlib.sha256(b"%d" % i).digest() * (n // 32) + bytes([i]) * (n % 32)


def lv_tree(path):
    report = DatabaseFile(path).check_integrity()
    assert report.problems == [], report.problems[:5]
    return report, next(tr for tr in report.trees if tr.name == "t/lv")


def test_four_3mb_and_one_64mb_values_in_one_transaction(tmp_path):
    path = str(tmp_path / "big.edb")
    sizes = {1: 3 * MB, 2: 3 * MB, 3: 3 * MB, 4: 3 * MB, 5: 64 * MB}
    with make_instance(tmp_path, "big") as inst, inst.begin_session() as s:
        db = s.create_database(path)
        t = db.create_table("t", {"id": "long", "body": "longbinary"}, primary_key=["id"])
        with s.transaction():
            for i, n in sizes.items():
                t.insert({"id": i, "body": big(i, n)})
        for i, n in sizes.items():
            assert t.get(i)["body"] == big(i, n)
        # replacing and deleting them in one transaction needs no copy of their bytes either
        with s.transaction():
            t.update(1, {"body": b"small"})
            t.update(2, {"body": big(7, 5 * MB)})
            t.delete(5)
        assert t.get(1)["body"] == b"small" and t.get(2)["body"] == big(7, 5 * MB)
        assert t.get(5) is None
        t.close()
        db.close()
        s.detach_database(path)
    report, lv = lv_tree(path)
    # the deleted values are gone from the tree (cleanup), their pages reusable
    assert 11 * MB < lv.bytes_used < 13 * MB, lv  # 5 + 3 + 3 MB left
    assert report.free_pages * 4096 > 60 * MB


def test_rollback_of_big_values_leaves_no_trace(tmp_path):
    path = str(tmp_path / "rb.edb")
    with make_instance(tmp_path, "bigrb") as inst, inst.begin_session() as s:
        db = s.create_database(path)
        t = db.create_table("t", {"id": "long", "body": "longbinary"}, primary_key=["id"])
        t.insert({"id": 0, "body": big(0, 100_000)})
        size0 = os.path.getsize(path)
        for round_ in range(2):
            s.begin_transaction()
            for i in range(1, 5):
                t.insert({"id": i, "body": big(i, 3 * MB)})
            t.insert({"id": 9, "body": big(9, 64 * MB)})
            t.update(0, {"body": big(1, 200_000)})
            t.delete(0)
            s.rollback()
            assert [r["id"] for r in t] == [0]
            assert t.get(0)["body"] == big(0, 100_000)
            if round_ == 0:
                size1 = os.path.getsize(path)
                assert size1 > size0 + 76 * MB
        # the second round reused the pages the first one gave back
        assert os.path.getsize(path) < size1 + 4 * MB
        t.close()
        db.close()
        s.detach_database(path)
    report, lv = lv_tree(path)
    assert lv.nodes <= 1 + 100_000 // 900, lv  # the committed value alone: its root and chunks
    assert lv.deleted_nodes == 0, lv
    assert report.free_pages * 4096 > 76 * MB


def test_a_100kb_value_in_chunks_that_fill_their_pages(tmp_path):
    """issue 20: a chunk and its key fill a node of the largest size (lv.c chunk_size), so a
    100 KB value is 104 chunks of 990 bytes (960-byte chunks: 107), four to a 4 KiB leaf."""
    path = str(tmp_path / "c.edb")
    with make_instance(tmp_path, "chunks") as inst, inst.begin_session() as s:
        db = s.create_database(path)
        t = db.create_table("t", {"id": "long", "body": "longbinary"}, primary_key=["id"])
        with s.transaction():
            t.insert({"id": 1, "body": big(1, 100 * 1024)})
        assert t.get(1)["body"] == big(1, 100 * 1024)
        t.close()
        db.close()
        s.detach_database(path)
    _, lv = lv_tree(path)
    assert lv.nodes == 1 + 104   # the root, then ceil(102400 / 990) chunks
    assert lv.leaf_pages == 27   # 105 nodes, at most four to a leaf


OLD_LV = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "esepy", "main_lv960.tar.gz")


def test_values_written_with_960_byte_chunks_still_read_and_change(tmp_path):
    """A database written by the build before (chunks of 960 bytes: tests/data/esepy/
    main_lv960.py) attaches; its values read back whole and in pieces; a value replaced, one
    streamed in pieces and a new one live next to the old ones (each lid keeps the chunk
    size its root records), and the file checks clean."""
    import io
    import sys
    import tarfile
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "esepy"))
    from main_lv960 import SIZES, value
    root = str(tmp_path / "old")
    os.makedirs(root)
    with tarfile.open(OLD_LV) as tf:
        tf.extractall(root, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    # The set's log names the folder it was made in; the file was stopped clean, so it is
    # attached to a new log stream here (db.c D5), as a user moving a database would.
    for name in os.listdir(root):
        if name != "lv.edb":
            os.remove(os.path.join(root, name))
    path = os.path.join(root, "lv.edb")
    p = dict(system_path=root + "/", log_path=root + "/", temp_path=root + "/tmp.edb",
             log_file_size_kb=1024, circular_log=True)
    with esepy.Instance("old960", **p) as inst, inst.begin_session() as s:
        db = s.attach_database(path)
        t = db.open_table("t")
        for i, n in enumerate(SIZES):
            assert t.get(i)["body"] == value(i, n), i
        with s.transaction():
            t.update(5, {"body": value(50, 100 * 1024)})
            t.update(4, {"body": io.BytesIO(value(40, 70000))})
            t.insert({"id": 9, "body": value(9, 5000)})
        got = {r["id"]: r["body"] for r in t}
        t.close()
        db.close()
        s.detach_database(path)
    want = {i: value(i, n) for i, n in enumerate(SIZES)}
    want.update({5: value(50, 100 * 1024), 4: value(40, 70000), 9: value(9, 5000)})
    assert got == want
    lv_tree(path)   # integrity: no problems
