"""Crash safety of backup and restore: processes are killed (SIGKILL) at random
moments while they take atomic backups or restore, then:

* an atomic backup folder always holds one complete backup set, which restores
  to a prefix of what was committed (at least what the last finished backup saw);
* a restore killed midway is followed by a restore that succeeds with exactly
  the committed data.
"""
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import esepy

ROWS_PER_BATCH = 200

CHILD_BACKUP = textwrap.dedent("""
    import os, sys, esepy
    folder, bk = sys.argv[1], sys.argv[2]
    inst = esepy.Instance("bk", system_path=folder + "/", log_path=folder + "/", temp_path=folder + "/tmp.edb",
                          log_file_size_kb=256)
    inst.init()
    s = inst.begin_session()
    db = s.attach_database(folder + "/a.edb")
    t = db.open_table("t")
    n = len(t)
    while True:
        with s.transaction():
            for k in range(n, n + %d):
                t.insert({"k": k, "v": "x" * 120})
        n += %d
        inst.backup(bk, atomic=True)
        print("backup", n, flush=True)
""" % (ROWS_PER_BATCH, ROWS_PER_BATCH))

CHILD_RESTORE = textwrap.dedent("""
    import sys, esepy
    folder, bk, dest = sys.argv[1], sys.argv[2], sys.argv[3]
    inst = esepy.Instance("rs", system_path=folder + "/", log_path=folder + "/", temp_path=folder + "/tmp.edb",
                          log_file_size_kb=256, create_path_if_not_exist=True)
    print("start", flush=True)
    inst.restore_instance(bk, dest)
    print("done", flush=True)
""")


def make_db(folder, rows):
    os.makedirs(folder, exist_ok=True)
    inst = esepy.Instance("mk", system_path=folder + "/", log_path=folder + "/", temp_path=folder + "/tmp.edb",
                          log_file_size_kb=256)
    with inst, inst.begin_session() as s:
        t = s.create_database(folder + "/a.edb").create_table("t", {"k": "long", "v": "text"}, primary_key=["k"])
        with s.transaction():
            for k in range(rows):
                t.insert({"k": k, "v": "x" * 120})


def restored_keys(folder, bk, dest):
    inst = esepy.Instance("chk", system_path=folder + "/", log_path=folder + "/", temp_path=folder + "/tmp.edb",
                          log_file_size_kb=256, create_path_if_not_exist=True)
    try:
        inst.restore_instance(bk, dest)
    finally:
        inst.term()
    with inst.__class__("chk2", system_path=folder + "/", log_path=folder + "/", temp_path=folder + "/tmp.edb",
                        log_file_size_kb=256) as i2, i2.begin_session() as s:
        t = s.attach_database(dest + "/a.edb").open_table("t")
        return sorted(r["k"] for r in t)


def test_atomic_backup_killed_at_random_points(tmp_path):
    rng = random.Random(int(os.environ.get("ESEPY_CRASH_SEED", "99")))
    live = str(tmp_path / "live")
    bk = str(tmp_path / "bk")
    os.mkdir(bk)
    make_db(live, 2000)
    seen_done = 0
    for round_ in range(8):
        child = subprocess.Popen([sys.executable, "-c", CHILD_BACKUP, live, bk], stdout=subprocess.PIPE, text=True)
        last = None
        for line in child.stdout:
            what, n = line.split()
            last = int(n)
            if rng.random() < 0.5:
                break
        time.sleep(rng.uniform(0, 0.08))  # somewhere inside the next backup
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        for line in rest.splitlines():
            last = int(line.split()[1])
        assert last is not None
        seen_done = max(seen_done, last)
        assert sorted(os.listdir(bk)) in (["new"], ["new", "old"], ["new", "temp"], ["new", "old", "temp"],
                                          ["old", "temp"], ["old"], ["new", "old", "temp"]), os.listdir(bk)
        work = str(tmp_path / f"r{round_}")
        keys = restored_keys(work, bk, work + "/dest")
        # One complete set: a prefix of the commits, at least what the last finished backup saw.
        assert keys == list(range(len(keys)))
        assert len(keys) >= seen_done - ROWS_PER_BATCH and len(keys) >= 2000


def test_restore_killed_then_restored_again(tmp_path):
    rng = random.Random(7)
    live = str(tmp_path / "live")
    make_db(live, 3000)
    bk = str(tmp_path / "bk")
    os.mkdir(bk)
    inst = esepy.Instance("b", system_path=live + "/", log_path=live + "/", temp_path=live + "/tmp.edb",
                          log_file_size_kb=256)
    with inst, inst.begin_session() as s:
        s.attach_database(live + "/a.edb")
        inst.backup(bk)
    work = str(tmp_path / "work")
    os.makedirs(work)
    for i in range(5):
        child = subprocess.Popen([sys.executable, "-c", CHILD_RESTORE, work, bk, work + "/dest"],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0, 0.05))
        child.send_signal(signal.SIGKILL)
        child.communicate()
        if os.path.exists(work + "/dest/a.edb"):
            # A half-restored copy is never mistaken for a good database.
            info = esepy.database_file_info(work + "/dest/a.edb")
            assert info["state"] == "CleanShutdown" or info["backup_full_cur"]["gen_low"] != 0
    assert restored_keys(work, bk, work + "/dest") == list(range(3000))
