/*
 * backup.c -- the external (streaming) backup API and JetBackupInstance on
 * top of it: the state machine, the database stream (header pages, data
 * pages, trailer), the log roll that closes the copy range, log truncation,
 * the header update that records a finished backup, and the backup folder
 * (plain, incremental, atomic).
 *
 * Owns: struct bk_ctx and every file of a backup folder.
 * Must not touch: instance handles and modes (api layer), page contents
 * (copied as the cache gives them), log record formats.
 *
 * State machine (ESE's):
 *   begin(full)        -> DATABASES: attach info, open/read/close databases
 *   begin(incremental) -> LOGS
 *   first get_log_info / get_truncate_log_info (no file open) rolls the log
 *                      -> LOGS: open/read/close the listed logs (+ .pat)
 *   truncate_log (every listed log read in full) -> logs deleted (B1)
 *   end(normal | abort)
 * Calls out of order fail with JET_errInvalidBackupSequence; after bk_stop,
 * every call but end fails with JET_errBackupAbortByServer.
 */
#include "bk_int.h"
#include "le.h"
#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

enum { PH_DATABASES = 1, PH_LOGS = 2 };
enum { H_NONE = 0, H_DB, H_LOG, H_PAT };

#define BK_MAX_DB 8

typedef struct bk_db {
    isam_bkdb  db;
    int        fCopied;   /* every byte of its stream was read */
    db_header  hdr;       /* header image of the copy (open time) */
    uint32_t   cpg;
    char       pat[OS_PATH_MAX];
} bk_db;

struct bk_ctx {
    isam_inst       *pi;
    log_writer      *lw;
    log_config       cfg;
    uint32_t         cbPage;
    os_mutex_t  mu;       /* one call at a time */
    atomic_int       fStop;
    atomic_int      *pStopExt; /* the api layer's stop flag (JetStopBackup, JetTerm) */
    JET_ERR          errFatal; /* a log could not be read: the backup is lost */
    int              fIncremental, phase, fRolled, fTruncated;
    lsn_t            lsnMark;
    JET_LOGTIME      tmMark;
    int32_t          genCopyMic, genCopyMac;   /* [mic, mac) */
    int32_t          genDeleteMic, genDeleteMac;
    uint8_t         *genRead;                  /* per generation of [mic, mac): read in full */
    uint32_t         cdb;
    bk_db            dbs[BK_MAX_DB];
    /* the one open file (ESE allows one) */
    int              hkind;
    JET_HANDLE       hid, hidNext;
    int              hdb;
    int32_t          hgen;
    os_file         *hpf;
    uint64_t         hsize, hoff;
};

/* ------------------------------------------------------------------------ */
/* Helpers shared with restore.c                                             */
/* ------------------------------------------------------------------------ */

void bk_trailer_encode(const bk_trailer *pt, uint8_t *pv, uint32_t cbPage)
{
    memset(pv, 0, cbPage);
    le_put32(pv + 4, BK_TRAILER_MAGIC);
    le_put32(pv + 8, BK_TRAILER_VERSION);
    le_put32(pv + 12, pt->cbPage);
    le_put32(pv + 16, pt->cpg);
    le_put_signature(pv + 20, &pt->signDb);
    le_put_signature(pv + 48, &pt->signLog);
    lsn_t lsn = lgpos_to_lsn(&pt->bk.lgposMark);
    le_put64(pv + 76, lsn);
    le_put_logtime(pv + 84, &pt->bk.logtimeMark);
    le_put32(pv + 92, pt->bk.genLow);
    le_put32(pv + 96, pt->bk.genHigh);
    size_t n = strnlen(pt->name, BK_NAME_MAX);
    le_put16(pv + 100, (uint16_t)n);
    memcpy(pv + 102, pt->name, n);
    le_put32(pv, os_crc32c(0, pv + 4, cbPage - 4));
}

JET_ERR bk_trailer_decode(const uint8_t *pv, uint32_t cbPage, bk_trailer *pt)
{
    memset(pt, 0, sizeof(*pt));
    if (cbPage < 512 || le_get32(pv) != os_crc32c(0, pv + 4, cbPage - 4) || le_get32(pv + 4) != BK_TRAILER_MAGIC ||
        le_get32(pv + 8) != BK_TRAILER_VERSION || le_get32(pv + 12) != cbPage)
        return JET_errDatabasePatchFileMismatch;
    pt->cbPage = cbPage;
    pt->cpg = le_get32(pv + 16);
    le_get_signature(pv + 20, &pt->signDb);
    le_get_signature(pv + 48, &pt->signLog);
    pt->bk.lgposMark = lsn_to_lgpos(le_get64(pv + 76));
    le_get_logtime(pv + 84, &pt->bk.logtimeMark);
    pt->bk.genLow = le_get32(pv + 92);
    pt->bk.genHigh = le_get32(pv + 96);
    size_t n = le_get16(pv + 100);
    if (n == 0 || n > BK_NAME_MAX)
        return JET_errDatabasePatchFileMismatch;
    memcpy(pt->name, pv + 102, n);
    pt->name[n] = '\0';
    if (strchr(pt->name, '/') || strcmp(pt->name, ".") == 0 || strcmp(pt->name, "..") == 0 ||
        strlen(pt->name) != n)
        return JET_errDatabasePatchFileMismatch; /* a name must stay inside its folder */
    return JET_errSuccess;
}

const char *bk_basename(const char *path)
{
    const char *p = strrchr(path, '/');
    return p ? p + 1 : path;
}

void bk_stem(const char *name, char *out, size_t cbOut)
{
    snprintf(out, cbOut, "%s", name);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

JET_ERR bk_join(const char *dir, const char *name, char *out)
{
    int n = snprintf(out, OS_PATH_MAX, "%s/%s", dir, name);
    return (n < 0 || n >= OS_PATH_MAX) ? JET_errInvalidPath : JET_errSuccess;
}

JET_ERR bk_no_link(const char *path)
{
    return os_is_symlink(path) ? JET_errInvalidPath : JET_errSuccess;
}

JET_ERR bk_create_file(const char *path, uint32_t extra, os_file **ppf)
{
    JET_ERR err = bk_no_link(path);
    if (err < 0)
        return err;
    err = os_unlink(path);
    if (err < 0 && err != JET_errFileNotFound)
        return err;
    /* A link planted between the unlink and here fails the O_EXCL create. */
    return os_file_open(path, OS_FILE_WRITE | OS_FILE_CREATE | OS_FILE_NOFOLLOW | extra, ppf);
}

JET_ERR bk_report(bk_progress *pp, JET_SNT snt)
{
    if (pp == NULL || pp->pfn == NULL)
        return JET_errSuccess;
    uint32_t done = pp->done > pp->total ? pp->total : pp->done;
    JET_SNPROG prog = { sizeof(JET_SNPROG), done, pp->total };
    JET_ERR err = pp->pfn(JET_sesidNil, pp->snp, snt, &prog);
    return err < 0 ? err : JET_errSuccess;
}

/* ------------------------------------------------------------------------ */
/* State                                                                     */
/* ------------------------------------------------------------------------ */

static JET_ERR ctx_check(bk_ctx *pbk)
{
    if (atomic_load(&pbk->fStop) || (pbk->pStopExt && atomic_load(pbk->pStopExt)))
        return JET_errBackupAbortByServer;
    return pbk->errFatal;
}

static void handle_close(bk_ctx *pbk)
{
    os_file_close(pbk->hpf);
    pbk->hpf = NULL;
    pbk->hkind = H_NONE;
    pbk->hid = 0;
}

static void ctx_free(bk_ctx *pbk)
{
    handle_close(pbk);
    if (pbk->lw)
        log_pin(pbk->lw, 0);
    isam_backup_hold(pbk->pi, 0);
    os_free(pbk->genRead);
    os_mutex_destroy(&pbk->mu);
    os_free(pbk);
}

JET_ERR bk_begin(isam_inst *pi, JET_GRBIT grbit, atomic_int *pStop, bk_ctx **ppbk)
{
    if (grbit & ~(JET_GRBIT)JET_bitBackupIncremental)
        return JET_errInvalidGrbit;
    log_writer *lw = isam_log_writer(pi);
    if (lw == NULL)
        return JET_errLoggingDisabled;
    const log_config *cfg = isam_log_config(pi);
    int fInc = (grbit & JET_bitBackupIncremental) != 0;
    if (fInc && cfg->circular)
        return JET_errInvalidBackup;
    bk_ctx *pbk = os_calloc(1, sizeof(*pbk));
    if (pbk == NULL)
        return JET_errOutOfMemory;
    os_mutex_init(&pbk->mu, "backup.mu", LOCK_RANK_BACKUP);
    atomic_init(&pbk->fStop, 0);
    pbk->pi = pi;
    pbk->pStopExt = pStop;
    pbk->cfg = *cfg;
    pbk->cbPage = isam_page_size(pi);
    pbk->fIncremental = fInc;
    isam_backup_hold(pi, 1);

    log_writer_info li;
    log_writer_state(lw, &li);
    pbk->lsnMark = log_end_lsn(lw);
    os_logtime_now(&pbk->tmMark);
    JET_ERR err = JET_errSuccess;
    isam_bkdb list[BK_MAX_DB];
    uint32_t n = isam_backup_list(pi, list, BK_MAX_DB);
    if (fInc) {
        /* Everything on disk from the lowest generation (it may repeat what the
         * last backup copied; the set only needs no hole). */
        pbk->genCopyMic = li.genLowArchived ? li.genLowArchived : li.genCurrent;
        for (uint32_t i = 0; i < n && err >= 0; i++) {
            db_header hdr;
            uint32_t cpg;
            err = isam_backup_header(pi, list[i].dbid, &list[i].signDb, &hdr, &cpg);
            if (err < 0)
                break;
            if (hdr.bkinfoFullPrev.genLow == 0)
                err = JET_errMissingFullBackup;
            else {
                uint32_t last = hdr.bkinfoFullPrev.genHigh;
                if (hdr.bkinfoIncPrev.genHigh > last)
                    last = hdr.bkinfoIncPrev.genHigh;
                if ((uint32_t)pbk->genCopyMic > last + 1)
                    err = JET_errMissingFileToBackup; /* the generations since the last backup are gone */
            }
        }
        pbk->phase = PH_LOGS;
    } else {
        pbk->genCopyMic = LSN_GEN(li.lsnCheckpoint);
        for (uint32_t i = 0; i < n; i++) {
            pbk->dbs[pbk->cdb].db = list[i];
            /* Two databases with one file name cannot share a backup folder. */
            for (uint32_t j = 0; j < pbk->cdb; j++)
                if (strcmp(bk_basename(pbk->dbs[j].db.path), bk_basename(list[i].path)) == 0)
                    err = JET_errInvalidBackup;
            pbk->cdb++;
        }
        pbk->phase = PH_DATABASES;
    }
    if (err < 0) {
        ctx_free(pbk);
        return err;
    }
    /* B1: nothing from genCopyMic on is deleted until the backup ends. */
    pbk->lw = lw;
    log_pin(lw, pbk->genCopyMic);
    /* The pin may come after circular logging removed the generation. */
    log_writer_state(lw, &li);
    if (li.genLowArchived != 0 ? li.genLowArchived > pbk->genCopyMic : li.genCurrent > pbk->genCopyMic) {
        ctx_free(pbk);
        return JET_errMissingFileToBackup;
    }
    pbk->hidNext = 1;
    *ppbk = pbk;
    return JET_errSuccess;
}

void bk_stop(bk_ctx *pbk)
{
    if (pbk)
        atomic_store(&pbk->fStop, 1);
}

/* Multi-string output with ESE's buffer rules: the full size always goes to
 * *pcbActual; a buffer too small for it (but not NULL/0) ->
 * JET_errBufferTooSmall, nothing copied. */
static JET_ERR szz_out(const char *szz, uint32_t cb, char *out, uint32_t cbMax, uint32_t *pcbActual)
{
    if (pcbActual)
        *pcbActual = cb;
    if (out == NULL || cbMax == 0)
        return JET_errSuccess;
    if (cbMax < cb)
        return JET_errBufferTooSmall;
    memcpy(out, szz, cb);
    return JET_errSuccess;
}

/* Append a string to a growing multi-string. */
static JET_ERR szz_add(char **pszz, uint32_t *pcb, uint32_t *pcbCap, const char *s)
{
    size_t n = strlen(s) + 1;
    if (*pcb + n + 1 > *pcbCap) {
        uint32_t cap = (*pcbCap ? *pcbCap * 2 : 1024) + (uint32_t)n + 1;
        char *p = os_realloc(*pszz, cap);
        if (p == NULL)
            return JET_errOutOfMemory;
        *pszz = p;
        *pcbCap = cap;
    }
    memcpy(*pszz + *pcb, s, n);
    *pcb += (uint32_t)n;
    (*pszz)[*pcb] = '\0';
    return JET_errSuccess;
}

/* Hand a built multi-string out (when nothing failed so far). */
static JET_ERR szz_finish(JET_ERR err, const char *out, uint32_t cb, char *szz, uint32_t cbMax, uint32_t *pcbActual)
{
    static const char empty[1] = { 0 };
    if (err < 0)
        return err;
    return szz_out(out ? out : empty, cb + 1, szz, cbMax, pcbActual);
}

JET_ERR bk_get_attach_info(bk_ctx *pbk, char *szz, uint32_t cbMax, uint32_t *pcbActual)
{
    os_mutex_lock(&pbk->mu);
    JET_ERR err = ctx_check(pbk);
    if (err >= 0 && (pbk->fIncremental || pbk->phase != PH_DATABASES))
        err = JET_errInvalidBackupSequence;
    char *out = NULL;
    uint32_t cb = 0, cap = 0;
    for (uint32_t i = 0; err >= 0 && i < pbk->cdb; i++)
        err = szz_add(&out, &cb, &cap, pbk->dbs[i].db.path);
    err = szz_finish(err, out, cb, szz, cbMax, pcbActual);
    os_free(out);
    os_mutex_unlock(&pbk->mu);
    return err;
}

/* The log roll that closes the copy range (first log-info call). */
static JET_ERR ensure_rolled(bk_ctx *pbk)
{
    if (pbk->fRolled)
        return JET_errSuccess;
    if (pbk->hkind != H_NONE)
        return JET_errInvalidBackupSequence;
    int32_t genNew = 0;
    JET_ERR err = log_roll(pbk->lw, &genNew);
    if (err < 0)
        return err;
    pbk->genCopyMac = genNew;
    uint32_t c = (uint32_t)(pbk->genCopyMac - pbk->genCopyMic);
    pbk->genRead = os_calloc(c ? c : 1, 1);
    if (pbk->genRead == NULL)
        return JET_errOutOfMemory;
    for (int32_t g = pbk->genCopyMic; g < pbk->genCopyMac; g++) {
        char path[OS_PATH_MAX];
        if (log_find_gen(&pbk->cfg, NULL, g, path, sizeof(path)) < 0)
            return JET_errMissingFileToBackup;
    }
    for (uint32_t i = 0; i < pbk->cdb; i++) {
        bk_db *pd = &pbk->dbs[i];
        char stem[OS_PATH_MAX];
        bk_stem(pd->db.path, stem, sizeof(stem));
        if (snprintf(pd->pat, sizeof(pd->pat), "%s.pat", stem) >= (int)sizeof(pd->pat))
            return JET_errInvalidPath;
    }
    log_writer_info li;
    log_writer_state(pbk->lw, &li);
    pbk->genDeleteMic = li.genLowArchived;
    pbk->genDeleteMac = LSN_GEN(li.lsnCheckpoint) < pbk->genCopyMac ? LSN_GEN(li.lsnCheckpoint) : pbk->genCopyMac;
    if (pbk->cfg.circular || pbk->genDeleteMic == 0 || pbk->genDeleteMic > pbk->genDeleteMac)
        pbk->genDeleteMic = pbk->genDeleteMac;
    pbk->phase = PH_LOGS;
    pbk->fRolled = 1;
    return JET_errSuccess;
}

JET_ERR bk_get_log_info(bk_ctx *pbk, char *szz, uint32_t cbMax, uint32_t *pcbActual, JET_LOGINFO *pli)
{
    os_mutex_lock(&pbk->mu);
    JET_ERR err = ctx_check(pbk);
    if (err >= 0)
        err = ensure_rolled(pbk);
    char *out = NULL;
    uint32_t cb = 0, cap = 0;
    for (int32_t g = pbk->genCopyMic; err >= 0 && g < pbk->genCopyMac; g++) {
        char path[OS_PATH_MAX];
        err = log_find_gen(&pbk->cfg, NULL, g, path, sizeof(path));
        if (err == JET_errFileNotFound)
            err = JET_errMissingFileToBackup;
        if (err >= 0)
            err = szz_add(&out, &cb, &cap, path);
    }
    for (uint32_t i = 0; err >= 0 && i < pbk->cdb; i++)
        if (pbk->dbs[i].fCopied)
            err = szz_add(&out, &cb, &cap, pbk->dbs[i].pat);
    err = szz_finish(err, out, cb, szz, cbMax, pcbActual);
    if (err >= 0 && pli) {
        if (pli->cbSize != sizeof(JET_LOGINFO))
            err = JET_errInvalidParameter;
        else {
            pli->ulGenLow = (uint32_t)pbk->genCopyMic;
            pli->ulGenHigh = (uint32_t)(pbk->genCopyMac - 1);
            snprintf(pli->szBaseName, sizeof(pli->szBaseName), "%s", pbk->cfg.base);
        }
    }
    os_free(out);
    os_mutex_unlock(&pbk->mu);
    return err;
}

JET_ERR bk_get_truncate_log_info(bk_ctx *pbk, char *szz, uint32_t cbMax, uint32_t *pcbActual)
{
    os_mutex_lock(&pbk->mu);
    JET_ERR err = ctx_check(pbk);
    if (err >= 0)
        err = ensure_rolled(pbk);
    char *out = NULL;
    uint32_t cb = 0, cap = 0;
    for (int32_t g = pbk->genDeleteMic; err >= 0 && g < pbk->genDeleteMac; g++) {
        char path[OS_PATH_MAX];
        if (log_find_gen(&pbk->cfg, NULL, g, path, sizeof(path)) >= 0)
            err = szz_add(&out, &cb, &cap, path);
    }
    err = szz_finish(err, out, cb, szz, cbMax, pcbActual);
    os_free(out);
    os_mutex_unlock(&pbk->mu);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

/* Verify an archived generation before it is handed out: every record's
 * chain, and its GENEND (log invariant L2). */
static JET_ERR verify_log(bk_ctx *pbk, int32_t gen)
{
    log_reader *prd = NULL;
    log_record rec;
    JET_ERR err = log_reader_open(&pbk->cfg, NULL, LSN_MAKE(gen, 1, 0), gen, &prd);
    while (err == JET_errSuccess)
        err = log_reader_next(prd, &rec);
    log_reader_close(prd);
    if (err == JET_wrnNoMoreRecords)
        return JET_errSuccess;
    return err == JET_errOutOfMemory ? err : JET_errLogReadVerifyFailure;
}

JET_ERR bk_open_file(bk_ctx *pbk, const char *szFile, JET_HANDLE *ph, uint32_t *pcbLow, uint32_t *pcbHigh)
{
    if (szFile == NULL || szFile[0] == '\0' || ph == NULL)
        return JET_errInvalidParameter;
    char abs[OS_PATH_MAX];
    JET_ERR err = os_path_absolute(szFile, abs, sizeof(abs));
    if (err < 0)
        return JET_errInvalidParameter;
    /* As ESENT: an incremental backup copies no database (looked up before
     * taking pbk->mu: the instance's list takes its own lock). */
    int fIncDb = 0;
    if (pbk->fIncremental) {
        isam_bkdb list[BK_MAX_DB];
        uint32_t n = isam_backup_list(pbk->pi, list, BK_MAX_DB);
        for (uint32_t i = 0; i < n; i++)
            fIncDb |= strcmp(list[i].path, abs) == 0;
    }
    os_mutex_lock(&pbk->mu);
    err = ctx_check(pbk);
    if (err >= 0 && fIncDb)
        err = JET_errInvalidBackupSequence;
    if (err >= 0 && pbk->hkind != H_NONE)
        err = JET_errOutOfMemory; /* ESE has one backup file handle */
    int idb = -1;
    for (uint32_t i = 0; err >= 0 && i < pbk->cdb; i++)
        if (strcmp(pbk->dbs[i].db.path, abs) == 0)
            idb = (int)i;
    uint64_t size = 0;
    if (err < 0) {
        /* nothing */
    } else if (idb >= 0) {
        if (pbk->phase != PH_DATABASES)
            err = JET_errInvalidBackupSequence;
        bk_db *pd = &pbk->dbs[idb];
        if (err >= 0)
            err = isam_backup_header(pbk->pi, pd->db.dbid, &pd->db.signDb, &pd->hdr, &pd->cpg);
        if (err >= 0) {
            JET_BKINFO *pbi = &pd->hdr.bkinfoFullCur;
            memset(pbi, 0, sizeof(*pbi));
            pbi->lgposMark = lsn_to_lgpos(pbk->lsnMark);
            pbi->logtimeMark = pbk->tmMark;
            pbi->genLow = (uint32_t)pbk->genCopyMic;
            pbk->hkind = H_DB;
            pbk->hdb = idb;
            size = ((uint64_t)pd->cpg + 3) * pbk->cbPage;
        }
    } else if (pbk->phase == PH_DATABASES) {
        err = JET_errDatabaseNotFound;
    } else {
        for (uint32_t i = 0; i < pbk->cdb && pbk->hkind == H_NONE; i++)
            if (pbk->dbs[i].fCopied && strcmp(pbk->dbs[i].pat, abs) == 0) {
                pbk->hkind = H_PAT;
                size = 0;
            }
        for (int32_t g = pbk->genCopyMic; pbk->hkind == H_NONE && g < pbk->genCopyMac; g++) {
            char path[OS_PATH_MAX];
            if (log_find_gen(&pbk->cfg, NULL, g, path, sizeof(path)) < 0 || strcmp(path, abs) != 0)
                continue;
            err = verify_log(pbk, g);
            if (err >= 0)
                err = os_file_open(path, OS_FILE_READ, &pbk->hpf);
            if (err >= 0)
                err = os_file_size(pbk->hpf, &size);
            if (err < 0) {
                handle_close(pbk);
                if (err == JET_errFileNotFound)
                    err = JET_errMissingFileToBackup;
                if (err != JET_errOutOfMemory)
                    pbk->errFatal = err; /* a lost log loses the backup */
                break;
            }
            pbk->hkind = H_LOG;
            pbk->hgen = g;
        }
        if (err >= 0 && pbk->hkind == H_NONE)
            err = JET_errMissingFileToBackup; /* not a file of this backup */
    }
    if (err >= 0) {
        pbk->hsize = size;
        pbk->hoff = 0;
        pbk->hid = pbk->hidNext++;
        *ph = pbk->hid;
        if (pcbLow)
            *pcbLow = (uint32_t)size;
        if (pcbHigh)
            *pcbHigh = (uint32_t)(size >> 32);
    }
    os_mutex_unlock(&pbk->mu);
    return err;
}

/* Fill [off, off + cb) of database idb's stream. */
static JET_ERR read_db(bk_ctx *pbk, uint8_t *pv, uint64_t off, uint32_t cb)
{
    bk_db *pd = &pbk->dbs[pbk->hdb];
    const uint32_t cbPage = pbk->cbPage;
    JET_ERR err = JET_errSuccess;
    while (cb > 0 && err >= 0) {
        uint64_t ipg = off / cbPage; /* block index in the stream */
        if (ipg < 2) {
            db_header_encode(&pd->hdr, pv);
            pv += cbPage; off += cbPage; cb -= cbPage;
        } else if (ipg < (uint64_t)pd->cpg + 2) {
            uint64_t cpgLeft = pd->cpg + 2 - ipg;
            uint32_t cpg = cb / cbPage;
            if (cpg > cpgLeft)
                cpg = (uint32_t)cpgLeft;
            err = isam_backup_read(pbk->pi, pd->db.dbid, (uint32_t)(ipg - 1), cpg, pv);
            pv += (size_t)cpg * cbPage; off += (uint64_t)cpg * cbPage; cb -= cpg * cbPage;
        } else {
            /* The trailer: every change in a copied page is in a generation
             * <= the current one, which the log roll will archive. */
            log_writer_info li;
            log_writer_state(pbk->lw, &li);
            bk_trailer tr;
            memset(&tr, 0, sizeof(tr));
            tr.cbPage = cbPage;
            tr.cpg = pd->cpg;
            tr.signDb = pd->db.signDb;
            tr.signLog = li.signLog;
            tr.bk = pd->hdr.bkinfoFullCur;
            tr.bk.genHigh = (uint32_t)li.genCurrent;
            snprintf(tr.name, sizeof(tr.name), "%s", bk_basename(pd->db.path));
            bk_trailer_encode(&tr, pv, cbPage);
            pv += cbPage; off += cbPage; cb -= cbPage;
        }
    }
    return err;
}

JET_ERR bk_read_file(bk_ctx *pbk, JET_HANDLE h, void *pv, uint32_t cb, uint32_t *pcbActual)
{
    os_mutex_lock(&pbk->mu);
    JET_ERR err = ctx_check(pbk);
    if (err >= 0 && (pbk->hkind == H_NONE || h != pbk->hid || pv == NULL))
        err = JET_errInvalidParameter;
    uint32_t got = 0;
    if (err >= 0) {
        uint64_t left = pbk->hsize - pbk->hoff;
        uint32_t want = cb < left ? cb : (uint32_t)left;
        if (pbk->hkind == H_DB) {
            if (cb % pbk->cbPage != 0)
                err = JET_errInvalidParameter;
            else if (want > 0)
                err = read_db(pbk, pv, pbk->hoff, want);
            if (err < 0 && err != JET_errInvalidParameter)
                handle_close(pbk); /* this database's copy failed; the backup goes on */
        } else if (pbk->hkind == H_LOG && want > 0) {
            size_t n = 0;
            err = os_file_read(pbk->hpf, pbk->hoff, pv, want, &n);
            if (err >= 0 && n != want)
                err = JET_errLogReadVerifyFailure; /* shrank under us */
            if (err < 0) {
                handle_close(pbk);
                pbk->errFatal = err;
            }
        }
        if (err >= 0) {
            got = want;
            pbk->hoff += want;
        }
    }
    if (pcbActual)
        *pcbActual = got;
    os_mutex_unlock(&pbk->mu);
    return err;
}

/* bk_read_file of an open log, straight into pfo at offDst: the kernel copies
 * (os_file_copy), nothing passes through a buffer here.  Same rules as
 * bk_read_file: a failure closes the handle and loses the backup (errFatal;
 * JetBackupInstance aborts on any failure anyway, whether the set's log or
 * the copy's destination failed). */
static JET_ERR copy_log(bk_ctx *pbk, JET_HANDLE h, os_file *pfo, uint64_t offDst, uint32_t cb, uint32_t *pcbActual)
{
    os_mutex_lock(&pbk->mu);
    JET_ERR err = ctx_check(pbk);
    if (err >= 0 && (pbk->hkind != H_LOG || h != pbk->hid))
        err = JET_errInvalidParameter;
    uint32_t got = 0;
    if (err >= 0) {
        uint64_t left = pbk->hsize - pbk->hoff;
        uint32_t want = cb < left ? cb : (uint32_t)left;
        size_t n = 0;
        if (want > 0)
            err = os_file_copy(pbk->hpf, pbk->hoff, pfo, offDst, want, &n);
        if (err >= 0 && n != want)
            err = JET_errLogReadVerifyFailure; /* shrank under us */
        if (err < 0) {
            handle_close(pbk);
            pbk->errFatal = err;
        } else {
            got = want;
            pbk->hoff += want;
        }
    }
    *pcbActual = got;
    os_mutex_unlock(&pbk->mu);
    return err;
}

JET_ERR bk_close_file(bk_ctx *pbk, JET_HANDLE h)
{
    os_mutex_lock(&pbk->mu);
    JET_ERR err = JET_errSuccess;
    if (pbk->hkind == H_NONE || h != pbk->hid) {
        err = JET_errInvalidParameter;
    } else {
        int fAll = pbk->hoff == pbk->hsize;
        if (fAll && pbk->hkind == H_DB)
            pbk->dbs[pbk->hdb].fCopied = 1;
        if (fAll && pbk->hkind == H_LOG)
            pbk->genRead[pbk->hgen - pbk->genCopyMic] = 1;
        handle_close(pbk);
    }
    os_mutex_unlock(&pbk->mu);
    return err;
}

JET_ERR bk_truncate_log(bk_ctx *pbk)
{
    os_mutex_lock(&pbk->mu);
    JET_ERR err = ctx_check(pbk);
    if (err >= 0 && (!pbk->fRolled || pbk->hkind != H_NONE))
        err = JET_errInvalidBackupSequence;
    for (int32_t g = pbk->genCopyMic; err >= 0 && g < pbk->genCopyMac; g++)
        if (!pbk->genRead[g - pbk->genCopyMic])
            err = JET_errLogFileNotCopied;
    if (err >= 0 && !pbk->cfg.circular) {
        /* B1: below the checkpoint and below what this backup copied. */
        err = log_truncate(pbk->lw, pbk->genDeleteMac);
        if (err >= 0)
            pbk->fTruncated = 1;
    }
    if (err >= 0 && pbk->cfg.circular)
        pbk->fTruncated = 1; /* circular logging removes them itself */
    os_mutex_unlock(&pbk->mu);
    return err;
}

JET_ERR bk_end(bk_ctx *pbk, JET_GRBIT grbit)
{
    if (pbk == NULL)
        return JET_errNoBackup;
    JET_GRBIT kind = grbit & (JET_bitBackupEndNormal | JET_bitBackupEndAbort);
    if ((grbit & ~(JET_GRBIT)(JET_bitBackupEndNormal | JET_bitBackupEndAbort | JET_bitBackupTruncateDone)) ||
        (kind != JET_bitBackupEndNormal && kind != JET_bitBackupEndAbort))
        return JET_errInvalidParameter; /* the context stays: the caller may end it properly */
    os_mutex_lock(&pbk->mu);
    int fNormal = kind == JET_bitBackupEndNormal && pbk->fRolled && ctx_check(pbk) >= 0;
    JET_ERR err = JET_errSuccess;
    if (fNormal) {
        int fTrunc = pbk->fTruncated || (grbit & JET_bitBackupTruncateDone);
        JET_BKINFO bk;
        memset(&bk, 0, sizeof(bk));
        bk.lgposMark = lsn_to_lgpos(pbk->lsnMark);
        bk.logtimeMark = pbk->tmMark;
        bk.genLow = (uint32_t)pbk->genCopyMic;
        bk.genHigh = (uint32_t)(pbk->genCopyMac - 1);
        if (pbk->fIncremental) {
            isam_bkdb list[BK_MAX_DB];
            uint32_t n = isam_backup_list(pbk->pi, list, BK_MAX_DB);
            for (uint32_t i = 0; i < n && err >= 0; i++) {
                err = isam_backup_mark(pbk->pi, list[i].dbid, &list[i].signDb,
                                       fTrunc ? ISAM_BK_INCREMENTAL : ISAM_BK_DIFF, &bk);
                if (err == JET_errDatabaseNotFound)
                    err = JET_errSuccess;
            }
        } else {
            for (uint32_t i = 0; i < pbk->cdb && err >= 0; i++) {
                if (!pbk->dbs[i].fCopied)
                    continue;
                err = isam_backup_mark(pbk->pi, pbk->dbs[i].db.dbid, &pbk->dbs[i].db.signDb,
                                       fTrunc ? ISAM_BK_FULL : ISAM_BK_COPY, &bk);
                if (err == JET_errDatabaseNotFound)
                    err = JET_errSuccess; /* detached since */
            }
        }
        if (err >= 0 && fTrunc) {
            log_note_backup(pbk->lw, pbk->fIncremental, pbk->lsnMark, &pbk->tmMark);
            log_writer_info li;
            log_writer_state(pbk->lw, &li);
            err = log_set_checkpoint(pbk->lw, li.lsnCheckpoint); /* record it in the checkpoint file */
        }
    }
    os_mutex_unlock(&pbk->mu);
    ctx_free(pbk);
    return err;
}

/* ------------------------------------------------------------------------ */
/* JetBackupInstance: a backup into a folder                                 */
/* ------------------------------------------------------------------------ */

#define BK_CHUNK (1u << 20) /* bytes per read: a multiple of every page size */

typedef struct bk_folder {
    char     dir[OS_PATH_MAX];     /* where files go (path, path/temp or path/new) */
    char   **made;                 /* files created by this backup (removed on failure) */
    uint32_t cmade, cmadeCap;
    bk_progress prog;
} bk_folder;

static JET_ERR made_add(bk_folder *pf, const char *path)
{
    if (pf->cmade == pf->cmadeCap) {
        uint32_t cap = pf->cmadeCap ? pf->cmadeCap * 2 : 16;
        char **p = os_realloc(pf->made, cap * sizeof(char *));
        if (p == NULL)
            return JET_errOutOfMemory;
        pf->made = p;
        pf->cmadeCap = cap;
    }
    pf->made[pf->cmade] = os_strdup(path);
    if (pf->made[pf->cmade] == NULL)
        return JET_errOutOfMemory;
    pf->cmade++;
    return JET_errSuccess;
}

static void made_free(bk_folder *pf, int fRemove)
{
    for (uint32_t i = 0; i < pf->cmade; i++) {
        if (fRemove)
            (void)os_unlink(pf->made[i]);
        os_free(pf->made[i]);
    }
    os_free(pf->made);
    pf->made = NULL;
    pf->cmade = pf->cmadeCap = 0;
}

/* Copy the stream of an opened backup file into dir/name (B2). */
static JET_ERR copy_stream(bk_ctx *pbk, bk_folder *pf, const char *src, const char *name, uint8_t *buf,
                           int fRemoveOnFail)
{
    JET_HANDLE h = 0;
    uint32_t lo = 0, hi = 0;
    char dst[OS_PATH_MAX], tmp[OS_PATH_MAX];
    os_file *pfo = NULL;
    JET_ERR err = bk_join(pf->dir, name, dst);
    if (err >= 0 && snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= (int)sizeof(tmp))
        err = JET_errInvalidPath;
    if (err >= 0)
        err = bk_no_link(dst); /* B4: the rename would replace a link; refuse it instead */
    if (err >= 0)
        err = bk_open_file(pbk, src, &h, &lo, &hi);
    if (err < 0)
        return err;
    uint64_t size = (uint64_t)lo | ((uint64_t)hi << 32), off = 0;
    /* A database stream is whole pages: written past the OS page cache (the
     * copy is not read again; copying it into the cache doubled the cost). */
    uint32_t fDirect = pbk->hkind == H_DB ? OS_FILE_DIRECT : 0;
    /* A log is copied as it is on disk: by the kernel, without passing
     * through buf (a database stream is assembled here: header, pages from
     * the cache or the file, trailer). */
    int fLog = pbk->hkind == H_LOG;
    err = bk_create_file(tmp, fDirect, &pfo); /* B4 */
    int fMade = err >= 0;
    while (err >= 0 && off < size) {
        uint32_t got = 0;
        if (fLog)
            err = copy_log(pbk, h, pfo, off, BK_CHUNK, &got);
        else
            err = bk_read_file(pbk, h, buf, BK_CHUNK, &got);
        if (err >= 0 && got == 0)
            err = JET_errFileIOBeyondEOF;
        if (err >= 0 && !fLog)
            err = os_file_write(pfo, off, buf, got);
        if (err >= 0) {
            off += got;
            pf->prog.done += (uint32_t)(got >> 10);
            err = bk_report(&pf->prog, JET_sntProgress);
        }
    }
    if (err >= 0)
        err = os_file_sync(pfo);
    os_file_close(pfo);
    JET_ERR e = bk_close_file(pbk, h);
    if (err >= 0 && e < 0 && e != JET_errInvalidParameter)
        err = e;
    if (err >= 0)
        err = os_rename(tmp, dst);
    if (err >= 0 && fRemoveOnFail)
        err = made_add(pf, dst);
    if (err < 0 && fMade)
        (void)os_unlink(tmp);
    return err;
}

/* Empty a folder of regular files and remove it (only folders this layer made). */
static JET_ERR rm_entry(const char *name, void *ctx)
{
    char path[OS_PATH_MAX];
    if (bk_join((const char *)ctx, name, path) >= 0)
        (void)os_unlink(path);
    return JET_errSuccess;
}

static JET_ERR remove_folder(const char *dir)
{
    if (os_is_symlink(dir))
        return JET_errInvalidPath; /* B4: never empty a folder through a link */
    if (!os_is_dir(dir))
        return JET_errSuccess;
    (void)os_list_dir(dir, rm_entry, (void *)dir);
    return os_rmdir(dir);
}

static JET_ERR count_entry(const char *name, void *ctx)
{
    (void)name;
    (*(uint32_t *)ctx)++;
    return JET_errSuccess;
}

/* B5: an incremental backup only adds to a set its logs continue.  The set
 * in `dir` must hold log generations of this instance's log stream (none:
 * JET_errMissingFullBackup) whose last one, genHigh, is at least
 * genCopyMic - 1 (the first generation this backup copies).  Otherwise the
 * generations in between are gone (another full backup truncated them, or
 * the incrementals went elsewhere): the set would have a hole that restore
 * refuses, so the backup fails with JET_errInvalidLogSequence before it
 * writes anything. */
static JET_ERR check_continues(bk_ctx *pbk, const char *dir)
{
    log_config c = pbk->cfg;
    c.log_dir = dir;
    c.system_dir = dir;
    log_stream_info si;
    JET_ERR err = log_survey(&c, &si);
    if (err < 0)
        return err; /* the set itself is damaged (a hole, another stream mixed in) */
    if (si.genHigh <= 0)
        return JET_errMissingFullBackup;
    log_writer_info li;
    log_writer_state(pbk->lw, &li);
    if (memcmp(&si.signLog, &li.signLog, sizeof(JET_SIGNATURE)) != 0 || si.genHigh + 1 < pbk->genCopyMic)
        return JET_errInvalidLogSequence;
    return JET_errSuccess;
}

JET_ERR bk_truncate_only(isam_inst *pi)
{
    log_writer *lw = isam_log_writer(pi);
    if (lw == NULL)
        return JET_errLoggingDisabled;
    if (isam_log_config(pi)->circular)
        return JET_errSuccess; /* circular logging already keeps only what is needed */
    log_writer_info li;
    log_writer_state(lw, &li);
    return log_truncate(lw, LSN_GEN(li.lsnCheckpoint));
}

JET_ERR bk_backup_to_folder(bk_ctx *pbk, const char *path, JET_GRBIT grbit, int fCreate, JET_PFNSTATUS pfn)
{
    int fAtomic = (grbit & JET_bitBackupAtomic) != 0, fInc = pbk->fIncremental;
    bk_folder fo;
    char sub[OS_PATH_MAX], newdir[OS_PATH_MAX], olddir[OS_PATH_MAX];
    uint8_t *buf = NULL;
    char *szz = NULL;
    int fRotated = 0;
    JET_ERR err;

    memset(&fo, 0, sizeof(fo));
    fo.prog.pfn = pfn;
    fo.prog.snp = JET_snpBackup;
    if (!os_is_dir(path)) {
        err = fCreate ? os_mkdir_p(path) : JET_errInvalidPath;
        if (err < 0)
            goto abort;
    }
    err = bk_join(path, "temp", sub);
    if (err >= 0)
        err = bk_join(path, "new", newdir);
    if (err >= 0)
        err = bk_join(path, "old", olddir);
    /* B4: temp, new and old are this layer's folders; a link at any of them
     * (which would send the copies, or the deletion of a leftover, elsewhere)
     * fails the backup before anything is written. */
    if (err >= 0)
        err = bk_no_link(sub);
    if (err >= 0)
        err = bk_no_link(newdir);
    if (err >= 0)
        err = bk_no_link(olddir);
    if (err < 0)
        goto abort;
    (void)remove_folder(sub); /* a leftover of an interrupted atomic backup */
    if (!fAtomic && !fInc) {
        uint32_t c = 0;
        err = os_list_dir(path, count_entry, &c);
        if (err >= 0 && c > 0)
            err = JET_errBackupDirectoryNotEmpty;
        snprintf(fo.dir, sizeof(fo.dir), "%s", path);
    } else if (!fAtomic) {
        if (os_exists(newdir) || os_exists(olddir))
            err = JET_errBackupDirectoryNotEmpty;
        snprintf(fo.dir, sizeof(fo.dir), "%s", path);
    } else if (!fInc) {
        if (os_is_dir(newdir)) {
            err = remove_folder(olddir);
            if (err >= 0)
                err = os_rename(newdir, olddir);
            if (err >= 0)
                fRotated = 1;
        }
        if (err >= 0 && os_mkdir_p(sub) < 0)
            err = JET_errMakeBackupDirectoryFail;
        snprintf(fo.dir, sizeof(fo.dir), "%s", sub);
    } else {
        /* An atomic incremental adds logs to the newest complete set; each log
         * appears there only when complete (B2). */
        if (!os_is_dir(newdir))
            err = JET_errMissingFullBackup;
        snprintf(fo.dir, sizeof(fo.dir), "%s", newdir);
    }
    if (err >= 0 && fInc)
        err = check_continues(pbk, fo.dir);
    if (err < 0)
        goto abort;

    buf = os_malloc_aligned(4096, BK_CHUNK); /* O_DIRECT writes need it */
    if (buf == NULL) {
        err = JET_errOutOfMemory;
        goto abort;
    }
    /* Progress unit: KiB copied; the total is estimated from the database
     * sizes and the generations to copy, and cunitDone never passes it. */
    {
        uint64_t kb = 0;
        for (uint32_t i = 0; i < pbk->cdb; i++) {
            db_header hdr;
            uint32_t cpg = 0;
            if (isam_backup_header(pbk->pi, pbk->dbs[i].db.dbid, &pbk->dbs[i].db.signDb, &hdr, &cpg) >= 0)
                kb += ((uint64_t)cpg + 3) * pbk->cbPage >> 10;
        }
        log_writer_info li;
        log_writer_state(pbk->lw, &li);
        kb += (uint64_t)(li.genCurrent - pbk->genCopyMic + 1) * (pbk->cfg.cbLogFile >> 10);
        fo.prog.total = kb > UINT32_MAX ? UINT32_MAX : (uint32_t)(kb ? kb : 1);
    }
    err = bk_report(&fo.prog, JET_sntBegin);

    /* Databases (full backups). */
    for (uint32_t i = 0; err >= 0 && i < pbk->cdb; i++)
        err = copy_stream(pbk, &fo, pbk->dbs[i].db.path, bk_basename(pbk->dbs[i].db.path), buf, 1);
    /* Logs, then the .pat markers (B2). */
    uint32_t cb = 0;
    if (err >= 0)
        err = bk_get_log_info(pbk, NULL, 0, &cb, NULL);
    if (err >= 0) {
        szz = os_malloc(cb);
        err = szz ? bk_get_log_info(pbk, szz, cb, &cb, NULL) : JET_errOutOfMemory;
    }
    for (const char *p = szz; err >= 0 && p && *p; p += strlen(p) + 1) {
        size_t n = strlen(p);
        if (n > 4 && strcmp(p + n - 4, ".pat") == 0)
            continue;
        err = copy_stream(pbk, &fo, p, bk_basename(p), buf, !fInc);
    }
    for (uint32_t i = 0; err >= 0 && i < pbk->cdb; i++) {
        char stem[OS_PATH_MAX], name[OS_PATH_MAX + 8], dst[OS_PATH_MAX];
        os_file *pfo = NULL;
        bk_stem(bk_basename(pbk->dbs[i].db.path), stem, sizeof(stem));
        snprintf(name, sizeof(name), "%s.pat", stem);
        err = bk_join(fo.dir, name, dst);
        if (err >= 0)
            err = bk_create_file(dst, 0, &pfo); /* B4 */
        if (err >= 0)
            err = made_add(&fo, dst);
        os_file_close(pfo);
    }
    /* B2: the copies were synced before their renames; the markers are empty
     * (no data to sync): this folder sync makes every name durable at once,
     * and a marker is never durable without the copies' contents
     * (tests/crash/test_backup_folder_states.py). */
    if (err >= 0)
        err = os_dir_sync(fo.dir);
    /* Promote an atomic full backup: temp -> new, then drop old. */
    if (err >= 0 && fAtomic && !fInc) {
        err = os_rename(sub, newdir);
        if (err >= 0)
            err = os_dir_sync(path);
        if (err >= 0) {
            made_free(&fo, 0);
            (void)remove_folder(olddir);
            (void)os_dir_sync(path);
            fRotated = 0;
        }
    }
    if (err >= 0)
        err = bk_truncate_log(pbk);
    os_free(szz);
    szz = NULL;
    if (err >= 0) {
        JET_ERR e = bk_end(pbk, JET_bitBackupEndNormal);
        pbk = NULL;
        err = e;
    }
    if (err >= 0) {
        made_free(&fo, 0);
        os_free(buf);
        fo.prog.done = fo.prog.total;
        (void)bk_report(&fo.prog, JET_sntComplete);
        return JET_errSuccess;
    }
abort:
    /* Leave the folder as it was: what this backup made goes (an incremental
     * only ever added complete copies of logs, which stay harmlessly). */
    made_free(&fo, 1);
    if (fAtomic && !fInc) {
        (void)remove_folder(sub);
        if (fRotated && !os_exists(newdir))
            (void)os_rename(olddir, newdir);
    }
    os_free(szz);
    os_free(buf);
    if (pbk)
        (void)bk_end(pbk, JET_bitBackupEndAbort);
    (void)bk_report(&fo.prog, JET_sntFail);
    return err;
}
