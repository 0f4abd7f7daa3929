"""Helpers shared by the tests that stop an instance dirty and recover it through the
Python API (tests/python/test_log_volume.py, tests/crash/test_torn_page.py): one
instance layout, the dirty stop, and the recovery that reads a table back."""
from __future__ import annotations

from typing import Any, Dict

import pytest

import esepy
from esepy import errors


def instance_params(root: str, log_file_size_kb: int, **extra: Any) -> Dict[str, Any]:
    """Instance keyword arguments: system folder root, logs in root/logs/, the temporary
    database root/tmp.edb; ``extra`` adds or overrides."""
    params = dict(system_path=root + "/", log_path=root + "/logs/", temp_path=root + "/tmp.edb",
                  create_path_if_not_exist=True, log_file_size_kb=log_file_size_kb)
    params.update(extra)
    return params


def stop_dirty(inst: esepy.Instance) -> None:
    """Stop ``inst`` as a crash would leave it (JetTerm2 with JET_bitTermDirty)."""
    with pytest.raises(errors.DirtyShutdown):
        inst.term(grbit=esepy.TERM_DIRTY)


def recovered_rows(name: str, params: Dict[str, Any], path: str, table: str = "kv") -> Dict[Any, Any]:
    """Start an instance named ``name`` with ``params`` (its JetInit recovers the logs),
    attach the database at ``path`` and return ``table``'s rows as {k: v}; the database is
    detached and the instance stopped cleanly."""
    with esepy.Instance(name, **params) as inst:
        s = inst.begin_session()
        db = s.attach_database(path)
        with db.open_table(table) as t:
            rows = {r["k"]: r["v"] for r in t}
        db.close()
        s.detach_database(path)
    return rows
