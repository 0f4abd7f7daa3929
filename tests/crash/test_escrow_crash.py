"""Crash safety of escrow updates (JetEscrowUpdate deltas, logical undo):

* a writer with several sessions holding uncommitted deltas on one record,
  committed ones interleaved, is SIGKILLed: after recovery the value is
  exactly the sum of the committed deltas;
* the log is cut at every record boundary of a delta, its rollback and a
  commit (a crash inside the critical section of invariant I6): recovery
  undoes each delta exactly once;
* a randomized loop of kills of a multi-session writer;
* a backup taken while deltas are uncommitted, restored with and without
  roll-forward.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import esepy
from esepy import inspection

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(HERE))] + sys.path))

OPEN = textwrap.dedent("""
    import os, random, sys, esepy
    folder = sys.argv[1]
    inst = esepy.Instance("esc", system_path=folder + "/", log_path=folder + "/logs/",
                          temp_path=folder + "/tmp.edb", create_path_if_not_exist=True,
                          log_file_size_kb=256)
    inst.init()
    path = folder + "/esc.edb"
    s0 = inst.begin_session()
    if os.path.exists(path):
        s0.attach_database(path)
    else:
        db = s0.create_database(path)
        t = db.create_table("t", {"k": "long", "n": esepy.ColumnDef("n", "long", escrow=True, default=0)},
                            primary_key=["k"])
        with s0.transaction():
            t.insert({"k": 1})
            t.insert({"k": 2})
        t.close()
    def table(s):
        return s.open_database(path).open_table("t")
""")

# Sessions a, b, c keep deltas uncommitted; d commits; c rolls back one of
# its levels; NoRollback deltas of a survive.  Then the process kills itself.
KILL_HOLDING = OPEN + textwrap.dedent("""
    ss = [inst.begin_session() for _ in range(4)]
    ts = [table(s) for s in ss]
    for s in ss[:3]:
        s.begin_transaction()
    committed = 0
    for r in range(30):
        for i in range(3):
            ts[i].escrow_update("n", 10 ** i, key=1)
        if r % 5 == 0:
            ts[0].escrow_update("n", 1000, key=1, no_rollback=True)
            committed += 1000
        with ss[3].transaction():
            ts[3].escrow_update("n", 7, key=1)
            ts[3].escrow_update("n", 3, key=2)
        committed += 7
    ss[2].begin_transaction()
    ts[2].escrow_update("n", 555, key=1)
    ss[2].rollback()
    with ss[3].transaction():   # a durable commit: everything above is in the log
        ts[3].escrow_update("n", 1, key=1)
    committed += 1
    print(committed, flush=True)
    os.kill(os.getpid(), 9)
""")


def value(folder, keys=(1,), copy=False):
    """Recover the instance in `folder` and read n of records `keys`; `copy`:
    the folder is a copy, so recovery must use its database, not the path
    the log names."""
    extra = {"alternate_database_recovery_path": folder} if copy else {}
    inst = esepy.Instance("check", system_path=folder + "/", log_path=folder + "/logs/",
                          temp_path=folder + "/tmp.edb", log_file_size_kb=256, **extra)
    with inst, inst.begin_session() as s:
        t = s.attach_database(folder + "/esc.edb").open_table("t")
        out = tuple(t.get(k)["n"] for k in keys)
        t.close()
    return out


def run(code, *args):
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=ENV,
                          timeout=120)


def test_kill_with_uncommitted_deltas(tmp_path):
    folder = str(tmp_path)
    p = run(KILL_HOLDING, folder)
    assert p.returncode == -9, p.stderr
    committed = int(p.stdout.split()[0])
    assert value(folder, (1, 2)) == (committed, 90)
    # a second recovery (nothing left to do) changes nothing
    assert value(folder, (1, 2)) == (committed, 90)


# One delta of a (+5), its rollback, one of b (+7) committed.
CUT_WRITER = OPEN + textwrap.dedent("""
    a, b = inst.begin_session(), inst.begin_session()
    ta, tb = table(a), table(b)
    with a.transaction():
        ta.escrow_update("n", 100, key=1)         # committed base: 100
    a.begin_transaction()
    ta.escrow_update("n", 5, key=1)
    a.rollback()
    b.begin_transaction()
    tb.escrow_update("n", 7, key=1)
    a.begin_transaction()
    ta.escrow_update("n", 20, key=1)
    b.commit()
    print("READY", flush=True)
    os.kill(os.getpid(), 9)
""")


def test_log_cut_inside_delta_critical_sections(tmp_path):
    """Cut the log before each record from the first uncommitted delta on:
    recovery must see the committed sum whichever record is the last
    (a delta whose DELTADONE is missing is decided by the node's value)."""
    base = str(tmp_path / "base")
    os.makedirs(base)
    p = run(CUT_WRITER, base)
    assert p.returncode == -9 and "READY" in p.stdout, p.stderr
    log = os.path.join(base, "logs", "edb.log")
    recs = list(inspection.LogFile(log).records())
    names = [r.type_name for r in recs]
    undo = [i for i, r in enumerate(recs) if r.type_name == "Undo"]
    commits = [i for i, r in enumerate(recs) if r.type_name == "Commit"]
    # the second-to-last commit is the base (+100); the last is b's
    first = next(i for i in undo if i > commits[-2])
    assert "DeltaDone" in names and "Clr" in names[first:]
    cuts = 0
    for i in range(first, len(recs)):
        work = str(tmp_path / f"cut{i}")
        shutil.copytree(base, work)
        off = recs[i].lgpos.isec * 4096 + recs[i].lgpos.ib
        cutlog = os.path.join(work, "logs", "edb.log")
        size = os.path.getsize(cutlog)
        with open(cutlog, "r+b") as f:
            f.seek(off)
            f.write(b"\0" * (size - off))
        want = 107 if i > commits[-1] else 100
        assert value(work, copy=True) == (want,), f"cut before record {i} ({names[i]}): {names[first:i]}"
        cuts += 1
    assert cuts >= 10


# Randomized: four sessions add random deltas, commit (durably) or roll back;
# the child prints what it is about to commit and what was committed.
RANDOM_WRITER = OPEN + textwrap.dedent("""
    rnd = random.Random(int(sys.argv[2]))
    ss = [inst.begin_session() for _ in range(4)]
    ts = [table(s) for s in ss]
    pend = [None] * 4
    print("READY", flush=True)
    n = 0
    while True:
        i = rnd.randrange(4)
        if pend[i] is None:
            ss[i].begin_transaction()
            pend[i] = 0
        r = rnd.random()
        if r < 0.6:
            d = rnd.randint(-5, 20)
            ts[i].escrow_update("n", d, key=1)
            pend[i] += d
        elif r < 0.8:
            n += 1
            print("B", n, pend[i], flush=True)
            ss[i].commit()
            print("C", n, flush=True)
            pend[i] = None
        else:
            ss[i].rollback()
            pend[i] = None
""")


def test_random_kills_of_escrow_writer(tmp_path):
    rng = random.Random(int(os.environ.get("ESEPY_CRASH_SEED", "4321")))
    folder = str(tmp_path)
    total = 0
    kills = int(os.environ.get("ESEPY_ESCROW_KILLS", "6"))
    for kill in range(kills):
        child = subprocess.Popen([sys.executable, "-c", RANDOM_WRITER, folder, str(kill)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=ENV)
        line = child.stdout.readline()
        assert line == "READY\n", child.stderr.read()
        time.sleep(rng.uniform(0.02, 0.25))
        child.send_signal(signal.SIGKILL)
        out = child.stdout.read()
        child.stdout.close()
        child.stderr.close()
        child.wait()
        acked, inflight = 0, 0
        begun = {}
        for ln in out.split("\n")[:-1]:  # whole lines only
            tag, num, *rest = ln.split()
            if tag == "B":
                begun[num] = int(rest[0])
                inflight = begun[num]
            elif tag == "C":
                acked += begun.pop(num)
                inflight = 0
        (v,) = value(folder)
        # every acknowledged commit is there; the one in flight may or may not be
        assert v in (total + acked, total + acked + inflight), (kill, v, total, acked, inflight)
        total = v


def test_restore_of_backup_taken_with_uncommitted_deltas(tmp_path):
    """A backup taken while two transactions hold deltas: restored alone it
    holds the sum committed before it; rolled forward through the live logs
    (where one of them commits, the other rolls back, more commit and the
    instance then crashes with a delta uncommitted) it holds exactly the
    committed sum."""
    live, bk = str(tmp_path / "live"), str(tmp_path / "bk")
    os.makedirs(bk)
    kw = dict(system_path=live + "/", log_path=live + "/", temp_path=live + "/tmp.edb", log_file_size_kb=256)
    db = live + "/esc.edb"
    inst = esepy.Instance("live", create_path_if_not_exist=True, **kw)
    inst.init()
    a, b, c = (inst.begin_session() for _ in range(3))
    t = c.create_database(db).create_table(
        "t", {"k": "long", "n": esepy.ColumnDef("n", "longlong", escrow=True, default=0)}, primary_key=["k"])
    t.insert({"k": 1})
    t.escrow_update("n", 1, key=1)
    ta, tb = (s.open_database(db).open_table("t") for s in (a, b))
    a.begin_transaction()
    b.begin_transaction()
    ta.escrow_update("n", 10, key=1)
    tb.escrow_update("n", 100, key=1)
    inst.backup(bk)
    a.commit()
    b.rollback()
    t.escrow_update("n", 1000, key=1)
    b.begin_transaction()
    tb.escrow_update("n", 2 ** 40, key=1)     # never committed
    try:
        inst.term(grbit=esepy.TERM_DIRTY)     # a crash
    except esepy.errors.DirtyShutdown:
        pass
    os.unlink(db)

    def restored(name, dest, **paths):
        r = esepy.Instance(name, create_path_if_not_exist=True, **paths)
        try:
            r.restore_instance(bk, dest)
        finally:
            r.term()

    def n(path, **paths):
        with esepy.Instance("chk", **paths) as i2, i2.begin_session() as s:
            t = s.attach_database(path).open_table("t")
            v = t.get(1)["n"]
            t.close()
        return v

    # the set alone: what was committed when the backup ended
    alone = str(tmp_path / "alone")
    akw = dict(system_path=alone + "/", log_path=alone + "/logs/", temp_path=alone + "/tmp.edb",
               log_file_size_kb=256)
    restored("r1", alone + "/dest", **akw)
    assert n(alone + "/dest/esc.edb", **akw) == 1
    # rolled forward through the live logs, into the original place
    restored("r2", None, **kw)
    assert n(db, **kw) == 1011
