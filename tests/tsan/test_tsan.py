"""ThreadSanitizer: the engine compiled with -fsanitize=thread runs a
multi-threaded workload (threads_tsan.c: writers with write conflicts, lazy
and durable commits, a snapshot reader, an online backup, log rolls and
checkpoints, with and without circular logging) checked against a model; any
data race TSan sees fails the test.

The engine is compiled here (not the installed library) because TSan must
instrument every memory access of the engine itself.  A longer run:
ESEPY_TSAN_TXNS=5000 python -m pytest tests/tsan"""
import glob
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CSRC = os.path.join(ROOT, "csrc")
LAYERS = [d for d in sorted(glob.glob(os.path.join(CSRC, "*"))) if os.path.isdir(d)
          and os.path.basename(d) not in ("pyext", "include")]


@pytest.fixture(scope="module")
def tsan_exe(tmp_path_factory):
    cc = os.environ.get("CC", "cc")
    incs = ["-I", os.path.join(CSRC, "include")] + [a for d in LAYERS for a in ("-I", d)]
    sources = sorted(s for d in LAYERS for s in glob.glob(os.path.join(d, "*.c")))
    exe = tmp_path_factory.mktemp("tsan") / "threads_tsan"
    subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-O1", "-fsanitize=thread",
                    "-D_GNU_SOURCE", "-DESEPY_BUILDING_LIBRARY", *incs, os.path.join(HERE, "threads_tsan.c"),
                    *sources, "-o", str(exe), "-pthread"], check=True)
    return exe


@pytest.mark.parametrize("mode", ["plain", "circular"])
def test_threads_under_thread_sanitizer(tsan_exe, tmp_path, mode):
    scratch = tmp_path / "data"
    scratch.mkdir()
    env = dict(os.environ, TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1")
    env.pop("LD_PRELOAD", None)
    txns = os.environ.get("ESEPY_TSAN_TXNS", "150")
    proc = subprocess.run([str(tsan_exe), str(scratch), txns, mode], capture_output=True, text=True, env=env,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-20000:]
    assert "1 passed, 0 failed" in proc.stdout
