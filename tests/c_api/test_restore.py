"""JetRestoreInstance through the C API: every return code of the seed
(../shared/seed/JetRestoreInstance.md) in the situation it describes, the
Remarks' scenarios end to end, progress, events and hostile backup sets."""
import hashlib
import os
import random
import shutil
import struct

import pytest

from test_backup import add_rows, backup, kv_env, reopen_keys, restore, status_recorder
from test_database import Env


def make_set(jet, tmp_path, rows=200, more=100, crash=True, **params):
    """live/ (an instance folder with a.edb), bk/ (a full backup after `rows`
    rows), then `more` rows committed and the instance stopped (dirty if crash)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=rows, **params)
    bk = tmp_path / "bk"
    bk.mkdir()
    assert backup(env, bk) == 0
    add_rows(env, range(rows, rows + more))
    if crash:
        assert env.term(jet.C.JET_bitTermDirty) == jet.C.JET_errDirtyShutdown
    else:
        assert env.term() == 0
    return live, bk


def digest(folder):
    out = {}
    for root, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            out[os.path.relpath(p, folder)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


def restore_ok(jet, folder, bk, dest=None, **params):
    err, inst = restore(jet, folder, bk, dest, **params)
    assert err == 0, jet.err_name(err)
    assert jet.lib.JetTerm(inst) == 0


# ---- the Remarks' scenarios -----------------------------------------------------------------


def test_restore_rolls_forward_to_the_most_recent_change(jet, tmp_path):
    live, bk = make_set(jet, tmp_path, rows=300, more=200)
    before = digest(bk)
    os.unlink(live / "a.edb")
    restore_ok(jet, live, bk)
    assert digest(bk) == before  # B3: the backup is read-only input
    assert reopen_keys(jet, live, live / "a.edb") == list(range(500))
    # The instance is usable afterwards, the log stream goes on.
    env = Env(jet, live, "after")
    try:
        assert env.lib.JetAttachDatabase(env.ses, str(live / "a.edb").encode(), 0) == 0
    finally:
        assert env.term() == 0


def test_restore_rolls_forward_over_a_clean_shutdown(jet, tmp_path):
    live, bk = make_set(jet, tmp_path, rows=100, more=40, crash=False)  # the logs detach the database
    restore_ok(jet, live, bk, tmp_path / "dest", CreatePathIfNotExist=1)
    assert reopen_keys(jet, live, tmp_path / "dest" / "a.edb") == list(range(140))


def test_restore_over_a_damaged_database(jet, tmp_path):
    live, bk = make_set(jet, tmp_path, rows=300, more=50)
    (live / "a.edb").write_bytes(b"\0" * 8192)  # ruined in place
    restore_ok(jet, live, bk)
    assert reopen_keys(jet, live, live / "a.edb") == list(range(350))


def test_restore_undoes_what_never_committed(jet, tmp_path):
    C, lib, ffi = jet.C, jet.lib, jet.ffi
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=100)
    # A second session has an open transaction during the backup and after.
    p = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
    s2 = p[0]
    pd = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(s2, str(live / "a.edb").encode(), ffi.NULL, pd, 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(s2, pd[0], b"kv", ffi.NULL, 0, 0, pt) == 0
    assert lib.JetBeginTransaction(s2) == 0
    for k in range(1000, 1050):
        assert lib.JetPrepareUpdate(s2, pt[0], C.JET_prepInsert) == 0
        v = struct.pack("<i", k)
        assert lib.JetSetColumn(s2, pt[0], env.ck, v, 4, 0, ffi.NULL) == 0
        assert lib.JetUpdate(s2, pt[0], ffi.NULL, 0, ffi.NULL) == 0
    bk = tmp_path / "bk"
    bk.mkdir()
    assert backup(env, bk) == 0
    add_rows(env, range(100, 120))
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    restore_ok(jet, tmp_path / "o1", bk, tmp_path / "d1", CreatePathIfNotExist=1)
    assert reopen_keys(jet, tmp_path / "o1", tmp_path / "d1" / "a.edb") == list(range(100))
    os.unlink(live / "a.edb")
    restore_ok(jet, live, bk)
    assert reopen_keys(jet, live, live / "a.edb") == list(range(120))


def test_full_plus_incrementals(jet, tmp_path):
    C = jet.C
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=100)
    bk = tmp_path / "bk"
    bk.mkdir()
    assert backup(env, bk) == 0
    for i in range(3):
        add_rows(env, range(100 + 50 * i, 150 + 50 * i))
        assert backup(env, bk, C.JET_bitBackupIncremental) == 0
    assert env.term() == 0
    restore_ok(jet, tmp_path / "other", bk, tmp_path / "dest", CreatePathIfNotExist=1)
    assert reopen_keys(jet, tmp_path / "other", tmp_path / "dest" / "a.edb") == list(range(250))


def test_circular_logging_reaches_the_backup_moment(jet, tmp_path):
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=200, CircularLog=1, LogFileSize=64, CheckpointDepthMax=64 * 1024)
    bk = tmp_path / "bk"
    bk.mkdir()
    assert backup(env, bk) == 0
    gens_bk = sorted(int(n[3:-4], 16) for n in os.listdir(bk) if n.startswith("edb0"))
    add_rows(env, range(200, 2500))  # the generations after the backup are reused
    assert env.term(jet.C.JET_bitTermDirty) == jet.C.JET_errDirtyShutdown
    lows = sorted(int(n[3:-4], 16) for n in os.listdir(live) if n.startswith("edb0") and n.endswith(".log"))
    cur = struct.unpack_from("<i", (live / "edb.log").read_bytes(), 12)[0]
    assert (lows[0] if lows else cur) > gens_bk[-1] + 1  # a hole: logs were recycled
    restore_ok(jet, live, bk, tmp_path / "dest", CreatePathIfNotExist=1)
    assert reopen_keys(jet, live, tmp_path / "dest" / "a.edb") == list(range(200))


def test_point_in_time_by_log_position(jet, tmp_path):
    C, lib, ffi = jet.C, jet.lib, jet.ffi
    live, bk = make_set(jet, tmp_path, rows=100, more=1100, LogFileSize=64)
    bkgens = sorted(int(n[3:-4], 16) for n in os.listdir(bk) if n.startswith("edb0"))
    gens = sorted(int(n[3:-4], 16) for n in os.listdir(live) if n.startswith("edb0") and n.endswith(".log"))
    later = [g for g in gens if g > bkgens[-1] + 1]
    assert later
    o = tmp_path / "o"
    o.mkdir()
    for gen, expect in ((bkgens[-1], C.JET_errEndingRestoreLogTooLow), (later[0], 0)):
        inst = jet.instance_in(live, "pit", LogFileSize=64)
        stop = ffi.new("JET_LGPOS *", {"lGeneration": gen, "isec": 1, "ib": 0})
        err = lib.EsepyRestoreInstance(inst, str(bk).encode(), str(o).encode(), stop, ffi.NULL, ffi.NULL)
        lib.JetTerm(inst)
        assert err == expect, jet.err_name(err)
    misc = ffi.new("JET_DBINFOMISC *")
    assert lib.JetGetDatabaseFileInfo(str(o / "a.edb").encode(), misc, ffi.sizeof(misc[0]), C.JET_DbInfoMisc) == 0
    assert misc.dbstate == C.JET_dbstateCleanShutdown
    keys = reopen_keys(jet, live, o / "a.edb")
    assert 100 < len(keys) < 1200 and keys == list(range(len(keys)))


def logtime(ffi, t):
    import time
    g = time.gmtime(t)
    ms = int((t % 1) * 1000)
    lt = ffi.new("JET_LOGTIME *")
    b = lambda v: bytes([v])  # noqa: E731  (char fields)
    lt.bYear, lt.bMonth, lt.bDay = b(g.tm_year - 1900), b(g.tm_mon), b(g.tm_mday)
    lt.bHours, lt.bMinutes, lt.bSeconds = b(g.tm_hour), b(g.tm_min), b(g.tm_sec)
    lt.fTimeIsUTC = 1
    lt.bMillisecondsLow, lt.bMillisecondsHigh = ms & 0x7F, ms >> 7
    return lt


def test_point_in_time_by_time(jet, tmp_path):
    import time
    lib, ffi = jet.lib, jet.ffi
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=50)
    bk = tmp_path / "bk"
    bk.mkdir()
    assert backup(env, bk) == 0
    add_rows(env, range(50, 100))
    time.sleep(0.05)
    stop = time.time()
    time.sleep(0.05)
    add_rows(env, range(100, 160))
    assert env.term(jet.C.JET_bitTermDirty) == jet.C.JET_errDirtyShutdown
    o = tmp_path / "o"
    o.mkdir()
    inst = jet.instance_in(live, "pit")
    err = lib.EsepyRestoreInstance(inst, str(bk).encode(), str(o).encode(), ffi.NULL, logtime(ffi, stop), ffi.NULL)
    lib.JetTerm(inst)
    assert err == 0, jet.err_name(err)
    assert reopen_keys(jet, live, o / "a.edb") == list(range(100))


# ---- every error of the seed ---------------------------------------------------------------


def test_already_initialized_and_invalid_handle(jet, tmp_path):
    C, lib = jet.C, jet.lib
    live, bk = make_set(jet, tmp_path, more=0, crash=False)
    env = Env(jet, tmp_path / "live", "running")
    try:
        assert lib.JetRestoreInstance(env.inst, str(bk).encode(), jet.ffi.NULL, jet.ffi.NULL) == \
            C.JET_errAlreadyInitialized
    finally:
        assert env.term() == 0
    keep = jet.instance_in(tmp_path / "live", "keep")  # multi-instance mode lasts while an instance exists
    try:
        assert lib.JetRestoreInstance(0xE100BAD0000001, str(bk).encode(), jet.ffi.NULL, jet.ffi.NULL) == \
            C.JET_errInvalidParameter
        assert lib.JetRestore(str(bk).encode(), jet.ffi.NULL) == C.JET_errRunningInMultiInstanceMode
        assert lib.JetRestore2(str(bk).encode(), jet.ffi.NULL, jet.ffi.NULL) == C.JET_errRunningInMultiInstanceMode
    finally:
        assert lib.JetTerm(keep) == 0


def test_invalid_paths(jet, tmp_path):
    C, lib = jet.C, jet.lib
    live, bk = make_set(jet, tmp_path, more=0, crash=False)
    o = tmp_path / "o"
    o.mkdir()
    inst = jet.instance_in(o, "paths")
    try:
        for src, dest in ((tmp_path / "nope", None), (bk, tmp_path / "no" / "dest"), (bk, bk / "inside")):
            err = lib.JetRestoreInstance(inst, str(src).encode(), str(dest).encode() if dest else jet.ffi.NULL,
                                         jet.ffi.NULL)
            assert err == C.JET_errInvalidPath, (src, dest, jet.err_name(err))
    finally:
        lib.JetTerm(inst)
    # The instance's log path is invalid (a file where a folder is expected).
    (tmp_path / "afile").write_bytes(b"x")
    inst = jet.instance_in(o, "badlog")
    assert jet.set_param(inst, C.JET_paramLogFilePath, 0, str(tmp_path / "afile") + "/") == 0
    try:
        assert lib.JetRestoreInstance(inst, str(bk).encode(), jet.ffi.NULL, jet.ffi.NULL) == C.JET_errInvalidPath
    finally:
        lib.JetTerm(inst)


def test_page_size_mismatch(subproc, tmp_path):
    subproc(f"""
        import os, pathlib, struct
        folder = pathlib.Path({str(tmp_path)!r})
        live, bk = folder / "live", folder / "bk"
        live.mkdir(); bk.mkdir()
        inst = jet.instance_in(live, "p8")
        assert lib.JetInit(ffi.new("JET_INSTANCE *", inst)) == 0
        ps = ffi.new("JET_SESID *"); assert lib.JetBeginSession(inst, ps, ffi.NULL, ffi.NULL) == 0
        pd = ffi.new("JET_DBID *")
        assert lib.JetCreateDatabase(ps[0], str(live / "a.edb").encode(), ffi.NULL, pd, 0) == 0
        assert lib.JetBackupInstance(inst, str(bk).encode(), 0, ffi.NULL) == 0
        assert lib.JetTerm(inst) == 0
    """)
    subproc(f"""
        import pathlib
        folder = pathlib.Path({str(tmp_path)!r})
        assert lib.JetSetSystemParameter(ffi.NULL, 0, C.JET_paramDatabasePageSize, 8192, ffi.NULL) == 0
        (folder / "o").mkdir()
        inst = jet.instance_in(folder / "o", "p16")
        err = lib.JetRestoreInstance(inst, str(folder / "bk").encode(), str(folder / "o").encode(), ffi.NULL)
        assert err == C.JET_errPageSizeMismatch, err
    """)


def test_legacy_restore_in_one_instance_mode(subproc, tmp_path):
    live, bk = tmp_path / "live", tmp_path / "bk"
    subproc(f"""
        import pathlib
        live, bk = pathlib.Path({str(live)!r}), pathlib.Path({str(bk)!r})
        live.mkdir(); bk.mkdir()
        for pid in (C.JET_paramSystemPath, C.JET_paramLogFilePath, C.JET_paramTempPath):
            assert lib.JetSetSystemParameter(ffi.NULL, 0, pid, 0, (str(live) + "/").encode()) == 0
        pinst = ffi.new("JET_INSTANCE *", 0)
        assert lib.JetInit(pinst) == 0
        ps = ffi.new("JET_SESID *"); assert lib.JetBeginSession(pinst[0], ps, ffi.NULL, ffi.NULL) == 0
        pd = ffi.new("JET_DBID *")
        assert lib.JetCreateDatabase(ps[0], str(live / "a.edb").encode(), ffi.NULL, pd, 0) == 0
        assert lib.JetBackup(str(bk).encode(), 0, ffi.NULL) == 0
        assert lib.JetRestore(str(bk).encode(), ffi.NULL) == C.JET_errAlreadyInitialized
        assert lib.JetTerm(pinst[0]) == 0
        (live / "a.edb").unlink()
        err = lib.JetRestore(str(bk).encode(), ffi.NULL)
        assert err == 0, jet.err_name(err)
        assert (live / "a.edb").exists()
        assert jet.process_state() == (0, 0)  # the restore's instance is gone again
    """)


def test_out_of_memory_then_success(jet, tmp_path):
    C, lib = jet.C, jet.lib
    live, bk = make_set(jet, tmp_path, rows=100, more=20)
    os.unlink(live / "a.edb")
    inst = jet.instance_in(live, "oom")
    try:
        for n in (1, 5, 30, 200):
            lib.EsepyTestFailAllocation(n, 0, jet.ffi.NULL)
            err = lib.JetRestoreInstance(inst, str(bk).encode(), jet.ffi.NULL, jet.ffi.NULL)
            lib.EsepyTestFailAllocation(0, 0, jet.ffi.NULL)
            assert err in (C.JET_errOutOfMemory, 0), jet.err_name(err)
            if err == C.JET_errOutOfMemory:
                assert jet.lib.JetBeginExternalBackupInstance(inst, 0) == C.JET_errNotInitialized  # still uninitialized
        assert lib.JetRestoreInstance(inst, str(bk).encode(), jet.ffi.NULL, jet.ffi.NULL) == 0
    finally:
        lib.JetTerm(inst)
    assert reopen_keys(jet, live, live / "a.edb") == list(range(120))


def flip(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def test_read_verify_failure_in_the_backup(jet, tmp_path):
    live, bk = make_set(jet, tmp_path, rows=500, more=0, crash=False)
    flip(bk / "a.edb", 4 * 4096 + 200)
    err, inst = restore(jet, tmp_path / "o", bk, tmp_path / "o")
    jet.lib.JetTerm(inst)
    assert err == jet.C.JET_errReadVerifyFailure


def test_log_file_corrupt_and_missing(jet, tmp_path):
    C = jet.C
    live, bk = make_set(jet, tmp_path, rows=300, more=0, crash=False, LogFileSize=64)
    logs = sorted(n for n in os.listdir(bk) if n.startswith("edb0"))
    assert len(logs) >= 3
    saved = (bk / logs[1]).read_bytes()
    flip(bk / logs[1], 4096 + 700)
    err, inst = restore(jet, tmp_path / "o", bk, tmp_path / "o", LogFileSize=64)
    jet.lib.JetTerm(inst)
    assert err == C.JET_errLogFileCorrupt, jet.err_name(err)
    (bk / logs[1]).unlink()
    err, inst = restore(jet, tmp_path / "o", bk, tmp_path / "o", LogFileSize=64)
    jet.lib.JetTerm(inst)
    assert err == C.JET_errMissingLogFile, jet.err_name(err)
    (bk / logs[1]).write_bytes(saved)
    restore_ok(jet, tmp_path / "o", bk, tmp_path / "o", LogFileSize=64)  # corrected: succeeds
    assert reopen_keys(jet, tmp_path / "o", tmp_path / "o" / "a.edb") == list(range(300))


def test_patch_file_missing_and_non_backup_database(jet, tmp_path):
    C = jet.C
    live, bk = make_set(jet, tmp_path, rows=50, more=0, crash=False)
    os.rename(bk / "a.pat", tmp_path / "a.pat")
    err, inst = restore(jet, tmp_path / "o", bk, tmp_path / "o")
    jet.lib.JetTerm(inst)
    assert err == C.JET_errPatchFileMissing
    os.rename(tmp_path / "a.pat", bk / "a.pat")
    saved = (bk / "a.edb").read_bytes()
    shutil.copyfile(live / "a.edb", bk / "a.edb")  # a plain (clean) database, not a backup copy
    err, inst = restore(jet, tmp_path / "o", bk, tmp_path / "o")
    jet.lib.JetTerm(inst)
    assert err == C.JET_errRestoreOfNonBackupDatabase
    (bk / "a.edb").write_bytes(saved[:-4096])  # truncated: the trailer is gone
    err, inst = restore(jet, tmp_path / "o", bk, tmp_path / "o")
    jet.lib.JetTerm(inst)
    assert err == C.JET_errDatabasePatchFileMismatch
    (bk / "a.edb").write_bytes(saved)
    restore_ok(jet, tmp_path / "o", bk, tmp_path / "o")


def test_attached_database_mismatch(jet, tmp_path):
    C, lib, ffi = jet.C, jet.lib, jet.ffi
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=20)
    pd = ffi.new("JET_DBID *")
    assert lib.JetCreateDatabase(env.ses, str(live / "b.edb").encode(), ffi.NULL, pd, 0) == 0
    bk = tmp_path / "bk"
    bk.mkdir()
    assert backup(env, bk) == 0
    assert env.term() == 0
    # The set no longer holds b.edb, which the logs attach until their end.
    os.unlink(bk / "b.edb")
    os.unlink(bk / "b.pat")
    err, inst = restore(jet, tmp_path / "o", bk, tmp_path / "o")
    lib.JetTerm(inst)
    assert err == C.JET_errAttachedDatabaseMismatch, jet.err_name(err)


def test_database_sharing_violation(jet, tmp_path):
    C = jet.C
    live, bk = make_set(jet, tmp_path, rows=20, more=0, crash=False)
    env = Env(jet, live, "holder")
    try:
        assert env.lib.JetAttachDatabase(env.ses, str(live / "a.edb").encode(), 0) == 0
        # Another instance (other folders) restores over the database in use.
        err, inst = restore(jet, tmp_path / "o", bk)
        jet.lib.JetTerm(inst)
        assert err == C.JET_errDatabaseSharingViolation, jet.err_name(err)
    finally:
        assert env.term() == 0


def test_invalid_log_sequence(jet, tmp_path):
    C = jet.C
    live, bk = make_set(jet, tmp_path, rows=20, more=10)
    # Logs of another stream in the log path.
    other = tmp_path / "otherstream"
    env = kv_env(jet, other, "other", rows=5)
    assert env.term() == 0
    err, inst = restore(jet, other, bk, tmp_path / "d", CreatePathIfNotExist=1)
    jet.lib.JetTerm(inst)
    assert err == C.JET_errInvalidLogSequence, jet.err_name(err)
    # A hole between the set and the log path (no circular logging).
    live, bk = make_set(jet, tmp_path / "gap", rows=20, more=800, LogFileSize=64)
    bkgens = sorted(n for n in os.listdir(bk) if n.startswith("edb0"))
    nxt = live / ("edb%05X.log" % (int(bkgens[-1][3:-4], 16) + 1))
    assert nxt.exists()
    os.unlink(nxt)
    err, inst = restore(jet, live, bk, tmp_path / "d2", CreatePathIfNotExist=1, LogFileSize=64)
    jet.lib.JetTerm(inst)
    assert err == C.JET_errInvalidLogSequence, jet.err_name(err)


# ---- progress, events, cancellation ----------------------------------------------------------


def test_restore_progress_and_cancel(jet, tmp_path):
    C = jet.C
    live, bk = make_set(jet, tmp_path, rows=2000, more=500)
    before = digest(bk)
    pfn, calls = status_recorder(jet, fail_at=3, err=C.JET_errCallbackFailed)
    err, inst = restore(jet, live, bk, tmp_path / "d", pfn=pfn, CreatePathIfNotExist=1)
    assert err == C.JET_errCallbackFailed
    assert calls[-1][1] == C.JET_sntFail
    assert jet.lib.JetBeginExternalBackupInstance(inst, 0) == C.JET_errNotInitialized
    jet.lib.JetTerm(inst)
    assert digest(bk) == before
    pfn, calls = status_recorder(jet)
    err, inst = restore(jet, live, bk, tmp_path / "d", pfn=pfn, CreatePathIfNotExist=1)
    assert err == 0
    jet.lib.JetTerm(inst)
    assert calls[0][:2] == (C.JET_snpRestore, C.JET_sntBegin)
    assert calls[-1][:2] == (C.JET_snpRestore, C.JET_sntComplete)
    done = [c[2] for c in calls]
    assert done == sorted(done) and calls[-1][2] == calls[-1][3]
    assert sum(1 for c in calls if c[1] == C.JET_sntProgress) >= 2
    assert reopen_keys(jet, live, tmp_path / "d" / "a.edb") == list(range(2500))


def test_restore_events(jet, tmp_path):
    from test_events import events as _unused  # noqa: F401  (fixture module)
    C, lib, ffi = jet.C, jet.lib, jet.ffi
    live, bk = make_set(jet, tmp_path, rows=50, more=10)
    got = []

    @ffi.callback("void(const ESEPY_EVENT *, void *)")
    def sink(ev, ctx):
        got.append((ev.eventid, ffi.string(ev.szMessage).decode()))

    assert lib.EsepySetEventCallback(sink, ffi.NULL) == 0
    try:
        restore_ok(jet, live, bk, tmp_path / "d", CreatePathIfNotExist=1)
    finally:
        import esepy._events
        assert lib.EsepySetEventCallback(ffi.NULL, ffi.NULL) == 0
        esepy._events.install()
    ids = [g[0] for g in got]
    assert ids[0] == C.ESEPY_EVENT_RESTORE_BEGIN and ids[-1] == C.ESEPY_EVENT_RESTORE_DONE
    assert C.ESEPY_EVENT_RECOVERY_GENERATION in ids  # each generation replayed


# ---- hostile backup sets -----------------------------------------------------------------------


def test_symlink_in_the_set_is_refused(jet, tmp_path):
    live, bk = make_set(jet, tmp_path, rows=10, more=0, crash=False)
    os.symlink("/etc/passwd", bk / "evil.edb")
    err, inst = restore(jet, tmp_path / "o", bk, tmp_path / "o")
    jet.lib.JetTerm(inst)
    assert err == jet.C.JET_errInvalidPath


def test_fuzz_backup_set_reader(jet, tmp_path):
    """Bit flips and truncations anywhere in a set: a JET error or a correct
    restore, never a crash, a hang or wrong data."""
    live, bk = make_set(jet, tmp_path, rows=150, more=0, crash=False)
    pristine = {n: (bk / n).read_bytes() for n in os.listdir(bk)}
    rnd = random.Random(1234)
    for i in range(40):
        for n, data in pristine.items():
            (bk / n).write_bytes(data)
        name = rnd.choice(sorted(pristine))
        data = bytearray(pristine[name])
        if data and rnd.random() < 0.7:
            for _ in range(rnd.randint(1, 4)):
                data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
        else:
            data = data[:rnd.randrange(len(data) + 1)]
        (bk / name).write_bytes(bytes(data))
        out = tmp_path / f"o{i}"
        err, inst = restore(jet, out, bk, out)
        jet.lib.JetTerm(inst)
        if err >= 0:
            assert reopen_keys(jet, out, out / "a.edb", f"c{i}") == list(range(150))


def test_bad_page_link_met_during_replay(jet, tmp_path):
    """A page of the copy zeroed (as if never written) that a tree still links
    to, and that replay does not rewrite: JET_errBadPageLink, never a restore
    that silently lost rows."""
    C, lib = jet.C, jet.lib
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=0, LogFileSize=64, CheckpointDepthMax=64 * 1024)
    add_rows(env, range(3000))  # the checkpoint moves on: the set starts late
    bk = tmp_path / "bk"
    bk.mkdir()
    assert backup(env, bk) == 0
    assert env.term() == 0
    orig = (bk / "a.edb").read_bytes()
    errs = []
    for pg in range(2, 12):
        data = bytearray(orig)
        data[(pg + 1) * 4096:(pg + 2) * 4096] = bytes(4096)
        (bk / "a.edb").write_bytes(bytes(data))
        out = tmp_path / f"o{pg}"
        err, inst = restore(jet, out, bk, out, LogFileSize=64)
        lib.JetTerm(inst)
        errs.append(err)
        if err == 0:  # replay rebuilt that page: then every row is there
            assert reopen_keys(jet, out, out / "a.edb", f"c{pg}") == list(range(3000))
    assert C.JET_errBadPageLink in errs
    assert set(errs) <= {0, C.JET_errBadPageLink}


def test_cancelled_or_incomplete_sets(jet, tmp_path):
    C = jet.C
    live, bk = make_set(jet, tmp_path, rows=30, more=0, crash=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    err, inst = restore(jet, tmp_path / "o1", empty, tmp_path / "o1")
    jet.lib.JetTerm(inst)
    assert err == C.JET_errMissingLogFile  # what a cancelled backup leaves: nothing to restore
    logs_only = tmp_path / "logs_only"
    logs_only.mkdir()
    for n in os.listdir(bk):
        if n.endswith(".log"):
            shutil.copyfile(bk / n, logs_only / n)
    (logs_only / "a.edb.tmp").write_bytes(b"partial copy")  # a copy interrupted mid-way
    err, inst = restore(jet, tmp_path / "o2", logs_only, tmp_path / "o2")
    jet.lib.JetTerm(inst)
    assert err == C.JET_errPatchFileMissing


def test_log_folder_inside_the_backup_is_refused(jet, tmp_path):
    """Restore writes new log data and a checkpoint: never into the backup set (B3)."""
    live, bk = make_set(jet, tmp_path, rows=10, more=0, crash=False)
    before = digest(bk)
    inst = jet.instance_in(bk, "inbk")  # system and log paths = the backup folder
    err = jet.lib.JetRestoreInstance(inst, str(bk).encode(), str(tmp_path / "d").encode(), jet.ffi.NULL)
    jet.lib.JetTerm(inst)
    assert err == jet.C.JET_errInvalidPath
    assert digest(bk) == before


# ---- planted symbolic links (B4: restore never writes through a link) -----------------------


VICTIM = b"precious data that restore must never overwrite\n" * 100


def plant(link, tmp_path, name="victim"):
    """A symbolic link at `link` to a file holding VICTIM; returns the target."""
    target = tmp_path / name
    target.write_bytes(VICTIM)
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)
    return target


def test_planted_link_at_the_working_copy_is_refused(jet, tmp_path):
    C = jet.C
    live, bk = make_set(jet, tmp_path, rows=50, more=10, crash=False)
    dest = tmp_path / "dest"
    target = plant(dest / "a.edb.restoring", tmp_path)
    err, inst = restore(jet, tmp_path / "o1", bk, dest, CreatePathIfNotExist=1)
    jet.lib.JetTerm(inst)
    assert err == C.JET_errInvalidPath, jet.err_name(err)
    assert target.read_bytes() == VICTIM
    assert os.path.islink(dest / "a.edb.restoring")  # left as it was: not ours to remove
    assert not os.path.exists(dest / "a.edb")
    # Once the link is gone the same restore goes through.
    os.unlink(dest / "a.edb.restoring")
    restore_ok(jet, tmp_path / "o2", bk, dest)
    assert reopen_keys(jet, tmp_path / "o2", dest / "a.edb") == list(range(50))
    assert target.read_bytes() == VICTIM


def test_dangling_link_at_the_working_copy_creates_nothing(jet, tmp_path):
    live, bk = make_set(jet, tmp_path, rows=20, more=0, crash=False)
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(tmp_path / "nowhere", dest / "a.edb.restoring")
    err, inst = restore(jet, tmp_path / "o1", bk, dest)
    jet.lib.JetTerm(inst)
    assert err == jet.C.JET_errInvalidPath
    assert not os.path.exists(tmp_path / "nowhere")


def test_planted_link_at_the_destination_is_refused(jet, tmp_path):
    live, bk = make_set(jet, tmp_path, rows=20, more=0, crash=False)
    dest = tmp_path / "dest"
    target = plant(dest / "a.edb", tmp_path)
    err, inst = restore(jet, tmp_path / "o1", bk, dest)
    jet.lib.JetTerm(inst)
    assert err == jet.C.JET_errInvalidPath
    assert target.read_bytes() == VICTIM
    assert os.path.islink(dest / "a.edb")


def test_stale_working_copy_of_an_interrupted_restore_is_replaced(jet, tmp_path):
    live, bk = make_set(jet, tmp_path, rows=40, more=0, crash=False)
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "a.edb.restoring").write_bytes(b"half a copy" * 1000)  # a regular file: ours, stale
    restore_ok(jet, tmp_path / "o1", bk, dest)
    assert not os.path.exists(dest / "a.edb.restoring")
    assert reopen_keys(jet, tmp_path / "o1", dest / "a.edb") == list(range(40))


def test_planted_checkpoint_link_in_the_system_folder_is_refused(jet, tmp_path):
    C = jet.C
    live, bk = make_set(jet, tmp_path, rows=20, more=0, crash=False)
    out = tmp_path / "o1"
    target = plant(out / "edb.chk", tmp_path)
    err, inst = restore(jet, out, bk, tmp_path / "dest", CreatePathIfNotExist=1)
    jet.lib.JetTerm(inst)
    assert err == C.JET_errInvalidPath, jet.err_name(err)
    assert target.read_bytes() == VICTIM
    assert os.path.islink(out / "edb.chk")


def test_planted_log_link_is_refused_by_recovery(jet, tmp_path):
    """The log files the log writer creates or reuses (edbtmp.log, the reserve logs) are
    never opened for writing through a link; a linked edb.log is read (it is not a log)
    and never written."""
    C = jet.C
    for name, want in (("edb.log", C.JET_errLogFileCorrupt), ("edbtmp.log", C.JET_errInvalidPath),
                       ("edbres00001.jrs", C.JET_errInvalidPath)):
        out = tmp_path / name
        target = plant(out / name, tmp_path, "victim-" + name)
        inst = jet.instance_in(out, "ln" + name.replace(".", ""))
        err = jet.lib.JetInit(jet.ffi.new("JET_INSTANCE *", inst))
        jet.lib.JetTerm(inst)
        assert err == want, (name, jet.err_name(err))
        assert target.read_bytes() == VICTIM


def test_database_creation_never_truncates_through_a_link(jet, tmp_path):
    """JetCreateDatabase(JET_bitDbOverwriteExisting) over a link, and a temp database path
    that is a link: JET_errInvalidPath, the target untouched."""
    C = jet.C
    folder = tmp_path / "inst"
    folder.mkdir()
    target = plant(folder / "a.edb", tmp_path)
    env = Env(jet, folder, "mk")
    try:
        err, _ = env.create_db("a.edb", C.JET_bitDbOverwriteExisting)
        assert err == C.JET_errInvalidPath, jet.err_name(err)
        assert target.read_bytes() == VICTIM
        err, _ = env.create_db("a.edb")
        assert err == C.JET_errDatabaseDuplicate
    finally:
        assert env.term() == 0
    assert target.read_bytes() == VICTIM
