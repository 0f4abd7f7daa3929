/*
 * update.c -- record changes through a cursor: JetPrepareUpdate, JetSetColumn
 * (long values of a prepared update included), JetUpdate, JetEscrowUpdate,
 * JetDelete; the record key of a new record (normalized primary-index key, or
 * ESE's sequential 8-byte key for tables without one); autoincrement and
 * version columns.
 *
 * Owns: a cursor's prepared update (isam_cursor.prep, .rec, .plidNew:
 * invariant U1 in isam_int.h, L1 and L2 in lv.c), the record key of a table,
 * the autoincrement counters of isam_db (A1 in isam_int.h) and the
 * per-database sequential-key hint (isam_db.seqNext).
 * Must not touch: the record format (record.c), version chains (ver.c), the
 * long-value tree (lv.c), catalog rows (catalog.c), navigation (cursor.c),
 * pages.
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Sequential keys (tables without a primary index)                          */
/* ------------------------------------------------------------------------ */

/* The next sequential key of a table: one more than the largest key in its
 * tree, kept per database (under inst.lock) so cursors do not collide. */
static JET_ERR next_seq_key(isam_sess *psess, isam_cursor *pcur, uint8_t key[8])
{
    isam_inst *pinst = psess->inst;
    isam_db *pdb = pcur->db;
    uint64_t next = 1;
    bt_cursor *bc = NULL;
    JET_ERR err = bt_cursor_open(&pdb->env, pcur->td->pgnoRoot, &bc);
    if (err < 0)
        return err;
    err = bt_last(bc);
    if (err >= 0) {
        const void *pk, *pd;
        uint32_t cbk, cbd, fl;
        err = bt_current(bc, &pk, &cbk, &pd, &cbd, &fl);
        if (err >= 0 && cbk == 8) {
            const uint8_t *k = pk;
            uint64_t last = 0;
            for (int i = 0; i < 8; i++)
                last = (last << 8) | k[i];
            next = last + 1;
        }
    }
    bt_cursor_close(bc);
    if (err < 0 && err != JET_errRecordNotFound)
        return err;
    os_mutex_lock(&pinst->lock);
    if (next <= pdb->seqNext && pdb->seqNext != 0 && pcur->td->objid == (uint32_t)(pdb->seqNext >> 40))
        next = (pdb->seqNext & 0xFFFFFFFFFFULL) + 1;
    pdb->seqNext = ((uint64_t)pcur->td->objid << 40) | (next & 0xFFFFFFFFFFULL);
    os_mutex_unlock(&pinst->lock);
    for (int i = 7; i >= 0; i--) {
        key[i] = (uint8_t)next;
        next >>= 8;
    }
    return JET_errSuccess;
}

/* The record key of a record built in pcur->rec (primary-index tables). */
static JET_ERR record_key(isam_cursor *pcur, const rec_buf *prec, uint8_t *key, uint32_t *pcbKey)
{
    table_def *ptd = pcur->td;
    *pcbKey = 0;
    for (uint32_t i = 0; i < ptd->cseg; i++) {
        col_info *pci = col_by_id(ptd, ptd->segs[i].columnid);
        if (pci == NULL)
            return JET_errColumnNotFound;
        const void *pv = NULL;
        uint32_t cb = 0;
        uint32_t flags = 0;
        JET_ERR err = rec_get(prec->pb, prec->cb, &pci->rc, 1, &pv, &cb, &flags);
        if (err < 0)
            return err;
        if (err != JET_wrnColumnNull && (flags & REC_TAG_SEPARATED))
            return JET_errFeatureNotAvailable; /* primary keys over separated long values */
        if (err == JET_wrnColumnNull && pci->pbDefault) {
            pv = pci->pbDefault;
            cb = pci->cbDefault;
            err = JET_errSuccess;
        }
        int trunc = 0;
        err = key_append_segment(key, pcbKey, primary_key_max(pcur->db), &pci->rc,
                                 err == JET_wrnColumnNull ? NULL : pv, cb,
                                 ptd->segs[i].segflags, &trunc);
        if (err < 0)
            return err;
    }
    return JET_errSuccess;
}

/* ------------------------------------------------------------------------ */
/* Records                                                                   */
/* ------------------------------------------------------------------------ */

/* Load the visible record at the bookmark into *pbuf. */
JET_ERR isam_load_current(isam_sess *psess, isam_cursor *pcur, rec_buf *pbuf)
{
    const rec_buf *prec = NULL;
    JET_ERR err = isam_cur_record(psess, pcur, &prec); /* the cursor's kept image when current (V5) */
    if (err < 0)
        return err;
    if (prec->cb > pbuf->cbAlloc || pbuf->pb == NULL) {
        uint8_t *p = os_realloc(pbuf->pb, prec->cb ? prec->cb : 1);
        if (p == NULL)
            return JET_errOutOfMemory;
        pbuf->pb = p;
        pbuf->cbAlloc = prec->cb ? prec->cb : 1;
    }
    if (prec->cb)
        memcpy(pbuf->pb, prec->pb, prec->cb);
    pbuf->cb = prec->cb;
    return JET_errSuccess;
}

/* On a secondary index, put the cursor on the (first) entry of the record at
 * pcur->pbBm, whose contents are *prec.  JET_errNoCurrentRecord if the record
 * has no entry in the index (null key ignored by the index). */
JET_ERR isam_reposition_on_record(isam_sess *psess, isam_cursor *pcur, const rec_buf *prec)
{
    idx_def *pidx = cur_idx(pcur);
    if (pidx == NULL)
        return isam_set_pos(pcur, pcur->pbBm, pcur->cbBm, pcur->pbBm, pcur->cbBm);
    idx_keys k;
    memset(&k, 0, sizeof(k));
    JET_ERR err = idx_entry_keys(psess, pcur->db, pcur->td, pidx, prec->pb, prec->cb, pcur->pbBm, pcur->cbBm, &k);
    if (err >= 0 && k.n == 0)
        err = JET_errNoCurrentRecord;
    if (err >= 0) {
        /* the smallest entry key */
        uint32_t best = 0;
        for (uint32_t i = 1; i < k.n; i++) {
            uint32_t a = k.len[i], b = k.len[best];
            int c = memcmp(k.pb + k.off[i], k.pb + k.off[best], a < b ? a : b);
            if (c < 0 || (c == 0 && a < b))
                best = i;
        }
        uint8_t bm[JET_cbBookmarkMost + 16];
        uint32_t cbBm = pcur->cbBm;
        memcpy(bm, pcur->pbBm, cbBm);
        err = isam_set_pos(pcur, k.pb + k.off[best], k.len[best], bm, cbBm);
    }
    idx_keys_free(&k);
    return err;
}

/* ---- long values of a prepared update (lv.c L1, L2) --------------------------- */

static int lid_is_new(const isam_cursor *pcur, uint64_t lid)
{
    for (uint32_t i = 0; i < pcur->clidNew; i++)
        if (pcur->plidNew[i] == lid)
            return 1;
    return 0;
}

static JET_ERR lid_add_new(isam_cursor *pcur, uint64_t lid)
{
    if (pcur->clidNew == pcur->clidNewAlloc) {
        uint32_t n = pcur->clidNewAlloc ? 2 * pcur->clidNewAlloc : 4;
        uint64_t *p = os_realloc(pcur->plidNew, n * sizeof(uint64_t));
        if (p == NULL)
            return JET_errOutOfMemory;
        pcur->plidNew = p;
        pcur->clidNewAlloc = n;
    }
    pcur->plidNew[pcur->clidNew++] = lid;
    return JET_errSuccess;
}

static void lid_forget(isam_cursor *pcur, uint64_t lid)
{
    for (uint32_t i = 0; i < pcur->clidNew; i++)
        if (pcur->plidNew[i] == lid) {
            pcur->plidNew[i] = pcur->plidNew[--pcur->clidNew];
            return;
        }
}

void cursor_trx_level_end(isam_sess *psess, int level, int fCommit)
{
    for (uint32_t i = 0; i < psess->ccursors; i++) {
        isam_cursor *pcur = psess->cursors[i];
        if (!pcur->used || pcur->prep == JET_prepCancel || pcur->levelPrep < level)
            continue;
        if (fCommit) {
            pcur->levelPrep = level - 1;
        } else {
            pcur->clidNew = 0; /* created inside the rolled-back level: already undone */
            pcur->prep = JET_prepCancel;
            rec_free(&pcur->rec);
        }
    }
}

/* Cancel the prepared update: the long values it created are deleted (best
 * effort: after a rollback they are already gone). */
void isam_cancel_update(isam_sess *psess, isam_cursor *pcur)
{
    if (pcur->clidNew) {
        int fAuto;
        const void *mark;
        JET_ERR err = isam_cur_trx_begin(psess, pcur, 0, &fAuto, &mark);
        if (err >= 0) {
            for (uint32_t i = 0; i < pcur->clidNew; i++)
                (void)lv_release(psess, pcur->db, pcur->td, pcur->plidNew[i]);
            (void)isam_cur_trx_end(psess, pcur, 0, fAuto, mark, JET_errSuccess);
        }
        pcur->clidNew = 0;
    }
    if (pcur->prep != JET_prepCancel) {
        pcur->prep = JET_prepCancel;
        rec_free(&pcur->rec);
    }
}

typedef struct lv_refs_ctx {
    isam_sess   *psess;
    isam_cursor *pcur;
    const rec_buf *pother;      /* lids also referenced here are left alone */
} lv_refs_ctx;

static JET_ERR refers_cb(void *ctx, uint64_t lid)
{
    return *(uint64_t *)ctx == lid ? 1 : JET_errSuccess;
}

static int rec_refers(const rec_buf *prec, uint64_t lid)
{
    return prec && lv_for_each_ref(prec, refers_cb, &lid) == 1;
}

/* JetUpdate, new record: inherited lids (JET_prepInsertCopy) gain a reference. */
static JET_ERR addref_cb(void *ctx, uint64_t lid)
{
    lv_refs_ctx *c = ctx;
    if (lid_is_new(c->pcur, lid))
        return JET_errSuccess;
    return lv_addref(c->psess, c->pcur->db, c->pcur->td, lid);
}

/* JetUpdate (old record) / JetDelete: lids no longer referenced lose one. */
static JET_ERR release_cb(void *ctx, uint64_t lid)
{
    lv_refs_ctx *c = ctx;
    if (rec_refers(c->pother, lid))
        return JET_errSuccess;
    return lv_release(c->psess, c->pcur->db, c->pcur->td, lid);
}

/* Release the new lids the final record does not refer to (set, then replaced
 * again in the same update) and check that the others survived: a rollback
 * since they were made deleted them. */
static JET_ERR settle_new_lids(isam_sess *psess, isam_cursor *pcur)
{
    for (uint32_t i = 0; i < pcur->clidNew;) {
        uint64_t lid = pcur->plidNew[i];
        if (!rec_refers(&pcur->rec, lid)) {
            JET_ERR err = lv_release(psess, pcur->db, pcur->td, lid);
            if (err < 0 && err != JET_errLVCorrupted)
                return err;
            lid_forget(pcur, lid);
            continue;
        }
        uint32_t n = 0;
        uint8_t b;
        JET_ERR err = lv_read(psess, pcur->db, pcur->td, lid, 0, &b, 0, &n);
        if (err == JET_errLVCorrupted)
            return JET_errUpdateNotPrepared; /* its transaction rolled back */
        if (err < 0)
            return err;
        i++;
    }
    return JET_errSuccess;
}

/* JetSetColumn on a LongText / LongBinary column. */
static JET_ERR set_long_value(isam_sess *psess, isam_cursor *pcur, col_info *pci, uint32_t itag, const void *pv,
                              uint32_t cb, JET_GRBIT grbit, uint64_t ib, uint32_t cbRecMax)
{
    const void *pvOld = NULL;
    uint32_t cbOld = 0, flags = 0;
    JET_ERR err = rec_get_valid(pcur->rec.pb, pcur->rec.cb, &pci->rc, itag ? itag : UINT32_MAX, &pvOld, &cbOld, &flags);
    if (err < 0)
        return err;
    int fNull = err == JET_wrnColumnNull || itag == 0;
    uint64_t lidOld = 0, cbSize = fNull ? 0 : cbOld;
    if (!fNull && (flags & REC_TAG_SEPARATED) && !lv_ref_parse(pvOld, cbOld, &lidOld, &cbSize))
        return JET_errLVCorrupted;
    int fPartial = (grbit & (JET_bitSetAppendLV | JET_bitSetOverwriteLV | JET_bitSetSizeLV)) != 0;
    uint64_t cbNew;
    if (grbit & JET_bitSetSizeLV) {
        cbNew = cb;
    } else if (grbit & JET_bitSetAppendLV) {
        ib = cbSize;
        cbNew = cbSize + cb;
    } else if (grbit & JET_bitSetOverwriteLV) {
        if (ib > cbSize)
            return JET_errColumnNoChunk;
        cbNew = ib + cb > cbSize ? ib + cb : cbSize;
    } else {
        if (pv == NULL) {   /* NULL: remove the value */
            err = rec_set_valid(&pcur->rec, &pci->rc, itag, NULL, 0, 0, cbRecMax);
            if (err >= 0 && lidOld && lid_is_new(pcur, lidOld)) {
                (void)lv_release(psess, pcur->db, pcur->td, lidOld);
                lid_forget(pcur, lidOld);
            }
            return err;
        }
        ib = 0;
        cbNew = cb;
    }
    if (cbNew > 0x7FFFFFFFULL || (pci->rc.cbMax && cbNew > pci->rc.cbMax))
        return JET_errColumnTooBig;
    int fSeparate = (grbit & JET_bitSetSeparateLV) ||
                    (!(grbit & JET_bitSetIntrinsicLV) && cbNew > lv_intrinsic_max(pcur->db));
    if (!fSeparate && (lidOld == 0 || !fPartial)) {
        /* in the record: build the new bytes in memory (small); a separated
         * value this update made is no longer needed */
        if (lidOld && lid_is_new(pcur, lidOld)) {
            int fAuto;
            const void *mark;
            err = isam_cur_trx_begin(psess, pcur, 0, &fAuto, &mark);
            if (err >= 0)
                err = lv_release(psess, pcur->db, pcur->td, lidOld);
            err = isam_cur_trx_end(psess, pcur, 0, fAuto, mark, err);
            if (err < 0)
                return err;
            lid_forget(pcur, lidOld);
        }
        uint8_t *buf = os_malloc(cbNew ? (size_t)cbNew : 1);
        if (buf == NULL)
            return JET_errOutOfMemory;
        if (fPartial) {
            memset(buf, 0, (size_t)cbNew);
            memcpy(buf, pvOld, cbSize < cbNew ? (size_t)cbSize : (size_t)cbNew);
            if (!(grbit & JET_bitSetSizeLV) && cb)
                memcpy(buf + ib, pv, cb);
        } else if (cb) {
            memcpy(buf, pv, cb);
        }
        err = rec_set_valid(&pcur->rec, &pci->rc, itag, buf, (uint32_t)cbNew, 0, cbRecMax);
        os_free(buf);
        return err;
    }
    /* separated: change a lid owned by this update (copy on write, L1) */
    int fAuto;
    const void *mark;
    err = isam_cur_trx_begin(psess, pcur, 0, &fAuto, &mark);
    if (err < 0)
        return err;
    uint64_t lid = lidOld;
    int fMade = 0;
    if (!fPartial) {
        err = lv_create(psess, pcur->db, pcur->td, pv, cb, &lid);
        fMade = 1;
        cbSize = cb;
    } else if (lidOld == 0) {
        err = lv_create(psess, pcur->db, pcur->td, pvOld, (uint32_t)cbSize, &lid);
        fMade = 1;
    } else if (!lid_is_new(pcur, lidOld)) {
        err = lv_copy(psess, pcur->db, pcur->td, lidOld, cbSize, &lid);
        fMade = 1;
    }
    if (err >= 0 && fPartial) {
        if (grbit & JET_bitSetSizeLV)
            err = lv_set_size(psess, pcur->db, pcur->td, lid, &cbSize, cbNew);
        else
            err = lv_write(psess, pcur->db, pcur->td, lid, &cbSize, ib, pv, cb);
    }
    uint8_t ref[LV_REF_SIZE];
    lv_ref_make(ref, lid, cbSize);
    if (err >= 0)
        err = rec_set_valid(&pcur->rec, &pci->rc, itag, ref, LV_REF_SIZE, REC_TAG_SEPARATED, cbRecMax);
    if (err >= 0 && fMade && lidOld && lid_is_new(pcur, lidOld)) {
        err = lv_release(psess, pcur->db, pcur->td, lidOld);
        lid_forget(pcur, lidOld);
    }
    if (err >= 0 && fMade)
        err = lid_add_new(pcur, lid);
    err = isam_cur_trx_end(psess, pcur, 0, fAuto, mark, err);
    return err;
}

/* ---- autoincrement and version columns ------------------------------------------ */

static uint64_t le_get(const void *pv, uint32_t cb)
{
    uint64_t v = 0;
    for (uint32_t i = cb; i-- > 0;)
        v = (v << 8) | ((const uint8_t *)pv)[i];
    return v;
}

static void le_put(uint8_t *p, uint64_t v, uint32_t cb)
{
    for (uint32_t i = 0; i < cb; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Index of objid's counter in pdb->autoinc, or where it goes (A1: sorted). */
static uint32_t autoinc_find(const isam_db *pdb, uint32_t objid)
{
    uint32_t lo = 0, hi = pdb->cautoinc;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (pdb->autoinc[mid].objid < objid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The next autoincrement value of the table (column pci): one more than the
 * last handed out, or than the largest stored (every node, visible or not). */
static JET_ERR next_autoinc(isam_sess *psess, isam_cursor *pcur, col_info *pci, uint64_t *pv)
{
    isam_inst *pinst = psess->inst;
    isam_db *pdb = pcur->db;
    uint32_t objid = pcur->td->objid;
    os_mutex_lock(&pinst->lock);
    uint32_t i = autoinc_find(pdb, objid);
    if (i < pdb->cautoinc && pdb->autoinc[i].objid == objid) {
        *pv = ++pdb->autoinc[i].last;
        os_mutex_unlock(&pinst->lock);
        return JET_errSuccess;
    }
    os_mutex_unlock(&pinst->lock);
    uint64_t max = 0;
    bt_cursor *bc = NULL;
    JET_ERR err = bt_cursor_open(&pdb->env, pcur->td->pgnoRoot, &bc);
    for (err = err < 0 ? err : bt_first(bc); err >= 0; err = bt_next(bc)) {
        const void *pk, *pd, *pvCol;
        uint32_t cbk, cbd, fl, cbCol;
        err = bt_current(bc, &pk, &cbk, &pd, &cbd, &fl);
        if (err < 0)
            break;
        if (rec_get(pd, cbd, &pci->rc, 1, &pvCol, &cbCol, NULL) == JET_errSuccess) {
            uint64_t v = le_get(pvCol, cbCol);
            if (cbCol == 4 ? (int32_t)v > (int64_t)max : (int64_t)v > (int64_t)max)
                max = cbCol == 4 ? (uint32_t)v : v;
        }
    }
    bt_cursor_close(bc);
    if (err < 0 && err != JET_errRecordNotFound && err != JET_errNoCurrentRecord)
        return err;
    os_mutex_lock(&pinst->lock);
    i = autoinc_find(pdb, objid);
    if (i == pdb->cautoinc || pdb->autoinc[i].objid != objid) {
        /* First value of this table since the attach: a new counter (A1). */
        testcase(pdb->cautoinc == pdb->cautoincCap && pdb->cautoincCap != 0); /* the cache grows */
        if (pdb->cautoinc == pdb->cautoincCap) {
            uint32_t cap = pdb->cautoincCap ? pdb->cautoincCap * 2 : 16;
            struct isam_autoinc *pa = os_realloc(pdb->autoinc, cap * sizeof(*pa));
            if (pa == NULL) {
                os_mutex_unlock(&pinst->lock);
                return JET_errOutOfMemory;
            }
            pdb->autoinc = pa;
            pdb->cautoincCap = cap;
        }
        memmove(&pdb->autoinc[i + 1], &pdb->autoinc[i], (pdb->cautoinc - i) * sizeof(pdb->autoinc[0]));
        pdb->cautoinc++;
        pdb->autoinc[i].objid = objid;
        pdb->autoinc[i].last = max;
    } else if (pdb->autoinc[i].last < max) {
        pdb->autoinc[i].last = max; /* another cursor got here first */
    }
    *pv = ++pdb->autoinc[i].last;
    os_mutex_unlock(&pinst->lock);
    return JET_errSuccess;
}

/* JetPrepareUpdate(insert / insert copy): give the autoincrement column its value. */
static JET_ERR set_autoinc(isam_sess *psess, isam_cursor *pcur)
{
    for (uint32_t i = 0; i < pcur->td->ccol; i++) {
        col_info *pci = &pcur->td->cols[i];
        if (!(pci->rc.grbit & JET_bitColumnAutoincrement))
            continue;
        uint64_t v;
        JET_ERR err = next_autoinc(psess, pcur, pci, &v);
        if (err < 0)
            return err;
        uint8_t b[8];
        le_put(b, v, pci->rc.cbMax);
        return rec_set_valid(&pcur->rec, &pci->rc, 1, b, pci->rc.cbMax, 0, UINT32_MAX);
    }
    return JET_errSuccess;
}

/* JetUpdate: version columns become 1 on insert and one more on replace. */
static JET_ERR bump_versions(isam_cursor *pcur, int fInsert)
{
    for (uint32_t i = 0; i < pcur->td->ccol; i++) {
        col_info *pci = &pcur->td->cols[i];
        if (!(pci->rc.grbit & JET_bitColumnVersion))
            continue;
        const void *pv;
        uint32_t cb;
        uint32_t v = 1;
        if (!fInsert && rec_get_valid(pcur->rec.pb, pcur->rec.cb, &pci->rc, 1, &pv, &cb, NULL) == JET_errSuccess)
            v = (uint32_t)le_get(pv, cb) + 1;
        uint8_t b[4];
        le_put(b, v, 4);
        JET_ERR err = rec_set_valid(&pcur->rec, &pci->rc, 1, b, 4, 0, UINT32_MAX);
        if (err < 0)
            return err;
    }
    return JET_errSuccess;
}

JET_ERR isam_prepare_update(isam_sess *psess, JET_TABLEID tableid, uint32_t prep)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (prep == JET_prepCancel) {
        if (pcur->prep == JET_prepCancel)
            return JET_errUpdateNotPrepared;
        isam_cancel_update(psess, pcur);
        return JET_errSuccess;
    }
    if (pcur->prep != JET_prepCancel)
        return JET_errAlreadyPrepared;
    if (pcur->fReadOnly)
        return JET_errPermissionDenied; /* CU1 */
    if (pcur->db->readonly)
        return JET_errDatabaseFileReadOnly;
    if (psess->trx && psess->trx->readonly && !pcur->fTemp)
        return JET_errTransReadOnly;
    JET_ERR err;
    switch (prep) {
    case JET_prepInsert:
        err = rec_init_format(&pcur->rec, isam_db_rec_format(pcur->db));
        break;
    case JET_prepReplace:
    case JET_prepReplaceNoLock:
    case JET_prepInsertCopy:
    case JET_prepInsertCopyDeleteOriginal:
        err = rec_init(&pcur->rec);
        if (err >= 0)
            err = isam_load_current(psess, pcur, &pcur->rec);
        if (err >= 0)
            err = rec_check(pcur->rec.pb, pcur->rec.cb); /* U2: checked whole once */
        /* As ESENT: in a transaction, JET_prepReplace write-locks the record
         * at once (a second replace gets JET_errWriteConflict here). */
        if (err >= 0 && (prep == JET_prepReplace || prep == JET_prepInsertCopyDeleteOriginal) && psess->trx &&
            !pcur->fTemp)
            err = rlock_acquire_write(psess, pcur->db, pcur->td->pgnoRoot, pcur->pbBm, pcur->cbBm);
        if (err < 0)
            rec_free(&pcur->rec);
        break;
    default:
        return JET_errInvalidParameter;
    }
    if (err >= 0 && (prep == JET_prepInsert || prep == JET_prepInsertCopy || prep == JET_prepInsertCopyDeleteOriginal))
        err = set_autoinc(psess, pcur); /* as ESENT: the moved copy gets a new value too */
    if (err < 0) {
        rec_free(&pcur->rec);
        return err;
    }
    pcur->prep = prep == JET_prepReplaceNoLock ? JET_prepReplace : prep;
    pcur->levelPrep = psess->trx ? psess->trx->level : 0; /* U1 */
    pcur->fDirty = 0;
    return JET_errSuccess;
}

JET_ERR isam_set_column(isam_sess *psess, JET_TABLEID tableid, JET_COLUMNID columnid, const void *pv, uint32_t cb,
                        JET_GRBIT grbit, const JET_SETINFO *psetinfo)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->prep == JET_prepCancel)
        return JET_errUpdateNotPrepared;
    const JET_GRBIT lvBits = JET_bitSetAppendLV | JET_bitSetOverwriteLV | JET_bitSetSizeLV;
    if (grbit & ~(JET_GRBIT)(JET_bitSetZeroLength | JET_bitSetUniqueMultiValues | JET_bitSetRevertToDefaultValue |
                             JET_bitSetIntrinsicLV | JET_bitSetSeparateLV | lvBits))
        return JET_errInvalidGrbit;
    col_info *pci = col_by_id(pcur->td, columnid);
    if (pci == NULL)
        return JET_errColumnNotFound;
    if (psetinfo && psetinfo->cbStruct < sizeof(JET_SETINFO))
        return JET_errInvalidParameter;
    if (cb > 0 && pv == NULL && !(grbit & JET_bitSetSizeLV))
        return JET_errInvalidParameter;
    uint32_t itag = psetinfo ? psetinfo->itagSequence : 1;
    if (!(pci->rc.grbit & JET_bitColumnTagged))
        itag = 1;
    else if (psetinfo == NULL || (itag == 0 && !(pci->rc.grbit & JET_bitColumnMultiValued)))
        itag = 1;
    if ((grbit & lvBits) && !is_long(pci))
        return JET_errInvalidParameter;
    if ((pci->rc.grbit & JET_bitColumnAutoincrement) ||
        ((pci->rc.grbit & JET_bitColumnVersion) && pcur->prep == JET_prepReplace))
        return JET_errInvalidColumnType; /* the engine's to set */
    if ((pci->rc.grbit & JET_bitColumnEscrowUpdate) && pcur->prep == JET_prepReplace)
        return JET_errInvalidColumnType; /* JetEscrowUpdate changes it */
    if (psetinfo && psetinfo->ibLongValue && !(grbit & JET_bitSetOverwriteLV))
        return JET_errInvalidParameter;
    if (is_long(pci) && !(grbit & JET_bitSetRevertToDefaultValue)) {
        uint32_t cbRecMax0 = lv_record_logical_max(pcur->db); /* a bigger record overflows (lv.c O1) */
        static const uint8_t none = 0;
        const void *v = pv;
        if (!(grbit & lvBits) && cb == 0)
            v = (grbit & JET_bitSetZeroLength) ? &none : NULL;
        JET_ERR err = set_long_value(psess, pcur, pci, itag, v, cb, grbit, psetinfo ? psetinfo->ibLongValue : 0,
                                     cbRecMax0);
        if (err >= 0)
            pcur->fDirty = 1;
        return err;
    }
    const void *value = pv;
    if (cb == 0 && !(grbit & JET_bitSetZeroLength))
        value = NULL; /* NULL */
    if (grbit & JET_bitSetRevertToDefaultValue)
        value = NULL, cb = 0;
    static const uint8_t empty = 0;
    if (value == NULL && cb == 0 && (grbit & JET_bitSetZeroLength) && !(grbit & JET_bitSetRevertToDefaultValue))
        value = &empty;
    uint8_t padded[JET_cbColumnMost];
    if (value && rec_fixed_size(&pci->rc) && cb != rec_fixed_size(&pci->rc)) {
        if (!(pci->rc.coltyp == JET_coltypText || pci->rc.coltyp == JET_coltypBinary) || cb > rec_fixed_size(&pci->rc))
            return JET_errInvalidBufferSize;
        /* fixed Text/Binary shorter than the column: padded, as ESE does */
        memset(padded, pci->rc.coltyp == JET_coltypText ? ' ' : 0, rec_fixed_size(&pci->rc));
        memcpy(padded, value, cb);
        value = padded;
        cb = rec_fixed_size(&pci->rc);
    }
    if (value && (grbit & JET_bitSetUniqueMultiValues) && (pci->rc.grbit & JET_bitColumnMultiValued)) {
        /* the same bytes as another value of the column: refused */
        uint32_t c = rec_count_valid(pcur->rec.pb, pcur->rec.cb, &pci->rc);
        for (uint32_t i = 1; i <= c; i++) {
            const void *pvOther;
            uint32_t cbOther;
            if (i != itag && rec_get_valid(pcur->rec.pb, pcur->rec.cb, &pci->rc, i, &pvOther, &cbOther, NULL) == 0 &&
                cbOther == cb && memcmp(pvOther, value, cb) == 0)
                return JET_errMultiValuedDuplicate;
        }
    }
    uint32_t cbRecMax = lv_record_logical_max(pcur->db); /* a bigger record overflows (lv.c O1) */
    JET_ERR err = rec_set_valid(&pcur->rec, &pci->rc, itag, value, cb, 0, cbRecMax);
    if (err >= 0)
        pcur->fDirty = 1;
    return err;
}

static JET_ERR update_impl(isam_sess *psess, JET_TABLEID tableid, void *pvBookmark, uint32_t cbBookmark,
                           uint32_t *pcbActual)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->prep == JET_prepCancel)
        return JET_errUpdateNotPrepared;
    table_def *ptd = pcur->td;
    /* NOT NULL columns must have a value (or a default). */
    for (uint32_t i = 0; i < ptd->ccol; i++) {
        col_info *pci = &ptd->cols[i];
        if (!(pci->rc.grbit & JET_bitColumnNotNULL) || pci->pbDefault)
            continue;
        const void *pv;
        uint32_t cb;
        JET_ERR e = rec_get_valid(pcur->rec.pb, pcur->rec.cb, &pci->rc, 1, &pv, &cb, NULL);
        if (e == JET_wrnColumnNull)
            return JET_errNullInvalid;
    }
    uint8_t key[JET_cbKeyMost + 16], bmOrig[JET_cbKeyMost + 16];
    uint32_t cbKey = 0, cbOrig = 0; /* bmOrig: JET_prepInsertCopyDeleteOriginal's original */
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err >= 0)
        err = bump_versions(pcur, pcur->prep != JET_prepReplace);
    if (err < 0)
        return err;
    rec_buf old = { 0 }, stored = { 0 }; /* stored: the overflow form of pcur->rec (lv.c O1) */
    int fAuto, fStored = 0;
    const void *mark;
    err = isam_cur_trx_begin(psess, pcur, 1, &fAuto, &mark);
    if (err < 0)
        return err;
    lv_refs_ctx lvc = { psess, pcur, NULL };
    err = settle_new_lids(psess, pcur);
    if (err >= 0 && pcur->prep == JET_prepInsertCopy)
        err = lv_for_each_ref(&pcur->rec, addref_cb, &lvc);
    int fMove = pcur->prep == JET_prepInsertCopyDeleteOriginal;
    if (err >= 0 && fMove && pcur->positioned != POS_ON)
        err = JET_errNoCurrentRecord;
    if (err >= 0 && fMove)
        err = isam_load_current(psess, pcur, &old); /* the original, deleted after the copy is in */
    if (err < 0) {
        /* nothing more to do: trx_save_end undoes the long-value changes */
    } else if (pcur->prep == JET_prepInsert || pcur->prep == JET_prepInsertCopy || fMove) {
        if (ptd->cseg == 0) {
            cbKey = 8;
            err = next_seq_key(psess, pcur, key);
        } else {
            err = record_key(pcur, &pcur->rec, key, &cbKey);
        }
        if (err >= 0 && fMove) {
            /* JET_prepInsertCopyDeleteOriginal: as ESENT, the original goes
             * first (so the copy may keep its key) */
            cbOrig = pcur->cbBm;
            memcpy(bmOrig, pcur->pbBm, cbOrig);
            err = lv_ovf_release(psess, pcur->db, ptd, bmOrig, cbOrig); /* O1 */
            if (err >= 0)
                err = rec_op_delete(psess, pcur->db, ptd->pgnoRoot, bmOrig, cbOrig);
            if (err >= 0)
                err = idx_record_changed(psess, pcur->db, ptd, bmOrig, cbOrig, &old, NULL);
        }
        if (err >= 0)
            err = lv_ovf_store(psess, pcur->db, ptd, &pcur->rec, &stored, &fStored); /* O1 */
        if (err >= 0)
            err = rec_op_insert(psess, pcur->db, ptd->pgnoRoot, key, cbKey, fStored ? stored.pb : pcur->rec.pb,
                                fStored ? stored.cb : pcur->rec.cb);
        if (err >= 0)
            err = idx_record_changed(psess, pcur->db, ptd, key, cbKey, NULL, &pcur->rec);
        if (err >= 0 && fMove) {
            /* the copy takes over the long values */
            lvc.pother = &pcur->rec;
            err = lv_for_each_ref(&old, release_cb, &lvc);
        }
    } else {
        if (pcur->positioned != POS_ON) {
            err = JET_errNoCurrentRecord;
        } else {
            cbKey = pcur->cbBm;
            memcpy(key, pcur->pbBm, cbKey);
            if (ptd->cseg > 0) {
                uint8_t newKey[JET_cbKeyMost + 16];
                uint32_t cbNew = 0;
                err = record_key(pcur, &pcur->rec, newKey, &cbNew);
                if (err >= 0 && (cbNew != cbKey || memcmp(newKey, key, cbKey) != 0))
                    err = JET_errRecordPrimaryChanged;
            }
            if (err >= 0)
                err = isam_load_current(psess, pcur, &old);
            if (err >= 0)
                err = lv_ovf_release(psess, pcur->db, ptd, key, cbKey); /* O1: the old image's */
            if (err >= 0)
                err = lv_ovf_store(psess, pcur->db, ptd, &pcur->rec, &stored, &fStored);
            if (err >= 0)
                err = rec_op_replace(psess, pcur->db, ptd->pgnoRoot, key, cbKey, fStored ? stored.pb : pcur->rec.pb,
                                     fStored ? stored.cb : pcur->rec.cb);
            if (err >= 0 && ptd->cidx)
                err = idx_record_changed(psess, pcur->db, ptd, key, cbKey, &old, &pcur->rec);
            /* after the index entries: their old keys are read from the old values */
            lvc.pother = &pcur->rec;
            if (err >= 0)
                err = lv_for_each_ref(&old, release_cb, &lvc);
            if (err >= 0) {
                JET_ERR e = isam_reposition_on_record(psess, pcur, &pcur->rec);
                if (e < 0 && e != JET_errNoCurrentRecord)
                    err = e;
            }
        }
    }
    rec_free(&old);
    rec_free(&stored);
    err = isam_cur_trx_end(psess, pcur, 1, fAuto, mark, err);
    if (err == JET_errKeyDuplicate && temp_drops_duplicates(pcur) && pcur->prep != JET_prepReplace) {
        /* JET_bitTTUnique without JET_bitTTErrorOnDuplicateInsertion: the
         * first record with a key wins; the savepoint undid this one (and
         * its new long values), which is dropped without an error. */
        pcur->clidNew = 0;
        pcur->prep = JET_prepCancel;
        rec_free(&pcur->rec);
        if (pcbActual)
            *pcbActual = 0;
        return JET_errSuccess;
    }
    if (err < 0)
        return err;
    /* the replace's (the delete's) version holds the record now */
    if (pcur->prep == JET_prepReplace)
        rlock_release_write(psess, pcur->db, ptd->pgnoRoot, key, cbKey);
    else if (cbOrig)
        rlock_release_write(psess, pcur->db, ptd->pgnoRoot, bmOrig, cbOrig);
    pcur->clidNew = 0; /* the record owns them now */
    if (pcbActual)
        *pcbActual = cbKey;
    if (pvBookmark) {
        if (cbBookmark < cbKey) {
            memcpy(pvBookmark, key, cbBookmark);
            err = JET_errBufferTooSmall;
        } else {
            memcpy(pvBookmark, key, cbKey);
        }
    }
    pcur->prep = JET_prepCancel;
    rec_free(&pcur->rec);
    return err;
}

/* Record writers hold their database's schemaLock shared (invariant S1). */
JET_ERR isam_update(isam_sess *psess, JET_TABLEID tableid, void *pvBookmark, uint32_t cbBookmark,
                    uint32_t *pcbActual)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    os_rwlock_rdlock(&pcur->db->schemaLock);
    JET_ERR err = update_impl(psess, tableid, pvBookmark, cbBookmark, pcbActual);
    os_rwlock_unlock(&pcur->db->schemaLock);
    return err;
}

/* JetEscrowUpdate: add a delta to an escrow column of the current record at
 * once, returning the value stored before (versioning ignored, as ESE's
 * pvOld).  Concurrent escrow updates of one record by open transactions do
 * not conflict: each is a delta version (rec_op_escrow in ver.c) that
 * rollback and recovery take back logically; JET_bitEscrowNoRollback deltas
 * are never taken back.  Escrow columns are never indexed (JET_errCannotIndex),
 * so no index entry changes. */
JET_ERR isam_escrow_update(isam_sess *psess, JET_TABLEID tableid, JET_COLUMNID columnid, const void *pv, uint32_t cb,
                           void *pvOld, uint32_t cbOldMax, uint32_t *pcbOldActual, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->fReadOnly)
        return JET_errPermissionDenied; /* CU1 */
    if (grbit & ~(JET_GRBIT)JET_bitEscrowNoRollback)
        return JET_errInvalidGrbit;
    /* first: a reload frees the column array pci would point into */
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    col_info *pci = col_by_id(pcur->td, columnid);
    if (pci == NULL)
        return JET_errColumnNotFound;
    if (!(pci->rc.grbit & JET_bitColumnEscrowUpdate))
        return JET_errInvalidOperation;
    if (pv == NULL || cb != pci->rc.cbMax)
        return JET_errInvalidBufferSize;
    if (pcur->prep != JET_prepCancel)
        return JET_errAlreadyPrepared;
    err = isam_cur_on(psess, pcur); /* settles a deferred cursor (POS_DEFER) */
    if (err < 0)
        return err;
    if (psess->trx && psess->trx->readonly && !pcur->fTemp)
        return JET_errTransReadOnly;
    ver_delta d;
    memset(&d, 0, sizeof(d));
    d.rc = pci->rc;
    d.delta = cb == 4 ? (int64_t)(int32_t)le_get(pv, cb) : (int64_t)le_get(pv, cb);
    d.dflt = pci->pbDefault && pci->cbDefault == cb ? le_get(pci->pbDefault, cb) : 0;
    int fAuto;
    err = trx_auto_begin(psess, &fAuto);
    if (err < 0)
        return err;
    uint64_t before = 0;
    err = rec_op_escrow(psess, pcur->db, pcur->td->pgnoRoot, pcur->pbBm, pcur->cbBm, &d,
                        (grbit & JET_bitEscrowNoRollback) != 0, &before);
    err = trx_auto_end(psess, fAuto, err);
    if (err < 0)
        return err;
    if (pcbOldActual)
        *pcbOldActual = cb;
    if (pvOld) {
        uint8_t b[8];
        le_put(b, before, cb);
        memcpy(pvOld, b, cbOldMax < cb ? cbOldMax : cb);
        if (cbOldMax < cb)
            err = JET_wrnBufferTruncated;
    }
    return err;
}

static JET_ERR delete_impl(isam_sess *psess, JET_TABLEID tableid)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->positioned != POS_ON && pcur->positioned != POS_DEFER)
        return JET_errNoCurrentRecord;
    isam_cancel_update(psess, pcur);
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err >= 0)
        err = isam_cur_on(psess, pcur); /* settles a deferred cursor (POS_DEFER) */
    if (err < 0)
        return err;
    rec_buf old = { 0 };
    int fAuto;
    const void *mark;
    err = isam_cur_trx_begin(psess, pcur, 1, &fAuto, &mark);
    if (err < 0)
        return err;
    lv_refs_ctx lvc = { psess, pcur, NULL };
    err = isam_load_current(psess, pcur, &old);
    if (err >= 0)
        err = lv_ovf_release(psess, pcur->db, pcur->td, pcur->pbBm, pcur->cbBm); /* lv.c O1 */
    if (err >= 0)
        err = rec_op_delete(psess, pcur->db, pcur->td->pgnoRoot, pcur->pbBm, pcur->cbBm);
    if (err >= 0)
        err = idx_record_changed(psess, pcur->db, pcur->td, pcur->pbBm, pcur->cbBm, &old, NULL);
    if (err >= 0)
        err = lv_for_each_ref(&old, release_cb, &lvc);
    rec_free(&old);
    return isam_cur_trx_end(psess, pcur, 1, fAuto, mark, err);
}

JET_ERR isam_delete(isam_sess *psess, JET_TABLEID tableid)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->fReadOnly)
        return JET_errPermissionDenied; /* CU1 */
    os_rwlock_rdlock(&pcur->db->schemaLock); /* S1 */
    JET_ERR err = delete_impl(psess, tableid);
    os_rwlock_unlock(&pcur->db->schemaLock);
    return err;
}
