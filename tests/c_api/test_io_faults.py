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
