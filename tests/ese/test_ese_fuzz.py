"""Damaged input never crashes the reader: flipped bytes, zeroed pages and
truncated files of real samples end in a JET error, a damage report or a
DamagedValue -- never a crash, a hang or garbage presented as good data.

The mutated copies are read in a child process so that a crash would be seen
as a failure of this test rather than the end of the test run."""
import os
import random
import shutil
import subprocess
import sys
import textwrap

import pytest

READER = textwrap.dedent('''
    import sys, esepy
    from esepy import errors
    out = []
    for path in sys.argv[1:]:
        try:
            db = esepy.open_ese(path)
        except errors.JetError as e:
            out.append("open-error"); continue
        try:
            n = 0
            for t in db.tables:
                for r in t.records(include_deleted=True):
                    n += 1
                for x in t.indexes:                  # index reads, seeks and carving on damage too
                    for r in x.records(include_deleted=True):
                        n += 1
                    try:
                        list(x.range(bytes([0x7f]), bytes([0x80]), raw=True))
                    except errors.JetError:
                        pass
                for r in t.carve():
                    n += 1
            db.check_integrity(records=False)
            db.verify_pages()
            out.append("damage" if db.damage else "clean")
        except errors.JetError:
            out.append("read-error")
        finally:
            db.close()
    print(" ".join(out))
''')


def _mutants(src, tmp_path, seed, count):
    data = open(src, "rb").read()
    rng = random.Random(seed)
    paths = []
    size = len(data)
    for i in range(count):
        d = bytearray(data)
        kind = i % 4
        if kind == 0:    # flip bytes anywhere after the headers
            for _ in range(rng.randint(1, 16)):
                j = rng.randrange(size)
                d[j] ^= 1 << rng.randrange(8)
        elif kind == 1:  # scribble over a page's header and tag array
            cb = 4096
            pg = rng.randrange(2, size // cb)
            for _ in range(8):
                d[pg * cb + rng.randrange(64)] = rng.randrange(256)
                d[pg * cb + cb - 1 - rng.randrange(64)] = rng.randrange(256)
        elif kind == 2:  # truncate
            d = d[: rng.randrange(size)]
        else:            # zero a run of pages
            cb = 4096
            pg = rng.randrange(2, size // cb)
            d[pg * cb:(pg + rng.randint(1, 4)) * cb] = bytes(len(d[pg * cb:(pg + rng.randint(1, 4)) * cb]))
        p = tmp_path / f"m{seed}_{i}.edb"
        p.write_bytes(bytes(d))
        paths.append(str(p))
    return paths


@pytest.mark.parametrize("name", ["dissect_multi_4k.edb", "dissect_text_4k.edb", "stroz_decompress_lzxpress_8k.edb",
                                  "qmgr_win11_24h2_16k.db", "srum_win11_dirty/SRUDB.dat"])
def test_mutated_samples_do_not_crash(samples, tmp_path, name):
    paths = _mutants(samples(name), tmp_path, seed=len(name), count=24)
    proc = subprocess.run([sys.executable, "-c", READER, *paths], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    outcomes = proc.stdout.split()
    assert len(outcomes) == len(paths)
    assert set(outcomes) <= {"open-error", "read-error", "damage", "clean"}
    # flipped bits in used pages must be noticed by the checksums
    assert "damage" in outcomes or "open-error" in outcomes


def test_page_checksum_failure_is_reported(samples, tmp_path):
    src = samples("dissect_multi_4k.edb")
    dst = tmp_path / "bad.edb"
    shutil.copy(src, dst)
    import esepy
    with esepy.open_ese(src) as db:
        pgno = db.tables["multi"].pgno_fdp
    data = bytearray(dst.read_bytes())
    off = (pgno + 1) * 4096 + 2000
    data[off] ^= 0x10
    dst.write_bytes(bytes(data))
    with esepy.open_ese(dst) as db:
        info = db.page(pgno)
        assert info["status"] == "bad_checksum" and not info["checksum_ok"]
        rows = list(db.tables["multi"])  # keeps going
        assert len(rows) == 2
        dmg = db.damage
        assert any(d["pgno"] == pgno and d["error"] == -1018 for d in dmg)
        assert db.verify_pages()["bad"] == [pgno]


def test_bad_primary_header_uses_shadow(samples, tmp_path):
    import esepy
    dst = tmp_path / "hdr.edb"
    data = bytearray(open(samples("dissect_binary_4k.edb"), "rb").read())
    data[100] ^= 0xFF
    dst.write_bytes(bytes(data))
    with esepy.open_ese(dst) as db:
        h = db.header
        assert not h["primary_valid"] and h["shadow_valid"] and h["copy_used"] == "shadow"
        assert db.damage[0]["pgno"] == 0
        assert len(list(db.tables["binary"])) == 1
    data[4096 + 100] ^= 0xFF
    dst.write_bytes(bytes(data))
    from esepy import errors
    with pytest.raises(errors.ReadVerifyFailure):
        esepy.open_ese(dst)


def test_truncated_file(samples, tmp_path):
    import esepy
    data = open(samples("srum_win11_dirty/SRUDB.dat"), "rb").read()
    dst = tmp_path / "short.dat"
    dst.write_bytes(data[: len(data) // 2])
    with esepy.open_ese(dst) as db:
        n = sum(1 for t in db.tables for _ in t)
        assert n < 4034
        assert db.damage  # pages beyond the end are reported, not invented
