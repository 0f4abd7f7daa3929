"""A column's default value in the column list (JET_COLUMNLIST.columnidDefault) through the C API."""
import struct

from test_database import env, make_kv  # noqa: F401  (fixture)


def _defaults(env, cl):
    """{column name: default bytes or None} from a JET_COLUMNLIST's rows."""
    lib, C, ses = env.lib, env.C, env.ses
    out = {}
    ok = lib.JetMove(ses, cl.tableid, C.JET_MoveFirst, 0) == 0
    while ok:
        err, name = env.retrieve(cl.tableid, cl.columnidcolumnname)
        assert err == 0
        err, d = env.retrieve(cl.tableid, cl.columnidDefault)
        assert err in (0, C.JET_wrnColumnNull)
        out[name.decode()] = None if err == C.JET_wrnColumnNull else d
        ok = lib.JetMove(ses, cl.tableid, C.JET_MoveNext, 0) == 0
    return out


def test_column_list_reports_default_values(env):
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    dbid, t, _ck, _cv = make_kv(env)
    for name, coltyp, grbit, default in (("n", C.JET_coltypLong, 0, struct.pack("<i", -5)),
                                         ("s", C.JET_coltypText, C.JET_bitColumnTagged, b"dflt"),
                                         ("b", C.JET_coltypBinary, 0, b"\x01\x02\x03")):
        cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": coltyp,
                                         "grbit": grbit, "cp": 1252 if coltyp == C.JET_coltypText else 0})
        buf = ffi.new("char[]", default)
        assert lib.JetAddColumn(ses, t, name.encode(), cd, buf, len(default), ffi.new("JET_COLUMNID *")) == 0
    want = {"k": None, "v": None, "n": struct.pack("<i", -5), "s": b"dflt", "b": b"\x01\x02\x03"}
    # the table's list and the database-level list (by table name) both carry the defaults
    for call in (lambda p: lib.JetGetTableColumnInfo(ses, t, ffi.NULL, p, ffi.sizeof(p[0]), C.JET_ColInfoList),
                 lambda p: lib.JetGetColumnInfo(ses, dbid, b"kv", ffi.NULL, p, ffi.sizeof(p[0]),
                                                C.JET_ColInfoListSortColumnid)):
        cl = ffi.new("JET_COLUMNLIST *")
        assert call(cl) == 0
        assert cl.cRecord == 5
        assert _defaults(env, cl) == want
        assert lib.JetCloseTable(ses, cl.tableid) == 0
    # JetSetColumnDefaultValue (the table closed: it needs the table exclusively) changes what the list reports
    assert lib.JetCloseTable(ses, t) == 0
    nd = ffi.new("char[]", struct.pack("<i", 42))
    assert lib.JetSetColumnDefaultValue(ses, dbid, b"kv", b"n", nd, 4, 0) == 0
    cl = ffi.new("JET_COLUMNLIST *")
    assert lib.JetGetColumnInfo(ses, dbid, b"kv", ffi.NULL, cl, ffi.sizeof(cl[0]), C.JET_ColInfoList) == 0
    assert _defaults(env, cl)["n"] == struct.pack("<i", 42)
    assert lib.JetCloseTable(ses, cl.tableid) == 0
