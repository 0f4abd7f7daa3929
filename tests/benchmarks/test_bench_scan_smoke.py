"""benchmarks/bench_scan.py runs end to end, tiny: its C part (bench_scan_c.c, built on the
spot with bench_kv_c.h, which run_c.c shares) and its Python part each print both rows for
both engines.  No timing is asserted."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "benchmarks", "bench_scan.py")


def test_bench_scan_prints_c_and_python_figures(tmp_path):
    p = subprocess.run([sys.executable, BENCH, "--rows", "700", "--lookups", "700", "--repeat", "1",
                        "--dir", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    parts = ["Python"] if "C part skipped" in p.stderr else ["C API", "Python"]
    for part in parts:
        m = re.search(rf"^{part}: rows=700 lookups=700 repeat=1 .*?(?=^\S+: rows=|\Z)", p.stdout, re.S | re.M)
        assert m, (part, p.stdout, p.stderr)
        for row in ("full scan", "point reads"):
            assert re.search(rf"^{row} +\d+\.\d+s +\d+\.\d+s +\d+\.\d+$", m.group(0), re.M), (part, row, p.stdout)
