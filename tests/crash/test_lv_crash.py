"""Crash safety of big long values: a process with an unfinished transaction holding
4 x 3 MB and 64 MB of new long values (inserted without versions, lv.c L4) and a committed
long-value delete whose cleanup an older snapshot still holds off (L5) is SIGKILLed.
Recovery takes the unfinished values back entirely and keeps every committed one."""
import hashlib
import os
import subprocess
import sys
import textwrap

import esepy
from esepy.inspection import DatabaseFile

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(HERE))] + sys.path))

PARAMS = "log_file_size_kb=16384"

CHILD = textwrap.dedent("""
    import hashlib, os, sys, esepy
    folder = sys.argv[1]
    def big(i, n):
        return hashlib.sha256(b"%d" % i).digest() * (n // 32)
    inst = esepy.Instance("lvc", system_path=folder + "/", log_path=folder + "/logs/",
                          temp_path=folder + "/tmp.edb", create_path_if_not_exist=True, PARAMS)
    inst.init()
    s, old = inst.begin_session(), inst.begin_session()
    db = s.create_database(folder + "/lv.edb")
    t = db.create_table("t", {"id": "long", "body": "longbinary"}, primary_key=["id"])
    with s.transaction():
        for i in range(3):
            t.insert({"id": i, "body": big(i, 1 << 20)})
    to = old.open_database(folder + "/lv.edb").open_table("t")
    old.begin_transaction()                 # an old snapshot: the delete below stays uncleaned
    assert to.get(2)["body"] == big(2, 1 << 20)
    with s.transaction():
        t.delete(2)
    s.begin_transaction()                   # never finished
    for i in range(10, 14):
        t.insert({"id": i, "body": big(i, 3 << 20)})
    t.insert({"id": 20, "body": big(20, 64 << 20)})
    t.update(0, {"body": b"changed"})
    t.delete(1)
    s2 = inst.begin_session()
    with s2.transaction():                  # a durable commit: everything above is in the log
        t2 = s2.open_database(folder + "/lv.edb").open_table("t")
        t2.insert({"id": 5, "body": b"last"})
    print("READY", flush=True)
    os.kill(os.getpid(), 9)
""").replace("PARAMS", PARAMS)


def big(i, n):
    return hashlib.sha256(b"%d" % i).digest() * (n // 32)


def test_kill_with_big_uncommitted_values(tmp_path):
    folder = str(tmp_path)
    p = subprocess.run([sys.executable, "-c", CHILD, folder], capture_output=True, text=True, env=ENV,
                       timeout=600)
    assert p.returncode == -9 and "READY" in p.stdout, p.stderr[-2000:]
    for _ in range(2):  # a second recovery (nothing left to do) changes nothing
        inst = esepy.Instance("lvchk", system_path=folder + "/", log_path=folder + "/logs/",
                              temp_path=folder + "/tmp.edb", log_file_size_kb=16384)
        with inst, inst.begin_session() as s:
            db = s.attach_database(folder + "/lv.edb")
            t = db.open_table("t")
            assert sorted(r["id"] for r in t) == [0, 1, 5]
            assert t.get(0)["body"] == big(0, 1 << 20)
            assert t.get(1)["body"] == big(1, 1 << 20)
            assert t.get(5)["body"] == b"last"
            t.close()
            db.close()
            s.detach_database(folder + "/lv.edb")
        report = DatabaseFile(folder + "/lv.edb").check_integrity()
        assert report.problems == [], report.problems[:5]
        lv = next(tr for tr in report.trees if tr.name == "t/lv")
        # the values of rows 0 and 1, and (space only, L5) the chunks of row 2's deleted value
        assert lv.bytes_used < 4 << 20, lv
        assert report.free_pages * 4096 > 76 << 20
