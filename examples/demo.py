"""esepy demo: the main job, grown with each engine capability.

Today it creates an engine instance in a fresh folder, initializes it (which
checks and locks its folders), prints what the engine reports about it, opens
and closes a session, and terminates it -- with every engine event shown as
it is logged.  Backup, crash and restore join as those capabilities land.

Run:  python examples/demo.py [FOLDER]
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile

import esepy


def main(argv: list) -> int:
    """Run the demo in argv[1] (or a new temporary folder); return the exit code."""
    folder = argv[1] if len(argv) > 1 else tempfile.mkdtemp(prefix="esepy-demo-")
    logging.basicConfig(level=logging.INFO, format="  event %(event_id)s: %(message)s")

    print(f"esepy {esepy.__version__} demo in {folder}")
    print(f"engine library: {esepy.native_library()}")
    with esepy.Instance("demo",
                        system_path=os.path.join(folder, "system") + "/",
                        log_path=os.path.join(folder, "logs") + "/",
                        temp_path=os.path.join(folder, "system", "tmp.edb"),
                        create_path_if_not_exist=True,
                        log_file_size_kb=1024) as inst:
        print("instance initialized:")
        for key in ("system_path", "log_path", "temp_path", "base_name", "log_file_size_kb",
                    "circular_log", "max_sessions"):
            print(f"  {key:18} = {inst.get_param(key)!r}")
        print(f"running instances: {esepy.instances()}")
        with inst.begin_session() as session:
            print(f"session {session.sesid:#x} open")
        print("session ended")
    print("instance terminated")
    bad = esepy.Instance("bad", log_path=os.path.join(folder, "missing") + "/")
    try:
        bad.init()
    except esepy.errors.InvalidPath as e:
        print(f"a bad path is refused clearly: {e}")
    finally:
        bad.term()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
