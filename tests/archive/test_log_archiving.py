"""Continuous log archiving (esepy.archive.LogArchiver) and warm standby
(esepy.archive.Standby) against the real S3-compatible server on loopback,
with its faults: the server killed and restarted, a generation missing from
the archive, a corrupted object."""
from __future__ import annotations

import logging
import os
import threading

import pytest

import esepy
from esepy import archive, inspection

from archive_helpers import fill


def local_gens(inst):
    folder = inst.get_param("log_path")
    return sorted(n for n in os.listdir(folder) if n.startswith("edb0") and n.endswith(".log"))


def open_keys(inst, path):
    import warnings
    with inst.begin_session() as s:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s.attach_database(path)
        return sorted(r["k"] for r in s.open_database(path).open_table("t"))


def test_circular_logging_is_refused(paths, s3_server, bucket):
    with esepy.Instance("circ", circular_log=True, **paths("circ")) as inst:
        with pytest.raises(archive.CircularLogging, match="circular"):
            archive.LogArchiver(inst, f"s3://{bucket}/c", options=s3_server.options())


def test_generations_ship_as_they_roll_and_standby_follows(live, s3_server, bucket, paths, tmp_path, caplog):
    url = f"s3://{bucket}/prod"
    opts = s3_server.options()
    live.backup(url, s3=opts)  # the base set
    caplog.set_level(logging.INFO, logger="esepy")
    arch = archive.LogArchiver(live, url, options=opts, sync_interval=0.2, poll_interval=0.05).start()
    fill(live, live.db, range(100, 200))
    last = arch.sync(timeout=60)
    st = arch.status()
    assert st.running and st.last_archived_generation == last and st.last_error is None
    assert st.pending_generations == [] and st.lag_bytes == 0 and st.lag_seconds == 0.0
    assert any("archived to" in r.getMessage() for r in caplog.records)
    gens = archive.list_generations(url, st.stream, opts)
    assert gens[-1].generation == last
    assert [g.generation for g in gens] == list(range(gens[0].generation, last + 1))
    # a standby seeded from the base set and the archived generations
    sb = archive.Standby(url, tmp_path / "standby", options=opts, name="sb1")
    assert sb.catch_up() == last
    fill(live, live.db, range(200, 250))
    last2 = arch.sync(timeout=60)
    assert last2 > last
    assert sb.catch_up() == last2
    assert sb.status().replayed_generation == last2
    # a snapshot reads the standby at this point; the standby goes on
    snap = sb.snapshot(tmp_path / "snap")
    try:
        assert open_keys(snap, snap.databases[0]) == list(range(250))
    finally:
        snap.term()
    # an open transaction at the end of the shipped log is undone by promote
    with live.begin_session() as s:
        t = s.open_database(live.db).open_table("t")
        s.begin_transaction()
        t.insert({"k": 9999, "v": "never committed"})
        arch.sync(timeout=60)
        s.rollback()
    arch.stop()
    inst = sb.promote()
    try:
        path = sb.database_paths()[0]
        assert open_keys(inst, path) == list(range(250))
        fill(inst, path, [5000])  # open for writes
        assert open_keys(inst, path) == list(range(250)) + [5000]
    finally:
        inst.term()
    with pytest.raises(archive.ArchiveError, match="promoted"):
        sb.catch_up()


def test_quiet_instance_ships_its_last_commits_within_the_interval(live, s3_server, bucket):
    url = f"s3://{bucket}/quiet"
    opts = s3_server.options()
    arch = archive.LogArchiver(live, url, options=opts, sync_interval=0.1, poll_interval=0.02).start()
    try:
        fill(live, live.db, [1000])  # one commit, then nothing
        from esepy import _esepy
        gen = _esepy._log_position(live.handle)[0]
        done = threading.Event()
        while not done.wait(0.05):  # the archiver rolls by itself after the interval
            if arch.status().last_archived_generation >= gen:
                done.set()
        assert _esepy._log_position(live.handle)[1:] == (1, 0)  # nothing durable left unshipped
    finally:
        live.term()  # term stops the archiver
    assert not arch.status().running


def test_local_generation_kept_until_archived(live, own_s3_server, paths):
    srv = own_s3_server
    srv.client().create_bucket(Bucket="keep-bucket")
    url = "s3://keep-bucket/k"
    opts = srv.options(max_attempts=1, connect_timeout=1, read_timeout=2)
    arch = archive.LogArchiver(live, url, options=opts, sync_interval=0.1, poll_interval=0.05,
                               backoff=0.05, max_backoff=0.2, stop_timeout=2).start()
    try:
        arch.sync(timeout=60)
        srv.kill()  # the server dies mid-archiving
        fill(live, live.db, range(100, 600))
        from esepy import _esepy
        with live.begin_session() as s:
            s.begin_transaction()
            s._commit(0x10)
        target = _esepy._log_position(live.handle)[0] - 1
        while arch.status().consecutive_failures < 2:
            threading.Event().wait(0.05)
        st = arch.status()
        assert st.last_error and "StorageUnreachable" in st.last_error
        assert st.last_archived_generation < target and st.lag_bytes > 0
        # nothing lost: every unarchived generation is still here
        assert f"edb{target:05X}.log" in local_gens(live)
        srv.start(same_ports=True)
        assert arch.sync(timeout=120) >= target  # retries and catches up
        assert arch.status().consecutive_failures == 0
        gens = archive.list_generations(url, arch.status().stream, srv.options())
        nums = [g.generation for g in gens]
        assert nums == list(range(nums[0], nums[-1] + 1)) and nums[-1] >= target
    finally:
        arch.stop(final_sync=False)


def test_standby_survives_a_server_restart(live, own_s3_server, paths, tmp_path):
    srv = own_s3_server
    srv.client().create_bucket(Bucket="sb-bucket")
    url = "s3://sb-bucket/p"
    # A fresh SeaweedFS may take seconds over its first writes (it grows a volume), so only what
    # must notice the dead server fails fast: the standby gives up at once on a refused connection,
    # and the archiver, which retries by itself, waits 2 s for an answer.
    live.backup(url, s3=srv.options())
    arch = archive.LogArchiver(live, url, options=srv.options(max_attempts=1, connect_timeout=1, read_timeout=2),
                               sync_interval=0.1, poll_interval=0.05,
                               backoff=0.05, max_backoff=0.2, stop_timeout=2).start()
    sb = archive.Standby(url, tmp_path / "sb", options=srv.options(max_attempts=1, connect_timeout=1),
                         name="sb2")
    try:
        fill(live, live.db, range(100, 150))
        g1 = arch.sync(timeout=60)
        assert sb.catch_up() == g1
        srv.kill()
        fill(live, live.db, range(150, 200))
        with pytest.raises(archive.StorageUnreachable):
            sb.catch_up()
        assert sb.status().last_error and sb.status().replayed_generation == g1
        srv.start(same_ports=True)
        g2 = arch.sync(timeout=120)
        assert sb.catch_up() == g2 > g1
    finally:
        arch.stop(final_sync=False)
    inst = sb.promote(catch_up=False)
    try:
        assert open_keys(inst, sb.database_paths()[0]) == list(range(200))
    finally:
        inst.term()


def test_missing_or_corrupted_generation_is_refused(live, s3_server, bucket, tmp_path):
    url = f"s3://{bucket}/gap"
    opts = s3_server.options()
    live.backup(url, s3=opts)
    arch = archive.LogArchiver(live, url, options=opts, sync_interval=0.1, poll_interval=0.05).start()
    for start in (100, 200, 300):
        fill(live, live.db, range(start, start + 50))
        arch.sync(timeout=60)
    arch.stop()
    stream = arch.status().stream
    gens = archive.list_generations(url, stream, opts)
    c = s3_server.client()
    # a corrupted object: refused, naming it
    victim = gens[1]
    body = bytearray(c.get_object(Bucket=bucket, Key=victim.key)["Body"].read())
    meta = c.head_object(Bucket=bucket, Key=victim.key)["Metadata"]
    body[5000] ^= 0xFF
    c.put_object(Bucket=bucket, Key=victim.key, Body=bytes(body), Metadata=meta)
    sb = archive.Standby(url, tmp_path / "sb-corrupt", options=opts, name="sb3")
    with pytest.raises(archive.ChecksumMismatch, match=f"generation {victim.generation}"):
        sb.catch_up()
    # a generation missing: refused, naming it
    c.delete_object(Bucket=bucket, Key=victim.key)
    sb = archive.Standby(url, tmp_path / "sb-gap", options=opts, name="sb4")
    with pytest.raises(archive.GenerationGap, match=f"generation {victim.generation} is missing"):
        sb.catch_up()


def test_replay_lag_holds_generations_back(live, s3_server, bucket, tmp_path):
    url = f"s3://{bucket}/lag"
    opts = s3_server.options()
    live.backup(url, s3=opts)
    arch = archive.LogArchiver(live, url, options=opts, sync_interval=0.1, poll_interval=0.05).start()
    fill(live, live.db, range(100, 150))
    last = arch.sync(timeout=60)
    arch.stop()
    sb = archive.Standby(url, tmp_path / "lagged", options=opts, replay_lag=3600, name="sb5")
    base = archive.list_sets(url, opts)[-1].last_generation
    assert sb.catch_up() == base  # nothing archived an hour ago: only the base set
    sb.replay_lag = 0
    assert sb.catch_up() == last


def test_archived_generations_below_the_checkpoint_are_deleted_locally(paths, s3_server, bucket, tmp_path):
    url = f"s3://{bucket}/del"
    opts = s3_server.options()
    with esepy.Instance("del", checkpoint_depth_max=64 * 1024, log_file_size_kb=128, **paths("del")) as inst:
        db = str(tmp_path / "del.edb")
        fill(inst, db, range(2000))
        arch = archive.LogArchiver(inst, url, options=opts, sync_interval=0.1, poll_interval=0.05).start()
        fill(inst, db, range(2000, 4000))
        arch.sync(timeout=60)
        archived_gens = {g.generation for g in archive.list_generations(url, arch.status().stream, opts)}
        chk_path = os.path.join(inst.get_param("system_path"), "edb.chk")
        gone = threading.Event()
        for _ in range(400):  # the thread deletes on one of its next passes
            chk = inspection.read_checkpoint(chk_path).checkpoint.generation
            local = [int(n[3:8], 16) for n in local_gens(inst)]
            # never a generation the archive lacks, never one crash recovery needs
            assert all(g in archived_gens or g >= chk for g in local)
            if chk > min(archived_gens) and not any(g < chk for g in local):
                gone.set()
                break
            gone.wait(0.05)
        assert gone.is_set()


def test_cli_standby_once_and_promote(live, s3_server, bucket, tmp_path, monkeypatch):
    import io
    import json
    from esepy.cli import main
    url = f"s3://{bucket}/cli"
    opts = s3_server.options()
    live.backup(url, s3=opts)
    arch = archive.LogArchiver(live, url, options=opts, sync_interval=0.1, poll_interval=0.05).start()
    fill(live, live.db, range(100, 130))
    last = arch.sync(timeout=60)
    live.term()  # stops the archiver
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "esepytestaccess")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "esepytestsecret")
    folder = str(tmp_path / "cli-standby")
    common = ["--endpoint-url", s3_server.endpoint, "--region", "us-east-1", "--json"]
    out, err = io.StringIO(), io.StringIO()
    assert main(["standby", url, folder, "--once", *common], stdout=out, stderr=err) == 0, err.getvalue()
    assert json.loads(out.getvalue())["generation"] >= last
    out, err = io.StringIO(), io.StringIO()
    assert main(["standby", url, folder, "--promote", *common], stdout=out, stderr=err) == 0, err.getvalue()
    doc = json.loads(out.getvalue())
    assert doc["promoted"] and len(doc["databases"]) == 1
    with esepy.Instance("after-cli", system_path=os.path.join(folder, "sys") + "/",
                        log_path=os.path.join(folder, "logs") + "/", temp_path=os.path.join(folder, "tmp") + "/") as inst:
        assert open_keys(inst, doc["databases"][0]) == list(range(130))


def test_backup_to_the_archive_does_not_truncate_while_archiving(paths, s3_server, bucket, tmp_path):
    url = f"s3://{bucket}/bt"
    opts = s3_server.options()
    with esepy.Instance("bt", checkpoint_depth_max=64 * 1024, log_file_size_kb=128, **paths("bt")) as inst:
        db = str(tmp_path / "bt.edb")
        fill(inst, db, range(10))
        arch = archive.LogArchiver(inst, url, options=opts, sync_interval=3600, poll_interval=3600).start()
        try:
            fill(inst, db, range(10, 3000))  # several generations, the checkpoint moves on
            before = local_gens(inst)
            inst.backup(url, s3=opts)  # must leave the generations to the archiver
            assert len(before) > 2 and set(before) <= set(local_gens(inst))
        finally:
            arch.stop(final_sync=False)


def test_sync_right_after_a_backup_has_nothing_to_wait_for(live, s3_server, bucket):
    url = f"s3://{bucket}/idle"
    opts = s3_server.options()
    live.backup(url, s3=opts)  # truncates: no closed generation left locally
    arch = archive.LogArchiver(live, url, options=opts, sync_interval=3600).start()
    try:
        arch.sync(timeout=30)  # nothing durable unshipped, nothing to roll
        st = arch.status()
        assert st.lag_bytes == 0 and st.pending_generations == [] and st.last_error is None
    finally:
        arch.stop()


def test_wrong_credentials_are_named(live, s3_server, bucket, tmp_path):
    url = f"s3://{bucket}/creds"
    bad = s3_server.options(secret_access_key="wrong")
    with pytest.raises(archive.AccessDenied):
        archive.LogArchiver(live, url, options=bad).start()
    live.backup(url, s3=s3_server.options())
    with pytest.raises(archive.AccessDenied):
        archive.Standby(url, tmp_path / "sb-creds", options=bad, name="sb6").catch_up()
    assert not os.path.exists(tmp_path / "sb-creds" / "db")  # nothing seeded


def test_restore_from_the_archive_replays_archived_generations(live, s3_server, bucket, paths, tmp_path,
                                                                monkeypatch):
    import datetime as dt
    import time
    from archive_helpers import keys_in
    url = f"s3://{bucket}/pitr"
    opts = s3_server.options()
    live.backup(url, s3=opts)  # rows 0..99
    arch = archive.LogArchiver(live, url, options=opts, sync_interval=3600).start()
    fill(live, live.db, range(100, 200))
    arch.sync(timeout=60)
    time.sleep(0.05)
    moment = dt.datetime.now()
    time.sleep(0.05)
    fill(live, live.db, range(200, 300))
    arch.sync(timeout=60)
    arch.stop()

    def restored(name, **kw):
        inst = esepy.Instance(name, **paths(name))
        try:
            inst.restore_instance(url, tmp_path / f"dest-{name}", s3=opts, **kw)
        finally:
            inst.term()
        return keys_in(paths, f"chk-{name}", str(tmp_path / f"dest-{name}" / "live.edb"))

    assert restored("latest") == list(range(300))  # past the last set, through the archived generations
    assert restored("moment", stop_at=moment) == list(range(200))
    import io
    from esepy.cli import main
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "esepytestaccess")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "esepytestsecret")
    out, err = io.StringIO(), io.StringIO()
    rc = main(["restore", url, "--dest", str(tmp_path / "dest-cli"), "--at", moment.isoformat(sep=" "),
               "--endpoint-url", s3_server.endpoint, "--region", "us-east-1"], stdout=out, stderr=err)
    assert rc == 0, err.getvalue()
    assert keys_in(paths, "chk-cli", str(tmp_path / "dest-cli" / "live.edb")) == list(range(200))
    # a generation missing from the archived logs: the restore stops before it
    gens = archive.list_generations(url, arch.status().stream, opts)
    s3_server.client().delete_object(Bucket=bucket, Key=gens[-1].key)
    assert restored("gap") == list(range(200))


def test_prune_deletes_archived_generations_no_kept_set_needs(paths, s3_server, bucket, tmp_path):
    from archive_helpers import keys_in
    url = f"s3://{bucket}/retain"
    opts = s3_server.options()
    db = str(tmp_path / "ret.edb")
    with esepy.Instance("ret", checkpoint_depth_max=64 * 1024, log_file_size_kb=128, **paths("ret")) as inst:
        fill(inst, db, range(100))
        inst.backup(url, s3=opts)                        # full set 1
        arch = archive.LogArchiver(inst, url, options=opts, sync_interval=0.1, poll_interval=0.05).start()
        fill(inst, db, range(100, 3000))
        arch.sync(timeout=60)
        deleted = threading.Event()                      # the archiver drops shipped generations locally
        for _ in range(400):
            if all(int(n[3:8], 16) > 2 for n in local_gens(inst)):
                deleted.set()
                break
            deleted.wait(0.05)
        assert deleted.is_set()
        inst.backup(url, s3=opts)                        # full set 2 starts at a later generation
        fill(inst, db, range(3000, 3100))
        arch.sync(timeout=60)
        stream = arch.status().stream
        arch.stop()
    sets = archive.list_sets(url, opts)
    first_kept = min(sets[-1].generations)
    before = [g.generation for g in archive.list_generations(url, stream, opts)]
    assert min(before) < first_kept                      # something for retention to take
    would = archive.prune(url, 1, opts, dry_run=True)
    assert sets[0].id in would
    old = [f"logs/{stream}/{g.name}" for g in archive.list_generations(url, stream, opts)
           if g.generation < first_kept]
    assert old and [w for w in would if w.startswith("logs/")] == old
    assert archive.prune(url, 1, opts) == would
    after = [g.generation for g in archive.list_generations(url, stream, opts)]
    assert after == [g for g in before if g >= first_kept]   # no gap among what is kept
    assert archive.prune(url, 1, opts) == []
    inst = esepy.Instance("retained", **paths("retained"))
    try:                                                 # the kept set still restores to the end
        inst.restore_instance(url, tmp_path / "dest", s3=opts)
    finally:
        inst.term()
    assert keys_in(paths, "chk-retained", str(tmp_path / "dest" / "ret.edb")) == list(range(3100))
