"""The ``esepy`` command line (also ``python -m esepy``), modelled on esentutl.

Modes::

    esepy dump header DB               database header (esentutl /mh)
    esepy dump log LOG|FOLDER          log generations and records (/ml)
    esepy dump checkpoint CHK|FOLDER   checkpoint file (/mk)
    esepy checksum FILE...             page / log / checkpoint checksums (/k)
    esepy integrity DB                 B+tree, space, record and key verification (/g; Windows ESE too)
    esepy recover --logs DIR --system DIR [--db-dir DIR]   soft recovery (/r)
    esepy recover DB --logs DIR --output FILE   Windows ESE database onto a copy (redo and undo)
    esepy verify-logs DB --logs DIR    audit a Windows ESE database against its logs
    esepy tables DB                    tables, columns, indexes, records, pages
    esepy export DB TABLE --format csv|json|parquet [-o FILE] [--include-deleted]
    esepy carve DB TABLE [--format csv|json] [-o FILE]   records from unreached pages (Windows ESE)
    esepy backup ... / esepy restore BACKUP ...            (when the engine has them)
    esepy demo [FOLDER]                the README's demo

Every mode takes ``--json`` (one JSON document on stdout, for scripts) and
``--progress`` / ``--no-progress`` (a progress bar on stderr; on by default
when stderr is a terminal).  Exit codes: 0 success, 1 a JET error (printed as
``error: JET_errName (number): explanation``; damaged files found by
``checksum`` / ``integrity`` count as errors), 2 a usage error.

Modes are registered with :func:`command`; another module adds one in a few
lines::

    from esepy.cli import command

    @command("frobnicate", "Frobnicate a database", args=lambda p: p.add_argument("db"))
    def _frobnicate(ns, out):
        return {"frobnicated": ns.db}      # printed as JSON with --json, as text otherwise
"""
from __future__ import annotations

import argparse
import csv
import datetime as _dt
import io
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO, Tuple

from . import archive, errors, inspection
from ._progress import ProgressBar

__all__ = ["main", "command", "Command", "Output", "COMMANDS", "CliError"]


class CliError(Exception):
    """A usage problem found after parsing (exit code 2)."""


@dataclass
class Command:
    """A registered mode: its words (``("dump", "header")``), help, argument setup and action."""

    words: Sequence[str]
    help: str
    args: Optional[Callable[[argparse.ArgumentParser], Any]]
    run: Callable[[argparse.Namespace, "Output"], Any]


#: Every mode, by its words joined with a space ("dump header").
COMMANDS: Dict[str, Command] = {}


def command(name: str, help: str, args: Optional[Callable[[argparse.ArgumentParser], Any]] = None
            ) -> Callable[[Callable[[argparse.Namespace, "Output"], Any]], Callable[[argparse.Namespace, "Output"], Any]]:
    """Register a mode ``name`` ("checksum", or "dump header" for a sub-mode).

    ``args(parser)`` adds its arguments; the decorated ``run(namespace, out)``
    does the work and returns a JSON-ready result (dict), which ``--json``
    prints; it prints human text through ``out.text(...)`` and raises
    :class:`esepy.JetError` on failure.
    """
    def deco(fn: Callable[[argparse.Namespace, "Output"], Any]) -> Callable[[argparse.Namespace, "Output"], Any]:
        COMMANDS[name] = Command(tuple(name.split()), help, args, fn)
        return fn
    return deco


class Output:
    """Where a mode writes: text (unless ``--json``), progress bars, the final summary."""

    def __init__(self, ns: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> None:
        self.json = bool(getattr(ns, "json", False))
        prog = getattr(ns, "progress", None)
        self.progress_enabled = (stderr.isatty() and not self.json) if prog is None else prog
        self.stdout = stdout
        self.stderr = stderr

    def text(self, *lines: str) -> None:
        """Print human-readable lines (suppressed with ``--json``)."""
        if not self.json:
            for line in lines:
                print(line, file=self.stdout)

    def progress(self, description: str, total: Optional[int] = None, unit: str = "it",
                 scale: int = 1) -> ProgressBar:
        """A progress bar on stderr (tqdm); a silent one when progress is off."""
        return ProgressBar(description, total, unit, scale=scale, file=self.stderr, enabled=self.progress_enabled)


class _Failed(Exception):
    """A mode produced a result that means failure (damaged files): exit 1 after printing it."""

    def __init__(self, result: Any, error: BaseException) -> None:
        super().__init__(str(error))
        self.result = result
        self.error = error


def _fail(result: Any, cls: type, what: str) -> None:
    raise _Failed(result, cls(operation=what))



# ---------------------------------------------------------------------------
# Files written by Windows' ESE (esepy.ese reads them; format found from the header)

def _format_of(path: str) -> str:
    """Which reader a path needs, found once per path from its first bytes:
    ``"esepy"`` (esepy's own files, esepy.inspect) or ``"windows-ese"``
    (files written by Windows' ESE, esepy.ese); ``"unknown"`` otherwise.  A
    folder is judged by the log files it holds."""
    from . import ese
    from ._formats import ESEPY, WINDOWS, identify
    if not os.path.exists(path):
        return "unknown"        # the mode's reader raises FileNotFound naming the path
    if os.path.isdir(path):
        try:
            lf = inspection.LogFolder(path)
            first = [lf.generation(g).path for g in lf.generation_numbers()[:1]]
            if first and inspection.file_kind(first[0]) != "unknown":
                return ESEPY  # esepy's own logs
        except errors.JetError:
            pass
        try:
            return WINDOWS if ese.scan_log_folder(path)["files"] else "unknown"
        except errors.JetError:
            return "unknown"
    found = identify(path)
    return found.format if found.format in (ESEPY, WINDOWS) else "unknown"


def _windows(path: str) -> bool:
    return _format_of(path) == "windows-ese"


def _fields(out: "Output", title: str, rows: Sequence[Tuple[str, Any]]) -> None:
    """A title line and aligned ``field  value`` lines (rich), the text form of every dump."""
    from ._display import text_table
    out.text(title, *text_table(None, [(k, v) for k, v in rows]))


def _ese_open(path: str, logs: Optional[str]) -> Any:
    """open_ese, recovering into a temporary copy first when logs are given."""
    from . import ese
    if logs is not None and not os.path.isdir(logs):
        raise errors.InvalidPath(operation=f"--logs {logs}: no such folder")
    return ese.open_ese(path, logs=logs)


def _ese_source(db: Any) -> str:
    if db.recovery is None:
        return "the file as it is"
    if db.recovery.get("was_clean"):
        return "the file as it is (already clean)"
    return f"a copy recovered with its logs (consistent at {tuple(db.recovery['lgpos_consistent'])})"


def _ese_dump_header(path: str, out: Output, logs: Optional[str] = None) -> Any:
    with _ese_open(path, logs) as db:
        h = db.header
        source, recovery = _ese_source(db), db.recovery
    _fields(out, f"Database (Windows ESE): {path}" + (f" -- read from {source}" if logs else ""),
            [(k, h[k]) for k in sorted(h)])
    result = {"database": path, "format": "windows-ese", "header": inspection._jsonable(h)}
    if logs is not None:
        result["source"] = source
        result["recovery"] = recovery
    return result


def _ese_dump_log(path: str, out: Output, records: bool = False, limit: Optional[int] = None) -> Any:
    from . import ese
    if records:
        return _ese_dump_log_records(path, out, limit)
    if os.path.isdir(path):
        scan = ese.scan_log_folder(path)
        gens = scan["generations"]
        out.text(f"Log folder (Windows ESE): {path} base {scan['base']}",
                 f"  generations: {gens[0]}-{gens[1]}" if gens else "  generations: none")
        for f in scan["files"]:
            out.text(f"  {f['file']}: {f['role']} generation {f['generation']}")
        result = {"format": "windows-ese", **inspection._jsonable(scan)}
        if not scan["ok"]:
            problems = scan["missing"] or scan["out_of_sequence"] or scan["signature_mismatch"] or scan["unreadable"]
            out.text(f"ERROR: missing {scan['missing']}, out of sequence {scan['out_of_sequence']}, "
                     f"other stream {scan['signature_mismatch']}, unreadable {scan['unreadable']}")
            _fail(result, errors.MissingLogFile if scan["missing"] else errors.InvalidLogSequence,
                  f"log folder {path}: {problems}")
        return result
    h = ese.read_log_header(path)
    _fields(out, f"Log file (Windows ESE): {path}", [(k, h[k]) for k in sorted(h)])
    return {"format": "windows-ese", "files": [inspection._jsonable(h)]}


def _ese_dump_log_records(path: str, out: Output, limit: Optional[int]) -> Any:
    """Every record of a Windows ESE log file, or of a folder's generations (esentutl /ml verbose)."""
    from . import eselog
    shown = 0

    def emit(r: Dict[str, Any], rows: List[Dict[str, Any]]) -> None:
        nonlocal shown
        if limit is None or shown < limit:
            out.text(eselog.format_record(r))
            rows.append(eselog.record_json(r))
            shown += 1

    def summary(info: Dict[str, Any]) -> str:
        corrected = f", {info['corrected_segments']} segment(s) REPAIRED by ECC (single bit)" \
            if info["corrected_segments"] else ""
        return (f"  end of data {eselog._lgpos_text(info['end'])} ({info['end_kind']}), "
                f"{info['good_segments']} good segments{corrected}"
                f"{', closed normally' if info['closed_normally'] else ''}")

    if os.path.isdir(path):
        with eselog.open_log_chain(path, inspect=True) as chain:
            info = chain.info
            gens = chain.generations()
            out.text(f"Log folder (Windows ESE): {path} base {info['base']}, generations "
                     f"{info['first_generation']}-{info['last_generation']}, chain checks "
                     f"{info['transitions_ok']}/{info['transitions']}, redo starts at "
                     f"{eselog._lgpos_text(info['redo_start'])}"
                     f"{' (checkpoint faked to its generation)' if info['checkpoint_fake'] else ''}")
            files: List[Dict[str, Any]] = []
            counts: Dict[str, int] = {}
            err: Optional[BaseException] = None
            for g in gens:
                rows: List[Dict[str, Any]] = []
                out.text(f"Log file: {g['file']} (generation {g['generation']})")
                try:
                    for r in chain.records((g["generation"], 0, 0)):
                        if r["lgpos"][0] != g["generation"]:
                            break
                        counts[r["type"]] = counts.get(r["type"], 0) + 1
                        emit(r, rows)
                except errors.JetError as e:
                    err = e
                out.text(summary(g["info"]))
                files.append({"file": g["file"], "generation": g["generation"], "info": g["info"],
                              "records": rows})
                if err is not None:
                    break
            result = {"format": "windows-ese", "chain": inspection._jsonable(info), "files":
                      inspection._jsonable(files), "counts": counts}
            if err is not None:
                out.text(f"ERROR: {err}")
                _fail(result, type(err), str(err))
            if info["error"]:
                out.text(f"ERROR: {info['error']}")
                _fail(result, errors.error_class(info["error_code"]), info["error"])
            return result
    with eselog.open_log(path) as lf:
        out.text(f"Log file (Windows ESE): {path} generation {lf.header['generation']}")
        rows = []
        counts = {}
        err = None
        try:
            for r in lf.records():
                counts[r["type"]] = counts.get(r["type"], 0) + 1
                emit(r, rows)
        except errors.JetError as e:
            err = e
        info = lf.info
        out.text(summary(info))
        for s in lf.segments():
            if s["status"] == "corrected":
                out.text(f"  segment {s['isec']}: bit {s['corrected_bit']} (byte {s['corrected_bit'] // 8}) "
                         f"was flipped and is corrected in memory")
        result = {"format": "windows-ese", "files": [{"file": path, "generation": lf.header["generation"],
                                                      "info": info, "records": rows}], "counts": counts}
        if err is not None:
            out.text(f"ERROR: {err}")
            _fail(result, type(err), str(err))
        return result


def _ese_checksum(path: str) -> Dict[str, Any]:
    from . import ese
    with ese.open_ese(path) as db:
        rep = db.verify_pages()
    return {"path": path, "kind": "database", "format": "windows-ese", "pages": rep["pages"],
            "blank": rep["blank"], "bad": rep["bad"], "pages_owned": rep["pages_owned"],
            "missing": _page_ranges(rep["missing"]), "missing_pages": len(rep["missing"]),
            "ok": not rep["bad"] and not rep["missing"]}


def _page_ranges(pgnos: List[int]) -> List[List[int]]:
    """Sorted page numbers as [first, last] ranges."""
    out: List[List[int]] = []
    for p in pgnos:
        if out and out[-1][1] + 1 == p:
            out[-1][1] = p
        else:
            out.append([p, p])
    return out


def _ranges_text(ranges: List[List[int]]) -> str:
    return ", ".join(f"{a}..{b}" if a != b else str(a) for a, b in ranges)


def _ese_tables(path: str, logs: Optional[str] = None) -> Tuple[str, str, List[Dict[str, Any]]]:
    """(state, source, tables) of a database written by Windows' ESE, recovered first when logs are given."""
    tables: List[Dict[str, Any]] = []
    with _ese_open(path, logs) as db:
        h = db.header
        source = _ese_source(db)
        for et in db.tables:
            cols = [{"name": c.name, "type": c.type, "kind": c.kind, "columnid": c.columnid,
                     "multivalued": c.multivalued} for c in et.columns]
            idxs = [{"name": x["name"], "key": x["key"], "primary": x["primary"], "unique": x["unique"]}
                    for x in et.indexes]
            tables.append({"name": et.name, "objid": et.objid, "dropped": et.dropped, "records": et.count(),
                           "columns": cols, "primary_key": et.primary_key, "indexes": idxs})
    return str(h["state"]), source, tables


def _ese_no_table(db: Any, table: str) -> Exception:
    """The error for a table name a Windows database lacks (saying why when it stores no catalog)."""
    err: Exception
    if db.no_catalog:
        err = errors.ObjectNotFound(operation=f"table {table!r}: {db.tables.note}")
    else:
        err = errors.ObjectNotFound(operation=f"table {table!r} (tables: {', '.join(db.tables.names())})")
    return err


# ---------------------------------------------------------------------------
# dump

def _fmt_time(t: Any) -> str:
    return t.isoformat(sep=" ") if isinstance(t, _dt.datetime) else "-"


def _dump_header_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", help="database file")
    p.add_argument("--logs", help="log folder: also say what recovery needs and which generations are missing "
                   "(a Windows ESE database: dump the header of a copy recovered with these logs)")


@command("dump header", "Dump a database file's header (esentutl /mh)", _dump_header_args)
def _dump_header(ns: argparse.Namespace, out: Output) -> Any:
    if _windows(ns.db):
        return _ese_dump_header(ns.db, out, ns.logs)
    h = inspection.read_database_header(ns.db)
    req = inspection.recovery_requirements(ns.db, ns.logs) if ns.logs else None
    rows: List[Tuple[str, Any]] = [
        ("File Type:", "Database" if h.filetype == 1 else "Temp Database" if h.filetype == 5 else h.filetype),
        ("Checksum:", f"0x{h.checksum:08x} (copy {h.copy}; A valid: {h.copies_valid[0]}, "
                      f"B valid: {h.copies_valid[1]})"),
        ("Format Version:", h.version), ("DB Signature:", h.db_signature), ("cbDbPage:", h.page_size),
        ("State:", h.state),
        ("Log Required:", f"{h.gen_min_required}-{h.gen_max_required} "
                          f"(0x{h.gen_min_required:x}-0x{h.gen_max_required:x})"),
        ("Log Committed:", h.gen_max_committed),
        ("Last Consistent:", f"{h.lgpos_consistent} {_fmt_time(h.time_consistent)}"),
        ("Last Attach:", f"{h.lgpos_attach} {_fmt_time(h.time_attach)}"),
        ("Last Detach:", f"{h.lgpos_detach} {_fmt_time(h.time_detach)}"),
        ("Dbid:", h.dbid), ("Log Signature:", h.log_signature), ("Last Objid:", h.objid_last),
        ("Pages Owned:", h.pages_owned), ("Space / Catalog:", f"page {h.pgno_space} / page {h.pgno_catalog}"),
        ("Recovery Off:", h.recovery_off)]
    for label, bk in (("Previous Full Backup", h.backup_full_prev), ("Previous Incremental Backup",
                      h.backup_inc_prev), ("Current Full Backup", h.backup_full_cur)):
        rows.append((f"{label}:", f"Log Gen {bk.gen_low}-{bk.gen_high} (0x{bk.gen_low:x}-0x{bk.gen_high:x}), "
                                  f"Mark {bk.mark}, Time {_fmt_time(bk.time)}"))
    d = h.to_dict()
    if req is not None:
        d["recovery"] = req.to_dict()
        rows += [("Needs recovery:", req.needs_recovery), ("Log generations present:", _span(req.present)),
                 ("Missing generations:", ", ".join(map(str, req.missing)) or "none"),
                 ("Log signature matches:", req.signature_matches), ("Recoverable:", req.recoverable)]
    _fields(out, f"Database: {h.path}", rows)
    return d


def _span(gens: List[int]) -> str:
    return f"{gens[0]}-{gens[-1]}" if gens else "none"


def _dump_log_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("log", help="a log file (edb.log, edb00001.log) or a log folder")
    p.add_argument("--base", help="base name of the log stream in a folder (default: found)")
    p.add_argument("--records", action="store_true", help="list every record")
    p.add_argument("--limit", type=int, default=0, help="list at most N records")


def _record_lines(records: List[Dict[str, Any]]) -> List[str]:
    """Log records (LogRecord.to_dict()) as aligned lines: position, type, length, what it is about."""
    from ._display import text_table
    rows = [(r["lgpos"], r["type"], r["length"],
             " ".join(f"{k}={r[k]}" for k, name in (("transaction", "trx"), ("dbid", "dbid"), ("pgno", "pgno"))
                      if r[k] is not None).replace("transaction=", "trx="))
            for r in records]
    return text_table(["lgpos", "type", "length", "about"], rows)


@command("dump log", "Dump log file headers and records (esentutl /ml)", _dump_log_args)
def _dump_log(ns: argparse.Namespace, out: Output) -> Any:
    if _windows(ns.log):
        return _ese_dump_log(ns.log, out, ns.records, ns.limit or None)
    limit = ns.limit or None
    if os.path.isdir(ns.log):
        folder = inspection.LogFolder(ns.log, ns.base)
        files = folder.files()
    else:
        folder = None
        files = [inspection.LogFile(ns.log)]
    result: Dict[str, Any] = {"files": []}
    shown = 0
    with out.progress("reading logs", len(files), "file") as bar:
        for i, lf in enumerate(files):
            h = lf.header
            _fields(out, f"Log file: {lf.path}", [
                ("lGeneration:", f"{h.generation} (0x{h.generation:X})"), ("Checkpoint:", h.checkpoint),
                ("creation time:", _fmt_time(h.created)), ("prev gen time:", _fmt_time(h.prev_generation_created)),
                ("Signature:", h.signature),
                ("Log file size:", f"{h.file_size} bytes, page size {h.page_size}, circular: {h.circular}")]
                + [(f"Attached {a.dbid}:", f"{a.path}; signature {a.db_signature}; last attach {a.lgpos_attach}")
                   for a in h.attached])
            records = []
            for r in lf.records():
                if ns.records and (limit is None or shown < limit):
                    records.append(r.to_dict())
                    shown += 1
            if records:
                out.text(*_record_lines(records))
            d = lf.to_dict(records=False)
            if ns.records:
                d["records"] = records
            out.text(f"  records: {d['record_count']}, end {d['end']}, "
                     f"{'closed (GenEnd)' if lf.ended_with_genend else 'open'}"
                     f"{', DAMAGED inside flushed data (JET_errLogFileCorrupt)' if lf.damaged else ''}"
                     f"{', torn tail follows' if lf.torn and not lf.damaged else ''}", "")
            result["files"].append(d)
            bar.update(i + 1)
    if folder is not None:
        rep = folder.check()
        result["check"] = rep.to_dict()
        result["base"] = folder.base
        if rep.ok:
            out.text(f"Generations {rep.generations[0]}-{rep.generations[-1]}: no damaged log files were found.")
        else:
            out.text(*[f"ERROR: {p}" for p in rep.problems],
                     *[f"ERROR: missing generation {g}" for g in rep.missing])
            _fail(result, errors.LogFileCorrupt if rep.problems else errors.MissingLogFile,
                  f"{len(rep.problems)} damaged, {len(rep.missing)} missing log files in {ns.log}")
    return result


def _find_checkpoint(path: str) -> str:
    if os.path.isdir(path):
        for n in sorted(os.listdir(path)):
            if n.endswith((".chk", ".jcp")):
                return os.path.join(path, n)
        raise errors.CheckpointFileNotFound(operation=f"no checkpoint file in {path}")
    return path


def _ese_dump_checkpoint(path: str, out: Output) -> Dict[str, Any]:
    """A checkpoint written by Windows' ESE (esepy.ese.read_checkpoint: both copies checked)."""
    from . import ese
    c = ese.read_checkpoint(path)
    sign = c.get("sign_log") or {}
    valid = c["copies_valid"]
    _fields(out, f"Checkpoint file (Windows ESE): {path}", [
        ("Checkpoint:", str(tuple(c["lgpos_checkpoint"]))),
        ("DbConsistency:", str(tuple(c["lgpos_db_consistency"]))),
        ("FullBackup checkpoint:", str(tuple(c["lgpos_last_full_backup_checkpoint"]))),
        ("Log signature:", f"random {sign.get('random')}, created {_fmt_time(sign.get('created'))}"),
        ("Valid copies:", f"A={valid[0]} B={valid[1]} (read {c['copy_used']})")]
        + [(f"Attached {a.get('dbid')}:", f"{a.get('name', a.get('path', ''))}") for a in c.get("attached", [])])
    return {"path": path, "format": "windows-ese", "checkpoint": c}


@command("dump checkpoint", "Dump a checkpoint file (esentutl /mk)",
         lambda p: p.add_argument("chk", help="checkpoint file (edb.chk) or the system folder holding it"))
def _dump_checkpoint(ns: argparse.Namespace, out: Output) -> Any:
    path = _find_checkpoint(ns.chk)
    if _windows(path):
        return _ese_dump_checkpoint(path, out)
    c = inspection.read_checkpoint(path)
    _fields(out, f"Checkpoint file: {c.path}", [
        ("Checkpoint:", c.checkpoint), ("FullBackup:", f"{c.full_backup} {_fmt_time(c.full_backup_time)}"),
        ("IncBackup:", f"{c.incremental_backup} {_fmt_time(c.incremental_backup_time)}"),
        ("Signature:", c.signature),
        ("Valid copies:", f"A={c.copies_valid[0]} B={c.copies_valid[1]} (read {c.copy})")]
        + [(f"Attached {a.dbid}:", f"{a.path}; last attach {a.lgpos_attach}") for a in c.attached])
    return c.to_dict()


@command("dump backup", "Describe a backup set: its database copies, log generations, completeness",
         lambda p: p.add_argument("folder", help="backup folder (JetBackupInstance's; new/ and old/ are found)"))
def _dump_backup(ns: argparse.Namespace, out: Output) -> Any:
    b = inspection.read_backup_set(ns.folder)
    gens = f"{b.generations[0]}..{b.generations[-1]}" if b.generations else "none"
    from ._display import text_table
    _fields(out, f"Backup set: {b.folder}", [("Log generations:", f"{gens} (base {b.base})"),
                                            ("Complete:", "yes" if b.complete else "no")])
    out.text(*text_table(["copy", "pages", "page size", "generations needed", "backup mark", ".pat"],
                         [(d.name, d.pages, d.page_size, f"{d.gen_low}..{d.gen_high}", d.mark,
                           "yes" if d.has_marker else "no") for d in b.databases]))
    for p in b.problems:
        out.text(f"  problem: {p}")
    result = b.to_dict()
    if not b.complete:
        raise _Failed(result, errors.PatchFileMissing(operation="; ".join(b.problems)))
    return result


# ---------------------------------------------------------------------------
# checksum / integrity

def _ese_log_file_problems(name: str, info: Dict[str, Any], segments: List[Dict[str, Any]]) -> List[str]:
    """What is wrong with one Windows ESE log file, from the esepy.eselog reader's summary."""
    problems = [f"{name}: sector {s['isec']} fails its checksum (JET_errLogFileCorrupt)"
                for s in segments if s["status"] == "damaged"]
    if info.get("error"):
        problems.append(f"{name}: {info['error']}")
    elif info.get("integrity_error"):
        problems.append(f"{name}: JET error {info['integrity_error']}")
    if info.get("end_kind") == "damaged" and not problems:
        problems.append(f"{name}: the data ends in a damaged sector at {eselog_lgpos(info['end'])}")
    return problems


def eselog_lgpos(p: Any) -> str:
    from . import eselog
    return eselog._lgpos_text(tuple(p))


def _ese_log_checksum(path: str) -> Dict[str, Any]:
    """Segment checksums of one Windows ESE log file (esepy.eselog; single-bit errors ESE would
    correct count as corrected, not damaged)."""
    from . import eselog
    with eselog.open_log(path) as lf:
        info = lf.info
        segments = lf.segments()
    problems = _ese_log_file_problems(os.path.basename(path), info, segments)
    return {"path": path, "kind": "log", "format": "windows-ese", "generation": info["generation"],
            "good_segments": info["good_segments"], "corrected_segments": info["corrected_segments"],
            "end": list(info["end"]), "end_kind": info["end_kind"], "problems": problems, "ok": not problems}


def _ese_log_checksum_text(out: Output, path: str, r: Dict[str, Any], what: str) -> None:
    out.text(f"{path}: {what}, {r['good_segments']} good sectors"
             + (f", {r['corrected_segments']} corrected" if r["corrected_segments"] else "")
             + f", end {eselog_lgpos(r['end'])} ({r['end_kind']}): " + ("OK" if r["ok"] else "DAMAGED"))
    for text in r["problems"]:
        print(f"ERROR: {text}", file=out.stderr)


def _ese_log_folder_checksum(path: str) -> Dict[str, Any]:
    """Every generation of a Windows ESE log folder: segment checksums, the links between
    generations (previous-generation checksum and time), the log signature, missing files."""
    from . import eselog
    chain = eselog.open_log_chain(path, inspect=True)
    info = chain.info
    gens = chain.generations()
    problems: List[str] = []
    for g in gens:
        segments: List[Dict[str, Any]] = []
        with eselog.open_log(os.path.join(path, g["file"])) as lf:
            segments = lf.segments()
        problems += _ese_log_file_problems(g["file"], g["info"], segments)
        if g.get("sign_matches") is False:
            problems.append(f"{g['file']}: log signature differs from the folder's (JET_errBadLogSignature)")
        if g.get("checksum_linked") is False or g.get("prev_gen_linked") is False:
            problems.append(f"{g['file']}: does not follow the previous generation "
                            "(JET_errLogSequenceChecksumMismatch)")
    missing = [info["missing_generation"]] if info.get("missing_generation") else []
    if info.get("error") and not any(info["error"] in p for p in problems):
        problems.append(info["error"])
    return {"path": path, "kind": "log folder", "format": "windows-ese", "base": info.get("base"),
            "generations": [g["generation"] for g in gens], "missing": missing,
            "transitions": info.get("transitions", 0), "transitions_ok": info.get("transitions_ok", 0),
            "files": [{"file": g["file"], "generation": g["generation"], "end_kind": g["info"]["end_kind"]}
                      for g in gens],
            "problems": problems, "ok": not problems}


def _ese_checkpoint_checksum(path: str) -> Dict[str, Any]:
    """Both copies of a Windows ESE checkpoint file (esepy.ese.read_checkpoint)."""
    from . import ese
    try:
        c = ese.read_checkpoint(path)
    except errors.JetError as e:
        return {"path": path, "kind": "checkpoint", "format": "windows-ese", "copies_valid": [False, False],
                "error": str(e), "ok": False}
    valid = list(c["copies_valid"])
    return {"path": path, "kind": "checkpoint", "format": "windows-ese", "copies_valid": valid,
            "checkpoint": list(c["lgpos_checkpoint"]), "ok": all(valid)}


def _checksum_one(path: str, out: Output) -> Dict[str, Any]:
    from ._formats import ESEPY, WINDOWS, identify
    found = identify(path)           # the format, found once (FileNotFound names the path)
    kind = found.kind if found.format == ESEPY else None
    if found.format == WINDOWS and found.kind == "database":
        r = _ese_checksum(path)
        out.text(f"{path}: Windows ESE database, {r['pages']} pages, {len(r['bad'])} bad, {r['blank']} blank"
                 + (f", {r['missing_pages']} missing" if r["missing_pages"] else ""))
        for pgno in r["bad"]:
            print(f"ERROR: page {pgno} checksum failed (JET_errReadVerifyFailure)", file=out.stderr)
        if r["missing"]:
            print(f"ERROR: {path} is truncated: pages {_ranges_text(r['missing'])} of the "
                  f"{r['pages_owned']} the database owns are missing (JET_errDatabaseCorrupted)", file=out.stderr)
        return r
    if found.format == WINDOWS and found.kind == "log":
        r = _ese_log_checksum(path)
        _ese_log_checksum_text(out, path, r, f"Windows ESE log generation {r['generation']}")
        return r
    if found.format == WINDOWS and found.kind == "checkpoint":
        r = _ese_checkpoint_checksum(path)
        a, b = r["copies_valid"]
        out.text(f"{path}: Windows ESE checkpoint, copies valid A={a} B={b}: " + ("OK" if r["ok"] else "DAMAGED"))
        if not r["ok"]:
            print(f"ERROR: {path}: {r.get('error') or 'a checkpoint copy fails its checksum'}", file=out.stderr)
        return r
    if os.path.isdir(path) and _format_of(path) == WINDOWS:
        r = _ese_log_folder_checksum(path)
        span = f"{r['generations'][0]}..{r['generations'][-1]}" if r["generations"] else "none"
        out.text(f"{path}: Windows ESE log folder, generations {span}, "
                 f"{r['transitions_ok']}/{r['transitions']} links between generations verified: "
                 + ("OK" if r["ok"] else "DAMAGED"))
        for text in r["problems"]:
            print(f"ERROR: {text}", file=out.stderr)
        return r
    if os.path.isdir(path):
        folder = inspection.LogFolder(path)
        with out.progress(f"checksum {path}", None, "file") as bar:
            lrep = folder.check(progress=bar.update)
        span = f"{lrep.generations[0]}..{lrep.generations[-1]}" if lrep.generations else "none"
        out.text(f"{path}: log folder, generations {span}, "
                 f"{lrep.records} records: " + ("OK" if lrep.ok else "DAMAGED"))
        for text in lrep.problems:
            print(f"ERROR: {text}", file=out.stderr)
        for g in lrep.missing:
            print(f"ERROR: generation {g} is missing", file=out.stderr)
        return {"path": path, "kind": "log folder", **lrep.to_dict()}
    if kind == "database":
        df = inspection.DatabaseFile(path)
        with out.progress(f"checksum {os.path.basename(path)}", df.page_count, "page") as bar:
            rep = df.checksum(progress=bar.update)
        out.text(f"{path}: database, {rep.pages} pages seen, {rep.bad_checksum} bad checksums, "
                 f"{rep.wrong_pgno} wrong page numbers, {rep.uninitialized} uninitialized pages, "
                 f"header copies valid A={rep.header_copies_valid[0]} B={rep.header_copies_valid[1]}"
                 + (f", {len(rep.missing)} missing pages" if rep.missing else ""))
        for p in rep.problems:
            print(f"ERROR: page {p.pgno} {p.problem} failed ({p.error})", file=out.stderr)
        if rep.missing:
            print(f"ERROR: {df.missing_text()} (JET_errDatabaseCorrupted)", file=out.stderr)
        d = rep.to_dict()
        d["missing"] = _page_ranges(rep.missing)
        d["missing_pages"] = len(rep.missing)
        d["ok"] = d["ok"] and all(rep.header_copies_valid)
        return d
    if kind == "log":
        lf = inspection.LogFile(path)
        n = sum(1 for _ in lf.records())
        stem = os.path.basename(path).rsplit(".", 1)[0]
        is_current = len(stem) == 3    # edb.log: the generation being written may end torn
        ok = (is_current and not lf.damaged) or lf.ended_with_genend
        out.text(f"{path}: log generation {lf.generation}, {n} records, end {lf.end}"
                 + ("" if lf.ended_with_genend else " (open)") + (": OK" if ok else ": DAMAGED"))
        if not ok:
            print(f"ERROR: {path}: chain breaks at {lf.end} before the generation's end", file=out.stderr)
        return {"path": path, "kind": "log", "generation": lf.generation, "records": n, "end": str(lf.end),
                "ended_with_genend": lf.ended_with_genend, "torn_tail": lf.torn, "damaged": lf.damaged, "ok": ok}
    if kind == "checkpoint":
        try:
            c = inspection.read_checkpoint(path)
            ok = all(c.copies_valid)
            valid = c.copies_valid
        except errors.CheckpointCorrupt:
            ok, valid = False, (False, False)
        out.text(f"{path}: checkpoint, copies valid A={valid[0]} B={valid[1]}: " + ("OK" if ok else "DAMAGED"))
        return {"path": path, "kind": "checkpoint", "copies_valid": list(valid), "ok": ok}
    raise errors.FileInvalidType(operation=f"{path} is not an esepy database, log or checkpoint file")


def _checksum_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="database, log or checkpoint files, or log folders")


@command("checksum", "Verify page, log and checkpoint checksums (esentutl /k)", _checksum_args)
def _checksum(ns: argparse.Namespace, out: Output) -> Any:
    results = [_checksum_one(p, out) for p in ns.files]
    bad = [r for r in results if not r["ok"]]
    summary = {"files": results, "ok": not bad, "damaged": [r["path"] for r in bad]}
    out.text(f"{len(results)} file(s) checked, {len(bad)} damaged.")
    if bad:
        kind = bad[0].get("kind")
        cls = {"database": errors.ReadVerifyFailure, "checkpoint": errors.CheckpointCorrupt}.get(
            str(kind), errors.LogFileCorrupt)
        if bad[0].get("missing"):
            # a log folder without a generation; a truncated database: pages are missing, not failing
            cls = errors.MissingLogFile if kind == "log folder" else errors.DatabaseCorrupted
        _fail(summary, cls, f"{len(bad)} damaged file(s): {', '.join(r['path'] for r in bad)}")
    return summary


def _integrity_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", help="database file")
    p.add_argument("--no-records", action="store_true",
                   help="skip the record / key verification through the engine (pages only)")
    p.add_argument("--force", action="store_true",
                   help="walk the pages of a dirty database anyway (pages still in its logs look damaged)")


@command("integrity", "Verify B+trees, space, records and keys (esentutl /g); never writes", _integrity_args)
def _integrity(ns: argparse.Namespace, out: Output) -> Any:
    if _windows(ns.db):
        return _ese_integrity(ns, out)
    df = inspection.DatabaseFile(ns.db)
    if not df.header.is_clean and not ns.force:
        raise errors.DatabaseDirtyShutdown(
            operation=f"{ns.db} is {df.header.state}: run 'esepy recover' first (or --force)")
    with out.progress("integrity (pages)", df.page_count, "page") as bar:
        rep = df.check_integrity(progress=bar.update)
    result = rep.to_dict()
    problems = [f"page {p.pgno} (objid {p.objid}): {p.problem} ({p.error})" for p in rep.problems]
    if rep.checksum is not None:
        problems += [f"page {p.pgno}: {p.problem} failed ({p.error})" for p in rep.checksum.problems]
    logical: Dict[str, Any] = {"checked": False}
    if not ns.no_records:
        if not df.header.is_clean:
            logical = {"checked": False, "reason": f"the database is {df.header.state}: run recovery first"}
        elif not problems:
            trees = {t.name: t for t in rep.trees}
            with out.progress("integrity (records)", sum(t.nodes for t in rep.trees if t.name != "(catalog)"),
                              "record") as bar:
                logical = _verify_records(ns.db, trees, bar, problems)
    result["records"] = logical
    out.text(f"Database: {df.path} ({df.header.state}, {df.page_count} pages)")
    from ._display import text_table
    out.text(*text_table(["tree", "objid", "root", "depth", "pages", "leaf", "internal", "nodes"],
                         [(t.name, t.objid, t.root, t.depth, t.pages, t.leaf_pages, t.internal_pages, t.nodes)
                          for t in rep.trees]))
    out.text(f"  free pages {rep.free_pages}, never used {rep.never_used_pages}")
    if logical.get("checked"):
        out.text(f"  records verified through the engine: {logical['records']} in {logical['tables']} tables")
    elif "reason" in logical:
        out.text(f"  records not verified: {logical['reason']}")
    for p in problems:
        print(f"ERROR: {p}", file=out.stderr)
    result["problems_text"] = problems
    result["ok"] = not problems
    if problems:
        _fail(result, errors.DatabaseCorrupted, f"{len(problems)} problem(s) in {ns.db}")
    out.text("Integrity check successful.")
    return result


def _ese_integrity(ns: argparse.Namespace, out: Output) -> Any:
    """integrity of a database written by Windows' ESE: EseDatabase.check_integrity (B+trees and space in C,
    then every record read unless --no-records); findings on stderr, exit 1 when there are any."""
    with _ese_open(ns.db, None) as db:
        h = db.header
        if h["dirty"] and not ns.force:
            raise errors.DatabaseDirtyShutdown(
                operation=f"{ns.db} is {h['state']}: pages still in its logs may look damaged; recover a copy with "
                "'esepy recover DB --logs DIR --output COPY' first (or --force to check the file as it is)")
        if db.no_catalog:
            raise CliError(f"{ns.db}: nothing to check: {db.tables.note}")
        with out.progress("integrity (pages)", h["page_count"], "page"):
            rep = db.check_integrity(records=not ns.no_records)
    from . import _esepy
    problems = [f"page {f['pgno']} (objid {f['objid']}): {f['what']} "
                f"({_esepy.error_string(f['error']).split(',')[0]})" for f in rep["findings"]]
    result: Dict[str, Any] = dict(rep, database=ns.db, format="windows-ese", state=h["state"],
                                  problems_text=problems)
    out.text(f"Database (Windows ESE): {ns.db} ({h['state']}, {h['page_count']} pages)",
             f"  {rep['tables']} tables, {rep['trees']} trees walked (space trees included), "
             f"{rep['pages_checked']} pages checked, {rep['pages_owned']} pages owned by the space trees")
    if rep["records"] is not None:
        out.text(f"  records read and decoded: {rep['records']}")
    for p in problems:
        print(f"ERROR: {p}", file=out.stderr)
    if problems:
        _fail(result, errors.DatabaseCorrupted, f"{len(problems)} problem(s) in {ns.db}")
    out.text("Integrity check successful.")
    return result


def _verify_records(path: str, trees: Dict[str, inspection.TreeSpace], bar: ProgressBar, problems: List[str]
                    ) -> Dict[str, Any]:
    """Read every record through the engine: decodes, keys strictly increase, counts match the trees.
    ``bar`` counts the records read (the longest phase of a check: it keeps reporting)."""
    total = 0
    with inspection.open_database(path) as ro:
        names = ro.tables
        for name in names:
            with ro.table(name) as t:
                key = t.primary_key
                prev = None
                n = 0
                for rec in t:
                    n += 1
                    if n % 256 == 0:
                        bar.update(total + n)
                    k = tuple(rec[c] for c in key)
                    if key and prev is not None and not prev < k:
                        problems.append(f"table {name}: primary key {k!r} does not follow {prev!r}")
                        break
                    prev = k
                total += n
                bar.update(total)
                _verify_indexes(name, t, n, problems)
                ts = trees.get(name)
                if ts is not None and ts.nodes != n:
                    problems.append(f"table {name}: {n} records through the engine, {ts.nodes} live nodes in "
                                    "its tree")
    return {"checked": True, "tables": len(names), "records": total}


_SPARSE = 0x8 | 0x20 | 0x40  # JET_bitIndexIgnoreNull / IgnoreAnyNull / IgnoreFirstNull


def _verify_indexes(name: str, t: Any, n: int, problems: List[str]) -> None:
    """Every secondary index entry leads to a record of the table; a non-sparse index has one
    for every record."""
    key = t.primary_key
    if not key or not hasattr(t, "indexes"):
        return
    records = {tuple(r[c] for c in key) for r in t}
    for iname, info in t.indexes.items():
        seen = set()
        for rec in t.range(index=iname):
            pk = tuple(rec[c] for c in key)
            if pk not in records:
                problems.append(f"table {name}: index {iname} has an entry for a missing record {pk!r}")
                return
            seen.add(pk)
        if not info["grbit"] & _SPARSE and len(seen) != n:
            problems.append(f"table {name}: index {iname} covers {len(seen)} of {n} records")


# ---------------------------------------------------------------------------
# recover

def _recover_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", nargs="?", help="a database written by Windows' ESE (SRUDB.dat, ...): recover it onto "
                   "--output (esepy's own databases are recovered through --logs/--system, without DB)")
    p.add_argument("--logs", required=True, help="log folder (JET_paramLogFilePath)")
    p.add_argument("--system", help="folder of the checkpoint (JET_paramSystemPath; esepy logs only)")
    p.add_argument("--db-dir", help="where the databases are now, if they moved "
                   "(JET_paramAlternateDatabaseRecoveryPath; esepy logs only)")
    p.add_argument("--base", help="base name of the log stream (default: found in --logs; esepy logs only)")
    p.add_argument("--output", "-o", help="Windows database: the recovered copy to write (must not exist)")
    p.add_argument("--in-place", action="store_true",
                   help="Windows database: rewrite DB itself -- only for a file that is already a copy")


def _refuse_options(ns: argparse.Namespace, options: Sequence[Tuple[str, str]], why: str) -> None:
    """Raise a usage error naming the options of ``options`` (attribute, flag) that ``ns`` sets."""
    given = [flag for attr, flag in options if getattr(ns, attr, None) not in (None, False)]
    if given:
        raise CliError(f"{', '.join(given)} does not apply: {why}")


def _recover_windows(ns: argparse.Namespace, out: Output) -> Any:
    from . import ese
    _refuse_options(ns, (("db_dir", "--db-dir"), ("base", "--base")),
                    f"{ns.db} is a Windows ESE database (the log stream and checkpoint are found in --logs)")
    if ns.system is not None and os.path.abspath(ns.system) != os.path.abspath(ns.logs):
        raise CliError("--system does not apply: the checkpoint of Windows ESE logs is read from --logs")
    if ns.in_place and ns.output:
        raise CliError("--in-place and --output exclude each other")
    if not ns.in_place and not ns.output:
        raise CliError(f"{ns.db} is a Windows ESE database: name the recovered copy with --output FILE "
                       "(the input is never written; --in-place only for a file that is already a copy)")
    if not os.path.isdir(ns.logs):
        raise errors.InvalidPath(operation=f"--logs {ns.logs}: no such folder")
    target = ns.db if ns.in_place else ns.output
    out.text(f"Database (Windows ESE): {ns.db}", f"Logs: {ns.logs}",
             f"Output: {target}" + (" (in place)" if ns.in_place else ""), "Performing soft recovery...")
    t0 = time.monotonic()
    with out.progress("recovery", None, "gen") as bar:
        try:
            rep = ese.recover_ese(ns.db, ns.logs, None if ns.in_place else ns.output, in_place=ns.in_place,
                                  progress=lambda p: bar.update(p.done, p.total))
        except errors.JetError as e:
            rec = getattr(e, "recovery", None)
            if rec is not None:
                out.text(f"Recovery refused: {rec.get('reason')}")
                _fail({"database": ns.db, "logs": ns.logs, "output": target, "recovery": rec}, type(e),
                      rec.get("reason") or str(e))
            raise
    secs = round(time.monotonic() - t0, 3)
    g = rep["generations"]
    if rep["was_clean"]:
        out.text("The database was already clean: copied unchanged.")
    else:
        out.text(f"Generations read: {g[0]}..{g[1]} (redo from {tuple(rep['lgpos_redo_start'])}, "
                 f"{rep['records']} records, {rep['segments_corrected']} segment(s) repaired by ECC)",
                 f"Attached at {tuple(rep['lgpos_attached'])}; page changes already on their pages: "
                 f"{rep['page_references_applied']}, outside the attached window: {rep['page_references_outside']}",
                 f"Clean header written: consistent at {tuple(rep['lgpos_consistent'])}, dbtime "
                 f"{rep['dbtime_after']}, objidLast {rep['objid_after']}")
    out.text(f"Recovery completed successfully in {secs} seconds.")
    return {"database": ns.db, "logs": ns.logs, "output": target, "format": "windows-ese", "in_place": ns.in_place,
            "recovery": rep, "seconds": secs}


class _EventProgress(logging.Handler):
    """Feeds recovery events (esepy.EVENT_RECOVERY_*) to a progress bar."""

    def __init__(self, bar: ProgressBar, first: int, last: int) -> None:
        super().__init__(logging.INFO)
        self.bar, self.first, self.last = bar, first, last
        self.replayed: List[int] = []
        self.events: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        import esepy
        ev = getattr(record, "event_id", None)
        gen = int(getattr(record, "event_fields", {}).get("generation", 0) or 0)
        self.events.append(record.getMessage())
        if ev == esepy.EVENT_RECOVERY_BEGIN and gen:
            self.first = gen
        elif ev == esepy.EVENT_RECOVERY_GENERATION:
            self.replayed.append(gen)
        elif ev == esepy.EVENT_RECOVERY_DONE and gen:
            self.last = max(self.last, gen)
        self.bar.update(len(self.replayed) + (1 if ev == esepy.EVENT_RECOVERY_DONE else 0),
                        max(1, self.last - self.first + 1))


@command("recover", "Soft recovery: replay the logs into the databases (esentutl /r)", _recover_args)
def _recover(ns: argparse.Namespace, out: Output) -> Any:
    import esepy

    if ns.db is not None:
        if _windows(ns.db):
            return _recover_windows(ns, out)
        if not os.path.isfile(ns.db):
            raise errors.FileNotFound(operation=f"{ns.db}: no such database file")
        raise CliError(f"{ns.db} is not a Windows ESE database: esepy's own databases are recovered through "
                       "their logs: esepy recover --logs DIR --system DIR")
    _refuse_options(ns, (("output", "--output"), ("in_place", "--in-place")),
                    "they name the Windows ESE database to recover (esepy recover DB --logs DIR --output FILE)")
    if ns.system is None:
        if _windows(ns.logs):
            raise CliError(f"{ns.logs} holds Windows ESE logs: name the database to recover: "
                           f"esepy recover DB --logs {ns.logs} --output FILE")
        raise CliError("--system is required (the folder of the checkpoint)\n"
                       "usage: esepy recover --logs DIR --system DIR [--db-dir DIR] [--base NAME]\n"
                       "       esepy recover DB --logs DIR (--output FILE | --in-place)   (Windows ESE)")
    for label, d in (("--logs", ns.logs), ("--system", ns.system)) + ((("--db-dir", ns.db_dir),) if ns.db_dir else ()):
        if not os.path.isdir(d):
            raise errors.InvalidPath(operation=f"{label} {d}: no such folder")
    folder = inspection.LogFolder(ns.logs, ns.base)
    gens = folder.generation_numbers()
    chk_path = None
    for ext in (".chk", ".jcp"):
        if os.path.exists(os.path.join(ns.system, folder.base + ext)):
            chk_path = os.path.join(ns.system, folder.base + ext)
    chk = inspection.read_checkpoint(chk_path) if chk_path else None
    first = chk.checkpoint.generation if chk else (gens[0] if gens else 0)
    dbs = list(dict.fromkeys([a.path for a in (chk.attached if chk else [])] + folder.databases()))
    before = {p: _state_of(p, ns.db_dir) for p in dbs}
    out.text(f"Logs: {ns.logs}", f"System: {ns.system}", f"Base name: {folder.base}",
             f"Generations: {gens[0] if gens else '-'}..{gens[-1] if gens else '-'}, redo from "
             f"{chk.checkpoint if chk else 'the first generation'}",
             "Databases replayed into:",
             *[f"  {_mapped(p, ns.db_dir)}" for p in dbs],
             "Performing soft recovery...")
    params: Dict[str, Any] = dict(system_path=os.path.join(os.path.abspath(ns.system), ""),
                                  log_path=os.path.join(os.path.abspath(ns.logs), ""),
                                  temp_path=os.path.join(os.path.abspath(ns.system), "tmp.edb"),
                                  base_name=folder.base)
    if ns.db_dir:
        params["alternate_database_recovery_path"] = os.path.abspath(ns.db_dir)
    logger = logging.getLogger("esepy")
    t0 = time.monotonic()
    with out.progress("recovery", max(1, (gens[-1] if gens else first) - first + 1), "gen") as bar:
        handler = _EventProgress(bar, first, gens[-1] if gens else first)
        old_level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            inst = esepy.Instance("esepy-recover", **params)
            try:
                inst.init()
            finally:
                inst.term()
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
    after = {p: _state_of(p, ns.db_dir) for p in dbs}
    result = {"logs": ns.logs, "system": ns.system, "base": folder.base, "generations_replayed": handler.replayed,
              "redo_from": str(chk.checkpoint) if chk else None, "events": handler.events,
              "databases": [{"path": _mapped(p, ns.db_dir), "logged_path": p, "before": before[p],
                             "after": after[p]} for p in dbs],
              "seconds": round(time.monotonic() - t0, 3)}
    for p in dbs:
        out.text(f"  {_mapped(p, ns.db_dir)}: {before[p]} -> {after[p]}")
    out.text(f"Recovery completed successfully in {result['seconds']} seconds.")
    return result


def _mapped(path: str, db_dir: Optional[str]) -> str:
    return os.path.join(db_dir, os.path.basename(path)) if db_dir else path


def _state_of(path: str, db_dir: Optional[str]) -> str:
    p = _mapped(path, db_dir)
    try:
        return inspection.read_database_header(p).state
    except errors.JetError as e:
        return e.name


# ---------------------------------------------------------------------------
# verify-logs (Windows ESE): are the logs and the database consistent?

def _verify_logs_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", help="a database written by Windows' ESE (never written)")
    p.add_argument("--logs", required=True, help="its log folder (every generation there is read, oldest first)")


@command("verify-logs", "Audit a Windows ESE database against its logs: pages rebuilt from the logs alone "
         "compared with the file (read-only)", _verify_logs_args)
def _verify_logs(ns: argparse.Namespace, out: Output) -> Any:
    from ._verify import verify_logs
    if not os.path.exists(ns.db):
        raise errors.FileNotFound(operation=f"{ns.db}: no such file")
    if not os.path.isdir(ns.logs):
        raise CliError(f"--logs {ns.logs}: no such folder")
    if not _windows(ns.db):
        raise CliError(f"{ns.db} is not a database written by Windows' ESE: verify-logs audits those "
                       "(esepy's own databases: esepy integrity)")
    rep = verify_logs(ns.db, ns.logs)
    out.text(*str(rep).split("\n"))
    doc = rep.to_dict()
    if not rep.ok:
        _fail(doc, errors.DatabaseCorrupted,
              "%d page(s) differ from what the logs rebuild: %s" % (
                  len(rep.differing), ", ".join(str(p["pgno"]) for p in rep.differing[:20])))
    return doc


# ---------------------------------------------------------------------------
# tables / export

def _db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", help="database file (never written)")
    p.add_argument("--logs", help="log folder: a dirty database is read from a copy recovered with copies of "
                   "these logs (Windows ESE databases too: recovery into a temporary copy)")
    p.add_argument("--system", help="folder of the checkpoint (with --logs; esepy databases only)")


def _windows_logs_option(ns: argparse.Namespace) -> Optional[str]:
    """--logs for a Windows database (recover first); refuses --system, which does not apply."""
    if getattr(ns, "system", None) is not None and (ns.logs is None or
                                                    os.path.abspath(ns.system) != os.path.abspath(ns.logs)):
        raise CliError(f"--system does not apply: {ns.db} is a Windows ESE database, whose checkpoint is read "
                       "from --logs")
    logs: Optional[str] = getattr(ns, "logs", None)
    return logs


@command("tables", "List tables, columns, indexes, record counts and pages (read-only)", _db_args)
def _tables(ns: argparse.Namespace, out: Output) -> Any:
    from ._display import text_table
    result: Dict[str, Any]
    if _windows(ns.db):
        state, source, tables = _ese_tables(ns.db, _windows_logs_option(ns))
        title = f"Database (Windows ESE): {ns.db} ({state}; read from {source})"
        result = {"database": ns.db, "format": "windows-ese", "state": state, "source": source, "tables": tables}
    else:
        df = inspection.DatabaseFile(ns.db)
        with inspection.open_database(ns.db, logs=ns.logs, system=ns.system) as ro:
            tables = ro.describe()
            source = ro.source
            space = {t.name: t for t in inspection.DatabaseFile(ro.opened_path).space_usage()}
        for t in tables:
            ts = space.get(t["name"])
            t["pages"] = ts.pages if ts else None
        title = f"Database: {df.path} ({df.header.state}; read from {source})"
        result = {"database": df.path, "state": df.header.state, "source": source, "tables": tables}
    if not tables and result.get("format") == "windows-ese":
        with _ese_open(ns.db, None) as edb:
            if edb.no_catalog:
                result["note"] = edb.tables.note
                out.text(title, f"No tables: {edb.tables.note}.")
                return result
    rows = [(t["name"] + (f" (dropped, objid {t['objid']})" if t.get("dropped") else ""), t["records"], "-" if t.get("pages") is None else t["pages"],
             ", ".join(t.get("primary_key") or []) or ("(sequential)" if "primary_key" in t else "-"),
             ", ".join(f"{c['name']} {c['type']}" for c in t["columns"])) for t in tables]
    out.text(title, *text_table(["table", "records", "pages", "primary key", "columns"], rows))
    return result


def _export_args(p: argparse.ArgumentParser) -> None:
    _db_args(p)
    p.add_argument("table", help="table name")
    p.add_argument("--format", choices=["csv", "json", "jsonl", "parquet"], default="csv",
                   help="output format (jsonl: one JSON object a line)")
    p.add_argument("-o", "--output", help="output file (default: stdout; required for parquet)")
    p.add_argument("--filetime-columns", metavar="known|COL[,COL...]",
                   help="Windows ESE: 64-bit columns holding FILETIMEs, written as UTC times: 'known' (the "
                   "artefact schemas of esepy.artifacts) or column names of TABLE")
    p.add_argument("--objid", type=int, help="Windows ESE: the table with this objid (e.g. a dropped table "
                   "that shares its name with the live one)")
    p.add_argument("--batch-rows", type=int, help="parquet: rows per batch / row group (default: about "
                   "a million values)")
    p.add_argument("--include-deleted", action="store_true",
                   help="a Windows ESE database: also the records flagged deleted but still on their page, "
                   "marked in an added _deleted column")


def _plain(v: Any) -> Any:
    from ._export import plain
    return plain(v) if not isinstance(v, list) else v


def _export_windows_table(db: Any, ns: argparse.Namespace) -> Any:
    if ns.objid is not None:
        for t in db.tables:
            if t.objid == ns.objid and t.name == ns.table:
                return t
        raise errors.ObjectNotFound(operation=f"table {ns.table!r} with objid {ns.objid}")
    if ns.table not in db.tables.names():
        raise _ese_no_table(db, ns.table)
    return db.tables[ns.table]


@command("export", "Export a table as CSV, JSON, JSON lines or Parquet, streamed (read-only)", _export_args)
def _export(ns: argparse.Namespace, out: Output) -> Any:
    import contextlib
    from . import _export as ex
    if ns.format == "parquet":
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise errors.FeatureNotAvailable(
                operation="parquet export needs pyarrow: pip install 'esepy[parquet]'") from None
        if not ns.output:
            raise CliError("--format parquet needs -o FILE")
    if ns.batch_rows is not None and (ns.format != "parquet" or ns.batch_rows < 1):
        raise CliError("--batch-rows applies to --format parquet and must be at least 1")
    windows = _windows(ns.db)
    if not windows and (ns.filetime_columns is not None or ns.objid is not None):
        raise CliError(f"--filetime-columns and --objid apply to Windows ESE databases; {ns.db} is esepy's own")
    if not windows and ns.include_deleted:
        raise CliError("--include-deleted applies to databases written by Windows' ESE only "
                       "(esepy's own databases keep no flag-deleted records readable)")
    coltyps: Optional[List[int]] = None
    multivalued: List[bool] = []
    with contextlib.ExitStack() as stack:
        if windows:
            from . import ese
            logs = _windows_logs_option(ns)
            if logs is not None and not os.path.isdir(logs):
                raise errors.InvalidPath(operation=f"--logs {logs}: no such folder")
            ft: Any = None
            if ns.filetime_columns == "known":
                ft = "known"
            elif ns.filetime_columns:
                ft = {ns.table: [c.strip() for c in ns.filetime_columns.split(",") if c.strip()]}
            try:
                db = stack.enter_context(ese.open_ese(ns.db, logs=logs, filetime_columns=ft))
                db.tables       # a column named by --filetime-columns is checked against the catalog here
            except ValueError as e:
                raise CliError(str(e)) from None
            t = _export_windows_table(db, ns)
            columns = t.column_names
            # FILETIME columns are written as times (JET_coltypDateTime, 8)
            coltyps = [8 if c.name in t.filetime_columns else c.coltyp for c in t.columns]
            multivalued = [c.multivalued for c in t.columns]
            rows: Any = t.rows()
            if ns.include_deleted:
                # flag-deleted records too, marked in an added _deleted column (Bit)
                columns = columns + ["_deleted"]
                coltyps.append(1)
                multivalued.append(False)
                rows = ([*r.values(), r.deleted] for r in t.records(include_deleted=True))
        else:
            ro = stack.enter_context(inspection.open_database(ns.db, logs=ns.logs, system=ns.system))
            if ns.table not in ro.tables:
                raise errors.ObjectNotFound(operation=f"table {ns.table!r} (tables: {', '.join(ro.tables)})")
            et = stack.enter_context(ro.table(ns.table))
            columns = list(et.columns)
            multivalued = [False] * len(columns)
            rows = ([str(v) if isinstance(v, uuid.UUID) else v for v in (r.get(c) for c in columns)] for r in et)
        result: Dict[str, Any] = {"table": ns.table, "format": ns.format, "columns": columns, "output": ns.output}
        if out.json and not ns.output:
            # one JSON document on stdout carries the rows: that document is built in memory
            kept = [dict(zip(columns, (ex.plain(v) for v in r))) for r in rows]
            result.update(records=len(kept), rows=kept)
            return result
        if ns.format == "parquet":
            stats = ex.write_parquet(columns, coltyps, multivalued, rows, ns.output, ns.batch_rows)
            result.update(stats)
        else:
            result["records"] = ex.write_text(ns.format, columns, rows, ns.output,
                                              None if ns.output else out.stdout)
    if ns.output:
        out.text(f"{result['records']} records of {ns.table} written to {ns.output} ({ns.format})")
    return result


def _carve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", help="a database written by Windows' ESE")
    p.add_argument("table", help="table name")
    p.add_argument("--format", choices=["csv", "json"], default="csv", help="output format")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    p.add_argument("--include-deleted", action="store_true",
                   help="also the live table's records flagged deleted (still on their page)")


@command("carve", "Recover records of a Windows ESE table from pages its tree no longer reaches (read-only)",
         _carve_args)
def _carve(ns: argparse.Namespace, out: Output) -> Any:
    """Carved records (EseTable.carve), marked: _source "carved" with _page / _tag where they were found
    and _deleted their node flag; with --include-deleted also the flag-deleted records of the live tree
    (_source "deleted")."""
    from ._export import plain
    if not _windows(ns.db):
        raise CliError("carve reads databases written by Windows' ESE only")
    with _ese_open(ns.db, None) as db:
        if ns.table not in db.tables.names():
            raise _ese_no_table(db, ns.table)
        t = db.table(ns.table)
        columns = ["_source", "_page", "_tag", "_deleted"] + t.column_names
        rows: List[Dict[str, Any]] = []
        if ns.include_deleted:
            for r in t.records(include_deleted=True):
                if r.deleted:
                    rows.append(dict({"_source": "deleted", "_page": r.pgno, "_tag": r.itag, "_deleted": True},
                                     **{k: plain(v) for k, v in r.items()}))
        for r in t.carve():
            rows.append(dict({"_source": "carved", "_page": r.pgno, "_tag": r.itag, "_deleted": r.deleted},
                             **{k: plain(v) for k, v in r.items()}))
    buf = io.StringIO()
    if ns.format == "csv":
        w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    else:
        json.dump(rows, buf, indent=1)
        buf.write("\n")
    if ns.output:
        with open(ns.output, "w", encoding="utf-8", newline="") as f:
            f.write(buf.getvalue())
        out.text(f"{len(rows)} records of {ns.table} carved to {ns.output} ({ns.format}; best effort: "
                 "see docs/forensics-windows-ese.md)")
    elif not out.json:
        out.stdout.write(buf.getvalue())
    result: Dict[str, Any] = {"table": ns.table, "records": len(rows), "columns": columns, "output": ns.output,
                              "carved": sum(1 for r in rows if r["_source"] == "carved"),
                              "deleted": sum(1 for r in rows if r["_source"] == "deleted")}
    if out.json and not ns.output:
        result["rows"] = rows
    return result


# ---------------------------------------------------------------------------
# backup / restore (the engine's Instance.backup / restore_instance, when present)

def _s3_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("s3:// URLs (esepy.archive; otherwise the AWS variables and profiles apply)")
    g.add_argument("--endpoint-url", help="S3-compatible endpoint, e.g. http://127.0.0.1:8333")
    g.add_argument("--region", help="region of the bucket")
    g.add_argument("--profile", help="AWS profile (~/.aws/config, ~/.aws/credentials)")
    g.add_argument("--addressing-style", choices=["path", "virtual", "auto"],
                   help="bucket addressing (default: path when an endpoint is set)")


def _s3_options(ns: argparse.Namespace) -> archive.S3Options:
    return archive.S3Options(endpoint_url=ns.endpoint_url, region=ns.region, profile=ns.profile,
                             addressing_style=ns.addressing_style)


def _is_url(target: str) -> bool:
    if archive.is_url(target):
        archive.parse_url(target)  # an unknown scheme is an error, never a local folder
        return True
    return False


def _backup_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dest", help="backup folder, or an s3://bucket/prefix URL")
    p.add_argument("--logs", required=True, help="log folder of the instance")
    p.add_argument("--system", required=True, help="system folder (checkpoint) of the instance")
    p.add_argument("--db", action="append", default=[], help="database to attach first (repeatable)")
    p.add_argument("--base", help="base name of the log stream")
    p.add_argument("--incremental", action="store_true", help="incremental backup (logs only)")
    p.add_argument("--atomic", action="store_true", help="write to a temporary folder, then rename")
    _s3_args(p)


def _engine_method(name: str) -> Any:
    import esepy
    fn = getattr(esepy.Instance, name, None)
    if fn is None:
        raise errors.FeatureNotAvailable(operation=f"this esepy build has no Instance.{name}() yet")
    return fn


@command("backup", "Back up an instance's databases and logs (JetBackupInstance)", _backup_args)
def _backup(ns: argparse.Namespace, out: Output) -> Any:
    import esepy
    _engine_method("backup")
    params: Dict[str, Any] = dict(system_path=os.path.join(os.path.abspath(ns.system), ""),
                  log_path=os.path.join(os.path.abspath(ns.logs), ""),
                  temp_path=os.path.join(os.path.abspath(ns.system), "tmp.edb"))
    if ns.base:
        params["base_name"] = ns.base
    url = _is_url(ns.dest)
    extra: Dict[str, Any] = {"s3": _s3_options(ns)} if url else {}
    created = not url and not os.path.exists(ns.dest)
    if created:  # as a new user expects (and as the Python API with create_path_if_not_exist)
        os.makedirs(ns.dest)
    try:
        with out.progress("backup", None, "B", scale=1024) as bar, esepy.Instance("esepy-backup", **params) as inst:
            with inst.begin_session() as s:
                for d in ns.db:
                    s.attach_database(d).close()  # attached to the instance, not kept open
                getattr(inst, "backup")(ns.dest, incremental=ns.incremental, atomic=ns.atomic, progress=bar,
                                        **extra)
                for d in ns.db:
                    s.detach_database(d)
    except BaseException:
        if created and os.path.isdir(ns.dest) and not os.listdir(ns.dest):
            os.rmdir(ns.dest)  # leave no empty folder behind a failed backup
        raise
    out.text(f"Backup written to {ns.dest}.")
    return {"dest": ns.dest, "incremental": ns.incremental, "atomic": ns.atomic}


def _restore_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("backup", help="backup folder, or an s3://bucket/prefix URL (its newest set, or the "
                                  "sets --stop-at needs)")
    p.add_argument("--dest", help="folder to restore into (default: the original locations)")
    p.add_argument("--stop-at", "--at", dest="stop_at", help="stop replay at this time (ISO 8601, e.g. "
                                                               "'2026-12-01 10:00', local time unless it names a zone)")
    p.add_argument("--logs", help="log folder of the restored instance: the logs there that continue the "
                                  "backup are replayed, and restore writes its new generation there "
                                  "(default: --dest)")
    p.add_argument("--system", help="system folder (checkpoint) of the restored instance (default: --logs)")
    _s3_args(p)


@command("restore", "Restore a backup and replay its logs (JetRestoreInstance)", _restore_args)
def _restore(ns: argparse.Namespace, out: Output) -> Any:
    import esepy
    _engine_method("restore_instance")
    stop_at = None
    if ns.stop_at:
        try:
            stop_at = _dt.datetime.fromisoformat(ns.stop_at)
        except ValueError:
            raise CliError(f"--stop-at {ns.stop_at!r} is not an ISO 8601 time") from None
    extra: Dict[str, Any] = {"s3": _s3_options(ns)} if _is_url(ns.backup) else {}
    logs = ns.logs or ns.dest
    if not logs:
        # Never the current folder: restore writes a checkpoint and a log generation there.
        raise CliError("restore needs --logs (the restored instance's log folder, whose logs continue "
                       "the backup) or --dest (the folder to restore into, which then holds the logs too)")
    params: Dict[str, Any] = {"create_path_if_not_exist": True,
                              "log_path": os.path.join(os.path.abspath(logs), ""),
                              "system_path": os.path.join(os.path.abspath(ns.system or logs), ""),
                              "temp_path": os.path.join(os.path.abspath(ns.system or logs), "tmp.edb")}
    with out.progress("restore", None, "B", scale=1024) as bar:
        inst = esepy.Instance("esepy-restore", **params)
        try:
            getattr(inst, "restore_instance")(ns.backup, dest=ns.dest, progress=bar, stop_at=stop_at, **extra)
        finally:
            inst.term()
    out.text(f"Restore of {ns.backup} completed.")
    return {"backup": ns.backup, "dest": ns.dest, "stop_at": ns.stop_at}


def _standby_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", help="the archive: s3://bucket/prefix (full backup sets and archived generations)")
    p.add_argument("folder", help="the standby's folder (db/, logs/, sys/ and standby.json)")
    p.add_argument("--lag", type=float, default=0.0, help="replay lag in seconds (a lagged copy)")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between two looks at the archive")
    p.add_argument("--set", dest="set_id", help="the full set to seed from (default: the newest)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--once", action="store_true", help="catch up once and exit")
    g.add_argument("--promote", action="store_true", help="catch up, finish recovery and open the databases "
                                                          "for writes (only once the primary is gone)")
    _s3_args(p)


@command("standby", "Follow an archive as a warm standby; --promote opens it for writes", _standby_args)
def _standby(ns: argparse.Namespace, out: Output) -> Any:
    if not _is_url(ns.url):
        raise CliError(f"{ns.url!r} is not an s3://bucket/prefix URL")
    sb = archive.Standby(ns.url, ns.folder, options=_s3_options(ns), replay_lag=ns.lag, poll_interval=ns.interval,
                         set_id=ns.set_id, name="esepy-standby")
    if ns.promote:
        inst = sb.promote()
        try:
            paths = sb.database_paths()
        finally:
            inst.term()
        out.text(f"Promoted {ns.folder} at generation {sb.status().replayed_generation}: " + ", ".join(paths))
        return {"promoted": True, "generation": sb.status().replayed_generation, "databases": paths}
    if ns.once:
        gen = sb.catch_up()
        out.text(f"{ns.folder} replayed through generation {gen} of {ns.url}.")
        return {"generation": gen, "archived_generation": sb.status().archived_generation}
    last = -1
    try:
        while True:  # until interrupted: errors are reported and retried
            try:
                gen = sb.catch_up()
                if gen != last:
                    out.text(f"{ns.folder} replayed through generation {gen} of {ns.url}.")
                    last = gen
            except archive.ArchiveError as e:
                out.text(f"warning: {e} (retrying)")
            time.sleep(ns.interval)
    except KeyboardInterrupt:
        return {"generation": sb.status().replayed_generation}


# ---------------------------------------------------------------------------
# defrag

def _defrag_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", help="esepy database file (cleanly shut down)")
    p.add_argument("-o", "--output", help="write the compacted copy here (must not exist) and leave DB as it "
                                          "is (default: replace DB with its compacted copy)")


@command("defrag", "Compact a database offline into a dense copy (JetCompact; esentutl /d)", _defrag_args)
def _defrag(ns: argparse.Namespace, out: Output) -> Any:
    import tempfile

    import esepy
    src = os.path.abspath(ns.db)
    if not os.path.isfile(src):
        raise errors.FileNotFound(operation=f"no database file {ns.db}")
    dest = os.path.abspath(ns.output) if ns.output else src + ".defrag-new"
    if not ns.output and os.path.exists(dest):
        os.unlink(dest)  # a leftover of an interrupted defrag (DB itself was never touched before the swap)
    size_before = os.path.getsize(src)
    with tempfile.TemporaryDirectory(prefix="esepy-defrag-") as tmp:
        params: Dict[str, Any] = dict(system_path=os.path.join(tmp, ""), log_path=os.path.join(tmp, ""),
                                      temp_path=os.path.join(tmp, "tmp.edb"), recovery="off")
        with out.progress("defrag", None, "rec") as bar, esepy.Instance("esepy-defrag", **params) as inst:
            with inst.begin_session() as s:
                s.compact(src, dest, progress=bar.update)
    if not ns.output:
        # DB is replaced only now, by rename; its old copy keeps a backup name until the new one is in place
        backup = src + ".defrag-old"
        os.replace(src, backup)
        try:
            os.replace(dest, src)
        except BaseException:
            os.replace(backup, src)
            raise
        fd = os.open(os.path.dirname(src), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.unlink(backup)
        dest = src
    size_after = os.path.getsize(dest)
    out.text(f"Compacted {ns.db}: {size_before} -> {size_after} bytes" +
             (f", written to {ns.output}." if ns.output else "."))
    return {"database": src, "output": dest, "bytes_before": size_before, "bytes_after": size_after}


# ---------------------------------------------------------------------------
# demo

def _demo_script() -> Optional[str]:
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(os.path.dirname(here), "examples", "demo.py"),
                 os.path.join(sys.prefix, "share", "esepy", "examples", "demo.py")):
        if os.path.isfile(cand):
            return cand
    return None


@command("demo", "Run the README's demo (database, backups, a killed writer, restore with roll-forward)",
         lambda p: p.add_argument("folder", nargs="?", help="folder to run in (default: a new temporary one)"))
def _demo(ns: argparse.Namespace, out: Output) -> Any:
    script = _demo_script()
    if script is None:
        raise errors.FileNotFound(operation="examples/demo.py is not installed with this copy of esepy")
    cmd = [sys.executable, script] + ([ns.folder] if ns.folder else [])
    # The demo's output (its steps, events and progress bars) is shown as it
    # happens; --json keeps it for the document, without the bars' frames.
    env = dict(os.environ, PYTHONUNBUFFERED="1")  # the demo's lines as it prints them
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert proc.stdout is not None
    chunks: List[bytes] = []
    while True:
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        chunks.append(chunk)
        if not out.json:
            out.stdout.write(chunk.decode("utf-8", "replace"))
            out.stdout.flush()
    proc.stdout.close()
    code = proc.wait()
    text = b"".join(chunks).decode("utf-8", "replace")
    output = "".join(line for line in text.splitlines(keepends=True) if "\r" not in line)
    result = {"script": script, "exit_code": code, "output": output}
    if code != 0:
        raise _Failed(result, RuntimeError(f"the demo failed (exit {code})"))
    return result


# ---------------------------------------------------------------------------
# parser and main

def _common() -> argparse.ArgumentParser:
    c = argparse.ArgumentParser(add_help=False)
    c.add_argument("--json", action="store_true", help="print one JSON document (for scripts)")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="show a progress bar on stderr (default: when stderr is a terminal)")
    g.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    return c


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of every registered mode."""
    import esepy
    common = _common()
    parser = argparse.ArgumentParser(prog="esepy", description="Inspect, verify, recover and export esepy "
                                     "databases and logs (an esentutl for esepy).")
    parser.add_argument("--version", action="version", version=f"esepy {esepy.__version__}")
    top = parser.add_subparsers(dest="mode", metavar="MODE")
    top.required = True
    groups: Dict[str, Any] = {}
    for name, cmd in COMMANDS.items():
        if len(cmd.words) == 1:
            sp = top.add_parser(cmd.words[0], help=cmd.help, description=cmd.help, parents=[common])
        else:
            head = cmd.words[0]
            if head not in groups:
                gp = top.add_parser(head, help=f"{head} modes: " + ", ".join(
                    c.words[1] for c in COMMANDS.values() if c.words[0] == head and len(c.words) > 1))
                groups[head] = gp.add_subparsers(dest="submode", metavar="WHAT")
                groups[head].required = True
            sp = groups[head].add_parser(cmd.words[1], help=cmd.help, description=cmd.help, parents=[common])
        if cmd.args is not None:
            cmd.args(sp)
        sp.set_defaults(_command=name)
    return parser


def _error_json(e: BaseException) -> Dict[str, Any]:
    if isinstance(e, errors.JetError):
        return {"name": e.name, "code": e.code, "message": e.message, "operation": e.operation}
    return {"name": type(e).__name__, "code": None, "message": str(e), "operation": None}


def _print_error(e: BaseException, stderr: TextIO) -> None:
    if isinstance(e, errors.JetError):
        print(f"error: {e.name} ({e.code}): {e.message}" + (f" [{e.operation}]" if e.operation else ""),
              file=stderr)
    elif isinstance(e, archive.ArchiveError):
        print(f"error: {type(e).__name__}: {e}", file=stderr)
    else:
        print(f"error: {e}", file=stderr)


#: exit code when the reader of our output went away (``esepy ... | head``): 128 + SIGPIPE, as a shell reports it
EXIT_BROKEN_PIPE = 141


def main(argv: Optional[Sequence[str]] = None, stdout: Optional[TextIO] = None,
         stderr: Optional[TextIO] = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 JET error, 2 usage error,
    141 when the output pipe was closed by its reader, e.g. ``| head``: quietly, no traceback)."""
    out_f = stdout or sys.stdout
    try:
        return _main(argv, out_f, stderr or sys.stderr)
    except BrokenPipeError:
        # The reader is gone: say nothing more.  Point the stream's descriptor at
        # /dev/null so the interpreter's final flush of what is still buffered
        # does not raise (and print) the same error again at exit.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out_f.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            pass
        return EXIT_BROKEN_PIPE


def _main(argv: Optional[Sequence[str]], out_f: TextIO, err_f: TextIO) -> int:
    parser = build_parser()
    try:
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out_f, err_f   # argparse prints usage errors / help there
        try:
            ns = parser.parse_args(list(argv) if argv is not None else None)
        finally:
            sys.stdout, sys.stderr = old_out, old_err
    except SystemExit as e:
        return int(e.code or 0) if isinstance(e.code, int) else 2
    out = Output(ns, out_f, err_f)
    cmd = COMMANDS[ns._command]
    try:
        result = cmd.run(ns, out)
    except BrokenPipeError:
        raise
    except CliError as e:
        print(f"esepy {' '.join(cmd.words)}: error: {e}", file=err_f)
        if out.json:
            print(json.dumps({"ok": False, "error": _error_json(e)}), file=out_f)
        return 2
    except _Failed as f:
        _print_error(f.error, err_f)
        if out.json:
            doc = dict(f.result) if isinstance(f.result, dict) else {"result": f.result}
            doc.update(ok=False, error=_error_json(f.error))
            print(json.dumps(inspection._jsonable(doc), indent=1), file=out_f)
        return 1
    except archive.UnsupportedURL as e:
        print(f"esepy {' '.join(cmd.words)}: error: {e}", file=err_f)
        if out.json:
            print(json.dumps({"ok": False, "error": _error_json(e)}), file=out_f)
        return 2
    except (errors.JetError, OSError, archive.ArchiveError) as e:
        _print_error(e, err_f)
        if out.json:
            print(json.dumps({"ok": False, "error": _error_json(e)}), file=out_f)
        return 1
    if out.json:
        doc = dict(result) if isinstance(result, dict) else {"result": result}
        doc.setdefault("ok", True)
        print(json.dumps(inspection._jsonable(doc), indent=1), file=out_f)
    return 0



def _export_ese_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", help="the esepy database to export (attached read-only)")
    p.add_argument("dest", help="the Windows ESE database file to write")
    p.add_argument("--page-size", type=int, default=8192, choices=[4096, 8192, 16384, 32768],
                   help="page size of the new file (default 8192)")
    p.add_argument("--force", action="store_true", help="replace DEST if it exists")


@command("export-ese", "Export an esepy database as a Windows ESE database file (read by Windows, "
         "dissect.esedb, libesedb)", _export_ese_args)
def _export_ese(ns: argparse.Namespace, out: Output) -> Any:
    """``esepy export-ese DB DEST [--page-size N] [--force]``: writes DEST in ESE's on-disk
    format (clean shutdown, no logs) and prints what it wrote."""
    import esepy

    if os.path.lexists(ns.dest) and not ns.force:
        raise CliError(f"{ns.dest} exists: pass --force to replace it")
    if not os.path.isfile(ns.db):
        raise CliError(f"{ns.db}: no such database")
    if _windows(ns.db):
        raise CliError(f"{ns.db} is already a Windows ESE database (esepy export-ese reads esepy databases)")
    try:
        report = esepy.export_ese(ns.db, ns.dest, page_size=ns.page_size, force=ns.force)
    except (ValueError, PermissionError, FileNotFoundError) as e:
        raise CliError(str(e)) from None
    out.text(*report.lines())
    return {"dest": report.dest, "page_size": report.page_size, "tables": report.tables, "rows": report.rows,
            "pages": report.pages, "bytes": report.bytes, "notes": report.notes,
            "unicode_indexes": [list(x) for x in report.unicode_indexes]}


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", help="the Windows ESE database (SRUDB.dat, qmgr.db, ...); never written")
    p.add_argument("dest", help="the esepy database to create (must not exist)")
    p.add_argument("--logs", help="folder of the source's logs: a dirty source is recovered first, on a copy")


@command("import", "Import a Windows ESE database into a new esepy database", _import_args)
def _import(ns: argparse.Namespace, out: Output) -> Any:
    """``esepy import SRC DEST [--logs DIR]``: prints the import report (tables, rows, the
    schema notes and every text index whose esepy order differs from Windows')."""
    import esepy

    if os.path.lexists(ns.dest):
        raise CliError(f"{ns.dest} exists: esepy import never overwrites a database")
    report = esepy.import_ese(ns.src, ns.dest, logs=ns.logs)
    out.text(*report.lines())
    return {"source": report.source, "dest": report.dest, "recovered": report.recovered,
            "tables": report.tables, "rows": report.rows, "page_size": report.page_size,
            "notes": report.notes, "index_order": report.index_order,
            "mapped": [{"table": t, "column": c, "from_coltyp": a, "to_coltyp": b, "why": why}
                       for (t, c), (a, b, why) in report.mapped.items()],
            "skipped_values": [list(x) for x in report.skipped_values]}
