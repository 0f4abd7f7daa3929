"""esepy.import_ese / `esepy import`: Windows ESE samples into esepy databases, read back
through esepy's ISAM and compared with esepy.open_ese on the source."""
from __future__ import annotations

import datetime as dt
import os

import pytest

import esepy

# every Windows sample imports completely; dissect_large_32k.edb's records (4,096 two-byte tagged
# values each, ~24 KiB in Windows' format, ~60 KiB in esepy's: 8-byte directory entry and 5-byte
# value header each) are larger than a node of a 32 KiB page and keep their tagged columns in the
# long-value tree (overflow records, csrc/isam/lv.c O1)
SAMPLES = [("dissect_binary_4k.edb", None), ("dissect_ual_current_4k.mdb", None),
           ("qmgr_win11_24h2_16k.db", None), ("stroz_decompress_7bit_8k.edb", None),
           ("stroz_decompress_lzxpress_8k.edb", None), ("srum_win11_dirty/SRUDB.dat", "srum_win11_dirty"),
           ("dissect_multi_4k.edb", None), ("dissect_text_4k.edb", None)]
# (dissect_large_32k.edb has its own test below: reading its 4,097-column records is slow)


@pytest.fixture(autouse=True)
def page_size_back():
    """Reading an imported database sets the process-wide page size: put it back."""
    old = esepy.get_default_param("database_page_size")
    yield
    esepy.set_default_param("database_page_size", old)


def _norm(v):
    """One value as both readers can agree on it: a multi-valued column without values is
    None in the Windows reader, [] in esepy's; a DateTime (the same stored double) is rounded
    to the millisecond by the Windows reader, not by esepy's."""
    if v == []:
        return None
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.timezone.utc)
        return v.replace(microsecond=0) + dt.timedelta(milliseconds=round(v.microsecond / 1000))
    return v


def _instance(tmp_path, name, page_size):
    d = str(tmp_path / name) + os.sep
    return esepy.Instance(name, system_path=d, log_path=d, temp_path=d + "tmp.edb",
                          create_path_if_not_exist=True, database_page_size=page_size)


@pytest.mark.parametrize("sample,logs", SAMPLES)
def test_import_sample_rows_schema_indexes_backup(ese_samples, tmp_path, sample, logs):
    src = os.path.join(ese_samples, sample)
    dest = str(tmp_path / "imported.edb")
    seen = []
    report = esepy.import_ese(src, dest, logs=os.path.join(ese_samples, logs) if logs else None,
                              progress=lambda done, total: seen.append((done, total)))
    assert os.path.isfile(dest) and report.rows == sum(report.tables.values())
    assert report.recovered == bool(logs)
    assert seen and seen[-1][0] == seen[-1][1] == report.rows
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".esepy-import-")]
    with esepy.open_ese(src, logs=os.path.join(ese_samples, logs) if logs else None) as source, \
            _instance(tmp_path, "r", report.page_size) as inst, inst.begin_session() as s:
        db = s.attach_database(dest)
        live = [t for t in source.tables if not t.dropped and not t.name.startswith("MSys")]
        assert sorted(db.tables) == sorted(t.name for t in live)
        for t in live:
            table = db.open_table(t.name)
            cols = table.columns
            assert list(cols) == t.column_names or sorted(cols) == sorted(t.column_names)
            for c in t.columns:
                if (t.name, c.name) in report.mapped:
                    was, now, why = report.mapped[(t.name, c.name)]
                    assert was == c.coltyp and int(cols[c.name].coltyp) == now and why
                    assert any(f"{t.name}.{c.name}:" in note for note in report.notes)
                else:
                    assert int(cols[c.name].coltyp) == c.coltyp
                assert bool(cols[c.name].grbit & 0x400) == bool(c.flags & 0x8)     # multi-valued
                if c.kind == "tagged":
                    assert cols[c.name].grbit & 0x2
            want = sorted((repr([_norm(v) for v in row]) for row in t.rows()))
            got = sorted(repr([_norm(rec[n]) for n in t.column_names]) for rec in table.scan())
            assert got == want
            names = {x["name"] for x in t.indexes if not x["primary"]}
            assert names <= set(table.indexes)
            primary = [x for x in t.indexes if x["primary"]]
            if primary:
                keycols = [k["name"] for k in primary[0]["key_columns"]]
                assert table.primary_key == keycols
                for row in list(t)[:20]:
                    found = table.get(*[row[k] for k in keycols])
                    assert found is not None and all(_norm(found[k]) == _norm(row[k]) for k in keycols)
            for x in t.indexes:
                if not x["primary"]:
                    assert table.count(index=x["name"]) >= 0
            table.close()
        bk = tmp_path / "bk"
        bk.mkdir()
        inst.backup(str(bk))
        db.close()
    counts = dict(report.tables)
    os.unlink(dest)
    r = _instance(tmp_path, "r", report.page_size)
    try:
        r.restore_instance(str(bk))
    finally:
        r.term()
    with _instance(tmp_path, "r", report.page_size) as inst, inst.begin_session() as s:
        db = s.attach_database(dest)
        for name, n in counts.items():
            t = db.open_table(name)
            assert len(t) == n
            t.close()


def test_ual_index_order_reported(ese_samples, tmp_path):
    """Every text index is compared with the Windows index; a different order is reported."""
    report = esepy.import_ese(os.path.join(ese_samples, "dissect_ual_current_4k.mdb"), str(tmp_path / "u.edb"))
    status = {(x["table"], x["index"]): x["status"] for x in report.index_order}
    assert status[("DNS", "Address_index")] == "same"
    assert set(status.values()) <= {"same", "differs", "unchecked"}
    assert all(x in report.index_order for x in report.order_differs)


def test_import_limits_fail_cleanly(ese_samples, tmp_path, monkeypatch):
    """A record that no page size holds even overflowed (here: a node model too small for the
    record's fixed part and the overflow reference) is refused before anything is written."""
    import esepy._import as imp
    monkeypatch.setattr(imp, "_record_most", lambda page_size: 20)
    dest = tmp_path / "x.edb"
    with pytest.raises(esepy.errors.RecordTooBig) as ei:
        esepy.import_ese(os.path.join(ese_samples, "dissect_large_32k.edb"), str(dest))
    msg = str(ei.value)
    assert "table 'large', record 0" in msg and "4096 tagged values" in msg and "131072 bytes" in msg
    assert os.listdir(tmp_path) == []


def test_large_records_import_seek_update_export(ese_samples, tmp_path):
    """dissect_large_32k.edb: 16 records of up to 4,096 tagged values, each overflowed; every
    value equals open_ese's, seeks by Id find each record, an update of one value keeps the
    others, a backup restores them, and the imported database exports back to an ESE file
    open_ese reads the same."""
    src = os.path.join(ese_samples, "dissect_large_32k.edb")
    dest = str(tmp_path / "l.edb")
    report = esepy.import_ese(src, dest)
    assert report.page_size == 32768 and report.tables == {"large": 16}
    with esepy.open_ese(src) as source:
        t = source.table("large")
        names = t.column_names
        want = {row["Id"]: {n: row[n] for n in names} for row in t}
    assert len(want) == 16 and sum(sum(v is not None for v in r.values()) == 4097 for r in want.values()) == 15
    with _instance(tmp_path, "r", 32768) as inst, inst.begin_session() as s:
        db = s.attach_database(dest)
        t = db.open_table("large")
        for rid, row in want.items():
            got = t.get(rid)
            assert got is not None and {n: got[n] for n in names} == row
        rid = sorted(want)[3]
        col = next(n for n in names if n != "Id" and want[rid][n] is not None)
        t.update(rid, {col: (want[rid][col] + 1) & 0xFFFF})
        changed = dict(want[rid], **{col: (want[rid][col] + 1) & 0xFFFF})
        got = t.get(rid)
        assert {n: got[n] for n in names} == changed
        t.update(rid, {col: want[rid][col]})                   # back, for the export below
        assert sorted(r["Id"] for r in t.scan()) == sorted(want)
        t.close()
        bk = tmp_path / "bk"
        bk.mkdir()
        inst.backup(str(bk))
        db.close()
    os.rename(dest, dest + ".kept")
    r = _instance(tmp_path, "r", 32768)
    try:
        r.restore_instance(str(bk))
    finally:
        r.term()
    with _instance(tmp_path, "r", 32768) as inst, inst.begin_session() as s:
        db = s.attach_database(dest)
        t = db.open_table("large")
        assert len(t) == 16
        rid = sorted(want)[-1]
        got = t.get(rid)
        assert {n: got[n] for n in names} == want[rid]
        t.close()
        db.close()
    out = str(tmp_path / "back.edb")
    esepy.export_ese(dest, out, page_size=32768)
    with esepy.open_ese(out) as back:
        t = back.table("large")
        assert {row["Id"]: {n: row[n] for n in names} for row in t} == want


def test_raising_progress_leaves_no_file(ese_samples, tmp_path):
    def stop(done, total):
        raise KeyboardInterrupt("stop")
    with pytest.raises(KeyboardInterrupt):
        esepy.import_ese(os.path.join(ese_samples, "srum_win11_dirty", "SRUDB.dat"), str(tmp_path / "x.edb"),
                         logs=os.path.join(ese_samples, "srum_win11_dirty"), progress=stop)
    assert os.listdir(tmp_path) == []


def test_existing_destination_refused(ese_samples, tmp_path):
    dest = tmp_path / "x.edb"
    dest.write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        esepy.import_ese(os.path.join(ese_samples, "dissect_binary_4k.edb"), str(dest))
    assert dest.read_bytes() == b"keep me"


def test_cli_import(ese_samples, tmp_path, capsys):
    from esepy import cli
    dest = str(tmp_path / "c.edb")
    assert cli.main(["import", os.path.join(ese_samples, "dissect_ual_current_4k.mdb"), dest]) == 0
    out = capsys.readouterr().out
    assert "index order DNS.Address_index: same" in out and os.path.isfile(dest)
    assert cli.main(["import", os.path.join(ese_samples, "dissect_ual_current_4k.mdb"), dest]) != 0


def test_wide_records_choose_a_larger_page_and_stay_usable(ese_samples, tmp_path):
    """A source whose records exceed esepy's largest record at the source's page size (a
    quarter page) is imported with the smallest page size that holds them, said in the notes;
    one that fits keeps the source's.  The mapped LongText column and the multi-valued
    columns of the result take updates; the records and their long values stay readable."""
    small = esepy.import_ese(os.path.join(ese_samples, "dissect_binary_4k.edb"), str(tmp_path / "b.edb"))
    assert small.page_size == 4096 and not any("pages, not the source's" in n for n in small.notes)
    text = esepy.import_ese(os.path.join(ese_samples, "dissect_text_4k.edb"), str(tmp_path / "t.edb"))
    multi = esepy.import_ese(os.path.join(ese_samples, "dissect_multi_4k.edb"), str(tmp_path / "m.edb"))
    for rep in (text, multi):
        assert rep.page_size == 8192
        assert any(n.startswith("8192-byte pages, not the source's 4096") for n in rep.lines()[-1:] + rep.notes)
    assert set(text.mapped) == {("text", "FixedUnicode"), ("text", "NullableFixedUnicode")}
    assert all(v[:2] == (10, 12) for v in text.mapped.values())
    with _instance(tmp_path, "r", 8192) as inst, inst.begin_session() as s:
        db = s.attach_database(str(tmp_path / "t.edb"))
        t = db.open_table("text")
        row = t.get(1)
        assert len(row["FixedUnicode"].encode("utf-16-le")) == 256          # held exactly
        t.update(1, {"FixedUnicode": "x" * 128, "NullableFixedUnicode": "short"})
        row = t.get(1)
        assert row["FixedUnicode"] == "x" * 128 and row["NullableFixedUnicode"] == "short"
        with pytest.raises(esepy.errors.ColumnTooBig):                       # cbMax 256 kept
            t.update(1, {"FixedUnicode": "x" * 129})
        t.close()
        db.close()
        db = s.attach_database(str(tmp_path / "m.edb"))
        t = db.open_table("multi")
        before = t.get(1)
        t.update(1, {"Unicode": before["Unicode"] + ["a fourth value"]})
        after = t.get(1)
        assert after["Unicode"] == before["Unicode"] + ["a fourth value"]
        assert after["LongUnicode"] == before["LongUnicode"] and len(after["LongBinary"]) == 3
        assert [r["Id"] for r in t.range(2)] == [2] and [r["Id"] for r in t.range(1, 2)] == [1]
        t.close()
        db.close()


def test_unfit_record_refused_before_anything_is_written(ese_samples, tmp_path, monkeypatch):
    """The refusal names the table, the record and the sizes (node model shrunk, as above)."""
    import esepy._import as imp
    monkeypatch.setattr(imp, "_record_most", lambda page_size: 20)
    with pytest.raises(esepy.errors.RecordTooBig) as ei:
        esepy.import_ese(os.path.join(ese_samples, "dissect_large_32k.edb"), str(tmp_path / "x.edb"))
    msg = str(ei.value)
    assert "table 'large', record 0" in msg and "4096 tagged values" in msg and "20 bytes in a node" in msg
    assert os.listdir(tmp_path) == []


def test_cli_import_json_mapped_and_refusal(ese_samples, tmp_path, capsys, monkeypatch):
    import json
    from esepy import cli
    dest = str(tmp_path / "t.edb")
    assert cli.main(["import", os.path.join(ese_samples, "dissect_text_4k.edb"), dest, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["page_size"] == 8192
    assert {(m["column"], m["from_coltyp"], m["to_coltyp"]) for m in doc["mapped"]} == {
        ("FixedUnicode", 10, 12), ("NullableFixedUnicode", 10, 12)}
    import esepy._import as imp
    monkeypatch.setattr(imp, "_record_most", lambda page_size: 20)      # no page size holds the records
    assert cli.main(["import", os.path.join(ese_samples, "dissect_large_32k.edb"), str(tmp_path / "l.edb")]) == 1
    assert "record 0" in capsys.readouterr().err and not os.path.exists(tmp_path / "l.edb")


@pytest.mark.parametrize("page_size", [4096, 8192])
def test_record_size_model_matches_the_engine(tmp_path, page_size):
    """The import's model of esepy's record format and largest record (_record_size,
    _record_most, _record_fits): a record of exactly the largest size is stored in its node,
    one byte more is stored overflowed (its tagged area in the long-value tree), and a record
    above 4 pages is refused."""
    from esepy._import import _record_fits, _record_most, _record_size
    most = _record_most(page_size)
    with _instance(tmp_path, "m", page_size) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "m.edb"))
        t = db.create_table("t", {"Id": "long", "B": {"type": "binary", "multi_valued": True}}, primary_key=["Id"])
        cols = t.columns
        for key, extra, fits in ((1, 0, True), (2, 1, True), (3, 3 * page_size + 1, True),
                                 (4, 3 * page_size + 2 + 4 * page_size - most, False)):
            items = [(cols["Id"].columnid, cols["Id"].encode(key), 0, 1)]
            # bytes left for the values of B, 5 of header each
            left = most + extra - _record_size(items + [(cols["B"].columnid, b"", 0, 0)], page_size, set(),
                                               False) + 5
            k = -(-left // 260)
            sizes = [(left - 5 * k) // k + (1 if i < (left - 5 * k) % k else 0) for i in range(k)]
            values = [bytes([i + 1]) * n for i, n in enumerate(sizes)]
            items += [(cols["B"].columnid, v, 0, 0) for v in values]
            assert _record_size(items, page_size, set(), False) == most + extra
            assert _record_fits(most + extra, 4 + 1 + 4, page_size) == fits
            if fits:
                t.insert({"Id": key, "B": values})
                assert t.get(key)["B"] == values
            else:
                with pytest.raises(esepy.errors.RecordTooBig):
                    t.insert({"Id": key, "B": values})
        t.close()
        db.close()


def test_running_instance_with_too_small_pages_refuses_up_front(ese_samples, tmp_path):
    """The page size is process-wide: with an instance running at 4 KiB pages, a source whose
    records no 4 KiB page holds even overflowed is refused before anything is written; one
    whose records want 8 KiB pages imports at 4 KiB with overflow records; one that fits
    imports as usual."""
    esepy.set_default_param("database_page_size", 4096)
    with _instance(tmp_path / "other", "other", 4096):
        with pytest.raises(esepy.errors.RecordTooBig, match="other instances run"):
            esepy.import_ese(os.path.join(ese_samples, "dissect_large_32k.edb"), str(tmp_path / "l.edb"))
        assert not os.path.exists(tmp_path / "l.edb")
        assert [n for n in os.listdir(tmp_path) if n.startswith(".esepy-import-")] == []
        rep = esepy.import_ese(os.path.join(ese_samples, "dissect_multi_4k.edb"), str(tmp_path / "m.edb"))
        assert rep.page_size == 4096 and rep.rows == 2
        with esepy.open_ese(os.path.join(ese_samples, "dissect_multi_4k.edb")) as source, \
                _instance(tmp_path, "r", 4096) as inst, inst.begin_session() as s:
            db = s.attach_database(str(tmp_path / "m.edb"))
            for t in source.tables:
                if t.dropped or t.name.startswith("MSys"):
                    continue
                table = db.open_table(t.name)
                want = sorted(repr([_norm(v) for v in row]) for row in t.rows())
                assert sorted(repr([_norm(rec[n]) for n in t.column_names]) for rec in table.scan()) == want
                table.close()
            db.close()
        rep = esepy.import_ese(os.path.join(ese_samples, "dissect_binary_4k.edb"), str(tmp_path / "b.edb"))
        assert rep.page_size == 4096
    assert esepy.get_default_param("database_page_size") == 4096
