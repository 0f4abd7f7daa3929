/*
 * cursor.c -- tables and their cursors: create / open / close / delete /
 * rename tables, add / delete / rename columns, table and column info, the
 * primary index, and record work through a cursor (prepare update, set and
 * retrieve columns, long values of a prepared update, autoincrement, version
 * and escrow columns, enumerate columns, update, delete, move, positions,
 * make key, seek, bookmarks, duplicate cursors, write locks).
 *
 * Owns: isam_cursor (a JET_TABLEID), the record key of a table (normalized
 * primary-index key, or ESE's sequential 8-byte key for tables without one),
 * navigation over versioned nodes (a node invisible to the session's
 * snapshot is skipped).
 * Must not touch: the record format (record.c), version chains (ver.c),
 * catalog rows (catalog.c), the long-value tree (lv.c), pages.
 *
 * Cursor positions: ON a record (pbKeyCur = its node key in the current
 * index's tree, pbBm = its primary bookmark), BEFORE the first or AFTER the
 * last record, or PAST either end of an index range (pbKeyCur = the entry that
 * ended the range, so moving back re-enters it).  Seeks treat an entry whose
 * key starts with the search key as equal to it (partial keys match every
 * entry with those leading columns).  Secondary-index definitions are shared
 * through the catalog: a cursor reloads them when isam_db.schemaGen moved.  Every move starts by re-seeking the btree cursor to
 * the bookmark, so concurrent changes by other sessions never invalidate it.
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

#define POS_NONE   0
#define POS_ON     1
#define POS_BEFORE 2
#define POS_AFTER  3
#define POS_PAST_AFTER  4 /* past the end of the index range; pbKeyCur = the entry that ended it */
#define POS_PAST_BEFORE 5 /* before the start of the index range, likewise */

#define TABLEID_TAG 0xE7ULL

/* ------------------------------------------------------------------------ */
/* Handles                                                                   */
/* ------------------------------------------------------------------------ */

static JET_TABLEID cursor_handle(isam_sess *psess, isam_cursor *pcur)
{
    uint32_t slot = (uint32_t)(pcur - psess->cursors);
    return (JET_TABLEID)((TABLEID_TAG << 56) | ((uint64_t)(pcur->gen & 0xFFFFFF) << 32) | (slot + 1));
}

isam_cursor *cursor_get(isam_sess *psess, JET_TABLEID tableid)
{
    uint64_t v = (uint64_t)tableid;
    if ((v >> 56) != TABLEID_TAG)
        return NULL;
    uint32_t slot = (uint32_t)(v & 0xFFFFFFFF);
    uint32_t gen = (uint32_t)((v >> 32) & 0xFFFFFF);
    if (slot == 0 || slot > ISAM_MAX_CURSORS || slot > sizeof(psess->cursors) / sizeof(psess->cursors[0]))
        return NULL;
    isam_cursor *pcur = &psess->cursors[slot - 1];
    if (!pcur->used || (pcur->gen & 0xFFFFFF) != gen)
        return NULL;
    return pcur;
}

JET_ERR cursor_alloc(isam_sess *psess, isam_db *pdb, table_def *ptd, JET_TABLEID *ptableid)
{
    const uint32_t cmax = sizeof(psess->cursors) / sizeof(psess->cursors[0]);
    for (uint32_t i = 0; i < cmax; i++) {
        isam_cursor *pcur = &psess->cursors[i];
        if (pcur->used)
            continue;
        uint32_t gen = pcur->gen + 1;
        memset(pcur, 0, sizeof(*pcur));
        pcur->gen = gen ? gen : 1;
        pcur->db = pdb;
        pcur->td = ptd;
        pcur->prep = JET_prepCancel;
        JET_ERR err = reclaim_open_table(psess->inst, pdb->dbid, ptd->objid); /* R3 in reclaim.c */
        if (err < 0)
            return err;
        err = bt_cursor_open(&pdb->env, ptd->pgnoRoot, &pcur->bc);
        if (err < 0) {
            reclaim_close_table(psess->inst, pdb->dbid, ptd->objid);
            return err;
        }
        pcur->used = 1;
        pcur->positioned = POS_BEFORE;
        if (i + 1 > psess->ccursors)
            psess->ccursors = i + 1;
        *ptableid = cursor_handle(psess, pcur);
        return JET_errSuccess;
    }
    return JET_errOutOfCursors;
}

static void cursor_free(isam_inst *pinst, isam_cursor *pcur)
{
    reclaim_close_table(pinst, pcur->db->dbid, pcur->td->objid);
    bt_cursor_close(pcur->bc);
    cat_free_table(pcur->td);
    rec_free(&pcur->rec);
    os_free(pcur->plidNew);
    os_free(pcur->pbKeyCur);
    os_free(pcur->pbBm);
    uint32_t gen = pcur->gen;
    memset(pcur, 0, sizeof(*pcur));
    pcur->gen = gen;
}

static void cancel_update(isam_sess *psess, isam_cursor *pcur);

/* Begin an implicit transaction (fSave: a savepoint) for a change through
 * pcur; *pmark remembers where the caller's transaction stood.  A temporary
 * table may be written inside a read-only transaction: its scratch rows are
 * no part of what the transaction reads. */
static JET_ERR cur_trx_begin(isam_sess *psess, isam_cursor *pcur, int fSave, int *pfAuto, const void **pmark)
{
    *pmark = ver_mark(psess);
    psess->fScratch = pcur->fTemp;
    JET_ERR err = fSave ? trx_save_begin(psess, pfAuto) : trx_auto_begin(psess, pfAuto);
    psess->fScratch = 0;
    return err;
}

/* End what cur_trx_begin began.  With JET_paramEnableTempTableVersioning
 * off, a temporary table's change made inside the caller's transaction
 * keeps no versions once it succeeded: a rollback no longer undoes it (a
 * failed change is still undone whole by its savepoint). */
static JET_ERR cur_trx_end(isam_sess *psess, isam_cursor *pcur, int fSave, int fAuto, const void *mark, JET_ERR err)
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

/* Position ON the node `key` of the current index's tree, whose record has
 * primary bookmark bm (== key on the primary index). */
static JET_ERR set_pos(isam_cursor *pcur, const void *key, uint32_t cbKey, const void *bm, uint32_t cbBm)
{
    JET_ERR err = buf_put(&pcur->pbKeyCur, &pcur->cbKeyCur, &pcur->cbKeyCurAlloc, key, cbKey);
    if (err >= 0)
        err = buf_put(&pcur->pbBm, &pcur->cbBm, &pcur->cbBmAlloc, bm, cbBm);
    if (err >= 0)
        pcur->positioned = POS_ON;
    return err;
}

/* The current secondary index (NULL: the primary index). */
static idx_def *cur_idx(isam_cursor *pcur)
{
    return pcur->objidIdx ? idx_by_objid(pcur->td, pcur->objidIdx) : NULL;
}

/* Root of the current index's tree. */
static uint32_t cur_root(isam_cursor *pcur)
{
    idx_def *pidx = cur_idx(pcur);
    return pidx ? pidx->pgnoRoot : pcur->td->pgnoRoot;
}

/* Reload the table's columns and secondary indexes when another cursor
 * changed them (column or index DDL) since they were loaded. */
static JET_ERR sync_indexes(isam_sess *psess, isam_cursor *pcur)
{
    os_mutex_lock(&psess->inst->lock);
    uint32_t gen = pcur->db->schemaGen;
    os_mutex_unlock(&psess->inst->lock);
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

/* Index or column definitions changed: every cursor reloads them (sync_indexes). */
static void bump_schema(isam_sess *psess, isam_db *pdb)
{
    os_mutex_lock(&psess->inst->lock);
    pdb->schemaGen++;
    os_mutex_unlock(&psess->inst->lock);
}

static isam_db *sess_db(isam_sess *psess, JET_DBID dbid)
{
    if (dbid == 0 || dbid > ISAM_MAX_DBID || psess->dbopen[dbid] == 0)
        return NULL;
    return db_get(psess->inst, dbid);
}

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

/* ------------------------------------------------------------------------ */
/* Tables                                                                    */
/* ------------------------------------------------------------------------ */

JET_ERR isam_create_table(isam_sess *psess, JET_DBID dbid, const char *szName, uint32_t lPages, uint32_t lDensity,
                          JET_TABLEID *ptableid)
{
    (void)lPages;
    if (ptableid == NULL)
        return JET_errInvalidParameter;
    if (lDensity != 0 && (lDensity < 20 || lDensity > 100))
        return JET_errDensityInvalid;
    isam_db *pdb = sess_db(psess, dbid);
    if (pdb == NULL)
        return JET_errInvalidDatabaseId;
    if (pdb->readonly)
        return JET_errDatabaseFileReadOnly;
    char folded[JET_cbNameMost + 1];
    if (!cat_name_fold(szName, folded))
        return JET_errInvalidName;
    table_def *ptd = os_calloc(1, sizeof(*ptd));
    if (ptd == NULL)
        return JET_errOutOfMemory;
    snprintf(ptd->name, sizeof(ptd->name), "%s", szName);
    int fAuto;
    JET_ERR err = trx_auto_begin(psess, &fAuto);
    if (err < 0) {
        cat_free_table(ptd);
        return err;
    }
    err = cat_next_objid(psess, pdb, &ptd->objid);
    if (err >= 0) {
        CKPT_ENTER(psess->inst);
        err = bt_create(&pdb->env, pdb->hdr.pgnoSpace, ptd->objid, &ptd->pgnoRoot);
        CKPT_LEAVE(psess->inst);
    }
    if (err >= 0)
        err = cat_next_objid(psess, pdb, &ptd->objidLV);
    if (err >= 0) {
        CKPT_ENTER(psess->inst);
        err = bt_create(&pdb->env, pdb->hdr.pgnoSpace, ptd->objidLV, &ptd->pgnoLV);
        CKPT_LEAVE(psess->inst);
    }
    if (err >= 0) {
        uint32_t roots[2] = { ptd->pgnoRoot, ptd->pgnoLV };
        err = reclaim_register(psess, pdb, ptd->objid, 0, roots, 2); /* dropped if the creation rolls back */
    }
    if (err >= 0)
        err = cat_insert_table(psess, pdb, ptd);
    err = trx_auto_end(psess, fAuto, err);
    if (err >= 0)
        err = cursor_alloc(psess, pdb, ptd, ptableid);
    if (err < 0)
        cat_free_table(ptd);
    return err;
}

JET_ERR isam_open_table(isam_sess *psess, JET_DBID dbid, const char *szName, JET_GRBIT grbit, JET_TABLEID *ptableid)
{
    if (grbit & ~(JET_GRBIT)(0x1F00FF | JET_bitTableSequential))
        return JET_errInvalidGrbit;
    if (ptableid == NULL)
        return JET_errInvalidParameter;
    isam_db *pdb = sess_db(psess, dbid);
    if (pdb == NULL)
        return JET_errInvalidDatabaseId;
    table_def *ptd = NULL;
    reclaim_opening(psess->inst, +1); /* R3: no drop between the catalog read and the cursor */
    JET_ERR err = cat_load_table(psess, pdb, szName, &ptd);
    if (err >= 0) {
        err = cursor_alloc(psess, pdb, ptd, ptableid);
        if (err < 0)
            cat_free_table(ptd);
    }
    reclaim_opening(psess->inst, -1);
    return err;
}

/* Close a cursor: its prepared update is cancelled; a temporary table's
 * cursor takes the table with it (temp.c). */
void cursor_close(isam_sess *psess, isam_cursor *pcur)
{
    cancel_update(psess, pcur);
    if (pcur->fTemp)
        temp_drop(psess, pcur);
    cursor_free(psess->inst, pcur);
}

JET_ERR isam_close_table(isam_sess *psess, JET_TABLEID tableid)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    cursor_close(psess, pcur);
    reclaim_run(psess->inst); /* the last cursor on a dropped table */
    return JET_errSuccess;
}

/* Load table szName for a DDL change: JET_errTableInUse while a cursor of
 * this session has it open. */
static JET_ERR load_unused_table(isam_sess *psess, isam_db *pdb, const char *szName, table_def **pptd)
{
    table_def *ptd = NULL;
    JET_ERR err = cat_load_table(psess, pdb, szName, &ptd);
    if (err < 0)
        return err;
    for (uint32_t i = 0; i < psess->ccursors; i++) {
        isam_cursor *c = &psess->cursors[i];
        if (c->used && c->db == pdb && c->td->objid == ptd->objid) {
            cat_free_table(ptd);
            return JET_errTableInUse;
        }
    }
    *pptd = ptd;
    return JET_errSuccess;
}

JET_ERR isam_delete_table(isam_sess *psess, JET_DBID dbid, const char *szName)
{
    if (dbid == ISAM_TEMP_DBID)
        return JET_errCannotDeleteTempTable; /* closing a temporary table deletes it */
    isam_db *pdb = sess_db(psess, dbid);
    if (pdb == NULL)
        return JET_errInvalidDatabaseId;
    table_def *ptd = NULL;
    JET_ERR err = load_unused_table(psess, pdb, szName, &ptd);
    if (err < 0)
        return err;
    int fAuto;
    err = trx_auto_begin(psess, &fAuto);
    uint32_t *roots = err >= 0 ? os_malloc((2 + ptd->cidx) * sizeof(uint32_t)) : NULL;
    if (err >= 0 && roots == NULL)
        err = JET_errOutOfMemory;
    if (err >= 0) {
        /* its trees go back to the free list once the delete commits and nobody sees them */
        uint32_t n = 0;
        roots[n++] = ptd->pgnoRoot;
        if (ptd->pgnoLV)
            roots[n++] = ptd->pgnoLV;
        for (uint32_t i = 0; i < ptd->cidx; i++)
            roots[n++] = ptd->idxs[i].pgnoRoot;
        err = reclaim_register(psess, pdb, ptd->objid, 1, roots, n);
    }
    os_free(roots);
    if (err >= 0)
        err = cat_delete_table(psess, pdb, ptd);
    err = trx_auto_end(psess, fAuto, err);
    cat_free_table(ptd);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Columns and the primary index                                             */
/* ------------------------------------------------------------------------ */

static uint32_t type_size(JET_COLTYP t)
{
    switch (t) {
    case JET_coltypBit: case JET_coltypUnsignedByte: return 1;
    case JET_coltypShort: case JET_coltypUnsignedShort: return 2;
    case JET_coltypLong: case JET_coltypUnsignedLong: case JET_coltypIEEESingle: return 4;
    case JET_coltypCurrency: case JET_coltypIEEEDouble: case JET_coltypDateTime: case JET_coltypLongLong:
    case JET_coltypUnsignedLongLong: return 8;
    case JET_coltypGUID: return 16;
    default: return 0;
    }
}

col_info *col_by_id(table_def *ptd, JET_COLUMNID columnid)
{
    for (uint32_t i = 0; i < ptd->ccol; i++)
        if (ptd->cols[i].rc.columnid == columnid && ptd->cols[i].rc.coltyp != JET_coltypNil)
            return &ptd->cols[i];
    return NULL;
}

col_info *col_by_name(table_def *ptd, const char *szName)
{
    char a[JET_cbNameMost + 1], b[JET_cbNameMost + 1];
    if (!cat_name_fold(szName, a))
        return NULL;
    for (uint32_t i = 0; i < ptd->ccol; i++)
        if (cat_name_fold(ptd->cols[i].name, b) && strcmp(a, b) == 0)
            return &ptd->cols[i];
    return NULL;
}

JET_ERR col_build(table_def *ptd, const char *szName, const JET_COLUMNDEF *pdef, const void *pvDefault,
                  uint32_t cbDefault, col_info *pci)
{
    if (pdef == NULL || pdef->cbStruct < sizeof(JET_COLUMNDEF))
        return JET_errInvalidParameter;
    char folded[JET_cbNameMost + 1];
    if (!cat_name_fold(szName, folded))
        return JET_errInvalidName;
    if (col_by_name(ptd, szName))
        return JET_errColumnDuplicate;
    JET_COLTYP t = pdef->coltyp;
    JET_GRBIT g = pdef->grbit;
    if (t == JET_coltypNil || t == JET_coltypSLV || t >= JET_coltypMax)
        return JET_errInvalidColumnType;
    if ((g & JET_bitColumnMultiValued) && !(g & JET_bitColumnTagged))
        return JET_errMultiValuedColumnMustBeTagged;
    if ((g & JET_bitColumnTagged) && (g & JET_bitColumnNotNULL))
        return JET_errTaggedNotNULL;
    if ((g & JET_bitColumnFixed) && (g & JET_bitColumnTagged))
        return JET_errInvalidParameter;
    /* Autoincrement: Long or Currency, set at JetPrepareUpdate(insert); Version:
     * Long, 1 on insert and +1 on every replace; EscrowUpdate: Long or
     * LongLong with a default, changed by JetEscrowUpdate.  All fixed. */
    if ((g & JET_bitColumnAutoincrement) && t != JET_coltypLong && t != JET_coltypCurrency)
        return JET_errInvalidColumnType;
    if ((g & JET_bitColumnVersion) && t != JET_coltypLong)
        return JET_errInvalidColumnType;
    if ((g & JET_bitColumnEscrowUpdate) && t != JET_coltypLong && t != JET_coltypLongLong)
        return JET_errInvalidColumnType;
    if ((g & JET_bitColumnEscrowUpdate) && cbDefault == 0)
        return JET_errInvalidParameter; /* escrow columns start from their default */
    int cspecial = !!(g & JET_bitColumnAutoincrement) + !!(g & JET_bitColumnVersion) +
                   !!(g & JET_bitColumnEscrowUpdate);
    if (cspecial > 1 || (cspecial && (g & (JET_bitColumnTagged | JET_bitColumnMultiValued))))
        return JET_errInvalidParameter;
    if (g & JET_bitColumnAutoincrement)
        for (uint32_t i = 0; i < ptd->ccol; i++)
            if (ptd->cols[i].rc.grbit & JET_bitColumnAutoincrement)
                return JET_errInvalidParameter; /* one per table */
    int isLong = t == JET_coltypLongText || t == JET_coltypLongBinary;
    int isVar = t == JET_coltypText || t == JET_coltypBinary;
    uint32_t cbMax = pdef->cbMax;
    if (isVar) {
        if (cbMax == 0)
            cbMax = JET_cbColumnMost;
        if (cbMax > JET_cbColumnMost)
            return JET_errInvalidParameter;
    }
    /* Which column-id range: fixed, variable or tagged. */
    JET_COLUMNID lo, hi;
    if ((g & JET_bitColumnTagged) || isLong) {
        lo = 256, hi = 0xFFFF;
        g |= JET_bitColumnTagged;
    } else if (isVar && !(g & JET_bitColumnFixed)) {
        lo = 128, hi = 255;
    } else {
        lo = 1, hi = 127;
        g |= JET_bitColumnFixed;
    }
    JET_COLUMNID id = lo;
    for (uint32_t i = 0; i < ptd->ccol; i++) {
        JET_COLUMNID c = ptd->cols[i].rc.columnid;
        if (c >= lo && c <= hi && c >= id)
            id = c + 1;
    }
    if (id > hi)
        return JET_errTooManyColumns;
    col_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.rc.columnid = id;
    ci.rc.coltyp = t;
    ci.rc.cbMax = type_size(t) ? type_size(t) : cbMax;
    ci.rc.grbit = g;
    ci.rc.cp = pdef->cp;
    if ((t == JET_coltypText || t == JET_coltypLongText) && ci.rc.cp != 1200 && ci.rc.cp != 1252 && ci.rc.cp != 0)
        return JET_errInvalidCodePage;
    if ((g & JET_bitColumnFixed) && !type_size(t) && cbMax == 0)
        ci.rc.cbMax = JET_cbColumnMost;
    if (rec_fixed_size(&ci.rc) == 0 && (g & JET_bitColumnFixed))
        return JET_errInvalidColumnType;
    snprintf(ci.name, sizeof(ci.name), "%s", szName);
    if (cbDefault > 0) {
        if (pvDefault == NULL)
            return JET_errInvalidParameter;
        if (cbDefault > JET_cbLVDefaultValueMost || (type_size(t) && cbDefault != type_size(t)))
            return type_size(t) ? JET_errInvalidBufferSize : JET_errDefaultValueTooBig;
        ci.pbDefault = os_malloc(cbDefault);
        if (ci.pbDefault == NULL)
            return JET_errOutOfMemory;
        memcpy(ci.pbDefault, pvDefault, cbDefault);
        ci.cbDefault = cbDefault;
    }
    *pci = ci;
    return JET_errSuccess;
}

JET_ERR isam_add_column(isam_sess *psess, JET_TABLEID tableid, const char *szName, const JET_COLUMNDEF *pdef,
                        const void *pvDefault, uint32_t cbDefault, JET_COLUMNID *pcolumnid)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->fTemp)
        return JET_errIllegalOperation; /* a temporary table's columns are fixed at open */
    table_def *ptd = pcur->td;
    col_info ci;
    JET_ERR err = col_build(ptd, szName, pdef, pvDefault, cbDefault, &ci);
    if (err < 0)
        return err;
    JET_COLUMNID id = ci.rc.columnid;
    int fAuto;
    err = trx_auto_begin(psess, &fAuto);
    if (err >= 0)
        err = cat_insert_column(psess, pcur->db, ptd, &ci);
    err = trx_auto_end(psess, fAuto, err);
    if (err >= 0) {
        col_info *p = os_realloc(ptd->cols, (ptd->ccol + 1) * sizeof(col_info));
        if (p == NULL) {
            err = JET_errOutOfMemory;
        } else {
            ptd->cols = p;
            ptd->cols[ptd->ccol++] = ci;
            ci.pbDefault = NULL;
        }
    }
    os_free(ci.pbDefault);
    if (err >= 0) {
        bump_schema(psess, pcur->db);
        pcur->td->schemaGen = pcur->db->schemaGen; /* this cursor is up to date */
    }
    if (err >= 0 && pcolumnid)
        *pcolumnid = id;
    return err;
}

/* Is the column a segment of the primary index or of a secondary index? */
static int col_indexed(const table_def *ptd, JET_COLUMNID columnid)
{
    for (uint32_t i = 0; i < ptd->cseg; i++)
        if (ptd->segs[i].columnid == columnid)
            return 1;
    for (uint32_t j = 0; j < ptd->cidx; j++)
        for (uint32_t i = 0; i < ptd->idxs[j].cseg; i++)
            if (ptd->idxs[j].segs[i].columnid == columnid)
                return 1;
    return 0;
}

/* JetDeleteColumn: the catalog row becomes a tombstone (catalog.c); values in
 * existing records stay behind unread (their long values too, until the
 * record is deleted: lv.c counts references per record, not per column). */
JET_ERR isam_delete_column(isam_sess *psess, JET_TABLEID tableid, const char *szName, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->fTemp)
        return JET_errIllegalOperation;
    if (grbit & ~(JET_GRBIT)0x1) /* JET_bitDeleteColumnIgnoreTemplateColumns */
        return JET_errInvalidGrbit;
    if (pcur->db->readonly)
        return JET_errDatabaseFileReadOnly;
    JET_ERR err = sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    col_info *pci = col_by_name(pcur->td, szName);
    if (pci == NULL)
        return JET_errColumnNotFound;
    if (col_indexed(pcur->td, pci->rc.columnid))
        return JET_errColumnInUse;
    if (pcur->prep != JET_prepCancel)
        return JET_errAlreadyPrepared;
    col_info tomb;
    memset(&tomb, 0, sizeof(tomb));
    tomb.rc.columnid = pci->rc.columnid;
    tomb.rc.coltyp = JET_coltypNil;
    int fAuto;
    err = trx_auto_begin(psess, &fAuto);
    if (err >= 0)
        err = cat_update_column(psess, pcur->db, pcur->td, &tomb);
    err = trx_auto_end(psess, fAuto, err);
    if (err < 0)
        return err;
    os_free(pci->pbDefault);
    *pci = tomb;
    bump_schema(psess, pcur->db);
    pcur->td->schemaGen = pcur->db->schemaGen;
    return JET_errSuccess;
}

JET_ERR isam_rename_column(isam_sess *psess, JET_TABLEID tableid, const char *szName, const char *szNew,
                           JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->fTemp)
        return JET_errIllegalOperation;
    if (grbit != 0)
        return JET_errInvalidGrbit;
    if (pcur->db->readonly)
        return JET_errDatabaseFileReadOnly;
    char folded[JET_cbNameMost + 1];
    if (!cat_name_fold(szNew, folded))
        return JET_errInvalidName;
    JET_ERR err = sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    col_info *pci = col_by_name(pcur->td, szName);
    if (pci == NULL)
        return JET_errColumnNotFound;
    col_info *pdup = col_by_name(pcur->td, szNew);
    if (pdup && pdup != pci)
        return JET_errColumnDuplicate;
    col_info ci = *pci;
    snprintf(ci.name, sizeof(ci.name), "%s", szNew);
    int fAuto;
    err = trx_auto_begin(psess, &fAuto);
    if (err >= 0)
        err = cat_update_column(psess, pcur->db, pcur->td, &ci);
    err = trx_auto_end(psess, fAuto, err);
    if (err < 0)
        return err;
    snprintf(pci->name, sizeof(pci->name), "%s", szNew);
    bump_schema(psess, pcur->db);
    pcur->td->schemaGen = pcur->db->schemaGen;
    return JET_errSuccess;
}

JET_ERR isam_rename_table(isam_sess *psess, JET_DBID dbid, const char *szName, const char *szNew)
{
    isam_db *pdb = sess_db(psess, dbid);
    if (pdb == NULL)
        return JET_errInvalidDatabaseId;
    if (pdb->readonly)
        return JET_errDatabaseFileReadOnly;
    char folded[JET_cbNameMost + 1];
    if (!cat_name_fold(szNew, folded))
        return JET_errInvalidName;
    table_def *ptd = NULL;
    JET_ERR err = load_unused_table(psess, pdb, szName, &ptd);
    if (err < 0)
        return err;
    int fAuto;
    err = trx_auto_begin(psess, &fAuto);
    if (err >= 0)
        err = cat_rename_table(psess, pdb, ptd, szNew);
    err = trx_auto_end(psess, fAuto, err);
    cat_free_table(ptd);
    return err;
}

/* JetGetTableInfo: JET_TblInfo (JET_OBJECTINFO), JET_TblInfoName, JET_TblInfoDbid. */
/* One fixed-size answer of an info call: JET_errBufferTooSmall when it does not fit. */
static JET_ERR info_put(void *pv, uint32_t cbMax, const void *pvValue, uint32_t cb)
{
    if (cbMax < cb)
        return JET_errBufferTooSmall;
    memcpy(pv, pvValue, cb);
    return JET_errSuccess;
}

JET_ERR isam_get_table_info(isam_sess *psess, JET_TABLEID tableid, void *pv, uint32_t cbMax, uint32_t infolevel)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pv == NULL)
        return JET_errInvalidParameter;
    switch (infolevel) {
    case JET_TblInfo: {
        JET_OBJECTINFO oi;
        if (cbMax < sizeof(oi))
            return JET_errBufferTooSmall;
        memset(&oi, 0, sizeof(oi));
        oi.cbStruct = sizeof(oi);
        oi.objtyp = JET_objtypTable;
        oi.grbit = JET_bitTableInfoBookmark | JET_bitTableInfoRollback |
                   (pcur->db->readonly ? 0 : JET_bitTableInfoUpdatable);
        memcpy(pv, &oi, sizeof(oi));
        return JET_errSuccess;
    }
    case JET_TblInfoName: {
        size_t n = strlen(pcur->td->name) + 1;
        if (cbMax < n)
            return JET_errBufferTooSmall;
        memcpy(pv, pcur->td->name, n);
        return JET_errSuccess;
    }
    case JET_TblInfoDbid: {
        JET_DBID dbid = pcur->db->dbid;
        return info_put(pv, cbMax, &dbid, sizeof(dbid));
    }
    default:
        return JET_errInvalidParameter;
    }
}

/* JetGetTableColumnInfo levels on one column: JET_ColInfo / JET_ColInfoByColid
 * (a JET_COLUMNDEF) and JET_ColInfoBase / JET_ColInfoBaseByColid (a
 * JET_COLUMNBASE).  With the ByColid levels szName points at a JET_COLUMNID. */
JET_ERR isam_get_column_info(isam_sess *psess, JET_TABLEID tableid, const char *szName, void *pv, uint32_t cbMax,
                             uint32_t infolevel)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pv == NULL || (szName == NULL && infolevel != JET_ColInfoList && infolevel != JET_ColInfoListCompact &&
                       infolevel != JET_ColInfoListSortColumnid))
        return JET_errInvalidParameter;
    JET_ERR err = sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    if (infolevel == JET_ColInfoList || infolevel == JET_ColInfoListCompact ||
        infolevel == JET_ColInfoListSortColumnid) {
        if (cbMax < sizeof(JET_COLUMNLIST))
            return JET_errBufferTooSmall;
        return list_columns(psess, pcur, infolevel, pv);
    }
    int fById = infolevel == JET_ColInfoByColid || infolevel == JET_ColInfoBaseByColid;
    int fBase = infolevel == JET_ColInfoBase || infolevel == JET_ColInfoBaseByColid;
    if (infolevel != JET_ColInfo && !fById && !fBase)
        return JET_errInvalidParameter;
    if (cbMax < (fBase ? sizeof(JET_COLUMNBASE) : sizeof(JET_COLUMNDEF)))
        return JET_errBufferTooSmall;
    col_info *pci;
    if (fById) {
        JET_COLUMNID id;
        memcpy(&id, szName, sizeof(id));
        pci = col_by_id(pcur->td, id);
    } else {
        pci = col_by_name(pcur->td, szName);
    }
    if (pci == NULL)
        return JET_errColumnNotFound;
    if (!fBase)
        return isam_get_column_id(psess, tableid, pci->name, pv);
    JET_COLUMNBASE cb;
    memset(&cb, 0, sizeof(cb));
    cb.cbStruct = sizeof(cb);
    cb.columnid = pci->rc.columnid;
    cb.coltyp = pci->rc.coltyp;
    cb.cp = pci->rc.cp;
    cb.cbMax = pci->rc.cbMax;
    cb.grbit = pci->rc.grbit;
    snprintf(cb.szBaseTableName, sizeof(cb.szBaseTableName), "%s", pcur->td->name);
    snprintf(cb.szBaseColumnName, sizeof(cb.szBaseColumnName), "%s", pci->name);
    memcpy(pv, &cb, sizeof(cb));
    return JET_errSuccess;
}

JET_ERR isam_get_column_id(isam_sess *psess, JET_TABLEID tableid, const char *szName, JET_COLUMNDEF *pdef)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    col_info *pci = col_by_name(pcur->td, szName);
    if (pci == NULL)
        return JET_errColumnNotFound;
    memset(pdef, 0, sizeof(*pdef));
    pdef->cbStruct = sizeof(*pdef);
    pdef->columnid = pci->rc.columnid;
    pdef->coltyp = pci->rc.coltyp;
    pdef->cp = pci->rc.cp;
    pdef->cbMax = pci->rc.cbMax;
    pdef->grbit = pci->rc.grbit;
    return JET_errSuccess;
}

/* Is any record visible in the table? */
static JET_ERR table_has_records(isam_sess *psess, isam_cursor *pcur, int *pf)
{
    rec_buf tmp = { 0 };
    JET_ERR err;
    *pf = 0;
    for (err = bt_first(pcur->bc); err >= 0; err = bt_next(pcur->bc)) {
        const void *pk, *pd;
        uint32_t cbk, cbd, fl;
        err = bt_current(pcur->bc, &pk, &cbk, &pd, &cbd, &fl);
        if (err < 0)
            break;
        err = rec_visible(psess, pcur->db, pcur->td->pgnoRoot, pk, cbk, pd, cbd, fl, &tmp);
        if (err >= 0) {
            *pf = 1;
            break;
        }
        if (err != JET_errRecordNotFound)
            break;
    }
    rec_free(&tmp);
    if (err == JET_errRecordNotFound || err == JET_errNoCurrentRecord)
        err = JET_errSuccess;
    return err < 0 ? err : JET_errSuccess;
}

/* Largest primary key / bookmark of a table on this page size. */
static uint32_t primary_key_max(isam_db *pdb)
{
    uint32_t cb = cache_page_size(pdb->env.pc) / 4;
    return cb > JET_cbKeyMost ? JET_cbKeyMost : cb;
}

static JET_ERR create_primary_index(isam_sess *psess, isam_cursor *pcur, const char *szName, JET_GRBIT grbit,
                                    const key_seg *segs, uint32_t cseg)
{
    table_def *ptd = pcur->td;
    if (ptd->cseg > 0)
        return JET_errIndexHasPrimary;
    table_def nd = *ptd;
    nd.cseg = cseg;
    memcpy(nd.segs, segs, cseg * sizeof(key_seg));
    int hasRecords = 0;
    JET_ERR err = table_has_records(psess, pcur, &hasRecords);
    if (err < 0)
        return err;
    if (hasRecords)
        return JET_errTableNotEmpty;
    snprintf(nd.idxName, sizeof(nd.idxName), "%s", szName);
    nd.idxGrbit = grbit | JET_bitIndexUnique;
    int fAuto;
    err = trx_auto_begin(psess, &fAuto);
    if (err >= 0)
        err = cat_update_table(psess, pcur->db, &nd);
    err = trx_auto_end(psess, fAuto, err);
    if (err >= 0) {
        ptd->cseg = nd.cseg;
        memcpy(ptd->segs, nd.segs, sizeof(nd.segs));
        memcpy(ptd->idxName, nd.idxName, sizeof(nd.idxName));
        ptd->idxGrbit = nd.idxGrbit;
    }
    return err;
}

/* One index of JetCreateIndex / JetCreateIndex2..4.  cbKeyMost: the
 * JET_INDEXCREATE field (used with JET_bitIndexKeyMost); segflagsAll:
 * KEY_SEG_CASESENSITIVE when the index's LCMapString flags do not ignore case. */
static JET_ERR create_index(isam_sess *psess, isam_cursor *pcur, const char *szName, JET_GRBIT grbit,
                            const char *szKey, uint32_t cbKey, uint32_t lDensity, uint32_t cbKeyMost,
                            uint32_t segflagsAll)
{
    if (pcur->fTemp)
        return JET_errIllegalOperation; /* one index, fixed at open */
    if (lDensity != 0 && (lDensity < 20 || lDensity > 100))
        return JET_errDensityInvalid;
    char folded[JET_cbNameMost + 1];
    if (!cat_name_fold(szName, folded))
        return JET_errInvalidName;
    if (grbit & (JET_bitIndexTuples | JET_bitIndexTupleLimits | JET_bitIndexNestedTable))
        return JET_errFeatureNotAvailable;
    if (grbit & ~(JET_GRBIT)0xFFFFF)
        return JET_errInvalidGrbit;
    JET_ERR err = sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    table_def *ptd = pcur->td;
    if ((grbit & JET_bitIndexPrimary) && ptd->cseg > 0)
        return JET_errIndexHasPrimary;
    char f2[JET_cbNameMost + 1];
    if (idx_by_name_any(ptd, szName) || (ptd->cseg && cat_name_fold(ptd->idxName, f2) && strcmp(f2, folded) == 0))
        return JET_errIndexDuplicate;
    key_seg segs[JET_ccolKeyMost];
    uint32_t cseg = 0;
    err = idx_parse_key(ptd, szKey, cbKey, grbit, segflagsAll, segs, &cseg);
    if (err < 0)
        return err;
    if (grbit & JET_bitIndexPrimary)
        return create_primary_index(psess, pcur, szName, grbit, segs, cseg);
    isam_db *pdb = pcur->db;
    uint32_t cbPage = cache_page_size(pdb->env.pc);
    uint32_t cbMost = JET_cbKeyMost;
    if (grbit & JET_bitIndexKeyMost) {
        uint32_t cbPageMost = cbPage <= 2048 ? JET_cbKeyMost2KBytePage
                            : cbPage <= 4096 ? JET_cbKeyMost4KBytePage
                                             : JET_cbKeyMost8KBytePage;
        if (cbKeyMost < JET_cbKeyMostMin || cbKeyMost > cbPageMost)
            return JET_errIndexInvalidDef;
        cbMost = cbKeyMost;
    }
    /* A node holds the key and one bookmark (index.c). */
    uint32_t cbRoom = bt_node_max(cbPage) - primary_key_max(pdb) - 8;
    if (cbMost > cbRoom)
        cbMost = cbRoom;
    idx_def id;
    memset(&id, 0, sizeof(id));
    snprintf(id.name, sizeof(id.name), "%s", szName);
    id.grbit = grbit;
    id.cbKeyMost = cbMost;
    id.cseg = cseg;
    memcpy(id.segs, segs, sizeof(segs));
    int fAuto;
    /* S1: no record of the database changes from here to the schema bump. */
    os_rwlock_wrlock(&pdb->schemaLock);
    err = trx_save_begin(psess, &fAuto);
    if (err < 0) {
        os_rwlock_unlock(&pdb->schemaLock);
        return err;
    }
    /* The build reads the table as this transaction's snapshot sees it: that
     * must be the table's latest state, or records changed by others (not yet
     * committed, or committed since) would miss their entries. */
    os_mutex_lock(&psess->inst->lock);
    if (ver_tree_changed_by_others_locked(psess->inst, psess->trx, pdb->dbid, ptd->pgnoRoot))
        err = JET_errWriteConflict;
    os_mutex_unlock(&psess->inst->lock);
    if (err >= 0)
        err = cat_next_objid(psess, pdb, &id.objid);
    if (err >= 0) {
        CKPT_ENTER(psess->inst);
        err = bt_create(&pdb->env, pdb->hdr.pgnoSpace, id.objid, &id.pgnoRoot);
        CKPT_LEAVE(psess->inst);
    }
    if (err >= 0)
        err = reclaim_register(psess, pdb, ptd->objid, 0, &id.pgnoRoot, 1); /* dropped if the creation rolls back */
    if (err >= 0)
        err = cat_insert_index(psess, pdb, ptd, &id);
    if (err >= 0)
        err = idx_build(psess, pdb, ptd, &id);
    err = trx_save_end(psess, fAuto, err);
    bump_schema(psess, pdb);
    os_rwlock_unlock(&pdb->schemaLock);
    JET_ERR e2 = sync_indexes(psess, pcur);
    return err < 0 ? err : e2;
}

JET_ERR isam_create_index(isam_sess *psess, JET_TABLEID tableid, const char *szName, JET_GRBIT grbit,
                          const char *szKey, uint32_t cbKey, uint32_t lDensity)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    return create_index(psess, pcur, szName, grbit, szKey, cbKey, lDensity, 0, 0);
}

JET_ERR isam_create_indexes(isam_sess *psess, JET_TABLEID tableid, const isam_index_spec *specs, uint32_t c,
                            JET_ERR *perrs)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (specs == NULL && c > 0)
        return JET_errInvalidParameter;
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; i < c && err >= 0; i++) {
        const isam_index_spec *ps = &specs[i];
        uint32_t segflags = ps->fCaseSensitive ? KEY_SEG_CASESENSITIVE : 0;
        err = create_index(psess, pcur, ps->szName, ps->grbit, ps->szKey, ps->cbKey, ps->ulDensity, ps->cbKeyMost,
                           segflags);
        if (perrs)
            perrs[i] = err;
    }
    return err;
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                      */
/* ------------------------------------------------------------------------ */

/* Key bytes of the current index (primary keys: JET_cbKeyMost). */
static uint32_t key_max(isam_cursor *pcur)
{
    idx_def *pidx = cur_idx(pcur);
    return pidx ? pidx->cbKeyMost : primary_key_max(pcur->db);
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
static JET_ERR load_current(isam_sess *psess, isam_cursor *pcur, rec_buf *pbuf)
{
    if (pcur->positioned != POS_ON)
        return JET_errNoCurrentRecord;
    JET_ERR err = rec_read_visible(psess, pcur->db, pcur->td->pgnoRoot, pcur->pbBm, pcur->cbBm, pbuf);
    return err == JET_errRecordNotFound ? JET_errRecordDeleted : err;
}

/* On a secondary index, put the cursor on the (first) entry of the record at
 * pcur->pbBm, whose contents are *prec.  JET_errNoCurrentRecord if the record
 * has no entry in the index (null key ignored by the index). */
static JET_ERR reposition_on_record(isam_sess *psess, isam_cursor *pcur, const rec_buf *prec)
{
    idx_def *pidx = cur_idx(pcur);
    if (pidx == NULL)
        return set_pos(pcur, pcur->pbBm, pcur->cbBm, pcur->pbBm, pcur->cbBm);
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
        err = set_pos(pcur, k.pb + k.off[best], k.len[best], bm, cbBm);
    }
    idx_keys_free(&k);
    return err;
}

/* ---- long values of a prepared update (lv.c L1, L2) --------------------------- */

static int is_long(const col_info *pci)
{
    return pci->rc.coltyp == JET_coltypLongText || pci->rc.coltyp == JET_coltypLongBinary;
}

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
    const uint32_t cmax = sizeof(psess->cursors) / sizeof(psess->cursors[0]);
    for (uint32_t i = 0; i < cmax; i++) {
        isam_cursor *pcur = &psess->cursors[i];
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
static void cancel_update(isam_sess *psess, isam_cursor *pcur)
{
    if (pcur->clidNew) {
        int fAuto;
        const void *mark;
        JET_ERR err = cur_trx_begin(psess, pcur, 0, &fAuto, &mark);
        if (err >= 0) {
            for (uint32_t i = 0; i < pcur->clidNew; i++)
                (void)lv_release(psess, pcur->db, pcur->td, pcur->plidNew[i]);
            (void)cur_trx_end(psess, pcur, 0, fAuto, mark, JET_errSuccess);
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
    JET_ERR err = rec_get(pcur->rec.pb, pcur->rec.cb, &pci->rc, itag ? itag : UINT32_MAX, &pvOld, &cbOld, &flags);
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
            err = rec_set(&pcur->rec, &pci->rc, itag, NULL, 0, 0, cbRecMax);
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
            err = cur_trx_begin(psess, pcur, 0, &fAuto, &mark);
            if (err >= 0)
                err = lv_release(psess, pcur->db, pcur->td, lidOld);
            err = cur_trx_end(psess, pcur, 0, fAuto, mark, err);
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
        err = rec_set(&pcur->rec, &pci->rc, itag, buf, (uint32_t)cbNew, 0, cbRecMax);
        os_free(buf);
        return err;
    }
    /* separated: change a lid owned by this update (copy on write, L1) */
    int fAuto;
    const void *mark;
    err = cur_trx_begin(psess, pcur, 0, &fAuto, &mark);
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
        err = rec_set(&pcur->rec, &pci->rc, itag, ref, LV_REF_SIZE, REC_TAG_SEPARATED, cbRecMax);
    if (err >= 0 && fMade && lidOld && lid_is_new(pcur, lidOld)) {
        err = lv_release(psess, pcur->db, pcur->td, lidOld);
        lid_forget(pcur, lidOld);
    }
    if (err >= 0 && fMade)
        err = lid_add_new(pcur, lid);
    err = cur_trx_end(psess, pcur, 0, fAuto, mark, err);
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
        return rec_set(&pcur->rec, &pci->rc, 1, b, pci->rc.cbMax, 0, UINT32_MAX);
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
        if (!fInsert && rec_get(pcur->rec.pb, pcur->rec.cb, &pci->rc, 1, &pv, &cb, NULL) == JET_errSuccess)
            v = (uint32_t)le_get(pv, cb) + 1;
        uint8_t b[4];
        le_put(b, v, 4);
        JET_ERR err = rec_set(&pcur->rec, &pci->rc, 1, b, 4, 0, UINT32_MAX);
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
        cancel_update(psess, pcur);
        return JET_errSuccess;
    }
    if (pcur->prep != JET_prepCancel)
        return JET_errAlreadyPrepared;
    if (pcur->db->readonly)
        return JET_errDatabaseFileReadOnly;
    if (psess->trx && psess->trx->readonly && !pcur->fTemp)
        return JET_errTransReadOnly;
    JET_ERR err;
    switch (prep) {
    case JET_prepInsert:
        err = rec_init(&pcur->rec);
        break;
    case JET_prepReplace:
    case JET_prepReplaceNoLock:
    case JET_prepInsertCopy:
    case JET_prepInsertCopyDeleteOriginal:
        err = rec_init(&pcur->rec);
        if (err >= 0)
            err = load_current(psess, pcur, &pcur->rec);
        if (err < 0)
            rec_free(&pcur->rec);
        break;
    default:
        return JET_errInvalidParameter;
    }
    if (err >= 0 && (prep == JET_prepInsert || prep == JET_prepInsertCopy))
        err = set_autoinc(psess, pcur);
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
        uint32_t cbRecMax0 = bt_node_max(cache_page_size(pcur->db->env.pc)) - JET_cbKeyMost;
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
        uint32_t c = rec_count(pcur->rec.pb, pcur->rec.cb, &pci->rc);
        for (uint32_t i = 1; i <= c; i++) {
            const void *pvOther;
            uint32_t cbOther;
            if (i != itag && rec_get(pcur->rec.pb, pcur->rec.cb, &pci->rc, i, &pvOther, &cbOther, NULL) == 0 &&
                cbOther == cb && memcmp(pvOther, value, cb) == 0)
                return JET_errMultiValuedDuplicate;
        }
    }
    uint32_t cbRecMax = bt_node_max(cache_page_size(pcur->db->env.pc)) - JET_cbKeyMost;
    JET_ERR err = rec_set(&pcur->rec, &pci->rc, itag, value, cb, 0, cbRecMax);
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
        JET_ERR e = rec_get(pcur->rec.pb, pcur->rec.cb, &pci->rc, 1, &pv, &cb, NULL);
        if (e == JET_wrnColumnNull)
            return JET_errNullInvalid;
    }
    uint8_t key[JET_cbKeyMost + 16];
    uint32_t cbKey = 0;
    JET_ERR err = sync_indexes(psess, pcur);
    if (err >= 0)
        err = bump_versions(pcur, pcur->prep != JET_prepReplace);
    if (err < 0)
        return err;
    rec_buf old = { 0 };
    int fAuto;
    const void *mark;
    err = cur_trx_begin(psess, pcur, 1, &fAuto, &mark);
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
        err = load_current(psess, pcur, &old); /* the original, deleted after the copy is in */
    if (err < 0) {
        /* nothing more to do: trx_save_end undoes the long-value changes */
    } else if (pcur->prep == JET_prepInsert || pcur->prep == JET_prepInsertCopy || fMove) {
        if (ptd->cseg == 0) {
            cbKey = 8;
            err = next_seq_key(psess, pcur, key);
        } else {
            err = record_key(pcur, &pcur->rec, key, &cbKey);
        }
        if (err >= 0)
            err = rec_op_insert(psess, pcur->db, ptd->pgnoRoot, key, cbKey, pcur->rec.pb, pcur->rec.cb);
        if (err >= 0)
            err = idx_record_changed(psess, pcur->db, ptd, key, cbKey, NULL, &pcur->rec);
        if (err >= 0 && fMove) {
            /* JET_prepInsertCopyDeleteOriginal: the copy takes over the long values */
            err = rec_op_delete(psess, pcur->db, ptd->pgnoRoot, pcur->pbBm, pcur->cbBm);
            if (err >= 0)
                err = idx_record_changed(psess, pcur->db, ptd, pcur->pbBm, pcur->cbBm, &old, NULL);
            lvc.pother = &pcur->rec;
            if (err >= 0)
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
                err = load_current(psess, pcur, &old);
            if (err >= 0)
                err = rec_op_replace(psess, pcur->db, ptd->pgnoRoot, key, cbKey, pcur->rec.pb, pcur->rec.cb);
            if (err >= 0 && ptd->cidx)
                err = idx_record_changed(psess, pcur->db, ptd, key, cbKey, &old, &pcur->rec);
            /* after the index entries: their old keys are read from the old values */
            lvc.pother = &pcur->rec;
            if (err >= 0)
                err = lv_for_each_ref(&old, release_cb, &lvc);
            if (err >= 0) {
                JET_ERR e = reposition_on_record(psess, pcur, &pcur->rec);
                if (e < 0 && e != JET_errNoCurrentRecord)
                    err = e;
            }
        }
    }
    rec_free(&old);
    err = cur_trx_end(psess, pcur, 1, fAuto, mark, err);
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
    if (grbit & ~(JET_GRBIT)JET_bitEscrowNoRollback)
        return JET_errInvalidGrbit;
    /* first: a reload frees the column array pci would point into */
    JET_ERR err = sync_indexes(psess, pcur);
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
    if (pcur->positioned != POS_ON)
        return JET_errNoCurrentRecord;
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
    if (pcur->positioned != POS_ON)
        return JET_errNoCurrentRecord;
    cancel_update(psess, pcur);
    JET_ERR err = sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    rec_buf old = { 0 };
    int fAuto;
    const void *mark;
    err = cur_trx_begin(psess, pcur, 1, &fAuto, &mark);
    if (err < 0)
        return err;
    lv_refs_ctx lvc = { psess, pcur, NULL };
    err = load_current(psess, pcur, &old);
    if (err >= 0)
        err = rec_op_delete(psess, pcur->db, pcur->td->pgnoRoot, pcur->pbBm, pcur->cbBm);
    if (err >= 0)
        err = idx_record_changed(psess, pcur->db, pcur->td, pcur->pbBm, pcur->cbBm, &old, NULL);
    if (err >= 0)
        err = lv_for_each_ref(&old, release_cb, &lvc);
    rec_free(&old);
    return cur_trx_end(psess, pcur, 1, fAuto, mark, err);
}

JET_ERR isam_delete(isam_sess *psess, JET_TABLEID tableid)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    os_rwlock_rdlock(&pcur->db->schemaLock); /* S1 */
    JET_ERR err = delete_impl(psess, tableid);
    os_rwlock_unlock(&pcur->db->schemaLock);
    return err;
}

static uint32_t cur_keypart(isam_cursor *pcur);

/* JET_bitRetrieveFromIndex / JET_bitRetrieveFromPrimaryBookmark: the column's
 * value read back from the current index entry's key (FromIndex on a
 * secondary index) or from the primary bookmark (FromPrimaryBookmark, or
 * FromIndex on the primary index).  Sets *pfFromRecord when the key cannot
 * give the value exactly (text, which keys fold; a truncated key; a sequential
 * primary key; a few lossy numbers): the caller reads the record, value number
 * *pitag.  Otherwise returns JET_errSuccess with the value in pbOut[0..*pcbOut)
 * (pbOut holds the key's length) or JET_wrnColumnNull.  *pitag is the value
 * number of a multi-valued column that made the current entry when fTag or
 * *pfFromRecord ask for it, else 1.  JET_errColumnNotFound: the column is
 * not in that key. */
static JET_ERR value_from_key(isam_sess *psess, isam_cursor *pcur, const col_info *pci, JET_GRBIT grbit, int fTag,
                              uint8_t **ppbOut, uint32_t *pcbOut, uint32_t *pitag, int *pfFromRecord)
{
    idx_def *pidx = cur_idx(pcur);
    const key_seg *segs;
    uint32_t cseg, cbKey;
    const uint8_t *key;
    int fSecondary = pidx != NULL && (grbit & JET_bitRetrieveFromIndex);
    *pitag = 1;
    *pfFromRecord = 0;
    if (fSecondary) {
        segs = pidx->segs;
        cseg = pidx->cseg;
        key = pcur->pbKeyCur;
        cbKey = cur_keypart(pcur);
    } else {
        if (pcur->td->cseg == 0) { /* sequential keys hold no column */
            if (pidx)
                return JET_errColumnNotFound;
            *pfFromRecord = 1;
            return JET_errSuccess;
        }
        segs = pcur->td->segs;
        cseg = pcur->td->cseg;
        key = pcur->pbBm;
        cbKey = pcur->cbBm;
    }
    uint32_t iseg = 0;
    while (iseg < cseg && segs[iseg].columnid != pci->rc.columnid)
        iseg++;
    if (iseg == cseg)
        return JET_errColumnNotFound;
    uint8_t *pb = os_malloc(cbKey ? cbKey : 1);
    if (pb == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = JET_errSuccess;
    uint32_t ib = 0, cb = 0;
    int r = KEY_DEC_VALUE;
    for (uint32_t i = 0; i <= iseg && r != KEY_DEC_TRUNCATED; i++) {
        const col_info *pciSeg = col_by_id(pcur->td, segs[i].columnid);
        if (pciSeg == NULL) {
            os_free(pb);
            return JET_errColumnNotFound;
        }
        r = key_decode_segment(key, cbKey, &ib, &pciSeg->rc, segs[i].segflags, pb, &cb);
    }
    if (r == KEY_DEC_VALUE || r == KEY_DEC_NULL) {
        *ppbOut = pb;
        *pcbOut = cb;
        err = r == KEY_DEC_NULL ? JET_wrnColumnNull : JET_errSuccess;
    } else {
        os_free(pb);
        *pfFromRecord = 1;
    }
    if (fSecondary && (pci->rc.grbit & JET_bitColumnMultiValued) && (fTag || *pfFromRecord) &&
        r != KEY_DEC_NULL) {
        /* which value made this entry: rebuild the record's entries */
        rec_buf rec = { 0 };
        JET_COLUMNID colMV = 0;
        uint32_t itag = 1;
        JET_ERR e = load_current(psess, pcur, &rec);
        if (e >= 0)
            e = idx_entry_itag(psess, pcur->db, pcur->td, pidx, rec.pb, rec.cb, pcur->pbBm, pcur->cbBm, pcur->pbKeyCur,
                               pcur->cbKeyCur, &colMV, &itag);
        rec_free(&rec);
        if (e < 0) {
            if (!*pfFromRecord)
                os_free(*ppbOut);
            *ppbOut = NULL;
            return e;
        }
        if (colMV == pci->rc.columnid)
            *pitag = itag;
    }
    return err;
}

/* One JetRetrieveColumn on pcur; *precLoaded, when not NULL, is the current
 * record already read by this call's caller (JetRetrieveColumns reads it once). */
static JET_ERR retrieve_one(isam_sess *psess, isam_cursor *pcur, JET_COLUMNID columnid, void *pv, uint32_t cbMax,
                            uint32_t *pcbActual, JET_GRBIT grbit, JET_RETINFO *pretinfo, const rec_buf *precLoaded)
{
    const JET_GRBIT fromKey = JET_bitRetrieveFromIndex | JET_bitRetrieveFromPrimaryBookmark;
    if (grbit & ~(JET_GRBIT)(JET_bitRetrieveCopy | JET_bitRetrieveIgnoreDefault | fromKey | JET_bitRetrieveTag))
        return JET_errInvalidGrbit;
    if ((grbit & fromKey) == fromKey)
        return JET_errInvalidGrbit; /* one source or the other */
    JET_ERR err = JET_errSuccess;
    if ((grbit & fromKey) && (err = sync_indexes(psess, pcur)) < 0) /* before pci: a reload frees the columns */
        return err;
    col_info *pci = col_by_id(pcur->td, columnid);
    if (pci == NULL)
        return JET_errColumnNotFound;
    if (pretinfo && pretinfo->cbStruct < sizeof(JET_RETINFO))
        return JET_errInvalidParameter;
    uint64_t ib = pretinfo ? pretinfo->ibLongValue : 0;
    uint32_t itag = pretinfo && pretinfo->itagSequence ? pretinfo->itagSequence : 1;
    rec_buf tmp = { 0 };
    const rec_buf *prec;
    int fCopy = (grbit & JET_bitRetrieveCopy) && pcur->prep != JET_prepCancel;
    if ((grbit & fromKey) && !fCopy) {
        if (pcur->positioned != POS_ON)
            return JET_errNoCurrentRecord;
        uint8_t *pbKeyVal = NULL;
        uint32_t cbKeyVal = 0, itagEntry = 1;
        int fFromRecord = 0;
        if (err >= 0)
            err = value_from_key(psess, pcur, pci, grbit, (grbit & JET_bitRetrieveTag) != 0, &pbKeyVal, &cbKeyVal,
                                 &itagEntry, &fFromRecord);
        if (err < 0)
            return err;
        if (pretinfo && (grbit & JET_bitRetrieveTag))
            pretinfo->itagSequence = itagEntry;
        if (!fFromRecord) {
            if (err == JET_wrnColumnNull) {
                if (pcbActual)
                    *pcbActual = 0;
            } else {
                if (!is_long(pci) && ib)
                    err = JET_errInvalidParameter; /* ibLongValue is for long values */
                uint32_t skip = ib < cbKeyVal ? (uint32_t)ib : cbKeyVal;
                uint32_t cbVal = cbKeyVal - skip;
                if (err >= 0) {
                    if (pcbActual)
                        *pcbActual = cbVal;
                    if (pv && cbMax)
                        memcpy(pv, pbKeyVal + skip, cbVal < cbMax ? cbVal : cbMax);
                    if (cbVal > cbMax)
                        err = JET_wrnBufferTruncated;
                }
            }
            os_free(pbKeyVal);
            if (pretinfo && err >= 0)
                pretinfo->columnidNextTagged = 0;
            return err;
        }
        itag = itagEntry; /* the record's value that made this entry */
    }
    if (fCopy) {
        prec = &pcur->rec;
    } else if (precLoaded) {
        prec = precLoaded;
    } else {
        err = load_current(psess, pcur, &tmp);
        prec = &tmp;
    }
    const void *pvCol = NULL;
    uint32_t cbCol = 0, flags = 0;
    if (err >= 0)
        err = rec_get(prec->pb, prec->cb, &pci->rc, itag, &pvCol, &cbCol, &flags);
    if (err == JET_wrnColumnNull && pci->pbDefault && !(grbit & JET_bitRetrieveIgnoreDefault) && itag == 1) {
        pvCol = pci->pbDefault;
        cbCol = pci->cbDefault;
        flags = 0;
        err = JET_errSuccess;
    }
    if (err >= 0 && err != JET_wrnColumnNull && !is_long(pci) && ib)
        err = JET_errInvalidParameter; /* ibLongValue is for long values */
    if (err >= 0 && err != JET_wrnColumnNull && (flags & REC_TAG_SEPARATED)) {
        /* a separated long value: cbActual = bytes from ibLongValue to the end */
        uint64_t lid, size;
        if (!lv_ref_parse(pvCol, cbCol, &lid, &size)) {
            err = JET_errLVCorrupted;
        } else {
            uint64_t rest = ib < size ? size - ib : 0;
            uint32_t n = 0;
            if (pv && cbMax && rest)
                err = lv_read(psess, pcur->db, pcur->td, lid, ib, pv, rest < cbMax ? (uint32_t)rest : cbMax, &n);
            if (err >= 0) {
                if (pcbActual)
                    *pcbActual = (uint32_t)rest;
                if (rest > cbMax)
                    err = JET_wrnBufferTruncated;
            }
        }
    } else if (err >= 0) {
        if (err != JET_wrnColumnNull && ib) {
            uint32_t skip = ib < cbCol ? (uint32_t)ib : cbCol;
            pvCol = (const uint8_t *)pvCol + skip;
            cbCol -= skip;
        }
        if (pcbActual)
            *pcbActual = cbCol;
        if (err == JET_wrnColumnNull) {
            if (pcbActual)
                *pcbActual = 0;
        } else {
            uint32_t n = cbCol < cbMax ? cbCol : cbMax;
            if (n && pv)
                memcpy(pv, pvCol, n);
            if (cbCol > cbMax)
                err = JET_wrnBufferTruncated;
        }
        if (pretinfo)
            pretinfo->columnidNextTagged = 0;
    }
    rec_free(&tmp);
    return err;
}

JET_ERR isam_retrieve_column(isam_sess *psess, JET_TABLEID tableid, JET_COLUMNID columnid, void *pv, uint32_t cbMax,
                             uint32_t *pcbActual, JET_GRBIT grbit, JET_RETINFO *pretinfo)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    return retrieve_one(psess, pcur, columnid, pv, cbMax, pcbActual, grbit, pretinfo, NULL);
}

JET_ERR isam_retrieve_columns(isam_sess *psess, JET_TABLEID tableid, JET_RETRIEVECOLUMN *prc, uint32_t crc)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    /* the record is read once, for every entry that reads the record */
    rec_buf rec = { 0 };
    int fLoaded = 0;
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; i < crc; i++) {
        JET_RETRIEVECOLUMN *p = &prc[i];
        if (!fLoaded && pcur->positioned == POS_ON &&
            !(p->grbit & (JET_bitRetrieveFromIndex | JET_bitRetrieveFromPrimaryBookmark)) &&
            !((p->grbit & JET_bitRetrieveCopy) && pcur->prep != JET_prepCancel)) {
            JET_ERR e = load_current(psess, pcur, &rec);
            if (e < 0) {
                rec_free(&rec);
                for (uint32_t j = i; j < crc; j++)
                    prc[j].err = e;
                return e;
            }
            fLoaded = 1;
        }
        JET_RETINFO ri = { sizeof(ri), p->ibLongValue, p->itagSequence, 0 };
        p->cbActual = 0;
        p->err = retrieve_one(psess, pcur, p->columnid, p->pvData, p->cbData, &p->cbActual, p->grbit, &ri,
                              fLoaded ? &rec : NULL);
        p->columnidNextTagged = ri.columnidNextTagged;
        if (p->grbit & JET_bitRetrieveTag)
            p->itagSequence = ri.itagSequence;
        if (p->err < 0) {
            err = p->err; /* the entries after it are left as they were */
            break;
        }
    }
    rec_free(&rec);
    return err < 0 ? err : JET_errSuccess;
}

/* ---- JetEnumerateColumns ----------------------------------------------------- */

typedef struct enum_ctx {
    isam_sess     *psess;
    isam_cursor   *pcur;
    const rec_buf *prec;
    JET_PFNREALLOC pfn;
    void          *pvCtx;
    uint32_t       cbDataMost;
    JET_GRBIT      grbit;
} enum_ctx;

static void *enum_alloc(enum_ctx *e, uint32_t cb)
{
    return e->pfn(e->pvCtx, NULL, cb ? cb : 1);
}

static void enum_free(enum_ctx *e, void *pv)
{
    if (pv)
        (void)e->pfn(e->pvCtx, pv, 0);
}

/* Value itag of pci (the default for a missing first value unless ignored)
 * into a new buffer of at most cbDataMost bytes. */
static JET_ERR enum_value(enum_ctx *e, col_info *pci, uint32_t itag, JET_ENUMCOLUMNVALUE *pv)
{
    memset(pv, 0, sizeof(*pv));
    pv->itagSequence = itag;
    const void *pvCol;
    uint32_t cbCol, flags = 0;
    JET_ERR err = rec_get(e->prec->pb, e->prec->cb, &pci->rc, itag, &pvCol, &cbCol, &flags);
    if (err < 0)
        return err;
    if (err == JET_wrnColumnNull && itag == 1 && pci->pbDefault && !(e->grbit & JET_bitEnumerateIgnoreDefault)) {
        pvCol = pci->pbDefault, cbCol = pci->cbDefault, flags = 0;
        err = JET_errSuccess;
    }
    if (err == JET_wrnColumnNull) {
        pv->err = JET_wrnColumnNull;
        return JET_errSuccess;
    }
    uint64_t lid = 0, size = cbCol;
    if ((flags & REC_TAG_SEPARATED) && !lv_ref_parse(pvCol, cbCol, &lid, &size))
        return JET_errLVCorrupted;
    uint32_t n = size < e->cbDataMost ? (uint32_t)size : e->cbDataMost;
    pv->pvData = enum_alloc(e, n);
    if (pv->pvData == NULL)
        return JET_errOutOfMemory;
    uint32_t got = n;
    if (lid)
        err = lv_read(e->psess, e->pcur->db, e->pcur->td, lid, 0, pv->pvData, n, &got);
    else
        memcpy(pv->pvData, pvCol, n);
    if (err < 0)
        return err;
    pv->cbData = got;
    pv->err = size > e->cbDataMost ? JET_wrnColumnTruncated : JET_errSuccess;
    return JET_errSuccess;
}

static void enum_column_free(enum_ctx *e, JET_ENUMCOLUMN *pec)
{
    if (pec->err == JET_wrnColumnSingleValue) {
        enum_free(e, pec->pvData);
    } else if (pec->err >= 0 && pec->rgEnumColumnValue) {
        for (uint32_t i = 0; i < pec->cEnumColumnValue; i++)
            enum_free(e, pec->rgEnumColumnValue[i].pvData);
        enum_free(e, pec->rgEnumColumnValue);
    }
    memset(pec, 0, sizeof(*pec));
}

/* One column: the listed itags (ctag > 0) or all of its values. */
static JET_ERR enum_column(enum_ctx *e, JET_COLUMNID columnid, uint32_t ctag, const uint32_t *rgtag,
                           JET_ENUMCOLUMN *pec)
{
    memset(pec, 0, sizeof(*pec));
    pec->columnid = columnid;
    col_info *pci = col_by_id(e->pcur->td, columnid);
    if (pci == NULL) {
        pec->err = JET_errColumnNotFound;
        return JET_errSuccess;
    }
    uint32_t c = rec_count(e->prec->pb, e->prec->cb, &pci->rc);
    if (c == 0 && pci->pbDefault && !(e->grbit & JET_bitEnumerateIgnoreDefault))
        c = 1;
    uint32_t cval = ctag ? ctag : c;
    if (ctag == 0 && c == 0) {
        pec->err = JET_wrnColumnNull;
        return JET_errSuccess;
    }
    if (e->grbit & JET_bitEnumeratePresenceOnly) {
        pec->err = c ? JET_wrnColumnPresent : JET_wrnColumnNull;
        return JET_errSuccess;
    }
    pec->rgEnumColumnValue = enum_alloc(e, cval * (uint32_t)sizeof(JET_ENUMCOLUMNVALUE));
    if (pec->rgEnumColumnValue == NULL)
        return JET_errOutOfMemory;
    memset(pec->rgEnumColumnValue, 0, cval * sizeof(JET_ENUMCOLUMNVALUE));
    pec->cEnumColumnValue = cval;
    for (uint32_t i = 0; i < cval; i++) {
        JET_ERR err = enum_value(e, pci, ctag ? rgtag[i] : i + 1, &pec->rgEnumColumnValue[i]);
        if (err < 0)
            return err;
    }
    if ((e->grbit & JET_bitEnumerateCompressOutput) && cval == 1 && pec->rgEnumColumnValue[0].err == 0) {
        JET_ENUMCOLUMNVALUE *pv = pec->rgEnumColumnValue;
        void *pvData = pv->pvData;
        uint32_t cbData = pv->cbData;
        enum_free(e, pv);
        pec->err = JET_wrnColumnSingleValue;
        pec->cbData = cbData;
        pec->pvData = pvData;
    }
    return JET_errSuccess;
}

JET_ERR isam_enumerate_columns(isam_sess *psess, JET_TABLEID tableid, uint32_t cEnumColumnId,
                               const JET_ENUMCOLUMNID *rgEnumColumnId, uint32_t *pcEnumColumn,
                               JET_ENUMCOLUMN **prgEnumColumn, JET_PFNREALLOC pfnRealloc, void *pvReallocContext,
                               uint32_t cbDataMost, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcEnumColumn == NULL || prgEnumColumn == NULL || pfnRealloc == NULL ||
        (cEnumColumnId && rgEnumColumnId == NULL))
        return JET_errInvalidParameter;
    if (grbit & ~(JET_GRBIT)(JET_bitEnumerateCopy | JET_bitEnumerateIgnoreDefault | JET_bitEnumerateLocal |
                             JET_bitEnumeratePresenceOnly | JET_bitEnumerateTaggedOnly |
                             JET_bitEnumerateCompressOutput | JET_bitEnumerateIgnoreUserDefinedDefault |
                             JET_bitEnumerateInRecordOnly))
        return JET_errInvalidGrbit;
    *pcEnumColumn = 0;
    *prgEnumColumn = NULL;
    JET_ERR err = sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    rec_buf tmp = { 0 };
    enum_ctx e = { psess, pcur, &tmp, pfnRealloc, pvReallocContext, cbDataMost, grbit };
    if ((grbit & JET_bitEnumerateCopy) && pcur->prep != JET_prepCancel)
        e.prec = &pcur->rec;
    else
        err = load_current(psess, pcur, &tmp);
    /* the columns: as listed, or every one with a value in column id order */
    table_def *ptd = pcur->td;
    uint32_t ccol = cEnumColumnId;
    JET_COLUMNID *ids = NULL;
    if (err >= 0 && cEnumColumnId == 0) {
        ids = os_malloc((ptd->ccol + 1) * sizeof(JET_COLUMNID));
        if (ids == NULL)
            err = JET_errOutOfMemory;
        for (uint32_t i = 0; err >= 0 && i < ptd->ccol; i++) {
            col_info *pci = &ptd->cols[i];
            if (pci->rc.coltyp == JET_coltypNil)
                continue;
            if ((grbit & JET_bitEnumerateTaggedOnly) && !(pci->rc.grbit & JET_bitColumnTagged))
                continue;
            int fDefault = pci->pbDefault && !(grbit & JET_bitEnumerateIgnoreDefault);
            if (rec_count(e.prec->pb, e.prec->cb, &pci->rc) == 0 && !fDefault)
                continue;
            uint32_t j = ccol++;
            while (j > 0 && ids[j - 1] > pci->rc.columnid) {
                ids[j] = ids[j - 1];
                j--;
            }
            ids[j] = pci->rc.columnid;
        }
    }
    JET_ENUMCOLUMN *rg = NULL;
    if (err >= 0 && ccol) {
        rg = enum_alloc(&e, ccol * (uint32_t)sizeof(JET_ENUMCOLUMN));
        if (rg == NULL)
            err = JET_errOutOfMemory;
        else
            memset(rg, 0, ccol * sizeof(JET_ENUMCOLUMN));
    }
    uint32_t done = 0;
    for (; err >= 0 && done < ccol; done++) {
        const JET_ENUMCOLUMNID *pid = cEnumColumnId ? &rgEnumColumnId[done] : NULL;
        if (pid && pid->ctagSequence && pid->rgtagSequence == NULL)
            err = JET_errInvalidParameter;
        else
            err = enum_column(&e, pid ? pid->columnid : ids[done], pid ? pid->ctagSequence : 0,
                              pid ? pid->rgtagSequence : NULL, &rg[done]);
        if (err < 0)
            done++; /* free the partly filled one too */
    }
    if (err < 0) {
        for (uint32_t i = 0; i < done; i++)
            enum_column_free(&e, &rg[i]);
        enum_free(&e, rg);
    } else {
        *pcEnumColumn = ccol;
        *prgEnumColumn = rg;
    }
    os_free(ids);
    rec_free(&tmp);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Navigation                                                                */
/* ------------------------------------------------------------------------ */

/* Length of the normalized-key part of the current node key (a non-unique
 * secondary index appends the primary bookmark to it). */
static uint32_t cur_keypart(isam_cursor *pcur)
{
    idx_def *pidx = cur_idx(pcur);
    if (pidx && !(pidx->grbit & JET_bitIndexUnique) && pcur->cbKeyCur >= pcur->cbBm)
        return pcur->cbKeyCur - pcur->cbBm;
    return pcur->cbKeyCur;
}

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
 * range (the cursor is then past the range, remembering the entry that ended
 * it, so moving back returns into the range). */
static JET_ERR step_visible(isam_sess *psess, isam_cursor *pcur, int dir, JET_ERR err)
{
    rec_buf tmp = { 0 };
    idx_def *pidx = cur_idx(pcur);
    uint32_t root = cur_root(pcur);
    while (err >= 0) {
        const void *pk, *pd;
        uint32_t cbk, cbd, fl;
        err = bt_current(pcur->bc, &pk, &cbk, &pd, &cbd, &fl);
        if (err < 0)
            break;
        err = rec_visible(psess, pcur->db, root, pk, cbk, pd, cbd, fl, &tmp);
        if (err >= 0) {
            const void *bm = pk;
            uint32_t cbBm = cbk;
            if (pidx)
                err = idx_entry_bookmark(pidx, pk, cbk, tmp.pb, tmp.cb, &bm, &cbBm);
            if (err >= 0)
                err = set_pos(pcur, pk, cbk, bm, cbBm);
            if (err >= 0 && !in_range(pcur)) {
                pcur->positioned = dir > 0 ? POS_PAST_AFTER : POS_PAST_BEFORE;
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
    if (pos == POS_ON || (pos == POS_PAST_AFTER && dir < 0) || (pos == POS_PAST_BEFORE && dir > 0)) {
        err = bt_seek(pcur->bc, pcur->pbKeyCur, pcur->cbKeyCur, dir > 0 ? BT_SEEK_GT : BT_SEEK_LT);
    } else if (pos == POS_PAST_AFTER || pos == POS_PAST_BEFORE) {
        return JET_errNoCurrentRecord;
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
    err = step_visible(psess, pcur, dir, err);
    if (err == JET_errNoCurrentRecord && pcur->positioned != POS_PAST_AFTER && pcur->positioned != POS_PAST_BEFORE)
        pcur->positioned = dir > 0 ? POS_AFTER : POS_BEFORE;
    return err;
}

/* A copy of the cursor's position, to look ahead and come back. */
typedef struct saved_pos {
    int      positioned;
    uint8_t *pb;
    uint32_t cbKey, cbBm;
} saved_pos;

static JET_ERR pos_save(isam_cursor *pcur, saved_pos *sp)
{
    sp->positioned = pcur->positioned;
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
        (void)set_pos(pcur, sp->pb, sp->cbKey, sp->pb + sp->cbKey, sp->cbBm);
    pcur->positioned = sp->positioned;
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
    cancel_update(psess, pcur);
    JET_ERR err = sync_indexes(psess, pcur);
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
    if (cRow == 0)
        return pcur->positioned == POS_ON ? JET_errSuccess : JET_errNoCurrentRecord;
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

/* Entries of the current index (within the index range, if any) before the
 * current one, and in all: counted exactly by walking (ESE estimates). */
JET_ERR isam_get_record_position(isam_sess *psess, JET_TABLEID tableid, JET_RECPOS *precpos, uint32_t cb)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (precpos == NULL || cb < sizeof(JET_RECPOS))
        return JET_errInvalidParameter;
    JET_ERR err = sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    if (pcur->positioned != POS_ON)
        return JET_errNoCurrentRecord;
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

/* A second cursor on the same table and current index, before the first entry. */
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
    uint32_t objidIdx = pcur->objidIdx;
    err = cursor_alloc(psess, pcur->db, ptd, ptableid);
    if (err < 0) {
        cat_free_table(ptd);
        return err;
    }
    idx_def *pidx = objidIdx ? idx_by_objid(ptd, objidIdx) : NULL;
    if (pidx)
        err = isam_set_current_index(psess, *ptableid, pidx->name, 0, 1);
    if (err >= 0)
        cursor_get(psess, *ptableid)->positioned = POS_BEFORE; /* no current record yet */
    if (err < 0) {
        (void)isam_close_table(psess, *ptableid);
        *ptableid = JET_tableidNil;
    }
    return err;
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
        if (pcur->positioned != POS_ON)
            return JET_errNoCurrentRecord;
        rec_buf rec = { 0 };
        JET_ERR err = load_current(psess, pcur, &rec); /* it must still be there for us */
        rec_free(&rec);
        return err < 0 ? err : rlock_acquire(psess, pcur->db, pcur->td->pgnoRoot, pcur->pbBm, pcur->cbBm);
    }
    if (psess->trx->readonly)
        return JET_errTransReadOnly;
    rec_buf rec = { 0 };
    JET_ERR err = load_current(psess, pcur, &rec);
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
    JET_ERR err = sync_indexes(psess, pcur);
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
    cancel_update(psess, pcur);
    JET_ERR err = sync_indexes(psess, pcur);
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
    err = bt_seek(pcur->bc, k, cbk, btmode);
    if (err == JET_errRecordNotFound)
        err = JET_errNoCurrentRecord;
    err = step_visible(psess, pcur, dir, err);
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
        } else if (!exact) {
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
    if (pcur->positioned != POS_ON)
        return JET_errNoCurrentRecord;
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
    if (pcur->positioned != POS_ON)
        return JET_errNoCurrentRecord;
    saved_pos sp;
    JET_ERR err = pos_save(pcur, &sp);
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
        if (pcur->positioned != POS_ON)
            return JET_errNoCurrentRecord;
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
    if (pcur->positioned != POS_ON)
        return JET_errNoCurrentRecord;
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
    cancel_update(psess, pcur);
    JET_ERR err = sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    saved_pos sp;
    err = pos_save(pcur, &sp);
    if (err < 0)
        return err;
    err = buf_put(&pcur->pbBm, &pcur->cbBm, &pcur->cbBmAlloc, pv, cb);
    pcur->positioned = POS_ON;
    rec_buf tmp = { 0 };
    if (err >= 0)
        err = load_current(psess, pcur, &tmp);
    if (err >= 0)
        err = reposition_on_record(psess, pcur, &tmp);
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
    if (pcur->positioned != POS_ON)
        return JET_errNoCurrentRecord;
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
    JET_ERR err = sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    idx_def *pidx = cur_idx(pcur);
    if (pidx == NULL)
        return JET_errNoCurrentIndex;
    if (pvKey == NULL || pvBm == NULL || cbBm == 0 || cbBm > JET_cbBookmarkMost ||
        cbKey > JET_cbKeyMost8KBytePage)
        return JET_errInvalidBookmark;
    cancel_update(psess, pcur);
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
        err = set_pos(pcur, node, cbNode, pvBm, cbBm);
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
    JET_ERR err = sync_indexes(psess, pcur);
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
    cancel_update(psess, pcur);
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
        err = load_current(psess, pcur, &tmp);
        if (err >= 0)
            err = reposition_on_record(psess, pcur, &tmp);
        rec_free(&tmp);
        if (err < 0)
            pcur->positioned = POS_BEFORE;
        return err;
    }
    pcur->positioned = POS_BEFORE;
    err = move_one(psess, pcur, +1);
    if (err == JET_errNoCurrentRecord) {
        pcur->positioned = POS_BEFORE;
        err = JET_errSuccess;
    }
    return err;
}

JET_ERR isam_get_current_index(isam_sess *psess, JET_TABLEID tableid, char *szIndex, uint32_t cbMax)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (szIndex == NULL || cbMax == 0)
        return JET_errInvalidParameter;
    JET_ERR err = sync_indexes(psess, pcur);
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

JET_ERR isam_delete_index(isam_sess *psess, JET_TABLEID tableid, const char *szIndex)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->fTemp)
        return JET_errIllegalOperation;
    char a[JET_cbNameMost + 1], b[JET_cbNameMost + 1];
    if (!cat_name_fold(szIndex, a))
        return JET_errInvalidName;
    JET_ERR err = sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    table_def *ptd = pcur->td;
    if (ptd->cseg && cat_name_fold(ptd->idxName, b) && strcmp(a, b) == 0)
        return JET_errIndexMustStay;
    idx_def *pidx = idx_by_name(ptd, szIndex);
    if (pidx == NULL)
        return JET_errIndexNotFound;
    if (pidx->objid == pcur->objidIdx)
        return JET_errIndexInUse;
    int fAuto;
    err = trx_save_begin(psess, &fAuto);
    if (err >= 0)
        err = reclaim_register(psess, pcur->db, ptd->objid, 1, &pidx->pgnoRoot, 1);
    if (err >= 0)
        err = cat_delete_index(psess, pcur->db, ptd, pidx);
    err = trx_save_end(psess, fAuto, err);
    bump_schema(psess, pcur->db);
    JET_ERR e2 = sync_indexes(psess, pcur);
    return err < 0 ? err : e2;
}

JET_ERR isam_get_index_info(isam_sess *psess, JET_TABLEID tableid, const char *szIndex, void *pv, uint32_t cbMax,
                            uint32_t infolevel)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pv == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    table_def *ptd = pcur->td;
    idx_def *pidx = NULL;
    int primary = 0;
    if (szIndex && szIndex[0]) {
        char a[JET_cbNameMost + 1], b[JET_cbNameMost + 1];
        if (!cat_name_fold(szIndex, a))
            return JET_errInvalidName;
        pidx = idx_by_name(ptd, szIndex);
        primary = pidx == NULL && ptd->cseg && cat_name_fold(ptd->idxName, b) && strcmp(a, b) == 0;
        if (pidx == NULL && !primary && infolevel != JET_IdxInfoCount)
            return JET_errIndexNotFound;
    } else {
        pidx = cur_idx(pcur);
        primary = pidx == NULL;
    }
    if (infolevel == JET_IdxInfo || infolevel == JET_IdxInfoList) {
        if (cbMax < sizeof(JET_INDEXLIST))
            return JET_errBufferTooSmall;
        int fOne = infolevel == JET_IdxInfo && szIndex && szIndex[0];
        return list_indexes(psess, pcur, fOne ? pidx : NULL, fOne && primary, !fOne, pv);
    }
    switch (infolevel) {
    case JET_IdxInfoCount: {
        uint32_t n = 1; /* the primary (clustered) index counts */
        for (uint32_t i = 0; i < ptd->cidx; i++)
            n += ptd->idxs[i].fNavigable != 0;
        return info_put(pv, cbMax, &n, sizeof(n));
    }
    case JET_IdxInfoSpaceAlloc: {
        uint32_t density = 100;
        return info_put(pv, cbMax, &density, sizeof(density));
    }
    case JET_IdxInfoLangid: {
        uint16_t langid = 0x409;
        return info_put(pv, cbMax, &langid, sizeof(langid));
    }
    case JET_IdxInfoKeyMost:
    case JET_IdxInfoVarSegMac: {
        uint16_t most = (uint16_t)(pidx ? pidx->cbKeyMost : primary_key_max(pcur->db));
        return info_put(pv, cbMax, &most, sizeof(most));
    }
    default:
        return JET_errFeatureNotAvailable;
    }
}

JET_ERR isam_list_indexes(isam_sess *psess, JET_TABLEID tableid, char **ppszz, uint32_t *pcb)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    JET_ERR err = sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    table_def *ptd = pcur->td;
    size_t cap = 1;
    for (uint32_t i = 0; i < ptd->cidx; i++)
        cap += strlen(ptd->idxs[i].name) + 16 + ptd->idxs[i].cseg * (JET_cbNameMost + 2) + 1;
    char *out = os_malloc(cap);
    if (out == NULL)
        return JET_errOutOfMemory;
    size_t n = 0;
    for (uint32_t i = 0; i < ptd->cidx; i++) {
        const idx_def *pidx = &ptd->idxs[i];
        if (!pidx->fNavigable)
            continue; /* maintained, not visible to this snapshot (S2) */
        n += (size_t)snprintf(out + n, cap - n, "%s\x1f%u", pidx->name, (unsigned)pidx->grbit);
        for (uint32_t j = 0; j < pidx->cseg; j++) {
            col_info *pci = col_by_id(ptd, pidx->segs[j].columnid);
            n += (size_t)snprintf(out + n, cap - n, "\x1f%c%s", (pidx->segs[j].segflags & KEY_SEG_DESCENDING) ? '-' : '+',
                                  pci ? pci->name : "");
        }
        out[n++] = '\0';
    }
    out[n++] = '\0';
    *ppszz = out;
    *pcb = (uint32_t)n;
    return JET_errSuccess;
}

JET_ERR isam_describe_table(isam_sess *psess, JET_TABLEID tableid, char *szzColumns, uint32_t cbColumns,
                            uint32_t *pcbColumns, char *szKey, uint32_t cbKeyMax, uint32_t *pcbKey)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    table_def *ptd = pcur->td;
    JET_ERR err = JET_errSuccess;
    uint32_t cb = 1;
    for (uint32_t i = 0; i < ptd->ccol; i++)
        if (ptd->cols[i].name[0])
            cb += (uint32_t)strlen(ptd->cols[i].name) + 1;
    if (pcbColumns)
        *pcbColumns = cb;
    if (szzColumns) {
        if (cbColumns < cb) {
            err = JET_errBufferTooSmall;
        } else {
            char *p = szzColumns;
            for (uint32_t i = 0; i < ptd->ccol; i++) {
                if (ptd->cols[i].name[0] == '\0')
                    continue; /* deleted column */
                size_t n = strlen(ptd->cols[i].name) + 1;
                memcpy(p, ptd->cols[i].name, n);
                p += n;
            }
            *p = '\0';
        }
    }
    uint32_t cbk = 1;
    for (uint32_t i = 0; i < ptd->cseg; i++) {
        col_info *pci = col_by_id(ptd, ptd->segs[i].columnid);
        cbk += 1 + (uint32_t)(pci ? strlen(pci->name) : 0) + 1;
    }
    if (ptd->cseg == 0)
        cbk = 2;
    if (pcbKey)
        *pcbKey = cbk;
    if (szKey) {
        if (cbKeyMax < cbk) {
            err = JET_errBufferTooSmall;
        } else if (ptd->cseg == 0) {
            szKey[0] = szKey[1] = '\0';
        } else {
            char *p = szKey;
            for (uint32_t i = 0; i < ptd->cseg; i++) {
                col_info *pci = col_by_id(ptd, ptd->segs[i].columnid);
                *p++ = (ptd->segs[i].segflags & KEY_SEG_DESCENDING) ? '-' : '+';
                size_t n = pci ? strlen(pci->name) : 0;
                memcpy(p, pci ? pci->name : "", n);
                p += n;
                *p++ = '\0';
            }
            *p = '\0';
        }
    }
    return err;
}

/* Close every cursor of a session (JetEndSession). */
void cursor_close_all(isam_sess *psess)
{
    for (uint32_t i = 0; i < psess->ccursors; i++) {
        isam_cursor *pcur = &psess->cursors[i];
        if (!pcur->used)
            continue;
        if (pcur->fTemp)
            temp_drop(psess, pcur);
        cursor_free(psess->inst, pcur);
    }
}
