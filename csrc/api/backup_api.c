/*
 * backup_api.c -- the Jet* entry points of backup: JetBackupInstance /
 * JetBackup, the external backup API (...Instance and legacy one-instance
 * variants), JetStopBackupInstance / JetStopBackup, and EsepyGetLogPosition
 * (how far the log is durable, for log shipping).
 *
 * Owns: which instance a backup call means (handles, one-instance mode),
 * publishing the running backup in instance.bk so that one backup runs at a
 * time, JetStopBackup and JetTerm can stop it, and no call uses a backup
 * context while another thread ends it (bk_calls).
 * Must not touch: backup files or states (csrc/backup), engine internals.
 *
 * Every call takes a reference on its instance (refs), so JetTerm waits for
 * it after raising bk_stop; a context is ended only once bk_calls is zero.
 */
#include "api_int.h"

#include <stdatomic.h>
#include <string.h>

/* The instance a backup call names: legacy calls need one-instance mode. */
static JET_ERR find_locked(JET_INSTANCE h, int legacy, instance **ppinst)
{
    os_mutex_assert_held(&proc.lock);
    instance *pinst;
    if (legacy) {
        if (proc.mode == MODE_MULTIINST)
            return JET_errRunningInMultiInstanceMode;
        pinst = inst_global_locked();
        if (pinst == NULL)
            return JET_errNotInitialized;
    } else {
        pinst = inst_find_locked(h, proc.mode == MODE_ONEINST);
        if (pinst == NULL)
            return JET_errInvalidParameter;
    }
    if (pinst->state != INST_RUNNING)
        return pinst->restoring ? JET_errRestoreInProgress
               : pinst->state == INST_TERMINATING ? JET_errTermInProgress : JET_errNotInitialized;
    *ppinst = pinst;
    return JET_errSuccess;
}

/* The instance a call names, which must have a published running backup. */
static JET_ERR find_backup_locked(JET_INSTANCE h, int legacy, instance **ppinst)
{
    os_mutex_assert_held(&proc.lock);
    JET_ERR err = find_locked(h, legacy, ppinst);
    if (err >= 0 && ((*ppinst)->bk == NULL || (*ppinst)->bk == BK_RESERVED))
        err = JET_errNoBackup;
    return err;
}

/* Enter a call on the running backup of an instance. */
static JET_ERR bk_enter(JET_INSTANCE h, int legacy, instance **ppinst, bk_ctx **ppbk)
{
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    instance *pinst = NULL;
    err = find_backup_locked(h, legacy, &pinst);
    if (err >= 0) {
        pinst->refs++;
        pinst->bk_calls++;
        *ppinst = pinst;
        *ppbk = pinst->bk;
    }
    proc_unlock();
    return err;
}

static void bk_leave(instance *pinst)
{
    proc_lock();
    pinst->bk_calls--;
    pinst->refs--;
    os_cond_broadcast(&proc.cond);
    proc_unlock();
}

/* Reserve the backup slot of an instance (one backup at a time). */
static JET_ERR bk_reserve(JET_INSTANCE h, int legacy, instance **ppinst)
{
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    instance *pinst = NULL;
    err = find_locked(h, legacy, &pinst);
    if (err >= 0 && pinst->bk != NULL)
        err = JET_errBackupInProgress;
    if (err >= 0) {
        pinst->bk = BK_RESERVED;
        atomic_store(&pinst->bk_stop, 0);
        pinst->refs++;
        *ppinst = pinst;
    }
    proc_unlock();
    return err;
}

static void bk_publish(instance *pinst, bk_ctx *pbk)
{
    proc_lock();
    pinst->bk = pbk;
    pinst->refs--;
    os_cond_broadcast(&proc.cond);
    proc_unlock();
}

/* Take the context away from new calls and wait for those in flight. */
static bk_ctx *bk_take_locked(instance *pinst)
{
    os_mutex_assert_held(&proc.lock);
    bk_ctx *pbk = pinst->bk;
    pinst->bk = BK_RESERVED;
    while (pinst->bk_calls > 0)
        os_cond_wait(&proc.cond, &proc.lock);
    return pbk;
}

static void bk_event(instance *pinst, uint32_t id, int32_t level, JET_ERR err, const char *op, const char *msg,
                     const char *path)
{
    ESEPY_EVENTFIELD f[] = { { "path", path ? path : "" } };
    inst_emit(pinst, id, level, err, op, msg, path ? 1 : 0, f);
}

/* ------------------------------------------------------------------------ */
/* JetBackupInstance                                                         */
/* ------------------------------------------------------------------------ */

static JET_ERR backup_impl(JET_INSTANCE h, int legacy, const char *szPath, JET_GRBIT grbit, JET_PFNSTATUS pfn)
{
    const char *op = legacy ? "JetBackup" : "JetBackupInstance";
    instance *pinst = NULL;
    JET_ERR err = bk_reserve(h, legacy, &pinst);
    if (err < 0)
        return err;
    if (szPath == NULL || szPath[0] == '\0') {
        /* No folder: truncate the logs that are no longer needed. */
        err = bk_truncate_only(pinst->isam);
        proc_lock();
        pinst->bk = NULL;
        pinst->refs--;
        os_cond_broadcast(&proc.cond);
        proc_unlock();
        return err;
    }
    char abs[OS_PATH_MAX];
    bk_ctx *pbk = NULL;
    if (os_path_absolute(szPath, abs, sizeof(abs)) < 0 || strlen(abs) + 32 >= OS_PATH_MAX)
        err = JET_errInvalidPath;
    if (err >= 0)
        err = bk_begin(pinst->isam, grbit & JET_bitBackupIncremental, &pinst->bk_stop, &pbk);
    if (err >= 0) {
        /* instance.bk stays BK_RESERVED: the external API cannot reach this
         * context (it is ended inside bk_backup_to_folder); JetStopBackup and
         * JetTerm stop it through bk_stop. */
        bk_event(pinst, ESEPY_EVENT_BACKUP_BEGIN, ESEPY_LEVEL_INFO, 0, op, "backup begins", abs);
        int fCreate = inst_param_value(pinst, JET_paramCreatePathIfNotExist) != 0;
        err = bk_backup_to_folder(pbk, abs, grbit, fCreate, pfn);
        if (err >= 0)
            bk_event(pinst, ESEPY_EVENT_BACKUP_DONE, ESEPY_LEVEL_INFO, 0, op, "backup complete", abs);
        else
            bk_event(pinst, ESEPY_EVENT_BACKUP_FAILED, ESEPY_LEVEL_ERROR, err, op, "backup failed", abs);
    }
    proc_lock();
    pinst->bk = NULL;
    pinst->refs--;
    os_cond_broadcast(&proc.cond);
    proc_unlock();
    return err;
}

ESEPY_EXPORT JET_ERR JetBackupInstance(JET_INSTANCE instance, const char *szBackupPath, JET_GRBIT grbit,
                                       JET_PFNSTATUS pfnStatus)
{
    return backup_impl(instance, 0, szBackupPath, grbit, pfnStatus);
}

ESEPY_EXPORT JET_ERR JetBackup(const char *szBackupPath, JET_GRBIT grbit, JET_PFNSTATUS pfnStatus)
{
    return backup_impl(0, 1, szBackupPath, grbit, pfnStatus);
}

/* ------------------------------------------------------------------------ */
/* External backup                                                           */
/* ------------------------------------------------------------------------ */

static JET_ERR begin_impl(JET_INSTANCE h, int legacy, JET_GRBIT grbit)
{
    instance *pinst = NULL;
    JET_ERR err = bk_reserve(h, legacy, &pinst);
    if (err < 0)
        return err;
    bk_ctx *pbk = NULL;
    err = bk_begin(pinst->isam, grbit, &pinst->bk_stop, &pbk);
    bk_publish(pinst, err >= 0 ? pbk : NULL);
    if (err >= 0)
        bk_event(pinst, ESEPY_EVENT_BACKUP_BEGIN, ESEPY_LEVEL_INFO, 0, "JetBeginExternalBackupInstance",
                 "external backup begins", NULL);
    return err;
}

ESEPY_EXPORT JET_ERR JetBeginExternalBackupInstance(JET_INSTANCE instance, JET_GRBIT grbit)
{
    return begin_impl(instance, 0, grbit);
}

ESEPY_EXPORT JET_ERR JetBeginExternalBackup(JET_GRBIT grbit)
{
    return begin_impl(0, 1, grbit);
}

#define BK_CALL(h, legacy, expr)                                \
    do {                                                        \
        struct instance *pinst_ = NULL;                         \
        bk_ctx *pbk = NULL;                                     \
        JET_ERR err_ = bk_enter((h), (legacy), &pinst_, &pbk);  \
        if (err_ < 0)                                           \
            return err_;                                        \
        err_ = (expr);                                          \
        bk_leave(pinst_);                                       \
        return err_;                                            \
    } while (0)

ESEPY_EXPORT JET_ERR JetGetAttachInfoInstance(JET_INSTANCE instance, char *szzDatabases, uint32_t cbMax,
                                              uint32_t *pcbActual)
{
    BK_CALL(instance, 0, bk_get_attach_info(pbk, szzDatabases, cbMax, pcbActual));
}

ESEPY_EXPORT JET_ERR JetGetAttachInfo(char *szzDatabases, uint32_t cbMax, uint32_t *pcbActual)
{
    BK_CALL(0, 1, bk_get_attach_info(pbk, szzDatabases, cbMax, pcbActual));
}

ESEPY_EXPORT JET_ERR JetOpenFileInstance(JET_INSTANCE instance, const char *szFileName, JET_HANDLE *phfFile,
                                         uint32_t *pulFileSizeLow, uint32_t *pulFileSizeHigh)
{
    BK_CALL(instance, 0, bk_open_file(pbk, szFileName, phfFile, pulFileSizeLow, pulFileSizeHigh));
}

ESEPY_EXPORT JET_ERR JetOpenFile(const char *szFileName, JET_HANDLE *phfFile, uint32_t *pulFileSizeLow,
                                 uint32_t *pulFileSizeHigh)
{
    BK_CALL(0, 1, bk_open_file(pbk, szFileName, phfFile, pulFileSizeLow, pulFileSizeHigh));
}

ESEPY_EXPORT JET_ERR JetReadFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile, void *pv, uint32_t cb,
                                         uint32_t *pcbActual)
{
    BK_CALL(instance, 0, bk_read_file(pbk, hfFile, pv, cb, pcbActual));
}

ESEPY_EXPORT JET_ERR JetReadFile(JET_HANDLE hfFile, void *pv, uint32_t cb, uint32_t *pcbActual)
{
    BK_CALL(0, 1, bk_read_file(pbk, hfFile, pv, cb, pcbActual));
}

ESEPY_EXPORT JET_ERR JetCloseFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile)
{
    BK_CALL(instance, 0, bk_close_file(pbk, hfFile));
}

ESEPY_EXPORT JET_ERR JetCloseFile(JET_HANDLE hfFile)
{
    BK_CALL(0, 1, bk_close_file(pbk, hfFile));
}

ESEPY_EXPORT JET_ERR JetGetLogInfoInstance(JET_INSTANCE instance, char *szzLogs, uint32_t cbMax,
                                           uint32_t *pcbActual)
{
    BK_CALL(instance, 0, bk_get_log_info(pbk, szzLogs, cbMax, pcbActual, NULL));
}

ESEPY_EXPORT JET_ERR JetGetLogInfoInstance2(JET_INSTANCE instance, char *szzLogs, uint32_t cbMax,
                                            uint32_t *pcbActual, JET_LOGINFO *pLogInfo)
{
    BK_CALL(instance, 0, bk_get_log_info(pbk, szzLogs, cbMax, pcbActual, pLogInfo));
}

ESEPY_EXPORT JET_ERR JetGetLogInfo(char *szzLogs, uint32_t cbMax, uint32_t *pcbActual)
{
    BK_CALL(0, 1, bk_get_log_info(pbk, szzLogs, cbMax, pcbActual, NULL));
}

ESEPY_EXPORT JET_ERR JetGetTruncateLogInfoInstance(JET_INSTANCE instance, char *szzLogs, uint32_t cbMax,
                                                   uint32_t *pcbActual)
{
    BK_CALL(instance, 0, bk_get_truncate_log_info(pbk, szzLogs, cbMax, pcbActual));
}

ESEPY_EXPORT JET_ERR JetTruncateLogInstance(JET_INSTANCE instance)
{
    BK_CALL(instance, 0, bk_truncate_log(pbk));
}

ESEPY_EXPORT JET_ERR JetTruncateLog(void)
{
    BK_CALL(0, 1, bk_truncate_log(pbk));
}

/* EsepyGetLogPosition: where the instance's log is durable up to (log
 * shipping: a generation at isec 1, ib 0 holds no record yet).  Takes a
 * reference on the instance like every backup call, so JetTerm waits for it. */
ESEPY_EXPORT JET_ERR EsepyGetLogPosition(JET_INSTANCE h, JET_LGPOS *plgposDurable)
{
    if (plgposDurable == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    instance *pinst = NULL;
    err = find_locked(h, 0, &pinst);
    if (err >= 0)
        pinst->refs++;
    proc_unlock();
    if (err < 0)
        return err;
    log_writer *plw = isam_log_writer(pinst->isam);
    if (plw == NULL)
        err = JET_errFeatureNotAvailable; /* JET_paramRecovery "off": no log */
    else
        *plgposDurable = lsn_to_lgpos(log_durable_lsn(plw));
    proc_lock();
    pinst->refs--;
    os_cond_broadcast(&proc.cond);
    proc_unlock();
    return err;
}

static JET_ERR end_impl(JET_INSTANCE h, int legacy, JET_GRBIT grbit)
{
    JET_GRBIT kind = grbit & (JET_bitBackupEndNormal | JET_bitBackupEndAbort);
    if ((grbit & ~(JET_GRBIT)(JET_bitBackupEndNormal | JET_bitBackupEndAbort | JET_bitBackupTruncateDone)) ||
        (kind != JET_bitBackupEndNormal && kind != JET_bitBackupEndAbort))
        return JET_errInvalidParameter;
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    instance *pinst = NULL;
    err = find_backup_locked(h, legacy, &pinst);
    bk_ctx *pbk = NULL;
    if (err >= 0) {
        pinst->refs++;
        pbk = bk_take_locked(pinst);
    }
    proc_unlock();
    if (err < 0)
        return err;
    err = bk_end(pbk, grbit);
    proc_lock();
    pinst->bk = NULL;
    pinst->refs--;
    os_cond_broadcast(&proc.cond);
    proc_unlock();
    if (err >= 0 && kind == JET_bitBackupEndNormal)
        bk_event(pinst, ESEPY_EVENT_BACKUP_DONE, ESEPY_LEVEL_INFO, 0, "JetEndExternalBackupInstance2",
                 "external backup ended", NULL);
    else
        bk_event(pinst, ESEPY_EVENT_BACKUP_FAILED, err < 0 ? ESEPY_LEVEL_ERROR : ESEPY_LEVEL_WARNING, err,
                 "JetEndExternalBackupInstance2", "external backup aborted", NULL);
    return err;
}

ESEPY_EXPORT JET_ERR JetEndExternalBackupInstance2(JET_INSTANCE instance, JET_GRBIT grbit)
{
    return end_impl(instance, 0, grbit);
}

ESEPY_EXPORT JET_ERR JetEndExternalBackupInstance(JET_INSTANCE instance)
{
    return end_impl(instance, 0, JET_bitBackupEndNormal);
}

ESEPY_EXPORT JET_ERR JetEndExternalBackup(void)
{
    return end_impl(0, 1, JET_bitBackupEndNormal);
}

/* ------------------------------------------------------------------------ */
/* Stop                                                                      */
/* ------------------------------------------------------------------------ */

static JET_ERR stop_impl(JET_INSTANCE h, int legacy)
{
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    instance *pinst = NULL;
    err = find_locked(h, legacy, &pinst);
    if (err >= 0)
        atomic_store(&pinst->bk_stop, 1); /* the next backup call fails with JET_errBackupAbortByServer */
    proc_unlock();
    return err;
}

ESEPY_EXPORT JET_ERR JetStopBackupInstance(JET_INSTANCE instance)
{
    return stop_impl(instance, 0);
}

ESEPY_EXPORT JET_ERR JetStopBackup(void)
{
    return stop_impl(0, 1);
}
