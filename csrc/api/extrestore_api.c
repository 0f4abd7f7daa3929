/*
 * extrestore_api.c -- JetExternalRestore / JetExternalRestore2 mapped onto
 * esepy's restore (JetRestoreInstance on a temporary instance).
 *
 * Owns: ESENT's argument checks of the two functions and the mapping of
 * their arguments (checkpoint folder -> JET_paramSystemPath, log folder ->
 * JET_paramLogFilePath, JET_RSTMAP -> the destination folder, the backup log
 * folder -> the backup set).
 * Must not touch: restore internals (csrc/backup), instance internals (it
 * uses only the public Jet* functions).
 *
 * The subset (docs/esent-differences.md): szBackupLogPath is a backup set as
 * JetBackupInstance writes it (databases, their .pat markers, the logs);
 * every JET_RSTMAP entry keeps the database's file name and all of them name
 * the same folder, where the set's databases are restored; genLow / genHigh
 * are checked for order only (the set's own logs are replayed, then those of
 * szLogPath that continue them).  A target instance
 * (JetExternalRestore2 szTargetInstance*) is not supported.  Anything
 * outside the subset: JET_errFeatureNotAvailable.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

static const char *base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The folder of path, with a trailing '/', in out (cb bytes). */
static JET_ERR folder_of(const char *path, char *out, size_t cb)
{
    const char *b = base_of(path);
    size_t n = (size_t)(b - path);
    if (n == 0) {
        if (cb < 3)
            return JET_errInvalidPath;
        memcpy(out, "./", 3);
        return JET_errSuccess;
    }
    if (n + 1 > cb)
        return JET_errInvalidPath;
    memcpy(out, path, n);
    out[n] = '\0';
    return JET_errSuccess;
}

/* A folder parameter ends with '/' (ESENT: a path, not a file name prefix). */
static JET_ERR set_folder(JET_INSTANCE *pinst, uint32_t id, const char *sz)
{
    char buf[OS_PATH_MAX];
    size_t n = strlen(sz);
    if (n == 0 || n + 2 > sizeof(buf))
        return JET_errInvalidPath;
    snprintf(buf, sizeof(buf), "%s%s", sz, sz[n - 1] == '/' ? "" : "/");
    return JetSetSystemParameter(pinst, 0, id, 0, buf);
}

static JET_ERR external_restore(const char *szCheckpointFilePath, const char *szLogPath, const JET_RSTMAP *rgrstmap,
                                int32_t crstfilemap, const char *szBackupLogPath, int32_t genLow, int32_t genHigh,
                                JET_PFNSTATUS pfn)
{
    if (szBackupLogPath == NULL || szLogPath == NULL || szCheckpointFilePath == NULL || crstfilemap < 0 ||
        (crstfilemap > 0 && rgrstmap == NULL))
        return JET_errInvalidParameter;
    if (genLow < 0 || genHigh < 0 || (genHigh != 0 && genLow > genHigh))
        return JET_errInvalidParameter;
    if (crstfilemap == 0)
        return JET_errFeatureNotAvailable; /* ESENT: nothing to recover; esepy restores the set's databases */
    char dest[OS_PATH_MAX];
    for (int32_t i = 0; i < crstfilemap; i++) {
        const char *o = rgrstmap[i].szDatabaseName, *n = rgrstmap[i].szNewDatabaseName;
        if (o == NULL || n == NULL)
            return JET_errInvalidParameter;
        if (strcmp(base_of(o), base_of(n)) != 0)
            return JET_errFeatureNotAvailable; /* esepy keeps a database's file name */
        char d[OS_PATH_MAX];
        JET_ERR err = folder_of(n, d, sizeof(d));
        if (err < 0)
            return err;
        if (i == 0)
            memcpy(dest, d, sizeof(d));
        else if (strcmp(d, dest) != 0)
            return JET_errFeatureNotAvailable; /* one destination folder */
    }
    /* A temporary instance (multi-instance mode: ESENT's rule; one-instance
     * mode gives JET_errRunningInOneInstanceMode from JetCreateInstance). */
    char name[64];
    snprintf(name, sizeof(name), "ExternalRestore %p", (void *)name);
    JET_INSTANCE inst = 0;
    JET_ERR err = JetCreateInstance(&inst, name);
    if (err < 0)
        return err;
    err = set_folder(&inst, JET_paramSystemPath, szCheckpointFilePath);
    if (err >= 0)
        err = set_folder(&inst, JET_paramLogFilePath, szLogPath);
    if (err >= 0)
        err = set_folder(&inst, JET_paramTempPath, szCheckpointFilePath);
    if (err >= 0)
        err = JetRestoreInstance(inst, szBackupLogPath, dest, pfn);
    (void)JetTerm(inst); /* the restore leaves it stopped: this frees it */
    return err;
}

ESEPY_EXPORT JET_ERR JetExternalRestore(const char *szCheckpointFilePath, const char *szLogPath,
                                        JET_RSTMAP *rgrstmap, int32_t crstfilemap, const char *szBackupLogPath,
                                        int32_t genLow, int32_t genHigh, JET_PFNSTATUS pfn)
{
    return external_restore(szCheckpointFilePath, szLogPath, rgrstmap, crstfilemap, szBackupLogPath, genLow, genHigh,
                            pfn);
}

ESEPY_EXPORT JET_ERR JetExternalRestore2(const char *szCheckpointFilePath, const char *szLogPath,
                                         JET_RSTMAP *rgrstmap, int32_t crstfilemap, const char *szBackupLogPath,
                                         JET_LOGINFO *pLogInfo, const char *szTargetInstanceName,
                                         const char *szTargetInstanceLogPath,
                                         const char *szTargetInstanceCheckpointPath, JET_PFNSTATUS pfn)
{
    /* ESENT: the target paths are given together or not at all. */
    if ((szTargetInstanceLogPath == NULL) != (szTargetInstanceCheckpointPath == NULL))
        return JET_errInvalidParameter;
    if (pLogInfo != NULL && pLogInfo->cbSize != sizeof(JET_LOGINFO))
        return JET_errInvalidParameter;
    if (szTargetInstanceName != NULL || szTargetInstanceLogPath != NULL)
        return JET_errFeatureNotAvailable; /* no running target instance */
    int32_t lo = pLogInfo ? (int32_t)pLogInfo->ulGenLow : 0, hi = pLogInfo ? (int32_t)pLogInfo->ulGenHigh : 0;
    return external_restore(szCheckpointFilePath, szLogPath, rgrstmap, crstfilemap, szBackupLogPath, lo, hi, pfn);
}
