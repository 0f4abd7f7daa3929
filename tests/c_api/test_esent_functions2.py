"""More ESENT functions added for issue 18 (JetSetColumnDefaultValue, ...),
through the C API.

Each test states what ESENT does (Microsoft's documentation and its
open-source engine; facts only) and checks esepy does the same;
docs/esent-differences.md lists where esepy differs."""
import struct

from test_database import env, make_kv  # noqa: F401  (fixture)
from test_esent_wide import W


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
