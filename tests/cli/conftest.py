"""Fixtures for the CLI and inspection tests: a clean database folder and a
dirty one (a writer killed mid-transaction), each made once per module and
copied per test when a test needs to change it."""
from __future__ import annotations

import io
import json
import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import people_workloads as wl  # noqa: E402
from esepy import cli  # noqa: E402
from esepy.testing import run_and_kill  # noqa: E402


@pytest.fixture(scope="module")
def clean_folder(tmp_path_factory):
    """A folder with a clean database w.edb (table "t", wl.ROWS records), its logs and checkpoint."""
    folder = str(tmp_path_factory.mktemp("clean"))
    wl.populate(folder)
    return folder


@pytest.fixture(scope="module")
def dirty_folder(tmp_path_factory):
    """A folder whose writer was killed with wl.ROWS committed records and one open transaction."""
    folder = str(tmp_path_factory.mktemp("dirty"))
    res = run_and_kill(wl.dirty_writer, folder, at="pending")
    assert res.killed and res.markers == ["committed", "pending"], res
    return folder


@pytest.fixture
def copy_of(tmp_path):
    """copy_of(folder) -> a private copy of a fixture folder (for tests that change files)."""
    def make(folder):
        dest = str(tmp_path / ("copy-" + os.path.basename(folder)))
        shutil.copytree(folder, dest)
        return dest
    return make


class Run:
    """Result of one in-process CLI run."""

    def __init__(self, argv):
        out, err = io.StringIO(), io.StringIO()
        self.argv = argv
        self.code = cli.main(argv, stdout=out, stderr=err)
        self.out = out.getvalue()
        self.err = err.getvalue()

    @property
    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"Run({self.argv!r}) -> {self.code}\nSTDOUT:\n{self.out[-3000:]}\nSTDERR:\n{self.err[-3000:]}"


@pytest.fixture
def esepy_cli():
    """esepy_cli(*args) runs the CLI in-process and returns a Run (code, out, err, json)."""
    return lambda *argv: Run([str(a) for a in argv])
