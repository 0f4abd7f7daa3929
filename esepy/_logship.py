"""Continuous log archiving and warm standby over s3:// archives (esepy.archive).

* :class:`LogArchiver` ships every closed log generation of an instance to
  ``s3://bucket/prefix/logs/<stream>/`` as it rolls, forces a roll after
  ``sync_interval`` seconds when the current generation holds records (so a
  quiet instance still ships its last commits: JetCommitTransaction with
  JET_bitForceNewLog), retries with backoff, verifies each object, and only
  then deletes the local generation (when it is also below the checkpoint).
* :class:`Standby` follows an archive: a base full set restored without undo
  (EsepyRestoreInstance2), then each newly archived generation replayed by
  crash recovery without undo (JetInit3), optionally ``replay_lag`` seconds
  behind; :meth:`Standby.promote` finishes recovery (undo) and returns an
  initialized instance.  The engine offers no reads during a recovery, so
  :meth:`Standby.snapshot` recovers a copy at the current point instead.

Layout: ``<stream>`` is the first 16 hex digits of the SHA-256 of the log
stream's signature (as the backup manifests write it); objects keep the
engine's names (``edb0000A.log``) and carry their SHA-256 and size in the
metadata ``esepy-sha256`` / ``esepy-size``.  Threads: the archiver's own
thread does every engine call and upload; engine calls release the GIL.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import glob
import hashlib
import logging
import os
import random
import re
import shutil
import threading
import time
import warnings
from typing import Any, Dict, List, Optional, Tuple, Union

from . import errors, inspection
from . import archive as _ar

_log = logging.getLogger("esepy")
_GEN_NAME = re.compile(r"^(.{3})([0-9A-Fa-f]{5}|[0-9A-Fa-f]{8})\.log$")
_SECTOR = 4096
JET_bitForceNewLog = 0x10
JET_bitRecoveryWithoutUndo = 0x8
JET_bitReplayIgnoreLostLogs = 0x80


class CircularLogging(_ar.ArchiveError, ValueError):
    """Continuous archiving needs every generation: circular logging reuses them."""


class ArchiverStopped(_ar.ArchiveError):
    """The archiver is not running (never started, stopped, or its instance terminated)."""


def stream_id(signature: str) -> str:
    """The folder name of a log stream under ``logs/``."""
    return hashlib.sha256(signature.encode()).hexdigest()[:16]


def _gen_of(name: str) -> Optional[int]:
    m = _GEN_NAME.match(name)
    return int(m.group(2), 16) if m else None


@dataclasses.dataclass(frozen=True)
class ArchiverStatus:
    """What :meth:`LogArchiver.status` reports.

    ``lag_seconds``: how long the archive has been behind the durable log (0
    when it holds everything durable); ``lag_bytes``: the bytes of the closed
    generations not archived yet plus those written in the current generation.
    """

    running: bool
    url: str
    stream: Optional[str]
    last_archived_generation: int
    last_archived_at: Optional[_dt.datetime]
    current_generation: int
    pending_generations: List[int]
    lag_seconds: float
    lag_bytes: int
    last_error: Optional[str]
    last_error_at: Optional[_dt.datetime]
    consecutive_failures: int
    archived_count: int


class LogArchiver:
    """Ship the closed log generations of ``instance`` (initialized, not circular) to ``url``.

    ``sync_interval`` bounds the lag: a generation holding records older than
    that is rolled (closed) and shipped.  ``poll_interval`` is how often the
    thread looks (default: a quarter of ``sync_interval``, at most 1 s).
    ``delete_archived`` deletes a local generation once the archive holds it
    (verified) and it is below the checkpoint (crash recovery no longer needs
    it).  Failures are retried with exponential backoff (``backoff`` seconds
    doubling up to ``max_backoff``).  :meth:`stop` (called by
    ``Instance.term``) ships what is left, bounded by ``stop_timeout``.
    """

    def __init__(self, instance: Any, url: str, *, options: Optional[_ar.S3Options] = None,
                 sync_interval: float = 10.0, poll_interval: Optional[float] = None,
                 delete_archived: bool = True, backoff: float = 0.5, max_backoff: float = 30.0,
                 stop_timeout: float = 30.0) -> None:
        if not getattr(instance, "initialized", False):
            raise errors.NotInitialized(operation="LogArchiver: the instance must be initialized")
        if instance.get_param("circular_log"):
            raise CircularLogging(f"cannot archive the logs of instance {instance.name!r} to {url}: circular "
                                  f"logging reuses its generations (set circular_log=False)", url)
        if sync_interval <= 0:
            raise ValueError("sync_interval must be positive")
        self.url = url
        self.au = _ar.parse_url(url)
        self.instance = instance
        self.options = options or _ar.S3Options()
        self.sync_interval = float(sync_interval)
        self.poll_interval = float(poll_interval) if poll_interval else min(1.0, self.sync_interval / 4)
        self.delete_archived = delete_archived
        self.backoff, self.max_backoff, self.stop_timeout = backoff, max_backoff, stop_timeout
        self._handle = instance.handle
        self._log_dir = str(instance.get_param("log_path"))
        self._sys_dir = str(instance.get_param("system_path"))
        self._base = str(instance.get_param("base_name"))
        self._client = _ar.make_client(self.options)
        self._lock = threading.Lock()
        self._cv = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._stream: Optional[str] = None
        self._archived: Dict[int, str] = {}         # generation -> sha256, verified in the archive
        self._last_gen = 0
        self._last_at: Optional[_dt.datetime] = None
        self._cur = (0, 1, 0)
        self._pending: List[int] = []
        self._pending_bytes = 0
        self._behind_since: Optional[float] = None
        self._err: Optional[str] = None
        self._err_at: Optional[_dt.datetime] = None
        self._failures = 0
        self._dirty_since: Optional[float] = None   # when the current generation was first seen with records
        self._gap_reported: Optional[str] = None

    # ---- public ------------------------------------------------------------

    def start(self) -> "LogArchiver":
        """Start the background thread (and register with the instance, whose term stops it)."""
        if self._thread is not None:
            raise RuntimeError("the archiver was started already")
        _ar._call(f"checking the bucket of {self.au}", self.url, self._client.list_objects_v2,
                  Bucket=self.au.bucket, MaxKeys=1)
        self._thread = threading.Thread(target=self._run, name=f"esepy-archiver-{self.instance.name}", daemon=True)
        regs = getattr(self.instance, "_archivers", None)
        if regs is None:
            regs = []
            setattr(self.instance, "_archivers", regs)
        regs.append(self)
        _log.info("esepy archive: continuous archiving of instance %r to %s started (sync interval %.3g s)",
                  self.instance.name, self.url, self.sync_interval)
        self._thread.start()
        return self

    def stop(self, timeout: Optional[float] = None, *, final_sync: bool = True) -> None:
        """Stop the thread; with ``final_sync`` first roll and ship what is durable
        (at most ``timeout`` seconds, default ``stop_timeout``)."""
        t = self._thread
        if t is None or not t.is_alive():
            return
        if final_sync:
            try:
                self.sync(self.stop_timeout if timeout is None else timeout)
            except Exception as e:  # the storage may be down: stopping must still work
                _log.warning("esepy archive: final sync to %s failed: %s", self.url, e)
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        t.join()
        regs = getattr(self.instance, "_archivers", [])
        if self in regs:
            regs.remove(self)
        _log.info("esepy archive: continuous archiving of instance %r to %s stopped (last generation %d)",
                  self.instance.name, self.url, self._last_gen)

    def sync(self, timeout: float = 60.0) -> int:
        """Roll the log now (if the current generation holds records) and wait until
        the archive holds every generation up to there; the last archived generation.
        :class:`ArchiverStopped` if the thread is not running, TimeoutError after ``timeout``."""
        if self._thread is None or not self._thread.is_alive():
            raise ArchiverStopped(f"the archiver of {self.url} is not running", self.url)
        target = self._roll_if_dirty()
        deadline = time.monotonic() + timeout
        with self._cv:
            self._cv.notify_all()
            while not self._holds_through(target):
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    raise TimeoutError(f"generation {target} not archived to {self.url} after {timeout} s "
                                       f"(last error: {self._err})")
                self._cv.wait(min(left, self.poll_interval))
        return self._last_gen

    def _holds_through(self, target: int) -> bool:
        """Whether every local generation up to ``target`` is archived (generations deleted
        before the archiver started, e.g. truncated by a backup, are not waited for)."""
        return self._last_gen >= target or all(g in self._archived for g in self._local_generations() if g <= target)

    def status(self) -> ArchiverStatus:
        """A snapshot of the archiver's progress (thread-safe)."""
        with self._lock:
            lag = 0.0 if self._behind_since is None else max(0.0, time.monotonic() - self._behind_since)
            cur = self._cur
            cur_bytes = (cur[1] - 1) * _SECTOR + cur[2] if cur[0] else 0
            return ArchiverStatus(
                running=self._thread is not None and self._thread.is_alive(), url=self.url, stream=self._stream,
                last_archived_generation=self._last_gen, last_archived_at=self._last_at,
                current_generation=cur[0], pending_generations=list(self._pending), lag_seconds=lag,
                lag_bytes=self._pending_bytes + max(0, cur_bytes), last_error=self._err,
                last_error_at=self._err_at, consecutive_failures=self._failures,
                archived_count=len(self._archived))

    # ---- the thread --------------------------------------------------------

    def _position(self) -> Tuple[int, int, int]:
        from . import _esepy
        return tuple(_esepy._log_position(self._handle))  # type: ignore[return-value]

    def _roll_if_dirty(self) -> int:
        """Roll when the current generation holds records; the last closed generation."""
        gen, isec, ib = self._position()
        if (isec, ib) == (1, 0):
            return gen - 1
        with self.instance.begin_session() as s:  # ForceNewLog alone, outside a transaction (as ESENT)
            s._commit(JET_bitForceNewLog)
        return gen

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.is_set():
            try:
                self._pass()
                delay = 0.0
                with self._lock:
                    self._failures = 0
            except Exception as e:  # every failure is retried; the thread never dies of one
                with self._lock:
                    self._failures += 1
                    self._err = f"{type(e).__name__}: {e}"
                    self._err_at = _dt.datetime.now(_dt.timezone.utc)
                    n = self._failures
                delay = min(self.max_backoff, self.backoff * (2 ** min(n - 1, 16))) * (0.75 + random.random() / 2)
                _log.warning("esepy archive: archiving to %s failed (attempt %d), retrying in %.2f s: %s",
                             self.url, n, delay, e)
            with self._cv:
                self._cv.notify_all()
                self._cv.wait(delay or self.poll_interval)

    def _local_generations(self) -> Dict[int, str]:
        out: Dict[int, str] = {}
        for p in glob.glob(os.path.join(glob.escape(self._log_dir), self._base + "*.log")):
            g = _gen_of(os.path.basename(p))
            if g is not None and os.path.basename(p)[:3] == self._base:
                out[g] = p
        return out

    def _pass(self) -> None:
        now = time.monotonic()
        pos = self._position()
        gen, isec, ib = pos
        dirty = (isec, ib) != (1, 0)
        if dirty and self._dirty_since is None:
            self._dirty_since = now
        if not dirty:
            self._dirty_since = None
        if dirty and self._dirty_since is not None and now - self._dirty_since >= self.sync_interval:
            self._roll_if_dirty()  # a quiet instance still ships its last commits
            self._dirty_since = None
            pos = self._position()
            gen = pos[0]
        local = self._local_generations()
        todo = sorted(g for g in local if g < gen and g not in self._archived)
        if todo and self._last_gen and todo[0] > self._last_gen + 1:
            # deleted before they were shipped (a backup to a folder truncated them)
            lost = f"{self._last_gen + 1}..{todo[0] - 1}"
            if self._gap_reported != lost:
                self._gap_reported = lost
                with self._lock:
                    self._err = (f"generations {lost} were deleted locally before they were archived (a backup "
                                 f"truncated them): the archive has a gap; take a new full backup to {self.url}")
                    self._err_at = _dt.datetime.now(_dt.timezone.utc)
                _log.error("esepy archive: %s", self._err)
        with self._lock:
            self._cur = pos
            self._pending = todo
            self._pending_bytes = sum(_size(local[g]) for g in todo)
            behind = bool(todo) or (pos[1], pos[2]) != (1, 0)
            if behind and self._behind_since is None:
                self._behind_since = now
            if not behind:
                self._behind_since = None
        for g in todo:
            self._ship(g, local[g])
        if todo:
            with self._lock:
                self._pending = []
                self._pending_bytes = 0
                if (self._cur[1], self._cur[2]) == (1, 0):
                    self._behind_since = None
        if self.delete_archived:
            self._delete_shipped(local)

    def _ship(self, gen: int, path: str) -> None:
        with open(path, "rb") as f:
            data = f.read()
        h = inspection._decode_log_header(os.path.basename(path), data[:65536])
        if h.generation != gen:
            raise _ar.ArchiveError(f"{path} holds generation {h.generation}", self.url)
        stream = stream_id(str(h.signature))
        if self._stream is None:
            self._stream = stream
        elif stream != self._stream:
            raise _ar.LogStreamMismatch(f"{path} belongs to another log stream than the generations archived "
                                        f"before", self.url)
        name = os.path.basename(path)
        key = self.au.key("logs", stream, name)
        sha = hashlib.sha256(data).hexdigest()
        where = f"archiving {name} to s3://{self.au.bucket}/{key}"
        t0 = time.monotonic()
        held = self._head(key, where)
        if held is None:
            md5 = hashlib.md5(data)
            r = _ar._call(where, self.url, self._client.put_object, Bucket=self.au.bucket, Key=key, Body=data,
                          ContentMD5=base64.b64encode(md5.digest()).decode(),
                          Metadata={"esepy-sha256": sha, "esepy-size": str(len(data)),
                                    "esepy-generation": str(gen),
                                    "esepy-created": h.created.isoformat() if h.created else ""})
            if self.options.verify_etag and str(r.get("ETag", "")).strip('"') != md5.hexdigest():
                raise _ar.ChecksumMismatch(f"{where}: stored with ETag {r.get('ETag')}, expected {md5.hexdigest()}",
                                           self.url)
            held = self._head(key, where)
        # verified: what the archive holds is this generation
        if held is None or held[0] != len(data) or held[1] != sha:
            raise _ar.LogStreamMismatch(f"s3://{self.au.bucket}/{key} differs from the local {name} (size/SHA-256 "
                                        f"{held}); it is kept locally", self.url)
        with self._lock:
            self._archived[gen] = sha
            self._failures = 0  # consecutive failures end with any success
            if gen > self._last_gen:
                self._last_gen = gen
            self._last_at = _dt.datetime.now(_dt.timezone.utc)
        _log.info("esepy archive: generation %d (%s, %d bytes) archived to %s in %.3f s", gen, name, len(data),
                  self.url, time.monotonic() - t0)

    def _head(self, key: str, where: str) -> Optional[Tuple[int, str]]:
        try:
            r = _ar._call(where, self.url, self._client.head_object, Bucket=self.au.bucket, Key=key)
        except _ar.ObjectMissing:
            return None
        return int(r.get("ContentLength", -1)), str(r.get("Metadata", {}).get("esepy-sha256", ""))

    def _delete_shipped(self, local: Dict[int, str]) -> None:
        chk = os.path.join(self._sys_dir, self._base + ".chk")
        try:
            below = inspection.read_checkpoint(chk).checkpoint.generation
        except Exception:
            return  # no readable checkpoint: keep everything
        for g in sorted(local):
            if g >= below or g not in self._archived:
                continue
            p = local[g]
            try:
                if hashlib.sha256(_read(p)).hexdigest() != self._archived[g]:
                    continue  # never delete what differs from the archive
                os.unlink(p)
                _log.debug("esepy archive: deleted local generation %d (archived, below the checkpoint)", g)
            except FileNotFoundError:
                pass


def _size(p: str) -> int:
    try:
        return os.path.getsize(p)
    except OSError:
        return 0


def _read(p: str) -> bytes:
    with open(p, "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------
# Archived generations

@dataclasses.dataclass(frozen=True)
class ArchivedGeneration:
    """One generation in ``prefix/logs/<stream>/`` (``key`` is the full object key)."""

    generation: int
    name: str
    key: str
    size: int
    last_modified: _dt.datetime


def list_generations(url: str, stream: str, options: Optional[_ar.S3Options] = None, *,
                     client: Any = None) -> List[ArchivedGeneration]:
    """The generations archived for log stream ``stream`` (see :func:`stream_id`), oldest first."""
    au = _ar.parse_url(url)
    c = client or _ar.make_client(options)
    root = au.key("logs", stream) + "/"
    out: List[ArchivedGeneration] = []
    token: Optional[str] = None
    while True:
        kw: Dict[str, Any] = {"Bucket": au.bucket, "Prefix": root}
        if token:
            kw["ContinuationToken"] = token
        page = _ar._call(f"listing {url}/logs/{stream}", url, c.list_objects_v2, **kw)
        for o in page.get("Contents", []):
            name = o["Key"][len(root):]
            g = _gen_of(name)
            if g is not None:
                out.append(ArchivedGeneration(g, name, o["Key"], int(o["Size"]), o["LastModified"]))
        if not page.get("IsTruncated"):
            break
        token = page.get("NextContinuationToken")
    return sorted(out, key=lambda a: a.generation)


# ---------------------------------------------------------------------------
# Warm standby

@dataclasses.dataclass(frozen=True)
class StandbyStatus:
    base_set: Optional[str]
    stream: Optional[str]
    replayed_generation: int            #: the last generation replayed into the standby's databases
    archived_generation: int            #: the newest generation seen in the archive
    last_replay_at: Optional[_dt.datetime]
    last_error: Optional[str]
    promoted: bool


class Standby:
    """A warm standby of the databases archived at ``url``, kept in ``folder``.

    ``folder/db`` holds the databases, ``folder/logs`` every generation from the
    base set's first on, ``folder/sys`` the system files.  :meth:`seed` (run by
    the first :meth:`catch_up`) restores the newest full set (or ``set_id``)
    without undo; each :meth:`catch_up` downloads the archived generations that
    follow (verified by size and SHA-256; a gap raises
    :class:`esepy.archive.GenerationGap` naming it) and replays them without
    undo.  ``replay_lag`` keeps the standby that many seconds behind: a
    generation is replayed only once the next one was archived at least that
    long ago (Exchange's lagged copies, at generation granularity).
    :meth:`follow` repeats :meth:`catch_up` in a thread every ``poll_interval``
    seconds.  Instance parameters (``log_file_size_kb``, ``base_name``, ...)
    must match the primary's; pass them as ``params``.
    """

    def __init__(self, url: str, folder: Union[str, "os.PathLike[str]"], *,
                 options: Optional[_ar.S3Options] = None, replay_lag: float = 0.0, poll_interval: float = 5.0,
                 set_id: Optional[str] = None, name: str = "standby", **params: Any) -> None:
        self.url = url
        self.au = _ar.parse_url(url)
        self.folder = os.path.abspath(os.fspath(folder))
        self.options = options or _ar.S3Options()
        self.replay_lag = float(replay_lag)
        self.poll_interval = float(poll_interval)
        self.set_id = set_id
        self.name = name
        self.params = params
        self.db_dir = os.path.join(self.folder, "db")
        self.log_dir = os.path.join(self.folder, "logs")
        self.sys_dir = os.path.join(self.folder, "sys")
        self._client = _ar.make_client(self.options)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._state = self._load_state()
        self._last_replay_at: Optional[_dt.datetime] = None
        self._err: Optional[str] = None
        self._archived_gen = 0

    # ---- state ---------------------------------------------------------------

    def _state_path(self) -> str:
        return os.path.join(self.folder, "standby.json")

    def _load_state(self) -> Dict[str, Any]:
        import json
        try:
            with open(self._state_path()) as f:
                return dict(json.load(f))
        except FileNotFoundError:
            return {}

    def _save_state(self) -> None:
        import json
        tmp = self._state_path() + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self._state, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._state_path())

    def _instance(self, name: str) -> Any:
        from . import Instance
        kw = dict(self.params)
        kw.update(system_path=self.sys_dir + "/", log_path=self.log_dir + "/",
                  temp_path=os.path.join(self.folder, "tmp") + "/", create_path_if_not_exist=True,
                  alternate_database_recovery_path=self.db_dir + "/")
        return Instance(f"{self.name}-{name}", **kw)

    def status(self) -> StandbyStatus:
        with self._lock:
            return StandbyStatus(base_set=self._state.get("base_set"), stream=self._state.get("stream"),
                                 replayed_generation=int(self._state.get("replayed", 0)),
                                 archived_generation=self._archived_gen, last_replay_at=self._last_replay_at,
                                 last_error=self._err, promoted=bool(self._state.get("promoted")))

    # ---- seeding and replay -------------------------------------------------------

    def seed(self) -> None:
        """Restore the base full set without undo (once)."""
        with self._lock:
            if self._state.get("base_set"):
                return
            self._check_not_promoted()
            sets = _ar.list_sets(self.url, client=self._client)
            fulls = [s for s in sets if s.kind == "full" and (self.set_id is None or s.id == self.set_id)]
            if not fulls:
                raise _ar.NoBackupSet(f"no full backup set in {self.url} to seed the standby from", self.url)
            base = fulls[-1]
            stream = stream_id(str(base.log_signature))
            for d in (self.db_dir, self.log_dir, self.sys_dir):
                os.makedirs(d, exist_ok=True)
            setdir = os.path.join(self.folder, "base")
            shutil.rmtree(setdir, ignore_errors=True)
            _ar.download(self.url, setdir, set_id=base.id, options=self.options, archived=False)
            # the generations archived after the set, as far as the lag allows, roll forward too
            after = self._fetch_new(stream, base.last_generation)
            from . import _esepy
            inst = self._instance("seed")
            try:
                _esepy._restore(inst.handle, setdir, self.db_dir, None, None, None, False, JET_bitRecoveryWithoutUndo)
            except errors.RecoveredWithoutUndo:
                pass  # the expected end: databases in place, dirty, replayable further
            finally:
                inst.term()
            for name in os.listdir(setdir):  # later recoveries replay from the set's first generation
                if _gen_of(name) is not None:
                    shutil.copy2(os.path.join(setdir, name), os.path.join(self.log_dir, name))
            shutil.rmtree(setdir, ignore_errors=True)
            self._state.update(base_set=base.id, stream=stream, replayed=max([base.last_generation] + after),
                               databases=[d["name"] for d in base.manifest.get("databases", [])])
            self._save_state()
            self._last_replay_at = _dt.datetime.now(_dt.timezone.utc)
            _log.info("esepy standby: seeded %s from set %s of %s (through generation %d)", self.folder, base.id,
                      self.url, self._state["replayed"])

    def _check_not_promoted(self) -> None:
        if self._state.get("promoted"):
            raise _ar.ArchiveError(f"the standby in {self.folder} was promoted: it follows no archive any more",
                                   self.url)

    def _fetch_new(self, stream: str, after_gen: int) -> List[int]:
        """Download the archived generations after ``after_gen`` that the lag allows; their numbers."""
        gens = list_generations(self.url, stream, client=self._client)
        if gens:
            self._archived_gen = gens[-1].generation
        newer = [g for g in gens if g.generation > after_gen]
        if not newer:
            return []
        expect = after_gen + 1
        if newer[0].generation != expect:
            raise _ar.GenerationGap(f"generation {expect} is missing from {self.url} (the archive has "
                                    f"{newer[0].generation} next): the standby cannot go on", self.url)
        for a, b in zip(newer, newer[1:]):
            if b.generation != a.generation + 1:
                raise _ar.GenerationGap(f"generation {a.generation + 1} is missing from {self.url}", self.url)
        if self.replay_lag > 0:
            now = _dt.datetime.now(_dt.timezone.utc)
            ok = []
            for a, b in zip(newer, newer[1:]):
                if (now - b.last_modified).total_seconds() >= self.replay_lag:  # a closed before b was shipped
                    ok.append(a)
            newer = ok
        got: List[int] = []
        for a in newer:
            self._get_verified(a)
            got.append(a.generation)
        return got

    def _get_verified(self, a: ArchivedGeneration) -> None:
        where = f"downloading s3://{self.au.bucket}/{a.key}"
        r = _ar._call(where, self.url, self._client.get_object, Bucket=self.au.bucket, Key=a.key)
        meta = r.get("Metadata", {})
        data = r["Body"].read()
        sha = hashlib.sha256(data).hexdigest()
        if str(len(data)) != meta.get("esepy-size") or sha != meta.get("esepy-sha256"):
            raise _ar.ChecksumMismatch(f"s3://{self.au.bucket}/{a.key} (generation {a.generation}) is corrupted: "
                                       f"{len(data)} bytes with SHA-256 {sha}, archived as {meta.get('esepy-size')} "
                                       f"bytes with {meta.get('esepy-sha256')}", self.url)
        dest = os.path.join(self.log_dir, a.name)
        tmp = dest + ".part"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)

    def catch_up(self) -> int:
        """Seed if needed, then download and replay the newly archived generations;
        the last generation replayed."""
        with self._lock:
            self._check_not_promoted()
            try:
                if not self._state.get("base_set"):
                    self.seed()
                    return int(self._state["replayed"])
                got = self._fetch_new(self._state["stream"], int(self._state["replayed"]))
                if got:
                    self._replay(without_undo=True)
                    self._state["replayed"] = got[-1]
                    self._save_state()
                    self._last_replay_at = _dt.datetime.now(_dt.timezone.utc)
                    _log.info("esepy standby: %s replayed generations %d..%d of %s", self.folder, got[0], got[-1],
                              self.url)
                self._err = None
            except Exception as e:
                self._err = f"{type(e).__name__}: {e}"
                raise
            return int(self._state["replayed"])

    def _replay(self, without_undo: bool, instance: Any = None) -> Any:
        inst = instance or self._instance("replay")
        grbit = JET_bitReplayIgnoreLostLogs | (JET_bitRecoveryWithoutUndo if without_undo else 0)
        try:
            inst.init(grbit)
        except errors.RecoveredWithoutUndo:
            inst.term()
            return None
        except BaseException:
            inst.term()
            raise
        if without_undo:  # the databases were already consistent
            inst.term()
            return None
        return inst

    def follow(self) -> "Standby":
        """Run :meth:`catch_up` every ``poll_interval`` seconds in a thread (errors are
        logged and retried); :meth:`stop` ends it."""
        if self._thread is not None:
            raise RuntimeError("the standby follows already")

        def run() -> None:
            while not self._stop.is_set():
                try:
                    self.catch_up()
                except Exception as e:
                    _log.warning("esepy standby: catching up with %s failed (retrying): %s", self.url, e)
                self._stop.wait(self.poll_interval)

        self._thread = threading.Thread(target=run, name=f"esepy-standby-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop following (waits for a replay in progress)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._stop.clear()

    def database_paths(self) -> List[str]:
        """The standby's database files."""
        return [os.path.join(self.db_dir, n) for n in self._state.get("databases", [])]

    def promote(self, *, catch_up: bool = True) -> Any:
        """Stop following, replay what is archived (unless ``catch_up=False``), finish
        recovery (undo) and return the initialized :class:`esepy.Instance`; its databases
        (:meth:`database_paths`) are then open for writes.  Promote only once the primary
        is gone: both would otherwise write the same log stream."""
        self.stop()
        with self._lock:
            self._check_not_promoted()
            if catch_up:
                lag, self.replay_lag = self.replay_lag, 0.0
                try:
                    self.catch_up()
                finally:
                    self.replay_lag = lag
            inst = self._replay(without_undo=False)
            self._state["promoted"] = True
            self._save_state()
            _log.info("esepy standby: %s promoted at generation %d of %s", self.folder, self._state["replayed"],
                      self.url)
            return inst

    def snapshot(self, folder: Union[str, "os.PathLike[str]"]) -> Any:
        """A readable copy at the current point: the databases and logs copied into
        ``folder`` (new), recovered there (undo) and returned as an initialized
        :class:`esepy.Instance` with the databases attached; the standby goes on."""
        folder = os.path.abspath(os.fspath(folder))
        with self._lock:
            if not self._state.get("base_set"):
                raise _ar.NoBackupSet("the standby is not seeded yet", self.url)
            if os.path.exists(folder) and os.listdir(folder):
                raise _ar.ArchiveError(f"the snapshot folder {folder} is not empty", self.url)
            snap = Standby.__new__(Standby)
            snap.__dict__.update(self.__dict__)
            snap.folder = folder
            snap.db_dir, snap.log_dir, snap.sys_dir = (os.path.join(folder, "db"), os.path.join(folder, "logs"),
                                                       os.path.join(folder, "sys"))
            shutil.copytree(self.db_dir, snap.db_dir)
            shutil.copytree(self.log_dir, snap.log_dir)
        inst = snap._replay(without_undo=False, instance=snap._instance("snapshot"))
        try:
            with inst.begin_session() as s:
                for p in snap.database_paths():
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        s.attach_database(p, read_only=True)
        except BaseException:
            inst.term()
            raise
        inst.databases = snap.database_paths()
        return inst
