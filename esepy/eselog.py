"""The records of Windows ESE transaction logs (``SRU.log``, ``edb0001A.log``).

A read-only reader over the C one (``csrc/esefmt/eselog.c``, ``eselogchain.c``):

* :func:`open_log` opens one log file: its segments are classified (good, ECC-
  corrected, stale, zero, shadow, damaged), the end of its data found, and
  :meth:`EseLogFile.records` yields every record in order as a dict (``type``,
  ``lrtyp``, ``lgpos``, ``size``, and what the type carries: ``procid``, ``dbid``,
  ``pgno``, ``dbtime``, ``dbtime_before``, ``key``, ``data``, ``path``, ...).
* :func:`open_log_chain` opens the generations of a log folder and checks the
  chain (no generation missing, one log signature, previous-generation times,
  accumulated segment checksums), reads the checkpoint (both copies) and says
  where recovery starts reading; :meth:`EseLogChain.records` walks across the
  generations.

Damage is never hidden: a segment repaired by its ECC checksum (one flipped
bit) is counted and its bit position kept; an unknown record type, a damaged
segment or a broken chain raises the engine's error with a sentence that
names the record type, file or generation.  Nothing here writes to a file.

esepy's own logs have their own reader (:mod:`esepy.inspection`).
"""
from __future__ import annotations

import collections
import datetime as _dt
import os as _os
from typing import Any, Dict, Iterator, List, Optional, Tuple

from . import _esepy
from .ese import LOCAL_AS_UTC, _convert_times, _time

__all__ = ["EseLogFile", "EseLogChain", "open_log", "open_log_chain", "lrtyp_name", "count_by_type",
           "format_record", "record_json"]

LGPOS = Tuple[int, int, int]


def lrtyp_name(lrtyp: int) -> Optional[str]:
    """Name of a log record type ("Insert", "Term2", ...); None when the value is unknown."""
    name: Optional[str] = _esepy._ese_lrtyp_name(lrtyp)
    return name


def _record(r: Dict[str, Any]) -> Dict[str, Any]:
    if "time" in r:
        r["time"] = _time(r["time"])
    for k in ("sign_db", "sign_log"):
        if k in r:
            r[k] = _convert_times(r[k])
    return r


class EseLogFile:
    """One Windows ESE log file, opened read-only.

    ``header`` is the file header (as :func:`esepy.ese.read_log_header` gives it),
    ``info`` the segment summary (``good_segments``, ``corrected_segments``,
    ``end_kind`` "full"/"stale"/"zero"/"shadow"/"damaged", ``end`` lgpos,
    ``checksum_all_segments``, ``integrity_error``), ``segments()`` every sector's
    classification, ``records()`` the records."""

    def __init__(self, path: "_os.PathLike[str] | str", correct: bool = True) -> None:
        from . import ese
        self.path = _os.fspath(path)
        self._log = _esepy.EseLog(self.path, correct=correct)
        self.header = ese.read_log_header(self.path)

    @property
    def info(self) -> Dict[str, Any]:
        """Segment counts, end of data and integrity (after a full walk also ``closed_normally``)."""
        d: Dict[str, Any] = self._log.info()
        return d

    def segments(self) -> List[Dict[str, Any]]:
        """Every sector after the header: ``isec``, ``status``, ``checksum``, ``lgpos``,
        ``time`` and, for a repaired one, ``corrected_bit`` (bit offset in the sector)."""
        return [_convert_times(s) for s in self._log.segments()]

    def records(self) -> Iterator[Dict[str, Any]]:
        """Every record in log order (from the first one on each call)."""
        self._log.rewind()
        for r in self._log:
            yield _record(r)

    def close(self) -> None:
        self._log.close()

    def __enter__(self) -> "EseLogFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<EseLogFile {self.path!r} generation {self.header['generation']}>"


def _sign_tuple(sign: Dict[str, Any]) -> Dict[str, Any]:
    """A signature dict whose ``created`` may be a datetime, as the C reader wants it."""
    created = sign.get("created")
    if isinstance(created, _dt.datetime):
        created = (created.year, created.month, created.day, created.hour, created.minute, created.second,
                   created.microsecond // 1000,
                   1 if created.tzinfo is not None and created.tzinfo is not LOCAL_AS_UTC else 0)
    return {"random": sign["random"], "created": created, "computer_name": sign.get("computer_name", "")}


class EseLogChain:
    """The log generations of a folder (see :func:`open_log_chain`)."""

    def __init__(self, folder: "_os.PathLike[str] | str", base: Optional[str] = None, first_generation: int = 0,
                 sign_log: Optional[Dict[str, Any]] = None, inspect: bool = False) -> None:
        self.folder = _os.fspath(folder)
        self._chain = _esepy.EseLogChain(self.folder, base, first_generation,
                                         _sign_tuple(sign_log) if sign_log is not None else None, inspect)

    @property
    def info(self) -> Dict[str, Any]:
        """``base``, ``first_generation`` / ``last_generation``, ``transitions`` and
        ``transitions_ok``, ``missing_generation``, ``sign_log``, ``end``, the checkpoint
        (``checkpoint``, ``checkpoint_copies_valid``, ``checkpoint_copies_equal``,
        ``checkpoint_fake``), ``redo_start``, ``attached`` (the attachments recovery starts
        with) and ``error`` (the first refusal, "" if none)."""
        d: Dict[str, Any] = _convert_times(self._chain.info())
        return d

    def generations(self) -> List[Dict[str, Any]]:
        """Each generation: ``file``, ``generation``, ``prev_gen_linked``, ``checksum_linked``,
        ``sign_matches``, ``info`` (its segment summary)."""
        return [_convert_times(g) for g in self._chain.generations()]

    def records(self, start: "LGPOS | str | None" = None) -> Iterator[Dict[str, Any]]:
        """Records across the generations; ``start`` = an lgpos, "redo" (the redo start) or
        None (the first generation's first record)."""
        pos: Optional[LGPOS] = None
        if isinstance(start, str):
            if start != "redo":
                raise ValueError(f"start must be an lgpos, 'redo' or None, not {start!r}")
            g, i, b = self._chain.info()["redo_start"]
            pos = (g, i, b)
        elif start is not None:
            pos = (int(start[0]), int(start[1]), int(start[2]))
        self._chain.seek(pos)
        for r in self._chain:
            yield _record(r)

    def close(self) -> None:
        self._chain.close()

    def __enter__(self) -> "EseLogChain":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_log(path: "_os.PathLike[str] | str", correct: bool = True) -> EseLogFile:
    """Open one Windows ESE log file.  ``correct=False`` reports single-bit errors as damage
    instead of repairing them (in memory; the file is never written)."""
    return EseLogFile(path, correct)


def open_log_chain(folder: "_os.PathLike[str] | str", base: Optional[str] = None, first_generation: int = 0,
                   database: Any = None, inspect: bool = False) -> EseLogChain:
    """Open the generations of a Windows ESE log folder, from ``first_generation`` (0: the
    oldest present, -1: the checkpoint's) to the current log.

    ``database`` (a path or :class:`esepy.ese.EseDatabase`) makes logs of another database
    (another log signature) an error.  Without ``inspect`` a broken chain raises:
    MissingLogFile (naming the generation), BadLogSignature, InvalidLogSequence,
    LogSequenceChecksumMismatch, LogFileCorrupt; with it the problem is in ``info["error"]``.
    """
    sign = None
    if database is not None:
        from . import ese
        if isinstance(database, ese.EseDatabase):
            sign = database.header["sign_log"]
        else:
            with ese.open_ese(database) as db:
                sign = db.header["sign_log"]
    return EseLogChain(folder, base, first_generation, sign, inspect)


def count_by_type(records: Any) -> Dict[str, int]:
    """Records counted by type name."""
    return dict(collections.Counter(r["type"] for r in records))


def _hex(b: bytes, n: int = 16) -> str:
    return b[:n].hex() + ("..." if len(b) > n else "")


_SKIP = {"type", "lrtyp", "lgpos", "size", "key", "data", "ignorable", "sign_db", "sign_log", "path", "time"}


def _lgpos_text(p: LGPOS) -> str:
    return f"({p[0]},{p[1]},{p[2]})"


def format_record(r: Dict[str, Any]) -> str:
    """One line of text for a record, in the spirit of ``esentutl /ml`` verbose."""
    parts = []
    for k, v in r.items():
        if k in _SKIP:
            continue
        if isinstance(v, tuple) and k.startswith("lgpos"):
            v = _lgpos_text(v)
        elif isinstance(v, tuple):
            v = ".".join(str(x) for x in v)
        elif k.startswith("dbtime") and v == 0xFFFFFFFFFFFFFFFF:
            v = "Nil"
        parts.append(f"{k}={v}")
    if r.get("time") is not None:
        parts.append(f"time={r['time'].isoformat(sep=' ')}")
    if "sign_db" in r:
        parts.append(f"sign_db=0x{r['sign_db']['random']:08X}")
    if "sign_log" in r:
        parts.append(f"sign_log=0x{r['sign_log']['random']:08X}")
    if "path" in r:
        parts.append(f"path={r['path']!r}")
    if "key" in r:
        parts.append(f"key[{len(r['key'])}]={_hex(r['key'])}")
    if "data" in r and not r.get("ignorable"):
        parts.append(f"data[{len(r['data'])}]={_hex(r['data'])}")
    return f"  {_lgpos_text(r['lgpos']):<14} {r['type']:<16} cb={r['size']:<5} {' '.join(parts)}".rstrip()


def record_json(r: Dict[str, Any]) -> Dict[str, Any]:
    """A record as plain JSON values (key and data in hex; filler records' data as its size only)."""
    out: Dict[str, Any] = {}
    for k, v in r.items():
        if k == "data" and r.get("ignorable") and r["type"] == "NOP2":
            out["data_size"] = len(v)
        elif isinstance(v, bytes):
            out[k] = v.hex()
        elif isinstance(v, _dt.datetime):
            out[k] = v.isoformat()
        elif isinstance(v, tuple):
            out[k] = list(v)
        elif isinstance(v, dict):
            out[k] = {kk: (vv.isoformat() if isinstance(vv, _dt.datetime) else vv) for kk, vv in v.items()}
        else:
            out[k] = v
    return out
