"""esepy checkpoint files and what recovery of a database needs, read-only.
The checkpoint is read by the engine's own reader (``esepy_inspect.h``)."""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from .. import _esepy, errors
from ._common import LGPOS, LogAttach, Signature, _html_table, _jsonable, _logtime, _not_kind, _open_checked
from .database import read_database_header
from .log import LogFolder


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


def read_checkpoint(path: "str | os.PathLike[str]") -> Checkpoint:
    """Read a checkpoint file (copy A, else copy B) as the engine does, without writing anything.

    ``FileNotFound``; ``FileInvalidType`` when it is no checkpoint;
    ``CheckpointCorrupt`` when neither copy is valid.
    """
    p = _open_checked(path)
    try:
        d = _esepy._inspect_checkpoint(p)
    except errors.JetError as e:
        raise _not_kind(e, p, "esepy.inspect.read_checkpoint", "checkpoint", "esepy checkpoint file") from None
    return Checkpoint(
        path=p, copy=d["copy"], copies_valid=(bool(d["copies_valid"][0]), bool(d["copies_valid"][1])),
        checkpoint=LGPOS.of(d["checkpoint"]), signature=Signature.of(d["signature"]),
        full_backup=LGPOS.of(d["full_backup"]), incremental_backup=LGPOS.of(d["incremental_backup"]),
        full_backup_time=_logtime(d["full_backup_time"]),
        incremental_backup_time=_logtime(d["incremental_backup_time"]),
        attached=[LogAttach.of(a) for a in d["attached"]])


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


