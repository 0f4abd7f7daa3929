/*
 * defrag_api.c -- the Jet* entry points of online defragmentation
 * (JetDefragment, JetDefragment2, JetDefragment3; their W variants are in
 * wchar.c): argument checking, JET_bitDefragmentBatchStart / BatchStop, and
 * the database named by JetDefragment3; and of local storage (JetSetLS,
 * JetGetLS), which takes the instance's JET_paramRuntimeCallback.
 *
 * Owns: the grbits' meaning at the API.  Must not touch: the task, its
 * thread and the merges (isam defrag.c), where contexts are kept and when
 * they are released (isam ls.c), engine state directly.
 */
#include "api_int.h"

#define DEFRAG_GRBITS_KNOWN                                                                                   \
    (JET_bitDefragmentBatchStart | JET_bitDefragmentBatchStop | JET_bitDefragmentAvailSpaceTreesOnly |       \
     JET_bitDefragmentNoPartialMerges | JET_bitDefragmentBTree)

static JET_ERR defrag(JET_SESID sesid, JET_DBID dbid, const char *szDatabase, const char *szTable,
                      uint32_t *pcPasses, uint32_t *pcSeconds, JET_CALLBACK callback, void *pvContext,
                      JET_GRBIT grbit)
{
    if (grbit & ~(JET_GRBIT)DEFRAG_GRBITS_KNOWN)
        return JET_errInvalidGrbit;
    int fStop = (grbit & JET_bitDefragmentBatchStop) != 0;
    if (fStop && (grbit & JET_bitDefragmentBatchStart))
        return JET_errInvalidGrbit;
    if ((grbit & JET_bitDefragmentBTree) && (szTable == NULL || szTable[0] == '\0'))
        return JET_errInvalidParameter;   /* one B-tree: its table must be named */
    instance *pinst;
    session *psess;
    JET_ERR err = sess_enter(sesid, &pinst, &psess);
    if (err < 0)
        return err;
    JET_DBID dbidOpened = 0;
    if (szDatabase != NULL) {
        /* JetDefragment3: the database by name; it must be attached. */
        err = isam_open_database(psess->isess, szDatabase, 0, &dbidOpened);
        if (err == JET_errFileNotFound)
            err = JET_errDatabaseNotFound;
        dbid = dbidOpened;
    }
    if (err >= 0 && fStop) {
        err = isam_defrag_stop(psess->isess, dbid, pcPasses, pcSeconds);
    } else if (err >= 0) {
        /* Start (JET_bitDefragmentBatchStart or no grbit): the limits are
         * read, not written (ESENT fills them in when stopping). */
        uint32_t cPasses = pcPasses ? *pcPasses : 0;
        uint32_t cSeconds = pcSeconds ? *pcSeconds : 0;
        if (pcSeconds && (int32_t)cSeconds < 0)
            cSeconds = 0;   /* a negative time: no limit */
        err = isam_defrag_start(psess->isess, dbid, (szTable && szTable[0]) ? szTable : NULL, cPasses, cSeconds,
                                callback, sesid, pvContext, grbit);
    }
    if (dbidOpened != 0)
        (void)isam_close_database(psess->isess, dbidOpened, 0);
    sess_leave(pinst, psess);
    return err;
}

ESEPY_EXPORT JET_ERR JetDefragment(JET_SESID sesid, JET_DBID dbid, const char *szTableName, uint32_t *pcPasses,
                                   uint32_t *pcSeconds, JET_GRBIT grbit)
{
    return defrag(sesid, dbid, NULL, szTableName, pcPasses, pcSeconds, NULL, NULL, grbit);
}

ESEPY_EXPORT JET_ERR JetDefragment2(JET_SESID sesid, JET_DBID dbid, const char *szTableName, uint32_t *pcPasses,
                                    uint32_t *pcSeconds, JET_CALLBACK callback, JET_GRBIT grbit)
{
    return defrag(sesid, dbid, NULL, szTableName, pcPasses, pcSeconds, callback, NULL, grbit);
}

ESEPY_EXPORT JET_ERR JetDefragment3(JET_SESID sesid, const char *szDatabaseName, const char *szTableName,
                                    uint32_t *pcPasses, uint32_t *pcSeconds, JET_CALLBACK callback, void *pvContext,
                                    JET_GRBIT grbit)
{
    if (szDatabaseName == NULL || szDatabaseName[0] == '\0')
        return JET_errInvalidParameter;
    return defrag(sesid, 0, szDatabaseName, szTableName, pcPasses, pcSeconds, callback, pvContext, grbit);
}

/* ---- local storage -------------------------------------------------------- */

static JET_ERR ls_grbit(JET_GRBIT grbit)
{
    if (grbit & ~(JET_GRBIT)(JET_bitLSReset | JET_bitLSCursor | JET_bitLSTable))
        return JET_errInvalidGrbit;
    if ((grbit & JET_bitLSCursor) && (grbit & JET_bitLSTable))
        return JET_errInvalidGrbit;
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR JetSetLS(JET_SESID sesid, JET_TABLEID tableid, JET_LS ls, JET_GRBIT grbit)
{
    JET_ERR err = ls_grbit(grbit);
    if (err < 0)
        return err;
    instance *pinst;
    session *psess;
    err = sess_enter(sesid, &pinst, &psess);
    if (err < 0)
        return err;
    JET_CALLBACK pfn = (JET_CALLBACK)inst_param_value(pinst, JET_paramRuntimeCallback);
    err = isam_set_ls(psess->isess, tableid, ls, grbit, pfn, sesid);
    sess_leave(pinst, psess);
    return err;
}

ESEPY_EXPORT JET_ERR JetGetLS(JET_SESID sesid, JET_TABLEID tableid, JET_LS *pls, JET_GRBIT grbit)
{
    JET_ERR err = ls_grbit(grbit);
    if (err < 0)
        return err;
    if (pls == NULL)
        return JET_errInvalidParameter;
    instance *pinst;
    session *psess;
    err = sess_enter(sesid, &pinst, &psess);
    if (err < 0)
        return err;
    err = isam_get_ls(psess->isess, tableid, pls, grbit);
    sess_leave(pinst, psess);
    return err;
}
