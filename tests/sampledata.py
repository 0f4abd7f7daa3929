"""The real ESE sample files the test-suite reads (tests/data/ese/, their origin,
commit and licence in tests/data/README.md), made ready to use.

Files that compress well are stored gzip-compressed (`NAME.gz`); `materialize`
copies every sample into a scratch folder with its original name, decompressed,
and checks each one against its SHA-256 below, so a missing or damaged sample
is an error, never a silently skipped test.  `ESEPY_SAMPLES` may name another
folder laid out the same way (files plain or `.gz`).

Used by tests/conftest.py (fixture `ese_samples`), tests/c_unit/test_c_unit.py
(which hands the folder to the C tests as ESEPY_SAMPLES) and
benchmarks/bench_ese_read.py.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ese")

# name (as the tests use it) -> SHA-256 of its uncompressed content
FILES = {
    "dissect_binary_4k.edb":
        "98a8a0e13c7bfd1e48346c9d8b2f5b4c7fa671ae658ab16e6625f31e695413ab",
    "dissect_binary_4k.edb.header.txt":
        "4896a4e41fcb70dc92224438fc44f4caea0d42e68e9514a085b489302f97e125",
    "dissect_index_4k.edb":
        "370b4ae5d65766a3592e136e52783727e8f1a13d5e5a811b67213301c9471840",
    "dissect_large_32k.edb":
        "438e4a3f50dcdfb9714ea0943346264c10ea87e6ea0f320ed3895e131fc8795e",
    "dissect_large_32k.edb.header.txt":
        "099a85a876b9d5d14947ef82c731e8a1ce1db75b812e88da7160533b4f4899ce",
    "dissect_multi_4k.edb":
        "a6e74cc87f325173a85956dcb74a7643d66bdb25e22f3cc1d2ad1b7a4ec9b374",
    "dissect_multi_4k.edb.header.txt":
        "53cdffc40830b872a425197d84d29fe3038450b25efd15e8fae69e3672d4835b",
    "dissect_text_4k.edb":
        "111232ac201e46f912c8c1f5c4e0eb9bfde58cdc199b22ef8350931d383a22b4",
    "dissect_text_4k.edb.header.txt":
        "9b5003a95e720143588b9609919ee6ce5ea97b6bd06bbb8ed1358a24be004e04",
    "dissect_ual_current_4k.mdb":
        "e3873ec077c0cd9018f1f1c996b12216c1e63ee19ed710039a01fce0ce69d531",
    "qmgr_win11_24h2_16k.db.go-ese-golden.jsonl":
        "de98b8248f52b668e8067d15012d115e5c18e784ccc0d9c6292cf2040ea4b003",
    "qmgr_win11_24h2_16k.db":
        "a1079dd971db1b0d774a2520d4e566e158286df4c1bd84deab8513ddaa379149",
    "qmgr_win11_24h2_16k.db.header.txt":
        "2c9c044fdd64de9bbf34442c841e09732622c98e74b3ef8e03529f3eab2d446f",
    "srum_win11_dirty/SRU.chk":
        "b8f0bc1914ba950911530f318bb6a8498a50ecc4649a2d841c44f455905787a5",
    "srum_win11_dirty/SRU.log":
        "326ad487a09622ae740df1f96056fa752f0879d3a0032be205d1601f8fc49e88",
    "srum_win11_dirty/SRU00059.log":
        "c5fa270a1559ff0c7bf30a1e3dbf05eeafe65c74556d9d1d8eccd6920a140d84",
    "srum_win11_dirty/SRU0005A.log":
        "a03b3edd6bb143a74a420c322f2d2a5bdd9288f4c72c2d9231e710584aeb0062",
    "srum_win11_dirty/SRU0005B.log":
        "9dcafedfebeccb8e4846e9bb888c4eedfabef27514b4a606b2e682926866a83d",
    "srum_win11_dirty/SRUDB.dat":
        "b1b0e0e9e95cdc44bc4e9a9671cf0e3dc37cc3ab433c98f4ecbf482965c0f13a",
    "srum_win11_dirty/SRUDB.dat.header.txt":
        "a54218391ac6d3005e07c472bf4f29cb22c7abc6534ff9d8f7a419b77ae75dbb",
    "srum_win11_dirty/SRUDB.jfm":
        "6ad4f07dc41381325cc820b7bf8fea9db32d78e0361f1a72de7579ff5d6e3ab5",
    "srum_win11_dirty/SRUDB.repaired-by-esentutl-p.dat":
        "f2aeeafe6843aefba35756ffee0eea128b97ec985f852a6c074267a71ceb1696",
    "srum_win11_dirty/SRUDB.repaired-by-esentutl-p.dat.header.txt":
        "9244e67485d1f7f23bb2a9b9913bcf70054f242933c4efca95160c6fc1f80718",
    "srum_win11_dirty/SRUDB.repaired.INTEG.RAW.txt":
        "7174abd3a732bc2e9e6b00133bd9cc17cfed5ea85c0d43d589931ca89b52f7b1",
    "srum_win11_dirty/SRUres00001.jrs":
        "de2f256064a0af797747c2b97505dc0b9f3df0de4f489eac731c23ae9ca9cc31",
    "srum_win11_dirty/SRUtmp.log":
        "5d67b3508a07a6a1a893bf7e6ea7ddc9e136e4438963e32679ce5e74c10e0d12",
    "stroz_decompress_7bit_8k.edb":
        "044a977db84799965bc9eabef9290be7b79ee76a779650817a62466b5ff09cb9",
    "stroz_decompress_7bit_8k.edb.header.txt":
        "5a55528c888cd1b517db05591af79db75806381accc5960e6060367797029a26",
    "stroz_decompress_7bit_8k.esent_dump.txt":
        "f233c4fc5716825e87894a660f8102e1dd0f36f956d31a490c36b5531abac9b1",
    "stroz_decompress_lzxpress_8k.edb":
        "785355a550cbed6f0b1e7eaf08cd27dc681a0f55a95d2eba4c5c14ffd54f9efd",
    "stroz_decompress_lzxpress_8k.edb.header.txt":
        "7349211848347678e372e90e5ebe993620da239f612abc5e5cb4bf91dd0695b3",
}


class SamplesMissing(Exception):
    """A sample file is absent or not the file it should be."""


def source_dir() -> str:
    """The folder the samples are read from: ESEPY_SAMPLES, else tests/data/ese."""
    return os.environ.get("ESEPY_SAMPLES") or DATA


def materialize(dest: str) -> str:
    """Copy every sample into dest (decompressing `.gz`), check it, return dest."""
    src_dir = source_dir()
    if not os.path.isdir(src_dir):
        raise SamplesMissing(f"the ESE samples folder {src_dir} does not exist "
                             "(tests/data/ese is part of the repository; ESEPY_SAMPLES overrides it)")
    for name, sha in FILES.items():
        src = os.path.join(src_dir, name)
        dst = os.path.join(dest, name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.isfile(src):
            shutil.copyfile(src, dst)
        elif os.path.isfile(src + ".gz"):
            with gzip.open(src + ".gz", "rb") as fin, open(dst, "wb") as fout:
                shutil.copyfileobj(fin, fout)
        else:
            raise SamplesMissing(f"sample {name} is missing from {src_dir} (neither {name} nor {name}.gz)")
        h = hashlib.sha256()
        with open(dst, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        if h.hexdigest() != sha:
            raise SamplesMissing(f"sample {name} in {src_dir} is not the expected file (sha256 {h.hexdigest()})")
    return dest
