"""The documentation site builds offline with one command (mkdocs, strict: no
broken links or references), every page of the nav exists, and the API and
error references are generated from the code."""
from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _nav_pages():
    with open(os.path.join(ROOT, "mkdocs.yml")) as f:
        return re.findall(r"^\s+- [^:]+: (\S+\.md)\s*$", f.read(), re.M)


def test_nav_pages_exist():
    pages = _nav_pages()
    assert {"index.md", "concepts.md", "cli.md", "backup-restore.md", "forensics.md", "pytest.md", "c-api.md",
            "api.md", "errors.md"} <= set(pages)
    for p in pages:
        assert os.path.isfile(os.path.join(ROOT, "docs", p)), p


def test_site_builds(tmp_path):
    site = tmp_path / "site"
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    for page in _nav_pages():
        name = page[:-3]
        assert (site / ("index.html" if name == "index" else os.path.join(name, "index.html"))).is_file(), page
    api = (site / "api" / "index.html").read_text()
    for name in ("read_database_header", "open_database", "LogFolder", "run_and_kill", "ese_instance",
                 "Instance", "begin_session", "to_pandas"):
        assert name in api, name
    # the public API is all there, and Sphinx roles / literal-block markers never show raw
    for name in ("open_ese", "ColumnDef", "ProgressBar", "Progress", "restore", "InstanceParams", "Record",
                 "error_class", "InvalidLogSequence"):
        assert name in api, name
    assert not re.search(r":(class|func|meth|mod|attr|data|exc):", re.sub(r"<[^>]+>", "", api)), \
        re.findall(r".{40}:(?:class|func|meth|mod|attr|data|exc):.{40}", re.sub(r"<[^>]+>", "", api))[:3]
    assert "::</p>" not in api
    errors = (site / "errors" / "index.html").read_text()
    assert "JET_errReadVerifyFailure" in errors and "-1018" in errors
