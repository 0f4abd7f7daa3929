"""`esepy export-ese DB DEST`: an esepy database written as a Windows ESE file, then read by
the CLI's own Windows-file modes (tables, integrity); refusals leave nothing behind."""
import os

import esepy
import people_workloads as wl


def test_export_ese_then_read_back(esepy_cli, clean_folder, tmp_path):
    db = os.path.join(clean_folder, "w.edb")
    out = tmp_path / "w-windows.edb"
    r = esepy_cli("export-ese", db, out, "--page-size", "16384", "--json")
    assert r.code == 0, r
    assert r.json["tables"] == {"t": wl.ROWS} and r.json["page_size"] == 16384
    assert os.path.getsize(out) == r.json["bytes"]
    r = esepy_cli("tables", out, "--json")
    assert r.code == 0 and "t" in [t["name"] for t in r.json["tables"]], r
    r = esepy_cli("integrity", out)
    assert r.code == 0 and "Integrity check successful" in r.out, r
    with esepy.open_ese(str(out)) as w:
        assert w.tables["t"].count() == wl.ROWS
        assert w.header["state"] == "CleanShutdown"


def test_export_ese_refusals(esepy_cli, clean_folder, tmp_path):
    db = os.path.join(clean_folder, "w.edb")
    out = tmp_path / "exists.edb"
    out.write_bytes(b"mine")
    r = esepy_cli("export-ese", db, out)
    assert r.code != 0 and "--force" in r.err, r
    assert out.read_bytes() == b"mine"
    r = esepy_cli("export-ese", db, tmp_path / "missing" / "x.edb")
    assert r.code != 0 and "no such folder" in r.err, r
    r = esepy_cli("export-ese", tmp_path / "nope.edb", tmp_path / "y.edb")
    assert r.code != 0 and "no such database" in r.err, r
    r = esepy_cli("export-ese", db, tmp_path / "z.edb", "--page-size", "2048")
    assert r.code != 0, r
    assert sorted(os.listdir(tmp_path)) == ["exists.edb"]
    r = esepy_cli("export-ese", db, out, "--force")
    assert r.code == 0, r
    with esepy.open_ese(str(out)) as w:
        assert w.tables["t"].count() == wl.ROWS
