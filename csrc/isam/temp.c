/*
 * temp.c -- the instance's temporary database and temporary tables
 * (JetOpenTempTable*, JetOpenTemporaryTable*, and the tables behind the
 * list info levels of infolist.c).
 *
 * Owns: the temporary database (dbid ISAM_TEMP_DBID, the file at
 * JET_paramTempPath): created on the first temporary table, unlogged
 * (bt_env.log == NULL, so its pages change with cache_dirty_unlogged and
 * never hold the checkpoint back), never attached in the log, never listed
 * for a backup (bksupport.c lists logged databases only), closed without
 * flushing and deleted at isam_term, and removed at isam_init when an
 * earlier run (a crash) left it behind.  Temporary tables: their definition
 * (a table_def built here, with no catalog rows) belongs to the cursor that
 * opened them (each cursor of JetDupCursor has its own copy), and closing the
 * last cursor on one drops its trees.
 * Must not touch: the log, the catalog, record formats (record.c), pages
 * (only through the btree).
 *
 * A temporary table is an ordinary table of the temporary database:
 *   - a record tree with ESE's sequential 8-byte keys (insertion order),
 *   - a long-value tree (long values work as in any table),
 *   - when some columns carry JET_bitColumnTTKey, one secondary index over
 *     them (in array order, JET_bitColumnTTDescending segments descending),
 *     unique iff JET_bitTTUnique, made the cursor's current index; a
 *     non-unique index keeps duplicate keys in insertion order (its entries
 *     end with the record's sequential key).
 * Records change through the ordinary versioned record operations, under the
 * session's transaction (ESENT's default, JET_paramEnableTempTableVersioning
 * true): a rollback undoes temporary-table updates like any others.  With
 * that parameter false, cursor.c drops the versions of each successful
 * change made inside the caller's transaction (ver_forget_since).
 *
 * Invariants:
 *   T1. pinst->ctemp counts open temporary tables and never exceeds
 *       cfg.cTempTablesMax (JET_errTooManySorts beyond, as ESENT).
 *   T2. Before a temporary table's trees are dropped, every version of
 *       their nodes is forgotten (ver_forget_trees), so neither a later
 *       rollback nor the version cleanup touches pages that were freed.
 *   T3. A temporary table opened inside a transaction is closed when the
 *       level that opened it rolls back (as ESENT: its cursor is implicitly
 *       closed); a commit moves it to the enclosing level.
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

#define TEMP_INDEX_NAME "TempTableKey"

/* JET_bitTT* that esepy knows.  Every strategy ESENT may choose maps to the
 * same materialized b-tree here, so the hints (Indexed, Updatable,
 * Scrollable, ForceMaterialization, ForwardOnly, IntrinsicLVsOnly,
 * DotNetGuid) are accepted and change nothing. */
#define TT_GRBITS_KNOWN                                                                                      \
    (JET_bitTTIndexed | JET_bitTTUnique | JET_bitTTUpdatable | JET_bitTTScrollable | JET_bitTTSortNullsHigh | \
     JET_bitTTForceMaterialization | JET_bitTTForwardOnly | JET_bitTTIntrinsicLVsOnly | JET_bitTTDotNetGuid)

/* ------------------------------------------------------------------------ */
/* The temporary database                                                    */
/* ------------------------------------------------------------------------ */

void temp_remove_stale(isam_inst *pinst)
{
    if (pinst->temppath[0] == '\0' || !os_exists(pinst->temppath))
        return;
    /* A file another process holds locked is in use, not stale. */
    os_file *pf = NULL;
    if (os_file_open(pinst->temppath, OS_FILE_WRITE | OS_FILE_LOCK | OS_FILE_NOFOLLOW, &pf) < 0)
        return;
    os_file_close(pf);
    (void)os_unlink(pinst->temppath);
}

void temp_term(isam_inst *pinst)
{
    isam_db *pdb = pinst->dbs[ISAM_TEMP_DBID];
    if (pdb == NULL)
        return;
    (void)cache_close_file(pinst->pc, ISAM_TEMP_DBID, 0); /* scratch: nothing to keep */
    pinst->dbs[ISAM_TEMP_DBID] = NULL;
    os_free(pdb);
    (void)os_unlink(pinst->temppath);
}

/* Create the file (dbid ISAM_TEMP_DBID, unlogged) and its space tree. */
static JET_ERR temp_db_create(isam_inst *pinst, isam_db **ppdb)
{
    if (pinst->temppath[0] == '\0')
        return JET_errTooManySorts;
    isam_db *pdb = NULL;
    JET_ERR err = db_open_file(pinst, ISAM_TEMP_DBID, pinst->temppath, 1, NULL, 0, &pdb);
    if (err < 0)
        return err;
    pdb->hdr.filetype = JET_filetypeTempDatabase;
    err = bt_space_init(&pdb->env, &pdb->hdr.pgnoSpace);
    if (err >= 0)
        err = db_header_write(cache_file(pinst->pc, ISAM_TEMP_DBID), &pdb->hdr);
    if (err < 0) {
        (void)cache_close_file(pinst->pc, ISAM_TEMP_DBID, 0);
        os_free(pdb);
        (void)os_unlink(pinst->temppath);
        return err;
    }
    os_mutex_lock(&pinst->lock);
    pinst->dbs[ISAM_TEMP_DBID] = pdb;
    os_mutex_unlock(&pinst->lock);
    *ppdb = pdb;
    return JET_errSuccess;
}

/* The temporary database, created on first use.  inst.tempLock serializes
 * the creation, which does file I/O and so runs without inst.lock. */
static JET_ERR temp_db_get(isam_inst *pinst, isam_db **ppdb)
{
    os_mutex_lock(&pinst->tempLock);
    os_mutex_lock(&pinst->lock);
    isam_db *pdb = pinst->dbs[ISAM_TEMP_DBID];
    os_mutex_unlock(&pinst->lock);
    JET_ERR err = JET_errSuccess;
    if (pdb == NULL)
        err = temp_db_create(pinst, &pdb);
    os_mutex_unlock(&pinst->tempLock);
    *ppdb = pdb;
    return err;
}

/* ------------------------------------------------------------------------ */
/* Temporary tables                                                          */
/* ------------------------------------------------------------------------ */

static uint32_t temp_objid(isam_inst *pinst, isam_db *pdb)
{
    os_mutex_lock(&pinst->lock);
    uint32_t objid = ++pdb->objidLast;
    os_mutex_unlock(&pinst->lock);
    return objid;
}

static JET_ERR temp_tree(isam_inst *pinst, isam_db *pdb, uint32_t *pobjid, uint32_t *ppgnoRoot)
{
    *pobjid = temp_objid(pinst, pdb);
    return bt_create(&pdb->env, pdb->hdr.pgnoSpace, *pobjid, ppgnoRoot);
}

/* The roots of ptd's trees (at most 3). */
static uint32_t temp_roots(const table_def *ptd, uint32_t roots[3])
{
    uint32_t n = 0;
    if (ptd->pgnoRoot)
        roots[n++] = ptd->pgnoRoot;
    if (ptd->pgnoLV)
        roots[n++] = ptd->pgnoLV;
    if (ptd->cidx && ptd->idxs[0].pgnoRoot)
        roots[n++] = ptd->idxs[0].pgnoRoot;
    return n;
}

static void temp_drop_trees(isam_inst *pinst, isam_db *pdb, const table_def *ptd)
{
    uint32_t roots[3];
    uint32_t n = temp_roots(ptd, roots);
    for (uint32_t i = 0; i < n; i++)
        (void)bt_drop(&pdb->env, pdb->hdr.pgnoSpace, roots[i]);
    os_mutex_lock(&pinst->lock);
    pinst->ctemp--;
    os_mutex_unlock(&pinst->lock);
}

/* Columns of the table from the definitions: only what a temporary table
 * supports (ESENT ignores autoincrement, version, escrow, multi-valued on
 * fixed columns, NOT NULL and defaults); TTKey / TTDescending are kept in
 * the column's grbit, as ESENT reports them. */
static JET_ERR temp_columns(table_def *ptd, const isam_temp_spec *ps, JET_COLUMNID *rgcolumnid)
{
    ptd->cols = os_calloc(ps->ccol, sizeof(col_info));
    if (ptd->cols == NULL)
        return JET_errOutOfMemory;
    for (uint32_t i = 0; i < ps->ccol; i++) {
        JET_COLUMNDEF def = ps->rgdef[i];
        if (def.cbStruct < sizeof(JET_COLUMNDEF))
            return JET_errInvalidParameter;
        JET_GRBIT g = def.grbit & (JET_bitColumnFixed | JET_bitColumnTagged | JET_bitColumnMultiValued |
                                   JET_bitColumnTTKey | JET_bitColumnTTDescending);
        if (!(g & JET_bitColumnTagged))
            g &= ~(JET_GRBIT)JET_bitColumnMultiValued;
        def.grbit = g;
        char name[JET_cbNameMost + 1];
        if (ps->rgszName)
            snprintf(name, sizeof(name), "%s", ps->rgszName[i]);
        else
            snprintf(name, sizeof(name), "Column%u", (unsigned)(i + 1));
        JET_ERR err = col_build(ptd, name, &def, NULL, 0, &ptd->cols[ptd->ccol]);
        if (err < 0)
            return err;
        ptd->ccol++;
        if (rgcolumnid)
            rgcolumnid[i] = ptd->cols[i].rc.columnid;
    }
    return JET_errSuccess;
}

/* The key index over the TTKey columns (cidx stays 0 when there is none). */
static JET_ERR temp_key_index(isam_inst *pinst, isam_db *pdb, table_def *ptd, const isam_temp_spec *ps)
{
    idx_def id;
    memset(&id, 0, sizeof(id));
    for (uint32_t i = 0; i < ptd->ccol && id.cseg < JET_ccolKeyMost; i++) {
        const col_info *pci = &ptd->cols[i];
        if (!(pci->rc.grbit & JET_bitColumnTTKey))
            continue; /* (keys beyond JET_ccolKeyMost are ignored, as ESENT does) */
        uint32_t f = ps->fCaseSensitive ? KEY_SEG_CASESENSITIVE : 0;
        if (atomic_load(&pdb->incompatSeen) & DB_INCOMPAT_INDEX_COMPACT)
            f |= KEY_SEG_TEXT8; /* K8 (index.c) */
        if (pci->rc.grbit & JET_bitColumnTTDescending)
            f |= KEY_SEG_DESCENDING;
        if (ps->grbit & JET_bitTTSortNullsHigh)
            f |= KEY_SEG_SORTNULLSHIGH;
        id.segs[id.cseg].columnid = pci->rc.columnid;
        id.segs[id.cseg].segflags = f;
        id.cseg++;
    }
    if (id.cseg == 0)
        return JET_errSuccess;
    snprintf(id.name, sizeof(id.name), "%s", TEMP_INDEX_NAME);
    id.fNavigable = 1; /* its cursor's own index (S2 in isam_int.h) */
    id.grbit = ((ps->grbit & JET_bitTTUnique) ? JET_bitIndexUnique : 0) |
               ((ps->grbit & JET_bitTTSortNullsHigh) ? JET_bitIndexSortNullsHigh : 0);
    uint32_t cbPage = cache_page_size(pdb->env.pc);
    uint32_t cbBm = cbPage / 4 > JET_cbKeyMost ? JET_cbKeyMost : cbPage / 4;
    uint32_t cbRoom = bt_node_max(cbPage) - cbBm - 8; /* key + bookmark in one node (index.c) */
    id.cbKeyMost = ps->cbKeyMost ? ps->cbKeyMost : JET_cbKeyMost;
    if (id.cbKeyMost > cbRoom)
        id.cbKeyMost = cbRoom;
    JET_ERR err = temp_tree(pinst, pdb, &id.objid, &id.pgnoRoot);
    if (err < 0)
        return err;
    ptd->idxs = os_calloc(1, sizeof(idx_def));
    if (ptd->idxs == NULL) {
        (void)bt_drop(&pdb->env, pdb->hdr.pgnoSpace, id.pgnoRoot);
        return JET_errOutOfMemory;
    }
    ptd->idxs[0] = id;
    ptd->cidx = 1;
    return JET_errSuccess;
}

JET_ERR isam_open_temp_table(isam_sess *psess, const isam_temp_spec *ps, JET_TABLEID *ptableid,
                             JET_COLUMNID *rgcolumnid)
{
    isam_inst *pinst = psess->inst;
    if (ps == NULL || ptableid == NULL || (ps->ccol > 0 && ps->rgdef == NULL))
        return JET_errInvalidParameter;
    if (ps->grbit & ~(JET_GRBIT)TT_GRBITS_KNOWN)
        return JET_errInvalidGrbit;
    if (ps->ccol == 0 || ps->ccol > JET_ccolMost)
        return JET_errInvalidParameter;
    if (ps->cbKeyMost != 0) {
        uint32_t cbPage = cache_page_size(pinst->pc);
        uint32_t cbPageMost = cbPage <= 2048 ? JET_cbKeyMost2KBytePage
                            : cbPage <= 4096 ? JET_cbKeyMost4KBytePage
                                             : JET_cbKeyMost8KBytePage;
        if (ps->cbKeyMost < JET_cbKeyMostMin || ps->cbKeyMost > cbPageMost)
            return JET_errInvalidParameter;
    }

    /* T1: reserve a slot, then get (or create) the temporary database. */
    os_mutex_lock(&pinst->lock);
    JET_ERR err = JET_errSuccess;
    testcase(pinst->ctemp + 1 == pinst->cfg.cTempTablesMax); /* the last one allowed */
    testcase(pinst->ctemp >= pinst->cfg.cTempTablesMax);     /* one too many */
    if (pinst->cfg.cTempTablesMax == 0 || pinst->ctemp >= pinst->cfg.cTempTablesMax)
        err = JET_errTooManySorts;
    else
        pinst->ctemp++;
    os_mutex_unlock(&pinst->lock);
    if (err < 0)
        return err;
    isam_db *pdb = NULL;
    err = temp_db_get(pinst, &pdb);
    if (err < 0) {
        os_mutex_lock(&pinst->lock);
        pinst->ctemp--;
        os_mutex_unlock(&pinst->lock);
        return err;
    }

    table_def *ptd = os_calloc(1, sizeof(*ptd));
    if (ptd == NULL) {
        os_mutex_lock(&pinst->lock);
        pinst->ctemp--;
        os_mutex_unlock(&pinst->lock);
        return JET_errOutOfMemory;
    }
    err = temp_columns(ptd, ps, rgcolumnid);
    if (err >= 0)
        err = temp_tree(pinst, pdb, &ptd->objid, &ptd->pgnoRoot);
    if (err >= 0)
        snprintf(ptd->name, sizeof(ptd->name), "TempTable%u", (unsigned)ptd->objid);
    if (err >= 0)
        err = temp_tree(pinst, pdb, &ptd->objidLV, &ptd->pgnoLV);
    if (err >= 0)
        err = temp_key_index(pinst, pdb, ptd, ps);
    os_mutex_lock(&pinst->lock);
    ptd->schemaGen = pdb->schemaGen; /* no DDL ever reaches the temporary database */
    os_mutex_unlock(&pinst->lock);
    if (err >= 0)
        err = cursor_alloc(psess, pdb, ptd, ptableid);
    if (err < 0) {
        temp_drop_trees(pinst, pdb, ptd);
        cat_free_table(ptd);
        return err;
    }
    isam_cursor *pcur = cursor_get(psess, *ptableid);
    pcur->pcrefTemp = os_malloc(sizeof(uint32_t));
    if (pcur->pcrefTemp == NULL) {
        temp_drop_trees(pinst, pdb, ptd);
        (void)isam_close_table(psess, *ptableid); /* frees ptd */
        *ptableid = JET_tableidNil;
        return JET_errOutOfMemory;
    }
    *pcur->pcrefTemp = 1;
    pcur->fTemp = 1;
    pcur->grbitTT = ps->grbit;
    if (psess->trx) {
        pcur->trxidTemp = psess->trx->trxid;
        pcur->levelTemp = psess->trx->level;
    }
    if (ptd->cidx)
        err = isam_set_current_index(psess, *ptableid, TEMP_INDEX_NAME, 0, 0);
    pcur->positioned = POS_BEFORE; /* a new temporary table's cursor is before the first record, not deferred */
    if (err < 0) {
        cursor_close(psess, pcur);
        *ptableid = JET_tableidNil;
    }
    return err;
}

int temp_drops_duplicates(const isam_cursor *pcur)
{
    return pcur->fTemp && (pcur->grbitTT & JET_bitTTUnique) && !(pcur->grbitTT & JET_bitTTErrorOnDuplicateInsertion);
}

void temp_drop(isam_sess *psess, isam_cursor *pcur)
{
    pcur->fTemp = 0;
    if (--*pcur->pcrefTemp > 0) {
        pcur->pcrefTemp = NULL; /* other cursors still use the table */
        return;
    }
    os_free(pcur->pcrefTemp);
    pcur->pcrefTemp = NULL;
    uint32_t roots[3];
    uint32_t n = temp_roots(pcur->td, roots);
    ver_forget_trees(psess, pcur->db->dbid, roots, n); /* T2 */
    bt_cursor_close(pcur->bc);
    pcur->bc = NULL;
    temp_drop_trees(psess->inst, pcur->db, pcur->td);
}

/* A copy of a temporary table's definition for another cursor. */
static table_def *temp_td_clone(const table_def *ptd)
{
    table_def *pnew = os_calloc(1, sizeof(*pnew));
    if (pnew == NULL)
        return NULL;
    *pnew = *ptd;
    pnew->colMap = NULL; /* C1: the clone maps its own cols */
    pnew->cMapSlots = pnew->ccolMapped = 0;
    memset(pnew->idMaxMapped, 0, sizeof(pnew->idMaxMapped));
    pnew->cols = NULL;
    pnew->ccol = 0;
    pnew->idxs = NULL;
    pnew->cidx = 0;
    pnew->cols = os_calloc(ptd->ccol ? ptd->ccol : 1, sizeof(col_info));
    pnew->idxs = os_calloc(ptd->cidx ? ptd->cidx : 1, sizeof(idx_def));
    if (pnew->cols == NULL || pnew->idxs == NULL) {
        cat_free_table(pnew);
        return NULL;
    }
    for (uint32_t i = 0; i < ptd->ccol; i++) {
        pnew->cols[i] = ptd->cols[i];
        pnew->cols[i].pbDefault = NULL; /* temporary tables have no defaults */
        pnew->cols[i].cbDefault = 0;
        pnew->cols[i].pbUdd = NULL;
        pnew->cols[i].cbUdd = 0;
        pnew->cols[i].pfnUdd = NULL;
    }
    pnew->ccol = ptd->ccol;
    memcpy(pnew->idxs, ptd->idxs, ptd->cidx * sizeof(idx_def));
    pnew->cidx = ptd->cidx;
    return pnew;
}

JET_ERR temp_dup(isam_sess *psess, isam_cursor *pcur, JET_TABLEID *ptableid)
{
    table_def *ptd = temp_td_clone(pcur->td);
    if (ptd == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = cursor_alloc(psess, pcur->db, ptd, ptableid);
    if (err < 0) {
        cat_free_table(ptd);
        return err;
    }
    isam_cursor *pnew = cursor_get(psess, *ptableid);
    pnew->fTemp = 1;
    pnew->pcrefTemp = pcur->pcrefTemp;
    (*pnew->pcrefTemp)++;
    pnew->grbitTT = pcur->grbitTT;
    pnew->trxidTemp = pcur->trxidTemp;
    pnew->levelTemp = pcur->levelTemp;
    /* As ESENT: the new cursor is on the first entry of the table's index. */
    if (ptd->cidx)
        err = isam_set_current_index(psess, *ptableid, TEMP_INDEX_NAME, 0, 0);
    else
        err = isam_move(psess, *ptableid, (int32_t)JET_MoveFirst, 0);
    if (err == JET_errNoCurrentRecord)
        err = JET_errSuccess;
    if (err < 0) {
        cursor_close(psess, pnew);
        *ptableid = JET_tableidNil;
    }
    return err;
}

void temp_trx_committed(isam_sess *psess, uint64_t trxid, int levelNew)
{
    for (uint32_t i = 0; i < psess->ccursors; i++) {
        isam_cursor *pcur = psess->cursors[i];
        if (!pcur->used || !pcur->fTemp || pcur->trxidTemp != trxid)
            continue;
        if (levelNew == 0)
            pcur->trxidTemp = 0; /* T3: no longer tied to a transaction */
        else if (pcur->levelTemp > levelNew)
            pcur->levelTemp = levelNew;
    }
}

void temp_trx_rolled_back(isam_sess *psess, uint64_t trxid, int target)
{
    for (uint32_t i = 0; i < psess->ccursors; i++) {
        isam_cursor *pcur = psess->cursors[i];
        if (pcur->used && pcur->fTemp && pcur->trxidTemp == trxid && pcur->levelTemp > target)
            cursor_close(psess, pcur); /* T3 */
    }
}
