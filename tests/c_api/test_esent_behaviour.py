"""Behaviour that must match ESENT (issue 18 item 4), second part, through the C API.

Each test states what ESENT does (Microsoft's documentation, its open-source
engine and ManagedEsent's tests; facts only) and checks that esepy does the
same.  The first part is test_esent_conformance.py."""
import struct

from test_database import env, make_kv  # noqa: F401  (fixture)


def I(k):
    return struct.pack("<i", k)


def filled(env, keys):
    dbid, t, ck, cv = make_kv(env)
    for k in keys:
        assert env.insert(t, [(ck, I(k)), (cv, b"v%d" % k)]) == 0
    return dbid, t, ck, cv


def open_table(env, dbid, name=b"kv"):
    p = env.ffi.new("JET_TABLEID *")
    assert env.lib.JetOpenTable(env.ses, dbid, name, env.ffi.NULL, 0, 0, p) == 0
    return p[0]


def key_at(env, t, ck):
    err, v = env.retrieve(t, ck)
    assert err == 0, env.jet.err_name(err)
    return struct.unpack("<i", v)[0]


# --- the never-moved cursor (ESENT's deferred "move to first") ---------------
# ESENT's JetOpenTable / JetDupCursor / JetSetCurrentIndex leave the cursor in
# locDeferMoveFirst: the first call that needs a record settles it on the
# first entry; ErrDIRNext / ErrDIRPrev settle first and then move.

def test_fresh_cursor_retrieves_the_first_record(env):
    dbid, _t, ck, _cv = filled(env, [30, 10, 20])
    t = open_table(env, dbid)
    assert key_at(env, t, ck) == 10
    assert env.lib.JetMove(env.ses, t, env.C.JET_MoveNext, 0) == 0
    assert key_at(env, t, ck) == 20


def test_fresh_cursor_move_next_lands_on_the_second_record(env):
    dbid, _t, ck, _cv = filled(env, [30, 10, 20])
    t = open_table(env, dbid)
    assert env.lib.JetMove(env.ses, t, env.C.JET_MoveNext, 0) == 0
    assert key_at(env, t, ck) == 20
    t2 = open_table(env, dbid)
    # JET_MovePrevious settles on the first record, then runs off the start
    assert env.lib.JetMove(env.ses, t2, env.C.JET_MovePrevious, 0) == env.C.JET_errNoCurrentRecord
    assert env.retrieve(t2, ck)[0] == env.C.JET_errNoCurrentRecord
    t3 = open_table(env, dbid)
    assert env.lib.JetMove(env.ses, t3, 0, 0) == 0  # JetMove(0): on the first record
    assert key_at(env, t3, ck) == 10


def test_fresh_cursor_bookmark_position_and_key(env):
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    dbid, _t, ck, _cv = filled(env, [5, 6, 7])
    t = open_table(env, dbid)
    bm = ffi.new("char[64]")
    cb = ffi.new("uint32_t *")
    assert lib.JetGetBookmark(ses, t, bm, 64, cb) == 0
    t2 = open_table(env, dbid)
    assert lib.JetMove(ses, t2, C.JET_MoveLast, 0) == 0
    assert lib.JetGotoBookmark(ses, t2, bm, cb[0]) == 0
    assert key_at(env, t2, ck) == 5
    t3 = open_table(env, dbid)
    pos = ffi.new("JET_RECPOS *")
    assert lib.JetGetRecordPosition(ses, t3, pos, ffi.sizeof("JET_RECPOS")) == 0
    assert (pos.centriesLT, pos.centriesTotal) == (0, 3)
    t4 = open_table(env, dbid)
    key = ffi.new("char[64]")
    assert lib.JetRetrieveKey(ses, t4, key, 64, cb, 0) == 0 and cb[0] > 0
    t5 = open_table(env, dbid)
    n = ffi.new("uint32_t *")
    assert lib.JetIndexRecordCount(ses, t5, n, 0) == 0 and n[0] == 3


def test_fresh_cursor_replace_and_delete_work_on_the_first_record(env):
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    dbid, _t, ck, cv = filled(env, [1, 2, 3])
    t = open_table(env, dbid)
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, cv, b"new", 3, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    assert env.retrieve(t, cv) == (0, b"new")
    t2 = open_table(env, dbid)
    assert lib.JetDelete(ses, t2) == 0
    assert lib.JetMove(ses, t2, C.JET_MoveFirst, 0) == 0
    assert key_at(env, t2, ck) == 2


def test_dup_cursor_and_set_current_index_defer_the_move(env):
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    dbid, t, ck, _cv = filled(env, [4, 8, 9])
    assert lib.JetMove(ses, t, C.JET_MoveLast, 0) == 0
    p = ffi.new("JET_TABLEID *")
    assert lib.JetDupCursor(ses, t, p, 0) == 0
    assert key_at(env, p[0], ck) == 4  # not the source cursor's record
    assert lib.JetDupCursor(ses, t, p, 0) == 0
    assert lib.JetMove(ses, p[0], C.JET_MoveNext, 0) == 0
    assert key_at(env, p[0], ck) == 8
    # JetSetCurrentIndex (JET_bitMoveFirst) defers too: MoveNext lands on the second
    assert lib.JetCreateIndex(ses, t, b"byv", 0, b"+v\0\0", 4, 100) == 0
    assert lib.JetSetCurrentIndex(ses, t, b"byv") == 0
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0
    assert key_at(env, t, ck) == 8


def test_fresh_cursor_on_an_empty_table(env):
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    dbid, t0, ck, cv = make_kv(env)
    t = open_table(env, dbid)
    assert env.retrieve(t, ck)[0] == C.JET_errNoCurrentRecord
    bm = ffi.new("char[64]")
    cb = ffi.new("uint32_t *")
    assert lib.JetGetBookmark(ses, t, bm, 64, cb) == C.JET_errNoCurrentRecord
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == C.JET_errNoCurrentRecord
    assert lib.JetDelete(ses, t) == C.JET_errNoCurrentRecord
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == C.JET_errNoCurrentRecord
    n = ffi.new("uint32_t *", 7)
    assert lib.JetIndexRecordCount(ses, t, n, 0) == 0 and n[0] == 0
    # still deferred: a record inserted since is the one it settles on
    assert env.insert(t0, [(ck, I(42)), (cv, b"x")]) == 0
    assert key_at(env, t, ck) == 42


def test_temporary_table_cursor_starts_before_the_first_record(env):
    # JetOpenTempTable's cursor is before the first record (a sort cursor:
    # DIRBeforeFirst), not deferred: JET_MoveNext gives the first record.
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    cols = ffi.new("JET_COLUMNDEF[1]")
    cols[0].cbStruct = ffi.sizeof("JET_COLUMNDEF")
    cols[0].coltyp = C.JET_coltypLong
    cols[0].grbit = C.JET_bitColumnTTKey
    pt = ffi.new("JET_TABLEID *")
    ids = ffi.new("JET_COLUMNID[1]")
    assert lib.JetOpenTempTable(ses, cols, 1, 0, pt, ids) == 0
    for k in (3, 1, 2):
        assert lib.JetPrepareUpdate(ses, pt[0], C.JET_prepInsert) == 0
        assert lib.JetSetColumn(ses, pt[0], ids[0], I(k), 4, 0, ffi.NULL) == 0
        assert lib.JetUpdate(ses, pt[0], ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetMove(ses, pt[0], C.JET_MoveNext, 0) == 0
    assert key_at(env, pt[0], ids[0]) == 1
    assert lib.JetCloseTable(ses, pt[0]) == 0


# --- system parameters --------------------------------------------------------
# ESENT's published parameter ids (its esent.h); each one is known to
# JetSetSystemParameter / JetGetSystemParameter (ESENT's sysparam table: scope,
# range and default per parameter).
PUBLISHED = """
SystemPath TempPath LogFilePath BaseName EventSource MaxSessions MaxOpenTables PreferredMaxOpenTables
MaxCursors MaxVerPages MaxTemporaryTables LogFileSize LogBuffers WaitLogFlush LogCheckpointPeriod
LogWaitingUserMax CommitDefault CircularLog DbExtensionSize PageTempDBMin PageFragment PageReadAheadMax
BatchIOBufferMax CacheSizeMax CheckpointDepthMax LRUKCorrInterval LRUKHistoryMax LRUKPolicy LRUKTimeout
LRUKTrxCorrInterval OutstandingIOMax StartFlushThreshold StopFlushThreshold Recovery EnableOnlineDefrag
AssertAction PrintFunction TransactionLevel CacheSize CheckFormatWhenOpenFail EnableIndexChecking
EnableTempTableVersioning IgnoreLogVersion DeleteOldLogs EventSourceKey NoInformationEvent EventLoggingLevel
DeleteOutOfRangeLogs AccessDeniedRetryPeriod EnableIndexCleanup CacheSizeMin PreferredVerPages DatabasePageSize
DisableCallbacks BackupChunkSize BackupOutstandingReads LogFileCreateAsynch ErrorToString ZeroDatabaseDuringBackup
UnicodeIndexDefault RuntimeCallback CleanupMismatchedLogFiles RecordUpgradeDirtyLevel GlobalMinVerPages
OSSnapshotTimeout ExceptionAction EventLogCache CreatePathIfNotExist PageHintCacheSize OneDatabasePerSession
MaxDatabasesPerInstance MaxInstances VersionStoreTaskQueueMax DisablePerfmon IndexTuplesLengthMin
IndexTuplesLengthMax IndexTuplesToIndexMax AlternateDatabaseRecoveryPath CachedClosedTables EnableFileCache
EnableViewCache VerPageSize Configuration EnableAdvanced MaxColtyp IndexTupleIncrement IndexTupleStart KeyMost
CheckpointIOMax LegacyFileNames TableClass1Name TableClass2Name TableClass3Name TableClass4Name TableClass5Name
TableClass6Name TableClass7Name TableClass8Name TableClass9Name TableClass10Name TableClass11Name
TableClass12Name TableClass13Name TableClass14Name TableClass15Name IOPriority WaypointLatency CheckpointTooDeep
EnablePersistedCallbacks AggressiveLogRollover DefragmentSequentialBTrees
DefragmentSequentialBTreesDensityCheckFrequency IOThrottlingTimeQuanta LVChunkSizeMost MaxCoalesceReadSize
MaxCoalesceWriteSize MaxCoalesceReadGapSize MaxCoalesceWriteGapSize EnableDBScanInRecovery DbScanThrottle
DbScanIntervalMinSec DbScanIntervalMaxSec CachePriority MaxTransactionSize PrereadIOMax EnableDBScanSerialization
HungIOThreshold HungIOActions MinDataForXpress EnableShrinkDatabase ProcessFriendlyName DurableCommitCallback
EnableSqm ConfigStoreSpec PersistedLostFlushDetection EngineFormatVersion RecordSizeMost
UseFlushForWriteDurability EnableRBS RBSFilePath PerfmonRefreshInterval EnableBlockCache EnableBlockCacheDetach
""".split()

# (name, a value ESENT accepts, what ESENT reads back); None: the value itself
SAMPLES = [
    ("VersionStoreTaskQueueMax", 127, None), ("PrereadIOMax", 256, None), ("IndexTupleStart", 7, None),
    ("DbScanThrottle", 60000, None), ("EnableRBS", 5, 1), ("EnableSqm", 2, None),
    ("TableClass1Name", "hot", None), ("TableClass15Name", "x" * 64, None), ("HungIOActions", 0x1F, None),
    ("MinDataForXpress", 4096, None), ("EnableBlockCache", 1, None), ("PageHintCacheSize", 0, None),
]


def test_every_published_parameter_is_known(jet):
    for name in PUBLISHED:
        pid = getattr(jet.C, "JET_param" + name)
        p = jet.ffi.new("JET_API_PTR *")
        buf = jet.ffi.new("char[512]")
        err = jet.lib.JetGetSystemParameter(0, 0, pid, p, buf, 512)
        assert err == 0, name


def test_published_parameters_round_trip(subproc, tmp_path):
    # in a fresh process: global parameters are fixed once a mode is chosen
    subproc(f"""
        import os
        os.chdir({str(tmp_path)!r})
        for name, v, back in {SAMPLES!r}:
            pid = getattr(C, "JET_param" + name)
            if isinstance(v, str):
                assert jet.set_param(None, pid, 0, v) == 0, name
                assert jet.get_param_str(None, pid) == (0, back or v), name
            else:
                assert jet.set_param(None, pid, v) == 0, name
                assert jet.get_param_int(None, pid) == (0, v if back is None else back), name
        # out of ESENT's ranges
        for name, v in (("VersionStoreTaskQueueMax", 0), ("VersionStoreTaskQueueMax", 128),
                        ("PrereadIOMax", 257), ("HungIOThreshold", 10999), ("EnableSqm", 3)):
            assert jet.set_param(None, getattr(C, "JET_param" + name), v) == C.JET_errInvalidParameter, name
        assert jet.set_param(None, C.JET_paramTableClass2Name, 0, "") == C.JET_errInvalidParameter
        assert jet.set_param(None, C.JET_paramTableClass2Name, 0, "x" * 65) == C.JET_errInvalidParameter
        assert jet.get_param_str(None, C.JET_paramTableClass3Name) == (0, "TableClass3")
        # read-only: the largest record of a 4 KiB page, as ESENT reports it
        assert jet.get_param_int(None, C.JET_paramRecordSizeMost) == (0, 4096 - 40 - 4)
        assert jet.set_param(None, C.JET_paramRecordSizeMost, 1) == C.JET_errInvalidParameter
    """)


def test_relative_paths_read_back_absolute(subproc, tmp_path):
    # ESENT completes folder and path parameters when they are set: a folder
    # reads back absolute with its trailing delimiter, a path absolute, a bare
    # file name as given.
    subproc(f"""
        import os
        os.chdir({str(tmp_path)!r})
        here = os.getcwd()
        assert jet.set_param(None, C.JET_paramSystemPath, 0, "sys") == 0
        assert jet.get_param_str(None, C.JET_paramSystemPath) == (0, here + "/sys/")
        assert jet.set_param(None, C.JET_paramLogFilePath, 0, "a/../logs/") == 0
        assert jet.get_param_str(None, C.JET_paramLogFilePath) == (0, here + "/logs/")
        assert jet.set_param(None, C.JET_paramTempPath, 0, "t/tmp.edb") == 0
        assert jet.get_param_str(None, C.JET_paramTempPath) == (0, here + "/t/tmp.edb")
        assert jet.set_param(None, C.JET_paramTempPath, 0, "scratch.edb") == 0
        assert jet.get_param_str(None, C.JET_paramTempPath) == (0, "scratch.edb")
        # an instance's own value, and the same value again after JetInit is no change
        inst = jet.instance_in({str(tmp_path)!r}, "abs")
        assert jet.set_param(inst, C.JET_paramRBSFilePath, 0, "rbs") == 0
        assert jet.get_param_str(inst, C.JET_paramRBSFilePath) == (0, here + "/rbs/")
        assert lib.JetInit(ffi.new("JET_INSTANCE *", inst)) == 0
        assert jet.set_param(inst, C.JET_paramRBSFilePath, 0, "rbs") == 0
        assert jet.set_param(inst, C.JET_paramRBSFilePath, 0, "other") == C.JET_errAlreadyInitialized
        assert lib.JetTerm(inst) == 0
    """)


# --- log file size -------------------------------------------------------------
# ESENT (its log's file-size check at JetInit): with JET_paramLogFileSize left
# at its default, the size of the existing logs is adopted and
# JetGetSystemParameter then reports it; a size set explicitly that differs
# gives JET_errLogFileSizeMismatch; a log file whose length is not the one its
# header gives is refused with JET_errLogFileSizeMismatch.

def _init_and_stop(jet, folder, name, **params):
    inst = jet.instance_in(folder, name, **params)
    err = jet.lib.JetInit(jet.ffi.new("JET_INSTANCE *", inst))
    if err >= 0:
        p = jet.ffi.new("JET_SESID *")
        assert jet.lib.JetBeginSession(inst, p, jet.ffi.NULL, jet.ffi.NULL) == 0
        size = jet.get_param_int(inst, jet.C.JET_paramLogFileSize)
        assert jet.lib.JetEndSession(p[0], 0) == 0
        assert jet.lib.JetTerm(inst) == 0
        return err, size[1]
    return err, None


def test_log_file_size_is_adopted_from_existing_logs(jet, tmp_path):
    assert _init_and_stop(jet, tmp_path, "first", LogFileSize=256) == (0, 256)
    assert (tmp_path / "edb.log").stat().st_size == 256 * 1024
    # default size: the logs' size is adopted and reported
    assert _init_and_stop(jet, tmp_path, "second") == (0, 256)
    # the same size given explicitly is fine
    assert _init_and_stop(jet, tmp_path, "third", LogFileSize=256) == (0, 256)


def test_conflicting_explicit_log_file_size_is_refused(jet, tmp_path):
    assert _init_and_stop(jet, tmp_path, "first", LogFileSize=256)[0] == 0
    assert _init_and_stop(jet, tmp_path, "second", LogFileSize=512)[0] == jet.C.JET_errLogFileSizeMismatch


def test_log_longer_than_its_header_says_is_refused(jet, tmp_path):
    assert _init_and_stop(jet, tmp_path, "first", LogFileSize=256)[0] == 0
    with open(tmp_path / "edb.log", "ab") as f:
        f.write(b"\0" * 4096)
    assert _init_and_stop(jet, tmp_path, "second")[0] == jet.C.JET_errLogFileSizeMismatch


# --- write conflicts ---------------------------------------------------------------
# ESENT's JetPrepareUpdate(JET_prepReplace) inside a transaction write-locks
# the record at once (its ErrDIRGetLock(writeLock) in the prepare): a second
# session preparing to replace the same record gets JET_errWriteConflict from
# JetPrepareUpdate itself.  At level 0, and with JET_prepReplaceNoLock, no lock
# is taken.

def _second_session(env, dbid_name=b"a.edb"):
    ffi, lib = env.ffi, env.lib
    p = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
    s2 = p[0]
    pdb = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(s2, str(env.folder / dbid_name.decode()).encode(), ffi.NULL, pdb, 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(s2, pdb[0], b"kv", ffi.NULL, 0, 0, pt) == 0
    return s2, pt[0]


def _seek(env, ses, t, k):
    assert env.lib.JetMakeKey(ses, t, I(k), 4, env.C.JET_bitNewKey) == 0
    assert env.lib.JetSeek(ses, t, env.C.JET_bitSeekEQ) == 0


def test_second_prepare_replace_of_a_record_being_replaced_conflicts(env):
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    _dbid, t, _ck, cv = filled(env, [1, 2])
    s2, t2 = _second_session(env)
    assert lib.JetBeginTransaction(ses) == 0
    _seek(env, ses, t, 1)
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetBeginTransaction(s2) == 0
    _seek(env, s2, t2, 1)
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepReplace) == C.JET_errWriteConflict
    # another record is free; no lock without a transaction or with NoLock
    _seek(env, s2, t2, 2)
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepReplace) == 0
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepCancel) == 0
    _seek(env, s2, t2, 1)
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepReplaceNoLock) == 0
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepCancel) == 0
    assert lib.JetRollback(s2, 0) == 0
    # the first session's replace goes through; the lock is the transaction's
    assert lib.JetSetColumn(ses, t, cv, b"one", 3, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetBeginTransaction(s2) == 0
    _seek(env, s2, t2, 1)
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepReplace) == C.JET_errWriteConflict
    assert lib.JetRollback(s2, 0) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    assert lib.JetBeginTransaction(s2) == 0
    _seek(env, s2, t2, 1)
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepReplace) == 0
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepCancel) == 0
    assert lib.JetCommitTransaction(s2, 0) == 0
    assert lib.JetEndSession(s2, 0) == 0


def test_cancelled_prepare_keeps_the_lock_until_the_transaction_ends(env):
    # the write lock belongs to the transaction (ESENT's DIR lock version),
    # not to the prepared update
    lib, C, ses = env.lib, env.C, env.ses
    _dbid, t, _ck, _cv = filled(env, [1])
    s2, t2 = _second_session(env)
    assert lib.JetBeginTransaction(ses) == 0
    _seek(env, ses, t, 1)
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == 0
    assert lib.JetBeginTransaction(s2) == 0
    _seek(env, s2, t2, 1)
    assert lib.JetPrepareUpdate(s2, t2, C.JET_prepReplace) == C.JET_errWriteConflict
    assert lib.JetRollback(s2, 0) == 0
    assert lib.JetRollback(ses, 0) == 0
    assert lib.JetEndSession(s2, 0) == 0


# --- JET_prepInsertCopyDeleteOriginal ------------------------------------------------
# ESENT's prepare gives the copy a new autoincrement value (only
# JET_prepInsertCopyReplaceOriginal keeps it), and JetUpdate deletes the
# original before inserting the copy, so the copy may keep the original's key.

def _autoinc_table(env):
    C = env.C
    err, dbid = env.create_db()
    assert err == 0
    err, t = env.create_table(dbid, "ai")
    assert err == 0
    err, ck = env.add_column(t, "k", C.JET_coltypLong)
    assert err == 0
    err, ca = env.add_column(t, "n", C.JET_coltypLong, grbit=C.JET_bitColumnAutoincrement)
    assert err == 0
    assert env.lib.JetCreateIndex(env.ses, t, b"primary", C.JET_bitIndexPrimary, b"+k\0\0", 4, 100) == 0
    for k in (1, 2):
        assert env.insert(t, [(ck, I(k))]) == 0
    return t, ck, ca


def _rows(env, t, ck, ca):
    out = []
    ok = env.lib.JetMove(env.ses, t, env.C.JET_MoveFirst, 0) == 0
    while ok:
        out.append((key_at(env, t, ck), key_at(env, t, ca)))
        ok = env.lib.JetMove(env.ses, t, env.C.JET_MoveNext, 0) == 0
    return out


def test_insert_copy_delete_original_with_the_key_unchanged(env):
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    t, ck, ca = _autoinc_table(env)
    assert _rows(env, t, ck, ca) == [(1, 1), (2, 2)]
    _seek(env, ses, t, 1)
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsertCopyDeleteOriginal) == 0
    assert key_at_copy(env, t, ca) == 3  # the new value, in the copy buffer
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert _rows(env, t, ck, ca) == [(1, 3), (2, 2)]
    # with a new key, inside a transaction that rolls back: nothing changed
    assert lib.JetBeginTransaction(ses) == 0
    _seek(env, ses, t, 2)
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsertCopyDeleteOriginal) == 0
    assert lib.JetSetColumn(ses, t, ck, I(9), 4, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert _rows(env, t, ck, ca) == [(1, 3), (9, 4)]
    assert lib.JetRollback(ses, 0) == 0
    assert _rows(env, t, ck, ca) == [(1, 3), (2, 2)]


def key_at_copy(env, t, col):
    buf = env.ffi.new("char[4]")
    pcb = env.ffi.new("uint32_t *")
    err = env.lib.JetRetrieveColumn(env.ses, t, col, buf, 4, pcb, env.C.JET_bitRetrieveCopy, env.ffi.NULL)
    assert err == 0, env.jet.err_name(err)
    return struct.unpack("<i", bytes(env.ffi.buffer(buf, 4)))[0]


# --- JET_bitEnumerateCompressOutput ---------------------------------------------------
# ESENT: a column enumerated whole (no itags listed) that has exactly one value
# kept in the record comes back as JET_wrnColumnSingleValue with the value in
# cbData / pvData; listed itags, several values and a separated long value
# keep the JET_ENUMCOLUMNVALUE list.

def test_enumerate_compress_output(env):
    from test_enumerate import enumerate_columns
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    _dbid, t, ck, cv = make_kv(env)
    err, cm = env.add_column(t, "m", C.JET_coltypBinary, C.JET_bitColumnTagged | C.JET_bitColumnMultiValued)
    assert err == 0
    err, cl = env.add_column(t, "lv", C.JET_coltypLongBinary)
    assert err == 0
    err, cs = env.add_column(t, "small", C.JET_coltypLongBinary)
    assert err == 0
    big = bytes(range(256)) * 64
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    for col, v in ((ck, I(1)), (cv, b"text"), (cl, big), (cs, b"tiny")):
        assert lib.JetSetColumn(ses, t, col, v, len(v), 0, ffi.NULL) == 0
    si = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 0})
    for v in (b"a", b"bb"):
        assert lib.JetSetColumn(ses, t, cm, v, len(v), 0, si) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    err, out = enumerate_columns(env, t, grbit=C.JET_bitEnumerateCompressOutput)
    assert err == 0
    assert out[ck] == ("single", I(1)) and out[cv] == ("single", b"text") and out[cs] == ("single", b"tiny")
    assert out[cm] == [(1, 0, b"a"), (2, 0, b"bb")]
    assert out[cl] == [(1, 0, big)]  # separated: not compressed
    err, out = enumerate_columns(env, t, ids=[(cv, [1]), (ck, [])], grbit=C.JET_bitEnumerateCompressOutput)
    assert out[cv] == [(1, 0, b"text")] and out[ck] == ("single", I(1))


# --- backup copies and the external backup API -----------------------------------------

def test_attaching_a_backup_copy_never_restored(jet, tmp_path):
    # ESENT's attach: a database whose header still carries the backup's
    # bkinfoFullCur (a copy from a backup set that was never restored) gives
    # JET_errSoftRecoveryOnBackupDatabase.
    from test_backup import kv_env, backup
    from test_database import Env
    env = kv_env(jet, tmp_path / "live", rows=50)
    try:
        bk = tmp_path / "bk"
        bk.mkdir()
        assert backup(env, bk) == 0
    finally:
        assert env.term() == 0
    other = Env(jet, tmp_path / "live", "other")  # the same folders, another instance
    try:
        err = other.lib.JetAttachDatabase(other.ses, str(bk / "a.edb").encode(), 0)
        assert err == jet.C.JET_errSoftRecoveryOnBackupDatabase, jet.err_name(err)
    finally:
        assert other.term() == 0


def test_open_file_on_a_database_during_an_incremental_backup(jet, tmp_path):
    # ESENT: an incremental external backup copies logs only; JetOpenFile on a
    # database then gives JET_errInvalidBackupSequence.
    from test_backup import kv_env, backup
    C, lib, ffi = jet.C, jet.lib, jet.ffi
    env = kv_env(jet, tmp_path / "live", rows=20)
    try:
        bk = tmp_path / "bk"
        bk.mkdir()
        assert backup(env, bk) == 0
        assert lib.JetBeginExternalBackupInstance(env.inst, C.JET_bitBackupIncremental) == 0
        ph = ffi.new("JET_HANDLE *")
        lo, hi = ffi.new("uint32_t *"), ffi.new("uint32_t *")
        err = lib.JetOpenFileInstance(env.inst, str(tmp_path / "live" / "a.edb").encode(), ph, lo, hi)
        assert err == C.JET_errInvalidBackupSequence, jet.err_name(err)
        assert lib.JetEndExternalBackupInstance2(env.inst, C.JET_bitBackupEndAbort) == 0
    finally:
        assert env.term() == 0


def test_legacy_restore2_creates_a_missing_destination_when_asked(subproc, tmp_path):
    # ESENT's JetRestore2 with JET_paramCreatePathIfNotExist creates the
    # destination folder it restores the databases into.
    live, bk = tmp_path / "live", tmp_path / "bk"
    subproc(f"""
        import pathlib
        live, bk = pathlib.Path({str(live)!r}), pathlib.Path({str(bk)!r})
        live.mkdir(); bk.mkdir()
        for pid in (C.JET_paramSystemPath, C.JET_paramLogFilePath, C.JET_paramTempPath):
            assert lib.JetSetSystemParameter(ffi.NULL, 0, pid, 0, (str(live) + "/").encode()) == 0
        pinst = ffi.new("JET_INSTANCE *", 0)
        assert lib.JetInit(pinst) == 0
        ps = ffi.new("JET_SESID *"); assert lib.JetBeginSession(pinst[0], ps, ffi.NULL, ffi.NULL) == 0
        pd = ffi.new("JET_DBID *")
        assert lib.JetCreateDatabase(ps[0], str(live / "a.edb").encode(), ffi.NULL, pd, 0) == 0
        assert lib.JetBackup(str(bk).encode(), 0, ffi.NULL) == 0
        assert lib.JetTerm(pinst[0]) == 0
        dest = live / "new" / "place"
        assert lib.JetRestore2(str(bk).encode(), str(dest).encode(), ffi.NULL) < 0
        assert not dest.exists()
        assert lib.JetSetSystemParameter(ffi.NULL, 0, C.JET_paramCreatePathIfNotExist, 1, ffi.NULL) == 0
        err = lib.JetRestore2(str(bk).encode(), str(dest).encode(), ffi.NULL)
        assert err == 0, jet.err_name(err)
        assert (dest / "a.edb").exists()
    """)


# --- W list tables ----------------------------------------------------------------------
# ESENT's W functions return list tables whose text columns are Unicode
# (cp 1200) and hold UTF-16LE names; the A functions' hold the names in the
# A character set (UTF-8 here).

WNAME = "c\u00f6l-\U0001F600"


def _wstr(ffi, s):
    units = list(struct.unpack("<%dH" % (len(s.encode("utf-16-le")) // 2), s.encode("utf-16-le")))
    return ffi.new("JET_WCHAR[]", units + [0])


def _column_cp(env, t, colid):
    cd = env.ffi.new("JET_COLUMNDEF *")
    pid = env.ffi.new("JET_COLUMNID *", colid)
    assert env.lib.JetGetTableColumnInfo(env.ses, t, env.ffi.cast("char *", pid), cd, env.ffi.sizeof(cd[0]),
                                         env.C.JET_ColInfoByColid) == 0
    return cd.cp


def _texts(env, t, colid):
    out = []
    ok = env.lib.JetMove(env.ses, t, env.C.JET_MoveFirst, 0) == 0
    while ok:
        err, v = env.retrieve(t, colid, 512)
        assert err in (0, env.C.JET_wrnColumnNull)
        out.append(v)
        ok = env.lib.JetMove(env.ses, t, env.C.JET_MoveNext, 0) == 0
    return out


def test_w_list_tables_hold_utf16(env):
    ffi, lib, C, ses = env.ffi, env.lib, env.C, env.ses
    dbid, t, _ck, _cv = make_kv(env)
    err, _c = env.add_column(t, WNAME, C.JET_coltypLong)
    assert err == 0
    assert lib.JetCreateIndex(ses, t, ("i-" + WNAME).encode(), 0, ("+" + WNAME).encode() + b"\0\0",
                              len(WNAME.encode()) + 3, 100) == 0
    u16 = lambda s: s.encode("utf-16-le")  # noqa: E731
    # columns: JetGetTableColumnInfoW and JetGetColumnInfoW
    for call in (lambda p: lib.JetGetTableColumnInfoW(ses, t, ffi.NULL, p, ffi.sizeof("JET_COLUMNLIST"),
                                                       C.JET_ColInfoList),
                 lambda p: lib.JetGetColumnInfoW(ses, dbid, _wstr(ffi, "kv"), ffi.NULL, p,
                                                 ffi.sizeof("JET_COLUMNLIST"), C.JET_ColInfoList)):
        cl = ffi.new("JET_COLUMNLIST *")
        assert call(cl) == 0
        assert _column_cp(env, cl.tableid, cl.columnidcolumnname) == 1200
        assert sorted(_texts(env, cl.tableid, cl.columnidcolumnname)) == sorted([u16("k"), u16("v"), u16(WNAME)])
        assert lib.JetCloseTable(ses, cl.tableid) == 0
    # the A function: UTF-8 in a cp 1252 column, as before
    cl = ffi.new("JET_COLUMNLIST *")
    assert lib.JetGetTableColumnInfo(ses, t, ffi.NULL, cl, ffi.sizeof(cl[0]), C.JET_ColInfoList) == 0
    assert _column_cp(env, cl.tableid, cl.columnidcolumnname) == 1252
    assert WNAME.encode() in _texts(env, cl.tableid, cl.columnidcolumnname)
    assert lib.JetCloseTable(ses, cl.tableid) == 0
    # indexes: JetGetTableIndexInfoW / JetGetIndexInfoW
    for call in (lambda p: lib.JetGetTableIndexInfoW(ses, t, ffi.NULL, p, ffi.sizeof("JET_INDEXLIST"),
                                                      C.JET_IdxInfoList),
                 lambda p: lib.JetGetIndexInfoW(ses, dbid, _wstr(ffi, "kv"), ffi.NULL, p,
                                                ffi.sizeof("JET_INDEXLIST"), C.JET_IdxInfoList)):
        il = ffi.new("JET_INDEXLIST *")
        assert call(il) == 0
        assert _column_cp(env, il.tableid, il.columnidindexname) == 1200
        assert u16("i-" + WNAME) in _texts(env, il.tableid, il.columnidindexname)
        assert u16(WNAME) in _texts(env, il.tableid, il.columnidcolumnname)
        assert lib.JetCloseTable(ses, il.tableid) == 0
    # objects: JetGetObjectInfoW
    ol = ffi.new("JET_OBJECTLIST *")
    assert lib.JetGetObjectInfoW(ses, dbid, C.JET_objtypTable, ffi.NULL, ffi.NULL, ol, ffi.sizeof(ol[0]),
                                 C.JET_ObjInfoList) == 0
    assert _column_cp(env, ol.tableid, ol.columnidobjectname) == 1200
    assert _texts(env, ol.tableid, ol.columnidobjectname) == [u16("kv")]
    assert lib.JetCloseTable(ses, ol.tableid) == 0
