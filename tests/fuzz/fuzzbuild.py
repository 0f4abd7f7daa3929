"""Build the fuzz targets of tests/fuzz (fuzz_<target>.c).

Two ways:

* ``driver`` -- any C compiler (gcc on CI), AddressSanitizer and
  UndefinedBehaviorSanitizer, linked with driver.c: the program runs every
  input file or folder named on its command line once.  test_fuzz_corpus.py
  builds this way.
* ``libfuzzer`` -- clang with -fsanitize=fuzzer: a real fuzzer (run.py).

The engine (every csrc/ layer but the Python extension) is compiled into
objects once per build folder, as tests/c_unit/test_c_unit.py does.
"""
import glob
import os
import subprocess
from typing import Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CSRC = os.path.join(ROOT, "csrc")
LAYERS = [d for d in sorted(glob.glob(os.path.join(CSRC, "*"))) if os.path.isdir(d)
          and os.path.basename(d) not in ("pyext", "include")]
TARGETS = sorted(os.path.basename(p)[len("fuzz_"):-2] for p in glob.glob(os.path.join(HERE, "fuzz_*.c")))
CORPUS = os.path.join(HERE, "corpus")

INCS = ["-I", os.path.join(CSRC, "include")] + [a for d in LAYERS for a in ("-I", d)]
WARN = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE"]
SAN = ["-g", "-O1", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
       "-fno-sanitize-recover=undefined"]


def _engine_sources() -> List[str]:
    return sorted(s for d in LAYERS for s in glob.glob(os.path.join(d, "*.c")))


def _run(cmd: List[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}\n{proc.stdout}{proc.stderr}")


def engine_objects(outdir: str, mode: str = "driver", cc: str = "") -> List[str]:
    """Compile the engine into outdir (skipping objects newer than their source)."""
    cc = cc or (os.environ.get("CC", "cc") if mode == "driver" else "clang")
    extra = ["-fsanitize=fuzzer-no-link"] if mode == "libfuzzer" else []
    os.makedirs(outdir, exist_ok=True)
    objs = []
    newest_header = max(os.path.getmtime(h) for h in glob.glob(os.path.join(CSRC, "*", "*.h")))
    for src in _engine_sources():
        obj = os.path.join(outdir, os.path.relpath(src, CSRC).replace("/", "_") + ".o")
        if not os.path.exists(obj) or os.path.getmtime(obj) < max(newest_header, os.path.getmtime(src)):
            _run([cc, *WARN, *SAN, *extra, "-DESEPY_BUILDING_LIBRARY", *INCS, "-c", src, "-o", obj])
        objs.append(obj)
    return objs


def build_target(target: str, outdir: str, mode: str = "driver", cc: str = "") -> str:
    """Build fuzz target `target` (e.g. "esefmt_db"); returns the executable's path."""
    cc = cc or (os.environ.get("CC", "cc") if mode == "driver" else "clang")
    objs = engine_objects(os.path.join(outdir, "engine"), mode, cc)
    exe = os.path.join(outdir, f"fuzz_{target}")
    src = os.path.join(HERE, f"fuzz_{target}.c")
    if mode == "driver":
        srcs, link = [src, os.path.join(HERE, "driver.c")], []
    else:
        srcs, link = [src], ["-fsanitize=fuzzer"]
    _run([cc, *WARN, "-Wno-unused-function", *SAN, *link, *INCS, "-I", HERE, *srcs, *objs, "-o", exe,
          "-pthread", "-Wl,--warn-unresolved-symbols"])
    return exe


def sanitizer_env() -> Dict[str, str]:
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    env.pop("LD_PRELOAD", None)
    return env
