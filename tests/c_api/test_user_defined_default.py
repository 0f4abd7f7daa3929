"""User-defined defaults (JET_bitColumnUserDefinedDefault with a
JET_USERDEFINEDDEFAULT) through the C API (cffi).

ESENT's behaviour stated here: JetAddColumn's pvDefault is the structure
(cbDefault its size, else JET_errInvalidParameter); the column must be tagged
or a long value and none of fixed, NotNULL, version, autoincrement, escrow,
MaybeNull (JET_errInvalidGrbit); the callback "library!function" is resolved
when the column is added (JET_errCallbackNotResolved) and kept in the column's
schema with the user data, so it survives a restart.  When a record has no
value in the column, JetRetrieveColumn calls it with cbtyp
JET_cbtypUserDefinedDefaultValue, pvArg1 = the caller's buffer, pvArg2 = a
uint32 size (in: the buffer size, out: the value's size), pvContext = the
user data, ulUnused = the columnid; its error fails the call; a size above the
buffer is JET_wrnBufferTruncated; JET_wrnColumnNull from it means NULL.
JET_bitRetrieveIgnoreDefault does not call it.  The library is compiled once
per session (conftest.py, callback_lib).
"""

import pytest

from test_database import Env

@pytest.fixture
def udd_lib(callback_lib):
    return callback_lib


def add_udd(env, t, name, callback, user=b"ABCD", coltyp=None, grbit=None, deps=None, cb=None):
    ffi, C = env.ffi, env.C
    keep = [ffi.new("char[]", callback.encode()), ffi.new("unsigned char[]", user or b"\0"),
            ffi.new("char[]", deps) if deps else ffi.NULL]
    udd = ffi.new("JET_USERDEFINEDDEFAULT *", {"szCallback": keep[0], "cbUserData": len(user or b"")})
    udd.pbUserData = keep[1] if user else ffi.NULL
    udd.szDependantColumns = keep[2]
    cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"),
                                     "coltyp": C.JET_coltypBinary if coltyp is None else coltyp,
                                     "grbit": (C.JET_bitColumnUserDefinedDefault | C.JET_bitColumnTagged)
                                     if grbit is None else grbit})
    p = ffi.new("JET_COLUMNID *")
    size = ffi.sizeof("JET_USERDEFINEDDEFAULT") if cb is None else cb
    err = env.lib.JetAddColumn(env.ses, t, name.encode(), cd, udd, size, p)
    return err, p[0]


def retrieve(env, t, col, cb=64, grbit=0):
    ffi = env.ffi
    buf, pcb = ffi.new("char[]", max(cb, 1)), ffi.new("uint32_t *")
    err = env.lib.JetRetrieveColumn(env.ses, t, col, buf, cb, pcb, grbit, ffi.NULL)
    return err, bytes(ffi.buffer(buf, min(pcb[0], cb))), pcb[0]


def test_user_defined_default_computed_on_retrieve(jet, tmp_path, udd_lib):
    so, mod = udd_lib
    env = Env(jet, tmp_path)
    C, lib, ffi = env.C, env.lib, env.ffi
    try:
        err, dbid = env.create_db()
        err, t = env.create_table(dbid, "t")
        err, k = env.add_column(t, "k", C.JET_coltypLong)
        err, u = add_udd(env, t, "u", so + "!esepy_test_udd", deps=b"k\0\0")
        assert err == 0, jet.err_name(err)
        err, n = add_udd(env, t, "n", so + "!esepy_test_udd", user=None, coltyp=C.JET_coltypLongBinary,
                         grbit=C.JET_bitColumnUserDefinedDefault)  # a long value: tagged anyway
        assert err == 0, jet.err_name(err)
        ci = ffi.new("JET_COLUMNDEF *")
        assert lib.JetGetTableColumnInfo(env.ses, t, b"u", ci, ffi.sizeof(ci[0]), C.JET_ColInfo) == 0
        assert ci.grbit & C.JET_bitColumnUserDefinedDefault and ci.grbit & C.JET_bitColumnTagged
        assert env.insert(t, [(k, b"\1\0\0\0")]) == 0
        assert lib.JetMove(env.ses, t, C.JET_MoveFirst, 0) == 0
        assert mod.udd_calls == 0  # nothing is computed until it is read
        assert retrieve(env, t, u) == (0, b"val=ABCD", 8)
        assert mod.udd_calls == 1 and mod.udd_cbtyp == C.JET_cbtypUserDefinedDefaultValue
        assert mod.udd_cbIn == 64 and mod.udd_ulUnused == u and mod.udd_tableid == t
        # a buffer too small: truncated, the full size reported
        assert retrieve(env, t, u, cb=4) == (C.JET_wrnBufferTruncated, b"val=", 8)
        assert mod.udd_cbIn == 4
        # the callback's JET_wrnColumnNull: a NULL value
        assert retrieve(env, t, n)[0] == C.JET_wrnColumnNull
        # JET_bitRetrieveIgnoreDefault does not call it
        calls = mod.udd_calls
        assert retrieve(env, t, u, grbit=C.JET_bitRetrieveIgnoreDefault)[0] == C.JET_wrnColumnNull
        assert mod.udd_calls == calls
        # its error fails the retrieval
        mod.udd_fail = C.JET_errCallbackFailed
        try:
            assert retrieve(env, t, u)[0] == C.JET_errCallbackFailed
        finally:
            mod.udd_fail = 0
        # JetRetrieveColumns calls it for its entry, as JetRetrieveColumn
        rc = ffi.new("JET_RETRIEVECOLUMN[2]")
        bufs = [ffi.new("char[16]"), ffi.new("char[16]")]
        for i, col in enumerate((k, u)):
            rc[i].columnid, rc[i].pvData, rc[i].cbData, rc[i].itagSequence = col, bufs[i], 16, 1
        assert lib.JetRetrieveColumns(env.ses, t, rc, 2) == 0
        assert (rc[0].err, rc[0].cbActual, bytes(ffi.buffer(bufs[0], 4))) == (0, 4, b"\1\0\0\0")
        assert (rc[1].err, rc[1].cbActual, bytes(ffi.buffer(bufs[1], 8))) == (0, 8, b"val=ABCD")
        # a stored value is returned as is, without a call
        assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepReplace) == 0
        assert lib.JetSetColumn(env.ses, t, u, b"mine", 4, 0, ffi.NULL) == 0
        assert lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL) == 0
        calls = mod.udd_calls
        assert retrieve(env, t, u) == (0, b"mine", 4)
        assert mod.udd_calls == calls
    finally:
        assert lib.JetTerm(env.inst) == 0
    # kept in the schema: called after a restart, with the same user data
    env = Env(jet, tmp_path)
    try:
        path = str(tmp_path / "a.edb").encode()
        assert lib.JetAttachDatabase(env.ses, path, 0) == 0
        pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
        assert lib.JetOpenDatabase(env.ses, path, ffi.NULL, pdb, 0) == 0
        assert lib.JetOpenTable(env.ses, pdb[0], b"t", ffi.NULL, 0, 0, pt) == 0
        assert env.insert(pt[0], [(k, b"\2\0\0\0")]) == 0
        assert lib.JetMove(env.ses, pt[0], C.JET_MoveLast, 0) == 0
        calls = mod.udd_calls
        assert retrieve(env, pt[0], u) == (0, b"val=ABCD", 8)
        assert mod.udd_calls == calls + 1 and mod.udd_ulUnused == u
    finally:
        assert lib.JetTerm(env.inst) == 0


def test_user_defined_default_refusals(jet, tmp_path, udd_lib):
    so, mod = udd_lib
    env = Env(jet, tmp_path)
    C, lib, ffi = env.C, env.lib, env.ffi
    name = so + "!esepy_test_udd"
    U = C.JET_bitColumnUserDefinedDefault
    try:
        err, dbid = env.create_db()
        err, t = env.create_table(dbid, "t")
        # fixed or variable (not tagged, not a long value) columns
        assert add_udd(env, t, "a", name, coltyp=C.JET_coltypLong, grbit=U)[0] == C.JET_errInvalidGrbit
        assert add_udd(env, t, "a", name, coltyp=C.JET_coltypText, grbit=U)[0] == C.JET_errInvalidGrbit
        assert add_udd(env, t, "a", name, grbit=U | C.JET_bitColumnFixed)[0] == C.JET_errInvalidGrbit
        # special kinds
        assert add_udd(env, t, "a", name, grbit=U | C.JET_bitColumnTagged |
                       C.JET_bitColumnMaybeNull)[0] == C.JET_errInvalidGrbit
        assert add_udd(env, t, "a", name, coltyp=C.JET_coltypLong,
                       grbit=U | C.JET_bitColumnVersion)[0] == C.JET_errInvalidGrbit
        assert add_udd(env, t, "a", name, coltyp=C.JET_coltypLong,
                       grbit=U | C.JET_bitColumnAutoincrement)[0] == C.JET_errInvalidGrbit
        # pvDefault must be the structure
        assert add_udd(env, t, "a", name, cb=8)[0] == C.JET_errInvalidParameter
        # the callback must resolve
        for bad in ("no_such_function_esepy", str(tmp_path / "nosuch.so") + "!f", so + "!no_such_function"):
            assert add_udd(env, t, "a", bad)[0] == C.JET_errCallbackNotResolved
        ci = ffi.new("JET_COLUMNDEF *")
        assert lib.JetGetTableColumnInfo(env.ses, t, b"a", ci, ffi.sizeof(ci[0]),
                                         C.JET_ColInfo) == C.JET_errColumnNotFound
        # esepy difference (docs/esent-differences.md): no index over such a column
        assert add_udd(env, t, "u", name)[0] == 0
        assert lib.JetCreateIndex(env.ses, t, b"iu", 0, b"+u\0\0", 5, 100) == C.JET_errFeatureNotAvailable
    finally:
        assert lib.JetTerm(env.inst) == 0
