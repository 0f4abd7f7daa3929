"""Long values (LongText / LongBinary) through the C API: in the record when
small, in the table's long-value tree when large, read and written in pieces
(JET_bitSetAppendLV / OverwriteLV / SizeLV, JET_SETINFO / JET_RETINFO
ibLongValue), transactional, recovered after a crash, indexed."""
import hashlib
import os
import struct

from test_database import Env, env, make_kv  # noqa: F401  (fixture)


def lv_table(env, name="docs"):
    C = env.C
    err, dbid = env.create_db()
    assert err == 0
    err, t = env.create_table(dbid, name)
    assert err == 0
    err, ck = env.add_column(t, "k", C.JET_coltypLong)
    assert err == 0
    err, cb = env.add_column(t, "body", C.JET_coltypLongBinary)
    assert err == 0
    assert env.lib.JetCreateIndex(env.ses, t, b"primary", C.JET_bitIndexPrimary, b"+k\0\0", 4, 100) == 0
    return dbid, t, ck, cb


def set_lv(env, t, col, data, grbit=0, ib=0, itag=1):
    ffi = env.ffi
    si = ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"), "ibLongValue": ib, "itagSequence": itag})
    buf = ffi.from_buffer(data) if data else ffi.NULL
    return env.lib.JetSetColumn(env.ses, t, col, buf, len(data), grbit, si)


def get_lv(env, t, col, cb, ib=0, grbit=0, itag=1):
    ffi = env.ffi
    buf = ffi.new("char[]", max(cb, 1))
    pcb = ffi.new("uint32_t *")
    ri = ffi.new("JET_RETINFO *", {"cbStruct": ffi.sizeof("JET_RETINFO"), "ibLongValue": ib, "itagSequence": itag})
    err = env.lib.JetRetrieveColumn(env.ses, t, col, buf, cb, pcb, grbit, ri)
    return err, pcb[0], bytes(ffi.buffer(buf, min(cb, pcb[0])))


def seek(env, t, k):
    C, lib, ffi = env.C, env.lib, env.ffi
    assert lib.JetMakeKey(env.ses, t, struct.pack("<i", k), 4, C.JET_bitNewKey) == 0
    return lib.JetSeek(env.ses, t, C.JET_bitSeekEQ)


def insert_lv(env, t, ck, cb, k, data, grbit=0):
    lib, C = env.lib, env.C
    assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(env.ses, t, ck, struct.pack("<i", k), 4, 0, env.ffi.NULL) == 0
    assert set_lv(env, t, cb, data, grbit) == 0
    return lib.JetUpdate(env.ses, t, env.ffi.NULL, 0, env.ffi.NULL)


def test_small_and_large_values_round_trip(env):
    dbid, t, ck, cb = lv_table(env)
    small = b"tiny value"
    big = os.urandom(300_000)
    assert insert_lv(env, t, ck, cb, 1, small) == 0
    assert insert_lv(env, t, ck, cb, 2, big) == 0
    assert insert_lv(env, t, ck, cb, 3, b"") == 0
    assert seek(env, t, 1) == 0
    assert get_lv(env, t, cb, 100) == (0, len(small), small)
    assert seek(env, t, 2) == 0
    err, n, data = get_lv(env, t, cb, len(big))
    assert (err, n) == (0, len(big)) and data == big
    # a short buffer: JET_wrnBufferTruncated with the full size in cbActual
    err, n, data = get_lv(env, t, cb, 1000)
    assert err == env.C.JET_wrnBufferTruncated and n == len(big) and data == big[:1000]
    # ibLongValue: the rest from an offset; cbActual counts from there
    err, n, data = get_lv(env, t, cb, 5000, ib=123_456)
    assert err == env.C.JET_wrnBufferTruncated and n == len(big) - 123_456 and data == big[123_456:128_456]
    err, n, data = get_lv(env, t, cb, 10, ib=len(big) - 4)
    assert (err, n, data) == (0, 4, big[-4:])
    err, n, data = get_lv(env, t, cb, 10, ib=len(big) + 10)
    assert (err, n) == (0, 0)
    # JET_wrnColumnNull for a record without a value
    assert env.insert(t, [(ck, struct.pack("<i", 4))]) == 0
    assert seek(env, t, 4) == 0
    assert get_lv(env, t, cb, 10)[:2] == (env.C.JET_wrnColumnNull, 0)


def test_values_are_written_in_pieces(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cb = lv_table(env)
    piece = bytes(range(256)) * 40  # 10 KiB
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, ck, struct.pack("<i", 1), 4, 0, ffi.NULL) == 0
    h = hashlib.sha256()
    for i in range(50):  # 500 KiB appended piecewise
        chunk = bytes([i]) + piece[1:]
        h.update(chunk)
        assert set_lv(env, t, cb, chunk, C.JET_bitSetAppendLV) == 0
    # the update being built reads back with JET_bitRetrieveCopy
    err, n, _ = get_lv(env, t, cb, 0, grbit=C.JET_bitRetrieveCopy)
    assert err == C.JET_wrnBufferTruncated and n == 50 * len(piece)
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 1) == 0
    got = hashlib.sha256()
    off = 0
    while True:
        err, n, data = get_lv(env, t, cb, 65536, ib=off)
        got.update(data)
        off += len(data)
        if err == 0:
            break
        assert err == C.JET_wrnBufferTruncated
    assert off == 50 * len(piece) and got.digest() == h.digest()
    # overwrite in the middle, then truncate and extend with JET_bitSetSizeLV
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert set_lv(env, t, cb, b"X" * 5000, C.JET_bitSetOverwriteLV, ib=100_000) == 0
    assert set_lv(env, t, cb, b"", C.JET_bitSetOverwriteLV, ib=10**7) == C.JET_errColumnNoChunk
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 1) == 0
    err, n, data = get_lv(env, t, cb, 5002, ib=99_999)
    assert data[1:5001] == b"X" * 5000
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, cb, ffi.NULL, 3000, C.JET_bitSetSizeLV, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 1) == 0
    err, n, data = get_lv(env, t, cb, 10000)
    assert (err, n) == (0, 3000) and data == piece[:3000].replace(piece[:1], b"\x00", 1)
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, cb, ffi.NULL, 20000, C.JET_bitSetSizeLV, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 1) == 0
    err, n, data = get_lv(env, t, cb, 30000)
    assert (err, n) == (0, 20000) and data[:3000] == piece[:3000].replace(piece[:1], b"\x00", 1)
    assert data[3000:] == bytes(17000)
    # a small value grows out of the record by appends and shrinks back
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, ck, struct.pack("<i", 2), 4, 0, ffi.NULL) == 0
    assert set_lv(env, t, cb, b"ab") == 0
    assert set_lv(env, t, cb, b"c" * 9000, C.JET_bitSetAppendLV) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 2) == 0
    assert get_lv(env, t, cb, 10000)[2] == b"ab" + b"c" * 9000


def test_copy_on_write_keeps_snapshots_and_rollback(env, jet, tmp_path):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cb = lv_table(env)
    v1 = os.urandom(50_000)
    assert insert_lv(env, t, ck, cb, 1, v1) == 0
    # a second session's snapshot keeps the old bytes while we change them
    p = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
    s2 = p[0]
    pdb = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(s2, str(tmp_path / "a.edb").encode(), ffi.NULL, pdb, 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(s2, pdb[0], b"docs", ffi.NULL, 0, 0, pt) == 0
    assert lib.JetBeginTransaction(s2) == 0
    assert lib.JetMove(s2, pt[0], C.JET_MoveFirst, 0) == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert seek(env, t, 1) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert set_lv(env, t, cb, b"Z" * 1000, C.JET_bitSetOverwriteLV, ib=0) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    buf = ffi.new("char[]", 60_000)
    pcb = ffi.new("uint32_t *")
    assert lib.JetRetrieveColumn(s2, pt[0], cb, buf, 60_000, pcb, 0, ffi.NULL) == 0
    assert bytes(ffi.buffer(buf, pcb[0])) == v1
    assert lib.JetCommitTransaction(s2, 0) == 0
    assert lib.JetRetrieveColumn(s2, pt[0], cb, buf, 60_000, pcb, 0, ffi.NULL) == 0
    assert bytes(ffi.buffer(buf, pcb[0])) == b"Z" * 1000 + v1[1000:]
    assert lib.JetEndSession(s2, 0) == 0
    # a rolled back replacement leaves the committed value
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert set_lv(env, t, cb, os.urandom(40_000)) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetRollback(ses, 0) == 0
    assert seek(env, t, 1) == 0
    assert get_lv(env, t, cb, 60_000)[2] == b"Z" * 1000 + v1[1000:]
    # a cancelled update and a deleted record leave no long value behind
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert set_lv(env, t, cb, os.urandom(40_000)) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == 0
    assert get_lv(env, t, cb, 60_000)[2] == b"Z" * 1000 + v1[1000:]
    assert lib.JetDelete(ses, t) == 0
    # a rollback under a prepared update cancels it (U1, as ESE): never stored dangling
    assert lib.JetBeginTransaction(ses) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, ck, struct.pack("<i", 9), 4, 0, ffi.NULL) == 0
    assert set_lv(env, t, cb, os.urandom(40_000)) == 0
    assert lib.JetRollback(ses, 0) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == C.JET_errUpdateNotPrepared
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == C.JET_errUpdateNotPrepared
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0  # nothing left prepared
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepCancel) == 0


def test_insert_copy_shares_and_releases(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cb = lv_table(env)
    v = os.urandom(30_000)
    assert insert_lv(env, t, ck, cb, 1, v) == 0
    assert seek(env, t, 1) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsertCopy) == 0
    assert lib.JetSetColumn(ses, t, ck, struct.pack("<i", 2), 4, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 1) == 0
    assert lib.JetDelete(ses, t) == 0
    assert seek(env, t, 2) == 0
    assert get_lv(env, t, cb, 40_000)[2] == v
    # the copy can be changed without touching anything else
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert set_lv(env, t, cb, b"tail", C.JET_bitSetAppendLV) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert get_lv(env, t, cb, 40_000)[2] == v + b"tail"


def test_multivalued_long_values_and_grbit_errors(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cb = lv_table(env)
    err, cm = env.add_column(t, "parts", C.JET_coltypLongText, C.JET_bitColumnTagged | C.JET_bitColumnMultiValued,
                             cp=1252)
    assert err == 0
    vals = [b"a" * 20_000, b"short", b"b" * 7000]
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
    assert lib.JetSetColumn(ses, t, ck, struct.pack("<i", 1), 4, 0, ffi.NULL) == 0
    for v in vals:
        assert set_lv(env, t, cm, v, itag=0) == 0
    # the long-value grbits are for long values only
    assert set_lv(env, t, ck, b"abcd", C.JET_bitSetAppendLV) == C.JET_errInvalidParameter
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert seek(env, t, 1) == 0
    for i, v in enumerate(vals, 1):
        assert get_lv(env, t, cm, 30_000, itag=i)[2] == v
    assert get_lv(env, t, cm, 10, itag=4)[0] == C.JET_wrnColumnNull
    # replace value 1 and remove value 3
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert set_lv(env, t, cm, b"c" * 9000, itag=1) == 0
    assert lib.JetSetColumn(ses, t, cm, ffi.NULL, 0, 0,
                            ffi.new("JET_SETINFO *", {"cbStruct": ffi.sizeof("JET_SETINFO"),
                                                      "itagSequence": 3})) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert get_lv(env, t, cm, 30_000, itag=1)[2] == b"c" * 9000
    assert get_lv(env, t, cm, 30_000, itag=2)[2] == b"short"
    assert get_lv(env, t, cm, 10, itag=3)[0] == C.JET_wrnColumnNull


def test_secondary_index_over_long_text(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cb = lv_table(env)
    err, ct = env.add_column(t, "title", C.JET_coltypLongText, cp=1252)
    assert err == 0
    assert lib.JetCreateIndex(ses, t, b"bytitle", 0, b"+title\0\0", 8, 100) == 0
    titles = {1: b"m" + b"x" * 30_000, 2: b"a" * 20_000, 3: b"z", 4: b"c" * 5000}
    for k, v in titles.items():
        assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == 0
        assert lib.JetSetColumn(ses, t, ck, struct.pack("<i", k), 4, 0, ffi.NULL) == 0
        assert set_lv(env, t, ct, v) == 0
        assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetSetCurrentIndex(ses, t, b"bytitle") == 0

    def order():
        out = []
        err = lib.JetMove(ses, t, C.JET_MoveFirst, 0)
        while err == 0:
            out.append(struct.unpack("<i", env.retrieve(t, ck)[1])[0])
            err = lib.JetMove(ses, t, C.JET_MoveNext, 0)
        return out
    assert order() == [2, 4, 1, 3]
    # changing a separated value moves its entry; deleting removes it
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert set_lv(env, t, ct, b"y" * 12_000) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert order() == [4, 1, 2, 3]
    assert lib.JetMove(ses, t, C.JET_MoveFirst, 0) == 0
    assert lib.JetDelete(ses, t) == 0
    assert order() == [1, 2, 3]


def test_long_values_survive_a_crash(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib, ffi = env.C, env.lib, env.ffi
    dbid, t, ck, cb = lv_table(env)
    committed = os.urandom(200_000)
    assert insert_lv(env, t, ck, cb, 1, committed) == 0
    # an unfinished transaction with a big value
    assert lib.JetBeginTransaction(env.ses) == 0
    assert insert_lv(env, t, ck, cb, 2, os.urandom(150_000)) == 0
    assert seek(env, t, 1) == 0
    assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepReplace) == 0
    assert set_lv(env, t, cb, b"Q" * 70_000, C.JET_bitSetOverwriteLV, ib=10) == 0
    assert lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    env2 = Env(jet, tmp_path)
    assert lib.JetAttachDatabase(env2.ses, str(tmp_path / "a.edb").encode(), 0) in (0, C.JET_wrnDatabaseAttached)
    pdb = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(env2.ses, str(tmp_path / "a.edb").encode(), ffi.NULL, pdb, 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(env2.ses, pdb[0], b"docs", ffi.NULL, 0, 0, pt) == 0
    t2 = pt[0]
    assert seek(env2, t2, 2) == C.JET_errRecordNotFound
    assert seek(env2, t2, 1) == 0
    assert get_lv(env2, t2, cb, 300_000)[1:] == (len(committed), committed)
    assert env2.term() == 0


def test_values_move_between_record_and_tree(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cb = lv_table(env)
    assert insert_lv(env, t, ck, cb, 1, b"s" * 50_000) == 0
    assert seek(env, t, 1) == 0
    # big -> small -> big -> small within one update, then small stored
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    for v in (b"tiny", b"b" * 30_000, b"x" * 20_000, b"end"):
        assert set_lv(env, t, cb, v) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert get_lv(env, t, cb, 100)[1:] == (3, b"end")
    # and back out to the tree
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert set_lv(env, t, cb, b"y" * 40_000, C.JET_bitSetAppendLV) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert get_lv(env, t, cb, 50_000)[2] == b"end" + b"y" * 40_000
    # JET_bitSetSeparateLV keeps even a small value out of the record; NULL removes it
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert set_lv(env, t, cb, b"small", C.JET_bitSetSeparateLV) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert get_lv(env, t, cb, 100)[2] == b"small"
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, cb, ffi.NULL, 0, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert get_lv(env, t, cb, 100)[0] == C.JET_wrnColumnNull


def test_megabytes_of_values_in_one_transaction(jet, tmp_path):
    """The default version store holds a transaction with 4 x 3 MB and 16 MB of long values:
    new chunks keep 8 bytes of undo information, not their bytes (lv.c L4).  A snapshot that
    began before their deletion still reads them whole (L5: the chunks stay until cleanup)."""
    env = Env(jet, tmp_path, LogFileSize=16384, CircularLog=1)
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cb = lv_table(env)
    vals = {k: hashlib.sha256(b"%d" % k).digest() * ((16 << 20 if k == 5 else 3 << 20) // 32) for k in range(1, 6)}
    assert lib.JetBeginTransaction(ses) == 0
    for k, v in vals.items():
        assert insert_lv(env, t, ck, cb, k, v) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    for k, v in vals.items():
        assert seek(env, t, k) == 0
        assert get_lv(env, t, cb, len(v) + 1) == (0, len(v), v)
    # the same again, rolled back: nothing of it remains
    assert lib.JetBeginTransaction(ses) == 0
    for k in range(11, 16):
        assert insert_lv(env, t, ck, cb, k, vals[k - 10]) == 0
    assert lib.JetRollback(ses, 0) == 0
    for k in range(11, 16):
        assert seek(env, t, k) == C.JET_errRecordNotFound
    # a second session's snapshot reads the values another one deletes
    p = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
    s2 = p[0]
    pdb = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(s2, str(tmp_path / "a.edb").encode(), ffi.NULL, pdb, 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(s2, pdb[0], b"docs", ffi.NULL, 0, 0, pt) == 0
    assert lib.JetBeginTransaction(s2) == 0
    assert lib.JetBeginTransaction(ses) == 0
    for k in vals:
        assert seek(env, t, k) == 0
        assert lib.JetDelete(ses, t) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    buf = ffi.new("char[]", 16 << 20)
    pcb = ffi.new("uint32_t *")
    for k, v in vals.items():
        assert lib.JetMakeKey(s2, pt[0], struct.pack("<i", k), 4, C.JET_bitNewKey) == 0
        assert lib.JetSeek(s2, pt[0], C.JET_bitSeekEQ) == 0
        assert lib.JetRetrieveColumn(s2, pt[0], cb, buf, 16 << 20, pcb, 0, ffi.NULL) == 0
        assert bytes(ffi.buffer(buf, pcb[0])) == v
    assert lib.JetCommitTransaction(s2, 0) == 0
    assert lib.JetMove(s2, pt[0], C.JET_MoveFirst, 0) == C.JET_errNoCurrentRecord
    assert lib.JetEndSession(s2, 0) == 0
    assert env.term() == 0
