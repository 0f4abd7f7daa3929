"""JetCompact (offline compaction into a new file), JetGrowDatabase,
JetSetDatabaseSize and JetResizeDatabase through the C API (cffi)."""
import os
import struct

import pytest

from test_database import Env, env  # noqa: F401  (fixture)

NROWS = 300


class Src:
    """a.edb with table t: id autoincrement (primary), name Text (unique
    index), d Long with default 7 (descending index), n escrow (default 5),
    note LongText, tags multi-valued tagged Binary, blob LongBinary; and an
    empty table e."""

    def __init__(self, env, rows=NROWS, keep=None):
        self.env = env
        C, lib, ffi = env.C, env.lib, env.ffi
        err, self.dbid = env.create_db()
        assert err == 0
        self.path = str(env.folder / "a.edb").encode()
        err, t = env.create_table(self.dbid, "t")
        assert err == 0
        self.cols = {}
        err, self.cols["id"] = env.add_column(t, "id", C.JET_coltypLong, C.JET_bitColumnAutoincrement)
        assert err == 0
        err, self.cols["name"] = env.add_column(t, "name", C.JET_coltypText, cp=1252)
        assert err == 0
        for name, grbit, default in (("d", 0, 7), ("n", C.JET_bitColumnEscrowUpdate, 5)):
            cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong,
                                             "grbit": grbit})
            p = ffi.new("JET_COLUMNID *")
            assert lib.JetAddColumn(env.ses, t, name.encode(), cd, struct.pack("<i", default), 4, p) == 0
            self.cols[name] = p[0]
        err, self.cols["note"] = env.add_column(t, "note", C.JET_coltypLongText, cp=1252)
        assert err == 0
        err, self.cols["tags"] = env.add_column(t, "tags", C.JET_coltypBinary,
                                                C.JET_bitColumnTagged | C.JET_bitColumnMultiValued)
        assert err == 0
        err, self.cols["blob"] = env.add_column(t, "blob", C.JET_coltypLongBinary)
        assert err == 0
        assert lib.JetCreateIndex(env.ses, t, b"pk", C.JET_bitIndexPrimary, b"+id\0\0", 6, 100) == 0
        assert lib.JetCreateIndex(env.ses, t, b"byname", C.JET_bitIndexUnique, b"+name\0\0", 8, 100) == 0
        assert lib.JetCreateIndex(env.ses, t, b"byd", 0, b"-d\0\0", 5, 100) == 0
        assert lib.JetBeginTransaction(env.ses) == 0
        for i in range(rows):
            vals = [(self.cols["name"], b"name%05d" % i), (self.cols["note"], b"note %d " % i * (i % 5 + 1))]
            if i % 3:
                vals.append((self.cols["d"], struct.pack("<i", i)))
            if i % 4 == 0:
                vals.append((self.cols["blob"], bytes([i % 251]) * (30000 + i)))
            assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepInsert) == 0
            for c, v in vals:
                assert lib.JetSetColumn(env.ses, t, c, v, len(v), 0, ffi.NULL) == 0
            for j in range(i % 4):
                si = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "itagSequence": 0})
                v = b"tag%d.%d" % (i, j)
                assert lib.JetSetColumn(env.ses, t, self.cols["tags"], v, len(v), 0, si) == 0
            if i == 1:  # a zero-length (not NULL) value
                assert lib.JetSetColumn(env.ses, t, self.cols["name"], b"", 0, C.JET_bitSetZeroLength,
                                        ffi.NULL) == 0
            assert lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL) == 0
        assert lib.JetCommitTransaction(env.ses, 0) == 0
        # escrow changes and deletions
        assert lib.JetMove(env.ses, t, C.JET_MoveFirst, 0) == 0
        i = 0
        while True:
            if keep is not None and i % keep != 0:
                assert lib.JetDelete(env.ses, t) == 0
            elif i % 7 == 0:
                out = ffi.new("char[4]")
                assert lib.JetEscrowUpdate(env.ses, t, self.cols["n"], struct.pack("<i", i), 4, out, 4,
                                           ffi.NULL, 0) == 0
            i += 1
            if lib.JetMove(env.ses, t, C.JET_MoveNext, 0) != 0:
                break
        assert lib.JetCloseTable(env.ses, t) == 0
        err, e = env.create_table(self.dbid, "e")
        assert err == 0
        assert env.add_column(e, "x", C.JET_coltypLong)[0] == 0
        assert lib.JetCloseTable(env.ses, e) == 0

    def close(self):
        lib = self.env.lib
        assert lib.JetCloseDatabase(self.env.ses, self.dbid, 0) == 0
        assert lib.JetDetachDatabase(self.env.ses, self.path) == 0


def dump(env, path, table=b"t"):
    """{id: {column name: [values...]}} of every row (defaults included as
    the engine returns them), opening path (attached already or not)."""
    lib, ffi, C = env.lib, env.ffi, env.C
    ses = env.ses
    attached = lib.JetAttachDatabase(ses, path, C.JET_bitDbReadOnly)
    assert attached in (0, C.JET_wrnDatabaseAttached)
    pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
    assert lib.JetOpenDatabase(ses, path, ffi.NULL, pdb, 0) == 0
    assert lib.JetOpenTable(ses, pdb[0], table, ffi.NULL, 0, 0, pt) == 0
    t = pt[0]
    names = ["id", "name", "d", "n", "note", "tags", "blob"]
    ids = {}
    for nm in names:
        cd = ffi.new("JET_COLUMNDEF *")
        assert lib.JetGetTableColumnInfo(ses, t, nm.encode(), cd, ffi.sizeof("JET_COLUMNDEF"),
                                         C.JET_ColInfo) == 0
        ids[nm] = (cd.columnid, cd.coltyp, cd.grbit)
    rows = {}
    buf = ffi.new("char[]", 70000)
    pcb = ffi.new("uint32_t *")
    err = lib.JetMove(ses, t, C.JET_MoveFirst, 0)
    while err == 0:
        row = {}
        for nm, (cid, _, _) in ids.items():
            vals = []
            for itag in range(1, 20):
                ri = ffi.new("JET_RETINFO *", {"cbStruct": ffi.sizeof("JET_RETINFO"), "itagSequence": itag})
                e = lib.JetRetrieveColumn(ses, t, cid, buf, 70000, pcb, 0, ri)
                if e == C.JET_wrnColumnNull:
                    break
                assert e == 0
                vals.append(bytes(ffi.buffer(buf, pcb[0])))
            row[nm] = vals
        rows[struct.unpack("<i", row["id"][0])[0]] = row
        err = lib.JetMove(ses, t, C.JET_MoveNext, 0)
    assert err == C.JET_errNoCurrentRecord
    coldefs = {nm: (v[1], v[2]) for nm, v in ids.items()}
    assert lib.JetCloseTable(ses, t) == 0
    assert lib.JetCloseDatabase(ses, pdb[0], 0) == 0
    if attached == 0:
        assert lib.JetDetachDatabase(ses, path) == 0
    return rows, coldefs


def file_size(path):
    return os.path.getsize(path)


class Status:
    def __init__(self, env, abort_after=None, err=None):
        self.calls = []
        self.env = env
        ffi, C = env.ffi, env.C
        err = C.JET_errOutOfMemory if err is None else err

        @ffi.callback("JET_ERR(JET_SESID, JET_SNP, JET_SNT, void *)")
        def cb(sesid, snp, snt, pv):
            prog = ffi.cast("JET_SNPROG *", pv)
            self.calls.append((snp, snt, prog.cbStruct, prog.cunitDone, prog.cunitTotal))
            if abort_after is not None and len(self.calls) > abort_after:
                return err
            return 0
        self.cb = cb


def test_compact_copies_everything_and_shrinks(env):
    C, lib, ffi = env.C, env.lib, env.ffi
    src = Src(env, keep=10)
    src.close()
    before, defs = dump(env, src.path)
    assert len(before) == NROWS // 10
    dest = str(env.folder / "b.edb").encode()
    st = Status(env)
    assert lib.JetCompact(env.ses, src.path, dest, st.cb, ffi.NULL, 0) == 0
    after, defs2 = dump(env, dest)
    assert after == before
    assert defs2 == defs
    assert file_size(dest) < file_size(src.path)
    # the status callback: Begin, Progress (counts never decrease), Complete
    assert st.calls[0][:2] == (C.JET_snpCompact, C.JET_sntBegin)
    assert st.calls[-1][:2] == (C.JET_snpCompact, C.JET_sntComplete)
    assert all(c[0] == C.JET_snpCompact and c[2] == ffi.sizeof("JET_SNPROG") for c in st.calls)
    done = [c[3] for c in st.calls]
    assert done == sorted(done) and done[-1] == len(before) == st.calls[-1][4]
    # the source was detached before and is detached again
    assert lib.JetOpenDatabase(env.ses, src.path, ffi.NULL, ffi.new("JET_DBID *"), 0) != 0


def test_compacted_indexes_and_counters_work(env):
    C, lib, ffi = env.C, env.lib, env.ffi
    src = Src(env, keep=2)  # ids 1, 3, ..., 299 stay
    dest = str(env.folder / "b.edb").encode()
    # the source still attached (read-write) and open
    assert lib.JetCompact(env.ses, src.path, dest, ffi.NULL, ffi.NULL, 0) == 0
    assert lib.JetAttachDatabase(env.ses, dest, 0) == 0
    pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
    assert lib.JetOpenDatabase(env.ses, dest, ffi.NULL, pdb, 0) == 0
    assert lib.JetOpenTable(env.ses, pdb[0], b"t", ffi.NULL, 0, 0, pt) == 0
    t = pt[0]
    cd = ffi.new("JET_COLUMNDEF *")
    assert lib.JetGetTableColumnInfo(env.ses, t, b"name", cd, ffi.sizeof("JET_COLUMNDEF"), C.JET_ColInfo) == 0
    cname = cd.columnid
    assert lib.JetGetTableColumnInfo(env.ses, t, b"id", cd, ffi.sizeof("JET_COLUMNDEF"), C.JET_ColInfo) == 0
    cid = cd.columnid
    # unique secondary index: seek works, a duplicate is refused
    assert lib.JetSetCurrentIndex(env.ses, t, b"byname") == 0
    assert lib.JetMakeKey(env.ses, t, b"name00098", 9, C.JET_bitNewKey) == 0
    assert lib.JetSeek(env.ses, t, C.JET_bitSeekEQ) == 0
    err, v = env.retrieve(t, cid)
    assert err == 0 and struct.unpack("<i", v)[0] == 99
    assert lib.JetMakeKey(env.ses, t, b"name00099", 9, C.JET_bitNewKey) == 0
    assert lib.JetSeek(env.ses, t, C.JET_bitSeekEQ) == C.JET_errRecordNotFound  # deleted in the source
    assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(env.ses, t, cname, b"name00098", 9, 0, ffi.NULL) == 0
    assert lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL) == C.JET_errKeyDuplicate
    assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepCancel) == 0
    # descending index: first entry has the largest d
    assert lib.JetSetCurrentIndex(env.ses, t, b"byd") == 0
    assert lib.JetMove(env.ses, t, C.JET_MoveFirst, 0) == 0
    err, v = env.retrieve(t, cid)
    assert struct.unpack("<i", v)[0] == 299  # i = 298: kept, d = i (i % 3 != 0)
    # autoincrement continues after the largest copied value
    assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(env.ses, t, cname, b"new", 3, 0, ffi.NULL) == 0
    assert lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetSetCurrentIndex(env.ses, t, b"pk") == 0
    assert lib.JetMove(env.ses, t, C.JET_MoveLast, 0) == 0
    err, v = env.retrieve(t, cid)
    assert struct.unpack("<i", v)[0] == 301  # largest copied 299; the refused insert took 300
    # the empty table came too
    assert lib.JetOpenTable(env.ses, pdb[0], b"e", ffi.NULL, 0, 0, pt) == 0
    assert lib.JetMove(env.ses, pt[0], C.JET_MoveFirst, 0) == C.JET_errNoCurrentRecord


def test_aborting_callback_leaves_no_file(env):
    C, lib, ffi = env.C, env.lib, env.ffi
    src = Src(env)
    src.close()
    dest = str(env.folder / "b.edb").encode()
    for after in (0, 1):  # Begin / first Progress
        st = Status(env, abort_after=after, err=C.JET_errDiskFull)
        assert lib.JetCompact(env.ses, src.path, dest, st.cb, ffi.NULL, 0) == C.JET_errDiskFull
        assert not os.path.exists(dest)
        assert not any(n.startswith("b.edb") for n in os.listdir(env.folder))
    # a later compaction succeeds
    assert lib.JetCompact(env.ses, src.path, dest, ffi.NULL, ffi.NULL, 0) == 0
    assert os.path.exists(dest)


def test_compact_bad_arguments(env):
    C, lib, ffi = env.C, env.lib, env.ffi
    src = Src(env, rows=3)
    src.close()
    dest = str(env.folder / "b.edb").encode()
    ses = env.ses
    assert lib.JetCompact(ses, src.path, dest, ffi.NULL, ffi.NULL, 0x1000) == C.JET_errInvalidGrbit
    assert lib.JetCompact(ses, src.path, dest, ffi.NULL, ffi.NULL, C.JET_bitCompactRepair) == \
        C.JET_errFeatureNotAvailable
    assert lib.JetCompact(ses, src.path, dest, ffi.NULL, ffi.cast("JET_CONVERT *", 1), 0) == \
        C.JET_errFeatureNotAvailable
    assert lib.JetCompact(ses, ffi.NULL, dest, ffi.NULL, ffi.NULL, 0) == C.JET_errInvalidParameter
    assert lib.JetCompact(ses, src.path, ffi.NULL, ffi.NULL, ffi.NULL, 0) == C.JET_errInvalidParameter
    assert lib.JetCompact(C.JET_sesidNil, src.path, dest, ffi.NULL, ffi.NULL, 0) == C.JET_errInvalidSesid
    missing = str(env.folder / "missing.edb").encode()
    assert lib.JetCompact(ses, missing, dest, ffi.NULL, ffi.NULL, 0) == C.JET_errFileNotFound
    assert lib.JetCompact(ses, src.path, src.path, ffi.NULL, ffi.NULL, 0) == C.JET_errDatabaseDuplicate
    # an existing destination is never replaced
    with open(dest, "wb") as f:
        f.write(b"keep me")
    assert lib.JetCompact(ses, src.path, dest, ffi.NULL, ffi.NULL, 0) == C.JET_errDatabaseDuplicate
    assert open(dest, "rb").read() == b"keep me"
    os.unlink(dest)
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetCompact(ses, src.path, dest, ffi.NULL, ffi.NULL, 0) == C.JET_errInTransaction
    assert lib.JetRollback(ses, 0) == 0
    assert lib.JetCompact(ses, src.path, dest, ffi.NULL, ffi.NULL, C.JET_bitCompactStats) == 0


def test_compact_wide(env):
    C, lib, ffi = env.C, env.lib, env.ffi
    src = Src(env, rows=5)
    src.close()
    before, _ = dump(env, src.path)
    w = lambda s: ffi.new("JET_WCHAR[]", [ord(c) for c in s] + [0])  # noqa: E731
    dest = str(env.folder / "w.edb")
    assert lib.JetCompactW(env.ses, w(src.path.decode()), w(dest), ffi.NULL, ffi.NULL, 0) == 0
    assert dump(env, dest.encode())[0] == before


def db_pages(env, dbid):
    p = ffi_u32 = env.ffi.new("uint32_t *")
    assert env.lib.JetGetDatabaseInfo(env.ses, dbid, ffi_u32, 4, env.C.JET_DbInfoSpaceOwned) == 0
    return p[0]


def test_grow_database(env):
    C, lib, ffi = env.C, env.lib, env.ffi
    err, dbid = env.create_db()
    assert err == 0
    path = str(env.folder / "a.edb")
    cur = db_pages(env, dbid)
    p = ffi.new("uint32_t *")
    assert lib.JetGrowDatabase(env.ses, dbid, cur + 100, p) == 0
    assert p[0] == cur + 100 == db_pages(env, dbid)
    page = ffi.new("uint32_t *")
    assert lib.JetGetDatabaseInfo(env.ses, dbid, page, 4, C.JET_DbInfoPageSize) == 0
    assert os.path.getsize(path) == (cur + 102) * page[0]
    # never shrinks: a smaller size reports the current one
    assert lib.JetGrowDatabase(env.ses, dbid, 1, p) == 0 and p[0] == cur + 100
    assert lib.JetGrowDatabase(env.ses, 99, 10, p) == C.JET_errInvalidDatabaseId
    # the grown pages are used: a table and rows still work, the size does not jump
    err, t = env.create_table(dbid, "t")
    assert err == 0
    err, c = env.add_column(t, "v", C.JET_coltypLongBinary)
    for i in range(20):
        assert env.insert(t, [(c, bytes([i]) * 3000)]) == 0
    assert db_pages(env, dbid) == cur + 100
    # JetResizeDatabase: grows; OnlyShrink gives the never-used pages at the end back
    # (test_defragment.py tests shrinking further)
    assert lib.JetResizeDatabase(env.ses, dbid, cur + 150, p, C.JET_bitResizeDatabaseOnlyGrow) == 0
    assert p[0] == cur + 150
    assert lib.JetResizeDatabase(env.ses, dbid, cur + 200, p, C.JET_bitResizeDatabaseOnlyShrink) == 0
    assert p[0] == cur + 150 == db_pages(env, dbid)   # only shrink: a larger size changes nothing
    assert lib.JetResizeDatabase(env.ses, dbid, 10, p, C.JET_bitResizeDatabaseOnlyShrink) == 0
    assert 10 < p[0] < cur + 100 and p[0] == db_pages(env, dbid)
    assert os.path.getsize(path) == (p[0] + 2) * page[0]
    assert lib.JetResizeDatabase(env.ses, dbid, 10, p, 3) == C.JET_errInvalidGrbit
    assert lib.JetResizeDatabase(env.ses, dbid, 10, p, 0x10) == C.JET_errInvalidGrbit


def test_set_database_size(env):
    C, lib, ffi = env.C, env.lib, env.ffi
    err, dbid = env.create_db()
    assert err == 0
    path = str(env.folder / "a.edb").encode()
    cur = db_pages(env, dbid)
    assert lib.JetCloseDatabase(env.ses, dbid, 0) == 0
    assert lib.JetDetachDatabase(env.ses, path) == 0
    p = ffi.new("uint32_t *")
    assert lib.JetSetDatabaseSize(env.ses, path, cur + 64, p) == 0
    assert p[0] == cur + 64
    # still detached, and attaches fine at the new size
    assert lib.JetOpenDatabase(env.ses, path, ffi.NULL, ffi.new("JET_DBID *"), 0) != 0
    assert lib.JetAttachDatabase(env.ses, path, 0) == 0
    pdb = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(env.ses, path, ffi.NULL, pdb, 0) == 0
    assert db_pages(env, pdb[0]) == cur + 64
    # attached: works on the attached database
    assert lib.JetSetDatabaseSize(env.ses, path, cur + 80, p) == 0 and p[0] == cur + 80
    w = ffi.new("JET_WCHAR[]", [ord(c) for c in path.decode()] + [0])
    assert lib.JetSetDatabaseSizeW(env.ses, w, cur + 90, p) == 0 and p[0] == cur + 90
    assert lib.JetSetDatabaseSize(env.ses, str(env.folder / "none.edb").encode(), 10, p) == C.JET_errFileNotFound
    assert lib.JetSetDatabaseSize(env.ses, path, 10, ffi.NULL) == C.JET_errInvalidParameter


def test_compacted_database_is_logged_once_attached(jet, tmp_path):
    """The copy is written unlogged but handed over as an ordinary database:
    attached to an instance that logs, its changes are logged, so a crash
    after a commit is recovered."""
    env = Env(jet, tmp_path)
    C, lib, ffi = env.C, env.lib, env.ffi
    src = Src(env, rows=10)
    src.close()
    dest = str(tmp_path / "b.edb").encode()
    assert lib.JetCompact(env.ses, src.path, dest, ffi.NULL, ffi.NULL, 0) == 0
    assert lib.JetAttachDatabase(env.ses, dest, 0) == 0
    pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
    assert lib.JetOpenDatabase(env.ses, dest, ffi.NULL, pdb, 0) == 0
    assert lib.JetOpenTable(env.ses, pdb[0], b"t", ffi.NULL, 0, 0, pt) == 0
    cd = ffi.new("JET_COLUMNDEF *")
    assert lib.JetGetTableColumnInfo(env.ses, pt[0], b"name", cd, ffi.sizeof("JET_COLUMNDEF"), C.JET_ColInfo) == 0
    for i in range(5):
        assert env.insert(pt[0], [(cd.columnid, b"after%d" % i)]) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    env2 = Env(jet, tmp_path, "again")  # recovers the log stream
    try:
        rows, _ = dump(env2, dest)
        assert len(rows) == 15
        assert sorted(r["name"][0] for r in rows.values() if r["name"][0].startswith(b"after")) == \
            [b"after%d" % i for i in range(5)]
    finally:
        assert env2.term() == 0


@pytest.fixture
def small_cache(jet):
    """A 64-page cache for one test.  JET_paramCacheSizeMax / Min are process-wide: put them
    back afterwards (test_params.py checks the process defaults)."""
    C = jet.C
    saved = {p: jet.get_param_int(None, p)[1] for p in (C.JET_paramCacheSizeMax, C.JET_paramCacheSizeMin)}
    yield dict(CacheSizeMax=64)
    for p, v in saved.items():
        assert jet.set_param(None, p, v) == 0


def test_compact_out_of_memory_releases_everything(jet, tmp_path, small_cache):
    """Fail the k-th engine allocation of a JetCompact for k = 1, 2, ...:
    each run returns JET_errOutOfMemory and leaves no destination or
    temporary file (or, where the engine does without that allocation,
    succeeds with a whole copy), detaches the source again and leaks
    nothing; the first run without a fault succeeds.  (A small page cache,
    filled by the warm-up run: the cache keeps its frames, up to its size,
    for the next file.)"""
    env = Env(jet, tmp_path, **small_cache)
    C, lib, ffi = env.C, env.lib, env.ffi
    src = Src(env, rows=6)
    src.close()
    want = dump(env, src.path)
    dest = str(env.folder / "b.edb").encode()
    # a warm-up run: the session keeps the cursor slots it grew until it ends
    assert lib.JetCompact(env.ses, src.path, dest, ffi.NULL, ffi.NULL, 0) == 0
    assert dump(env, dest) == want
    os.unlink(dest)
    live = ffi.new("int64_t *")
    hits = ffi.new("uint32_t *")
    for k in range(1, 20000):
        assert lib.EsepyTestLiveAllocations(live) == 0
        before = live[0]
        lib.EsepyTestFailAllocation(k, 0, ffi.NULL)
        err = lib.JetCompact(env.ses, src.path, dest, ffi.NULL, ffi.NULL, 0)
        lib.EsepyTestFailAllocation(0, 0, hits)
        if hits[0] == 0:
            assert err == 0
            break
        assert err in (0, C.JET_errOutOfMemory), (k, err)
        if err == 0:  # the engine got by without that allocation: the copy is whole
            assert sorted(n for n in os.listdir(env.folder) if n.startswith("b.edb")) == ["b.edb"], k
            assert dump(env, dest) == want, k
            os.unlink(dest)
        assert not any(n.startswith("b.edb") for n in os.listdir(env.folder)), k
        assert lib.JetOpenDatabase(env.ses, src.path, ffi.NULL, ffi.new("JET_DBID *"), 0) != 0, k
        assert lib.EsepyTestLiveAllocations(live) == 0
        assert live[0] == before, k
    else:
        pytest.fail("JetCompact never ran without a fault")
    assert k > 10
    assert lib.JetTerm(env.inst) == 0
