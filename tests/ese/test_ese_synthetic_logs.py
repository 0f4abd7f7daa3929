"""Recovery end to end over synthetic Windows ESE log records (tests/ese/eselog_writer.py):
structure changes no sample log holds, written after the last record of the SRUM sample's
current generation (92) on a private copy, then replayed by esepy.recover_ese
(csrc/esefmt/eserecover.c).

* The writer itself: every record of every sample log, re-packed into segments, gives the
  sample's segments byte for byte (headers, checksums, fragments, NOP fill).
* A PageMove of a leaf with both siblings onto a free page of its tree, the space trees
  kept consistent as ESE keeps them (the destination taken from the available-extent tree,
  the source given back to it); a vertical split of a root leaf onto a free page.

Each recovered copy passes the integrity check (EsepyEseCheckIntegrity: trees, sibling
links, space), reads back with dissect.esedb and libesedb (pyesedb) with the same rows as
the input, and its moved / split pages are checked node by node.  Recovering the output
again changes nothing.
"""
import os
import shutil
import struct

import pytest

import esepy
import esepy.eselog as eselog

import eselog_writer as W
from ese_structure import _keys, structure_checked  # noqa: F401  (autouse: every recovered copy is checked)

PAGE = 4096
PG_ROOT, PG_LEAF, PG_PARENT, PG_EMPTY, PG_SPACE = 0x1, 0x2, 0x4, 0x8, 0x20
FILES = ["SRUDB.dat", "SRU.chk", "SRU.log", "SRU00059.log", "SRU0005A.log", "SRU0005B.log"]
PROCID = 300          # a session the sample never uses
TRX = 0x7FFF0001


@pytest.fixture
def work(srum_dir, tmp_path):
    d = tmp_path / "work"
    d.mkdir()
    for name in FILES:
        shutil.copyfile(os.path.join(srum_dir, name), d / name)
    return str(d)


def read_page(db_path, pgno):
    with open(db_path, "rb") as f:
        f.seek((pgno + 1) * PAGE)
        return f.read(PAGE)


def lines(db, pgno):
    """(flags, tag bytes) of every line of a page (tags 1..)."""
    info = db.page(pgno)
    return [db.page_tag(pgno, i) for i in range(1, info["tag_count"])]


def node_key_data(tag):
    """Key suffix and data of an uncompressed node."""
    (cb,) = struct.unpack_from("<H", tag, 0)
    return tag[2:2 + cb], tag[2 + cb:]


def table_rows(path):
    with esepy.open_ese(path) as db:
        return {t.name: list(t.rows()) for t in db.tables}


def third_party_rows(path, skip_dissect=()):
    """Every table's rows as dissect.esedb and as libesedb (pyesedb) read them: dissect's
    records as dicts, libesedb's as lists of raw value bytes.  skip_dissect: tables dissect
    is not asked for (it reads flag-deleted nodes as records, so it cannot parse the
    records a Scrub overwrote, as on a scrubbed Windows file)."""
    import dissect.esedb as dissect_esedb   # test extras: missing means a broken install
    import pyesedb
    with open(path, "rb") as fh:
        theirs = dissect_esedb.EseDB(fh)
        d = {t.name: [r.as_dict() for r in t.records()] for t in theirs.tables() if t.name not in skip_dissect}
    f = pyesedb.file()
    f.open(path)
    try:
        lib = {t.name: [[r.get_value_data(i) for i in range(r.number_of_values)] for r in t.records]
               for t in f.tables}
    finally:
        f.close()
    return d, lib


def space_of(db, root):
    """(pgnoOE, pgnoAE) of a multiple-extent tree root (space header @12; AE = OE + 1)."""
    _, sph = db.page_tag(root, 0)
    cpg, _parent, flags, oe = struct.unpack_from("<IIII", sph, 0)
    assert flags & 1, "not a multiple-extent tree"
    return oe, oe + 1


def free_single_pages(db, ae):
    """(iline, pgno) of the one-page extents the available-extent leaf ae lists."""
    out = []
    for i, (flags, tag) in enumerate(lines(db, ae)):
        if flags & 0x6:   # deleted or compressed: not used here
            continue
        key, data = node_key_data(tag)
        if len(key) == 4 and len(data) == 4 and struct.unpack("<I", data)[0] == 1:
            out.append((i, struct.unpack(">I", key)[0]))
    return out


def ae_insert_line(db, ae, pgno):
    """Where an extent {pgno, 1} goes in the AE leaf (keys ordered big-endian)."""
    keys = [node_key_data(tag)[0] for _f, tag in lines(db, ae)]
    k = struct.pack(">I", pgno)
    return sum(1 for x in keys if x < k)


def recover_and_check(work, tmp_path, rows_before, skip_dissect=()):
    out = str(tmp_path / "recovered.dat")
    rep = esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, out)
    with esepy.open_ese(out) as db:
        assert db.header["state"] == "CleanShutdown"
        integ = db.check_integrity()
        assert integ["ok"] and integ["findings"] == [] and integ["pages_checked"] > 300, integ
    assert table_rows(out) == rows_before
    d, lib = third_party_rows(out, skip_dissect)
    d0, lib0 = third_party_rows(os.path.join(work, "SRUDB.dat"), skip_dissect)
    assert sum(len(v) for v in d.values()) > 3000 and d == d0            # dissect.esedb: same values
    assert sum(len(v) for v in lib.values()) > 3000 and lib == lib0      # libesedb: same values
    return out, rep


# ---- the writer -----------------------------------------------------------------------------

def raw_records(path):
    """The records of a log file as bytes (fragments reassembled from the file)."""
    data = open(path, "rb").read()
    with eselog.open_log(path) as lf:
        recs = list(lf.records())
    out = []
    for r in recs:
        _g, isec, ib = r["lgpos"]
        off = isec * PAGE + (ib or W.SEGHDR)
        if not r.get("fragments"):
            out.append(data[off:off + r["size"]])
            continue
        assert data[off] == W.LRTYP_FRAGMENTBEGIN
        total, n = struct.unpack_from("<IH", data, off + 1)
        b, s = data[off + 7:off + 7 + n], isec
        while len(b) < total:
            s += 1
            o = s * PAGE + W.SEGHDR
            assert data[o] == W.LRTYP_FRAGMENT
            (n,) = struct.unpack_from("<H", data, o + 1)
            b += data[o + 3:o + 3 + n]
        out.append(b)
    return data, recs, out


@pytest.mark.parametrize("name", ["SRU00059.log", "SRU0005A.log", "SRU0005B.log", "SRU.log", "SRUtmp.log"])
def test_writer_repacks_the_sample_logs_byte_for_byte(srum_dir, name):
    path = os.path.join(srum_dir, name)
    data, recs, raws = raw_records(path)
    seq = []
    for r, b in zip(recs, raws):
        seq.append(b)
        if r["type"] == "Term2":
            seq.append(None)   # the log was closed: the engine that opens it again starts a new segment
    gen, _csec, good = W.good_segments(path)
    payloads, positions = W.pack(seq)
    assert len(good) == len(payloads) > 5
    assert [(gen, 1 + s, ib) for s, ib in positions] == [tuple(r["lgpos"]) for r in recs]
    assert any(r.get("fragments") for r in recs) or name == "SRU.log"
    for i, isec in enumerate(good):
        orig = data[isec * PAGE:(isec + 1) * PAGE]
        assert W.segment(gen, isec, payloads[i], orig[16:24]) == orig, f"segment {isec} of {name}"
    # the header checksum as ESE computes it
    assert struct.unpack_from("<I", data, 0)[0] == W.header_checksum(data[:PAGE])
    assert W.with_header_checksum(data[:PAGE]) == data[:PAGE]


def test_writer_shadow_segment_is_recognised(srum_dir):
    """A shadow copy (checksum with the previous sector's number) is what the reader calls one."""
    data = open(os.path.join(srum_dir, "SRU00059.log"), "rb").read()
    s14 = data[14 * PAGE:15 * PAGE]
    assert W.segment(89, 14, s14[40:], s14[16:24], pgno=14) == s14
    assert data[15 * PAGE:] == s14   # the sample's own shadow: byte-identical to sector 14


# ---- PageMove -----------------------------------------------------------------------------------

def find_move(db):
    """A tree, a leaf of it with both siblings whose parent points to it, and a free one-page
    extent of the same tree: (root, oe, ae, leaf, parent, iline_parent, (ae_iline, dest))."""
    npages = db.verify_pages()["pages"]
    info = {p: db.page(p) for p in range(1, npages + 1)}
    for root, ri in info.items():
        if ri["status"] == "blank" or not ri["flags"] & PG_ROOT or ri["flags"] & PG_SPACE:
            continue
        try:
            oe, ae = space_of(db, root)
        except AssertionError:
            continue
        if not info[ae]["flags"] & PG_LEAF:
            continue
        free = [(i, p) for i, p in free_single_pages(db, ae)
                if info[p]["status"] == "blank" or info[p]["flags"] & PG_EMPTY or info[p]["tag_count"] <= 1]
        if not free:
            continue
        objid = ri["objid"]
        for parent, pi in info.items():
            if pi["status"] == "blank" or pi["objid"] != objid or not pi["flags"] & PG_PARENT or \
                    pi["flags"] & (PG_SPACE | PG_EMPTY):
                continue
            for il, (_f, tag) in enumerate(lines(db, parent)):
                off = 2 if not _f & 0x4 else 4
                (cb,) = struct.unpack_from("<H", tag, off - 2)
                child_data = tag[off + (cb & 0x1FFF):]
                if len(child_data) != 4:
                    continue
                child = struct.unpack("<I", child_data)[0]
                ci = info.get(child)
                if ci and ci["flags"] & PG_LEAF and not ci["flags"] & PG_EMPTY and ci["pgno_prev"] and \
                        ci["pgno_next"] and ci["objid"] == objid:
                    return root, oe, ae, child, parent, il, free[0]
    return None


def test_page_move_end_to_end(work, tmp_path):
    db_path = os.path.join(work, "SRUDB.dat")
    rows_before = table_rows(db_path)
    with esepy.open_ese(db_path) as db:
        found = find_move(db)
        assert found, "the sample has no tree to move a page in"
        root, _oe, ae, src, parent, il_parent, (ae_iline, dest) = found
        si = db.page(src)
        left, right = si["pgno_prev"], si["pgno_next"]
        dbt = {p: db.page(p)["dbtime"] for p in (src, left, right, parent, ae)}
        objid = si["objid"]
        src_lines = lines(db, src)
        dbtime0 = db.header["dbtime_dirtied"]
    image = read_page(db_path, src)
    t1, t2, t3 = dbtime0 + 10, dbtime0 + 11, dbtime0 + 12
    recs = [
        W.begin0(PROCID, TRX),
        # the destination leaves the available-extent tree (a space-tree operation, flag 0x08)
        W.delete(PROCID, ae, t1, dbt[ae], TRX, ae, objid, ae_iline, flags=0x08),
        W.page_move(PROCID, src, dest, t2, (dbt[src], dbt[left], dbt[right], dbt[parent]), TRX, root, objid,
                    parent, il_parent, left, right, image),
    ]
    with esepy.open_ese(db_path) as db:
        il_ins = ae_insert_line(db, ae, src) - (1 if ae_iline < ae_insert_line(db, ae, src) else 0)
    recs += [
        # the source goes back to it
        W.insert(PROCID, ae, t3, t1, TRX, ae, objid, il_ins, struct.pack(">I", src), struct.pack("<I", 1),
                 flags=0x08),
        W.commit0(PROCID, TRX),
    ]
    lgpos = W.append_records(os.path.join(work, "SRU.log"), recs)
    assert lgpos[0] == (92, 10, 0)
    with eselog.open_log(os.path.join(work, "SRU.log")) as lf:
        types = [r["type"] for r in lf.records()][-5:]
    assert types == ["Begin0", "Delete", "PageMove", "Insert", "Commit0"]

    out, rep = recover_and_check(work, tmp_path, rows_before)
    assert rep["lgpos_consistent"][0] == 92 and rep["dbtime_after"] == t3
    with esepy.open_ese(out) as db:
        di = db.page(dest)
        assert di["dbtime"] == t2 and (di["pgno_prev"], di["pgno_next"]) == (left, right)
        assert di["objid"] == objid and di["flags"] & PG_LEAF and not di["flags"] & PG_EMPTY
        assert lines(db, dest) == src_lines                       # node by node
        assert db.page(src)["flags"] & PG_EMPTY and db.page(src)["tag_count"] <= 1
        assert db.page(left)["pgno_next"] == dest and db.page(right)["pgno_prev"] == dest
        _f, tag = lines(db, parent)[il_parent]
        assert struct.unpack("<I", tag[-4:])[0] == dest
        assert all(p != dest for _i, p in free_single_pages(db, ae))
        assert src in [p for _i, p in free_single_pages(db, ae)]
    # the audit rebuilds the destination from the logs alone (the record carries its image)
    audit = esepy.verify_logs(out, work)
    entry = audit.page(dest)
    assert entry["verdict"] == "match", entry
    assert audit.differing == []
    # recovering the recovered copy (clean) changes nothing
    again = str(tmp_path / "again.dat")
    assert esepy.recover_ese(out, work, again)["was_clean"]
    assert open(again, "rb").read() == open(out, "rb").read()

    # some pages of the move already flushed (written into the input from the output, the
    # header still dirty): the dbtime rule redoes the others and the result is the same;
    # the destination alone flushed makes ESE revert the source to the logged image first
    final = open(out, "rb").read()
    for flushed in ([src, parent], [dest], [left, right, ae], [src, dest, left, right, parent, ae]):
        case = str(tmp_path / ("flushed_" + "_".join(map(str, flushed))))
        shutil.copytree(work, case)
        with open(os.path.join(case, "SRUDB.dat"), "r+b") as f:
            for p in flushed:
                f.seek((p + 1) * PAGE)
                f.write(final[(p + 1) * PAGE:(p + 2) * PAGE])
        out2 = case + ".dat"
        esepy.recover_ese(os.path.join(case, "SRUDB.dat"), case, out2)
        assert open(out2, "rb").read()[2 * PAGE:] == final[2 * PAGE:], flushed


# ---- vertical split ----------------------------------------------------------------------------

def find_split(db):
    """A multiple-extent tree whose root is a leaf with lines, and a page for it as ESE takes
    one: the first page of a free extent of its parent tree (the parent's available-extent
    tree).  Returns (root, oe, parent_ae, (ae_iline, pgno_last, cpg))."""
    npages = db.verify_pages()["pages"]
    for root in range(4, npages + 1):
        ri = db.page(root)
        if ri["status"] == "blank" or (ri["flags"] & (PG_ROOT | PG_LEAF | PG_SPACE)) != (PG_ROOT | PG_LEAF) or \
                ri["tag_count"] < 3:
            continue
        try:
            oe, _ae = space_of(db, root)
            _, sph = db.page_tag(root, 0)
            parent = struct.unpack_from("<I", sph, 4)[0]
            _poe, pae = space_of(db, parent)
        except AssertionError:
            continue
        if not db.page(oe)["flags"] & PG_LEAF or not db.page(pae)["flags"] & PG_LEAF:
            continue
        for i, (flags, tag) in enumerate(lines(db, pae)):
            key, data = node_key_data(tag)
            if not flags & 0x6 and len(key) == 4 and len(data) == 4:
                return root, oe, pae, (i, struct.unpack(">I", key)[0], struct.unpack("<I", data)[0])
    return None


def test_vertical_split_end_to_end(work, tmp_path):
    """The root leaf of a tree splits vertically onto a page the tree takes from its parent's
    free space (the parent's available extent loses its first page, the tree's owned-extent
    tree gains it), as ESE logs it: space operations, then the split in a macro."""
    db_path = os.path.join(work, "SRUDB.dat")
    rows_before = table_rows(db_path)
    with esepy.open_ese(db_path) as db:
        found = find_split(db)
        assert found, "the sample has no root leaf to split"
        root, oe, pae, (ae_iline, pgno_last, cpg) = found
        new = pgno_last - cpg + 1
        ri = db.page(root)
        root_lines = lines(db, root)
        objid, flags = ri["objid"], ri["flags"]
        dbt = {p: db.page(p)["dbtime"] for p in (root, oe, pae)}
        pae_objid = db.page(pae)["objid"]
        oe_keys = [node_key_data(tag)[0] for _f, tag in lines(db, oe)]
        dbtime0 = db.header["dbtime_dirtied"]
    t1, t2, t3 = dbtime0 + 10, dbtime0 + 11, dbtime0 + 12
    il_oe = sum(1 for k in oe_keys if k < struct.pack(">I", new))
    recs = [
        W.begin0(PROCID, TRX),
        W.replace(PROCID, pae, t1, dbt[pae], TRX, pae, pae_objid, ae_iline, 4, struct.pack("<I", cpg - 1),
                  flags=0x08) if cpg > 1 else
        W.delete(PROCID, pae, t1, dbt[pae], TRX, pae, pae_objid, ae_iline, flags=0x08),
        W.insert(PROCID, oe, t2, dbt[oe], TRX, root, objid, il_oe, struct.pack(">I", new), struct.pack("<I", 1),
                 flags=0x08),
        W.macro_begin(PROCID, t3),
        W.split2(PROCID, root, t3, dbt[root], TRX, root, objid, pgno_new=new, split_type=0,
                 clines=len(root_lines), new_flags=flags & ~PG_ROOT & ~0x18000,
                 split_flags=(flags & ~PG_LEAF & ~0x18000) | PG_PARENT),
        W.macro_commit(PROCID, t3),
        W.commit0(PROCID, TRX),
    ]
    W.append_records(os.path.join(work, "SRU.log"), recs)
    out, rep = recover_and_check(work, tmp_path, rows_before)
    assert rep["dbtime_after"] == t3
    with esepy.open_ese(out) as db:
        r2 = db.page(root)
        assert r2["flags"] & PG_PARENT and not r2["flags"] & PG_LEAF and r2["tag_count"] == 2
        assert r2["dbtime"] == t3
        _f, tag = lines(db, root)[0]
        assert tag == struct.pack("<H", 0) + struct.pack("<I", new)   # empty key, the new page
        ni = db.page(new)
        assert ni["flags"] & PG_LEAF and not ni["flags"] & PG_ROOT and ni["objid"] == objid
        assert ni["dbtime"] == t3 and (ni["pgno_prev"], ni["pgno_next"]) == (0, 0)
        assert lines(db, new) == root_lines                           # node by node (no prefix logged)


# ---- ConvertFDP2 --------------------------------------------------------------------------------

def find_convert(db):
    """A single-extent tree of one page whose parent has a free extent of 2 pages or more:
    (root, parent, parent_ae, (ae_iline, pgno_last, cpg))."""
    npages = db.verify_pages()["pages"]
    for root in range(4, npages + 1):
        ri = db.page(root)
        if ri["status"] == "blank" or not ri["flags"] & PG_ROOT or ri["flags"] & PG_SPACE:
            continue
        _, sph = db.page_tag(root, 0)
        if len(sph) < 16:
            continue
        cpg, parent, flags, bits = struct.unpack_from("<IIII", sph, 0)
        if flags & 1 or cpg != 1 or bits != 0 or parent == 0:
            continue
        try:
            _poe, pae = space_of(db, parent)
        except AssertionError:
            continue
        if not db.page(pae)["flags"] & PG_LEAF:
            continue
        for i, (fl, tag) in enumerate(lines(db, pae)):
            key, data = node_key_data(tag)
            if not fl & 0x6 and len(key) == 4 and len(data) == 4 and struct.unpack("<I", data)[0] >= 2:
                return root, parent, pae, (i, struct.unpack(">I", key)[0], struct.unpack("<I", data)[0])
    return None


def test_convert_fdp2_end_to_end(work, tmp_path):
    """A single-extent tree becomes multiple-extent with a secondary extent of two pages taken
    from its parent's free space: the owned- and available-extent roots are built on them and
    the root's space header rewritten, as ESE logs it (the parent's extent shrinks first)."""
    db_path = os.path.join(work, "SRUDB.dat")
    rows_before = table_rows(db_path)
    with esepy.open_ese(db_path) as db:
        found = find_convert(db)
        assert found, "the sample has no single-extent tree to convert"
        root, parent, pae, (ae_iline, pgno_last, cpg) = found
        ri = db.page(root)
        objid, flags = ri["objid"], ri["flags"]
        dbt = {p: db.page(p)["dbtime"] for p in (root, pae)}
        pae_objid = db.page(pae)["objid"]
        root_lines = lines(db, root)
        dbtime0 = db.header["dbtime_dirtied"]
    first = pgno_last - cpg + 1
    oe, ae = first, first + 1
    t1, t2 = dbtime0 + 10, dbtime0 + 11
    recs = [
        W.begin0(PROCID, TRX),
        W.replace(PROCID, pae, t1, dbt[pae], TRX, pae, pae_objid, ae_iline, 4, struct.pack("<I", cpg - 2),
                  flags=0x08) if cpg > 2 else
        W.delete(PROCID, pae, t1, dbt[pae], TRX, pae, pae_objid, ae_iline, flags=0x08),
        W.convert_fdp2(PROCID, root, t2, dbt[root], TRX, objid, oe, ae, parent, first, 1, 2, 0,
                       flags & (0x2000 | 0x0800)),
        W.commit0(PROCID, TRX),
    ]
    W.append_records(os.path.join(work, "SRU.log"), recs)
    out, rep = recover_and_check(work, tmp_path, rows_before)
    assert rep["dbtime_after"] == t2
    with esepy.open_ese(out) as db:
        _, sph = db.page_tag(root, 0)
        assert struct.unpack_from("<IIII", sph, 0)[:2] == (1, parent)
        assert sph[8] & 1 and struct.unpack_from("<I", sph, 12)[0] == oe     # multiple extents, pgnoOE
        assert lines(db, root) == root_lines
        for p in (oe, ae):
            pi = db.page(p)
            assert pi["flags"] & (PG_ROOT | PG_LEAF | PG_SPACE) == PG_ROOT | PG_LEAF | PG_SPACE
            assert pi["objid"] == objid and pi["dbtime"] == t2
        owned = sorted((struct.unpack(">I", node_key_data(t)[0])[0], struct.unpack("<I", node_key_data(t)[1])[0])
                       for _f, t in lines(db, oe))
        assert owned == [(root, 1), (ae, 2)]          # the primary extent and the secondary one
        assert lines(db, ae) == []                     # nothing left free: the two pages are the roots


# ---- Merge2 -------------------------------------------------------------------------------------

def used_bytes(db, pgno):
    """Bytes the page's tags take, each line counted uncompressed (its full key) and with its
    tag: an upper bound of what its lines need on another page."""
    info = db.page(pgno)
    keys = _keys(db, pgno, info["tag_count"]) if info["tag_count"] > 1 else []
    n = len(db.page_tag(pgno, 0)[1]) + 4
    for i, k in enumerate(keys):
        fl, tag = db.page_tag(pgno, i + 1)
        off = 4 if fl & 0x4 else 2
        (cb,) = struct.unpack_from("<H", tag, off - 2)
        n += 4 + 4 + len(k) + len(tag) - off - (cb & 0x1FFF)
    return n


def find_merge(db):
    """Two adjacent leaves L, R of one tree under the same parent (lines k, k+1), L with a
    left sibling, whose lines fit on R together; the tree's AE is a leaf."""
    npages = db.verify_pages()["pages"]
    info = {p: db.page(p) for p in range(1, npages + 1)}
    for parent, pi in info.items():
        if pi["status"] == "blank" or not pi["flags"] & PG_PARENT or pi["flags"] & (PG_SPACE | PG_EMPTY):
            continue
        ptr = []
        for fl, tag in lines(db, parent):
            off = 4 if fl & 0x4 else 2
            (cb,) = struct.unpack_from("<H", tag, off - 2)
            d = tag[off + (cb & 0x1FFF):]
            ptr.append(struct.unpack("<I", d)[0] if len(d) == 4 else 0)
        for k in range(len(ptr) - 1):
            L, R = ptr[k], ptr[k + 1]
            li, ri = info.get(L), info.get(R)
            if not li or not ri or not li["flags"] & PG_LEAF or li["pgno_next"] != R or not li["pgno_prev"]:
                continue
            if li["tag_count"] < 2 or used_bytes(db, L) + used_bytes(db, R) > 4096 - 40:
                continue
            # find the tree root (a root page of the same objid) and its AE
            for root, rinfo in info.items():
                if rinfo["status"] != "blank" and rinfo["flags"] & PG_ROOT and not rinfo["flags"] & PG_SPACE and \
                        rinfo["objid"] == li["objid"]:
                    try:
                        _oe, ae = space_of(db, root)
                    except AssertionError:
                        break
                    if info[ae]["flags"] & PG_LEAF and used_bytes(db, ae) < 3000:
                        return root, ae, parent, k, L, R, li["pgno_prev"]
                    break
    return None


def test_merge2_full_right_end_to_end(work, tmp_path):
    """A leaf's lines move onto its right sibling (Merge2, full right): the parent loses its
    pointer to the emptied page, the left sibling links to the right one, and the emptied
    page goes back to the tree's available extents.  Every row stays."""
    db_path = os.path.join(work, "SRUDB.dat")
    rows_before = table_rows(db_path)
    with esepy.open_ese(db_path) as db:
        found = find_merge(db)
        assert found, "the sample has no pair of leaves to merge"
        root, ae, parent, k, L, R, left = found
        objid = db.page(L)["objid"]
        dbt = {p: db.page(p)["dbtime"] for p in (L, R, left, parent, ae)}
        keys_l, keys_r = _keys(db, L, db.page(L)["tag_count"]), _keys(db, R, db.page(R)["tag_count"])
        nl, nr = db.page(L)["tag_count"] - 1, db.page(R)["tag_count"] - 1
        nparent = db.page(parent)["tag_count"] - 1
        ae_keys = [node_key_data(t)[0] for _f, t in lines(db, ae)]
        dbtime0 = db.header["dbtime_dirtied"]
    t1, t2 = dbtime0 + 10, dbtime0 + 11
    recs = [
        W.begin0(PROCID, TRX),
        W.macro_begin(PROCID, t1),
        W.merge2(PROCID, parent, t1, W.DBTIME_NIL, TRX, root, objid, merge_type=2, merge_flags=0x2, iline=k),
        W.merge2(PROCID, L, t1, dbt[L], TRX, root, objid, merge_type=2, merge_flags=0x4, pgno_right=R,
                 right_before=dbt[R], pgno_left=left, left_before=dbt[left], pgno_parent=parent,
                 parent_before=dbt[parent]),
        W.macro_commit(PROCID, t1),
        W.insert(PROCID, ae, t2, dbt[ae], TRX, ae, objid, sum(1 for x in ae_keys if x < struct.pack(">I", L)),
                 struct.pack(">I", L), struct.pack("<I", 1), flags=0x08),
        W.commit0(PROCID, TRX),
    ]
    W.append_records(os.path.join(work, "SRU.log"), recs)
    out, rep = recover_and_check(work, tmp_path, rows_before)
    assert rep["dbtime_after"] == t2
    with esepy.open_ese(out) as db:
        r2 = db.page(R)
        assert r2["tag_count"] - 1 == nl + nr and r2["pgno_prev"] == left and r2["dbtime"] == t1
        assert _keys(db, R, r2["tag_count"]) == keys_l + keys_r       # L's lines first, in order
        assert db.page(left)["pgno_next"] == R
        assert db.page(L)["flags"] & PG_EMPTY and db.page(L)["tag_count"] <= 1
        assert db.page(parent)["tag_count"] - 1 == nparent - 1
        assert L in [p for _i, p in free_single_pages(db, ae)]


# ---- Scrub ---------------------------------------------------------------------------------------

def test_scrub_end_to_end(work, tmp_path):
    """A Scrub overwrites the data of the flag-deleted lines of a leaf ('D') and fills its
    free space ('Z'); the rows every reader sees stay."""
    db_path = os.path.join(work, "SRUDB.dat")
    rows_before = table_rows(db_path)
    with esepy.open_ese(db_path) as db:
        npages = db.verify_pages()["pages"]
        target = None
        for p in range(1, npages + 1):
            i = db.page(p)
            if i["status"] == "blank" or not i["flags"] & PG_LEAF or i["flags"] & (PG_SPACE | PG_EMPTY) or \
                    i["objid"] <= 5:   # not the catalog (dissect reads its deleted records as live ones)
                continue
            fl = [f for f, _t in lines(db, p)]
            if any(f & 0x2 for f in fl) and not all(f & 0x2 for f in fl):
                target = p
                break
        assert target, "the sample has no leaf with flag-deleted lines"
        before = lines(db, target)
        dbt, objid = db.page(target)["dbtime"], db.page(target)["objid"]
        table = [t.name for t in db.tables if t.objid == objid]
        dbtime0 = db.header["dbtime_dirtied"]
    ops = [1 if f & 0x2 else 0 for f, _t in before]
    recs = [W.begin0(PROCID, TRX), W.scrub(PROCID, target, dbtime0 + 10, dbt, TRX, objid, ops, padding=9),
            W.commit0(PROCID, TRX)]
    W.append_records(os.path.join(work, "SRU.log"), recs)
    out, _rep = recover_and_check(work, tmp_path, rows_before, skip_dissect=table)
    with esepy.open_ese(out) as db:
        after = lines(db, target)
        assert len(after) == len(before)
        for (fb, tb), (fa, ta), op in zip(before, after, ops):
            if not op:
                assert (fa, ta) == (fb, tb)
                continue
            off = 4 if fb & 0x4 else 2
            (cb,) = struct.unpack_from("<H", tb, off - 2)
            head = off + (cb & 0x1FFF)
            assert ta[:head] == tb[:head] and ta[head:] == b"D" * (len(tb) - head) and fa & 0x2
        page = read_page(out, target)
        ib_mic_free, cb_free = struct.unpack_from("<H", page, 32)[0], struct.unpack_from("<H", page, 28)[0]
        assert page[40 + ib_mic_free:40 + ib_mic_free + cb_free] == b"Z" * cb_free
