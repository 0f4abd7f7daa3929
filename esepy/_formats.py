"""Which file is which: esepy's own files against those written by Windows' ESE.

esepy writes its own on-disk format (databases, logs, checkpoints with the
magics "SEPD", "SEPL", "SEPC" at offset 4; read by :mod:`esepy.inspect`
and an :class:`esepy.Instance`).  Windows' ESE (ESENT) writes another one
(SRUDB.dat, qmgr.db, Windows.edb, *.log, *.chk; read-only through
:mod:`esepy.ese`).  :func:`identify` tells them apart from their first bytes,
:func:`open` returns the reader that fits, and every reader of one kind raises
``FileInvalidType`` naming the reader that fits when it is handed another kind
(:func:`wrong_reader`).

Windows' ESE files are recognised by the database magic 0x89ABCDEF at offset
4, else by the file-type field every ESE header has at offset 667 (1 database,
3 log, 4 checkpoint, 7 flush map).  Only plain reads of the first 4 KiB:
nothing is written.
"""
from __future__ import annotations

import builtins
import os
from dataclasses import dataclass
from typing import Any, Dict, Optional

from . import errors

ESEPY = "esepy"
WINDOWS = "windows-ese"

_ESEPY_MAGICS = {0x44504553: "database", 0x4C504553: "log", 0x43504553: "checkpoint"}  # "SEPD", "SEPL", "SEPC"
_WINDOWS_DB_MAGIC = 0x89ABCDEF
_WINDOWS_FILETYPES = {1: "database", 3: "log", 4: "checkpoint", 7: "flush map"}

# (format, kind) -> (what it is, the call that reads it)
_READERS = {
    (ESEPY, "database"): ("an esepy database",
                          "esepy.inspect.DatabaseFile(path) (header, pages, integrity), "
                          "esepy.inspect.open_database(path) (tables and records) or an esepy.Instance"),
    (ESEPY, "log"): ("an esepy transaction log", "esepy.inspect.LogFile(path) or LogFolder(folder)"),
    (ESEPY, "checkpoint"): ("an esepy checkpoint", "esepy.inspect.read_checkpoint(path)"),
    (WINDOWS, "database"): ("a database written by Windows' ESE", "esepy.open_ese(path)"),
    (WINDOWS, "log"): ("a transaction log written by Windows' ESE",
                       "esepy.ese.read_log_header(path) or esepy.ese.scan_log_folder(folder)"),
    (WINDOWS, "checkpoint"): ("a checkpoint written by Windows' ESE", "esepy.ese.read_checkpoint(path)"),
    (WINDOWS, "flush map"): ("a flush map (.jfm) written by Windows' ESE, which esepy does not read", None),
}


@dataclass(frozen=True)
class FileFormat:
    """What a file is: ``format`` ("esepy", "windows-ese" or "unknown") and
    ``kind`` ("database", "log", "checkpoint", "flush map", "folder" or "unknown")."""

    path: str
    format: str
    kind: str

    @property
    def description(self) -> str:
        """In words: "a database written by Windows' ESE", "an esepy transaction log", ..."""
        if self.kind == "folder":
            return "a folder"
        known = _READERS.get((self.format, self.kind))
        return known[0] if known else "not a file of esepy or of Windows' ESE"

    @property
    def reader(self) -> Optional[str]:
        """The call that reads this file, or None when esepy reads no such file."""
        known = _READERS.get((self.format, self.kind))
        return known[1] if known else None

    def __str__(self) -> str:
        return f"{self.path} is {self.description}"


def _u32(b: bytes, o: int) -> int:
    return int.from_bytes(b[o:o + 4], "little") if len(b) >= o + 4 else 0


def identify(path: "os.PathLike[str] | str") -> FileFormat:
    """Tell what ``path`` is from its first bytes, without writing anything.

    Raises :class:`esepy.errors.FileNotFound` when there is no such file.
    """
    p = os.fspath(path)
    if not os.path.exists(p):
        raise errors.FileNotFound(operation=f"open {p}")
    if os.path.isdir(p):
        return FileFormat(p, "unknown", "folder")
    with builtins.open(p, "rb") as f:
        head = f.read(4096)
    magic = _u32(head, 4)
    if magic in _ESEPY_MAGICS:
        return FileFormat(p, ESEPY, _ESEPY_MAGICS[magic])
    if magic == _WINDOWS_DB_MAGIC:
        return FileFormat(p, WINDOWS, "database")
    filetype = _u32(head, 667)
    if filetype in _WINDOWS_FILETYPES and any(head):
        return FileFormat(p, WINDOWS, _WINDOWS_FILETYPES[filetype])
    return FileFormat(p, "unknown", "unknown")


def wrong_reader(path: "os.PathLike[str] | str", reader: str, format: str, kind: str) -> Optional[errors.JetError]:
    """The FileInvalidType a reader of (``format``, ``kind``) files should raise
    for ``path``: what the file is and which reader fits.  None when the file
    is of that kind after all (or cannot be read): the reader's own error stands."""
    try:
        found = identify(path)
    except (errors.JetError, OSError):
        return None
    if (found.format, found.kind) == (format, kind):
        return None
    text = f"{found}" if found.format == "unknown" else f"{found}, not {_READERS[(format, kind)][0]}"
    if found.reader:
        text += f": read it with {found.reader} (esepy.open(path) picks the reader by itself)"
    err: errors.JetError = errors.FileInvalidType(operation=reader, message=text)
    return err


def open(path: "os.PathLike[str] | str", **kwargs: Any) -> Any:  # noqa: A001 (esepy.open)
    """Open any file esepy reads with the reader that fits it, found from its header.

    * an esepy database: :class:`esepy.inspect.DatabaseFile`;
    * an esepy log or checkpoint: :class:`esepy.inspect.LogFile` or
      :class:`esepy.inspect.Checkpoint`;
    * a database written by Windows' ESE: :class:`esepy.ese.EseDatabase`
      (as :func:`esepy.open_ese`);
    * a log or checkpoint written by Windows' ESE: its header as a dict
      (:func:`esepy.ese.read_log_header`, :func:`esepy.ese.read_checkpoint`).

    Nothing is written.  ``kwargs`` go to the reader (``verify_checksums`` for
    ``open_ese``).  Anything else raises :class:`esepy.errors.FileInvalidType`
    saying what the file is; :func:`esepy.identify` only tells.
    """
    from . import ese, inspection
    found = identify(path)
    p = found.path
    if found.format == ESEPY:
        if found.kind == "database":
            return inspection.DatabaseFile(p, **kwargs)
        if found.kind == "log":
            return inspection.LogFile(p, **kwargs)
        return inspection.read_checkpoint(p, **kwargs)
    if found.format == WINDOWS and found.kind == "database":
        return ese.open_ese(p, **kwargs)
    if found.format == WINDOWS and found.kind == "log":
        header: Dict[str, Any] = ese.read_log_header(p, **kwargs)
        return header
    if found.format == WINDOWS and found.kind == "checkpoint":
        chk: Dict[str, Any] = ese.read_checkpoint(p, **kwargs)
        return chk
    hint = ""
    if found.kind == "folder":
        hint = (": for a folder of logs use esepy.inspect.LogFolder(folder) (esepy) or "
                "esepy.ese.scan_log_folder(folder) (Windows' ESE)")
    raise errors.FileInvalidType(operation="esepy.open", message=f"{found}{hint}")
