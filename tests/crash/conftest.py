"""Fixtures of the crash tests."""
import os

import pytest


@pytest.fixture(scope="session")
def crash_dir(tmp_path_factory):
    """Where workloads run: a memory file system when there is one (the
    thousands of recoveries fsync a lot; the crash model, not the disk, decides
    what survives), else pytest's temporary folder."""
    import pathlib
    import shutil
    import tempfile
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        d = pathlib.Path(tempfile.mkdtemp(prefix="esepy-crash-", dir="/dev/shm"))
        yield d
        shutil.rmtree(d, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("crash")
