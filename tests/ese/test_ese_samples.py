"""The forensic ESE reader against every real sample in tests/data/ese, with
the expected values noted where they come from (tests/data/README.md: header
fields, record counts, exact values of the synthetic databases) and the page
checksums."""
import datetime
import hashlib
import os
import uuid

import pytest

import esepy
from esepy import ese
from esepy import errors

SRUM_COUNTS = {
    "SruDbIdMapTable": 1044, "{DA73FB89-2BEA-4DDC-86B8-6E048C6DA477}": 810,
    "{5C8CF1C7-7257-4F13-B223-970EF5939312}": 791, "{D10CA2FE-6FCF-4F6D-848E-B2E99266FA89}": 662,
    "{973F5D5C-1D90-4944-BE8E-24B94231A174}": 143, "{7ACBBAA3-D029-4BE4-9A7A-0885927F1D8F}": 33,
    "{FEE4E14F-02A9-4550-B5CE-5FA2DA202E37}": 13, "{DD6636C4-8929-4683-974E-22C046A43763}": 9,
    "{FEE4E14F-02A9-4550-B5CE-5FA2DA202E37}LT": 2,
}

# name -> (state, page size, revision, consistent lgpos, attach lgpos, gen min/max, os version)
HEADERS = {
    "srum_win11_dirty/SRUDB.dat": ("DirtyShutdown", 4096, 0xC8, (92, 7, 54), (92, 9, 616), (92, 92), (10, 0, 22000)),
    "qmgr_win11_24h2_16k.db": ("DirtyShutdown", 16384, 0x12C, None, None, (23, 23), (10, 0, 26100)),
    "dissect_large_32k.edb": ("CleanShutdown", 32768, 0x14, (5, 433, 0), (5, 318, 616), (0, 0), (6, 2, 9200)),
    "stroz_decompress_7bit_8k.edb": ("CleanShutdown", 8192, 0x14, None, None, (0, 0), None),
    "stroz_decompress_lzxpress_8k.edb": ("CleanShutdown", 8192, 0x14, None, None, (0, 0), None),
    "dissect_text_4k.edb": ("CleanShutdown", 4096, 0x14, None, None, (0, 0), (6, 2, 9200)),
    "dissect_binary_4k.edb": ("CleanShutdown", 4096, 0x14, (1, 23, 0), (1, 20, 616), (0, 0), (6, 2, 9200)),
    "dissect_multi_4k.edb": ("CleanShutdown", 4096, 0x14, None, None, (0, 0), (6, 2, 9200)),
    "srum_win11_dirty/SRUDB.repaired-by-esentutl-p.dat": ("CleanShutdown", 4096, 0xC8, None, None, (0, 0), None),
}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_header_fields(samples, name):
    state, cb, rev, lgc, lga, gens, osv = HEADERS[name]
    with esepy.open_ese(samples(name)) as db:
        h = db.header
        assert h["state"] == state and h["dirty"] == (state == "DirtyShutdown")
        assert h["page_size"] == cb
        assert h["format_version"] == 0x620 and h["format_revision"] == rev
        assert h["magic"] == 0x89ABCDEF and h["file_type"] == 1
        assert h["primary_valid"] and h["shadow_valid"] and h["copy_used"] == "primary"
        assert h["checksum_primary"] == h["checksum_primary_computed"]
        if lgc:
            assert h["lgpos_consistent"] == lgc and h["lgpos_attach"] == lga
        assert (h["gen_min_required"], h["gen_max_required"]) == gens
        if osv:
            assert h["os_version"][:3] == osv
        assert h["page_count"] == os.path.getsize(samples(name)) // cb - 2


def test_header_matches_oracle_files(samples):
    """Every field the MANIFEST's .header.txt oracle lists agrees with ours."""
    for name in HEADERS:
        oracle = samples(name + ".header.txt")
        fields = dict(line.split(": ", 1) for line in open(oracle).read().splitlines() if ": " in line)
        with esepy.open_ese(samples(name)) as db:
            h = db.header
        assert fields["db_state"] == h["state"]
        assert int(fields["page_size"]) == h["page_size"]
        assert int(fields["format_revision"], 16) == h["format_revision"]
        assert eval(fields["consistent_lgpos"]) == h["lgpos_consistent"]
        assert eval(fields["attach_lgpos"]) == h["lgpos_attach"]
        assert int(fields["lGenMinRequired"]) == h["gen_min_required"]
        assert eval(fields["os_version_idx"]) == h["os_version"]
        assert fields["header_xor_checksum_ok(bytes4..4095,seed0x89abcdef)"] == "True"
        assert hashlib.sha256(open(samples(name), "rb").read()).hexdigest() == fields["sha256"]


def test_srum_dirty_counts_and_logs_needed(samples, srum_dir):
    with esepy.open_ese(samples("srum_win11_dirty/SRUDB.dat")) as db:
        assert db.header["dirty"]
        counts = {t.name: t.count() for t in db.tables}
        for name, n in SRUM_COUNTS.items():
            assert counts[name] == n, name
        assert len(db.tables) == 14
        assert db.damage == []
        rec = db.recovery_info(srum_dir)
        assert rec["needed"] == [92] and rec["present"] == [92] and rec["missing"] == []
        assert rec["replayable_logs_present"]
        assert db.header["sign_log"]["random"] == 0x25894C02


def test_srum_repaired_copy(samples):
    with esepy.open_ese(samples("srum_win11_dirty/SRUDB.repaired-by-esentutl-p.dat")) as db:
        assert not db.header["dirty"]
        assert db.recovery_info()["needed"] == []
        for name, n in SRUM_COUNTS.items():
            assert db.tables[name].count() == n


def test_srum_typed_values(samples):
    with esepy.open_ese(samples("srum_win11_dirty/SRUDB.dat")) as db:
        t = db.tables["SruDbIdMapTable"]
        assert [c.name for c in t.columns] == ["IdType", "IdIndex", "IdBlob"]
        rows = list(t)
        assert [r["IdIndex"] for r in rows[:3]] == [1, 2, 3]
        assert all(isinstance(r["IdType"], int) for r in rows)
        # IdType 0 (application) names are UTF-16 paths in a binary column
        assert rows[2]["IdBlob"].decode("utf-16-le").startswith("!!svchost")
        df = t.to_pandas()
        assert list(df.columns) == ["IdType", "IdIndex", "IdBlob"] and len(df) == 1044


def test_srum_pages_checksums(samples):
    """482 pages carry a valid ECC checksum and 124 are blank (reference §4.1)."""
    with esepy.open_ese(samples("srum_win11_dirty/SRUDB.dat")) as db:
        rep = db.verify_pages()
        assert rep == {"pages": 606, "ok": 482, "blank": 124, "bad": [], "bad_pages": [],
                       "pages_owned": 590, "missing": []}  # a dirty file may outgrow its owned space
        p = db.page(4)
        assert p["status"] == "ok" and p["ecc_format"] and p["objid"] == 2 and len(p["data"]) == 4096


@pytest.mark.parametrize("name", ["qmgr_win11_24h2_16k.db", "dissect_large_32k.edb", "stroz_decompress_7bit_8k.edb",
                                  "dissect_text_4k.edb"])
def test_no_bad_pages(samples, name):
    with esepy.open_ese(samples(name)) as db:
        rep = db.verify_pages()
        assert rep["bad"] == [] and rep["ok"] > 0
        info = db.page(1)
        assert info["checksum_blocks"] == (4 if db.header["page_size"] > 8192 else 1)


def test_qmgr_24h2_large_pages(samples):
    """16 KiB pages of Windows 11 24H2: the tag count lives in 12 bits (0x1002 -> 2 tags)."""
    with esepy.open_ese(samples("qmgr_win11_24h2_16k.db")) as db:
        assert db.page(31)["tag_count"] == 2
        jobs = list(db.tables["Jobs"])
        files = list(db.tables["Files"])
        assert [r["Id"] for r in jobs] == [uuid.UUID("d387e452-e2b3-472d-b3b3-85c2be33cbb3")]
        assert [r["Id"] for r in files] == [uuid.UUID("3f4a8b1a-98e5-4aa8-a2e7-c0bf1bc6f48d")]
        assert isinstance(jobs[0]["Blob"], bytes) and len(jobs[0]["Blob"]) > 0
        # the catalog matches go-ese's golden dump of MSysObjects
        first = next(iter(db.tables["MSysObjects"]))
        assert (first["ObjidTable"], first["Type"], first["Id"], first["ColtypOrPgnoFDP"], first["SpaceUsage"],
                first["Flags"], first["PagesOrLocale"], first["RootFlag"], first["Name"]) == (
                    2, 1, 2, 4, 80, -1073741824, 20, True, "MSysObjects")


def test_large_32k(samples):
    with esepy.open_ese(samples("dissect_large_32k.edb")) as db:
        assert db.header["page_size"] == 32768 and db.header["page_count"] == 766
        t = db.tables["large"]
        assert [(c.name, c.type) for c in t.columns[:2]] == [("Id", "Long"), ("Column0", "UnsignedShort")]
        assert len(t.columns) == 64994 and t.columns[-1].name == "Column64992"
        rows = list(t)
        assert len(rows) == 16
        for i in range(64993):
            assert rows[i // 4096][f"Column{i}"] == i
        assert sum(v is not None for r in rows for v in r.values()) == 64993 + 16


def test_dissect_text(samples):
    with esepy.open_ese(samples("dissect_text_4k.edb")) as db:
        t = db.tables["text"]
        assert len(t.columns) == 27
        (r,) = list(t)
    fox = "🦊"
    assert r["Id"] == 1
    assert r["FixedASCII"] == "Fixed ASCII text" + " " * 239
    assert r["FixedUnicode"] == f"Fixed Unicode text {fox}" + " " * 107
    for k in ("NullableFixedASCII", "NullableFixedUnicode", "NullableASCII", "NullableUnicode",
              "NullableTaggedASCII", "NullableTaggedUnicode"):
        assert r[k] is None
    assert r["ASCII"] == "Simple ASCII text" and r["Unicode"] == f"Simple Unicode text {fox}"
    assert r["MaxASCII"] == "Max ASCII text that can't be that long"
    assert r["MaxUnicode"] == f"Max Unicode text that can't be that long {fox}"
    assert r["TaggedASCII"] == "Tagged ASCII text" and r["TaggedUnicode"] == f"Tagged Unicode text {fox}"
    assert r["LongASCII"] == "Long ASCII text " + "a" * 1024
    assert r["LongUnicode"] == f"Long Unicode text {fox} " + "a" * 1024
    assert r["LongCompressedASCII"] == "Long compressed ASCII text " + "a" * 1024
    assert r["LongCompressedUnicode"] == f"Long compressed Unicode text {fox} " + "a" * 1024
    assert r["LongTinyASCII"] == "Tiny ASCII" and r["LongTinyUnicode"] == f"Tiny {fox}"
    assert r["LongTinyCompressedASCII"] == "Tiny c ASCII" and r["LongTinyCompressedUnicode"] == f"Tiny c {fox}"
    assert r["MaxLongASCII"] == "Max long ASCII text that can be a bit longer " + "a" * 900
    assert r["MaxLongUnicode"] == f"Max long Unicode text that can be a bit longer {fox} " + "a" * 900
    assert r["MaxLongCompressedASCII"] == "Max long compressed ASCII text that can be a bit longer " + "a" * 900
    assert r["MaxLongCompressedUnicode"] == (
        f"Max long compressed Unicode text that can be a bit longer {fox} " + "a" * 900)


def test_dissect_binary(samples):
    with esepy.open_ese(samples("dissect_binary_4k.edb")) as db:
        (r,) = list(db.tables["binary"])
    assert r["FixedBinary"] == b"test fixed binary data" + b"\x00" * 233
    assert r["NullableFixedBinary"] is None and r["NullableBinary"] is None and r["NullableTaggedBinary"] is None
    assert r["Binary"] == b"test binary data"
    assert r["MaxBinary"] == b"test max binary data " + b"a" * 70
    assert r["TaggedBinary"] == b"test tagged binary data"
    assert r["LongBinary"] == b"test long binary data " + b"a" * 1000
    assert r["LongCompressedBinary"] == b"test long compressed binary data " + b"a" * 1000
    assert r["MaxLongBinary"] == b"test max long binary data " + b"a" * 900
    assert r["MaxLongCompressedBinary"] == b"test max long compressed binary data " + b"a" * 900


def test_dissect_multi(samples):
    with esepy.open_ese(samples("dissect_multi_4k.edb")) as db:
        t = db.tables["multi"]
        r0, r1 = list(t)
        recs = list(t.records())
    assert r0["Bit"] == [False, True]
    assert r0["UnsignedByte"] == [0, 127, 255]
    assert r0["Short"] == [0, -32767, 32767]
    assert r0["Long"] == [0, -2147483647, 2147483647]
    assert r0["Currency"] == [0, -(2 ** 63 - 1), 2 ** 63 - 1]
    assert r0["IEEESingle"] == [0.0, -1.0, 1.0] and r0["IEEEDouble"] == [0.0, -1.0, 1.0]
    utc = datetime.timezone.utc
    assert r0["DateTime"] == [datetime.datetime(1661, 4, 17, 11, 30, tzinfo=utc),
                              datetime.datetime(2077, 4, 1, tzinfo=utc),
                              datetime.datetime(2517, 9, 24, 5, 30, tzinfo=utc)]
    assert r0["Binary"] == [f"Some binary data that has multiple values, this is value {i}".encode() for i in (1, 2, 3)]
    assert r0["LongBinary"] == [
        f"Some very long binary data that has multiple values, this is value {i} ".encode() + b"a" * 1024
        for i in (1, 2, 3)]
    assert r0["LongCompressedBinary"] == [
        f"Some very long compressed binary data that has multiple values, this is value {i} ".encode() + b"a" * 1024
        for i in (1, 2, 3)]
    assert r0["ASCII"] == [f"Some ASCII text that has multiple values, this is value {i}" for i in (1, 2, 3)]
    assert r0["Unicode"] == [f"Some Unicode text that has multiple values, this is value {i} " + "🦊" * i
                             for i in (1, 2, 3)]
    assert r0["LongCompressedUnicode"] == [
        f"Some very long compressed Unicode text that has multiple values, this is value {i} " + "🦊" * i + " " + "a" * 1024
        for i in (1, 2, 3)]
    assert r0["UnsignedLong"] == [0, 4294967295] and r0["UnsignedShort"] == [0, 65535]
    assert r0["GUID"] == [uuid.UUID(s) for s in ("03402861-fad3-4ce5-986e-d31df852f2a7",
                                                 "09b589e3-a92b-4936-bbc4-bb9dff334bf3",
                                                 "2212ff6a-6712-4fe4-bb4a-21e6d0e043d1")]
    for k in ("Bit", "UnsignedByte", "Short", "Long", "Currency", "IEEESingle", "IEEEDouble", "DateTime", "Binary",
              "ASCII", "Unicode", "UnsignedLong", "LongLong", "GUID", "UnsignedShort"):
        assert r1[k] is None, k
    assert r1["LongBinary"] == [b"Tiny binary 1", b"Tiny binary 2", b"Tiny binary 3"]
    assert r1["LongCompressedBinary"] == [b"Tiny c binary 1", b"Tiny c binary 2", b"Tiny c binary 3"]
    assert r1["LongASCII"] == ["Tiny ASCII 1", "Tiny ASCII 2"]
    assert r1["LongUnicode"] == ["Tiny 🦊 1", "Tiny 🦊🦊", "Tiny 🦊🦊🦊"]
    assert r1["LongCompressedASCII"] == ["a" * 41, "b" * 40, "c" * 35]
    assert r1["LongCompressedUnicode"] == ["a" * 43 + " 🦊", "b" * 41 + " 🦊🦊"]
    # raw tagged bytes: the compact two-value form and the offset array (MANIFEST)
    tagged = {cid: (flags, data) for cid, flags, data in recs[0].tagged}
    cols = {c.name: c.columnid for c in db_columns(samples)}
    assert tagged[cols["Bit"]][1] == bytes.fromhex("0100ff") and tagged[cols["Bit"]][0] & 0x10
    assert tagged[cols["UnsignedByte"]][1] == bytes.fromhex("060007000800007fff")
    assert recs[0].pgno > 0 and recs[0].raw[:1] == bytes([1])


def db_columns(samples):
    with esepy.open_ese(samples("dissect_multi_4k.edb")) as db:
        return db.tables["multi"].columns


@pytest.mark.parametrize("name,width", [("stroz_decompress_7bit_8k.edb", 10), ("stroz_decompress_lzxpress_8k.edb", 2048)])
def test_stroz_compressed(samples, name, width):
    with esepy.open_ese(samples(name)) as db:
        t = db.tables["test_table"]
        assert [c.name for c in t.columns] == ["compressed_unicode", "compressed_ascii", "compressed_binary",
                                               "usual_text"]
        rows = list(t)
        assert len(rows) == 10
        for i, r in enumerate(rows):
            text = "Record " + str(i).rjust(width)
            assert r == {"compressed_unicode": text, "compressed_ascii": text,
                         "compressed_binary": text.encode(), "usual_text": text}
        # the stored form of the XPRESS file: scheme 3 header byte
        if width == 2048:
            cur = db._file.cursor(4, ese._special)
            cur.next()
            raw, info = cur.raw_value(1, 1, True)
            dec, info2 = cur.raw_value(1, 1, False)
            cur.close()
            assert dec == ("Record " + "0".rjust(2048)).encode()
            assert (info2 >> 8) & 0xFF == 3 and info2 & 0x4  # XPRESS, compressed


def test_stroz_against_esent_dump(samples):
    """The esent.dll dump of decompress_test.edb lists the same ten values."""
    dump = open(samples("stroz_decompress_7bit_8k.esent_dump.txt"), encoding="utf-8",
                errors="replace").read()
    with esepy.open_ese(samples("stroz_decompress_7bit_8k.edb")) as db:
        for r in db.tables["test_table"]:
            assert r["usual_text"] in dump


def test_open_errors(tmp_path):
    with pytest.raises(errors.FileNotFound):
        esepy.open_ese(tmp_path / "missing.edb")
    p = tmp_path / "junk.edb"
    p.write_bytes(b"\x00" * 8192)
    with pytest.raises(errors.FileInvalidType):
        esepy.open_ese(p)


def test_never_writes(samples, tmp_path):
    import shutil
    src = samples("srum_win11_dirty/SRUDB.dat")
    dst = tmp_path / "SRUDB.dat"
    shutil.copy(src, dst)
    os.chmod(dst, 0o444)
    before = hashlib.sha256(dst.read_bytes()).hexdigest()
    st = os.stat(dst)
    with esepy.open_ese(dst) as db:
        for t in db.tables:
            list(t)
        db.verify_pages()
    assert hashlib.sha256(dst.read_bytes()).hexdigest() == before
    assert os.stat(dst).st_mtime_ns == st.st_mtime_ns


def test_repr_html_and_repr(samples):
    with esepy.open_ese(samples("dissect_multi_4k.edb")) as db:
        assert "<td>CleanShutdown</td>" in db._repr_html_() and "<td>multi</td>" in db._repr_html_()
        th = db.tables["multi"]._repr_html_()
        assert th.startswith("<table") and "<caption>ESE table multi, first rows</caption>" in th
        assert "multi" in repr(db.tables)
        assert db.tables.names()[:1] == ["MSysObjects"]
        with pytest.raises(KeyError):
            db.tables["nope"]


def test_unsupported_compression_is_reported():
    # XPRESS9 (scheme 5) and XPRESS10 (6) are recognised, not decoded
    with pytest.raises(errors.FeatureNotAvailable):
        ese.decompress(bytes([5 << 3]) + b"\x00" * 16)
    with pytest.raises(errors.FeatureNotAvailable):
        ese.decompress(bytes([6 << 3]) + b"\x00" * 16)
    with pytest.raises(errors.DecompressionFailed):
        ese.decompress(bytes([3 << 3, 0x10, 0x00]) + b"\xff" * 3)
    assert ese.decompress(bytes([3 << 3, 3, 0]) + b"\x00\x00\x00\x00abc") == b"abc"
    v = ese._special("unsupported", -1001, 5, b"raw")
    assert isinstance(v, ese.UnsupportedValue) and v.scheme == "XPRESS9" and v.raw == b"raw"
    assert "not supported" in repr(v)


def test_close_with_unfinished_iterator(samples):
    db = esepy.open_ese(samples("dissect_multi_4k.edb"))
    it = iter(db.tables["MSysObjects"])
    first = next(it)
    db.close()                      # deferred until the iterator's cursor closes
    assert first["Name"] == "MSysObjects"
    assert len(list(it)) == 96      # the open cursor finishes its walk
    with pytest.raises(ValueError):
        db.header_uncached = db._file.header()


def test_multivalued_property_follows_the_catalog_flags(samples):
    """EseColumn.multivalued reads the catalog's FIELDFLAG bit (0x8), not the API grbit (0x400)."""
    with esepy.open_ese(samples("dissect_multi_4k.edb")) as db:
        cols = {c.name: c for c in db.tables["multi"].columns}
    assert not cols["Id"].multivalued
    assert all(c.multivalued for n, c in cols.items() if n != "Id")
    with esepy.open_ese(samples("dissect_text_4k.edb")) as db:
        assert not any(c.multivalued for t in db.tables for c in t.columns)
