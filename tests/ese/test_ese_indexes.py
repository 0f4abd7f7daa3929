"""Index metadata of Windows ESE files (issue 17 item 1).

The catalog's KeyFldIDs of an index whose Flags carry the extended-columns
flag (0x00010000) hold 4-byte entries: a flag byte (0x40 descending, 0x80
template column), a reserved byte and a 2-byte column id.  They used to be
read as two 2-byte ids each (an index on one column showed [0, 1]).
Compared with dissect.esedb (a `test` extra) on every sample."""
import os
import shutil
import struct

import pytest

import esepy
from esepy import ese

from test_ese_recover import ecc_checksum

dissect_esedb = pytest.importorskip("dissect.esedb", reason="dissect.esedb is part of the test extra")

SAMPLES = [
    "dissect_text_4k.edb", "dissect_binary_4k.edb", "dissect_multi_4k.edb", "dissect_large_32k.edb",
    "stroz_decompress_7bit_8k.edb", "stroz_decompress_lzxpress_8k.edb", "qmgr_win11_24h2_16k.db",
    "srum_win11_dirty/SRUDB.dat",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_index_key_columns_match_dissect(samples, name):
    path = samples(name)
    compared = 0
    with open(path, "rb") as fh, esepy.open_ese(path) as db:
        theirs = dissect_esedb.EseDB(fh)
        their_tables = {t.name: t for t in theirs.tables()}
        for t in db.tables:
            tt = their_tables.get(t.name)
            if tt is None:
                continue
            their_idx = {i.name: i for i in tt.indexes}
            assert sorted(x["name"] for x in t.indexes) == sorted(their_idx), t.name
            for x in t.indexes:
                ti = their_idx[x["name"]]
                assert [k["columnid"] for k in x["key_columns"]] == ti.column_ids, (t.name, x["name"])
                assert [k["name"] for k in x["key_columns"]] == [c.name for c in ti.columns]
                assert x["primary"] == ti.is_primary
                compared += 1
    assert compared > 0


def test_srum_index_keys(samples):
    with esepy.open_ese(samples("srum_win11_dirty/SRUDB.dat")) as db:
        ids = db.tables["SruDbIdMapTable"]
        assert ids.primary_key == ["+IdIndex"]
        assert ids.index("IdTypeIdBlob")["key"] == ["+IdType", "+IdBlob"]
        assert ids.index("IdTypeIdBlob")["primary"] is False
        k = ids.index("IdIndex")["key_columns"]
        assert len(k) == 1 and k[0]["name"] == "IdIndex" and k[0]["order"] == "ascending"
        with pytest.raises(KeyError):
            ids.index("nope")
        cat = db.tables["MSysObjects"]
        assert cat.index("RootObjects")["key"] == ["+RootFlag", "+Name"]


def test_descending_key_column(samples, tmp_path):
    """A copy of a sample whose catalog says MSysObjects' RootObjects index
    sorts Name descending (flag byte 0x40, page checksum recomputed)."""
    path = str(tmp_path / "desc.edb")
    shutil.copyfile(samples("dissect_text_4k.edb"), path)
    page, pgno = 4096, 13  # the catalog leaf holding the RootObjects index row
    entries = struct.pack("<BBHBBH", 0, 0, 8, 0, 0, 128)  # RootFlag, Name: both ascending
    with open(path, "r+b") as f:
        f.seek((pgno + 1) * page)
        b = bytearray(f.read(page))
        assert struct.unpack_from("<I", b, 24)[0] == 2  # objidFDP 2: MSysObjects
        at = b.find(entries)
        assert at > 0 and b.find(entries, at + 1) < 0
        b[at + 4] = 0x40
        struct.pack_into("<Q", b, 0, ecc_checksum(bytes(b), pgno))
        f.seek((pgno + 1) * page)
        f.write(b)
    with esepy.open_ese(path) as db:
        assert db.damage == []
        x = db.tables["MSysObjects"].index("RootObjects")
        assert x["key"] == ["+RootFlag", "-Name"]
        assert [k["order"] for k in x["key_columns"]] == ["ascending", "descending"]
        assert [k["columnid"] for k in x["key_columns"]] == [8, 128]


def test_template_key_columns_are_named_from_the_template_table():
    """A derived table's key column flagged "template" (0x80) is a column of its
    template table; a template table's own key columns carry the flag too."""
    def col(name, columnid):
        return {"name": name, "columnid": columnid, "coltyp": 4, "codepage": 0, "flags": 0,
                "cb_max": 4, "default": None, "record_offset": 4}

    def info(name, template, columns, key):
        return {"name": name, "objid": 1, "pgno_fdp": 1, "objid_lv": 0, "pgno_fdp_lv": 0, "flags": 0,
                "template_table": template, "columns": columns,
                "indexes": [{"name": "ix", "objid": 2, "pgno_fdp": 2, "flags": 0x10020, "lcid": 0,
                             "key_columns": key}]}

    class Tables(dict):
        def names(self):
            return list(self)

    db = type("Db", (), {})()
    db.tables = Tables()
    tmpl = ese.EseTable(db, 0, info("Tmpl", "", [col("A", 1)], [(1, False, True)]))
    db.tables["Tmpl"] = tmpl
    derived = ese.EseTable(db, 1, info("Derived", "Tmpl", [col("B", 2)], [(1, True, True), (2, False, False)]))
    db.tables["Derived"] = derived
    assert tmpl.primary_key == ["+A"]
    assert derived.primary_key == ["-A", "+B"]
    assert [k["template"] for k in derived.index("ix")["key_columns"]] == [True, False]
