"""Build and run the C unit tests of engine internals (tests/c_unit/*_test.c).

Each test program is compiled with every engine source file (csrc/*/ except
the Python extension) under AddressSanitizer and UndefinedBehaviorSanitizer,
with -Wall -Wextra -Werror, and run with a scratch folder.  Internals are not
exported by libesent.so, so this is how they are tested directly.
"""
import glob
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CSRC = os.path.join(ROOT, "csrc")
LAYERS = [d for d in sorted(glob.glob(os.path.join(CSRC, "*"))) if os.path.isdir(d)
          and os.path.basename(d) not in ("pyext", "include")]
TESTS = sorted(glob.glob(os.path.join(HERE, "*_test.c")))


def _sources():
    return sorted(s for d in LAYERS for s in glob.glob(os.path.join(d, "*.c")))


@pytest.fixture(scope="session")
def engine_objects(tmp_path_factory):
    """Compile the engine once (sanitized) into objects shared by all tests."""
    out = tmp_path_factory.mktemp("c_unit_objs")
    objs = []
    incs = ["-I", os.path.join(CSRC, "include")] + [a for d in LAYERS for a in ("-I", d)]
    for src in _sources():
        obj = out / (os.path.relpath(src, CSRC).replace("/", "_") + ".o")
        subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-O1",
                        "-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-D_GNU_SOURCE",
                        "-DESEPY_BUILDING_LIBRARY", *incs, "-c", src, "-o", str(obj)], check=True)
        objs.append(str(obj))
    return objs, incs


def _build(test_c, engine_objects, exe):
    objs, incs = engine_objects
    subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-function", "-Wno-format-truncation",
                    "-g", "-O1", "-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-D_GNU_SOURCE",
                    *incs, "-I", HERE, test_c, *objs, "-o", str(exe), "-pthread",
                    # a unit test links every layer; symbols of layers it does not
                    # exercise may be missing while a layer is being written
                    "-Wl,--warn-unresolved-symbols"], check=True)


def _run(exe, tmp_path, samples):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    env.pop("LD_PRELOAD", None)
    env.pop("ESEPY_SAMPLES", None)
    if samples is not None:
        env["ESEPY_SAMPLES"] = samples  # the real ESE samples, decompressed (esefmt_test.c)
    return subprocess.run([str(exe), str(tmp_path)], capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.parametrize("test_c", TESTS, ids=[os.path.basename(t)[:-2] for t in TESTS])
def test_c_unit(test_c, engine_objects, tmp_path, ese_samples):
    exe = tmp_path / "unit"
    _build(test_c, engine_objects, exe)
    proc = _run(exe, tmp_path, ese_samples)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed, 0 failed" in proc.stdout


def test_esefmt_fails_without_its_samples(engine_objects, tmp_path):
    """The reader's C tests need the real samples: without them they fail, never pass."""
    exe = tmp_path / "unit"
    _build(os.path.join(HERE, "esefmt_test.c"), engine_objects, exe)
    for samples in (None, str(tmp_path / "no-such-folder")):
        proc = _run(exe, tmp_path, samples)
        assert proc.returncode != 0, proc.stdout + proc.stderr
        assert " passed, 0 failed" not in proc.stdout
