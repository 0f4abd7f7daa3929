"""Which path an engine error is about.

The engine answers a bad path with one code (``JET_errInvalidPath``,
``JET_errFileNotFound``, ``JET_errFileAccessDenied``, ...) and no name.  The
Python API knows which paths the failing call used and what each is for, so it
looks at them and re-raises the same exception class with a message that names
the path and its role ("log folder '/data/logs/' does not exist").  Nothing
here changes what succeeds or fails: it only explains.
"""
from __future__ import annotations

import os
from typing import Iterable, Optional, Tuple, Union

from . import errors

# The errors whose cause is a path.
_PATH_CODES = {"JET_errInvalidPath", "JET_errFileNotFound", "JET_errFileAccessDenied",
               "JET_errDatabaseNotFound", "JET_errDiskFull", "JET_errBackupDirectoryNotEmpty",
               "JET_errDatabaseInvalidPath"}

# (role, path, kind): kind "folder" (must be a writable folder), "file" (must
# exist), "new-file" (its folder must exist and be writable), "source" (a
# folder that must exist and be readable).
Candidate = Tuple[str, Optional[Union[str, "os.PathLike[str]"]], str]


def _problem(path: str, kind: str) -> str:
    """What is wrong with `path` for its kind, or ''."""
    p = path.rstrip("/") or "/"
    if kind in ("folder", "source"):
        if not os.path.exists(p):
            return "does not exist"
        if not os.path.isdir(p):
            return "is not a folder"
        if kind == "folder" and not os.access(p, os.W_OK | os.X_OK):
            return "is not writable"
        if kind == "source" and not os.access(p, os.R_OK | os.X_OK):
            return "is not readable"
        return ""
    if kind == "file":
        if not os.path.exists(p):
            return "does not exist"
        if os.path.isdir(p):
            return "is a folder, not a file"
        if not os.access(p, os.R_OK):
            return "is not readable"
        return ""
    parent = os.path.dirname(os.path.abspath(p))
    if not os.path.isdir(parent):
        return f"cannot be created: its folder {parent!r} does not exist"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot be created: its folder {parent!r} is not writable"
    return ""


def explain(exc: errors.JetError, candidates: Iterable[Candidate]) -> errors.JetError:
    """Return `exc` with the first candidate path that has a problem named in its
    message (a new exception of the same class), or `exc` itself."""
    if exc.name not in _PATH_CODES or exc.path is not None:
        return exc
    cands = [(r, os.fspath(p), k) for r, p, k in candidates if p]
    for role, path, kind in cands:
        reason = _problem(path, kind)
        if reason:
            return exc.with_path(role, path, reason)
    if len(cands) == 1:  # nothing visibly wrong, but only one path was involved
        role, path, _ = cands[0]
        return exc.with_path(role, path)
    return exc
