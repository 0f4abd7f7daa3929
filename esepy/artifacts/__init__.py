"""Decoders of Windows artefacts kept in ESE databases, each returning pandas DataFrames.

* :mod:`esepy.artifacts.srum` -- the System Resource Usage Monitor (``SRUDB.dat``): provider
  tables named by their GUIDs, ``AppId`` / ``UserId`` resolved through ``SruDbIdMapTable``
  to application paths, service and package names and SIDs;
* :mod:`esepy.artifacts.ual` -- Windows Server's User Access Logging (``Current.mdb``,
  ``{GUID}.mdb``, ``SystemIdentity.mdb``);
* :mod:`esepy.artifacts.bits` -- the BITS queue (``qmgr.db``): jobs and files decoded from
  their blobs.

FILETIME columns of these schemas come back as timezone-aware UTC datetimes (the same
knowledge ``esepy.open_ese(path, filetime_columns="known")`` applies).  pandas is needed:
``pip install 'esepy[analysis]'``.  Sources: docs/forensics-windows-ese.md ("Artefacts").
"""
from __future__ import annotations

from . import bits, srum, ual
from ._common import sid_string
from ._schemas import SRUM_PROVIDERS, kind_of, known_filetime_columns

__all__ = ["srum", "ual", "bits", "sid_string", "SRUM_PROVIDERS", "kind_of", "known_filetime_columns"]
