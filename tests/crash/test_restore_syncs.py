"""The syncs of a restore (issue 20, restore's fixed cost; restore.c S1).

The database copy a restore writes (DEST/<db>.restoring) is not synced on its
own: recovery's flush of the database syncs the whole file before anything
durable names the copy complete (recovery.c R5: the checkpoint file is written
only after every database is flushed, synced and marked clean).  The rename of
the copy into place is made durable (a folder sync) before recovery writes any
log or checkpoint that names the database.  The journal of the OS layer
(tests/crash/crashsim.py) records every call, so the order is checked here; the
crash states of the ``restore`` workload (test_crash_states.py) check that
every power cut during a restore still recovers.
"""
import os
import sys

import esepy

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import crashsim  # noqa: E402
import jetffi  # noqa: E402


def _params(root):
    return dict(system_path=root + "/", log_path=root + "/logs/", temp_path=root + "/tmp.edb",
                create_path_if_not_exist=True, log_file_size_kb=64)


def test_restore_syncs_the_copy_once_before_the_checkpoint(crash_dir):
    jet = jetffi.load()
    root = str(crash_dir / "restore_syncs")
    src, bk, dest, run = (os.path.join(root, n) for n in ("src", "bk", "dest", "run"))
    os.makedirs(src)
    with esepy.Instance("rsync_src", **_params(src)) as inst, inst.begin_session() as s:
        t = s.create_database(src + "/a.edb").create_table("t", {"k": "long", "v": "text"}, primary_key=["k"])
        with s.transaction():
            for k in range(300):
                t.insert({"k": k, "v": "x" * 100})
        t.close()
        inst.backup(bk)
    assert jet.lib.EsepyTestCrashJournal(1) == 0
    try:
        inst = esepy.Instance("rsync_run", **_params(run))
        try:
            inst.restore_instance(bk, dest)
        finally:
            inst.term()
    finally:
        assert jet.lib.EsepyTestCrashJournal(0) == 0
    ops = crashsim.read_journal(jet)
    assert jet.lib.EsepyTestCrashJournal(-1) == 0

    db = os.path.join(dest, "a.edb")
    copy = db + ".restoring"
    copy_fids = {op.fid for op in ops if op.op == crashsim.OPEN and op.path == copy}
    db_fids = {op.fid for op in ops if op.op == crashsim.OPEN and op.path == db}
    assert copy_fids and db_fids, "the restore did not copy and reopen the database"
    # the copy's own handle is never synced (S1) ...
    assert not [op for op in ops if op.op == crashsim.SYNC and op.fid in copy_fids]
    # ... its rename is made durable before any log or checkpoint write ...
    i_ren = next(i for i, op in enumerate(ops) if op.op == crashsim.RENAME and op.path2 == db)
    i_dsync = next(i for i, op in enumerate(ops) if op.op == crashsim.DIRSYNC and op.path == dest and i > i_ren)
    log_fids = {op.fid for op in ops if op.op == crashsim.OPEN
                and (op.path.endswith(".log") or op.path.endswith(".chk"))}
    first_log_write = next(i for i, op in enumerate(ops) if op.op == crashsim.WRITE and op.fid in log_fids)
    assert i_dsync < first_log_write
    # ... and the database file is synced before the checkpoint file is written.
    chk_fids = {op.fid for op in ops if op.op == crashsim.OPEN and op.path.endswith(".chk")}
    first_chk = next(i for i, op in enumerate(ops) if op.op == crashsim.WRITE and op.fid in chk_fids)
    assert any(op.op == crashsim.SYNC and op.fid in db_fids for op in ops[i_ren:first_chk])
    # and the restored database holds every row
    with esepy.Instance("rsync_chk", **_params(run)) as inst, inst.begin_session() as s:
        t = s.attach_database(db).open_table("t")
        assert len(t) == 300
        t.close()
