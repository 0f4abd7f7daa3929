"""esepy demo: backup, crash, restore.

1. Create an engine instance and a database in a fresh folder, commit records,
   and take a full backup (JetBackupInstance).
2. Commit more, take an incremental backup (only the new log generations).
3. Run a writer in a child process and kill it (SIGKILL) in the middle of its
   work -- a simulated crash -- then lose the database file.
4. Restore (JetRestoreInstance) into a new folder: the backup's databases are
   copied, its logs replayed, then the surviving logs roll it forward to the
   last commit, and the transaction that never committed is undone.
5. Check that every committed record, and nothing else, is there.

Every engine event is shown as it is logged; progress bars follow the backup
and the restore.  The demo checks each of its claims (the writer committed and
was killed by SIGKILL, the header then said DirtyShutdown, the restore brought
back exactly what was acknowledged) and exits with code 1 and "DEMO FAILED:
..." when one is false.

Run:  python examples/demo.py [FOLDER]
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
from typing import Any, List, Set, Tuple

import esepy

CHILD = textwrap.dedent("""
    import sys
    # argv: folder, the folder holding the parent's esepy package.  The child
    # runs in the demo's scratch folder (never the source tree, whose esepy/
    # has no compiled engine) and imports exactly the parent's esepy.
    folder, package_parent = sys.argv[1], sys.argv[2]
    sys.path.insert(0, package_parent)
    import esepy
    print("esepy", esepy.__file__, flush=True)
    inst = esepy.Instance("demo", system_path=folder + "/system/", log_path=folder + "/logs/",
                          temp_path=folder + "/system/tmp.edb", log_file_size_kb=1024)
    inst.init()
    s = inst.begin_session()
    t = s.attach_database(folder + "/demo.edb").open_table("orders")
    for n in range(2000, 2200):
        with s.transaction():
            t.insert({"id": n, "item": "widget", "qty": n % 7})
        print("committed", n, flush=True)
    s.begin_transaction()                       # this one never commits:
    for n in range(1_000_000, 1_000_050):
        t.insert({"id": n, "item": "never committed", "qty": 0})
    print("pending 0", flush=True)
    import time
    time.sleep(3600)                            # ...the parent kills us here
""")


def instance(folder: str) -> esepy.Instance:
    """The demo's instance: its system folder, its log folder, 1 MiB log files."""
    return esepy.Instance("demo", system_path=os.path.join(folder, "system") + "/",
                          log_path=os.path.join(folder, "logs") + "/",
                          temp_path=os.path.join(folder, "system", "tmp.edb"),
                          create_path_if_not_exist=True, log_file_size_kb=1024)


def Bar(description: str) -> esepy.ProgressBar:
    """esepy's progress bar for a backup or restore: KiB reports shown as bytes."""
    return esepy.ProgressBar(f"   {description}", unit="B", scale=1024, file=sys.stdout)


def count_files(folder: str) -> str:
    names = sorted(os.listdir(folder))
    logs = [n for n in names if n.endswith(".log")]
    return f"{len(names)} files: {', '.join(n for n in names if not n.endswith('.log'))} + {len(logs)} log generations"


def main(argv: List[str]) -> int:
    """Run the demo in argv[1] (or a new temporary folder); return the exit code."""
    folder = os.path.abspath(argv[1]) if len(argv) > 1 else tempfile.mkdtemp(prefix="esepy-demo-")
    logging.basicConfig(level=logging.INFO, format="  [event %(event_id)s] %(message)s")
    db_path = os.path.join(folder, "demo.edb")
    backups = os.path.join(folder, "backups")
    restored = os.path.join(folder, "restored")
    print(f"esepy {esepy.__version__} demo in {folder}")
    print(f"engine library: {esepy.native_library()}\n")
    os.makedirs(backups, exist_ok=True)

    print("1. create a database, commit 1,000 orders, take a full backup")
    with instance(folder) as inst, inst.begin_session() as s:
        db = s.create_database(db_path)
        orders = db.create_table("orders", {"id": "long", "item": "text", "qty": "short"}, primary_key=["id"])
        with s.transaction():
            for i in range(1000):
                orders.insert({"id": i, "item": "gadget", "qty": i % 5})
        inst.backup(backups, progress=Bar("full backup"))
        print(f"   backup set: {count_files(backups)}")

        print("\n2. 500 more orders, then an incremental backup (only the new log generations)")
        for i in range(1000, 1500):
            with s.transaction(lazy=i % 50 != 49):
                orders.insert({"id": i, "item": "gizmo", "qty": i % 3})
        inst.backup(backups, incremental=True, progress=Bar("incremental"))
        print(f"   backup set: {count_files(backups)}")
        orders.close()
        db.close()

    print("\n3. a writer process commits more orders and is killed mid-work")
    committed = set(range(1500))
    acknowledged, state = crash_a_writer(folder)
    committed |= acknowledged
    print(f"   killed by SIGKILL (exit code {-signal.SIGKILL}) after {len(acknowledged)} acknowledged commits, "
          "with a 50-row transaction open")
    print(f"   database header now says: {state}")
    check(state == "DirtyShutdown",
          f"after the writer was killed the database header says {state}, not DirtyShutdown: "
          "the crash did not happen as the demo tells")
    os.unlink(db_path)
    print("   ...and then the disk holding demo.edb fails: the database file is gone, the logs survive")

    print("\n4. JetRestoreInstance: copy the backup to a new folder, replay its logs, roll forward")
    print("   through the surviving log folder, undo what never committed")
    inst = instance(folder)
    try:
        inst.restore_instance(backups, restored, progress=Bar("restore"))
    finally:
        inst.term()
    new_path = os.path.join(restored, "demo.edb")
    restored_state = describe_state(new_path)
    print(f"   restored database header says: {restored_state}")
    check(restored_state == "CleanShutdown", f"the restored database header says {restored_state}, not CleanShutdown")

    print("\n5. check every committed order in the restored database")
    with instance(folder) as inst, inst.begin_session() as s:
        db = s.attach_database(new_path)
        orders = db.open_table("orders")
        ids = {r["id"] for r in orders}
        orders.close()
        db.close()
    missing = sorted(committed - ids)
    phantom = [i for i in ids if i >= 1_000_000]
    rows = [("orders committed (acknowledged)", len(committed)), ("orders in the restored database", len(ids)),
            ("committed but missing", len(missing)), ("uncommitted but visible", len(phantom))]
    width = max(len(r[0]) for r in rows)
    print("   +-" + "-" * width + "-+--------+")
    for name, value in rows:
        print(f"   | {name:<{width}} | {value:>6} |")
    print("   +-" + "-" * width + "-+--------+")
    check(not missing, f"{len(missing)} acknowledged orders are missing after the restore (first: {missing[:5]})")
    check(not phantom, f"{len(phantom)} orders of the transaction that never committed are visible")
    check(ids == committed, f"the restored database holds {len(ids - committed)} orders nobody committed")
    print("\nOK: every committed record survived the crash and the restore, nothing uncommitted did.")
    return 0


class DemoFailed(Exception):
    """The demo's story did not happen: it says what went wrong instead."""


def check(condition: bool, message: str) -> None:
    """Stop the demo loudly (exit code 1) when one of its claims is false."""
    if not condition:
        raise DemoFailed(message)


WRITER_COMMITS = 200   # range(2000, 2200) in CHILD
WRITER_TIMEOUT = 300   # seconds a healthy writer needs at most to reach its open transaction


def crash_a_writer(folder: str) -> Tuple[Set[int], str]:
    """Run CHILD, kill it with SIGKILL once its last transaction is open, and
    return the orders it acknowledged and the database header's state.

    The child runs in the demo folder, not the current folder: run from a
    source checkout, ``python -c`` would otherwise import the source tree's
    esepy/ (no compiled engine) instead of the installed package.
    """
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(esepy.__file__)))
    child = subprocess.Popen([sys.executable, "-c", CHILD, folder, package_parent], cwd=folder,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(WRITER_TIMEOUT, child.kill)
    watchdog.start()
    acknowledged: Set[int] = set()
    child_esepy = None
    pending = False
    try:
        assert child.stdout is not None
        for line in child.stdout:
            what, _, arg = line.partition(" ")
            if what == "esepy":
                child_esepy = arg.strip()
            elif what == "committed":
                acknowledged.add(int(arg))
            elif what == "pending":
                pending = True
                break
        child.send_signal(signal.SIGKILL)
        rest, err = child.communicate()
    finally:
        watchdog.cancel()
    for line in rest.splitlines():
        what, _, arg = line.partition(" ")
        if what == "committed":
            acknowledged.add(int(arg))
    check(pending, "the writer process died before opening its last transaction "
          f"(exit code {child.returncode}); its output:\n{err.strip() or '(nothing)'}")
    check(child_esepy is not None and os.path.realpath(child_esepy) == os.path.realpath(esepy.__file__),
          f"the writer imported {child_esepy}, not this demo's {esepy.__file__}")
    check(child.returncode == -signal.SIGKILL,
          f"the writer ended with exit code {child.returncode}, not killed by SIGKILL")
    check(len(acknowledged) == WRITER_COMMITS,
          f"the writer acknowledged {len(acknowledged)} commits, not {WRITER_COMMITS}")
    return acknowledged, describe_state(os.path.join(folder, "demo.edb"))


def describe_state(path: str) -> str:
    """The database file's header state (JetGetDatabaseFileInfo), as text."""
    return str(esepy.database_file_info(path)["state"])


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except DemoFailed as exc:
        print(f"\nDEMO FAILED: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
