"""esepy log generations, read-only: headers, records, the crc chain and the
generation sequence.  Every file is read by the engine's own log reader
(``esepy_inspect.h``: the crc chain, the block rule, the end-of-log rule L9 and
the one-bit corrections R6 of ``csrc/log/log_reader.c``), so a tool sees a
generation exactly as recovery would."""
from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

from .. import _esepy, errors
from ._common import (LGPOS, LOG_HEADER_SIZE, LOG_SECTOR, RECORD_TYPES, LogAttach, Signature, _html_table,
                      _jsonable, _logtime, _not_kind, _open_checked, _pandas, _pyplot)

_ProgressFn = Optional[Any]


@dataclass
class LogHeader:
    """The header (sector 0) of one log generation."""

    path: str
    generation: int
    file_size: int
    page_size: int
    circular: bool
    created: Optional[_dt.datetime]
    prev_generation_created: Optional[_dt.datetime]
    signature: Signature
    checkpoint: LGPOS                  #: the checkpoint when this generation was created
    attached: List[LogAttach]
    raw_created: bytes = b""           #: the 8 LOGTIME bytes (compared for the sequence check)
    raw_prev: bytes = b""

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        d = dict(_jsonable(self))
        d.pop("raw_created", None)
        d.pop("raw_prev", None)
        return d


@dataclass(frozen=True)
class LogRecord:
    """One log record: position, type and what it is about.

    ``transaction`` is the transaction id of Commit / Rollback / Undo / Clr /
    DeltaDone records; ``dbid`` and ``pgno`` the database and page of page and
    database records (None when the type has none), as the engine's layers
    that wrote the record read it (``isam_log_describe``).
    """

    lgpos: LGPOS
    type: int
    length: int
    transaction: Optional[int] = None
    dbid: Optional[int] = None
    pgno: Optional[int] = None
    payload: bytes = b""
    db_path: str = ""      #: DbCreate / DbAttach: the database's path

    @property
    def type_name(self) -> str:
        """The record type by name ("Commit", "Insert", ...)."""
        return RECORD_TYPES.get(self.type, f"Type{self.type}")

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form (without the payload)."""
        return {"lgpos": str(self.lgpos), "generation": self.lgpos.generation, "isec": self.lgpos.isec,
                "ib": self.lgpos.ib, "type": self.type_name, "type_id": self.type, "length": self.length,
                "transaction": self.transaction, "dbid": self.dbid, "pgno": self.pgno}




def _log_header_from(path: str, d: Dict[str, Any]) -> LogHeader:
    """A LogHeader from the engine's dict (ESEPY_INSPECT_LOGHEADER)."""
    return LogHeader(
        path=path, generation=d["generation"], file_size=d["file_size"], page_size=d["page_size"],
        circular=bool(d["flags"] & 1), created=_logtime(d["created"]),
        prev_generation_created=_logtime(d["prev_created"]), signature=Signature.of(d["signature"]),
        checkpoint=LGPOS.of(d["checkpoint"]), attached=[LogAttach.of(a) for a in d["attached"]],
        raw_created=bytes(d["created"]), raw_prev=bytes(d["prev_created"]))


def _decode_log_header(path: str, buf: bytes) -> LogHeader:
    """Decode a log header held in memory (a backup stream's first sector), with the engine's checks."""
    try:
        return _log_header_from(path, _esepy._inspect_decode_log_header(bytes(buf)))
    except errors.JetError as e:
        raise _not_kind(e, path, "esepy.inspect.LogFile", "log", "esepy log file") from None


class LogFile:
    """One log generation file (``edb.log``, ``edb0000A.log``, ...), read-only.

    ``header`` is read and verified on construction; :meth:`records` reads the
    file with the engine's log reader.  After a full walk, ``end`` is the
    position just past the last good record, ``ended_with_genend`` tells
    whether the generation was closed, and ``torn`` whether bytes that fail the
    chain follow the end.  ``damaged`` tells whether that break lies inside
    durably flushed data (the engine's rule, invariant L9 of
    ``csrc/log/log.h``): recovery refuses such a generation with
    JET_errLogFileCorrupt, while an undamaged break in ``edb.log`` is a write
    the crash cut (normal).  A break in an archived generation is always damage.
    ``corrected`` counts records damaged by one flipped bit, which the reader
    corrects in memory as recovery does (reader R6); they make ``damaged`` true.
    """

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        self.path = _open_checked(path)
        try:
            self.header = _log_header_from(self.path, _esepy._inspect_log_header(self.path))
        except errors.JetError as e:
            raise _not_kind(e, self.path, "esepy.inspect.LogFile", "log", "esepy log file") from None
        self.generation = self.header.generation
        self.end: Optional[LGPOS] = None
        self.ended_with_genend = False
        self.torn = False
        self.damaged = False
        self.corrected = 0
        self.corrected_at: Optional[LGPOS] = None

    def __repr__(self) -> str:
        return f"<esepy.inspect.LogFile {os.path.basename(self.path)} generation={self.generation}>"

    def _repr_html_(self) -> str:
        h = self.header
        return _html_table(f"esepy log generation {h.generation}", [
            ("file", h.path), ("generation", h.generation), ("created", h.created),
            ("previous generation created", h.prev_generation_created), ("signature", h.signature),
            ("checkpoint at creation", h.checkpoint), ("size", h.file_size), ("circular", h.circular),
            ("attached", ", ".join(a.path for a in h.attached) or "-")])

    def records(self, include_padding: bool = False) -> Iterator[LogRecord]:
        """Every valid record in file order (Pad and Flush records only with ``include_padding``)."""
        try:
            _hdr, recs, tail = _esepy._inspect_log_read(self.path)
        except errors.JetError as e:
            raise _not_kind(e, self.path, "esepy.inspect.LogFile", "log", "esepy log file") from None
        self.end = LGPOS.of(tail["end"])
        self.ended_with_genend = bool(tail["genend"])
        self.corrected = int(tail["corrected"])
        self.corrected_at = LGPOS.of(tail["corrected_at"]) if self.corrected else None
        self.damaged = bool(tail["damaged"]) or self.corrected > 0
        self.torn = bool(tail["torn"]) or bool(tail["damaged"])
        for lgpos, rtype, length, payload, trx, dbid, pgno, db_path in recs:
            if rtype not in (0, 4) or include_padding:
                yield LogRecord(LGPOS.of(lgpos), int(rtype), int(length), trx, dbid, pgno, bytes(payload),
                                str(db_path))

    def to_dict(self, records: bool = False) -> Dict[str, Any]:
        """Header (and, with ``records``, every record) as JSON-ready values."""
        d: Dict[str, Any] = {"path": self.path, "header": self.header.to_dict()}
        recs = [r.to_dict() for r in self.records()]
        d["record_count"] = len(recs)
        d["end"] = str(self.end)
        d["ended_with_genend"] = self.ended_with_genend
        d["torn_tail"] = self.torn
        d["damaged"] = self.damaged
        d["corrected"] = self.corrected
        if records:
            d["records"] = recs
        return d


@dataclass
class LogCheckReport:
    """What :meth:`LogFolder.check` found: files, records and problems (esentutl /ml)."""

    folder: str
    base: str
    generations: List[int] = field(default_factory=list)
    current_generation: Optional[int] = None
    records: int = 0
    problems: List[str] = field(default_factory=list)
    missing: List[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no damaged or missing log file was found."""
        return not self.problems and not self.missing

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        d = dict(_jsonable(self))
        d["ok"] = self.ok
        return d


class LogFolder:
    """The log stream of a base name in a folder (``edb.log``, ``edbXXXXX.log``), read-only.

    ``LogFolder(folder, base=None)`` finds the base name when the folder holds
    one stream (``FileNotFound`` when it holds none).  Generations are
    :class:`LogFile` objects in generation order, the current one (``edb.log``) last.
    """

    def __init__(self, folder: str, base: Optional[str] = None) -> None:
        folder = os.fspath(folder)
        if not os.path.isdir(folder):
            raise errors.FileNotFound(operation=f"log folder {folder}")
        self.folder = folder
        names = os.listdir(folder)
        if base is None:
            bases = sorted({m.group(1) for n in names for m in [re.fullmatch(r"(.{3})(?:[0-9A-F]{5}|[0-9A-F]{8})?\.(?:log|jtx)", n)]
                            if m and not n.endswith("tmp.log")})
            if not bases:
                raise errors.FileNotFound(operation=f"no log files in {folder}")
            base = "edb" if "edb" in bases else bases[0]
        self.base = base
        self._archived: Dict[int, str] = {}
        self._current: Optional[str] = None
        for n in names:
            m = re.fullmatch(re.escape(base) + r"([0-9A-F]{5}|[0-9A-F]{8})\.(log|jtx)", n)
            if m:
                self._archived[int(m.group(1), 16)] = os.path.join(folder, n)
            elif n in (base + ".log", base + ".jtx"):
                self._current = os.path.join(folder, n)
        if not self._archived and self._current is None:
            raise errors.FileNotFound(operation=f"no {base} log files in {folder}")

    def __repr__(self) -> str:
        gens = self.generation_numbers()
        span = f"{gens[0]}..{gens[-1]}" if gens else "none"
        return f"<esepy.inspect.LogFolder {self.folder!r} base={self.base!r} generations={span}>"

    def _repr_html_(self) -> str:
        rows: List[Tuple[str, Any]] = [("folder", self.folder), ("base name", self.base)]
        for lf in self.files():
            rows.append((os.path.basename(lf.path), f"generation {lf.generation}, created {lf.header.created}"))
        return _html_table("esepy log folder", rows)

    def files(self) -> List[LogFile]:
        """Every generation present, lowest first (unreadable files raise)."""
        out = [LogFile(p) for _g, p in sorted(self._archived.items())]
        if self._current is not None:
            out.append(LogFile(self._current))
        return out

    def generation_numbers(self) -> List[int]:
        """Generations present (archived ones by name, the current one from its header)."""
        gens = sorted(self._archived)
        if self._current is not None:
            try:
                gens.append(LogFile(self._current).generation)
            except errors.JetError:
                pass
        return sorted(set(gens))

    def generation(self, gen: int) -> LogFile:
        """The file of generation ``gen`` (``MissingLogFile`` when it is not there)."""
        if gen in self._archived:
            return LogFile(self._archived[gen])
        if self._current is not None:
            lf = LogFile(self._current)
            if lf.generation == gen:
                return lf
        raise errors.MissingLogFile(operation=f"generation {gen} in {self.folder}")

    def records(self, start: Optional[int] = None, stop: Optional[int] = None) -> Iterator[LogRecord]:
        """Records of generations ``start..stop`` (inclusive; all by default), in log order."""
        for lf in self.files():
            if (start is None or lf.generation >= start) and (stop is None or lf.generation <= stop):
                yield from lf.records()

    def databases(self) -> List[str]:
        """Paths of the databases the stream names (attach lists of the headers, DbCreate / DbAttach records).

        These are the files soft recovery replays into (unless an alternate
        recovery folder maps them elsewhere).
        """
        seen: Dict[str, None] = {}
        for lf in self.files():
            for a in lf.header.attached:
                seen.setdefault(a.path, None)
            for r in lf.records():
                if r.type in (20, 21) and r.db_path:
                    seen.setdefault(r.db_path, None)
        return list(seen)

    def check(self, progress: _ProgressFn = None) -> LogCheckReport:
        """Verify every file: headers, crc chains, generation sequence, signatures, GenEnd of archived files."""
        rep = LogCheckReport(self.folder, self.base)
        prev: Optional[LogFile] = None
        paths = [p for _g, p in sorted(self._archived.items())] + ([self._current] if self._current else [])
        for i, path in enumerate(paths):
            try:
                lf = LogFile(path)
            except errors.JetError as e:
                rep.problems.append(f"{os.path.basename(path)}: {e}")
                prev = None
                continue
            rep.generations.append(lf.generation)
            archived = path != self._current
            if archived and self._archived.get(lf.generation) != path:
                rep.problems.append(f"{os.path.basename(path)}: holds generation {lf.generation} "
                                    "(JET_errLogGenerationMismatch)")
            if not archived:
                rep.current_generation = lf.generation
            if prev is not None:
                if lf.header.signature != prev.header.signature:
                    rep.problems.append(f"generation {lf.generation}: signature differs (JET_errBadLogSignature)")
                elif lf.generation == prev.generation + 1 and lf.header.raw_prev != prev.header.raw_created:
                    rep.problems.append(f"generation {lf.generation}: does not continue generation "
                                        f"{prev.generation} (JET_errInvalidLogSequence)")
                for g in range(prev.generation + 1, lf.generation):
                    rep.missing.append(g)
            n = sum(1 for _ in lf.records())
            rep.records += n
            if archived and not lf.ended_with_genend:
                rep.problems.append(f"generation {lf.generation}: damaged before its end at {lf.end} "
                                    "(JET_errLogFileCorrupt)")
            elif lf.corrected:
                rep.problems.append(f"generation {lf.generation}: {lf.corrected} record(s) damaged by one "
                                    f"flipped bit, the last at {lf.corrected_at}; recovery corrects them in "
                                    "memory (JET_errLogFileCorrupt where it cannot)")
            elif not archived and lf.damaged:
                rep.problems.append(f"generation {lf.generation}: damaged inside flushed data at {lf.end} "
                                    "(JET_errLogFileCorrupt)")
            prev = lf
            if progress is not None:
                progress(i + 1, len(paths))
        if self._current is None and self._archived and not self._interrupted_roll(max(self._archived)):
            rep.problems.append(f"{self.base}.log is missing after generation {max(self._archived)} "
                                "(JET_errMissingLogFile)")
        return rep

    def _interrupted_roll(self, gen_high: int) -> bool:
        """Whether <base>tmp.log carries generation gen_high + 1's header: a roll cut between its
        two renames, so the missing current log is not a lost one (log_reader.c, R4)."""
        for ext in ("log", "jtx"):
            p = os.path.join(self.folder, f"{self.base}tmp.{ext}")
            if os.path.exists(p):
                try:
                    h = LogFile(p).header
                except errors.JetError:
                    return False
                return h.generation == gen_high + 1
        return False

    def to_pandas(self) -> Any:
        """Every record as a pandas DataFrame (columns of :meth:`LogRecord.to_dict`)."""
        pd = _pandas()
        df = pd.DataFrame([r.to_dict() for r in self.records()],
                          columns=["lgpos", "generation", "isec", "ib", "type", "type_id", "length",
                                   "transaction", "dbid", "pgno"])
        # numbers stay integers where some records have none (nullable dtype, not float NaN)
        for c in ("generation", "isec", "ib", "type_id", "length", "transaction", "dbid", "pgno"):
            df[c] = df[c].astype("Int64")
        return df

    def generations_dataframe(self) -> Any:
        """One row per generation: number, creation time, records, bytes used (pandas)."""
        pd = _pandas()
        rows = []
        for lf in self.files():
            recs = list(lf.records())
            rows.append({"generation": lf.generation, "file": os.path.basename(lf.path),
                         "created": lf.header.created, "records": len(recs),
                         "bytes": (lf.end.isec * LOG_SECTOR + lf.end.ib - LOG_HEADER_SIZE) if lf.end else 0,
                         "closed": lf.ended_with_genend})
        return pd.DataFrame(rows)

    def plot_generations(self, ax: Any = None) -> Any:
        """Plot log generations over time (creation time vs generation; needs matplotlib); returns the Axes."""
        plt = _pyplot()
        files = self.files()
        if ax is None:
            _fig, ax = plt.subplots()
        xs = [lf.header.created for lf in files]
        ys = [lf.generation for lf in files]
        ax.step(xs, ys, where="post", marker="o")
        ax.set_xlabel("created")
        ax.set_ylabel("generation")
        ax.set_title(f"log generations in {self.folder}")
        return ax


