"""Backup through the C API: JetBackupInstance (full, incremental, atomic),
the external backup API's state machine, log truncation and the database
header's backup information, and what restore makes of the sets."""
import glob
import os
import struct

import pytest

from test_database import Env, keys_of, make_kv, open_kv


def kv_env(jet, folder, name="db", rows=0, **params):
    folder.mkdir(parents=True, exist_ok=True)
    env = Env(jet, folder, name, **params)
    dbid, t, ck, cv = make_kv(env)
    env.t, env.ck, env.cv = t, ck, cv
    add_rows(env, range(rows))
    return env


def add_rows(env, keys, payload=b"x" * 60):
    for k in keys:
        assert env.insert(env.t, [(env.ck, struct.pack("<i", k)), (env.cv, payload)]) == 0


def backup(env, path, grbit=0, pfn=None):
    return env.lib.JetBackupInstance(env.inst, str(path).encode(), grbit, pfn if pfn is not None else env.ffi.NULL)


def restore(jet, folder, backup_dir, dest=None, name="rst", pfn=None, **params):
    params.setdefault("LogFileSize", 256)
    folder.mkdir(parents=True, exist_ok=True)
    inst = jet.instance_in(folder, name, **params)
    err = jet.lib.JetRestoreInstance(inst, str(backup_dir).encode(),
                                     str(dest).encode() if dest is not None else jet.ffi.NULL,
                                     pfn if pfn is not None else jet.ffi.NULL)
    return err, inst


def reopen_keys(jet, folder, dbpath, name="check"):
    env = Env(jet, folder, name)
    try:
        path = str(dbpath).encode()
        err = env.lib.JetAttachDatabase(env.ses, path, 0)
        assert err == 0, jet.err_name(err)
        t, ck = open_kv(env, path)
        return keys_of(env, t, ck)
    finally:
        assert env.term() == 0


def test_full_backup_contents(jet, tmp_path):
    env = kv_env(jet, tmp_path / "live", rows=300)
    try:
        bk = tmp_path / "bk"
        bk.mkdir()
        assert backup(env, bk) == 0
        names = sorted(os.listdir(bk))
        assert "a.edb" in names and "a.pat" in names
        assert os.path.getsize(bk / "a.pat") == 0
        logs = [n for n in names if n.startswith("edb") and n.endswith(".log")]
        assert logs and "edb.log" not in logs
        assert not any(n.endswith(".chk") or n.endswith(".tmp") or n.endswith(".jrs") for n in names)
        assert os.path.getsize(bk / "a.edb") % 4096 == 0
    finally:
        assert env.term() == 0


def test_full_backup_restore_with_roll_forward(jet, tmp_path):
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=200)
    bk = tmp_path / "bk"
    assert backup(env, bk, 0) == jet.C.JET_errInvalidPath  # folder must exist without CreatePathIfNotExist
    bk.mkdir()
    assert backup(env, bk) == 0
    add_rows(env, range(200, 500))
    assert env.term(jet.C.JET_bitTermDirty) == jet.C.JET_errDirtyShutdown
    os.unlink(live / "a.edb")  # the database is lost; the logs survive
    err, inst = restore(jet, live, bk)
    assert err == 0, jet.err_name(err)
    assert jet.lib.JetTerm(inst) == 0
    assert reopen_keys(jet, live, live / "a.edb") == list(range(500))


def test_restore_to_new_destination(jet, tmp_path):
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=100)
    bk = tmp_path / "bk"
    bk.mkdir()
    assert backup(env, bk) == 0
    add_rows(env, range(100, 150))
    assert env.term() == 0
    dest = tmp_path / "dest"
    other = tmp_path / "other"
    err, inst = restore(jet, other, bk, dest, CreatePathIfNotExist=1)
    assert err == 0, jet.err_name(err)
    jet.lib.JetTerm(inst)
    # No log folder continues the set there: the backup moment.
    assert reopen_keys(jet, other, dest / "a.edb") == list(range(100))
    # The live database is untouched.
    assert reopen_keys(jet, live, live / "a.edb", "live2") == list(range(150))


def gen_digits(folder):
    """How many hex digits the log generations in `folder` are named with (edbXXXXX.log)."""
    first = sorted(n for n in os.listdir(folder) if n.startswith("edb0"))[0]
    return len(first) - len("edb.log")


def db_misc(jet, path):
    misc = jet.ffi.new("JET_DBINFOMISC *")
    assert jet.lib.JetGetDatabaseFileInfo(str(path).encode(), misc, jet.ffi.sizeof(misc[0]),
                                          jet.C.JET_DbInfoMisc) == 0
    return misc


def archived_gens(folder):
    return sorted(int(os.path.basename(p)[3:-4], 16) for p in glob.glob(os.path.join(folder, "edb0*.log")))


def status_recorder(jet, fail_at=None, err=-1):
    """A JET_PFNSTATUS recording (snp, snt, done, total); returns `err` at call `fail_at`."""
    calls = []

    @jet.ffi.callback("JET_PFNSTATUS")
    def pfn(sesid, snp, snt, pv):
        prog = jet.ffi.cast("JET_SNPROG *", pv)
        calls.append((snp, snt, prog.cunitDone if pv else None, prog.cunitTotal if pv else None))
        if fail_at is not None and len(calls) == fail_at:
            return err
        return 0

    return pfn, calls


# ---- JetBackupInstance rules --------------------------------------------------------------


def test_backup_errors(jet, tmp_path):
    C, lib = jet.C, jet.lib
    env = kv_env(jet, tmp_path / "live", rows=10)
    try:
        full = tmp_path / "full"
        full.mkdir()
        (full / "junk").write_bytes(b"x")
        assert backup(env, full) == C.JET_errBackupDirectoryNotEmpty
        assert (full / "junk").read_bytes() == b"x"  # nothing touched
        (tmp_path / "inc").mkdir()
        assert backup(env, tmp_path / "inc", C.JET_bitBackupIncremental) == C.JET_errMissingFullBackup
        # A second backup while one runs.
        assert lib.JetBeginExternalBackupInstance(env.inst, 0) == 0
        (tmp_path / "b2").mkdir()
        assert backup(env, tmp_path / "b2") == C.JET_errBackupInProgress
        assert lib.JetBeginExternalBackupInstance(env.inst, 0) == C.JET_errBackupInProgress
        assert lib.JetEndExternalBackupInstance2(env.inst, C.JET_bitBackupEndAbort) == 0
        assert backup(env, tmp_path / "b2") == 0
        # Legacy JetBackup is for one-instance mode.
        assert lib.JetBackup(str(tmp_path / "b3").encode(), 0, jet.ffi.NULL) == C.JET_errRunningInMultiInstanceMode
    finally:
        assert env.term() == 0
    inst = jet.instance_in(tmp_path / "live", "notinit")
    assert lib.JetBackupInstance(inst, str(tmp_path / "b2").encode(), 0, jet.ffi.NULL) == C.JET_errNotInitialized
    assert lib.JetBeginExternalBackupInstance(inst, 0) == C.JET_errNotInitialized
    assert lib.JetTerm(inst) == 0


def test_backup_needs_logging_and_no_circular_incremental(jet, tmp_path):
    C = jet.C
    off = tmp_path / "off"
    off.mkdir()
    env = Env(jet, off, "off", Recovery="off")
    try:
        (tmp_path / "b").mkdir()
        assert backup(env, tmp_path / "b") == C.JET_errLoggingDisabled
    finally:
        assert env.term() == 0
    env = kv_env(jet, tmp_path / "circ", "circ", rows=10, CircularLog=1)
    try:
        bk = tmp_path / "cb"
        bk.mkdir()
        assert backup(env, bk) == 0  # a full backup is fine
        assert backup(env, bk, C.JET_bitBackupIncremental) == C.JET_errInvalidBackup
        assert env.lib.JetBeginExternalBackupInstance(env.inst, C.JET_bitBackupIncremental) == C.JET_errInvalidBackup
    finally:
        assert env.term() == 0


def test_header_records_backups_and_logs_are_truncated(jet, tmp_path):
    C = jet.C
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=0, LogFileSize=64, CheckpointDepthMax=64 * 1024)
    try:
        add_rows(env, range(1500))  # several generations; the checkpoint follows
        before = archived_gens(live)
        assert len(before) >= 4
        bk = tmp_path / "bk"
        bk.mkdir()
        assert backup(env, bk) == 0
        misc = db_misc(jet, live / "a.edb")
        full = misc.bkinfoFullPrev
        assert full.genLow > 0 and full.genHigh >= full.genLow and full.lgposMark.lGeneration > 0
        assert misc.bkinfoIncPrev.genLow == 0
        after = archived_gens(live)
        # B1: what is left starts at or below the checkpoint and the backup's end.
        assert after and after[0] <= full.genHigh + 1
        assert after[0] > before[0]  # something was truncated
        chk = live / "edb.chk"
        assert chk.exists()
        # What the backup holds: genLow..genHigh.
        assert archived_gens(bk) == list(range(full.genLow, full.genHigh + 1))
        add_rows(env, range(1500, 2500))
        assert backup(env, bk, C.JET_bitBackupIncremental) == 0
        misc = db_misc(jet, live / "a.edb")
        assert misc.bkinfoIncPrev.genHigh > full.genHigh
        assert misc.bkinfoFullPrev.genLow == full.genLow
        gens = archived_gens(bk)
        assert gens == list(range(gens[0], misc.bkinfoIncPrev.genHigh + 1))  # no hole
        add_rows(env, range(2500, 2600))
    finally:
        assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    os.unlink(live / "a.edb")
    err, inst = restore(jet, live, bk, LogFileSize=64)
    assert err == 0, jet.err_name(err)
    jet.lib.JetTerm(inst)
    assert reopen_keys(jet, live, live / "a.edb") == list(range(2600))


def test_null_path_truncates_logs(jet, tmp_path):
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=0, LogFileSize=64, CheckpointDepthMax=64 * 1024)
    try:
        add_rows(env, range(1500))
        before = archived_gens(live)
        assert env.lib.JetBackupInstance(env.inst, jet.ffi.NULL, 0, jet.ffi.NULL) == 0
        after = archived_gens(live)
        assert len(after) < len(before)
        add_rows(env, range(1500, 1600))
    finally:
        assert env.term(jet.C.JET_bitTermDirty) == jet.C.JET_errDirtyShutdown
    # Crash recovery still has everything it needs.
    assert reopen_keys(jet, live, live / "a.edb", "after") == list(range(1600))


def test_atomic_backup_promotes(jet, tmp_path):
    C = jet.C
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=50)
    bk = tmp_path / "bk"
    bk.mkdir()
    try:
        assert backup(env, bk, C.JET_bitBackupAtomic) == 0
        assert sorted(os.listdir(bk)) == ["new"]
        first = sorted(os.listdir(bk / "new"))
        assert "a.edb" in first and "a.pat" in first
        add_rows(env, range(50, 80))
        assert backup(env, bk, C.JET_bitBackupAtomic) == 0
        assert sorted(os.listdir(bk)) == ["new"]  # old removed once new is complete
        # A leftover temp folder (an interrupted backup) is cleaned up.
        (bk / "temp").mkdir()
        (bk / "temp" / "partial").write_bytes(b"junk")
        add_rows(env, range(80, 90))
        assert backup(env, bk, C.JET_bitBackupAtomic) == 0
        assert sorted(os.listdir(bk)) == ["new"]
        add_rows(env, range(90, 95))
        assert backup(env, bk, C.JET_bitBackupAtomic | C.JET_bitBackupIncremental) == 0
    finally:
        assert env.term() == 0
    other = tmp_path / "other"
    err, inst = restore(jet, other, bk, tmp_path / "dest", CreatePathIfNotExist=1)
    assert err == 0, jet.err_name(err)
    jet.lib.JetTerm(inst)
    assert reopen_keys(jet, other, tmp_path / "dest" / "a.edb") == list(range(95))


def test_backup_progress_and_cancel(jet, tmp_path):
    C = jet.C
    env = kv_env(jet, tmp_path / "live", rows=2000)
    try:
        pfn, calls = status_recorder(jet)
        bk = tmp_path / "bk"
        bk.mkdir()
        assert backup(env, bk, 0, pfn) == 0
        assert calls[0][:2] == (C.JET_snpBackup, C.JET_sntBegin)
        assert calls[-1][:2] == (C.JET_snpBackup, C.JET_sntComplete)
        assert calls[-1][2] == calls[-1][3] > 0
        done = [c[2] for c in calls]
        assert done == sorted(done) and all(c[2] <= c[3] for c in calls)
        assert any(c[1] == C.JET_sntProgress for c in calls)
        # A callback error cancels: its code comes back, nothing is left behind.
        pfn2, calls2 = status_recorder(jet, fail_at=2, err=C.JET_errCallbackFailed)
        bk2 = tmp_path / "bk2"
        bk2.mkdir()
        assert backup(env, bk2, 0, pfn2) == C.JET_errCallbackFailed
        assert calls2[-1][1] == C.JET_sntFail
        assert os.listdir(bk2) == []
        # The instance works on, and the next backup succeeds.
        add_rows(env, range(2000, 2010))
        assert backup(env, bk2) == 0
    finally:
        assert env.term() == 0


def test_backup_of_a_damaged_page_fails(jet, tmp_path):
    C = jet.C
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=3000)
    assert env.term() == 0
    path = live / "a.edb"
    data = bytearray(path.read_bytes())
    data[5 * 4096 + 100] ^= 0xFF  # page 4 (offsets: 2 header pages, then pgno 1..)
    path.write_bytes(bytes(data))
    env = Env(jet, live, "again")
    try:
        assert env.lib.JetAttachDatabase(env.ses, str(path).encode(), 0) == 0
        bk = tmp_path / "bk"
        bk.mkdir()
        assert backup(env, bk) == C.JET_errReadVerifyFailure
        assert os.listdir(bk) == []
    finally:
        assert env.term() == 0


# ---- the external backup API ---------------------------------------------------------------


def szz(jet, fn, *args):
    pcb = jet.ffi.new("uint32_t *")
    assert fn(*args, jet.ffi.NULL, 0, pcb) == 0
    buf = jet.ffi.new("char[]", pcb[0])
    assert fn(*args, buf, pcb[0], pcb) == 0
    raw = bytes(jet.ffi.buffer(buf, pcb[0]))
    assert raw.endswith(b"\0")
    return [s.decode() for s in raw[:-1].split(b"\0") if s]


def read_all(jet, inst, path, chunk=65536):
    ffi, lib = jet.ffi, jet.lib
    ph = ffi.new("JET_HANDLE *")
    lo, hi = ffi.new("uint32_t *"), ffi.new("uint32_t *")
    assert lib.JetOpenFileInstance(inst, path.encode(), ph, lo, hi) == 0
    size = lo[0] | (hi[0] << 32)
    buf = ffi.new("char[]", chunk)
    got = ffi.new("uint32_t *")
    out = bytearray()
    while True:
        assert lib.JetReadFileInstance(inst, ph[0], buf, chunk, got) == 0
        if got[0] == 0:
            break
        out += ffi.buffer(buf, got[0])
    assert lib.JetCloseFileInstance(inst, ph[0]) == 0
    assert len(out) == size
    return bytes(out)


def test_external_backup_state_machine(jet, tmp_path):
    C, lib, ffi = jet.C, jet.lib, jet.ffi
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=500)
    inst = env.inst
    try:
        ph = ffi.new("JET_HANDLE *")
        got = ffi.new("uint32_t *")
        assert lib.JetGetAttachInfoInstance(inst, ffi.NULL, 0, got) == C.JET_errNoBackup
        assert lib.JetTruncateLogInstance(inst) == C.JET_errNoBackup
        assert lib.JetEndExternalBackupInstance(inst) == C.JET_errNoBackup
        assert lib.JetBeginExternalBackupInstance(inst, C.JET_bitBackupAtomic) == C.JET_errInvalidGrbit
        assert lib.JetBeginExternalBackupInstance(inst, 0) == 0
        dbs = szz(jet, lib.JetGetAttachInfoInstance, inst)
        assert dbs == [str(live / "a.edb")]
        # A short buffer: the size comes back, nothing is copied.
        small = ffi.new("char[]", 4)
        assert lib.JetGetAttachInfoInstance(inst, small, 4, got) == C.JET_errBufferTooSmall
        assert got[0] == len(dbs[0]) + 2
        assert lib.JetTruncateLogInstance(inst) == C.JET_errInvalidBackupSequence  # no log info yet
        assert lib.JetOpenFileInstance(inst, ffi.NULL, ph, got, got) == C.JET_errInvalidParameter
        assert lib.JetOpenFileInstance(inst, str(live / "edb.chk").encode(), ph, got, got) == C.JET_errDatabaseNotFound
        lo, hi = ffi.new("uint32_t *"), ffi.new("uint32_t *")
        assert lib.JetOpenFileInstance(inst, dbs[0].encode(), ph, lo, hi) == 0
        h = ph[0]
        assert (lo[0] | hi[0] << 32) % 4096 == 0
        ph2 = ffi.new("JET_HANDLE *")
        assert lib.JetOpenFileInstance(inst, dbs[0].encode(), ph2, lo, hi) == C.JET_errOutOfMemory  # one handle
        buf = ffi.new("char[]", 3 * 4096)
        assert lib.JetReadFileInstance(inst, h, buf, 1000, got) == C.JET_errInvalidParameter  # not whole pages
        assert lib.JetReadFileInstance(inst, h + 99, buf, 4096, got) == C.JET_errInvalidParameter
        pcb = ffi.new("uint32_t *")
        assert lib.JetGetLogInfoInstance(inst, ffi.NULL, 0, pcb) == C.JET_errInvalidBackupSequence  # a file is open
        assert lib.JetCloseFileInstance(inst, h) == 0
        assert lib.JetCloseFileInstance(inst, h) == C.JET_errInvalidParameter
        db = read_all(jet, inst, dbs[0])
        li = ffi.new("JET_LOGINFO *", {"cbSize": ffi.sizeof("JET_LOGINFO")})
        pcb = ffi.new("uint32_t *")
        assert lib.JetGetLogInfoInstance2(inst, ffi.NULL, 0, pcb, li) == 0
        assert li.ulGenLow >= 1 and li.ulGenHigh >= li.ulGenLow and ffi.string(li.szBaseName) == b"edb"
        logs = szz(jet, lib.JetGetLogInfoInstance, inst)
        gens = [p for p in logs if p.endswith(".log")]
        assert len(gens) == li.ulGenHigh - li.ulGenLow + 1
        assert [p for p in logs if p.endswith(".pat")] == [str(live / "a.pat")]
        # Databases cannot be opened any more.
        assert lib.JetOpenFileInstance(inst, dbs[0].encode(), ph, lo, hi) == C.JET_errInvalidBackupSequence
        assert lib.JetTruncateLogInstance(inst) == C.JET_errLogFileNotCopied
        szz(jet, lib.JetGetTruncateLogInfoInstance, inst)
        files = {os.path.basename(dbs[0]): db}
        for p in logs:
            files[os.path.basename(p)] = read_all(jet, inst, p)
        assert lib.JetTruncateLogInstance(inst) == 0
        assert lib.JetEndExternalBackupInstance2(inst, 0) == C.JET_errInvalidParameter
        assert lib.JetEndExternalBackupInstance2(inst, 3) == C.JET_errInvalidParameter
        assert lib.JetEndExternalBackupInstance(inst) == 0
        assert db_misc(jet, live / "a.edb").bkinfoFullPrev.genHigh == li.ulGenHigh
        add_rows(env, range(500, 600))
    finally:
        assert env.term() == 0
    # The streamed files form a backup set.
    bk = tmp_path / "streamed"
    bk.mkdir()
    for name, data in files.items():
        (bk / name).write_bytes(data)
    err, inst2 = restore(jet, tmp_path / "other", bk, tmp_path / "dest", CreatePathIfNotExist=1)
    assert err == 0, jet.err_name(err)
    lib.JetTerm(inst2)
    assert reopen_keys(jet, tmp_path / "other", tmp_path / "dest" / "a.edb") == list(range(500))


def test_stop_backup_and_term_abort(jet, tmp_path):
    C, lib, ffi = jet.C, jet.lib, jet.ffi
    env = kv_env(jet, tmp_path / "live", rows=10)
    inst = env.inst
    assert lib.JetBeginExternalBackupInstance(inst, 0) == 0
    assert lib.JetStopBackupInstance(inst) == 0
    got = ffi.new("uint32_t *")
    assert lib.JetGetAttachInfoInstance(inst, ffi.NULL, 0, got) == C.JET_errBackupAbortByServer
    assert lib.JetEndExternalBackupInstance(inst) == 0  # ends (as an abort)
    assert db_misc  # header untouched below
    assert lib.JetBeginExternalBackupInstance(inst, 0) == 0
    assert lib.JetTerm2(inst, C.JET_bitTermComplete) == C.JET_errBackupInProgress
    assert lib.JetTerm(inst) == 0  # aborts the backup
    assert db_misc(jet, tmp_path / "live" / "a.edb").bkinfoFullPrev.genLow == 0


# ---- planted symbolic links (B4: backup never writes through a link) ------------------------


VICTIM = b"precious data that a backup must never overwrite\n" * 100


def victim_dir(tmp_path):
    d = tmp_path / "victim"
    d.mkdir()
    for i in range(3):
        (d / f"keep{i}.txt").write_bytes(VICTIM)
    return d


def assert_victim_intact(d):
    assert sorted(os.listdir(d)) == ["keep0.txt", "keep1.txt", "keep2.txt"]
    assert all((d / n).read_bytes() == VICTIM for n in os.listdir(d))


@pytest.mark.parametrize("sub", ["new", "temp", "old"])
def test_atomic_backup_refuses_a_planted_folder_link(jet, tmp_path, sub):
    """A link at folder/new, temp or old would send the copies there or make the backup
    empty the folder it names (removing a leftover temp, or the previous set)."""
    C = jet.C
    env = kv_env(jet, tmp_path / "live", rows=50)
    try:
        bk = tmp_path / "bk"
        bk.mkdir()
        victim = victim_dir(tmp_path)
        os.symlink(victim, bk / sub)
        assert backup(env, bk, C.JET_bitBackupAtomic) == C.JET_errInvalidPath
        assert_victim_intact(victim)
        assert sorted(os.listdir(bk)) == [sub] and os.path.islink(bk / sub)
        os.unlink(bk / sub)  # once it is gone the backup goes through
        assert backup(env, bk, C.JET_bitBackupAtomic) == 0
        assert "a.pat" in os.listdir(bk / "new")
        assert_victim_intact(victim)
    finally:
        assert env.term() == 0


def test_incremental_backup_refuses_planted_tmp_links(jet, tmp_path):
    C = jet.C
    env = kv_env(jet, tmp_path / "live", rows=50)
    try:
        bk = tmp_path / "bk"
        bk.mkdir()
        assert backup(env, bk) == 0
        add_rows(env, range(50, 100))
        width = gen_digits(bk)
        gens = archived_gens(bk)
        targets = []
        for g in range(1, gens[-1] + 20):
            t = tmp_path / f"victim{g}"
            t.write_bytes(VICTIM)
            os.symlink(t, bk / f"edb{g:0{width}X}.log.tmp")
            targets.append(t)
        before = sorted(os.listdir(bk))
        assert backup(env, bk, C.JET_bitBackupIncremental) == C.JET_errInvalidPath
        assert all(t.read_bytes() == VICTIM for t in targets)
        assert sorted(os.listdir(bk)) == before
        for n in os.listdir(bk):
            if n.endswith(".tmp"):
                os.unlink(bk / n)
        assert backup(env, bk, C.JET_bitBackupIncremental) == 0
        assert not any(os.path.islink(bk / n) for n in os.listdir(bk))
    finally:
        assert env.term() == 0


def test_incremental_backup_refuses_a_planted_log_link(jet, tmp_path):
    """The rename that completes a copy would replace a link at the final name; refused."""
    C = jet.C
    env = kv_env(jet, tmp_path / "live", rows=50)
    try:
        bk = tmp_path / "bk"
        bk.mkdir()
        assert backup(env, bk) == 0
        add_rows(env, range(50, 100))
        width = gen_digits(bk)
        # The first generation the incremental copies, as a link to a good copy of it (so
        # that the set itself still reads as continued by the logs).
        g = archived_gens(live := tmp_path / "live")[0]
        name = f"edb{g:0{width}X}.log"
        t = tmp_path / "victim"
        t.write_bytes((bk / name if (bk / name).exists() else live / name).read_bytes())
        victim = t.read_bytes()
        if (bk / name).exists():
            os.unlink(bk / name)
        os.symlink(t, bk / name)
        assert backup(env, bk, C.JET_bitBackupIncremental) == C.JET_errInvalidPath
        assert t.read_bytes() == victim and os.path.islink(bk / name)
    finally:
        assert env.term() == 0


def test_stale_tmp_of_an_interrupted_incremental_is_replaced(jet, tmp_path):
    C = jet.C
    env = kv_env(jet, tmp_path / "live", rows=50)
    try:
        bk = tmp_path / "bk"
        bk.mkdir()
        assert backup(env, bk) == 0
        add_rows(env, range(50, 100))
        width = gen_digits(bk)
        g = archived_gens(bk)[-1] + 1
        (bk / f"edb{g:0{width}X}.log.tmp").write_bytes(b"half a log")
        assert backup(env, bk, C.JET_bitBackupIncremental) == 0
        assert not any(n.endswith(".tmp") for n in os.listdir(bk))
        assert g in archived_gens(bk)
    finally:
        assert env.term() == 0


def folder_digest(folder):
    return {n: (folder / n).read_bytes() for n in sorted(os.listdir(folder))}


def test_incremental_into_a_set_the_logs_no_longer_continue(jet, tmp_path):
    """A full backup into B truncated the generations set A's next incremental needs: the
    incremental into A fails with InvalidLogSequence before writing anything (it used to
    succeed and leave a hole restore refuses); A stays restorable, B takes incrementals."""
    C = jet.C
    live = tmp_path / "live"
    env = kv_env(jet, live, rows=100, LogFileSize=64, CheckpointDepthMax=64 * 1024)
    try:
        a, b = tmp_path / "A", tmp_path / "B"
        a.mkdir()
        b.mkdir()
        assert backup(env, a) == 0
        add_rows(env, range(100, 1200))  # several generations; the checkpoint follows
        assert backup(env, b) == 0  # truncates the logs A would need
        add_rows(env, range(1200, 1300))
        assert archived_gens(live)[0] > archived_gens(a)[-1] + 1  # the hole
        before = folder_digest(a)
        assert backup(env, a, C.JET_bitBackupIncremental) == C.JET_errInvalidLogSequence
        assert folder_digest(a) == before
        # An atomic incremental checks the set in A2/new the same way.
        a2 = tmp_path / "A2"
        a2.mkdir()
        assert backup(env, a2, C.JET_bitBackupAtomic) == 0
        add_rows(env, range(1300, 2400))
        assert backup(env, b) == C.JET_errBackupDirectoryNotEmpty
        b3 = tmp_path / "B3"
        b3.mkdir()
        assert backup(env, b3) == 0
        add_rows(env, range(2400, 2500))
        assert archived_gens(live)[0] > archived_gens(a2 / "new")[-1] + 1
        before = folder_digest(a2 / "new")
        assert backup(env, a2, C.JET_bitBackupAtomic | C.JET_bitBackupIncremental) == C.JET_errInvalidLogSequence
        assert folder_digest(a2 / "new") == before
        # The set that is continued takes the incremental.
        assert backup(env, b3, C.JET_bitBackupIncremental) == 0
        # A folder holding no set: nothing to add to.
        (tmp_path / "empty").mkdir()
        assert backup(env, tmp_path / "empty", C.JET_bitBackupIncremental) == C.JET_errMissingFullBackup
        assert os.listdir(tmp_path / "empty") == []
    finally:
        assert env.term() == 0
    restore_ok = []
    for name, keys in (("A", 100), ("B3", 2500)):
        err, inst = restore(jet, tmp_path / ("o" + name), tmp_path / name, tmp_path / ("d" + name),
                            CreatePathIfNotExist=1, LogFileSize=64)
        assert jet.lib.JetTerm(inst) == 0
        assert err == 0, (name, jet.err_name(err))
        restore_ok.append(reopen_keys(jet, tmp_path / ("o" + name), tmp_path / ("d" + name) / "a.edb",
                                      "c" + name) == list(range(keys)))
    assert restore_ok == [True, True]
