"""Crash-state enumeration: power cuts at every I/O boundary of short workloads.

Each workload runs once in this process with the OS layer's crash journal
recording (tests/crash/crashsim.py, docs/reliability.md "Crash simulation").
Then, for every journal position and every damage variant, the files a power
cut there would leave are materialised into the workload's folder, a fresh
instance recovers them, and the test checks:

* recovery (JetInit) succeeds and the database attaches;
* the tables equal the model after some prefix of the committed transactions
  (so nothing uncommitted or rolled back is visible, transactions are atomic
  and lazy commits form a prefix) that includes every transaction whose
  durable commit had returned before the crash point, and none that had not
  begun committing;
* every secondary index covers exactly the table's records;
* no log generation between the checkpoint and the end of the log is missing;
* the recovered database passes esepy.inspection's integrity check;
* and, on the journal, the write-ahead rule: no database page was written
  before the log record its lsn names was durable.

``ESEPY_CRASH_SOAK=N`` runs the soak instead: random workloads, all their
crash states, until N states were tried.
"""
from __future__ import annotations

import os
import random
import struct
import sys

import pytest

import esepy
from esepy import errors, inspection

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import crashsim  # noqa: E402
import jetffi  # noqa: E402

PAGE = 4096
BEGIN, ACK = 1, 2  # marks: (kind << 32) | transaction number


@pytest.fixture(scope="module")
def jet():
    return jetffi.load()


def _params(root, **extra):
    p = dict(system_path=root + "/", log_path=root + "/logs/", temp_path=root + "/tmp.edb",
             create_path_if_not_exist=True, log_file_size_kb=64, checkpoint_depth_max=64 * 1024)
    p.update(extra)
    return p


class Workload:
    """Runs transactions against one table "kv" (k long key, v text, n long,
    index by_v on v, unique index by_n on -n), keeping `states`: the tables'
    content after each committed transaction (states[0]: before any)."""

    def __init__(self, jet, root, db_name="crash.edb"):
        self.jet, self.root = jet, root
        self.path = os.path.join(root, db_name)
        self.model = {}  # table -> {k: row}
        self.states = [{}]
        self.ntx = 0

    def mark(self, kind, i):
        assert self.jet.lib.EsepyTestCrashMark((kind << 32) | i) == 0

    def commit(self, s, pending_model, lazy=False):
        """Commit with begin / acknowledge marks; `pending_model` becomes the model."""
        self.ntx += 1
        i = self.ntx
        self.mark(BEGIN, i)
        s.commit(lazy=lazy)
        self.model = pending_model
        self.states.append(_copy(self.model))
        if not lazy:
            self.mark(ACK, i)


def _copy(m):
    return {t: dict(rows) for t, rows in m.items()}


def _row(k, i, long=False):
    v = f"v{k}-{i}"
    if long:
        v = v + "L" * 9000  # a long value (several pages)
    return {"k": k, "v": v, "n": k * 10 + i % 7}


def _insert(t, rows, k, i, long=False):
    r = _row(k, i, long)
    t.insert(r)
    rows[k] = r


# ---------------------------------------------------------------------------
# workloads: each records its journal and returns (Workload, params)

def wl_basic(jet, root, rnd=None, ntx=8):
    """create, insert, update, delete, long values, lazy and durable commits,
    rollback, DDL (index, column, second table), log roll, checkpoint."""
    rnd = rnd or random.Random(1)
    w = Workload(jet, root)
    params = _params(root)
    _record(jet, True)
    with esepy.Instance("crashstates", **params) as inst:
        s = inst.begin_session()
        db = s.create_database(w.path)
        s.begin_transaction()
        t = db.create_table("kv", {"k": "long", "v": "text", "n": "long"}, primary_key=["k"])
        t.create_index("by_v", ["v"])
        t.create_index("by_n", ["-n"], unique=True)
        w.commit(s, {"kv": {}})
        next_k = 0
        for i in range(1, ntx + 1):
            m = _copy(w.model)
            rows = m["kv"]
            s.begin_transaction()
            op = rnd.choice(["ins", "ins", "upd", "del", "long", "rb", "ddl"]) if i > 2 else "ins"
            if op in ("ins", "long", "rb"):
                for _ in range(rnd.randint(1, 4)):
                    _insert(t, rows, next_k, i, long=(op == "long"))
                    next_k += 1
            elif op == "upd" and rows:
                k = rnd.choice(sorted(rows))
                nv = f"u{k}-{i}" + "U" * rnd.choice([0, 5000])
                t.update(k, {"v": nv})
                rows[k] = dict(rows[k], v=nv)
            elif op == "del" and rows:
                k = rnd.choice(sorted(rows))
                t.delete(k)
                del rows[k]
            elif op == "ddl":
                name = f"t{i}"
                t2 = db.create_table(name, {"k": "long", "v": "text", "n": "long"}, primary_key=["k"])
                _insert(t2, m.setdefault(name, {}), 0, i)
                t2.close()
            if op == "rb":
                s.rollback()
                continue
            w.commit(s, m, lazy=rnd.random() < 0.3)
        t.close()
    _record(jet, False)
    return w, params


def wl_circular(jet, root, rnd=None, ntx=10):
    """circular logging with small generations: the checkpoint advances and
    old generations are reused."""
    rnd = rnd or random.Random(2)
    w = Workload(jet, root)
    params = _params(root, circular_log=True, checkpoint_depth_max=32 * 1024)
    _record(jet, True)
    with esepy.Instance("crashstates", **params) as inst:
        s = inst.begin_session()
        db = s.create_database(w.path)
        s.begin_transaction()
        t = db.create_table("kv", {"k": "long", "v": "text", "n": "long"}, primary_key=["k"])
        t.create_index("by_n", ["-n"], unique=True)
        w.commit(s, {"kv": {}})
        for i in range(1, ntx + 1):
            m = _copy(w.model)
            s.begin_transaction()
            for j in range(3):
                _insert(t, m["kv"], i * 3 + j, i, long=(j == 0))
            w.commit(s, m, lazy=(i % 4 == 0))
        t.close()
    _record(jet, False)
    return w, params


def _record(jet, on):
    assert jet.lib.EsepyTestCrashJournal(1 if on else 0) == 0


# ---------------------------------------------------------------------------
# checking one crash state

def _read_tables(path):
    """{table: {k: row}} through the engine, checking every secondary index."""
    got = {}
    with esepy.Instance("crashcheck", **_CHECK_PARAMS) as inst:
        s = inst.begin_session()
        try:
            db = s.attach_database(path)
        except errors.FileNotFound:
            return None
        for name in db.tables:
            with db.open_table(name) as t:
                rows = {r["k"]: {"k": r["k"], "v": r["v"], "n": r["n"]} for r in t}
                for iname in t.indexes:
                    ks = sorted(r["k"] for r in t.range(index=iname))
                    assert ks == sorted(rows), f"index {name}.{iname} disagrees with the table"
                got[name] = rows
        db.close()
        s.detach_database(path)
    return got


_CHECK_PARAMS = {}


def _missing_logs(root, params):
    """Generations between the checkpoint and the newest log that are not there."""
    chk = os.path.join(params["system_path"], "edb.chk")
    if not os.path.exists(chk):
        return []
    try:
        cp = inspection.read_checkpoint(chk)
    except Exception:
        return []
    logs = params["log_path"]
    gens = set()
    for name in os.listdir(logs) if os.path.isdir(logs) else []:
        if name.startswith("edb") and name.endswith(".log") and name not in ("edbtmp.log",):
            p = os.path.join(logs, name)
            with open(p, "rb") as f:
                h = f.read(16)
            if len(h) == 16:
                gens.add(struct.unpack_from("<i", h, 12)[0])
    if not gens:
        return []
    g0 = cp.checkpoint.generation
    return [g for g in range(g0, max(gens) + 1) if g not in gens]


def check_state(w, params, k, variant, files, marks):
    """Materialise one crash state, recover it, and return a problem or None."""
    crashsim.wipe(w.root)
    for p, data in files.items():
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    acked = max([m & 0xFFFFFFFF for m in marks if m >> 32 == ACK], default=0)
    begun = max([m & 0xFFFFFFFF for m in marks if m >> 32 == BEGIN], default=0)
    missing = _missing_logs(w.root, params)
    if missing:
        return f"generations {missing} needed from the checkpoint on are missing"
    _CHECK_PARAMS.clear()
    _CHECK_PARAMS.update(params)
    try:
        got = _read_tables(w.path)
    except Exception as e:  # noqa: BLE001 - the report names it
        return f"recovery or reading failed: {type(e).__name__}: {e}"
    if got is None:
        got = {}
    cand = [j for j in range(acked, begun + 1) if w.states[j] == got]
    if not cand:
        have = {t: sorted(r) for t, r in got.items()}
        return (f"tables match no committed prefix in [{acked}, {begun}] "
                f"(acknowledged {acked}, begun {begun}); keys now {have}")
    if os.path.exists(w.path):
        rep = inspection.DatabaseFile(w.path).check_integrity()
        probs = [f"page {p.pgno}: {p.problem}" for p in rep.problems]
        if rep.checksum is not None:
            probs += [f"page {p.pgno}: {p.problem}" for p in rep.checksum.problems]
        if probs:
            return "integrity: " + "; ".join(probs[:3])
    return None


def enumerate_states(jet, w, params, ops, variants=crashsim.VARIANTS, points=None):
    """Check every crash state; returns (states tried, [problems])."""
    tried, problems = 0, []
    for k, v, files, marks in crashsim.crash_states(w.root, ops, variants, points):
        tried += 1
        p = check_state(w, params, k, v, files, marks)
        if p is not None:
            problems.append((k, v, repr(ops[k - 1]) if k else "<start>", p))
    return tried, problems


def _run(jet, tmp_path, workload):
    root = str(tmp_path / "w")
    os.makedirs(root)
    w, params = workload(jet, root)
    ops = crashsim.read_journal(jet)
    _record_free(jet)
    crashsim.wipe(root)  # the workload started from an empty folder: that is the baseline
    wal = crashsim.wal_violations(root, ops, page_size=PAGE)
    tried, problems = enumerate_states(jet, w, params, ops)
    return ops, wal, tried, problems


def _record_free(jet):
    assert jet.lib.EsepyTestCrashJournal(-1) == 0


TRIED = {}


@pytest.mark.parametrize("workload", [wl_basic, wl_circular], ids=["basic", "circular"])
def test_crash_states(jet, tmp_path, workload):
    ops, wal, tried, problems = _run(jet, tmp_path, workload)
    TRIED[workload.__name__] = tried
    print(f"{workload.__name__}: {len(ops)} journal entries, {tried} distinct crash states")
    assert not wal, wal[:5]
    assert not problems, "\n".join(f"crash after entry {k} {op} [{v}]: {p}" for k, v, op, p in problems[:10])
