"""JetEnumerateColumns through the C API: every value of every column with one
(or of the listed columns and itags), defaults, truncation, presence only,
compressed single values, separated long values, memory from the caller's
allocator and all of it given back."""
import struct

from test_database import env, make_kv  # noqa: F401  (fixture)


class Allocator:
    """A JET_PFNREALLOC over cffi buffers that counts what is outstanding."""

    def __init__(self, ffi):
        self.live = {}

        @ffi.callback("void *(void *, void *, uint32_t)")
        def realloc(ctx, pv, cb):
            if pv != ffi.NULL:
                del self.live[int(ffi.cast("uintptr_t", pv))]
            if cb == 0:
                return ffi.NULL
            buf = ffi.new("char[]", cb)
            self.live[int(ffi.cast("uintptr_t", buf))] = buf
            return buf
        self.fn = realloc

    def free(self, ffi, rg, n):
        for i in range(n):
            ec = rg[i]
            if ec.err == 1536:  # JET_wrnColumnSingleValue
                self.fn(ffi.NULL, ec.pvData, 0)
            elif ec.err >= 0 and ec.rgEnumColumnValue != ffi.NULL:
                for j in range(ec.cEnumColumnValue):
                    if ec.rgEnumColumnValue[j].pvData != ffi.NULL:
                        self.fn(ffi.NULL, ec.rgEnumColumnValue[j].pvData, 0)
                self.fn(ffi.NULL, ec.rgEnumColumnValue, 0)
        if rg != ffi.NULL:
            self.fn(ffi.NULL, rg, 0)


def enumerate_columns(env, t, ids=None, cb_most=1 << 20, grbit=0):
    ffi, lib = env.ffi, env.lib
    alloc = Allocator(ffi)
    pc, prg = ffi.new("uint32_t *"), ffi.new("JET_ENUMCOLUMN **")
    keep = []
    rgid = ffi.NULL
    if ids:
        rgid = ffi.new("JET_ENUMCOLUMNID[]", len(ids))
        for i, (col, tags) in enumerate(ids):
            rgid[i].columnid, rgid[i].ctagSequence = col, len(tags)
            if tags:
                keep.append(ffi.new("uint32_t[]", tags))
                rgid[i].rgtagSequence = keep[-1]
    err = lib.JetEnumerateColumns(env.ses, t, len(ids or []), rgid, pc, prg, alloc.fn, ffi.NULL, cb_most, grbit)
    out = {}
    if err >= 0:
        for i in range(pc[0]):
            ec = prg[0][i]
            if ec.err == 1536:
                out[ec.columnid] = ("single", bytes(ffi.buffer(ec.pvData, ec.cbData)))
            elif ec.err == 0:
                out[ec.columnid] = [(v.itagSequence, v.err, bytes(ffi.buffer(v.pvData, v.cbData))
                                     if v.pvData != ffi.NULL else None)
                                    for v in (ec.rgEnumColumnValue[j] for j in range(ec.cEnumColumnValue))]
            else:
                out[ec.columnid] = ec.err
        alloc.free(ffi, prg[0], pc[0])
    assert alloc.live == {}, "JetEnumerateColumns leaked or the test did not free"
    return err, out


def test_layouts(jet):
    ffi = jet.ffi
    assert ffi.sizeof("JET_ENUMCOLUMNID") == 16 and ffi.sizeof("JET_ENUMCOLUMNVALUE") == 24
    assert ffi.sizeof("JET_ENUMCOLUMN") == 24 and ffi.offsetof("JET_ENUMCOLUMN", "rgEnumColumnValue") == 16
    assert ffi.offsetof("JET_ENUMCOLUMN", "pvData") == 16


def test_enumerate(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong})
    pcol = ffi.new("JET_COLUMNID *")
    assert lib.JetAddColumn(ses, t, b"d", cd, struct.pack("<i", 42), 4, pcol) == 0
    cdef_ = pcol[0]
    err, cm = env.add_column(t, "m", C.JET_coltypBinary, C.JET_bitColumnTagged | C.JET_bitColumnMultiValued)
    assert err == 0
    err, cl = env.add_column(t, "lv", C.JET_coltypLongBinary)
    assert err == 0
    err, cn = env.add_column(t, "never", C.JET_coltypLong)
    assert err == 0
    big = bytes(range(256)) * 200
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    for col, v in ((ck, struct.pack("<i", 1)), (cv, b"text"), (cl, big)):
        assert lib.JetSetColumn(ses, t, col, v, len(v), 0, ffi.NULL) == 0
    si = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 0})
    for v in (b"a", b"bb", b"ccc"):
        assert lib.JetSetColumn(ses, t, cm, v, len(v), 0, si) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    # every column with a value (the default counts), in column id order
    err, out = enumerate_columns(env, t)
    assert err == 0
    assert list(out) == sorted(out) and set(out) == {ck, cv, cdef_, cm, cl}
    assert out[ck] == [(1, 0, struct.pack("<i", 1))] and out[cdef_] == [(1, 0, struct.pack("<i", 42))]
    assert out[cm] == [(1, 0, b"a"), (2, 0, b"bb"), (3, 0, b"ccc")]
    assert out[cl] == [(1, 0, big)]
    err, out = enumerate_columns(env, t, grbit=C.JET_bitEnumerateIgnoreDefault | C.JET_bitEnumerateTaggedOnly)
    assert set(out) == {cm, cl}
    # compressed single values, truncation, presence only
    err, out = enumerate_columns(env, t, cb_most=100, grbit=C.JET_bitEnumerateCompressOutput)
    assert out[cv] == ("single", b"text") and out[cm][1] == (2, 0, b"bb")
    assert out[cl] == [(1, C.JET_wrnColumnTruncated, big[:100])]
    err, out = enumerate_columns(env, t, grbit=C.JET_bitEnumeratePresenceOnly)
    assert out[cm] == C.JET_wrnColumnPresent
    # listed columns and itags
    err, out = enumerate_columns(env, t, ids=[(cm, [3, 1, 7]), (cn, []), (999, []), (cv, [])])
    assert err == 0
    assert out[cm] == [(3, 0, b"ccc"), (1, 0, b"a"), (7, C.JET_wrnColumnNull, None)]
    assert out[cn] == C.JET_wrnColumnNull and out[999] == C.JET_errColumnNotFound
    assert out[cv] == [(1, 0, b"text")]
    # the update being built, with JET_bitEnumerateCopy
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, cv, b"new", 3, 0, ffi.NULL) == 0
    err, out = enumerate_columns(env, t, ids=[(cv, [])], grbit=C.JET_bitEnumerateCopy)
    assert out[cv] == [(1, 0, b"new")]
    err, out = enumerate_columns(env, t, ids=[(cv, [])])
    assert out[cv] == [(1, 0, b"text")]
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == 0
    assert enumerate_columns(env, t, grbit=0x1000)[0] == C.JET_errInvalidGrbit
