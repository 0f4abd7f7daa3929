"""The typed API: stubs and py.typed ship with the package, mypy.stubtest
agrees with the built extension, and the examples pass mypy --strict."""
from __future__ import annotations

import os
import subprocess
import sys

import esepy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "mypy.ini")
STRICT = [os.path.join(ROOT, "examples", "inspect_files.py"), os.path.join(ROOT, "examples", "demo.py")] + [
    os.path.join(ROOT, "esepy", m) for m in ("inspection.py", "cli.py", "testing.py", "pytest_plugin.py",
                                             "_display.py", "_crash_child.py")]


def _mypy(*args, cwd):
    # run from the checkout: mypy cannot see through setuptools' editable-install import hook
    return subprocess.run([sys.executable, "-m", "mypy", "--config-file", CONFIG,
                           "--cache-dir", os.path.join(cwd, ".mypy_cache"), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_stubs_ship_with_the_package():
    pkg = os.path.dirname(esepy.__file__)
    assert os.path.isfile(os.path.join(pkg, "py.typed"))
    with open(os.path.join(pkg, "_esepy.pyi")) as f:
        assert "class Instance" in f.read()


def test_stubtest_against_the_built_extension(tmp_path):
    p = subprocess.run([sys.executable, "-m", "mypy.stubtest", "esepy._esepy", "--mypy-config-file", CONFIG,
                        "--allowlist", os.path.join(HERE, "stubtest_allowlist.txt"), "--ignore-unused-allowlist"],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr


def test_examples_and_typed_modules_pass_mypy_strict(tmp_path):
    p = _mypy("--strict", *STRICT, cwd=str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    # and mypy does catch misuse through the stubs and annotations
    bad = tmp_path / "bad.py"
    bad.write_text("import esepy\nfrom esepy import inspection\n"
                   "inspection.read_database_header(42)\n"
                   "esepy.Instance('x').init('not a grbit')\n")
    p = _mypy("--strict", str(bad), cwd=str(tmp_path))
    assert p.returncode == 1
    assert 'bad.py:3: error: Argument 1 to "read_database_header"' in p.stdout, p.stdout
    assert 'bad.py:4: error: Argument 1 to "init"' in p.stdout, p.stdout
