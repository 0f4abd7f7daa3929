"""The CLI's read-only modes accept files written by Windows' ESE (format found
from the header): dump header, tables, export, checksum and dump log."""
import hashlib
import json
import os
import shutil

import pytest


@pytest.fixture
def qmgr(ese_samples):
    return os.path.join(ese_samples, "qmgr_win11_24h2_16k.db")


@pytest.fixture
def srum(ese_samples):
    return os.path.join(ese_samples, "srum_win11_dirty")


@pytest.fixture
def multi(tmp_path, ese_samples):
    path = str(tmp_path / "multi.edb")
    shutil.copyfile(os.path.join(ese_samples, "dissect_multi_4k.edb"), path)
    return path


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_dump_header_tables_checksum(esepy_cli, qmgr):
    before = sha(qmgr)
    r = esepy_cli("dump", "header", qmgr, "--json")
    assert r.code == 0 and r.json["format"] == "windows-ese", r
    assert r.json["header"]["page_size"] == 16384
    r = esepy_cli("tables", qmgr, "--json")
    assert r.code == 0 and "MSysObjects" in [t["name"] for t in r.json["tables"]], r
    r = esepy_cli("checksum", qmgr, "--json")
    assert r.code == 0 and r.json["ok"] and r.json["files"][0]["format"] == "windows-ese", r
    assert sha(qmgr) == before  # read-only


def test_export_multi_values(multi, tmp_path, esepy_cli):
    r = esepy_cli("tables", multi, "--json")
    user = [t for t in r.json["tables"] if not t["name"].startswith("MSys")]
    assert user, r
    name = user[0]["name"]
    out = tmp_path / "t.json"
    r = esepy_cli("export", multi, name, "--format", "json", "-o", out)
    assert r.code == 0, r
    rows = json.loads(out.read_text())
    assert len(rows) == user[0]["records"]
    r = esepy_cli("export", multi, "NoSuchTable")
    assert r.code == 1 and "JET_errObjectNotFound" in r.err


def test_dump_log_of_a_windows_log_folder(esepy_cli, srum):
    r = esepy_cli("dump", "log", srum, "--json")
    assert r.code == 0 and r.json["format"] == "windows-ese" and r.json["base"] == "SRU", r
    assert r.json["generations"] == [89, 92]
    r = esepy_cli("dump", "log", os.path.join(srum, "SRU0005A.log"), "--json")
    assert r.code == 0 and r.json["files"][0]["generation"] == 90, r


def test_dump_log_reports_a_missing_windows_generation(tmp_path, esepy_cli, srum):
    folder = tmp_path / "logs"
    folder.mkdir()
    for n in ("SRU00059.log", "SRU0005B.log", "SRU.log", "SRU.chk"):
        shutil.copyfile(os.path.join(srum, n), folder / n)
    r = esepy_cli("dump", "log", folder, "--json")
    assert r.code == 1 and "JET_errMissingLogFile" in r.err and 90 in r.json["missing"], r


def test_tables_shows_column_types_and_index_keys(esepy_cli, srum):
    r = esepy_cli("tables", os.path.join(srum, "SRUDB.dat"), "--json")
    assert r.code == 0, r
    t = {t["name"]: t for t in r.json["tables"]}["SruDbIdMapTable"]
    types = {c["name"]: (c["type"], c["kind"]) for c in t["columns"]}
    assert types == {"IdType": ("UnsignedByte", "fixed"), "IdIndex": ("Long", "fixed"),
                     "IdBlob": ("LongBinary", "tagged")}, types
    assert t["primary_key"] == ["+IdIndex"]
    assert {x["name"]: x["key"] for x in t["indexes"]} == {"IdIndex": ["+IdIndex"],
                                                          "IdTypeIdBlob": ["+IdType", "+IdBlob"]}
    r = esepy_cli("tables", os.path.join(srum, "SRUDB.dat"))
    assert r.code == 0 and "IdIndex Long" in r.out and "+IdIndex" in r.out, r


@pytest.mark.parametrize("args", [["export", "SRUDB.dat", "SruDbIdMapTable"],
                                  ["export", "SRUDB.dat", "SruDbIdMapTable", "--json"],
                                  ["tables", "SRUDB.dat"], ["dump", "header", "SRUDB.dat"]])
def test_output_into_a_closed_pipe_stops_quietly(srum, args):
    """`esepy ... | head`: the reader is gone (here before esepy writes anything,
    so every write fails); esepy stops with exit code 141 and no traceback nor
    error message (issue 17 item 6)."""
    import subprocess
    import sys
    argv = [a if a != "SRUDB.dat" else os.path.join(srum, a) for a in args]
    p = subprocess.Popen([sys.executable, "-m", "esepy", *argv], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.close()  # what head does once it has its lines
    err = p.stderr.read().decode()
    p.stderr.close()
    assert (p.wait(), err) == (141, "")


def test_output_piped_into_head(srum):
    """The shell pipeline itself: the first line arrives, nothing on stderr."""
    import subprocess
    import sys
    db = os.path.join(srum, "SRUDB.dat")
    cmd = f"'{sys.executable}' -m esepy tables '{db}' | head -n 1"
    r = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("Database (Windows ESE)") and r.stderr == "", r


def test_checksum_of_an_intact_windows_log_folder_and_files(esepy_cli, srum):
    """Issue 17 item 2: an intact SRUM log folder used to be reported DAMAGED."""
    r = esepy_cli("checksum", srum, "--json")
    assert r.code == 0 and r.json["ok"], r
    f = r.json["files"][0]
    assert f["format"] == "windows-ese" and f["generations"] == [89, 90, 91, 92], f
    assert f["transitions_ok"] == f["transitions"] == 3 and f["problems"] == []
    r = esepy_cli("checksum", os.path.join(srum, "SRU.log"), os.path.join(srum, "SRU0005A.log"),
                  os.path.join(srum, "SRU.chk"), "--json")
    assert r.code == 0 and r.json["ok"], r
    cur, old, chk = r.json["files"]
    assert (cur["generation"], cur["good_segments"], cur["end_kind"]) == (92, 9, "zero")
    assert (old["generation"], old["good_segments"], old["end_kind"]) == (90, 14, "full")
    assert chk["kind"] == "checkpoint" and chk["copies_valid"] == [True, True]
    r = esepy_cli("checksum", srum)
    assert r.code == 0 and "OK" in r.out and "DAMAGED" not in r.out, r


def windows_log_copy(srum, folder, skip=()):
    folder.mkdir()
    for n in ("SRU00059.log", "SRU0005A.log", "SRU0005B.log", "SRU.log", "SRU.chk"):
        if n not in skip:
            shutil.copyfile(os.path.join(srum, n), folder / n)
    return folder


def test_checksum_finds_a_damaged_windows_log_sector(esepy_cli, srum, tmp_path):
    folder = windows_log_copy(srum, tmp_path / "logs")
    log = folder / "SRU0005A.log"
    b = bytearray(log.read_bytes())
    b[3 * 4096 + 2000] ^= 0x07  # three bits of sector 3: beyond single-bit correction
    log.write_bytes(bytes(b))
    r = esepy_cli("checksum", log, "--json")
    assert r.code == 1 and not r.json["ok"] and "JET_errLogFileCorrupt" in r.err, r
    assert "sector 3 fails its checksum" in r.err
    r = esepy_cli("checksum", folder, "--json")
    assert r.code == 1 and "JET_errLogFileCorrupt" in r.err and "SRU0005A.log: sector 3" in r.err, r
    b[3 * 4096 + 2000] ^= 0x06  # one bit: ESE corrects it, so does the reader (reported)
    log.write_bytes(bytes(b))
    r = esepy_cli("checksum", log, "--json")
    assert r.code == 0 and r.json["files"][0]["corrected_segments"] == 1, r


def test_checksum_of_a_windows_log_folder_missing_a_generation(esepy_cli, srum, tmp_path):
    folder = windows_log_copy(srum, tmp_path / "logs", skip=("SRU0005A.log",))
    r = esepy_cli("checksum", folder, "--json")
    assert r.code == 1 and "JET_errMissingLogFile" in r.err and r.json["files"][0]["missing"] == [90], r


def test_checksum_of_a_damaged_windows_checkpoint_copy(esepy_cli, srum, tmp_path):
    chk = tmp_path / "SRU.chk"
    b = bytearray(open(os.path.join(srum, "SRU.chk"), "rb").read())
    b[4096 + 100] ^= 0x01  # the second copy
    chk.write_bytes(bytes(b))
    r = esepy_cli("checksum", chk, "--json")
    assert r.code == 1 and r.json["files"][0]["copies_valid"] == [True, False], r
    assert "JET_errCheckpointCorrupt" in r.err


def test_dump_checkpoint_of_a_windows_checkpoint(esepy_cli, srum):
    for target in (os.path.join(srum, "SRU.chk"), srum):
        r = esepy_cli("dump", "checkpoint", target, "--json")
        assert r.code == 0 and r.json["format"] == "windows-ese", r
        c = r.json["checkpoint"]
        assert c["lgpos_checkpoint"] == [92, 8, 0] and c["copies_valid"] == [True, True]
    r = esepy_cli("dump", "checkpoint", os.path.join(srum, "SRU.chk"))
    assert r.code == 0 and "(92, 8, 0)" in r.out and "A=True B=True" in r.out, r


def test_integrity_checks_a_windows_database(esepy_cli, srum, qmgr):
    """integrity checks Windows databases (B+trees and space, tests/ese/test_ese_integrity.py); a dirty
    one only with --force, and saying why, never as damage."""
    r = esepy_cli("integrity", os.path.join(srum, "SRUDB.dat"))
    assert r.code == 1 and "DirtyShutdown" in r.err and "--force" in r.err, r
    assert "DAMAGED" not in r.out and "Corrupt" not in r.err
    r = esepy_cli("integrity", os.path.join(srum, "SRUDB.dat"), "--force", "--json")
    assert r.code == 0 and r.json["ok"] and r.json["findings"] == [] and r.json["records"] > 4000, r
    before = sha(qmgr)
    r = esepy_cli("integrity", qmgr, "--force")
    assert r.code == 0 and "Integrity check successful." in r.out, r
    assert sha(qmgr) == before  # read-only
