/*
 * inst.c -- the ISAM side of an instance: start (log stream, cache, crash
 * recovery), stop (clean or dirty), sessions, the glue that lets the btree
 * and the version store write log records, the write-ahead callback of the
 * cache, and checkpoint advancement.
 *
 * Owns: isam_inst and isam_sess life cycles; the checkpoint policy and the
 * instance's checkpointer thread (CT1-CT6).
 * Must not touch: instance modes, parameters or handles of the api layer.
 *
 * Checkpoint policy: after a commit, when the log has grown more than
 * JET_paramCheckpointDepthMax bytes past the checkpoint, dirty pages older
 * than the end of the log are written (cache_flush_older) and the checkpoint
 * moves to the oldest recovery lsn still dirty (or the end of the log).  By
 * default that advance runs on the instance's checkpointer thread (CT1-CT6
 * below); ESEPY_paramCheckpointThread = 0 runs it inline on the committing
 * thread (the crash-state harness's deterministic I/O order).
 *
 * Checkpoint invariants (the checkpoint file is what the next JetInit
 * trusts to skip everything before it):
 *   CP1. The checkpoint only moves past a change once the page it changed
 *        is durable in its database file: written AND synced
 *        (cache_flush_older syncs every file it wrote to; recovery moves it
 *        only after every database it replayed into is flushed, synced and
 *        marked clean).  A failed write or sync leaves it where it was.
 *   CP2. Advances are serialised by ckptMu and monotonic: the file never
 *        names an older position than one written before it (the log layer
 *        also enforces this), and with circular logging a generation is
 *        deleted only after a durable checkpoint past it.
 *   CP3. Before the checkpoint names generation g, genMinRequired = g is
 *        written (and synced) into the header of every attached dirty
 *        database, so header and checkpoint file agree on what replay
 *        needs, and recovery starts at the older of the two (recovery.c).
 *   CP4. Once errFatal is set (F1, isam_int.h) the checkpoint never moves.
 *   CP5. (torn pages, T3 in btree.c) An advance first moves the cache's
 *        image threshold G to the log's end E with every page change kept
 *        out (ckpt exclusive; a change decides image-or-record and appends
 *        under ckpt shared), writes and syncs every page dirty before E,
 *        and then names E, or less (I5), never more: so every change at or
 *        past the checkpoint was decided against a threshold at or past it,
 *        and a page a crash may tear (written after that sync) has an image
 *        at or past the checkpoint (IMG in btree.c).  A page still dirty
 *        from before E after the sync (not expected) keeps the checkpoint
 *        where it was.  isam_set_checkpoint, called only with no change in
 *        flight (open, end of recovery), raises G to its lsn first, and
 *        opening the writer raises G to the log's end (recovery's undo logs
 *        an image of each page it changes first).
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Log glue                                                                  */
/* ------------------------------------------------------------------------ */

JET_ERR isam_log(isam_inst *pinst, uint8_t type, const log_part *parts, uint32_t cpart, lsn_t *plsn)
{
    lsn_t lsn = LSN_NIL;
    JET_ERR err = JET_errSuccess;
    if (atomic_load(&pinst->errFatal) < 0) {
        /* F1; CT5: the first change after the checkpointer thread's failure
         * reports that failure itself (if no commit did already). */
        JET_ERR e = atomic_load(&pinst->errCkTh) < 0 ? atomic_exchange(&pinst->errCkTh, JET_errSuccess) : 0;
        return e < 0 ? e : JET_errInstanceUnavailable;
    }
    if (pinst->lw)
        err = log_append(pinst->lw, type, parts, cpart, &lsn);
    if (err == JET_errLogWriteFail)
        (void)isam_fatal(pinst, err);
    if (plsn)
        *plsn = lsn;
    return err;
}

JET_ERR isam_fatal(isam_inst *pinst, JET_ERR err)
{
    JET_ERR none = JET_errSuccess;
    /* Only I/O failures: running out of memory (or another instance-level
     * refusal) fails before anything is written, so a retry is honest. */
    if (err == JET_errOutOfMemory || err == JET_errInstanceUnavailable)
        return err;
    if (err < 0 && atomic_compare_exchange_strong(&pinst->errFatal, &none, err)) {
        char msg[128];
        snprintf(msg, sizeof(msg), "a write or sync failed (error %d): the instance takes no more changes", (int)err);
        if (pinst->cfg.event)
            pinst->cfg.event(pinst->cfg.eventctx, ESEPY_EVENT_INSTANCE_FATAL, ESEPY_LEVEL_ERROR, err, msg, 0, NULL);
    }
    return err;
}

/* The log flusher's durable callback (log.h F2): the user's
 * JET_PFNDURABLECOMMITCALLBACK with a JET_COMMIT_ID of the durable position. */
static void durable_commit(void *ctx, const JET_SIGNATURE *psignLog, lsn_t lsnDurable, int fLogDown)
{
    isam_inst *pinst = ctx;
    JET_PFNDURABLECOMMITCALLBACK pfn = atomic_load(&pinst->pfnDurable);
    if (pfn == NULL)
        return;
    JET_COMMIT_ID id;
    memset(&id, 0, sizeof(id));
    id.signLog = *psignLog;
    id.commitId = (int64_t)lsnDurable;
    (void)pfn(atomic_load(&pinst->instDurable), &id, fLogDown ? JET_bitDurableCommitCallbackLogUnavailable : 0);
}

JET_ERR isam_set_durable_commit_callback(isam_inst *pinst, JET_PFNDURABLECOMMITCALLBACK pfn, JET_INSTANCE inst)
{
    if (pinst == NULL)
        return JET_errInvalidParameter;
    atomic_store(&pinst->instDurable, inst);
    atomic_store(&pinst->pfnDurable, pfn);
    if (pinst->lw == NULL)
        return JET_errSuccess;
    return log_set_durable_callback(pinst->lw, pfn ? durable_commit : NULL, pinst);
}

JET_ERR isam_bt_log(void *ctx, uint8_t type, const log_part *parts, uint32_t cpart, lsn_t *plsn)
{
    return isam_log((isam_inst *)ctx, type, parts, cpart, plsn);
}

/* Write-ahead rule (cache invariant C1): the log is durable up to lsn, and
 * the database's header names lsn's generation (H2). */
static JET_ERR wal(void *ctx, uint32_t dbid, lsn_t lsn)
{
    isam_inst *pinst = ctx;
    if (pinst->lw == NULL || lsn == LSN_NIL)
        return JET_errSuccess;
    JET_ERR err = log_flush(pinst->lw, lsn);
    if (err >= 0)
        err = db_require_gen(pinst, dbid, LSN_GEN(lsn));
    return err;
}

static uint64_t lsn_bytes(const isam_inst *pinst, lsn_t lsn)
{
    return (uint64_t)(uint32_t)LSN_GEN(lsn) * pinst->cfg.log.cbLogFile + (uint64_t)LSN_ISEC(lsn) * LOG_SECTOR +
           LSN_IB(lsn);
}

lsn_t isam_oldest_trx_lsn(isam_inst *pinst)
{
    lsn_t lsn = LSN_NIL;
    os_mutex_lock(&pinst->lock);
    for (isam_trx *t = pinst->active; t; t = t->next)
        if (t->lsnFirst != LSN_NIL && (lsn == LSN_NIL || t->lsnFirst < lsn))
            lsn = t->lsnFirst;
    lsn_t drop = reclaim_oldest_intent_locked(pinst); /* I9: a free list whose drop is pending */
    if (drop != LSN_NIL && (lsn == LSN_NIL || drop < lsn))
        lsn = drop;
    os_mutex_unlock(&pinst->lock);
    return lsn;
}

/* CP3: genMinRequired = gen in every attached dirty logged database. */
static JET_ERR ckpt_headers(isam_inst *pinst, int32_t gen)
{
    JET_ERR err = JET_errSuccess;
    os_mutex_lock(&pinst->lock); /* no database leaves meanwhile (db_close) */
    for (uint32_t i = 1; i <= ISAM_MAX_DBID && err >= 0; i++)
        err = db_header_raise_gen(pinst, pinst->dbs[i], 1, gen); /* H1 (order: inst.lock, then hdrLock) */
    os_mutex_unlock(&pinst->lock);
    return err;
}

/* A failed advance (CP4, F1).  On the checkpointer thread (fThread) the error
 * is kept for the next call (CT5) before the instance goes fatal, so that no
 * call sees the fatal state without it. */
static JET_ERR ckpt_fail(isam_inst *pinst, JET_ERR err, int fThread)
{
    JET_ERR none = JET_errSuccess;
    if (fThread && err < 0)
        (void)atomic_compare_exchange_strong(&pinst->errCkTh, &none, err);
    return isam_fatal(pinst, err);
}

/* ckptMu held. */
static JET_ERR ckpt_set_locked(isam_inst *pinst, lsn_t lsn, int fThread)
{
    os_mutex_assert_held(&pinst->ckptMu);
    if (atomic_load(&pinst->errFatal) < 0)
        return JET_errInstanceUnavailable; /* CP4 */
    if (pinst->lsnCheckpoint != LSN_NIL && lsn < pinst->lsnCheckpoint)
        lsn = pinst->lsnCheckpoint; /* CP2 */
    JET_ERR err = ckpt_headers(pinst, LSN_GEN(lsn));
    if (err >= 0)
        err = log_set_checkpoint(pinst->lw, lsn);
    if (err >= 0)
        pinst->lsnCheckpoint = lsn;
    return err < 0 ? ckpt_fail(pinst, err, fThread) : err;
}

JET_ERR isam_set_checkpoint(isam_inst *pinst, lsn_t lsn)
{
    if (pinst->lw == NULL)
        return JET_errSuccess;
    os_mutex_lock(&pinst->ckptMu);
    os_rwlock_wrlock(&pinst->ckpt); /* CP5: no change in flight anyway */
    cache_raise_image_lsn(pinst->pc, lsn);
    os_rwlock_unlock(&pinst->ckpt);
    JET_ERR err = ckpt_set_locked(pinst, lsn, 0);
    os_mutex_unlock(&pinst->ckptMu);
    return err;
}

/* fForce: advance as far as CP1-CP4 allow now, waiting for another advance
 * in progress, whatever the depth (CK_THREAD: the checkpointer thread, CT5;
 * CK_FORCE: backup, compact); otherwise (CK_MAYBE: an inline commit) only
 * when the depth is reached and no other advance runs.  *pchk (may be NULL)
 * the checkpoint after. */
enum { CK_MAYBE = 0, CK_FORCE = 1, CK_THREAD = 2 };
static JET_ERR checkpoint_advance(isam_inst *pinst, int fForce, lsn_t *pchk)
{
    const int fThread = fForce == CK_THREAD;
    if (pinst->lw == NULL || atomic_load(&pinst->errFatal) < 0)
        return JET_errSuccess;
    /* CP2: one advance at a time; a commit never waits for another's. */
    if (fForce)
        os_mutex_lock(&pinst->ckptMu);
    else if (!os_mutex_trylock(&pinst->ckptMu))
        return JET_errSuccess;
    JET_ERR err = JET_errSuccess;
    lsn_t end = log_end_lsn(pinst->lw), lsnImage;
    uint64_t depth = pinst->cfg.cbCheckpointDepthMax ? pinst->cfg.cbCheckpointDepthMax : 20u << 20;
    /* Measured from where the last advance looked (not from the checkpoint,
     * which a long transaction may hold back: I5). */
    lsn_t base = pinst->lsnCkptEnd > pinst->lsnCheckpoint ? pinst->lsnCkptEnd : pinst->lsnCheckpoint;
    if (!fForce && lsn_bytes(pinst, end) < lsn_bytes(pinst, base) + depth)
        goto done;
    /* CP5: the image threshold moves to the log's end with no page change
     * in flight; every change from here on images a page below it. */
    os_rwlock_wrlock(&pinst->ckpt);
    end = log_end_lsn(pinst->lw);
    cache_raise_image_lsn(pinst->pc, end);
    lsnImage = cache_image_lsn(pinst->pc);
    os_rwlock_unlock(&pinst->ckpt);
    pinst->lsnCkptEnd = end;
    /* CP1: written and synced (a failure leaves the checkpoint alone and,
     * F1, the instance unusable: a failed sync may have dropped pages the
     * cache now believes clean). */
    err = cache_flush_older(pinst->pc, end);
    if (err < 0) {
        err = ckpt_fail(pinst, err, fThread);
        goto done;
    }
    /* With no page change in flight (each holds ckpt shared from its log
     * append to its cache_dirty), the dirty-page table and the log end agree. */
    os_rwlock_wrlock(&pinst->ckpt);
    lsn_t oldest = cache_oldest_rec_lsn(pinst->pc);
    lsn_t trxOldest = isam_oldest_trx_lsn(pinst);
    os_rwlock_unlock(&pinst->ckpt);
    /* CP5: the threshold E (the flush wrote every page dirty before it, so
     * oldest >= E: C4 holds too), never past it. */
    lsn_t chk = end <= lsnImage ? end : lsnImage;
    if (oldest != LSN_NIL && oldest < chk)
        chk = pinst->lsnCheckpoint; /* not expected: stay (CP2 keeps it) */
    if (trxOldest != LSN_NIL && trxOldest < chk)
        chk = trxOldest; /* invariant I5 */
    if (chk != LSN_NIL)
        err = ckpt_set_locked(pinst, chk, fThread);
done:
    if (pchk)
        *pchk = pinst->lsnCheckpoint;
    os_mutex_unlock(&pinst->ckptMu);
    return err;
}

/* ------------------------------------------------------------------------ */
/* The background checkpointer                                               */
/* ------------------------------------------------------------------------ */

/*
 * Invariants of the checkpointer thread (the advance itself keeps CP1-CP5):
 *   CT1. One thread per instance that has a log writer and
 *        !cfg.fCheckpointInline.  isam_init starts it as its very last step
 *        (after crash recovery, which checkpoints inline), so no failure path
 *        of isam_init sees it running; ckth_stop (isam_term, first thing)
 *        sets fStop, wakes it and joins it before anything it uses goes.
 *        Every field below lives in the instance: no global state.
 *   CT2. The thread only runs checkpoint_advance(fForce) -- the same advance
 *        as the inline path, under ckptMu, so CP1-CP5 hold as they are -- and
 *        only when kicked.  It never holds ckThMu while it advances.
 *   CT3. In this mode a commit never advances.  When the log's end reaches
 *        cbCkptDue (bytes: the log's end at the last kick + the depth) it
 *        kicks the thread and sets cbCkptDue = end + depth.  When the thread
 *        still has the previous kick (fKick or fBusy), the log has run a whole
 *        depth past the write-back in flight: the commit waits on ckThIdle
 *        (back-pressure) until that advance ends, then kicks the next.  So
 *        advances are a depth apart, as inline (the same page images: cache.h
 *        C7), and the log is never more than 2 x depth past the durable
 *        checkpoint (inline: 1 x depth plus what other sessions log during
 *        the advance); an active transaction holds it back in both (I5).
 *   CT4. Waiting there cannot deadlock: the committer holds no ckpt,
 *        inst.lock, ckptMu or page latch (ver.c calls after CKPT_LEAVE), at
 *        most a lock ranked below ckThMu (schemaLock, tempLock) that the
 *        advance never takes; every other thread holding ckpt shared (which
 *        the advance waits for) finishes its page change without waiting for
 *        the committer.
 *   CT5. A failed advance makes the instance fatal as inline (F1, CP4: the
 *        checkpoint never moves again, every later logged change fails with
 *        JET_errInstanceUnavailable, JetTerm stops dirty and the next JetInit
 *        recovers); the thread also keeps the error in errCkTh, which the
 *        next commit or logged change returns (once, as the inline commit
 *        returned it; isam_log), and wakes back-pressured commits, which
 *        return it.  A failure that is
 *        not fatal (out of memory) is returned the same way and the next due
 *        commit kicks again.
 *   CT6. ckThMu (LOCK_RANK_CKPT_THREAD) guards fKick, fBusy, fStop and the
 *        conditions; errCkTh and cbCkptDue are written under it and read
 *        without it by the commit's fast path (a stale read only delays a
 *        kick or the error to the next commit, or takes the lock for nothing).
 */

static uint64_t ckpt_depth(const isam_inst *pinst)
{
    return pinst->cfg.cbCheckpointDepthMax ? pinst->cfg.cbCheckpointDepthMax : 20u << 20;
}

static void *ckth_main(void *arg)
{
    isam_inst *pinst = arg;
    os_mutex_lock(&pinst->ckThMu);
    for (;;) {
        while (!pinst->fKick && !pinst->fStop)
            os_cond_wait(&pinst->ckThWork, &pinst->ckThMu);
        if (pinst->fStop)
            break;
        pinst->fKick = 0;
        pinst->fBusy = 1;
        os_mutex_unlock(&pinst->ckThMu); /* CT2 */
        /* CT5: a failure is kept in errCkTh by ckpt_fail, before it is
         * fatal (storing it again here could report it twice). */
        (void)checkpoint_advance(pinst, CK_THREAD, NULL);
        os_mutex_lock(&pinst->ckThMu);
        pinst->fBusy = 0;
        os_cond_broadcast(&pinst->ckThIdle);
    }
    pinst->fBusy = 0;
    os_cond_broadcast(&pinst->ckThIdle);
    os_mutex_unlock(&pinst->ckThMu);
    return NULL;
}

/* CT1: the last step of isam_init. */
static JET_ERR ckth_start(isam_inst *pinst)
{
    if (pinst->lw == NULL || pinst->cfg.fCheckpointInline)
        return JET_errSuccess;
    atomic_store(&pinst->cbCkptDue, lsn_bytes(pinst, log_end_lsn(pinst->lw)) + ckpt_depth(pinst));
    JET_ERR err = os_thread_create(&pinst->ckTh, ckth_main, pinst);
    if (err >= 0)
        pinst->fCkTh = 1;
    return err;
}

/* CT1: stop and join the thread (nothing if it never ran). */
static void ckth_stop(isam_inst *pinst)
{
    if (!pinst->fCkTh)
        return;
    os_mutex_lock(&pinst->ckThMu);
    pinst->fStop = 1;
    os_cond_broadcast(&pinst->ckThWork);
    os_mutex_unlock(&pinst->ckThMu);
    os_thread_join(pinst->ckTh, NULL);
    pinst->fCkTh = 0;
}

JET_ERR isam_maybe_checkpoint(isam_inst *pinst)
{
    if (!pinst->fCkTh)
        return checkpoint_advance(pinst, CK_MAYBE, NULL); /* inline (CP2: never waits for another advance) */
    /* CT3: the fast path, without ckThMu. */
    uint64_t end = lsn_bytes(pinst, log_end_lsn(pinst->lw));
    if (end < atomic_load(&pinst->cbCkptDue) && atomic_load(&pinst->errCkTh) >= 0)
        return JET_errSuccess;
    os_mutex_lock(&pinst->ckThMu);
    if (end >= atomic_load(&pinst->cbCkptDue) && pinst->errCkTh >= 0) {
        /* CT3: back-pressure while the previous kick is still being served. */
        while ((pinst->fKick || pinst->fBusy) && pinst->errCkTh >= 0 && !pinst->fStop)
            os_cond_wait(&pinst->ckThIdle, &pinst->ckThMu);
        if (pinst->errCkTh >= 0 && !pinst->fStop) {
            end = lsn_bytes(pinst, log_end_lsn(pinst->lw));
            atomic_store(&pinst->cbCkptDue, end + ckpt_depth(pinst));
            pinst->fKick = 1;
            os_cond_signal(&pinst->ckThWork);
        }
    }
    JET_ERR err = atomic_exchange(&pinst->errCkTh, JET_errSuccess); /* CT5: returned once */
    os_mutex_unlock(&pinst->ckThMu);
    return err;
}

JET_ERR isam_force_checkpoint(isam_inst *pinst, lsn_t *pchk)
{
    *pchk = LSN_NIL;
    return checkpoint_advance(pinst, CK_FORCE, pchk);
}

/* ------------------------------------------------------------------------ */
/* Start and stop                                                            */
/* ------------------------------------------------------------------------ */

static void emit(isam_inst *pinst, uint32_t id, int32_t level, JET_ERR err, const char *msg)
{
    if (pinst->cfg.event)
        pinst->cfg.event(pinst->cfg.eventctx, id, level, err, msg, 0, NULL);
}

/* The attach list recorded in new log generations. */
static uint32_t attach_list(isam_inst *pinst, log_attach *out)
{
    uint32_t n = 0;
    for (uint32_t i = 1; i <= ISAM_MAX_DBID && n < LOG_MAX_ATTACH; i++) {
        isam_db *pdb = pinst->dbs[i];
        if (pdb == NULL || !pdb->logged)
            continue;
        memset(&out[n], 0, sizeof(out[n]));
        out[n].dbid = pdb->dbid;
        out[n].signDb = pdb->hdr.signDb;
        out[n].lsnAttach = pdb->hdr.lsnAttach;
        size_t len = strnlen(pdb->path, sizeof(out[n].path) - 1); /* informational copy */
        memcpy(out[n].path, pdb->path, len);
        out[n].path[len] = '\0';
        n++;
    }
    return n;
}

void isam_update_attach(isam_inst *pinst)
{
    if (pinst->lw == NULL)
        return;
    log_attach att[LOG_MAX_ATTACH];
    os_mutex_lock(&pinst->lock);
    uint32_t n = attach_list(pinst, att);
    os_mutex_unlock(&pinst->lock);
    log_writer_set_attach(pinst->lw, att, n);
}

JET_ERR isam_open_writer(isam_inst *pinst)
{
    JET_ERR err = isam_open_writer_after(pinst, NULL);
    if (err < 0)
        return err;
    /* A new stream (nothing replayed): nothing before its end is needed. */
    return isam_set_checkpoint(pinst, log_end_lsn(pinst->lw));
}

/* Replay opens the writer with this: the checkpoint stays where the replay
 * started (CP1) until every database it touched is flushed, synced and
 * detached (recovery.c). */
JET_ERR isam_open_writer_after(isam_inst *pinst, const log_header *pafter)
{
    log_attach att[LOG_MAX_ATTACH];
    uint32_t n = attach_list(pinst, att);
    JET_ERR err = log_writer_open_after(&pinst->cfg.log, att, n, pafter, &pinst->signLog, &pinst->lw);
    /* CP5: no change in flight yet; every page now is below the log's end. */
    if (err >= 0)
        cache_raise_image_lsn(pinst->pc, log_end_lsn(pinst->lw));
    return err;
}

JET_ERR isam_init(const isam_config *pcfg, isam_inst **ppinst)
{
    isam_inst *pinst = os_calloc(1, sizeof(*pinst));
    if (pinst == NULL)
        return JET_errOutOfMemory;
    pinst->cfg = *pcfg;
    snprintf(pinst->logdir, sizeof(pinst->logdir), "%s", pcfg->log.log_dir);
    snprintf(pinst->sysdir, sizeof(pinst->sysdir), "%s", pcfg->log.system_dir);
    snprintf(pinst->base, sizeof(pinst->base), "%s", pcfg->log.base);
    pinst->cfg.log.log_dir = pinst->logdir;
    pinst->cfg.log.system_dir = pinst->sysdir;
    pinst->cfg.log.base = pinst->base;
    if (pcfg->altDbPath && pcfg->altDbPath[0]) {
        snprintf(pinst->altdb, sizeof(pinst->altdb), "%s", pcfg->altDbPath);
        pinst->cfg.altDbPath = pinst->altdb;
    } else {
        pinst->cfg.altDbPath = NULL;
    }
    /* The temporary database is scratch: one left by an earlier run goes. */
    if (pcfg->tempPath)
        snprintf(pinst->temppath, sizeof(pinst->temppath), "%s", pcfg->tempPath);
    temp_remove_stale(pinst);
    if (pcfg->cTempTablesMax == 0)
        pinst->temppath[0] = '\0'; /* no temporary database at all */
    pinst->cfg.tempPath = pinst->temppath;
    os_mutex_init(&pinst->lock, "isam.inst.lock", LOCK_RANK_INST);
    os_mutex_init(&pinst->tempLock, "isam.inst.tempLock", LOCK_RANK_TEMP);
    os_rwlock_init(&pinst->ckpt, "isam.inst.ckpt", LOCK_RANK_CKPT);
    os_mutex_init(&pinst->ckptMu, "isam.inst.ckptMu", LOCK_RANK_CKPT_MU);
    os_mutex_init(&pinst->ckThMu, "isam.inst.ckThMu", LOCK_RANK_CKPT_THREAD);
    JET_ERR err = os_cond_init(&pinst->ckThWork);
    if (err >= 0) {
        err = os_cond_init(&pinst->ckThIdle);
        if (err < 0)
            os_cond_destroy(&pinst->ckThWork);
    }
    if (err >= 0) {
        err = cache_create(pcfg->cbPage, pcfg->cpgCacheMax ? pcfg->cpgCacheMax : 1024, &pinst->pc);
        if (err < 0) {
            os_cond_destroy(&pinst->ckThIdle);
            os_cond_destroy(&pinst->ckThWork);
        }
    }
    if (err < 0) {
        os_mutex_destroy(&pinst->ckThMu);
        os_mutex_destroy(&pinst->ckptMu);
        os_mutex_destroy(&pinst->tempLock);
        os_mutex_destroy(&pinst->lock);
        os_free(pinst);
        return err;
    }
    cache_set_wal(pinst->pc, wal, pinst);
    if (pcfg->recovery) {
        int ran = 0;
        err = recovery_run(pinst, &ran);
        if (err >= 0 && pinst->lw == NULL)
            err = isam_open_writer(pinst);
    }
    /* CT1: the last step; nothing below can fail with the thread running. */
    if (err >= 0)
        err = ckth_start(pinst);
    if (err < 0) {
        for (uint32_t i = 1; i <= ISAM_MAX_DBID; i++)
            if (pinst->dbs[i])
                (void)db_close(pinst, pinst->dbs[i], 0);
        if (pinst->lw)
            log_writer_abandon(pinst->lw);
        cache_destroy(pinst->pc);
        ver_free_all(pinst);
        os_cond_destroy(&pinst->ckThIdle);
        os_cond_destroy(&pinst->ckThWork);
        os_mutex_destroy(&pinst->ckThMu);
        os_rwlock_destroy(&pinst->ckpt);
        os_mutex_destroy(&pinst->ckptMu);
        os_mutex_destroy(&pinst->tempLock);
        os_mutex_destroy(&pinst->lock);
        os_free(pinst);
        return err;
    }
    *ppinst = pinst;
    (void)emit;
    return JET_errSuccess;
}

/* Whether a failed clean stop is the consequence of a failure already
 * reported to a caller (F1) or of a full log disk: the stop becomes a dirty
 * one that succeeds, and the next JetInit recovers from the log (every
 * acknowledged commit is in it). */
static int term_may_go_dirty(isam_inst *pinst, JET_ERR err)
{
    return atomic_load(&pinst->errFatal) < 0 || err == JET_errLogDiskFull || err == JET_errInstanceUnavailable ||
           err == JET_errLogWriteFail;
}

JET_ERR isam_term(isam_inst *pinst, int clean)
{
    JET_ERR err = JET_errSuccess;
    /* CT1: joined before anything it uses goes, and before errFatal is read
     * (an advance in flight may still fail); what it left dirty the
     * databases' clean close flushes (or recovery replays). */
    ckth_stop(pinst);
    if (clean && atomic_load(&pinst->errFatal) < 0) {
        /* F1: nothing more is written; pages still dirty are in the log */
        err = atomic_load(&pinst->errFatal);
        clean = 0;
    }
    /* T1: a transaction still here had its rollback refused (its undo could
     * not be logged: a full or failed log disk).  Its changes are in the
     * cache and must never be written as clean: stop dirty, recovery undoes it. */
    if (clean && pinst->active)
        clean = 0;
    isam_defrag_stop_all(pinst); /* defrag.c D2: joined before the databases close */
    ver_cleanup(pinst);
    if (clean)
        reclaim_run(pinst); /* give dropped trees' pages back before the databases close */
    temp_term(pinst);
    for (uint32_t i = 1; i <= ISAM_MAX_DBID; i++) {
        isam_db *pdb = pinst->dbs[i];
        if (pdb == NULL)
            continue;
        JET_ERR e = JET_errSuccess;
        if (clean && err >= 0 && pdb->logged && !pdb->readonly && pinst->lw) {
            uint8_t dbid[4];
            le_put32(dbid, pdb->dbid);
            log_part part = { dbid, sizeof(dbid) };
            lsn_t lsn;
            /* a full log disk still has its reserve logs for this */
            e = log_append_reserve(pinst->lw, LOG_REC_ISAM_DBDETACH, &part, 1, &lsn);
        }
        JET_ERR e2 = db_close(pinst, pdb, clean && err >= 0 && e >= 0);
        if (e >= 0)
            e = e2;
        if (e < 0 && err >= 0)
            err = e;
    }
    if (pinst->lw) {
        /* R7 (recovery.c): a file a failed JetCreateDatabase left behind is removed by the
         * recovery the next JetInit runs (its DBCREATE has no DBROOTS). */
        if (clean && err >= 0 && !pinst->fStaleCreate)
            err = log_writer_close_clean(pinst->lw);
        else
            log_writer_abandon(pinst->lw);
        pinst->lw = NULL;
    }
    if (err < 0 && term_may_go_dirty(pinst, err)) {
        if (pinst->cfg.event) {
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "stopped without a clean shutdown after error %d; the next JetInit recovers", (int)err);
            pinst->cfg.event(pinst->cfg.eventctx, ESEPY_EVENT_TERM_DIRTY, ESEPY_LEVEL_WARNING, err, msg, 0, NULL);
        }
        err = JET_errSuccess;
    }
    cache_destroy(pinst->pc);
    ver_free_all(pinst);
    reclaim_free_all(pinst);
    ls_free_all(pinst);
    while (pinst->active) {
        isam_trx *t = pinst->active;
        pinst->active = t->next;
        os_free(t);
    }
    os_cond_destroy(&pinst->ckThIdle);
    os_cond_destroy(&pinst->ckThWork);
    os_mutex_destroy(&pinst->ckThMu);
    os_rwlock_destroy(&pinst->ckpt);
    os_mutex_destroy(&pinst->ckptMu);
    os_mutex_destroy(&pinst->tempLock);
    os_mutex_destroy(&pinst->lock);
    os_free(pinst);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Sessions                                                                  */
/* ------------------------------------------------------------------------ */

JET_ERR isam_begin_session(isam_inst *pinst, isam_sess **ppsess)
{
    isam_sess *psess = os_calloc(1, sizeof(*psess));
    if (psess == NULL)
        return JET_errOutOfMemory;
    psess->inst = pinst;
    *ppsess = psess;
    return JET_errSuccess;
}

void isam_end_session(isam_sess *psess)
{
    if (psess == NULL)
        return;
    if (psess->trx)
        (void)isam_rollback(psess, JET_bitRollbackAll);
    cursor_close_all(psess);
    cb_free_session(psess);
    isam_inst *pinst = psess->inst;
    os_mutex_lock(&pinst->lock);
    for (uint32_t i = 1; i <= ISAM_MAX_DBID; i++) {
        if (psess->dbopen[i] && pinst->dbs[i]) {
            isam_db *pdb = pinst->dbs[i];
            pdb->copen -= psess->dbopen[i] <= pdb->copen ? psess->dbopen[i] : pdb->copen;
            pdb->csessopen -= psess->dbopen[i] <= pdb->csessopen ? psess->dbopen[i] : pdb->csessopen;
        }
        if (pinst->dbs[i] && pinst->dbs[i]->excl == psess)
            pinst->dbs[i]->excl = NULL;
        psess->dbopen[i] = 0;
    }
    os_mutex_unlock(&pinst->lock);
    os_free(psess);
}

void isam_drop_session(isam_sess *psess)
{
    if (psess == NULL)
        return;
    cursor_close_all(psess);
    cb_free_session(psess);
    os_free(psess); /* psess->trx stays on the active list; isam_term frees it */
}
