/*
 * compact_api.c -- the Jet* entry points for a database's file as a whole:
 * JetCompact (offline compaction into a new file, with its JET_PFNSTATUS
 * progress) and the file-size calls JetGrowDatabase, JetSetDatabaseSize and
 * JetResizeDatabase (growing, or shrinking as far as the free pages at the end
 * of the file allow).
 *
 * Owns: argument checking and the translation of isam_compact's progress
 * into JET_snpCompact status callbacks.
 * Must not touch: engine state or files directly (everything goes through
 * isam.h; JetSetDatabaseSize on a detached file attaches it for the call).
 */
#include "api_int.h"

#include <string.h>

typedef struct cmp_status {
    JET_SESID     sesid;
    JET_PFNSTATUS pfn;
} cmp_status;

/* isam_compact's progress as ESENT's status callback: Begin, Progress,
 * Complete of JET_snpCompact with a JET_SNPROG in records (ESENT counts
 * pages).  A negative return cancels the compaction. */
static JET_ERR cmp_progress(void *ctx, int phase, uint32_t done, uint32_t total)
{
    cmp_status *ps = ctx;
    JET_SNPROG prog = { sizeof(JET_SNPROG), done, total };
    JET_SNT snt = phase == ISAM_COMPACT_BEGIN    ? JET_sntBegin
                : phase == ISAM_COMPACT_COMPLETE ? JET_sntComplete
                                                 : JET_sntProgress;
    JET_ERR err = ps->pfn(ps->sesid, JET_snpCompact, snt, &prog);
    return err < 0 ? err : JET_errSuccess;
}

ESEPY_EXPORT JET_ERR JetCompact(JET_SESID sesid, const char *szDatabaseSrc, const char *szDatabaseDest,
                                JET_PFNSTATUS pfnStatus, JET_CONVERT *pconvert, JET_GRBIT grbit)
{
    if (grbit & ~(JET_GRBIT)(JET_bitCompactStats | JET_bitCompactRepair))
        return JET_errInvalidGrbit;
    if (pconvert != NULL || (grbit & JET_bitCompactRepair))
        return JET_errFeatureNotAvailable; /* conversion and repair are gone from ESENT too */
    if (szDatabaseSrc == NULL || szDatabaseDest == NULL)
        return JET_errInvalidParameter;
    instance *pinst;
    session *psess;
    JET_ERR err = sess_enter(sesid, &pinst, &psess);
    if (err < 0)
        return err;
    cmp_status st = { sesid, pfnStatus };
    err = isam_compact(psess->isess, szDatabaseSrc, szDatabaseDest, pfnStatus ? cmp_progress : NULL, &st);
    sess_leave(pinst, psess);
    return err;
}

ESEPY_EXPORT JET_ERR JetGrowDatabase(JET_SESID sesid, JET_DBID dbid, uint32_t cpg, uint32_t *pcpgReal)
{
    instance *pinst;
    session *psess;
    JET_ERR err = sess_enter(sesid, &pinst, &psess);
    if (err < 0)
        return err;
    err = isam_grow_database(psess->isess, dbid, cpg, pcpgReal);
    sess_leave(pinst, psess);
    return err;
}

ESEPY_EXPORT JET_ERR JetResizeDatabase(JET_SESID sesid, JET_DBID dbid, uint32_t cpg, uint32_t *pcpgActual,
                                       JET_GRBIT grbit)
{
    if (grbit & ~(JET_GRBIT)(JET_bitResizeDatabaseOnlyGrow | JET_bitResizeDatabaseOnlyShrink))
        return JET_errInvalidGrbit;
    if ((grbit & JET_bitResizeDatabaseOnlyGrow) && (grbit & JET_bitResizeDatabaseOnlyShrink))
        return JET_errInvalidGrbit;
    instance *pinst;
    session *psess;
    JET_ERR err = sess_enter(sesid, &pinst, &psess);
    if (err < 0)
        return err;
    uint32_t cpgFile = 0;
    err = isam_grow_database(psess->isess, dbid, 0, &cpgFile);   /* the size now */
    if (err >= 0 && cpg > cpgFile && !(grbit & JET_bitResizeDatabaseOnlyShrink))
        err = isam_grow_database(psess->isess, dbid, cpg, &cpgFile);
    else if (err >= 0 && cpg < cpgFile && !(grbit & JET_bitResizeDatabaseOnlyGrow))
        err = isam_shrink_database(psess->isess, dbid, cpg, &cpgFile);   /* as far as free space at the end allows */
    if (err >= 0 && pcpgActual)
        *pcpgActual = cpgFile;
    sess_leave(pinst, psess);
    return err;
}

/* ESENT: the database need not be attached; esepy attaches it for the call
 * when it is not (and detaches it again). */
ESEPY_EXPORT JET_ERR JetSetDatabaseSize(JET_SESID sesid, const char *szDatabaseName, uint32_t cpg,
                                        uint32_t *pcpgReal)
{
    if (szDatabaseName == NULL || pcpgReal == NULL)
        return JET_errInvalidParameter;
    instance *pinst;
    session *psess;
    JET_ERR err = sess_enter(sesid, &pinst, &psess);
    if (err < 0)
        return err;
    isam_sess *is = psess->isess;
    JET_ERR errAttach = isam_attach_database(is, szDatabaseName, 0, 0);
    err = errAttach;
    JET_DBID dbid = 0;
    if (err >= 0)
        err = isam_open_database(is, szDatabaseName, 0, &dbid);
    if (err >= 0) {
        err = isam_grow_database(is, dbid, cpg, pcpgReal);
        (void)isam_close_database(is, dbid, 0);
    }
    if (errAttach >= 0 && errAttach != JET_wrnDatabaseAttached) {
        JET_ERR e2 = isam_detach_database(is, szDatabaseName, 0);
        if (err >= 0 && e2 < 0)
            err = e2;
    }
    sess_leave(pinst, psess);
    return err < 0 ? err : JET_errSuccess;
}
