"""The read-only guarantee (no byte of a database, log or checkpoint file
changes, dirty or clean, whatever is read) and the inspection objects:
reprs, DataFrames, plots."""
from __future__ import annotations

import os
import stat

import pytest

import esepy
import people_workloads as wl
from esepy import inspection


READ_ONLY_MODES = [
    ["dump", "header", "{db}", "--logs", "{logs}"],
    ["dump", "log", "{logs}", "--records"],
    ["dump", "log", "{logs}/edb.log"],
    ["dump", "checkpoint", "{system}"],
    ["checksum", "{db}", "{logs}", "{system}/edb.chk"],
    ["integrity", "{db}", "--force"],
    ["tables", "{db}"],
    ["tables", "{db}", "--logs", "{logs}", "--system", "{system}"],
    ["export", "{db}", "t", "--format", "json", "--logs", "{logs}", "--system", "{system}"],
]


@pytest.mark.parametrize("which", ["clean", "dirty"])
def test_nothing_is_written(which, clean_folder, dirty_folder, esepy_cli):
    folder = clean_folder if which == "clean" else dirty_folder
    before = wl.snapshot(folder)
    assert any(k.startswith("logs") for k in before) and "w.edb" in before
    paths = {"db": os.path.join(folder, "w.edb"), "logs": os.path.join(folder, "logs"),
             "system": os.path.join(folder, "system")}
    codes = {}
    for argv in READ_ONLY_MODES:
        r = esepy_cli(*[a.format(**paths) for a in argv])
        codes[" ".join(argv[:2])] = r.code
    # the API too: every reader, and tables / records through the engine
    db = inspection.DatabaseFile(paths["db"])
    db.checksum()
    db.check_integrity()
    lf = inspection.LogFolder(paths["logs"])
    lf.check()
    lf.to_pandas()
    inspection.read_checkpoint(os.path.join(paths["system"], "edb.chk"))
    inspection.recovery_requirements(paths["db"], paths["logs"], os.path.join(paths["system"], "edb.chk"))
    with inspection.open_database(paths["db"], logs=paths["logs"], system=paths["system"]) as ro:
        assert [r["k"] for r in ro.records("t")] == list(range(wl.ROWS))
        assert ro.source == ("file" if which == "clean" else "recovered copy")
    with inspection.open_database(paths["db"]) as ro:     # a dirty file without its logs: as on disk
        assert ro.source == ("file" if which == "clean" else "copy as on disk")
    assert wl.snapshot(folder) == before
    if which == "clean":
        assert set(codes.values()) == {0}, codes
    else:
        assert codes["integrity {db}"] == 1     # pages the log still holds look blank on disk
        assert codes["tables {db}"] == 0 and codes["export {db}"] == 0


def test_read_only_files_can_be_read(clean_folder, copy_of, esepy_cli):
    folder = copy_of(clean_folder)
    for root, _d, files in os.walk(folder):
        for n in files:
            os.chmod(os.path.join(root, n), stat.S_IRUSR | stat.S_IRGRP)
    before = wl.snapshot(folder)
    with inspection.open_database(os.path.join(folder, "w.edb")) as ro:
        assert ro.source == "copy" and len(list(ro.records("t"))) == wl.ROWS
    r = esepy_cli("tables", os.path.join(folder, "w.edb"), "--json")
    assert r.code == 0 and r.json["tables"][0]["records"] == wl.ROWS, r
    assert wl.snapshot(folder) == before


def test_log_records_as_a_dataframe(clean_folder):
    df = inspection.LogFolder(os.path.join(clean_folder, "logs")).to_pandas()
    assert list(df.columns) == ["lgpos", "generation", "isec", "ib", "type", "type_id", "length", "transaction",
                                "dbid", "pgno"]
    assert df["type"].isin(["Insert", "InsertUndo"]).sum() >= wl.ROWS
    assert df["generation"].is_monotonic_increasing
    commits = df[df["type"] == "Commit"]
    assert commits["transaction"].notna().all()
    gens = inspection.LogFolder(os.path.join(clean_folder, "logs")).generations_dataframe()
    assert list(gens["generation"]) == [1, 2] and gens["closed"].tolist() == [True, False]


def test_table_to_pandas(clean_folder):
    with inspection.open_database(os.path.join(clean_folder, "w.edb")) as ro:
        with ro.table("t") as t:
            df = t.to_pandas()
            head = t.to_pandas(limit=5)
    assert len(df) == wl.ROWS and len(head) == 5
    assert set(df.columns) == {"k", "v", "when", "blob", "g", "ok"}
    assert df.loc[42, "v"] == "value 42" and df.loc[42, "g"] == wl.row(42)["g"]


def test_html_reprs(clean_folder, dirty_folder, ese_instance, tmp_path):
    db = os.path.join(clean_folder, "w.edb")
    h = inspection.read_database_header(db)._repr_html_()
    assert "<td>CleanShutdown</td>" in h and h.startswith("<table")
    lf = inspection.LogFolder(os.path.join(clean_folder, "logs"))._repr_html_()
    assert "edb00001.log" in lf and "generation 1" in lf
    chk = inspection.read_checkpoint(os.path.join(clean_folder, "system", "edb.chk"))._repr_html_()
    assert "checkpoint" in chk and "(0x" in chk
    assert "generation 2" in inspection.LogFile(os.path.join(clean_folder, "logs", "edb.log"))._repr_html_()
    with inspection.open_database(db) as ro:
        html = ro._repr_html_()
        assert "table t" in html and f"{wl.ROWS} records" in html
        assert "<td>t</td>" in ro.database._repr_html_() and f"<td>{wl.ROWS}</td>" in ro.database._repr_html_()
        with ro.table("t") as t:
            th = t._repr_html_()
    assert "esepy.Table t" in th and "value 0" in th and "value 9" in th and "value 10" not in th
    ih = ese_instance._repr_html_()
    assert "initialized" in ih and "system_path" in ih
    assert "DirtyShutdown" in inspection.read_database_header(os.path.join(dirty_folder, "w.edb"))._repr_html_()


def test_plots(clean_folder):
    import matplotlib
    matplotlib.use("Agg")
    ax = inspection.LogFolder(os.path.join(clean_folder, "logs")).plot_generations()
    assert ax.get_ylabel() == "generation" and len(ax.lines[0].get_xdata()) == 2
    ax = inspection.DatabaseFile(os.path.join(clean_folder, "w.edb")).plot_space()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["(catalog)", "t", "t/lv"]  # its long-value tree


def test_space_usage_matches_the_records(clean_folder):
    trees = {t.name: t for t in inspection.DatabaseFile(os.path.join(clean_folder, "w.edb")).space_usage()}
    assert trees["t"].nodes == wl.ROWS and trees["t"].pages == trees["t"].leaf_pages + trees["t"].internal_pages
    assert trees["(catalog)"].nodes >= 7            # the table row and its six columns


def test_crc32c_is_the_engines():
    """One CRC-32C: the engine's (os_crc32c through EsepyCrc32c), continuing from a seed."""
    data = os.urandom(5000)
    assert inspection.crc32c(data[2000:], inspection.crc32c(data[:2000], 17)) == inspection.crc32c(data, 17)
    assert inspection.crc32c(b"123456789") == 0xE3069283       # the standard check value


def test_log_damage_is_told_from_a_torn_tail(dirty_folder, copy_of, esepy_cli):
    """esepy.inspection applies the engine's end-of-log rule (log.h, L9; log_reader.c, R4):
    a flipped bit inside flushed data of edb.log is damage, a last flush that never
    landed is not, and a lost edb.log is missing."""
    folder = copy_of(dirty_folder)
    logs = os.path.join(folder, "logs")
    cur = os.path.join(logs, "edb.log")
    lf = inspection.LogFile(cur)
    n = sum(1 for _ in lf.records())
    assert n > 0 and not lf.damaged and inspection.LogFolder(logs).check().ok
    end = lf.end.isec * 4096 + lf.end.ib
    with open(cur, "rb") as f:
        orig = f.read()
    # the records before the last flush: one bit flipped in the first record
    with open(cur, "r+b") as f:
        f.seek(4096 + 20)
        f.write(bytes([orig[4096 + 20] ^ 0x10]))
    lf = inspection.LogFile(cur)
    sum(1 for _ in lf.records())
    assert lf.damaged
    rep = inspection.LogFolder(logs).check()
    assert not rep.ok and any("JET_errLogFileCorrupt" in p for p in rep.problems)
    r = esepy_cli("checksum", cur)
    assert r.code != 0 and "DAMAGED" in r.out
    # the last flush's blocks never landed: zeros from its first block on
    last_flush = None
    for rec in inspection.LogFile(os.path.join(dirty_folder, "logs", "edb.log")).records(include_padding=True):
        if rec.type == 4:
            last_flush = int.from_bytes(rec.payload[:8], "little")
    assert last_flush is not None and last_flush < end
    with open(cur, "r+b") as f:
        f.write(orig)
        f.seek(last_flush)
        f.write(b"\0" * (end - last_flush))
    lf = inspection.LogFile(cur)
    assert sum(1 for _ in lf.records()) < n and not lf.damaged and lf.end.isec * 4096 + lf.end.ib <= last_flush
    assert inspection.LogFolder(logs).check().ok
    # edb.log lost while archived generations exist
    if any(name.startswith("edb0") for name in os.listdir(logs)):
        os.unlink(cur)
        rep = inspection.LogFolder(logs).check()
        assert any("JET_errMissingLogFile" in p for p in rep.problems)
