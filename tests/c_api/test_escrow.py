"""JetEscrowUpdate without write conflicts (issue 4), and the version store
under concurrent readers and writers, through the C API (cffi).

Escrow semantics checked here: concurrent escrow updates of one record by
open transactions never conflict; each delta is applied to the record at
once and rollback takes back exactly its own; readers see the stored value
minus the deltas their snapshot does not see; JET_bitEscrowNoRollback
deltas survive rollback; a replace / delete conflicts with another
transaction's uncommitted delta and the reverse.
"""
import random
import struct
import threading
import time

import pytest

from test_database import Env, env  # noqa: F401  (fixture)


class Table:
    """A table t(k Long primary key, n Long escrow default 0, v Text) and
    sessions that each have it open."""

    def __init__(self, env, rows=(1,), default=0):
        self.env = env
        C, lib, ffi = env.C, env.lib, env.ffi
        err, self.dbid = env.create_db()
        assert err == 0
        self.path = str(env.folder / "a.edb").encode()
        err, t = env.create_table(self.dbid, "t")
        assert err == 0
        err, self.ck = env.add_column(t, "k", C.JET_coltypLong)
        assert err == 0
        cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong,
                                         "grbit": C.JET_bitColumnEscrowUpdate})
        pcol = ffi.new("JET_COLUMNID *")
        assert lib.JetAddColumn(env.ses, t, b"n", cd, struct.pack("<i", default), 4, pcol) == 0
        self.cn = pcol[0]
        err, self.cv = env.add_column(t, "v", C.JET_coltypText, cp=1252)
        assert err == 0
        assert lib.JetCreateIndex(env.ses, t, b"pk", C.JET_bitIndexPrimary, b"+k\0\0", 4, 100) == 0
        for k in rows:
            assert env.insert(t, [(self.ck, struct.pack("<i", k)), (self.cv, b"v%d" % k)]) == 0
        assert lib.JetCloseTable(env.ses, t) == 0
        self.sessions = []

    def session(self):
        """(sesid, tableid) of a new session with the table open."""
        env, lib, ffi = self.env, self.env.lib, self.env.ffi
        p = ffi.new("JET_SESID *")
        assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
        ses = p[0]
        pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
        assert lib.JetOpenDatabase(ses, self.path, ffi.NULL, pdb, 0) == 0
        assert lib.JetOpenTable(ses, pdb[0], b"t", ffi.NULL, 0, 0, pt) == 0
        self.sessions.append(ses)
        return ses, pt[0]

    def session_locked(self, lock):
        with lock:
            return self.session()

    def seek(self, ses, t, k=1):
        lib, C = self.env.lib, self.env.C
        assert lib.JetMakeKey(ses, t, struct.pack("<i", k), 4, C.JET_bitNewKey) == 0
        return lib.JetSeek(ses, t, C.JET_bitSeekEQ)

    def escrow(self, ses, t, delta, grbit=0, k=1):
        """JetEscrowUpdate on record k: (err, value before)."""
        lib, ffi = self.env.lib, self.env.ffi
        err = self.seek(ses, t, k)
        if err != 0:
            return err, None
        old, pcb = ffi.new("char[4]"), ffi.new("uint32_t *")
        err = lib.JetEscrowUpdate(ses, t, self.cn, struct.pack("<i", delta), 4, old, 4, pcb, grbit)
        return err, struct.unpack("<i", ffi.buffer(old, 4)[:])[0]

    def value(self, ses, t, k=1, col=None):
        """The value of n (or col) of record k as the session sees it (None when absent)."""
        lib, ffi, C = self.env.lib, self.env.ffi, self.env.C
        err = self.seek(ses, t, k)
        if err == C.JET_errRecordNotFound:
            return None
        assert err == 0
        buf, pcb = ffi.new("char[64]"), ffi.new("uint32_t *")
        err = lib.JetRetrieveColumn(ses, t, col or self.cn, buf, 64, pcb, 0, ffi.NULL)
        if err == C.JET_wrnColumnNull:
            return b""
        assert err == 0, err
        raw = bytes(ffi.buffer(buf, pcb[0]))
        return raw if col else struct.unpack("<i", raw)[0]

    def replace(self, ses, t, text, k=1):
        lib, ffi, C = self.env.lib, self.env.ffi, self.env.C
        err = self.seek(ses, t, k)
        if err != 0:
            return err
        err = lib.JetPrepareUpdate(ses, t, C.JET_prepReplace)
        if err != 0:
            return err
        assert lib.JetSetColumn(ses, t, self.cv, text, len(text), 0, ffi.NULL) == 0
        err = lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL)
        if err != 0:
            assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == 0
        return err

    def end(self):
        for ses in self.sessions:
            self.env.lib.JetEndSession(ses, 0)
        self.sessions = []


@pytest.fixture
def table(env):
    tb = Table(env)
    yield tb
    tb.end()


def test_reader_never_sees_an_unfilled_version(table):
    """A reader racing a writer on one record: the version the writer links
    before it has read the record's old state must not be taken for an
    empty record (versions are pending until filled)."""
    lib = table.env.lib
    wses, wt = table.session()
    rses, rt = table.session()
    stop = threading.Event()
    bad = []

    def writer():
        i = 0
        while not stop.is_set():
            i += 1
            assert lib.JetBeginTransaction(wses) == 0
            assert table.replace(wses, wt, b"text%d" % (i % 10)) == 0
            assert lib.JetCommitTransaction(wses, 0) == 0

    def reader():
        while not stop.is_set():
            v = table.value(rses, rt, col=table.cv)
            if not v:
                bad.append(v)
                stop.set()

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for th in threads:
        th.start()
    time.sleep(2.0)
    stop.set()
    for th in threads:
        th.join()
    assert bad == []


def test_concurrent_deltas_do_not_conflict(table):
    C, lib = table.env.C, table.env.lib
    s1, t1 = table.session()
    s2, t2 = table.session()
    s3, t3 = table.session()
    assert lib.JetBeginTransaction(s1) == 0
    assert lib.JetBeginTransaction(s2) == 0
    assert table.escrow(s1, t1, 5) == (0, 0)
    assert table.escrow(s2, t2, 7) == (0, 5)          # pvOld: the stored value, versioning ignored
    assert table.escrow(s1, t1, 100) == (0, 12)
    # each sees its own deltas only; an outsider sees none
    assert table.value(s1, t1) == 105
    assert table.value(s2, t2) == 7
    assert table.value(s3, t3) == 0
    assert lib.JetCommitTransaction(s2, 0) == 0
    assert table.value(s3, t3) == 7
    assert table.value(s1, t1) == 105                   # s1's snapshot predates s2's commit
    assert lib.JetRollback(s1, 0) == 0                  # takes back 105, leaves s2's 7
    assert table.value(s1, t1) == 7
    assert table.value(s3, t3) == 7
    assert C.JET_errSuccess == 0


def test_rollback_keeps_other_deltas_and_no_rollback(table):
    lib, C = table.env.lib, table.env.C
    s1, t1 = table.session()
    s2, t2 = table.session()
    assert lib.JetBeginTransaction(s1) == 0
    assert lib.JetBeginTransaction(s2) == 0
    assert table.escrow(s1, t1, 10)[0] == 0
    assert table.escrow(s2, t2, 20)[0] == 0
    assert table.escrow(s1, t1, 1000, C.JET_bitEscrowNoRollback)[0] == 0
    assert table.escrow(s2, t2, 3)[0] == 0
    assert lib.JetRollback(s1, 0) == 0
    # s1's 10 is gone, its NoRollback 1000 stays; s2 sees its own 23 and the unversioned 1000
    assert table.value(s2, t2) == 1023
    assert lib.JetCommitTransaction(s2, 0) == 0
    assert table.value(s1, t1) == 1023
    # nested levels: rolling back the inner level takes back only its deltas
    assert lib.JetBeginTransaction(s1) == 0
    assert table.escrow(s1, t1, 1)[0] == 0
    assert lib.JetBeginTransaction(s1) == 0
    assert table.escrow(s1, t1, 2)[0] == 0
    assert lib.JetBeginTransaction(s2) == 0
    assert table.escrow(s2, t2, 4)[0] == 0
    assert lib.JetRollback(s1, 0) == 0
    assert table.value(s1, t1) == 1024
    assert lib.JetCommitTransaction(s1, 0) == 0
    assert lib.JetCommitTransaction(s2, 0) == 0
    assert table.value(s1, t1) == 1028


def test_replace_and_delta_conflict_both_ways(table):
    lib, C = table.env.lib, table.env.C
    s1, t1 = table.session()
    s2, t2 = table.session()
    # an uncommitted delta blocks another transaction's replace and delete
    assert lib.JetBeginTransaction(s1) == 0
    assert lib.JetBeginTransaction(s2) == 0
    assert table.escrow(s1, t1, 5)[0] == 0
    assert table.replace(s2, t2, b"other") == C.JET_errWriteConflict
    assert table.seek(s2, t2) == 0
    assert lib.JetDelete(s2, t2) == C.JET_errWriteConflict
    # ... but not the same transaction's, nor other deltas
    assert table.replace(s1, t1, b"mine") == 0
    assert table.escrow(s2, t2, 1)[0] == C.JET_errWriteConflict  # s1 now has a replace pending
    assert lib.JetRollback(s1, 0) == 0
    assert lib.JetRollback(s2, 0) == 0
    assert table.value(s1, t1) == 0 and table.value(s1, t1, col=table.cv) == b"v1"
    # an uncommitted replace blocks a delta; so does one committed after the snapshot
    assert lib.JetBeginTransaction(s1) == 0
    assert lib.JetBeginTransaction(s2) == 0
    assert table.replace(s1, t1, b"changed") == 0
    assert table.escrow(s2, t2, 1)[0] == C.JET_errWriteConflict
    assert lib.JetCommitTransaction(s1, 0) == 0
    assert table.escrow(s2, t2, 1)[0] == C.JET_errWriteConflict
    assert lib.JetRollback(s2, 0) == 0
    assert table.escrow(s2, t2, 1) == (0, 0)
    # a committed delta after the snapshot blocks a replace (lost update otherwise)
    assert lib.JetBeginTransaction(s1) == 0
    assert table.value(s1, t1) == 1
    assert table.escrow(s2, t2, 1)[0] == 0
    assert table.replace(s1, t1, b"late") == C.JET_errWriteConflict
    assert lib.JetRollback(s1, 0) == 0
    # an uncommitted insert / delete: the escrow update conflicts
    assert lib.JetBeginTransaction(s1) == 0
    assert table.seek(s1, t1) == 0
    assert lib.JetDelete(s1, t1) == 0
    assert table.escrow(s2, t2, 1)[0] == C.JET_errWriteConflict
    assert lib.JetCommitTransaction(s1, 0) == 0
    assert table.escrow(s2, t2, 1)[0] == C.JET_errRecordNotFound  # the seek no longer finds it


def test_snapshot_readers_see_consistent_values(table):
    lib = table.env.lib
    s1, t1 = table.session()
    s2, t2 = table.session()
    r1, rt1 = table.session()
    r2, rt2 = table.session()
    assert table.escrow(s1, t1, 1)[0] == 0                       # committed: 1
    assert lib.JetBeginTransaction(r1) == 0                      # snapshot sees 1
    assert lib.JetBeginTransaction(s1) == 0
    assert table.escrow(s1, t1, 10)[0] == 0
    assert lib.JetBeginTransaction(s2) == 0
    assert table.escrow(s2, t2, 100)[0] == 0
    assert lib.JetCommitTransaction(s2, 0) == 0                  # committed: 101
    assert lib.JetBeginTransaction(r2) == 0                      # snapshot sees 101
    assert table.escrow(s1, t1, 1000)[0] == 0
    assert table.value(r1, rt1) == 1
    assert table.value(r2, rt2) == 101
    assert lib.JetCommitTransaction(s1, 0) == 0                  # committed: 1111
    assert table.value(r1, rt1) == 1
    assert table.value(r2, rt2) == 101
    assert lib.JetCommitTransaction(r1, 0) == 0
    assert lib.JetCommitTransaction(r2, 0) == 0
    assert table.value(r1, rt1) == 1111


def test_version_store_limit_covers_deltas(jet, tmp_path):
    e = Env(jet, tmp_path, MaxVerPages=1)
    try:
        tb = Table(e)
        s1, t1 = tb.session()
        s2, t2 = tb.session()
        assert e.lib.JetBeginTransaction(s1) == 0
        err = 0
        for _ in range(20000):
            err = tb.escrow(s1, t1, 1)[0]
            if err:
                break
        assert err == e.C.JET_errVersionStoreOutOfMemory
        assert e.lib.JetRollback(s1, 0) == 0
        assert tb.value(s2, t2) == 0
        assert tb.escrow(s2, t2, 1)[0] == 0
        tb.end()
    finally:
        assert e.term() == 0


def test_many_threads_adding_with_random_rollbacks(table):
    lib = table.env.lib
    committed = []
    lock = threading.Lock()
    errors = []

    def worker(seed):
        rnd = random.Random(seed)
        ses, t = table.session_locked(lock)
        mine = 0
        for _ in range(150):
            assert lib.JetBeginTransaction(ses) == 0
            n = rnd.randint(1, 3)
            for _ in range(n):
                err, _old = table.escrow(ses, t, 1)
                if err:
                    errors.append(err)
            if rnd.random() < 0.3:
                assert lib.JetRollback(ses, 0) == 0
            else:
                assert lib.JetCommitTransaction(ses, 0) == 0
                mine += n
            if rnd.random() < 0.2:
                assert table.value(ses, t) >= 0
        with lock:
            committed.append(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    s, t = table.session()
    assert table.value(s, t) == sum(committed) and len(committed) == 6


def test_readers_see_stable_snapshots_while_deltas_come_and_go(table):
    """Writers add positive deltas and commit or roll back; a reader in a
    transaction reads the same value throughout its snapshot, and a reader
    outside transactions never sees the committed sum go down (it would if
    it saw a delta that is later rolled back, or missed one it had seen)."""
    lib = table.env.lib
    stop = threading.Event()
    lock = threading.Lock()
    problems = []

    def writer(seed):
        rnd = random.Random(seed)
        ses, t = table.session_locked(lock)
        while not stop.is_set():
            assert lib.JetBeginTransaction(ses) == 0
            assert table.escrow(ses, t, rnd.randint(1, 9))[0] == 0
            if rnd.random() < 0.5:
                assert lib.JetRollback(ses, 0) == 0
            else:
                assert lib.JetCommitTransaction(ses, 0) == 0

    def snapshot_reader():
        ses, t = table.session_locked(lock)
        while not stop.is_set():
            assert lib.JetBeginTransaction(ses) == 0
            seen = {table.value(ses, t) for _ in range(20)}
            assert lib.JetCommitTransaction(ses, 0) == 0
            if len(seen) != 1:
                problems.append(("snapshot", seen))

    def plain_reader():
        ses, t = table.session_locked(lock)
        last = 0
        while not stop.is_set():
            v = table.value(ses, t)
            if v < last:
                problems.append(("down", last, v))
            last = v

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    threads += [threading.Thread(target=snapshot_reader), threading.Thread(target=plain_reader)]
    for th in threads:
        th.start()
    time.sleep(1.5)
    stop.set()
    for th in threads:
        th.join()
    assert problems == [], problems


def test_rolled_back_deltas_are_never_seen_outside_their_transaction(table):
    """Regression (escrow E1): a writer's escrow delta became reachable in
    the tree before its version was linked, so a reader on the lock-free
    path (no version anywhere: cChained == 0) that copied the node in that
    window took the uncommitted delta for committed.  Here nothing ever
    commits: every value any other session reads must be the initial 0."""
    lib = table.env.lib
    lock = threading.Lock()
    seen = []
    done = threading.Event()

    def writer():
        ses, t = table.session_locked(lock)
        for _ in range(4000):
            assert lib.JetBeginTransaction(ses) == 0
            assert table.escrow(ses, t, 5)[0] == 0
            assert lib.JetRollback(ses, 0) == 0
        done.set()

    def reader():
        ses, t = table.session_locked(lock)
        while not done.is_set():
            v = table.value(ses, t)
            if v != 0:
                seen.append(v)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert seen == []
