"""examples/srum_investigation.ipynb runs top to bottom on the repository's SRUM sample (nbclient,
a local python3 kernel, offline): recovery, tables, network and application usage per
application, two plots, the evidence unchanged."""
from __future__ import annotations

import json
import os

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is part of the test extra")
nbclient = pytest.importorskip("nbclient", reason="nbclient is part of the test extra")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOK = os.path.join(ROOT, "examples", "srum_investigation.ipynb")


def _text(cell):
    out = []
    for o in cell.get("outputs", []):
        if "text" in o:
            out.append(o["text"])
        for k in ("text/plain", "text/html"):
            if k in o.get("data", {}):
                out.append(o["data"][k])
    return "\n".join(out)


def test_notebook_has_no_absolute_paths_and_no_stored_outputs():
    with open(NOTEBOOK, encoding="utf-8") as f:
        raw = json.load(f)
    for cell in raw["cells"]:
        src = "".join(cell["source"])
        assert ROOT not in src and "/tmp/" not in src and "/home/" not in src and "C:\\\\Users" not in src
        assert not cell.get("outputs")


def test_srum_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's own (inline) backend, as in Jupyter
    monkeypatch.setenv("TMPDIR", str(tmp_path))      # its scratch folder goes here
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # run from examples/, as someone who opened it in Jupyter would
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": os.path.dirname(NOTEBOOK)}}).execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    text = "\n".join(_text(c) for c in nb.cells if c.cell_type == "code")
    assert "state: DirtyShutdown" in text and "generations needed: [92] | present: [92] | missing: []" in text
    assert "recovered copy: CleanShutdown | consistent at (92, 10, 0)" in text
    assert "tables: 14; providers: 8" in text
    assert "id map: {'application': 713, 'user': 214, 'package': 95, 'service': 22}" in text
    assert "network usage rows: 143" in text and "msedge.exe" in text
    assert "application resource usage rows: 662" in text
    assert "connections: 9; first started 2022-03-05 13:32:57.676083+00:00" in text
    assert "evidence unchanged: True" in text
    pngs = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(pngs) == 2
    assert os.listdir(tmp_path) == []                  # the notebook removed its scratch folder
