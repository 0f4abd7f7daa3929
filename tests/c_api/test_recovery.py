"""Crash recovery through the C API: the errors JetInit reports for damaged or
mismatched log streams, JET_RSTINFO options, circular logging, recovery off,
and page checksums."""
import glob
import os
import struct

import pytest

from test_database import Env, keys_of, make_kv, open_kv


def crashed_stream(jet, folder, rows=200, log_kb=64, **params):
    """A log stream whose instance stopped dirty after committing `rows` rows."""
    params.setdefault("LogFileSize", log_kb)
    env = Env(jet, folder, **params)
    C = env.C
    dbid, t, ck, cv = make_kv(env)
    for k in range(rows):
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"x" * 60)]) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    return env


def init_new(jet, folder, name="rec", grbit=0, rst=None, **params):
    inst = jet.instance_in(folder, name, **params)
    p = jet.ffi.new("JET_INSTANCE *", inst)
    err = jet.lib.JetInit3(p, rst if rst is not None else jet.ffi.NULL, grbit | jet.C.JET_bitReplayMissingMapEntryDB)
    return err, inst


def archived(folder):
    return sorted(glob.glob(os.path.join(folder, "edb0*.log")))


def test_recovery_replays_many_generations(jet, tmp_path):
    env = crashed_stream(jet, tmp_path, rows=2000)
    assert len(archived(tmp_path)) >= 3
    err, inst = init_new(jet, tmp_path)
    try:
        assert err == 0
    finally:
        assert jet.lib.JetTerm(inst) == 0
    env2 = Env(jet, tmp_path, "check")
    try:
        path = str(tmp_path / "a.edb").encode()
        assert env2.lib.JetAttachDatabase(env2.ses, path, 0) == 0
        t, ck = open_kv(env2, path)
        assert keys_of(env2, t, ck) == list(range(2000))
    finally:
        assert env2.term() == 0


def test_missing_generation(jet, tmp_path):
    crashed_stream(jet, tmp_path, rows=2000)
    logs = archived(tmp_path)
    os.unlink(logs[len(logs) // 2])
    err, inst = init_new(jet, tmp_path)
    jet.lib.JetTerm(inst)
    assert err == jet.C.JET_errMissingLogFile


def test_corrupt_archived_generation(jet, tmp_path):
    crashed_stream(jet, tmp_path, rows=2000)
    logs = archived(tmp_path)
    victim = logs[len(logs) // 2]
    with open(victim, "r+b") as f:
        f.seek(4096 + 700)
        f.write(b"\xde\xad\xbe\xef" * 8)
    err, inst = init_new(jet, tmp_path)
    jet.lib.JetTerm(inst)
    assert err == jet.C.JET_errLogFileCorrupt


def test_generation_of_another_stream(jet, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    crashed_stream(jet, a, rows=2000)
    crashed_stream(jet, b, rows=2000)
    la, lb = archived(a), archived(b)
    os.replace(lb[1], la[1])  # same name, other log signature
    err, inst = init_new(jet, a)
    jet.lib.JetTerm(inst)
    assert err in (jet.C.JET_errBadLogSignature, jet.C.JET_errInvalidLogSequence)


def test_torn_tail_is_the_normal_crash_case(jet, tmp_path):
    crashed_stream(jet, tmp_path, rows=300)
    cur = tmp_path / "edb.log"
    size = cur.stat().st_size
    with open(cur, "r+b") as f:  # garbage after whatever was written last
        f.seek(size - 8192)
        f.write(os.urandom(8192))
    err, inst = init_new(jet, tmp_path)
    try:
        assert err == 0
    finally:
        jet.lib.JetTerm(inst)


def test_recovery_status_callback_and_stop(jet, tmp_path):
    crashed_stream(jet, tmp_path, rows=1500)
    ffi, C = jet.ffi, jet.C
    seen = []

    @ffi.callback("JET_ERR(JET_SESID, JET_SNP, JET_SNT, void *)")
    def status(sesid, snp, snt, pv):
        prog = ffi.cast("JET_SNPROG *", pv)
        seen.append((snp, snt, prog.cunitDone, prog.cunitTotal))
        return 0

    rst = ffi.new("JET_RSTINFO *", {"cbStruct": ffi.sizeof("JET_RSTINFO"), "pfnStatus": status})
    err, inst = init_new(jet, tmp_path, rst=rst)
    try:
        assert err == 0
    finally:
        jet.lib.JetTerm(inst)
    assert seen[0][:2] == (C.JET_snpRestore, C.JET_sntBegin)
    assert seen[-1][:2] == (C.JET_snpRestore, C.JET_sntComplete)
    done = [s[2] for s in seen]
    assert done == sorted(done)  # monotonic
    assert seen[-1][2] == seen[-1][3]


def test_status_callback_error_cancels(jet, tmp_path):
    crashed_stream(jet, tmp_path, rows=1500)
    ffi, C = jet.ffi, jet.C

    @ffi.callback("JET_ERR(JET_SESID, JET_SNP, JET_SNT, void *)")
    def status(sesid, snp, snt, pv):
        return -10042 if snt == C.JET_sntProgress else 0

    rst = ffi.new("JET_RSTINFO *", {"cbStruct": ffi.sizeof("JET_RSTINFO"), "pfnStatus": status})
    err, inst = init_new(jet, tmp_path, rst=rst)
    jet.lib.JetTerm(inst)
    assert err == -10042
    err, inst = init_new(jet, tmp_path, "again")  # a later recovery completes
    jet.lib.JetTerm(inst)
    assert err == 0


def test_recovery_without_undo(jet, tmp_path):
    crashed_stream(jet, tmp_path, rows=100)
    err, inst = init_new(jet, tmp_path, grbit=jet.C.JET_bitRecoveryWithoutUndo)
    jet.lib.JetTerm(inst)
    assert err == jet.C.JET_errRecoveredWithoutUndo
    err, inst = init_new(jet, tmp_path, "full")
    jet.lib.JetTerm(inst)
    assert err == 0


def test_log_stream_must_exist(jet, tmp_path):
    err, inst = init_new(jet, tmp_path, grbit=jet.C.JET_bitLogStreamMustExist)
    jet.lib.JetTerm(inst)
    assert err == jet.C.JET_errMissingLogFile


def test_circular_logging_keeps_few_generations(jet, tmp_path):
    env = Env(jet, tmp_path, LogFileSize=64, CircularLog=1, CheckpointDepthMax=128 * 1024)
    C = env.C
    dbid, t, ck, cv = make_kv(env)
    for k in range(4000):
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"x" * 60)]) == 0
    assert env.term() == 0
    assert len(archived(tmp_path)) <= 6


def test_recovery_off_writes_no_log(jet, tmp_path):
    env = Env(jet, tmp_path, Recovery="off")
    dbid, t, ck, cv = make_kv(env)
    assert env.insert(t, [(ck, struct.pack("<i", 1))]) == 0
    assert env.term() == 0
    assert not (tmp_path / "edb.log").exists() and not (tmp_path / "edb.chk").exists()


def test_corrupt_page_is_read_verify_failure(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib = env.C, env.lib
    dbid, t, ck, cv = make_kv(env)
    for k in range(3000):
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"y" * 80)]) == 0
    assert env.term() == 0
    db = tmp_path / "a.edb"
    data = bytearray(db.read_bytes())
    page = 4096
    for pgno in range(3, 12):  # pages of the table's tree (file offset = (pgno + 1) * page)
        data[(pgno + 1) * page + 200] ^= 0xFF
    db.write_bytes(bytes(data))
    env2 = Env(jet, tmp_path, "reader")
    ffi = env2.ffi
    try:
        path = str(db).encode()
        assert lib.JetAttachDatabase(env2.ses, path, 0) == 0
        pdbid = ffi.new("JET_DBID *")
        assert lib.JetOpenDatabase(env2.ses, path, ffi.NULL, pdbid, 0) == 0
        pt = ffi.new("JET_TABLEID *")
        err = lib.JetOpenTable(env2.ses, pdbid[0], b"kv", ffi.NULL, 0, 0, pt)
        if err == 0:  # the catalog survived: the scan meets the damage
            err = lib.JetMove(env2.ses, pt[0], C.JET_MoveFirst, 0)
            while err == 0:
                err = lib.JetMove(env2.ses, pt[0], C.JET_MoveNext, 0)
        assert err == C.JET_errReadVerifyFailure, jet.err_name(err)
    finally:
        env2.term()


def test_page_size_mismatch(jet, tmp_path):
    C = jet.C
    big = tmp_path / "big"
    big.mkdir()
    assert jet.set_param(None, C.JET_paramDatabasePageSize, 8192) == 0
    try:
        env = Env(jet, big, "eight")
        err, dbid = env.create_db()
        assert err == 0
        assert env.term() == 0
    finally:
        assert jet.set_param(None, C.JET_paramDatabasePageSize, 4096) == 0
    pg = jet.ffi.new("uint32_t *")
    path = str(big / "a.edb").encode()
    assert jet.lib.JetGetDatabaseFileInfo(path, pg, 4, C.JET_DbInfoPageSize) == 0 and pg[0] == 8192
    env = Env(jet, tmp_path, "four")
    try:
        assert jet.lib.JetAttachDatabase(env.ses, path, 0) == C.JET_errPageSizeMismatch
    finally:
        assert env.term() == 0


def test_stop_position(jet, tmp_path):
    """JET_RSTINFO.lgposStop: replay up to a log position, no undo."""
    crashed_stream(jet, tmp_path, rows=1500)
    ffi, C = jet.ffi, jet.C
    rst = ffi.new("JET_RSTINFO *", {"cbStruct": ffi.sizeof("JET_RSTINFO")})
    rst.lgposStop.lGeneration = 2
    rst.lgposStop.isec = 1
    err, inst = init_new(jet, tmp_path, rst=rst)
    jet.lib.JetTerm(inst)
    assert err == C.JET_errRecoveredWithoutUndo


def test_delete_table(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib, ffi = env.C, env.lib, env.ffi
    try:
        dbid, t, ck, cv = make_kv(env)
        assert lib.JetDeleteTable(env.ses, dbid, b"kv") == C.JET_errTableInUse
        assert lib.JetCloseTable(env.ses, t) == 0
        assert lib.JetCloseTable(env.ses, t) == C.JET_errInvalidTableId
        assert lib.JetDeleteTable(env.ses, dbid, b"KV") == 0
        pt = ffi.new("JET_TABLEID *")
        assert lib.JetOpenTable(env.ses, dbid, b"kv", ffi.NULL, 0, 0, pt) == C.JET_errObjectNotFound
        assert lib.JetDeleteTable(env.ses, dbid, b"kv") == C.JET_errObjectNotFound
        # a table deleted inside a rolled-back transaction comes back
        err, t2 = env.create_table(dbid, "keep")
        assert err == 0 and lib.JetCloseTable(env.ses, t2) == 0
        assert lib.JetBeginTransaction(env.ses) == 0
        assert lib.JetDeleteTable(env.ses, dbid, b"keep") == 0
        assert lib.JetRollback(env.ses, 0) == 0
        assert lib.JetOpenTable(env.ses, dbid, b"keep", ffi.NULL, 0, 0, pt) == 0
    finally:
        assert env.term() == 0


@pytest.fixture
def tiny_cache(jet):
    """A 16-page cache, so pages of late generations reach the file before the crash.
    JET_paramCacheSizeMax / Min are process-wide: put them back afterwards."""
    C = jet.C
    saved = {p: jet.get_param_int(None, p)[1] for p in (C.JET_paramCacheSizeMax, C.JET_paramCacheSizeMin)}
    yield dict(CacheSizeMax=16, CacheSizeMin=16)
    for p, v in saved.items():
        assert jet.set_param(None, p, v) == 0


def test_logs_that_end_too_early(jet, tmp_path, tiny_cache):
    """A database whose pages hold changes from generations the log folder no longer has:
    the header names the newest one (genMaxRequired, written before such a page), so
    recovery reports JET_errRequiredLogFilesMissing instead of a silently stale result."""
    from esepy.inspection import read_database_header
    crashed_stream(jet, tmp_path, rows=20000, **tiny_cache)
    logs = archived(tmp_path)
    hdr = read_database_header(str(tmp_path / "a.edb"))
    assert hdr.gen_min_required >= 1 and hdr.gen_max_required > hdr.gen_min_required + 3
    assert hdr.gen_max_required <= len(logs) + 1  # never beyond what was written
    # the last generations are lost: recovery must not pretend
    keep = [p for p in logs if int(os.path.basename(p)[3:8], 16) < hdr.gen_max_required - 1]
    for p in logs:
        if p not in keep:
            os.unlink(p)
    os.unlink(str(tmp_path / "edb.log"))
    err, inst = init_new(jet, tmp_path)
    jet.lib.JetTerm(inst)
    assert err == jet.C.JET_errRequiredLogFilesMissing
    assert read_database_header(str(tmp_path / "a.edb")).gen_max_required == hdr.gen_max_required


def test_required_generations_after_a_clean_recovery(jet, tmp_path, tiny_cache):
    """With every log there, the same database recovers, and a clean header needs none."""
    from esepy.inspection import read_database_header
    crashed_stream(jet, tmp_path, rows=20000, **tiny_cache)
    assert read_database_header(str(tmp_path / "a.edb")).gen_max_required > 1
    err, inst = init_new(jet, tmp_path)
    try:
        assert err == 0
    finally:
        assert jet.lib.JetTerm(inst) == 0
    hdr = read_database_header(str(tmp_path / "a.edb"))
    assert (hdr.gen_min_required, hdr.gen_max_required) == (0, 0)


def test_database_created_after_a_recovery_survives_the_next_crash(jet, tmp_path):
    """recovery.c R10: a recovery detaches the databases it replayed; the
    checkpoint it writes named them still, so a database created at the same
    dbid before the next checkpoint was ignored by the next recovery (it
    kept the first database at that dbid) and stayed DirtyShutdown with its
    commits unreplayed."""
    from test_database import Env, make_kv
    env = Env(jet, tmp_path, "first")
    make_kv(env)  # a.edb, dbid 1
    assert env.term(jet.C.JET_bitTermDirty) == jet.C.JET_errDirtyShutdown
    env = Env(jet, tmp_path, "second")  # recovers a.edb and detaches it
    C, lib, ffi = env.C, env.lib, env.ffi
    path = str(tmp_path / "y.edb").encode()
    p = ffi.new("JET_DBID *")
    assert lib.JetCreateDatabase(env.ses, path, ffi.NULL, p, 0) == 0
    assert p[0] == 1  # the dbid a.edb had
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetBeginTransaction(env.ses) == 0
    assert lib.JetCreateTable(env.ses, p[0], b"kv", 0, 0, pt) == 0
    assert lib.JetCommitTransaction(env.ses, 0) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    env = Env(jet, tmp_path, "third")
    try:
        misc = ffi.new("JET_DBINFOMISC *")
        assert lib.JetGetDatabaseFileInfo(path, misc, ffi.sizeof(misc[0]), C.JET_DbInfoMisc) == 0
        assert misc.dbstate == C.JET_dbstateCleanShutdown
        assert lib.JetAttachDatabase(env.ses, path, 0) == 0
        assert lib.JetOpenDatabase(env.ses, path, ffi.NULL, p, 0) == 0
        assert lib.JetOpenTable(env.ses, p[0], b"kv", ffi.NULL, 0, 0, pt) == 0
    finally:
        assert env.term() == 0
