"""Fixtures for the Python-API tests (tests/conftest.py provides the cffi view
of the engine, the leak check and the subprocess runner)."""
from __future__ import annotations

import logging

import pytest

import esepy
from pyapi_helpers import Recorder, folders


@pytest.fixture
def paths(tmp_path):
    """A factory: paths(name) -> keyword arguments for an Instance whose
    folders live under tmp_path/name (created at init unless create=False)."""
    def make(name="inst", create=True):
        kw = folders(tmp_path, name)
        if create:
            kw["create_path_if_not_exist"] = True
        return kw
    return make


@pytest.fixture
def instance(paths):
    """An initialized instance with private folders; terminated afterwards."""
    inst = esepy.Instance("fixture", **paths("fixture"))
    try:
        inst.init()
        yield inst
    finally:
        inst.term()


@pytest.fixture
def esepy_log():
    """A Recorder attached to logging.getLogger("esepy") at DEBUG (restored afterwards)."""
    logger = logging.getLogger("esepy")
    rec = Recorder()
    old_level = logger.level
    logger.addHandler(rec)
    logger.setLevel(logging.DEBUG)
    try:
        yield rec
    finally:
        logger.removeHandler(rec)
        logger.setLevel(old_level)
