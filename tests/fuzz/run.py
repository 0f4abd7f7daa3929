"""Fuzz one target with clang's libFuzzer for a given time (opt-in; needs clang).

    python tests/fuzz/run.py --target esefmt_db --seconds 600
    python tests/fuzz/run.py --list

The target is built with -fsanitize=fuzzer,address,undefined into
build/fuzz/ (the engine objects are reused between runs).  libFuzzer starts
from the seeds of tests/fuzz/corpus/<target>/ and keeps the inputs it finds
interesting in build/fuzz/corpus-<target>/ (not in the repository).  A
crash, leak or hang is written to build/fuzz/crash-* (or leak-*, timeout-*)
and ends the run with a non-zero status: fix the bug, then copy the input to
tests/fuzz/corpus/<target>/crash-<what> so test_fuzz_corpus.py keeps it fixed.
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzzbuild  # noqa: E402

MAX_LEN = {"esefmt_db": 300_000, "backup_set": 131_072, "log_reader": 200_000, "btree_page": 32_768 + 256,
           "ese_log_records": 65_536 + 1}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", choices=fuzzbuild.TARGETS)
    ap.add_argument("--seconds", type=int, default=600, help="how long to fuzz (default 600)")
    ap.add_argument("--jobs", type=int, default=1, help="parallel fuzzing processes (default 1)")
    ap.add_argument("--cc", default="clang", help="clang to use (default: clang)")
    ap.add_argument("--list", action="store_true", help="list the targets")
    ap.add_argument("extra", nargs="*", help="more libFuzzer options, e.g. -timeout=5 (after --)")
    ns = ap.parse_args()
    if ns.list or not ns.target:
        print("\n".join(fuzzbuild.TARGETS))
        return 0 if ns.list else 2
    out = os.path.join(fuzzbuild.ROOT, "build", "fuzz")
    exe = fuzzbuild.build_target(ns.target, out, mode="libfuzzer", cc=ns.cc)
    work = os.path.join(out, f"corpus-{ns.target}")
    os.makedirs(work, exist_ok=True)
    seeds = os.path.join(fuzzbuild.CORPUS, ns.target)
    env = fuzzbuild.sanitizer_env()
    env["TMPDIR"] = out
    cmd = [exe, work, seeds, f"-max_total_time={ns.seconds}", f"-max_len={MAX_LEN.get(ns.target, 65536)}",
           "-timeout=10", "-rss_limit_mb=2048", f"-artifact_prefix={out}/", "-print_final_stats=1"]
    if ns.jobs > 1:
        cmd += [f"-jobs={ns.jobs}", f"-workers={ns.jobs}"]
    print(" ".join(cmd), flush=True)
    return subprocess.call(cmd + ns.extra, env=env)


if __name__ == "__main__":
    sys.exit(main())
