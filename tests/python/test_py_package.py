"""The package as a whole: the shipped engine library and headers, one
engine per process whether reached from Python, ctypes, cffi or C, the
exported symbols, and docstrings of the public API."""
from __future__ import annotations

import ctypes
import inspect
import os
import subprocess
import sys
import textwrap
import typing

import esepy
from esepy import errors as E
from pyapi_helpers import process_state


class JET_INSTANCE_INFO(ctypes.Structure):
    _fields_ = [
        ("hInstanceId", ctypes.c_uint64),
        ("szInstanceName", ctypes.c_char_p),
        ("cDatabases", ctypes.c_uint64),
        ("szDatabaseFileName", ctypes.POINTER(ctypes.c_char_p)),
        ("szDatabaseDisplayName", ctypes.POINTER(ctypes.c_char_p)),
        ("szDatabaseSLVFileName_Obsolete", ctypes.POINTER(ctypes.c_char_p)),
    ]


def ctypes_lib():
    lib = ctypes.CDLL(esepy.native_library())
    lib.JetGetInstanceInfo.argtypes = [ctypes.POINTER(ctypes.c_uint32),
                                       ctypes.POINTER(ctypes.POINTER(JET_INSTANCE_INFO))]
    lib.JetGetInstanceInfo.restype = ctypes.c_int32
    lib.JetFreeBuffer.argtypes = [ctypes.c_void_p]
    lib.JetFreeBuffer.restype = ctypes.c_int32
    lib.EsepyTestGetProcessState.argtypes = [ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_uint32)]
    lib.EsepyTestGetProcessState.restype = ctypes.c_int32
    lib.JetTerm.argtypes = [ctypes.c_uint64]
    lib.JetTerm.restype = ctypes.c_int32
    return lib


def ctypes_instances(lib):
    n = ctypes.c_uint32()
    p = ctypes.POINTER(JET_INSTANCE_INFO)()
    assert lib.JetGetInstanceInfo(ctypes.byref(n), ctypes.byref(p)) == 0
    try:
        return [(p[i].hInstanceId, p[i].szInstanceName.decode()) for i in range(n.value)]
    finally:
        lib.JetFreeBuffer(ctypes.cast(p, ctypes.c_void_p))


def test_native_library_is_a_shared_object():
    path = esepy.native_library()
    assert os.path.isabs(path)
    assert os.path.basename(path) == "libesent.so.0"
    assert os.path.isfile(path)
    with open(path, "rb") as f:
        head = f.read(18)
    assert head[:4] == b"\x7fELF"
    assert int.from_bytes(head[16:18], "little") == 3  # ET_DYN


def dynamic_section(path):
    """{tag: [values]} of an ELF file's dynamic section (readelf -d)."""
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    tags = {}
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[1].startswith("("):
            value = parts[2].split("[", 1)[-1].rstrip("]") if "[" in parts[2] else parts[2]
            tags.setdefault(parts[1].strip("()"), []).append(value)
    return tags


def test_library_has_a_versioned_soname_and_a_link_name():
    """libesent.so.0 carries SONAME libesent.so.0; libesent.so beside it is a
    linker script (a wheel cannot hold a symlink) so that -lesent links it."""
    lib = esepy.native_library()
    tags = dynamic_section(lib)
    assert tags["SONAME"] == ["libesent.so.0"]
    assert "RUNPATH" not in tags and "RPATH" not in tags, tags  # no build machine path
    with open(os.path.join(os.path.dirname(lib), "libesent.so")) as f:
        assert "INPUT(libesent.so.0)" in f.read()


def test_extension_finds_the_library_next_to_it_only():
    tags = dynamic_section(esepy._esepy.__file__)
    assert "libesent.so.0" in tags["NEEDED"]
    assert tags["RUNPATH"] == ["$ORIGIN"] and "RPATH" not in tags, tags


def test_pkg_config_file_builds_a_c_program(tmp_path):
    """esepy.pc (esepy.pkgconfig_dir()) gives the include and link flags of this install."""
    env = dict(os.environ, PKG_CONFIG_PATH=esepy.pkgconfig_dir())
    def pkg_config(*args):
        return subprocess.run(["pkg-config", *args, "esepy"], capture_output=True, text=True, env=env,
                              check=True).stdout.split()
    assert pkg_config("--modversion") == [esepy.__version__]
    cflags, libs = pkg_config("--cflags"), pkg_config("--libs")
    assert [os.path.realpath(f[2:]) for f in cflags if f.startswith("-I")] == [os.path.realpath(esepy.include_dir())]
    exe = tmp_path / "prog"
    src = tmp_path / "prog.c"
    src.write_text(PROG)
    subprocess.run([os.environ.get("CC", "cc"), "-o", str(exe), str(src), *cflags, *libs], check=True)
    assert "libesent.so.0" in dynamic_section(str(exe))["NEEDED"]
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "0|" + esepy.error_string(-1003)


def test_include_dir_has_the_headers():
    inc = esepy.include_dir()
    assert os.path.isdir(inc)
    for h in ("esent.h", "esepy_ext.h"):
        assert os.path.isfile(os.path.join(inc, h)), h
    with open(os.path.join(inc, "esent.h")) as f:
        text = f.read()
    assert "JetCreateInstance2" in text and "JET_errInvalidParameter" in text


def test_ctypes_sees_the_same_engine(paths):
    lib = ctypes_lib()
    with esepy.Instance("shared", **paths("shared")) as inst:
        assert ctypes_instances(lib) == [(inst.handle, "shared")]
        m, c = ctypes.c_int32(), ctypes.c_uint32()
        assert lib.EsepyTestGetProcessState(ctypes.byref(m), ctypes.byref(c)) == 0
        assert (m.value, c.value) == (2, 1)
    assert ctypes_instances(lib) == []


def test_instance_terminated_through_ctypes_is_seen_by_python(paths):
    lib = ctypes_lib()
    inst = esepy.Instance("cterm", **paths("cterm"))
    inst.init()
    s = inst.begin_session()
    try:
        assert lib.JetTerm(inst.handle) == 0
        assert esepy.instances() == []
        assert process_state() == (0, 0)
        # the Python objects hold stale handles: the engine refuses them
        # instead of touching freed memory
        try:
            s._hold(0)
        except E.InvalidSesid:
            pass
        else:
            raise AssertionError("a stale session handle was accepted")
    finally:
        try:
            s.end()
        except E.InvalidSesid:
            pass
        try:
            inst.term()  # the engine no longer knows the handle
        except E.InvalidParameter:
            pass
    assert process_state() == (0, 0)


def test_library_is_mapped_once(paths):
    ctypes.CDLL(esepy.native_library())
    import jetffi
    jetffi.load()
    real = os.path.realpath(esepy.native_library())
    st = os.stat(real)
    mapped = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and os.path.basename(parts[5]).startswith("libesent.so"):
                mapped.add((parts[3], parts[4], os.path.realpath(parts[5])))
    assert len({(dev, inode) for dev, inode, _ in mapped}) == 1, mapped
    (dev, inode, path), *_ = mapped
    assert int(inode) == st.st_ino
    assert path == real


def test_library_exports_only_jet_and_esepy_functions():
    out = subprocess.run(["nm", "-D", "--defined-only", esepy.native_library()],
                         capture_output=True, text=True, check=True).stdout
    names = [line.split()[-1] for line in out.splitlines() if line.strip()]
    assert names
    bad = [n for n in names if not n.startswith(("Jet", "Esepy"))]
    assert bad == []
    for needed in ("JetCreateInstance", "JetCreateInstance2", "JetInit", "JetInit2", "JetInit3",
                   "JetTerm", "JetTerm2", "JetBeginSession", "JetEndSession",
                   "JetSetSystemParameter", "JetGetSystemParameter", "JetGetInstanceInfo",
                   "JetFreeBuffer", "JetEnableMultiInstance", "EsepySetEventCallback",
                   "EsepyGetParamInfo", "EsepyGetErrorInfo"):
        assert needed in names, needed
    # exported symbols are functions (T), no data
    for line in out.splitlines():
        assert line.split()[-2] in ("T", "W", "i"), line


def test_extension_exports_only_its_init_function():
    ext = esepy._esepy.__file__
    out = subprocess.run(["nm", "-D", "--defined-only", ext],
                         capture_output=True, text=True, check=True).stdout
    names = [line.split()[-1] for line in out.splitlines() if line.strip()]
    assert names == ["PyInit__esepy"]


def test_extension_uses_the_shipped_library():
    out = subprocess.run(["ldd", esepy._esepy.__file__], capture_output=True, text=True,
                         check=True).stdout
    line = next(l for l in out.splitlines() if "libesent.so" in l)
    target = line.split("=>")[1].split("(")[0].strip()
    assert os.path.realpath(target) == os.path.realpath(esepy.native_library())


PROG = textwrap.dedent("""
    #include <stdio.h>
    #include "esent.h"
    #include "esepy_ext.h"
    int main(void) {
        JET_API_PTR code = (JET_API_PTR)(uint32_t)JET_errInvalidParameter;
        char buf[256];
        JET_ERR err = JetGetSystemParameter(0, 0, JET_paramErrorToString, &code, buf, sizeof(buf));
        printf("%d|%s\\n", (int)err, buf);
        return 0;
    }
""")


def test_c_program_against_include_dir_and_library(tmp_path):
    src = tmp_path / "prog.c"
    src.write_text(PROG)
    exe = tmp_path / "prog"
    libdir = os.path.dirname(esepy.native_library())
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-o", str(exe), str(src), "-I", esepy.include_dir(), "-L", libdir,
                    "-lesent", "-Wl,-rpath," + libdir], check=True, capture_output=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "0|" + esepy.error_string(-1003)


def test_public_api_has_docstrings():
    missing = []

    def check(label, obj):
        if not (inspect.getdoc(obj) or "").strip():
            missing.append(label)

    check("esepy", esepy)
    check("esepy.errors", E)
    for name in esepy.__all__:
        obj = getattr(esepy, name)
        if isinstance(obj, int) or typing.get_origin(obj) is not None:
            continue  # constants and type aliases (StopAt = Union[...]) cannot carry a docstring
        check(name, obj)
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                if attr.startswith("_"):
                    continue
                check(f"{name}.{attr}", value)
    for name in ("init", "term", "begin_session", "set_param", "get_param", "params",
                 "handle", "initialized"):
        check(f"Instance.{name}", getattr(esepy.Instance, name))
    for name in ("end", "closed", "sesid", "instance"):
        check(f"Session.{name}", getattr(esepy.Session, name))
    for name in E.__all__:
        check(f"errors.{name}", getattr(E, name))
    for cls in (E.OperationError, E.FatalError, E.InputOutputError, E.ResourceError,
                E.MemoryResourceError, E.QuotaError, E.DiskError, E.DataError,
                E.CorruptionError, E.InconsistentError, E.FragmentationError, E.ApiError,
                E.UsageError, E.StateError, E.ObsoleteError):
        check(f"errors.{cls.__name__}", cls)
    for name in ("is_string", "python_type", "settable", "check", "convert_out"):
        check(f"ParamInfo.{name}", getattr(esepy.ParamInfo, name))
    assert missing == []


def test_all_names_exist():
    for name in esepy.__all__:
        assert hasattr(esepy, name), name
    for name in E.__all__:
        assert hasattr(E, name), name
    assert esepy.__version__


def test_import_in_a_fresh_process_has_no_side_effects(subproc):
    subproc("""
        import esepy, logging
        m = ffi.new("int32_t *"); c = ffi.new("uint32_t *")
        lib.EsepyTestGetProcessState(m, c)
        assert (m[0], c[0]) == (0, 0)
        # only the NullHandler every library adds: nothing printed on its own
        assert [type(h) for h in logging.getLogger("esepy").handlers] == [logging.NullHandler]
    """)


def test_interpreter_exit_with_a_live_instance(tmp_path):
    # An instance still alive at exit (and its event sink) must not crash
    # the interpreter on the way out.
    d = str(tmp_path) + "/"
    code = textwrap.dedent(f"""
        import logging, esepy
        logging.basicConfig(level=logging.INFO)
        inst = esepy.Instance("atexit", system_path={d!r}, log_path={d!r}, temp_path={d!r})
        inst.init()
        s = inst.begin_session()
        print("ready", flush=True)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ready"
