"""Tables with thousands of columns through the C API: JetAddColumn, lookups by name and by id,
delete / rename / rollback of columns on a wide table.

Adding a column used to scan every column of the table twice (duplicate name, next column id),
so adding n columns was quadratic (the 64,993-column Windows sample took minutes); table.c now
keeps a lookup map per table.  These tests check the results of that path, not its speed
(benchmarks/bench_import.py shows the time)."""
import struct

from test_database import env  # noqa: F401  (fixture)

N_TAGGED = 6000


def _colinfo(env, t, name):
    cd = env.ffi.new("JET_COLUMNDEF *")
    err = env.lib.JetGetTableColumnInfo(env.ses, t, name.encode(), cd, env.ffi.sizeof("JET_COLUMNDEF"),
                                        env.C.JET_ColInfo)
    return err, (cd.columnid, cd.coltyp) if err == 0 else None


def _colinfo_by_id(env, t, columnid):
    cd = env.ffi.new("JET_COLUMNDEF *")
    pid = env.ffi.new("JET_COLUMNID *", columnid)
    err = env.lib.JetGetTableColumnInfo(env.ses, t, env.ffi.cast("char *", pid), cd,
                                        env.ffi.sizeof("JET_COLUMNDEF"), env.C.JET_ColInfoByColid)
    return err, cd.coltyp if err == 0 else None


def _wide_table(env):
    C = env.C
    err, dbid = env.create_db()
    assert err == 0
    err, t = env.create_table(dbid, "wide")
    assert err == 0
    err, cid = env.add_column(t, "Id", C.JET_coltypLong)
    assert err == 0 and cid == 1
    assert env.lib.JetCreateIndex(env.ses, t, b"primary", C.JET_bitIndexPrimary, b"+Id\0\0", 5, 100) == 0
    ids = []
    assert env.lib.JetBeginTransaction(env.ses) == 0
    for i in range(N_TAGGED):
        err, c = env.add_column(t, f"Column{i}", C.JET_coltypUnsignedShort, grbit=C.JET_bitColumnTagged)
        assert err == 0, (i, err)
        ids.append(c)
        if i % 1000 == 999:
            assert env.lib.JetCommitTransaction(env.ses, 0) == 0
            assert env.lib.JetBeginTransaction(env.ses) == 0
    assert env.lib.JetCommitTransaction(env.ses, 0) == 0
    return dbid, t, ids


def test_many_columns_ids_and_lookups(env):
    C, lib, ses = env.C, env.lib, env.ses
    dbid, t, ids = _wide_table(env)
    assert ids == list(range(256, 256 + N_TAGGED))          # tagged ids in order, none skipped
    # fixed and variable ranges are numbered on their own while the table is wide
    err, cf = env.add_column(t, "Fixed2", C.JET_coltypLong)
    assert err == 0 and cf == 2
    err, cv = env.add_column(t, "Var1", C.JET_coltypText, cp=1252)
    assert err == 0 and cv == 128
    # names are case-insensitive: every one of them is a duplicate
    for i in (0, 1, 2999, N_TAGGED - 1):
        assert env.add_column(t, f"COLUMN{i}", C.JET_coltypLong)[0] == C.JET_errColumnDuplicate
        assert _colinfo(env, t, f"column{i}") == (0, (256 + i, C.JET_coltypUnsignedShort))
    assert env.add_column(t, "var1", C.JET_coltypLong)[0] == C.JET_errColumnDuplicate
    assert _colinfo(env, t, "NoSuchColumn")[0] == C.JET_errColumnNotFound
    assert _colinfo_by_id(env, t, 256 + 4321) == (0, C.JET_coltypUnsignedShort)
    assert _colinfo_by_id(env, t, 256 + N_TAGGED + 5)[0] == C.JET_errColumnNotFound
    # values in tagged columns across the table (20: a 4 KiB page's record holds ~45), read back by id
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, 1, struct.pack("<i", 1), 4, 0, env.ffi.NULL) == 0
    for i in range(0, N_TAGGED, 300):
        assert lib.JetSetColumn(ses, t, ids[i], struct.pack("<H", i), 2, 0, env.ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, env.ffi.NULL, 0, env.ffi.NULL) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    for i in range(0, N_TAGGED, 300):
        assert env.retrieve(t, ids[i]) == (0, struct.pack("<H", i))
    assert env.retrieve(t, ids[1])[0] == C.JET_wrnColumnNull


def test_many_columns_delete_rename_rollback_reopen(env):
    C, lib, ses = env.C, env.lib, env.ses
    dbid, t, ids = _wide_table(env)
    # a deleted column's name is free again, its id is not reused
    assert lib.JetDeleteColumn(ses, t, b"Column10") == 0
    assert _colinfo(env, t, "Column10")[0] == C.JET_errColumnNotFound
    assert _colinfo_by_id(env, t, ids[10])[0] == C.JET_errColumnNotFound
    err, c = env.add_column(t, "column10", C.JET_coltypLong, grbit=C.JET_bitColumnTagged)
    assert err == 0 and c == 256 + N_TAGGED
    # a renamed column is found under its new name only
    assert lib.JetRenameColumn(ses, t, b"Column20", b"Renamed20", 0) == 0
    assert _colinfo(env, t, "Column20")[0] == C.JET_errColumnNotFound
    assert _colinfo(env, t, "renamed20") == (0, (ids[20], C.JET_coltypUnsignedShort))
    assert env.add_column(t, "Column20", C.JET_coltypLong)[0] == 0
    # columns added in a transaction that rolls back are gone
    assert lib.JetBeginTransaction(ses) == 0
    for i in range(50):
        assert env.add_column(t, f"Gone{i}", C.JET_coltypLong, grbit=C.JET_bitColumnTagged)[0] == 0
    assert _colinfo(env, t, "Gone49")[0] == 0
    assert lib.JetRollback(ses, 0) == 0
    assert _colinfo(env, t, "Gone0")[0] == C.JET_errColumnNotFound
    assert _colinfo(env, t, "Gone49")[0] == C.JET_errColumnNotFound
    err, c = env.add_column(t, "After", C.JET_coltypLong, grbit=C.JET_bitColumnTagged)
    assert err == 0 and c == 256 + N_TAGGED + 1
    # the table opened again (columns loaded from the catalog) has the same names and ids
    assert lib.JetCloseTable(ses, t) == 0
    p = env.ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, dbid, b"wide", env.ffi.NULL, 0, 0, p) == 0
    t = p[0]
    assert _colinfo(env, t, "Column5999") == (0, (ids[5999], C.JET_coltypUnsignedShort))
    assert _colinfo(env, t, "renamed20")[0] == 0 and _colinfo(env, t, "Column10") == (0, (c - 1, C.JET_coltypLong))
    assert _colinfo(env, t, "Gone3")[0] == C.JET_errColumnNotFound
    assert env.add_column(t, "Column77", C.JET_coltypLong)[0] == C.JET_errColumnDuplicate
    err, c2 = env.add_column(t, "Last", C.JET_coltypLong, grbit=C.JET_bitColumnTagged)
    assert err == 0 and c2 == c + 1


N_COMPACT = 20000


def test_compact_wide_table_keeps_columns_and_values(env):
    """JetCompact of a table with 20,000 tagged columns: the copy has every column under the same
    id and the same values.  compact.c used to pick each next column id by scanning all of them
    (n^2 steps: 4e8 here, ~4e9 for the 64,993-column sample); it now sorts them once."""
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    err, dbid = env.create_db()
    assert err == 0
    err, t = env.create_table(dbid, "wide")
    assert err == 0
    assert env.add_column(t, "Id", C.JET_coltypLong) == (0, 1)
    assert lib.JetCreateIndex(ses, t, b"primary", C.JET_bitIndexPrimary, b"+Id\0\0", 5, 100) == 0
    assert lib.JetBeginTransaction(ses) == 0
    for i in range(N_COMPACT):
        assert env.add_column(t, f"C{i}", C.JET_coltypLong, grbit=C.JET_bitColumnTagged) == (0, 256 + i)
        if i % 2000 == 1999:
            assert lib.JetCommitTransaction(ses, 0) == 0
            assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    # row r sets every 997th column starting at r (20 or 21 values: a record holds them)
    expect = {}
    for r in range(5):
        assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
        assert lib.JetSetColumn(ses, t, 1, struct.pack("<i", r), 4, 0, ffi.NULL) == 0
        for i in range(r, N_COMPACT, 997):
            v = struct.pack("<i", r * 100000 + i)
            assert lib.JetSetColumn(ses, t, 256 + i, v, 4, 0, ffi.NULL) == 0
            expect[(r, i)] = v
        assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetCloseTable(ses, t) == 0
    src = str(env.folder / "a.edb").encode()
    assert lib.JetCloseDatabase(ses, dbid, 0) == 0
    assert lib.JetDetachDatabase(ses, src) == 0
    dest = str(env.folder / "b.edb").encode()
    assert lib.JetCompact(ses, src, dest, ffi.NULL, ffi.NULL, 0) == 0

    assert lib.JetAttachDatabase(ses, dest, C.JET_bitDbReadOnly) == 0
    pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
    assert lib.JetOpenDatabase(ses, dest, ffi.NULL, pdb, 0) == 0
    assert lib.JetOpenTable(ses, pdb[0], b"wide", ffi.NULL, 0, 0, pt) == 0
    t = pt[0]
    for i in (0, 1, 9999, N_COMPACT - 1):
        assert _colinfo(env, t, f"C{i}") == (0, (256 + i, C.JET_coltypLong))
    got = {}
    err = lib.JetMove(ses, t, C.JET_MoveFirst, 0)
    rows = 0
    while err == 0:
        e, rid = env.retrieve(t, 1)
        assert e == 0
        r = struct.unpack("<i", rid)[0]
        for i in range(r % 997, N_COMPACT, 997):  # the columns any row may have set at this stride
            e, v = env.retrieve(t, 256 + i)
            if e == 0:
                got[(r, i)] = v
            else:
                assert e == C.JET_wrnColumnNull
        assert env.retrieve(t, 256 + (r + 1) % N_COMPACT)[0] == C.JET_wrnColumnNull
        rows += 1
        err = lib.JetMove(ses, t, C.JET_MoveNext, 0)
    assert err == C.JET_errNoCurrentRecord and rows == 5
    assert got == expect
    assert lib.JetCloseTable(ses, t) == 0
    assert lib.JetCloseDatabase(ses, pdb[0], 0) == 0
    assert lib.JetDetachDatabase(ses, dest) == 0
