/*
 * log_writer.c -- the log writer: opening a stream for writing (L5), the
 * in-memory log buffer, log_append, group commit (log_flush), the generation
 * roll (L2, L4), Btmp.log preparation, circular logging (recycling and
 * deleting generations below the checkpoint), the reserve logs used when the
 * disk is full, the poisoned state after a failed write, and clean shutdown.
 *
 * Owns: every write, rename and deletion of B.log, B<gen>.log, Btmp.log and
 * Bres0000N.jrs; the checkpoint file only through log_checkpoint_write.
 * Must not touch: database files, the page cache, record payloads (they are
 * copied, never interpreted), anything outside the log and system folders.
 *
 * Concurrency.  `mu` guards all writer state; log_append and log_flush may be
 * called from many threads, everything else from one thread at a time.
 *   - Appends copy records into `buf` (file bytes [offBuf, offEnd) of the
 *     current generation) under `mu`.
 *   - A flush that finds no write in progress becomes the flusher: it pads to
 *     a block boundary, swaps `buf` with the spare `bufW`, marks `writing`,
 *     drops `mu`, writes + fdatasyncs, retakes `mu`, advances lsnDurable and
 *     wakes everyone (group commit: every record appended before the swap is
 *     made durable by that one write + sync).  Appends continue into the
 *     other buffer meanwhile (double buffering).
 *   - When `buf` is full an append writes it out without sync the same way.
 *   - A roll runs entirely under `mu` (it is rare), after waiting for the
 *     flusher; it also holds `files_mu`, which serialises every rename or
 *     deletion in the log folder with log_set_checkpoint.  Lock order: mu,
 *     then files_mu.
 *
 * Invariants kept here (numbers from log.h, W* local):
 *   L1. lsnDurable only moves after os_file_sync returned success.
 *   L2. A generation is archived only after GENEND is durable in it.
 *   L4. Renames: B.log -> B<gen>.log, folder sync, Btmp.log -> B.log, folder
 *       sync; the new generation's header is durable in Btmp.log before it
 *       becomes B.log, so B.log always has a valid header.
 *   L5. log_writer_open never appends to an existing B.log: it closes its valid
 *       chain with GENEND (at the end of the last good record, over the torn
 *       tail if any), archives it and starts a new generation.
 *   W1. Every record starts and ends inside the file, and after each record
 *       two whole blocks remain past the next block boundary (log_rec_fits):
 *       a flush trailer and a GENEND (and its trailer) always fit; the buffer
 *       keeps room for 2 * LOG_BLOCK more bytes after every record.
 *   W2. Each write starts where the previous one ended (L7: on a block
 *       boundary): a synced write ends with its flush trailer on a block
 *       boundary (lw_seal, L8), a buffer-full write without sync writes only
 *       the whole blocks and carries the partial last block over into the
 *       other buffer.  So every block is written once, by one write, and no
 *       durable byte is ever rewritten.
 *   W3. Once errPoison is set every entry point fails with
 *       JET_errLogWriteFail; nothing more is written.
 *   W4. Btmp.log never holds a generation number in use: its header is
 *       (re)written for the next generation just before it is renamed.
 *   W5. A roll that runs out of memory before it writes GENEND leaves the log
 *       as it was: JET_errOutOfMemory is returned, nothing is poisoned, a later
 *       append tries again.  Any I/O error in a roll poisons (W3).
 *   W6. L6: Btmp.log is truncated and re-allocated (zeros) before its header
 *       is written, so a generation never holds bytes of an earlier life.
 *   W7. The checkpoint file never goes backwards: writers of it hold chk_mu
 *       from choosing the position (never below lsnCheckpoint) through the
 *       durable write; lsnCheckpoint moves only after that write, and
 *       circular logging deletes generations below it only then.  Lock
 *       order: chk_mu, then mu, then files_mu.
 *
 * The flusher thread (started on first need: a durable-commit callback or a
 * lazy commit with a deadline) waits on `cv` under `mu`:
 *   F1. A lazy commit given a deadline (log_flush_within) is durable by then:
 *       the flusher flushes up to lsnLazy when usLazy passes (earlier if any
 *       other flush covers it first).
 *   F2. The durable callback is called only by the flusher thread, with `mu`
 *       released (a callback may re-enter the engine: append, flush, even wait
 *       in log_wait_reported, which returns at once on the flusher thread),
 *       with strictly increasing lsnDurable values; lsnReported is the last
 *       one reported and moves only after the callback returned.
 *   F3. Once the writer is poisoned the callback is called once more with
 *       fLogDown = 1, and never again.
 *   F4. log_writer_close_clean reports what its last flush made durable, then
 *       ends the thread; log_writer_abandon ends it without reporting.  Both
 *       join it before anything is freed.
 */
#include "log_int.h"


#define LW_BUF_MAX (1024u * 1024u)
#define LW_BUF_MIN (8u * 1024u)

struct log_writer {
    log_config cfg; /* strings owned below */
    char      *log_dir, *system_dir, *base;
    uint32_t   cbFile;

    os_mutex_t mu;
    os_cond_t  cv;       /* a write finished / state changed */
    os_mutex_t files_mu; /* renames and deletions in the log folder */
    os_mutex_t chk_mu;   /* W7: one checkpoint file write at a time */

    JET_ERR  errPoison; /* W3: first write/sync failure, 0 while healthy */
    int      fDiskFull; /* a reserve log is in use: appends get JET_errLogDiskFull */
    int      writing;   /* a flusher is writing bufW with mu released */

    /* the stream */
    JET_SIGNATURE  signLog;
    lsn_t          lsnCheckpoint;
    log_checkpoint chk; /* last checkpoint (backup fields are carried over) */
    log_attach     attach[LOG_MAX_ATTACH];
    uint32_t       cattach;
    int32_t        genLowArchived; /* lowest archived generation present, 0 = none (files_mu) */
    int32_t        genPin;         /* a backup reads generations >= this: never delete them (files_mu) */
    uint64_t       crecycle, cdelete; /* counters (files_mu) */

    /* the current generation */
    int32_t     gen;
    os_file    *pf;
    JET_LOGTIME tmCreate;
    uint32_t    crc;        /* crc of the last record (chain state) */
    uint64_t    offEnd;     /* just past the last appended byte */
    uint64_t    offBuf;     /* file offset of buf[0] */
    uint64_t    offWritten; /* just past the last byte handed to os_file_write */
    lsn_t       lsnDurable; /* L1 */

    uint8_t *buf;  size_t cbBuf;  /* appending buffer */
    uint8_t *bufW; size_t cbBufW; /* being written by the flusher, or spare */

    log_writer_stats stats;

    /* the flusher thread (F1-F4), all under mu */
    log_durable_fn fnDurable;
    void          *ctxDurable;
    os_thread_t    flThread;
    int            flRunning;  /* flThread was started (and not yet joined) */
    int            flStop;     /* F4: report what is durable, then end */
    int            flAbandon;  /* F4: end now */
    int            flDown;     /* F3: the fLogDown call was made */
    lsn_t          lsnLazy;    /* F1: a record that must be durable by usLazy */
    int64_t        usLazy;     /* F1: deadline (os_monotonic_us), 0 = none */
    lsn_t          lsnReported; /* F2 */
};

static lsn_t lw_lsn_end(const log_writer *plw)
{
    return log_lsn_of(plw->gen, plw->offEnd);
}

/* W3. */
static JET_ERR lw_poison(log_writer *plw, JET_ERR err)
{
    if (plw->errPoison == JET_errSuccess)
        plw->errPoison = err < 0 ? err : JET_errLogWriteFail;
    os_cond_broadcast(&plw->cv);
    return JET_errLogWriteFail;
}

/* ---- files ------------------------------------------------------------------------- */

static JET_ERR lw_path(const log_writer *plw, int32_t gen, char *out)
{
    return log_path(&plw->cfg, gen, out, OS_PATH_MAX);
}

/* Give an open file exactly cbFile allocated bytes. */
static JET_ERR lw_fix_size(os_file *pf, uint64_t cb)
{
    uint64_t cur = 0;
    JET_ERR err = os_file_size(pf, &cur);
    if (err < 0)
        return err;
    if (cur > cb)
        return os_file_truncate(pf, cb);
    return cur < cb ? os_file_allocate(pf, cb) : JET_errSuccess;
}

/* Create `path` pre-allocated to cbFile (never sparse); on failure nothing is
 * left behind.  The file stays open in *ppf when ppf is not NULL. */
static JET_ERR lw_create_file(log_writer *plw, const char *path, int fSync, os_file **ppf)
{
    os_file *pf = NULL;
    JET_ERR err = os_file_open(path, OS_FILE_CREATE | OS_FILE_WRITE | OS_FILE_NOFOLLOW, &pf);
    if (err < 0)
        return err;
    err = os_file_allocate(pf, plw->cbFile);
    if (err >= 0 && fSync)
        err = os_file_sync(pf);
    if (err < 0) {
        os_file_close(pf);
        os_unlink(path);
        return err;
    }
    if (ppf)
        *ppf = pf;
    else
        os_file_close(pf);
    return JET_errSuccess;
}

/* Circular logging: archived generations below min(chkGen, gen) are not
 * needed.  With fRecycle and no Btmp.log, the oldest becomes Btmp.log; the
 * others are deleted.  files_mu held.  Never touches a generation >= the
 * checkpoint's or >= the current one. */
static JET_ERR lw_trim(log_writer *plw, int32_t gen, int32_t chkGen, int fRecycle)
{
    os_mutex_assert_held(&plw->files_mu);
    JET_ERR err = JET_errSuccess;
    char path[OS_PATH_MAX], tmp[OS_PATH_MAX];
    int32_t limit = chkGen < gen ? chkGen : gen;
    int fChanged = 0;

    if (plw->genPin > 0 && plw->genPin < limit)
        limit = plw->genPin; /* a backup still has to copy them */

    if (plw->genLowArchived == 0 || plw->genLowArchived >= limit)
        return JET_errSuccess;
    err = lw_path(plw, LOG_GEN_TMP, tmp);
    if (err < 0)
        return err;
    for (int32_t g = plw->genLowArchived; g < limit; g++) {
        if (log_find_gen(&plw->cfg, NULL, g, path, sizeof(path)) < 0)
            continue;
        if (fRecycle && !os_exists(tmp)) {
            /* Its content becomes meaningless: the next header written into it
             * names another generation (W4) and its old records fail the new
             * generation's crc chain. */
            err = os_rename(path, tmp);
            if (err < 0)
                break;
            plw->crecycle++;
        } else {
            err = os_unlink(path);
            if (err < 0 && err != JET_errFileNotFound)
                break;
            err = JET_errSuccess;
            plw->cdelete++;
        }
        fChanged = 1;
        plw->genLowArchived = g + 1;
    }
    if (err >= 0)
        plw->genLowArchived = limit; /* missing ones included */
    if (plw->genLowArchived >= gen)
        plw->genLowArchived = 0; /* nothing archived is left */
    if (fChanged) {
        JET_ERR e = os_dir_sync(plw->log_dir);
        if (err >= 0)
            err = e;
    }
    return err;
}

/* Get Btmp.log ready to become the next generation and open it: reuse it,
 * recycle (circular), or create it; when the disk is full, rename a reserve
 * log into its place (*pfReserve = 1).  JET_errLogDiskFull when nothing is
 * left.  files_mu held. */
static JET_ERR lw_tmp_obtain(log_writer *plw, os_file **ppf, int *pfReserve)
{
    os_mutex_assert_held(&plw->files_mu);
    JET_ERR err;
    char tmp[OS_PATH_MAX], res[OS_PATH_MAX];
    os_file *pf = NULL;

    *pfReserve = 0;
    err = lw_path(plw, LOG_GEN_TMP, tmp);
    if (err < 0)
        return err;
    if (!os_exists(tmp) && plw->cfg.circular)
        lw_trim(plw, plw->gen, LSN_GEN(plw->lsnCheckpoint), 1); /* best effort */
    if (os_exists(tmp)) {
        /* W6 / L6: nothing of the file's earlier life survives. */
        err = os_file_open(tmp, OS_FILE_WRITE | OS_FILE_NOFOLLOW, &pf);
        if (err >= 0)
            err = os_file_truncate(pf, 0);
        if (err >= 0)
            err = lw_fix_size(pf, plw->cbFile);
        if (err >= 0) {
            *ppf = pf;
            return JET_errSuccess;
        }
        os_file_close(pf);
        pf = NULL;
        if (err != JET_errDiskFull)
            return err;
        os_unlink(tmp);
    } else {
        err = lw_create_file(plw, tmp, 0, ppf);
        if (err != JET_errDiskFull)
            return err;
    }
    /* The disk is full: a reserve log takes Btmp.log's place. */
    for (int32_t n = LOG_GEN_RES1; n >= LOG_GEN_RES2; n--) {
        err = lw_path(plw, n, res);
        if (err < 0)
            return err;
        if (!os_exists(res))
            continue;
        err = os_rename(res, tmp);
        if (err >= 0)
            err = os_dir_sync(plw->log_dir);
        if (err >= 0)
            err = os_file_open(tmp, OS_FILE_WRITE | OS_FILE_NOFOLLOW, &pf);
        if (err < 0)
            return err;
        *ppf = pf;
        *pfReserve = 1;
        return JET_errSuccess;
    }
    return JET_errLogDiskFull;
}

/* After a roll: have Btmp.log ready for the next one.  Circular logging
 * recycles the oldest generation below the checkpoint when there is one (and
 * otherwise leaves Btmp.log to be recycled by log_set_checkpoint or created by
 * the next roll); without it a new pre-allocated file is created.  Failures
 * are not errors: the next roll tries again.  files_mu held. */
static void lw_tmp_prepare(log_writer *plw)
{
    os_mutex_assert_held(&plw->files_mu);
    char tmp[OS_PATH_MAX];
    if (lw_path(plw, LOG_GEN_TMP, tmp) < 0 || os_exists(tmp))
        return;
    if (plw->cfg.circular) {
        lw_trim(plw, plw->gen, LSN_GEN(plw->lsnCheckpoint), 1);
        return;
    }
    lw_create_file(plw, tmp, 0, NULL);
}

/* The two reserve logs exist, pre-allocated.  Not synced (issue 20,
 * restore's fixed cost): nothing durable depends on a reserve before it is
 * used -- every writer open comes back here and re-creates or re-sizes one
 * a crash lost or shrank, and a reserve taking Btmp.log's place gets its
 * header written and synced (L4) before any record goes into it.  The folder
 * sync keeps their names, as before. */
static JET_ERR lw_reserves(log_writer *plw)
{
    JET_ERR err = JET_errSuccess;
    char res[OS_PATH_MAX];
    int fCreated = 0;
    for (int32_t n = LOG_GEN_RES1; n >= LOG_GEN_RES2 && err >= 0; n--) {
        err = lw_path(plw, n, res);
        if (err < 0)
            break;
        if (os_exists(res)) {
            os_file *pf = NULL;
            err = os_file_open(res, OS_FILE_WRITE | OS_FILE_NOFOLLOW, &pf);
            if (err >= 0)
                err = lw_fix_size(pf, plw->cbFile);
            os_file_close(pf);
        } else {
            err = lw_create_file(plw, res, 0, NULL);
            fCreated = 1;
        }
    }
    if (err >= 0 && fCreated)
        err = os_dir_sync(plw->log_dir);
    return err == JET_errDiskFull ? JET_errLogDiskFull : err;
}

/* Write the header of generation `gen` into pf and sync it (L4: before the
 * file is renamed to B.log). */
static JET_ERR lw_write_header(log_writer *plw, os_file *pf, int32_t gen, const JET_LOGTIME *tmCreate,
                               const JET_LOGTIME *tmPrev)
{
    log_header h;
    uint8_t buf[LOG_HEADER_SIZE];
    memset(&h, 0, sizeof(h));
    h.generation = gen;
    h.cbFile = plw->cbFile;
    h.cbPage = plw->cfg.cbPage;
    h.flags = plw->cfg.circular ? LOG_HDR_CIRCULAR : 0;
    h.tmCreate = *tmCreate;
    h.tmPrevGen = *tmPrev;
    h.signLog = plw->signLog;
    h.lsnCheckpoint = plw->lsnCheckpoint;
    h.cattach = plw->cattach;
    memcpy(h.attach, plw->attach, sizeof(h.attach));
    log_header_encode(&h, buf);
    JET_ERR err = os_file_write(pf, 0, buf, sizeof(buf));
    return err < 0 ? err : os_file_sync(pf);
}

/* Btmp.log (open as pfTmp, header of gen written) becomes B.log and the
 * current generation (L4: B.log was archived before). */
static JET_ERR lw_install(log_writer *plw, os_file *pfTmp, int32_t gen, const JET_LOGTIME *tmCreate)
{
    char tmp[OS_PATH_MAX], cur[OS_PATH_MAX];
    JET_ERR err = lw_path(plw, LOG_GEN_TMP, tmp);
    if (err >= 0)
        err = lw_path(plw, LOG_GEN_CURRENT, cur);
    if (err >= 0)
        err = os_rename(tmp, cur);
    if (err >= 0)
        err = os_dir_sync(plw->log_dir);
    if (err < 0)
        return err;
    plw->pf = pfTmp;
    plw->gen = gen;
    plw->tmCreate = *tmCreate;
    plw->crc = log_chain_seed(&plw->signLog, gen);
    plw->offEnd = plw->offBuf = plw->offWritten = LOG_HEADER_SIZE;
    plw->lsnDurable = log_lsn_of(gen, LOG_HEADER_SIZE); /* everything before is durable */
    return JET_errSuccess;
}

/* Rename B.log to B<gen>.log and sync the folder (L4). */
static JET_ERR lw_archive_current(log_writer *plw, int32_t gen)
{
    char cur[OS_PATH_MAX], arch[OS_PATH_MAX];
    JET_ERR err = lw_path(plw, LOG_GEN_CURRENT, cur);
    if (err >= 0)
        err = lw_path(plw, gen, arch);
    if (err >= 0)
        err = os_rename(cur, arch);
    if (err >= 0)
        err = os_dir_sync(plw->log_dir);
    if (err >= 0 && plw->genLowArchived == 0)
        plw->genLowArchived = gen;
    return err;
}

/* ---- the buffer --------------------------------------------------------------------- */

/* Put a record at o = log_rec_place(offEnd) (zeros in the skipped bytes); the
 * payload is the parts followed by zeros up to `total`.  Space was checked. */
static lsn_t lw_put(log_writer *plw, uint8_t type, const log_part *parts, uint32_t cpart, uint32_t total)
{
    uint64_t o = log_rec_place(plw->offEnd);
    memset(plw->buf + (plw->offEnd - plw->offBuf), 0, (size_t)(o - plw->offEnd));
    uint8_t *p = plw->buf + (o - plw->offBuf);
    uint32_t at = LOG_REC_HEADER;
    log_rec_header(p, total, type, plw->gen);
    for (uint32_t i = 0; i < cpart; i++) {
        if (parts[i].cb)
            memcpy(p + at, parts[i].pv, parts[i].cb);
        at += parts[i].cb;
    }
    memset(p + at, 0, total - at);
    plw->crc = log_rec_crc(plw->crc, p, total);
    le_put32(p + LOG_ROFF_CRC, plw->crc);
    plw->offEnd = o + total;
    plw->stats.cappend++;
    return log_lsn_of(plw->gen, o);
}

/* End the buffered data with a flush trailer whose last byte ends a block
 * (W2, L8): a PAD record first when there is a gap (zeros when the block's
 * rest is too small for a record, log_rec_place).  The trailer names the
 * offset durable before this flush began.  There is always room for
 * 2 * LOG_BLOCK more bytes in the buffer and in the file (W1). */
static void lw_seal(log_writer *plw)
{
    uint64_t t = log_flush_place(plw->offEnd);
    uint64_t o = log_rec_place(plw->offEnd);
    if (t > o)
        lw_put(plw, LOG_REC_PAD, NULL, 0, (uint32_t)(t - o));
    memset(plw->buf + (plw->offEnd - plw->offBuf), 0, (size_t)(t - plw->offEnd));
    uint8_t *p = plw->buf + (t - plw->offBuf);
    memset(p, 0, LOG_FLUSH_SIZE);
    log_rec_header(p, LOG_FLUSH_SIZE, LOG_REC_FLUSH, plw->gen);
    le_put64(p + LOG_FOFF_DURABLE, log_off_of(plw->lsnDurable));
    le_put32(p + LOG_FOFF_ANCHOR, log_flush_anchor(log_chain_seed(&plw->signLog, plw->gen), p, t));
    plw->crc = log_rec_crc(plw->crc, p, LOG_FLUSH_SIZE);
    le_put32(p + LOG_ROFF_CRC, plw->crc);
    plw->offEnd = t + LOG_FLUSH_SIZE;
    plw->stats.cappend++;
}

/* Write out the buffer (and with fSync seal it first and fdatasync; without,
 * only its whole blocks, the partial last one moving to the other buffer --
 * W2).  mu held and no write in progress; with fUnlock, mu is released during
 * the I/O while appends continue into the other buffer. */
static JET_ERR lw_io(log_writer *plw, int fSync, int fUnlock)
{
    os_mutex_assert_held(&plw->mu);
    JET_ERR err = JET_errSuccess;
    if (fSync)
        lw_seal(plw);
    uint64_t off = plw->offBuf;
    uint64_t end = fSync ? plw->offEnd : log_rounddown_block(plw->offEnd);
    size_t n = (size_t)(end - off);
    size_t tail = (size_t)(plw->offEnd - end); /* < LOG_BLOCK <= cbBufW */
    uint8_t *p = plw->buf;
    size_t cb = plw->cbBuf;
    os_file *pf = plw->pf;

    plw->buf = plw->bufW;
    plw->cbBuf = plw->cbBufW;
    plw->bufW = p;
    plw->cbBufW = cb;
    if (tail > 0)
        memcpy(plw->buf, p + n, tail);
    plw->offBuf = end;
    plw->writing = 1;
    if (fUnlock)
        os_mutex_unlock(&plw->mu);
    if (n > 0)
        err = os_file_write(pf, off, p, n); /* W2: off == offWritten */
    if (err >= 0 && fSync)
        err = os_file_sync(pf);
    if (fUnlock)
        os_mutex_lock(&plw->mu);
    plw->writing = 0;
    if (err < 0)
        return lw_poison(plw, err);
    plw->offWritten = off + n;
    if (fSync) {
        plw->lsnDurable = log_lsn_of(plw->gen, plw->offWritten); /* L1 */
        plw->stats.csync++;
    } else {
        plw->stats.cwriteout++;
    }
    os_cond_broadcast(&plw->cv);
    return JET_errSuccess;
}

/* Room for `need` bytes past buf[0]. */
static JET_ERR lw_grow(log_writer *plw, uint64_t need)
{
    if (need <= plw->cbBuf)
        return JET_errSuccess;
    size_t cb = (size_t)log_roundup_block(need);
    uint8_t *p = os_realloc(plw->buf, cb);
    if (p == NULL)
        return JET_errOutOfMemory;
    plw->buf = p;
    plw->cbBuf = cb;
    return JET_errSuccess;
}

/* ---- roll --------------------------------------------------------------------------- */

/* Close the current generation and start the next.  mu held, no write in
 * progress; everything happens under mu.  Any failure after the first write
 * poisons the writer (W3); a full disk with no reserve left does not (it is
 * reported as JET_errLogDiskFull and the current generation stays open). */
static JET_ERR lw_roll(log_writer *plw)
{
    os_mutex_assert_held(&plw->mu);
    JET_ERR err;
    os_file *pfTmp = NULL;
    int fReserve = 0;
    int32_t genOld = plw->gen, genNew = plw->gen + 1;
    JET_LOGTIME tmNew;

    if (genNew > LOG_GEN_MAX)
        return JET_errLogSequenceEnd;
    os_mutex_lock(&plw->files_mu);
    err = lw_tmp_obtain(plw, &pfTmp, &fReserve);
    if (err == JET_errLogDiskFull) {
        plw->fDiskFull = 1;
        goto done;
    }
    /* W5: until GENEND is written the current generation is untouched, so
     * running out of memory up to here is returned without poisoning (a later
     * append tries again).  An I/O error still poisons (the failure policy:
     * a failed write or sync is never retried behind the caller's back). */
    if (err < 0)
        goto fail_or_retry;
    /* W4 / L4: the next generation's header is durable before anything else. */
    os_logtime_now(&tmNew);
    err = lw_write_header(plw, pfTmp, genNew, &tmNew, &plw->tmCreate);
    if (err < 0)
        goto fail_or_retry;
    /* L2: GENEND is durable before the generation is archived. */
    uint64_t need = (plw->offEnd - plw->offBuf) + LOG_REC_HEADER + 3 * LOG_BLOCK;
    if (need > plw->cbBuf && log_rounddown_block(plw->offEnd) > plw->offBuf) {
        err = lw_io(plw, 0, 0);
        if (err < 0)
            goto fail;
        need = (plw->offEnd - plw->offBuf) + LOG_REC_HEADER + 3 * LOG_BLOCK;
    }
    err = lw_grow(plw, need);
    if (err < 0)
        goto fail_or_retry; /* W5: GENEND not written yet */
    lw_put(plw, LOG_REC_GENEND, NULL, 0, LOG_REC_HEADER);
    err = lw_io(plw, 1, 0);
    if (err < 0)
        goto fail;
    os_file_close(plw->pf);
    plw->pf = NULL;
    /* L4: archive, then install. */
    err = lw_archive_current(plw, genOld);
    if (err >= 0)
        err = lw_install(plw, pfTmp, genNew, &tmNew);
    if (err < 0)
        goto fail;
    pfTmp = NULL;
    plw->stats.croll++;
    if (fReserve)
        plw->fDiskFull = 1;
    else
        lw_tmp_prepare(plw);
    err = JET_errSuccess;
    goto done;
fail_or_retry:
    if (err == JET_errOutOfMemory)
        goto done;
fail:
    err = lw_poison(plw, err);
done:
    os_file_close(pfTmp);
    os_mutex_unlock(&plw->files_mu);
    return err;
}

/* ---- append / flush ------------------------------------------------------------------ */

/* Append under mu (which this may release while waiting or writing). */
static JET_ERR lw_append(log_writer *plw, uint8_t type, const log_part *parts, uint32_t cpart, uint32_t total,
                         int fBypassFull, lsn_t *plsn)
{
    os_mutex_assert_held(&plw->mu);
    JET_ERR err;
    for (;;) {
        if (plw->errPoison)
            return JET_errLogWriteFail;
        if (plw->fDiskFull && !fBypassFull)
            return JET_errLogDiskFull;
        uint64_t o = log_rec_place(plw->offEnd);
        if (!log_rec_fits(o, total, plw->cbFile)) { /* W1 */
            if (plw->offEnd == LOG_HEADER_SIZE)
                return JET_errLogBufferTooSmall; /* not even an empty generation holds it */
            if (plw->writing) {
                os_cond_wait(&plw->cv, &plw->mu);
                continue;
            }
            err = lw_roll(plw);
            if (err < 0)
                return err;
            continue;
        }
        /* Room for the record and a later trailer (W1). */
        uint64_t need = (o + total - plw->offBuf) + 2 * LOG_BLOCK;
        if (need > plw->cbBuf) {
            if (log_rounddown_block(plw->offEnd) > plw->offBuf) { /* whole blocks to write (W2) */
                if (plw->writing) {
                    os_cond_wait(&plw->cv, &plw->mu);
                    continue;
                }
                err = lw_io(plw, 0, 1);
                if (err < 0)
                    return err;
                continue; /* the state may have changed meanwhile */
            }
            err = lw_grow(plw, need);
            if (err < 0)
                return err;
        }
        *plsn = lw_put(plw, type, parts, cpart, total);
        return JET_errSuccess;
    }
}

static JET_ERR lw_append_checked(log_writer *plw, uint8_t type, const log_part *parts, uint32_t cpart,
                                 int fBypassFull, lsn_t *plsn);

JET_ERR log_append(log_writer *plw, uint8_t type, const log_part *parts, uint32_t cpart, lsn_t *plsn)
{
    return lw_append_checked(plw, type, parts, cpart, 0, plsn);
}

JET_ERR log_append_reserve(log_writer *plw, uint8_t type, const log_part *parts, uint32_t cpart, lsn_t *plsn)
{
    return lw_append_checked(plw, type, parts, cpart, 1, plsn);
}

static JET_ERR lw_append_checked(log_writer *plw, uint8_t type, const log_part *parts, uint32_t cpart,
                                 int fBypassFull, lsn_t *plsn)
{
    JET_ERR err;
    uint64_t total = LOG_REC_HEADER;
    if (plw == NULL || plsn == NULL || (cpart > 0 && parts == NULL) || type < LOG_REC_FIRST_CLIENT)
        return JET_errInvalidParameter;
    for (uint32_t i = 0; i < cpart; i++) {
        if (parts[i].cb > 0 && parts[i].pv == NULL)
            return JET_errInvalidParameter;
        total += parts[i].cb;
    }
    if (total > log_rec_max(plw->cbFile))
        return JET_errLogBufferTooSmall;
    os_mutex_lock(&plw->mu);
    err = lw_append(plw, type, parts, cpart, (uint32_t)total, fBypassFull, plsn);
    os_mutex_unlock(&plw->mu);
    return err;
}

/* Make the log durable up to `target` (a position just past a record) or to
 * the end; mu held (released during the I/O). */
static JET_ERR lw_flush_locked(log_writer *plw, lsn_t target)
{
    os_mutex_assert_held(&plw->mu);
    for (;;) {
        if (plw->errPoison)
            return JET_errLogWriteFail;
        if (plw->lsnDurable >= target)
            return JET_errSuccess; /* L1: covered by a completed sync */
        if (plw->writing) {
            /* Group commit: the write in progress may cover us. */
            os_cond_wait(&plw->cv, &plw->mu);
            continue;
        }
        if (plw->lsnDurable >= lw_lsn_end(plw))
            return JET_errSuccess; /* everything appended is durable (lsn was beyond the end) */
        JET_ERR err = lw_io(plw, 1, 1);
        if (err < 0)
            return err;
    }
}

JET_ERR log_flush(log_writer *plw, lsn_t lsn)
{
    if (plw == NULL)
        return JET_errInvalidParameter;
    os_mutex_lock(&plw->mu);
    JET_ERR err = lw_flush_locked(plw, lsn == LSN_NIL ? lw_lsn_end(plw) : lsn + 1);
    os_mutex_unlock(&plw->mu);
    return err;
}

/* ---- the flusher thread (F1-F4) ------------------------------------------------------- */

static void *lw_flusher(void *pv)
{
    log_writer *plw = pv;
    os_mutex_lock(&plw->mu);
    for (;;) {
        if (plw->flAbandon)
            break;
        log_durable_fn fn = plw->fnDurable;
        int fDown = plw->errPoison != JET_errSuccess;
        if (fn && !plw->flDown && (fDown || plw->lsnDurable > plw->lsnReported)) {
            lsn_t l = plw->lsnDurable;
            void *ctx = plw->ctxDurable;
            JET_SIGNATURE sign = plw->signLog;
            if (fDown)
                plw->flDown = 1; /* F3 */
            os_mutex_unlock(&plw->mu); /* F2 */
            fn(ctx, &sign, l, fDown);
            os_mutex_lock(&plw->mu);
            if (l > plw->lsnReported)
                plw->lsnReported = l;
            os_cond_broadcast(&plw->cv);
            continue;
        }
        if (plw->flStop)
            break;
        if (plw->usLazy != 0) {
            if (fDown || plw->lsnDurable > plw->lsnLazy) {
                plw->usLazy = 0; /* F1: already durable (or never will be) */
                continue;
            }
            int64_t now = os_monotonic_us();
            if (now >= plw->usLazy) {
                plw->usLazy = 0;
                (void)lw_flush_locked(plw, plw->lsnLazy + 1); /* a failure poisons: F3 reports it */
                continue;
            }
            int64_t ms = (plw->usLazy - now + 999) / 1000;
            os_cond_wait_ms(&plw->cv, &plw->mu, ms > 3600000 ? 3600000u : (uint32_t)ms);
            continue;
        }
        os_cond_wait(&plw->cv, &plw->mu);
    }
    os_mutex_unlock(&plw->mu);
    return NULL;
}

static JET_ERR lw_flusher_start_locked(log_writer *plw)
{
    os_mutex_assert_held(&plw->mu);
    if (plw->flRunning)
        return JET_errSuccess;
    JET_ERR err = os_thread_create(&plw->flThread, lw_flusher, plw);
    if (err >= 0)
        plw->flRunning = 1;
    return err;
}

/* F4: end the thread (after reporting, unless fAbandon); no lock held. */
static void lw_flusher_stop(log_writer *plw, int fAbandon)
{
    os_mutex_lock(&plw->mu);
    int running = plw->flRunning;
    plw->flStop = 1;
    plw->flAbandon = fAbandon;
    plw->flRunning = 0;
    os_cond_broadcast(&plw->cv);
    os_mutex_unlock(&plw->mu);
    if (running)
        os_thread_join(plw->flThread, NULL);
}

JET_ERR log_set_durable_callback(log_writer *plw, log_durable_fn fn, void *ctx)
{
    if (plw == NULL)
        return JET_errInvalidParameter;
    os_mutex_lock(&plw->mu);
    JET_ERR err = fn ? lw_flusher_start_locked(plw) : JET_errSuccess;
    if (err >= 0) {
        plw->fnDurable = fn;
        plw->ctxDurable = ctx;
        os_cond_broadcast(&plw->cv);
    }
    os_mutex_unlock(&plw->mu);
    return err;
}

JET_ERR log_flush_within(log_writer *plw, lsn_t lsn, uint32_t cmsec)
{
    if (plw == NULL || lsn == LSN_NIL)
        return JET_errInvalidParameter;
    os_mutex_lock(&plw->mu);
    JET_ERR err = plw->errPoison ? JET_errLogWriteFail : JET_errSuccess;
    if (err >= 0 && plw->lsnDurable <= lsn) {
        err = lw_flusher_start_locked(plw);
        if (err >= 0) {
            int64_t due = os_monotonic_us() + (int64_t)cmsec * 1000;
            if (lsn > plw->lsnLazy)
                plw->lsnLazy = lsn;
            if (plw->usLazy == 0 || due < plw->usLazy) {
                plw->usLazy = due;
                os_cond_broadcast(&plw->cv);
            }
        }
    }
    os_mutex_unlock(&plw->mu);
    return err;
}

void log_wait_reported(log_writer *plw, lsn_t lsnUpTo)
{
    if (plw == NULL)
        return;
    os_mutex_lock(&plw->mu);
    if (plw->flRunning && !os_thread_is_self(plw->flThread)) {
        while (plw->fnDurable && !plw->flDown && !plw->flStop && plw->lsnReported < lsnUpTo &&
               plw->lsnDurable >= lsnUpTo)
            os_cond_wait(&plw->cv, &plw->mu);
    }
    os_mutex_unlock(&plw->mu);
}

lsn_t log_durable_lsn(log_writer *plw)
{
    if (plw == NULL)
        return LSN_NIL;
    os_mutex_lock(&plw->mu);
    lsn_t l = plw->lsnDurable;
    os_mutex_unlock(&plw->mu);
    return l;
}

lsn_t log_end_lsn(log_writer *plw)
{
    if (plw == NULL)
        return LSN_NIL;
    os_mutex_lock(&plw->mu);
    lsn_t l = lw_lsn_end(plw);
    os_mutex_unlock(&plw->mu);
    return l;
}

JET_ERR log_roll(log_writer *plw, int32_t *pgenNew)
{
    JET_ERR err;
    if (plw == NULL)
        return JET_errInvalidParameter;
    os_mutex_lock(&plw->mu);
    for (;;) {
        if (plw->errPoison) {
            err = JET_errLogWriteFail;
            break;
        }
        if (plw->fDiskFull) {
            err = JET_errLogDiskFull;
            break;
        }
        if (plw->writing) {
            os_cond_wait(&plw->cv, &plw->mu);
            continue;
        }
        err = lw_roll(plw);
        if (err >= 0 && pgenNew)
            *pgenNew = plw->gen;
        break;
    }
    os_mutex_unlock(&plw->mu);
    return err;
}

/* ---- checkpoint, attach --------------------------------------------------------------- */

JET_ERR log_set_checkpoint(log_writer *plw, lsn_t lsn)
{
    JET_ERR err;
    log_checkpoint chk;
    int32_t gen;

    if (plw == NULL)
        return JET_errInvalidParameter;
    os_mutex_lock(&plw->chk_mu); /* W7 */
    os_mutex_lock(&plw->mu);
    err = plw->errPoison ? JET_errLogWriteFail : JET_errSuccess;
    if (lsn < plw->lsnCheckpoint)
        lsn = plw->lsnCheckpoint; /* W7: never backwards */
    chk = plw->chk;
    chk.lsnCheckpoint = lsn;
    chk.signLog = plw->signLog;
    chk.cattach = plw->cattach;
    memcpy(chk.attach, plw->attach, sizeof(chk.attach));
    gen = plw->gen;
    os_mutex_unlock(&plw->mu);
    if (err >= 0)
        err = log_checkpoint_write(&plw->cfg, &chk);
    if (err >= 0) {
        os_mutex_lock(&plw->mu);
        plw->chk = chk;
        plw->lsnCheckpoint = lsn;
        /* The generation now, not when the file write began (a roll may have
         * archived more meanwhile): files_mu is taken before mu is released,
         * so no roll changes it until the trim is done. */
        gen = plw->gen;
        if (plw->cfg.circular)
            os_mutex_lock(&plw->files_mu);
        os_mutex_unlock(&plw->mu);
        if (plw->cfg.circular) {
            /* The checkpoint is durable: what lies below it is no longer needed. */
            err = lw_trim(plw, gen, LSN_GEN(lsn), 1);
            os_mutex_unlock(&plw->files_mu);
        }
    }
    os_mutex_unlock(&plw->chk_mu);
    return err;
}

void log_writer_set_attach(log_writer *plw, const log_attach *attach, uint32_t cattach)
{
    if (plw == NULL)
        return;
    if (cattach > LOG_MAX_ATTACH)
        cattach = LOG_MAX_ATTACH;
    os_mutex_lock(&plw->mu);
    memset(plw->attach, 0, sizeof(plw->attach));
    if (attach != NULL && cattach > 0)
        memcpy(plw->attach, attach, cattach * sizeof(*attach));
    plw->cattach = attach ? cattach : 0;
    os_mutex_unlock(&plw->mu);
}

void log_writer_get_stats(log_writer *plw, log_writer_stats *ps)
{
    os_mutex_lock(&plw->mu);
    *ps = plw->stats;
    ps->fReserveInUse = plw->fDiskFull;
    os_mutex_lock(&plw->files_mu);
    ps->crecycle = plw->crecycle;
    ps->cdelete = plw->cdelete;
    os_mutex_unlock(&plw->files_mu);
    os_mutex_unlock(&plw->mu);
}

/* ---- open / close ----------------------------------------------------------------------- */

static void lw_free(log_writer *plw)
{
    if (plw == NULL)
        return;
    os_file_close(plw->pf);
    os_free(plw->buf);
    os_free(plw->bufW);
    os_free(plw->log_dir);
    os_free(plw->system_dir);
    os_free(plw->base);
    os_cond_destroy(&plw->cv);
    os_mutex_destroy(&plw->chk_mu);
    os_mutex_destroy(&plw->files_mu);
    os_mutex_destroy(&plw->mu);
    os_free(plw);
}

/* L5: close the valid chain of the existing B.log (generation gen)
 * with a GENEND where its last good record ends -- the torn tail after it is
 * never appended to -- make it durable and archive the file. */
static JET_ERR lw_close_old(log_writer *plw, int32_t gen)
{
    JET_ERR err;
    log_reader *prd = NULL;
    log_record rec;
    log_header hdr;
    os_file *pf = NULL;
    uint8_t *blk = NULL;
    char cur[OS_PATH_MAX];
    int32_t genTail;
    uint64_t off;
    uint32_t crc;
    int fGenEnd;

    err = log_reader_open(&plw->cfg, NULL, LSN_MAKE(gen, 1, 0), gen, &prd);
    while (err == JET_errSuccess)
        err = log_reader_next(prd, &rec);
    if (err != JET_wrnNoMoreRecords)
        goto done;
    log_reader_tail(prd, &genTail, &off, &crc, &fGenEnd, &hdr);
    if (!fGenEnd) {
        uint64_t o = log_rec_place(off);
        if (genTail != gen || o + LOG_REC_HEADER > hdr.cbFile) {
            err = JET_errLogFileCorrupt;
            goto done;
        }
        blk = os_calloc(1, 2 * LOG_BLOCK);
        if (blk == NULL) {
            err = JET_errOutOfMemory;
            goto done;
        }
        log_rec_header(blk, LOG_REC_HEADER, LOG_REC_GENEND, gen);
        le_put32(blk + LOG_ROFF_CRC, log_rec_crc(crc, blk, LOG_REC_HEADER));
        size_t n = (size_t)(log_roundup_block(o + LOG_REC_HEADER) - o); /* zeros to the block end */
        err = lw_path(plw, LOG_GEN_CURRENT, cur);
        if (err >= 0)
            err = os_file_open(cur, OS_FILE_WRITE | OS_FILE_NOFOLLOW, &pf);
        if (err >= 0)
            err = os_file_write(pf, o, blk, n);
        if (err >= 0)
            err = os_file_sync(pf);
        if (err < 0)
            goto done;
    }
    err = lw_archive_current(plw, gen);
done:
    os_file_close(pf);
    os_free(blk);
    log_reader_close(prd);
    return err;
}

/* Read the header of the newest generation (B.log or the highest archived). */
static JET_ERR lw_last_header(log_writer *plw, const log_dirscan *scan, log_header *phdr)
{
    char path[OS_PATH_MAX];
    JET_ERR err;
    if (scan->fCurrent)
        err = lw_path(plw, LOG_GEN_CURRENT, path);
    else
        err = log_find_gen(&plw->cfg, NULL, scan->gens[scan->cgens - 1], path, sizeof(path));
    if (err >= 0)
        err = log_read_header(path, phdr);
    if (err >= 0 && !scan->fCurrent && phdr->generation != scan->gens[scan->cgens - 1])
        err = JET_errLogGenerationMismatch;
    return err;
}

JET_ERR log_writer_open(const log_config *cfg, const log_attach *attach, uint32_t cattach,
                        JET_SIGNATURE *psignLog, log_writer **pplw)
{
    return log_writer_open_after(cfg, attach, cattach, NULL, psignLog, pplw);
}

JET_ERR log_writer_open_after(const log_config *cfg, const log_attach *attach, uint32_t cattach,
                              const log_header *pafter, JET_SIGNATURE *psignLog, log_writer **pplw)
{
    JET_ERR err;
    log_writer *plw = NULL;
    log_dirscan scan = { 0, NULL, 0 };
    log_header last;
    log_checkpoint chk;
    JET_LOGTIME tmPrev, tmNew;
    os_file *pfTmp = NULL;
    int fReserve = 0, fLocked = 0;
    int32_t genLast = 0;
    uint32_t cbFile = 0;

    if (pplw == NULL || cattach > LOG_MAX_ATTACH || (cattach > 0 && attach == NULL))
        return JET_errInvalidParameter;
    err = log_config_check(cfg, &cbFile);
    if (err < 0)
        return err;
    if (!os_is_dir(cfg->log_dir) || !os_is_dir(cfg->system_dir))
        return JET_errInvalidPath;
    plw = os_calloc(1, sizeof(*plw));
    if (plw == NULL)
        return JET_errOutOfMemory;
    os_mutex_init(&plw->mu, "log.mu", LOCK_RANK_LOG);
    os_mutex_init(&plw->files_mu, "log.files_mu", LOCK_RANK_LOG_FILES);
    os_mutex_init(&plw->chk_mu, "log.chk_mu", LOCK_RANK_LOG_CHK);
    os_cond_init(&plw->cv);
    plw->cfg = *cfg;
    plw->log_dir = os_strdup(cfg->log_dir);
    plw->system_dir = os_strdup(cfg->system_dir);
    plw->base = os_strdup(cfg->base);
    plw->cbFile = cbFile;
    plw->cbBuf = plw->cbBufW = log_roundup_block(cbFile / 4 < LW_BUF_MIN ? LW_BUF_MIN
                                                 : cbFile / 4 > LW_BUF_MAX ? LW_BUF_MAX : cbFile / 4);
    plw->buf = os_malloc(plw->cbBuf);
    plw->bufW = os_malloc(plw->cbBufW);
    if (!plw->log_dir || !plw->system_dir || !plw->base || !plw->buf || !plw->bufW) {
        err = JET_errOutOfMemory;
        goto fail;
    }
    plw->cfg.log_dir = plw->log_dir;
    plw->cfg.system_dir = plw->system_dir;
    plw->cfg.base = plw->base;
    plw->cfg.cbLogFile = cbFile;
    plw->cattach = cattach;
    if (cattach > 0)
        memcpy(plw->attach, attach, cattach * sizeof(*attach));

    /* What is there already. */
    err = log_scan_dir(&plw->cfg, NULL, &scan);
    if (err < 0)
        goto fail;
    memset(&tmPrev, 0, sizeof(tmPrev));
    if (scan.fCurrent || scan.cgens > 0) {
        err = lw_last_header(plw, &scan, &last);
        if (err < 0)
            goto fail;
        if (scan.fCurrent && scan.cgens > 0 && scan.gens[scan.cgens - 1] >= last.generation) {
            err = JET_errInvalidLogSequence; /* archived generations at or after B.log */
            goto fail;
        }
        if (pafter && !log_sign_equal(&last.signLog, &pafter->signLog)) {
            err = JET_errInvalidLogSequence; /* another stream lives here */
            goto fail;
        }
        plw->signLog = last.signLog;
        tmPrev = last.tmCreate;
        genLast = last.generation;
    } else if (pafter) {
        plw->signLog = pafter->signLog; /* continue the replayed stream */
    } else {
        log_new_signature(&plw->signLog, plw);
    }
    int32_t genOld = genLast; /* B.log's generation, archived below */
    if (pafter && pafter->generation >= genLast) {
        genLast = pafter->generation;
        tmPrev = pafter->tmCreate;
    }
    plw->genLowArchived = scan.cgens > 0 ? scan.gens[0] : 0;
    if (log_checkpoint_read(&plw->cfg, &chk) >= 0 && log_sign_equal(&chk.signLog, &plw->signLog)) {
        plw->chk = chk;
        plw->lsnCheckpoint = chk.lsnCheckpoint;
    }
    if (genLast + 1 > LOG_GEN_MAX) {
        err = JET_errLogSequenceEnd;
        goto fail;
    }

    err = lw_reserves(plw);
    if (err < 0)
        goto fail;
    os_mutex_lock(&plw->files_mu);
    fLocked = 1;
    plw->gen = genLast; /* for lw_trim: nothing at or above it is touched */
    err = lw_tmp_obtain(plw, &pfTmp, &fReserve);
    if (err < 0)
        goto fail;
    /* L4: the next generation's header is durable in Btmp.log before B.log is
     * archived, so a crash in between reads as an interrupted roll (R4). */
    os_logtime_now(&tmNew);
    err = lw_write_header(plw, pfTmp, genLast + 1, &tmNew, &tmPrev);
    /* L5: the old B.log is closed and archived; writing goes to a new generation. */
    if (err >= 0 && scan.fCurrent)
        err = lw_close_old(plw, genOld);
    if (err >= 0)
        err = lw_install(plw, pfTmp, genLast + 1, &tmNew);
    if (err < 0)
        goto fail;
    pfTmp = NULL;
    if (fReserve)
        plw->fDiskFull = 1;
    else
        lw_tmp_prepare(plw);
    os_mutex_unlock(&plw->files_mu);
    fLocked = 0;

    lw_put(plw, LOG_REC_INIT, NULL, 0, LOG_REC_HEADER);
    log_scan_free(&scan);
    if (psignLog)
        *psignLog = plw->signLog;
    *pplw = plw;
    return JET_errSuccess;
fail:
    if (fLocked)
        os_mutex_unlock(&plw->files_mu);
    os_file_close(pfTmp);
    log_scan_free(&scan);
    lw_free(plw);
    return err;
}

JET_ERR log_writer_close_clean(log_writer *plw)
{
    JET_ERR err;
    lsn_t lsnTerm = LSN_NIL;
    log_checkpoint chk;

    if (plw == NULL)
        return JET_errInvalidParameter;
    os_mutex_lock(&plw->mu);
    err = lw_append(plw, LOG_REC_TERM, NULL, 0, LOG_REC_HEADER, 1, &lsnTerm);
    os_mutex_unlock(&plw->mu);
    if (err >= 0)
        err = log_flush(plw, LSN_NIL);
    if (err >= 0) {
        os_mutex_lock(&plw->chk_mu); /* W7 (lsnTerm is past every checkpoint) */
        os_mutex_lock(&plw->mu);
        chk = plw->chk;
        chk.lsnCheckpoint = lsnTerm;
        chk.signLog = plw->signLog;
        chk.cattach = plw->cattach;
        memcpy(chk.attach, plw->attach, sizeof(chk.attach));
        os_mutex_unlock(&plw->mu);
        err = log_checkpoint_write(&plw->cfg, &chk);
        os_mutex_unlock(&plw->chk_mu);
    }
    lw_flusher_stop(plw, 0); /* F4 */
    lw_free(plw);
    return err;
}

/* ---- backup support ------------------------------------------------------------------ */

void log_pin(log_writer *plw, int32_t gen)
{
    os_mutex_lock(&plw->files_mu);
    plw->genPin = gen;
    os_mutex_unlock(&plw->files_mu);
}

void log_writer_state(log_writer *plw, log_writer_info *pinfo)
{
    memset(pinfo, 0, sizeof(*pinfo));
    os_mutex_lock(&plw->mu);
    pinfo->genCurrent = plw->gen;
    pinfo->lsnCheckpoint = plw->lsnCheckpoint;
    pinfo->signLog = plw->signLog;
    pinfo->tmCreate = plw->tmCreate;
    pinfo->lsnFullBackup = plw->chk.lsnFullBackup;
    pinfo->lsnIncBackup = plw->chk.lsnIncBackup;
    pinfo->tmFullBackup = plw->chk.tmFullBackup;
    pinfo->tmIncBackup = plw->chk.tmIncBackup;
    os_mutex_unlock(&plw->mu);
    os_mutex_lock(&plw->files_mu);
    pinfo->genLowArchived = plw->genLowArchived;
    os_mutex_unlock(&plw->files_mu);
}

JET_ERR log_truncate(log_writer *plw, int32_t genBelow)
{
    os_mutex_lock(&plw->mu);
    int32_t gen = plw->gen, chkGen = LSN_GEN(plw->lsnCheckpoint);
    JET_ERR err = plw->errPoison ? JET_errLogWriteFail : JET_errSuccess;
    if (err >= 0)
        os_mutex_lock(&plw->files_mu); /* before mu goes: gen stays current (no roll meanwhile) */
    os_mutex_unlock(&plw->mu);
    if (err < 0)
        return err;
    err = lw_trim(plw, gen, genBelow < chkGen ? genBelow : chkGen, 0);
    os_mutex_unlock(&plw->files_mu);
    return err;
}

void log_note_backup(log_writer *plw, int fIncremental, lsn_t lsnMark, const JET_LOGTIME *ptm)
{
    os_mutex_lock(&plw->mu);
    if (fIncremental) {
        plw->chk.lsnIncBackup = lsnMark;
        plw->chk.tmIncBackup = *ptm;
    } else {
        plw->chk.lsnFullBackup = lsnMark;
        plw->chk.tmFullBackup = *ptm;
        memset(&plw->chk.lsnIncBackup, 0, sizeof(plw->chk.lsnIncBackup));
        memset(&plw->chk.tmIncBackup, 0, sizeof(plw->chk.tmIncBackup));
    }
    os_mutex_unlock(&plw->mu);
}

void log_writer_abandon(log_writer *plw)
{
    if (plw)
        lw_flusher_stop(plw, 1); /* F4 */
    lw_free(plw);
}
