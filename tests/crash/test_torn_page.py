"""A database page write torn by a power cut is repaired by recovery (issue
14, crashfs-3; btree.c T3, recovery.c R8): the first change of a page whose
lsn is below the image threshold (the log's end at the last checkpoint
advance, or the database's attachment) is logged as the page's image, so
replay puts the whole page back; a torn page the log cannot repair still fails recovery with
JET_errReadVerifyFailure (detected, never silent).  A page whose write failed
(EIO) is repaired the same way after later changes."""
from __future__ import annotations

import os
import shutil
import sys

import pytest

import esepy
from esepy import errors, inspection
from recovery_helpers import instance_params, recovered_rows, stop_dirty

PAGE = 4096
COLS = {"k": "long", "v": "text"}


def _params(root):
    return instance_params(root, 128)


def _rows(root, path):
    return recovered_rows("tornread", _params(root), path)


def _pages(path):
    with open(path, "rb") as f:
        data = f.read()
    return {i // PAGE - 1: data[i:i + PAGE] for i in range(2 * PAGE, len(data), PAGE)}


def _dirty_state(root, path):
    """A database written clean with 60 rows, then (log only) an update of
    row 7 whose commit is durable, and a dirty stop: the file still holds
    the pages as of the clean stop."""
    with esepy.Instance("torn", **_params(root)) as inst:
        s = inst.begin_session()
        db = s.create_database(path)
        s.begin_transaction()
        t = db.create_table("kv", COLS, primary_key=["k"])
        for k in range(60):
            t.insert({"k": k, "v": f"v{k}"})
        t.close()
        s.commit()
    inst = esepy.Instance("torn", **_params(root))
    inst.init()
    s = inst.begin_session()
    db = s.attach_database(path)
    s.begin_transaction()
    with db.open_table("kv") as t:
        t.update(7, {"v": "seven"})
    s.commit()
    stop_dirty(inst)


@pytest.mark.parametrize("tear", [512, 2048])
def test_torn_page_write_is_repaired_from_the_log(tmp_path, tear):
    root = str(tmp_path / "db")
    path = os.path.join(root, "t.edb")
    _dirty_state(root, path)
    old = _pages(path)
    # what the pages become: recover once (logs and headers name the folder,
    # so in place), then put the dirty state back
    saved = str(tmp_path / "saved")
    shutil.copytree(root, saved)
    assert _rows(root, path)[7] == "seven"
    new = _pages(path)
    shutil.rmtree(root)
    shutil.copytree(saved, root)
    changed = [p for p in old if new.get(p) != old[p]]
    assert changed
    # the power cut tore the write of every changed page after `tear` bytes
    with open(path, "r+b") as f:
        for p in changed:
            f.seek((p + 1) * PAGE)
            f.write(new[p][:tear] + old[p][tear:])
    assert inspection.DatabaseFile(path).checksum().problems  # the damage is there
    rows = _rows(root, path)
    assert rows == {k: ("seven" if k == 7 else f"v{k}") for k in range(60)}
    assert inspection.DatabaseFile(path).check_integrity().ok


def test_damage_the_log_cannot_repair_is_read_verify_failure(tmp_path):
    """A page damaged with no image of it after the checkpoint (the clean stop
    wrote it; the update changed another page) is reported, not hidden."""
    root = str(tmp_path / "db")
    path = os.path.join(root, "t.edb")
    _dirty_state(root, path)
    # the catalog page: changed by nothing the log replays
    cat = next(pgno for pgno, page in _pages(path).items() if int.from_bytes(page[16:20], "little") == 1)
    with open(path, "r+b") as f:
        f.seek((cat + 1) * PAGE + 1024)
        f.write(b"\xAA" * 512)
    with pytest.raises(errors.ReadVerifyFailure):
        _rows(root, path)


def test_failed_page_write_then_change_then_torn_page_recovers(tmp_path):
    """A page write that fails (EIO) may have left the page torn on disk, yet
    the page's next change logs no new image, only the change: that is safe,
    because a failed write leaves the frame dirty with its recovery lsn
    (cache.c bf_write), which is the lsn of the image logged at the page's
    first change since it was last written (btree.c T3).  So the checkpoint
    cannot pass that image while the page stays dirty, the image and every
    change after it are replayed, and the torn page is rebuilt.  Here the
    write fails on eviction (a 16-page cache and a scan), which does not stop
    the instance (a failed checkpoint flush does: F1); the page is changed
    again and committed, the instance stops dirty, and every page the
    recovery changes is torn on disk first."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    import jetffi  # noqa: E402
    jet = jetffi.load()
    root = str(tmp_path / "db")
    path = os.path.join(root, "t.edb")
    cache_max = esepy.get_default_param("cache_size_max")
    esepy.set_default_param("cache_size_max", 16)
    try:
        with esepy.Instance("tornfail", **_params(root)) as inst:
            s = inst.begin_session()
            db = s.create_database(path)
            s.begin_transaction()
            t = db.create_table("kv", COLS, primary_key=["k"])
            for k in range(60):
                t.insert({"k": k, "v": f"v{k}"})
            t.close()
            big = db.create_table("big", {"k": "long", "v": "binary"}, primary_key=["k"])
            for k in range(400):
                big.insert({"k": k, "v": bytes([k % 251]) * 250})
            big.close()
            s.commit()
        inst = esepy.Instance("tornfail", **_params(root))
        inst.init()
        s = inst.begin_session()
        db = s.attach_database(path)
        t = db.open_table("kv")
        s.begin_transaction()
        t.update(7, {"v": "seven"})  # the leaf's first change since written: its image
        s.commit()
        writes = jet.ffi.new("uint64_t *")
        assert jet.lib.EsepyTestGetIOCount(jet.C.ESEPY_IO_PWRITE, writes) == 0
        before = writes[0]
        assert jet.lib.EsepyTestFailIO(jet.C.ESEPY_IO_PWRITE, 1, 0, jet.C.JET_errDiskIO, jet.ffi.NULL) == 0
        try:
            with pytest.raises(errors.DiskIO):
                with db.open_table("big") as big:  # evicts the dirty leaf: its write fails
                    assert len(list(big)) == 400
        finally:
            jet.lib.EsepyTestFailIO(jet.C.ESEPY_IO_PWRITE, 0, 0, 0, jet.ffi.NULL)
        assert jet.lib.EsepyTestGetIOCount(jet.C.ESEPY_IO_PWRITE, writes) == 0
        assert writes[0] == before + 1  # exactly that one write was tried (and failed)
        s.begin_transaction()
        t.update(7, {"v": "seven again"})  # still dirty since the image: a change, no image
        t.update(8, {"v": "eight"})
        s.commit()
        t.close()
        stop_dirty(inst)
    finally:
        esepy.set_default_param("cache_size_max", cache_max)
    old = _pages(path)
    saved = str(tmp_path / "saved")
    shutil.copytree(root, saved)
    expect = {k: {7: "seven again", 8: "eight"}.get(k, f"v{k}") for k in range(60)}
    assert _rows(root, path) == expect
    new = _pages(path)
    shutil.rmtree(root)
    shutil.copytree(saved, root)
    changed = [p for p in old if new.get(p) != old[p]]
    assert changed
    with open(path, "r+b") as f:  # what the failed write may have left: torn pages
        for p in changed:
            f.seek((p + 1) * PAGE)
            f.write(new[p][:512] + old[p][512:])
    assert inspection.DatabaseFile(path).checksum().problems
    assert _rows(root, path) == expect
    assert inspection.DatabaseFile(path).check_integrity().ok
