/*
 * cursor.c -- tables and their cursors: create / open / close / delete
 * tables, add columns, the primary index, and record work through a cursor
 * (prepare update, set and retrieve columns, update, delete, move, make key,
 * seek, bookmarks).
 *
 * Owns: isam_cursor (a JET_TABLEID), the record key of a table (normalized
 * primary-index key, or ESE's sequential 8-byte key for tables without one),
 * navigation over versioned nodes (a node invisible to the session's
 * snapshot is skipped).
 * Must not touch: the record format (record.c), version chains (ver.c),
 * catalog rows (catalog.c), pages.
 *
 * Cursor positions: ON a record (bookmark = its key), BEFORE the first or
 * AFTER the last record.  Every move starts by re-seeking the btree cursor to
 * the bookmark, so concurrent changes by other sessions never invalidate it.
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

#define POS_NONE   0
#define POS_ON     1
#define POS_BEFORE 2
#define POS_AFTER  3

#define TABLEID_TAG 0xE7ULL

/* ------------------------------------------------------------------------ */
/* Handles                                                                   */
/* ------------------------------------------------------------------------ */

static JET_TABLEID cursor_handle(isam_sess *psess, isam_cursor *pcur)
{
    uint32_t slot = (uint32_t)(pcur - psess->cursors);
    return (JET_TABLEID)((TABLEID_TAG << 56) | ((uint64_t)(pcur->gen & 0xFFFFFF) << 32) | (slot + 1));
}

static isam_cursor *cursor_get(isam_sess *psess, JET_TABLEID tableid)
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

static JET_ERR cursor_alloc(isam_sess *psess, isam_db *pdb, table_def *ptd, JET_TABLEID *ptableid)
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
        JET_ERR err = bt_cursor_open(&pdb->env, ptd->pgnoRoot, &pcur->bc);
        if (err < 0)
            return err;
        pcur->used = 1;
        pcur->positioned = POS_BEFORE;
        if (i + 1 > psess->ccursors)
            psess->ccursors = i + 1;
        *ptableid = cursor_handle(psess, pcur);
        return JET_errSuccess;
    }
    return JET_errOutOfCursors;
}

static void cursor_free(isam_cursor *pcur)
{
    bt_cursor_close(pcur->bc);
    cat_free_table(pcur->td);
    rec_free(&pcur->rec);
    os_free(pcur->pbKeyCur);
    uint32_t gen = pcur->gen;
    memset(pcur, 0, sizeof(*pcur));
    pcur->gen = gen;
}

static JET_ERR set_bookmark(isam_cursor *pcur, const void *key, uint32_t cbKey)
{
    if (cbKey > pcur->cbKeyCurAlloc) {
        uint8_t *p = os_realloc(pcur->pbKeyCur, cbKey);
        if (p == NULL)
            return JET_errOutOfMemory;
        pcur->pbKeyCur = p;
        pcur->cbKeyCurAlloc = cbKey;
    }
    memcpy(pcur->pbKeyCur, key, cbKey);
    pcur->cbKeyCur = cbKey;
    pcur->positioned = POS_ON;
    return JET_errSuccess;
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
    pthread_mutex_lock(&pinst->lock);
    if (next <= pdb->seqNext && pdb->seqNext != 0 && pcur->td->objid == (uint32_t)(pdb->seqNext >> 40))
        next = (pdb->seqNext & 0xFFFFFFFFFFULL) + 1;
    pdb->seqNext = ((uint64_t)pcur->td->objid << 40) | (next & 0xFFFFFFFFFFULL);
    pthread_mutex_unlock(&pinst->lock);
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
    JET_ERR err = cat_load_table(psess, pdb, szName, &ptd);
    if (err < 0)
        return err;
    err = cursor_alloc(psess, pdb, ptd, ptableid);
    if (err < 0)
        cat_free_table(ptd);
    return err;
}

JET_ERR isam_close_table(isam_sess *psess, JET_TABLEID tableid)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    cursor_free(pcur);
    return JET_errSuccess;
}

JET_ERR isam_delete_table(isam_sess *psess, JET_DBID dbid, const char *szName)
{
    isam_db *pdb = sess_db(psess, dbid);
    if (pdb == NULL)
        return JET_errInvalidDatabaseId;
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
    int fAuto;
    err = trx_auto_begin(psess, &fAuto);
    if (err >= 0)
        err = cat_delete_table(psess, pdb, ptd);
    /* The table's pages are not returned to the free list yet (the delete
     * may still roll back); they are reclaimed by a future defragmentation. */
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

static col_info *col_by_id(table_def *ptd, JET_COLUMNID columnid)
{
    for (uint32_t i = 0; i < ptd->ccol; i++)
        if (ptd->cols[i].rc.columnid == columnid)
            return &ptd->cols[i];
    return NULL;
}

static col_info *col_by_name(table_def *ptd, const char *szName)
{
    char a[JET_cbNameMost + 1], b[JET_cbNameMost + 1];
    if (!cat_name_fold(szName, a))
        return NULL;
    for (uint32_t i = 0; i < ptd->ccol; i++)
        if (cat_name_fold(ptd->cols[i].name, b) && strcmp(a, b) == 0)
            return &ptd->cols[i];
    return NULL;
}

JET_ERR isam_add_column(isam_sess *psess, JET_TABLEID tableid, const char *szName, const JET_COLUMNDEF *pdef,
                        const void *pvDefault, uint32_t cbDefault, JET_COLUMNID *pcolumnid)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pdef == NULL || pdef->cbStruct < sizeof(JET_COLUMNDEF))
        return JET_errInvalidParameter;
    table_def *ptd = pcur->td;
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
    if (g & (JET_bitColumnAutoincrement | JET_bitColumnVersion | JET_bitColumnEscrowUpdate))
        return JET_errFeatureNotAvailable; /* arrives with the full ISAM */
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
    int fAuto;
    JET_ERR err = trx_auto_begin(psess, &fAuto);
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
    if (err >= 0 && pcolumnid)
        *pcolumnid = id;
    return err;
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

JET_ERR isam_create_index(isam_sess *psess, JET_TABLEID tableid, const char *szName, JET_GRBIT grbit,
                          const char *szKey, uint32_t cbKey, uint32_t lDensity)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (lDensity != 0 && (lDensity < 20 || lDensity > 100))
        return JET_errDensityInvalid;
    char folded[JET_cbNameMost + 1];
    if (!cat_name_fold(szName, folded))
        return JET_errInvalidName;
    table_def *ptd = pcur->td;
    if (!(grbit & JET_bitIndexPrimary))
        return JET_errFeatureNotAvailable; /* secondary indexes arrive with the full ISAM */
    if (ptd->cseg > 0)
        return JET_errIndexHasPrimary;
    /* "+col\0-col\0\0": cbKey counts both final NULs. */
    if (szKey == NULL || cbKey < 3 || szKey[cbKey - 1] != '\0' || szKey[cbKey - 2] != '\0')
        return JET_errIndexInvalidDef;
    table_def nd = *ptd;
    nd.cseg = 0;
    uint32_t i = 0;
    while (i < cbKey - 1 && szKey[i] != '\0') {
        const char *tok = szKey + i;
        size_t len = strnlen(tok, cbKey - i);
        uint32_t segflags = 0;
        if (tok[0] == '-') {
            segflags |= KEY_SEG_DESCENDING;
            tok++;
        } else if (tok[0] == '+') {
            tok++;
        }
        col_info *pci = col_by_name(ptd, tok);
        if (pci == NULL)
            return JET_errColumnNotFound;
        if (nd.cseg >= JET_ccolKeyMost)
            return JET_errIndexInvalidDef;
        if (grbit & JET_bitIndexSortNullsHigh)
            segflags |= KEY_SEG_SORTNULLSHIGH;
        nd.segs[nd.cseg].columnid = pci->rc.columnid;
        nd.segs[nd.cseg].segflags = segflags;
        nd.cseg++;
        i += (uint32_t)len + 1;
    }
    if (nd.cseg == 0)
        return JET_errIndexInvalidDef;
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

/* ------------------------------------------------------------------------ */
/* Keys                                                                      */
/* ------------------------------------------------------------------------ */

static uint32_t key_max(isam_cursor *pcur)
{
    uint32_t cb = cache_page_size(pcur->db->env.pc) / 4;
    return cb > JET_cbKeyMost ? JET_cbKeyMost : cb; /* primary keys: JET_cbKeyMost bytes */
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
        JET_ERR err = rec_get(prec->pb, prec->cb, &pci->rc, 1, &pv, &cb, NULL);
        if (err < 0)
            return err;
        if (err == JET_wrnColumnNull && pci->pbDefault) {
            pv = pci->pbDefault;
            cb = pci->cbDefault;
            err = JET_errSuccess;
        }
        int trunc = 0;
        err = key_append_segment(key, pcbKey, key_max(pcur), &pci->rc, err == JET_wrnColumnNull ? NULL : pv, cb,
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
    JET_ERR err = rec_read_visible(psess, pcur->db, pcur->td->pgnoRoot, pcur->pbKeyCur, pcur->cbKeyCur, pbuf);
    return err == JET_errRecordNotFound ? JET_errRecordDeleted : err;
}

JET_ERR isam_prepare_update(isam_sess *psess, JET_TABLEID tableid, uint32_t prep)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (prep == JET_prepCancel) {
        if (pcur->prep == JET_prepCancel)
            return JET_errUpdateNotPrepared;
        pcur->prep = JET_prepCancel;
        rec_free(&pcur->rec);
        return JET_errSuccess;
    }
    if (pcur->prep != JET_prepCancel)
        return JET_errAlreadyPrepared;
    if (pcur->db->readonly)
        return JET_errDatabaseFileReadOnly;
    if (psess->trx && psess->trx->readonly)
        return JET_errTransReadOnly;
    JET_ERR err;
    switch (prep) {
    case JET_prepInsert:
        err = rec_init(&pcur->rec);
        break;
    case JET_prepReplace:
    case JET_prepReplaceNoLock:
    case JET_prepInsertCopy:
        err = rec_init(&pcur->rec);
        if (err >= 0)
            err = load_current(psess, pcur, &pcur->rec);
        if (err < 0)
            rec_free(&pcur->rec);
        break;
    default:
        return JET_errInvalidParameter;
    }
    if (err < 0)
        return err;
    pcur->prep = prep == JET_prepReplaceNoLock ? JET_prepReplace : prep;
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
    if (grbit & ~(JET_GRBIT)(JET_bitSetZeroLength | JET_bitSetUniqueMultiValues | JET_bitSetRevertToDefaultValue |
                             JET_bitSetIntrinsicLV | JET_bitSetSeparateLV))
        return (grbit & (JET_bitSetAppendLV | JET_bitSetOverwriteLV | JET_bitSetSizeLV)) ? JET_errFeatureNotAvailable
                                                                                         : JET_errInvalidGrbit;
    col_info *pci = col_by_id(pcur->td, columnid);
    if (pci == NULL)
        return JET_errColumnNotFound;
    if (psetinfo && psetinfo->cbStruct < sizeof(JET_SETINFO))
        return JET_errInvalidParameter;
    if (cb > 0 && pv == NULL)
        return JET_errInvalidParameter;
    uint32_t itag = psetinfo ? psetinfo->itagSequence : 1;
    if (!(pci->rc.grbit & JET_bitColumnTagged))
        itag = 1;
    else if (psetinfo == NULL)
        itag = 1;
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
    uint32_t cbRecMax = bt_node_max(cache_page_size(pcur->db->env.pc)) - JET_cbKeyMost;
    JET_ERR err = rec_set(&pcur->rec, &pci->rc, itag, value, cb, 0, cbRecMax);
    if (err >= 0)
        pcur->fDirty = 1;
    return err;
}

JET_ERR isam_update(isam_sess *psess, JET_TABLEID tableid, void *pvBookmark, uint32_t cbBookmark,
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
    JET_ERR err = JET_errSuccess;
    int fAuto;
    err = trx_auto_begin(psess, &fAuto);
    if (err < 0)
        return err;
    if (pcur->prep == JET_prepInsert || pcur->prep == JET_prepInsertCopy) {
        if (ptd->cseg == 0) {
            cbKey = 8;
            err = next_seq_key(psess, pcur, key);
        } else {
            err = record_key(pcur, &pcur->rec, key, &cbKey);
        }
        if (err >= 0)
            err = rec_op_insert(psess, pcur->db, ptd->pgnoRoot, key, cbKey, pcur->rec.pb, pcur->rec.cb);
    } else {
        if (pcur->positioned != POS_ON) {
            err = JET_errNoCurrentRecord;
        } else {
            cbKey = pcur->cbKeyCur;
            memcpy(key, pcur->pbKeyCur, cbKey);
            if (ptd->cseg > 0) {
                uint8_t newKey[JET_cbKeyMost + 16];
                uint32_t cbNew = 0;
                err = record_key(pcur, &pcur->rec, newKey, &cbNew);
                if (err >= 0 && (cbNew != cbKey || memcmp(newKey, key, cbKey) != 0))
                    err = JET_errRecordPrimaryChanged;
            }
            if (err >= 0)
                err = rec_op_replace(psess, pcur->db, ptd->pgnoRoot, key, cbKey, pcur->rec.pb, pcur->rec.cb);
        }
    }
    err = trx_auto_end(psess, fAuto, err);
    if (err < 0)
        return err;
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

JET_ERR isam_delete(isam_sess *psess, JET_TABLEID tableid)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->positioned != POS_ON)
        return JET_errNoCurrentRecord;
    if (pcur->prep != JET_prepCancel) {
        pcur->prep = JET_prepCancel;
        rec_free(&pcur->rec);
    }
    int fAuto;
    JET_ERR err = trx_auto_begin(psess, &fAuto);
    if (err < 0)
        return err;
    err = rec_op_delete(psess, pcur->db, pcur->td->pgnoRoot, pcur->pbKeyCur, pcur->cbKeyCur);
    return trx_auto_end(psess, fAuto, err);
}

JET_ERR isam_retrieve_column(isam_sess *psess, JET_TABLEID tableid, JET_COLUMNID columnid, void *pv, uint32_t cbMax,
                             uint32_t *pcbActual, JET_GRBIT grbit, JET_RETINFO *pretinfo)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (grbit & ~(JET_GRBIT)(JET_bitRetrieveCopy | JET_bitRetrieveIgnoreDefault))
        return (grbit & (JET_bitRetrieveFromIndex | JET_bitRetrieveFromPrimaryBookmark | JET_bitRetrieveTag))
                   ? JET_errFeatureNotAvailable
                   : JET_errInvalidGrbit;
    col_info *pci = col_by_id(pcur->td, columnid);
    if (pci == NULL)
        return JET_errColumnNotFound;
    if (pretinfo && pretinfo->cbStruct < sizeof(JET_RETINFO))
        return JET_errInvalidParameter;
    if (pretinfo && pretinfo->ibLongValue != 0)
        return JET_errFeatureNotAvailable;
    uint32_t itag = pretinfo && pretinfo->itagSequence ? pretinfo->itagSequence : 1;
    rec_buf tmp = { 0 };
    const rec_buf *prec;
    JET_ERR err = JET_errSuccess;
    if ((grbit & JET_bitRetrieveCopy) && pcur->prep != JET_prepCancel) {
        prec = &pcur->rec;
    } else {
        err = load_current(psess, pcur, &tmp);
        prec = &tmp;
    }
    const void *pvCol = NULL;
    uint32_t cbCol = 0;
    if (err >= 0)
        err = rec_get(prec->pb, prec->cb, &pci->rc, itag, &pvCol, &cbCol, NULL);
    if (err == JET_wrnColumnNull && pci->pbDefault && !(grbit & JET_bitRetrieveIgnoreDefault) && itag == 1) {
        pvCol = pci->pbDefault;
        cbCol = pci->cbDefault;
        err = JET_errSuccess;
    }
    if (err >= 0) {
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

/* ------------------------------------------------------------------------ */
/* Navigation                                                                */
/* ------------------------------------------------------------------------ */

/* Position pcur->bc on the nearest node to the bookmark in `dir` (+1 after,
 * -1 before) and then skip to the first node visible to the session. */
static JET_ERR step_visible(isam_sess *psess, isam_cursor *pcur, int dir, JET_ERR err)
{
    rec_buf tmp = { 0 };
    while (err >= 0) {
        const void *pk, *pd;
        uint32_t cbk, cbd, fl;
        err = bt_current(pcur->bc, &pk, &cbk, &pd, &cbd, &fl);
        if (err < 0)
            break;
        err = rec_visible(psess, pcur->db, pcur->td->pgnoRoot, pk, cbk, pd, cbd, fl, &tmp);
        if (err >= 0) {
            err = set_bookmark(pcur, pk, cbk);
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
    if (pcur->positioned == POS_ON) {
        err = bt_seek(pcur->bc, pcur->pbKeyCur, pcur->cbKeyCur, dir > 0 ? BT_SEEK_GT : BT_SEEK_LT);
    } else if (pcur->positioned == POS_BEFORE) {
        if (dir < 0)
            return JET_errNoCurrentRecord;
        err = bt_first(pcur->bc);
    } else if (pcur->positioned == POS_AFTER) {
        if (dir > 0)
            return JET_errNoCurrentRecord;
        err = bt_last(pcur->bc);
    } else {
        err = dir > 0 ? bt_first(pcur->bc) : bt_last(pcur->bc);
    }
    if (err == JET_errRecordNotFound)
        err = JET_errNoCurrentRecord;
    err = step_visible(psess, pcur, dir, err);
    if (err == JET_errNoCurrentRecord)
        pcur->positioned = dir > 0 ? POS_AFTER : POS_BEFORE;
    return err;
}

JET_ERR isam_move(isam_sess *psess, JET_TABLEID tableid, int32_t cRow, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (grbit & ~(JET_GRBIT)JET_bitMoveKeyNE)
        return JET_errInvalidGrbit;
    if (pcur->prep != JET_prepCancel) {
        pcur->prep = JET_prepCancel;
        rec_free(&pcur->rec);
    }
    JET_ERR err;
    if (cRow == JET_MoveFirst) {
        pcur->positioned = POS_BEFORE;
        err = move_one(psess, pcur, +1);
        if (err == JET_errNoCurrentRecord)
            pcur->positioned = POS_BEFORE;
        return err;
    }
    if (cRow == JET_MoveLast) {
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
    err = JET_errSuccess;
    for (uint32_t i = 0; i < n && err >= 0; i++)
        err = move_one(psess, pcur, dir);
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
    table_def *ptd = pcur->td;
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
        pcur->csegMade = ptd->cseg ? ptd->cseg : 1;
        return JET_errSuccess;
    }
    if (ptd->cseg == 0) {
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
    if (pcur->csegMade >= ptd->cseg)
        return JET_errKeyIsMade;
    col_info *pci = col_by_id(ptd, ptd->segs[pcur->csegMade].columnid);
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
    JET_ERR err = (prefix ? key_append_segment_prefix : key_append_segment)(
        pcur->keyMade, &pcur->cbKeyMade, key_max(pcur), &pci->rc, value, cb, ptd->segs[pcur->csegMade].segflags,
        &trunc);
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
    if (grbit & JET_bitSetIndexRange)
        return JET_errFeatureNotAvailable;
    JET_GRBIT mode = grbit & modes;
    if (mode == 0 || (mode & (mode - 1)))
        return JET_errInvalidGrbit;
    if (!pcur->fKeyMade)
        return JET_errKeyNotMade;
    if (pcur->prep != JET_prepCancel) {
        pcur->prep = JET_prepCancel;
        rec_free(&pcur->rec);
    }
    uint8_t key[sizeof(pcur->keyMade)];
    uint32_t cbKey = pcur->cbKeyMade;
    memcpy(key, pcur->keyMade, cbKey);
    pcur->fKeyMade = 0;
    int btmode = mode == JET_bitSeekEQ ? BT_SEEK_GE
               : mode == JET_bitSeekGE ? BT_SEEK_GE
               : mode == JET_bitSeekGT ? BT_SEEK_GT
               : mode == JET_bitSeekLE ? BT_SEEK_LE
                                       : BT_SEEK_LT;
    int dir = (btmode == BT_SEEK_GE || btmode == BT_SEEK_GT) ? +1 : -1;
    JET_ERR err = bt_seek(pcur->bc, key, cbKey, btmode);
    if (err == JET_errRecordNotFound)
        err = JET_errNoCurrentRecord;
    err = step_visible(psess, pcur, dir, err);
    if (err == JET_errNoCurrentRecord) {
        pcur->positioned = POS_NONE;
        return JET_errRecordNotFound;
    }
    if (err < 0)
        return err;
    int exact = pcur->cbKeyCur == cbKey && memcmp(pcur->pbKeyCur, key, cbKey) == 0;
    if (mode == JET_bitSeekEQ) {
        /* Equal on the segments given: the found key starts with the made key. */
        if (pcur->cbKeyCur < cbKey || memcmp(pcur->pbKeyCur, key, cbKey) != 0) {
            pcur->positioned = POS_NONE;
            return JET_errRecordNotFound;
        }
        return JET_errSuccess;
    }
    return exact ? JET_errSuccess : JET_wrnSeekNotEqual;
}

JET_ERR isam_get_bookmark(isam_sess *psess, JET_TABLEID tableid, void *pv, uint32_t cbMax, uint32_t *pcbActual)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->positioned != POS_ON)
        return JET_errNoCurrentRecord;
    if (pcbActual)
        *pcbActual = pcur->cbKeyCur;
    if (cbMax < pcur->cbKeyCur)
        return JET_errBufferTooSmall;
    if (pv)
        memcpy(pv, pcur->pbKeyCur, pcur->cbKeyCur);
    return JET_errSuccess;
}

JET_ERR isam_goto_bookmark(isam_sess *psess, JET_TABLEID tableid, const void *pv, uint32_t cb)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pv == NULL || cb == 0 || cb > JET_cbKeyMost + 16)
        return JET_errInvalidBookmark;
    if (pcur->prep != JET_prepCancel) {
        pcur->prep = JET_prepCancel;
        rec_free(&pcur->rec);
    }
    uint8_t saved[JET_cbKeyMost + 16];
    uint32_t cbSaved = pcur->cbKeyCur;
    int posSaved = pcur->positioned;
    if (cbSaved <= sizeof(saved) && pcur->pbKeyCur)
        memcpy(saved, pcur->pbKeyCur, cbSaved);
    JET_ERR err = set_bookmark(pcur, pv, cb);
    if (err < 0)
        return err;
    rec_buf tmp = { 0 };
    err = load_current(psess, pcur, &tmp);
    rec_free(&tmp);
    if (err < 0) {
        /* stay where we were */
        if (posSaved == POS_ON && cbSaved <= sizeof(saved))
            (void)set_bookmark(pcur, saved, cbSaved);
        pcur->positioned = posSaved;
        return err == JET_errRecordDeleted ? JET_errRecordDeleted : err;
    }
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
        cb += (uint32_t)strlen(ptd->cols[i].name) + 1;
    if (pcbColumns)
        *pcbColumns = cb;
    if (szzColumns) {
        if (cbColumns < cb) {
            err = JET_errBufferTooSmall;
        } else {
            char *p = szzColumns;
            for (uint32_t i = 0; i < ptd->ccol; i++) {
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
    for (uint32_t i = 0; i < psess->ccursors; i++)
        if (psess->cursors[i].used)
            cursor_free(&psess->cursors[i]);
}
