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


@pytest.fixture(autouse=True)
def checkpoint_inline():
    """The crash-state harness enumerates the I/O order of one thread: every
    instance these tests start in this process checkpoints inline
    (ESEPY_paramCheckpointThread = 0, a per-instance parameter whose process
    default this sets).  Tests of the checkpointer thread ask for it on their
    instance (checkpoint_thread=True); child processes (the SIGKILL tests) keep
    the engine's default (inline too)."""
    import esepy
    old = esepy.get_default_param("checkpoint_thread")
    esepy.set_default_param("checkpoint_thread", False)
    yield
    esepy.set_default_param("checkpoint_thread", old)
