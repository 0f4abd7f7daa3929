"""Reads through secondary indexes of Windows ESE files (issue 17 item 1).

Differential against dissect.esedb (a `test` extra) on every sample: every
index of every table gives the same entries (normalised index key and primary
key) in the same order, and a search for the key values of sampled records
finds dissect's record among esepy's matches."""
import datetime
import uuid

import pytest

import esepy
from esepy import _esekey

dissect_esedb = pytest.importorskip("dissect.esedb", reason="dissect.esedb is part of the test extra")

SAMPLES = [
    "dissect_index_4k.edb", "dissect_text_4k.edb", "dissect_binary_4k.edb", "dissect_multi_4k.edb",
    "dissect_large_32k.edb",
    "stroz_decompress_7bit_8k.edb", "stroz_decompress_lzxpress_8k.edb", "qmgr_win11_24h2_16k.db",
    "srum_win11_dirty/SRUDB.dat",
]


def _their_entries(index):
    """(index key, primary key) of every entry of a dissect index, deleted ones included
    (dissect does not skip flag-deleted nodes)."""
    cur = index.cursor()
    try:
        cur.seek_key(b"")
    except IndexError:  # an empty tree
        return []
    out = []
    while True:
        out.append((bytes(cur._primary.node().key), bytes(cur._node().key)))
        try:
            cur._primary.next()
        except Exception:  # dissect's NoNeighbourPageError at the last leaf
            return out


@pytest.mark.parametrize("name", SAMPLES)
def test_every_index_order_matches_dissect(samples, name):
    path = samples(name)
    compared = entries = 0
    with open(path, "rb") as fh, esepy.open_ese(path) as db:
        theirs = {t.name: t for t in dissect_esedb.EseDB(fh).tables()}
        for t in db.tables:
            tt = theirs.get(t.name)
            if tt is None:
                continue
            their_idx = {i.name: i for i in tt.indexes}
            for x in t.indexes:
                mine = [(r.index_key, r.key) for r in x.records(include_deleted=True)]
                assert mine == _their_entries(their_idx[x["name"]]), (t.name, x["name"])
                compared += 1
                entries += len(mine)
        assert db.damage == []
    assert compared >= 6 and entries > 0


@pytest.mark.parametrize("name", SAMPLES)
def test_search_finds_dissects_record(samples, name):
    path = samples(name)
    searched = by_value = 0
    with open(path, "rb") as fh, esepy.open_ese(path) as db:
        theirs = {t.name: t for t in dissect_esedb.EseDB(fh).tables()}
        for t in db.tables:
            tt = theirs.get(t.name)
            for x in t.indexes:
                recs = list(x.records())
                for r in recs[::max(1, len(recs) // 5)]:
                    key = tuple(r[k["name"]] for k in x["key_columns"])
                    got = list(x.search(key))
                    assert got, (t.name, x["name"], key)
                    # every match has the key searched for, and they come in index order
                    try:
                        norm = x.key(key)
                    except _esekey.KeyNotNormalisable:   # Unicode text: matched by decoded value
                        by_value += 1
                        assert all(tuple(g[k["name"]] for k in x["key_columns"]) == key for g in got)
                    else:
                        assert all(g.index_key.startswith(norm) for g in got)
                    assert [g.index_key for g in got] == sorted(g.index_key for g in got)
                    assert (r.pgno, r.itag) in [(g.pgno, g.itag) for g in got]
                    # the same record dissect's search returns (searched by its own values)
                    if tt is not None:
                        ti = {i.name: i for i in tt.indexes}[x["name"]]
                        their = ti.search(**{c.name: _their_value(tt, c, r) for c in ti.columns})
                        assert bytes(their._node.key) in [g.key for g in got]
                    first = t.find(x["name"], key)
                    assert first is not None and first.key == got[0].key
                    searched += 1
    assert searched >= 10
    if name == "dissect_index_4k.edb":
        assert by_value == 2  # IxUnicode and IxLongUnicode, found as dissect finds them


def _their_value(their_table, column, rec):
    """dissect's own value of a column of the record esepy read (dissect keeps DateTime
    as the raw integer and GUIDs as text)."""
    from dissect.esedb.c_esedb import JET_coltyp
    v = rec[column.name]
    if column.type == JET_coltyp.DateTime and v is not None:
        return esepy.ese._ole_bits((v - esepy.ese._OLE_EPOCH) / datetime.timedelta(days=1))
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


def test_srum_secondary_index_search_and_range(samples):
    with esepy.open_ese(samples("srum_win11_dirty/SRUDB.dat")) as db:
        ids = db.tables["SruDbIdMapTable"]
        idx = ids.index("IdTypeIdBlob")
        every = list(idx.records())
        assert len(every) == ids.count()
        types = [r["IdType"] for r in every]
        assert types == sorted(types)  # key order of the secondary index, not IdIndex order
        assert [r["IdIndex"] for r in every] != sorted(r["IdIndex"] for r in every)
        # partial key: every record of one IdType, nothing else
        t3 = list(idx.search((3,)))
        assert t3 and all(r["IdType"] == 3 for r in t3)
        assert len(t3) == types.count(3)
        # half-open range over the leading column
        assert [r.key for r in idx.range((0,), (3,))] == [r.key for r in every if r["IdType"] < 3]
        assert [r.key for r in idx.range(start=(3,))] == [r.key for r in every if r["IdType"] >= 3]
        # raw bounds: the stored keys of two records
        lo, hi = every[2].index_key, every[7].index_key
        assert [r.key for r in idx.range(lo, hi, raw=True)] == [r.key for r in every[2:7]]
        # unique primary index: find one, find nothing
        rec = ids.find("IdIndex", every[5]["IdIndex"])
        assert rec["IdBlob"] == every[5]["IdBlob"]
        assert ids.find("IdIndex", 10 ** 6) is None
        assert ids.find_all("IdIndex", 10 ** 6) == []
        with pytest.raises(ValueError):
            list(idx.search((1, b"x", 3)))


def test_descending_and_signed_keys():
    seg = _esekey.segment
    assert seg(4, 0, True, 1) == b"\x7f\x80\x00\x00\x01"
    assert seg(4, 0, True, -1) == b"\x7f\x7f\xff\xff\xff"
    assert seg(4, 0, True, 1, descending=True) == bytes(b ^ 0xFF for b in b"\x7f\x80\x00\x00\x01")
    assert seg(14, 0, True, 1) == b"\x7f\x00\x00\x00\x01"
    assert seg(7, 0, True, -2.0) < seg(7, 0, True, -1.0) < seg(7, 0, True, 0.0) < seg(7, 0, True, 1.5)
    assert seg(10, 1252, False, "abc\u00e9") == b"\x7fABC\xe9\x00"  # only a-z are upper-cased
    assert seg(10, 1252, False, "") == b"\x40"
    assert seg(9, 0, False, b"123456789") == b"\x7f12345678\x099" + b"\x00" * 7 + b"\x01"
    assert seg(9, 0, True, b"\x01\x02") == b"\x7f\x01\x02"  # fixed binary as stored
    assert seg(4, 0, True, None) == b"\x00"
    g = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
    # ESE's GUID key byte order
    assert seg(16, 0, True, g) == b"\x7f" + bytes.fromhex("aabbccddeeff88997766554433221100")
    with pytest.raises(_esekey.KeyNotNormalisable, match="LCMapString"):
        seg(10, 1200, False, "abc")


def test_unicode_text_key_falls_back_to_decoded_values(samples, monkeypatch):
    """A key column esepy cannot normalise (Unicode text: no sample has such an index, so
    one is simulated on a binary column) is matched by decoded value after the
    columns before it are sought by their normalised key: same records."""
    with esepy.open_ese(samples("srum_win11_dirty/SRUDB.dat")) as db:
        idx = db.tables["SruDbIdMapTable"].index("IdTypeIdBlob")
        target = list(idx.records())[4]
        key = (target["IdType"], target["IdBlob"])
        expected = [r.key for r in idx.search(key)]
        real = _esekey.segment

        def refuse_binary(coltyp, codepage, fixed, value, descending=False):
            if coltyp in (9, 11):
                raise _esekey.KeyNotNormalisable("simulated")
            return real(coltyp, codepage, fixed, value, descending)

        monkeypatch.setattr(_esekey, "segment", refuse_binary)
        assert [r.key for r in idx.search(key)] == expected == [target.key]
        with pytest.raises(_esekey.KeyNotNormalisable):
            list(idx.range(key))
