"""Helpers shared by the artefact decoders: opening a source, SIDs, UTF-16 strings, DataFrames."""
from __future__ import annotations

import contextlib
import os
import struct
from typing import Any, Iterator, Optional, Sequence

from .. import ese


def dataframe(rows: Sequence[Any], columns: Sequence[str]) -> Any:
    """A pandas DataFrame of ``rows`` (imported lazily; ``pip install 'esepy[analysis]'``)."""
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("esepy.artifacts returns pandas DataFrames: pip install 'esepy[analysis]'") from exc
    return pd.DataFrame(list(rows), columns=list(columns))


@contextlib.contextmanager
def opened(source: Any, logs: Optional[str]) -> Iterator[ese.EseDatabase]:
    """An :class:`~esepy.ese.EseDatabase` read with the artefacts' FILETIME columns converted.

    ``source`` is a path (opened, recovered first with ``logs``, and closed afterwards) or an
    open EseDatabase (used as it is when opened with ``filetime_columns="known"``; otherwise
    the file it reads -- the recovered copy, if any -- is opened a second time that way)."""
    if isinstance(source, ese.EseDatabase):
        if logs is not None:
            raise ValueError("logs= applies to a path; this database is already open")
        if source._filetime_spec == "known":
            yield source
            return
        db = ese.EseDatabase(source.path, filetime_columns="known")
    else:
        db = ese.open_ese(os.fspath(source), logs=logs, filetime_columns="known")
    try:
        yield db
    finally:
        db.close()


def sid_string(blob: Any) -> Any:
    """A binary SID (revision, sub-authority count, 48-bit big-endian identifier authority,
    32-bit little-endian sub-authorities) as ``S-1-5-21-...`` (an all-zero 8-byte blob, which SRUM
    holds for some ids, is ``S-0-0``); bytes of another length than the count says stay bytes."""
    if not isinstance(blob, (bytes, bytearray)) or len(blob) < 8:
        return blob
    revision, count = blob[0], blob[1]
    if len(blob) != 8 + 4 * count:
        return blob
    authority = int.from_bytes(blob[2:8], "big")
    subs = struct.unpack_from(f"<{count}I", blob, 8)
    return "-".join(["S", str(revision), str(authority)] + [str(x) for x in subs])


def utf16(blob: Any) -> Any:
    """UTF-16LE bytes as a str without the terminating NULs; bytes that are not UTF-16 stay bytes."""
    if not isinstance(blob, (bytes, bytearray)) or len(blob) % 2:
        return blob
    try:
        return bytes(blob).decode("utf-16-le").rstrip("\x00")
    except UnicodeDecodeError:
        return blob

