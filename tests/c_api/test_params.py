"""JetSetSystemParameter / JetGetSystemParameter: scopes, ranges, types,
fixed-at-init and fixed-at-mode rules, read-only parameters."""
import pytest


def param_rows(jet):
    rows = []
    i = 0
    while True:
        info = jet.ffi.new("ESEPY_PARAMINFO *", {"cbStruct": jet.ffi.sizeof("ESEPY_PARAMINFO")})
        if jet.lib.EsepyGetParamInfo(i, info) != 0:
            return rows
        rows.append(info)
        i += 1


@pytest.fixture
def restore_defaults(jet):
    """Put back the process defaults a test changes."""
    saved = []
    yield saved
    for pid, l, sz in saved:
        assert jet.set_param(None, pid, l, sz) == 0


def test_param_table_describes_defaults(jet):
    ffi, C = jet.ffi, jet.C
    rows = param_rows(jet)
    assert len(rows) >= 90
    ids = [r.paramid for r in rows]
    assert len(ids) == len(set(ids))
    for r in rows:
        if r.flags & 0x8:  # read-only
            continue
        if r.type in (3, 4, 5):
            err, v = jet.get_param_str(None, r.paramid)
            assert err == 0 and v == ffi.string(r.szDefault).decode(), ffi.string(r.szName)
        elif r.type != 6:
            err, v = jet.get_param_int(None, r.paramid)
            assert err == 0 and v == r.lDefault, ffi.string(r.szName)
    by_id = {r.paramid: r for r in rows}
    assert by_id[C.JET_paramLogFileSize].lDefault == 5120
    assert by_id[C.JET_paramDatabasePageSize].lDefault == 4096
    assert ffi.string(by_id[C.JET_paramBaseName].szDefault) == b"edb"
    assert ffi.string(by_id[C.JET_paramLogFilePath].szPythonName) == b"log_path"


def test_unknown_and_read_only_parameters(jet):
    C = jet.C
    assert jet.set_param(None, 9999, 1) == C.JET_errInvalidParameter
    assert jet.get_param_int(None, 9999)[0] == C.JET_errInvalidParameter
    for pid in (C.JET_paramKeyMost, C.JET_paramMaxColtyp, C.JET_paramLVChunkSizeMost, C.JET_paramErrorToString):
        assert jet.set_param(None, pid, 1) == C.JET_errInvalidParameter
    assert jet.get_param_int(None, C.JET_paramMaxColtyp) == (0, C.JET_coltypMax)
    assert jet.get_param_int(None, C.JET_paramKeyMost) == (0, C.JET_cbKeyMost4KBytePage)
    assert jet.get_param_int(None, C.JET_paramLVChunkSizeMost) == (0, 4096 - C.JET_cbColumnLVPageOverhead)


@pytest.mark.parametrize("pid,bad,good", [
    ("JET_paramLogFileSize", [63, 32769, -1], [64, 32768, 1024]),
    ("JET_paramMaxSessions", [30001], [0, 30000]),
    ("JET_paramCheckpointTooDeep", [31, 65537], [32, 65536]),
    ("JET_paramEventLoggingLevel", [101], [0, 100]),
    ("JET_paramMaxVerPages", [0], [1]),
])
def test_integer_ranges(jet, restore_defaults, pid, bad, good):
    pid = getattr(jet.C, pid)
    restore_defaults.append((pid, jet.get_param_int(None, pid)[1], None))
    for v in bad:
        assert jet.set_param(None, pid, v & 0xFFFFFFFFFFFFFFFF) == jet.C.JET_errInvalidParameter, v
    for v in good:
        assert jet.set_param(None, pid, v) == 0
        assert jet.get_param_int(None, pid) == (0, v)


def test_string_parameters(jet, restore_defaults):
    C, ffi = jet.C, jet.ffi
    restore_defaults.append((C.JET_paramBaseName, 0, "edb"))
    restore_defaults.append((C.JET_paramRecovery, 0, "on"))
    restore_defaults.append((C.JET_paramSystemPath, 0, "./"))
    assert jet.set_param(None, C.JET_paramBaseName, 0, "ab") == C.JET_errInvalidParameter
    assert jet.set_param(None, C.JET_paramBaseName, 0, "abcd") == C.JET_errInvalidParameter
    assert jet.set_param(None, C.JET_paramBaseName, 0, "xyz") == 0
    assert jet.get_param_str(None, C.JET_paramBaseName) == (0, "xyz")
    assert jet.set_param(None, C.JET_paramBaseName, 0, ffi.NULL) == C.JET_errInvalidParameter
    assert jet.set_param(None, C.JET_paramRecovery, 0, "maybe") == C.JET_errInvalidParameter
    assert jet.set_param(None, C.JET_paramRecovery, 0, "OFF") == 0
    # as ESENT: the length limit (246) is the completed folder's, trailing '/' included
    assert jet.set_param(None, C.JET_paramSystemPath, 0, "/" + "x" * 245) == C.JET_errInvalidParameter
    assert jet.set_param(None, C.JET_paramSystemPath, 0, "/" + "x" * 244) == 0
    assert jet.get_param_str(None, C.JET_paramSystemPath) == (0, "/" + "x" * 244 + "/")
    assert jet.set_param(None, C.JET_paramSystemPath, 0, "") == C.JET_errInvalidParameter
    # buffers
    assert jet.get_param_str(None, C.JET_paramBaseName, cb=3)[0] == C.JET_errBufferTooSmall
    assert jet.get_param_str(None, C.JET_paramBaseName, cb=4) == (0, "xyz")
    assert jet.lib.JetGetSystemParameter(0, 0, C.JET_paramBaseName, ffi.new("JET_API_PTR *"),
                                         ffi.NULL, 10) == C.JET_errInvalidParameter
    assert jet.lib.JetGetSystemParameter(0, 0, C.JET_paramMaxSessions, ffi.NULL, ffi.NULL, 0) == \
        C.JET_errInvalidParameter


def test_booleans_are_normalised(jet, restore_defaults):
    C = jet.C
    restore_defaults.append((C.JET_paramCircularLog, 0, None))
    assert jet.set_param(None, C.JET_paramCircularLog, 77) == 0
    assert jet.get_param_int(None, C.JET_paramCircularLog) == (0, 1)


def test_page_size_values(jet, restore_defaults):
    C = jet.C
    restore_defaults.append((C.JET_paramDatabasePageSize, 4096, None))
    for bad in (2048, 6144, 65536, 0):
        assert jet.set_param(None, C.JET_paramDatabasePageSize, bad) == C.JET_errInvalidParameter
    for good in (4096, 8192, 16384, 32768):
        assert jet.set_param(None, C.JET_paramDatabasePageSize, good) == 0
        assert jet.get_param_int(None, C.JET_paramKeyMost)[1] == (1000 if good == 4096 else 2000)


def test_instances_inherit_defaults_and_keep_their_own(jet, restore_defaults, tmp_path):
    C = jet.C
    restore_defaults.append((C.JET_paramLogFileSize, 5120, None))
    assert jet.set_param(None, C.JET_paramLogFileSize, 2048) == 0
    a = jet.instance_in(tmp_path, "inherit")
    try:
        assert jet.get_param_int(a, C.JET_paramLogFileSize) == (0, 2048)
        assert jet.set_param(a, C.JET_paramLogFileSize, 1024) == 0
        assert jet.get_param_int(a, C.JET_paramLogFileSize) == (0, 1024)
        assert jet.get_param_int(None, C.JET_paramLogFileSize) == (0, 2048)
        # global parameters always live in the process table
        assert jet.set_param(a, C.JET_paramCacheSizeMax, 1000) == 0
        assert jet.get_param_int(None, C.JET_paramCacheSizeMax) == (0, 1000)
        assert jet.set_param(None, C.JET_paramCacheSizeMax, 2000000000) == 0
    finally:
        assert jet.lib.JetTerm(a) == 0


def test_fixed_at_init(jet, tmp_path):
    C, lib, ffi = jet.C, jet.lib, jet.ffi
    a = jet.instance_in(tmp_path, "fixed")
    try:
        assert lib.JetInit(ffi.new("JET_INSTANCE *", a)) == 0
        assert jet.set_param(a, C.JET_paramLogFileSize, 1024) == C.JET_errAlreadyInitialized
        assert jet.set_param(a, C.JET_paramLogFileSize, 5120) == 0  # unchanged value is fine
        assert jet.set_param(a, C.JET_paramSystemPath, 0, "/elsewhere/") == C.JET_errAlreadyInitialized
        assert jet.set_param(a, C.JET_paramCircularLog, 1) == C.JET_errAlreadyInitialized
        # parameters that may change at any time still can
        assert jet.set_param(a, C.JET_paramCreatePathIfNotExist, 1) == 0
        assert jet.get_param_int(a, C.JET_paramCreatePathIfNotExist) == (0, 1)
        assert jet.set_param(a, C.JET_paramCheckpointDepthMax, 1 << 20) == 0
        # a stale or forged handle
        assert jet.set_param(a + 1, C.JET_paramLogFileSize, 1024) == C.JET_errInvalidParameter
        assert jet.get_param_int(a + 1, C.JET_paramLogFileSize)[0] == C.JET_errInvalidParameter
    finally:
        assert lib.JetTerm(a) == 0


def test_fixed_at_mode(subproc):
    subproc("""
        assert jet.set_param(None, C.JET_paramDatabasePageSize, 8192) == 0
        err, a = jet.create_instance("m")
        assert err == 0
        assert jet.set_param(None, C.JET_paramDatabasePageSize, 16384) == C.JET_errAlreadyInitialized
        assert jet.set_param(None, C.JET_paramVerPageSize, 4096) == C.JET_errAlreadyInitialized
        assert jet.set_param(None, C.JET_paramCacheSizeMax, 500) == 0  # global but changeable
        assert lib.JetTerm(a) == 0
        assert jet.set_param(None, C.JET_paramDatabasePageSize, 16384) == 0
    """)
