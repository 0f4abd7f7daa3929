"""The cursor's parsed record (issue 20, V5b in csrc/isam/isam_int.h, R-VIEW in record.c).

A cursor parses its current record once and answers every JetRetrieveColumn,
JetRetrieveColumns and JetEnumerateColumns of that position from the kept
layout (offsets into the kept image).  A layout kept past a change of the
record would read values at the old offsets.  These tests read every column
of a record with many tagged columns (some multi-valued), change the record
through the same cursor, through another cursor of the session, through
another session, and in the cursor's own transaction, each change moving
every later value, and read every column again WITHOUT moving: the answers
must be the new record's.
"""
import pytest

from test_database import env  # noqa: F401  (fixture)

NTAG = 60
MV = 3  # every MV-th tagged column is multi-valued


class Wide:
    def __init__(self, env):
        self.env = env
        C, lib, ffi = env.C, env.lib, env.ffi
        err, self.dbid = env.create_db()
        assert err == 0
        err, t = env.create_table(self.dbid, "wide")
        assert err == 0
        err, self.cid = env.add_column(t, "Id", C.JET_coltypLong)
        assert err == 0
        err, self.cvar = env.add_column(t, "Var", C.JET_coltypBinary, cbMax=255)
        assert err == 0 and self.cvar >= 128
        self.tags = []
        for i in range(NTAG):
            grbit = C.JET_bitColumnTagged | (C.JET_bitColumnMultiValued if i % MV == 0 else 0)
            err, c = env.add_column(t, f"T{i}", C.JET_coltypLongBinary, grbit=grbit)
            assert err == 0
            self.tags.append(c)
        assert lib.JetCreateIndex(env.ses, t, b"primary", C.JET_bitIndexPrimary, b"+Id\0\0", 5, 100) == 0
        assert lib.JetCloseTable(env.ses, t) == 0
        self.ffi, self.lib, self.C = ffi, lib, C

    def open(self, ses):
        p = self.ffi.new("JET_TABLEID *")
        assert self.lib.JetOpenTable(ses, self.dbid, b"wide", self.ffi.NULL, 0, 0, p) == 0
        return p[0]

    def session(self):
        p = self.ffi.new("JET_SESID *")
        assert self.lib.JetBeginSession(self.env.inst, p, self.ffi.NULL, self.ffi.NULL) == 0
        assert self.lib.JetOpenDatabase(p[0], str(self.env.folder / "a.edb").encode(), self.ffi.NULL,
                                        self.ffi.new("JET_DBID *"), 0) == 0
        return p[0]

    @staticmethod
    def row(key, gen):
        """The values of record `key` in version `gen`: lengths change with gen, so
        every change moves the offsets of the values after the first one."""
        var = bytes([gen % 251]) * ((key * 7 + gen * 13) % 40)
        tags = {}
        for i in range(NTAG):
            n = (i + gen) % 4
            if (i + gen) % 5 == 0:
                continue  # NULL in this version
            nval = 1 + (i + gen) % 3 if i % MV == 0 else 1
            tags[i] = [bytes([65 + (i + gen + v) % 26]) * (1 + n + v + gen % 3) + f"{key}.{i}.{v}".encode()
                       for v in range(nval)]
        return var, tags

    def seek(self, ses, t, key):
        lib, C = self.lib, self.C
        assert lib.JetMakeKey(ses, t, key.to_bytes(4, "little"), 4, C.JET_bitNewKey) == 0
        assert lib.JetSeek(ses, t, C.JET_bitSeekEQ) == 0

    def write(self, ses, t, key, gen, prep):
        """Insert (prep insert) or rewrite the record as version gen: every
        column is set again (old tagged values removed first)."""
        lib, ffi, C = self.lib, self.ffi, self.C
        var, tags = self.row(key, gen)
        assert lib.JetPrepareUpdate(ses, t, prep) == 0
        if prep == C.JET_prepInsert:
            assert lib.JetSetColumn(ses, t, self.cid, key.to_bytes(4, "little"), 4, 0, ffi.NULL) == 0
        assert lib.JetSetColumn(ses, t, self.cvar, var, len(var), C.JET_bitSetZeroLength if not var else 0,
                                ffi.NULL) == 0
        for i, c in enumerate(self.tags):
            # remove every old value (value 1 again and again), then set the new ones
            si = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 1})
            for _ in range(4):
                assert lib.JetSetColumn(ses, t, c, ffi.NULL, 0, 0, si) >= 0
            for v in tags.get(i, []):
                si = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 0})
                assert lib.JetSetColumn(ses, t, c, v, len(v), 0, si) == 0
        assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0

    def read_one_by_one(self, ses, t, grbit=0):
        """(var, {i: [values]}) by one JetRetrieveColumn per value."""
        lib, ffi, C = self.lib, self.ffi, self.C
        buf, pcb = ffi.new("char[300]"), ffi.new("uint32_t *")

        def get(c, itag):
            ri = ffi.new("JET_RETINFO *", {"cbStruct": ffi.sizeof("JET_RETINFO"), "itagSequence": itag})
            err = lib.JetRetrieveColumn(ses, t, c, buf, 300, pcb, grbit, ri)
            assert err in (0, C.JET_wrnColumnNull), err
            return None if err else bytes(ffi.buffer(buf, pcb[0]))

        var = get(self.cvar, 1) or b""
        tags = {}
        for i, c in enumerate(self.tags):
            vals = []
            while (v := get(c, len(vals) + 1)) is not None:
                vals.append(v)
            if vals:
                tags[i] = vals
        return var, tags

    def read_columns(self, ses, t):
        """(var, {i: [values]}) by one JetRetrieveColumns of every value slot."""
        lib, ffi, C = self.lib, self.ffi, self.C
        slots = [(None, self.cvar, 1)] + [(i, c, v) for i, c in enumerate(self.tags) for v in (1, 2, 3)]
        rc = ffi.new("JET_RETRIEVECOLUMN[]", len(slots))
        bufs = []
        for k, (_, c, v) in enumerate(slots):
            bufs.append(ffi.new("char[300]"))
            rc[k].columnid, rc[k].pvData, rc[k].cbData, rc[k].itagSequence = c, bufs[k], 300, v
        assert lib.JetRetrieveColumns(ses, t, rc, len(slots)) >= 0
        var, tags = b"", {}
        for k, (i, _, v) in enumerate(slots):
            assert rc[k].err in (0, C.JET_wrnColumnNull), rc[k].err
            if rc[k].err:
                continue
            val = bytes(ffi.buffer(bufs[k], rc[k].cbActual))
            if i is None:
                var = val
            else:
                tags.setdefault(i, []).append(val)
        return var, tags

    def read_enumerate(self, ses, t):
        """{i: [values]} of the tagged columns by JetEnumerateColumns."""
        lib, ffi, C = self.lib, self.ffi, self.C
        pc, prg = ffi.new("uint32_t *"), ffi.new("JET_ENUMCOLUMN **")
        keep = []

        @ffi.callback("void *(void *, void *, uint32_t)")
        def realloc(ctx, pv, cb):
            if cb == 0:
                return ffi.NULL
            b = ffi.new("char[]", cb)
            keep.append(b)
            return b

        assert lib.JetEnumerateColumns(ses, t, 0, ffi.NULL, pc, prg, realloc, ffi.NULL, 300,
                                       C.JET_bitEnumerateTaggedOnly) == 0
        byid = {c: i for i, c in enumerate(self.tags)}
        tags = {}
        for k in range(pc[0]):
            ec = prg[0][k]
            assert ec.err == 0, ec.err
            tags[byid[ec.columnid]] = [bytes(ffi.buffer(ec.rgEnumColumnValue[v].pvData,
                                                        ec.rgEnumColumnValue[v].cbData))
                                       for v in range(ec.cEnumColumnValue)]
        return tags

    def check(self, ses, t, key, gen):
        want = self.row(key, gen)
        assert self.read_one_by_one(ses, t) == want
        assert self.read_columns(ses, t) == want
        assert self.read_enumerate(ses, t) == want[1]
        assert self.read_one_by_one(ses, t) == want  # the kept layout, read again


@pytest.fixture
def wide(env):
    w = Wide(env)
    ses = env.ses
    t = w.open(ses)
    for key in (1, 2, 3):
        w.write(ses, t, key, 0, env.C.JET_prepInsert)
    assert env.lib.JetCloseTable(ses, t) == 0
    return w


def test_every_column_after_changes_through_the_same_cursor(wide, env):
    C, lib, ses = env.C, env.lib, env.ses
    t = wide.open(ses)
    wide.seek(ses, t, 2)
    wide.check(ses, t, 2, 0)
    for gen in (1, 2, 3):
        wide.write(ses, t, 2, gen, C.JET_prepReplace)
        wide.check(ses, t, 2, gen)  # no move since the change
    # a move away and back: the neighbour's layout, then ours again
    assert lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0
    wide.check(ses, t, 3, 0)
    assert lib.JetMove(ses, t, C.JET_MovePrevious, 0) == 0
    wide.check(ses, t, 2, 3)


def test_every_column_after_changes_through_another_cursor_and_session(wide, env):
    C, lib, ses = env.C, env.lib, env.ses
    t = wide.open(ses)
    wide.seek(ses, t, 1)
    wide.check(ses, t, 1, 0)
    # another cursor of the session, no transaction
    p = env.ffi.new("JET_TABLEID *")
    assert lib.JetDupCursor(ses, t, p, 0) == 0
    t2 = p[0]
    wide.seek(ses, t2, 1)
    wide.write(ses, t2, 1, 1, C.JET_prepReplace)
    wide.check(ses, t, 1, 1)
    # inside the session's transaction: its own change through the other cursor
    assert lib.JetBeginTransaction(ses) == 0
    wide.check(ses, t, 1, 1)
    wide.write(ses, t2, 1, 2, C.JET_prepReplace)
    wide.check(ses, t, 1, 2)
    assert lib.JetRollback(ses, 0) == 0
    wide.check(ses, t, 1, 1)  # the rollback took the change back
    # another session's commit
    s2 = wide.session()
    t3 = wide.open(s2)
    wide.seek(s2, t3, 1)
    assert lib.JetBeginTransaction(s2) == 0
    wide.write(s2, t3, 1, 3, C.JET_prepReplace)
    wide.check(ses, t, 1, 1)  # not committed yet
    assert lib.JetCommitTransaction(s2, 0) == 0
    wide.check(ses, t, 1, 3)
    assert lib.JetEndSession(s2, 0) == 0


def test_the_copy_buffer_reads_every_column_of_a_prepared_update(wide, env):
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    t = wide.open(ses)
    wide.seek(ses, t, 3)
    wide.check(ses, t, 3, 0)
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    var, tags = wide.row(3, 0)
    assert wide.read_one_by_one(ses, t, C.JET_bitRetrieveCopy) == (var, tags)
    # change every other tagged column in the copy: the copy answers the new
    # values, the record the old ones
    for i in range(0, NTAG, 2):
        v = b"copy%d" % i * (1 + i % 3)
        si = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 1})
        assert lib.JetSetColumn(ses, t, wide.tags[i], v, len(v), 0, si) == 0
        tags[i] = [v] + tags.get(i, [])[1:]
    assert wide.read_one_by_one(ses, t, C.JET_bitRetrieveCopy) == (var, tags)
    assert wide.read_one_by_one(ses, t) == wide.row(3, 0)
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert wide.read_one_by_one(ses, t) == (var, tags)
