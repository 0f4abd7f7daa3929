"""Crash safety of online defragmentation: power cuts at every I/O boundary
from the start of a defragmentation through the clean shutdown after it.

Each merge of two leaves is one logged structure change (its page images and
SMOEND), so recovery replays it whole or drops it whole: every crash state
recovers to the rows committed before, the indexes agree with the table, and
the integrity check finds every page in one tree or free (none leaked, none
twice).  Uses the crash simulator and the checks of test_crash_states.py."""
from __future__ import annotations

import os
import sys

import esepy

sys.path.insert(0, os.path.dirname(__file__))
import crashsim  # noqa: E402
from test_crash_states import (COLS, PHASE, Workload, _copy, _create, _params, _record, check_state,  # noqa: E402,F401
                               jet)

NROWS = 900


def wl_defrag(jet, root):
    """kv filled, three rows in five deleted (leaves left about 40% full),
    then JetDefragment to the end, then a clean term."""
    w = Workload(jet, root, _params(root))
    w.start()
    with esepy.Instance("crashdefrag", **w.params) as inst:
        s = inst.begin_session()
        db, t = _create(w, s)
        m = _copy(w.model)
        s.begin_transaction()
        for k in range(NROWS):
            r = {"k": k, "v": "v%05d-" % k + "p" * 120, "n": k, "b": None}
            t.insert(r)
            m["kv"][k] = r
        w.commit(s, m)
        m = _copy(w.model)
        s.begin_transaction()
        for k in range(NROWS):
            if k % 5 not in (0, 3):
                t.delete(k)
                del m["kv"][k]
        w.commit(s, m)
        t.close()
        w.phase(6)   # the defragmentation
        assert db.defragment() >= 1
        w.phase(4)
    _record(jet, 0)
    return w


def test_crash_during_defragment(jet, crash_dir):
    root = str(crash_dir / "defrag")
    os.makedirs(root)
    w = wl_defrag(jet, root)
    ops = crashsim.read_journal(jet)
    _record(jet, -1)
    assert not crashsim.wal_violations(w.root, ops, page_size=4096, baseline=w.baseline)
    start = min(i for i, op in enumerate(ops) if op.op == crashsim.MARK and op.off == (PHASE << 32) | 6)
    points = range(start, len(ops) + 1)
    tried, problems = 0, []
    for k, v, files, marks in crashsim.crash_states(w.root, ops, crashsim.VARIANTS, points, w.baseline):
        tried += 1
        p = check_state(w, k, v, files, marks)
        if p is not None:
            problems.append(f"crash after entry {k} [{v}]: {p}")
    print(f"defrag: {len(ops)} journal entries, {len(ops) - start} in and after the defragmentation, "
          f"{tried} crash states")
    assert tried >= 20
    assert not problems, "\n".join(problems[:10])


def wl_shrink(jet, root):
    """kv filled; table d (long values, pages at the end of the file) created
    and deleted; the file shrunk (JetResizeDatabase) to its last page in use;
    more rows (the file grows again from there); a clean term."""
    w = Workload(jet, root, _params(root))
    w.start()
    with esepy.Instance("crashshrink", **w.params) as inst:
        s = inst.begin_session()
        db, t = _create(w, s)
        m = _copy(w.model)
        s.begin_transaction()
        for k in range(200):
            r = {"k": k, "v": "v%05d" % k, "n": k, "b": None}
            t.insert(r)
            m["kv"][k] = r
        w.commit(s, m)
        s.begin_transaction()
        d = db.create_table("d", COLS, primary_key=["k"])
        m = _copy(w.model)
        m["d"] = {}
        for k in range(60):
            r = {"k": k, "v": "d%d" % k, "n": k, "b": "D" * 3000}
            d.insert(r)
            m["d"][k] = r
        d.close()
        w.commit(s, m)
        m = _copy(w.model)
        s.begin_transaction()
        db.delete_table("d")
        del m["d"]
        w.commit(s, m)
        size = os.path.getsize(w.path)
        w.phase(7)   # the shrink
        pages = db.resize(1)
        assert (pages + 2) * 4096 == os.path.getsize(w.path) < size
        w.phase(0)
        m = _copy(w.model)
        s.begin_transaction()
        for k in range(200, 215):
            r = {"k": k, "v": "w%05d" % k + "q" * 100, "n": k, "b": "L" * 2000}
            t.insert(r)
            m["kv"][k] = r
        w.commit(s, m)
        t.close()
        w.phase(4)
    _record(jet, 0)
    return w


def test_crash_during_shrink(jet, crash_dir):
    root = str(crash_dir / "shrink")
    os.makedirs(root)
    w = wl_shrink(jet, root)
    ops = crashsim.read_journal(jet)
    _record(jet, -1)
    assert not crashsim.wal_violations(w.root, ops, page_size=4096, baseline=w.baseline)
    start = min(i for i, op in enumerate(ops) if op.op == crashsim.MARK and op.off == (PHASE << 32) | 7)
    assert any(op.op == crashsim.TRUNCATE for op in ops[start:]), "the file was not cut"
    tried, problems = 0, []
    for k, v, files, marks in crashsim.crash_states(w.root, ops, crashsim.VARIANTS, range(start, len(ops) + 1),
                                                    w.baseline):
        tried += 1
        p = check_state(w, k, v, files, marks)
        if p is not None:
            problems.append(f"crash after entry {k} [{v}]: {p}")
    print(f"shrink: {len(ops)} journal entries, {len(ops) - start} from the shrink on, {tried} crash states")
    assert tried >= 20
    assert not problems, "\n".join(problems[:10])
