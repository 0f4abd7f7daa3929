"""Helpers of the esepy.archive tests."""
from __future__ import annotations

import os
import warnings

import esepy


def fill(inst, db_path, keys):
    """Create (or reopen) table t of db_path and insert `keys`."""
    with inst.begin_session() as s:
        if not os.path.exists(db_path):
            t = s.create_database(db_path).create_table("t", {"k": "long", "v": "text"}, primary_key=["k"])
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", esepy.JetWarning)
                s.attach_database(db_path)
            t = s.open_database(db_path).open_table("t")
        for k in keys:
            t.insert({"k": k, "v": f"value {k}"})


def keys_in(paths, name, db_path):
    """The keys of table t of a (restored) database."""
    with esepy.Instance(name, **paths(name)) as inst, inst.begin_session() as s:
        s.attach_database(db_path)
        return sorted(r["k"] for r in s.open_database(db_path).open_table("t"))
