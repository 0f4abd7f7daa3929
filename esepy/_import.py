"""Import a Windows ESE database (SRUDB.dat, qmgr.db, ...) into an esepy database.

``import_ese(src, dest)`` reads ``src`` with the read-only Windows-file reader
(:func:`esepy.open_ese`; with ``logs`` the source is first recovered into a
temporary copy, the source itself is never written) and writes a new esepy
database ``dest`` with the same tables, columns, indexes and records, so the
full ISAM (seeks, index ranges, updates, backup) works on it.

Owns: the mapping from the Windows catalog (column FIELDFLAGs, index IDB flags)
to esepy's schema calls, the sizing of the source's records in esepy's record
format (which page size holds them, which long values to separate), the batched
copy of the rows, the index-order check.
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
_TEXT_MOST = 255                # bytes of a Text / Binary column (JET_cbColumnMost)
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
    stay those of the source), ``mapped`` ((table, column) -> (source coltyp, new coltyp,
    why) for every column whose type had to change to hold its values exactly), ``skipped_values`` (values the reader could not decode --
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
        self.mapped: Dict[Tuple[str, str], Tuple[int, int, str]] = {}
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


def _choose_page_size(wanted: int, source_page_size: int, report: ImportReport) -> int:
    """Set the engine's page size to ``wanted`` for the import (see :func:`_plan`: the
    source's, or the smallest larger one whose records hold the source's).  The engine's page
    size is process-wide: it is set only when no instance runs, and put back afterwards
    (_restore_page_size)."""
    from . import get_default_param, instances, set_default_param
    current = int(get_default_param("database_page_size"))
    if wanted != source_page_size:
        report.notes.append(f"{wanted}-byte pages, not the source's {source_page_size}: the largest "
                            f"record is {_record_most(source_page_size)} bytes with {source_page_size}-byte "
                            "pages in esepy (a quarter page), and some records of the source are larger")
    if current == wanted:
        return current
    if instances():
        report.notes.append(f"other instances run: the database uses this process's page size {current}, "
                            f"not {wanted}")
        return current
    set_default_param("database_page_size", wanted)
    report._saved_page_size = current
    return wanted


# ---- record sizes: which page size holds every record --------------------------------------
#
# esepy's record format (csrc/isam/record.c): a 4-byte header; one size byte per fixed column
# up to the highest present, then the fixed values; a 2-byte end offset per variable column up
# to the highest present, then the values; when a tagged column has a value, a 2-byte count,
# an 8-byte directory entry per tagged column present and a 5-byte header per value before the
# values.  A separated long value is a 16-byte reference in the record.  A record is the data
# of one B+tree node, which must fit, with its slot, the largest key and an internal node's
# page number, a quarter of the page after the page header (csrc/btree: bt_node_max).
# A larger record keeps its fixed and variable parts in the node and its tagged area in the
# table's long-value tree, a 2-byte marker and a 16-byte reference in its place (csrc/isam
# record.c R-OVF, lv.c O1); a record is at most 4 pages long in all (lv_record_logical_max).

_PAGE_SIZES = (4096, 8192, 16384, 32768)
_LV_REF = 16
_OVF_TAIL = 2 + 16      # what stays of an overflowed tagged area: marker and reference


def _record_most(page_size: int) -> int:
    """The largest esepy record with ``page_size``-byte pages (bt_node_max - JET_cbKeyMost)."""
    return (page_size - 40) // 4 - 6 - 2 - 4 - 255


def _record_fits(cb: int, head: int, page_size: int) -> bool:
    """Does a record of ``cb`` bytes, ``head`` of them before its tagged area, fit with
    ``page_size``-byte pages: in its node, or overflowed (head and reference in the node,
    at most 4 pages in all)?"""
    most = _record_most(page_size)
    return cb <= most or (cb <= 4 * page_size and head < cb and head + _OVF_TAIL <= most)


class _TablePlan:
    """The new table of one source table: the JetAddColumn arguments of each column, the
    column ids the engine will give them (fixed from 1, variable from 128, tagged from 256,
    in the order added) and the largest record its rows need (0: not measured, the schema
    bounds it below every page's maximum)."""

    def __init__(self, t: Any, report: ImportReport) -> None:
        from ._isam import Column
        self.specs = [_column_spec(c, report, t.name) for c in t.columns]
        nxt = {"fixed": 1, "var": 128, "tagged": 256}
        self.cols = []
        for c, (coltyp, cb_max, grbit, cp, _d) in zip(t.columns, self.specs):
            cls = _col_class(coltyp, grbit)
            self.cols.append(Column(c.name, nxt[cls], coltyp, cb_max, grbit, cp))
            nxt[cls] += 1
        self.fixed_cb = {c.columnid: c.cb_max for c in self.cols if c.columnid < 128 and int(c.coltyp) in (9, 10)}
        self.need = 0
        self.need_head = 0     # the largest fixed + variable part (what an overflowed record keeps)
        self.need_row = -1
        self.need_tagged = 0

    def fits(self, page_size: int) -> bool:
        """Every record of the table fits with ``page_size``-byte pages (overflowed if need be)."""
        return _record_fits(self.need, self.need_head if self.need_head < self.need else self.need, page_size)

    def bound(self) -> Optional[int]:
        """The largest record the schema allows when every long value over 16 bytes is
        separated; None when unbounded (a multi-valued column)."""
        cb = 4
        tagged = 0
        for col in self.cols:
            if col.grbit & _COL_MULTIVALUED:
                return None
            size = _TYPE_SIZE.get(int(col.coltyp))
            if int(col.coltyp) in _LONG_TYPES:
                size = min(col.cb_max or _LV_REF, _LV_REF)
            elif size is None:
                size = col.cb_max or _TEXT_MOST
            if col.columnid < 128:
                cb += 1 + size
            elif col.columnid < 256:
                cb += 2 + size
            else:
                cb += 8 + 5 + size
                tagged = 2
        return cb + tagged


_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 4, 7: 8, 8: 8, 14: 4, 15: 8, 16: 16, 17: 2, 18: 8}


def _col_class(coltyp: int, grbit: int) -> str:
    if grbit & _COL_TAGGED or coltyp in _LONG_TYPES:
        return "tagged"
    if coltyp in (9, 10) and not grbit & _COL_FIXED:
        return "var"
    return "fixed"


def _record_size(items: List[Tuple[int, bytes, int, int]], page_size: int, long_ids: Any,
                 separate_all: bool, fixed_cb: Optional[Dict[int, int]] = None) -> int:
    return _record_parts(items, page_size, long_ids, separate_all, fixed_cb)[0]


def _record_parts(items: List[Tuple[int, bytes, int, int]], page_size: int, long_ids: Any,
                  separate_all: bool, fixed_cb: Optional[Dict[int, int]] = None) -> Tuple[int, int]:
    """esepy's size of the record of ``items`` (Table._insert's tuples), long values separated
    as the engine will: flagged, or above a quarter of the largest record; with
    ``separate_all`` every long value above the 16 bytes of a reference.  ``fixed_cb``: the
    size of fixed Binary columns (a shorter value is padded to it)."""
    intrinsic = _record_most(page_size) // 4
    fmax = vmax = 0
    fixed = var = 0
    tagcols = set()
    tagged = 0
    for cid, raw, grbit, _itag in items:
        n = len(raw)
        if cid < 128:
            fmax, fixed = max(fmax, cid), fixed + max(n, fixed_cb.get(cid, 0) if fixed_cb else 0)
        elif cid < 256:
            vmax, var = max(vmax, cid - 127), var + n
        else:
            tagcols.add(cid)
            if cid in long_ids and (grbit & _SET_SEPARATE_LV or n > intrinsic or (separate_all and n > _LV_REF)):
                n = _LV_REF
            tagged += 5 + n
    head = 4 + fmax + fixed + 2 * vmax + var
    return head + ((2 + 8 * len(tagcols) + tagged) if tagcols else 0), head


def _plan(tables: List[Any], source_page_size: int, report: ImportReport) -> Tuple[int, Dict[str, _TablePlan]]:
    """The new tables' columns and the page size: the source's if esepy's records hold every
    record of the source there (every long value separated if need be), else the smallest
    larger page size that does; when none does, the smallest page size at which every
    record fits with its tagged columns moved to the long-value tree (the engine's overflow
    records: fixed and variable columns in the node, at most 4 pages in all).  Tables whose
    schema bounds their records below the source page size's maximum are not read here; the
    others are read once, records sized.  No page size holds a record even so:
    :class:`errors.RecordTooBig`, before anything is written."""
    plans = {t.name: _TablePlan(t, report) for t in tables}
    sizes = [p for p in _PAGE_SIZES if p >= source_page_size] or [source_page_size]
    for t in tables:
        plan = plans[t.name]
        bound = plan.bound()
        if bound is not None and bound <= _record_most(sizes[0]):
            plan.need = plan.need_head = bound   # (an upper bound: the rows were not read)
            continue
        long_ids = {c.columnid for c in plan.cols if int(c.coltyp) in _LONG_TYPES}
        for n, values in enumerate(_source_rows(t)):
            items = _row_items(plan.cols, values, None, t.name, n)
            cb, head = _record_parts(items, sizes[-1], long_ids, True, plan.fixed_cb)
            plan.need_head = max(plan.need_head, head)
            if cb > plan.need:
                plan.need, plan.need_row = cb, n
                plan.need_tagged = sum(1 for it in items if it[0] >= 256)
    for page in sizes:          # records in their nodes when a page size allows it
        if all(p.need <= _record_most(page) for p in plans.values()):
            return page, plans
    for page in sizes:          # else the tagged areas that do not fit go to the LV tree
        if all(p.fits(page) for p in plans.values()):
            return page, plans
    worst_name, worst = max(plans.items(), key=lambda kv: kv[1].need)
    raise errors.RecordTooBig(operation="import_ese", message=(
        f"table {worst_name!r}, record {worst.need_row}: {worst.need} bytes in esepy's record format "
        f"({worst.need_tagged} tagged values, 13 bytes of directory and header each, long values "
        f"separated; fixed and variable columns up to {worst.need_head} bytes), more than esepy's "
        f"largest record with {sizes[-1]}-byte pages ({_record_most(sizes[-1])} bytes in a node, or "
        f"{4 * sizes[-1]} bytes with the tagged columns in the long-value tree and at most "
        f"{_record_most(sizes[-1]) - _OVF_TAIL} bytes of fixed and variable columns); the source holds "
        f"it in one {source_page_size}-byte page"))


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
        # the reader returns fixed text decoded, so it is stored as variable text and every
        # value reads back as the reader gives it.  A fixed UTF-16 column of odd size ends in
        # half a character, which the reader decodes as a whole one: its values are up to
        # size + 1 bytes, and past the 255 bytes of a Text column they need a LongText one
        cp = _codepage(col)
        cb_max = col.max_size + 1 if cp == 1200 and col.max_size % 2 else col.max_size
        coltyp = col.coltyp
        if coltyp == 10 and cb_max > _TEXT_MOST:
            coltyp = 12                 # (tagged, as long values are; NOT NULL is kept)
            report.mapped[(table, col.name)] = (col.coltyp, coltyp, (
                f"fixed UTF-16 text of {col.max_size} bytes (odd: the last character is half stored) "
                f"reads as up to {cb_max} bytes, more than a Text column's {_TEXT_MOST}"))
            report.notes.append(f"{table}.{col.name}: fixed-length text of {col.max_size} bytes kept as "
                                f"LongText of at most {cb_max} bytes (its decoded values exceed Text's "
                                f"{_TEXT_MOST}-byte maximum)")
        else:
            report.notes.append(f"{table}.{col.name}: fixed-length text kept as variable-length text")
        return coltyp, cb_max, grbit | _flag_bits(col, report, table, grbit), cp, \
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
    removed and the exception propagates.

    The new database has the source's page size when esepy's records (at most a quarter
    page) hold every record of the source there, else the smallest larger page size that
    does (:attr:`ImportReport.page_size`, with a note); when no page size holds a record
    in a node, its tagged columns go to the long-value tree (an overflow record, up to 4
    pages, with the smallest page size that allows it); a record that still does not fit
    (fixed and variable columns above a node) is refused before anything is written (:class:`esepy.errors.RecordTooBig`, naming the
    table, the record and the sizes).  A column whose type had to change to hold its values
    exactly is listed in :attr:`ImportReport.mapped`.  ``dest`` must not exist
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
            page, plans = _plan(tables, source.header["page_size"], report)
            report.page_size = _choose_page_size(page, source.header["page_size"], report)
            need = max((p.need for p in plans.values()), default=0)
            if not all(p.fits(report.page_size) for p in plans.values()):
                _restore_page_size(report)
                raise errors.RecordTooBig(operation="import_ese", message=(
                    f"records of up to {need} bytes need {page}-byte pages, but other instances run in this "
                    f"process with {report.page_size}-byte pages (at most {_record_most(report.page_size)} "
                    "bytes a record): import with no instance running"))
            inst = Instance("esepy-import", system_path=os.path.join(work, "sys") + os.sep,
                            log_path=os.path.join(work, "logs") + os.sep,
                            temp_path=os.path.join(work, "sys", "tmp.edb"), create_path_if_not_exist=True)
            inst.init()
            try:
                with inst.begin_session() as s:
                    db = s.create_database(tmp_db)
                    done = 0
                    for t in tables:
                        done = _copy_table(s, db, t, plans[t.name], report, progress, done, total,
                                           batch_rows)
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


def _copy_table(s: Any, db: Any, t: Any, plan: _TablePlan, report: ImportReport,
                progress: Optional[ProgressCallback], done: int, total: int, batch_rows: int) -> int:
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
            for c, spec in zip(t.columns[i:i + _COLUMNS_PER_TRANSACTION], plan.specs[i:i + _COLUMNS_PER_TRANSACTION]):
                dt._add_column(c.name, *spec)
    dt._columns = None
    with s.transaction():
        primary = [x for x in t.indexes if x["primary"]]
        if primary:
            dt.create_primary_index(_key(primary[0]), name=primary[0]["name"])
    dcols = dt.columns
    cols = [dcols[name] for name in t.column_names]
    if [c.columnid for c in cols] != [c.columnid for c in plan.cols]:
        raise AssertionError(f"{t.name}: the engine numbered the columns unlike the plan")
    long_ids = {c.columnid for c in cols if int(c.coltyp) in _LONG_TYPES}
    most = _record_most(report.page_size)
    n = 0
    try:
        rows = _source_rows(t)
        while True:
            s.begin_transaction()
            try:
                k = 0
                for values in rows:
                    items = _row_items(cols, values, report, t.name, n)
                    if long_ids and _record_size(items, report.page_size, long_ids, False, plan.fixed_cb) > most:
                        # as ESE does when a record does not fit: its long values go to the
                        # long-value tree, a reference each in the record
                        items = [(cid, raw, grbit | _SET_SEPARATE_LV, itag)
                                 if cid in long_ids and len(raw) > _LV_REF else (cid, raw, grbit, itag)
                                 for cid, raw, grbit, itag in items]
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


def _source_rows(t: Any) -> Any:
    """The rows of the source table ``t`` as the reader gives them (:meth:`EseTable.rows`), but
    with DateTime values as the stored double (days since 1899-12-30), not the datetime the
    reader makes of it (rounded to the millisecond): the new database holds the source's 8
    bytes exactly."""
    from .ese import _guid, _special
    keep = [(i, fn) for i, fn in t._fixups if fn is _guid]
    cursor = t._db._file.cursor(t._index, _special, False)
    try:
        while True:
            row = cursor.next_row()
            if row is None:
                return
            values = list(row)
            for i, fn in keep:
                v = values[i]
                if v is not None:
                    values[i] = [fn(x) for x in v] if isinstance(v, list) else fn(v)
            yield values
    finally:
        cursor.close()


def _row_items(cols: List[Any], values: List[Any], report: Optional[ImportReport], table: str,
               n: int) -> List[Tuple[int, bytes, int, int]]:
    """Table._insert's (columnid, bytes, grbit, itag) tuples of one source row; undecodable
    values are left out (and listed in ``report.skipped_values`` when a report is given)."""
    items = []
    for col, v in zip(cols, values):
        if v is None:
            continue
        if isinstance(v, list):
            ok = [x for x in v if not _undecodable(x)]
            if len(ok) != len(v) and report is not None:
                report.skipped_values.append((table, col.name, n))
            for x in ok:
                items.append(_item(col, x, 0))
        elif _undecodable(v):
            if report is not None:
                report.skipped_values.append((table, col.name, n))
        else:
            items.append(_item(col, v, 1))
    return items


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
