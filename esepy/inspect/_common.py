"""Shared pieces of :mod:`esepy.inspect`: positions, signatures, times, JSON and
errors.  The bytes are decoded by the engine (``esepy_inspect.h``); this module
only turns the engine's plain values into typed Python objects."""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from typing import Any, Optional, Sequence, Tuple

from .. import _esepy, errors

#: JET_dbstate* values and their names.
DB_STATES = {1: "JustCreated", 2: "DirtyShutdown", 3: "CleanShutdown", 4: "BeingConverted", 5: "ForceDetach"}

#: Log record types (csrc/log/log.h, csrc/isam/isam_int.h, csrc/btree/btree.h).
RECORD_TYPES = {
    0: "Pad", 1: "GenEnd", 2: "Init", 3: "Term", 4: "Flush",
    16: "Commit", 17: "Rollback", 18: "Undo", 19: "Clr", 20: "DbCreate", 21: "DbAttach", 22: "DbDetach",
    23: "DbRoots", 24: "DeltaDone", 25: "TreeFreed", 26: "DbIncompat",
    32: "PageImage", 33: "Insert", 34: "Delete", 35: "Replace", 36: "SetFlags", 37: "SmoEnd",
    38: "PageDiff", 39: "InsertUndo",
}

DB_MAGIC, LOG_MAGIC, CHK_MAGIC = 0x44504553, 0x4C504553, 0x43504553   # "SEPD", "SEPL", "SEPC"
LOG_HEADER_SIZE, LOG_SECTOR = 4096, 4096


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C of ``data``, continuing from ``crc`` (the engine's ``os_crc32c(crc, data)``)."""
    return int(_esepy._inspect_crc32c(bytes(data), crc))


def _logtime(raw: bytes) -> Optional[_dt.datetime]:
    """JET_LOGTIME (its 8 bytes) -> datetime (UTC when flagged), None when zero or invalid."""
    if len(raw) < 8 or not any(raw):
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

    @classmethod
    def of(cls, t: Sequence[int]) -> "LGPOS":
        """From the engine's ``(generation, isec, ib)``."""
        return cls(int(t[0]), int(t[1]), int(t[2]))

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
    def of(cls, t: Sequence[Any]) -> "Signature":
        """From the engine's ``(random, logtime bytes, computer)``."""
        return cls(int(t[0]), _logtime(t[1]), str(t[2]))

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
    def of(cls, t: Sequence[Any]) -> "BackupInfo":
        """From the engine's ``(lgpos, logtime bytes, genLow, genHigh)``."""
        return cls(LGPOS.of(t[0]), _logtime(t[1]), int(t[2]), int(t[3]))


@dataclass(frozen=True)
class LogAttach:
    """A database known to a log stream (log header or checkpoint attach list)."""

    dbid: int
    flags: int
    db_signature: Signature
    lgpos_attach: LGPOS
    path: str

    @classmethod
    def of(cls, t: Sequence[Any]) -> "LogAttach":
        """From the engine's ``(dbid, flags, signature, lgpos, path)``."""
        return cls(int(t[0]), int(t[1]), Signature.of(t[2]), LGPOS.of(t[3]), str(t[4]))


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
    """A two-column HTML table (field, value) for notebooks, made by pandas when it
    is installed (``esepy[pandas]``), else by :mod:`esepy._display`'s escaping helper."""
    from .._display import html_fields
    return html_fields(caption, rows)


def _open_checked(path: "str | os.PathLike[str]") -> str:
    p = os.fspath(path)
    if not os.path.exists(p):
        raise errors.FileNotFound(operation=f"open {p}")
    if os.path.isdir(p):
        raise errors.FileInvalidType(operation=f"{p} is a folder")
    return p


def _wrong_reader(path: str, reader: str, kind: str) -> Optional[errors.JetError]:
    """The FileInvalidType naming the reader that fits ``path`` when it is not
    an esepy ``kind`` file (esepy/_formats.py), else None."""
    from .._formats import ESEPY, wrong_reader
    return wrong_reader(path, reader, ESEPY, kind)


def _not_kind(e: errors.JetError, path: str, reader: str, kind: str, what: str) -> errors.JetError:
    """Turn the engine's FileInvalidType into one that names the reader that fits."""
    if isinstance(e, errors.FileInvalidType):
        return _wrong_reader(path, reader, kind) or errors.FileInvalidType(operation=f"{path} is not an {what}")
    return e


def file_kind(path: str) -> str:
    """What an esepy file is, from its magic: ``"database"``, ``"log"``, ``"checkpoint"`` or ``"unknown"``."""
    with open(_open_checked(path), "rb") as f:
        head = f.read(8)
    magic = int.from_bytes(head[4:8], "little") if len(head) >= 8 else 0
    return {DB_MAGIC: "database", LOG_MAGIC: "log", CHK_MAGIC: "checkpoint"}.get(magic, "unknown")


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

