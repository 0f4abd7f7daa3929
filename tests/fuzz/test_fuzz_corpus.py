"""Run every seed and crash input of tests/fuzz/corpus/<target>/ through its
fuzz target, built with gcc (or $CC) under AddressSanitizer and
UndefinedBehaviorSanitizer with the standalone driver (no libFuzzer, no
clang needed).  A crash, a leak or a sanitizer report fails the test: the
corpus is the regression test of every bug the fuzzers found."""
import os
import subprocess

import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzzbuild  # noqa: E402


@pytest.fixture(scope="session")
def fuzz_build_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("fuzz_build"))


def test_every_target_has_a_corpus():
    assert fuzzbuild.TARGETS, "no fuzz targets found"
    for t in fuzzbuild.TARGETS:
        d = os.path.join(fuzzbuild.CORPUS, t)
        assert os.path.isdir(d) and os.listdir(d), f"fuzz target {t} has no corpus in {d}"


def test_corpus_is_small():
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(fuzzbuild.CORPUS) for f in fs)
    assert total < 2 * 1024 * 1024, f"the fuzz corpus is {total} bytes (keep it under 2 MiB)"


@pytest.mark.parametrize("target", fuzzbuild.TARGETS)
def test_fuzz_corpus(target, fuzz_build_dir, tmp_path):
    exe = fuzzbuild.build_target(target, fuzz_build_dir)
    corpus = os.path.join(fuzzbuild.CORPUS, target)
    env = fuzzbuild.sanitizer_env()
    env["TMPDIR"] = str(tmp_path)
    proc = subprocess.run([exe, corpus], capture_output=True, text=True, env=env, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-8000:]
    assert "runtime error" not in out and "ERROR: AddressSanitizer" not in out, out[-8000:]
    n = len(os.listdir(corpus))
    assert f"{n} inputs run, 0 unreadable" in proc.stdout
