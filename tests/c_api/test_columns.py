"""Several columns per call (JetSetColumns / JetRetrieveColumns) through the C API."""
import struct

from test_database import env, make_kv  # noqa: F401  (fixture)


def test_layouts(jet):
    ffi = jet.ffi
    assert ffi.sizeof("JET_SETCOLUMN") == 40
    assert ffi.offsetof("JET_SETCOLUMN", "err") == 32
    assert ffi.sizeof("JET_RETRIEVECOLUMN") == 48
    assert ffi.offsetof("JET_RETRIEVECOLUMN", "err") == 40


def test_set_and_retrieve_columns(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    k = ffi.new("char[]", struct.pack("<i", 7))
    v = ffi.new("char[]", b"seven")
    sc = ffi.new("JET_SETCOLUMN[2]")
    sc[0].columnid, sc[0].pvData, sc[0].cbData = ck, k, 4
    sc[1].columnid, sc[1].pvData, sc[1].cbData = cv, v, 5
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumns(ses, t, sc, 2) == 0
    assert sc[0].err == 0 and sc[1].err == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    bufs = [ffi.new("char[]", 16) for _ in range(3)]
    rc = ffi.new("JET_RETRIEVECOLUMN[3]")
    for i, (col, cb) in enumerate(((ck, 16), (cv, 2), (cv, 16))):
        rc[i].columnid, rc[i].pvData, rc[i].cbData, rc[i].itagSequence = col, bufs[i], cb, 1
    assert lib.JetRetrieveColumns(ses, t, rc, 3) == C.JET_wrnBufferTruncated  # as ESENT
    assert rc[0].err == 0 and rc[0].cbActual == 4 and bytes(ffi.buffer(bufs[0], 4)) == struct.pack("<i", 7)
    assert rc[1].err == C.JET_wrnBufferTruncated and rc[1].cbActual == 5
    assert rc[2].err == 0 and bytes(ffi.buffer(bufs[2], 5)) == b"seven"
    # an error stops the call and is returned
    rc[1].columnid = 999
    assert lib.JetRetrieveColumns(ses, t, rc, 3) == C.JET_errColumnNotFound
    assert rc[1].err == C.JET_errColumnNotFound
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    sc[0].columnid = 999
    assert lib.JetSetColumns(ses, t, sc, 2) == C.JET_errColumnNotFound
    assert sc[0].err == C.JET_errColumnNotFound
