"""JetRetrieveColumn with JET_bitRetrieveFromIndex, JET_bitRetrieveFromPrimaryBookmark
and JET_bitRetrieveTag: values read back from index keys, falling back to the
record exactly when a key cannot give them (text, truncation, lossy numbers)."""
import math
import random
import struct
import uuid

import pytest

from test_database import env  # noqa: F401  (fixture)


class Tab:
    def __init__(self, env, primary=True):
        self.env, self.C, self.lib, self.ses, self.ffi = env, env.C, env.lib, env.ses, env.ffi
        C = env.C
        err, self.dbid = env.create_db()
        assert err == 0
        err, self.t = env.create_table(self.dbid, "t")
        assert err == 0
        cols = [("k", C.JET_coltypLong, 0, 0), ("a", C.JET_coltypShort, 0, 0),
                ("d", C.JET_coltypIEEEDouble, 0, 0), ("b", C.JET_coltypBinary, 0, 0),
                ("s", C.JET_coltypText, 0, 1252), ("g", C.JET_coltypGUID, 0, 0),
                ("u", C.JET_coltypUnsignedLongLong, 0, 0),
                ("mv", C.JET_coltypLong, C.JET_bitColumnTagged | C.JET_bitColumnMultiValued, 0),
                ("lb", C.JET_coltypLongBinary, 0, 0), ("x", C.JET_coltypLong, 0, 0)]
        self.col = {}
        for name, typ, grbit, cp in cols:
            err, self.col[name] = env.add_column(self.t, name, typ, grbit=grbit, cp=cp)
            assert err == 0, name
        if primary:
            assert self.lib.JetCreateIndex(self.ses, self.t, b"pk", C.JET_bitIndexPrimary, b"+k\0\0", 4, 100) == 0

    def index(self, name, key, grbit=0):
        k = key.replace(" ", "\0").encode() + b"\0\0"
        assert self.lib.JetCreateIndex(self.ses, self.t, name.encode(), grbit, k, len(k), 100) == 0

    def insert(self, **vals):
        C, lib, ses, ffi = self.C, self.lib, self.ses, self.ffi
        assert lib.JetPrepareUpdate(ses, self.t, C.JET_prepInsert) == 0
        for name, v in vals.items():
            for one in (v if isinstance(v, list) else [v]):
                si = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 0})
                err = lib.JetSetColumn(ses, self.t, self.col[name], one, len(one), 0,
                                       si if isinstance(v, list) else ffi.NULL)
                assert err == 0, (name, err)
        assert lib.JetUpdate(ses, self.t, ffi.NULL, 0, ffi.NULL) == 0

    def get(self, name, grbit=0, cb=512, itag=1, ib=0):
        ffi = self.ffi
        buf = ffi.new("char[]", max(cb, 1))
        pcb = ffi.new("uint32_t *")
        ri = ffi.new("JET_RETINFO *", {"cbStruct": ffi.sizeof("JET_RETINFO"), "itagSequence": itag,
                                       "ibLongValue": ib})
        err = self.lib.JetRetrieveColumn(self.ses, self.t, self.col[name], buf, cb, pcb, grbit, ri)
        return err, bytes(ffi.buffer(buf, min(pcb[0], cb))), ri.itagSequence

    def rows(self, index):
        C, lib = self.C, self.lib
        assert lib.JetSetCurrentIndex(self.ses, self.t, index.encode() if index else self.ffi.NULL) == 0
        err = lib.JetMove(self.ses, self.t, C.JET_MoveFirst, 0)
        while err == 0:
            yield
            err = lib.JetMove(self.ses, self.t, C.JET_MoveNext, 0)
        assert err == C.JET_errNoCurrentRecord


def test_fixed_and_binary_values_come_from_the_key(env):
    C = env.C
    tab = Tab(env)
    tab.index("mix", "+a -d +b +g +u")
    rnd = random.Random(5)
    specials = [0.5, -2.25, math.inf, -math.inf, 1e-300, -1e300]
    for k in range(60):
        vals = dict(k=struct.pack("<i", k), a=struct.pack("<h", rnd.randint(-30000, 30000)),
                    d=struct.pack("<d", specials[k] if k < len(specials) else rnd.uniform(-1e6, 1e6)),
                    g=uuid.UUID(int=rnd.getrandbits(128)).bytes_le,
                    u=struct.pack("<Q", rnd.getrandbits(64)), s=b"Text%d" % k)
        if k % 7:
            vals["b"] = bytes(rnd.randrange(4) for _ in range(rnd.randrange(0, 40)))  # 0 and 1 bytes escaped
        tab.insert(**vals)
    n = 0
    for _ in tab.rows("mix"):
        n += 1
        for name in ("a", "d", "b", "g", "u"):
            want = tab.get(name)
            got = tab.get(name, C.JET_bitRetrieveFromIndex)
            assert got[:2] == want[:2], name
        # the primary key through the secondary index's bookmark
        assert tab.get("k", C.JET_bitRetrieveFromPrimaryBookmark)[:2] == tab.get("k")[:2]
        # columns outside the key
        assert tab.get("s", C.JET_bitRetrieveFromIndex)[0] == C.JET_errColumnNotFound
        assert tab.get("a", C.JET_bitRetrieveFromPrimaryBookmark)[0] == C.JET_errColumnNotFound
    assert n == 60


def test_nulls_truncation_and_text_fall_back_or_report(env):
    C, lib, ses = env.C, env.lib, env.ses
    tab = Tab(env)
    tab.index("bs", "+lb +s")
    tab.index("byx", "+x")
    big = bytes(range(256)) + b"tail" * 20  # longer than a 255-byte key
    tab.insert(k=struct.pack("<i", 1), lb=big, s=b"MiXeD", x=struct.pack("<i", 7))
    tab.insert(k=struct.pack("<i", 2), s=b"Second")  # b and x NULL
    seen = {}
    for _ in tab.rows("bs"):
        k = struct.unpack("<i", tab.get("k")[1])[0]
        seen[k] = (tab.get("lb", C.JET_bitRetrieveFromIndex, cb=1000), tab.get("s", C.JET_bitRetrieveFromIndex))
    # truncated key: the record gives the whole value (also from an offset)
    assert seen[1][0][:2] == (0, big)
    tab.insert(k=struct.pack("<i", 3), lb=b"short\x00\x01", s=b"z")
    for _ in tab.rows("bs"):
        if tab.get("k")[1] == struct.pack("<i", 3):
            assert tab.get("lb", C.JET_bitRetrieveFromIndex, ib=5)[:2] == (0, b"\x00\x01")
            # past the end: as the record says
            assert tab.get("lb", C.JET_bitRetrieveFromIndex, ib=50)[:2] == tab.get("lb", ib=50)[:2]
    # text keys are folded: the record gives the original case
    assert seen[1][1][:2] == (0, b"MiXeD") and seen[2][1][:2] == (0, b"Second")
    # a NULL key segment is a NULL value
    assert seen[2][0][:2] == (C.JET_wrnColumnNull, b"")
    # buffer too small and ibLongValue-free fixed column
    for _ in tab.rows("byx"):
        err, v, _t = tab.get("x", C.JET_bitRetrieveFromIndex, cb=2)
        if tab.get("k")[1] == struct.pack("<i", 1):
            assert err == C.JET_wrnBufferTruncated and v == struct.pack("<i", 7)[:2]
        else:
            assert err == C.JET_wrnColumnNull
    # both sources at once, no current record
    assert tab.get("x", C.JET_bitRetrieveFromIndex | C.JET_bitRetrieveFromPrimaryBookmark)[0] == \
        C.JET_errInvalidGrbit
    assert lib.JetMove(ses, tab.t, C.JET_MoveLast, 0) == 0
    assert lib.JetMove(ses, tab.t, C.JET_MoveNext, 0) == C.JET_errNoCurrentRecord
    assert tab.get("x", C.JET_bitRetrieveFromIndex)[0] == C.JET_errNoCurrentRecord


def test_lossy_floats_come_from_the_record(env):
    C = env.C
    tab = Tab(env)
    tab.index("byd", "-d")
    nan = struct.pack("<d", float("nan"))[:7] + b"\x7f"  # a NaN with a payload
    values = [struct.pack("<d", -0.0), struct.pack("<d", 0.0), nan, struct.pack("<d", -1.5)]
    for k, v in enumerate(values):
        tab.insert(k=struct.pack("<i", k), d=v)
    got = []
    for _ in tab.rows("byd"):
        k = struct.unpack("<i", tab.get("k")[1])[0]
        err, v, _t = tab.get("d", C.JET_bitRetrieveFromIndex)
        assert err == 0
        got.append((k, v))
    assert sorted(got) == list(enumerate(values))  # -0.0 stays -0.0, the NaN keeps its payload


def test_primary_index_and_sequential_tables(env):
    C, lib, ses = env.C, env.lib, env.ses
    tab = Tab(env)
    tab.insert(k=struct.pack("<i", -5), x=struct.pack("<i", 1))
    for _ in tab.rows(None):
        # FromIndex on the primary index reads the primary key
        assert tab.get("k", C.JET_bitRetrieveFromIndex)[:2] == (0, struct.pack("<i", -5))
        assert tab.get("k", C.JET_bitRetrieveFromPrimaryBookmark)[:2] == (0, struct.pack("<i", -5))
        assert tab.get("x", C.JET_bitRetrieveFromIndex)[0] == C.JET_errColumnNotFound
    assert lib.JetCloseTable(ses, tab.t) == 0

    seq = Tab.__new__(Tab)
    seq.env, seq.C, seq.lib, seq.ses, seq.ffi = env, env.C, env.lib, env.ses, env.ffi
    err, seq.t = env.create_table(tab.dbid, "seq")
    assert err == 0
    seq.col = {}
    for name in ("k", "x"):
        err, seq.col[name] = env.add_column(seq.t, name, C.JET_coltypLong)
        assert err == 0
    seq.index("byx", "+x")
    seq.insert(k=struct.pack("<i", 3), x=struct.pack("<i", 4))
    for _ in seq.rows(None):
        # no key columns: the record gives the value
        assert seq.get("x", C.JET_bitRetrieveFromIndex)[:2] == (0, struct.pack("<i", 4))
    for _ in seq.rows("byx"):
        assert seq.get("x", C.JET_bitRetrieveFromIndex)[:2] == (0, struct.pack("<i", 4))
        assert seq.get("x", C.JET_bitRetrieveFromPrimaryBookmark)[0] == C.JET_errColumnNotFound


@pytest.mark.parametrize("tag", [False, True])
def test_multi_valued_entries_and_their_tags(env, tag):
    C = env.C
    tab = Tab(env)
    tab.index("bymv", "+mv")
    rows = {1: [30, 10, 20], 2: [15], 3: [5, 25]}
    for k, vs in rows.items():
        tab.insert(k=struct.pack("<i", k), mv=[struct.pack("<i", v) for v in vs])
    seen = []
    grbit = C.JET_bitRetrieveFromIndex | (C.JET_bitRetrieveTag if tag else 0)
    for _ in tab.rows("bymv"):
        k = struct.unpack("<i", tab.get("k")[1])[0]
        err, v, itag = tab.get("mv", grbit, itag=1)
        assert err == 0
        v = struct.unpack("<i", v)[0]
        seen.append(v)
        if tag:
            assert rows[k][itag - 1] == v
            # the tag also comes with a fall-back (primary bookmark source: itag 1)
            assert tab.get("k", C.JET_bitRetrieveFromPrimaryBookmark | C.JET_bitRetrieveTag, itag=9)[2] == 1
    assert seen == sorted(v for vs in rows.values() for v in vs)
