"""UAL, Windows Server's User Access Logging (``C:\\Windows\\System32\\LogFiles\\Sum``).

``Current.mdb`` holds the current year, one ``{GUID}.mdb`` each earlier year, and
``SystemIdentity.mdb`` the server and its roles.  Tables: ``CLIENTS`` (per role, tenant,
user and address: total accesses, first and last access, and ``Day1``..``Day366`` -- the
accesses of each day of the year), ``ROLE_ACCESS`` (first and last use of each role),
``DNS`` (addresses and host names seen), ``VIRTUALMACHINES``, ``SYSTEM_IDENTITY``.  Its
DateTime columns hold FILETIMEs, not OLE dates: read here (and with
``open_ese(filetime_columns="known")``) as UTC datetimes.  ``Address`` columns (4 or 16 bytes)
become IP address strings.  Every function takes a path or an open
:class:`esepy.ese.EseDatabase` and returns a pandas DataFrame.
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
from typing import Any, Optional

from ._common import dataframe, opened

__all__ = ["address", "table", "clients", "role_access", "dns", "virtual_machines", "system_identity",
           "client_activity"]


def address(value: Any) -> Any:
    """A UAL ``Address`` value (4 bytes IPv4, 16 bytes IPv6) as a string; anything else unchanged."""
    if isinstance(value, (bytes, bytearray)) and len(value) in (4, 16):
        return str(ipaddress.ip_address(bytes(value)))
    return value


def table(source: Any, name: str, *, logs: Optional[str] = None, days: bool = False) -> Any:
    """UAL table ``name`` with FILETIME columns as datetimes and addresses as strings; the
    ``DayN`` columns of ``CLIENTS`` only with ``days`` (see :func:`client_activity`)."""
    with opened(source, logs) as db:
        if name not in db.tables:
            raise KeyError(f"no UAL table {name!r} in {db.source_path} (tables: {', '.join(db.tables.names())})")
        t = db.tables[name]
        keep = [i for i, c in enumerate(t.column_names) if days or not _is_day(c)]
        columns = [t.column_names[i] for i in keep]
        conv = [address if c == "Address" else None for c in columns]
        rows = []
        for values in t.rows():
            row = [values[i] for i in keep]
            rows.append([f(v) if f is not None else v for f, v in zip(conv, row)])
    return dataframe(rows, columns)


def _is_day(name: str) -> bool:
    return name.startswith("Day") and name[3:].isdigit()


def clients(source: Any, *, logs: Optional[str] = None) -> Any:
    """``CLIENTS``: ``RoleGuid``, ``TenantId``, ``TotalAccesses``, ``InsertDate`` (first access),
    ``LastAccess``, ``Address``, ``AuthenticatedUserName``, ``ClientName`` (day counts: see
    :func:`client_activity`)."""
    return table(source, "CLIENTS", logs=logs)


def role_access(source: Any, *, logs: Optional[str] = None) -> Any:
    """``ROLE_ACCESS``: ``RoleGuid``, ``FirstSeen``, ``LastSeen``."""
    return table(source, "ROLE_ACCESS", logs=logs)


def dns(source: Any, *, logs: Optional[str] = None) -> Any:
    """``DNS``: ``LastSeen``, ``Address``, ``HostName``."""
    return table(source, "DNS", logs=logs)


def virtual_machines(source: Any, *, logs: Optional[str] = None) -> Any:
    """``VIRTUALMACHINES``: ``VmGuid``, ``BIOSGuid``, ``CreationTime``, ``LastSeenActive``, ``SerialNumber``."""
    return table(source, "VIRTUALMACHINES", logs=logs)


def system_identity(source: Any, *, logs: Optional[str] = None) -> Any:
    """``SYSTEM_IDENTITY`` (``SystemIdentity.mdb``): the server's hardware, OS and names."""
    return table(source, "SYSTEM_IDENTITY", logs=logs)


def client_activity(source: Any, *, logs: Optional[str] = None) -> Any:
    """``CLIENTS``' day counts in long form: one row per client and day with accesses --
    ``Date`` (UTC midnight: day N of the year of the row's ``InsertDate``), ``Accesses``,
    ``RoleGuid``, ``TenantId``, ``AuthenticatedUserName``, ``Address``."""
    df = table(source, "CLIENTS", logs=logs, days=True)
    rows = []
    day_cols = [c for c in df.columns if _is_day(c)]
    for rec in df.to_dict("records"):
        first = rec.get("InsertDate")
        if not isinstance(first, _dt.datetime):
            continue
        jan1 = _dt.datetime(first.year, 1, 1, tzinfo=_dt.timezone.utc)
        for c in day_cols:
            n = rec[c]
            if n is None or n != n or not n:     # None, NaN (pandas), 0
                continue
            rows.append((jan1 + _dt.timedelta(days=int(c[3:]) - 1), int(n), rec["RoleGuid"], rec["TenantId"],
                         rec["AuthenticatedUserName"], rec["Address"]))
    return dataframe(rows, ["Date", "Accesses", "RoleGuid", "TenantId", "AuthenticatedUserName", "Address"])
