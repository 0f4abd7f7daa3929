"""Backup and restore for :class:`esepy.Instance`.

* :meth:`Instance.backup` -- JetBackupInstance: a full or incremental backup into a
  folder (atomic if asked), logs truncated afterwards.
* :meth:`Instance.external_backup` -- the streaming (external) backup API as a
  context manager that yields every file of the backup set as a readable file-like
  object, so a script can send a backup anywhere (a tar stream, object storage).
* :meth:`Instance.restore_instance` -- JetRestoreInstance with roll-forward, to a new
  folder or to the original locations, optionally stopping at a point in time.
* :func:`esepy.restore` -- legacy JetRestore2 (one-instance mode).

Progress callables receive a :class:`Progress`; an exception raised by the callable
cancels the operation and propagates to the caller.
"""
from __future__ import annotations

import datetime as _dt
import io
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List, Optional, Tuple, Union

from . import _esepy

__all__ = ["Progress", "BackupFile", "ExternalBackup", "StopAt"]

_STAGES = {5: "begin", 0: "progress", 6: "complete", 3: "fail"}
_OPERATIONS = {9: "backup", 8: "restore"}

JET_bitBackupIncremental = 0x1
JET_bitBackupAtomic = 0x4
JET_bitBackupEndNormal = 0x1
JET_bitBackupEndAbort = 0x2

#: A point in time (a :class:`datetime.datetime`; naive means local time) or a log
#: position ``(generation, sector, byte offset)``.
StopAt = Union[_dt.datetime, Tuple[int, int, int]]


@dataclass(frozen=True)
class Progress:
    """One progress report of a backup or a restore.

    ``operation`` is ``"backup"`` or ``"restore"``; ``stage`` is ``"begin"``,
    ``"progress"``, ``"complete"`` or ``"fail"``; ``done`` and ``total`` count KiB
    (``done`` never decreases and never exceeds ``total``).
    """

    operation: str
    stage: str
    done: int
    total: int

    @property
    def done_bytes(self) -> int:
        """``done`` in bytes."""
        return self.done * 1024

    @property
    def total_bytes(self) -> int:
        """``total`` in bytes."""
        return self.total * 1024

    @property
    def fraction(self) -> float:
        """``done / total`` (0.0 when the total is not known)."""
        return self.done / self.total if self.total else 0.0


def _trampoline(progress: Optional[Callable[[Progress], Any]]) -> Optional[Callable[[int, int, int, int], None]]:
    if progress is None:
        return None
    if not callable(progress):
        raise TypeError("progress must be callable")

    def cb(snp: int, snt: int, done: int, total: int) -> None:
        progress(Progress(_OPERATIONS.get(snp, str(snp)), _STAGES.get(snt, str(snt)), done, total))

    return cb


def _stop_args(stop_at: Optional[StopAt]) -> Tuple[Optional[Tuple[int, int, int]], Optional[Tuple[int, ...]]]:
    if stop_at is None:
        return None, None
    if isinstance(stop_at, _dt.datetime):
        utc = stop_at.astimezone(_dt.timezone.utc)
        return None, (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond // 1000)
    if isinstance(stop_at, tuple) and len(stop_at) == 3 and all(isinstance(x, int) for x in stop_at):
        return tuple(stop_at), None  # type: ignore[return-value]
    raise TypeError("stop_at must be a datetime or a (generation, sector, offset) tuple")


def backup(handle: int, path: Optional[Union[str, "os.PathLike[str]"]], incremental: bool, atomic: bool,
           progress: Optional[Callable[[Progress], Any]]) -> None:
    grbit = (JET_bitBackupIncremental if incremental else 0) | (JET_bitBackupAtomic if atomic else 0)
    _esepy._backup(handle, None if path is None else os.fspath(path), grbit, _trampoline(progress))


def restore(handle: Optional[int], backup_dir: Union[str, "os.PathLike[str]"], dest: Optional[Union[str, "os.PathLike[str]"]],
            progress: Optional[Callable[[Progress], Any]], stop_at: Optional[StopAt], legacy: bool) -> None:
    lgpos, when = _stop_args(stop_at)
    _esepy._restore(handle, os.fspath(backup_dir), None if dest is None else os.fspath(dest), lgpos, when,
                    _trampoline(progress), legacy)


class BackupFile(io.RawIOBase):
    """One file of a running external backup, readable like a binary file.

    ``name`` is the file name inside the backup set, ``path`` the engine's path,
    ``size`` the number of bytes :meth:`read` will return in all.  Reads go through
    JetReadFileInstance in page-sized chunks; the handle is closed when the file is
    closed (or when the backup moves on).
    """

    _CHUNK = 1 << 20  # a multiple of every database page size

    def __init__(self, handle: int, path: str, name: str) -> None:
        super().__init__()
        self._h = handle
        self.path = path
        self.name = name
        if name.endswith(".pat"):
            self._file: Optional[int] = None
            self.size = 0
        else:
            self._file, self.size = _esepy._bk_open(handle, path)
        self._pos = 0
        self._buf = bytearray()

    def readable(self) -> bool:
        """Always True."""
        return True

    def readinto(self, b: Any) -> int:
        """Read up to ``len(b)`` bytes into ``b``; 0 at the end."""
        mv = memoryview(b).cast("B")
        if not self._buf and self._file is not None and self._pos < self.size:
            chunk = bytearray(self._CHUNK)
            n = _esepy._bk_read(self._h, self._file, chunk)
            self._buf = chunk[:n]
            self._pos += n
        n = min(len(mv), len(self._buf))
        mv[:n] = self._buf[:n]
        del self._buf[:n]
        return n

    def close(self) -> None:
        """Close the engine's handle (JetCloseFileInstance)."""
        if not self.closed and self._file is not None:
            f, self._file = self._file, None
            _esepy._bk_close(self._h, f)
        super().close()


class ExternalBackup:
    """A running external (streaming) backup; see :meth:`esepy.Instance.external_backup`.

    Iterate it (or call :meth:`files`) to get each file of the backup set, in
    order: the databases (full backups), then the log generations, then the empty
    ``.pat`` markers that make the set complete.  Each item is a :class:`BackupFile`;
    read it fully before taking the next.  On a normal exit of the ``with`` block
    the logs that are no longer needed are truncated (``truncate=True``) and the
    backup is recorded in the database headers; on an exception it is aborted.
    """

    def __init__(self, handle: int, incremental: bool, truncate: bool) -> None:
        self._h = handle
        self.incremental = incremental
        self.truncate = truncate
        self._active = False
        self._current: Optional[BackupFile] = None

    def __enter__(self) -> "ExternalBackup":
        _esepy._bk_begin(self._h, JET_bitBackupIncremental if self.incremental else 0)
        self._active = True
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._close_current()
        if not self._active:
            return
        self._active = False
        if exc_type is None:
            try:
                if self.truncate:
                    _esepy._bk_truncate(self._h)
            except BaseException:
                _esepy._bk_end(self._h, JET_bitBackupEndAbort)
                raise
            _esepy._bk_end(self._h, JET_bitBackupEndNormal)
        else:
            _esepy._bk_end(self._h, JET_bitBackupEndAbort)

    def _close_current(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None

    def databases(self) -> List[str]:
        """The databases this full backup copies (JetGetAttachInfoInstance)."""
        return [] if self.incremental else _esepy._bk_attach_info(self._h)

    def files(self) -> Iterator[BackupFile]:
        """Yield every file of the backup set as a :class:`BackupFile`."""
        if not self._active:
            raise RuntimeError("the external backup is not running (use it in a with block)")
        for path in self.databases():
            yield self._open(path)
        self._close_current()  # the log roll needs every file closed
        for path in _esepy._bk_log_info(self._h):
            yield self._open(path)
        self._close_current()

    __iter__ = files

    def _open(self, path: str) -> BackupFile:
        self._close_current()
        self._current = BackupFile(self._h, path, os.path.basename(path))
        return self._current
