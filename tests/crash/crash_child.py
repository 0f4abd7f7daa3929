"""Workload for the crash tests: run transactions until killed.

Usage: crash_child.py FOLDER START LAZY_EVERY

Opens (recovers) the instance in FOLDER, attaches or creates FOLDER/crash.edb,
then forever: transaction i inserts keys 3i, 3i+1, 3i+2 (value "t<i>") and
commits -- durably, except every LAZY_EVERY-th transaction which commits with
JET_bitCommitLazyFlush.  After each commit returns it prints "C <i> <lazy>"
(flushed), so the parent knows which commits were acknowledged.  Column u
(= k) and the secondary indexes by_v (on v) and by_u (unique, on -u) put
index maintenance under the same kills.
"""
import os
import sys

import esepy


def main():
    folder, start, lazy_every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    inst = esepy.Instance("crash", system_path=folder + "/", log_path=folder + "/logs/",
                          temp_path=folder + "/tmp.edb", create_path_if_not_exist=True,
                          log_file_size_kb=128, checkpoint_depth_max=256 * 1024)
    inst.init()
    s = inst.begin_session()
    path = os.path.join(folder, "crash.edb")
    if os.path.exists(path):
        db = s.attach_database(path)
        t = db.open_table("kv")
    else:
        db = s.create_database(path)
        t = db.create_table("kv", {"k": "long", "v": "text", "u": "long"}, primary_key=["k"])
    if "by_v" not in t.indexes:
        t.create_index("by_v", ["v"])
    if "by_u" not in t.indexes:
        t.create_index("by_u", ["-u"], unique=True)
    out = sys.stdout
    out.write("READY\n")
    out.flush()
    i = start
    while True:
        lazy = lazy_every > 0 and i % lazy_every == 0
        s.begin_transaction()
        for j in range(3):
            t.insert({"k": 3 * i + j, "v": f"t{i}" + "x" * (i % 40), "u": 3 * i + j})
        s.commit(lazy=lazy)
        out.write(f"C {i} {int(lazy)}\n")
        out.flush()
        i += 1


if __name__ == "__main__":
    main()
