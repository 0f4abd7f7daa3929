"""A database attached from another log stream never loses a commit (db.c
D5): its page lsns are positions of the log it was last attached to, which
may be ahead of the attaching instance's own log (a long log in instance A, a
fresh instance B; B's logs deleted and restarted; a restored or copied file).
Redo applies a record only to a page whose lsn is older, so without D5 a
change made in B to such a page is skipped by B's recovery.  Here instance A
fills a database until its log is several generations long, detaches it
cleanly, and a fresh instance B in another folder attaches it, commits
durable changes to existing pages and stops dirty (the unflushed pages are
lost, as in a crash); B's recovery must bring back every acknowledged
commit."""
import os
import shutil
import struct

import pytest

from test_database import Env, keys_of, make_kv, open_kv

ROWS = 1500


def filled_in_a(jet, folder_a, rows=ROWS):
    """A database a.edb in folder_a, written by an instance whose log reached
    a high generation, detached cleanly (JetTerm).  Returns (path, gen)."""
    env = Env(jet, folder_a, "A", LogFileSize=64)
    C = env.C
    dbid, t, ck, cv = make_kv(env)
    for k in range(rows):
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"a%05d" % k + b"." * 60)]) == 0
    # rewrite every row once more so that every page carries a late lsn
    assert env.lib.JetMove(env.ses, t, C.JET_MoveFirst, 0) == 0
    while True:
        assert env.lib.JetPrepareUpdate(env.ses, t, C.JET_prepReplace) == 0
        err, v = env.retrieve(t, cv)
        assert env.lib.JetSetColumn(env.ses, t, cv, v.upper(), len(v), 0, env.ffi.NULL) == 0
        assert env.lib.JetUpdate(env.ses, t, env.ffi.NULL, 0, env.ffi.NULL) == 0
        if env.lib.JetMove(env.ses, t, C.JET_MoveNext, 0) != 0:
            break
    assert env.term() == 0
    path = str(folder_a / "a.edb").encode()
    misc = env.ffi.new("JET_DBINFOMISC *")
    assert env.lib.JetGetDatabaseFileInfo(path, misc, env.ffi.sizeof(misc[0]), C.JET_DbInfoMisc) == 0
    assert misc.dbstate == C.JET_dbstateCleanShutdown
    return path, misc.lgposConsistent.lGeneration


def value(env, t, cv, k):
    C, lib, ffi = env.C, env.lib, env.ffi
    key = struct.pack("<i", k)
    assert lib.JetMakeKey(env.ses, t, key, len(key), C.JET_bitNewKey) == 0
    assert lib.JetSeek(env.ses, t, C.JET_bitSeekEQ) == 0
    return env.retrieve(t, cv)[1]


def column(env, t, name):
    cd = env.ffi.new("JET_COLUMNDEF *")
    assert env.lib.JetGetTableColumnInfo(env.ses, t, name, cd, env.ffi.sizeof(cd[0]), env.C.JET_ColInfo) == 0
    return cd.columnid


def change_in_b(env, path, keys, tag=b"b"):
    """Attach path in env's instance and commit (durably) one transaction
    per key that replaces its value; returns the values committed."""
    C, lib, ffi = env.C, env.lib, env.ffi
    assert lib.JetAttachDatabase(env.ses, path, 0) == 0
    t, ck = open_kv(env, path)
    cv = column(env, t, b"v")
    done = {}
    for k in keys:
        assert lib.JetBeginTransaction(env.ses) == 0
        key = struct.pack("<i", k)
        assert lib.JetMakeKey(env.ses, t, key, len(key), C.JET_bitNewKey) == 0
        assert lib.JetSeek(env.ses, t, C.JET_bitSeekEQ) == 0
        assert lib.JetPrepareUpdate(env.ses, t, C.JET_prepReplace) == 0
        v = tag + b"%05d" % k
        assert lib.JetSetColumn(env.ses, t, cv, v, len(v), 0, ffi.NULL) == 0
        assert lib.JetUpdate(env.ses, t, ffi.NULL, 0, ffi.NULL) == 0
        assert lib.JetCommitTransaction(env.ses, 0) == 0  # durable: acknowledged
        done[k] = v
    return done


def check_rows(jet, folder_b, path, done, name="check"):
    """JetInit in folder_b recovers; every acknowledged change is there."""
    env = Env(jet, folder_b, name)
    try:
        assert env.lib.JetAttachDatabase(env.ses, path, 0) == 0
        t, ck = open_kv(env, path)
        cv = column(env, t, b"v")
        assert keys_of(env, t, ck) == list(range(ROWS))
        lost = {k: value(env, t, cv, k) for k in done if value(env, t, cv, k) != done[k]}
        assert lost == {}, "acknowledged commits lost after recovery"
    finally:
        assert env.term() == 0


KEYS = list(range(0, ROWS, 37))


def test_attach_to_a_younger_log_keeps_every_commit(jet, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    path, gen = filled_in_a(jet, a)
    assert gen >= 4  # A's log is well ahead of a fresh one
    env = Env(jet, b, "B")
    done = change_in_b(env, path, KEYS)
    assert env.term(env.C.JET_bitTermDirty) == env.C.JET_errDirtyShutdown
    check_rows(jet, b, path, done)


def test_attach_after_own_logs_deleted_keeps_every_commit(jet, tmp_path):
    """The database's own instance, its logs deleted after a clean stop (a
    new stream restarting at generation 1)."""
    a = tmp_path / "a"
    a.mkdir()
    path, gen = filled_in_a(jet, a)
    for f in os.listdir(a):
        if f.endswith((".log", ".chk", ".jrs")):
            os.unlink(a / f)
    env = Env(jet, a, "A2")
    done = change_in_b(env, path, KEYS)
    assert env.term(env.C.JET_bitTermDirty) == env.C.JET_errDirtyShutdown
    check_rows(jet, a, path, done)


def test_attach_with_circular_logging_keeps_every_commit(jet, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    path, gen = filled_in_a(jet, a)
    env = Env(jet, b, "B", CircularLog=1)
    done = change_in_b(env, path, KEYS)
    assert env.term(env.C.JET_bitTermDirty) == env.C.JET_errDirtyShutdown
    check_rows(jet, b, path, done)


def test_copied_database_keeps_every_commit(jet, tmp_path):
    """A copy of a cleanly detached file, attached elsewhere."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    path, gen = filled_in_a(jet, a)
    copy = str(b / "copy.edb").encode()
    shutil.copyfile(path, copy)
    env = Env(jet, b, "B")
    done = change_in_b(env, copy, KEYS)
    assert env.term(env.C.JET_bitTermDirty) == env.C.JET_errDirtyShutdown
    check_rows(jet, b, copy, done)


def test_attach_to_an_instance_restored_from_a_backup_keeps_every_commit(jet, tmp_path):
    """B is an instance restored from a backup of its own (short) stream."""
    from test_restore import make_set, restore_ok
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    path, gen = filled_in_a(jet, a)
    live, bk = make_set(jet, tmp_path / "bset", rows=50, more=10, crash=False)
    b.mkdir()
    restore_ok(jet, b, bk)
    env = Env(jet, b, "B")
    done = change_in_b(env, path, KEYS)
    assert env.term(env.C.JET_bitTermDirty) == env.C.JET_errDirtyShutdown
    check_rows(jet, b, path, done)


def test_detach_without_a_log_keeps_the_bound(jet, tmp_path):
    """An instance without a log (recovery off) writes no log position into
    the header when it detaches the file (lsnConsistent 0), but the pages
    still carry A's lsns: the header's lsnPageMax keeps the bound (D5)."""
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for f in (a, b, c):
        f.mkdir()
    path, gen = filled_in_a(jet, a)
    env = Env(jet, c, "C", Recovery="off")
    assert env.lib.JetAttachDatabase(env.ses, path, 0) == 0
    assert env.term() == 0
    misc = env.ffi.new("JET_DBINFOMISC *")
    assert env.lib.JetGetDatabaseFileInfo(path, misc, env.ffi.sizeof(misc[0]), env.C.JET_DbInfoMisc) == 0
    assert misc.lgposConsistent.lGeneration == 0
    env = Env(jet, b, "B")
    done = change_in_b(env, path, KEYS)
    assert env.term(env.C.JET_bitTermDirty) == env.C.JET_errDirtyShutdown
    check_rows(jet, b, path, done)


def _drop_recorded_bound(path):
    """Zero the header's lsnPageMax (offset 296) in both copies, as a build
    that predates it writes the header."""
    from esepy import inspection
    with open(path, "r+b") as f:
        for base in (0, 4096):
            f.seek(base)
            block = bytearray(f.read(4096))
            block[296:304] = bytes(8)
            struct.pack_into("<I", block, 0, inspection.crc32c(bytes(block[4:]), 0))
            f.seek(base)
            f.write(block)


def test_file_of_an_older_build_keeps_every_commit(jet, tmp_path):
    """A file whose header records no lsnPageMax (older builds) is bounded by
    its lsnConsistent."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    path, gen = filled_in_a(jet, a)
    _drop_recorded_bound(path)
    env = Env(jet, b, "B")
    done = change_in_b(env, path, KEYS)
    assert env.term(env.C.JET_bitTermDirty) == env.C.JET_errDirtyShutdown
    check_rows(jet, b, path, done)


def test_reattach_to_its_own_stream_rewrites_nothing(jet, tmp_path):
    """The usual case costs nothing: a file attached again to the stream it
    was detached from (whose log is past every page lsn) has no page
    rewritten by the attach."""
    a = tmp_path / "a"
    a.mkdir()
    path, gen = filled_in_a(jet, a, rows=200)
    before = open(path, "rb").read()
    env = Env(jet, a, "A2")
    assert env.lib.JetAttachDatabase(env.ses, path, 0) == 0
    after = open(path, "rb").read()
    assert env.term() == 0
    assert after[8192:] == before[8192:]  # data pages untouched


def test_attach_to_a_younger_log_rewrites_page_lsns_below_it(jet, tmp_path):
    """After the attach to a younger stream no page lsn is at or above the
    attach position (D5), and the header records the new bound."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    path, gen = filled_in_a(jet, a, rows=200)
    env = Env(jet, b, "B")
    assert env.lib.JetAttachDatabase(env.ses, path, 0) == 0
    data = open(path, "rb").read()
    hdr_attach = struct.unpack_from("<Q", data, 96)[0]
    assert hdr_attach >> 32 < gen
    lsns = [struct.unpack_from("<Q", data, off + 8)[0] for off in range(8192, len(data), 4096)]
    assert max(lsns) < hdr_attach
    assert hdr_attach <= struct.unpack_from("<Q", data, 296)[0] < gen << 32  # B's bound now
    assert env.term() == 0
