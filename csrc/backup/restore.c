/*
 * restore.c -- JetRestoreInstance: validate a backup set (untrusted input),
 * decide how far the logs roll forward, copy each database of the set to its
 * destination when replay first meets it, drive replay + undo through the
 * isam layer in restore mode (or replay alone: fWithoutUndo, recovery.c R8),
 * and report progress.
 *
 * Owns: the reading of backup folders (which folder of an atomic backup,
 * which files are databases, their header/trailer checks), the destination
 * of each database, the copy (page checksums verified on the way), the
 * progress unit of a restore.
 * Must not touch: the backup folder (invariant B3: opened read-only), the
 * instance's handles or modes, record or page formats.
 *
 * Progress (JET_snpRestore): cunit = KiB.  cunitTotal = the bytes of the
 * database copies plus the bytes of every log generation to replay (the
 * set's and those of the log folder that continue it); cunitDone grows as
 * databases are copied and as replay advances through the generations.
 *
 * Hostile input rules:
 *   H1. Only regular files directly inside the set folder are read;
 *       symbolic links are refused (JET_errInvalidPath).
 *   H2. A database's destination name is its name in the set folder (no
 *       '/' possible), which must equal the name in its trailer.
 *   H3. Sizes come from the file and must equal (cpg + 3) pages of the page
 *       size of the header, which must be the instance's, before anything is
 *       read or allocated from them.
 *   H4. (B4, bk_int.h) The working copy DEST/<db>.restoring is created
 *       exclusively, never through a link (a stale regular one from an
 *       interrupted restore is removed first); a symbolic link at it or at
 *       DEST/<db> fails the restore with JET_errInvalidPath, its target
 *       untouched.  The log and checkpoint files recovery writes are opened
 *       with OS_FILE_NOFOLLOW too (csrc/log).
 *   H5. A file already at DEST/<db> is not lost to a restore that fails
 *       after copying (an I/O error during replay, a cancel): before the
 *       copy is renamed into place, it is renamed to DEST/<db>.prerestore,
 *       which the end of the restore removes on success and renames back
 *       over the half-replayed copy on failure.  A .prerestore already there
 *       (a restore interrupted by a crash) is the original: it is kept, and
 *       what is at DEST/<db> is discarded.
 *
 * Sync rule:
 *   S1. The copy is not synced on its own: its rename into place is made
 *       durable (a folder sync) before recovery writes any log record, and
 *       recovery syncs the whole database file (cache_flush) before the
 *       checkpoint names anything past the set (recovery.c R5) -- one sync
 *       covers the copy and replay's changes.  A power cut before that sync
 *       is an interrupted restore: the restore run again replaces the copy
 *       (tests/crash/test_restore_syncs.py checks the order on the OS
 *       journal; the restore workload of test_crash_states.py every power
 *       cut).
 */
#include "bk_int.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#define RST_MAX_DB 8
#define RST_CHUNK  (1u << 20)

typedef struct rst_db {
    char       name[BK_NAME_MAX + 1];
    char       src[OS_PATH_MAX];
    char       dest[OS_PATH_MAX];
    db_header  hdr;
    bk_trailer tr;
    int        fCopied;
    int        fSaved;        /* saved holds what was at dest before (H5) */
    char       saved[OS_PATH_MAX];
    uint8_t   *zero;          /* bit pgno-1: the page was all zero in the copy */
} rst_db;

typedef struct rst_state {
    const rst_args    *a;
    const isam_config *cfg;
    char       setdir[OS_PATH_MAX];
    int32_t    genLow, genHigh, genEnd;
    JET_SIGNATURE signLog;
    log_header hdrAfter;
    uint32_t   cdb;
    rst_db     dbs[RST_MAX_DB];
    int        fOther;        /* a regular file that is not part of the set (ignored) */
    JET_ERR    errScan;
    bk_progress prog;
    uint32_t   kbCopied;      /* databases copied so far */
    uint32_t  *kbBefore;      /* replay KiB before generation genLow + i */
    uint32_t   cgen;
} rst_state;

/* ------------------------------------------------------------------------ */
/* The set                                                                   */
/* ------------------------------------------------------------------------ */

/* `path` is `folder` or lies inside it (both absolute and normalised). */
static int inside(const char *path, const char *folder)
{
    size_t n = strlen(folder);
    while (n > 1 && folder[n - 1] == '/')
        n--;
    return strncmp(path, folder, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), m = strlen(suffix);
    return n > m && strcmp(name + n - m, suffix) == 0;
}

/* Which folder holds the set: sz, then sz/new, then sz/old (atomic backups). */
static JET_ERR find_set(rst_state *rs, log_stream_info *pinfo)
{
    const char *subs[] = { NULL, "new", "old" };
    JET_ERR errFirst = JET_errSuccess;
    for (unsigned i = 0; i < 3; i++) {
        char dir[OS_PATH_MAX];
        if (subs[i] == NULL)
            snprintf(dir, sizeof(dir), "%s", rs->a->backup);
        else if (bk_join(rs->a->backup, subs[i], dir) < 0)
            continue;
        if (!os_is_dir(dir))
            continue;
        log_config c = rs->cfg->log;
        c.log_dir = dir;
        c.system_dir = dir;
        log_stream_info info;
        JET_ERR err = log_survey(&c, &info);
        if (err < 0) {
            if (errFirst >= 0)
                errFirst = err;
            continue;
        }
        if (info.genHigh <= 0)
            continue;
        snprintf(rs->setdir, sizeof(rs->setdir), "%s", dir);
        *pinfo = info;
        return JET_errSuccess;
    }
    /* No log generation anywhere: not a backup set (or an empty one). */
    return errFirst < 0 ? errFirst : JET_errMissingLogFile;
}

/* One database of the set: header, trailer, sizes (H1-H3). */
static JET_ERR read_db(rst_state *rs, const char *name, const char *path)
{
    const uint32_t cbPage = rs->cfg->cbPage;
    os_file *pf = NULL;
    uint64_t cb = 0;
    uint8_t *blk = NULL;
    db_header hdr;
    JET_ERR err = os_file_open(path, OS_FILE_READ, &pf);
    if (err >= 0)
        err = os_file_size(pf, &cb);
    if (err >= 0)
        err = db_header_read(pf, 0, &hdr);
    if (err == JET_errFileInvalidType || err == JET_errInvalidDatabaseVersion) {
        os_file_close(pf);
        rs->fOther = 1; /* not a database: no business of ours */
        return JET_errSuccess;
    }
    if (err >= 0 && hdr.cbPage != cbPage)
        err = JET_errPageSizeMismatch;
    if (err >= 0 && hdr.bkinfoFullCur.genLow == 0)
        err = JET_errRestoreOfNonBackupDatabase;
    if (err >= 0 && (cb % cbPage != 0 || cb < 3ull * cbPage))
        err = JET_errDatabasePatchFileMismatch; /* truncated: the trailer is gone */
    if (err >= 0) {
        blk = os_malloc(cbPage);
        err = blk ? os_file_read(pf, cb - cbPage, blk, cbPage, NULL) : JET_errOutOfMemory;
    }
    rst_db *pd = &rs->dbs[rs->cdb];
    if (err >= 0 && rs->cdb >= RST_MAX_DB)
        err = JET_errTooManyAttachedDatabases;
    if (err >= 0) {
        memset(pd, 0, sizeof(*pd));
        err = bk_trailer_decode(blk, cbPage, &pd->tr);
    }
    if (err >= 0) {
        const JET_BKINFO *h = &hdr.bkinfoFullCur, *t = &pd->tr.bk;
        if (memcmp(&pd->tr.signDb, &hdr.signDb, sizeof(JET_SIGNATURE)) != 0 ||
            memcmp(&h->lgposMark, &t->lgposMark, sizeof(JET_LGPOS)) != 0 || h->genLow != t->genLow ||
            strcmp(pd->tr.name, name) != 0 || ((uint64_t)pd->tr.cpg + 3) * cbPage != cb)
            err = JET_errDatabasePatchFileMismatch;
        else if (memcmp(&pd->tr.signLog, &rs->signLog, sizeof(JET_SIGNATURE)) != 0)
            err = JET_errDatabaseLogSetMismatch;
        else if ((int32_t)t->genLow < rs->genLow)
            err = JET_errStartingRestoreLogTooHigh;
        else if ((int32_t)t->genHigh > rs->genHigh)
            err = JET_errEndingRestoreLogTooLow;
    }
    for (uint32_t i = 0; err >= 0 && i < rs->cdb; i++)
        if (memcmp(&rs->dbs[i].hdr.signDb, &hdr.signDb, sizeof(JET_SIGNATURE)) == 0)
            err = JET_errDatabaseDuplicate;
    if (err >= 0) {
        snprintf(pd->name, sizeof(pd->name), "%s", name);
        snprintf(pd->src, sizeof(pd->src), "%s", path);
        pd->hdr = hdr;
        rs->cdb++;
    }
    os_free(blk);
    os_file_close(pf);
    return err;
}

static JET_ERR scan_entry(const char *name, void *ctx)
{
    rst_state *rs = ctx;
    char path[OS_PATH_MAX];
    if (bk_join(rs->setdir, name, path) < 0)
        return JET_errSuccess;
    if (os_is_symlink(path)) {
        rs->errScan = JET_errInvalidPath; /* H1 */
        return JET_errSuccess;
    }
    if (os_is_dir(path) || has_suffix(name, ".pat") || has_suffix(name, ".tmp") || has_suffix(name, ".log") ||
        has_suffix(name, ".jtx") || has_suffix(name, ".chk") || has_suffix(name, ".jcp") ||
        has_suffix(name, ".jrs"))
        return JET_errSuccess;
    JET_ERR err = read_db(rs, name, path);
    if (err < 0 && rs->errScan >= 0)
        rs->errScan = err;
    return JET_errSuccess;
}

/* Every database needs its .pat marker (B2: the set is complete). */
static JET_ERR check_markers(rst_state *rs)
{
    if (rs->cdb == 0)
        return JET_errPatchFileMissing;
    for (uint32_t i = 0; i < rs->cdb; i++) {
        char stem[BK_NAME_MAX + 1], name[BK_NAME_MAX + 8], path[OS_PATH_MAX];
        bk_stem(rs->dbs[i].name, stem, sizeof(stem));
        snprintf(name, sizeof(name), "%s.pat", stem);
        if (bk_join(rs->setdir, name, path) < 0 || !os_exists(path) || os_is_symlink(path))
            return JET_errPatchFileMissing;
    }
    return JET_errSuccess;
}

/* ------------------------------------------------------------------------ */
/* Roll forward: which logs of the log folder continue the set               */
/* ------------------------------------------------------------------------ */

static JET_ERR plan_roll_forward(rst_state *rs, int *pfRoll)
{
    const log_config *c = &rs->cfg->log;
    log_stream_info li;
    *pfRoll = 0;
    rs->genEnd = rs->genHigh;
    JET_ERR err = log_survey(c, &li);
    if (err < 0)
        return JET_errInvalidLogSequence; /* damaged or mixed: it cannot continue the set */
    if (!li.exists)
        return JET_errSuccess; /* nothing to roll forward: the set alone */
    if (memcmp(&li.signLog, &rs->signLog, sizeof(JET_SIGNATURE)) != 0)
        return JET_errInvalidLogSequence; /* another log stream */
    int32_t low = li.genLow ? li.genLow : li.genCurrent;
    int32_t last = li.genCurrent ? li.genCurrent : li.genHigh;
    char path[OS_PATH_MAX];
    log_header hdr;
    err = li.genCurrent ? log_path(c, 0, path, sizeof(path)) : log_find_gen(c, NULL, last, path, sizeof(path));
    if (err >= 0)
        err = log_read_header(path, &hdr);
    if (err < 0)
        return JET_errInvalidLogSequence;
    if (last <= rs->genHigh)
        return JET_errInvalidLogSequence; /* the log folder is older than the backup */
    rs->hdrAfter = hdr;
    if (low > rs->genHigh + 1) {
        /* A hole between the set and the log folder: with circular logging
         * the generations after the backup were reused (the restore reaches
         * the backup moment); without, a log is missing. */
        if (c->circular || (hdr.flags & LOG_HDR_CIRCULAR))
            return JET_errSuccess;
        return JET_errInvalidLogSequence;
    }
    *pfRoll = 1;
    rs->genEnd = last;
    return JET_errSuccess;
}

/* KiB of each generation to replay (progress). */
static JET_ERR size_generations(rst_state *rs, uint64_t *pkb)
{
    rs->cgen = (uint32_t)(rs->genEnd - rs->genLow + 1);
    rs->kbBefore = os_calloc(rs->cgen + 1, sizeof(uint32_t));
    if (rs->kbBefore == NULL)
        return JET_errOutOfMemory;
    uint64_t kb = 0;
    for (uint32_t i = 0; i < rs->cgen; i++) {
        int32_t g = rs->genLow + (int32_t)i;
        char path[OS_PATH_MAX];
        log_header hdr;
        JET_ERR err = log_find_gen(&rs->cfg->log, g <= rs->genHigh ? rs->setdir : NULL, g, path, sizeof(path));
        if (err == JET_errFileNotFound && g > rs->genHigh)
            err = log_path(&rs->cfg->log, 0, path, sizeof(path));
        rs->kbBefore[i] = (uint32_t)(kb > UINT32_MAX ? UINT32_MAX : kb);
        if (err >= 0 && log_read_header(path, &hdr) >= 0)
            kb += hdr.cbFile >> 10;
    }
    rs->kbBefore[rs->cgen] = (uint32_t)(kb > UINT32_MAX ? UINT32_MAX : kb);
    *pkb = kb;
    return JET_errSuccess;
}

/* ------------------------------------------------------------------------ */
/* Hooks called by replay                                                    */
/* ------------------------------------------------------------------------ */

static JET_ERR replay_progress(void *ctx, int32_t gen, uint64_t off)
{
    rst_state *rs = ctx;
    if (gen < rs->genLow || gen > rs->genEnd)
        return JET_errSuccess;
    uint64_t done = (uint64_t)rs->kbCopied + rs->kbBefore[gen - rs->genLow] + (off >> 10);
    uint32_t d = done > UINT32_MAX ? UINT32_MAX : (uint32_t)done;
    if (d <= rs->prog.done)
        return JET_errSuccess; /* monotonic */
    rs->prog.done = d;
    return bk_report(&rs->prog, JET_sntProgress);
}

/* Copy database pd to pd->dest (B2-style: <dest>.restoring, then rename),
 * verifying every page and turning the trailer into the header's restore
 * information. */
static JET_ERR copy_db(rst_state *rs, rst_db *pd)
{
    const uint32_t cbPage = rs->cfg->cbPage;
    char tmp[OS_PATH_MAX];
    os_file *pfi = NULL, *pfo = NULL, *pfLock = NULL;
    uint8_t *buf = NULL;
    JET_ERR err = JET_errSuccess;
    if (snprintf(tmp, sizeof(tmp), "%s.restoring", pd->dest) >= (int)sizeof(tmp))
        return JET_errInvalidPath;
    /* B4: the copy is renamed over the destination, never written through a
     * link there; a link at either name is refused. */
    err = bk_no_link(pd->dest);
    if (err >= 0 && snprintf(pd->saved, sizeof(pd->saved), "%s.prerestore", pd->dest) >= (int)sizeof(pd->saved))
        err = JET_errInvalidPath;
    if (err >= 0)
        err = bk_no_link(pd->saved);
    if (err < 0)
        return err;
    /* Another instance using the destination keeps it locked. */
    if (os_exists(pd->dest)) {
        err = os_file_open(pd->dest, OS_FILE_READ | OS_FILE_LOCK, &pfLock);
        if (err == JET_errFileAccessDenied)
            err = JET_errDatabaseSharingViolation;
        if (err == JET_errInvalidPath)
            err = JET_errInvalidPath; /* a folder sits there */
        if (err < 0)
            return err;
    }
    char dir[OS_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", pd->dest);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (slash && dir[0] && !os_is_dir(dir)) {
        err = rs->a->fCreateDest || rs->a->dest == NULL ? os_mkdir_p(dir) : JET_errInvalidPath;
    }
    if (err >= 0 && pd->zero == NULL) {
        pd->zero = os_calloc(pd->tr.cpg / 8 + 1, 1); /* cpg is bounded by the file's size (H3) */
        if (pd->zero == NULL)
            err = JET_errOutOfMemory;
    }
    if (err >= 0)
        err = os_file_open(pd->src, OS_FILE_READ, &pfi);
    if (err >= 0)
        err = bk_create_file(tmp, OS_FILE_DIRECT, &pfo); /* B4; whole pages */
    int fMade = err >= 0;
    if (err >= 0) {
        buf = os_malloc_aligned(4096, RST_CHUNK);
        if (buf == NULL)
            err = JET_errOutOfMemory;
    }
    /* Header: the copy now needs the set's logs up to genHigh. */
    if (err >= 0) {
        db_header h = pd->hdr;
        h.bkinfoFullCur.genHigh = (uint32_t)rs->genHigh;
        if (h.genMaxRequired < rs->genHigh)
            h.genMaxRequired = rs->genHigh;
        if (h.genMaxCommitted < rs->genHigh)
            h.genMaxCommitted = rs->genHigh;
        h.dbstate = JET_dbstateDirtyShutdown;
        pd->hdr = h;
        db_header_encode(&h, buf);
        err = os_file_write(pfo, 0, buf, cbPage);
        if (err >= 0)
            err = os_file_write(pfo, cbPage, buf, cbPage);
    }
    uint64_t off = 2ull * cbPage, end = ((uint64_t)pd->tr.cpg + 2) * cbPage;
    while (err >= 0 && off < end) {
        size_t want = end - off < RST_CHUNK ? (size_t)(end - off) : RST_CHUNK;
        err = os_file_read(pfi, off, buf, want, NULL);
        for (size_t o = 0; err >= 0 && o < want; o += cbPage) {
            uint32_t pgno = (uint32_t)((off + o) / cbPage - 1);
            JET_ERR v = cache_page_verify(buf + o, cbPage, pgno);
            if (v == JET_errReadVerifyFailure)
                err = JET_errReadVerifyFailure; /* a damaged page in the backup */
            else if (v == JET_errPageNotInitialized)
                pd->zero[(pgno - 1) >> 3] |= (uint8_t)(1u << ((pgno - 1) & 7));
        }
        if (err >= 0)
            err = os_file_write(pfo, off, buf, want);
        if (err >= 0) {
            off += want;
            rs->kbCopied += (uint32_t)(want >> 10);
            rs->prog.done += (uint32_t)(want >> 10);
            err = bk_report(&rs->prog, JET_sntProgress);
        }
    }
    /* S1: no sync of the copy here; recovery's sync of the file covers it. */
    os_file_close(pfo);
    os_file_close(pfi);
    os_free(buf);
    /* H5: keep the file at the destination aside until the restore is done. */
    if (err >= 0 && os_exists(pd->saved))
        pd->fSaved = 1;
    else if (err >= 0 && os_exists(pd->dest)) {
        err = os_rename(pd->dest, pd->saved);
        if (err >= 0)
            pd->fSaved = 1;
    }
    if (err >= 0)
        err = os_rename(tmp, pd->dest);
    if (err >= 0 && slash)
        err = os_dir_sync(dir[0] ? dir : "/");
    if (err < 0 && fMade)
        (void)os_unlink(tmp); /* ours: no half-written copy stays */
    os_file_close(pfLock);
    return err;
}

static void zero_pages(void *ctx, const JET_SIGNATURE *psignDb, const uint8_t **ppbits, uint32_t *pcpg)
{
    rst_state *rs = ctx;
    *ppbits = NULL;
    *pcpg = 0;
    for (uint32_t i = 0; i < rs->cdb; i++)
        if (rs->dbs[i].fCopied && memcmp(&rs->dbs[i].hdr.signDb, psignDb, sizeof(JET_SIGNATURE)) == 0) {
            *ppbits = rs->dbs[i].zero;
            *pcpg = rs->dbs[i].tr.cpg;
        }
}

static JET_ERR prepare_db(void *ctx, const JET_SIGNATURE *psignDb, const char *logged, char *pathOut, int *pfSkip)
{
    rst_state *rs = ctx;
    *pfSkip = 0;
    rst_db *pd = NULL;
    for (uint32_t i = 0; i < rs->cdb; i++)
        if (memcmp(&rs->dbs[i].hdr.signDb, psignDb, sizeof(JET_SIGNATURE)) == 0)
            pd = &rs->dbs[i];
    if (pd == NULL) {
        *pfSkip = 1; /* not in the set: not restored */
        return JET_errSuccess;
    }
    if (!pd->fCopied) {
        JET_ERR err;
        if (rs->a->dest)
            err = bk_join(rs->a->dest, pd->name, pd->dest);
        else if (logged[0] != '/')
            err = JET_errInvalidPath;
        else
            err = os_path_absolute(logged, pd->dest, sizeof(pd->dest));
        if (err < 0)
            return err;
        /* B3: never into the backup folder. */
        if (inside(pd->dest, rs->a->backup))
            return JET_errInvalidPath;
        err = copy_db(rs, pd);
        if (err < 0)
            return err;
        pd->fCopied = 1;
    }
    snprintf(pathOut, OS_PATH_MAX, "%s", pd->dest);
    return JET_errSuccess;
}

/* ------------------------------------------------------------------------ */
/* JetRestoreInstance                                                        */
/* ------------------------------------------------------------------------ */

JET_ERR rst_restore(const isam_config *cfg, const rst_args *a)
{
    rst_state *rs = os_calloc(1, sizeof(*rs));
    if (rs == NULL)
        return JET_errOutOfMemory;
    rs->a = a;
    rs->cfg = cfg;
    rs->prog.pfn = a->pfn;
    rs->prog.snp = JET_snpRestore;
    int fBegun = 0, fRoll = 0;
    log_stream_info si;
    JET_ERR err = JET_errSuccess;

    if (!os_is_dir(a->backup) || inside(cfg->log.log_dir, a->backup) || inside(cfg->log.system_dir, a->backup))
        err = JET_errInvalidPath; /* B3: the new log data and checkpoint must not land in the set */
    if (err >= 0 && a->dest) {
        if (!os_is_dir(a->dest))
            err = a->fCreateDest ? os_mkdir_p(a->dest) : JET_errInvalidPath;
        if (err >= 0 && inside(a->dest, a->backup))
            err = JET_errInvalidPath; /* B3 */
    }
    if (err >= 0)
        err = find_set(rs, &si);
    if (err >= 0) {
        rs->genLow = si.genLow;
        rs->genHigh = si.genHigh;
        rs->signLog = si.signLog;
        char path[OS_PATH_MAX];
        log_header hdr;
        err = log_find_gen(&cfg->log, rs->setdir, rs->genLow, path, sizeof(path));
        if (err >= 0)
            err = log_read_header(path, &hdr);
        if (err >= 0 && hdr.cbPage != cfg->cbPage)
            err = JET_errPageSizeMismatch;
        if (err >= 0)
            err = log_find_gen(&cfg->log, rs->setdir, rs->genHigh, path, sizeof(path));
        if (err >= 0)
            err = log_read_header(path, &rs->hdrAfter);
    }
    if (err >= 0) {
        err = os_list_dir(rs->setdir, scan_entry, rs);
        if (err >= 0)
            err = rs->errScan;
    }
    if (err >= 0)
        err = check_markers(rs);
    if (err >= 0)
        err = plan_roll_forward(rs, &fRoll);
    uint64_t kbReplay = 0;
    if (err >= 0)
        err = size_generations(rs, &kbReplay);
    if (err >= 0) {
        uint64_t kb = kbReplay;
        for (uint32_t i = 0; i < rs->cdb; i++)
            kb += ((uint64_t)rs->dbs[i].tr.cpg * cfg->cbPage) >> 10;
        rs->prog.total = kb > UINT32_MAX ? UINT32_MAX : (uint32_t)(kb ? kb : 1);
        fBegun = 1;
        err = bk_report(&rs->prog, JET_sntBegin);
    }
    if (err >= 0) {
        isam_restore isr;
        memset(&isr, 0, sizeof(isr));
        isr.dirBackup = rs->setdir;
        isr.genLow = rs->genLow;
        isr.genHigh = rs->genHigh;
        isr.fRollForward = fRoll;
        isr.pafter = &rs->hdrAfter;
        isr.tmStop = a->tmStop;
        isr.prepare_db = prepare_db;
        isr.zero_pages = zero_pages;
        isr.progress = replay_progress;
        isr.ctx = rs;
        isam_config c = *cfg;
        c.restore = &isr;
        /* Without undo (a standby seeded from shipped logs), the log folder
         * holds archived generations only: its end is where replay stops. */
        c.grbitInit = a->fWithoutUndo ? JET_bitRecoveryWithoutUndo | JET_bitReplayIgnoreLostLogs : 0;
        c.rgrstmap = NULL;
        c.crstmap = 0;
        c.altDbPath = NULL;
        c.lsnStop = a->lsnStop;
        c.pfnStatus = NULL;
        c.recovery = 1;
        isam_inst *pi = NULL;
        err = isam_init(&c, &pi);
        if (err >= 0)
            err = isam_term(pi, 1); /* the instance is left stopped, everything clean */
    }
    /* Without undo, replay ends with JET_errRecoveredWithoutUndo: the restore
     * did what was asked (databases in place, dirty); it is returned at the end. */
    JET_ERR errDone = JET_errSuccess;
    if (a->fWithoutUndo && err == JET_errRecoveredWithoutUndo) {
        errDone = err;
        err = JET_errSuccess;
    }
    for (uint32_t i = 0; err >= 0 && i < rs->cdb; i++)
        if (!rs->dbs[i].fCopied)
            err = JET_errAttachedDatabaseMismatch; /* the logs never attach it: not this set */
    /* H5: the file that was at a destination goes (success) or comes back. */
    for (uint32_t i = 0; i < rs->cdb; i++) {
        rst_db *pd = &rs->dbs[i];
        if (!pd->fSaved)
            continue;
        /* Best effort: a failure here changes neither outcome (the restored
         * database is in place, or the restore already failed). */
        if ((err >= 0 ? os_unlink(pd->saved) : os_rename(pd->saved, pd->dest)) >= 0) {
            char dir[OS_PATH_MAX];
            snprintf(dir, sizeof(dir), "%s", pd->dest);
            char *slash = strrchr(dir, '/');
            if (slash)
                *slash = '\0';
            (void)os_dir_sync(dir[0] ? dir : "/");
        }
    }
    if (fBegun) {
        if (err >= 0) {
            rs->prog.done = rs->prog.total;
            (void)bk_report(&rs->prog, JET_sntComplete);
        } else {
            (void)bk_report(&rs->prog, JET_sntFail);
        }
    }
    for (uint32_t i = 0; i < rs->cdb; i++)
        os_free(rs->dbs[i].zero);
    os_free(rs->kbBefore);
    os_free(rs);
    return err < 0 ? err : errDone;
}
