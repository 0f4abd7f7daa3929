/*
 * recovery.c -- replay: redo every logged change from the checkpoint to the
 * end of the log, then undo the transactions that never finished, then make
 * the databases clean and detach them.  Crash recovery (JetInit) runs it over
 * the instance's own log folder; restore will run it over a backup set
 * followed by the log folder, so the driver takes its source from the
 * reader, not from the instance.
 *
 * Owns: the redo dispatch (isam records here, btree records to bt_redo), the
 * table of unfinished transactions built during redo, the undo pass, the
 * drops of trees named by replayed free lists (R9), the
 * JET_PFNSTATUS progress and the recovery events.
 * Must not touch: record formats or page layouts (it only dispatches).
 *
 * Invariants:
 *   R1. Redo is idempotent: page records apply only to pages whose lsn is
 *       older (btree), database records re-open the same files, so recovery
 *       interrupted by a crash simply runs again.  Btree structure changes
 *       are replayed whole or not at all (bt_redo keeps their images until
 *       their SMOEND; bt_redo_end drops those the log ends inside).
 *   R2. Undo logs a CLR for every UNDO it compensates and a ROLLBACK record per
 *       transaction (invariant I3), in a new generation (log invariant L5).
 *   R3. A database that the log says is attached at the end but whose file is
 *       missing fails recovery with JET_errAttachedDatabaseMismatch unless
 *       JET_bitReplayIgnoreMissingDB.
 *   R4. Escrow deltas are undone logically, exactly once (I6): an UNDO_DELTA
 *       counts as applied once its DELTADONE (ok) is replayed, a delta CLR as
 *       compensating once its DELTADONE (ok) is; one whose DELTADONE is
 *       missing was cut by the crash in its critical section, and after redo
 *       the node's value decides (resolve_deltas): it equals the value the
 *       record announced iff the btree change reached the log.  Undo of a
 *       delta logs the delta CLR, replaces the node, logs DELTADONE, like
 *       runtime rollback, so a crash during recovery is resolved the same way.
 *   R5. Replay never moves the checkpoint before its end: the writer is
 *       opened (new generation) without touching it, and only after every
 *       database is flushed, synced and marked clean does the checkpoint
 *       move past the replayed log (inst.c CP1).  So a replay stopped by an
 *       error or a crash at any point is simply run again from the same
 *       start by the next JetInit.
 *   R6. Replay starts at the older of the checkpoint and the genMinRequired
 *       of every dirty database (start_from_headers); a required generation
 *       that is gone is JET_errRequiredLogFilesMissing (unless
 *       JET_bitReplayIgnoreLostLogs).
 *   R8. A page that fails its checksum during redo is repaired by the image
 *       of it that the log holds from its first change after it was last
 *       written (a write torn by a crash, btree.c T3); one that no image
 *       repairs fails recovery with JET_errReadVerifyFailure (never silent).
 *   R7. A database whose DBCREATE was replayed but whose DBROOTS was not (the
 *       JetCreateDatabase never returned success) is removed after redo, or
 *       when its dbid is attached again: it never existed for the caller.
 *   R9. (isam_int.h I9) The trees named in the free list of a replayed
 *       COMMIT or ROLLBACK record are dropped after the undo pass, unless a
 *       TREEFREED record (the run-time drop finished) or the database's
 *       DBDETACH (a drop given up) came after it: bt_drop_created frees only
 *       a tree whose root still belongs to that objid and skips pages a cut
 *       drop freed already, and each drop ends with its own TREEFREED, so a
 *       crash during these drops is simply recovered again.
 *   R10. The attach list a replay starts from (the checkpoint's) names only
 *       databases attached at the checkpoint: recovery updates the writer's
 *       list after it detaches the databases it replayed, before it writes
 *       the checkpoint.  A checkpoint that still names a database detached
 *       before it (written before this rule) cannot hide a later database
 *       at the same dbid: an attach or create record for a dbid held by a
 *       database of another signature detaches the first (redo_attach).
 *   R8. A restore without undo (EsepyRestoreInstance2) ends like crash
 *       recovery without undo: pages flushed, headers written dirty, no new
 *       generation, the checkpoint untouched; its copies are no longer
 *       backup copies (they hold every change of the set), so crash
 *       recovery may continue them later from the same log folder.
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

/* State of an UNDO_DELTA entry (R4); full UNDOs are always DELTA_APPLIED. */
#define DELTA_APPLIED       0 /* in the tree: undo subtracts it */
#define DELTA_ANNOUNCED     1 /* UNDO_DELTA without DELTADONE yet */
#define DELTA_COMPENSATING  2 /* delta CLR without DELTADONE yet */

typedef struct undo_ent {
    lsn_t    lsn;
    uint32_t cb;
    uint8_t *pb;             /* the UNDO payload */
    int      state;          /* DELTA_* */
    lsn_t    lsnClr;         /* DELTA_COMPENSATING: the delta CLR */
    uint64_t expect;         /* the value the announced change leaves */
    struct undo_ent *prev;   /* older UNDO of the same transaction */
} undo_ent;

typedef struct rtrx {
    uint64_t     trxid;
    undo_ent    *newest;
    struct rtrx *next;
} rtrx;

typedef struct pending_drop {
    uint32_t dbid, pgnoRoot, objid;
} pending_drop;

typedef struct redo_state {
    isam_inst *pinst;
    rtrx      *trxs;
    pending_drop *drops;                                /* R9 */
    uint32_t   cdrops, cdropsAlloc;
    bt_redo_ctx *brc;                                   /* btree replay state (pending structure changes) */
    char       missing[ISAM_MAX_DBID + 1][OS_PATH_MAX]; /* attached in the log, file absent */
    int        skipped[ISAM_MAX_DBID + 1];              /* belongs to another stream now */
    int        creating[ISAM_MAX_DBID + 1];             /* R7: DBCREATE replayed, its DBROOTS not yet */
    int32_t    genFirst, genLast, genCur;
} redo_state;

static rtrx *trx_find(redo_state *rs, uint64_t trxid, int create)
{
    for (rtrx *t = rs->trxs; t; t = t->next)
        if (t->trxid == trxid)
            return t;
    if (!create)
        return NULL;
    rtrx *t = os_calloc(1, sizeof(*t));
    if (t) {
        t->trxid = trxid;
        t->next = rs->trxs;
        rs->trxs = t;
    }
    return t;
}

static void trx_drop(redo_state *rs, uint64_t trxid)
{
    for (rtrx **pp = &rs->trxs; *pp; pp = &(*pp)->next) {
        if ((*pp)->trxid == trxid) {
            rtrx *t = *pp;
            *pp = t->next;
            for (undo_ent *e = t->newest; e;) {
                undo_ent *p = e->prev;
                os_free(e->pb);
                os_free(e);
                e = p;
            }
            os_free(t);
            return;
        }
    }
}

/* Where a logged database path lives now: JET_RSTMAP, then the alternate
 * recovery folder, then the logged path itself. */
static void map_path(const isam_inst *pinst, const char *logged, char *out)
{
    for (int32_t i = 0; i < pinst->cfg.crstmap; i++) {
        const JET_RSTMAP *m = &pinst->cfg.rgrstmap[i];
        if (m->szDatabaseName && strcmp(m->szDatabaseName, logged) == 0) {
            snprintf(out, OS_PATH_MAX, "%s", m->szNewDatabaseName);
            return;
        }
    }
    if (pinst->cfg.altDbPath) {
        const char *name = strrchr(logged, '/');
        name = name ? name + 1 : logged;
        size_t a = strlen(pinst->cfg.altDbPath), b = strlen(name);
        if (a + 1 + b < OS_PATH_MAX) {
            memcpy(out, pinst->cfg.altDbPath, a);
            out[a] = '/';
            memcpy(out + a + 1, name, b + 1);
            return;
        }
    }
    snprintf(out, OS_PATH_MAX, "%s", logged);
}

/* A database takes part in replay from here on (an attach/create record, or
 * the attach list of the checkpoint the replay starts from). */
/* R7: a JetCreateDatabase whose DBROOTS record never became durable never
 * returned success: the database it was building (no catalog, or half of
 * one) is removed, as if the call had never been made.  Nothing else in the
 * log can refer to it: the records after DBCREATE that build it are its own,
 * and its dbid is reused only by a later DBCREATE / DBATTACH. */
static void event(isam_inst *pinst, uint32_t id, int32_t level, JET_ERR err, const char *msg, int32_t gen);

static void drops_forget(redo_state *rs, uint32_t dbid, uint32_t pgnoRoot, uint32_t objid);

static void drop_unfinished_create(redo_state *rs, uint32_t dbid)
{
    isam_inst *pinst = rs->pinst;
    isam_db *pdb = pinst->dbs[dbid];
    rs->creating[dbid] = 0;
    if (pdb == NULL)
        return;
    char path[OS_PATH_MAX];
    snprintf(path, sizeof(path), "%s", pdb->path);
    (void)cache_close_file(pinst->pc, dbid, 0);
    pinst->dbs[dbid] = NULL;
    os_free(pdb->autoinc);
    os_free(pdb);
    (void)os_unlink(path);
    event(pinst, ESEPY_EVENT_RECOVERY_CREATE_UNDONE, ESEPY_LEVEL_WARNING, 0,
          "recovery removed a database whose creation never finished", rs->genCur);
}

static JET_ERR redo_attach(redo_state *rs, uint8_t type, uint32_t dbid, const JET_SIGNATURE *psign,
                           const char *logged, lsn_t lsn)
{
    isam_inst *pinst = rs->pinst;
    JET_SIGNATURE sign = *psign;
    char path[OS_PATH_MAX];
    if (rs->creating[dbid]) /* R7: the dbid is reused after a creation that failed */
        drop_unfinished_create(rs, dbid);
    if (pinst->dbs[dbid]) {
        if (memcmp(&pinst->dbs[dbid]->hdr.signDb, psign, sizeof(*psign)) == 0)
            return JET_errSuccess; /* attached twice without a detach in between: keep the first */
        /* R10: another database at that dbid, so the first was detached
         * before; its DBDETACH lies before where replay started (a
         * checkpoint written by a build that kept detached databases in the
         * checkpoint's attach list).  Detach it as its DBDETACH would. */
        drops_forget(rs, dbid, 0, 0);
        JET_ERR errClose = db_close(pinst, pinst->dbs[dbid], 1);
        if (errClose < 0)
            return errClose;
    }
    rs->missing[dbid][0] = '\0';
    rs->skipped[dbid] = 0;
    const isam_restore *rst = pinst->cfg.restore;
    if (rst) {
        /* Restore: only the databases of the backup set take part. */
        int fSkip = 0;
        JET_ERR e = rst->prepare_db(rst->ctx, psign, logged, path, &fSkip);
        if (e < 0)
            return e;
        if (fSkip) {
            snprintf(rs->missing[dbid], OS_PATH_MAX, "%s", logged); /* R3 unless detached later */
            return JET_errSuccess;
        }
    } else {
        map_path(pinst, logged, path);
    }
    isam_db *pdb = NULL;
    JET_ERR err;
    if (!os_exists(path)) {
        if (type != LOG_REC_ISAM_DBCREATE) {
            snprintf(rs->missing[dbid], OS_PATH_MAX, "%s", path);
            return JET_errSuccess;
        }
        err = db_open_file(pinst, dbid, path, 1, &sign, 1, &pdb); /* re-create it from the log */
        if (err >= 0) {
            pdb->hdr.signLog = pinst->signLog;
            pdb->hdr.lsnAttach = lsn;
        }
    } else {
        err = db_open_file(pinst, dbid, path, 0, NULL, 1, &pdb);
        if ((err == JET_errDatabaseCorrupted || err == JET_errFileInvalidType || err == JET_errFileIOBeyondEOF) &&
            type == LOG_REC_ISAM_DBCREATE)
            err = db_open_file(pinst, dbid, path, 1, &sign, 1, &pdb); /* the crash came mid-creation */
        if (err >= 0 && memcmp(&pdb->hdr.signDb, &sign, sizeof(sign)) != 0) {
            (void)cache_close_file(pinst->pc, dbid, 0);
            os_free(pdb);
            pdb = NULL;
            if (type != LOG_REC_ISAM_DBCREATE) {
                /* a different database sits at that path */
                snprintf(rs->missing[dbid], OS_PATH_MAX, "%s", path);
                return JET_errSuccess;
            }
            /* the log created this database over an older file: create it again */
            err = db_open_file(pinst, dbid, path, 1, &sign, 1, &pdb);
            if (err >= 0) {
                pdb->hdr.signLog = pinst->signLog;
                pdb->hdr.lsnAttach = lsn;
            }
        }
        if (err >= 0 && !rst && pdb->hdr.bkinfoFullCur.genLow != 0) {
            /* A copy from a backup set: only restore may replay into it. */
            (void)cache_close_file(pinst->pc, dbid, 0);
            os_free(pdb);
            return JET_errSoftRecoveryOnBackupDatabase;
        }
        if (err >= 0 && memcmp(&pdb->hdr.signLog, &pinst->signLog, sizeof(pinst->signLog)) != 0 &&
            pdb->hdr.dbstate == JET_dbstateCleanShutdown && pdb->hdr.lsnConsistent != LSN_NIL) {
            /* clean and now part of another log stream: nothing to replay */
            (void)cache_close_file(pinst->pc, dbid, 0);
            os_free(pdb);
            rs->skipped[dbid] = 1;
            return JET_errSuccess;
        }
    }
    if (err < 0)
        return err;
    pdb->hdr.dbstate = JET_dbstateDirtyShutdown;
    pinst->dbs[dbid] = pdb;
    rs->creating[dbid] = type == LOG_REC_ISAM_DBCREATE; /* R7 */
    return JET_errSuccess;
}

static JET_ERR redo_db_open(redo_state *rs, uint8_t type, const uint8_t *pv, uint32_t cb, lsn_t lsn)
{
    const uint32_t fixed = 4 + 4 + LE_SIGNATURE_SIZE + 2;
    if (cb < fixed)
        return JET_errLogFileCorrupt;
    JET_SIGNATURE sign;
    uint32_t dbid = le_get32(pv), cbPage = le_get32(pv + 4);
    le_get_signature(pv + 8, &sign);
    uint16_t cbPath = le_get16(pv + 8 + LE_SIGNATURE_SIZE);
    if (dbid == 0 || dbid > ISAM_MAX_DBID || cbPath == 0 || cbPath >= OS_PATH_MAX || fixed + cbPath > cb)
        return JET_errLogFileCorrupt;
    if (cbPage != rs->pinst->cfg.cbPage)
        return JET_errPageSizeMismatch;
    char logged[OS_PATH_MAX];
    memcpy(logged, pv + fixed, cbPath);
    logged[cbPath] = '\0';
    return redo_attach(rs, type, dbid, &sign, logged, lsn);
}

/* Databases attached when replay starts: the checkpoint's attach list, or
 * the first generation's header when there is no checkpoint. */
static JET_ERR redo_initial_attach(redo_state *rs, int chkValid, int32_t genFirst, const char *dir)
{
    isam_inst *pinst = rs->pinst;
    log_attach *att = NULL;
    uint32_t n = 0;
    log_checkpoint *pchk = os_calloc(1, sizeof(*pchk));
    log_header *phdr = os_calloc(1, sizeof(*phdr));
    JET_ERR err = (pchk && phdr) ? JET_errSuccess : JET_errOutOfMemory;
    if (err >= 0 && chkValid) {
        err = log_checkpoint_read(&pinst->cfg.log, pchk);
        att = pchk->attach;
        n = pchk->cattach;
    } else if (err >= 0) {
        char path[OS_PATH_MAX];
        err = log_find_gen(&pinst->cfg.log, dir, genFirst, path, sizeof(path));
        if (err == JET_errFileNotFound && dir == NULL)
            err = log_path(&pinst->cfg.log, 0, path, sizeof(path));
        if (err >= 0)
            err = log_read_header(path, phdr);
        att = phdr->attach;
        n = phdr->cattach;
    }
    for (uint32_t i = 0; err >= 0 && i < n && i < LOG_MAX_ATTACH; i++) {
        if (att[i].dbid == 0 || att[i].dbid > ISAM_MAX_DBID)
            continue;
        char logged[sizeof(att[i].path) + 1];
        memcpy(logged, att[i].path, sizeof(att[i].path));
        logged[sizeof(att[i].path)] = '\0';
        err = redo_attach(rs, LOG_REC_ISAM_DBATTACH, att[i].dbid, &att[i].signDb, logged, att[i].lsnAttach);
    }
    os_free(pchk);
    os_free(phdr);
    return err;
}

/* R6: a dirty database whose header needs an older generation than the
 * checkpoint (genMinRequired, CP3 in inst.c) moves the start back there:
 * the checkpoint alone is never trusted past what the header says. */
static JET_ERR start_from_headers(redo_state *rs, lsn_t *pstart)
{
    isam_inst *pinst = rs->pinst;
    int32_t genMin = LSN_GEN(*pstart);
    for (uint32_t i = 1; i <= ISAM_MAX_DBID; i++) {
        const isam_db *pdb = pinst->dbs[i];
        if (pdb && pdb->logged && pdb->hdr.genMinRequired > 0 && pdb->hdr.genMinRequired < genMin)
            genMin = pdb->hdr.genMinRequired;
    }
    if (genMin >= LSN_GEN(*pstart))
        return JET_errSuccess;
    char path[OS_PATH_MAX];
    JET_ERR err = log_find_gen(&pinst->cfg.log, NULL, genMin, path, sizeof(path));
    if (err == JET_errFileNotFound) {
        if (pinst->cfg.grbitInit & JET_bitReplayIgnoreLostLogs)
            return JET_errSuccess;
        return JET_errRequiredLogFilesMissing;
    }
    if (err < 0)
        return err;
    *pstart = LSN_MAKE(genMin, 1, 0);
    rs->genFirst = genMin;
    return JET_errSuccess;
}

/* R9: a free list (u32 count, count x {dbid, pgnoRoot, objid}) at pv. */
static JET_ERR drops_add(redo_state *rs, const uint8_t *pv, uint32_t cb)
{
    if (cb < 4)
        return JET_errLogFileCorrupt;
    uint32_t c = le_get32(pv);
    if (c > (cb - 4) / 12 || cb != 4 + 12 * c)
        return JET_errLogFileCorrupt;
    if (rs->cdrops + c > rs->cdropsAlloc) {
        uint32_t n = rs->cdropsAlloc ? rs->cdropsAlloc : 16;
        while (n < rs->cdrops + c)
            n *= 2;
        pending_drop *p = os_realloc(rs->drops, n * sizeof(*p));
        if (p == NULL)
            return JET_errOutOfMemory;
        rs->drops = p;
        rs->cdropsAlloc = n;
    }
    for (uint32_t i = 0; i < c; i++) {
        pending_drop *d = &rs->drops[rs->cdrops++];
        d->dbid = le_get32(pv + 4 + 12 * i);
        d->pgnoRoot = le_get32(pv + 8 + 12 * i);
        d->objid = le_get32(pv + 12 + 12 * i);
    }
    return JET_errSuccess;
}

/* R9: forget pending drops of dbid (all trees when pgnoRoot is 0). */
static void drops_forget(redo_state *rs, uint32_t dbid, uint32_t pgnoRoot, uint32_t objid)
{
    for (uint32_t i = 0; i < rs->cdrops;) {
        const pending_drop *d = &rs->drops[i];
        if (d->dbid == dbid && (pgnoRoot == 0 || (d->pgnoRoot == pgnoRoot && d->objid == objid)))
            rs->drops[i] = rs->drops[--rs->cdrops];
        else
            i++;
    }
}

/* R9: drop what the replayed free lists name, each followed by TREEFREED. */
static JET_ERR drops_run(redo_state *rs)
{
    isam_inst *pinst = rs->pinst;
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; err >= 0 && i < rs->cdrops; i++) {
        const pending_drop *d = &rs->drops[i];
        isam_db *pdb = db_get(pinst, d->dbid);
        if (pdb == NULL || pdb->readonly || d->objid == 0)
            continue;
        err = bt_drop_created(&pdb->env, pdb->hdr.pgnoSpace, d->pgnoRoot, d->objid);
        if (err >= 0)
            err = reclaim_log_freed(pinst, d->dbid, d->pgnoRoot, d->objid);
    }
    rs->cdrops = 0;
    return err;
}

/* An UNDO record (or the undo an INSERTU record carries, rebuilt as one):
 * remember it for its transaction (R3). */
static JET_ERR note_undo(redo_state *rs, const uint8_t *pv, uint32_t cb, lsn_t lsnRec)
{
    if (cb < 24)
        return JET_errLogFileCorrupt;
    uint64_t trxid = le_get64(pv);
    rtrx *t = trx_find(rs, trxid, 1);
    undo_ent *e = os_calloc(1, sizeof(*e));
    uint8_t *copy = os_malloc(cb);
    if (t == NULL || e == NULL || copy == NULL) {
        os_free(e);
        os_free(copy);
        return JET_errOutOfMemory;
    }
    memcpy(copy, pv, cb);
    e->pb = copy;
    e->cb = cb;
    e->lsn = lsnRec;
    e->prev = t->newest;
    t->newest = e;
    if (pv[16] == UNDO_DELTA) {
        uint16_t cbKey = le_get16(pv + 18);
        ver_delta d;
        JET_ERR err = 24u + cbKey <= cb ? ver_delta_decode(pv + 24 + cbKey, cb - 24 - cbKey, &d)
                                        : JET_errLogFileCorrupt;
        if (err < 0)
            return err;
        e->state = DELTA_ANNOUNCED;
        e->expect = d.after;
    }
    return JET_errSuccess;
}

static JET_ERR redo_one(redo_state *rs, const log_record *rec)
{
    isam_inst *pinst = rs->pinst;
    const uint8_t *pv = rec->pv;
    uint32_t cb = rec->cb;
    switch (rec->type) {
    case LOG_REC_ISAM_DBCREATE:
    case LOG_REC_ISAM_DBATTACH:
        return redo_db_open(rs, rec->type, pv, cb, rec->lsn);
    case LOG_REC_ISAM_DBROOTS: {
        if (cb < 12)
            return JET_errLogFileCorrupt;
        uint32_t r[3] = { le_get32(pv), le_get32(pv + 4), le_get32(pv + 8) };
        isam_db *pdb = db_get(pinst, r[0]);
        if (pdb) {
            pdb->hdr.pgnoSpace = r[1];
            pdb->hdr.pgnoCatalog = r[2];
        }
        if (r[0] <= ISAM_MAX_DBID)
            rs->creating[r[0]] = 0; /* R7: the creation finished */
        return JET_errSuccess;
    }
    case LOG_REC_ISAM_DBDETACH: {
        if (cb < 4)
            return JET_errLogFileCorrupt;
        uint32_t dbid = le_get32(pv);
        isam_db *pdb = db_get(pinst, dbid);
        if (dbid <= ISAM_MAX_DBID) {
            rs->missing[dbid][0] = '\0';
            rs->creating[dbid] = 0;
        }
        drops_forget(rs, dbid, 0, 0); /* R9: drops still pending were given up */
        if (pdb && pinst->cfg.restore)
            memset(&pdb->hdr.bkinfoFullCur, 0, sizeof(pdb->hdr.bkinfoFullCur)); /* consistent from here */
        if (pdb)
            return db_close(pinst, pdb, 1);
        return JET_errSuccess;
    }
    case LOG_REC_ISAM_UNDO:
        return note_undo(rs, pv, cb, rec->lsn);
    case LOG_REC_ISAM_DELTADONE: {
        if (cb < 20)
            return JET_errLogFileCorrupt;
        uint64_t trxid = le_get64(pv);
        lsn_t lsn = le_get64(pv + 8);
        uint32_t ok = le_get32(pv + 16);
        rtrx *t = trx_find(rs, trxid, 0);
        for (undo_ent **pp = t ? &t->newest : NULL; pp && *pp; pp = &(*pp)->prev) {
            undo_ent *e = *pp;
            int drop = 0;
            if (e->state == DELTA_ANNOUNCED && e->lsn == lsn) {
                e->state = DELTA_APPLIED;
                drop = !ok; /* the change never happened */
            } else if (e->state == DELTA_COMPENSATING && e->lsnClr == lsn) {
                e->state = DELTA_APPLIED;
                drop = ok;  /* compensated */
            } else {
                continue;
            }
            if (drop) {
                *pp = e->prev;
                os_free(e->pb);
                os_free(e);
            }
            break;
        }
        return JET_errSuccess;
    }
    case LOG_REC_ISAM_CLR: {
        if (cb < 16)
            return JET_errLogFileCorrupt;
        uint64_t trxid = le_get64(pv);
        lsn_t undone = le_get64(pv + 8);
        rtrx *t = trx_find(rs, trxid, 0);
        if (t) {
            for (undo_ent **pp = &t->newest; *pp; pp = &(*pp)->prev) {
                if ((*pp)->lsn == undone) {
                    undo_ent *e = *pp;
                    if (cb >= 24) {
                        /* a delta CLR: compensating until its DELTADONE (R4) */
                        e->state = DELTA_COMPENSATING;
                        e->lsnClr = rec->lsn;
                        e->expect = le_get64(pv + 16);
                        break;
                    }
                    *pp = e->prev;
                    os_free(e->pb);
                    os_free(e);
                    break;
                }
            }
        }
        return JET_errSuccess;
    }
    case LOG_REC_ISAM_COMMIT:
    case LOG_REC_ISAM_ROLLBACK: {
        if (cb < 8)
            return JET_errLogFileCorrupt;
        uint64_t trxid = le_get64(pv);
        trx_drop(rs, trxid);
        if (trxid > pinst->trxidNext)
            pinst->trxidNext = trxid;
        if (cb > 16)
            return drops_add(rs, pv + 16, cb - 16); /* R9: the free list */
        return JET_errSuccess;
    }
    case LOG_REC_ISAM_DBINCOMPAT: {
        if (cb < 8)
            return JET_errLogFileCorrupt;
        /* F1: the header gets the bit (written with the rest of recovery's
         * header changes); a bit this build does not know cannot have
         * been logged by it */
        uint32_t bit = le_get32(pv + 4);
        if (bit & ~DB_INCOMPAT_KNOWN)
            return JET_errInvalidDatabaseVersion;
        isam_db *pdb = db_get(pinst, le_get32(pv));
        if (pdb) {
            os_mutex_lock(&pdb->hdrLock); /* H1 */
            db_header_set_incompat(&pdb->hdr, bit);
            atomic_fetch_or(&pdb->incompatSeen, bit);
            os_mutex_unlock(&pdb->hdrLock);
        }
        return JET_errSuccess;
    }
    case LOG_REC_ISAM_TREEFREED: {
        if (cb < 12)
            return JET_errLogFileCorrupt;
        drops_forget(rs, le_get32(pv), le_get32(pv + 4), le_get32(pv + 8)); /* R9 */
        return JET_errSuccess;
    }
    default:
        if (rec->type == LOG_REC_BT_INSERTU) {
            /* The UNDO it carries (ver.c), rebuilt as an UNDO payload. */
            const uint8_t *pvClient, *key;
            uint32_t cbClient, cbKey;
            JET_ERR err = bt_insertu_parts(pv, cb, &pvClient, &cbClient, &key, &cbKey);
            if (err < 0 || cbClient != UNDO_CLIENT_SIZE)
                return JET_errLogFileCorrupt;
            uint8_t *undo = os_malloc(24 + cbKey);
            if (undo == NULL)
                return JET_errOutOfMemory;
            le_put64(undo, le_get64(pvClient));
            le_put32(undo + 8, bt_redo_dbid(pv, cb));
            le_put32(undo + 12, le_get32(pvClient + 8));
            undo[16] = pvClient[12];
            undo[17] = pvClient[13];
            le_put16(undo + 18, (uint16_t)cbKey);
            le_put32(undo + 20, 0);
            memcpy(undo + 24, key, cbKey);
            err = undo[16] == UNDO_INSERTED ? note_undo(rs, undo, 24 + cbKey, rec->lsn) : JET_errLogFileCorrupt;
            os_free(undo);
            if (err < 0)
                return err;
        }
        if (rec->type >= LOG_REC_BT_FIRST && rec->type <= LOG_REC_BT_LAST) {
            uint32_t dbid = bt_redo_dbid(pv, cb);
            isam_db *pdb = db_get(pinst, dbid);
            if (pdb == NULL)
                return JET_errSuccess; /* a database that does not take part: all its records */
            return bt_redo(rs->brc, pinst->pc, rec->type, pv, cb, rec->lsn);
        }
        return JET_errSuccess; /* log-layer records */
    }
}

/* Parse an UNDO_DELTA entry: node key and the delta. */
static JET_ERR delta_ent(const undo_ent *e, uint32_t *pdbid, uint32_t *ppgnoRoot, const uint8_t **pkey,
                         uint16_t *pcbKey, ver_delta *pd)
{
    const uint8_t *p = e->pb;
    *pdbid = le_get32(p + 8);
    *ppgnoRoot = le_get32(p + 12);
    *pcbKey = le_get16(p + 18);
    uint32_t cbBefore = le_get32(p + 20);
    if (24u + *pcbKey + cbBefore > e->cb)
        return JET_errLogFileCorrupt;
    *pkey = p + 24;
    return ver_delta_decode(p + 24 + *pcbKey, cbBefore, pd);
}

/* R4: after redo, decide the deltas whose DELTADONE the crash cut off. */
static JET_ERR resolve_deltas(redo_state *rs)
{
    for (rtrx *t = rs->trxs; t; t = t->next) {
        for (undo_ent **pp = &t->newest; *pp;) {
            undo_ent *e = *pp;
            if (e->state == DELTA_APPLIED) {
                pp = &e->prev;
                continue;
            }
            uint32_t dbid, pgnoRoot, flags = 0;
            uint16_t cbKey;
            const uint8_t *key;
            ver_delta d;
            JET_ERR err = delta_ent(e, &dbid, &pgnoRoot, &key, &cbKey, &d);
            if (err < 0)
                return err;
            isam_db *pdb = db_get(rs->pinst, dbid);
            if (pdb == NULL) {
                pp = &e->prev; /* not taking part: undo_one skips it */
                continue;
            }
            rec_buf rec = { 0 };
            uint32_t cb = 0;
            uint64_t v = 0;
            err = bt_lookup(&pdb->env, pgnoRoot, key, cbKey, NULL, 0, &cb, &flags);
            if (err >= 0) {
                rec.pb = os_malloc(cb ? cb : 1);
                err = rec.pb ? bt_lookup(&pdb->env, pgnoRoot, key, cbKey, rec.pb, cb, &cb, &flags)
                             : JET_errOutOfMemory;
                rec.cb = cb;
            }
            if (err >= 0)
                err = rec_delta_value(rec.pb, rec.cb, &d, &v);
            rec_free(&rec);
            int inTree = err >= 0 && v == e->expect;
            if (err < 0 && err != JET_errRecordNotFound)
                return err;
            /* announced: undo it iff it reached the tree; compensating: done iff it did */
            int drop = e->state == DELTA_ANNOUNCED ? !inTree : inTree;
            e->state = DELTA_APPLIED;
            if (drop) {
                *pp = e->prev;
                os_free(e->pb);
                os_free(e);
            } else {
                pp = &e->prev;
            }
        }
    }
    return JET_errSuccess;
}

/* Undo an escrow delta (R4): subtract it from the node's value now; delta
 * CLR before the replace, DELTADONE after (as ver.c's undo_delta). */
static JET_ERR undo_delta_one(isam_inst *pinst, isam_db *pdb, uint64_t trxid, const undo_ent *e, uint32_t pgnoRoot,
                              const uint8_t *key, uint16_t cbKey, const uint8_t *payload, uint32_t cbPayload)
{
    ver_delta d;
    JET_ERR err = ver_delta_decode(payload, cbPayload, &d);
    if (err < 0)
        return err;
    rec_buf rec = { 0 };
    uint32_t cb = 0, flags = 0;
    uint64_t after = 0;
    err = bt_lookup(&pdb->env, pgnoRoot, key, cbKey, NULL, 0, &cb, &flags);
    if (err >= 0) {
        rec.pb = os_malloc(cb ? cb : 1);
        rec.cbAlloc = cb ? cb : 1;
        err = rec.pb ? bt_lookup(&pdb->env, pgnoRoot, key, cbKey, rec.pb, cb, &cb, &flags) : JET_errOutOfMemory;
        rec.cb = cb;
    }
    if (err == JET_errRecordNotFound) {
        /* nothing left to subtract from (cannot happen while the delta is
         * active): compensate it as done */
        uint8_t clr[16];
        le_put64(clr, trxid);
        le_put64(clr + 8, e->lsn);
        log_part part = { clr, sizeof(clr) };
        return isam_log(pinst, LOG_REC_ISAM_CLR, &part, 1, NULL);
    }
    if (err >= 0)
        err = rec_delta_apply(&rec, &d, 1, NULL, &after);
    lsn_t lsnClr = LSN_NIL;
    if (err >= 0) {
        uint8_t clr[24];
        le_put64(clr, trxid);
        le_put64(clr + 8, e->lsn);
        le_put64(clr + 16, after);
        log_part part = { clr, sizeof(clr) };
        err = isam_log(pinst, LOG_REC_ISAM_CLR, &part, 1, &lsnClr);
    }
    if (err >= 0) {
        err = bt_replace(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, rec.pb, rec.cb);
        uint8_t done[20];
        le_put64(done, trxid);
        le_put64(done + 8, lsnClr);
        le_put32(done + 16, err >= 0 ? 1u : 0u);
        log_part part = { done, sizeof(done) };
        JET_ERR e2 = isam_log(pinst, LOG_REC_ISAM_DELTADONE, &part, 1, NULL);
        if (err >= 0)
            err = e2;
    }
    rec_free(&rec);
    return err;
}

/* Undo one UNDO payload (UNDO_INSERTED -> delete; UNDO_CHANGED -> restore;
 * UNDO_DELTA -> subtract; UNDO_TREE -> free the tree). */
static JET_ERR undo_one(isam_inst *pinst, uint64_t trxid, const undo_ent *e)
{
    const uint8_t *p = e->pb;
    uint32_t dbid = le_get32(p + 8), pgnoRoot = le_get32(p + 12), cbBefore = le_get32(p + 20);
    uint16_t cbKey = le_get16(p + 18);
    uint8_t op = p[16], flagsBefore = p[17];
    if (24u + cbKey + cbBefore > e->cb)
        return JET_errLogFileCorrupt;
    const uint8_t *key = p + 24, *before = p + 24 + cbKey;
    isam_db *pdb = db_get(pinst, dbid);
    if (pdb == NULL)
        return JET_errSuccess;
    if (op == UNDO_DELTA)
        return undo_delta_one(pinst, pdb, trxid, e, pgnoRoot, key, cbKey, before, cbBefore);
    JET_ERR err;
    if (op == UNDO_TREE) {
        /* I8: a tree the transaction created; free it if it is still there */
        if (cbKey != 4)
            return JET_errLogFileCorrupt;
        err = bt_drop_created(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, le_get32(key));
    } else if (op == UNDO_INSERTED) {
        err = bt_delete(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey);
        if (err == JET_errRecordNotFound)
            err = JET_errSuccess;
    } else {
        err = bt_replace(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, before, cbBefore);
        if (err == JET_errRecordNotFound)
            err = bt_insert(&pdb->env, pdb->hdr.pgnoSpace, pgnoRoot, key, cbKey, before, cbBefore, flagsBefore);
        else if (err >= 0)
            err = bt_set_flags(&pdb->env, pgnoRoot, key, cbKey, flagsBefore);
    }
    if (err < 0)
        return err;
    uint8_t clr[16];
    le_put64(clr, trxid);
    le_put64(clr + 8, e->lsn);
    log_part part = { clr, sizeof(clr) };
    return isam_log(pinst, LOG_REC_ISAM_CLR, &part, 1, NULL);
}

static JET_ERR status(isam_inst *pinst, JET_SNT snt, uint32_t done, uint32_t total)
{
    if (pinst->cfg.pfnStatus == NULL)
        return JET_errSuccess;
    JET_SNPROG prog = { sizeof(JET_SNPROG), done, total };
    JET_ERR err = pinst->cfg.pfnStatus(JET_sesidNil, JET_snpRestore, snt, &prog);
    return err < 0 ? err : JET_errSuccess;
}

static void event(isam_inst *pinst, uint32_t id, int32_t level, JET_ERR err, const char *msg, int32_t gen)
{
    if (pinst->cfg.event == NULL)
        return;
    char g[32];
    snprintf(g, sizeof(g), "%d", (int)gen);
    ESEPY_EVENTFIELD f[] = { { "generation", g } };
    pinst->cfg.event(pinst->cfg.eventctx, id, level, err, msg, gen ? 1 : 0, f);
}

static void redo_state_free(redo_state *rs)
{
    while (rs->trxs)
        trx_drop(rs, rs->trxs->trxid);
    os_free(rs->drops);
    rs->drops = NULL;
    rs->cdrops = rs->cdropsAlloc = 0;
}

/* Restore: a page that was all zero in a database copy and that replay did
 * not write, below the space high-water mark (so some tree may link to it),
 * is a broken page link. */
static JET_ERR check_zero_pages(isam_inst *pinst, const isam_restore *rst)
{
    for (uint32_t i = 1; i <= ISAM_MAX_DBID; i++) {
        isam_db *pdb = pinst->dbs[i];
        const uint8_t *bits = NULL;
        uint32_t cpg = 0, hwm = 0;
        if (pdb == NULL || pdb->hdr.pgnoSpace == 0)
            continue;
        rst->zero_pages(rst->ctx, &pdb->hdr.signDb, &bits, &cpg);
        if (bits == NULL)
            continue;
        JET_ERR err = bt_space_hwm(&pdb->env, pdb->hdr.pgnoSpace, &hwm);
        if (err < 0)
            return err;
        for (uint32_t pgno = 1; pgno <= cpg && pgno <= hwm; pgno++) {
            if (!(bits[(pgno - 1) >> 3] & (1u << ((pgno - 1) & 7))))
                continue;
            bf *pbf = NULL;
            err = cache_read(pinst->pc, pdb->dbid, pgno, LATCH_SHARED, &pbf);
            if (err == JET_errPageNotInitialized)
                return JET_errBadPageLink;
            if (err < 0)
                return err;
            cache_release(pbf);
        }
    }
    return JET_errSuccess;
}

JET_ERR recovery_run(isam_inst *pinst, int *pfRan)
{
    *pfRan = 0;
    const isam_restore *rst = pinst->cfg.restore;
    log_stream_info info;
    JET_ERR err;
    lsn_t start;
    int32_t genFirst;
    memset(&info, 0, sizeof(info));
    if (rst) {
        /* Restore: start at the first generation of the backup set (its
         * checkpoint is not known; redo is idempotent). */
        log_header *ph = os_calloc(1, sizeof(*ph));
        char path[OS_PATH_MAX];
        err = ph ? log_find_gen(&pinst->cfg.log, rst->dirBackup, rst->genLow, path, sizeof(path))
                 : JET_errOutOfMemory;
        if (err >= 0)
            err = log_read_header(path, ph);
        if (err >= 0)
            pinst->signLog = ph->signLog;
        os_free(ph);
        if (err < 0)
            return err == JET_errFileNotFound ? JET_errMissingLogFile : err;
        genFirst = rst->genLow;
        start = LSN_MAKE(genFirst, 1, 0);
    } else {
        err = log_survey(&pinst->cfg.log, &info);
        if (err < 0)
            return err;
        if (!info.exists) {
            if (pinst->cfg.grbitInit & JET_bitLogStreamMustExist)
                return JET_errMissingLogFile;
            return JET_errSuccess; /* a new log stream */
        }
        pinst->signLog = info.signLog;
        genFirst = info.genLow ? info.genLow : info.genCurrent;
        start = info.chkValid ? info.lsnCheckpoint : LSN_MAKE(genFirst, 1, 0);
    }
    redo_state *rs = os_calloc(1, sizeof(*rs));
    if (rs == NULL)
        return JET_errOutOfMemory;
    rs->pinst = pinst;
    rs->genFirst = LSN_GEN(start);
    rs->genLast = rst ? rst->genHigh : info.genCurrent ? info.genCurrent : info.genHigh;
    uint32_t total = (uint32_t)(rs->genLast - rs->genFirst + 1);
    log_reader *prd = NULL;
    log_header hdrLast;
    memset(&hdrLast, 0, sizeof(hdrLast));
    err = bt_redo_begin(&rs->brc);
    if (err >= 0)
        err = redo_initial_attach(rs, info.chkValid, genFirst, rst ? rst->dirBackup : NULL);
    if (err >= 0 && !rst && info.chkValid)
        err = start_from_headers(rs, &start);
    total = (uint32_t)(rs->genLast - rs->genFirst + 1);
    if (err >= 0 && rst)
        err = log_reader_open_split(&pinst->cfg.log, rst->dirBackup, rst->genHigh, start,
                                    rst->fRollForward ? 0 : rst->genHigh, &prd);
    else if (err >= 0)
        err = log_reader_open(&pinst->cfg.log, NULL, start, 0, &prd);
    if (err >= 0) {
        *pfRan = 1;
        event(pinst, ESEPY_EVENT_RECOVERY_BEGIN, ESEPY_LEVEL_INFO, 0, rst ? "restore replay begins" : "recovery begins",
              rs->genFirst);
        if (!rst)
            err = status(pinst, JET_sntBegin, 0, total);
    }
    int stopped = 0;
    uint32_t crec = 0;
    rs->genCur = rs->genFirst;
    while (err >= 0) {
        log_record rec;
        err = log_reader_next(prd, &rec);
        if (err == JET_wrnNoMoreRecords ||
            (err == JET_errMissingLogFile && log_reader_lost_current(prd) &&
             (pinst->cfg.grbitInit & JET_bitReplayIgnoreLostLogs))) {
            err = JET_errSuccess; /* the end (lost logs accepted by the caller) */
            break;
        }
        if (err < 0)
            break;
        if (pinst->cfg.lsnStop != LSN_NIL && rec.lsn >= pinst->cfg.lsnStop) {
            stopped = 1;
            break;
        }
        if (rst && rst->tmStop && rec.type == LOG_REC_ISAM_COMMIT && rec.cb >= 16) {
            int64_t tm = (int64_t)le_get64(rec.pv + 8);
            if (tm > rst->tmStop) {
                stopped = 1; /* point in time: this commit and everything after it never happened */
                break;
            }
        }
        if (LSN_GEN(rec.lsn) != rs->genCur) {
            event(pinst, ESEPY_EVENT_RECOVERY_GENERATION, ESEPY_LEVEL_INFO, 0, "log generation replayed",
                  rs->genCur);
            rs->genCur = LSN_GEN(rec.lsn);
            if (!rst)
                err = status(pinst, JET_sntProgress, (uint32_t)(rs->genCur - rs->genFirst), total);
            if (err < 0)
                break;
        }
        if (rst && (++crec & 255) == 0)
            err = rst->progress(rst->ctx, LSN_GEN(rec.lsn), (uint64_t)LSN_ISEC(rec.lsn) * LOG_SECTOR + LSN_IB(rec.lsn));
        if (err >= 0)
            err = redo_one(rs, &rec);
    }
    if (prd) {
        uint32_t ccorrected;
        lsn_t lsnCorrected;
        log_reader_header(prd, &hdrLast);
        log_reader_corrected(prd, &ccorrected, &lsnCorrected);
        if (ccorrected > 0) /* reported, never hidden (log_reader.c R6) */
            event(pinst, ESEPY_EVENT_LOG_CORRECTED, ESEPY_LEVEL_WARNING, JET_errLogFileCorrupt,
                  "damaged log records corrected (one flipped bit each)", LSN_GEN(lsnCorrected));
    }
    /* A restore may stop only after the backup set: its database copies hold
     * changes up to the set's last generation, which replay cannot take back. */
    if (err >= 0 && rst && stopped && rs->genCur <= rst->genHigh)
        err = JET_errEndingRestoreLogTooLow;
    log_reader_close(prd);
    /* R8: a page torn by the crash that no later image replaced is damage
     * replay cannot repair (btree.c T3); a database R7 removes does not count. */
    for (uint32_t i = 1; err >= 0 && i <= ISAM_MAX_DBID; i++) {
        uint32_t pgno = 0;
        if (pinst->dbs[i] && !rs->creating[i] && bt_redo_torn(rs->brc, i, &pgno) > 0) {
            char msg[96];
            snprintf(msg, sizeof(msg), "database %u: page %u failed its checksum and the log holds no image of it",
                     (unsigned)i, (unsigned)pgno);
            event(pinst, ESEPY_EVENT_RECOVERY_FAILED, ESEPY_LEVEL_ERROR, JET_errReadVerifyFailure, msg, rs->genCur);
            err = JET_errReadVerifyFailure;
        }
    }
    /* Structure changes the log ends inside never happened (their pages
     * never reached the files): drop their images before anything else. */
    bt_redo_end(rs->brc);
    rs->brc = NULL;
    for (uint32_t i = 1; err >= 0 && i <= ISAM_MAX_DBID; i++)
        if (rs->creating[i])
            drop_unfinished_create(rs, i); /* R7 */
    if (err >= 0)
        err = resolve_deltas(rs);
    if (err >= 0 && rst && rst->zero_pages)
        err = check_zero_pages(pinst, rst);
    /* H2, H3 (isam_int.h): a database whose header names a generation beyond
     * the last one replayed holds changes (or commits) from logs that are not
     * there; that names a missing generation better than the reader can. */
    for (uint32_t i = 1; (err >= 0 || err == JET_errMissingLogFile) && !stopped && i <= ISAM_MAX_DBID; i++) {
        const isam_db *pdb = pinst->dbs[i];
        if (pdb && pdb->logged && hdrLast.generation > 0 && pdb->hdr.genMaxRequired > (int32_t)hdrLast.generation &&
            !(pinst->cfg.grbitInit & JET_bitReplayIgnoreLostLogs))
            err = JET_errRequiredLogFilesMissing;
    }
    /* R3: databases still attached at the end of the log must be here. */
    for (uint32_t i = 1; err >= 0 && i <= ISAM_MAX_DBID; i++)
        if (rs->missing[i][0] && !(pinst->cfg.grbitInit & JET_bitReplayIgnoreMissingDB))
            err = JET_errAttachedDatabaseMismatch;
    if (err >= 0 && ((stopped && !rst) || (pinst->cfg.grbitInit & JET_bitRecoveryWithoutUndo))) {
        /* Stop without undo: write what was redone, leave databases dirty.
         * A restore got here past the set's last generation (checked above):
         * its copies are repaired, so no longer backup copies (R8). */
        for (uint32_t i = 1; i <= ISAM_MAX_DBID; i++)
            if (pinst->dbs[i]) {
                if (rst)
                    memset(&pinst->dbs[i]->hdr.bkinfoFullCur, 0, sizeof(pinst->dbs[i]->hdr.bkinfoFullCur));
                JET_ERR e = cache_flush(pinst->pc, i);
                (void)db_header_write(cache_file(pinst->pc, i), &pinst->dbs[i]->hdr);
                (void)cache_close_file(pinst->pc, i, 1);
                os_free(pinst->dbs[i]);
                pinst->dbs[i] = NULL;
                if (e < 0 && err >= 0)
                    err = e;
            }
        if (err >= 0)
            err = JET_errRecoveredWithoutUndo;
    }
    if (err >= 0 && rst) {
        /* R2: a new generation after everything replayed or known. */
        const log_header *pafter = rst->pafter;
        if (pafter == NULL || hdrLast.generation > pafter->generation)
            pafter = &hdrLast;
        err = isam_open_writer_after(pinst, pafter);
    } else if (err >= 0) {
        err = isam_open_writer_after(pinst, NULL); /* R2: a new generation; R5: the checkpoint stays */
    }
    /* Undo the transactions that never finished. */
    while (err >= 0 && rs->trxs) {
        rtrx *t = rs->trxs;
        for (undo_ent *e = t->newest; err >= 0 && e; e = e->prev)
            err = undo_one(pinst, t->trxid, e);
        if (err >= 0) {
            uint8_t trxid[8];
            le_put64(trxid, t->trxid);
            log_part part = { trxid, sizeof(trxid) };
            err = isam_log(pinst, LOG_REC_ISAM_ROLLBACK, &part, 1, NULL);
        }
        trx_drop(rs, t->trxid);
    }
    /* R9: finish the drops that committed deletes (rolled-back creations) announced. */
    if (err >= 0)
        err = drops_run(rs);
    /* Clean shutdown of every database, then detach it (as ESENT since XP). */
    for (uint32_t i = 1; err >= 0 && i <= ISAM_MAX_DBID; i++) {
        isam_db *pdb = pinst->dbs[i];
        if (pdb == NULL)
            continue;
        uint8_t dbid[4];
        le_put32(dbid, pdb->dbid);
        log_part part = { dbid, sizeof(dbid) };
        err = isam_log(pinst, LOG_REC_ISAM_DBDETACH, &part, 1, NULL);
        /* Replayed to consistency: no longer a backup copy. */
        memset(&pdb->hdr.bkinfoFullCur, 0, sizeof(pdb->hdr.bkinfoFullCur));
        if (err >= 0)
            err = db_close(pinst, pdb, 1);
    }
    /* R5: every database replay touched is flushed, synced and detached
     * clean: only now may the checkpoint pass what was replayed.  R10: the
     * checkpoint (and every later generation's header) lists the databases
     * attached now, i.e. none of the detached ones: a database created or
     * attached next at the same dbid is then the one the next replay
     * attaches. */
    isam_update_attach(pinst);
    if (err >= 0 && pinst->lw) {
        err = log_flush(pinst->lw, LSN_NIL);
        if (err >= 0)
            err = isam_set_checkpoint(pinst, log_end_lsn(pinst->lw));
    }
    redo_state_free(rs);
    int32_t genEnd = rs->genCur;
    os_free(rs);
    if (*pfRan) {
        if (rst) {
            /* the restore layer reports progress and the outcome */
        } else if (err >= 0) {
            (void)status(pinst, JET_sntComplete, total, total);
            event(pinst, ESEPY_EVENT_RECOVERY_DONE, ESEPY_LEVEL_INFO, 0, "recovery complete", genEnd);
        } else {
            (void)status(pinst, JET_sntFail, 0, total);
            char msg[160];
            snprintf(msg, sizeof(msg), "recovery failed with error %d", (int)err);
            event(pinst, ESEPY_EVENT_RECOVERY_FAILED, ESEPY_LEVEL_ERROR, err, msg, genEnd);
        }
    }
    return err;
}
