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
