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

/* The W functions ask for list tables holding UTF-16 (ESENT's W list levels)
 * by or-ing ESEPY_INFOLEVEL_WIDE into the level (wchar.c): the session's
 * isam flag is set for this one call (wide_done clears it). */
static uint32_t wide_level(call *pc, uint32_t level)
{
    isam_set_wide_lists(pc->psess->isess, (level & ESEPY_INFOLEVEL_WIDE) != 0);
    return level & ~(uint32_t)ESEPY_INFOLEVEL_WIDE;
}

static JET_ERR wide_done(call *pc, JET_ERR err)
{
    isam_set_wide_lists(pc->psess->isess, 0);
    return end_call(pc, err);
}

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

/* JET_DbInfoDBInUse (ESENT): a 4-byte boolean, whether an instance of this
 * process has the file attached; the file itself is not read. */
#define DBINUSE_MAX 16 /* more than an instance may attach */

static JET_ERR db_in_use(const char *szDatabaseName, void *pvResult, uint32_t cbMax)
{
    if (cbMax != sizeof(int32_t))
        return JET_errInvalidBufferSize;
    if (szDatabaseName == NULL || pvResult == NULL)
        return JET_errInvalidParameter;
    char full[OS_PATH_MAX];
    JET_ERR err = os_path_absolute(szDatabaseName, full, sizeof(full));
    if (err < 0)
        return err;
    instance *running[PROC_MAX_INSTANCES];
    uint32_t c = 0;
    err = proc_lock();
    if (err < 0)
        return err;
    for (uint32_t i = 0; i < PROC_MAX_INSTANCES; i++) {
        instance *pinst = proc.insts[i];
        if (pinst && pinst->state == INST_RUNNING) {
            pinst->refs++; /* keeps its engine up while we read it unlocked */
            running[c++] = pinst;
        }
    }
    proc_unlock();
    int32_t fInUse = 0;
    for (uint32_t i = 0; i < c; i++) {
        char (*attached)[OS_PATH_MAX] = os_malloc(sizeof(char[DBINUSE_MAX][OS_PATH_MAX]));
        if (attached == NULL) {
            err = JET_errOutOfMemory;
        } else {
            uint32_t n = isam_attached_paths(running[i]->isam, attached, DBINUSE_MAX);
            for (uint32_t k = 0; k < n; k++)
                if (strcmp(attached[k], full) == 0)
                    fInUse = 1;
            os_free(attached);
        }
    }
    os_mutex_lock(&proc.lock);
    for (uint32_t i = 0; i < c; i++)
        running[i]->refs--;
    os_cond_broadcast(&proc.cond);
    os_mutex_unlock(&proc.lock);
    if (err < 0)
        return err;
    memcpy(pvResult, &fInUse, sizeof(fInUse));
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR JetGetDatabaseFileInfo(const char *szDatabaseName, void *pvResult, uint32_t cbMax,
                                            uint32_t InfoLevel)
{
    if (InfoLevel == JET_DbInfoDBInUse)
        return db_in_use(szDatabaseName, pvResult, cbMax);
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

ESEPY_EXPORT JET_ERR JetCommitTransaction2(JET_SESID sesid, JET_GRBIT grbit, uint32_t cmsecDurableCommit,
                                           JET_COMMIT_ID *pCommitId)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    /* JET_sesparamCommitDefault (lazy flush) applies to ordinary commits, not
     * to the wait / new-log requests that must come alone. */
    if ((grbit & (JET_bitWaitLastLevel0Commit | JET_bitWaitAllLevel0Commit | JET_bitForceNewLog)) == 0)
        grbit |= sess_commit_default(c.psess);
    return end_call(&c, isam_commit_transaction2(S(c), grbit, cmsecDurableCommit, pCommitId));
}

ESEPY_EXPORT JET_ERR JetCommitTransaction(JET_SESID sesid, JET_GRBIT grbit)
{
    return JetCommitTransaction2(sesid, grbit, 0, NULL);
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
    err = isam_close_table(S(c), tableid);
    if (err >= 0)
        filter_drop(c.psess, tableid);
    return end_call(&c, err);
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
    InfoLevel = wide_level(&c, InfoLevel);
    return wide_done(&c, isam_get_column_info(S(c), tableid, szColumnName, pvResult, cbMax, InfoLevel));
}

ESEPY_EXPORT JET_ERR JetGetColumnInfo(JET_SESID sesid, JET_DBID dbid, const char *szTableName,
                                      const char *szColumnName, void *pvResult, uint32_t cbMax, uint32_t InfoLevel)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    InfoLevel = wide_level(&c, InfoLevel);
    JET_TABLEID tableid;
    err = isam_open_table(S(c), dbid, szTableName, JET_bitTableReadOnly, &tableid);
    if (err >= 0) {
        err = isam_get_column_info(S(c), tableid, szColumnName, pvResult, cbMax, InfoLevel);
        (void)isam_close_table(S(c), tableid);
    }
    return wide_done(&c, err);
}

ESEPY_EXPORT JET_ERR JetGetTableInfo(JET_SESID sesid, JET_TABLEID tableid, void *pvResult, uint32_t cbMax,
                                     uint32_t InfoLevel)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_get_table_info(S(c), tableid, pvResult, cbMax, InfoLevel));
}

ESEPY_EXPORT JET_ERR JetDeleteColumn2(JET_SESID sesid, JET_TABLEID tableid, const char *szColumnName,
                                      JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_delete_column(S(c), tableid, szColumnName, grbit));
}

ESEPY_EXPORT JET_ERR JetDeleteColumn(JET_SESID sesid, JET_TABLEID tableid, const char *szColumnName)
{
    return JetDeleteColumn2(sesid, tableid, szColumnName, 0);
}

ESEPY_EXPORT JET_ERR JetRenameColumn(JET_SESID sesid, JET_TABLEID tableid, const char *szName,
                                     const char *szNameNew, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_rename_column(S(c), tableid, szName, szNameNew, grbit));
}

ESEPY_EXPORT JET_ERR JetRenameTable(JET_SESID sesid, JET_DBID dbid, const char *szName, const char *szNameNew)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_rename_table(S(c), dbid, szName, szNameNew));
}

ESEPY_EXPORT JET_ERR JetSetColumnDefaultValue(JET_SESID sesid, JET_DBID dbid, const char *szTableName,
                                              const char *szColumnName, const void *pvData, uint32_t cbData,
                                              JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_set_column_default(S(c), dbid, szTableName, szColumnName, pvData, cbData, grbit));
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

/* Call the callbacks of l registered for typ (l.before or l.after).  The
 * caller holds no engine lock and has left the session (sess_leave), so a
 * callback may call the API on it.  A Before* error stops the operation with
 * that error; After* results are ignored (as ESENT). */
static JET_ERR run_callbacks(JET_SESID sesid, JET_TABLEID tableid, const isam_cb_list *pl, JET_CBTYP typ)
{
    for (uint32_t i = 0; i < pl->c; i++) {
        if (!(pl->regs[i].cbtyp & typ))
            continue;
        JET_ERR err = pl->regs[i].pfn(sesid, pl->dbid, tableid, typ, NULL, NULL, pl->regs[i].pvContext, 0);
        if (err < 0 && typ == pl->before)
            return err;
    }
    return JET_errSuccess;
}

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
    isam_cb_list l;
    err = isam_callbacks(S(c), tableid, 0, &l);
    if (err < 0 || l.c == 0)
        return end_call(&c, err < 0 ? err : isam_update(S(c), tableid, pvBookmark, cbBookmark, pcbActual));
    end_call(&c, JET_errSuccess);
    err = run_callbacks(sesid, tableid, &l, l.before);
    if (err >= 0)
        err = begin_call(sesid, &c);
    if (err >= 0) {
        err = end_call(&c, isam_update(S(c), tableid, pvBookmark, cbBookmark, pcbActual));
        if (err >= 0)
            (void)run_callbacks(sesid, tableid, &l, l.after);
    }
    isam_callbacks_free(&l);
    return err;
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
    isam_cb_list l;
    err = isam_callbacks(S(c), tableid, 1, &l);
    if (err < 0 || l.c == 0)
        return end_call(&c, err < 0 ? err : isam_delete(S(c), tableid));
    end_call(&c, JET_errSuccess);
    err = run_callbacks(sesid, tableid, &l, l.before);
    if (err >= 0)
        err = begin_call(sesid, &c);
    if (err >= 0) {
        err = end_call(&c, isam_delete(S(c), tableid));
        if (err >= 0)
            (void)run_callbacks(sesid, tableid, &l, l.after);
    }
    isam_callbacks_free(&l);
    return err;
}

/* ---- table callbacks ------------------------------------------------------------ */

ESEPY_EXPORT JET_ERR JetRegisterCallback(JET_SESID sesid, JET_TABLEID tableid, JET_CBTYP cbtyp, JET_CALLBACK pCallback,
                                         void *pvContext, JET_HANDLE *phCallbackId)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_register_callback(S(c), tableid, cbtyp, pCallback, pvContext, phCallbackId));
}

ESEPY_EXPORT JET_ERR JetUnregisterCallback(JET_SESID sesid, JET_TABLEID tableid, JET_CBTYP cbtyp,
                                           JET_HANDLE hCallbackId)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_unregister_callback(S(c), tableid, cbtyp, hCallbackId));
}

ESEPY_EXPORT JET_ERR JetEscrowUpdate(JET_SESID sesid, JET_TABLEID tableid, JET_COLUMNID columnid, void *pv,
                                     uint32_t cbMax, void *pvOld, uint32_t cbOldMax, uint32_t *pcbOldActual,
                                     JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_escrow_update(S(c), tableid, columnid, pv, cbMax, pvOld, cbOldMax, pcbOldActual,
                                           grbit));
}

/* A user-defined default (isam table.c UD1), for a retrieval that answered
 * ISAM_wrnUserDefinedDefault (c still held; ended here): as ESENT, the
 * callback gets the caller's buffer (pvArg1) and its size in/out (pvArg2),
 * the column's user data (pvContext) and the columnid (ulUnused); its error
 * fails the retrieval, a size above cbData is JET_wrnBufferTruncated.  It
 * runs with no engine lock held and the session free: it may retrieve other
 * columns of the record. */
static JET_ERR udd_call(JET_SESID sesid, call *pc, JET_TABLEID tableid, JET_COLUMNID columnid, void *pvData,
                        uint32_t cbData, uint32_t *pcbActual)
{
    JET_CALLBACK pfn;
    void *pvUser;
    JET_DBID dbid = 0;
    JET_ERR err = end_call(pc, isam_udd_get(S(*pc), tableid, columnid, &pfn, &pvUser, &dbid));
    if (err < 0)
        return err;
    uint32_t cb = cbData;
    err = pfn(sesid, dbid, tableid, JET_cbtypUserDefinedDefaultValue, pvData, &cb, pvUser, (JET_API_PTR)columnid);
    os_free(pvUser);
    if (err == JET_errSuccess && cb > cbData)
        err = JET_wrnBufferTruncated;
    if (pcbActual)
        *pcbActual = cb;
    return err;
}

ESEPY_EXPORT JET_ERR JetRetrieveColumn(JET_SESID sesid, JET_TABLEID tableid, JET_COLUMNID columnid, void *pvData,
                                       uint32_t cbData, uint32_t *pcbActual, JET_GRBIT grbit, JET_RETINFO *pretinfo)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    err = isam_retrieve_column(S(c), tableid, columnid, pvData, cbData, pcbActual, grbit, pretinfo);
    if (err != ISAM_wrnUserDefinedDefault)
        return end_call(&c, err);
    return udd_call(sesid, &c, tableid, columnid, pvData, cbData, pcbActual);
}

ESEPY_EXPORT JET_ERR JetMove(JET_SESID sesid, JET_TABLEID tableid, int32_t cRow, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    int fFiltered;
    err = filter_move(c.psess, tableid, cRow, grbit, &fFiltered);
    if (!fFiltered)
        err = isam_move(S(c), tableid, cRow, grbit);
    return end_call(&c, err);
}

/* EsepyReadRows (esepy_ext.h): the moves of JetMove and the values of
 * isam_read_row_values under one session entry.  A record whose values
 * isam_read_row_values leaves (ISAM_wrnRowNotRead) ends the call, the cursor
 * on it, with ESEPY_bitReadRowsPending. */
ESEPY_EXPORT JET_ERR EsepyReadRows(JET_SESID sesid, JET_TABLEID tableid, int32_t cRowFirst, uint32_t crow,
                                   const ESEPY_READCOLUMN *rgcolumn, uint32_t ccolumn, void *pvData, uint32_t cbData,
                                   ESEPY_ROWVALUE *rgvalue, uint32_t *pcrow, uint32_t *pcbUsed, JET_GRBIT *pgrbitOut)
{
    if (pcrow == NULL || pcbUsed == NULL || pgrbitOut == NULL)
        return JET_errInvalidParameter;
    *pcrow = 0;
    *pcbUsed = 0;
    *pgrbitOut = 0;
    if ((ccolumn > 0 && (rgcolumn == NULL || rgvalue == NULL)) || (pvData == NULL && cbData > 0))
        return JET_errInvalidParameter;
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    uint32_t irow = 0, ib = 0;
    JET_GRBIT out = 0;
    for (; irow < crow; irow++) {
        int32_t cRow = irow == 0 ? cRowFirst : JET_MoveNext;
        if (cRow != 0) {
            int fFiltered;
            err = filter_move(c.psess, tableid, cRow, 0, &fFiltered);
            if (!fFiltered)
                err = isam_move(S(c), tableid, cRow, 0);
            if (err == JET_errNoCurrentRecord) {
                out |= ESEPY_bitReadRowsEnd;
                err = JET_errSuccess;
                break;
            }
            if (err < 0)
                break;
        }
        err = isam_read_row_values(S(c), tableid, rgcolumn, ccolumn, pvData, cbData, &ib,
                                   ccolumn ? rgvalue + (size_t)irow * ccolumn : NULL);
        if (err == ISAM_wrnRowNotRead) {
            out |= ESEPY_bitReadRowsPending;
            err = JET_errSuccess;
            break;
        }
        if (err < 0)
            break;
    }
    *pcrow = irow;
    *pcbUsed = ib;
    *pgrbitOut = out;
    return end_call(&c, err < 0 ? err : JET_errSuccess);
}

ESEPY_EXPORT JET_ERR JetEnumerateColumns(JET_SESID sesid, JET_TABLEID tableid, uint32_t cEnumColumnId,
                                         JET_ENUMCOLUMNID *rgEnumColumnId, uint32_t *pcEnumColumn,
                                         JET_ENUMCOLUMN **prgEnumColumn, JET_PFNREALLOC pfnRealloc,
                                         void *pvReallocContext, uint32_t cbDataMost, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_enumerate_columns(S(c), tableid, cEnumColumnId, rgEnumColumnId, pcEnumColumn,
                                               prgEnumColumn, pfnRealloc, pvReallocContext, cbDataMost, grbit));
}

ESEPY_EXPORT JET_ERR JetGetRecordPosition(JET_SESID sesid, JET_TABLEID tableid, JET_RECPOS *precpos,
                                          uint32_t cbRecpos)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_get_record_position(S(c), tableid, precpos, cbRecpos));
}

ESEPY_EXPORT JET_ERR JetGotoPosition(JET_SESID sesid, JET_TABLEID tableid, JET_RECPOS *precpos)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_goto_position(S(c), tableid, precpos));
}

ESEPY_EXPORT JET_ERR JetDupCursor(JET_SESID sesid, JET_TABLEID tableid, JET_TABLEID *ptableid, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_dup_cursor(S(c), tableid, ptableid, grbit));
}

ESEPY_EXPORT JET_ERR JetGetLock(JET_SESID sesid, JET_TABLEID tableid, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_get_lock(S(c), tableid, grbit));
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

/* ---- secondary indexes and navigation ---------------------------------------- */

#define NORM_IGNORECASE_FLAG 0x00000001u

/* Flatten JET_INDEXCREATE / 2 / 3 (same leading fields) into isam specs and
 * create them on the session's table. */
static JET_ERR create_indexes_in(isam_sess *psess, JET_TABLEID tableid, const uint8_t *pb, size_t cbEach,
                                 uint32_t c, int level)
{
    JET_ERR err = JET_errSuccess;
    if (pb == NULL && c > 0)
        return JET_errInvalidParameter;
    isam_index_spec *specs = c ? os_calloc(c, sizeof(*specs)) : NULL;
    JET_ERR *errs = c ? os_calloc(c, sizeof(JET_ERR)) : NULL;
    if (c && (specs == NULL || errs == NULL)) {
        os_free(specs);
        os_free(errs);
        return JET_errOutOfMemory;
    }
    for (uint32_t i = 0; i < c && err >= 0; i++) {
        const JET_INDEXCREATE_A *pic = (const JET_INDEXCREATE_A *)(pb + i * cbEach);
        if (pic->cbStruct != cbEach) {
            err = JET_errInvalidCreateIndex;
            break;
        }
        specs[i].szName = pic->szIndexName;
        specs[i].grbit = pic->grbit;
        specs[i].szKey = pic->szKey;
        specs[i].cbKey = pic->cbKey;
        specs[i].ulDensity = pic->ulDensity;
        specs[i].cbKeyMost = pic->cbKeyMost;
        uint32_t mapFlags = NORM_IGNORECASE_FLAG;
        if ((pic->grbit & JET_bitIndexUnicode) && pic->pidxunicode) {
            if (level == 3)
                mapFlags = ((const JET_INDEXCREATE3_A *)pic)->pidxunicode->dwMapFlags;
            else
                mapFlags = pic->pidxunicode->dwMapFlags;
        }
        specs[i].fCaseSensitive = !(mapFlags & NORM_IGNORECASE_FLAG);
        specs[i].rgcond = pic->rgconditionalcolumn;
        specs[i].ccond = pic->cConditionalColumn;
    }
    if (err >= 0)
        err = isam_create_indexes(psess, tableid, specs, c, errs);
    for (uint32_t i = 0; i < c; i++) {
        JET_INDEXCREATE_A *pic = (JET_INDEXCREATE_A *)(pb + i * cbEach);
        if (pic->cbStruct == cbEach)
            pic->err = errs[i];
    }
    os_free(specs);
    os_free(errs);
    return err;
}

static JET_ERR create_indexes(JET_SESID sesid, JET_TABLEID tableid, const uint8_t *pb, size_t cbEach,
                              uint32_t c, int level)
{
    call cl;
    JET_ERR err = begin_call(sesid, &cl);
    if (err < 0)
        return err;
    return end_call(&cl, create_indexes_in(S(cl), tableid, pb, cbEach, c, level));
}

/* The common part of JET_TABLECREATE / 2 / 3 (the api layer flattens them). */
typedef struct table_create {
    const char         *szTableName, *szTemplateTableName, *szCallback;
    JET_CBTYP           cbtyp;
    uint32_t            ulPages, ulDensity;
    JET_GRBIT           grbit;
    JET_COLUMNCREATE_A *rgcolumncreate;
    uint32_t            cColumns;
    const uint8_t      *rgindexcreate;
    size_t              cbIndex;
    int                 levelIndex;
    uint32_t            cIndexes;
    JET_TABLEID         tableid;
    uint32_t            cCreated;
} table_create;

/* Create the table, its columns, then its indexes in one transaction: any
 * failure rolls all of it back and leaves no table open. */
static JET_ERR create_table_column_index(JET_SESID sesid, JET_DBID dbid, table_create *ptc)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    ptc->tableid = JET_tableidNil;
    ptc->cCreated = 0;
    /* Template tables as ESENT checks them (isam template.c TP1): no nesting,
     * NoFixedVarColumnsInDerivedTables refused (ESENT: deprecated), no other bits. */
    if ((ptc->grbit & JET_bitTableCreateTemplateTable) && ptc->szTemplateTableName)
        return end_call(&c, JET_errCannotNestDDL);
    if (ptc->grbit & ~(JET_GRBIT)(JET_bitTableCreateFixedDDL | JET_bitTableCreateTemplateTable))
        return end_call(&c, JET_errInvalidGrbit);
    if ((ptc->cColumns && ptc->rgcolumncreate == NULL) || (ptc->cIndexes && ptc->rgindexcreate == NULL))
        return end_call(&c, JET_errInvalidParameter);
    err = isam_begin_transaction(S(c), 0);
    if (err < 0)
        return end_call(&c, err);
    JET_TABLEID tableid = JET_tableidNil;
    err = isam_create_table(S(c), dbid, ptc->szTableName, ptc->ulPages, ptc->ulDensity, &tableid);
    if (err >= 0)
        ptc->cCreated = 1;
    if (err >= 0 && ptc->szTemplateTableName)
        err = isam_inherit_template(S(c), tableid, ptc->szTemplateTableName);
    for (uint32_t i = 0; err >= 0 && i < ptc->cColumns; i++) {
        JET_COLUMNCREATE_A *pcc = &ptc->rgcolumncreate[i];
        if (pcc->cbStruct != sizeof(*pcc)) {
            err = JET_errInvalidParameter;
            break;
        }
        JET_COLUMNDEF cd;
        memset(&cd, 0, sizeof(cd));
        cd.cbStruct = sizeof(cd);
        cd.coltyp = pcc->coltyp;
        cd.cbMax = pcc->cbMax;
        cd.grbit = pcc->grbit;
        cd.cp = (unsigned short)pcc->cp;
        pcc->err = isam_add_column(S(c), tableid, pcc->szColumnName, &cd, pcc->pvDefault, pcc->cbDefault,
                                   &pcc->columnid);
        err = pcc->err;
        if (err >= 0)
            ptc->cCreated++;
    }
    if (err >= 0 && ptc->cIndexes) {
        err = create_indexes_in(S(c), tableid, ptc->rgindexcreate, ptc->cbIndex, ptc->cIndexes, ptc->levelIndex);
        if (err >= 0)
            ptc->cCreated += ptc->cIndexes;
    }
    if (err >= 0 && ptc->szCallback && ptc->cbtyp != JET_cbtypNull)
        err = isam_set_table_callback(S(c), tableid, ptc->cbtyp, ptc->szCallback);
    if (err >= 0 && (ptc->grbit || ptc->szTemplateTableName))
        err = isam_set_table_ddl(S(c), tableid, ptc->grbit, ptc->szTemplateTableName);
    if (err >= 0)
        err = isam_commit_transaction(S(c), 0);
    if (err < 0) {
        if (tableid != JET_tableidNil)
            (void)isam_close_table(S(c), tableid);
        (void)isam_rollback(S(c), 0);
        ptc->cCreated = 0;
        return end_call(&c, err);
    }
    ptc->tableid = tableid;
    return end_call(&c, err);
}

#define TC_IN(ptc, p)                                                                                      \
    do {                                                                                                   \
        (ptc).szTableName = (p)->szTableName, (ptc).szTemplateTableName = (p)->szTemplateTableName;        \
        (ptc).ulPages = (p)->ulPages, (ptc).ulDensity = (p)->ulDensity, (ptc).grbit = (p)->grbit;          \
        (ptc).rgcolumncreate = (p)->rgcolumncreate, (ptc).cColumns = (p)->cColumns;                        \
        (ptc).rgindexcreate = (const uint8_t *)(p)->rgindexcreate, (ptc).cIndexes = (p)->cIndexes;         \
    } while (0)

ESEPY_EXPORT JET_ERR JetCreateTableColumnIndex(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE_A *ptablecreate)
{
    if (ptablecreate == NULL || ptablecreate->cbStruct != sizeof(*ptablecreate))
        return JET_errInvalidParameter;
    table_create tc = { 0 };
    TC_IN(tc, ptablecreate);
    tc.cbIndex = sizeof(JET_INDEXCREATE_A), tc.levelIndex = 1;
    JET_ERR err = create_table_column_index(sesid, dbid, &tc);
    ptablecreate->tableid = tc.tableid;
    ptablecreate->cCreated = tc.cCreated;
    return err;
}

ESEPY_EXPORT JET_ERR JetCreateTableColumnIndex2(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE2_A *ptablecreate)
{
    if (ptablecreate == NULL || ptablecreate->cbStruct != sizeof(*ptablecreate))
        return JET_errInvalidParameter;
    table_create tc = { 0 };
    TC_IN(tc, ptablecreate);
    tc.szCallback = ptablecreate->szCallback, tc.cbtyp = ptablecreate->cbtyp;
    tc.cbIndex = sizeof(JET_INDEXCREATE_A), tc.levelIndex = 1;
    JET_ERR err = create_table_column_index(sesid, dbid, &tc);
    ptablecreate->tableid = tc.tableid;
    ptablecreate->cCreated = tc.cCreated;
    return err;
}

ESEPY_EXPORT JET_ERR JetCreateTableColumnIndex3(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE3_A *ptablecreate)
{
    if (ptablecreate == NULL || ptablecreate->cbStruct != sizeof(*ptablecreate))
        return JET_errInvalidParameter;
    table_create tc = { 0 };
    TC_IN(tc, ptablecreate);
    tc.szCallback = ptablecreate->szCallback, tc.cbtyp = ptablecreate->cbtyp;
    tc.cbIndex = sizeof(JET_INDEXCREATE2_A), tc.levelIndex = 2;
    JET_ERR err = create_table_column_index(sesid, dbid, &tc);
    ptablecreate->tableid = tc.tableid;
    ptablecreate->cCreated = tc.cCreated;
    return err;
}

ESEPY_EXPORT JET_ERR JetCreateTableColumnIndex4(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE4_A *ptablecreate)
{
    if (ptablecreate == NULL || ptablecreate->cbStruct != sizeof(*ptablecreate))
        return JET_errInvalidParameter;
    table_create tc = { 0 };
    TC_IN(tc, ptablecreate);
    tc.szCallback = ptablecreate->szCallback, tc.cbtyp = ptablecreate->cbtyp;
    tc.cbIndex = sizeof(JET_INDEXCREATE3_A), tc.levelIndex = 3;
    JET_ERR err = create_table_column_index(sesid, dbid, &tc);
    ptablecreate->tableid = tc.tableid;
    ptablecreate->cCreated = tc.cCreated;
    return err;
}

ESEPY_EXPORT JET_ERR JetCreateIndex2(JET_SESID sesid, JET_TABLEID tableid, JET_INDEXCREATE_A *pindexcreate,
                                     uint32_t cIndexCreate)
{
    return create_indexes(sesid, tableid, (const uint8_t *)pindexcreate, sizeof(JET_INDEXCREATE_A), cIndexCreate, 1);
}

ESEPY_EXPORT JET_ERR JetCreateIndex3(JET_SESID sesid, JET_TABLEID tableid, JET_INDEXCREATE2_A *pindexcreate,
                                     uint32_t cIndexCreate)
{
    return create_indexes(sesid, tableid, (const uint8_t *)pindexcreate, sizeof(JET_INDEXCREATE2_A), cIndexCreate,
                          2);
}

ESEPY_EXPORT JET_ERR JetCreateIndex4(JET_SESID sesid, JET_TABLEID tableid, JET_INDEXCREATE3_A *pindexcreate,
                                     uint32_t cIndexCreate)
{
    return create_indexes(sesid, tableid, (const uint8_t *)pindexcreate, sizeof(JET_INDEXCREATE3_A), cIndexCreate,
                          3);
}

ESEPY_EXPORT JET_ERR JetDeleteIndex(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_delete_index(S(c), tableid, szIndexName));
}

ESEPY_EXPORT JET_ERR JetSetCurrentIndex3(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName,
                                         JET_GRBIT grbit, uint32_t itagSequence)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_set_current_index(S(c), tableid, szIndexName, grbit, itagSequence));
}

ESEPY_EXPORT JET_ERR JetSetCurrentIndex2(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName,
                                         JET_GRBIT grbit)
{
    return JetSetCurrentIndex3(sesid, tableid, szIndexName, grbit, 1);
}

ESEPY_EXPORT JET_ERR JetSetCurrentIndex(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName)
{
    return JetSetCurrentIndex3(sesid, tableid, szIndexName, JET_bitMoveFirst, 1);
}

ESEPY_EXPORT JET_ERR JetGetCurrentIndex(JET_SESID sesid, JET_TABLEID tableid, char *szIndexName,
                                        uint32_t cbIndexName)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_get_current_index(S(c), tableid, szIndexName, cbIndexName));
}

ESEPY_EXPORT JET_ERR JetSetIndexRange(JET_SESID sesid, JET_TABLEID tableid, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_set_index_range(S(c), tableid, grbit));
}

ESEPY_EXPORT JET_ERR JetIndexRecordCount(JET_SESID sesid, JET_TABLEID tableid, uint32_t *pcrec, uint32_t crecMax)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_index_record_count(S(c), tableid, pcrec, crecMax));
}

ESEPY_EXPORT JET_ERR JetRetrieveKey(JET_SESID sesid, JET_TABLEID tableid, void *pvKey, uint32_t cbMax,
                                    uint32_t *pcbActual, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_retrieve_key(S(c), tableid, pvKey, cbMax, pcbActual, grbit));
}

ESEPY_EXPORT JET_ERR JetGetSecondaryIndexBookmark(JET_SESID sesid, JET_TABLEID tableid, void *pvSecondaryKey,
                                                  uint32_t cbSecondaryKeyMax, uint32_t *pcbSecondaryKeyActual,
                                                  void *pvPrimaryBookmark, uint32_t cbPrimaryBookmarkMax,
                                                  uint32_t *pcbPrimaryBookmarkActual, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    if (grbit != 0)
        return end_call(&c, JET_errInvalidGrbit);
    return end_call(&c, isam_get_secondary_bookmark(S(c), tableid, pvSecondaryKey, cbSecondaryKeyMax,
                                                    pcbSecondaryKeyActual, pvPrimaryBookmark, cbPrimaryBookmarkMax,
                                                    pcbPrimaryBookmarkActual));
}

ESEPY_EXPORT JET_ERR JetGotoSecondaryIndexBookmark(JET_SESID sesid, JET_TABLEID tableid, const void *pvSecondaryKey,
                                                   uint32_t cbSecondaryKey, const void *pvPrimaryBookmark,
                                                   uint32_t cbPrimaryBookmark, JET_GRBIT grbit)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    return end_call(&c, isam_goto_secondary_bookmark(S(c), tableid, pvSecondaryKey, cbSecondaryKey,
                                                     pvPrimaryBookmark, cbPrimaryBookmark, grbit));
}

ESEPY_EXPORT JET_ERR JetGetTableIndexInfo(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName,
                                          void *pvResult, uint32_t cbResult, uint32_t InfoLevel)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    InfoLevel = wide_level(&c, InfoLevel);
    return wide_done(&c, isam_get_index_info(S(c), tableid, szIndexName, pvResult, cbResult, InfoLevel));
}

ESEPY_EXPORT JET_ERR JetGetIndexInfo(JET_SESID sesid, JET_DBID dbid, const char *szTableName, const char *szIndexName,
                                     void *pvResult, uint32_t cbResult, uint32_t InfoLevel)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    InfoLevel = wide_level(&c, InfoLevel);
    JET_TABLEID tableid;
    err = isam_open_table(S(c), dbid, szTableName, 0, &tableid);
    if (err >= 0) {
        err = isam_get_index_info(S(c), tableid, szIndexName, pvResult, cbResult, InfoLevel);
        (void)isam_close_table(S(c), tableid);
    }
    return wide_done(&c, err);
}

ESEPY_EXPORT JET_ERR EsepyGetIndexes(JET_SESID sesid, JET_TABLEID tableid, char *szzIndexes, uint32_t cbMax,
                                     uint32_t *pcbActual)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    char *szz = NULL;
    uint32_t cb = 0;
    err = isam_list_indexes(S(c), tableid, &szz, &cb);
    if (err >= 0) {
        if (pcbActual)
            *pcbActual = cb;
        if (szzIndexes) {
            if (cbMax < cb)
                err = JET_errBufferTooSmall;
            else
                memcpy(szzIndexes, szz, cb);
        }
        os_free(szz);
    }
    return end_call(&c, err);
}

/* ---- several columns per call ---------------------------------------------------- */

ESEPY_EXPORT JET_ERR JetSetColumns(JET_SESID sesid, JET_TABLEID tableid, JET_SETCOLUMN *psetcolumn,
                                   uint32_t csetcolumn)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    if (psetcolumn == NULL && csetcolumn > 0)
        return end_call(&c, JET_errInvalidParameter);
    for (uint32_t i = 0; i < csetcolumn && err >= 0; i++) {
        JET_SETCOLUMN *p = &psetcolumn[i];
        JET_SETINFO si = { sizeof(si), p->ibLongValue, p->itagSequence };
        p->err = isam_set_column(S(c), tableid, p->columnid, p->pvData, p->cbData, p->grbit, &si);
        if (p->err < 0)
            err = p->err;
    }
    return end_call(&c, err < 0 ? err : JET_errSuccess);
}

ESEPY_EXPORT JET_ERR JetRetrieveColumns(JET_SESID sesid, JET_TABLEID tableid, JET_RETRIEVECOLUMN *pretrievecolumn,
                                        uint32_t cretrievecolumn)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    if (pretrievecolumn == NULL && cretrievecolumn > 0)
        return end_call(&c, JET_errInvalidParameter);
    err = end_call(&c, isam_retrieve_columns(S(c), tableid, pretrievecolumn, cretrievecolumn));
    /* entries whose user-defined default applies: their callbacks, in order,
     * each as JetRetrieveColumn; the first error is the call's */
    for (uint32_t i = 0; i < cretrievecolumn; i++) {
        JET_RETRIEVECOLUMN *p = &pretrievecolumn[i];
        if (p->err != ISAM_wrnUserDefinedDefault)
            continue;
        JET_ERR e = begin_call(sesid, &c);
        if (e >= 0)
            e = udd_call(sesid, &c, tableid, p->columnid, p->pvData, p->cbData, &p->cbActual);
        p->err = e;
        if (e < 0 && err >= 0)
            err = e;
        else if (e == JET_wrnBufferTruncated && err == JET_errSuccess)
            err = e;
    }
    return err;
}

/* ---- temporary tables ------------------------------------------------------ */

static JET_ERR open_temp(JET_SESID sesid, const JET_COLUMNDEF *prgcolumndef, uint32_t ccolumn, JET_GRBIT grbit,
                         uint32_t cbKeyMost, int fCaseSensitive, JET_TABLEID *ptableid, JET_COLUMNID *prgcolumnid)
{
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    isam_temp_spec spec = { prgcolumndef, NULL, ccolumn, grbit, cbKeyMost, fCaseSensitive };
    return end_call(&c, isam_open_temp_table(S(c), &spec, ptableid, prgcolumnid));
}

ESEPY_EXPORT JET_ERR JetOpenTempTable(JET_SESID sesid, const JET_COLUMNDEF *prgcolumndef, uint32_t ccolumn,
                                      JET_GRBIT grbit, JET_TABLEID *ptableid, JET_COLUMNID *prgcolumnid)
{
    return open_temp(sesid, prgcolumndef, ccolumn, grbit, 0, 0, ptableid, prgcolumnid);
}

ESEPY_EXPORT JET_ERR JetOpenTempTable2(JET_SESID sesid, const JET_COLUMNDEF *prgcolumndef, uint32_t ccolumn,
                                       uint32_t lcid, JET_GRBIT grbit, JET_TABLEID *ptableid,
                                       JET_COLUMNID *prgcolumnid)
{
    (void)lcid; /* text keys compare by esepy's own folding whatever the locale */
    return open_temp(sesid, prgcolumndef, ccolumn, grbit, 0, 0, ptableid, prgcolumnid);
}

ESEPY_EXPORT JET_ERR JetOpenTempTable3(JET_SESID sesid, const JET_COLUMNDEF *prgcolumndef, uint32_t ccolumn,
                                       JET_UNICODEINDEX *pidxunicode, JET_GRBIT grbit, JET_TABLEID *ptableid,
                                       JET_COLUMNID *prgcolumnid)
{
    int fCase = pidxunicode && !(pidxunicode->dwMapFlags & NORM_IGNORECASE_FLAG);
    return open_temp(sesid, prgcolumndef, ccolumn, grbit, 0, fCase, ptableid, prgcolumnid);
}

ESEPY_EXPORT JET_ERR JetOpenTemporaryTable(JET_SESID sesid, JET_OPENTEMPORARYTABLE *popentemporarytable)
{
    JET_OPENTEMPORARYTABLE *p = popentemporarytable;
    if (p == NULL || p->cbStruct != sizeof(*p) || (p->cbVarSegMac && p->cbKeyMost && p->cbVarSegMac > p->cbKeyMost))
        return JET_errInvalidParameter;
    int fCase = p->pidxunicode && !(p->pidxunicode->dwMapFlags & NORM_IGNORECASE_FLAG);
    return open_temp(sesid, p->prgcolumndef, p->ccolumn, p->grbit, p->cbKeyMost, fCase, &p->tableid,
                     p->prgcolumnid);
}

ESEPY_EXPORT JET_ERR JetOpenTemporaryTable2(JET_SESID sesid, JET_OPENTEMPORARYTABLE2 *popentemporarytable)
{
    JET_OPENTEMPORARYTABLE2 *p = popentemporarytable;
    if (p == NULL || p->cbStruct != sizeof(*p) || (p->cbVarSegMac && p->cbKeyMost && p->cbVarSegMac > p->cbKeyMost))
        return JET_errInvalidParameter;
    int fCase = p->pidxunicode && !(p->pidxunicode->dwMapFlags & NORM_IGNORECASE_FLAG);
    return open_temp(sesid, p->prgcolumndef, p->ccolumn, p->grbit, p->cbKeyMost, fCase, &p->tableid,
                     p->prgcolumnid);
}

/* ---- objects ----------------------------------------------------------------- */

ESEPY_EXPORT JET_ERR JetGetObjectInfo(JET_SESID sesid, JET_DBID dbid, JET_OBJTYP objtyp, const char *szContainerName,
                                      const char *szObjectName, void *pvResult, uint32_t cbMax, uint32_t InfoLevel)
{
    int fWide = (InfoLevel & ESEPY_INFOLEVEL_WIDE) != 0; /* JetGetObjectInfoW (wchar.c) */
    InfoLevel &= ~(uint32_t)ESEPY_INFOLEVEL_WIDE;
    if (InfoLevel >= JET_ObjInfoMax || pvResult == NULL)
        return JET_errInvalidParameter;
    if (szContainerName && szContainerName[0])
        return JET_errInvalidParameter; /* no containers in this engine (ESE has none since Jet Blue) */
    call c;
    JET_ERR err = begin_call(sesid, &c);
    if (err < 0)
        return err;
    switch (InfoLevel) {
    case JET_ObjInfoList:
    case JET_ObjInfoListNoStats:
        if (cbMax < sizeof(JET_OBJECTLIST))
            err = JET_errBufferTooSmall;
        else if (fWide) {
            isam_set_wide_lists(S(c), 1);
            err = isam_object_list(S(c), dbid, objtyp, InfoLevel == JET_ObjInfoList, pvResult);
            isam_set_wide_lists(S(c), 0);
        } else {
            err = isam_object_list(S(c), dbid, objtyp, InfoLevel == JET_ObjInfoList, pvResult);
        }
        break;
    case JET_ObjInfo:
    case JET_ObjInfoNoStats: {
        if (szObjectName == NULL) {
            err = JET_errInvalidParameter;
            break;
        }
        if (objtyp != JET_objtypNil && objtyp != JET_objtypTable) {
            err = JET_errObjectNotFound;
            break;
        }
        JET_TABLEID tableid;
        /* an ordinary cursor: JET_bitTableInfoUpdatable is the table's, not a read-only cursor's (CU1) */
        err = isam_open_table(S(c), dbid, szObjectName, 0, &tableid);
        if (err >= 0) {
            err = isam_get_table_info(S(c), tableid, pvResult, cbMax, JET_TblInfo);
            if (err >= 0 && InfoLevel == JET_ObjInfo) {
                /* ESENT: the statistics JetComputeStats stored; esepy counts them now
                 * (records: a scan of the primary index) -- NoStats leaves them 0 */
                uint32_t cRecord = 0, cPage = 0;
                err = isam_table_stats(S(c), tableid, &cRecord, &cPage);
                if (err >= 0) {
                    JET_OBJECTINFO oi; /* pvResult need not be aligned */
                    memcpy(&oi, pvResult, sizeof(oi));
                    oi.cRecord = cRecord;
                    oi.cPage = cPage;
                    memcpy(pvResult, &oi, sizeof(oi));
                }
            }
            (void)isam_close_table(S(c), tableid);
        }
        break;
    }
    default:
        err = JET_errFeatureNotAvailable; /* system-table cursors, access masks, rules */
        break;
    }
    return end_call(&c, err);
}
