"""Conditional columns of secondary indexes (JET_INDEXCREATE rgconditionalcolumn)
through the C API (cffi).

ESENT's behaviour stated here: a record is in an index only when every
conditional column is null (JET_bitIndexColumnMustBeNull) or non-null
(JET_bitIndexColumnMustBeNonNull) in it -- a column's default counts as its
value; updates move records into and out of the index; an index built over
existing records applies the condition; the definition survives a restart.
Refusals as ESENT's engine checks them: more than JET_ccolKeyMost conditions,
a condition on the primary index or a JET_CONDITIONALCOLUMN with the wrong
cbStruct give JET_errIndexInvalidDef, a grbit other than exactly one of the
two gives JET_errInvalidGrbit, an unknown column JET_errColumnNotFound.
"""
import struct

import pytest

from test_database import Env


class T:
    """Table t(k Long primary, v Text, f Long, d Long default 5)."""

    def __init__(self, env):
        self.env = env
        C, lib, ffi = env.C, env.lib, env.ffi
        err, self.dbid = env.create_db()
        assert err == 0
        err, self.t = env.create_table(self.dbid, "t")
        assert err == 0
        self.ck = env.add_column(self.t, "k", C.JET_coltypLong)[1]
        self.cv = env.add_column(self.t, "v", C.JET_coltypText, cp=1252)[1]
        self.cf = env.add_column(self.t, "f", C.JET_coltypLong)[1]
        cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong})
        p = ffi.new("JET_COLUMNID *")
        assert lib.JetAddColumn(env.ses, self.t, b"d", cd, struct.pack("<i", 5), 4, p) == 0
        self.cd = p[0]
        assert lib.JetCreateIndex(env.ses, self.t, b"pk", C.JET_bitIndexPrimary, b"+k\0\0", 4, 100) == 0

    def index(self, name, conds, grbit=0, key=b"+v\0\0", cb_struct=None, t=None):
        """JetCreateIndex2 with conditional columns [(name, grbit)]."""
        env, ffi = self.env, self.env.ffi
        keep = [ffi.new("char[]", n.encode()) for n, _ in conds]
        rg = ffi.new("JET_CONDITIONALCOLUMN_A[]", max(len(conds), 1))
        for i, (n, g) in enumerate(conds):
            rg[i].cbStruct = cb_struct or ffi.sizeof("JET_CONDITIONALCOLUMN_A")
            rg[i].szColumnName = keep[i]
            rg[i].grbit = g
        kbuf = ffi.new("char[]", key)
        nbuf = ffi.new("char[]", name.encode())
        ic = ffi.new("JET_INDEXCREATE_A *")
        ic.cbStruct = ffi.sizeof("JET_INDEXCREATE_A")
        ic.szIndexName = nbuf
        ic.szKey = kbuf
        ic.cbKey = len(key)
        ic.grbit = grbit
        ic.ulDensity = 100
        ic.rgconditionalcolumn = rg
        ic.cConditionalColumn = len(conds)
        return env.lib.JetCreateIndex2(env.ses, self.t if t is None else t, ic, 1)

    def put(self, k, f=None, d=None, replace=False):
        env, lib, C, ffi = self.env, self.env.lib, self.env.C, self.env.ffi
        if replace:
            self.seek(k)
            assert lib.JetPrepareUpdate(env.ses, self.t, C.JET_prepReplace) == 0
        else:
            assert lib.JetPrepareUpdate(env.ses, self.t, C.JET_prepInsert) == 0
            assert lib.JetSetColumn(env.ses, self.t, self.ck, struct.pack("<i", k), 4, 0, ffi.NULL) == 0
            assert lib.JetSetColumn(env.ses, self.t, self.cv, b"v%03d" % k, 4, 0, ffi.NULL) == 0
        for col, val in ((self.cf, f), (self.cd, d)):
            if val == "null":
                assert lib.JetSetColumn(env.ses, self.t, col, ffi.NULL, 0, 0, ffi.NULL) == 0
            elif val is not None:
                assert lib.JetSetColumn(env.ses, self.t, col, struct.pack("<i", val), 4, 0, ffi.NULL) == 0
        assert lib.JetUpdate(env.ses, self.t, ffi.NULL, 0, ffi.NULL) == 0

    def seek(self, k):
        env, lib, C = self.env, self.env.lib, self.env.C
        assert lib.JetSetCurrentIndex(env.ses, self.t, b"pk") == 0
        assert lib.JetMakeKey(env.ses, self.t, struct.pack("<i", k), 4, C.JET_bitNewKey) == 0
        assert lib.JetSeek(env.ses, self.t, C.JET_bitSeekEQ) == 0

    def keys(self, index, t=None, ses=None):
        """The k of every entry of `index`, in index order."""
        env, lib, C, ffi = self.env, self.env.lib, self.env.C, self.env.ffi
        t = self.t if t is None else t
        ses = env.ses if ses is None else ses
        assert lib.JetSetCurrentIndex(ses, t, index.encode()) == 0
        out = []
        err = lib.JetMove(ses, t, C.JET_MoveFirst, 0)
        buf, pcb = ffi.new("char[4]"), ffi.new("uint32_t *")
        while err == 0:
            assert lib.JetRetrieveColumn(ses, t, self.ck, buf, 4, pcb, 0, ffi.NULL) == 0
            out.append(struct.unpack("<i", ffi.buffer(buf, 4)[:])[0])
            err = lib.JetMove(ses, t, C.JET_MoveNext, 0)
        assert err == C.JET_errNoCurrentRecord
        return out


@pytest.fixture
def tenv(jet, tmp_path):
    e = Env(jet, tmp_path)
    yield e
    e.lib.JetTerm(e.inst)


def test_records_that_fail_the_condition_are_not_in_the_index(tenv):
    C = tenv.C
    t = T(tenv)
    for k in range(6):
        t.put(k, f=k if k % 2 else None)
    assert t.index("nonnull", [("f", C.JET_bitIndexColumnMustBeNonNull)]) == 0  # built over existing records
    assert t.index("isnull", [("f", C.JET_bitIndexColumnMustBeNull)]) == 0
    assert t.keys("nonnull") == [1, 3, 5]
    assert t.keys("isnull") == [0, 2, 4]
    t.put(6, f=0)  # zero is a value, not null
    t.put(7)
    assert t.keys("nonnull") == [1, 3, 5, 6]
    assert t.keys("isnull") == [0, 2, 4, 7]
    # updates move records in and out
    t.put(0, f=9, replace=True)
    t.put(1, f="null", replace=True)
    assert t.keys("nonnull") == [0, 3, 5, 6]
    assert t.keys("isnull") == [1, 2, 4, 7]
    # deletes take the entry away
    t.seek(3)
    assert tenv.lib.JetDelete(tenv.ses, t.t) == 0
    assert t.keys("nonnull") == [0, 5, 6]


def test_a_default_value_counts_and_all_conditions_must_hold(tenv):
    C = tenv.C
    t = T(tenv)
    assert t.index("d_null", [("d", C.JET_bitIndexColumnMustBeNull)]) == 0
    assert t.index("both", [("d", C.JET_bitIndexColumnMustBeNonNull), ("f", C.JET_bitIndexColumnMustBeNonNull)]) == 0
    t.put(1)               # d takes its default 5
    t.put(2, f=1)
    t.put(3, f=1, d=7)
    assert t.keys("d_null") == []
    assert t.keys("both") == [2, 3]


def test_rollback_takes_the_entries_back(tenv):
    C, lib = tenv.C, tenv.lib
    t = T(tenv)
    assert t.index("nonnull", [("f", C.JET_bitIndexColumnMustBeNonNull)]) == 0
    t.put(1)
    assert lib.JetBeginTransaction(tenv.ses) == 0
    t.put(1, f=4, replace=True)
    t.put(2, f=4)
    assert t.keys("nonnull") == [1, 2]
    assert lib.JetRollback(tenv.ses, 0) == 0
    assert t.keys("nonnull") == []


def test_conditions_persist(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib, ffi = env.C, env.lib, env.ffi
    t = T(env)
    assert t.index("nonnull", [("f", C.JET_bitIndexColumnMustBeNonNull)]) == 0
    t.put(1, f=1)
    t.put(2)
    assert lib.JetCloseTable(env.ses, t.t) == 0
    assert lib.JetTerm(env.inst) == 0
    env = Env(jet, tmp_path)
    path = str(tmp_path / "a.edb").encode()
    assert lib.JetAttachDatabase(env.ses, path, 0) == 0
    pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
    assert lib.JetOpenDatabase(env.ses, path, ffi.NULL, pdb, 0) == 0
    assert lib.JetOpenTable(env.ses, pdb[0], b"t", ffi.NULL, 0, 0, pt) == 0
    t.env, t.t = env, pt[0]
    assert t.keys("nonnull") == [1]
    t.put(3, f=3)
    t.put(4)
    assert t.keys("nonnull") == [1, 3]
    assert lib.JetTerm(env.inst) == 0


def test_refusals(tenv):
    C = tenv.C
    t = T(tenv)
    nn = C.JET_bitIndexColumnMustBeNonNull
    assert t.index("a", [("f", 0)]) == C.JET_errInvalidGrbit
    assert t.index("a", [("f", C.JET_bitIndexColumnMustBeNull | nn)]) == C.JET_errInvalidGrbit
    assert t.index("a", [("nosuch", nn)]) == C.JET_errColumnNotFound
    assert t.index("a", [("f", nn)], cb_struct=4) == C.JET_errIndexInvalidDef
    assert t.index("a", [("f", nn)] * (C.JET_ccolKeyMost + 1)) == C.JET_errIndexInvalidDef
    err, t2 = tenv.create_table(t.dbid, "u")
    assert err == 0
    assert tenv.add_column(t2, "v", C.JET_coltypText, cp=1252)[0] == 0
    assert tenv.add_column(t2, "f", C.JET_coltypLong)[0] == 0
    assert t.index("p", [("f", nn)], grbit=C.JET_bitIndexPrimary, t=t2) == C.JET_errIndexInvalidDef
    assert t.index("a", [("f", nn)] * C.JET_ccolKeyMost) == 0  # the most allowed


def test_compaction_keeps_the_conditions(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib, ffi = env.C, env.lib, env.ffi
    try:
        t = T(env)
        assert t.index("nonnull", [("f", C.JET_bitIndexColumnMustBeNonNull)]) == 0
        t.put(1, f=1)
        t.put(2)
        assert lib.JetCloseTable(env.ses, t.t) == 0
        src = str(tmp_path / "a.edb").encode()
        dst = str(tmp_path / "b.edb").encode()
        assert lib.JetCloseDatabase(env.ses, t.dbid, 0) == 0
        assert lib.JetDetachDatabase(env.ses, src) == 0
        assert lib.JetCompact(env.ses, src, dst, ffi.NULL, ffi.NULL, 0) == 0
        assert lib.JetAttachDatabase(env.ses, dst, 0) == 0
        pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
        assert lib.JetOpenDatabase(env.ses, dst, ffi.NULL, pdb, 0) == 0
        assert lib.JetOpenTable(env.ses, pdb[0], b"t", ffi.NULL, 0, 0, pt) == 0
        t.t = pt[0]
        t.put(3, f=3)
        t.put(4)
        assert t.keys("nonnull") == [1, 3]
    finally:
        lib.JetTerm(env.inst)
