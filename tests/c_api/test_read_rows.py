"""EsepyReadRows (esepy_ext.h; csrc/isam/scanbatch.c, issue 20): a batch of
records read in one call -- the moves of JetMove, the first value of each asked
column packed into one buffer.  Every answer here is checked against what
JetMove + JetRetrieveColumn give for the same records: NULLs, empty and long
values, a buffer too small for a record (the record is left pending, the
cursor on it), the end of the index, index ranges, cursor filters, and the
errors of bad arguments."""
import struct

import pytest

from test_database import Env, env  # noqa: F401  (fixture)
from test_esent_functions import flt

I = lambda v: struct.pack("<i", v)  # noqa: E731


def value_of(k):
    """v of record k: empty for 3, long (5000 bytes, a separated long value) for 7, NULL for 11."""
    if k == 3:
        return b""
    if k == 7:
        return bytes(range(256)) * 20
    if k == 11:
        return None
    return b"v%d" % k


@pytest.fixture
def tb(env):
    lib, C, ffi = env.lib, env.C, env.ffi
    err, dbid = env.create_db()
    assert err == 0
    err, t = env.create_table(dbid, "t")
    assert err == 0
    err, ck = env.add_column(t, "k", C.JET_coltypLong)
    assert err == 0
    err, cv = env.add_column(t, "v", C.JET_coltypLongBinary)
    assert err == 0
    err, cw = env.add_column(t, "w", C.JET_coltypBinary, grbit=C.JET_bitColumnTagged)
    assert err == 0
    assert lib.JetCreateIndex(env.ses, t, b"pk", C.JET_bitIndexPrimary, b"+k\0\0", 4, 100) == 0
    assert lib.JetBeginTransaction(env.ses) == 0
    for k in range(1, 21):
        vals = [(ck, I(k))]
        if value_of(k) is not None:
            vals.append((cv, value_of(k)))
        if k % 2:
            vals.append((cw, b"w" * k))
        assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepInsert) == 0
        for col, data in vals:
            grbit = C.JET_bitSetZeroLength if data == b"" else 0   # empty, not NULL
            assert lib.JetSetColumn(env.ses, t, col, data, len(data), grbit, ffi.NULL) == 0
        assert lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetCommitTransaction(env.ses, 0) == 0
    yield env, t, (ck, cv, cw)
    lib.JetCloseTable(env.ses, t)


def read_rows(env, t, first, crow, cols, cb):
    """(err, rows, flags): rows as tuples of bytes / None in cols order."""
    ffi, lib = env.ffi, env.lib
    rgcol = ffi.new("ESEPY_READCOLUMN[]", max(1, len(cols)))
    for i, c in enumerate(cols):
        rgcol[i].columnid, rgcol[i].grbit = c, 0
    rgv = ffi.new("ESEPY_ROWVALUE[]", max(1, crow * len(cols)))
    buf = ffi.new("char[]", max(1, cb))
    pcrow, pcb, pgrbit = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("JET_GRBIT *")
    err = lib.EsepyReadRows(env.ses, t, first, crow, rgcol, len(cols), buf, cb, rgv, pcrow, pcb, pgrbit)
    rows = []
    for j in range(pcrow[0]):
        row = []
        for i in range(len(cols)):
            v = rgv[j * len(cols) + i]
            if v.err == env.C.JET_wrnColumnNull:
                assert v.cb == 0
                row.append(None)
            else:
                assert v.err == 0 and v.ib + v.cb <= pcb[0]
                row.append(bytes(ffi.buffer(buf + v.ib, v.cb)))
        rows.append(tuple(row))
    return err, rows, pgrbit[0]


def current(env, t, cols):
    """The current record's values by JetRetrieveColumn, sized to fit."""
    ffi, lib, C = env.ffi, env.lib, env.C
    out = []
    for c in cols:
        pcb = ffi.new("uint32_t *")
        err = lib.JetRetrieveColumn(env.ses, t, c, ffi.NULL, 0, pcb, 0, ffi.NULL)
        if err == C.JET_wrnColumnNull:
            out.append(None)
            continue
        buf = ffi.new("char[]", max(1, pcb[0]))
        assert lib.JetRetrieveColumn(env.ses, t, c, buf, pcb[0], pcb, 0, ffi.NULL) == 0
        out.append(bytes(ffi.buffer(buf, pcb[0])))
    return tuple(out)


def expected(ks):
    return [(I(k), value_of(k), b"w" * k if k % 2 else None) for k in ks]


def test_one_call_reads_every_record_with_nulls_empty_and_long_values(tb):
    env, t, cols = tb
    C = env.C
    err, rows, flags = read_rows(env, t, C.JET_MoveFirst, 100, cols, 1 << 20)
    assert err == 0
    assert flags == env.C.ESEPY_bitReadRowsEnd
    assert rows == expected(range(1, 21))
    # the cursor is after the last record, as JetMove leaves it
    assert env.lib.JetMove(env.ses, t, C.JET_MovePrevious, 0) == 0
    assert current(env, t, cols[:1]) == (I(20),)


def test_batches_go_on_where_the_last_stopped_and_match_jetmove(tb):
    env, t, cols = tb
    C, lib = env.C, env.lib
    got, first = [], C.JET_MoveFirst
    while True:
        err, rows, flags = read_rows(env, t, first, 3, cols, 1 << 20)
        assert err == 0
        got += rows
        if flags & C.ESEPY_bitReadRowsEnd:
            break
        assert len(rows) == 3 and flags == 0
        assert current(env, t, cols) == rows[-1]       # the cursor is on the last record read
        first = C.JET_MoveNext
    assert got == expected(range(1, 21))
    # cRowFirst 0: the current record first
    assert lib.JetMove(env.ses, t, C.JET_MoveFirst, 0) == 0
    err, rows, flags = read_rows(env, t, 0, 2, cols[:1], 64)
    assert (err, rows, flags) == (0, [(I(1),), (I(2),)], 0)


def test_a_record_that_does_not_fit_is_left_pending_with_the_cursor_on_it(tb):
    env, t, cols = tb
    C, lib = env.C, env.lib
    got, first, pending = [], C.JET_MoveFirst, 0
    while True:
        err, rows, flags = read_rows(env, t, first, 100, cols, 40)   # room for a few small records
        assert err == 0
        got += rows
        if flags & C.ESEPY_bitReadRowsEnd:
            break
        assert flags == C.ESEPY_bitReadRowsPending
        pending += 1
        got.append(current(env, t, cols))              # read the pending record the general way
        first = C.JET_MoveNext
    assert got == expected(range(1, 21))
    assert pending >= 5                                # 40 bytes hold few records; record 7 none
    # no room at all: nothing read, the first record pending
    err, rows, flags = read_rows(env, t, C.JET_MoveFirst, 5, cols, 0)
    assert (err, rows, flags) == (0, [], C.ESEPY_bitReadRowsPending)
    assert current(env, t, cols) == expected([1])[0]
    # no columns: moves only
    err, rows, flags = read_rows(env, t, C.JET_MoveFirst, 50, (), 0)
    assert (err, len(rows), flags) == (0, 20, C.ESEPY_bitReadRowsEnd)


def test_index_ranges_and_cursor_filters_apply_as_in_jetmove(tb):
    env, t, cols = tb
    C, lib, ffi = env.C, env.lib, env.ffi
    assert lib.JetMakeKey(env.ses, t, I(5), 4, C.JET_bitNewKey) == 0
    assert lib.JetSeek(env.ses, t, C.JET_bitSeekGE) == 0
    assert lib.JetMakeKey(env.ses, t, I(8), 4, C.JET_bitNewKey) == 0
    assert lib.JetSetIndexRange(env.ses, t, C.JET_bitRangeUpperLimit | C.JET_bitRangeInclusive) == 0
    err, rows, flags = read_rows(env, t, 0, 100, cols, 1 << 20)
    assert (err, flags) == (0, C.ESEPY_bitReadRowsEnd)
    assert rows == expected([5, 6, 7, 8])
    arr, keep = flt(ffi, [(cols[0], lib.JET_relopGreaterThan, I(15), 0)])
    assert lib.JetSetCursorFilter(env.ses, t, arr, 1, 0) == 0
    err, rows, flags = read_rows(env, t, C.JET_MoveFirst, 100, cols, 1 << 20)
    assert (err, flags) == (0, C.ESEPY_bitReadRowsEnd)
    assert rows == expected(range(16, 21))
    assert lib.JetSetCursorFilter(env.ses, t, ffi.NULL, 0, 0) == 0


def test_errors_of_bad_arguments(tb):
    env, t, cols = tb
    C, lib, ffi = env.C, env.lib, env.ffi
    pcrow, pcb, pgrbit = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("JET_GRBIT *")
    rgcol = ffi.new("ESEPY_READCOLUMN[1]")
    rgcol[0].columnid = cols[0]
    rgv = ffi.new("ESEPY_ROWVALUE[4]")
    buf = ffi.new("char[64]")
    assert lib.EsepyReadRows(env.ses, t, C.JET_MoveFirst, 4, rgcol, 1, buf, 64, rgv, ffi.NULL, pcb, pgrbit) == \
        C.JET_errInvalidParameter
    assert lib.EsepyReadRows(env.ses, t, C.JET_MoveFirst, 4, ffi.NULL, 1, buf, 64, rgv, pcrow, pcb, pgrbit) == \
        C.JET_errInvalidParameter
    assert lib.EsepyReadRows(env.ses, t, C.JET_MoveFirst, 4, rgcol, 1, ffi.NULL, 64, rgv, pcrow, pcb, pgrbit) == \
        C.JET_errInvalidParameter
    assert lib.EsepyReadRows(env.ses, t + 1, C.JET_MoveFirst, 4, rgcol, 1, buf, 64, rgv, pcrow, pcb, pgrbit) == \
        C.JET_errInvalidTableId
    # a column that is not there: the first record fails, nothing counted
    rgcol[0].columnid = 999
    assert lib.EsepyReadRows(env.ses, t, C.JET_MoveFirst, 4, rgcol, 1, buf, 64, rgv, pcrow, pcb, pgrbit) == \
        C.JET_errColumnNotFound
    assert (pcrow[0], pcb[0], pgrbit[0]) == (0, 0, 0)
    # an empty table: the end at once
    err, dbid = env.create_db("b.edb")
    assert err == 0
    err, t2 = env.create_table(dbid, "e")
    assert err == 0
    err, rows, flags = read_rows(env, t2, C.JET_MoveFirst, 4, (), 0)
    assert (err, rows, flags) == (0, [], C.ESEPY_bitReadRowsEnd)
    assert lib.JetCloseTable(env.ses, t2) == 0
