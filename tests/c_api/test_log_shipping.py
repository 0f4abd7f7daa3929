"""Log shipping through the C API: EsepyGetLogPosition, the log roll of
JetCommitTransaction(JET_bitForceNewLog), and a warm standby made of
EsepyRestoreInstance2(JET_bitRecoveryWithoutUndo) + JetInit3 recovery without
undo over shipped generations, finished by a plain recovery."""
import glob
import os
import shutil
import struct

from test_backup import add_rows, backup, kv_env, reopen_keys
from test_database import Env


def position(jet, inst):
    p = jet.ffi.new("JET_LGPOS *")
    err = jet.lib.EsepyGetLogPosition(inst, p)
    return err, (p.lGeneration, p.isec, p.ib)


def force_roll(env):
    lib, C = env.lib, env.C
    assert lib.JetCommitTransaction(env.ses, C.JET_bitForceNewLog) == 0  # outside a transaction


def archived(folder):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(str(folder), "edb0*.log")))


def test_log_position_and_forced_roll(jet, tmp_path):
    C, ffi, lib = jet.C, jet.ffi, jet.lib
    env = kv_env(jet, tmp_path, rows=50)
    try:
        err, (gen, isec, ib) = position(jet, env.inst)
        assert err == 0 and gen >= 1 and (isec, ib) != (1, 0)  # records in the current generation
        before = archived(tmp_path)
        force_roll(env)  # an empty transaction: the roll alone
        err, pos = position(jet, env.inst)
        assert err == 0 and pos == (gen + 1, 1, 0)  # a new generation with no record yet
        assert archived(tmp_path) == sorted(before + [f"edb{gen:05X}.log"])
        add_rows(env, range(50, 60))
        err, (g2, isec2, ib2) = position(jet, env.inst)
        assert g2 == gen + 1 and (isec2, ib2) > (1, 0)
        assert lib.EsepyGetLogPosition(env.inst, ffi.NULL) == C.JET_errInvalidParameter
        assert position(jet, 0xE100BAD0000001)[0] == C.JET_errInvalidParameter
    finally:
        assert env.term() == 0
    err, inst = jet.create_instance("notyet")
    try:
        assert position(jet, inst)[0] == C.JET_errNotInitialized
    finally:
        assert lib.JetTerm(inst) == 0


def test_no_log_position_without_a_log(jet, tmp_path):
    env = Env(jet, tmp_path, Recovery="off")
    try:
        assert position(jet, env.inst)[0] == jet.C.JET_errFeatureNotAvailable
    finally:
        assert env.term() == 0


def standby_instance(jet, folder, name, dbdir):
    return jet.instance_in(folder, name, LogFileSize=256, CreatePathIfNotExist=1,
                           AlternateDatabaseRecoveryPath=str(dbdir) + "/")


def init3(jet, inst, grbit):
    p = jet.ffi.new("JET_INSTANCE *", inst)
    return jet.lib.JetInit3(p, jet.ffi.NULL, grbit)


def ship(live, logs):
    for name in archived(live):
        if not (logs / name).exists():
            shutil.copy(live / name, logs / name)


def test_restore_without_undo_then_recovery_goes_on(jet, tmp_path):
    C, lib, ffi = jet.C, jet.lib, jet.ffi
    live, logs, dbdir = tmp_path / "live", tmp_path / "standby", tmp_path / "standby-db"
    env = kv_env(jet, live, rows=100, LogFileSize=256)
    bk = tmp_path / "bk"
    bk.mkdir()
    assert backup(env, bk) == 0
    # a transaction open across the shipping of its generation
    p = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
    s2 = p[0]
    pd, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
    assert lib.JetOpenDatabase(s2, str(live / "a.edb").encode(), ffi.NULL, pd, 0) == 0
    assert lib.JetOpenTable(s2, pd[0], b"kv", ffi.NULL, 0, 0, pt) == 0
    assert lib.JetBeginTransaction(s2) == 0
    for k in range(1000, 1020):
        assert lib.JetPrepareUpdate(s2, pt[0], C.JET_prepInsert) == 0
        assert lib.JetSetColumn(s2, pt[0], env.ck, struct.pack("<i", k), 4, 0, ffi.NULL) == 0
        assert lib.JetUpdate(s2, pt[0], ffi.NULL, 0, ffi.NULL) == 0
    add_rows(env, range(100, 150))
    force_roll(env)
    logs.mkdir()
    set_gens = archived(bk)
    ship(live, logs)
    for name in set_gens:  # the seed replays the set's own generations from the set
        os.unlink(logs / name)
    # seed: the set restored and rolled forward, without undo
    inst = standby_instance(jet, logs, "seed", dbdir)
    assert lib.EsepyRestoreInstance2(inst, str(bk).encode(), str(dbdir).encode(), ffi.NULL, ffi.NULL, ffi.NULL,
                                     C.JET_bitReplayIgnoreLostLogs) == C.JET_errInvalidGrbit
    err = lib.EsepyRestoreInstance2(inst, str(bk).encode(), str(dbdir).encode(), ffi.NULL, ffi.NULL, ffi.NULL,
                                    C.JET_bitRecoveryWithoutUndo)
    assert err == C.JET_errRecoveredWithoutUndo, jet.err_name(err)
    assert lib.JetTerm(inst) == 0
    assert os.listdir(dbdir) == ["a.edb"]
    assert not (logs / "edb.log").exists()  # no generation written: the stream stays the primary's
    pg = ffi.new("JET_DBINFOMISC *")
    assert lib.JetGetDatabaseFileInfo(str(dbdir / "a.edb").encode(), pg, ffi.sizeof(pg[0]),
                                      C.JET_DbInfoMisc) == 0
    assert pg.dbstate == C.JET_dbstateDirtyShutdown and pg.bkinfoFullCur.genLow == 0  # no longer a backup copy
    for name in set_gens:
        shutil.copy(bk / name, logs / name)
    # the primary goes on: the open transaction commits, more rows, shipped
    assert lib.JetCommitTransaction(s2, 0) == 0
    add_rows(env, range(150, 200))
    force_roll(env)
    ship(live, logs)
    inst = standby_instance(jet, logs, "replay", dbdir)
    err = init3(jet, inst, C.JET_bitRecoveryWithoutUndo | C.JET_bitReplayIgnoreLostLogs)
    assert err == C.JET_errRecoveredWithoutUndo, jet.err_name(err)
    assert lib.JetTerm(inst) == C.JET_errInvalidParameter  # ESENT frees the instance after it
    assert not (logs / "edb.log").exists()
    assert env.term() == 0
    # promotion: recovery with undo opens the standby's databases for writes
    inst = standby_instance(jet, logs, "promote", dbdir)
    err = init3(jet, inst, C.JET_bitReplayIgnoreLostLogs)
    assert lib.JetTerm(inst) == 0
    assert err == 0, jet.err_name(err)
    assert reopen_keys(jet, logs, dbdir / "a.edb") == list(range(200)) + list(range(1000, 1020))
