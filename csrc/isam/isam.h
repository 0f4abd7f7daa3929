/*
 * isam.h -- the ISAM layer: databases, the catalog, tables, columns, the
 * primary index, records, cursors, transactions with snapshot isolation
 * (version store), and the replay driver behind crash recovery and restore.
 *
 * Owns: what a database means (header states, attach/detach), the catalog
 * tree, record-level logging (undo information, commit/rollback records),
 * the version store, table cursors, and recovery (redo + undo over the log).
 * Must not touch: instance modes, handles of instances/sessions, parameters
 * (the api layer passes what it needs in isam_config), Python.
 *
 * Threads: any number of sessions may run concurrently, one thread per
 * session.  isam_inst.lock guards the database table, the version store and
 * the transaction table; it is never held during I/O or while waiting for a
 * page latch.
 */
#ifndef ESEPY_ISAM_H
#define ESEPY_ISAM_H

#include <stdint.h>
#include "esent.h"
#include "esepy_ext.h"
#include "log.h"
#include "cache.h"

typedef struct isam_inst isam_inst;
typedef struct isam_sess isam_sess;

/* Event callback into the api layer (recovery begin / generation / end). */
typedef void (*isam_event_fn)(void *ctx, uint32_t eventid, int32_t level, JET_ERR err, const char *message,
                              uint32_t cfields, const ESEPY_EVENTFIELD *fields);

/* Restore (hard recovery of a backup set; csrc/backup drives it): replay
 * starts at the first generation of the set, read from its folder, and may
 * continue in the log folder. */
typedef struct isam_restore {
    const char *dirBackup;       /* generations genLow..genHigh are read here */
    int32_t     genLow, genHigh;
    int         fRollForward;    /* then generations > genHigh from the log folder */
    const log_header *pafter;    /* newest generation known: the new one follows it */
    int64_t     tmStop;          /* stop before the first commit after this (us since 1970), 0 = none */
    /* A database the log attaches: *pfSkip = 1 if the set does not restore it;
     * else pathOut (OS_PATH_MAX) receives where it now is (copied there). */
    JET_ERR   (*prepare_db)(void *ctx, const JET_SIGNATURE *psignDb, const char *logged, char *pathOut,
                            int *pfSkip);
    /* Pages 1..*pcpg of the database's copy that were all zero (a bitmap, bit
     * pgno-1), or NULL: after redo, such a page below the high-water mark
     * that replay did not write is a broken link (JET_errBadPageLink). */
    void      (*zero_pages)(void *ctx, const JET_SIGNATURE *psignDb, const uint8_t **ppbits, uint32_t *pcpg);
    /* Replay reached (gen, byte offset): a negative return cancels. */
    JET_ERR   (*progress)(void *ctx, int32_t gen, uint64_t off);
    void       *ctx;
} isam_restore;

typedef struct isam_config {
    log_config     log;              /* folders, base name, sizes */
    int            recovery;         /* JET_paramRecovery != "off" */
    uint32_t       cbPage;           /* JET_paramDatabasePageSize */
    uint32_t       cpgCacheMax;      /* page cache frames */
    uint64_t       cbCheckpointDepthMax;
    int            fCheckpointInline; /* ESEPY_paramCheckpointThread 0: no checkpointer thread (inst.c CT1) */
    uint32_t       cpgDbExtension;   /* JET_paramDbExtensionSize */
    uint64_t       cbVersionStoreMax;/* MaxVerPages * VerPageSize */
    JET_GRBIT      grbitCommitDefault;
    const char    *altDbPath;        /* JET_paramAlternateDatabaseRecoveryPath or NULL */
    /* JetInit2/3 recovery options */
    JET_GRBIT      grbitInit;
    const JET_RSTMAP *rgrstmap;
    int32_t        crstmap;
    lsn_t          lsnStop;          /* LSN_NIL = replay everything */
    JET_PFNSTATUS  pfnStatus;        /* restore/recovery progress, or NULL */
    const isam_restore *restore;     /* restore instead of crash recovery, or NULL */
    isam_event_fn  event;
    void          *eventctx;
    /* temporary database (temp.c) */
    const char    *tempPath;         /* JET_paramTempPath resolved to a file, or NULL */
    uint32_t       cTempTablesMax;   /* JET_paramMaxTemporaryTables; 0 = no temporary database */
    int            fTempUnversioned; /* JET_paramEnableTempTableVersioning false: no rollback */
    uint32_t       cCursorsMax;      /* JET_paramMaxCursors: open cursors of the instance (0: 1024) */
} isam_config;

/* Open the instance's log stream and run soft recovery if the log says the
 * last run did not end cleanly (redo from the checkpoint, undo what never
 * committed, flush, mark databases clean, detach them).  On success the
 * instance is ready for sessions.  Errors: everything recovery can report
 * (JET_errMissingLogFile, JET_errLogFileCorrupt, JET_errBadLogSignature,
 * JET_errAttachedDatabaseMismatch, JET_errReadVerifyFailure, ...). */
JET_ERR isam_init(const isam_config *pcfg, isam_inst **ppinst);
/* Shut down: with `clean`, flush everything, mark databases clean, write the
 * clean-shutdown log record; without, abandon (as a crash would).
 * Returns JET_errTooManyActiveUsers (and does nothing) if `clean` and
 * `fRequireNoTrx` while transactions are open. */
JET_ERR isam_term(isam_inst *pinst, int clean);
int     isam_active_transactions(isam_inst *pinst);
/* Transaction nesting level of a session (0 = none). */
int     isam_transaction_level(isam_sess *psess);

/* ---- sessions --------------------------------------------------------------- */
JET_ERR isam_begin_session(isam_inst *pinst, isam_sess **ppsess);
/* Roll back, close cursors and databases, free. */
void    isam_end_session(isam_sess *psess);
/* Free a session's memory without touching the databases (dirty stop: its
 * open transaction is left for recovery to undo). */
void    isam_drop_session(isam_sess *psess);

/* ---- databases (dbid = 1..7 as JetOpenDatabase hands out) ------------------- */
JET_ERR isam_create_database(isam_sess *psess, const char *szFile, uint32_t cpgMax, JET_GRBIT grbit,
                             JET_DBID *pdbid);
JET_ERR isam_attach_database(isam_sess *psess, const char *szFile, uint32_t cpgMax, JET_GRBIT grbit);
JET_ERR isam_detach_database(isam_sess *psess, const char *szFile, JET_GRBIT grbit);
JET_ERR isam_open_database(isam_sess *psess, const char *szFile, JET_GRBIT grbit, JET_DBID *pdbid);
JET_ERR isam_close_database(isam_sess *psess, JET_DBID dbid, JET_GRBIT grbit);
JET_ERR isam_get_database_info(isam_sess *psess, JET_DBID dbid, void *pv, uint32_t cbMax, uint32_t infolevel);
/* Paths of attached databases (for JetGetInstanceInfo); returns the count. */
uint32_t isam_attached_paths(isam_inst *pinst, char paths[][OS_PATH_MAX], uint32_t cmax);
/* JetGetDatabaseFileInfo: works on a detached file, no instance needed. */
JET_ERR isam_get_database_file_info(const char *szFile, void *pv, uint32_t cbMax, uint32_t infolevel);

/* ---- local storage (ls.c): JetSetLS / JetGetLS ------------------------------ */
/* Set (JET_bitLSCursor, the default, or JET_bitLSTable) the context ls of the
 * cursor or its table, released later by pfn(sesid, ..., JET_cbtypFree*LS,
 * ls, ...); JET_bitLSReset clears it without a callback.
 * JET_errLSAlreadySet, JET_errLSCallbackNotSpecified (pfn NULL). */
JET_ERR isam_set_ls(isam_sess *psess, JET_TABLEID tableid, JET_API_PTR ls, JET_GRBIT grbit, JET_CALLBACK pfn,
                    JET_SESID sesid);
/* The context (JET_LSNil and JET_errLSNotSet when none); JET_bitLSReset
 * takes it out too (no callback). */
JET_ERR isam_get_ls(isam_sess *psess, JET_TABLEID tableid, JET_API_PTR *pls, JET_GRBIT grbit);

/* ---- online defragmentation (defrag.c) -------------------------------------- */
typedef struct isam_defrag isam_defrag;
/* Start defragmenting database dbid (or only table szTable) on a thread of
 * its own: at most cPassesMax passes (0: until a pass merges nothing), at
 * most cSecondsMax seconds (0: no limit); pfn (may be NULL) is called with
 * JET_cbtypOnlineDefragCompleted, sesidCb, dbid and pvContext once when it
 * ends, whatever ends it (defrag.c D4).
 * JET_wrnDefragAlreadyRunning when a task runs on the database. */
JET_ERR isam_defrag_start(isam_sess *psess, JET_DBID dbid, const char *szTable, uint32_t cPassesMax,
                          uint32_t cSecondsMax, JET_CALLBACK pfn, JET_SESID sesidCb, void *pvContext,
                          JET_GRBIT grbit);
/* Stop it and wait for it; the passes completed and seconds spent.
 * JET_wrnDefragNotRunning when none was running (a finished task still
 * reports its counts). */
JET_ERR isam_defrag_stop(isam_sess *psess, JET_DBID dbid, uint32_t *pcPasses, uint32_t *pcSeconds);
/* Stop and join the task of one database / of all (detach, term). */
void    isam_defrag_stop_db(isam_inst *pinst, uint32_t dbid);
void    isam_defrag_stop_all(isam_inst *pinst);

/* ---- transactions ------------------------------------------------------------ */
JET_ERR isam_begin_transaction(isam_sess *psess, JET_GRBIT grbit);
JET_ERR isam_commit_transaction(isam_sess *psess, JET_GRBIT grbit);
/* JetCommitTransaction2: also the commit id (ver.c C2; may be NULL) and, for
 * a lazy commit, the time within which it becomes durable (0 = no limit); a
 * durable commit returns after the durable-commit callback reported it, so
 * call it holding no engine lock (isam_commit_transaction never waits). */
JET_ERR isam_commit_transaction2(isam_sess *psess, JET_GRBIT grbit, uint32_t cmsecDurable, JET_COMMIT_ID *pid);
/* JET_paramDurableCommitCallback: pfn (NULL = none) is called with `inst`
 * from the log writer's flusher thread (log.h F1-F4) whenever more of the
 * log became durable.  No-op with logging off. */
JET_ERR isam_set_durable_commit_callback(isam_inst *pinst, JET_PFNDURABLECOMMITCALLBACK pfn, JET_INSTANCE inst);
JET_ERR isam_rollback(isam_sess *psess, JET_GRBIT grbit);

/* ---- tables (JET_TABLEID handles are validated here) ------------------------- */
JET_ERR isam_create_table(isam_sess *psess, JET_DBID dbid, const char *szName, uint32_t lPages,
                          uint32_t lDensity, JET_TABLEID *ptableid);
JET_ERR isam_open_table(isam_sess *psess, JET_DBID dbid, const char *szName, JET_GRBIT grbit,
                        JET_TABLEID *ptableid);
JET_ERR isam_close_table(isam_sess *psess, JET_TABLEID tableid);
JET_ERR isam_delete_table(isam_sess *psess, JET_DBID dbid, const char *szName);
/* A temporary table (temp.c): columns from rgdef (JET_bitColumnTTKey ones
 * form the key, in array order), JET_bitTT* options, key bytes (0 =
 * JET_cbKeyMost), fCaseSensitive for ordinal text keys, optional column
 * names (NULL: "Column1"...).  rgcolumnid (may be NULL) receives the ids. */
typedef struct isam_temp_spec {
    const JET_COLUMNDEF *rgdef;
    const char *const   *rgszName;
    uint32_t             ccol;
    JET_GRBIT            grbit;
    uint32_t             cbKeyMost;
    int                  fCaseSensitive;
} isam_temp_spec;
JET_ERR isam_open_temp_table(isam_sess *psess, const isam_temp_spec *pspec, JET_TABLEID *ptableid,
                             JET_COLUMNID *rgcolumnid);
JET_ERR isam_add_column(isam_sess *psess, JET_TABLEID tableid, const char *szName, const JET_COLUMNDEF *pdef,
                        const void *pvDefault, uint32_t cbDefault, JET_COLUMNID *pcolumnid);
JET_ERR isam_get_column_id(isam_sess *psess, JET_TABLEID tableid, const char *szName, JET_COLUMNDEF *pdef);
JET_ERR isam_get_column_info(isam_sess *psess, JET_TABLEID tableid, const char *szName, void *pv, uint32_t cbMax,
                             uint32_t infolevel);
JET_ERR isam_delete_column(isam_sess *psess, JET_TABLEID tableid, const char *szName, JET_GRBIT grbit);
JET_ERR isam_rename_column(isam_sess *psess, JET_TABLEID tableid, const char *szName, const char *szNew,
                           JET_GRBIT grbit);
JET_ERR isam_rename_table(isam_sess *psess, JET_DBID dbid, const char *szName, const char *szNew);
/* Table callbacks (callback.c): registrations of the session, per table. */
typedef struct isam_cb_reg {
    struct isam_db *db;
    uint32_t        objid;
    JET_CBTYP       cbtyp;
    JET_CALLBACK    pfn;
    void           *pvContext;
    JET_HANDLE      h;
} isam_cb_reg;
/* The registrations a JetUpdate / JetDelete on a cursor must call: before /
 * after are the two cbtyp bits of the operation; regs[0..c) owned. */
typedef struct isam_cb_list {
    JET_CBTYP    before, after;
    JET_DBID     dbid;
    uint32_t     c;
    isam_cb_reg *regs;
} isam_cb_list;
JET_ERR isam_register_callback(isam_sess *psess, JET_TABLEID tableid, JET_CBTYP cbtyp, JET_CALLBACK pfn,
                               void *pvContext, JET_HANDLE *ph);
JET_ERR isam_unregister_callback(isam_sess *psess, JET_TABLEID tableid, JET_CBTYP cbtyp, JET_HANDLE h);
/* Copy out the callbacks of the operation about to run on tableid (fDelete:
 * JetDelete, else JetUpdate of the prepared insert / replace); an empty list
 * when none apply.  The caller calls them with no lock held, then frees. */
JET_ERR isam_callbacks(isam_sess *psess, JET_TABLEID tableid, int fDelete, isam_cb_list *pl);
void    isam_callbacks_free(isam_cb_list *pl);
JET_ERR isam_set_column_default(isam_sess *psess, JET_DBID dbid, const char *szTable, const char *szColumn,
                                const void *pv, uint32_t cb, JET_GRBIT grbit);
JET_ERR isam_get_table_info(isam_sess *psess, JET_TABLEID tableid, void *pv, uint32_t cbMax, uint32_t infolevel);
/* JetGetObjectInfo(JET_ObjInfo)'s statistics of a table: the records its
 * primary index holds for this session's view (counted: a scan) and the pages
 * of its primary tree (bt_count_pages), as ESENT's JetComputeStats computes
 * them.  The cursor must be on the primary index, never moved. */
JET_ERR isam_table_stats(isam_sess *psess, JET_TABLEID tableid, uint32_t *pcRecord, uint32_t *pcPage);
JET_ERR isam_create_index(isam_sess *psess, JET_TABLEID tableid, const char *szName, JET_GRBIT grbit,
                          const char *szKey, uint32_t cbKey, uint32_t lDensity);
/* One index of JetCreateIndex2..4, flattened by the api layer. */
typedef struct isam_index_spec {
    const char *szName;
    JET_GRBIT   grbit;
    const char *szKey;
    uint32_t    cbKey;
    uint32_t    ulDensity;
    uint32_t    cbKeyMost;       /* with JET_bitIndexKeyMost */
    int         fCaseSensitive;  /* LCMapString flags without NORM_IGNORECASE */
    const JET_CONDITIONALCOLUMN_A *rgcond; /* conditional columns (cond entries) */
    uint32_t    ccond;
} isam_index_spec;
/* Create c indexes in order; perrs[i] receives each result (stops at the first failure). */
JET_ERR isam_create_indexes(isam_sess *psess, JET_TABLEID tableid, const isam_index_spec *specs, uint32_t c,
                            JET_ERR *perrs);
/* Template tables (template.c): copy template szTemplate's columns and
 * indexes into the new, empty table (JET_errDDLNotInheritable if it is not a
 * template); record the table's JET_bitTableCreateFixedDDL /
 * JET_bitTableCreateTemplateTable bits and its template's name (NULL: none)
 * in the catalog. */
JET_ERR isam_inherit_template(isam_sess *psess, JET_TABLEID tableid, const char *szTemplate);
JET_ERR isam_set_table_ddl(isam_sess *psess, JET_TABLEID tableid, JET_GRBIT grbit, const char *szTemplate);
/* JET_TABLECREATE2+ szCallback / cbtyp: the table's own callback, kept in the
 * catalog (callback.c CB2); JET_errCallbackNotResolved if the name does not
 * resolve. */
JET_ERR isam_set_table_callback(isam_sess *psess, JET_TABLEID tableid, JET_CBTYP cbtyp, const char *szCallback);
JET_ERR isam_delete_index(isam_sess *psess, JET_TABLEID tableid, const char *szIndex);
JET_ERR isam_set_current_index(isam_sess *psess, JET_TABLEID tableid, const char *szIndex, JET_GRBIT grbit,
                               uint32_t itagSequence);
JET_ERR isam_get_current_index(isam_sess *psess, JET_TABLEID tableid, char *szIndex, uint32_t cbMax);
JET_ERR isam_get_index_info(isam_sess *psess, JET_TABLEID tableid, const char *szIndex, void *pv, uint32_t cbMax,
                            uint32_t infolevel);
/* EsepyGetIndexes's multi-string (os_malloc'ed, *pcb bytes). */
JET_ERR isam_list_indexes(isam_sess *psess, JET_TABLEID tableid, char **ppszz, uint32_t *pcb);
/* The column, index and object list tables built next (fWide) have Unicode
 * text columns holding UTF-16LE, as ESENT's W functions return them. */
void    isam_set_wide_lists(isam_sess *psess, int fWide);
/* Column names of a table as a multi-string, and the primary index key
 * definition ("+a\0-b\0\0", empty when the table has none). */
JET_ERR isam_describe_table(isam_sess *psess, JET_TABLEID tableid, char *szzColumns, uint32_t cbColumns,
                            uint32_t *pcbColumns, char *szKey, uint32_t cbKeyMax, uint32_t *pcbKey);
/* Names of the tables of a database, NUL-separated with a final NUL, in a
 * buffer the caller frees with os_free; *pc receives the count. */
JET_ERR isam_list_tables(isam_sess *psess, JET_DBID dbid, char **ppszz, uint32_t *pc);
/* JetGetObjectInfo's JET_ObjInfoList: the tables of dbid (objtyp JET_objtypNil
 * or JET_objtypTable; any other kind lists nothing) in a temporary table;
 * fStats: each row's cRecord / cPage counted as JET_ObjInfo does (else 0,
 * JET_ObjInfoListNoStats). */
JET_ERR isam_object_list(isam_sess *psess, JET_DBID dbid, JET_OBJTYP objtyp, int fStats, JET_OBJECTLIST *pol);

/* ---- records -------------------------------------------------------------------- */
JET_ERR isam_prepare_update(isam_sess *psess, JET_TABLEID tableid, uint32_t prep);
JET_ERR isam_set_column(isam_sess *psess, JET_TABLEID tableid, JET_COLUMNID columnid, const void *pv, uint32_t cb,
                        JET_GRBIT grbit, const JET_SETINFO *psetinfo);
JET_ERR isam_update(isam_sess *psess, JET_TABLEID tableid, void *pvBookmark, uint32_t cbBookmark,
                    uint32_t *pcbActual);
JET_ERR isam_delete(isam_sess *psess, JET_TABLEID tableid);
JET_ERR isam_escrow_update(isam_sess *psess, JET_TABLEID tableid, JET_COLUMNID columnid, const void *pv, uint32_t cb,
                           void *pvOld, uint32_t cbOldMax, uint32_t *pcbOldActual, JET_GRBIT grbit);
JET_ERR isam_retrieve_column(isam_sess *psess, JET_TABLEID tableid, JET_COLUMNID columnid, void *pv, uint32_t cbMax,
                             uint32_t *pcbActual, JET_GRBIT grbit, JET_RETINFO *pretinfo);
/* Not a JET code: isam_retrieve_column's answer when the column has no value
 * and a user-defined default applies (table.c UD1); the API layer then calls
 * the callback from isam_udd_get, with no lock held. */
#define ISAM_wrnUserDefinedDefault 0x40000001
/* The user-defined default of columnid: its callback (resolved now:
 * JET_errCallbackNotResolved), *ppvUser a copy of its user data (NULL when
 * none; the caller frees it with os_free) and the cursor's database. */
JET_ERR isam_udd_get(isam_sess *psess, JET_TABLEID tableid, JET_COLUMNID columnid, JET_CALLBACK *ppfn,
                     void **ppvUser, JET_DBID *pdbid);
/* JetRetrieveColumns: each entry as isam_retrieve_column, the record read
 * once for all of them; stops at (and returns) the first entry's error. */
JET_ERR isam_retrieve_columns(isam_sess *psess, JET_TABLEID tableid, JET_RETRIEVECOLUMN *prc, uint32_t crc);
JET_ERR isam_move(isam_sess *psess, JET_TABLEID tableid, int32_t cRow, JET_GRBIT grbit);
/* scanbatch.c: EsepyReadRows' values of the cursor's current record -- the
 * first value of each column of rgcol, packed into pb from *pib on (cb bytes
 * in all), rgv[i] describing value i, *pib moved past them.  Returns
 * ISAM_wrnRowNotRead (nothing of the record kept: *pib unchanged) when a value
 * does not fit or needs the API layer (a user-defined default). */
JET_ERR isam_read_row_values(isam_sess *psess, JET_TABLEID tableid, const ESEPY_READCOLUMN *rgcol, uint32_t ccol,
                             uint8_t *pb, uint32_t cb, uint32_t *pib, ESEPY_ROWVALUE *rgv);
/* Not a JET code: see isam_read_row_values. */
#define ISAM_wrnRowNotRead 0x40000002
JET_ERR isam_make_key(isam_sess *psess, JET_TABLEID tableid, const void *pv, uint32_t cb, JET_GRBIT grbit);
JET_ERR isam_enumerate_columns(isam_sess *psess, JET_TABLEID tableid, uint32_t cEnumColumnId,
                               const JET_ENUMCOLUMNID *rgEnumColumnId, uint32_t *pcEnumColumn,
                               JET_ENUMCOLUMN **prgEnumColumn, JET_PFNREALLOC pfnRealloc, void *pvReallocContext,
                               uint32_t cbDataMost, JET_GRBIT grbit);
JET_ERR isam_get_record_position(isam_sess *psess, JET_TABLEID tableid, JET_RECPOS *precpos, uint32_t cb);
JET_ERR isam_goto_position(isam_sess *psess, JET_TABLEID tableid, const JET_RECPOS *precpos);
JET_ERR isam_dup_cursor(isam_sess *psess, JET_TABLEID tableid, JET_TABLEID *ptableid, JET_GRBIT grbit);
JET_ERR isam_get_lock(isam_sess *psess, JET_TABLEID tableid, JET_GRBIT grbit);
JET_ERR isam_seek(isam_sess *psess, JET_TABLEID tableid, JET_GRBIT grbit);
JET_ERR isam_get_bookmark(isam_sess *psess, JET_TABLEID tableid, void *pv, uint32_t cbMax, uint32_t *pcbActual);
JET_ERR isam_goto_bookmark(isam_sess *psess, JET_TABLEID tableid, const void *pv, uint32_t cb);
JET_ERR isam_set_index_range(isam_sess *psess, JET_TABLEID tableid, JET_GRBIT grbit);
JET_ERR isam_index_record_count(isam_sess *psess, JET_TABLEID tableid, uint32_t *pcrec, uint32_t crecMax);
JET_ERR isam_retrieve_key(isam_sess *psess, JET_TABLEID tableid, void *pv, uint32_t cbMax, uint32_t *pcbActual,
                          JET_GRBIT grbit);
JET_ERR isam_get_secondary_bookmark(isam_sess *psess, JET_TABLEID tableid, void *pvKey, uint32_t cbKeyMax,
                                    uint32_t *pcbKey, void *pvBm, uint32_t cbBmMax, uint32_t *pcbBm);
JET_ERR isam_goto_secondary_bookmark(isam_sess *psess, JET_TABLEID tableid, const void *pvKey, uint32_t cbKey,
                                     const void *pvBm, uint32_t cbBm, JET_GRBIT grbit);

/* ---- compaction (compact.c) ------------------------------------------------- */
/* Progress of isam_compact: phase ISAM_COMPACT_*, records copied so far and
 * in all (counted at the start).  An error returned from BEGIN or PROGRESS
 * cancels the compaction and is returned; COMPLETE's result is ignored. */
#define ISAM_COMPACT_BEGIN    1
#define ISAM_COMPACT_PROGRESS 2
#define ISAM_COMPACT_COMPLETE 3
typedef JET_ERR (*isam_compact_fn)(void *ctx, int phase, uint32_t done, uint32_t total);
/* JetCompact: copy szSrc (attached read-only for the copy unless attached)
 * into the new file szDest (JET_errDatabaseDuplicate when it exists), dense.
 * szDest appears only complete (written under a temporary name, then renamed). */
JET_ERR isam_compact(isam_sess *psess, const char *szSrc, const char *szDest, isam_compact_fn fn, void *ctx);
/* JetGrowDatabase / JetSetDatabaseSize: extend the file of dbid / szFile to
 * at least cpg pages; *pcpgReal receives its size in pages afterwards. */
JET_ERR isam_grow_database(isam_sess *psess, JET_DBID dbid, uint32_t cpg, uint32_t *pcpgReal);
/* JetResizeDatabase to fewer pages: the free and never-used pages at the end
 * of the file leave it, down to cpg pages at most (no page is moved);
 * *pcpgReal receives the file's size in pages afterwards (compact.c, Z1). */
JET_ERR isam_shrink_database(isam_sess *psess, JET_DBID dbid, uint32_t cpg, uint32_t *pcpgReal);

/* ---- backup support (bksupport.c; the backup layer drives these) ------------- */

typedef struct isam_bkdb {
    uint32_t      dbid;
    JET_SIGNATURE signDb;
    char          path[OS_PATH_MAX];
} isam_bkdb;

#define ISAM_BK_FULL        1  /* full backup, logs truncated: bkinfoFullPrev */
#define ISAM_BK_INCREMENTAL 2  /* incremental, logs truncated: bkinfoIncPrev */
#define ISAM_BK_COPY        3  /* full, logs kept: bkinfoCopyPrev */
#define ISAM_BK_DIFF        4  /* incremental, logs kept: bkinfoDiffPrev */

/* The attached, logged databases (what a full backup copies). */
uint32_t isam_backup_list(isam_inst *pinst, isam_bkdb *out, uint32_t cmax);
/* A backup is running (fHold) / ended: databases may not be detached meanwhile. */
void     isam_backup_hold(isam_inst *pinst, int fHold);
/* The header image of database dbid (still the one signed *psign, else
 * JET_errDatabaseNotFound) and its number of data pages. */
JET_ERR  isam_backup_header(isam_inst *pinst, uint32_t dbid, const JET_SIGNATURE *psign, db_header *phdr,
                            uint32_t *pcpg);
/* Pages pgno.. of dbid as cache_backup_read gives them. */
JET_ERR  isam_backup_read(isam_inst *pinst, uint32_t dbid, uint32_t pgno, uint32_t cpg, void *pv);
/* Record a finished backup (ISAM_BK_*) in the database header, durably. */
JET_ERR  isam_backup_mark(isam_inst *pinst, uint32_t dbid, const JET_SIGNATURE *psign, int which,
                          const JET_BKINFO *pbk);
log_writer       *isam_log_writer(isam_inst *pinst);   /* NULL when logging is off */
const log_config *isam_log_config(isam_inst *pinst);
uint32_t          isam_page_size(isam_inst *pinst);

/* ---- inspection: one catalog row decoded (catalog.c; pure, no instance) ------- */

typedef struct cat_row_view {
    char     kind;          /* 'T' table, 'I' secondary index, 'C' column, 0 other */
    uint32_t objidTable;    /* 'I', 'C': the table's objid (from the key); 'T': objid */
    uint32_t objid;         /* 'T': the table's tree; 'I': the index's tree; 'C': columnid */
    uint32_t pgnoRoot;      /* 'T', 'I' */
    uint32_t objidLV, pgnoLV;  /* 'T': its long-value tree, 0 when none */
    char     name[JET_cbNameMost + 1]; /* 'T': as created; 'I': folded (the key's) */
} cat_row_view;
/* Decode the catalog node (key, data) as the catalog reads it.
 * JET_errCatalogCorrupted when it does not parse. */
JET_ERR cat_row_decode(const uint8_t *pbKey, uint32_t cbKey, const uint8_t *pbData, uint32_t cbData,
                       cat_row_view *prow);

/* ---- inspection: what a log record is about (logview.c; pure) -------------- */

typedef struct isam_log_view {
    int      fTrx, fDbid, fPgno;
    uint64_t trx;           /* transaction of COMMIT, ROLLBACK, UNDO, CLR, DELTADONE */
    uint32_t dbid, pgno;    /* database, and page (UNDO: the tree's root) */
    char     path[256];     /* DBCREATE / DBATTACH: the database's path ("" otherwise) */
} isam_log_view;
/* Describe a record of this layer or of the btree layer below; a record of
 * another type (or too short) leaves every flag 0. */
void isam_log_describe(uint8_t type, const uint8_t *pv, uint32_t cb, isam_log_view *pview);

#endif /* ESEPY_ISAM_H */
