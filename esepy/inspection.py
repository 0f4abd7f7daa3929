"""Read-only inspection of esepy's files: database headers and pages, log
generations and their records, checkpoint files, and what recovery needs.

Everything here reads files and never writes a byte to them, so it is safe on
evidence (forensics), on a database a crashed process left dirty, and on files
another process is using.  The formats are esepy's own (documented at the top
of ``csrc/cache/cache.h``, ``csrc/cache/dbheader.c``, ``csrc/log/log.h``,
``csrc/log/log_checkpoint.c``, ``csrc/btree/btree_int.h`` and
``csrc/isam/catalog.c``); real Windows ESE files are read by another module.

* :func:`read_database_header` -> :class:`DatabaseHeader` (every header field).
* :class:`DatabaseFile` -- page-level access: :meth:`DatabaseFile.checksum`
  (bad / blank / misplaced pages), :meth:`DatabaseFile.check_integrity`
  (B+tree and space-map walk), :meth:`DatabaseFile.space_usage` (pages per table).
* :class:`LogFile` (one generation) and :class:`LogFolder` (a log stream):
  headers, records as :class:`LogRecord` (LGPOS, type, transaction, page),
  verification of the crc chain and of the generation sequence.
* :func:`read_checkpoint` -> :class:`Checkpoint`.
* :func:`recovery_requirements` -> :class:`RecoveryRequirements`: the
  generations a dirty database needs and which of them are missing.
* :func:`open_database` -> :class:`ReadOnlyDatabase`: tables, columns and
  records through the engine, from the file itself when it is clean, else
  from a scratch copy (recovered with copies of its logs when they are given).

Errors are the engine's exception classes (:mod:`esepy.errors`):
``FileNotFound``, ``FileInvalidType`` (not this kind of file),
``DatabaseCorrupted``, ``LogFileCorrupt``, ``CheckpointCorrupt``, ...
"""
from __future__ import annotations

import datetime as _dt
import html as _html
import os
import re
import shutil
import struct
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from . import errors

__all__ = [
    "crc32c", "LGPOS", "Signature", "BackupInfo", "DatabaseHeader", "read_database_header",
    "PageProblem", "ChecksumReport", "IntegrityProblem", "IntegrityReport", "TreeSpace", "DatabaseFile",
    "LogHeader", "LogRecord", "LogFile", "LogFolder", "LogCheckReport", "Checkpoint", "read_checkpoint",
    "RecoveryRequirements", "recovery_requirements", "ReadOnlyDatabase", "open_database",
    "file_kind", "RECORD_TYPES", "DB_STATES",
]

# ---------------------------------------------------------------------------
# crc32c (Castagnoli), the checksum of every esepy file.  google-crc32c (a
# dependency) does it in C; the table below is the fallback.

_CRC_TABLE: List[int] = []


def _crc_table() -> List[int]:
    if not _CRC_TABLE:
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            _CRC_TABLE.append(c)
    return _CRC_TABLE


def _crc32c_py(data: bytes, crc: int = 0) -> int:
    table = _crc_table()
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


try:  # pragma: no branch
    import google_crc32c as _gcrc

    def crc32c(data: bytes, crc: int = 0) -> int:
        """CRC-32C of ``data``, continuing from ``crc`` (the engine's ``os_crc32c(crc, data)``)."""
        return int(_gcrc.extend(crc, bytes(data)))
except ImportError:  # pragma: no cover - exercised when the wheel is missing
    def crc32c(data: bytes, crc: int = 0) -> int:
        """CRC-32C of ``data``, continuing from ``crc`` (the engine's ``os_crc32c(crc, data)``)."""
        return _crc32c_py(bytes(data), crc)


# ---------------------------------------------------------------------------
# Common encodings

DB_MAGIC, LOG_MAGIC, CHK_MAGIC = 0x44504553, 0x4C504553, 0x43504553   # "SEPD", "SEPL", "SEPC"
_FILETYPE_DB, _FILETYPE_TEMPDB, _FILETYPE_LOG, _FILETYPE_CHK = 1, 5, 3, 4
LOG_HEADER_SIZE, LOG_SECTOR, LOG_BLOCK, LOG_REC_HEADER = 4096, 4096, 512, 16
_ATTACH_SIZE, _MAX_ATTACH = 300, 7
PAGE_HEADER_SIZE = 40
_PAGE_SIZES = (4096, 8192, 16384, 32768)

#: JET_dbstate* values and their names.
DB_STATES = {1: "JustCreated", 2: "DirtyShutdown", 3: "CleanShutdown", 4: "BeingConverted", 5: "ForceDetach"}

#: Log record types (csrc/log/log.h, csrc/isam/isam_int.h, csrc/btree/btree.h).
RECORD_TYPES = {
    0: "Pad", 1: "GenEnd", 2: "Init", 3: "Term", 4: "Flush",
    16: "Commit", 17: "Rollback", 18: "Undo", 19: "Clr", 20: "DbCreate", 21: "DbAttach", 22: "DbDetach",
    23: "DbRoots", 24: "DeltaDone",
    32: "PageImage", 33: "Insert", 34: "Delete", 35: "Replace", 36: "SetFlags", 37: "SmoEnd",
}

_BTP_LEAF, _BTP_INTERNAL, _BTP_ROOT, _BTP_SPACE, _BTP_FREE = 0x01, 0x02, 0x04, 0x08, 0x10
_BT_NODE_DELETED = 0x1
_CATALOG_OBJID = 1


def _u32(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<I", b, o)[0])


def _i32(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<i", b, o)[0])


def _u64(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<Q", b, o)[0])


def _u16(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<H", b, o)[0])


def _logtime(b: bytes, o: int) -> Optional[_dt.datetime]:
    """JET_LOGTIME (8 bytes) -> datetime (UTC when flagged), None when zero or invalid."""
    raw = b[o:o + 8]
    if not any(raw):
        return None
    sec, minute, hour, day, month, year = raw[0], raw[1], raw[2], raw[3], raw[4], raw[5]
    ms = (raw[6] >> 1) | (((raw[7] >> 1) & 0x7) << 7)
    utc = raw[6] & 1
    try:
        return _dt.datetime(1900 + year, month, day, hour, minute, sec, min(ms, 999) * 1000,
                            tzinfo=_dt.timezone.utc if utc else None)
    except ValueError:
        return None


@dataclass(frozen=True, order=True)
class LGPOS:
    """A log position (JET_LGPOS): generation, 4096-byte sector, byte in the sector.

    Positions compare in log order; ``str()`` is esentutl's ``(0xGEN,ISEC,IB)``.
    """

    generation: int
    isec: int
    ib: int

    @classmethod
    def from_lsn(cls, lsn: int) -> "LGPOS":
        """Unpack the engine's packed lsn (``gen << 32 | isec << 16 | ib``)."""
        return cls(int((lsn >> 32) & 0xFFFFFFFF), int((lsn >> 16) & 0xFFFF), int(lsn & 0xFFFF))

    @property
    def lsn(self) -> int:
        """The packed lsn."""
        return (self.generation << 32) | (self.isec << 16) | self.ib

    @property
    def is_null(self) -> bool:
        """True for the null position (0,0,0)."""
        return self.lsn == 0

    def __str__(self) -> str:
        return f"(0x{self.generation:X},{self.isec:X},{self.ib:X})"

    def to_tuple(self) -> Tuple[int, int, int]:
        """``(generation, isec, ib)``."""
        return (self.generation, self.isec, self.ib)


@dataclass(frozen=True)
class Signature:
    """JET_SIGNATURE: identity of a database or a log stream."""

    random: int
    created: Optional[_dt.datetime]
    computer: str

    @classmethod
    def decode(cls, b: bytes, o: int) -> "Signature":
        """Decode the 28-byte on-disk form at offset ``o``."""
        name = b[o + 12:o + 28].split(b"\0", 1)[0].decode("utf-8", "replace")
        return cls(_u32(b, o), _logtime(b, o + 4), name)

    def __str__(self) -> str:
        when = self.created.isoformat() if self.created else "-"
        return f"Create time:{when} Rand:{self.random} Computer:{self.computer}"


@dataclass(frozen=True)
class BackupInfo:
    """JET_BKINFO: one backup recorded in a database header."""

    mark: LGPOS
    time: Optional[_dt.datetime]
    gen_low: int
    gen_high: int

    @classmethod
    def decode(cls, b: bytes, o: int) -> "BackupInfo":
        """Decode the 24-byte on-disk form at offset ``o``."""
        mark = LGPOS(_i32(b, o + 4), _u16(b, o + 2), _u16(b, o))
        return cls(mark, _logtime(b, o + 8), _u32(b, o + 16), _u32(b, o + 20))


def _jsonable(v: Any) -> Any:
    if isinstance(v, LGPOS):
        return {"generation": v.generation, "isec": v.isec, "ib": v.ib, "text": str(v)}
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if hasattr(v, "__dataclass_fields__"):
        return {k: _jsonable(getattr(v, k)) for k in v.__dataclass_fields__}
    return v


def _html_table(caption: str, rows: Sequence[Tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th style='text-align:left'>{_html.escape(str(k))}</th>"
                   f"<td>{_html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table><caption>{_html.escape(caption)}</caption>{body}</table>"


def _read_exact(path: str, offset: int, size: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(size)


def _open_checked(path: str) -> str:
    p = os.fspath(path)
    if not os.path.exists(p):
        raise errors.FileNotFound(operation=f"open {p}")
    if os.path.isdir(p):
        raise errors.FileInvalidType(operation=f"{p} is a folder")
    return p


def _wrong_reader(path: str, reader: str, kind: str) -> Optional[errors.JetError]:
    """The FileInvalidType naming the reader that fits ``path`` when it is not
    an esepy ``kind`` file (esepy/_formats.py), else None."""
    from ._formats import ESEPY, wrong_reader
    return wrong_reader(path, reader, ESEPY, kind)


def file_kind(path: str) -> str:
    """What an esepy file is, from its magic: ``"database"``, ``"log"``, ``"checkpoint"`` or ``"unknown"``."""
    head = _read_exact(_open_checked(path), 0, 8)
    magic = _u32(head, 4) if len(head) >= 8 else 0
    return {DB_MAGIC: "database", LOG_MAGIC: "log", CHK_MAGIC: "checkpoint"}.get(magic, "unknown")


# ---------------------------------------------------------------------------
# Database header

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


def _header_copy_ok(block: bytes, offset: int) -> bool:
    if len(block) < 4096 or _u32(block, 4) != DB_MAGIC:
        return False
    cb = _u32(block, 12)
    if cb not in _PAGE_SIZES or len(block) < cb or (offset and cb != offset):
        return False
    return _u32(block, 0) == crc32c(block[4:cb])


def _decode_header(path: str, block: bytes, copy: str, valid: Tuple[bool, bool]) -> DatabaseHeader:
    b = block
    return DatabaseHeader(
        path=path, copy=copy, copies_valid=valid, checksum=_u32(b, 0), version=_u32(b, 8),
        page_size=_u32(b, 12), filetype=_u32(b, 16), db_signature=Signature.decode(b, 20),
        dbstate=_u32(b, 48), log_signature=Signature.decode(b, 52),
        lgpos_consistent=LGPOS.from_lsn(_u64(b, 80)), time_consistent=_logtime(b, 88),
        lgpos_attach=LGPOS.from_lsn(_u64(b, 96)), time_attach=_logtime(b, 104),
        lgpos_detach=LGPOS.from_lsn(_u64(b, 112)), time_detach=_logtime(b, 120),
        gen_min_required=_i32(b, 128), gen_max_required=_i32(b, 132), gen_max_committed=_i32(b, 136),
        backup_full_prev=BackupInfo.decode(b, 140), backup_inc_prev=BackupInfo.decode(b, 164),
        backup_full_cur=BackupInfo.decode(b, 188), backup_copy_prev=BackupInfo.decode(b, 212),
        backup_diff_prev=BackupInfo.decode(b, 236), dbid=_u32(b, 260), flags=_u32(b, 264),
        objid_last=_u32(b, 268), pages_owned=_u32(b, 272), pgno_space=_u32(b, 276),
        pgno_catalog=_u32(b, 280), dbtime=_u64(b, 288))


def read_database_header(path: str) -> DatabaseHeader:
    """Read a database file's header (copy A, else the shadow copy B) without writing anything.

    Raises ``esepy.errors.FileNotFound``, ``FileInvalidType`` (not an esepy
    database: wrong magic), ``DatabaseCorrupted`` (no valid copy).
    """
    p = _open_checked(path)
    with open(p, "rb") as f:
        a = f.read(32768)
        if len(a) < 8 or _u32(a, 4) != DB_MAGIC:
            raise (_wrong_reader(p, "esepy.inspection.read_database_header", "database")
                   or errors.FileInvalidType(operation=f"{p} is not an esepy database (magic)"))
        cb = _u32(a, 12) if _u32(a, 12) in _PAGE_SIZES else 0
        okA = _header_copy_ok(a, 0)
        blocks_b = []
        for size in ([cb] if cb else list(_PAGE_SIZES)):
            f.seek(size)
            blocks_b.append((size, f.read(size)))
    okB, bblock = False, b""
    for size, blk in blocks_b:
        if _header_copy_ok(blk, size):
            okB, bblock = True, blk
            break
    if okA:
        return _decode_header(p, a, "A", (True, okB))
    if okB:
        return _decode_header(p, bblock, "B", (False, True))
    raise errors.DatabaseCorrupted(operation=f"{p}: neither header copy is valid")


# ---------------------------------------------------------------------------
# Database pages

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

    ``DatabaseFile(path)`` reads the header; pages are read on demand with
    plain ``open(path, "rb")``: nothing is ever written and no lock is taken,
    so the file may be in use, dirty, damaged or on read-only media.
    """

    def __init__(self, path: str) -> None:
        self.path = _open_checked(path)
        self.header = read_database_header(self.path)
        self.page_size = self.header.page_size
        size = os.path.getsize(self.path)
        #: Data pages present in the file (pgno 1..page_count).
        self.page_count = max(0, size // self.page_size - 2)

    def __repr__(self) -> str:
        return f"<esepy.inspection.DatabaseFile {self.path!r} {self.header.state} pages={self.page_count}>"

    def _repr_html_(self) -> str:
        return self.header._repr_html_()

    def read_page(self, pgno: int) -> bytes:
        """The raw bytes of data page ``pgno`` (1-based), unchecked.

        A page the database owns but a truncated file lacks raises
        :class:`esepy.errors.DatabaseCorrupted` naming the missing pages."""
        if 1 <= pgno <= self.page_count:
            return _read_exact(self.path, (pgno + 1) * self.page_size, self.page_size)
        missing = self.missing_pages()
        if missing and missing[0] <= pgno <= missing[-1]:
            raise errors.DatabaseCorrupted(operation=f"page {pgno}: {self.missing_text()}")
        raise errors.InvalidParameter(operation=f"page {pgno} is outside 1..{self.page_count}")

    def _space(self) -> Optional[Tuple[int, int]]:
        """(owned, high-water mark) from the space page; None when it is missing or damaged."""
        pgno = self.header.pgno_space
        if not 1 <= pgno <= self.page_count:
            return None
        page = _read_exact(self.path, (pgno + 1) * self.page_size, self.page_size)
        if self._page_status(pgno, page) != "ok" or not _u32(page, 20) & _BTP_SPACE:
            return None
        return _u32(page, 40), _u32(page, 44)

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

    def _pages(self) -> Iterator[Tuple[int, bytes]]:
        cb = self.page_size
        with open(self.path, "rb") as f:
            f.seek(2 * cb)
            pgno = 0
            while True:
                chunk = f.read(cb * 256)
                if not chunk:
                    return
                for o in range(0, len(chunk) - cb + 1, cb):
                    pgno += 1
                    yield pgno, chunk[o:o + cb]

    @staticmethod
    def _page_status(pgno: int, page: bytes) -> str:
        if _u32(page, 0) == crc32c(page[4:], pgno) and _u32(page, 4) == pgno:
            return "ok"
        if not any(page):
            return "uninitialized"
        if _u32(page, 4) != pgno and _u32(page, 0) == crc32c(page[4:], _u32(page, 4)):
            return "pgno"
        return "checksum"

    def checksum(self, progress: _ProgressFn = None) -> ChecksumReport:
        """Verify every page's crc32c and page number (esentutl /k); never raises for bad pages.

        ``progress(done, total)`` is called as pages are read.
        """
        rep = ChecksumReport(self.path, "database", header_copies_valid=self.header.copies_valid)
        total = self.page_count
        for pgno, page in self._pages():
            rep.pages += 1
            st = self._page_status(pgno, page)
            if st == "ok":
                rep.good += 1
            elif st == "uninitialized":
                rep.uninitialized += 1
            elif st == "pgno":
                rep.wrong_pgno += 1
                rep.problems.append(PageProblem(pgno, "pgno", "JET_errReadVerifyFailure"))
            else:
                rep.bad_checksum += 1
                rep.problems.append(PageProblem(pgno, "checksum", "JET_errReadVerifyFailure"))
            if progress is not None and (pgno % 256 == 0 or pgno == total):
                progress(pgno, total)
        if os.path.getsize(self.path) % self.page_size:
            rep.problems.append(PageProblem(rep.pages + 1, "short", "JET_errFileIOBeyondEOF"))
        rep.missing = self.missing_pages()
        return rep

    # -- trees ---------------------------------------------------------------
    def _nodes(self, page: bytes) -> List[Tuple[bytes, bytes, int]]:
        """(key, data, flags) of every node in slot order; ValueError when the layout is broken."""
        cb = self.page_size
        cslot, ibheap = _u16(page, 32), _u16(page, 34)
        if ibheap < PAGE_HEADER_SIZE or ibheap > cb - 2 * cslot:
            raise ValueError("heap and slot array overlap")
        out = []
        for i in range(cslot):
            off = _u16(page, cb - 2 * (i + 1))
            if off < PAGE_HEADER_SIZE or off + 6 > ibheap:
                raise ValueError(f"slot {i} points outside the heap")
            cbkey, cbdata, flags = _u16(page, off), _u16(page, off + 2), _u16(page, off + 4)
            end = off + 6 + cbkey + cbdata
            if end > ibheap:
                raise ValueError(f"node {i} overruns the heap")
            out.append((page[off + 6:off + 6 + cbkey], page[off + 6 + cbkey:end], flags))
        return out

    def catalog(self) -> Dict[int, Tuple[str, int]]:
        """Tables named in the catalog: ``{objid: (name, root pgno)}`` (flag-deleted rows skipped)."""
        out: Dict[int, Tuple[str, int]] = {}
        for key, data, flags in self._leaf_nodes(self.header.pgno_catalog):
            if flags & _BT_NODE_DELETED or not key.startswith(b"T") or len(data) < 13:
                continue
            objid, root, cbname = _u32(data, 0), _u32(data, 4), data[12]
            name = data[13:13 + cbname].decode("utf-8", "replace")
            out[objid] = (name, root)
        return out

    def catalog_trees(self) -> List[Tuple[int, str, int]]:
        """Every tree the catalog names besides the catalog itself: ``(objid, name, root pgno)``
        of each table, each table's long-value tree (``table/lv``) and each secondary index
        (``table/index``), in objid order (flag-deleted rows skipped)."""
        tables: Dict[int, str] = {}
        out: List[Tuple[int, str, int]] = []
        index_rows: List[Tuple[int, str, int, int]] = []
        for key, data, flags in self._leaf_nodes(self.header.pgno_catalog):
            if flags & _BT_NODE_DELETED:
                continue
            if key.startswith(b"I") and len(key) > 5 and len(data) >= 8:
                # 'I' table objid (u32 BE) name -> u32 index objid, u32 root, ...
                index_rows.append((int.from_bytes(key[1:5], "big"), key[5:].decode("utf-8", "replace"),
                                   _u32(data, 0), _u32(data, 4)))
            elif key.startswith(b"T") and len(data) >= 13:
                objid, root, tflags, cbname = _u32(data, 0), _u32(data, 4), _u32(data, 8), data[12]
                name = data[13:13 + cbname].decode("utf-8", "replace")
                tables[objid] = name
                out.append((objid, name, root))
                if tflags & 0x1:  # CAT_TF_LV: u32 objidLV, u32 pgnoLV after the primary index name
                    i = 13 + cbname + 4
                    i += 1 + 8 * data[i]
                    i += 1 + data[i]
                    if i + 8 <= len(data):
                        out.append((_u32(data, i), f"{name}/lv", _u32(data, i + 4)))
        for table, name, objid, root in index_rows:
            out.append((objid, f"{tables.get(table, '?')}/{name}", root))
        return sorted(out)

    def _leaf_nodes(self, root: int) -> Iterator[Tuple[bytes, bytes, int]]:
        pgno, depth = root, 0
        while True:  # leftmost leaf
            page = self.read_page(pgno)
            if _u32(page, 20) & _BTP_LEAF:
                break
            nodes = self._nodes(page)
            if not nodes or depth > 32:
                return
            pgno, depth = _u32(nodes[0][1], 0), depth + 1
        seen = set()
        while pgno and pgno not in seen:
            seen.add(pgno)
            page = self.read_page(pgno)
            yield from self._nodes(page)
            pgno = _u32(page, 28)

    def check_integrity(self, progress: _ProgressFn = None, checksums: bool = True) -> IntegrityReport:
        """Walk the space page, the free list and every B+tree; report what does not hold.

        Checks page checksums (with ``checksums``), and per tree: levels, key
        order within pages and against the parent's separators, the leaf chain
        (prev/next links), the tree's objid on every page, only the root empty
        or flagged root; and across the file that every page is in exactly one
        of the space page, a tree, the free list or the never-used range.
        ``progress(done, total)`` is called per page visited.
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

        def page_or_problem(pgno: int, objid: int) -> Optional[bytes]:
            if pgno < 1 or pgno > self.page_count:
                if missing and missing[0] <= pgno <= missing[-1]:
                    problem(pgno, objid, "page missing (truncated file)", "JET_errDatabaseCorrupted")
                else:
                    problem(pgno, objid, "page number beyond the end of the file", "JET_errBadPageLink")
                return None
            page = self.read_page(pgno)
            st = self._page_status(pgno, page)
            if st != "ok":
                problem(pgno, objid, f"page unreadable ({st})", "JET_errReadVerifyFailure")
                return None
            return page

        # space page and free list
        hwm = self.page_count
        sp = page_or_problem(self.header.pgno_space, 0)
        if sp is not None and claim(self.header.pgno_space, "space", 0):
            if not _u32(sp, 20) & _BTP_SPACE:
                problem(self.header.pgno_space, 0, "the space page is not flagged as such")
            owned, hwm, pfree, cfree = _u32(sp, 40), _u32(sp, 44), _u32(sp, 48), _u32(sp, 52)
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
                if not _u32(fp, 20) & _BTP_FREE:
                    problem(pfree, 0, "page on the free list is not flagged free")
                n += 1
                pfree = _u32(fp, 28)
            rep.free_pages = n
            if n != cfree:
                problem(self.header.pgno_space, 0, f"free list holds {n} pages, the space page says {cfree}")
            rep.never_used_pages = max(0, self.page_count - hwm)

        # trees: the catalog, then every table it names
        trees = [(_CATALOG_OBJID, "(catalog)", self.header.pgno_catalog)]
        try:
            trees += self.catalog_trees()
        except (ValueError, IndexError, errors.JetError, struct.error) as e:
            problem(self.header.pgno_catalog, _CATALOG_OBJID, f"catalog unreadable: {e}")
        for objid, name, root in trees:
            ts = TreeSpace(objid, name, root)
            rep.trees.append(ts)
            self._walk_tree(ts, problem, claim, page_or_problem)

        # S1: every page accounted for (only when the space page could be read)
        if sp is not None:
            leaked = [pgno for pgno in range(1, hwm + 1) if pgno not in owner]
            if leaked:
                shown = ", ".join(str(p) for p in leaked[:10]) + (", ..." if len(leaked) > 10 else "")
                problem(leaked[0], 0, f"{len(leaked)} page(s) in no tree, not free and not the space "
                        f"page (leaked): {shown}")
        return rep

    def _walk_tree(self, ts: TreeSpace, problem: Callable[..., None], claim: Callable[[int, str, int], bool],
                   page_or_problem: Callable[[int, int], Optional[bytes]]) -> None:
        objid = ts.objid
        leaves: List[int] = []

        def walk(pgno: int, level: Optional[int], lo: Optional[bytes], hi: Optional[bytes], is_root: bool,
                 depth: int) -> None:
            if depth > 32:
                problem(pgno, objid, "tree deeper than 32 levels")
                return
            page = page_or_problem(pgno, objid)
            if page is None or not claim(pgno, f"tree {ts.name}", objid):
                return
            flags, plevel = _u32(page, 20), page[38]
            if _u32(page, 16) != objid:
                problem(pgno, objid, f"page belongs to objid {_u32(page, 16)}", "JET_errBadParentPageLink")
            if bool(flags & _BTP_ROOT) != is_root:
                problem(pgno, objid, "root flag wrong")
            if level is not None and plevel != level:
                problem(pgno, objid, f"level {plevel}, parent expects {level}", "JET_errBadParentPageLink")
            leaf = bool(flags & _BTP_LEAF)
            if leaf != (plevel == 0) or (not leaf and not flags & _BTP_INTERNAL):
                problem(pgno, objid, "leaf/internal flags disagree with the level")
            try:
                nodes = self._nodes(page)
            except ValueError as e:
                problem(pgno, objid, f"page layout: {e}")
                return
            ts.pages += 1
            ts.depth = max(ts.depth, depth + 1)
            ts.bytes_used += _u16(page, 34) - PAGE_HEADER_SIZE - _u16(page, 36) + 2 * len(nodes)
            if not nodes and not is_root:
                problem(pgno, objid, "empty non-root page")
            prev: Optional[bytes] = None
            for i, (key, _data, nflags) in enumerate(nodes):
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
                leaves.append(pgno)
                return
            ts.internal_pages += 1
            for i, (key, data, _f) in enumerate(nodes):
                if len(data) != 4:
                    problem(pgno, objid, f"internal node {i} has {len(data)} data bytes")
                    continue
                child_lo = lo if i == 0 else key
                child_hi = nodes[i + 1][0] if i + 1 < len(nodes) else hi
                walk(_u32(data, 0), plevel - 1, child_lo, child_hi, False, depth + 1)

        walk(ts.root, None, None, None, True, 0)
        # T1: the leaves, in key order, are linked both ways with 0 at the ends
        for i, pgno in enumerate(leaves):
            page = self.read_page(pgno)
            want_prev = leaves[i - 1] if i else 0
            want_next = leaves[i + 1] if i + 1 < len(leaves) else 0
            if _u32(page, 24) != want_prev or _u32(page, 28) != want_next:
                problem(pgno, objid, f"leaf links prev={_u32(page, 24)} next={_u32(page, 28)}, "
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


def _pandas() -> Any:
    try:
        import pandas  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise ImportError("this needs pandas: pip install 'esepy[pandas]'") from None
    return pandas


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("this needs matplotlib: pip install 'esepy[pandas]'") from None
    return plt


# ---------------------------------------------------------------------------
# Log files

@dataclass(frozen=True)
class LogAttach:
    """A database known to a log stream (log header or checkpoint attach list)."""

    dbid: int
    flags: int
    db_signature: Signature
    lgpos_attach: LGPOS
    path: str

    @classmethod
    def decode(cls, b: bytes, o: int) -> "LogAttach":
        """Decode the 300-byte attach entry at ``o``."""
        path = b[o + 44:o + 300].split(b"\0", 1)[0].decode("utf-8", "replace")
        return cls(_u32(b, o), _u32(b, o + 4), Signature.decode(b, o + 8), LGPOS.from_lsn(_u64(b, o + 36)), path)


@dataclass
class LogHeader:
    """The header (sector 0) of one log generation."""

    path: str
    generation: int
    file_size: int
    page_size: int
    circular: bool
    created: Optional[_dt.datetime]
    prev_generation_created: Optional[_dt.datetime]
    signature: Signature
    checkpoint: LGPOS                  #: the checkpoint when this generation was created
    attached: List[LogAttach]
    raw_created: bytes = b""           #: the 8 LOGTIME bytes (compared for the sequence check)
    raw_prev: bytes = b""

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        d = dict(_jsonable(self))
        d.pop("raw_created", None)
        d.pop("raw_prev", None)
        return d


@dataclass(frozen=True)
class LogRecord:
    """One log record: position, type and what it is about.

    ``transaction`` is the transaction id of Commit / Rollback / Undo / Clr /
    DeltaDone records; ``dbid`` and ``pgno`` the database and page of page and
    database records (None when the type has none).
    """

    lgpos: LGPOS
    type: int
    length: int
    transaction: Optional[int] = None
    dbid: Optional[int] = None
    pgno: Optional[int] = None
    payload: bytes = b""

    @property
    def type_name(self) -> str:
        """The record type by name ("Commit", "Insert", ...)."""
        return RECORD_TYPES.get(self.type, f"Type{self.type}")

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form (without the payload)."""
        return {"lgpos": str(self.lgpos), "generation": self.lgpos.generation, "isec": self.lgpos.isec,
                "ib": self.lgpos.ib, "type": self.type_name, "type_id": self.type, "length": self.length,
                "transaction": self.transaction, "dbid": self.dbid, "pgno": self.pgno}


def _describe_record(lgpos: LGPOS, rtype: int, rec: bytes) -> LogRecord:
    p = rec[LOG_REC_HEADER:]
    trx = dbid = pgno = None
    try:
        if rtype in (16, 17, 19, 24):
            trx = _u64(p, 0)
        elif rtype == 18:
            trx, dbid, pgno = _u64(p, 0), _u32(p, 8), _u32(p, 12)
        elif rtype in (20, 21, 22, 23):
            dbid = _u32(p, 0)
        elif rtype == 37:
            dbid = _u32(p, 0)
        elif 32 <= rtype <= 47:
            dbid, pgno = _u32(p, 0), _u32(p, 4)
    except struct.error:
        pass
    return LogRecord(lgpos, rtype, len(rec), trx, dbid, pgno, bytes(p))


_LOG_FLUSH_SIZE = 32


def _flush_trailer(data: bytes, off: int, gen: int, seed: int) -> Optional[int]:
    """offDurable of a valid flush trailer of generation ``gen`` at ``off`` (log.h), else None."""
    t = data[off:off + _LOG_FLUSH_SIZE]
    if len(t) < _LOG_FLUSH_SIZE or _u32(t, 0) != _LOG_FLUSH_SIZE or t[4] != 4 or t[5] != 0 or _u16(t, 6) != 0 \
            or _i32(t, 12) != gen or _u32(t, 28) != 0:
        return None
    durable = _u64(t, 16)
    if durable < LOG_HEADER_SIZE or durable > off or durable % LOG_BLOCK:
        return None
    z = t[:8] + b"\0\0\0\0" + t[12:24] + b"\0\0\0\0" + t[28:] + struct.pack("<Q", off)
    return durable if crc32c(z, seed) == _u32(t, 24) else None


def _break_is_damage(data: bytes, off: int, gen: int, seed: int, file_size: int, real_size: int) -> bool:
    """Whether the chain break at ``off`` of the current generation is damage (log.h, L9)."""
    if real_size < file_size:
        return True
    zero = trailer = zero_first = False
    blk = off // LOG_BLOCK * LOG_BLOCK
    while blk + LOG_BLOCK <= len(data):
        t = blk + LOG_BLOCK - _LOG_FLUSH_SIZE
        durable = _flush_trailer(data, t, gen, seed) if t >= off else None
        if durable is not None:
            if durable > off:
                return True
            if not trailer:
                zero_first = zero
            trailer = True
        elif not zero and not any(data[blk:blk + LOG_BLOCK]):
            zero = True
        blk += LOG_BLOCK
    return trailer and not zero_first


def _decode_log_header(path: str, buf: bytes) -> LogHeader:
    if len(buf) < LOG_HEADER_SIZE:
        raise errors.LogFileCorrupt(operation=f"{path}: shorter than a log header")
    if _u32(buf, 4) != LOG_MAGIC:
        raise (_wrong_reader(path, "esepy.inspection.LogFile", "log")
               or errors.FileInvalidType(operation=f"{path} is not an esepy log file (magic)"))
    if _u32(buf, 0) != crc32c(buf[4:LOG_HEADER_SIZE]):
        raise errors.LogFileCorrupt(operation=f"{path}: header checksum")
    if _u32(buf, 8) != 2:
        raise errors.BadLogVersion(operation=f"{path}: format version {_u32(buf, 8)}")
    gen, nsec, cattach = _i32(buf, 12), _u32(buf, 20), _u32(buf, 88)
    if _u32(buf, 16) != LOG_SECTOR or not 4 <= nsec <= 65535 or gen <= 0 or cattach > _MAX_ATTACH \
            or _u32(buf, 84) != _FILETYPE_LOG:
        raise errors.LogFileCorrupt(operation=f"{path}: header fields")
    return LogHeader(
        path=path, generation=gen, file_size=nsec * LOG_SECTOR, page_size=_u32(buf, 24),
        circular=bool(_u32(buf, 28) & 1), created=_logtime(buf, 32), prev_generation_created=_logtime(buf, 40),
        signature=Signature.decode(buf, 48), checkpoint=LGPOS.from_lsn(_u64(buf, 76)),
        attached=[LogAttach.decode(buf, 92 + i * _ATTACH_SIZE) for i in range(cattach)],
        raw_created=bytes(buf[32:40]), raw_prev=bytes(buf[40:48]))


class LogFile:
    """One log generation file (``edb.log``, ``edb0000A.log``, ...), read-only.

    ``header`` is read and verified on construction; :meth:`records` walks
    the crc chain.  After a full walk, ``end`` is the position just past the
    last good record, ``ended_with_genend`` tells whether the generation was
    closed, and ``torn`` whether bytes that fail the chain follow the end.
    ``damaged`` tells whether that break lies inside durably flushed data
    (the engine's rule, invariant L9 of ``csrc/log/log.h``: the file is short,
    a later flush trailer says the data was durable, or no block of the last
    flush is missing): recovery refuses such a generation with
    JET_errLogFileCorrupt, while an undamaged break in ``edb.log`` is a write
    the crash cut (normal).  A break in an archived generation is always damage.
    """

    def __init__(self, path: str) -> None:
        self.path = _open_checked(path)
        self.header = _decode_log_header(self.path, _read_exact(self.path, 0, LOG_HEADER_SIZE))
        self.generation = self.header.generation
        self.end: Optional[LGPOS] = None
        self.ended_with_genend = False
        self.torn = False
        self.damaged = False

    def __repr__(self) -> str:
        return f"<esepy.inspection.LogFile {os.path.basename(self.path)} generation={self.generation}>"

    def _repr_html_(self) -> str:
        h = self.header
        return _html_table(f"esepy log generation {h.generation}", [
            ("file", h.path), ("generation", h.generation), ("created", h.created),
            ("previous generation created", h.prev_generation_created), ("signature", h.signature),
            ("checkpoint at creation", h.checkpoint), ("size", h.file_size), ("circular", h.circular),
            ("attached", ", ".join(a.path for a in h.attached) or "-")])

    def records(self, include_padding: bool = False) -> Iterator[LogRecord]:
        """Every valid record in file order (Pad records only with ``include_padding``)."""
        h = self.header
        gen = h.generation
        sign = _read_exact(self.path, 48, 28)
        crc = crc32c(sign + struct.pack("<i", gen))
        limit = min(os.path.getsize(self.path), h.file_size)
        rec_max = h.file_size - LOG_HEADER_SIZE - LOG_BLOCK
        self.ended_with_genend = False
        self.torn = False
        self.damaged = False
        seed = crc
        real_size = os.path.getsize(self.path)
        with open(self.path, "rb") as f:
            data = f.read(limit)
        off = LOG_HEADER_SIZE
        while True:
            rem = LOG_BLOCK - off % LOG_BLOCK
            if rem < LOG_REC_HEADER:
                off += rem
            if off + LOG_REC_HEADER > limit:
                self.damaged = _break_is_damage(data, off, gen, seed, h.file_size, real_size)
                break
            length, rtype = _u32(data, off), data[off + 4]
            if (length < LOG_REC_HEADER or length > rec_max or data[off + 5] != 0 or _u16(data, off + 6) != 0
                    or _i32(data, off + 12) != gen or off + length > limit):
                self.torn = any(data[off:off + LOG_BLOCK])
                self.damaged = _break_is_damage(data, off, gen, seed, h.file_size, real_size)
                break
            rec = data[off:off + length]
            c = crc32c(rec[12:], crc32c(b"\0\0\0\0", crc32c(rec[:8], crc)))
            if c != _u32(rec, 8):
                self.torn = True
                self.damaged = _break_is_damage(data, off, gen, seed, h.file_size, real_size)
                break
            crc = c
            lgpos = LGPOS(gen, off // LOG_SECTOR, off % LOG_SECTOR)
            off += length
            if rtype not in (0, 4) or include_padding:
                yield _describe_record(lgpos, rtype, rec)
            if rtype == 1:
                self.ended_with_genend = True
                break
        self.end = LGPOS(gen, off // LOG_SECTOR, off % LOG_SECTOR)

    def to_dict(self, records: bool = False) -> Dict[str, Any]:
        """Header (and, with ``records``, every record) as JSON-ready values."""
        d: Dict[str, Any] = {"path": self.path, "header": self.header.to_dict()}
        recs = [r.to_dict() for r in self.records()]
        d["record_count"] = len(recs)
        d["end"] = str(self.end)
        d["ended_with_genend"] = self.ended_with_genend
        d["torn_tail"] = self.torn
        d["damaged"] = self.damaged
        if records:
            d["records"] = recs
        return d


@dataclass
class LogCheckReport:
    """What :meth:`LogFolder.check` found: files, records and problems (esentutl /ml)."""

    folder: str
    base: str
    generations: List[int] = field(default_factory=list)
    current_generation: Optional[int] = None
    records: int = 0
    problems: List[str] = field(default_factory=list)
    missing: List[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no damaged or missing log file was found."""
        return not self.problems and not self.missing

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        d = dict(_jsonable(self))
        d["ok"] = self.ok
        return d


class LogFolder:
    """The log stream of a base name in a folder (``edb.log``, ``edbXXXXX.log``), read-only.

    ``LogFolder(folder, base=None)`` finds the base name when the folder holds
    one stream (``FileNotFound`` when it holds none).  Generations are
    :class:`LogFile` objects in generation order, the current one (``edb.log``) last.
    """

    def __init__(self, folder: str, base: Optional[str] = None) -> None:
        folder = os.fspath(folder)
        if not os.path.isdir(folder):
            raise errors.FileNotFound(operation=f"log folder {folder}")
        self.folder = folder
        names = os.listdir(folder)
        if base is None:
            bases = sorted({m.group(1) for n in names for m in [re.fullmatch(r"(.{3})(?:[0-9A-F]{5}|[0-9A-F]{8})?\.(?:log|jtx)", n)]
                            if m and not n.endswith("tmp.log")})
            if not bases:
                raise errors.FileNotFound(operation=f"no log files in {folder}")
            base = "edb" if "edb" in bases else bases[0]
        self.base = base
        self._archived: Dict[int, str] = {}
        self._current: Optional[str] = None
        for n in names:
            m = re.fullmatch(re.escape(base) + r"([0-9A-F]{5}|[0-9A-F]{8})\.(log|jtx)", n)
            if m:
                self._archived[int(m.group(1), 16)] = os.path.join(folder, n)
            elif n in (base + ".log", base + ".jtx"):
                self._current = os.path.join(folder, n)
        if not self._archived and self._current is None:
            raise errors.FileNotFound(operation=f"no {base} log files in {folder}")

    def __repr__(self) -> str:
        gens = self.generation_numbers()
        span = f"{gens[0]}..{gens[-1]}" if gens else "none"
        return f"<esepy.inspection.LogFolder {self.folder!r} base={self.base!r} generations={span}>"

    def _repr_html_(self) -> str:
        rows: List[Tuple[str, Any]] = [("folder", self.folder), ("base name", self.base)]
        for lf in self.files():
            rows.append((os.path.basename(lf.path), f"generation {lf.generation}, created {lf.header.created}"))
        return _html_table("esepy log folder", rows)

    def files(self) -> List[LogFile]:
        """Every generation present, lowest first (unreadable files raise)."""
        out = [LogFile(p) for _g, p in sorted(self._archived.items())]
        if self._current is not None:
            out.append(LogFile(self._current))
        return out

    def generation_numbers(self) -> List[int]:
        """Generations present (archived ones by name, the current one from its header)."""
        gens = sorted(self._archived)
        if self._current is not None:
            try:
                gens.append(LogFile(self._current).generation)
            except errors.JetError:
                pass
        return sorted(set(gens))

    def generation(self, gen: int) -> LogFile:
        """The file of generation ``gen`` (``MissingLogFile`` when it is not there)."""
        if gen in self._archived:
            return LogFile(self._archived[gen])
        if self._current is not None:
            lf = LogFile(self._current)
            if lf.generation == gen:
                return lf
        raise errors.MissingLogFile(operation=f"generation {gen} in {self.folder}")

    def records(self, start: Optional[int] = None, stop: Optional[int] = None) -> Iterator[LogRecord]:
        """Records of generations ``start..stop`` (inclusive; all by default), in log order."""
        for lf in self.files():
            if (start is None or lf.generation >= start) and (stop is None or lf.generation <= stop):
                yield from lf.records()

    def databases(self) -> List[str]:
        """Paths of the databases the stream names (attach lists of the headers, DbCreate / DbAttach records).

        These are the files soft recovery replays into (unless an alternate
        recovery folder maps them elsewhere).
        """
        seen: Dict[str, None] = {}
        for lf in self.files():
            for a in lf.header.attached:
                seen.setdefault(a.path, None)
            for r in lf.records():
                if r.type in (20, 21) and len(r.payload) >= 38:
                    cb = _u16(r.payload, 36)
                    seen.setdefault(r.payload[38:38 + cb].split(b"\0", 1)[0].decode("utf-8", "replace"), None)
        return list(seen)

    def check(self, progress: _ProgressFn = None) -> LogCheckReport:
        """Verify every file: headers, crc chains, generation sequence, signatures, GenEnd of archived files."""
        rep = LogCheckReport(self.folder, self.base)
        prev: Optional[LogFile] = None
        paths = [p for _g, p in sorted(self._archived.items())] + ([self._current] if self._current else [])
        for i, path in enumerate(paths):
            try:
                lf = LogFile(path)
            except errors.JetError as e:
                rep.problems.append(f"{os.path.basename(path)}: {e}")
                prev = None
                continue
            rep.generations.append(lf.generation)
            archived = path != self._current
            if archived and self._archived.get(lf.generation) != path:
                rep.problems.append(f"{os.path.basename(path)}: holds generation {lf.generation} "
                                    "(JET_errLogGenerationMismatch)")
            if not archived:
                rep.current_generation = lf.generation
            if prev is not None:
                if lf.header.signature != prev.header.signature:
                    rep.problems.append(f"generation {lf.generation}: signature differs (JET_errBadLogSignature)")
                elif lf.generation == prev.generation + 1 and lf.header.raw_prev != prev.header.raw_created:
                    rep.problems.append(f"generation {lf.generation}: does not continue generation "
                                        f"{prev.generation} (JET_errInvalidLogSequence)")
                for g in range(prev.generation + 1, lf.generation):
                    rep.missing.append(g)
            n = sum(1 for _ in lf.records())
            rep.records += n
            if archived and not lf.ended_with_genend:
                rep.problems.append(f"generation {lf.generation}: damaged before its end at {lf.end} "
                                    "(JET_errLogFileCorrupt)")
            elif not archived and lf.damaged:
                rep.problems.append(f"generation {lf.generation}: damaged inside flushed data at {lf.end} "
                                    "(JET_errLogFileCorrupt)")
            prev = lf
            if progress is not None:
                progress(i + 1, len(paths))
        if self._current is None and self._archived and not self._interrupted_roll(max(self._archived)):
            rep.problems.append(f"{self.base}.log is missing after generation {max(self._archived)} "
                                "(JET_errMissingLogFile)")
        return rep

    def _interrupted_roll(self, gen_high: int) -> bool:
        """Whether <base>tmp.log carries generation gen_high + 1's header: a roll cut between its
        two renames, so the missing current log is not a lost one (log_reader.c, R4)."""
        for ext in ("log", "jtx"):
            p = os.path.join(self.folder, f"{self.base}tmp.{ext}")
            if os.path.exists(p):
                try:
                    h = LogFile(p).header
                except errors.JetError:
                    return False
                return h.generation == gen_high + 1
        return False

    def to_pandas(self) -> Any:
        """Every record as a pandas DataFrame (columns of :meth:`LogRecord.to_dict`)."""
        pd = _pandas()
        df = pd.DataFrame([r.to_dict() for r in self.records()],
                          columns=["lgpos", "generation", "isec", "ib", "type", "type_id", "length",
                                   "transaction", "dbid", "pgno"])
        # numbers stay integers where some records have none (nullable dtype, not float NaN)
        for c in ("generation", "isec", "ib", "type_id", "length", "transaction", "dbid", "pgno"):
            df[c] = df[c].astype("Int64")
        return df

    def generations_dataframe(self) -> Any:
        """One row per generation: number, creation time, records, bytes used (pandas)."""
        pd = _pandas()
        rows = []
        for lf in self.files():
            recs = list(lf.records())
            rows.append({"generation": lf.generation, "file": os.path.basename(lf.path),
                         "created": lf.header.created, "records": len(recs),
                         "bytes": (lf.end.isec * LOG_SECTOR + lf.end.ib - LOG_HEADER_SIZE) if lf.end else 0,
                         "closed": lf.ended_with_genend})
        return pd.DataFrame(rows)

    def plot_generations(self, ax: Any = None) -> Any:
        """Plot log generations over time (creation time vs generation; needs matplotlib); returns the Axes."""
        plt = _pyplot()
        files = self.files()
        if ax is None:
            _fig, ax = plt.subplots()
        xs = [lf.header.created for lf in files]
        ys = [lf.generation for lf in files]
        ax.step(xs, ys, where="post", marker="o")
        ax.set_xlabel("created")
        ax.set_ylabel("generation")
        ax.set_title(f"log generations in {self.folder}")
        return ax


# ---------------------------------------------------------------------------
# Checkpoint

@dataclass
class Checkpoint:
    """A checkpoint file (``edb.chk``): where redo starts, the stream's signature, backups."""

    path: str
    copy: str
    copies_valid: Tuple[bool, bool]
    checkpoint: LGPOS
    signature: Signature
    full_backup: LGPOS
    incremental_backup: LGPOS
    full_backup_time: Optional[_dt.datetime]
    incremental_backup_time: Optional[_dt.datetime]
    attached: List[LogAttach]

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        return dict(_jsonable(self))

    def _repr_html_(self) -> str:
        return _html_table("esepy checkpoint", [
            ("file", self.path), ("checkpoint", self.checkpoint), ("signature", self.signature),
            ("full backup", f"{self.full_backup} {self.full_backup_time or ''}"),
            ("incremental backup", f"{self.incremental_backup} {self.incremental_backup_time or ''}"),
            ("attached", ", ".join(a.path for a in self.attached) or "-"),
            ("copy", f"{self.copy} (valid: A={self.copies_valid[0]}, B={self.copies_valid[1]})")])


def _chk_ok(b: bytes) -> bool:
    return (len(b) >= 4096 and _u32(b, 4) == CHK_MAGIC and _u32(b, 8) == 1 and _u32(b, 12) == _FILETYPE_CHK
            and _u32(b, 0) == crc32c(b[4:4096]) and _u32(b, 84) <= _MAX_ATTACH)


def read_checkpoint(path: str) -> Checkpoint:
    """Read a checkpoint file (copy A, else copy B) without writing anything.

    ``FileNotFound``; ``FileInvalidType`` when it is no checkpoint;
    ``CheckpointCorrupt`` when neither copy is valid.
    """
    p = _open_checked(path)
    data = _read_exact(p, 0, 8192)
    if len(data) < 8 or _u32(data, 4) != CHK_MAGIC:
        raise (_wrong_reader(p, "esepy.inspection.read_checkpoint", "checkpoint")
               or errors.FileInvalidType(operation=f"{p} is not an esepy checkpoint file (magic)"))
    a, b = data[:4096], data[4096:8192]
    okA, okB = _chk_ok(a), _chk_ok(b)
    if not (okA or okB):
        raise errors.CheckpointCorrupt(operation=f"{p}: neither copy is valid")
    c = a if okA else b
    return Checkpoint(
        path=p, copy="A" if okA else "B", copies_valid=(okA, okB), checkpoint=LGPOS.from_lsn(_u64(c, 16)),
        signature=Signature.decode(c, 24), full_backup=LGPOS.from_lsn(_u64(c, 52)),
        incremental_backup=LGPOS.from_lsn(_u64(c, 60)), full_backup_time=_logtime(c, 68),
        incremental_backup_time=_logtime(c, 76),
        attached=[LogAttach.decode(c, 88 + i * _ATTACH_SIZE) for i in range(_u32(c, 84))])


# ---------------------------------------------------------------------------
# What recovery needs

@dataclass
class RecoveryRequirements:
    """What soft recovery of a database needs, and whether the log folder has it.

    ``gen_min_required..gen_max_required`` come from the database header
    (0..0 for a clean database: nothing needed); ``present`` are the
    generations found; ``missing`` those in the required range that are not.
    """

    database: str
    state: str
    gen_min_required: int
    gen_max_required: int
    gen_max_committed: int
    log_folder: Optional[str]
    present: List[int]
    missing: List[int]
    signature_matches: Optional[bool]
    checkpoint: Optional[LGPOS]

    @property
    def needs_recovery(self) -> bool:
        """True when the database is not clean."""
        return self.state not in ("CleanShutdown", "JustCreated")

    @property
    def recoverable(self) -> bool:
        """True when nothing is needed, or every required generation is there with the right signature."""
        if not self.needs_recovery:
            return True
        return bool(self.log_folder) and not self.missing and self.signature_matches is not False

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        d = dict(_jsonable(self))
        d["needs_recovery"] = self.needs_recovery
        d["recoverable"] = self.recoverable
        return d


def recovery_requirements(database: str, log_folder: Optional[str] = None,
                          checkpoint: Optional[str] = None) -> RecoveryRequirements:
    """Compare a database header's required log range with a log folder (and a checkpoint file)."""
    h = read_database_header(database)
    present: List[int] = []
    missing: List[int] = []
    sig: Optional[bool] = None
    if log_folder is not None:
        lf = LogFolder(log_folder)
        present = lf.generation_numbers()
        if h.gen_min_required > 0:
            missing = [g for g in range(h.gen_min_required, h.gen_max_required + 1) if g not in present]
        if present:
            try:
                sig = lf.generation(present[-1]).header.signature == h.log_signature
            except errors.JetError:
                sig = None
    chk = read_checkpoint(checkpoint).checkpoint if checkpoint else None
    return RecoveryRequirements(h.path, h.state, h.gen_min_required, h.gen_max_required, h.gen_max_committed,
                                log_folder, present, missing, sig, chk)


# ---------------------------------------------------------------------------
# Backup sets (the folders JetBackupInstance writes), read-only

TRAILER_MAGIC = 0x54504553  # "SEPT": the last page of a database copy (csrc/backup/bk_int.h)


@dataclass
class BackupDatabase:
    """One database copy of a backup set: its header, its trailer and its ``.pat`` marker."""

    name: str
    path: str
    size: int
    page_size: int
    pages: int
    db_signature: Optional[Signature]
    log_signature: Optional[Signature]
    mark: Optional[LGPOS]
    gen_low: int
    gen_high: int
    has_marker: bool
    problem: Optional[str]


@dataclass
class BackupSet:
    """A backup folder as restore will see it (``read_backup_set``), without writing a byte.

    ``folder`` is the folder holding the set (the given one, or its ``new`` / ``old``
    subfolder for atomic backups); ``databases`` the copies; ``generations`` the log
    generations present; ``missing`` the generations absent inside that range;
    ``problems`` what would make restore refuse the set (``complete`` is True when
    there is none).
    """

    path: str
    folder: str
    base: Optional[str]
    databases: List[BackupDatabase]
    generations: List[int]
    missing: List[int]
    problems: List[str]

    @property
    def complete(self) -> bool:
        """True when restore would accept the set (as far as files can tell)."""
        return not self.problems

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-ready dict."""
        d: Dict[str, Any] = _jsonable(self)
        d["complete"] = self.complete
        return d

    def _repr_html_(self) -> str:
        gens = f"{self.generations[0]}..{self.generations[-1]}" if self.generations else "none"
        rows = [("folder", self.folder), ("log generations", gens), ("missing generations", self.missing or "none"),
                ("complete", "yes" if self.complete else "no: " + "; ".join(self.problems))]
        head = _html_table("Backup set", rows)
        body = "".join(
            f"<tr><td>{_html.escape(d.name)}</td><td>{d.pages}</td><td>{d.page_size}</td>"
            f"<td>{d.gen_low}..{d.gen_high}</td><td>{_html.escape(str(d.mark))}</td>"
            f"<td>{'yes' if d.has_marker else 'no'}</td><td>{_html.escape(d.problem or '')}</td></tr>"
            for d in self.databases)
        dbs = ("<table><caption>Database copies</caption><tr><th>file</th><th>pages</th><th>page size</th>"
               "<th>generations needed</th><th>backup mark</th><th>.pat</th><th>problem</th></tr>"
               f"{body}</table>")
        return head + dbs


def _read_backup_db(folder: str, name: str) -> Optional[BackupDatabase]:
    path = os.path.join(folder, name)
    size = os.path.getsize(path)
    try:
        h = read_database_header(path)
    except errors.JetError:
        return None  # not a database: restore ignores it too
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    has_marker = os.path.isfile(os.path.join(folder, stem + ".pat"))
    ps = h.page_size
    problem: Optional[str] = None
    db = BackupDatabase(name, path, size, ps, max(0, size // ps - 3) if ps else 0, h.db_signature, None, None,
                        h.backup_full_cur.gen_low, 0, has_marker, None)
    if h.backup_full_cur.gen_low == 0:
        problem = "not a backup copy (JET_errRestoreOfNonBackupDatabase)"
    elif not ps or size % ps or size < 3 * ps:
        problem = "truncated: no trailer page (JET_errDatabasePatchFileMismatch)"
    else:
        t = _read_exact(path, size - ps, ps)
        if (_u32(t, 0) != crc32c(t[4:]) or _u32(t, 4) != TRAILER_MAGIC or _u32(t, 12) != ps
                or (_u32(t, 16) + 3) * ps != size):
            problem = "bad trailer (JET_errDatabasePatchFileMismatch)"
        else:
            db.log_signature = Signature.decode(t, 48)
            db.mark = LGPOS.from_lsn(_u64(t, 76))
            db.gen_low, db.gen_high = _u32(t, 92), _u32(t, 96)
            n = _u16(t, 100)
            if t[102:102 + n].decode("utf-8", "replace") != name:
                problem = "trailer names another file (JET_errDatabasePatchFileMismatch)"
    if problem is None and not has_marker:
        problem = "no .pat marker: incomplete backup (JET_errPatchFileMissing)"
    db.problem = problem
    return db


def read_backup_set(path: str) -> BackupSet:
    """Describe the backup set in folder ``path`` (or its ``new`` / ``old`` subfolder).

    Reads headers and trailers only; never writes.  ``FileNotFound`` when the
    folder does not exist.
    """
    path = os.fspath(path)
    if not os.path.isdir(path):
        raise errors.FileNotFound(operation=f"backup folder {path}")
    folder = path
    for sub in ("", "new", "old"):
        cand = os.path.join(path, sub) if sub else path
        if os.path.isdir(cand) and any(re.fullmatch(r".{3}(?:[0-9A-F]{5}|[0-9A-F]{8})\.(?:log|jtx)", n)
                                       for n in os.listdir(cand)):
            folder = cand
            break
    problems: List[str] = []
    base: Optional[str] = None
    gens: List[int] = []
    try:
        lf = LogFolder(folder)
        base = lf.base
        gens = sorted(lf._archived)
    except errors.FileNotFound:
        problems.append("no log generation (JET_errMissingLogFile)")
    missing = [g for g in range(gens[0], gens[-1] + 1) if g not in gens] if gens else []
    if missing:
        problems.append(f"generations missing: {missing} (JET_errMissingLogFile)")
    dbs: List[BackupDatabase] = []
    for name in sorted(os.listdir(folder)):
        full = os.path.join(folder, name)
        if os.path.islink(full):
            problems.append(f"{name} is a symbolic link (JET_errInvalidPath)")
            continue
        if not os.path.isfile(full) or name.endswith((".pat", ".tmp", ".log", ".jtx", ".chk", ".jcp", ".jrs")):
            continue
        d = _read_backup_db(folder, name)
        if d is not None:
            dbs.append(d)
    if not dbs:
        problems.append("no database copy with a .pat marker (JET_errPatchFileMissing)")
    for d in dbs:
        if d.problem:
            problems.append(f"{d.name}: {d.problem}")
        elif gens and (d.gen_low < gens[0]):
            problems.append(f"{d.name}: needs generation {d.gen_low}, the set starts at {gens[0]}")
        elif gens and d.gen_high > gens[-1]:
            problems.append(f"{d.name}: needs generation {d.gen_high}, the set ends at {gens[-1]}")
    return BackupSet(path, folder, base, dbs, gens, missing, problems)


# ---------------------------------------------------------------------------
# Tables and records, read-only, through the engine

class ReadOnlyDatabase:
    """A database opened for reading only, through a private engine instance.

    Made by :func:`open_database`; a context manager.  ``source`` says what is
    read: ``"file"`` (the file itself, attached read-only: it was clean),
    ``"recovered copy"`` (a scratch copy of a dirty database recovered with
    copies of its logs) or ``"copy as on disk"`` (a scratch copy of a dirty
    database whose logs were not given: pages as they are on disk, possibly
    missing changes that were only in the log).  The original files are never
    written.
    """

    def __init__(self, path: str, *, logs: Optional[str] = None, system: Optional[str] = None,
                 copy: Optional[bool] = None) -> None:
        import esepy

        self.path = os.path.abspath(_open_checked(path))
        self.header = read_database_header(self.path)
        self._scratch = tempfile.mkdtemp(prefix="esepy-ro-")
        self._instance: Optional[Any] = None
        self._session: Optional[Any] = None
        self._db: Optional[Any] = None
        try:
            self._open(esepy, logs, system, copy)
        except BaseException:
            self.close()
            raise

    def _open(self, esepy: Any, logs: Optional[str], system: Optional[str], copy: Optional[bool]) -> None:
        h = self.header
        sc = self._scratch
        params: Dict[str, Any] = dict(system_path=os.path.join(sc, "system") + "/",
                                      log_path=os.path.join(sc, "logs") + "/",
                                      temp_path=os.path.join(sc, "system", "tmp.edb"),
                                      create_path_if_not_exist=True, log_file_size_kb=128)
        if copy is None:
            writable = os.access(self.path, os.W_OK) and bool(os.stat(self.path).st_mode & 0o222)
            copy = not h.is_clean or not writable
        target = self.path
        self.source = "file"
        if copy:
            dbdir = os.path.join(sc, "db")
            os.makedirs(dbdir)
            target = os.path.join(dbdir, os.path.basename(self.path))
            shutil.copyfile(self.path, target)
            if h.is_clean:
                self.source = "copy"
            elif logs is not None:
                folder = LogFolder(logs)
                os.makedirs(os.path.join(sc, "logs"))
                os.makedirs(os.path.join(sc, "system"))
                for lf in folder.files():
                    shutil.copyfile(lf.path, os.path.join(sc, "logs", os.path.basename(lf.path)))
                if system is not None:
                    for n in os.listdir(system):
                        if n in (folder.base + ".chk", folder.base + ".jcp"):
                            shutil.copyfile(os.path.join(system, n), os.path.join(sc, "system", n))
                params.update(base_name=folder.base, alternate_database_recovery_path=dbdir)
                self.source = "recovered copy"
            else:
                _force_clean(target)
                self.source = "copy as on disk"
        self.opened_path = target
        self._instance = esepy.Instance("esepy-readonly", **params)
        self._instance.init()
        self._session = self._instance.begin_session()
        self._db = self._session.attach_database(target, read_only=True)

    @property
    def database(self) -> Any:
        """The engine's :class:`esepy.Database` (opened read-only)."""
        if self._db is None:
            raise errors.InvalidParameter(operation="ReadOnlyDatabase is closed")
        return self._db

    @property
    def tables(self) -> List[str]:
        """Table names."""
        return list(self.database.tables)

    def table(self, name: str) -> Any:
        """Open a table read-only (an :class:`esepy.Table`; close it or use ``with``)."""
        return self.database.open_table(name, read_only=True)

    def describe(self) -> List[Dict[str, Any]]:
        """Every table with its columns, primary key and record count."""
        out = []
        for name in self.tables:
            with self.table(name) as t:
                out.append({"name": name,
                            "columns": [{"name": c.name, "type": c.coltyp.name.lower(), "id": c.columnid,
                                         "max_length": c.cb_max, "codepage": c.codepage}
                                        for c in t.columns.values()],
                            "primary_key": t.primary_key,
                            "indexes": [{"name": "primary", "key": t.primary_key, "primary": True}]
                            if t.primary_key else [],
                            "records": len(t)})
        return out

    def records(self, name: str) -> Iterator[Dict[str, Any]]:
        """Every record of a table, as dicts, in key order."""
        with self.table(name) as t:
            yield from t

    def close(self) -> None:
        """Detach, terminate the private instance and delete the scratch folder."""
        try:
            if self._db is not None:
                self._db.close()
            if self._session is not None:
                self._session.end()
        finally:
            self._db = self._session = None
            if self._instance is not None:
                self._instance.term()
                self._instance = None
            shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> "ReadOnlyDatabase":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<esepy.inspection.ReadOnlyDatabase {self.path!r} source={getattr(self, 'source', '?')!r}>"

    def _repr_html_(self) -> str:
        rows: List[Tuple[str, Any]] = [("file", self.path), ("state", self.header.state), ("read from", self.source)]
        if self._db is not None:
            for t in self.describe():
                rows.append((f"table {t['name']}", f"{t['records']} records; columns "
                             + ", ".join(c["name"] for c in t["columns"])))
        return _html_table("esepy database (read-only)", rows)


def _force_clean(path: str) -> None:
    """Mark a SCRATCH COPY clean (both header copies, crcs recomputed) -- never an original."""
    with open(path, "r+b") as f:
        cb = _u32(f.read(32), 12)
        for off in (0, cb):
            f.seek(off)
            blk = bytearray(f.read(cb))
            if len(blk) < cb or _u32(bytes(blk), 4) != DB_MAGIC:
                continue
            struct.pack_into("<I", blk, 48, 3)
            struct.pack_into("<I", blk, 0, crc32c(bytes(blk[4:cb])))
            f.seek(off)
            f.write(blk)


def open_database(path: str, *, logs: Optional[str] = None, system: Optional[str] = None,
                  copy: Optional[bool] = None) -> ReadOnlyDatabase:
    """Open a database for reading without writing a byte to it (or to its logs).

    A clean, writable file is attached read-only in a private instance whose
    logs live in a scratch folder.  A dirty one (or a read-only file, or
    ``copy=True``) is copied first: with ``logs`` (and ``system`` for the
    checkpoint) the copy is recovered from copies of those logs, else it is
    read as it is on disk.  Use as a context manager.
    """
    return ReadOnlyDatabase(path, logs=logs, system=system, copy=copy)
