"""examples/c/hello_esent.c compiles against esepy.include_dir() and
esepy.native_library(), runs, and leaves a database the inspection reads."""
from __future__ import annotations

import os
import shutil
import subprocess

import esepy
from esepy import inspection

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_c_example_builds_runs_and_is_readable(tmp_path):
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    assert cc, "a C compiler is needed (it also builds the engine)"
    exe = str(tmp_path / "hello_esent")
    libdir = os.path.dirname(esepy.native_library())
    subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", esepy.include_dir(),
                    os.path.join(ROOT, "examples", "c", "hello_esent.c"), "-L", libdir, "-lesent",
                    "-Wl,-rpath," + libdir, "-o", exe], check=True, capture_output=True, text=True)
    folder = tmp_path / "data"
    folder.mkdir()
    p = subprocess.run([exe, str(folder)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["row 0 hello", "row 1 bonjour", "row 2 hallo", "dbstate 3"]
    db = str(folder / "hello.edb")
    assert inspection.read_database_header(db).state == "CleanShutdown"
    with inspection.open_database(db) as ro:
        assert [(r["id"], r["text"]) for r in ro.records("greetings")] == [(0, "hello"), (1, "bonjour"),
                                                                           (2, "hallo")]
