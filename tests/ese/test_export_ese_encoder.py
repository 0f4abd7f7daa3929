"""The C encoder of exported records and index keys (csrc/esefmt/eseencode.c, _esepy._EseEncoder)
gives the bytes of the Python reference (_export_ese._encode_record / _index_keys): row by row
on every column type, multi-values, separated long values, defaults, NULLs, every null rule and
descending keys; and whole exported files (esepy databases, make_ese schemas, the Windows
samples imported) are byte-identical whichever encoder writes them."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import struct
import uuid

import pytest

import esepy
import esepy.testing
from esepy import _export_ese as X

from test_export_ese import COLUMNS, NROWS, _build, _row
from test_ese_import import SAMPLES


@pytest.fixture(autouse=True)
def page_size_back():
    old = esepy.get_default_param("database_page_size")
    yield
    esepy.set_default_param("database_page_size", old)


def _schema_columns():
    """ColumnSpecs of COLUMNS (every type), as make_ese builds them."""
    from esepy._isam import _coltype
    out = []
    for name, spec, _a, _b in COLUMNS:
        d = {"type": spec} if not isinstance(spec, dict) else dict(spec)
        coltyp = int(_coltype(d["type"]))
        out.append(X.ColumnSpec(name, coltyp, int(d.get("max_length", 255 if coltyp in (9, 10) else 0)),
                                codepage=int(d.get("codepage", 1200 if coltyp in (10, 12) else 0)),
                                fixed=bool(d.get("fixed")), tagged=bool(d.get("tagged")),
                                multivalued=bool(d.get("multi_valued"))))
    return out


def _indexes():
    P = X.IndexSpec
    return [P("primary", [("id", False)], primary=True),
            P("by_short", [("sh", False)]), P("by_guid", [("g", False)], unique=True, ignore_null=True),
            P("by_double_desc", [("db", True), ("id", False)]), P("by_text", [("tx", False)]),
            P("by_unicode", [("ut", False)]), P("by_unicode_desc", [("ut", True), ("lb", False)]),
            P("by_mv", [("mv", False), ("mvt", True)]), P("by_any", [("tg", False), ("b", False)], ignore_any_null=True),
            P("by_first", [("ul", False), ("fl", False)], ignore_first_null=True),
            P("by_high", [("ll", True), ("cur", False), ("dt", False), ("fb", False)], sort_nulls_high=True),
            P("by_bin", [("bin", False), ("us", False), ("ub", False), ("ull", False)])]


class _FakeLV:
    def __init__(self):
        self.lid, self.puts = 0, []

    def put(self, data):
        self.lid += 1
        self.puts.append(bytes(data))
        return struct.pack("<I", self.lid)


def _rows():
    rows = [_row(i) for i in range(1, NROWS + 1)]
    # edge values: long text keys cut at the key most, NUL in ASCII text, case folding, empty values
    rows += [{"id": 1000, "ut": "\u00df" + "a" * 126, "tx": "ab\x00cd", "bin": b"x" * 17, "lb": b"", "mv": [None, 5],
              "mvt": [], "tg": 0, "b": False, "sh": -32768, "fl": float("-inf"), "db": -0.0},
             {"id": 1001, "ut": "", "tx": "", "bin": b"12345678", "lt": "", "mv": [3, 1, 3], "mvt": ["x" * 2000],
              "ll": -1, "cur": 2 ** 63 - 1, "dt": dt.datetime(1899, 12, 30), "fb": b"ab"}]
    return rows


@pytest.mark.parametrize("large", [False, True])
def test_c_encoder_matches_reference_row_by_row(large):
    cols = _schema_columns()
    ixs = _indexes()
    t = X.TableSpec("all", cols, ixs, lambda: [], 0)
    X._layout(t, None)
    for c in cols[3:6]:
        c.default = X._encode_value(c, 1)      # some defaults: a column a row does not name takes it
    cmap = {c.name: c for c in cols}
    fixed = [c for c in cols if c.kind == "fixed"]
    var = [c for c in cols if c.kind == "variable"]
    tagged = [c for c in cols if c.kind == "tagged"]
    ref_lv, c_lv = _FakeLV(), _FakeLV()
    enc = X._encoder(t, large, ixs, lambda _i, data: c_lv.put(data))
    rows = _rows()
    recs, ents, sub, dbk = enc.encode([X._stored_tuple(r, cols) for r in rows], 0)
    assert dbk == 0 and len(recs) == len(rows)
    for r, (pk, rec) in zip(rows, recs):
        assert [pk] == X._index_keys(t, ixs[0], cmap, r)
        assert rec == X._encode_record(t, r, large, lambda: ref_lv, fixed, var, tagged), r["id"]
    assert c_lv.puts == ref_lv.puts and len(c_lv.puts) > 10
    for i, ix in enumerate(ixs[1:]):
        want = [(k, pk) for r, (pk, _rec) in zip(rows, recs) for k in X._index_keys(t, ix, cmap, r)]
        assert ents[i] == want, ix.name
    # the indexes with substitute Unicode segments: those the reference flagged (ix.unicode)
    assert sub == sum(1 << i for i, ix in enumerate(ixs) if ix.unicode) and sub & (1 << 5)
    # a table without a primary index: sequential keys go on from dbk
    t2 = X.TableSpec("seq", [X.ColumnSpec("n", 4)], [], lambda: [], 0)
    X._layout(t2, None)
    recs2, ents2, _s, dbk2 = X._encoder(t2, large, [], lambda *_: b"").encode([[struct.pack("<i", 5)], [None]], 7)
    assert dbk2 == 9 and [pk for pk, _ in recs2] == [b"\0\0\0\x08", b"\0\0\0\x09"] and ents2 == []


def test_c_encoder_errors_word_as_reference(tmp_path):
    cols = [X.ColumnSpec("k", 4), X.ColumnSpec("v", 9, 10), X.ColumnSpec("f", 9, 4, fixed=True),
            X.ColumnSpec("t", 11, tagged=True)]
    t = X.TableSpec("T", cols, [X.IndexSpec("primary", [("k", False)], primary=True),
                                X.IndexSpec("nn", [("v", False)], disallow_null=True)], lambda: [], 0)
    X._layout(t, None)
    cases = [({"k": 1, "v": b"x" * 300}, "a 300-byte value in a variable column"),
             ({"k": 1, "v": b"x", "f": b"12345"}, "a 5-byte value in a 4-byte fixed column"),
             ({"v": b"x"}, "does not allow NULL key columns"),
             ({"k": 1}, "index nn does not allow NULL key columns"),
             ({"k": 1, "v": b"x", "t": [b"y" * 1000] * 9}, "tagged columns take 9023 bytes")]
    for row, words in cases:
        spec = X.TableSpec("T", cols, t.indexes, lambda row=row: [row], 1)
        for ref in (True, False):
            X._REFERENCE_ENCODER = ref
            try:
                with pytest.raises(X.ExportError, match=words):
                    X.encode_database(str(tmp_path / f"e{ref}.edb"), [spec], 8192)
            finally:
                X._REFERENCE_ENCODER = False
            if os.path.exists(tmp_path / f"e{ref}.edb"):
                os.unlink(tmp_path / f"e{ref}.edb")


def _digest(path, page_size):
    """The file's pages after its two header pages (the header holds the time and a random
    signature: it differs between any two exports)."""
    with open(path, "rb") as f:
        data = f.read()
    assert len(data) > 2 * page_size
    return hashlib.sha256(data[2 * page_size:]).hexdigest()


def _both(write, tmp_path, tag, page_size):
    """The file write(path) makes with the Python reference and with the C encoder (its
    pages after the header)."""
    out = []
    for ref in (True, False):
        path = str(tmp_path / f"{tag}-{'py' if ref else 'c'}.edb")
        X._REFERENCE_ENCODER = ref
        try:
            write(path)
        finally:
            X._REFERENCE_ENCODER = False
        out.append(_digest(path, page_size))
    return out


@pytest.mark.parametrize("page_size", [4096, 32768])
def test_exported_files_identical(tmp_path, page_size):
    src = str(tmp_path / "src.edb")
    _build(src, tmp_path)
    ref, new = _both(lambda p: esepy.export_ese(src, p, page_size=page_size), tmp_path, "db", page_size)
    assert ref == new
    schema = {"all": {"columns": {n: s for n, s, _a, _b in COLUMNS}, "primary_key": ["id"],
                      "indexes": {"u": {"key": ["+ut", "-id"]}, "m": {"key": ["+mv"]},
                                  "g": {"key": ["+g"], "unique": True, "ignore_null": True}}},
              "nokey": {"columns": {"a": "long", "b": {"type": "text", "default": "dflt".encode("utf-16-le")}}}}
    rows = {"all": [_row(i) for i in range(1, NROWS + 1)], "nokey": [{"a": i} for i in range(600)]}
    ref, new = _both(lambda p: esepy.testing.make_ese(p, schema, rows, page_size=page_size), tmp_path, "mk",
                     page_size)
    assert ref == new


@pytest.mark.parametrize("sample", ["dissect_multi_4k.edb", "dissect_text_4k.edb", "qmgr_win11_24h2_16k.db"])
def test_samples_export_identical(ese_samples, tmp_path, sample):
    assert any(s == sample for s, _l in SAMPLES)
    imported = str(tmp_path / "imported.edb")
    report = esepy.import_ese(os.path.join(ese_samples, sample), imported, check_index_order=False)
    ref, new = _both(lambda p: esepy.export_ese(imported, p, page_size=report.page_size), tmp_path, "s",
                     report.page_size)
    assert ref == new


def test_encoder_rows_of_any_sequence_and_misuse():
    """Rows may be any sequence (values made on the fly are kept alive while encoded); a wrong
    row length or value type is refused; a callback may not re-enter encode()."""
    import collections.abc

    cols = [X.ColumnSpec("k", 4), X.ColumnSpec("b", 11, tagged=True)]
    t = X.TableSpec("T", cols, [X.IndexSpec("primary", [("k", False)], primary=True)], lambda: [], 0)
    X._layout(t, None)

    class Row(collections.abc.Sequence):
        def __init__(self, k):
            self.k = k

        def __len__(self):
            return 2

        def __getitem__(self, i):
            if i >= 2:
                raise IndexError(i)
            return struct.pack("<i", self.k) if i == 0 else bytes([self.k]) * 50   # new objects each time

    puts = []
    enc = X._encoder(t, False, t.indexes, lambda _i, d: puts.append(d) or struct.pack("<I", len(puts)))
    recs, _e, _s, _d = enc.encode([Row(i) for i in range(5)], 0)
    for i, (pk, rec) in enumerate(recs):
        assert pk == X._index_keys(t, t.indexes[0], {c.name: c for c in cols}, {"k": i})[0]
        assert rec.endswith(bytes([i]) * 50)
    with pytest.raises(ValueError, match="a row of 1 values for 2 columns"):
        enc.encode([[b"\0\0\0\0"]], 0)
    with pytest.raises(TypeError, match="must be bytes"):
        enc.encode([[1, None]], 0)

    def again(_icol, _data):
        return enc2.encode([[struct.pack("<i", 1), None]], 0)
    enc2 = X._encoder(t, False, t.indexes, again)
    with pytest.raises(RuntimeError, match="again while it runs"):
        enc2.encode([[struct.pack("<i", 1), b"x" * 5000]], 0)
    assert enc2.encode([[struct.pack("<i", 2), b"small"]], 0)[0][0][1].endswith(b"small")
