/*
 * defrag.c -- online defragmentation (JetDefragment*): a background thread
 * per database that walks its B+trees (the catalog, then each table's record
 * tree, long-value tree and secondary indexes) leaf by leaf and merges
 * adjacent leaves that fit one page (bt_defrag_step), freeing the emptied
 * pages to the database's free list.
 *
 * Owns: isam_inst.defrag[] (one task per database slot), the task's thread,
 * its own isam session, its limits (passes, seconds) and its completion
 * callback.  Must not touch: page layouts and the merge itself (the btree
 * layer), records and versions (a merge moves nodes between pages without
 * changing a key, a byte of data or a flag, and versions are kept by key:
 * so it runs under the same rules as a split caused by another session's
 * insert -- page latches, ckpt shared, no transaction -- and needs no
 * version or UNDO record; each merge is one logged structure change, so
 * recovery and restore replay it or drop it whole).
 *
 * Invariants:
 *   D1. pinst->defrag[dbid] is set and cleared under inst.lock; a task found
 *       there is running or finished but not yet joined.  Only the thread
 *       that clears the slot joins the task's thread and frees it, so a task
 *       is joined once.
 *   D2. The task's session holds the database open (copen) from start to its
 *       end, so the database cannot go away under it; detach and term stop
 *       and join the task first (isam_defrag_stop_db).
 *   D3. fStop is read by the thread between steps only; a step is one
 *       structure change, so a stop waits for at most one merge.
 *   D4. The completion callback runs exactly once, on the task's thread,
 *       holding no lock, when the task ends -- by itself, by
 *       JET_bitDefragmentBatchStop, or stopped by detach or term (so a
 *       caller that handed it a reference to release always gets it back).
 */
#include "isam_int.h"

struct isam_defrag {
    isam_inst   *pinst;
    isam_sess   *psess;        /* the task's own session (D2) */
    isam_db     *pdb;
    JET_DBID     dbid;
    char         szTable[JET_cbNameMost + 1];   /* "" = every table */
    uint32_t     cPassesMax;   /* 0 = no limit */
    int64_t      usMax;        /* 0 = no limit */
    JET_GRBIT    grbit;
    JET_CALLBACK pfn;
    JET_SESID    sesidCb;
    void        *pvContext;
    os_thread_t  thread;
    _Atomic int  fStop;        /* D3 */
    _Atomic int  fDone;
    _Atomic uint32_t cPasses;
    int64_t      usStart;
    _Atomic int64_t usEnd;     /* 0 while running */
    JET_ERR      err;
};

static int should_stop(isam_defrag *pd)
{
    if (atomic_load(&pd->fStop))
        return 1;
    return pd->usMax > 0 && os_monotonic_us() - pd->usStart >= pd->usMax;
}

/* One tree, left to right.  *pcMerged counts its merges. */
static JET_ERR defrag_tree(isam_defrag *pd, uint32_t pgnoRoot, uint8_t *key, uint8_t *next, uint32_t *pcMerged)
{
    isam_inst *pinst = pd->pinst;
    isam_db *pdb = pd->pdb;
    uint32_t cbKey = 0;
    for (;;) {
        if (should_stop(pd))
            return JET_errSuccess;
        uint32_t cbNext = 0;
        int fMerged = 0, fEnd = 1;
        CKPT_ENTER(pinst);
        JET_ERR err = atomic_load(&pinst->errFatal);
        if (err >= 0)
            err = bt_defrag_step(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, next, &cbNext, &fMerged,
                                 &fEnd);
        CKPT_LEAVE(pinst);
        if (err < 0)
            return err;
        if (fMerged) {
            (*pcMerged)++;
            continue;   /* the same leaf may take its new right sibling too */
        }
        if (fEnd)
            return JET_errSuccess;
        memcpy(key, next, cbNext);
        cbKey = cbNext;
    }
}

/* Every tree of one table (its cursor keeps a concurrent delete of the
 * table from dropping the trees meanwhile: reclaim.c R3). */
static JET_ERR defrag_table(isam_defrag *pd, const char *szName, uint8_t *key, uint8_t *next, uint32_t *pcMerged)
{
    JET_TABLEID tid = 0;
    JET_ERR err = isam_open_table(pd->psess, pd->dbid, szName, JET_bitTableReadOnly, &tid);
    if (err == JET_errObjectNotFound)
        return JET_errSuccess;   /* deleted since the list was read */
    if (err < 0)
        return err;
    isam_cursor *pcur = cursor_get(pd->psess, tid);
    const table_def *ptd = pcur->td;
    err = defrag_tree(pd, ptd->pgnoRoot, key, next, pcMerged);
    if (err >= 0 && ptd->pgnoLV != 0)
        err = defrag_tree(pd, ptd->pgnoLV, key, next, pcMerged);
    for (uint32_t i = 0; err >= 0 && i < ptd->cidx; i++)
        err = defrag_tree(pd, ptd->idxs[i].pgnoRoot, key, next, pcMerged);
    JET_ERR e = isam_close_table(pd->psess, tid);
    return err < 0 ? err : e;
}

/* One pass over the database (or the one table). */
static JET_ERR defrag_pass(isam_defrag *pd, uint32_t *pcMerged)
{
    uint32_t cbPage = cache_page_size(pd->pinst->pc);
    uint8_t *key = os_malloc(2 * (size_t)cbPage);
    if (key == NULL)
        return JET_errOutOfMemory;
    uint8_t *next = key + cbPage;
    JET_ERR err = JET_errSuccess;
    if (pd->szTable[0] != '\0') {
        err = defrag_table(pd, pd->szTable, key, next, pcMerged);
    } else {
        err = defrag_tree(pd, pd->pdb->hdr.pgnoCatalog, key, next, pcMerged);
        char *pszz = NULL;
        uint32_t c = 0;
        if (err >= 0)
            err = isam_list_tables(pd->psess, pd->dbid, &pszz, &c);
        const char *p = pszz;
        for (uint32_t i = 0; err >= 0 && i < c && !should_stop(pd); i++) {
            err = defrag_table(pd, p, key, next, pcMerged);
            p += strlen(p) + 1;
        }
        os_free(pszz);
    }
    os_free(key);
    return err;
}

static void *defrag_main(void *arg)
{
    isam_defrag *pd = arg;
    JET_ERR err = JET_errSuccess;
    /* JET_bitDefragmentAvailSpaceTreesOnly: the free space of a database is
     * one list (btree space.c), with no tree to compact: nothing to do. */
    if (!(pd->grbit & JET_bitDefragmentAvailSpaceTreesOnly) && !pd->pdb->readonly) {
        while (!should_stop(pd)) {
            uint32_t cMerged = 0;
            err = defrag_pass(pd, &cMerged);
            if (err < 0)
                break;
            if (should_stop(pd))
                break;   /* a pass cut short does not count */
            atomic_fetch_add(&pd->cPasses, 1);
            if (cMerged == 0 || (pd->cPassesMax != 0 && atomic_load(&pd->cPasses) >= pd->cPassesMax))
                break;   /* nothing left to merge, or the passes asked for */
        }
    }
    pd->err = err;
    atomic_store(&pd->usEnd, os_monotonic_us());
    /* Done before the callback: a stop or start it triggers sees the task
     * finished (a join then waits for the callback to return). */
    atomic_store(&pd->fDone, 1);
    if (pd->pfn != NULL)
        (void)pd->pfn(pd->sesidCb, pd->dbid, JET_tableidNil, JET_cbtypOnlineDefragCompleted, NULL, NULL,
                      pd->pvContext, 0);   /* D4 */
    return NULL;
}

/* D1: take the task out of its slot (under inst.lock), then join and free it. */
static void task_finish(isam_defrag *pd, uint32_t *pcPasses, uint32_t *pcSeconds)
{
    os_thread_join(pd->thread, NULL);
    if (pcPasses)
        *pcPasses = atomic_load(&pd->cPasses);
    if (pcSeconds)
        *pcSeconds = (uint32_t)((atomic_load(&pd->usEnd) - pd->usStart) / 1000000);
    isam_end_session(pd->psess);   /* D2: the database's copen goes back */
    os_free(pd);
}

/* Under inst.lock: a finished task still in its slot is reaped by whoever
 * finds it (D1). */
static isam_defrag *take_finished_locked(isam_inst *pinst, uint32_t dbid)
{
    isam_defrag *pd = pinst->defrag[dbid];
    if (pd != NULL && atomic_load(&pd->fDone) && !os_thread_is_self(pd->thread)) {
        pinst->defrag[dbid] = NULL;
        return pd;
    }
    return NULL;
}

JET_ERR isam_defrag_start(isam_sess *psess, JET_DBID dbid, const char *szTable, uint32_t cPassesMax,
                          uint32_t cSecondsMax, JET_CALLBACK pfn, JET_SESID sesidCb, void *pvContext,
                          JET_GRBIT grbit)
{
    isam_inst *pinst = psess->inst;
    isam_db *pdb = sess_db(psess, dbid);
    if (pdb == NULL || dbid == ISAM_TEMP_DBID)
        return JET_errInvalidDatabaseId;
    if (szTable != NULL && strlen(szTable) > JET_cbNameMost)
        return JET_errInvalidName;
    if (pdb->readonly)
        return JET_errDatabaseFileReadOnly;
    isam_defrag *pd = os_calloc(1, sizeof(*pd));
    if (pd == NULL)
        return JET_errOutOfMemory;
    pd->pinst = pinst;
    pd->pdb = pdb;
    pd->dbid = dbid;
    if (szTable != NULL)
        memcpy(pd->szTable, szTable, strlen(szTable) + 1);
    pd->cPassesMax = cPassesMax;
    pd->usMax = (int64_t)cSecondsMax * 1000000;
    pd->grbit = grbit;
    pd->pfn = pfn;
    pd->sesidCb = sesidCb;
    pd->pvContext = pvContext;
    JET_ERR err = isam_begin_session(pinst, &pd->psess);
    if (err < 0) {
        os_free(pd);
        return err;
    }
    os_mutex_lock(&pinst->lock);
    isam_defrag *pdOld = take_finished_locked(pinst, dbid);
    if (pinst->defrag[dbid] != NULL) {
        os_mutex_unlock(&pinst->lock);
        isam_end_session(pd->psess);
        os_free(pd);
        return JET_wrnDefragAlreadyRunning;
    }
    /* D2: the task's session opens the database as JetOpenDatabase would. */
    pd->psess->dbopen[dbid] = 1;
    pdb->copen++;
    pdb->csessopen++;
    pd->usStart = os_monotonic_us();
    err = os_thread_create(&pd->thread, defrag_main, pd);
    if (err >= 0)
        pinst->defrag[dbid] = pd;
    os_mutex_unlock(&pinst->lock);
    if (pdOld != NULL)
        task_finish(pdOld, NULL, NULL);
    if (err < 0) {
        isam_end_session(pd->psess);
        os_free(pd);
    }
    return err;
}

JET_ERR isam_defrag_stop(isam_sess *psess, JET_DBID dbid, uint32_t *pcPasses, uint32_t *pcSeconds)
{
    isam_inst *pinst = psess->inst;
    if (sess_db(psess, dbid) == NULL || dbid == ISAM_TEMP_DBID)
        return JET_errInvalidDatabaseId;
    os_mutex_lock(&pinst->lock);
    isam_defrag *pd = pinst->defrag[dbid];
    if (pd != NULL && os_thread_is_self(pd->thread)) {
        os_mutex_unlock(&pinst->lock);   /* from its own completion callback: it is ending */
        return JET_wrnDefragNotRunning;
    }
    int fWasDone = pd != NULL && atomic_load(&pd->fDone);
    pinst->defrag[dbid] = NULL;
    os_mutex_unlock(&pinst->lock);
    if (pd == NULL)
        return JET_wrnDefragNotRunning;
    atomic_store(&pd->fStop, 1);
    task_finish(pd, pcPasses, pcSeconds);
    return fWasDone ? JET_wrnDefragNotRunning : JET_errSuccess;
}

void isam_defrag_stop_db(isam_inst *pinst, uint32_t dbid)
{
    os_mutex_lock(&pinst->lock);
    isam_defrag *pd = pinst->defrag[dbid];
    pinst->defrag[dbid] = NULL;
    os_mutex_unlock(&pinst->lock);
    if (pd == NULL)
        return;
    atomic_store(&pd->fStop, 1);
    task_finish(pd, NULL, NULL);
}

void isam_defrag_stop_all(isam_inst *pinst)
{
    for (uint32_t i = 1; i <= ISAM_MAX_DBID; i++)
        isam_defrag_stop_db(pinst, i);
}
