"""Secondary indexes through the C API (cffi): creation over existing data,
maintenance on insert / replace / delete, unique and null rules, descending
and case-insensitive keys, multi-valued columns, seeks, index ranges,
bookmarks, and consistency through rollback and crash recovery."""
import struct

import pytest

from test_database import Env, env  # noqa: F401  (fixture)


def I(v):  # noqa: E743
    return struct.pack("<i", v)


class T:
    """A table "t" with k (Long, primary), a (Long), s (Text 1252), m (multi-valued Long)."""

    def __init__(self, env, dbid=None):
        self.env, self.C, self.lib, self.ffi, self.ses = env, env.C, env.lib, env.ffi, env.ses
        C = self.C
        if dbid is None:
            err, dbid = env.create_db()
            assert err == 0
        self.dbid = dbid
        err, self.t = env.create_table(dbid, "t")
        assert err == 0
        self.ck = env.add_column(self.t, "k", C.JET_coltypLong)[1]
        self.ca = env.add_column(self.t, "a", C.JET_coltypLong)[1]
        self.cs = env.add_column(self.t, "s", C.JET_coltypText, cp=1252)[1]
        self.cm = env.add_column(self.t, "m", C.JET_coltypLong,
                                 grbit=C.JET_bitColumnTagged | C.JET_bitColumnMultiValued)[1]
        assert self.create_index("primary", C.JET_bitIndexPrimary, "+k") == 0

    def create_index(self, name, grbit, *cols):
        key = b"".join(c.encode() + b"\0" for c in cols) + b"\0"
        return self.lib.JetCreateIndex(self.ses, self.t, name.encode(), grbit, key, len(key), 100)

    def insert(self, k, a=None, s=None, m=()):
        lib, ses, t = self.lib, self.ses, self.t
        assert lib.JetPrepareUpdate(ses, t, self.C.JET_prepInsert) == 0
        assert lib.JetSetColumn(ses, t, self.ck, I(k), 4, 0, self.ffi.NULL) == 0
        if a is not None:
            assert lib.JetSetColumn(ses, t, self.ca, I(a), 4, 0, self.ffi.NULL) == 0
        if s is not None:
            assert lib.JetSetColumn(ses, t, self.cs, s, len(s), 0, self.ffi.NULL) == 0
        for v in m:
            si = self.ffi.new("JET_SETINFO *", {"cbStruct": self.ffi.sizeof("JET_SETINFO"), "itagSequence": 0})
            assert lib.JetSetColumn(ses, t, self.cm, I(v), 4, 0, si) == 0
        err = lib.JetUpdate(ses, t, self.ffi.NULL, 0, self.ffi.NULL)
        if err != 0:
            lib.JetPrepareUpdate(ses, t, self.C.JET_prepCancel)
        return err

    def seek_primary(self, k):
        assert self.lib.JetSetCurrentIndex(self.ses, self.t, self.ffi.NULL) == 0
        assert self.lib.JetMakeKey(self.ses, self.t, I(k), 4, self.C.JET_bitNewKey) == 0
        return self.lib.JetSeek(self.ses, self.t, self.C.JET_bitSeekEQ)

    def set_a(self, k, a):
        assert self.seek_primary(k) == 0
        lib, ses, t = self.lib, self.ses, self.t
        assert lib.JetPrepareUpdate(ses, t, self.C.JET_prepReplace) == 0
        if a is None:
            assert lib.JetSetColumn(ses, t, self.ca, self.ffi.NULL, 0, 0, self.ffi.NULL) == 0
        else:
            assert lib.JetSetColumn(ses, t, self.ca, I(a), 4, 0, self.ffi.NULL) == 0
        err = lib.JetUpdate(ses, t, self.ffi.NULL, 0, self.ffi.NULL)
        if err != 0:
            lib.JetPrepareUpdate(ses, t, self.C.JET_prepCancel)
        return err

    def col(self, colid):
        buf = self.ffi.new("char[]", 256)
        pcb = self.ffi.new("uint32_t *")
        err = self.lib.JetRetrieveColumn(self.ses, self.t, colid, buf, 256, pcb, 0, self.ffi.NULL)
        if err == self.C.JET_wrnColumnNull:
            return None
        assert err == 0, self.env.jet.err_name(err)
        data = bytes(self.ffi.buffer(buf, pcb[0]))
        return struct.unpack("<i", data)[0] if colid != self.cs else data

    def scan(self, index, colid=None, reverse=False):
        """Values of colid (default k) in the order of `index`."""
        colid = colid or self.ck
        lib, ses, t, C = self.lib, self.ses, self.t, self.C
        assert lib.JetSetCurrentIndex(ses, t, index.encode() if index else self.ffi.NULL) == 0
        out = []
        err = lib.JetMove(ses, t, C.JET_MoveLast if reverse else C.JET_MoveFirst, 0)
        while err == 0:
            out.append(self.col(colid))
            err = lib.JetMove(ses, t, C.JET_MovePrevious if reverse else C.JET_MoveNext, 0)
        assert err == C.JET_errNoCurrentRecord
        return out

    def seek(self, grbit, *keys, limit=0):
        lib, ses, t, C = self.lib, self.ses, self.t, self.C
        for i, k in enumerate(keys):
            g = (C.JET_bitNewKey if i == 0 else 0) | (limit if i == len(keys) - 1 else 0)
            data = I(k) if isinstance(k, int) else k
            assert lib.JetMakeKey(ses, t, data if data is not None else self.ffi.NULL,
                                  len(data) if data is not None else 0, g) == 0
        return lib.JetSeek(ses, t, grbit)


@pytest.fixture
def tab(env):
    return T(env)


def test_create_over_data_and_maintain(tab):
    C = tab.C
    for k, a in ((1, 30), (2, 10), (3, 20), (4, 10)):
        assert tab.insert(k, a) == 0
    assert tab.create_index("ia", 0, "+a") == 0
    assert tab.scan("ia") == [2, 4, 3, 1]
    assert tab.scan("ia", reverse=True) == [1, 3, 4, 2]
    assert tab.create_index("iad", 0, "-a") == 0
    assert tab.scan("iad") == [1, 3, 2, 4]
    # maintained on insert, replace, delete
    assert tab.insert(5, 15) == 0
    assert tab.set_a(1, 5) == 0
    assert tab.seek_primary(3) == 0
    assert tab.lib.JetDelete(tab.ses, tab.t) == 0
    assert tab.scan("ia") == [1, 2, 4, 5]
    assert tab.scan("iad") == [5, 2, 4, 1]
    assert tab.scan("ia", tab.ca) == [5, 10, 10, 15]
    # errors
    assert tab.create_index("ia", 0, "+s") == C.JET_errIndexDuplicate
    assert tab.create_index("ix", 0, "+nope") == C.JET_errColumnNotFound
    assert tab.create_index("ix", 0, "+a", "+a") == C.JET_errIndexInvalidDef
    assert tab.create_index("p2", C.JET_bitIndexPrimary, "+a") == C.JET_errIndexHasPrimary
    assert tab.lib.JetSetCurrentIndex(tab.ses, tab.t, b"nope") == C.JET_errIndexNotFound
    n = tab.ffi.new("uint32_t *")
    assert tab.lib.JetGetTableIndexInfo(tab.ses, tab.t, tab.ffi.NULL, n, 4, C.JET_IdxInfoCount) == 0
    assert n[0] == 3
    assert tab.lib.JetGetIndexInfo(tab.ses, tab.dbid, b"t", b"ia", n, 4, C.JET_IdxInfoCount) == 0


def test_current_index_names(tab):
    C, lib, ses, t, ffi = tab.C, tab.lib, tab.ses, tab.t, tab.ffi
    assert tab.create_index("ia", 0, "+a") == 0
    buf = ffi.new("char[]", 65)
    assert lib.JetGetCurrentIndex(ses, t, buf, 65) == 0
    assert ffi.string(buf) == b"primary"
    assert lib.JetSetCurrentIndex2(ses, t, b"IA", C.JET_bitMoveFirst) == 0
    assert lib.JetGetCurrentIndex(ses, t, buf, 65) == 0
    assert ffi.string(buf) == b"ia"
    assert lib.JetDeleteIndex(ses, t, b"ia") == C.JET_errIndexInUse
    assert lib.JetDeleteIndex(ses, t, b"primary") == C.JET_errIndexMustStay
    assert lib.JetSetCurrentIndex(ses, t, b"") == 0
    assert lib.JetDeleteIndex(ses, t, b"ia") == 0
    assert lib.JetDeleteIndex(ses, t, b"ia") == C.JET_errIndexNotFound
    assert lib.JetSetCurrentIndex(ses, t, b"ia") == C.JET_errIndexNotFound
    # a deleted index's name can be used again
    assert tab.insert(1, 7) == 0
    assert tab.create_index("ia", 0, "-a") == 0
    assert tab.scan("ia") == [1]


def test_unique(tab):
    C, lib, ses = tab.C, tab.lib, tab.ses
    assert tab.insert(1, 10) == 0
    assert tab.insert(2, 10) == 0
    assert tab.create_index("u", C.JET_bitIndexUnique, "+a") == C.JET_errKeyDuplicate
    assert tab.set_a(2, 20) == 0
    assert tab.create_index("u", C.JET_bitIndexUnique, "+a") == 0
    assert tab.insert(3, 20) == C.JET_errKeyDuplicate
    # the failed insert left nothing behind, even inside a transaction
    assert lib.JetBeginTransaction(ses) == 0
    assert tab.insert(3, 10) == C.JET_errKeyDuplicate
    assert tab.insert(3, 30) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    assert tab.scan(None) == [1, 2, 3]
    assert tab.scan("u") == [1, 2, 3]
    assert tab.set_a(3, 10) == C.JET_errKeyDuplicate
    assert tab.scan("u", tab.ca) == [10, 20, 30]
    # swapping keys inside one transaction
    assert lib.JetBeginTransaction(ses) == 0
    assert tab.set_a(1, 99) == 0
    assert tab.set_a(2, 10) == 0
    assert tab.set_a(1, 20) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    assert tab.scan("u") == [2, 1, 3]
    # a deleted key can be reused
    assert tab.seek_primary(3) == 0
    assert lib.JetDelete(ses, tab.t) == 0
    assert tab.insert(4, 30) == 0
    assert tab.scan("u", tab.ca) == [10, 20, 30]


def test_null_rules(tab):
    C = tab.C
    rows = ((1, 5, None), (2, None, b"x"), (3, None, None), (4, 1, b"y"))
    for k, a, s in rows:
        assert tab.insert(k, a, s) == 0
    assert tab.create_index("plain", 0, "+a", "+s") == 0
    assert tab.create_index("high", C.JET_bitIndexSortNullsHigh, "+a") == 0
    assert tab.create_index("ignull", C.JET_bitIndexIgnoreNull, "+a", "+s") == 0
    assert tab.create_index("ignany", C.JET_bitIndexIgnoreAnyNull, "+a", "+s") == 0
    assert tab.create_index("ignfirst", C.JET_bitIndexIgnoreFirstNull, "+a", "+s") == 0
    assert tab.create_index("nonull", C.JET_bitIndexDisallowNull, "+a", "+s") == C.JET_errNullKeyDisallowed
    assert tab.scan("plain") == [3, 2, 4, 1]
    assert tab.scan("high") == [4, 1, 2, 3]
    assert tab.scan("ignull") == [2, 4, 1]
    assert tab.scan("ignany") == [4]
    assert tab.scan("ignfirst") == [4, 1]
    # maintenance follows the same rules
    assert tab.set_a(3, 0) == 0
    assert tab.scan("ignull") == [2, 3, 4, 1]
    assert tab.scan("ignfirst") == [3, 4, 1]
    assert tab.set_a(4, None) == 0
    assert tab.scan("ignfirst") == [3, 1]
    assert tab.scan("ignany") == []
    assert tab.create_index("nonull2", C.JET_bitIndexDisallowNull, "+k") == 0
    assert tab.insert(9, None) == 0


def test_text_case_folding(env):
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    tab = T(env)
    words = [b"banana", b"Apple", b"cherry", b"apple", b"Banana2"]
    for i, w in enumerate(words):
        assert tab.insert(i, s=w) == 0
    assert tab.create_index("ci", 0, "+s") == 0
    # case-sensitive through JET_INDEXCREATE's LCMapString flags (no NORM_IGNORECASE)
    ui = ffi.new("JET_UNICODEINDEX *", {"lcid": 0x409, "dwMapFlags": 0})
    key = b"+s\0\0"
    name = ffi.new("char[]", b"cs")
    kbuf = ffi.new("char[]", key)
    ic = ffi.new("JET_INDEXCREATE *", {"cbStruct": ffi.sizeof("JET_INDEXCREATE"), "szIndexName": name,
                                       "szKey": kbuf, "cbKey": len(key), "grbit": C.JET_bitIndexUnicode,
                                       "ulDensity": 100, "pidxunicode": ui})
    assert lib.JetCreateIndex2(ses, tab.t, ic, 1) == 0
    assert ic.err == 0
    ci = tab.scan("ci", tab.cs)
    assert [w.lower() for w in ci] == [b"apple", b"apple", b"banana", b"banana2", b"cherry"]
    assert tab.scan("cs", tab.cs) == [b"Apple", b"Banana2", b"apple", b"banana", b"cherry"]
    # seeks fold the search key the same way
    assert lib.JetSetCurrentIndex(ses, tab.t, b"ci") == 0
    assert tab.seek(C.JET_bitSeekEQ, b"APPLE") == 0
    n = ffi.new("uint32_t *")
    assert lib.JetIndexRecordCount(ses, tab.t, n, 0) == 0 and n[0] == 5
    assert tab.seek(C.JET_bitSeekEQ | C.JET_bitSetIndexRange, b"APPLE") == 0
    assert lib.JetIndexRecordCount(ses, tab.t, n, 0) == 0 and n[0] == 2
    assert lib.JetSetCurrentIndex(ses, tab.t, b"cs") == 0
    assert tab.seek(C.JET_bitSeekEQ, b"APPLE") == C.JET_errRecordNotFound
    # JetCreateIndex3 / 4 take the larger structures
    n3, n4 = ffi.new("char[]", b"i3"), ffi.new("char[]", b"i4")  # kept alive: the structs only point at them
    ic2 = ffi.new("JET_INDEXCREATE2 *", {"cbStruct": ffi.sizeof("JET_INDEXCREATE2"),
                                         "szIndexName": n3, "szKey": kbuf,
                                         "cbKey": len(key), "ulDensity": 100})
    assert lib.JetCreateIndex3(ses, tab.t, ic2, 1) == 0
    ic3 = ffi.new("JET_INDEXCREATE3 *", {"cbStruct": ffi.sizeof("JET_INDEXCREATE3"),
                                         "szIndexName": n4, "szKey": kbuf,
                                         "cbKey": len(key), "ulDensity": 100})
    assert lib.JetCreateIndex4(ses, tab.t, ic3, 1) == 0
    ic3.cbStruct = 7
    assert lib.JetCreateIndex4(ses, tab.t, ic3, 1) == C.JET_errInvalidCreateIndex
    assert tab.scan("i4", tab.cs) == ci


def test_struct_layouts(jet):
    ffi = jet.ffi
    assert ffi.sizeof("JET_INDEXCREATE") == 80
    assert ffi.sizeof("JET_INDEXCREATE2") == 88
    assert ffi.sizeof("JET_INDEXCREATE3") == 88
    assert ffi.offsetof("JET_INDEXCREATE", "pidxunicode") == 40
    assert ffi.offsetof("JET_INDEXCREATE", "err") == 68
    assert ffi.offsetof("JET_INDEXCREATE", "cbKeyMost") == 72
    assert ffi.sizeof("JET_UNICODEINDEX") == 8
    assert ffi.sizeof("JET_SPACEHINTS") == 32


def test_multivalued_index(tab):
    C = tab.C
    assert tab.insert(1, m=(5, 1)) == 0
    assert tab.insert(2, m=(3,)) == 0
    assert tab.insert(3) == 0
    assert tab.create_index("im", C.JET_bitIndexIgnoreNull, "+m") == 0
    assert tab.scan("im") == [1, 2, 1]
    assert tab.lib.JetMove(tab.ses, tab.t, tab.C.JET_MoveFirst, 0) == 0
    out = [tab.col(tab.ck)]
    while tab.lib.JetMove(tab.ses, tab.t, C.JET_MoveNext, C.JET_bitMoveKeyNE) == 0:
        out.append(tab.col(tab.ck))
    assert out == [1, 2, 1]
    assert tab.seek(C.JET_bitSeekEQ, 5) == 0 and tab.col(tab.ck) == 1
    assert tab.seek(C.JET_bitSeekEQ, 4) == C.JET_errRecordNotFound
    assert tab.seek_primary(1) == 0
    assert tab.lib.JetDelete(tab.ses, tab.t) == 0
    assert tab.scan("im") == [2]


def test_seek_modes_and_ranges(tab):
    C, lib, ses, t, ffi = tab.C, tab.lib, tab.ses, tab.t, tab.ffi
    for k in range(10):
        assert tab.insert(k, a=(k // 2) * 10) == 0  # a: 0 0 10 10 20 20 30 30 40 40
    assert tab.create_index("ia", 0, "+a") == 0
    assert lib.JetSetCurrentIndex(ses, t, b"ia") == 0
    assert tab.seek(C.JET_bitSeekEQ, 20) == 0 and tab.col(tab.ck) == 4
    assert tab.seek(C.JET_bitSeekEQ, 25) == C.JET_errRecordNotFound
    assert tab.seek(C.JET_bitSeekGE, 20) == 0 and tab.col(tab.ck) == 4
    assert tab.seek(C.JET_bitSeekGE, 25) == C.JET_wrnSeekNotEqual and tab.col(tab.ck) == 6
    assert tab.seek(C.JET_bitSeekGT, 20) == 0 and tab.col(tab.ck) == 6
    assert tab.seek(C.JET_bitSeekLE, 20) == 0 and tab.col(tab.ck) == 5
    assert tab.seek(C.JET_bitSeekLE, 25) == C.JET_wrnSeekNotEqual and tab.col(tab.ck) == 5
    assert tab.seek(C.JET_bitSeekLT, 20) == 0 and tab.col(tab.ck) == 3
    assert tab.seek(C.JET_bitSeekGT, 40) == C.JET_errRecordNotFound
    assert tab.seek(C.JET_bitSeekLT, 0) == C.JET_errRecordNotFound
    assert tab.seek(C.JET_bitSeekEQ | C.JET_bitCheckUniqueness, 20) == 0
    assert tab.insert(10, a=50) == 0
    assert tab.seek(C.JET_bitSeekEQ | C.JET_bitCheckUniqueness, 50) == C.JET_wrnUniqueKey
    # SeekEQ + SetIndexRange: just the matches
    assert tab.seek(C.JET_bitSeekEQ | C.JET_bitSetIndexRange, 10) == 0
    got = [tab.col(tab.ck)]
    while lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0:
        got.append(tab.col(tab.ck))
    assert got == [2, 3]
    # as ESENT: leaving the range removed it and left the cursor after the
    # end of the index, so moving back is on the index's last entry
    assert lib.JetMove(ses, t, C.JET_MovePrevious, 0) == 0 and tab.col(tab.ck) == 10
    # JetSetIndexRange: [10, 30) and [10, 30]
    assert tab.seek(C.JET_bitSeekGE, 10) == 0
    assert tab.seek(0, 30) == C.JET_errInvalidGrbit
    assert lib.JetMakeKey(ses, t, I(30), 4, C.JET_bitNewKey) == 0
    assert lib.JetSetIndexRange(ses, t, C.JET_bitRangeUpperLimit) == 0
    n = ffi.new("uint32_t *")
    assert lib.JetIndexRecordCount(ses, t, n, 0) == 0 and n[0] == 4
    assert lib.JetIndexRecordCount(ses, t, n, 3) == 0 and n[0] == 3
    assert tab.col(tab.ck) == 2  # counting does not move the cursor
    assert tab.seek(C.JET_bitSeekGE, 10) == 0
    assert lib.JetMakeKey(ses, t, I(30), 4, C.JET_bitNewKey) == 0
    assert lib.JetSetIndexRange(ses, t, C.JET_bitRangeUpperLimit | C.JET_bitRangeInclusive) == 0
    assert lib.JetIndexRecordCount(ses, t, n, 0) == 0 and n[0] == 6
    assert lib.JetSetIndexRange(ses, t, C.JET_bitRangeRemove) == 0
    assert lib.JetSetIndexRange(ses, t, C.JET_bitRangeRemove) == C.JET_errInvalidOperation
    assert lib.JetIndexRecordCount(ses, t, n, 0) == 0 and n[0] == 9
    # a lower limit, walking backwards
    assert tab.seek(C.JET_bitSeekLE, 30) == 0
    assert lib.JetMakeKey(ses, t, I(10), 4, C.JET_bitNewKey) == 0
    assert lib.JetSetIndexRange(ses, t, 0) == 0
    got = [tab.col(tab.ck)]
    while lib.JetMove(ses, t, C.JET_MovePrevious, 0) == 0:
        got.append(tab.col(tab.ck))
    assert got == [7, 6, 5, 4]
    # a range the current record is outside of
    assert tab.seek(C.JET_bitSeekEQ, 40) == 0
    assert lib.JetMakeKey(ses, t, I(30), 4, C.JET_bitNewKey) == 0
    assert lib.JetSetIndexRange(ses, t, C.JET_bitRangeUpperLimit) == C.JET_errNoCurrentRecord
    # StrLimit-style limits on a secondary index
    assert tab.seek(C.JET_bitSeekLE, 20, limit=C.JET_bitFullColumnEndLimit) == C.JET_wrnSeekNotEqual
    assert tab.col(tab.ck) == 5


def test_retrieve_key_and_bookmarks(tab):
    C, lib, ses, t, ffi = tab.C, tab.lib, tab.ses, tab.t, tab.ffi
    for k in range(5):
        assert tab.insert(k, a=100 - k) == 0
    assert tab.create_index("ia", 0, "+a") == 0
    assert lib.JetSetCurrentIndex(ses, t, b"ia") == 0
    assert tab.seek(C.JET_bitSeekEQ, 98) == 0
    key = ffi.new("char[]", 300)
    cb = ffi.new("uint32_t *")
    assert lib.JetRetrieveKey(ses, t, key, 300, cb, 0) == 0
    k98 = bytes(ffi.buffer(key, cb[0]))
    assert lib.JetMakeKey(ses, t, I(98), 4, C.JET_bitNewKey) == 0
    assert lib.JetRetrieveKey(ses, t, key, 300, cb, C.JET_bitRetrieveCopy) == 0
    assert bytes(ffi.buffer(key, cb[0])) == k98
    assert lib.JetRetrieveKey(ses, t, key, 1, cb, 0) == C.JET_wrnBufferTruncated and cb[0] == len(k98)
    # normalized keys round-trip through JetMakeKey
    assert lib.JetMakeKey(ses, t, k98, len(k98), C.JET_bitNewKey | C.JET_bitNormalizedKey) == 0
    assert lib.JetSeek(ses, t, C.JET_bitSeekEQ) == 0 and tab.col(tab.ck) == 2
    # primary bookmark, then back on the secondary index at the same record
    bm = ffi.new("char[]", 256)
    assert lib.JetGetBookmark(ses, t, bm, 256, cb) == 0
    pbm = bytes(ffi.buffer(bm, cb[0]))
    sk = ffi.new("char[]", 300)
    cbs = ffi.new("uint32_t *")
    cbp = ffi.new("uint32_t *")
    assert lib.JetGetSecondaryIndexBookmark(ses, t, sk, 300, cbs, bm, 256, cbp, 0) == 0
    assert bytes(ffi.buffer(sk, cbs[0])) == k98 and bytes(ffi.buffer(bm, cbp[0])) == pbm
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    assert lib.JetGotoSecondaryIndexBookmark(ses, t, sk, cbs[0], bm, cbp[0], 0) == 0
    assert tab.col(tab.ck) == 2
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0 and tab.col(tab.ck) == 1
    assert lib.JetGotoBookmark(ses, t, pbm, len(pbm)) == 0 and tab.col(tab.ck) == 2
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0 and tab.col(tab.ck) == 1
    # NoMove keeps the record when switching indexes
    assert lib.JetSetCurrentIndex2(ses, t, tab.ffi.NULL, C.JET_bitNoMove) == 0 and tab.col(tab.ck) == 1
    assert lib.JetGetSecondaryIndexBookmark(ses, t, sk, 300, cbs, bm, 256, cbp, 0) == C.JET_errNoCurrentIndex
    assert lib.JetSetCurrentIndex2(ses, t, b"ia", C.JET_bitNoMove) == 0 and tab.col(tab.ck) == 1
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0 and tab.col(tab.ck) == 0
    # a stale secondary bookmark
    assert tab.seek_primary(2) == 0
    assert lib.JetDelete(ses, t) == 0
    assert lib.JetSetCurrentIndex(ses, t, b"ia") == 0
    assert lib.JetGotoSecondaryIndexBookmark(ses, t, sk, cbs[0], bm, cbp[0], 0) == C.JET_errRecordDeleted


def test_replace_keeps_position_on_secondary(tab):
    C, lib, ses, t = tab.C, tab.lib, tab.ses, tab.t
    for k in range(4):
        assert tab.insert(k, a=k * 10) == 0
    assert tab.create_index("ia", 0, "+a") == 0
    assert lib.JetSetCurrentIndex(ses, t, b"ia") == 0
    assert tab.seek(C.JET_bitSeekEQ, 10) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, tab.ca, I(25), 4, 0, tab.ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, tab.ffi.NULL, 0, tab.ffi.NULL) == 0
    assert tab.col(tab.ck) == 1
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0 and tab.col(tab.ck) == 3


def test_rollback_keeps_indexes_consistent(tab):
    C, lib, ses = tab.C, tab.lib, tab.ses
    for k in range(6):
        assert tab.insert(k, a=k) == 0
    assert tab.create_index("ia", 0, "-a") == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert tab.insert(10, a=100) == 0
    assert tab.set_a(0, 50) == 0
    assert tab.seek_primary(3) == 0
    assert lib.JetDelete(ses, tab.t) == 0
    assert tab.scan("ia") == [10, 0, 5, 4, 2, 1]
    assert lib.JetRollback(ses, 0) == 0
    assert tab.scan("ia") == [5, 4, 3, 2, 1, 0]
    # an index created in a rolled-back transaction disappears
    assert lib.JetBeginTransaction(ses) == 0
    assert tab.create_index("gone", 0, "+a") == 0
    assert tab.scan("gone") == [0, 1, 2, 3, 4, 5]
    assert lib.JetRollback(ses, 0) == 0
    assert lib.JetSetCurrentIndex(ses, tab.t, b"gone") == C.JET_errIndexNotFound
    assert tab.insert(20, a=20) == 0
    assert tab.scan("ia") == [20, 5, 4, 3, 2, 1, 0]


def test_other_cursor_sees_new_index(env):
    tab = T(env)
    C, lib, ses, ffi = tab.C, tab.lib, tab.ses, tab.ffi
    p = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, tab.dbid, b"t", ffi.NULL, 0, 0, p) == 0
    t2 = p[0]
    assert tab.create_index("ia", 0, "+a") == 0
    # an insert through the other cursor maintains the index it did not load
    assert lib.JetPrepareUpdate(ses, t2, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t2, tab.ck, I(1), 4, 0, ffi.NULL) == 0
    assert lib.JetSetColumn(ses, t2, tab.ca, I(7), 4, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t2, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetSetCurrentIndex(ses, t2, b"ia") == 0
    assert tab.scan("ia") == [1]
    assert lib.JetCloseTable(ses, t2) == 0


def check_consistent(tab, index, colid):
    """Every visible record has exactly its entry in `index` (ascending on colid)."""
    prim = tab.scan(None, colid)
    sec = tab.scan(index, colid)
    assert sorted(v for v in prim if v is not None) == [v for v in sec if v is not None]
    assert len(prim) == len(sec)
    return sec


def test_crash_recovery_undoes_index_changes(jet, tmp_path):
    env = Env(jet, tmp_path)
    tab = T(env)
    C, lib, ses = tab.C, tab.lib, tab.ses
    for k in range(50):
        assert tab.insert(k, a=(k * 7) % 50) == 0
    assert tab.create_index("ia", 0, "+a") == 0
    assert tab.create_index("u", C.JET_bitIndexUnique, "-k") == 0
    # uncommitted at the crash: an index creation, inserts, updates, deletes
    assert lib.JetBeginTransaction(ses) == 0
    assert tab.create_index("late", 0, "+a") == 0
    for k in range(50, 80):
        assert tab.insert(k, a=k) == 0
    for k in range(0, 20):
        assert tab.set_a(k, 1000 + k) == 0
    for k in range(20, 30):
        assert tab.seek_primary(k) == 0
        assert lib.JetDelete(ses, tab.t) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    env2 = Env(jet, tmp_path, "again")
    try:
        path = str(tmp_path / "a.edb").encode()
        assert env2.lib.JetAttachDatabase(env2.ses, path, 0) == 0
        p = env2.ffi.new("JET_DBID *")
        assert env2.lib.JetOpenDatabase(env2.ses, path, env2.ffi.NULL, p, 0) == 0
        pt = env2.ffi.new("JET_TABLEID *")
        assert env2.lib.JetOpenTable(env2.ses, p[0], b"t", env2.ffi.NULL, 0, 0, pt) == 0
        tab2 = T.__new__(T)
        tab2.env, tab2.C, tab2.lib, tab2.ffi, tab2.ses = env2, env2.C, env2.lib, env2.ffi, env2.ses
        tab2.t, tab2.ck, tab2.ca, tab2.cs, tab2.cm = pt[0], tab.ck, tab.ca, tab.cs, tab.cm
        assert env2.lib.JetSetCurrentIndex(env2.ses, tab2.t, b"late") == env2.C.JET_errIndexNotFound
        assert check_consistent(tab2, "ia", tab2.ca) == sorted((k * 7) % 50 for k in range(50))
        assert tab2.scan("u") == list(range(49, -1, -1))
        # and the indexes keep working after recovery
        assert tab2.insert(100, a=3) == 0
        check_consistent(tab2, "ia", tab2.ca)
    finally:
        assert env2.term() == 0


def test_key_most_and_truncation(tab):
    C, lib, ses, t, ffi = tab.C, tab.lib, tab.ses, tab.t, tab.ffi
    long_a = b"a" * 254 + b"1"
    long_b = b"a" * 254 + b"2"
    assert tab.insert(1, s=long_a) == 0
    assert tab.insert(2, s=long_b) == 0
    # default 255-byte keys: both truncate to the same key
    assert tab.create_index("u", C.JET_bitIndexUnique, "+s") == C.JET_errKeyDuplicate
    assert tab.create_index("nt", C.JET_bitIndexDisallowTruncation, "+s") == C.JET_errKeyTruncated
    key = b"+s\0\0"
    kbuf = ffi.new("char[]", key)
    nbig = ffi.new("char[]", b"big")  # kept alive: the struct only points at it
    ic = ffi.new("JET_INDEXCREATE *", {"cbStruct": ffi.sizeof("JET_INDEXCREATE"),
                                       "szIndexName": nbig, "szKey": kbuf,
                                       "cbKey": len(key), "ulDensity": 100,
                                       "grbit": C.JET_bitIndexUnique | C.JET_bitIndexKeyMost, "cbKeyMost": 400})
    assert lib.JetCreateIndex2(ses, t, ic, 1) == 0
    most = ffi.new("uint16_t *")
    assert lib.JetGetTableIndexInfo(ses, t, b"big", most, 2, C.JET_IdxInfoKeyMost) == 0
    assert most[0] == 400
    ic.cbKeyMost = 5000
    ntoobig = ffi.new("char[]", b"toobig")
    ic.szIndexName = ntoobig
    assert lib.JetCreateIndex2(ses, t, ic, 1) == C.JET_errIndexInvalidDef
    assert ic.err == C.JET_errIndexInvalidDef
