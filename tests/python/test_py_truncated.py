"""A truncated esepy database is named as such (invariant D4 of
csrc/isam/db.c): attaching it fails with JET_errDatabaseCorrupted, not a
generic I/O error or a broken page link on the first read; the exception and
the ESEPY_EVENT_DATABASE_CORRUPTED event name the file and the missing pages;
read-only inspection names them too."""
from __future__ import annotations

import logging
import os
import shutil

import pytest

import esepy
from esepy import errors as E
from esepy import inspection


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory):
    """A cleanly detached database of 4 KiB pages: a few hundred pages used, more owned."""
    root = tmp_path_factory.mktemp("trunc")
    path = str(root / "app.edb")
    with esepy.Instance("trunc-make", system_path=str(root / "sys") + "/", log_path=str(root / "logs") + "/",
                        create_path_if_not_exist=True) as inst:
        with inst.begin_session() as s:
            db = s.create_database(path)
            t = db.create_table("people", {"id": "long", "name": "text"}, primary_key=["id"])
            with s.transaction():
                for i in range(3000):
                    t.insert({"id": i, "name": "x" * 100})
    df = inspection.DatabaseFile(path)
    assert df.header.is_clean and df.missing_pages() == []
    assert df.pages_used < df.pages_owned == df.page_count
    return path, df.pages_used


def _cut(clean_db, tmp_path, keep):
    src, used = clean_db
    dst = str(tmp_path / "cut.edb")
    shutil.copy(src, dst)
    with open(dst, "r+b") as f:
        f.truncate((keep + 2) * 4096)
    return dst, used


def _attach(path, tmp_path):
    with esepy.Instance("trunc-open", system_path=str(tmp_path / "s2") + "/", log_path=str(tmp_path / "l2") + "/",
                        create_path_if_not_exist=True) as inst:
        with inst.begin_session() as s:
            db = s.attach_database(path)
            return sum(1 for _ in db.open_table("people"))


@pytest.mark.parametrize("keep", [3, 40, -1])
def test_attach_of_a_truncated_file_names_the_missing_pages(clean_db, tmp_path, caplog, keep):
    used = clean_db[1]
    keep = used - 1 if keep < 0 else keep
    path, used = _cut(clean_db, tmp_path, keep)
    caplog.set_level(logging.ERROR, logger="esepy")
    with pytest.raises(E.DatabaseCorrupted) as ei:
        _attach(path, tmp_path)
    assert ei.value.code == -1206
    text = str(ei.value)
    assert path in text and f"pages {keep + 1}..{used}" in text
    evs = [r for r in caplog.records if r.name == "esepy" and r.event_id == esepy.EVENT_DATABASE_CORRUPTED]
    assert len(evs) == 1
    ev = evs[0]
    assert ev.jet_err == -1206 and ev.operation == "JetAttachDatabase" and ev.levelno == logging.ERROR
    assert path in ev.getMessage() and f"pages {keep + 1}..{used}" in ev.getMessage()
    assert ev.event_fields == {"path": path, "pgno_first": str(keep + 1), "pgno_last": str(used)}


def test_whole_file_still_attaches(clean_db, tmp_path):
    path = str(tmp_path / "whole.edb")
    shutil.copy(clean_db[0], path)
    assert _attach(path, tmp_path) == 3000


def test_owned_pages_never_used_may_be_absent(clean_db, tmp_path):
    """Owned pages above the high-water mark were never written: a file without them (as
    recovery rebuilds a database from its log) is whole."""
    path, used = _cut(clean_db, tmp_path, clean_db[1])
    df = inspection.DatabaseFile(path)
    assert df.page_count == used < df.pages_owned and df.missing_pages() == []
    assert df.checksum().ok
    assert _attach(path, tmp_path) == 3000


def test_inspection_names_the_missing_pages(clean_db, tmp_path):
    path, used = _cut(clean_db, tmp_path, 40)
    df = inspection.DatabaseFile(path)
    assert df.page_count == 40 and df.pages_used == used and df.pages_owned > used
    assert df.missing_pages() == list(range(41, used + 1))
    with pytest.raises(E.DatabaseCorrupted) as ei:
        df.read_page(41)
    assert path in str(ei.value) and f"pages 41..{used}" in str(ei.value)
    with pytest.raises(E.InvalidParameter):
        df.read_page(used + 1)
    rep = df.checksum()
    assert not rep.ok and rep.missing == list(range(41, used + 1))
    integ = df.check_integrity()
    assert not integ.ok
    first = integ.problems[0]
    assert first.error == "JET_errDatabaseCorrupted" and f"pages 41..{used}" in first.problem


def test_inspection_when_the_space_page_is_gone(clean_db, tmp_path):
    src, _ = clean_db
    path = str(tmp_path / "stub.edb")
    with open(src, "rb") as f, open(path, "wb") as g:
        g.write(f.read(2 * 4096))  # the two header copies only
    df = inspection.DatabaseFile(path)
    assert df.page_count == 0 and df.pages_used is None and df.pages_owned is None
    h = df.header
    assert df.missing_pages() == list(range(1, max(h.pgno_space, h.pgno_catalog) + 1))
    assert "at least" in df.missing_text() and os.path.basename(path) in df.missing_text()
    last = max(h.pgno_space, h.pgno_catalog)
    with pytest.raises(E.DatabaseCorrupted) as ei:
        _attach(path, tmp_path)
    assert path in str(ei.value) and f"pages 1..{last}" in str(ei.value)
