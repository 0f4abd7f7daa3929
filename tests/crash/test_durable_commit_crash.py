"""JET_paramDurableCommitCallback under power cuts (crash-simulating OS layer).

A workload runs with the OS layer's journal recording: a lazy commit A with
no time limit, a lazy commit B with cmsecDurableCommit = 1 whose durability
the callback reports, then a lazy commit C.  The callback writes a mark into
the journal each time it is called.  Power cuts (only what was fdatasynced
survives: the ``synced`` variant) are then recovered:

* from the mark of the report that covers B on, B survives every cut, and
  so does A (the log is written in order);
* a cut after A returned but before anything reported it loses A: a lazy
  commit before a reported one is not durable by itself;
* a cut after C returned loses C.
"""
import os
import struct
import sys

import esepy

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "c_api"))
import crashsim  # noqa: E402
import jetffi  # noqa: E402
from test_database import Env, make_kv  # noqa: E402
from test_durable_commit import Seen, commit2, put  # noqa: E402

REPORT, AFTER_A, AFTER_C = 7, 8, 9


def _keys(root):
    inst = esepy.Instance("durcheck", system_path=root + "/", log_path=root + "/", temp_path=root + "/tmp.edb",
                          log_file_size_kb=256)
    with inst, inst.begin_session() as s:
        db = s.attach_database(root + "/a.edb")
        t = db.open_table("kv")
        keys = sorted(r["k"] for r in t)
        t.close()
        db.close()
        s.detach_database(root + "/a.edb")
    return keys


def test_reported_commit_survives_power_cut(crash_dir):
    jet = jetffi.load()
    lib = jet.lib
    root = crash_dir / "durable"
    root.mkdir()
    baseline = crashsim.snapshot(str(root))
    reported = []

    def hook(inst, commit_id):
        reported.append(commit_id)
        assert lib.EsepyTestCrashMark((REPORT << 32) | len(reported)) == 0

    seen = Seen(jet, hook)
    assert lib.EsepyTestCrashJournal(1) == 0
    try:
        env = Env(jet, root, DurableCommitCallback=seen.ptr)
        t, ck, cv = make_kv(env)[1:]
        put(env, t, ck, cv, 1)
        a = commit2(env, jet.C.JET_bitCommitLazyFlush, 0).commitId
        assert lib.EsepyTestCrashMark((AFTER_A << 32) | 1) == 0
        put(env, t, ck, cv, 2)
        b = commit2(env, jet.C.JET_bitCommitLazyFlush, 1).commitId
        seen.wait_past(b)
        put(env, t, ck, cv, 3)
        commit2(env, jet.C.JET_bitCommitLazyFlush, 0)
        assert lib.EsepyTestCrashMark((AFTER_C << 32) | 1) == 0
    finally:
        assert lib.EsepyTestCrashJournal(0) == 0
    ops = crashsim.read_journal(jet)
    assert lib.EsepyTestCrashJournal(-1) == 0
    assert lib.JetTerm2(env.inst, jet.C.JET_bitTermDirty) in (0, jet.C.JET_errDirtyShutdown)
    assert a < b

    def at(tag):
        return next(i for i, op in enumerate(ops) if op.op == crashsim.MARK and op.off == tag) + 1

    first_b = next(n for n, cid in enumerate(reported, 1) if cid > b)
    p_a, p_b, p_c = at((AFTER_A << 32) | 1), at((REPORT << 32) | first_b), at((AFTER_C << 32) | 1)
    assert p_a < p_b < p_c
    # every cut from the report on (one per journal entry up to C's mark)
    points = list(range(p_b, p_c + 1))
    results = {}
    for k, v, files, marks in crashsim.crash_states(str(root), ops, ("synced",), [p_a] + points, baseline):
        crashsim.Disk(str(root), baseline).materialise(files)
        results[k] = _keys(str(root))
    assert results, "no crash state"
    assert 1 not in results[p_a]  # A was not durable yet
    after = [results[k] for k in points if k in results]
    assert after and all({1, 2} <= set(keys) for keys in after), after
    assert 3 not in results.get(p_c, after[-1])
