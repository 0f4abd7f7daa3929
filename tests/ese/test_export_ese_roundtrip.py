"""Round trip: every Windows sample that esepy.import_ese imports, exported again with
esepy.export_ese and read with esepy.open_ese, gives the values of the original file."""
from __future__ import annotations

import datetime as dt
import os

import pytest

import esepy

from test_ese_import import SAMPLES


@pytest.fixture(autouse=True)
def page_size_back():
    old = esepy.get_default_param("database_page_size")
    yield
    esepy.set_default_param("database_page_size", old)


def _norm(v):
    if isinstance(v, list):
        return [_norm(x) for x in v] if len(v) != 1 else _norm(v[0])
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.timezone.utc)
        return v.replace(microsecond=round(v.microsecond / 1000) * 1000 % 1000000)
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    return v


def _tables(db):
    out = {}
    for t in db.tables:
        if t.dropped or t.name.startswith("MSys"):
            continue
        # by column name: the import may change a column's kind (fixed text kept as LongText),
        # which moves it among the exported file's column ids
        out[t.name] = sorted(repr(sorted((n, _norm(v)) for n, v in zip(t.column_names, row))) for row in t.rows())
    return out


@pytest.mark.parametrize("sample,logs", SAMPLES)
def test_import_export_same_values(ese_samples, tmp_path, sample, logs):
    src = os.path.join(ese_samples, sample)
    logdir = os.path.join(ese_samples, logs) if logs else None
    imported = str(tmp_path / "imported.edb")
    report = esepy.import_ese(src, imported, logs=logdir, check_index_order=False)
    out = str(tmp_path / "exported.edb")
    er = esepy.export_ese(imported, out, page_size=report.page_size)
    assert er.rows == report.rows
    with esepy.open_ese(src, logs=logdir) as a, esepy.open_ese(out) as b:
        want, got = _tables(a), _tables(b)
        assert sorted(got) == sorted(want)
        for name in want:
            assert got[name] == want[name], name
        r = b.check_integrity(records=True)
        assert r["ok"], r["findings"][:5]
