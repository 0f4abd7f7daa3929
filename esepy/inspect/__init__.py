"""Read-only inspection of esepy's files: database headers and pages, log
generations and their records, checkpoint files, backup sets, and what
recovery needs.

A thin, typed view over the engine's own parsers (``esepy_inspect.h``,
``csrc/api/inspect.c``): the header, page checks and page layout, log reader
and checkpoint reader that the engine itself uses, so there is one parser per
format.  Everything here reads files and never writes a byte to them, so it is
safe on evidence (forensics), on a database a crashed process left dirty, and
on files another process is using.  Real Windows ESE files are read by
:mod:`esepy.ese` instead.

* :func:`read_database_header` -> :class:`DatabaseHeader` (every header field).
* :class:`DatabaseFile` -- page-level access: :meth:`DatabaseFile.checksum`
  (bad / blank / misplaced pages), :meth:`DatabaseFile.check_integrity`
  (B+tree and space-map walk), :meth:`DatabaseFile.space_usage` (pages per table).
* :class:`LogFile` (one generation) and :class:`LogFolder` (a log stream):
  headers, records as :class:`LogRecord` (LGPOS, type, transaction, page),
  verification of the crc chain and of the generation sequence.
* :func:`read_checkpoint` -> :class:`Checkpoint`.
* :func:`recovery_requirements` -> :class:`RecoveryRequirements`.
* :func:`read_backup_set` -> :class:`BackupSet`.
* :func:`open_database` -> :class:`ReadOnlyDatabase`: tables, columns and
  records through the engine, from the file itself when it is clean, else
  from a scratch copy (recovered with copies of its logs when they are given).

Errors are the engine's exception classes (:mod:`esepy.errors`):
``FileNotFound``, ``FileInvalidType`` (not this kind of file),
``DatabaseCorrupted``, ``LogFileCorrupt``, ``CheckpointCorrupt``, ...

The package's modules: ``_common`` (positions, signatures, JSON),
``database``, ``log``, ``checkpoint`` (with recovery requirements),
``backup`` and ``readonly``.
"""
from __future__ import annotations

from ._common import DB_STATES, LGPOS, RECORD_TYPES, BackupInfo, LogAttach, Signature, crc32c, file_kind
from ._common import _jsonable as _jsonable
from .backup import BackupDatabase, BackupSet, read_backup_set
from .checkpoint import Checkpoint, RecoveryRequirements, read_checkpoint, recovery_requirements
from .database import (ChecksumReport, DatabaseFile, DatabaseHeader, IntegrityProblem, IntegrityReport, PageProblem,
                       TreeSpace, read_database_header)
from .database import _decode_header as _decode_header
from .log import LogCheckReport, LogFile, LogFolder, LogHeader, LogRecord
from .log import _decode_log_header as _decode_log_header
from .readonly import ReadOnlyDatabase, open_database

__all__ = [
    "crc32c", "LGPOS", "Signature", "BackupInfo", "DatabaseHeader", "read_database_header",
    "PageProblem", "ChecksumReport", "IntegrityProblem", "IntegrityReport", "TreeSpace", "DatabaseFile",
    "LogAttach", "LogHeader", "LogRecord", "LogFile", "LogFolder", "LogCheckReport", "Checkpoint",
    "read_checkpoint", "RecoveryRequirements", "recovery_requirements", "BackupDatabase", "BackupSet",
    "read_backup_set", "ReadOnlyDatabase", "open_database", "file_kind", "RECORD_TYPES", "DB_STATES",
]
# (_jsonable, _decode_header and _decode_log_header are re-exported for esepy.cli and esepy.archive.)
