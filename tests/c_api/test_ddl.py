"""Schema changes on tables with data through the C API: JetDeleteColumn,
JetRenameColumn, JetRenameTable, JetGetTableInfo, JetGetColumnInfo /
JetGetTableColumnInfo levels; transactional and recovered after a crash."""
import struct

from test_database import Env, env, make_kv  # noqa: F401  (fixture)


def test_layouts(jet):
    ffi = jet.ffi
    assert ffi.sizeof("JET_OBJECTINFO") == 40 and ffi.offsetof("JET_OBJECTINFO", "grbit") == 24
    assert ffi.sizeof("JET_COLUMNBASE") == 540 and ffi.offsetof("JET_COLUMNBASE", "szBaseTableName") == 28
    C = jet.C
    assert (C.JET_ColInfoBase, C.JET_ColInfoByColid, C.JET_ColInfoBaseByColid) == (4, 6, 8)
    assert (C.JET_TblInfo, C.JET_TblInfoName, C.JET_TblInfoDbid) == (0, 1, 2)


def column_def(env, t, name):
    cd = env.ffi.new("JET_COLUMNDEF *")
    err = env.lib.JetGetTableColumnInfo(env.ses, t, name.encode(), cd, env.ffi.sizeof("JET_COLUMNDEF"),
                                        env.C.JET_ColInfo)
    return err, cd


def test_delete_and_rename_columns_with_data(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    err, cx = env.add_column(t, "extra", C.JET_coltypLong)
    assert err == 0
    err, ct = env.add_column(t, "tag", C.JET_coltypLongText, cp=1252)
    assert err == 0
    for k in range(20):
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"v%d" % k), (cx, struct.pack("<i", -k)),
                              (ct, b"t" * 5000)]) == 0
    # a key column cannot go
    assert lib.JetDeleteColumn(ses, t, b"k") == C.JET_errColumnInUse
    assert lib.JetDeleteColumn(ses, t, b"nope") == C.JET_errColumnNotFound
    # a rolled back delete changes nothing
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetDeleteColumn(ses, t, b"extra") == 0
    assert column_def(env, t, "extra")[0] == C.JET_errColumnNotFound
    assert lib.JetRollback(ses, 0) == 0
    assert lib.JetCloseTable(ses, t) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, dbid, b"kv", ffi.NULL, 0, 0, pt) == 0
    t = pt[0]
    assert column_def(env, t, "extra")[1].columnid == cx
    assert lib.JetDeleteColumn(ses, t, b"extra") == 0
    assert lib.JetDeleteColumn2(ses, t, b"tag", 0) == 0
    assert column_def(env, t, "extra")[0] == C.JET_errColumnNotFound
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    assert lib.JetRetrieveColumn(ses, t, cx, ffi.NULL, 0, ffi.NULL, 0, ffi.NULL) == C.JET_errColumnNotFound
    # a column added afterwards gets a fresh id and reads NULL in old records
    err, cy = env.add_column(t, "extra", C.JET_coltypLong)
    assert err == 0 and cy != cx
    assert env.retrieve(t, cy)[0] == C.JET_wrnColumnNull
    # deleting a record whose deleted long-value column still holds a value works
    assert lib.JetDelete(ses, t) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    # rename
    assert lib.JetRenameColumn(ses, t, b"v", b"value", 0) == 0
    assert lib.JetRenameColumn(ses, t, b"value", b"k", 0) == C.JET_errColumnDuplicate
    assert lib.JetRenameColumn(ses, t, b"gone", b"x", 0) == C.JET_errColumnNotFound
    err, cd = column_def(env, t, "value")
    assert err == 0 and cd.columnid == cv
    assert column_def(env, t, "v")[0] == C.JET_errColumnNotFound
    assert env.retrieve(t, cv) == (0, b"v1")


def test_other_cursors_see_column_changes(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, dbid, b"kv", ffi.NULL, 0, 0, pt) == 0
    t2 = pt[0]
    err, cn = env.add_column(t, "n", C.JET_coltypLong)
    assert err == 0
    assert column_def(env, t2, "n")[1].columnid == cn
    assert lib.JetRenameColumn(ses, t, b"n", b"m", 0) == 0
    assert column_def(env, t2, "m")[1].columnid == cn
    assert lib.JetDeleteColumn(ses, t, b"m") == 0
    assert column_def(env, t2, "m")[0] == C.JET_errColumnNotFound


def test_add_column_sees_other_cursors_and_rollbacks(env):
    """JetAddColumn works from the table's current definition: after a rolled-back JetAddColumn the
    same name may be added again, and a cursor opened before another cursor added a column adds
    the next column id (it used to check the name and pick the id from the definition it had
    loaded: JET_errColumnDuplicate after the rollback, JET_errKeyDuplicate from the catalog)."""
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    assert lib.JetBeginTransaction(ses) == 0
    assert env.add_column(t, "n", C.JET_coltypLong) == (0, 2)
    assert lib.JetRollback(ses, 0) == 0
    assert env.add_column(t, "n", C.JET_coltypLong) == (0, 2)
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, dbid, b"kv", ffi.NULL, 0, 0, pt) == 0
    t2 = pt[0]
    assert env.add_column(t, "m", C.JET_coltypLong) == (0, 3)
    assert env.add_column(t2, "m", C.JET_coltypLong)[0] == C.JET_errColumnDuplicate
    assert env.add_column(t2, "o", C.JET_coltypLong) == (0, 4)
    assert [column_def(env, t, n)[1].columnid for n in ("n", "m", "o")] == [2, 3, 4]
    assert lib.JetCloseTable(ses, t2) == 0


def test_rename_table(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    assert env.insert(t, [(ck, struct.pack("<i", 1)), (cv, b"one")]) == 0
    assert lib.JetRenameTable(ses, dbid, b"kv", b"renamed") == C.JET_errTableInUse
    assert lib.JetCloseTable(ses, t) == 0
    err, t2 = env.create_table(dbid, "other")
    assert err == 0 and lib.JetCloseTable(ses, t2) == 0
    assert lib.JetRenameTable(ses, dbid, b"kv", b"other") == C.JET_errTableDuplicate
    assert lib.JetRenameTable(ses, dbid, b"missing", b"x") == C.JET_errObjectNotFound
    assert lib.JetRenameTable(ses, dbid, b"kv", b"bad.name") == C.JET_errInvalidName
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetRenameTable(ses, dbid, b"kv", b"renamed") == 0
    assert lib.JetRollback(ses, 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, dbid, b"renamed", ffi.NULL, 0, 0, pt) == C.JET_errObjectNotFound
    assert lib.JetRenameTable(ses, dbid, b"kv", b"Renamed") == 0
    assert lib.JetOpenTable(ses, dbid, b"kv", ffi.NULL, 0, 0, pt) == C.JET_errObjectNotFound
    assert lib.JetOpenTable(ses, dbid, b"renamed", ffi.NULL, 0, 0, pt) == 0
    t = pt[0]
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    assert env.retrieve(t, cv) == (0, b"one")
    name = ffi.new("char[64]")
    assert lib.JetGetTableInfo(ses, t, name, 64, C.JET_TblInfoName) == 0
    assert ffi.string(name) == b"Renamed"
    assert lib.JetGetTableInfo(ses, t, name, 3, C.JET_TblInfoName) == C.JET_errBufferTooSmall


def test_table_and_column_info(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    oi = ffi.new("JET_OBJECTINFO *")
    assert lib.JetGetTableInfo(ses, t, oi, ffi.sizeof("JET_OBJECTINFO"), C.JET_TblInfo) == 0
    assert oi.cbStruct == 40 and oi.objtyp == C.JET_objtypTable
    assert oi.grbit & C.JET_bitTableInfoUpdatable and oi.grbit & C.JET_bitTableInfoBookmark
    pdb = ffi.new("JET_DBID *")
    assert lib.JetGetTableInfo(ses, t, pdb, 4, C.JET_TblInfoDbid) == 0 and pdb[0] == dbid
    assert lib.JetGetTableInfo(ses, t, oi, 8, C.JET_TblInfo) == C.JET_errBufferTooSmall
    assert lib.JetGetTableInfo(ses, t, oi, 40, 99) == C.JET_errInvalidParameter
    # JetGetColumnInfo by table name, every level
    cd = ffi.new("JET_COLUMNDEF *")
    assert lib.JetGetColumnInfo(ses, dbid, b"kv", b"v", cd, ffi.sizeof(cd[0]), C.JET_ColInfo) == 0
    assert cd.columnid == cv and cd.coltyp == C.JET_coltypText and cd.cp == 1252
    pid = ffi.new("JET_COLUMNID *", ck)
    assert lib.JetGetColumnInfo(ses, dbid, b"kv", ffi.cast("char *", pid), cd, ffi.sizeof(cd[0]),
                                C.JET_ColInfoByColid) == 0
    assert cd.columnid == ck and cd.coltyp == C.JET_coltypLong
    cb = ffi.new("JET_COLUMNBASE *")
    assert lib.JetGetTableColumnInfo(ses, t, b"v", cb, ffi.sizeof(cb[0]), C.JET_ColInfoBase) == 0
    assert cb.cbStruct == 540 and cb.columnid == cv and ffi.string(cb.szBaseTableName) == b"kv"
    assert ffi.string(cb.szBaseColumnName) == b"v"
    assert lib.JetGetTableColumnInfo(ses, t, ffi.cast("char *", pid), cb, ffi.sizeof(cb[0]),
                                     C.JET_ColInfoBaseByColid) == 0
    assert ffi.string(cb.szBaseColumnName) == b"k"
    assert lib.JetGetColumnInfo(ses, dbid, b"nope", b"v", cd, ffi.sizeof(cd[0]), C.JET_ColInfo) == \
        C.JET_errObjectNotFound
    assert lib.JetGetTableColumnInfo(ses, t, b"v", cb, 100, C.JET_ColInfoBase) == C.JET_errBufferTooSmall


def test_ddl_recovered_after_a_crash(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib, ffi = env.C, env.lib, env.ffi
    dbid, t, ck, cv = make_kv(env)
    err, cx = env.add_column(t, "x", C.JET_coltypLong)
    assert err == 0
    assert env.insert(t, [(ck, struct.pack("<i", 1)), (cv, b"one"), (cx, struct.pack("<i", 5))]) == 0
    # committed: rename column v, delete column x, rename table kv
    assert lib.JetRenameColumn(env.ses, t, b"v", b"val", 0) == 0
    assert lib.JetDeleteColumn(env.ses, t, b"x") == 0
    assert lib.JetCloseTable(env.ses, t) == 0
    assert lib.JetRenameTable(env.ses, dbid, b"kv", b"kv2") == 0
    # unfinished: another rename and a column delete
    assert lib.JetBeginTransaction(env.ses) == 0
    assert lib.JetRenameTable(env.ses, dbid, b"kv2", b"kv3") == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(env.ses, dbid, b"kv3", ffi.NULL, 0, 0, pt) == 0
    assert lib.JetDeleteColumn(env.ses, pt[0], b"val") == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    env2 = Env(jet, tmp_path)
    path = str(tmp_path / "a.edb").encode()
    assert lib.JetAttachDatabase(env2.ses, path, 0) == 0
    pdb = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(env2.ses, path, ffi.NULL, pdb, 0) == 0
    assert lib.JetOpenTable(env2.ses, pdb[0], b"kv3", ffi.NULL, 0, 0, pt) == C.JET_errObjectNotFound
    assert lib.JetOpenTable(env2.ses, pdb[0], b"kv2", ffi.NULL, 0, 0, pt) == 0
    t2 = pt[0]
    assert column_def(env2, t2, "x")[0] == C.JET_errColumnNotFound
    assert column_def(env2, t2, "v")[0] == C.JET_errColumnNotFound
    assert column_def(env2, t2, "val")[1].columnid == cv
    assert lib.JetMove(env2.ses, t2, C.JET_MoveFirst, 0) == 0
    assert env2.retrieve(t2, cv) == (0, b"one")
    assert env2.term() == 0


def test_create_table_column_index_layouts(jet):
    ffi = jet.ffi
    assert ffi.sizeof("JET_COLUMNCREATE") == 56 and ffi.offsetof("JET_COLUMNCREATE", "columnid") == 48
    assert ffi.sizeof("JET_TABLECREATE") == 80 and ffi.offsetof("JET_TABLECREATE", "tableid") == 64
    assert ffi.sizeof("JET_TABLECREATE2") == 96 and ffi.offsetof("JET_TABLECREATE2", "tableid") == 80
    assert ffi.sizeof("JET_TABLECREATE3") == 120 and ffi.offsetof("JET_TABLECREATE3", "tableid") == 104


def _columns(env, keep):
    C, ffi = env.C, env.ffi
    specs = [(b"id", C.JET_coltypLong, C.JET_bitColumnAutoincrement, 0), (b"name", C.JET_coltypText, 0, 1252),
             (b"body", C.JET_coltypLongBinary, 0, 0)]
    cols = ffi.new("JET_COLUMNCREATE[]", len(specs))
    for i, (n, t, g, cp) in enumerate(specs):
        keep.append(ffi.new("char[]", n))
        cols[i].cbStruct, cols[i].szColumnName, cols[i].coltyp = ffi.sizeof("JET_COLUMNCREATE"), keep[-1], t
        cols[i].grbit, cols[i].cp = g, cp
    return cols


def _index(env, keep, struct_name, name, key, grbit):
    ffi = env.ffi
    ic = ffi.new(struct_name + "[1]")
    keep += [ffi.new("char[]", name), ffi.new("char[]", key)]
    ic[0].cbStruct, ic[0].szIndexName, ic[0].szKey, ic[0].cbKey = ffi.sizeof(struct_name), keep[-2], keep[-1], \
        len(key) + 1
    ic[0].grbit, ic[0].ulDensity = grbit, 100
    return ic


def test_create_table_column_index_variants(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    err, dbid = env.create_db()
    assert err == 0
    for level, (tc_name, ic_name) in enumerate([("JET_TABLECREATE", "JET_INDEXCREATE_A"),
                                                ("JET_TABLECREATE2", "JET_INDEXCREATE_A"),
                                                ("JET_TABLECREATE3", "JET_INDEXCREATE2_A")], 1):
        keep = []
        cols = _columns(env, keep)
        idx = _index(env, keep, ic_name, b"primary", b"+id\0", C.JET_bitIndexPrimary | C.JET_bitIndexUnique)
        tc = ffi.new(tc_name + " *")
        tname = ffi.new("char[]", b"t%d" % level)
        tc.cbStruct, tc.szTableName, tc.rgcolumncreate, tc.cColumns = ffi.sizeof(tc_name), tname, cols, 3
        tc.rgindexcreate, tc.cIndexes, tc.ulDensity = idx, 1, 100
        fn = {1: lib.JetCreateTableColumnIndex, 2: lib.JetCreateTableColumnIndex2,
              3: lib.JetCreateTableColumnIndex3}[level]
        assert fn(ses, dbid, tc) == 0
        assert tc.cCreated == 5 and tc.tableid != C.JET_tableidNil
        assert [cols[i].err for i in range(3)] == [0, 0, 0] and idx[0].err == 0
        t = tc.tableid
        assert env.insert(t, [(cols[1].columnid, b"x"), (cols[2].columnid, b"y" * 9000)]) == 0
        assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
        assert env.retrieve(t, cols[0].columnid) == (0, struct.pack("<i", 1))
        assert env.retrieve(t, cols[2].columnid, 10000) == (0, b"y" * 9000)
        assert lib.JetCloseTable(ses, t) == 0
    # a failing column undoes the whole table
    keep = []
    cols = _columns(env, keep)
    cols[2].coltyp = C.JET_coltypSLV
    tc = ffi.new("JET_TABLECREATE *")
    tname = ffi.new("char[]", b"broken")
    tc.cbStruct, tc.szTableName, tc.rgcolumncreate, tc.cColumns = ffi.sizeof("JET_TABLECREATE"), tname, cols, 3
    assert lib.JetCreateTableColumnIndex(ses, dbid, tc) == C.JET_errInvalidColumnType
    assert cols[2].err == C.JET_errInvalidColumnType and tc.cCreated == 0 and tc.tableid == C.JET_tableidNil
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, dbid, b"broken", ffi.NULL, 0, 0, pt) == C.JET_errObjectNotFound
    # a bad index likewise
    cols = _columns(env, keep)
    idx = _index(env, keep, "JET_INDEXCREATE_A", b"bad", b"+nosuch\0", 0)
    tc.rgcolumncreate, tc.rgindexcreate, tc.cIndexes = cols, idx, 1
    assert lib.JetCreateTableColumnIndex(ses, dbid, tc) == C.JET_errColumnNotFound
    assert lib.JetOpenTable(ses, dbid, b"broken", ffi.NULL, 0, 0, pt) == C.JET_errObjectNotFound
    tc.cbStruct = 12
    assert lib.JetCreateTableColumnIndex(ses, dbid, tc) == C.JET_errInvalidParameter
