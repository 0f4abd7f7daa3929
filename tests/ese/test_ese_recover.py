"""Soft recovery of Windows ESE databases onto a copy, stage 1 (esepy.recover_ese,
``esepy recover DB --logs DIR --output FILE``): the SRUM sample of tests/data/ese
(srum_win11_dirty: a DirtyShutdown SRUDB.dat with its logs, which needs no page
redo), damaged and foreign logs, synthetic cases that need redo or undo, and
proof that nothing under the input folder changes.

Expected values: the reference's SRUM chapter (ese-log-format.md §4, §5.1,
§5.4): redo from (92,1,0) (fake checkpoint), the database attached by the
AttachDB at (92,9,616), 21 records, dbtimeDirtied 43,851, objidLast 37, every
data page unchanged, table row counts equal to the esentutl /p copy's.
"""
import hashlib
import os
import shutil
import struct

import pytest

import esepy
from esepy import errors
from esepy.cli import main

from ese_checksums import segment_checksum

PAGE = 4096
SRUM_ROWS = {  # reference §5.1 (the esentutl /p copy reads the same)
    "SruDbIdMapTable": 1044,
    "{DA73FB89-2BEA-4DDC-86B8-6E048C6DA477}": 810,
    "{5C8CF1C7-7257-4F13-B223-970EF5939312}": 791,
    "{D10CA2FE-6FCF-4F6D-848E-B2E99266FA89}": 662,
    "{973F5D5C-1D90-4944-BE8E-24B94231A174}": 143,
    "{7ACBBAA3-D029-4BE4-9A7A-0885927F1D8F}": 33,
    "{FEE4E14F-02A9-4550-B5CE-5FA2DA202E37}": 13,
    "{DD6636C4-8929-4683-974E-22C046A43763}": 9,
    "{FEE4E14F-02A9-4550-B5CE-5FA2DA202E37}LT": 2,
}
EVIDENCE = ["SRUDB.dat", "SRUDB.jfm", "SRU.chk", "SRU.log", "SRU00059.log", "SRU0005A.log", "SRU0005B.log",
            "SRUtmp.log", "SRUres00001.jrs"]
# header bytes stage-1 recovery may change (offset, size); everything else stays (reference §3.6)
CHANGED = [(0, 4), (16, 8), (52, 4), (56, 8), (64, 8), (80, 8), (88, 8), (96, 8), (212, 4), (296, 4), (300, 4),
           (348, 8), (416, 4), (536, 4), (640, 4), (656, 8), (672, 8), (680, 4), (684, 4)]


# ---- helpers ---------------------------------------------------------------------------

def tree_hashes(folder):
    """sha256 of every file under folder (names relative)."""
    out = {}
    for root, _dirs, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, folder)] = hashlib.sha256(fh.read()).hexdigest()
    return out


@pytest.fixture
def evidence(srum_dir, tmp_path):
    """A private copy of the SRUM folder, its hashes checked unchanged after the test."""
    d = tmp_path / "evidence"
    d.mkdir()
    for name in EVIDENCE:
        shutil.copyfile(os.path.join(srum_dir, name), d / name)
    before = tree_hashes(d)
    yield str(d)
    assert tree_hashes(d) == before, "recovery changed a file under its input folder"


class unchanged:
    """Context manager: every file under folder keeps its sha256 (recovery never writes its inputs)."""

    def __init__(self, folder):
        self.folder = folder

    def __enter__(self):
        self.before = tree_hashes(self.folder)
        return self

    def __exit__(self, *exc):
        assert tree_hashes(self.folder) == self.before, f"recovery changed a file under {self.folder}"
        return False


def xor_checksum(b):
    x = 0x89ABCDEF
    for (w,) in struct.iter_unpack("<I", b[4:4096]):
        x ^= w
    return x


def ecc_checksum(page, pgno):
    """ESE's 64-bit ECC page checksum of a 4 KiB page (reference §1.3)."""
    return segment_checksum(page, pgno)


def lgpos_at(b, off):
    ib, isec, gen = struct.unpack_from("<HHi", b, off)
    return (gen, isec, ib)


def put_lgpos(b, off, lg):
    struct.pack_into("<HHi", b, off, lg[2], lg[1], lg[0])


def rewrite_header(path, edit):
    """Apply edit(bytearray of the 4 KiB header) to both header copies, fixing their checksums."""
    with open(path, "r+b") as f:
        hdr = bytearray(f.read(PAGE))
        edit(hdr)
        struct.pack_into("<I", hdr, 0, xor_checksum(hdr))
        f.seek(0)
        f.write(hdr)
        f.seek(PAGE)
        f.write(hdr)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def copy_folder(src, dst, skip=()):
    os.makedirs(dst)
    for name in EVIDENCE:
        if name not in skip:
            shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
    return dst


def check_clean(out, src_db, consistent):
    """The output of a stage-1 recovery of the SRUM sample: data pages as the input, both
    header copies equal and clean, only the fields of reference §3.6 changed."""
    a, b = read(src_db), read(out)
    assert len(a) == len(b)
    assert a[2 * PAGE:] == b[2 * PAGE:], "a data page changed"
    assert b[:PAGE] == b[PAGE:2 * PAGE], "the two header copies differ"
    h = b[:PAGE]
    assert struct.unpack_from("<I", h, 0)[0] == xor_checksum(h)
    assert struct.unpack_from("<I", h, 52)[0] == 3                     # CleanShutdown
    assert lgpos_at(h, 56) == consistent                                # lgposConsistent
    assert lgpos_at(h, 96) == consistent                                # lgposDetach
    assert lgpos_at(h, 656) == consistent                               # lgposLastResize (format 1568.200)
    assert lgpos_at(h, 80) == (92, 9, 616)                              # lgposAttach kept
    assert struct.unpack_from("<Q", h, 16)[0] == 43851                  # dbtimeDirtied
    assert struct.unpack_from("<I", h, 212)[0] == 37                    # objidLast
    for off in (296, 300, 416, 536, 640, 680, 684):                     # no generation required
        assert struct.unpack_from("<i", h, off)[0] == 0, off
    assert h[348:356] == bytes(8) and h[672:680] == bytes(8)
    assert h[64:72] != bytes(8) and h[64:72] == h[88:96]               # logtimeConsistent = logtimeDetach
    assert h[64 + 6] & 1                                                # UTC
    changed = set()
    for off, n in CHANGED:
        changed.update(range(off, off + n))
    diff = [i for i in range(PAGE) if a[i] != h[i] and i not in changed]
    assert diff == [], f"header bytes outside the fields of §3.6 changed: {diff[:10]}"


# ---- the SRUM sample --------------------------------------------------------------------

def test_recover_srum_win11(evidence, tmp_path):
    out = str(tmp_path / "clean.dat")
    seen = []
    rep = esepy.recover_ese(os.path.join(evidence, "SRUDB.dat"), evidence, out, progress=seen.append)
    check_clean(out, os.path.join(evidence, "SRUDB.dat"), (92, 10, 0))
    assert rep["fake_checkpoint"] and rep["lgpos_checkpoint"] == (92, 8, 0)
    assert rep["lgpos_redo_start"] == (92, 1, 0)
    assert rep["generations"] == (92, 92)
    assert rep["lgpos_attached"] == (92, 9, 616)
    assert rep["records"] == 21
    assert rep["page_references"] == 0 and rep["segments_corrected"] == 0
    assert (rep["dbtime_after"], rep["objid_after"]) == (43851, 37)
    assert rep["lgpos_consistent"] == (92, 10, 0) and not rep["was_clean"]
    assert seen and seen[-1].operation == "recover" and seen[-1].done == seen[-1].total == 1
    assert sorted(os.listdir(tmp_path)) == ["clean.dat", "evidence"]  # no .jfm, no temporary file left


def test_recovered_rows_match_the_repaired_copy(evidence, srum_dir, tmp_path):
    out = str(tmp_path / "clean.dat")
    esepy.recover_ese(os.path.join(evidence, "SRUDB.dat"), evidence, out)
    with esepy.open_ese(out) as db:
        assert db.header["state"] == "CleanShutdown" and db.header["primary_valid"] and db.header["shadow_valid"]
        assert db.damage == []
        ours = {t.name: t.count() for t in db.tables}
        first = {t.name: list(t.rows()) for t in db.tables if t.name in SRUM_ROWS}
    for name, n in SRUM_ROWS.items():
        assert ours[name] == n, name
    with esepy.open_ese(os.path.join(srum_dir, "SRUDB.repaired-by-esentutl-p.dat")) as p:
        assert {t.name: t.count() for t in p.tables} == ours
        assert {t.name: list(t.rows()) for t in p.tables if t.name in SRUM_ROWS} == first


def test_recovered_copy_read_by_dissect(evidence, tmp_path):
    import dissect.esedb as dissect_esedb   # a test extra: missing means a broken install, not a skip
    out = str(tmp_path / "clean.dat")
    esepy.recover_ese(os.path.join(evidence, "SRUDB.dat"), evidence, out)
    with open(out, "rb") as fh:
        theirs = dissect_esedb.EseDB(fh)
        assert int(theirs.header.dbstate) == 3  # CleanShutdown
        assert int(theirs.header.dbtimeDirtied) == 43851 and int(theirs.header.objidLast) == 37
        counts = {t.name: sum(1 for _ in t.records()) for t in theirs.tables() if t.name in SRUM_ROWS}
    assert counts == SRUM_ROWS


def test_recovered_copy_read_by_libesedb(evidence, tmp_path):
    """libesedb (pyesedb, a test extra) reads the recovered copy with the same row counts."""
    import pyesedb
    out = str(tmp_path / "clean.dat")
    esepy.recover_ese(os.path.join(evidence, "SRUDB.dat"), evidence, out)
    f = pyesedb.file()
    f.open(out)
    try:
        counts = {t.name: t.number_of_records for t in f.tables if t.name in SRUM_ROWS}
    finally:
        f.close()
    assert counts == SRUM_ROWS


def test_recover_is_idempotent(evidence, tmp_path):
    db = os.path.join(evidence, "SRUDB.dat")
    out1, out2, out3 = (str(tmp_path / n) for n in ("a.dat", "b.dat", "c.dat"))
    esepy.recover_ese(db, evidence, out1)
    rep = esepy.recover_ese(out1, evidence, out2)     # a clean database: copied unchanged
    assert rep["was_clean"] and read(out2) == read(out1)
    esepy.recover_ese(db, evidence, out3)              # the same input again: the same output but the time
    a, c = bytearray(read(out1)), bytearray(read(out3))
    for buf in (a, c):
        for base in (0, PAGE):
            buf[base:base + 4] = bytes(4)
            buf[base + 64:base + 72] = bytes(8)
            buf[base + 88:base + 96] = bytes(8)
    assert a == c


def test_open_ese_with_logs_reads_a_recovered_copy(evidence):
    db_path = os.path.join(evidence, "SRUDB.dat")
    with esepy.open_ese(db_path, logs=evidence) as db:
        assert db.source_path == db_path and db.path != db_path
        assert db.header["state"] == "CleanShutdown"
        assert db.recovery["lgpos_consistent"] == (92, 10, 0)
        assert db.table("SruDbIdMapTable").count() == 1044
        scratch = os.path.dirname(db.path)
    assert not os.path.exists(scratch), "the temporary copy outlived close()"
    with esepy.open_ese(db_path) as db:                # without logs: as it is
        assert db.header["state"] == "DirtyShutdown" and db.recovery is None


def test_in_place_only_on_a_copy(evidence, tmp_path):
    work = copy_folder(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    rep = esepy.recover_ese(db, work, in_place=True)
    assert rep["jfm_removed"] and not os.path.exists(os.path.join(work, "SRUDB.jfm"))
    check_clean(db, os.path.join(evidence, "SRUDB.dat"), (92, 10, 0))
    with pytest.raises(ValueError):
        esepy.recover_ese(db, work, db)                # the output may never be the input
    with pytest.raises(TypeError):
        esepy.recover_ese(db, work)                    # neither output nor in_place


def test_existing_output_is_refused(evidence, tmp_path):
    out = tmp_path / "clean.dat"
    out.write_bytes(b"precious")
    with pytest.raises(errors.FileAlreadyExists):
        esepy.recover_ese(os.path.join(evidence, "SRUDB.dat"), evidence, str(out))
    assert out.read_bytes() == b"precious"


# ---- damaged, missing and foreign logs ----------------------------------------------------

def flip(path, offset, bit):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([b ^ (1 << bit)]))


def test_single_bit_flip_is_corrected_and_reported(evidence, tmp_path):
    work = copy_folder(evidence, str(tmp_path / "work"))
    flip(os.path.join(work, "SRU.log"), 9 * PAGE + 700, 3)   # inside the segment holding AttachDB (92,9,616)
    out = str(tmp_path / "clean.dat")
    with unchanged(work):
        rep = esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, out)
    assert rep["segments_corrected"] == 1
    assert rep["lgpos_attached"] == (92, 9, 616)
    check_clean(out, os.path.join(evidence, "SRUDB.dat"), (92, 10, 0))


def test_two_bit_flips_are_refused(evidence, tmp_path):
    work = copy_folder(evidence, str(tmp_path / "work"))
    flip(os.path.join(work, "SRU.log"), 9 * PAGE + 700, 3)
    flip(os.path.join(work, "SRU.log"), 9 * PAGE + 900, 5)
    out = str(tmp_path / "clean.dat")
    with unchanged(work), pytest.raises(errors.JetError) as ei:
        esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, out)
    assert ei.value.code in (-501, -612)  # JET_errLogFileCorrupt / JET_errLogReadVerifyFailure
    assert "SRU.log" in str(ei.value) or "92" in str(ei.value)
    assert [n for n in os.listdir(tmp_path) if n.startswith("clean")] == []   # no output, no temporary file


def test_missing_generation_is_named(evidence, tmp_path):
    work = copy_folder(evidence, str(tmp_path / "work"), skip=("SRU.log",))
    out = str(tmp_path / "clean.dat")
    with pytest.raises(errors.JetError) as ei:
        esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, out)
    rec = ei.value.recovery
    assert rec["generation_missing"] == 92, rec
    assert "92" in rec["reason"]
    assert not os.path.exists(out)


def test_without_checkpoint_redo_starts_at_the_first_required_generation(evidence, tmp_path):
    work = copy_folder(evidence, str(tmp_path / "work"), skip=("SRU.chk",))
    out = str(tmp_path / "clean.dat")
    with unchanged(work):
        rep = esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, out)
    assert rep["lgpos_redo_start"] == (92, 1, 0) and rep["lgpos_attached"] == (92, 9, 616)
    check_clean(out, os.path.join(evidence, "SRUDB.dat"), (92, 10, 0))


def test_logs_of_another_stream_are_refused(evidence, tmp_path):
    work = copy_folder(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    rewrite_header(db, lambda h: struct.pack_into("<I", h, 108, 0x12345678))   # signLog random
    out = str(tmp_path / "clean.dat")
    with pytest.raises(errors.DatabaseLogSetMismatch) as ei:
        esepy.recover_ese(db, work, out)
    assert "another log stream" in ei.value.recovery["reason"]
    assert not os.path.exists(out)


def test_database_the_logs_never_attach_is_refused(evidence, tmp_path):
    work = copy_folder(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    rewrite_header(db, lambda h: struct.pack_into("<I", h, 24, 0x0BADF00D))    # signDb random
    out = str(tmp_path / "clean.dat")
    with pytest.raises(errors.AttachedDatabaseMismatch):
        esepy.recover_ese(db, work, out)
    assert not os.path.exists(out)


# ---- synthetic cases: redo from generation 89 (reference §5.4) -----------------------------

def from_generation_89(evidence, dst):
    """A copy whose checkpoint and header send recovery back to generation 89, with the
    database attached from the start (the attachment of gen 89's header): ~1,000 page
    records then lie inside the attached window, and all are already on their pages."""
    work = copy_folder(evidence, dst)
    chk = bytearray(read(os.path.join(work, "SRU.chk")))
    for base in (0, PAGE):
        c = bytearray(chk[base:base + PAGE])
        put_lgpos(c, 12, (89, 1, 0))
        struct.pack_into("<I", c, 0, xor_checksum(c))
        chk[base:base + PAGE] = c
    with open(os.path.join(work, "SRU.chk"), "wb") as f:
        f.write(chk)
    att = esepy.ese.read_log_header(os.path.join(work, "SRU00059.log"))["attached"][0]

    def edit(h):
        put_lgpos(h, 56, att["lgpos_consistent"])
        put_lgpos(h, 80, att["lgpos_attach"])
        for off, gen in ((296, 89), (300, 92), (416, 92), (640, 89)):
            struct.pack_into("<i", h, off, gen)
    rewrite_header(os.path.join(work, "SRUDB.dat"), edit)
    return work


def test_page_records_inside_the_window_are_proved_applied(evidence, tmp_path):
    work = from_generation_89(evidence, str(tmp_path / "work"))
    out = str(tmp_path / "clean.dat")
    with unchanged(work):
        rep = esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, out)
    assert rep["generations"] == (89, 92) and rep["lgpos_redo_start"] == (89, 1, 0)
    assert rep["page_references_applied"] > 900, rep
    # Term2 at (91,13,0) and the three of generation 92 each detach it; each AttachDB after re-attaches it
    assert rep["detaches"] == 4 and rep["lgpos_attached"] == (92, 9, 616)
    check_clean(out, os.path.join(evidence, "SRUDB.dat"), (92, 10, 0))


def test_a_page_missing_its_last_change_is_refused_by_name(evidence, tmp_path):
    work = from_generation_89(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    pgno = 306  # the page with the highest dbtime (43,851), last changed in generation 91
    with open(db, "r+b") as f:
        f.seek((pgno + 1) * PAGE)
        page = bytearray(f.read(PAGE))
        assert struct.unpack_from("<Q", page, 8)[0] == 43851
        struct.pack_into("<Q", page, 8, 43850)
        struct.pack_into("<Q", page, 0, ecc_checksum(bytes(page), pgno))
        f.seek((pgno + 1) * PAGE)
        f.write(page)
    out = str(tmp_path / "clean.dat")
    with unchanged(work), pytest.raises(errors.JetError) as ei:
        esepy.recover_ese(db, work, out)
    rec = ei.value.recovery
    assert ei.value.code in (-1001, -566, -567), rec       # needs redo / DbTimeTooOld / DbTimeTooNew
    assert rec["pgno"] == pgno and rec["dbtime_page"] == 43850 and rec["dbtime_record"] == 43851
    assert rec["record_type"] and rec["record_type"] in rec["reason"]
    assert 89 <= rec["lgpos"][0] <= 91
    assert "page 306" in rec["reason"] and "(%d,%d,%d)" % tuple(rec["lgpos"]) in rec["reason"]
    assert not os.path.exists(out)


def test_an_open_transaction_is_rolled_back(evidence, tmp_path):
    """Cut generation 91 well before its Commit0 at (91,12,2830) (segments 4 on zeroed) and
    drop generation 92: session 9's level-0 transaction begun at (89,5,1990) stays open.
    Stage 1 refused this ("needs undo"); recovery now rolls it back (tests/ese/test_ese_undo.py
    checks the rows of the exact cut before that Commit0)."""
    work = from_generation_89(evidence, str(tmp_path / "work"))
    os.remove(os.path.join(work, "SRU.log"))
    with open(os.path.join(work, "SRU0005B.log"), "r+b") as f:
        f.seek(4 * PAGE)
        f.write(bytes(12 * PAGE))
    rewrite_header(os.path.join(work, "SRUDB.dat"),
                   lambda h: [struct.pack_into("<i", h, off, 91) for off in (300, 416)])
    out = str(tmp_path / "clean.dat")
    with unchanged(work):
        rep = esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, out)
    assert rep["sessions_undone"] == 1 and rep["versions_undone"] > 0, rep
    assert rep["undone_session"] == {"procid": 9, "trx_begin0": 37188, "lgpos_begin0": (89, 5, 1990)}
    assert rep["lgpos_consistent"] == (91, 4, 0)
    with esepy.open_ese(out) as db:
        counts = {t.name: t.count() for t in db.tables if t.name in SRUM_ROWS}
    assert counts != SRUM_ROWS and all(counts[n] <= SRUM_ROWS[n] for n in SRUM_ROWS)


# ---- the command line ----------------------------------------------------------------------

def run_cli(*argv):
    import io
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(argv), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def test_cli_recover_windows_database(evidence, tmp_path):
    import json
    out = str(tmp_path / "clean.dat")
    rc, so, se = run_cli("recover", os.path.join(evidence, "SRUDB.dat"), "--logs", evidence, "--output", out,
                         "--json", "--no-progress")
    assert rc == 0, se
    doc = json.loads(so)
    assert doc["ok"] and doc["format"] == "windows-ese"
    assert doc["recovery"]["lgpos_consistent"] == [92, 10, 0]
    check_clean(out, os.path.join(evidence, "SRUDB.dat"), (92, 10, 0))
    rc, so, se = run_cli("recover", os.path.join(evidence, "SRUDB.dat"), "--logs", evidence, "--output",
                         str(tmp_path / "again.dat"), "--no-progress")
    assert rc == 0 and "Recovery completed successfully" in so and "(92, 10, 0)" in so


def test_cli_recover_refusals(evidence, tmp_path):
    db = os.path.join(evidence, "SRUDB.dat")
    out = str(tmp_path / "clean.dat")
    rc, _so, se = run_cli("recover", db, "--logs", evidence)
    assert rc == 2 and "--output" in se
    rc, _so, se = run_cli("recover", db, "--logs", evidence, "--output", out, "--db-dir", str(tmp_path))
    assert rc == 2 and "--db-dir does not apply" in se
    rc, _so, se = run_cli("recover", db, "--logs", evidence, "--output", out, "--system", str(tmp_path))
    assert rc == 2 and "--system does not apply" in se
    rc, _so, se = run_cli("recover", "--logs", evidence, "--output", out)
    assert rc == 2 and "--output" in se and "does not apply" in se
    rc, _so, se = run_cli("recover", "--logs", evidence)      # Windows logs without the database
    assert rc == 2 and "name the database" in se
    assert not os.path.exists(out)


def test_cli_recover_refused_record_is_named(evidence, tmp_path):
    import json
    work = from_generation_89(evidence, str(tmp_path / "work"))
    os.remove(os.path.join(work, "SRU0005A.log"))
    rc, so, se = run_cli("recover", os.path.join(work, "SRUDB.dat"), "--logs", work, "--output",
                         str(tmp_path / "x.dat"), "--json", "--no-progress")
    assert rc == 1
    doc = json.loads(so)
    assert not doc["ok"] and doc["recovery"]["generation_missing"] == 90
    assert "90" in se


def test_cli_logs_on_tables_export_and_dump_header(evidence, tmp_path):
    import json
    db = os.path.join(evidence, "SRUDB.dat")
    rc, so, se = run_cli("tables", db, "--logs", evidence, "--json")
    assert rc == 0, se
    doc = json.loads(so)
    assert doc["state"] == "CleanShutdown" and "recovered" in doc["source"]
    assert {t["name"]: t["records"] for t in doc["tables"] if t["name"] in SRUM_ROWS} == SRUM_ROWS
    rc, so, se = run_cli("tables", db, "--json")
    assert rc == 0 and json.loads(so)["state"] == "DirtyShutdown"
    csv_out = str(tmp_path / "idmap.csv")
    rc, so, se = run_cli("export", db, "SruDbIdMapTable", "--logs", evidence, "-o", csv_out)
    assert rc == 0, se
    with open(csv_out, encoding="utf-8") as f:
        assert sum(1 for _ in f) == 1 + 1044
    rc, so, se = run_cli("dump", "header", db, "--logs", evidence, "--json")
    assert rc == 0, se
    doc = json.loads(so)
    assert doc["header"]["state"] == "CleanShutdown" and doc["recovery"]["lgpos_consistent"] == [92, 10, 0]
    rc, so, se = run_cli("tables", db, "--logs", evidence, "--system", str(tmp_path))
    assert rc == 2 and "--system does not apply" in se


# ---- resources -------------------------------------------------------------------------------

def live_allocations():
    import ctypes
    lib = ctypes.CDLL(esepy.native_library())
    n = ctypes.c_int64()
    assert lib.EsepyTestLiveAllocations(ctypes.byref(n)) == 0
    return n.value


def test_no_allocation_outlives_recovery(evidence, tmp_path):
    """Every path (success, refusal after the page proof, refusal at the log chain) frees
    what it took (C allocations through csrc/os)."""
    work = from_generation_89(evidence, str(tmp_path / "work"))
    missing = copy_folder(evidence, str(tmp_path / "missing"), skip=("SRU.log",))
    before = live_allocations()
    esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, str(tmp_path / "a.dat"))
    with pytest.raises(errors.JetError):
        esepy.recover_ese(os.path.join(missing, "SRUDB.dat"), missing, str(tmp_path / "b.dat"))
    with pytest.raises(errors.FileAlreadyExists):
        esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, str(tmp_path / "a.dat"))
    assert live_allocations() == before


def test_cli_recover_in_place_on_a_copy(evidence, tmp_path):
    work = copy_folder(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    rc, _so, se = run_cli("recover", db, "--logs", work, "--in-place", "--output", str(tmp_path / "x.dat"))
    assert rc == 2 and "exclude each other" in se
    rc, so, se = run_cli("recover", db, "--logs", work, "--in-place", "--no-progress")
    assert rc == 0, se
    assert "(in place)" in so
    check_clean(db, os.path.join(evidence, "SRUDB.dat"), (92, 10, 0))
    assert not os.path.exists(os.path.join(work, "SRUDB.jfm"))
