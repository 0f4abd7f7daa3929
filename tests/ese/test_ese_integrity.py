"""The B+tree and space check of Windows ESE databases (issue 17 item 2):
EsepyEseCheckIntegrity (csrc/esefmt/integrity.c) through cffi, as a C program
calls it, EseDatabase.check_integrity and `esepy integrity`.  Every sample
passes; copies damaged in the test (two keys swapped, a broken sibling link, a
page owned by two trees) are reported with the page and what is wrong."""
import io
import json
import os
import shutil
import struct
import subprocess

import cffi
import pytest

import esepy
from esepy import cli

from ese_checksums import segment_checksum

SAMPLES = [
    "dissect_index_4k.edb", "dissect_text_4k.edb", "dissect_binary_4k.edb", "dissect_multi_4k.edb",
    "dissect_large_32k.edb",
    "stroz_decompress_7bit_8k.edb", "stroz_decompress_lzxpress_8k.edb", "qmgr_win11_24h2_16k.db",
    "srum_win11_dirty/SRUDB.dat",
]
PAGE = 4096
SAMPLE = "dissect_text_4k.edb"  # MSysObjects leaves 13 <-> 14; MSysLocales a one-page extent at 30; "text" at 31


@pytest.fixture(scope="module")
def c():
    """cffi over esepy_ese.h (run through the C preprocessor) and the installed libesent.so."""
    inc = os.path.join(os.path.dirname(esepy.__file__), "include")
    src = subprocess.run([os.environ.get("CC", "cc"), "-E", "-P", "-DJET_NO_STDINT_INCLUDE", "-I", inc, "-x", "c",
                          "-"], input='#include "esepy_ese.h"\n', capture_output=True, text=True, check=True).stdout
    ffi = cffi.FFI()
    ffi.cdef("\n".join(line for line in src.splitlines() if not line.lstrip().startswith("#")))
    return ffi, ffi.dlopen(esepy.native_library())


def c_check(c, path):
    """(return code, ESEPY_ESE_INTEGRITY, [(pgno, err, objid, what)]) of EsepyEseCheckIntegrity."""
    ffi, lib = c
    pp = ffi.new("ESEPY_ESE_FILE **")
    assert lib.EsepyEseOpen(path.encode(), 0, pp) == 0
    try:
        info = ffi.new("ESEPY_ESE_INTEGRITY *")
        err = lib.EsepyEseCheckIntegrity(pp[0], info)
        found = []
        for i in range(info.idamageFirst, info.idamageFirst + info.cfinding):
            d = ffi.new("ESEPY_ESE_DAMAGE *")
            if lib.EsepyEseGetDamage(pp[0], i, d) < 0:
                break
            found.append((d.pgno, d.err, d.objidFDP, ffi.string(d.szWhat).decode()))
        return err, info, found
    finally:
        lib.EsepyEseClose(pp[0])


def _edit(path, pgno, fn):
    with open(path, "r+b") as f:
        f.seek((pgno + 1) * PAGE)
        b = bytearray(f.read(PAGE))
        fn(b)
        struct.pack_into("<Q", b, 0, segment_checksum(bytes(b), pgno))
        f.seek((pgno + 1) * PAGE)
        f.write(b)


@pytest.fixture
def copy(samples, tmp_path):
    path = str(tmp_path / "copy.edb")
    shutil.copyfile(samples(SAMPLE), path)
    return path


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_passes(c, samples, name):
    err, info, found = c_check(c, samples(name))
    assert err == 0 and info.cfinding == 0, found
    assert info.ctable >= 5 and info.ctree > info.ctable and info.cpageChecked > 0 and info.cpageOwned > 0
    with esepy.open_ese(samples(name)) as db:
        rep = db.check_integrity(records=name != "dissect_large_32k.edb")
        assert rep["ok"] and rep["findings"] == []
        assert rep["trees"] == info.ctree and rep["pages_checked"] == info.cpageChecked


def test_swapped_keys_are_reported(c, copy):
    def swap(b):
        t1, t2 = PAGE - 4 * 6, PAGE - 4 * 7   # tags 5 and 6 of the page: their nodes change places
        b[t1:t1 + 4], b[t2:t2 + 4] = b[t2:t2 + 4], b[t1:t1 + 4]
    _edit(copy, 13, swap)
    err, info, found = c_check(c, copy)
    assert err == 0 and info.cfinding >= 1
    assert (13, -1206, 2, "MSysObjects: page 13: key of node 6 is not above the one before") in found, found
    assert all(f[0] == 13 for f in found)


def test_broken_sibling_link_is_reported(c, copy):
    _edit(copy, 14, lambda b: struct.pack_into("<I", b, 16, 99))   # pgnoPrev of the second leaf
    err, info, found = c_check(c, copy)
    assert found == [(14, -327, 2, "MSysObjects: page 14: previous-page link 99")], found


def test_page_owned_twice_is_reported(c, copy):
    _edit(copy, 30, _grow_extent)
    err, info, found = c_check(c, copy)
    assert found == [(31, -343, 8, "text: page 31 is owned twice: also by objid 7")], found


def _grow_extent(b):
    """MSysLocales' root (page 30) is a single-extent tree of one page: claim two (30 and 31,
    the root of table "text")."""
    cb, ib = struct.unpack_from("<HH", b, PAGE - 4)   # tag 0: the space header
    at = 40 + (ib & 0x1FFF)
    assert cb & 0x1FFF == 16 and struct.unpack_from("<I", b, at)[0] == 1
    struct.pack_into("<I", b, at, 2)


def _run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_integrity_on_windows_files(copy, samples):
    code, out, err = _run("integrity", copy)
    assert code == 0 and "Integrity check successful." in out, err
    code, out, err = _run("integrity", copy, "--json", "--no-records")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] and doc["format"] == "windows-ese" and doc["records"] is None
    _edit(copy, 14, lambda b: struct.pack_into("<I", b, 16, 99))
    code, out, err = _run("integrity", copy)
    assert code == 1
    assert "ERROR: page 14 (objid 2): MSysObjects: page 14: previous-page link 99 (JET_errBadPageLink)" in err
    # a dirty database needs --force (its pages may still be in its logs)
    dirty = samples("srum_win11_dirty/SRUDB.dat")
    code, out, err = _run("integrity", dirty)
    assert code == 1 and "DirtyShutdown" in err and "--force" in err
    code, out, err = _run("integrity", dirty, "--force", "--no-records")
    assert code == 0, err
