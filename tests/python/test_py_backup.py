"""Backup and restore from Python: Instance.backup / external_backup /
restore_instance, progress callables (including ones that raise), the
exceptions, point-in-time restore, and esepy.restore in legacy mode."""
from __future__ import annotations

import datetime as dt
import io
import os
import tarfile
import threading
import time
import warnings

import pytest

import esepy
from esepy import errors


def fill(inst, db_path, keys):
    with inst.begin_session() as s:
        if not os.path.exists(db_path):
            db = s.create_database(db_path)
            t = db.create_table("t", {"k": "long", "v": "text"}, primary_key=["k"])
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", esepy.JetWarning)  # already attached
                s.attach_database(db_path)
            db = s.open_database(db_path)
            t = db.open_table("t")
        for k in keys:
            t.insert({"k": k, "v": f"value {k}"})


def keys_in(paths, name, db_path):
    with esepy.Instance(name, **paths(name)) as inst, inst.begin_session() as s:
        s.attach_database(db_path)
        t = s.open_database(db_path).open_table("t")
        return sorted(r["k"] for r in t)


@pytest.fixture
def live(paths, tmp_path):
    """An initialized instance with a database of 100 rows."""
    inst = esepy.Instance("live", **paths("live"))
    inst.init()
    db = str(tmp_path / "live.edb")
    fill(inst, db, range(100))
    inst.db = db
    yield inst
    inst.term()


def test_backup_restore_roundtrip_with_progress(live, paths, tmp_path):
    seen = []
    bk = tmp_path / "bk"
    bk.mkdir()
    live.backup(bk, progress=seen.append)
    assert seen[0].operation == "backup" and seen[0].stage == "begin"
    assert seen[-1].stage == "complete" and seen[-1].done == seen[-1].total > 0
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    fill(live, live.db, range(100, 150))
    rseen = []
    inst = esepy.Instance("r", **paths("r"))
    inst.restore_instance(bk, tmp_path / "dest", progress=rseen.append)
    assert not inst.initialized
    inst.term()
    assert rseen[0].operation == "restore" and rseen[-1].stage == "complete"
    assert 0.99 < rseen[-1].fraction <= 1.0
    assert keys_in(paths, "chk", str(tmp_path / "dest" / "live.edb")) == list(range(100))


def test_progress_exception_cancels_backup_and_restore(live, paths, tmp_path):
    class Stop(Exception):
        pass

    def boom(p):
        if p.stage == "progress":
            raise Stop("user cancelled")

    bk = tmp_path / "bk"
    bk.mkdir()
    with pytest.raises(Stop):
        live.backup(bk, progress=boom)
    assert os.listdir(bk) == []
    fill(live, live.db, range(100, 110))  # the instance works on
    live.backup(bk)
    inst = esepy.Instance("r", **paths("r"))
    try:
        with pytest.raises(Stop):
            inst.restore_instance(bk, tmp_path / "dest", progress=boom)
        assert not inst.initialized
        inst.restore_instance(bk, tmp_path / "dest")  # a corrected restore succeeds
    finally:
        inst.term()
    assert keys_in(paths, "chk", str(tmp_path / "dest" / "live.edb")) == list(range(110))


def test_specific_exceptions(live, paths, tmp_path):
    bk = tmp_path / "bk"
    bk.mkdir()
    (bk / "junk").write_text("x")
    with pytest.raises(errors.BackupDirectoryNotEmpty):
        live.backup(bk)
    with pytest.raises(errors.MissingFullBackup):
        live.backup(bk, incremental=True)
    os.unlink(bk / "junk")
    live.backup(bk)
    inst = esepy.Instance("r", **paths("r"))
    try:
        with pytest.raises(errors.InvalidPath):
            inst.restore_instance(tmp_path / "nowhere")
        os.rename(bk / "live.pat", tmp_path / "live.pat")
        with pytest.raises(errors.PatchFileMissing):
            inst.restore_instance(bk, tmp_path / "dest")
        os.rename(tmp_path / "live.pat", bk / "live.pat")
        with pytest.raises(TypeError):
            inst.restore_instance(bk, tmp_path / "dest", stop_at="yesterday")
        with pytest.raises(TypeError):
            inst.restore_instance(bk, tmp_path / "dest", progress=42)
    finally:
        inst.term()
    with pytest.raises(errors.AlreadyInitialized):
        live.restore_instance(bk)


def test_point_in_time_restore(live, paths, tmp_path):
    bk = tmp_path / "bk"
    bk.mkdir()
    live.backup(bk)
    fill(live, live.db, range(100, 120))
    time.sleep(0.05)
    moment = dt.datetime.now()
    time.sleep(0.05)
    fill(live, live.db, range(120, 140))
    live.term()
    # Restore with this instance's logs (same folders) but elsewhere.
    inst = esepy.Instance("pit", **paths("live"))
    try:
        inst.restore_instance(bk, tmp_path / "dest", stop_at=moment)
    finally:
        inst.term()
    assert keys_in(paths, "chk", str(tmp_path / "dest" / "live.edb")) == list(range(120))


def test_external_backup_to_a_tar_stream(live, paths, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar, live.external_backup() as b:
        assert b.databases() == [live.db]
        for f in b:
            info = tarfile.TarInfo(f.name)
            info.size = f.size
            tar.addfile(info, f)
    names = tarfile.open(fileobj=io.BytesIO(buf.getvalue())).getnames()
    assert "live.edb" in names and "live.pat" in names and any(n.endswith(".log") for n in names)
    fill(live, live.db, range(100, 105))
    # The stream is a backup set.
    bk = tmp_path / "from_tar"
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue())) as tar:
        tar.extractall(bk)
    inst = esepy.Instance("r", **paths("r"))
    try:
        inst.restore_instance(bk, tmp_path / "dest")
    finally:
        inst.term()
    assert keys_in(paths, "chk", str(tmp_path / "dest" / "live.edb")) == list(range(100))


def test_external_backup_aborts_on_exception(live, tmp_path):
    with pytest.raises(RuntimeError):
        with live.external_backup() as b:
            next(iter(b)).read(10)
            raise RuntimeError("network down")
    # A new backup can start: the aborted one is gone.
    with live.external_backup() as b:
        files = [f.name for f in b if f.read() is not None]
    assert "live.edb" in files


def test_backup_while_writers_commit(live, paths, tmp_path):
    """Online backup: a writer thread commits during the backup; the restore
    holds exactly what was committed (rolled forward from the logs)."""
    done = threading.Event()
    committed = []

    def writer():
        with live.begin_session() as s:
            s.attach_database(live.db)
            t = s.open_database(live.db).open_table("t")
            k = 1000
            while not done.is_set():
                t.insert({"k": k, "v": "w"})
                committed.append(k)
                k += 1

    th = threading.Thread(target=writer)
    th.start()
    try:
        for i in range(3):
            bk = tmp_path / f"bk{i}"
            bk.mkdir()
            live.backup(bk)
    finally:
        done.set()
        th.join()
    assert committed
    with pytest.raises(errors.DirtyShutdown):
        live.term(grbit=esepy.TERM_DIRTY)  # a crash
    os.unlink(live.db)
    inst = esepy.Instance("r", **paths("live"))
    try:
        inst.restore_instance(tmp_path / "bk2")
    finally:
        inst.term()
    assert keys_in(paths, "chk", live.db) == list(range(100)) + committed


def test_legacy_restore_refused_in_multi_instance_mode(live, tmp_path):
    with pytest.raises(errors.RunningInMultiInstanceMode):
        esepy.restore(tmp_path)


def test_term_aborts_a_running_backup(live, tmp_path):
    bk = tmp_path / "bk"
    bk.mkdir()
    started = threading.Event()
    result = {}

    def slow(p):
        started.set()
        time.sleep(0.02)

    def run():
        try:
            live.backup(bk, progress=slow)
            result["ok"] = True
        except BaseException as e:  # noqa: BLE001 -- reported to the main thread
            result["exc"] = e

    th = threading.Thread(target=run)
    th.start()
    assert started.wait(10)
    live.term()  # waits for the backup call, which stops with BackupAbortByServer
    th.join(30)
    assert not th.is_alive()
    assert isinstance(result.get("exc"), errors.BackupAbortByServer), result
    assert os.listdir(bk) == []  # the cancelled backup left nothing


def test_stop_backup_from_another_thread(live, tmp_path):
    bk = tmp_path / "bk"
    bk.mkdir()
    stopped = threading.Event()

    def slow(p):
        if p.stage == "begin":
            live.stop_backup()  # as another thread would; the backup notices at its next step
            stopped.set()

    
    with pytest.raises(errors.BackupAbortByServer):
        live.backup(bk, progress=slow)
    assert stopped.is_set()
    assert os.listdir(bk) == []
    live.backup(bk)  # the next backup runs normally


def test_legacy_restore_in_one_instance_mode(tmp_path):
    import subprocess
    import sys
    import textwrap
    code = textwrap.dedent(f"""
        import os, esepy
        root = {str(tmp_path)!r}
        live, bk = os.path.join(root, "live"), os.path.join(root, "bk")
        os.makedirs(bk)
        kw = dict(system_path=live + "/", log_path=live + "/", temp_path=live + "/tmp.edb")
        with esepy.Instance("w", create_path_if_not_exist=True, **kw) as inst, inst.begin_session() as s:
            t = s.create_database(live + "/a.edb").create_table("t", {{"k": "long"}}, primary_key=["k"])
            for k in range(10):
                t.insert({{"k": k}})
            t.close()
            inst.backup(bk)
        os.unlink(live + "/a.edb")
        # every instance is gone: the process may enter one-instance mode
        for name, value in kw.items():
            esepy.set_default_param(name, value)
        esepy.restore(bk)
        assert esepy._esepy._process_state() == (0, 0)
        with esepy.Instance("r", **kw) as inst, inst.begin_session() as s:
            assert len(s.attach_database(live + "/a.edb").open_table("t")) == 10
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stdout + out.stderr


def test_restore_brings_back_long_values_and_secondary_indexes(paths, tmp_path):
    """The whole record model goes through backup and roll-forward restore:
    long values (in their own tree) and secondary index entries."""
    big = bytes(range(256)) * 400  # 100 KiB: stored out of the record
    db_path = str(tmp_path / "lv.edb")
    bk = tmp_path / "bk"
    bk.mkdir()
    inst = esepy.Instance("lv", **paths("lv"))
    inst.init()
    with inst.begin_session() as s:
        t = s.create_database(db_path).create_table("docs", {"id": "long", "name": "text", "body": "longbinary"},
                                                    primary_key=["id"])
        t.create_index("by_name", ["name"], unique=True)
        for i in range(20):
            t.insert({"id": i, "name": f"doc{i:02d}", "body": big[i:]})
        inst.backup(bk)
        for i in range(20, 30):
            t.insert({"id": i, "name": f"doc{i:02d}", "body": big[:i * 1000]})
        t.close()
    with pytest.raises(errors.DirtyShutdown):
        inst.term(grbit=esepy.TERM_DIRTY)
    os.unlink(db_path)
    r = esepy.Instance("lv2", **paths("lv"))
    try:
        r.restore_instance(bk)
    finally:
        r.term()
    with esepy.Instance("lv3", **paths("lv")) as i3, i3.begin_session() as s:
        t = s.attach_database(db_path).open_table("docs")
        rows = {rec["id"]: rec for rec in t}
        assert sorted(rows) == list(range(30))
        assert all(rows[i]["body"] == (big[i:] if i < 20 else big[:i * 1000]) for i in rows)
        names = [rec["name"] for rec in t.range(index="by_name")]
        assert names == [f"doc{i:02d}" for i in range(30)]


def test_planted_links_are_refused_and_their_targets_untouched(live, paths, tmp_path):
    precious = b"never overwritten\n" * 200
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_bytes(precious)
    rolling = tmp_path / "rolling"
    rolling.mkdir()
    os.symlink(victim, rolling / "new")  # the atomic backup would empty it as "old"
    with pytest.raises(errors.InvalidPath):
        live.backup(rolling, atomic=True)
    assert os.listdir(victim) == ["keep.txt"] and (victim / "keep.txt").read_bytes() == precious
    os.unlink(rolling / "new")
    live.backup(rolling, atomic=True)

    dest = tmp_path / "dest"
    dest.mkdir()
    target = tmp_path / "target.bin"
    target.write_bytes(precious)
    os.symlink(target, dest / "live.edb.restoring")
    inst = esepy.Instance("r", **paths("r"))
    try:
        with pytest.raises(errors.InvalidPath):
            inst.restore_instance(rolling, dest)
        assert target.read_bytes() == precious
        os.unlink(dest / "live.edb.restoring")
        inst.restore_instance(rolling, dest)
    finally:
        inst.term()
    assert target.read_bytes() == precious
    assert keys_in(paths, "chk", str(dest / "live.edb")) == list(range(100))


def test_incremental_into_a_set_the_logs_no_longer_continue(paths, tmp_path):
    """Another full backup truncated the logs set A needs next: inst.backup(A,
    incremental=True) raises InvalidLogSequence and leaves A as it was."""
    kw = paths("gap")
    kw.update(log_file_size_kb=64, checkpoint_depth_max=64 * 1024)
    db = str(tmp_path / "gap.edb")
    with esepy.Instance("gap", **kw) as inst:
        fill(inst, db, range(100))
        a, b = tmp_path / "A", tmp_path / "B"
        a.mkdir()
        b.mkdir()
        inst.backup(a)
        fill(inst, db, range(100, 1200))
        inst.backup(b)
        fill(inst, db, range(1200, 1300))
        before = {n: (a / n).read_bytes() for n in os.listdir(a)}
        with pytest.raises(errors.InvalidLogSequence) as ei:
            inst.backup(a, incremental=True)
        assert ei.value.code == -515
        assert {n: (a / n).read_bytes() for n in os.listdir(a)} == before
        inst.backup(b, incremental=True)  # B is continued
    r = esepy.Instance("r", **paths("r"))
    try:
        r.restore_instance(a, tmp_path / "dest")
    finally:
        r.term()
    assert keys_in(paths, "chk", str(tmp_path / "dest" / "gap.edb")) == list(range(100))


def test_failed_restore_puts_back_the_database_that_was_there(live, paths, tmp_path):
    """A restore that fails after its copy went into place (here cancelled during replay)
    leaves the database that was at the destination as it was, not a half-replayed copy."""
    class Stop(Exception):
        pass

    bk = tmp_path / "bk"
    bk.mkdir()
    live.backup(bk)
    dest = tmp_path / "dest"
    inst = esepy.Instance("r", **paths("r"))
    try:
        inst.restore_instance(bk, dest)
    finally:
        inst.term()
    assert keys_in(paths, "chk", str(dest / "live.edb")) == list(range(100))
    before = (dest / "live.edb").read_bytes()
    fill(live, live.db, range(100, 1000))
    bk2 = tmp_path / "bk2"
    bk2.mkdir()
    live.backup(bk2)
    seen = []

    def late(p):
        seen.append(p)
        if p.stage == "progress" and p.done > copied_kib:
            raise Stop("cancelled during replay")  # the copy is in place by now

    copied_kib = os.path.getsize(bk2 / "live.edb") // 1024  # more than the copy reports (no header, trailer)

    inst = esepy.Instance("r2", **paths("r2"))
    try:
        with pytest.raises(Stop):
            inst.restore_instance(bk2, dest, progress=late)
        assert (dest / "live.edb").read_bytes() == before
        assert sorted(os.listdir(dest)) == ["live.edb"]
        inst.restore_instance(bk2, dest)
    finally:
        inst.term()
    assert keys_in(paths, "chk2", str(dest / "live.edb")) == list(range(1000))
