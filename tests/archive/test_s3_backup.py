"""Backups to and restores from s3:// URLs (esepy.archive) against a real
S3-compatible server on loopback: full and incremental sets, manifests,
verified parallel downloads, point in time, and the specific errors."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time

import pytest

import esepy
from esepy import archive, inspection

from archive_helpers import fill, keys_in


def manifests(client, bucket, prefix):
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=prefix + "/").get("Contents", [])]
    return sorted(k for k in keys if k.endswith("/manifest.json")), keys


def restore_from(url, paths, tmp_path, s3_server, name="r", **kw):
    dest = tmp_path / f"dest-{name}"
    inst = esepy.Instance(name, **paths(name))
    try:
        inst.restore_instance(url, dest, s3=s3_server.options(), **kw)
    finally:
        inst.term()
    return keys_in(paths, f"chk-{name}", str(dest / "live.edb"))


def test_full_backup_streams_a_self_describing_set(live, s3_server, bucket, paths, tmp_path):
    url = f"s3://{bucket}/prod/app"
    seen = []
    live.backup(url, s3=s3_server.options(), progress=seen.append)
    assert seen[0].stage == "begin" and seen[-1].stage == "complete"
    assert seen[-1].done == seen[-1].total > 0
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert not os.path.exists("s3:")  # never a local folder
    c = s3_server.client()
    mans, keys = manifests(c, bucket, "prod/app")
    assert len(mans) == 1
    m = json.loads(c.get_object(Bucket=bucket, Key=mans[0])["Body"].read())
    assert m["format"] == "esepy-backup-set" and m["kind"] == "full" and m["parent"] is None
    assert [d["name"] for d in m["databases"]] == ["live.edb"] and m["databases"][0]["path"] == live.db
    assert m["databases"][0]["page_size"] in (4096, 8192, 16384, 32768)
    assert m["generations"] and m["log_signature"]
    assert [g["generation"] for g in m["generations"]] == sorted(g["generation"] for g in m["generations"])
    names = {f["name"] for f in m["files"]}
    assert {"live.edb", "live.pat"} <= names and all(g["name"] in names for g in m["generations"])
    # every object is there with the manifest's size and SHA-256
    for f in m["files"]:
        body = c.get_object(Bucket=bucket, Key="prod/app/" + f["key"])["Body"].read()
        assert len(body) == f["size"] and hashlib.sha256(body).hexdigest() == f["sha256"]
    assert len(keys) == len(m["files"]) + 1
    # the backup was recorded like a backup to a folder
    hdr = inspection.read_database_header(live.db)
    assert hdr.backup_full_prev.gen_high > 0
    fill(live, live.db, range(100, 150))  # not in the backup
    assert restore_from(url, paths, tmp_path, s3_server) == list(range(100))


def test_multipart_upload_of_a_large_database(live, s3_server, bucket, paths, tmp_path):
    with live.begin_session() as s:
        t = s.open_database(live.db).open_table("t")
        for start in range(100, 30100, 2000):
            with s.transaction():
                for k in range(start, start + 2000):
                    t.insert({"k": k, "v": f"{k:08d}" * 15})
    url = f"s3://{bucket}/mp"
    opts = s3_server.options(part_size=1, max_concurrency=3)  # grown to S3's 5 MiB minimum
    live.backup(url, s3=opts)
    c = s3_server.client()
    (man,), _ = manifests(c, bucket, "mp")
    m = json.loads(c.get_object(Bucket=bucket, Key=man)["Body"].read())
    db = [f for f in m["files"] if f["name"] == "live.edb"][0]
    assert db["size"] > 5 << 20
    head = c.head_object(Bucket=bucket, Key="mp/" + db["key"])
    assert head["ContentLength"] == db["size"]
    assert head["ETag"].strip('"').endswith(f"-{-(-db['size'] // (5 << 20))}")  # a multipart object
    got = restore_from(url, paths, tmp_path, s3_server)
    assert got == list(range(30100))


def test_incremental_sets_upload_only_new_generations(live, s3_server, bucket, paths, tmp_path):
    url = f"s3://{bucket}/inc"
    opts = s3_server.options()
    live.backup(url, s3=opts)
    fill(live, live.db, range(100, 200))
    live.backup(url, incremental=True, s3=opts)
    fill(live, live.db, range(200, 300))
    live.backup(url, incremental=True, s3=opts)
    sets = archive.list_sets(url, opts)
    assert [s.kind for s in sets] == ["full", "incremental", "incremental"]
    assert sets[1].parent == sets[0].id and sets[2].parent == sets[1].id
    assert sets[1].base == sets[2].base == sets[0].id
    # no generation stored twice, and together they are continuous
    allgens = [g for s in sets for g in s.generations]
    assert len(allgens) == len(set(allgens))
    assert sorted(allgens) == list(range(min(allgens), max(allgens) + 1))
    assert min(sets[1].generations) == sets[0].last_generation + 1
    assert all(not any(f["kind"] == "database" for f in s.manifest["files"]) for s in sets[1:])
    fill(live, live.db, range(300, 310))  # after the last backup: not restored
    assert restore_from(url, paths, tmp_path, s3_server) == list(range(300))


def test_point_in_time_fetches_only_the_sets_it_needs(live, s3_server, bucket, paths, tmp_path):
    url = f"s3://{bucket}/pit"
    opts = s3_server.options()
    live.backup(url, s3=opts)
    fill(live, live.db, range(100, 120))
    time.sleep(0.05)
    moment = dt.datetime.now()
    time.sleep(0.05)
    fill(live, live.db, range(120, 140))
    live.backup(url, incremental=True, s3=opts)
    fill(live, live.db, range(140, 160))
    live.backup(url, incremental=True, s3=opts)
    sets = archive.list_sets(url, opts)
    chosen = archive.select_sets(sets, stop_at=moment)
    assert [s.id for s in chosen] == [sets[0].id, sets[1].id]  # not the last incremental
    assert [s.id for s in archive.select_sets(sets)] == [s.id for s in sets]
    folder = tmp_path / "dl"
    archive.download(url, folder, stop_at=moment, options=opts)
    got = set(os.listdir(folder))
    assert not any(g["name"] in got for g in sets[2].manifest["generations"])
    assert restore_from(url, paths, tmp_path, s3_server, stop_at=moment) == list(range(120))
    assert restore_from(url, paths, tmp_path, s3_server, name="all") == list(range(160))
    with pytest.raises(archive.NoBackupSet):
        archive.select_sets(sets, stop_at=dt.datetime(2000, 1, 1))


def test_unknown_scheme_is_an_error_and_no_folder_appears(live, paths):
    for bad in ("ftp://host/x", "file:///tmp/x", "gs://bucket/x"):
        with pytest.raises(archive.UnsupportedURL, match="scheme"):
            live.backup(bad)
        inst = esepy.Instance("r", **paths("r"))
        try:
            with pytest.raises(archive.UnsupportedURL):
                inst.restore_instance(bad, "dest")
        finally:
            inst.term()
    for bad in ("s3://", "s3://ab/x", "s3://bucket/a//b", "s3://bucket/x?endpoint=y"):
        with pytest.raises(archive.UnsupportedURL):
            archive.parse_url(bad)
    assert os.listdir(".") == []  # no "ftp:", "s3:" ... folder
    assert isinstance(archive.UnsupportedURL("x"), ValueError)


def test_local_paths_unchanged(live, paths, tmp_path):
    bk = tmp_path / "bk"
    bk.mkdir()
    live.backup(str(bk))
    inst = esepy.Instance("r", **paths("r"))
    try:
        inst.restore_instance(str(bk), tmp_path / "dest")
    finally:
        inst.term()
    assert keys_in(paths, "chk", str(tmp_path / "dest" / "live.edb")) == list(range(100))


def test_wrong_credentials(live, s3_server, bucket, paths):
    url = f"s3://{bucket}/creds"
    with pytest.raises(archive.AccessDenied):
        live.backup(url, s3=s3_server.options(secret_access_key="not the secret"))
    with pytest.raises(archive.AccessDenied):
        live.backup(url, s3=s3_server.options(access_key_id="nosuchkey"))
    live.backup(url, s3=s3_server.options())
    inst = esepy.Instance("r", **paths("r"))
    try:
        with pytest.raises(archive.AccessDenied):
            inst.restore_instance(url, "dest", s3=s3_server.options(secret_access_key="wrong"))
    finally:
        inst.term()
    assert len(archive.list_sets(url, s3_server.options())) == 1  # nothing lost, nothing half-written
    with pytest.raises(esepy.errors.AlreadyInitialized):
        live.restore_instance(url, "dest", s3=s3_server.options())  # refused before any download
    assert not os.path.exists("dest")


def test_corrupted_object_is_detected_and_nothing_restored(live, s3_server, bucket, paths, tmp_path):
    url = f"s3://{bucket}/corrupt"
    live.backup(url, s3=s3_server.options())
    c = s3_server.client()
    (s,) = archive.list_sets(url, s3_server.options())
    log = s.manifest["generations"][-1]
    key = f"corrupt/{s.id}/{log['name']}"
    data = bytearray(c.get_object(Bucket=bucket, Key=key)["Body"].read())
    data[5000] ^= 0xFF
    c.put_object(Bucket=bucket, Key=key, Body=bytes(data))
    inst = esepy.Instance("r", **paths("r"))
    try:
        with pytest.raises(archive.ChecksumMismatch, match=log["name"]):
            inst.restore_instance(url, tmp_path / "dest", s3=s3_server.options())
    finally:
        inst.term()
    assert not (tmp_path / "dest" / "live.edb").exists()


def test_missing_object_and_missing_generation(live, s3_server, bucket, paths, tmp_path):
    url = f"s3://{bucket}/missing"
    opts = s3_server.options()
    live.backup(url, s3=opts)
    fill(live, live.db, range(100, 200))
    live.backup(url, incremental=True, s3=opts)
    c = s3_server.client()
    full, inc = archive.list_sets(url, opts)
    c.delete_object(Bucket=bucket, Key=f"missing/{full.id}/live.edb")
    with pytest.raises(archive.ObjectMissing, match="live.edb"):
        archive.download(url, tmp_path / "dl1", options=opts)
    # a manifest whose generations are not continuous: a generation is missing
    m = json.loads(json.dumps(inc.manifest))
    for g in m["generations"]:
        g["generation"] += 1  # the first generation after the full set is not in the archive
    c.put_object(Bucket=bucket, Key=f"missing/{inc.id}/manifest.json", Body=json.dumps(m).encode())
    with pytest.raises(archive.GenerationGap, match=r"generations \[%d\] are missing" % (full.last_generation + 1)):
        archive.download(url, tmp_path / "dl2", options=opts)
    assert not (tmp_path / "dl2").exists() or os.listdir(tmp_path / "dl2") == []


def test_incremental_needs_a_full_set_in_the_archive(live, s3_server, bucket):
    url = f"s3://{bucket}/nofull"
    live.backup(url + "-other", s3=s3_server.options())  # the engine has a full backup, this prefix none
    with pytest.raises(archive.NoBackupSet):
        live.backup(url, incremental=True, s3=s3_server.options())
    # the failed incremental left nothing and the engine backup was aborted: a new one runs
    assert archive.list_sets(url, s3_server.options()) == []
    live.backup(url, s3=s3_server.options())


def test_missing_bucket_and_unreachable_endpoint(live, s3_server):
    with pytest.raises(archive.BucketNotFound):
        live.backup("s3://no-such-bucket-here/x", s3=s3_server.options())
    dead = s3_server.options(endpoint_url="http://127.0.0.1:1", max_attempts=1, connect_timeout=1)
    with pytest.raises(archive.StorageUnreachable):
        live.backup("s3://somebucket/x", s3=dead)
    with pytest.raises(archive.NoBackupSet):
        archive.select_sets([])


def test_configuration_from_the_aws_variables(monkeypatch, s3_server, bucket, live):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "esepytestaccess")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "esepytestsecret")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    opts = archive.S3Options()
    assert opts.resolved_endpoint() == s3_server.endpoint and opts.resolved_addressing_style() == "path"
    live.backup(f"s3://{bucket}/env")  # no options at all: everything from the environment
    assert len(archive.list_sets(f"s3://{bucket}/env")) == 1
    monkeypatch.setenv("ESEPY_S3_ADDRESSING_STYLE", "virtual")
    assert archive.S3Options().resolved_addressing_style() == "virtual"
    with pytest.raises(ValueError):
        archive.S3Options(addressing_style="sideways").resolved_addressing_style()


def test_profile_from_the_aws_files(monkeypatch, tmp_path, s3_server, bucket, live):
    creds = tmp_path / "credentials"
    creds.write_text("[archive]\naws_access_key_id = esepytestaccess\naws_secret_access_key = esepytestsecret\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    opts = archive.S3Options(endpoint_url=s3_server.endpoint, region="us-east-1", profile="archive")
    live.backup(f"s3://{bucket}/profile", s3=opts)
    assert len(archive.list_sets(f"s3://{bucket}/profile", opts)) == 1
    with pytest.raises(archive.ArchiveError):
        archive.make_client(archive.S3Options(profile="nosuchprofile"))


def test_cli_backup_and_restore_with_urls(monkeypatch, s3_server, bucket, paths, tmp_path):
    import io
    from esepy.cli import main
    inst = esepy.Instance("cli", **paths("cli"))
    inst.init()
    db = str(tmp_path / "live.edb")
    fill(inst, db, range(50))
    inst.term()
    folders = paths("cli")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "esepytestaccess")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "esepytestsecret")
    url = f"s3://{bucket}/cli"
    common = ["--logs", folders["log_path"], "--system", folders["system_path"], "--db", db]
    out, err = io.StringIO(), io.StringIO()
    rc = main(["backup", url, *common, "--endpoint-url", s3_server.endpoint, "--region", "us-east-1"],
              stdout=out, stderr=err)
    assert rc == 0, err.getvalue()
    assert not os.path.exists("s3:")
    out, err = io.StringIO(), io.StringIO()
    rc = main(["backup", "ftp://host/x", *common], stdout=out, stderr=err)
    assert rc == 2 and "unsupported URL scheme 'ftp'" in err.getvalue()
    assert not os.path.exists("ftp:")
    out, err = io.StringIO(), io.StringIO()
    rc = main(["restore", url, "--dest", str(tmp_path / "restored"), "--endpoint-url", s3_server.endpoint],
              stdout=out, stderr=err)
    assert rc == 0, err.getvalue()
    assert keys_in(paths, "chk", str(tmp_path / "restored" / "live.edb")) == list(range(50))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    out, err = io.StringIO(), io.StringIO()
    rc = main(["restore", url, "--dest", str(tmp_path / "again"), "--endpoint-url", s3_server.endpoint],
              stdout=out, stderr=err)
    assert rc == 1 and "AccessDenied" in err.getvalue()


def test_a_cancelled_upload_leaves_no_set_and_no_partial_upload(live, s3_server, bucket, paths, tmp_path):
    with live.begin_session() as s:
        t = s.open_database(live.db).open_table("t")
        for start in range(100, 24100, 2000):
            with s.transaction():
                for k in range(start, start + 2000):
                    t.insert({"k": k, "v": f"{k:08d}" * 15})
    url = f"s3://{bucket}/cancel"
    opts = s3_server.options(part_size=5 << 20, max_concurrency=2)

    class Stop(Exception):
        pass

    seen = []

    def boom(p):
        seen.append(p)
        if p.stage == "progress" and p.done_bytes >= 5 << 20:  # after the first part of the database
            raise Stop("network down")

    with pytest.raises(Stop):
        live.backup(url, s3=opts, progress=boom)
    assert seen[-1].stage == "fail" and seen[-2].stage == "progress"
    # cancelled inside the database's multipart upload: no other file had started
    assert 5 << 20 <= seen[-2].total_bytes <= os.path.getsize(live.db) + 65536
    c = s3_server.client()
    assert c.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert c.list_objects_v2(Bucket=bucket, Prefix="cancel/").get("Contents", []) == []
    assert archive.list_sets(url, opts) == []
    # the engine's backup was aborted: nothing truncated, and the next backup works
    live.backup(url, s3=opts)
    assert restore_from(url, paths, tmp_path, s3_server) == list(range(24100))


def test_retention_keeps_n_full_sets_and_their_chains(live, s3_server, bucket, paths, tmp_path):
    url = f"s3://{bucket}/keep"
    opts = s3_server.options()
    c = s3_server.client()
    c.put_object(Bucket=bucket, Key="keep/20000101T000000.000000Z-full/live.edb", Body=b"half a set")
    c.put_object(Bucket=bucket, Key="keep/notes/readme.txt", Body=b"not a set")
    for i in range(3):
        live.backup(url, s3=opts)
        fill(live, live.db, range(100 + 10 * i, 110 + 10 * i))
        live.backup(url, incremental=True, s3=opts)
    sets = archive.list_sets(url, opts)
    assert [s.kind for s in sets] == ["full", "incremental"] * 3
    with pytest.raises(ValueError):
        archive.prune(url, 0, opts)
    doomed = archive.prune(url, 2, opts, dry_run=True)
    assert doomed == sorted(["20000101T000000.000000Z-full", sets[0].id, sets[1].id])
    assert len(archive.list_sets(url, opts)) == 6
    assert archive.prune(url, 2, opts) == doomed
    assert [s.id for s in archive.list_sets(url, opts)] == [s.id for s in sets[2:]]
    keys = [o["Key"] for o in c.list_objects_v2(Bucket=bucket, Prefix="keep/")["Contents"]]
    assert not any(k.startswith(f"keep/{sets[0].id}/") or k.startswith("keep/20000101") for k in keys)
    assert "keep/notes/readme.txt" in keys
    assert archive.prune(url, 2, opts) == []
    assert restore_from(url, paths, tmp_path, s3_server) == list(range(130))


def test_chain_selection_by_log_position():
    def mk(sid, kind, base, parent, gens, minute):
        t = dt.datetime(2026, 12, 7, 9, minute, tzinfo=dt.timezone.utc)
        return archive.BackupSetInfo(sid, kind, base, parent, t, t + dt.timedelta(seconds=30), "sig", gens)
    sets = [mk("a", "full", "a", None, [1, 2], 0), mk("b", "incremental", "a", "a", [3], 1),
            mk("c", "incremental", "a", "b", [4, 5], 2), mk("d", "full", "d", None, [5, 6], 3),
            mk("e", "incremental", "d", "d", [7], 4)]
    ids = lambda chain: [s.id for s in chain]  # noqa: E731
    assert ids(archive.select_sets(sets)) == ["d", "e"]
    assert ids(archive.select_sets(sets, stop_at=(3, 0, 0))) == ["a", "b"]
    assert ids(archive.select_sets(sets, stop_at=(4, 10, 0))) == ["a", "b", "c"]
    assert ids(archive.select_sets(sets, stop_at=(7, 0, 0))) == ["d", "e"]
    assert ids(archive.select_sets(sets, set_id="b")) == ["a", "b"]
    when = dt.datetime(2026, 12, 7, 9, 1, 40, tzinfo=dt.timezone.utc)  # after b finished, before c
    assert ids(archive.select_sets(sets, stop_at=when)) == ["a", "b", "c"]
    with pytest.raises(archive.NoBackupSet):
        archive.select_sets(sets, stop_at=(1, 0, 0))
    with pytest.raises(archive.NoBackupSet):
        archive.select_sets(sets, set_id="zzz")
    with pytest.raises(TypeError):
        archive.select_sets(sets, stop_at="yesterday")  # type: ignore[arg-type]


def test_without_boto3_a_url_says_what_to_install(monkeypatch, live):
    import sys
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(archive.ArchiveNotAvailable, match=r"esepy\[s3\]"):
        live.backup("s3://bucket/x")
    assert os.listdir(".") == []


def test_server_killed_mid_upload_then_restarted(live, own_s3_server, paths, tmp_path):
    server = own_s3_server
    server.client().create_bucket(Bucket="crash")
    url = "s3://crash/app"
    with live.begin_session() as s:
        t = s.open_database(live.db).open_table("t")
        for start in range(100, 24100, 2000):
            with s.transaction():
                for k in range(start, start + 2000):
                    t.insert({"k": k, "v": f"{k:08d}" * 15})
    logs_before = sorted(os.listdir(paths("live")["log_path"]))
    opts = server.options(part_size=5 << 20, max_concurrency=1, max_attempts=2, connect_timeout=1)

    def crash(p):
        if p.stage == "progress" and p.done_bytes >= 5 << 20 and server.proc is not None:
            server.kill()  # the storage dies between two parts of the database

    with pytest.raises(archive.StorageUnreachable):
        live.backup(url, s3=opts, progress=crash)
    # the engine's backup was aborted: no log truncated, nothing recorded
    assert sorted(os.listdir(paths("live")["log_path"])) == logs_before
    server.start(same_ports=True)
    c = server.client()
    assert archive.list_sets(url, opts) == []  # at most a partial upload: never a set
    for u in c.list_multipart_uploads(Bucket="crash").get("Uploads", []):
        c.abort_multipart_upload(Bucket="crash", Key=u["Key"], UploadId=u["UploadId"])
    live.backup(url, s3=opts)  # the same backup again succeeds
    dest = tmp_path / "dest"
    inst = esepy.Instance("r", **paths("r"))
    try:
        inst.restore_instance(url, dest, s3=opts)
    finally:
        inst.term()
    assert keys_in(paths, "chk", str(dest / "live.edb")) == list(range(24100))


def test_point_in_time_after_the_last_set_or_between_sets(live, s3_server, bucket, paths, tmp_path):
    url = f"s3://{bucket}/pit2"
    opts = s3_server.options()
    live.backup(url, s3=opts)
    fill(live, live.db, range(100, 120))
    live.backup(url, incremental=True, s3=opts)
    time.sleep(0.05)
    quiet = dt.datetime.now()  # no commit between this moment and the next backup
    time.sleep(0.05)
    live.backup(url, incremental=True, s3=opts)
    fill(live, live.db, range(120, 140))
    live.backup(url, incremental=True, s3=opts)
    later = dt.datetime.now() + dt.timedelta(hours=1)  # after every set
    assert restore_from(url, paths, tmp_path, s3_server, name="later", stop_at=later) == list(range(140))
    assert restore_from(url, paths, tmp_path, s3_server, name="quiet", stop_at=quiet) == list(range(120))
