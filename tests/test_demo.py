"""The README's main job (examples/demo.py) runs and verifies its own result."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_demo_runs(tmp_path):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "demo.py"), str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "OK: every committed record survived the crash and the restore" in out.stdout
    assert esepy_state(tmp_path / "restored" / "demo.edb") == "CleanShutdown"
    assert not (tmp_path / "demo.edb").exists()  # the demo lost it on purpose
    assert (tmp_path / "backups" / "demo.pat").exists()


def esepy_state(path):
    import esepy
    return esepy.database_file_info(str(path))["state"]
