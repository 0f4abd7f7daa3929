"""Compact Unicode text keys (DB_INCOMPAT_INDEX_COMPACT, csrc/isam/key.c, index.c K8).

Indexes of new files make cp-1200 text keys with one byte per ASCII code unit
(the UTF-8 form of each unit's number) instead of two; the index order is the
same as the 2-byte form's: folded code units compared as numbers, shorter
first; their non-unique entries keep the bookmark's length in one byte, not
two.  Files of format version 1 (incompat 0) keep the 2-byte form for every
index they get, and attach, update and recover as before."""
import os
import random
import struct

from test_database import Env
from test_record_format import header, make_version1

KEY_TEXT8 = 0x10
FOLD_STRINGS = ["a", "A", "ab", "aB", "a\x00", "a\x00b", "a\x01", "a\x02", "b", "\x7f", "\x80", "\xe9", "\xc9",
                "\u07ff", "\u0800", "\u0400", "\u0410", "\ud7ff", "\ud800\udc00", "\ue000", "\uffff", "\uff21",
                "zz", "z\u0100", "user00000001@example.org", "USER00000001@EXAMPLE.ORG2"]


def fold_units(s):
    """The order key of the index: code units after key.c's folding (ASCII, Latin-1, Cyrillic, fullwidth here)."""
    out = []
    for u in [int.from_bytes(s.encode("utf-16-le", "surrogatepass")[i:i + 2], "little")
              for i in range(0, len(s.encode("utf-16-le", "surrogatepass")), 2)]:
        if 0x41 <= u <= 0x5A or (0xC0 <= u <= 0xDE and u != 0xD7) or 0x410 <= u <= 0x42F or 0xFF21 <= u <= 0xFF3A:
            u += 0x20
        elif 0x400 <= u <= 0x40F:
            u += 0x50
        out.append(u)
    return out


def leaf_data_sizes(path):
    """How many live leaf nodes of the file have 1 and 2 bytes of data (a non-unique entry's bookmark length)."""
    counts = {1: 0, 2: 0}
    with open(path, "rb") as f:
        for pgno in range(1, os.path.getsize(path) // 4096 - 1):
            f.seek((pgno + 1) * 4096)
            page = f.read(4096)
            if not struct.unpack_from("<I", page, 20)[0] & 0x1:  # BTP_LEAF
                continue
            for i in range(struct.unpack_from("<H", page, 32)[0]):
                off = struct.unpack_from("<H", page, 4096 - 2 * (i + 1))[0]
                cbd = struct.unpack_from("<H", page, off + 2)[0]
                if cbd in counts:
                    counts[cbd] += 1
    return counts


def text_table(env, dbid, unique=False):
    C, lib = env.C, env.lib
    err, t = env.create_table(dbid, "p")
    assert err == 0
    err, cid = env.add_column(t, "id", C.JET_coltypLong)
    assert err == 0
    err, cs = env.add_column(t, "s", C.JET_coltypText, cp=1200)
    assert err == 0
    assert lib.JetCreateIndex(env.ses, t, b"primary", C.JET_bitIndexPrimary, b"+id\0\0", 6, 100) == 0
    assert lib.JetCreateIndex(env.ses, t, b"by_s", C.JET_bitIndexUnique if unique else 0, b"+s\0\0", 5, 100) == 0
    return t, cid, cs


def open_text(env, path):
    ffi, lib, C = env.ffi, env.lib, env.C
    assert lib.JetAttachDatabase(env.ses, path.encode(), 0) in (0, C.JET_wrnDatabaseAttached)
    pdbid = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(env.ses, path.encode(), ffi.NULL, pdbid, 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(env.ses, pdbid[0], b"p", ffi.NULL, 0, 0, pt) == 0
    cols = []
    for name in (b"id", b"s"):
        cd = ffi.new("JET_COLUMNDEF *")
        assert lib.JetGetTableColumnInfo(env.ses, pt[0], name, cd, ffi.sizeof(cd[0]), C.JET_ColInfo) == 0
        cols.append(cd.columnid)
    return pt[0], cols[0], cols[1]


def u16(s):
    return s.encode("utf-16-le", "surrogatepass")


def insert_all(env, t, cid, cs, strings, base=0):
    for i, s in enumerate(strings):
        assert env.insert(t, [(cid, (base + i).to_bytes(4, "little")), (cs, u16(s))]) == 0


def ids_in_index_order(env, t, cid):
    lib, C = env.lib, env.C
    assert lib.JetSetCurrentIndex(env.ses, t, b"by_s") == 0
    out = []
    err = lib.JetMove(env.ses, t, C.JET_MoveFirst, 0)
    while err == 0:
        out.append(int.from_bytes(env.retrieve(t, cid)[1], "little"))
        err = lib.JetMove(env.ses, t, C.JET_MoveNext, 0)
    assert err == C.JET_errNoCurrentRecord
    return out


def made_key(env, t, s, grbit=0):
    ffi, lib = env.ffi, env.lib
    assert lib.JetSetCurrentIndex(env.ses, t, b"by_s") == 0
    b = u16(s)
    assert lib.JetMakeKey(env.ses, t, b, len(b), env.C.JET_bitNewKey | grbit) == 0
    key = ffi.new("char[]", 5000)
    cb = ffi.new("uint32_t *")
    assert lib.JetRetrieveKey(env.ses, t, key, 5000, cb, env.C.JET_bitRetrieveCopy) == 0
    return bytes(ffi.buffer(key, cb[0]))


def expected_order(strings):
    return [i for _, i in sorted((fold_units(s), i) for i, s in enumerate(strings))]


def check_seeks(env, t, cid, strings):
    """SeekEQ finds every value in any case; a prefix range finds exactly the values starting with it."""
    lib, C = env.lib, env.C
    for i, s in enumerate(strings):
        made_key(env, t, s.upper() if s.isascii() else s)
        assert lib.JetSeek(env.ses, t, C.JET_bitSeekEQ) in (0, C.JET_wrnUniqueKey)
        assert fold_units(strings[int.from_bytes(env.retrieve(t, cid)[1], "little")]) == fold_units(s)
    made_key(env, t, "USER", C.JET_bitPartialColumnStartLimit)
    assert lib.JetSeek(env.ses, t, C.JET_bitSeekGE) in (0, C.JET_wrnSeekNotEqual)
    made_key(env, t, "user", C.JET_bitPartialColumnEndLimit)
    assert lib.JetSetIndexRange(env.ses, t, C.JET_bitRangeUpperLimit | C.JET_bitRangeInclusive) == 0
    got = []
    err = 0
    while err == 0:
        got.append(int.from_bytes(env.retrieve(t, cid)[1], "little"))
        err = lib.JetMove(env.ses, t, C.JET_MoveNext, 0)
    assert sorted(got) == sorted(i for i, s in enumerate(strings) if s.lower().startswith("user"))


def test_new_files_make_one_byte_per_ascii_unit(jet, tmp_path):
    env = Env(jet, tmp_path)
    try:
        err, dbid = env.create_db()
        assert err == 0
        t, cid, cs = text_table(env, dbid)
        assert made_key(env, t, "User@Ex") == b"\x7fuser@ex\x00"
        assert made_key(env, t, "\x00\x01\xe9\u0800") == b"\x7f\x01\x01\x01\x02\xc3\xa9\xe0\xa0\x80\x00"
        assert made_key(env, t, "Us", env.C.JET_bitPartialColumnStartLimit) == b"\x7fus"
        insert_all(env, t, cid, cs, FOLD_STRINGS)
        assert ids_in_index_order(env, t, cid) == expected_order(FOLD_STRINGS)
        check_seeks(env, t, cid, FOLD_STRINGS)
    finally:
        assert env.term() == 0
    assert header(str(tmp_path / "a.edb"))[1] & KEY_TEXT8
    # the non-unique index's entries keep their bookmark's length in one byte
    assert leaf_data_sizes(str(tmp_path / "a.edb")) == {1: len(FOLD_STRINGS), 2: 0}


def test_compact_keys_recover(jet, tmp_path):
    env = Env(jet, tmp_path)
    err, dbid = env.create_db()
    assert err == 0
    t, cid, cs = text_table(env, dbid, unique=True)
    strings = ["user%08d@example.org" % i for i in range(3000)]
    random.Random(5).shuffle(strings)
    insert_all(env, t, cid, cs, strings)
    # a duplicate in another case is refused by the unique index
    assert env.insert(t, [(cid, (9999).to_bytes(4, "little")), (cs, u16(strings[7].upper()))]) == \
        env.C.JET_errKeyDuplicate
    assert env.term(env.C.JET_bitTermDirty) == env.C.JET_errDirtyShutdown
    env = Env(jet, tmp_path, "again")
    try:
        t, cid, cs = open_text(env, str(tmp_path / "a.edb"))
        assert ids_in_index_order(env, t, cid) == expected_order(strings)
        assert made_key(env, t, "A") == b"\x7fa\x00"
    finally:
        assert env.term() == 0


def test_version1_file_keeps_two_byte_text_keys(jet, tmp_path):
    made, used = tmp_path / "made", tmp_path / "used"
    made.mkdir()
    used.mkdir()
    env = Env(jet, made, "made")
    try:
        assert env.create_db()[0] == 0
    finally:
        assert env.term() == 0
    path = str(made / "a.edb")
    make_version1(path)     # an empty file as builds before the bit wrote it

    env = Env(jet, used, "used")
    C = env.C
    pdbid = env.ffi.new("JET_DBID *")
    assert env.lib.JetAttachDatabase(env.ses, path.encode(), 0) == 0
    assert env.lib.JetOpenDatabase(env.ses, path.encode(), env.ffi.NULL, pdbid, 0) == 0
    t, cid, cs = text_table(env, pdbid[0])
    assert made_key(env, t, "Ab") == b"\x7f\x00a\x00b\x00\x00"
    insert_all(env, t, cid, cs, FOLD_STRINGS)
    assert env.term() == 0
    assert header(path) == (1, 0)
    assert leaf_data_sizes(path) == {1: 0, 2: len(FOLD_STRINGS)}

    env = Env(jet, used, "used2")
    t, cid, cs = open_text(env, path)
    more = ["user%05d@example.org" % i for i in range(2000)]
    random.Random(4).shuffle(more)
    insert_all(env, t, cid, cs, more, base=len(FOLD_STRINGS))
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown

    env = Env(jet, used, "again")    # recovery of a format-1 file with 2-byte text keys
    try:
        t, cid, cs = open_text(env, path)
        everything = FOLD_STRINGS + more
        assert ids_in_index_order(env, t, cid) == expected_order(everything)
        assert made_key(env, t, "Ab") == b"\x7f\x00a\x00b\x00\x00"
        check_seeks(env, t, cid, everything)
    finally:
        assert env.term() == 0
    assert header(path) == (1, 0)
    assert leaf_data_sizes(path) == {1: 0, 2: len(FOLD_STRINGS) + 2000}
