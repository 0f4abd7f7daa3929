"""ESENT's W (UTF-16) functions through the C API (issue 18 item 2).

ESENT: every string function has a W twin taking WCHAR (UTF-16LE) strings;
names are the same objects whichever variant made them.  esepy converts at
the API edge (csrc/api/wchar.c); an unpaired surrogate is
JET_errInvalidParameter."""
import struct

from test_database import env  # noqa: F401  (fixture)

NAME = "t\u00e9ble-\U0001F600"          # outside the BMP: a surrogate pair in UTF-16


def W(ffi, s, extra_nul=False):
    units = list(struct.unpack("<%dH" % (len(s.encode("utf-16-le")) // 2), s.encode("utf-16-le")))
    return ffi.new("JET_WCHAR[]", units + [0] + ([0] if extra_nul else []))


def from_w(ffi, buf, cb=None):
    raw = bytes(ffi.buffer(buf, cb if cb is not None else ffi.sizeof(buf)))
    return raw.decode("utf-16-le")


def test_instance_and_parameters_w(jet, tmp_path):
    ffi, lib, C = jet.ffi, jet.lib, jet.C
    p = ffi.new("JET_INSTANCE *")
    assert lib.JetCreateInstance2W(p, W(ffi, "w-inst-\u00df"), W(ffi, "display"), 0) == 0
    inst = p[0]
    try:
        folder = str(tmp_path / "d\u00efr") + "/"
        (tmp_path / "d\u00efr").mkdir()
        pi = ffi.new("JET_INSTANCE *", inst)
        for pid in (C.JET_paramSystemPath, C.JET_paramLogFilePath, C.JET_paramTempPath):
            assert lib.JetSetSystemParameterW(pi, 0, pid, 0, W(ffi, folder)) == 0
        # read back as UTF-16 and as UTF-8: the same path
        buf = ffi.new("JET_WCHAR[]", 512)
        assert lib.JetGetSystemParameterW(inst, 0, C.JET_paramSystemPath, ffi.NULL, buf, 1024) == 0
        assert from_w(ffi, buf).split("\0")[0] == folder
        buf8 = ffi.new("char[]", 512)
        assert lib.JetGetSystemParameter(inst, 0, C.JET_paramSystemPath, ffi.NULL, buf8, 512) == 0
        assert ffi.string(buf8).decode() == folder
        small = ffi.new("JET_WCHAR[]", 4)
        assert lib.JetGetSystemParameterW(inst, 0, C.JET_paramSystemPath, ffi.NULL, small, 8) == \
            C.JET_errBufferTooSmall
        # numeric parameters pass through
        lp = ffi.new("JET_API_PTR *")
        assert lib.JetGetSystemParameterW(inst, 0, C.JET_paramMaxSessions, lp, ffi.NULL, 0) == 0
        assert lp[0] > 0
        # the instance's name is the UTF-8 of the W name
        assert lib.JetCreateInstanceW(p, W(ffi, "w-inst-\u00df")) == C.JET_errInstanceNameInUse
    finally:
        assert lib.JetTerm(inst) == 0


def test_unpaired_surrogates_are_invalid(jet):
    ffi, lib, C = jet.ffi, jet.lib, jet.C
    p = ffi.new("JET_INSTANCE *")
    for units in ([0xD800, 0x41, 0], [0xDC00, 0], [0x41, 0xD83D, 0]):
        assert lib.JetCreateInstanceW(p, ffi.new("JET_WCHAR[]", units)) == C.JET_errInvalidParameter
    assert jet.process_state()[1] == 0


def test_database_table_column_index_w(env):
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    dbpath = str(env.folder / "w\u00e9.edb")
    pdb = ffi.new("JET_DBID *")
    assert lib.JetCreateDatabaseW(ses, W(ffi, dbpath), ffi.NULL, pdb, 0) == 0
    dbid = pdb[0]
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetCreateTableW(ses, dbid, W(ffi, NAME), 0, 0, pt) == 0
    t = pt[0]
    cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong})
    pc = ffi.new("JET_COLUMNID *")
    assert lib.JetAddColumnW(ses, t, W(ffi, "k\u00f6"), cd, ffi.NULL, 0, pc) == 0
    key = W(ffi, "+k\u00f6\0", extra_nul=False)   # "+kö\0" then the final NUL
    assert lib.JetCreateIndexW(ses, t, W(ffi, "pk\u00e9"), C.JET_bitIndexPrimary, key, ffi.sizeof(key), 100) == 0
    cur = ffi.new("JET_WCHAR[]", 65)
    assert lib.JetGetCurrentIndexW(ses, t, cur, 130) == 0
    assert from_w(ffi, cur).split("\0")[0] == "pk\u00e9"
    # the A functions see the same objects under their UTF-8 names
    assert lib.JetCloseTable(ses, t) == 0
    assert lib.JetOpenTable(ses, dbid, NAME.encode(), ffi.NULL, 0, 0, pt) == 0
    assert lib.JetCloseTable(ses, pt[0]) == 0
    assert lib.JetOpenTableW(ses, dbid, W(ffi, NAME), ffi.NULL, 0, 0, pt) == 0
    t = pt[0]
    assert lib.JetSetCurrentIndexW(ses, t, W(ffi, "pk\u00e9")) == 0
    assert lib.JetRenameColumnW(ses, t, W(ffi, "k\u00f6"), W(ffi, "k2"), 0) == 0
    assert lib.JetCloseTable(ses, t) == 0
    assert lib.JetRenameTableW(ses, dbid, W(ffi, NAME), W(ffi, "other")) == 0
    assert lib.JetDeleteTableW(ses, dbid, W(ffi, "other")) == 0
    assert lib.JetOpenTableW(ses, dbid, W(ffi, NAME), ffi.NULL, 0, 0, pt) == C.JET_errObjectNotFound
    assert lib.JetCloseDatabase(ses, dbid, 0) == 0
    assert lib.JetDetachDatabaseW(ses, W(ffi, dbpath)) == 0
    assert lib.JetAttachDatabaseW(ses, W(ffi, dbpath), 0) == 0
    assert lib.JetOpenDatabaseW(ses, W(ffi, dbpath), ffi.NULL, pdb, 0) == 0
    # an invalid name is refused before anything happens
    assert lib.JetCreateTableW(ses, pdb[0], ffi.new("JET_WCHAR[]", [0xDFFF, 0]), 0, 0, pt) == \
        C.JET_errInvalidParameter


def test_backup_and_attach_info_w(env, tmp_path):
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    dbpath = str(env.folder / "b\u00e9.edb")
    pdb = ffi.new("JET_DBID *")
    assert lib.JetCreateDatabaseW(ses, W(ffi, dbpath), ffi.NULL, pdb, 0) == 0
    bk = tmp_path / "bk\u00e9"
    bk.mkdir()
    assert lib.JetBackupInstanceW(env.inst, W(ffi, str(bk)), 0, ffi.NULL) == 0
    assert any(p.name == "b\u00e9.edb" for p in bk.rglob("*"))
    assert lib.JetBeginExternalBackupInstance(env.inst, 0) == 0
    try:
        cb = ffi.new("uint32_t *")
        assert lib.JetGetAttachInfoInstanceW(env.inst, ffi.NULL, 0, cb) == 0
        buf = ffi.new("JET_WCHAR[]", cb[0] // 2)
        assert lib.JetGetAttachInfoInstanceW(env.inst, buf, cb[0], cb) == 0
        names = [s for s in from_w(ffi, buf, cb[0]).split("\0") if s]
        assert names == [dbpath]
        assert lib.JetGetAttachInfoInstanceW(env.inst, buf, 2, cb) == C.JET_errBufferTooSmall
    finally:
        assert lib.JetEndExternalBackupInstance(env.inst) == 0


def test_enable_multi_instance_w(subproc):
    # JetEnableMultiInstanceW: the JET_SETSYSPARAM_W entries as their A twins;
    # each entry's err is reported back.
    subproc("""
        import struct
        def W(s):
            b = s.encode("utf-16-le")
            return ffi.new("JET_WCHAR[]", list(struct.unpack("<%dH" % (len(b) // 2), b)) + [0])
        name = W("edb")
        rg = ffi.new("JET_SETSYSPARAM_W[2]")
        rg[0].paramid, rg[0].lParam = C.JET_paramMaxInstances, 3
        rg[1].paramid, rg[1].sz = C.JET_paramBaseName, name
        c = ffi.new("uint32_t *")
        assert lib.JetEnableMultiInstanceW(rg, 2, c) == 0
        assert c[0] == 2 and rg[0].err == 0 and rg[1].err == 0
        err, v = jet.get_param_int(0, C.JET_paramMaxInstances)
        assert err == 0 and v == 3
        bad = ffi.new("JET_SETSYSPARAM_W[1]")
        lone = ffi.new("JET_WCHAR[]", [0xD800, 0])  # kept alive while the call reads it
        bad[0].paramid, bad[0].sz = C.JET_paramBaseName, lone
        assert lib.JetEnableMultiInstanceW(bad, 1, c) == C.JET_errInvalidParameter
    """)


def test_init3_w_maps_a_moved_database(jet, tmp_path):
    # JET_RSTINFO_W: the restore map in UTF-16 names the new place of a
    # database that recovery needs.
    import os
    from test_database import Env, make_kv, open_kv
    env = Env(jet, tmp_path)
    C, lib, ffi = env.C, env.lib, env.ffi
    make_kv(env)
    assert env.term() == 0
    env = Env(jet, tmp_path, "second")
    path = str(tmp_path / "a.edb")
    assert lib.JetAttachDatabase(env.ses, path.encode(), 0) == 0
    t, ck = open_kv(env, path.encode())
    assert env.insert(t, [(ck, struct.pack("<i", 1))]) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    moved = str(tmp_path / "m\u00f6ved.edb")
    os.rename(path, moved)
    rst = ffi.new("JET_RSTINFO_W *", {"cbStruct": 4})
    p = ffi.new("JET_INSTANCE *", jet.instance_in(tmp_path, "rec"))
    assert lib.JetInit3W(p, rst, 0) == C.JET_errInvalidParameter      # cbStruct checked first
    old_w, new_w = W(ffi, path), W(ffi, moved)
    rstmap = ffi.new("JET_RSTMAP_W[1]")
    rstmap[0].szDatabaseName, rstmap[0].szNewDatabaseName = old_w, new_w
    rst = ffi.new("JET_RSTINFO_W *", {"cbStruct": ffi.sizeof("JET_RSTINFO_W"), "rgrstmap": rstmap, "crstmap": 1})
    inst = p[0]
    try:
        assert lib.JetInit3W(p, rst, 0) == 0
    finally:
        assert lib.JetTerm(inst) == 0


def test_info_levels_with_strings_w(env):
    # JetGetDatabaseInfoW(JET_DbInfoFilename) and JetGetTableInfoW(JET_TblInfoName)
    # give UTF-16 strings; numeric levels are those of the A functions.
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    dbpath = str(env.folder / "i\u00e9.edb")
    pdb = ffi.new("JET_DBID *")
    assert lib.JetCreateDatabaseW(ses, W(ffi, dbpath), ffi.NULL, pdb, 0) == 0
    buf = ffi.new("JET_WCHAR[]", 600)
    assert lib.JetGetDatabaseInfoW(ses, pdb[0], buf, 1200, C.JET_DbInfoFilename) == 0
    assert from_w(ffi, buf).split("\0")[0] == dbpath
    assert lib.JetGetDatabaseInfoW(ses, pdb[0], buf, 4, C.JET_DbInfoFilename) == C.JET_errBufferTooSmall
    v = ffi.new("uint32_t *")
    assert lib.JetGetDatabaseInfoW(ses, pdb[0], v, 4, C.JET_DbInfoTransactions) == 0
    assert v[0] == 7
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetCreateTableW(ses, pdb[0], W(ffi, NAME), 0, 0, pt) == 0
    assert lib.JetGetTableInfoW(ses, pt[0], buf, 1200, C.JET_TblInfoName) == 0
    assert from_w(ffi, buf).split("\0")[0] == NAME


def test_log_info_instance2_w(env):
    ffi, lib, C = env.ffi, env.lib, env.C
    pdb = ffi.new("JET_DBID *")
    assert lib.JetCreateDatabase(env.ses, str(env.folder / "l.edb").encode(), ffi.NULL, pdb, 0) == 0
    assert lib.JetBeginExternalBackupInstance(env.inst, 0) == 0
    try:
        cb = ffi.new("uint32_t *")
        li = ffi.new("JET_LOGINFO_W *", {"cbSize": ffi.sizeof("JET_LOGINFO_W")})
        assert lib.JetGetLogInfoInstance2W(env.inst, ffi.NULL, 0, cb, li) == 0
        buf = ffi.new("JET_WCHAR[]", cb[0] // 2)
        assert lib.JetGetLogInfoInstance2W(env.inst, buf, cb[0], cb, li) == 0
        logs = [s for s in from_w(ffi, buf, cb[0]).split("\0") if s]
        assert logs and all(s.endswith(".log") for s in logs)
        assert 0 < li.ulGenLow <= li.ulGenHigh
        assert from_w(ffi, li.szBaseName).split("\0")[0] == "edb"
        # the A call agrees
        la = ffi.new("JET_LOGINFO *", {"cbSize": ffi.sizeof("JET_LOGINFO")})
        assert lib.JetGetLogInfoInstance2(env.inst, ffi.NULL, 0, cb, la) == 0
        assert (la.ulGenLow, la.ulGenHigh) == (li.ulGenLow, li.ulGenHigh)
        li.cbSize = 3
        assert lib.JetGetLogInfoInstance2W(env.inst, buf, cb[0], cb, li) == C.JET_errInvalidParameter
    finally:
        assert lib.JetEndExternalBackupInstance(env.inst) == 0
