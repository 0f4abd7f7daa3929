"""Out-of-memory loops (issue 14, "what to build" 4), as SQLite tests its
malloc failures: fail the k-th engine allocation for k = 1, 2, ... through a
whole piece of work -- JetInit with crash recovery, DML with long values and a
durable commit, an index build, a backup, JetTerm; and JetRestoreInstance --
and check, for every k, that

* the failing call returns JET_errOutOfMemory (never a crash, never another
  error, never a silent success);
* once allocations succeed again the instance can still be stopped;
* nothing leaked: the engine's count of live allocations
  (EsepyTestLiveAllocations) is back where it was;
* the data is intact: a fault-free recovery finds the transaction either
  wholly committed (when JetCommitTransaction returned success) or not at
  all, every long value whole.

Each k starts from a freshly prepared instance folder (always at the same
path: the log names its databases by absolute path, so a copy would not do).
"""
import gc
import os
import pathlib
import shutil
import struct
import tempfile

import pytest

from test_backup import kv_env

ROWS = 12  # rows of the transaction under test
LV = 9000  # bytes of each row's long value (several long-value chunks)

# JetCreateInstance .. JetTerm: the allocations of one run are far fewer than
# this; the loop stops at the first k that no longer hits a fault.
K_MAX = 6000


@pytest.fixture
def mem_path(tmp_path):
    """A scratch folder in memory (tmpfs) where the machine has one: the loops
    run the engine thousands of times, and what they test is memory, not the
    disk's fsync latency."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    if base is None:
        yield tmp_path
        return
    folder = tempfile.mkdtemp(prefix="esepy-oom-", dir=base)
    try:
        yield pathlib.Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Failed(Exception):
    """A JET call returned an error; .err is the code, .call its name."""

    def __init__(self, call, err):
        super().__init__(f"{call} -> {err}")
        self.call, self.err = call, err


def live(jet):
    p = jet.ffi.new("int64_t *")
    assert jet.lib.EsepyTestLiveAllocations(p) == 0
    return p[0]


def prepare(jet, folder):
    """An instance folder with a.edb (table kv: k long primary key, v long
    binary) holding rows 0..9, stopped dirty so that the next JetInit recovers."""
    C = jet.C
    env = kv_env(jet, folder, "prep", LogFileSize=128)
    lib, ses = env.lib, env.ses
    p = env.ffi.new("JET_COLUMNID *")
    cd = env.ffi.new("JET_COLUMNDEF *", {"cbStruct": env.ffi.sizeof("JET_COLUMNDEF"),
                                          "coltyp": C.JET_coltypLongBinary})
    assert lib.JetAddColumn(ses, env.t, b"lv", cd, env.ffi.NULL, 0, p) == 0
    for k in range(10):
        assert env.insert(env.t, [(env.ck, struct.pack("<i", k)), (p[0], payload(k))]) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown


def payload(k):
    return bytes([k % 251]) * LV


class Run:
    """One piece of work against an instance folder; every call goes through
    `call`, which raises Failed on an error."""

    def __init__(self, jet, folder):
        self.jet, self.lib, self.ffi, self.C = jet, jet.lib, jet.ffi, jet.C
        self.folder = folder
        self.inst = None
        self.ses = None
        self.committed = False
        self.in_txn = False

    def call(self, name, *args):
        err = getattr(self.lib, name)(*args)
        if err < 0:
            raise Failed(name, err)
        return err

    def start(self):
        jet, C, ffi = self.jet, self.C, self.ffi
        p = ffi.new("JET_INSTANCE *")
        self.call("JetCreateInstance", p, b"oom")
        self.inst = p[0]
        folder = str(self.folder).rstrip("/") + "/"
        for pid in (C.JET_paramSystemPath, C.JET_paramLogFilePath, C.JET_paramTempPath):
            self.call("JetSetSystemParameter", p, 0, pid, 0, folder.encode())
        self.call("JetSetSystemParameter", p, 0, C.JET_paramLogFileSize, 128, ffi.NULL)
        try:
            self.call("JetInit", p)
        finally:
            if p[0] == 0:  # a failed init freed the instance (as ESENT does)
                self.inst = None
        ps = ffi.new("JET_SESID *")
        self.call("JetBeginSession", self.inst, ps, ffi.NULL, ffi.NULL)
        self.ses = ps[0]
        self.call("JetAttachDatabase", self.ses, str(self.folder / "a.edb").encode(), 0)

    def dml(self):
        C, ffi, ses = self.C, self.ffi, self.ses
        path = str(self.folder / "a.edb").encode()
        pd = ffi.new("JET_DBID *")
        self.call("JetOpenDatabase", ses, path, ffi.NULL, pd, 0)
        pt = ffi.new("JET_TABLEID *")
        self.call("JetOpenTable", ses, pd[0], b"kv", ffi.NULL, 0, 0, pt)
        t = pt[0]
        cols = {}
        for name in (b"k", b"v", b"lv"):
            cd = ffi.new("JET_COLUMNDEF *")
            self.call("JetGetTableColumnInfo", ses, t, name, cd, ffi.sizeof(cd[0]), C.JET_ColInfo)
            cols[name] = cd.columnid
        self.call("JetBeginTransaction", ses)
        self.in_txn = True
        for k in range(100, 100 + ROWS):
            self.call("JetPrepareUpdate", ses, t, C.JET_prepInsert)
            self.call("JetSetColumn", ses, t, cols[b"k"], struct.pack("<i", k), 4, 0, ffi.NULL)
            self.call("JetSetColumn", ses, t, cols[b"v"], b"value %d" % k, 8, 0, ffi.NULL)
            lv = payload(k)
            self.call("JetSetColumn", ses, t, cols[b"lv"], lv, len(lv), 0, ffi.NULL)
            self.call("JetUpdate", ses, t, ffi.NULL, 0, ffi.NULL)
        # replace one old row's long value, delete another
        self.call("JetMakeKey", ses, t, struct.pack("<i", 3), 4, C.JET_bitNewKey)
        self.call("JetSeek", ses, t, C.JET_bitSeekEQ)
        self.call("JetPrepareUpdate", ses, t, C.JET_prepReplace)
        lv = payload(103)
        self.call("JetSetColumn", ses, t, cols[b"lv"], lv, len(lv), 0, ffi.NULL)
        self.call("JetUpdate", ses, t, ffi.NULL, 0, ffi.NULL)
        self.call("JetMakeKey", ses, t, struct.pack("<i", 4), 4, C.JET_bitNewKey)
        self.call("JetSeek", ses, t, C.JET_bitSeekEQ)
        self.call("JetDelete", ses, t)
        self.call("JetCommitTransaction", ses, 0)
        self.in_txn = False
        self.committed = True
        # an index build after the commit (it has its own transaction)
        self.call("JetCreateIndex", ses, t, b"by_v", 0, b"+v\0\0", 4, 100)
        self.call("JetCloseTable", ses, t)

    def backup(self, target):
        target.mkdir(exist_ok=True)
        self.call("JetBackupInstance", self.inst, str(target).encode(), 0, self.ffi.NULL)

    def stop(self):
        self.call("JetEndSession", self.ses, 0)
        self.ses = None
        err = self.lib.JetTerm(self.inst)
        self.inst = None
        if err < 0:
            raise Failed("JetTerm", err)

    def cleanup(self):
        """With allocations working again: end what a failure left open."""
        lib = self.lib
        if self.ses is not None and self.in_txn:
            lib.JetRollback(self.ses, self.C.JET_bitRollbackAll)
        if self.inst is not None:
            return lib.JetTerm(self.inst)
        return 0


def check_contents(jet, folder, committed):
    """Recover `folder` without faults and check its rows: 0..9 as prepared,
    plus the transaction's rows when it committed (row 3's long value replaced,
    row 4 deleted), every long value whole."""
    from test_database import Env
    C, ffi = jet.C, jet.ffi
    env = Env(jet, folder, "check", LogFileSize=128)
    try:
        lib, ses = env.lib, env.ses
        path = str(folder / "a.edb").encode()
        err = lib.JetAttachDatabase(ses, path, 0)
        assert err in (0, C.JET_wrnDatabaseAttached), jet.err_name(err)
        pd = ffi.new("JET_DBID *")
        assert lib.JetOpenDatabase(ses, path, ffi.NULL, pd, 0) == 0
        pt = ffi.new("JET_TABLEID *")
        assert lib.JetOpenTable(ses, pd[0], b"kv", ffi.NULL, 0, 0, pt) == 0
        t = pt[0]
        cols = {}
        for name in (b"k", b"lv"):
            cd = ffi.new("JET_COLUMNDEF *")
            assert lib.JetGetTableColumnInfo(ses, t, name, cd, ffi.sizeof(cd[0]), C.JET_ColInfo) == 0
            cols[name] = cd.columnid
        got = {}
        buf = ffi.new("char[]", 4 * LV)
        pcb = ffi.new("uint32_t *")
        err = lib.JetMove(ses, t, C.JET_MoveFirst, 0)
        while err == 0:
            assert lib.JetRetrieveColumn(ses, t, cols[b"k"], buf, 4, pcb, 0, ffi.NULL) == 0
            k = struct.unpack("<i", bytes(ffi.buffer(buf, 4)))[0]
            e = lib.JetRetrieveColumn(ses, t, cols[b"lv"], buf, 4 * LV, pcb, 0, ffi.NULL)
            assert e == 0, jet.err_name(e)
            got[k] = bytes(ffi.buffer(buf, pcb[0]))
            err = lib.JetMove(ses, t, C.JET_MoveNext, 0)
        assert err == C.JET_errNoCurrentRecord, jet.err_name(err)
        want = {k: payload(k) for k in range(10)}
        if committed:
            want.update({k: payload(k) for k in range(100, 100 + ROWS)})
            want[3] = payload(103)
            del want[4]
        assert sorted(got) == sorted(want)
        assert got == want
    finally:
        assert env.term() == 0


def oom_loop(jet, tmp_path, work, k_from=1, stride=1):
    """Run `work(run, folder)` with the k-th allocation failing, for every k
    until a run hits no fault; yield (k, folder, run, err) after each failed
    run, once allocations work again and nothing leaked."""
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    hits = ffi.new("uint32_t *")
    failures = 0
    folder = tmp_path / "work"
    for k in range(k_from, K_MAX, stride):
        if folder.exists():
            shutil.rmtree(folder)
        prepare(jet, folder)
        gc.collect()  # finalise earlier tests' Python objects now, not inside the window
        base = live(jet)
        run = Run(jet, folder)
        lib.EsepyTestFailAllocation(k, 0, ffi.NULL)
        err = 0
        try:
            work(run, folder)
        except Failed as e:
            err = e.err
            where = e.call
        finally:
            lib.EsepyTestFailAllocation(0, 0, hits)
        if hits[0] == 0:
            assert err == 0, f"k={k}: {where} failed with {jet.err_name(err)} without a failed allocation"
            assert live(jet) == base, f"k={k}: a fault-free run leaked {live(jet) - base} blocks"
            break
        if err != 0:
            failures += 1
            assert err == C.JET_errOutOfMemory, f"k={k}: {where} returned {jet.err_name(err)}, not OutOfMemory"
        # Either the failed allocation was absorbed (a fallback, a retry,
        # a best-effort cache) and the work succeeded, or it was reported.
        term = run.cleanup()
        assert term in (0, C.JET_errDirtyShutdown), f"k={k}: JetTerm after the fault: {jet.err_name(term)}"
        assert jet.process_state() == (0, 0)
        assert live(jet) == base, f"k={k} ({where if err else 'no error'}): {live(jet) - base} blocks leaked"
        yield k, folder, run, err
    else:
        pytest.fail("the work never ran without a fault")
    assert failures > 20  # the loop really failed allocations


def test_out_of_memory_through_recovery_dml_index_and_term(jet, mem_path):
    tmp_path = mem_path
    """JetInit (recovery) + DML with long values + durable commit + index
    build + JetTerm: every allocation failure is reported and harmless."""
    def work(run, folder):
        run.start()
        run.dml()
        run.stop()

    for k, folder, run, err in oom_loop(jet, tmp_path, work):
        check_contents(jet, folder, run.committed)


def test_out_of_memory_during_backup(jet, mem_path):
    tmp_path = mem_path
    """A backup whose k-th allocation fails reports it, leaves a set that is
    either complete (it succeeded) or refused by restore, and the instance
    goes on."""
    def work(run, folder):
        run.start()
        run.backup(folder / "bk")
        run.stop()

    for k, folder, run, err in oom_loop(jet, tmp_path, work, stride=1):
        check_contents(jet, folder, False)


def test_out_of_memory_during_restore(jet, mem_path):
    tmp_path = mem_path
    """JetRestoreInstance with the k-th allocation failing: OutOfMemory, the
    instance still not initialized, and the next restore succeeds."""
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    live_folder = tmp_path / "live"
    prepare(jet, live_folder)
    run = Run(jet, live_folder)
    run.start()
    run.backup(tmp_path / "bk")
    run.stop()
    hits = ffi.new("uint32_t *")
    failures = 0
    for k in range(1, K_MAX):
        dest = tmp_path / f"r{k}"
        dest.mkdir()
        gc.collect()  # finalise earlier tests' Python objects now, not inside the window
        base = live(jet)
        p = ffi.new("JET_INSTANCE *")
        assert lib.JetCreateInstance(p, b"rst") == 0
        d = (str(dest) + "/").encode()
        for pid in (C.JET_paramSystemPath, C.JET_paramLogFilePath, C.JET_paramTempPath):
            assert lib.JetSetSystemParameter(p, 0, pid, 0, d) == 0
        assert lib.JetSetSystemParameter(p, 0, C.JET_paramLogFileSize, 128, ffi.NULL) == 0
        lib.EsepyTestFailAllocation(k, 0, ffi.NULL)
        err = lib.JetRestoreInstance(p[0], str(tmp_path / "bk").encode(), d, ffi.NULL)
        lib.EsepyTestFailAllocation(0, 0, hits)
        if hits[0] == 0:
            assert err == 0, jet.err_name(err)
        elif err != 0:
            failures += 1
            assert err == C.JET_errOutOfMemory, f"k={k}: {jet.err_name(err)}"
            # a second restore into the same place, fault-free, succeeds
            err = lib.JetRestoreInstance(p[0], str(tmp_path / "bk").encode(), d, ffi.NULL)
            assert err == 0, f"k={k}: retry: {jet.err_name(err)}"
        assert lib.JetTerm(p[0]) == 0
        assert live(jet) == base, f"k={k}: {live(jet) - base} blocks leaked"
        check_contents(jet, dest, False)
        shutil.rmtree(dest)
        if hits[0] == 0:
            break
    else:
        pytest.fail("restore never ran without a fault")
    assert failures > 20


def test_failed_create_database_leaves_no_file(jet, mem_path):
    """JetCreateDatabase whose k-th allocation fails returns OutOfMemory and leaves no
    database file behind (the next create of the same name succeeds without
    JET_bitDbOverwriteExisting); nothing leaks."""
    from test_database import Env
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    (mem_path / "warm").mkdir()
    assert Env(jet, mem_path / "warm", "oomwarm").term() == 0  # the process's lazily made state
    gc.collect()
    base = live(jet)
    env = Env(jet, mem_path, "oomcreate")
    hits = ffi.new("uint32_t *")
    failures = 0
    try:
        for k in range(1, K_MAX):
            path = mem_path / f"c{k}.edb"
            p = ffi.new("JET_DBID *")
            lib.EsepyTestFailAllocation(k, 0, ffi.NULL)
            err = lib.JetCreateDatabase(env.ses, str(path).encode(), ffi.NULL, p, 0)
            lib.EsepyTestFailAllocation(0, 0, hits)
            if hits[0] == 0:
                assert err == 0, jet.err_name(err)
                break
            if err < 0:
                failures += 1
                assert err == C.JET_errOutOfMemory, f"k={k}: {jet.err_name(err)}"
                assert not path.exists(), f"k={k}: the failed create left {path.name} behind"
                assert lib.JetCreateDatabase(env.ses, str(path).encode(), ffi.NULL, p, 0) == 0
            assert lib.JetCloseDatabase(env.ses, p[0], 0) == 0
            assert lib.JetDetachDatabase(env.ses, str(path).encode()) == 0
        else:
            pytest.fail("the create never ran without a fault")
        assert failures >= 5
    finally:
        assert env.term() == 0
    gc.collect()
    assert live(jet) == base  # nothing leaked over the whole instance
