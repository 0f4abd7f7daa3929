"""esepy database files, read-only: the header, page checks, the B+tree and
space-map walk, space per tree.  Bytes are decoded by the engine
(``esepy_inspect.h``: the cache layer's header reader and page checks, the
btree layer's page layout); this module walks the structure and reports."""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from .. import _esepy, errors
from ._common import (DB_STATES, LGPOS, BackupInfo, Signature, _html_table, _jsonable, _logtime,
                      _not_kind, _open_checked, _pandas, _pyplot)

_CATALOG_OBJID = 1
_BT_NODE_DELETED = 0x1
# Page statuses of esepy_inspect.h (ESEPY_INSPECT_PAGE_*)
_OK, _UNINIT, _CHECKSUM, _PGNO, _MISSING = 0, 1, 2, 3, 4
_STATUS_TEXT = {_OK: "ok", _UNINIT: "uninitialized", _CHECKSUM: "checksum", _PGNO: "pgno", _MISSING: "missing"}


@dataclass
class DatabaseHeader:
    """Every field of a database header (csrc/cache/dbheader.c), as esentutl /mh shows them."""

    path: str
    copy: str                   #: which copy was read: "A" (offset 0) or "B" (the shadow)
    copies_valid: Tuple[bool, bool]
    checksum: int
    version: int
    page_size: int
    filetype: int
    db_signature: Signature
    dbstate: int
    log_signature: Signature
    lgpos_consistent: LGPOS
    time_consistent: Optional[_dt.datetime]
    lgpos_attach: LGPOS
    time_attach: Optional[_dt.datetime]
    lgpos_detach: LGPOS
    time_detach: Optional[_dt.datetime]
    gen_min_required: int
    gen_max_required: int
    gen_max_committed: int
    backup_full_prev: BackupInfo
    backup_inc_prev: BackupInfo
    backup_full_cur: BackupInfo
    backup_copy_prev: BackupInfo
    backup_diff_prev: BackupInfo
    dbid: int
    flags: int
    objid_last: int
    pages_owned: int
    pgno_space: int
    pgno_catalog: int
    dbtime: int

    @property
    def state(self) -> str:
        """The state by name: "CleanShutdown", "DirtyShutdown", "JustCreated", ..."""
        return DB_STATES.get(self.dbstate, f"Illegal({self.dbstate})")

    @property
    def is_clean(self) -> bool:
        """True when the file can be used without recovery (clean shutdown or just created)."""
        return self.dbstate in (1, 3)

    @property
    def recovery_off(self) -> bool:
        """True for a database created without logging (JET_bitDbRecoveryOff)."""
        return bool(self.flags & 0x1)

    def to_dict(self) -> Dict[str, Any]:
        """Every field as JSON-ready values (LGPOS as dicts, times as ISO 8601)."""
        d = _jsonable(self)
        d["state"] = self.state
        return dict(d)

    def _repr_html_(self) -> str:
        rows = [("file", self.path), ("state", self.state), ("page size", self.page_size),
                ("log required", f"{self.gen_min_required}-{self.gen_max_required}"),
                ("log committed", self.gen_max_committed),
                ("last consistent", f"{self.lgpos_consistent} {self.time_consistent or ''}"),
                ("last attach", f"{self.lgpos_attach} {self.time_attach or ''}"),
                ("last detach", f"{self.lgpos_detach} {self.time_detach or ''}"),
                ("pages owned", self.pages_owned), ("last objid", self.objid_last),
                ("db signature", self.db_signature), ("log signature", self.log_signature),
                ("full backup", f"gen {self.backup_full_prev.gen_low}-{self.backup_full_prev.gen_high}"),
                ("header copy", f"{self.copy} (valid: A={self.copies_valid[0]}, B={self.copies_valid[1]})")]
        return _html_table("esepy database header", rows)




def _header_from(path: str, d: Dict[str, Any]) -> DatabaseHeader:
    """A DatabaseHeader from the engine's dict (esepy_inspect.h ESEPY_INSPECT_DBHEADER)."""
    return DatabaseHeader(
        path=path, copy=d["copy"], copies_valid=(bool(d["copies_valid"][0]), bool(d["copies_valid"][1])),
        checksum=d["checksum"],
        version=d["version"], page_size=d["page_size"], filetype=d["filetype"],
        db_signature=Signature.of(d["db_signature"]), dbstate=d["dbstate"],
        log_signature=Signature.of(d["log_signature"]),
        lgpos_consistent=LGPOS.of(d["lgpos_consistent"]), time_consistent=_logtime(d["time_consistent"]),
        lgpos_attach=LGPOS.of(d["lgpos_attach"]), time_attach=_logtime(d["time_attach"]),
        lgpos_detach=LGPOS.of(d["lgpos_detach"]), time_detach=_logtime(d["time_detach"]),
        gen_min_required=d["gen_min_required"], gen_max_required=d["gen_max_required"],
        gen_max_committed=d["gen_max_committed"],
        backup_full_prev=BackupInfo.of(d["backup_full_prev"]), backup_inc_prev=BackupInfo.of(d["backup_inc_prev"]),
        backup_full_cur=BackupInfo.of(d["backup_full_cur"]), backup_copy_prev=BackupInfo.of(d["backup_copy_prev"]),
        backup_diff_prev=BackupInfo.of(d["backup_diff_prev"]), dbid=d["dbid"], flags=d["flags"],
        objid_last=d["objid_last"], pages_owned=d["pages_owned"], pgno_space=d["pgno_space"],
        pgno_catalog=d["pgno_catalog"], dbtime=d["dbtime"])


def _decode_header(path: str, block: bytes, copy: str = "A",
                   valid: Tuple[bool, bool] = (True, True)) -> DatabaseHeader:
    """Decode one header copy held in memory (a backup stream's first page), with the engine's checks."""
    h = _header_from(path, _esepy._inspect_decode_db_header(bytes(block)))
    h.copy, h.copies_valid = copy, valid
    return h


def read_database_header(path: "str | os.PathLike[str]") -> DatabaseHeader:
    """Read a database file's header (copy A, else the shadow copy B) as the engine does,
    without writing anything.

    Raises ``esepy.errors.FileNotFound``, ``FileInvalidType`` (not an esepy
    database), ``DatabaseCorrupted`` (no valid copy), ``InvalidDatabaseVersion``.
    """
    p = _open_checked(path)
    try:
        return _header_from(p, _esepy._inspect_db_header(p))
    except errors.JetError as e:
        raise _not_kind(e, p, "esepy.inspect.read_database_header", "database", "esepy database") from None


@dataclass(frozen=True)
class PageProblem:
    """One damaged page: its number, what is wrong, and the engine error it maps to."""

    pgno: int
    problem: str          #: "checksum", "pgno" (written at the wrong place), "short" (a torn last page)
    error: str            #: JET_errReadVerifyFailure, ...


@dataclass
class ChecksumReport:
    """What a page checksum scan found (esentutl /k): counts, and the bad pages."""

    path: str
    kind: str = "database"
    pages: int = 0
    good: int = 0
    uninitialized: int = 0
    bad_checksum: int = 0
    wrong_pgno: int = 0
    header_copies_valid: Tuple[bool, bool] = (False, False)
    problems: List[PageProblem] = field(default_factory=list)
    records: int = 0          #: for logs: records verified
    files: int = 0            #: for logs: files verified
    #: for databases: pages the database owns that the (truncated) file lacks
    missing: List[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is damaged."""
        return not self.problems and self.bad_checksum == 0 and self.wrong_pgno == 0 and not self.missing

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        d = dict(_jsonable(self))
        d["ok"] = self.ok
        return d


@dataclass(frozen=True)
class IntegrityProblem:
    """One inconsistency found by :meth:`DatabaseFile.check_integrity`."""

    pgno: int
    objid: int
    problem: str
    error: str


@dataclass
class TreeSpace:
    """Space used by one B+tree (a table, or the catalog)."""

    objid: int
    name: str
    root: int
    pages: int = 0
    leaf_pages: int = 0
    internal_pages: int = 0
    depth: int = 0
    nodes: int = 0
    deleted_nodes: int = 0
    bytes_used: int = 0

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        return dict(asdict(self))


@dataclass
class IntegrityReport:
    """The result of a B+tree / space-map walk (esentutl /g on esepy's format)."""

    path: str
    pages: int = 0
    trees: List[TreeSpace] = field(default_factory=list)
    free_pages: int = 0
    never_used_pages: int = 0
    problems: List[IntegrityProblem] = field(default_factory=list)
    checksum: Optional[ChecksumReport] = None

    @property
    def ok(self) -> bool:
        """True when no problem was found (checksums included)."""
        return not self.problems and (self.checksum is None or self.checksum.ok)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        d = dict(_jsonable(self))
        d["ok"] = self.ok
        return d


_ProgressFn = Optional[Callable[[int, int], None]]


class DatabaseFile:
    """Read-only page access to an esepy database file.

    ``DatabaseFile(path)`` opens the file read-only through the engine
    (``esepy_inspect.h``) and reads the header; pages are read on demand and
    decoded by the engine's own page checks and layout code: nothing is ever
    written and no lock is taken, so the file may be in use, dirty, damaged or
    on read-only media.
    """

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        self.path = _open_checked(path)
        try:
            self._db = _esepy.InspectDb(self.path)
        except errors.JetError as e:
            raise _not_kind(e, self.path, "esepy.inspect.DatabaseFile", "database", "esepy database") from None
        self.header = _header_from(self.path, self._db.header())
        self.page_size = self.header.page_size
        self._file_size, count = self._db.size()
        #: Data pages present in the file (pgno 1..page_count).
        self.page_count = int(count)

    def close(self) -> None:
        """Close the file (also done when the object is collected)."""
        self._db.close()

    def __enter__(self) -> "DatabaseFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<esepy.inspect.DatabaseFile {self.path!r} {self.header.state} pages={self.page_count}>"

    def _repr_html_(self) -> str:
        return self.header._repr_html_()

    def _page(self, pgno: int) -> Tuple[bytes, Dict[str, Any]]:
        """(bytes, the engine's decoding) of page pgno."""
        page, info = self._db.read_page(pgno)
        return bytes(page), dict(info)

    def read_page(self, pgno: int) -> bytes:
        """The raw bytes of data page ``pgno`` (1-based), unchecked.

        A page the database owns but a truncated file lacks raises
        :class:`esepy.errors.DatabaseCorrupted` naming the missing pages."""
        if 1 <= pgno <= self.page_count:
            return self._page(pgno)[0]
        missing = self.missing_pages()
        if missing and missing[0] <= pgno <= missing[-1]:
            raise errors.DatabaseCorrupted(operation=f"page {pgno}: {self.missing_text()}")
        raise errors.InvalidParameter(operation=f"page {pgno} is outside 1..{self.page_count}")

    def page_info(self, pgno: int) -> Dict[str, Any]:
        """Page ``pgno`` as the engine decodes it: ``status`` (0 ok, 1 uninitialized, 2 checksum,
        3 written at the wrong place, 4 missing), objid, flags, links, level, node count, ..."""
        if not 1 <= pgno <= max(self.page_count, 1):
            raise errors.InvalidParameter(operation=f"page {pgno} is outside 1..{self.page_count}")
        return self._page(pgno)[1]

    def _space(self) -> Optional[Tuple[int, int]]:
        """(owned, high-water mark) from the space page; None when it is missing or damaged."""
        pgno = self.header.pgno_space
        if not 1 <= pgno <= self.page_count:
            return None
        info = self._page(pgno)[1]
        if info["status"] != _OK or not info["space"]:
            return None
        return int(info["owned"]), int(info["hwm"])

    @property
    def pages_owned(self) -> Optional[int]:
        """Data pages the database owns (its space page's count), None when the space page
        is missing or damaged."""
        sp = self._space()
        return None if sp is None else sp[0]

    @property
    def pages_used(self) -> Optional[int]:
        """The space page's high-water mark: pages 1..pages_used have been used (owned pages
        above it were never written, and a file may lack them), None as for pages_owned."""
        sp = self._space()
        return None if sp is None else sp[1]

    def missing_pages(self) -> List[int]:
        """Pages the database has used that the file lacks (it was truncated), in order;
        empty for a whole file.  When the space page itself is gone, the pages up to the
        space and catalog roots named by the header (the least that is missing)."""
        used = self.pages_used
        if used is None:
            used = max(self.header.pgno_space, self.header.pgno_catalog)
        return list(range(self.page_count + 1, used + 1))

    def missing_text(self) -> str:
        """One line naming the file and its missing page range ("" for a whole file)."""
        missing = self.missing_pages()
        if not missing:
            return ""
        used = self.pages_used
        of = f"of the {used} the database uses" if used is not None else "at least: the space page is gone"
        return (f"{self.path} is truncated: it ends after page {self.page_count}, pages "
                f"{missing[0]}..{missing[-1]} ({len(missing)} {of}) are missing")

    def checksum(self, progress: _ProgressFn = None) -> ChecksumReport:
        """Verify every page's crc32c and page number as the engine's reads do (esentutl /k);
        never raises for bad pages.  ``progress(done, total)`` is called as pages are read.
        """
        rep = ChecksumReport(self.path, "database", header_copies_valid=self.header.copies_valid)
        total = self.page_count
        step = 4096
        for first in range(1, total + 1, step):
            n = min(step, total - first + 1)
            statuses = self._db.check_pages(first, n)
            rep.pages += n
            rep.good += statuses.count(_OK)
            rep.uninitialized += statuses.count(_UNINIT)
            for i, st in enumerate(statuses):
                if st == _PGNO:
                    rep.wrong_pgno += 1
                    rep.problems.append(PageProblem(first + i, "pgno", "JET_errReadVerifyFailure"))
                elif st == _CHECKSUM:
                    rep.bad_checksum += 1
                    rep.problems.append(PageProblem(first + i, "checksum", "JET_errReadVerifyFailure"))
            if progress is not None:
                progress(first + n - 1, total)
        if self._file_size % self.page_size:
            rep.problems.append(PageProblem(rep.pages + 1, "short", "JET_errFileIOBeyondEOF"))
        rep.missing = self.missing_pages()
        return rep

    # -- trees ---------------------------------------------------------------
    @staticmethod
    def _nodes(page: bytes) -> List[Tuple[bytes, bytes, int, int]]:
        """(key, data, flags, child pgno) of every node in slot order, as the engine's layout
        check accepts them; ValueError when it does not."""
        try:
            return [(bytes(k), bytes(d), int(f), int(c)) for k, d, f, c in _esepy._inspect_page_nodes(page)]
        except errors.JetError:
            raise ValueError("node layout broken (the engine's page check fails)") from None

    def _catalog_rows(self) -> Iterator[Tuple[str, int, int, int, int, int, str]]:
        """Live catalog rows decoded by the engine's catalog parser:
        (kind, table objid, objid, root, lv objid, lv root, name)."""
        for key, data, flags in self._leaf_nodes(self.header.pgno_catalog):
            if flags & _BT_NODE_DELETED:
                continue
            kind, table, objid, root, lv_objid, lv_root, name = _esepy._inspect_catalog_row(key, data)
            yield str(kind), int(table), int(objid), int(root), int(lv_objid), int(lv_root), str(name)

    def catalog(self) -> Dict[int, Tuple[str, int]]:
        """Tables named in the catalog: ``{objid: (name, root pgno)}`` (flag-deleted rows skipped)."""
        return {objid: (name, root) for kind, _t, objid, root, _lo, _lr, name in self._catalog_rows()
                if kind == "T"}

    def catalog_trees(self) -> List[Tuple[int, str, int]]:
        """Every tree the catalog names besides the catalog itself: ``(objid, name, root pgno)``
        of each table, each table's long-value tree (``table/lv``) and each secondary index
        (``table/index``), in objid order (flag-deleted rows skipped)."""
        tables: Dict[int, str] = {}
        out: List[Tuple[int, str, int]] = []
        index_rows: List[Tuple[int, str, int, int]] = []
        for kind, table, objid, root, lv_objid, lv_root, name in self._catalog_rows():
            if kind == "T":
                tables[objid] = name
                out.append((objid, name, root))
                if lv_root:
                    out.append((lv_objid, f"{name}/lv", lv_root))
            elif kind == "I":
                index_rows.append((table, name, objid, root))
        for table, name, objid, root in index_rows:
            out.append((objid, f"{tables.get(table, '?')}/{name}", root))
        return sorted(out)

    def _leaf_nodes(self, root: int) -> Iterator[Tuple[bytes, bytes, int]]:
        """(key, data, flags) of every leaf node of the tree at root, in key order."""
        pgno, depth = root, 0
        while True:  # leftmost leaf
            page, info = self._page(pgno)
            if info["leaf"]:
                break
            nodes = self._nodes(page)
            if not nodes or depth > 32:
                return
            pgno, depth = nodes[0][3], depth + 1
        seen = set()
        while pgno and pgno not in seen:
            seen.add(pgno)
            page, info = self._page(pgno)
            yield from ((k, d, f) for k, d, f, _c in self._nodes(page))
            pgno = info["next"]

    def check_integrity(self, progress: _ProgressFn = None, checksums: bool = True) -> IntegrityReport:
        """Walk the space page, the free list and every B+tree; report what does not hold.

        Checks page checksums (with ``checksums``), and per tree: levels, key
        order within pages and against the parent's separators, the leaf chain
        (prev/next links), the tree's objid on every page, only the root empty
        or flagged root; and across the file that every page is in exactly one
        of the space page, a tree, the free list or the never-used range.
        Pages are read and decoded by the engine (its checksums and page layout
        check).  ``progress(done, total)`` is called per page visited.
        """
        rep = IntegrityReport(self.path, pages=self.page_count)
        if checksums:
            rep.checksum = self.checksum()
        missing = self.missing_pages()
        owner: Dict[int, str] = {}
        total = max(self.page_count, 1)
        done = [0]

        def problem(pgno: int, objid: int, text: str, err: str = "JET_errDatabaseCorrupted") -> None:
            rep.problems.append(IntegrityProblem(pgno, objid, text, err))

        if missing:
            problem(missing[0], 0, self.missing_text())

        def claim(pgno: int, what: str, objid: int) -> bool:
            if pgno in owner:
                problem(pgno, objid, f"page reached twice ({owner[pgno]} and {what})", "JET_errBadPageLink")
                return False
            owner[pgno] = what
            done[0] += 1
            if progress is not None:
                progress(min(done[0], total), total)
            return True

        def page_or_problem(pgno: int, objid: int) -> Optional[Tuple[bytes, Dict[str, Any]]]:
            if pgno < 1 or pgno > self.page_count:
                if missing and missing[0] <= pgno <= missing[-1]:
                    problem(pgno, objid, "page missing (truncated file)", "JET_errDatabaseCorrupted")
                else:
                    problem(pgno, objid, "page number beyond the end of the file", "JET_errBadPageLink")
                return None
            page, info = self._page(pgno)
            if info["status"] != _OK:
                problem(pgno, objid, f"page unreadable ({_STATUS_TEXT.get(info['status'], '?')})",
                        "JET_errReadVerifyFailure")
                return None
            return page, info

        # space page and free list
        hwm = self.page_count
        spi = page_or_problem(self.header.pgno_space, 0)
        if spi is not None and claim(self.header.pgno_space, "space", 0):
            sp = spi[1]
            if not sp["space"]:
                problem(self.header.pgno_space, 0, "the space page is not flagged as such")
            owned, hwm, pfree, cfree = sp["owned"], sp["hwm"], sp["free_first"], sp["free_count"]
            # D4: pages above the high-water mark were never written; a file that recovery
            # rebuilt may end there, below the pages the space page owns
            if hwm > self.page_count or hwm > owned:
                problem(self.header.pgno_space, 0, f"space page: owned {owned}, high-water {hwm}, "
                        f"file has {self.page_count}")
            hwm = min(hwm, self.page_count)
            n = 0
            while pfree and n <= self.page_count:
                fp = page_or_problem(pfree, 0)
                if fp is None or not claim(pfree, "free list", 0):
                    break
                if not fp[1]["free"]:
                    problem(pfree, 0, "page on the free list is not flagged free")
                n += 1
                pfree = fp[1]["next"]
            rep.free_pages = n
            if n != cfree:
                problem(self.header.pgno_space, 0, f"free list holds {n} pages, the space page says {cfree}")
            rep.never_used_pages = max(0, self.page_count - hwm)

        # trees: the catalog, then every table it names
        trees = [(_CATALOG_OBJID, "(catalog)", self.header.pgno_catalog)]
        try:
            trees += self.catalog_trees()
        except (ValueError, IndexError, errors.JetError) as e:
            problem(self.header.pgno_catalog, _CATALOG_OBJID, f"catalog unreadable: {e}")
        for objid, name, root in trees:
            ts = TreeSpace(objid, name, root)
            rep.trees.append(ts)
            self._walk_tree(ts, problem, claim, page_or_problem)

        # S1: every page accounted for (only when the space page could be read)
        if spi is not None:
            leaked = [pgno for pgno in range(1, hwm + 1) if pgno not in owner]
            if leaked:
                shown = ", ".join(str(p) for p in leaked[:10]) + (", ..." if len(leaked) > 10 else "")
                problem(leaked[0], 0, f"{len(leaked)} page(s) in no tree, not free and not the space "
                        f"page (leaked): {shown}")
        return rep

    def _walk_tree(self, ts: TreeSpace, problem: Callable[..., None], claim: Callable[[int, str, int], bool],
                   page_or_problem: Callable[[int, int], Optional[Tuple[bytes, Dict[str, Any]]]]) -> None:
        objid = ts.objid
        leaves: List[Tuple[int, Dict[str, Any]]] = []

        def walk(pgno: int, level: Optional[int], lo: Optional[bytes], hi: Optional[bytes], is_root: bool,
                 depth: int) -> None:
            if depth > 32:
                problem(pgno, objid, "tree deeper than 32 levels")
                return
            got = page_or_problem(pgno, objid)
            if got is None or not claim(pgno, f"tree {ts.name}", objid):
                return
            page, info = got
            plevel = info["level"]
            if info["objid"] != objid:
                problem(pgno, objid, f"page belongs to objid {info['objid']}", "JET_errBadParentPageLink")
            if info["root"] != is_root:
                problem(pgno, objid, "root flag wrong")
            if level is not None and plevel != level:
                problem(pgno, objid, f"level {plevel}, parent expects {level}", "JET_errBadParentPageLink")
            leaf = bool(info["leaf"])
            if leaf != (plevel == 0) or (not leaf and not info["internal"]):
                problem(pgno, objid, "leaf/internal flags disagree with the level")
            try:
                nodes = self._nodes(page)
            except ValueError as e:
                problem(pgno, objid, f"page layout: {e}")
                return
            ts.pages += 1
            ts.depth = max(ts.depth, depth + 1)
            ts.bytes_used += info["bytes_used"]
            if not nodes and not is_root:
                problem(pgno, objid, "empty non-root page")
            prev: Optional[bytes] = None
            for i, (key, _data, _nflags, _child) in enumerate(nodes):
                if not leaf and i == 0:
                    continue
                if prev is not None and not prev < key:
                    problem(pgno, objid, f"keys out of order at slot {i}")
                    break
                if (lo is not None and key < lo) or (hi is not None and key >= hi):
                    problem(pgno, objid, f"key at slot {i} outside the parent's separators")
                    break
                prev = key
            if leaf:
                ts.leaf_pages += 1
                ts.nodes += sum(1 for n in nodes if not n[2] & _BT_NODE_DELETED)
                ts.deleted_nodes += sum(1 for n in nodes if n[2] & _BT_NODE_DELETED)
                leaves.append((pgno, info))
                return
            ts.internal_pages += 1
            for i, (key, _data, _f, child) in enumerate(nodes):
                child_lo = lo if i == 0 else key
                child_hi = nodes[i + 1][0] if i + 1 < len(nodes) else hi
                walk(child, plevel - 1, child_lo, child_hi, False, depth + 1)

        walk(ts.root, None, None, None, True, 0)
        # T1: the leaves, in key order, are linked both ways with 0 at the ends
        for i, (pgno, info) in enumerate(leaves):
            want_prev = leaves[i - 1][0] if i else 0
            want_next = leaves[i + 1][0] if i + 1 < len(leaves) else 0
            if info["prev"] != want_prev or info["next"] != want_next:
                problem(pgno, objid, f"leaf links prev={info['prev']} next={info['next']}, "
                        f"expected {want_prev}/{want_next}", "JET_errBadPageLink")

    def space_usage(self) -> List[TreeSpace]:
        """Pages, depth and records per tree (catalog and tables), from a full walk."""
        return self.check_integrity(checksums=False).trees

    def space_dataframe(self) -> Any:
        """:meth:`space_usage` as a pandas DataFrame (needs pandas: ``pip install esepy[pandas]``)."""
        pd = _pandas()
        return pd.DataFrame([t.to_dict() for t in self.space_usage()])

    def plot_space(self, ax: Any = None) -> Any:
        """A bar chart of leaf / internal pages per tree (needs matplotlib); returns the Axes."""
        plt = _pyplot()
        trees = self.space_usage()
        if ax is None:
            _fig, ax = plt.subplots()
        names = [t.name for t in trees]
        ax.bar(names, [t.leaf_pages for t in trees], label="leaf pages")
        ax.bar(names, [t.internal_pages for t in trees], bottom=[t.leaf_pages for t in trees],
               label="internal pages")
        ax.set_ylabel("pages")
        ax.set_title(f"page usage of {os.path.basename(self.path)} ({self.page_count} pages)")
        ax.legend()
        return ax
