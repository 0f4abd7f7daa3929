/*
 * rlock.c -- read locks (JetGetLock with JET_bitReadLock), and the write
 * locks of JetPrepareUpdate(JET_prepReplace) until its update.
 *
 * Owns: struct rlock, the instance's list of read locks held and each
 * transaction's list of the locks it holds.
 * Must not touch: version chains (ver.c decides write conflicts and calls
 * rlock_conflict_locked), pages, the log (read locks are never logged: a
 * crash ends every transaction, and with it every lock).
 *
 * A read lock on node K of a tree, held by transaction T, means: until T ends
 * no other transaction may change K (its claim in ver.c fails with
 * JET_errWriteConflict).  Read locks are compatible with each other and with
 * T's own changes.  T can take one only when K carries no change of another
 * transaction that is active or committed after T's snapshot (what T reads
 * then is what stays there).  Locks taken inside a nested level are released
 * when that level rolls back, and pass to the enclosing level when it commits.
 *
 * A write lock (fWrite, JetPrepareUpdate(JET_prepReplace) in a transaction,
 * as ESENT's prepare write-locks the record) is a read lock that no other
 * transaction may share: taking it, or a read lock next to it, gives
 * JET_errWriteConflict.  The update's own version takes over: JetUpdate
 * releases it (rlock_release_write), keeping the lists short in a long
 * transaction; a cancelled prepare keeps it until its level ends, as ESENT.
 *
 * Invariant R1: every rlock is on both lists (pinst->rlocks and its
 * transaction's) and is freed when either the level that took it rolls back
 * or its transaction ends; both lists change only under inst.lock.
 */
#include "isam_int.h"

#include <string.h>

struct rlock {
    struct rlock *instNext, *instPrev; /* pinst->rlocks */
    struct rlock *trxNext;             /* isam_trx.rlocks, newest first */
    isam_trx     *trx;
    int           level;
    int           fWrite;              /* a prepared replace's write lock */
    uint32_t      dbid, pgnoRoot, cbKey;
    uint8_t       key[];
};

static int rlock_is(const rlock *l, uint32_t dbid, uint32_t pgnoRoot, const void *key, uint32_t cbKey)
{
    return l->dbid == dbid && l->pgnoRoot == pgnoRoot && l->cbKey == cbKey && memcmp(l->key, key, cbKey) == 0;
}

int rlock_conflict_locked(isam_inst *pinst, const isam_trx *t, uint32_t dbid, uint32_t pgnoRoot, const void *key,
                          uint32_t cbKey)
{
    os_mutex_assert_held(&pinst->lock);
    for (rlock *l = pinst->rlocks; l; l = l->instNext)
        if (l->trx != t && rlock_is(l, dbid, pgnoRoot, key, cbKey))
            return 1;
    return 0;
}

/* Under inst.lock: another transaction than t holds a lock on the node that
 * a new lock (fWrite: a write lock) cannot share. */
static int rlock_clash_locked(isam_inst *pinst, const isam_trx *t, uint32_t dbid, uint32_t pgnoRoot,
                              const void *key, uint32_t cbKey, int fWrite)
{
    for (rlock *l = pinst->rlocks; l; l = l->instNext)
        if (l->trx != t && (fWrite || l->fWrite) && rlock_is(l, dbid, pgnoRoot, key, cbKey))
            return 1;
    return 0;
}

static JET_ERR rlock_take(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                          int fWrite)
{
    isam_trx *t = psess->trx;
    isam_inst *pinst = psess->inst;
    if (t == NULL)
        return JET_errNotInTransaction;
    rlock *l = os_malloc(sizeof(*l) + cbKey);
    if (l == NULL)
        return JET_errOutOfMemory;
    memset(l, 0, sizeof(*l));
    l->trx = t;
    l->level = t->level;
    l->fWrite = fWrite;
    l->dbid = pdb->dbid;
    l->pgnoRoot = pgnoRoot;
    l->cbKey = cbKey;
    memcpy(l->key, key, cbKey);
    JET_ERR err = JET_errSuccess;
    os_mutex_lock(&pinst->lock);
    if (ver_changed_by_other_locked(pinst, t, pdb->dbid, pgnoRoot, key, cbKey) ||
        rlock_clash_locked(pinst, t, pdb->dbid, pgnoRoot, key, cbKey, fWrite)) {
        err = JET_errWriteConflict;
    } else {
        for (rlock *h = t->rlocks; h; h = h->trxNext)
            if (rlock_is(h, pdb->dbid, pgnoRoot, key, cbKey) && h->fWrite >= fWrite)
                goto held; /* already ours */
        l->instNext = pinst->rlocks;
        if (pinst->rlocks)
            pinst->rlocks->instPrev = l;
        pinst->rlocks = l;
        l->trxNext = t->rlocks;
        t->rlocks = l;
        l = NULL;
    }
held:
    os_mutex_unlock(&pinst->lock);
    os_free(l);
    return err;
}

JET_ERR rlock_acquire(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey)
{
    return rlock_take(psess, pdb, pgnoRoot, key, cbKey, 0);
}

JET_ERR rlock_acquire_write(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey)
{
    return rlock_take(psess, pdb, pgnoRoot, key, cbKey, 1);
}

void rlock_release_write(isam_sess *psess, isam_db *pdb, uint32_t pgnoRoot, const void *key, uint32_t cbKey)
{
    isam_trx *t = psess->trx;
    isam_inst *pinst = psess->inst;
    if (t == NULL || t->rlocks == NULL)
        return;
    os_mutex_lock(&pinst->lock);
    for (rlock **pp = &t->rlocks; *pp; pp = &(*pp)->trxNext) {
        rlock *l = *pp;
        if (!l->fWrite || !rlock_is(l, pdb->dbid, pgnoRoot, key, cbKey))
            continue;
        *pp = l->trxNext;
        if (l->instPrev)
            l->instPrev->instNext = l->instNext;
        else
            pinst->rlocks = l->instNext;
        if (l->instNext)
            l->instNext->instPrev = l->instPrev;
        os_free(l);
        break;
    }
    os_mutex_unlock(&pinst->lock);
}

void rlock_end_level_locked(isam_inst *pinst, isam_trx *t, int level, int fCommit)
{
    os_mutex_assert_held(&pinst->lock);
    rlock **pp = &t->rlocks;
    while (*pp) {
        rlock *l = *pp;
        if (l->level < level) {
            pp = &l->trxNext;
            continue;
        }
        if (fCommit && level > 1) {
            l->level = level - 1; /* the enclosing level holds it now */
            pp = &l->trxNext;
            continue;
        }
        *pp = l->trxNext;
        if (l->instPrev)
            l->instPrev->instNext = l->instNext;
        else
            pinst->rlocks = l->instNext;
        if (l->instNext)
            l->instNext->instPrev = l->instPrev;
        os_free(l);
    }
}
