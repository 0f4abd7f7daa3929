"""benchmarks/run.py runs end to end on a tiny table: every workload gives a
figure for esepy and for every peer engine that is installed (sqlite3 always
is; lmdb and rocksdict come with the `bench` extra).  No timing is asserted."""
import importlib.util
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.path.join(ROOT, "benchmarks", "run.py")


def _load_run():
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_workload_gives_a_figure_for_every_installed_engine(tmp_path):
    run = _load_run()
    out, md = tmp_path / "figures.json", tmp_path / "table.md"
    p = subprocess.run([sys.executable, RUN, "--rows", "300", "--commits", "8", "--repeat", "1",
                        "--dir", str(tmp_path), "--json", str(out), "--markdown", str(md)],
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    got = json.loads(out.read_text())
    installed = [e for e in run.ENGINES if run.installed(e)]
    assert got["engines"] == installed and "esepy" in installed and "sqlite" in installed
    assert got["workloads"] == list(run.WORKLOADS)
    for w in run.WORKLOADS:
        for eng in (run.RESTORE_ENGINES if w == "restore" else installed):
            fig = got["figures"].get(f"{w}/{eng}")
            assert fig is not None and fig["s"] is not None and fig["s"] > 0, (w, eng, p.stderr)
            assert fig["rss_mb"] is not None and fig["rss_mb"] > 0, (w, eng)
        if w in ("backup", "restore"):
            assert got["figures"][f"{w}/esepy"]["cp"] > 0  # the `cp` of the same files, same run
    assert got["fdatasync_per_s"] > 0
    # the C API column: both engines for every read workload, or said to be skipped
    if "C API column skipped" not in p.stderr:
        for w in run.C_WORKLOADS:
            for eng in run.C_ENGINES:
                assert got["c_figures"][f"{w}/{eng}"]["s"] > 0, (w, eng, p.stderr)
        assert "C API (benchmarks/run_c.c" in p.stdout
    text = md.read_text()
    for w in run.WORKLOADS:
        assert f"| {w} |" in text
    # what is not installed is said, not silently dropped
    for e in run.ENGINES:
        if e not in installed:
            assert e in got["missing"] and e in p.stdout


def test_only_and_unknown_workloads(tmp_path):
    out = tmp_path / "figures.json"
    p = subprocess.run([sys.executable, RUN, "--rows", "200", "--repeat", "1", "--only", "readseq,fillseq",
                        "--engines", "sqlite", "--dir", str(tmp_path), "--json", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    got = json.loads(out.read_text())
    assert got["workloads"] == ["readseq", "fillseq"]
    assert set(got["figures"]) == {"readseq/esepy", "readseq/sqlite", "fillseq/esepy", "fillseq/sqlite"}
    p = subprocess.run([sys.executable, RUN, "--only", "nosuch", "--dir", str(tmp_path)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "nosuch" in p.stderr
