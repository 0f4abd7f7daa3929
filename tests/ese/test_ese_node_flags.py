"""The versioned-node bit (issue 17 item 3): node flag 0x1 is ESE's "possibly versioned"
hint, set on committed rows of cleanly shut down databases, so esepy exposes no
``rec.versioned`` and documents the bit as a hint (docs/forensics-windows-ese.md,
"Node flags")."""
import esepy


def _flags(db):
    return [r.node_flags for t in db.tables for r in t.records(include_deleted=True)]


def test_version_bit_is_set_on_rows_of_clean_databases(samples):
    for name, expect_set, expect_total in (("dissect_text_4k.edb", 168, 220),
                                           ("stroz_decompress_7bit_8k.edb", 116, 178)):
        with esepy.open_ese(samples(name)) as db:
            assert db.header["state"] == "CleanShutdown"
            flags = _flags(db)
            assert len(flags) == expect_total
            assert sum(f & 1 for f in flags) == expect_set   # committed rows with the bit set
            assert not any(f & 2 for f in flags)              # and nothing flagged deleted


def test_records_have_no_versioned_attribute(samples):
    with esepy.open_ese(samples("dissect_text_4k.edb")) as db:
        rec = next(db.tables["MSysObjects"].records())
        assert rec.node_flags & 1
        assert not hasattr(rec, "versioned")
