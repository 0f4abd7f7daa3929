"""Differential test: every table and every value of every sample, read by
esepy and by dissect.esedb (a `test` extra), must agree.

Normalisation (documented in docs/forensics-differences.md): dissect returns
DateTime as the raw int64 and GUID as str, unwraps single values of
multi-valued columns and returns records flagged deleted; esepy skips those by
default, so the comparison reads them too (include_deleted)."""
import pytest

import esepy

from _diff import compare_table

dissect_esedb = pytest.importorskip("dissect.esedb", reason="dissect.esedb is part of the test extra")

SAMPLES = [
    "dissect_text_4k.edb", "dissect_binary_4k.edb", "dissect_multi_4k.edb", "dissect_large_32k.edb",
    "stroz_decompress_7bit_8k.edb", "stroz_decompress_lzxpress_8k.edb", "qmgr_win11_24h2_16k.db",
    "srum_win11_dirty/SRUDB.dat", "srum_win11_dirty/SRUDB.repaired-by-esentutl-p.dat",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_same_values_as_dissect(samples, name):
    path = samples(name)
    with open(path, "rb") as fh:
        theirs = dissect_esedb.EseDB(fh)
        with esepy.open_ese(path) as db:
            names = db.tables.names()
            deleted_tables = [r["Name"] for r in db.tables["MSysObjects"].records(include_deleted=True)
                              if r.deleted and r["Type"] == 1]
        # dissect also lists tables whose catalog rows are flagged deleted
        their_names = [t.name for t in theirs.tables()]
        assert set(names) <= set(their_names)
        assert sorted(set(their_names) - set(names)) == sorted(set(deleted_tables) - set(names))
        diffs = []
        for table in names:
            diffs += compare_table(path, table, theirs)
    assert diffs == []


def test_deleted_records_are_hidden_by_default(samples):
    """The SRUM catalog holds 47 rows flagged deleted (dropped temporary tables):
    dissect returns them, esepy only when asked."""
    with esepy.open_ese(samples("srum_win11_dirty/SRUDB.dat")) as db:
        cat = db.tables["MSysObjects"]
        live = cat.count()
        every = list(cat.records(include_deleted=True))
        assert live == 243 and len(every) == 290
        assert sum(r.deleted for r in every) == 47
        assert all(r.node_flags & 0x2 for r in every if r.deleted)
