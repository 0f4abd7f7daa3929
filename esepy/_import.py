"""Import a Windows ESE database (SRUDB.dat, qmgr.db, ...) into an esepy database.

``import_ese(src, dest)`` reads ``src`` with the read-only Windows-file reader
(:func:`esepy.open_ese`; with ``logs`` the source is first recovered into a
temporary copy, the source itself is never written) and writes a new esepy
database ``dest`` with the same tables, columns, indexes and records, so the
full ISAM (seeks, index ranges, updates, backup) works on it.

Owns: the mapping from the Windows catalog (column FIELDFLAGs, index IDB flags)
to esepy's schema calls, the batched copy of the rows, the index-order check.
Must not: write the source, overwrite an existing destination, leave a partial
destination behind (the database is built under a temporary name in the
destination's folder and renamed when complete).
"""
from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import errors

__all__ = ["import_ese", "ImportReport"]

# Windows catalog column flags (FIELDFLAG bits as stored in MSysObjects' Flags column)
_FF_NOT_NULL, _FF_VERSION, _FF_AUTOINC, _FF_MULTIVALUED, _FF_ESCROW = 0x1, 0x2, 0x4, 0x8, 0x20
# Windows catalog index flags (IDB bits, low 16 bits of the index row's Flags)
_IDB_UNIQUE, _IDB_ALLOW_ALL_NULLS, _IDB_ALLOW_FIRST_NULL, _IDB_ALLOW_SOME_NULLS = 0x1, 0x2, 0x4, 0x8
_IDB_NO_NULL_SEG, _IDB_PRIMARY, _IDB_SORT_NULLS_HIGH = 0x10, 0x20, 0x800
# JET_bitColumn* for JetAddColumn
_COL_FIXED, _COL_TAGGED, _COL_NOTNULL, _COL_VERSION = 0x1, 0x2, 0x4, 0x8
_COL_AUTOINC, _COL_MULTIVALUED, _COL_ESCROW = 0x10, 0x400, 0x800
_TEXT_TYPES = (10, 12)
_LONG_TYPES = (11, 12)
_COLUMNS_PER_TRANSACTION = 500
_FIXED_TYPES = (1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17, 18)

#: what ``progress`` receives: rows copied so far and the rows of the source
ProgressCallback = Callable[[int, int], Any]


class ImportReport:
    """What :func:`import_ese` did.

    ``source`` / ``dest`` (paths), ``recovered`` (the source was recovered from ``logs``
    first), ``tables`` (name -> rows copied), ``rows`` (total), ``bytes`` (size of the
    source file), ``seconds``, ``notes`` (list of str: every schema property that could not
    be kept exactly, e.g. an autoincrement column kept as a plain column so that its values
    stay those of the source), ``skipped_values`` (values the reader could not decode --
    XPRESS9/LZ4/encrypted/damaged -- left NULL: list of (table, column, row number)) and
    ``page_size`` (the new database's page size, the source's: an instance
    attaching it needs ``database_page_size`` set to it), ``index_order`` (one dict per index with a text key column: ``table``, ``index``,
    ``status`` "same" / "differs" / "unchecked", ``first_difference`` (position) and
    ``reason``).  :attr:`order_differs` lists the indexes whose esepy order is not the
    Windows order.
    """

    def __init__(self, source: str, dest: str) -> None:
        self.source = source
        self.dest = dest
        self.recovered = False
        self.tables: Dict[str, int] = {}
        self.rows = 0
        self.bytes = 0
        self.seconds = 0.0
        self.notes: List[str] = []
        self.skipped_values: List[Tuple[str, str, int]] = []
        self.index_order: List[Dict[str, Any]] = []
        self.page_size = 0
        self._saved_page_size: Optional[int] = None

    @property
    def order_differs(self) -> List[Dict[str, Any]]:
        """The entries of :attr:`index_order` whose status is "differs"."""
        return [x for x in self.index_order if x["status"] == "differs"]

    def lines(self) -> List[str]:
        """The report as text lines (what ``esepy import`` prints)."""
        out = [f"imported {self.source} -> {self.dest}: {len(self.tables)} tables, {self.rows} rows"
               f"{' (recovered from logs first)' if self.recovered else ''}"]
        for name, n in self.tables.items():
            out.append(f"  {name}: {n} rows")
        for note in self.notes:
            out.append(f"  note: {note}")
        if self.skipped_values:
            out.append(f"  {len(self.skipped_values)} undecodable values left NULL")
        for x in self.index_order:
            out.append(f"  index order {x['table']}.{x['index']}: {x['status']}"
                       + (f" ({x['reason']})" if x.get("reason") else ""))
        return out

    def __repr__(self) -> str:
        return f"<ImportReport {len(self.tables)} tables {self.rows} rows, {len(self.order_differs)} index orders differ>"


def _choose_page_size(source_page_size: int, report: ImportReport) -> int:
    """The destination's page size: the source's (records and long values that fit a Windows
    page fit the same esepy page).  The engine's page size is process-wide: it is set for
    the import only when no instance runs, and put back afterwards (_restore_page_size)."""
    from . import get_default_param, instances, set_default_param
    current = int(get_default_param("database_page_size"))
    if current == source_page_size:
        return current
    if instances():
        report.notes.append(f"other instances run: the database uses this process's page size {current}, "
                            f"not the source's {source_page_size}")
        return current
    set_default_param("database_page_size", source_page_size)
    report._saved_page_size = current
    return source_page_size


def _restore_page_size(report: ImportReport) -> None:
    from . import set_default_param
    if report._saved_page_size is not None:
        set_default_param("database_page_size", report._saved_page_size)
        report._saved_page_size = None


def _column_spec(col: Any, report: ImportReport, table: str) -> Tuple[int, int, int, int, Optional[bytes]]:
    """(coltyp, cb_max, grbit, codepage, default bytes) for JetAddColumn from a Windows column."""
    grbit = 0
    if col.kind == "tagged" or col.coltyp in _LONG_TYPES:
        grbit |= _COL_TAGGED
    elif col.kind == "fixed" and col.coltyp == 9:
        grbit |= _COL_FIXED                     # fixed-length Binary
    elif col.kind == "fixed" and col.coltyp in _TEXT_TYPES:
        # the reader returns fixed text decoded (an odd UTF-16 size loses its last byte):
        # stored as variable text so that every value reads back as the reader gives it
        report.notes.append(f"{table}.{col.name}: fixed-length text kept as variable-length text")
        return col.coltyp, 0, grbit | _flag_bits(col, report, table, grbit), _codepage(col), \
            (bytes(col.default) if col.default else None)
    grbit |= _flag_bits(col, report, table, grbit)
    cb_max = col.max_size if col.coltyp not in _FIXED_TYPES else 0
    return col.coltyp, cb_max, grbit, _codepage(col), (bytes(col.default) if col.default else None)


def _codepage(col: Any) -> int:
    cp = col.codepage if col.coltyp in _TEXT_TYPES else 0
    if col.coltyp in _TEXT_TYPES and cp not in (1200, 1252):
        cp = 1252 if cp in (1, 20127) else 1200
    return int(cp)


def _flag_bits(col: Any, report: ImportReport, table: str, outer: int) -> int:
    """The JET_bitColumn* flags that follow from the column's catalog FIELDFLAGs."""
    f = col.flags
    grbit = 0
    tagged = bool(outer & _COL_TAGGED)
    if f & _FF_MULTIVALUED:
        grbit |= _COL_MULTIVALUED | _COL_TAGGED
        tagged = True
    if f & _FF_NOT_NULL and not tagged:
        grbit |= _COL_NOTNULL
    if f & _FF_VERSION:
        grbit |= _COL_VERSION
    if f & _FF_ESCROW:
        if col.default:
            grbit |= _COL_ESCROW
        else:
            report.notes.append(f"{table}.{col.name}: escrow column without a default, kept as a plain column")
    if f & _FF_AUTOINC:
        # the engine numbers autoincrement columns itself and refuses a value for them:
        # keeping the flag would renumber the records, so the source's values are kept
        report.notes.append(f"{table}.{col.name}: autoincrement kept as a plain column "
                            "(values as in the source)")
    return grbit


def _index_options(flags: int) -> Dict[str, bool]:
    """create_index keyword arguments from the IDB flags of a Windows index."""
    return {
        "unique": bool(flags & _IDB_UNIQUE),
        "disallow_null": bool(flags & _IDB_NO_NULL_SEG),
        "ignore_null": not flags & _IDB_ALLOW_ALL_NULLS,
        "ignore_any_null": not flags & _IDB_ALLOW_SOME_NULLS,
        "ignore_first_null": not flags & _IDB_ALLOW_FIRST_NULL,
        "sort_nulls_high": bool(flags & _IDB_SORT_NULLS_HIGH),
    }


def _plain(value: Any) -> Any:
    """A reader value as the engine's encoder takes it (datetimes as naive UTC)."""
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        return value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return value


def import_ese(src: "os.PathLike[str] | str", dest: "os.PathLike[str] | str", logs: "Optional[os.PathLike[str] | str]" = None,
               progress: Optional[ProgressCallback] = None, *, batch_rows: int = 500,
               check_index_order: bool = True) -> ImportReport:
    """Import the Windows ESE database ``src`` into a new esepy database ``dest``.

    The new database has the live tables of ``src`` (not the MSys* system tables),
    their columns (type, size, code page, fixed / variable / tagged, multi-valued,
    not-null, version, escrow, default values), their primary and secondary indexes
    (key columns, ascending / descending, unique, primary, the null rules) and every
    record, long values and multi-values included.  An autoincrement column keeps its
    source values and becomes a plain column (the engine would renumber it); such
    departures are listed in :attr:`ImportReport.notes`.

    ``logs``: the folder of the source's logs; a dirty source is recovered first into a
    temporary copy (:func:`esepy.recover_ese`), the source is never written.
    ``progress(done, total)`` is called after every batch of ``batch_rows`` rows (one
    transaction each; memory stays bounded by a batch) with the rows copied and the
    source's row count; if it raises, the import stops, the partial destination is
    removed and the exception propagates.  ``dest`` must not exist
    (:class:`FileExistsError`); the database is built under a temporary name in
    ``dest``'s folder and renamed when complete.

    Text index keys use esepy's collation; with ``check_index_order`` every index with a
    text key column is compared with the Windows index order (see
    :attr:`ImportReport.index_order`).  Returns the :class:`ImportReport`.
    """
    import time
    from . import Instance
    from .ese import open_ese

    srcp, destp = os.fspath(src), os.path.abspath(os.fspath(dest))
    if os.path.lexists(destp):
        raise FileExistsError(f"{destp}: the destination exists; esepy import never overwrites a database")
    if progress is not None and not callable(progress):
        raise TypeError("progress must be callable(done, total)")
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    report = ImportReport(srcp, destp)
    t0 = time.perf_counter()
    report.bytes = os.path.getsize(srcp)
    work = tempfile.mkdtemp(prefix=".esepy-import-", dir=os.path.dirname(destp) or ".")
    try:
        with open_ese(srcp, logs=logs) as source:
            report.recovered = bool(source.recovery and not source.recovery.get("was_clean"))
            tables = [t for t in source.tables if not t.dropped and not t.name.startswith("MSys")]
            total = sum(t.count() for t in tables)
            tmp_db = os.path.join(work, os.path.basename(destp))
            report.page_size = _choose_page_size(source.header["page_size"], report)
            inst = Instance("esepy-import", system_path=os.path.join(work, "sys") + os.sep,
                            log_path=os.path.join(work, "logs") + os.sep,
                            temp_path=os.path.join(work, "sys", "tmp.edb"), create_path_if_not_exist=True)
            inst.init()
            try:
                with inst.begin_session() as s:
                    db = s.create_database(tmp_db)
                    done = 0
                    for t in tables:
                        done = _copy_table(s, db, t, report, progress, done, total, batch_rows)
                    if check_index_order:
                        for t in tables:
                            report.index_order.extend(_check_order(source, t, db))
                    db.close()
            finally:
                inst.term()
                _restore_page_size(report)
        os.link(tmp_db, destp) if hasattr(os, "link") else os.rename(tmp_db, destp)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)
    report.seconds = time.perf_counter() - t0
    return report


def _copy_table(s: Any, db: Any, t: Any, report: ImportReport, progress: Optional[ProgressCallback],
                done: int, total: int, batch_rows: int) -> int:
    """Create table ``t`` in ``db`` with its columns and primary index, copy its rows in
    batches, then build its secondary indexes.  Returns the new ``done`` count."""
    from ._isam import Table
    by_id = {c.columnid: c for c in t.columns}
    with s.transaction():
        tableid = s._create_table(db.dbid, t.name)
    dt = Table(db, t.name, tableid)
    for i in range(0, len(t.columns), _COLUMNS_PER_TRANSACTION):
        # a table may have tens of thousands of columns: a bounded version store per commit
        with s.transaction():
            for c in t.columns[i:i + _COLUMNS_PER_TRANSACTION]:
                coltyp, cb_max, grbit, cp, default = _column_spec(c, report, t.name)
                dt._add_column(c.name, coltyp, cb_max, grbit, cp, default)
    dt._columns = None
    with s.transaction():
        primary = [x for x in t.indexes if x["primary"]]
        if primary:
            dt.create_primary_index(_key(primary[0]), name=primary[0]["name"])
    dcols = dt.columns
    cols = [dcols[name] for name in t.column_names]
    n = 0
    try:
        rows = t.rows()
        while True:
            s.begin_transaction()
            try:
                k = 0
                for values in rows:
                    items = []
                    for col, v in zip(cols, values):
                        if v is None:
                            continue
                        if isinstance(v, list):
                            ok = [x for x in v if not _undecodable(x)]
                            if len(ok) != len(v):
                                report.skipped_values.append((t.name, col.name, n))
                            for x in ok:
                                items.append(_item(col, x, 0))
                        elif _undecodable(v):
                            report.skipped_values.append((t.name, col.name, n))
                        else:
                            items.append(_item(col, v, 1))
                    dt._insert(tuple(items))
                    n += 1
                    k += 1
                    if k >= batch_rows:
                        break
                s.commit(lazy=True)
            except BaseException:
                s.rollback()
                raise
            if progress is not None:
                progress(done + n, total)
            if k < batch_rows:
                break
        for x in t.indexes:
            if x["primary"]:
                continue
            if any(kc["name"] is None or kc["columnid"] not in by_id for kc in x["key_columns"]):
                report.notes.append(f"{t.name}.{x['name']}: key column unknown, index not created")
                continue
            dt.create_index(x["name"], _key(x), **_index_options(x["flags"]))
    finally:
        dt.close()
    report.tables[t.name] = n
    report.rows += n
    return done + n


_SET_ZERO_LENGTH, _SET_SEPARATE_LV = 0x20, 0x40
_SEPARATE_ABOVE = 256       # long values longer than this go to the long-value tree


def _item(col: Any, value: Any, itag: int) -> Tuple[int, bytes, int, int]:
    """(columnid, bytes, JetSetColumn grbit, itagSequence) of one value for Table._insert."""
    raw = col.encode(_plain(value))
    grbit = _SET_ZERO_LENGTH if raw == b"" else 0
    if col.coltyp in _LONG_TYPES and len(raw) > _SEPARATE_ABOVE:
        grbit |= _SET_SEPARATE_LV   # many long values in one record: each one separated
    return col.columnid, bytes(raw), grbit, itag


def _undecodable(v: Any) -> bool:
    from .ese import DamagedValue, UnsupportedValue
    return isinstance(v, (UnsupportedValue, DamagedValue))


def _key(index: Dict[str, Any]) -> List[str]:
    return [("-" if k["order"] == "descending" else "+") + k["name"] for k in index["key_columns"]]


def _check_order(source: Any, t: Any, db: Any) -> List[Dict[str, Any]]:
    """Compare, for every index of ``t`` with a text key column, esepy's order of the
    imported records with the order of the Windows index."""
    from ._indexorder import windows_order, esepy_order
    out = []
    textcols = {c.name for c in t.columns if c.coltyp in _TEXT_TYPES}
    for x in t.indexes:
        if not any(k["name"] in textcols for k in x["key_columns"]):
            continue
        entry: Dict[str, Any] = {"table": t.name, "index": x["name"], "status": "unchecked",
                                 "first_difference": None, "reason": ""}
        try:
            win = windows_order(source, t, x)
            ours = esepy_order(db, t, x)
        except Exception as exc:   # an index the check cannot walk: said, not hidden
            entry["reason"] = f"could not compare: {exc}"
            out.append(entry)
            continue
        if win == ours:
            entry["status"] = "same"
        else:
            entry["status"] = "differs"
            i = next((i for i, (a, b) in enumerate(zip(win, ours)) if a != b), min(len(win), len(ours)))
            entry["first_difference"] = i
            entry["reason"] = (f"{len(win)} Windows entries, {len(ours)} esepy entries, first difference at "
                               f"position {i}")
        out.append(entry)
    return out
