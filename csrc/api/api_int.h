/*
 * api_int.h -- private declarations of the API layer (instances, sessions,
 * system parameters, errors, events).
 *
 * Owns: the process table (instance mode, instance slots, process-wide
 * parameter values, event sink) -- the only global mutable engine state --
 * and the handle encoding of JET_INSTANCE and JET_SESID.
 * Must not be included by lower layers (os, cache, log, btree, isam).
 *
 * Locking: one mutex, proc.lock, guards everything in struct proc_table and
 * every struct instance field marked [P].  It is never held while calling out
 * of the engine (event sink, status callbacks) or while doing file I/O.
 */
#ifndef ESEPY_API_INT_H
#define ESEPY_API_INT_H

#include <stdint.h>

#include "esent.h"
#include "esepy_ext.h"
#include "isam.h"
#include "backup.h"
#include "os.h"

#define ESEPY_EXPORT __attribute__((visibility("default")))

/* ---- parameters (params.c) ---------------------------------------------- */

/* Or-ed into an info level by the W functions (wchar.c) for the A functions
 * of db_api.c: list tables then hold UTF-16 in Unicode columns. */
#define ESEPY_INFOLEVEL_WIDE 0x40000000u

/* Entries of every parameter value array (g_cparam_defs of them used). */
#define PARAM_SLOTS 160

typedef struct param_def {
    uint32_t    id;
    const char *name;
    const char *pyname;
    uint8_t     type;       /* ESEPY_PARAMTYPE_* */
    uint16_t    flags;      /* ESEPY_PARAMFLAG_* */
    JET_API_PTR def, min, max;
    const char *sdef;
    uint32_t    cchMax;
} param_def;

/* One parameter's value.  Strings are owned (os_strdup) by the holder. */
typedef struct param_value {
    JET_API_PTR num;
    char       *str;
    int         fSet;   /* set by JetSetSystemParameter to another value than the default */
} param_value;

extern const param_def g_param_defs[];
extern const uint32_t  g_cparam_defs;

/* Index into g_param_defs of `id`, or -1. */
int  param_index(uint32_t id);
/* Fill `vals` (g_cparam_defs entries) with defaults; JET_errOutOfMemory. */
JET_ERR param_init_defaults(param_value *vals);
/* Deep-copy `src` into `dst` (both g_cparam_defs long). */
JET_ERR param_copy(param_value *dst, const param_value *src);
void param_free(param_value *vals);
/* Validate and store one value into vals[index]; does not check scope/state. */
JET_ERR param_store(param_value *vals, int index, JET_API_PTR l, const char *sz);
/* 1 if storing (l, sz) would leave vals[index] unchanged. */
int param_same(const param_value *vals, int index, JET_API_PTR l, const char *sz);

/* ---- errors (errors.c) ---------------------------------------------------- */

/* Table row for `err`, or NULL. */
typedef struct err_row {
    JET_ERR     err;
    const char *name;
    JET_ERRCAT  cat;
    int         canonical;
    const char *message;
} err_row;
const err_row *err_lookup(JET_ERR err);

/* ---- events (event.c) ------------------------------------------------------ */
void event_emit(uint32_t eventid, int32_t level, JET_ERR err, JET_INSTANCE inst,
                const char *instname, const char *operation, const char *message,
                uint32_t cfields, const ESEPY_EVENTFIELD *fields);

/* ---- instances and sessions (instance.c, session.c) ----------------------- */

typedef enum { MODE_NOSET = 0, MODE_ONEINST = 1, MODE_MULTIINST = 2 } run_mode;

/*
 * Instance states and the functions behind each transition:
 *
 *    (none) --JetCreateInstance / implicit JetInit--> CREATED
 *    CREATED --JetInit--> INITIALIZING --success--> RUNNING
 *                              |--failure--> (freed; the caller's handle set to 0, as ESENT)
 *    CREATED --JetRestoreInstance--> INITIALIZING --> CREATED (freed if made for it)
 *    RUNNING --JetTerm--> TERMINATING --> (freed)
 *    CREATED --JetTerm--> (freed)
 */
typedef enum { INST_CREATED, INST_INITIALIZING, INST_RUNNING, INST_TERMINATING } inst_state;

typedef struct cursor_filter cursor_filter; /* filter_api.c */

/* session.word: the slot's generation (bits 8..31, part of the handle) and
 * its state bits.  Read and changed only with atomics, so that sess_enter can
 * validate a handle and take the session without proc.lock (session.c, S1-S4);
 * the generation and SESS_ACTIVE change only under proc.lock. */
#define SESS_ACTIVE 0x1u /* slot holds a live session */
#define SESS_BUSY   0x2u /* a thread is inside a call on this session */
#define SESS_CTX    0x4u /* JetSetSessionContext is in force (entry via the locked path) */
#define SESS_GEN_SHIFT 8

typedef struct session {
    _Atomic uint64_t word; /* generation << SESS_GEN_SHIFT | SESS_* bits */
    isam_sess *isess; /* the engine session; used only by the thread that has it busy */
    /* JetSetSessionContext: while SESS_CTX, only ctx_thread may use the session
     * (others get JET_errSessionSharingViolation) and only it may reset it. */
    JET_API_PTR ctx;            /* [P] */
    os_thread_t ctx_thread;     /* [P] */
    /* Session parameters (JetSetSessionParameter), used by the busy thread. */
    JET_GRBIT   commit_default; /* OR-ed into every JetCommitTransaction grbit */
    uint8_t     opctx[8];       /* JET_sesparamOperationContext */
    uint64_t    correlation;    /* JET_sesparamCorrelationID */
    cursor_filter *filters;     /* JetSetCursorFilter, by tableid (busy thread / proc.lock at end) */
} session;

/* The session slots of one instance slot (session.c, S2): made by the first
 * JetInit in that slot and reused by every later instance there; one too
 * small is replaced by a larger one and kept on `retired`.  Never freed, so
 * that a lock-free enterer holding a stale handle touches live memory. */
typedef struct sess_array {
    struct sess_array *retired;
    uint32_t           cap;
    session            s[];
} sess_array;

typedef struct instance {
    uint32_t     slot;          /* index in proc.insts */
    uint32_t     gen;           /* handle generation */
    inst_state   state;         /* [P] */
    int          implicit;      /* [P] created by JetInit itself (freed if init fails) */
    char        *name;          /* NULL = unnamed */
    char        *display_name;
    param_value  params[PARAM_SLOTS];   /* [P] instance parameter values (g_cparam_defs used) */
    uint32_t     refs;          /* [P] calls in flight holding this instance by reference (a session call keeps its session busy instead) */
    /* Set during JetInit, constant while RUNNING: */
    char        *abs_system;    /* normalised SystemPath folder */
    char        *abs_log;       /* normalised LogFilePath folder */
    char        *abs_temp;      /* normalised temporary database path */
    int          uses_log;      /* [P] logging on: its system and log folders are its own */
    int          uses_temp;     /* [P] JET_paramMaxTemporaryTables > 0: its temp database is its own */
    os_lock     *lock_system;
    os_lock     *lock_log;      /* NULL when the log folder is the system folder */
    session     *sessions;      /* [P] max_sessions slots: the slot's sess_array (S2), not freed with the instance */
    uint32_t     max_sessions;
    uint32_t     csessions;     /* [P] active sessions */
    isam_inst   *isam;          /* the engine (log, cache, databases) while RUNNING */
    int          restoring;     /* [P] INITIALIZING for a restore */
    bk_ctx      *bk;            /* [P] the running backup, BK_RESERVED while it starts/ends, or NULL */
    uint32_t     bk_calls;      /* [P] backup calls in flight on bk */
    atomic_int   bk_stop;       /* JetStopBackup / JetTerm asked the backup to stop */
    /* JetStopServiceInstance2: grbits in force.  stop_all: every later
     * session call gets JET_errClientRequestToStopJetService (sticky). */
    JET_GRBIT    stopped;       /* [P] */
    int          stop_all;      /* [P] */
} instance;

#define BK_RESERVED ((bk_ctx *)1)

/* A restore request (JetRestoreInstance & co.). */
typedef struct restore_req {
    const char   *backup, *dest;
    lsn_t         lsnStop;
    int64_t       tmStop;
    JET_PFNSTATUS pfn;
    int           legacy;   /* JetRestore / JetRestore2 */
    JET_GRBIT     grbit;    /* 0 or JET_bitRecoveryWithoutUndo (EsepyRestoreInstance2) */
} restore_req;

#define PROC_MAX_INSTANCES 1024

struct proc_table {
    os_mutex_t lock;
    os_cond_t  cond;          /* signalled whenever an instance's refs drop */
    int             initialized;   /* defaults below are valid */
    run_mode        mode;
    instance       *insts[PROC_MAX_INSTANCES];
    /* Lock-free session entry (session.c, S1-S4): live[i] is insts[i] while
     * that instance is RUNNING and not stopped (else NULL), published and
     * withdrawn under lock; sarr[i] is the session array of instance slot i,
     * kept for the life of the process (S2). */
    _Atomic(instance *)          live[PROC_MAX_INSTANCES];
    _Atomic(struct sess_array *) sarr[PROC_MAX_INSTANCES];
    uint32_t        gens[PROC_MAX_INSTANCES];
    uint32_t        cinsts;
    param_value     defaults[PARAM_SLOTS]; /* process-wide values and per-instance defaults */
    uint32_t        sess_next_gen; /* last session generation handed out (session.c) */
    /* The event sink, under event_lock (not lock): the engine's event callback
     * runs with engine locks held, and the api holds lock while it calls into
     * the engine (JetTerm), so reading the sink under lock would invert the
     * order (lockorder.h: event_lock is a leaf). */
    os_mutex_t      event_lock;
    ESEPY_PFNEVENT  event_pfn;
    void           *event_ctx;
};

extern struct proc_table proc;

/* Take proc.lock, initialising the process defaults on first use.
 * JET_errOutOfMemory if the defaults cannot be allocated (lock not held). */
JET_ERR proc_lock(void);
void    proc_unlock(void);

/* Handle encoding (see instance.c for the layout). */
JET_INSTANCE inst_handle(const instance *pinst);
/* Resolve a handle under proc.lock.  `allow_global`: in one-instance mode 0 and
 * JET_instanceNil name the global instance.  NULL if not found. */
instance *inst_find_locked(JET_INSTANCE h, int allow_global);
/* The one instance of one-instance mode, or NULL. */
instance *inst_global_locked(void);
/* Free an instance's memory (slot already cleared). */
void inst_free(instance *pinst);

/* Session entry / exit for every session-based API call.
 *   sess_enter: resolve `sesid`, check its instance is RUNNING, mark the session
 *     busy (SESS_BUSY: JetTerm waits for it).  JET_errInvalidSesid,
 *     JET_errSessionSharingViolation, JET_errTermInProgress.  Lock-free in
 *     the common case (session.c).
 *   sess_leave: undo sess_enter (one atomic operation). */
JET_ERR sess_enter(JET_SESID sesid, instance **ppinst, session **ppsess);
void    sess_leave(instance *pinst, session *psess);
/* Lock-free entry (under proc.lock): sess_publish_locked once an instance is
 * RUNNING; sess_withdraw_locked when it stops taking calls (JetStopService,
 * JetTerm).  sess_quiesce_locked (JetTerm, after withdrawing and with state
 * TERMINATING): returns once no session is busy, no call holds a reference
 * (refs) and no sess_enter still reads the instance; it may release and
 * retake proc.lock while it waits. */
void    sess_publish_locked(instance *pinst);
/* Point pinst->sessions at its slot's session array (S2), grown to
 * pinst->max_sessions if needed, every session slot free (under proc.lock).
 * JET_errOutOfMemory.  The array stays with the slot when the instance goes. */
JET_ERR sess_attach_locked(instance *pinst);
void    sess_withdraw_locked(instance *pinst);
void    sess_quiesce_locked(instance *pinst);
/* Cursor filters (filter_api.c), on a session the caller has busy. */
void    filter_drop(session *ps, JET_TABLEID tableid);
void    filter_free_all(session *ps);
JET_ERR filter_move(session *ps, JET_TABLEID tableid, int32_t cRow, JET_GRBIT grbit, int *pfHandled);
/* JET_sesparamCommitDefault of a session the caller has busy. */
JET_GRBIT sess_commit_default(const session *psess);
/* Detach every session of an instance being terminated (under proc.lock);
 * their engine sessions are stored in rgisess (max_sessions entries; NULL:
 * not collected) for the caller to end once the lock is released.  Returns
 * how many. */
uint32_t sess_end_all_locked(instance *pinst, isam_sess **rgisess);

/* Emit an event about an instance (honours its event parameters). */
void inst_emit(const instance *pinst, uint32_t id, int32_t level, JET_ERR err, const char *op, const char *msg,
               uint32_t cfields, const ESEPY_EVENTFIELD *fields);

/* An instance parameter's numeric value (the instance's own or the default). */
JET_API_PTR inst_param_value(const instance *pinst, uint32_t id);

/* Small helpers */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* ESEPY_API_INT_H */
