/*
 * db.c -- databases of an instance: create, attach, detach, open, close,
 * header states, and database information.
 *
 * Owns: isam_db objects (inst.dbs[]), the database header's life cycle
 * (JustCreated -> DirtyShutdown while attached -> CleanShutdown when detached
 * cleanly), LOG_REC_ISAM_DB{CREATE,ATTACH,DETACH,ROOTS}.
 * Must not touch: records or the catalog's contents (catalog.c), the version
 * store (ver.c).
 *
 * Invariants:
 *   D1. An attached database's header says DirtyShutdown and names this
 *       instance's log stream (signLog) before any change is logged for it.
 *   D2. A database is marked CleanShutdown only after every one of its dirty
 *       pages reached the file (cache_flush) and the log covering them is
 *       durable; lsnConsistent then names a log position at or after its last
 *       change.
 *   D3. A database file is held by one instance: it is opened with an
 *       exclusive advisory lock (JET_errDatabaseSharingViolation otherwise).
 *   D4. A database is attached only if its file holds every page up to its
 *       space page's high-water mark (db_check_size): a truncated file fails with
 *       JET_errDatabaseCorrupted and an ESEPY_EVENT_DATABASE_CORRUPTED event
 *       naming the file and the missing pages.
 *   D5. (log positions of another stream) A page lsn is a position in the
 *       log of the instance that last changed the page, and redo applies a
 *       record only to a page whose lsn is older (btree/redo.c).  So before
 *       the first change of an attached database is logged, every page lsn
 *       of its file is below the log position the attach starts from
 *       (lsnFrom, the log's end before the DBATTACH record): then every
 *       record of this attachment is younger than every page it finds, and
 *       every page is below the image floor (the attach lsn, btree.c T3).
 *       The header's lsnPageMax is kept >= every page lsn while the file is
 *       not attached (db_mark_clean raises it to the log's end, never lowers
 *       it, and a detach from an instance without a log keeps it); a file
 *       that does not record it (older builds) is bounded by its
 *       lsnConsistent / lsnDetach / lsnAttach.  When that bound is not below
 *       lsnFrom (a file from a longer log: a fresh instance, logs deleted
 *       and restarted, a restored or copied file), or there is none, the
 *       attach first lowers to LSN_NIL the lsn of every page at or above
 *       lsnFrom and makes that durable (db_restamp_pages), before DBATTACH
 *       is logged: a crash in between leaves the file clean, attachable
 *       again.  Only the page's first 16 bytes change, so a torn write
 *       leaves a valid old or new page (cache.h cache_restamp_unlogged).
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

isam_db *db_get(isam_inst *pinst, JET_DBID dbid)
{
    if (dbid == 0 || dbid > ISAM_MAX_DBID)
        return NULL;
    return pinst->dbs[dbid];
}

static isam_db *db_by_path_locked(isam_inst *pinst, const char *abs)
{
    os_mutex_assert_held(&pinst->lock);
    for (uint32_t i = 1; i <= ISAM_MAX_DBID; i++)
        if (pinst->dbs[i] && strcmp(pinst->dbs[i]->path, abs) == 0)
            return pinst->dbs[i];
    return NULL;
}

/* A new signature: random number, now, this computer's name. */
static void new_signature(JET_SIGNATURE *psig)
{
    memset(psig, 0, sizeof(*psig));
    uint32_t r = 0;
    os_random_bytes(&r, sizeof(r));
    psig->ulRandom = r;
    os_logtime_now(&psig->logtimeCreate);
    char host[256] = "";
    os_host_name(host, sizeof(host));
    memcpy(psig->szComputerName, host, strnlen(host, JET_MAX_COMPUTERNAME_LENGTH));
}

/* bt_env.corrupt: a tree read found damage in this database.  Reported as
 * ESEPY_EVENT_PAGE_CORRUPTED (fields path, pgno, node, reason) before the
 * error goes back up, so the event log says where a JET_errDatabaseCorrupted
 * came from (and esepy's exception carries it).  Takes no lock: its caller
 * may hold page latches and inst.lock; path and inst are fixed while the
 * database is attached. */
static void db_corrupt(void *ctx, uint32_t dbid, uint32_t pgno, int32_t iNode, JET_ERR err, const char *reason)
{
    isam_db *pdb = ctx;
    isam_inst *pinst = pdb->inst;
    if (pinst == NULL || pinst->cfg.event == NULL)
        return;
    char szPgno[16], szNode[16], msg[OS_PATH_MAX + 200];
    snprintf(szPgno, sizeof(szPgno), "%u", pgno);
    snprintf(szNode, sizeof(szNode), "%d", (int)iNode);
    if (iNode >= 0)
        snprintf(msg, sizeof(msg), "database %s (dbid %u): page %u, node %d: %s", pdb->path, dbid, pgno,
                 (int)iNode, reason);
    else
        snprintf(msg, sizeof(msg), "database %s (dbid %u): page %u: %s", pdb->path, dbid, pgno, reason);
    ESEPY_EVENTFIELD f[] = { { "path", pdb->path }, { "pgno", szPgno }, { "node", szNode }, { "reason", reason } };
    pinst->cfg.event(pinst->cfg.eventctx, ESEPY_EVENT_PAGE_CORRUPTED, ESEPY_LEVEL_ERROR, err, msg, 4, f);
}

void db_init_env(isam_inst *pinst, isam_db *pdb)
{
    memset(&pdb->env, 0, sizeof(pdb->env));
    pdb->inst = pinst;
    pdb->env.corrupt = db_corrupt;
    pdb->env.corruptctx = pdb;
    pdb->env.pc = pinst->pc;
    pdb->env.dbid = pdb->dbid;
    pdb->env.log = pdb->logged ? isam_bt_log : NULL;
    pdb->env.logctx = pinst;
    pdb->env.cpgExtend = pinst->cfg.cpgDbExtension ? pinst->cfg.cpgDbExtension : 16;
    pdb->env.fKeyPrefix = (pdb->hdr.incompat & DB_INCOMPAT_KEY_PREFIX) != 0;
    for (int i = 0; i < BT_HINTS; i++)
        atomic_init(&pdb->hints.slot[i], 0);
    pdb->env.hints = &pdb->hints;
}

/* fsync the folder holding `path` (an absolute path). */
static JET_ERR sync_parent_dir(const char *path)
{
    char dir[OS_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        return os_dir_sync(".");
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    return os_dir_sync(dir);
}

/* D4: a database that is not being recovered holds, in its file, every page
 * up to its space page's high-water mark (the pages ever used; owned pages
 * above it were never written, and a database rebuilt by recovery lacks
 * them legitimately).  A shorter file was truncated: attaching it
 * fails with JET_errDatabaseCorrupted (not JET_errFileIOBeyondEOF, nor a
 * JET_errBadPageLink on the first read of a lost page); rgpgnoMissing gets
 * the first and last missing page and szMsg (cbMsg bytes) a line naming the
 * file and them, for the event. */
static JET_ERR db_check_size(isam_db *pdb, uint32_t rgpgnoMissing[2], char *szMsg, size_t cbMsg)
{
    uint32_t cpgFile = 0, pgnoHwm = 0;
    JET_ERR err = cache_file_pages(pdb->env.pc, pdb->dbid, &cpgFile);
    if (err < 0)
        return err;
    const db_header *h = &pdb->hdr;
    if (h->pgnoSpace == 0)
        return JET_errSuccess; /* no space page yet (just created) */
    if (h->pgnoSpace > cpgFile) {
        /* the space page itself is gone: the roots the header names are the least that is missing */
        uint32_t pgnoLast = h->pgnoSpace > h->pgnoCatalog ? h->pgnoSpace : h->pgnoCatalog;
        rgpgnoMissing[0] = cpgFile + 1;
        rgpgnoMissing[1] = pgnoLast;
        snprintf(szMsg, cbMsg, "Database %s is truncated: it ends after page %u; pages %u..%u at least are "
                 "missing (its space page %u is gone)", pdb->path, cpgFile, cpgFile + 1, pgnoLast, h->pgnoSpace);
        return JET_errDatabaseCorrupted;
    }
    /* A space page that cannot be read (blank in a dirty file read as it is
     * on disk, damaged) says nothing about the size: later reads report it. */
    if (bt_space_hwm(&pdb->env, h->pgnoSpace, &pgnoHwm) < 0)
        return JET_errSuccess;
    if (pgnoHwm > cpgFile) {
        rgpgnoMissing[0] = cpgFile + 1;
        rgpgnoMissing[1] = pgnoHwm;
        snprintf(szMsg, cbMsg, "Database %s is truncated: it ends after page %u; pages %u..%u (%u of the %u it "
                 "uses) are missing", pdb->path, cpgFile, cpgFile + 1, pgnoHwm, pgnoHwm - cpgFile, pgnoHwm);
        return JET_errDatabaseCorrupted;
    }
    return JET_errSuccess;
}

/* Open (or create) the file of database `dbid` and register it with the
 * cache.  On create the header is initialised (state DirtyShutdown). */
JET_ERR db_open_file(isam_inst *pinst, uint32_t dbid, const char *path, int create, const JET_SIGNATURE *psign,
                     int logged, isam_db **ppdb)
{
    isam_db *pdb = os_calloc(1, sizeof(*pdb));
    if (pdb == NULL)
        return JET_errOutOfMemory;
    snprintf(pdb->path, sizeof(pdb->path), "%s", path);
    pdb->schemaLock = (os_rwlock_t)OS_RWLOCK_INIT("isam.db.schemaLock", LOCK_RANK_SCHEMA);
    pdb->hdrLock = (os_mutex_t)OS_MUTEX_INIT("isam.db.hdrLock", LOCK_RANK_HDR);
    pdb->dbid = dbid;
    pdb->logged = logged;
    os_file *pf = NULL;
    /* A creation (database, temp database, re-creation by recovery) never
     * truncates through a symbolic link: JET_errInvalidPath instead. */
    uint32_t fl = OS_FILE_WRITE | OS_FILE_LOCK | (create ? OS_FILE_TRUNCATE | OS_FILE_NOFOLLOW : 0);
    JET_ERR err = os_file_open(path, fl, &pf);
    if (err == JET_errFileAccessDenied && os_exists(path))
        err = JET_errDatabaseSharingViolation; /* D3 */
    if (err == JET_errFileNotFound)
        err = JET_errDatabaseNotFound;
    if (err < 0)
        goto fail;
    if (create) {
        db_header *h = &pdb->hdr;
        memset(h, 0, sizeof(*h));
        h->version = 1; /* F1: 2 once a DB_INCOMPAT_* bit is set */
        /* Every new file holds compact record headers (record.c, version 2):
         * the bit is in the header before the first record is written. */
        db_header_set_incompat(h, DB_INCOMPAT_RECORD_HDR2);
        /* ... and pages with a key prefix (btree_int.h X1): the bit is in
         * the header before the first page is written. */
        db_header_set_incompat(h, DB_INCOMPAT_KEY_PREFIX);
        /* ... and compact index entries (index.c K8): the bit is in the
         * header before the first index is created. */
        db_header_set_incompat(h, DB_INCOMPAT_INDEX_COMPACT);
        h->cbPage = pinst->cfg.cbPage;
        h->filetype = JET_filetypeDatabase;
        if (psign)
            h->signDb = *psign;
        else
            new_signature(&h->signDb);
        h->dbstate = JET_dbstateDirtyShutdown;
        h->dbid = dbid;
        h->flags = logged ? 0 : DB_FLAG_RECOVERY_OFF;
        err = db_header_write(pf, h);
        if (err < 0)
            goto fail;
        /* The new file's name must be durable before anything (the log, the
         * checkpoint) can refer to it: sync its folder (POSIX keeps a new
         * directory entry volatile until then). */
        err = sync_parent_dir(path);
        if (err < 0)
            goto fail;
    } else {
        err = db_header_read(pf, pinst->cfg.cbPage, &pdb->hdr);
        if (err < 0)
            goto fail;
        if (pdb->hdr.flags & DB_FLAG_RECOVERY_OFF)
            pdb->logged = 0;
    }
    atomic_store(&pdb->incompatSeen, pdb->hdr.incompat);
    err = cache_open_file(pinst->pc, dbid, pf);
    if (err < 0)
        goto fail;
    pf = NULL; /* owned by the cache now */
    db_init_env(pinst, pdb);
    *ppdb = pdb;
    return JET_errSuccess;
fail:
    os_file_close(pf);
    if (create && pf != NULL && (os_unlink(path) < 0 || sync_parent_dir(path) < 0))
        pinst->fStaleCreate = 1; /* R7 (recovery.c): a creation that failed leaves no file behind, durably */
    os_free(pdb);
    return err;
}

/* D5: an upper bound on every page lsn of a file that is not attached,
 * from its header; LSN_NIL when the header records none. */
static lsn_t db_lsn_bound(const db_header *h)
{
    lsn_t b = h->lsnPageMax;
    if (h->lsnConsistent > b)
        b = h->lsnConsistent;
    if (h->lsnDetach > b)
        b = h->lsnDetach;
    if (h->lsnAttach > b)
        b = h->lsnAttach;
    return b;
}

/* D5: lower to LSN_NIL the lsn of every page of the file whose lsn is at or
 * above lsnFrom, then write and sync them.  The file is attached but no
 * change of it is logged yet.  A page that fails its checksum is left as it
 * is: nothing can change it without its image (a change reads it first;
 * redo waits for an image of a page it cannot read, btree.c T3). */
static JET_ERR db_restamp_pages(isam_inst *pinst, isam_db *pdb, lsn_t lsnFrom)
{
    uint32_t cpg = 0, crestamped = 0;
    JET_ERR err = cache_file_pages(pinst->pc, pdb->dbid, &cpg);
    for (uint32_t pgno = 1; err >= 0 && pgno <= cpg; pgno++) {
        bf *pbf = NULL;
        err = cache_read(pinst->pc, pdb->dbid, pgno, LATCH_EXCLUSIVE, &pbf);
        if (err == JET_errPageNotInitialized || err == JET_errReadVerifyFailure) {
            err = JET_errSuccess; /* never written (lsn 0), or unreadable (above) */
            continue;
        }
        if (err < 0)
            break;
        if (bf_lsn(pbf) >= lsnFrom) {
            cache_restamp_unlogged(pbf, LSN_NIL);
            crestamped++;
        }
        cache_release(pbf);
    }
    if (err >= 0 && crestamped > 0)
        err = cache_flush(pinst->pc, pdb->dbid);
    return err;
}

/* D2: flush, then record CleanShutdown. */
JET_ERR db_mark_clean(isam_inst *pinst, isam_db *pdb)
{
    JET_ERR err = JET_errSuccess;
    lsn_t lsn = LSN_NIL;
    if (pinst->lw) {
        lsn = log_end_lsn(pinst->lw);
        err = log_flush(pinst->lw, LSN_NIL);
    }
    if (err >= 0)
        err = cache_flush(pinst->pc, pdb->dbid);
    if (err < 0)
        return err;
    os_mutex_lock(&pdb->hdrLock); /* H1 */
    db_header *h = &pdb->hdr;
    h->dbstate = JET_dbstateCleanShutdown;
    h->lsnConsistent = lsn;
    os_logtime_now(&h->tmConsistent);
    h->lsnDetach = lsn;
    h->tmDetach = h->tmConsistent;
    if (lsn > h->lsnPageMax)
        h->lsnPageMax = lsn; /* D5: every page lsn is below the log's end */
    h->genMinRequired = h->genMaxRequired = 0;
    err = db_header_write(cache_file(pinst->pc, pdb->dbid), h);
    os_mutex_unlock(&pdb->hdrLock);
    return err;
}

JET_ERR db_header_raise_gen(isam_inst *pinst, isam_db *pdb, int fMin, int32_t gen)
{
    if (pdb == NULL || !pdb->logged || pdb->readonly)
        return JET_errSuccess;
    JET_ERR err = JET_errSuccess;
    os_mutex_lock(&pdb->hdrLock); /* H1 */
    int32_t *pfield = fMin ? &pdb->hdr.genMinRequired : &pdb->hdr.genMaxRequired;
    os_file *pf = cache_file(pinst->pc, pdb->dbid);
    if (pf && gen > *pfield && (!fMin || pdb->hdr.dbstate == JET_dbstateDirtyShutdown)) {
        int32_t old = *pfield;
        *pfield = gen;
        err = db_header_write(pf, &pdb->hdr);
        if (err < 0)
            *pfield = old; /* what depended on it is not written either */
    }
    os_mutex_unlock(&pdb->hdrLock);
    return err;
}

JET_ERR db_set_incompat(isam_inst *pinst, isam_db *pdb, uint32_t bit)
{
    if ((atomic_load(&pdb->incompatSeen) & bit) == bit)
        return JET_errSuccess;
    if (pdb->readonly)
        return JET_errDatabaseFileReadOnly;
    JET_ERR err = JET_errSuccess;
    if (pdb->logged) {
        /* before hdrLock (the log may call back into the header); two
         * racing first users log it twice, which redo takes as once */
        uint8_t rec[8];
        le_put32(rec, pdb->dbid);
        le_put32(rec + 4, bit);
        log_part part = { rec, sizeof(rec) };
        err = isam_log(pinst, LOG_REC_ISAM_DBINCOMPAT, &part, 1, NULL);
        if (err < 0)
            return err;
    }
    os_mutex_lock(&pdb->hdrLock); /* H1 */
    if ((pdb->hdr.incompat & bit) != bit) {
        db_header saved = pdb->hdr;
        db_header_set_incompat(&pdb->hdr, bit);
        err = db_header_write(cache_file(pinst->pc, pdb->dbid), &pdb->hdr);
        if (err < 0)
            pdb->hdr = saved; /* nothing with the encoding is written either */
    }
    if (err >= 0)
        atomic_fetch_or(&pdb->incompatSeen, pdb->hdr.incompat);
    os_mutex_unlock(&pdb->hdrLock);
    return err;
}

JET_ERR db_require_gen(isam_inst *pinst, uint32_t dbid, int32_t gen)
{
    /* dbs[dbid] is set before the file's first page can be dirtied and
     * cleared after its last write (db_close flushes first). */
    return db_header_raise_gen(pinst, dbid <= ISAM_MAX_DBID ? pinst->dbs[dbid] : NULL, 0, gen);
}

JET_ERR db_follow_log(isam_inst *pinst)
{
    if (pinst->lw == NULL)
        return JET_errSuccess;
    int32_t gen = LSN_GEN(log_end_lsn(pinst->lw));
    if (gen <= pinst->genFollowed)
        return JET_errSuccess;
    JET_ERR err = JET_errSuccess;
    /* inst.lock keeps every slot's database alive (db_close empties the slot
     * under it before freeing). */
    os_mutex_lock(&pinst->lock);
    for (uint32_t i = 1; err >= 0 && i <= ISAM_MAX_DBID; i++)
        if (pinst->dbs[i])
            err = db_require_gen(pinst, i, gen);
    if (err >= 0 && gen > pinst->genFollowed)
        pinst->genFollowed = gen;
    os_mutex_unlock(&pinst->lock);
    return err;
}

JET_ERR db_close(isam_inst *pinst, isam_db *pdb, int clean)
{
    JET_ERR err = JET_errSuccess;
    if (clean && !pdb->readonly)
        err = db_mark_clean(pinst, pdb);
    if (err < 0 && pdb->logged) {
        /* F1: a failed flush or sync is not retried (the file may have lost
         * what the cache now believes written); the log still has it all. */
        (void)isam_fatal(pinst, err);
        clean = 0;
    }
    JET_ERR err2 = cache_close_file(pinst->pc, pdb->dbid, clean);
    if (err >= 0)
        err = err2;
    os_mutex_lock(&pinst->lock); /* H3 (db_follow_log) and inst.c's ckpt_headers walk the slots under it */
    pinst->dbs[pdb->dbid] = NULL;
    os_mutex_unlock(&pinst->lock);
    os_free(pdb->autoinc);
    os_free(pdb);
    return err;
}

/* D1: the header of a newly attached database. */
static JET_ERR db_mark_attached(isam_inst *pinst, isam_db *pdb, lsn_t lsnAttach)
{
    /* T3 in btree.c (cache.h C7): a page whose lsn predates the attachment
     * has no image in this attachment's log; its first change logs one.  Set
     * before any change of the file is logged (D1). */
    if (pdb->logged && lsnAttach != LSN_NIL)
        cache_set_image_floor(pinst->pc, pdb->dbid, lsnAttach);
    os_mutex_lock(&pdb->hdrLock); /* H1 */
    db_header *h = &pdb->hdr;
    h->dbstate = JET_dbstateDirtyShutdown;
    h->signLog = pinst->signLog;
    h->lsnAttach = lsnAttach;
    if (pdb->logged && pinst->lw)
        h->lsnPageMax = log_end_lsn(pinst->lw); /* D5: every page lsn is below the log's end */
    os_logtime_now(&h->tmAttach);
    h->dbid = pdb->dbid;
    if (pinst->lw) {
        int32_t gen = LSN_GEN(log_end_lsn(pinst->lw));
        h->genMinRequired = gen;
        h->genMaxRequired = gen;
    }
    JET_ERR err = db_header_write(cache_file(pinst->pc, pdb->dbid), h);
    os_mutex_unlock(&pdb->hdrLock);
    return err;
}

static JET_ERR log_db_record(isam_inst *pinst, uint8_t type, uint32_t dbid, const JET_SIGNATURE *psign,
                             const char *path, lsn_t *plsn)
{
    uint8_t hdr[4 + 4 + LE_SIGNATURE_SIZE + 2];
    uint16_t cbPath = (uint16_t)strlen(path);
    le_put32(hdr, dbid);
    le_put32(hdr + 4, pinst->cfg.cbPage);
    le_put_signature(hdr + 8, psign);
    le_put16(hdr + 8 + LE_SIGNATURE_SIZE, cbPath);
    log_part parts[2] = { { hdr, sizeof(hdr) }, { path, cbPath } };
    JET_ERR err = isam_log(pinst, type, parts, 2, plsn);
    if (err >= 0 && pinst->lw)
        err = log_flush(pinst->lw, *plsn);
    return err;
}

/* Shared checks and dbid choice for create / attach.  Under inst.lock. */
static JET_ERR db_slot_locked(isam_inst *pinst, const char *abs, uint32_t *pdbid)
{
    os_mutex_assert_held(&pinst->lock);
    if (db_by_path_locked(pinst, abs))
        return JET_errDatabaseDuplicate;
    uint32_t count = 0, free = 0;
    for (uint32_t i = 1; i <= ISAM_MAX_USER_DBS; i++) {
        if (pinst->dbs[i])
            count++;
        else if (!free)
            free = i;
    }
    if (count >= ISAM_MAX_USER_DBS || !free)
        return JET_errTooManyAttachedDatabases;
    *pdbid = free;
    return JET_errSuccess;
}

static JET_ERR abs_db_path(const char *szFile, char *abs)
{
    if (szFile == NULL || szFile[0] == '\0')
        return JET_errInvalidParameter;
    if (strlen(szFile) >= OS_PATH_MAX - 1)
        return JET_errInvalidPath;
    JET_ERR err = os_path_absolute(szFile, abs, OS_PATH_MAX);
    return err < 0 ? JET_errInvalidPath : JET_errSuccess;
}

JET_ERR isam_create_database(isam_sess *psess, const char *szFile, uint32_t cpgMax, JET_GRBIT grbit,
                             JET_DBID *pdbid)
{
    (void)cpgMax;
    isam_inst *pinst = psess->inst;
    if (grbit & ~(JET_GRBIT)(JET_bitDbRecoveryOff | JET_bitDbShadowingOff | JET_bitDbOverwriteExisting))
        return JET_errInvalidGrbit;
    if (pdbid == NULL)
        return JET_errInvalidParameter;
    char abs[OS_PATH_MAX];
    JET_ERR err = abs_db_path(szFile, abs);
    if (err < 0)
        return err;
    if (psess->trx)
        return JET_errInTransaction;
    uint32_t dbid;
    os_mutex_lock(&pinst->lock);
    err = db_slot_locked(pinst, abs, &dbid);
    if (err >= 0 && os_exists(abs) && !(grbit & JET_bitDbOverwriteExisting))
        err = JET_errDatabaseDuplicate;
    isam_db *pdb = NULL;
    int logged = pinst->lw != NULL && !(grbit & JET_bitDbRecoveryOff);
    /* The creation is logged (and durable) before the file exists, so that a
     * crash never leaves a database file the log does not know. */
    JET_SIGNATURE sign;
    new_signature(&sign);
    lsn_t lsn = LSN_NIL;
    if (err >= 0 && logged)
        err = log_db_record(pinst, LOG_REC_ISAM_DBCREATE, dbid, &sign, abs, &lsn);
    if (err >= 0)
        err = db_open_file(pinst, dbid, abs, 1, &sign, logged, &pdb);
    if (err >= 0)
        pinst->dbs[dbid] = pdb; /* reserve the slot; finished below */
    os_mutex_unlock(&pinst->lock);
    if (err < 0)
        return err;

    pdb->hdr.signLog = pinst->signLog;
    CKPT_ENTER(pinst);
    if (err >= 0)
        err = bt_space_init(&pdb->env, &pdb->hdr.pgnoSpace);
    if (err >= 0)
        err = cat_init(psess, pdb);
    CKPT_LEAVE(pinst);
    if (err >= 0 && pdb->logged) {
        uint8_t roots[12];
        le_put32(roots, pdb->dbid);
        le_put32(roots + 4, pdb->hdr.pgnoSpace);
        le_put32(roots + 8, pdb->hdr.pgnoCatalog);
        log_part part = { roots, sizeof(roots) };
        lsn_t lsnRoots = LSN_NIL;
        err = isam_log(pinst, LOG_REC_ISAM_DBROOTS, &part, 1, &lsnRoots);
        /* The header written next names the roots: the records that build
         * them (space, catalog, DBROOTS) must be durable first (write-ahead),
         * and a database JetCreateDatabase returned is then durable. */
        if (err >= 0 && pinst->lw)
            err = log_flush(pinst->lw, lsnRoots);
    }
    if (err >= 0)
        err = db_mark_attached(pinst, pdb, lsn);
    if (err < 0) {
        os_mutex_lock(&pinst->lock);
        (void)cache_close_file(pinst->pc, pdb->dbid, 0);
        pinst->dbs[dbid] = NULL;
        os_mutex_unlock(&pinst->lock);
        if (os_unlink(abs) < 0 || sync_parent_dir(abs) < 0)
            pinst->fStaleCreate = 1; /* R7 (recovery.c): durably gone, or recovery removes it */
        os_free(pdb);
        return err;
    }
    psess->dbopen[dbid]++;
    pdb->copen++;
    os_mutex_lock(&pinst->lock);
    pdb->csessopen++;
    os_mutex_unlock(&pinst->lock);
    *pdbid = dbid;
    isam_update_attach(pinst);
    return JET_errSuccess;
}

JET_ERR isam_attach_database(isam_sess *psess, const char *szFile, uint32_t cpgMax, JET_GRBIT grbit)
{
    (void)cpgMax;
    isam_inst *pinst = psess->inst;
    if (grbit & ~(JET_GRBIT)(JET_bitDbReadOnly | JET_bitDbExclusive | JET_bitDbDeleteCorruptIndexes |
                             JET_bitDbUpgrade | JET_bitDbDeleteUnicodeIndexes |
                             JET_bitDbEnableBackgroundMaintenance | JET_bitDbPurgeCacheOnAttach))
        return JET_errInvalidGrbit;
    char abs[OS_PATH_MAX];
    JET_ERR err = abs_db_path(szFile, abs);
    if (err < 0)
        return err;
    if (psess->trx)
        return JET_errInTransaction;
    uint32_t dbid;
    char szCorrupt[OS_PATH_MAX + 160] = "";
    uint32_t rgpgnoMissing[2] = { 0, 0 };
    os_mutex_lock(&pinst->lock);
    if (db_by_path_locked(pinst, abs)) {
        os_mutex_unlock(&pinst->lock);
        return JET_wrnDatabaseAttached;
    }
    err = db_slot_locked(pinst, abs, &dbid);
    if (err >= 0 && !os_exists(abs))
        err = JET_errFileNotFound;
    isam_db *pdb = NULL;
    if (err >= 0)
        err = db_open_file(pinst, dbid, abs, 0, NULL, pinst->lw != NULL, &pdb);
    if (err >= 0) {
        const db_header *h = &pdb->hdr;
        if (h->bkinfoFullCur.genLow != 0 && h->dbstate != JET_dbstateCleanShutdown)
            err = JET_errSoftRecoveryOnBackupDatabase; /* as ESENT: a backup copy never restored */
        else if (h->dbstate == JET_dbstateDirtyShutdown)
            err = JET_errDatabaseDirtyShutdown;
        else if (h->bkinfoFullCur.genLow != 0)
            err = JET_errSoftRecoveryOnBackupDatabase;
        else if (h->dbstate != JET_dbstateCleanShutdown && h->dbstate != JET_dbstateJustCreated)
            err = JET_errDatabaseCorrupted;
        else
            err = db_check_size(pdb, rgpgnoMissing, szCorrupt, sizeof(szCorrupt));
        if (err < 0) {
            (void)cache_close_file(pinst->pc, dbid, 0);
            os_free(pdb);
            pdb = NULL;
        }
    }
    if (err >= 0) {
        pdb->readonly = (grbit & JET_bitDbReadOnly) != 0;
        pinst->dbs[dbid] = pdb;
    }
    os_mutex_unlock(&pinst->lock);
    if (err < 0) {
        if (szCorrupt[0] && pinst->cfg.event) {
            char first[16], last[16];
            ESEPY_EVENTFIELD f[] = { { "path", abs }, { "pgno_first", first }, { "pgno_last", last } };
            snprintf(first, sizeof(first), "%u", rgpgnoMissing[0]);
            snprintf(last, sizeof(last), "%u", rgpgnoMissing[1]);
            pinst->cfg.event(pinst->cfg.eventctx, ESEPY_EVENT_DATABASE_CORRUPTED, ESEPY_LEVEL_ERROR, err, szCorrupt,
                             3, f);
        }
        return err;
    }
    if (pdb->readonly)
        return JET_errSuccess;
    lsn_t lsn = LSN_NIL;
    if (pdb->logged) {
        /* D5: every page lsn below lsnFrom before the attachment is logged */
        lsn_t lsnFrom = log_end_lsn(pinst->lw), lsnBound = db_lsn_bound(&pdb->hdr);
        if (lsnBound == LSN_NIL || lsnBound >= lsnFrom)
            err = db_restamp_pages(pinst, pdb, lsnFrom);
    }
    if (err >= 0 && pdb->logged)
        err = log_db_record(pinst, LOG_REC_ISAM_DBATTACH, pdb->dbid, &pdb->hdr.signDb, pdb->path, &lsn);
    if (err >= 0)
        err = db_mark_attached(pinst, pdb, lsn);
    if (err >= 0)
        isam_update_attach(pinst);
    if (err < 0) {
        os_mutex_lock(&pinst->lock);
        (void)cache_close_file(pinst->pc, dbid, 0);
        pinst->dbs[dbid] = NULL;
        os_mutex_unlock(&pinst->lock);
        os_free(pdb);
    }
    return err;
}

/* Detach one database (no session may have it open). */
static JET_ERR detach_one(isam_sess *psess, isam_db *pdb)
{
    isam_inst *pinst = psess->inst;
    isam_defrag_stop_db(pinst, pdb->dbid); /* defrag.c D2 */
    if (pdb->copen > 0)
        return JET_errDatabaseInUse;
    reclaim_run(pinst); /* drops that are ready happen before the database goes */
    if (pdb->copen > 0)
        return JET_errDatabaseInUse;
    os_mutex_lock(&pinst->lock);
    uint32_t cbackup = pinst->cbackup;
    os_mutex_unlock(&pinst->lock);
    if (cbackup > 0 && pdb->logged)
        return JET_errBackupInProgress; /* the backup reads its pages */
    JET_ERR err = JET_errSuccess;
    if (pdb->logged && !pdb->readonly) {
        uint8_t dbid[4];
        le_put32(dbid, pdb->dbid);
        log_part part = { dbid, sizeof(dbid) };
        lsn_t lsn;
        err = isam_log(pinst, LOG_REC_ISAM_DBDETACH, &part, 1, &lsn);
    }
    if (err < 0)
        return err;
    os_mutex_lock(&pinst->lock);
    reclaim_forget_db_locked(pinst, pdb->dbid); /* what is left stays allocated */
    os_mutex_unlock(&pinst->lock);
    err = db_close(pinst, pdb, 1);
    isam_update_attach(pinst);
    return err;
}

JET_ERR isam_detach_database(isam_sess *psess, const char *szFile, JET_GRBIT grbit)
{
    isam_inst *pinst = psess->inst;
    if (grbit & ~(JET_GRBIT)JET_bitForceCloseAndDetach)
        return JET_errInvalidGrbit;
    if (psess->trx)
        return JET_errInTransaction;
    ver_cleanup(pinst);
    if (szFile == NULL || szFile[0] == '\0') {
        JET_ERR err = JET_errSuccess;
        for (uint32_t i = 1; i <= ISAM_MAX_USER_DBS; i++) {
            isam_db *pdb = pinst->dbs[i];
            if (pdb) {
                JET_ERR e = detach_one(psess, pdb);
                if (e < 0 && err >= 0)
                    err = e;
            }
        }
        return err;
    }
    char abs[OS_PATH_MAX];
    JET_ERR err = abs_db_path(szFile, abs);
    if (err < 0)
        return err;
    os_mutex_lock(&pinst->lock);
    isam_db *pdb = db_by_path_locked(pinst, abs);
    os_mutex_unlock(&pinst->lock);
    if (pdb == NULL)
        return JET_errDatabaseNotFound;
    return detach_one(psess, pdb);
}

JET_ERR isam_open_database(isam_sess *psess, const char *szFile, JET_GRBIT grbit, JET_DBID *pdbid)
{
    isam_inst *pinst = psess->inst;
    if (grbit & ~(JET_GRBIT)(JET_bitDbReadOnly | JET_bitDbExclusive))
        return JET_errInvalidGrbit;
    if (pdbid == NULL)
        return JET_errInvalidParameter;
    char abs[OS_PATH_MAX];
    JET_ERR err = abs_db_path(szFile, abs);
    if (err < 0)
        return err;
    os_mutex_lock(&pinst->lock);
    isam_db *pdb = db_by_path_locked(pinst, abs);
    err = pdb ? JET_errSuccess : JET_errDatabaseNotFound;
    /* As ESENT: a database another session opened exclusively is locked; an
     * exclusive open needs it open by no session (this one included). */
    if (pdb && pdb->excl && pdb->excl != psess)
        err = JET_errDatabaseLocked;
    else if (pdb && (grbit & JET_bitDbExclusive) && pdb->csessopen > 0 && pdb->excl != psess)
        err = JET_errDatabaseInUse;
    if (err >= 0) {
        if (grbit & JET_bitDbExclusive)
            pdb->excl = psess;
        pdb->copen++;
        pdb->csessopen++;
        psess->dbopen[pdb->dbid]++;
        *pdbid = pdb->dbid;
    }
    os_mutex_unlock(&pinst->lock);
    return err;
}

JET_ERR isam_close_database(isam_sess *psess, JET_DBID dbid, JET_GRBIT grbit)
{
    (void)grbit;
    isam_inst *pinst = psess->inst;
    if (dbid == 0 || dbid > ISAM_MAX_DBID || psess->dbopen[dbid] == 0)
        return JET_errInvalidDatabaseId;
    for (uint32_t i = 0; i < psess->ccursors; i++)
        if (psess->cursors[i]->used && psess->cursors[i]->db && psess->cursors[i]->db->dbid == dbid &&
            psess->dbopen[dbid] == 1)
            return JET_errTooManyOpenTables;
    os_mutex_lock(&pinst->lock);
    psess->dbopen[dbid]--;
    isam_db *pdb = pinst->dbs[dbid];
    if (pdb) {
        pdb->copen--;
        pdb->csessopen--;
        if (psess->dbopen[dbid] == 0 && pdb->excl == psess)
            pdb->excl = NULL;
    }
    os_mutex_unlock(&pinst->lock);
    return JET_errSuccess;
}

uint32_t isam_attached_paths(isam_inst *pinst, char paths[][OS_PATH_MAX], uint32_t cmax)
{
    uint32_t n = 0;
    os_mutex_lock(&pinst->lock);
    for (uint32_t i = 1; i <= ISAM_MAX_USER_DBS && n < cmax; i++)
        if (pinst->dbs[i])
            snprintf(paths[n++], OS_PATH_MAX, "%s", pinst->dbs[i]->path);
    os_mutex_unlock(&pinst->lock);
    return n;
}

/* Fill an info level from a header (and, for the file size, the file). */
static JET_ERR header_info(const db_header *h, const char *path, os_file *pf, void *pv, uint32_t cbMax,
                           uint32_t infolevel)
{
    if (pv == NULL)
        return JET_errInvalidParameter;
    switch (infolevel) {
    case JET_DbInfoMisc:
        if (cbMax < sizeof(JET_DBINFOMISC))
            return JET_errBufferTooSmall;
        db_header_to_misc(h, pv);
        return JET_errSuccess;
    case JET_DbInfoPageSize:
        if (cbMax < sizeof(uint32_t))
            return JET_errBufferTooSmall;
        *(uint32_t *)pv = h->cbPage;
        return JET_errSuccess;
    case JET_DbInfoFilesize:
    case JET_DbInfoFilesizeOnDisk:
    case JET_DbInfoSpaceOwned: {
        if (cbMax < sizeof(uint32_t))
            return JET_errBufferTooSmall;
        uint64_t cb = 0;
        JET_ERR err = os_file_size(pf, &cb);
        if (err < 0)
            return err;
        uint64_t cpg = cb / h->cbPage;
        if (infolevel == JET_DbInfoSpaceOwned)
            cpg = cpg >= 2 ? cpg - 2 : 0;
        *(uint32_t *)pv = (uint32_t)cpg; /* ESE reports sizes in pages */
        return JET_errSuccess;
    }
    case JET_DbInfoFilename:
        if (strlen(path) + 1 > cbMax)
            return JET_errBufferTooSmall;
        memcpy(pv, path, strlen(path) + 1);
        return JET_errSuccess;
    case JET_DbInfoFileType:
        if (cbMax < sizeof(uint32_t))
            return JET_errBufferTooSmall;
        *(uint32_t *)pv = h->filetype;
        return JET_errSuccess;
    default:
        return JET_errInvalidParameter;
    }
}

JET_ERR isam_get_database_info(isam_sess *psess, JET_DBID dbid, void *pv, uint32_t cbMax, uint32_t infolevel)
{
    isam_db *pdb = db_get(psess->inst, dbid);
    if (pdb == NULL || psess->dbopen[dbid] == 0)
        return JET_errInvalidDatabaseId;
    switch (infolevel) {
    case JET_DbInfoLCID:
    case JET_DbInfoOptions:
    case JET_DbInfoTransactions:
    case JET_DbInfoVersion:
    case JET_DbInfoSpaceAvailable: {
        /* As ESENT: each a 4-byte value, any other size refused. */
        if (pv == NULL)
            return JET_errInvalidParameter;
        if (cbMax != sizeof(uint32_t))
            return JET_errInvalidBufferSize;
        uint32_t v = 0;
        if (infolevel == JET_DbInfoLCID)
            v = 0x409; /* the locale of esepy's Unicode index defaults (en-US) */
        else if (infolevel == JET_DbInfoOptions)
            v = pdb->excl == psess ? JET_bitDbExclusive : 0; /* this session's open options */
        else if (infolevel == JET_DbInfoTransactions)
            v = ISAM_TRX_LEVELS; /* the deepest transaction nesting */
        else if (infolevel == JET_DbInfoVersion)
            v = pdb->hdr.version; /* esepy's database format version */
        else {
            uint32_t cpgOwned = 0;
            JET_ERR err = bt_space_stats(&pdb->env, pdb->hdr.pgnoSpace, &v, &cpgOwned);
            if (err < 0)
                return err;
        }
        memcpy(pv, &v, sizeof(v));
        return JET_errSuccess;
    }
    default:
        break;
    }
    return header_info(&pdb->hdr, pdb->path, cache_file(psess->inst->pc, dbid), pv, cbMax, infolevel);
}

JET_ERR isam_get_database_file_info(const char *szFile, void *pv, uint32_t cbMax, uint32_t infolevel)
{
    if (szFile == NULL)
        return JET_errInvalidParameter;
    os_file *pf = NULL;
    JET_ERR err = os_file_open(szFile, OS_FILE_READ, &pf);
    if (err == JET_errFileNotFound)
        return JET_errFileNotFound;
    if (err < 0)
        return err;
    db_header h;
    err = db_header_read(pf, 0, &h);
    if (err >= 0) {
        char abs[OS_PATH_MAX];
        if (os_path_absolute(szFile, abs, sizeof(abs)) < 0)
            snprintf(abs, sizeof(abs), "%s", szFile);
        err = header_info(&h, abs, pf, pv, cbMax, infolevel);
    }
    os_file_close(pf);
    return err;
}
