"""Read-only access to real ESE files written by Windows (forensics).

``open_ese(path)`` opens a database such as SRUM's ``SRUDB.dat``, BITS'
``qmgr.db``, Windows Search, WebCache, ``ntds.dit`` or an Exchange database
without an engine instance, without recovery and without ever writing to the
file.  Dirty databases open as they are (``db.header["dirty"]``); damage met
while reading (page checksum failures, broken tree links, unreadable records)
is reported in ``db.damage`` and reading goes on.

Typical use::

    import esepy
    with esepy.open_ese("SRUDB.dat") as db:
        print(db.header["state"], db.header["page_size"])
        for row in db.tables["SruDbIdMapTable"]:
            print(row)                      # {"IdType": 3, "IdIndex": 1, ...}
        df = db.tables["SruDbIdMapTable"].to_pandas()   # needs pandas

Values are typed by column type: int, float, bool, str, bytes,
``datetime.datetime`` for DateTime columns, ``uuid.UUID`` for GUID columns
and lists for multi-valued columns; ``open_ese(path, filetime_columns="known")``
also turns the FILETIME columns of the artefact schemas (SRUM, UAL) into
datetimes (:mod:`esepy.artifacts` decodes those artefacts as DataFrames).  A value that cannot be decoded is an
:class:`UnsupportedValue` (XPRESS9/XPRESS10/LZ4 compression, encryption) or a
:class:`DamagedValue` (damaged record or long value) carrying the stored bytes;
never garbage.

The log side: :func:`read_log_header`, :func:`read_checkpoint` and
:func:`scan_log_folder` parse ESE transaction logs (``SRU.log``,
``SRU0005B.log``) and checkpoints (``SRU.chk``) to their headers and check a
log folder for missing or out-of-sequence generations;
:meth:`EseDatabase.recovery_info` says which generations a dirty database
needs and whether a folder has them.

Recovery: :func:`recover_ese` brings a dirty database to a clean state on a
copy, redoing the page changes (node records, new pages, file growth) its
pages lack, and refuses by name what it cannot replay yet (splits, merges,
undo); ``open_ese(path, logs=folder)`` reads a dirty database through such a
recovered temporary copy.  The input
database and the logs are never written (see docs/forensics-windows-ese.md).
"""
from __future__ import annotations

import datetime as _dt
import os as _os
import shutil as _shutil
import tempfile as _tempfile
import struct as _struct
import uuid as _uuid
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from . import _esepy
from . import errors

__all__ = [
    "open_ese", "recover_ese", "EseDatabase", "EseTable", "EseIndex", "EseColumn", "EseRecord", "UnsupportedValue",
    "DamagedValue",
    "read_log_header", "read_checkpoint", "scan_log_folder", "decompress", "COLTYP_NAMES", "DBSTATE_NAMES",
    "LOCAL_AS_UTC", "filetime_to_datetime",
]

#: JET_coltyp values to names.
COLTYP_NAMES = {
    0: "Nil", 1: "Bit", 2: "UnsignedByte", 3: "Short", 4: "Long", 5: "Currency", 6: "IEEESingle",
    7: "IEEEDouble", 8: "DateTime", 9: "Binary", 10: "Text", 11: "LongBinary", 12: "LongText", 13: "SLV",
    14: "UnsignedLong", 15: "LongLong", 16: "GUID", 17: "UnsignedShort", 18: "UnsignedLongLong",
}
#: JET_dbstate values to names.
DBSTATE_NAMES = {
    1: "JustCreated", 2: "DirtyShutdown", 3: "CleanShutdown", 4: "BeingConverted", 5: "ForceDetach",
    6: "IncrementalReseedInProgress", 7: "DirtyAndPatchedShutdown", 8: "RevertInProgress",
}
_SCHEMES = {1: "7-bit ASCII", 2: "7-bit Unicode", 3: "XPRESS", 4: "scrubbed", 5: "XPRESS9", 6: "XPRESS10", 7: "LZ4"}
_OLE_EPOCH = _dt.datetime(1899, 12, 30, tzinfo=_dt.timezone.utc)
#: zone of a LOGTIME stored without ESE's "time is UTC" flag (the writer's local time, offset unknown):
#: offset 0 like UTC, named so that it can be told apart
LOCAL_AS_UTC = _dt.timezone(_dt.timedelta(0), "UTC (writer's local time, offset unknown)")
_COLTYP_DATETIME = 8
_COLTYP_GUID = 16
_IDB_UNIQUE = 0x0001    # catalog index Flags (low 16 bits: index flags)
_IDB_PRIMARY = 0x0020


#: what a database without a stored catalog is (EseDatabase.no_catalog)
NO_CATALOG_NOTE = ("the database stores no catalog (its catalog page, 4, is blank or an empty root leaf), so it "
                   "has no tables to read: a temporary database such as NTDS temp.edb, whose tables exist only "
                   "while ESE runs -- not a damaged catalog")


class UnsupportedValue:
    """A stored value esepy recognises but does not decode (XPRESS9, XPRESS10, LZ4, encrypted).

    ``scheme`` names the compression scheme, ``raw`` holds the stored bytes
    (or None when they could not be read) and ``error`` the JET error code.
    """

    __slots__ = ("scheme", "raw", "error")

    def __init__(self, scheme: str, raw: Optional[bytes], error: int) -> None:
        self.scheme = scheme
        self.raw = raw
        self.error = error

    def __repr__(self) -> str:
        size = "?" if self.raw is None else len(self.raw)
        return f"<not supported: {self.scheme} value, {size} stored bytes>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnsupportedValue) and (self.scheme, self.raw) == (other.scheme, other.raw)

    __hash__ = None  # type: ignore[assignment]


class DamagedValue:
    """A value that could not be read because the record or long value is damaged.

    ``error`` is the JET error code (e.g. -1526 JET_errLVCorrupted), ``reason``
    its text, ``raw`` the stored bytes when available.
    """

    __slots__ = ("error", "reason", "raw")

    def __init__(self, error: int, raw: Optional[bytes]) -> None:
        self.error = error
        self.reason = _esepy.error_string(error)
        self.raw = raw

    def __repr__(self) -> str:
        return f"<damaged: {self.reason}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DamagedValue) and (self.error, self.raw) == (other.error, other.raw)

    __hash__ = None  # type: ignore[assignment]


def _special(kind: str, err: int, scheme: int, raw: Optional[bytes]) -> Any:
    if kind == "unsupported":
        name = _SCHEMES.get(scheme, f"scheme {scheme}") if scheme else "encrypted"
        return UnsupportedValue(name, raw, err)
    return DamagedValue(err, raw)


def _ole_date(value: Any) -> Any:
    """An OLE Automation date (days since 1899-12-30, linear, rounded to the millisecond, the
    resolution the double carries for modern dates) as a datetime in UTC (the stored value has
    no zone; Windows' own artefacts such as SRUM store UTC, so every DateTime is labelled UTC);
    floats that fall outside datetime's range (or NaN) stay floats."""
    if not isinstance(value, float):
        return value
    try:
        return _OLE_EPOCH + _dt.timedelta(milliseconds=round(value * 86400000.0))
    except (OverflowError, ValueError):
        return value


_FILETIME_EPOCH = _dt.datetime(1601, 1, 1, tzinfo=_dt.timezone.utc)
_COLTYP_FILETIME_INTS = (5, 15, 18)     # Currency, LongLong, UnsignedLongLong: 64-bit integers


def filetime_to_datetime(value: Any) -> Any:
    """A Windows FILETIME (100-nanosecond intervals since 1601-01-01 UTC) as a timezone-aware
    datetime in UTC, truncated to the microsecond.  0 (Windows' "never") becomes None; a value
    outside datetime's range (negative, or after the year 9999) and anything that is not an
    int is returned unchanged, never guessed."""
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    if value == 0:
        return None
    if value < 0:
        return value
    try:
        return _FILETIME_EPOCH + _dt.timedelta(microseconds=value // 10)
    except OverflowError:
        return value


def _filetime_of_double(value: Any) -> Any:
    """A FILETIME stored in a DateTime column (UAL does this): the 64 bits of the double."""
    if not isinstance(value, float):
        return value
    return filetime_to_datetime(_ole_bits(value))


def _guid(value: Any) -> Any:
    if isinstance(value, bytes) and len(value) == 16:
        return _uuid.UUID(bytes_le=value)
    return value


def _time(t: Optional[Tuple[int, ...]]) -> Optional[_dt.datetime]:
    """LOGTIME tuple (year, month, day, hour, minute, second, ms, utc) -> datetime in UTC (None if
    unset/invalid).  A LOGTIME without the UTC bit (written by old ESE versions in the writer's local
    time, whose offset the file does not record) is labelled with :data:`LOCAL_AS_UTC`, offset 0
    too: every datetime is aware and compares as UTC, and the flag survives a round trip."""
    if t is None:
        return None
    year, month, day, hour, minute, second, ms, utc = t
    try:
        return _dt.datetime(year, month, day, hour, minute, second, ms * 1000,
                            tzinfo=_dt.timezone.utc if utc else LOCAL_AS_UTC)
    except ValueError:
        return None


def _convert_times(d: Any) -> Any:
    """Recursively turn LOGTIME tuples (8-tuples under time-like keys) into datetimes."""
    if isinstance(d, dict):
        out = {}
        for k, v in d.items():
            if isinstance(v, tuple) and len(v) == 8 and (k.startswith("time") or k in (
                    "created", "previous_generation_created")):
                out[k] = _time(v)
            else:
                out[k] = _convert_times(v)
        return out
    if isinstance(d, list):
        return [_convert_times(x) for x in d]
    return d


class EseColumn:
    """One column of a table: ``name``, ``columnid``, ``coltyp`` (number), ``type`` (name),
    ``codepage``, ``flags`` (JET_bitColumn*), ``max_size``, ``default`` (stored bytes or None),
    ``multivalued`` and ``kind`` ("fixed", "variable" or "tagged")."""

    __slots__ = ("name", "columnid", "coltyp", "type", "codepage", "flags", "max_size", "default",
                 "record_offset")

    def __init__(self, d: Dict[str, Any]) -> None:
        self.name = d["name"]
        self.columnid = d["columnid"]
        self.coltyp = d["coltyp"]
        self.type = COLTYP_NAMES.get(self.coltyp, str(self.coltyp))
        self.codepage = d["codepage"]
        self.flags = d["flags"]
        self.max_size = d["cb_max"]
        self.default = d["default"]
        self.record_offset = d["record_offset"]

    @property
    def multivalued(self) -> bool:
        """True for multi-valued columns (their values are lists).

        ``flags`` are the catalog's own column flags (ESE's FIELDFLAG bits, where multi-valued is
        0x8), not the JET_bitColumn* grbits of the API (where it is 0x400)."""
        return bool(self.flags & 0x8)

    @property
    def kind(self) -> str:
        """Where the column lives in a record: "fixed", "variable" or "tagged"."""
        return "fixed" if self.columnid < 128 else "variable" if self.columnid < 256 else "tagged"

    def __repr__(self) -> str:
        return f"<EseColumn {self.name!r} id={self.columnid} {self.type}>"


class EseRecord(Dict[str, Any]):
    """A record as a dict of column name to value, with where it came from.

    ``pgno`` / ``itag``: its leaf page and tag; ``key``: primary key bytes;
    ``raw``: the stored record bytes; ``tagged``: the raw tagged fields as
    (columnid, flags, bytes) tuples (flags: 0x01 long value, 0x02 compressed,
    0x04 separated, 0x08 multi-valued, 0x10 two-values, 0x20 null, 0x100 had a
    header byte); ``node_flags``: the node's flags as stored (0x1 ESE's "possibly
    versioned" hint, which says nothing about whether the change committed -- see
    docs/forensics-windows-ese.md, "Node flags" -- 0x2 deleted, 0x4 key-prefix
    compressed); ``deleted``: flagged deleted (only with ``records(include_deleted=True)``);
    ``index_key``: the entry's key in the order it was read (the primary key, or the
    normalised index key for :class:`EseIndex` reads); ``carved``: found by
    :meth:`EseTable.carve` on a page the table's tree no longer reaches.
    """

    pgno: int
    itag: int
    key: bytes
    raw: bytes
    tagged: List[Tuple[int, int, bytes]]
    node_flags: int
    deleted: bool
    index_key: bytes
    carved: bool


class EseTable:
    """A table of an :class:`EseDatabase`: iterate it for dict rows.

    ``columns`` (list of :class:`EseColumn`), ``indexes`` (list of dicts, see
    :meth:`index`), ``primary_key``, ``dropped`` (a newer table of the same name supersedes
    it), ``filetime_columns`` (columns read as FILETIMEs, see :func:`open_ese`),
    ``objid``, ``pgno_fdp`` (root page), ``pgno_fdp_lv`` (long-value tree, 0 if none).
    """

    def __init__(self, db: "EseDatabase", index: int, info: Dict[str, Any],
                 filetime: Sequence[str] = ()) -> None:
        self._db = db
        self._index = index
        self.name: str = info["name"]
        self.objid: int = info["objid"]
        self.pgno_fdp: int = info["pgno_fdp"]
        self.objid_lv: int = info["objid_lv"]
        self.pgno_fdp_lv: int = info["pgno_fdp_lv"]
        self.flags: int = info["flags"]
        self.template_table: str = info["template_table"]
        self.columns: List[EseColumn] = [EseColumn(c) for c in info["columns"]]
        self._names = [c.name for c in self.columns]
        self._raw_indexes: List[Dict[str, Any]] = info["indexes"]
        self._indexes: Optional[List[Dict[str, Any]]] = None
        #: True when another table of the same name supersedes this one (see :attr:`EseDatabase.tables`)
        self.dropped: bool = False
        #: names of the columns read as FILETIMEs (``open_ese(filetime_columns=...)``)
        self.filetime_columns: List[str] = [c.name for c in self.columns if c.name in set(filetime)]
        fixups: List[Tuple[int, Callable[[Any], Any]]] = []
        for i, c in enumerate(self.columns):
            if c.name in self.filetime_columns:
                if c.coltyp == _COLTYP_DATETIME:
                    fixups.append((i, _filetime_of_double))
                elif c.coltyp in _COLTYP_FILETIME_INTS:
                    fixups.append((i, filetime_to_datetime))
                else:
                    raise ValueError(f"column {c.name!r} of table {self.name!r} is {c.type}: only 64-bit "
                                     "columns (LongLong, UnsignedLongLong, Currency, DateTime) hold FILETIMEs")
            elif c.coltyp == _COLTYP_DATETIME:
                fixups.append((i, _ole_date))
            elif c.coltyp == _COLTYP_GUID:
                fixups.append((i, _guid))
        self._fixups = fixups

    @property
    def indexes(self) -> List[Dict[str, Any]]:
        """Every index of the table (catalog order), as :meth:`index` describes them."""
        if self._indexes is None:
            self._indexes = [self._index_info(x) for x in self._raw_indexes]
        return self._indexes

    def _index_info(self, x: Dict[str, Any]) -> Dict[str, Any]:
        by_id = {c.columnid: c.name for c in self.columns}
        template_ids: Dict[int, str] = {}
        if self.template_table and self.template_table in self._db.tables.names():
            template_ids = {c.columnid: c.name for c in self._db.tables[self.template_table].columns}
        keycols = []
        for columnid, descending, template in x["key_columns"]:
            # in a derived table, a key column flagged "template" is a column of its template
            # table (a template table's own key columns carry the flag too)
            name = (template_ids if template and self.template_table else by_id).get(columnid)
            keycols.append({"name": name, "columnid": columnid,
                            "order": "descending" if descending else "ascending", "template": template})
        d = dict(x)
        d["key_columns"] = keycols
        d["key"] = [("-" if k["order"] == "descending" else "+") + str(k["name"] or f"#{k['columnid']}")
                    for k in keycols]
        d["primary"] = bool(x["flags"] & _IDB_PRIMARY)
        d["unique"] = bool(x["flags"] & (_IDB_PRIMARY | _IDB_UNIQUE))
        return EseIndex(self, self._raw_indexes.index(x), d)

    def index(self, name: str) -> "EseIndex":
        """The index called ``name`` (KeyError if none), an :class:`EseIndex`: a dict with
        ``key`` as ``["+a", "-b"]``, ``key_columns`` (name, columnid, order
        "ascending"/"descending", template), ``primary``, ``unique``, ``flags``, ``objid``,
        ``pgno_fdp``, ``lcid``, ``key_most`` (longer keys are cut); and :meth:`EseIndex.search` /
        :meth:`EseIndex.range` / :meth:`EseIndex.records` to read the table in the index's key order."""
        for x in self.indexes:
            if x["name"] == name:
                return x  # type: ignore[return-value]
        raise KeyError(name)

    def find(self, index: str, key: Any, include_deleted: bool = False) -> Optional[EseRecord]:
        """The first record (in the order of index ``index``) whose key equals ``key``, or None.

        ``key`` is a value, or a tuple of values for a multi-column index (a shorter
        tuple matches on the leading key columns); see :meth:`EseIndex.search`."""
        return next(iter(self.index(index).search(key, include_deleted=include_deleted)), None)

    def find_all(self, index: str, key: Any, include_deleted: bool = False) -> List[EseRecord]:
        """Every record whose key in index ``index`` equals ``key``, in the index's order
        (see :meth:`EseIndex.search`)."""
        return list(self.index(index).search(key, include_deleted=include_deleted))

    def carve(self) -> Iterator[EseRecord]:
        """Records carved from pages the table's tree no longer reaches (best effort).

        Every leaf page of the file that carries this table's objid but is not reached by
        walking the table's B+tree -- a page freed by a merge or a deleted range, or
        orphaned by damage, whose bytes still hold nodes -- gives each node whose record
        header parses, deleted ones too, in page order.  Each record has ``rec.carved``
        True, ``rec.pgno`` / ``rec.itag`` where it was found and ``rec.deleted`` its flag.
        A carved record may be stale (an older version of a live row, or a row since
        deleted) or partly overwritten: it is evidence to weigh, not table content.
        Records of live pages that are flagged deleted are read with
        ``records(include_deleted=True)`` instead."""
        cursor = self._db._file.cursor(self._index, _special, False, -1, True)
        for rec in self._iter_records(cursor):
            rec.carved = True
            yield rec

    def _iter_records(self, cursor: Any, keep: Optional[Callable[[bytes], int]] = None) -> Iterator[EseRecord]:
        """Records of an open low-level cursor as :class:`EseRecord` (closes it).  ``keep``
        maps the entry's key (index key on an index cursor) to 0 keep, 1 skip, -1 stop."""
        try:
            names = self._names
            while cursor.next():
                ikey, iflags = cursor.index_key()
                verdict = keep(ikey) if keep is not None else 0
                if verdict < 0:
                    return
                if verdict > 0:
                    continue
                row = tuple(cursor.column(i) for i in range(len(names)))
                rec = EseRecord(zip(names, self._fix(row)))
                info = cursor.record_info()
                rec.pgno, rec.itag, rec.key, rec.raw = info["pgno"], info["itag"], info["key"], info["record"]
                rec.node_flags = info["node_flags"]
                rec.deleted = bool(info["node_flags"] & 0x2) or bool(iflags & 0x2)
                rec.tagged = cursor.tagged()
                rec.index_key = ikey
                rec.carved = False
                yield rec
        finally:
            cursor.close()

    @property
    def primary_key(self) -> List[str]:
        """Key of the primary index as ``["+a", "-b"]`` ([] when the table has none)."""
        for x in self.indexes:
            if x["primary"]:
                return list(x["key"])
        return []

    @property
    def column_names(self) -> List[str]:
        """Column names in columnid order (the order of row tuples)."""
        return list(self._names)

    def _fix(self, row: Tuple[Any, ...]) -> List[Any]:
        values = list(row)
        for i, fn in self._fixups:
            v = values[i]
            if v is None:
                continue
            values[i] = [fn(x) for x in v] if isinstance(v, list) else fn(v)
        return values

    def rows(self, include_deleted: bool = False) -> Iterator[List[Any]]:
        """Yield each record as a list of values in :attr:`column_names` order.

        ``include_deleted`` also yields records whose node is flagged deleted but
        not yet cleaned up (see :meth:`records` to tell them apart)."""
        cursor = self._db._file.cursor(self._index, _special, include_deleted)
        try:
            fix = self._fix
            nxt = cursor.next_row
            while True:
                row = nxt()
                if row is None:
                    return
                yield fix(row)
        finally:
            cursor.close()

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        """Yield each record as a dict of column name to typed value, in primary-key order."""
        names = self._names
        for values in self.rows():
            yield dict(zip(names, values))

    def records(self, include_deleted: bool = False) -> Iterator[EseRecord]:
        """Yield :class:`EseRecord` dicts that also carry the raw record, its tagged fields and location.

        With ``include_deleted``, records flagged deleted (still on the page, not yet
        cleaned up) are yielded too, with ``rec.deleted`` True."""
        cursor = self._db._file.cursor(self._index, _special, include_deleted)
        try:
            names = self._names
            while True:
                row = cursor.next_row()
                if row is None:
                    return
                rec = EseRecord(zip(names, self._fix(row)))
                info = cursor.record_info()
                rec.pgno, rec.itag, rec.key, rec.raw = info["pgno"], info["itag"], info["key"], info["record"]
                rec.node_flags = info["node_flags"]
                rec.deleted = bool(info["node_flags"] & 0x2)
                rec.tagged = cursor.tagged()
                yield rec
        finally:
            cursor.close()

    def count(self) -> int:
        """Number of records (walks the table)."""
        cursor = self._db._file.cursor(self._index, _special)
        try:
            n = 0
            while cursor.next():
                n += 1
            return n
        finally:
            cursor.close()

    def to_pandas(self) -> Any:
        """Return the table as a ``pandas.DataFrame`` (pandas is imported lazily; ``pip install esepy[pandas]``)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install 'esepy[pandas]'") from exc
        return pd.DataFrame(list(self.rows()), columns=self._names)

    def __repr__(self) -> str:
        dropped = " dropped" if self.dropped else ""
        return f"<EseTable {self.name!r} {len(self.columns)} columns objid={self.objid}{dropped}>"

    def _repr_html_(self) -> str:
        from ._display import html_table
        head = [f"{c.name} ({c.type})" for c in self.columns[:50]]
        body = []
        for i, values in enumerate(self.rows()):
            if i >= 10:
                break
            body.append([_short(v) for v in values[:50]])
        more = " (first 50 columns)" if len(self.columns) > 50 else ""
        return html_table(f"ESE table {self.name}{more}, first rows", head, body)


class EseIndex(Dict[str, Any]):
    """An index of an :class:`EseTable` (what :meth:`EseTable.index` returns): the index's
    catalog description as a dict, and reads of the table in the index's key order.

    * :meth:`records` -- every record, in key order;
    * :meth:`search` -- the records whose key equals a value (or tuple of values);
    * :meth:`range` -- the records with ``start <= key < stop``;
    * :meth:`key` -- the normalised key bytes ESE stores for some values.

    A secondary index is read from its own B+tree (each entry holds the primary key of
    its record, which is then read from the table), so the order is exactly ESE's,
    duplicates and multi-valued entries included.  Every record carries
    ``rec.index_key`` (the entry's normalised key bytes).  Keys of Unicode text columns
    are Windows LCMapString sort keys, which esepy does not compute: a search on such a
    column compares decoded values instead (exact, case-sensitive match; ESE's own
    equality also ignores case and some symbols), and :meth:`range` needs raw key bytes
    for it (``raw=True``, e.g. the ``index_key`` of a record).
    """

    def __init__(self, table: "EseTable", position: int, d: Dict[str, Any]) -> None:
        super().__init__(d)
        self._table = table
        self._position = position

    @property
    def table(self) -> "EseTable":
        """The table the index belongs to."""
        return self._table

    def _columns(self) -> List[Tuple[int, int, bool, bool, str]]:
        t = self._table
        template = None
        if t.template_table and t.template_table in t._db.tables.names():
            template = t._db.tables[t.template_table]
        out = []
        for k in self["key_columns"]:
            src = template if (k["template"] and template is not None) else t
            col = next((c for c in src.columns if c.columnid == k["columnid"]), None)
            if col is None:
                raise KeyError(f"index {self['name']!r}: key column #{k['columnid']} is not in the catalog")
            out.append((col.coltyp, col.codepage, col.columnid < 128, k["order"] == "descending", col.name))
        return out

    def key(self, values: Any) -> bytes:
        """The normalised key of ``values`` (one value, or a tuple for the leading key
        columns).  Raises :class:`esepy._esekey.KeyNotNormalisable` for Unicode text."""
        from . import _esekey
        vals = values if isinstance(values, tuple) else (values,)
        return _esekey.make_key([c[:4] for c in self._columns()], vals)[:self["key_most"]]

    def _cursor(self, include_deleted: bool) -> Any:
        t = self._table
        return t._db._file.cursor(t._index, _special, include_deleted, self._position)

    def records(self, include_deleted: bool = False) -> Iterator[EseRecord]:
        """Every record in the index's key order (with ``include_deleted``, entries and
        records flagged deleted too: ``rec.deleted``)."""
        return self._table._iter_records(self._cursor(include_deleted))

    def search(self, key: Any, include_deleted: bool = False) -> Iterator[EseRecord]:
        """The records whose key equals ``key``, in the index's order.

        ``key`` is one value (single-column index) or a tuple of values for the leading
        key columns (a shorter tuple matches every record that starts with them).  Values
        are Python values of the column's type (int, float, bool, str, bytes,
        ``datetime``, ``uuid.UUID``; None for NULL).  The key is normalised as ESE does and
        looked up in the index's B+tree.  A Unicode text key column cannot be normalised
        off Windows: from that column on, the entries (sought by the columns before it)
        are compared by their decoded values, exactly and case-sensitively, and a record
        of a multi-valued column matches once."""
        from . import _esekey
        vals = key if isinstance(key, tuple) else (key,)
        cols = self._columns()
        if len(vals) > len(cols):
            raise ValueError(f"index {self['name']!r} has {len(cols)} key columns, {len(vals)} values given")
        prefix_parts: List[bytes] = []
        rest: List[Tuple[str, Any]] = []
        for c, v in zip(cols, vals):
            if rest:
                rest.append((c[4], v))
                continue
            try:
                prefix_parts.append(_esekey.segment(c[0], c[1], c[2], v, c[3]))
            except _esekey.KeyNotNormalisable:
                rest.append((c[4], v))
        prefix = b"".join(prefix_parts)[:self["key_most"]]
        cursor = self._cursor(include_deleted)
        cursor.seek(prefix)

        def keep(ikey: bytes) -> int:
            return 0 if ikey.startswith(prefix) else -1

        records = self._table._iter_records(cursor, keep)
        if not rest:
            return records
        return self._filter_decoded(records, rest)

    @staticmethod
    def _filter_decoded(records: Iterator[EseRecord], rest: List[Tuple[str, Any]]) -> Iterator[EseRecord]:
        seen = set()
        for rec in records:
            ok = all((v in rec[name]) if isinstance(rec[name], list) else rec[name] == v for name, v in rest)
            if ok and (rec.pgno, rec.itag) not in seen:
                seen.add((rec.pgno, rec.itag))
                yield rec

    def range(self, start: Any = None, stop: Any = None, include_deleted: bool = False,
              raw: bool = False) -> Iterator[EseRecord]:
        """The records with ``start <= key < stop`` in the index's order (None: unbounded).

        ``start`` and ``stop`` are values or tuples of values for the leading key columns,
        compared as ESE compares keys: ``range((5,), (7,))`` on an index over (a, b) gives
        every record with a = 5 or a = 6.  On a descending column larger values come first,
        so ``start`` is the larger bound.  With ``raw`` they are normalised key bytes (e.g.
        ``rec.index_key`` of a record), which also works for Unicode text columns, whose
        values esepy cannot normalise (KeyNotNormalisable otherwise)."""
        lo = b"" if start is None else (bytes(start) if raw else self.key(start))
        hi = None if stop is None else (bytes(stop) if raw else self.key(stop))
        cursor = self._cursor(include_deleted)
        cursor.seek(lo)

        def keep(ikey: bytes) -> int:
            return -1 if hi is not None and ikey >= hi else 0

        return self._table._iter_records(cursor, keep)

    def __repr__(self) -> str:
        return f"<EseIndex {self['name']!r} of {self._table.name!r} key={self['key']!r}>"

    __hash__ = None  # type: ignore[assignment]


def _short(v: Any) -> str:
    s = repr(v) if isinstance(v, (bytes, list)) else str(v)
    return s if len(s) <= 80 else s[:77] + "..."


class _TableList(Sequence["EseTable"]):
    """The tables of a database: a sequence (catalog order, every table) that can also be
    indexed by name.

    Two catalog entries can carry the same table name (a table dropped and created again,
    read from a file whose catalog still holds both).  Then the one with the highest objid --
    objids only grow, so it is the newest -- is the live table that ``tables[name]`` returns;
    the others have ``dropped`` True and are reached with :meth:`dropped` (or by position).
    A name is never resolved silently to whichever entry came first."""

    def __init__(self, tables: List[EseTable], note: Optional[str] = None) -> None:
        self._tables = tables
        self._by_name: Dict[str, EseTable] = {}
        for t in tables:
            live = self._by_name.get(t.name)
            if live is None or t.objid > live.objid:
                if live is not None:
                    live.dropped = True
                self._by_name[t.name] = t
            else:
                t.dropped = True
        #: why there are no tables (a database without a stored catalog), else None
        self.note = note

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return self._by_name[key]
            except KeyError:
                why = f": {self.note}" if self.note else ""
                raise KeyError(f"no table named {key!r}{why}") from None
        return self._tables[key]

    def __len__(self) -> int:
        return len(self._tables)

    def __contains__(self, key: object) -> bool:
        return key in self._by_name if isinstance(key, str) else key in self._tables

    def names(self) -> List[str]:
        """Table names in catalog order, each once (a dropped duplicate's name is its live table's)."""
        return [t.name for t in self._tables if not t.dropped]

    def dropped(self, name: Optional[str] = None) -> List[EseTable]:
        """The tables marked dropped (superseded by a live table of the same name), all of
        them or those called ``name``, in catalog order."""
        return [t for t in self._tables if t.dropped and (name is None or t.name == name)]

    def __repr__(self) -> str:
        return f"<tables {self.names()!r}>"


class EseDatabase:
    """An ESE database file opened read-only (see :func:`open_ese`).

    ``header`` (dict), ``tables`` (sequence of :class:`EseTable`, also indexable by
    name), ``damage`` (list of dicts), ``page(n)``, ``verify_pages()``,
    ``recovery_info(log_folder)``.  Use as a context manager or call :meth:`close`.
    """

    def __init__(self, path: "_os.PathLike[str] | str", verify_checksums: bool = True,
                 filetime_columns: "FiletimeColumns" = None) -> None:
        self.path = _os.fspath(path)
        self._filetime_spec = filetime_columns
        #: the file as the caller named it (``path`` is the recovered copy when opened with ``logs=``)
        self.source_path = self.path
        #: what :func:`recover_ese` reported when opened with ``logs=`` (None otherwise)
        self.recovery: Optional[Dict[str, Any]] = None
        self._scratch: Optional[str] = None
        self._file = _esepy.EseFile(self.path, skip_checksums=not verify_checksums)
        self._tables: Optional[_TableList] = None
        self._header: Optional[Dict[str, Any]] = None

    @property
    def header(self) -> Dict[str, Any]:
        """The database header (the valid copy; both copies' checksums are reported).

        Keys include ``state`` (e.g. "DirtyShutdown"), ``dirty``, ``page_size``,
        ``format_version`` (0x620), ``format_revision``, ``gen_min_required`` /
        ``gen_max_required`` (log generations recovery needs), ``lgpos_consistent``,
        ``lgpos_attach`` (generation, sector, byte), ``sign_db`` / ``sign_log``,
        ``os_version``, ``primary_valid`` / ``shadow_valid``, ``page_count`` (data pages in
        the file) and ``pages_owned`` (data pages the database owns by its space tree, 0 if
        unknown: more than ``page_count`` means the file was truncated).
        """
        if self._header is None:
            h = _convert_times(self._file.header())
            h["state"] = DBSTATE_NAMES.get(h["dbstate"], str(h["dbstate"]))
            self._header = h
        return dict(self._header)

    @property
    def tables(self) -> _TableList:
        """The tables of the catalog (MSysObjects included), in catalog order; ``tables[name]`` is
        the live table of that name, ``tables.dropped(name)`` the entries a newer table of the same
        name supersedes (marked ``dropped``; see :class:`_TableList`)."""
        if self._tables is None:
            infos = self._file.tables()
            filetime = _resolve_filetime(self._filetime_spec, infos)
            tables = [EseTable(self, i, t, filetime.get(t["name"], ())) for i, t in enumerate(infos)]
            note = NO_CATALOG_NOTE if not tables and self._file.header().get("no_catalog") else None
            self._tables = _TableList(tables, note)
        return self._tables

    @property
    def no_catalog(self) -> bool:
        """True when the file stores no catalog (its catalog page is blank or an empty root
        leaf): a temporary database such as NTDS ``temp.edb``, whose tables exist only while
        ESE runs.  :attr:`tables` is then empty and asking for a table says why."""
        return self.tables.note is not None

    def table(self, name: str) -> EseTable:
        """The table called ``name`` (KeyError if there is none)."""
        table: EseTable = self.tables[name]
        return table

    @property
    def damage(self) -> List[Dict[str, Any]]:
        """Damage met so far: dicts with ``pgno``, ``error`` (JET_ERR), ``objid`` and ``what``."""
        return self._file.damage()

    def check_integrity(self, records: bool = True) -> Dict[str, Any]:
        """B+tree and space check of the database (``esepy integrity`` on a Windows file).

        Walks every tree reachable from the catalog -- the database root, each table, its
        long-value tree and secondary indexes, and each one's owned- and available-extent
        (space) trees -- checking page checksums, one objidFDP per tree, keys ascending
        within pages and across siblings, every key within the bounds of its parent's
        separators, leaves at one depth, sibling links matching the walk and no page
        reached twice; then the space: no page owned by two trees (other than a tree and
        its parent), every page in use owned by its tree and not listed free.  With
        ``records`` every record of every table is then read and decoded (long values
        included), which adds any record damage met.

        Returns ``{"ok", "tables", "trees", "pages_checked", "pages_owned", "findings",
        "records"}``: ``findings`` lists every problem (dicts with ``pgno``, ``error``,
        ``objid``, ``what``), including damage met earlier on this handle; ``records`` the
        number read (None when skipped).  A database without a stored catalog raises
        :class:`esepy.errors.ObjectNotFound` saying so."""
        if self.tables.note is not None:
            raise errors.ObjectNotFound(operation=f"integrity of {self.path}: {self.tables.note}")
        counts: Dict[str, Any] = self._file.check_integrity()
        nrec: Optional[int] = None
        if records:
            nrec = 0
            for t in self.tables:
                for _ in t.rows():
                    nrec += 1
        findings = self.damage
        out: Dict[str, Any] = {"ok": not findings, "tables": counts["tables"], "trees": counts["trees"],
                               "pages_checked": counts["pages_checked"], "pages_owned": counts["pages_owned"],
                               "findings": findings, "records": nrec}
        return out

    def page(self, pgno: int) -> Dict[str, Any]:
        """Describe data page ``pgno`` (1-based): checksum status (``status``: "ok", "blank",
        "bad_checksum", "bad_pgno"; ``checksum_ok``), header fields and ``data`` (raw bytes)."""
        info = self._file.page_info(pgno)
        info["data"] = self._file.read_page(pgno)
        return info

    def page_tag(self, pgno: int, itag: int) -> Tuple[int, bytes]:
        """(flags, bytes) of tag ``itag`` of page ``pgno`` (flags: 0x1 possibly versioned -- a hint, not a
        commit state --, 0x2 deleted, 0x4 compressed key)."""
        return self._file.page_tag(pgno, itag)

    def verify_pages(self) -> Dict[str, Any]:
        """Verify the checksum of every page.  Returns ``{"pages", "ok", "blank", "bad": [pgno...],
        "bad_pages": [page info dicts], "pages_owned", "missing": [pgno...]}``: ``missing`` lists
        the pages the database owns that a truncated file lacks.  Every bad page is also
        recorded in :attr:`damage` (as is the truncation, when the file was opened)."""
        h = self.header
        n = h["page_count"]
        ok = blank = 0
        bad: List[Dict[str, Any]] = []
        for pgno in range(1, n + 1):
            info = self._file.page_info(pgno)
            if info["status"] == "ok":
                ok += 1
            elif info["status"] == "blank":
                blank += 1
            else:
                bad.append(info)
        missing = list(range(n + 1, h["pages_owned"] + 1))
        return {"pages": n, "ok": ok, "blank": blank, "bad": [b["pgno"] for b in bad], "bad_pages": bad,
                "pages_owned": h["pages_owned"], "missing": missing}

    def recovery_info(self, log_folder: Optional[str] = None) -> Dict[str, Any]:
        """What recovery would need: ``dirty``, ``gen_min_required`` .. ``gen_max_required``,
        and with ``log_folder`` the log survey, which needed generations are ``present`` /
        ``missing`` and whether their signature matches the database's ``sign_log``."""
        h = self.header
        lo, hi = h["gen_min_required"], h["gen_max_required"]
        needed = list(range(lo, hi + 1)) if h["dirty"] and lo > 0 and hi >= lo else []
        out: Dict[str, Any] = {"dirty": h["dirty"], "state": h["state"], "gen_min_required": lo,
                               "gen_max_required": hi, "needed": needed,
                               "lgpos_consistent": h["lgpos_consistent"], "lgpos_attach": h["lgpos_attach"]}
        if log_folder is not None:
            scan = scan_log_folder(log_folder)
            by_gen = {f["generation"]: f for f in scan["files"] if f["role"] in ("archived", "current")}
            out["logs"] = scan
            out["present"] = [g for g in needed if g in by_gen]
            out["missing"] = [g for g in needed if g not in by_gen]
            out["signature_mismatch"] = [g for g in out["present"]
                                         if by_gen[g]["sign_random"] != h["sign_log"]["random"]]
            out["replayable_logs_present"] = not out["missing"] and not out["signature_mismatch"]
        return out

    def close(self) -> None:
        """Close the file (and delete the recovered temporary copy, if any)."""
        self._file.close()
        if self._scratch is not None:
            _shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> "EseDatabase":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        h = self.header
        return f"<EseDatabase {self.path!r} {h['state']} {h['page_size'] // 1024} KiB pages>"

    def _repr_html_(self) -> str:
        h = self.header
        rows = [("path", self.path), ("state", h["state"]), ("page size", h["page_size"]),
                ("format", f"0x{h['format_version']:x} rev {h['format_revision']}"),
                ("OS", ".".join(str(x) for x in h["os_version"][:3])),
                ("pages", h["page_count"]),
                ("logs needed", f"{h['gen_min_required']}..{h['gen_max_required']}" if h["dirty"] else "none"),
                ("damage found", len(self.damage))]
        from ._display import html_fields, html_table
        return (html_fields("ESE database", rows)
                + html_table("tables", ["table", "columns"], [(t.name, len(t.columns)) for t in self.tables]))


#: what ``open_ese(filetime_columns=...)`` accepts: None, "known", or table name ("*": every
#: table) -> column names
FiletimeColumns = Optional[Any]


def _resolve_filetime(spec: FiletimeColumns, infos: List[Dict[str, Any]]) -> Dict[str, List[str]]:
    """table name -> columns to read as FILETIMEs, from open_ese's ``filetime_columns``."""
    if spec is None:
        return {}
    coltypes = {t["name"]: {c["name"]: c["coltyp"] for c in t["columns"]} for t in infos}
    if isinstance(spec, str):
        if spec != "known":
            raise ValueError(f"filetime_columns={spec!r}: use None, 'known' or a mapping of table "
                             "name to column names")
        from .artifacts import _schemas
        out: Dict[str, List[str]] = {}
        for table, columns in _schemas.known_filetime_columns(list(coltypes)).items():
            # built-in knowledge: only columns that exist here and are 64 bits wide
            ok = [c for c in columns if coltypes[table].get(c) in _COLTYP_FILETIME_INTS + (_COLTYP_DATETIME,)]
            if ok:
                out[table] = ok
        return out
    if not hasattr(spec, "items"):
        raise TypeError("filetime_columns must be None, 'known' or a mapping of table name to column names")
    out = {}
    for table, columns in spec.items():
        columns = [columns] if isinstance(columns, str) else list(columns)
        targets = list(coltypes) if table == "*" else [table]
        for t in targets:
            if t not in coltypes:
                raise ValueError(f"filetime_columns: no table named {t!r}")
            missing = [c for c in columns if c not in coltypes[t]]
            if missing and table != "*":
                raise ValueError(f"filetime_columns: table {t!r} has no column {missing[0]!r}")
            have = [c for c in columns if c in coltypes[t]]
            if have:
                out.setdefault(t, []).extend(c for c in have if c not in out.get(t, []))
    return out


def open_ese(path: "_os.PathLike[str] | str", *, logs: "Optional[_os.PathLike[str] | str]" = None,
             verify_checksums: bool = True, filetime_columns: FiletimeColumns = None) -> EseDatabase:
    """Open a real ESE database file read-only (SRUDB.dat, qmgr.db, WebCacheV01.dat, ntds.dit, ...).

    The file is never written; dirty databases open as they are.  With
    ``logs`` (the folder of its ``*.log`` and ``*.chk``) a dirty database is
    first recovered with :func:`recover_ese` into a temporary copy, which is
    what is read (``db.path``; ``db.source_path`` is ``path``, ``db.recovery``
    the recovery report) and which :meth:`EseDatabase.close` deletes; a
    database that recovery refuses raises the refusal.  A clean database is
    read as it is (``db.recovery["was_clean"]``).  With ``verify_checksums``
    (default) every page read is checked and failures are listed in
    :attr:`EseDatabase.damage`.  Raises :class:`esepy.errors.FileNotFound`,
    :class:`esepy.errors.FileInvalidType` (not an ESE database),
    :class:`esepy.errors.ReadVerifyFailure` (neither header copy is valid), ...

    ``filetime_columns`` says which 64-bit columns hold Windows FILETIMEs (100 ns since
    1601, UTC), returned as timezone-aware UTC datetimes (0 as None) instead of integers:
    None (default: values as stored), ``"known"`` (the columns the artefact schemas of
    :mod:`esepy.artifacts` name: SRUM's ConnectStartTime, EventTimestamp, StartTime/EndTime;
    UAL's DateTime columns, which hold FILETIMEs), or a mapping of table name (``"*"``: every
    table that has the column) to column names.  Only LongLong, UnsignedLongLong, Currency and
    DateTime columns qualify; no other column is ever guessed to be a time.
    """
    try:
        db = EseDatabase(path, verify_checksums=verify_checksums, filetime_columns=filetime_columns)
    except errors.FileInvalidType:
        _wrong_reader(path, "esepy.open_ese", "database")
        raise
    if filetime_columns is not None and logs is None:
        try:
            db.tables           # a wrong table or column name fails here, not at first read
        except BaseException:
            db.close()
            raise
    if logs is None:
        return db
    if not db.header["dirty"]:
        db.recovery = {"was_clean": True, "reason": "the database is already clean: nothing to recover"}
        return db
    db.close()
    scratch = _tempfile.mkdtemp(prefix="esepy-recover-")
    try:
        out = _os.path.join(scratch, _os.path.basename(_os.fspath(path)))
        report = recover_ese(path, logs, out)
        rdb = EseDatabase(out, verify_checksums=verify_checksums, filetime_columns=filetime_columns)
    except BaseException:
        _shutil.rmtree(scratch, ignore_errors=True)
        raise
    rdb.source_path = _os.fspath(path)
    rdb.recovery = report
    rdb._scratch = scratch
    return rdb


def recover_ese(db: "_os.PathLike[str] | str", logs: "_os.PathLike[str] | str",
                output: "Optional[_os.PathLike[str] | str]" = None, *,
                progress: Optional[Callable[[Any], Any]] = None, in_place: bool = False) -> Dict[str, Any]:
    """Soft recovery of a Windows ESE database (``esentutl /r`` without Windows), with page redo.

    Reads every log generation of ``logs`` from the checkpoint on (``SRU.chk``, ``SRU*.log``:
    segment checksums, the generation chain, the attach state machine, sessions).  Every page
    change the logs hold for ``db`` inside its attached window is replayed by ESE's dbtime rule
    when the page lacks it -- Insert (prefix-compressed keys), FlagInsert,
    FlagInsertAndReplaceData, FlagDelete, Replace, ReplaceD, Delete, Delta, Delta64,
    SetExternalHeader, NewPage, CreateSingleExtentFDP, CreateMultipleExtentFDP, ConvertFDP2, EmptyTree,
    ExtendDB, and macros (buffered, replayed at MacroCommit) -- and
    must otherwise already be on its page.  No transaction may be left open (undo is not done
    yet).  Then writes ``output``: a copy of ``db`` with the redone pages (checksums
    recomputed) whose two header copies say CleanShutdown (consistent position, detach time,
    required generations cleared, dbtime and objid at the maxima seen; no ``.jfm``).  The
    output is written through a temporary file, fsynced and renamed; it must not exist.
    ``db`` and the logs are never written -- except with ``in_place=True`` (no ``output``),
    which rewrites ``db``'s header pages (or replaces ``db`` with the redone copy) and deletes
    its ``.jfm``: only for a file you say is a copy.

    ``progress`` is called with an :class:`esepy.Progress` (operation ``"recover"``,
    ``done``/``total`` counting log generations).  Returns the report: ``lgpos_consistent``
    written, ``generations`` read, ``lgpos_redo_start``, ``lgpos_attached``, ``records``,
    ``records_redone`` (page records of the window handed to redo), ``pages_redone`` (changes
    a page lacked and got), ``page_references_applied`` (changes already on their pages) /
    ``_outside``, ``database_pages``, ``segments_corrected``, ``dbtime_after``,
    ``objid_after``, ``was_clean``, ...  Transactions the logs leave open are rolled back
    (their inserts left flag-deleted, before-images restored; no log is written):
    ``sessions_undone``, ``versions_undone``, ``undone_session`` (procid, trx, where it
    began), ``versions``, ``undo_records``.

    Refusals raise the JET error with the reason as its text and the report as the
    exception's ``recovery`` attribute (``record_type``, ``lgpos``, ``pgno``,
    ``generation_missing``, ``reason``), and leave no file behind:
    :class:`esepy.errors.FeatureNotAvailable` when a page lacks a change of a record not
    replayed yet (Split2, Merge2 and EmptyTree are; PageMove, ConvertFDP2 and Scrub are not) or a
    rollback that cannot be done (a deferred replace without its UndoInfo); ``RecordNotFound``
    (a node to roll back is gone); ``DbTimeTooOld`` / ``DbTimeTooNew`` (the page is older than the
    record's before-dbtime / between before and after: a lost flush the logs cannot bridge),
    ``DbTimeBeyondMaxRequired``, ``DatabaseLogSetMismatch`` (logs of another database),
    ``AttachedDatabaseMismatch``, ``MissingLogFile`` / ``RequiredLogFilesMissing``,
    ``LogFileCorrupt``, ``FileAlreadyExists``.
    """
    from ._backup import Progress
    dbp = _os.fspath(db)
    logp = _os.fspath(logs)
    if in_place:
        if output is not None:
            raise ValueError("in_place=True rewrites the database itself: give no output")
        outp = dbp
    else:
        if output is None:
            raise TypeError("recover_ese needs an output path (or in_place=True on a file that is a copy)")
        outp = _os.fspath(output)
        if _os.path.exists(outp) and _os.path.exists(dbp) and _os.path.samefile(outp, dbp):
            raise ValueError("the output is the input database: the evidence is never written "
                             "(use in_place=True only on a copy)")
    if not _os.path.isdir(logp):
        raise errors.InvalidPath(operation=f"log folder {logp}: no such folder")
    if progress is not None and not callable(progress):
        raise TypeError("progress must be callable")
    cb = None
    if progress is not None:
        def cb(generation: int, done: int, total: int) -> None:
            progress(Progress("recover", "complete" if done >= total else "progress", done, total))
    try:
        report: Dict[str, Any] = _esepy._ese_recover(dbp, logp, outp, in_place, cb)
    except errors.FileInvalidType:
        _wrong_reader(dbp, "esepy.recover_ese", "database")
        raise
    return report


def _wrong_reader(path: "_os.PathLike[str] | str", reader: str, kind: str) -> None:
    """Raise the FileInvalidType that names the reader fitting ``path`` when it
    is not a Windows ESE ``kind`` (an esepy file, a log handed to open_ese, ...)."""
    from ._formats import WINDOWS, wrong_reader
    better = wrong_reader(path, reader, WINDOWS, kind)
    if better is not None:
        raise better from None


def read_log_header(path: "_os.PathLike[str] | str") -> Dict[str, Any]:
    """Header of an ESE transaction log (``SRU.log``, ``edb0001A.log``): ``generation``,
    ``sign_log``, ``created``, ``previous_generation_created``, ``version``, ``attached``
    databases, ``lgpos_checkpoint``, ``checksum_ok``, ...  A header with a bad checksum is
    returned with ``checksum_ok`` False; a non-log file raises FileInvalidType."""
    try:
        header: Dict[str, Any] = _convert_times(_esepy._ese_read_log_header(_os.fspath(path)))
    except errors.FileInvalidType:
        _wrong_reader(path, "esepy.ese.read_log_header", "log")
        raise
    return header


def read_checkpoint(path: "_os.PathLike[str] | str") -> Dict[str, Any]:
    """Header of an ESE checkpoint file (``SRU.chk``): ``lgpos_checkpoint`` (where redo
    starts), ``sign_log``, ``copies_valid``, ``attached`` databases, ..."""
    try:
        header: Dict[str, Any] = _convert_times(_esepy._ese_read_checkpoint(_os.fspath(path)))
    except errors.FileInvalidType:
        _wrong_reader(path, "esepy.ese.read_checkpoint", "checkpoint")
        raise
    return header


def scan_log_folder(folder: "_os.PathLike[str] | str", base: Optional[str] = None) -> Dict[str, Any]:
    """Survey the log files of ``folder`` (base name such as "SRU" or "edb"; found from
    the checkpoint or current log when None).

    Returns ``{"base", "files", "generations": (first, last), "missing": [...],
    "out_of_sequence": [...], "signature_mismatch": [...], "unreadable": [...], "ok"}``:
    ``missing`` lists generations absent between the first and the current one,
    ``out_of_sequence`` the generations whose previous-generation time does not match
    the creation time of the generation before (or whose file name disagrees with
    the header), ``signature_mismatch`` logs of another log stream.
    """
    files = _convert_times(_esepy._ese_scan_log_folder(_os.fspath(folder), base))
    seq = [f for f in files if f["role"] in ("archived", "current") and f["error"] >= 0]
    gens = sorted({f["generation"] for f in seq})
    missing: List[int] = []
    if gens:
        have = set(gens)
        missing = [g for g in range(gens[0], gens[-1] + 1) if g not in have]
    out_of_seq = sorted({f["generation"] for f in seq
                         if f["linked_to_previous"] is False or not f["name_matches"]})
    dup = sorted({g for g in gens if sum(1 for f in seq if f["generation"] == g) > 1})
    sig = [f["file"] for f in seq if not f["signature_matches"]]
    unreadable = [f["file"] for f in files if f["role"] in ("archived", "current") and f["error"] < 0]
    found_base = base
    if found_base is None and files:
        found_base = files[0]["file"][:3]
    return {"base": found_base, "files": files, "generations": (gens[0], gens[-1]) if gens else None,
            "missing": missing, "out_of_sequence": out_of_seq, "duplicates": dup,
            "signature_mismatch": sig, "unreadable": unreadable,
            "ok": bool(gens) and not (missing or out_of_seq or sig or unreadable or dup)}


def decompress(data: bytes) -> bytes:
    """Decompress one ESE compressed value (7-bit ASCII, 7-bit Unicode or XPRESS).

    Raises :class:`esepy.errors.FeatureNotAvailable` for XPRESS9/XPRESS10/LZ4 and
    :class:`esepy.errors.DecompressionFailed` for damaged data."""
    out: bytes = _esepy._ese_decompress(data)
    return out


def _ole_bits(value: float) -> int:
    """The int64 that holds an OLE date double (how dissect.esedb reports DateTime)."""
    bits: int = _struct.unpack("<q", _struct.pack("<d", value))[0]
    return bits

