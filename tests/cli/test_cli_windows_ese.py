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
