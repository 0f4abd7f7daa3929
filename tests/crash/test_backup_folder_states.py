"""Power cuts during JetBackupInstance, seen from the backup folder (issue 20,
backup's syncs; backup.c B2).

The backup runs with the OS layer's journal recording (tests/crash/crashsim.py);
every crash state of the backup folder (unsynced writes dropped, torn or
reordered, names not yet made durable by a folder sync lost) is then
materialised and restored into a fresh folder:

a plain backup into an empty folder either is refused by the restore or
restores exactly the rows the backup saw -- never a set that restores to
something else -- and every state after the backup returned restores.
(Atomic backups rename folders, which the model does not follow:
test_backup_crash.py kills them instead.)

The log generations are copied by os_file_copy (copy_file_range); while the
journal records, that copy is buffered and journaled as writes, so the model
sees its bytes.  The database's .pat marker is empty and not synced on its
own: the folder sync that ends the backup makes its name durable, after the
copies' own syncs.
"""
import os
import shutil
import sys

import esepy

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import crashsim  # noqa: E402
import jetffi  # noqa: E402


def _params(root):
    return dict(system_path=root + "/", log_path=root + "/logs/", temp_path=root + "/tmp.edb",
                create_path_if_not_exist=True, log_file_size_kb=64)


def _add_rows(inst, path, start, n):
    with inst.begin_session() as s:
        t = s.open_database(path).open_table("t")
        with s.transaction():
            for k in range(start, start + n):
                t.insert({"k": k, "v": "x" * 100})
        t.close()


def _restored_rows(root, bk):
    """Rows of the set in bk restored into a fresh folder, or None if refused."""
    run, dest = os.path.join(root, "run"), os.path.join(root, "dest")
    for d in (run, dest):
        shutil.rmtree(d, ignore_errors=True)
    inst = esepy.Instance("bfs_restore", **_params(run))
    try:
        inst.restore_instance(bk, dest)
    except esepy.errors.JetError:
        return None
    finally:
        inst.term()
    with esepy.Instance("bfs_check", **_params(run)) as i2, i2.begin_session() as s:
        t = s.attach_database(os.path.join(dest, "a.edb")).open_table("t")
        rows = sorted(r["k"] for r in t)
        t.close()
    return rows


def _states_of_backup(jet, root):
    """(ops, baseline, rows): a live database, then its recorded backup."""
    live, bk = os.path.join(root, "live"), os.path.join(root, "bk")
    os.makedirs(live)
    os.makedirs(bk)
    path = os.path.join(live, "a.edb")
    inst = esepy.Instance("bfs_live", **_params(live))
    inst.init()
    try:
        with inst.begin_session() as s:
            s.create_database(path).create_table("t", {"k": "long", "v": "text"}, primary_key=["k"]).close()
        _add_rows(inst, path, 0, 300)
        baseline = crashsim.snapshot(bk)
        assert jet.lib.EsepyTestCrashJournal(1) == 0
        try:
            inst.backup(bk)
        finally:
            assert jet.lib.EsepyTestCrashJournal(0) == 0
        ops = crashsim.read_journal(jet)
        assert jet.lib.EsepyTestCrashJournal(-1) == 0
    finally:
        inst.term()
    return ops, baseline, list(range(300))


def test_plain_backup_folder_crash_states(crash_dir):
    jet = jetffi.load()
    root = str(crash_dir / "bfs_plain")
    ops, baseline, after = _states_of_backup(jet, root)
    bk = os.path.join(root, "bk")
    # the copies of the set went through the journal as writes (buffered os_file_copy)
    names = {op.path for op in ops if op.op == crashsim.OPEN and op.path.startswith(bk)}
    assert any(p.endswith(".log.tmp") for p in names) and any(p.endswith(".edb.tmp") for p in names)
    refused = restored = 0
    for k, variant, files, _marks in crashsim.crash_states(bk, ops, baseline=baseline):
        crashsim.Disk(bk, baseline).materialise(files)
        rows = _restored_rows(root, bk)
        where = f"crash after {k}/{len(ops)} ops, {variant}: {sorted(os.path.relpath(p, bk) for p in files)}"
        if rows is None:
            refused += 1
        else:
            assert rows == after, f"restored {len(rows)} rows: " + where
            restored += 1
    assert refused > 0 and restored > 0, (refused, restored)
    # Once the backup returned, every variant restores.  (crash_states yields a
    # state once: the final ones again here, on their own.)
    for k, variant, files, _marks in crashsim.crash_states(bk, ops, baseline=baseline, points=[len(ops)]):
        crashsim.Disk(bk, baseline).materialise(files)
        rows = _restored_rows(root, bk)
        assert rows == after, f"the backup returned, its set restores {rows and len(rows)} rows ({variant})"
