"""Databases, tables and records for Python: typed values over the JET ISAM.

:class:`Session` (what ``Instance.begin_session()`` returns) opens databases;
a :class:`Database` creates and opens tables; a :class:`Table` inserts,
retrieves, updates, deletes, seeks and iterates records as dicts of typed
values.  Every engine call releases the GIL.

Column types, by name or :class:`ColumnType`::

    bit (bool), ubyte, short, ushort, long, ulong, longlong, ulonglong,
    currency (int), float, double (float), datetime (datetime.datetime),
    guid (uuid.UUID), text (str, <= 255 bytes), binary (bytes, <= 255),
    longtext (str), longbinary (bytes)

Text columns created from Python are Unicode (code page 1200) unless
``codepage=1252`` is given.  Columns can also be described with
:class:`ColumnDef` (autoincrement, version and escrow columns among them).

Long values (longtext / longbinary) are ``str`` / ``bytes`` for ordinary
sizes; a big one is written from any readable file-like object (its pieces
are appended, the value is never held whole) and read back piecewise with
:meth:`Table.open_value`.
"""
from __future__ import annotations

import datetime as _dt
import enum
import io
import os
import struct
import uuid
import weakref
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, Union

from . import _esepy
from . import errors
from . import _paths
from ._param_types import PathArg

#: One column value as Python sees it: None (NULL), bool (Bit), int (Byte..LongLong,
#: Currency, UnsignedX), float (IEEESingle/Double), str (Text/LongText), bytes
#: (Binary/LongBinary), datetime.datetime (DateTime), uuid.UUID (GUID), or a list of
#: these for a multi-valued column.
Value = Union[None, bool, int, float, str, bytes, "_dt.datetime", "uuid.UUID", List[Any]]
#: A record: column name -> value (see :data:`Value`).  Values are typed as Any so
#: that ``rec["id"] + 1`` needs no cast; :data:`Value` says what they can be.
Record = Dict[str, Any]

# JET_prep*
_PREP_INSERT, _PREP_REPLACE, _PREP_CANCEL = 0, 2, 3
# JetMove
_MOVE_FIRST, _MOVE_LAST = -0x80000000, 0x7FFFFFFF
# JetSeek
SEEK_EQ, SEEK_LT, SEEK_LE, SEEK_GE, SEEK_GT = 0x1, 0x2, 0x4, 0x8, 0x10
_NEW_KEY = 0x1
_WRN_SEEK_NOT_EQUAL = 1039
# commit / rollback / transaction grbits
_COMMIT_LAZY, _ROLLBACK_ALL, _TRX_READONLY = 0x1, 0x1, 0x1
# column grbits
_COL_FIXED, _COL_TAGGED, _COL_NOTNULL, _COL_MULTIVALUED = 0x1, 0x2, 0x4, 0x400
_RETRIEVE_FROM_INDEX, _RETRIEVE_FROM_PRIMARY_BOOKMARK = 0x2, 0x4
_COL_VERSION, _COL_AUTOINCREMENT, _COL_ESCROW = 0x8, 0x10, 0x800
_ESCROW_NO_ROLLBACK = 0x1  # JET_bitEscrowNoRollback
# JetSetColumn / JetRetrieveColumn grbits
_SET_APPEND_LV, _SET_ZERO_LENGTH, _RETRIEVE_COPY = 0x1, 0x20, 0x1
_LV_PIECE = 1 << 20  # bytes per JetSetColumn / JetRetrieveColumn call when streaming
_IDX_PRIMARY, _IDX_UNIQUE = 0x2, 0x1
_IDX_DISALLOW_NULL, _IDX_IGNORE_NULL, _IDX_IGNORE_ANY_NULL, _IDX_IGNORE_FIRST_NULL = 0x4, 0x8, 0x20, 0x40
_IDX_SORT_NULLS_HIGH = 0x400
_IDX_COL_MUST_BE_NULL = 0x1  # JET_bitIndexColumnMustBeNull
_IDX_COL_MUST_BE_NON_NULL = 0x2  # JET_bitIndexColumnMustBeNonNull
# JetMakeKey limits, JetSetIndexRange, JetSetCurrentIndex2
_FULL_COLUMN_END_LIMIT = 0x200
_RANGE_INCLUSIVE, _RANGE_UPPER = 0x1, 0x2
_NO_MOVE = 0x2
# temporary tables: JET_bitColumnTT*, JET_bitTT*
_COL_TT_KEY, _COL_TT_DESCENDING = 0x40, 0x80
_TT_INDEXED, _TT_UNIQUE, _TT_UPDATABLE, _TT_SCROLLABLE = 0x1, 0x2, 0x4, 0x8
_TT_SORT_NULLS_HIGH, _TT_ERROR_ON_DUPLICATE = 0x10, 0x20


class ColumnType(enum.IntEnum):
    """JET_coltyp values."""

    BIT = 1
    UNSIGNED_BYTE = 2
    SHORT = 3
    LONG = 4
    CURRENCY = 5
    IEEE_SINGLE = 6
    IEEE_DOUBLE = 7
    DATETIME = 8
    BINARY = 9
    TEXT = 10
    LONG_BINARY = 11
    LONG_TEXT = 12
    UNSIGNED_LONG = 14
    LONG_LONG = 15
    GUID = 16
    UNSIGNED_SHORT = 17
    UNSIGNED_LONG_LONG = 18


_TYPE_NAMES = {
    "bit": ColumnType.BIT, "bool": ColumnType.BIT, "ubyte": ColumnType.UNSIGNED_BYTE,
    "short": ColumnType.SHORT, "ushort": ColumnType.UNSIGNED_SHORT, "long": ColumnType.LONG,
    "int": ColumnType.LONG, "ulong": ColumnType.UNSIGNED_LONG, "longlong": ColumnType.LONG_LONG,
    "int64": ColumnType.LONG_LONG, "ulonglong": ColumnType.UNSIGNED_LONG_LONG,
    "currency": ColumnType.CURRENCY, "float": ColumnType.IEEE_SINGLE, "double": ColumnType.IEEE_DOUBLE,
    "datetime": ColumnType.DATETIME, "guid": ColumnType.GUID, "uuid": ColumnType.GUID,
    "text": ColumnType.TEXT, "binary": ColumnType.BINARY, "longtext": ColumnType.LONG_TEXT,
    "longbinary": ColumnType.LONG_BINARY,
}

_STRUCT = {
    ColumnType.UNSIGNED_BYTE: "<B", ColumnType.SHORT: "<h", ColumnType.UNSIGNED_SHORT: "<H",
    ColumnType.LONG: "<i", ColumnType.UNSIGNED_LONG: "<I", ColumnType.LONG_LONG: "<q",
    ColumnType.UNSIGNED_LONG_LONG: "<Q", ColumnType.CURRENCY: "<q", ColumnType.IEEE_SINGLE: "<f",
    ColumnType.IEEE_DOUBLE: "<d",
}

_OLE_EPOCH = _dt.datetime(1899, 12, 30)


def _coltype(t: Union[str, int, ColumnType]) -> ColumnType:
    if isinstance(t, str):
        try:
            return _TYPE_NAMES[t.lower()]
        except KeyError:
            raise TypeError(f"unknown column type {t!r}; valid: {', '.join(sorted(_TYPE_NAMES))}") from None
    return ColumnType(t)


class ColumnDef:
    """A column to create: ``esepy.ColumnDef("n", "long", autoincrement=True)``.

    ``type`` is a type name or :class:`ColumnType`; ``default`` a Python value
    of that type.  ``autoincrement`` (long / currency) numbers inserted
    records 1, 2, 3...; ``version`` (long) counts a record's updates;
    ``escrow`` (long / longlong, needs a ``default``) is changed with
    :meth:`Table.escrow_update`.  ``fixed`` stores text / binary at
    ``max_length`` bytes.  Pass a list of these as ``create_table``'s columns,
    or one as a value of its mapping.
    """

    __slots__ = {
        "name": "The column's name.",
        "type": "A type name or ColumnType.",
        "not_null": "Records must have a value (or the default).",
        "max_length": "Longest value in bytes (text / binary; 0 = the type's maximum).",
        "codepage": "For text: 1200 (Unicode) or 1252 (ASCII).",
        "tagged": "Stored as a tagged column.",
        "multi_valued": "Holds a list of values (tagged).",
        "default": "The value of records that do not set one (None: no default).",
        "fixed": "Text / binary stored at max_length bytes.",
        "autoincrement": "Numbered by the engine on insert (long / currency).",
        "version": "Counted up by the engine on every update (long).",
        "escrow": "Changed with Table.escrow_update (long / longlong, needs a default).",
    }

    def __init__(self, name: str, type: Union[str, int, "ColumnType"], *, not_null: bool = False,
                 max_length: int = 0, codepage: int = 1200, tagged: bool = False, multi_valued: bool = False,
                 default: Any = None, fixed: bool = False, autoincrement: bool = False, version: bool = False,
                 escrow: bool = False):
        self.name, self.type, self.not_null, self.max_length = name, type, not_null, max_length
        self.codepage, self.tagged, self.multi_valued, self.default = codepage, tagged, multi_valued, default
        self.fixed, self.autoincrement, self.version, self.escrow = fixed, autoincrement, version, escrow

    def options(self) -> Dict[str, Any]:
        """Keyword arguments of :meth:`Table.add_column` for this column."""
        return {k: getattr(self, k) for k in self.__slots__ if k != "name"}

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options().items()
                         if k != "type" and v != ColumnDef.__init__.__kwdefaults__[k])
        return f"ColumnDef({self.name!r}, {self.type!r}{', ' + opts if opts else ''})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ColumnDef) and (self.name, self.options()) == (other.name, other.options())

    __hash__ = None  # type: ignore[assignment]


class LongValueReader(io.RawIOBase):
    """A long value of the current record, read in pieces (JET_RETINFO.ibLongValue).

    Returned by :meth:`Table.open_value`; seekable; reads bytes (the column's
    raw bytes, UTF-16-LE or cp1252 for text).  Valid while the cursor stays on
    the record."""

    def __init__(self, table: "Table", col: "Column", itag: int = 1):
        super().__init__()
        self._table, self._col, self._itag, self._pos = table, col, itag, 0
        got = table._read_value(col.columnid, 0, 0, 0, itag)
        self.size = 0 if got is None else got[1]
        """The value's length in bytes."""

    def readable(self) -> bool:
        """Always True."""
        return True

    def seekable(self) -> bool:
        """Always True."""
        return True

    def tell(self) -> int:
        """The read position."""
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the read position (as io.IOBase.seek)."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        """Read up to len(buffer) bytes from the position into buffer."""
        mv = memoryview(buffer).cast("B")
        n = min(len(mv), max(0, self.size - self._pos))
        if n == 0:
            return 0
        got = self._table._read_value(self._col.columnid, self._pos, n, 0, self._itag)
        data = b"" if got is None else got[0]
        mv[:len(data)] = data
        self._pos += len(data)
        return len(data)


class Column:
    """A column of a table: name, id, type, size, flags and text code page."""

    __slots__ = {
        "name": "The column's name.",
        "columnid": "Its JET_COLUMNID.",
        "coltyp": "Its type (ColumnType).",
        "cb_max": "Its size (fixed types) or longest value in bytes (0 = the type's maximum).",
        "grbit": "Its JET_bitColumn* flags.",
        "codepage": "For text: 1200 (Unicode) or 1252 (ASCII); 0 otherwise.",
        "_default": "Its default value's bytes, None, or the _ColumnDefaults to read them from.",
    }

    def __init__(self, name: str, columnid: int, coltyp: int, cb_max: int, grbit: int, codepage: int,
                 default_raw: "Optional[bytes] | _ColumnDefaults" = None):
        self.name = name
        self.columnid = columnid
        self.coltyp = ColumnType(coltyp)
        self.cb_max = cb_max
        self.grbit = grbit
        self.codepage = codepage
        self._default = default_raw

    @property
    def default_raw(self) -> Optional[bytes]:
        """Its default value as stored (bytes), None when it has none (JET_COLUMNLIST's
        columnidDefault; read from the table the first time a column of it is asked)."""
        d = self._default
        if isinstance(d, _ColumnDefaults):
            d = self._default = d.get(self.name)
        return d

    @property
    def default(self) -> Any:
        """Its default value as a Python value (what a record that does not set the column
        reads), None when it has none (JET_COLUMNLIST's columnidDefault)."""
        raw = self.default_raw
        return None if raw is None else self.decode(raw)

    def __repr__(self) -> str:
        return f"Column({self.name!r}, {self.coltyp.name.lower()}, id={self.columnid})"

    def encode(self, value: Any) -> Optional[bytes]:
        """Python value -> the column's bytes (None stays None: NULL)."""
        if value is None:
            return None
        t = self.coltyp
        try:
            if t == ColumnType.BIT:
                return b"\xff" if value else b"\x00"
            if t in _STRUCT:
                return struct.pack(_STRUCT[t], value)
            if t == ColumnType.DATETIME:
                if isinstance(value, _dt.datetime):
                    if value.tzinfo is not None:
                        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
                    value = (value - _OLE_EPOCH) / _dt.timedelta(days=1)
                return struct.pack("<d", float(value))
            if t == ColumnType.GUID:
                if not isinstance(value, uuid.UUID):
                    value = uuid.UUID(str(value))
                return value.bytes_le
            if t in (ColumnType.TEXT, ColumnType.LONG_TEXT):
                if not isinstance(value, str):
                    raise TypeError(f"column {self.name!r} takes str, not {type(value).__name__}")
                return value.encode("utf-16-le" if self.codepage == 1200 else "cp1252")
            if t in (ColumnType.BINARY, ColumnType.LONG_BINARY):
                return bytes(value)
        except struct.error as e:
            raise ValueError(f"value {value!r} does not fit column {self.name!r} ({t.name.lower()}): {e}") from None
        raise TypeError(f"unsupported column type {t}")

    def decode(self, raw: Optional[bytes]) -> Any:
        """The column's bytes -> Python value."""
        if raw is None:
            return None
        t = self.coltyp
        if t == ColumnType.BIT:
            return raw != b"\x00"
        if t in _STRUCT:
            return struct.unpack(_STRUCT[t], raw)[0]
        if t == ColumnType.DATETIME:
            days = struct.unpack("<d", raw)[0]
            return _OLE_EPOCH + _dt.timedelta(days=days)
        if t == ColumnType.GUID:
            return uuid.UUID(bytes_le=raw)
        if t in (ColumnType.TEXT, ColumnType.LONG_TEXT):
            return raw.decode("utf-16-le" if self.codepage == 1200 else "cp1252", errors="surrogatepass")
        return raw


def _missing_pages_text(path: str) -> str:
    """One line naming a truncated database file and its missing pages ("" if it is whole
    or unreadable): the detail of the JET_errDatabaseCorrupted attach raises for it."""
    from . import inspection
    try:
        return inspection.DatabaseFile(path).missing_text()
    except (errors.JetError, OSError, ValueError, struct.error):
        return ""


class Session(_esepy.Session):
    """A session of an Instance: databases, transactions.

    Use ``Instance.begin_session()``; a session is a context manager that ends
    it.  One thread at a time may use a session.
    """

    def __repr__(self) -> str:
        if self.closed:
            return "<esepy.Session ended>"
        inst = self.instance
        return f"<esepy.Session sesid={self.sesid} of instance {getattr(inst, 'name', None)!r}>"

    def create_database(self, path: PathArg, *, overwrite: bool = False, recovery: bool = True) -> "Database":
        """Create, attach and open a database file (JetCreateDatabase2)."""
        grbit = (0x200 if overwrite else 0) | (0 if recovery else 0x8)
        try:
            dbid = self._create_database(os.fspath(path), grbit)
        except errors.JetError as e:
            raise _paths.explain(e, [("database", path, "new-file")]) from None
        return Database(self, dbid, os.fspath(path))

    def attach_database(self, path: PathArg, *, read_only: bool = False) -> "Database":
        """Attach an existing database file and open it (JetAttachDatabase2 + JetOpenDatabase).

        A truncated file raises :class:`esepy.errors.DatabaseCorrupted` naming the file and
        its missing pages; a path error names the path."""
        try:
            self._attach_database(os.fspath(path), 0x1 if read_only else 0)
        except errors.DatabaseCorrupted as e:
            detail = _missing_pages_text(os.fspath(path))
            if not detail:
                raise
            raise errors.DatabaseCorrupted(e.code, f"JetAttachDatabase2: {detail}") from None
        except errors.JetError as e:
            raise _paths.explain(e, [("database", path, "file")]) from None
        return self.open_database(path)

    def open_database(self, path: PathArg) -> "Database":
        """Open a database already attached to the instance (JetOpenDatabase)."""
        return Database(self, self._open_database(os.fspath(path), 0), os.fspath(path))

    def detach_database(self, path: Optional[PathArg] = None) -> None:
        """Detach a database (all with None): flush, mark clean, close (JetDetachDatabase2)."""
        self._detach_database(None if path is None else os.fspath(path), 0)

    def compact(self, source: PathArg, dest: PathArg,
                progress: Optional[Callable[[int, int], Any]] = None) -> None:
        """Copy the database ``source`` into the new file ``dest``, dense (JetCompact).

        ``source`` may be attached or not (it is attached read-only for the copy);
        ``dest`` must not exist (``esepy.errors.DatabaseDuplicate``) and appears only
        once complete.  ``progress(done, total)`` is called with records copied so
        far and in all; an exception it raises cancels the compaction (no ``dest``)
        and reaches the caller.  The GIL is released while the engine works.
        """
        try:
            self._compact(os.fspath(source), os.fspath(dest), progress, 0)
        except errors.JetError as e:
            raise _paths.explain(e, [("database", source, "file"), ("database", dest, "new-file")]) from None

    def begin_transaction(self, *, read_only: bool = False) -> None:
        """Begin (or nest) a transaction (JetBeginTransaction2)."""
        self._begin_transaction(_TRX_READONLY if read_only else 0)

    def commit(self, *, lazy: bool = False, durable_within_ms: int = 0) -> int:
        """Commit the innermost level; durable on return unless ``lazy`` (JetCommitTransaction2).

        A lazy commit becomes durable with a later durable commit, a flush, or -- with
        ``durable_within_ms`` > 0 -- at the latest that many milliseconds later (the log
        writer's flusher thread).  Returns the commit id: the log position of the commit
        record as one number (ESENT's ``JET_COMMIT_ID.commitId``), which grows with every
        commit; 0 for a nested level or a transaction that changed nothing logged.  A commit
        is durable once ``JET_paramDurableCommitCallback`` (C API) reported a greater id.
        """
        if durable_within_ms < 0:
            raise ValueError("durable_within_ms must be >= 0")
        return self._commit(_COMMIT_LAZY if lazy else 0, durable_within_ms)

    def rollback(self, *, all_levels: bool = False) -> None:
        """Undo the innermost level, or every level (JetRollback)."""
        self._rollback(_ROLLBACK_ALL if all_levels else 0)

    def temp_table(self, columns: Union[Mapping[str, Any], Sequence["ColumnDef"]], key: Sequence[str] = (), *,
                   unique: bool = False, error_on_duplicate: bool = False, sort_nulls_high: bool = False,
                   case_sensitive: bool = False) -> "TempTable":
        """Open a temporary table (JetOpenTempTable3): records come back sorted by ``key``.

        ``columns`` is described as for :meth:`Database.create_table`; ``key`` lists column
        names in priority order ("-name" = descending).  Without a key, records keep their
        insertion order.  Duplicate keys are kept (in insertion order) unless ``unique``:
        then a duplicate is dropped silently (the first record with a key wins), or raises
        ``esepy.errors.KeyDuplicate`` with ``error_on_duplicate``.  The table lives in the
        instance's temporary database; closing it (or leaving its ``with`` block) deletes
        it.  See :class:`TempTable`.
        """
        return TempTable(self, columns, key, unique=unique, error_on_duplicate=error_on_duplicate,
                         sort_nulls_high=sort_nulls_high, case_sensitive=case_sensitive)

    @contextmanager
    def transaction(self, lazy: bool = False, read_only: bool = False) -> Iterator["Session"]:
        """``with session.transaction():`` commits on success and rolls back on an exception."""
        self.begin_transaction(read_only=read_only)
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        else:
            self.commit(lazy=lazy)


class Database:
    """An open database (a JET_DBID of a session)."""

    def __init__(self, session: Session, dbid: int, path: str):
        self.session = session
        self.dbid = dbid
        self.path = path
        self._closed = False
        self._tables: "weakref.WeakSet[Table]" = weakref.WeakSet()  # cursors opened through this handle

    def __repr__(self) -> str:
        return f"<esepy.Database {self.path!r} dbid={self.dbid}{' closed' if self._closed else ''}>"

    def _repr_html_(self) -> str:
        """Jupyter: the file, its state and its tables with their columns and record counts."""
        from ._display import database_html
        return database_html(self)

    def close(self) -> None:
        """Close this handle (JetCloseDatabase); the database stays attached."""
        if not self._closed and not self.session.closed:
            try:
                self.session._close_database(self.dbid)
            except errors.TooManyOpenTables as e:
                names = sorted(t.name for t in self._tables if t.tableid is not None)
                what = (f"table {names[0]!r} is" if len(names) == 1 else
                        f"tables {', '.join(repr(n) for n in names)} are" if names else "tables are")
                raise errors.TooManyOpenTables(e.code, e.operation,
                                               f"{what} still open on this database: close them "
                                               "(or use `with`) before closing the database") from None
        self._closed = True

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def compact(self, dest: PathArg, progress: Optional[Callable[[int, int], Any]] = None) -> None:
        """Copy this database into the new file ``dest``, dense (JetCompact); see
        :meth:`Session.compact`.  This database stays attached and open."""
        self.session.compact(self.path, dest, progress)

    def export_ese(self, path: PathArg, page_size: int = 8192, progress: Optional[Callable[[int, int], Any]] = None,
                   *, force: bool = False) -> Any:
        """Write this database as a new Windows ESE database file ``path`` (ESE's on-disk
        format: clean shutdown, no logs needed; ``page_size`` 4096, 8192, 16384 or 32768)
        that Windows, dissect.esedb, libesedb and :func:`esepy.open_ese` read.  Tables are
        read in primary-key order and streamed to the file; ``progress(done, total)`` is
        called with the records written.  ``path`` must not exist unless ``force``; the
        file is written under a temporary name and renamed when complete.  Returns an
        :class:`esepy._export_ese.ExportReport`; see docs/export-ese.md."""
        from ._export_ese import export_ese
        return export_ese(self, path, page_size, progress, force=force)

    def grow(self, pages: int) -> int:
        """Grow the file to at least ``pages`` pages (after its two header pages) and
        return its size in pages (JetGrowDatabase); never shrinks."""
        return self.session._grow_database(self.dbid, pages)

    def resize(self, pages: int) -> int:
        """Resize the file to ``pages`` pages (after its two header pages) and return its
        size in pages afterwards (JetResizeDatabase).  Growing always works; shrinking gives
        back the free and never-used pages at the end of the file, down to ``pages`` at
        most -- no page is moved, so the file stops at its last page in use
        (:meth:`defragment` frees pages where they are), and it waits until the checkpoint
        is past the change (an open transaction may keep the file at its size)."""
        return self.session._resize_database(self.dbid, pages, 0)

    def defragment(self, table: Optional[str] = None, *, passes: int = 0, seconds: int = 0,
                   wait: bool = True) -> Optional[int]:
        """Online defragmentation (JetDefragment3): merge adjacent under-filled leaf pages
        of every B-tree of the database -- or of ``table``'s trees only -- and give the
        emptied pages back to the database's free list (the file keeps its size: see
        :meth:`resize`).  It runs on a background thread of the engine, beside other
        sessions' work, for at most ``passes`` passes (0: until a pass merges nothing) and
        ``seconds`` seconds (0: no limit).  With ``wait`` this returns when it is done, with
        the number of passes made; otherwise it returns None at once and
        :meth:`stop_defragment` ends it.  When one is already running (started with
        ``wait=False``) this leaves it running and returns None."""
        import threading
        grbit_start, grbit_btree = 0x1, 0x100
        grbit = grbit_start | (grbit_btree if table else 0)
        if not wait:
            self.session._defragment(self.path, table, passes, seconds, grbit, None)
            return None
        done = threading.Event()
        warn, _, _ = self.session._defragment(self.path, table, passes, seconds, grbit, done.set)
        if warn != 0:
            return None   # JET_wrnDefragAlreadyRunning
        done.wait()
        return self.stop_defragment()

    def stop_defragment(self) -> int:
        """Stop the online defragmentation of this database (waiting for the merge in
        progress) and return the passes it completed (0 when none was running)."""
        _, npasses, _ = self.session._defragment(self.path, None, 0, 0, 0x2, None)
        return npasses

    @property
    def tables(self) -> List[str]:
        """Names of the tables, from the database's catalog."""
        return self.session._table_names(self.dbid)

    def info(self) -> Dict[str, Any]:
        """Header fields (state, page size, size in pages, log positions)."""
        return self.session._db_info(self.dbid)

    def create_table(self, name: str, columns: Union[Mapping[str, Any], Sequence["ColumnDef"], None] = None,
                     primary_key: Optional[Sequence[str]] = None) -> "Table":
        """Create a table, its columns and its primary index, in one transaction.

        ``columns`` maps names to a type name / :class:`ColumnType`, or to a dict
        ``{"type": ..., "not_null": bool, "max_length": int, "codepage": 1200|1252,
        "tagged": bool, "default": value}`` or a :class:`ColumnDef`; or it is a list of
        :class:`ColumnDef`.  ``primary_key`` lists column names
        (prefix "-" for descending); without one, records get sequential keys.
        """
        s = self.session
        if columns is not None and not isinstance(columns, Mapping):
            columns = {c.name: c for c in columns}
        with s.transaction():
            tableid = s._create_table(self.dbid, name)
            table = Table(self, name, tableid)
            for cname, spec in (columns or {}).items():
                if isinstance(spec, ColumnDef):
                    table.add_column(cname, **spec.options())
                else:
                    table.add_column(cname, **(spec if isinstance(spec, Mapping) else {"type": spec}))
            if primary_key:
                table.create_primary_index(primary_key)
        return table

    def open_table(self, name: str, *, read_only: bool = False) -> "Table":
        """Open a table by name (esepy.errors.ObjectNotFound if there is none)."""
        return Table(self, name, self.session._open_table(self.dbid, name, 0x4 if read_only else 0))

    def delete_table(self, name: str) -> None:
        """Delete a table (it must not be open)."""
        self.session._delete_table(self.dbid, name)

    def rename_table(self, name: str, new_name: str) -> None:
        """Rename a table (JetRenameTable; it must not be open)."""
        self.session._rename_table(self.dbid, name, new_name)


def _fast_encoder(col: "Column") -> Callable[[Any], Optional[bytes]]:
    """A value -> bytes function for insert_many: the common types without
    Column.encode's dispatch; anything unusual (and every error, so its message
    is Column.encode's) goes through Column.encode."""
    t, slow = col.coltyp, col.encode
    if t in (ColumnType.BINARY, ColumnType.LONG_BINARY):
        def enc(v: Any) -> Optional[bytes]:
            return v if type(v) is bytes else slow(v)
        return enc
    if t in (ColumnType.TEXT, ColumnType.LONG_TEXT):
        codec = "utf-16-le" if col.codepage == 1200 else "cp1252"

        def enc_text(v: Any) -> Optional[bytes]:
            if type(v) is str:
                try:
                    return v.encode(codec)
                except UnicodeError:
                    pass
            return slow(v)
        return enc_text
    fmt = _STRUCT.get(t)
    if fmt is not None and fmt[-1] not in "fd":
        pack = struct.Struct(fmt).pack

        def enc_int(v: Any) -> Optional[bytes]:
            if type(v) is int:
                try:
                    return pack(v)
                except struct.error:
                    pass
            return slow(v)
        return enc_int
    return slow


class _ColumnDefaults:
    """The default values of a table's columns, read once when first asked for: the column
    list (JET_ColInfoList) costs a temporary table, more than the rest of a table's column
    descriptions, so Table.columns does not read it up front.  Holds the table weakly."""

    __slots__ = ("_table", "_got")

    def __init__(self, table: "Table") -> None:
        self._table = weakref.ref(table)
        self._got: Optional[Dict[str, bytes]] = None

    def get(self, name: str) -> Optional[bytes]:
        if self._got is None:
            t = self._table()
            if t is None or t.tableid is None:
                raise ValueError(f"column {name!r}: its default value is read from its table, which is closed "
                                 "(ask Column.default while the table is open)")
            self._got = t._column_defaults()
        return self._got.get(name)


class Table(_esepy.Table):
    """A cursor on a table: records as dicts of typed values."""

    _get_memo: Optional[Tuple[Any, ...]] = None  # Table.get's plan (_get_plan)

    def __init__(self, db: Database, name: str, tableid: int):
        super().__init__(db.session, tableid)
        self.db = db
        self.name = name
        if isinstance(db, Database):
            db._tables.add(self)
        self._columns: Optional[Dict[str, Column]] = None
        self._key: Optional[List[Tuple[str, bool]]] = None
        self._index: Optional[str] = None  # current secondary index (None: primary)
        self._spec_memo: Optional[Tuple[Dict[str, Column], Dict[Any, Any]]] = None

    def __repr__(self) -> str:
        where = f" of {self.db.path!r}" if isinstance(self.db, Database) else ""
        if self.tableid is None:
            return f"<esepy.Table {self.name!r}{where} closed>"
        return f"<esepy.Table {self.name!r}{where} index={self._index or 'primary'!r}>"

    def _repr_html_(self) -> str:
        """Jupyter: columns, primary key, record count and the first records."""
        from ._display import table_html
        return table_html(self)

    def to_pandas(self, limit: Optional[int] = None) -> Any:
        """The records (at most ``limit``) as a pandas DataFrame, one column per table column.

        Needs pandas (``pip install 'esepy[pandas]'``).
        """
        from ._display import table_to_pandas
        return table_to_pandas(self, limit)

    @property
    def session(self) -> Session:
        """The session this cursor belongs to."""
        return self.db.session

    def close(self) -> None:
        """Close the cursor (JetCloseTable)."""
        cur, self._scan_cur = self._scan_cur, None
        if cur is not None:
            cur.close()
        if self.tableid is not None and not self.session.closed:
            self.session._close_table(self.tableid)
        self.tableid = None

    def __enter__(self) -> "Table":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- schema --------------------------------------------------------------
    def add_column(self, name: str, type: Any, *, not_null: bool = False, max_length: int = 0,
                   codepage: int = 1200, tagged: bool = False, multi_valued: bool = False,
                   default: Any = None, fixed: bool = False, autoincrement: bool = False, version: bool = False,
                   escrow: bool = False) -> Column:
        """Add a column (JetAddColumn); the options are those of :class:`ColumnDef`."""
        t = _coltype(type)
        grbit = (_COL_NOTNULL if not_null else 0) | (_COL_TAGGED if tagged or multi_valued else 0) | \
            (_COL_MULTIVALUED if multi_valued else 0) | (_COL_FIXED if fixed else 0) | \
            (_COL_AUTOINCREMENT if autoincrement else 0) | (_COL_VERSION if version else 0) | \
            (_COL_ESCROW if escrow else 0)
        cp = codepage if t in (ColumnType.TEXT, ColumnType.LONG_TEXT) else 0
        probe = Column(name, 0, t, max_length, grbit, cp)
        default_bytes = probe.encode(default) if default is not None else None
        columnid = self._add_column(name, int(t), max_length, grbit, cp, default_bytes)
        self._columns = None
        return self.columns[name]

    def delete_column(self, name: str) -> None:
        """Delete a column (JetDeleteColumn): it must not be part of an index; its values
        in existing records are no longer readable."""
        self._delete_column(name)
        self._columns = None

    def rename_column(self, name: str, new_name: str) -> None:
        """Rename a column (JetRenameColumn); its values stay."""
        self._rename_column(name, new_name)
        self._columns = None
        if self._key is not None:
            self._key = [(new_name if n == name else n, d) for n, d in self._key]

    def create_primary_index(self, key: Sequence[str], name: str = "primary") -> None:
        """Make the listed columns the primary key ("-name" = descending); the table must be empty."""
        spec = b"".join((k if k[:1] in "+-" else "+" + k).encode() + b"\0" for k in key) + b"\0"
        self._create_index(name, _IDX_PRIMARY | _IDX_UNIQUE, spec)
        self._key = [(k.lstrip("+-"), k.startswith("-")) for k in key]
        self._get_memo = None

    def create_index(self, name: str, key: Sequence[str], *, unique: bool = False, ignore_null: bool = False,
                     ignore_any_null: bool = False, ignore_first_null: bool = False, disallow_null: bool = False,
                     sort_nulls_high: bool = False, case_sensitive: bool = False, key_most: int = 0,
                     only_if_null: Sequence[str] = (), only_if_not_null: Sequence[str] = ()) -> None:
        """Create a secondary index over the listed columns ("-name" = descending) and fill it
        from the existing records (JetCreateIndex2).

        Text keys compare case-insensitively unless ``case_sensitive``; ``key_most`` raises the
        normalized key limit above 255 bytes (JET_bitIndexKeyMost).  A multi-valued column
        gives one index entry per value.  ``only_if_null`` / ``only_if_not_null`` name
        conditional columns (JET_INDEXCREATE ``rgconditionalcolumn``): a record is in the index
        only while each of those columns is null / not null in it (a default counts as a
        value); updates move records in and out."""
        if isinstance(key, str):
            key = [key]
        spec = b"".join((k if k[:1] in "+-" else "+" + k).encode() + b"\0" for k in key) + b"\0"
        grbit = ((_IDX_UNIQUE if unique else 0) | (_IDX_IGNORE_NULL if ignore_null else 0) |
                 (_IDX_IGNORE_ANY_NULL if ignore_any_null else 0) |
                 (_IDX_IGNORE_FIRST_NULL if ignore_first_null else 0) |
                 (_IDX_DISALLOW_NULL if disallow_null else 0) | (_IDX_SORT_NULLS_HIGH if sort_nulls_high else 0))
        if isinstance(only_if_null, str):
            only_if_null = [only_if_null]
        if isinstance(only_if_not_null, str):
            only_if_not_null = [only_if_not_null]
        conds = [(c, _IDX_COL_MUST_BE_NULL) for c in only_if_null] + \
                [(c, _IDX_COL_MUST_BE_NON_NULL) for c in only_if_not_null]
        self._create_index2(name, grbit, spec, key_most, case_sensitive, conds or None)

    def delete_index(self, name: str) -> None:
        """Delete a secondary index (JetDeleteIndex)."""
        if self._index is not None and self._index.lower() == name.lower():
            self._use_index(None)
        self._delete_index(name)

    @property
    def indexes(self) -> Dict[str, Dict[str, Any]]:
        """Secondary indexes by name: ``{"key": ["+a", "-b"], "unique": bool, "grbit": int}``."""
        out: Dict[str, Dict[str, Any]] = {}
        for entry in self._indexes():
            name, grbit, *key = entry.split("\x1f")
            out[name] = {"key": key, "unique": bool(int(grbit) & _IDX_UNIQUE), "grbit": int(grbit)}
        return out

    def _key_columns(self, index: Optional[str]) -> List[Tuple[str, bool]]:
        if index is None:
            if self._key is None:
                self._load_columns()
            return list(self._key or [])
        for name, info in self.indexes.items():
            if name.lower() == index.lower():
                return [(k[1:], k[0] == "-") for k in info["key"]]
        raise errors.IndexNotFound(operation=f"no index {index!r}")

    def _use_index(self, index: Optional[str]) -> None:
        """Make `index` (None: primary) current; the cursor is repositioned.  A secondary
        index is always asked for again: a rollback may have taken it away (the engine then
        raises IndexNotFound rather than walking another index)."""
        if (index or None) != self._index or index:
            try:
                self._set_current_index(index, 0)
            except BaseException:
                # back to a known state: the primary index
                self._set_current_index(None, 0)
                self._index = None
                raise
            self._index = index or None

    @property
    def columns(self) -> Dict[str, Column]:
        """Columns by name."""
        if self._columns is None:
            self._columns = self._load_columns()
        return self._columns

    def _load_columns(self) -> Dict[str, Column]:
        names, key = self._describe_table()
        if self._key is None:
            self._key = list(key)
        out: Dict[str, Column] = {}
        defaults = _ColumnDefaults(self)
        for n in names:
            cid, coltyp, cb, grbit, cp = self._column_info(n)
            out[n] = Column(n, cid, coltyp, cb, grbit, cp, defaults)
        return out

    @property
    def primary_key(self) -> List[str]:
        """Names of the primary key columns (empty: sequential keys)."""
        if self._key is None:
            self._load_columns()
        return [n for n, _ in self._key or []]

    # -- records -------------------------------------------------------------
    def insert(self, record: Mapping[str, Any]) -> bytes:
        """Insert a record (JetPrepareUpdate + JetSetColumns + JetUpdate, in one engine visit
        unless a value is a file to stream); returns its bookmark."""
        cols = self.columns
        items: List[Tuple[int, Optional[bytes], int, int]] = []
        for name, value in record.items():
            col = cols.get(name)
            if col is None:
                raise errors.ColumnNotFound(operation=f"column {name!r}")
            if col.grbit & _COL_MULTIVALUED:
                if value is not None:
                    for v in (value if isinstance(value, (list, tuple)) else [value]):
                        mv = col.encode(v)
                        items.append((col.columnid, None if mv is None else bytes(mv),
                                      _SET_ZERO_LENGTH if mv == b"" else 0, 0))  # itag 0 appends
            elif hasattr(value, "read"):
                items = []
                break  # a stream: the piecewise path below
            else:
                raw = col.encode(value)
                if raw is not None and type(raw) is not bytes:
                    raw = bytes(raw)
                items.append((col.columnid, raw, _SET_ZERO_LENGTH if raw == b"" else 0, 1))
        else:
            return self._insert(tuple(items))
        self._prepare_update(_PREP_INSERT)
        try:
            self._set(record)
            return self._update()
        except BaseException:
            self._prepare_update(_PREP_CANCEL)
            raise

    def insert_many(self, rows: Iterable[Any], columns: Optional[Sequence[str]] = None, *,
                    batch: int = 1000) -> int:
        """Insert many records; returns how many.  All or none: the rows go in under a
        transaction level of their own (nested in the caller's, committed -- durably when it is
        the outermost -- on success, rolled back on any error), so a failure leaves the table
        as it was; the error's ``row`` attribute (when the engine refused a row) is its index
        within its batch.

        ``rows`` are mappings of column name to value (as :meth:`insert` takes), or, with
        ``columns`` given, sequences of values in that column order.  Values are encoded once
        per row in Python and the records cross into the engine ``batch`` rows at a time in one
        call (JetPrepareUpdate + JetSetColumns + JetUpdate per row, the GIL released once per
        batch), without the per-row bookmark :meth:`insert` returns.  Rows with a multi-valued
        column or a stream value take :meth:`insert`'s path.  The version store bounds one
        transaction's size: load millions of rows as several calls in transactions of your own.
        """
        if batch < 1:
            raise ValueError("batch must be at least 1")
        cols = self.columns
        plans: Dict[Tuple[str, ...], Any] = {}

        def plan(names: Tuple[str, ...]) -> Any:
            p = plans.get(names)
            if p is None:
                cs = []
                for name in names:
                    col = cols.get(name)
                    if col is None:
                        raise errors.ColumnNotFound(operation=f"column {name!r}")
                    cs.append(col)
                if any(c.grbit & _COL_MULTIVALUED for c in cs):
                    p = False   # the general path
                else:
                    longs = tuple(c.coltyp in (ColumnType.LONG_TEXT, ColumnType.LONG_BINARY) for c in cs)
                    p = (tuple(c.columnid for c in cs), tuple(_fast_encoder(c) for c in cs),
                         longs if True in longs else None)
                plans[names] = p
            return p

        fixed = plan(tuple(columns)) if columns is not None else None
        names_fixed = tuple(columns) if columns is not None else ()
        s = self.session
        count = 0
        pending: List[Tuple[Optional[bytes], ...]] = []
        pending_ids: Optional[Tuple[int, ...]] = None

        def flush() -> None:
            nonlocal count, pending
            if pending:
                count += self._insert_many(pending_ids, pending)
                pending = []

        s.begin_transaction()
        try:
            for row in rows:
                if columns is not None:
                    p = fixed
                    values = row if type(row) is tuple else tuple(row)
                    if len(values) != len(names_fixed):
                        raise ValueError(f"a row has {len(values)} values for {len(names_fixed)} columns")
                else:
                    names = tuple(row)
                    p = plan(names)
                    values = tuple(row.values())
                if p is not False:
                    ids, encs, longs = p
                    if longs is not None and any(lg and hasattr(v, "read") for lg, v in zip(longs, values)):
                        p = False
                if p is False:   # multi-valued or streamed: one record the general way
                    flush()
                    self.insert(row if columns is None else dict(zip(names_fixed, values)))
                    count += 1
                    continue
                if ids != pending_ids:
                    flush()
                    pending_ids = ids
                pending.append(tuple([e(v) for e, v in zip(encs, values)]))
                if len(pending) >= batch:
                    flush()
            flush()
        except BaseException:
            s.rollback()
            raise
        s.commit()
        return count

    def _set(self, record: Mapping[str, Any]) -> None:
        cols = self.columns
        for name, value in record.items():
            col = cols.get(name)
            if col is None:
                raise errors.ColumnNotFound(operation=f"column {name!r}")
            if col.grbit & _COL_MULTIVALUED:
                self._set_multi(col, value)
            elif hasattr(value, "read") and col.coltyp in (ColumnType.LONG_TEXT, ColumnType.LONG_BINARY):
                self._set_stream(col, value)
            else:
                self._set_column(col.columnid, col.encode(value))

    def _set_stream(self, col: Column, f: Any) -> None:
        """Write a long value from a file-like object in pieces (JET_bitSetAppendLV)."""
        self._set_column(col.columnid, b"", _SET_ZERO_LENGTH)
        while True:
            piece = f.read(_LV_PIECE)
            if not piece:
                break
            data = col.encode(piece) if isinstance(piece, str) else bytes(piece)
            self._set_column(col.columnid, data, _SET_APPEND_LV)

    def _set_multi(self, col: Column, value: Any) -> None:
        """Replace every value of a multi-valued column (itagSequence 0 appends)."""
        values = [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]
        n = 0
        while self._retrieve_column(col.columnid, 0x1, n + 1) is not None:  # JET_bitRetrieveCopy
            n += 1
        for _ in range(n):
            self._set_column(col.columnid, None, 0, 1)
        for v in values:
            self._set_column(col.columnid, col.encode(v), 0, 0)

    def current(self, columns: Optional[Sequence[str]] = None) -> Record:
        """The record the cursor is on, as a dict (multi-valued columns as lists); only
        ``columns`` when given.

        One engine visit reads every value (JetRetrieveColumns).  Columns that are part of
        the current index's key are read back from the index entry when the key holds them
        exactly (JET_bitRetrieveFromIndex / RetrieveFromPrimaryBookmark), so a read of key
        columns alone never touches the record."""
        cols, spec = self._read_spec(columns)
        raw = self._retrieve_columns(spec)
        out: Dict[str, Any] = {}
        for c, v in zip(cols, raw):
            out[c.name] = [c.decode(x) for x in v] if isinstance(v, list) else c.decode(v)
        return out

    def _read_spec(self, names: Optional[Sequence[str]]) -> Tuple[List[Column], Tuple[Tuple[int, int, bool], ...]]:
        """The columns to read and their (columnid, grbit, multi) entries for the current index."""
        columns = self.columns
        memo_key = (tuple(names) if names is not None else None, self._index)
        if self._spec_memo is None or self._spec_memo[0] is not columns:
            self._spec_memo = (columns, {})
        got = self._spec_memo[1].get(memo_key)
        if got is not None:
            return got
        if names is None:
            cols = list(columns.values())
        else:
            missing = [n for n in names if n not in columns]
            if missing:
                raise errors.ColumnNotFound(operation=f"column {missing[0]!r}")
            cols = [columns[n] for n in names]
        from_index = {n for n, _ in self._key_columns(self._index)} if self._index is not None else set()
        from_primary = self._primary_key_names() if self._index is not None else set()
        spec = []
        for c in cols:
            grbit = 0
            multi = bool(c.grbit & _COL_MULTIVALUED)
            if multi or c.coltyp in (ColumnType.TEXT, ColumnType.LONG_TEXT):
                pass  # keys fold text: the record has it
            elif c.name in from_index:
                grbit = _RETRIEVE_FROM_INDEX
            elif c.name in from_primary:
                grbit = _RETRIEVE_FROM_PRIMARY_BOOKMARK
            spec.append((c.columnid, grbit, multi))
        got = (cols, tuple(spec))
        self._spec_memo[1][memo_key] = got
        return got

    def lock(self, *, write: bool = False) -> None:
        """Lock the current record until the transaction ends (JetGetLock): a read lock (the
        default) keeps other transactions from changing it, and several may share it; a
        write lock makes it this transaction's to change.  Raises WriteConflict when another
        transaction changed the record after this one began, or holds it."""
        self._get_lock(0x2 if write else 0x1)

    def _primary_key_names(self) -> Set[str]:
        """Columns of the primary key (readable from a secondary entry's bookmark)."""
        return {n for n, _ in self._key_columns(None)}

    def dup(self) -> "Table":
        """A second cursor on this table (JetDupCursor), as ESENT's: on the primary index
        whatever index this one uses, in the deferred move to the first record (the first
        record once one is needed); read-only when this one is.  Close it (or use ``with``)
        when done."""
        tableid = self._dup_cursor()
        other = Table(self.db, self.name, tableid)
        other._columns, other._key = self._columns, self._key  # other._index: None, the primary index
        return other

    def update_current(self, changes: Mapping[str, Any]) -> None:
        """Change columns of the current record (JetPrepareUpdate(Replace) + JetUpdate)."""
        self._prepare_update(_PREP_REPLACE)
        try:
            self._set(changes)
            self._update()
        except BaseException:
            self._prepare_update(_PREP_CANCEL)
            raise

    def open_value(self, column: str, *, itag: int = 1) -> LongValueReader:
        """The value of ``column`` in the current record as a seekable binary file, read in
        pieces: for long values too big to hold (text as its stored bytes)."""
        col = self.columns.get(column)
        if col is None:
            raise errors.ColumnNotFound(operation=f"column {column!r}")
        return LongValueReader(self, col, itag)

    def escrow_update(self, column: str, delta: int, *, key: Any = None, no_rollback: bool = False) -> int:
        """Add ``delta`` to an escrow column of the current record (or of the record with
        primary ``key``) atomically (JetEscrowUpdate); returns the value stored before
        (other transactions' uncommitted deltas included: versioning is ignored).

        Escrow updates never conflict with each other: sessions in open transactions
        may all add to the same record's counter, and each sees its own deltas (and
        the committed ones its snapshot sees).  Rolling back (or crash recovery) takes
        back exactly this transaction's delta and leaves the others'.  A replace or
        delete of the record conflicts (:class:`~esepy.errors.WriteConflict`) while
        another transaction's delta is uncommitted, and an escrow update conflicts
        with another transaction's uncommitted (or, to this snapshot, invisible)
        insert, replace or delete.  ``no_rollback`` (``JET_bitEscrowNoRollback``):
        the delta is never taken back, even if this transaction rolls back (unless
        the same transaction replaced the record earlier: rolling that back restores
        the record as it was)."""
        if key is not None:
            if self.seek(*(key if isinstance(key, tuple) else (key,))) is None:
                raise errors.RecordNotFound(operation=f"escrow_update of key {key!r}")
        col = self.columns.get(column)
        if col is None:
            raise errors.ColumnNotFound(operation=f"column {column!r}")
        old = self._escrow_update(col.columnid, col.encode(delta) or b"",
                                          _ESCROW_NO_ROLLBACK if no_rollback else 0)
        return int(col.decode(old))

    def delete_current(self) -> None:
        """Delete the current record (JetDelete)."""
        self._delete()

    def _make_search_key(self, values: Sequence[Any], limit: int = 0) -> None:
        cols = self.columns
        keycols = self._key_columns(self._index)
        if not keycols:
            raise errors.NoCurrentIndex(operation="this table has no primary key")
        if len(values) > len(keycols):
            raise errors.KeyIsMade(operation=f"the index has {len(keycols)} key columns")
        for i, v in enumerate(values):
            col = cols[keycols[i][0]]
            grbit = (_NEW_KEY if i == 0 else 0) | (limit if i == len(values) - 1 else 0)
            self._make_key(col.encode(v), grbit)

    def _search_key_values(self, values: Sequence[Any]) -> Tuple[Any, ...]:
        """The encoded values _make_search_key would make a key of (for the calls into C
        that make the key themselves)."""
        if self._index is None:
            plan = self._get_memo
            if plan is None or plan[0] is not self._columns:
                plan = self._get_plan()
            if plan and len(values) <= plan[1]:  # the primary key's kept encoders
                if len(values) == 1:
                    v = values[0]
                    return (v if plan[8] and type(v) is bytes else plan[2](v),)
                return tuple([enc(v) for enc, v in zip(plan[3], values)])
        cols = self.columns
        keycols = self._key_columns(self._index)
        if not keycols:
            raise errors.NoCurrentIndex(operation="this table has no primary key")
        if len(values) > len(keycols):
            raise errors.KeyIsMade(operation=f"the index has {len(keycols)} key columns")
        return tuple([cols[keycols[i][0]].encode(v) for i, v in enumerate(values)])

    def seek(self, *key: Any, how: int = SEEK_EQ, index: Optional[str] = None) -> Optional[Record]:
        """Move to the record with this key (or the nearest, with SEEK_GE etc.) in the primary
        index, or in secondary index ``index``; a key may give only the first columns.

        Returns the record, or None when there is none (JET_errRecordNotFound)."""
        self._use_index(index)
        self._make_search_key(key)
        try:
            self._seek(how)
        except errors.RecordNotFound:
            return None
        return self.current()

    def get(self, *key: Any) -> Optional[Record]:
        """The record with this primary key, or None.

        One engine visit (JetMakeKey + JetSeek + JetRetrieveColumns in C) when the
        primary index is current; the cursor ends on the record, as with :meth:`seek`."""
        plan = self._get_memo
        if plan is None or plan[0] is not self._columns:
            plan = self._get_plan()
        if not plan or self._index is not None or not 0 < len(key) <= plan[1]:
            return self.seek(*key)
        _, nkey, enc1, encoders, spec, names, decoders, tnames, raw1 = plan
        # tnames (all columns raw): the dict is built in C.
        if len(key) == 1:
            k = key[0]
            # raw1: the first key column is binary, whose encoder hands bytes back as they are
            raw = self._get_row((k if raw1 and type(k) is bytes else enc1(k),), spec, tnames)
        else:
            raw = self._get_row(tuple([enc(v) for enc, v in zip(encoders, key)]), spec, tnames)
        if raw is None or tnames is not None:
            return raw
        return {nm: (v if d is None else d(v)) for nm, d, v in zip(names, decoders, raw)}

    def _get_plan(self) -> Tuple[Any, ...]:
        """(column definitions, key columns, encoder of the first, key encoders, read
        spec, names, decoders, the names as a tuple when every column is read raw else
        None, whether the first key column is binary) for :meth:`get` and
        scan(start=...) on the primary index, kept with the
        column definitions it was made from (Column.encode's dispatch costs more than
        the engine's lookup: the encoders are _fast_encoder's); () when there is no
        primary key."""
        columns = self.columns
        keycols = self._key_columns(None)
        plan: Tuple[Any, ...] = (columns,) if not keycols else ()
        if keycols:
            encoders = [_fast_encoder(columns[n]) for n, _ in keycols]
            cols = list(columns.values())
            spec = tuple((c.columnid, 0, bool(c.grbit & _COL_MULTIVALUED)) for c in cols)
            names, decoders = _row_decoders(cols)
            plan = (columns, len(encoders), encoders[0], encoders, spec, names, decoders,
                    tuple(names) if all(d is None for d in decoders) else None,
                    columns[keycols[0][0]].coltyp in (ColumnType.BINARY, ColumnType.LONG_BINARY))
        self._get_memo = plan
        return plan if len(plan) > 1 else ()

    def range(self, start: Any = None, stop: Any = None, *, index: Optional[str] = None, reverse: bool = False,
              prefix: Any = None, inclusive_stop: bool = False,
              columns: Optional[Sequence[str]] = None) -> Iterator[Record]:
        """Records whose key in ``index`` (None: the primary index) is in [start, stop) -- or
        [start, stop] with ``inclusive_stop`` -- in key order (``reverse``: descending).
        ``columns`` limits each dict to those columns; when they are all in the index key
        (or the primary key), the range is read from the index alone.

        ``start`` / ``stop`` / ``prefix`` are a value or a tuple of values for the first key
        columns; ``prefix`` selects the records whose key starts with those values.  Runs on
        an index range (JetSeek + JetSetIndexRange); moving this cursor elsewhere while
        iterating ends the iteration early."""
        def tup(v: Any) -> Tuple[Any, ...]:
            return v if isinstance(v, tuple) else (v,)
        if prefix is not None:
            start, stop, inclusive_stop = prefix, prefix, True
        self._use_index(index)
        if not reverse:
            if start is None:
                ok = self._move(_MOVE_FIRST)
            else:
                self._make_search_key(tup(start))
                try:
                    self._seek(SEEK_GE)
                    ok = True
                except errors.RecordNotFound:
                    ok = False
            if ok and stop is not None:
                self._make_search_key(tup(stop))
                ok = self._set_index_range(_RANGE_UPPER | (_RANGE_INCLUSIVE if inclusive_stop else 0))
        else:
            if stop is None:
                ok = self._move(_MOVE_LAST)
            else:
                self._make_search_key(tup(stop))
                try:
                    self._seek(SEEK_LE if inclusive_stop else SEEK_LT)
                    ok = True
                except errors.RecordNotFound:
                    ok = False
            if ok and start is not None:
                self._make_search_key(tup(start))
                ok = self._set_index_range(_RANGE_INCLUSIVE)
        while ok:
            yield self.current(columns)
            ok = self._move(-1 if reverse else 1)

    @property
    def position(self) -> Tuple[int, int]:
        """``(records before the current one, records in the index)`` in the current index
        (JetGetRecordPosition); ``position[0] / position[1]`` is the fraction scrolled."""
        before, total = self._record_position()
        return int(before), int(total)

    def goto_fraction(self, fraction: float, *, index: Optional[str] = None) -> Optional[Record]:
        """Move to the record about ``fraction`` (0.0 first .. 1.0 last) of the way through
        ``index`` (JetGotoPosition) and return it (None when the table is empty)."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be between 0.0 and 1.0")
        self._use_index(index)
        scale = 1 << 20
        try:
            self._goto_position(int(fraction * (scale - 1)), scale)
        except (errors.RecordNotFound, errors.NoCurrentRecord):
            return None
        return self.current()

    def count(self, *, index: Optional[str] = None, prefix: Any = None) -> int:
        """Number of records in an index, or with a key prefix (JetIndexRecordCount)."""
        self._use_index(index)
        if prefix is None:
            ok = self._move(_MOVE_FIRST)
        else:
            key = prefix if isinstance(prefix, tuple) else (prefix,)
            self._make_search_key(key)
            try:
                self._seek(SEEK_EQ | 0x20)  # JET_bitSetIndexRange
                ok = True
            except errors.RecordNotFound:
                ok = False
        return self._index_record_count(0) if ok else 0

    def bookmark(self) -> bytes:
        """The primary bookmark of the current record (JetGetBookmark)."""
        return self._get_bookmark()

    def goto(self, bookmark: bytes) -> Record:
        """Move to the record with this bookmark (JetGotoBookmark) and return it."""
        self._goto_bookmark(bookmark)
        return self.current()

    def update(self, key: Union[Any, Tuple[Any, ...]], changes: Mapping[str, Any]) -> None:
        """Change columns of the record with this primary key (RecordNotFound if absent)."""
        keys = key if isinstance(key, tuple) else (key,)
        if self.seek(*keys) is None:
            raise errors.RecordNotFound(operation=f"no record with key {key!r}")
        self.update_current(changes)

    def delete(self, *key: Any) -> None:
        """Delete the record with this primary key (RecordNotFound if absent)."""
        if self.seek(*key) is None:
            raise errors.RecordNotFound(operation=f"no record with key {key!r}")
        self.delete_current()

    def __iter__(self) -> Iterator[Record]:
        """Every record in primary key order (JetMove), as dicts."""
        self._use_index(None)
        ok = self._move(_MOVE_FIRST)
        while ok:
            yield self.current()
            ok = self._move(1)

    def scan(self, columns: Optional[Sequence[str]] = None, *, index: Optional[str] = None, start: Any = None,
             batch: Optional[int] = None, rows: str = "dict") -> Iterator[Any]:
        """Every record in the order of ``index`` (None: the primary key), from the first
        one whose key is at or after ``start`` (a value or a tuple of values for the first
        key columns; None: from the first record) -- the fast way to read a whole table or
        a key range: records are read in batches, one engine call each (JetMove +
        JetRetrieveColumns in C, without the GIL; the seek to ``start`` is part of the
        first), on a second cursor, so this table's own position is not used and not
        changed (the second cursor, a JetDupCursor, is kept for the next scan).
        ``batch``: rows per engine call; by default 16 for the first call and up to 256
        for later ones (a scan stopped early reads little).

        ``columns``: the columns to read (None: all of them, in the order of
        :attr:`columns`).  ``rows``: the shape of each record --

        * ``"dict"`` (the default): a dict of column name -> value;
        * ``"tuple"``: a tuple of the values in the order of ``columns`` (of
          :attr:`columns` when None), e.g. ``for k, v in t.scan(["k", "v"], rows="tuple")``.
          No dict per record: the cheaper shape to build and to keep.

        Values are as in the dicts either way: None for NULL, a list for a
        multi-valued column.  Unlike ``for record in table``, the table's cursor is
        not on the record just yielded (use iteration, or ``range``, to change records
        while walking them).  The records come from the engine's snapshot of each
        batch's calls: inside a transaction, the transaction's snapshot.  Nothing is
        read until the first record is asked for.  The iterator has ``close()``; an
        iteration stopped before its end hands its cursor back when it is closed or
        released."""
        if rows not in ("dict", "tuple"):
            raise ValueError(f"rows must be 'dict' or 'tuple', not {rows!r}")
        tuples = rows == "tuple"
        # The batches are read and their records handed out by BatchRows in C: no Python
        # frame runs per record nor per batch (issue 20).  Nothing happens before the
        # first next(): then _scan_open takes the cursor, which BatchRows hands back
        # through _scan_give_back at the end, on close() or when it is released.
        return _BatchRows(self._scan_open, self._scan_give_back,
                          (batch if batch > 1 else 1) if batch is not None else 0, (columns, index, start, tuples))

    def _scan_open(self, columns: Optional[Sequence[str]], index: Optional[str], start: Any,
                   tuples: bool) -> Tuple[Any, ...]:
        """BatchRows' open(): (the scan's cursor, read spec, encoded start key or None,
        names for dicts built in C or None, tuples, None or the converter of a batch)."""
        cur = self._scan_take()
        try:
            if index or cur._index is not None:  # else _use_index has nothing to do
                cur._use_index(index)
            spec, names, decoders, tnames = cur._scan_plan(columns)
            keys = None
            if start is not None:
                keys = cur._search_key_values(start if isinstance(start, tuple) else (start,))
        except BaseException:
            self._scan_give_back(cur)
            raise
        if tnames is not None:  # every column is read raw: the rows are built in C
            return cur, spec, keys, None if tuples else tnames, tuples, None
        if tuples:
            def convert(rows: List[Any]) -> List[Any]:
                return [tuple([v if d is None else d(v) for d, v in zip(decoders, raw)]) for raw in rows]
        else:
            def convert(rows: List[Any]) -> List[Any]:
                return [{nm: (v if d is None else d(v)) for nm, d, v in zip(names, decoders, raw)} for raw in rows]
        return cur, spec, keys, None, tuples, convert

    def _scan_plan(self, names: Optional[Sequence[str]]) -> Tuple[Any, ...]:
        """(read spec, column names, decoders, the names as a tuple when every column is
        read raw else None) of a scan of ``names`` on the current index, kept with the
        column definitions (a range read is a seek and one batch: building these again
        cost as much as reading its rows)."""
        columns = self._columns
        if columns is None:
            columns = self.columns
        memo_key = ("scan", names if names is None or type(names) is tuple else tuple(names), self._index)
        memo = self._spec_memo
        if memo is not None and memo[0] is columns:
            got = memo[1].get(memo_key)
            if got is not None:
                return got
        cols, spec = self._read_spec(names)
        nms, decoders = _row_decoders(cols)
        plain = all(d is None for d in decoders)
        got = (spec, tuple(nms), tuple(decoders), tuple(nms) if plain else None)
        self._spec_memo[1][memo_key] = got
        return got

    # The second cursor of scan() is kept for the next scan (a range read is then a seek
    # and a batch, not a JetDupCursor + JetCloseTable; issue 20).  Invariant: _scan_cur
    # is None or an open cursor of this table that no running scan uses (a scan takes it
    # out while it runs; a scan started meanwhile duplicates a cursor of its own), and it
    # is closed with this table.
    _scan_cur: Optional["Table"] = None

    def _scan_take(self) -> "Table":
        cur = self._scan_cur
        if cur is None or cur.tableid is None:
            return self.dup()
        self._scan_cur = None
        columns = self._columns
        cur._columns, cur._key = columns if columns is not None else self.columns, self._key  # this handle's view
        return cur

    def _scan_give_back(self, cur: "Table") -> None:
        # _scan_keep: self.tableid and cur.tableid are not None, self.session is not closed
        if self._scan_cur is None and self._scan_keep(cur):
            self._scan_cur = cur
        else:
            cur.close()

    def __len__(self) -> int:
        self._use_index(None)
        n = 0
        ok = self._move(_MOVE_FIRST)
        while ok:
            n += 1
            ok = self._move(1)
        return n




_BatchRows = _esepy.BatchRows


def _row_decoders(cols: Sequence[Column]) -> Tuple[List[str], List[Any]]:
    """Names and per-column decoders of raw rows (None: the bytes are the value)."""
    raw_ok = (ColumnType.BINARY, ColumnType.LONG_BINARY)
    names = [c.name for c in cols]
    decoders = [None if (c.coltyp in raw_ok and not c.grbit & _COL_MULTIVALUED) else
                ((lambda v, d=c.decode: [d(x) for x in v]) if c.grbit & _COL_MULTIVALUED else c.decode)
                for c in cols]
    return names, decoders


_TEMP_INDEX = "TempTableKey"


class TempTable(Table):
    """A temporary table (what :meth:`Session.temp_table` returns): a scratch table in the
    instance's temporary database, kept in the order of its key columns.

    It supports what :class:`Table` does on records -- ``insert``, iteration and ``len()`` (in
    key order), ``seek`` / ``get`` / ``range`` / ``count`` on the key, ``current``,
    ``update_current``, ``delete_current``, ``bookmark`` / ``goto``, long values -- but not
    schema changes (columns and the key are fixed when it is opened) nor other indexes.
    ``close()`` (or the end of a ``with`` block) deletes it; so does ending the session, and
    rolling back the transaction it was opened in.  Changes made in a transaction roll back
    like any others.
    """

    def __init__(self, session: Session, columns: Union[Mapping[str, Any], Sequence["ColumnDef"]],
                 key: Sequence[str] = (), *, unique: bool = False, error_on_duplicate: bool = False,
                 sort_nulls_high: bool = False, case_sensitive: bool = False):
        if not isinstance(columns, Mapping):
            columns = {c.name: c for c in columns}
        specs: Dict[str, ColumnDef] = {}
        for cname, spec in columns.items():
            if isinstance(spec, ColumnDef):
                specs[cname] = spec
            elif isinstance(spec, Mapping):
                specs[cname] = ColumnDef(cname, **spec)
            else:
                specs[cname] = ColumnDef(cname, spec)
        if isinstance(key, str):
            key = [key]
        keyspec = [(k[1:], k[0] == "-") if k[:1] in "+-" else (k, False) for k in key]
        for kname, _ in keyspec:
            if kname not in specs:
                raise errors.ColumnNotFound(operation=f"key column {kname!r} is not a column")
        keynames = [k for k, _ in keyspec]
        order = keynames + [n for n in specs if n not in keynames]
        descending = dict(keyspec)
        defs = []
        for n in order:
            cd = specs[n]
            t = _coltype(cd.type)
            grbit = (_COL_TAGGED if cd.tagged or cd.multi_valued else 0) | \
                (_COL_MULTIVALUED if cd.multi_valued else 0) | (_COL_FIXED if cd.fixed else 0)
            if n in descending:
                grbit |= _COL_TT_KEY | (_COL_TT_DESCENDING if descending[n] else 0)
            cp = cd.codepage if t in (ColumnType.TEXT, ColumnType.LONG_TEXT) else 0
            defs.append((int(t), cd.max_length, grbit, cp))
        grbit = (_TT_INDEXED | _TT_UPDATABLE | _TT_SCROLLABLE | (_TT_UNIQUE if unique else 0) |
                 (_TT_ERROR_ON_DUPLICATE if error_on_duplicate else 0) |
                 (_TT_SORT_NULLS_HIGH if sort_nulls_high else 0))
        tableid, ids = session._open_temp_table(defs, grbit, case_sensitive)
        _esepy.Table.__init__(self, session, tableid)
        self._session = session
        self._spec_memo = None
        self.name = "<temporary>"
        self._key = keyspec
        self._index = _TEMP_INDEX if keyspec else None
        cols: Dict[str, Column] = {}
        for i, n in enumerate(order):
            cid, coltyp, cb, g, cp = self._column_info(f"Column{i + 1}")
            cols[n] = Column(n, ids[i], coltyp, cb, g, cp)
        self._columns = cols

    def __repr__(self) -> str:
        key = ", ".join(("-" if d else "") + n for n, d in self._key or [])
        return f"<esepy.TempTable key=({key}) columns={list(self.columns)}>"

    def _repr_html_(self) -> str:
        """Jupyter: the repr (a temporary table has no database to describe)."""
        import html
        return f"<code>{html.escape(repr(self))}</code>"

    @property
    def session(self) -> Session:
        """The session that opened the table (and owns it)."""
        return self._session

    def close(self) -> None:
        """Close the table, which deletes it (JetCloseTable).  A table that a rollback
        already closed (it was opened in the rolled-back transaction) closes quietly."""
        try:
            super().close()
        except errors.InvalidTableId:
            self.tableid = None

    def _scan_give_back(self, cur: "Table") -> None:
        cur.close()  # a rollback may close a temporary table's cursors: none is kept

    @property
    def key(self) -> List[str]:
        """The key columns in priority order ("-name" = descending)."""
        return [("-" if d else "") + n for n, d in self._key or []]

    def _use_index(self, index: Optional[str]) -> None:
        """A temporary table has one order: its key's (or insertion order)."""
        if index not in (None, self._index):
            raise errors.IndexNotFound(operation=f"a temporary table has no index {index!r}")

    def _key_columns(self, index: Optional[str]) -> List[Tuple[str, bool]]:
        self._use_index(index)
        return list(self._key or [])

    def _primary_key_names(self) -> Set[str]:
        """None: records are kept under sequential keys, the key is an index."""
        return set()

    def dup(self) -> "TempTable":
        """A second cursor on this temporary table (JetDupCursor), on its first record; the
        table goes when the last of its cursors closes."""
        tableid = self._dup_cursor()
        other = TempTable.__new__(TempTable)
        _esepy.Table.__init__(other, self.session, tableid)
        other.__dict__.update(self.__dict__)
        other._spec_memo = None
        return other
