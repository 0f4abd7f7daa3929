"""esepy's pytest plugin (registered through the ``pytest11`` entry point, so it is
active wherever esepy is installed).

Fixtures:

* ``ese_paths`` -- a dict of Instance keyword arguments whose folders live in
  the test's ``tmp_path`` (``system_path``, ``log_path``, ``temp_path``,
  ``create_path_if_not_exist``, small ``log_file_size_kb``).
* ``ese_instance`` -- an initialized :class:`esepy.Instance` on those folders,
  terminated after the test.
* ``ese_session`` -- a session of ``ese_instance``, ended after the test.
* ``ese_database`` -- a new database (``tmp_path/ese/test.edb``) opened in
  ``ese_session``, closed after the test.
* ``crash`` -- :func:`esepy.testing.run_and_kill` with the folder defaulting to
  ``tmp_path/crash``: run a function in a child process, kill it at a chosen or
  random moment, get the folder back for recovery.

Example::

    def test_insert(ese_database):
        t = ese_database.create_table("t", {"k": "long"}, primary_key=["k"])
        with ese_database.session.transaction():
            t.insert({"k": 1})
        assert t.get(1) == {"k": 1}
"""
from __future__ import annotations

import os
from typing import Any, Callable, Dict, Iterator, Union

import pytest


@pytest.fixture
def ese_paths(tmp_path: Any) -> Dict[str, Any]:
    """Instance keyword arguments for folders under ``tmp_path/ese``."""
    base = os.path.join(str(tmp_path), "ese")
    return {"system_path": base + "/system/", "log_path": base + "/logs/",
            "temp_path": base + "/system/tmp.edb", "create_path_if_not_exist": True,
            "log_file_size_kb": 256}


@pytest.fixture
def ese_instance(ese_paths: Dict[str, Any]) -> Iterator[Any]:
    """An initialized esepy.Instance in the test's tmp_path; terminated afterwards."""
    import esepy

    inst = esepy.Instance("pytest", **ese_paths)
    try:
        inst.init()
        yield inst
    finally:
        inst.term()


@pytest.fixture
def ese_session(ese_instance: Any) -> Iterator[Any]:
    """A session of ``ese_instance``; ended afterwards."""
    s = ese_instance.begin_session()
    try:
        yield s
    finally:
        if not s.closed:
            s.end()


@pytest.fixture
def ese_database(ese_session: Any, tmp_path: Any) -> Iterator[Any]:
    """A new database ``tmp_path/ese/test.edb`` opened in ``ese_session``; closed afterwards."""
    import esepy

    path = os.path.join(str(tmp_path), "ese", "test.edb")
    db = ese_session.create_database(path)
    try:
        yield db
    finally:
        if not ese_session.closed:
            try:
                db.close()
            except esepy.JetError:
                pass   # tables the test left open: ending the session (ese_session) closes them


@pytest.fixture
def crash(tmp_path: Any) -> Callable[..., Any]:
    """``crash(fn, *args, at=None|seconds|"crash point", folder=None, seed=None, ...)``.

    Runs ``fn(folder, *args)`` in a child process and kills it (SIGKILL); returns
    an :class:`esepy.testing.CrashResult` whose ``folder`` is ready for
    recovery.  ``folder`` defaults to ``tmp_path/crash``.
    """
    from esepy.testing import run_and_kill

    def run(fn: Union[Callable[..., Any], str], *args: Any, folder: Any = None, **kwargs: Any) -> Any:
        f = os.fspath(folder) if folder is not None else os.path.join(str(tmp_path), "crash")
        return run_and_kill(fn, f, *args, **kwargs)

    return run
