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
    for kind in (C.ESEPY_IO_READ, C.ESEPY_IO_WRITE, C.ESEPY_IO_SYNC, C.ESEPY_IO_ALLOCATE):
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
    ikind = getattr(C, "ESEPY_IO_" + kind)
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
        if err < 0:  # a specific error, not a generic one
            assert err in (C.JET_errDiskIO, C.JET_errLogWriteFail), jet.err_name(err)
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
            errors.append((w, len(acked), repr(e)))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    recycled = not os.path.exists(tmp_path / "edb00001.log")
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    assert len(acked) == 600
    assert recycled  # circular logging did drop generations behind the checkpoint meanwhile
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


def replace_row(env, t, ck, cv, key, value):
    """Replace the value of row `key` in its own transaction; the commit's error."""
    lib, C, ffi = env.lib, env.C, env.ffi
    err = lib.JetBeginTransaction(env.ses)
    if err < 0:
        return err
    ok = lib.JetMakeKey(env.ses, t, struct.pack("<i", key), 4, C.JET_bitNewKey) == 0 and \
        lib.JetSeek(env.ses, t, C.JET_bitSeekEQ) == 0
    assert ok
    err = lib.JetPrepareUpdate(env.ses, t, C.JET_prepReplace)
    if err >= 0:
        err = lib.JetSetColumn(env.ses, t, cv, value, len(value), 0, ffi.NULL)
    if err >= 0:
        err = lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL)
    if err >= 0:
        err = lib.JetCommitTransaction(env.ses, 0)
        if err >= 0:
            return err
    lib.JetRollback(env.ses, 0)  # a failed commit leaves the transaction open
    return err


def value_of(env, t, ck, cv, key):
    C = env.C
    assert env.lib.JetMakeKey(env.ses, t, struct.pack("<i", key), 4, C.JET_bitNewKey) == 0
    assert env.lib.JetSeek(env.ses, t, C.JET_bitSeekEQ) == 0
    return env.retrieve(t, cv)[1]


@pytest.mark.parametrize("free_first", [True, False], ids=["space-freed", "still-full"])
def test_log_disk_full_stops_cleanly_and_term_succeeds(jet, tmp_path, faults, free_first):
    """The disk fills up (allocations fail, written space stays writable):
    the log takes its reserve files and refuses changes with
    JET_errLogDiskFull; once space is free again JetTerm succeeds and the next
    JetInit has every acknowledged commit."""
    C = jet.C
    env = Env(jet, tmp_path, LogFileSize=64)
    dbid, t, ck, cv = make_kv(env)
    assert env.insert(t, [(ck, struct.pack("<i", 1)), (cv, b"start")]) == 0
    faults(C.ESEPY_IO_ALLOCATE, 1, True, C.JET_errDiskFull)
    last = refused = None
    for i in range(5000):
        v = b"%06d" % i + b"x" * 200
        err = replace_row(env, t, ck, cv, 1, v)
        if err < 0:
            refused = v
            break
        last = v
    assert err == C.JET_errLogDiskFull, jet.err_name(err)
    assert last is not None
    assert os.path.exists(tmp_path / "edbtmp.log") or not os.path.exists(tmp_path / "edbres00001.jrs")
    # A commit refused after its COMMIT record reached the log buffer ended the
    # transaction all the same (C1 in ver.c) and is kept if the record reaches
    # the disk: for the caller it is "unknown", the value is the last one it was
    # sure of or the refused one -- the same before and after the restart.
    # Still refused, reads still work (from another session too).
    assert replace_row(env, t, ck, cv, 1, b"late") == C.JET_errLogDiskFull
    p = env.ffi.new("JET_SESID *")
    assert env.lib.JetBeginSession(env.inst, p, env.ffi.NULL, env.ffi.NULL) == 0
    other = env.ses
    env.ses = p[0]
    try:
        path = str(tmp_path / "a.edb").encode()
        pd = env.ffi.new("JET_DBID *")
        assert env.lib.JetOpenDatabase(env.ses, path, env.ffi.NULL, pd, 0) == 0
        pt = env.ffi.new("JET_TABLEID *")
        assert env.lib.JetOpenTable(env.ses, pd[0], b"kv", env.ffi.NULL, 0, 0, pt) == 0
        seen = value_of(env, pt[0], ck, cv, 1)
        assert seen in (last, refused)
        assert env.lib.JetCloseTable(env.ses, pt[0]) == 0
    finally:
        env.lib.JetEndSession(env.ses, 0)
        env.ses = other
    if free_first:
        faults(C.ESEPY_IO_ALLOCATE, 0)  # space is free again
    assert env.term() == 0
    faults(C.ESEPY_IO_ALLOCATE, 0)
    # the reserve logs held the detach and the TERM record: a clean stop -- unless
    # the refused commit left its transaction open (its rollback needs the log
    # too): then the stop is dirty and recovery undoes it (T1 in inst.c)
    from esepy.inspection import read_database_header
    state = read_database_header(str(tmp_path / "a.edb")).state
    assert state == "CleanShutdown" or (state == "DirtyShutdown" and seen == last), (state, seen[:6])
    env2 = Env(jet, tmp_path, "again", LogFileSize=64)
    try:
        path = str(tmp_path / "a.edb").encode()
        assert env2.lib.JetAttachDatabase(env2.ses, path, 0) == 0
        t2, ck2 = open_kv(env2, path)
        pcd = env2.ffi.new("JET_COLUMNDEF *")
        assert env2.lib.JetGetTableColumnInfo(env2.ses, t2, b"v", pcd, env2.ffi.sizeof(pcd[0]),
                                              C.JET_ColInfo) == 0
        assert value_of(env2, t2, ck2, pcd.columnid, 1) == seen
        # and the instance takes changes again (the reserve logs are back)
        assert replace_row(env2, t2, ck2, pcd.columnid, 1, b"after") == 0
    finally:
        assert env2.term() == 0


@pytest.mark.parametrize("k", range(1, 13))
def test_failed_sync_is_never_retried_as_success(jet, tmp_path, faults, k):
    """One failed fsync, whichever it is (the log's, a database page flush of a
    checkpoint, a database header, the checkpoint file): the call that met it
    fails, and so does every later change although the disk works again
    (PostgreSQL's rule: a failed fsync may have dropped data the kernel no
    longer holds, retrying it would report success for lost writes).  JetTerm
    succeeds (dirty); the next JetInit has every acknowledged commit."""
    C = jet.C
    env = Env(jet, tmp_path, LogFileSize=64, CheckpointDepthMax=1)
    dbid, t, ck, cv = make_kv(env)
    faults(C.ESEPY_IO_SYNC, k, False)
    try:
        acked, failed_at = commit_through_fault(jet, env, t, ck, cv)
    except BaseException:
        env.term()
        raise
    assert env.term() == 0
    env2 = Env(jet, tmp_path, "again", LogFileSize=64)
    try:
        path = str(tmp_path / "a.edb").encode()
        assert env2.lib.JetAttachDatabase(env2.ses, path, 0) == 0
        t2, ck2 = open_kv(env2, path)
        keys = keys_of(env2, t2, ck2)
        # every acknowledged commit; the one that failed may be there too (durable before its error)
        assert keys in (acked, acked + [failed_at])
    finally:
        assert env2.term() == 0


def try_insert(env, t, values):
    """Insert a record; the error of JetUpdate (the update is cancelled then)."""
    lib, C, ffi = env.lib, env.C, env.ffi
    assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepInsert) == 0
    for colid, data in values:
        assert lib.JetSetColumn(env.ses, t, colid, data, len(data), 0, ffi.NULL) == 0
    err = lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL)
    if err < 0:
        assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepCancel) == 0
    return err


def commit_through_fault(jet, env, t, ck, cv):
    """Commit one row per transaction until a call fails; then check that
    nothing else succeeds although the fault is gone."""
    C, lib = env.C, env.lib
    acked = []
    for i in range(40):
        assert lib.JetBeginTransaction(env.ses) == 0
        err = try_insert(env, t, [(ck, struct.pack("<i", i)), (cv, b"w" * 200)])
        err = lib.JetCommitTransaction(env.ses, 0) if err >= 0 else err
        if err < 0:
            break
        acked.append(i)
    else:
        pytest.fail("no call met the failed sync")
    assert err in (C.JET_errLogWriteFail, C.JET_errDiskIO), jet.err_name(err)
    # the rollback cannot be logged any more: recovery will undo the transaction
    # (or the commit was done and the failure was the checkpoint's after it)
    assert lib.JetRollback(env.ses, C.JET_bitRollbackAll) in \
        (0, C.JET_errInstanceUnavailable, C.JET_errLogWriteFail, C.JET_errNotInTransaction)
    for j in range(3):  # later changes fail with a clear error, the disk works again
        assert try_insert(env, t, [(ck, struct.pack("<i", 1000 + j))]) in \
            (C.JET_errInstanceUnavailable, C.JET_errLogWriteFail)
        assert lib.JetCommitTransaction(env.ses, 0) < 0
    return acked, i
