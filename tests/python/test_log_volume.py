"""Log volume (issue 20, item 3): an insert and its UNDO travel in one log
record (LOG_REC_BT_INSERTU, "InsertUndo"), structure changes log pages that
were already dirty as byte diffs ("PageDiff").  Recovery must still take back
every uncommitted insert, whichever record carried its UNDO, and rebuild the
committed ones."""
from __future__ import annotations

import collections
import os
import tarfile

import esepy
import esepy.inspect
from esepy import inspection
from recovery_helpers import instance_params, recovered_rows, stop_dirty

COLS = {"k": "long", "v": "binary"}


def _params(root):
    return instance_params(root, 256)


def _types(root):
    return _types_in(os.path.join(root, "logs"))


def _types_in(logs):
    """Record counts by type name, and by (type name, transaction) for InsertUndo / Undo."""
    count = collections.Counter()
    trx = collections.Counter()
    for lf in esepy.inspect.LogFolder(logs).files():
        for r in lf.records():
            count[r.type_name] += 1
            if r.type_name in ("InsertUndo", "Undo"):
                trx[r.type_name, r.transaction] += 1
    return count, trx


def _rows(root, path):
    return recovered_rows("logvolr", _params(root), path)


def test_uncommitted_inserts_in_one_record_are_undone(tmp_path):
    root = str(tmp_path / "db")
    path = os.path.join(root, "t.edb")
    inst = esepy.Instance("logvol", **_params(root))
    inst.init()
    s = inst.begin_session()
    db = s.create_database(path)
    s.begin_transaction()
    t = db.create_table("kv", COLS, primary_key=["k"])
    for k in range(50):
        t.insert({"k": k, "v": b"c" * 100})
    t.close()
    s.commit()
    # A transaction that never commits: enough rows for many splits, so its
    # UNDOs ride in insert records and, at splits, go on their own.
    s2 = inst.begin_session()
    db2 = s2.open_database(path)
    t2 = db2.open_table("kv")
    s2.begin_transaction()
    for k in range(1000, 3000):
        t2.insert({"k": k, "v": b"u" * 100})
    # Another session's durable commit makes the whole log durable.
    t = db.open_table("kv")
    s.begin_transaction()
    t.insert({"k": 50, "v": b"c" * 100})
    s.commit()
    stop_dirty(inst)
    count, trx = _types(root)
    assert count["InsertUndo"] >= 1900 and count["Undo"] >= 20 and count["PageDiff"] >= 20
    assert count["Insert"] < 100   # only what no transaction versions (catalog, space)
    # the open transaction's UNDOs went both ways
    assert any(trx["InsertUndo", x] >= 1900 and trx["Undo", x] >= 20 for _, x in trx)
    rows = _rows(root, path)
    assert rows == {k: b"c" * 100 for k in range(51)}
    assert inspection.DatabaseFile(path).check_integrity().ok


def test_committed_inserts_replay_from_one_record(tmp_path):
    root = str(tmp_path / "db")
    path = os.path.join(root, "t.edb")
    inst = esepy.Instance("logvol", **_params(root))
    inst.init()
    s = inst.begin_session()
    db = s.create_database(path)
    s.begin_transaction()
    t = db.create_table("kv", COLS, primary_key=["k"])
    s.commit()
    for b in range(0, 3000, 500):
        s.begin_transaction()
        for k in range(b, b + 500):
            t.insert({"k": k, "v": bytes([k % 251]) * 100})
        s.commit()
    stop_dirty(inst)
    count, _ = _types(root)
    assert count["InsertUndo"] >= 2800
    rows = _rows(root, path)
    assert rows == {k: bytes([k % 251]) * 100 for k in range(3000)}
    assert inspection.DatabaseFile(path).check_integrity().ok


OLD_SET = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "esepy", "main_v2_dirty_insert.tar.gz")


def test_log_set_written_before_replays(tmp_path):
    """A database and log set written by the build before these records (only
    PageImage / Insert / Undo records) still recovers: committed rows back,
    the open transaction's inserts taken back."""
    root = str(tmp_path / "old")
    os.makedirs(root)
    with tarfile.open(OLD_SET) as tf:
        tf.extractall(root, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    count, _ = _types_in(root)
    assert count["Insert"] > 500 and count["Undo"] > 500 and count["PageImage"] > 20
    assert count["InsertUndo"] == 0 and count["PageDiff"] == 0
    p = instance_params(root, 128, log_path=root + "/", circular_log=True,
                        alternate_database_recovery_path=root + "/")   # the set was written elsewhere
    path = os.path.join(root, "old.edb")
    rows = recovered_rows("oldset", p, path)
    expected = {k: bytes([k % 251]) * 100 for k in range(400)}
    expected[400] = b"last"
    assert rows == expected
    assert inspection.DatabaseFile(path).check_integrity().ok
