/*
 * log_reader.c -- reads a log stream record by record, generation after
 * generation, for replay (crash recovery, restore) and for the writer, which
 * must find where the current generation's valid chain ends before archiving it.
 *
 * Owns: the verification of log files on the way in -- headers (signLog of the
 * stream, tmPrevGen chain, generation named by the file), the crc chain, the
 * 512-byte block rule, record lengths -- and the decision, per invariants
 * L2 and L6-L9 (log.h), whether a break in the chain is the end of the log (a
 * torn write that was never acknowledged, in the current generation) or
 * damage (JET_errLogFileCorrupt); and whether a missing B.log is an
 * interrupted roll or a lost file (R4).
 * Must not touch: anything on disk (it only reads); record payloads.
 *
 * Invariants (robustness: a damaged file yields an error or a clean end, never
 * a crash, a hang or a garbage record):
 *   R1. Every length read from a file is capped by min(header file size, real
 *       file size) - offset, and by the largest legal record, before anything
 *       is allocated or read.
 *   R2. Every step of log_reader_next advances the read offset by at least
 *       LOG_REC_HEADER bytes or moves to a higher generation, or ends.
 *   R3. A record is returned only if its generation field, length and crc
 *       continue the chain of the generation (L2, and the stale-record rule of
 *       log.h); headers are checked against the previous generation (L3).
 *   R4. When the stream goes on past the last archived generation of a folder
 *       that has archived generations but no B.log, that is JET_wrnNoMoreRecords
 *       only if Btmp.log holds the next generation's header (a roll cut
 *       between its two renames, L4); else B.log was lost:
 *       JET_errMissingLogFile.
 *   R5. A break in the current generation is the end of the log only as L9
 *       says (rd_break scans the rest of the file once); a damaged tail is
 *       never silently dropped.
 *   R6. A record that is damage (not a torn write) is corrected in memory,
 *       never on disk, only when exactly one flipped bit outside its length
 *       field explains its crc (rd_correct) and the corrected record passes
 *       every R3 check; each correction is counted for the caller to report
 *       (log_reader_corrected).  Anything else stays JET_errLogFileCorrupt.
 */
#include "log_int.h"

#define RD_WINDOW (64u * 1024u) /* read-ahead window */

struct log_reader {
    log_config cfg;     /* strings owned below */
    char      *dir;
    char      *base;
    int32_t    genStop;
    int32_t    genSplit;        /* > 0: generations above it come from dirSecond */
    char      *dirSecond;
    lsn_t      lsnStart;
    int32_t    genHighArchived; /* highest archived generation in dir (0 if none) */
    int        fCurrentExists;  /* dir/B.log exists */
    int        fLogFolder;      /* dir is the stream's log folder (R4 applies) */
    int        fOneFile;        /* log_reader_open_file: every record, one file */

    /* the generation being read */
    os_file   *pf;
    int        fArchived;  /* read from B<gen>.log (L2: a break is corruption) */
    log_header hdr;
    uint64_t   cbLimit;    /* min(header file size, real file size) */
    uint64_t   cbReal;     /* real file size */
    uint32_t   crc;        /* crc of the last good record (chain state) */
    uint64_t   off;        /* offset just past the last good record */
    int        fGenEnd;    /* last good record was a GENEND */

    JET_SIGNATURE signRef; /* signLog of the first generation read (L3) */
    JET_ERR    state;      /* 0 reading; JET_wrnNoMoreRecords or an error once done */
    int        fLostCurrent;  /* R4 refused: B.log lost after the last archived generation */
    uint32_t   ccorrected;    /* R6: records corrected */
    lsn_t      lsnCorrected;  /* the last of them */

    /* read window: file bytes [winOff, winOff + cbWin) */
    uint8_t   *win;
    size_t     cbWinCap;
    uint64_t   winOff;
    size_t     cbWin;
};

/* Make [off, off + len) of the current file available; *pp points at it.
 * Returns 1 when it is, 0 when the file is too short (a break in the chain),
 * or a negative error.  R1: nothing beyond cbLimit is ever read or allocated. */
static JET_ERR rd_fetch(log_reader *prd, uint64_t off, uint32_t len, const uint8_t **pp)
{
    JET_ERR err;
    if (off > prd->cbLimit || len > prd->cbLimit - off)
        return 0;
    if (off >= prd->winOff && off + len <= prd->winOff + prd->cbWin) {
        *pp = prd->win + (off - prd->winOff);
        return 1;
    }
    size_t want = len > RD_WINDOW ? len : RD_WINDOW;
    if (want > prd->cbLimit - off)
        want = (size_t)(prd->cbLimit - off);
    if (want > prd->cbWinCap) {
        /* len <= cbLimit - off <= real file size: bounded by what is on disk. */
        uint8_t *p = os_realloc(prd->win, want);
        if (p == NULL)
            return JET_errOutOfMemory;
        prd->win = p;
        prd->cbWinCap = want;
    }
    size_t got = 0;
    prd->cbWin = 0;
    err = os_file_read(prd->pf, off, prd->win, want, &got);
    if (err < 0)
        return err;
    prd->winOff = off;
    prd->cbWin = got;
    if (got < len)
        return 0;
    *pp = prd->win;
    return 1;
}

static void rd_close_file(log_reader *prd)
{
    os_file_close(prd->pf);
    prd->pf = NULL;
    prd->cbWin = 0;
}

/* Open `path` as generation `gen` (fArchived per its name) and check its header
 * against the generation before it (fFirst: none) -- invariant L3. */
static JET_ERR rd_open_file(log_reader *prd, const char *path, int32_t gen, int fArchived, int fFirst)
{
    JET_ERR err;
    log_header hdr;
    os_file *pf = NULL;
    uint64_t cbReal = 0;

    err = log_read_header(path, &hdr);
    if (err == JET_errFileNotFound)
        err = JET_errMissingLogFile;
    if (err < 0)
        return err;
    if (hdr.generation != gen)
        return JET_errLogGenerationMismatch;
    if (!fFirst) {
        if (!log_sign_equal(&hdr.signLog, &prd->signRef))
            return JET_errBadLogSignature;
        if (!log_time_equal(&hdr.tmPrevGen, &prd->hdr.tmCreate))
            return JET_errInvalidLogSequence;
    }
    err = os_file_open(path, OS_FILE_READ, &pf);
    if (err >= 0)
        err = os_file_size(pf, &cbReal);
    if (err < 0) {
        os_file_close(pf);
        return err == JET_errFileNotFound ? JET_errMissingLogFile : err;
    }
    rd_close_file(prd);
    prd->pf = pf;
    prd->fArchived = fArchived;
    prd->hdr = hdr;
    if (fFirst)
        prd->signRef = hdr.signLog;
    prd->cbLimit = cbReal < hdr.cbFile ? cbReal : hdr.cbFile;
    prd->cbReal = cbReal;
    prd->crc = log_chain_seed(&hdr.signLog, gen);
    prd->off = LOG_HEADER_SIZE;
    prd->fGenEnd = 0;
    return JET_errSuccess;
}

/* Find and open generation `gen`: B<gen>.log, else B.log if it is that
 * generation.  JET_errMissingLogFile if it is not there but something later
 * is (or genStop asks for it); JET_wrnNoMoreRecords if the stream simply ends
 * before it. */
static JET_ERR rd_open_gen(log_reader *prd, int32_t gen, int fFirst)
{
    JET_ERR err;
    char path[OS_PATH_MAX];

    if (prd->genSplit > 0 && gen == prd->genSplit + 1 && prd->dirSecond) {
        /* The first folder is done: continue in the second one. */
        log_dirscan scan = { 0, NULL, 0 };
        os_free(prd->dir);
        prd->dir = prd->dirSecond;
        prd->dirSecond = NULL;
        prd->cfg.log_dir = prd->dir;
        prd->cfg.system_dir = prd->dir;
        err = log_scan_dir(&prd->cfg, prd->dir, &scan);
        if (err < 0)
            return err;
        prd->fCurrentExists = scan.fCurrent;
        prd->genHighArchived = scan.cgens ? scan.gens[scan.cgens - 1] : 0;
        prd->fLogFolder = 1;
        log_scan_free(&scan);
    }

    err = log_find_gen(&prd->cfg, prd->dir, gen, path, sizeof(path));
    if (err >= 0)
        return rd_open_file(prd, path, gen, 1, fFirst);
    if (err != JET_errFileNotFound)
        return err;
    if (prd->fCurrentExists) {
        log_header hdr;
        err = log_path_dir(&prd->cfg, prd->dir, LOG_GEN_CURRENT, path, sizeof(path));
        if (err >= 0)
            err = log_read_header(path, &hdr);
        if (err == JET_errFileNotFound) /* vanished since the scan */
            return JET_errMissingLogFile;
        if (err < 0)
            return err;
        if (hdr.generation == gen)
            return rd_open_file(prd, path, gen, 0, fFirst);
        if (hdr.generation > gen)
            return JET_errMissingLogFile;
        /* B.log is older than what we need. */
        return fFirst ? JET_errMissingLogFile : JET_errInvalidLogSequence;
    }
    if (fFirst || gen <= prd->genHighArchived || (prd->genStop > 0 && gen <= prd->genStop))
        return JET_errMissingLogFile;
    if (prd->genHighArchived > 0 && prd->genStop <= 0 && prd->fLogFolder) {
        /* R4: archived generations and no B.log: only an interrupted roll
         * explains it (its Btmp.log carries the next header, L4). */
        log_header hdr;
        err = log_path_dir(&prd->cfg, prd->dir, LOG_GEN_TMP, path, sizeof(path));
        if (err >= 0)
            err = log_read_header(path, &hdr);
        if (err < 0 || hdr.generation != gen || !log_sign_equal(&hdr.signLog, &prd->signRef) ||
            !log_time_equal(&hdr.tmPrevGen, &prd->hdr.tmCreate)) {
            prd->fLostCurrent = 1;
            return JET_errMissingLogFile;
        }
    }
    return JET_wrnNoMoreRecords;
}

JET_ERR log_reader_open(const log_config *cfg, const char *dir, lsn_t lsnStart, int32_t genStop,
                        log_reader **pprd)
{
    return log_reader_open_split(cfg, dir, 0, lsnStart, genStop, pprd);
}

void log_reader_header(const log_reader *prd, log_header *phdr)
{
    *phdr = prd->hdr;
}

JET_ERR log_reader_open_split(const log_config *cfg, const char *dir, int32_t genSplit, lsn_t lsnStart,
                              int32_t genStop, log_reader **pprd)
{
    JET_ERR err;
    log_reader *prd = NULL;
    log_dirscan scan = { 0, NULL, 0 };

    if (pprd == NULL || LSN_GEN(lsnStart) <= 0)
        return JET_errInvalidParameter;
    err = log_config_check_names(cfg);
    if (err < 0)
        return err;
    prd = os_calloc(1, sizeof(*prd));
    if (prd == NULL)
        return JET_errOutOfMemory;
    prd->cfg = *cfg;
    prd->dir = os_strdup(dir ? dir : cfg->log_dir);
    prd->base = os_strdup(cfg->base);
    if (prd->dir == NULL || prd->base == NULL) {
        err = JET_errOutOfMemory;
        goto fail;
    }
    prd->cfg.base = prd->base;
    prd->cfg.log_dir = prd->dir;
    prd->cfg.system_dir = prd->dir; /* the reader never touches the checkpoint */
    prd->genStop = genStop;
    prd->lsnStart = lsnStart;
    prd->fLogFolder = dir == NULL || strcmp(dir, cfg->log_dir) == 0;
    if (genSplit > 0 && dir != NULL) {
        prd->genSplit = genSplit;
        prd->dirSecond = os_strdup(cfg->log_dir);
        if (prd->dirSecond == NULL) {
            err = JET_errOutOfMemory;
            goto fail;
        }
    }

    err = log_scan_dir(&prd->cfg, prd->dir, &scan);
    if (err < 0)
        goto fail;
    prd->fCurrentExists = scan.fCurrent;
    prd->genHighArchived = scan.cgens ? scan.gens[scan.cgens - 1] : 0;
    log_scan_free(&scan);

    err = rd_open_gen(prd, LSN_GEN(lsnStart), 1);
    if (err != JET_errSuccess)
        goto fail;
    *pprd = prd;
    return JET_errSuccess;
fail:
    log_reader_close(prd);
    return err < 0 ? err : JET_errMissingLogFile;
}

JET_ERR log_reader_open_file(const char *path, log_reader **pprd)
{
    JET_ERR err;
    log_header hdr;
    if (path == NULL || pprd == NULL)
        return JET_errInvalidParameter;
    err = log_read_header(path, &hdr);
    if (err < 0)
        return err;
    log_reader *prd = os_calloc(1, sizeof(*prd));
    if (prd == NULL)
        return JET_errOutOfMemory;
    prd->fOneFile = 1;
    prd->genStop = hdr.generation;
    prd->lsnStart = LSN_MAKE(hdr.generation, 1, 0);
    err = rd_open_file(prd, path, hdr.generation, 0, 1);
    if (err < 0) {
        log_reader_close(prd);
        return err == JET_errMissingLogFile ? JET_errFileNotFound : err;
    }
    *pprd = prd;
    return JET_errSuccess;
}

void log_reader_file_tail(const log_reader *prd, uint64_t *poff, int *pfGenEnd, uint64_t *pcbLimit)
{
    *poff = prd->off;
    *pfGenEnd = prd->fGenEnd;
    *pcbLimit = prd->cbLimit;
}

/* Whether the chain break at offset o of the current generation is the end
 * of the log (a torn write never acknowledged): invariant L9.  Scans the rest
 * of the file once.  Returns JET_wrnNoMoreRecords, JET_errLogFileCorrupt or
 * an I/O error. */
static JET_ERR rd_classify(log_reader *prd, uint64_t o)
{
    const uint32_t seed = log_chain_seed(&prd->hdr.signLog, prd->hdr.generation);
    int fZero = 0;      /* an all-zero block seen since o's block */
    int fTrailer = 0;   /* a valid trailer seen past o */
    int fZeroFirst = 0; /* ... and a zero block came before the first one */

    /* L6: the writer never leaves a generation shorter than its header. */
    if (prd->cbReal < prd->hdr.cbFile)
        return JET_errLogFileCorrupt;
    for (uint64_t blk = log_rounddown_block(o); blk + LOG_BLOCK <= prd->cbLimit;) {
        const uint8_t *p;
        uint64_t cb = prd->cbLimit - blk;
        if (cb > RD_WINDOW)
            cb = RD_WINDOW;
        cb = log_rounddown_block(cb);
        JET_ERR err = rd_fetch(prd, blk, (uint32_t)cb, &p);
        if (err < 0)
            return err;
        if (err == 0)
            return JET_errLogFileCorrupt; /* shorter than it said: cannot be */
        for (uint64_t i = 0; i < cb; i += LOG_BLOCK, blk += LOG_BLOCK) {
            const uint8_t *b = p + i;
            uint64_t offT = blk + LOG_BLOCK - LOG_FLUSH_SIZE, offDurable;
            if (offT >= o && log_flush_valid(b + LOG_BLOCK - LOG_FLUSH_SIZE, offT, prd->hdr.generation, seed,
                                             &offDurable)) {
                if (offDurable > o)
                    return JET_errLogFileCorrupt; /* L8: acknowledged data is broken */
                if (!fTrailer)
                    fZeroFirst = fZero;
                fTrailer = 1;
                continue;
            }
            if (!fZero) {
                int z = 1;
                for (uint32_t k = 0; k < LOG_BLOCK && z; k += 8)
                    z = le_get64(b + k) == 0;
                fZero = z;
            }
        }
    }
    return !fTrailer || fZeroFirst ? JET_wrnNoMoreRecords : JET_errLogFileCorrupt;
}

/* The chain broke at offset o: corruption in an archived generation (L2), in
 * the current one the end of the log or damage as L9 decides (R5). */
static JET_ERR rd_break(log_reader *prd, uint64_t o)
{
    if (prd->fArchived)
        return prd->state = JET_errLogFileCorrupt;
    return prd->state = rd_classify(prd, o);
}

/* One step of the crc32c register without inversions: a zero byte after r. */
static uint32_t rd_crc_zero_byte(uint32_t r)
{
    for (int k = 0; k < 8; k++)
        r = (r >> 1) ^ ((r & 1u) ? 0x82F63B78u : 0u);
    return r;
}

/* R6: flip the one bit of rec (len bytes, a window copy) that explains its crc
 * mismatch with chain state `prev`, if there is exactly one such bit outside
 * the length field.  crc32c is linear: flipping bit b of byte j changes the
 * record's crc by Z^(len-1-j)(T(1 << b)), independent of the contents, and
 * distinct for every position of a record this size.  Returns 1 when
 * corrected (and re-verified). */
static int rd_correct(uint32_t prev, uint8_t *rec, uint32_t len)
{
    uint32_t stored = le_get32(rec + LOG_ROFF_CRC);
    uint32_t syn = log_rec_crc(prev, rec, len) ^ stored;
    if (syn == 0)
        return 0;
    if ((syn & (syn - 1)) == 0) {
        /* The flipped bit is in the stored crc itself. */
        le_put32(rec + LOG_ROFF_CRC, stored ^ syn);
        return 1;
    }
    uint32_t v[8];
    for (int b = 0; b < 8; b++)
        v[b] = rd_crc_zero_byte(1u << b);
    for (uint32_t j = len; j-- > 0;) {
        /* Not the length (framing) nor the crc field (zero in the computation). */
        if (j >= LOG_ROFF_LEN + 4 && (j < LOG_ROFF_CRC || j >= LOG_ROFF_CRC + 4)) {
            for (int b = 0; b < 8; b++) {
                if (v[b] != syn)
                    continue;
                rec[j] ^= (uint8_t)(1u << b);
                if (log_rec_crc(prev, rec, len) == stored)
                    return 1;
                rec[j] ^= (uint8_t)(1u << b);
                return 0;
            }
        }
        for (int b = 0; b < 8; b++)
            v[b] = rd_crc_zero_byte(v[b]);
    }
    return 0;
}

/* R3 on a record header (len already checked). */
static int rd_header_ok(const uint8_t *p, int32_t gen)
{
    return p[LOG_ROFF_FLAGS] == 0 && le_get16(p + LOG_ROFF_RESERVED) == 0 && (int32_t)le_get32(p + LOG_ROFF_GEN) == gen;
}

/* The record at o (len bytes, a plausible length) breaks the chain: the end
 * of the log or a torn write (R5), else damage that one bit may explain (R6).
 * Returns 1 with *pp at the corrected record, or the reader's final state. */
static JET_ERR rd_damaged_record(log_reader *prd, uint64_t o, uint32_t len, const uint8_t **pp)
{
    if (!prd->fArchived) {
        JET_ERR err = rd_classify(prd, o);
        if (err != JET_errLogFileCorrupt)
            return prd->state = err;
    }
    const uint8_t *p;
    JET_ERR err = rd_fetch(prd, o, len, &p); /* rd_classify moved the window */
    if (err < 0)
        return prd->state = err;
    if (err == 0)
        return prd->state = JET_errLogFileCorrupt;
    uint8_t *w = prd->win + (o - prd->winOff);
    if (!rd_correct(prd->crc, w, len) || !rd_header_ok(w, prd->hdr.generation))
        return prd->state = JET_errLogFileCorrupt;
    prd->ccorrected++;
    prd->lsnCorrected = log_lsn_of(prd->hdr.generation, o);
    *pp = w;
    return 1;
}

int log_reader_lost_current(const log_reader *prd)
{
    return prd != NULL && prd->fLostCurrent;
}

void log_reader_corrected(const log_reader *prd, uint32_t *pcount, lsn_t *plsnLast)
{
    *pcount = prd ? prd->ccorrected : 0;
    *plsnLast = prd ? prd->lsnCorrected : LSN_NIL;
}

JET_ERR log_reader_next(log_reader *prd, log_record *prec)
{
    JET_ERR err;
    if (prd == NULL || prec == NULL)
        return JET_errInvalidParameter;
    if (prd->state != JET_errSuccess)
        return prd->state;
    for (;;) {
        const uint8_t *p;
        uint64_t o = log_rec_place(prd->off);
        int32_t gen = prd->hdr.generation;

        err = rd_fetch(prd, o, LOG_REC_HEADER, &p);
        if (err < 0)
            return prd->state = err;
        if (err == 0)
            return rd_break(prd, o);
        uint32_t len = le_get32(p + LOG_ROFF_LEN);
        /* R1 / R3 (R2: len >= LOG_REC_HEADER). */
        if (len < LOG_REC_HEADER || len > log_rec_max(prd->hdr.cbFile))
            return rd_break(prd, o);
        int fHeaderOk = rd_header_ok(p, gen);
        err = rd_fetch(prd, o, len, &p);
        if (err < 0)
            return prd->state = err;
        if (err == 0)
            return rd_break(prd, o);
        uint32_t crc = log_rec_crc(prd->crc, p, len);
        if (!fHeaderOk || crc != le_get32(p + LOG_ROFF_CRC)) { /* R3: stale, torn or damaged */
            err = rd_damaged_record(prd, o, len, &p);
            if (err != 1)
                return err;
            crc = le_get32(p + LOG_ROFF_CRC); /* R6: corrected */
        }

        /* A good record: the chain advances. */
        uint8_t type = p[LOG_ROFF_TYPE];
        prd->crc = crc;
        prd->off = o + len;
        prd->fGenEnd = type == LOG_REC_GENEND;
        if (prd->fOneFile) {
            if (type == LOG_REC_GENEND)
                prd->state = JET_wrnNoMoreRecords; /* after this record */
        } else if (type == LOG_REC_PAD || type == LOG_REC_FLUSH) {
            continue;
        } else if (type == LOG_REC_GENEND) {
            /* The roll had not finished when B.log ends with GENEND: the end. */
            if (!prd->fArchived || (prd->genStop > 0 && gen >= prd->genStop))
                return prd->state = JET_wrnNoMoreRecords;
            err = rd_open_gen(prd, gen + 1, 0);
            if (err != JET_errSuccess)
                return prd->state = err;
            continue;
        }
        lsn_t lsn = log_lsn_of(gen, o);
        if (lsn < prd->lsnStart)
            continue;
        prec->lsn = lsn;
        prec->lsnNext = log_lsn_of(gen, o + len);
        prec->type = type;
        prec->pv = p + LOG_REC_HEADER;
        prec->cb = len - LOG_REC_HEADER;
        return JET_errSuccess;
    }
}

lsn_t log_reader_end(const log_reader *prd)
{
    return prd ? log_lsn_of(prd->hdr.generation, prd->off) : LSN_NIL;
}

void log_reader_tail(const log_reader *prd, int32_t *pgen, uint64_t *poff, uint32_t *pcrc, int *pfGenEnd,
                     log_header *phdr)
{
    *pgen = prd->hdr.generation;
    *poff = prd->off;
    *pcrc = prd->crc;
    *pfGenEnd = prd->fGenEnd;
    if (phdr)
        *phdr = prd->hdr;
}

void log_reader_close(log_reader *prd)
{
    if (prd == NULL)
        return;
    os_file_close(prd->pf);
    os_free(prd->win);
    os_free(prd->dir);
    os_free(prd->dirSecond);
    os_free(prd->base);
    os_free(prd);
}
