"""A table's own callback (JET_TABLECREATE2 szCallback / cbtyp) through the
C API (cffi).

ESENT's behaviour stated here: the callback named at creation is kept with
the table and called for the table's cursors of every session, also after a
restart, with the types given in cbtyp; a name that cannot be resolved gives
JET_errCallbackNotResolved and creates nothing.  Off Windows, ESENT's
"dll!function" form names a shared library (dlopen: a path, or a name the
loader searches) and a function in it; a name without "!" is a function
already in the process.  The library is compiled once per session
(conftest.py, callback_lib).
"""
import struct

import pytest

from test_database import Env


@pytest.fixture
def cblib(callback_lib):
    return callback_lib[0]


def create(env, dbid, name, callback, cbtyp):
    ffi, C = env.ffi, env.C
    keep = [ffi.new("char[]", b"k"), ffi.new("char[]", b"+k\0\0"), ffi.new("char[]", b"pk"),
            ffi.new("char[]", name.encode()), ffi.new("char[]", callback.encode())]
    rgc = ffi.new("JET_COLUMNCREATE_A[1]")
    rgc[0].cbStruct = ffi.sizeof("JET_COLUMNCREATE_A")
    rgc[0].szColumnName = keep[0]
    rgc[0].coltyp = C.JET_coltypLong
    rgi = ffi.new("JET_INDEXCREATE_A[1]")
    rgi[0].cbStruct = ffi.sizeof("JET_INDEXCREATE_A")
    rgi[0].szIndexName = keep[2]
    rgi[0].szKey = keep[1]
    rgi[0].cbKey = 4
    rgi[0].grbit = C.JET_bitIndexPrimary
    rgi[0].ulDensity = 100
    tc = ffi.new("JET_TABLECREATE2_A *")
    tc.cbStruct = ffi.sizeof("JET_TABLECREATE2_A")
    tc.szTableName = keep[3]
    tc.rgcolumncreate, tc.cColumns = rgc, 1
    tc.rgindexcreate, tc.cIndexes = rgi, 1
    tc.szCallback = keep[4]
    tc.cbtyp = cbtyp
    err = env.lib.JetCreateTableColumnIndex2(env.ses, dbid, tc)
    return err, tc.tableid, rgc[0].columnid


def insert(env, ses, t, col, k):
    lib, ffi = env.lib, env.ffi
    assert lib.JetPrepareUpdate(ses, t, env.C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, col, struct.pack("<i", k), 4, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0


def test_table_callback_named_at_creation(jet, tmp_path, cblib, callback_lib):
    lib, ffi = jet.lib, jet.ffi
    env = Env(jet, tmp_path)
    C = env.C
    mod = callback_lib[1]  # the same loaded object the engine resolves: its counters

    def calls(cbtyp):
        return mod.tcb_calls[cbtyp.bit_length() - 1]

    try:
        err, dbid = env.create_db()
        assert err == 0
        err, t, col = create(env, dbid, "t", cblib + "!esepy_test_table_cb",
                             C.JET_cbtypBeforeInsert | C.JET_cbtypAfterDelete)
        assert err == 0, jet.err_name(err)
        insert(env, env.ses, t, col, 1)
        assert calls(C.JET_cbtypBeforeInsert) == 1 and mod.tcb_sessions[C.JET_cbtypBeforeInsert.bit_length() - 1] == env.ses
        assert calls(C.JET_cbtypAfterInsert) == 0  # not asked for
        # another session's cursor calls it too
        p = ffi.new("JET_SESID *")
        assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
        pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
        path = str(tmp_path / "a.edb").encode()
        assert lib.JetOpenDatabase(p[0], path, ffi.NULL, pdb, 0) == 0
        assert lib.JetOpenTable(p[0], pdb[0], b"t", ffi.NULL, 0, 0, pt) == 0
        insert(env, p[0], pt[0], col, 2)
        assert calls(C.JET_cbtypBeforeInsert) == 2 and mod.tcb_sessions[C.JET_cbtypBeforeInsert.bit_length() - 1] == p[0]
        assert lib.JetMove(p[0], pt[0], C.JET_MoveFirst, 0) == 0
        assert lib.JetDelete(p[0], pt[0]) == 0
        assert calls(C.JET_cbtypAfterDelete) == 1
        assert lib.JetEndSession(p[0], 0) == 0
        # unresolvable names create nothing
        for bad in ("no_such_function_esepy", str(tmp_path / "nosuch.so") + "!f", cblib + "!no_such_function"):
            assert create(env, dbid, "u", bad, C.JET_cbtypBeforeInsert)[0] == C.JET_errCallbackNotResolved
            pu = ffi.new("JET_TABLEID *")
            assert lib.JetOpenTable(env.ses, dbid, b"u", ffi.NULL, 0, 0, pu) == C.JET_errObjectNotFound
    finally:
        assert lib.JetTerm(env.inst) == 0
    # kept with the table: called after a restart
    env = Env(jet, tmp_path)
    try:
        path = str(tmp_path / "a.edb").encode()
        assert lib.JetAttachDatabase(env.ses, path, 0) == 0
        pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
        assert lib.JetOpenDatabase(env.ses, path, ffi.NULL, pdb, 0) == 0
        assert lib.JetOpenTable(env.ses, pdb[0], b"t", ffi.NULL, 0, 0, pt) == 0
        insert(env, env.ses, pt[0], col, 3)
        assert calls(C.JET_cbtypBeforeInsert) == 3
    finally:
        assert lib.JetTerm(env.inst) == 0
