"""The order of a Windows index against the order esepy gives the same records (import check).

Owns: a read-only walk of a Windows index B+tree's leaf level (node layout: a 2-byte key
length whose top 3 bits hold node flags on 16/32 KiB pages, the key -- or, for a node with a
compressed key, a 2-byte prefix length, the suffix length and the suffix -- then the data,
which for a secondary index is the record's primary bookmark) and the comparison of the key
values in that order with the key values of an esepy index scan.  Must not write anything.
"""
from __future__ import annotations

import struct
from typing import Any, Dict, Iterator, List, Tuple

_PAGE_LEAF = 0x2
_TAG_COMPRESSED = 0x4


def _leaf_bookmarks(source: Any, pgno_fdp: int) -> Iterator[bytes]:
    """The data (primary bookmarks) of the leaf nodes of the tree rooted at ``pgno_fdp``, in key order."""
    pgno = pgno_fdp
    for _ in range(64):                      # down the leftmost branch to the first leaf
        info = source.page(pgno)
        if info["flags"] & _PAGE_LEAF:
            break
        if info["tag_count"] < 2:
            raise ValueError(f"internal page {pgno} has no child")
        pgno = struct.unpack("<I", _node_data(source, pgno, 1)[-4:])[0]
    else:
        raise ValueError("index tree deeper than 64 levels")
    seen = set()
    while pgno:
        if pgno in seen:
            raise ValueError(f"leaf chain loops at page {pgno}")
        seen.add(pgno)
        info = source.page(pgno)
        for itag in range(1, info["tag_count"]):
            flags, _ = source.page_tag(pgno, itag)
            if flags & 0x2:                  # flagged deleted, not cleaned up yet
                continue
            yield _node_data(source, pgno, itag)
        pgno = info["pgno_next"]


def _node_data(source: Any, pgno: int, itag: int) -> bytes:
    flags, raw = source.page_tag(pgno, itag)
    if flags & _TAG_COMPRESSED:
        cb_suffix = struct.unpack_from("<H", raw, 2)[0] & 0x1FFF
        return bytes(raw[4 + cb_suffix:])
    cb_key = struct.unpack_from("<H", raw, 0)[0] & 0x1FFF
    return bytes(raw[2 + cb_key:])


def _norm(v: Any) -> Any:
    """A key value as both orders are compared: text case-folded (esepy's and Windows'
    default text keys ignore case, so entries equal but for case are ties in both)."""
    return v.casefold() if isinstance(v, str) else v


def windows_order(source: Any, t: Any, index: Dict[str, Any]) -> List[Tuple[Any, ...]]:
    """The key values of index ``index`` of source table ``t`` in the Windows index's order."""
    names = [k["name"] for k in index["key_columns"]]
    if any(c.flags & 0x8 for c in t.columns if c.name in names):
        raise ValueError("a multi-valued key column (one entry per value)")
    by_bookmark: Dict[bytes, Tuple[Any, ...]] = {}
    for rec in t.records():
        by_bookmark[bytes(rec.key)] = tuple(_norm(rec[n]) for n in names)
    if index["primary"]:
        return [by_bookmark[bytes(rec.key)] for rec in t.records()]
    out = []
    for bm in _leaf_bookmarks(t._db, index["pgno_fdp"]):
        if bm not in by_bookmark:
            raise ValueError(f"index entry with unknown bookmark {bm.hex()}")
        out.append(by_bookmark[bm])
    return out


def esepy_order(db: Any, t: Any, index: Dict[str, Any]) -> List[Tuple[Any, ...]]:
    """The key values of the imported table's index of the same name, in esepy's order."""
    names = [k["name"] for k in index["key_columns"]]
    table = db.open_table(t.name, read_only=True)
    try:
        which = None if index["primary"] else index["name"]
        return [tuple(_norm(r[n]) for n in names) for r in table.scan(names, index=which)]
    finally:
        table.close()
