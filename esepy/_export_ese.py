"""Export an esepy database as a real Windows ESE database file (``esepy export-ese``).

The output is a clean-shutdown database in ESE's on-disk format (format 0x620,
revision 20; 4, 8, 16 or 32 KiB pages) that needs no logs: Windows' ESE,
dissect.esedb, libesedb and :func:`esepy.open_ese` read it.  It holds

* the catalog MSysObjects (its own table, column and index rows, a row per user
  table, column, index and long-value tree) with its two indexes (Name,
  RootObjects), and the shadow catalog MSysObjectsShadow (a copy);
* every table as a B+tree keyed by its primary index's ESE-normalised key (or by
  a 4-byte sequential key when the table has no primary index), records in ESE's
  record format (fixed, variable and tagged columns, multi-values), long values
  longer than ``_INTRINSIC_MAX`` bytes in the table's long-value tree;
* every secondary index as its own B+tree of (normalised key -> primary key).

Owns: the mapping from esepy's schema to the Windows catalog, the record,
key and long-value encodings, the order in which trees are written.  The pages,
B+tree building, space trees and header are the C writer's
(csrc/esefmt/esewrite.c, ``_esepy._EseWriter``).
Must not: write anything but the destination; leave a partial destination
(the file is built under a temporary name in the destination's folder, synced,
then renamed).

Text key columns in Unicode (code page 1200): Windows sorts them with
LCMapString sort keys that esepy cannot compute.  Their key segments are
written in a substitute form (the upper-cased text in UTF-16 big-endian), so
the trees are well ordered and every reader finds every entry; Windows' own
order may differ, and each such index is listed in the report
(:attr:`ExportReport.unicode_indexes`).  Secondary indexes of that kind are
written with no sort-version stamp, the state ESE treats as built under another
NLS version (see docs/export-ese.md).

Memory: one table is read at a time, in primary-key order; records and long
values are streamed into the writer.  Secondary-index entries of one table (their keys and
primary keys) are sorted with bounded memory: sorted runs spilled to a temporary file next to
the output, merged.
"""
from __future__ import annotations

import os
import struct
import tempfile
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from . import _esekey, errors

__all__ = ["export_ese", "export_ese_file", "ExportReport", "encode_database", "PAGE_SIZES"]

PAGE_SIZES = (4096, 8192, 16384, 32768)
ProgressCallback = Callable[[int, int], Any]

# JET_bitColumn* (esepy's grbits)
_COL_FIXED, _COL_TAGGED, _COL_NOTNULL, _COL_VERSION = 0x1, 0x2, 0x4, 0x8
_COL_AUTOINC, _COL_MULTIVALUED, _COL_ESCROW = 0x10, 0x400, 0x800
# JET_bitIndex*
_IX_UNIQUE, _IX_PRIMARY, _IX_DISALLOW_NULL, _IX_IGNORE_NULL = 0x1, 0x2, 0x4, 0x8
_IX_IGNORE_ANY_NULL, _IX_IGNORE_FIRST_NULL, _IX_SORT_NULLS_HIGH = 0x20, 0x40, 0x400
# Windows catalog: FIELDFLAG bits of a column row, IDB bits of an index row
_FF_NOT_NULL, _FF_VERSION, _FF_AUTOINC, _FF_MULTIVALUED, _FF_DEFAULT, _FF_ESCROW = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
_IDB_UNIQUE, _IDB_ALLOW_ALL_NULLS, _IDB_ALLOW_FIRST_NULL, _IDB_ALLOW_SOME_NULLS = 0x1, 0x2, 0x4, 0x8
_IDB_NO_NULL_SEG, _IDB_PRIMARY, _IDB_SORT_NULLS_HIGH = 0x10, 0x20, 0x800
_IDX_EXTENDED_COLUMNS = 0x10000
_IDXSEG_DESCENDING = 0x40
# tagged-field header byte
_TAG_LONGVALUE, _TAG_SEPARATED, _TAG_MULTI = 0x01, 0x04, 0x08
# writer tree flags (esepy_ese.h ESEPY_ESE_WTREE_*)
_WT_INDEX, _WT_LV, _WT_NONUNIQUE = 0x1, 0x2, 0x4

_FIXED_WIDTH = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 4, 7: 8, 8: 8, 14: 4, 15: 8, 16: 16, 17: 2, 18: 8}
_TEXT, _LONG = (10, 12), (11, 12)
_SUPPORTED = set(_FIXED_WIDTH) | {9, 10, 11, 12}
_INTRINSIC_MAX = 1024      # long values longer than this go to the long-value tree
_KEY_MOST = 255            # key bytes kept per index entry (JET_cbKeyMost)
_DENSITY = 80
_LCMAP_FLAGS = 0x00030401  # NORM_IGNORECASE | NORM_IGNOREKANATYPE | NORM_IGNOREWIDTH | SORT_STRINGSORT
_LOCALE = "en-US"
_LCID = 1033

_OBJID_CATALOG, _OBJID_SHADOW, _OBJID_NAME_IX, _OBJID_ROOT_IX = 2, 3, 4, 5
_PGNO_CATALOG, _PGNO_NAME_IX, _PGNO_ROOT_IX, _PGNO_SHADOW = 4, 7, 10, 24
_OBJID_FIRST_USER = 6


class ExportError(ValueError):
    """The database cannot be exported as it is (the message says which table/column and why)."""


class ExportReport:
    """What :func:`export_ese` wrote: ``dest``, ``page_size``, ``tables`` (name -> records),
    ``rows``, ``pages`` (pages of the file after its two header pages), ``bytes`` (file
    size), ``seconds``, ``notes`` (schema properties kept differently, e.g. a text column
    longer than 255 bytes written as a long-text column) and ``unicode_indexes`` (table,
    index) pairs whose Unicode text keys are not Windows' sort keys."""

    def __init__(self, dest: str, page_size: int) -> None:
        self.dest = dest
        self.page_size = page_size
        self.tables: Dict[str, int] = {}
        self.rows = 0
        self.pages = 0
        self.bytes = 0
        self.seconds = 0.0
        self.notes: List[str] = []
        self.unicode_indexes: List[Tuple[str, str]] = []

    def lines(self) -> List[str]:
        """The report as text lines (what ``esepy export-ese`` prints): the totals, one line per
        table, the notes, and each index whose Unicode keys Windows rebuilds."""
        out = [f"exported {len(self.tables)} tables, {self.rows} rows -> {self.dest} "
               f"({self.page_size}-byte pages, {self.bytes} bytes)"]
        out += [f"  {n}: {c} rows" for n, c in self.tables.items()]
        out += [f"  note: {n}" for n in self.notes]
        out += [f"  index {t}.{i}: Unicode text key in substitute order (Windows rebuilds it)"
                for t, i in self.unicode_indexes]
        return out

    def __repr__(self) -> str:
        return f"<ExportReport {self.dest!r} {len(self.tables)} tables {self.rows} rows>"


# ---- the schema, as the export sees it ------------------------------------------------

class ColumnSpec:
    """One column of a table to write: name, type, flags, where it lives in the record."""

    def __init__(self, name: str, coltyp: int, cb_max: int = 0, *, codepage: int = 0, fixed: bool = False,
                 tagged: bool = False, multivalued: bool = False, not_null: bool = False, version: bool = False,
                 autoinc: bool = False, escrow: bool = False, default: Optional[bytes] = None) -> None:
        self.name, self.coltyp, self.cb_max, self.codepage = name, coltyp, cb_max, codepage
        self.fixed_binary = fixed
        self.tagged, self.multivalued = tagged or multivalued, multivalued
        self.not_null, self.version, self.autoinc, self.escrow = not_null, version, autoinc, escrow
        self.default = default
        self.stored = False     # the table's rows give this column's values in their stored form (bytes)
        self.fid = 0
        self.kind = ""          # "fixed", "variable", "tagged"
        self.width = 0          # fixed columns
        self.offset = 0         # fixed columns: record offset


class IndexSpec:
    def __init__(self, name: str, key: Sequence[Tuple[str, bool]], *, unique: bool = False, primary: bool = False,
                 disallow_null: bool = False, ignore_null: bool = False, ignore_any_null: bool = False,
                 ignore_first_null: bool = False, sort_nulls_high: bool = False) -> None:
        self.name, self.key = name, list(key)
        self.unique, self.primary = unique or primary, primary
        self.disallow_null, self.ignore_null, self.ignore_any_null = disallow_null, ignore_null, ignore_any_null
        self.ignore_first_null, self.sort_nulls_high = ignore_first_null, sort_nulls_high
        self.objid = 0
        self.pgno = 0
        self.unicode = False


class TableSpec:
    """A table to write: name, columns, indexes (the primary one, if any, first) and a
    callable giving its rows (each a dict column name -> value, lists for multi-values)."""

    def __init__(self, name: str, columns: Sequence[ColumnSpec], indexes: Sequence[IndexSpec],
                 rows: Callable[[], Iterable[Dict[str, Any]]], count: int = 0,
                 stored_rows: Optional[Callable[[], Iterable[Sequence[Any]]]] = None) -> None:
        self.name, self.columns, self.indexes, self.rows, self.count = name, list(columns), list(indexes), rows, count
        # the same rows as sequences of stored values in column order (None, bytes, lists of them), when
        # the source has them so (an esepy table): they go to the C encoder as they are
        self.stored_rows = stored_rows
        self.objid = self.pgno = self.objid_lv = self.pgno_lv = 0


def _layout(t: TableSpec, report: Optional[ExportReport]) -> None:
    """Give every column of t its column id, kind and record offset (fixed 1..127,
    variable 128..255, tagged 256..)."""
    nfix, nvar, ntag = 0, 0, 0
    off = 4
    for c in t.columns:
        if c.coltyp not in _SUPPORTED:
            raise ExportError(f"{t.name}.{c.name}: column type {c.coltyp} has no ESE form")
        if c.coltyp in (9, 10) and not c.tagged and not c.fixed_binary and (c.cb_max == 0 or c.cb_max > 255):
            # ESE's Text/Binary hold at most 255 bytes: a longer one is a long column
            if report is not None:
                report.notes.append(f"{t.name}.{c.name}: {'text' if c.coltyp == 10 else 'binary'} column without a "
                                    "255-byte limit written as a long column")
            c.coltyp = 12 if c.coltyp == 10 else 11
        kind = ("tagged" if c.tagged or c.coltyp in _LONG else
                "fixed" if c.coltyp in _FIXED_WIDTH or (c.coltyp == 9 and c.fixed_binary and 0 < c.cb_max <= 255)
                else "variable")
        if kind == "fixed" and nfix >= 127:
            kind = "tagged"
        if kind == "variable" and nvar >= 128:
            kind = "tagged"
        c.kind = kind
        if kind == "fixed":
            nfix += 1
            c.fid = nfix
            c.width = _FIXED_WIDTH.get(c.coltyp, c.cb_max)
            c.offset = off
            off += c.width
        elif kind == "variable":
            c.fid = 128 + nvar
            nvar += 1
        else:
            if ntag >= 0xFFFF - 256:
                raise ExportError(f"{t.name}: more than {0xFFFF - 256} tagged columns")
            c.fid = 256 + ntag
            ntag += 1


# ---- records -----------------------------------------------------------------------------
# The records and keys of the tables are encoded in C (csrc/esefmt/eseencode.c through
# _esepy._EseEncoder, a batch of rows per call).  _encode_record and _index_keys below are the
# Python reference of the same encodings: tests compare both byte for byte
# (tests/ese/test_export_ese_encoder.py), and _REFERENCE_ENCODER = True writes a file with them.
# make_ese sorts its rows by _index_keys.

class _Stored(bytes):
    """A value already in its stored form (a column's default value)."""


_PACK = {2: struct.Struct("<B").pack, 3: struct.Struct("<h").pack, 4: struct.Struct("<i").pack,
         5: struct.Struct("<q").pack, 6: struct.Struct("<f").pack, 7: struct.Struct("<d").pack,
         14: struct.Struct("<I").pack, 15: struct.Struct("<q").pack, 17: struct.Struct("<H").pack,
         18: struct.Struct("<Q").pack}


def _encode_value(c: ColumnSpec, v: Any) -> bytes:
    if c.stored and c.kind != "fixed":
        return v        # already esepy's stored form, which is ESE's
    t = c.coltyp
    pack = _PACK.get(t)
    if pack is not None and type(v) in (int, float):
        try:
            return pack(v)
        except struct.error as e:
            raise ExportError(f"column {c.name}: value {v!r} does not fit its type: {e}") from None
    if isinstance(v, _Stored) or c.stored:
        b = bytes(v)
    elif isinstance(v, (bytes, bytearray, memoryview)) and t not in (10, 12):
        b = bytes(v)
    elif t == 1:
        b = b"\xff" if v else b"\x00"
    elif t in (10, 12):
        b = v.encode("utf-16-le", "surrogatepass") if c.codepage == 1200 else (
            v.encode("cp1252", "replace") if isinstance(v, str) else bytes(v))
    else:
        from ._isam import Column
        b = Column(c.name, 0, t, c.cb_max, 0, c.codepage).encode(v) or b""
    if c.kind == "fixed" and len(b) != c.width:
        if c.coltyp == 9 and len(b) < c.width:
            b = b.ljust(c.width, b"\x00")
        else:
            raise ExportError(f"column {c.name}: a {len(b)}-byte value in a {c.width}-byte fixed column")
    return b


class _LVSink:
    """The long-value tree of one table: LIDs in increasing order, each a root node
    (reference count, size) then chunks keyed by (LID, offset)."""

    def __init__(self, w: Any, tree: int, chunk: int) -> None:
        self.w, self.tree, self.chunk = w, tree, chunk
        self.lid = 0

    def put(self, data: bytes) -> bytes:
        self.lid += 1
        if self.lid >= 0x7FFFFFFF:
            raise ExportError("more than 2^31 long values in one table")
        key = struct.pack(">I", self.lid)
        self.w.append(self.tree, key, struct.pack("<II", 1, len(data)))
        ch = self.chunk
        self.w.append_many(self.tree, [(key + struct.pack(">I", i), data[i:i + ch]) for i in range(0, len(data), ch)])
        return struct.pack("<I", self.lid)


_REFERENCE_ENCODER = False      # tests: encode with the Python reference instead of the C encoder
_BATCH = 256                    # rows per C encoder call and per append to the table's tree


def _stored_tuple(row: Dict[str, Any], columns: Sequence[ColumnSpec]) -> List[Any]:
    """A row given as a dict of Python values -> its values in stored form, in column order
    (a column the row does not name: its default value, as _encode_record stores it)."""
    out: List[Any] = []
    for c in columns:
        if c.name in row:
            v = row[c.name]
        elif c.default is not None:
            v = _Stored(c.default)
        else:
            out.append(None)
            continue
        if v is None:
            out.append(None)
        elif isinstance(v, list):
            out.append([None if x is None else _encode_value(c, x) for x in v])
        else:
            out.append(_encode_value(c, v))
    return out


_ENCIX_PRIMARY, _ENCIX_DISALLOW_NULL, _ENCIX_IGNORE_NULL = 0x1, 0x2, 0x4
_ENCIX_IGNORE_ANY_NULL, _ENCIX_IGNORE_FIRST_NULL, _ENCIX_SORT_NULLS_HIGH = 0x8, 0x10, 0x20


def _encoder(t: TableSpec, large: bool, indexes: Sequence[IndexSpec], separate: Callable[[int, bytes], bytes]) -> Any:
    """The C encoder (_esepy._EseEncoder) of t's records and of the keys of ``indexes``
    (the primary index first, if any)."""
    from . import _esepy
    at = {c.name: i for i, c in enumerate(t.columns)}
    cols = [(c.fid, c.coltyp, c.codepage, c.width, c.default is not None) for c in t.columns]
    ixs = [((_ENCIX_PRIMARY if ix.primary else 0) | (_ENCIX_DISALLOW_NULL if ix.disallow_null else 0) |
            (_ENCIX_IGNORE_NULL if ix.ignore_null else 0) | (_ENCIX_IGNORE_ANY_NULL if ix.ignore_any_null else 0) |
            (_ENCIX_IGNORE_FIRST_NULL if ix.ignore_first_null else 0) |
            (_ENCIX_SORT_NULLS_HIGH if ix.sort_nulls_high else 0), [(at[n], d) for n, d in ix.key])
           for ix in indexes]
    return _esepy._EseEncoder(cols, ixs, large, _INTRINSIC_MAX, _KEY_MOST, separate)


def _encode_failure(e: ValueError, t: TableSpec, indexes: Sequence[IndexSpec]) -> Exception:
    """The ExportError for the C encoder's ValueError("encode", reason, icol, cb, index)
    (the words of the Python reference)."""
    if len(e.args) != 5 or e.args[0] != "encode":
        return e
    _tag, reason, icol, cb, ixno = e.args
    c = t.columns[icol] if icol < len(t.columns) else None
    if reason == 0:
        return ExportError(f"{t.name}: the primary key of a record has a multi-valued or NULL column")
    if reason == 1 and c is not None:
        return ExportError(f"column {c.name}: a {cb}-byte value in a {c.width}-byte fixed column")
    if reason == 2 and c is not None:
        return ExportError(f"{t.name}.{c.name}: a {cb}-byte value in a variable column (255 at most)")
    if reason == 3:
        return ExportError(f"{t.name}: a record's tagged columns take {cb} bytes, more than the page format holds")
    if reason == 4 and 0 <= ixno < len(indexes):
        return ExportError(f"{t.name}: index {indexes[ixno].name} does not allow NULL key columns")
    if reason == 5 and c is not None:
        return ExportError(f"{t.name}.{c.name}: a {cb}-byte value is no key value of its type")
    if reason == 6 and c is not None:
        return ExportError(f"{t.name}.{c.name}: several values in a column that is not multi-valued")
    return ExportError(f"{t.name}: the record cannot be encoded ({e.args})")


def _encode_record(t: TableSpec, row: Dict[str, Any], large: bool, lv: Callable[[], _LVSink],
                   fixed: List[ColumnSpec], var: List[ColumnSpec], tagged: List[ColumnSpec]) -> bytes:
    # fixed columns up to the last one with a value
    # a column set to NULL explicitly must be stored as NULL when it has a default value
    # (left out of the record, it would read as the default)
    # a column the row does not name takes its default value, stored in the record as ESE
    # does when it creates one (inlined: this runs for every column of every row)
    get = row.get
    vals = [(c, (get(c.name) if c.default is None or c.name in row else _Stored(c.default))) for c in fixed]
    last = 0
    for i, (c, v) in enumerate(vals):
        if v is not None or c.default is not None:
            last = i + 1
    out = bytearray(4)
    nullbits = bytearray((last + 7) // 8)
    for i in range(last):
        c, v = vals[i]
        if v is None:
            out += b"\x00" * c.width
            nullbits[i // 8] |= 1 << (i % 8)
        else:
            out += _encode_value(c, v)
    out += nullbits
    ib_var_offsets = len(out)
    # variable columns up to the last one with a value
    vv = [(c, (get(c.name) if c.default is None or c.name in row else _Stored(c.default))) for c in var]
    lastv = 0
    for i, (c, v) in enumerate(vv):
        if v is not None or c.default is not None:
            lastv = i + 1
    offsets = bytearray()
    data = bytearray()
    for i in range(lastv):
        c, v = vv[i]
        if v is None:
            offsets += struct.pack("<H", len(data) | 0x8000)
        else:
            b = _encode_value(c, v)
            if len(b) > 255:
                raise ExportError(f"{t.name}.{c.name}: a {len(b)}-byte value in a variable column (255 at most)")
            data += b
            offsets += struct.pack("<H", len(data))
    out[0] = last
    out[1] = 127 + lastv
    struct.pack_into("<H", out, 2, ib_var_offsets)
    out += offsets
    out += data
    # tagged columns, in column id order
    fields: List[Tuple[int, int, bytes]] = []   # (fid, header flags or -1 for none, bytes)
    for c in tagged:
        v = (get(c.name) if c.default is None or c.name in row else _Stored(c.default))
        if v is None:
            continue
        values = v if isinstance(v, list) else [v]
        values = [x for x in values if x is not None]
        if not values:
            continue
        is_long = c.coltyp in _LONG
        flags = _TAG_LONGVALUE if is_long else 0
        enc: List[Tuple[bytes, bool]] = []
        for x in values:
            b = _encode_value(c, x)
            if is_long and len(b) > _INTRINSIC_MAX:
                enc.append((lv().put(b), True))
            else:
                enc.append((b, False))
        if len(enc) == 1:
            b, sep = enc[0]
            if sep:
                flags |= _TAG_SEPARATED
            fields.append((c.fid, flags if (flags or large) else -1, b))
        else:
            flags |= _TAG_MULTI
            head = bytearray()
            body = bytearray()
            base = 2 * len(enc)
            for b, sep in enc:
                head += struct.pack("<H", (base + len(body)) | (0x8000 if sep else 0))
                body += b
            fields.append((c.fid, flags, bytes(head + body)))
    if fields:
        area = bytearray(4 * len(fields))
        pos = 4 * len(fields)
        payload = bytearray()
        for i, (fid, fl, b) in enumerate(fields):
            ib = pos + len(payload)
            if fl >= 0:
                payload.append(fl)
                if not large:
                    ib |= 0x4000
            payload += b
            struct.pack_into("<HH", area, 4 * i, fid, ib)
        limit = 0x7FFF if large else 0x1FFF
        if pos + len(payload) > limit:
            raise ExportError(f"{t.name}: a record's tagged columns take {pos + len(payload)} bytes, "
                              f"more than the page format holds")
        out += area
        out += payload
    return bytes(out)


# ---- keys --------------------------------------------------------------------------------

def _segment(c: ColumnSpec, v: Any, descending: bool) -> Tuple[bytes, bool]:
    """(segment, substitute) for one key column value: substitute when it is Unicode text
    (not Windows' LCMapString sort key)."""
    if c.coltyp in _TEXT and c.codepage == 1200 and v is not None:
        if len(v) == 0:
            seg = bytes([_esekey.PREFIX_ZERO_LENGTH])
        else:
            seg = bytes([_esekey.PREFIX_DATA]) + v.upper().encode("utf-16-be", "surrogatepass") + b"\x00\x00"
        if descending:
            seg = bytes(b ^ 0xFF for b in seg)
        return seg, True
    fixed = c.kind == "fixed"
    if isinstance(v, (bytearray, memoryview)):
        v = bytes(v)
    if c.coltyp in _TEXT and isinstance(v, bytes):
        v = v.decode("cp1252", "replace")
    if fixed and c.coltyp == 9 and isinstance(v, bytes) and len(v) < c.width:
        v = v.ljust(c.width, b"\x00")      # keyed as its record holds it
    return _esekey.segment(c.coltyp, c.codepage, fixed, v, descending), False


def _default_value(c: ColumnSpec) -> Any:
    """c's default value as a Python value (what _segment takes)."""
    from ._isam import Column
    return Column(c.name, 0, c.coltyp, c.cb_max, 0, c.codepage).decode(bytes(c.default or b""))


def _index_keys(t: TableSpec, ix: IndexSpec, cols: Dict[str, ColumnSpec], row: Dict[str, Any]) -> List[bytes]:
    """The normalised keys of row in index ix ([] when the null rules leave it out).  A key
    column the row does not name has its default value (the value its record holds)."""
    first = [row.get(name) if name in row or cols[name].default is None else _default_value(cols[name])
             for name, _desc in ix.key]
    if not any(type(v) is list for v in first):
        combos: List[List[Any]] = [first]       # the common case: one value per key column
    else:
        per_col: List[List[Any]] = []
        for v in first:
            per_col.append(([x for x in v if x is not None] or [None]) if isinstance(v, list) else [v])
        # one entry per value of the first multi-valued key column (ESE keys every value)
        combos = [[]]
        multi_done = False
        for vals in per_col:
            if len(vals) > 1 and not multi_done:
                combos = [c + [x] for c in combos for x in vals]
                multi_done = True
            else:
                combos = [c + [vals[0]] for c in combos]
    out = []
    for combo in combos:
        nulls = [x is None for x in combo]
        if all(nulls) and (ix.ignore_null or ix.ignore_any_null or ix.ignore_first_null):
            continue
        if any(nulls) and ix.ignore_any_null:
            continue
        if nulls and nulls[0] and ix.ignore_first_null:
            continue
        if any(nulls) and (ix.disallow_null or ix.primary):
            raise ExportError(f"{t.name}: index {ix.name} does not allow NULL key columns")
        key = bytearray()
        for (name, desc), x in zip(ix.key, combo):
            seg, sub = _segment(cols[name], x, desc)
            if sub:
                ix.unicode = True
            if x is None and ix.sort_nulls_high:
                seg = b"\xff" if not desc else b"\x00"
            key += seg
        out.append(bytes(key[:_KEY_MOST]))
    return out


# ---- the catalog ----------------------------------------------------------------------

# MSysObjects' own columns: (name, columnid, coltyp, cbMax, flags)
_CAT_COLUMNS = [
    ("ObjidTable", 1, 4, 4, 1), ("Type", 2, 3, 2, 1), ("Id", 3, 4, 4, 1), ("ColtypOrPgnoFDP", 4, 4, 4, 1),
    ("SpaceUsage", 5, 4, 4, 1), ("Flags", 6, 4, 4, 1), ("PagesOrLocale", 7, 4, 4, 1), ("RootFlag", 8, 1, 1, 0),
    ("RecordOffset", 9, 3, 2, 0), ("LCMapFlags", 10, 4, 4, 0), ("KeyMost", 11, 17, 2, 0),
    ("LVChunkMax", 12, 4, 4, 0), ("Name", 128, 10, 255, 1), ("Stats", 129, 9, 255, 0),
    ("TemplateTable", 130, 10, 255, 0), ("DefaultValue", 131, 9, 255, 0), ("KeyFldIDs", 132, 9, 255, 0),
    ("VarSegMac", 133, 9, 255, 0), ("ConditionalColumns", 134, 9, 255, 0), ("TupleLimits", 135, 9, 255, 0),
    ("Version", 136, 9, 255, 0), ("SortID", 137, 9, 255, 0), ("CallbackData", 256, 11, 0, 0),
    ("CallbackDependencies", 257, 11, 0, 0), ("SeparateLV", 258, 11, 0, 0), ("SpaceHints", 259, 11, 0, 0),
    ("SpaceDeferredLVHints", 260, 11, 0, 0), ("LocaleName", 261, 11, 0, 0),
]
_CAT_FIXED = [(1, 4, "<i"), (2, 2, "<h"), (3, 4, "<i"), (4, 4, "<i"), (5, 4, "<i"), (6, 4, "<I"), (7, 4, "<i"),
              (8, 1, "<B"), (9, 2, "<h"), (10, 4, "<I"), (11, 2, "<H"), (12, 4, "<i")]
_CAT_VAR = {"Name": 128, "Stats": 129, "TemplateTable": 130, "DefaultValue": 131, "KeyFldIDs": 132,
            "VarSegMac": 133, "ConditionalColumns": 134, "TupleLimits": 135, "Version": 136, "SortID": 137}
_CAT_FIXED_NAMES = ["ObjidTable", "Type", "Id", "ColtypOrPgnoFDP", "SpaceUsage", "Flags", "PagesOrLocale",
                    "RootFlag", "RecordOffset", "LCMapFlags", "KeyMost", "LVChunkMax"]


def _cat_record(f: Dict[str, Any], large: bool) -> bytes:
    """A catalog row in ESE's record format (fixed columns 1..12, variable 128..137,
    LocaleName tagged)."""
    last = 0
    for i, n in enumerate(_CAT_FIXED_NAMES):
        if f.get(n) is not None:
            last = i + 1
    out = bytearray(4)
    nulls = bytearray((last + 7) // 8)
    for i in range(last):
        fid, width, fmt = _CAT_FIXED[i]
        v = f.get(_CAT_FIXED_NAMES[i])
        if v is None:
            out += b"\x00" * width
            nulls[i // 8] |= 1 << (i % 8)
        else:
            out += struct.pack(fmt, v)
    out += nulls
    ibvar = len(out)
    names = sorted(_CAT_VAR, key=lambda n: _CAT_VAR[n])
    lastv = 0
    for i, n in enumerate(names):
        if f.get(n) is not None:
            lastv = i + 1
    offs, data = bytearray(), bytearray()
    for i in range(lastv):
        v = f.get(names[i])
        if v is None:
            offs += struct.pack("<H", len(data) | 0x8000)
        else:
            data += v.encode("cp1252") if isinstance(v, str) else v
            offs += struct.pack("<H", len(data))
    out[0], out[1] = last, 127 + lastv
    struct.pack_into("<H", out, 2, ibvar)
    out += offs + data
    loc = f.get("LocaleName")
    if loc is not None:
        b = loc.encode("utf-16-le")
        if large:
            out += struct.pack("<HH", 261, 4) + bytes([_TAG_LONGVALUE]) + b
        else:
            out += struct.pack("<HH", 261, 4 | 0x4000) + bytes([_TAG_LONGVALUE]) + b
    return bytes(out)


def _catkey(objid: int, typ: int, id_: int) -> bytes:
    return (b"\x7f" + struct.pack(">I", (objid ^ 0x80000000) & 0xFFFFFFFF) + b"\x7f" +
            struct.pack(">H", (typ ^ 0x8000) & 0xFFFF) + b"\x7f" + struct.pack(">I", (id_ ^ 0x80000000) & 0xFFFFFFFF))


def _name_key(name: str) -> bytes:
    return b"\x7f" + _esekey._text_ascii(name)


def _keyfldids(cols: Sequence[Tuple[int, bool]]) -> bytes:
    return b"".join(struct.pack("<BBH", _IDXSEG_DESCENDING if d else 0, 0, fid) for fid, d in cols)


def _system_rows(objid: int, name: str, pgno: int, pages: int) -> List[Tuple[Tuple[int, int, int], Dict[str, Any]]]:
    """The catalog rows of MSysObjects (objid 2) or MSysObjectsShadow (objid 3) itself."""
    rows = [((objid, 1, objid), {"ObjidTable": objid, "Type": 1, "Id": objid, "ColtypOrPgnoFDP": pgno,
                                 "SpaceUsage": _DENSITY, "Flags": 0xC0000000, "PagesOrLocale": pages,
                                 "RootFlag": 1, "Name": name})]
    for cname, cid, coltyp, cb, flags in _CAT_COLUMNS:
        rows.append(((objid, 2, cid), {"ObjidTable": objid, "Type": 2, "Id": cid, "ColtypOrPgnoFDP": coltyp,
                                       "SpaceUsage": cb, "Flags": flags, "PagesOrLocale": 1252,
                                       "RecordOffset": 4 if cid < 128 else None, "Name": cname}))
    ix = [("Id", objid, pgno, 0x31, [(1, False), (2, False), (3, False)])]
    if objid == _OBJID_CATALOG:
        ix += [("Name", _OBJID_NAME_IX, _PGNO_NAME_IX, 0x11, [(1, False), (2, False), (128, False)]),
               ("RootObjects", _OBJID_ROOT_IX, _PGNO_ROOT_IX, 0x09, [(8, False), (128, False)])]
    for iname, iobjid, ipgno, idb, keycols in ix:
        rows.append(((objid, 3, iobjid), {"ObjidTable": objid, "Type": 3, "Id": iobjid, "ColtypOrPgnoFDP": ipgno,
                                          "SpaceUsage": _DENSITY, "Flags": idb | _IDX_EXTENDED_COLUMNS,
                                          "PagesOrLocale": 0, "LCMapFlags": _LCMAP_FLAGS, "Name": iname,
                                          "KeyFldIDs": _keyfldids(keycols), "LocaleName": _LOCALE}))
    return rows


def _table_rows(t: TableSpec, chunk: int) -> List[Tuple[Tuple[int, int, int], Dict[str, Any]]]:
    rows: List[Tuple[Tuple[int, int, int], Dict[str, Any]]] = [
        ((t.objid, 1, t.objid), {"ObjidTable": t.objid, "Type": 1, "Id": t.objid, "ColtypOrPgnoFDP": t.pgno,
                                 "SpaceUsage": _DENSITY, "Flags": 0, "PagesOrLocale": 1, "RootFlag": 1,
                                 "LVChunkMax": chunk, "Name": t.name})]
    for c in t.columns:
        flags = ((_FF_NOT_NULL if c.not_null else 0) | (_FF_VERSION if c.version else 0) |
                 (_FF_AUTOINC if c.autoinc else 0) | (_FF_MULTIVALUED if c.multivalued else 0) |
                 (_FF_DEFAULT if c.default is not None else 0) | (_FF_ESCROW if c.escrow else 0))
        cb = c.width if c.kind == "fixed" else (c.cb_max if c.coltyp in (9, 10) else 0)
        rows.append(((t.objid, 2, c.fid), {
            "ObjidTable": t.objid, "Type": 2, "Id": c.fid, "ColtypOrPgnoFDP": c.coltyp, "SpaceUsage": cb,
            "Flags": flags, "PagesOrLocale": c.codepage if c.coltyp in _TEXT else 0,
            "RecordOffset": c.offset if c.kind == "fixed" else None, "Name": c.name,
            "DefaultValue": c.default}))
    cols = {c.name: c for c in t.columns}
    for ix in t.indexes:
        idb = ((_IDB_UNIQUE if ix.unique else 0) | (_IDB_PRIMARY if ix.primary else 0) |
               (_IDB_NO_NULL_SEG if ix.disallow_null else 0) |
               (0 if (ix.ignore_null or ix.ignore_any_null or ix.ignore_first_null) else _IDB_ALLOW_ALL_NULLS) |
               (0 if ix.ignore_first_null or ix.ignore_any_null else _IDB_ALLOW_FIRST_NULL) |
               (0 if ix.ignore_any_null else _IDB_ALLOW_SOME_NULLS) |
               (_IDB_SORT_NULLS_HIGH if ix.sort_nulls_high else 0))
        row = {"ObjidTable": t.objid, "Type": 3, "Id": ix.objid, "ColtypOrPgnoFDP": ix.pgno,
               "SpaceUsage": _DENSITY, "Flags": idb | _IDX_EXTENDED_COLUMNS, "PagesOrLocale": _LCID,
               "LCMapFlags": _LCMAP_FLAGS, "KeyMost": _KEY_MOST, "Name": ix.name,
               "KeyFldIDs": _keyfldids([(cols[n].fid, d) for n, d in ix.key]), "LocaleName": _LOCALE}
        if ix.unicode and not ix.primary:
            # no sort version: ESE finds the index built under an unknown NLS version and
            # (with index checking on, the default for attach) rebuilds or deletes it
            row["Version"] = b"\x00" * 8
        rows.append(((t.objid, 3, ix.objid), row))
    if t.objid_lv:
        rows.append(((t.objid, 4, t.objid_lv), {"ObjidTable": t.objid, "Type": 4, "Id": t.objid_lv,
                                                "ColtypOrPgnoFDP": t.pgno_lv, "SpaceUsage": _DENSITY, "Flags": 0,
                                                "PagesOrLocale": 1, "Name": "LV"}))
    return rows


# ---- the writer's driver ---------------------------------------------------------------------

def lv_chunk(page_size: int) -> int:
    """Bytes per long-value chunk: ESE's default for the page size (small pages: the page
    less 42 bytes and the page header; 16 KiB: 4050; 32 KiB: 8150).  Readers such as
    libesedb take a chunk of another length for a compressed one."""
    return {16384: 4050, 32768: 8150}.get(page_size, page_size - 42 - 40)


def encode_database(path: str, tables: Sequence[TableSpec], page_size: int = 8192,
                    progress: Optional[ProgressCallback] = None, report: Optional[ExportReport] = None) -> ExportReport:
    """Write ``tables`` as a new ESE database ``path`` (which must not exist).  The low
    level of :func:`export_ese` and :func:`esepy.testing.make_ese`; on error the partial
    file is left for the caller to remove."""
    from . import _esepy
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page_size must be one of {', '.join(map(str, PAGE_SIZES))}, not {page_size}")
    report = report or ExportReport(path, page_size)
    large = page_size > 8192
    chunk = lv_chunk(page_size)
    names = set()
    for t in tables:
        if not t.name or len(t.name.encode("cp1252", "replace")) > 64 or t.name.upper() in names:
            raise ExportError(f"table name {t.name!r}: empty, longer than 64 characters or used twice")
        names.add(t.name.upper())
        _layout(t, report)
    total = sum(t.count for t in tables)
    to_sort: set = set()
    while True:
        # tables come in esepy's primary-key order, which is ESE's key order unless a key
        # column collates differently (text, GUID); such a table is met out of order, and the
        # file is then written again with that table sorted (external merge sort)
        done = 0
        report.tables, report.rows, report.unicode_indexes = {}, 0, []
        w = _esepy._EseWriter(path, page_size)
        try:
            objid = _OBJID_FIRST_USER
            for t in tables:
                done = _write_table(w, t, objid, large, chunk, report, progress, done, total,
                                    sort=t.name in to_sort, tmpdir=os.path.dirname(os.path.abspath(path)))
                objid = max(objid + 1, t.objid + 1, max([ix.objid + 1 for ix in t.indexes] + [t.objid_lv + 1]))
            _write_catalog(w, tables, large, chunk)
            report.pages = w.finish(objid - 1)
            return report
        except _Unsorted as u:
            to_sort.add(u.table)
        finally:
            w.close()
        os.unlink(path)


class _Unsorted(Exception):
    """A table's records do not come in ESE's key order (internal: the export restarts)."""

    def __init__(self, table: str) -> None:
        super().__init__(table)
        self.table = table


class _RunSorter:
    """(key, record) pairs sorted with bounded memory: sorted runs of at most ``limit`` bytes
    spilled to a temporary file next to the output, merged at the end."""

    def __init__(self, tmpdir: str, limit: int = 32 << 20) -> None:
        self.tmpdir, self.limit = tmpdir, limit
        self.buf: List[Tuple[bytes, bytes]] = []
        self.size = 0
        self.runs: List[Tuple[int, int]] = []     # (offset, count) in self.f
        self.f: Any = None

    def add(self, key: bytes, rec: bytes) -> None:
        self.buf.append((key, rec))
        self.size += len(key) + len(rec) + 64
        if self.size >= self.limit:
            self._spill()

    def _spill(self) -> None:
        if self.f is None:
            self.f = tempfile.TemporaryFile(dir=self.tmpdir, prefix=".esepy-export-sort-")
        self.buf.sort()
        off = self.f.seek(0, os.SEEK_END)
        for k, r in self.buf:
            self.f.write(struct.pack("<II", len(k), len(r)) + k + r)
        self.runs.append((off, len(self.buf)))
        self.buf, self.size = [], 0

    def _run(self, off: int, n: int) -> Iterator[Tuple[bytes, bytes]]:
        pos = off
        for _ in range(n):
            self.f.seek(pos)
            kl, rl = struct.unpack("<II", self.f.read(8))
            kr = self.f.read(kl + rl)
            pos += 8 + kl + rl
            yield kr[:kl], kr[kl:]

    def sorted(self) -> Iterator[Tuple[bytes, bytes]]:
        import heapq
        self.buf.sort()
        if not self.runs:
            yield from self.buf
            return
        yield from heapq.merge(self.buf, *[self._run(o, n) for o, n in self.runs])

    def close(self) -> None:
        if self.f is not None:
            self.f.close()
            self.f = None


def _write_table(w: Any, t: TableSpec, objid: int, large: bool, chunk: int, report: ExportReport,
                 progress: Optional[ProgressCallback], done: int, total: int, *, sort: bool = False,
                 tmpdir: str = ".") -> int:
    cols = {c.name: c for c in t.columns}
    fixed = [c for c in t.columns if c.kind == "fixed"]
    var = [c for c in t.columns if c.kind == "variable"]
    tagged = [c for c in t.columns if c.kind == "tagged"]
    for ix in t.indexes:
        for kn, _d in ix.key:
            if kn not in cols:
                raise ExportError(f"{t.name}.{ix.name}: key column {kn!r} is not a column of the table")
    primary = t.indexes[0] if t.indexes and t.indexes[0].primary else None
    secondary = [ix for ix in t.indexes if ix is not primary]
    t.objid = objid
    t.objid_lv = t.pgno_lv = 0
    for ix in t.indexes:
        ix.unicode = False
    tree, t.pgno = w.begin_tree(objid, -1, 0, 0, 0)
    if primary is not None:
        primary.objid, primary.pgno = objid, t.pgno
    lvsink: List[_LVSink] = []
    nxt = [objid + 1]

    def lv() -> _LVSink:
        if not lvsink:
            t.objid_lv = nxt[0]
            nxt[0] += 1
            lt, t.pgno_lv = w.begin_tree(t.objid_lv, tree, _WT_LV, 0, 0)
            lvsink.append(_LVSink(w, lt, chunk))
        return lvsink[0]

    # secondary-index entries, sorted with bounded memory (spilled in sorted runs)
    entries = [_RunSorter(tmpdir, 16 << 20) for _ in secondary]
    pending: List[Tuple[bytes, bytes]] = []
    sorter = _RunSorter(tmpdir) if sort else None
    last = b""
    n = 0
    dbk = 0
    for recs, ents in _encoded_batches(t, large, lv, primary, secondary, cols, fixed, var, tagged):
        # (the writer calls come in the same order whichever encoder runs: a batch's long
        # values, then its records, so the files are the same byte for byte)
        for pk, rec in recs:
            if sorter is not None:
                sorter.add(pk, rec)
            elif n and pk <= last:
                if pk == last:
                    raise ExportError(f"{t.name}: two records have the same primary key in ESE's key form "
                                      f"(keys are cut at {_KEY_MOST} bytes)")
                raise _Unsorted(t.name)
            else:
                pending.append((pk, rec))
                last = pk
            n += 1
        for i, es in enumerate(ents):
            add = entries[i].add
            for k, pk in es:
                add(k, pk)
        if len(pending) >= _BATCH:
            _append_sorted(w, tree, pending, t, primary)
            pending = []
            if progress is not None:
                progress(done + n, total)
    if pending:
        _append_sorted(w, tree, pending, t, primary)
    if sorter is not None:
        try:
            rb: List[Tuple[bytes, bytes]] = []
            for kr in sorter.sorted():
                rb.append(kr)
                if len(rb) >= 256:
                    _append_sorted(w, tree, rb, t, primary)
                    rb = []
            if rb:
                _append_sorted(w, tree, rb, t, primary)
        finally:
            sorter.close()
    if lvsink:
        w.end_tree(lvsink[0].tree)
    for i, ix in enumerate(secondary):
        ix.objid = nxt[0]
        nxt[0] += 1
        it, ix.pgno = w.begin_tree(ix.objid, tree, _WT_INDEX | (0 if ix.unique else _WT_NONUNIQUE), 0, 0)
        try:
            batch: List[Tuple[bytes, bytes]] = []
            prev: Optional[Tuple[bytes, bytes]] = None
            for e in entries[i].sorted():
                if e == prev:
                    continue        # the same value twice in a multi-valued key column
                if ix.unique and prev is not None and prev[0] == e[0]:
                    raise ExportError(f"{t.name}.{ix.name}: two records have the same key in a unique index "
                                      f"(after cutting keys at {_KEY_MOST} bytes)")
                batch.append(e)
                prev = e
                if len(batch) >= 1024:
                    w.append_many(it, batch)
                    batch = []
            if batch:
                w.append_many(it, batch)
        finally:
            entries[i].close()
        w.end_tree(it)
        if ix.unicode:
            report.unicode_indexes.append((t.name, ix.name))
    if primary is not None and primary.unicode:
        report.unicode_indexes.append((t.name, primary.name))
    w.end_tree(tree)
    report.tables[t.name] = n
    report.rows += n
    if progress is not None:
        progress(done + n, total)
    return done + n


def _encoded_batches(t: TableSpec, large: bool, lv: Callable[[], _LVSink], primary: Optional[IndexSpec],
                     secondary: List[IndexSpec], cols: Dict[str, ColumnSpec], fixed: List[ColumnSpec],
                     var: List[ColumnSpec], tagged: List[ColumnSpec]
                     ) -> Iterator[Tuple[List[Tuple[bytes, bytes]], List[List[Tuple[bytes, bytes]]]]]:
    """t's rows, _BATCH at a time, as ([(primary key, record)], [[(key, primary key)] per
    secondary index]): encoded in C (one call per batch), or by the Python reference."""
    if _REFERENCE_ENCODER:
        recs: List[Tuple[bytes, bytes]] = []
        ents: List[List[Tuple[bytes, bytes]]] = [[] for _ in secondary]
        dbk = 0
        for row in t.rows():
            if primary is not None:
                keys = _index_keys(t, primary, cols, row)
                if len(keys) != 1:
                    raise ExportError(f"{t.name}: the primary key of a record has a multi-valued or NULL column")
                pk = keys[0]
            else:
                dbk += 1
                pk = struct.pack(">I", dbk)
            recs.append((pk, _encode_record(t, row, large, lv, fixed, var, tagged)))
            for i, ix in enumerate(secondary):
                ents[i].extend((k, pk) for k in _index_keys(t, ix, cols, row))
            if len(recs) == _BATCH:
                yield recs, ents
                recs, ents = [], [[] for _ in secondary]
        if recs:
            yield recs, ents
        return
    indexes = ([primary] if primary is not None else []) + secondary
    enc = _encoder(t, large, indexes, lambda _icol, data: lv().put(data))
    if t.stored_rows is not None:
        source: Iterable[Sequence[Any]] = t.stored_rows()
    else:
        columns = t.columns
        source = (_stored_tuple(row, columns) for row in t.rows())
    dbk = 0
    batch: List[Sequence[Any]] = []
    it = iter(source)
    while True:
        batch.clear()
        for srow in it:
            batch.append(srow)
            if len(batch) == _BATCH:
                break
        if not batch:
            return
        try:
            recs, ents, substitute, dbk = enc.encode(batch, dbk)
        except ValueError as e:
            raise _encode_failure(e, t, indexes) from None
        if substitute:
            for i, ix in enumerate(indexes):
                if substitute >> i & 1:
                    ix.unicode = True
        yield recs, ents


def _append_sorted(w: Any, tree: int, pending: List[Tuple[bytes, bytes]], t: TableSpec, primary: Any) -> None:
    """Append a batch of (primary key, record): rows come in primary-key order from esepy,
    but ESE's key bytes may order them differently (e.g. substitute Unicode keys) -- the
    writer refuses keys out of order, which is then reported as such."""
    try:
        w.append_many(tree, pending)
    except errors.KeyDuplicate:
        raise ExportError(f"{t.name}: two records have the same primary key in ESE's key form "
                          f"(keys are cut at {_KEY_MOST} bytes)") from None
    except errors.InvalidParameter:
        raise ExportError(f"{t.name}: records do not come in the order of ESE's primary keys "
                          f"(index {getattr(primary, 'name', '?')}); esepy's collation differs from ESE's "
                          "normalised keys for this key") from None


def _write_catalog(w: Any, tables: Sequence[TableSpec], large: bool, chunk: int) -> None:
    rows = _system_rows(_OBJID_CATALOG, "MSysObjects", _PGNO_CATALOG, 20)
    rows += _system_rows(_OBJID_SHADOW, "MSysObjectsShadow", _PGNO_SHADOW, 5)
    for t in tables:
        rows += _table_rows(t, chunk)
    rows.sort(key=lambda r: r[0])
    cat, _ = w.begin_tree(_OBJID_CATALOG, -1, 0, _PGNO_CATALOG, 20)
    name_ix, _ = w.begin_tree(_OBJID_NAME_IX, cat, _WT_INDEX, _PGNO_NAME_IX, 3)
    root_ix, _ = w.begin_tree(_OBJID_ROOT_IX, cat, _WT_INDEX, _PGNO_ROOT_IX, 3)
    name_entries, root_entries = [], []
    for k, f in rows:
        pk = _catkey(*k)
        name_entries.append((pk[:8] + _name_key(f["Name"]), pk))   # (ObjidTable, Type, Name)
        if k[1] == 1:
            root_entries.append((b"\x7f\xff" + _name_key(f["Name"]), pk))
    w.append_many(name_ix, sorted(name_entries))
    w.end_tree(name_ix)
    w.append_many(root_ix, sorted(root_entries))
    w.end_tree(root_ix)
    w.append_many(cat, [(_catkey(*k), _cat_record(f, large)) for k, f in rows])
    w.end_tree(cat)
    # the shadow catalog: the same rows, no indexes of its own
    shadow, _ = w.begin_tree(_OBJID_SHADOW, -1, 0, _PGNO_SHADOW, 5)
    w.append_many(shadow, [(_catkey(*k), _cat_record(f, large)) for k, f in rows])
    w.end_tree(shadow)


# ---- from an esepy database ---------------------------------------------------------------------

def _spec_from_table(t: Any) -> TableSpec:
    """A TableSpec for an open esepy table (its columns, primary and secondary indexes)."""
    columns = []
    for name, c in t.columns.items():
        g = c.grbit
        columns.append(ColumnSpec(name, int(c.coltyp), c.cb_max, codepage=c.codepage, fixed=bool(g & _COL_FIXED),
                                  tagged=bool(g & _COL_TAGGED), multivalued=bool(g & _COL_MULTIVALUED),
                                  not_null=bool(g & _COL_NOTNULL), version=bool(g & _COL_VERSION),
                                  autoinc=bool(g & _COL_AUTOINC), escrow=bool(g & _COL_ESCROW),
                                  default=c.default_raw))
    indexes = []
    key = t._key_columns(None)
    if key:
        indexes.append(IndexSpec("primary", key, primary=True))
    for name, info in t.indexes.items():
        g = info["grbit"]
        indexes.append(IndexSpec(name, [(k[1:], k[0] == "-") for k in info["key"]], unique=bool(g & _IX_UNIQUE),
                                 disallow_null=bool(g & _IX_DISALLOW_NULL), ignore_null=bool(g & _IX_IGNORE_NULL),
                                 ignore_any_null=bool(g & _IX_IGNORE_ANY_NULL),
                                 ignore_first_null=bool(g & _IX_IGNORE_FIRST_NULL),
                                 sort_nulls_high=bool(g & _IX_SORT_NULLS_HIGH)))
    keyed = {n for ix in indexes for n, _d in ix.key}
    for c in columns:
        c.stored = c.name not in keyed
    return TableSpec(t.name, columns, indexes, lambda: _stored_rows(t, keyed), 0,
                     stored_rows=lambda: _raw_rows(t))


def _raw_rows(t: Any) -> Iterator[Sequence[Any]]:
    """Every record of the open esepy table t in primary-key order, each a sequence of its
    columns' stored values in the order of t.columns (what the C encoder takes: the bytes
    esepy stores are the bytes ESE stores).  Read in batches as Table.scan does, on a
    second cursor."""
    cur = t.dup()
    try:
        cur._use_index(None)
        _cols, spec = cur._read_spec(None)
        first, n = -0x80000000, 16      # JET_MoveFirst
        while True:
            rows, ended = cur._read_rows(spec, n, first)
            yield from rows
            if ended or not rows:
                return
            first, n = 1, min(256, n * 4)
    finally:
        cur.close()


def _stored_rows(t: Any, keyed: Any) -> Iterator[Dict[str, Any]]:
    """Every record of the open esepy table t in primary-key order, as dicts: the values of
    the columns in ``keyed`` (index key columns, which _index_keys needs as values) decoded,
    the others in their stored form -- the bytes esepy stores are the bytes ESE stores, so
    they are written without a decode and re-encode (ColumnSpec.stored).  Read in batches
    as Table.scan does, on a second cursor."""
    cur = t.dup()
    try:
        cur._use_index(None)
        cols, spec = cur._read_spec(None)
        names = [c.name for c in cols]
        decoders = [None if c.name not in keyed else
                    ((lambda v, d=c.decode: [d(x) for x in v]) if c.grbit & _COL_MULTIVALUED else c.decode)
                    for c in cols]
        keyed_at = [(i, d) for i, d in enumerate(decoders) if d is not None]
        first, n = -0x80000000, 16      # JET_MoveFirst
        while True:
            rows, ended = cur._read_rows(spec, n, first)
            for raw in rows:
                row = dict(zip(names, raw))
                for i, d in keyed_at:
                    row[names[i]] = d(raw[i])
                yield row
            if ended or not rows:
                return
            first, n = 1, min(256, n * 4)
    finally:
        cur.close()


def _atomic_write(dest: str, force: bool, write: Callable[[str], Any]) -> Any:
    """Run write(tmp) on a temporary name in dest's folder, then rename it to dest."""
    destp = os.path.abspath(os.fspath(dest))
    if os.path.lexists(destp) and not force:
        raise FileExistsError(f"{destp} exists (pass force=True / --force to replace it)")
    folder = os.path.dirname(destp) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{folder}: no such folder")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"{folder}: not writable")
    fd, tmp = tempfile.mkstemp(prefix=".esepy-export-", suffix=".edb", dir=folder)
    os.close(fd)
    os.unlink(tmp)   # the writer creates it (and refuses an existing file)
    try:
        result = write(tmp)
        os.replace(tmp, destp)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return result


def export_ese(db: Any, dest: "os.PathLike[str] | str", page_size: int = 8192,
               progress: Optional[ProgressCallback] = None, *, force: bool = False) -> ExportReport:
    """Write the open esepy database ``db`` as a new Windows ESE database ``dest``
    (see :meth:`esepy.Database.export_ese`)."""
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page_size must be one of {', '.join(map(str, PAGE_SIZES))}, not {page_size}")
    if progress is not None and not callable(progress):
        raise TypeError("progress must be callable(done, total)")
    t0 = time.perf_counter()
    destp = os.path.abspath(os.fspath(dest))
    report = ExportReport(destp, page_size)
    opened = []
    try:
        specs = []
        for name in db.tables:
            t = db.open_table(name, read_only=True)
            opened.append(t)
            spec = _spec_from_table(t)
            spec.count = len(t)
            specs.append(spec)
        _atomic_write(destp, force, lambda tmp: encode_database(tmp, specs, page_size, progress, report))
    finally:
        for t in opened:
            t.close()
    report.dest = destp
    report.bytes = os.path.getsize(destp)
    report.seconds = time.perf_counter() - t0
    return report


def export_ese_file(src: "os.PathLike[str] | str", dest: "os.PathLike[str] | str", page_size: int = 8192,
                    progress: Optional[ProgressCallback] = None, *, force: bool = False) -> ExportReport:
    """Export the esepy database file ``src`` (attached read-only in a private instance)."""
    import shutil
    from . import Instance
    srcp = os.path.abspath(os.fspath(src))
    if not os.path.isfile(srcp):
        raise FileNotFoundError(f"{srcp}: no such database")
    from . import inspection
    from ._import import ImportReport, _choose_page_size, _restore_page_size
    src_page = int(inspection.read_database_header(srcp).page_size)
    saved = ImportReport(srcp, os.fspath(dest))     # carries the page size to put back
    work = tempfile.mkdtemp(prefix=".esepy-export-ese-")
    try:
        _choose_page_size(src_page, src_page, saved)
        inst = Instance("esepy-export-ese", system_path=os.path.join(work, "sys") + os.sep,
                        log_path=os.path.join(work, "logs") + os.sep,
                        temp_path=os.path.join(work, "sys", "tmp.edb"), create_path_if_not_exist=True)
        inst.init()
        try:
            with inst.begin_session() as s:
                db = s.attach_database(srcp, read_only=True)
                try:
                    return export_ese(db, dest, page_size, progress, force=force)
                finally:
                    db.close()
                    s.detach_database(srcp)
        finally:
            inst.term()
    finally:
        _restore_page_size(saved)
        shutil.rmtree(work, ignore_errors=True)
