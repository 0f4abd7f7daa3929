"""Recovery of Windows ESE databases, stage 2: page redo (esepy.recover_ese with pages that
lack logged changes; csrc/esefmt/eseredo.c over the page model csrc/esefmt/esepage.c).

The SRUM sample (tests/data/ese/srum_win11_dirty) is sent back to generation 89, as in
test_ese_recover.py: ~1,000 page records then lie inside the attached window, all already on
their pages.  "Lost flushes" are synthesised in a copy by rolling pages back to an earlier
state built by hand from the log records themselves (the last logged Inserts on a page
removed again, the last Replace given the data of the Replace before it), with the page
dbtime set to the first rolled-back record's before-dbtime.  Recovery must restore every such
page: the same tags, keys, data and flags (logically; the node placement is esepy's own), a
valid ECC checksum, and nothing else changed.  Also: idempotence (the output recovered again
with its header made dirty redoes nothing), the dbtime errors by name, a page a split
created restored through the split, and a refusal leaving no file behind (R1).
Facts: ese-log-format.md §2.3, §3.3, §5.4.
"""
import collections
import os
import struct

import pytest

import esepy
from esepy import errors
from esepy import eselog

from ese_structure import check_structure, structure_checked  # noqa: F401 (autouse fixture: every output checked)
from ese_checksums import segment_checksum
from test_ese_recover import (SRUM_ROWS, PAGE, evidence, from_generation_89, read,  # noqa: F401 (fixture)
                              rewrite_header, unchanged)

NODE_TYPES = {"Insert", "FlagInsert", "FlagInsertAndReplaceData", "FlagDelete", "Replace", "ReplaceD", "Delete",
              "Delta", "Delta64", "SetExternalHeader"}
PAGE_FIELDS = ("pgno", "pgno_new", "pgno_right", "pgno_parent", "pgno_left")


# ---- the logs, as redo sees them --------------------------------------------------------------

def window_records(folder):
    """Page-changing records of database 1 from (89,1,0), each with 'in_window' (its session had
    a Begin0 since the redo start: the stage-1 gate R3; the database is attached throughout in
    the from_generation_89 copy) and 'in_macro' (buffered until MacroCommit)."""
    out = []
    begun, macro = set(), {}
    with eselog.open_log_chain(folder) as ch:
        for r in ch.records((89, 1, 0)):
            t, pid = r["type"], r.get("procid")
            if t in ("Begin0", "BeginDT"):
                begun.add(pid)
            elif t in ("Init", "Init2", "Term", "Term2", "RecoveryQuit", "RecoveryQuit2"):
                begun.clear()
                macro.clear()
            elif t == "MacroBegin":
                macro[pid] = r["dbtime"]
            elif t in ("MacroCommit", "MacroAbort"):
                macro.pop(pid, None)
            elif r.get("dbid") == 1 and any(r.get(k) for k in PAGE_FIELDS):
                r["in_window"] = pid in begun
                r["in_macro"] = macro.get(pid) == r.get("dbtime")
                out.append(r)
    return out


def by_page(recs):
    pages = collections.defaultdict(list)
    for r in recs:
        for k in PAGE_FIELDS:
            if r.get(k):
                pages[r[k]].append(r)
    return pages


# ---- page surgery (small pages: 13-bit ib/cb, one reserved tag) ------------------------------

def page_of(db, pgno):
    with open(db, "rb") as f:
        f.seek((pgno + 1) * PAGE)
        return bytearray(f.read(PAGE))


def put_page(db, pgno, page):
    struct.pack_into("<Q", page, 0, segment_checksum(bytes(page), pgno))
    with open(db, "r+b") as f:
        f.seek((pgno + 1) * PAGE)
        f.write(page)


def ctag(page):
    return struct.unpack_from("<H", page, 34)[0] & 0x0FFF


def tag(page, itag):
    cb, ib = struct.unpack_from("<HH", page, PAGE - 4 * (itag + 1))
    return cb & 0x1FFF, ib & 0x1FFF, ib >> 13


def node(page, itag):
    cb, ib, flags = tag(page, itag)
    return flags, bytes(page[40 + ib:40 + ib + cb])


def remove_line(page, iline):
    """Take line iline out as if its Insert never happened (its bytes stay, unreferenced)."""
    n = ctag(page)
    itag = iline + 1
    cb, _ib, _fl = tag(page, itag)
    for i in range(itag, n - 1):
        page[PAGE - 4 * (i + 1):PAGE - 4 * i] = page[PAGE - 4 * (i + 2):PAGE - 4 * (i + 1)]
    page[PAGE - 4 * n:PAGE - 4 * (n - 1)] = bytes(4)
    struct.pack_into("<H", page, 34, struct.unpack_from("<H", page, 34)[0] - 1)
    struct.pack_into("<H", page, 28, struct.unpack_from("<H", page, 28)[0] + cb + 4)


def set_data_same_size(page, iline, data):
    """Overwrite the data of line iline with bytes of the same length."""
    cb, ib, flags = tag(page, iline + 1)
    off = 40 + ib
    if flags & 4:
        off += 2
    cbsuffix = struct.unpack_from("<H", page, off)[0] & 0x1FFF
    start = off + 2 + cbsuffix
    assert 40 + ib + cb - start == len(data)
    page[start:start + len(data)] = data


def logical(page):
    """What a reader sees: header fields (flush-type bits masked) and every tag's flags and bytes."""
    dbtime, prev, nxt, objid = struct.unpack_from("<QIII", page, 8)
    flags = struct.unpack_from("<I", page, 36)[0] & ~0x18000
    return (dbtime, prev, nxt, objid, flags, [node(page, i) for i in range(ctag(page))])


def trailing_inserts(recs, dbtime_on_disk):
    """The run of in-window, non-macro Inserts that ends the page's history, with an unbroken
    dbtime chain ending at the page's dbtime on disk; [] if the history does not end so."""
    if not recs or recs[-1]["dbtime"] != dbtime_on_disk:
        return []
    run = []
    for i in range(len(recs) - 1, -1, -1):
        r = recs[i]
        if r["type"] != "Insert" or not r["in_window"] or r["in_macro"] or r.get("pgno") is None:
            break
        if i > 0 and r["dbtime_before"] != recs[i - 1]["dbtime"]:
            run.insert(0, r)
            break
        run.insert(0, r)
    return run


def lose_inserts(work, pages, max_pages=6, accept=None, min_run=2):
    """Roll up to max_pages pages back before their trailing Inserts (accept(records, run)
    may refuse a page); returns {pgno: (original page, records rolled back)}."""
    db = os.path.join(work, "SRUDB.dat")
    done = {}
    for pgno in sorted(pages, key=lambda p: -len(pages[p])):
        orig = page_of(db, pgno)
        run = trailing_inserts(pages[pgno], struct.unpack_from("<Q", orig, 8)[0])
        if len(run) < min_run or (accept is not None and not accept(pages[pgno], run)):
            continue
        page = bytearray(orig)
        for r in reversed(run):
            remove_line(page, r["iline"])
        struct.pack_into("<Q", page, 8, run[0]["dbtime_before"])
        put_page(db, pgno, page)
        done[pgno] = (bytes(orig), run)
        if len(done) == max_pages:
            break
    assert len(done) == max_pages, "the sample has fewer pages ending in logged Inserts than expected"
    return done


def assert_restored(out, src_db, restored):
    """Every rolled-back page reads as on the original disk; every other data page is unchanged."""
    a, b = read(src_db), read(out)
    assert len(a) == len(b)
    for pgno in range(1, len(a) // PAGE - 1):
        pa, pb = a[(pgno + 1) * PAGE:(pgno + 2) * PAGE], b[(pgno + 1) * PAGE:(pgno + 2) * PAGE]
        if pgno in restored:
            assert struct.unpack_from("<Q", pb, 0)[0] == segment_checksum(pb, pgno), pgno
            assert logical(pb) == logical(restored[pgno][0]), f"page {pgno} is not restored"
        else:
            assert pa == pb, f"page {pgno} changed"


# ---- tests ---------------------------------------------------------------------------------------

def test_lost_inserts_are_redone(evidence, tmp_path):
    work = from_generation_89(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    pages = by_page(window_records(work))
    before = read(db)
    lost = lose_inserts(work, pages)
    n = sum(len(run) for _o, run in lost.values())
    assert any(r["key_prefix"] > 0 for _o, run in lost.values() for r in run)  # prefix compression replayed
    out = str(tmp_path / "clean.dat")
    with unchanged(work):
        rep = esepy.recover_ese(db, work, out)
    assert rep["pages_redone"] == n, rep
    assert rep["records_redone"] >= n
    assert rep["lgpos_consistent"] == (92, 10, 0) and rep["dbtime_after"] == 43851
    assert_restored(out, os.path.join(evidence, "SRUDB.dat"), lost)
    assert before[2 * PAGE:] == read(os.path.join(evidence, "SRUDB.dat"))[2 * PAGE:]
    with esepy.open_ese(out) as edb:
        assert edb.header["state"] in ("CleanShutdown", 3, "clean_shutdown"), edb.header["state"]
        for name, rows in SRUM_ROWS.items():
            assert edb.table(name).count() == rows, name
    assert not os.path.exists(out + ".esepy-recover.tmp")
    # second opinions: dissect.esedb reads the same values as on the original disk, libesedb
    # the same row counts
    import dissect.esedb as dissect_esedb   # test extras: missing means a broken install
    import pyesedb

    def dissect_rows(path):
        with open(path, "rb") as fh:
            db = dissect_esedb.EseDB(fh)
            return {t.name: [sorted((k, repr(v)) for k, v in r.as_dict().items()) for r in t.records()]
                    for t in db.tables() if t.name in SRUM_ROWS}
    assert dissect_rows(out) == dissect_rows(os.path.join(evidence, "SRUDB.dat"))
    f = pyesedb.file()
    f.open(out)
    try:
        assert {t.name: t.number_of_records for t in f.tables if t.name in SRUM_ROWS} == SRUM_ROWS
    finally:
        f.close()


def test_lost_replace_is_redone(evidence, tmp_path):
    """The last Replace of a line rolled back to the data of the Replace before it."""
    work = from_generation_89(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    pages = by_page(window_records(work))
    chosen = None
    for pgno, recs in sorted(pages.items()):
        last = recs[-1]
        if last["type"] != "Replace" or not last["in_window"] or last["in_macro"] or len(recs) < 2:
            continue
        prev = recs[-2]
        if (prev["type"] == "Replace" and prev["iline"] == last["iline"] and prev["dbtime"] == last["dbtime_before"]
                and len(prev["data"]) == len(last["data"]) and prev["data"] != last["data"]):
            orig = page_of(db, pgno)
            if struct.unpack_from("<Q", orig, 8)[0] == last["dbtime"]:
                chosen = (pgno, prev, last, orig)
                break
    assert chosen is not None, "no page ends in two Replaces of one line"
    pgno, prev, last, orig = chosen
    page = bytearray(orig)
    set_data_same_size(page, last["iline"], prev["data"])
    struct.pack_into("<Q", page, 8, last["dbtime_before"])
    put_page(db, pgno, page)
    out = str(tmp_path / "clean.dat")
    rep = esepy.recover_ese(db, work, out)
    assert rep["pages_redone"] == 1, rep
    assert_restored(out, os.path.join(evidence, "SRUDB.dat"), {pgno: (bytes(orig), [last])})


def test_redo_is_idempotent(evidence, tmp_path):
    """The output recovered again with its header made dirty as before: every record is skipped."""
    work = from_generation_89(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    pages = by_page(window_records(work))
    lose_inserts(work, pages, max_pages=3)
    dirty_header = read(db)[:PAGE]
    out = str(tmp_path / "clean.dat")
    rep = esepy.recover_ese(db, work, out)
    assert rep["pages_redone"] > 0
    first = read(out)
    again = str(tmp_path / "again-in.dat")
    with open(again, "wb") as f:
        f.write(dirty_header + dirty_header + first[2 * PAGE:])
    out2 = str(tmp_path / "again.dat")
    rep2 = esepy.recover_ese(again, work, out2)
    assert rep2["pages_redone"] == 0, rep2
    assert rep2["page_references_applied"] >= rep["page_references_applied"] + rep["pages_redone"] - 1
    assert read(out2)[2 * PAGE:] == first[2 * PAGE:]
    # no redo at all: the stage-1 path copies the input (no temporary file)
    assert not os.path.exists(out2 + ".esepy-recover.tmp")


def test_redo_in_place(evidence, tmp_path):
    work = from_generation_89(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    lost = lose_inserts(work, by_page(window_records(work)), max_pages=2)
    rep = esepy.recover_ese(db, work, in_place=True)
    assert rep["pages_redone"] == sum(len(r) for _o, r in lost.values())
    assert rep["jfm_removed"]
    assert_restored(db, os.path.join(evidence, "SRUDB.dat"), lost)
    assert not os.path.exists(db + ".esepy-recover.tmp")


def one_lost_insert(evidence, tmp_path):
    work = from_generation_89(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    pages = by_page(window_records(work))

    def only_node_records_before(recs, run):
        # no record before the run may format the page again once its dbtime is made older
        return all(r["type"] in NODE_TYPES or not r["in_window"] for r in recs[:len(recs) - len(run)])
    lost = lose_inserts(work, pages, max_pages=1, accept=only_node_records_before)
    (pgno, (_orig, run)), = lost.items()
    return work, db, pgno, run


def set_page_dbtime(db, pgno, dbtime):
    page = page_of(db, pgno)
    struct.pack_into("<Q", page, 8, dbtime)
    put_page(db, pgno, page)


@pytest.mark.parametrize("case", ["too_old", "too_new"])
def test_dbtime_mismatch_is_refused_by_name(evidence, tmp_path, case):
    work, db, pgno, run = one_lost_insert(evidence, tmp_path)
    first = run[0]
    if case == "too_old":
        dbtime, exc, code = first["dbtime_before"] - 1, errors.DbTimeTooOld, -566
    else:
        assert first["dbtime"] - first["dbtime_before"] >= 2
        dbtime, exc, code = first["dbtime_before"] + 1, errors.DbTimeTooNew, -567
    set_page_dbtime(db, pgno, dbtime)
    out = str(tmp_path / "clean.dat")
    with unchanged(work), pytest.raises(exc) as ei:
        esepy.recover_ese(db, work, out)
    rec = ei.value.recovery
    assert ei.value.code == code
    assert rec["pgno"] == pgno and rec["record_type"] == "Insert" and rec["lgpos"] == first["lgpos"]
    assert rec["dbtime_page"] == dbtime and rec["dbtime_before_record"] == first["dbtime_before"]
    assert f"page {pgno}" in rec["reason"] and "(%d,%d,%d)" % first["lgpos"] in rec["reason"]
    assert not os.path.exists(out) and not os.path.exists(out + ".esepy-recover.tmp")


def test_change_beyond_the_required_range_is_refused(evidence, tmp_path):
    """A page already carrying a change logged after the header's lGenMaxRequired: no page can
    hold a change written after the last flush the header vouches for (§3.3 rule 4)."""
    work = from_generation_89(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    rewrite_header(db, lambda h: struct.pack_into("<i", h, 300, 89))
    out = str(tmp_path / "clean.dat")
    with unchanged(work), pytest.raises(errors.DbTimeBeyondMaxRequired) as ei:
        esepy.recover_ese(db, work, out)
    rec = ei.value.recovery
    assert rec["lgpos"][0] == 90 and "beyond the header's required range" in rec["reason"]
    assert not os.path.exists(out)


def test_refusal_after_redo_leaves_nothing_behind(evidence, tmp_path):
    """Pages are redone into the temporary copy (it exists by generation 91: more pages are
    dirtied than the redo cache holds), then a record of generation 91 fails: no output and no
    temporary file remain (R1)."""
    work = from_generation_89(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    pages = by_page(window_records(work))
    # pages last changed in generation 89: their redone frames leave the cache (32 pages) long
    # before generation 91, so the temporary copy gets created then
    lost = lose_inserts(work, pages, max_pages=3, min_run=1, accept=lambda recs, run: run[-1]["lgpos"][0] == 89)
    # a page first named in generation 91 by a node record, made one dbtime older than that
    # record wants: recovery stops there, after the redo above reached the temporary copy
    touched = 0
    for pgno, recs in pages.items():
        inw = [r for r in recs if r["in_window"]]
        if pgno in lost or not inw or inw[0]["type"] not in NODE_TYPES or inw[0]["in_macro"]:
            continue
        if inw[0]["lgpos"][0] < 91:
            continue
        set_page_dbtime(db, pgno, inw[0]["dbtime_before"] - 1)
        bad = (pgno, inw[0])
        touched += 1
        break
    assert touched == 1
    out = str(tmp_path / "clean.dat")
    tmp = out + ".esepy-recover.tmp"
    seen = {}

    def progress(p):
        seen[p.done] = os.path.exists(tmp)
    with pytest.raises(errors.DbTimeTooOld) as ei:
        esepy.recover_ese(db, work, out, progress=progress)
    assert ei.value.recovery["pgno"] == bad[0] and ei.value.recovery["lgpos"] == bad[1]["lgpos"]
    assert any(seen.values()), seen   # the temporary copy existed during the run
    assert sorted(os.listdir(tmp_path)) == ["evidence", "work"]


def test_split_needing_redo_is_replayed(evidence, tmp_path):
    """A page a split creates (NewPage, then Split2 in a macro), lost: NewPage and the split
    (esesplit.c) are replayed and the page is restored as it was."""
    from test_ese_split_redo import logical
    work = from_generation_89(evidence, str(tmp_path / "work"))
    db = os.path.join(work, "SRUDB.dat")
    recs = window_records(work)
    split = next(r for r in recs if r["type"] == "Split2" and r.get("pgno_new") and r["in_window"])
    pgno = split["pgno_new"]
    before = read(db)[(pgno + 1) * PAGE:(pgno + 2) * PAGE]
    with open(db, "r+b") as f:
        f.seek((pgno + 1) * PAGE)
        f.write(bytes(PAGE))
    out = str(tmp_path / "clean.dat")
    with unchanged(work):
        rep = esepy.recover_ese(db, work, out)
    assert rep["pages_redone"] > 0
    assert logical(read(out)[(pgno + 1) * PAGE:(pgno + 2) * PAGE]) == logical(before)


# ---- the page model on every page of every sample -------------------------------------------

ROUND_TRIP = ["dissect_binary_4k.edb", "dissect_large_32k.edb", "dissect_multi_4k.edb", "dissect_text_4k.edb",
              "qmgr_win11_24h2_16k.db", "stroz_decompress_7bit_8k.edb", "stroz_decompress_lzxpress_8k.edb",
              "srum_win11_dirty/SRUDB.dat", "srum_win11_dirty/SRUDB.repaired-by-esentutl-p.dat"]


def table_contents(path):
    out = {}
    with esepy.open_ese(path) as db:
        for t in db.tables:
            out[t.name] = [repr(r) for r in t.rows(include_deleted=True)]
        n = db.header["page_count"]
        tags = {}
        for pgno in range(1, n + 1):
            info = db.page(pgno)
            if info["status"] == "blank":
                continue
            tags[pgno] = (info["dbtime"], info["pgno_prev"], info["pgno_next"], info["objid"],
                          info["flags"] & ~0x18000, info["checksum_ok"],
                          [db.page_tag(pgno, i) for i in range(info["tag_count"])])
    return out, tags


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_page_model_round_trip_reads_identically(samples, tmp_path, name):
    """Every page of the sample decoded and encoded again by recovery's page model
    (EsepyEseRewritePage), written into a copy: the copy's pages pass their checksums and read
    exactly as the original's -- every tag's flags and bytes, header fields, every row."""
    src = samples(name)
    dst = str(tmp_path / os.path.basename(name))
    data = bytearray(read(src))
    with esepy.open_ese(src) as db:
        page = db.header["page_size"]
        for pgno in range(1, db.header["page_count"] + 1):
            if db.page(pgno)["status"] != "ok":
                continue
            new = db._file.rewrite_page(pgno)
            assert len(new) == page
            data[(pgno + 1) * page:(pgno + 2) * page] = new
    with open(dst, "wb") as f:
        f.write(data)
    rows_a, tags_a = table_contents(src)
    rows_b, tags_b = table_contents(dst)
    assert tags_a == tags_b
    assert rows_a == rows_b and sum(len(v) for v in rows_a.values()) > 0


def test_recover_docs_say_what_stage_2_does():
    doc = esepy.recover_ese.__doc__
    assert "redo" in doc and "Split2" in doc and "pages_redone" in doc


def test_structure_check_runs_and_can_fail(evidence, tmp_path, structure_checked):
    """The structural check run after every recovery here (tests/ese/ese_structure.py) saw the
    output's trees, and refuses a page beyond the header's dbtime, keys out of order and a
    bad checksum."""
    work = from_generation_89(evidence, str(tmp_path / "work"))
    out = str(tmp_path / "clean.dat")
    esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, out)
    assert len(structure_checked) == 1 and structure_checked[0]["pages"] > 300 and \
        structure_checked[0]["siblings"] > 200, structure_checked
    with esepy.open_ese(out) as db:
        dbtime_max = db.header["dbtime_dirtied"]
        leaf = next(p for p in range(3, 600) if db.page(p)["status"] == "ok" and db.page(p)["flags"] & 0x2
                    and db.page(p)["tag_count"] > 4 and not db.page(p)["flags"] & 0x4)
    orig = page_of(out, leaf)
    page = bytearray(orig)
    struct.pack_into("<Q", page, 8, dbtime_max + 1)
    put_page(out, leaf, page)
    with pytest.raises(AssertionError, match="beyond the header's dbtime_dirtied"):
        check_structure(out)
    # lines 1 and 2 swap their tags: keys out of order
    page = bytearray(orig)
    t1, t2 = page[PAGE - 8:PAGE - 4], page[PAGE - 12:PAGE - 8]
    page[PAGE - 8:PAGE - 4], page[PAGE - 12:PAGE - 8] = t2, t1
    put_page(out, leaf, page)
    with pytest.raises(AssertionError, match="out of order"):
        check_structure(out)
    page = bytearray(orig)
    page[PAGE // 2] ^= 0xFF
    with open(out, "r+b") as f:
        f.seek((leaf + 1) * PAGE)
        f.write(page)
    with pytest.raises(AssertionError, match="bad pages"):
        check_structure(out)
