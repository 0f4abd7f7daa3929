"""Every change that makes a version is counted in inst.cChained (ver.c, invariant V6).

While the instance has no versions, rec_visible takes a node's stored bytes as what every
snapshot sees and skips the version-chain lookup.  A path that made a version without counting
it would leave the count at 0 and let every other session read its uncommitted change.  So, for
each kind of change -- insert, replace, delete, escrow update, long-value change, DDL under a
transaction -- made by session A in a transaction on an instance that has no other version
(everything before it committed, no other transaction open, so cleanup emptied the chains),
session B must still read the old state (through the primary index, a secondary index, a scan,
the catalog), and must read the new one once A commits.
"""
import struct

import pytest

from test_database import Env

ROWS = (1, 2, 3, 4, 5)
LV_OLD = {k: bytes([k]) * 20000 for k in ROWS}      # separated long values (several chunks)
LV_NEW = b"\xee" * 30000


class Two:
    """Sessions A (env.ses) and B on table t: k Long (primary), v Long (index by_v),
    e Long escrow (default 0), lv LongBinary; rows k = 1..5 with v = 10 k."""

    def __init__(self, jet, tmp_path):
        self.env = env = Env(jet, tmp_path)
        C, lib, ffi = env.C, env.lib, env.ffi
        self.C, self.lib, self.ffi = C, lib, ffi
        err, self.dbid = env.create_db()
        assert err == 0
        err, t = env.create_table(self.dbid, "t")
        assert err == 0
        self.ck = env.add_column(t, "k", C.JET_coltypLong)[1]
        self.cv = env.add_column(t, "v", C.JET_coltypLong)[1]
        cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong,
                                         "grbit": C.JET_bitColumnEscrowUpdate})
        p = ffi.new("JET_COLUMNID *")
        assert lib.JetAddColumn(env.ses, t, b"e", cd, struct.pack("<i", 0), 4, p) == 0
        self.ce = p[0]
        self.clv = env.add_column(t, "lv", C.JET_coltypLongBinary)[1]
        assert lib.JetCreateIndex(env.ses, t, b"pk", C.JET_bitIndexPrimary, b"+k\0\0", 4, 100) == 0
        assert lib.JetCreateIndex(env.ses, t, b"by_v", 0, b"+v\0\0", 4, 100) == 0
        assert lib.JetBeginTransaction(env.ses) == 0
        for k in ROWS:
            assert env.insert(t, [(self.ck, struct.pack("<i", k)), (self.cv, struct.pack("<i", 10 * k)),
                                  (self.clv, LV_OLD[k])]) == 0
        assert lib.JetCommitTransaction(env.ses, 0) == 0
        self.ta = t
        p = ffi.new("JET_SESID *")
        assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
        self.sb = p[0]
        pdb = ffi.new("JET_DBID *")
        assert lib.JetOpenDatabase(self.sb, str(tmp_path / "a.edb").encode(), ffi.NULL, pdb, 0) == 0
        self.dbidB = pdb[0]
        self.tb = self.open_b("t")[1]

    # ---- session A -----------------------------------------------------------------------
    def seek_a(self, k):
        lib = self.lib
        assert lib.JetMakeKey(self.env.ses, self.ta, struct.pack("<i", k), 4, self.C.JET_bitNewKey) == 0
        assert lib.JetSeek(self.env.ses, self.ta, self.C.JET_bitSeekEQ) == 0

    # ---- session B (never in a transaction: it reads the latest committed state) ----------
    def open_b(self, name):
        p = self.ffi.new("JET_TABLEID *")
        err = self.lib.JetOpenTable(self.sb, self.dbidB, name.encode(), self.ffi.NULL, 0, 0, p)
        return err, p[0]

    def col_b(self, t, c, cb=65536):
        buf = self.ffi.new("char[]", cb)
        pcb = self.ffi.new("uint32_t *")
        err = self.lib.JetRetrieveColumn(self.sb, t, c, buf, cb, pcb, 0, self.ffi.NULL)
        assert err in (0, self.C.JET_wrnColumnNull), err
        return None if err else bytes(self.ffi.buffer(buf, pcb[0]))

    def row_b(self, k):
        """B's view of row k through the primary index: (v, e, lv) or None."""
        lib, C, t = self.lib, self.C, self.tb
        assert lib.JetSetCurrentIndex(self.sb, t, b"pk") == 0
        assert lib.JetMakeKey(self.sb, t, struct.pack("<i", k), 4, C.JET_bitNewKey) == 0
        err = lib.JetSeek(self.sb, t, C.JET_bitSeekEQ)
        if err == C.JET_errRecordNotFound:
            return None
        assert err == 0
        return (struct.unpack("<i", self.col_b(t, self.cv))[0], struct.unpack("<i", self.col_b(t, self.ce))[0],
                self.col_b(t, self.clv))

    def by_v_b(self, v):
        """The k B finds through index by_v for v, or None."""
        lib, C, t = self.lib, self.C, self.tb
        assert lib.JetSetCurrentIndex(self.sb, t, b"by_v") == 0
        assert lib.JetMakeKey(self.sb, t, struct.pack("<i", v), 4, C.JET_bitNewKey) == 0
        err = lib.JetSeek(self.sb, t, C.JET_bitSeekEQ)
        if err == C.JET_errRecordNotFound:
            return None
        assert err == 0
        return struct.unpack("<i", self.col_b(t, self.ck))[0]

    def keys_b(self):
        lib, C, t = self.lib, self.C, self.tb
        assert lib.JetSetCurrentIndex(self.sb, t, b"pk") == 0
        out = []
        err = lib.JetMove(self.sb, t, C.JET_MoveFirst, 0)
        while err == 0:
            out.append(struct.unpack("<i", self.col_b(t, self.ck))[0])
            err = lib.JetMove(self.sb, t, C.JET_MoveNext, 0)
        assert err == C.JET_errNoCurrentRecord
        return out

    def close(self):
        assert self.lib.JetEndSession(self.sb, 0) == 0
        assert self.lib.JetTerm(self.env.inst) == 0


@pytest.fixture
def two(jet, tmp_path):
    t = Two(jet, tmp_path)
    yield t
    t.close()


def _insert(w):
    assert w.env.insert(w.ta, [(w.ck, struct.pack("<i", 9)), (w.cv, struct.pack("<i", 90))]) == 0

    def old():
        assert w.row_b(9) is None and w.by_v_b(90) is None and w.keys_b() == list(ROWS)

    def new():
        assert w.row_b(9) == (90, 0, None) and w.by_v_b(90) == 9 and w.keys_b() == [*ROWS, 9]
    return old, new


def _replace(w):
    lib, ses = w.lib, w.env.ses
    w.seek_a(1)
    assert lib.JetPrepareUpdate(ses, w.ta, w.C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, w.ta, w.cv, struct.pack("<i", 11), 4, 0, w.ffi.NULL) == 0
    assert lib.JetUpdate(ses, w.ta, w.ffi.NULL, 0, w.ffi.NULL) == 0

    def old():
        assert w.row_b(1) == (10, 0, LV_OLD[1]) and w.by_v_b(10) == 1 and w.by_v_b(11) is None

    def new():
        assert w.row_b(1) == (11, 0, LV_OLD[1]) and w.by_v_b(10) is None and w.by_v_b(11) == 1
    return old, new


def _delete(w):
    w.seek_a(2)
    assert w.lib.JetDelete(w.env.ses, w.ta) == 0

    def old():
        assert w.row_b(2) == (20, 0, LV_OLD[2]) and w.by_v_b(20) == 2 and w.keys_b() == list(ROWS)

    def new():
        assert w.row_b(2) is None and w.by_v_b(20) is None and w.keys_b() == [1, 3, 4, 5]
    return old, new


def _escrow(w):
    w.seek_a(3)
    out = w.ffi.new("char[4]")
    assert w.lib.JetEscrowUpdate(w.env.ses, w.ta, w.ce, struct.pack("<i", 5), 4, out, 4, w.ffi.NULL, 0) == 0

    def old():
        assert w.row_b(3) == (30, 0, LV_OLD[3])

    def new():
        assert w.row_b(3) == (30, 5, LV_OLD[3])
    return old, new


def _long_value(w):
    lib, ses = w.lib, w.env.ses
    w.seek_a(4)
    assert lib.JetPrepareUpdate(ses, w.ta, w.C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, w.ta, w.clv, LV_NEW, len(LV_NEW), 0, w.ffi.NULL) == 0
    assert lib.JetUpdate(ses, w.ta, w.ffi.NULL, 0, w.ffi.NULL) == 0
    w.seek_a(5)  # and one grown in place of the old: appended to
    assert lib.JetPrepareUpdate(ses, w.ta, w.C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, w.ta, w.clv, b"tail", 4, w.C.JET_bitSetAppendLV, w.ffi.NULL) == 0
    assert lib.JetUpdate(ses, w.ta, w.ffi.NULL, 0, w.ffi.NULL) == 0

    def old():
        assert w.row_b(4) == (40, 0, LV_OLD[4]) and w.row_b(5) == (50, 0, LV_OLD[5])

    def new():
        assert w.row_b(4) == (40, 0, LV_NEW) and w.row_b(5) == (50, 0, LV_OLD[5] + b"tail")
    return old, new


def _ddl(w):
    """Add a column, create an index, delete one, create a table."""
    C, lib, ffi, ses = w.C, w.lib, w.ffi, w.env.ses
    assert w.env.add_column(w.ta, "c2", C.JET_coltypLong)[0] == 0
    assert lib.JetCreateIndex(ses, w.ta, b"by_k_desc", 0, b"-k\0\0", 4, 100) == 0
    assert lib.JetDeleteIndex(ses, w.ta, b"by_v") == 0
    err, t2 = w.env.create_table(w.dbid, "t2")
    assert err == 0 and lib.JetCloseTable(ses, t2) == 0

    def schema_b():
        err, t = w.open_b("t")
        assert err == 0
        cd = ffi.new("JET_COLUMNDEF *")
        col = lib.JetGetTableColumnInfo(w.sb, t, b"c2", cd, ffi.sizeof("JET_COLUMNDEF"), C.JET_ColInfo)
        idx = (lib.JetSetCurrentIndex(w.sb, t, b"by_k_desc"), lib.JetSetCurrentIndex(w.sb, t, b"by_v"))
        assert lib.JetCloseTable(w.sb, t) == 0
        err, t2 = w.open_b("t2")
        if err == 0:
            assert lib.JetCloseTable(w.sb, t2) == 0
        return col, idx, err

    def old():
        assert schema_b() == (C.JET_errColumnNotFound, (C.JET_errIndexNotFound, 0), C.JET_errObjectNotFound)

    def new():
        assert schema_b() == (0, (0, C.JET_errIndexNotFound), 0)
    return old, new


CHANGES = {"insert": _insert, "replace": _replace, "delete": _delete, "escrow": _escrow,
           "long_value": _long_value, "ddl": _ddl}


@pytest.mark.parametrize("kind", list(CHANGES))
def test_uncommitted_change_is_versioned_for_other_sessions(two, kind):
    w = two
    base = [(k, (10 * k, 0, LV_OLD[k])) for k in ROWS]
    assert [(k, w.row_b(k)) for k in ROWS] == base  # B has read the rows (its record image is cached)
    assert w.lib.JetBeginTransaction(w.env.ses) == 0
    old, new = CHANGES[kind](w)
    old()          # not A's uncommitted change: the old state
    old()          # and again (a second read of the same record)
    assert w.lib.JetRollback(w.env.ses, 0) == 0
    old()
    # made again and committed: B sees it (the change was real)
    assert w.lib.JetBeginTransaction(w.env.ses) == 0
    old, new = CHANGES[kind](w)
    old()
    assert w.lib.JetCommitTransaction(w.env.ses, 0) == 0
    new()
