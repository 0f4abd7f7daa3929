"""Workloads for the CLI / inspection / plugin tests: make clean and dirty
databases (the dirty one by killing a writer with esepy.testing.run_and_kill)."""
from __future__ import annotations

import datetime
import hashlib
import os
import uuid
from typing import Dict

import esepy
from esepy.testing import crash_point

ROWS = 300


def instance(folder: str, **kw) -> esepy.Instance:
    """The tests' instance layout: folder/system, folder/logs, 128 KiB log files."""
    return esepy.Instance("people", system_path=folder + "/system/", log_path=folder + "/logs/",
                          temp_path=folder + "/system/tmp.edb", create_path_if_not_exist=True,
                          log_file_size_kb=128, **kw)


def row(i: int) -> dict:
    """The i-th record of table "t"."""
    return {"k": i, "v": f"value {i}", "when": datetime.datetime(2024, 1, 1, 12, 0, i % 60),
            "blob": bytes([i % 256, 1]), "g": uuid.UUID(int=i), "ok": i % 2 == 0}


def populate(folder: str, rows: int = ROWS) -> str:
    """Create folder/w.edb with table "t" of `rows` records; returns its path (clean shutdown)."""
    path = os.path.join(folder, "w.edb")
    with instance(folder) as inst, inst.begin_session() as s:
        db = s.create_database(path)
        t = db.create_table("t", {"k": "long", "v": "text", "when": "datetime", "blob": "binary",
                                  "g": "guid", "ok": "bit"}, primary_key=["k"])
        for start in range(0, rows, 50):
            with s.transaction():
                for i in range(start, min(rows, start + 50)):
                    t.insert(row(i))
        t.close()
        db.close()
    with instance(folder) as inst, inst.begin_session() as s:   # a second run: a second generation
        s.attach_database(path).close()
        s.detach_database(path)
    return path


def dirty_writer(folder: str, rows: int = ROWS) -> None:
    """Commit `rows` records durably, open a transaction that never commits, and wait to be killed."""
    inst = instance(folder)
    inst.init()
    s = inst.begin_session()
    db = s.create_database(os.path.join(folder, "w.edb"))
    t = db.create_table("t", {"k": "long", "v": "text", "when": "datetime", "blob": "binary",
                              "g": "guid", "ok": "bit"}, primary_key=["k"])
    for i in range(rows):
        with s.transaction():
            t.insert(row(i))
    crash_point("committed")
    s.begin_transaction()
    t.insert({"k": 10 ** 6, "v": "never committed"})
    crash_point("pending")


def snapshot(folder: str) -> Dict[str, str]:
    """sha256 of every file under folder, by relative path."""
    out = {}
    for root, _dirs, files in os.walk(folder):
        for n in files:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, folder)] = hashlib.sha256(f.read()).hexdigest()
    return out
