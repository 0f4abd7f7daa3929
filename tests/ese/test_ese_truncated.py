"""Truncated and damaged Windows ESE databases are reported, not hidden:
the pages a truncated file lacks are named (header ``pages_owned``, the
damage list, ``verify_pages()["missing"]``, ``esepy checksum`` with a non-zero
exit), and ``verify_pages()`` records every bad page in ``db.damage`` as
docs/forensics-windows-ese.md says."""
import io
import json
import shutil

import esepy
from esepy import cli

SAMPLE = "stroz_decompress_7bit_8k.edb"  # 8 KiB pages, 254 data pages
CB_PAGE = 8192


def _truncated(samples, tmp_path, keep_pages):
    src = samples(SAMPLE)
    dst = tmp_path / "cut.edb"
    with open(src, "rb") as f:
        dst.write_bytes(f.read((keep_pages + 2) * CB_PAGE))
    return str(dst)


def _cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_whole_sample_owns_exactly_its_pages(samples):
    with esepy.open_ese(samples(SAMPLE)) as db:
        assert db.header["page_count"] == db.header["pages_owned"] == 254
        rep = db.verify_pages()
        assert rep["missing"] == [] and rep["bad"] == []
        assert db.damage == []


def test_truncated_file_names_its_missing_pages(samples, tmp_path):
    path = _truncated(samples, tmp_path, 127)
    with esepy.open_ese(path) as db:
        assert db.header["page_count"] == 127 and db.header["pages_owned"] == 254
        missing = [d for d in db.damage if d["error"] == -1206]
        assert len(missing) == 1 and missing[0]["pgno"] == 128
        assert "128..254" in missing[0]["what"]
        rep = db.verify_pages()
        assert rep["missing"] == list(range(128, 255))
        assert rep["pages"] == 127


def test_checksum_of_a_half_file_fails_and_lists_the_missing_pages(samples, tmp_path):
    path = _truncated(samples, tmp_path, 127)
    code, out, err = _cli("checksum", path, "--json")
    assert code == 1, (out, err)
    doc = json.loads(out)
    f = doc["files"][0]
    assert f["ok"] is False and f["missing_pages"] == 127 and f["missing"] == [[128, 254]]
    assert doc["damaged"] == [path]
    code, out, err = _cli("checksum", path)
    assert code == 1
    assert "127 missing" in out
    assert "pages 128..254" in err and "JET_errDatabaseCorrupted" in err


def test_checksum_of_the_whole_sample_passes(samples, tmp_path):
    path = tmp_path / "whole.edb"
    shutil.copy(samples(SAMPLE), path)
    code, out, err = _cli("checksum", path, "--json")
    assert code == 0, (out, err)
    assert json.loads(out)["files"][0]["missing"] == []


def test_verify_pages_records_bad_pages_in_damage(samples, tmp_path):
    path = tmp_path / "flipped.edb"
    shutil.copy(samples(SAMPLE), path)
    # pages 200 and 201 are never read by a catalog walk; flip a byte in each
    with open(path, "r+b") as f:
        for pgno in (200, 201):
            f.seek((pgno + 1) * CB_PAGE + 1000)
            b = f.read(1)
            f.seek((pgno + 1) * CB_PAGE + 1000)
            f.write(bytes([b[0] ^ 0x55]))
    with esepy.open_ese(str(path)) as db:
        assert db.damage == []
        rep = db.verify_pages()
        assert rep["bad"] == [200, 201]
        bad = sorted(d["pgno"] for d in db.damage if d["error"] == -1018)
        assert bad == [200, 201]
        db.verify_pages()  # each page is reported once
        assert sorted(d["pgno"] for d in db.damage if d["error"] == -1018) == [200, 201]
