"""The one error table: header constants, JET_paramErrorToString text and the
table rows agree, and the generated files are up to date."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rows(jet):
    out = []
    i = 0
    while True:
        info = jet.ffi.new("ESEPY_ERRORINFO *", {"cbStruct": jet.ffi.sizeof("ESEPY_ERRORINFO")})
        if jet.lib.EsepyGetErrorInfo(i, info) != 0:
            return out
        out.append((info.err, jet.ffi.string(info.szName).decode(), info.errcat, info.fCanonical,
                    jet.ffi.string(info.szMessage).decode()))
        i += 1


def test_generated_files_are_current():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "generr.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_row_is_a_header_constant(jet):
    table = rows(jet)
    assert len(table) > 400
    for code, name, _cat, _canon, _msg in table:
        assert getattr(jet.C, name) == code, name
    header_codes = {k for k in vars(jet.C) if k.startswith(("JET_err", "JET_wrn"))}
    assert header_codes == {r[1] for r in table}


def test_table_sorted_and_canonical_first(jet):
    table = rows(jet)
    codes = [r[0] for r in table]
    assert codes == sorted(codes)
    seen = set()
    for code, name, _cat, canon, _msg in table:
        assert bool(canon) == (code not in seen), name
        seen.add(code)


def test_error_to_string(jet):
    ffi, lib, C = jet.ffi, jet.lib, jet.C
    for code, name, _cat, canon, msg in rows(jet):
        if not canon:
            continue
        p = ffi.new("JET_API_PTR *", code & 0xFFFFFFFFFFFFFFFF)
        buf = ffi.new("char[]", 512)
        assert lib.JetGetSystemParameter(C.JET_instanceNil, 0, C.JET_paramErrorToString, p, buf, 512) == 0
        assert ffi.string(buf).decode() == f"{name}, {msg}"


def test_error_to_string_errors(jet):
    ffi, lib, C = jet.ffi, jet.lib, jet.C
    p = ffi.new("JET_API_PTR *", C.JET_errInvalidPath & 0xFFFFFFFFFFFFFFFF)
    small = ffi.new("char[]", 8)
    assert lib.JetGetSystemParameter(0, 0, C.JET_paramErrorToString, p, small, 8) == C.JET_errBufferTooSmall
    assert lib.JetGetSystemParameter(0, 0, C.JET_paramErrorToString, ffi.NULL, small, 8) == C.JET_errInvalidParameter
    assert lib.JetGetSystemParameter(0, 0, C.JET_paramErrorToString, p, ffi.NULL, 8) == C.JET_errInvalidParameter
    unknown = ffi.new("JET_API_PTR *", (-4242) & 0xFFFFFFFFFFFFFFFF)
    buf = ffi.new("char[]", 256)
    assert lib.JetGetSystemParameter(0, 0, C.JET_paramErrorToString, unknown, buf, 256) == 0
    assert "-4242" in ffi.string(buf).decode()


def test_categories_follow_ese(jet):
    by_name = {r[1]: r[2] for r in rows(jet)}
    cat = jet.lib
    assert by_name["JET_errLogFileCorrupt"] == cat.JET_errcatCorruption
    assert by_name["JET_errOutOfMemory"] == cat.JET_errcatMemory
    assert by_name["JET_errDiskIO"] == cat.JET_errcatIO
    assert by_name["JET_errInvalidParameter"] == cat.JET_errcatUsage
    assert by_name["JET_errAlreadyInitialized"] == cat.JET_errcatUsage
    assert by_name["JET_wrnColumnNull"] == cat.JET_errcatUnknown


def test_get_error_info_bounds(jet):
    info = jet.ffi.new("ESEPY_ERRORINFO *", {"cbStruct": 1})
    assert jet.lib.EsepyGetErrorInfo(0, info) == jet.C.JET_errInvalidParameter
    assert jet.lib.EsepyGetErrorInfo(0, jet.ffi.NULL) == jet.C.JET_errInvalidParameter
    info.cbStruct = jet.ffi.sizeof("ESEPY_ERRORINFO")
    assert jet.lib.EsepyGetErrorInfo(100000, info) == jet.C.JET_errInvalidParameter
