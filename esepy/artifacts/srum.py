"""SRUM, the System Resource Usage Monitor (``C:\\Windows\\System32\\sru\\SRUDB.dat``).

Windows records per application and user, about once an hour, what each provider measures
(network bytes, CPU cycles, I/O, connections, energy) in tables named by the provider's
GUID; ``SruDbIdMapTable`` maps the integers of the ``AppId`` and ``UserId`` columns to what
they stand for.  Every function takes a path (with ``logs=`` a dirty database is recovered
first, see :func:`esepy.recover_ese`) or an open :class:`esepy.ese.EseDatabase`, and
returns a pandas DataFrame.

    from esepy.artifacts import srum
    net = srum.network_usage("SRUDB.dat", logs="sru/")
    net.groupby("App")[["BytesSent", "BytesRecvd"]].sum()
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ._common import dataframe, opened, sid_string, utf16
from ._schemas import SRUM_ID_TYPES, SRUM_PROVIDERS

__all__ = ["decode_id_blob", "id_map", "providers", "table", "network_usage", "network_connectivity",
           "application_resource_usage", "push_notifications", "energy_usage", "energy_usage_long_term",
           "energy_estimator", "application_timeline", "vfu", "SRUM_PROVIDERS", "SRUM_ID_TYPES"]

ID_MAP = "SruDbIdMapTable"
_BY_NAME = {v: k for k, v in SRUM_PROVIDERS.items()}


def decode_id_blob(id_type: int, blob: Any) -> Any:
    """The value of one ``SruDbIdMapTable`` row: IdType 3 (a user) holds a binary SID, returned
    as ``S-1-5-...``; the other types (0 application path, 1 service name, 2 app package name)
    hold a UTF-16LE string.  None stays None; bytes that do not decode stay bytes."""
    if blob is None:
        return None
    return sid_string(blob) if id_type == 3 else utf16(blob)


def _id_values(db: Any) -> Dict[int, Any]:
    out: Dict[int, Any] = {}
    for r in db.tables[ID_MAP]:
        out[r["IdIndex"]] = decode_id_blob(r["IdType"], r["IdBlob"])
    return out


def id_map(source: Any, *, logs: Optional[str] = None) -> Any:
    """``SruDbIdMapTable`` decoded: columns ``IdIndex``, ``IdType``, ``Kind`` ("application",
    "service", "package", "user") and ``Value`` (path, name or SID string)."""
    with opened(source, logs) as db:
        rows = [(r["IdIndex"], r["IdType"], SRUM_ID_TYPES.get(r["IdType"], str(r["IdType"])),
                 decode_id_blob(r["IdType"], r["IdBlob"])) for r in db.tables[ID_MAP]]
    return dataframe(rows, ["IdIndex", "IdType", "Kind", "Value"])


def providers(source: Any, *, logs: Optional[str] = None) -> Any:
    """The provider tables of the file: ``Table`` (GUID name), ``Provider`` (short name, ""
    when unknown), ``Records``."""
    with opened(source, logs) as db:
        rows = [(t.name, SRUM_PROVIDERS.get(t.name, ""), t.count())
                for t in db.tables if t.name.startswith("{") and not t.dropped]
    return dataframe(rows, ["Table", "Provider", "Records"])


def table(source: Any, provider: str, *, logs: Optional[str] = None, resolve: bool = True) -> Any:
    """One provider table, by GUID table name or short name (:data:`SRUM_PROVIDERS`): every
    column, FILETIME columns as UTC datetimes (``TimeStamp`` is a DateTime, UTC), and with
    ``resolve`` the columns ``App`` (after ``AppId``) and ``User`` (after ``UserId``): what the
    ids stand for in ``SruDbIdMapTable`` (None when the id is not there)."""
    name = _BY_NAME.get(provider, provider)
    with opened(source, logs) as db:
        if name not in db.tables:
            raise KeyError(f"no SRUM table {provider!r} in {db.source_path} "
                           f"(tables: {', '.join(db.tables.names())})")
        t = db.tables[name]
        columns = t.column_names
        ids = _id_values(db) if resolve and ID_MAP in db.tables else None
        rows = []
        for values in t.rows():
            if ids is not None:
                extra = []
                for i, c in enumerate(columns):
                    extra.append(values[i])
                    if c in ("AppId", "UserId"):
                        extra.append(ids.get(values[i]) if values[i] is not None else None)
                values = extra
            rows.append(values)
    if ids is not None:
        out = []
        for c in columns:
            out.append(c)
            if c == "AppId":
                out.append("App")
            elif c == "UserId":
                out.append("User")
        columns = out
    return dataframe(rows, columns)


def network_usage(source: Any, *, logs: Optional[str] = None) -> Any:
    """{973F5D5C-...}: bytes sent and received per application, user and interface
    (``BytesSent``, ``BytesRecvd``, ``InterfaceLuid``, ``L2ProfileId``)."""
    return table(source, "network_usage", logs=logs)


def network_connectivity(source: Any, *, logs: Optional[str] = None) -> Any:
    """{DD6636C4-...}: network connections (``ConnectStartTime`` as a datetime,
    ``ConnectedTime`` in seconds, ``InterfaceLuid``, ``L2ProfileId``)."""
    return table(source, "network_connectivity", logs=logs)


def application_resource_usage(source: Any, *, logs: Optional[str] = None) -> Any:
    """{D10CA2FE-...89}: CPU cycle times, context switches and I/O per application, foreground
    and background."""
    return table(source, "application_resource_usage", logs=logs)


def push_notifications(source: Any, *, logs: Optional[str] = None) -> Any:
    """{D10CA2FE-...86}: Windows push notifications per application."""
    return table(source, "push_notifications", logs=logs)


def energy_usage(source: Any, *, logs: Optional[str] = None) -> Any:
    """{FEE4E14F-...}: battery state transitions (``EventTimestamp`` as a datetime, capacities,
    charge level, cycle count)."""
    return table(source, "energy_usage", logs=logs)


def energy_usage_long_term(source: Any, *, logs: Optional[str] = None) -> Any:
    """{FEE4E14F-...}LT: long-term energy totals (active / connected-standby times on AC and DC)."""
    return table(source, "energy_usage_long_term", logs=logs)


def energy_estimator(source: Any, *, logs: Optional[str] = None) -> Any:
    """{DA73FB89-...}: the energy estimator's per-application records (``BinaryData`` kept raw)."""
    return table(source, "energy_estimator", logs=logs)


def application_timeline(source: Any, *, logs: Optional[str] = None) -> Any:
    """{5C8CF1C7-...}: application timeline (``EndTime`` as a datetime, ``DurationMS``, in-focus,
    input, audio, CPU, disk and network timelines and totals)."""
    return table(source, "application_timeline", logs=logs)


def vfu(source: Any, *, logs: Optional[str] = None) -> Any:
    """{7ACBBAA3-...}: the vfu provider (``StartTime`` / ``EndTime`` as datetimes, ``Usage`` raw)."""
    return table(source, "vfu", logs=logs)
