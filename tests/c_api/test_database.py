"""Databases, tables, records and transactions through the C API (cffi)."""
import os
import struct

import pytest


class Env:
    """An initialized instance in a folder with one session."""

    def __init__(self, jet, folder, name="db", **params):
        self.jet, self.ffi, self.lib, self.C = jet, jet.ffi, jet.lib, jet.C
        self.folder = folder
        if not os.path.exists(os.path.join(str(folder), "edb.log")):
            # a new stream: small logs; an existing one's size is adopted (as ESENT)
            params.setdefault("LogFileSize", 256)
        self.inst = jet.instance_in(folder, name, **params)
        assert self.lib.JetInit(self.ffi.new("JET_INSTANCE *", self.inst)) == 0
        p = self.ffi.new("JET_SESID *")
        assert self.lib.JetBeginSession(self.inst, p, self.ffi.NULL, self.ffi.NULL) == 0
        self.ses = p[0]

    def term(self, grbit=None):
        return self.lib.JetTerm(self.inst) if grbit is None else self.lib.JetTerm2(self.inst, grbit)

    def create_db(self, name="a.edb", grbit=0):
        p = self.ffi.new("JET_DBID *")
        err = self.lib.JetCreateDatabase(self.ses, str(self.folder / name).encode(), self.ffi.NULL, p, grbit)
        return err, p[0]

    def create_table(self, dbid, name):
        p = self.ffi.new("JET_TABLEID *")
        err = self.lib.JetCreateTable(self.ses, dbid, name.encode(), 0, 0, p)
        return err, p[0]

    def add_column(self, tableid, name, coltyp, grbit=0, cbMax=0, cp=0):
        cd = self.ffi.new("JET_COLUMNDEF *", {"cbStruct": self.ffi.sizeof("JET_COLUMNDEF"), "coltyp": coltyp,
                                              "grbit": grbit, "cbMax": cbMax, "cp": cp})
        p = self.ffi.new("JET_COLUMNID *")
        err = self.lib.JetAddColumn(self.ses, tableid, name.encode(), cd, self.ffi.NULL, 0, p)
        return err, p[0]

    def insert(self, tableid, values):
        lib, ses = self.lib, self.ses
        assert lib.JetPrepareUpdate(ses, tableid, self.C.JET_prepInsert) == 0
        for colid, data in values:
            assert lib.JetSetColumn(ses, tableid, colid, data, len(data), 0, self.ffi.NULL) == 0
        return lib.JetUpdate(ses, tableid, self.ffi.NULL, 0, self.ffi.NULL)

    def retrieve(self, tableid, colid, cb=256):
        buf = self.ffi.new("char[]", cb)
        pcb = self.ffi.new("uint32_t *")
        err = self.lib.JetRetrieveColumn(self.ses, tableid, colid, buf, cb, pcb, 0, self.ffi.NULL)
        return err, bytes(self.ffi.buffer(buf, min(pcb[0], cb)))


@pytest.fixture
def env(jet, tmp_path):
    e = Env(jet, tmp_path)
    yield e
    if e.lib.JetTerm(e.inst) not in (0, e.C.JET_errInvalidParameter):
        pytest.fail("term failed")


def make_kv(env):
    C = env.C
    err, dbid = env.create_db()
    assert err == 0
    err, t = env.create_table(dbid, "kv")
    assert err == 0
    err, ck = env.add_column(t, "k", C.JET_coltypLong)
    assert err == 0
    err, cv = env.add_column(t, "v", C.JET_coltypText, cp=1252)
    assert err == 0
    assert env.lib.JetCreateIndex(env.ses, t, b"primary", C.JET_bitIndexPrimary, b"+k\0\0", 4, 100) == 0
    return dbid, t, ck, cv


def test_create_insert_move_seek(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    assert ck < 128 and 128 <= cv < 256  # fixed and variable column id ranges
    for k in (5, 1, 3):
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, f"v{k}".encode())]) == 0
    assert env.insert(t, [(ck, struct.pack("<i", 3))]) == C.JET_errKeyDuplicate
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    seen = []
    while True:
        err, v = env.retrieve(t, ck)
        seen.append(struct.unpack("<i", v)[0])
        if lib.JetMove(ses, t, C.JET_MoveNext, 0) != 0:
            break
    assert seen == [1, 3, 5]
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == C.JET_errNoCurrentRecord
    assert lib.JetMove(ses, t, C.JET_MovePrevious, 0) == 0
    assert env.retrieve(t, ck)[1] == struct.pack("<i", 5)
    key = struct.pack("<i", 4)
    assert lib.JetSeek(ses, t, C.JET_bitSeekEQ) == C.JET_errKeyNotMade
    assert lib.JetMakeKey(ses, t, key, 4, 0) == C.JET_errKeyNotMade
    assert lib.JetMakeKey(ses, t, key, 4, C.JET_bitNewKey) == 0
    assert lib.JetMakeKey(ses, t, key, 4, 0) == C.JET_errKeyIsMade
    assert lib.JetSeek(ses, t, C.JET_bitSeekEQ) == C.JET_errRecordNotFound
    assert lib.JetMakeKey(ses, t, key, 4, C.JET_bitNewKey) == 0
    assert lib.JetSeek(ses, t, C.JET_bitSeekGE) == C.JET_wrnSeekNotEqual
    assert env.retrieve(t, ck)[1] == struct.pack("<i", 5)
    assert lib.JetMakeKey(ses, t, key, 4, C.JET_bitNewKey) == 0
    assert lib.JetSeek(ses, t, C.JET_bitSeekLT) == 0  # as ESENT: only GE / LE warn
    assert env.retrieve(t, ck)[1] == struct.pack("<i", 3)
    # retrieve: NULL, truncation
    assert env.insert(t, [(ck, struct.pack("<i", 9))]) == 0
    assert lib.JetMakeKey(ses, t, struct.pack("<i", 9), 4, C.JET_bitNewKey) == 0
    assert lib.JetSeek(ses, t, C.JET_bitSeekEQ) == 0
    assert env.retrieve(t, cv)[0] == C.JET_wrnColumnNull
    assert lib.JetMakeKey(ses, t, struct.pack("<i", 5), 4, C.JET_bitNewKey) == 0
    assert lib.JetSeek(ses, t, C.JET_bitSeekEQ) == 0
    err, v = env.retrieve(t, cv, cb=1)
    assert err == C.JET_wrnBufferTruncated and v == b"v"


def test_update_delete_bookmarks(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    for k in range(10):
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"x")]) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    assert lib.JetMove(ses, t, 4, 0) == 0
    bm = ffi.new("char[]", 256)
    cb = ffi.new("uint32_t *")
    assert lib.JetGetBookmark(ses, t, bm, 256, cb) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == C.JET_errAlreadyPrepared
    assert lib.JetSetColumn(ses, t, cv, b"changed", 7, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == C.JET_errUpdateNotPrepared
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    assert lib.JetGotoBookmark(ses, t, bm, cb[0]) == 0
    assert env.retrieve(t, cv)[1] == b"changed"
    assert lib.JetDelete(ses, t) == 0
    assert env.retrieve(t, cv)[0] == C.JET_errRecordDeleted
    assert lib.JetGotoBookmark(ses, t, bm, cb[0]) == C.JET_errRecordDeleted
    assert lib.JetSetColumn(ses, t, cv, b"x", 1, 0, ffi.NULL) == C.JET_errUpdateNotPrepared
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, 999, b"x", 1, 0, ffi.NULL) == C.JET_errColumnNotFound
    assert lib.JetSetColumn(ses, t, ck, b"x", 1, 0, ffi.NULL) == C.JET_errInvalidBufferSize
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == 0


def test_transactions(env):
    C, lib, ses = env.C, env.lib, env.ses
    dbid, t, ck, cv = make_kv(env)
    assert lib.JetCommitTransaction(ses, 0) == C.JET_errNotInTransaction
    assert lib.JetRollback(ses, 0) == C.JET_errNotInTransaction
    for _ in range(7):
        assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetBeginTransaction(ses) == C.JET_errTransTooDeep
    assert env.insert(t, [(ck, struct.pack("<i", 1))]) == 0
    assert lib.JetRollback(ses, C.JET_bitRollbackAll) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == C.JET_errNoCurrentRecord
    assert lib.JetBeginTransaction2(ses, C.JET_bitTransactionReadOnly) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == C.JET_errTransReadOnly
    assert lib.JetCommitTransaction(ses, 0) == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert env.insert(t, [(ck, struct.pack("<i", 2))]) == 0
    assert lib.JetCommitTransaction(ses, C.JET_bitCommitLazyFlush) == 0
    assert lib.JetCommitTransaction(ses, C.JET_bitWaitLastLevel0Commit) == 0  # outside a transaction
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0


def test_database_lifecycle_and_errors(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    try:
        err, dbid = env.create_db()
        assert err == 0 and dbid == 1
        assert env.create_db()[0] == C.JET_errDatabaseDuplicate
        path = str(tmp_path / "a.edb").encode()
        assert lib.JetDetachDatabase(ses, path) == C.JET_errDatabaseInUse
        assert lib.JetCloseDatabase(ses, dbid, 0) == 0
        assert lib.JetCloseDatabase(ses, dbid, 0) == C.JET_errInvalidDatabaseId
        assert lib.JetDetachDatabase(ses, path) == 0
        assert lib.JetDetachDatabase(ses, path) == C.JET_errDatabaseNotFound
        pdbid = ffi.new("JET_DBID *")
        assert lib.JetOpenDatabase(ses, path, ffi.NULL, pdbid, 0) == C.JET_errDatabaseNotFound
        misc = ffi.new("JET_DBINFOMISC *")
        assert lib.JetGetDatabaseFileInfo(path, misc, ffi.sizeof(misc[0]), C.JET_DbInfoMisc) == 0
        assert misc.dbstate == C.JET_dbstateCleanShutdown
        assert misc.cbPageSize == 4096
        pg = ffi.new("uint32_t *")
        assert lib.JetGetDatabaseFileInfo(path, pg, 4, C.JET_DbInfoPageSize) == 0 and pg[0] == 4096
        assert lib.JetAttachDatabase(ses, path, 0) == 0
        assert lib.JetAttachDatabase(ses, path, 0) == C.JET_wrnDatabaseAttached
        assert lib.JetOpenDatabase(ses, path, ffi.NULL, pdbid, 0) == 0
        assert lib.JetGetDatabaseInfo(ses, pdbid[0], misc, ffi.sizeof(misc[0]), C.JET_DbInfoMisc) == 0
        assert misc.dbstate == C.JET_dbstateDirtyShutdown
        assert lib.JetAttachDatabase(ses, str(tmp_path / "none.edb").encode(), 0) == C.JET_errFileNotFound
        # up to 6 user databases
        for i in range(5):
            assert env.create_db(f"more{i}.edb")[0] == 0
        assert env.create_db("seventh.edb")[0] == C.JET_errTooManyAttachedDatabases
        (tmp_path / "junk.edb").write_bytes(b"not a database" * 1000)
        assert lib.JetGetDatabaseFileInfo(str(tmp_path / "junk.edb").encode(), misc, ffi.sizeof(misc[0]),
                                          C.JET_DbInfoMisc) == C.JET_errFileInvalidType
    finally:
        assert env.term() == 0
    # after a clean term every database is clean
    assert lib.JetGetDatabaseFileInfo(str(tmp_path / "a.edb").encode(), misc, ffi.sizeof(misc[0]),
                                      C.JET_DbInfoMisc) == 0
    assert misc.dbstate == C.JET_dbstateCleanShutdown


def test_dirty_database_refused_then_recovered(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib, ffi = env.C, env.lib, env.ffi
    dbid, t, ck, cv = make_kv(env)
    assert env.insert(t, [(ck, struct.pack("<i", 7)), (cv, b"seven")]) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    path = str(tmp_path / "a.edb").encode()
    misc = ffi.new("JET_DBINFOMISC *")
    assert lib.JetGetDatabaseFileInfo(path, misc, ffi.sizeof(misc[0]), C.JET_DbInfoMisc) == 0
    assert misc.dbstate == C.JET_dbstateDirtyShutdown
    # A second instance with recovery off cannot attach it...
    other = tmp_path / "other"
    other.mkdir()
    env2 = Env(jet, other, "other", Recovery="off")
    try:
        assert lib.JetAttachDatabase(env2.ses, path, 0) == C.JET_errDatabaseDirtyShutdown
    finally:
        assert env2.term() == 0
    # ...but JetInit on the original log folder recovers it.
    env3 = Env(jet, tmp_path, "again")
    try:
        assert lib.JetGetDatabaseFileInfo(path, misc, ffi.sizeof(misc[0]), C.JET_DbInfoMisc) == 0
        assert misc.dbstate == C.JET_dbstateCleanShutdown
        assert lib.JetAttachDatabase(env3.ses, path, 0) == 0
        pdbid = ffi.new("JET_DBID *")
        assert lib.JetOpenDatabase(env3.ses, path, ffi.NULL, pdbid, 0) == 0
        pt = ffi.new("JET_TABLEID *")
        assert lib.JetOpenTable(env3.ses, pdbid[0], b"kv", ffi.NULL, 0, 0, pt) == 0
        assert lib.JetMove(env3.ses, pt[0], C.JET_MoveFirst, 0) == 0
        buf = ffi.new("char[]", 16)
        pcb = ffi.new("uint32_t *")
        assert lib.JetRetrieveColumn(env3.ses, pt[0], cv, buf, 16, pcb, 0, ffi.NULL) == 0
        assert bytes(ffi.buffer(buf, pcb[0])) == b"seven"
    finally:
        assert env3.term() == 0


def open_kv(env, path):
    ffi, lib = env.ffi, env.lib
    pdbid = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(env.ses, path, ffi.NULL, pdbid, 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(env.ses, pdbid[0], b"kv", ffi.NULL, 0, 0, pt) == 0
    cd = ffi.new("JET_COLUMNDEF *")
    assert lib.JetGetTableColumnInfo(env.ses, pt[0], b"k", cd, ffi.sizeof(cd[0]), env.C.JET_ColInfo) == 0
    return pt[0], cd.columnid


def keys_of(env, t, ck):
    out = []
    ok = env.lib.JetMove(env.ses, t, env.C.JET_MoveFirst, 0) == 0
    while ok:
        out.append(struct.unpack("<i", env.retrieve(t, ck)[1])[0])
        ok = env.lib.JetMove(env.ses, t, env.C.JET_MoveNext, 0) == 0
    return out


def test_database_recreated_from_the_log(jet, tmp_path):
    """A database created in the replayed log is rebuilt from its records."""
    env = Env(jet, tmp_path)
    C = env.C
    dbid, t, ck, cv = make_kv(env)
    for k in range(500):
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"v" * (k % 90))]) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    os.unlink(tmp_path / "a.edb")
    env2 = Env(jet, tmp_path, "again")
    try:
        path = str(tmp_path / "a.edb").encode()
        assert env2.lib.JetAttachDatabase(env2.ses, path, 0) == 0
        t2, ck2 = open_kv(env2, path)
        assert keys_of(env2, t2, ck2) == list(range(500))
    finally:
        assert env2.term() == 0


def test_missing_database_at_recovery(jet, tmp_path):
    """A database attached in the replayed log but gone: JET_errAttachedDatabaseMismatch."""
    env = Env(jet, tmp_path)
    C, lib = env.C, env.lib
    make_kv(env)
    assert env.term() == 0  # clean: the checkpoint moves past the creation
    env = Env(jet, tmp_path, "second")
    path = str(tmp_path / "a.edb").encode()
    assert lib.JetAttachDatabase(env.ses, path, 0) == 0
    t, ck = open_kv(env, path)
    assert env.insert(t, [(ck, struct.pack("<i", 1))]) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    os.rename(tmp_path / "a.edb", tmp_path / "moved.edb")
    inst = jet.instance_in(tmp_path, "rec")
    p = env.ffi.new("JET_INSTANCE *", inst)
    assert lib.JetInit(p) == C.JET_errAttachedDatabaseMismatch
    assert p[0] == 0  # the failed init freed the instance (ESENT)
    inst = p[0] = jet.instance_in(tmp_path, "rec")
    try:
        # the relocated file can be named with JET_RSTMAP (JetInit3)
        rstmap = env.ffi.new("JET_RSTMAP[1]")
        old = env.ffi.new("char[]", path)
        new = env.ffi.new("char[]", str(tmp_path / "moved.edb").encode())
        rstmap[0].szDatabaseName = old
        rstmap[0].szNewDatabaseName = new
        rst = env.ffi.new("JET_RSTINFO *", {"cbStruct": env.ffi.sizeof("JET_RSTINFO"), "rgrstmap": rstmap,
                                            "crstmap": 1})
        assert lib.JetInit3(p, rst, 0) == 0
    finally:
        assert lib.JetTerm(inst) == 0
    misc = env.ffi.new("JET_DBINFOMISC *")
    assert lib.JetGetDatabaseFileInfo(str(tmp_path / "moved.edb").encode(), misc, env.ffi.sizeof(misc[0]),
                                      C.JET_DbInfoMisc) == 0
    assert misc.dbstate == C.JET_dbstateCleanShutdown


def test_ignore_missing_database(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib = env.C, env.lib
    make_kv(env)
    assert env.term() == 0
    env = Env(jet, tmp_path, "second")
    assert lib.JetAttachDatabase(env.ses, str(tmp_path / "a.edb").encode(), 0) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    os.unlink(tmp_path / "a.edb")
    inst = jet.instance_in(tmp_path, "rec")
    p = env.ffi.new("JET_INSTANCE *", inst)
    try:
        assert lib.JetInit2(p, C.JET_bitReplayIgnoreMissingDB) == 0
    finally:
        assert lib.JetTerm(inst) == 0


def test_rollback_cancels_updates_prepared_in_the_rolled_back_level(env):
    """U1 (as ESE): an update belongs to the transaction level it was prepared
    at; rolling that level back cancels it, committing hands it to the
    enclosing level, and one prepared outside any transaction survives one."""
    C, lib, ses = env.C, env.lib, env.ses
    dbid, t, ck, cv = make_kv(env)
    key = struct.pack("<i", 7)
    # prepared at level 1, rolled back: cancelled, the next prepare succeeds
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, ck, key, 4, 0, env.ffi.NULL) == 0
    assert lib.JetRollback(ses, 0) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == C.JET_errUpdateNotPrepared
    # prepared at level 2, level 2 committed, level 1 rolled back: cancelled
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    assert lib.JetRollback(ses, 0) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == C.JET_errUpdateNotPrepared
    # prepared at level 1, a nested level 2 rolled back: still prepared
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, ck, key, 4, 0, env.ffi.NULL) == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetRollback(ses, 0) == 0
    assert lib.JetUpdate(ses, t, env.ffi.NULL, 0, env.ffi.NULL) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    # prepared outside a transaction: a transaction begun and rolled back leaves it
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, ck, struct.pack("<i", 8), 4, 0, env.ffi.NULL) == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetRollback(ses, 0) == 0
    assert lib.JetUpdate(ses, t, env.ffi.NULL, 0, env.ffi.NULL) == 0
    assert keys_of(env, t, ck) == [7, 8]
