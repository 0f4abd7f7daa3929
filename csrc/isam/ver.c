/*
 * ver.c -- transactions and the version store: nested levels, commit,
 * rollback, snapshot visibility, write conflicts, and record-level
 * operations (insert / replace / delete of a node under a transaction) with
 * their UNDO records.
 *
 * Owns: isam_trx objects, versions (struct ver), the commit timestamp, the
 * committed-version cleanup list, LOG_REC_ISAM_{UNDO,CLR,COMMIT,ROLLBACK}.
 * Must not touch: page layouts (btree), record formats (record.c), files.
 *
 * Protocol for a change of node K (invariants I1, I3, I4 in isam_int.h):
 *   1. Under inst.lock: refuse with JET_errWriteConflict if K's newest version
 *      belongs to another transaction that is active or committed after our
 *      snapshot; otherwise link a new version for K at the head of its chain.
 *      That version is our write lock on K from now on.
 *   2. Without the lock: read K's current state, log the UNDO record, change
 *      the tree.  If the change fails after the UNDO was logged, log a CLR so
 *      that recovery never undoes a change that did not happen.
 *   3. Commit stamps every version of the transaction with a new commit
 *      timestamp; rollback undoes them newest first (each with a CLR) and
 *      unlinks them.
 * Cleanup runs under inst.lock (it may delete flag-deleted nodes, so a writer
 * cannot claim the node in between).
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
    if (pinst->hash)
        return JET_errSuccess;
    pinst->chash = 4093;
    pinst->hash = os_calloc(pinst->chash, sizeof(ver *));
    return pinst->hash ? JET_errSuccess : JET_errOutOfMemory;
}

static void ver_free(isam_inst *pinst, ver *v)
{
    pinst->cbVer -= v->cbAlloc;
    os_free(v->pbBefore);
    os_free(v);
}

/* Remove version v from its node chain (it may be anywhere in it).  Under lock. */
static void ver_unchain_locked(isam_inst *pinst, ver *v)
{
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
        return;
    }
    for (ver *p = head; p->older; p = p->older) {
        if (p->older == v) {
            p->older = v->older;
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
    pthread_mutex_lock(&pinst->lock);
    t->trxid = ++pinst->trxidNext;
    t->snapshot = pinst->ts;
    t->level = 1;
    t->readonly = (grbit & JET_bitTransactionReadOnly) != 0;
    t->next = pinst->active;
    if (pinst->active)
        pinst->active->prev = t;
    pinst->active = t;
    pinst->cactive++;
    pthread_mutex_unlock(&pinst->lock);
    psess->trx = t;
    return JET_errSuccess;
}

static void trx_unlink_locked(isam_inst *pinst, isam_trx *t)
{
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
    uint64_t s = pinst->ts;
    for (isam_trx *t = pinst->active; t; t = t->next)
        if (t->snapshot < s)
            s = t->snapshot;
    return s;
}

/* Drop committed versions no snapshot needs; delete nodes left flag-deleted
 * by committed deletes (invariant I4).  Under lock. */
static void ver_cleanup_locked(isam_inst *pinst)
{
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
        if (wasHead) {
            ver **again = ver_slot_locked(pinst, v->dbid, v->pgnoRoot, v->pbKey, v->cbKey);
            isam_db *pdb = db_get(pinst, v->dbid);
            if ((again == NULL || *again == NULL) && pdb) {
                uint32_t flags = 0, cb = 0;
                JET_ERR err = bt_lookup(&pdb->env, v->pgnoRoot, v->pbKey, v->cbKey, NULL, 0, &cb, &flags);
                if (err >= 0 && (flags & BT_NODE_DELETED)) {
                    CKPT_ENTER(pinst);
                    (void)bt_delete(&pdb->env, pdb->hdr.pgnoSpace, v->pgnoRoot, v->pbKey, v->cbKey);
                    CKPT_LEAVE(pinst);
                }
            }
        }
        ver_free(pinst, v);
    }
}

void ver_cleanup(isam_inst *pinst)
{
    pthread_mutex_lock(&pinst->lock);
    ver_cleanup_locked(pinst);
    pthread_mutex_unlock(&pinst->lock);
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
    pinst->committedOld = pinst->committedNew = NULL;
}

static JET_ERR log_trx_record(isam_inst *pinst, uint8_t type, uint64_t trxid, lsn_t *plsn)
{
    /* A COMMIT carries its wall-clock time (point-in-time restore). */
    struct { uint64_t trxid; int64_t tm; } rec = { trxid, type == LOG_REC_ISAM_COMMIT ? os_time_us() : 0 };
    log_part part = { &rec, type == LOG_REC_ISAM_COMMIT ? sizeof(rec) : sizeof(trxid) };
    return isam_log(pinst, type, &part, 1, plsn);
}

JET_ERR isam_commit_transaction(isam_sess *psess, JET_GRBIT grbit)
{
    if (grbit & ~(JET_GRBIT)(JET_bitCommitLazyFlush | JET_bitWaitLastLevel0Commit | JET_bitWaitAllLevel0Commit |
                             JET_bitForceNewLog))
        return JET_errInvalidGrbit;
    isam_trx *t = psess->trx;
    isam_inst *pinst = psess->inst;
    if (t == NULL)
        return JET_errNotInTransaction;
    if (t->level > 1) {
        /* Nested commit: the level's changes now belong to the enclosing level. */
        for (ver *v = t->newest; v && v->level == t->level; v = v->trxNext)
            v->level--;
        t->level--;
        temp_trx_committed(psess, t->trxid, t->level);
        return JET_errSuccess;
    }
    JET_ERR err = JET_errSuccess;
    int logged = 0;
    for (ver *v = t->newest; v; v = v->trxNext)
        if (v->lsnUndo != LSN_NIL)
            logged = 1;
    if (logged) {
        lsn_t lsn;
        err = log_trx_record(pinst, LOG_REC_ISAM_COMMIT, t->trxid, &lsn);
        if (err < 0)
            return err; /* still in the transaction: the caller may roll back */
        JET_GRBIT g = grbit ? grbit : pinst->cfg.grbitCommitDefault;
        if (!(g & JET_bitCommitLazyFlush) && pinst->lw) {
            err = log_flush(pinst->lw, lsn); /* invariant I2 */
            if (err < 0)
                return err;
        }
    }
    if ((grbit & (JET_bitWaitLastLevel0Commit | JET_bitWaitAllLevel0Commit)) && pinst->lw) {
        err = log_flush(pinst->lw, LSN_NIL);
        if (err < 0)
            return err;
    }
    if ((grbit & JET_bitForceNewLog) && pinst->lw) {
        int32_t gen;
        (void)log_roll(pinst->lw, &gen);
    }
    pthread_mutex_lock(&pinst->lock);
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
    trx_unlink_locked(pinst, t);
    ver_cleanup_locked(pinst);
    pthread_mutex_unlock(&pinst->lock);
    temp_trx_committed(psess, t->trxid, 0);
    os_free(t);
    psess->trx = NULL;
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
    } else {
        err = bt_replace(&pdb->env, pdb->hdr.pgnoSpace, v->pgnoRoot, v->pbKey, v->cbKey, v->pbBefore, v->cbBefore);
        if (err >= 0)
            err = bt_set_flags(&pdb->env, v->pgnoRoot, v->pbKey, v->cbKey, v->flagsBefore);
    }
    CKPT_LEAVE(pinst);
    if (v->pgnoRoot == pdb->hdr.pgnoCatalog) {
        /* DDL undone: cursors reload their index definitions */
        pthread_mutex_lock(&pinst->lock);
        pdb->schemaGen++;
        pthread_mutex_unlock(&pinst->lock);
    }
    if (err >= 0 && v->lsnUndo != LSN_NIL) {
        struct { uint64_t trxid; uint64_t lsn; } clr = { v->trxid, v->lsnUndo };
        log_part part = { &clr, sizeof(clr) };
        err = isam_log(pinst, LOG_REC_ISAM_CLR, &part, 1, NULL);
    }
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
        err = undo_version(psess, v);
        if (err < 0)
            return err; /* the instance is in trouble; leave the rest for recovery */
        if (v->lsnUndo != LSN_NIL)
            logged = 1;
        pthread_mutex_lock(&pinst->lock);
        t->newest = v->trxNext;
        ver_unchain_locked(pinst, v);
        ver_free(pinst, v);
        pthread_mutex_unlock(&pinst->lock);
    }
    if (target > 0) {
        t->level = target;
        temp_trx_rolled_back(psess, t->trxid, target);
        return JET_errSuccess;
    }
    for (ver *v = t->newest; v; v = v->trxNext)
        logged |= v->lsnUndo != LSN_NIL;
    if (logged || pinst->lw)
        err = log_trx_record(pinst, LOG_REC_ISAM_ROLLBACK, t->trxid, NULL);
    pthread_mutex_lock(&pinst->lock);
    trx_unlink_locked(pinst, t);
    ver_cleanup_locked(pinst);
    pthread_mutex_unlock(&pinst->lock);
    uint64_t trxid = t->trxid;
    os_free(t);
    psess->trx = NULL;
    temp_trx_rolled_back(psess, trxid, 0);
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
    pthread_mutex_lock(&pinst->lock);
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
    pthread_mutex_unlock(&pinst->lock);
}

const void *ver_mark(isam_sess *psess)
{
    return psess->trx ? psess->trx->newest : NULL;
}

void ver_forget_since(isam_sess *psess, const void *mark)
{
    isam_inst *pinst = psess->inst;
    pthread_mutex_lock(&pinst->lock);
    isam_trx *t = psess->trx;
    while (t && t->newest && (const void *)t->newest != mark) {
        ver *v = t->newest;
        t->newest = v->trxNext;
        ver_unchain_locked(pinst, v);
        ver_free(pinst, v);
    }
    pthread_mutex_unlock(&pinst->lock);
}

int isam_active_transactions(isam_inst *pinst)
{
    pthread_mutex_lock(&pinst->lock);
    int n = (int)pinst->cactive;
    pthread_mutex_unlock(&pinst->lock);
    return n;
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

/* Step 1 of the protocol: conflict check and claim.  *ppv receives the new
 * (incomplete) version, linked as the node's newest. */
static JET_ERR claim(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey, ver **ppv)
{
    isam_inst *pinst = psess->inst;
    isam_trx *t = psess->trx;
    size_t cb = sizeof(ver) + cbKey;
    ver *v = os_calloc(1, cb);
    if (v == NULL)
        return JET_errOutOfMemory;
    v->pbKey = (uint8_t *)(v + 1);
    memcpy(v->pbKey, key, cbKey);
    v->cbKey = cbKey;
    v->dbid = pdb->dbid;
    v->pgnoRoot = pgnoRoot;
    v->trx = t;
    v->trxid = t->trxid;
    v->level = t->level;
    v->cbAlloc = cb;

    pthread_mutex_lock(&pinst->lock);
    JET_ERR err = ver_hash_init_locked(pinst);
    if (err >= 0 && pinst->cbVer + cb > pinst->cfg.cbVersionStoreMax)
        err = JET_errVersionStoreOutOfMemory;
    ver **pslot = err >= 0 ? ver_slot_locked(pinst, pdb->dbid, pgnoRoot, key, cbKey) : NULL;
    if (err >= 0 && *pslot) {
        ver *head = *pslot;
        if (head->trxid != t->trxid && (head->commitTs == 0 || head->commitTs > t->snapshot))
            err = JET_errWriteConflict;
    }
    if (err >= 0) {
        ver *head = *pslot;
        if (head) {
            v->hashNext = head->hashNext;
            head->hashNext = NULL;
            v->older = head;
        }
        *pslot = v;
        v->trxNext = t->newest;
        t->newest = v;
        pinst->cbVer += cb;
    }
    pthread_mutex_unlock(&pinst->lock);
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
    pthread_mutex_lock(&pinst->lock);
    isam_trx *t = psess->trx;
    if (t->newest == v)
        t->newest = v->trxNext;
    ver_unchain_locked(pinst, v);
    ver_free(pinst, v);
    pthread_mutex_unlock(&pinst->lock);
}

/* Log the UNDO record of v (filled in: op, before-image). */
static JET_ERR log_undo(isam_sess *psess, isam_db *pdb, ver *v)
{
    if (!pdb->logged)
        return JET_errSuccess;
    uint8_t hdr[8 + 4 + 4 + 1 + 1 + 2 + 4];
    uint64_t trxid = v->trxid;
    uint16_t cbKey = (uint16_t)v->cbKey;
    memcpy(hdr, &trxid, 8);
    memcpy(hdr + 8, &v->dbid, 4);
    memcpy(hdr + 12, &v->pgnoRoot, 4);
    hdr[16] = v->op;
    hdr[17] = v->flagsBefore;
    memcpy(hdr + 18, &cbKey, 2);
    memcpy(hdr + 20, &v->cbBefore, 4);
    log_part parts[3] = { { hdr, sizeof(hdr) }, { v->pbKey, v->cbKey }, { v->pbBefore, v->cbBefore } };
    JET_ERR err = isam_log(psess->inst, LOG_REC_ISAM_UNDO, parts, v->cbBefore ? 3 : 2, &v->lsnUndo);
    if (err >= 0 && psess->trx->lsnFirst == LSN_NIL) {
        /* I5: the checkpoint never passes this (the caller holds ckpt shared). */
        pthread_mutex_lock(&psess->inst->lock);
        psess->trx->lsnFirst = v->lsnUndo;
        pthread_mutex_unlock(&psess->inst->lock);
    }
    return err;
}

/* A change failed after its UNDO was logged: neutralise the UNDO. */
static void log_failed_change(isam_sess *psess, ver *v)
{
    if (v->lsnUndo == LSN_NIL)
        return;
    struct { uint64_t trxid; uint64_t lsn; } clr = { v->trxid, v->lsnUndo };
    log_part part = { &clr, sizeof(clr) };
    (void)isam_log(psess->inst, LOG_REC_ISAM_CLR, &part, 1, NULL);
}

/* Read the node's current state into v's before-image (counted in the
 * version store's size, as ver_free uncounts it). */
static JET_ERR capture_before(isam_inst *pinst, isam_db *pdb, uint32_t pgnoRoot, ver *v, int *pfExists)
{
    uint32_t cb = 0, flags = 0;
    JET_ERR err = bt_lookup(&pdb->env, pgnoRoot, v->pbKey, v->cbKey, NULL, 0, &cb, &flags);
    if (err == JET_errRecordNotFound) {
        *pfExists = 0;
        v->op = UNDO_INSERTED;
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
    v->op = UNDO_CHANGED;
    v->cbBefore = cb;
    v->flagsBefore = (uint8_t)flags;
    pthread_mutex_lock(&pinst->lock);
    v->cbAlloc += cb;
    pinst->cbVer += cb;
    pthread_mutex_unlock(&pinst->lock);
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

JET_ERR rec_op_insert(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                      const void *data, uint32_t cbData)
{
    JET_ERR err = require_writable(psess, pdb);
    if (err < 0)
        return err;
    ver *v;
    err = claim(psess, pdb, pgnoRoot, key, cbKey, &v);
    if (err < 0)
        return err;
    int exists = 0;
    err = capture_before(psess->inst, pdb, pgnoRoot, v, &exists);
    if (err >= 0 && exists && !(v->flagsBefore & BT_NODE_DELETED))
        err = JET_errKeyDuplicate;
    CKPT_ENTER(psess->inst);
    if (err >= 0)
        err = log_undo(psess, pdb, v);
    if (err >= 0) {
        if (exists) { /* resurrect a flag-deleted node */
            err = bt_replace(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, data, cbData);
            if (err >= 0)
                err = bt_set_flags(&pdb->env, pgnoRoot, key, cbKey, 0);
        } else {
            err = bt_insert(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, data, cbData, 0);
        }
        if (err < 0)
            log_failed_change(psess, v);
    }
    CKPT_LEAVE(psess->inst);
    if (err < 0)
        unclaim(psess, v);
    return err;
}

/* Replace the data of, or (fDelete) flag-delete, an existing visible node. */
static JET_ERR change_existing(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                               const void *data, uint32_t cbData, int fDelete)
{
    JET_ERR err = require_writable(psess, pdb);
    if (err < 0)
        return err;
    ver *v;
    err = claim(psess, pdb, pgnoRoot, key, cbKey, &v);
    if (err < 0)
        return err;
    int exists = 0;
    err = capture_before(psess->inst, pdb, pgnoRoot, v, &exists);
    if (err >= 0 && (!exists || (v->flagsBefore & BT_NODE_DELETED)))
        err = JET_errRecordDeleted;
    CKPT_ENTER(psess->inst);
    if (err >= 0)
        err = log_undo(psess, pdb, v);
    if (err >= 0) {
        if (fDelete) /* versioned delete: flag now, remove at cleanup (invariant I4) */
            err = bt_set_flags(&pdb->env, pgnoRoot, key, cbKey, v->flagsBefore | BT_NODE_DELETED);
        else
            err = bt_replace(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, data, cbData);
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
    return change_existing(psess, pdb, pgnoRoot, key, cbKey, data, cbData, 0);
}

JET_ERR rec_op_delete(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey)
{
    return change_existing(psess, pdb, pgnoRoot, key, cbKey, NULL, 0, 1);
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
    JET_ERR err = JET_errSuccess;
    pthread_mutex_lock(&pinst->lock);
    uint64_t myTrx = psess->trx ? psess->trx->trxid : 0;
    uint64_t snapshot = psess->trx ? psess->trx->snapshot : pinst->ts;
    ver **pslot = ver_slot_locked(pinst, pdb->dbid, pgnoRoot, key, cbKey);
    for (ver *v = pslot ? *pslot : NULL; v; v = v->older) {
        if (v->trxid == myTrx)
            break; /* our own change and everything before it */
        if (v->commitTs != 0 && v->commitTs <= snapshot)
            break; /* committed before our snapshot */
        /* invisible change: step back to the state before it */
        if (v->op == UNDO_INSERTED) {
            present = 0;
        } else {
            present = !(v->flagsBefore & BT_NODE_DELETED);
            pv = v->pbBefore;
            cb = v->cbBefore;
        }
    }
    if (present)
        err = buf_set(pbuf, pv, cb);
    pthread_mutex_unlock(&pinst->lock);
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
