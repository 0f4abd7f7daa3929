"""Fixtures for the forensic ESE reader tests: the real sample files of
/work/shared/samples (override with ESEPY_SAMPLES), the gzip-compressed ones
decompressed once per session into a temporary folder."""
import gzip
import os
import shutil

import pytest

SAMPLES = os.environ.get("ESEPY_SAMPLES", "/work/shared/samples")


@pytest.fixture(scope="session")
def samples(tmp_path_factory):
    """Return a function name -> path of a sample (decompressing *.gz on first use)."""
    if not os.path.isdir(SAMPLES):
        pytest.fail(f"ESE samples folder {SAMPLES} is missing (set ESEPY_SAMPLES)")
    out = tmp_path_factory.mktemp("ese_samples")

    def get(name: str) -> str:
        src = os.path.join(SAMPLES, name)
        if os.path.exists(src):
            return src
        gz = src + ".gz"
        dst = out / name
        if not dst.exists():
            with gzip.open(gz, "rb") as fin, open(dst, "wb") as fout:
                shutil.copyfileobj(fin, fout)
        return str(dst)

    return get


@pytest.fixture(scope="session")
def srum_dir():
    return os.path.join(SAMPLES, "srum_win11_dirty")
