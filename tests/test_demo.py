"""The README's main job (examples/demo.py) runs and verifies its own result:
here, in the development install; in a fresh checkout, through the README's
first command exactly as written; and it fails loudly when its story (a writer
killed mid-work, a dirty database, a restore to exactly what was acknowledged)
does not happen."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_readme import readme_commands  # noqa: E402


def check_story(stdout):
    """The facts the demo prints, each of which it also checks itself."""
    assert re.search(r"killed by SIGKILL \(exit code -9\) after 200 acknowledged commits", stdout), stdout
    assert "database header now says: DirtyShutdown" in stdout, stdout
    assert "restored database header says: CleanShutdown" in stdout, stdout
    assert re.search(r"\| orders committed \(acknowledged\) \|\s+1700 \|", stdout), stdout
    assert re.search(r"\| orders in the restored database \|\s+1700 \|", stdout), stdout
    assert re.search(r"\| committed but missing\s+\|\s+0 \|", stdout), stdout
    assert re.search(r"\| uncommitted but visible\s+\|\s+0 \|", stdout), stdout
    assert "OK: every committed record survived the crash and the restore" in stdout


def test_demo_runs(tmp_path):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "demo.py"), str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    check_story(out.stdout)
    assert esepy_state(tmp_path / "restored" / "demo.edb") == "CleanShutdown"
    assert not (tmp_path / "demo.edb").exists()  # the demo lost it on purpose
    assert (tmp_path / "backups" / "demo.pat").exists()


def load_demo():
    spec = importlib.util.spec_from_file_location("esepy_demo", os.path.join(ROOT, "examples", "demo.py"))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


def test_demo_fails_when_the_writer_never_runs(tmp_path):
    """A writer that dies before committing (as when it imported a source tree
    without a compiled engine) is the demo's failure, not an "OK"."""
    demo = load_demo()
    demo.CHILD = "import sys\nsys.exit('ImportError: no compiled engine here')\n"
    with pytest.raises(demo.DemoFailed, match="(?s)died before opening its last transaction.*no compiled engine"):
        demo.main(["demo.py", str(tmp_path)])


def test_demo_fails_when_the_crash_leaves_no_dirty_database(tmp_path):
    """A writer that claims its commits but never touched the database: the
    header is still clean after the kill, and the demo says so."""
    demo = load_demo()
    demo.CHILD = ("import sys, time\nsys.path.insert(0, sys.argv[2])\nimport esepy\n"
                  "print('esepy', esepy.__file__, flush=True)\n"
                  "for n in range(2000, 2200):\n    print('committed', n, flush=True)\n"
                  "print('pending 0', flush=True)\ntime.sleep(3600)\n")
    with pytest.raises(demo.DemoFailed, match="says CleanShutdown, not DirtyShutdown"):
        demo.main(["demo.py", str(tmp_path)])


def copy_checkout(dest):
    """The repository as a fresh clone has it: no virtual environment, no build output."""
    def ignore(folder, names):
        rel = os.path.relpath(folder, ROOT)
        skip = {n for n in names if n in (".venv", ".git", "build", "dist", "__pycache__", ".pytest_cache", "site")
                or n.endswith((".egg-info", ".so", ".o", ".pyc")) or ".so." in n}
        if rel == "esepy":
            skip |= {"include", "pkgconfig"} & set(names)
        return skip
    shutil.copytree(ROOT, dest, ignore=ignore)


def fresh_env():
    """The environment of a new shell: no active virtual environment, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                      if os.path.realpath(p) != os.path.realpath(os.path.join(venv, "bin")))
    return env


def test_readme_command_1_in_a_fresh_checkout(tmp_path):
    """README command 1, exactly as written, from the root of a checkout with no
    build output in esepy/: the writer process must import the installed
    package (not the source folder) and the whole story must happen."""
    checkout = tmp_path / "esepy"
    copy_checkout(checkout)
    cmd = readme_commands()[0]
    out = subprocess.run(["bash", "-c", cmd], cwd=checkout, capture_output=True, text=True, timeout=1200,
                         env=fresh_env())
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-5000:]
    check_story(out.stdout)
    lib = re.search(r"engine library: (.+)", out.stdout).group(1).strip()
    assert os.path.join(str(checkout), ".venv") in lib and "site-packages" in lib, lib
    assert not os.path.exists(checkout / "esepy" / "libesent.so.0")  # the source folder stayed unbuilt


def esepy_state(path):
    import esepy
    return esepy.database_file_info(str(path))["state"]
