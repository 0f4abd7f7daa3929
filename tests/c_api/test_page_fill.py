"""Random inserts redistribute full leaves into their siblings (csrc/btree/redist.c):
rows stay in order, bookmarks and other sessions' cursors still find their rows
across the moves, deletes and scans agree with a model, and recovery replays it."""
import random
import struct

from test_database import Env, keys_of, make_kv, open_kv


def seek(env, ses, t, k, grbit):
    C, ffi = env.C, env.ffi
    assert env.lib.JetMakeKey(ses, t, struct.pack("<i", k), 4, C.JET_bitNewKey) == 0
    return env.lib.JetSeek(ses, t, grbit)


def key_at(env, ses, t, ck):
    buf = env.ffi.new("char[]", 8)
    pcb = env.ffi.new("uint32_t *")
    assert env.lib.JetRetrieveColumn(ses, t, ck, buf, 8, pcb, 0, env.ffi.NULL) == 0
    return struct.unpack("<i", bytes(env.ffi.buffer(buf, pcb[0])))[0]


def other_session_cursor(env, path):
    ffi, lib = env.ffi, env.lib
    p = ffi.new("JET_SESID *")
    assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
    ses = p[0]
    pdbid = ffi.new("JET_DBID *")
    assert lib.JetOpenDatabase(ses, path, ffi.NULL, pdbid, 0) == 0
    pt = ffi.new("JET_TABLEID *")
    assert lib.JetOpenTable(ses, pdbid[0], b"kv", ffi.NULL, 0, 0, pt) == 0
    return ses, pt[0]


def test_random_inserts_deletes_cursors_bookmarks_recovery(jet, tmp_path):
    env = Env(jet, tmp_path)
    C, lib, ffi = env.C, env.lib, env.ffi
    dbid, t, ck, cv = make_kv(env)
    path = str(tmp_path / "a.edb").encode()
    rnd = random.Random(20)
    keys = list(range(0, 12000, 3))
    rnd.shuffle(keys)
    value = b"v" * 100
    live = set()

    def insert(k):
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, value)]) == 0
        live.add(k)

    for k in keys[:400]:
        insert(k)
    # Bookmarks of rows inserted early: their leaves fill and give rows away.
    marks = {}
    for k in keys[:400:8]:
        assert seek(env, env.ses, t, k, C.JET_bitSeekEQ) == 0
        bm = ffi.new("char[]", 256)
        cb = ffi.new("uint32_t *")
        assert lib.JetGetBookmark(env.ses, t, bm, 256, cb) == 0
        marks[k] = bytes(ffi.buffer(bm, cb[0]))
    # Another session's cursor, moved by one row after every batch of
    # inserts, must see the next row of the current contents.
    ses2, t2 = other_session_cursor(env, path)
    assert lib.JetMove(ses2, t2, C.JET_MoveFirst, 0) == 0
    pos = key_at(env, ses2, t2, ck)
    assert pos == min(live)
    for b in range(400, len(keys), 100):
        assert lib.JetBeginTransaction(env.ses) == 0
        for k in keys[b:b + 100]:
            insert(k)
        assert lib.JetCommitTransaction(env.ses, C.JET_bitCommitLazyFlush) == 0
        later = sorted(x for x in live if x > pos)
        if not later:
            break
        assert lib.JetMove(ses2, t2, C.JET_MoveNext, 0) == 0
        pos = key_at(env, ses2, t2, ck)
        assert pos == later[0]
        if b % 700 == 0:   # and backwards: the row before it
            assert lib.JetMove(ses2, t2, C.JET_MovePrevious, 0) == 0
            assert key_at(env, ses2, t2, ck) == max(x for x in live if x < pos)
            assert lib.JetMove(ses2, t2, C.JET_MoveNext, 0) == 0
    for k, bm in marks.items():
        assert lib.JetGotoBookmark(env.ses, t, bm, len(bm)) == 0
        assert key_at(env, env.ses, t, ck) == k
    assert keys_of(env, t, ck) == sorted(live)

    # Deletes (merges) and more inserts (redistributions) mixed.
    for i, k in enumerate(rnd.sample(sorted(live), len(live) // 3)):
        assert seek(env, env.ses, t, k, C.JET_bitSeekEQ) == 0
        assert lib.JetDelete(env.ses, t) == 0
        live.discard(k)
        if i % 3 == 0:
            insert(k + 1)
    assert keys_of(env, t, ck) == sorted(live)
    assert lib.JetMove(env.ses, t, C.JET_MoveLast, 0) == 0
    back = []
    while True:
        back.append(key_at(env, env.ses, t, ck))
        if lib.JetMove(env.ses, t, C.JET_MovePrevious, 0) != 0:
            break
    assert back == sorted(live, reverse=True)
    assert lib.JetEndSession(ses2, 0) == 0

    # Crash and recover: the log replays every redistribution.
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    env2 = Env(jet, tmp_path, "again")
    try:
        assert lib.JetAttachDatabase(env2.ses, path, 0) == 0
        t, ck = open_kv(env2, path)
        assert keys_of(env2, t, ck) == sorted(live)
    finally:
        assert env2.term() == 0
