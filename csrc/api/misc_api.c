/*
 * misc_api.c -- the ESENT entry points that concern the instance or the
 * process rather than one table: JetStopService*, JetBeginTransaction3,
 * JetGetVersion, JetIdle, JetGetThreadStats, JetGetErrorInfoW,
 * JetGetInstanceMiscInfo, and the Windows-only functions (volume-snapshot
 * writer JetOSSnapshot*) that esepy answers with JET_errDisabledFunctionality.
 *
 * Owns: nothing but argument checking; instance state changes go through
 * the fields api_int.h marks [P], under proc.lock.
 * Must not touch: the engine below isam.h / log.h read-only state queries.
 */
#include "api_int.h"
#include "log.h"

#include <string.h>

/* esepy's build number in JetGetVersion (bits 8..23). */
#define MISC_BUILD_NUMBER 1

/* ---- JetStopService ---------------------------------------------------------
 *
 * ESENT's bits: JET_bitStopServiceAll (0) stops every later call on the
 * instance with JET_errClientRequestToStopJetService and cannot be resumed;
 * BackgroundUserTasks / QuiesceCaches stop resumable background work and are
 * undone by the same bits with JET_bitStopServiceResume (Resume alone undoes
 * all of them).  esepy has no background user tasks and flushes its cache at
 * each checkpoint, so the resumable bits are recorded only. */
#define STOP_RESUMABLE (JET_bitStopServiceBackgroundUserTasks | JET_bitStopServiceQuiesceCaches)
#define STOP_KNOWN     (STOP_RESUMABLE | JET_bitStopServiceStopAndEmitLog | JET_bitStopServiceResume)

ESEPY_EXPORT JET_ERR JetStopServiceInstance2(JET_INSTANCE instance, const JET_GRBIT grbit)
{
    if (grbit & ~(JET_GRBIT)STOP_KNOWN)
        return JET_errInvalidGrbit;
    if (grbit & JET_bitStopServiceStopAndEmitLog)
        return JET_errDisabledFunctionality; /* log shipping's last-chunk hand-off: not offered */
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    struct instance *pinst = inst_find_locked(instance, 1);
    if (pinst == NULL)
        err = JET_errInvalidParameter;
    else if (pinst->state != INST_RUNNING)
        err = pinst->state == INST_TERMINATING ? JET_errTermInProgress : JET_errNotInitialized;
    else if (grbit & JET_bitStopServiceResume) {
        JET_GRBIT which = grbit & ~(JET_GRBIT)JET_bitStopServiceResume;
        if (which == 0 && pinst->stop_all)
            err = JET_errClientRequestToStopJetService; /* a full stop is not resumable */
        else
            pinst->stopped &= which ? ~which : 0;
    } else if (grbit == JET_bitStopServiceAll) {
        pinst->stop_all = 1;
        sess_withdraw_locked(pinst);
        pinst->stopped |= STOP_RESUMABLE;
    } else {
        pinst->stopped |= grbit;
    }
    proc_unlock();
    return err;
}

ESEPY_EXPORT JET_ERR JetStopServiceInstance(JET_INSTANCE instance)
{
    return JetStopServiceInstance2(instance, JET_bitStopServiceAll);
}

ESEPY_EXPORT JET_ERR JetStopService(void)
{
    return JetStopServiceInstance2(0, JET_bitStopServiceAll);
}

/* ---- transactions ------------------------------------------------------------ */

/* ESENT: trxid is the caller's own identifier for tracing; it has no effect on
 * the transaction. */
ESEPY_EXPORT JET_ERR JetBeginTransaction3(JET_SESID sesid, int64_t trxid, JET_GRBIT grbit)
{
    (void)trxid;
    return JetBeginTransaction2(sesid, grbit);
}

/* ---- JetGetVersion ------------------------------------------------------------
 * ESENT packs its version as image major (bits 28..31), image minor (24..27),
 * build number (8..23) and service pack (0..7).  esepy reports ESENT's API
 * level, 10.0 (JET_VERSION 0x0A00), with its own build number. */
ESEPY_EXPORT JET_ERR JetGetVersion(JET_SESID sesid, uint32_t *pwVersion)
{
    if (pwVersion == NULL)
        return JET_errInvalidParameter;
    instance *pinst;
    session *s;
    JET_ERR err = sess_enter(sesid, &pinst, &s);
    if (err < 0)
        return err;
    *pwVersion = ((uint32_t)(JET_VERSION >> 8) << 28) | ((uint32_t)(JET_VERSION & 0xF) << 24) |
                 ((uint32_t)MISC_BUILD_NUMBER << 8);
    sess_leave(pinst, s);
    return JET_errSuccess;
}

/* ---- JetIdle ------------------------------------------------------------------
 * esepy cleans its version store and flushes its cache on its own schedule;
 * JetIdle validates its arguments and reports that nothing was left to do. */
#define IDLE_KNOWN                                                                                           \
    (JET_bitIdleFlushBuffers | JET_bitIdleCompact | JET_bitIdleStatus | JET_bitIdleCompactAsync |            \
     JET_bitIdleAvailBuffersStatus | JET_bitIdleWaitForAsyncActivity)

ESEPY_EXPORT JET_ERR JetIdle(JET_SESID sesid, JET_GRBIT grbit)
{
    instance *pinst;
    session *s;
    JET_ERR err = sess_enter(sesid, &pinst, &s);
    if (err < 0)
        return err;
    err = (grbit & ~(JET_GRBIT)IDLE_KNOWN) ? JET_errInvalidGrbit : JET_wrnNoIdleActivity;
    sess_leave(pinst, s);
    return err;
}

/* ---- JetGetThreadStats -----------------------------------------------------------
 * Fills a JET_THREADSTATS (or JET_THREADSTATS2 when the buffer holds one).
 * esepy keeps no per-thread counters, so the counts are zero. */
ESEPY_EXPORT JET_ERR JetGetThreadStats(void *pvResult, uint32_t cbMax)
{
    if (pvResult == NULL && cbMax)
        return JET_errInvalidParameter;
    uint32_t cb;
    if (cbMax >= sizeof(JET_THREADSTATS2))
        cb = sizeof(JET_THREADSTATS2);
    else if (cbMax >= sizeof(JET_THREADSTATS))
        cb = sizeof(JET_THREADSTATS);
    else
        return JET_errInvalidBufferSize;
    memset(pvResult, 0, cb);
    memcpy(pvResult, &cb, sizeof(cb)); /* cbStruct */
    return JET_errSuccess;
}

/* ---- JetGetErrorInfoW ---------------------------------------------------------
 * JET_ErrorInfoSpecificErr: pvContext points at a JET_ERR; the result is a
 * JET_ERRINFOBASIC_W with the error's category and its place in ESE's
 * category tree (Error > Operation > Resource > Memory, ...).  No source
 * location is given. */
static void errcat_hierarchy(JET_ERRCAT cat, uint8_t out[8])
{
    memset(out, JET_errcatUnknown, 8);
    switch (cat) {
    case JET_errcatUnknown:
        return;
    case JET_errcatError:
        out[0] = JET_errcatError;
        return;
    case JET_errcatOperation:
    case JET_errcatData:
    case JET_errcatApi:
        out[0] = JET_errcatError, out[1] = (uint8_t)cat;
        return;
    case JET_errcatFatal:
    case JET_errcatIO:
    case JET_errcatResource:
        out[0] = JET_errcatError, out[1] = JET_errcatOperation, out[2] = (uint8_t)cat;
        return;
    case JET_errcatMemory:
    case JET_errcatQuota:
    case JET_errcatDisk:
        out[0] = JET_errcatError, out[1] = JET_errcatOperation, out[2] = JET_errcatResource;
        out[3] = (uint8_t)cat;
        return;
    case JET_errcatCorruption:
    case JET_errcatInconsistent:
    case JET_errcatFragmentation:
        out[0] = JET_errcatError, out[1] = JET_errcatData, out[2] = (uint8_t)cat;
        return;
    case JET_errcatUsage:
    case JET_errcatState:
    case JET_errcatObsolete:
        out[0] = JET_errcatError, out[1] = JET_errcatApi, out[2] = (uint8_t)cat;
        return;
    case JET_errcatMax:
        return;
    }
}

ESEPY_EXPORT JET_ERR JetGetErrorInfoW(void *pvContext, void *pvResult, uint32_t cbMax, uint32_t InfoLevel,
                                      JET_GRBIT grbit)
{
    if (InfoLevel != JET_ErrorInfoSpecificErr || pvContext == NULL || grbit != 0)
        return JET_errInvalidParameter;
    if (pvResult == NULL || cbMax < sizeof(JET_ERRINFOBASIC_W))
        return JET_errInvalidBufferSize;
    JET_ERR e;
    memcpy(&e, pvContext, sizeof(e));
    const err_row *row = err_lookup(e);
    if (row == NULL)
        return JET_errInvalidParameter;
    JET_ERRINFOBASIC_W info;
    memset(&info, 0, sizeof(info));
    info.cbStruct = sizeof(info);
    info.errValue = e;
    info.errcatMostSpecific = row->cat;
    errcat_hierarchy(row->cat, info.rgCategoricalHierarchy);
    memcpy(pvResult, &info, sizeof(info));
    return JET_errSuccess;
}

/* ---- JetGetInstanceMiscInfo ----------------------------------------------------
 * JET_InstanceMiscInfoLogSignature: the JET_SIGNATURE of the running
 * instance's log stream (JET_errLoggingDisabled with logging off).  The
 * checkpoint and revert-snapshot levels describe Windows-only files. */
ESEPY_EXPORT JET_ERR JetGetInstanceMiscInfo(JET_INSTANCE instance, void *pvResult, uint32_t cbMax,
                                            uint32_t InfoLevel)
{
    if (InfoLevel != JET_InstanceMiscInfoLogSignature)
        return JET_errInvalidParameter;
    if (pvResult == NULL || cbMax < sizeof(JET_SIGNATURE))
        return JET_errInvalidBufferSize;
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    struct instance *pinst = inst_find_locked(instance, 1);
    if (pinst == NULL)
        err = JET_errInvalidParameter;
    else if (pinst->state != INST_RUNNING)
        err = pinst->state == INST_TERMINATING ? JET_errTermInProgress : JET_errNotInitialized;
    else
        pinst->refs++; /* keeps the engine up while we read it without the lock */
    proc_unlock();
    if (err < 0)
        return err;
    log_writer *plw = isam_log_writer(pinst->isam);
    if (plw == NULL)
        err = JET_errLoggingDisabled;
    else {
        log_writer_info info;
        log_writer_state(plw, &info);
        memcpy(pvResult, &info.signLog, sizeof(JET_SIGNATURE));
    }
    os_mutex_lock(&proc.lock);
    pinst->refs--;
    os_cond_broadcast(&proc.cond);
    os_mutex_unlock(&proc.lock);
    return err;
}

/* ---- Windows volume snapshots (VSS writer) ---------------------------------------
 * JetOSSnapshot* coordinate ESENT with the Windows Volume Shadow Copy
 * service, which does not exist off Windows: each returns
 * JET_errDisabledFunctionality (esepy's online backup, JetBackupInstance and
 * the external backup API, serves the same purpose). */
ESEPY_EXPORT JET_ERR JetOSSnapshotPrepare(JET_OSSNAPID *psnapId, const JET_GRBIT grbit)
{
    (void)psnapId, (void)grbit;
    return JET_errDisabledFunctionality;
}

ESEPY_EXPORT JET_ERR JetOSSnapshotPrepareInstance(JET_OSSNAPID snapId, JET_INSTANCE instance, const JET_GRBIT grbit)
{
    (void)snapId, (void)instance, (void)grbit;
    return JET_errDisabledFunctionality;
}

ESEPY_EXPORT JET_ERR JetOSSnapshotFreeze(const JET_OSSNAPID snapId, uint32_t *pcInstanceInfo,
                                         JET_INSTANCE_INFO **paInstanceInfo, const JET_GRBIT grbit)
{
    (void)snapId, (void)pcInstanceInfo, (void)paInstanceInfo, (void)grbit;
    return JET_errDisabledFunctionality;
}

ESEPY_EXPORT JET_ERR JetOSSnapshotGetFreezeInfo(const JET_OSSNAPID snapId, uint32_t *pcInstanceInfo,
                                                JET_INSTANCE_INFO **paInstanceInfo, const JET_GRBIT grbit)
{
    (void)snapId, (void)pcInstanceInfo, (void)paInstanceInfo, (void)grbit;
    return JET_errDisabledFunctionality;
}

ESEPY_EXPORT JET_ERR JetOSSnapshotThaw(const JET_OSSNAPID snapId, const JET_GRBIT grbit)
{
    (void)snapId, (void)grbit;
    return JET_errDisabledFunctionality;
}

ESEPY_EXPORT JET_ERR JetOSSnapshotAbort(const JET_OSSNAPID snapId, const JET_GRBIT grbit)
{
    (void)snapId, (void)grbit;
    return JET_errDisabledFunctionality;
}

ESEPY_EXPORT JET_ERR JetOSSnapshotEnd(const JET_OSSNAPID snapId, const JET_GRBIT grbit)
{
    (void)snapId, (void)grbit;
    return JET_errDisabledFunctionality;
}

ESEPY_EXPORT JET_ERR JetOSSnapshotTruncateLog(const JET_OSSNAPID snapId, const JET_GRBIT grbit)
{
    (void)snapId, (void)grbit;
    return JET_errDisabledFunctionality;
}

ESEPY_EXPORT JET_ERR JetOSSnapshotTruncateLogInstance(const JET_OSSNAPID snapId, JET_INSTANCE instance,
                                                      const JET_GRBIT grbit)
{
    (void)snapId, (void)instance, (void)grbit;
    return JET_errDisabledFunctionality;
}

/* Windows crash-dump configuration: nothing to configure off Windows. */
ESEPY_EXPORT JET_ERR JetConfigureProcessForCrashDump(const JET_GRBIT grbit)
{
    (void)grbit;
    return JET_errDisabledFunctionality;
}
