"""Online defragmentation (JetDefragment, JetDefragment2, JetDefragment3 and the W
variants) through the C API (cffi): adjacent under-filled leaves merged on the
instance's background thread, pages freed, every row kept, the file consistent."""
import os
import struct
import threading

import pytest

from esepy.inspection import DatabaseFile
from test_database import Env, env  # noqa: F401  (fixture)

NROWS = 4000
VALUE = b"x" * 150


def kept(i):
    """The rows fill keeps: two in five, so that leaves end about 40% full --
    above the quarter under which a delete merges them itself."""
    return i % 5 in (0, 3)


def fill(env, name="a.edb", nrows=NROWS):
    """Table t (k Long primary, v Text, index on v): nrows rows, then the rows
    kept() refuses deleted."""
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    err, dbid = env.create_db(name)
    assert err == 0
    err, t = env.create_table(dbid, "t")
    assert err == 0
    err, ck = env.add_column(t, "k", C.JET_coltypLong)
    assert err == 0
    err, cv = env.add_column(t, "v", C.JET_coltypText, cp=1252)
    assert err == 0
    assert lib.JetCreateIndex(env.ses, t, b"pk", C.JET_bitIndexPrimary, b"+k\0\0", 4, 100) == 0
    assert lib.JetCreateIndex(env.ses, t, b"byv", 0, b"+v\0\0", 4, 100) == 0
    for b in range(0, nrows, 500):
        assert lib.JetBeginTransaction(ses) == 0
        for i in range(b, min(b + 500, nrows)):
            assert env.insert(t, [(ck, struct.pack("<i", i)), (cv, b"%06d" % i + VALUE)]) == 0
        assert lib.JetCommitTransaction(ses, 0) == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    i = 0
    while True:
        if not kept(i):
            assert lib.JetDelete(ses, t) == 0
        i += 1
        if lib.JetMove(ses, t, C.JET_MoveNext, 0) != 0:
            break
    assert lib.JetCommitTransaction(ses, 0) == 0
    assert lib.JetCloseTable(ses, t) == 0
    return dbid, ck, cv


def rows(env, dbid, ck):
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    t = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, dbid, b"t", ffi.NULL, 0, 0, t) == 0
    out = []
    err = lib.JetMove(ses, t[0], C.JET_MoveFirst, 0)
    while err == 0:
        e, v = env.retrieve(t[0], ck)
        assert e == 0
        out.append(struct.unpack("<i", v)[0])
        err = lib.JetMove(ses, t[0], C.JET_MoveNext, 0)
    # the secondary index sees the same rows
    assert lib.JetSetCurrentIndex(ses, t[0], b"byv") == 0
    n = 0
    err = lib.JetMove(ses, t[0], C.JET_MoveFirst, 0)
    while err == 0:
        n += 1
        err = lib.JetMove(ses, t[0], C.JET_MoveNext, 0)
    assert n == len(out)
    assert lib.JetCloseTable(ses, t[0]) == 0
    return out


def space_available(env, dbid):
    p = env.ffi.new("uint32_t *")
    assert env.lib.JetGetDatabaseInfo(env.ses, dbid, p, 4, env.C.JET_DbInfoSpaceAvailable) == 0
    return p[0]


def leaf_pages(path):
    report = DatabaseFile(path).check_integrity()
    assert report.problems == [], report.problems[:5]
    return {tr.name: tr.leaf_pages for tr in report.trees}


class Done:
    """A JET_CALLBACK recording its calls and signalling the first."""

    def __init__(self, env):
        self.calls = []
        self.event = threading.Event()

        @env.ffi.callback("JET_ERR(JET_SESID, JET_DBID, JET_TABLEID, JET_CBTYP, void *, void *, void *, "
                          "JET_API_PTR)")
        def cb(sesid, dbid, tableid, cbtyp, a1, a2, ctx, unused):
            self.calls.append((sesid, dbid, tableid, cbtyp, ctx))
            self.event.set()
            return 0

        self.cb = cb

    def wait(self):
        assert self.event.wait(120), "defragmentation did not complete"


def detach(env, path):
    assert env.lib.JetCloseDatabase(env.ses, 1, 0) in (0, env.C.JET_errInvalidDatabaseId)
    assert env.lib.JetDetachDatabase(env.ses, path) == 0


def test_defragment_merges_leaves_keeps_rows(env, tmp_path):
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    dbid, ck, _ = fill(env)
    expect = [i for i in range(NROWS) if kept(i)]
    assert rows(env, dbid, ck) == expect
    path = str(tmp_path / "a.edb").encode()
    free0 = space_available(env, dbid)
    detach(env, path)
    before = leaf_pages(path.decode())
    assert lib.JetAttachDatabase(ses, path, 0) == 0
    p = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(ses, path, ffi.NULL, p, 0) == 0
    dbid = p[0]

    done = Done(env)
    passes = ffi.new("uint32_t *", 0)
    secs = ffi.new("uint32_t *", 0)
    assert lib.JetDefragment2(ses, dbid, ffi.NULL, passes, secs, done.cb, C.JET_bitDefragmentBatchStart) == 0
    done.wait()
    assert len(done.calls) == 1
    assert done.calls[0][1] == dbid and done.calls[0][3] == C.JET_cbtypOnlineDefragCompleted
    # finished by itself: a stop now says it was not running, and reports the passes
    assert lib.JetDefragment(ses, dbid, ffi.NULL, passes, secs, C.JET_bitDefragmentBatchStop) == \
        C.JET_wrnDefragNotRunning
    assert passes[0] >= 1
    assert space_available(env, dbid) > free0   # the emptied pages are on the free list
    assert rows(env, dbid, ck) == expect
    detach(env, path)
    after = leaf_pages(path.decode())
    for tree in ("t", "t/byv"):   # pairs of 40% leaves became one page each
        assert after[tree] * 10 < before[tree] * 6, (before, after)
    assert sum(after.values()) < sum(before.values())
    # recovery / reattach sees the same rows
    assert lib.JetAttachDatabase(ses, path, 0) == 0
    assert lib.JetOpenDatabase(ses, path, ffi.NULL, p, 0) == 0
    assert rows(env, p[0], ck) == expect


def test_defragment_one_table_and_limits(env, tmp_path):
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    dbid, ck, _ = fill(env, nrows=2000)
    free0 = space_available(env, dbid)
    done = Done(env)
    passes = ffi.new("uint32_t *", 1)   # one pass at most
    assert lib.JetDefragment3(ses, str(tmp_path / "a.edb").encode(), b"t", passes, ffi.NULL, done.cb,
                              ffi.cast("void *", 77), C.JET_bitDefragmentBatchStart | C.JET_bitDefragmentBTree) == 0
    done.wait()
    assert done.calls[0][4] == ffi.cast("void *", 77)
    out = ffi.new("uint32_t *")
    assert lib.JetDefragment(ses, dbid, ffi.NULL, out, ffi.NULL, C.JET_bitDefragmentBatchStop) == \
        C.JET_wrnDefragNotRunning
    assert out[0] == 1
    assert space_available(env, dbid) > free0
    assert rows(env, dbid, ck) == [i for i in range(2000) if kept(i)]


def test_defragment_arguments(env, tmp_path):
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    dbid, ck, _ = fill(env, nrows=200)
    assert lib.JetDefragment(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL, C.JET_bitDefragmentBatchStop) == \
        C.JET_wrnDefragNotRunning
    assert lib.JetDefragment(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL, 0x8000) == C.JET_errInvalidGrbit
    assert lib.JetDefragment(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL,
                             C.JET_bitDefragmentBatchStart | C.JET_bitDefragmentBatchStop) == C.JET_errInvalidGrbit
    assert lib.JetDefragment(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL, C.JET_bitDefragmentBTree) == \
        C.JET_errInvalidParameter
    assert lib.JetDefragment(ses, 5, ffi.NULL, ffi.NULL, ffi.NULL, 0) == C.JET_errInvalidDatabaseId
    assert lib.JetDefragment3(ses, b"nosuch.edb", ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL, 0) == \
        C.JET_errDatabaseNotFound
    # W variants
    w = ffi.new("JET_WCHAR[]", [ord(c) for c in "t"] + [0])
    assert lib.JetDefragmentW(ses, dbid, w, ffi.NULL, ffi.NULL, C.JET_bitDefragmentBatchStart) in \
        (0, C.JET_wrnDefragAlreadyRunning)
    assert lib.JetDefragment2W(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL, C.JET_bitDefragmentBatchStop) in \
        (0, C.JET_wrnDefragNotRunning)
    wdb = ffi.new("JET_WCHAR[]", [ord(c) for c in str(tmp_path / "a.edb")] + [0])
    assert lib.JetDefragment3W(ses, wdb, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL,
                               C.JET_bitDefragmentAvailSpaceTreesOnly) == 0
    assert lib.JetDefragment3W(ses, wdb, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL,
                               C.JET_bitDefragmentBatchStop) in (0, C.JET_wrnDefragNotRunning)
    assert rows(env, dbid, ck) == [i for i in range(200) if kept(i)]


def test_defragment_stop_while_running_and_restart(env, tmp_path):
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    dbid, ck, _ = fill(env)
    done = Done(env)
    assert lib.JetDefragment2(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL, done.cb, 0) == 0
    # a second start while it runs (or has just finished, unreaped) is refused with the warning
    err = lib.JetDefragment(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL, C.JET_bitDefragmentBatchStart)
    assert err == C.JET_wrnDefragAlreadyRunning or (err == 0 and done.event.is_set())
    passes = ffi.new("uint32_t *", 99)
    err = lib.JetDefragment(ses, dbid, ffi.NULL, passes, ffi.NULL, C.JET_bitDefragmentBatchStop)
    assert err in (0, C.JET_wrnDefragNotRunning)
    assert passes[0] != 99
    # stopped by the user: the callback ran (once) before the stop returned
    assert len(done.calls) >= 1
    assert lib.JetDefragment(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL, C.JET_bitDefragmentBatchStop) == \
        C.JET_wrnDefragNotRunning
    # users keep writing meanwhile: start again and change rows under it
    assert lib.JetDefragment(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL, 0) == 0
    t = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, dbid, b"t", ffi.NULL, 0, 0, t) == 0
    assert lib.JetBeginTransaction(ses) == 0
    for i in range(1, 2000, 5):
        assert env.insert(t[0], [(ck, struct.pack("<i", i))]) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    assert lib.JetCloseTable(ses, t[0]) == 0
    assert lib.JetDefragment(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL, C.JET_bitDefragmentBatchStop) in \
        (0, C.JET_wrnDefragNotRunning)
    assert rows(env, dbid, ck) == sorted([i for i in range(NROWS) if kept(i)] + list(range(1, 2000, 5)))


@pytest.mark.parametrize("how", ["term", "detach", "dirty"])
def test_defragment_running_at_term_or_detach(jet, tmp_path, how):
    env = Env(jet, tmp_path)
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    dbid, ck, _ = fill(env)
    done = Done(env)
    path = str(tmp_path / "a.edb").encode()
    assert lib.JetDefragment2(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL, done.cb, 0) == 0
    if how == "detach":
        assert lib.JetCloseDatabase(ses, dbid, 0) == 0
        assert lib.JetDetachDatabase(ses, path) == 0   # stops and joins the task first
    if how == "dirty":
        assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    else:
        assert env.term() == 0
    # the task was stopped and joined without its callback, unless it had already finished
    assert len(done.calls) <= 1
    calls = len(done.calls)
    env2 = Env(jet, tmp_path)   # recovers after the dirty stop
    assert env2.lib.JetAttachDatabase(env2.ses, path, 0) in (0, C.JET_wrnDatabaseAttached)
    p = ffi.new("JET_DBID *")
    assert env2.lib.JetOpenDatabase(env2.ses, path, ffi.NULL, p, 0) == 0
    assert rows(env2, p[0], ck) == [i for i in range(NROWS) if kept(i)]
    assert env2.term() == 0
    assert len(done.calls) == calls
    leaf_pages(path.decode())   # consistent


# ---- JetResizeDatabase: shrinking ------------------------------------------------

def db_pages(env, dbid):
    p = env.ffi.new("uint32_t *")
    assert env.lib.JetGetDatabaseInfo(env.ses, dbid, p, 4, env.C.JET_DbInfoSpaceOwned) == 0
    return p[0]


def big_table(env, dbid, name, n):
    C, lib = env.C, env.lib
    err, t = env.create_table(dbid, name)
    assert err == 0
    err, c = env.add_column(t, "b", C.JET_coltypLongBinary)
    assert err == 0
    assert lib.JetBeginTransaction(env.ses) == 0
    for i in range(n):
        assert env.insert(t, [(c, bytes([i % 251]) * 3000)]) == 0
    assert lib.JetCommitTransaction(env.ses, 0) == 0
    assert lib.JetCloseTable(env.ses, t) == 0


def test_resize_shrinks_to_the_last_page_in_use(env, tmp_path):
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    dbid, ck, _ = fill(env, nrows=1000)
    path = str(tmp_path / "a.edb")
    keep = db_pages(env, dbid)
    big_table(env, dbid, "big", 300)   # pages at the end of the file
    grown = db_pages(env, dbid)
    assert grown > keep + 100
    p = ffi.new("uint32_t *")
    # in use: only the never-used pages of the last extension go
    assert lib.JetResizeDatabase(ses, dbid, 1, p, C.JET_bitResizeDatabaseOnlyShrink) == 0
    assert keep < p[0] <= grown and p[0] == db_pages(env, dbid)
    grown = p[0]
    assert lib.JetResizeDatabase(ses, dbid, 1, p, C.JET_bitResizeDatabaseOnlyShrink) == 0
    assert p[0] == grown                               # the last page is in use
    assert lib.JetDeleteTable(ses, dbid, b"big") == 0   # its pages go to the free list
    assert lib.JetResizeDatabase(ses, dbid, grown + 10, p, C.JET_bitResizeDatabaseOnlyShrink) == 0
    assert p[0] == grown                               # only shrink, and larger: nothing
    assert lib.JetResizeDatabase(ses, dbid, keep + 50, p, 0) == 0
    assert p[0] == keep + 50 == db_pages(env, dbid)    # not below what was asked
    page = ffi.new("uint32_t *")
    assert lib.JetGetDatabaseInfo(ses, dbid, page, 4, C.JET_DbInfoPageSize) == 0
    assert os.path.getsize(path) == (p[0] + 2) * page[0]
    assert lib.JetResizeDatabase(ses, dbid, 1, p, C.JET_bitResizeDatabaseOnlyShrink) == 0
    assert p[0] <= keep + 2 and p[0] == db_pages(env, dbid)
    assert os.path.getsize(path) == (p[0] + 2) * page[0]
    assert rows(env, dbid, ck) == [i for i in range(1000) if kept(i)]
    big_table(env, dbid, "again", 20)                   # the file grows again from there
    assert db_pages(env, dbid) > p[0]
    final = db_pages(env, dbid)
    detach(env, path.encode())
    # the detached file's header-level sizes agree
    q32 = ffi.new("uint32_t *")
    assert lib.JetGetDatabaseFileInfo(path.encode(), q32, 4, C.JET_DbInfoSpaceOwned) == 0
    assert q32[0] == final
    leaf_pages(path)   # every page in one tree or free, none past the end
    assert lib.JetAttachDatabase(ses, path.encode(), 0) == 0
    q = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(ses, path.encode(), ffi.NULL, q, 0) == 0
    assert rows(env, q[0], ck) == [i for i in range(1000) if kept(i)]


def test_resize_keeps_the_size_while_a_transaction_holds_the_checkpoint(env, tmp_path):
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    dbid, ck, _ = fill(env, nrows=200)
    big_table(env, dbid, "big", 100)
    grown = db_pages(env, dbid)
    assert lib.JetDeleteTable(ses, dbid, b"big") == 0
    p = ffi.new("uint32_t *")
    s2 = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, s2, ffi.NULL, ffi.NULL) == 0
    d2 = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(s2[0], str(tmp_path / "a.edb").encode(), ffi.NULL, d2, 0) == 0
    t2 = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(s2[0], d2[0], b"t", ffi.NULL, 0, 0, t2) == 0
    assert lib.JetBeginTransaction(s2[0]) == 0
    assert lib.JetPrepareUpdate(s2[0], t2[0], C.JET_prepInsert) == 0
    assert lib.JetSetColumn(s2[0], t2[0], ck, struct.pack("<i", 99999), 4, 0, ffi.NULL) == 0
    assert lib.JetUpdate(s2[0], t2[0], ffi.NULL, 0, ffi.NULL) == 0   # an UNDO record before the shrink
    assert lib.JetResizeDatabase(ses, dbid, 1, p, C.JET_bitResizeDatabaseOnlyShrink) == 0
    assert p[0] == grown == db_pages(env, dbid)   # Z1: the file keeps its size...
    assert space_available(env, dbid) == 0          # ...while the space gave its free end up
    assert lib.JetRollback(s2[0], 0) == 0
    assert lib.JetEndSession(s2[0], 0) == 0
    assert lib.JetResizeDatabase(ses, dbid, 1, p, C.JET_bitResizeDatabaseOnlyShrink) == 0
    assert p[0] == db_pages(env, dbid) < grown
    assert rows(env, dbid, ck) == [i for i in range(200) if kept(i)]


def test_defragment_beside_writers_and_an_open_transaction(env, tmp_path):
    """Merges run beside other sessions' changes: rows deleted and inserted while
    the task walks the trees, an uncommitted update on a row it moves (versions
    are kept by key, so the merge needs no version of its own), then a rollback."""
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    dbid, ck, cv = fill(env)
    model = {i for i in range(NROWS) if kept(i)}
    s2 = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, s2, ffi.NULL, ffi.NULL) == 0
    d2 = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(s2[0], str(tmp_path / "a.edb").encode(), ffi.NULL, d2, 0) == 0
    t2 = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(s2[0], d2[0], b"t", ffi.NULL, 0, 0, t2) == 0
    assert lib.JetBeginTransaction(s2[0]) == 0   # an update left open on row 5
    assert lib.JetMakeKey(s2[0], t2[0], struct.pack("<i", 5), 4, C.JET_bitNewKey) == 0
    assert lib.JetSeek(s2[0], t2[0], C.JET_bitSeekEQ) == 0
    assert lib.JetPrepareUpdate(s2[0], t2[0], C.JET_prepReplace) == 0
    assert lib.JetSetColumn(s2[0], t2[0], cv, b"changed", 7, 0, ffi.NULL) == 0
    assert lib.JetUpdate(s2[0], t2[0], ffi.NULL, 0, ffi.NULL) == 0
    done = Done(env)
    assert lib.JetDefragment2(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL, done.cb, 0) == 0
    t = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, dbid, b"t", ffi.NULL, 0, 0, t) == 0
    for b in range(0, NROWS, 200):   # writers meanwhile
        assert lib.JetBeginTransaction(ses) == 0
        for i in range(b, b + 200, 5):
            assert env.insert(t[0], [(ck, struct.pack("<i", NROWS + i)), (cv, b"n%06d" % i)]) == 0
            model.add(NROWS + i)
            if i + 3 != 5:
                assert lib.JetMakeKey(ses, t[0], struct.pack("<i", i + 3), 4, C.JET_bitNewKey) == 0
                assert lib.JetSeek(ses, t[0], C.JET_bitSeekEQ) == 0
                assert lib.JetDelete(ses, t[0]) == 0
                model.discard(i + 3)
        assert lib.JetCommitTransaction(ses, 0) == 0
    assert lib.JetCloseTable(ses, t[0]) == 0
    done.wait()
    assert lib.JetDefragment(ses, dbid, ffi.NULL, ffi.NULL, ffi.NULL, C.JET_bitDefragmentBatchStop) == \
        C.JET_wrnDefragNotRunning
    assert lib.JetRollback(s2[0], 0) == 0   # its before-image is found by key after the merges
    assert lib.JetEndSession(s2[0], 0) == 0
    assert rows(env, dbid, ck) == sorted(model)
    t = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, dbid, b"t", ffi.NULL, 0, 0, t) == 0
    assert lib.JetMakeKey(ses, t[0], struct.pack("<i", 5), 4, C.JET_bitNewKey) == 0
    assert lib.JetSeek(ses, t[0], C.JET_bitSeekEQ) == 0
    assert env.retrieve(t[0], cv)[1] == b"%06d" % 5 + VALUE
    assert lib.JetCloseTable(ses, t[0]) == 0
    path = str(tmp_path / "a.edb").encode()
    detach(env, path)
    leaf_pages(path.decode())
