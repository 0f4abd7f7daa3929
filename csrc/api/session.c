/*
 * session.c -- sessions: JetBeginSession, JetEndSession, and the entry/exit
 * protocol (sess_enter / sess_leave) that every session-based call follows.
 *
 * Owns: the session slots of each running instance and the JET_SESID
 * encoding.  A session may be used by one thread at a time: a second thread
 * entering a busy session gets JET_errSessionSharingViolation instead of
 * racing it.
 * Must not touch: instance life cycle (instance.c) beyond taking and
 * dropping a reference (instance.refs) for the duration of a call.
 *
 * Handle layout (64-bit):
 *   bits 63..56  0xE5 (session tag)
 *   bits 55..32  generation of the session slot (process-wide counter, never 0)
 *   bits 31..16  session slot + 1
 *   bits 15..0   instance slot + 1
 *
 * Lock-free entry.  sess_enter takes no lock in the common case: it reads
 * the handle's instance slot's session array (proc.sarr) and takes the
 * session with one compare-and-swap of its state word from exactly "this
 * generation, active, idle, no context" to the same with SESS_BUSY, then
 * reads the published instance (proc.live).  Anything else (stale or forged
 * handle, busy session, session context, instance stopping or gone) goes
 * through the locked path, which gives the precise error; sess_leave is one
 * release store.  Invariants (the atomics of sess_enter and
 * sess_quiesce_locked are sequentially consistent, which S4 relies on):
 *   S1. proc.live[i] != NULL only while proc.insts[i] is that instance, its
 *       state is RUNNING and stop_all is 0; published and withdrawn under
 *       proc.lock.
 *   S2. Session arrays are never freed: proc.sarr[i] is made by the first
 *       JetInit in slot i, reused by later instances there (an outgrown one
 *       is kept on the new one's `retired` list), so a word read through a
 *       stale handle is live memory; and an instance's sessions array is
 *       proc.sarr of its slot from JetInit until it is freed.
 *   S3. A session's word changes its generation or SESS_ACTIVE only under
 *       proc.lock, and only while SESS_BUSY is clear (taken by the CAS that
 *       sets SESS_BUSY, or seen clear with every enterer excluded); SESS_BUSY
 *       is set only by a CAS from an idle word and cleared only by the thread
 *       that set it (sess_leave, or a CAS backing out) or by the locked paths
 *       that own the slot.  While it is set no other thread changes the word
 *       (JetSetSessionContext needs it idle; JetResetSessionContext runs on
 *       the owner's thread).  Generations are unique in the process (24 bits,
 *       wrapping), so a CAS with a stale handle's generation fails.
 *   S4. A fast enterer reads live[] after its CAS: either it sees the
 *       withdrawal (and backs out) or JetTerm, which withdraws before it scans
 *       the words (sess_quiesce_locked), sees its SESS_BUSY and waits for it.
 *       An enterer whose CAS succeeded and who then reads a non-NULL live[]
 *       has an instance that cannot be freed before its sess_leave: the word
 *       was active, so the instance owning it had not ended its sessions and
 *       is the slot's live one.  Once sess_quiesce_locked returns, no call is
 *       inside a session of the instance and none can start.
 */
#include "api_int.h"

#include <assert.h>
#include <string.h>


#define SESS_TAG 0xE5ULL

static uint64_t sess_word(uint32_t gen, uint64_t bits)
{
    return ((uint64_t)(gen & 0xFFFFFF) << SESS_GEN_SHIFT) | bits;
}

static uint32_t word_gen(uint64_t w)
{
    return (uint32_t)(w >> SESS_GEN_SHIFT) & 0xFFFFFF;
}

static JET_SESID sess_handle(const instance *pinst, uint32_t idx)
{
    uint64_t w = atomic_load(&pinst->sessions[idx].word);
    return (JET_SESID)((SESS_TAG << 56) | ((uint64_t)word_gen(w) << 32) |
                       ((uint64_t)(idx + 1) << 16) | (pinst->slot + 1));
}

/* The parts of a well-formed session handle; 0 if it is not one. */
static int sess_decode(JET_SESID sesid, uint32_t *pislot, uint32_t *psidx, uint32_t *pgen)
{
    uint64_t v = (uint64_t)sesid;
    if ((v >> 56) != SESS_TAG)
        return 0;
    *pislot = (uint32_t)(v & 0xFFFF);
    *psidx = (uint32_t)((v >> 16) & 0xFFFF);
    *pgen = (uint32_t)((v >> 32) & 0xFFFFFF);
    return *pislot != 0 && *pislot <= PROC_MAX_INSTANCES && *psidx != 0;
}

/* Resolve a session handle under proc.lock; NULL if stale or forged. */
static session *sess_find_locked(JET_SESID sesid, instance **ppinst)
{
    os_mutex_assert_held(&proc.lock);
    uint32_t islot, sidx, gen;
    if (!sess_decode(sesid, &islot, &sidx, &gen))
        return NULL;
    instance *pinst = proc.insts[islot - 1];
    if (pinst == NULL || pinst->sessions == NULL || sidx > pinst->max_sessions)
        return NULL;
    session *s = &pinst->sessions[sidx - 1];
    uint64_t w = atomic_load(&s->word);
    if (!(w & SESS_ACTIVE) || word_gen(w) != gen)
        return NULL;
    *ppinst = pinst;
    return s;
}

/* Set SESS_BUSY on a session found under proc.lock, if it is idle.  A CAS,
 * not a store: a lock-free enterer may take it at the same moment. */
static int sess_try_busy(session *s)
{
    uint64_t w = atomic_load(&s->word);
    while (!(w & SESS_BUSY)) {
        if (atomic_compare_exchange_weak(&s->word, &w, w | SESS_BUSY))
            return 1;
    }
    return 0;
}

void sess_publish_locked(instance *pinst)
{
    os_mutex_assert_held(&proc.lock);
    if (pinst->state == INST_RUNNING && !pinst->stop_all && pinst->sessions != NULL)
        atomic_store(&proc.live[pinst->slot], pinst);
}

void sess_withdraw_locked(instance *pinst)
{
    os_mutex_assert_held(&proc.lock);
    atomic_store(&proc.live[pinst->slot], NULL);
}

void sess_quiesce_locked(instance *pinst)
{
    os_mutex_assert_held(&proc.lock);
    sess_withdraw_locked(pinst);
    for (;;) {
        int busy = 0;
        for (uint32_t i = 0; pinst->sessions != NULL && i < pinst->max_sessions && !busy; i++)
            busy = (atomic_load(&pinst->sessions[i].word) & SESS_BUSY) != 0;
        if (pinst->refs > 0)
            os_cond_wait(&proc.cond, &proc.lock);
        else if (busy)
            /* sess_leave does not signal (it takes no lock): poll.  Calls
             * in flight at JetTerm are rare. */
            os_cond_wait_ms(&proc.cond, &proc.lock, 1);
        else
            return;
    }
}

JET_ERR sess_attach_locked(instance *pinst)
{
    os_mutex_assert_held(&proc.lock);
    uint32_t n = pinst->max_sessions ? pinst->max_sessions : 1;
    sess_array *a = atomic_load(&proc.sarr[pinst->slot]);
    if (a == NULL || a->cap < n) {
        sess_array *b = os_calloc(1, sizeof(sess_array) + (size_t)n * sizeof(session));
        if (b == NULL)
            return JET_errOutOfMemory;
        b->cap = n;
        b->retired = a; /* S2: kept, never freed */
        atomic_store(&proc.sarr[pinst->slot], b);
        a = b;
    }
    for (uint32_t i = 0; i < a->cap; i++) {
        session *s = &a->s[i];
        /* Free since the last instance of the slot ended them all (S3); only
         * the fields besides the word are reset (stale CASes may read it). */
        assert(atomic_load(&s->word) == 0);
        s->isess = NULL;
        s->ctx = 0;
        s->filters = NULL;
    }
    pinst->sessions = a->s;
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR JetBeginSession(JET_INSTANCE instance, JET_SESID *psesid, const char *szUserName,
                                     const char *szPassword)
{
    (void)szUserName;
    (void)szPassword;
    if (psesid == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    struct instance *pinst = inst_find_locked(instance, 1);
    if (pinst == NULL)
        err = JET_errInvalidParameter;
    else if (pinst->state == INST_CREATED || pinst->state == INST_INITIALIZING)
        err = JET_errNotInitialized;
    else if (pinst->state == INST_TERMINATING)
        err = JET_errTermInProgress;
    else if (pinst->stop_all)
        err = JET_errClientRequestToStopJetService;
    else {
        err = JET_errOutOfSessions;
        for (uint32_t i = 0; i < pinst->max_sessions; i++) {
            session *s = &pinst->sessions[i];
            if (atomic_load(&s->word) & SESS_ACTIVE)
                continue;
            JET_ERR e = isam_begin_session(pinst->isam, &s->isess);
            if (e < 0) {
                err = e;
                break;
            }
            if (++proc.sess_next_gen > 0xFFFFFF)
                proc.sess_next_gen = 1;
            s->ctx = 0;
            s->commit_default = 0;
            memset(s->opctx, 0, sizeof(s->opctx));
            s->correlation = 0;
            /* Last (S3): the word publishes the fields above to lock-free enterers. */
            atomic_store(&s->word, sess_word(proc.sess_next_gen, SESS_ACTIVE));
            pinst->csessions++;
            *psesid = sess_handle(pinst, i);
            err = JET_errSuccess;
            break;
        }
    }
    proc_unlock();
    return err;
}

/* The locked path of sess_enter: every case the lock-free one declined. */
static JET_ERR sess_enter_locked(JET_SESID sesid, instance **ppinst, session **ppsess)
{
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    instance *pinst = NULL;
    session *s = sess_find_locked(sesid, &pinst);
    if (s == NULL)
        err = JET_errInvalidSesid;
    else if (pinst->state == INST_TERMINATING)
        err = JET_errTermInProgress;
    else if (pinst->stop_all)
        err = JET_errClientRequestToStopJetService;
    else if ((atomic_load(&s->word) & SESS_CTX) && !os_thread_is_self(s->ctx_thread))
        err = JET_errSessionSharingViolation;
    else if (!sess_try_busy(s))
        err = JET_errSessionSharingViolation;
    else {
        *ppinst = pinst;
        *ppsess = s;
    }
    proc_unlock();
    return err;
}

JET_ERR sess_enter(JET_SESID sesid, instance **ppinst, session **ppsess)
{
    uint32_t islot, sidx, gen;
    if (!sess_decode(sesid, &islot, &sidx, &gen))
        return sess_enter_locked(sesid, ppinst, ppsess);
    sess_array *a = atomic_load_explicit(&proc.sarr[islot - 1], memory_order_acquire);
    if (a != NULL && sidx <= a->cap) {
        session *s = &a->s[sidx - 1];
        uint64_t idle = sess_word(gen, SESS_ACTIVE);
        uint64_t w = idle;
        if (atomic_compare_exchange_strong(&s->word, &w, idle | SESS_BUSY)) {
            instance *pinst = atomic_load(&proc.live[islot - 1]); /* S4 */
            if (pinst != NULL) {
                *ppinst = pinst;
                *ppsess = s;
                return JET_errSuccess;
            }
            /* Withdrawn: back out, unless the slot was taken back meanwhile. */
            w = idle | SESS_BUSY;
            (void)atomic_compare_exchange_strong(&s->word, &w, idle);
        }
    }
    return sess_enter_locked(sesid, ppinst, ppsess);
}

/* While SESS_BUSY is set only its owner changes the word (S3: every other
 * writer needs it idle), so a plain release store clears it: no
 * read-modify-write on the way out. */
void sess_leave(instance *pinst, session *psess)
{
    (void)pinst;
    uint64_t w = atomic_load_explicit(&psess->word, memory_order_relaxed);
    atomic_store_explicit(&psess->word, w & ~(uint64_t)SESS_BUSY, memory_order_release);
}

/* Called by JetTerm once no call is in flight (sess_quiesce_locked).  Every
 * slot is freed (word 0: S2, S3) even when rgisess is NULL (out of memory:
 * the engine sessions are then left to isam_term). */
uint32_t sess_end_all_locked(instance *pinst, isam_sess **rgisess)
{
    os_mutex_assert_held(&proc.lock);
    uint32_t n = 0;
    for (uint32_t i = 0; i < pinst->max_sessions; i++) {
        session *s = &pinst->sessions[i];
        if (atomic_load(&s->word) & SESS_ACTIVE) {
            filter_free_all(s);
            if (rgisess != NULL)
                rgisess[n++] = s->isess;
            s->isess = NULL;
            atomic_store(&s->word, 0);
        }
    }
    pinst->csessions = 0;
    return n;
}

ESEPY_EXPORT JET_ERR JetEndSession(JET_SESID sesid, JET_GRBIT grbit)
{
    if (grbit != 0)
        return JET_errInvalidGrbit;
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    instance *pinst = NULL;
    session *s = sess_find_locked(sesid, &pinst);
    if (s == NULL)
        err = JET_errInvalidSesid;
    else if ((atomic_load(&s->word) & SESS_CTX) && !os_thread_is_self(s->ctx_thread))
        err = atomic_load(&s->word) & SESS_BUSY ? JET_errSessionSharingViolation : JET_errSessionInUse;
    else if (!sess_try_busy(s))
        err = JET_errSessionSharingViolation;
    else {
        /* The slot stays busy (no enterer can take it) while its engine
         * session ends (rollback, closing cursors) without the process lock,
         * then is freed: generation and SESS_ACTIVE cleared (S3). */
        pinst->refs++;
        isam_sess *isess = s->isess;
        s->isess = NULL;
        proc_unlock();
        isam_end_session(isess);
        filter_free_all(s);
        proc_lock();
        atomic_store(&s->word, 0);
        pinst->csessions--;
        pinst->refs--;
        os_cond_broadcast(&proc.cond);
    }
    proc_unlock();
    return err;
}

ESEPY_EXPORT JET_ERR EsepyTestHoldSession(JET_SESID sesid, uint32_t cmsec)
{
    instance *pinst;
    session *s;
    JET_ERR err = sess_enter(sesid, &pinst, &s);
    if (err < 0)
        return err;
    os_sleep_ms(cmsec);
    sess_leave(pinst, s);
    return JET_errSuccess;
}

/* ---- JetDupSession, session contexts and session parameters --------------- */

/* ESENT: a new session of the same instance; the source session must be valid
 * and free, and its transaction state is not copied. */
ESEPY_EXPORT JET_ERR JetDupSession(JET_SESID sesid, JET_SESID *psesid)
{
    if (psesid == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    instance *pinst = NULL;
    session *s = sess_find_locked(sesid, &pinst);
    JET_INSTANCE h = 0;
    if (s == NULL)
        err = JET_errInvalidSesid;
    else
        h = inst_handle(pinst);
    proc_unlock();
    if (err < 0)
        return err;
    return JetBeginSession(h, psesid, NULL, NULL);
}

ESEPY_EXPORT JET_ERR JetSetSessionContext(JET_SESID sesid, JET_API_PTR ulContext)
{
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    instance *pinst = NULL;
    session *s = sess_find_locked(sesid, &pinst);
    if (s == NULL)
        err = JET_errInvalidSesid;
    else if (atomic_load(&s->word) & SESS_CTX)
        err = JET_errSessionContextAlreadySet;
    else {
        /* Only from idle: a CAS, as a lock-free enterer may be taking it. */
        uint64_t w = atomic_load(&s->word) & ~(uint64_t)SESS_BUSY;
        s->ctx = ulContext;
        s->ctx_thread = os_thread_self();
        if (!atomic_compare_exchange_strong(&s->word, &w, w | SESS_CTX))
            err = JET_errSessionSharingViolation;
    }
    proc_unlock();
    return err;
}

ESEPY_EXPORT JET_ERR JetResetSessionContext(JET_SESID sesid)
{
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    instance *pinst = NULL;
    session *s = sess_find_locked(sesid, &pinst);
    if (s == NULL)
        err = JET_errInvalidSesid;
    else if (!(atomic_load(&s->word) & SESS_CTX) || !os_thread_is_self(s->ctx_thread))
        err = JET_errSessionContextNotSetByThisThread;
    else {
        atomic_fetch_and(&s->word, ~(uint64_t)SESS_CTX);
        s->ctx = 0;
    }
    proc_unlock();
    return err;
}

/* ESENT uses the default's JET_bitCommitLazyFlush on each commit (its only
 * effect), so that is the one bit accepted. */
#define COMMIT_DEFAULT_BITS JET_bitCommitLazyFlush

ESEPY_EXPORT JET_ERR JetSetSessionParameter(JET_SESID sesid, uint32_t sesparamid, void *pvParam, uint32_t cbParam)
{
    instance *pinst;
    session *s;
    JET_ERR err = sess_enter(sesid, &pinst, &s);
    if (err < 0)
        return err;
    switch (sesparamid) {
    case JET_sesparamCommitDefault: {
        JET_GRBIT g;
        if (pvParam == NULL || cbParam != sizeof(g)) {
            err = JET_errInvalidBufferSize;
            break;
        }
        memcpy(&g, pvParam, sizeof(g));
        if (g & ~(JET_GRBIT)COMMIT_DEFAULT_BITS)
            err = JET_errInvalidGrbit;
        else
            s->commit_default = g;
        break;
    }
    case JET_sesparamOperationContext:
        if (pvParam == NULL || cbParam != sizeof(s->opctx))
            err = JET_errInvalidBufferSize;
        else
            memcpy(s->opctx, pvParam, sizeof(s->opctx));
        break;
    case JET_sesparamCorrelationID:
        if (pvParam == NULL || cbParam != sizeof(s->correlation))
            err = JET_errInvalidBufferSize;
        else
            memcpy(&s->correlation, pvParam, sizeof(s->correlation));
        break;
    case JET_sesparamTransactionLevel: /* read-only */
    default:
        err = JET_errInvalidParameter;
        break;
    }
    sess_leave(pinst, s);
    return err;
}

ESEPY_EXPORT JET_ERR JetGetSessionParameter(JET_SESID sesid, uint32_t sesparamid, void *pvParam, uint32_t cbParamMax,
                                            uint32_t *pcbParamActual)
{
    instance *pinst;
    session *s;
    JET_ERR err = sess_enter(sesid, &pinst, &s);
    if (err < 0)
        return err;
    uint8_t buf[8];
    uint32_t cb = 0;
    switch (sesparamid) {
    case JET_sesparamCommitDefault:
        cb = sizeof(JET_GRBIT);
        memcpy(buf, &s->commit_default, cb);
        break;
    case JET_sesparamTransactionLevel: {
        uint32_t level = (uint32_t)isam_transaction_level(s->isess);
        cb = sizeof(level);
        memcpy(buf, &level, cb);
        break;
    }
    case JET_sesparamOperationContext:
        cb = sizeof(s->opctx);
        memcpy(buf, s->opctx, cb);
        break;
    case JET_sesparamCorrelationID:
        cb = sizeof(s->correlation);
        memcpy(buf, &s->correlation, cb);
        break;
    default:
        err = JET_errInvalidParameter;
        break;
    }
    if (err >= 0) {
        if (pvParam == NULL || cbParamMax < cb)
            err = JET_errInvalidBufferSize;
        else
            memcpy(pvParam, buf, cb);
        if (pcbParamActual)
            *pcbParamActual = cb;
    }
    sess_leave(pinst, s);
    return err;
}

/* JET_sesparamCommitDefault of a session (the caller has it busy). */
JET_GRBIT sess_commit_default(const session *psess)
{
    return psess->commit_default;
}
