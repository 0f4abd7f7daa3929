"""Two catalog entries with one table name: the newest (highest objid) is the live table, the
other is marked dropped and reachable explicitly -- never whichever came first.

No sample holds such a catalog, so one is made: a copy of the SRUM sample repaired by
esentutl /p (clean) whose catalog row of {7ACBBAA3-...} (objid 20, 33 records) is renamed to
{973F5D5C-...} (objid 23, 143 records), the page checksums recomputed."""
import os
import shutil
import struct
import sys

import pytest

import esepy

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ese"))
from test_ese_recover import ecc_checksum  # noqa: E402

OLD = b"{7ACBBAA3-D029-4BE4-9A7A-0885927F1D8F}"
LIVE = "{973F5D5C-1D90-4944-BE8E-24B94231A174}"
PAGE = 4096


@pytest.fixture(scope="module")
def two_of_a_name(samples, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("dropped") / "SRUDB.dat")
    shutil.copyfile(samples("srum_win11_dirty/SRUDB.repaired-by-esentutl-p.dat"), path)
    patched = 0
    with open(path, "r+b") as f:
        size = os.fstat(f.fileno()).st_size
        for pgno in range(1, size // PAGE - 1):
            f.seek((pgno + 1) * PAGE)
            b = bytearray(f.read(PAGE))
            if struct.unpack_from("<I", b, 24)[0] != 2 or OLD not in b:   # MSysObjects pages only
                continue
            at = b.find(OLD)
            b[at:at + len(OLD)] = LIVE.encode()
            struct.pack_into("<Q", b, 0, ecc_checksum(bytes(b), pgno))
            f.seek((pgno + 1) * PAGE)
            f.write(b)
            patched += 1
    assert patched == 1
    return path


def test_the_newest_is_live_the_other_marked_dropped(two_of_a_name):
    with esepy.open_ese(two_of_a_name) as db:
        assert db.damage == []
        same = [t for t in db.tables if t.name == LIVE]
        assert sorted(t.objid for t in same) == [20, 23]
        live = db.tables[LIVE]
        assert live.objid == 23 and not live.dropped and live.count() == 143
        dropped = db.tables.dropped(LIVE)
        assert [t.objid for t in dropped] == [20] and dropped[0].dropped and dropped[0].count() == 33
        assert db.tables.dropped() == dropped
        assert db.tables.names().count(LIVE) == 1
        assert "dropped" in repr(dropped[0])


def test_catalog_order_does_not_decide(two_of_a_name):
    """The same two entries in the other order: still the highest objid is live."""
    class Reversed:
        def __init__(self, f):
            self._f = f

        def tables(self):
            return list(reversed(self._f.tables()))

        def __getattr__(self, name):
            return getattr(self._f, name)

    with esepy.open_ese(two_of_a_name) as db:
        db._file = Reversed(db._file)
        db._tables = None
        assert db.tables[0].name == "{FEE4E14F-02A9-4550-B5CE-5FA2DA202E37}LT"
        assert db.tables[LIVE].objid == 23 and [t.objid for t in db.tables.dropped(LIVE)] == [20]
        db._file = db._file._f


def test_cli_lists_and_exports_the_dropped_table(two_of_a_name, run_cli, tmp_path):
    r = run_cli("tables", two_of_a_name, "--json")
    assert r.code == 0, r
    same = [t for t in r.json["tables"] if t["name"] == LIVE]
    assert [(t["objid"], t["dropped"], t["records"]) for t in same] == [(20, True, 33), (23, False, 143)]
    r = run_cli("tables", two_of_a_name)
    assert f"{LIVE} (dropped, objid 20)" in r.out
    out = tmp_path / "dropped.jsonl"
    r = run_cli("export", two_of_a_name, LIVE, "--objid", 20, "--format", "jsonl", "-o", out)
    assert r.code == 0, r
    lines = out.read_text().splitlines()
    assert len(lines) == 33 and '"Usage"' in lines[0]
    r = run_cli("export", two_of_a_name, LIVE, "--format", "jsonl")
    assert r.code == 0 and len(r.out.splitlines()) == 143 and '"BytesSent"' in r.out.splitlines()[0]
    r = run_cli("export", two_of_a_name, LIVE, "--objid", 99)
    assert r.code == 1 and "objid 99" in r.err
