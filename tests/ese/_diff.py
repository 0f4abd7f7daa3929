"""Differential comparison of esepy's ESE reader with dissect.esedb (used by
test_ese_dissect.py and benchmarks).  Values are normalised to dissect's
conventions before comparing: DateTime as the int64 holding the OLE date
double, GUID as str, single values of multi-valued columns unwrapped."""
from __future__ import annotations

import struct
import uuid
from typing import Any, Dict, List, Tuple

import esepy
from esepy import ese

DATETIME, GUID = 8, 16


def _norm(coltyp: int, v: Any) -> Any:
    if v is None:
        return None
    if coltyp == DATETIME and isinstance(v, float):
        return struct.unpack("<q", struct.pack("<d", v))[0]
    if coltyp == GUID and isinstance(v, bytes) and len(v) == 16:
        return str(uuid.UUID(bytes_le=v))
    return v


def esepy_rows(path: str, table: str, deleted: bool = True) -> Tuple[List[str], List[int], List[Tuple[Any, ...]]]:
    """Rows of a table as esepy's native layer returns them (before datetime/UUID conversion);
    `deleted` includes nodes flagged deleted, as dissect.esedb does."""
    db = esepy.open_ese(path)
    try:
        t = db.tables[table]
        cur = db._file.cursor(db.tables.names().index(table), ese._special, deleted)
        rows = []
        while True:
            r = cur.next_row()
            if r is None:
                break
            rows.append(r)
        cur.close()
        return [c.name for c in t.columns], [c.coltyp for c in t.columns], rows
    finally:
        db.close()


def compare_table(path: str, table: str, dissect_db: Any) -> List[Dict[str, Any]]:
    """Compare every value of `table`; returns a list of disagreements."""
    names, coltyps, ours = esepy_rows(path, table)
    theirs = list(dissect_db.table(table).records())
    diffs: List[Dict[str, Any]] = []
    if len(ours) != len(theirs):
        diffs.append({"table": table, "what": "record count", "esepy": len(ours), "dissect": len(theirs)})
    for irow, (a, b) in enumerate(zip(ours, theirs)):
        try:
            bd = b.as_dict()
        except Exception:  # dissect failed on some value: fall back to one column at a time
            bd = None
        for name, coltyp, va in zip(names, coltyps, a):
            try:
                vb = bd.get(name) if bd is not None else b.get(name)
            except Exception as exc:  # dissect failed on this value
                diffs.append({"table": table, "row": irow, "column": name, "what": "dissect error",
                              "dissect": repr(exc)[:200]})
                continue
            if isinstance(va, list) and not isinstance(vb, list) and len(va) == 1:
                va = va[0]
            na = [_norm(coltyp, x) for x in va] if isinstance(va, list) else _norm(coltyp, va)
            if na != vb:
                diffs.append({"table": table, "row": irow, "column": name, "what": "value",
                              "esepy": repr(na)[:200], "dissect": repr(vb)[:200]})
    return diffs
