/*
 * eseundo.h -- the version store of a Windows ESE recovery (eseundo.c):
 * what redo learns about uncommitted changes, and the undo of every
 * transaction still open when the logs end (reference ese-log-format.md §3.5).
 *
 * eserecover.c drives it: eseredo reports every versioned record through its
 * version hook (eseundo_version), and eserecover hands over the records that
 * move versions (Commit, Commit0, Rollback, UndoInfo, Undo) and the ends of
 * sessions.  Pages are read and changed through eseredo's page cache only.
 */
#ifndef ESEPY_ESEUNDO_H
#define ESEPY_ESEUNDO_H

#include "eseredo.h"

typedef struct eseundo eseundo;

/* ESE's OPER values as UndoInfo and Undo records carry them (@48) */
#define ESEUNDO_OPER_INSERT     1u
#define ESEUNDO_OPER_REPLACE    2u
#define ESEUNDO_OPER_FLAGDELETE 3u
#define ESEUNDO_OPER_DELTA      4u
#define ESEUNDO_OPER_DELTA64    9u

/* Bytes of keys, bookmark data and before-images the store may hold at once
 * (a larger open transaction stops recovery with JET_errVersionStoreOutOfMemory). */
#define ESEUNDO_BYTES_MAX (256u << 20)

JET_ERR eseundo_open(eseredo *pr, ESEPY_ESE_RECOVERINFO *pinfo, eseundo **ppu);
void    eseundo_close(eseundo *pu);

/* The version hook (ESEREDO_PFNVERSION; pvContext is the eseundo). */
JET_ERR eseundo_version(void *pvContext, const ESEREDO_VERSION *pver);

/* An UndoInfo record of a session that has begun a level-0 transaction since
 * the redo start (levelSession: its level now): supplies the bookmark and
 * before-image of a deferred version, or recreates the version. */
JET_ERR eseundo_undoinfo(eseundo *pu, const ESEPY_ESE_LOGRECORD *prec, uint32_t levelSession);

/* An Undo record (a compensation logged during a rollback) inside the
 * attached window: re-applied to its page by the dbtime rule, its version
 * dropped. */
JET_ERR eseundo_redo_undo(eseundo *pu, const ESEPY_ESE_LOGRECORD *prec);

/* The session's level became levelNew by a Commit (0: Commit0 -- its versions
 * are discarded) or by a Rollback (its versions above levelNew are dropped:
 * the Undo records before the Rollback compensated them). */
void    eseundo_commit(eseundo *pu, uint32_t procid, uint32_t levelNew);
void    eseundo_rollback(eseundo *pu, uint32_t procid, uint32_t levelNew);

/* Sessions end in the middle of the logs (Init, Term, RecoveryQuit): their
 * versions are discarded, as ESE does in redo -- the recovery that ran
 * before logged the compensations as Undo records, replayed already. */
void    eseundo_discard_all(eseundo *pu);

/* The end of the logs: roll back every version still held, sessions in
 * procid order, each session's versions newest first; each page changed is
 * stamped with a new dbtime after *pdbtimeMax (raised accordingly). */
JET_ERR eseundo_end_all(eseundo *pu, uint64_t *pdbtimeMax);

typedef struct {
    uint64_t cversion;          /* versions built during redo */
    uint64_t cdeferred;         /* ... of which deferred (before-image from an UndoInfo) */
    uint64_t cundoinfo;         /* UndoInfo records used */
    uint64_t cundoRecord;       /* Undo records replayed (page changed) */
    uint64_t cundoRecordSkipped;/* Undo records whose page had them already */
    uint32_t csessionUndone;    /* sessions rolled back at the end */
    uint64_t cundone;           /* versions rolled back at the end */
    uint64_t cundoneNoChange;   /* ... whose node already had the compensation */
    uint64_t cbPeak;            /* most bytes held at once */
} ESEUNDO_STATS;

void    eseundo_stats(const eseundo *pu, ESEUNDO_STATS *pstats);

#endif /* ESEPY_ESEUNDO_H */
