"""Undo during the recovery of a Windows ESE database (esepy.recover_ese): the
"uncommitted" synthetic crash of reference ese-log-format.md §5.4 item 5.

In a copy of tests/data/ese/srum_win11_dirty the checkpoint and header send
recovery back to generation 89 (as test_ese_recover.from_generation_89 does),
generation 92 is dropped and generation 91 is cut exactly before a Commit0
found by scanning the records with esepy.eselog: the level-0 transaction of
that session (begun at (89,5,1990), trx 37188, over 2 1/3 generations) is left
open.  Every page already holds its changes, so recovery redoes nothing and
must roll the transaction back: each of its inserts left flag-deleted, row
counts as the committed prefix implies, read the same by esepy, dissect.esedb
and libesedb.
"""
import collections
import os
import struct

import pytest

import esepy
import esepy.eselog
from esepy import errors

from ese_structure import check_structure, structure_checked  # noqa: F401 (autouse fixture: every output checked)
from ese_checksums import segment_checksum
from test_ese_recover import (PAGE, SRUM_ROWS, evidence, from_generation_89, read, rewrite_header,  # noqa: F401
                              unchanged, xor_checksum)

ND_DELETED = 0x2
ND_COMPRESSED = 0x4


def open_transactions(work, end=None):
    """Replay the session bookkeeping of the logs of `work` (from the redo start, records
    before `end` only): the versioned inserts of every session whose level-0 transaction
    has no Commit0, as {procid: [record, ...]}; also the Commit0 records seen."""
    chain = esepy.eselog.open_log_chain(work, first_generation=89)
    pending, begun, commits = {}, set(), []
    for r in chain.records():
        if end is not None and r["lgpos"] >= end:
            break
        t, p = r["type"], r.get("procid")
        if t == "Begin0":
            begun.add(p)
            pending[p] = []
        elif t == "Commit0":
            commits.append(r)
            pending.pop(p, None)
        elif t == "Insert" and p in begun and p in pending and r["page_flags"] & 1:
            pending[p].append(r)
        elif t in ("Init2", "Term2"):
            pending.clear()
            begun.clear()
    chain.close()
    return pending, commits


def cut_before(work, lgpos):
    """End the log data of generation lgpos[0] just before the record at lgpos: the rest of
    its segment zeroed (checksum re-stamped), later segments zeroed, later generations gone."""
    gen, isec, ib = lgpos
    name = os.path.join(work, "SRU%05X.log" % gen)
    with open(name, "r+b") as f:
        f.seek(isec * PAGE)
        seg = bytearray(f.read(PAGE))
        seg[ib:] = bytes(PAGE - ib)
        struct.pack_into("<Q", seg, 0, segment_checksum(bytes(seg), isec))
        f.seek(isec * PAGE)
        f.write(seg)
        size = os.fstat(f.fileno()).st_size
        f.write(bytes(size - (isec + 1) * PAGE))
    os.remove(os.path.join(work, "SRU.log"))  # generation 92
    rewrite_header(os.path.join(work, "SRUDB.dat"),
                   lambda h: [struct.pack_into("<i", h, off, gen) for off in (300, 416)])


@pytest.fixture
def uncommitted(evidence, tmp_path):
    """(work folder, the open transaction's inserts, its Commit0 that the cut removed)."""
    work = from_generation_89(evidence, str(tmp_path / "work"))
    pending, commits = open_transactions(work)
    # the level-0 transaction of the reference: the Commit0 that ends the longest one
    long = [c for c in commits if c["lgpos"] > (91, 0, 0) and c["procid"] == 9]
    assert long, commits
    commit = long[-1]
    cut_before(work, commit["lgpos"])
    pending, _ = open_transactions(work)
    assert list(pending) == [commit["procid"]], pending
    return work, pending[commit["procid"]], commit


def leaf_nodes(db, pgno_root, objid):
    """Every (key, flags) of the leaf level of a tree, walking sibling links from the left."""
    pg = pgno_root
    while True:
        p = db.page(pg)
        assert p["objid"] == objid
        if p["flags"] & 0x2:  # leaf
            break
        _flags, node = db.page_tag(pg, 1)
        pg = struct.unpack_from("<I", node, len(node) - 4)[0]
    out = []
    while pg:
        p = db.page(pg)
        prefix = db.page_tag(pg, 0)[1]
        for itag in range(1, p["tag_count"]):
            flags, node = db.page_tag(pg, itag)
            cb_prefix = 0
            if flags & ND_COMPRESSED:
                cb_prefix, = struct.unpack_from("<H", node, 0)
                node = node[2:]
            cb_suffix, = struct.unpack_from("<H", node, 0)
            key = prefix[:cb_prefix] + node[2:2 + cb_suffix]
            out.append((key, node[2 + cb_suffix:], flags))
        pg = p["pgno_next"]
    return out


def test_open_transaction_is_rolled_back(uncommitted, tmp_path):
    work, inserts, commit = uncommitted
    db_in = os.path.join(work, "SRUDB.dat")
    out = str(tmp_path / "clean.dat")
    with unchanged(work):
        rep = esepy.recover_ese(db_in, work, out)
    assert rep["lgpos_consistent"] == (commit["lgpos"][0], commit["lgpos"][1] + 1, 0)  # end of the log data
    assert rep["sessions_undone"] == 1 and rep["undone_session"] == {
        "procid": 9, "trx_begin0": 37188, "lgpos_begin0": (89, 5, 1990)}, rep
    assert rep["versions_undone"] == len(inserts) > 500, rep
    # every data page that changed got a dbtime above all the logs' (no log is written)
    a, b = read(db_in), read(out)
    h = b[:PAGE]
    assert struct.unpack_from("<I", h, 52)[0] == 3 and struct.unpack_from("<I", h, 0)[0] == xor_checksum(h)
    dbtime_hdr = struct.unpack_from("<Q", h, 16)[0]
    changed = [p for p in range(1, len(a) // PAGE - 1) if a[(p + 1) * PAGE:(p + 2) * PAGE] != b[(p + 1) * PAGE:(p + 2) * PAGE]]
    assert changed
    for p in changed:
        dbtime = struct.unpack_from("<Q", b, (p + 1) * PAGE + 8)[0]
        assert 43851 < dbtime <= dbtime_hdr, p

    # row counts: what the committed prefix implies
    with esepy.open_ese(db_in) as before:
        objid_of = {t.name: t.objid for t in before.tables}
    removed = collections.Counter(r["objid_fdp"] for r in inserts)
    expected = {name: n - removed[objid_of[name]] for name, n in SRUM_ROWS.items()}
    assert expected != SRUM_ROWS
    with esepy.open_ese(out) as db:
        assert db.damage == []
        assert {t.name: t.count() for t in db.tables if t.name in SRUM_ROWS} == expected
        # each insert of the transaction is still on a leaf of its tree, flag-deleted
        trees = {(r["pgno_fdp"], r["objid_fdp"]) for r in inserts}
        nodes = {}
        for pgno_fdp, objid in trees:
            nodes[objid] = leaf_nodes(db, pgno_fdp, objid)
        for r in inserts:
            hits = [n for n in nodes[r["objid_fdp"]] if n[0] == r["key"] and n[1] == r["data"]]
            assert len(hits) == 1 and hits[0][2] & ND_DELETED, (r["lgpos"], hits)


def test_rolled_back_copy_read_by_dissect_and_libesedb(uncommitted, tmp_path):
    """libesedb skips flag-deleted nodes as esepy does; dissect.esedb lists them, with the
    deleted flag on exactly the rolled-back ones."""
    import dissect.esedb as dissect_esedb   # test extras: missing means a broken install, not a skip
    import pyesedb
    work, inserts, _commit = uncommitted
    out = str(tmp_path / "clean.dat")
    esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, out)
    with esepy.open_ese(out) as db:
        ours = {t.name: t.count() for t in db.tables if t.name in SRUM_ROWS}
    assert ours != SRUM_ROWS
    with open(out, "rb") as fh:
        # dissect.esedb returns flag-deleted nodes too; it reads the same flags we wrote
        theirs = dissect_esedb.EseDB(fh)
        live, every = {}, {}
        for t in theirs.tables():
            if t.name in SRUM_ROWS:
                recs = list(t.records())
                every[t.name] = len(recs)
                live[t.name] = sum(1 for r in recs if not int(r._node.tag.flags) & ND_DELETED)
        assert live == ours and every == SRUM_ROWS
    f = pyesedb.file()
    f.open(out)
    try:
        assert {t.name: t.number_of_records for t in f.tables if t.name in SRUM_ROWS} == ours
    finally:
        f.close()


def test_undo_is_idempotent(uncommitted, tmp_path):
    """Recovering the output again (its header set back to dirty, the same logs) changes no
    data page: every record is skipped, every node already carries its compensation."""
    work, _inserts, _commit = uncommitted
    out1 = str(tmp_path / "a.dat")
    esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, out1)
    first = read(out1)
    h_in = read(os.path.join(work, "SRUDB.dat"))[:PAGE]
    again = str(tmp_path / "again.dat")
    with open(again, "wb") as f:
        f.write(first)

    def dirty(h):
        h[:PAGE] = h_in  # the dirty header of the input, with the output's dbtime
        h[16:24] = first[16:24]
    rewrite_header(again, dirty)
    out2 = str(tmp_path / "b.dat")
    rep = esepy.recover_ese(again, work, out2)
    assert rep["versions_undone"] > 500 and rep["sessions_undone"] == 1
    second = read(out2)
    assert second[2 * PAGE:] == first[2 * PAGE:]
    assert second[16:24] == first[16:24]   # no new dbtime: nothing changed


def test_no_allocation_outlives_undo(uncommitted, tmp_path):
    """The rollback frees its versions on success and when it refuses (C allocations through
    csrc/os).  The refusal: in a copy, the key of one node the transaction inserted is changed
    on its page (checksum re-stamped), so the rollback cannot find that node again -- it stops
    naming the session and the record, and writes nothing."""
    import shutil
    from test_ese_recover import live_allocations
    work, inserts, _commit = uncommitted
    before = live_allocations()
    esepy.recover_ese(os.path.join(work, "SRUDB.dat"), work, str(tmp_path / "a.dat"))
    assert live_allocations() == before

    broken = str(tmp_path / "broken")
    shutil.copytree(work, broken)
    path = os.path.join(broken, "SRUDB.dat")
    raw = bytearray(read(path))
    victim = next(r for r in reversed(inserts) if r["page_flags"] & 4 and len(r["data"]) > 100
                  and raw.count(r["data"]) == 1)
    at = raw.find(victim["data"])
    raw[at - 1] ^= 0xFF                         # the last byte of the node's key suffix
    pgno = at // PAGE - 1
    page = bytes(raw[(pgno + 1) * PAGE:(pgno + 2) * PAGE])
    struct.pack_into("<Q", raw, (pgno + 1) * PAGE, segment_checksum(page, pgno))
    with open(path, "wb") as f:
        f.write(raw)
    out = str(tmp_path / "b.dat")
    before = live_allocations()
    with unchanged(broken), pytest.raises(errors.RecordNotFound) as ei:
        esepy.recover_ese(path, broken, out)
    assert live_allocations() == before
    rec = ei.value.recovery
    assert "session 9" in rec["reason"] and "(%d,%d,%d)" % tuple(victim["lgpos"]) in rec["reason"], rec
    assert rec["record_type"] == "Insert" and not os.path.exists(out)
    assert not [n for n in os.listdir(str(tmp_path)) if n.startswith("b.dat")]  # no temporary copy left
