"""The cursor's kept record image (issue 20; V5 in csrc/isam/isam_int.h).

After JetMove / JetSeek a cursor keeps the visible image of its record, and
JetRetrieveColumn(s) / JetEnumerateColumns read it instead of looking the
record up again by its bookmark.  These tests leave a cursor standing on a
record, change what the session may see in every way the engine knows --
other sessions' commits and rollbacks, the session's own changes through
another cursor, escrow deltas, rollbacks, the end of the session's own
transaction -- and retrieve again WITHOUT moving: the answer must be what
the bookmark lookup would give (snapshot isolation: a transaction keeps its
snapshot, a session outside one sees the latest commit).
"""
import struct

import pytest

from test_database import Env, env  # noqa: F401  (fixture)
from test_escrow import Table


@pytest.fixture
def tb(env):
    t = Table(env, rows=(1, 2, 3))
    yield t
    t.end()


def get(tb, ses, t, col=None):
    """JetRetrieveColumn of v (or col) on the cursor's current record, no move."""
    lib, ffi, C = tb.env.lib, tb.env.ffi, tb.env.C
    buf, pcb = ffi.new("char[64]"), ffi.new("uint32_t *")
    err = lib.JetRetrieveColumn(ses, t, col or tb.cv, buf, 64, pcb, 0, ffi.NULL)
    if err < 0:
        return err
    if err == C.JET_wrnColumnNull:
        return b""
    raw = bytes(ffi.buffer(buf, pcb[0]))
    return struct.unpack("<i", raw)[0] if col == tb.cn else raw


def get_columns(tb, ses, t):
    """(v, n) by one JetRetrieveColumns, no move."""
    lib, ffi = tb.env.lib, tb.env.ffi
    rc = ffi.new("JET_RETRIEVECOLUMN[2]")
    bufs = [ffi.new("char[64]"), ffi.new("char[64]")]
    for i, col in enumerate((tb.cv, tb.cn)):
        rc[i].columnid, rc[i].pvData, rc[i].cbData, rc[i].itagSequence = col, bufs[i], 64, 1
    err = lib.JetRetrieveColumns(ses, t, rc, 2)
    if err < 0:
        return err
    return bytes(ffi.buffer(bufs[0], rc[0].cbActual)), struct.unpack("<i", ffi.buffer(bufs[1], 4)[:])[0]


def enumerate_v(tb, ses, t):
    """The value of v by JetEnumerateColumns (all columns), no move."""
    lib, ffi = tb.env.lib, tb.env.ffi
    pc, prg = ffi.new("uint32_t *"), ffi.new("JET_ENUMCOLUMN **")
    keep = []

    @ffi.callback("void *(void *, void *, uint32_t)")
    def realloc(ctx, pv, cb):
        if cb == 0:
            return ffi.NULL
        b = ffi.new("char[]", cb)
        keep.append(b)
        return b

    err = lib.JetEnumerateColumns(ses, t, 0, ffi.NULL, pc, prg, realloc, ffi.NULL, 64, 0)
    if err < 0:
        return err
    for i in range(pc[0]):
        ec = prg[0][i]
        if ec.columnid == tb.cv:
            v = ec.rgEnumColumnValue[0]
            return bytes(ffi.buffer(v.pvData, v.cbData))
    return None


def commit_replace(tb, ses, t, text, k=1):
    lib = tb.env.lib
    assert lib.JetBeginTransaction(ses) == 0
    assert tb.replace(ses, t, text, k) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0


def test_outside_a_transaction_another_sessions_commit_is_seen(tb):
    lib = tb.env.lib
    a, ta = tb.session()
    b, tbl = tb.session()
    assert tb.seek(a, ta) == 0
    assert get(tb, a, ta) == b"v1"
    commit_replace(tb, b, tbl, b"new")
    assert get(tb, a, ta) == b"new"
    assert get_columns(tb, a, ta) == (b"new", 0)
    commit_replace(tb, b, tbl, b"newer")
    assert get_columns(tb, a, ta) == (b"newer", 0)
    commit_replace(tb, b, tbl, b"newest")
    assert enumerate_v(tb, a, ta) == b"newest"
    # after a move too: the image the move kept, then a commit
    assert lib.JetMove(a, ta, 1, 0) == 0
    assert get(tb, a, ta) == b"v2"
    commit_replace(tb, b, tbl, b"two", k=2)
    assert get(tb, a, ta) == b"two"


def test_a_transaction_keeps_its_snapshot(tb):
    lib = tb.env.lib
    a, ta = tb.session()
    b, tbl = tb.session()
    assert lib.JetBeginTransaction(a) == 0
    assert tb.seek(a, ta) == 0
    assert get(tb, a, ta) == b"v1"
    commit_replace(tb, b, tbl, b"new")
    assert get(tb, a, ta) == b"v1"
    assert get_columns(tb, a, ta) == (b"v1", 0)
    assert lib.JetMove(a, ta, 1, 0) == 0 and lib.JetMove(a, ta, -1, 0) == 0
    assert get(tb, a, ta) == b"v1"
    assert lib.JetCommitTransaction(a, 0) == 0
    assert get(tb, a, ta) == b"new"  # no move: the transaction's end is enough


def test_the_end_of_a_read_only_transaction_shows_what_committed_meanwhile(tb):
    """Rolling back a transaction that changed nothing changes no record: the
    image kept inside it (re-read after another session's commit, in the
    old snapshot) must not survive the end of the snapshot."""
    lib = tb.env.lib
    a, ta = tb.session()
    b, tbl = tb.session()
    for end in (lambda: lib.JetRollback(a, 0), lambda: lib.JetCommitTransaction(a, 0)):
        assert lib.JetBeginTransaction(a) == 0
        assert tb.seek(a, ta) == 0
        before = get(tb, a, ta)
        commit_replace(tb, b, tbl, before + b"+")
        assert get(tb, a, ta) == before  # read again, in a's snapshot
        assert end() == 0
        assert get(tb, a, ta) == before + b"+"


def test_uncommitted_changes_of_others_stay_invisible(tb):
    lib = tb.env.lib
    a, ta = tb.session()
    b, tbl = tb.session()
    assert tb.seek(a, ta) == 0
    assert get(tb, a, ta) == b"v1"
    assert lib.JetBeginTransaction(b) == 0
    assert tb.replace(b, tbl, b"dirty") == 0
    assert get(tb, a, ta) == b"v1"
    assert lib.JetRollback(b, 0) == 0
    assert get(tb, a, ta) == b"v1"
    assert lib.JetBeginTransaction(b) == 0
    assert tb.replace(b, tbl, b"clean") == 0
    assert get(tb, a, ta) == b"v1"
    assert lib.JetCommitTransaction(b, 0) == 0
    assert get(tb, a, ta) == b"clean"


def test_own_changes_through_another_cursor(tb):
    env = tb.env
    lib, ffi, C = env.lib, env.ffi, env.C
    a, t1 = tb.session()
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetDupCursor(a, t1, pt, 0) == 0
    t2 = pt[0]
    assert tb.seek(a, t1) == 0
    assert get(tb, a, t1) == b"v1"
    assert lib.JetBeginTransaction(a) == 0
    assert tb.replace(a, t2, b"mine") == 0
    assert get(tb, a, t1) == b"mine"
    assert lib.JetBeginTransaction(a) == 0  # a savepoint, rolled back below
    assert tb.replace(a, t2, b"nested") == 0
    assert get(tb, a, t1) == b"nested"
    assert lib.JetRollback(a, 0) == 0
    assert get(tb, a, t1) == b"mine"
    assert lib.JetRollback(a, 0) == 0
    assert get(tb, a, t1) == b"v1"
    # a delete through the other cursor
    assert lib.JetBeginTransaction(a) == 0
    assert tb.seek(a, t2) == 0
    assert lib.JetDelete(a, t2) == 0
    assert get(tb, a, t1) == C.JET_errRecordDeleted
    assert get_columns(tb, a, t1) == C.JET_errRecordDeleted
    assert lib.JetRollback(a, 0) == 0
    assert get(tb, a, t1) == b"v1"
    # and a change through the cursor itself
    assert lib.JetBeginTransaction(a) == 0
    assert tb.replace(a, t1, b"self") == 0
    assert get(tb, a, t1) == b"self"
    assert lib.JetCommitTransaction(a, 0) == 0
    assert get(tb, a, t1) == b"self"


def test_escrow_deltas_are_seen(tb):
    lib, C = tb.env.lib, tb.env.C
    a, ta = tb.session()
    b, tbl = tb.session()
    assert tb.seek(a, ta) == 0
    assert get(tb, a, ta, tb.cn) == 0
    assert lib.JetBeginTransaction(b) == 0
    assert tb.escrow(b, tbl, 5)[0] == 0
    assert get(tb, a, ta, tb.cn) == 0  # not committed
    assert lib.JetCommitTransaction(b, 0) == 0
    assert get(tb, a, ta, tb.cn) == 5
    assert lib.JetBeginTransaction(b) == 0
    assert tb.escrow(b, tbl, 7)[0] == 0
    assert lib.JetRollback(b, 0) == 0
    assert get(tb, a, ta, tb.cn) == 5
    assert lib.JetBeginTransaction(b) == 0
    assert tb.escrow(b, tbl, 1, grbit=C.JET_bitEscrowNoRollback)[0] == 0
    assert lib.JetRollback(b, 0) == 0
    assert get(tb, a, ta, tb.cn) == 6  # a delta no rollback takes back


def test_own_escrow_through_another_cursor(tb):
    env = tb.env
    lib, ffi = env.lib, env.ffi
    a, t1 = tb.session()
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetDupCursor(a, t1, pt, 0) == 0
    t2 = pt[0]
    assert lib.JetBeginTransaction(a) == 0
    assert tb.seek(a, t1) == 0
    assert get(tb, a, t1, tb.cn) == 0
    assert tb.escrow(a, t2, 3)[0] == 0
    assert get(tb, a, t1, tb.cn) == 3
    assert lib.JetBeginTransaction(a) == 0  # a savepoint: same transaction
    assert tb.escrow(a, t2, 4)[0] == 0
    assert get(tb, a, t1, tb.cn) == 7
    assert lib.JetRollback(a, 0) == 0
    assert get(tb, a, t1, tb.cn) == 3
    assert lib.JetRollback(a, 0) == 0
    assert get(tb, a, t1, tb.cn) == 0


def test_secondary_index_cursor(tb):
    """On a secondary index the record is read by its bookmark once per
    row and kept: the same rules apply."""
    env = tb.env
    lib, C = env.lib, env.C
    a, ta = tb.session()
    b, tbl = tb.session()
    assert lib.JetBeginTransaction(a) == 0
    assert lib.JetCreateIndex(a, ta, b"byv", 0, b"+v\0\0", 4, 100) == 0
    assert lib.JetCommitTransaction(a, 0) == 0
    assert lib.JetSetCurrentIndex(a, ta, b"byv") == 0
    assert lib.JetMove(a, ta, C.JET_MoveFirst, 0) == 0
    assert get(tb, a, ta) == b"v1"
    assert get(tb, a, ta, tb.cn) == 0
    commit_replace(tb, b, tbl, b"v1", k=1)  # same key, new record version
    assert lib.JetBeginTransaction(b) == 0
    assert tb.escrow(b, tbl, 9)[0] == 0
    assert lib.JetCommitTransaction(b, 0) == 0
    assert get(tb, a, ta, tb.cn) == 9
    assert lib.JetMove(a, ta, C.JET_MoveNext, 0) == 0
    assert get(tb, a, ta) == b"v2"
