"""The audit of a Windows ESE database against its logs (esepy.verify_logs,
``esepy verify-logs DB --logs DIR``, EsepyEseVerifyLogs): on the SRUM sample of
tests/data/ese every page whose whole history is in generations 89-92 is rebuilt
from the logs alone and matches the file; a copy with one byte of one node's data
changed (checksum re-stamped) is reported as differing, naming that page and node.

Expected values: reference ese-log-format.md §4.5 (66 pages touched by the win11
logs, the fully logged ones rebuildable) and §5.4 item 4.
"""
import io
import json
import os
import shutil
import struct

import pytest

import esepy
from esepy.cli import main

from ese_checksums import segment_checksum
from test_ese_recover import PAGE, evidence, unchanged  # noqa: F401


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(argv), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def tamper(folder, report):
    """Change the last data byte of one node of the matching page with the longest logged
    history (its checksum re-stamped); returns (pgno, line)."""
    target = max((p for p in report.matching if p["rebuilt"]["bytes_equal"]), key=lambda p: p["records"])
    pgno = target["pgno"]
    path = os.path.join(folder, "SRUDB.dat")
    with esepy.open_ese(path) as db:
        ntag = db.page(pgno)["tag_count"]
        for itag in range(ntag - 1, 0, -1):   # a node whose bytes occur once on the page
            _flags, node = db.page_tag(pgno, itag)
            with open(path, "rb") as f:
                f.seek((pgno + 1) * PAGE)
                page = bytearray(f.read(PAGE))
            if len(node) > 8 and page.count(node) == 1:
                break
    i = page.find(node) + len(node) - 1
    page[i] ^= 0x01
    struct.pack_into("<Q", page, 0, segment_checksum(bytes(page), pgno))
    with open(path, "r+b") as f:
        f.seek((pgno + 1) * PAGE)
        f.write(page)
    return pgno, itag - 1   # lines are numbered after tag 0


def test_fully_logged_pages_match(evidence):
    with unchanged(evidence):
        rep = esepy.verify_logs(os.path.join(evidence, "SRUDB.dat"), evidence)
    assert rep.ok and rep.differing == []
    assert rep.generations == (89, 92) and rep.dbid == 1
    assert len(rep.pages) == 66                                    # every page the logs name (reference §4.5)
    assert [p["pgno"] for p in rep.pages] == sorted(p["pgno"] for p in rep.pages)
    assert len(rep.matching) >= 26 and len(rep.matching) + len(rep.unchecked) == 66
    for p in rep.matching:
        rb = p["rebuilt"]
        assert rb["events"] >= 1 and rb["dbtime_rebuilt"] == rb["dbtime_disk"]
        assert p["last_records"] and p["records"] >= rb["events"] - 1
    assert rep.bytes_equal >= 26
    for p in rep.unchecked:                                        # never a silent skip: each says why
        assert p["reason"] and p["rebuilt"] is None or p["rebuilt"]["note"] or "older" in p["reason"]
        if p["rebuilt"] is None:
            assert "begins before generation 89" in p["reason"]
    assert "66 page(s)" in str(rep) and "0 differ" in str(rep)
    html = rep._repr_html_()
    assert html.count("<tr") == 67 and "<table>" in html
    json.loads(rep.to_json())


def test_a_changed_byte_is_found_with_its_page_and_node(evidence, tmp_path):
    work = str(tmp_path / "work")
    shutil.copytree(evidence, work)
    before = esepy.verify_logs(os.path.join(work, "SRUDB.dat"), work)
    pgno, line = tamper(work, before)
    rep = esepy.verify_logs(os.path.join(work, "SRUDB.dat"), work)
    assert not rep.ok
    assert [p["pgno"] for p in rep.differing] == [pgno]
    assert len(rep.matching) == len(before.matching) - 1
    p = rep.page(pgno)
    assert p["rebuilt"]["difference"] == 100 + line and p["line"] == line
    logs, disk = p["node_from_logs"], p["node_on_disk"]
    assert logs["key"] == disk["key"] and logs["flags"] == disk["flags"]
    diff = [i for i, (a, b) in enumerate(zip(logs["data"], disk["data"])) if a != b]
    assert diff == [len(logs["data"]) - 1] and logs["data"][-1] ^ disk["data"][-1] == 1
    assert p["last_records"] and all(r["lgpos"][0] in range(89, 93) for r in p["last_records"])
    text = str(rep)
    assert f"page {pgno} DIFFERS" in text and f"first differing node: line {line}" in text
    assert "differs" in rep._repr_html_()


def test_cli_verify_logs(evidence, tmp_path):
    db = os.path.join(evidence, "SRUDB.dat")
    rc, out, err = run_cli("verify-logs", db, "--logs", evidence)
    assert rc == 0, err
    assert "0 differ" in out
    rc, out, _ = run_cli("verify-logs", db, "--logs", evidence, "--json")
    doc = json.loads(out)
    assert rc == 0 and doc["ok"] and doc["pages_named"] == 66 and doc["differ"] == 0
    work = str(tmp_path / "work")
    shutil.copytree(evidence, work)
    pgno, _line = tamper(work, esepy.verify_logs(os.path.join(work, "SRUDB.dat"), work))
    rc, out, err = run_cli("verify-logs", os.path.join(work, "SRUDB.dat"), "--logs", work, "--json")
    doc = json.loads(out)
    assert rc == 1 and not doc["ok"] and doc["differ"] == 1
    assert doc["error"]["name"] == "JET_errDatabaseCorrupted" and str(pgno) in doc["error"]["operation"]
    assert [p["pgno"] for p in doc["pages"] if p["verdict"] == "differs"] == [pgno]
    # usage errors
    assert run_cli("verify-logs", db)[0] == 2                                  # --logs missing
    assert run_cli("verify-logs", db, "--logs", str(tmp_path / "nowhere"))[0] == 2
    other = str(tmp_path / "plain.txt")
    with open(other, "w") as f:
        f.write("not a database")
    assert run_cli("verify-logs", other, "--logs", evidence)[0] == 2


def test_c_entry_point(evidence, tmp_path):
    """EsepyEseVerifyLogs through cffi: counts, one entry per page named, a truncated buffer."""
    import jetffi
    j = jetffi.load()
    ffi, lib, C = j.ffi, j.lib, j.C
    db, logs = os.path.join(evidence, "SRUDB.dat").encode(), evidence.encode()
    info = ffi.new("ESEPY_ESE_VERIFYINFO *")
    n = ffi.new("uint32_t *")
    rg = ffi.new("ESEPY_ESE_VERIFYPAGE[]", 100)
    assert lib.EsepyEseVerifyLogs(db, logs, info, rg, 100, n) == 0
    assert n[0] == info.cpage == 66 and info.cbStruct == ffi.sizeof("ESEPY_ESE_VERIFYINFO")
    assert info.cpageMatch + info.cpageDiffer + info.cpageUnchecked == 66 and info.cpageDiffer == 0
    verdicts = [rg[i].verdict for i in range(66)]
    assert verdicts.count(C.ESEPY_ESE_VERIFY_MATCH) == info.cpageMatch
    for i in range(66):
        assert rg[i].crecordListed == min(rg[i].crecord, C.ESEPY_ESE_VERIFY_RECORDS)
        if rg[i].verdict == C.ESEPY_ESE_VERIFY_UNCHECKED:
            assert ffi.string(rg[i].szReason)
    small = ffi.new("ESEPY_ESE_VERIFYPAGE[]", 5)
    assert lib.EsepyEseVerifyLogs(db, logs, info, small, 5, n) == C.JET_wrnBufferTruncated and n[0] == 66
    assert lib.EsepyEseVerifyLogs(db, ffi.NULL, info, rg, 100, n) == C.JET_errInvalidParameter
    missing = str(tmp_path / "empty").encode()
    os.makedirs(missing)
    assert lib.EsepyEseVerifyLogs(db, missing, info, rg, 100, n) < 0


def test_no_allocation_outlives_verify(evidence, tmp_path):
    """verify_logs frees everything, on success (with a differing page: its detail rebuild)
    and when the log folder cannot be read."""
    from test_ese_recover import live_allocations
    work = str(tmp_path / "work")
    shutil.copytree(evidence, work)
    tamper(work, esepy.verify_logs(os.path.join(work, "SRUDB.dat"), work))
    empty = str(tmp_path / "empty")
    os.makedirs(empty)
    before = live_allocations()
    assert not esepy.verify_logs(os.path.join(work, "SRUDB.dat"), work).ok
    with pytest.raises(esepy.errors.JetError):
        esepy.verify_logs(os.path.join(work, "SRUDB.dat"), empty)
    assert live_allocations() == before
