"""Fixtures for the artefact decoders (esepy.artifacts) and the streaming export: the real
samples of tests/data/ese, the SRUM sample recovered once per session."""
from __future__ import annotations

import io
import json
import os

import pytest

import esepy
from esepy import cli


@pytest.fixture(scope="session")
def samples(ese_samples):
    """name -> path of a sample of tests/data/ese (decompressed, checked)."""
    def get(name: str) -> str:
        path = os.path.join(ese_samples, name)
        if not os.path.exists(path):
            pytest.fail(f"sample {name} is not in tests/data/ese (tests/sampledata.py lists the samples)")
        return path
    return get


@pytest.fixture(scope="session")
def srum_recovered(samples, tmp_path_factory):
    """The dirty SRUM sample brought to a clean copy by esepy.recover_ese (its logs beside it)."""
    folder = samples("srum_win11_dirty")
    out = str(tmp_path_factory.mktemp("srum") / "SRUDB.dat")
    report = esepy.recover_ese(os.path.join(folder, "SRUDB.dat"), folder, out)
    assert tuple(report["lgpos_consistent"]) == (92, 10, 0)
    return out


class Run:
    """One in-process run of the command line: code, out, err, json."""

    def __init__(self, argv):
        o, e = io.StringIO(), io.StringIO()
        self.argv = [str(a) for a in argv]
        self.code = cli.main(self.argv, stdout=o, stderr=e)
        self.out, self.err = o.getvalue(), e.getvalue()

    @property
    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"Run({self.argv!r}) -> {self.code}\nSTDOUT:\n{self.out[-2000:]}\nSTDERR:\n{self.err[-2000:]}"


@pytest.fixture
def run_cli():
    """run_cli(*args) -> Run."""
    return lambda *argv: Run(argv)
