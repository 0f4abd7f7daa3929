/*
 * compact.c -- offline compaction (JetCompact): a database copied table by
 * table, record by record, into a freshly created file, so its pages are
 * dense and its free space gone.
 *
 * Owns: the copy of one database into a new file (schema from the source
 * catalog, records through the ordinary cursor and update paths), the
 * temporary destination name (szDest + ".cmp-tmp") and its replacement by
 * rename.  Must not touch: the source file (attached read-only here when it
 * is not attached already, and left as found); the log (the destination is
 * created with recovery off: it is not part of the instance's log stream
 * until it is attached again).
 *
 * Invariants:
 *  C1 szDest never holds a half-written database: the copy is written under
 *     the temporary name, detached (flushed, marked clean), synced, and only
 *     then renamed to szDest and the folder synced.  Any failure, a progress
 *     callback's error included, removes the temporary file.
 *  C2 Column and index definitions are matched by name between source and
 *     destination (column ids may differ when the source has deleted
 *     columns); values are copied with the defaults left out, so a default
 *     stays a default.  Autoincrement values are copied as stored (the
 *     counter resumes from the largest stored value); version columns
 *     restart at 1, as for any inserted record.
 *  C3 Secondary indexes are created after the records are in (one build
 *     each); the primary index before them.
 *  C4 The copy is written unlogged (created with recovery off) but is handed
 *     over as an ordinary database: clean, and without the recovery-off mark,
 *     so an instance that logs logs its changes once it is attached.
 */
#include <stdio.h>

#include "isam_int.h"

#define CMP_BATCH 128 /* records per destination transaction */

typedef struct cmp_ctx {
    isam_sess        *psess;
    isam_compact_fn   fn;
    void             *ctx;
    uint32_t          done, total;
    uint8_t          *pb;      /* value buffer (os_malloc), cb bytes */
    uint32_t          cb;
} cmp_ctx;

static JET_ERR report(cmp_ctx *pc)
{
    return pc->fn ? pc->fn(pc->ctx, ISAM_COMPACT_PROGRESS, pc->done, pc->total) : JET_errSuccess;
}

/* The table's definition (columns in id order, primary index) in the destination. */
static JET_ERR copy_schema(cmp_ctx *pc, table_def *ptd, JET_DBID dbidDst, JET_TABLEID *ptidDst)
{
    isam_sess *psess = pc->psess;
    JET_ERR err = isam_create_table(psess, dbidDst, ptd->name, 0, 0, ptidDst);
    if (err < 0)
        return err;
    /* ids ascending, so a source without gaps keeps its column ids */
    uint32_t *order, cOrder;
    err = col_order_by_id(ptd, &order, &cOrder);
    for (uint32_t n = 0; n < cOrder && err >= 0; n++) {
        const col_info *pnext = &ptd->cols[order[n]];
        JET_COLUMNDEF def;
        memset(&def, 0, sizeof(def));
        def.cbStruct = sizeof(def);
        def.coltyp = pnext->rc.coltyp;
        def.cbMax = pnext->rc.cbMax;
        def.cp = (uint16_t)pnext->rc.cp;
        def.grbit = pnext->rc.grbit;
        if (def.coltyp == JET_coltypLongText || def.coltyp == JET_coltypLongBinary)
            def.grbit &= ~(JET_GRBIT)JET_bitColumnTagged; /* implied; keeps NotNULL long columns valid */
        JET_COLUMNID id;
        JET_USERDEFINEDDEFAULT udd;
        const void *pvDefault = pnext->pbDefault;
        uint32_t cbDefault = pnext->cbDefault;
        if (pnext->pbUdd) { /* table.c UD1 */
            col_udd_struct(pnext, &udd);
            pvDefault = &udd;
            cbDefault = sizeof(udd);
        }
        err = isam_add_column(psess, *ptidDst, pnext->name, &def, pvDefault, cbDefault, &id);
    }
    os_free(order);
    if (err >= 0 && ptd->cseg > 0)
        err = idx_create_like(psess, *ptidDst, ptd, ptd->idxName, ptd->idxGrbit | JET_bitIndexPrimary, ptd->segs,
                         ptd->cseg, ptd->cbKeyMost, NULL);
    return err;
}

/* A column of the copy: its definition in the source and in the
 * destination, copied (a cursor's table_def may be reloaded under it). */
typedef struct cmp_col {
    rec_column src, dst;
} cmp_col;

/* Every value of the column of the current source record into the prepared insert. */
static JET_ERR copy_column(cmp_ctx *pc, JET_TABLEID tidSrc, JET_TABLEID tidDst, const cmp_col *pcol)
{
    isam_sess *psess = pc->psess;
    int fTagged = (pcol->src.grbit & JET_bitColumnTagged) != 0;
    for (uint32_t itag = 1;; itag++) {
        JET_RETINFO ri = { sizeof(ri), 0, itag, 0 };
        uint32_t cbActual = 0;
        JET_ERR err;
        for (;;) {
            err = isam_retrieve_column(psess, tidSrc, pcol->src.columnid, pc->pb, pc->cb, &cbActual,
                                       JET_bitRetrieveIgnoreDefault, &ri);
            if (err != JET_wrnBufferTruncated || cbActual <= pc->cb)
                break;
            uint8_t *pb = os_realloc(pc->pb, cbActual);
            if (pb == NULL)
                return JET_errOutOfMemory;
            pc->pb = pb;
            pc->cb = cbActual;
        }
        if (err < 0)
            return err;
        if (err == JET_wrnColumnNull)
            return JET_errSuccess;
        if (pcol->dst.grbit & (JET_bitColumnAutoincrement | JET_bitColumnVersion)) {
            /* C2: the engine's own column, written as stored */
            isam_cursor *pcur = cursor_get(psess, tidDst);
            if (pcur == NULL)
                return JET_errInvalidTableId;
            err = rec_set(&pcur->rec, &pcol->dst, 1, pc->pb, cbActual, 0, UINT32_MAX);
        } else {
            JET_SETINFO si = { sizeof(si), 0, fTagged ? 0 : 1 };
            err = isam_set_column(psess, tidDst, pcol->dst.columnid, pc->pb, cbActual,
                                  cbActual == 0 ? JET_bitSetZeroLength : 0, &si);
        }
        if (err < 0)
            return err;
        if (!fTagged)
            return JET_errSuccess;
    }
}

static JET_ERR copy_records(cmp_ctx *pc, JET_TABLEID tidSrc, JET_TABLEID tidDst)
{
    isam_sess *psess = pc->psess;
    isam_cursor *pcurSrc = cursor_get(psess, tidSrc);
    isam_cursor *pcurDst = cursor_get(psess, tidDst);
    if (pcurSrc == NULL || pcurDst == NULL)
        return JET_errInvalidTableId;
    uint32_t ccol = 0;
    cmp_col *cols = os_calloc(pcurSrc->td->ccol ? pcurSrc->td->ccol : 1, sizeof(*cols));
    if (cols == NULL)
        return JET_errOutOfMemory;
    for (uint32_t i = 0; i < pcurSrc->td->ccol; i++) {
        col_info *pciDst = col_by_name(pcurDst->td, pcurSrc->td->cols[i].name);
        if (pciDst == NULL)
            continue;
        cols[ccol].src = pcurSrc->td->cols[i].rc;
        cols[ccol].dst = pciDst->rc;
        ccol++;
    }
    uint32_t inBatch = 0;
    JET_ERR err = isam_begin_transaction(psess, 0);
    int fTrx = err >= 0;
    if (err >= 0)
        err = isam_move(psess, tidSrc, JET_MoveFirst, 0);
    while (err >= 0) {
        err = isam_prepare_update(psess, tidDst, JET_prepInsert);
        for (uint32_t i = 0; i < ccol && err >= 0; i++)
            err = copy_column(pc, tidSrc, tidDst, &cols[i]);
        if (err >= 0)
            err = isam_update(psess, tidDst, NULL, 0, NULL);
        else
            (void)isam_prepare_update(psess, tidDst, JET_prepCancel);
        if (err < 0)
            break;
        pc->done++;
        if (++inBatch == CMP_BATCH) {
            inBatch = 0;
            err = isam_commit_transaction(psess, JET_bitCommitLazyFlush);
            fTrx = 0;
            if (err >= 0)
                err = report(pc);
            if (err >= 0) {
                err = isam_begin_transaction(psess, 0);
                fTrx = err >= 0;
            }
            if (err < 0)
                break;
        }
        err = isam_move(psess, tidSrc, JET_MoveNext, 0);
    }
    if (err == JET_errNoCurrentRecord)
        err = JET_errSuccess;
    if (fTrx)
        err = err >= 0 ? isam_commit_transaction(psess, JET_bitCommitLazyFlush) : (isam_rollback(psess, 0), err);
    os_free(cols);
    return err;
}

/* Records of one table (for the progress total). */
static JET_ERR count_records(isam_sess *psess, JET_DBID dbid, const char *szName, uint32_t *pc)
{
    JET_TABLEID tid;
    JET_ERR err = isam_open_table(psess, dbid, szName, JET_bitTableReadOnly, &tid);
    if (err < 0)
        return err;
    *pc = 0;
    err = isam_move(psess, tid, JET_MoveFirst, 0);
    if (err >= 0)
        err = isam_index_record_count(psess, tid, pc, 0);
    if (err == JET_errNoCurrentRecord)
        err = JET_errSuccess;
    (void)isam_close_table(psess, tid);
    return err;
}

static JET_ERR copy_table(cmp_ctx *pc, JET_DBID dbidSrc, JET_DBID dbidDst, const char *szName)
{
    isam_sess *psess = pc->psess;
    JET_TABLEID tidSrc, tidDst = JET_tableidNil;
    JET_ERR err = isam_open_table(psess, dbidSrc, szName, JET_bitTableReadOnly, &tidSrc);
    if (err < 0)
        return err;
    isam_cursor *pcur = cursor_get(psess, tidSrc);
    table_def *ptd = pcur->td;
    err = copy_schema(pc, ptd, dbidDst, &tidDst);
    int fDst = tidDst != JET_tableidNil;
    if (err >= 0)
        err = copy_records(pc, tidSrc, tidDst);
    ptd = cursor_get(psess, tidSrc)->td; /* as loaded now */
    for (uint32_t i = 0; i < ptd->cidx && err >= 0; i++) /* C3 */
        if (ptd->idxs[i].fNavigable)
            err = idx_create_like(psess, tidDst, ptd, ptd->idxs[i].name, ptd->idxs[i].grbit, ptd->idxs[i].segs,
                             ptd->idxs[i].cseg, ptd->idxs[i].cbKeyMost, &ptd->idxs[i]);
    if (fDst)
        (void)isam_close_table(psess, tidDst);
    (void)isam_close_table(psess, tidSrc);
    return err;
}

static JET_ERR copy_database(cmp_ctx *pc, JET_DBID dbidSrc, JET_DBID dbidDst)
{
    char *szz = NULL;
    uint32_t ctab = 0;
    JET_ERR err = isam_list_tables(pc->psess, dbidSrc, &szz, &ctab);
    if (err < 0)
        return err;
    for (const char *p = szz; *p && err >= 0; p += strlen(p) + 1) {
        uint32_t c = 0;
        err = count_records(pc->psess, dbidSrc, p, &c);
        pc->total += c;
    }
    if (err >= 0 && pc->fn)
        err = pc->fn(pc->ctx, ISAM_COMPACT_BEGIN, 0, pc->total);
    for (const char *p = szz; *p && err >= 0; p += strlen(p) + 1) {
        err = copy_table(pc, dbidSrc, dbidDst, p);
        if (err >= 0)
            err = report(pc);
    }
    os_free(szz);
    return err;
}

/* The finished copy made an ordinary database (C4): its header loses the
 * recovery-off mark of its creation, so it is logged wherever it is attached
 * next; then the file is made durable. */
static JET_ERR finish_file(const char *path)
{
    os_file *pf;
    JET_ERR err = os_file_open(path, OS_FILE_WRITE | OS_FILE_NOFOLLOW, &pf);
    if (err < 0)
        return err;
    db_header h;
    err = db_header_read(pf, 0, &h);
    if (err >= 0 && h.dbstate != JET_dbstateCleanShutdown)
        err = JET_errDatabaseInconsistent;
    if (err >= 0 && (h.flags & DB_FLAG_RECOVERY_OFF)) {
        h.flags &= ~(uint32_t)DB_FLAG_RECOVERY_OFF;
        err = db_header_write(pf, &h);
    }
    if (err >= 0)
        err = os_file_sync(pf);
    os_file_close(pf);
    return err;
}

static void dir_of(const char *path, char *dir, size_t cb)
{
    snprintf(dir, cb, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, cb, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
}

JET_ERR isam_compact(isam_sess *psess, const char *szSrc, const char *szDest, isam_compact_fn fn, void *ctx)
{
    if (szSrc == NULL || szDest == NULL || szSrc[0] == '\0' || szDest[0] == '\0')
        return JET_errInvalidParameter;
    if (psess->trx)
        return JET_errInTransaction;
    char absSrc[OS_PATH_MAX], absDst[OS_PATH_MAX], tmp[OS_PATH_MAX], dir[OS_PATH_MAX];
    JET_ERR err = os_path_absolute(szSrc, absSrc, sizeof(absSrc));
    if (err >= 0)
        err = os_path_absolute(szDest, absDst, sizeof(absDst));
    if (err < 0)
        return err;
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.cmp-tmp", absDst) >= sizeof(tmp))
        return JET_errInvalidPath;
    if (strcmp(absSrc, absDst) == 0 || os_exists(absDst))
        return JET_errDatabaseDuplicate;
    if (!os_exists(absSrc))
        return JET_errFileNotFound;
    /* the source: attached read-only for the copy unless attached already */
    JET_ERR errAttach = isam_attach_database(psess, absSrc, 0, JET_bitDbReadOnly);
    if (errAttach < 0)
        return errAttach;
    int fAttached = errAttach != JET_wrnDatabaseAttached;
    JET_DBID dbidSrc = 0, dbidDst = 0;
    err = isam_open_database(psess, absSrc, 0, &dbidSrc);
    int fSrcOpen = err >= 0, fDstMade = 0, fDstTried = 0;
    if (err >= 0) {
        if (os_exists(tmp))
            (void)os_unlink(tmp); /* C1: a leftover of an interrupted compaction */
        fDstTried = 1; /* from here a file at tmp is ours */
        err = isam_create_database(psess, tmp, 0, JET_bitDbRecoveryOff, &dbidDst);
        fDstMade = err >= 0;
    }
    cmp_ctx c = { psess, fn, ctx, 0, 0, NULL, 0 };
    if (err >= 0) {
        c.cb = 4096;
        c.pb = os_malloc(c.cb);
        if (c.pb == NULL)
            err = JET_errOutOfMemory;
    }
    if (err >= 0)
        err = copy_database(&c, dbidSrc, dbidDst);
    os_free(c.pb);
    if (fDstMade) {
        JET_ERR e2 = isam_close_database(psess, dbidDst, 0);
        JET_ERR e3 = isam_detach_database(psess, tmp, 0);
        if (err >= 0)
            err = e2 < 0 ? e2 : e3 < 0 ? e3 : err;
    }
    if (fSrcOpen)
        (void)isam_close_database(psess, dbidSrc, 0);
    if (fAttached)
        (void)isam_detach_database(psess, absSrc, 0);
    if (err >= 0)
        err = finish_file(tmp);
    if (err >= 0 && os_exists(absDst))
        err = JET_errDatabaseDuplicate; /* created meanwhile: never replaced */
    if (err >= 0)
        err = os_rename(tmp, absDst);
    if (err >= 0) {
        dir_of(absDst, dir, sizeof(dir));
        err = os_dir_sync(dir);
        if (err < 0)
            (void)os_unlink(absDst);
    }
    if (err < 0 && fDstTried && os_exists(tmp))
        (void)os_unlink(tmp); /* C1 (a failed creation may leave its file too) */
    if (err >= 0 && fn)
        (void)fn(ctx, ISAM_COMPACT_COMPLETE, c.total, c.total); /* done: nothing left to cancel */
    return err < 0 ? err : JET_errSuccess;
}

/* ---- file size (JetGrowDatabase / JetSetDatabaseSize / JetResizeDatabase) -- */

/* Sizes are data pages, the pages after the two header blocks (what
 * JET_DbInfoSpaceOwned reports).  The space manager adopts pages the file
 * holds beyond what it owns (space.c), so growing the file is all it takes. */
JET_ERR isam_grow_database(isam_sess *psess, JET_DBID dbid, uint32_t cpg, uint32_t *pcpgReal)
{
    isam_db *pdb = sess_db(psess, dbid);
    if (pdb == NULL)
        return JET_errInvalidDatabaseId;
    uint32_t cpgFile = 0;
    JET_ERR err = cache_file_pages(pdb->env.pc, pdb->dbid, &cpgFile);
    if (err >= 0 && cpg > cpgFile) {
        if (pdb->readonly)
            err = JET_errDatabaseFileReadOnly;
        else if (cpg > 0x7FFFFFFFu)
            err = JET_errOutOfDatabaseSpace;
        else
            err = cache_extend_file(pdb->env.pc, pdb->dbid, cpg);
        if (err >= 0)
            err = cache_file_pages(pdb->env.pc, pdb->dbid, &cpgFile);
    }
    if (err >= 0 && pcpgReal)
        *pcpgReal = cpgFile;
    return err;
}

/* JetResizeDatabase to a smaller size: the free and never-used pages at the
 * end of the file leave the space (bt_space_shrink: logged structure
 * changes; no page is moved, so the file shrinks only as far as its last
 * page in use -- online defragmentation frees pages but does not move them
 * either), then the file is cut.  Z1: the cut waits until the checkpoint is
 * past the shrink, so no record the next recovery replays names a page
 * beyond the new end (an older one may: a page a defragmentation freed was
 * a tree page before); when an active transaction holds the checkpoint back
 * (I5), the file keeps its size and only the space shrinks (a crash between
 * the log and the cut leaves a longer file, whose extra pages the space
 * adopts again as never used). */
JET_ERR isam_shrink_database(isam_sess *psess, JET_DBID dbid, uint32_t cpg, uint32_t *pcpgReal)
{
    isam_db *pdb = sess_db(psess, dbid);
    if (pdb == NULL)
        return JET_errInvalidDatabaseId;
    if (pdb->readonly)
        return JET_errDatabaseFileReadOnly;
    isam_inst *pinst = psess->inst;
    uint32_t cpgOwned = 0, cpgFile = 0;
    CKPT_ENTER(pinst);
    JET_ERR err = atomic_load(&pinst->errFatal);
    if (err >= 0)
        err = bt_space_shrink(&pdb->env, pdb->hdr.pgnoSpace, cpg, &cpgOwned);
    CKPT_LEAVE(pinst);
    int fCut = err >= 0;
    if (err >= 0 && pdb->logged && pinst->lw != NULL) {
        lsn_t lsnShrunk = log_end_lsn(pinst->lw), chk = LSN_NIL;
        err = isam_force_checkpoint(pinst, &chk);   /* Z1 */
        fCut = err >= 0 && chk != LSN_NIL && chk >= lsnShrunk;
    } else if (err >= 0) {
        err = cache_flush(pdb->env.pc, pdb->dbid);   /* unlogged: the space page first */
    }
    if (err >= 0 && fCut)
        err = bt_space_truncate(&pdb->env, pdb->hdr.pgnoSpace, &cpgFile);
    else if (err >= 0)
        err = cache_file_pages(pdb->env.pc, pdb->dbid, &cpgFile);
    if (err >= 0 && pcpgReal)
        *pcpgReal = cpgFile;
    return err;
}
