"""Page key prefixes (DB_INCOMPAT_KEY_PREFIX, csrc/btree/btree_int.h X1, X2) through the C API.

New files carry the incompat bit, and their leaves keep the bytes their keys
share once (page byte 39: the prefix length; bit 15 of a node's key length:
key stored whole).  Files of format version 1 (incompat 0, as every build
before the bit wrote them) attach, update, split, merge and recover without
ever getting a prefix page, so their older readers still read them.  A
damaged prefix length is JET_errDatabaseCorrupted, never a crash."""
import random
import struct

from esepy import _esepy, inspection
from test_database import Env
from test_record_format import header, make_version1

PAGE = 4096
KEY_PREFIX = 0x4
BTP_LEAF, BTP_INTERNAL = 0x1, 0x2


def bkey(i):
    """16-byte keys with 13 leading zero bytes, like benchmarks/run.py's."""
    return i.to_bytes(16, "big")


def bin_table(env, dbid):
    C = env.C
    err, t = env.create_table(dbid, "kv")
    assert err == 0
    err, ck = env.add_column(t, "k", C.JET_coltypBinary, cbMax=16)
    assert err == 0
    err, cv = env.add_column(t, "v", C.JET_coltypBinary)
    assert err == 0
    assert env.lib.JetCreateIndex(env.ses, t, b"primary", C.JET_bitIndexPrimary, b"+k\0\0", 4, 100) == 0
    return t, ck, cv


def open_bin(env, path):
    ffi, lib = env.ffi, env.lib
    assert lib.JetAttachDatabase(env.ses, path.encode(), 0) in (0, env.C.JET_wrnDatabaseAttached)
    pdbid = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(env.ses, path.encode(), ffi.NULL, pdbid, 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(env.ses, pdbid[0], b"kv", ffi.NULL, 0, 0, pt) == 0
    cols = []
    for name in (b"k", b"v"):
        cd = ffi.new("JET_COLUMNDEF *")
        assert lib.JetGetTableColumnInfo(env.ses, pt[0], name, cd, ffi.sizeof(cd[0]), env.C.JET_ColInfo) == 0
        cols.append(cd.columnid)
    return pt[0], cols[0], cols[1]


def value(i):
    return b"v%d" % i * (1 + i % 3)


def fill(env, t, ck, cv, ks):
    for k in ks:
        assert env.insert(t, [(ck, bkey(k)), (cv, value(k))]) == 0


def delete(env, t, ks):
    lib = env.lib
    for k in ks:
        assert lib.JetMakeKey(env.ses, t, bkey(k), 16, env.C.JET_bitNewKey) == 0
        assert lib.JetSeek(env.ses, t, env.C.JET_bitSeekEQ) == 0
        assert lib.JetDelete(env.ses, t) == 0


def rows(env, t, ck, cv):
    out = []
    err = env.lib.JetMove(env.ses, t, env.C.JET_MoveFirst, 0)
    while err == 0:
        k = env.retrieve(t, ck)[1]
        out.append((int.from_bytes(k, "big"), env.retrieve(t, cv)[1]))
        err = env.lib.JetMove(env.ses, t, env.C.JET_MoveNext, 0)
    return out, err


def expect(ks):
    return sorted((k, value(k)) for k in ks)


def tree_pages(path):
    """(pgno, page bytes) of every tree page of the file."""
    with open(path, "rb") as f:
        data = f.read()
    for pgno in range(1, len(data) // PAGE - 1):
        page = data[(pgno + 1) * PAGE:(pgno + 2) * PAGE]
        if struct.unpack_from("<I", page, 20)[0] & (BTP_LEAF | BTP_INTERNAL):
            yield pgno, page


def whole_bits(page):
    cslot = struct.unpack_from("<H", page, 32)[0]
    offs = [struct.unpack_from("<H", page, PAGE - 2 * (i + 1))[0] for i in range(cslot)]
    return sum(1 for off in offs if struct.unpack_from("<H", page, off)[0] & 0x8000)


def test_new_files_keep_shared_key_bytes_once(jet, tmp_path):
    env = Env(jet, tmp_path)
    ks = list(range(4000))
    random.Random(5).shuffle(ks)
    try:
        err, dbid = env.create_db()
        assert err == 0
        t, ck, cv = bin_table(env, dbid)
        fill(env, t, ck, cv, ks)
        delete(env, t, ks[:1500])        # merges of prefix leaves
        fill(env, t, ck, cv, ks[:700])   # and splits again
    finally:
        assert env.term() == 0
    path = str(tmp_path / "a.edb")
    version, incompat = header(path)
    assert version == 2 and incompat & KEY_PREFIX
    live = ks[:700] + ks[1500:]
    pages = list(tree_pages(path))
    prefixed = [(pgno, pg) for pgno, pg in pages if pg[39] > 0]
    assert len(prefixed) >= 10
    # the engine's own view of a prefix leaf gives whole keys, in order, the
    # ones stored after the prefix starting with it
    nleaf = 0
    for _, pg in prefixed:
        if not struct.unpack_from("<I", pg, 20)[0] & BTP_LEAF:
            continue
        nleaf += 1
        cb = pg[39]
        nodes = _esepy._inspect_page_nodes(pg)
        keys = [n[0] for n in nodes]
        assert len(keys) == struct.unpack_from("<H", pg, 32)[0] and keys == sorted(set(keys))
        cslot = len(keys)
        for i, key in enumerate(keys):
            off = struct.unpack_from("<H", pg, PAGE - 2 * (i + 1))[0]
            word = struct.unpack_from("<H", pg, off)[0]
            stored = pg[off + 6:off + 6 + (word & 0x7FFF)]
            assert key == (stored if word & 0x8000 else pg[40:40 + cb] + stored)
        assert cslot > 0
    assert nleaf >= 10
    env = Env(jet, tmp_path, "again")
    try:
        t, ck, cv = open_bin(env, path)
        assert rows(env, t, ck, cv) == (expect(live), env.C.JET_errNoCurrentRecord)
    finally:
        assert env.term() == 0


def test_prefix_pages_recover(jet, tmp_path):
    env = Env(jet, tmp_path)
    C = env.C
    ks = list(range(3000))
    random.Random(9).shuffle(ks)
    err, dbid = env.create_db()
    assert err == 0
    t, ck, cv = bin_table(env, dbid)
    fill(env, t, ck, cv, ks)
    delete(env, t, ks[:1000])
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    env = Env(jet, tmp_path, "again")
    try:
        t, ck, cv = open_bin(env, str(tmp_path / "a.edb"))
        assert rows(env, t, ck, cv) == (expect(ks[1000:]), C.JET_errNoCurrentRecord)
    finally:
        assert env.term() == 0
    assert any(pg[39] for _, pg in tree_pages(str(tmp_path / "a.edb")))


def test_version1_file_never_gets_prefix_pages(jet, tmp_path):
    made, used = tmp_path / "made", tmp_path / "used"
    made.mkdir()
    used.mkdir()
    env = Env(jet, made, "made")
    try:
        err, dbid = env.create_db()
        assert err == 0
        bin_table(env, dbid)
    finally:
        assert env.term() == 0
    path = str(made / "a.edb")
    assert not any(pg[39] or whole_bits(pg) for _, pg in tree_pages(path))
    make_version1(path)
    assert header(path) == (1, 0)

    ks = list(range(3000))
    random.Random(3).shuffle(ks)
    env = Env(jet, used, "used")
    C = env.C
    t, ck, cv = open_bin(env, path)
    fill(env, t, ck, cv, ks[:2000])
    assert env.term() == 0
    assert header(path) == (1, 0)
    assert not any(pg[39] or whole_bits(pg) for _, pg in tree_pages(path))

    env = Env(jet, used, "used2")
    t, ck, cv = open_bin(env, path)
    fill(env, t, ck, cv, ks[2000:])
    delete(env, t, ks[:1200])
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown

    env = Env(jet, used, "again")   # recovery replays splits and merges of format-1 pages
    try:
        t, ck, cv = open_bin(env, path)
        assert rows(env, t, ck, cv) == (expect(ks[1200:]), C.JET_errNoCurrentRecord)
    finally:
        assert env.term() == 0
    assert header(path) == (1, 0)
    pages = list(tree_pages(path))
    assert len(pages) > 20 and not any(pg[39] or whole_bits(pg) for _, pg in pages)


def test_damaged_prefix_length_is_corruption(jet, tmp_path):
    env = Env(jet, tmp_path)
    C = env.C
    try:
        err, dbid = env.create_db()
        assert err == 0
        t, ck, cv = bin_table(env, dbid)
        fill(env, t, ck, cv, range(3000))
    finally:
        assert env.term() == 0
    path = str(tmp_path / "a.edb")
    leaves = [(pgno, pg) for pgno, pg in tree_pages(path)
              if pg[39] and struct.unpack_from("<I", pg, 20)[0] & BTP_LEAF]
    assert leaves
    for bad in (leaves[len(leaves) // 2][1][39] + 1, 0, 255):
        pgno, pg = leaves[len(leaves) // 2]
        block = bytearray(pg)
        block[39] = bad
        struct.pack_into("<I", block, 0, inspection.crc32c(bytes(block[4:]), pgno))
        with open(path, "r+b") as f:
            f.seek((pgno + 1) * PAGE)
            f.write(block)
        env = Env(jet, tmp_path, "bad%d" % bad)
        try:
            t, ck, cv = open_bin(env, path)
            got, err = rows(env, t, ck, cv)
            assert err == C.JET_errDatabaseCorrupted
            assert len(got) < 3000
        finally:
            env.term()
        with open(path, "r+b") as f:   # put the good page back
            f.seek((pgno + 1) * PAGE)
            f.write(pg)
