/*
 * reclaim.c -- giving the pages of dropped trees back to their database's
 * free list: the trees of deleted tables and indexes once their deletion has
 * committed, and the trees of tables and indexes whose creation rolled back.
 *
 * Owns: the instance's list of pending drops (struct reclaim_ent) and its
 * count of open cursors per table (struct reclaim_open).
 * Must not touch: catalog rows (the DDL in table.c and index.c decides what is dropped),
 * version chains (ver.c; this file only asks ver.c whether versions remain),
 * page layouts (bt_drop frees the pages, logged, one structure change each).
 *
 * When may a tree's pages be reused?  Only when nobody can reach it again:
 *   R1. the DDL that made it unreachable has ended the right way (a delete
 *       committed, a creation rolled back) -- until then it may still turn;
 *   R2. no transaction can still see it: every active snapshot is at or
 *       after the commit that deleted it (a rolled-back creation was never
 *       visible to anyone else);
 *   R3. no cursor is open on its table, and no table is being opened (a
 *       session may have read the catalog row just before the delete);
 *   R4. no version refers to a node of it (version cleanup would touch a
 *       page that by then belongs to another tree).
 * A drop that meets R1..R4 is marked running under inst.lock and carried
 * out without it; it leaves the list once done.
 *   R5. (isam_int.h I9) A drop decided by the end of a transaction is named
 *       in the free list of the COMMIT or ROLLBACK record that ends it
 *       (reclaim_free_list), and decided only after that record is in the
 *       log (lsnIntent); each tree dropped is followed by a TREEFREED record.
 *       While on the list (running included) the entry holds the checkpoint
 *       at or before lsnIntent (isam_oldest_trx_lsn), so recovery finishes a
 *       drop that a crash cut or prevented.  A database detached with drops
 *       still pending gives them up (their pages stay allocated), and so does
 *       recovery at its DBDETACH record: no tree is dropped after its
 *       database was attached again (object ids are recomputed from the
 *       catalog then, so an id may come back).
 */
#include "isam_int.h"

#include <string.h>

#define RECLAIM_ON_COMMIT   1  /* a delete: drop once the transaction commits */
#define RECLAIM_ON_ROLLBACK 2  /* a creation: drop if the transaction rolls back */

struct reclaim_ent {
    struct reclaim_ent *next;
    isam_trx *trx;          /* the DDL's transaction while undecided (R1), else NULL */
    int       level;        /* its level when registered */
    int       kind;         /* RECLAIM_ON_* */
    uint64_t  tsVisible;    /* decided: snapshots before this one may still see the trees (R2) */
    lsn_t     lsnIntent;    /* R5: the record naming the trees in its free list, or LSN_NIL */
    int       fRunning;     /* reclaim_run is dropping the trees */
    uint32_t  dbid, objidTable;
    uint32_t  croots;
    uint32_t  roots[];      /* croots roots, then their croots object ids */
};

struct reclaim_open {
    uint32_t dbid, objid, c;
};

JET_ERR reclaim_register(isam_sess *psess, isam_db *pdb, uint32_t objidTable, int fOnCommit, const uint32_t *roots,
                         const uint32_t *objids, uint32_t croots)
{
    isam_inst *pinst = psess->inst;
    if (psess->trx == NULL || croots == 0)
        return JET_errSuccess; /* nothing to tie the drop to: leave the pages */
    reclaim_ent *e = os_calloc(1, sizeof(*e) + 2 * croots * sizeof(uint32_t));
    if (e == NULL)
        return JET_errOutOfMemory;
    e->trx = psess->trx;
    e->level = psess->trx->level;
    e->kind = fOnCommit ? RECLAIM_ON_COMMIT : RECLAIM_ON_ROLLBACK;
    e->dbid = pdb->dbid;
    e->objidTable = objidTable;
    e->croots = croots;
    e->lsnIntent = LSN_NIL;
    memcpy(e->roots, roots, croots * sizeof(uint32_t));
    memcpy(e->roots + croots, objids, croots * sizeof(uint32_t));
    os_mutex_lock(&pinst->lock);
    e->next = pinst->reclaim;
    pinst->reclaim = e;
    os_mutex_unlock(&pinst->lock);
    return JET_errSuccess;
}

JET_ERR reclaim_free_list(isam_inst *pinst, isam_trx *t, int fCommit, uint8_t **ppb, uint32_t *pcb)
{
    int kind = fCommit ? RECLAIM_ON_COMMIT : RECLAIM_ON_ROLLBACK;
    uint32_t c = 0;
    *ppb = NULL;
    *pcb = 0;
    os_mutex_lock(&pinst->lock);
    for (const reclaim_ent *e = pinst->reclaim; e; e = e->next)
        if (e->trx == t && e->kind == kind && pinst->dbs[e->dbid] && pinst->dbs[e->dbid]->logged)
            c += e->croots;
    uint8_t *pb = c ? os_malloc(4 + 12 * (size_t)c) : NULL;
    if (c && pb == NULL) {
        os_mutex_unlock(&pinst->lock);
        return JET_errOutOfMemory;
    }
    uint32_t n = 0;
    for (const reclaim_ent *e = c ? pinst->reclaim : NULL; e; e = e->next) {
        if (!(e->trx == t && e->kind == kind && pinst->dbs[e->dbid] && pinst->dbs[e->dbid]->logged))
            continue;
        for (uint32_t i = 0; i < e->croots; i++, n++) {
            le_put32(pb + 4 + 12 * n, e->dbid);
            le_put32(pb + 8 + 12 * n, e->roots[i]);
            le_put32(pb + 12 + 12 * n, e->roots[e->croots + i]);
        }
    }
    os_mutex_unlock(&pinst->lock);
    if (pb) {
        le_put32(pb, n);
        *ppb = pb;
        *pcb = 4 + 12 * n;
    }
    return JET_errSuccess;
}

JET_ERR reclaim_log_freed(isam_inst *pinst, uint32_t dbid, uint32_t pgnoRoot, uint32_t objid)
{
    uint8_t rec[12];
    le_put32(rec, dbid);
    le_put32(rec + 4, pgnoRoot);
    le_put32(rec + 8, objid);
    log_part part = { rec, sizeof(rec) };
    return isam_log(pinst, LOG_REC_ISAM_TREEFREED, &part, 1, NULL);
}

void reclaim_level_end_locked(isam_inst *pinst, isam_trx *t, int level, int fCommit, uint64_t tsCommit,
                              lsn_t lsnEnd)
{
    os_mutex_assert_held(&pinst->lock);
    for (reclaim_ent **pp = &pinst->reclaim; *pp;) {
        reclaim_ent *e = *pp;
        if (e->trx != t || e->level < level) {
            pp = &e->next;
            continue;
        }
        if (fCommit && level > 1) {
            e->level = level - 1; /* the enclosing level decides */
            pp = &e->next;
            continue;
        }
        int fDrop = fCommit ? e->kind == RECLAIM_ON_COMMIT : e->kind == RECLAIM_ON_ROLLBACK;
        if (fDrop) {
            e->trx = NULL;
            e->tsVisible = fCommit ? tsCommit : 0;
            /* R5: the free list of a level-1 end names e's trees when its db is logged */
            if (level == 1 && pinst->dbs[e->dbid] && pinst->dbs[e->dbid]->logged)
                e->lsnIntent = lsnEnd;
            pp = &e->next;
        } else {
            *pp = e->next;
            os_free(e);
        }
    }
}

static struct reclaim_open *open_find_locked(isam_inst *pinst, uint32_t dbid, uint32_t objid)
{
    os_mutex_assert_held(&pinst->lock);
    for (uint32_t i = 0; i < pinst->creclaimOpen; i++)
        if (pinst->reclaimOpen[i].dbid == dbid && pinst->reclaimOpen[i].objid == objid)
            return &pinst->reclaimOpen[i];
    return NULL;
}

JET_ERR reclaim_open_table(isam_inst *pinst, uint32_t dbid, uint32_t objid)
{
    JET_ERR err = JET_errSuccess;
    os_mutex_lock(&pinst->lock);
    struct reclaim_open *o = open_find_locked(pinst, dbid, objid);
    if (o == NULL) {
        struct reclaim_open *p = os_realloc(pinst->reclaimOpen, (pinst->creclaimOpen + 1) * sizeof(*p));
        if (p == NULL) {
            err = JET_errOutOfMemory;
        } else {
            pinst->reclaimOpen = p;
            o = &p[pinst->creclaimOpen++];
            o->dbid = dbid;
            o->objid = objid;
            o->c = 0;
        }
    }
    if (o)
        o->c++;
    os_mutex_unlock(&pinst->lock);
    return err;
}

void reclaim_close_table(isam_inst *pinst, uint32_t dbid, uint32_t objid)
{
    os_mutex_lock(&pinst->lock);
    struct reclaim_open *o = open_find_locked(pinst, dbid, objid);
    if (o && --o->c == 0)
        *o = pinst->reclaimOpen[--pinst->creclaimOpen]; /* order does not matter */
    os_mutex_unlock(&pinst->lock);
}

uint32_t reclaim_table_cursors_locked(isam_inst *pinst, uint32_t dbid, uint32_t objid)
{
    struct reclaim_open *o = open_find_locked(pinst, dbid, objid);
    return o ? o->c : 0;
}

void reclaim_opening(isam_inst *pinst, int delta)
{
    os_mutex_lock(&pinst->lock);
    pinst->copening = (uint32_t)((int)pinst->copening + delta);
    os_mutex_unlock(&pinst->lock);
}

/* R1..R4 for e.  Under inst.lock. */
static int ready_locked(isam_inst *pinst, const reclaim_ent *e)
{
    os_mutex_assert_held(&pinst->lock);
    if (e->trx != NULL || e->fRunning || pinst->copening || pinst->dbs[e->dbid] == NULL)
        return 0;
    if (ver_oldest_snapshot_locked(pinst) < e->tsVisible)
        return 0;
    if (open_find_locked(pinst, e->dbid, e->objidTable))
        return 0;
    for (uint32_t i = 0; i < e->croots; i++)
        if (ver_tree_has_versions_locked(pinst, e->dbid, e->roots[i]))
            return 0;
    return 1;
}

void reclaim_run(isam_inst *pinst)
{
    for (;;) {
        reclaim_ent *e = NULL;
        os_mutex_lock(&pinst->lock);
        if (pinst->reclaim == NULL) {
            os_mutex_unlock(&pinst->lock);
            return;
        }
        for (reclaim_ent *p = pinst->reclaim; p; p = p->next) {
            if (ready_locked(pinst, p)) {
                e = p;
                e->fRunning = 1; /* R5: stays listed (and holds the checkpoint) until done */
                break;
            }
        }
        isam_db *pdb = e ? pinst->dbs[e->dbid] : NULL;
        if (pdb)
            pdb->copen++; /* a detach meanwhile gets JET_errDatabaseInUse */
        os_mutex_unlock(&pinst->lock);
        if (e == NULL)
            return;
        for (uint32_t i = 0; i < e->croots; i++) {
            CKPT_ENTER(pinst);
            JET_ERR err = pdb->readonly ? JET_errSuccess : bt_drop(&pdb->env, pdb->hdr.pgnoSpace, e->roots[i]);
            if (err >= 0 && e->lsnIntent != LSN_NIL && !pdb->readonly)
                err = reclaim_log_freed(pinst, e->dbid, e->roots[i], e->roots[e->croots + i]); /* R5 */
            CKPT_LEAVE(pinst);
            if (err < 0)
                break; /* the rest stays allocated, unreachable (recovery drops it: R5) */
        }
        os_mutex_lock(&pinst->lock);
        pdb->copen--;
        for (reclaim_ent **pp = &pinst->reclaim; *pp; pp = &(*pp)->next) {
            if (*pp == e) {
                *pp = e->next;
                break;
            }
        }
        os_mutex_unlock(&pinst->lock);
        os_free(e);
    }
}

void reclaim_forget_db_locked(isam_inst *pinst, uint32_t dbid)
{
    os_mutex_assert_held(&pinst->lock);
    for (reclaim_ent **pp = &pinst->reclaim; *pp;) {
        reclaim_ent *e = *pp;
        if (e->dbid == dbid && e->trx == NULL && !e->fRunning) {
            *pp = e->next; /* R5: given up; recovery forgets them at the DBDETACH before this */
            os_free(e);
        } else {
            pp = &e->next;
        }
    }
}

lsn_t reclaim_oldest_intent_locked(isam_inst *pinst)
{
    os_mutex_assert_held(&pinst->lock);
    lsn_t lsn = LSN_NIL;
    for (const reclaim_ent *e = pinst->reclaim; e; e = e->next)
        if (e->lsnIntent != LSN_NIL && (lsn == LSN_NIL || e->lsnIntent < lsn))
            lsn = e->lsnIntent;
    return lsn;
}

void reclaim_free_all(isam_inst *pinst)
{
    while (pinst->reclaim) {
        reclaim_ent *e = pinst->reclaim;
        pinst->reclaim = e->next;
        os_free(e);
    }
    os_free(pinst->reclaimOpen);
    pinst->reclaimOpen = NULL;
    pinst->creclaimOpen = 0;
}
