"""The engine on other CPUs (opt-in, marker ``cross``; docs/portability.md).

tools/cross_test.py builds the engine and every C unit test for aarch64 and
big-endian s390x and runs them under qemu-user; on s390x, xfile_test.c also
leaves the files it wrote (a database stopped with a transaction open, its
logs and checkpoint, a full backup set).  Here, on the host, those files must
recover, restore and read back value for value: the on-disk format is
little-endian whatever CPU wrote it.

A missing toolchain fails these tests (with the apt-get line), it never skips
them: they run only when asked for."""
import datetime as _dt
import os
import shutil
import subprocess
import sys

import pytest

import esepy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "cross_test.py")
ROWS, MORE, LV = 200, 50, 9000   # xfile_test.c: XF_ROWS, XF_MORE, XF_LV

pytestmark = pytest.mark.cross


@pytest.fixture(scope="module")
def s390x_files(tmp_path_factory):
    """Run every C unit test on aarch64 and s390x; the folder s390x wrote.
    ESEPY_CROSS_FILES=DIR reads the files of an earlier
    `tools/cross_test.py --export DIR` instead (while working on the host side)."""
    out = tmp_path_factory.mktemp("xfile")
    earlier = os.environ.get("ESEPY_CROSS_FILES")
    if earlier:
        shutil.copytree(earlier, out, dirs_exist_ok=True)
        return out
    proc = subprocess.run([sys.executable, TOOL, "--export", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-20000:] + proc.stderr[-5000:]
    assert "cross_test: all passed" in proc.stdout
    for arch in ("aarch64", "s390x"):
        assert f"ok   {arch} xfile_test" in proc.stdout
    return out


def _instance(name, folder, **kw):
    return esepy.Instance(name, system_path=str(folder) + "/", log_path=str(folder) + "/",
                          temp_path=str(folder) + "/", log_file_size_kb=128, **kw)


def _check_rows(folder, n):
    db = str(folder / "x.edb")
    with _instance("xr" + str(n), folder) as inst, inst.begin_session() as s:
        s.attach_database(db)
        rows = list(s.open_database(db).open_table("t"))
    assert [r["k"] for r in rows] == list(range(n))
    for r in rows:
        k = r["k"]
        assert r["txt"] == "row%03d" % k
        assert r["d"] == k * 1.5
        assert r["esc"] == 2 * k + 7
        assert r["lv"] == (bytes((k + i) & 0xFF for i in range(LV)) if k % 10 == 0 else None)


def test_c_unit_tests_pass_on_aarch64_and_s390x(s390x_files):
    assert (s390x_files / "live" / "x.edb").is_file() and (s390x_files / "bk").is_dir()


def test_s390x_headers_read_as_written(s390x_files):
    """Header, checkpoint and signatures decode here as s390x encoded them:
    LOGTIME's bit-field bytes included (the UTC flag and milliseconds)."""
    from esepy import inspection  # here: the default run never imports it for a deselected test

    live = s390x_files / "live"
    hdr = inspection.read_database_header(str(live / "x.edb"))
    chk = inspection.read_checkpoint(str(live / "edb.chk"))
    assert hdr.page_size == 4096 and hdr.copies_valid == (True, True)  # the default page size
    assert hdr.log_signature == chk.signature
    now = _dt.datetime.now(_dt.timezone.utc)
    for sig in (hdr.db_signature, hdr.log_signature):
        assert sig.created is not None and sig.created.tzinfo is not None  # fTimeIsUTC set
        assert abs((now - sig.created).total_seconds()) < 86400


def test_s390x_database_recovers_on_this_host(s390x_files, tmp_path):
    """Recovery replays s390x's log records here (escrow deltas, CLRs, the
    open transaction's UNDO records) into s390x's pages."""
    folder = tmp_path / "live"
    shutil.copytree(s390x_files / "live", folder)
    db = str(folder / "x.edb")
    with _instance("xrec", folder, alternate_database_recovery_path=str(folder)) as inst, \
            inst.begin_session() as s:
        s.attach_database(db)
        t = s.open_database(db).open_table("t")
        assert len(list(t)) == ROWS + MORE
    _check_rows(folder, ROWS + MORE)


def test_s390x_backup_restores_on_this_host(s390x_files, tmp_path):
    dest = tmp_path / "dest"
    inst = _instance("xrst", tmp_path / "rlogs", create_path_if_not_exist=True)
    try:
        inst.restore_instance(str(s390x_files / "bk"), str(dest))
    finally:
        inst.term()
    _check_rows(dest, ROWS)
