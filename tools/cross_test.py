#!/usr/bin/env python3
"""Build the engine and its C unit tests for other CPUs and run them under qemu-user.

    python3 tools/cross_test.py                 # aarch64 and s390x (big-endian)
    python3 tools/cross_test.py --arch s390x    # one target
    python3 tools/cross_test.py --list          # which targets have a toolchain here

For each target, every engine source (csrc/*/ but the Python extension) is
compiled with that target's cross-compiler (-Wall -Wextra -Werror, UBSan),
each tests/c_unit/*_test.c is linked against the objects and run by
qemu-<arch> with a scratch folder, exactly as tests/c_unit/test_c_unit.py runs
them on the host (AddressSanitizer is left out: its shadow memory does not
work under qemu-user).  s390x is big-endian, so it proves that every on-disk
codec spells out its byte order.

Toolchains (Debian/Ubuntu):
    apt-get install gcc-aarch64-linux-gnu gcc-s390x-linux-gnu qemu-user

With --export DIR the s390x run also leaves the files its tests write (a
database, logs, a checkpoint, a backup set; tests/c_unit/xfile_test.c) in DIR,
for the host to read back (tests/cross/test_cross.py).

Exit status 0 when every test of every requested target passed; 2 when a
requested target has no toolchain here; 1 otherwise.  Used by .ci/cross and,
opt-in, by tests/cross/test_cross.py (docs/testing.md).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSRC = os.path.join(ROOT, "csrc")
UNIT = os.path.join(ROOT, "tests", "c_unit")

# target -> (GNU triplet of the cross-compiler, qemu-user program, sysroot for qemu's -L)
TARGETS = {
    "aarch64": ("aarch64-linux-gnu", "qemu-aarch64", "/usr/aarch64-linux-gnu"),
    "s390x": ("s390x-linux-gnu", "qemu-s390x", "/usr/s390x-linux-gnu"),
}

CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-O1", "-fsanitize=undefined",
          "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer", "-D_GNU_SOURCE"]


def layers():
    return [d for d in sorted(glob.glob(os.path.join(CSRC, "*")))
            if os.path.isdir(d) and os.path.basename(d) not in ("pyext", "include")]


def includes():
    return ["-I", os.path.join(CSRC, "include")] + [a for d in layers() for a in ("-I", d)]


def available(arch: str) -> str | None:
    """None when the target can be built and run here, else what is missing."""
    triplet, qemu, sysroot = TARGETS[arch]
    missing = [p for p in (triplet + "-gcc", qemu) if shutil.which(p) is None]
    if not os.path.isdir(sysroot):
        missing.append(sysroot)
    return ", ".join(missing) or None


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise RuntimeError("$ " + " ".join(cmd) + "\n" + proc.stdout + proc.stderr)
    return proc


def build(arch: str, out: str, jobs: int) -> list[str]:
    """Cross-compile every unit test; returns the executables."""
    cc = TARGETS[arch][0] + "-gcc"
    incs = includes()
    srcs = sorted(s for d in layers() for s in glob.glob(os.path.join(d, "*.c")))

    def compile_one(src):
        obj = os.path.join(out, os.path.relpath(src, CSRC).replace("/", "_") + ".o")
        _run([cc, *CFLAGS, "-DESEPY_BUILDING_LIBRARY", *incs, "-c", src, "-o", obj])
        return obj

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        objs = list(pool.map(compile_one, srcs))
    exes = []
    for test_c in sorted(glob.glob(os.path.join(UNIT, "*_test.c"))):
        exe = os.path.join(out, os.path.basename(test_c)[:-2])
        _run([cc, *CFLAGS, "-Wno-unused-function", "-Wno-format-truncation", *incs, "-I", UNIT,
              test_c, *objs, "-o", exe, "-pthread"])
        exes.append(exe)
    return exes


def run(arch: str, exe: str, scratch: str, samples: str | None, export: str | None) -> tuple[bool, str]:
    _, qemu, sysroot = TARGETS[arch]
    env = dict(os.environ, UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1", QEMU_LD_PREFIX=sysroot)
    for k in ("LD_PRELOAD", "ESEPY_SAMPLES", "ESEPY_XFILE_DIR"):
        env.pop(k, None)
    if samples:
        env["ESEPY_SAMPLES"] = samples
    if export:
        env["ESEPY_XFILE_DIR"] = export
    os.makedirs(scratch, exist_ok=True)
    proc = subprocess.run([qemu, exe, scratch], capture_output=True, text=True, env=env, timeout=1800)
    ok = proc.returncode == 0 and " passed, 0 failed" in proc.stdout
    return ok, proc.stdout + proc.stderr


def materialize_samples(dest: str) -> str:
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import sampledata  # noqa: E402  (tests/sampledata.py: the real ESE samples, checked)
    return sampledata.materialize(dest)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", action="append", choices=sorted(TARGETS), help="target (repeatable; default: all)")
    ap.add_argument("--only", action="append", default=[], help="run only this test (e.g. log_test; repeatable)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel compiles (default 2)")
    ap.add_argument("--export", metavar="DIR", help="keep the files the s390x run writes for the host to read")
    ap.add_argument("--keep", action="store_true", help="keep the build folder")
    ap.add_argument("--list", action="store_true", help="print each target and whether it can run here")
    args = ap.parse_args(argv)
    arches = args.arch or sorted(TARGETS)
    if args.list:
        for a in arches:
            miss = available(a)
            print(f"{a}: " + ("ready" if miss is None else "missing " + miss))
        return 0
    for a in arches:
        miss = available(a)
        if miss:
            print(f"cross_test: {a}: missing {miss} "
                  "(apt-get install gcc-aarch64-linux-gnu gcc-s390x-linux-gnu qemu-user)", file=sys.stderr)
            return 2
    work = tempfile.mkdtemp(prefix="esepy-cross-")
    failed = 0
    try:
        samples = materialize_samples(os.path.join(work, "samples"))
        for a in arches:
            out = os.path.join(work, a)
            os.makedirs(out)
            print(f"== {a}: building", flush=True)
            try:
                exes = build(a, out, args.jobs)
            except RuntimeError as e:
                print(f"FAIL {a}: build\n{e}", flush=True)
                failed += 1
                continue
            for exe in exes:
                name = os.path.basename(exe)
                if args.only and name not in args.only:
                    continue
                export = args.export if (args.export and a == "s390x") else None
                ok, text = run(a, exe, os.path.join(out, "scratch-" + name), samples, export)
                summary = [ln for ln in text.splitlines() if " passed, " in ln]
                print(f"{'ok  ' if ok else 'FAIL'} {a} {name}: {summary[-1] if summary else ''}", flush=True)
                if not ok:
                    failed += 1
                    print(text[-6000:], flush=True)
    finally:
        if args.keep:
            print("build folder:", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("cross_test:", "all passed" if not failed else f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
