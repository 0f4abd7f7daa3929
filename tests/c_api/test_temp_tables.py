"""Temporary tables through the C API (cffi): JetOpenTempTable* and
JetOpenTemporaryTable* (sort order over ascending, descending, text and
multi-column keys, duplicates kept / dropped / refused, insertion order
without a key, seeks and index ranges on the key, long values), the
temporary database's life cycle (created on first use, deleted at JetTerm,
a stale one replaced at JetInit, invisible to backups, survives nothing),
JET_paramMaxTemporaryTables, transactions, sorts far larger than the cache,
and the list info levels built on temporary tables (JET_ColInfoList,
JET_IdxInfoList)."""
import os
import random
import signal
import struct
import subprocess
import sys
import textwrap

import pytest

from test_database import Env, env, keys_of, make_kv, open_kv  # noqa: F401  (fixture)

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def I(v):  # noqa: E743
    return struct.pack("<i", v)


class Temp:
    """A temporary table opened through one of the open functions."""

    def __init__(self, env, cols, grbit=0, how="v1", cbKeyMost=0, mapflags=None):
        """cols: (coltyp, grbit[, cp]) per column."""
        self.env, self.lib, self.ffi, self.C, self.ses = env, env.lib, env.ffi, env.C, env.ses
        ffi, C = self.ffi, self.C
        n = len(cols)
        self.defs = ffi.new("JET_COLUMNDEF[]", n)
        for i, c in enumerate(cols):
            d = self.defs[i]
            d.cbStruct = ffi.sizeof("JET_COLUMNDEF")
            d.coltyp = c[0]
            d.grbit = c[1]
            d.cp = c[2] if len(c) > 2 else (1252 if c[0] in (C.JET_coltypText, C.JET_coltypLongText) else 0)
        self.ids = ffi.new("JET_COLUMNID[]", n)
        pt = ffi.new("JET_TABLEID *")
        if how == "v1":
            self.err = self.lib.JetOpenTempTable(self.ses, self.defs, n, grbit, pt, self.ids)
        elif how == "v2":
            self.err = self.lib.JetOpenTempTable2(self.ses, self.defs, n, 0x409, grbit, pt, self.ids)
        elif how == "v3":
            ui = ffi.new("JET_UNICODEINDEX *", {"lcid": 0x409, "dwMapFlags": 1 if mapflags is None else mapflags})
            self.err = self.lib.JetOpenTempTable3(self.ses, self.defs, n, ui, grbit, pt, self.ids)
        else:
            ot = ffi.new("JET_OPENTEMPORARYTABLE *")
            ot.cbStruct = ffi.sizeof("JET_OPENTEMPORARYTABLE")
            ot.prgcolumndef = self.defs
            ot.ccolumn = n
            ot.grbit = grbit
            ot.prgcolumnid = self.ids
            ot.cbKeyMost = cbKeyMost
            self.err = self.lib.JetOpenTemporaryTable(self.ses, ot)
            pt[0] = ot.tableid
        self.t = pt[0]

    def insert(self, *values):
        lib, ses, t, ffi = self.lib, self.ses, self.t, self.ffi
        assert lib.JetPrepareUpdate(ses, t, self.C.JET_prepInsert) == 0
        for i, v in enumerate(values):
            if v is not None:
                assert lib.JetSetColumn(ses, t, self.ids[i], v, len(v), 0, ffi.NULL) == 0
        err = lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL)
        if err < 0:
            lib.JetPrepareUpdate(ses, t, self.C.JET_prepCancel)
        return err

    def col(self, i, cb=256):
        buf = self.ffi.new("char[]", cb)
        pcb = self.ffi.new("uint32_t *")
        err = self.lib.JetRetrieveColumn(self.ses, self.t, self.ids[i], buf, cb, pcb, 0, self.ffi.NULL)
        if err == self.C.JET_wrnColumnNull:
            return None
        assert err >= 0, self.env.jet.err_name(err)
        return bytes(self.ffi.buffer(buf, min(pcb[0], cb)))

    def rows(self, *cols, first=True):
        """Every row from the current position (JET_MoveFirst first), as tuples of columns."""
        lib, C = self.lib, self.C
        out = []
        err = lib.JetMove(self.ses, self.t, C.JET_MoveFirst, 0) if first else 0
        while err == 0:
            out.append(tuple(self.col(i) for i in cols))
            err = lib.JetMove(self.ses, self.t, C.JET_MoveNext, 0)
        assert err == C.JET_errNoCurrentRecord
        return out

    def close(self):
        return self.lib.JetCloseTable(self.ses, self.t)


def ints(rows):
    return [struct.unpack("<i", r[0])[0] for r in rows]


# ---- sorting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["v1", "v2", "v3", "struct"])
def test_sorts_random_ints_keeping_duplicates(env, how):
    C = env.C
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey), (C.JET_coltypLong, 0)], how=how)
    assert tt.err == 0, env.jet.err_name(tt.err)
    rnd = random.Random(5)
    vals = [rnd.randrange(-500, 500) for _ in range(1500)]
    for seq, v in enumerate(vals):
        assert tt.insert(I(v), I(seq)) == 0
    rows = tt.rows(0, 1)
    assert ints(rows) == sorted(vals)
    # duplicates keep their insertion order
    seqs = [struct.unpack("<i", r[1])[0] for r in rows]
    assert sorted(zip(vals, range(len(vals)))) == list(zip(ints(rows), seqs))
    assert tt.close() == 0


def test_descending_and_multi_column_keys(env):
    C = env.C
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey),
                    (C.JET_coltypLong, C.JET_bitColumnTTKey | C.JET_bitColumnTTDescending),
                    (C.JET_coltypText, 0)])
    assert tt.err == 0
    rnd = random.Random(7)
    data = [(rnd.randrange(10), rnd.randrange(-1000, 1000)) for _ in range(800)]
    for a, b in data:
        assert tt.insert(I(a), I(b), f"{a}/{b}".encode()) == 0
    got = [(struct.unpack("<i", x)[0], struct.unpack("<i", y)[0]) for x, y in tt.rows(0, 1)]
    assert got == sorted(data, key=lambda p: (p[0], -p[1]))
    assert tt.close() == 0


def test_text_keys_sort_case_insensitively(env):
    C = env.C
    tt = Temp(env, [(C.JET_coltypText, C.JET_bitColumnTTKey), (C.JET_coltypLong, 0)])
    assert tt.err == 0
    rnd = random.Random(11)
    words = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randrange(1, 12)))
             for _ in range(600)]
    words = [w.upper() if i % 3 == 0 else w for i, w in enumerate(words)]
    for i, w in enumerate(words):
        assert tt.insert(w.encode(), I(i)) == 0
    got = [r[0].decode() for r in tt.rows(0)]
    assert [w.lower() for w in got] == sorted(w.lower() for w in words)
    assert tt.close() == 0
    # Case-sensitive (ordinal) text keys through JET_UNICODEINDEX without NORM_IGNORECASE
    tt = Temp(env, [(C.JET_coltypText, C.JET_bitColumnTTKey)], how="v3", mapflags=0)
    assert tt.err == 0
    for w in ("b", "B", "a", "A"):
        assert tt.insert(w.encode()) == 0
    assert [r[0] for r in tt.rows(0)] == [b"A", b"B", b"a", b"b"]
    assert tt.close() == 0


def test_descending_text_and_nulls(env):
    C = env.C
    tt = Temp(env, [(C.JET_coltypText, C.JET_bitColumnTTKey | C.JET_bitColumnTTDescending)])
    assert tt.err == 0
    for w in (b"pear", None, b"apple", b"zebra", b"mango"):
        assert tt.insert(w) == 0
    assert [r[0] for r in tt.rows(0)] == [b"zebra", b"pear", b"mango", b"apple", None]
    assert tt.close() == 0
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)], grbit=C.JET_bitTTSortNullsHigh)
    assert tt.err == 0
    for v in (I(3), None, I(1)):
        assert tt.insert(v) == 0
    assert [r[0] for r in tt.rows(0)] == [I(1), I(3), None]
    assert tt.close() == 0


def test_no_key_columns_keeps_insertion_order(env):
    C = env.C
    tt = Temp(env, [(C.JET_coltypLong, 0), (C.JET_coltypText, 0)])
    assert tt.err == 0
    vals = [random.Random(3).randrange(1000) for _ in range(300)]
    for v in vals:
        assert tt.insert(I(v)) == 0
    assert ints(tt.rows(0)) == vals
    assert tt.close() == 0


# ---- duplicates -------------------------------------------------------------------------------


def test_unique_drops_duplicates_first_wins(env):
    C = env.C
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey), (C.JET_coltypText, 0)],
              grbit=C.JET_bitTTUnique | C.JET_bitTTIndexed)
    assert tt.err == 0
    for k, v in ((2, b"first2"), (1, b"first1"), (2, b"second2"), (1, b"second1"), (3, b"only3")):
        assert tt.insert(I(k), v) == 0
    assert tt.rows(0, 1) == [(I(1), b"first1"), (I(2), b"first2"), (I(3), b"only3")]
    assert tt.close() == 0


def test_unique_with_error_on_duplicate(env):
    C = env.C
    assert C.JET_bitTTErrorOnDuplicateInsertion == C.JET_bitTTForceMaterialization == 0x20
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey), (C.JET_coltypText, 0)],
              grbit=C.JET_bitTTUnique | C.JET_bitTTErrorOnDuplicateInsertion)
    assert tt.err == 0
    assert tt.insert(I(1), b"a") == 0
    assert tt.insert(I(1), b"b") == C.JET_errKeyDuplicate
    assert tt.insert(I(2), b"c") == 0
    assert tt.rows(0, 1) == [(I(1), b"a"), (I(2), b"c")]
    assert tt.close() == 0


def test_grbit_values_and_unknown_bits(env):
    C = env.C
    assert (C.JET_bitTTIndexed, C.JET_bitTTUnique, C.JET_bitTTUpdatable, C.JET_bitTTScrollable,
            C.JET_bitTTSortNullsHigh, C.JET_bitTTForwardOnly, C.JET_bitTTIntrinsicLVsOnly,
            C.JET_bitTTDotNetGuid) == (1, 2, 4, 8, 0x10, 0x40, 0x80, 0x100)
    assert (C.JET_bitColumnTTKey, C.JET_bitColumnTTDescending) == (0x40, 0x80)
    every = 0x1FF
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)], grbit=every)
    assert tt.err == 0 and tt.close() == 0
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)], grbit=0x10000)
    assert tt.err == C.JET_errInvalidGrbit
    ot = env.ffi.new("JET_OPENTEMPORARYTABLE *")
    ot.cbStruct = 12
    assert env.lib.JetOpenTemporaryTable(env.ses, ot) == C.JET_errInvalidParameter
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)], how="struct", cbKeyMost=10)
    assert tt.err == C.JET_errInvalidParameter


# ---- seeks, ranges, bookmarks, updates, long values ---------------------------------------------


def test_seek_and_index_range_on_the_key(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey), (C.JET_coltypLong, 0)], grbit=C.JET_bitTTIndexed)
    assert tt.err == 0
    for k in range(0, 200, 2):
        assert tt.insert(I(k), I(k * 10)) == 0
    t = tt.t
    assert lib.JetMakeKey(ses, t, I(50), 4, C.JET_bitNewKey) == 0
    assert lib.JetSeek(ses, t, C.JET_bitSeekEQ) == 0
    assert tt.col(1) == I(500)
    assert lib.JetMakeKey(ses, t, I(51), 4, C.JET_bitNewKey) == 0
    assert lib.JetSeek(ses, t, C.JET_bitSeekEQ) == C.JET_errRecordNotFound
    assert lib.JetMakeKey(ses, t, I(51), 4, C.JET_bitNewKey) == 0
    assert lib.JetSeek(ses, t, C.JET_bitSeekGE) == C.JET_wrnSeekNotEqual
    assert tt.col(0) == I(52)
    bm = ffi.new("char[]", 256)
    pcb = ffi.new("uint32_t *")
    assert lib.JetGetBookmark(ses, t, bm, 256, pcb) == 0
    # range [52, 60]
    assert lib.JetMakeKey(ses, t, I(60), 4, C.JET_bitNewKey) == 0
    assert lib.JetSetIndexRange(ses, t, C.JET_bitRangeInclusive | C.JET_bitRangeUpperLimit) == 0
    assert ints(tt.rows(0, first=False)) == [52, 54, 56, 58, 60]
    assert lib.JetGotoBookmark(ses, t, bm, pcb[0]) == 0
    assert tt.col(0) == I(52)
    # replace a non-key column, delete a record
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepReplace) == 0
    assert lib.JetSetColumn(ses, t, tt.ids[1], I(-1), 4, 0, ffi.NULL) == 0
    assert lib.JetUpdate(ses, t, ffi.NULL, 0, ffi.NULL) == 0
    assert lib.JetDelete(ses, t) == 0
    keys = ints(tt.rows(0))
    assert 52 not in keys and len(keys) == 99
    assert tt.close() == 0


def test_long_values(env):
    C = env.C
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey), (C.JET_coltypLongBinary, 0),
                    (C.JET_coltypLongText, 0)])
    assert tt.err == 0
    blobs = {k: os.urandom(1000 * k + 7) for k in (30, 5, 100, 1)}
    for k, b in blobs.items():
        assert tt.insert(I(k), b, ("t%d" % k).encode() * 3000) == 0
    got = []
    err = env.lib.JetMove(env.ses, tt.t, C.JET_MoveFirst, 0)
    while err == 0:
        k = struct.unpack("<i", tt.col(0))[0]
        assert tt.col(1, cb=200000) == blobs[k]
        assert tt.col(2, cb=2000000) == ("t%d" % k).encode() * 3000
        got.append(k)
        err = env.lib.JetMove(env.ses, tt.t, C.JET_MoveNext, 0)
    assert got == sorted(blobs)
    assert tt.close() == 0


def test_table_info_and_refused_ddl(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
    assert tt.err == 0
    dbid = ffi.new("JET_DBID *")
    assert lib.JetGetTableInfo(ses, tt.t, dbid, ffi.sizeof("JET_DBID"), C.JET_TblInfoDbid) == 0
    name = ffi.new("char[]", 64)
    assert lib.JetGetTableInfo(ses, tt.t, name, 64, C.JET_TblInfoName) == 0
    assert lib.JetDeleteTable(ses, dbid[0], name) == C.JET_errCannotDeleteTempTable
    cd = ffi.new("JET_COLUMNDEF *", {"cbStruct": ffi.sizeof("JET_COLUMNDEF"), "coltyp": C.JET_coltypLong})
    assert lib.JetAddColumn(ses, tt.t, b"x", cd, ffi.NULL, 0, ffi.new("JET_COLUMNID *")) == \
        C.JET_errIllegalOperation
    assert lib.JetCreateIndex(ses, tt.t, b"i", 0, b"+Column1\0\0", 10, 100) == C.JET_errIllegalOperation
    assert lib.JetDeleteColumn(ses, tt.t, b"Column1") == C.JET_errIllegalOperation
    col = ffi.new("JET_COLUMNDEF *")
    assert lib.JetGetTableColumnInfo(ses, tt.t, b"Column1", col, ffi.sizeof("JET_COLUMNDEF"), C.JET_ColInfo) == 0
    assert col.columnid == tt.ids[0] and col.coltyp == C.JET_coltypLong
    assert col.grbit & C.JET_bitColumnTTKey
    assert tt.close() == 0
    assert tt.close() == C.JET_errInvalidTableId


# ---- transactions ------------------------------------------------------------------------------


def test_rollback_undoes_inserts_and_closes_tables_opened_inside(env):
    C, lib, ses = env.C, env.lib, env.ses
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
    assert tt.err == 0
    assert tt.insert(I(1)) == 0
    assert lib.JetBeginTransaction(ses) == 0
    assert tt.insert(I(2)) == 0
    assert ints(tt.rows(0)) == [1, 2]
    inner = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
    assert inner.err == 0 and inner.insert(I(9)) == 0
    assert lib.JetRollback(ses, 0) == 0
    assert ints(tt.rows(0)) == [1]
    assert inner.close() == C.JET_errInvalidTableId  # closed by the rollback (as ESENT)
    # committed inside a transaction: stays
    assert lib.JetBeginTransaction(ses) == 0
    kept = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
    assert kept.insert(I(4)) == 0
    assert lib.JetCommitTransaction(ses, 0) == 0
    assert ints(kept.rows(0)) == [4]
    # closed inside a transaction that then rolls back: nothing to undo
    assert lib.JetBeginTransaction(ses) == 0
    assert kept.insert(I(5)) == 0
    assert kept.close() == 0
    assert lib.JetRollback(ses, 0) == 0
    assert tt.close() == 0


# ---- the temporary database ---------------------------------------------------------------------


def test_temp_db_created_on_use_and_deleted_at_term(jet, tmp_path):
    env = Env(jet, tmp_path)
    C = env.C
    path = tmp_path / "tmp.edb"
    try:
        assert not path.exists()
        tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
        assert tt.err == 0
        assert path.exists()
        for k in range(2000):
            assert tt.insert(I(k)) == 0
        assert tt.close() == 0
        # closing the table frees its pages for the next one: the file does not grow
        size = path.stat().st_size
        for _ in range(3):
            tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
            for k in range(2000):
                assert tt.insert(I(k)) == 0
            assert tt.close() == 0
        assert path.stat().st_size <= size * 2
        tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])  # left open at JetTerm
        assert tt.err == 0
    finally:
        assert env.term() == 0
    assert not path.exists()


def test_temp_path_as_file_name(jet, tmp_path):
    env = Env(jet, tmp_path)
    try:
        pass
    finally:
        env.term()
    env = Env(jet, tmp_path, TempPath=str(tmp_path / "scratch.edb"))
    C = env.C
    try:
        tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
        assert tt.err == 0
        assert (tmp_path / "scratch.edb").exists() and not (tmp_path / "tmp.edb").exists()
    finally:
        assert env.term() == 0
    assert not (tmp_path / "scratch.edb").exists()


def test_stale_temp_db_is_replaced_at_init(jet, tmp_path):
    path = tmp_path / "tmp.edb"
    path.write_bytes(b"stale" * 5000)
    env = Env(jet, tmp_path)
    C = env.C
    try:
        assert not path.exists()
        tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
        assert tt.err == 0 and tt.insert(I(1)) == 0
        assert ints(tt.rows(0)) == [1]
        assert path.read_bytes()[:5] != b"stale"
    finally:
        assert env.term() == 0


def test_max_temporary_tables(jet, tmp_path):
    (tmp_path / "none").mkdir()
    (tmp_path / "two").mkdir()
    env = Env(jet, tmp_path / "none", MaxTemporaryTables=0)
    C = env.C
    try:
        tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
        assert tt.err == C.JET_errTooManySorts
        assert not (tmp_path / "none" / "tmp.edb").exists()
    finally:
        assert env.term() == 0
    env = Env(jet, tmp_path / "two", MaxTemporaryTables=2)
    try:
        a = Temp(env, [(C.JET_coltypLong, 0)])
        b = Temp(env, [(C.JET_coltypLong, 0)])
        assert a.err == 0 and b.err == 0
        c = Temp(env, [(C.JET_coltypLong, 0)])
        assert c.err == C.JET_errTooManySorts
        assert a.close() == 0
        c = Temp(env, [(C.JET_coltypLong, 0)])
        assert c.err == 0
    finally:
        assert env.term() == 0


def test_sort_much_larger_than_the_cache(tmp_path):
    # JET_paramCacheSizeMax is process-wide: a fresh process, so no later test inherits it.
    child = textwrap.dedent(f"""
        import pathlib, random, struct, sys
        sys.path.insert(0, {TESTS!r}); sys.path.insert(0, {os.path.join(TESTS, 'c_api')!r})
        import jetffi
        from test_database import Env
        from test_temp_tables import Temp, ints
        jet = jetffi.load()
        folder = pathlib.Path({str(tmp_path)!r})
        env = Env(jet, folder, CacheSizeMax=64)  # 64 pages
        C = env.C
        try:
            tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey), (C.JET_coltypBinary, 0)])
            assert tt.err == 0
            rnd = random.Random(13)
            vals = [rnd.randrange(1 << 30) for _ in range(20000)]
            pad = b"p" * 200
            for v in vals:
                assert tt.insert(struct.pack("<i", v), pad) == 0
            size = (folder / "tmp.edb").stat().st_size
            assert size > 64 * 32768, size  # larger than the cache at any page size
            assert ints(tt.rows(0)) == sorted(vals)
            assert tt.close() == 0
        finally:
            assert env.term() == 0
        print("sorted", flush=True)
    """)
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "sorted" in proc.stdout, proc.stdout + proc.stderr


def test_backup_and_restore_ignore_the_temp_db(jet, tmp_path):
    from test_backup import backup, kv_env, reopen_keys, restore
    env = kv_env(jet, tmp_path / "live", rows=50)
    C = env.C
    try:
        tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
        assert tt.err == 0
        for k in range(500):
            assert tt.insert(I(k)) == 0
        bk = tmp_path / "bk"
        bk.mkdir()
        assert backup(env, bk) == 0
        assert "tmp.edb" not in os.listdir(bk)
        assert ints(tt.rows(0)) == list(range(500))
    finally:
        assert env.term() == 0
    err, inst = restore(jet, tmp_path / "r", bk, tmp_path / "dest", CreatePathIfNotExist=1)
    assert err == 0, jet.err_name(err)
    jet.lib.JetTerm(inst)
    assert reopen_keys(jet, tmp_path / "r", tmp_path / "dest" / "a.edb") == list(range(50))


def test_killed_process_with_open_temp_table(jet, tmp_path):
    folder = tmp_path / "crash"
    folder.mkdir()
    child = textwrap.dedent(f"""
        import os, pathlib, signal, struct, sys
        sys.path.insert(0, {TESTS!r}); sys.path.insert(0, {os.path.join(TESTS, 'c_api')!r})
        import jetffi
        from test_database import Env, make_kv
        from test_temp_tables import Temp
        jet = jetffi.load()
        env = Env(jet, pathlib.Path({str(folder)!r}))
        C = env.C
        dbid, t, ck, cv = make_kv(env)
        for k in range(100):
            assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"v")]) == 0
        tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
        assert tt.err == 0
        for k in range(3000):
            assert tt.insert(struct.pack("<i", k)) == 0
        print("ready", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "ready" in proc.stdout
    assert (folder / "tmp.edb").exists()  # the stale scratch file
    env = Env(jet, folder, "after")
    try:
        assert not (folder / "tmp.edb").exists()  # removed by JetInit
        path = str(folder / "a.edb").encode()
        assert env.lib.JetAttachDatabase(env.ses, path, 0) == 0
        t, ck = open_kv(env, path)
        assert keys_of(env, t, ck) == list(range(100))
        tt = Temp(env, [(env.C.JET_coltypLong, env.C.JET_bitColumnTTKey)])
        assert tt.err == 0 and tt.insert(I(1)) == 0
    finally:
        assert env.term() == 0


# ---- list info levels ---------------------------------------------------------------------------


def retrieve(env, t, colid, cb=512):
    buf = env.ffi.new("char[]", cb)
    pcb = env.ffi.new("uint32_t *")
    err = env.lib.JetRetrieveColumn(env.ses, t, colid, buf, cb, pcb, 0, env.ffi.NULL)
    if err == env.C.JET_wrnColumnNull:
        return None
    assert err >= 0
    return bytes(env.ffi.buffer(buf, pcb[0]))


def u32(b):
    return struct.unpack("<I", b)[0]


def u16(b):
    return struct.unpack("<H", b)[0]


def list_rows(env, t, fields):
    """Rows of a list table from its current (first) record: dicts of the fields."""
    out = []
    err = 0
    while err == 0:
        out.append({k: retrieve(env, t, c) for k, c in fields.items()})
        err = env.lib.JetMove(env.ses, t, env.C.JET_MoveNext, 0)
    assert err == env.C.JET_errNoCurrentRecord
    return out


def described_table(env):
    C, lib, ses = env.C, env.lib, env.ses
    err, dbid = env.create_db()
    assert err == 0
    err, t = env.create_table(dbid, "people")
    assert err == 0
    ids = {}
    ids["zip"] = env.add_column(t, "zip", C.JET_coltypLong)[1]
    ids["name"] = env.add_column(t, "name", C.JET_coltypText, cbMax=80, cp=1252)[1]
    ids["age"] = env.add_column(t, "age", C.JET_coltypShort)[1]
    ids["notes"] = env.add_column(t, "notes", C.JET_coltypLongText, cp=1200)[1]
    assert lib.JetCreateIndex(ses, t, b"pk", C.JET_bitIndexPrimary, b"+zip\0\0", 6, 100) == 0
    assert lib.JetCreateIndex(ses, t, b"byname", 0, b"+name\0-age\0\0", 12, 100) == 0
    return dbid, t, ids


def test_column_list(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ids = described_table(env)
    for level, order in ((C.JET_ColInfoList, sorted(ids)),
                         (C.JET_ColInfoListSortColumnid, sorted(ids, key=ids.get)),
                         (C.JET_ColInfoListCompact, sorted(ids))):
        cl = ffi.new("JET_COLUMNLIST *")
        cl.cbStruct = ffi.sizeof("JET_COLUMNLIST")
        assert lib.JetGetTableColumnInfo(ses, t, ffi.NULL, cl, ffi.sizeof("JET_COLUMNLIST"), level) == 0
        assert cl.cbStruct == ffi.sizeof("JET_COLUMNLIST") and cl.cRecord == 4
        rows = list_rows(env, cl.tableid, {"name": cl.columnidcolumnname, "id": cl.columnidcolumnid,
                                           "typ": cl.columnidcoltyp, "cbMax": cl.columnidcbMax,
                                           "cp": cl.columnidCp, "grbit": cl.columnidgrbit,
                                           "base": cl.columnidBaseTableName, "order": cl.columnidPresentationOrder})
        assert [r["name"].decode() for r in rows] == order
        for r in rows:
            col = ffi.new("JET_COLUMNDEF *")
            assert lib.JetGetTableColumnInfo(ses, t, r["name"], col, ffi.sizeof("JET_COLUMNDEF"), C.JET_ColInfo) == 0
            assert (u32(r["id"]), u32(r["typ"]), u32(r["cbMax"]), u16(r["cp"]), u32(r["grbit"])) == \
                (col.columnid, col.coltyp, col.cbMax, col.cp, col.grbit)
            assert r["base"] == (None if level == C.JET_ColInfoListCompact else b"people")
        assert lib.JetCloseTable(ses, cl.tableid) == 0
    # JetGetColumnInfo by name, on a table nobody has open
    assert lib.JetCloseTable(ses, t) == 0
    cl = ffi.new("JET_COLUMNLIST *")
    assert lib.JetGetColumnInfo(ses, dbid, b"people", ffi.NULL, cl, ffi.sizeof("JET_COLUMNLIST"),
                                C.JET_ColInfoList) == 0
    assert cl.cRecord == 4
    assert retrieve(env, cl.tableid, cl.columnidcolumnname) == b"age"
    assert lib.JetCloseTable(ses, cl.tableid) == 0
    assert lib.JetGetColumnInfo(ses, dbid, b"people", ffi.NULL, cl, 8, C.JET_ColInfoList) == C.JET_errBufferTooSmall


def test_index_list(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ids = described_table(env)
    il = ffi.new("JET_INDEXLIST *")
    assert lib.JetGetTableIndexInfo(ses, t, ffi.NULL, il, ffi.sizeof("JET_INDEXLIST"), C.JET_IdxInfoList) == 0
    assert il.cbStruct == ffi.sizeof("JET_INDEXLIST") and il.cRecord == 3
    fields = {"idx": il.columnidindexname, "grbit": il.columnidgrbitIndex, "ccol": il.columnidcColumn,
              "icol": il.columnidiColumn, "colid": il.columnidcolumnid, "typ": il.columnidcoltyp,
              "gcol": il.columnidgrbitColumn, "name": il.columnidcolumnname, "lcmap": il.columnidLCMapFlags}
    rows = list_rows(env, il.tableid, fields)
    got = [(r["idx"], u32(r["icol"]), u32(r["ccol"]), r["name"], u32(r["colid"]), u32(r["typ"]), u32(r["gcol"]))
           for r in rows]
    assert got == [
        (b"byname", 0, 2, b"name", ids["name"], C.JET_coltypText, C.JET_bitKeyAscending),
        (b"byname", 1, 2, b"age", ids["age"], C.JET_coltypShort, C.JET_bitKeyDescending),
        (b"pk", 0, 1, b"zip", ids["zip"], C.JET_coltypLong, C.JET_bitKeyAscending),
    ]
    assert u32(rows[2]["grbit"]) & C.JET_bitIndexPrimary
    assert not u32(rows[0]["grbit"]) & C.JET_bitIndexPrimary
    assert u32(rows[0]["lcmap"]) == 1 and u32(rows[1]["lcmap"]) == 0  # NORM_IGNORECASE on text only
    assert lib.JetCloseTable(ses, il.tableid) == 0
    # JET_IdxInfo with a name: that index only; through JetGetIndexInfo
    assert lib.JetGetIndexInfo(ses, dbid, b"people", b"byname", il, ffi.sizeof("JET_INDEXLIST"), C.JET_IdxInfo) == 0
    assert il.cRecord == 2
    assert [r["name"] for r in list_rows(env, il.tableid, fields)] == [b"name", b"age"]
    assert lib.JetCloseTable(ses, il.tableid) == 0
    assert lib.JetGetTableIndexInfo(ses, t, b"nope", il, ffi.sizeof("JET_INDEXLIST"), C.JET_IdxInfo) == \
        C.JET_errIndexNotFound


def test_read_only_transactions_may_use_temp_tables(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ids = described_table(env)
    assert env.insert(t, [(ids["zip"], I(1))]) == 0
    assert lib.JetBeginTransaction2(ses, C.JET_bitTransactionReadOnly) == 0
    assert lib.JetPrepareUpdate(ses, t, C.JET_prepInsert) == C.JET_errTransReadOnly
    cl = ffi.new("JET_COLUMNLIST *")
    assert lib.JetGetTableColumnInfo(ses, t, ffi.NULL, cl, ffi.sizeof("JET_COLUMNLIST"), C.JET_ColInfoList) == 0
    assert cl.cRecord == 4
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
    assert tt.err == 0
    for k in (3, 1, 2):
        assert tt.insert(I(k)) == 0
    assert ints(tt.rows(0)) == [1, 2, 3]
    assert lib.JetCommitTransaction(ses, 0) == 0
    assert ints(tt.rows(0)) == [1, 2, 3]
    assert lib.JetCloseTable(ses, cl.tableid) == 0
    assert tt.close() == 0


def test_object_list(env):
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    assert (C.JET_ObjInfo, C.JET_ObjInfoListNoStats, C.JET_ObjInfoList, C.JET_ObjInfoNoStats) == (0, 1, 2, 5)
    err, dbid = env.create_db()
    assert err == 0
    for name in ("zeta", "alpha", "Mid"):
        err, t = env.create_table(dbid, name)
        assert err == 0 and lib.JetCloseTable(ses, t) == 0
    for level in (C.JET_ObjInfoList, C.JET_ObjInfoListNoStats):
        ol = ffi.new("JET_OBJECTLIST *")
        assert lib.JetGetObjectInfo(ses, dbid, C.JET_objtypTable, ffi.NULL, ffi.NULL, ol,
                                    ffi.sizeof("JET_OBJECTLIST"), level) == 0
        assert ol.cbStruct == ffi.sizeof("JET_OBJECTLIST") and ol.cRecord == 3
        rows = list_rows(env, ol.tableid, {"name": ol.columnidobjectname, "typ": ol.columnidobjtyp,
                                           "grbit": ol.columnidgrbit})
        assert [r["name"] for r in rows] == [b"alpha", b"Mid", b"zeta"]
        assert all(u32(r["typ"]) == C.JET_objtypTable for r in rows)
        assert all(u32(r["grbit"]) & C.JET_bitTableInfoUpdatable for r in rows)
        assert lib.JetCloseTable(ses, ol.tableid) == 0
    oi = ffi.new("JET_OBJECTINFO *")
    assert lib.JetGetObjectInfo(ses, dbid, C.JET_objtypTable, ffi.NULL, b"Mid", oi, ffi.sizeof("JET_OBJECTINFO"),
                                C.JET_ObjInfo) == 0
    assert oi.objtyp == C.JET_objtypTable
    assert lib.JetGetObjectInfo(ses, dbid, C.JET_objtypTable, ffi.NULL, b"none", oi, ffi.sizeof("JET_OBJECTINFO"),
                                C.JET_ObjInfo) == C.JET_errObjectNotFound
    assert lib.JetGetObjectInfo(ses, dbid, C.JET_objtypTable, ffi.NULL, ffi.NULL, oi, 4,
                                C.JET_ObjInfoList) == C.JET_errBufferTooSmall
    assert lib.JetGetObjectInfo(ses, dbid, 0, ffi.NULL, ffi.NULL, oi, 64, C.JET_ObjInfoMax) == \
        C.JET_errInvalidParameter


def test_object_list_counts_match_object_info(env):
    """JET_ObjInfoList reports each table's cRecord / cPage as JET_ObjInfo does for that
    table (esepy counts them when asked); JET_ObjInfoListNoStats leaves them 0."""
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    dbid, t, ck, cv = make_kv(env)
    for k in range(300):
        assert env.insert(t, [(ck, I(k)), (cv, b"x" * 200)]) == 0  # several pages
    assert lib.JetCloseTable(ses, t) == 0
    err, t = env.create_table(dbid, "empty")
    assert err == 0 and lib.JetCloseTable(ses, t) == 0
    want = {}
    for name in (b"kv", b"empty"):
        oi = ffi.new("JET_OBJECTINFO *")
        assert lib.JetGetObjectInfo(ses, dbid, C.JET_objtypTable, ffi.NULL, name, oi,
                                    ffi.sizeof("JET_OBJECTINFO"), C.JET_ObjInfo) == 0
        want[name] = (oi.cRecord, oi.cPage)
    assert want[b"kv"][0] == 300 and want[b"kv"][1] > 5 and want[b"empty"][0] == 0
    for level, expect in ((C.JET_ObjInfoList, want), (C.JET_ObjInfoListNoStats, {n: (0, 0) for n in want})):
        ol = ffi.new("JET_OBJECTLIST *")
        assert lib.JetGetObjectInfo(ses, dbid, C.JET_objtypTable, ffi.NULL, ffi.NULL, ol,
                                    ffi.sizeof("JET_OBJECTLIST"), level) == 0
        rows = list_rows(env, ol.tableid, {"name": ol.columnidobjectname, "crec": ol.columnidcRecord,
                                           "cpg": ol.columnidcPage})
        assert {r["name"]: (u32(r["crec"]), u32(r["cpg"])) for r in rows} == expect
        assert lib.JetCloseTable(ses, ol.tableid) == 0


def test_struct_layouts_match_esent_x64(jet):
    ffi = jet.ffi
    assert {n: ffi.sizeof(n) for n in ("JET_OPENTEMPORARYTABLE", "JET_OPENTEMPORARYTABLE2", "JET_COLUMNLIST",
                                       "JET_INDEXLIST", "JET_OBJECTLIST")} == {
        "JET_OPENTEMPORARYTABLE": 64, "JET_OPENTEMPORARYTABLE2": 64, "JET_COLUMNLIST": 80, "JET_INDEXLIST": 88,
        "JET_OBJECTLIST": 56}
    assert ffi.offsetof("JET_OPENTEMPORARYTABLE", "tableid") == 56
    assert ffi.offsetof("JET_COLUMNLIST", "columnidPresentationOrder") == 20
    assert ffi.offsetof("JET_INDEXLIST", "columnidLCMapFlags") == 80
    assert ffi.offsetof("JET_OBJECTLIST", "columnidcPage") == 52


def test_dirty_term_with_temp_table_in_a_transaction(jet, tmp_path):
    env = Env(jet, tmp_path)
    C = env.C
    dbid, t, ck, cv = make_kv(env)
    assert env.insert(t, [(ck, I(1)), (cv, b"one")]) == 0
    assert env.lib.JetBeginTransaction(env.ses) == 0
    assert env.insert(t, [(ck, I(2)), (cv, b"two")]) == 0
    tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
    assert tt.err == 0
    for k in range(100):
        assert tt.insert(I(k)) == 0
    assert env.term(C.JET_bitTermDirty) == C.JET_errDirtyShutdown
    assert not (tmp_path / "tmp.edb").exists()
    env = Env(jet, tmp_path, "again")
    try:
        path = str(tmp_path / "a.edb").encode()
        assert env.lib.JetAttachDatabase(env.ses, path, 0) == 0
        t, ck = open_kv(env, path)
        assert keys_of(env, t, ck) == [1]  # the open transaction was undone by recovery
    finally:
        assert env.term() == 0


def test_dup_cursor_shares_the_table(jet, tmp_path):
    env = Env(jet, tmp_path, MaxTemporaryTables=1)
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    try:
        tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey), (C.JET_coltypText, 0)])
        assert tt.err == 0
        for k in (5, 3, 9):
            assert tt.insert(I(k), b"v%d" % k) == 0
        p = ffi.new("JET_TABLEID *")
        assert lib.JetDupCursor(ses, tt.t, p, 0) == 0
        dup = Temp.__new__(Temp)
        dup.__dict__.update(tt.__dict__)
        dup.t = p[0]
        assert dup.col(0) == I(3)  # on the first entry of the index
        assert ints(dup.rows(0)) == [3, 5, 9]
        assert tt.insert(I(4), b"v4") == 0  # seen through the other cursor
        assert ints(dup.rows(0)) == [3, 4, 5, 9]
        assert tt.close() == 0
        assert Temp(env, [(C.JET_coltypLong, 0)]).err == C.JET_errTooManySorts  # still one table
        assert ints(dup.rows(0)) == [3, 4, 5, 9]
        assert dup.close() == 0
        again = Temp(env, [(C.JET_coltypLong, 0)])
        assert again.err == 0 and again.close() == 0
    finally:
        assert env.term() == 0


def test_sessions_on_threads_sort_independently(env):
    import threading
    C, lib, ffi = env.C, env.lib, env.ffi
    errors, results = [], {}

    def work(n):
        try:
            p = ffi.new("JET_SESID *")
            assert lib.JetBeginSession(env.inst, p, ffi.NULL, ffi.NULL) == 0
            mine = Env.__new__(Env)
            mine.__dict__.update(env.__dict__)
            mine.ses = p[0]
            rnd = random.Random(n)
            vals = [rnd.randrange(10000) for _ in range(400)]
            tt = Temp(mine, [(C.JET_coltypLong, C.JET_bitColumnTTKey)])
            assert tt.err == 0
            for v in vals:
                assert tt.insert(I(v)) == 0
            results[n] = ints(tt.rows(0)) == sorted(vals)
            assert tt.close() == 0
            assert lib.JetEndSession(p[0], 0) == 0
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == {0: True, 1: True, 2: True, 3: True}


def test_unversioned_temp_tables_ignore_rollback(jet, tmp_path):
    env = Env(jet, tmp_path, EnableTempTableVersioning=0)
    C, lib, ses, ffi = env.C, env.lib, env.ses, env.ffi
    try:
        tt = Temp(env, [(C.JET_coltypLong, C.JET_bitColumnTTKey), (C.JET_coltypLongBinary, 0)],
                  grbit=C.JET_bitTTUnique | C.JET_bitTTErrorOnDuplicateInsertion)
        assert tt.err == 0
        assert tt.insert(I(1), b"a" * 5000) == 0
        assert lib.JetBeginTransaction(ses) == 0
        assert tt.insert(I(2), b"b" * 5000) == 0
        assert tt.insert(I(2), b"dup") == C.JET_errKeyDuplicate  # a failed insert is still undone whole
        assert lib.JetMakeKey(ses, tt.t, I(1), 4, C.JET_bitNewKey) == 0
        assert lib.JetSeek(ses, tt.t, C.JET_bitSeekEQ) == 0
        assert lib.JetDelete(ses, tt.t) == 0
        assert lib.JetRollback(ses, 0) == 0
        assert ints(tt.rows(0)) == [2]  # neither the insert nor the delete was rolled back
        assert lib.JetMove(ses, tt.t, C.JET_MoveFirst, 0) == 0
        assert tt.col(1, cb=10000) == b"b" * 5000
        assert tt.insert(I(1), b"again") == 0  # the deleted key can come back
        assert ints(tt.rows(0)) == [1, 2]
        assert tt.close() == 0
    finally:
        assert env.term() == 0
