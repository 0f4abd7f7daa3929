"""Column default values through import and export: JET_COLUMNLIST's default reaches
esepy.Column.default, export_ese writes it into the catalog (MSysObjects' DefaultValue,
FIELDFLAG default), import_ese copies it from a Windows file, and a record that does not
hold the column reads as the default in every reader (ESE semantics)."""
from __future__ import annotations

import os
import struct

import pytest

import esepy
import esepy.testing
from esepy import _export_ese

dissect_esedb = pytest.importorskip("dissect.esedb")


@pytest.fixture(autouse=True)
def page_size_back():
    old = esepy.get_default_param("database_page_size")
    yield
    esepy.set_default_param("database_page_size", old)


def _instance(tmp_path, name):
    d = str(tmp_path / name) + os.sep
    return esepy.Instance(name, system_path=d, log_path=d, temp_path=d + "tmp.edb", create_path_if_not_exist=True)


DEFAULTS = {"n": (7, struct.pack("<i", 7)), "s": ("h\u00e9", "h\u00e9".encode("utf-16-le")),
            "a": ("none", b"none"), "t": (-3, struct.pack("<q", -3))}


def test_column_default_reported_and_exported(tmp_path):
    src = str(tmp_path / "src.edb")
    with _instance(tmp_path, "i1") as inst, inst.begin_session() as s:
        db = s.create_database(src)
        t = db.create_table("t", [esepy.ColumnDef("k", "long"),
                                  esepy.ColumnDef("n", "long", default=7),
                                  esepy.ColumnDef("s", "text", max_length=100, default="h\u00e9"),
                                  esepy.ColumnDef("a", "text", max_length=50, codepage=1252, default="none"),
                                  esepy.ColumnDef("t", "longlong", tagged=True, default=-3),
                                  esepy.ColumnDef("x", "long")], primary_key=["k"])
        # Python face: Column.default / default_raw (JET_COLUMNLIST's columnidDefault)
        cols = t.columns
        for name, (value, raw) in DEFAULTS.items():
            assert cols[name].default == value and cols[name].default_raw == raw
        assert cols["x"].default is None and cols["x"].default_raw is None
        # read lazily from the open table (the column list costs a temporary table)
        other = db.open_table("t")
        late = other.columns
        other.close()
        with pytest.raises(ValueError, match="closed"):
            late["n"].default
        with s.transaction():
            t.insert({"k": 1})
            t.insert({"k": 2, "n": 5, "s": "b", "a": "c", "t": 9, "x": 1})
        t.close()
        db.close()
        s.detach_database(src)
    out = str(tmp_path / "out.edb")
    esepy.export_ese(src, out, page_size=8192)
    # the catalog holds the defaults; the record that did not set them reads them
    with esepy.open_ese(out) as e:
        t = e.tables["t"]
        assert {c.name: c.default for c in t.columns} == {"k": None, "x": None,
                                                           **{n: raw for n, (_v, raw) in DEFAULTS.items()}}
        recs = sorted(t.records(), key=lambda r: r["k"])
        assert [(r["n"], r["s"], r["a"], r["t"]) for r in recs] == [(7, "h\u00e9", "none", -3), (5, "b", "c", 9)]
    with open(out, "rb") as f:
        dt = dissect_esedb.EseDB(f).table("t")
        got = {c.name: c.default for c in dt.columns}
        assert got["n"] == struct.pack("<i", 7) and got["a"] == b"none" and not got["x"]
    # round trip: import the exported file, the defaults survive and apply to new records
    back = str(tmp_path / "back.edb")
    esepy.set_default_param("database_page_size", esepy.import_ese(out, back, check_index_order=False).page_size)
    again = str(tmp_path / "again.edb")
    with _instance(tmp_path, "i2") as inst, inst.begin_session() as s:
        db = s.attach_database(back)
        t = db.open_table("t")
        for name, (value, raw) in DEFAULTS.items():
            assert t.columns[name].default == value and t.columns[name].default_raw == raw
        t.insert({"k": 3})
        assert t.get(3)["n"] == 7 and t.get(3)["s"] == "h\u00e9" and t.get(3)["t"] == -3
        t.close()
        db.export_ese(again)
        db.close()
        s.detach_database(back)
    with esepy.open_ese(again) as e:
        assert {c.name: c.default for c in e.tables["t"].columns}["s"] == DEFAULTS["s"][1]


def test_import_of_records_without_the_column_reads_default(tmp_path):
    """A Windows file whose records predate the column's default (the column absent from
    them, as after JetAddColumn with a default on a filled table): esepy's reader and the
    imported database read the default."""
    cols = [_export_ese.ColumnSpec("k", 4), _export_ese.ColumnSpec("n", 4),
            _export_ese.ColumnSpec("v", 10, 100, codepage=1252),
            _export_ese.ColumnSpec("g", 4, tagged=True)]

    def rows():
        yield from ({"k": i} for i in range(1, 4))
        yield {"k": 4, "n": 11, "v": "set", "g": 12}
        # the records are written: the catalog, written after them, gets the defaults
        cols[1].default, cols[2].default, cols[3].default = struct.pack("<i", 42), b"dflt", struct.pack("<i", -1)

    spec = _export_ese.TableSpec("T", cols, [_export_ese.IndexSpec("primary", [("k", False)], primary=True)],
                                 rows, 4)
    src = str(tmp_path / "win.edb")
    _export_ese.encode_database(src, [spec], 8192)
    with esepy.open_ese(src) as e:
        recs = sorted(e.tables["T"].records(), key=lambda r: r["k"])
        assert [(r["n"], r["v"], r["g"]) for r in recs] == [(42, "dflt", -1)] * 3 + [(11, "set", 12)]
    dest = str(tmp_path / "imported.edb")
    esepy.set_default_param("database_page_size", esepy.import_ese(src, dest, check_index_order=False).page_size)
    with _instance(tmp_path, "i3") as inst, inst.begin_session() as s:
        db = s.attach_database(dest, read_only=True)
        t = db.open_table("T", read_only=True)
        assert t.columns["n"].default == 42 and t.columns["v"].default == "dflt" and t.columns["g"].default == -1
        assert [(r["n"], r["v"], r["g"]) for r in t.scan()] == [(42, "dflt", -1)] * 3 + [(11, "set", 12)]
        t.close()
        db.close()
        s.detach_database(dest)
