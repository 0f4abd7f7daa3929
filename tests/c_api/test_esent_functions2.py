"""More ESENT functions added for issue 18 (JetSetColumnDefaultValue, ...),
through the C API.

Each test states what ESENT does (Microsoft's documentation and its
open-source engine; facts only) and checks esepy does the same;
docs/esent-differences.md lists where esepy differs."""
import struct

from test_database import env, make_kv  # noqa: F401  (fixture)
from test_esent_wide import W, from_w


def I(k):
    return struct.pack("<i", k)


def open_table(env, dbid, name=b"kv"):
    p = env.ffi.new("JET_TABLEID *")
    err = env.lib.JetOpenTable(env.ses, dbid, name, env.ffi.NULL, 0, 0, p)
    return err, p[0]


def seek(env, t, k):
    assert env.lib.JetMakeKey(env.ses, t, I(k), 4, env.C.JET_bitNewKey) == 0
    return env.lib.JetSeek(env.ses, t, env.C.JET_bitSeekEQ)


def retrieve(env, t, colid, grbit=0):
    ffi = env.ffi
    buf = ffi.new("char[]", 256)
    pcb = ffi.new("uint32_t *")
    err = env.lib.JetRetrieveColumn(env.ses, t, colid, buf, 256, pcb, grbit, ffi.NULL)
    return err, bytes(ffi.buffer(buf, min(pcb[0], 256))) if err >= 0 else None


# --- JetSetColumnDefaultValue --------------------------------------------------

def test_set_column_default_value_old_rows_read_the_new_default(env):
    # ESENT: the default lives in the catalog, not in records, so records that
    # never stored a value read the new default; stored values are unchanged;
    # JET_bitRetrieveIgnoreDefault still sees NULL; grbit is ignored.
    lib, C, ses = env.lib, env.C, env.ses
    dbid, t, ck, cv = make_kv(env)
    assert env.insert(t, [(ck, I(1))]) == 0
    assert env.insert(t, [(ck, I(2)), (cv, b"own")]) == 0
    assert lib.JetCloseTable(ses, t) == 0
    assert lib.JetSetColumnDefaultValue(ses, dbid, b"kv", b"v", b"dflt", 4, 0) == 0
    err, t = open_table(env, dbid)
    assert err == 0
    assert seek(env, t, 1) == 0
    assert retrieve(env, t, cv) == (0, b"dflt")
    assert retrieve(env, t, cv, C.JET_bitRetrieveIgnoreDefault)[0] == C.JET_wrnColumnNull
    assert seek(env, t, 2) == 0
    assert retrieve(env, t, cv) == (0, b"own")
    # a new record without a value reads it too
    assert env.insert(t, [(ck, I(3))]) == 0
    assert seek(env, t, 3) == 0
    assert retrieve(env, t, cv) == (0, b"dflt")
    # JetGetColumnInfo reports it (JET_COLUMNBASE has no default; the
    # JET_COLUMNLIST does: checked through a second change and a reopen below)
    assert lib.JetCloseTable(ses, t) == 0
    assert lib.JetSetColumnDefaultValue(ses, dbid, b"kv", b"v", b"second", 6, 0x1234) == 0
    assert lib.JetCloseDatabase(ses, dbid, 0) == 0
    assert lib.JetDetachDatabase(ses, str(env.folder / "a.edb").encode()) == 0
    assert lib.JetAttachDatabase(ses, str(env.folder / "a.edb").encode(), 0) == 0
    p = env.ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(ses, str(env.folder / "a.edb").encode(), env.ffi.NULL, p, 0) == 0
    err, t = open_table(env, p[0])
    assert err == 0
    assert seek(env, t, 1) == 0
    assert retrieve(env, t, cv) == (0, b"second")   # kept in the catalog
    assert lib.JetCloseTable(ses, t) == 0


def test_set_column_default_value_fixed_column_and_rollback(env):
    # ESENT: the change is transactional (a catalog update); a fixed column's
    # default has the column's size.
    lib, C, ses = env.lib, env.C, env.ses
    dbid, t, ck, cv = make_kv(env)
    err, cn = env.add_column(t, "n", C.JET_coltypLong)
    assert err == 0
    assert env.insert(t, [(ck, I(1))]) == 0
    assert lib.JetCloseTable(ses, t) == 0
    assert lib.JetSetColumnDefaultValue(ses, dbid, b"kv", b"n", b"\x01\x02", 2, 0) == C.JET_errInvalidBufferSize
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetSetColumnDefaultValue(ses, dbid, b"kv", b"n", I(42), 4, 0) == 0
    err, t = open_table(env, dbid)
    assert seek(env, t, 1) == 0
    assert retrieve(env, t, cn) == (0, I(42))
    assert lib.JetCloseTable(ses, t) == 0
    assert lib.JetRollback(ses, 0) == 0
    err, t = open_table(env, dbid)
    assert seek(env, t, 1) == 0
    assert retrieve(env, t, cn)[0] == C.JET_wrnColumnNull   # the change rolled back
    assert lib.JetCloseTable(ses, t) == 0


def test_set_column_default_value_refusals(env):
    # ESENT (ErrIsamSetColumnDefaultValue): NULL or empty default
    # JET_errNullInvalid; a column in an index JET_errColumnInUse (its keys
    # hold the old default); unknown column JET_errColumnNotFound; unknown
    # table JET_errObjectNotFound; the table is opened exclusively, so a
    # cursor of this session on it gives JET_errTableInUse.
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    assert lib.JetSetColumnDefaultValue(ses, dbid, b"kv", b"v", b"x", 1, 0) == C.JET_errTableInUse
    assert lib.JetCloseTable(ses, t) == 0
    assert lib.JetSetColumnDefaultValue(ses, dbid, b"kv", b"v", ffi.NULL, 4, 0) == C.JET_errNullInvalid
    assert lib.JetSetColumnDefaultValue(ses, dbid, b"kv", b"v", b"x", 0, 0) == C.JET_errNullInvalid
    assert lib.JetSetColumnDefaultValue(ses, dbid, b"kv", b"k", I(7), 4, 0) == C.JET_errColumnInUse
    assert lib.JetSetColumnDefaultValue(ses, dbid, b"kv", b"nope", b"x", 1, 0) == C.JET_errColumnNotFound
    assert lib.JetSetColumnDefaultValue(ses, dbid, b"nope", b"v", b"x", 1, 0) == C.JET_errObjectNotFound
    assert lib.JetSetColumnDefaultValue(ses, dbid, b"kv", b"", b"x", 1, 0) == C.JET_errInvalidName
    assert lib.JetSetColumnDefaultValue(ses, dbid + 7, b"kv", b"v", b"x", 1, 0) == C.JET_errInvalidDatabaseId


def test_set_column_default_value_w(env):
    lib, ses, ffi = env.lib, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    assert env.insert(t, [(ck, I(1))]) == 0
    assert lib.JetCloseTable(ses, t) == 0
    assert lib.JetSetColumnDefaultValueW(ses, dbid, W(ffi, "kv"), W(ffi, "v"), b"wide", 4, 0) == 0
    err, t = open_table(env, dbid)
    assert seek(env, t, 1) == 0
    assert retrieve(env, t, cv) == (0, b"wide")
    assert lib.JetCloseTable(ses, t) == 0


# --- JetRegisterCallback / JetUnregisterCallback -------------------------------

def register(env, t, cbtyp, fn, ctx=None):
    ffi = env.ffi
    cb = ffi.callback("JET_CALLBACK", fn)
    h = ffi.new("JET_HANDLE *")
    err = env.lib.JetRegisterCallback(env.ses, t, cbtyp, cb, ctx if ctx is not None else ffi.NULL, h)
    return err, h[0], cb          # keep cb alive while registered


def test_callbacks_around_insert_replace_delete(env):
    # ESENT: Before*/After* callbacks get the session, database, cursor, the
    # type and the registration's context; pvArg1 / pvArg2 are NULL for them.
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    calls = []
    ctx = ffi.new("int *", 77)

    def fn(sesid, db, tableid, cbtyp, a1, a2, pctx, unused):
        calls.append((sesid, db, tableid, cbtyp, a1 == ffi.NULL, a2 == ffi.NULL,
                      ffi.cast("int *", pctx)[0]))
        return 0
    mask = 0x7E   # Before/After Insert, Replace, Delete
    err, h, keep = register(env, t, mask, fn, ctx)
    assert err == 0
    assert env.insert(t, [(ck, I(1)), (cv, b"a")]) == 0
    assert calls == [(ses, dbid, t, C.JET_cbtypBeforeInsert, True, True, 77),
                     (ses, dbid, t, C.JET_cbtypAfterInsert, True, True, 77)]
    del calls[:]
    assert seek(env, t, 1) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, cv, b"b", 1, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert [c[3] for c in calls] == [C.JET_cbtypBeforeReplace, C.JET_cbtypAfterReplace]
    del calls[:]
    assert lib.JetDelete(ses, t) == 0
    assert [c[3] for c in calls] == [C.JET_cbtypBeforeDelete, C.JET_cbtypAfterDelete]
    # the registration is on the table: another cursor of the session calls it
    del calls[:]
    err, t2 = open_table(env, dbid)
    assert err == 0
    assert env.insert(t2, [(ck, I(2))]) == 0
    assert [(c[2], c[3]) for c in calls] == [(t2, C.JET_cbtypBeforeInsert), (t2, C.JET_cbtypAfterInsert)]
    # unregistered: no more calls; the handle is gone
    assert lib.JetUnregisterCallback(ses, t, mask, h) == 0
    del calls[:]
    assert env.insert(t, [(ck, I(3))]) == 0
    assert calls == []
    assert lib.JetUnregisterCallback(ses, t, mask, h) == C.JET_errInvalidParameter
    assert lib.JetCloseTable(ses, t2) == 0


def test_before_callback_error_aborts_the_operation(env):
    # ESENT: an error from a Before* callback is the operation's result and
    # nothing changes; After* results are ignored.
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    assert env.insert(t, [(ck, I(1))]) == 0
    veto = [C.JET_errCallbackFailed]

    def before(sesid, db, tableid, cbtyp, a1, a2, pctx, unused):
        return veto[0]

    def after(sesid, db, tableid, cbtyp, a1, a2, pctx, unused):
        return C.JET_errOutOfMemory
    err, h1, k1 = register(env, t, C.JET_cbtypBeforeInsert | C.JET_cbtypBeforeDelete, before)
    assert err == 0
    err, h2, k2 = register(env, t, C.JET_cbtypAfterInsert | C.JET_cbtypAfterDelete, after)
    assert err == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, ck, I(2), 4, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == C.JET_errCallbackFailed
    assert seek(env, t, 2) == C.JET_errRecordNotFound          # not inserted
    assert seek(env, t, 1) == 0
    assert lib.JetDelete(ses, t) == C.JET_errCallbackFailed
    assert retrieve(env, t, ck) == (0, I(1))                 # not deleted
    veto[0] = 0
    assert env.insert(t, [(ck, I(2))]) == 0                  # After* error ignored
    assert seek(env, t, 2) == 0
    assert lib.JetDelete(ses, t) == 0
    assert seek(env, t, 2) == C.JET_errRecordNotFound


def test_before_insert_callback_may_set_columns(env):
    # ESENT: the callback runs with the update prepared and may use the
    # session and the cursor (here: fill a column of the new record).
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)

    def fill(sesid, db, tableid, cbtyp, a1, a2, pctx, unused):
        return lib.JetSetColumn(sesid, tableid, cv, b"by-callback", 11, 0, ffi.NULL)
    err, h, keep = register(env, t, C.JET_cbtypBeforeInsert, fill)
    assert err == 0
    assert env.insert(t, [(ck, I(5))]) == 0
    assert seek(env, t, 5) == 0
    assert retrieve(env, t, cv) == (0, b"by-callback")


def test_register_callback_refusals(env):
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    err, h, keep = register(env, t, C.JET_cbtypNull, lambda *a: 0)
    assert err == C.JET_errInvalidParameter
    hp = ffi.new("JET_HANDLE *")
    assert lib.JetRegisterCallback(ses, t, C.JET_cbtypBeforeInsert, ffi.NULL, ffi.NULL, hp) == \
        C.JET_errInvalidParameter
    cb = ffi.callback("JET_CALLBACK", lambda *a: 0)
    assert lib.JetRegisterCallback(ses, t, C.JET_cbtypBeforeInsert, cb, ffi.NULL, ffi.NULL) == \
        C.JET_errInvalidParameter
    assert lib.JetRegisterCallback(ses, t + 999, C.JET_cbtypBeforeInsert, cb, ffi.NULL, hp) == \
        C.JET_errInvalidTableId
    assert lib.JetUnregisterCallback(ses, t, C.JET_cbtypBeforeInsert, 12345) == C.JET_errInvalidParameter


# --- JetExternalRestore / JetExternalRestore2 ----------------------------------

def rstmap(jet, pairs):
    ffi = jet.ffi
    keep = [ffi.new("char[]", str(p).encode()) for pair in pairs for p in pair]
    m = ffi.new("JET_RSTMAP[]", len(pairs))
    for i in range(len(pairs)):
        m[i].szDatabaseName, m[i].szNewDatabaseName = keep[2 * i], keep[2 * i + 1]
    return m, keep


def test_external_restore_of_a_backup_set(jet, tmp_path):
    # ESENT: restores on a temporary instance whose checkpoint and log folders
    # are the arguments, then rolls forward with the logs found there; the
    # databases named by the JET_RSTMAP end up recovered and detached.
    from test_restore import make_set
    from test_backup import reopen_keys
    live, bk = make_set(jet, tmp_path, rows=120, more=30)
    (live / "a.edb").unlink()
    m, keep = rstmap(jet, [(live / "a.edb", live / "a.edb")])
    err = jet.lib.JetExternalRestore(str(live).encode(), str(live).encode(), m, 1, str(bk).encode(),
                                     0, 0, jet.ffi.NULL)
    assert err == 0, jet.err_name(err)
    assert reopen_keys(jet, live, live / "a.edb") == list(range(150))


def test_external_restore_argument_checks(jet, tmp_path):
    C, lib, ffi = jet.C, jet.lib, jet.ffi
    bk = str(tmp_path).encode()
    m, keep = rstmap(jet, [(tmp_path / "a.edb", tmp_path / "x" / "a.edb")])
    assert lib.JetExternalRestore(bk, bk, m, 1, ffi.NULL, 0, 0, ffi.NULL) == C.JET_errInvalidParameter
    assert lib.JetExternalRestore(bk, bk, ffi.NULL, 1, bk, 0, 0, ffi.NULL) == C.JET_errInvalidParameter
    assert lib.JetExternalRestore(bk, bk, m, 1, bk, 5, 3, ffi.NULL) == C.JET_errInvalidParameter
    # ESENT: the target instance's log and checkpoint paths come together
    assert lib.JetExternalRestore2(bk, bk, m, 1, bk, ffi.NULL, ffi.NULL, bk, ffi.NULL, ffi.NULL) == \
        C.JET_errInvalidParameter
    li = ffi.new("JET_LOGINFO *", {"cbSize": 3})
    assert lib.JetExternalRestore2(bk, bk, m, 1, bk, li, ffi.NULL, ffi.NULL, ffi.NULL, ffi.NULL) == \
        C.JET_errInvalidParameter
    # outside esepy's subset (docs/esent-differences.md)
    assert lib.JetExternalRestore2(bk, bk, m, 1, bk, ffi.NULL, b"inst", bk, bk, ffi.NULL) == \
        C.JET_errFeatureNotAvailable
    renamed, keep2 = rstmap(jet, [(tmp_path / "a.edb", tmp_path / "b.edb")])
    assert lib.JetExternalRestore(bk, bk, renamed, 1, bk, 0, 0, ffi.NULL) == C.JET_errFeatureNotAvailable
    two, keep3 = rstmap(jet, [(tmp_path / "a.edb", tmp_path / "x" / "a.edb"),
                              (tmp_path / "b.edb", tmp_path / "y" / "b.edb")])
    assert lib.JetExternalRestore(bk, bk, two, 2, bk, 0, 0, ffi.NULL) == C.JET_errFeatureNotAvailable


def test_external_restore_w(jet, tmp_path):
    from test_restore import make_set
    from test_backup import reopen_keys
    ffi, lib, C = jet.ffi, jet.lib, jet.C
    live, bk = make_set(jet, tmp_path, rows=50, more=10)
    (live / "a.edb").unlink()
    names = [W(ffi, str(live / "a.edb")), W(ffi, str(live / "a.edb"))]
    m = ffi.new("JET_RSTMAP_W[]", 1)
    m[0].szDatabaseName, m[0].szNewDatabaseName = names
    li = ffi.new("JET_LOGINFO_W *", {"cbSize": ffi.sizeof("JET_LOGINFO_W")})
    assert lib.JetExternalRestore2W(W(ffi, str(live)), W(ffi, str(live)), m, 1, W(ffi, str(bk)), li,
                                    W(ffi, "target"), ffi.NULL, ffi.NULL, ffi.NULL) == C.JET_errFeatureNotAvailable
    err = lib.JetExternalRestoreW(W(ffi, str(live)), W(ffi, str(live)), m, 1, W(ffi, str(bk)), 0, 0, ffi.NULL)
    assert err == 0, jet.err_name(err)
    assert reopen_keys(jet, live, live / "a.edb") == list(range(60))


# --- W structures: JetCreateIndex2W..4W ------------------------------------------

def index_w(ffi, ctype, name, key, grbit=0, keep=None):
    units = list(struct.unpack("<%dH" % (len(key.encode("utf-16-le")) // 2), key.encode("utf-16-le")))
    k = ffi.new("JET_WCHAR[]", units)
    n = W(ffi, name)
    keep.extend([k, n])
    return {"cbStruct": ffi.sizeof(ctype), "szIndexName": n, "szKey": k, "cbKey": 2 * len(units),
            "grbit": grbit, "ulDensity": 100}


def test_create_index_w_structures(env):
    # ESENT: the W structures carry UTF-16 names and key descriptions (cbKey
    # in bytes); each element's err receives its result.
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    for n, (fn, ctype) in enumerate([(lib.JetCreateIndex2W, "JET_INDEXCREATE_W"),
                                     (lib.JetCreateIndex3W, "JET_INDEXCREATE2_W"),
                                     (lib.JetCreateIndex4W, "JET_INDEXCREATE3_W")]):
        keep = []
        name = "v\u00e9-%d" % n
        arr = ffi.new(ctype + "[]", [index_w(ffi, ctype, name, "+v\0\0", keep=keep)])
        assert fn(ses, t, arr, 1) == 0
        assert arr[0].err == 0
        assert lib.JetSetCurrentIndex(ses, t, name.encode()) == 0     # the same object as the A name
    # a bad element: its err says why, the call fails with it
    keep = []
    arr = ffi.new("JET_INDEXCREATE_W[]", [index_w(ffi, "JET_INDEXCREATE_W", "bad", "+nope\0\0", keep=keep)])
    assert lib.JetCreateIndex2W(ses, t, arr, 1) == C.JET_errColumnNotFound
    assert arr[0].err == C.JET_errColumnNotFound
    # an odd cbKey cannot be UTF-16
    arr = ffi.new("JET_INDEXCREATE_W[]", [index_w(ffi, "JET_INDEXCREATE_W", "odd", "+v\0\0", keep=keep)])
    arr[0].cbKey = 5
    assert lib.JetCreateIndex2W(ses, t, arr, 1) == C.JET_errInvalidParameter


# --- W structures: JetCreateTableColumnIndex*W ------------------------------------

def test_create_table_column_index_w_structures(env):
    # ESENT: the W table, column and index structures carry UTF-16 names; the
    # results (tableid, cCreated, each columnid and err) come back in them.
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    err, dbid = env.create_db()
    assert err == 0
    for level, (fn, tct, ict) in enumerate([(lib.JetCreateTableColumnIndexW, "JET_TABLECREATE_W", "JET_INDEXCREATE_W"),
                                            (lib.JetCreateTableColumnIndex2W, "JET_TABLECREATE2_W", "JET_INDEXCREATE_W"),
                                            (lib.JetCreateTableColumnIndex3W, "JET_TABLECREATE3_W", "JET_INDEXCREATE2_W"),
                                            (lib.JetCreateTableColumnIndex4W, "JET_TABLECREATE4_W", "JET_INDEXCREATE3_W")],
                                           start=1):
        keep = []
        cname = W(ffi, "k\u00f8")
        cols = ffi.new("JET_COLUMNCREATE_W[1]")
        cols[0].cbStruct = ffi.sizeof("JET_COLUMNCREATE_W")
        cols[0].szColumnName = cname
        cols[0].coltyp = C.JET_coltypLong
        idx = ffi.new(ict + "[]", [index_w(ffi, ict, "pk", "+k\u00f8\0\0", C.JET_bitIndexPrimary, keep=keep)])
        tname = W(ffi, "t\u00e4ble%d" % level)
        tc = ffi.new(tct + " *", {"cbStruct": ffi.sizeof(tct), "szTableName": tname, "rgcolumncreate": cols,
                                  "cColumns": 1, "rgindexcreate": idx, "cIndexes": 1})
        assert fn(ses, dbid, tc) == 0
        assert tc.cCreated == 3 and tc.tableid != C.JET_tableidNil
        assert cols[0].err == 0 and idx[0].err == 0
        assert env.insert(tc.tableid, [(cols[0].columnid, I(7))]) == 0
        assert lib.JetCloseTable(ses, tc.tableid) == 0
        err, t = open_table(env, dbid, ("t\u00e4ble%d" % level).encode())   # the same object by its A name
        assert err == 0
        assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
        assert retrieve(env, t, cols[0].columnid) == (0, I(7))
        assert lib.JetCloseTable(ses, t) == 0
    # the A checks still apply: a bad column name comes back in its err
    cols = ffi.new("JET_COLUMNCREATE_W[1]")
    cols[0].cbStruct = ffi.sizeof("JET_COLUMNCREATE_W")
    empty, bad = W(ffi, ""), W(ffi, "bad")        # kept alive while used
    cols[0].szColumnName = empty
    cols[0].coltyp = C.JET_coltypLong
    tc = ffi.new("JET_TABLECREATE_W *", {"cbStruct": ffi.sizeof("JET_TABLECREATE_W"), "szTableName": bad,
                                         "rgcolumncreate": cols, "cColumns": 1})
    err = lib.JetCreateTableColumnIndexW(ses, dbid, tc)
    assert err < 0 and cols[0].err == err


def test_get_object_info_w(env):
    # ESENT: the W variant takes the table name in UTF-16; JET_ObjInfo levels
    # return the same JET_OBJECTINFO as the A function.
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    err, dbid = env.create_db()
    assert err == 0
    err, t = env.create_table(dbid, "t\u00e9")
    assert err == 0
    oi = ffi.new("JET_OBJECTINFO *")
    assert lib.JetGetObjectInfoW(ses, dbid, C.JET_objtypTable, ffi.NULL, W(ffi, "t\u00e9"), oi,
                                 ffi.sizeof("JET_OBJECTINFO"), C.JET_ObjInfo) == 0
    assert oi.objtyp == C.JET_objtypTable
    assert lib.JetGetObjectInfoW(ses, dbid, C.JET_objtypTable, ffi.NULL, W(ffi, "none"), oi,
                                 ffi.sizeof("JET_OBJECTINFO"), C.JET_ObjInfo) == C.JET_errObjectNotFound


def test_get_object_info_counts_records_and_pages(env):
    # ESENT: JET_ObjInfo reports the table's statistics (records and pages of its clustered
    # index, as JetComputeStats computes them); JET_ObjInfoNoStats and JetGetTableInfo
    # (JET_TblInfo) leave cRecord and cPage 0.  esepy counts them at the call.
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    p = ffi.new("JET_API_PTR *")
    assert lib.JetGetSystemParameter(env.inst, ses, C.JET_paramDatabasePageSize, p, ffi.NULL, 0) == 0
    cbPage = p[0]

    def info(level, name=b"kv"):
        oi = ffi.new("JET_OBJECTINFO *")
        assert lib.JetGetObjectInfo(ses, dbid, C.JET_objtypTable, ffi.NULL, name, oi,
                                    ffi.sizeof("JET_OBJECTINFO"), level) == 0
        return oi.cRecord, oi.cPage

    assert info(C.JET_ObjInfo) == (0, 1)            # empty: its root page
    n, value = 3000, b"x" * 200
    assert lib.JetBeginTransaction(ses) == 0
    for i in range(n):
        assert env.insert(t, [(ck, struct.pack("<i", i)), (cv, value)]) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    crec, cpg = info(C.JET_ObjInfo)
    least = n * len(value) // cbPage                 # the values alone fill this many pages
    assert crec == n and least < cpg < 3 * least + 3
    assert info(C.JET_ObjInfoNoStats) == (0, 0)
    oi = ffi.new("JET_OBJECTINFO *")
    assert lib.JetGetTableInfo(ses, t, oi, ffi.sizeof("JET_OBJECTINFO"), C.JET_TblInfo) == 0
    assert (oi.cRecord, oi.cPage) == (0, 0)
    # deletes count at once; an uncommitted insert of another session does not
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    for _ in range(n // 2):
        assert lib.JetDelete(ses, t) == 0
        assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0
    assert info(C.JET_ObjInfo)[0] == n - n // 2
    ps = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, ps, ffi.NULL, ffi.NULL) == 0
    pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
    assert lib.JetOpenDatabase(ps[0], str(env.folder / "a.edb").encode(), ffi.NULL, pdb, 0) == 0
    assert lib.JetOpenTable(ps[0], pdb[0], b"kv", ffi.NULL, 0, 0, pt) == 0
    assert lib.JetBeginTransaction(ps[0]) == 0
    assert lib.JetPrepareUpdate(ps[0], pt[0], C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ps[0], pt[0], ck, struct.pack("<i", n), 4, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ps[0], pt[0], ffi.NULL, 0, ffi.NULL) == 0
    assert info(C.JET_ObjInfo)[0] == n - n // 2
    assert lib.JetRollback(ps[0], 0) == 0
    assert lib.JetEndSession(ps[0], 0) == 0


def test_get_column_info_w(env):
    # ESENT: UTF-16 names in; JET_ColInfoBase fills JET_COLUMNBASE_W with the
    # table and column names in UTF-16; ..ByColid takes a JET_COLUMNID.
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    err, dbid = env.create_db()
    assert err == 0
    err, t = env.create_table(dbid, "t\u00e9")
    assert err == 0
    err, cid = env.add_column(t, "c\u00f8l", C.JET_coltypLong)
    assert err == 0
    cd = ffi.new("JET_COLUMNDEF *")
    assert lib.JetGetTableColumnInfoW(ses, t, W(ffi, "c\u00f8l"), cd, ffi.sizeof("JET_COLUMNDEF"),
                                      C.JET_ColInfo) == 0
    assert cd.columnid == cid and cd.coltyp == C.JET_coltypLong
    cb = ffi.new("JET_COLUMNBASE_W *")
    assert lib.JetGetColumnInfoW(ses, dbid, W(ffi, "t\u00e9"), W(ffi, "c\u00f8l"), cb,
                                 ffi.sizeof("JET_COLUMNBASE_W"), C.JET_ColInfoBase) == 0
    assert cb.columnid == cid and cb.cbStruct == ffi.sizeof("JET_COLUMNBASE_W")
    assert from_w(ffi, cb.szBaseTableName).split("\0")[0] == "t\u00e9"
    assert from_w(ffi, cb.szBaseColumnName).split("\0")[0] == "c\u00f8l"
    pcid = ffi.new("JET_COLUMNID *", cid)
    cb2 = ffi.new("JET_COLUMNBASE_W *")
    assert lib.JetGetTableColumnInfoW(ses, t, ffi.cast("JET_WCHAR *", pcid), cb2, ffi.sizeof("JET_COLUMNBASE_W"),
                                      C.JET_ColInfoBaseByColid) == 0
    assert from_w(ffi, cb2.szBaseColumnName).split("\0")[0] == "c\u00f8l"
    assert lib.JetGetTableColumnInfoW(ses, t, W(ffi, "nope"), cd, ffi.sizeof("JET_COLUMNDEF"),
                                      C.JET_ColInfo) == C.JET_errColumnNotFound


def test_get_index_info_w(env):
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    assert lib.JetCreateIndex(ses, t, "ix\u00e9".encode(), 0, b"+v\0\0", 4, 100) == 0
    km = ffi.new("uint32_t *")
    assert lib.JetGetTableIndexInfoW(ses, t, W(ffi, "ix\u00e9"), km, 4, C.JET_IdxInfoKeyMost) == 0
    assert km[0] > 0
    assert lib.JetGetTableIndexInfoW(ses, t, W(ffi, "nope"), km, 4, C.JET_IdxInfoKeyMost) == C.JET_errIndexNotFound
    km[0] = 0
    assert lib.JetGetIndexInfoW(ses, dbid, W(ffi, "kv"), W(ffi, "ix\u00e9"), km, 4, C.JET_IdxInfoKeyMost) == 0
    assert km[0] > 0


def test_get_instance_info_w(jet, tmp_path):
    from test_database import Env
    ffi, lib, C = jet.ffi, jet.lib, jet.C
    e = Env(jet, tmp_path, "inst-\u00e9")
    try:
        pc = ffi.new("uint32_t *")
        prg = ffi.new("JET_INSTANCE_INFO_W **")
        assert lib.JetGetInstanceInfoW(pc, prg) == 0
        rows = {prg[0][i].hInstanceId: prg[0][i] for i in range(pc[0])}
        assert e.inst in rows
        name = rows[e.inst].szInstanceName
        n = 0
        while name[n]:
            n += 1
        assert from_w(ffi, name, 2 * n) == "inst-\u00e9"
        assert rows[e.inst].szDatabaseFileName[0] == ffi.NULL
        assert lib.JetFreeBuffer(ffi.cast("char *", prg[0])) == 0
        assert lib.JetGetInstanceInfoW(ffi.NULL, prg) == C.JET_errInvalidParameter
    finally:
        assert e.term() == 0
