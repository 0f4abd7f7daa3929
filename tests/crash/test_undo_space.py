"""Recovery gives back the pages of trees created by transactions it undoes
(issue 14, crashfs-2; isam_int.h I8, btree.h C1/C2): nothing is leaked, so
the integrity check, which reports pages in no tree and not free, passes."""
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
