"""Behaviour that must match ESENT (issue 18 item 4), through the C API.

Each test states what ESENT does (from Microsoft's documentation, its
open-source engine and ManagedEsent's tests; facts only) and checks that
esepy does the same.  Where esepy deliberately differs, docs/esent-differences.md
says so and why."""
import struct

from test_database import env, make_kv  # noqa: F401  (fixture)


def I(k):
    return struct.pack("<i", k)


def filled(env, keys):
    dbid, t, ck, cv = make_kv(env)
    for k in keys:
        assert env.insert(t, [(ck, I(k)), (cv, b"v%d" % k)]) == 0
    return dbid, t, ck, cv


def key_at(env, t, ck):
    err, v = env.retrieve(t, ck)
    assert err == 0, env.jet.err_name(err)
    return struct.unpack("<i", v)[0]


def seek(env, t, k, grbit):
    assert env.lib.JetMakeKey(env.ses, t, I(k), 4, env.C.JET_bitNewKey) == 0
    return env.lib.JetSeek(env.ses, t, grbit)


# --- instances --------------------------------------------------------------

def test_term_of_a_zero_handle_with_no_instance(jet):
    # ESENT's engine looks the handle up; with no instance in the process a
    # zero / nil handle names none: JET_errInvalidParameter.  (ManagedEsent's
    # Api.JetTerm returns success for a zero handle without calling ESENT.)
    lib, C = jet.lib, jet.C
    for h in (0, C.JET_instanceNil):
        assert lib.JetTerm(h) == C.JET_errInvalidParameter
        assert lib.JetTerm2(h, 0) == C.JET_errInvalidParameter
    assert jet.process_state() == (0, 0)


def test_init_term_init_on_the_same_variable(subproc, tmp_path):
    # ESENT: once the last instance is gone the mode is unset again, and
    # JetInit then ignores the (stale) handle it is given: one-instance mode,
    # a new instance, its handle written back (ManagedEsent
    # InitAndTermOneInstanceTwice).
    subproc(f"""
        import os
        os.chdir({str(tmp_path)!r})
        inst = jet.instance_in({str(tmp_path)!r}, "twice")
        p = ffi.new("JET_INSTANCE *", inst)
        assert lib.JetInit(p) == 0 and p[0] == inst
        assert lib.JetTerm(p[0]) == 0
        assert jet.process_state() == (0, 0)
        assert lib.JetInit(p) == 0
        assert jet.process_state() == (1, 1)
        assert p[0] not in (0, C.JET_instanceNil)
        s = ffi.new("JET_SESID *")
        assert lib.JetBeginSession(p[0], s, ffi.NULL, ffi.NULL) == 0
        assert lib.JetEndSession(s[0], 0) == 0
        assert lib.JetTerm(p[0]) == 0
        assert jet.process_state() == (0, 0)
    """)


def test_enable_multi_instance_reports_the_parameters_it_matched(subproc):
    # ESENT writes *pcsetsucceed on every return: all of them on success, and
    # all of them again when the same globals are given a second time
    # (JET_errSystemParamsAlreadySet).
    subproc("""
        pa = ffi.new("JET_SETSYSPARAM[2]")
        pa[0].paramid = C.JET_paramMaxInstances; pa[0].lParam = 3
        pa[1].paramid = C.JET_paramDatabasePageSize; pa[1].lParam = 8192
        ok = ffi.new("uint32_t *", 99)
        assert lib.JetEnableMultiInstance(pa, 2, ok) == 0 and ok[0] == 2
        ok[0] = 99
        assert lib.JetEnableMultiInstance(pa, 2, ok) == C.JET_errSystemParamsAlreadySet
        assert ok[0] == 2
        assert lib.JetEnableMultiInstance(ffi.NULL, 0, ok) == C.JET_errSystemParamsAlreadySet
        assert ok[0] == 0
    """)


# --- transactions -----------------------------------------------------------

def test_commit_requests_outside_a_transaction(env):
    # ESENT: ForceNewLog, WaitAllLevel0Commit and WaitLastLevel0Commit are
    # requests of their own, valid outside a transaction, each alone; they
    # commit nothing.
    lib, C, ses = env.lib, env.C, env.ses
    dbid, t, ck, cv = filled(env, [1])
    gen = env.ffi.new("JET_LGPOS *")
    assert lib.EsepyGetLogPosition(env.inst, gen) == 0
    g0 = gen.lGeneration
    assert lib.JetCommitTransaction(ses, C.JET_bitForceNewLog) == 0
    assert lib.EsepyGetLogPosition(env.inst, gen) == 0 and gen.lGeneration == g0 + 1
    assert lib.JetCommitTransaction(ses, C.JET_bitWaitAllLevel0Commit) == 0
    assert lib.JetCommitTransaction(ses, C.JET_bitWaitLastLevel0Commit) == 0
    assert lib.JetCommitTransaction(ses, 0) == C.JET_errNotInTransaction
    assert lib.JetCommitTransaction(ses, C.JET_bitCommitLazyFlush) == C.JET_errNotInTransaction
    for bad in (C.JET_bitForceNewLog | C.JET_bitCommitLazyFlush,
                C.JET_bitWaitAllLevel0Commit | C.JET_bitWaitLastLevel0Commit,
                C.JET_bitWaitLastLevel0Commit | C.JET_bitCommitLazyFlush,
                C.JET_bitForceNewLog | C.JET_bitWaitAllLevel0Commit):
        assert lib.JetCommitTransaction(ses, bad) == C.JET_errInvalidGrbit
    # inside a transaction they commit nothing: the transaction goes on
    assert lib.JetBeginTransaction(ses) == 0
    assert env.insert(t, [(ck, I(2))]) == 0
    assert lib.JetCommitTransaction(ses, C.JET_bitWaitLastLevel0Commit) == 0
    assert lib.JetRollback(ses, 0) == 0
    assert seek(env, t, 2, C.JET_bitSeekEQ) == C.JET_errRecordNotFound


# --- navigation -------------------------------------------------------------

def test_seek_lt_and_gt_hits_return_success(env):
    # ESENT warns JET_wrnSeekNotEqual only for SeekGE / SeekLE; a SeekGT or
    # SeekLT that finds a record returns JET_errSuccess.
    C = env.C
    dbid, t, ck, cv = filled(env, [10, 20, 30])
    assert seek(env, t, 20, C.JET_bitSeekGT) == 0 and key_at(env, t, ck) == 30
    assert seek(env, t, 20, C.JET_bitSeekLT) == 0 and key_at(env, t, ck) == 10
    assert seek(env, t, 25, C.JET_bitSeekGT) == 0 and key_at(env, t, ck) == 30
    assert seek(env, t, 25, C.JET_bitSeekGE) == C.JET_wrnSeekNotEqual
    assert seek(env, t, 25, C.JET_bitSeekLE) == C.JET_wrnSeekNotEqual and key_at(env, t, ck) == 20
    assert seek(env, t, 30, C.JET_bitSeekGT) == C.JET_errRecordNotFound


def test_moving_past_an_index_range_leaves_the_cursor_after_the_end(env):
    # ESENT: a move that leaves the index range removes the range and puts
    # the cursor after the last entry of the index (before the first one when
    # moving backwards), so the next move back is on the index's last record.
    lib, C, ses = env.lib, env.C, env.ses
    dbid, t, ck, cv = filled(env, [10, 20, 30, 40])
    assert seek(env, t, 10, C.JET_bitSeekGE) == 0
    assert lib.JetMakeKey(ses, t, I(20), 4, C.JET_bitNewKey) == 0
    assert lib.JetSetIndexRange(ses, t, C.JET_bitRangeUpperLimit | C.JET_bitRangeInclusive) == 0
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0 and key_at(env, t, ck) == 20
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == C.JET_errNoCurrentRecord
    assert lib.JetSetIndexRange(ses, t, C.JET_bitRangeRemove) == C.JET_errInvalidOperation
    assert lib.JetMove(ses, t, C.JET_MovePrevious, 0) == 0 and key_at(env, t, ck) == 40
    # a lower limit, walking backwards: before the first entry
    assert seek(env, t, 40, C.JET_bitSeekLE) == 0
    assert lib.JetMakeKey(ses, t, I(30), 4, C.JET_bitNewKey) == 0
    assert lib.JetSetIndexRange(ses, t, C.JET_bitRangeInclusive) == 0
    assert lib.JetMove(ses, t, C.JET_MovePrevious, 0) == 0 and key_at(env, t, ck) == 30
    assert lib.JetMove(ses, t, C.JET_MovePrevious, 0) == C.JET_errNoCurrentRecord
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0 and key_at(env, t, ck) == 10


# --- columns ----------------------------------------------------------------

def multi_valued(env):
    C = env.C
    dbid, t, ck, cv = make_kv(env)
    err, cm = env.add_column(t, "mv", C.JET_coltypLong, C.JET_bitColumnTagged | C.JET_bitColumnMultiValued)
    assert err == 0
    return t, ck, cm


def test_long_multi_valued_columns_need_no_tagged_bit(env):
    # ESENT: long-value columns are tagged anyway, so LongText / LongBinary
    # with JET_bitColumnMultiValued alone are accepted; other types still
    # need JET_bitColumnTagged (JET_errMultiValuedColumnMustBeTagged).
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    err, lt = env.add_column(t, "lt", C.JET_coltypLongText, C.JET_bitColumnMultiValued, cp=1252)
    assert err == 0, env.jet.err_name(err)
    err, lb = env.add_column(t, "lb", C.JET_coltypLongBinary, C.JET_bitColumnMultiValued)
    assert err == 0, env.jet.err_name(err)
    assert env.add_column(t, "l", C.JET_coltypLong, C.JET_bitColumnMultiValued)[0] == \
        C.JET_errMultiValuedColumnMustBeTagged
    add = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 0})
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, ck, I(1), 4, 0, ffi.NULL) == 0
    for v in (b"one", b"two"):
        assert lib.JetSetColumn(ses, t, lt, v, len(v), 0, add) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    buf = ffi.new("char[16]")
    n = ffi.new("uint32_t *")
    ri = ffi.new("JET_RETINFO *", {"cbStruct": ffi.sizeof("JET_RETINFO"), "itagSequence": 2})
    assert lib.JetRetrieveColumn(ses, t, lt, buf, 16, n, 0, ri) == 0 and ffi.buffer(buf, n[0])[:] == b"two"


def test_set_unique_multi_values_refuses_duplicates(env):
    # ESENT: JET_bitSetUniqueMultiValues refuses a value the column already
    # holds with JET_errMultiValuedDuplicate.
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    t, ck, cm = multi_valued(env)
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, ck, I(1), 4, 0, ffi.NULL) == 0
    add = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 0})  # append
    assert lib.JetSetColumn(ses, t, cm, I(7), 4, C.JET_bitSetUniqueMultiValues, add) == 0
    assert lib.JetSetColumn(ses, t, cm, I(8), 4, C.JET_bitSetUniqueMultiValues, add) == 0
    assert lib.JetSetColumn(ses, t, cm, I(7), 4, C.JET_bitSetUniqueMultiValues, add) == C.JET_errMultiValuedDuplicate
    # replacing value 2 by the value 1 holds is a duplicate too; by itself is not
    two = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 2})
    assert lib.JetSetColumn(ses, t, cm, I(7), 4, C.JET_bitSetUniqueMultiValues, two) == C.JET_errMultiValuedDuplicate
    assert lib.JetSetColumn(ses, t, cm, I(8), 4, C.JET_bitSetUniqueMultiValues, two) == 0
    # without the bit duplicates are allowed
    assert lib.JetSetColumn(ses, t, cm, I(7), 4, 0, add) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0


def test_retrieve_columns_itag_sequence_zero_counts_the_values(env):
    # ESENT: a JET_RETRIEVECOLUMN with itagSequence 0 asks for the number of
    # values of the column, returned in itagSequence (cbActual 0, success).
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    t, ck, cm = multi_valued(env)
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, ck, I(1), 4, 0, ffi.NULL) == 0
    add = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 0})  # append
    for v in (5, 6, 7):
        assert lib.JetSetColumn(ses, t, cm, I(v), 4, 0, add) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    rc = ffi.new("JET_RETRIEVECOLUMN[3]")
    buf = ffi.new("char[8]")
    rc[0].columnid, rc[0].itagSequence = cm, 0
    rc[1].columnid, rc[1].itagSequence = ck, 0
    rc[2].columnid, rc[2].itagSequence, rc[2].pvData, rc[2].cbData = cm, 2, buf, 8
    for r in rc:
        r.cbActual = 99
    assert lib.JetRetrieveColumns(ses, t, rc, 3) == 0
    assert (rc[0].err, rc[0].itagSequence, rc[0].cbActual) == (0, 3, 0)
    assert (rc[1].err, rc[1].itagSequence, rc[1].cbActual) == (0, 1, 0)
    assert (rc[2].err, rc[2].cbActual) == (0, 4) and bytes(ffi.buffer(buf, 4)) == I(6)


# --- database information -----------------------------------------------------

def test_get_database_info_levels(env):
    # ESENT: JetGetDatabaseInfo answers LCID, Options, Transactions, Version and
    # SpaceAvailable, each a 4-byte value (another buffer size:
    # JET_errInvalidBufferSize); Transactions is the deepest nesting (7).
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    v = ffi.new("uint32_t[2]")

    def info(level, cb=4):
        v[0] = 0xFFFFFFFF
        return lib.JetGetDatabaseInfo(ses, dbid, v, cb, level), v[0]

    assert info(C.JET_DbInfoLCID) == (0, 0x409)
    assert info(C.JET_DbInfoOptions) == (0, 0)  # not opened with JET_bitDbExclusive
    assert info(C.JET_DbInfoTransactions) == (0, 7)
    err, version = info(C.JET_DbInfoVersion)
    assert err == 0 and version != 0xFFFFFFFF
    err, free0 = info(C.JET_DbInfoSpaceAvailable)
    err2, owned = info(C.JET_DbInfoSpaceOwned)
    assert err == 0 and err2 == 0 and free0 < owned
    for level in (C.JET_DbInfoLCID, C.JET_DbInfoOptions, C.JET_DbInfoTransactions, C.JET_DbInfoVersion,
                  C.JET_DbInfoSpaceAvailable):
        assert info(level, 8)[0] == C.JET_errInvalidBufferSize
        assert info(level, 2)[0] == C.JET_errInvalidBufferSize
    # the transaction depth it reports is the one JetBeginTransaction allows
    for _ in range(7):
        assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetBeginTransaction(ses) == C.JET_errTransTooDeep
    assert lib.JetRollback(ses, C.JET_bitRollbackAll) == 0


def test_retrieve_columns_returns_the_truncation_warning(env):
    # ESENT: JetRetrieveColumns returns JET_wrnBufferTruncated when one of its
    # entries was truncated (other warnings, e.g. JET_wrnColumnNull, stay in
    # the entries and the call returns JET_errSuccess).
    lib, C, ses, ffi = env.lib, env.C, env.ses, env.ffi
    dbid, t, ck, cv = filled(env, [1])
    err, cn = env.add_column(t, "n", C.JET_coltypLong)
    assert err == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    rc = ffi.new("JET_RETRIEVECOLUMN[2]")
    small, big = ffi.new("char[1]"), ffi.new("char[8]")
    rc[0].columnid, rc[0].itagSequence, rc[0].pvData, rc[0].cbData = cn, 1, big, 8
    rc[1].columnid, rc[1].itagSequence, rc[1].pvData, rc[1].cbData = cv, 1, big, 8
    assert lib.JetRetrieveColumns(ses, t, rc, 2) == 0
    assert (rc[0].err, rc[1].err) == (C.JET_wrnColumnNull, 0)
    rc[1].pvData, rc[1].cbData = small, 1
    assert lib.JetRetrieveColumns(ses, t, rc, 2) == C.JET_wrnBufferTruncated
    assert (rc[0].err, rc[1].err, rc[1].cbActual) == (C.JET_wrnColumnNull, C.JET_wrnBufferTruncated, 2)


def test_database_file_info_db_in_use(env, tmp_path):
    # ESENT: JET_DbInfoDBInUse is a 4-byte BOOL telling whether an instance of
    # the process has the file attached; the file is not read; another buffer
    # size gives JET_errInvalidBufferSize.
    lib, C, ffi = env.lib, env.C, env.ffi
    err, dbid = env.create_db("inuse.edb")
    assert err == 0
    path = str(tmp_path / "inuse.edb").encode()
    v = ffi.new("int32_t *", 7)
    assert lib.JetGetDatabaseFileInfo(path, v, 4, C.JET_DbInfoDBInUse) == 0
    assert v[0] == 1
    assert lib.JetGetDatabaseFileInfo(path, v, 8, C.JET_DbInfoDBInUse) == C.JET_errInvalidBufferSize
    assert lib.JetCloseDatabase(env.ses, dbid, 0) == 0
    assert lib.JetDetachDatabase(env.ses, path) == 0
    assert lib.JetGetDatabaseFileInfo(path, v, 4, C.JET_DbInfoDBInUse) == 0
    assert v[0] == 0
    # a file that does not exist is simply not in use
    assert lib.JetGetDatabaseFileInfo(str(tmp_path / "none.edb").encode(), v, 4, C.JET_DbInfoDBInUse) == 0
    assert v[0] == 0


def test_instances_without_logging_or_temp_tables_share_folders(jet, tmp_path):
    # ESENT checks the system and log folders only between instances that both
    # log, and the temporary database only between instances that both may
    # create one: two instances with logging off and no temporary tables may
    # use the same folders.
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    a = jet.instance_in(tmp_path, "nolog-a", Recovery="off", MaxTemporaryTables=0)
    b = jet.instance_in(tmp_path, "nolog-b", Recovery="off", MaxTemporaryTables=0)
    try:
        assert lib.JetInit(ffi.new("JET_INSTANCE *", a)) == 0
        assert lib.JetInit(ffi.new("JET_INSTANCE *", b)) == 0
        # each can work: its own database in the shared folder
        for inst, name in ((a, b"a.edb"), (b, b"b.edb")):
            s, d = ffi.new("JET_SESID *"), ffi.new("JET_DBID *")
            assert lib.JetBeginSession(inst, s, ffi.NULL, ffi.NULL) == 0
            assert lib.JetCreateDatabase(s[0], str(tmp_path).encode() + b"/" + name, ffi.NULL, d, 0) == 0
            assert lib.JetEndSession(s[0], 0) == 0
        # a logging instance may join (the others keep nothing there) ...
        c = jet.instance_in(tmp_path, "log-c", MaxTemporaryTables=0)
        assert lib.JetInit(ffi.new("JET_INSTANCE *", c)) == 0
        # ... but a second logging one is refused
        d = jet.instance_in(tmp_path, "log-d", MaxTemporaryTables=0)
        assert lib.JetInit(ffi.new("JET_INSTANCE *", d)) == C.JET_errSystemPathInUse
        assert lib.JetTerm(c) == 0
    finally:
        assert lib.JetTerm(b) == 0
        assert lib.JetTerm(a) == 0


def test_instances_with_temp_tables_keep_their_temp_database(jet, tmp_path):
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    a = jet.instance_in(tmp_path, "tmp-a", Recovery="off")
    b = jet.instance_in(tmp_path, "tmp-b", Recovery="off")
    try:
        assert lib.JetInit(ffi.new("JET_INSTANCE *", a)) == 0
        assert lib.JetInit(ffi.new("JET_INSTANCE *", b)) == C.JET_errTempPathInUse
    finally:
        assert lib.JetTerm(a) == 0


def test_exclusive_open_database(env, tmp_path):
    # ESENT: JetOpenDatabase(JET_bitDbExclusive) needs the database open by no
    # session (JET_errDatabaseInUse otherwise, even this session's own open);
    # while it is held another session's JetOpenDatabase gets
    # JET_errDatabaseLocked; JetGetDatabaseInfo(JET_DbInfoOptions) shows
    # JET_bitDbExclusive to the holder; closing its last open releases it.
    lib, C, ffi, ses = env.lib, env.C, env.ffi, env.ses
    err, dbid = env.create_db("x.edb")
    assert err == 0
    path = str(tmp_path / "x.edb").encode()
    p, v = ffi.new("JET_DBID *"), ffi.new("uint32_t *")
    assert lib.JetOpenDatabase(ses, path, ffi.NULL, p, C.JET_bitDbExclusive) == C.JET_errDatabaseInUse
    assert lib.JetCloseDatabase(ses, dbid, 0) == 0
    s2 = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, s2, ffi.NULL, ffi.NULL) == 0
    assert lib.JetOpenDatabase(s2[0], path, ffi.NULL, p, 0) == 0
    assert lib.JetOpenDatabase(ses, path, ffi.NULL, p, C.JET_bitDbExclusive) == C.JET_errDatabaseInUse
    assert lib.JetCloseDatabase(s2[0], p[0], 0) == 0
    assert lib.JetOpenDatabase(ses, path, ffi.NULL, p, C.JET_bitDbExclusive) == 0
    assert lib.JetGetDatabaseInfo(ses, p[0], v, 4, C.JET_DbInfoOptions) == 0
    assert v[0] == C.JET_bitDbExclusive
    p2 = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(s2[0], path, ffi.NULL, p2, 0) == C.JET_errDatabaseLocked
    assert lib.JetCloseDatabase(ses, p[0], 0) == 0
    assert lib.JetOpenDatabase(s2[0], path, ffi.NULL, p2, 0) == 0
    assert lib.JetGetDatabaseInfo(s2[0], p2[0], v, 4, C.JET_DbInfoOptions) == 0
    assert v[0] == 0
    assert lib.JetEndSession(s2[0], 0) == 0
    # ending the holder's session releases it too
    assert lib.JetBeginSession(env.inst, s2, ffi.NULL, ffi.NULL) == 0
    assert lib.JetOpenDatabase(s2[0], path, ffi.NULL, p2, C.JET_bitDbExclusive) == 0
    assert lib.JetEndSession(s2[0], 0) == 0
    assert lib.JetOpenDatabase(ses, path, ffi.NULL, p, 0) == 0
