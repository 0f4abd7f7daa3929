"""Helpers for testing code that uses esepy: crash a worker process on purpose.

:func:`run_and_kill` runs a function in a child Python process and kills it
with SIGKILL -- after a chosen delay, after a random one, or exactly when the
child reaches a named :func:`crash_point` -- then returns the folder the child
worked in, ready for crash recovery (``esepy.Instance(...).init()``).  The
``crash`` fixture of esepy's pytest plugin is this function bound to the
test's ``tmp_path``.

The function must be importable by the child: defined at module level in an
importable module (a test module is fine), called as ``fn(folder, *args,
**kwargs)``; arguments must be picklable.  Example::

    from esepy.testing import crash_point

    def writer(folder):
        with esepy.Instance("w", system_path=folder + "/", log_path=folder + "/logs/",
                            create_path_if_not_exist=True) as inst, inst.begin_session() as s:
            t = s.create_database(folder + "/w.edb").create_table("t", {"k": "long"}, ["k"])
            with s.transaction():
                t.insert({"k": 1})
            crash_point("committed")         # the child is killed right here
            ...

    result = run_and_kill(writer, folder, at="committed")
"""
from __future__ import annotations

import functools
import os
import pickle
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

__all__ = ["crash_point", "run_and_kill", "CrashResult", "CrashError", "make_ese"]

_ENV_FD = "ESEPY_CRASH_FD"
_ENV_TARGET = "ESEPY_CRASH_AT"


class CrashError(RuntimeError):
    """The child could not be run, or failed on its own (an exception in the workload)."""


def crash_point(name: str) -> None:
    """Mark a moment in a crash-test child; the child is killed here when ``at=name``.

    Outside a child started by :func:`run_and_kill` this does nothing.
    """
    fd = os.environ.get(_ENV_FD)
    if fd is None:
        return
    os.write(int(fd), (name.replace("\n", " ") + "\n").encode())
    if os.environ.get(_ENV_TARGET) == name:
        while True:  # wait for SIGKILL
            time.sleep(3600)


@dataclass
class CrashResult:
    """What happened to the child of :func:`run_and_kill`."""

    folder: str                 #: the folder the child worked in (recover from here)
    killed: bool                #: True if the child was killed (False: it finished first)
    returncode: int             #: -9 when killed
    markers: List[str] = field(default_factory=list)  #: crash points the child reached, in order
    elapsed: float = 0.0        #: seconds from the function's start to the kill (or its end)
    stdout: str = ""
    stderr: str = ""


def _target_name(fn: Union[Callable[..., Any], str]) -> str:
    if isinstance(fn, str):
        if ":" not in fn:
            raise ValueError("a function given by name must be 'module:qualname'")
        return fn
    mod, qual = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not mod or mod == "__main__" or "<locals>" in qual or "<lambda>" in qual:
        raise ValueError(f"{fn!r} cannot be imported by the child process: define it at module level "
                         "in an importable module")
    return f"{mod}:{qual}"


def run_and_kill(fn: Union[Callable[..., Any], str], folder: Optional[str] = None, *args: Any,
                 at: Union[None, float, str] = None, max_delay: float = 1.0, seed: Optional[int] = None,
                 timeout: float = 120.0, check: bool = True, **kwargs: Any) -> CrashResult:
    """Run ``fn(folder, *args, **kwargs)`` in a child process and SIGKILL it.

    ``at``: a number of seconds after ``fn`` starts; the name of a
    :func:`crash_point` (killed exactly there); or None for a random delay in
    ``[0, max_delay)`` drawn from ``random.Random(seed)``.  A child that ends
    before the kill is reported with ``killed=False``; with ``check`` a child
    that fails on its own (non-zero exit) raises :class:`CrashError`.
    ``timeout`` bounds the whole run.
    """
    folder = os.fspath(folder) if folder is not None else tempfile.mkdtemp(prefix="esepy-crash-")
    os.makedirs(folder, exist_ok=True)
    target = _target_name(fn)
    delay: Optional[float] = None
    marker: Optional[str] = None
    if isinstance(at, str):
        marker = at
    elif at is None:
        delay = random.Random(seed).uniform(0, max_delay)
    else:
        delay = float(at)
    argfile = os.path.join(folder, ".esepy-crash-args.pickle")
    with open(argfile, "wb") as f:
        pickle.dump((target, folder, args, kwargs), f)
    rfd, wfd = os.pipe()
    env = dict(os.environ)
    env[_ENV_FD] = str(wfd)
    env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] + [env.get("PYTHONPATH", "")])
    if marker is not None:
        env[_ENV_TARGET] = marker
    else:
        env.pop(_ENV_TARGET, None)
    try:
        child = subprocess.Popen([sys.executable, "-m", "esepy._crash_child", argfile], pass_fds=(wfd,),
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(wfd)
    markers: List[str] = []
    started = threading.Event()
    hit = threading.Event()

    def reader() -> None:
        with os.fdopen(rfd, "r") as r:
            for line in r:
                name = line.rstrip("\n")
                if name == "__start__":
                    started.set()
                    continue
                if name == "__done__":
                    continue
                markers.append(name)
                if name == marker:
                    hit.set()

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    deadline = time.monotonic() + timeout
    killed = False
    t0 = time.monotonic()
    try:
        while not started.is_set() and child.poll() is None and time.monotonic() < deadline:
            started.wait(0.01)
        t0 = time.monotonic()
        if started.is_set():
            if marker is not None:
                while not hit.is_set() and child.poll() is None and time.monotonic() < deadline:
                    hit.wait(0.01)
                fire = hit.is_set()
            else:
                end = t0 + (delay or 0.0)
                while child.poll() is None and time.monotonic() < end:
                    time.sleep(min(0.005, max(0.0, end - time.monotonic())))
                fire = True
            if fire and child.poll() is None:
                child.send_signal(signal.SIGKILL)
                killed = True
        if child.poll() is None and time.monotonic() >= deadline:
            child.kill()
            child.communicate()
            raise CrashError(f"child {target} did not finish or reach its crash point in {timeout} s")
        out, err = child.communicate()
    except BaseException:
        if child.poll() is None:
            child.kill()
            child.communicate()
        raise
    finally:
        th.join(5)
        try:
            os.unlink(argfile)
        except OSError:
            pass
    elapsed = time.monotonic() - t0
    res = CrashResult(folder, killed, child.returncode, markers, elapsed, out, err)
    if check and not killed and child.returncode != 0:
        raise CrashError(f"child {target} failed on its own (exit {child.returncode}):\n{err}")
    return res


# ---- synthetic Windows ESE files ------------------------------------------------------

def make_ese(path: "Union[str, os.PathLike[str]]", schema: Dict[str, Dict[str, Any]],
             rows: Dict[str, Iterable[Dict[str, Any]]], *, page_size: int = 8192, force: bool = False) -> Any:
    """Write a synthetic Windows ESE database file with known contents, for the test suites
    of tools that read ESE files (forensic parsers, converters).  No esepy database is
    involved: the tables are described directly.

    ``schema``: table name -> ``{"columns": {name: spec}, "primary_key": [names],
    "indexes": {name: {"key": ["+col", "-col"], "unique": bool, "ignore_null": bool}}}``.
    A column spec is a type name (``"long"``, ``"text"``, ``"binary"``, ``"longtext"``,
    ``"longbinary"``, ``"datetime"``, ``"guid"``, ``"double"``, ... as
    :meth:`esepy.Table.add_column` takes them) or a dict with ``type`` and optionally
    ``max_length``, ``codepage`` (1200 Unicode, the default for text, or 1252),
    ``tagged``, ``multivalued``, ``fixed`` (fixed-length binary), ``not_null`` and
    ``default`` (bytes, the stored default value).
    ``rows``: table name -> rows (dicts column name -> value; a list for the values of a
    multi-valued column; missing or None is NULL).  Rows may come in any order: they are
    sorted by primary key (held in memory: this is a test-data generator).

    The file is what :func:`esepy.Database.export_ese` writes (clean shutdown, no logs
    needed; ``page_size`` 4096, 8192, 16384 or 32768) and is read by Windows' ESE,
    dissect.esedb, libesedb and :func:`esepy.open_ese`.  Returns the
    :class:`esepy._export_ese.ExportReport`."""
    from . import _export_ese as X
    from ._isam import _coltype
    specs = []
    for tname, ts in schema.items():
        cols = []
        for cname, cs in ts.get("columns", {}).items():
            d = {"type": cs} if not isinstance(cs, dict) else dict(cs)
            coltyp = int(_coltype(d["type"]))
            cp = int(d.get("codepage", 1200 if coltyp in (10, 12) else 0))
            cols.append(X.ColumnSpec(cname, coltyp, int(d.get("max_length", 255 if coltyp in (9, 10) else 0)),
                                     codepage=cp, fixed=bool(d.get("fixed")), tagged=bool(d.get("tagged")),
                                     multivalued=bool(d.get("multivalued", d.get("multi_valued"))), not_null=bool(d.get("not_null")),
                                     default=d.get("default")))
        idx = []
        pk = ts.get("primary_key") or []
        if pk:
            idx.append(X.IndexSpec("primary", [(k.lstrip("+-"), k.startswith("-")) for k in pk], primary=True))
        for iname, ispec in ts.get("indexes", {}).items():
            idx.append(X.IndexSpec(iname, [(k.lstrip("+-"), k.startswith("-")) for k in ispec["key"]],
                                   unique=bool(ispec.get("unique")), ignore_null=bool(ispec.get("ignore_null")),
                                   ignore_any_null=bool(ispec.get("ignore_any_null"))))
        data: List[Dict[str, Any]] = list(rows.get(tname, ()))
        spec = X.TableSpec(tname, cols, idx, functools.partial(list, data), len(data))
        specs.append((spec, data))

    def write(tmp: str) -> Any:
        # sort each table's rows by the ESE key of its primary index
        for spec, data in specs:
            X._layout(spec, None)
            if spec.indexes and spec.indexes[0].primary:
                cmap = {c.name: c for c in spec.columns}
                pk = spec.indexes[0]
                data.sort(key=lambda r: X._index_keys(spec, pk, cmap, r)[0])
        return X.encode_database(tmp, [s for s, _ in specs], page_size)

    destp = os.path.abspath(os.fspath(path))
    report = X._atomic_write(destp, force, write)
    report.dest = destp
    report.bytes = os.path.getsize(destp)
    return report
