/*
 * table.c -- table and column DDL through a cursor: create / open / close /
 * delete / rename tables, add / delete / rename columns, column definitions
 * (col_build, col_by_id, col_by_name, col_order_by_id), JetGetTableInfo, JetGetColumnInfo,
 * JetGetColumnId and the table description (isam_describe_table).
 *
 * Owns: the validation of table and column definitions (names, types,
 * sizes, flags, defaults) before the catalog stores them, and the column
 * lookup map of a table_def (colMap: by name and by id, invariant C1).
 * Must not touch: catalog rows (catalog.c writes them), cursor positions
 * (cursor.c), records (update.c, record.c), index definitions (index.c),
 * version chains (ver.c), pages.
 */
#include "isam_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        err = ver_create_tree(psess, pdb, ptd->objid, &ptd->pgnoRoot);
        CKPT_LEAVE(psess->inst);
    }
    if (err >= 0)
        err = cat_next_objid(psess, pdb, &ptd->objidLV);
    if (err >= 0) {
        CKPT_ENTER(psess->inst);
        err = ver_create_tree(psess, pdb, ptd->objidLV, &ptd->pgnoLV);
        CKPT_LEAVE(psess->inst);
    }
    if (err >= 0) {
        uint32_t roots[2] = { ptd->pgnoRoot, ptd->pgnoLV };
        uint32_t objids[2] = { ptd->objid, ptd->objidLV };
        err = reclaim_register(psess, pdb, ptd->objid, 0, roots, objids, 2); /* dropped if the creation rolls back */
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
        if (err < 0) {
            cat_free_table(ptd);
        } else {
            isam_cursor *pcur = cursor_get(psess, *ptableid);
            pcur->fPermitDDL = (grbit & JET_bitTablePermitDDL) != 0;
            pcur->fReadOnly = (grbit & JET_bitTableReadOnly) != 0; /* CU1 */
        }
    }
    reclaim_opening(psess->inst, -1);
    return err;
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
        isam_cursor *c = psess->cursors[i];
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
    uint32_t *roots = err >= 0 ? os_malloc(2 * (2 + ptd->cidx) * sizeof(uint32_t)) : NULL;
    if (err >= 0 && roots == NULL)
        err = JET_errOutOfMemory;
    if (err >= 0) {
        /* its trees go back to the free list once the delete commits and nobody sees them */
        uint32_t *objids = roots + 2 + ptd->cidx;
        uint32_t n = 0;
        objids[n] = ptd->objid;
        roots[n++] = ptd->pgnoRoot;
        if (ptd->pgnoLV) {
            objids[n] = ptd->objidLV;
            roots[n++] = ptd->pgnoLV;
        }
        for (uint32_t i = 0; i < ptd->cidx; i++) {
            objids[n] = ptd->idxs[i].objid;
            roots[n++] = ptd->idxs[i].pgnoRoot;
        }
        err = reclaim_register(psess, pdb, ptd->objid, 1, roots, objids, n);
    }
    os_free(roots);
    if (err >= 0)
        err = cat_delete_table(psess, pdb, ptd);
    err = trx_auto_end(psess, fAuto, err);
    cat_free_table(ptd);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Columns                                                                   */
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

/* ---- column lookup map (table_def.colMap, invariant C1) -------------------
 * Tables of COL_MAP_MIN columns or more are looked up through two open-
 * addressing hash tables of (index + 1), one by folded name, one by columnid,
 * both with linear probing and at most half full; a hit is always checked
 * against cols[] itself, so a slot left by a column that became a tombstone
 * (JetDeleteColumn: name "", coltyp Nil) is harmless.  Columns appended to
 * cols are mapped by the next lookup (amortized O(1) each); the tables are
 * rebuilt twice as large when half full.  Without memory for the map the
 * lookups scan cols as small tables do. */
#define COL_MAP_MIN 32u

static uint32_t col_name_hash(const char *folded)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)folded; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static uint32_t col_id_hash(JET_COLUMNID id)
{
    return (uint32_t)id * 2654435761u;
}

static int col_range(JET_COLUMNID id)
{
    return id <= 127 ? 0 : id <= 255 ? 1 : 2;
}

void col_map_reset(table_def *ptd)
{
    os_free(ptd->colMap);
    ptd->colMap = NULL;
    ptd->cMapSlots = 0;
    ptd->ccolMapped = 0;
    memset(ptd->idMaxMapped, 0, sizeof(ptd->idMaxMapped));
}

static void col_map_put(table_def *ptd, uint32_t i)
{
    uint32_t mask = ptd->cMapSlots - 1;
    const col_info *pci = &ptd->cols[i];
    char folded[JET_cbNameMost + 1];
    uint32_t h;
    if (cat_name_fold(pci->name, folded)) { /* a tombstone has no name */
        for (h = col_name_hash(folded) & mask; ptd->colMap[h]; h = (h + 1) & mask)
            ;
        ptd->colMap[h] = i + 1;
    }
    uint32_t *ids = ptd->colMap + ptd->cMapSlots;
    for (h = col_id_hash(pci->rc.columnid) & mask; ids[h]; h = (h + 1) & mask)
        ;
    ids[h] = i + 1;
    int r = col_range(pci->rc.columnid);
    if (pci->rc.columnid > ptd->idMaxMapped[r])
        ptd->idMaxMapped[r] = pci->rc.columnid;
}

/* Bring the map up to cols[0 .. ccol); 0: no map (small table or no memory). */
static int col_map_sync(table_def *ptd)
{
    if (ptd->ccolMapped > ptd->ccol)
        col_map_reset(ptd); /* entries went away without a col_map_reset: start again */
    if (ptd->ccol < COL_MAP_MIN)
        return 0;
    if (ptd->colMap == NULL || (uint64_t)ptd->ccol * 2 > ptd->cMapSlots) {
        uint32_t slots = 64;
        while (slots < ptd->ccol * 4u && slots < (1u << 30))
            slots <<= 1;
        uint32_t *p = os_calloc(2 * (size_t)slots, sizeof(uint32_t));
        col_map_reset(ptd);
        if (p == NULL)
            return 0;
        ptd->colMap = p;
        ptd->cMapSlots = slots;
    }
    while (ptd->ccolMapped < ptd->ccol)
        col_map_put(ptd, ptd->ccolMapped++);
    return 1;
}

col_info *col_by_id(table_def *ptd, JET_COLUMNID columnid)
{
    if (col_map_sync(ptd)) {
        uint32_t mask = ptd->cMapSlots - 1;
        const uint32_t *ids = ptd->colMap + ptd->cMapSlots;
        for (uint32_t h = col_id_hash(columnid) & mask; ids[h]; h = (h + 1) & mask) {
            col_info *pci = &ptd->cols[ids[h] - 1];
            if (pci->rc.columnid == columnid && pci->rc.coltyp != JET_coltypNil)
                return pci;
        }
        return NULL;
    }
    for (uint32_t i = 0; i < ptd->ccol; i++)
        if (ptd->cols[i].rc.columnid == columnid && ptd->cols[i].rc.coltyp != JET_coltypNil)
            return &ptd->cols[i];
    return NULL;
}

typedef struct col_order_ent {
    JET_COLUMNID id;
    uint32_t     i;
} col_order_ent;

static int col_order_cmp(const void *a, const void *b)
{
    const col_order_ent *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i; /* equal ids: array order */
}

JET_ERR col_order_by_id(const table_def *ptd, uint32_t **ppidx, uint32_t *pn)
{
    *ppidx = NULL;
    *pn = 0;
    col_order_ent *pe = os_malloc((ptd->ccol ? ptd->ccol : 1) * sizeof(*pe));
    uint32_t *pidx = os_malloc((ptd->ccol ? ptd->ccol : 1) * sizeof(*pidx));
    if (pe == NULL || pidx == NULL) {
        os_free(pe);
        os_free(pidx);
        return JET_errOutOfMemory;
    }
    for (uint32_t i = 0; i < ptd->ccol; i++) {
        pe[i].id = ptd->cols[i].rc.columnid;
        pe[i].i = i;
    }
    qsort(pe, ptd->ccol, sizeof(*pe), col_order_cmp);
    uint32_t n = 0;
    for (uint32_t k = 0; k < ptd->ccol; k++)
        if (pe[k].id != 0 && (n == 0 || pe[k].id != ptd->cols[pidx[n - 1]].rc.columnid))
            pidx[n++] = pe[k].i; /* the first of equal ids (there should be none) */
    os_free(pe);
    *ppidx = pidx;
    *pn = n;
    return JET_errSuccess;
}

col_info *col_by_name(table_def *ptd, const char *szName)
{
    char a[JET_cbNameMost + 1], b[JET_cbNameMost + 1];
    if (!cat_name_fold(szName, a))
        return NULL;
    if (col_map_sync(ptd)) {
        uint32_t mask = ptd->cMapSlots - 1;
        for (uint32_t h = col_name_hash(a) & mask; ptd->colMap[h]; h = (h + 1) & mask) {
            col_info *pci = &ptd->cols[ptd->colMap[h] - 1];
            if (cat_name_fold(pci->name, b) && strcmp(a, b) == 0)
                return pci;
        }
        return NULL;
    }
    for (uint32_t i = 0; i < ptd->ccol; i++)
        if (cat_name_fold(ptd->cols[i].name, b) && strcmp(a, b) == 0)
            return &ptd->cols[i];
    return NULL;
}

/* The next free columnid in lo..hi: one above the highest used (deleted
 * columns' ids included: ids are never reused); hi + 1 when none is left. */
static JET_COLUMNID col_next_id(table_def *ptd, JET_COLUMNID lo, JET_COLUMNID hi)
{
    JET_COLUMNID id = lo;
    if (col_map_sync(ptd)) {
        JET_COLUMNID m = ptd->idMaxMapped[col_range(lo)];
        return m >= lo ? m + 1 : lo;
    }
    for (uint32_t i = 0; i < ptd->ccol; i++) {
        JET_COLUMNID c = ptd->cols[i].rc.columnid;
        if (c >= lo && c <= hi && c >= id)
            id = c + 1;
    }
    return id;
}

/* UD1: the JET_USERDEFINEDDEFAULT *pv packed into pci->pbUdd, its callback
 * resolved (pci->pfnUdd). */
static JET_ERR udd_pack(const void *pv, col_info *pci)
{
    const JET_USERDEFINEDDEFAULT *pudd = pv;
    if (pudd->szCallback == NULL || (pudd->cbUserData && pudd->pbUserData == NULL))
        return JET_errInvalidParameter;
    size_t cbName = strlen(pudd->szCallback);
    if (cbName == 0 || cbName > ISAM_CB_NAME_MAX)
        return JET_errInvalidParameter;
    size_t cbDeps = 0;
    if (pudd->szDependantColumns) {
        const char *p = pudd->szDependantColumns;
        while (*p) {
            if (strlen(p) > JET_cbNameMost)
                return JET_errInvalidParameter;
            p += strlen(p) + 1;
        }
        cbDeps = (size_t)(p - pudd->szDependantColumns) + 1;
    }
    void *pfn = NULL;
    JET_ERR err = os_dl_symbol(pudd->szCallback, &pfn);
    if (err < 0)
        return err;
    size_t cb = cbName + 1 + 4 + (size_t)pudd->cbUserData + cbDeps;
    if (cb > UDD_CB_MAX)
        return JET_errInvalidParameter; /* must fit the column's catalog row */
    uint8_t *pb = os_malloc(cb);
    if (pb == NULL)
        return JET_errOutOfMemory;
    memcpy(pb, pudd->szCallback, cbName + 1);
    le_put32(pb + cbName + 1, pudd->cbUserData);
    if (pudd->cbUserData)
        memcpy(pb + cbName + 5, pudd->pbUserData, pudd->cbUserData);
    if (cbDeps)
        memcpy(pb + cbName + 5 + pudd->cbUserData, pudd->szDependantColumns, cbDeps);
    pci->pbUdd = pb;
    pci->cbUdd = (uint32_t)cb;
    pci->pfnUdd = pfn;
    return JET_errSuccess;
}

void col_udd_struct(const col_info *pci, JET_USERDEFINEDDEFAULT *pudd)
{
    size_t cbName = strlen((const char *)pci->pbUdd);
    uint32_t cbUser = le_get32(pci->pbUdd + cbName + 1);
    uint32_t ibDeps = (uint32_t)cbName + 5 + cbUser;
    pudd->szCallback = (char *)pci->pbUdd;
    pudd->pbUserData = cbUser ? pci->pbUdd + cbName + 5 : NULL;
    pudd->cbUserData = cbUser;
    pudd->szDependantColumns = ibDeps < pci->cbUdd ? (char *)pci->pbUdd + ibDeps : NULL;
}

JET_ERR isam_udd_get(isam_sess *psess, JET_TABLEID tableid, JET_COLUMNID columnid, JET_CALLBACK *ppfn,
                     void **ppvUser, JET_DBID *pdbid)
{
    *ppfn = NULL;
    *ppvUser = NULL;
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    col_info *pci = col_by_id(pcur->td, columnid);
    if (pci == NULL || pci->pbUdd == NULL)
        return JET_errColumnNotFound;
    if (pci->pfnUdd == NULL) {
        JET_ERR err = os_dl_symbol((const char *)pci->pbUdd, &pci->pfnUdd);
        if (err < 0)
            return err;
    }
    JET_USERDEFINEDDEFAULT udd;
    col_udd_struct(pci, &udd);
    if (udd.cbUserData) {
        *ppvUser = os_malloc(udd.cbUserData);
        if (*ppvUser == NULL)
            return JET_errOutOfMemory;
        memcpy(*ppvUser, udd.pbUserData, udd.cbUserData);
    }
    *ppfn = (JET_CALLBACK)pci->pfnUdd;
    *pdbid = pcur->db->dbid;
    return JET_errSuccess;
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
    /* Long values are tagged whatever the grbit says, so, as in ESENT, they
     * may be multi-valued without JET_bitColumnTagged. */
    if ((g & JET_bitColumnMultiValued) && !(g & JET_bitColumnTagged) && t != JET_coltypLongText &&
        t != JET_coltypLongBinary)
        return JET_errMultiValuedColumnMustBeTagged;
    if ((g & JET_bitColumnTagged) && (g & JET_bitColumnNotNULL))
        return JET_errTaggedNotNULL;
    if ((g & JET_bitColumnFixed) && (g & JET_bitColumnTagged))
        return JET_errInvalidParameter;
    /* UD1: a user-defined default (pvDefault is a JET_USERDEFINEDDEFAULT,
     * cbDefault its size) is a tagged or long column with none of the special
     * kinds (as ESENT: JET_errInvalidGrbit); its callback resolves now
     * (JET_errCallbackNotResolved) and its name, user data and dependent
     * columns go to pbUdd, kept in the column's catalog row; no literal
     * default is stored.  isam_retrieve_column answers
     * ISAM_wrnUserDefinedDefault where the default would apply and the API
     * layer calls the callback with no lock held (isam_udd_get). */
    if (g & JET_bitColumnUserDefinedDefault) {
        if (g & (JET_bitColumnFixed | JET_bitColumnNotNULL | JET_bitColumnVersion | JET_bitColumnAutoincrement |
                 JET_bitColumnUpdatable | JET_bitColumnEscrowUpdate | JET_bitColumnFinalize |
                 JET_bitColumnDeleteOnZero | JET_bitColumnMaybeNull))
            return JET_errInvalidGrbit;
        if (!(g & JET_bitColumnTagged) && t != JET_coltypLongText && t != JET_coltypLongBinary)
            return JET_errInvalidGrbit;
        if (pvDefault == NULL || cbDefault != sizeof(JET_USERDEFINEDDEFAULT))
            return JET_errInvalidParameter;
    }
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
    JET_COLUMNID id = col_next_id(ptd, lo, hi);
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
    if (g & JET_bitColumnUserDefinedDefault) {
        JET_ERR err = udd_pack(pvDefault, &ci);
        if (err < 0)
            return err;
        *pci = ci;
        return JET_errSuccess;
    }
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
    if (pcur->fReadOnly)
        return JET_errPermissionDenied; /* CU1 */
    if (pcur->fTemp)
        return JET_errIllegalOperation; /* a temporary table's columns are fixed at open */
    /* the name check and the next id need the table's current columns: another
     * cursor's DDL or a rollback of this one's may have changed them */
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    table_def *ptd = pcur->td;
    col_info ci;
    err = tpl_check_add(pcur, pdef);
    if (err < 0)
        return err;
    err = col_build(ptd, szName, pdef, pvDefault, cbDefault, &ci);
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
            ci.pbUdd = NULL;
        }
    }
    os_free(ci.pbDefault);
    os_free(ci.pbUdd);
    if (err >= 0) {
        bump_schema(psess, pcur->db);
        pcur->td->schemaGen = pcur->db->schemaGen; /* this cursor is up to date */
    }
    if (err >= 0 && pcolumnid)
        *pcolumnid = id;
    return err;
}

/* Is the column a segment of the primary index or of a secondary index, or
 * a secondary index's conditional column? */
static int col_indexed(const table_def *ptd, JET_COLUMNID columnid)
{
    for (uint32_t i = 0; i < ptd->cseg; i++)
        if (ptd->segs[i].columnid == columnid)
            return 1;
    for (uint32_t j = 0; j < ptd->cidx; j++)
    {
        for (uint32_t i = 0; i < ptd->idxs[j].cseg; i++)
            if (ptd->idxs[j].segs[i].columnid == columnid)
                return 1;
        for (uint32_t i = 0; i < ptd->idxs[j].ccond; i++)
            if (ptd->idxs[j].conds[i].columnid == columnid)
                return 1;
    }
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
    if (pcur->fReadOnly)
        return JET_errPermissionDenied; /* CU1 */
    if (pcur->fTemp)
        return JET_errIllegalOperation;
    if (grbit & ~(JET_GRBIT)0x1) /* JET_bitDeleteColumnIgnoreTemplateColumns */
        return JET_errInvalidGrbit;
    if (pcur->db->readonly)
        return JET_errDatabaseFileReadOnly;
    JET_ERR err = isam_sync_indexes(psess, pcur);
    if (err < 0)
        return err;
    col_info *pci = col_by_name(pcur->td, szName);
    if (pci == NULL)
        return JET_errColumnNotFound;
    err = tpl_check_delete(psess, pcur, szName, NULL);
    if (err < 0)
        return err;
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
    os_free(pci->pbUdd);
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
    if (pcur->fReadOnly)
        return JET_errPermissionDenied; /* CU1 */
    if (pcur->fTemp)
        return JET_errIllegalOperation;
    if (grbit != 0)
        return JET_errInvalidGrbit;
    if (pcur->db->readonly)
        return JET_errDatabaseFileReadOnly;
    char folded[JET_cbNameMost + 1];
    if (!cat_name_fold(szNew, folded))
        return JET_errInvalidName;
    JET_ERR err = isam_sync_indexes(psess, pcur);
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
    col_map_reset(pcur->td); /* C1: the renamed column's slot is under its old name */
    bump_schema(psess, pcur->db);
    pcur->td->schemaGen = pcur->db->schemaGen;
    return JET_errSuccess;
}

/* JetSetColumnDefaultValue: replace a column's default in its catalog row.
 * The default is not stored in records, so every record without a value of
 * its own reads the new default at once (as ESENT).  Like ESENT: a NULL or
 * empty default gives JET_errNullInvalid, a column in an index (its keys hold
 * the old default) JET_errColumnInUse; the table must not be open in this
 * session (JET_errTableInUse; ESENT opens it exclusively).  grbit is ignored,
 * as ESENT does. */
JET_ERR isam_set_column_default(isam_sess *psess, JET_DBID dbid, const char *szTable, const char *szColumn,
                                const void *pv, uint32_t cb, JET_GRBIT grbit)
{
    (void)grbit;
    isam_db *pdb = sess_db(psess, dbid);
    if (pdb == NULL)
        return JET_errInvalidDatabaseId;
    char folded[JET_cbNameMost + 1];
    if (szColumn == NULL || !cat_name_fold(szColumn, folded))
        return JET_errInvalidName;
    if (pv == NULL || cb == 0)
        return JET_errNullInvalid;
    if (cb > JET_cbLVDefaultValueMost)
        return JET_errDefaultValueTooBig;
    if (pdb->readonly)
        return JET_errDatabaseFileReadOnly;
    table_def *ptd = NULL;
    JET_ERR err = load_unused_table(psess, pdb, szTable, &ptd);
    if (err < 0)
        return err;
    col_info *pci = col_by_name(ptd, szColumn);
    if (pci == NULL)
        err = JET_errColumnNotFound;
    else if (col_indexed(ptd, pci->rc.columnid))
        err = JET_errColumnInUse;
    else if (type_size(pci->rc.coltyp) && cb != type_size(pci->rc.coltyp))
        err = JET_errInvalidBufferSize;
    uint8_t *pbNew = NULL;
    if (err >= 0 && (pbNew = os_malloc(cb)) == NULL)
        err = JET_errOutOfMemory;
    if (err >= 0) {
        memcpy(pbNew, pv, cb);
        col_info ci = *pci;
        ci.pbDefault = pbNew;
        ci.cbDefault = cb;
        int fAuto;
        err = trx_auto_begin(psess, &fAuto);
        if (err >= 0)
            err = cat_update_column(psess, pdb, ptd, &ci);
        err = trx_auto_end(psess, fAuto, err);
    }
    os_free(pbNew);
    cat_free_table(ptd);
    if (err >= 0)
        bump_schema(psess, pdb); /* other cursors reload the column (S2 reload path) */
    return err;
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

JET_ERR isam_table_stats(isam_sess *psess, JET_TABLEID tableid, uint32_t *pcRecord, uint32_t *pcPage)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (pcur->fTemp || pcur->objidIdx != 0)
        return JET_errInvalidParameter;
    uint32_t crec = 0;
    JET_ERR err = isam_index_record_count(psess, tableid, &crec, 0); /* a deferred cursor counts from the first */
    uint64_t cpg = 0;
    if (err >= 0)
        err = bt_count_pages(&pcur->db->env, pcur->td->pgnoRoot, &cpg);
    if (err < 0)
        return err;
    *pcRecord = crec;
    *pcPage = cpg > UINT32_MAX ? UINT32_MAX : (uint32_t)cpg;
    return JET_errSuccess;
}

/* JetGetTableInfo: JET_TblInfo (JET_OBJECTINFO), JET_TblInfoName, JET_TblInfoDbid. */
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
                   (pcur->db->readonly || pcur->fReadOnly ? 0 : JET_bitTableInfoUpdatable); /* CU1 */
        oi.flags = tpl_object_flags(pcur->td);
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
    JET_ERR err = isam_sync_indexes(psess, pcur);
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
