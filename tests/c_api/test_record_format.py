"""Record format version 2 (compact record header, DB_INCOMPAT_RECORD_HDR2) through the C API.

New files carry the incompat bit and hold version-2 records; files of format
version 1 (as every build before the bit wrote them) still attach, read, update
and recover, and keep holding version-1 records, so their older readers still
read them.  A version-1 file is made the way such a build left it: created,
detached clean, its header rewritten as version 1 with incompat 0 before any
record is written (the catalog rows have their own format, unchanged)."""
import os
import struct

from esepy import inspection
from test_database import Env, keys_of, open_kv

PAGE = 4096
HDR_OFF_VERSION, HDR_OFF_INCOMPAT = 8, 284
RECORD_HDR2 = 0x2
MARK = b"payload-"


def header(path):
    with open(path, "rb") as f:
        a = f.read(PAGE)
    return struct.unpack_from("<I", a, HDR_OFF_VERSION)[0], struct.unpack_from("<I", a, HDR_OFF_INCOMPAT)[0]


def make_version1(path):
    """Rewrite both header copies as a format-version-1 file (incompat 0)."""
    with open(path, "r+b") as f:
        for copy in range(2):
            f.seek(copy * PAGE)
            block = bytearray(f.read(PAGE))
            struct.pack_into("<I", block, HDR_OFF_VERSION, 1)
            struct.pack_into("<I", block, HDR_OFF_INCOMPAT, 0)
            struct.pack_into("<I", block, 0, inspection.crc32c(bytes(block[4:]), 0))
            f.seek(copy * PAGE)
            f.write(block)


def record_formats(path):
    """First byte of every live leaf record that holds one of the test's values."""
    out = []
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        for pgno in range(1, size // PAGE - 1):
            f.seek((pgno + 1) * PAGE)
            page = f.read(PAGE)
            flags = struct.unpack_from("<I", page, 20)[0]
            if not flags & 0x1:  # BTP_LEAF
                continue
            cslot = struct.unpack_from("<H", page, 32)[0]
            for i in range(cslot):
                off = struct.unpack_from("<H", page, PAGE - 2 * (i + 1))[0]
                cbk, cbd, nflags = struct.unpack_from("<HHH", page, off)
                cbk &= 0x7FFF  # bit 15: key stored whole, not after the page's key prefix
                if nflags & 0x1:  # BT_NODE_DELETED: not yet cleaned up
                    continue
                data = page[off + 6 + cbk:off + 6 + cbk + cbd]
                if MARK in data:
                    out.append(data[0])
    return out


def kv_table(env, dbid):
    C = env.C
    err, t = env.create_table(dbid, "kv")
    assert err == 0
    err, ck = env.add_column(t, "k", C.JET_coltypLong)
    assert err == 0
    err, cv = env.add_column(t, "v", C.JET_coltypBinary)
    assert err == 0
    err, cw = env.add_column(t, "w", C.JET_coltypBinary)
    assert err == 0
    err, ct = env.add_column(t, "t", C.JET_coltypLongBinary, C.JET_bitColumnTagged | C.JET_bitColumnMultiValued)
    assert err == 0
    assert env.lib.JetCreateIndex(env.ses, t, b"primary", C.JET_bitIndexPrimary, b"+k\0\0", 4, 100) == 0
    return t, ck, cv, cw, ct


def col(env, t, name):
    cd = env.ffi.new("JET_COLUMNDEF *")
    assert env.lib.JetGetTableColumnInfo(env.ses, t, name, cd, env.ffi.sizeof(cd[0]), env.C.JET_ColInfo) == 0
    return cd.columnid


def fill(env, t, ck, cv, cw, ct, ks):
    """Rows with w NULL on odd keys (a NULL variable column before a set one on even keys: v NULL)."""
    for k in ks:
        vals = [(ck, struct.pack("<i", k)), (ct, MARK + b"t%d" % k)]
        if k % 2:
            vals.append((cv, MARK + b"v%d" % k))
        else:
            vals.append((cw, MARK + b"w%d" % k))
        assert env.insert(t, vals) == 0


def seek(env, t, k):
    lib, ffi = env.lib, env.ffi
    key = struct.pack("<i", k)
    assert lib.JetMakeKey(env.ses, t, key, 4, env.C.JET_bitNewKey) == 0
    return lib.JetSeek(env.ses, t, env.C.JET_bitSeekEQ)


def check_rows(env, t, ck, cv, cw, ct, ks, replaced=()):
    C = env.C
    assert keys_of(env, t, ck) == sorted(ks)
    for k in ks:
        assert seek(env, t, k) == 0
        err_v, v = env.retrieve(t, cv)
        err_w, w = env.retrieve(t, cw)
        err_t, tv = env.retrieve(t, ct)
        assert err_t == 0 and tv == MARK + b"t%d" % k
        if k in replaced:
            assert (err_v, v, err_w, w) == (0, MARK + b"r%d" % k, 0, MARK + b"s%d" % k)
        elif k % 2:
            assert (err_v, v, err_w) == (0, MARK + b"v%d" % k, C.JET_wrnColumnNull)
        else:
            assert (err_v, err_w, w) == (C.JET_wrnColumnNull, 0, MARK + b"w%d" % k)


def replace(env, t, cv, cw, k):
    lib, ffi = env.lib, env.ffi
    assert seek(env, t, k) == 0
    assert lib.JetPrepareUpdate(env.ses, t, env.C.JET_prepReplace) == 0
    for c, v in ((cv, MARK + b"r%d" % k), (cw, MARK + b"s%d" % k)):
        assert lib.JetSetColumn(env.ses, t, c, v, len(v), 0, ffi.NULL) == 0
    assert lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL) == 0


def test_new_files_hold_version2_records(jet, tmp_path):
    env = Env(jet, tmp_path)
    try:
        err, dbid = env.create_db()
        assert err == 0
        t, ck, cv, cw, ct = kv_table(env, dbid)
        fill(env, t, ck, cv, cw, ct, range(300))
        replace(env, t, cv, cw, 7)
        check_rows(env, t, ck, cv, cw, ct, range(300), replaced=(7,))
    finally:
        assert env.term() == 0
    path = str(tmp_path / "a.edb")
    version, incompat = header(path)
    assert version == 2 and incompat & RECORD_HDR2
    formats = record_formats(path)
    assert len(formats) == 300 and all(b & 3 == 2 for b in formats)


def test_version1_file_attaches_reads_updates_and_recovers(jet, tmp_path):
    # a file as an older build left it: format version 1, no record written yet
    made, used = tmp_path / "made", tmp_path / "used"
    made.mkdir()
    used.mkdir()
    env = Env(jet, made, "made")
    try:
        err, dbid = env.create_db()
        assert err == 0
        t, ck, cv, cw, ct = kv_table(env, dbid)
    finally:
        assert env.term() == 0
    path = str(made / "a.edb")
    make_version1(path)
    assert header(path) == (1, 0)

    # attach in another log stream, write, crash
    env = Env(jet, used, "used")
    C, lib, ffi = env.C, env.lib, env.ffi
    assert lib.JetAttachDatabase(env.ses, path.encode(), 0) == 0
    t, ck = open_kv(env, path.encode())
    cv, cw, ct = col(env, t, b"v"), col(env, t, b"w"), col(env, t, b"t")
    fill(env, t, ck, cv, cw, ct, range(0, 400, 2))
    check_rows(env, t, ck, cv, cw, ct, range(0, 400, 2))
    assert env.term() == 0
    assert header(path) == (1, 0)
    formats = record_formats(path)
    assert len(formats) == 200 and all(b == 0x01 for b in formats)

    env = Env(jet, used, "used2")
    assert lib.JetAttachDatabase(env.ses, path.encode(), 0) == 0
    t, ck = open_kv(env, path.encode())
    fill(env, t, ck, cv, cw, ct, range(1, 400, 2))
    for k in (4, 5):
        replace(env, t, cv, cw, k)
    assert seek(env, t, 10) == 0
    assert lib.JetDelete(env.ses, t) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown

    # recovery replays the version-1 records; the file stays version 1
    ks = [k for k in range(400) if k != 10]
    env = Env(jet, used, "again")
    try:
        assert lib.JetAttachDatabase(env.ses, path.encode(), 0) == 0
        t, ck = open_kv(env, path.encode())
        check_rows(env, t, ck, cv, cw, ct, ks, replaced=(4, 5))
        replace(env, t, cv, cw, 6)
        check_rows(env, t, ck, cv, cw, ct, ks, replaced=(4, 5, 6))
    finally:
        assert env.term() == 0
    assert header(path) == (1, 0)
    formats = record_formats(path)
    assert len(formats) == len(ks) and all(b == 0x01 for b in formats)
