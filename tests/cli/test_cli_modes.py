"""Every CLI mode: exit codes, --json output, text output, bad arguments,
missing and damaged files."""
from __future__ import annotations

import csv
import io
import json
import os
import struct
import subprocess
import sys

import pytest

import esepy
import people_workloads as wl
from esepy import inspection
from textfields import text_fields


def _corrupt(path, offset, data=b"\xde\xad\xbe\xef"):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


# -- dump header ---------------------------------------------------------------

def test_dump_header_text_and_json_agree_with_the_engine(clean_folder, esepy_cli):
    db = os.path.join(clean_folder, "w.edb")
    r = esepy_cli("dump", "header", db)
    assert r.code == 0, r
    f = text_fields(r.out)
    assert f["State"] == "CleanShutdown" and f["cbDbPage"] == "4096", r
    j = esepy_cli("dump", "header", db, "--json")
    assert j.code == 0, j
    doc = j.json
    engine = esepy.database_file_info(db)
    assert doc["ok"] is True and doc["state"] == engine["state"] == "CleanShutdown"
    assert doc["page_size"] == engine["page_size"]
    for ours, theirs in (("lgpos_consistent", "lgpos_consistent"), ("lgpos_attach", "lgpos_attach"),
                         ("lgpos_detach", "lgpos_detach")):
        assert (doc[ours]["generation"], doc[ours]["isec"], doc[ours]["ib"]) == engine[theirs]
    assert doc["copies_valid"] == [True, True]


def test_dump_header_of_a_dirty_database_says_what_recovery_needs(dirty_folder, copy_of, esepy_cli):
    db = os.path.join(dirty_folder, "w.edb")
    doc = esepy_cli("dump", "header", db, "--logs", os.path.join(dirty_folder, "logs"), "--json").json
    assert doc["state"] == "DirtyShutdown"
    rec = doc["recovery"]
    assert rec["needs_recovery"] and rec["recoverable"] and rec["missing"] == []
    assert rec["gen_min_required"] >= 1 and rec["gen_max_required"] >= rec["gen_min_required"]
    # take away a required archived generation: it is reported missing
    folder = copy_of(dirty_folder)
    gen = rec["gen_min_required"]
    archived = os.path.join(folder, "logs", "edb%05X.log" % gen)
    assert os.path.exists(archived)
    os.unlink(archived)
    doc = esepy_cli("dump", "header", os.path.join(folder, "w.edb"), "--logs",
                    os.path.join(folder, "logs"), "--json").json
    assert gen in doc["recovery"]["missing"] and doc["recovery"]["recoverable"] is False


# -- dump log / checkpoint -------------------------------------------------------

def test_dump_log_folder(clean_folder, esepy_cli):
    r = esepy_cli("dump", "log", os.path.join(clean_folder, "logs"), "--json")
    assert r.code == 0, r
    doc = r.json
    gens = [f["header"]["generation"] for f in doc["files"]]
    assert gens == sorted(gens) and len(gens) >= 2
    assert doc["check"]["ok"] and doc["check"]["generations"] == gens
    assert all(f["record_count"] > 0 for f in doc["files"])
    assert all(f["ended_with_genend"] for f in doc["files"][:-1])
    total = sum(f["record_count"] for f in doc["files"])
    assert total == doc["check"]["records"]
    text = esepy_cli("dump", "log", os.path.join(clean_folder, "logs")).out
    assert "no damaged log files were found" in text and text_fields(text)["lGeneration"] == "1 (0x1)"
    text = esepy_cli("dump", "log", os.path.join(clean_folder, "logs", "edb00001.log"), "--records").out
    first = [line.split() for line in text.splitlines() if line.strip().startswith("(0x1,1,0)")]
    assert first and first[0][:2] == ["(0x1,1,0)", "Init"], text


def test_dump_log_records_match_what_was_written(clean_folder, esepy_cli):
    lf = os.path.join(clean_folder, "logs")
    recs = list(inspection.LogFolder(lf).records())
    commits = [r for r in recs if r.type_name == "Commit"]
    # populate() commits the DDL transaction and one transaction per 50 rows
    assert len(commits) >= wl.ROWS // 50
    assert len({r.transaction for r in commits}) == len(commits)
    # versioned inserts carry their UNDO: InsertUndo (log volume, issue 20)
    inserts = [r for r in recs if r.type_name in ("Insert", "InsertUndo") and r.dbid == 1]
    assert len(inserts) >= wl.ROWS
    assert [r.lgpos for r in recs] == sorted(r.lgpos for r in recs)
    r = esepy_cli("dump", "log", os.path.join(lf, "edb00001.log"), "--records", "--limit", "3", "--json")
    assert r.code == 0, r
    f = r.json["files"][0]
    assert len(f["records"]) == 3 and f["records"][0]["type"] == "Init" and f["records"][0]["lgpos"] == "(0x1,1,0)"


def test_dump_checkpoint(clean_folder, esepy_cli):
    system = os.path.join(clean_folder, "system")
    r = esepy_cli("dump", "checkpoint", system, "--json")
    assert r.code == 0, r
    doc = r.json
    assert doc["copies_valid"] == [True, True]
    current = inspection.LogFile(os.path.join(clean_folder, "logs", "edb.log"))
    assert doc["checkpoint"]["generation"] == current.generation
    assert doc["signature"]["random"] == current.header.signature.random
    text = esepy_cli("dump", "checkpoint", os.path.join(system, "edb.chk")).out
    assert text_fields(text)["Checkpoint"] == doc["checkpoint"]["text"], text


# -- checksum ---------------------------------------------------------------------

def test_checksum_of_good_files(clean_folder, esepy_cli):
    files = [os.path.join(clean_folder, "w.edb"), os.path.join(clean_folder, "logs"),
             os.path.join(clean_folder, "logs", "edb00001.log"), os.path.join(clean_folder, "system", "edb.chk")]
    r = esepy_cli("checksum", *files, "--json")
    assert r.code == 0, r
    doc = r.json
    assert doc["ok"] and [f["ok"] for f in doc["files"]] == [True] * 4
    db = doc["files"][0]
    assert db["bad_checksum"] == 0 and db["pages"] == inspection.DatabaseFile(files[0]).page_count
    assert db["good"] + db["uninitialized"] == db["pages"] and db["good"] > 3


def test_checksum_finds_a_damaged_page(clean_folder, copy_of, esepy_cli):
    folder = copy_of(clean_folder)
    db = os.path.join(folder, "w.edb")
    _corrupt(db, (3 + 1) * 4096 + 100)          # inside data page 3
    r = esepy_cli("checksum", db, "--json")
    assert r.code == 1, r
    assert "JET_errReadVerifyFailure (-1018)" in r.err and "page 3 checksum failed" in r.err
    doc = r.json
    assert doc["ok"] is False and doc["error"]["name"] == "JET_errReadVerifyFailure"
    f = doc["files"][0]
    assert f["bad_checksum"] == 1 and [p["pgno"] for p in f["problems"]] == [3]


def test_checksum_and_integrity_list_the_pages_a_truncated_file_lacks(clean_folder, copy_of, esepy_cli):
    folder = copy_of(clean_folder)
    db = os.path.join(folder, "w.edb")
    owned = inspection.DatabaseFile(db).pages_used  # the pages holding data
    keep = owned // 2
    with open(db, "r+b") as f:
        f.truncate((keep + 2) * 4096)
    r = esepy_cli("checksum", db, "--json")
    assert r.code == 1, r
    doc = r.json
    assert doc["error"]["name"] == "JET_errDatabaseCorrupted"
    f = doc["files"][0]
    assert f["ok"] is False and f["missing"] == [[keep + 1, owned]] and f["missing_pages"] == owned - keep
    r = esepy_cli("checksum", db)
    assert r.code == 1
    assert f"pages {keep + 1}..{owned}" in r.err and db in r.err and f"{owned - keep} missing pages" in r.out
    r = esepy_cli("integrity", db, "--json")
    assert r.code == 1, r
    assert any(f"pages {keep + 1}..{owned}" in p for p in r.json["problems_text"]), r
    assert "JET_errDatabaseCorrupted" in r.err


def test_checksum_finds_a_damaged_archived_log_and_checkpoint(clean_folder, copy_of, esepy_cli):
    folder = copy_of(clean_folder)
    log = os.path.join(folder, "logs", "edb00001.log")
    _corrupt(log, 4096 + 700)
    r = esepy_cli("checksum", log)
    assert r.code == 1 and "JET_errLogFileCorrupt (-501)" in r.err, r
    r = esepy_cli("checksum", os.path.join(folder, "logs"), "--json")
    assert r.code == 1 and any("generation 1" in p for p in r.json["files"][0]["problems"]), r
    chk = os.path.join(folder, "system", "edb.chk")
    _corrupt(chk, 4096 + 20)                        # copy B only
    r = esepy_cli("checksum", chk, "--json")
    assert r.code == 1 and r.json["files"][0]["copies_valid"] == [True, False], r
    assert inspection.read_checkpoint(chk).copy == "A"   # still readable from copy A


# -- integrity ----------------------------------------------------------------------

def test_integrity_of_a_good_database(clean_folder, esepy_cli):
    r = esepy_cli("integrity", os.path.join(clean_folder, "w.edb"), "--json")
    assert r.code == 0, r
    doc = r.json
    trees = {t["name"]: t for t in doc["trees"]}
    assert trees["t"]["nodes"] == wl.ROWS and trees["t"]["depth"] >= 2
    assert doc["records"] == {"checked": True, "tables": 1, "records": wl.ROWS}
    assert doc["problems"] == [] and doc["ok"]
    assert "Integrity check successful." in esepy_cli("integrity", os.path.join(clean_folder, "w.edb")).out


def _rewrite_page(path, pgno, change):
    with open(path, "r+b") as f:
        f.seek((pgno + 1) * 4096)
        page = bytearray(f.read(4096))
        change(page)
        struct.pack_into("<I", page, 0, inspection.crc32c(bytes(page[4:]), pgno))
        f.seek((pgno + 1) * 4096)
        f.write(page)


def test_integrity_finds_a_broken_leaf_chain_with_valid_checksums(clean_folder, copy_of, esepy_cli):
    folder = copy_of(clean_folder)
    db = os.path.join(folder, "w.edb")
    df = inspection.DatabaseFile(db)
    ts = {t.name: t for t in df.space_usage()}["t"]
    leaf = next(p for p in range(1, df.page_count + 1)
                if struct.unpack_from("<II", df.read_page(p), 16) == (ts.objid, 1) and
                struct.unpack_from("<I", df.read_page(p), 28)[0] != 0)
    _rewrite_page(db, leaf, lambda pg: struct.pack_into("<I", pg, 28, 0))   # cut the "next" link
    assert esepy_cli("checksum", db).code == 0          # every page checksum is fine...
    r = esepy_cli("integrity", db, "--json")
    assert r.code == 1, r                                # ...but the tree is not
    assert any(p["error"] == "JET_errBadPageLink" and p["pgno"] == leaf for p in r.json["problems"])
    assert "JET_errDatabaseCorrupted" in r.err


def test_integrity_refuses_a_dirty_database(dirty_folder, esepy_cli):
    r = esepy_cli("integrity", os.path.join(dirty_folder, "w.edb"))
    assert r.code == 1 and "JET_errDatabaseDirtyShutdown (-550)" in r.err and "recover" in r.err, r


# -- recover -------------------------------------------------------------------------

def test_recover_a_killed_writers_folder(dirty_folder, copy_of, esepy_cli):
    folder = copy_of(dirty_folder)
    r = esepy_cli("recover", "--logs", os.path.join(folder, "logs"), "--system", os.path.join(folder, "system"),
                  "--db-dir", folder, "--json")
    assert r.code == 0, r
    doc = r.json
    assert doc["databases"] == [{"path": os.path.join(folder, "w.edb"),
                                 "logged_path": os.path.join(dirty_folder, "w.edb"),
                                 "before": "DirtyShutdown", "after": "CleanShutdown"}]
    assert "recovery complete" in doc["events"]
    # the original (which the logs name) was not touched; the copy now holds every committed row
    assert inspection.read_database_header(os.path.join(dirty_folder, "w.edb")).state == "DirtyShutdown"
    with inspection.open_database(os.path.join(folder, "w.edb")) as ro:
        assert ro.source == "file"
        keys = [rec["k"] for rec in ro.records("t")]
    assert keys == list(range(wl.ROWS))


def test_recover_with_a_missing_folder_is_an_error(tmp_path, esepy_cli):
    r = esepy_cli("recover", "--logs", tmp_path / "nope", "--system", tmp_path)
    assert r.code == 1 and "JET_errInvalidPath" in r.err, r


# -- tables / export ---------------------------------------------------------------------

def test_tables(clean_folder, esepy_cli):
    r = esepy_cli("tables", os.path.join(clean_folder, "w.edb"), "--json")
    assert r.code == 0, r
    (t,) = r.json["tables"]
    assert t["name"] == "t" and t["records"] == wl.ROWS and t["primary_key"] == ["k"] and t["pages"] >= 2
    assert {c["name"]: c["type"] for c in t["columns"]} == {
        "k": "long", "v": "text", "when": "datetime", "blob": "binary", "g": "guid", "ok": "bit"}
    assert r.json["source"] == "file"


def test_tables_of_a_dirty_database_through_its_logs(dirty_folder, esepy_cli):
    r = esepy_cli("tables", os.path.join(dirty_folder, "w.edb"), "--logs", os.path.join(dirty_folder, "logs"),
                  "--system", os.path.join(dirty_folder, "system"), "--json")
    assert r.code == 0, r
    assert r.json["source"] == "recovered copy" and r.json["tables"][0]["records"] == wl.ROWS


def test_export_csv_and_json(clean_folder, tmp_path, esepy_cli):
    db = os.path.join(clean_folder, "w.edb")
    r = esepy_cli("export", db, "t", "--format", "csv")
    assert r.code == 0, r
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert len(rows) == wl.ROWS
    want = wl.row(7)
    assert rows[7]["k"] == "7" and rows[7]["v"] == want["v"] and rows[7]["when"] == want["when"].isoformat()
    assert rows[7]["blob"] == want["blob"].hex() and rows[7]["g"] == str(want["g"]) and rows[7]["ok"] == "False"
    out = tmp_path / "t.json"
    r = esepy_cli("export", db, "t", "--format", "json", "-o", out, "--json")
    assert r.code == 0 and r.json["records"] == wl.ROWS, r
    data = json.loads(out.read_text())
    assert [d["k"] for d in data] == list(range(wl.ROWS)) and data[3]["v"] == "value 3"


def test_export_parquet(clean_folder, tmp_path, esepy_cli):
    db = os.path.join(clean_folder, "w.edb")
    out = tmp_path / "t.parquet"
    r = esepy_cli("export", db, "t", "--format", "parquet", "-o", out)
    try:
        import pyarrow.parquet as pq
    except ImportError:
        assert r.code == 1 and "JET_errFeatureNotAvailable" in r.err and "pip install 'esepy[parquet]'" in r.err
        assert not out.exists()
    else:
        assert r.code == 0, r
        assert pq.read_table(out).num_rows == wl.ROWS


def test_export_of_an_unknown_table(clean_folder, esepy_cli):
    r = esepy_cli("export", os.path.join(clean_folder, "w.edb"), "nope", "--json")
    assert r.code == 1 and "JET_errObjectNotFound (-1305)" in r.err and r.json["error"]["code"] == -1305, r


# -- errors, usage, framing ------------------------------------------------------------------

@pytest.mark.parametrize("argv", [[], ["frob"], ["dump"], ["dump", "header"], ["checksum"],
                                  ["export", "x.edb", "t", "--format", "xml"], ["recover", "--logs", "x"],
                                  ["dump", "log", "x", "--limit", "many"]])
def test_usage_errors_exit_2(argv, esepy_cli):
    r = esepy_cli(*argv)
    assert r.code == 2, r
    assert "usage: esepy" in r.err


@pytest.mark.parametrize("mode", [["dump", "header"], ["dump", "log"], ["dump", "checkpoint"], ["checksum"],
                                  ["integrity"], ["tables"]])
def test_missing_files_are_jet_errors(mode, tmp_path, esepy_cli):
    r = esepy_cli(*mode, tmp_path / "missing.edb", "--json")
    assert r.code == 1, r
    assert r.json["ok"] is False and r.json["error"]["name"] in ("JET_errFileNotFound", "JET_errCheckpointFileNotFound")
    assert r.err.startswith("error: JET_err")


@pytest.mark.parametrize("mode", [["dump", "header"], ["dump", "log"], ["dump", "checkpoint"], ["checksum"],
                                  ["integrity"], ["tables"]])
def test_files_of_another_kind_are_refused(mode, tmp_path, esepy_cli):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(16384))
    r = esepy_cli(*mode, junk)
    assert r.code == 1 and "JET_errFileInvalidType (-1812)" in r.err, r


def test_a_database_with_both_header_copies_damaged(clean_folder, copy_of, esepy_cli):
    folder = copy_of(clean_folder)
    db = os.path.join(folder, "w.edb")
    _corrupt(db, 300)
    assert esepy_cli("dump", "header", db, "--json").json["copy"] == "B"     # the shadow copy serves
    _corrupt(db, 4096 + 300)
    r = esepy_cli("dump", "header", db)
    assert r.code == 1 and "JET_errDatabaseCorrupted (-1206)" in r.err, r


def test_progress_bar_on_request(clean_folder, esepy_cli):
    r = esepy_cli("checksum", os.path.join(clean_folder, "w.edb"), "--progress")
    assert r.code == 0 and "100%" in r.err and "page" in r.err, r
    assert "100%" not in esepy_cli("checksum", os.path.join(clean_folder, "w.edb"), "--no-progress").err


def test_backup_and_restore_hooks(clean_folder, tmp_path, monkeypatch, esepy_cli):
    folder = clean_folder
    argv = ["backup", tmp_path / "bk", "--logs", os.path.join(folder, "logs"), "--system", os.path.join(folder, "system")]
    if not hasattr(esepy.Instance, "backup"):
        r = esepy_cli(*argv)
        assert r.code == 1 and "JET_errFeatureNotAvailable" in r.err and "Instance.backup" in r.err, r
    if not hasattr(esepy.Instance, "restore_instance"):
        r = esepy_cli("restore", tmp_path / "bk")
        assert r.code == 1 and "Instance.restore_instance" in r.err, r
    calls = []

    class P:
        def __init__(self, stage, done, total):
            self.operation, self.stage, self.done, self.total = "backup", stage, done, total

    def fake_backup(self, path, incremental=False, atomic=False, progress=None):
        calls.append(("backup", str(path), incremental, atomic))
        for p in (P("begin", 0, 10), P("progress", 5, 10), P("complete", 10, 10)):
            progress(p)

    def fake_restore(self, backup_dir, dest=None, progress=None, stop_at=None):
        calls.append(("restore", str(backup_dir), dest, stop_at))

    monkeypatch.setattr(esepy.Instance, "backup", fake_backup, raising=False)
    monkeypatch.setattr(esepy.Instance, "restore_instance", fake_restore, raising=False)
    r = esepy_cli(*argv, "--incremental", "--progress")
    assert r.code == 0 and calls[0] == ("backup", str(tmp_path / "bk"), True, False), r
    assert "10.0kB/10.0kB" in r.err and "100%" in r.err  # KiB reports shown as bytes with units
    r = esepy_cli("restore", tmp_path / "bk", "--dest", tmp_path / "out", "--stop-at", "2024-01-02T03:04:05",
                  "--logs", tmp_path / "rl", "--system", tmp_path / "rs", "--json")
    assert r.code == 0, r
    import datetime
    assert calls[1] == ("restore", str(tmp_path / "bk"), str(tmp_path / "out"), datetime.datetime(2024, 1, 2, 3, 4, 5))
    r = esepy_cli("restore", tmp_path / "bk", "--stop-at", "yesterday")
    assert r.code == 2 and "ISO 8601" in r.err, r
    # Without --logs or --dest restore has nowhere to put its logs: refused, the
    # current folder stays empty (it used to receive a checkpoint and logs).
    before = os.listdir(".")
    r = esepy_cli("restore", tmp_path / "bk")
    assert r.code == 2 and "--logs" in r.err and "--dest" in r.err, r
    assert os.listdir(".") == before


def test_the_command_registry_takes_new_modes(esepy_cli):
    from esepy import cli

    @cli.command("dump frob", "Frobnicate", lambda p: p.add_argument("x"))
    def _frob(ns, out):
        out.text(f"frob {ns.x}")
        return {"frob": ns.x}
    try:
        assert esepy_cli("dump", "frob", "1").out == "frob 1\n"
        assert esepy_cli("dump", "frob", "2", "--json").json == {"frob": "2", "ok": True}
    finally:
        del cli.COMMANDS["dump frob"]


def test_console_script_and_python_m(clean_folder):
    db = os.path.join(clean_folder, "w.edb")
    exe = os.path.join(os.path.dirname(sys.executable), "esepy")
    for argv in ([exe, "dump", "header", db, "--json"], [sys.executable, "-m", "esepy", "dump", "header", db, "--json"]):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["state"] == "CleanShutdown"
    p = subprocess.run([sys.executable, "-m", "esepy", "--version"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == f"esepy {esepy.__version__}"
    p = subprocess.run([sys.executable, "-m", "esepy", "dump", "header"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2


def test_demo(tmp_path, esepy_cli):
    r = esepy_cli("demo", tmp_path / "demo", "--json")
    assert r.code == 0, r
    assert "OK: every committed record survived the crash" in r.json["output"]
    assert "\r" not in r.json["output"] and "|#" not in r.json["output"]  # no progress-bar frames
    restored = str(tmp_path / "demo" / "restored" / "demo.edb")
    assert inspection.read_database_header(restored).state == "CleanShutdown"


def test_demo_streams_its_output(tmp_path):
    """`esepy demo` shows each step as it happens, not all at the end."""
    p = subprocess.Popen([sys.executable, "-m", "esepy", "demo", str(tmp_path / "demo")],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = p.stdout.readline()
        assert first.startswith("esepy ") and "demo in" in first
        assert p.poll() is None  # the demo is still running: the line was not held back
        rest = p.stdout.read()
    finally:
        p.wait(timeout=300)
    assert p.returncode == 0, rest
    assert "OK: every committed record survived the crash" in rest


def test_integrity_reports_progress_through_the_record_check(clean_folder, esepy_cli):
    r = esepy_cli("integrity", os.path.join(clean_folder, "w.edb"), "--progress")
    assert r.code == 0, r
    assert "integrity (pages)" in r.err and "integrity (records)" in r.err
    assert "record" in r.err.split("integrity (records)")[1]


def test_backup_and_restore_with_the_engine(clean_folder, copy_of, tmp_path, esepy_cli):
    folder = copy_of(clean_folder)
    db = os.path.join(folder, "w.edb")
    bk = tmp_path / "bk"
    # A failed backup leaves no folder behind; a good one creates its folder.
    r = esepy_cli("backup", bk, "--logs", os.path.join(folder, "no-logs"), "--system", os.path.join(folder, "system"),
                  "--db", db, "--json")
    assert r.code == 1 and not bk.exists(), r
    r = esepy_cli("backup", bk, "--logs", os.path.join(folder, "logs"), "--system", os.path.join(folder, "system"),
                  "--db", db, "--json")
    assert r.code == 0, r
    assert sorted(n for n in os.listdir(bk) if not n.endswith(".log")) == ["w.edb", "w.pat"]
    out = tmp_path / "out"
    r = esepy_cli("restore", bk, "--dest", out, "--logs", tmp_path / "rl", "--system", tmp_path / "rs")
    assert r.code == 0, r
    r = esepy_cli("tables", out / "w.edb", "--json")
    assert r.code == 0 and "t" in r.out, r
    os.unlink(bk / "w.pat")
    r = esepy_cli("restore", bk, "--dest", tmp_path / "out2", "--logs", tmp_path / "rl2", "--system", tmp_path / "rs2")
    assert r.code == 1 and "JET_errPatchFileMissing" in r.err, r
