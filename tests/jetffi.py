"""cffi access to the engine exactly as a C program sees it.

``load()`` returns a :class:`Jet` with

* ``ffi`` / ``lib``: the declarations of ``esent.h`` + ``esepy_ext.h`` +
  ``esepy_inspect.h`` (run
  through the C preprocessor, so the header itself is what is tested) and the
  installed ``libesent.so`` (``esepy.native_library()``), the same library the
  Python extension uses;
* ``C``: every ``JET_*`` / ``ESEPY_*`` macro of the headers with the value the
  C compiler gives it (a tiny C program prints them), so tests compare against
  the header, never against numbers typed into the tests.

Only the standard library, cffi and a C compiler are needed.
"""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
import types

import cffi

import esepy

HEADERS = ("esepy_ext.h", "esepy_inspect.h", "esepy_ese.h")
_INCLUDES = "".join(f'#include "{h}"\n' for h in HEADERS)


def _cc() -> str:
    return os.environ.get("CC", "cc")


def _read_headers(incdir: str) -> bytes:
    data = b""
    for name in sorted(os.listdir(incdir)):
        if name.endswith(".h"):
            with open(os.path.join(incdir, name), "rb") as f:
                data += f.read()
    return data


def _cache_dir(incdir: str) -> str:
    digest = hashlib.sha256(_INCLUDES.encode() + _read_headers(incdir)).hexdigest()[:16]
    d = os.path.join(tempfile.gettempdir(), f"esepy-jetffi-{os.getuid()}-{digest}")
    os.makedirs(d, exist_ok=True)
    return d


def _declarations(incdir: str) -> str:
    out = subprocess.run(
        [_cc(), "-E", "-P", "-DJET_NO_STDINT_INCLUDE", "-I", incdir, "-x", "c", "-"],
        input=_INCLUDES, capture_output=True, text=True, check=True).stdout
    return "\n".join(l for l in out.splitlines() if not l.lstrip().startswith("#"))


def _macro_names(incdir: str) -> list:
    out = subprocess.run([_cc(), "-dM", "-E", "-I", incdir, "-x", "c", "-"],
                         input=_INCLUDES, capture_output=True, text=True,
                         check=True).stdout
    names = []
    for line in out.splitlines():
        m = re.match(r"#define ((?:JET|ESEPY)_\w+) (.+)$", line)
        if m and not m.group(2).startswith('"'):
            names.append(m.group(1))
    return sorted(set(names))


def _constants(incdir: str) -> dict:
    cache = os.path.join(_cache_dir(incdir), "constants.txt")
    if not os.path.exists(cache):
        names = _macro_names(incdir)
        body = "\n".join(
            f'  if (({n}) < 0) printf("{n} %lld\\n", (long long)({n}));'
            f' else printf("{n} %llu\\n", (unsigned long long)({n}));' for n in names)
        src = f'#include <stdio.h>\n{_INCLUDES}int main(void) {{\n{body}\n  return 0;\n}}\n'
        d = _cache_dir(incdir)
        with open(os.path.join(d, "consts.c"), "w") as f:
            f.write(src)
        exe = os.path.join(d, "consts")
        subprocess.run([_cc(), "-w", "-I", incdir, "-o", exe, os.path.join(d, "consts.c")], check=True)
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
        tmp = cache + f".{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(out)
        os.replace(tmp, cache)
    values = {}
    with open(cache) as f:
        for line in f:
            name, value = line.split()
            values[name] = int(value)
    return values


class Jet:
    """The raw C API: ``ffi``, ``lib`` and the header's constants in ``C``."""

    def __init__(self) -> None:
        incdir = esepy.include_dir()
        self.ffi = cffi.FFI()
        self.ffi.cdef(_declarations(incdir))
        self.lib = self.ffi.dlopen(esepy.native_library())
        self.C = types.SimpleNamespace(**_constants(incdir))
        self.names = {v: k for k, v in vars(self.C).items()
                      if k.startswith(("JET_err", "JET_wrn"))}

    def err_name(self, code: int) -> str:
        """Name of a JET_ERR code (for readable assertion messages)."""
        return self.names.get(code, str(code))

    # -- small helpers used by many tests -------------------------------------
    def create_instance(self, name=None):
        """JetCreateInstance; returns (err, handle)."""
        p = self.ffi.new("JET_INSTANCE *")
        err = self.lib.JetCreateInstance(p, name.encode() if isinstance(name, str) else self.ffi.NULL)
        return err, p[0]

    def set_param(self, inst, paramid, l=0, sz=None):
        """JetSetSystemParameter on instance handle `inst` (None = process defaults)."""
        pinst = self.ffi.NULL if inst is None else self.ffi.new("JET_INSTANCE *", inst)
        return self.lib.JetSetSystemParameter(pinst, 0, paramid, l,
                                              sz.encode() if isinstance(sz, str) else (sz or self.ffi.NULL))

    def get_param_int(self, inst, paramid):
        """JetGetSystemParameter for an integer; returns (err, value)."""
        p = self.ffi.new("JET_API_PTR *")
        err = self.lib.JetGetSystemParameter(inst or 0, 0, paramid, p, self.ffi.NULL, 0)
        return err, p[0]

    def get_param_str(self, inst, paramid, cb=1024):
        """JetGetSystemParameter for a string; returns (err, value)."""
        buf = self.ffi.new("char[]", cb)
        err = self.lib.JetGetSystemParameter(inst or 0, 0, paramid, self.ffi.NULL, buf, cb)
        return err, self.ffi.string(buf).decode()

    def instance_in(self, folder, name=None, **extra):
        """Create an instance whose system, log and temp paths are inside `folder`."""
        err, inst = self.create_instance(name)
        assert err == 0, self.err_name(err)
        folder = str(folder).rstrip("/") + "/"
        for pid, val in ((self.C.JET_paramSystemPath, folder), (self.C.JET_paramLogFilePath, folder),
                         (self.C.JET_paramTempPath, folder)):
            assert self.set_param(inst, pid, 0, val) == 0
        for pid, val in extra.items():
            pid = getattr(self.C, "JET_param" + pid)
            if isinstance(val, str):
                assert self.set_param(inst, pid, 0, val) == 0
            else:
                assert self.set_param(inst, pid, int(val)) == 0
        return inst

    def process_state(self):
        """(mode, instance count) of this process."""
        m = self.ffi.new("int32_t *")
        c = self.ffi.new("uint32_t *")
        assert self.lib.EsepyTestGetProcessState(m, c) == 0
        return m[0], c[0]


_JET = None


def load() -> Jet:
    """The process's Jet (built once)."""
    global _JET
    if _JET is None:
        _JET = Jet()
    return _JET
