"""JetCommitTransaction2's commit id and commit time, and
JET_paramDurableCommitCallback, through the C API (cffi).

ESENT's behaviour stated here (ManagedEsent's DurableCommitTests check the
same on Windows):

* the commit id of a logged level-0 commit carries the log's signature and
  the log position (JET_LGPOS as a 64-bit number) of the commit record; ids
  grow with every commit;
* the durable-commit callback is called with the position the log is durable
  up to; a commit is durable once a reported id is greater than its id.  A
  durable commit is reported before JetCommitTransaction2 returns;
* a lazy commit (JET_bitCommitLazyFlush) with cmsecDurableCommit > 0 becomes
  durable within that time without any other call; a later lazy commit with
  a shorter time brings the flush forward;
* JetCommitTransaction(JET_bitWaitLastLevel0Commit) makes earlier lazy
  commits durable (and reported) before it returns.
"""
import struct
import threading

import pytest

from test_database import Env, make_kv

WAIT = 120  # seconds: only a bound against hanging, never part of what is asserted


class Seen:
    """A JET_PFNDURABLECOMMITCALLBACK that records what it is told."""

    def __init__(self, jet, hook=None):
        self.ffi = jet.ffi
        self.cond = threading.Condition()
        self.ids = []
        self.grbits = []
        self.signs = []
        self.threads = set()
        self.hook = hook

        @jet.ffi.callback("JET_ERR(JET_INSTANCE, JET_COMMIT_ID *, JET_GRBIT)")
        def cb(inst, pid, grbit):
            # The hook runs before waiters wake: a waiter that saw this id
            # may rely on what the hook did (the crash test's journal mark).
            if self.hook:
                self.hook(inst, pid.commitId)
            with self.cond:
                self.ids.append(pid.commitId)
                self.grbits.append(grbit)
                self.signs.append(bytes(self.ffi.buffer(self.ffi.addressof(pid.signLog), 28)))
                self.threads.add(threading.get_ident())
                self.cond.notify_all()
            return 0

        self.cb = cb

    @property
    def ptr(self):
        return int(self.ffi.cast("uintptr_t", self.cb))

    def last(self):
        with self.cond:
            return self.ids[-1] if self.ids else 0

    def wait_past(self, commit_id):
        with self.cond:
            assert self.cond.wait_for(lambda: self.ids and self.ids[-1] > commit_id, WAIT)


def commit2(env, grbit=0, cmsec=0):
    pid = env.ffi.new("JET_COMMIT_ID *")
    err = env.lib.JetCommitTransaction2(env.ses, grbit, cmsec, pid)
    assert err == 0, env.jet.err_name(err)
    return pid


def put(env, t, ck, cv, k):
    assert env.lib.JetBeginTransaction(env.ses) == 0
    assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"v%d" % k)]) == 0


@pytest.fixture
def cbenv(jet, tmp_path):
    seen = Seen(jet)
    e = Env(jet, tmp_path, DurableCommitCallback=seen.ptr)
    e.seen = seen
    dbid, t, ck, cv = make_kv(e)
    e.kv = (t, ck, cv)
    yield e
    assert e.lib.JetTerm(e.inst) == 0


def test_commit_id_is_the_commit_records_log_position(cbenv):
    env, seen = cbenv, cbenv.seen
    t, ck, cv = env.kv
    ids = []
    for k in range(3):
        put(env, t, ck, cv, k)
        pid = commit2(env)
        ids.append(pid.commitId)
        assert pid.reserved == 0
        # reported durable before the commit returned
        assert seen.last() > pid.commitId
        assert bytes(env.ffi.buffer(env.ffi.addressof(pid.signLog), 28)) == seen.signs[-1]
    assert ids == sorted(ids) and len(set(ids)) == 3
    gen = ids[-1] >> 32
    assert gen >= 1 and all(i >> 32 == gen for i in ids)
    # the position is a JET_LGPOS: ib < 4096-byte sector, a record sector >= 1
    for i in ids:
        assert (i >> 16) & 0xFFFF >= 1 and i & 0xFFFF < 4096
    # a new generation: the next commit's id names it
    assert env.lib.JetCommitTransaction(env.ses, env.C.JET_bitForceNewLog) == 0
    put(env, t, ck, cv, 10)
    assert commit2(env).commitId >> 32 == gen + 1
    # reported positions only grow, and come from one thread (the flusher)
    assert seen.ids == sorted(seen.ids) and len(set(seen.ids)) == len(seen.ids)
    assert seen.grbits == [0] * len(seen.grbits)
    assert threading.get_ident() not in seen.threads


def test_commit_without_a_logged_change_has_no_commit_id(cbenv):
    env = cbenv
    assert env.lib.JetBeginTransaction(env.ses) == 0
    assert commit2(env).commitId == 0


def test_lazy_commit_is_durable_within_its_time(cbenv):
    env, seen = cbenv, cbenv.seen
    t, ck, cv = env.kv
    put(env, t, ck, cv, 1)
    a = commit2(env, env.C.JET_bitCommitLazyFlush, 3600 * 1000).commitId  # an hour
    assert seen.last() < a  # nothing flushed it
    put(env, t, ck, cv, 2)
    b = commit2(env, env.C.JET_bitCommitLazyFlush, 1).commitId  # a shorter time brings the flush forward
    assert b > a
    seen.wait_past(b)
    assert seen.last() > a


def test_lazy_commit_without_time_waits_for_wait_last_level0_commit(cbenv):
    env, seen = cbenv, cbenv.seen
    t, ck, cv = env.kv
    put(env, t, ck, cv, 1)
    a = commit2(env, env.C.JET_bitCommitLazyFlush, 0).commitId
    assert a > 0
    assert env.lib.JetBeginTransaction(env.ses) == 0  # a read-only commit flushes nothing
    assert env.lib.JetCommitTransaction(env.ses, 0) == 0
    assert seen.last() < a
    assert env.lib.JetCommitTransaction(env.ses, env.C.JET_bitWaitLastLevel0Commit) == 0
    assert seen.last() > a  # durable and reported before the call returned


def test_callback_may_reenter_the_engine(jet, tmp_path):
    """The callback runs with no engine lock held: a durable commit of another
    session from inside it neither deadlocks nor waits for itself."""
    done = []
    state = {}

    def hook(inst, commit_id):
        if state.get("armed") and not done:
            lib, ffi = jet.lib, jet.ffi
            done.append(0)
            ses = state["ses2"]
            t, ck, cv = state["kv2"]
            assert lib.JetBeginTransaction(ses) == 0
            assert lib.JetPrepareUpdate(ses, t, jet.C.JET_prepInsert) == 0
            assert lib.JetSetColumn(ses, t, ck, struct.pack("<i", 99), 4, 0, ffi.NULL) == 0
            assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
            pid = ffi.new("JET_COMMIT_ID *")
            done[0] = lib.JetCommitTransaction2(ses, 0, 0, pid)
            done.append(pid.commitId)

    seen = Seen(jet, hook)
    env = Env(jet, tmp_path, DurableCommitCallback=seen.ptr)
    try:
        dbid, t, ck, cv = make_kv(env)
        lib, ffi = env.lib, env.ffi
        p = ffi.new("JET_SESID *")
        assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
        pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
        assert lib.JetOpenDatabase(p[0], str(tmp_path / "a.edb").encode(), ffi.NULL, pdb, 0) == 0
        assert lib.JetOpenTable(p[0], pdb[0], b"kv", ffi.NULL, 0, 0, pt) == 0
        state.update(ses2=p[0], kv2=(pt[0], ck, cv), armed=True)
        put(env, t, ck, cv, 1)
        commit2(env)
        assert done and done[0] == 0
        seen.wait_past(done[1])  # the inner commit is reported too
        assert lib.JetCloseTable(p[0], pt[0]) == 0
        assert lib.JetEndSession(p[0], 0) == 0
        assert lib.JetMakeKey(env.ses, t, struct.pack("<i", 99), 4, env.C.JET_bitNewKey) == 0
        assert lib.JetSeek(env.ses, t, env.C.JET_bitSeekEQ) == 0
    finally:
        assert env.lib.JetTerm(env.inst) == 0


def test_callback_set_on_a_running_instance(jet, tmp_path):
    env = Env(jet, tmp_path)
    try:
        t, ck, cv = make_kv(env)[1:]
        seen = Seen(jet)
        assert jet.set_param(env.inst, env.C.JET_paramDurableCommitCallback, seen.ptr) == 0
        err, v = jet.get_param_int(env.inst, env.C.JET_paramDurableCommitCallback)
        assert err == 0 and v == seen.ptr
        put(env, t, ck, cv, 1)
        pid = commit2(env)
        assert seen.last() > pid.commitId
        assert jet.set_param(env.inst, env.C.JET_paramDurableCommitCallback, 0) == 0
        n = len(seen.ids)
        put(env, t, ck, cv, 2)
        commit2(env)
        assert len(seen.ids) == n
    finally:
        assert env.lib.JetTerm(env.inst) == 0


def test_callback_reentering_during_ddl_does_not_deadlock(jet, tmp_path):
    """The engine's own commit of a DDL change (JetCreateIndex) runs under the
    database's schema lock: it must not wait for the callback's report, or a
    callback that writes to that database would wait for the lock forever."""
    state = {}
    done = threading.Event()

    def hook(inst, commit_id):
        if state.get("armed") and not done.is_set():
            lib, ffi = jet.lib, jet.ffi
            ses = state["ses2"]
            t, ck, cv = state["kv2"]
            ok = lib.JetBeginTransaction(ses) == 0
            ok = ok and lib.JetPrepareUpdate(ses, t, jet.C.JET_prepInsert) == 0
            ok = ok and lib.JetSetColumn(ses, t, ck, struct.pack("<i", 77), 4, 0, ffi.NULL) == 0
            ok = ok and lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
            ok = ok and lib.JetCommitTransaction(ses, jet.C.JET_bitCommitLazyFlush) == 0
            state["ok"] = ok
            done.set()

    seen = Seen(jet, hook)
    env = Env(jet, tmp_path, DurableCommitCallback=seen.ptr)
    lib, ffi, C = env.lib, env.ffi, env.C
    try:
        dbid, t, ck, cv = make_kv(env)
        p = ffi.new("JET_SESID *")
        assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
        pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
        assert lib.JetOpenDatabase(p[0], str(tmp_path / "a.edb").encode(), ffi.NULL, pdb, 0) == 0
        assert lib.JetOpenTable(p[0], pdb[0], b"kv", ffi.NULL, 0, 0, pt) == 0
        state.update(ses2=p[0], kv2=(pt[0], ck, cv), armed=True)
        result = {}
        worker = threading.Thread(
            target=lambda: result.setdefault("err", lib.JetCreateIndex(env.ses, t, b"by_v", 0, b"+v\0\0", 4, 100)))
        worker.start()
        worker.join(WAIT)
        assert not worker.is_alive(), "JetCreateIndex deadlocked with the callback"
        assert result["err"] == 0
        assert done.wait(WAIT) and state["ok"]
        assert lib.JetCloseTable(p[0], pt[0]) == 0
        assert lib.JetEndSession(p[0], 0) == 0
    finally:
        assert env.lib.JetTerm(env.inst) == 0
