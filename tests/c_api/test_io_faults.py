"""I/O failures and acknowledged commits (issue 14): recovery interrupted by a
failed write or fsync at any point is repeatable, a failed fsync is never
taken for success, and a full log disk still lets the instance stop.

Faults come from the engine's injection hook EsepyTestFailIO (csrc/os): the
k-th write (pwrite, truncate, allocate, rename) or sync (fdatasync, folder
fsync) from the moment it is armed fails."""
import os
import shutil
import struct

import pytest

from test_database import Env, keys_of, make_kv, open_kv

ROWS = 300


@pytest.fixture
def faults(jet):
    """Arm / disarm EsepyTestFailIO; always disarmed after the test."""
    C = jet.C

    def arm(kind, k, persistent=False, err=None):
        assert jet.lib.EsepyTestFailIO(kind, k, 1 if persistent else 0,
                                       C.JET_errDiskIO if err is None else err, jet.ffi.NULL) == 0

    def hits(kind):
        p = jet.ffi.new("uint32_t *")
        assert jet.lib.EsepyTestFailIO(kind, 0, 0, 0, p) == 0
        return p[0]
    arm.hits = hits
    yield arm
    for kind in (C.ESEPY_TESTIO_READ, C.ESEPY_TESTIO_WRITE, C.ESEPY_TESTIO_SYNC):
        jet.lib.EsepyTestFailIO(kind, 0, 0, 0, jet.ffi.NULL)


def crashed_with_open_transaction(jet, folder):
    """ROWS acknowledged (durably committed) rows over several generations, then
    rows of a transaction that never committed, then a dirty stop."""
    env = Env(jet, folder, LogFileSize=64)
    C, lib = env.C, env.lib
    dbid, t, ck, cv = make_kv(env)
    for k in range(ROWS):
        assert lib.JetBeginTransaction(env.ses) == 0
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"v" * 100)]) == 0
        assert lib.JetCommitTransaction(env.ses, 0) == 0
    assert lib.JetBeginTransaction(env.ses) == 0
    for k in range(ROWS, ROWS + 20):
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"u" * 100)]) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown


def recover(jet, folder, name="rec"):
    inst = jet.instance_in(folder, name, LogFileSize=64)
    err = jet.lib.JetInit(jet.ffi.new("JET_INSTANCE *", inst))
    return err, inst


def check_all_there(jet, folder):
    from esepy.inspection import DatabaseFile
    env = Env(jet, folder, "check", LogFileSize=64)
    try:
        path = str(folder / "a.edb").encode()
        assert env.lib.JetAttachDatabase(env.ses, path, 0) == 0
        t, ck = open_kv(env, path)
        assert keys_of(env, t, ck) == list(range(ROWS))
    finally:
        assert env.term() == 0
    report = DatabaseFile(str(folder / "a.edb")).check_integrity()
    assert report.problems == [], report.problems


@pytest.mark.parametrize("kind", ["WRITE", "SYNC"])
@pytest.mark.parametrize("persistent", [False, True], ids=["once", "from-k-on"])
def test_recovery_interrupted_at_every_io_is_repeatable(jet, tmp_path, faults, kind, persistent):
    """Fail the k-th write (or fsync) of a recovery, for every k until a
    recovery runs through without reaching it; each time, a fault-free JetInit
    afterwards recovers every acknowledged commit and a sound database."""
    C = jet.C
    ikind = getattr(C, "ESEPY_TESTIO_" + kind)
    work, pristine = tmp_path / "work", tmp_path / "pristine"
    work.mkdir()
    crashed_with_open_transaction(jet, work)  # the logs name work/a.edb
    shutil.copytree(work, pristine)
    failed = 0
    for k in range(1, 400):
        shutil.rmtree(work)
        shutil.copytree(pristine, work)
        faults(ikind, k, persistent)
        err, inst = recover(jet, work)
        fired = faults.hits(ikind)
        faults(ikind, 0)
        jet.lib.JetTerm(inst)
        if fired == 0:
            assert err == 0
            break
        if err < 0:
            failed += 1
        # the next, fault-free recovery gets everything back
        err2, inst2 = recover(jet, work, "again")
        assert err2 == 0, (k, err, err2)
        assert jet.lib.JetTerm(inst2) == 0
        check_all_there(jet, work)
    else:
        pytest.fail("recovery never ran without reaching the fault")
    assert failed > 0


def test_checkpoints_racing_commits_with_circular_logging(jet, tmp_path):
    """Threads commit durably while every commit may advance the checkpoint
    (depth 1 byte) and circular logging deletes generations behind it; after a
    crash stop, recovery finds every log the checkpoint needs and every
    acknowledged row."""
    import threading
    C = jet.C
    env = Env(jet, tmp_path, LogFileSize=64, CircularLog=1, CheckpointDepthMax=1)
    lib, ffi = env.lib, env.ffi
    dbid, t, ck, cv = make_kv(env)
    assert lib.JetCloseTable(env.ses, t) == 0
    path = str(tmp_path / "a.edb").encode()
    acked, errors = [], []

    def worker(w):
        try:
            ps = ffi.new("JET_SESID *")
            assert lib.JetBeginSession(env.inst, ps, ffi.NULL, ffi.NULL) == 0
            ses = ps[0]
            pd, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
            assert lib.JetOpenDatabase(ses, path, ffi.NULL, pd, 0) == 0
            assert lib.JetOpenTable(ses, pd[0], b"kv", ffi.NULL, 0, 0, pt) == 0
            for i in range(150):
                k = w * 100000 + i
                assert lib.JetBeginTransaction(ses) == 0
                assert lib.JetPrepareUpdate(ses, pt[0], C.JET_prepInsert) == 0
                for colid, data in ((ck, struct.pack("<i", k)), (cv, b"r" * 200)):
                    assert lib.JetSetColumn(ses, pt[0], colid, data, len(data), 0, ffi.NULL) == 0
                assert lib.JetUpdate(ses, pt[0], ffi.NULL, 0, ffi.NULL) == 0
                assert lib.JetCommitTransaction(ses, 0) == 0
                acked.append(k)
        except AssertionError as e:  # reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    logs = [n for n in os.listdir(tmp_path) if n.startswith("edb0")]
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    assert len(acked) == 600
    assert len(logs) < 8  # circular logging did delete generations meanwhile
    err, inst = recover(jet, tmp_path)
    assert err == 0
    assert jet.lib.JetTerm(inst) == 0
    env2 = Env(jet, tmp_path, "check", LogFileSize=64, CircularLog=1)
    try:
        assert env2.lib.JetAttachDatabase(env2.ses, path, 0) == 0
        t2, ck2 = open_kv(env2, path)
        assert sorted(keys_of(env2, t2, ck2)) == sorted(acked)
    finally:
        assert env2.term() == 0
