"""A structural check of a recovered Windows ESE database (reference ese-log-format.md §5.4
item 6), run after every replay in the recovery tests.

`esepy integrity` does not check Windows files yet, so this checks with the readers that exist
(esepy.open_ese: page_info, page_tag, the header):

* every page's checksum verifies (no bad page, no page missing from a truncated file);
* no page's dbtime is beyond the header's dbtime_dirtied (recovery stamps the maximum it saw);
* the keys of every in-use page are in ascending order (a parent page's last pointer may have
  an empty key), and each leaf's last key is below its right sibling's first key, with the
  sibling of the same tree pointing back to it.

`structure_checked` is an autouse fixture for the test modules that import it: every
successful `esepy.recover_ese` there has its output (or, in place, its database) checked.
"""
from __future__ import annotations

import functools
import struct

import pytest

import esepy

PG_LEAF, PG_PARENT, PG_EMPTY = 0x2, 0x4, 0x8
FL_COMPRESSED = 0x4


def _keys(db, pgno, ctag):
    """The full keys of lines 1..ctag-1 (tag 0 holds the key prefix of non-root pages)."""
    _, prefix = db.page_tag(pgno, 0)
    keys = []
    for itag in range(1, ctag):
        flags, b = db.page_tag(pgno, itag)
        ib, cb_prefix = 0, 0
        if flags & FL_COMPRESSED:
            (cb_prefix,) = struct.unpack_from("<H", b, 0)
            cb_prefix &= 0x1FFF
            ib = 2
        (cb_suffix,) = struct.unpack_from("<H", b, ib)
        cb_suffix &= 0x1FFF
        assert cb_prefix <= len(prefix) and ib + 2 + cb_suffix <= len(b), \
            f"page {pgno} line {itag - 1}: key lengths {cb_prefix}+{cb_suffix} do not fit"
        keys.append(bytes(prefix[:cb_prefix]) + bytes(b[ib + 2:ib + 2 + cb_suffix]))
    return keys


def check_structure(path):
    """Assert the structure of the Windows ESE database at path; returns what it checked."""
    with esepy.open_ese(path) as db:
        v = db.verify_pages()
        assert not v["bad"] and not v["missing"], f"{path}: bad pages {v['bad']}, missing {v['missing']}"
        dbtime_max = db.header["dbtime_dirtied"]
        pages, first, last = {}, {}, {}
        for pgno in range(1, v["pages"] + 1):
            info = db.page(pgno)
            if info["status"] == "blank":
                continue
            assert info["dbtime"] <= dbtime_max, \
                f"{path}: page {pgno} dbtime {info['dbtime']} beyond the header's dbtime_dirtied {dbtime_max}"
            if info["flags"] & PG_EMPTY or info["tag_count"] <= 1 or info["objid"] == 0:
                continue
            keys = _keys(db, pgno, info["tag_count"])
            check = keys[:-1] if info["flags"] & PG_PARENT and keys[-1] == b"" else keys
            for i in range(1, len(check)):
                assert check[i - 1] < check[i], f"{path}: page {pgno} keys out of order at line {i}"
            pages[pgno] = info
            first[pgno], last[pgno] = keys[0], keys[-1]
        siblings = 0
        for pgno, info in pages.items():
            nxt = info["pgno_next"]
            if not info["flags"] & PG_LEAF or nxt == 0:
                continue
            assert nxt in pages and pages[nxt]["objid"] == info["objid"], \
                f"{path}: leaf {pgno} of objid {info['objid']} has right sibling {nxt} outside its tree"
            assert pages[nxt]["pgno_prev"] == pgno, f"{path}: leaf {nxt} does not point back to {pgno}"
            assert last[pgno] < first[nxt], f"{path}: leaf {pgno}'s last key is not below leaf {nxt}'s first"
            siblings += 1
        return {"pages": len(pages), "siblings": siblings}


@pytest.fixture(autouse=True)
def structure_checked(monkeypatch):
    """Every successful esepy.recover_ese of the test gets its output structure-checked."""
    real = esepy.recover_ese
    checked = []

    @functools.wraps(real)
    def recover_and_check(db, logs, output=None, **kw):
        rep = real(db, logs, output, **kw)
        checked.append(check_structure(output if output is not None else db))
        return rep

    monkeypatch.setattr(esepy, "recover_ese", recover_and_check)
    yield checked
