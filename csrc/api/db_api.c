/*
 * db_api.c -- the Jet* entry points for databases, transactions, tables,
 * columns, indexes and records.  Each validates the session handle, keeps
 * the session busy for the duration of the call (one thread per session),
 * and hands the work to the ISAM layer.
 *
 * Owns: argument plumbing between ESENT's signatures and isam.h.
 * Must not touch: engine state directly (everything goes through isam.h).
 */
#include "api_int.h"

#include <string.h>

typedef struct call {
    instance *pinst;
    session  *psess;
} call;

static JET_ERR begin_call(JET_SESID sesid, call *pc)
{
    return sess_enter(sesid, &pc->pinst, &pc->psess);
}

static JET_ERR end_call(call *pc, JET_ERR err)
{
    sess_leave(pc->pinst, pc->psess);
    return err;
}

#define S(c) ((c).psess->isess)

/* ---- databases ------------------------------------------------------------ */

ESEPY_EXPORT JET_ERR JetCreateDatabase2(JET_SESID sesid, const char *szFilename, uint32_t cpgDatabaseSizeMax,
                                        JET_DBID *pdbid, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_create_database(S(c), szFilename, cpgDatabaseSizeMax, grbit, pdbid));
}

ESEPY_EXPORT JET_ERR JetCreateDatabase(JET_SESID sesid, const char *szFilename, const char *szConnect,
                                       JET_DBID *pdbid, JET_GRBIT grbit)
{
    (void)szConnect;
    return JetCreateDatabase2(sesid, szFilename, 0, pdbid, grbit);
}

ESEPY_EXPORT JET_ERR JetAttachDatabase2(JET_SESID sesid, const char *szFilename, uint32_t cpgDatabaseSizeMax,
                                        JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_attach_database(S(c), szFilename, cpgDatabaseSizeMax, grbit));
}

ESEPY_EXPORT JET_ERR JetAttachDatabase(JET_SESID sesid, const char *szFilename, JET_GRBIT grbit)
{
    return JetAttachDatabase2(sesid, szFilename, 0, grbit);
}

ESEPY_EXPORT JET_ERR JetDetachDatabase2(JET_SESID sesid, const char *szFilename, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_detach_database(S(c), szFilename, grbit));
}

ESEPY_EXPORT JET_ERR JetDetachDatabase(JET_SESID sesid, const char *szFilename)
{
    return JetDetachDatabase2(sesid, szFilename, 0);
}

ESEPY_EXPORT JET_ERR JetOpenDatabase(JET_SESID sesid, const char *szFilename, const char *szConnect,
                                     JET_DBID *pdbid, JET_GRBIT grbit)
{
    (void)szConnect;
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_open_database(S(c), szFilename, grbit, pdbid));
}

ESEPY_EXPORT JET_ERR JetCloseDatabase(JET_SESID sesid, JET_DBID dbid, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_close_database(S(c), dbid, grbit));
}

ESEPY_EXPORT JET_ERR JetGetDatabaseInfo(JET_SESID sesid, JET_DBID dbid, void *pvResult, uint32_t cbMax,
                                        uint32_t InfoLevel)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_get_database_info(S(c), dbid, pvResult, cbMax, InfoLevel));
}

ESEPY_EXPORT JET_ERR JetGetDatabaseFileInfo(const char *szDatabaseName, void *pvResult, uint32_t cbMax,
                                            uint32_t InfoLevel)
{
    return isam_get_database_file_info(szDatabaseName, pvResult, cbMax, InfoLevel);
}

/* ---- transactions ----------------------------------------------------------- */

ESEPY_EXPORT JET_ERR JetBeginTransaction2(JET_SESID sesid, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_begin_transaction(S(c), grbit));
}

ESEPY_EXPORT JET_ERR JetBeginTransaction(JET_SESID sesid)
{
    return JetBeginTransaction2(sesid, 0);
}

ESEPY_EXPORT JET_ERR JetCommitTransaction(JET_SESID sesid, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_commit_transaction(S(c), grbit));
}

ESEPY_EXPORT JET_ERR JetCommitTransaction2(JET_SESID sesid, JET_GRBIT grbit, uint32_t cmsecDurableCommit,
                                           JET_COMMIT_ID *pCommitId)
{
    (void)cmsecDurableCommit;
    if (pCommitId)
        memset(pCommitId, 0, sizeof(*pCommitId));
    return JetCommitTransaction(sesid, grbit);
}

ESEPY_EXPORT JET_ERR JetRollback(JET_SESID sesid, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_rollback(S(c), grbit));
}

/* ---- tables, columns, indexes ----------------------------------------------- */

ESEPY_EXPORT JET_ERR JetCreateTable(JET_SESID sesid, JET_DBID dbid, const char *szTableName, int32_t lPages,
                                    int32_t lDensity, JET_TABLEID *ptableid)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    if (lPages < 0 || lDensity < 0)
        return end_call(&c, JET_errInvalidParameter);
    return end_call(&c, isam_create_table(S(c), dbid, szTableName, (uint32_t)lPages, (uint32_t)lDensity, ptableid));
}

ESEPY_EXPORT JET_ERR JetOpenTable(JET_SESID sesid, JET_DBID dbid, const char *szTableName, const void *pvParameters,
                                  uint32_t cbParameters, JET_GRBIT grbit, JET_TABLEID *ptableid)
{
    (void)pvParameters;
    (void)cbParameters;
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_open_table(S(c), dbid, szTableName, grbit, ptableid));
}

ESEPY_EXPORT JET_ERR JetCloseTable(JET_SESID sesid, JET_TABLEID tableid)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_close_table(S(c), tableid));
}

ESEPY_EXPORT JET_ERR JetDeleteTable(JET_SESID sesid, JET_DBID dbid, const char *szTableName)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_delete_table(S(c), dbid, szTableName));
}

ESEPY_EXPORT JET_ERR JetAddColumn(JET_SESID sesid, JET_TABLEID tableid, const char *szColumnName,
                                  const JET_COLUMNDEF *pcolumndef, const void *pvDefault, uint32_t cbDefault,
                                  JET_COLUMNID *pcolumnid)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_add_column(S(c), tableid, szColumnName, pcolumndef, pvDefault, cbDefault, pcolumnid));
}

ESEPY_EXPORT JET_ERR JetGetTableColumnInfo(JET_SESID sesid, JET_TABLEID tableid, const char *szColumnName,
                                           void *pvResult, uint32_t cbMax, uint32_t InfoLevel)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    if (InfoLevel != JET_ColInfo || pvResult == NULL)
        return end_call(&c, JET_errInvalidParameter);
    if (cbMax < sizeof(JET_COLUMNDEF))
        return end_call(&c, JET_errBufferTooSmall);
    return end_call(&c, isam_get_column_id(S(c), tableid, szColumnName, pvResult));
}

ESEPY_EXPORT JET_ERR JetCreateIndex(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName, JET_GRBIT grbit,
                                    const char *szKey, uint32_t cbKey, uint32_t lDensity)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_create_index(S(c), tableid, szIndexName, grbit, szKey, cbKey, lDensity));
}

ESEPY_EXPORT JET_ERR EsepyGetTableNames(JET_SESID sesid, JET_DBID dbid, char *szzNames, uint32_t cbMax,
                                        uint32_t *pcbActual, uint32_t *pcTables)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    char *szz = NULL;
    uint32_t n = 0;
    err = isam_list_tables(S(c), dbid, &szz, &n);
    if (err >= 0) {
        uint32_t cb = 1;
        for (const char *p = szz; *p; p += strlen(p) + 1)
            cb += (uint32_t)strlen(p) + 1;
        if (pcbActual)
            *pcbActual = cb;
        if (pcTables)
            *pcTables = n;
        if (szzNames) {
            if (cbMax < cb)
                err = JET_errBufferTooSmall;
            else
                memcpy(szzNames, szz, cb);
        }
        os_free(szz);
    }
    return end_call(&c, err);
}

/* ---- records ------------------------------------------------------------------ */

ESEPY_EXPORT JET_ERR JetPrepareUpdate(JET_SESID sesid, JET_TABLEID tableid, uint32_t prep)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_prepare_update(S(c), tableid, prep));
}

ESEPY_EXPORT JET_ERR JetSetColumn(JET_SESID sesid, JET_TABLEID tableid, JET_COLUMNID columnid, const void *pvData,
                                  uint32_t cbData, JET_GRBIT grbit, JET_SETINFO *psetinfo)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_set_column(S(c), tableid, columnid, pvData, cbData, grbit, psetinfo));
}

ESEPY_EXPORT JET_ERR JetUpdate2(JET_SESID sesid, JET_TABLEID tableid, void *pvBookmark, uint32_t cbBookmark,
                                uint32_t *pcbActual, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    if (grbit & ~(JET_GRBIT)0x1) /* JET_bitIgnoreDeferredLVs-style hints are accepted */
        return end_call(&c, JET_errInvalidGrbit);
    return end_call(&c, isam_update(S(c), tableid, pvBookmark, cbBookmark, pcbActual));
}

ESEPY_EXPORT JET_ERR JetUpdate(JET_SESID sesid, JET_TABLEID tableid, void *pvBookmark, uint32_t cbBookmark,
                               uint32_t *pcbActual)
{
    return JetUpdate2(sesid, tableid, pvBookmark, cbBookmark, pcbActual, 0);
}

ESEPY_EXPORT JET_ERR JetDelete(JET_SESID sesid, JET_TABLEID tableid)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_delete(S(c), tableid));
}

ESEPY_EXPORT JET_ERR JetRetrieveColumn(JET_SESID sesid, JET_TABLEID tableid, JET_COLUMNID columnid, void *pvData,
                                       uint32_t cbData, uint32_t *pcbActual, JET_GRBIT grbit, JET_RETINFO *pretinfo)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_retrieve_column(S(c), tableid, columnid, pvData, cbData, pcbActual, grbit, pretinfo));
}

ESEPY_EXPORT JET_ERR JetMove(JET_SESID sesid, JET_TABLEID tableid, int32_t cRow, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_move(S(c), tableid, cRow, grbit));
}

ESEPY_EXPORT JET_ERR JetMakeKey(JET_SESID sesid, JET_TABLEID tableid, const void *pvData, uint32_t cbData,
                                JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_make_key(S(c), tableid, pvData, cbData, grbit));
}

ESEPY_EXPORT JET_ERR JetSeek(JET_SESID sesid, JET_TABLEID tableid, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_seek(S(c), tableid, grbit));
}

ESEPY_EXPORT JET_ERR JetGetBookmark(JET_SESID sesid, JET_TABLEID tableid, void *pvBookmark, uint32_t cbMax,
                                    uint32_t *pcbActual)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_get_bookmark(S(c), tableid, pvBookmark, cbMax, pcbActual));
}

ESEPY_EXPORT JET_ERR JetGotoBookmark(JET_SESID sesid, JET_TABLEID tableid, const void *pvBookmark,
                                     uint32_t cbBookmark)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_goto_bookmark(S(c), tableid, pvBookmark, cbBookmark));
}

ESEPY_EXPORT JET_ERR EsepyDescribeTable(JET_SESID sesid, JET_TABLEID tableid, char *szzColumns, uint32_t cbColumns,
                                        uint32_t *pcbColumns, char *szKey, uint32_t cbKeyMax, uint32_t *pcbKey)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_describe_table(S(c), tableid, szzColumns, cbColumns, pcbColumns, szKey, cbKeyMax,
                                            pcbKey));
}
