"""I/O failures at every state-changing call, then a crash.

A short workload (create, transactions with long values, lazy and durable
commits, clean shutdown) runs once per call of the OS layer that changes the
file system (ESEPY_IO_MUTATE: write, fdatasync, rename, unlink, truncate,
allocation, folder sync), with the k-th such call failing: once with EIO
(JET_errDiskIO), or from then on with ENOSPC (JET_errDiskFull).  The workload
stops at the first error; its instance is terminated.  Then two outcomes are
recovered in a fresh instance and checked like test_crash_states does (every
acknowledged durable commit there, nothing else but a prefix of begun ones,
indexes agree with the table, integrity):

* the files as the process left them (it went on, then exited);
* the files a power cut right after the failure would leave (the crash
  journal's ``synced`` state at the failing call): a failure must never make
  the engine acknowledge a commit that is not durable.
"""
from __future__ import annotations

import os
import random
import sys

import pytest

import esepy

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
import crashsim  # noqa: E402
import jetffi  # noqa: E402
import test_crash_states as cs  # noqa: E402


@pytest.fixture(scope="module")
def jet():
    return jetffi.load()


def _workload(w, fail):
    """Runs until the first engine error; returns it (or None)."""
    inst = esepy.Instance("iofault", **w.params)
    try:
        fail()
        inst.init()
        s = inst.begin_session()
        db, t = cs._create(w, s)
        w.run_transactions(s, db, t, random.Random(11), 5)
        t.close()
        return None
    except esepy.errors.JetError as e:
        return e
    finally:
        for kind in range(w.jet.C.ESEPY_IO_KINDS):
            w.jet.lib.EsepyTestFailIO(kind, 0, 0, 0, w.jet.ffi.NULL)
        try:
            inst.term()
        except esepy.errors.JetError:
            pass


def _mutations(jet):
    c = jet.ffi.new("uint64_t *")
    assert jet.lib.EsepyTestGetIOCount(jet.C.ESEPY_IO_MUTATE, c) == 0
    return c[0]


def test_io_counters_count_each_kind(jet, tmp_path):
    """Every kind of call is counted; a workload makes each kind it uses."""
    before = {}
    kinds = ["PWRITE", "FSYNC", "RENAME", "TRUNCATE", "DIRSYNC", "ALLOCATE", "MUTATE"]
    c = jet.ffi.new("uint64_t *")
    for k in kinds + ["KINDS"]:
        assert jet.lib.EsepyTestGetIOCount(getattr(jet.C, "ESEPY_IO_" + k), c) == 0
        before[k] = c[0]
    root = str(tmp_path / "w")
    os.makedirs(root)
    w = cs.Workload(jet, root, cs._params(root))
    assert _workload(w, lambda: None) is None
    for k in kinds + ["KINDS"]:
        assert jet.lib.EsepyTestGetIOCount(getattr(jet.C, "ESEPY_IO_" + k), c) == 0
        assert c[0] > before[k] or k == "TRUNCATE", k
    assert jet.lib.EsepyTestGetIOCount(jet.C.ESEPY_IO_KINDS + 1, c) == jet.C.JET_errInvalidParameter
    assert jet.lib.EsepyTestFailIO(jet.C.ESEPY_IO_MUTATE, 1, 0, 0, jet.ffi.NULL) == jet.C.JET_errInvalidParameter


def test_fail_io_fails_the_kth_call(jet, tmp_path):
    """EsepyTestFailIO: the k-th call fails with the error given, once or for good."""
    root = str(tmp_path / "w")
    os.makedirs(root)
    w = cs.Workload(jet, root, cs._params(root))
    err = _workload(w, lambda: jet.lib.EsepyTestFailIO(jet.C.ESEPY_IO_DIRSYNC, 1, 1, jet.C.JET_errDiskFull, jet.ffi.NULL))
    assert isinstance(err, (esepy.errors.DiskFull, esepy.errors.LogDiskFull)), err
    crashsim.wipe(root)
    err = _workload(w, lambda: jet.lib.EsepyTestFailIO(jet.C.ESEPY_IO_FSYNC, 2, 0, jet.C.JET_errDiskIO, jet.ffi.NULL))
    assert err is not None and "DiskIO" in type(err).__name__ or "LogWrite" in type(err).__name__, err


def _check(w, files, marks, label, problems):
    p = cs.check_state(w, 0, "", files, marks)
    if p is not None:
        problems.append((cs._phase_at(marks), f"{label}: {p}"))


_RESULTS = {}


def _fail_every_call(jet, crash_dir, mode):
    """Run the workload once per state-changing call with that call failing;
    returns (calls, runs that failed, [(phase at the failure, problem)])."""
    if mode in _RESULTS:
        return _RESULTS[mode]
    root = str(crash_dir / ("iofault-" + mode))
    os.makedirs(root)
    w = cs.Workload(jet, root, cs._params(root))
    n0 = _mutations(jet)
    assert _workload(w, lambda: None) is None
    n = _mutations(jet) - n0
    persistent, err = (0, jet.C.JET_errDiskIO) if mode == "eio-once" else (1, jet.C.JET_errDiskFull)
    problems, failed_runs = [], 0
    for k in range(1, n + 1):
        crashsim.wipe(root)
        w = cs.Workload(jet, root, cs._params(root))
        w.start()
        e = _workload(w, lambda: jet.lib.EsepyTestFailIO(jet.C.ESEPY_IO_MUTATE, k, persistent, err, jet.ffi.NULL))
        cs._record(jet, 0)
        failed_runs += e is not None
        ops = crashsim.read_journal(jet)
        cs._record(jet, -1)
        after = crashsim.snapshot(root)[1]
        marks = [op.off for op in ops if op.op == crashsim.MARK]
        # the process went on and exited: the files as they are
        _check(w, after, marks, f"call {k} failed ({e!r}), files as left", problems)
        # a power cut right after the process stopped
        for _k, _v, files, m in crashsim.crash_states(root, ops, ("synced",), [len(ops)], w.baseline):
            _check(w, files, m, f"call {k} failed ({e!r}), power cut after", problems)
    _RESULTS[mode] = (n, failed_runs, problems)
    return _RESULTS[mode]


@pytest.mark.parametrize("mode", ["eio-once", "enospc-forever"])
def test_fail_every_call_then_crash(jet, crash_dir, mode):
    n, failed_runs, problems = _fail_every_call(jet, crash_dir, mode)
    assert n > 40  # the workload makes enough calls (50 once the reserve logs' syncs went, issue 20)
    assert failed_runs > n // 2
    unknown = [text for _phase, text in problems]
    assert not unknown, "\n".join(unknown[:10])


@pytest.mark.parametrize("mode", ["eio-once", "enospc-forever"])
def test_fail_inside_create_database(jet, crash_dir, mode):
    """A JetCreateDatabase that fails leaves no database behind (R5): the file is
    removed, or the next recovery removes it (its DBCREATE has no DBROOTS)."""
    _n, _failed, problems = _fail_every_call(jet, crash_dir, mode)
    known = [text for phase, text in problems if phase == "createdb"]
    assert not known, "\n".join(known[:10])
