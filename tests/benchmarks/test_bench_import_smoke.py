"""benchmarks/bench_import.py runs end to end, tiny: a sample that imports gives a figure, the
one the import refuses would give its error, the largest sample that imports is exported back and
gives an export figure, the generated source gives an import and an export figure once
Database.export_ese exists and says what it needs until then.  No timing is asserted."""
import json
import os
import subprocess
import sys

import esepy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, "benchmarks", "bench_import.py")


def _run(tmp_path, *args):
    out = tmp_path / "figures.json"
    p = subprocess.run([sys.executable, BENCH, "--repeat", "1", "--dir", str(tmp_path), "--json", str(out), *args],
                       capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, PYTHONPATH=ROOT))   # this checkout's esepy, whatever else is installed
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads(out.read_text())["results"], p.stdout


def test_samples_give_figures_and_the_round_trip(tmp_path):
    got, out = _run(tmp_path, "--only", "dissect_multi_4k.edb", "--only", "dissect_large_32k.edb")
    # the largest sample that imports is exported back: its export figure is there
    assert sorted(got) == ["dissect_large_32k.edb", "dissect_multi_4k.edb", "export of imported dissect_large_32k.edb"]
    back = got["export of imported dissect_large_32k.edb"]
    assert back["rows"] == 16 and back["mb"] > 0 and back["mb_per_s"] > 0
    assert "export of imported dissect_large_32k.edb" in out
    multi = got["dissect_multi_4k.edb"]
    assert multi["rows"] == 2 and multi["page_size"] == 8192 and multi["mb_per_s"] > 0
    large = got["dissect_large_32k.edb"]       # records above a node: overflow records (issue 21)
    assert large["rows"] == 16 and large["page_size"] == 32768 and "error" not in large
    assert [n for n in os.listdir(tmp_path) if n != "figures.json"] == []      # scratch removed


def test_generated_source(tmp_path):
    got, out = _run(tmp_path, "--generate-mb", "0.2")
    if hasattr(esepy.Database, "export_ese"):
        assert sorted(got) == ["export of generated ~0.2 MB", "generated ~0.2 MB"]
        r, ex = got["generated ~0.2 MB"], got["export of generated ~0.2 MB"]
        assert r["rows"] == ex["rows"] > 300 and r["mb_per_s"] > 0
        assert ex["mb"] == r["mb"] and ex["mb_per_s"] > 0       # the export wrote the file imported
        assert "export of generated ~0.2 MB" in out
    else:
        (name, r), = got.items()
        assert r["error"] == "NotImplementedError" and "export_ese" in r["message"] and "export_ese" in out
