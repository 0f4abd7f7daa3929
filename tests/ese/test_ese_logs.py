"""ESE transaction log and checkpoint headers, and the log-folder survey, on
the real SRUM logs of tests/data/ese/srum_win11_dirty."""
import datetime
import os
import shutil

import pytest

import esepy
from esepy import ese, errors

UTC = datetime.timezone.utc


def test_current_log_header(srum_dir):
    h = ese.read_log_header(os.path.join(srum_dir, "SRU.log"))
    assert h["checksum_ok"] and h["file_type"] == 3
    assert h["generation"] == 92
    assert h["sector_size"] == 4096 and h["header_sectors"] == 1 and h["file_sectors"] == 16
    assert h["version"] == (8, 4000, 90, 200)
    assert h["engine_format_version"] == 9400
    assert h["sign_log"]["random"] == 0x25894C02
    assert h["created"] == datetime.datetime(2022, 7, 3, 2, 10, 42, 308000, tzinfo=UTC)
    assert h["previous_generation_created"] == datetime.datetime(2022, 7, 3, 2, 5, 58, 609000, tzinfo=UTC)
    assert h["checksum_prev_log_all_segments"] == 0x45B445B4F2360844
    (att,) = h["attached"]
    assert att["dbid"] == 1 and att["lgpos_attach"] == (91, 14, 616) and att["lgpos_consistent"] == (91, 12, 2838)
    assert att["dbtime"] == 43851 and att["objid_last"] == 37
    assert att["name"].lower().endswith("srudb.dat")


@pytest.mark.parametrize("name,gen", [("SRU00059.log", 89), ("SRU0005A.log", 90), ("SRU0005B.log", 91),
                                      ("SRUtmp.log", 80)])
def test_archived_log_headers(srum_dir, name, gen):
    h = ese.read_log_header(os.path.join(srum_dir, name))
    assert h["generation"] == gen and h["checksum_ok"]
    assert h["sign_log"]["random"] == 0x25894C02


def test_reserve_log_is_not_a_log(srum_dir):
    with pytest.raises(errors.FileInvalidType):
        ese.read_log_header(os.path.join(srum_dir, "SRUres00001.jrs"))


def test_checkpoint(srum_dir):
    c = ese.read_checkpoint(os.path.join(srum_dir, "SRU.chk"))
    assert c["copies_valid"] == (True, True) and c["copy_used"] == "primary"
    assert c["lgpos_checkpoint"] == (92, 8, 0) and c["lgpos_db_consistency"] == (92, 8, 0)
    assert c["sign_log"]["random"] == 0x25894C02
    assert c["file_type"] == 4 and c["version_flags"] == 0 and c["attached"] == []


def test_checkpoint_rejects_other_files(srum_dir):
    with pytest.raises(errors.FileInvalidType):
        ese.read_checkpoint(os.path.join(srum_dir, "SRUDB.jfm"))


def test_scan_log_folder(srum_dir):
    rep = ese.scan_log_folder(srum_dir)
    assert rep["base"] == "SRU" and rep["generations"] == (89, 92) and rep["ok"]
    roles = {f["file"]: f["role"] for f in rep["files"]}
    assert roles == {"SRU00059.log": "archived", "SRU0005A.log": "archived", "SRU0005B.log": "archived",
                     "SRU.log": "current", "SRUtmp.log": "tmp", "SRUres00001.jrs": "reserve"}
    seq = [f for f in rep["files"] if f["role"] in ("archived", "current")]
    assert [f["generation"] for f in seq] == [89, 90, 91, 92]
    assert [f["linked_to_previous"] for f in seq] == [None, True, True, True]


def _copy_logs(srum_dir, tmp_path, names):
    for n in names:
        shutil.copy(os.path.join(srum_dir, n), tmp_path / n)


def test_scan_reports_missing_generation(srum_dir, tmp_path):
    _copy_logs(srum_dir, tmp_path, ["SRU00059.log", "SRU0005B.log", "SRU.log", "SRU.chk"])
    rep = ese.scan_log_folder(tmp_path)
    assert rep["missing"] == [90] and not rep["ok"]


def test_scan_reports_out_of_sequence(srum_dir, tmp_path):
    # generation 91 stored under the name of generation 90, and the real 90 missing
    _copy_logs(srum_dir, tmp_path, ["SRU00059.log", "SRU.log"])
    shutil.copy(os.path.join(srum_dir, "SRU0005B.log"), tmp_path / "SRU0005A.log")
    rep = ese.scan_log_folder(tmp_path, "SRU")
    assert 91 in rep["out_of_sequence"] and rep["missing"] == [90] and not rep["ok"]


def test_scan_reports_broken_chain(srum_dir, tmp_path):
    # a generation-91 header whose previous-generation time no longer matches 90
    _copy_logs(srum_dir, tmp_path, ["SRU0005A.log", "SRU.log"])
    data = bytearray(open(os.path.join(srum_dir, "SRU0005B.log"), "rb").read())
    data[24] ^= 1  # tmPrevGen seconds
    import struct
    x = 0x89ABCDEF
    for (w,) in struct.iter_unpack("<I", bytes(data[4:4096])):
        x ^= w
    data[0:4] = struct.pack("<I", x)
    (tmp_path / "SRU0005B.log").write_bytes(bytes(data))
    rep = ese.scan_log_folder(tmp_path)
    assert rep["out_of_sequence"] == [91]


def test_recovery_info_missing_logs(samples, tmp_path):
    with esepy.open_ese(samples("srum_win11_dirty/SRUDB.dat")) as db:
        rec = db.recovery_info(str(tmp_path))
    assert rec["needed"] == [92] and rec["missing"] == [92] and not rec["replayable_logs_present"]
