"""Records too big for a btree node (issue 21): the tagged area of such a record goes to the
table's long-value tree as one value referenced from the record (csrc/isam/record.c R-OVF,
csrc/isam/lv.c O1-O3).  Reads see the whole record; inserts, replaces, deletes, rollback
and crash recovery keep the overflow value and the record together; the database header
carries DB_INCOMPAT_RECORD_OVERFLOW once such a record is written."""
import struct

import pytest

from test_database import Env, env  # noqa: F401  (fixture)
from test_enumerate import enumerate_columns

DB_INCOMPAT_RECORD_OVERFLOW = 0x1
DB_INCOMPAT_RECORD_HDR2 = 0x2      # every new file has the compact record header
DB_INCOMPAT_KEY_PREFIX = 0x4       # ... and may hold pages with a key prefix
DB_INCOMPAT_INDEX_COMPACT = 0x10   # ... and compact index entries (index.c K8)
NEW_FILE_BITS = DB_INCOMPAT_RECORD_HDR2 | DB_INCOMPAT_KEY_PREFIX | DB_INCOMPAT_INDEX_COMPACT


def header_incompat(path):
    with open(path, "rb") as f:
        block = f.read(512)
    version, = struct.unpack_from("<I", block, 8)
    incompat, = struct.unpack_from("<I", block, 284)
    return version, incompat


def wide_table(env, ntag, name="big", index_tag=None):
    """Table `name`: Id (Long, primary key), Note (Text), ntag tagged UnsignedShort columns."""
    C, lib = env.C, env.lib
    err, dbid = env.create_db()
    assert err == 0
    err, t = env.create_table(dbid, name)
    assert err == 0
    assert env.add_column(t, "Id", C.JET_coltypLong)[0] == 0
    err, note = env.add_column(t, "Note", C.JET_coltypText, cp=1252)
    assert err == 0
    ids = []
    assert lib.JetBeginTransaction(env.ses) == 0
    for i in range(ntag):
        err, c = env.add_column(t, f"C{i}", C.JET_coltypUnsignedShort, grbit=C.JET_bitColumnTagged)
        assert err == 0
        ids.append(c)
    assert lib.JetCommitTransaction(env.ses, 0) == 0
    assert lib.JetCreateIndex(env.ses, t, b"primary", C.JET_bitIndexPrimary, b"+Id\0\0", 5, 100) == 0
    return dbid, t, note, ids


def node_max(env):
    """The largest record a node holds with the instance's page size (lv_record_node_max)."""
    cb = env.ffi.new("JET_API_PTR *")
    assert env.lib.JetGetSystemParameter(env.inst, 0, 64, cb, env.ffi.NULL, 0) == 0  # JET_paramDatabasePageSize
    page = cb[0]
    return (page - 40) // 4 - 6 - 2 - 4 - 255, page


def values_for(rid, ids, every=1):
    return {c: (rid * 7 + i) & 0xFFFF for i, c in enumerate(ids) if i % every == 0}


def insert(env, t, note, rid, vals, text=b"note"):
    lib, ffi, C = env.lib, env.ffi, env.C
    assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(env.ses, t, 1, struct.pack("<i", rid), 4, 0, ffi.NULL) == 0
    assert lib.JetSetColumn(env.ses, t, note, text, len(text), 0, ffi.NULL) == 0
    for c, v in vals.items():
        assert lib.JetSetColumn(env.ses, t, c, struct.pack("<H", v), 2, 0, ffi.NULL) == 0
    return lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL)


def seek(env, t, rid):
    lib, C = env.lib, env.C
    assert lib.JetMakeKey(env.ses, t, struct.pack("<i", rid), 4, C.JET_bitNewKey) == 0
    return lib.JetSeek(env.ses, t, C.JET_bitSeekEQ)


def read_all(env, t, ids):
    """Every tagged value of the current record through one JetRetrieveColumns call."""
    ffi = env.ffi
    n = len(ids)
    rc = ffi.new("JET_RETRIEVECOLUMN[]", n)
    bufs = ffi.new("char[]", 2 * n)
    for i, c in enumerate(ids):
        rc[i].columnid = c
        rc[i].pvData = bufs + 2 * i
        rc[i].cbData = 2
        rc[i].itagSequence = 1
    err = env.lib.JetRetrieveColumns(env.ses, t, rc, n)
    assert err >= 0
    out = {}
    for i, c in enumerate(ids):
        if rc[i].err == 0:
            out[c] = struct.unpack("<H", bytes(ffi.buffer(bufs + 2 * i, 2)))[0]
        else:
            assert rc[i].err == env.C.JET_wrnColumnNull
    return out


def record_size(env, t):
    ffi = env.ffi
    rs = ffi.new("JET_RECSIZE *")
    assert env.lib.JetGetRecordSize(env.ses, t, rs, 0) == 0
    return rs


def test_oversized_records_insert_read_replace_delete(env):
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    cbmax, page = node_max(env)
    ntag = cbmax // 15 * 3              # ~3 times what a node holds (15 bytes a value)
    dbid, t, note, ids = wide_table(env, ntag)
    path = str(env.folder / "a.edb")
    assert header_incompat(path) == (2, NEW_FILE_BITS)  # nothing overflowed yet
    small = values_for(1, ids, every=50)
    assert insert(env, t, note, 1, small) == 0
    assert header_incompat(path) == (2, NEW_FILE_BITS)  # a record that fits changes nothing
    vals = {rid: values_for(rid, ids) for rid in (2, 3, 4)}
    for rid, v in vals.items():
        assert insert(env, t, note, rid, v, text=b"n%d" % rid) == 0
    assert header_incompat(path) == (2, DB_INCOMPAT_RECORD_OVERFLOW | NEW_FILE_BITS)
    # reads: by column, by JetRetrieveColumns, JetEnumerateColumns, JetGetRecordSize
    for rid, v in vals.items():
        assert seek(env, t, rid) == 0
        assert env.retrieve(t, 1) == (0, struct.pack("<i", rid))
        assert env.retrieve(t, note) == (0, b"n%d" % rid)
        assert env.retrieve(t, ids[-1]) == (0, struct.pack("<H", v[ids[-1]]))
        assert read_all(env, t, ids) == v
        rs = record_size(env, t)
        assert rs.cTaggedColumns == ntag and rs.cbData >= 2 * ntag
    assert seek(env, t, 3) == 0
    err, got = enumerate_columns(env, t)
    assert err == 0
    assert {c: v for c, v in got.items() if c >= 256} == {c: [(1, 0, struct.pack("<H", x))] for c, x in vals[3].items()}
    # a scan sees every record in key order with its values
    seen = []
    ok = lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    while ok:
        rid = struct.unpack("<i", env.retrieve(t, 1)[1])[0]
        seen.append(rid)
        if rid in vals:
            assert read_all(env, t, ids) == vals[rid]
        ok = lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0
    assert seen == [1, 2, 3, 4]
    # replace one value of an oversized record, the fixed column too
    assert seek(env, t, 2) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, ids[5], struct.pack("<H", 4242), 2, 0, ffi.NULL) == 0
    assert lib.JetSetColumn(ses, t, note, b"changed", 7, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    vals[2][ids[5]] = 4242
    assert seek(env, t, 2) == 0
    assert read_all(env, t, ids) == vals[2] and env.retrieve(t, note) == (0, b"changed")
    # shrink record 3 below a node (most values removed), then grow it back
    assert seek(env, t, 3) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    for c in ids[10:]:
        assert lib.JetSetColumn(ses, t, c, ffi.NULL, 0, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 3) == 0
    assert read_all(env, t, ids) == {c: vals[3][c] for c in ids[:10]}
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    for c in ids[10:]:
        assert lib.JetSetColumn(ses, t, c, struct.pack("<H", vals[3][c]), 2, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 3) == 0 and read_all(env, t, ids) == vals[3]
    # an insert-copy of an oversized record is its own record
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsertCopy) == 0
    assert lib.JetSetColumn(ses, t, 1, struct.pack("<i", 5), 4, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 3) == 0 and lib.JetDelete(ses, t) == 0
    assert seek(env, t, 3) == C.JET_errRecordNotFound
    assert seek(env, t, 5) == 0 and read_all(env, t, ids) == vals[3]
    assert seek(env, t, 4) == 0 and lib.JetDelete(ses, t) == 0
    assert [struct.unpack("<i", env.retrieve(t, 1)[1])[0]
            for _ in [lib.JetMove(ses, t, C.JET_MoveFirst, 0)]] == [1]
    lib.JetCloseTable(ses, t)
    assert lib.JetCloseDatabase(ses, dbid, 0) == 0
    assert lib.JetDetachDatabase(ses, str(env.folder / "a.edb").encode()) == 0
    # left: records 1 (fits), 2 and 5 (overflowed): two live overflow values, nothing leaked
    assert live_lv_roots(path, "big") == 2


def live_lv_roots(path, table):
    """The long values (root nodes, 8-byte keys, not flag-deleted) of table's LV tree."""
    from esepy.inspect.database import DatabaseFile
    with DatabaseFile(path) as f:
        roots = {name: root for _objid, name, root in f.catalog_trees()}
        return sum(1 for k, _d, fl in f._leaf_nodes(roots[f"{table}/lv"]) if len(k) == 8 and not fl & 1)


def test_fixed_and_variable_part_too_big_is_still_refused(env):
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    cbmax, page = node_max(env)
    err, dbid = env.create_db()
    err, t = env.create_table(dbid, "v")
    cols = []
    for i in range(cbmax // 250 + 1):
        err, c = env.add_column(t, f"V{i}", C.JET_coltypBinary, cbMax=255)
        assert err == 0
        cols.append(c)
    err, tag = env.add_column(t, "T", C.JET_coltypUnsignedShort, grbit=C.JET_bitColumnTagged)
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    for c in cols:
        assert lib.JetSetColumn(ses, t, c, b"x" * 255, 255, 0, ffi.NULL) == 0
    assert lib.JetSetColumn(ses, t, tag, b"\1\0", 2, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == C.JET_errRecordTooBig
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == 0
    lib.JetCloseTable(ses, t)


def test_rollback_and_index_on_a_tagged_column(env):
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    cbmax, page = node_max(env)
    ntag = cbmax // 15 * 2
    dbid, t, note, ids = wide_table(env, ntag)
    key_col = ids[ntag - 3]
    for rid in (1, 2, 3):
        assert insert(env, t, note, rid, values_for(rid, ids)) == 0
    # an index over a tagged column of the oversized records, built over existing records
    name = f"+C{ntag - 3}\0\0".encode()
    assert lib.JetCreateIndex(ses, t, b"bytag", 0, name, len(name), 100) == 0
    # and maintained by later inserts
    assert insert(env, t, note, 4, values_for(4, ids)) == 0

    def by_tag():
        assert lib.JetSetCurrentIndex(ses, t, b"bytag") == 0
        out = []
        ok = lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
        while ok:
            out.append((struct.unpack("<H", env.retrieve(t, key_col)[1])[0],
                        struct.unpack("<i", env.retrieve(t, 1)[1])[0]))
            ok = lib.JetMove(ses, t, C.JET_MoveNext, 0) == 0
        assert lib.JetSetCurrentIndex(ses, t, ffi.NULL) == 0
        return out

    want = sorted((values_for(r, ids)[key_col], r) for r in (1, 2, 3, 4))
    assert by_tag() == want
    # seek on the secondary index lands on the oversized record
    assert lib.JetSetCurrentIndex(ses, t, b"bytag") == 0
    v3 = values_for(3, ids)[key_col]
    assert lib.JetMakeKey(ses, t, struct.pack("<H", v3), 2, C.JET_bitNewKey) == 0
    assert lib.JetSeek(ses, t, C.JET_bitSeekEQ) == 0
    assert env.retrieve(t, 1) == (0, struct.pack("<i", 3))
    assert lib.JetSetCurrentIndex(ses, t, ffi.NULL) == 0
    # changes rolled back: insert, replace of the indexed value, delete
    assert lib.JetBeginTransaction(ses) == 0
    assert insert(env, t, note, 9, values_for(9, ids)) == 0
    assert seek(env, t, 1) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, key_col, struct.pack("<H", 65000), 2, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 2) == 0 and lib.JetDelete(ses, t) == 0
    assert (65000, 1) in by_tag()
    assert lib.JetRollback(ses, 0) == 0
    assert by_tag() == want
    for rid in (1, 2, 3, 4):
        assert seek(env, t, rid) == 0 and read_all(env, t, ids) == values_for(rid, ids)
    assert seek(env, t, 9) == C.JET_errRecordNotFound
    # committed: the replace moves the index entry
    assert seek(env, t, 1) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, key_col, struct.pack("<H", 65000), 2, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert by_tag() == sorted([(65000, 1)] + [w for w in want if w[1] != 1])
    lib.JetCloseTable(ses, t)


def open_big(env, path):
    ffi, lib = env.ffi, env.lib
    assert lib.JetAttachDatabase(env.ses, path.encode(), 0) in (0, env.C.JET_wrnDatabaseAttached)
    pdb = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(env.ses, path.encode(), ffi.NULL, pdb, 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(env.ses, pdb[0], b"big", ffi.NULL, 0, 0, pt) == 0
    return pt[0]


def test_oversized_records_survive_a_crash(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    cbmax, page = node_max(env)
    ntag = cbmax // 15 * 2
    dbid, t, note, ids = wide_table(env, ntag)
    path = str(tmp_path / "a.edb")
    for rid in (1, 2):
        assert insert(env, t, note, rid, values_for(rid, ids)) == 0
    # committed replace, then an unfinished transaction: insert, replace, delete
    assert seek(env, t, 2) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, ids[0], struct.pack("<H", 1), 2, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert insert(env, t, note, 3, values_for(3, ids)) == 0
    assert seek(env, t, 1) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, ids[1], struct.pack("<H", 2), 2, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 2) == 0 and lib.JetDelete(ses, t) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    env2 = Env(jet, tmp_path)
    try:
        t2 = open_big(env2, path)
        v2 = values_for(2, ids)
        v2[ids[0]] = 1
        assert seek(env2, t2, 3) == C.JET_errRecordNotFound
        assert seek(env2, t2, 1) == 0 and read_all(env2, t2, ids) == values_for(1, ids)
        assert seek(env2, t2, 2) == 0 and read_all(env2, t2, ids) == v2
        lib.JetCloseTable(env2.ses, t2)
    finally:
        assert env2.term() == 0
    assert header_incompat(path) == (2, DB_INCOMPAT_RECORD_OVERFLOW | NEW_FILE_BITS)
    assert live_lv_roots(path, "big") == 2


def test_recovery_sets_the_header_bit(jet, tmp_path):
    """The first overflow record's DBINCOMPAT log record: a database file from before it
    (here: its copy taken before the insert) gets the bit when the log is replayed."""
    import shutil
    env = Env(jet, tmp_path)
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    cbmax, page = node_max(env)
    ntag = cbmax // 15 * 2
    dbid, t, note, ids = wide_table(env, ntag)
    path = str(tmp_path / "a.edb")
    assert insert(env, t, note, 1, values_for(1, ids, every=40)) == 0
    lib.JetCloseTable(ses, t)
    assert lib.JetCloseDatabase(ses, dbid, 0) == 0
    assert lib.JetDetachDatabase(ses, path.encode()) == 0
    assert header_incompat(path) == (2, NEW_FILE_BITS)
    before = tmp_path / "before.edb"
    shutil.copy(path, before)                    # clean, without the bit
    t = open_big(env, path)
    assert insert(env, t, note, 2, values_for(2, ids)) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    assert header_incompat(path)[1] == DB_INCOMPAT_RECORD_OVERFLOW | NEW_FILE_BITS
    # the database as it was before the overflow record, dirty state restored by the log
    shutil.copy(before, path)
    env2 = Env(jet, tmp_path)
    try:
        t2 = open_big(env2, path)
        assert seek(env2, t2, 2) == 0 and read_all(env2, t2, ids) == values_for(2, ids)
        lib.JetCloseTable(env2.ses, t2)
    finally:
        assert env2.term() == 0
    assert header_incompat(path) == (2, DB_INCOMPAT_RECORD_OVERFLOW | NEW_FILE_BITS)


def test_escrow_and_compaction_of_oversized_records(env):
    """JetEscrowUpdate changes the fixed part of a record stored overflowed (its reference is
    kept); JetCompact copies oversized records into a new file, which gets the header bit."""
    C, lib, ffi, ses = env.C, env.lib, env.ffi, env.ses
    cbmax, page = node_max(env)
    ntag = cbmax // 15 * 2
    err, dbid = env.create_db()
    err, t = env.create_table(dbid, "big")
    assert env.add_column(t, "Id", C.JET_coltypLong)[0] == 0
    cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong,
                                     "grbit": C.JET_bitColumnEscrowUpdate})
    pcol = ffi.new("JET_COLUMNID *")
    assert lib.JetAddColumn(ses, t, b"n", cd, struct.pack("<i", 0), 4, pcol) == 0
    cn = pcol[0]
    ids = [env.add_column(t, f"C{i}", C.JET_coltypUnsignedShort, grbit=C.JET_bitColumnTagged)[1]
           for i in range(ntag)]
    assert lib.JetCreateIndex(ses, t, b"primary", C.JET_bitIndexPrimary, b"+Id\0\0", 5, 100) == 0
    for rid in (1, 2):
        assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
        assert lib.JetSetColumn(ses, t, 1, struct.pack("<i", rid), 4, 0, ffi.NULL) == 0
        for c, v in values_for(rid, ids).items():
            assert lib.JetSetColumn(ses, t, c, struct.pack("<H", v), 2, 0, ffi.NULL) == 0
        assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    path = str(env.folder / "a.edb")
    assert header_incompat(path)[1] == DB_INCOMPAT_RECORD_OVERFLOW | NEW_FILE_BITS
    assert seek(env, t, 2) == 0
    old, pcb = ffi.new("char[4]"), ffi.new("uint32_t *")
    for _ in range(3):
        assert lib.JetEscrowUpdate(ses, t, cn, struct.pack("<i", 5), 4, old, 4, pcb, 0) == 0
    assert seek(env, t, 2) == 0
    assert env.retrieve(t, cn) == (0, struct.pack("<i", 15))
    assert read_all(env, t, ids) == values_for(2, ids)
    lib.JetCloseTable(ses, t)
    assert lib.JetCloseDatabase(ses, dbid, 0) == 0
    assert lib.JetDetachDatabase(ses, path.encode()) == 0
    dest = str(env.folder / "b.edb")
    assert lib.JetCompact(ses, path.encode(), dest.encode(), ffi.NULL, ffi.NULL, 0) == 0
    assert header_incompat(dest) == (2, DB_INCOMPAT_RECORD_OVERFLOW | NEW_FILE_BITS)
    assert live_lv_roots(dest, "big") == 2
    assert lib.JetAttachDatabase(ses, dest.encode(), 0) == 0
    pdb, pt = ffi.new("JET_DBID *"), ffi.new("JET_TABLEID *")
    assert lib.JetOpenDatabase(ses, dest.encode(), ffi.NULL, pdb, 0) == 0
    assert lib.JetOpenTable(ses, pdb[0], b"big", ffi.NULL, 0, 0, pt) == 0
    t = pt[0]
    for rid in (1, 2):
        assert seek(env, t, rid) == 0 and read_all(env, t, ids) == values_for(rid, ids)
    assert env.retrieve(t, cn) == (0, struct.pack("<i", 15))
    lib.JetCloseTable(ses, t)
