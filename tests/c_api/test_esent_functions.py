"""ESENT functions added for issue 18 item 1, through the C API.

Each test states what ESENT documents (Microsoft's documentation, its
open-source engine and ManagedEsent's tests; facts only) and checks esepy
does the same; docs/esent-differences.md lists where esepy differs."""
import struct
import threading

from test_database import env, make_kv  # noqa: F401  (fixture)


def I(k):
    return struct.pack("<i", k)


def filled(env, keys):
    dbid, t, ck, cv = make_kv(env)
    for k in keys:
        assert env.insert(t, [(ck, I(k)), (cv, b"v%d" % k)]) == 0
    return dbid, t, ck, cv


def in_thread(fn):
    out = []
    th = threading.Thread(target=lambda: out.append(fn()))
    th.start()
    th.join()
    return out[0]


# --- JetStopService ------------------------------------------------------------

def test_stop_service_refuses_later_calls(env):
    # ESENT: after JetStopServiceInstance every API call on the instance fails
    # with JET_errClientRequestToStopJetService; JetTerm still works.
    lib, C, ffi = env.lib, env.C, env.ffi
    assert lib.JetBeginTransaction(env.ses) == 0
    assert lib.JetRollback(env.ses, 0) == 0
    assert lib.JetStopServiceInstance(env.inst) == 0
    assert lib.JetBeginTransaction(env.ses) == C.JET_errClientRequestToStopJetService
    p = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == C.JET_errClientRequestToStopJetService
    # a full stop is not resumable
    assert lib.JetStopServiceInstance2(env.inst, C.JET_bitStopServiceResume) == \
        C.JET_errClientRequestToStopJetService
    assert lib.JetTerm(env.inst) == 0


def test_stop_service_resumable_bits_and_bad_grbit(env):
    lib, C = env.lib, env.C
    assert lib.JetStopServiceInstance2(env.inst, 0x100) == C.JET_errInvalidGrbit
    assert lib.JetStopServiceInstance2(env.inst, C.JET_bitStopServiceBackgroundUserTasks) == 0
    assert lib.JetBeginTransaction(env.ses) == 0   # background stop leaves API calls working
    assert lib.JetRollback(env.ses, 0) == 0
    assert lib.JetStopServiceInstance2(
        env.inst, C.JET_bitStopServiceBackgroundUserTasks | C.JET_bitStopServiceResume) == 0
    assert lib.JetStopServiceInstance2(env.inst + 1, 0) == C.JET_errInvalidParameter


# --- sessions ------------------------------------------------------------------

def test_dup_session_is_a_separate_session(env):
    lib, C, ffi = env.lib, env.C, env.ffi
    p = ffi.new("JET_SESID *")
    assert lib.JetDupSession(env.ses, p) == 0
    s2 = p[0]
    assert s2 != env.ses
    assert lib.JetBeginTransaction(env.ses) == 0
    lvl = ffi.new("uint32_t *")
    assert lib.JetGetSessionParameter(s2, C.JET_sesparamTransactionLevel, lvl, 4, ffi.NULL) == 0
    assert lvl[0] == 0   # the transaction is not copied
    assert lib.JetRollback(env.ses, 0) == 0
    assert lib.JetEndSession(s2, 0) == 0
    assert lib.JetDupSession(s2, p) == C.JET_errInvalidSesid


def test_session_context_binds_the_session_to_its_thread(env):
    # ESENT: with a context set, the session belongs to the thread that set it;
    # another thread using it gets JET_errSessionSharingViolation, cannot reset
    # it (JET_errSessionContextNotSetByThisThread); setting twice gives
    # JET_errSessionContextAlreadySet.
    lib, C = env.lib, env.C
    assert lib.JetSetSessionContext(env.ses, 0x1234) == 0
    assert lib.JetSetSessionContext(env.ses, 0x1234) == C.JET_errSessionContextAlreadySet
    assert in_thread(lambda: lib.JetBeginTransaction(env.ses)) == C.JET_errSessionSharingViolation
    assert in_thread(lambda: lib.JetResetSessionContext(env.ses)) == C.JET_errSessionContextNotSetByThisThread
    assert lib.JetBeginTransaction(env.ses) == 0
    assert lib.JetRollback(env.ses, 0) == 0
    assert lib.JetResetSessionContext(env.ses) == 0
    assert lib.JetResetSessionContext(env.ses) == C.JET_errSessionContextNotSetByThisThread
    # unbound again: any thread may use it
    assert in_thread(lambda: lib.JetBeginTransaction(env.ses)) == 0
    assert lib.JetRollback(env.ses, 0) == 0


def test_session_parameters(env):
    lib, C, ffi = env.lib, env.C, env.ffi
    ses = env.ses
    lvl, cb = ffi.new("uint32_t *"), ffi.new("uint32_t *")
    assert lib.JetBeginTransaction3(ses, 77, 0) == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetGetSessionParameter(ses, C.JET_sesparamTransactionLevel, lvl, 4, cb) == 0
    assert (lvl[0], cb[0]) == (2, 4)
    assert lib.JetRollback(ses, C.JET_bitRollbackAll) == 0
    # TransactionLevel is read-only
    assert lib.JetSetSessionParameter(ses, C.JET_sesparamTransactionLevel, lvl, 4) == C.JET_errInvalidParameter
    g = ffi.new("uint32_t *", C.JET_bitCommitLazyFlush)
    assert lib.JetSetSessionParameter(ses, C.JET_sesparamCommitDefault, g, 4) == 0
    out = ffi.new("uint32_t *")
    assert lib.JetGetSessionParameter(ses, C.JET_sesparamCommitDefault, out, 4, cb) == 0
    assert out[0] == C.JET_bitCommitLazyFlush
    cid = ffi.new("uint64_t *", 0x1122334455667788)
    assert lib.JetSetSessionParameter(ses, C.JET_sesparamCorrelationID, cid, 8) == 0
    got = ffi.new("uint64_t *")
    assert lib.JetGetSessionParameter(ses, C.JET_sesparamCorrelationID, got, 8, cb) == 0
    assert got[0] == 0x1122334455667788
    assert lib.JetGetSessionParameter(ses, C.JET_sesparamCorrelationID, got, 4, cb) == C.JET_errInvalidBufferSize
    oc = ffi.new("JET_OPERATIONCONTEXT *", {"ulUserID": 9, "nOperationID": 3})
    assert lib.JetSetSessionParameter(ses, C.JET_sesparamOperationContext, oc, ffi.sizeof(oc[0])) == 0
    oc2 = ffi.new("JET_OPERATIONCONTEXT *")
    assert lib.JetGetSessionParameter(ses, C.JET_sesparamOperationContext, oc2, ffi.sizeof(oc2[0]), cb) == 0
    assert (oc2.ulUserID, oc2.nOperationID) == (9, 3)
    assert lib.JetGetSessionParameter(ses, 5000, out, 4, cb) == C.JET_errInvalidParameter
    # a lazy default commit still commits
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0


# --- process and instance information ------------------------------------------

def test_get_version_packs_major_minor(env):
    # ESENT: image major in bits 28..31, minor in 24..27, build in 8..23.
    ffi = env.ffi
    v = ffi.new("uint32_t *")
    assert env.lib.JetGetVersion(env.ses, v) == 0
    assert (v[0] >> 28, (v[0] >> 24) & 0xF) == (10, 0)
    assert env.lib.JetGetVersion(env.ses, ffi.NULL) == env.C.JET_errInvalidParameter


def test_idle_reports_no_activity(env):
    C = env.C
    assert env.lib.JetIdle(env.ses, 0) == C.JET_wrnNoIdleActivity
    assert env.lib.JetIdle(env.ses, C.JET_bitIdleFlushBuffers) == C.JET_wrnNoIdleActivity
    assert env.lib.JetIdle(env.ses, 0x8000) == C.JET_errInvalidGrbit
    assert env.lib.JetIdle(0, 0) == C.JET_errInvalidSesid


def test_thread_stats_sizes(jet):
    ffi, lib, C = jet.ffi, jet.lib, jet.C
    ts = ffi.new("JET_THREADSTATS *")
    assert lib.JetGetThreadStats(ts, ffi.sizeof(ts[0])) == 0
    assert ts.cbStruct == ffi.sizeof("JET_THREADSTATS") == 32
    ts2 = ffi.new("JET_THREADSTATS2 *")
    assert lib.JetGetThreadStats(ts2, ffi.sizeof(ts2[0])) == 0
    assert ts2.cbStruct == ffi.sizeof("JET_THREADSTATS2")
    assert lib.JetGetThreadStats(ts, 16) == C.JET_errInvalidBufferSize


def test_get_error_info_category_hierarchy(jet):
    # ESENT: JET_ErrorInfoSpecificErr gives the most specific category and the
    # path from JET_errcatError down to it.
    ffi, lib, C = jet.ffi, jet.lib, jet.C
    info = ffi.new("JET_ERRINFOBASIC_W *")
    e = ffi.new("JET_ERR *", C.JET_errOutOfMemory)
    assert lib.JetGetErrorInfoW(e, info, ffi.sizeof(info[0]), C.JET_ErrorInfoSpecificErr, 0) == 0
    assert info.cbStruct == ffi.sizeof("JET_ERRINFOBASIC_W")
    assert info.errValue == C.JET_errOutOfMemory
    assert info.errcatMostSpecific == lib.JET_errcatMemory
    assert list(info.rgCategoricalHierarchy)[:5] == [lib.JET_errcatError, lib.JET_errcatOperation,
                                                    lib.JET_errcatResource, lib.JET_errcatMemory, 0]
    e[0] = C.JET_errInvalidGrbit
    assert lib.JetGetErrorInfoW(e, info, ffi.sizeof(info[0]), C.JET_ErrorInfoSpecificErr, 0) == 0
    assert list(info.rgCategoricalHierarchy)[:3] == [lib.JET_errcatError, lib.JET_errcatApi, lib.JET_errcatUsage]
    assert lib.JetGetErrorInfoW(e, info, 8, C.JET_ErrorInfoSpecificErr, 0) == C.JET_errInvalidBufferSize
    assert lib.JetGetErrorInfoW(ffi.NULL, info, ffi.sizeof(info[0]), C.JET_ErrorInfoSpecificErr, 0) == \
        C.JET_errInvalidParameter
    assert lib.JetGetErrorInfoW(e, info, ffi.sizeof(info[0]), 7, 0) == C.JET_errInvalidParameter


def test_instance_misc_info_log_signature(env):
    ffi, lib, C = env.ffi, env.lib, env.C
    sig = ffi.new("JET_SIGNATURE *")
    assert lib.JetGetInstanceMiscInfo(env.inst, sig, ffi.sizeof(sig[0]), C.JET_InstanceMiscInfoLogSignature) == 0
    assert sig.ulRandom != 0 or sig.logtimeCreate.bYear != 0
    sig2 = ffi.new("JET_SIGNATURE *")
    assert lib.JetGetInstanceMiscInfo(env.inst, sig2, ffi.sizeof(sig2[0]), 0) == 0
    assert bytes(ffi.buffer(sig)) == bytes(ffi.buffer(sig2))
    assert lib.JetGetInstanceMiscInfo(env.inst, sig, 4, 0) == C.JET_errInvalidBufferSize
    assert lib.JetGetInstanceMiscInfo(env.inst, sig, ffi.sizeof(sig[0]), 9) == C.JET_errInvalidParameter


def test_os_snapshot_functions_are_disabled(jet):
    # The Windows Volume Shadow Copy writer does not exist off Windows.
    ffi, lib, C = jet.ffi, jet.lib, jet.C
    p = ffi.new("JET_OSSNAPID *")
    assert lib.JetOSSnapshotPrepare(p, 0) == C.JET_errDisabledFunctionality
    assert lib.JetOSSnapshotPrepareInstance(1, 0, 0) == C.JET_errDisabledFunctionality
    assert lib.JetOSSnapshotFreeze(1, ffi.NULL, ffi.NULL, 0) == C.JET_errDisabledFunctionality
    assert lib.JetOSSnapshotGetFreezeInfo(1, ffi.NULL, ffi.NULL, 0) == C.JET_errDisabledFunctionality
    for fn in (lib.JetOSSnapshotThaw, lib.JetOSSnapshotAbort, lib.JetOSSnapshotEnd, lib.JetOSSnapshotTruncateLog):
        assert fn(1, 0) == C.JET_errDisabledFunctionality
    assert lib.JetOSSnapshotTruncateLogInstance(1, 0, 0) == C.JET_errDisabledFunctionality


# --- cursors -----------------------------------------------------------------------

def test_get_cursor_info_tells_if_on_a_record(env):
    # ESENT: JET_errSuccess on a record, JET_errNoCurrentRecord otherwise.
    lib, C, ffi = env.lib, env.C, env.ffi
    dbid, t, ck, cv = filled(env, [1, 2])
    assert lib.JetMove(env.ses, t, C.JET_MoveFirst, 0) == 0
    assert lib.JetGetCursorInfo(env.ses, t, ffi.NULL, 0, 0) == 0
    assert lib.JetMove(env.ses, t, C.JET_MoveLast, 0) == 0
    assert lib.JetMove(env.ses, t, C.JET_MoveNext, 0) == C.JET_errNoCurrentRecord
    assert lib.JetGetCursorInfo(env.ses, t, ffi.NULL, 0, 0) == C.JET_errNoCurrentRecord
    assert lib.JetGetCursorInfo(env.ses, t, ffi.NULL, 0, 1) == C.JET_errInvalidParameter
    assert lib.JetGetCursorInfo(env.ses, 12345, ffi.NULL, 0, 0) < 0


def test_table_sequential_hints(env):
    lib, C = env.lib, env.C
    dbid, t, ck, cv = filled(env, [1])
    assert lib.JetSetTableSequential(env.ses, t, 0) == 0
    assert lib.JetSetTableSequential(env.ses, t, C.JET_bitPrereadForward) == 0
    assert lib.JetSetTableSequential(env.ses, t, 0x100) == C.JET_errInvalidGrbit
    assert lib.JetResetTableSequential(env.ses, t, 0) == 0
    assert lib.JetResetTableSequential(env.ses, t, 1) == C.JET_errInvalidGrbit
    assert lib.JetSetTableSequential(env.ses, 12345, 0) < 0
    assert lib.JetComputeStats(env.ses, t) == 0


def test_set_current_index4(env):
    lib, C, ffi = env.lib, env.C, env.ffi
    dbid, t, ck, cv = filled(env, [3, 1, 2])
    assert lib.JetCreateIndex(env.ses, t, b"byv", 0, b"-v\0\0", 4, 100) == 0
    assert lib.JetSetCurrentIndex4(env.ses, t, b"byv", ffi.NULL, C.JET_bitMoveFirst, 1) == 0
    err, v = env.retrieve(t, cv)
    assert (err, v) == (0, b"v3")   # descending on v
    bad = ffi.new("JET_INDEXID *", {"cbStruct": 3})
    assert lib.JetSetCurrentIndex4(env.ses, t, b"byv", bad, 0, 1) == C.JET_errInvalidParameter
    good = ffi.new("JET_INDEXID *", {"cbStruct": ffi.sizeof("JET_INDEXID")})
    assert lib.JetSetCurrentIndex4(env.ses, t, ffi.NULL, good, C.JET_bitMoveFirst, 1) == 0
    err, v = env.retrieve(t, ck)
    assert (err, v) == (0, I(1))


def test_preread_keys_requires_order_and_direction(env):
    lib, C, ffi = env.lib, env.C, env.ffi
    dbid, t, ck, cv = filled(env, [1, 2, 3])
    keys = [b"\x01", b"\x02", b"\x03"]
    bufs = [ffi.new("char[]", k) for k in keys]
    pv = ffi.new("void *[]", bufs)
    cb = ffi.new("uint32_t[]", [1, 1, 1])
    n = ffi.new("int32_t *")
    assert lib.JetPrereadKeys(env.ses, t, pv, cb, 3, n, C.JET_bitPrereadForward) == 0
    assert n[0] == 3
    assert lib.JetPrereadKeys(env.ses, t, pv, cb, 3, n, C.JET_bitPrereadBackward) == C.JET_errInvalidParameter
    assert lib.JetPrereadKeys(env.ses, t, pv, cb, 3, n, 0) == C.JET_errInvalidGrbit
    nr = ffi.new("uint32_t *")
    assert lib.JetPrereadIndexRanges(env.ses, t, ffi.NULL, 0, nr, ffi.NULL, 0, C.JET_bitPrereadForward) == 0
    assert nr[0] == 0


def test_get_record_size_counts_columns_and_values(env):
    lib, C, ffi = env.lib, env.C, env.ffi
    dbid, t, ck, cv = filled(env, [5])
    err, ct = env.add_column(t, "tags", C.JET_coltypBinary, C.JET_bitColumnTagged | C.JET_bitColumnMultiValued)
    assert err == 0
    assert lib.JetMove(env.ses, t, C.JET_MoveFirst, 0) == 0
    assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepReplace) == 0
    si = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 0})
    for val in (b"abc", b"de"):
        assert lib.JetSetColumn(env.ses, t, ct, val, len(val), 0, si) == 0
    assert lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL) == 0
    rs = ffi.new("JET_RECSIZE2 *")
    assert lib.JetGetRecordSize2(env.ses, t, rs, 0) == 0
    assert rs.cNonTaggedColumns == 2 and rs.cTaggedColumns == 1 and rs.cMultiValues == 1
    assert rs.cbData == 4 + 2 + 3 + 2
    assert rs.cbOverhead > 0
    r1 = ffi.new("JET_RECSIZE *")
    assert lib.JetGetRecordSize(env.ses, t, r1, 0) == 0
    assert r1.cbData == rs.cbData
    assert lib.JetGetRecordSize(env.ses, t, r1, C.JET_bitRecordSizeRunningTotal) == 0
    assert r1.cbData == 2 * rs.cbData
    assert lib.JetGetRecordSize(env.ses, t, r1, 0x4000) == C.JET_errInvalidGrbit


def test_create_table_column_index4(env):
    lib, C, ffi = env.lib, env.C, env.ffi
    err, dbid = env.create_db()
    assert err == 0
    name = ffi.new("char[]", b"k")
    cols = ffi.new("JET_COLUMNCREATE_A[1]")
    cols[0].cbStruct = ffi.sizeof("JET_COLUMNCREATE_A")
    cols[0].szColumnName = name
    cols[0].coltyp = C.JET_coltypLong
    idxname, key = ffi.new("char[]", b"pk"), ffi.new("char[]", b"+k\0")
    idx = ffi.new("JET_INDEXCREATE3_A[1]")
    idx[0].cbStruct = ffi.sizeof("JET_INDEXCREATE3_A")
    idx[0].szIndexName = idxname
    idx[0].szKey = key
    idx[0].cbKey = 4
    idx[0].grbit = C.JET_bitIndexPrimary
    tname = ffi.new("char[]", b"t4")
    tc = ffi.new("JET_TABLECREATE4_A *", {"cbStruct": ffi.sizeof("JET_TABLECREATE4_A"), "szTableName": tname,
                                          "rgcolumncreate": cols, "cColumns": 1, "rgindexcreate": idx,
                                          "cIndexes": 1})
    assert lib.JetCreateTableColumnIndex4(env.ses, dbid, tc) == 0
    assert tc.cCreated == 3 and tc.tableid != C.JET_tableidNil
    assert env.insert(tc.tableid, [(cols[0].columnid, I(7))]) == 0
    assert lib.JetCloseTable(env.ses, tc.tableid) == 0


# --- JetSetCursorFilter ------------------------------------------------------------

def flt(ffi, entries):
    """JET_INDEX_COLUMN[] from (columnid, relop, bytes or None, grbit)."""
    arr = ffi.new("JET_INDEX_COLUMN[]", len(entries))
    keep = []
    for i, (col, relop, val, grbit) in enumerate(entries):
        arr[i].columnid, arr[i].relop, arr[i].grbit = col, relop, grbit
        if val:
            b = ffi.new("char[]", val)
            keep.append(b)
            arr[i].pv, arr[i].cb = b, len(val)
    return arr, keep


def walk(env, t, ck, start, step):
    keys = []
    err = env.lib.JetMove(env.ses, t, start, 0)
    while err == 0:
        keys.append(struct.unpack("<i", env.retrieve(t, ck)[1])[0])
        err = env.lib.JetMove(env.ses, t, step, 0)
    assert err == env.C.JET_errNoCurrentRecord
    return keys


def test_cursor_filter_skips_records_in_moves(env):
    # ESENT: moves on a filtered table cursor only land on records that meet
    # every condition; signed columns compare by value; NULL sorts first.
    lib, C, ffi = env.lib, env.C, env.ffi
    dbid, t, ck, cv = filled(env, [-3, -1, 0, 2, 5, 8])
    err, cn = env.add_column(t, "n", C.JET_coltypLong)
    assert err == 0
    assert lib.JetMove(env.ses, t, C.JET_MoveFirst, 0) == 0
    for i in range(6):      # n = key * 10 except for key 2 (NULL)
        k = struct.unpack("<i", env.retrieve(t, ck)[1])[0]
        if k != 2:
            assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepReplace) == 0
            assert lib.JetSetColumn(env.ses, t, cn, I(k * 10), 4, 0, ffi.NULL) == 0
            assert lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL) == 0
        lib.JetMove(env.ses, t, C.JET_MoveNext, 0)
    arr, keep = flt(ffi, [(ck, lib.JET_relopGreaterThanOrEqual, I(-1), 0), (cn, lib.JET_relopLessThan, I(60), 0)])
    assert lib.JetSetCursorFilter(env.ses, t, arr, 2, 0) == 0
    # -1 (n -10), 0 (n 0), 2 (n NULL < 60), 5 (n 50); 8 has n 80
    assert walk(env, t, ck, C.JET_MoveFirst, C.JET_MoveNext) == [-1, 0, 2, 5]
    assert walk(env, t, ck, C.JET_MoveLast, C.JET_MovePrevious) == [5, 2, 0, -1]
    assert lib.JetMove(env.ses, t, C.JET_MoveFirst, 0) == 0
    assert lib.JetMove(env.ses, t, 2, 0) == 0            # counts matching records only
    assert struct.unpack("<i", env.retrieve(t, ck)[1])[0] == 2
    # NULL filter value: Equals matches only NULL columns
    arr, keep = flt(ffi, [(cn, lib.JET_relopEquals, None, 0)])
    assert lib.JetSetCursorFilter(env.ses, t, arr, 1, 0) == 0
    assert walk(env, t, ck, C.JET_MoveFirst, C.JET_MoveNext) == [2]
    arr, keep = flt(ffi, [(cn, lib.JET_relopBitmaskNotEqualsZero, I(16), 0)])
    assert lib.JetSetCursorFilter(env.ses, t, arr, 1, 0) == 0
    assert walk(env, t, ck, C.JET_MoveFirst, C.JET_MoveNext) == [-1, 5, 8]   # -10, 50, 80 have bit 4
    # zero filters remove it
    assert lib.JetSetCursorFilter(env.ses, t, ffi.NULL, 0, 0) == 0
    assert walk(env, t, ck, C.JET_MoveFirst, C.JET_MoveNext) == [-3, -1, 0, 2, 5, 8]


def test_cursor_filter_refusals(env):
    lib, C, ffi = env.lib, env.C, env.ffi
    dbid, t, ck, cv = filled(env, [1, 2])
    arr, keep = flt(ffi, [(ck, lib.JET_relopEquals, I(1), 0)])
    assert lib.JetSetCursorFilter(env.ses, t, arr, 1, 1) == C.JET_errInvalidGrbit
    bad, keep2 = flt(ffi, [(ck, lib.JET_relopEquals, b"\x01\x00", 0)])      # wrong size for a Long
    assert lib.JetSetCursorFilter(env.ses, t, bad, 1, 0) == C.JET_errInvalidParameter
    txt, keep3 = flt(ffi, [(cv, lib.JET_relopEquals, b"v1", 0)])
    assert lib.JetSetCursorFilter(env.ses, t, txt, 1, 0) == C.JET_errFilteredMoveNotSupported
    pre, keep4 = flt(ffi, [(ck, lib.JET_relopPrefixEquals, I(1), 0)])       # prefix: binary only
    assert lib.JetSetCursorFilter(env.ses, t, pre, 1, 0) == C.JET_errInvalidParameter
    nocol, keep5 = flt(ffi, [(999, lib.JET_relopEquals, I(1), 0)])
    assert lib.JetSetCursorFilter(env.ses, t, nocol, 1, 0) == C.JET_errColumnNotFound
    assert lib.JetCreateIndex(env.ses, t, b"byv", 0, b"+v\0\0", 4, 100) == 0
    assert lib.JetSetCurrentIndex(env.ses, t, b"byv") == 0
    assert lib.JetSetCursorFilter(env.ses, t, arr, 1, 0) == C.JET_errFilteredMoveNotSupported
    # a filter set on the primary index does not apply on a secondary one
    assert lib.JetSetCurrentIndex(env.ses, t, ffi.NULL) == 0
    assert lib.JetSetCursorFilter(env.ses, t, arr, 1, 0) == 0
    assert walk(env, t, ck, C.JET_MoveFirst, C.JET_MoveNext) == [1]
    assert lib.JetSetCurrentIndex(env.ses, t, b"byv") == 0
    assert len(walk(env, t, ck, C.JET_MoveFirst, C.JET_MoveNext)) == 2


# --- JetIntersectIndexes ---------------------------------------------------------

def test_intersect_indexes_returns_the_records_in_every_range(env):
    # ESENT: each cursor (secondary index, index range set) is walked to the
    # end of its range; the primary bookmarks found by all of them are put in
    # a temporary table (JET_RECORDLIST).
    lib, C, ffi, ses = env.lib, env.C, env.ffi, env.ses
    err, dbid = env.create_db()
    err, t = env.create_table(dbid, "t")
    cols = {}
    for name in ("k", "a", "b"):
        err, cols[name] = env.add_column(t, name, C.JET_coltypLong)
        assert err == 0
    assert lib.JetCreateIndex(ses, t, b"pk", C.JET_bitIndexPrimary, b"+k\0\0", 4, 100) == 0
    assert lib.JetCreateIndex(ses, t, b"ia", 0, b"+a\0\0", 4, 100) == 0
    assert lib.JetCreateIndex(ses, t, b"ib", 0, b"+b\0\0", 4, 100) == 0
    for k in range(20):
        assert env.insert(t, [(cols["k"], I(k)), (cols["a"], I(k % 5)), (cols["b"], I(k // 5))]) == 0

    def ranged(index, lo, hi):
        p = ffi.new("JET_TABLEID *")
        assert lib.JetDupCursor(ses, t, p, 0) == 0
        c = p[0]
        assert lib.JetSetCurrentIndex(ses, c, index) == 0
        assert lib.JetMakeKey(ses, c, I(lo), 4, C.JET_bitNewKey) == 0
        assert lib.JetSeek(ses, c, C.JET_bitSeekGE) in (0, C.JET_wrnSeekNotEqual)
        assert lib.JetMakeKey(ses, c, I(hi), 4, C.JET_bitNewKey) == 0
        assert lib.JetSetIndexRange(ses, c, C.JET_bitRangeUpperLimit | C.JET_bitRangeInclusive) == 0
        return c

    ca, cb = ranged(b"ia", 1, 2), ranged(b"ib", 2, 3)     # a in {1,2}, b in {2,3}
    rg = ffi.new("JET_INDEXRANGE[2]")
    for i, c in enumerate((ca, cb)):
        rg[i].cbStruct, rg[i].tableid, rg[i].grbit = ffi.sizeof("JET_INDEXRANGE"), c, C.JET_bitRecordInIndex
    rl = ffi.new("JET_RECORDLIST *", {"cbStruct": ffi.sizeof("JET_RECORDLIST")})
    assert lib.JetIntersectIndexes(ses, rg, 2, rl, 0) == 0
    want = sorted(k for k in range(20) if k % 5 in (1, 2) and k // 5 in (2, 3))
    assert rl.cRecord == len(want) == 4
    got = []
    err = lib.JetMove(ses, rl.tableid, C.JET_MoveFirst, 0)
    while err == 0:
        buf, pcb = ffi.new("char[256]"), ffi.new("uint32_t *")
        assert lib.JetRetrieveColumn(ses, rl.tableid, rl.columnidBookmark, buf, 256, pcb, 0, ffi.NULL) == 0
        assert lib.JetGotoBookmark(ses, t, buf, pcb[0]) == 0
        got.append(struct.unpack("<i", env.retrieve(t, cols["k"])[1])[0])
        err = lib.JetMove(ses, rl.tableid, C.JET_MoveNext, 0)
    assert sorted(got) == want
    assert lib.JetCloseTable(ses, rl.tableid) == 0
    # refusals: primary index, the same index twice, a bad grbit or struct size
    rg[1].tableid = ca
    assert lib.JetIntersectIndexes(ses, rg, 2, rl, 0) == C.JET_errInvalidParameter
    rg[1].tableid = t
    assert lib.JetIntersectIndexes(ses, rg, 2, rl, 0) == C.JET_errInvalidParameter
    rg[1].tableid, rg[1].grbit = cb, C.JET_bitRecordNotInIndex
    assert lib.JetIntersectIndexes(ses, rg, 2, rl, 0) == C.JET_errInvalidGrbit
    rl.cbStruct = 4
    assert lib.JetIntersectIndexes(ses, rg, 1, rl, 0) == C.JET_errInvalidParameter
    assert lib.JetIntersectIndexes(ses, rg, 0, rl, 0) == C.JET_errInvalidParameter


def test_preread_keys_argument_rules(env):
    # ESENT: no keys, a NULL key: JET_errInvalidParameter; an empty key:
    # JET_errInvalidBufferSize; equal neighbours are in order.
    lib, C, ffi = env.lib, env.C, env.ffi
    dbid, t, ck, cv = filled(env, [1])
    b = ffi.new("char[]", b"\x05")
    pv = ffi.new("void *[]", [b, b])
    n = ffi.new("int32_t *", 7)
    assert lib.JetPrereadKeys(env.ses, t, pv, ffi.new("uint32_t[]", [1, 1]), 0, n, C.JET_bitPrereadForward) == \
        C.JET_errInvalidParameter
    assert n[0] == 0
    assert lib.JetPrereadKeys(env.ses, t, pv, ffi.new("uint32_t[]", [1, 1]), 2, n, C.JET_bitPrereadBackward) == 0
    assert n[0] == 2
    assert lib.JetPrereadKeys(env.ses, t, pv, ffi.new("uint32_t[]", [1, 0]), 2, n, C.JET_bitPrereadForward) == \
        C.JET_errInvalidBufferSize
    assert lib.JetPrereadKeys(env.ses, t, ffi.new("void *[]", [b, ffi.NULL]), ffi.new("uint32_t[]", [1, 1]), 2, n,
                              C.JET_bitPrereadForward) == C.JET_errInvalidParameter
