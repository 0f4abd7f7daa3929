"""Recovery gives back the pages of trees created by transactions it undoes
(issue 14, crashfs-2; isam_int.h I8, btree.h C1/C2) and of trees whose
delete committed but whose drop a crash prevented (isam_int.h I9): nothing is
leaked, so the integrity check, which reports pages in no tree and not free,
passes."""
from __future__ import annotations

import os

import pytest

import esepy
from esepy import errors, inspection

COLS = {"k": "long", "v": "text", "b": "longtext"}


def _params(root):
    return dict(system_path=root + "/", log_path=root + "/logs/", temp_path=root + "/tmp.edb",
                create_path_if_not_exist=True, log_file_size_kb=128)


def _problems(path):
    rep = inspection.DatabaseFile(path).check_integrity()
    probs = [f"page {p.pgno}: {p.problem}" for p in rep.problems]
    if rep.checksum is not None:
        probs += [f"page {p.pgno}: {p.problem}" for p in rep.checksum.problems]
    return probs


@pytest.mark.parametrize("rows", [0, 400])
def test_recovery_frees_trees_of_an_unfinished_creation(tmp_path, rows):
    root = str(tmp_path)
    path = os.path.join(root, "u.edb")
    inst = esepy.Instance("undospace", **_params(root))
    inst.init()
    s1, s2 = inst.begin_session(), inst.begin_session()
    db1 = s1.create_database(path)
    s1.begin_transaction()
    db1.create_table("kept", COLS, primary_key=["k"]).close()
    s1.commit()
    db2 = s2.open_database(path)
    # s2 creates a table, an index and (with rows) a tree of several levels
    # with long values, and never finishes
    s2.begin_transaction()
    t = db2.create_table("gone", COLS, primary_key=["k"])
    t.create_index("by_v", ["v"])
    for k in range(rows):
        t.insert({"k": k, "v": f"v{k}" * 20, "b": "L" * (3000 if k % 7 == 0 else 10)})
    # a durable commit of s1 puts all of s2's records in the durable log
    s1.begin_transaction()
    kept = db1.open_table("kept")
    kept.insert({"k": 1, "v": "one", "b": None})
    kept.close()
    s1.commit()
    with pytest.raises(errors.DirtyShutdown):
        inst.term(grbit=esepy.TERM_DIRTY)

    with esepy.Instance("undospace2", **_params(root)) as inst2:
        s = inst2.begin_session()
        db = s.attach_database(path)
        assert sorted(db.tables) == ["kept"]
        with db.open_table("kept") as t:
            assert [r["k"] for r in t] == [1]
        db.close()
        s.detach_database(path)
    assert _problems(path) == []


def _log_generation(root):
    with open(os.path.join(root, "logs", "edb.log"), "rb") as f:
        return int.from_bytes(f.read(16)[12:16], "little")


@pytest.mark.parametrize("what", ["table", "index", "table-checkpoint"])
def test_recovery_finishes_the_drop_of_a_committed_delete(tmp_path, what):
    """A crash after a table or index delete committed, before its trees were
    dropped, leaks nothing: the COMMIT record names the trees and recovery
    drops them (isam_int.h I9, recovery.c R9).  Here a reader's open
    transaction keeps the drop pending (reclaim.c R2) until the dirty stop.
    (A rolled-back creation is dropped at once; the crash states of the
    ``deletes`` workload in test_crash_states.py cover its window.)
    With ``table-checkpoint`` the checkpoint advances several times while the
    drop waits: the pending drop holds it at or before the COMMIT (I9)."""
    root = str(tmp_path)
    path = os.path.join(root, "d.edb")
    params = _params(root)
    if what == "table-checkpoint":
        params["checkpoint_depth_max"] = 64 * 1024
    inst = esepy.Instance("dropspace", **params)
    inst.init()
    s1, s2 = inst.begin_session(), inst.begin_session()
    db1 = s1.create_database(path)
    s1.begin_transaction()
    kept = db1.create_table("kept", COLS, primary_key=["k"])
    kept.insert({"k": 1, "v": "one", "b": None})
    kept.close()
    gone = db1.create_table("gone", COLS, primary_key=["k"])
    gone.create_index("by_v", ["v"])
    for k in range(400):
        gone.insert({"k": k, "v": f"v{k}" * 20, "b": "L" * (3000 if k % 7 == 0 else 10)})
    gone.close()
    s1.commit()
    db2 = s2.open_database(path)
    s2.begin_transaction()  # a snapshot older than the delete: the drop must wait
    with db2.open_table("kept") as t:
        assert [r["k"] for r in t] == [1]
    s1.begin_transaction()
    if what != "index":
        db1.delete_table("gone")
    else:
        with db1.open_table("gone") as t:
            t.delete_index("by_v")
    s1.commit()
    more = range(2, 300 if what == "table-checkpoint" else 3)
    gen_delete = _log_generation(root)
    for k in more:  # durable commits after it
        s1.begin_transaction()
        with db1.open_table("kept") as t:
            t.insert({"k": k, "v": "x", "b": "y" * 600})
        s1.commit()
    if what == "table-checkpoint":  # far more log than the checkpoint depth, yet it waits
        assert _log_generation(root) > gen_delete + 2
        assert inspection.read_checkpoint(os.path.join(root, "edb.chk")).checkpoint.generation <= gen_delete
    with pytest.raises(errors.DirtyShutdown):
        inst.term(grbit=esepy.TERM_DIRTY)

    with esepy.Instance("dropspace2", **params) as inst2:
        s = inst2.begin_session()
        db = s.attach_database(path)
        assert sorted(db.tables) == (["gone", "kept"] if what == "index" else ["kept"])
        with db.open_table("kept") as t:
            assert [r["k"] for r in t] == [1, *more]
        if what == "index":
            with db.open_table("gone") as t:
                assert list(t.indexes) == []
                assert len(list(t)) == 400
        db.close()
        s.detach_database(path)
    assert _problems(path) == []
