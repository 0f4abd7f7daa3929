"""Shared fixtures: the raw C API through cffi, isolation of process-wide
engine state between tests, and running snippets in a fresh process for the
tests of process-wide modes."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TESTS)

import jetffi  # noqa: E402
import sampledata  # noqa: E402

# pytester runs the tests of esepy's own pytest plugin (tests/plugin/).
pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def ese_samples(tmp_path_factory):
    """The folder holding every real ESE sample of tests/data/ese, decompressed
    and checked (tests/sampledata.py); a missing sample fails the test."""
    try:
        return sampledata.materialize(str(tmp_path_factory.mktemp("ese_samples")))
    except sampledata.SamplesMissing as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def jet():
    """The C API as C programs see it (cffi over esent.h and libesent.so)."""
    return jetffi.load()


@pytest.fixture(autouse=True)
def in_scratch_folder(tmp_path_factory, monkeypatch):
    """Run every test in its own empty working folder: an instance left with
    the default paths ("./") writes its logs and checkpoint there, never into
    the source tree."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(autouse=True)
def no_leaked_instances():
    """Every test must leave the process with no instance and no mode chosen,
    because the engine's instance mode is process-wide and sticky."""
    yield
    j = jetffi.load()
    mode, count = j.process_state()
    assert (mode, count) == (0, 0), f"test leaked engine state: mode={mode} instances={count}"


def run_py(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python process (with `jet = jetffi.load()` and the
    constants as `C` already defined); fail if it does not exit 0."""
    prelude = ("import sys; sys.path.insert(0, %r)\nimport jetffi\njet = jetffi.load()\n"
               "C = jet.C\nlib = jet.lib\nffi = jet.ffi\n" % TESTS)
    proc = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"subprocess failed:\nSTDOUT:\n{proc.stdout}\nSTDERR:\n{proc.stderr}"
    return proc


@pytest.fixture
def subproc():
    """Run a snippet in a fresh process (for process-wide mode tests)."""
    return run_py
