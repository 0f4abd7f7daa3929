"""The CLI's read-only modes accept files written by Windows' ESE (format found
from the header): dump header, tables, export, checksum and dump log."""
import gzip
import hashlib
import json
import os
import shutil

import pytest

SAMPLES = os.environ.get("ESEPY_SAMPLES", "/work/shared/samples")
QMGR = os.path.join(SAMPLES, "qmgr_win11_24h2_16k.db")
SRUM = os.path.join(SAMPLES, "srum_win11_dirty")


@pytest.fixture
def multi(tmp_path):
    path = str(tmp_path / "multi.edb")
    with gzip.open(os.path.join(SAMPLES, "dissect_multi_4k.edb.gz"), "rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_dump_header_tables_checksum(esepy_cli):
    before = sha(QMGR)
    r = esepy_cli("dump", "header", QMGR, "--json")
    assert r.code == 0 and r.json["format"] == "windows-ese", r
    assert r.json["header"]["page_size"] == 16384
    r = esepy_cli("tables", QMGR, "--json")
    assert r.code == 0 and "MSysObjects" in [t["name"] for t in r.json["tables"]], r
    r = esepy_cli("checksum", QMGR, "--json")
    assert r.code == 0 and r.json["ok"] and r.json["files"][0]["format"] == "windows-ese", r
    assert sha(QMGR) == before  # read-only


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


def test_dump_log_of_a_windows_log_folder(esepy_cli):
    r = esepy_cli("dump", "log", SRUM, "--json")
    assert r.code == 0 and r.json["format"] == "windows-ese" and r.json["base"] == "SRU", r
    assert r.json["generations"] == [89, 92]
    r = esepy_cli("dump", "log", os.path.join(SRUM, "SRU0005A.log"), "--json")
    assert r.code == 0 and r.json["files"][0]["generation"] == 90, r


def test_dump_log_reports_a_missing_windows_generation(tmp_path, esepy_cli):
    folder = tmp_path / "logs"
    folder.mkdir()
    for n in ("SRU00059.log", "SRU0005B.log", "SRU.log", "SRU.chk"):
        shutil.copyfile(os.path.join(SRUM, n), folder / n)
    r = esepy_cli("dump", "log", folder, "--json")
    assert r.code == 1 and "JET_errMissingLogFile" in r.err and 90 in r.json["missing"], r
