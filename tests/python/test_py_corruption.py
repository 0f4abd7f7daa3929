"""A damaged page is reported with where it was found: the engine emits
EVENT_PAGE_CORRUPTED (path, page, node, reason) from the read that found it,
and the exception the failing call raises carries the same text."""
from __future__ import annotations

import logging
import shutil
import struct

import pytest

import esepy
from esepy import errors as E
from esepy import inspection

PAGE = 4096


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory):
    """A cleanly detached database, table "t" over many leaf pages; (path, objid of t)."""
    root = tmp_path_factory.mktemp("corrupt")
    path = str(root / "c.edb")
    with esepy.Instance("corrupt-make", system_path=str(root / "sys") + "/", log_path=str(root / "logs") + "/",
                        create_path_if_not_exist=True) as inst:
        with inst.begin_session() as s:
            db = s.create_database(path)
            t = db.create_table("t", {"id": "long", "name": "text"}, primary_key=["id"])
            with s.transaction():
                for i in range(2000):
                    t.insert({"id": i, "name": "x" * 100})
    df = inspection.DatabaseFile(path)
    return path, {u.name: u for u in df.space_usage()}["t"].objid


def _leaf(path, objid):
    """A leaf page of the tree objid (not its first) and its bytes."""
    df = inspection.DatabaseFile(path)
    leaves = [p for p in range(1, df.page_count + 1)
              if struct.unpack_from("<II", df.read_page(p), 16) == (objid, 1)]
    assert len(leaves) > 3
    return leaves[len(leaves) // 2]


def _rewrite(path, pgno, change, fix_checksum=True):
    with open(path, "r+b") as f:
        f.seek((pgno + 1) * PAGE)
        page = bytearray(f.read(PAGE))
        change(page)
        if fix_checksum:
            struct.pack_into("<I", page, 0, inspection.crc32c(bytes(page[4:]), pgno))
        f.seek((pgno + 1) * PAGE)
        f.write(page)


def _read_all(path, tmp_path):
    with esepy.Instance("corrupt-read", system_path=str(tmp_path / "s2") + "/", log_path=str(tmp_path / "l2") + "/",
                        create_path_if_not_exist=True) as inst:
        with inst.begin_session() as s:
            db = s.attach_database(path)
            return sum(1 for _ in db.open_table("t"))


def test_the_intact_copy_reads(clean_db, tmp_path):
    path = str(tmp_path / "ok.edb")
    shutil.copy(clean_db[0], path)
    assert _read_all(path, tmp_path) == 2000


def test_overlapping_nodes_name_page_node_and_reason(clean_db, tmp_path, caplog):
    path = str(tmp_path / "overlap.edb")
    shutil.copy(clean_db[0], path)
    leaf = _leaf(path, clean_db[1])

    def overlap(pg):  # slot 1 names the node of slot 0: two slots share its bytes
        pg[PAGE - 4:PAGE - 2] = pg[PAGE - 2:PAGE]

    _rewrite(path, leaf, overlap)
    caplog.set_level(logging.ERROR, logger="esepy")
    with pytest.raises(E.DatabaseCorrupted) as ei:
        _read_all(path, tmp_path)
    text = str(ei.value)
    assert f"{path} (dbid 1): page {leaf}, node 1: node overlaps another node" in text, text
    evs = [r for r in caplog.records if getattr(r, "event_id", None) == esepy.EVENT_PAGE_CORRUPTED]
    assert evs, caplog.records
    assert evs[0].event_fields == {"path": path, "pgno": str(leaf), "node": "1",
                                   "reason": "node overlaps another node (P2)"}
    assert evs[0].jet_err == -1206 and evs[0].levelno == logging.ERROR


def test_a_checksum_failure_names_the_page(clean_db, tmp_path, caplog):
    path = str(tmp_path / "crc.edb")
    shutil.copy(clean_db[0], path)
    leaf = _leaf(path, clean_db[1])
    _rewrite(path, leaf, lambda pg: pg.__setitem__(PAGE // 2, pg[PAGE // 2] ^ 0x40), fix_checksum=False)
    caplog.set_level(logging.ERROR, logger="esepy")
    with pytest.raises(E.JetError) as ei:
        _read_all(path, tmp_path)
    assert ei.value.code == -1018  # JET_errReadVerifyFailure
    assert f"page {leaf}: checksum mismatch" in str(ei.value), str(ei.value)
    evs = [r for r in caplog.records if getattr(r, "event_id", None) == esepy.EVENT_PAGE_CORRUPTED]
    assert evs and evs[0].event_fields["pgno"] == str(leaf) and evs[0].jet_err == -1018


def test_the_context_is_not_carried_to_an_unrelated_error(clean_db, tmp_path):
    """A corruption report is taken by the next exception of its thread only when that one is a
    corruption error; any other exception drops it."""
    E._note_corruption("database x: page 1: stale")
    err = E._make_error(-1601, "JetSeek")  # JET_errRecordNotFound
    assert "stale" not in str(err)
    assert "stale" not in str(E._make_error(-1206, "JetMove"))
