"""Build esepy: the C engine as ONE shared library (esepy/libesent.so) that
exports the Jet* API and esepy's Esepy* extensions and nothing else, plus the
CPython extension esepy._esepy linked against that same library (rpath
$ORIGIN), so that a process has exactly one engine whether it is driven from
Python, from cffi or from C.

The library is libesent.so.0 (SONAME libesent.so.0: the number changes when
the ABI breaks); libesent.so next to it is a one-line linker script naming it,
so that C programs link with -lesent (a wheel cannot hold a symlink, and two
copies would be two engines).  esepy/pkgconfig/esepy.pc describes both for
pkg-config, relative to its own folder (${pcfiledir}), wherever the package is
installed.

Environment knobs (for developers; the defaults are what users get):
  ESEPY_SANITIZE=1   build with -fsanitize=address,undefined
  ESEPY_DEBUG=1      build with -O0 and assertions
  ESEPY_WERROR=1     turn warnings into errors (-Werror); also on when CI=true.
                     Users' builds never fail on a new compiler's new warning.
"""
import glob
import os
import shutil
import sys

import setuptools
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# pyproject.toml's licence is an SPDX expression (PEP 639): older setuptools
# reject it with a schema error.  pip's isolated builds fetch a new one; this
# is for `python setup.py build_ext --inplace` in an older venv.
if int(setuptools.__version__.split(".")[0]) < 77:
    raise SystemExit(f"esepy's build needs setuptools>=77 (this is {setuptools.__version__}): "
                     "pip install -U 'setuptools>=77', or pip install -e '.[test]'")

HERE = os.path.dirname(os.path.abspath(__file__))
# Every engine layer: each folder of csrc/ except the public headers and the
# Python extension (docs/architecture.md has the map).
CORE_DIRS = sorted(d for d in glob.glob("csrc/*") if os.path.isdir(d) and os.path.basename(d) not in ("include", "pyext"))
INCLUDE = "csrc/include"
SOVERSION = "0"
# ELF systems (Linux, FreeBSD: GNU ld, gold or lld) and macOS (ld64) name and
# link shared libraries differently.  Linux is built and tested; the macOS
# branch is written, not tested here (README, "Platforms").
MACOS = sys.platform == "darwin"
if MACOS:
    LIBNAME = "libesent." + SOVERSION + ".dylib"  # native_library(); install name @rpath/LIBNAME
    LINKNAME = None                               # ld64 reads no linker scripts: esepy.pc names LIBNAME
    ORIGIN = "@loader_path"
else:
    LIBNAME = "libesent.so." + SOVERSION  # the ELF file (native_library())
    LINKNAME = "libesent.so"              # linker script: INPUT(libesent.so.0)
    ORIGIN = "$ORIGIN"


def _library_link_flags():
    """The engine's identity and an error for any unresolved symbol: SONAME and
    --no-undefined for ELF linkers; install name for ld64 (which already
    refuses undefined symbols by default)."""
    if MACOS:
        return ["-Wl,-install_name,@rpath/" + LIBNAME]
    return ["-Wl,-soname," + LIBNAME, "-Wl,--no-undefined"]


def _werror():
    def on(name):
        return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
    return ["-Werror"] if on("ESEPY_WERROR") or on("CI") else []


WARN = ["-std=c11", "-Wall", "-Wextra"] + _werror()


def _flags():
    # -UNDEBUG: Python's own CFLAGS (sysconfig) define NDEBUG, which would
    # silently turn assert() and testcase() off in a debug build.
    opt = ["-O0", "-g3", "-UNDEBUG"] if os.environ.get("ESEPY_DEBUG") else ["-O2", "-g", "-DNDEBUG"]
    san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"] if os.environ.get("ESEPY_SANITIZE") else []
    return opt, san


class BuildEsepy(build_ext):
    """Compile csrc/ into libesent.so next to the extension, then the extension."""

    def build_extensions(self):
        self._no_build_machine_rpath()
        self._build_core()
        super().build_extensions()

    def _no_build_machine_rpath(self):
        """A Python built as a shared library (pyenv, some distributions) puts
        -Wl,-rpath,<its own lib folder> into LDSHARED: a path of the build
        machine that would end up in our RUNPATH.  The engine needs no RUNPATH
        and the extension exactly one, $ORIGIN (added below)."""
        for attr in ("linker_so", "linker_so_cxx"):
            cmd = getattr(self.compiler, attr, None)
            if cmd:
                setattr(self.compiler, attr, [a for a in cmd if not a.startswith(("-Wl,-rpath", "-Wl,-R"))])

    # setuptools builds into build_lib and, for in-place / editable builds,
    # copies the extension back into the source tree; the engine library and
    # the headers must travel with it.
    def _extra_files(self):
        out_dir = self._out_dir()
        names = [LIBNAME] + ([LINKNAME] if LINKNAME else []) + [os.path.join("pkgconfig", "esepy.pc")] + [
            os.path.join("include", os.path.basename(h)) for h in glob.glob(os.path.join(INCLUDE, "*.h"))]
        return [(os.path.join(out_dir, n), os.path.join(HERE, "esepy", n)) for n in names]

    def copy_extensions_to_source(self):
        super().copy_extensions_to_source()
        for built, inplace in self._extra_files():
            os.makedirs(os.path.dirname(inplace), exist_ok=True)
            self.copy_file(built, inplace, level=self.verbose)

    def _get_output_mapping(self):
        yield from super()._get_output_mapping()
        if self.inplace:
            yield from self._extra_files()

    def _out_dir(self):
        # Where setuptools puts the extension while building (never the source
        # tree: in-place builds are copied back by copy_extensions_to_source).
        return os.path.abspath(os.path.join(self.build_lib, "esepy"))

    def _build_core(self):
        out_dir = self._out_dir()
        os.makedirs(out_dir, exist_ok=True)
        cc = self.compiler  # configured by build_ext.run() for this interpreter
        opt, san = _flags()
        sources = sorted(s for d in CORE_DIRS for s in glob.glob(os.path.join(d, "*.c")))
        objs = cc.compile(
            sources,
            output_dir=os.path.join(self.build_temp, "core"),
            include_dirs=[INCLUDE] + CORE_DIRS,
            macros=[("ESEPY_BUILDING_LIBRARY", "1"), ("_GNU_SOURCE", "1")],
            extra_preargs=WARN + opt + san + ["-fPIC", "-fvisibility=hidden", "-pthread"],
            depends=glob.glob("csrc/**/*.h", recursive=True) + glob.glob("csrc/**/*.inc", recursive=True),
        )
        lib = os.path.join(out_dir, LIBNAME)
        cc.link_shared_object(
            objs,
            lib,
            extra_preargs=san + ["-pthread"] + _library_link_flags(),
        )
        # -lesent finds this script, which links libesent.so.0 (DT_NEEDED is
        # the SONAME); an old libesent.so file of an earlier build is replaced.
        if LINKNAME:
            with open(os.path.join(out_dir, LINKNAME), "w") as f:
                f.write("/* GNU ld script: link the esepy engine */\nINPUT(%s)\n" % LIBNAME)
        self._write_pkgconfig(out_dir)
        # Headers ship inside the package so that esepy.include_dir() works
        # for C programs and cffi after a plain (non-editable) install.
        inc_out = os.path.join(out_dir, "include")
        os.makedirs(inc_out, exist_ok=True)
        for h in glob.glob(os.path.join(INCLUDE, "*.h")):
            shutil.copy2(h, inc_out)
        for ext in self.extensions:
            ext.library_dirs = [out_dir]
            ext.libraries = []
            ext.extra_objects = [lib]  # DT_NEEDED libesent.so.0, found through RUNPATH $ORIGIN
            ext.extra_compile_args = WARN + opt + san + ["-Wno-missing-field-initializers", "-Wno-cast-function-type"]
            ext.extra_link_args = san + ["-Wl,-rpath," + ORIGIN]

    def _write_pkgconfig(self, out_dir):
        """esepy.pc, relocatable: every path is relative to the .pc file's folder."""
        pc_dir = os.path.join(out_dir, "pkgconfig")
        os.makedirs(pc_dir, exist_ok=True)
        with open(os.path.join(pc_dir, "esepy.pc"), "w") as f:
            libs = "${libdir}/" + LIBNAME if MACOS else "-L${libdir} -lesent"
            f.write(PKGCONFIG.format(version=self.distribution.get_version(), libs=libs))


# ${pcfiledir} is the folder holding this file (pkg-config and pkgconf both
# define it), so the same file serves every install location.
PKGCONFIG = """\
# esepy's engine for C programs: the ESENT API (esent.h, esepy_ext.h) in libesent.so.0
# PKG_CONFIG_PATH="$(python -c 'import esepy; print(esepy.pkgconfig_dir())')" pkg-config --cflags --libs esepy
prefix=${{pcfiledir}}/..
includedir=${{prefix}}/include
libdir=${{prefix}}

Name: esepy
Description: Extensible Storage Engine (ESENT JET API) from the esepy Python package
URL: https://pypi.org/project/esepy/
Version: {version}
Cflags: -I${{includedir}}
Libs: {libs} -Wl,-rpath,${{libdir}}
"""


ext = Extension(
    "esepy._esepy",
    sources=["csrc/pyext/module.c"],
    include_dirs=[INCLUDE],
    depends=glob.glob("csrc/pyext/*.c") + glob.glob("csrc/include/*.h"),
)

setup(ext_modules=[ext], cmdclass={"build_ext": BuildEsepy})
