"""The package as a user gets it: the source distribution holds every source
file and builds; the wheel built from it (as pip builds it, without -Werror)
carries the licence, SPDX metadata, the versioned engine library with its
linker script, headers and pkg-config file, and no build machine path; and
installed into a fresh virtual environment it imports and runs the demo."""
import glob
import os
import re
import subprocess
import sys
import tarfile
import zipfile

from test_demo import check_story, copy_checkout, fresh_env


def run(cmd, **kw):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, **kw)
    assert out.returncode == 0, f"{cmd}:\n{out.stdout[-5000:]}\n{out.stderr[-5000:]}"
    return out


def source_files(root):
    """What a build needs: every engine source, header, table and include file."""
    return sorted(os.path.relpath(p, root) for ext in ("c", "h", "inc", "tbl")
                  for p in glob.glob(os.path.join(root, "csrc", "**", "*." + ext), recursive=True))


def test_sdist_and_wheel(tmp_path):
    checkout = tmp_path / "src"
    copy_checkout(checkout)
    dist = tmp_path / "dist"
    env = {k: v for k, v in fresh_env().items() if k not in ("CI", "ESEPY_WERROR")}  # a user's build
    # python -m build: the sdist, then the wheel built from the unpacked sdist
    log = run([sys.executable, "-m", "build", "--outdir", str(dist), str(checkout)], env=env)
    (sdist,) = glob.glob(str(dist / "*.tar.gz"))
    (wheel,) = glob.glob(str(dist / "*.whl"))

    with tarfile.open(sdist) as tf:
        top = tf.getnames()[0].split("/")[0]
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    wanted = source_files(str(checkout))
    assert len(wanted) > 50
    assert [n for n in wanted if n not in names] == []
    for n in ("LICENSE", "README.md", "setup.py", "pyproject.toml", "examples/demo.py", "examples/c/hello_esent.c"):
        assert n in names, n
    assert not [n for n in names if n.endswith((".so", ".o")) or ".so." in n]
    assert top == "esepy-0.1.0"

    # warnings are not errors in a user's build (a newer compiler must not break pip install);
    # Python's own flags may hold -Werror=format-security (Debian), which is not ours
    flags = (log.stdout + log.stderr).split()
    assert "-Wextra" in flags and "-Werror" not in flags

    with zipfile.ZipFile(wheel) as zf:
        wnames = set(zf.namelist())
        meta = zf.read(next(n for n in wnames if n.endswith(".dist-info/METADATA"))).decode()
        script = zf.read("esepy/libesent.so").decode()
        pc = zf.read("esepy/pkgconfig/esepy.pc").decode()
        zf.extract("esepy/libesent.so.0", tmp_path / "unzipped")
        zf.extract(next(n for n in wnames if n.startswith("esepy/_esepy.")), tmp_path / "unzipped")
    for n in ("esepy/libesent.so.0", "esepy/include/esent.h", "esepy/include/esepy_ext.h", "esepy/__init__.py"):
        assert n in wnames, n
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in wnames), wnames
    assert "License-Expression: MIT" in meta
    assert "INPUT(libesent.so.0)" in script
    assert "prefix=${pcfiledir}/.." in pc and "Version: 0.1.0" in pc
    # no path of the build machine in the binaries' RUNPATH
    for so in glob.glob(str(tmp_path / "unzipped" / "esepy" / "*.so*")):
        dyn = run(["readelf", "-d", so]).stdout
        runpaths = re.findall(r"\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[(.*)\]", dyn)
        assert runpaths in ([], ["$ORIGIN"]), (so, runpaths)

    # manylinux: the wheel needs nothing outside itself but the C library
    # (`auditwheel repair` then only retags it; docs/packaging.md)
    shown = run([sys.executable, "-m", "auditwheel", "show", wheel]).stdout
    assert re.search(r'consistent with the\s+following platform tag:\s+"manylinux_', shown), shown
    assert "system-provided shared libraries: libc.so.6" in shown.replace("\n", " "), shown

    # a fresh virtual environment: install the wheel, import, run the demo
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], env=env)
    run([str(venv / "bin" / "pip"), "install", wheel], env=env)
    work = tmp_path / "work"
    work.mkdir()
    out = run([str(venv / "bin" / "python"), "-c", "import esepy; print(esepy.native_library())"], cwd=work, env=env)
    assert out.stdout.strip().startswith(str(venv)) and out.stdout.strip().endswith("/esepy/libesent.so.0")
    out = run([str(venv / "bin" / "esepy"), "demo", str(work / "demo")], cwd=work, env=env)
    check_story(out.stdout)
