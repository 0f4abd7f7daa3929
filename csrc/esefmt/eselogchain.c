/*
 * eselogchain.c -- the chain of generations of a Windows ESE log folder:
 * which files make it up, the rules that join one generation to the next
 * (generation + 1, previous-generation time, accumulated segment checksum,
 * one log signature), the checkpoint (both copies) and where recovery starts
 * reading (the checkpoint, or the "fake" checkpoint at the start of its
 * generation), and a record walk across the generations.
 * Must not touch: any file's contents (read-only opens through eselog.c,
 * logfile.c and csrc/os), the decoding of records (eselog.c).
 * Invariants: rggen[0..cgen) is sorted by generation, one file per
 * generation, cgen <= the files found (rggen is sized by them, never by the
 * range of generations a header claims); the walk holds at most one open log
 * (plogWalk) and reads the
 * generations in that order, refusing to step over a gap.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "esefmt_int.h"

struct EsepyEseLogChain {
    ESEPY_ESE_LOGCHAININFO info;
    char                  *szDir;
    ESEPY_ESE_LOGGEN      *rggen;
    uint32_t               cgen;
    /* walk */
    uint32_t               igenWalk;
    ESEPY_ESE_LOG         *plogWalk;
    ESEPY_ESE_LGPOS        lgposFrom;  /* records before it are skipped */
    JET_ERR                errWalk;
};

static void chain_error(ESEPY_ESE_LOGCHAIN *pc, JET_ERR err, const char *szFmt, ...) __attribute__((format(printf, 3, 4)));
static void chain_error(ESEPY_ESE_LOGCHAIN *pc, JET_ERR err, const char *szFmt, ...)
{
    if (pc->info.err < 0)
        return; /* keep the first refusal */
    pc->info.err = err;
    va_list ap;
    va_start(ap, szFmt);
    vsnprintf(pc->info.szError, sizeof(pc->info.szError), szFmt, ap);
    va_end(ap);
}

static int same_time(const ESEPY_ESE_TIME *a, const ESEPY_ESE_TIME *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
           a->minute == b->minute && a->second == b->second && a->millisecond == b->millisecond && a->fUTC == b->fUTC;
}

static int same_signature(const ESEPY_ESE_SIGNATURE *a, const ESEPY_ESE_SIGNATURE *b)
{
    return a->ulRandom == b->ulRandom && same_time(&a->logtimeCreate, &b->logtimeCreate) &&
           strcmp(a->szComputerName, b->szComputerName) == 0;
}

static void describe_signature(const ESEPY_ESE_SIGNATURE *ps, char *sz, size_t cb)
{
    const ESEPY_ESE_TIME *t = &ps->logtimeCreate;
    snprintf(sz, cb, "0x%08X created %04u-%02u-%02u %02u:%02u:%02u.%03u", ps->ulRandom, t->year, t->month, t->day, t->hour,
             t->minute, t->second, t->millisecond);
}

/* Log version (major, minor, update major, update minor) compared with a triple. */
static int version_at_least(const ESEPY_ESE_LOGHEADER *ph, uint32_t ma, uint32_t mi, uint32_t uma, uint32_t umi)
{
    if (ph->ulMajor != ma)
        return ph->ulMajor > ma;
    if (ph->ulMinor != mi)
        return ph->ulMinor > mi;
    if (ph->ulUpdateMajor != uma)
        return ph->ulUpdateMajor > uma;
    return ph->ulUpdateMinor >= umi;
}

void EsepyEseLogChainClose(ESEPY_ESE_LOGCHAIN *pc)
{
    if (pc == NULL)
        return;
    EsepyEseLogClose(pc->plogWalk);
    os_free(pc->rggen);
    os_free(pc->szDir);
    os_free(pc);
}

static JET_ERR join(char *szPath, const char *szDir, const char *szFile)
{
    int n = snprintf(szPath, OS_PATH_MAX, "%s/%s", szDir, szFile);
    return n < 0 || n >= OS_PATH_MAX ? JET_errInvalidPath : JET_errSuccess;
}

/* Checkpoint: both copies, byte equality, the redo start (reference §1.8). */
static JET_ERR read_checkpoint(ESEPY_ESE_LOGCHAIN *pc, char *szPath)
{
    ESEPY_ESE_LOGCHAININFO *pi = &pc->info;
    char szFile[32];
    snprintf(szFile, sizeof(szFile), "%s.chk", pi->szBase);
    JET_ERR err = join(szPath, pc->szDir, szFile);
    if (err < 0)
        return err;
    pi->errCheckpoint = EsepyEseReadCheckpoint(szPath, &pi->checkpoint);
    if (pi->errCheckpoint >= 0) {
        uint8_t *pb = os_malloc(2 * 4096);
        if (pb == NULL)
            return JET_errOutOfMemory;
        os_file *pf = NULL;
        size_t cbRead = 0;
        if (os_file_open(szPath, OS_FILE_READ, &pf) >= 0) { /* read-only */
            if (os_file_read(pf, 0, pb, 2 * 4096, &cbRead) < 0)
                cbRead = 0;
            os_file_close(pf);
        }
        pi->fCheckpointCopiesEqual = cbRead == 2 * 4096 && memcmp(pb, pb + 4096, 4096) == 0;
        os_free(pb);
        if (!same_signature(&pi->checkpoint.signLog, &pi->signLog)) {
            char sz1[64], sz2[64];
            describe_signature(&pi->checkpoint.signLog, sz1, sizeof(sz1));
            describe_signature(&pi->signLog, sz2, sizeof(sz2));
            chain_error(pc, JET_errBadCheckpointSignature, "%s has log signature %s, the logs have %s", szFile, sz1, sz2);
        }
    }
    return JET_errSuccess;
}

static const ESEPY_ESE_LOGGEN *find_gen(const ESEPY_ESE_LOGCHAIN *pc, int32_t lGen)
{
    for (uint32_t i = 0; i < pc->cgen; i++)
        if (pc->rggen[i].lGeneration == lGen)
            return &pc->rggen[i];
    return NULL;
}

static void redo_start(ESEPY_ESE_LOGCHAIN *pc, char *szPath, ESEPY_ESE_LOGHEADER *phdr)
{
    ESEPY_ESE_LOGCHAININFO *pi = &pc->info;
    if (pc->cgen == 0)
        return;
    int32_t lGen = pi->errCheckpoint >= 0 ? pi->checkpoint.lgposCheckpoint.lGeneration : pc->rggen[0].lGeneration;
    const ESEPY_ESE_LOGGEN *pg = find_gen(pc, lGen);
    if (pg == NULL) {
        chain_error(pc, JET_errMissingLogFile, "generation %d, where the checkpoint says recovery starts, is missing", (int)lGen);
        return;
    }
    if (join(szPath, pc->szDir, pg->szFile) < 0 || EsepyEseReadLogHeader(szPath, phdr) < 0)
        return; /* reported when the generation was opened */
    if (pi->errCheckpoint >= 0 && phdr->lGeneration == lGen && (pi->checkpoint.fVersion & 0x1) &&
        version_at_least(phdr, 8, 4000, 4, 3)) {
        pi->fCheckpointFake = 0;
        pi->lgposRedoStart = pi->checkpoint.lgposCheckpoint;
        pi->cattach = pi->checkpoint.cattach;
        memcpy(pi->rgattach, pi->checkpoint.rgattach, sizeof(pi->rgattach));
    } else {
        pi->fCheckpointFake = 1;
        pi->lgposRedoStart.lGeneration = lGen;
        pi->lgposRedoStart.isec = (uint16_t)phdr->csecHeader;
        pi->lgposRedoStart.ib = 0;
        pi->cattach = phdr->cattach;
        memcpy(pi->rgattach, phdr->rgattach, sizeof(pi->rgattach));
    }
}

JET_ERR EsepyEseLogChainOpen(const char *szDir, const char *szBase, int32_t lGenFirst, const ESEPY_ESE_SIGNATURE *psignLog,
                             uint32_t grbit, ESEPY_ESE_LOGCHAIN **ppchain)
{
    if (szDir == NULL || ppchain == NULL || lGenFirst < ESEPY_ESE_LOGCHAIN_GEN_CHECKPOINT)
        return JET_errInvalidParameter;
    *ppchain = NULL;
    ESEPY_ESE_LOGCHAIN *pc = os_calloc(1, sizeof(*pc));
    ESEPY_ESE_LOGFILEINFO *rgfile = NULL;
    ESEPY_ESE_LOGHEADER *phdr = os_malloc(sizeof(*phdr));
    char *szPath = os_malloc(OS_PATH_MAX);
    JET_ERR err = JET_errSuccess;
    if (pc == NULL || phdr == NULL || szPath == NULL || (pc->szDir = os_strdup(szDir)) == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    ESEPY_ESE_LOGCHAININFO *pi = &pc->info;
    pi->cbStruct = sizeof(*pi);
    pi->errCheckpoint = JET_errFileNotFound;
    uint32_t cfile = 0;
    err = EsepyEseScanLogFolder(szDir, szBase, NULL, 0, &cfile);
    if (err < 0)
        goto done;
    rgfile = os_calloc(cfile ? cfile : 1, sizeof(*rgfile));
    if (rgfile == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    uint32_t cfileMax = cfile;
    err = EsepyEseScanLogFolder(szDir, szBase, rgfile, cfileMax, &cfile);
    if (err < 0)
        goto done;
    if (cfile > cfileMax) /* a file appeared between the two scans: rgfile holds cfileMax */
        cfile = cfileMax;
    /* the base name, and the generations the folder holds */
    if (szBase != NULL && szBase[0] != '\0')
        snprintf(pi->szBase, sizeof(pi->szBase), "%s", szBase);
    else if (cfile > 0)
        snprintf(pi->szBase, sizeof(pi->szBase), "%.3s", rgfile[0].szFile);
    int32_t lGenLast = 0, lGenLow = 0;
    for (uint32_t i = 0; i < cfile; i++) {
        const ESEPY_ESE_LOGFILEINFO *pf = &rgfile[i];
        if (pf->role != ESEPY_ESE_LOGROLE_ARCHIVED && pf->role != ESEPY_ESE_LOGROLE_CURRENT)
            continue;
        if (pf->errHeader < 0) {
            chain_error(pc, JET_errLogFileCorrupt, "%s: the log file header is %s", pf->szFile,
                        pf->errHeader == JET_errLogFileCorrupt ? "damaged (checksum)" : "not a log file header");
            continue;
        }
        if (!pf->fNameMatches) {
            chain_error(pc, JET_errInvalidLogSequence, "%s holds generation %d, not %d as its name says", pf->szFile,
                        (int)pf->lGeneration, (int)pf->lGenerationFromName);
            continue;
        }
        if (pf->role == ESEPY_ESE_LOGROLE_CURRENT)
            lGenLast = pf->lGeneration;
    }
    if (lGenLast == 0) /* no current log: the newest archive */
        for (uint32_t i = 0; i < cfile; i++)
            if (rgfile[i].role == ESEPY_ESE_LOGROLE_ARCHIVED && rgfile[i].errHeader >= 0 && rgfile[i].fNameMatches &&
                rgfile[i].lGeneration > lGenLast)
                lGenLast = rgfile[i].lGeneration;
    for (uint32_t i = 0; i < cfile; i++) {
        const ESEPY_ESE_LOGFILEINFO *pf = &rgfile[i];
        if ((pf->role == ESEPY_ESE_LOGROLE_ARCHIVED || pf->role == ESEPY_ESE_LOGROLE_CURRENT) && pf->errHeader >= 0 &&
            pf->fNameMatches && pf->lGeneration <= lGenLast && pf->lGeneration > 0 && (lGenLow == 0 || pf->lGeneration < lGenLow))
            lGenLow = pf->lGeneration;
    }
    if (lGenLast == 0) {
        err = JET_errMissingLogFile;
        chain_error(pc, err, "no log file of base \"%s\" in the folder", pi->szBase);
        goto done;
    }
    /* the signature every generation must carry */
    for (uint32_t i = 0; i < cfile; i++)
        if ((rgfile[i].role == ESEPY_ESE_LOGROLE_CURRENT || rgfile[i].role == ESEPY_ESE_LOGROLE_ARCHIVED) &&
            rgfile[i].errHeader >= 0 && rgfile[i].lGeneration == lGenLast) {
            if (join(szPath, szDir, rgfile[i].szFile) >= 0 && EsepyEseReadLogHeader(szPath, phdr) >= 0)
                pi->signLog = phdr->signLog;
        }
    if (psignLog != NULL && !same_signature(psignLog, &pi->signLog)) {
        char sz1[64], sz2[64];
        describe_signature(&pi->signLog, sz1, sizeof(sz1));
        describe_signature(psignLog, sz2, sizeof(sz2));
        chain_error(pc, JET_errBadLogSignature, "the logs of base \"%s\" have log signature %s, the database expects %s: "
                    "they belong to another database", pi->szBase, sz1, sz2);
    }
    if (psignLog != NULL)
        pi->signLog = *psignLog;
    /* the checkpoint, which may choose the first generation */
    err = read_checkpoint(pc, szPath);
    if (err < 0)
        goto done;
    if (lGenFirst == ESEPY_ESE_LOGCHAIN_GEN_CHECKPOINT)
        lGenFirst = pi->errCheckpoint >= 0 && pi->checkpoint.lgposCheckpoint.lGeneration > 0
                        ? pi->checkpoint.lgposCheckpoint.lGeneration : lGenLow;
    else if (lGenFirst == 0)
        lGenFirst = lGenLow;
    if (lGenFirst > lGenLast) {
        chain_error(pc, JET_errMissingLogFile, "generation %d is missing (the newest log is generation %d)", (int)lGenFirst,
                    (int)lGenLast);
        lGenFirst = lGenLast;
    }
    pi->lGenFirst = lGenFirst;
    pi->lGenLast = lGenLast;
    /* one file per generation: archived names first, as ESE looks them up */
    /* sized by the files present, not by the range of generations: a header
     * may claim any generation (0x7FFFFFFF), the range then being mostly gaps */
    pc->rggen = os_calloc((size_t)cfile + 1, sizeof(*pc->rggen));
    if (pc->rggen == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    const ESEPY_ESE_LOGGEN *pgPrev = NULL;
    for (int64_t g = lGenFirst; g <= lGenLast; g++) { /* 64-bit: no overflow after 0x7FFFFFFF */
        const ESEPY_ESE_LOGFILEINFO *pf = NULL;
        for (uint32_t i = 0; i < cfile; i++) {
            const ESEPY_ESE_LOGFILEINFO *p = &rgfile[i];
            if ((p->role == ESEPY_ESE_LOGROLE_ARCHIVED || p->role == ESEPY_ESE_LOGROLE_CURRENT) && p->errHeader >= 0 &&
                p->fNameMatches && p->lGeneration == g && (pf == NULL || p->role == ESEPY_ESE_LOGROLE_ARCHIVED))
                pf = p;
        }
        if (pf == NULL) {
            if (pi->lGenMissing == 0)
                pi->lGenMissing = g;
            chain_error(pc, JET_errMissingLogFile, "log generation %d (%s%0*X.log) is missing", (int)g, pi->szBase,
                        g > 0xFFFFF ? 8 : 5, (unsigned)g);
            /* skip the rest of the gap: go on at the next generation present
             * (one step per file, never one per generation of the gap) */
            int64_t gNext = (int64_t)lGenLast + 1;
            for (uint32_t i = 0; i < cfile; i++) {
                const ESEPY_ESE_LOGFILEINFO *p = &rgfile[i];
                if ((p->role == ESEPY_ESE_LOGROLE_ARCHIVED || p->role == ESEPY_ESE_LOGROLE_CURRENT) && p->errHeader >= 0 &&
                    p->fNameMatches && p->lGeneration > g && p->lGeneration < gNext)
                    gNext = p->lGeneration;
            }
            g = gNext - 1;
            pgPrev = NULL;
            continue;
        }
        ESEPY_ESE_LOGGEN *pg = &pc->rggen[pc->cgen];
        memset(pg, 0, sizeof(*pg));
        pg->cbStruct = sizeof(*pg);
        snprintf(pg->szFile, sizeof(pg->szFile), "%s", pf->szFile);
        pg->lGeneration = (int32_t)g;
        pg->fCurrent = pf->role == ESEPY_ESE_LOGROLE_CURRENT;
        ESEPY_ESE_LOG *plog = NULL;
        err = join(szPath, szDir, pf->szFile);
        if (err >= 0)
            err = EsepyEseLogOpen(szPath, 0, &plog);
        if (err == JET_errOutOfMemory)
            goto done;
        if (err < 0) {
            chain_error(pc, err, "%s (generation %d) cannot be read as a log (error %d)", pf->szFile, (int)g, (int)err);
            err = JET_errSuccess;
            pgPrev = NULL;
            continue;
        }
        EsepyEseLogGetHeader(plog, phdr);
        EsepyEseLogGetInfo(plog, &pg->info);
        EsepyEseLogClose(plog);
        pc->cgen++;
        pg->tmCreate = phdr->tmCreate;
        pg->tmPrevGen = phdr->tmPrevGen;
        pg->checksumPrevLogAllSegments = phdr->checksumPrevLogAllSegments;
        pg->fSignMatches = same_signature(&phdr->signLog, &pi->signLog);
        pg->fPrevGenLinked = -1;
        pg->fChecksumLinked = -1;
        if (!pg->fSignMatches) {
            char sz1[64], sz2[64];
            describe_signature(&phdr->signLog, sz1, sizeof(sz1));
            describe_signature(&pi->signLog, sz2, sizeof(sz2));
            chain_error(pc, JET_errBadLogSignature, "%s (generation %d) has log signature %s, not %s: it belongs to another log set",
                        pg->szFile, (int)g, sz1, sz2);
        }
        if (pg->info.errIntegrity < 0)
            chain_error(pc, pg->info.errIntegrity, "%s: %s", pg->szFile, pg->info.szError);
        if (pgPrev != NULL) {
            pi->ctransitions++;
            pg->fPrevGenLinked = same_time(&pg->tmPrevGen, &pgPrev->tmCreate);
            if (version_at_least(phdr, 8, 0, 0, 0) && phdr->ulUpdateMinor >= 11 && phdr->ulUpdateMinor >= 13)
                pg->fChecksumLinked = pg->checksumPrevLogAllSegments == pgPrev->info.checksumAllSegments &&
                                      pgPrev->info.errIntegrity >= 0;
            if (!pg->fPrevGenLinked)
                chain_error(pc, JET_errInvalidLogSequence,
                            "%s (generation %d): its previous-generation time does not match the creation time of %s",
                            pg->szFile, (int)g, pgPrev->szFile);
            else if (pg->fChecksumLinked == 0)
                chain_error(pc, JET_errLogSequenceChecksumMismatch,
                            "%s (generation %d): accumulated checksum of generation %d is 0x%016llX, its header says 0x%016llX",
                            pg->szFile, (int)g, (int)pgPrev->lGeneration, (unsigned long long)pgPrev->info.checksumAllSegments,
                            (unsigned long long)pg->checksumPrevLogAllSegments);
            if (pg->fPrevGenLinked && pg->fChecksumLinked != 0 && pg->fSignMatches && pgPrev->fSignMatches)
                pi->ctransitionsOk++;
        }
        pgPrev = pg;
    }
    if (pc->cgen > 0)
        pi->lgposEnd = pc->rggen[pc->cgen - 1].info.lgposEnd;
    pi->cgen = pc->cgen;
    redo_start(pc, szPath, phdr);
    EsepyEseLogChainSeek(pc, NULL);
    err = JET_errSuccess;
done:
    os_free(rgfile);
    os_free(phdr);
    os_free(szPath);
    if (err >= 0 && pc->info.err < 0 && !(grbit & ESEPY_ESE_LOGCHAIN_INSPECT))
        err = pc->info.err;
    if (err < 0) {
        EsepyEseLogChainClose(pc);
        return err;
    }
    *ppchain = pc;
    return JET_errSuccess;
}

JET_ERR EsepyEseLogChainGetInfo(ESEPY_ESE_LOGCHAIN *pc, ESEPY_ESE_LOGCHAININFO *pinfo)
{
    if (pc == NULL || pinfo == NULL)
        return JET_errInvalidParameter;
    *pinfo = pc->info;
    return JET_errSuccess;
}

JET_ERR EsepyEseLogChainGetGen(ESEPY_ESE_LOGCHAIN *pc, uint32_t igen, ESEPY_ESE_LOGGEN *pgen)
{
    if (pc == NULL || pgen == NULL || igen >= pc->cgen)
        return JET_errInvalidParameter;
    *pgen = pc->rggen[igen];
    return JET_errSuccess;
}

JET_ERR EsepyEseLogChainSeek(ESEPY_ESE_LOGCHAIN *pc, const ESEPY_ESE_LGPOS *plgpos)
{
    if (pc == NULL)
        return JET_errInvalidParameter;
    EsepyEseLogClose(pc->plogWalk);
    pc->plogWalk = NULL;
    pc->errWalk = JET_errSuccess;
    pc->igenWalk = 0;
    memset(&pc->lgposFrom, 0, sizeof(pc->lgposFrom));
    if (plgpos != NULL) {
        pc->lgposFrom = *plgpos;
        while (pc->igenWalk + 1 < pc->cgen && pc->rggen[pc->igenWalk].lGeneration < plgpos->lGeneration)
            pc->igenWalk++;
    }
    return JET_errSuccess;
}

JET_ERR EsepyEseLogChainNextRecord(ESEPY_ESE_LOGCHAIN *pc, ESEPY_ESE_LOGRECORD *prec)
{
    if (pc == NULL || prec == NULL)
        return JET_errInvalidParameter;
    if (pc->errWalk < 0) {
        memset(prec, 0, sizeof(*prec));
        prec->cbStruct = sizeof(*prec);
        return pc->errWalk;
    }
    for (;;) {
        if (pc->plogWalk == NULL) {
            if (pc->igenWalk >= pc->cgen)
                return JET_errNoCurrentRecord;
            const ESEPY_ESE_LOGGEN *pg = &pc->rggen[pc->igenWalk];
            if (pc->igenWalk > 0 && (int64_t)pg->lGeneration != (int64_t)pc->rggen[pc->igenWalk - 1].lGeneration + 1) {
                snprintf(pc->info.szError, sizeof(pc->info.szError), "log generation %d is missing",
                         (int)pc->rggen[pc->igenWalk - 1].lGeneration + 1);
                return pc->errWalk = JET_errMissingLogFile;
            }
            char *szPath = os_malloc(OS_PATH_MAX);
            if (szPath == NULL)
                return JET_errOutOfMemory;
            JET_ERR err = join(szPath, pc->szDir, pg->szFile);
            if (err >= 0)
                err = EsepyEseLogOpen(szPath, 0, &pc->plogWalk);
            os_free(szPath);
            if (err < 0)
                return pc->errWalk = err;
        }
        JET_ERR err = EsepyEseLogNextRecord(pc->plogWalk, prec);
        if (err == JET_errNoCurrentRecord) {
            EsepyEseLogClose(pc->plogWalk);
            pc->plogWalk = NULL;
            pc->igenWalk++;
            continue;
        }
        if (err < 0) {
            ESEPY_ESE_LOGINFO li;
            EsepyEseLogGetInfo(pc->plogWalk, &li);
            snprintf(pc->info.szError, sizeof(pc->info.szError), "%s", li.szError);
            return pc->errWalk = err;
        }
        if (EsepyEseCmpLgpos(&prec->lgpos, &pc->lgposFrom) < 0)
            continue;
        return JET_errSuccess;
    }
}
