"""`esepy export` of a Windows table streams: rows go out as the cursor yields them (CSV, JSON,
JSON lines) or in bounded batches (Parquet), never the whole table in memory.

The proof exports a table far larger than the export may hold: a real SRUM table (791 rows,
45 columns) read 40 times over by the cursor -- a "table repeated" of 31,640 rows -- while
tracemalloc measures the peak of Python memory, and compares it with the same rows held in
a list (what the export did before)."""
import csv
import io
import json
import tracemalloc

import pytest

import esepy
from esepy import cli, ese

TABLE = "{5C8CF1C7-7257-4F13-B223-970EF5939312}"      # application timeline: 791 rows x 45 columns
REPEAT = 40
ROWS = 791 * REPEAT


@pytest.fixture
def repeated(monkeypatch):
    """Make EseTable.rows() of TABLE read the table REPEAT times (a cursor each pass, nothing kept)."""
    real = ese.EseTable.rows

    def rows(self, include_deleted=False):
        if self.name != TABLE:
            yield from real(self, include_deleted)
            return
        for _ in range(REPEAT):
            yield from real(self, include_deleted)
    monkeypatch.setattr(ese.EseTable, "rows", rows)


def _peak(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def materialised(srum_recovered):
    """Peak Python memory of holding the repeated table as a list of rows."""
    def hold():
        with esepy.open_ese(srum_recovered) as db:
            t = db.tables[TABLE]
            rows = [r for _ in range(REPEAT) for r in t.rows()]
            return len(rows)
    n, peak = _peak(hold)
    assert n == ROWS
    return peak


def _export(*argv):
    o, e = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], stdout=o, stderr=e)
    assert code == 0, e.getvalue()
    return o.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_text_export_streams(srum_recovered, repeated, materialised, tmp_path, fmt):
    out = tmp_path / f"t.{fmt}"
    _, peak = _peak(lambda: _export("export", srum_recovered, TABLE, "--format", fmt, "-o", out))
    assert peak * 10 < materialised, (peak, materialised)
    if fmt == "csv":
        with open(out, newline="") as f:
            rows = list(csv.reader(f))
        assert len(rows) == ROWS + 1 and rows[0][:3] == ["AutoIncId", "TimeStamp", "AppId"]
    elif fmt == "jsonl":
        lines = out.read_text().splitlines()
        assert len(lines) == ROWS and json.loads(lines[0])["AutoIncId"] == 1905
    else:
        assert len(json.loads(out.read_text())) == ROWS
    assert not list(tmp_path.glob("*.esepy-partial"))


def test_parquet_export_in_bounded_batches(srum_recovered, repeated, materialised, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is part of the test extra")
    # pyarrow imports parts of itself on first use: load them before measuring
    _export("export", srum_recovered, "SruDbIdMapTable", "--format", "parquet", "-o", tmp_path / "warm.parquet")
    out = tmp_path / "t.parquet"
    doc, peak = _peak(lambda: _export("export", srum_recovered, TABLE, "--format", "parquet", "-o", out,
                                      "--batch-rows", 1000, "--filetime-columns", "known", "--json"))
    assert peak * 5 < materialised, (peak, materialised)
    doc = json.loads(doc)
    assert doc["records"] == ROWS and doc["batches"] == (ROWS + 999) // 1000 and doc["not_representable"] == 0
    f = pq.ParquetFile(out)
    assert f.metadata.num_rows == ROWS and f.metadata.num_row_groups == doc["batches"]
    assert max(f.metadata.row_group(i).num_rows for i in range(f.metadata.num_row_groups)) == 1000
    assert str(f.schema_arrow.field("EndTime").type) == "timestamp[us, tz=UTC]"
    assert str(f.schema_arrow.field("TimeStamp").type) == "timestamp[us, tz=UTC]"
    assert str(f.schema_arrow.field("Cycles").type) == "int64"


def test_parquet_types_follow_the_columns(samples, tmp_path, run_cli):
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is part of the test extra")
    out = tmp_path / "ids.parquet"
    r = run_cli("export", samples("qmgr_win11_24h2_16k.db"), "Files", "--format", "parquet", "-o", out)
    assert r.code == 0, r
    t = pq.read_table(out)
    assert str(t.schema.field("Id").type) == "string" and str(t.schema.field("Blob").type) == "binary"
    assert t.column("Id")[0].as_py() == "3f4a8b1a-98e5-4aa8-a2e7-c0bf1bc6f48d"


def test_parquet_bit_and_multi_valued_columns(samples, tmp_path, run_cli):
    """Bit columns are arrow booleans and multi-valued columns arrow lists (both once raised)."""
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is part of the test extra")
    out = tmp_path / "multi.parquet"
    r = run_cli("export", samples("dissect_multi_4k.edb"), "multi", "--format", "parquet", "-o", out)
    assert r.code == 0, r
    t = pq.read_table(out)
    assert str(t.schema.field("Bit").type) == "list<element: bool>"
    assert t.column("Bit")[0].as_py() == [False, True]
    assert t.column("Short")[0].as_py() == [0, -32767, 32767]


def test_a_failed_export_leaves_no_file(srum_recovered, tmp_path, monkeypatch, run_cli):
    real = ese.EseTable.rows

    def failing(self, include_deleted=False):
        for i, r in enumerate(real(self, include_deleted)):
            if i == 100:
                raise OSError(5, "simulated read error")
            yield r
    monkeypatch.setattr(ese.EseTable, "rows", failing)
    out = tmp_path / "t.csv"
    r = run_cli("export", srum_recovered, TABLE, "-o", out)
    assert r.code == 1 and "simulated read error" in r.err
    assert list(tmp_path.iterdir()) == []


def test_export_option_errors(srum_recovered, samples, run_cli, tmp_path):
    r = run_cli("export", srum_recovered, TABLE, "--batch-rows", 10)
    assert r.code == 2 and "--batch-rows applies to --format parquet" in r.err
    r = run_cli("export", srum_recovered, TABLE, "--filetime-columns", "Nope")
    assert r.code == 2 and "has no column 'Nope'" in r.err
    r = run_cli("export", srum_recovered, TABLE, "--filetime-columns", "EndTime", "--format", "jsonl")
    assert r.code == 0 and json.loads(r.out.splitlines()[0])["EndTime"] == "2022-07-01T02:10:26.130535+00:00"
