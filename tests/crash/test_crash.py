"""Crash safety: a writer process is killed (SIGKILL) at random moments, then
the instance is recovered and checked:

* every transaction whose durable commit returned is present;
* no transaction is partly present (atomicity: all three keys or none);
* what is present is a prefix of the commit order (lazy commits may be lost,
  but only from the end);
* nothing that was never committed is present.

The default run makes ESEPY_CRASH_KILLS kills (200); set it higher (thousands)
for the long mode.
"""
import os
import random
import signal
import subprocess
import sys
import time

import pytest

import esepy

HERE = os.path.dirname(os.path.abspath(__file__))
KILLS = int(os.environ.get("ESEPY_CRASH_KILLS", "200"))


def recover_and_read(folder, full_index_check=True):
    """JetInit (crash recovery) and return {transaction: set of keys present}.
    The secondary indexes are counted every time and compared entry by entry
    with `full_index_check`."""
    present = {}
    inst = esepy.Instance("verify", system_path=folder + "/", log_path=folder + "/logs/",
                          temp_path=folder + "/tmp.edb", log_file_size_kb=128)
    with inst, inst.begin_session() as s:
        path = os.path.join(folder, "crash.edb")
        if not os.path.exists(path):
            return present
        db = s.attach_database(path)
        t = db.open_table("kv")
        for rec in t:
            i = rec["k"] // 3
            assert rec["v"] == f"t{i}" + "x" * (i % 40)
            assert rec["u"] == rec["k"]
            present.setdefault(i, set()).add(rec["k"])
        # the secondary indexes hold exactly the records present
        keys = sorted(k for ks in present.values() for k in ks)
        indexes = t.indexes
        for name in ("by_v", "by_u"):
            if name in indexes:
                assert t.count(index=name) == len(keys), f"index {name} has a different record count"
        if full_index_check and "by_v" in indexes:
            assert sorted(r["k"] for r in t.range(index="by_v")) == keys, "index by_v differs from the table"
        if full_index_check and "by_u" in indexes:
            assert [r["k"] for r in t.range(index="by_u")] == keys[::-1], "index by_u differs from the table"
        t.close()
        db.close()
    return present


def check(present, acked, attempted_max):
    for i, keys in present.items():
        assert keys == {3 * i, 3 * i + 1, 3 * i + 2}, f"transaction {i} partly present: {sorted(keys)}"
        assert i <= attempted_max, f"transaction {i} was never started"
    ids = sorted(present)
    assert ids == list(range(len(ids))), "present transactions are not a prefix of the commit order"
    for i, lazy in acked.items():
        if not lazy:
            assert i in present, f"durably committed transaction {i} was lost"


def test_kill_and_recover(tmp_path):
    rng = random.Random(int(os.environ.get("ESEPY_CRASH_SEED", "1234")))
    folder = str(tmp_path)
    acked = {}
    nxt = 0
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(HERE))] + sys.path))
    for kill in range(KILLS):
        errlog = tmp_path / "child-stderr.txt"
        with open(errlog, "w") as errf:
            child = subprocess.Popen([sys.executable, os.path.join(HERE, "crash_child.py"), folder, str(nxt), "4"],
                                     stdout=subprocess.PIPE, stderr=errf, text=True, env=env)
        line = child.stdout.readline()
        if line != "READY\n":
            child.kill()
            child.wait()
            pytest.fail(f"child did not start: {line!r} {errlog.read_text()}")
        time.sleep(rng.uniform(0, 0.06))
        child.send_signal(signal.SIGKILL)
        # Read through the same buffered stream as readline() above, so no
        # acknowledgement it already buffered is lost.
        out = child.stdout.read()
        child.stdout.close()
        child.wait()
        for ln in out.split("\n")[:-1]:  # whole lines only: the kill may cut the last one
            tag, i, lazy = ln.split()
            acked[int(i)] = lazy == "1"
        attempted = max(acked, default=nxt) + 1
        present = recover_and_read(folder, full_index_check=kill % 25 == 0 or kill == KILLS - 1)
        check(present, acked, max(attempted, nxt))
        # lazily committed transactions that were lost are forgotten
        nxt = max(present, default=-1) + 1
        for i in [i for i in acked if i >= nxt]:
            assert acked[i], f"durable transaction {i} lost"
            del acked[i]
    assert nxt > 0, "no transaction ever committed"


RECOVER_CHILD = """
import sys, esepy
folder = sys.argv[1]
inst = esepy.Instance("again", system_path=folder + "/", log_path=folder + "/logs/",
                      temp_path=folder + "/tmp.edb", log_file_size_kb=128)
print("START", flush=True)
inst.init()
inst.term()
print("DONE", flush=True)
"""

BIG_WRITER = """
import sys, esepy
folder = sys.argv[1]
inst = esepy.Instance("big", system_path=folder + "/", log_path=folder + "/logs/",
                      temp_path=folder + "/tmp.edb", create_path_if_not_exist=True,
                      log_file_size_kb=128, max_ver_pages=4096)
inst.init()
s = inst.begin_session()
t = s.create_database(folder + "/crash.edb").create_table("kv", {"k": "long", "v": "text"}, primary_key=["k"])
with s.transaction():
    for k in range(0, 6000, 2):
        t.insert({"k": k, "v": "committed"})
s.begin_transaction()
for k in range(1, 6000, 2):
    t.insert({"k": k, "v": "never"})
t.update(0, {"v": "changed, never committed"})
import os
os.kill(os.getpid(), 9)
"""


def test_recovery_interrupted_by_crashes(tmp_path):
    """Recovery killed at random moments (redo or undo) recovers again and ends
    with exactly the committed data (replay is idempotent, undo logs CLRs)."""
    rng = random.Random(99)
    folder = str(tmp_path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(HERE))] + sys.path))
    w = subprocess.run([sys.executable, "-c", BIG_WRITER, folder], capture_output=True, text=True, env=env)
    assert w.returncode == -9, w.stderr
    for _ in range(8):
        child = subprocess.Popen([sys.executable, "-c", RECOVER_CHILD, folder], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, env=env)
        assert child.stdout.readline() == "START\n"
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.stdout.read()
        child.stdout.close()
        child.wait()
    inst = esepy.Instance("final", system_path=folder + "/", log_path=folder + "/logs/",
                          temp_path=folder + "/tmp.edb", log_file_size_kb=128)
    with inst, inst.begin_session() as s:
        t = s.attach_database(folder + "/crash.edb").open_table("kv")
        rows = {r["k"]: r["v"] for r in t}
        t.close()
    assert rows == {k: "committed" for k in range(0, 6000, 2)}


DDL_WRITER = """
import os, sys, esepy
folder = sys.argv[1]
inst = esepy.Instance("ddl", system_path=folder + "/", log_path=folder + "/logs/",
                      temp_path=folder + "/tmp.edb", create_path_if_not_exist=True,
                      log_file_size_kb=128, max_ver_pages=4096)
inst.init()
s = inst.begin_session()
path = folder + "/crash.edb"
if os.path.exists(path):
    t = s.attach_database(path).open_table("kv")
else:
    t = s.create_database(path).create_table("kv", {"k": "long", "v": "long"}, primary_key=["k"])
    with s.transaction():
        for k in range(1500):
            t.insert({"k": k, "v": (k * 7919) % 1500})
print("READY", flush=True)
i = int(sys.argv[2])
while True:
    name = "i%d" % i
    with s.transaction():
        t.create_index(name, ["-v"] if i % 2 else ["v", "-k"], unique=bool(i % 2))
        t.update(i % 1500, {"v": (i % 1500 * 7919) % 1500})
    print("C", name, flush=True)
    if i % 3 == 0:
        with s.transaction():
            t.delete_index(name)
        print("D", name, flush=True)
    i += 1
"""


def test_index_ddl_killed(tmp_path):
    """Index creation and deletion (with their index builds) killed at random
    moments: after recovery every index the catalog lists is complete and
    consistent with the table, acknowledged creations and deletions stand."""
    rng = random.Random(7)
    folder = str(tmp_path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(HERE))] + sys.path))
    expected = set()
    nxt = 0
    for _ in range(max(4, KILLS // 20)):
        child = subprocess.Popen([sys.executable, "-c", DDL_WRITER, folder, str(nxt)], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, env=env)
        assert child.stdout.readline() == "READY\n"
        time.sleep(rng.uniform(0.0, 0.3))
        child.send_signal(signal.SIGKILL)
        out = child.stdout.read()
        child.stdout.close()
        child.wait()
        lines = out.split("\n")[:-1]  # whole lines only: the kill may cut the last one
        for ln in lines:
            tag, name = ln.split()
            (expected.add if tag == "C" else expected.discard)(name)
            nxt = max(nxt, int(name[1:]) + 1)
        if lines and lines[-1].split()[0] == "C" and int(lines[-1].split()[1][1:]) % 3 == 0:
            # its deletion may have committed before the kill, unacknowledged: either outcome stands
            expected.discard(lines[-1].split()[1])
        inst = esepy.Instance("check", system_path=folder + "/", log_path=folder + "/logs/",
                              temp_path=folder + "/tmp.edb", log_file_size_kb=128)
        with inst, inst.begin_session() as s:
            t = s.attach_database(folder + "/crash.edb").open_table("kv")
            rows = {r["k"]: r["v"] for r in t}
            assert sorted(rows) == list(range(1500))
            indexes = t.indexes
            assert expected <= set(indexes), f"acknowledged indexes lost: {expected - set(indexes)}"
            for name, info in indexes.items():
                got = [(r["v"], r["k"]) for r in t.range(index=name)]
                if info["unique"]:
                    assert [v for v, _ in got] == sorted(rows.values(), reverse=True), name
                else:
                    assert got == sorted(((v, k) for k, v in rows.items()), key=lambda p: (p[0], -p[1])), name
            # unfinished creations were rolled back entirely; finished ones may be found later
            nxt = max([nxt] + [int(n[1:]) + 1 for n in indexes])
            expected = set(indexes)
            t.close()
    assert nxt > 0


LV_DDL_WRITER = """
import os, sys, esepy
folder = sys.argv[1]
inst = esepy.Instance("lvddl", system_path=folder + "/", log_path=folder + "/logs/",
                      temp_path=folder + "/tmp.edb", create_path_if_not_exist=True,
                      log_file_size_kb=256, max_ver_pages=4096)
inst.init()
s = inst.begin_session()
path = folder + "/crash.edb"
if os.path.exists(path):
    t = s.attach_database(path).open_table("docs")
else:
    t = s.create_database(path).create_table("docs", {"k": "long", "body": "longbinary"}, primary_key=["k"])
print("READY", flush=True)
i = int(sys.argv[2])
while True:
    with s.transaction():
        t.insert({"k": i, "body": bytes([i % 256]) * (1000 + (i * 7919) % 60000)})
        t.add_column("c%d" % i, "long")
        if i % 2:
            t.rename_column("c%d" % i, "r%d" % i)
    print("C", i, flush=True)
    if i % 3 == 0:
        with s.transaction():
            t.delete_column(("r%d" if i % 2 else "c%d") % i)
            t.delete(i)
        print("D", i, flush=True)
    i += 1
"""


def test_long_values_and_column_ddl_killed(tmp_path):
    """Records with long values inserted and deleted together with column
    adds, renames and deletes, killed at random moments: after recovery each
    step is all there or not at all, acknowledged steps stand, every long value
    reads back whole, and the file passes the integrity check."""
    from esepy.inspection import DatabaseFile
    rng = random.Random(11)
    folder = str(tmp_path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(HERE))] + sys.path))
    created, deleted = set(), set()
    nxt = 0
    for _ in range(max(4, KILLS // 20)):
        child = subprocess.Popen([sys.executable, "-c", LV_DDL_WRITER, folder, str(nxt)], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, env=env)
        assert child.stdout.readline() == "READY\n"
        time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        out = child.stdout.read()
        child.stdout.close()
        child.wait()
        # only whole lines: the kill may land in the middle of one (never acknowledged)
        lines = out.split("\n")[:-1]
        for ln in lines:
            tag, n = ln.split()
            (created if tag == "C" else deleted).add(int(n))
        # a deletion may have committed before the kill, unacknowledged: either outcome stands
        maybe_deleted = {int(lines[-1].split()[1])} if lines and lines[-1].split()[0] == "C" and \
            int(lines[-1].split()[1]) % 3 == 0 else set()
        inst = esepy.Instance("check", system_path=folder + "/", log_path=folder + "/logs/",
                              temp_path=folder + "/tmp.edb", log_file_size_kb=256)
        with inst, inst.begin_session() as s:
            path = folder + "/crash.edb"
            db = s.attach_database(path)
            t = db.open_table("docs")
            bodies = {r["k"]: r["body"] for r in t}
            cols = set(t.columns) - {"k", "body"}
            t.close()
            db.close()
            s.detach_database(path)
        keys = set(bodies)
        col_keys = {int(c[1:]) for c in cols}
        assert all(c == ("r%d" if int(c[1:]) % 2 else "c%d") % int(c[1:]) for c in cols), cols
        assert keys == col_keys, "a step is partly present"
        assert created - deleted - maybe_deleted <= keys, "acknowledged steps lost"
        assert not keys & deleted, "acknowledged deletions undone"
        for k, body in bodies.items():
            assert body == bytes([k % 256]) * (1000 + (k * 7919) % 60000), k
        report = DatabaseFile(path).check_integrity()
        assert report.problems == [], report.problems
        deleted |= maybe_deleted - keys
        nxt = max([nxt] + [k + 1 for k in keys | created | deleted])
    assert nxt > 0
