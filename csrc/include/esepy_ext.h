/*
 * esepy_ext.h -- esepy's own C extensions to the ESENT API.
 *
 * Owns: the event sink (what ESE writes to the Windows event log), parameter
 * and error introspection used by bindings and documentation, and test hooks.
 * All names use the prefix Esepy / ESEPY_, never Jet / JET_, so that nothing
 * here can collide with a future ESENT name.
 */
#ifndef ESEPY_EXT_H
#define ESEPY_EXT_H

#include "esent.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Events                                                                    */
/* ------------------------------------------------------------------------ */

/* Event ids (esepy's numbering; ESE's event-log ids are not portable). */
#define ESEPY_EVENT_INIT_BEGIN          100
#define ESEPY_EVENT_INIT_DONE           101
#define ESEPY_EVENT_INIT_FAILED         102
#define ESEPY_EVENT_TERM_DONE           103
#define ESEPY_EVENT_TERM_FAILED         104
#define ESEPY_EVENT_TERM_DIRTY          105
#define ESEPY_EVENT_INSTANCE_FATAL      106 /* a write or sync failed: no more changes until JetInit recovers */
#define ESEPY_EVENT_BACKUP_BEGIN        200
#define ESEPY_EVENT_BACKUP_DONE         201
#define ESEPY_EVENT_BACKUP_FAILED       202
#define ESEPY_EVENT_RESTORE_BEGIN       210
#define ESEPY_EVENT_RESTORE_GENERATION  211
#define ESEPY_EVENT_RESTORE_DONE        212
#define ESEPY_EVENT_RESTORE_FAILED      213
#define ESEPY_EVENT_RECOVERY_BEGIN      300
#define ESEPY_EVENT_RECOVERY_GENERATION 301
#define ESEPY_EVENT_RECOVERY_DONE       302
#define ESEPY_EVENT_RECOVERY_FAILED     303
#define ESEPY_EVENT_LOG_CORRECTED       304 /* damaged log records repaired in memory (one bit each) */
#define ESEPY_EVENT_RECOVERY_CREATE_UNDONE 305 /* recovery removed a database whose JetCreateDatabase
                                             * never finished (R7 in recovery.c) */
#define ESEPY_EVENT_DATABASE_CORRUPTED  400 /* a database cannot be used as it is damaged: fields path,
                                             * pgno_first / pgno_last (its missing pages when truncated) */
#define ESEPY_EVENT_PAGE_CORRUPTED      401 /* a page read found damage: fields path, pgno, node (slot,
                                             * -1 for the page), reason; the call then fails */

/* Event levels: the numeric values of Python's logging levels. */
#define ESEPY_LEVEL_DEBUG    10
#define ESEPY_LEVEL_INFO     20
#define ESEPY_LEVEL_WARNING  30
#define ESEPY_LEVEL_ERROR    40

typedef struct {
    const char *szKey;
    const char *szValue;
} ESEPY_EVENTFIELD;

/* Everything the sink receives.  All pointers are valid only during the
 * callback. */
typedef struct {
    uint32_t                cbStruct;       /* sizeof(ESEPY_EVENT) */
    uint32_t                eventid;        /* ESEPY_EVENT_* */
    int32_t                 level;          /* ESEPY_LEVEL_* */
    JET_ERR                 err;            /* result being reported, 0 if none */
    JET_INSTANCE            instance;       /* JET_instanceNil if none */
    const char             *szInstanceName; /* "" when unnamed */
    const char             *szOperation;    /* API function, e.g. "JetInit" */
    const char             *szMessage;      /* one line of English */
    uint32_t                cfields;
    const ESEPY_EVENTFIELD *rgfields;       /* extra key/value pairs */
} ESEPY_EVENT;

/* The sink.  Called on the thread that performs the operation, with no engine
 * lock held, so it may call back into the engine (not on the same session). */
typedef void (*ESEPY_PFNEVENT)(const ESEPY_EVENT *pevent, void *pvContext);

/* Install (or, with NULL, remove) the process's event sink. */
JET_ERR EsepySetEventCallback(ESEPY_PFNEVENT pfn, void *pvContext);

/* ------------------------------------------------------------------------ */
/* Parameter introspection                                                   */
/* ------------------------------------------------------------------------ */
#define ESEPY_PARAMTYPE_INTEGER  1   /* number in lParam */
#define ESEPY_PARAMTYPE_BOOLEAN  2   /* 0 / non-zero in lParam */
#define ESEPY_PARAMTYPE_STRING   3   /* text in szParam */
#define ESEPY_PARAMTYPE_FOLDER   4   /* a folder path in szParam */
#define ESEPY_PARAMTYPE_PATH     5   /* a file (or folder) path in szParam */
#define ESEPY_PARAMTYPE_POINTER  6   /* a pointer in lParam (callbacks) */

#define ESEPY_PARAMFLAG_GLOBAL        0x0001 /* process-wide, never per instance */
#define ESEPY_PARAMFLAG_FIXEDATINIT   0x0002 /* cannot change once the instance is initialized */
#define ESEPY_PARAMFLAG_FIXEDATMODE   0x0004 /* cannot change once the process chose its mode */
#define ESEPY_PARAMFLAG_READONLY      0x0008 /* computed; JetSetSystemParameter refuses it */
#define ESEPY_PARAMFLAG_NOEFFECT      0x0010 /* accepted for compatibility; esepy ignores it */

/* esepy's own instance parameters (ids above every JET_param*).
 * ESEPY_paramCheckpointThread (boolean, default 0, fixed at init): 1 runs the
 * checkpoint (dirty-page write-back, checkpoint-file update) on a background
 * thread of the instance (experimental: one crash state of the thread's
 * crash-state test recovered an index that disagreed with its table, see
 * docs/reliability.md), 0 runs it inline on the committing thread, in a
 * deterministic I/O order (the crash-state harness enumerates that order). */
#define ESEPY_paramCheckpointThread 0x10001

typedef struct {
    uint32_t     cbStruct;      /* sizeof(ESEPY_PARAMINFO) */
    uint32_t     paramid;       /* JET_param* */
    const char  *szName;        /* "LogFilePath" (JET_param prefix removed) */
    const char  *szPythonName;  /* "log_path" */
    uint32_t     type;          /* ESEPY_PARAMTYPE_* */
    uint32_t     flags;         /* ESEPY_PARAMFLAG_* */
    JET_API_PTR  lDefault;      /* integer default */
    JET_API_PTR  lMin;          /* integer range, inclusive */
    JET_API_PTR  lMax;
    const char  *szDefault;     /* string default, NULL for integers */
    uint32_t     cchMax;        /* longest accepted string, in bytes */
} ESEPY_PARAMINFO;

/* Describe the iparam-th known parameter (0, 1, ...).  JET_errInvalidParameter
 * past the end or when pinfo / cbStruct is wrong. */
JET_ERR EsepyGetParamInfo(uint32_t iparam, ESEPY_PARAMINFO *pinfo);

/* ------------------------------------------------------------------------ */
/* Error introspection                                                       */
/* ------------------------------------------------------------------------ */
typedef struct {
    uint32_t    cbStruct;   /* sizeof(ESEPY_ERRORINFO) */
    JET_ERR     err;
    const char *szName;     /* "JET_errInvalidParameter" */
    JET_ERRCAT  errcat;     /* JET_errcatUnknown for success and warnings */
    int32_t     fCanonical; /* 0 for an alias name of a code listed before */
    const char *szMessage;
} ESEPY_ERRORINFO;

/* Describe the ierr-th row of the error table (sorted by code).
 * JET_errInvalidParameter past the end. */
JET_ERR EsepyGetErrorInfo(uint32_t ierr, ESEPY_ERRORINFO *pinfo);

/* ------------------------------------------------------------------------ */
/* Catalog                                                                   */
/* ------------------------------------------------------------------------ */

/* Names of the tables of an open database as a multi-string (each name
 * NUL-terminated, one more NUL at the end).  *pcbActual receives the size
 * needed, *pcTables the count; szzNames may be NULL to ask for the size;
 * JET_errBufferTooSmall when cbMax is smaller. */
JET_ERR EsepyGetTableNames(JET_SESID sesid, JET_DBID dbid, char *szzNames, uint32_t cbMax, uint32_t *pcbActual,
                           uint32_t *pcTables);

/* Describe an open table: its column names as a multi-string (szzColumns,
 * *pcbColumns = size needed) and its primary index key definition in
 * JetCreateIndex form ("+a\0-b\0\0"; "\0\0" for a table with sequential
 * keys; *pcbKey = size needed).  Either buffer may be NULL. */
JET_ERR EsepyDescribeTable(JET_SESID sesid, JET_TABLEID tableid, char *szzColumns, uint32_t cbColumns,
                           uint32_t *pcbColumns, char *szKey, uint32_t cbKeyMax, uint32_t *pcbKey);

/* EsepyReadRows: a batch of records read in one call (issue 20: what JetMove +
 * JetRetrieveColumns per record cost in calls).  The cursor moves as
 * JetMove(cRowFirst, 0) for the first record (0: it stays on its current
 * record, which is read first) and as JetMove(JET_MoveNext, 0) for each next
 * one -- index ranges and JetSetCursorFilter conditions apply as they do there
 * -- for up to crow records.  Of each record, the first value
 * (itagSequence 1) of each column of rgcolumn, retrieved with its grbit as
 * JetRetrieveColumn does, is copied into pvData after the values before it;
 * rgvalue[irow * ccolumn + icolumn] says where (ib, cb) or that it is NULL
 * (err JET_wrnColumnNull, cb 0).  Out: *pcrow records read whole, *pcbUsed
 * bytes of pvData used, *pgrbitOut: ESEPY_bitReadRowsEnd -- a move found no
 * record (the cursor is after the last, as JetMove leaves it); or
 * ESEPY_bitReadRowsPending -- the cursor is on a record it did not read: its
 * values do not fit what is left of pvData or one needs what only
 * JetRetrieveColumn(s) do (a user-defined default); read it so, then go on
 * with cRowFirst JET_MoveNext.  Errors are JetMove's and
 * JetRetrieveColumn's; the outputs then count what was read before. */
typedef struct {
    JET_COLUMNID columnid;
    JET_GRBIT    grbit; /* JetRetrieveColumn's: 0, JET_bitRetrieveFromIndex, ... */
} ESEPY_READCOLUMN;

typedef struct {
    uint32_t ib;  /* offset of the value in pvData */
    uint32_t cb;  /* its size */
    JET_ERR  err; /* JET_errSuccess, or JET_wrnColumnNull */
} ESEPY_ROWVALUE;

#define ESEPY_bitReadRowsEnd     0x1
#define ESEPY_bitReadRowsPending 0x2

JET_ERR EsepyReadRows(JET_SESID sesid, JET_TABLEID tableid, int32_t cRowFirst, uint32_t crow,
                      const ESEPY_READCOLUMN *rgcolumn, uint32_t ccolumn, void *pvData, uint32_t cbData,
                      ESEPY_ROWVALUE *rgvalue, uint32_t *pcrow, uint32_t *pcbUsed, JET_GRBIT *pgrbitOut);

/* The secondary indexes of an open table as a multi-string: one string per
 * index, "name<US>grbit<US>+col<US>-col..." with US = 0x1F (a byte no
 * name may hold), grbit in decimal; one more NUL at the end.  *pcbActual =
 * size needed; JET_errBufferTooSmall when cbMax is smaller. */
JET_ERR EsepyGetIndexes(JET_SESID sesid, JET_TABLEID tableid, char *szzIndexes, uint32_t cbMax, uint32_t *pcbActual);

/* ------------------------------------------------------------------------ */
/* Test hooks (used by esepy's own test-suite; harmless when unused)         */
/* ------------------------------------------------------------------------ */

/* Make the n-th engine allocation from now fail (n >= 1) and, with
 * fPersistent, every later one; n = 0 turns injection off.  *pcHits (may be
 * NULL) receives how many allocations failed so far. */
JET_ERR EsepyTestFailAllocation(uint32_t n, int32_t fPersistent, uint32_t *pcHits);

/* How many blocks the engine has allocated and not yet freed (every engine
 * allocation is counted): with no instance left it returns to its earlier
 * value, which is how tests prove that no error path leaks. */
JET_ERR EsepyTestLiveAllocations(int64_t *pcLive);

/* I/O fault injection and counting (docs/reliability.md).  A call belongs to
 * several kinds: READ = reads; WRITE = writes, truncations, allocations and
 * renames; SYNC = file and folder syncs; then one kind per call (PWRITE,
 * FSYNC, RENAME, UNLINK, TRUNCATE, DIRSYNC, ALLOCATE = file space) and
 * MUTATE = every call that changes the file system. */
#define ESEPY_IO_READ     0
#define ESEPY_IO_WRITE    1
#define ESEPY_IO_SYNC     2
#define ESEPY_IO_PWRITE   3
#define ESEPY_IO_FSYNC    4
#define ESEPY_IO_RENAME   5
#define ESEPY_IO_UNLINK   6
#define ESEPY_IO_TRUNCATE 7
#define ESEPY_IO_DIRSYNC  8
#define ESEPY_IO_ALLOCATE 9
#define ESEPY_IO_MUTATE   10
#define ESEPY_IO_KINDS    11

/* Make the n-th call of `kind` from now fail with err (< 0, e.g.
 * JET_errDiskIO for EIO, JET_errDiskFull for ENOSPC) and, with fPersistent,
 * every later one; n = 0 turns that kind off.  ESEPY_IO_ALLOCATE with
 * JET_errDiskFull is a full disk that still takes writes into space already
 * allocated (as pre-allocated log files are).  *pcHits (may be NULL) receives
 * how many calls of that kind injection failed since it was last armed,
 * before re-arming. */
JET_ERR EsepyTestFailIO(uint32_t kind, uint32_t n, int32_t fPersistent, JET_ERR err, uint32_t *pcHits);

/* Calls of `kind` made since the process first called a fault hook (this
 * one included: until then the engine counts nothing, so its allocations and
 * I/O calls pay no atomic operations; read differences); kind =
 * ESEPY_IO_KINDS gives the number of memory allocations. */
JET_ERR EsepyTestGetIOCount(uint32_t kind, uint64_t *pc);

/* Crash-simulation journal: fRecord > 0 starts recording every
 * state-changing file-system call (with written data) into an empty journal,
 * 0 stops, < 0 stops and frees it.  Entries: see csrc/os/os_crash.c. */
#define ESEPY_CJ_OPEN     1
#define ESEPY_CJ_WRITE    2
#define ESEPY_CJ_SYNC     3
#define ESEPY_CJ_TRUNCATE 4
#define ESEPY_CJ_ALLOCATE 5
#define ESEPY_CJ_RENAME   6
#define ESEPY_CJ_UNLINK   7
#define ESEPY_CJ_DIRSYNC  8
#define ESEPY_CJ_MKDIR    9
#define ESEPY_CJ_RMDIR    10
#define ESEPY_CJ_MARK     11
#define ESEPY_CJ_SYNCFAIL 12
JET_ERR EsepyTestCrashJournal(int32_t fRecord);
/* Append a marker with `tag` to the journal (e.g. "commit 7 acknowledged"). */
JET_ERR EsepyTestCrashMark(uint64_t tag);
/* Copy the journal: *pcbActual = its size; pv NULL asks for the size only;
 * JET_errBufferTooSmall if cbMax is short; JET_errOutOfMemory if it
 * overflowed and recording stopped. */
JET_ERR EsepyTestCrashJournalRead(void *pv, uint64_t cbMax, uint64_t *pcbActual);

/* The process's instance mode (0 none, 1 one-instance, 2 multi-instance) and
 * the number of instances that exist (initialized or not). */
JET_ERR EsepyTestGetProcessState(int32_t *pmode, uint32_t *pcInstances);

/* Enter session `sesid` as an API call would, keep it busy for cmsec
 * milliseconds, then leave it (exercises the one-thread-per-session rule). */
JET_ERR EsepyTestHoldSession(JET_SESID sesid, uint32_t cmsec);

/* JetRestoreInstance with a stop point (point-in-time restore): replay stops
 * before the first log record at or after *plgposStop, or before the first
 * commit later than *ptmStop (a JET_LOGTIME, UTC when fTimeIsUTC, else local
 * time); transactions still open there are rolled back, so the databases
 * end clean and transaction-consistent as of that moment.  Either may be NULL.
 * ESENT reserves JET_RSTINFO.logtimeStop; esepy implements it here. */
JET_ERR EsepyRestoreInstance(JET_INSTANCE instance, const char *sz, const char *szDest,
                             const JET_LGPOS *plgposStop, const JET_LOGTIME *ptmStop, JET_PFNSTATUS pfn);
/* EsepyRestoreInstance with grbit JET_bitRecoveryWithoutUndo (or 0): the
 * replay stops before undo, as JetInit3 does with that bit (ESE's recovery
 * without undo), and JET_errRecoveredWithoutUndo is returned on success.
 * The databases are in place, dirty and no longer backup copies; no log
 * generation is written.  Crash recovery continues them from the log
 * folder: JetInit3 with JET_bitRecoveryWithoutUndo (and
 * JET_bitReplayIgnoreLostLogs when the folder holds archived generations
 * only) replays what was added since, plain JetInit finishes (undo) and
 * opens them for writes.  The log folder must then hold every generation
 * from the set's first (log shipping to a warm standby).  Other grbits:
 * JET_errInvalidGrbit. */
JET_ERR EsepyRestoreInstance2(JET_INSTANCE instance, const char *sz, const char *szDest,
                              const JET_LGPOS *plgposStop, const JET_LOGTIME *ptmStop, JET_PFNSTATUS pfn,
                              JET_GRBIT grbit);

/* Log shipping: *plgposDurable receives the position just past the last
 * durable record of the instance's log.  A position with isec 1 and ib 0 is
 * the start of a generation that holds no record yet (nothing to ship: a
 * JetCommitTransaction with JET_bitForceNewLog would roll an empty
 * generation).  JET_errFeatureNotAvailable when the instance keeps no log
 * (JET_paramRecovery "off"); JET_errNotInitialized before JetInit. */
JET_ERR EsepyGetLogPosition(JET_INSTANCE instance, JET_LGPOS *plgposDurable);

#ifdef __cplusplus
}
#endif
#endif /* ESEPY_EXT_H */
