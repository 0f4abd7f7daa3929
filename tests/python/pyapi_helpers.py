"""Plain helpers shared by the Python-API tests (fixtures are in conftest.py)."""
from __future__ import annotations

import logging
import os

import esepy


def folders(root, name="inst"):
    """System, log and temp folders (trailing '/') for one instance under `root`.
    The folders are not created."""
    base = os.path.join(str(root), name)
    return {
        "system_path": os.path.join(base, "sys") + "/",
        "log_path": os.path.join(base, "log") + "/",
        "temp_path": os.path.join(base, "tmp") + "/",
    }


def process_state():
    """(mode, instance count) of this process, as the engine reports it."""
    return esepy._esepy._process_state()


class Recorder(logging.Handler):
    """Collects the records of the "esepy" logger."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def ids(self):
        return [r.event_id for r in self.records]

    def by_id(self, event_id):
        return [r for r in self.records if r.event_id == event_id]
