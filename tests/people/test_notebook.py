"""examples/inspect_database.ipynb runs top to bottom (nbclient, a local
python3 kernel, offline) and shows what it promises."""
from __future__ import annotations

import os

import nbformat
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _text(cell):
    out = []
    for o in cell.get("outputs", []):
        if "text" in o:
            out.append(o["text"])
        for k in ("text/plain", "text/html"):
            if k in o.get("data", {}):
                out.append(o["data"][k])
    return "\n".join(out)


def test_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("ESEPY_NOTEBOOK_FOLDER", str(tmp_path))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's own (inline) backend, as in Jupyter
    nb = nbformat.read(os.path.join(ROOT, "examples", "inspect_database.ipynb"), as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(_text(c) for c in nb.cells if c.cell_type == "code")
    assert "(True, ['pending'])" in text
    assert "state: DirtyShutdown" in text and "recoverable: True" in text
    assert "committed transactions in the log: " in text
    assert "recovered copy" in text
    assert "200 orders; uncommitted row present: False" in text
    assert "esepy database header" in text and "esepy log folder" in text and "esepy checkpoint" in text
    assert "no file was written: True" in text
    assert any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", [])) is False
    # the plots are shown (inline PNGs), not drawn on an invisible Agg canvas
    pngs = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(pngs) >= 2
    # integer columns stay integers in the DataFrames (nullable dtypes, no float NaN)
    assert "orders dtypes: id=Int32" in text, text[-2000:]
