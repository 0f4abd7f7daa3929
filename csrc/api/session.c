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
 */
#include "api_int.h"

#include <string.h>


#define SESS_TAG 0xE5ULL

static JET_SESID sess_handle(const instance *pinst, uint32_t idx)
{
    const session *s = &pinst->sessions[idx];
    return (JET_SESID)((SESS_TAG << 56) | ((uint64_t)(s->gen & 0xFFFFFF) << 32) |
                       ((uint64_t)(idx + 1) << 16) | (pinst->slot + 1));
}

/* Resolve a session handle under proc.lock; NULL if stale or forged. */
static session *sess_find_locked(JET_SESID sesid, instance **ppinst)
{
    os_mutex_assert_held(&proc.lock);
    uint64_t v = (uint64_t)sesid;
    if ((v >> 56) != SESS_TAG)
        return NULL;
    uint32_t islot = (uint32_t)(v & 0xFFFF);
    uint32_t sidx = (uint32_t)((v >> 16) & 0xFFFF);
    uint32_t gen = (uint32_t)((v >> 32) & 0xFFFFFF);
    if (islot == 0 || islot > PROC_MAX_INSTANCES || sidx == 0)
        return NULL;
    instance *pinst = proc.insts[islot - 1];
    if (pinst == NULL || pinst->sessions == NULL || sidx > pinst->max_sessions)
        return NULL;
    session *s = &pinst->sessions[sidx - 1];
    if (!s->active || (s->gen & 0xFFFFFF) != gen)
        return NULL;
    *ppinst = pinst;
    return s;
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
            if (s->active)
                continue;
            JET_ERR e = isam_begin_session(pinst->isam, &s->isess);
            if (e < 0) {
                err = e;
                break;
            }
            if (++proc.sess_next_gen > 0xFFFFFF)
                proc.sess_next_gen = 1;
            s->gen = proc.sess_next_gen;
            s->active = 1;
            s->busy = 0;
            s->has_ctx = 0;
            s->ctx = 0;
            s->commit_default = 0;
            memset(s->opctx, 0, sizeof(s->opctx));
            s->correlation = 0;
            pinst->csessions++;
            *psesid = sess_handle(pinst, i);
            err = JET_errSuccess;
            break;
        }
    }
    proc_unlock();
    return err;
}

JET_ERR sess_enter(JET_SESID sesid, instance **ppinst, session **ppsess)
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
    else if (s->busy || (s->has_ctx && !os_thread_is_self(s->ctx_thread)))
        err = JET_errSessionSharingViolation;
    else {
        s->busy = 1;
        pinst->refs++;
        *ppinst = pinst;
        *ppsess = s;
    }
    proc_unlock();
    return err;
}

void sess_leave(instance *pinst, session *psess)
{
    os_mutex_lock(&proc.lock);
    psess->busy = 0;
    pinst->refs--;
    os_cond_broadcast(&proc.cond);
    os_mutex_unlock(&proc.lock);
}

/* Called by JetTerm once no call is in flight (refs == 0). */
uint32_t sess_end_all_locked(instance *pinst, isam_sess **rgisess)
{
    os_mutex_assert_held(&proc.lock);
    uint32_t n = 0;
    for (uint32_t i = 0; i < pinst->max_sessions; i++) {
        session *s = &pinst->sessions[i];
        if (s->active) {
            filter_free_all(s);
            rgisess[n++] = s->isess;
            s->isess = NULL;
            s->active = 0;
            s->busy = 0;
            s->gen = 0;
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
    else if (s->busy)
        err = JET_errSessionSharingViolation;
    else if (s->has_ctx && !os_thread_is_self(s->ctx_thread))
        err = JET_errSessionInUse;
    else {
        /* Mark the slot busy while its engine session ends (rollback, closing
         * cursors) without the process lock, then free the slot. */
        s->busy = 1;
        pinst->refs++;
        isam_sess *isess = s->isess;
        s->isess = NULL;
        proc_unlock();
        isam_end_session(isess);
        filter_free_all(s);
        proc_lock();
        s->busy = 0;
        s->active = 0;
        s->gen = 0;
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
    else if (s->has_ctx)
        err = JET_errSessionContextAlreadySet;
    else if (s->busy)
        err = JET_errSessionSharingViolation;
    else {
        s->has_ctx = 1;
        s->ctx = ulContext;
        s->ctx_thread = os_thread_self();
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
    else if (!s->has_ctx || !os_thread_is_self(s->ctx_thread))
        err = JET_errSessionContextNotSetByThisThread;
    else {
        s->has_ctx = 0;
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
