"""Backups in S3-compatible object storage: ``s3://bucket/prefix`` URLs.

:meth:`esepy.Instance.backup` and :meth:`esepy.Instance.restore_instance` send a
URL here; a path without a ``scheme://`` stays a local folder.

* :func:`backup` streams a full or incremental backup set straight from the
  external backup API (:meth:`esepy.Instance.external_backup`) into object
  storage: multipart uploads from the engine's reads, no local copy, a
  ``Content-MD5`` on every request (the server checks each part), the ETag of
  every object compared with the one computed locally, and a SHA-256 of every
  object in the set's ``manifest.json``, written last.
* :func:`download` chooses the sets a restore needs (the newest full set, then
  the incremental sets that continue it, only as far as ``stop_at`` needs),
  downloads them in parallel into one folder, verifying each object's size and
  SHA-256; :func:`restore` then runs the normal restore on that folder.

Layout under ``s3://bucket/prefix/``: one folder per set, named by its start
time and kind (``20261207T094512.123456Z-full/``), holding the set's files
under their backup names and ``manifest.json``.  A set without its manifest is
incomplete (a backup that failed midway) and is ignored.  An incremental set
holds only the log generations the archive does not have yet; the generations
it shares with earlier sets are read, compared by SHA-256 and not uploaded again.

Configuration (:class:`S3Options`): endpoint, region, profile, credentials and
addressing style; anything left None comes from the usual AWS sources
(``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``,
``AWS_PROFILE``, ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL_S3`` /
``AWS_ENDPOINT_URL``, ``~/.aws/config`` and ``~/.aws/credentials``).  Path-style
addressing is the default whenever an endpoint is set (S3-compatible servers);
``ESEPY_S3_ADDRESSING_STYLE`` (``path``, ``virtual``, ``auto``) overrides it.

Every failure is an :class:`ArchiveError` subclass (see the classes below);
the engine's own errors (:mod:`esepy.errors`) pass through unchanged.  boto3 is
imported only when a URL is used (``pip install 'esepy[s3]'``).
"""
from __future__ import annotations

import base64
import concurrent.futures as _cf
import datetime as _dt
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import errors, inspection
from ._backup import Progress, StopAt

__all__ = [
    "ArchiveError", "UnsupportedURL", "ArchiveNotAvailable", "AccessDenied", "StorageUnreachable",
    "BucketNotFound", "ObjectMissing", "ChecksumMismatch", "ManifestInvalid", "NoBackupSet",
    "GenerationGap", "LogStreamMismatch", "S3Options", "ArchiveURL", "BackupSetInfo",
    "is_url", "parse_url", "make_client", "backup", "list_sets", "select_sets", "download", "restore", "prune",
    "CircularLogging", "ArchiverStopped", "LogArchiver", "ArchiverStatus", "Standby", "StandbyStatus",
    "ArchivedGeneration", "list_generations", "stream_id",
]

_log = logging.getLogger("esepy")

MANIFEST = "manifest.json"
FORMAT = "esepy-backup-set"
VERSION = 1
_MiB = 1 << 20
_MIN_PART = 5 * _MiB          # S3: every part but the last is at least 5 MiB
_MAX_PARTS = 9000             # S3 allows 10,000; keep a margin
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SET_ID = re.compile(r"[0-9]{8}T[0-9]{6}\.[0-9]{6}Z-(?:full|incremental)")


# ---------------------------------------------------------------------------
# Errors

class ArchiveError(Exception):
    """Base of every error of backups to and restores from object storage.

    ``url`` is the archive (or object) concerned when known.
    """

    def __init__(self, message: str, url: Optional[str] = None) -> None:
        super().__init__(message)
        self.url = url


class UnsupportedURL(ArchiveError, ValueError):
    """A ``scheme://`` target whose scheme esepy does not know (only ``s3`` is), or a
    malformed ``s3://`` URL (no bucket, a bucket name shorter than 3 characters)."""


class ArchiveNotAvailable(ArchiveError, ImportError):
    """boto3 is not installed: ``pip install 'esepy[s3]'``."""


class AccessDenied(ArchiveError):
    """The storage refused the credentials or the request: a wrong key or secret
    (``InvalidAccessKeyId``, ``SignatureDoesNotMatch``), ``AccessDenied``, expired
    or missing credentials."""


class StorageUnreachable(ArchiveError):
    """The endpoint did not answer (connection refused, timeouts) after the retries."""


class BucketNotFound(ArchiveError):
    """The URL's bucket does not exist."""


class ObjectMissing(ArchiveError):
    """An object a manifest lists is not in the storage."""


class ChecksumMismatch(ArchiveError):
    """An object's size or SHA-256 differs from its manifest's (a corrupted object),
    or the ETag the storage computed at upload differs from the local one."""


class ManifestInvalid(ArchiveError):
    """A ``manifest.json`` that is not valid JSON or not an esepy manifest of a
    known version."""


class NoBackupSet(ArchiveError):
    """No complete set where one is needed: restoring from an empty archive, a
    point in time before every full set, an incremental backup with no full set
    of the same log stream in the archive."""


class GenerationGap(ArchiveError):
    """The log generations would not be continuous: an incremental backup whose
    first new generation does not follow the archive's last, or a chain of sets
    with a generation missing."""


class LogStreamMismatch(ArchiveError):
    """A generation of an incremental backup differs from the archived generation
    of the same number (another log stream, or a damaged log)."""


# ---------------------------------------------------------------------------
# URLs and configuration

@dataclass(frozen=True)
class ArchiveURL:
    """A parsed ``s3://bucket/prefix`` URL (the prefix without slashes at either end)."""

    bucket: str
    prefix: str

    def key(self, *parts: str) -> str:
        """The object key of ``parts`` under the prefix."""
        return "/".join(p for p in (self.prefix, *parts) if p)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


def is_url(target: Any) -> bool:
    """True when ``target`` is a string of the form ``scheme://...`` (known or not)."""
    return isinstance(target, str) and _SCHEME.match(target) is not None


def parse_url(url: str) -> ArchiveURL:
    """Parse ``s3://bucket[/prefix]``; :class:`UnsupportedURL` for anything else."""
    m = _SCHEME.match(url)
    if m is None:
        raise UnsupportedURL(f"{url!r} is not a URL (expected s3://bucket/prefix)", url)
    scheme = m.group(1).lower()
    if scheme != "s3":
        raise UnsupportedURL(f"unsupported URL scheme {scheme!r} in {url!r}: esepy backs up to local "
                             f"folders and to s3://bucket/prefix URLs", url)
    rest = url[m.end():]
    bucket, _, prefix = rest.partition("/")
    if "?" in rest or "#" in rest:
        raise UnsupportedURL(f"{url!r}: query strings and fragments are not supported "
                             f"(configure the storage with S3Options or the AWS variables)", url)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{2,62}", bucket):
        raise UnsupportedURL(f"{url!r}: {bucket!r} is not a bucket name (3 to 63 letters, digits, "
                             f"dots, hyphens)", url)
    prefix = prefix.strip("/")
    if any(p in ("", ".", "..") for p in prefix.split("/")) and prefix:
        raise UnsupportedURL(f"{url!r}: empty, '.' or '..' components in the prefix", url)
    return ArchiveURL(bucket, prefix)


@dataclass(frozen=True)
class S3Options:
    """How to reach the storage; None takes the usual AWS default (see the module doc).

    ``endpoint_url`` for S3-compatible servers (``http://127.0.0.1:8333``);
    ``addressing_style`` ``"path"``, ``"virtual"`` or ``"auto"`` (default: path when
    an endpoint is set); ``max_concurrency`` parallel part uploads and downloads;
    ``part_size`` the multipart part size (grown for very large files to stay
    under 10,000 parts); ``max_attempts`` of every request (botocore's standard
    retries, with backoff); ``verify_etag`` compares each object's ETag with the
    MD5 computed while uploading (turn it off for SSE-KMS / SSE-C buckets, whose
    ETags are not MD5s).
    """

    endpoint_url: Optional[str] = None
    region: Optional[str] = None
    profile: Optional[str] = None
    access_key_id: Optional[str] = None
    secret_access_key: Optional[str] = None
    session_token: Optional[str] = None
    addressing_style: Optional[str] = None
    max_concurrency: int = 4
    part_size: int = 8 * _MiB
    max_attempts: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    verify_etag: bool = True

    def resolved_endpoint(self) -> Optional[str]:
        """The endpoint: this option, else ``AWS_ENDPOINT_URL_S3``, else ``AWS_ENDPOINT_URL``."""
        return self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None

    def resolved_addressing_style(self) -> Optional[str]:
        """The addressing style: this option, else ``ESEPY_S3_ADDRESSING_STYLE``, else
        ``"path"`` when an endpoint is set, else None (botocore's choice)."""
        style = self.addressing_style or os.environ.get("ESEPY_S3_ADDRESSING_STYLE") or None
        if style is None and self.resolved_endpoint():
            style = "path"
        if style is not None and style not in ("path", "virtual", "auto"):
            raise ValueError(f"addressing_style must be 'path', 'virtual' or 'auto', not {style!r}")
        return style


def _boto() -> Tuple[Any, Any, Any]:
    try:
        import boto3
        import botocore.config
        import botocore.exceptions
    except ImportError as e:
        raise ArchiveNotAvailable(f"backups to s3:// URLs need boto3: pip install 'esepy[s3]' ({e})") from None
    return boto3, botocore.config, botocore.exceptions


def make_client(options: Optional[S3Options] = None) -> Any:
    """A boto3 S3 client configured by ``options`` (and the AWS defaults)."""
    opts = options or S3Options()
    boto3, bconfig, _ = _boto()
    try:
        session = boto3.session.Session(profile_name=opts.profile) if opts.profile else boto3.session.Session()
    except Exception as e:  # botocore's ProfileNotFound, a malformed config file
        raise ArchiveError(f"cannot configure the S3 client: {e}") from e
    s3cfg: Dict[str, Any] = {}
    style = opts.resolved_addressing_style()
    if style:
        s3cfg["addressing_style"] = style
    cfg = bconfig.Config(s3=s3cfg, retries={"mode": "standard", "max_attempts": opts.max_attempts},
                         connect_timeout=opts.connect_timeout, read_timeout=opts.read_timeout,
                         max_pool_connections=max(10, 2 * opts.max_concurrency))
    region = opts.region or session.region_name or ("us-east-1" if opts.resolved_endpoint() else None)
    try:
        return session.client("s3", endpoint_url=opts.resolved_endpoint(), region_name=region,
                              aws_access_key_id=opts.access_key_id, aws_secret_access_key=opts.secret_access_key,
                              aws_session_token=opts.session_token, config=cfg)
    except Exception as e:  # botocore's ProfileNotFound, InvalidEndpoint, ...
        raise ArchiveError(f"cannot configure the S3 client: {e}") from e


_DENIED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
           "TokenRefreshRequired", "InvalidClientTokenId", "AllAccessDisabled", "403", "Forbidden"}


def _translate(e: BaseException, what: str, url: Optional[str] = None) -> BaseException:
    """The ArchiveError for a botocore exception (``e`` itself when it is not one)."""
    _, _, bexc = _boto()
    if isinstance(e, ArchiveError):
        return e
    if isinstance(e, bexc.ClientError):
        err = e.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        msg = f"{what}: {code or status} {err.get('Message', '')}".rstrip()
        if code in _DENIED or status == 403:
            return AccessDenied(msg, url)
        if code == "NoSuchBucket":
            return BucketNotFound(msg, url)
        if code in ("NoSuchKey", "404", "NotFound") or status == 404:
            return ObjectMissing(msg, url)
        if code in ("BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch", "XAmzContentSHA256Mismatch"):
            return ChecksumMismatch(msg, url)
        return ArchiveError(msg, url)
    if isinstance(e, (bexc.NoCredentialsError, bexc.PartialCredentialsError)):
        return AccessDenied(f"{what}: {e}", url)
    if isinstance(e, (bexc.EndpointConnectionError, bexc.ConnectionClosedError, bexc.ConnectTimeoutError,
                      bexc.ReadTimeoutError)):
        return StorageUnreachable(f"{what}: {e}", url)
    if isinstance(e, bexc.BotoCoreError):
        return ArchiveError(f"{what}: {e}", url)
    return e


def _call(what: str, url: Optional[str], fn: Callable[..., Any], **kw: Any) -> Any:
    try:
        return fn(**kw)
    except Exception as e:
        t = _translate(e, what, url)
        if t is e:
            raise
        raise t from e


# ---------------------------------------------------------------------------
# Manifests

@dataclass
class BackupSetInfo:
    """A complete set of an archive, as its manifest describes it."""

    id: str
    kind: str                          #: "full" or "incremental"
    base: str                          #: the full set this one continues (itself for a full set)
    parent: Optional[str]              #: the set this one continues (None for a full set)
    started: _dt.datetime
    finished: _dt.datetime
    log_signature: Optional[str]
    generations: List[int]             #: the generations this set holds (new ones only for incrementals)
    manifest: Dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def last_generation(self) -> int:
        """The highest generation of the set (0 when it has none)."""
        return max(self.generations) if self.generations else 0

    @classmethod
    def from_manifest(cls, m: Dict[str, Any], where: str) -> "BackupSetInfo":
        """Check and read a manifest dict (:class:`ManifestInvalid` when malformed)."""
        try:
            if m.get("format") != FORMAT or m.get("version") != VERSION:
                raise ManifestInvalid(f"{where}: not an esepy backup-set manifest of version {VERSION}", where)
            return cls(id=str(m["set"]), kind=str(m["kind"]), base=str(m["base"]), parent=m.get("parent"),
                       started=_dt.datetime.fromisoformat(m["started"]),
                       finished=_dt.datetime.fromisoformat(m["finished"]),
                       log_signature=m.get("log_signature"),
                       generations=[int(g["generation"]) for g in m["generations"]], manifest=m)
        except (KeyError, TypeError, ValueError) as e:
            raise ManifestInvalid(f"{where}: malformed manifest ({e!r})", where) from None


def list_sets(url: str, options: Optional[S3Options] = None, *, client: Any = None) -> List[BackupSetInfo]:
    """The complete sets under ``url``, oldest first (sets without a manifest are skipped)."""
    au = parse_url(url)
    c = client or make_client(options)
    root = au.key() + "/" if au.prefix else ""
    ids: List[str] = []
    token: Optional[str] = None
    while True:
        kw: Dict[str, Any] = {"Bucket": au.bucket, "Prefix": root, "Delimiter": "/"}
        if token:
            kw["ContinuationToken"] = token
        page = _call(f"listing {au}", url, c.list_objects_v2, **kw)
        ids += [sid for sid in (p["Prefix"][len(root):].rstrip("/") for p in page.get("CommonPrefixes", []))
                if _SET_ID.fullmatch(sid)]  # other folders under the prefix are not sets
        if not page.get("IsTruncated"):
            break
        token = page.get("NextContinuationToken")
    sets = []
    bexc = _boto()[2]
    for sid in sorted(ids):
        key = au.key(sid, MANIFEST)
        try:
            body = c.get_object(Bucket=au.bucket, Key=key)["Body"].read()
        except bexc.ClientError as e:
            t = _translate(e, f"reading s3://{au.bucket}/{key}", url)
            if isinstance(t, ObjectMissing):
                continue  # an incomplete set
            raise t from e
        except Exception as e:
            t = _translate(e, f"reading s3://{au.bucket}/{key}", url)
            if t is e:
                raise
            raise t from e
        try:
            m = json.loads(body)
        except ValueError:
            raise ManifestInvalid(f"s3://{au.bucket}/{key} is not valid JSON", url) from None
        info = BackupSetInfo.from_manifest(m, f"s3://{au.bucket}/{key}")
        if info.id != sid:
            raise ManifestInvalid(f"s3://{au.bucket}/{key} names set {info.id!r}", url)
        sets.append(info)
    return sets


def _chain(sets: List[BackupSetInfo], last: BackupSetInfo) -> List[BackupSetInfo]:
    """The sets from ``last``'s full set to ``last``, following ``parent`` links."""
    by_id = {s.id: s for s in sets}
    out = [last]
    while out[-1].parent is not None:
        p = by_id.get(out[-1].parent)
        if p is None:
            raise GenerationGap(f"set {out[-1].id} continues set {out[-1].parent}, which is not in the archive")
        out.append(p)
    out.reverse()
    return out


# ---------------------------------------------------------------------------
# Backup

def _read_full(f: Any, n: int) -> bytes:
    parts: List[bytes] = []
    got = 0
    while got < n:
        b = f.read(n - got)
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


class _Uploader:
    """Uploads the files of one set; remembers what it wrote so a failure can remove it."""

    def __init__(self, client: Any, au: ArchiveURL, url: str, set_id: str, opts: S3Options,
                 progress: Optional[Callable[[Progress], Any]]) -> None:
        self.c, self.au, self.url, self.set_id, self.opts = client, au, url, set_id, opts
        self.written: List[str] = []
        self.progress = progress
        self.done = 0
        self.total = 0
        self.lock = threading.Lock()
        self.pool = _cf.ThreadPoolExecutor(max_workers=max(1, opts.max_concurrency),
                                           thread_name_prefix="esepy-s3-upload")

    def report(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(Progress("backup", stage, self.done // 1024, max(self.total, self.done) // 1024))

    def put_stream(self, name: str, f: Any, size: int, first: Optional[bytes] = None) -> Dict[str, Any]:
        """Upload the rest of stream ``f`` (``first`` already read from it) as ``name``."""
        key = self.au.key(self.set_id, name)
        where = f"uploading {name} to s3://{self.au.bucket}/{key}"
        self.total += size
        part = max(self.opts.part_size, _MIN_PART, -(-size // _MAX_PARTS))
        part = -(-part // _MiB) * _MiB
        sha = hashlib.sha256()
        buf = first if first is not None else b""
        buf += _read_full(f, part - len(buf)) if len(buf) < part else b""
        if len(buf) < part:  # the whole file fits one request
            sha.update(buf)
            md5 = hashlib.md5(buf)
            r = _call(where, self.url, self.c.put_object, Bucket=self.au.bucket, Key=key, Body=buf,
                      ContentMD5=base64.b64encode(md5.digest()).decode())
            self.written.append(key)
            self._check_etag(r.get("ETag"), md5.hexdigest(), key)
            self.done += len(buf)
            self.report("progress")
            return self._entry(name, key, len(buf), sha.hexdigest(), size)
        up = _call(where, self.url, self.c.create_multipart_upload, Bucket=self.au.bucket, Key=key)
        upload_id = up["UploadId"]
        futures: List["_cf.Future[Dict[str, Any]]"] = []
        digests: List[bytes] = []
        slots = threading.BoundedSemaphore(max(1, self.opts.max_concurrency))
        total = 0
        try:
            n = 0
            while buf:
                n += 1
                sha.update(buf)
                d = hashlib.md5(buf).digest()
                digests.append(d)
                total += len(buf)
                slots.acquire()
                futures.append(self.pool.submit(self._part, slots, where, key, upload_id, n, buf, d))
                self._reap(futures)
                self.report("progress")  # from this thread only: the callable may raise to cancel
                buf = _read_full(f, part)
            parts = [fu.result() for fu in futures]
            self.report("progress")
            r = _call(where, self.url, self.c.complete_multipart_upload, Bucket=self.au.bucket, Key=key,
                      UploadId=upload_id, MultipartUpload={"Parts": parts})
        except BaseException:
            for fu in futures:
                fu.cancel()
            _cf.wait(futures)
            try:
                self.c.abort_multipart_upload(Bucket=self.au.bucket, Key=key, UploadId=upload_id)
            except Exception:  # the storage may be unreachable: the original error matters
                _log.warning("esepy archive: could not abort the multipart upload of %s", key)
            raise
        self.written.append(key)
        self._check_etag(r.get("ETag"), hashlib.md5(b"".join(digests)).hexdigest() + f"-{len(digests)}", key)
        return self._entry(name, key, total, sha.hexdigest(), size)

    def _reap(self, futures: List["_cf.Future[Dict[str, Any]]"]) -> None:
        for fu in futures:
            if fu.done() and fu.exception() is not None:
                raise fu.exception()  # type: ignore[misc]

    def _part(self, slots: threading.BoundedSemaphore, where: str, key: str, upload_id: str, n: int,
              data: bytes, md5: bytes) -> Dict[str, Any]:
        try:
            r = _call(f"{where} (part {n})", self.url, self.c.upload_part, Bucket=self.au.bucket, Key=key,
                      UploadId=upload_id, PartNumber=n, Body=data, ContentMD5=base64.b64encode(md5).decode())
            etag = str(r.get("ETag", ""))
            if self.opts.verify_etag and etag.strip('"') != md5.hex():
                raise ChecksumMismatch(f"{where}: part {n} stored with ETag {etag}, expected {md5.hex()}",
                                       self.url)
            with self.lock:
                self.done += len(data)
            return {"PartNumber": n, "ETag": etag}
        finally:
            slots.release()

    def _check_etag(self, etag: Optional[str], expected: str, key: str) -> None:
        if self.opts.verify_etag and (etag or "").strip('"') != expected:
            raise ChecksumMismatch(f"s3://{self.au.bucket}/{key} stored with ETag {etag}, expected {expected}",
                                   self.url)

    def _entry(self, name: str, key: str, got: int, sha: str, size: int) -> Dict[str, Any]:
        if got != size:
            raise ArchiveError(f"{name}: the engine gave {got} bytes, announced {size}", self.url)
        return {"name": name, "key": key[len(self.au.key()) + 1:] if self.au.prefix else key,
                "size": got, "sha256": sha}

    def put_json(self, name: str, obj: Dict[str, Any]) -> None:
        body = json.dumps(obj, indent=1, sort_keys=True).encode()
        md5 = hashlib.md5(body)
        key = self.au.key(self.set_id, name)
        r = _call(f"writing s3://{self.au.bucket}/{key}", self.url, self.c.put_object, Bucket=self.au.bucket,
                  Key=key, Body=body, ContentType="application/json",
                  ContentMD5=base64.b64encode(md5.digest()).decode())
        self.written.append(key)
        self._check_etag(r.get("ETag"), md5.hexdigest(), key)

    def remove_written(self) -> None:
        for key in reversed(self.written):
            try:
                self.c.delete_object(Bucket=self.au.bucket, Key=key)
            except Exception:
                _log.warning("esepy archive: could not remove s3://%s/%s of a failed backup", self.au.bucket, key)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def _kind_of(name: str) -> str:
    if name.endswith(".pat"):
        return "patch"
    if re.fullmatch(r".{3}(?:[0-9A-Fa-f]{5}|[0-9A-Fa-f]{8})\.log", name):
        return "log"
    return "database"


def backup(instance: Any, url: str, *, incremental: bool = False,
           progress: Optional[Callable[[Progress], Any]] = None,
           options: Optional[S3Options] = None) -> BackupSetInfo:
    """Back up ``instance`` (an initialized :class:`esepy.Instance`) to ``url``.

    A full backup writes a new self-contained set; an incremental one a set of
    the generations written since the archive's newest set of the same log
    stream (:class:`NoBackupSet` when there is none, :class:`GenerationGap` when
    a generation in between is gone).  On success the logs are truncated and the
    backup is recorded in the database headers, as for a backup to a folder; on
    any failure the external backup is aborted (nothing is truncated), the
    objects of the unfinished set are removed (best effort) and its manifest is
    never written.  Returns the new set's :class:`BackupSetInfo`.
    """
    au = parse_url(url)
    opts = options or S3Options()
    c = make_client(opts)
    started = _now()
    earlier = list_sets(url, client=c) if incremental else []
    if not incremental:
        _call(f"checking the bucket of {au}", url, c.list_objects_v2, Bucket=au.bucket, MaxKeys=1)
    set_id = started.strftime("%Y%m%dT%H%M%S.%fZ") + ("-incremental" if incremental else "-full")
    up = _Uploader(c, au, url, set_id, opts, progress)
    files: List[Dict[str, Any]] = []
    gens: List[Dict[str, Any]] = []
    dbs: List[Dict[str, Any]] = []
    log_sig: Optional[str] = None
    base_name: Optional[str] = None
    parent: Optional[BackupSetInfo] = None
    known: Dict[int, str] = {}
    expected_next = 0
    _log.info("esepy archive: %s backup to %s started (set %s)", "incremental" if incremental else "full", url, set_id)
    up.report("begin")
    try:
        # With a LogArchiver running, the archiver deletes what it shipped: the backup
        # must not truncate a generation the archive may not hold yet.
        archiving = bool(getattr(instance, "_archivers", None))
        with instance.external_backup(incremental=incremental, truncate=not archiving) as b:
            db_paths = {os.path.basename(p): p for p in b.databases()}
            for f in b:
                kind = _kind_of(f.name)
                first = _read_full(f, 65536) if kind != "patch" else b""
                if kind == "log":
                    h = inspection._decode_log_header(f.name, first)
                    sig = str(h.signature)
                    if log_sig is None:
                        log_sig, base_name = sig, f.name[:3]
                        if incremental:
                            parent, known = _incremental_parent(earlier, sig, c, au, url)
                            expected_next = parent.manifest["chain_last_generation"] + 1
                    elif sig != log_sig:
                        raise LogStreamMismatch(f"{f.name} belongs to another log stream than the set's first "
                                                f"generation", url)
                    if incremental and (h.generation in known or h.generation < min(known, default=0)):
                        # archived already (or older than the whole chain): read, compare, skip
                        rest = hashlib.sha256(first)
                        while True:
                            chunk = f.read(_MiB)
                            if not chunk:
                                break
                            rest.update(chunk)
                        if h.generation in known and rest.hexdigest() != known[h.generation]:
                            raise LogStreamMismatch(f"generation {h.generation} ({f.name}) differs from the "
                                                    f"archived one", url)
                        continue
                    if incremental and h.generation != expected_next:
                        raise GenerationGap(f"generation {h.generation} would follow generation "
                                            f"{expected_next - 1} of the archive: generations "
                                            f"{expected_next}..{h.generation - 1} are missing (back up fully "
                                            f"again)", url)
                    expected_next = h.generation + 1
                    entry = up.put_stream(f.name, f, f.size, first)
                    entry.update(kind="log", generation=h.generation)
                    gens.append({"generation": h.generation, "name": f.name, "size": entry["size"],
                                 "sha256": entry["sha256"],
                                 "created": h.created.isoformat() if h.created else None})
                else:
                    entry = up.put_stream(f.name, f, f.size, first)
                    entry["kind"] = kind
                    if kind == "database":
                        d: Dict[str, Any] = {"name": f.name, "path": db_paths.get(f.name, f.path),
                                             "size": entry["size"], "sha256": entry["sha256"]}
                        try:
                            hd = inspection._decode_header(f.name, first, "A", (True, True))
                            d.update(db_signature=str(hd.db_signature), page_size=hd.page_size,
                                     log_signature=str(hd.log_signature))
                        except Exception:  # the header is informative only
                            pass
                        dbs.append(d)
                files.append(entry)
            if incremental and not gens:
                raise GenerationGap("the incremental backup brought no new generation", url)
            finished = _now()
            chain_last = max([g["generation"] for g in gens] or [0])
            manifest: Dict[str, Any] = {
                "format": FORMAT, "version": VERSION, "set": set_id,
                "kind": "incremental" if incremental else "full",
                "base": parent.base if parent else set_id, "parent": parent.id if parent else None,
                "started": started.isoformat(), "finished": finished.isoformat(),
                "instance": getattr(instance, "name", None), "log_signature": log_sig, "base_name": base_name,
                "databases": dbs, "generations": gens, "chain_last_generation": chain_last,
                "files": files, "bytes": sum(e["size"] for e in files),
            }
            up.put_json(MANIFEST, manifest)  # the set exists from here on
            up.report("complete")
        # the with block truncated the logs and recorded the backup
    except BaseException as e:
        up.remove_written()
        up.close()
        _log.warning("esepy archive: backup to %s failed: %s", url, e)
        if progress is not None and not isinstance(e, KeyboardInterrupt):
            try:
                up.report("fail")
            except Exception:
                pass
        raise
    up.close()
    _log.info("esepy archive: backup set %s written to %s (%d files, %d bytes)", set_id, url, len(files),
              manifest["bytes"])
    return BackupSetInfo.from_manifest(manifest, set_id)


def _incremental_parent(earlier: List[BackupSetInfo], sig: str, client: Any, au: ArchiveURL,
                        url: str) -> Tuple[BackupSetInfo, Dict[int, str]]:
    same = [s for s in earlier if s.log_signature == sig]
    if not same:
        raise NoBackupSet(f"no full backup set of this log stream in {url}: take a full backup there first", url)
    parent = same[-1]
    known: Dict[int, str] = {}
    for s in _chain(earlier, parent):
        for g in s.manifest["generations"]:
            known[int(g["generation"])] = str(g["sha256"])
    return parent, known


# ---------------------------------------------------------------------------
# Retention

def prune(url: str, keep_full: int, options: Optional[S3Options] = None, *,
          dry_run: bool = False) -> List[str]:
    """Keep the newest ``keep_full`` full sets and every incremental set that continues
    them; delete the other sets, and the incomplete ones (no manifest) older than the
    oldest kept full set.  Continuously archived generations (``prefix/logs/<stream>/``,
    :class:`LogArchiver`) older than the first generation of the oldest kept full set of
    their log stream are deleted too: no restore from a kept set can need them.  Streams
    without a kept full set are left alone.  Returns the ids of the sets deleted and the
    ``logs/<stream>/<file>`` names of the generations deleted (or that would be, with
    ``dry_run``).  A set's manifest is deleted first, so an interrupted prune leaves
    incomplete sets, never a set that looks complete without its objects; generations go
    oldest first, so an interrupted prune never leaves a gap.
    """
    if keep_full < 1:
        raise ValueError("keep_full must be at least 1")
    au = parse_url(url)
    c = make_client(options)
    sets = list_sets(url, client=c)
    fulls = [s for s in sets if s.kind == "full"]
    if not fulls:
        return []
    kept_bases = {s.id for s in fulls[-keep_full:]}
    oldest_kept = min(kept_bases)
    doomed = [s.id for s in sets if s.base not in kept_bases and s.id < max(kept_bases)]
    complete = {s.id for s in sets}
    root = au.key() + "/" if au.prefix else ""
    keys_by_set: Dict[str, List[str]] = {}
    token: Optional[str] = None
    while True:
        kw: Dict[str, Any] = {"Bucket": au.bucket, "Prefix": root}
        if token:
            kw["ContinuationToken"] = token
        page = _call(f"listing {au}", url, c.list_objects_v2, **kw)
        for o in page.get("Contents", []):
            sid = o["Key"][len(root):].split("/", 1)[0]
            if _SET_ID.fullmatch(sid):
                keys_by_set.setdefault(sid, []).append(o["Key"])
        if not page.get("IsTruncated"):
            break
        token = page.get("NextContinuationToken")
    doomed += [sid for sid in keys_by_set if sid not in complete and sid < oldest_kept]
    old_logs = _unneeded_generations(url, c, fulls[-keep_full:])
    if dry_run:
        return sorted(doomed) + [f"logs/{st}/{a.name}" for st, a in old_logs]
    for sid in sorted(doomed):
        keys = sorted(keys_by_set.get(sid, []), key=lambda k: not k.endswith("/" + MANIFEST))
        for key in keys:
            _call(f"deleting s3://{au.bucket}/{key}", url, c.delete_object, Bucket=au.bucket, Key=key)
        _log.info("esepy archive: deleted set %s of %s (retention: %d full sets)", sid, url, keep_full)
    for st, a in old_logs:
        _call(f"deleting s3://{au.bucket}/{a.key}", url, c.delete_object, Bucket=au.bucket, Key=a.key)
    if old_logs:
        _log.info("esepy archive: deleted %d archived generations of %s (retention: %d full sets)",
                  len(old_logs), url, keep_full)
    return sorted(doomed) + [f"logs/{st}/{a.name}" for st, a in old_logs]


def _unneeded_generations(url: str, c: Any, kept_fulls: List["BackupSetInfo"]) -> List[Tuple[str, Any]]:
    """(stream, ArchivedGeneration) of every archived generation older than the first
    generation of the oldest kept full set of its stream, oldest first."""
    from ._logship import list_generations, stream_id
    first: Dict[str, int] = {}
    for s in kept_fulls:
        if s.log_signature and s.generations:
            st = stream_id(s.log_signature)
            first[st] = min(first.get(st, min(s.generations)), min(s.generations))
    out: List[Tuple[str, Any]] = []
    for st, g0 in sorted(first.items()):
        out += [(st, a) for a in list_generations(url, st, client=c) if a.generation < g0]
    return out


# ---------------------------------------------------------------------------
# Restore

def _utc(t: _dt.datetime) -> _dt.datetime:
    return t.astimezone(_dt.timezone.utc)


def select_sets(sets: List[BackupSetInfo], stop_at: Optional[StopAt] = None,
                set_id: Optional[str] = None) -> List[BackupSetInfo]:
    """The chain of sets a restore needs: a full set and the incremental sets after it.

    Without ``stop_at``: the newest set and its chain (or ``set_id``'s chain).  With
    a datetime: the newest full set finished before it, then its incremental sets
    up to the first one started after it (that one holds the commits up to the
    moment).  With a log position: the newest full set whose generations end at
    or before its generation, then the incremental sets up to the one holding it.
    """
    if not sets:
        raise NoBackupSet("the archive holds no complete backup set")
    if set_id is not None:
        chosen = [s for s in sets if s.id == set_id]
        if not chosen:
            raise NoBackupSet(f"no complete backup set {set_id!r} in the archive")
        chain = _chain(sets, chosen[0])
    else:
        chain = _chain(sets, sets[-1])
    if stop_at is None:
        return chain
    fulls = [s for s in sets if s.kind == "full"]
    stop_time: Optional[_dt.datetime] = None
    stop_gen = 0
    if isinstance(stop_at, _dt.datetime):
        t = _utc(stop_at)
        ok = [s for s in fulls if s.finished <= t]
        if set_id is None and not ok:
            raise NoBackupSet(f"no full backup set finished before {stop_at.isoformat()}")
        base = chain[0] if set_id is not None else ok[-1]
        stop_time = t
    elif isinstance(stop_at, tuple) and len(stop_at) == 3:
        gen = int(stop_at[0])
        ok = [s for s in fulls if s.last_generation <= gen]
        if set_id is None and not ok:
            raise NoBackupSet(f"no full backup set ends at or before generation {gen}")
        base = chain[0] if set_id is not None else ok[-1]
        stop_gen = gen
    else:
        raise TypeError("stop_at must be a datetime or a (generation, sector, offset) tuple")
    # follow the newest chain starting at base
    later = [s for s in sets if s.base == base.id]
    out = _chain(sets, later[-1]) if set_id is None else chain
    picked: List[BackupSetInfo] = []
    for s in out:
        picked.append(s)
        if s.kind == "incremental" and (s.started >= stop_time if stop_time is not None
                                        else s.last_generation >= stop_gen):
            break
    return picked


def _stop_inside(chain: List[BackupSetInfo], stop_at: StopAt) -> bool:
    """Whether ``stop_at`` falls inside the last incremental set of ``chain`` (not after it)."""
    last = chain[-1]
    if last.kind != "incremental":
        return False
    if isinstance(stop_at, _dt.datetime):
        return last.started >= _utc(stop_at)
    return last.last_generation >= int(stop_at[0])


def _check_continuity(chain: List[BackupSetInfo], url: str) -> None:
    have = sorted({g for s in chain for g in s.generations})
    if not have:
        raise GenerationGap(f"the chosen sets of {url} hold no log generation", url)
    missing = [g for g in range(have[0], have[-1] + 1) if g not in have]
    if missing:
        raise GenerationGap(f"generations {missing} are missing from the sets {[s.id for s in chain]} of {url}", url)
    for s in chain[1:]:
        if s.log_signature != chain[0].log_signature:
            raise LogStreamMismatch(f"set {s.id} belongs to another log stream than set {chain[0].id}", url)


def download(url: str, folder: Union[str, "os.PathLike[str]"], *, stop_at: Optional[StopAt] = None,
             set_id: Optional[str] = None, options: Optional[S3Options] = None,
             log_folder: Optional[Union[str, "os.PathLike[str]"]] = None,
             archived: bool = True) -> List[BackupSetInfo]:
    """Download into ``folder`` (created, must be empty) the sets a restore to ``stop_at`` needs.

    With ``archived`` (the default), the generations continuous archiving
    (:class:`LogArchiver`) stored after the chosen sets follow them, as far as
    ``stop_at`` needs (all without one; a generation whose creation time is after
    a time stop is not needed), each checked against the size and SHA-256 it was
    archived with; a generation missing there ends them (a warning names it).

    The full set goes to ``folder``; the generations of the incremental sets go
    there too, or to ``log_folder`` when given (the restoring instance's log
    folder, whose generations a restore replays after the set's: the engine
    refuses a stop point inside the backup folder's own generations).  A
    generation already in ``log_folder`` is kept when identical, else
    :class:`LogStreamMismatch`.  Objects are fetched in parallel
    (``options.max_concurrency``), each written as ``name.part``, its size and
    SHA-256 checked against the manifest, then renamed; a mismatch raises
    :class:`ChecksumMismatch`, an object gone :class:`ObjectMissing`.  Returns the
    chain of sets used, full set first.
    """
    return _download(url, folder, stop_at, set_id, options, log_folder, archived)[0]


def _archived_after(url: str, chain: List[BackupSetInfo], stop_at: Optional[StopAt], client: Any
                    ) -> List[Dict[str, Any]]:
    """The generations continuous archiving (:class:`LogArchiver`) stored after the chain's
    last one, as far as ``stop_at`` needs (all without one), as manifest-like file entries;
    a missing generation ends them (with a warning naming it)."""
    from ._logship import list_generations, stream_id
    sig = chain[0].log_signature
    if not sig or (stop_at is not None and _stop_inside(chain, stop_at)):
        return []
    au = parse_url(url)
    last = max(g for s in chain for g in s.generations)
    root_len = len(au.key()) + 1 if au.prefix else 0
    out: List[Dict[str, Any]] = []
    for a in list_generations(url, stream_id(sig), client=client):
        if a.generation <= last:
            continue
        if a.generation != last + 1:
            _log.warning("esepy archive: generation %d is missing from the archived logs of %s: the restore "
                         "stops at generation %d", last + 1, url, last)
            break
        where = f"reading s3://{au.bucket}/{a.key}"
        meta = _call(where, url, client.head_object, Bucket=au.bucket, Key=a.key).get("Metadata", {})
        if isinstance(stop_at, _dt.datetime) and meta.get("esepy-created"):
            if _dt.datetime.fromisoformat(meta["esepy-created"]) > _utc(stop_at):
                break  # created after the stop: every commit it holds is later
        if isinstance(stop_at, tuple) and a.generation > int(stop_at[0]):
            break
        out.append({"name": a.name, "key": a.key[root_len:], "size": a.size,
                    "sha256": str(meta.get("esepy-sha256", "")), "kind": "log", "generation": a.generation})
        last = a.generation
    return out


def _download(url: str, folder: Union[str, "os.PathLike[str]"], stop_at: Optional[StopAt], set_id: Optional[str],
              options: Optional[S3Options], log_folder: Optional[Union[str, "os.PathLike[str]"]],
              archived: bool = True) -> Tuple[List[BackupSetInfo], List[str]]:
    """download(); also returns the paths it wrote into ``log_folder``."""
    opts = options or S3Options()
    au = parse_url(url)
    c = make_client(opts)
    chain = select_sets(list_sets(url, client=c), stop_at, set_id)
    _check_continuity(chain, url)
    extra = _archived_after(url, chain, stop_at, c) if archived else []
    folder = os.fspath(folder)
    logs = folder if log_folder is None else os.fspath(log_folder)
    wanted: Dict[str, Tuple[Dict[str, Any], str]] = {}
    for s in chain:
        for e in s.manifest["files"]:
            target = folder if s.kind == "full" else logs
            wanted[str(e["name"])] = (e, target)  # a later set's copy of a name wins (never differs for logs)
    for e in extra:  # continuous archiving: the generations after the chain
        wanted[str(e["name"])] = (e, logs)
    os.makedirs(folder, exist_ok=True)
    if any(target == logs for _, target in wanted.values()):
        os.makedirs(logs, exist_ok=True)
    if os.listdir(folder):
        raise ArchiveError(f"the download folder {folder} is not empty", url)
    for name, (e, target) in list(wanted.items()):
        if target != folder and os.path.exists(os.path.join(target, name)):
            if _sha256_file(os.path.join(target, name)) != e["sha256"]:
                raise LogStreamMismatch(f"{os.path.join(target, name)} differs from generation {name} of {url}",
                                        url)
            del wanted[name]
    _log.info("esepy archive: downloading %d objects of sets %s from %s", len(wanted), [s.id for s in chain], url)
    with _cf.ThreadPoolExecutor(max_workers=max(1, opts.max_concurrency), thread_name_prefix="esepy-s3-get") as pool:
        futs = [pool.submit(_get_verified, c, au, url, e, target) for e, target in wanted.values()]
        try:
            for fu in _cf.as_completed(futs):
                fu.result()
        except BaseException:
            for fu in futs:
                fu.cancel()
            raise
    return chain, [os.path.join(t, str(e["name"])) for e, t in wanted.values() if t != folder]


def _sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_MiB), b""):
            h.update(chunk)
    return h.hexdigest()


def _get_verified(client: Any, au: ArchiveURL, url: str, entry: Dict[str, Any], folder: str) -> None:
    name = str(entry["name"])
    if os.path.basename(name) != name or name in ("", ".", ".."):
        raise ManifestInvalid(f"a manifest of {url} names the file {name!r}", url)
    key = au.key(str(entry["key"]))
    where = f"downloading s3://{au.bucket}/{key}"
    r = _call(where, url, client.get_object, Bucket=au.bucket, Key=key)
    sha = hashlib.sha256()
    got = 0
    tmp = os.path.join(folder, name + ".part")
    try:
        with open(tmp, "wb") as out:
            body = r["Body"]
            while True:
                try:
                    chunk = body.read(_MiB)
                except Exception as e:
                    t = _translate(e, where, url)
                    if t is e:
                        raise
                    raise t from e
                if not chunk:
                    break
                sha.update(chunk)
                out.write(chunk)
                got += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if got != int(entry["size"]) or sha.hexdigest() != entry["sha256"]:
            raise ChecksumMismatch(f"s3://{au.bucket}/{key} is corrupted: {got} bytes with SHA-256 "
                                   f"{sha.hexdigest()}, the manifest says {entry['size']} bytes with "
                                   f"{entry['sha256']}", url)
        os.replace(tmp, os.path.join(folder, name))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def restore(instance: Any, url: str, dest: Optional[Union[str, "os.PathLike[str]"]] = None, *,
            progress: Optional[Callable[[Progress], Any]] = None, stop_at: Optional[StopAt] = None,
            set_id: Optional[str] = None, options: Optional[S3Options] = None,
            work_dir: Optional[Union[str, "os.PathLike[str]"]] = None) -> List[BackupSetInfo]:
    """Restore from ``url`` with ``instance`` (a created, not initialized :class:`esepy.Instance`).

    The full set is downloaded into a temporary folder (under ``work_dir`` if
    given), the generations of the incremental sets up to ``stop_at`` into the
    instance's log folder (where a restore replays what continues the set, and
    where they stay: they are the restored databases' history); then
    ``instance.restore_instance`` runs on the temporary folder, which is removed
    afterwards whatever happens.  Returns the chain of sets restored."""
    if getattr(instance, "initialized", False):  # before downloading anything
        raise errors.AlreadyInitialized(operation="restore_instance: the instance must be created, not initialized")
    tmp = tempfile.mkdtemp(prefix="esepy-restore-", dir=None if work_dir is None else os.fspath(work_dir))
    try:
        folder = os.path.join(tmp, "set")
        # Without a stop the whole chain is one backup folder; with one, the incremental
        # generations go to the log folder (the engine refuses a stop inside the set).
        inside = False
        if stop_at is not None:
            chain0 = select_sets(list_sets(url, options), stop_at, set_id)
            inside = _stop_inside(chain0, stop_at) or bool(_archived_after(url, chain0, stop_at,
                                                                           make_client(options)))
        log_folder = (instance.get_param("log_path") or ".") if inside else None
        chain, placed = _download(url, folder, stop_at, set_id, options, log_folder)
        try:
            instance.restore_instance(folder, dest, progress=progress, stop_at=stop_at)
        except errors.MissingLogFile:
            if not placed:
                raise
            # The replay reached the end of the downloaded generations before any commit
            # later than the stop: every change they hold is before it.  Restore the same
            # chain as one backup folder instead (the stop then lies after the set).
            _log.info("esepy archive: no commit after the stop in the sets of %s: restoring them whole", url)
            for path in placed:
                if os.path.exists(path):
                    os.unlink(path)
            folder = os.path.join(tmp, "whole")
            chain = download(url, folder, stop_at=stop_at, set_id=set_id, options=options)
            instance.restore_instance(folder, dest, progress=progress, stop_at=stop_at)
        _log.info("esepy archive: restored sets %s of %s", [s.id for s in chain], url)
        return chain
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# Continuous log archiving and warm standby (esepy/_logship.py).
from ._logship import (ArchivedGeneration, ArchiverStatus, ArchiverStopped, CircularLogging,  # noqa: E402
                       LogArchiver, Standby, StandbyStatus, list_generations, stream_id)
