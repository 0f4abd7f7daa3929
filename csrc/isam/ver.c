/*
 * ver.c -- transactions and the version store: nested levels, commit,
 * rollback, snapshot visibility, write conflicts, and record-level
 * operations (insert / replace / delete of a node, escrow deltas on a
 * node's column) under a transaction, with their UNDO records.
 *
 * Owns: isam_trx objects, versions (struct ver), the commit timestamp, the
 * committed-version cleanup list, the delta-tree registry,
 * LOG_REC_ISAM_{UNDO,CLR,DELTADONE,COMMIT,ROLLBACK}.
 * Must not touch: page layouts (btree), record formats (record.c, reached
 * only through rec_get / rec_set), files.
 *
 * Versions are "full" (UNDO_INSERTED / UNDO_CHANGED: the node's prior state;
 * a flag-delete's prior state is its flags alone, V1) or "deltas"
 * (UNDO_DELTA: an escrow update's column and signed delta).  Besides
 * versions, a transaction's list holds "runs" of private inserts (V3: undo
 * information only, 8 bytes a node, in no chain).  The version store's size
 * (cbVer, bounded by cfg.cbVersionStoreMax) counts versions, their images
 * and runs.
 *
 * Protocol for a full change of node K (invariants I1, I3, I4, I7 in isam_int.h):
 *   1. Under inst.lock: refuse with JET_errWriteConflict if K's chain holds a
 *      version (full or delta) of another transaction that is active or
 *      committed after our snapshot; otherwise link a new PENDING version
 *      for K at the head of its chain.  That version is our write lock on K
 *      from now on; readers skip it while it is pending.
 *   2. Without the lock: read K's current state into the version; then,
 *      under inst.lock, publish it (op set, pending cleared).
 *   3. Without the lock: log the UNDO record, change the tree.  If the change
 *      fails after the UNDO was logged, log a CLR so that recovery never
 *      undoes a change that did not happen.
 *   4. Commit stamps every version of the transaction with a new commit
 *      timestamp; rollback undoes them newest first (each with a CLR) and
 *      unlinks them, bumping undoEpoch (V4: readers holding a copy of the
 *      node from before the undo read it again).
 *
 * Protocol for an escrow delta on K (rec_op_escrow; I6):
 *   Under ckpt shared and inst.lock, in one critical section: refuse with
 *   JET_errWriteConflict if K's chain holds a FULL version of another
 *   transaction that is active or committed after our snapshot (other
 *   transactions' deltas do not conflict: deltas commute); read K, add the
 *   delta, log UNDO_DELTA, link the (filled) delta version, replace K in
 *   the tree (the link first: E1 in rec_op_escrow, V6), log DELTADONE.
 *   Rollback of a delta subtracts it from K's value at that time in the
 *   same kind of critical section (delta CLR, replace, DELTADONE, unlink),
 *   so other transactions' deltas stay.
 *   Readers never see K's stored value and K's set of linked delta versions
 *   out of step: for a tree that ever had a delta version, rec_visible
 *   re-reads K under inst.lock before walking the chain.
 *
 * Visibility walk (rec_visible), newest -> oldest from the stored node:
 *   pending -> skip; invisible full -> its before-image becomes the state
 *   (a flag-delete's: the same bytes, its flags before, V1);
 *   invisible delta -> subtract it from the state; visible full -> stop;
 *   visible delta -> go on (older invisible deltas may lie below it).
 *   Versions are visible when they are ours or committed at or before our
 *   snapshot.  Below a visible version no invisible FULL version can lie
 *   (claim refuses it), so stopping at a visible full version is exact.
 *
 * The copy of the stored node a reader passes in may be older than a
 * rollback that restored the node and unlinked its version: rec_visible
 * re-reads the node under inst.lock whenever undoEpoch moved since the
 * session's previous rec_visible (V4), so snapshot isolation holds for
 * every node, with no retry left to the caller.
 *
 * Cleanup runs under ckpt shared + inst.lock (it may delete flag-deleted
 * nodes, so a writer cannot claim the node in between); its callers take
 * ckpt before inst.lock (lock order in isam_int.h).  A cascade delete (V2)
 * takes the owned nodes with its node.
 */
#include "isam_int.h"

#include <string.h>

/* ------------------------------------------------------------------------ */
/* Hash of version chains                                                    */
/* ------------------------------------------------------------------------ */

static uint32_t ver_hash(uint32_t dbid, uint32_t pgnoRoot, const void *key, uint32_t cbKey)
{
    uint32_t h = os_crc32c(dbid * 2654435761u, &pgnoRoot, sizeof(pgnoRoot));
    return os_crc32c(h, key, cbKey);
}

static int ver_same_node(const ver *v, uint32_t dbid, uint32_t pgnoRoot, const void *key, uint32_t cbKey)
{
    return v->dbid == dbid && v->pgnoRoot == pgnoRoot && v->cbKey == cbKey && memcmp(v->pbKey, key, cbKey) == 0;
}

/* Chain head (newest version) for a node, or NULL.  Under inst.lock. */
static ver **ver_slot_locked(isam_inst *pinst, uint32_t dbid, uint32_t pgnoRoot, const void *key, uint32_t cbKey)
{
    os_mutex_assert_held(&pinst->lock);
    if (pinst->hash == NULL)
        return NULL;
    ver **pp = &pinst->hash[ver_hash(dbid, pgnoRoot, key, cbKey) % pinst->chash];
    for (; *pp; pp = &(*pp)->hashNext)
        if (ver_same_node(*pp, dbid, pgnoRoot, key, cbKey))
            return pp;
    return pp; /* points at the NULL terminating the bucket */
}

static JET_ERR ver_hash_init_locked(isam_inst *pinst)
{
    os_mutex_assert_held(&pinst->lock);
    if (pinst->hash)
        return JET_errSuccess;
    pinst->chash = 4093;
    pinst->hash = os_calloc(pinst->chash, sizeof(ver *));
    return pinst->hash ? JET_errSuccess : JET_errOutOfMemory;
}

static JET_ERR chain_conflict_locked(ver *head, const isam_trx *t, int fDelta);

int ver_changed_by_other_locked(isam_inst *pinst, const isam_trx *t, uint32_t dbid, uint32_t pgnoRoot,
                                const void *key, uint32_t cbKey)
{
    os_mutex_assert_held(&pinst->lock);
    ver **pslot = ver_slot_locked(pinst, dbid, pgnoRoot, key, cbKey);
    return pslot && *pslot && chain_conflict_locked(*pslot, t, 0) < 0; /* as a full change would */
}

static void ver_free(isam_inst *pinst, ver *v)
{
    pinst->cbVer -= v->cbAlloc;
    os_free(v->pbBefore);
    os_free(v->plsnRun);
    os_free(v);
}

/* Remove version v from its node chain (it may be anywhere in it).  Under lock. */
static void ver_unchain_locked(isam_inst *pinst, ver *v)
{
    os_mutex_assert_held(&pinst->lock);
    if (v->fRun)
        return; /* V3: never in a chain */
    ver **pslot = ver_slot_locked(pinst, v->dbid, v->pgnoRoot, v->pbKey, v->cbKey);
    ver *head = pslot ? *pslot : NULL;
    if (head == NULL)
        return;
    if (head == v) {
        if (v->older) {
            v->older->hashNext = v->hashNext;
            *pslot = v->older;
        } else {
            *pslot = v->hashNext;
        }
        pinst->cChained--; /* V6 */
        return;
    }
    for (ver *p = head; p->older; p = p->older) {
        if (p->older == v) {
            p->older = v->older;
            pinst->cChained--; /* V6 */
            return;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                              */
/* ------------------------------------------------------------------------ */

JET_ERR isam_begin_transaction(isam_sess *psess, JET_GRBIT grbit)
{
    if (grbit & ~(JET_GRBIT)JET_bitTransactionReadOnly)
        return JET_errInvalidGrbit;
    isam_inst *pinst = psess->inst;
    if (psess->trx) {
        if (psess->trx->level >= ISAM_TRX_LEVELS)
            return JET_errTransTooDeep;
        psess->trx->level++;
        return JET_errSuccess;
    }
    isam_trx *t = os_calloc(1, sizeof(*t));
    if (t == NULL)
        return JET_errOutOfMemory;
    os_mutex_lock(&pinst->lock);
    t->trxid = ++pinst->trxidNext;
    t->snapshot = pinst->ts;
    t->level = 1;
    t->readonly = (grbit & JET_bitTransactionReadOnly) != 0;
    t->next = pinst->active;
    if (pinst->active)
        pinst->active->prev = t;
    pinst->active = t;
    pinst->cactive++;
    os_mutex_unlock(&pinst->lock);
    psess->trx = t;
    return JET_errSuccess;
}

static void trx_unlink_locked(isam_inst *pinst, isam_trx *t)
{
    os_mutex_assert_held(&pinst->lock);
    if (t->prev)
        t->prev->next = t->next;
    else
        pinst->active = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pinst->cactive--;
}

/* Oldest snapshot any active transaction reads at.  Under lock. */
static uint64_t oldest_snapshot_locked(isam_inst *pinst)
{
    os_mutex_assert_held(&pinst->lock);
    uint64_t s = pinst->ts;
    for (isam_trx *t = pinst->active; t; t = t->next)
        if (t->snapshot < s)
            s = t->snapshot;
    return s;
}

/* V2: remove every node keyed key||... (the nodes a cascade-deleted node
 * owned).  Nobody can reach them: the owner's delete is visible to every
 * snapshot.  Best effort (a failure leaves them: space, never data). */
static void delete_owned(isam_db *pdb, uint32_t pgnoRoot, const uint8_t *key, uint32_t cbKey)
{
    bt_cursor *bc = NULL;
    if (bt_cursor_open(&pdb->env, pgnoRoot, &bc) < 0)
        return;
    uint32_t cbAlloc = bt_node_max(cache_page_size(pdb->env.pc)), cbCur = cbKey;
    uint8_t *cur = cbKey <= cbAlloc ? os_malloc(cbAlloc) : NULL;
    if (cur)
        memcpy(cur, key, cbKey);
    while (cur) {
        const void *pk, *pd;
        uint32_t cbk, cbd, fl;
        if (bt_seek(bc, cur, cbCur, BT_SEEK_GT) < 0 || bt_current(bc, &pk, &cbk, &pd, &cbd, &fl) < 0)
            break;
        if (cbk <= cbKey || cbk > cbAlloc || memcmp(pk, key, cbKey) != 0)
            break;
        memcpy(cur, pk, cbk);
        cbCur = cbk;
        if (bt_delete(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, cur, cbCur) < 0)
            break;
    }
    os_free(cur);
    bt_cursor_close(bc);
}

/* Drop committed versions no snapshot needs; delete nodes left flag-deleted
 * by committed deletes (invariant I4).  Under ckpt shared, then inst.lock. */
static void ver_cleanup_locked(isam_inst *pinst)
{
    os_mutex_assert_held(&pinst->lock);
    uint64_t oldest = oldest_snapshot_locked(pinst);
    while (pinst->committedOld && pinst->committedOld->commitTs <= oldest) {
        ver *v = pinst->committedOld;
        pinst->committedOld = v->trxNext;
        if (pinst->committedOld == NULL)
            pinst->committedNew = NULL;
        /* Everything older than v in its chain is older still: unchain v;
         * if it was the head and nothing newer exists, the node's current
         * state is final -- remove it physically if it is flag-deleted. */
        ver **pslot = ver_slot_locked(pinst, v->dbid, v->pgnoRoot, v->pbKey, v->cbKey);
        int wasHead = pslot && *pslot == v;
        ver_unchain_locked(pinst, v);
        /* I4a: an insert's version (UNDO_INSERTED: the node did not exist
         * before it) left at the head of its chain names a present, live node
         * (flags 0): its insert made it present and every later change of the
         * node (a flag-delete included) claimed a newer version of its own
         * (change_existing), which would still be in the chain; undoing one
         * restores the flags it found.  So only other versions can leave a
         * flag-deleted node behind, and only they look the node up: a fill's
         * commit skips a descent and a hash probe per row (issue 20). */
        if (wasHead && v->op != UNDO_INSERTED) {
            ver **again = ver_slot_locked(pinst, v->dbid, v->pgnoRoot, v->pbKey, v->cbKey);
            isam_db *pdb = db_get(pinst, v->dbid);
            if ((again == NULL || *again == NULL) && pdb) {
                uint32_t flags = 0, cb = 0;
                JET_ERR err = bt_lookup(&pdb->env, v->pgnoRoot, v->pbKey, v->cbKey, NULL, 0, &cb, &flags);
                if (err >= 0 && (flags & BT_NODE_DELETED)) { /* the caller holds ckpt shared */
                    if (v->fCascade)
                        delete_owned(pdb, v->pgnoRoot, v->pbKey, v->cbKey); /* V2: before the owner */
                    (void)bt_delete(&pdb->env, pdb->hdr.pgnoSpace, v->pgnoRoot, v->pbKey, v->cbKey);
                    isam_vis_changed(pinst); /* V5 */
                }
            }
        }
        ver_free(pinst, v);
    }
}

void ver_cleanup(isam_inst *pinst)
{
    CKPT_ENTER(pinst);
    os_mutex_lock(&pinst->lock);
    ver_cleanup_locked(pinst);
    os_mutex_unlock(&pinst->lock);
    CKPT_LEAVE(pinst);
}

void ver_free_all(isam_inst *pinst)
{
    if (pinst->hash) {
        for (uint32_t i = 0; i < pinst->chash; i++) {
            ver *h = pinst->hash[i];
            while (h) {
                ver *nextChain = h->hashNext;
                while (h) {
                    ver *older = h->older;
                    ver_free(pinst, h);
                    h = older;
                }
                h = nextChain;
            }
        }
        os_free(pinst->hash);
        pinst->hash = NULL;
    }
    pinst->cChained = 0; /* V6 */
    pinst->committedOld = pinst->committedNew = NULL;
}

/* A COMMIT or ROLLBACK record; pbFree/cbFree: the free list (I9), if any. */
static JET_ERR log_trx_record(isam_inst *pinst, uint8_t type, uint64_t trxid, const uint8_t *pbFree,
                              uint32_t cbFree, lsn_t *plsn)
{
    /* A COMMIT carries its wall-clock time (point-in-time restore); a
     * ROLLBACK with a free list a zero in its place. */
    uint8_t rec[16];
    le_put64(rec, trxid);
    le_put64(rec + 8, type == LOG_REC_ISAM_COMMIT ? (uint64_t)os_time_us() : 0);
    log_part parts[2] = { { rec, (type == LOG_REC_ISAM_COMMIT || cbFree) ? 16u : 8u }, { pbFree, cbFree } };
    return isam_log(pinst, type, parts, cbFree ? 2 : 1, plsn);
}

/* Position of byte `cb` past `lsn` (a record's bytes lie in one generation). */
static lsn_t lsn_plus(lsn_t lsn, uint32_t cb)
{
    uint64_t off = (uint64_t)LSN_ISEC(lsn) * LOG_SECTOR + LSN_IB(lsn) + cb;
    return LSN_MAKE(LSN_GEN(lsn), off / LOG_SECTOR, off % LOG_SECTOR);
}

static JET_ERR commit_transaction(isam_sess *psess, JET_GRBIT grbit, uint32_t cmsecDurable, JET_COMMIT_ID *pid,
                                  int fReport);

/* The engine's own commits (auto-commits of DDL, compaction) may run under
 * locks a durable-commit callback re-entering the engine needs (schemaLock):
 * they never wait for the report (C2). */
JET_ERR isam_commit_transaction(isam_sess *psess, JET_GRBIT grbit)
{
    return commit_transaction(psess, grbit, 0, NULL, 0);
}

JET_ERR isam_commit_transaction2(isam_sess *psess, JET_GRBIT grbit, uint32_t cmsecDurable, JET_COMMIT_ID *pid)
{
    return commit_transaction(psess, grbit, cmsecDurable, pid, 1);
}

/* C2 (commit ids): *pid gets the log's signature and the position of the
 * COMMIT record's last byte (ESENT's definition), zero for a commit that
 * logged nothing (read-only, nested, logging off).  A lazy commit with
 * cmsecDurable > 0 is made durable within that time by the log writer's
 * flusher thread (log.h log_flush_within).  With fReport (the API's commit,
 * which holds no engine lock), a durable commit and the Wait/ForceNewLog
 * requests return only after the durable-commit callback, if any, reported
 * the position they made durable. */
static JET_ERR commit_transaction(isam_sess *psess, JET_GRBIT grbit, uint32_t cmsecDurable, JET_COMMIT_ID *pid,
                                  int fReport)
{
    if (pid)
        memset(pid, 0, sizeof(*pid));
    if (grbit & ~(JET_GRBIT)(JET_bitCommitLazyFlush | JET_bitWaitLastLevel0Commit | JET_bitWaitAllLevel0Commit |
                             JET_bitForceNewLog))
        return JET_errInvalidGrbit;
    isam_trx *t = psess->trx;
    isam_inst *pinst = psess->inst;
    /* As in ESENT, ForceNewLog, WaitAllLevel0Commit and WaitLastLevel0Commit
     * are requests of their own, inside a transaction or not: each must come
     * alone (else JET_errInvalidGrbit), commits nothing, and makes the log
     * written so far durable (ForceNewLog first starts a new generation). */
    if (grbit & (JET_bitForceNewLog | JET_bitWaitAllLevel0Commit | JET_bitWaitLastLevel0Commit)) {
        if (grbit != JET_bitForceNewLog && grbit != JET_bitWaitAllLevel0Commit &&
            grbit != JET_bitWaitLastLevel0Commit)
            return JET_errInvalidGrbit;
        if (pinst->lw == NULL)
            return JET_errSuccess; /* logging off: nothing to make durable */
        if (grbit == JET_bitForceNewLog) {
            int32_t gen;
            JET_ERR err = log_roll(pinst->lw, &gen);
            if (err < 0)
                return err;
        }
        JET_ERR err = log_flush(pinst->lw, LSN_NIL);
        if (err >= 0 && fReport)
            log_wait_reported(pinst->lw, log_durable_lsn(pinst->lw));
        return err;
    }
    if (t == NULL)
        return JET_errNotInTransaction;
    if (t->level > 1) {
        /* Nested commit: the level's changes now belong to the enclosing level. */
        for (ver *v = t->newest; v && v->level == t->level; v = v->trxNext)
            v->level--;
        os_mutex_lock(&pinst->lock);
        rlock_end_level_locked(pinst, t, t->level, 1);
        reclaim_level_end_locked(pinst, t, t->level, 1, 0, LSN_NIL);
        os_mutex_unlock(&pinst->lock);
        cursor_trx_level_end(psess, t->level, 1); /* U1 */
        t->level--;
        temp_trx_committed(psess, t->trxid, t->level);
        return JET_errSuccess;
    }
    JET_ERR err = JET_errSuccess;
    /* C1: once the COMMIT record is in the log the transaction is committed,
     * here as in recovery: a flush that fails after it (a full or failing log
     * disk) ends the transaction all the same and is returned -- the commit is
     * then not known to be durable, and may still become so (docs/concepts.md).
     * Only a COMMIT that never reached the log leaves the transaction open. */
    JET_ERR errFlush = JET_errSuccess;
    int logged = t->lsnFirst != LSN_NIL; /* an UNDO of this transaction is in the log (I8: maybe no version) */
    for (ver *v = t->newest; v; v = v->trxNext)
        if (v->lsnUndo != LSN_NIL)
            logged = 1;
    lsn_t lsnCommit = LSN_NIL;
    if (logged) {
        lsn_t lsn;
        uint8_t *pbFree = NULL;
        uint32_t cbFree = 0;
        err = reclaim_free_list(pinst, t, 1, &pbFree, &cbFree); /* I9 */
        if (err >= 0)
            err = log_trx_record(pinst, LOG_REC_ISAM_COMMIT, t->trxid, pbFree, cbFree, &lsn);
        os_free(pbFree);
        if (err < 0)
            return err; /* still in the transaction: the caller may roll back */
        lsnCommit = lsn;
        if (pid && pinst->lw) {
            pid->signLog = pinst->signLog;
            pid->commitId = (int64_t)lsn_plus(lsn, LOG_REC_HEADER + 16 + cbFree - 1);
        }
        JET_GRBIT g = grbit ? grbit : pinst->cfg.grbitCommitDefault;
        if (!(g & JET_bitCommitLazyFlush) && pinst->lw) {
            errFlush = log_flush(pinst->lw, lsn); /* invariant I2 */
            if (errFlush >= 0 && fReport)
                log_wait_reported(pinst->lw, lsn + 1);
        } else if (cmsecDurable > 0 && pinst->lw) {
            (void)log_flush_within(pinst->lw, lsn, cmsecDurable); /* fails only once the log failed */
        }
    }
    CKPT_ENTER(pinst); /* cleanup below may delete nodes */
    os_mutex_lock(&pinst->lock);
    uint64_t ts = ++pinst->ts;
    /* Move the versions to the cleanup list, oldest change first. */
    ver *rev = NULL;
    for (ver *v = t->newest; v;) {
        ver *n = v->trxNext;
        v->trxNext = rev;
        rev = v;
        v = n;
    }
    for (ver *v = rev; v;) {
        ver *n = v->trxNext;
        if (v->fRun) { /* V3: undo only; the inserts are final now */
            ver_free(pinst, v);
            v = n;
            continue;
        }
        isam_db *pdbV = pinst->dbs[v->dbid];
        if (pdbV && v->pgnoRoot == pdbV->hdr.pgnoCatalog)
            pdbV->schemaGen++; /* committed DDL: cursors reload (table_def, S2) */
        v->commitTs = ts;
        v->trx = NULL;
        v->trxNext = NULL;
        if (pinst->committedNew)
            pinst->committedNew->trxNext = v;
        else
            pinst->committedOld = v;
        pinst->committedNew = v;
        v = n;
    }
    t->newest = NULL;
    rlock_end_level_locked(pinst, t, 1, 1);
    reclaim_level_end_locked(pinst, t, 1, 1, ts, lsnCommit);
    trx_unlink_locked(pinst, t);
    ver_cleanup_locked(pinst);
    isam_vis_changed(pinst); /* V5: inst.ts and the commit timestamps moved */
    os_mutex_unlock(&pinst->lock);
    CKPT_LEAVE(pinst);
    temp_trx_committed(psess, t->trxid, 0);
    cursor_trx_level_end(psess, 1, 1); /* U1 */
    os_free(t);
    psess->trx = NULL;
    reclaim_run(pinst);
    /* H3: the transaction is committed whatever happens now; a header write
     * that fails here is tried again by the next commit. */
    (void)db_follow_log(pinst);
    if (errFlush < 0)
        return errFlush; /* C1 */
    return isam_maybe_checkpoint(pinst);
}

/* Undo one version's change in the tree and log its CLR (invariant I3). */
static JET_ERR undo_version(isam_sess *psess, ver *v)
{
    isam_inst *pinst = psess->inst;
    isam_db *pdb = db_get(pinst, v->dbid);
    if (pdb == NULL)
        return JET_errInvalidDatabaseId;
    JET_ERR err;
    CKPT_ENTER(pinst);
    if (v->op == UNDO_INSERTED) {
        err = bt_delete(&pdb->env, pdb->hdr.pgnoSpace, v->pgnoRoot, v->pbKey, v->cbKey);
        if (err == JET_errRecordNotFound)
            err = JET_errSuccess;
    } else if (v->fSameData) { /* V1: a flag-delete changed no bytes */
        err = bt_set_flags(&pdb->env, v->pgnoRoot, v->pbKey, v->cbKey, v->flagsBefore);
    } else {
        err = bt_replace(&pdb->env, pdb->hdr.pgnoSpace, v->pgnoRoot, v->pbKey, v->cbKey, v->pbBefore, v->cbBefore);
        if (err >= 0)
            err = bt_set_flags(&pdb->env, v->pgnoRoot, v->pbKey, v->cbKey, v->flagsBefore);
    }
    isam_vis_changed(pinst); /* V5 */
    CKPT_LEAVE(pinst);
    if (v->pgnoRoot == pdb->hdr.pgnoCatalog) {
        /* DDL undone: cursors reload their index definitions */
        os_mutex_lock(&pinst->lock);
        pdb->schemaGen++;
        os_mutex_unlock(&pinst->lock);
    }
    if (err >= 0 && v->lsnUndo != LSN_NIL) {
        uint8_t clr[16];
        le_put64(clr, v->trxid);
        le_put64(clr + 8, v->lsnUndo);
        log_part part = { clr, sizeof(clr) };
        err = isam_log(pinst, LOG_REC_ISAM_CLR, &part, 1, NULL);
    }
    return err;
}

/* Undo a run of private inserts (V3), newest first, a CLR after each (I3);
 * then drop it from t.  On failure the run keeps what is left to undo. */
static JET_ERR undo_run(isam_sess *psess, isam_trx *t, ver *v)
{
    isam_inst *pinst = psess->inst;
    isam_db *pdb = db_get(pinst, v->dbid);
    if (pdb == NULL)
        return JET_errInvalidDatabaseId;
    uint8_t *key = os_malloc(v->cbKey);
    if (key == NULL)
        return JET_errOutOfMemory;
    memcpy(key, v->pbKey, v->cbKey);
    uint32_t first = be_get32(v->pbKey + v->cbKey - 4);
    JET_ERR err = JET_errSuccess;
    while (err >= 0 && v->crun > 0) {
        uint32_t i = v->crun - 1;
        be_put32(key + v->cbKey - 4, first + i);
        CKPT_ENTER(pinst);
        err = bt_delete(&pdb->env, pdb->hdr.pgnoSpace, v->pgnoRoot, key, v->cbKey);
        if (err == JET_errRecordNotFound)
            err = JET_errSuccess;
        isam_vis_changed(pinst); /* V5 */
        CKPT_LEAVE(pinst);
        if (err >= 0 && v->plsnRun[i] != LSN_NIL) {
            uint8_t clr[16];
            le_put64(clr, v->trxid);
            le_put64(clr + 8, v->plsnRun[i]);
            log_part part = { clr, sizeof(clr) };
            err = isam_log(pinst, LOG_REC_ISAM_CLR, &part, 1, NULL);
        }
        if (err >= 0)
            v->crun--;
    }
    os_free(key);
    if (err >= 0) {
        os_mutex_lock(&pinst->lock);
        t->newest = v->trxNext;
        ver_free(pinst, v);
        os_mutex_unlock(&pinst->lock);
    }
    return err;
}

/* Read node `key` into *prec (*pflags: its node flags).  Under inst.lock
 * when the caller needs the value to agree with the version chain. */
static JET_ERR read_node(isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey, rec_buf *prec,
                         uint32_t *pflags)
{
    uint32_t cb = 0;
    JET_ERR err = bt_lookup(&pdb->env, pgnoRoot, key, cbKey, NULL, 0, &cb, pflags);
    if (err < 0)
        return err;
    if (cb > prec->cbAlloc || prec->pb == NULL) {
        uint8_t *p = os_realloc(prec->pb, cb ? cb : 1);
        if (p == NULL)
            return JET_errOutOfMemory;
        prec->pb = p;
        prec->cbAlloc = cb ? cb : 1;
    }
    err = bt_lookup(&pdb->env, pgnoRoot, key, cbKey, prec->pb, cb, &cb, pflags);
    prec->cb = cb;
    return err;
}

static JET_ERR log_delta_done(isam_inst *pinst, uint64_t trxid, lsn_t lsn, int ok)
{
    uint8_t rec[20];
    le_put64(rec, trxid);
    le_put64(rec + 8, lsn);
    le_put32(rec + 16, ok ? 1u : 0u);
    log_part part = { rec, sizeof(rec) };
    return isam_log(pinst, LOG_REC_ISAM_DELTADONE, &part, 1, NULL);
}

/* Roll back one escrow delta (I6): subtract it from the node's value now,
 * leaving other transactions' deltas in place; log the delta CLR (with the
 * value it leaves) before the replace and DELTADONE after; unlink and free
 * v in the same critical section, so readers see value and chain agree. */
static JET_ERR undo_delta(isam_sess *psess, isam_trx *t, ver *v)
{
    isam_inst *pinst = psess->inst;
    isam_db *pdb = db_get(pinst, v->dbid);
    if (pdb == NULL)
        return JET_errInvalidDatabaseId;
    rec_buf rec = { 0 };
    uint32_t flags = 0;
    uint64_t after = 0;
    lsn_t lsnClr = LSN_NIL;
    CKPT_ENTER(pinst);
    os_mutex_lock(&pinst->lock);
    JET_ERR err = read_node(pdb, v->pgnoRoot, v->pbKey, v->cbKey, &rec, &flags);
    if (err == JET_errRecordNotFound)
        err = JET_errDatabaseCorrupted; /* nobody may remove a node under an active delta */
    if (err >= 0)
        err = rec_delta_apply(&rec, &v->d, 1, NULL, &after);
    if (err >= 0 && v->lsnUndo != LSN_NIL) {
        uint8_t clr[24];
        le_put64(clr, v->trxid);
        le_put64(clr + 8, v->lsnUndo);
        le_put64(clr + 16, after);
        log_part part = { clr, sizeof(clr) };
        err = isam_log(pinst, LOG_REC_ISAM_CLR, &part, 1, &lsnClr);
    }
    if (err >= 0) {
        err = bt_replace(&pdb->env, pdb->hdr.pgnoSpace, v->pgnoRoot, v->pbKey, v->cbKey, rec.pb, rec.cb);
        if (lsnClr != LSN_NIL) {
            JET_ERR e = log_delta_done(pinst, v->trxid, lsnClr, err >= 0);
            if (err >= 0)
                err = e;
        }
    }
    if (err >= 0) {
        t->newest = v->trxNext;
        pinst->undoEpoch++; /* V4; before the unchain (V6: read without the lock) */
        ver_unchain_locked(pinst, v);
        ver_free(pinst, v);
    }
    isam_vis_changed(pinst); /* V5: the node was replaced, the chain changed */
    os_mutex_unlock(&pinst->lock);
    CKPT_LEAVE(pinst);
    rec_free(&rec);
    return err;
}

JET_ERR isam_rollback(isam_sess *psess, JET_GRBIT grbit)
{
    if (grbit & ~(JET_GRBIT)JET_bitRollbackAll)
        return JET_errInvalidGrbit;
    isam_trx *t = psess->trx;
    isam_inst *pinst = psess->inst;
    if (t == NULL)
        return JET_errNotInTransaction;
    int target = (grbit & JET_bitRollbackAll) ? 0 : t->level - 1;
    JET_ERR err = JET_errSuccess;
    int logged = 0;
    while (t->newest && t->newest->level > target) {
        ver *v = t->newest;
        if (v->lsnUndo != LSN_NIL)
            logged = 1;
        if (v->op == UNDO_DELTA) {
            err = undo_delta(psess, t, v); /* also unlinks and frees v */
            if (err < 0)
                return err;
            continue;
        }
        if (v->fRun) {
            err = undo_run(psess, t, v); /* also drops v */
            if (err < 0)
                return err;
            continue;
        }
        err = undo_version(psess, v);
        if (err < 0)
            return err; /* the instance is in trouble; leave the rest for recovery */
        os_mutex_lock(&pinst->lock);
        t->newest = v->trxNext;
        /* V4: a reader may hold a copy of the node from before the undo;
         * V6: the epoch moves before the unchain can bring cChained to 0. */
        pinst->undoEpoch++;
        ver_unchain_locked(pinst, v);
        ver_free(pinst, v);
        isam_vis_changed(pinst); /* V5 */
        os_mutex_unlock(&pinst->lock);
    }
    /* I9: a whole rollback logs its ROLLBACK record (with the free list of
     * the creations it undoes) before those drops are decided. */
    lsn_t lsnEnd = LSN_NIL;
    if (target == 0) {
        for (ver *v = t->newest; v; v = v->trxNext)
            logged |= v->lsnUndo != LSN_NIL;
        if (logged || pinst->lw) {
            uint8_t *pbFree = NULL;
            uint32_t cbFree = 0;
            if (reclaim_free_list(pinst, t, 0, &pbFree, &cbFree) < 0)
                cbFree = 0; /* out of memory: the drops are not named (their pages may leak on a crash) */
            err = log_trx_record(pinst, LOG_REC_ISAM_ROLLBACK, t->trxid, pbFree, cbFree, &lsnEnd);
            os_free(pbFree);
            if (err < 0 || !cbFree)
                lsnEnd = LSN_NIL;
        }
    }
    os_mutex_lock(&pinst->lock);
    rlock_end_level_locked(pinst, t, target + 1, 0);
    reclaim_level_end_locked(pinst, t, target + 1, 0, 0, lsnEnd);
    os_mutex_unlock(&pinst->lock);
    cursor_trx_level_end(psess, target + 1, 0); /* U1 */
    if (target > 0) {
        t->level = target;
        temp_trx_rolled_back(psess, t->trxid, target);
        reclaim_run(pinst);
        return JET_errSuccess;
    }
    CKPT_ENTER(pinst);
    os_mutex_lock(&pinst->lock);
    trx_unlink_locked(pinst, t);
    ver_cleanup_locked(pinst);
    os_mutex_unlock(&pinst->lock);
    CKPT_LEAVE(pinst);
    uint64_t trxid = t->trxid;
    os_free(t);
    psess->trx = NULL;
    temp_trx_rolled_back(psess, trxid, 0);
    reclaim_run(pinst);
    return err;
}

static int ver_in_trees(const ver *v, uint32_t dbid, const uint32_t *roots, uint32_t c)
{
    if (v->dbid != dbid)
        return 0;
    for (uint32_t i = 0; i < c; i++)
        if (v->pgnoRoot == roots[i])
            return 1;
    return 0;
}

void ver_forget_trees(isam_sess *psess, uint32_t dbid, const uint32_t *roots, uint32_t c)
{
    isam_inst *pinst = psess->inst;
    os_mutex_lock(&pinst->lock);
    if (psess->trx) {
        ver **pp = &psess->trx->newest;
        while (*pp) {
            ver *v = *pp;
            if (ver_in_trees(v, dbid, roots, c)) {
                *pp = v->trxNext;
                ver_unchain_locked(pinst, v);
                ver_free(pinst, v);
            } else {
                pp = &v->trxNext;
            }
        }
    }
    ver *prev = NULL;
    for (ver *v = pinst->committedOld; v;) {
        ver *next = v->trxNext;
        if (ver_in_trees(v, dbid, roots, c)) {
            if (prev)
                prev->trxNext = next;
            else
                pinst->committedOld = next;
            if (pinst->committedNew == v)
                pinst->committedNew = prev;
            ver_unchain_locked(pinst, v);
            ver_free(pinst, v);
        } else {
            prev = v;
        }
        v = next;
    }
    os_mutex_unlock(&pinst->lock);
}

const void *ver_mark(isam_sess *psess)
{
    return psess->trx ? psess->trx->newest : NULL;
}

void ver_forget_since(isam_sess *psess, const void *mark)
{
    isam_inst *pinst = psess->inst;
    os_mutex_lock(&pinst->lock);
    isam_trx *t = psess->trx;
    while (t && t->newest && (const void *)t->newest != mark) {
        ver *v = t->newest;
        t->newest = v->trxNext;
        ver_unchain_locked(pinst, v);
        ver_free(pinst, v);
    }
    isam_vis_changed(pinst); /* V5 */
    os_mutex_unlock(&pinst->lock);
}

int isam_active_transactions(isam_inst *pinst)
{
    os_mutex_lock(&pinst->lock);
    int n = (int)pinst->cactive;
    os_mutex_unlock(&pinst->lock);
    return n;
}

/* The session's transaction nesting level (0 outside a transaction).  Read by
 * the thread that has the session busy, the only one that changes it. */
int isam_transaction_level(isam_sess *psess)
{
    return psess->trx ? psess->trx->level : 0;
}

/* Operations outside a transaction run in an implicit one. */
JET_ERR trx_auto_begin(isam_sess *psess, int *pfAuto)
{
    *pfAuto = 0;
    if (psess->trx) {
        if (psess->trx->readonly && !psess->fScratch)
            return JET_errTransReadOnly;
        return JET_errSuccess;
    }
    JET_ERR err = isam_begin_transaction(psess, 0);
    if (err >= 0)
        *pfAuto = 1;
    return err;
}

JET_ERR trx_auto_end(isam_sess *psess, int fAuto, JET_ERR err)
{
    if (!fAuto)
        return err;
    if (err < 0) {
        (void)isam_rollback(psess, 0);
        return err;
    }
    JET_ERR errCommit = isam_commit_transaction(psess, 0);
    if (errCommit < 0) {
        (void)isam_rollback(psess, 0);
        return errCommit;
    }
    return err;
}

/* A savepoint is one more nested level; it may go one past
 * ISAM_TRX_LEVELS, since it is internal to a single call. */
JET_ERR trx_save_begin(isam_sess *psess, int *pfAuto)
{
    JET_ERR err = trx_auto_begin(psess, pfAuto);
    if (err < 0 || *pfAuto)
        return err;
    psess->trx->level++;
    return JET_errSuccess;
}

JET_ERR trx_save_end(isam_sess *psess, int fAuto, JET_ERR err)
{
    if (fAuto)
        return trx_auto_end(psess, fAuto, err);
    if (err < 0) {
        JET_ERR e = isam_rollback(psess, 0);
        return e < 0 ? e : err;
    }
    JET_ERR e = isam_commit_transaction(psess, 0); /* nested: merges into the caller's level */
    return e < 0 ? e : err;
}

/* ------------------------------------------------------------------------ */
/* Record-level operations                                                   */
/* ------------------------------------------------------------------------ */

/* Does version v (of another transaction than t, or not) stop t from
 * writing?  Versions of other transactions that are active or committed
 * after t's snapshot do; fDelta: t adds a delta, and other deltas do not.
 * Under inst.lock (pending and op are only written under it). */
static int ver_conflicts_locked(const ver *v, const isam_trx *t, int fDelta)
{
    if (v->trxid == t->trxid)
        return 0;
    if (v->commitTs != 0 && v->commitTs <= t->snapshot)
        return 0;
    if (fDelta && !v->pending && v->op == UNDO_DELTA)
        return 0; /* deltas commute */
    return 1;
}

/* Walk the whole chain (another transaction's delta may lie under our own
 * newest version).  Below a full version of another transaction committed
 * at or before the snapshot everything is older still: stop there. */
static JET_ERR chain_conflict_locked(ver *head, const isam_trx *t, int fDelta)
{
    for (ver *v = head; v; v = v->older) {
        if (ver_conflicts_locked(v, t, fDelta))
            return JET_errWriteConflict;
        if (v->trxid != t->trxid && !v->pending && v->op != UNDO_DELTA)
            break;
    }
    return JET_errSuccess;
}

/* May t change the node (fDelta: by an escrow delta)?  Its chain (head) and
 * other transactions' read locks decide.  Under inst.lock. */
static JET_ERR write_conflict_locked(isam_inst *pinst, const isam_trx *t, const isam_db *pdb, uint32_t pgnoRoot,
                                     const void *key, uint32_t cbKey, ver *head, int fDelta)
{
    os_mutex_assert_held(&pinst->lock);
    JET_ERR err = chain_conflict_locked(head, t, fDelta);
    if (err >= 0 && pinst->rlocks && rlock_conflict_locked(pinst, t, pdb->dbid, pgnoRoot, key, cbKey))
        err = JET_errWriteConflict; /* another transaction read-locked it */
    return err;
}

/* Make v the newest version of its node (chain head at *pslot) and of t,
 * counting cb bytes in the version store.  Under inst.lock. */
static void ver_link_locked(isam_inst *pinst, ver **pslot, ver *v, isam_trx *t, size_t cb)
{
    os_mutex_assert_held(&pinst->lock);
    ver *head = *pslot;
    if (head) {
        v->hashNext = head->hashNext;
        head->hashNext = NULL;
        v->older = head;
    }
    *pslot = v;
    pinst->cChained++; /* V6 */
    v->trxNext = t->newest;
    t->newest = v;
    pinst->cbVer += cb;
}

/* A new version of node key of tree pgnoRoot for transaction t (its key in
 * the same allocation, counted in cbAlloc); NULL when out of memory. */
static ver *ver_new(const isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey, isam_trx *t)
{
    size_t cb = sizeof(ver) + cbKey;
    ver *v = os_calloc(1, cb);
    if (v == NULL)
        return NULL;
    v->pbKey = (uint8_t *)(v + 1);
    memcpy(v->pbKey, key, cbKey);
    v->cbKey = cbKey;
    v->dbid = pdb->dbid;
    v->pgnoRoot = pgnoRoot;
    v->trx = t;
    v->trxid = t->trxid;
    v->level = t->level;
    v->cbAlloc = cb;
    return v;
}

/* Step 1 of the protocol: conflict check and claim.  *ppv receives the new
 * version, PENDING (I7), linked as the node's newest. */
static JET_ERR claim(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey, ver **ppv)
{
    isam_inst *pinst = psess->inst;
    isam_trx *t = psess->trx;
    size_t cb = sizeof(ver) + cbKey;
    ver *v = ver_new(pdb, pgnoRoot, key, cbKey, t);
    if (v == NULL)
        return JET_errOutOfMemory;
    v->pending = 1;

    os_mutex_lock(&pinst->lock);
    JET_ERR err = ver_hash_init_locked(pinst);
    if (err >= 0 && pinst->cbVer + cb > pinst->cfg.cbVersionStoreMax)
        err = JET_errVersionStoreOutOfMemory;
    ver **pslot = err >= 0 ? ver_slot_locked(pinst, pdb->dbid, pgnoRoot, key, cbKey) : NULL;
    if (err >= 0)
        err = write_conflict_locked(pinst, t, pdb, pgnoRoot, key, cbKey, *pslot, 0);
    if (err >= 0)
        ver_link_locked(pinst, pslot, v, t, cb);
    os_mutex_unlock(&pinst->lock);
    if (err < 0) {
        os_free(v);
        return err;
    }
    *ppv = v;
    return JET_errSuccess;
}

/* Undo step 1 after a failure in step 2. */
static void unclaim(isam_sess *psess, ver *v)
{
    isam_inst *pinst = psess->inst;
    os_mutex_lock(&pinst->lock);
    isam_trx *t = psess->trx;
    if (t->newest == v)
        t->newest = v->trxNext;
    ver_unchain_locked(pinst, v);
    ver_free(pinst, v);
    os_mutex_unlock(&pinst->lock);
}

/* Log an UNDO record (the caller holds ckpt shared); *plsn its lsn. */
static JET_ERR log_undo_rec(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, uint8_t op, uint8_t flagsBefore,
                            const void *key, uint32_t cbKeyNode, const void *pbBefore, uint32_t cbBefore,
                            lsn_t *plsn)
{
    uint8_t hdr[8 + 4 + 4 + 1 + 1 + 2 + 4];
    uint64_t trxid = psess->trx->trxid;
    uint16_t cbKey = (uint16_t)cbKeyNode;
    le_put64(hdr, trxid);
    le_put32(hdr + 8, pdb->dbid);
    le_put32(hdr + 12, pgnoRoot);
    hdr[16] = op;
    hdr[17] = flagsBefore;
    le_put16(hdr + 18, cbKey);
    le_put32(hdr + 20, cbBefore);
    log_part parts[3] = { { hdr, sizeof(hdr) }, { key, cbKeyNode }, { pbBefore, cbBefore } };
    JET_ERR err = isam_log(psess->inst, LOG_REC_ISAM_UNDO, parts, cbBefore ? 3 : 2, plsn);
    if (err >= 0 && psess->trx->lsnFirst == LSN_NIL) {
        /* I5: the checkpoint never passes this (the caller holds ckpt shared). */
        os_mutex_lock(&psess->inst->lock);
        psess->trx->lsnFirst = *plsn;
        os_mutex_unlock(&psess->inst->lock);
    }
    return err;
}

/* Insert a node with its UNDO record (op UNDO_INSERTED, no before-image)
 * logged no later than the insert (the caller holds ckpt shared).  Log
 * volume (issue 20): the UNDO rides in the btree's insert record when the
 * insert is logged as one (LOG_REC_BT_INSERTU, client bytes: isam_int.h;
 * recovery.c rebuilds the UNDO from them), else it is logged on its own
 * just before the change.  *plsn: the lsn that carries the UNDO, LSN_NIL if
 * it was not logged (then nothing changed). */
static JET_ERR insert_logging_undo(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, uint8_t op, uint8_t flagsBefore,
                                   const void *key, uint32_t cbKey, const void *data, uint32_t cbData, lsn_t *plsn)
{
    isam_inst *pinst = psess->inst;
    uint8_t hdr[24], client[UNDO_CLIENT_SIZE];
    uint64_t trxid = psess->trx->trxid;
    undo_client(trxid, pgnoRoot, op, flagsBefore, client);
    le_put64(hdr, trxid);
    le_put32(hdr + 8, pdb->dbid);
    le_put32(hdr + 12, pgnoRoot);
    hdr[16] = op;
    hdr[17] = flagsBefore;
    le_put16(hdr + 18, (uint16_t)cbKey);
    le_put32(hdr + 20, 0);
    log_part parts[2] = { { hdr, sizeof(hdr) }, { key, cbKey } };
    bt_undo u = { LOG_REC_ISAM_UNDO, parts, 2, client, sizeof(client), LSN_NIL };
    JET_ERR err = bt_insert_undo(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, data, cbData, 0, &u);
    *plsn = u.lsn;
    if (u.lsn != LSN_NIL && psess->trx->lsnFirst == LSN_NIL) {
        /* I5: the checkpoint never passes this (the caller holds ckpt shared). */
        os_mutex_lock(&pinst->lock);
        psess->trx->lsnFirst = u.lsn;
        os_mutex_unlock(&pinst->lock);
    }
    return err;
}

typedef struct announce_ctx {
    isam_sess *psess;
    isam_db   *pdb;
    uint32_t   objid;
} announce_ctx;

static JET_ERR announce_tree(void *ctx, uint32_t pgnoRoot)
{
    announce_ctx *a = ctx;
    uint8_t key[4];
    lsn_t lsn;
    le_put32(key, a->objid);
    return log_undo_rec(a->psess, a->pdb, pgnoRoot, UNDO_TREE, 0, key, sizeof(key), NULL, 0, &lsn);
}

/* The announcement runs with the space page and the new root latched
 * exclusively, so it must not take inst.lock: ver_cleanup_locked waits for
 * page latches while holding inst.lock (a DDL thread announcing a tree and a
 * committing thread cleaning up deadlocked on exactly that).  log_undo_rec
 * takes inst.lock only to record the transaction's first lsn, so that is set
 * here first, before any latch, to the end of the log: a lower bound of the
 * announcement's lsn, which keeps I5 (the caller holds ckpt shared, so the
 * checkpoint cannot pass it meanwhile).  If the creation fails before its
 * announcement, the transaction merely counts as logged (a COMMIT or ROLLBACK
 * record with no UNDO before it, which recovery ignores). */
JET_ERR ver_create_tree(isam_sess *psess, isam_db *pdb, uint32_t objid, uint32_t *ppgnoRoot)
{
    announce_ctx a = { psess, pdb, objid };
    int fAnnounce = pdb->logged && psess->trx != NULL;
    if (fAnnounce) {
        isam_inst *pinst = psess->inst;
        os_mutex_lock(&pinst->lock);
        if (psess->trx->lsnFirst == LSN_NIL)
            psess->trx->lsnFirst = log_end_lsn(pinst->lw);
        os_mutex_unlock(&pinst->lock);
    }
    return bt_create_announced(&pdb->env, pdb->hdr.pgnoSpace, objid, fAnnounce ? announce_tree : NULL, &a,
                               ppgnoRoot);
}

/* Log the UNDO record of v (filled in: op, before-image). */
static JET_ERR log_undo(isam_sess *psess, isam_db *pdb, ver *v)
{
    if (!pdb->logged)
        return JET_errSuccess;
    return log_undo_rec(psess, pdb, v->pgnoRoot, v->op, v->flagsBefore, v->pbKey, v->cbKey, v->pbBefore,
                        v->cbBefore, &v->lsnUndo);
}

/* A change failed after its UNDO was logged: neutralise the UNDO. */
static void log_failed_change(isam_sess *psess, ver *v)
{
    if (v->lsnUndo == LSN_NIL)
        return;
    uint8_t clr[16];
    le_put64(clr, v->trxid);
    le_put64(clr + 8, v->lsnUndo);
    log_part part = { clr, sizeof(clr) };
    (void)isam_log(psess->inst, LOG_REC_ISAM_CLR, &part, 1, NULL);
}

/* Publish a filled version (I7): readers may use it from now on. */
static void publish(isam_inst *pinst, ver *v, uint8_t op)
{
    os_mutex_lock(&pinst->lock);
    v->op = op;
    if (!v->fSameData) { /* V1: a flag-delete keeps no image */
        v->cbAlloc += v->cbBefore;
        pinst->cbVer += v->cbBefore;
    }
    v->pending = 0;
    os_mutex_unlock(&pinst->lock);
}

/* Read the node's current state into v's before-image (counted in the
 * version store's size, as ver_free uncounts it; fSameData, a flag-delete:
 * kept only for the UNDO record, not counted, V1) and publish v.  Readers
 * skip v until then: op and pending are written under inst.lock only. */
static JET_ERR capture_before(isam_inst *pinst, isam_db *pdb, uint32_t pgnoRoot, ver *v, int fSameData,
                              int *pfExists)
{
    uint32_t cb = 0, flags = 0;
    /* A key above every key of the tree (sequential inserts) is absent and
     * stays so: v is claimed, no other transaction creates its node. */
    JET_ERR err = bt_append_absent(&pdb->env, pgnoRoot, v->pbKey, v->cbKey)
                      ? JET_errRecordNotFound
                      : bt_lookup(&pdb->env, pgnoRoot, v->pbKey, v->cbKey, NULL, 0, &cb, &flags);
    if (err == JET_errRecordNotFound) {
        *pfExists = 0;
        publish(pinst, v, UNDO_INSERTED);
        return JET_errSuccess;
    }
    if (err < 0)
        return err;
    v->pbBefore = os_malloc(cb ? cb : 1);
    if (v->pbBefore == NULL)
        return JET_errOutOfMemory;
    uint32_t cb2 = 0;
    err = bt_lookup(&pdb->env, pgnoRoot, v->pbKey, v->cbKey, v->pbBefore, cb, &cb2, &flags);
    if (err < 0)
        return err;
    *pfExists = 1;
    v->cbBefore = cb;
    v->flagsBefore = (uint8_t)flags;
    v->fSameData = fSameData && !(flags & BT_NODE_DELETED);
    publish(pinst, v, UNDO_CHANGED);
    return JET_errSuccess;
}

static JET_ERR require_writable(isam_sess *psess, isam_db *pdb)
{
    if (psess->trx == NULL)
        return JET_errNotInTransaction;
    if (psess->trx->readonly && pdb->dbid != ISAM_TEMP_DBID)
        return JET_errTransReadOnly; /* temporary tables are scratch, writable in any transaction */
    if (pdb->readonly)
        return JET_errDatabaseFileReadOnly;
    return JET_errSuccess;
}

/* fFresh: the caller guarantees that no node `key` is present (not
 * flag-deleted) in the tree (V7): the version is published as an insert
 * without reading the tree first, and the insert's own descent finds a
 * flag-deleted node if there is one (nothing changed, nothing logged); the
 * insert then starts over the exact way. */
static JET_ERR op_insert(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                         const void *data, uint32_t cbData, int fFresh)
{
    JET_ERR err = require_writable(psess, pdb);
    if (err < 0)
        return err;
    ver *v;
    err = claim(psess, pdb, pgnoRoot, key, cbKey, &v);
    if (err < 0)
        return err;
    int exists = 0;
    fFresh = fFresh && pdb->logged;
    if (fFresh)
        publish(psess->inst, v, UNDO_INSERTED); /* V7 */
again:
    if (!fFresh)
        err = capture_before(psess->inst, pdb, pgnoRoot, v, 0, &exists);
    if (err >= 0 && exists && !(v->flagsBefore & BT_NODE_DELETED))
        err = JET_errKeyDuplicate;
    CKPT_ENTER(psess->inst);
    if (err >= 0 && pdb->logged && !exists && v->op == UNDO_INSERTED && v->cbBefore == 0) {
        /* One record for the UNDO and the insert when it can (log volume). */
        err = insert_logging_undo(psess, pdb, pgnoRoot, v->op, v->flagsBefore, key, cbKey, data, cbData,
                                  &v->lsnUndo);
        if (err == JET_errKeyDuplicate && fFresh && v->lsnUndo == LSN_NIL) {
            /* V7: a flag-deleted node is there; nothing was changed or logged */
            CKPT_LEAVE(psess->inst);
            fFresh = 0;
            err = JET_errSuccess;
            goto again;
        }
        isam_vis_changed(psess->inst); /* V5 */
        if (err < 0)
            log_failed_change(psess, v);
    } else if (err >= 0) {
        err = log_undo(psess, pdb, v);
        if (err >= 0) {
            if (exists) { /* resurrect a flag-deleted node */
                err = bt_replace(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, data, cbData);
                if (err >= 0)
                    err = bt_set_flags(&pdb->env, pgnoRoot, key, cbKey, 0);
            } else {
                err = bt_insert(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, data, cbData, 0);
            }
            isam_vis_changed(psess->inst); /* V5 */
            if (err < 0)
                log_failed_change(psess, v);
        }
    }
    CKPT_LEAVE(psess->inst);
    if (err < 0)
        unclaim(psess, v);
    return err;
}

JET_ERR rec_op_insert(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                      const void *data, uint32_t cbData)
{
    return op_insert(psess, pdb, pgnoRoot, key, cbKey, data, cbData, 0);
}

JET_ERR rec_op_insert_fresh(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                            const void *data, uint32_t cbData)
{
    return op_insert(psess, pdb, pgnoRoot, key, cbKey, data, cbData, 1);
}

/* Replace the data of, or (fDelete) flag-delete, an existing visible node. */
static JET_ERR change_existing(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                               const void *data, uint32_t cbData, int fDelete, int fCascade)
{
    JET_ERR err = require_writable(psess, pdb);
    if (err < 0)
        return err;
    ver *v;
    err = claim(psess, pdb, pgnoRoot, key, cbKey, &v);
    if (err < 0)
        return err;
    int exists = 0;
    v->fCascade = (uint8_t)fCascade; /* before publish: readers see it with op */
    err = capture_before(psess->inst, pdb, pgnoRoot, v, fDelete, &exists);
    if (err >= 0 && (!exists || (v->flagsBefore & BT_NODE_DELETED)))
        err = JET_errRecordDeleted;
    CKPT_ENTER(psess->inst);
    if (err >= 0)
        err = log_undo(psess, pdb, v);
    if (v->fSameData) { /* V1: the image was for the UNDO record only; nobody else reads it */
        os_free(v->pbBefore);
        v->pbBefore = NULL;
        v->cbBefore = 0;
    }
    if (err >= 0) {
        if (fDelete) /* versioned delete: flag now, remove at cleanup (invariant I4) */
            err = bt_set_flags(&pdb->env, pgnoRoot, key, cbKey, v->flagsBefore | BT_NODE_DELETED);
        else
            err = bt_replace(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, data, cbData);
        isam_vis_changed(psess->inst); /* V5 */
        if (err < 0)
            log_failed_change(psess, v);
    }
    CKPT_LEAVE(psess->inst);
    if (err < 0)
        unclaim(psess, v);
    return err;
}

JET_ERR rec_op_replace(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                       const void *data, uint32_t cbData)
{
    return change_existing(psess, pdb, pgnoRoot, key, cbKey, data, cbData, 0, 0);
}

JET_ERR rec_op_delete(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey)
{
    return change_existing(psess, pdb, pgnoRoot, key, cbKey, NULL, 0, 1, 0);
}

JET_ERR rec_op_delete_cascade(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey)
{
    return change_existing(psess, pdb, pgnoRoot, key, cbKey, NULL, 0, 1, 1);
}

JET_ERR rec_op_insert_private(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                              const void *data, uint32_t cbData)
{
    JET_ERR err = require_writable(psess, pdb);
    if (err < 0)
        return err;
    uint32_t cb = 0, flags = 0;
    /* The chunks of a new long value go above every key of the tree: the
     * append hint proves them absent without a descent (issue 20). */
    err = cbKey < 4 ? JET_errSuccess
          : bt_append_absent(&pdb->env, pgnoRoot, key, cbKey)
              ? JET_errRecordNotFound
              : bt_lookup(&pdb->env, pgnoRoot, key, cbKey, NULL, 0, &cb, &flags);
    if (err != JET_errRecordNotFound) /* a (flag-deleted) node is there: the full protocol */
        return err < 0 ? err : rec_op_insert(psess, pdb, pgnoRoot, key, cbKey, data, cbData);
    err = JET_errSuccess;
    isam_inst *pinst = psess->inst;
    isam_trx *t = psess->trx;
    const uint8_t *pk = key;
    uint32_t n = be_get32(pk + cbKey - 4);
    /* the run this insert extends: t's newest entry, same level, tree, prefix, next n */
    ver *run = t->newest;
    if (!(run && run->fRun && run->level == t->level && run->dbid == pdb->dbid && run->pgnoRoot == pgnoRoot &&
          run->cbKey == cbKey && memcmp(run->pbKey, pk, cbKey - 4) == 0 &&
          be_get32(run->pbKey + cbKey - 4) + run->crun == n))
        run = NULL;
    ver *vNew = NULL;
    /* grow by doubling up to 8192 entries, then by 8192: little unused room is counted */
    uint32_t cNew = 8;
    if (run)
        cNew = run->crun < run->crunAlloc ? run->crunAlloc
                                          : run->crunAlloc + (run->crunAlloc < 8192 ? run->crunAlloc : 8192);
    lsn_t *plsn = NULL;
    if (run == NULL) {
        vNew = ver_new(pdb, pgnoRoot, key, cbKey, t);
        if (vNew == NULL)
            return JET_errOutOfMemory;
        vNew->fRun = 1;
        vNew->op = UNDO_INSERTED;
        vNew->lsnUndo = LSN_NIL;
    }
    size_t cbMore = run ? (size_t)(cNew - run->crunAlloc) * sizeof(lsn_t) : vNew->cbAlloc + cNew * sizeof(lsn_t);
    os_mutex_lock(&pinst->lock);
    if (cbMore && pinst->cbVer + cbMore > pinst->cfg.cbVersionStoreMax)
        err = JET_errVersionStoreOutOfMemory;
    else
        pinst->cbVer += cbMore; /* counted before it is used; given back below on failure */
    os_mutex_unlock(&pinst->lock);
    if (err >= 0 && cbMore) {
        plsn = os_realloc(run ? run->plsnRun : NULL, cNew * sizeof(lsn_t));
        if (plsn == NULL)
            err = JET_errOutOfMemory;
    }
    if (err < 0) {
        if (err != JET_errVersionStoreOutOfMemory) {
            os_mutex_lock(&pinst->lock);
            pinst->cbVer -= cbMore;
            os_mutex_unlock(&pinst->lock);
        }
        os_free(vNew);
        return err;
    }
    if (run && cbMore) {
        run->plsnRun = plsn;
        run->crunAlloc = cNew;
        run->cbAlloc += cbMore;
    } else if (vNew) {
        vNew->plsnRun = plsn;
        vNew->crunAlloc = cNew;
        vNew->cbAlloc += cNew * sizeof(lsn_t);
        run = vNew;
        os_mutex_lock(&pinst->lock); /* t's list is read by others under the lock */
        run->trxNext = t->newest;
        t->newest = run;
        os_mutex_unlock(&pinst->lock);
    }
    lsn_t lsn = LSN_NIL;
    CKPT_ENTER(pinst);
    if (pdb->logged) {
        err = insert_logging_undo(psess, pdb, pgnoRoot, UNDO_INSERTED, 0, key, cbKey, data, cbData, &lsn);
    } else {
        err = bt_insert(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, data, cbData, 0);
    }
    isam_vis_changed(pinst); /* V5 */
    if (err < 0 && lsn != LSN_NIL) { /* neutralise the UNDO (as log_failed_change) */
        uint8_t clr[16];
        le_put64(clr, t->trxid);
        le_put64(clr + 8, lsn);
        log_part part = { clr, sizeof(clr) };
        (void)isam_log(pinst, LOG_REC_ISAM_CLR, &part, 1, NULL);
    }
    CKPT_LEAVE(pinst);
    if (err >= 0) {
        run->plsnRun[run->crun++] = lsn;
        if (run->lsnUndo == LSN_NIL)
            run->lsnUndo = lsn; /* commit and rollback ask whether anything was logged */
    } else if (run->crun == 0) {
        os_mutex_lock(&pinst->lock);
        t->newest = run->trxNext;
        ver_free(pinst, run);
        os_mutex_unlock(&pinst->lock);
    }
    return err;
}

/* ------------------------------------------------------------------------ */
/* Escrow deltas                                                             */
/* ------------------------------------------------------------------------ */

/* The delta codec (ver_delta_encode / decode, rec_delta_value / apply) is in
 * delta.c; what follows registers delta trees and logs escrow updates. */

/* Note that tree (dbid, pgnoRoot) has delta versions from now on (its
 * readers re-read nodes under inst.lock).  Under inst.lock. */
static void delta_tree_add_locked(isam_inst *pinst, uint32_t dbid, uint32_t pgnoRoot)
{
    os_mutex_assert_held(&pinst->lock);
    for (uint32_t i = 0; i < pinst->cdeltaTrees; i++)
        if (pinst->deltaTrees[i].dbid == dbid && pinst->deltaTrees[i].pgnoRoot == pgnoRoot)
            return;
    if (pinst->cdeltaTrees == sizeof(pinst->deltaTrees) / sizeof(pinst->deltaTrees[0])) {
        testcase(!pinst->fDeltaAll); /* the list is full: every tree from now on */
        pinst->fDeltaAll = 1;
        return;
    }
    pinst->deltaTrees[pinst->cdeltaTrees].dbid = dbid;
    pinst->deltaTrees[pinst->cdeltaTrees].pgnoRoot = pgnoRoot;
    pinst->cdeltaTrees++;
}

static int delta_tree_locked(const isam_inst *pinst, uint32_t dbid, uint32_t pgnoRoot)
{
    os_mutex_assert_held(&pinst->lock);
    if (pinst->fDeltaAll)
        return 1;
    for (uint32_t i = 0; i < pinst->cdeltaTrees; i++)
        if (pinst->deltaTrees[i].dbid == dbid && pinst->deltaTrees[i].pgnoRoot == pgnoRoot)
            return 1;
    return 0;
}

/* Log the UNDO_DELTA record of v.  Under inst.lock and ckpt shared (I5, I6). */
static JET_ERR log_undo_delta_locked(isam_sess *psess, ver *v)
{
    os_mutex_assert_held(&psess->inst->lock);
    uint8_t hdr[8 + 4 + 4 + 1 + 1 + 2 + 4];
    uint8_t payload[VER_DELTA_SIZE];
    uint64_t trxid = v->trxid;
    uint16_t cbKey = (uint16_t)v->cbKey;
    uint32_t cbBefore = VER_DELTA_SIZE;
    le_put64(hdr, trxid);
    le_put32(hdr + 8, v->dbid);
    le_put32(hdr + 12, v->pgnoRoot);
    hdr[16] = UNDO_DELTA;
    hdr[17] = 0;
    le_put16(hdr + 18, cbKey);
    le_put32(hdr + 20, cbBefore);
    ver_delta_encode(&v->d, payload);
    log_part parts[3] = { { hdr, sizeof(hdr) }, { v->pbKey, v->cbKey }, { payload, sizeof(payload) } };
    JET_ERR err = isam_log(psess->inst, LOG_REC_ISAM_UNDO, parts, 3, &v->lsnUndo);
    if (err >= 0 && psess->trx->lsnFirst == LSN_NIL)
        psess->trx->lsnFirst = v->lsnUndo;
    return err;
}

JET_ERR rec_op_escrow(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                      const ver_delta *pd, int fNoRollback, uint64_t *pold)
{
    JET_ERR err = require_writable(psess, pdb);
    if (err < 0)
        return err;
    isam_inst *pinst = psess->inst;
    isam_trx *t = psess->trx;
    ver *v = NULL;
    size_t cbVer = sizeof(ver) + cbKey;
    if (!fNoRollback) {
        v = ver_new(pdb, pgnoRoot, key, cbKey, t);
        if (v == NULL)
            return JET_errOutOfMemory;
        v->op = UNDO_DELTA;
        v->d = *pd;
        v->lsnUndo = LSN_NIL;
    }
    rec_buf rec = { 0 };
    uint32_t flags = 0;
    uint64_t after = 0;
    int linked = 0;
    CKPT_ENTER(pinst);
    os_mutex_lock(&pinst->lock);
    err = ver_hash_init_locked(pinst);
    if (err >= 0 && v && pinst->cbVer + cbVer > pinst->cfg.cbVersionStoreMax)
        err = JET_errVersionStoreOutOfMemory;
    ver **pslot = err >= 0 ? ver_slot_locked(pinst, pdb->dbid, pgnoRoot, key, cbKey) : NULL;
    if (err >= 0)
        err = write_conflict_locked(pinst, t, pdb, pgnoRoot, key, cbKey, *pslot, 1);
    if (err >= 0)
        err = read_node(pdb, pgnoRoot, key, cbKey, &rec, &flags);
    if (err == JET_errRecordNotFound || (err >= 0 && (flags & BT_NODE_DELETED)))
        err = JET_errRecordDeleted;
    if (err >= 0)
        err = rec_delta_apply(&rec, pd, 0, pold, &after);
    if (err >= 0 && v && pdb->logged) {
        v->d.after = after;
        err = log_undo_delta_locked(psess, v);
    }
    if (err >= 0) {
        /* E1 (V6, I7): the delta's version is linked (cChained++) BEFORE the
         * replace makes the new value reachable.  Readers that take
         * inst.lock cannot see the two steps apart either way, but
         * rec_visible's lock-free path trusts a copy of the node whenever it
         * loads cChained == 0 after making the copy: with the link after the
         * replace, a copy taken between the two (the page latch is free
         * again once bt_replace returns) showed the uncommitted delta as
         * committed, and the delta could then be rolled back (a plain
         * reader saw the sum go down, a snapshot reader saw it change).
         * Linked first, any copy that shows the delta is made after the
         * increment, so the reader's later load of cChained is nonzero and
         * it takes the locked path, which subtracts the invisible delta. */
        if (v) {
            delta_tree_add_locked(pinst, pdb->dbid, pgnoRoot);
            ver_link_locked(pinst, pslot, v, t, cbVer);
            linked = 1;
        }
        err = bt_replace(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, rec.pb, rec.cb);
        int changed = err >= 0;
        if (v && v->lsnUndo != LSN_NIL) {
            JET_ERR e = log_delta_done(pinst, t->trxid, v->lsnUndo, changed);
            if (err >= 0)
                err = e;
        }
        if (!changed && v) {
            /* the tree kept its value: take the version back (no reader
             * copy can show a change that did not happen, so no epoch bump) */
            t->newest = v->trxNext;
            ver_unchain_locked(pinst, v);
            ver_free(pinst, v);
            v = NULL;
        }
        isam_vis_changed(pinst); /* V5: the tree and the chain changed together */
    }
    os_mutex_unlock(&pinst->lock);
    CKPT_LEAVE(pinst);
    rec_free(&rec);
    if (!linked && v)
        os_free(v);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Visibility                                                                */
/* ------------------------------------------------------------------------ */

static JET_ERR buf_set(rec_buf *pbuf, const void *pv, uint32_t cb)
{
    if (cb > pbuf->cbAlloc) {
        uint8_t *p = os_realloc(pbuf->pb, cb);
        if (p == NULL)
            return JET_errOutOfMemory;
        pbuf->pb = p;
        pbuf->cbAlloc = cb;
    }
    if (cb)
        memcpy(pbuf->pb, pv, cb);
    pbuf->cb = cb;
    return JET_errSuccess;
}

JET_ERR rec_visible(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                    const void *pvNode, uint32_t cbNode, uint32_t nodeflags, rec_buf *pbuf)
{
    isam_inst *pinst = psess->inst;
    const void *pv = pvNode;
    uint32_t cb = cbNode;
    int present = !(nodeflags & BT_NODE_DELETED);
    int inbuf = 0;      /* the state is in *pbuf (deltas were subtracted from it) */
    rec_buf fresh = { 0 };
    JET_ERR err = JET_errSuccess;
    if (atomic_load(&pinst->cChained) == 0 && psess->undoSeen == atomic_load(&pinst->undoEpoch)) {
        /* V6 (no lock, cChained read first): no node has a version and no
         * rollback came since the copy was made: the copy is what every
         * snapshot sees. */
        if (!present)
            return JET_errRecordNotFound;
        err = buf_set(pbuf, pv, cb);
        return err < 0 ? err : JET_errSuccess;
    }
    os_mutex_lock(&pinst->lock);
    uint64_t myTrx = psess->trx ? psess->trx->trxid : 0;
    uint64_t snapshot = psess->trx ? psess->trx->snapshot : pinst->ts;
    ver **pslot = ver_slot_locked(pinst, pdb->dbid, pgnoRoot, key, cbKey);
    if (psess->undoSeen != pinst->undoEpoch || delta_tree_locked(pinst, pdb->dbid, pgnoRoot)) {
        /* The caller's copy may predate a delta applied or undone since (I6),
         * or a rollback that restored the node and took its version away
         * (V4): read the node again, now that neither can happen. */
        uint32_t fl = 0;
        err = read_node(pdb, pgnoRoot, key, cbKey, &fresh, &fl);
        if (err >= 0) {
            pv = fresh.pb;
            cb = fresh.cb;
            present = !(fl & BT_NODE_DELETED);
        } else if (err == JET_errRecordNotFound) {
            present = 0;
            err = JET_errSuccess;
        }
    }
    for (ver *v = pslot ? *pslot : NULL; err >= 0 && v; v = v->older) {
        if (v->pending)
            continue; /* I7: the tree does not show this change yet */
        int visible = v->trxid == myTrx || (v->commitTs != 0 && v->commitTs <= snapshot);
        if (v->op == UNDO_DELTA) {
            if (visible || !present)
                continue; /* older invisible deltas may lie below a visible one */
            if (!inbuf) {
                err = buf_set(pbuf, pv, cb);
                inbuf = 1;
            }
            if (err >= 0)
                err = rec_delta_apply(pbuf, &v->d, 1, NULL, NULL);
            continue;
        }
        if (visible)
            break; /* our own change or committed before our snapshot, and everything before it */
        /* invisible change: step back to the state before it */
        if (v->fSameData) {
            present = !(v->flagsBefore & BT_NODE_DELETED); /* V1: same bytes */
            continue;
        }
        inbuf = 0;
        if (v->op == UNDO_INSERTED) {
            present = 0;
        } else {
            present = !(v->flagsBefore & BT_NODE_DELETED);
            pv = v->pbBefore;
            cb = v->cbBefore;
        }
    }
    if (err >= 0 && present && !inbuf)
        err = buf_set(pbuf, pv, cb);
    if (err >= 0)
        psess->undoSeen = pinst->undoEpoch; /* V4: the session's next copy is made after this */
    os_mutex_unlock(&pinst->lock);
    rec_free(&fresh);
    if (err < 0)
        return err;
    return present ? JET_errSuccess : JET_errRecordNotFound;
}

JET_ERR rec_read_visible(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                         rec_buf *pbuf)
{
    uint32_t cb = 0, flags = 0;
    JET_ERR err = bt_lookup(&pdb->env, pgnoRoot, key, cbKey, NULL, 0, &cb, &flags);
    if (err < 0)
        return err;
    uint8_t *tmp = os_malloc(cb ? cb : 1);
    if (tmp == NULL)
        return JET_errOutOfMemory;
    err = bt_lookup(&pdb->env, pgnoRoot, key, cbKey, tmp, cb, &cb, &flags);
    if (err >= 0)
        err = rec_visible(psess, pdb, pgnoRoot, key, cbKey, tmp, cb, flags, pbuf);
    os_free(tmp);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Latest state (for DDL that must not depend on a snapshot)                */
/* ------------------------------------------------------------------------ */

JET_ERR rec_latest(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                   const void *pvNode, uint32_t cbNode, uint32_t nodeflags, rec_buf *pbuf)
{
    /* The caller's copy may predate a rollback (V4): this is the DDL path,
     * read the node again under the lock. */
    isam_inst *pinst = psess->inst;
    rec_buf fresh = { 0 };
    os_mutex_lock(&pinst->lock);
    JET_ERR err = read_node(pdb, pgnoRoot, key, cbKey, &fresh, &nodeflags);
    if (err >= 0 && !(nodeflags & BT_NODE_DELETED)) {
        err = buf_set(pbuf, fresh.pb, fresh.cb);
    } else if (err >= 0) {
        /* flag-deleted: still there while the delete is not committed */
        err = JET_errRecordNotFound;
        ver **pslot = ver_slot_locked(pinst, pdb->dbid, pgnoRoot, key, cbKey);
        const ver *head = pslot ? *pslot : NULL;
        while (head && head->pending)
            head = head->older; /* not filled yet: the tree is as before it (I7) */
        if (head && head->commitTs == 0 && head->op == UNDO_CHANGED && !(head->flagsBefore & BT_NODE_DELETED))
            err = head->fSameData ? buf_set(pbuf, fresh.pb, fresh.cb) /* V1 */
                                  : buf_set(pbuf, head->pbBefore, head->cbBefore);
    }
    os_mutex_unlock(&pinst->lock);
    rec_free(&fresh);
    (void)pvNode;
    (void)cbNode;
    return err;
}

int ver_tree_changed_by_others_locked(isam_inst *pinst, const isam_trx *t, uint32_t dbid, uint32_t pgnoRoot)
{
    os_mutex_assert_held(&pinst->lock);
    for (const isam_trx *o = pinst->active; o; o = o->next) {
        if (o == t)
            continue;
        for (const ver *v = o->newest; v; v = v->trxNext)
            if (v->dbid == dbid && v->pgnoRoot == pgnoRoot)
                return 1;
    }
    for (const ver *v = pinst->committedOld; v; v = v->trxNext)
        if (v->commitTs > t->snapshot && v->dbid == dbid && v->pgnoRoot == pgnoRoot)
            return 1;
    return 0;
}

uint64_t ver_oldest_snapshot_locked(isam_inst *pinst)
{
    os_mutex_assert_held(&pinst->lock);
    return oldest_snapshot_locked(pinst);
}

int ver_tree_has_versions_locked(isam_inst *pinst, uint32_t dbid, uint32_t pgnoRoot)
{
    os_mutex_assert_held(&pinst->lock);
    for (const isam_trx *o = pinst->active; o; o = o->next)
        for (const ver *v = o->newest; v; v = v->trxNext)
            if (v->dbid == dbid && v->pgnoRoot == pgnoRoot)
                return 1;
    for (const ver *v = pinst->committedOld; v; v = v->trxNext)
        if (v->dbid == dbid && v->pgnoRoot == pgnoRoot)
            return 1;
    return 0;
}
