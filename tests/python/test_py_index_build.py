"""Index builds over a filled table (index.c: external merge sort feeding the
btree's bottom-up bulk load, csrc/btree/bulk.c): the tree passes the
integrity check (no leaked or misplaced page), holds exactly the entries an
index maintained by inserts holds, spills sorted runs to a temporary file when
they pass the run budget (a quarter of the page cache), and a unique build
that meets a duplicate fails with KeyDuplicate and leaves nothing behind."""
from __future__ import annotations

import os
import random
import sys

import pytest

import esepy
from esepy import errors
from esepy.inspection import DatabaseFile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import jetffi  # noqa: E402

N = 12000


def make_instance(tmp_path, name="idxbuild"):
    return esepy.Instance(name, system_path=f"{tmp_path}/", log_path=f"{tmp_path}/logs/",
                          temp_path=f"{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                          log_file_size_kb=4096, circular_log=True)


def _cache_pages(n):
    """Set the process-wide cache_size_max to n pages for one test, then put it back."""
    old = esepy.get_default_param("cache_size_max")
    esepy.set_default_param("cache_size_max", n)
    try:
        yield
    finally:
        esepy.set_default_param("cache_size_max", old)


@pytest.fixture
def small_cache():
    """64 pages of cache: a 128 KiB run budget, so builds here spill."""
    yield from _cache_pages(64)


def unlinks():
    jet = jetffi.load()
    c = jet.ffi.new("uint64_t *")
    assert jet.lib.EsepyTestGetIOCount(jet.C.ESEPY_IO_UNLINK, c) == 0
    return c[0]


def fill(t, rnd):
    keys = rnd.sample(range(10 * N), N)
    for i in range(0, N, 1000):
        t.insert_many([{"k": k, "v": f"v{k % 997:04d}-{k}", "n": k % 313} for k in keys[i:i + 1000]])


def check_file(path):
    rep = DatabaseFile(path).check_integrity()
    assert rep.problems == [], rep.problems[:5]
    return {tr.name: tr for tr in rep.trees}


@pytest.mark.parametrize("spill", [False, True])
def test_built_index_equals_maintained_index(tmp_path, request, spill):
    if spill:
        request.getfixturevalue("small_cache")
    path = str(tmp_path / "b.edb")
    rnd = random.Random(5)
    cols = {"k": "long", "v": "text", "n": "long"}
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(path)
        t = db.create_table("t", cols, primary_key=["k"])
        t.create_index("m_vn", ["v", "-n"])          # maintained by the inserts
        t.create_index("m_n", ["n"])
        fill(t, rnd)
        before = unlinks()
        t.create_index("b_vn", ["v", "-n"])          # built over the filled table
        t.create_index("b_n", ["n"])
        spilled = unlinks() - before
        assert spilled == (2 if spill else 0)       # one sort file per build, removed
        for m, b in (("m_vn", "b_vn"), ("m_n", "b_n")):
            assert [r["k"] for r in t.range(index=m)] == [r["k"] for r in t.range(index=b)]
            assert [r["k"] for r in t.range(index=m, reverse=True)] == [r["k"] for r in t.range(index=b, reverse=True)]
        for n in (0, 1, 77, 312):
            assert [r["k"] for r in t.range(index="b_n", prefix=n)] == [r["k"] for r in t.range(index="m_n", prefix=n)]
            assert t.count(index="b_n", prefix=n) == t.count(index="m_n", prefix=n) > 0
        # the built index is maintained afterwards like any other
        t.insert({"k": -1, "v": "zzz", "n": 5})
        t.delete(next(iter(t))["k"])
        assert [r["k"] for r in t.range(index="m_vn")] == [r["k"] for r in t.range(index="b_vn")]
        t.close()
        db.close()
    trees = check_file(path)
    for m, b in (("t/m_vn", "t/b_vn"), ("t/m_n", "t/b_n")):
        assert trees[b].nodes == trees[m].nodes == N
        assert trees[b].depth >= 2
        # leaves filled, not split: fuller pages than the maintained index's (whose leaves keep
        # their keys' prefix once, which bulk-loaded leaves do not yet, so compare fill, not pages)
        assert trees[b].bytes_used / trees[b].pages > trees[m].bytes_used / trees[m].pages


def test_unique_build_with_duplicate_leaves_nothing(tmp_path, small_cache):
    path = str(tmp_path / "u.edb")
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(path)
        t = db.create_table("t", {"k": "long", "v": "text", "n": "long"}, primary_key=["k"])
        fill(t, random.Random(9))
        with pytest.raises(errors.KeyDuplicate):
            t.create_index("u_n", ["n"], unique=True)
        assert "u_n" not in t.indexes
        t.create_index("u_k", ["n", "k"], unique=True)   # unique: builds
        assert t.count(index="u_k") == N
        t.close()
        db.close()
    trees = check_file(path)
    assert "t/u_n" not in trees and trees["t/u_k"].nodes == N


def test_build_of_one_leaf_and_of_an_empty_table(tmp_path):
    path = str(tmp_path / "e.edb")
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(path)
        t = db.create_table("t", {"k": "long", "v": "text", "n": "long"}, primary_key=["k"])
        t.create_index("empty", ["n"])
        for k in range(20):
            t.insert({"k": k, "v": str(k), "n": -k})
        t.create_index("one", ["n"])
        assert [r["k"] for r in t.range(index="one")] == list(range(19, -1, -1))
        t.close()
        db.close()
    trees = check_file(path)
    assert trees["t/one"].nodes == 20 and trees["t/one"].pages == 1


@pytest.fixture
def tiny_cache():
    """16 pages of cache, the smallest an instance takes."""
    yield from _cache_pages(16)


def test_build_of_a_deep_tree_in_a_tiny_cache(tmp_path, tiny_cache):
    """Keys of ~1000 bytes make a tree of 4 nodes a page and 5 levels: a batch of 8 leaves
    latched at once with the right edge took more than 16 frames (OutOfBuffers); the
    loader now places a batch early when it would latch more than half the cache (bulk.c
    K3)."""
    path = str(tmp_path / "tiny.edb")
    n = 6000
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(path)
        t = db.create_table("t", {"k": "long", "v": "longtext"}, primary_key=["k"])
        for i in range(0, n, 500):
            t.insert_many([{"k": k, "v": "x" * 900 + "%08d" % k} for k in range(i, i + 500)])
        t.create_index("long", ["v"], key_most=1000)
        assert t.count(index="long") == n
        assert [r["k"] for r in t.range(index="long")][:3] == [0, 1, 2]
        t.close()
        db.close()
    tree = check_file(path)["t/long"]
    assert tree.nodes == n and tree.depth >= 5


def test_build_honours_density(tmp_path):
    """JetCreateIndex's lDensity fills the built index's leaves to that percentage (it was
    always 100%): at 50% the index takes about twice the pages, and stays correct."""
    path = str(tmp_path / "d.edb")
    jet = jetffi.load()
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(path)
        t = db.create_table("t", {"k": "long", "v": "text", "n": "long"}, primary_key=["k"])
        fill(t, random.Random(3))
        for name, density in ((b"d100", 100), (b"d50", 50), (b"d0", 0)):
            assert jet.lib.JetCreateIndex(s.sesid, t.tableid, name, 0, b"+v\0-n\0\0", 7, density) == 0
        assert jet.lib.JetCreateIndex(s.sesid, t.tableid, b"bad", 0, b"+v\0\0", 4, 10) == jet.C.JET_errDensityInvalid
        t.close()
        t = db.open_table("t")
        assert [r["k"] for r in t.range(index="d50")] == [r["k"] for r in t.range(index="d100")]
        t.close()
        db.close()
    trees = check_file(path)
    full, half = trees["t/d100"], trees["t/d50"]
    assert full.nodes == half.nodes == trees["t/d0"].nodes == N
    assert trees["t/d0"].pages == full.pages                  # 0: the default, 100%
    assert 1.8 * full.pages <= half.pages <= 2.3 * full.pages


def test_build_orders_keys_that_share_their_first_16_bytes(tmp_path):
    """The build's sort compares the first 16 key bytes as two integers (index.c run_sort) and the
    entries only on a tie: keys equal there, keys that end inside them (zero padding must not tie
    them with a longer key), zero bytes and NULL segments come out as the maintained index has them."""
    path = str(tmp_path / "p.edb")
    rnd = random.Random(11)
    stems = [b"", b"\x00", b"a" * 13, b"a" * 14, b"a" * 15, b"a" * 14 + b"\x00", b"a" * 20, b"\x00" * 16]
    rows = []
    for k in range(3000):
        v = rnd.choice(stems) + bytes(rnd.choice((0, 1, 2, 97, 255)) for _ in range(rnd.randrange(4)))
        rows.append({"k": k, "b": v if v or k % 3 else None, "n": None if k % 7 == 0 else rnd.randrange(-3, 3)})
    rnd.shuffle(rows)
    with make_instance(tmp_path) as inst, inst.begin_session() as s:
        db = s.create_database(path)
        t = db.create_table("t", {"k": "long", "b": "binary", "n": "long"}, primary_key=["k"])
        t.create_index("m_bn", ["b", "-n"])
        t.create_index("m_nb", ["n", "b"])
        for i in range(0, len(rows), 500):
            t.insert_many(rows[i:i + 500])
        t.create_index("b_bn", ["b", "-n"])
        t.create_index("b_nb", ["n", "b"])
        for m, b in (("m_bn", "b_bn"), ("m_nb", "b_nb")):
            built = [r["k"] for r in t.range(index=b)]
            assert built == [r["k"] for r in t.range(index=m)]
            assert len(built) == len(rows)
        t.close()
        db.close()
    check_file(path)
