"""esepy demo: the main job, grown with each engine capability.

1. Create an engine instance and a database in a fresh folder, and write
   records in durable transactions.
2. Run a writer in a child process and kill it (SIGKILL) in the middle of its
   work -- a simulated crash.
3. Initialize the instance again: crash recovery replays the log, undoes the
   transaction that never committed, and every committed record is back.

Every engine event is shown as it is logged.  Backup and restore join the
demo as those capabilities land.

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

import esepy

CHILD = textwrap.dedent("""
    import sys, esepy
    folder = sys.argv[1]
    inst = esepy.Instance("demo", system_path=folder + "/system/", log_path=folder + "/logs/",
                          temp_path=folder + "/system/tmp.edb", log_file_size_kb=1024)
    inst.init()
    s = inst.begin_session()
    t = s.attach_database(folder + "/demo.edb").open_table("orders")
    for n in range(1000, 1200):
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


def main(argv: list) -> int:
    """Run the demo in argv[1] (or a new temporary folder); return the exit code."""
    folder = argv[1] if len(argv) > 1 else tempfile.mkdtemp(prefix="esepy-demo-")
    logging.basicConfig(level=logging.INFO, format="  [event %(event_id)s] %(message)s")
    db_path = os.path.join(folder, "demo.edb")
    print(f"esepy {esepy.__version__} demo in {folder}")
    print(f"engine library: {esepy.native_library()}\n")

    print("1. create a database and commit 1,000 orders")
    with instance(folder) as inst, inst.begin_session() as s:
        db = s.create_database(db_path)
        orders = db.create_table("orders", {"id": "long", "item": "text", "qty": "short"}, primary_key=["id"])
        with s.transaction():
            for i in range(1000):
                orders.insert({"id": i, "item": "gadget", "qty": i % 5})
        print(f"   tables: {db.tables}, rows: {len(orders)}")
        orders.close()
        db.close()

    print("\n2. a writer process commits more orders and is killed mid-work")
    child = subprocess.Popen([sys.executable, "-c", CHILD, folder], stdout=subprocess.PIPE, text=True)
    committed = set()
    for line in child.stdout:
        what, n = line.split()
        if what == "committed":
            committed.add(int(n))
        if what == "pending":
            break
    child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate()
    for line in rest.splitlines():
        what, n = line.split()
        if what == "committed":
            committed.add(int(n))
    print(f"   killed after {len(committed)} acknowledged commits, with a 50-row transaction open "
          f"(exit code {child.returncode})")
    print(f"   database header now says: {describe_state(db_path)}")

    print("\n3. JetInit runs crash recovery; check every committed order")
    with instance(folder) as inst, inst.begin_session() as s:
        db = s.attach_database(db_path)
        orders = db.open_table("orders")
        ids = {r["id"] for r in orders}
        missing = sorted(committed - ids)
        phantom = [i for i in ids if i >= 1_000_000]
        info = {"rows": len(ids), "missing committed": len(missing), "uncommitted visible": len(phantom)}
        print(f"   {info}")
        orders.close()
        db.close()
    print(f"   database header now says: {describe_state(db_path)}")
    ok = not missing and not phantom and set(range(1000)) <= ids
    print("\nOK: every committed record survived the crash, nothing uncommitted did." if ok else "\nFAILED")
    return 0 if ok else 1


def describe_state(path: str) -> str:
    """The database file's header state (JetGetDatabaseFileInfo), as text."""
    return esepy.database_file_info(path)["state"]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
