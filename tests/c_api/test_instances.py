"""Instances through the C API: life cycle, names, limits, paths and the
process-wide instance modes (those run in a fresh process each)."""
import os
import subprocess
import sys
import textwrap

import pytest


def test_create_init_term(jet, tmp_path):
    lib, C = jet.lib, jet.C
    inst = jet.instance_in(tmp_path, "life")
    assert jet.process_state() == (2, 1)
    p = jet.ffi.new("JET_INSTANCE *", inst)
    assert lib.JetInit(p) == 0
    assert p[0] == inst
    assert lib.JetInit(p) == C.JET_errAlreadyInitialized
    assert lib.JetTerm(inst) == 0
    assert jet.process_state() == (0, 0)
    # the handle is stale now
    assert lib.JetTerm(inst) == C.JET_errInvalidParameter


def test_term_of_uninitialized_instance_frees_it(jet):
    err, inst = jet.create_instance("unused")
    assert err == 0
    assert jet.lib.JetTerm(inst) == 0
    assert jet.process_state() == (0, 0)


def test_create_instance_arguments(jet):
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    assert lib.JetCreateInstance(ffi.NULL, b"x") == C.JET_errInvalidParameter
    p = ffi.new("JET_INSTANCE *")
    assert lib.JetCreateInstance2(p, b"x", b"display", 1) == C.JET_errInvalidGrbit
    assert lib.JetCreateInstance2(p, b"x", b"Display name", 0) == 0
    assert lib.JetTerm(p[0]) == 0
    assert lib.JetCreateInstance(p, b"n" * 300) == C.JET_errInvalidParameter
    assert jet.process_state() == (0, 0)


def test_instance_names_are_unique(jet):
    C = jet.C
    err, a = jet.create_instance("same")
    assert err == 0
    try:
        assert jet.create_instance("same")[0] == C.JET_errInstanceNameInUse
        err, u = jet.create_instance(None)
        assert err == 0
        try:
            # only one unnamed instance at a time
            assert jet.create_instance(None)[0] == C.JET_errInstanceNameInUse
        finally:
            jet.lib.JetTerm(u)
    finally:
        jet.lib.JetTerm(a)


def test_forged_and_stale_handles(jet, tmp_path):
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    inst = jet.instance_in(tmp_path, "h")
    try:
        for bogus in (1, 0xDEADBEEF, inst + 1, inst ^ (1 << 20), 0xE100000000000001):
            assert lib.JetTerm(bogus) == C.JET_errInvalidParameter
            assert lib.JetInit(ffi.new("JET_INSTANCE *", bogus)) == C.JET_errInvalidParameter
            assert lib.JetBeginSession(bogus, ffi.new("JET_SESID *"), ffi.NULL, ffi.NULL) == C.JET_errInvalidParameter
    finally:
        assert lib.JetTerm(inst) == 0


def test_term_grbits(jet, tmp_path):
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    inst = jet.instance_in(tmp_path, "g")
    assert lib.JetInit(ffi.new("JET_INSTANCE *", inst)) == 0
    assert lib.JetTerm2(inst, 0x100) == C.JET_errInvalidGrbit
    assert lib.JetTerm2(inst, C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    assert jet.process_state() == (0, 0)  # terminated all the same
    inst = jet.instance_in(tmp_path, "g2")
    assert lib.JetInit(ffi.new("JET_INSTANCE *", inst)) == 0
    assert lib.JetTerm2(inst, C.JET_bitTermComplete) == 0


def test_init_grbits_and_rstinfo(jet, tmp_path):
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    inst = jet.instance_in(tmp_path, "i3")
    p = ffi.new("JET_INSTANCE *", inst)
    try:
        assert lib.JetInit2(p, 0x80000000) == C.JET_errInvalidGrbit
        bad = ffi.new("JET_RSTINFO *", {"cbStruct": 12})
        assert lib.JetInit3(p, bad, 0) == C.JET_errInvalidParameter
        rst = ffi.new("JET_RSTINFO *", {"cbStruct": ffi.sizeof("JET_RSTINFO"), "crstmap": 1})
        assert lib.JetInit3(p, rst, 0) == C.JET_errInvalidParameter  # crstmap without rgrstmap
        rst.crstmap = -1
        assert lib.JetInit3(p, rst, 0) == C.JET_errInvalidParameter
        rst.crstmap = 0
        assert lib.JetInit3(p, rst, C.JET_bitReplayIgnoreMissingDB) == 0
    finally:
        assert lib.JetTerm(inst) == 0


def test_invalid_paths(jet, tmp_path):
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    (tmp_path / "file").write_text("x")
    cases = [
        {"SystemPath": str(tmp_path / "missing") + "/"},
        {"LogFilePath": str(tmp_path / "missing" / "deeper") + "/"},
        {"LogFilePath": str(tmp_path / "file") + "/"},
        {"TempPath": str(tmp_path / "nodir" / "tmp.edb")},
        {"TempPath": str(tmp_path)},  # a folder where the temp database file should be
    ]
    for case in cases:
        inst = jet.instance_in(tmp_path, "p", **case)
        assert lib.JetInit(ffi.new("JET_INSTANCE *", inst)) == C.JET_errInvalidPath, case
        assert lib.JetTerm(inst) == C.JET_errInvalidParameter  # the failed init freed it (ESENT)
    assert not (tmp_path / "missing").exists()


def test_create_path_if_not_exist(jet, tmp_path):
    lib, ffi = jet.lib, jet.ffi
    sysdir = tmp_path / "a" / "b" / "sys"
    logdir = tmp_path / "c" / "logs"
    inst = jet.instance_in(tmp_path, "mk", SystemPath=str(sysdir) + "/", LogFilePath=str(logdir),
                           TempPath=str(tmp_path / "t" / "temp.edb"), CreatePathIfNotExist=1)
    try:
        assert lib.JetInit(ffi.new("JET_INSTANCE *", inst)) == 0
        assert sysdir.is_dir() and logdir.is_dir() and (tmp_path / "t").is_dir()
    finally:
        assert lib.JetTerm(inst) == 0


def test_failed_init_frees_the_instance(jet, tmp_path):
    # ESENT: a failed JetInit frees the instance, even one JetCreateInstance
    # made, and sets the handle to 0; the caller creates it again to retry.
    lib, ffi, C = jet.lib, jet.ffi, jet.C
    inst = jet.instance_in(tmp_path, "retry", SystemPath=str(tmp_path / "later") + "/")
    p = ffi.new("JET_INSTANCE *", inst)
    assert lib.JetInit(p) == C.JET_errInvalidPath
    assert p[0] == 0
    assert jet.process_state() == (0, 0)
    assert lib.JetTerm(inst) == C.JET_errInvalidParameter
    (tmp_path / "later").mkdir()
    inst = jet.instance_in(tmp_path, "retry", SystemPath=str(tmp_path / "later") + "/")
    p[0] = inst
    try:
        assert lib.JetInit(p) == 0
        assert p[0] == inst
    finally:
        assert lib.JetTerm(inst) == 0


def test_failed_init_keeps_the_instance_when_it_was_not_started(jet, tmp_path):
    # Errors found before the instance is looked at (a bad grbit) or because
    # it already runs leave it alone.
    lib, ffi, C = jet.lib, jet.ffi, jet.C
    inst = jet.instance_in(tmp_path, "keep")
    p = ffi.new("JET_INSTANCE *", inst)
    try:
        assert lib.JetInit2(p, 0x80000000) == C.JET_errInvalidGrbit
        assert p[0] == inst
        assert lib.JetInit(p) == 0
        assert lib.JetInit(p) == C.JET_errAlreadyInitialized
        assert p[0] == inst
    finally:
        assert lib.JetTerm(inst) == 0


@pytest.mark.parametrize("role", ["system", "log", "temp"])
def test_paths_in_use_in_process(jet, tmp_path, role):
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = jet.instance_in(tmp_path / "a", "a")
    assert lib.JetInit(ffi.new("JET_INSTANCE *", a)) == 0
    shared = {"system": {"SystemPath": str(tmp_path / "a") + "/"},
              "log": {"LogFilePath": str(tmp_path / "a")},
              "temp": {"TempPath": str(tmp_path / "a" / "tmp.edb")}}[role]
    expected = {"system": C.JET_errSystemPathInUse, "log": C.JET_errLogFilePathInUse,
                "temp": C.JET_errTempPathInUse}[role]
    b = jet.instance_in(tmp_path / "b", "b", **shared)
    try:
        assert lib.JetInit(ffi.new("JET_INSTANCE *", b)) == expected
        assert lib.JetTerm(b) == C.JET_errInvalidParameter  # freed by the failed init
    finally:
        assert lib.JetTerm(a) == 0


def test_paths_in_use_by_another_process(jet, tmp_path, subproc):
    """A folder held by an instance of another process is refused."""
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    ready = tmp_path / "ready"
    stop = tmp_path / "stop"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time, os
        sys.path.insert(0, {os.path.dirname(os.path.dirname(__file__))!r})
        import jetffi
        jet = jetffi.load()
        inst = jet.instance_in({str(tmp_path)!r}, "holder")
        assert jet.lib.JetInit(jet.ffi.new("JET_INSTANCE *", inst)) == 0
        open({str(ready)!r}, "w").close()
        deadline = time.time() + 60
        while not os.path.exists({str(stop)!r}) and time.time() < deadline:
            time.sleep(0.01)
        assert jet.lib.JetTerm(inst) == 0
    """)])
    try:
        for _ in range(6000):
            if ready.exists() or holder.poll() is not None:
                break
            import time
            time.sleep(0.01)
        assert ready.exists()
        inst = jet.instance_in(tmp_path, "intruder")
        assert lib.JetInit(ffi.new("JET_INSTANCE *", inst)) == C.JET_errSystemPathInUse
        assert lib.JetTerm(inst) == C.JET_errInvalidParameter  # freed by the failed init
        other = tmp_path / "sys2"
        other.mkdir()
        inst = jet.instance_in(other, "intruder2", LogFilePath=str(tmp_path))
        assert lib.JetInit(ffi.new("JET_INSTANCE *", inst)) == C.JET_errLogFilePathInUse
        assert lib.JetTerm(inst) == C.JET_errInvalidParameter
    finally:
        stop.touch()
        assert holder.wait(60) == 0


def test_get_instance_info_lists_running_instances(jet, tmp_path):
    lib, ffi = jet.lib, jet.ffi
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    x = jet.instance_in(tmp_path / "x", "xinst")
    y = jet.instance_in(tmp_path / "y", "yinst")
    try:
        assert lib.JetInit(ffi.new("JET_INSTANCE *", x)) == 0
        pc = ffi.new("uint32_t *")
        prg = ffi.new("JET_INSTANCE_INFO **")
        assert lib.JetGetInstanceInfo(pc, prg) == 0
        assert pc[0] == 1  # y is created but not initialized
        info = prg[0][0]
        assert info.hInstanceId == x
        assert ffi.string(info.szInstanceName) == b"xinst"
        assert info.cDatabases == 0
        assert lib.JetFreeBuffer(ffi.cast("char *", prg[0])) == 0
        assert lib.JetGetInstanceInfo(ffi.NULL, prg) == jet.C.JET_errInvalidParameter
        assert lib.JetGetInstanceInfo(pc, ffi.NULL) == jet.C.JET_errInvalidParameter
        assert lib.JetFreeBuffer(ffi.NULL) == 0
    finally:
        lib.JetTerm(x)
        lib.JetTerm(y)


def test_out_of_memory_is_reported_and_harmless(jet, tmp_path):
    """Fail the n-th allocation for every n: JetCreateInstance / JetInit report
    JET_errOutOfMemory, leave nothing behind, and a later attempt succeeds."""
    lib, C, ffi = jet.lib, jet.C, jet.ffi
    hits = ffi.new("uint32_t *")
    for n in range(1, 2000):
        lib.EsepyTestFailAllocation(n, 0, ffi.NULL)
        p = ffi.new("JET_INSTANCE *")
        err = lib.JetCreateInstance(p, b"oom")
        if err == 0:
            for pid, val in ((C.JET_paramSystemPath, str(tmp_path) + "/"), (C.JET_paramLogFilePath, str(tmp_path) + "/"),
                             (C.JET_paramTempPath, str(tmp_path) + "/")):
                lib.JetSetSystemParameter(p, 0, pid, 0, val.encode())
            lib.JetSetSystemParameter(p, 0, C.JET_paramLogFileSize, 64, ffi.NULL)
            err = lib.JetInit(p)
            lib.EsepyTestFailAllocation(0, 0, hits)
            # a failed init frees the instance and zeroes the handle (ESENT),
            # unless it failed before starting it
            term = lib.JetTerm(p[0]) if p[0] else 0
            assert err in (0, C.JET_errOutOfMemory), jet.err_name(err)
            assert term == 0
            if err == 0:
                break
        else:
            lib.EsepyTestFailAllocation(0, 0, hits)
            assert err == C.JET_errOutOfMemory
        assert jet.process_state() == (0, 0)
    else:
        pytest.fail("never succeeded")
    assert n > 2  # some allocations really failed on the way


# ---------------------------------------------------------------------------
# Process-wide modes: each in a fresh process.
# ---------------------------------------------------------------------------

def test_one_instance_mode(subproc, tmp_path):
    subproc(f"""
        import os
        os.chdir({str(tmp_path)!r})
        assert jet.process_state() == (0, 0)
        # legacy JetInit with no instance enters one-instance mode
        assert lib.JetInit(ffi.NULL) == 0
        assert jet.process_state() == (1, 1)
        assert jet.create_instance("x")[0] == C.JET_errRunningInOneInstanceMode
        assert lib.JetEnableMultiInstance(ffi.NULL, 0, ffi.NULL) == C.JET_errRunningInOneInstanceMode
        p = ffi.new("JET_INSTANCE *", C.JET_instanceNil)
        assert lib.JetInit(p) == C.JET_errAlreadyInitialized
        # 0 / Nil name the global instance
        s = ffi.new("JET_SESID *")
        assert lib.JetBeginSession(0, s, ffi.NULL, ffi.NULL) == 0
        assert lib.JetEndSession(s[0], 0) == 0
        err, v = jet.get_param_int(0, C.JET_paramMaxSessions)
        assert err == 0 and v == 16
        assert jet.set_param(None, C.JET_paramMaxSessions, 8) == C.JET_errAlreadyInitialized
        assert lib.JetTerm(0) == 0
        # the mode resets when the last instance is freed
        assert jet.process_state() == (0, 0)
        err, inst = jet.create_instance("now-multi")
        assert err == 0 and jet.process_state() == (2, 1)
        assert lib.JetTerm(inst) == 0
    """)


def test_one_instance_mode_writes_back_handle(subproc, tmp_path):
    subproc(f"""
        import os
        os.chdir({str(tmp_path)!r})
        p = ffi.new("JET_INSTANCE *", 0)
        assert lib.JetInit(p) == 0
        assert p[0] not in (0, C.JET_instanceNil)
        s = ffi.new("JET_SESID *")
        assert lib.JetBeginSession(p[0], s, ffi.NULL, ffi.NULL) == 0
        assert lib.JetTerm(p[0]) == 0
        assert jet.process_state() == (0, 0)
    """)


def test_multi_instance_mode(subproc, tmp_path):
    subproc(f"""
        import os
        os.chdir({str(tmp_path)!r})
        err, inst = jet.create_instance("m")
        assert err == 0 and jet.process_state() == (2, 1)
        assert lib.JetInit(ffi.NULL) == C.JET_errRunningInMultiInstanceMode
        # JetInit(&Nil) creates and initializes an unnamed instance
        p = ffi.new("JET_INSTANCE *", C.JET_instanceNil)
        assert lib.JetInit(p) == 0
        assert p[0] != C.JET_instanceNil and jet.process_state() == (2, 2)
        assert lib.JetTerm(p[0]) == 0
        # a garbage handle is refused
        assert lib.JetInit(ffi.new("JET_INSTANCE *", 12345)) == C.JET_errInvalidParameter
        assert lib.JetTerm(inst) == 0
        assert jet.process_state() == (0, 0)
        # with no mode chosen the handle is ignored, as ESENT does: one-instance
        # mode, and the new handle is written back
        p = ffi.new("JET_INSTANCE *", 12345)
        assert lib.JetInit(p) == 0 and p[0] != 12345
        assert jet.process_state() == (1, 1)
        assert lib.JetTerm(p[0]) == 0
        assert jet.process_state() == (0, 0)
    """)


def test_enable_multi_instance(subproc, tmp_path):
    subproc("""
        pa = ffi.new("JET_SETSYSPARAM[2]")
        pa[0].paramid = C.JET_paramMaxInstances; pa[0].lParam = 3
        pa[1].paramid = C.JET_paramDatabasePageSize; pa[1].lParam = 8192
        ok = ffi.new("uint32_t *")
        assert lib.JetEnableMultiInstance(pa, 2, ok) == 0 and ok[0] == 2
        assert pa[0].err == 0 and pa[1].err == 0
        assert jet.process_state() == (2, 0)
        assert jet.get_param_int(0, C.JET_paramDatabasePageSize) == (0, 8192)
        # again with the same values: benign warning-like error
        assert lib.JetEnableMultiInstance(pa, 2, ok) == C.JET_errSystemParamsAlreadySet
        pa[1].lParam = 16384
        assert lib.JetEnableMultiInstance(pa, 2, ok) == C.JET_errSystemParameterConflict
        # fixed-at-mode parameters are fixed now
        assert jet.set_param(None, C.JET_paramDatabasePageSize, 16384) == C.JET_errAlreadyInitialized
        assert jet.set_param(None, C.JET_paramDatabasePageSize, 8192) == 0  # same value tolerated
        handles = []
        for i in range(3):
            err, h = jet.create_instance(f"i{i}")
            assert err == 0
            handles.append(h)
        assert jet.create_instance("one-too-many")[0] == C.JET_errTooManyInstances
        for h in handles:
            assert lib.JetTerm(h) == 0
    """)


def test_enable_multi_instance_is_all_or_nothing(subproc):
    subproc("""
        pa = ffi.new("JET_SETSYSPARAM[2]")
        pa[0].paramid = C.JET_paramMaxInstances; pa[0].lParam = 5
        pa[1].paramid = C.JET_paramDatabasePageSize; pa[1].lParam = 5000
        ok = ffi.new("uint32_t *")
        assert lib.JetEnableMultiInstance(pa, 2, ok) == C.JET_errInvalidParameter
        assert pa[0].err == 0 and pa[1].err == C.JET_errInvalidParameter and ok[0] == 0
        assert jet.process_state() == (0, 0)
        assert jet.get_param_int(0, C.JET_paramMaxInstances) == (0, 16)
        assert lib.JetEnableMultiInstance(ffi.NULL, 1, ok) == C.JET_errInvalidParameter
    """)


def test_max_instances(subproc):
    subproc("""
        assert jet.set_param(None, C.JET_paramMaxInstances, 2) == 0
        a = jet.create_instance("a"); b = jet.create_instance("b")
        assert a[0] == 0 and b[0] == 0
        assert jet.create_instance("c")[0] == C.JET_errTooManyInstances
        assert jet.process_state() == (2, 2)
        assert jet.set_param(None, C.JET_paramMaxInstances, 3) == C.JET_errAlreadyInitialized
        lib.JetTerm(a[1]); lib.JetTerm(b[1])
        assert jet.set_param(None, C.JET_paramMaxInstances, 3) == 0  # mode reset: settable again
    """)
