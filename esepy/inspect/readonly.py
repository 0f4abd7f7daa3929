"""Tables and records of an esepy database, read-only, through a private engine
instance (:func:`open_database`)."""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any, Dict, Iterator, List, Optional, Tuple

from .. import errors
from ._common import _html_table, _open_checked, crc32c
from .database import read_database_header
from .log import LogFolder

_DB_MAGIC = 0x44504553


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
    """Mark a SCRATCH COPY clean (both header copies, crcs recomputed) -- never an original.
    dbstate is at offset 48 of each copy (csrc/cache/dbheader.c)."""
    with open(path, "r+b") as f:
        cb = int.from_bytes(f.read(16)[12:16], "little")
        for off in (0, cb):
            f.seek(off)
            blk = bytearray(f.read(cb))
            if len(blk) < cb or int.from_bytes(blk[4:8], "little") != _DB_MAGIC:
                continue
            blk[48:52] = (3).to_bytes(4, "little")
            blk[0:4] = crc32c(bytes(blk[4:cb])).to_bytes(4, "little")
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
