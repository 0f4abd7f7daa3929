"""The ESE-format page writer (EsepyEseWriter*, csrc/esefmt/esewrite.c) called through cffi as a
C program calls it: its argument checks and node-order contract (W1), and the B+trees it
bulk-loads (W2, W3) walked page by page with esepy's Windows-file reader."""
from __future__ import annotations

import os
import struct
import subprocess

import pytest

import esepy

cffi = pytest.importorskip("cffi")

JET_errInvalidParameter, JET_errKeyDuplicate, JET_errRecordTooBig = -1003, -1605, -1026
JET_errFileAlreadyExists = -1814
PG_ROOT, PG_LEAF, PG_PARENT, PG_INDEX, PG_NONUNIQUE = 0x1, 0x2, 0x4, 0x40, 0x400


@pytest.fixture(scope="module")
def c():
    inc = os.path.join(os.path.dirname(esepy.__file__), "include")
    src = subprocess.run([os.environ.get("CC", "cc"), "-E", "-P", "-DJET_NO_STDINT_INCLUDE", "-I", inc, "-x", "c",
                          "-"], input='#include "esepy_ese.h"\n', capture_output=True, text=True, check=True).stdout
    ffi = cffi.FFI()
    ffi.cdef("\n".join(line for line in src.splitlines() if not line.lstrip().startswith("#")))
    return ffi, ffi.dlopen(esepy.native_library())


def _create(c, path, page=4096):
    ffi, lib = c
    pw = ffi.new("ESEPY_ESE_WRITER **")
    assert lib.EsepyEseWriterCreate(path.encode(), page, pw) == 0
    return pw[0]


def _tree(c, pw, objid, grbit=0, parent=None):
    ffi, lib = c
    pt = ffi.new("ESEPY_ESE_WTREE **")
    pgno = ffi.new("uint32_t *")
    assert lib.EsepyEseWriterBeginTree(pw, parent if parent is not None else ffi.NULL, objid, grbit, 0, 0, pt,
                                       pgno) == 0
    return pt[0], pgno[0]


def _append(c, pt, key, data):
    return c[1].EsepyEseWriterAppend(pt, key, len(key), data, len(data))


def test_arguments_and_order(c, tmp_path):
    ffi, lib = c
    path = str(tmp_path / "a.edb")
    pw = ffi.new("ESEPY_ESE_WRITER **")
    assert lib.EsepyEseWriterCreate(path.encode(), 2048, pw) == JET_errInvalidParameter
    assert not os.path.exists(path)
    w = _create(c, path)
    try:
        pw2 = ffi.new("ESEPY_ESE_WRITER **")
        assert lib.EsepyEseWriterCreate(path.encode(), 4096, pw2) == JET_errFileAlreadyExists
        unique, _ = _tree(c, w, 6)
        assert _append(c, unique, b"b", b"1") == 0
        assert _append(c, unique, b"a", b"1") == JET_errInvalidParameter      # out of order
        assert _append(c, unique, b"b", b"2") == JET_errKeyDuplicate          # equal key, unique tree
        assert _append(c, unique, b"c", b"x" * 5000) == JET_errRecordTooBig   # cannot fit a page
        assert _append(c, unique, b"c", b"1") == 0                            # nothing changed before
        nonu, _ = _tree(c, w, 7, 0x1 | 0x4, unique)                           # index, non-unique
        assert _append(c, nonu, b"k", b"2") == 0
        assert _append(c, nonu, b"k", b"3") == 0                              # equal keys by data
        assert _append(c, nonu, b"k", b"3") == JET_errInvalidParameter
        info = ffi.new("ESEPY_ESE_WTREEINFO *")
        assert lib.EsepyEseWriterEndTree(nonu, info) == 0 and info.cnode == 2
        assert lib.EsepyEseWriterEndTree(unique, info) == 0 and info.cnode == 2
        assert lib.EsepyEseWriterEndTree(unique, info) == JET_errInvalidParameter   # ended twice
        assert _append(c, unique, b"d", b"1") == JET_errInvalidParameter
        lib.EsepyEseWriterFreeTree(nonu)
        lib.EsepyEseWriterFreeTree(unique)
        assert lib.EsepyEseWriterFinish(w, 7) == 0
    finally:
        lib.EsepyEseWriterClose(w)


def _walk(db, pgno, depth, lo, hi, out, levels, objid):
    """Keys and data of a tree's leaves in order, checking each page's flags and that every key
    lies within its parent's separators (lo inclusive, hi exclusive; None = open)."""
    info = db._file.page_info(pgno)
    assert info["status"] == "ok" and info["objid"] == objid
    flags = info["flags"]
    levels.setdefault(depth, []).append((pgno, info["pgno_prev"], info["pgno_next"], flags))
    _, prefix = db.page_tag(pgno, 0)
    nodes = []
    for itag in range(1, info["tag_count"]):
        fl, b = db.page_tag(pgno, itag)
        ib, cbp = 0, 0
        if fl & 0x4:
            cbp = struct.unpack_from("<H", b, 0)[0] & 0x1FFF
            ib = 2
        cbs = struct.unpack_from("<H", b, ib)[0] & 0x1FFF
        key = prefix[:cbp] + b[ib + 2:ib + 2 + cbs]
        nodes.append((key, b[ib + 2 + cbs:]))
    if flags & PG_LEAF:
        for k, d in nodes:
            assert (lo is None or k + d >= lo) and (hi is None or k + d < hi or k < hi), (pgno, k)
        out.extend(nodes)
        return
    prev = lo
    for i, (k, d) in enumerate(nodes):
        sep = k if (k or i + 1 < len(nodes)) else hi      # the last node's empty key is open
        _walk(db, struct.unpack("<I", d)[0], depth + 1, prev, sep, out, levels, objid)
        prev = sep


@pytest.mark.parametrize("page", [4096, 32768])
def test_bulk_loaded_trees_are_well_formed(c, tmp_path, page):
    ffi, lib = c
    path = str(tmp_path / "t.edb")
    w = _create(c, path, page)
    n = 60000 if page == 4096 else 200000
    unique_nodes = [(b"key-%09d-" % (i * 7) + b"p" * 40, struct.pack("<I", i)) for i in range(n)]
    dup_nodes = [(b"same", struct.pack(">I", i)) for i in range(3000)]
    try:
        t, fdp = _tree(c, w, 6)
        for k, d in unique_nodes:
            assert _append(c, t, k, d) == 0
        ix, ixfdp = _tree(c, w, 7, 0x1 | 0x4, t)
        for k, d in dup_nodes:
            assert _append(c, ix, k, d) == 0
        info = ffi.new("ESEPY_ESE_WTREEINFO *")
        assert lib.EsepyEseWriterEndTree(ix, info) == 0
        assert lib.EsepyEseWriterEndTree(t, info) == 0
        depth = info.clevel
        assert info.pgnoFDP == fdp and info.cnode == n
        lib.EsepyEseWriterFreeTree(ix)
        lib.EsepyEseWriterFreeTree(t)
        assert lib.EsepyEseWriterFinish(w, 7) == 0
    finally:
        lib.EsepyEseWriterClose(w)
    if page == 4096:
        assert depth >= 3      # a root, internal pages and leaves
    with esepy.open_ese(path) as db:
        assert db.verify_pages()["bad"] == []
        for root, objid, nodes, nonunique in ((fdp, 6, unique_nodes, False), (ixfdp, 7, dup_nodes, True)):
            out, levels = [], {}
            _walk(db, root, 0, None, None, out, levels, objid)
            assert out == nodes
            assert levels[0][0][3] & PG_ROOT and all(not f & PG_ROOT for lv in list(levels.values())[1:]
                                                     for *_, f in lv)
            assert all(bool(f & PG_NONUNIQUE) == nonunique for lv in levels.values() for *_, f in lv)
            leaves = levels[max(levels)]
            if len(leaves) > 1:
                # leaves linked in order; internal pages unlinked (as ESE keeps them)
                for (a, _, an, _f), (b, bp, _, _g) in zip(leaves, leaves[1:]):
                    assert an == b and bp == a
                assert leaves[0][1] == 0 and leaves[-1][2] == 0
                for d in range(1, max(levels)):
                    assert all(p == 0 and nx == 0 for _, p, nx, _f in levels[d])
                    assert all(f & PG_PARENT for *_, f in levels[d]) == (d == max(levels) - 1)
