"""esepy_inspect.h: the engine's own parsers exposed for read-only inspection agree
with what the engine itself does with the same files.

* database header fields = JetGetDatabaseFileInfo(JET_DbInfoMisc), both copies
  seen, copy B used when A is damaged, errors for foreign and ruined files;
* page statuses = what an engine read of the page gives (a damaged page makes
  JetAttachDatabase + a scan fail with JET_errReadVerifyFailure);
* the log reader: the records, the end, and its verdict on damage = JetInit's
  (recovers / JET_errLogFileCorrupt), a one-bit flip corrected as recovery does;
* the checkpoint and backup trailers decoded, damage refused.
Nothing is written: every inspected file hashes the same after.
"""
import hashlib
import os
import struct

import pytest

from test_database import Env, make_kv
from test_recovery import init_new

ROWS = 200


def _digest(folder):
    h = hashlib.sha256()
    for name in sorted(os.listdir(folder)):
        p = os.path.join(folder, name)
        if os.path.isfile(p):
            with open(p, "rb") as f:
                h.update(name.encode() + f.read())
    return h.hexdigest()


def _patch(path, off, data):
    with open(path, "r+b") as f:
        f.seek(off)
        f.write(data)


def _workload(jet, folder, dirty=True, backup_to=None, **params):
    env = Env(jet, folder, LogFileSize=64, **params)
    _dbid, t, ck, cv = make_kv(env)
    for k in range(ROWS):
        assert env.lib.JetBeginTransaction(env.ses) == 0
        assert env.insert(t, [(ck, struct.pack("<i", k)), (cv, b"v" * 40)]) == 0
        assert env.lib.JetCommitTransaction(env.ses, 0) == 0
    if backup_to is not None:
        err = env.lib.JetBackupInstance(env.inst, str(backup_to).encode(), 0, env.ffi.NULL)
        if err != 0:
            env.term()
        assert err == 0, jet.err_name(err)
    if dirty:
        assert env.term(env.C.JET_bitTermDirty) == env.C.JET_errDirtyShutdown
    else:
        assert env.term() == 0
    return folder / "a.edb"


def _env_in_new_folder(jet, parent):
    """An instance in a new folder of its own under parent."""
    import pathlib
    import tempfile
    return Env(jet, pathlib.Path(tempfile.mkdtemp(dir=parent)), LogFileSize=64)


def _header(jet, path):
    h = jet.ffi.new("ESEPY_INSPECT_DBHEADER *")
    h.cbStruct = jet.ffi.sizeof("ESEPY_INSPECT_DBHEADER")
    return jet.lib.EsepyInspectDatabaseHeader(str(path).encode(), h), h


def _lgpos(l):
    return (l.lGeneration, l.isec, l.ib)


def _log_walk(jet, path):
    """(records [(lgpos, type, cb)], tail) of one generation file."""
    ffi, lib = jet.ffi, jet.lib
    pp = ffi.new("ESEPY_INSPECT_LOG **")
    err = lib.EsepyInspectLogOpen(str(path).encode(), pp)
    assert err == 0, jet.err_name(err)
    recs = []
    rec = ffi.new("ESEPY_INSPECT_LOGRECORD *")
    try:
        while True:
            err = lib.EsepyInspectLogNext(pp[0], rec)
            if err != 0:
                assert err == jet.C.JET_wrnNoMoreRecords, jet.err_name(err)
                break
            recs.append((_lgpos(rec.lgpos), rec.type, rec.cb))
        tail = ffi.new("ESEPY_INSPECT_LOGTAIL *")
        assert lib.EsepyInspectLogTail(pp[0], tail) == 0
        return recs, tail
    finally:
        lib.EsepyInspectLogClose(pp[0])


@pytest.fixture
def clean_db(jet, tmp_path):
    return _workload(jet, tmp_path, dirty=False)


def test_crc32c_check_value(jet):
    assert jet.lib.EsepyCrc32c(0, b"123456789", 9) == 0xE3069283
    assert jet.lib.EsepyCrc32c(jet.lib.EsepyCrc32c(7, b"1234", 4), b"56789", 5) == \
        jet.lib.EsepyCrc32c(7, b"123456789", 9)


def test_header_fields_are_the_engines(jet, clean_db):
    ffi, lib, C = jet.ffi, jet.lib, jet.C
    misc = ffi.new("JET_DBINFOMISC *")
    assert lib.JetGetDatabaseFileInfo(str(clean_db).encode(), misc, ffi.sizeof(misc[0]), C.JET_DbInfoMisc) == 0
    before = _digest(clean_db.parent)
    err, h = _header(jet, clean_db)
    assert err == 0
    assert h.dbstate == misc.dbstate == C.JET_dbstateCleanShutdown
    assert h.cbPage == misc.cbPageSize
    assert _lgpos(h.lgposConsistent) == _lgpos(misc.lgposConsistent) != (0, 0, 0)
    assert _lgpos(h.lgposAttach) == _lgpos(misc.lgposAttach)
    assert _lgpos(h.lgposDetach) == _lgpos(misc.lgposDetach)
    assert h.signDb.ulRandom == misc.signDb.ulRandom and h.signLog.ulRandom == misc.signLog.ulRandom
    assert ffi.buffer(ffi.addressof(h.signDb), 28)[:] == ffi.buffer(ffi.addressof(misc.signDb), 28)[:]
    assert (h.iCopy, h.fCopyAValid, h.fCopyBValid) == (0, 1, 1)
    # the header block decodes the same from memory (a backup stream's first page)
    block = clean_db.read_bytes()[:h.cbPage]
    h2 = ffi.new("ESEPY_INSPECT_DBHEADER *")
    h2.cbStruct = ffi.sizeof(h2[0])
    assert lib.EsepyInspectDecodeDatabaseHeader(block, len(block), h2) == 0
    assert ffi.buffer(h2)[:] == ffi.buffer(h)[:]
    assert _digest(clean_db.parent) == before


def test_dirty_header_names_the_logs_recovery_needs(jet, tmp_path):
    db = _workload(jet, tmp_path)
    err, h = _header(jet, db)
    assert err == 0 and h.dbstate == jet.C.JET_dbstateDirtyShutdown
    assert 1 <= h.genMinRequired <= h.genMaxRequired
    # the generation the header names last is the log's current one (edb.log)
    lh = jet.ffi.new("ESEPY_INSPECT_LOGHEADER *")
    lh.cbStruct = jet.ffi.sizeof(lh[0])
    assert jet.lib.EsepyInspectLogHeader(str(tmp_path / "edb.log").encode(), lh) == 0
    assert lh.lGeneration == h.genMaxRequired


def test_header_copy_b_is_used_when_a_is_damaged_as_the_engine_does(jet, clean_db):
    _patch(clean_db, 100, b"\xff\xff")
    err, h = _header(jet, clean_db)
    assert err == 0 and (h.iCopy, h.fCopyAValid, h.fCopyBValid) == (1, 0, 1)
    misc = jet.ffi.new("JET_DBINFOMISC *")
    assert jet.lib.JetGetDatabaseFileInfo(str(clean_db).encode(), misc, jet.ffi.sizeof(misc[0]),
                                          jet.C.JET_DbInfoMisc) == 0
    assert misc.dbstate == h.dbstate
    # both copies ruined: the engine and inspection refuse the file alike
    _patch(clean_db, h.cbPage + 100, b"\xff\xff")
    err, _ = _header(jet, clean_db)
    assert err == jet.C.JET_errDatabaseCorrupted
    assert jet.lib.JetGetDatabaseFileInfo(str(clean_db).encode(), misc, jet.ffi.sizeof(misc[0]),
                                          jet.C.JET_DbInfoMisc) == jet.C.JET_errDatabaseCorrupted


def test_foreign_and_missing_files(jet, tmp_path):
    C = jet.C
    other = tmp_path / "notes.txt"
    other.write_bytes(b"hello world, not a database" * 400)
    assert _header(jet, other)[0] == C.JET_errFileInvalidType
    assert _header(jet, tmp_path / "nope.edb")[0] == C.JET_errFileNotFound
    lh = jet.ffi.new("ESEPY_INSPECT_LOGHEADER *")
    lh.cbStruct = jet.ffi.sizeof(lh[0])
    assert jet.lib.EsepyInspectLogHeader(str(other).encode(), lh) == C.JET_errFileInvalidType
    chk = jet.ffi.new("ESEPY_INSPECT_CHECKPOINT *")
    chk.cbStruct = jet.ffi.sizeof(chk[0])
    assert jet.lib.EsepyInspectCheckpoint(str(other).encode(), chk) == C.JET_errFileInvalidType
    # a wrong cbStruct is refused, not overrun
    lh.cbStruct = 12
    assert jet.lib.EsepyInspectLogHeader(str(other).encode(), lh) == C.JET_errInvalidParameter


def _page_statuses(jet, path):
    ffi, lib = jet.ffi, jet.lib
    pp = ffi.new("ESEPY_INSPECT_DB **")
    assert lib.EsepyInspectDbOpen(str(path).encode(), pp) == 0
    try:
        cb, cpg = ffi.new("uint64_t *"), ffi.new("uint32_t *")
        assert lib.EsepyInspectDbSize(pp[0], cb, cpg) == 0
        st = ffi.new("uint8_t[]", cpg[0])
        assert lib.EsepyInspectDbCheckPages(pp[0], 1, cpg[0], st) == 0
        return list(st)
    finally:
        lib.EsepyInspectDbClose(pp[0])


def _scan(jet, folder, db):
    """Attach db in a fresh instance and read every record: the engine's verdict."""
    env = _env_in_new_folder(jet, folder)
    ffi, lib, C = env.ffi, env.lib, env.C
    try:
        err = lib.JetAttachDatabase(env.ses, str(db).encode(), C.JET_bitDbReadOnly)
        if err < 0:
            return err
        p = ffi.new("JET_DBID *")
        assert lib.JetOpenDatabase(env.ses, str(db).encode(), ffi.NULL, p, C.JET_bitDbReadOnly) == 0
        t = ffi.new("JET_TABLEID *")
        err = lib.JetOpenTable(env.ses, p[0], b"kv", ffi.NULL, 0, C.JET_bitTableReadOnly, t)
        if err < 0:
            return err
        err = lib.JetMove(env.ses, t[0], C.JET_MoveFirst, 0)
        while err == 0:
            err = lib.JetMove(env.ses, t[0], C.JET_MoveNext, 0)
        return 0 if err == C.JET_errNoCurrentRecord else err
    finally:
        env.term()


def test_page_checks_agree_with_engine_reads(jet, clean_db):
    C = jet.C
    st = _page_statuses(jet, clean_db)
    assert st and set(st) <= {C.ESEPY_INSPECT_PAGE_OK, C.ESEPY_INSPECT_PAGE_UNINITIALIZED}
    assert _scan(jet, clean_db.parent, clean_db) == 0
    # damage a leaf of the table: the page check and the engine's read both fail it
    ffi, lib = jet.ffi, jet.lib
    pp = ffi.new("ESEPY_INSPECT_DB **")
    assert lib.EsepyInspectDbOpen(str(clean_db).encode(), pp) == 0
    hdr = ffi.new("ESEPY_INSPECT_DBHEADER *")
    hdr.cbStruct = ffi.sizeof(hdr[0])
    assert lib.EsepyInspectDbHeader(pp[0], hdr) == 0
    cbPage = hdr.cbPage
    buf = ffi.new("char[]", cbPage)
    info = ffi.new("ESEPY_INSPECT_PAGE *")
    info.cbStruct = ffi.sizeof(info[0])
    leaves = []
    for pgno in range(1, len(st) + 1):
        assert lib.EsepyInspectDbReadPage(pp[0], pgno, buf, cbPage, info) == 0
        assert info.status == st[pgno - 1]
        if info.status == C.ESEPY_INSPECT_PAGE_OK and info.fLeaf and info.objid > 1 and info.cslot > 3:
            assert info.fLayoutOk
            node = ffi.new("ESEPY_INSPECT_NODE *")
            assert lib.EsepyInspectPageNode(buf, cbPage, 0, node) == 0 and node.cbPrefix + node.cbKey > 0
            leaves.append(pgno)
    assert lib.EsepyInspectDbReadPage(pp[0], len(st) + 5, buf, cbPage, info) == 0
    assert info.status == C.ESEPY_INSPECT_PAGE_MISSING
    lib.EsepyInspectDbClose(pp[0])
    assert leaves
    victim = leaves[0]
    _patch(clean_db, (victim + 1) * cbPage + cbPage // 2, b"\x5a")
    st2 = _page_statuses(jet, clean_db)
    assert st2[victim - 1] == C.ESEPY_INSPECT_PAGE_CHECKSUM
    assert [i for i, (a, b) in enumerate(zip(st, st2)) if a != b] == [victim - 1]
    assert _scan(jet, clean_db.parent, clean_db) == C.JET_errReadVerifyFailure


def test_page_written_at_the_wrong_place(jet, clean_db):
    C = jet.C
    _err, h = _header(jet, clean_db)
    data = bytearray(clean_db.read_bytes())
    cb = h.cbPage
    st = _page_statuses(jet, clean_db)
    a, b = [i + 1 for i, s in enumerate(st) if s == C.ESEPY_INSPECT_PAGE_OK][:2]
    data[(b + 1) * cb:(b + 2) * cb] = data[(a + 1) * cb:(a + 2) * cb]
    clean_db.write_bytes(bytes(data))
    assert _page_statuses(jet, clean_db)[b - 1] == C.ESEPY_INSPECT_PAGE_WRONG_PGNO


@pytest.fixture
def dirty(jet, tmp_path):
    _workload(jet, tmp_path)
    return tmp_path


def _data_end(path):
    data = path.read_bytes()
    return len(data.rstrip(b"\0"))


def test_log_records_and_end_as_recovery_sees_them(jet, dirty):
    C = jet.C
    cur = dirty / "edb.log"
    before = _digest(dirty)
    recs, tail = _log_walk(jet, cur)
    assert recs[0][0][1:] == (1, 0)                                 # the first record opens sector 1
    assert [r[0] for r in recs] == sorted(r[0] for r in recs)
    assert sum(1 for r in recs if r[1] == 16) > 0                  # commits
    assert not tail.fGenEnd and not tail.fDamaged and not tail.fTorn and tail.ccorrected == 0
    end = tail.lgposEnd.isec * 4096 + tail.lgposEnd.ib
    assert end == recs[-1][0][1] * 4096 + recs[-1][0][2] + recs[-1][2]
    assert (end + 511) // 512 * 512 >= _data_end(cur)
    # archived generations end with GenEnd
    archived = sorted(p for p in os.listdir(dirty) if p.startswith("edb0"))
    assert archived
    arecs, atail = _log_walk(jet, dirty / archived[0])
    assert atail.fGenEnd and arecs[-1][1] == 1 and not atail.fDamaged
    assert arecs[0][1] == 2                                          # LOG_REC_INIT opens the stream
    assert _digest(dirty) == before
    err, inst = init_new(jet, dirty)
    assert err == 0, jet.err_name(err)
    assert jet.lib.JetTerm(inst) == 0
    _ = C


def _first_commit_offset(jet, path):
    recs, _tail = _log_walk(jet, path)
    lg = [r for r in recs if r[1] == 16][0][0]
    return lg[1] * 4096 + lg[2]


def test_one_flipped_bit_is_corrected_like_recovery(jet, dirty):
    cur = dirty / "edb.log"
    off = _first_commit_offset(jet, cur) + 20
    b = cur.read_bytes()[off]
    _patch(cur, off, bytes([b ^ 0x08]))
    recs, tail = _log_walk(jet, cur)
    assert tail.ccorrected == 1 and not tail.fDamaged
    err, inst = init_new(jet, dirty)
    assert err == 0, jet.err_name(err)                              # recovery corrects it too
    assert jet.lib.JetTerm(inst) == 0


def test_damage_inside_flushed_data_is_refused_like_recovery(jet, dirty):
    cur = dirty / "edb.log"
    off = _first_commit_offset(jet, cur) + 20
    data = cur.read_bytes()
    _patch(cur, off, bytes([data[off] ^ 0xFF, data[off + 1] ^ 0xFF]))
    _recs, tail = _log_walk(jet, cur)
    assert tail.fDamaged and tail.fTorn
    err, inst = init_new(jet, dirty)
    jet.lib.JetTerm(inst)              # a failed JetInit leaves the created instance
    assert err == jet.C.JET_errLogFileCorrupt


def test_torn_tail_is_the_end_like_recovery(jet, dirty):
    cur = dirty / "edb.log"
    recs, tail = _log_walk(jet, cur)
    end = tail.lgposEnd.isec * 4096 + tail.lgposEnd.ib
    # a write the crash cut: the last flush's records never landed (zeros)
    start = [r for r in recs if r[1] == 16][-1][0]
    cut = (start[1] * 4096 + start[2]) // 512 * 512
    assert cut < end
    _patch(cur, cut, b"\0" * (end - cut))
    recs2, tail2 = _log_walk(jet, cur)
    assert not tail2.fDamaged and len(recs2) < len(recs)
    err, inst = init_new(jet, dirty)
    assert err == 0, jet.err_name(err)
    assert jet.lib.JetTerm(inst) == 0


def test_checkpoint_and_backup_trailer(jet, tmp_path):
    C, ffi, lib = jet.C, jet.ffi, jet.lib
    bk = tmp_path / "bk"                 # outside the instance's folders (B-rules of backup.c)
    (tmp_path / "work").mkdir()
    bk.mkdir()
    db = _workload(jet, tmp_path / "work", dirty=False, backup_to=bk)
    tmp_path = tmp_path / "work"
    chk = ffi.new("ESEPY_INSPECT_CHECKPOINT *")
    chk.cbStruct = ffi.sizeof(chk[0])
    path = str(tmp_path / "edb.chk").encode()
    assert lib.EsepyInspectCheckpoint(path, chk) == 0
    assert (chk.iCopy, chk.fCopyAValid, chk.fCopyBValid) == (0, 1, 1) and chk.lgposCheckpoint.lGeneration >= 1
    _err, h = _header(jet, db)
    assert chk.signLog.ulRandom == h.signLog.ulRandom
    _patch(tmp_path / "edb.chk", 40, b"\xff")
    assert lib.EsepyInspectCheckpoint(path, chk) == 0 and (chk.iCopy, chk.fCopyAValid) == (1, 0)
    _patch(tmp_path / "edb.chk", 4096 + 40, b"\xff")
    assert lib.EsepyInspectCheckpoint(path, chk) == C.JET_errCheckpointCorrupt
    # a backup copy's trailer, as restore reads it
    copy = bk / "a.edb"
    tr = ffi.new("ESEPY_INSPECT_TRAILER *")
    tr.cbStruct = ffi.sizeof(tr[0])
    assert lib.EsepyInspectBackupTrailer(str(copy).encode(), h.cbPage, tr) == 0
    assert ffi.string(tr.szName) == b"a.edb" and tr.cbPage == h.cbPage
    assert (tr.cpg + 3) * h.cbPage == copy.stat().st_size
    assert 1 <= tr.bkinfo.genLow <= tr.bkinfo.genHigh
    with open(copy, "r+b") as f:
        f.truncate(copy.stat().st_size - h.cbPage)
    assert lib.EsepyInspectBackupTrailer(str(copy).encode(), h.cbPage, tr) == C.JET_errDatabasePatchFileMismatch


def test_catalog_rows_as_the_catalog_reads_them(jet, tmp_path):
    """The catalog tree's rows decode (EsepyInspectCatalogRow) to the tables, columns and
    indexes made through the API; a row that does not parse is JET_errCatalogCorrupted."""
    ffi, lib, C = jet.ffi, jet.lib, jet.C
    env = Env(jet, tmp_path, LogFileSize=64)
    try:
        _dbid, t, ck, cv = make_kv(env)
        err, cb = env.add_column(t, "blob", C.JET_coltypLongBinary)
        assert err == 0
        assert lib.JetCreateIndex(env.ses, t, b"ByValue", 0, b"+v\0\0", 4, 100) == 0
        assert env.insert(t, [(ck, struct.pack("<i", 1)), (cv, b"x"), (cb, b"y" * 9000)]) == 0  # a long value
    finally:
        assert env.term() == 0
    db = tmp_path / "a.edb"
    _err, h = _header(jet, db)
    pp = ffi.new("ESEPY_INSPECT_DB **")
    assert lib.EsepyInspectDbOpen(str(db).encode(), pp) == 0
    rows = []
    try:
        buf = ffi.new("char[]", h.cbPage)
        info = ffi.new("ESEPY_INSPECT_PAGE *")
        info.cbStruct = ffi.sizeof(info[0])
        pgno = h.pgnoCatalog
        assert lib.EsepyInspectDbReadPage(pp[0], pgno, buf, h.cbPage, info) == 0
        node = ffi.new("ESEPY_INSPECT_NODE *")
        while not info.fLeaf:                        # down the leftmost path
            assert lib.EsepyInspectPageNode(buf, h.cbPage, 0, node) == 0 and node.pgnoChild
            assert lib.EsepyInspectDbReadPage(pp[0], node.pgnoChild, buf, h.cbPage, info) == 0
        row = ffi.new("ESEPY_INSPECT_CATALOG_ROW *")
        row.cbStruct = ffi.sizeof(row[0])
        while True:
            for i in range(info.cslot):
                assert lib.EsepyInspectPageNode(buf, h.cbPage, i, node) == 0 and node.pgnoChild == 0
                assert lib.EsepyInspectCatalogRow(node.pbKey, node.cbKey, node.pbData, node.cbData, row) == 0
                rows.append((row.kind, row.objidTable, row.objid, row.pgnoRoot, row.objidLV, row.pgnoLV,
                             ffi.string(row.szName).decode()))
                if row.kind == b"T":
                    # a table row cut short does not parse
                    assert lib.EsepyInspectCatalogRow(node.pbKey, node.cbKey, node.pbData, 6, row) == \
                        C.JET_errCatalogCorrupted
            if not info.pgnoNext:
                break
            assert lib.EsepyInspectDbReadPage(pp[0], info.pgnoNext, buf, h.cbPage, info) == 0
    finally:
        lib.EsepyInspectDbClose(pp[0])
    (table,) = [r for r in rows if r[0] == b"T"]
    assert table[6] == "kv" and table[3] > 0 and table[5] > 0 and table[4] > 0      # tree and long-value tree
    assert sorted(r[2] for r in rows if r[0] == b"C" and r[1] == table[2]) == sorted([ck, cv, cb])
    (index,) = [r for r in rows if r[0] == b"I"]
    assert index[1] == table[2] and index[6] == "byvalue" and index[3] > 0
    # the roots it names are tree roots of those objids
    for objid, root in ((table[2], table[3]), (table[4], table[5]), (index[2], index[3])):
        pp = ffi.new("ESEPY_INSPECT_DB **")
        assert lib.EsepyInspectDbOpen(str(db).encode(), pp) == 0
        try:
            assert lib.EsepyInspectDbReadPage(pp[0], root, buf, h.cbPage, info) == 0
            assert info.status == C.ESEPY_INSPECT_PAGE_OK and info.fRoot and info.objid == objid
        finally:
            lib.EsepyInspectDbClose(pp[0])


def test_log_records_say_what_they_are_about(jet, dirty):
    """Each record is described by the layer that wrote it (isam_log_describe): commits
    carry distinct transactions, page records the database and a page it owns, the
    DbCreate record the database's path."""
    ffi, lib = jet.ffi, jet.lib
    archived = sorted(p for p in os.listdir(dirty) if p.startswith("edb0"))
    pp = ffi.new("ESEPY_INSPECT_LOG **")
    assert lib.EsepyInspectLogOpen(str(dirty / archived[0]).encode(), pp) == 0
    rec = ffi.new("ESEPY_INSPECT_LOGRECORD *")
    seen = []
    try:
        while lib.EsepyInspectLogNext(pp[0], rec) == 0:
            seen.append((rec.type, rec.fTrx, rec.trx, rec.fDbid, rec.dbid, rec.fPgno, rec.pgno,
                         ffi.string(rec.szDbPath).decode()))
    finally:
        lib.EsepyInspectLogClose(pp[0])
    commits = [s for s in seen if s[0] == 16]
    assert commits and all(s[1] for s in commits) and len({s[2] for s in commits}) == len(commits)
    inserts = [s for s in seen if s[0] in (33, 39)]   # 39: an insert carrying its UNDO (issue 20)
    pages = len(_page_statuses(jet, dirty / "a.edb"))
    assert inserts and all(s[3] and s[4] == 1 and s[5] and 1 <= s[6] <= pages for s in inserts)
    assert all(s[1] and s[2] for s in inserts if s[0] == 39)   # ... and its transaction
    (create,) = [s for s in seen if s[0] == 20]
    assert create[3] and create[4] == 1 and create[7] == str(dirty / "a.edb") and not create[5]
    assert all(not s[1] and not s[3] for s in seen if s[0] in (0, 1, 2, 4))   # the log layer's own records
