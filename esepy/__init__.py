"""esepy: an open, cross-platform Extensible Storage Engine (ESE / ESENT "JET" API).

The engine is a C library (``libesent.so``, API in ``esent.h``) shipped inside
this package; this module is its Python face.

Quick start::

    import esepy

    with esepy.Instance("demo", system_path="data/", log_path="data/logs/",
                        create_path_if_not_exist=True) as inst:
        with inst.begin_session() as session:
            ...

* :class:`Instance` -- an engine instance (one log stream and its databases).
* :class:`Session` -- a session of an instance (``Instance.begin_session()``).
* :mod:`esepy.errors` -- one exception class per JET error, grouped by ESE
  category; :class:`JetError` is the base of them all.
* Events (instance start/stop, recovery, backup, restore) are logged to
  ``logging.getLogger("esepy")``.
* :func:`native_library` and :func:`include_dir` let C programs and cffi use
  the very engine this package runs.
"""
from __future__ import annotations

import atexit as _atexit
import os as _os
import sys as _sys
import os
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Union, cast

from . import _esepy
from . import errors
from ._events import install as _install_events, uninstall as _uninstall_events
from ._params import FLAG_GLOBAL as _FLAG_GLOBAL, PARAMS as _PARAMS, ParamInfo, lookup as _lookup
from .errors import JetError, JetWarning
from ._isam import Column, ColumnDef, ColumnType, Database, LongValueReader, Record, Session, Table, TempTable, Value
from . import _backup
from . import _paths
from ._param_types import InstanceParams

if TYPE_CHECKING:
    from typing_extensions import Unpack
    from .archive import S3Options
from ._backup import BackupFile, ExternalBackup, Progress, StopAt
from ._progress import ProgressBar

__all__ = [
    "Instance", "Session", "Database", "Table", "TempTable", "Column", "ColumnDef", "ColumnType", "LongValueReader",
    "JetError", "JetWarning", "errors",
    "ParamInfo", "InstanceParams", "Record", "Value", "Progress", "ProgressBar", "BackupFile", "ExternalBackup", "restore",
    "native_library", "include_dir", "pkgconfig_dir", "error_string", "parameters", "database_file_info",
    "get_default_param", "set_default_param", "enable_multi_instance", "instances",
    "TERM_COMPLETE", "TERM_ABRUPT", "TERM_STOP_BACKUP", "TERM_DIRTY",
    "EVENT_INIT_BEGIN", "EVENT_INIT_DONE", "EVENT_INIT_FAILED", "EVENT_TERM_DONE", "EVENT_TERM_FAILED",
    "EVENT_TERM_DIRTY", "EVENT_INSTANCE_FATAL", "EVENT_BACKUP_BEGIN", "EVENT_BACKUP_DONE", "EVENT_BACKUP_FAILED",
    "EVENT_RESTORE_BEGIN", "EVENT_RESTORE_GENERATION", "EVENT_RESTORE_DONE", "EVENT_RESTORE_FAILED",
    "EVENT_RECOVERY_BEGIN", "EVENT_RECOVERY_GENERATION", "EVENT_RECOVERY_DONE", "EVENT_RECOVERY_FAILED",
    "EVENT_LOG_CORRECTED", "EVENT_RECOVERY_CREATE_UNDONE", "EVENT_DATABASE_CORRUPTED",
    "EVENT_PAGE_CORRUPTED",
]
__version__ = "0.1.0"

# JetTerm2 grbits
TERM_COMPLETE = 0x1
TERM_ABRUPT = 0x2
TERM_STOP_BACKUP = 0x4
TERM_DIRTY = 0x8

# Event ids (esepy_ext.h)
EVENT_INIT_BEGIN, EVENT_INIT_DONE, EVENT_INIT_FAILED = 100, 101, 102
EVENT_TERM_DONE, EVENT_TERM_FAILED, EVENT_TERM_DIRTY = 103, 104, 105
EVENT_INSTANCE_FATAL = 106
EVENT_BACKUP_BEGIN, EVENT_BACKUP_DONE, EVENT_BACKUP_FAILED = 200, 201, 202
EVENT_RESTORE_BEGIN, EVENT_RESTORE_GENERATION, EVENT_RESTORE_DONE, EVENT_RESTORE_FAILED = 210, 211, 212, 213
EVENT_RECOVERY_BEGIN, EVENT_RECOVERY_GENERATION, EVENT_RECOVERY_DONE, EVENT_RECOVERY_FAILED = 300, 301, 302, 303
EVENT_LOG_CORRECTED = 304  # damaged log records repaired in memory, one flipped bit each
EVENT_RECOVERY_CREATE_UNDONE = 305  # recovery removed a database whose creation never finished
EVENT_DATABASE_CORRUPTED = 400  # attach found the file damaged (truncated): path, pgno_first, pgno_last
EVENT_PAGE_CORRUPTED = 401  # a page read found damage: path, pgno, node, reason (the call then fails)

_HERE = _os.path.dirname(_os.path.abspath(__file__))


def native_library() -> str:
    """Return the path of the engine's shared library (``libesent.so.0``).

    Load it with ``ctypes.CDLL`` or ``cffi.FFI().dlopen``: the process then
    shares one engine between Python and C.  (``libesent.so`` beside it is a
    linker script for ``-lesent``, not a library to load.)
    """
    return _os.path.join(_HERE, "libesent.0.dylib" if _sys.platform == "darwin" else "libesent.so.0")


def pkgconfig_dir() -> str:
    """Return the folder holding ``esepy.pc``, for C programs built with pkg-config::

        PKG_CONFIG_PATH="$(python -c 'import esepy; print(esepy.pkgconfig_dir())')" \\
            pkg-config --cflags --libs esepy
    """
    return _os.path.join(_HERE, "pkgconfig")


def include_dir() -> str:
    """Return the folder holding ``esent.h`` and ``esepy_ext.h`` for C programs and cffi."""
    packaged = _os.path.join(_HERE, "include")
    if _os.path.isfile(_os.path.join(packaged, "esent.h")):
        return packaged
    source = _os.path.join(_os.path.dirname(_HERE), "csrc", "include")
    return source


def error_string(code: int) -> str:
    """Return ``"JET_errName, description"`` for a JET_ERR code (JET_paramErrorToString)."""
    return _esepy.error_string(code)


_DBSTATES = {1: "JustCreated", 2: "DirtyShutdown", 3: "CleanShutdown", 4: "BeingConverted", 5: "ForceDetach"}


def database_file_info(path: str) -> Dict[str, Any]:
    """Read a database file's header without an instance (JetGetDatabaseFileInfo).

    Returns a dict with ``state`` ("CleanShutdown", "DirtyShutdown", ...), ``dbstate``,
    ``page_size``, log positions (``lgpos_consistent``, ``lgpos_attach``,
    ``lgpos_detach`` as (generation, sector, byte)) and backup information.
    Raises :class:`esepy.errors.FileNotFound`, :class:`esepy.errors.FileInvalidType`,
    :class:`esepy.errors.DatabaseCorrupted`, ...
    """
    try:
        info = _esepy._database_file_info(_os.fspath(path))
    except errors.FileInvalidType:
        from ._formats import ESEPY, wrong_reader
        better = wrong_reader(path, "esepy.database_file_info", ESEPY, "database")
        if better is None:
            raise
        raise better from None
    info["state"] = _DBSTATES.get(info["dbstate"], str(info["dbstate"]))
    return info


def parameters() -> Dict[str, ParamInfo]:
    """Return every known system parameter by Python name (type, scope, default, range)."""
    return dict(_PARAMS)


def _set(handle: Optional[int], name: str, value: Any) -> None:
    info = _lookup(name)
    _esepy._set_param(handle, info.paramid, info.check(value))


def _get(handle: Optional[int], name: str) -> Any:
    info = _lookup(name)
    return info.convert_out(_esepy._get_param(handle, info.paramid, info.is_string))


def get_default_param(name: str) -> Any:
    """Return a process-wide parameter, or the default new instances inherit."""
    return _get(None, name)


def set_default_param(name: str, value: Any) -> None:
    """Set a process-wide parameter, or the default that instances created later inherit.

    Raises :class:`esepy.errors.InvalidParameter` for a value out of range and
    :class:`esepy.errors.AlreadyInitialized` for a parameter that is fixed once the
    process chose its instance mode (``database_page_size``, ``max_instances``, ...).
    """
    _set(None, name, value)


def restore(backup_dir: Union[str, "os.PathLike[str]"], dest: Optional[Union[str, "os.PathLike[str]"]] = None, *,
            progress: Optional[Callable[[Progress], Any]] = None) -> None:
    """Legacy restore (JetRestore2) in one-instance mode: the global instance is used.

    Raises :class:`esepy.errors.RunningInMultiInstanceMode` once the process runs in
    multi-instance mode (any :class:`Instance` puts it there); prefer
    :meth:`Instance.restore_instance`.
    """
    try:
        _backup.restore(None, backup_dir, dest, progress, None, True)
    except errors.JetError as e:
        raise _paths.explain(e, [("backup folder", backup_dir, "source"), ("restore destination", dest, "folder")]) from None


def enable_multi_instance(**params: Any) -> int:
    """Enter multi-instance mode (JetEnableMultiInstance), setting process-wide parameters.

    Returns how many parameters were set.  Raises
    :class:`esepy.errors.RunningInOneInstanceMode`,
    :class:`esepy.errors.SystemParamsAlreadySet` (already in multi-instance mode with the
    same values) or :class:`esepy.errors.SystemParameterConflict`.
    """
    pairs = []
    for name, value in params.items():
        info = _lookup(name)
        pairs.append((info.paramid, info.check(value)))
    return _esepy._enable_multi_instance(pairs)


def instances() -> List[Dict[str, Any]]:
    """Describe the initialized instances of this process (JetGetInstanceInfo)."""
    return [{"handle": h, "name": name, "databases": dbs} for h, name, dbs in _esepy._instance_info()]


def _archive_url(target: Any) -> bool:
    """True for a ``scheme://`` target (esepy.archive handles it; an unknown scheme is an
    error there), False for a local path: a URL is never taken for a folder."""
    return isinstance(target, str) and "://" in target and _archive_scheme(target)


def _archive_scheme(target: str) -> bool:
    from .archive import is_url
    return is_url(target)


class Instance(_esepy.Instance):
    """An engine instance: one log stream (logs + checkpoint) and the databases attached to it.

    ``Instance(name=None, **params)`` creates it (JetCreateInstance2, which puts the
    process in multi-instance mode); keyword arguments set system parameters by
    their Python names (``system_path``, ``log_path``, ``temp_path``, ``base_name``,
    ``circular_log``, ``log_file_size_kb``, ``create_path_if_not_exist``,
    ``max_sessions``, ...; see :func:`esepy.parameters`).  Process-wide parameters
    (``cache_size_max``, ``database_page_size``, ...: ``esepy.parameters()[name].is_global``)
    set here change the process's value for every instance, as in ESENT; prefer
    :func:`set_default_param` for them, which says so.  An unknown name raises
    TypeError suggesting the nearest names.  A path error (a missing folder, an
    unreadable database) is raised with a message naming the path and its role,
    also in the exception's ``path`` and ``role`` attributes.

    Use it as a context manager: ``with Instance(...) as inst:`` initializes it on
    entry (if needed) and terminates it on exit.  The GIL is released during every
    engine call.
    """

    _session_class = Session  # begin_session() returns esepy.Session objects

    def __init__(self, name: Optional[str] = None, *, display_name: Optional[str] = None,
                 **params: "Unpack[InstanceParams]") -> None:
        checked = [(_lookup(k), v) for k, v in dict(params).items()]
        values = [(info, info.check(v)) for info, v in checked]
        # Process-wide parameters (database_page_size, max_instances, ...) go to
        # the process table first: some are fixed once an instance exists.
        for info, v in values:
            if info.flags & _FLAG_GLOBAL:
                _esepy._set_param(None, info.paramid, v)
        super().__init__(name, display_name)
        self.name = name
        try:
            for info, v in values:
                if not info.flags & _FLAG_GLOBAL:
                    _esepy._set_param(self.handle, info.paramid, v)
        except BaseException:
            self.term()
            raise

    def set_param(self, name: str, value: Any) -> None:
        """Set a system parameter of this instance (JetSetSystemParameter).

        Parameters fixed at init raise :class:`esepy.errors.AlreadyInitialized` once the
        instance is initialized; global ones apply to the whole process.
        """
        _set(self._live_handle(), name, value)

    def get_param(self, name: str) -> Any:
        """Return a system parameter of this instance (JetGetSystemParameter)."""
        return _get(self._live_handle(), name)

    def params(self) -> Dict[str, Any]:
        """Return every readable parameter of this instance as a dict."""
        h = self._live_handle()
        return {n: _get(h, n) for n, info in _PARAMS.items() if info.type != 6}

    def begin_session(self) -> Session:
        """Begin a session (JetBeginSession): an :class:`esepy.Session`, a context manager
        that ends it.  One thread at a time may use a session."""
        return cast(Session, super().begin_session())

    def init(self, grbit: int = 0) -> None:
        """Initialize the instance (JetInit2): check and lock its folders, run
        crash recovery.  A path error names the folder and its role.

        As in ESENT, a failed init frees the instance: it is then terminated
        (``handle`` is None) and a new :class:`Instance` is needed to retry."""
        folders = self._folders()  # read first: a failed init frees the instance
        try:
            super().init(grbit)
        except errors.JetError as e:
            raise _paths.explain(e, folders) from None

    def _folders(self) -> List[_paths.Candidate]:
        h = self.handle
        if h is None:
            return []
        temp = _get(h, "temp_path")
        return [("system folder", _get(h, "system_path"), "folder"),
                ("log folder", _get(h, "log_path"), "folder"),
                ("temporary database", temp, "folder" if str(temp).endswith("/") else "new-file")]

    def _live_handle(self) -> int:
        h = self.handle
        if h is None:
            raise errors.InvalidParameter(operation="Instance (terminated)")
        return h

    # ---- backup and restore ------------------------------------------------

    def backup(self, path: Union[str, "os.PathLike[str]"], *, incremental: bool = False, atomic: bool = False,
               progress: Optional[Callable[[Progress], Any]] = None, s3: Optional["S3Options"] = None) -> None:
        """Back up every attached database and the logs into folder ``path`` (JetBackupInstance).

        ``path`` may also be an ``s3://bucket/prefix`` URL: the backup set is then
        streamed to object storage (:mod:`esepy.archive`; ``s3`` configures the
        client, ``atomic`` is implied: a set exists once its manifest is written);
        another ``scheme://`` raises :class:`esepy.archive.UnsupportedURL`.

        A full backup needs an empty folder (``atomic=True`` instead keeps the newest
        complete backup in ``path/new`` and the previous one in ``path/old`` until the
        new one is complete); ``incremental=True`` adds the log generations written
        since the last backup.  Sessions may keep working meanwhile.  Afterwards the
        log generations no longer needed are deleted and each database header records
        the backup.  ``progress`` receives :class:`esepy.Progress` reports; an
        exception raised by it cancels the backup (the partial set is removed or left
        unusable) and propagates.
        """
        if _archive_url(path):
            from . import archive
            archive.backup(self, cast(str, path), incremental=incremental, progress=progress, options=s3)
            return
        try:
            _backup.backup(self._live_handle(), path, incremental, atomic, progress)
        except errors.JetError as e:
            raise _paths.explain(e, [("backup folder", path, "folder")]) from None

    def truncate_logs(self) -> None:
        """Delete the log generations that neither crash recovery nor the next backup needs."""
        _backup.backup(self._live_handle(), None, False, False, None)

    def external_backup(self, *, incremental: bool = False, truncate: bool = True) -> ExternalBackup:
        """Stream a backup file by file (the external backup API) instead of into a folder.

        ``with inst.external_backup() as b: for f in b: send(f.name, f)`` -- each
        item is a readable file-like :class:`esepy.BackupFile`; the files, written
        into one folder under their ``name``, form a backup set that
        :meth:`restore_instance` accepts.  Logs are truncated on success when
        ``truncate`` is true.
        """
        return ExternalBackup(self._live_handle(), incremental, truncate)

    def stop_backup(self) -> None:
        """Ask a running backup of this instance to stop (JetStopBackupInstance)."""
        _esepy._bk_stop(self._live_handle())

    def restore_instance(self, backup_dir: Union[str, "os.PathLike[str]"],
                         dest: Optional[Union[str, "os.PathLike[str]"]] = None, *,
                         progress: Optional[Callable[[Progress], Any]] = None,
                         stop_at: Optional[StopAt] = None, s3: Optional["S3Options"] = None) -> None:
        """Restore a backup set and roll forward (JetRestoreInstance).

        ``backup_dir`` may also be an ``s3://bucket/prefix`` URL (:mod:`esepy.archive`):
        the sets the restore needs (up to ``stop_at``) are downloaded in parallel and
        verified into a temporary folder, restored from there, then removed.

        The instance must be created and not initialized; it stays not initialized
        (call :meth:`init` or use ``with`` to open the restored databases).  Each
        database of the set is copied to ``dest`` (or, when None, to its original
        location), the set's logs are replayed, then the logs in this instance's
        ``log_path`` that continue them, and what never committed is undone.
        ``stop_at`` (a datetime or a ``(generation, sector, offset)`` log position)
        stops the replay there: a point-in-time restore.  Raises the specific
        :mod:`esepy.errors` exception (``MissingLogFile``, ``InvalidLogSequence``,
        ``PatchFileMissing``, ...); an exception raised by ``progress`` cancels the
        restore and propagates.
        """
        if _archive_url(backup_dir):
            from . import archive
            archive.restore(self, cast(str, backup_dir), dest, progress=progress, stop_at=stop_at, options=s3)
            return
        try:
            _backup.restore(self._live_handle(), backup_dir, dest, progress, stop_at, False)
        except errors.JetError as e:
            raise _paths.explain(e, [("backup folder", backup_dir, "source"),
                                     ("restore destination", dest, "folder")] + self._folders()) from None

    def term(self, *args: Any, **kwargs: Any) -> None:
        """Shut the instance down and free it (JetTerm2).  Its sessions are closed; the
        log archivers of :mod:`esepy.archive` running on it are stopped first (after a
        last sync, bounded by their ``stop_timeout``).  Calling term() again does nothing."""
        for a in list(getattr(self, "_archivers", ())):
            try:
                a.stop()
            except Exception:  # stopping never prevents the term
                pass
        super().term(*args, **kwargs)

    def __enter__(self) -> "Instance":
        """Initialize the instance (if needed) and return it; a failed init terminates it."""
        if not self.initialized:
            try:
                self.init()
            except BaseException:
                self.term()
                raise
        return self

    def __exit__(self, *exc: Any) -> None:
        """Terminate the instance."""
        self.term()

    def __repr__(self) -> str:
        state = "terminated" if self.handle is None else ("initialized" if self.initialized else "created")
        return f"<esepy.Instance name={self.name!r} {state}>"

    def _repr_html_(self) -> str:
        from ._display import html_fields
        rows = [("name", self.name), ("state", "terminated" if self.handle is None
                                      else "initialized" if self.initialized else "created")]
        if self.handle is not None:
            for key in ("system_path", "log_path", "temp_path", "base_name", "circular_log",
                        "log_file_size_kb"):
                rows.append((key, self.get_param(key)))
        return html_fields("esepy.Instance", rows)


_install_events()
_atexit.register(_uninstall_events)

# The forensic reader of ESE files written by Windows (docs/forensics-windows-ese.md).
from .ese import open_ese, recover_ese  # noqa: E402
__all__ += ["open_ese", "recover_ese"]
from ._import import ImportReport, import_ese  # noqa: E402
__all__ += ["ImportReport", "import_ese"]
from ._export_ese import ExportReport, export_ese_file as export_ese  # noqa: E402
__all__ += ["ExportReport", "export_ese"]
from ._verify import VerifyReport, verify_logs  # noqa: E402
__all__ += ["VerifyReport", "verify_logs"]

# esepy.open(path): any file esepy reads, esepy's own or Windows' ESE's, with the
# reader that fits (esepy/_formats.py).  It shadows the builtin open() in this
# module: code above must not call open().
from ._formats import FileFormat, identify, open  # noqa: E402
__all__ += ["FileFormat", "identify", "open"]
