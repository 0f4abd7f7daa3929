"""Template tables and fixed DDL (JET_TABLECREATE grbit / szTemplateTableName)
through the C API (cffi).

ESENT's behaviour stated here: a table created with
JET_bitTableCreateTemplateTable is a template (and has fixed DDL); a table
created with szTemplateTableName inherits the template's columns and indexes
(its column and index info report them, records use them); DDL on a
fixed-DDL table gives JET_errFixedDDL unless the cursor was opened with
JET_bitTablePermitDDL (deletes: always); a derived table may add its own
columns but not delete inherited ones (JET_errFixedInheritedDDL); a template
that is itself derived gives JET_errCannotNestDDL, a template name that names
an ordinary table JET_errDDLNotInheritable; it all survives a restart.
"""
import struct

import pytest

from test_database import Env


def create(env, dbid, name, columns=(), indexes=(), grbit=0, template=None):
    """JetCreateTableColumnIndex: columns [(name, coltyp, grbit, default)],
    indexes [(name, key, grbit)].  Returns (err, tableid, {column: columnid})."""
    ffi, lib = env.ffi, env.lib
    keep = []
    rgc = ffi.new("JET_COLUMNCREATE_A[]", max(len(columns), 1))
    for i, (n, typ, g, dflt) in enumerate(columns):
        keep.append(ffi.new("char[]", n.encode()))
        rgc[i].cbStruct = ffi.sizeof("JET_COLUMNCREATE_A")
        rgc[i].szColumnName = keep[-1]
        rgc[i].coltyp = typ
        rgc[i].grbit = g
        rgc[i].cp = 1252 if typ == env.C.JET_coltypText else 0
        if dflt is not None:
            keep.append(ffi.new("char[]", dflt))
            rgc[i].pvDefault = keep[-1]
            rgc[i].cbDefault = len(dflt)
    rgi = ffi.new("JET_INDEXCREATE_A[]", max(len(indexes), 1))
    for i, (n, key, g) in enumerate(indexes):
        keep += [ffi.new("char[]", n.encode()), ffi.new("char[]", key)]
        rgi[i].cbStruct = ffi.sizeof("JET_INDEXCREATE_A")
        rgi[i].szIndexName = keep[-2]
        rgi[i].szKey = keep[-1]
        rgi[i].cbKey = len(key)
        rgi[i].grbit = g
        rgi[i].ulDensity = 100
    tc = ffi.new("JET_TABLECREATE_A *")
    tc.cbStruct = ffi.sizeof("JET_TABLECREATE_A")
    keep.append(ffi.new("char[]", name.encode()))
    tc.szTableName = keep[-1]
    if template:
        keep.append(ffi.new("char[]", template.encode()))
        tc.szTemplateTableName = keep[-1]
    tc.rgcolumncreate = rgc
    tc.cColumns = len(columns)
    tc.rgindexcreate = rgi
    tc.cIndexes = len(indexes)
    tc.grbit = grbit
    err = lib.JetCreateTableColumnIndex(env.ses, dbid, tc)
    cols = {n: rgc[i].columnid for i, (n, *_r) in enumerate(columns)}
    return err, tc.tableid, cols


def column(env, t, name):
    """JetGetTableColumnInfo(JET_ColInfo): (err, columnid, coltyp)."""
    cd = env.ffi.new("JET_COLUMNDEF *")
    err = env.lib.JetGetTableColumnInfo(env.ses, t, name.encode(), cd, env.ffi.sizeof("JET_COLUMNDEF"),
                                        env.C.JET_ColInfo)
    return err, cd.columnid, cd.coltyp


def open_table(env, dbid, name, grbit=0):
    p = env.ffi.new("JET_TABLEID *")
    err = env.lib.JetOpenTable(env.ses, dbid, name.encode(), env.ffi.NULL, 0, grbit, p)
    return err, p[0]


@pytest.fixture
def tpl(jet, tmp_path):
    """An instance with database a.edb and a template table `tpl`:
    k Long (primary), name Text (index by_name), n Long default 7."""
    env = Env(jet, tmp_path)
    C = env.C
    err, dbid = env.create_db()
    assert err == 0
    err, t, cols = create(env, dbid, "tpl",
                          [("k", C.JET_coltypLong, 0, None), ("name", C.JET_coltypText, 0, None),
                           ("n", C.JET_coltypLong, 0, struct.pack("<i", 7))],
                          [("pk", b"+k\0\0", C.JET_bitIndexPrimary), ("by_name", b"+name\0\0", 0)],
                          grbit=C.JET_bitTableCreateTemplateTable)
    assert err == 0, jet.err_name(err)
    assert env.lib.JetCloseTable(env.ses, t) == 0
    env.dbid, env.tplcols = dbid, cols
    yield env
    env.lib.JetTerm(env.inst)


def insert(env, t, values):
    lib, ffi = env.lib, env.ffi
    assert lib.JetPrepareUpdate(env.ses, t, env.C.JET_prepInsert) == 0
    for colid, data in values:
        assert lib.JetSetColumn(env.ses, t, colid, data, len(data), 0, ffi.NULL) == 0
    assert lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL) == 0


def test_derived_table_inherits_columns_and_indexes(tpl):
    env, C, lib, ffi = tpl, tpl.C, tpl.lib, tpl.ffi
    err, t, own = create(env, env.dbid, "d", [("extra", C.JET_coltypLong, 0, None)], template="tpl")
    assert err == 0, env.jet.err_name(err)
    for name, typ in (("k", C.JET_coltypLong), ("name", C.JET_coltypText), ("n", C.JET_coltypLong)):
        err, colid, coltyp = column(env, t, name)
        assert err == 0 and coltyp == typ
        assert colid == env.tplcols[name]  # the template's column ids
    assert column(env, t, "extra")[0] == 0
    ck, cname, cn = (column(env, t, n)[1] for n in ("k", "name", "n"))
    for k, name in ((2, b"bob"), (1, b"carl"), (3, b"al")):
        insert(env, t, [(ck, struct.pack("<i", k)), (cname, name)])
    # the template's default and indexes are the derived table's
    assert lib.JetMove(env.ses, t, C.JET_MoveFirst, 0) == 0
    err, v = env.retrieve(t, cn)
    assert err == 0 and struct.unpack("<i", v)[0] == 7
    assert lib.JetSetCurrentIndex(env.ses, t, b"by_name") == 0
    keys = []
    err = lib.JetMove(env.ses, t, C.JET_MoveFirst, 0)
    while err == 0:
        keys.append(struct.unpack("<i", env.retrieve(t, ck)[1])[0])
        err = lib.JetMove(env.ses, t, C.JET_MoveNext, 0)
    assert keys == [3, 2, 1]
    insert_dup = lib.JetPrepareUpdate(env.ses, t, C.JET_prepInsert)
    assert insert_dup == 0
    assert lib.JetSetColumn(env.ses, t, ck, struct.pack("<i", 1), 4, 0, ffi.NULL) == 0
    assert lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL) == C.JET_errKeyDuplicate  # the inherited primary key
    assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepCancel) == 0
    # a derived table may add columns and indexes of its own, not delete inherited ones
    cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong})
    p = ffi.new("JET_COLUMNID *")
    assert lib.JetAddColumn(env.ses, t, b"more", cd, ffi.NULL, 0, p) == 0
    assert lib.JetCreateIndex(env.ses, t, b"by_more", 0, b"+more\0\0", 7, 100) == 0
    assert lib.JetDeleteIndex(env.ses, t, b"by_name") == C.JET_errFixedInheritedDDL
    assert lib.JetDeleteColumn(env.ses, t, b"n") == C.JET_errFixedInheritedDDL
    assert lib.JetDeleteIndex(env.ses, t, b"by_more") == 0
    assert lib.JetDeleteColumn(env.ses, t, b"more") == 0


def test_fixed_ddl(tpl):
    env, C, lib, ffi = tpl, tpl.C, tpl.lib, tpl.ffi
    cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong})
    p = ffi.new("JET_COLUMNID *")
    err, t = create(env, env.dbid, "f", [("a", C.JET_coltypLong, 0, None), ("b", C.JET_coltypLong, 0, None)],
                    [("by_a", b"+a\0\0", 0)], grbit=C.JET_bitTableCreateFixedDDL)[:2]
    assert err == 0
    for tab in (t, open_table(env, env.dbid, "tpl")[1]):
        assert lib.JetAddColumn(env.ses, tab, b"x", cd, ffi.NULL, 0, p) == C.JET_errFixedDDL
        assert lib.JetCreateIndex(env.ses, tab, b"x", 0, b"+k\0\0", 4, 100) == C.JET_errFixedDDL
        assert lib.JetCloseTable(env.ses, tab) == 0
    err, t = open_table(env, env.dbid, "f")
    assert lib.JetDeleteIndex(env.ses, t, b"by_a") == C.JET_errFixedDDL
    assert lib.JetDeleteColumn(env.ses, t, b"b") == C.JET_errFixedDDL
    assert lib.JetCloseTable(env.ses, t) == 0
    # JET_bitTablePermitDDL lets columns and indexes be added
    err, t = open_table(env, env.dbid, "f", C.JET_bitTableDenyRead | C.JET_bitTablePermitDDL)
    assert err == 0
    assert lib.JetAddColumn(env.ses, t, b"x", cd, ffi.NULL, 0, p) == 0
    assert lib.JetCreateIndex(env.ses, t, b"by_x", 0, b"+x\0\0", 4, 100) == 0
    assert lib.JetDeleteIndex(env.ses, t, b"by_x") == C.JET_errFixedDDL
    assert lib.JetCloseTable(env.ses, t) == 0
    # a template then takes only tagged and long columns
    err, t = open_table(env, env.dbid, "tpl", C.JET_bitTableDenyRead | C.JET_bitTablePermitDDL)
    assert lib.JetAddColumn(env.ses, t, b"x", cd, ffi.NULL, 0, p) == C.JET_errFixedDDL
    cd.grbit = C.JET_bitColumnTagged
    assert lib.JetAddColumn(env.ses, t, b"x", cd, ffi.NULL, 0, p) == 0
    assert lib.JetCloseTable(env.ses, t) == 0


def test_dup_cursor_does_not_copy_permit_ddl(tpl):
    """ESENT's JetDupCursor copies whether the cursor may update (read-only stays read-only), not
    JET_bitTablePermitDDL: a duplicate of a DenyRead | PermitDDL cursor on a fixed-DDL table gets
    JET_errFixedDDL for DDL, while the cursor it was made from may still add columns."""
    env, C, lib, ffi = tpl, tpl.C, tpl.lib, tpl.ffi
    cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong})
    p = ffi.new("JET_COLUMNID *")
    err, t = create(env, env.dbid, "f", [("a", C.JET_coltypLong, 0, None)], grbit=C.JET_bitTableCreateFixedDDL)[:2]
    assert err == 0 and lib.JetCloseTable(env.ses, t) == 0
    err, t = open_table(env, env.dbid, "f", C.JET_bitTableDenyRead | C.JET_bitTablePermitDDL)
    assert err == 0
    pd = ffi.new("JET_TABLEID *")
    assert lib.JetDupCursor(env.ses, t, pd, 0) == 0  # the same session: its own deny-read lock allows it
    d = pd[0]
    assert lib.JetAddColumn(env.ses, d, b"x", cd, ffi.NULL, 0, p) == C.JET_errFixedDDL
    assert lib.JetCreateIndex(env.ses, d, b"by_a", 0, b"+a\0\0", 4, 100) == C.JET_errFixedDDL
    assert lib.JetAddColumn(env.ses, t, b"x", cd, ffi.NULL, 0, p) == 0
    # the duplicate is an ordinary cursor otherwise: it sees the new column and writes records
    assert column(env, d, "x")[0] == 0
    insert(env, d, [(column(env, d, "a")[1], struct.pack("<i", 1)), (p[0], struct.pack("<i", 2))])
    assert lib.JetMove(env.ses, t, C.JET_MoveFirst, 0) == 0
    assert env.retrieve(t, p[0]) == (0, struct.pack("<i", 2))
    assert lib.JetCloseTable(env.ses, d) == 0
    assert lib.JetCloseTable(env.ses, t) == 0


def test_refusals(tpl):
    env, C = tpl, tpl.C
    col = [("a", C.JET_coltypLong, 0, None)]
    assert create(env, env.dbid, "x", col, grbit=C.JET_bitTableCreateTemplateTable,
                  template="tpl")[0] == C.JET_errCannotNestDDL
    assert create(env, env.dbid, "x", col,
                  grbit=C.JET_bitTableCreateNoFixedVarColumnsInDerivedTables)[0] == C.JET_errInvalidGrbit
    assert create(env, env.dbid, "x", col, grbit=C.JET_bitTableCreateTemplateTable |
                  C.JET_bitTableCreateNoFixedVarColumnsInDerivedTables)[0] == C.JET_errInvalidGrbit
    assert create(env, env.dbid, "plain", col)[0] == 0
    assert create(env, env.dbid, "x", template="plain")[0] == C.JET_errDDLNotInheritable
    assert create(env, env.dbid, "x", template="nosuch")[0] == C.JET_errObjectNotFound
    # nothing of the failed creations is left
    assert open_table(env, env.dbid, "x")[0] == C.JET_errObjectNotFound


def test_persisted(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib, ffi = env.C, env.lib, env.ffi
    err, dbid = env.create_db()
    err, t = create(env, dbid, "tpl", [("k", C.JET_coltypLong, 0, None), ("v", C.JET_coltypLong, 0, None)],
                    [("pk", b"+k\0\0", C.JET_bitIndexPrimary), ("by_v", b"+v\0\0", 0)],
                    grbit=C.JET_bitTableCreateTemplateTable)[:2]
    assert err == 0 and lib.JetCloseTable(env.ses, t) == 0
    err, t = create(env, dbid, "d", template="tpl")[:2]
    assert err == 0 and lib.JetCloseTable(env.ses, t) == 0
    assert lib.JetTerm(env.inst) == 0
    env = Env(jet, tmp_path)
    path = str(tmp_path / "a.edb").encode()
    assert lib.JetAttachDatabase(env.ses, path, 0) == 0
    pdb = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(env.ses, path, ffi.NULL, pdb, 0) == 0
    cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong})
    p = ffi.new("JET_COLUMNID *")
    err, t = open_table(env, pdb[0], "tpl")
    assert lib.JetAddColumn(env.ses, t, b"x", cd, ffi.NULL, 0, p) == C.JET_errFixedDDL
    err, t = open_table(env, pdb[0], "d")
    assert lib.JetDeleteIndex(env.ses, t, b"by_v") == C.JET_errFixedInheritedDDL
    assert lib.JetSetCurrentIndex(env.ses, t, b"by_v") == 0
    assert lib.JetTerm(env.inst) == 0


def test_object_info_reports_the_table_kind(tpl):
    """JET_OBJECTINFO.flags (JetGetObjectInfo JET_ObjInfo / NoStats, the
    JET_ObjInfoList table, JetGetTableInfo JET_TblInfo): FixedDDL, Template,
    Derived as ESENT sets them (a template is also FixedDDL).  The levels ESENT
    itself refuses (SysTabCursor, ListACM, SysTabReadOnly, RulesLoaded) give
    JET_errFeatureNotAvailable; a short buffer JET_errBufferTooSmall."""
    env, C, lib, ffi = tpl, tpl.C, tpl.lib, tpl.ffi
    assert create(env, env.dbid, "d", template="tpl")[0] == 0
    assert create(env, env.dbid, "f", [("a", C.JET_coltypLong, 0, None)], grbit=C.JET_bitTableCreateFixedDDL)[0] == 0
    assert create(env, env.dbid, "plain", [("a", C.JET_coltypLong, 0, None)])[0] == 0
    want = {"tpl": C.JET_bitObjectTableTemplate | C.JET_bitObjectTableFixedDDL,
            "d": C.JET_bitObjectTableDerived, "f": C.JET_bitObjectTableFixedDDL, "plain": 0}
    oi = ffi.new("JET_OBJECTINFO *")
    for name, flags in want.items():
        for level in (C.JET_ObjInfo, C.JET_ObjInfoNoStats):
            assert lib.JetGetObjectInfo(env.ses, env.dbid, C.JET_objtypTable, ffi.NULL, name.encode(), oi,
                                        ffi.sizeof(oi[0]), level) == 0
            assert oi.flags == flags, name
        err, t = open_table(env, env.dbid, name)
        assert lib.JetGetTableInfo(env.ses, t, oi, ffi.sizeof(oi[0]), C.JET_TblInfo) == 0
        assert oi.flags == flags
        assert lib.JetCloseTable(env.ses, t) == 0
    ol = ffi.new("JET_OBJECTLIST *")
    assert lib.JetGetObjectInfo(env.ses, env.dbid, C.JET_objtypTable, ffi.NULL, ffi.NULL, ol, ffi.sizeof(ol[0]),
                                C.JET_ObjInfoList) == 0
    seen = {}
    buf, pcb = ffi.new("char[256]"), ffi.new("uint32_t *")
    err = lib.JetMove(env.ses, ol.tableid, C.JET_MoveFirst, 0)
    while err == 0:
        assert lib.JetRetrieveColumn(env.ses, ol.tableid, ol.columnidobjectname, buf, 256, pcb, 0, ffi.NULL) == 0
        name = bytes(ffi.buffer(buf, pcb[0])).decode()
        assert lib.JetRetrieveColumn(env.ses, ol.tableid, ol.columnidflags, buf, 4, pcb, 0, ffi.NULL) == 0
        seen[name] = struct.unpack("<I", ffi.buffer(buf, 4)[:])[0]
        err = lib.JetMove(env.ses, ol.tableid, C.JET_MoveNext, 0)
    assert lib.JetCloseTable(env.ses, ol.tableid) == 0
    assert {k: v for k, v in seen.items() if k in want} == {k: v & 0xFFFFFFFF for k, v in want.items()}
    for level in (C.JET_ObjInfoSysTabCursor, C.JET_ObjInfoListACM, C.JET_ObjInfoSysTabReadOnly,
                  C.JET_ObjInfoRulesLoaded):
        assert lib.JetGetObjectInfo(env.ses, env.dbid, C.JET_objtypTable, ffi.NULL, b"tpl", oi, ffi.sizeof(oi[0]),
                                    level) == C.JET_errFeatureNotAvailable
    assert lib.JetGetObjectInfo(env.ses, env.dbid, C.JET_objtypTable, ffi.NULL, b"tpl", oi, 8,
                                C.JET_ObjInfo) == C.JET_errBufferTooSmall


def test_inherited_index_keeps_its_conditional_columns(tpl):
    """An index of the template with a conditional column (added with
    JET_bitTablePermitDDL) is inherited with its condition."""
    from test_conditional_columns import T
    env, C, lib, ffi = tpl, tpl.C, tpl.lib, tpl.ffi
    err, t = open_table(env, env.dbid, "tpl", C.JET_bitTableDenyRead | C.JET_bitTablePermitDDL)
    assert err == 0
    helper = T.__new__(T)
    helper.env, helper.t = env, t
    assert helper.index("named_n", [("n", C.JET_bitIndexColumnMustBeNull)], key=b"+name\0\0") == 0
    assert lib.JetCloseTable(env.ses, t) == 0
    err, d = create(env, env.dbid, "d", template="tpl")[:2]
    assert err == 0
    ck, cname = (column(env, d, n)[1] for n in ("k", "name"))
    insert(env, d, [(ck, struct.pack("<i", 1)), (cname, b"a")])
    insert(env, d, [(ck, struct.pack("<i", 2)), (cname, b"b")])
    helper.t, helper.ck = d, ck
    assert helper.keys("named_n") == []  # n's default 7 is a value: the condition keeps both out
    assert helper.keys("by_name") == [1, 2]
