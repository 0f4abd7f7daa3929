/*
 * cursor.c -- table cursors and navigation: handles (JET_TABLEID), opening and
 * closing cursors, the helpers every cursor file shares (implicit
 * transactions around a change, setting a position, reloading a changed
 * schema), and moving over the current index: move, record positions,
 * duplicate cursors, write locks, make key, seek, index ranges, index record
 * counts, keys and bookmarks, the current index.
 *
 * Owns: isam_cursor (a JET_TABLEID) and its position (POS_* in isam_int.h),
 * navigation over versioned nodes (a node invisible to the session's
 * snapshot is skipped), the kept image of the current record (recCur, valid
 * under V5 in isam_int.h: isam_cur_record) and its parsed layout (recLay,
 * V5b: isam_cur_layout).
 * Must not touch: the record format (record.c), version chains (ver.c),
 * catalog rows (catalog.c), the long-value tree (lv.c), pages; table and
 * column definitions (table.c), record changes (update.c), column values
 * (retrieve.c), index definitions (index.c).
 *
 * Cursor positions: ON a record (pbKeyCur = its node key in the current
 * index's tree, pbBm = its primary bookmark), BEFORE the first or AFTER the
 * last record, or DEFER: ESENT's deferred move to first, where opening a
 * table, duplicating a cursor or changing the current index leaves it
 * (POS_DEFER in isam_int.h; isam_cur_on settles it when a record is
 * needed).  A move that leaves the index range removes it and ends AFTER
 * (BEFORE, moving backwards), as in ESENT.  Seeks treat an entry whose
 * key starts with the search key as equal to it (partial keys match every
 * entry with those leading columns).  Secondary-index definitions are shared
 * through the catalog: a cursor reloads them when isam_db.schemaGen moved.  Every move starts by re-seeking the btree cursor to
 * the bookmark, so concurrent changes by other sessions never invalidate it.
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

#define TABLEID_TAG 0xE7ULL

#define TABLEID_TAG 0xE7ULL

/* ------------------------------------------------------------------------ */
/* Handles                                                                   */
/* ------------------------------------------------------------------------ */

static JET_TABLEID cursor_handle(uint32_t slot, uint32_t gen)
{
    return (JET_TABLEID)((TABLEID_TAG << 56) | ((uint64_t)(gen & 0xFFFFFF) << 32) | (slot + 1));
}

isam_cursor *cursor_get(isam_sess *psess, JET_TABLEID tableid)
{
    uint64_t v = (uint64_t)tableid;
    if ((v >> 56) != TABLEID_TAG)
        return NULL;
    uint32_t slot = (uint32_t)(v & 0xFFFFFFFF);
    uint32_t gen = (uint32_t)((v >> 32) & 0xFFFFFF);
    if (slot == 0 || slot > psess->ccursors)
        return NULL;
    isam_cursor *pcur = psess->cursors[slot - 1];
    if (!pcur->used || (pcur->gen & 0xFFFFFF) != gen)
        return NULL;
    return pcur;
}

/* Count one more open cursor of the instance: JET_errOutOfCursors at
 * cfg.cCursorsMax (JET_paramMaxCursors). */
static JET_ERR cursor_count_open(isam_inst *pinst)
{
    uint32_t cmax = pinst->cfg.cCursorsMax ? pinst->cfg.cCursorsMax : 1024;
    JET_ERR err = JET_errSuccess;
    os_mutex_lock(&pinst->lock);
    testcase(pinst->ccursorsOpen + 1 == cmax); /* the last cursor the limit allows */
    testcase(pinst->ccursorsOpen >= cmax);     /* one too many */
    if (pinst->ccursorsOpen >= cmax)
        err = JET_errOutOfCursors;
    else
        pinst->ccursorsOpen++;
    os_mutex_unlock(&pinst->lock);
    return err;
}

static void cursor_count_closed(isam_inst *pinst)
{
    os_mutex_lock(&pinst->lock);
    pinst->ccursorsOpen--;
    os_mutex_unlock(&pinst->lock);
}

/* A free cursor slot of the session: a closed one, else a new one (the slot
 * array doubles when full).  *pslot receives its index. */
static JET_ERR cursor_slot(isam_sess *psess, uint32_t *pslot)
{
    for (uint32_t i = 0; i < psess->ccursors; i++)
        if (!psess->cursors[i]->used) {
            *pslot = i;
            return JET_errSuccess;
        }
    testcase(psess->ccursors == psess->ccursorsAlloc); /* the slot array grows */
    if (psess->ccursors == psess->ccursorsAlloc) {
        uint32_t c = psess->ccursorsAlloc ? psess->ccursorsAlloc * 2 : 16;
        isam_cursor **pp = os_realloc(psess->cursors, c * sizeof(*pp));
        if (pp == NULL)
            return JET_errOutOfMemory;
        psess->cursors = pp;
        psess->ccursorsAlloc = c;
    }
    isam_cursor *pcur = os_calloc(1, sizeof(*pcur));
    if (pcur == NULL)
        return JET_errOutOfMemory;
    psess->cursors[psess->ccursors] = pcur;
    *pslot = psess->ccursors++;
    return JET_errSuccess;
}

JET_ERR cursor_alloc(isam_sess *psess, isam_db *pdb, table_def *ptd, JET_TABLEID *ptableid)
{
    uint32_t i = 0;
    JET_ERR err = cursor_count_open(psess->inst);
    if (err < 0)
        return err;
    err = cursor_slot(psess, &i);
    if (err < 0) {
        cursor_count_closed(psess->inst);
        return err;
    }
    isam_cursor *pcur = psess->cursors[i];
    uint32_t gen = pcur->gen + 1;
    memset(pcur, 0, sizeof(*pcur));
    pcur->gen = gen ? gen : 1;
    pcur->db = pdb;
    pcur->td = ptd;
    pcur->prep = JET_prepCancel;
    err = reclaim_open_table(psess->inst, pdb->dbid, ptd->objid); /* R3 in reclaim.c */
    if (err >= 0) {
        err = bt_cursor_open(&pdb->env, ptd->pgnoRoot, &pcur->bc);
        if (err < 0)
            reclaim_close_table(psess->inst, pdb->dbid, ptd->objid);
    }
    if (err < 0) {
        cursor_count_closed(psess->inst);
        return err;
    }
    pcur->used = 1;
    pcur->positioned = POS_DEFER; /* as ESENT's JetOpenTable (temp.c puts its own BEFORE) */
    *ptableid = cursor_handle(i, pcur->gen);
    return JET_errSuccess;
}

static void cursor_free(isam_inst *pinst, isam_cursor *pcur)
{
    ls_cursor_closing(pinst, pcur); /* ls.c: before the cursor's table is let go */
    reclaim_close_table(pinst, pcur->db->dbid, pcur->td->objid);
    bt_cursor_close(pcur->bc);
    cat_free_table(pcur->td);
    rec_free(&pcur->rec);
    rec_free(&pcur->recCur);
    os_free(pcur->plidNew);
    os_free(pcur->pbKeyCur);
    os_free(pcur->pbBm);
    uint32_t gen = pcur->gen;
    memset(pcur, 0, sizeof(*pcur));
    pcur->gen = gen;
    cursor_count_closed(pinst);
}

/* Begin an implicit transaction (fSave: a savepoint) for a change through
 * pcur; *pmark remembers where the caller's transaction stood.  A temporary
 * table may be written inside a read-only transaction: its scratch rows are
 * no part of what the transaction reads. */
JET_ERR isam_cur_trx_begin(isam_sess *psess, isam_cursor *pcur, int fSave, int *pfAuto, const void **pmark)
{
    *pmark = ver_mark(psess);
    psess->fScratch = pcur->fTemp;
    JET_ERR err = fSave ? trx_save_begin(psess, pfAuto) : trx_auto_begin(psess, pfAuto);
    psess->fScratch = 0;
    return err;
}

/* End what isam_cur_trx_begin began.  With JET_paramEnableTempTableVersioning
 * off, a temporary table's change made inside the caller's transaction
 * keeps no versions once it succeeded: a rollback no longer undoes it (a
 * failed change is still undone whole by its savepoint). */
JET_ERR isam_cur_trx_end(isam_sess *psess, isam_cursor *pcur, int fSave, int fAuto, const void *mark, JET_ERR err)
{
    err = fSave ? trx_save_end(psess, fAuto, err) : trx_auto_end(psess, fAuto, err);
    if (err >= 0 && !fAuto && pcur->fTemp && psess->inst->cfg.fTempUnversioned)
        ver_forget_since(psess, mark);
    return err;
}

static JET_ERR buf_put(uint8_t **ppb, uint32_t *pcb, uint32_t *pcbAlloc, const void *pv, uint32_t cb)
{
    if (cb > *pcbAlloc) {
        uint8_t *p = os_realloc(*ppb, cb);
        if (p == NULL)
            return JET_errOutOfMemory;
        *ppb = p;
        *pcbAlloc = cb;
    }
    memmove(*ppb, pv, cb);
    *pcb = cb;
    return JET_errSuccess;
}

/* V5 stamp: what the session's visible images depend on besides the
 * instance's generation. */
static uint64_t cur_trx_stamp(const isam_sess *psess)
{
    return psess->trx ? psess->trx->trxid : 0;
}

static uint64_t vis_gen(const isam_sess *psess)
{
    return atomic_load(&psess->inst->visGen);
}

/* V5 / V5b: the kept image (and its parsed layout) no longer describes the
 * current record; called before recCur is rewritten. */
static void cur_rec_forget(isam_cursor *pcur)
{
    pcur->fRecCur = 0;
    pcur->fRecLay = 0;
}

/* Position ON the node `key` of the current index's tree, whose record has
 * primary bookmark bm (== key on the primary index). */
JET_ERR isam_set_pos(isam_cursor *pcur, const void *key, uint32_t cbKey, const void *bm, uint32_t cbBm)
{
    cur_rec_forget(pcur); /* V5: the kept image was the previous record's */
    JET_ERR err = buf_put(&pcur->pbKeyCur, &pcur->cbKeyCur, &pcur->cbKeyCurAlloc, key, cbKey);
    if (err >= 0)
        err = buf_put(&pcur->pbBm, &pcur->cbBm, &pcur->cbBmAlloc, bm, cbBm);
    if (err >= 0)
        pcur->positioned = POS_ON;
    return err;
}

JET_ERR isam_cur_record(isam_sess *psess, isam_cursor *pcur, const rec_buf **pprec)
{
    *pprec = NULL;
    if (pcur->positioned != POS_ON) {
        JET_ERR e = isam_cur_on(psess, pcur); /* a deferred cursor settles on the first record */
        if (e < 0)
            return e;
    }
    /* V5: kept from the move or an earlier read, and nothing any reader
     * could see changed since, in the same transaction. */
    if (pcur->fRecCur && pcur->recGen == vis_gen(psess) && pcur->recTrx == cur_trx_stamp(psess)) {
        *pprec = &pcur->recCur;
        return JET_errSuccess;
    }
    cur_rec_forget(pcur);
    uint64_t gen = vis_gen(psess); /* before rec_read_visible copies the node */
    JET_ERR err = rec_read_visible(psess, pcur->db, pcur->td->pgnoRoot, pcur->pbBm, pcur->cbBm, &pcur->recCur);
    if (err >= 0)
        err = lv_ovf_expand(psess, pcur->db, pcur->td, &pcur->recCur); /* lv.c O1: the whole record */
    if (err == JET_errRecordNotFound)
        return JET_errRecordDeleted;
    if (err < 0)
        return err;
    pcur->fRecCur = 1;
    pcur->recGen = gen;
    pcur->recTrx = cur_trx_stamp(psess);
    *pprec = &pcur->recCur;
    return JET_errSuccess;
}

JET_ERR isam_cur_layout(isam_sess *psess, isam_cursor *pcur, const rec_layout **ppl)
{
    /* V5's test of isam_cur_record, without the call: fRecLay implies fRecCur (V5b) */
    if (pcur->fRecLay && pcur->positioned == POS_ON && pcur->recGen == vis_gen(psess) &&
        pcur->recTrx == cur_trx_stamp(psess)) {
        *ppl = &pcur->recLay;
        return JET_errSuccess;
    }
    const rec_buf *prec = NULL;
    *ppl = NULL;
    JET_ERR err = isam_cur_record(psess, pcur, &prec);
    if (err < 0)
        return err;
    if (!pcur->fRecLay) { /* V5b: parsed once per image */
        err = rec_layout_parse(prec->pb, prec->cb, &pcur->recLay);
        if (err < 0)
            return err;
        pcur->fRecLay = 1;
    }
    *ppl = &pcur->recLay;
    return JET_errSuccess;
}

/* Root of the current index's tree. */
static uint32_t cur_root(isam_cursor *pcur)
{
    idx_def *pidx = cur_idx(pcur);
    return pidx ? pidx->pgnoRoot : pcur->td->pgnoRoot;
}

/* Reload the table's columns and secondary indexes when another cursor
 * changed them (column or index DDL) since they were loaded. */
JET_ERR isam_sync_indexes(isam_sess *psess, isam_cursor *pcur)
{
    /* Atomic, no inst.lock: a bump made before this call began (under the
     * lock, or under schemaLock held exclusively, which a writer takes
     * shared before syncing: S1) is seen; one racing with the call is
     * seen by the next call, as it was with the lock. */
    uint32_t gen = atomic_load(&pcur->db->schemaGen);
    /* index rows whose visibility depends on the view: reload for another view */
    if (gen == pcur->td->schemaGen && !(pcur->td->fSnapDep && cat_view(psess) != pcur->td->snapLoaded))
        return JET_errSuccess;
    JET_ERR err = cat_reload_columns(psess, pcur->db, pcur->td);
    if (err >= 0)
        err = cat_load_indexes(psess, pcur->db, pcur->td);
    if (err >= 0 && pcur->objidIdx && (cur_idx(pcur) == NULL || !cur_idx(pcur)->fNavigable)) {
        /* our index is gone: back to the primary index */
        pcur->objidIdx = 0;
        pcur->positioned = POS_BEFORE;
        pcur->fRange = 0;
        bt_cursor_close(pcur->bc);
        pcur->bc = NULL;
        err = bt_cursor_open(&pcur->db->env, pcur->td->pgnoRoot, &pcur->bc);
    }
    return err;
}

/* Close a cursor: its prepared update is cancelled; a temporary table's
 * cursor takes the table with it (temp.c). */
void cursor_close(isam_sess *psess, isam_cursor *pcur)
{
    isam_cancel_update(psess, pcur);
    if (pcur->fTemp)
        temp_drop(psess, pcur);
    cursor_free(psess->inst, pcur);
}

/* ------------------------------------------------------------------------ */
/* Navigation                                                                */
/* ------------------------------------------------------------------------ */

/* Compare key k with search key r taken as a prefix: 0 when k starts with r. */
static int cmp_prefix(const uint8_t *k, uint32_t cbk, const uint8_t *r, uint32_t cbr)
{
    uint32_t n = cbk < cbr ? cbk : cbr;
    int c = n ? memcmp(k, r, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return cbk < cbr ? -1 : 0;
}

/* Is the current entry inside the index range (if any)? */
static int in_range(isam_cursor *pcur)
{
    if (!pcur->fRange)
        return 1;
    int c = cmp_prefix(pcur->pbKeyCur, cur_keypart(pcur), pcur->keyRange, pcur->cbRange);
    int incl = (pcur->grbitRange & JET_bitRangeInclusive) != 0;
    if (pcur->grbitRange & JET_bitRangeUpperLimit)
        return incl ? c <= 0 : c < 0;
    return incl ? c >= 0 : c > 0;
}

/* Skip from the btree cursor's node in `dir` (+1 forward, -1 backward) to the
 * first node visible to the session and position on it; stop at the index
 * range (the range is then removed and the cursor is after the end of the
 * index, or before its start, as in ESENT).  gen: inst.visGen loaded before
 * the btree cursor copied its node; on the primary index the record's
 * visible image is kept in pcur->recCur with it (V5), so that retrieving
 * columns does not look the record up again. */
static JET_ERR step_visible(isam_sess *psess, isam_cursor *pcur, int dir, uint64_t gen, JET_ERR err)
{
    rec_buf tmp = { 0 };
    idx_def *pidx = cur_idx(pcur);
    rec_buf *pimg = pidx ? &tmp : &pcur->recCur; /* an index entry's data, or the record */
    uint32_t root = cur_root(pcur);
    cur_rec_forget(pcur);
    while (err >= 0) {
        const void *pk, *pd;
        uint32_t cbk, cbd, fl;
        err = bt_current(pcur->bc, &pk, &cbk, &pd, &cbd, &fl);
        if (err < 0)
            break;
        err = rec_visible(psess, pcur->db, root, pk, cbk, pd, cbd, fl, pimg);
        if (err >= 0 && !pidx)
            err = lv_ovf_expand(psess, pcur->db, pcur->td, pimg); /* lv.c O1: the whole record */
        if (err >= 0) {
            const void *bm = pk;
            uint32_t cbBm = cbk;
            if (pidx)
                err = idx_entry_bookmark(pidx, pk, cbk, tmp.pb, tmp.cb, &bm, &cbBm);
            if (err >= 0)
                err = isam_set_pos(pcur, pk, cbk, bm, cbBm);
            if (err >= 0 && !pidx) {
                pcur->fRecCur = 1;
                pcur->recGen = gen;
                pcur->recTrx = cur_trx_stamp(psess);
            }
            if (err >= 0 && !in_range(pcur)) {
                /* As ESENT: leaving the range removes it and leaves the
                 * cursor after the last entry of the index (before the
                 * first, moving backwards). */
                pcur->fRange = 0;
                pcur->positioned = dir > 0 ? POS_AFTER : POS_BEFORE;
                err = JET_errNoCurrentRecord;
            }
            break;
        }
        if (err != JET_errRecordNotFound)
            break;
        err = dir > 0 ? bt_next(pcur->bc) : bt_prev(pcur->bc);
    }
    rec_free(&tmp);
    if (err == JET_errRecordNotFound)
        err = JET_errNoCurrentRecord;
    return err;
}

static JET_ERR move_one(isam_sess *psess, isam_cursor *pcur, int dir)
{
    JET_ERR err;
    int pos = pcur->positioned;
    uint64_t gen = vis_gen(psess); /* V5: before the btree copies the node */
    if (pos == POS_ON) {
        /* The neighbour of pbKeyCur: a GT / LT seek from the root, or, when
         * the btree cursor still stands on pbKeyCur (it does after every
         * move; other calls may have moved it), a step from its leaf.  Same
         * node either way: bt_next / bt_prev revalidate the remembered leaf
         * by key (btree L7: leaf of this tree, layout sound, the key still
         * bracketed by its nodes, else they seek from the root themselves),
         * and the first node after a key bracketed by one leaf is on that
         * leaf.  Issue 20: the seek was most of a scan's cost. */
        const void *pk = NULL;
        uint32_t cbk = 0;
        if (bt_current(pcur->bc, &pk, &cbk, NULL, NULL, NULL) >= 0 && cbk == pcur->cbKeyCur &&
            (cbk == 0 || memcmp(pk, pcur->pbKeyCur, cbk) == 0))
            err = dir > 0 ? bt_next(pcur->bc) : bt_prev(pcur->bc);
        else
            err = bt_seek(pcur->bc, pcur->pbKeyCur, pcur->cbKeyCur, dir > 0 ? BT_SEEK_GT : BT_SEEK_LT);
    } else if (pos == POS_BEFORE) {
        if (dir < 0)
            return JET_errNoCurrentRecord;
        err = bt_first(pcur->bc);
    } else if (pos == POS_AFTER) {
        if (dir > 0)
            return JET_errNoCurrentRecord;
        err = bt_last(pcur->bc);
    } else {
        err = dir > 0 ? bt_first(pcur->bc) : bt_last(pcur->bc);
    }
    if (err == JET_errRecordNotFound)
        err = JET_errNoCurrentRecord;
    err = step_visible(psess, pcur, dir, gen, err);
    if (err == JET_errNoCurrentRecord)
        pcur->positioned = dir > 0 ? POS_AFTER : POS_BEFORE;
    return err;
}

/* A copy of the cursor's position, to look ahead and come back. */
typedef struct saved_pos {
    int      positioned;
    int      fRange; /* a look-ahead that leaves the range removes it (step_visible) */
    uint8_t *pb;
    uint32_t cbKey, cbBm;
} saved_pos;

static JET_ERR pos_save(isam_cursor *pcur, saved_pos *sp)
{
    sp->positioned = pcur->positioned;
    sp->fRange = pcur->fRange;
    sp->cbKey = pcur->cbKeyCur;
    sp->cbBm = pcur->cbBm;
    sp->pb = os_malloc(sp->cbKey + sp->cbBm + 1);
    if (sp->pb == NULL)
        return JET_errOutOfMemory;
    if (sp->cbKey)
        memcpy(sp->pb, pcur->pbKeyCur, sp->cbKey);
    if (sp->cbBm)
        memcpy(sp->pb + sp->cbKey, pcur->pbBm, sp->cbBm);
    return JET_errSuccess;
}

static void pos_restore(isam_cursor *pcur, saved_pos *sp)
{
    /* never grows the buffers (they only grow), so it cannot fail */
    if (sp->cbKey || sp->cbBm)
        (void)isam_set_pos(pcur, sp->pb, sp->cbKey, sp->pb + sp->cbKey, sp->cbBm);
    pcur->positioned = sp->positioned;
    pcur->fRange = sp->fRange;
    os_free(sp->pb);
    sp->pb = NULL;
}

JET_ERR isam_move(isam_sess *psess, JET_TABLEID tableid, int32_t cRow, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (grbit & ~(JET_GRBIT)JET_bitMoveKeyNE)
        return JET_errInvalidGrbit;
    isam_cancel_update(psess, pcur);
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    if (cRow == JET_MoveFirst) {
        pcur->fRange = 0; /* MoveFirst / MoveLast remove the index range */
        pcur->positioned = POS_BEFORE;
        err = move_one(psess, pcur, +1);
        if (err == JET_errNoCurrentRecord)
            pcur->positioned = POS_BEFORE;
        return err;
    }
    if (cRow == JET_MoveLast) {
        pcur->fRange = 0;
        pcur->positioned = POS_AFTER;
        err = move_one(psess, pcur, -1);
        if (err == JET_errNoCurrentRecord)
            pcur->positioned = POS_AFTER;
        return err;
    }
    if (cRow == 0 || pcur->positioned == POS_DEFER) {
        /* As ESENT: a deferred cursor settles on the first record, then
         * moves (JET_MoveNext lands on the second); an empty index leaves
         * it deferred. */
        err = isam_cur_on(psess, pcur);
        if (cRow == 0 || err < 0)
            return err;
    }
    int dir = cRow > 0 ? 1 : -1;
    uint32_t n = cRow > 0 ? (uint32_t)cRow : (uint32_t)(-(int64_t)cRow);
    uint8_t *prev = NULL;
    uint32_t cbPrev = 0;
    for (uint32_t i = 0; i < n && err >= 0; i++) {
        if ((grbit & JET_bitMoveKeyNE) && pcur->positioned == POS_ON) {
            cbPrev = cur_keypart(pcur);
            uint8_t *p = os_realloc(prev, cbPrev + 1);
            if (p == NULL) {
                err = JET_errOutOfMemory;
                break;
            }
            prev = p;
            memcpy(prev, pcur->pbKeyCur, cbPrev);
            do
                err = move_one(psess, pcur, dir);
            while (err >= 0 && cur_keypart(pcur) == cbPrev && memcmp(pcur->pbKeyCur, prev, cbPrev) == 0);
        } else {
            err = move_one(psess, pcur, dir);
        }
    }
    os_free(prev);
    return err;
}

/* Settle a deferred cursor (POS_DEFER) on the first entry of the current
 * index, as ESENT does on the first call that needs a record; an empty index
 * leaves it deferred (JET_errNoCurrentRecord). */
JET_ERR isam_cur_settle(isam_sess *psess, isam_cursor *pcur)
{
    if (pcur->positioned != POS_DEFER)
        return pcur->positioned == POS_ON ? JET_errSuccess : JET_errNoCurrentRecord;
    pcur->positioned = POS_BEFORE;
    JET_ERR err = move_one(psess, pcur, +1);
    if (err < 0)
        pcur->positioned = POS_DEFER;
    return err;
}

/* Entries of the current index (within the index range, if any) before the
 * current one, and in all: counted exactly by walking (ESE estimates). */
JET_ERR isam_get_record_position(isam_sess *psess, JET_TABLEID tableid, JET_RECPOS *precpos, uint32_t cb)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (precpos == NULL || cb < sizeof(JET_RECPOS))
        return JET_errInvalidParameter;
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err >= 0)
        err = isam_cur_on(psess, pcur);
    if (err < 0)
        return err;
    uint32_t n[2] = { 0, 0 };
    for (int d = 0; d < 2 && err >= 0; d++) {
        saved_pos sp;
        err = pos_save(pcur, &sp);
        if (err < 0)
            break;
        while ((err = move_one(psess, pcur, d ? +1 : -1)) >= 0)
            n[d]++;
        pos_restore(pcur, &sp);
        if (err == JET_errNoCurrentRecord)
            err = JET_errSuccess;
    }
    if (err < 0)
        return err;
    precpos->cbStruct = sizeof(JET_RECPOS);
    precpos->centriesLT = n[0];
    precpos->centriesInRange = 1;
    precpos->centriesTotal = n[0] + 1 + n[1];
    return JET_errSuccess;
}

/* Move to the entry at the fraction centriesLT / centriesTotal of the current index. */
JET_ERR isam_goto_position(isam_sess *psess, JET_TABLEID tableid, const JET_RECPOS *precpos)
{
    if (precpos == NULL || precpos->cbStruct < sizeof(JET_RECPOS) || precpos->centriesTotal == 0 ||
        precpos->centriesLT > precpos->centriesTotal)
        return JET_errInvalidParameter;
    JET_ERR err = isam_move(psess, tableid, JET_MoveFirst, 0);
    uint32_t n = 0;
    if (err >= 0)
        err = isam_index_record_count(psess, tableid, &n, 0);
    if (err < 0)
        return err;
    uint64_t target = (uint64_t)precpos->centriesLT * n / precpos->centriesTotal;
    if (target >= n)
        target = n - 1;
    return target ? isam_move(psess, tableid, (int32_t)target, 0) : JET_errSuccess;
}

/* A second cursor on the same table, as ESENT's JetDupCursor: on the
 * clustered (primary) index whatever the source's current index, in the
 * deferred move to first (POS_DEFER); nothing else of the source is copied
 * (position, search key, range, prepared update, PermitDDL) but whether it
 * may change the table (fReadOnly). */
JET_ERR isam_dup_cursor(isam_sess *psess, JET_TABLEID tableid, JET_TABLEID *ptableid, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (ptableid == NULL)
        return JET_errInvalidParameter;
    if (grbit != 0)
        return JET_errInvalidGrbit;
    if (pcur->fTemp)
        return temp_dup(psess, pcur, ptableid);
    table_def *ptd = NULL;
    JET_ERR err = cat_load_table(psess, pcur->db, pcur->td->name, &ptd);
    if (err < 0)
        return err;
    int fReadOnly = pcur->fReadOnly;
    err = cursor_alloc(psess, pcur->db, ptd, ptableid);
    if (err < 0) {
        cat_free_table(ptd);
        return err;
    }
    isam_cursor *pdup = cursor_get(psess, *ptableid);
    pdup->fReadOnly = fReadOnly;
    pdup->positioned = POS_DEFER;
    return JET_errSuccess;
}

/* JetGetLock: JET_bitWriteLock claims the current record for the session's
 * transaction (others then get JET_errWriteConflict) by rewriting it
 * unchanged.  JET_bitReadLock keeps other transactions from changing it until
 * this one ends (rlock.c); several transactions may read-lock one record. */
JET_ERR isam_get_lock(isam_sess *psess, JET_TABLEID tableid, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (grbit != JET_bitWriteLock && grbit != JET_bitReadLock)
        return JET_errInvalidGrbit;
    if (psess->trx == NULL)
        return JET_errNotInTransaction;
    if (grbit == JET_bitReadLock) {
        JET_ERR err = isam_cur_on(psess, pcur);
        if (err < 0)
            return err;
        rec_buf rec = { 0 };
        err = isam_load_current(psess, pcur, &rec); /* it must still be there for us */
        rec_free(&rec);
        return err < 0 ? err : rlock_acquire(psess, pcur->db, pcur->td->pgnoRoot, pcur->pbBm, pcur->cbBm);
    }
    if (pcur->fReadOnly)
        return JET_errPermissionDenied; /* CU1 */
    if (psess->trx->readonly)
        return JET_errTransReadOnly;
    rec_buf rec = { 0 };
    JET_ERR err = isam_load_current(psess, pcur, &rec);
    if (err >= 0)
        err = rec_op_replace(psess, pcur->db, pcur->td->pgnoRoot, pcur->pbBm, pcur->cbBm, rec.pb, rec.cb);
    rec_free(&rec);
    return err;
}

JET_ERR isam_make_key(isam_sess *psess, JET_TABLEID tableid, const void *pv, uint32_t cb, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    const JET_GRBIT limits = JET_bitStrLimit | JET_bitSubStrLimit | JET_bitFullColumnStartLimit |
                             JET_bitFullColumnEndLimit | JET_bitPartialColumnStartLimit |
                             JET_bitPartialColumnEndLimit;
    if (grbit & ~(JET_GRBIT)(JET_bitNewKey | JET_bitKeyDataZeroLength | JET_bitNormalizedKey | limits))
        return JET_errInvalidGrbit;
    if (cb > 0 && pv == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    table_def *ptd = pcur->td;
    idx_def *pidx = cur_idx(pcur);
    uint32_t cseg = pidx ? pidx->cseg : ptd->cseg;
    const key_seg *segs = pidx ? pidx->segs : ptd->segs;
    if (grbit & JET_bitNewKey) {
        pcur->cbKeyMade = 0;
        pcur->csegMade = 0;
        pcur->fKeyMade = 1;
        pcur->fKeyLimit = 0;
    } else if (!pcur->fKeyMade) {
        return JET_errKeyNotMade;
    }
    if (grbit & JET_bitNormalizedKey) {
        if (cb > sizeof(pcur->keyMade))
            return JET_errKeyTooBig;
        memcpy(pcur->keyMade, pv, cb);
        pcur->cbKeyMade = cb;
        pcur->csegMade = cseg ? cseg : 1;
        return JET_errSuccess;
    }
    if (cseg == 0) {
        /* sequential-key table: the key is the 8-byte bookmark */
        if (pcur->csegMade >= 1)
            return JET_errKeyIsMade;
        if (cb != 8)
            return JET_errInvalidBufferSize;
        memcpy(pcur->keyMade, pv, 8);
        pcur->cbKeyMade = 8;
        pcur->csegMade = 1;
        return JET_errSuccess;
    }
    if (pcur->csegMade >= cseg)
        return JET_errKeyIsMade;
    col_info *pci = col_by_id(ptd, segs[pcur->csegMade].columnid);
    if (pci == NULL)
        return JET_errColumnNotFound;
    const void *value = (cb == 0 && !(grbit & JET_bitKeyDataZeroLength)) ? NULL : pv;
    static const uint8_t empty = 0;
    if (value == NULL && (grbit & JET_bitKeyDataZeroLength))
        value = &empty;
    if (value && rec_fixed_size(&pci->rc) && cb != rec_fixed_size(&pci->rc) &&
        pci->rc.coltyp != JET_coltypText && pci->rc.coltyp != JET_coltypBinary)
        return JET_errInvalidBufferSize;
    int trunc = 0;
    /* Prefix limits take the value without its terminator (record.h). */
    int prefix = (grbit & (JET_bitSubStrLimit | JET_bitPartialColumnStartLimit | JET_bitPartialColumnEndLimit)) != 0;
    err = (prefix ? key_append_segment_prefix : key_append_segment)(
        pcur->keyMade, &pcur->cbKeyMade, key_max(pcur), &pci->rc, value, cb, segs[pcur->csegMade].segflags, &trunc);
    if (err < 0)
        return err;
    pcur->csegMade++;
    if (grbit & (JET_bitStrLimit | JET_bitSubStrLimit | JET_bitFullColumnEndLimit | JET_bitPartialColumnEndLimit)) {
        err = key_append_limit(pcur->keyMade, &pcur->cbKeyMade, sizeof(pcur->keyMade),
                               (grbit & JET_bitFullColumnEndLimit) != 0);
        pcur->fKeyLimit = 1;
    }
    return err;
}

JET_ERR isam_seek(isam_sess *psess, JET_TABLEID tableid, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    const JET_GRBIT modes = JET_bitSeekEQ | JET_bitSeekLT | JET_bitSeekLE | JET_bitSeekGE | JET_bitSeekGT;
    if (grbit & ~(JET_GRBIT)(modes | JET_bitCheckUniqueness | JET_bitSetIndexRange))
        return JET_errInvalidGrbit;
    JET_GRBIT mode = grbit & modes;
    if (mode == 0 || (mode & (mode - 1)))
        return JET_errInvalidGrbit;
    if (!pcur->fKeyMade)
        return JET_errKeyNotMade;
    isam_cancel_update(psess, pcur);
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    pcur->fRange = 0;
    /* The search key, and its high form: followed by 0xFF bytes it sorts
     * after every entry that starts with it (key.c, limits). */
    uint32_t cbKey = pcur->cbKeyMade;
    uint8_t *key = os_malloc(2 * sizeof(pcur->keyMade));
    if (key == NULL)
        return JET_errOutOfMemory;
    uint8_t *hi = key + sizeof(pcur->keyMade);
    memcpy(key, pcur->keyMade, cbKey);
    memcpy(hi, key, cbKey);
    memset(hi + cbKey, 0xFF, sizeof(pcur->keyMade) - cbKey);
    pcur->fKeyMade = 0;
    /* Entries that start with the search key count as equal to it. */
    const void *k = key;
    uint32_t cbk = cbKey;
    int btmode = BT_SEEK_GE, dir = +1;
    if (mode == JET_bitSeekGT || mode == JET_bitSeekLE) {
        k = hi;
        cbk = sizeof(pcur->keyMade);
        btmode = mode == JET_bitSeekGT ? BT_SEEK_GT : BT_SEEK_LE;
    } else if (mode == JET_bitSeekLT) {
        btmode = BT_SEEK_LT;
    }
    if (btmode == BT_SEEK_LE || btmode == BT_SEEK_LT)
        dir = -1;
    uint64_t gen = vis_gen(psess); /* V5: before the btree copies the node */
    err = bt_seek(pcur->bc, k, cbk, btmode);
    if (err == JET_errRecordNotFound)
        err = JET_errNoCurrentRecord;
    err = step_visible(psess, pcur, dir, gen, err);
    if (err == JET_errNoCurrentRecord) {
        pcur->positioned = POS_NONE;
        err = JET_errRecordNotFound;
    }
    if (err >= 0) {
        int c = cmp_prefix(pcur->pbKeyCur, cur_keypart(pcur), key, cbKey);
        int exact = c == 0 && cur_keypart(pcur) == cbKey;
        if (mode == JET_bitSeekEQ) {
            if (c != 0) {
                pcur->positioned = POS_NONE;
                err = JET_errRecordNotFound;
            } else if (grbit & JET_bitCheckUniqueness) {
                /* exactly one match: JET_wrnUniqueKey */
                saved_pos sp;
                err = pos_save(pcur, &sp);
                if (err >= 0) {
                    JET_ERR e = move_one(psess, pcur, +1);
                    int more = e >= 0 && cmp_prefix(pcur->pbKeyCur, cur_keypart(pcur), key, cbKey) == 0;
                    pos_restore(pcur, &sp);
                    if (e < 0 && e != JET_errNoCurrentRecord)
                        err = e;
                    else if (!more)
                        err = JET_wrnUniqueKey;
                }
            }
        } else if (!exact && (mode == JET_bitSeekGE || mode == JET_bitSeekLE)) {
            /* As ESENT: only GE / LE warn; a GT / LT hit is never equal
             * by definition and returns JET_errSuccess. */
            err = JET_wrnSeekNotEqual;
        }
    }
    if (err >= 0 && (grbit & JET_bitSetIndexRange)) {
        /* the range: up to the search key, inclusive */
        memcpy(pcur->keyRange, key, cbKey);
        pcur->cbRange = cbKey;
        pcur->grbitRange = JET_bitRangeInclusive | JET_bitRangeUpperLimit;
        pcur->fRange = 1;
    }
    os_free(key);
    return err;
}

JET_ERR isam_set_index_range(isam_sess *psess, JET_TABLEID tableid, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (grbit & ~(JET_GRBIT)(JET_bitRangeInclusive | JET_bitRangeUpperLimit | JET_bitRangeInstantDuration |
                             JET_bitRangeRemove))
        return JET_errInvalidGrbit;
    if (grbit & JET_bitRangeRemove) {
        if (!pcur->fRange)
            return JET_errInvalidOperation;
        pcur->fRange = 0;
        return JET_errSuccess;
    }
    if (!pcur->fKeyMade)
        return JET_errKeyNotMade;
    JET_ERR err = isam_cur_on(psess, pcur);
    if (err < 0)
        return err;
    memcpy(pcur->keyRange, pcur->keyMade, pcur->cbKeyMade);
    pcur->cbRange = pcur->cbKeyMade;
    pcur->grbitRange = grbit & (JET_bitRangeInclusive | JET_bitRangeUpperLimit);
    pcur->fRange = 1;
    pcur->fKeyMade = 0;
    int ok = in_range(pcur);
    if (!ok || (grbit & JET_bitRangeInstantDuration))
        pcur->fRange = 0;
    return ok ? JET_errSuccess : JET_errNoCurrentRecord;
}

JET_ERR isam_index_record_count(isam_sess *psess, JET_TABLEID tableid, uint32_t *pcrec, uint32_t crecMax)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcrec == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = isam_cur_on(psess, pcur);
    if (err == JET_errNoCurrentRecord && pcur->positioned == POS_DEFER) {
        *pcrec = 0; /* as ESENT: a deferred cursor on an empty index counts 0 */
        return JET_errSuccess;
    }
    if (err < 0)
        return err;
    saved_pos sp;
    err = pos_save(pcur, &sp);
    if (err < 0)
        return err;
    uint32_t n = 1;
    while (crecMax == 0 || n < crecMax) {
        err = move_one(psess, pcur, +1);
        if (err < 0)
            break;
        n++;
    }
    pos_restore(pcur, &sp);
    if (err == JET_errNoCurrentRecord)
        err = JET_errSuccess;
    if (err >= 0)
        *pcrec = n;
    return err < 0 ? err : JET_errSuccess;
}

JET_ERR isam_retrieve_key(isam_sess *psess, JET_TABLEID tableid, void *pv, uint32_t cbMax, uint32_t *pcbActual,
                          JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (grbit & ~(JET_GRBIT)JET_bitRetrieveCopy)
        return JET_errInvalidGrbit;
    const uint8_t *pk;
    uint32_t cb;
    if (grbit & JET_bitRetrieveCopy) {
        if (!pcur->fKeyMade)
            return JET_errKeyNotMade;
        pk = pcur->keyMade;
        cb = pcur->cbKeyMade;
    } else {
        JET_ERR err = isam_cur_on(psess, pcur);
        if (err < 0)
            return err;
        pk = pcur->pbKeyCur;
        cb = cur_keypart(pcur);
    }
    if (pcbActual)
        *pcbActual = cb;
    uint32_t n = cb < cbMax ? cb : cbMax;
    if (pv && n)
        memcpy(pv, pk, n);
    return cb > cbMax ? JET_wrnBufferTruncated : JET_errSuccess;
}

JET_ERR isam_get_bookmark(isam_sess *psess, JET_TABLEID tableid, void *pv, uint32_t cbMax, uint32_t *pcbActual)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    JET_ERR err = isam_cur_on(psess, pcur);
    if (err < 0)
        return err;
    if (pcbActual)
        *pcbActual = pcur->cbBm;
    if (cbMax < pcur->cbBm)
        return JET_errBufferTooSmall;
    if (pv)
        memcpy(pv, pcur->pbBm, pcur->cbBm);
    return JET_errSuccess;
}

JET_ERR isam_goto_bookmark(isam_sess *psess, JET_TABLEID tableid, const void *pv, uint32_t cb)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pv == NULL || cb == 0 || cb > JET_cbKeyMost + 16)
        return JET_errInvalidBookmark;
    isam_cancel_update(psess, pcur);
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    saved_pos sp;
    err = pos_save(pcur, &sp);
    if (err < 0)
        return err;
    cur_rec_forget(pcur); /* V5: another record */
    err = buf_put(&pcur->pbBm, &pcur->cbBm, &pcur->cbBmAlloc, pv, cb);
    pcur->positioned = POS_ON;
    rec_buf tmp = { 0 };
    if (err >= 0)
        err = isam_load_current(psess, pcur, &tmp);
    if (err >= 0)
        err = isam_reposition_on_record(psess, pcur, &tmp);
    rec_free(&tmp);
    if (err < 0) {
        pos_restore(pcur, &sp); /* stay where we were */
        return err;
    }
    os_free(sp.pb);
    return JET_errSuccess;
}

JET_ERR isam_get_secondary_bookmark(isam_sess *psess, JET_TABLEID tableid, void *pvKey, uint32_t cbKeyMax,
                                    uint32_t *pcbKey, void *pvBm, uint32_t cbBmMax, uint32_t *pcbBm)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->objidIdx == 0)
        return JET_errNoCurrentIndex;
    JET_ERR err = isam_cur_on(psess, pcur);
    if (err < 0)
        return err;
    uint32_t cbKey = cur_keypart(pcur);
    if (pcbKey)
        *pcbKey = cbKey;
    if (pcbBm)
        *pcbBm = pcur->cbBm;
    if (cbKeyMax < cbKey || cbBmMax < pcur->cbBm)
        return JET_errBufferTooSmall;
    if (pvKey && cbKey)
        memcpy(pvKey, pcur->pbKeyCur, cbKey);
    if (pvBm)
        memcpy(pvBm, pcur->pbBm, pcur->cbBm);
    return JET_errSuccess;
}

JET_ERR isam_goto_secondary_bookmark(isam_sess *psess, JET_TABLEID tableid, const void *pvKey, uint32_t cbKey,
                                     const void *pvBm, uint32_t cbBm, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (grbit & ~(JET_GRBIT)0x1) /* JET_bitBookmarkPermitVirtualCurrency */
        return JET_errInvalidGrbit;
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    idx_def *pidx = cur_idx(pcur);
    if (pidx == NULL)
        return JET_errNoCurrentIndex;
    if (pvKey == NULL || pvBm == NULL || cbBm == 0 || cbBm > JET_cbBookmarkMost ||
        cbKey > JET_cbKeyMost8KBytePage)
        return JET_errInvalidBookmark;
    isam_cancel_update(psess, pcur);
    int unique = (pidx->grbit & JET_bitIndexUnique) != 0;
    uint32_t cbNode = cbKey + (unique ? 0 : cbBm);
    uint8_t *node = os_malloc(cbNode + 1);
    if (node == NULL)
        return JET_errOutOfMemory;
    memcpy(node, pvKey, cbKey);
    if (!unique)
        memcpy(node + cbKey, pvBm, cbBm);
    rec_buf data = { 0 };
    err = rec_read_visible(psess, pcur->db, pidx->pgnoRoot, node, cbNode, &data);
    if (err == JET_errRecordNotFound)
        err = JET_errRecordDeleted;
    const void *bmFound = NULL;
    uint32_t cbFound = 0;
    if (err >= 0)
        err = idx_entry_bookmark(pidx, node, cbNode, data.pb, data.cb, &bmFound, &cbFound);
    if (err >= 0 && (cbFound != cbBm || memcmp(bmFound, pvBm, cbBm) != 0))
        err = JET_errRecordDeleted;
    if (err >= 0)
        err = isam_set_pos(pcur, node, cbNode, pvBm, cbBm);
    os_free(node);
    rec_free(&data);
    return err;
}

JET_ERR isam_set_current_index(isam_sess *psess, JET_TABLEID tableid, const char *szIndex, JET_GRBIT grbit,
                               uint32_t itagSequence)
{
    (void)itagSequence;
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (grbit & ~(JET_GRBIT)JET_bitNoMove)
        return JET_errInvalidGrbit;
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    table_def *ptd = pcur->td;
    idx_def *pidx = NULL;
    if (szIndex && szIndex[0]) {
        pidx = idx_by_name(ptd, szIndex);
        if (pidx == NULL) {
            char a[JET_cbNameMost + 1], b[JET_cbNameMost + 1];
            if (!cat_name_fold(szIndex, a))
                return JET_errInvalidName;
            if (!(ptd->cseg && cat_name_fold(ptd->idxName, b) && strcmp(a, b) == 0))
                return JET_errIndexNotFound;
        }
    }
    uint32_t objid = pidx ? pidx->objid : 0;
    if (objid == pcur->objidIdx)
        return JET_errSuccess;
    if ((grbit & JET_bitNoMove) && pcur->positioned == POS_DEFER) {
        err = isam_cur_on(psess, pcur); /* NoMove keeps the record a deferred cursor stands for */
        if (err < 0 && err != JET_errNoCurrentRecord)
            return err;
    }
    isam_cancel_update(psess, pcur);
    bt_cursor *bc = NULL;
    err = bt_cursor_open(&pcur->db->env, pidx ? pidx->pgnoRoot : ptd->pgnoRoot, &bc);
    if (err < 0)
        return err;
    bt_cursor_close(pcur->bc);
    pcur->bc = bc;
    int wasOn = pcur->positioned == POS_ON;
    pcur->objidIdx = objid;
    pcur->fRange = 0;
    pcur->fKeyMade = 0;
    if ((grbit & JET_bitNoMove) && wasOn) {
        rec_buf tmp = { 0 };
        err = isam_load_current(psess, pcur, &tmp);
        if (err >= 0)
            err = isam_reposition_on_record(psess, pcur, &tmp);
        rec_free(&tmp);
        if (err < 0)
            pcur->positioned = POS_BEFORE;
        return err;
    }
    pcur->positioned = POS_DEFER; /* as ESENT: JET_bitMoveFirst defers the move */
    return JET_errSuccess;
}

JET_ERR isam_get_current_index(isam_sess *psess, JET_TABLEID tableid, char *szIndex, uint32_t cbMax)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (szIndex == NULL || cbMax == 0)
        return JET_errInvalidParameter;
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    idx_def *pidx = cur_idx(pcur);
    const char *name = pidx ? pidx->name : pcur->td->cseg ? pcur->td->idxName : "";
    size_t n = strlen(name);
    if (n + 1 > cbMax) {
        memcpy(szIndex, name, cbMax - 1);
        szIndex[cbMax - 1] = '\0';
        return JET_wrnBufferTruncated;
    }
    memcpy(szIndex, name, n + 1);
    return JET_errSuccess;
}

/* Close every cursor of a session and free its slots (JetEndSession). */
void cursor_close_all(isam_sess *psess)
{
    for (uint32_t i = 0; i < psess->ccursors; i++) {
        isam_cursor *pcur = psess->cursors[i];
        if (pcur->used) {
            if (pcur->fTemp)
                temp_drop(psess, pcur);
            cursor_free(psess->inst, pcur);
        }
        os_free(pcur);
    }
    os_free(psess->cursors);
    psess->cursors = NULL;
    psess->ccursors = psess->ccursorsAlloc = 0;
}
