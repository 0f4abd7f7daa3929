"""esent.h as a C program sees it: structure layouts match ESENT's on x64
(Windows long = 32 bits), handle types and nil values, and a C program
compiled against the installed header and library works."""
import os
import subprocess

import esepy


SIZES = {
    "JET_LGPOS": 8, "JET_LOGTIME": 8, "JET_SIGNATURE": 28, "JET_BKINFO": 24,
    "JET_DBINFOMISC": 216, "JET_SNPROG": 12, "JET_RSTMAP": 16, "JET_RSTINFO": 48,
    "JET_INSTANCE_INFO": 48, "JET_LOGINFO": 16, "JET_SETSYSPARAM": 32,
}


def test_struct_sizes(jet):
    for name, size in SIZES.items():
        assert jet.ffi.sizeof(name) == size, name


def test_dbinfomisc_offsets(jet):
    off = lambda f: jet.ffi.offsetof("JET_DBINFOMISC", f)  # noqa: E731
    assert off("dbstate") == 36
    assert off("lgposConsistent") == 40
    assert off("lgposAttach") == 64
    assert off("signLog") == 88
    assert off("bkinfoFullPrev") == 116
    assert off("cbPageSize") == 212


def test_rstinfo_and_logtime_fields(jet):
    off = lambda f: jet.ffi.offsetof("JET_RSTINFO", f)  # noqa: E731
    assert (off("rgrstmap"), off("crstmap"), off("lgposStop"), off("logtimeStop"), off("pfnStatus")) == (8, 16, 20, 28, 40)
    lt = jet.ffi.new("JET_LOGTIME *")
    lt.fTimeIsUTC = 1
    lt.bMillisecondsLow = 0x7F
    assert jet.ffi.cast("unsigned char", lt.bFiller1) == 0xFF
    lgpos = jet.ffi.new("JET_LGPOS *", {"ib": 1, "isec": 2, "lGeneration": 3})
    assert bytes(jet.ffi.buffer(lgpos)) == b"\x01\x00\x02\x00\x03\x00\x00\x00"


def test_handle_types_and_nil_values(jet):
    ffi, C = jet.ffi, jet.C
    for t in ("JET_INSTANCE", "JET_SESID", "JET_TABLEID", "JET_API_PTR"):
        assert ffi.sizeof(t) == ffi.sizeof("void *")
    for t in ("JET_ERR", "JET_DBID", "JET_COLUMNID", "JET_GRBIT", "JET_SNP", "JET_SNT"):
        assert ffi.sizeof(t) == 4
    all_bits = (1 << (8 * ffi.sizeof("void *"))) - 1
    assert C.JET_instanceNil == C.JET_sesidNil == C.JET_tableidNil == all_bits
    assert C.JET_dbidNil == 0xFFFFFFFF


def test_esent_numbers(jet):
    C = jet.C
    # a sample of ESENT's numeric values (reference sections 1, 2, 7, 8)
    assert (C.JET_snpRestore, C.JET_snpBackup, C.JET_sntBegin, C.JET_sntProgress,
            C.JET_sntComplete, C.JET_sntFail) == (8, 9, 5, 0, 6, 3)
    assert (C.JET_paramSystemPath, C.JET_paramLogFilePath, C.JET_paramBaseName, C.JET_paramLogFileSize,
            C.JET_paramCircularLog, C.JET_paramDatabasePageSize, C.JET_paramErrorToString,
            C.JET_paramCreatePathIfNotExist, C.JET_paramMaxInstances) == (0, 2, 3, 11, 17, 64, 70, 100, 104)
    assert (C.JET_bitTermComplete, C.JET_bitTermAbrupt, C.JET_bitTermStopBackup, C.JET_bitTermDirty) == (1, 2, 4, 8)
    assert (C.JET_bitBackupIncremental, C.JET_bitBackupAtomic) == (1, 4)
    assert C.JET_errInvalidLogSequence == -515 and C.JET_errRunningInMultiInstanceMode == -1081
    assert C.JET_wrnColumnNull == 1004 and C.JET_wrnNyi == -1


def _compile_and_run(tmp_path, source):
    src = tmp_path / "prog.c"
    src.write_text(source)
    exe = tmp_path / "prog"
    libdir = os.path.dirname(esepy.native_library())
    subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic",
                    "-I", esepy.include_dir(), str(src), "-o", str(exe), "-L", libdir, "-l:libesent.so",
                    f"-Wl,-rpath,{libdir}"], check=True, capture_output=True)
    return subprocess.run([str(exe)], capture_output=True, text=True, check=True)


def test_c_program_against_installed_header_and_library(tmp_path):
    prog = r'''
#include <stdio.h>
#include <string.h>
#include "esent.h"
int main(void) {
    JET_INSTANCE inst = 0;
    JET_SESID ses = 0;
    JET_ERR err = JetCreateInstance(&inst, "cprog");
    if (err != JET_errSuccess) return 10;
    err = JetSetSystemParameter(&inst, 0, JET_paramSystemPath, 0, "DIR/");
    err |= JetSetSystemParameter(&inst, 0, JET_paramLogFilePath, 0, "DIR/");
    err |= JetSetSystemParameter(&inst, 0, JET_paramTempPath, 0, "DIR/");
    if (err != JET_errSuccess) return 11;
    if (JetInit(&inst) != JET_errSuccess) return 12;
    if (JetBeginSession(inst, &ses, NULL, NULL) != JET_errSuccess) return 13;
    if (JetEndSession(ses, 0) != JET_errSuccess) return 14;
    if (JetTerm(inst) != JET_errSuccess) return 15;
    JET_API_PTR code = (JET_API_PTR)(JET_ERR)JET_errInvalidPath;
    char text[256];
    if (JetGetSystemParameter(JET_instanceNil, JET_sesidNil, JET_paramErrorToString, &code, text, sizeof text))
        return 16;
    printf("%s\n", text);
    return 0;
}
'''.replace("DIR", str(tmp_path))
    out = _compile_and_run(tmp_path, prog)
    assert out.stdout.startswith("JET_errInvalidPath, ")


def test_library_exports_only_the_api():
    out = subprocess.run(["nm", "-D", "--defined-only", esepy.native_library()],
                         capture_output=True, text=True, check=True).stdout
    symbols = [line.split()[-1] for line in out.splitlines() if line.strip()]
    functions = [s for s in symbols if not s.startswith("_")]
    assert functions, "no exported symbols"
    bad = [s for s in functions if not (s.startswith("Jet") or s.startswith("Esepy"))]
    assert bad == []
    for name in ("JetCreateInstance", "JetCreateInstance2", "JetInit", "JetInit2", "JetInit3", "JetTerm",
                 "JetTerm2", "JetSetSystemParameter", "JetGetSystemParameter", "JetEnableMultiInstance",
                 "JetGetInstanceInfo", "JetFreeBuffer", "JetBeginSession", "JetEndSession",
                 "EsepySetEventCallback"):
        assert name in functions
