"""Backup sets (the folders JetBackupInstance writes), read-only: each copy's
header and trailer page are read by the engine (``esepy_inspect.h``: the cache
layer's header reader and the backup layer's trailer decoder, the ones restore
uses)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from .. import _esepy, errors
from ._common import LGPOS, Signature, _html_table, _jsonable
from .database import read_database_header
from .log import LogFolder


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
        from .._display import html_table
        gens = f"{self.generations[0]}..{self.generations[-1]}" if self.generations else "none"
        rows = [("folder", self.folder), ("log generations", gens), ("missing generations", self.missing or "none"),
                ("complete", "yes" if self.complete else "no: " + "; ".join(self.problems))]
        head = _html_table("Backup set", rows)
        dbs = html_table("Database copies", ["file", "pages", "page size", "generations needed", "backup mark",
                                             ".pat", "problem"],
                         [(d.name, d.pages, d.page_size, f"{d.gen_low}..{d.gen_high}", d.mark,
                           "yes" if d.has_marker else "no", d.problem or "") for d in self.databases])
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
        try:
            t = _esepy._inspect_backup_trailer(path, ps)
        except errors.JetError:
            problem = "bad trailer (JET_errDatabasePatchFileMismatch)"
        else:
            bk = t["backup"]
            db.log_signature = Signature.of(t["log_signature"])
            db.mark = LGPOS.of(bk[0])
            db.gen_low, db.gen_high = int(bk[2]), int(bk[3])
            if t["name"] != name:
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


