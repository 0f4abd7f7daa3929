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
                                             "archive.py", "eselog.py",
                                             "_display.py", "_crash_child.py")] + [
    os.path.join(ROOT, "esepy", "inspect")]


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
                   "esepy.Instance('x').init('not a grbit')\n"
                   "esepy.Instance('x', sytem_path='a/')\n"
                   "esepy.Instance('x', max_sessions='3')\n"
                   "esepy.Instance('x').begin_session().no_such_method()\n")
    p = _mypy("--strict", str(bad), cwd=str(tmp_path))
    assert p.returncode == 1
    assert 'bad.py:3: error: Argument 1 to "read_database_header"' in p.stdout, p.stdout
    assert 'bad.py:4: error: Argument 1 to "init"' in p.stdout, p.stdout
    assert 'bad.py:5: error: Unexpected keyword argument "sytem_path"' in p.stdout, p.stdout
    assert 'bad.py:6: error: Argument "max_sessions"' in p.stdout, p.stdout
    assert 'bad.py:7: error: "Session" has no attribute "no_such_method"' in p.stdout, p.stdout


def test_typed_use_passes_mypy_strict(tmp_path):
    """What a typed application writes checks under --strict without casts:
    Path objects for paths, typed parameters, Session / Database / Table / Record."""
    good = tmp_path / "good.py"
    good.write_text(
        "from pathlib import Path\n"
        "import esepy\n"
        "def main(folder: Path) -> int:\n"
        "    with esepy.Instance('app', system_path=folder, log_path=folder / 'logs',\n"
        "                        create_path_if_not_exist=True, max_sessions=8) as inst:\n"
        "        with inst.begin_session() as s:\n"
        "            db: esepy.Database = s.create_database(folder / 'a.edb')\n"
        "            t: esepy.Table = db.create_table('t', {'id': 'long'}, primary_key=['id'])\n"
        "            with s.transaction():\n"
        "                t.insert({'id': 1})\n"
        "            rec: esepy.Record | None = t.get(1)\n"
        "            return 0 if rec is None else int(rec['id']) + 1\n")
    p = _mypy("--strict", "--python-version", "3.10", str(good), cwd=str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr


def test_param_types_are_generated_from_the_engine_table():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    try:
        import genparamtypes
    finally:
        sys.path.pop(0)
    with open(os.path.join(ROOT, "esepy", "_param_types.py")) as f:
        assert f.read() == genparamtypes.render(), "run: python tools/genparamtypes.py"


def test_useful_reprs(tmp_path):
    folder = str(tmp_path) + "/"
    with esepy.Instance("reprs", system_path=folder, log_path=folder) as inst:
        s = inst.begin_session()
        assert type(s) is esepy.Session
        assert repr(s).startswith("<esepy.Session sesid=") and "'reprs'" in repr(s)
        db = s.create_database(tmp_path / "a.edb")
        t = db.create_table("people", {"id": "long"}, primary_key=["id"])
        assert repr(t) == f"<esepy.Table 'people' of {str(tmp_path / 'a.edb')!r} index='primary'>"
        t.close()
        assert repr(t).endswith("closed>")
        db.close()
        assert repr(db).endswith(" closed>")
        s.end()
        assert repr(s) == "<esepy.Session ended>"


def test_type_checkers_find_the_package_outside_the_checkout(tmp_path):
    """From any folder -- as a user's project sees the README's editable install
    (a plain .pth, not an import hook) or a regular one -- mypy finds esepy and
    its stubs: no "cannot find implementation or library stub"."""
    script = tmp_path / "use.py"
    script.write_text("import esepy\nreveal_type(esepy.Instance('x').begin_session())\n")
    p = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
                       capture_output=True, text=True, cwd=str(tmp_path), timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert 'Revealed type is "esepy._isam.Session"' in p.stdout, p.stdout
