"""BITS, the Background Intelligent Transfer Service queue (``qmgr.db``, Windows 10 and later).

Tables ``Jobs`` and ``Files``: ``Id`` (GUID) and ``Blob`` (the serialised job or file).
What is decoded, as the community documents it (ANSSI's bits_parser, Mandiant's BitsParser),
and checked while decoding; everything else stays in ``Blob``:

* a job blob: a 16-byte type GUID, then 32-bit ``type``, ``priority`` and ``state`` (Microsoft's
  BG_JOB_TYPE, BG_JOB_PRIORITY and BG_JOB_STATE), a 32-bit field not decoded, the job's GUID
  (checked against ``Id``), five counted UTF-16 strings (a 32-bit count of characters, the
  terminating NUL included): display name, description, notify command, its arguments, owner
  SID; further on, between two copies of the transfer marker GUID
  ``{7756DA36-516F-435A-ACAC-44A248FFF34D}``, a 32-bit file count and the files' GUIDs (the
  ``Id`` of their ``Files`` rows), and 16 bytes after the second marker three FILETIMEs in
  BG_JOB_TIMES order: creation, modification, transfer completion;
* a file blob: a 16-byte type GUID, three counted UTF-16 strings (local destination, remote
  source URL, temporary file), 64-bit total size (``2**64-1``: unknown) and bytes transferred,
  one byte, then the counted strings of the drive and the volume.

A blob that does not have this shape gets ``DecodeError`` (what did not fit) and None fields.
"""
from __future__ import annotations

import struct
import uuid
from typing import Any, Dict, List, Optional, Tuple

from .. import ese
from ._common import dataframe, opened
from ._schemas import BITS_JOB_PRIORITIES, BITS_JOB_STATES, BITS_JOB_TYPES

__all__ = ["decode_job", "decode_file", "jobs", "files", "JOB_FIELDS", "FILE_FIELDS"]

_XFER_MARKER = uuid.UUID("7756da36-516f-435a-acac-44a248fff34d").bytes_le

JOB_FIELDS = ["JobId", "Name", "Description", "Command", "Arguments", "Owner", "Type", "Priority", "State",
              "FileIds", "Created", "Modified", "Completed", "DecodeError"]
FILE_FIELDS = ["FileId", "Destination", "Source", "Temporary", "Size", "Transferred", "Drive", "Volume",
               "DecodeError"]


class _Short(Exception):
    pass


def _u32(b: bytes, off: int) -> int:
    if off + 4 > len(b):
        raise _Short(f"blob ends at {len(b)} bytes, a 32-bit field at {off} is missing")
    v: int = struct.unpack_from("<I", b, off)[0]
    return v


def _u64(b: bytes, off: int) -> int:
    if off + 8 > len(b):
        raise _Short(f"blob ends at {len(b)} bytes, a 64-bit field at {off} is missing")
    v: int = struct.unpack_from("<Q", b, off)[0]
    return v


def _string(b: bytes, off: int) -> Tuple[str, int]:
    """A counted UTF-16 string at ``off``: (text without the NUL, offset after it)."""
    n = _u32(b, off)
    end = off + 4 + 2 * n
    if n > 32768 or end > len(b):
        raise _Short(f"string at {off} counts {n} characters, more than the blob holds")
    try:
        text = b[off + 4:end].decode("utf-16-le")
    except UnicodeDecodeError:
        raise _Short(f"string at {off} is not UTF-16") from None
    return text.rstrip("\x00"), end


def _filetime(b: bytes, off: int) -> Any:
    return ese.filetime_to_datetime(_u64(b, off))


def decode_job(job_id: Any, blob: Any) -> Dict[str, Any]:
    """Decode one ``Jobs`` blob into the :data:`JOB_FIELDS` (``DecodeError`` None when it fit)."""
    out: Dict[str, Any] = {k: None for k in JOB_FIELDS}
    out["JobId"] = job_id
    if not isinstance(blob, (bytes, bytearray)):
        out["DecodeError"] = "no blob"
        return out
    b = bytes(blob)
    try:
        kind, prio, state = _u32(b, 16), _u32(b, 20), _u32(b, 24)
        if len(b) < 48 or (isinstance(job_id, uuid.UUID) and b[32:48] != job_id.bytes_le):
            raise _Short("the job GUID at offset 32 is not the row's Id")
        out["Type"] = BITS_JOB_TYPES.get(kind, str(kind))
        out["Priority"] = BITS_JOB_PRIORITIES.get(prio, str(prio))
        out["State"] = BITS_JOB_STATES.get(state, str(state))
        off = 48
        for field in ("Name", "Description", "Command", "Arguments", "Owner"):
            out[field], off = _string(b, off)
        first = b.find(_XFER_MARKER, off)
        if first < 0:
            raise _Short("no transfer marker after the owner")
        count = _u32(b, first + 16)
        ids_at = first + 20
        second = ids_at + 16 * count
        if count > 4096 or b[second:second + 16] != _XFER_MARKER:
            raise _Short(f"{count} file ids at {ids_at} are not followed by the transfer marker")
        out["FileIds"] = [uuid.UUID(bytes_le=b[ids_at + 16 * i:ids_at + 16 * i + 16]) for i in range(count)]
        t = second + 16 + 16
        out["Created"], out["Modified"], out["Completed"] = (_filetime(b, t), _filetime(b, t + 8),
                                                             _filetime(b, t + 16))
    except _Short as e:
        out["DecodeError"] = str(e)
    return out


def decode_file(file_id: Any, blob: Any) -> Dict[str, Any]:
    """Decode one ``Files`` blob into the :data:`FILE_FIELDS` (``DecodeError`` None when it fit)."""
    out: Dict[str, Any] = {k: None for k in FILE_FIELDS}
    out["FileId"] = file_id
    if not isinstance(blob, (bytes, bytearray)):
        out["DecodeError"] = "no blob"
        return out
    b = bytes(blob)
    try:
        off = 16
        for field in ("Destination", "Source", "Temporary"):
            out[field], off = _string(b, off)
        size = _u64(b, off)
        out["Size"] = None if size == 0xFFFFFFFFFFFFFFFF else size
        out["Transferred"] = _u64(b, off + 8)
        off += 17
        out["Drive"], off = _string(b, off)
        out["Volume"], off = _string(b, off)
    except _Short as e:
        out["DecodeError"] = str(e)
    return out


def _decoded(source: Any, logs: Optional[str], name: str, fields: List[str], fn: Any) -> Any:
    with opened(source, logs) as db:
        rows = []
        for r in db.tables[name]:
            d = fn(r["Id"], r["Blob"])
            rows.append([d[k] for k in fields] + [r["Blob"]])
    return dataframe(rows, fields + ["Blob"])


def jobs(source: Any, *, logs: Optional[str] = None) -> Any:
    """The ``Jobs`` table decoded (:data:`JOB_FIELDS`, times as UTC datetimes) with the raw ``Blob``."""
    return _decoded(source, logs, "Jobs", JOB_FIELDS, decode_job)


def files(source: Any, *, logs: Optional[str] = None) -> Any:
    """The ``Files`` table decoded (:data:`FILE_FIELDS`) with the raw ``Blob``."""
    return _decoded(source, logs, "Files", FILE_FIELDS, decode_file)

