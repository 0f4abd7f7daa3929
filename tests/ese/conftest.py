"""Fixtures for the forensic ESE reader tests: the real sample files of
tests/data/ese (see tests/data/README.md), decompressed once per session by the
`ese_samples` fixture of tests/conftest.py."""
import os

import pytest


@pytest.fixture(scope="session")
def samples(ese_samples):
    """Return a function name -> path of a sample (any file of tests/data/ese)."""
    def get(name: str) -> str:
        path = os.path.join(ese_samples, name)
        if not os.path.exists(path):
            pytest.fail(f"sample {name} is not in tests/data/ese (tests/sampledata.py lists the samples)")
        return path

    return get


@pytest.fixture(scope="session")
def srum_dir(samples):
    return samples("srum_win11_dirty")
