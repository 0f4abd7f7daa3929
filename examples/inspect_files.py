"""Inspect a database, its logs and its checkpoint without writing a byte.

Run:  python examples/inspect_files.py [FOLDER]

Without FOLDER it first makes one: a database with a table, closed cleanly.
It then prints the header, what recovery would need, the log generations and
their record types, the checkpoint, page checksums, the B+tree walk, and the
table's records -- the same information as ``esepy dump ...``,
``esepy checksum``, ``esepy integrity`` and ``esepy tables``.
"""
from __future__ import annotations

import collections
import os
import sys
import tempfile
from typing import List

import esepy
from esepy import inspection


def make_database(folder: str) -> str:
    """Create folder/people.edb with a few records; return its path."""
    path = os.path.join(folder, "people.edb")
    with esepy.Instance("example", system_path=folder + "/system/", log_path=folder + "/logs/",
                        create_path_if_not_exist=True, log_file_size_kb=128) as inst:
        with inst.begin_session() as s:
            db = s.create_database(path)
            people = db.create_table("people", {"id": "long", "name": "text"}, primary_key=["id"])
            with s.transaction():
                for i, name in enumerate(["Ada", "Grace", "Edsger", "Barbara"]):
                    people.insert({"id": i, "name": name})
            people.close()
            db.close()
    return path


def main(argv: List[str]) -> int:
    """Inspect argv[1] (or a new example folder); return the exit code."""
    folder = argv[1] if len(argv) > 1 else tempfile.mkdtemp(prefix="esepy-inspect-")
    db_path = os.path.join(folder, "people.edb")
    if not os.path.exists(db_path):
        make_database(folder)
    logs, system = os.path.join(folder, "logs"), os.path.join(folder, "system")

    header = inspection.read_database_header(db_path)
    print(f"database {db_path}: {header.state}, {header.page_size}-byte pages, "
          f"last consistent at {header.lgpos_consistent}")
    need = inspection.recovery_requirements(db_path, logs)
    print(f"needs recovery: {need.needs_recovery}; log generations present: {need.present}; "
          f"missing: {need.missing}")

    stream = inspection.LogFolder(logs)
    for lf in stream.files():
        kinds = collections.Counter(r.type_name for r in lf.records())
        print(f"generation {lf.generation} created {lf.header.created}: {dict(kinds)}")
    chk = inspection.read_checkpoint(os.path.join(system, stream.base + ".chk"))
    print(f"checkpoint at {chk.checkpoint}")

    dbfile = inspection.DatabaseFile(db_path)
    sums = dbfile.checksum()
    print(f"pages: {sums.pages}, bad checksums: {sums.bad_checksum}")
    report = dbfile.check_integrity()
    for tree in report.trees:
        print(f"tree {tree.name}: {tree.pages} pages, {tree.nodes} records, depth {tree.depth}")

    with inspection.open_database(db_path, logs=logs, system=system) as ro:
        for table in ro.tables:
            for record in ro.records(table):
                print(table, record)
    return 0 if report.ok and sums.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
