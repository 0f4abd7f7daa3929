"""The engine's layering, enforced (csrc/layers.tbl, docs/architecture.md).

Every engine source file is compiled here as setup.py compiles it: with only
its own layer's folder, the folders of the layers it may call and
csrc/include on the include path (so a header of a higher or sideways layer
does not even compile).  Then each object file's undefined symbols (nm) are
mapped to the layer whose objects define them; the test fails on

* a call upward or sideways (a symbol defined by a layer not listed as
  callable in csrc/layers.tbl), and
* a call to the operating system outside csrc/os: any symbol no engine object
  defines must be one of the pure C library functions below (memory and string
  functions, formatting, sorting); threads, time, randomness, files and
  processes reach the engine only through os.h.

Calls through function pointers (the cache's write-ahead callback into the
isam layer, the isam layer's event callback into the api) are not symbols;
docs/architecture.md lists them.
"""
import collections
import glob
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CSRC = os.path.join(ROOT, "csrc")

# C library functions that touch no operating-system state: allowed in every layer.
PURE_LIBC = {
    "memcpy", "memmove", "memset", "memcmp", "memchr",
    "strlen", "strnlen", "strcmp", "strncmp", "strcasecmp", "strncasecmp", "strchr", "strrchr", "strstr",
    "strtol", "strtoul", "strtoll", "strtoull",
    "snprintf", "vsnprintf", "qsort", "bsearch", "tolower", "toupper",
    "__ctype_b_loc", "__ctype_tolower_loc", "__ctype_toupper_loc",
    "__assert_fail", "__stack_chk_fail", "_GLOBAL_OFFSET_TABLE_",
}


def read_layers():
    layers = []
    with open(os.path.join(CSRC, "layers.tbl")) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if words:
                layers.append((words[0], words[1:]))
    return layers


LAYERS = read_layers()


def nm(obj, *flags):
    out = subprocess.run(["nm", *flags, obj], capture_output=True, text=True, check=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    """{layer: [object files]}, each compiled with its layer's include path only."""
    if shutil.which("nm") is None:
        pytest.fail("nm (binutils) is needed to check the layering")
    out = tmp_path_factory.mktemp("layering")
    cc = os.environ.get("CC", "cc")
    objs = collections.defaultdict(list)
    for name, below in LAYERS:
        incs = [a for d in ["include", name, *below] for a in ("-I", os.path.join(CSRC, d))]
        for src in sorted(glob.glob(os.path.join(CSRC, name, "*.c"))):
            obj = str(out / f"{name}__{os.path.basename(src)[:-2]}.o")
            proc = subprocess.run([cc, "-std=c11", "-O0", "-fPIC", "-fvisibility=hidden", "-D_GNU_SOURCE",
                                   "-DESEPY_BUILDING_LIBRARY", "-DNDEBUG", *incs, "-c", src, "-o", obj],
                                  capture_output=True, text=True)
            assert proc.returncode == 0, (f"{os.path.relpath(src, ROOT)} does not compile with only the headers "
                                          f"of {[name, *below]} (csrc/layers.tbl):\n{proc.stderr[-4000:]}")
            objs[name].append(obj)
    return objs


def test_every_csrc_folder_is_a_layer():
    folders = {os.path.basename(d) for d in glob.glob(os.path.join(CSRC, "*")) if os.path.isdir(d)}
    assert folders - {"include", "pyext"} == {name for name, _ in LAYERS}
    names = [name for name, _ in LAYERS]
    for i, (name, below) in enumerate(LAYERS):
        assert name not in below
        assert set(below) <= set(names), f"{name} names an unknown layer"


def violations(objects):
    """Upward or sideways calls and direct system calls among {layer: [objects]}."""
    owner = {}
    for layer, objs in objects.items():
        for obj in objs:
            for sym in nm(obj, "-g", "--defined-only"):
                owner.setdefault(sym, layer)
    allowed = dict(LAYERS)
    bad = []
    for layer, objs in objects.items():
        for obj in objs:
            name = os.path.basename(obj).split("__", 1)[1][:-2] + ".c"
            for sym in nm(obj, "-u"):
                where = owner.get(sym)
                if where is None:
                    if layer != "os" and sym not in PURE_LIBC:
                        bad.append(f"csrc/{layer}/{name} calls the system directly: {sym} (add it to os.h)")
                elif where != layer and where not in allowed[layer]:
                    bad.append(f"csrc/{layer}/{name} calls {sym} of layer {where}")
    return sorted(set(bad))


def test_no_layer_calls_upward_or_sideways_or_the_os_directly(objects):
    bad = violations(objects)
    assert not bad, "layering violations:\n" + "\n".join(bad)


def test_the_checker_sees_violations(objects, tmp_path):
    """A cache file that calls the log (upward), the Windows reader (sideways)
    and pthread (the system) is reported three times."""
    src = tmp_path / "bad.c"
    src.write_text('#include <pthread.h>\n#include <stdint.h>\n'
                   'int log_flush(void *, uint64_t);\nint ese_page_check(void);\n'
                   'int bad(pthread_mutex_t *m) { pthread_mutex_lock(m); return log_flush(0, 0) + ese_page_check(); }\n')
    obj = str(tmp_path / "cache__bad.o")
    subprocess.run([os.environ.get("CC", "cc"), "-c", str(src), "-o", obj], check=True)
    esefmt_syms = {s for o in objects["esefmt"] for s in nm(o, "-g", "--defined-only")}
    sideways = sorted(s for s in esefmt_syms if not s.startswith("Esepy"))[0]
    src.write_text(src.read_text().replace("ese_page_check", sideways))
    subprocess.run([os.environ.get("CC", "cc"), "-c", str(src), "-o", obj], check=True)
    bad = violations({**objects, "cache": objects["cache"] + [obj]})
    assert bad == sorted(["csrc/cache/bad.c calls log_flush of layer log",
                          f"csrc/cache/bad.c calls {sideways} of layer esefmt",
                          "csrc/cache/bad.c calls the system directly: pthread_mutex_lock (add it to os.h)"])
