"""What esepy knows of the artefact databases' schemas (no pandas needed here).

Facts as the forensics community documents them (sources in
docs/forensics-windows-ese.md, "Artefacts"): the SRUM providers' table GUIDs,
the SRUM and UAL columns that hold Windows FILETIMEs, the SRUM id types, the
BITS enumerations (Microsoft's BG_JOB_TYPE, BG_JOB_PRIORITY, BG_JOB_STATE).
"""
from __future__ import annotations

from typing import Dict, Iterable, List

#: SRUM provider tables by GUID -> short name (the provider extensions Windows registers under
#: HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SRUM\\Extensions)
SRUM_PROVIDERS: Dict[str, str] = {
    "{973F5D5C-1D90-4944-BE8E-24B94231A174}": "network_usage",
    "{DD6636C4-8929-4683-974E-22C046A43763}": "network_connectivity",
    "{D10CA2FE-6FCF-4F6D-848E-B2E99266FA89}": "application_resource_usage",
    "{D10CA2FE-6FCF-4F6D-848E-B2E99266FA86}": "push_notifications",
    "{FEE4E14F-02A9-4550-B5CE-5FA2DA202E37}": "energy_usage",
    "{FEE4E14F-02A9-4550-B5CE-5FA2DA202E37}LT": "energy_usage_long_term",
    "{DA73FB89-2BEA-4DDC-86B8-6E048C6DA477}": "energy_estimator",
    "{5C8CF1C7-7257-4F13-B223-970EF5939312}": "application_timeline",
    "{7ACBBAA3-D029-4BE4-9A7A-0885927F1D8F}": "vfu",
}

#: SruDbIdMapTable IdType -> what its IdBlob names
SRUM_ID_TYPES: Dict[int, str] = {0: "application", 1: "service", 2: "package", 3: "user"}

#: SRUM provider table -> its 64-bit columns that hold FILETIMEs
_SRUM_FILETIME: Dict[str, List[str]] = {
    "{DD6636C4-8929-4683-974E-22C046A43763}": ["ConnectStartTime"],
    "{FEE4E14F-02A9-4550-B5CE-5FA2DA202E37}": ["EventTimestamp"],
    "{5C8CF1C7-7257-4F13-B223-970EF5939312}": ["EndTime"],
    "{7ACBBAA3-D029-4BE4-9A7A-0885927F1D8F}": ["StartTime", "EndTime"],
}

#: UAL table -> its DateTime columns, which hold FILETIMEs (not OLE dates)
_UAL_FILETIME: Dict[str, List[str]] = {
    "CLIENTS": ["InsertDate", "LastAccess"],
    "ROLE_ACCESS": ["FirstSeen", "LastSeen"],
    "DNS": ["LastSeen"],
    "VIRTUALMACHINES": ["CreationTime", "LastSeenActive"],
    "SYSTEM_IDENTITY": ["CreationTime"],
}

#: BG_JOB_TYPE, BG_JOB_PRIORITY, BG_JOB_STATE (Microsoft's BITS API)
BITS_JOB_TYPES = {0: "download", 1: "upload", 2: "upload_reply"}
BITS_JOB_PRIORITIES = {0: "foreground", 1: "high", 2: "normal", 3: "low"}
BITS_JOB_STATES = {0: "queued", 1: "connecting", 2: "transferring", 3: "suspended", 4: "error",
                   5: "transient_error", 6: "transferred", 7: "acknowledged", 8: "cancelled"}


def kind_of(tables: Iterable[str]) -> str:
    """Which artefact a database with these table names is: "srum", "ual", "bits" or ""."""
    names = set(tables)
    if "SruDbIdMapTable" in names:
        return "srum"
    if {"CLIENTS", "ROLE_ACCESS"} <= names or {"SYSTEM_IDENTITY", "CHAINED_DATABASES"} <= names:
        return "ual"
    if {"Jobs", "Files"} <= names:
        return "bits"
    return ""


def known_filetime_columns(tables: Iterable[str]) -> Dict[str, List[str]]:
    """table -> FILETIME columns, for a database recognised as an artefact (:func:`kind_of`);
    empty for any other database: a column is never taken for a time by its name alone."""
    names = list(tables)
    kind = kind_of(names)
    known = _SRUM_FILETIME if kind == "srum" else _UAL_FILETIME if kind == "ual" else {}
    return {t: list(known[t]) for t in names if t in known}
