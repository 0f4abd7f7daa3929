"""Bridge from the engine's event sink to :mod:`logging`.

The engine reports what ESE writes to the Windows event log (instance start and
stop, recovery, backup and restore milestones, and the errors they end with).
esepy logs each event to ``logging.getLogger("esepy")`` at the event's level,
with these ``extra`` attributes on the record:

``event_id``
    esepy's event number (``esepy.EVENT_*``).
``jet_err`` / ``jet_err_name``
    the JET_ERR the event reports (0 / ``"JET_errSuccess"`` when none).
``instance_handle`` / ``instance_name``
    the instance concerned.
``operation``
    the API function, e.g. ``"JetInit2"``.
``event_fields``
    a dict of event-specific fields (paths, generations, ...); each field is also
    set as a record attribute of the same name when that does not clash with a
    standard one.
"""
from __future__ import annotations

import logging

from . import _esepy
from .errors import _note_corruption, error_info

logger = logging.getLogger("esepy")
# A library never prints on its own: without this, Python's last-resort
# handler would write every warning event to stderr next to the exception
# that reports the same failure.  Applications that configure logging see them.
logger.addHandler(logging.NullHandler())

_RESERVED = set(vars(logging.LogRecord("x", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _sink(event_id: int, level: int, err: int, handle: int, instance_name: str,
          operation: str, message: str, fields: dict) -> None:
    if event_id == 401:  # EVENT_PAGE_CORRUPTED: the exception about to be raised says where
        _note_corruption(message)
    if not logger.isEnabledFor(level):
        return
    info = error_info(err)
    extra = {
        "event_id": event_id,
        "jet_err": err,
        "jet_err_name": info[0] if info else f"JET_err{err}",
        "instance_handle": handle,
        "instance_name": instance_name,
        "operation": operation,
        "event_fields": dict(fields),
    }
    for k, v in fields.items():
        if k not in _RESERVED and k not in extra:
            extra[k] = v
    logger.log(level, message, extra=extra)


def install() -> None:
    """Connect the engine's event sink to the ``esepy`` logger (done at import)."""
    _esepy._set_event_sink(_sink)


def uninstall() -> None:
    """Disconnect the engine's event sink (done at interpreter exit)."""
    _esepy._set_event_sink(None)
