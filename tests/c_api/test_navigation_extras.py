"""JetGetRecordPosition / JetGotoPosition, JetDupCursor, JetGetLock and
JET_prepInsertCopyDeleteOriginal / JET_prepReplaceNoLock through the C API."""
import struct

from test_database import env, make_kv  # noqa: F401  (fixture)


def key_of(env, t, ck):
    err, v = env.retrieve(t, ck)
    assert err == 0
    return struct.unpack("<i", v)[0]


def seek(env, t, k):
    C, lib = env.C, env.lib
    assert lib.JetMakeKey(env.ses, t, struct.pack("<i", k), 4, C.JET_bitNewKey) == 0
    return lib.JetSeek(env.ses, t, C.JET_bitSeekEQ)


def filled(env, n=10):
    dbid, t, ck, cv = make_kv(env)
    for k in range(n):
        assert env.insert(t, [(ck, struct.pack("<i", k * 10)), (cv, b"v%d" % k)]) == 0
    return dbid, t, ck, cv


def test_layout(jet):
    assert jet.ffi.sizeof("JET_RECPOS") == 16
    assert (jet.C.JET_bitReadLock, jet.C.JET_bitWriteLock) == (1, 2)


def test_record_position_round_trip(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = filled(env)
    rp = ffi.new("JET_RECPOS *")
    # as ESENT: the never-moved cursor is on the first record (deferred move to first)
    assert lib.JetGetRecordPosition(ses, t, rp, 16) == 0 and rp.centriesLT == 0
    assert seek(env, t, 30) == 0
    assert lib.JetGetRecordPosition(ses, t, rp, 16) == 0
    assert (rp.cbStruct, rp.centriesLT, rp.centriesTotal) == (16, 3, 10)
    assert lib.JetGetRecordPosition(ses, t, rp, 8) == C.JET_errInvalidParameter
    # going to a position: the fraction of the index
    for lt, total, want in ((0, 10, 0), (3, 10, 30), (1, 2, 50), (99, 100, 90), (10, 10, 90)):
        rp.centriesLT, rp.centriesTotal = lt, total
        assert lib.JetGotoPosition(ses, t, rp) == 0
        assert key_of(env, t, ck) == want
    rp.centriesTotal = 0
    assert lib.JetGotoPosition(ses, t, rp) == C.JET_errInvalidParameter


def test_dup_cursor(env):
    """JetDupCursor: a second cursor on the table, on its clustered index and first record
    (ESENT's documented behaviour), not on the source cursor's index or record."""
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = filled(env, 5)
    assert lib.JetCreateIndex(ses, t, b"byv", 0, b"-v\0\0", 5, 100) == 0
    assert lib.JetSetCurrentIndex(ses, t, b"byv") == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetDupCursor(ses, t, pt, 0) == 0
    d = pt[0]
    assert d != t
    # as ESENT: the new cursor is on the clustered (primary) index, whatever index the
    # source cursor uses, in the deferred move to its first record
    assert key_of(env, d, ck) == 0
    name = ffi.new("char[64]")
    assert lib.JetGetCurrentIndex(ses, d, name, 64) == 0 and ffi.string(name) == b"primary"
    assert lib.JetGetCurrentIndex(ses, t, name, 64) == 0 and ffi.string(name) == b"byv"
    assert lib.JetMove(ses, d, C.JET_MoveLast, 0) == 0
    assert key_of(env, d, ck) == 40 and key_of(env, t, ck) == 40
    # independent positions, shared records
    assert lib.JetMove(ses, d, C.JET_MovePrevious, 0) == 0
    assert key_of(env, d, ck) == 30 and key_of(env, t, ck) == 40
    assert lib.JetDelete(ses, d) == 0
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0
    assert key_of(env, t, ck) == 20
    assert lib.JetDupCursor(ses, t, pt, 1) == C.JET_errInvalidGrbit
    assert lib.JetCloseTable(ses, d) == 0


def test_write_lock(env, tmp_path):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = filled(env, 3)
    assert seek(env, t, 10) == 0
    assert lib.JetGetLock(ses, t, C.JET_bitWriteLock) == C.JET_errNotInTransaction
    assert lib.JetGetLock(ses, t, C.JET_bitReadLock) == C.JET_errNotInTransaction
    assert lib.JetGetLock(ses, t, 0) == C.JET_errInvalidGrbit
    p = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
    s2 = p[0]
    pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
    assert lib.JetOpenDatabase(s2, str(tmp_path / "a.edb").encode(), ffi.NULL, pdb, 0) == 0
    assert lib.JetOpenTable(s2, pdb[0], b"kv", ffi.NULL, 0, 0, pt) == 0
    t2 = pt[0]
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetGetLock(ses, t, C.JET_bitWriteLock) == 0
    # another session cannot change the locked record, but reads it and changes others
    assert lib.JetBeginTransaction(s2) == 0
    assert lib.JetMakeKey(s2, t2, struct.pack("<i", 10), 4, C.JET_bitNewKey) == 0
    assert lib.JetSeek(s2, t2, C.JET_bitSeekEQ) == 0
    # as ESENT: JET_prepReplace write-locks at once, so it conflicts itself
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepReplace) == C.JET_errWriteConflict
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepReplaceNoLock) == 0
    assert lib.JetSetColumn(s2, t2, cv, b"x", 1, 0, ffi.NULL) == 0
    assert lib.JetUpdate(s2, t2, ffi.NULL, 0, ffi.NULL) == C.JET_errWriteConflict
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepCancel) == 0
    assert lib.JetDelete(s2, t2) == C.JET_errWriteConflict
    assert lib.JetRollback(s2, 0) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    # the lock ends with the transaction
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepReplaceNoLock) == 0
    assert lib.JetSetColumn(s2, t2, cv, b"x", 1, 0, ffi.NULL) == 0
    assert lib.JetUpdate(s2, t2, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetEndSession(s2, 0) == 0
    assert env.retrieve(t, cv) == (0, b"x")


def second_session(env, tmp_path):
    lib, ffi = env.lib, env.ffi
    p = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
    pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
    assert lib.JetOpenDatabase(p[0], str(tmp_path / "a.edb").encode(), ffi.NULL, pdb, 0) == 0
    assert lib.JetOpenTable(p[0], pdb[0], b"kv", ffi.NULL, 0, 0, pt) == 0
    return p[0], pt[0]


def sk(env, ses, t, k):
    C, lib = env.C, env.lib
    assert lib.JetMakeKey(ses, t, struct.pack("<i", k), 4, C.JET_bitNewKey) == 0
    return lib.JetSeek(ses, t, C.JET_bitSeekEQ)


def replace_v(env, ses, t, k, v):
    C, lib, ffi = env.C, env.lib, env.ffi
    assert lib.JetMakeKey(ses, t, struct.pack("<i", k), 4, C.JET_bitNewKey) == 0
    assert lib.JetSeek(ses, t, C.JET_bitSeekEQ) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplaceNoLock) == 0
    assert lib.JetSetColumn(ses, t, 0 + env.cv, v, len(v), 0, ffi.NULL) == 0
    return lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL)


def test_read_locks(env, tmp_path):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = filled(env, 3)
    env.cv = cv
    s2, t2 = second_session(env, tmp_path)
    s3, t3 = second_session(env, tmp_path)
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetMove(ses, t, C.JET_MoveLast, 0) == 0
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == C.JET_errNoCurrentRecord
    assert lib.JetGetLock(ses, t, C.JET_bitReadLock) == C.JET_errNoCurrentRecord
    assert sk(env, ses, t, 10) == 0
    assert lib.JetGetLock(ses, t, C.JET_bitReadLock) == 0
    assert lib.JetGetLock(ses, t, C.JET_bitReadLock) == 0  # taking it twice is harmless
    # read locks share; writers conflict, with every kind of change
    assert lib.JetBeginTransaction(s2) == 0
    assert sk(env, s2, t2, 10) == 0
    assert lib.JetGetLock(s2, t2, C.JET_bitReadLock) == 0
    assert lib.JetBeginTransaction(s3) == 0
    assert replace_v(env, s3, t3, 10, b"w") == C.JET_errWriteConflict
    assert lib.JetDelete(s3, t3) == C.JET_errWriteConflict
    assert lib.JetGetLock(s3, t3, C.JET_bitWriteLock) == C.JET_errWriteConflict
    assert replace_v(env, s3, t3, 20, b"w") == 0  # other records are free
    # the lock holder itself may still change it only if nobody else holds a read lock
    assert replace_v(env, ses, t, 10, b"mine") == C.JET_errWriteConflict
    assert lib.JetCommitTransaction(s2, 0) == 0  # s2's lock ends with its transaction
    assert replace_v(env, ses, t, 10, b"mine") == 0
    # a record changed by an open transaction cannot be read-locked
    assert sk(env, s3, t3, 20) == 0
    assert sk(env, ses, t, 20) == 0
    assert lib.JetGetLock(ses, t, C.JET_bitReadLock) == C.JET_errWriteConflict
    assert lib.JetCommitTransaction(s3, 0) == 0
    # ...nor one committed after this transaction began
    assert lib.JetGetLock(ses, t, C.JET_bitReadLock) == C.JET_errWriteConflict
    assert lib.JetCommitTransaction(ses, 0) == 0

    # nested levels: a rolled-back level releases its locks, a committed one passes them up
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert sk(env, ses, t, 0) == 0
    assert lib.JetGetLock(ses, t, C.JET_bitReadLock) == 0
    assert lib.JetRollback(ses, 0) == 0
    assert lib.JetBeginTransaction(s3) == 0
    assert replace_v(env, s3, t3, 0, b"free") == 0
    assert lib.JetCommitTransaction(s3, 0) == 0
    # 0 changed after our snapshot, 20 before it
    assert lib.JetGetLock(ses, t, C.JET_bitReadLock) == C.JET_errWriteConflict
    assert sk(env, ses, t, 20) == 0
    assert lib.JetGetLock(ses, t, C.JET_bitReadLock) == 0
    assert lib.JetRollback(ses, C.JET_bitRollbackAll) == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert sk(env, ses, t, 20) == 0
    assert lib.JetGetLock(ses, t, C.JET_bitReadLock) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0  # level 2 commits: level 1 holds the lock
    assert lib.JetBeginTransaction(s3) == 0
    assert replace_v(env, s3, t3, 20, b"no") == C.JET_errWriteConflict
    assert lib.JetRollback(s3, 0) == 0
    assert lib.JetRollback(ses, 0) == 0  # the transaction ends: released
    assert lib.JetBeginTransaction(s3) == 0
    assert replace_v(env, s3, t3, 20, b"yes") == 0
    assert lib.JetCommitTransaction(s3, 0) == 0
    for s in (s2, s3):
        assert lib.JetEndSession(s, 0) == 0


def test_insert_copy_delete_original_changes_the_primary_key(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = filled(env, 3)
    err, cb = env.add_column(t, "body", C.JET_coltypLongBinary)
    assert err == 0
    assert lib.JetCreateIndex(ses, t, b"byv", 0, b"+v\0\0", 5, 100) == 0
    assert seek(env, t, 10) == 0
    big = bytes(range(256)) * 100
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, cb, big, len(big), 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsertCopyDeleteOriginal) == 0
    assert lib.JetSetColumn(ses, t, ck, struct.pack("<i", 15), 4, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 10) == C.JET_errRecordNotFound
    assert seek(env, t, 15) == 0
    assert env.retrieve(t, cv) == (0, b"v1")
    assert env.retrieve(t, cb, 30000) == (0, big)
    # the secondary index follows, and the long value is still owned once
    assert lib.JetSetCurrentIndex(ses, t, b"byv") == 0
    keys = []
    err = lib.JetMove(ses, t, C.JET_MoveFirst, 0)
    while err == 0:
        keys.append(key_of(env, t, ck))
        err = lib.JetMove(ses, t, C.JET_MoveNext, 0)
    assert keys == [0, 15, 20]
    assert lib.JetSetCurrentIndex(ses, t, ffi.NULL) == 0
    assert seek(env, t, 15) == 0
    assert lib.JetDelete(ses, t) == 0
    # a key that exists already: nothing changes
    assert seek(env, t, 0) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsertCopyDeleteOriginal) == 0
    assert lib.JetSetColumn(ses, t, ck, struct.pack("<i", 20), 4, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == C.JET_errKeyDuplicate
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == 0
    assert seek(env, t, 0) == 0 and seek(env, t, 20) == 0


def test_read_only_cursor_refuses_changes(env):
    """A cursor opened with JET_bitTableReadOnly (and a duplicate of one) reads, but every
    change through it is JET_errPermissionDenied, as ESENT's (its cursor is not updatable):
    JetPrepareUpdate (insert or replace), JetDelete, JetGetLock(WriteLock), JetEscrowUpdate
    and column or index DDL.  JetGetTableInfo does not report it updatable."""
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = filled(env, 3)
    cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong,
                                     "grbit": C.JET_bitColumnEscrowUpdate})
    pc = ffi.new("JET_COLUMNID *")
    assert lib.JetAddColumn(ses, t, b"n", cd, struct.pack("<i", 0), 4, pc) == 0
    assert lib.JetCloseTable(ses, t) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, dbid, b"kv", ffi.NULL, 0, C.JET_bitTableReadOnly, pt) == 0
    ro = pt[0]
    assert lib.JetDupCursor(ses, ro, pt, 0) == 0
    dup = pt[0]
    denied = C.JET_errPermissionDenied
    assert denied == -1809
    for r in (ro, dup):
        assert seek(env, r, 10) == 0 and key_of(env, r, ck) == 10  # reading works
        assert lib.JetPrepareUpdate(ses, r, C.JET_prepInsert) == denied
        assert lib.JetPrepareUpdate(ses, r, C.JET_prepReplace) == denied
        assert lib.JetPrepareUpdate(ses, r, C.JET_prepCancel) == C.JET_errUpdateNotPrepared
        assert lib.JetDelete(ses, r) == denied
        assert lib.JetEscrowUpdate(ses, r, pc[0], struct.pack("<i", 1), 4, ffi.NULL, 0, ffi.NULL, 0) == denied
        assert lib.JetBeginTransaction(ses) == 0
        assert lib.JetGetLock(ses, r, C.JET_bitWriteLock) == denied
        assert lib.JetGetLock(ses, r, C.JET_bitReadLock) == 0
        assert lib.JetRollback(ses, 0) == 0
        assert lib.JetAddColumn(ses, r, b"x", cd, ffi.NULL, 0, pc) == denied
        assert lib.JetDeleteColumn(ses, r, b"v") == denied
        assert lib.JetCreateIndex(ses, r, b"byv", 0, b"+v\0\0", 4, 100) == denied
        assert lib.JetDeleteIndex(ses, r, b"primary") == denied
        oi = ffi.new("JET_OBJECTINFO *")
        assert lib.JetGetTableInfo(ses, r, oi, ffi.sizeof("JET_OBJECTINFO"), C.JET_TblInfo) == 0
        assert not oi.grbit & C.JET_bitTableInfoUpdatable
    # nothing changed; an ordinary cursor still writes
    assert lib.JetOpenTable(ses, dbid, b"kv", ffi.NULL, 0, 0, pt) == 0
    rw = pt[0]
    oi = ffi.new("JET_OBJECTINFO *")
    assert lib.JetGetTableInfo(ses, rw, oi, ffi.sizeof("JET_OBJECTINFO"), C.JET_TblInfo) == 0
    assert oi.grbit & C.JET_bitTableInfoUpdatable
    assert seek(env, rw, 10) == 0 and lib.JetDelete(ses, rw) == 0
    assert seek(env, ro, 10) == C.JET_errRecordNotFound
    for x in (ro, dup, rw):
        assert lib.JetCloseTable(ses, x) == 0
