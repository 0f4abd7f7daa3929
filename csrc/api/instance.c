/*
 * instance.c -- the process table and the instance API: instance modes,
 * JetCreateInstance(2), JetInit(2,3), JetTerm(2), JetEnableMultiInstance,
 * JetSet/GetSystemParameter, JetGetInstanceInfo, JetFreeBuffer.
 *
 * Owns: `proc`, the only global mutable engine state, and every instance's
 * life cycle (see the state diagram in api_int.h).  Handles are encoded
 * integers validated on every call; a forged or stale handle is an error,
 * never a dereference.
 * Must not touch: file contents (lower layers do that) or sessions' internals
 * (session.c).
 *
 * Invariants (all under proc.lock):
 *   1. proc.cinsts == number of non-NULL proc.insts[] entries.
 *   2. proc.mode == MODE_NOSET implies proc.cinsts == 0.  The mode returns to
 *      MODE_NOSET when the last instance is freed.
 *   3. In MODE_ONEINST at most one instance exists (the global instance).
 *   4. No two instances in state INITIALIZING or RUNNING share a system or log
 *      folder (in either role), nor a temporary database path.
 *   5. An instance is freed only when refs == 0 and no session is active.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

_Static_assert(sizeof(JET_API_PTR) == 8, "esepy's handle encoding needs 64-bit pointers");
_Static_assert(sizeof(JET_LGPOS) == 8, "JET_LGPOS layout");
_Static_assert(sizeof(JET_LOGTIME) == 8, "JET_LOGTIME layout");
_Static_assert(sizeof(JET_SIGNATURE) == 28, "JET_SIGNATURE layout");
_Static_assert(sizeof(JET_BKINFO) == 24, "JET_BKINFO layout");
_Static_assert(sizeof(JET_DBINFOMISC) == 216, "JET_DBINFOMISC layout");
_Static_assert(offsetof(JET_DBINFOMISC, cbPageSize) == 212, "JET_DBINFOMISC layout");
_Static_assert(sizeof(JET_SNPROG) == 12, "JET_SNPROG layout");
_Static_assert(sizeof(JET_RSTMAP) == 16, "JET_RSTMAP layout");
_Static_assert(sizeof(JET_RSTINFO) == 48, "JET_RSTINFO layout");
_Static_assert(sizeof(JET_INSTANCE_INFO) == 48, "JET_INSTANCE_INFO layout");
_Static_assert(sizeof(JET_LOGINFO) == 16, "JET_LOGINFO layout");
_Static_assert(sizeof(JET_COLUMNDEF) == 28, "JET_COLUMNDEF layout");
_Static_assert(sizeof(JET_SETINFO) == 12, "JET_SETINFO layout");
_Static_assert(sizeof(JET_RETINFO) == 16, "JET_RETINFO layout");

struct proc_table proc = {
    .lock = OS_MUTEX_INIT("api.proc.lock", LOCK_RANK_PROC),
    .cond = OS_COND_INIT,
    .event_lock = OS_MUTEX_INIT("api.proc.event_lock", LOCK_RANK_EVENT),
};

/* ------------------------------------------------------------------------ */
/* Process table                                                             */
/* ------------------------------------------------------------------------ */

JET_ERR proc_lock(void)
{
    os_mutex_lock(&proc.lock);
    if (!proc.initialized) {
        JET_ERR err = param_init_defaults(proc.defaults);
        if (err < 0) {
            os_mutex_unlock(&proc.lock);
            return err;
        }
        proc.initialized = 1;
    }
    return JET_errSuccess;
}

void proc_unlock(void)
{
    os_mutex_unlock(&proc.lock);
}

static JET_API_PTR proc_param(uint32_t id)
{
    return proc.defaults[param_index(id)].num;
}

static JET_API_PTR inst_param(const instance *pinst, uint32_t id);

JET_API_PTR inst_param_value(const instance *pinst, uint32_t id)
{
    return inst_param(pinst, id);
}

static JET_API_PTR inst_param(const instance *pinst, uint32_t id)
{
    return pinst->params[param_index(id)].num;
}

static const char *inst_param_str(const instance *pinst, uint32_t id)
{
    return pinst->params[param_index(id)].str;
}

/* ------------------------------------------------------------------------ */
/* Handles                                                                   */
/*                                                                           */
/*   bits 63..56  0xE1 (instance tag)                                        */
/*   bits 47..16  generation of the slot (never 0)                           */
/*   bits 15..0   slot + 1                                                   */
/* ------------------------------------------------------------------------ */
#define INST_TAG 0xE1ULL

JET_INSTANCE inst_handle(const instance *pinst)
{
    return (JET_INSTANCE)((INST_TAG << 56) | ((uint64_t)pinst->gen << 16) | (pinst->slot + 1));
}

instance *inst_global_locked(void)
{
    os_mutex_assert_held(&proc.lock);
    if (proc.mode != MODE_ONEINST)
        return NULL;
    for (uint32_t i = 0; i < PROC_MAX_INSTANCES; i++)
        if (proc.insts[i])
            return proc.insts[i];
    return NULL;
}

instance *inst_find_locked(JET_INSTANCE h, int allow_global)
{
    os_mutex_assert_held(&proc.lock);
    if (h == 0 || h == JET_instanceNil)
        return allow_global ? inst_global_locked() : NULL;
    uint64_t v = (uint64_t)h;
    if ((v >> 56) != INST_TAG || (v & 0x00FF000000000000ULL) != 0)
        return NULL;
    uint32_t slot = (uint32_t)(v & 0xFFFF);
    uint32_t gen = (uint32_t)((v >> 16) & 0xFFFFFFFFu);
    if (slot == 0 || slot > PROC_MAX_INSTANCES)
        return NULL;
    instance *pinst = proc.insts[slot - 1];
    if (pinst == NULL || pinst->gen != gen)
        return NULL;
    return pinst;
}

void inst_free(instance *pinst)
{
    if (pinst == NULL)
        return;
    param_free(pinst->params);
    os_free(pinst->name);
    os_free(pinst->display_name);
    os_free(pinst->abs_system);
    os_free(pinst->abs_log);
    os_free(pinst->abs_temp);
    /* pinst->sessions belongs to the slot (session.c, S2). */
    os_free(pinst);
}

/* Remove `pinst` from the table (under proc.lock) and reset the mode when it
 * was the last instance (invariant 2). */
static void inst_remove_locked(instance *pinst)
{
    os_mutex_assert_held(&proc.lock);
    proc.insts[pinst->slot] = NULL;
    proc.cinsts--;
    if (proc.cinsts == 0)
        proc.mode = MODE_NOSET;
}

static int same_name(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

/* Allocate a CREATED instance in a free slot.  Mode checks are the caller's. */
static JET_ERR inst_create_locked(const char *name, const char *display, int implicit,
                                  instance **ppinst)
{
    os_mutex_assert_held(&proc.lock);
    if (name && name[0] == '\0')
        name = NULL;
    if ((name && strlen(name) > JET_cbFullNameMost) || (display && strlen(display) > JET_cbFullNameMost))
        return JET_errInvalidParameter;
    if (proc.cinsts >= proc_param(JET_paramMaxInstances))
        return JET_errTooManyInstances;
    uint32_t slot = PROC_MAX_INSTANCES;
    for (uint32_t i = 0; i < PROC_MAX_INSTANCES; i++) {
        instance *other = proc.insts[i];
        if (other == NULL) {
            if (slot == PROC_MAX_INSTANCES)
                slot = i;
        } else if (same_name(other->name, name)) {
            return JET_errInstanceNameInUse;
        }
    }
    if (slot == PROC_MAX_INSTANCES)
        return JET_errTooManyInstances;

    instance *pinst = os_calloc(1, sizeof(*pinst));
    if (pinst == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = param_copy(pinst->params, proc.defaults);
    if (err < 0) {
        os_free(pinst);
        return err;
    }
    if ((name && (pinst->name = os_strdup(name)) == NULL) ||
        (display && (pinst->display_name = os_strdup(display)) == NULL)) {
        inst_free(pinst);
        return JET_errOutOfMemory;
    }
    if (++proc.gens[slot] == 0)
        proc.gens[slot] = 1;
    pinst->slot = slot;
    pinst->gen = proc.gens[slot];
    pinst->state = INST_CREATED;
    pinst->implicit = implicit;
    proc.insts[slot] = pinst;
    proc.cinsts++;
    *ppinst = pinst;
    return JET_errSuccess;
}

/* ------------------------------------------------------------------------ */
/* Events                                                                    */
/* ------------------------------------------------------------------------ */

/* Emit an event about `pinst`, honouring its EventLoggingLevel (0 = silent) and
 * NoInformationEvent.  Call without proc.lock; pinst must still be alive. */
static void inst_event(const instance *pinst, uint32_t id, int32_t level, JET_ERR err,
                       const char *op, const char *msg, uint32_t cfields,
                       const ESEPY_EVENTFIELD *fields)
{
    if (inst_param(pinst, JET_paramEventLoggingLevel) == 0)
        return;
    if (level <= ESEPY_LEVEL_INFO && inst_param(pinst, JET_paramNoInformationEvent))
        return;
    event_emit(id, level, err, inst_handle(pinst), pinst->name, op, msg, cfields, fields);
}

void inst_emit(const instance *pinst, uint32_t id, int32_t level, JET_ERR err, const char *op, const char *msg,
               uint32_t cfields, const ESEPY_EVENTFIELD *fields)
{
    inst_event(pinst, id, level, err, op, msg, cfields, fields);
}

/* Events from the engine: recovery's are reported as JetInit's, a damaged
 * database found at attach as JetAttachDatabase's. */
static void isam_event(void *ctx, uint32_t id, int32_t level, JET_ERR err, const char *msg, uint32_t cfields,
                       const ESEPY_EVENTFIELD *fields)
{
    const char *op = id == ESEPY_EVENT_DATABASE_CORRUPTED ? "JetAttachDatabase"
                     : id == ESEPY_EVENT_PAGE_CORRUPTED ? "database page read"
                                                        : "JetInit";
    inst_event(ctx, id, level, err, op, msg, cfields, fields);
}

static void err_event_message(char *buf, size_t cb, const char *what, JET_ERR err)
{
    const err_row *r = err_lookup(err);
    snprintf(buf, cb, "%s failed with %s (%d): %s", what, r ? r->name : "JET_err?", (int)err,
             r ? r->message : "unknown error");
}

/* ------------------------------------------------------------------------ */
/* JetCreateInstance                                                         */
/* ------------------------------------------------------------------------ */

ESEPY_EXPORT JET_ERR JetCreateInstance2(JET_INSTANCE *pinstance, const char *szInstanceName,
                                        const char *szDisplayName, JET_GRBIT grbit)
{
    if (pinstance == NULL)
        return JET_errInvalidParameter;
    if (grbit != 0)
        return JET_errInvalidGrbit;
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    if (proc.mode == MODE_ONEINST) {
        proc_unlock();
        return JET_errRunningInOneInstanceMode;
    }
    run_mode old = proc.mode;
    proc.mode = MODE_MULTIINST;
    instance *pinst = NULL;
    err = inst_create_locked(szInstanceName, szDisplayName, 0, &pinst);
    if (err < 0)
        proc.mode = old;
    else
        *pinstance = inst_handle(pinst);
    proc_unlock();
    return err;
}

ESEPY_EXPORT JET_ERR JetCreateInstance(JET_INSTANCE *pinstance, const char *szInstanceName)
{
    return JetCreateInstance2(pinstance, szInstanceName, NULL, 0);
}

/* ------------------------------------------------------------------------ */
/* JetInit                                                                   */
/* ------------------------------------------------------------------------ */

#define INIT_GRBITS_KNOWN                                                                          \
    (JET_bitReplayReplicatedLogFiles | JET_bitReplayIgnoreMissingDB | JET_bitRecoveryWithoutUndo | \
     JET_bitTruncateLogsAfterRecovery | JET_bitReplayMissingMapEntryDB | JET_bitLogStreamMustExist | \
     JET_bitReplayIgnoreLostLogs | JET_bitKeepDbAttachedAtEndOfRecovery)

/* Paths an instance will use, resolved before it is allowed to run. */
typedef struct init_paths {
    char system[OS_PATH_MAX];
    char log[OS_PATH_MAX];
    char temp[OS_PATH_MAX];
} init_paths;

/* Resolve a folder parameter: absolute, existing (created when allowed). */
static JET_ERR resolve_folder(const char *value, int create, char *out)
{
    JET_ERR err = os_path_absolute(value, out, OS_PATH_MAX);
    if (err < 0)
        return JET_errInvalidPath;
    if (os_is_dir(out))
        return JET_errSuccess;
    if (!create)
        return JET_errInvalidPath;
    err = os_mkdir_p(out);
    return err < 0 ? err : JET_errSuccess;
}

/* Work out and check the instance's folders.  `params` is a private snapshot. */
static JET_ERR resolve_paths(const param_value *params, init_paths *paths)
{
    int create = params[param_index(JET_paramCreatePathIfNotExist)].num != 0;
    JET_ERR err = resolve_folder(params[param_index(JET_paramSystemPath)].str, create, paths->system);
    if (err < 0)
        return err;
    err = resolve_folder(params[param_index(JET_paramLogFilePath)].str, create, paths->log);
    if (err < 0)
        return err;

    /* TempPath names the temporary database file, or a folder when it ends
     * with '/' (the file is then tmp.edb inside it). */
    const char *temp = params[param_index(JET_paramTempPath)].str;
    size_t len = strlen(temp);
    char dir[OS_PATH_MAX];
    if (temp[len - 1] == '/') {
        err = resolve_folder(temp, create, dir);
        if (err < 0)
            return err;
        size_t n = strlen(dir);
        if (n + sizeof("/tmp.edb") > OS_PATH_MAX)
            return JET_errInvalidPath;
        memcpy(paths->temp, dir, n);
        if (strcmp(dir, "/") != 0)
            paths->temp[n++] = '/';
        memcpy(paths->temp + n, "tmp.edb", sizeof("tmp.edb"));
        return JET_errSuccess;
    }
    if (os_path_absolute(temp, paths->temp, OS_PATH_MAX) < 0)
        return JET_errInvalidPath;
    memcpy(dir, paths->temp, strlen(paths->temp) + 1);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    if (os_is_dir(paths->temp))
        return JET_errInvalidPath; /* a folder where a file is expected */
    if (!os_is_dir(dir)) {
        if (!create)
            return JET_errInvalidPath;
        err = os_mkdir_p(dir);
        if (err < 0)
            return err;
    }
    return JET_errSuccess;
}

/* Invariant 4: refuse folders another live instance of this process uses.
 * As ESENT: the system and log folders clash only when both instances log
 * (the other has logging on, this one runs with recovery on), the temporary
 * database only when both may create one (JET_paramMaxTemporaryTables > 0);
 * so instances with logging off and no temporary tables may share folders. */
static JET_ERR check_paths_in_use_locked(const instance *self, const init_paths *paths)
{
    os_mutex_assert_held(&proc.lock);
    for (uint32_t i = 0; i < PROC_MAX_INSTANCES; i++) {
        const instance *o = proc.insts[i];
        if (o == NULL || o == self || o->abs_system == NULL)
            continue;
        if (o->uses_log && self->uses_log) {
            if (!strcmp(o->abs_system, paths->system) || !strcmp(o->abs_log, paths->system))
                return JET_errSystemPathInUse;
            if (!strcmp(o->abs_log, paths->log) || !strcmp(o->abs_system, paths->log))
                return JET_errLogFilePathInUse;
        }
        if (o->uses_temp && self->uses_temp && !strcmp(o->abs_temp, paths->temp))
            return JET_errTempPathInUse;
    }
    return JET_errSuccess;
}

/* Keep other processes off this instance's folders (advisory locks).  An
 * instance with logging off keeps nothing there (no checkpoint, no logs) and
 * takes no lock, so it may share them. */
static JET_ERR lock_paths(instance *pinst)
{
    if (!pinst->uses_log)
        return JET_errSuccess;
    JET_ERR err = os_lock_dir(pinst->abs_system, &pinst->lock_system);
    if (err < 0)
        return err == JET_errFileAccessDenied ? JET_errSystemPathInUse : err;
    if (strcmp(pinst->abs_system, pinst->abs_log) != 0) {
        err = os_lock_dir(pinst->abs_log, &pinst->lock_log);
        if (err < 0) {
            os_unlock(pinst->lock_system);
            pinst->lock_system = NULL;
            return err == JET_errFileAccessDenied ? JET_errLogFilePathInUse : err;
        }
    }
    return JET_errSuccess;
}

static void unlock_paths(instance *pinst)
{
    os_unlock(pinst->lock_log);
    os_unlock(pinst->lock_system);
    pinst->lock_log = pinst->lock_system = NULL;
}

/* Start the engine for an instance whose folders are resolved and locked:
 * open the log stream, run crash recovery, get ready for sessions.  No lock
 * held (this does I/O). */
static void engine_config(instance *pinst, const JET_RSTINFO *prst, JET_GRBIT grbit, isam_config *pcfg)
{
    isam_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.log.log_dir = pinst->abs_log;
    cfg.log.system_dir = pinst->abs_system;
    cfg.log.base = inst_param_str(pinst, JET_paramBaseName);
    cfg.log.cbLogFile = (uint32_t)inst_param(pinst, JET_paramLogFileSize) * 1024u;
    cfg.log.legacy_names = (uint32_t)inst_param(pinst, JET_paramLegacyFileNames);
    cfg.log.circular = inst_param(pinst, JET_paramCircularLog) != 0;
    cfg.recovery = strcasecmp(inst_param_str(pinst, JET_paramRecovery), "off") != 0;
    proc_lock();
    cfg.cbPage = (uint32_t)proc_param(JET_paramDatabasePageSize);
    JET_API_PTR cacheMax = proc_param(JET_paramCacheSizeMax);
    uint64_t cbVerPage = proc_param(JET_paramVerPageSize);
    proc_unlock();
    cfg.log.cbPage = cfg.cbPage;
    /* The default CacheSizeMax means "dynamic": esepy then caps the cache at
     * 256 MiB so memory stays bounded. */
    uint64_t dyn = (256u << 20) / cfg.cbPage;
    cfg.cpgCacheMax = (uint32_t)(cacheMax < dyn ? cacheMax : dyn);
    if (cfg.cpgCacheMax < 16)
        cfg.cpgCacheMax = 16;
    cfg.cbCheckpointDepthMax = inst_param(pinst, JET_paramCheckpointDepthMax);
    cfg.fCheckpointInline = inst_param(pinst, ESEPY_paramCheckpointThread) == 0;
    cfg.cpgDbExtension = (uint32_t)inst_param(pinst, JET_paramDbExtensionSize);
    cfg.cbVersionStoreMax = (uint64_t)inst_param(pinst, JET_paramMaxVerPages) * cbVerPage;
    cfg.grbitCommitDefault = (JET_GRBIT)inst_param(pinst, JET_paramCommitDefault);
    cfg.altDbPath = inst_param_str(pinst, JET_paramAlternateDatabaseRecoveryPath);
    cfg.grbitInit = grbit;
    if (prst) {
        cfg.rgrstmap = prst->rgrstmap;
        cfg.crstmap = prst->crstmap;
        cfg.lsnStop = prst->lgposStop.lGeneration ? lgpos_to_lsn(&prst->lgposStop) : LSN_NIL;
        cfg.pfnStatus = prst->pfnStatus;
    }
    cfg.event = isam_event;
    cfg.eventctx = pinst;
    cfg.tempPath = pinst->abs_temp;
    cfg.cTempTablesMax = (uint32_t)inst_param(pinst, JET_paramMaxTemporaryTables);
    cfg.cCursorsMax = (uint32_t)inst_param(pinst, JET_paramMaxCursors);
    cfg.fTempUnversioned = inst_param(pinst, JET_paramEnableTempTableVersioning) == 0;
    *pcfg = cfg;
}

/* ESENT's JET_paramLogFileSize rules at JetInit, from the current log
 * (edb.log) when there is one: a size left at its default takes the log's
 * size (JetGetSystemParameter then reports it); a size set that differs, or a
 * log longer than its header says, gives JET_errLogFileSizeMismatch.
 * Other errors reading the log are left to recovery to report. */
static JET_ERR adopt_log_file_size(instance *pinst, isam_config *pcfg)
{
    uint32_t cbHave = 0;
    uint32_t cbWant = pcfg->log.cbLogFile / LOG_SECTOR * LOG_SECTOR; /* what the log writer makes of it */
    JET_ERR err = log_current_size(&pcfg->log, &cbHave);
    if (err == JET_errLogFileSizeMismatch)
        return err;
    if (err < 0 || cbHave == cbWant)
        return JET_errSuccess;
    int idx = param_index(JET_paramLogFileSize);
    if (pinst->params[idx].fSet)
        return JET_errLogFileSizeMismatch;
    pcfg->log.cbLogFile = cbHave;
    proc_lock();
    pinst->params[idx].num = cbHave / 1024u; /* still the default: not fSet */
    proc_unlock();
    return JET_errSuccess;
}

static JET_ERR start_engine(instance *pinst, const JET_RSTINFO *prst, JET_GRBIT grbit, const restore_req *rr)
{
    isam_config cfg;
    engine_config(pinst, prst, grbit, &cfg);
    if (rr == NULL) {
        JET_ERR err = adopt_log_file_size(pinst, &cfg);
        if (err >= 0)
            err = isam_init(&cfg, &pinst->isam);
        JET_PFNDURABLECOMMITCALLBACK pfn =
            (JET_PFNDURABLECOMMITCALLBACK)inst_param(pinst, JET_paramDurableCommitCallback);
        if (err >= 0 && pfn) {
            JET_ERR e2 = isam_set_durable_commit_callback(pinst->isam, pfn, inst_handle(pinst));
            if (e2 < 0) {
                (void)isam_term(pinst->isam, 1);
                pinst->isam = NULL;
                err = e2;
            }
        }
        return err;
    }
    rst_args a;
    memset(&a, 0, sizeof(a));
    char abs[OS_PATH_MAX], dest[OS_PATH_MAX];
    if (rr->backup == NULL || rr->backup[0] == '\0' || os_path_absolute(rr->backup, abs, sizeof(abs)) < 0)
        return JET_errInvalidPath;
    a.backup = abs;
    if (rr->dest) {
        if (rr->dest[0] == '\0' || os_path_absolute(rr->dest, dest, sizeof(dest)) < 0)
            return JET_errInvalidPath;
        a.dest = dest;
    }
    a.fCreateDest = inst_param(pinst, JET_paramCreatePathIfNotExist) != 0;
    a.lsnStop = rr->lsnStop;
    a.tmStop = rr->tmStop;
    a.pfn = rr->pfn;
    a.fWithoutUndo = (rr->grbit & JET_bitRecoveryWithoutUndo) != 0;
    cfg.rgrstmap = NULL;
    cfg.crstmap = 0;
    cfg.pfnStatus = NULL;
    return rst_restore(&cfg, &a);
}

/* Pick (or create) the instance JetInit works on.  Under proc.lock. */
static JET_ERR init_resolve_locked(JET_INSTANCE *pinstance, instance **ppinst)
{
    os_mutex_assert_held(&proc.lock);
    JET_INSTANCE h = pinstance ? *pinstance : 0;
    int nil = pinstance == NULL || h == 0 || h == JET_instanceNil;
    instance *pinst = NULL;

    switch (proc.mode) {
    case MODE_NOSET:
        /* As ESENT: with no instance in the process the handle is ignored (it
         * may be stale, e.g. init, term, init again on the same variable) and
         * one-instance mode begins; JetInit writes the new handle back. */
        proc.mode = MODE_ONEINST;
        {
            JET_ERR err = inst_create_locked(NULL, NULL, 1, &pinst);
            if (err < 0) {
                proc.mode = MODE_NOSET;
                return err;
            }
        }
        break;
    case MODE_ONEINST:
        /* One-instance mode: the handle argument is ignored; the global
         * instance is used, or created. */
        pinst = inst_global_locked();
        if (pinst == NULL) {
            JET_ERR err = inst_create_locked(NULL, NULL, 1, &pinst);
            if (err < 0)
                return err;
        }
        break;
    case MODE_MULTIINST:
        if (pinstance == NULL)
            return JET_errRunningInMultiInstanceMode;
        if (nil) {
            JET_ERR err = inst_create_locked(NULL, NULL, 1, &pinst);
            if (err < 0)
                return err;
        } else {
            pinst = inst_find_locked(h, 0);
            if (pinst == NULL)
                return JET_errInvalidParameter;
        }
        break;
    }
    switch (pinst->state) {
    case INST_CREATED:
        break;
    case INST_RUNNING:
        return JET_errAlreadyInitialized;
    case INST_INITIALIZING:
        return JET_errInitInProgress;
    case INST_TERMINATING:
        return JET_errTermInProgress;
    }
    *ppinst = pinst;
    return JET_errSuccess;
}

/* Pick the instance a restore works on (under proc.lock).  Legacy
 * (JetRestore/JetRestore2) forces one-instance mode; JetRestoreInstance with
 * 0 / JET_instanceNil uses the global instance in one-instance mode and a
 * temporary instance otherwise. */
static JET_ERR restore_resolve_locked(JET_INSTANCE *pinstance, int legacy, instance **ppinst)
{
    os_mutex_assert_held(&proc.lock);
    JET_INSTANCE h = pinstance ? *pinstance : 0;
    int nil = h == 0 || h == JET_instanceNil;
    instance *pinst = NULL;
    if (legacy) {
        if (proc.mode == MODE_MULTIINST)
            return JET_errRunningInMultiInstanceMode;
        if (proc.mode == MODE_NOSET)
            proc.mode = MODE_ONEINST;
        nil = 1;
    }
    if (nil) {
        if (proc.mode == MODE_ONEINST)
            pinst = inst_global_locked();
        if (pinst == NULL) {
            if (proc.mode == MODE_NOSET)
                proc.mode = MODE_MULTIINST;
            JET_ERR err = inst_create_locked(NULL, NULL, 1, &pinst);
            if (err < 0)
                return err;
        }
    } else {
        pinst = inst_find_locked(h, proc.mode == MODE_ONEINST);
        if (pinst == NULL)
            return JET_errInvalidParameter;
    }
    switch (pinst->state) {
    case INST_CREATED:
        break;
    case INST_RUNNING:
        return JET_errAlreadyInitialized;
    case INST_INITIALIZING:
        return pinst->restoring ? JET_errRestoreInProgress : JET_errInitInProgress;
    case INST_TERMINATING:
        return JET_errTermInProgress;
    }
    *ppinst = pinst;
    return JET_errSuccess;
}

/* Validate JET_RSTINFO (recovery options are used by the recovery layer). */
static JET_ERR check_rstinfo(const JET_RSTINFO *prst)
{
    if (prst == NULL)
        return JET_errSuccess;
    if (prst->cbStruct != sizeof(JET_RSTINFO) || prst->crstmap < 0 ||
        (prst->crstmap > 0 && prst->rgrstmap == NULL))
        return JET_errInvalidParameter;
    for (int32_t i = 0; i < prst->crstmap; i++)
        if (prst->rgrstmap[i].szNewDatabaseName == NULL)
            return JET_errInvalidParameter;
    return JET_errSuccess;
}

static JET_ERR init_impl(JET_INSTANCE *pinstance, JET_RSTINFO *prstInfo, JET_GRBIT grbit,
                         const char *op, const restore_req *rr)
{
    if (grbit & ~(JET_GRBIT)INIT_GRBITS_KNOWN)
        return JET_errInvalidGrbit;
    JET_ERR err = check_rstinfo(prstInfo);
    if (err < 0)
        return err;

    err = proc_lock();
    if (err < 0)
        return err;
    instance *pinst = NULL;
    err = rr ? restore_resolve_locked(pinstance, rr->legacy, &pinst) : init_resolve_locked(pinstance, &pinst);
    if (err < 0) {
        proc_unlock();
        return err;
    }
    pinst->state = INST_INITIALIZING;
    pinst->restoring = rr != NULL;
    pinst->refs++;
    param_value snapshot[PARAM_SLOTS];
    err = param_copy(snapshot, pinst->params);
    proc_unlock();

    init_paths *paths = NULL;
    if (err >= 0) {
        if (rr) {
            ESEPY_EVENTFIELD f[] = { { "backup", rr->backup ? rr->backup : "" },
                                     { "destination", rr->dest ? rr->dest : "(original locations)" } };
            inst_event(pinst, ESEPY_EVENT_RESTORE_BEGIN, ESEPY_LEVEL_INFO, 0, op, "restore begins", 2, f);
        } else {
            inst_event(pinst, ESEPY_EVENT_INIT_BEGIN, ESEPY_LEVEL_INFO, 0, op, "instance initialization begins",
                       0, NULL);
        }
        paths = os_malloc(sizeof(*paths));
        err = paths ? resolve_paths(snapshot, paths) : JET_errOutOfMemory;
        param_free(snapshot);
    }
    if (err >= 0) {
        proc_lock(); /* cannot fail: defaults exist */
        pinst->uses_log = strcasecmp(inst_param_str(pinst, JET_paramRecovery), "off") != 0;
        pinst->uses_temp = inst_param(pinst, JET_paramMaxTemporaryTables) > 0;
        err = check_paths_in_use_locked(pinst, paths);
        if (err >= 0) {
            pinst->abs_system = os_strdup(paths->system);
            pinst->abs_log = os_strdup(paths->log);
            pinst->abs_temp = os_strdup(paths->temp);
            if (!pinst->abs_system || !pinst->abs_log || !pinst->abs_temp)
                err = JET_errOutOfMemory;
        }
        proc_unlock();
    }
    if (err >= 0)
        err = lock_paths(pinst);
    if (err >= 0) {
        err = start_engine(pinst, prstInfo, grbit, rr);
        if (err < 0 || rr)
            unlock_paths(pinst); /* a restore leaves the instance stopped */
    }
    if (rr) {
        /* Restore: back to CREATED whatever happened (freed if made for it). */
        os_free(paths);
        proc_lock();
        pinst->refs--;
        os_free(pinst->abs_system);
        os_free(pinst->abs_log);
        os_free(pinst->abs_temp);
        pinst->abs_system = pinst->abs_log = pinst->abs_temp = NULL;
        pinst->state = INST_CREATED;
        pinst->restoring = 0;
        int freed = 0;
        if (pinst->implicit) {
            inst_remove_locked(pinst);
            freed = 1;
        } else if (pinstance && rr->legacy && err >= 0) {
            *pinstance = inst_handle(pinst);
        }
        os_cond_broadcast(&proc.cond);
        proc_unlock();
        char msg[256];
        if (err >= 0) {
            inst_event(pinst, ESEPY_EVENT_RESTORE_DONE, ESEPY_LEVEL_INFO, err, op, "restore complete", 0, NULL);
        } else {
            err_event_message(msg, sizeof(msg), "restore", err);
            inst_event(pinst, ESEPY_EVENT_RESTORE_FAILED, ESEPY_LEVEL_ERROR, err, op, msg, 0, NULL);
        }
        if (freed)
            inst_free(pinst);
        return err;
    }
    if (err >= 0) {
        pinst->max_sessions = (uint32_t)inst_param(pinst, JET_paramMaxSessions);
        proc_lock();
        err = sess_attach_locked(pinst);
        proc_unlock();
        if (err < 0) {
            (void)isam_term(pinst->isam, 1);
            pinst->isam = NULL;
            unlock_paths(pinst);
            err = JET_errOutOfMemory;
        }
    }
    os_free(paths);

    char msg[256];
    proc_lock();
    pinst->refs--;
    int freed = 0;
    if (err >= 0) {
        pinst->state = INST_RUNNING;
        sess_publish_locked(pinst);
        if (pinstance)
            *pinstance = inst_handle(pinst);
    } else {
        os_free(pinst->abs_system);
        os_free(pinst->abs_log);
        os_free(pinst->abs_temp);
        pinst->abs_system = pinst->abs_log = pinst->abs_temp = NULL;
        pinst->sessions = NULL;
        pinst->state = INST_CREATED;
        /* As ESENT: a failed init frees the instance, whether JetInit or
         * JetCreateInstance made it, and sets the caller's handle to 0. */
        while (pinst->refs > 0)
            os_cond_wait(&proc.cond, &proc.lock);
        inst_remove_locked(pinst);
        freed = 1;
        if (pinstance)
            *pinstance = 0;
    }
    os_cond_broadcast(&proc.cond);
    proc_unlock();

    if (err >= 0) {
        ESEPY_EVENTFIELD fields[] = {
            { "system_path", pinst->abs_system },
            { "log_path", pinst->abs_log },
            { "temp_path", pinst->abs_temp },
            { "base_name", inst_param_str(pinst, JET_paramBaseName) },
        };
        inst_event(pinst, ESEPY_EVENT_INIT_DONE, ESEPY_LEVEL_INFO, err, op, "instance started",
                   ARRAY_SIZE(fields), fields);
    } else {
        err_event_message(msg, sizeof(msg), "instance initialization", err);
        inst_event(pinst, ESEPY_EVENT_INIT_FAILED, ESEPY_LEVEL_ERROR, err, op, msg, 0, NULL);
        if (freed)
            inst_free(pinst);
    }
    return err;
}

ESEPY_EXPORT JET_ERR JetInit3(JET_INSTANCE *pinstance, JET_RSTINFO *prstInfo, JET_GRBIT grbit)
{
    return init_impl(pinstance, prstInfo, grbit, "JetInit3", NULL);
}

ESEPY_EXPORT JET_ERR JetInit2(JET_INSTANCE *pinstance, JET_GRBIT grbit)
{
    return init_impl(pinstance, NULL, grbit | JET_bitReplayMissingMapEntryDB, "JetInit2", NULL);
}

ESEPY_EXPORT JET_ERR JetInit(JET_INSTANCE *pinstance)
{
    return init_impl(pinstance, NULL, JET_bitReplayMissingMapEntryDB, "JetInit", NULL);
}

/* ------------------------------------------------------------------------ */
/* Restore                                                                   */
/* ------------------------------------------------------------------------ */

static JET_ERR restore_impl(JET_INSTANCE instance, const char *sz, const char *szDest, const JET_LGPOS *plgposStop,
                            const JET_LOGTIME *ptmStop, JET_PFNSTATUS pfn, int legacy, const char *op,
                            JET_GRBIT grbit)
{
    if (grbit & ~(JET_GRBIT)JET_bitRecoveryWithoutUndo)
        return JET_errInvalidGrbit;
    restore_req rr;
    memset(&rr, 0, sizeof(rr));
    rr.grbit = grbit;
    rr.backup = sz;
    rr.dest = szDest;
    rr.pfn = pfn;
    rr.legacy = legacy;
    if (plgposStop && plgposStop->lGeneration > 0)
        rr.lsnStop = lgpos_to_lsn(plgposStop);
    if (ptmStop) {
        int64_t us = 0;
        JET_ERR err = os_logtime_to_us(ptmStop, &us);
        if (err < 0)
            return err;
        rr.tmStop = us;
    }
    JET_INSTANCE h = instance;
    return init_impl(&h, NULL, 0, op, &rr);
}

ESEPY_EXPORT JET_ERR EsepyRestoreInstance(JET_INSTANCE instance, const char *sz, const char *szDest,
                                          const JET_LGPOS *plgposStop, const JET_LOGTIME *ptmStop,
                                          JET_PFNSTATUS pfn)
{
    return restore_impl(instance, sz, szDest, plgposStop, ptmStop, pfn, 0, "JetRestoreInstance", 0);
}

ESEPY_EXPORT JET_ERR EsepyRestoreInstance2(JET_INSTANCE instance, const char *sz, const char *szDest,
                                           const JET_LGPOS *plgposStop, const JET_LOGTIME *ptmStop,
                                           JET_PFNSTATUS pfn, JET_GRBIT grbit)
{
    return restore_impl(instance, sz, szDest, plgposStop, ptmStop, pfn, 0, "JetRestoreInstance", grbit);
}

ESEPY_EXPORT JET_ERR JetRestoreInstance(JET_INSTANCE instance, const char *sz, const char *szDest, JET_PFNSTATUS pfn)
{
    return restore_impl(instance, sz, szDest, NULL, NULL, pfn, 0, "JetRestoreInstance", 0);
}

ESEPY_EXPORT JET_ERR JetRestore2(const char *sz, const char *szDest, JET_PFNSTATUS pfn)
{
    return restore_impl(0, sz, szDest, NULL, NULL, pfn, 1, "JetRestore2", 0);
}

ESEPY_EXPORT JET_ERR JetRestore(const char *sz, JET_PFNSTATUS pfn)
{
    return JetRestore2(sz, NULL, pfn);
}

/* ------------------------------------------------------------------------ */
/* JetTerm                                                                   */
/* ------------------------------------------------------------------------ */

#define TERM_GRBITS_KNOWN (JET_bitTermComplete | JET_bitTermAbrupt | JET_bitTermStopBackup | JET_bitTermDirty)

ESEPY_EXPORT JET_ERR JetTerm2(JET_INSTANCE instance, JET_GRBIT grbit)
{
    if (grbit & ~(JET_GRBIT)TERM_GRBITS_KNOWN)
        return JET_errInvalidGrbit;
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    struct instance *pinst = inst_find_locked(instance, 1);
    if (pinst == NULL) {
        proc_unlock();
        return JET_errInvalidParameter;
    }
    switch (pinst->state) {
    case INST_CREATED:
        inst_remove_locked(pinst);
        proc_unlock();
        inst_free(pinst);
        return JET_errSuccess;
    case INST_INITIALIZING:
        proc_unlock();
        return JET_errInitInProgress;
    case INST_TERMINATING:
        proc_unlock();
        return JET_errTermInProgress;
    case INST_RUNNING:
        break;
    }
    if ((grbit & JET_bitTermComplete) && isam_active_transactions(pinst->isam) > 0) {
        proc_unlock();
        return JET_errTooManyActiveUsers;
    }
    /* RUNNING -> TERMINATING: new calls are refused from here on; wait for the
     * calls in flight (invariant 5), then end the sessions they left. */
    if ((grbit & JET_bitTermComplete) && !(grbit & (JET_bitTermStopBackup | JET_bitTermAbrupt)) && pinst->bk) {
        proc_unlock();
        return JET_errBackupInProgress;
    }
    pinst->state = INST_TERMINATING;
    atomic_store(&pinst->bk_stop, 1); /* backup calls in flight return JET_errBackupAbortByServer */
    sess_quiesce_locked(pinst);
    bk_ctx *pbkAbort = pinst->bk != BK_RESERVED ? pinst->bk : NULL;
    pinst->bk = NULL;
    isam_sess **rgisess = os_calloc(pinst->max_sessions ? pinst->max_sessions : 1, sizeof(isam_sess *));
    uint32_t cisess = sess_end_all_locked(pinst, rgisess); /* frees the slots even without rgisess (S2) */
    inst_remove_locked(pinst);
    proc_unlock();

    int dirty = (grbit & JET_bitTermDirty) != 0;
    for (uint32_t i = 0; i < cisess; i++) {
        if (dirty)
            isam_drop_session(rgisess[i]); /* a dirty stop leaves transactions to recovery */
        else
            isam_end_session(rgisess[i]);
    }
    os_free(rgisess);
    if (pbkAbort)
        (void)bk_end(pbkAbort, JET_bitBackupEndAbort);
    err = isam_term(pinst->isam, !dirty && rgisess != NULL);
    pinst->isam = NULL;
    unlock_paths(pinst);
    if (dirty)
        err = JET_errDirtyShutdown;
    if (dirty)
        inst_event(pinst, ESEPY_EVENT_TERM_DIRTY, ESEPY_LEVEL_WARNING, err, "JetTerm2",
                   "instance stopped without a clean shutdown (JET_bitTermDirty)", 0, NULL);
    else
        inst_event(pinst, ESEPY_EVENT_TERM_DONE, ESEPY_LEVEL_INFO, err, "JetTerm2", "instance stopped",
                   0, NULL);
    inst_free(pinst);
    return err;
}

ESEPY_EXPORT JET_ERR JetTerm(JET_INSTANCE instance)
{
    return JetTerm2(instance, JET_bitTermAbrupt);
}

/* ------------------------------------------------------------------------ */
/* System parameters                                                         */
/* ------------------------------------------------------------------------ */

/* Where a parameter lives for a call naming `h` (under proc.lock).
 * *ppinst is NULL when the process defaults are meant. */
static JET_ERR param_target_locked(const param_def *d, JET_INSTANCE h, instance **ppinst)
{
    os_mutex_assert_held(&proc.lock);
    *ppinst = NULL;
    if (d->flags & ESEPY_PARAMFLAG_GLOBAL)
        return JET_errSuccess;
    if (h == 0 || h == JET_instanceNil) {
        *ppinst = inst_global_locked(); /* NULL unless one-instance mode */
        return JET_errSuccess;
    }
    *ppinst = inst_find_locked(h, 0);
    return *ppinst ? JET_errSuccess : JET_errInvalidParameter;
}

/* Store a value following the scope rules.  Under proc.lock. */
static JET_ERR set_param_locked(JET_INSTANCE h, uint32_t paramid, JET_API_PTR l, const char *sz,
                                param_value *defaults)
{
    os_mutex_assert_held(&proc.lock);
    int idx = param_index(paramid);
    if (idx < 0)
        return JET_errInvalidParameter;
    const param_def *d = &g_param_defs[idx];
    if (d->flags & ESEPY_PARAMFLAG_READONLY)
        return JET_errInvalidParameter;
    instance *pinst;
    JET_ERR err = param_target_locked(d, h, &pinst);
    if (err < 0)
        return err;
    param_value *vals = pinst ? pinst->params : defaults;
    if (pinst == NULL && (d->flags & ESEPY_PARAMFLAG_FIXEDATMODE) && proc.mode != MODE_NOSET &&
        !param_same(vals, idx, l, sz))
        return JET_errAlreadyInitialized;
    if (pinst && (d->flags & ESEPY_PARAMFLAG_FIXEDATINIT) && pinst->state != INST_CREATED &&
        !param_same(vals, idx, l, sz))
        return JET_errAlreadyInitialized;
    err = param_store(vals, idx, l, sz);
    /* A durable-commit callback set on a running instance takes effect now
     * (JetTerm ends the engine only after leaving RUNNING under proc.lock). */
    if (err >= 0 && pinst && paramid == JET_paramDurableCommitCallback && pinst->state == INST_RUNNING &&
        pinst->isam)
        err = isam_set_durable_commit_callback(pinst->isam, (JET_PFNDURABLECOMMITCALLBACK)l, inst_handle(pinst));
    return err;
}

ESEPY_EXPORT JET_ERR JetSetSystemParameter(JET_INSTANCE *pinstance, JET_SESID sesid, uint32_t paramid,
                                           JET_API_PTR lParam, const char *szParam)
{
    (void)sesid; /* session-scoped parameters are not distinguished yet */
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    err = set_param_locked(pinstance ? *pinstance : 0, paramid, lParam, szParam, proc.defaults);
    proc_unlock();
    return err;
}

/* Largest key for the configured page size (JET_paramKeyMost). */
static JET_API_PTR key_most_for_page(JET_API_PTR cbPage)
{
    if (cbPage <= 2048)
        return JET_cbKeyMost2KBytePage;
    if (cbPage <= 4096)
        return JET_cbKeyMost4KBytePage;
    return JET_cbKeyMost8KBytePage;
}

static JET_ERR error_to_string(JET_API_PTR *plParam, char *szParam, uint32_t cbMax)
{
    if (plParam == NULL || szParam == NULL)
        return JET_errInvalidParameter;
    JET_ERR code = (JET_ERR)(int32_t)(uint32_t)*plParam;
    const err_row *r = err_lookup(code);
    char buf[512];
    if (r)
        snprintf(buf, sizeof(buf), "%s, %s", r->name, r->message);
    else
        snprintf(buf, sizeof(buf), "JET_err%d, Unknown error code", (int)code);
    size_t len = strlen(buf);
    if (len + 1 > cbMax)
        return JET_errBufferTooSmall;
    memcpy(szParam, buf, len + 1);
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR JetGetSystemParameter(JET_INSTANCE instance, JET_SESID sesid, uint32_t paramid,
                                           JET_API_PTR *plParam, char *szParam, uint32_t cbMax)
{
    (void)sesid;
    if (paramid == JET_paramErrorToString)
        return error_to_string(plParam, szParam, cbMax);
    int idx = param_index(paramid);
    if (idx < 0)
        return JET_errInvalidParameter;
    const param_def *d = &g_param_defs[idx];
    int is_string = d->type == ESEPY_PARAMTYPE_STRING || d->type == ESEPY_PARAMTYPE_FOLDER ||
                    d->type == ESEPY_PARAMTYPE_PATH;
    if (is_string ? szParam == NULL : plParam == NULL)
        return JET_errInvalidParameter;

    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    struct instance *pinst;
    err = param_target_locked(d, instance, &pinst);
    if (err < 0) {
        proc_unlock();
        return err;
    }
    const param_value *v = pinst ? &pinst->params[idx] : &proc.defaults[idx];
    JET_API_PTR cbPage = proc_param(JET_paramDatabasePageSize);
    if (d->flags & ESEPY_PARAMFLAG_READONLY) {
        switch (paramid) {
        case JET_paramKeyMost:        *plParam = key_most_for_page(cbPage); break;
        case JET_paramLVChunkSizeMost: *plParam = cbPage - JET_cbColumnLVPageOverhead; break;
        /* ESENT's figure: a page's data area (the page less its 40-byte
         * header, 80 from 16 KiB pages on) less one 4-byte line tag */
        case JET_paramRecordSizeMost: *plParam = cbPage - (cbPage <= 8192 ? 40 : 80) - 4; break;
        default:                      *plParam = d->def; break;
        }
    } else if (is_string) {
        size_t len = strlen(v->str);
        if (len + 1 > cbMax)
            err = JET_errBufferTooSmall;
        else
            memcpy(szParam, v->str, len + 1);
    } else {
        *plParam = v->num;
    }
    proc_unlock();
    return err;
}

/* ------------------------------------------------------------------------ */
/* JetEnableMultiInstance                                                    */
/* ------------------------------------------------------------------------ */

ESEPY_EXPORT JET_ERR JetEnableMultiInstance(JET_SETSYSPARAM *psetsysparam, uint32_t csetsysparam,
                                            uint32_t *pcsetsucceed)
{
    if (csetsysparam > 0 && psetsysparam == NULL)
        return JET_errInvalidParameter;
    if (pcsetsucceed)
        *pcsetsucceed = 0;
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    if (proc.mode == MODE_ONEINST) {
        proc_unlock();
        return JET_errRunningInOneInstanceMode;
    }
    if (proc.mode == MODE_MULTIINST) {
        /* Already chosen: benign if nothing would change. */
        err = JET_errSystemParamsAlreadySet;
        for (uint32_t i = 0; i < csetsysparam; i++) {
            int idx = param_index(psetsysparam[i].paramid);
            if (idx < 0 || !param_same(proc.defaults, idx, psetsysparam[i].lParam, psetsysparam[i].sz))
                err = JET_errSystemParameterConflict;
            psetsysparam[i].err = err == JET_errSystemParameterConflict ? err : JET_errSuccess;
        }
        /* As ESENT: the count of entries that matched the values in force
         * (all of them when the answer is SystemParamsAlreadySet). */
        if (pcsetsucceed && err == JET_errSystemParamsAlreadySet)
            *pcsetsucceed = csetsysparam;
        proc_unlock();
        return err;
    }
    /* All or nothing: apply to a copy, commit only if every entry succeeded. */
    param_value *copy = os_malloc(sizeof(param_value) * PARAM_SLOTS);
    if (copy == NULL || param_copy(copy, proc.defaults) < 0) {
        os_free(copy);
        proc_unlock();
        return JET_errOutOfMemory;
    }
    uint32_t ok = 0;
    JET_ERR first = JET_errSuccess;
    for (uint32_t i = 0; i < csetsysparam; i++) {
        JET_SETSYSPARAM *e = &psetsysparam[i];
        e->err = set_param_locked(0, e->paramid, e->lParam, e->sz, copy);
        if (e->err >= 0)
            ok++;
        else if (first >= 0)
            first = e->err;
    }
    if (first >= 0) {
        param_free(proc.defaults);
        memcpy(proc.defaults, copy, sizeof(param_value) * g_cparam_defs);
        proc.mode = MODE_MULTIINST;
        if (pcsetsucceed)
            *pcsetsucceed = ok;
    } else {
        param_free(copy);
    }
    os_free(copy);
    proc_unlock();
    return first;
}

/* ------------------------------------------------------------------------ */
/* JetGetInstanceInfo / JetFreeBuffer                                        */
/* ------------------------------------------------------------------------ */

/* The buffer is one allocation: the array, then for each instance its name
 * and its (empty, NULL-terminated) database name arrays. */
ESEPY_EXPORT JET_ERR JetGetInstanceInfo(uint32_t *pcInstanceInfo, JET_INSTANCE_INFO **paInstanceInfo)
{
    if (pcInstanceInfo == NULL || paInstanceInfo == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    uint32_t n = 0;
    size_t cb = 0;
    for (uint32_t i = 0; i < PROC_MAX_INSTANCES; i++) {
        const instance *p = proc.insts[i];
        if (p && p->state == INST_RUNNING) {
            n++;
            cb += sizeof(JET_INSTANCE_INFO) + 3 * sizeof(char *) + (p->name ? strlen(p->name) + 1 : 1);
        }
    }
    char *buf = os_calloc(1, cb ? cb : 1);
    if (buf == NULL) {
        proc_unlock();
        return JET_errOutOfMemory;
    }
    JET_INSTANCE_INFO *rg = (JET_INSTANCE_INFO *)buf;
    char **ptrs = (char **)(rg + n);
    char *strs = (char *)(ptrs + 3 * n);
    uint32_t k = 0;
    for (uint32_t i = 0; i < PROC_MAX_INSTANCES; i++) {
        const instance *p = proc.insts[i];
        if (!p || p->state != INST_RUNNING)
            continue;
        const char *name = p->name ? p->name : "";
        size_t len = strlen(name) + 1;
        memcpy(strs, name, len);
        rg[k].hInstanceId = inst_handle(p);
        rg[k].szInstanceName = strs;
        rg[k].cDatabases = 0;
        ptrs[3 * k] = ptrs[3 * k + 1] = ptrs[3 * k + 2] = NULL;
        rg[k].szDatabaseFileName = &ptrs[3 * k];
        rg[k].szDatabaseDisplayName = &ptrs[3 * k + 1];
        rg[k].szDatabaseSLVFileName_Obsolete = &ptrs[3 * k + 2];
        strs += len;
        k++;
    }
    proc_unlock();
    *pcInstanceInfo = n;
    *paInstanceInfo = rg;
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR JetFreeBuffer(char *pbBuf)
{
    os_free(pbBuf);
    return JET_errSuccess;
}

/* ------------------------------------------------------------------------ */
/* Test hooks                                                                */
/* ------------------------------------------------------------------------ */

ESEPY_EXPORT JET_ERR EsepyTestFailAllocation(uint32_t n, int32_t fPersistent, uint32_t *pcHits)
{
    if (pcHits)
        *pcHits = os_fault_alloc_hits();
    os_fault_alloc(n, fPersistent);
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyTestLiveAllocations(int64_t *pcLive)
{
    if (pcLive == NULL)
        return JET_errInvalidParameter;
    *pcLive = os_alloc_live();
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyTestGetProcessState(int32_t *pmode, uint32_t *pcInstances)
{
    if (pmode == NULL || pcInstances == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    *pmode = (int32_t)proc.mode;
    *pcInstances = proc.cinsts;
    proc_unlock();
    return JET_errSuccess;
}
