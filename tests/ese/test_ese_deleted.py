"""Deleted and damaged data in Windows ESE files (issue 17 item 5): records flagged
deleted (export --include-deleted), records carved from pages the table's tree no
longer reaches (EseTable.carve, esepy carve), and a database that stores no catalog
(a temporary database such as NTDS temp.edb) named for what it is.  The damage is
made in the test on a copy of a 4 KiB sample, page checksums re-stamped."""
import io
import json
import shutil
import struct

import pytest

import esepy
from esepy import cli, errors

from ese_checksums import segment_checksum

PAGE = 4096
SAMPLE = "dissect_text_4k.edb"   # table "text" (objid 8): one record, on leaf page 33


def _read(path, pgno):
    with open(path, "rb") as f:
        f.seek((pgno + 1) * PAGE)
        return bytearray(f.read(PAGE))


def _write(path, pgno, b):
    struct.pack_into("<Q", b, 0, segment_checksum(bytes(b), pgno))
    with open(path, "r+b") as f:
        f.seek((pgno + 1) * PAGE)
        f.write(b)


def _set_node_flag(b, itag, flag):
    """Small pages keep a node's flags in the top 3 bits of its tag's offset word."""
    at = PAGE - 4 * (itag + 1) + 2
    struct.pack_into("<H", b, at, struct.unpack_from("<H", b, at)[0] | (flag << 13))


class Run:
    def __init__(self, argv):
        out, err = io.StringIO(), io.StringIO()
        self.code = cli.main([str(a) for a in argv], stdout=out, stderr=err)
        self.out, self.err = out.getvalue(), err.getvalue()

    @property
    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"Run -> {self.code}\n{self.out[-2000:]}\n{self.err[-2000:]}"


@pytest.fixture
def esepy_cli():
    return lambda *argv: Run(argv)


@pytest.fixture
def copy(samples, tmp_path):
    path = str(tmp_path / "copy.edb")
    shutil.copyfile(samples(SAMPLE), path)
    return path


def test_flag_deleted_record_is_skipped_then_included(copy, esepy_cli, tmp_path):
    with esepy.open_ese(copy) as db:
        live = list(db.tables["text"].records())
    assert [r.pgno for r in live] == [33]
    b = _read(copy, 33)
    _set_node_flag(b, live[0].itag, 0x2)
    _write(copy, 33, b)
    with esepy.open_ese(copy) as db:
        t = db.tables["text"]
        assert list(t.records()) == []
        assert t.count() == 0
        rows = list(t.records(include_deleted=True))
        assert len(rows) == 1 and rows[0].deleted and dict(rows[0]) == dict(live[0])
        assert db.damage == []
    out = tmp_path / "t.json"
    r = esepy_cli("export", copy, "text", "--format", "json", "-o", out)
    assert r.code == 0 and json.loads(out.read_text()) == []
    r = esepy_cli("export", copy, "text", "--format", "json", "-o", out, "--include-deleted")
    assert r.code == 0, r
    rows = json.loads(out.read_text())
    assert len(rows) == 1 and rows[0]["_deleted"] is True and rows[0]["Id"] == live[0]["Id"]
    r = esepy_cli("export", copy, "text", "--format", "csv", "--include-deleted")
    assert r.code == 0 and r.out.splitlines()[0].endswith(",_deleted") and r.out.splitlines()[1].endswith(",True")


def test_export_include_deleted_refused_on_esepy_database(esepy_cli, tmp_path):
    db = str(tmp_path / "own.edb")
    (tmp_path / "sys").mkdir()
    (tmp_path / "logs").mkdir()
    paths = {"system_path": str(tmp_path / "sys") + "/", "log_path": str(tmp_path / "logs") + "/"}
    with esepy.Instance("own", **paths) as inst, inst.begin_session() as s:
        s.create_database(db).close()
    r = esepy_cli("export", db, "t", "--include-deleted")
    assert r.code == 2 and "Windows" in r.err


def test_carve_records_from_a_page_no_tree_reaches(copy, esepy_cli):
    with esepy.open_ese(copy) as db:
        live = list(db.tables["text"].records())
        n = db.header["page_count"]
        assert list(db.tables["text"].carve()) == []   # every leaf is reached: nothing to carve
    # an orphan: the table's leaf page copied past the end of the file, as a freed page would be
    b = _read(copy, 33)
    with open(copy, "ab") as f:
        f.write(b"\0" * PAGE)
    _write(copy, n + 1, b)
    with esepy.open_ese(copy) as db:
        carved = list(db.tables["text"].carve())
        assert [(r.pgno, r.itag, r.carved) for r in carved] == [(n + 1, live[0].itag, True)]
        assert dict(carved[0]) == dict(live[0])
        assert [r.pgno for r in db.tables["text"].records()] == [33]   # the table itself is unchanged
        assert list(db.tables["MSysLocales"].carve()) == []            # another table's objid
    r = esepy_cli("carve", copy, "text", "--json")
    assert r.code == 0, r
    assert r.json["carved"] == 1 and r.json["rows"][0]["_source"] == "carved"
    assert r.json["rows"][0]["_page"] == n + 1


def test_database_without_a_catalog_says_what_it_is(copy, esepy_cli):
    b = _read(copy, 4)   # the catalog root: made an empty root leaf, as a temporary database has
    flags = struct.unpack_from("<I", b, 36)[0]
    struct.pack_into("<I", b, 36, (flags & ~0x4) | 0x2)
    struct.pack_into("<H", b, 34, (struct.unpack_from("<H", b, 34)[0] & 0xF000) | 1)
    _write(copy, 4, b)
    with esepy.open_ese(copy) as db:
        assert len(db.tables) == 0
        assert db.no_catalog
        assert db.header["no_catalog"] is True
        assert db.damage == []
        with pytest.raises(KeyError, match="temporary database such as NTDS temp.edb"):
            db.tables["text"]
    r = esepy_cli("tables", copy)
    assert r.code == 0 and "stores no catalog" in r.out and "CatalogCorrupted" not in r.out + r.err
    r = esepy_cli("export", copy, "text")
    assert r.code == 1 and "temp.edb" in r.err and "CatalogCorrupted" not in r.err


def test_damaged_catalog_is_still_damage(copy):
    b = _read(copy, 4)   # a catalog root whose tag array is impossible: damage, not "no catalog"
    struct.pack_into("<H", b, 34, (struct.unpack_from("<H", b, 34)[0] & 0xF000) | 0xFFF)
    _write(copy, 4, b)
    with esepy.open_ese(copy) as db:
        with pytest.raises(errors.CatalogCorrupted):
            db.tables
        assert not db.header["no_catalog"]
