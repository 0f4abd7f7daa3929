/*
 * eselog.c -- the records of one Windows ESE transaction log file (format
 * 8.x, 4 KiB segments): segment classification with the ECC checksum
 * (single-bit repair, always reported), end-of-data detection, the record
 * walk (NOP skipping, fragment reassembly, sizes of every record type) and
 * the decoding of each record into ESEPY_ESE_LOGRECORD.
 * Must not touch: the file (opened read-only, read whole into memory; a
 * repaired bit is fixed in that copy only), any database, the chain of
 * generations (eselogchain.c).
 * Invariants:
 *  - the walk only reads bytes of segments isecFirst .. isecEnd-1 (the data);
 *    every length taken from a record is checked against its segment (or the
 *    reassembled buffer) before a byte past the fixed part is read;
 *  - an unknown, obsolete or old-format lrtyp is an error naming it: no size
 *    is ever guessed;
 *  - after an error the walk is stuck at that error (errWalk) until rewound.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "esefmt_int.h"

#define LG_CBSEC       4096u
#define LG_CBSEGHDR    40u
#define LG_MAXRECORD   (16u * 1024u * 1024u) /* largest reassembled record accepted */

/* ---- names ---------------------------------------------------------------------- */

static const char *const rgszLrtyp[ESEPY_ESE_LRTYP_MAX] = {
    "NOP", "Init", "Term", "MS", "Fill", "Begin", "Commit", "Rollback", "Begin0", "Commit0",
    "Refresh", "MacroBegin", "MacroCommit", "MacroAbort", "CreateDB", "AttachDB", "DetachDB",
    "RecoveryUndo", "RecoveryQuit", "FullBackup", "IncBackup", "JetOp", "Trace", "ShutDownMark",
    "CreateMultipleExtentFDP", "CreateSingleExtentFDP", "ConvertFDP", "Split", "Merge", "Insert",
    "FlagInsert", "FlagInsertAndReplaceData", "FlagDelete", "Replace", "ReplaceD", "Delete",
    "UndoInfo", "Delta", "SetExternalHeader", "Undo", "SLVPageAppend", "SLVSpace", "Checksum",
    "SLVPageMove", "ForceDetachDB", "ExtRestore", "Backup", "UpgradeDB", "EmptyTree", "Init2",
    "Term2", "RecoveryUndo2", "RecoveryQuit2", "BeginDT", "PrepCommit", "PrepRollback", "DbList",
    "ForceWriteLog", "ConvertFDP2", "ExtRestore2", "Backup2", "ForceLogRollover", "Split2",
    "Merge2", "Scrub", "PageMove", "PagePatchRequest", "MacroInfo", "ExtendDB", "CommitCtx",
    "ScanCheck", "NOP2", "ReAttach", "MacroInfo2", "FreeFDP", "Ignored9", "FragmentBegin",
    "Fragment", "ShrinkDB", "CreateDBFinish", "RecoveryQuitKeepAttachments", "TrimDB",
    "Ignored10", "Ignored11", "Ignored12", "Ignored13", "Ignored14", "Ignored15", "Ignored16",
    "Ignored17", "Ignored18", "Ignored19", "SetDbVersion", "Delta64", "ShrinkDB2", "NewPage",
    "RootPageMove", "SignalAttachDb", "ScanCheck2", "ShrinkDB3", "ExtentFreed", "ExtentFreed2",
};

const char *EsepyEseLrtypName(uint32_t lrtyp)
{
    return lrtyp < ESEPY_ESE_LRTYP_MAX ? rgszLrtyp[lrtyp] : NULL;
}

int EsepyEseCmpLgpos(const ESEPY_ESE_LGPOS *a, const ESEPY_ESE_LGPOS *b)
{
    if (a->lGeneration != b->lGeneration)
        return a->lGeneration < b->lGeneration ? -1 : 1;
    if (a->isec != b->isec)
        return a->isec < b->isec ? -1 : 1;
    if (a->ib != b->ib)
        return a->ib < b->ib ? -1 : 1;
    return 0;
}

/* ---- record sizes ----------------------------------------------------------------- */

/* Fixed size of each type; 0 = not a format-8 record (obsolete or old format). */
static const uint16_t rgcbFixed[ESEPY_ESE_LRTYP_MAX] = {
    [0] = 1, [1] = 568, [2] = 18, [5] = 4, [6] = 4, [7] = 4, [8] = 8, [9] = 8, [10] = 7,
    [11] = 11, [12] = 11, [13] = 11, [14] = 43, [15] = 75, [16] = 7, [17] = 1, [18] = 18,
    [19] = 3, [20] = 3, [21] = 4, [22] = 5, [23] = 1, [24] = 56, [25] = 48,
    [29] = 50, [30] = 48, [31] = 52, [32] = 44, [33] = 50, [34] = 50, [35] = 44, [36] = 56,
    [37] = 54, [38] = 46, [39] = 51, [45] = 3, [46] = 5, [48] = 46, [49] = 576, [50] = 26,
    [51] = 9, [52] = 26, [53] = 8, [54] = 7, [55] = 3, [57] = 3, [58] = 68, [59] = 3,
    [60] = 35, [61] = 5, [62] = 110, [63] = 96, [64] = 54, [65] = 96, [66] = 46,
    [67] = 5, [68] = 5, [69] = 5, [70] = 5, [71] = 5, [72] = 5, [73] = 5, [74] = 5, [75] = 5,
    [76] = 7, [77] = 3, [78] = 10, [79] = 4, [80] = 26, [81] = 10,
    [82] = 5, [83] = 5, [84] = 5, [85] = 5, [86] = 5, [87] = 5, [88] = 5, [89] = 5, [90] = 5, [91] = 5,
    [92] = 14, [93] = 58, [94] = 10, [95] = 20, [96] = 16, [97] = 2, [98] = 27, [99] = 18,
    [100] = 11, [101] = 19,
};

static int lrtyp_ignorable(uint32_t t)
{
    return (t >= 67 && t <= 75) || (t >= 82 && t <= 91);
}

/* Why lrtyp t cannot be read, or NULL if it can. */
static const char *lrtyp_refusal(uint32_t t)
{
    if (t >= ESEPY_ESE_LRTYP_MAX)
        return "unknown";
    switch (t) {
    case 3: case 4: case 26: case 27: case 28: case 42:
        return "of the pre-format-8 log layout";
    case 40: case 41: case 43: case 44: case 47: case 56:
        return "obsolete (never written in format 8)";
    default:
        return rgcbFixed[t] ? NULL : "unknown";
    }
}

/* Full size of the record at pb whose fixed part (rgcbFixed) is present. */
static uint64_t lr_size(const uint8_t *pb)
{
    uint32_t t = pb[0];
    uint64_t cb = rgcbFixed[t];
    switch (t) {
    case 14: cb += le_get16(pb + 40) + ((pb[42] & 0x04) ? 4u : 0u); break;
    case 15: cb += le_get16(pb + 72); break;
    case 16: cb += le_get16(pb + 4); break;
    case 19: case 20: case 45: case 59: cb += le_get16(pb + 1); break;
    case 22: case 61: cb += le_get16(pb + 3); break;
    case 29: cb += (uint64_t)le_get16(pb + 44) + le_get16(pb + 46) + le_get16(pb + 48); break;
    case 30: case 31: cb += (uint64_t)le_get16(pb + 44) + le_get16(pb + 46); break;
    case 33: case 34: cb += le_get16(pb + 44) & 0x7FFFu; break;
    case 36: cb += (uint64_t)le_get16(pb + 44) + le_get16(pb + 46) + le_get16(pb + 54); break;
    case 37: case 93: case 39: cb += (uint64_t)le_get16(pb + 44) + le_get16(pb + 46); break;
    case 38: cb += le_get16(pb + 44); break;
    case 46: cb += le_get16(pb + 3); break;
    case 48: cb += le_get16(pb + 44); break;
    case 54: cb += le_get32(pb + 3); break;
    case 60: cb += le_get16(pb + 33); break;
    case 62:
        cb += (uint64_t)le_get16(pb + 100) + le_get16(pb + 96) + le_get16(pb + 98) + le_get32(pb + 106);
        break;
    case 63: cb += (uint64_t)le_get16(pb + 86) + le_get32(pb + 92); break;
    case 64: cb += le_get16(pb + 52); break;
    case 65: cb += (uint64_t)le_get32(pb + 88) + le_get32(pb + 92); break;
    case 76: cb += le_get16(pb + 5); break;
    case 77: cb += le_get16(pb + 1); break;
    default:
        if (lrtyp_ignorable(t))
            cb += le_get32(pb + 1);
        break;
    }
    return cb;
}

/* ---- the open log ----------------------------------------------------------------- */

struct EsepyEseLog {
    ESEPY_ESE_LOGHEADER   hdr;
    ESEPY_ESE_LOGINFO     info;
    uint8_t              *pbFile;    /* csec * LG_CBSEC bytes (repairs applied) */
    uint32_t              csec;
    uint32_t              isecFirst; /* csecHeader */
    ESEPY_ESE_LOGSEGMENT *rgseg;     /* indexed by isec (entries below isecFirst unused) */
    const uint8_t       **rgpbSeg;   /* data of each data segment (a patched one points at its shadow) */
    /* walk */
    uint32_t              isecWalk, ibWalk; /* next byte to read */
    JET_ERR               errWalk;
    uint32_t              lrtypLast; /* last record returned, NOP2 filler aside (for fClosedNormally) */
    int                   fWalkEnded;
    uint8_t              *pbAsm;     /* reassembled fragmented record */
    uint32_t              cbAsmMax;
    char                 *szPath;    /* decoded path of the current record */
    size_t                cchPathMax;
};

static void log_error(ESEPY_ESE_LOG *plog, const char *szFmt, ...) __attribute__((format(printf, 2, 3)));
static void log_error(ESEPY_ESE_LOG *plog, const char *szFmt, ...)
{
    va_list ap;
    va_start(ap, szFmt);
    vsnprintf(plog->info.szError, sizeof(plog->info.szError), szFmt, ap);
    va_end(ap);
}

static int all_zero(const uint8_t *pb, size_t cb)
{
    for (size_t i = 0; i < cb; i++)
        if (pb[i])
            return 0;
    return 1;
}

static int popcount32(uint32_t x)
{
    int c = 0;
    for (; x; x &= x - 1)
        c++;
    return c;
}

/* Classify data sector isec.  Returns the status; *pfCorrect receives the bit
 * to flip when the sector is repairable by ECC (status CORRECTED). */
static int classify_segment(ESEPY_ESE_LOG *plog, uint32_t isec, int fNoCorrection, ESEPY_ESE_LOGSEGMENT *pseg)
{
    uint8_t *pb = plog->pbFile + (size_t)isec * LG_CBSEC;
    memset(pseg, 0, sizeof(*pseg));
    pseg->cbStruct = sizeof(*pseg);
    pseg->isec = isec;
    pseg->ibitCorrected = -1;
    pseg->checksumStored = le_get64(pb);
    pseg->checksumComputed = esefmt_checksum_ecc(pb, LG_CBSEC, isec, 1);
    esefmt_lgpos(pb + 8, &pseg->lgposSegment);
    esefmt_logtime(pb + 16, &pseg->logtimeSegment);
    pseg->fFlags = le_get32(pb + 36);
    ESEPY_ESE_LGPOS lgposExpected = { plog->hdr.lGeneration, (uint16_t)isec, 0 };
    if (pseg->checksumStored == pseg->checksumComputed) {
        int c = EsepyEseCmpLgpos(&pseg->lgposSegment, &lgposExpected);
        return c == 0 ? ESEPY_ESE_SEG_GOOD : c < 0 ? ESEPY_ESE_SEG_STALE : ESEPY_ESE_SEG_DAMAGED;
    }
    if (all_zero(pb, LG_CBSEC))
        return ESEPY_ESE_SEG_ZERO;
    if (isec > plog->isecFirst && pseg->checksumStored == esefmt_checksum_ecc(pb, LG_CBSEC, isec - 1, 1))
        return ESEPY_ESE_SEG_SHADOW;
    if (fNoCorrection)
        return ESEPY_ESE_SEG_DAMAGED;
    /* single-bit repair: the ECC difference must have all its index bits set
     * (high half the complement of the low half) and the XOR part must differ
     * in exactly one bit; the low half then locates the bit.  The repair is
     * accepted only when the corrected sector verifies and is in its place. */
    uint32_t eccDiff = (uint32_t)(pseg->checksumStored >> 32) ^ (uint32_t)(pseg->checksumComputed >> 32);
    uint32_t xorDiff = (uint32_t)pseg->checksumStored ^ (uint32_t)pseg->checksumComputed;
    uint32_t mask = LG_CBSEC * 8u - 1u;
    if ((((eccDiff >> 16) ^ eccDiff) & mask) != mask || popcount32(xorDiff) != 1)
        return ESEPY_ESE_SEG_DAMAGED;
    uint32_t ibit = eccDiff & 0xFFFFu;
    if (ibit / 8 >= LG_CBSEC || ibit / 8 < 8)
        return ESEPY_ESE_SEG_DAMAGED;
    pb[ibit / 8] ^= (uint8_t)(1u << (ibit % 8));
    uint64_t checksumFixed = esefmt_checksum_ecc(pb, LG_CBSEC, isec, 1);
    ESEPY_ESE_LGPOS lgposFixed;
    esefmt_lgpos(pb + 8, &lgposFixed);
    if (checksumFixed != pseg->checksumStored || EsepyEseCmpLgpos(&lgposFixed, &lgposExpected) != 0) {
        pb[ibit / 8] ^= (uint8_t)(1u << (ibit % 8)); /* not a valid repair: put the bit back */
        return ESEPY_ESE_SEG_DAMAGED;
    }
    pseg->checksumComputed = checksumFixed;
    pseg->lgposSegment = lgposFixed;
    esefmt_logtime(pb + 16, &pseg->logtimeSegment);
    pseg->fFlags = le_get32(pb + 36);
    pseg->ibitCorrected = (int32_t)ibit;
    return ESEPY_ESE_SEG_CORRECTED;
}

/* Classify every sector and find the end of data (reference §1.5). */
static void scan_segments(ESEPY_ESE_LOG *plog, int fNoCorrection)
{
    ESEPY_ESE_LOGINFO *pi = &plog->info;
    uint32_t isecLastData = plog->csec - 2; /* the last sector is only a shadow position */
    for (uint32_t isec = plog->isecFirst; isec < plog->csec; isec++) {
        ESEPY_ESE_LOGSEGMENT *pseg = &plog->rgseg[isec];
        pseg->status = classify_segment(plog, isec, fNoCorrection, pseg);
        plog->rgpbSeg[isec] = plog->pbFile + (size_t)isec * LG_CBSEC;
    }
    uint32_t isec = plog->isecFirst;
    int fEnded = 0;
    pi->endKind = ESEPY_ESE_LOGEND_FULL;
    pi->isecEnd = isecLastData + 1;
    for (; isec <= isecLastData; isec++) {
        ESEPY_ESE_LOGSEGMENT *pseg = &plog->rgseg[isec];
        int st = pseg->status;
        if (!fEnded) {
            if (st == ESEPY_ESE_SEG_GOOD || st == ESEPY_ESE_SEG_CORRECTED) {
                pi->csegGood++;
                pi->csegCorrected += st == ESEPY_ESE_SEG_CORRECTED;
                pi->checksumAllSegments ^= pseg->checksumStored;
                continue;
            }
            fEnded = 1;
            pi->isecEnd = isec;
            if (st == ESEPY_ESE_SEG_STALE)
                pi->endKind = ESEPY_ESE_LOGEND_STALE;
            else if (st == ESEPY_ESE_SEG_ZERO)
                pi->endKind = ESEPY_ESE_LOGEND_ZERO;
            else if (st == ESEPY_ESE_SEG_SHADOW)
                pi->endKind = ESEPY_ESE_LOGEND_SHADOW;
            else {
                /* damaged: a valid shadow at isec + 1 stands in for it */
                const uint8_t *pbShadow = plog->pbFile + (size_t)(isec + 1) * LG_CBSEC;
                ESEPY_ESE_LGPOS lgposShadow, lgposExpected = { plog->hdr.lGeneration, (uint16_t)isec, 0 };
                esefmt_lgpos(pbShadow + 8, &lgposShadow);
                uint64_t checksumShadow = le_get64(pbShadow);
                if (checksumShadow == esefmt_checksum_ecc(pbShadow, LG_CBSEC, isec, 1) &&
                    EsepyEseCmpLgpos(&lgposShadow, &lgposExpected) == 0) {
                    pseg->status = ESEPY_ESE_SEG_PATCHED;
                    plog->rgpbSeg[isec] = pbShadow;
                    pi->csegGood++;
                    pi->csegPatched++;
                    pi->checksumAllSegments ^= checksumShadow;
                    pi->isecEnd = isec + 1;
                    pi->endKind = ESEPY_ESE_LOGEND_SHADOW;
                    isec++; /* the shadow sector itself */
                } else {
                    pi->endKind = ESEPY_ESE_LOGEND_DAMAGED;
                    pi->errIntegrity = JET_errLogFileCorrupt;
                    log_error(plog, "log generation %d: segment %u is damaged (checksum stored 0x%016llx, "
                              "computed 0x%016llx) and has no valid shadow",
                              (int)plog->hdr.lGeneration, isec, (unsigned long long)pseg->checksumStored,
                              (unsigned long long)pseg->checksumComputed);
                }
            }
            continue;
        }
        /* after the end: a segment in its right place means data was lost in between */
        if ((st == ESEPY_ESE_SEG_GOOD || st == ESEPY_ESE_SEG_CORRECTED) && pi->errIntegrity == JET_errSuccess) {
            pi->errIntegrity = JET_errLogFileCorrupt;
            log_error(plog, "log generation %d: valid segment %u after the end of data at segment %u",
                      (int)plog->hdr.lGeneration, isec, pi->isecEnd);
        }
    }
    pi->lgposEnd.lGeneration = plog->hdr.lGeneration;
    pi->lgposEnd.isec = (uint16_t)pi->isecEnd;
    pi->lgposEnd.ib = 0;
}

void EsepyEseLogClose(ESEPY_ESE_LOG *plog)
{
    if (plog == NULL)
        return;
    os_free(plog->pbFile);
    os_free(plog->rgseg);
    os_free(plog->rgpbSeg);
    os_free(plog->pbAsm);
    os_free(plog->szPath);
    os_free(plog);
}

JET_ERR EsepyEseLogOpen(const char *szPath, uint32_t grbit, ESEPY_ESE_LOG **pplog)
{
    if (szPath == NULL || pplog == NULL)
        return JET_errInvalidParameter;
    *pplog = NULL;
    ESEPY_ESE_LOG *plog = os_calloc(1, sizeof(*plog));
    if (plog == NULL)
        return JET_errOutOfMemory;
    plog->info.cbStruct = sizeof(plog->info);
    os_file *pf = NULL;
    JET_ERR err = EsepyEseReadLogHeader(szPath, &plog->hdr);
    if (err < 0)
        goto fail;
    const ESEPY_ESE_LOGHEADER *ph = &plog->hdr;
    plog->info.lGeneration = ph->lGeneration;
    if (ph->ulMajor != 8 || ph->cbSec != LG_CBSEC || ph->csecHeader < 1 || ph->csecLGFile < ph->csecHeader + 2) {
        err = JET_errBadLogVersion;
        snprintf(plog->info.szError, sizeof(plog->info.szError),
                 "log format %u.%u.%u.%u with %u-byte sectors is not format 8 with 4 KiB segments",
                 ph->ulMajor, ph->ulMinor, ph->ulUpdateMajor, ph->ulUpdateMinor, ph->cbSec);
        goto fail;
    }
    if (ph->cbFile != (uint64_t)ph->csecLGFile * LG_CBSEC) {
        err = JET_errLogFileSizeMismatch;
        goto fail;
    }
    plog->csec = ph->csecLGFile;
    plog->isecFirst = ph->csecHeader;
    plog->info.csecLGFile = plog->csec;
    plog->pbFile = os_malloc((size_t)plog->csec * LG_CBSEC);
    plog->rgseg = os_calloc(plog->csec, sizeof(*plog->rgseg));
    plog->rgpbSeg = os_calloc(plog->csec, sizeof(*plog->rgpbSeg));
    if (plog->pbFile == NULL || plog->rgseg == NULL || plog->rgpbSeg == NULL) {
        err = JET_errOutOfMemory;
        goto fail;
    }
    err = os_file_open(szPath, OS_FILE_READ, &pf); /* read-only */
    size_t cbRead = 0;
    if (err >= 0)
        err = os_file_read(pf, 0, plog->pbFile, (size_t)plog->csec * LG_CBSEC, &cbRead);
    os_file_close(pf);
    if (err < 0)
        goto fail;
    if (cbRead != (size_t)plog->csec * LG_CBSEC) {
        err = JET_errLogFileSizeMismatch;
        goto fail;
    }
    scan_segments(plog, (grbit & ESEPY_ESE_LOG_OPEN_NO_CORRECTION) != 0);
    EsepyEseLogRewind(plog);
    *pplog = plog;
    return JET_errSuccess;
fail:
    EsepyEseLogClose(plog);
    return err;
}

JET_ERR EsepyEseLogGetHeader(ESEPY_ESE_LOG *plog, ESEPY_ESE_LOGHEADER *phdr)
{
    if (plog == NULL || phdr == NULL)
        return JET_errInvalidParameter;
    *phdr = plog->hdr;
    return JET_errSuccess;
}

JET_ERR EsepyEseLogGetInfo(ESEPY_ESE_LOG *plog, ESEPY_ESE_LOGINFO *pinfo)
{
    if (plog == NULL || pinfo == NULL)
        return JET_errInvalidParameter;
    *pinfo = plog->info;
    return JET_errSuccess;
}

JET_ERR EsepyEseLogGetSegment(ESEPY_ESE_LOG *plog, uint32_t isec, ESEPY_ESE_LOGSEGMENT *pseg)
{
    if (plog == NULL || pseg == NULL || isec < plog->isecFirst || isec >= plog->csec)
        return JET_errInvalidParameter;
    *pseg = plog->rgseg[isec];
    if (isec >= plog->info.isecEnd && pseg->status != ESEPY_ESE_SEG_DAMAGED)
        pseg->status = pseg->status == ESEPY_ESE_SEG_GOOD || pseg->status == ESEPY_ESE_SEG_CORRECTED
                           ? ESEPY_ESE_SEG_AFTEREND : pseg->status;
    return JET_errSuccess;
}

JET_ERR EsepyEseLogRewind(ESEPY_ESE_LOG *plog)
{
    if (plog == NULL)
        return JET_errInvalidParameter;
    plog->isecWalk = plog->isecFirst;
    plog->ibWalk = LG_CBSEGHDR;
    plog->errWalk = JET_errSuccess;
    plog->lrtypLast = 0;
    plog->fWalkEnded = 0;
    return JET_errSuccess;
}

/* ---- decoding --------------------------------------------------------------------- */

static JET_ERR path_to_utf8(ESEPY_ESE_LOG *plog, const uint8_t *pb, uint32_t cb, int fUnicode, ESEPY_ESE_LOGRECORD *prec)
{
    size_t cchNeed = (size_t)cb * 2 + 1;
    if (cchNeed > plog->cchPathMax) {
        char *sz = os_realloc(plog->szPath, cchNeed);
        if (sz == NULL)
            return JET_errOutOfMemory;
        plog->szPath = sz;
        plog->cchPathMax = cchNeed;
    }
    if (fUnicode) {
        esefmt_utf16_to_utf8(pb, cb, plog->szPath, plog->cchPathMax);
    } else {
        size_t n = 0;
        for (uint32_t i = 0; i < cb && pb[i]; i++)
            plog->szPath[n++] = (char)pb[i];
        plog->szPath[n] = '\0';
    }
    prec->szPath = plog->szPath;
    return JET_errSuccess;
}

static void decode_page(const uint8_t *pb, ESEPY_ESE_LOGRECORD *r)
{
    r->fFields |= ESEPY_ESE_LR_PROCID | ESEPY_ESE_LR_DBID | ESEPY_ESE_LR_PAGE;
    r->procid = le_get16(pb + 1);
    r->dbid = pb[3];
    r->pgno = le_get32(pb + 4);
    r->dbtime = le_get64(pb + 8);
    r->dbtimeBefore = le_get64(pb + 16);
    r->trxBegin0 = le_get32(pb + 24);
    r->level = pb[28];
    r->iline = le_get16(pb + 29);
    r->fPageFlags = pb[31];
}

static void decode_node(const uint8_t *pb, ESEPY_ESE_LOGRECORD *r)
{
    decode_page(pb, r);
    r->fFields |= ESEPY_ESE_LR_NODE;
    r->rceid = le_get32(pb + 32);
    r->pgnoFDP = le_get32(pb + 36);
    r->objidFDP = le_get32(pb + 40);
}

static void decode_term(const uint8_t *pb, ESEPY_ESE_LOGRECORD *r, int fLogtime)
{
    esefmt_lgpos(pb + 1, &r->lgposBack);
    esefmt_lgpos(pb + 9, &r->lgposRedoFrom);
    r->fHard = pb[17];
    if (fLogtime) {
        esefmt_logtime(pb + 18, &r->logtime);
        r->fFields |= ESEPY_ESE_LR_LOGTIME;
    }
}

/* Decode the record pb[0..cb) (its size already checked to be lr_size). */
static JET_ERR decode(ESEPY_ESE_LOG *plog, const uint8_t *pb, uint32_t cb, ESEPY_ESE_LOGRECORD *r)
{
    uint32_t t = pb[0];
    uint32_t cbFixed = rgcbFixed[t];
    const uint8_t *pv = pb + cbFixed; /* variable part */
    r->lrtyp = t;
    r->szName = rgszLrtyp[t];
    r->pb = pb;
    r->cb = cb;
    switch (t) {
    case ESEPY_ESE_LRTYP_INIT2:
        esefmt_logtime(pb + 568, &r->logtime);
        r->fFields |= ESEPY_ESE_LR_LOGTIME;
        break;
    case ESEPY_ESE_LRTYP_TERM: case ESEPY_ESE_LRTYP_RECOVERYQUIT:
        decode_term(pb, r, 0);
        break;
    case ESEPY_ESE_LRTYP_TERM2: case ESEPY_ESE_LRTYP_RECOVERYQUIT2: case ESEPY_ESE_LRTYP_RECOVERYQUITKEEPATTACHMENTS:
        decode_term(pb, r, 1);
        break;
    case ESEPY_ESE_LRTYP_RECOVERYUNDO2:
        esefmt_logtime(pb + 1, &r->logtime);
        r->fFields |= ESEPY_ESE_LR_LOGTIME;
        break;
    case ESEPY_ESE_LRTYP_BEGIN: case ESEPY_ESE_LRTYP_BEGIN0: case ESEPY_ESE_LRTYP_BEGINDT:
        r->fFields |= ESEPY_ESE_LR_PROCID;
        r->procid = le_get16(pb + 1);
        r->level = pb[3] & 0x0F;
        r->clevels = pb[3] >> 4;
        if (t != ESEPY_ESE_LRTYP_BEGIN)
            r->trx = le_get32(pb + 4);
        break;
    case ESEPY_ESE_LRTYP_COMMIT: case ESEPY_ESE_LRTYP_COMMIT0: case ESEPY_ESE_LRTYP_ROLLBACK:
        r->fFields |= ESEPY_ESE_LR_PROCID;
        r->procid = le_get16(pb + 1);
        r->level = pb[3];
        if (t == ESEPY_ESE_LRTYP_COMMIT0)
            r->trx = le_get32(pb + 4);
        break;
    case ESEPY_ESE_LRTYP_REFRESH:
        r->fFields |= ESEPY_ESE_LR_PROCID;
        r->procid = le_get16(pb + 1);
        r->trx = le_get32(pb + 3);
        break;
    case ESEPY_ESE_LRTYP_MACROBEGIN: case ESEPY_ESE_LRTYP_MACROCOMMIT: case ESEPY_ESE_LRTYP_MACROABORT:
        r->fFields |= ESEPY_ESE_LR_PROCID | ESEPY_ESE_LR_DBTIME;
        r->procid = le_get16(pb + 1);
        r->dbtime = le_get64(pb + 3);
        break;
    case ESEPY_ESE_LRTYP_JETOP: case ESEPY_ESE_LRTYP_FORCEWRITELOG: case ESEPY_ESE_LRTYP_PREPROLLBACK:
        r->fFields |= ESEPY_ESE_LR_PROCID;
        r->procid = le_get16(pb + 1);
        break;
    case ESEPY_ESE_LRTYP_TRACE: case ESEPY_ESE_LRTYP_FORCELOGROLLOVER:
        r->fFields |= ESEPY_ESE_LR_PROCID;
        r->procid = le_get16(pb + 1);
        r->pbData = pv;
        r->cbData = le_get16(pb + 3);
        break;
    case ESEPY_ESE_LRTYP_PREPCOMMIT:
        r->fFields |= ESEPY_ESE_LR_PROCID;
        r->procid = le_get16(pb + 1);
        r->pbData = pv;
        r->cbData = le_get32(pb + 3);
        break;
    case ESEPY_ESE_LRTYP_CREATEDB: {
        r->fFields |= ESEPY_ESE_LR_PROCID | ESEPY_ESE_LR_DBID;
        r->procid = le_get16(pb + 1);
        r->dbid = pb[3];
        r->grbit = le_get32(pb + 4);
        r->cpgDatabaseSizeMax = le_get32(pb + 8);
        esefmt_signature(pb + 12, &r->signDb);
        r->fDbFlags = pb[42];
        uint32_t cbPath = le_get16(pb + 40);
        if (pb[42] & 0x04) {
            r->rgulVersion[0] = le_get16(pv);
            r->rgulVersion[1] = le_get16(pv + 2);
            pv += 4;
        }
        return path_to_utf8(plog, pv, cbPath, (pb[42] & 0x08) != 0, r);
    }
    case ESEPY_ESE_LRTYP_ATTACHDB:
        r->fFields |= ESEPY_ESE_LR_PROCID | ESEPY_ESE_LR_DBID;
        r->procid = le_get16(pb + 1);
        r->dbid = pb[3];
        r->cpgDatabaseSizeMax = le_get32(pb + 4);
        esefmt_lgpos(pb + 8, &r->lgposConsistent);
        esefmt_signature(pb + 16, &r->signDb);
        esefmt_signature(pb + 44, &r->signLog);
        r->fDbFlags = pb[74];
        return path_to_utf8(plog, pv, le_get16(pb + 72), (pb[74] & 0x08) != 0, r);
    case ESEPY_ESE_LRTYP_DETACHDB:
        r->fFields |= ESEPY_ESE_LR_PROCID | ESEPY_ESE_LR_DBID;
        r->procid = le_get16(pb + 1);
        r->dbid = pb[3];
        r->fDbFlags = pb[6];
        return path_to_utf8(plog, pv, le_get16(pb + 4), (pb[6] & 0x10) != 0, r);
    case ESEPY_ESE_LRTYP_CREATEDBFINISH:
        r->fFields |= ESEPY_ESE_LR_PROCID | ESEPY_ESE_LR_DBID;
        r->procid = le_get16(pb + 1);
        r->dbid = pb[3];
        break;
    case ESEPY_ESE_LRTYP_FULLBACKUP: case ESEPY_ESE_LRTYP_INCBACKUP:
        return path_to_utf8(plog, pv, le_get16(pb + 1), 0, r);
    case ESEPY_ESE_LRTYP_BACKUP:
        return path_to_utf8(plog, pv, le_get16(pb + 3), 0, r);
    case ESEPY_ESE_LRTYP_BACKUP2:
        r->fFields |= ESEPY_ESE_LR_DBID;
        r->dbid = pb[7];
        return path_to_utf8(plog, pv, le_get16(pb + 33), 0, r);
    case ESEPY_ESE_LRTYP_EXTRESTORE: case ESEPY_ESE_LRTYP_EXTRESTORE2:
        r->pbData = pv;
        r->cbData = le_get16(pb + 1);
        break;
    case ESEPY_ESE_LRTYP_CREATEMEFDP:
        decode_page(pb, r);
        r->objidFDP = le_get32(pb + 32);
        r->pgnoNew = le_get32(pb + 36);
        r->pgnoRight = le_get32(pb + 40);
        r->pgnoParent = le_get32(pb + 44);
        r->cpg = le_get32(pb + 48);
        break;
    case ESEPY_ESE_LRTYP_CREATESEFDP:
        decode_page(pb, r);
        r->objidFDP = le_get32(pb + 32);
        r->pgnoParent = le_get32(pb + 36);
        r->cpg = le_get32(pb + 40);
        break;
    case ESEPY_ESE_LRTYP_CONVERTFDP2:
        decode_page(pb, r);
        r->objidFDP = le_get32(pb + 32);
        r->pgnoNew = le_get32(pb + 36);
        r->pgnoRight = le_get32(pb + 40);
        r->pgnoParent = le_get32(pb + 44);
        r->cpg = le_get32(pb + 52);
        break;
    case ESEPY_ESE_LRTYP_INSERT:
        decode_node(pb, r);
        r->cbKeyPrefix = le_get16(pb + 46);
        r->cbKey = r->cbKeyPrefix + le_get16(pb + 44);
        r->pbKey = pv;
        r->cbData = le_get16(pb + 48);
        r->pbData = pv + r->cbKey;
        break;
    case ESEPY_ESE_LRTYP_FLAGINSERT: case ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA:
        decode_node(pb, r);
        r->cbKey = le_get16(pb + 44);
        r->pbKey = pv;
        r->cbData = le_get16(pb + 46);
        r->pbData = pv + r->cbKey;
        if (t == ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA)
            r->rceidReplace = le_get32(pb + 48);
        break;
    case ESEPY_ESE_LRTYP_FLAGDELETE: case ESEPY_ESE_LRTYP_DELETE:
        decode_node(pb, r);
        break;
    case ESEPY_ESE_LRTYP_REPLACE: case ESEPY_ESE_LRTYP_REPLACED:
        decode_node(pb, r);
        r->cbData = le_get16(pb + 44) & 0x7FFFu;
        r->fDiff2 = (le_get16(pb + 44) & 0x8000u) != 0;
        r->cbOldData = le_get16(pb + 46);
        r->cbNewData = le_get16(pb + 48);
        r->pbData = pv;
        break;
    case ESEPY_ESE_LRTYP_UNDOINFO:
        decode_node(pb, r);
        r->cbKey = le_get16(pb + 44);
        r->pbKey = pv;
        r->oper = le_get16(pb + 48);
        r->cbMaxSize = (uint32_t)(int16_t)le_get16(pb + 50);
        r->delta = (int16_t)le_get16(pb + 52);
        r->cbData = le_get16(pb + 54);
        r->pbData = pv + r->cbKey + le_get16(pb + 46); /* after the bookmark key and data */
        break;
    case ESEPY_ESE_LRTYP_DELTA: case ESEPY_ESE_LRTYP_DELTA64:
        decode_node(pb, r);
        r->cbKey = le_get16(pb + 44);
        r->pbKey = pv;
        r->cbData = le_get16(pb + 46); /* bookmark data */
        r->pbData = pv + r->cbKey;
        if (t == ESEPY_ESE_LRTYP_DELTA) {
            r->delta = (int32_t)le_get32(pb + 48);
            r->ibOffset = le_get16(pb + 52);
        } else {
            r->delta = (int64_t)le_get64(pb + 48);
            r->ibOffset = le_get16(pb + 56);
        }
        break;
    case ESEPY_ESE_LRTYP_SETEXTERNALHEADER:
        decode_node(pb, r);
        r->cbData = le_get16(pb + 44);
        r->pbData = pv;
        break;
    case ESEPY_ESE_LRTYP_UNDO:
        decode_node(pb, r);
        r->cbKey = le_get16(pb + 44);
        r->pbKey = pv;
        r->cbData = le_get16(pb + 46);
        r->pbData = pv + r->cbKey;
        r->oper = le_get16(pb + 48);
        r->level = pb[50];
        break;
    case ESEPY_ESE_LRTYP_EMPTYTREE:
        decode_node(pb, r);
        r->cbData = le_get16(pb + 44);
        r->pbData = pv;
        r->cpg = r->cbData / 16;
        break;
    case ESEPY_ESE_LRTYP_SCRUB:
        decode_node(pb, r);
        r->cbData = le_get16(pb + 52);
        r->pbData = pv;
        break;
    case ESEPY_ESE_LRTYP_SPLIT2:
        decode_page(pb, r);
        r->pgnoNew = le_get32(pb + 32);
        r->pgnoRight = le_get32(pb + 36);
        r->dbtimeRightBefore = le_get64(pb + 40);
        r->pgnoParent = le_get32(pb + 48);
        r->dbtimeParentBefore = le_get64(pb + 52);
        r->pgnoFDP = le_get32(pb + 60);
        r->objidFDP = le_get32(pb + 64);
        r->ulSplitMergeType = pb[68];
        r->ulSplitOper = pb[69];
        r->cbKey = le_get16(pb + 100); /* the separator key for the parent */
        r->pbKey = pv;
        r->cbImage = le_get32(pb + 106);
        r->pbImage = pv + r->cbKey + le_get16(pb + 96) + le_get16(pb + 98);
        break;
    case ESEPY_ESE_LRTYP_MERGE2:
        decode_page(pb, r);
        r->pgnoRight = le_get32(pb + 32);
        r->dbtimeRightBefore = le_get64(pb + 36);
        r->pgnoLeft = le_get32(pb + 44);
        r->dbtimeLeftBefore = le_get64(pb + 48);
        r->pgnoParent = le_get32(pb + 56);
        r->dbtimeParentBefore = le_get64(pb + 60);
        r->pgnoFDP = le_get32(pb + 68);
        r->objidFDP = le_get32(pb + 72);
        r->ulSplitMergeType = pb[85];
        r->cbKey = le_get16(pb + 86);
        r->pbKey = pv;
        r->cbImage = le_get32(pb + 92);
        r->pbImage = pv + r->cbKey;
        break;
    case ESEPY_ESE_LRTYP_PAGEMOVE:
        decode_page(pb, r);
        r->pgnoNew = le_get32(pb + 32);
        r->pgnoLeft = le_get32(pb + 36);
        r->pgnoRight = le_get32(pb + 40);
        r->pgnoParent = le_get32(pb + 44);
        r->dbtimeLeftBefore = le_get64(pb + 48);
        r->dbtimeRightBefore = le_get64(pb + 56);
        r->dbtimeParentBefore = le_get64(pb + 64);
        r->pgnoFDP = le_get32(pb + 72);
        r->objidFDP = le_get32(pb + 76);
        r->pbImage = pv;
        r->cbImage = cb - cbFixed;
        break;
    case ESEPY_ESE_LRTYP_PAGEPATCHREQUEST:
        r->fFields |= ESEPY_ESE_LR_DBID | ESEPY_ESE_LR_DBTIME;
        r->dbid = pb[1];
        r->pgno = le_get32(pb + 2);
        r->dbtime = le_get64(pb + 6);
        break;
    case ESEPY_ESE_LRTYP_SHRINKDB: case ESEPY_ESE_LRTYP_SHRINKDB2: case ESEPY_ESE_LRTYP_SHRINKDB3:
        r->fFields |= ESEPY_ESE_LR_DBID;
        r->dbid = pb[1];
        r->pgnoLast = le_get32(pb + 2);
        r->cpg = le_get32(pb + 6);
        if (t == ESEPY_ESE_LRTYP_SHRINKDB3) {
            r->fFields |= ESEPY_ESE_LR_DBTIME;
            r->dbtime = le_get64(pb + 10);
        }
        break;
    case ESEPY_ESE_LRTYP_TRIMDB:
        r->fFields |= ESEPY_ESE_LR_DBID;
        r->dbid = pb[1];
        r->pgno = le_get32(pb + 2);
        r->cpg = le_get32(pb + 6);
        break;
    case ESEPY_ESE_LRTYP_SETDBVERSION:
        r->fFields |= ESEPY_ESE_LR_DBID;
        r->dbid = pb[1];
        r->rgulVersion[0] = le_get32(pb + 2);
        r->rgulVersion[1] = le_get32(pb + 6);
        r->rgulVersion[2] = le_get32(pb + 10);
        break;
    case ESEPY_ESE_LRTYP_NEWPAGE:
        r->fFields |= ESEPY_ESE_LR_PROCID | ESEPY_ESE_LR_DBID | ESEPY_ESE_LR_DBTIME;
        r->procid = le_get16(pb + 1);
        r->dbid = pb[3];
        r->pgno = le_get32(pb + 4);
        r->objidFDP = le_get32(pb + 8);
        r->dbtime = le_get64(pb + 12);
        break;
    case ESEPY_ESE_LRTYP_ROOTPAGEMOVE:
        r->fFields |= ESEPY_ESE_LR_PROCID | ESEPY_ESE_LR_DBID | ESEPY_ESE_LR_DBTIME;
        r->dbtime = le_get64(pb + 1);
        r->dbid = pb[9];
        r->objidFDP = le_get32(pb + 10);
        r->procid = le_get16(pb + 14);
        break;
    case ESEPY_ESE_LRTYP_SIGNALATTACHDB:
        r->fFields |= ESEPY_ESE_LR_DBID;
        r->dbid = pb[1];
        break;
    case ESEPY_ESE_LRTYP_SCANCHECK2:
        r->fFields |= ESEPY_ESE_LR_DBID | ESEPY_ESE_LR_DBTIME;
        r->dbid = pb[1];
        r->pgno = le_get32(pb + 2);
        r->dbtimeBefore = le_get64(pb + 7); /* the page's dbtime as scanned */
        r->dbtime = le_get64(pb + 15);      /* the database's dbtime then */
        break;
    case ESEPY_ESE_LRTYP_EXTENTFREED: case ESEPY_ESE_LRTYP_EXTENTFREED2:
        r->fFields |= ESEPY_ESE_LR_DBID;
        r->dbid = pb[1];
        r->pgno = le_get32(pb + 2);
        r->cpg = le_get32(pb + 6);
        if (t == ESEPY_ESE_LRTYP_EXTENTFREED2) {
            r->fFields |= ESEPY_ESE_LR_DBTIME;
            r->dbtime = le_get64(pb + 11);
        }
        break;
    default:
        break;
    }
    if (lrtyp_ignorable(t)) {
        r->fFields |= ESEPY_ESE_LR_IGNORABLE;
        r->pbData = pv;
        r->cbData = cb - cbFixed;
        if (t == ESEPY_ESE_LRTYP_EXTENDDB && r->cbData >= 5) {
            r->fFields |= ESEPY_ESE_LR_DBID;
            r->dbid = pv[0];
            r->pgnoLast = le_get32(pv + 1);
        } else if (t == ESEPY_ESE_LRTYP_MACROINFO) {
            r->cpg = r->cbData / 4;
        } else if (t == ESEPY_ESE_LRTYP_MACROINFO2 && r->cbData >= 5) {
            r->fFields |= ESEPY_ESE_LR_DBID;
            r->dbid = pv[0];
            r->cpg = le_get32(pv + 1);
        } else if (t == ESEPY_ESE_LRTYP_REATTACH && r->cbData >= 1 + 8 + 8 + 28) {
            r->fFields |= ESEPY_ESE_LR_DBID;
            r->dbid = pv[0];
            esefmt_lgpos(pv + 9, &r->lgposConsistent);
            esefmt_signature(pv + 17, &r->signDb);
        } else if ((t == ESEPY_ESE_LRTYP_COMMITCTX) && r->cbData >= 2) {
            r->fFields |= ESEPY_ESE_LR_PROCID;
            r->procid = le_get16(pv);
        } else if (t == ESEPY_ESE_LRTYP_FREEFDP && r->cbData >= 5) {
            r->fFields |= ESEPY_ESE_LR_DBID;
            r->dbid = pv[0];
            r->pgnoFDP = le_get32(pv + 1);
        }
    }
    return JET_errSuccess;
}

/* ---- the walk ---------------------------------------------------------------------- */

static JET_ERR walk_fail(ESEPY_ESE_LOG *plog, JET_ERR err)
{
    plog->errWalk = err;
    return err;
}

static int fragment_may_interrupt(uint32_t t)
{
    return t == ESEPY_ESE_LRTYP_UNDOINFO || t == ESEPY_ESE_LRTYP_RECOVERYUNDO || t == ESEPY_ESE_LRTYP_RECOVERYUNDO2;
}

static JET_ERR end_of_data(ESEPY_ESE_LOG *plog, const ESEPY_ESE_LGPOS *plgpos)
{
    if (plog->info.endKind == ESEPY_ESE_LOGEND_DAMAGED) {
        log_error(plog, "log generation %d: segment %u is damaged (record walk stopped at (%d,%u,%u))",
                  (int)plog->hdr.lGeneration, plog->info.isecEnd, (int)plgpos->lGeneration, plgpos->isec, plgpos->ib);
        return walk_fail(plog, JET_errLogFileCorrupt);
    }
    if (!plog->fWalkEnded) {
        plog->fWalkEnded = 1;
        uint32_t t = plog->lrtypLast;
        plog->info.fClosedNormally = t == ESEPY_ESE_LRTYP_TERM || t == ESEPY_ESE_LRTYP_TERM2 ||
                                     t == ESEPY_ESE_LRTYP_RECOVERYQUIT || t == ESEPY_ESE_LRTYP_RECOVERYQUIT2 ||
                                     t == ESEPY_ESE_LRTYP_RECOVERYQUITKEEPATTACHMENTS;
    }
    return JET_errNoCurrentRecord;
}

JET_ERR EsepyEseLogNextRecord(ESEPY_ESE_LOG *plog, ESEPY_ESE_LOGRECORD *prec)
{
    if (plog == NULL || prec == NULL)
        return JET_errInvalidParameter;
    memset(prec, 0, sizeof(*prec));
    prec->cbStruct = sizeof(*prec);
    if (plog->errWalk < 0)
        return plog->errWalk;
    const int32_t gen = plog->hdr.lGeneration;
    for (;;) {
        if (plog->ibWalk >= LG_CBSEC) {
            plog->isecWalk++;
            plog->ibWalk = LG_CBSEGHDR;
        }
        ESEPY_ESE_LGPOS lgpos = { gen, (uint16_t)plog->isecWalk, (uint16_t)(plog->ibWalk == LG_CBSEGHDR ? 0 : plog->ibWalk) };
        if (plog->isecWalk >= plog->info.isecEnd)
            return end_of_data(plog, &lgpos);
        const uint8_t *pbSeg = plog->rgpbSeg[plog->isecWalk];
        const uint8_t *pb = pbSeg + plog->ibWalk;
        uint32_t cbAvail = LG_CBSEC - plog->ibWalk;
        uint32_t t = pb[0];
        if (t == ESEPY_ESE_LRTYP_NOP) {
            plog->ibWalk++;
            continue;
        }
        prec->lrtyp = t;
        prec->szName = EsepyEseLrtypName(t);
        prec->lgpos = lgpos;
        const char *szWhy = lrtyp_refusal(t);
        if (szWhy != NULL) {
            if (t < ESEPY_ESE_LRTYP_MAX)
                log_error(plog, "record type %u (%s) at (%d,%u,%u) is %s", t, rgszLrtyp[t], (int)gen, lgpos.isec, lgpos.ib, szWhy);
            else
                log_error(plog, "record type %u at (%d,%u,%u) is unknown (types end at %u)", t, (int)gen, lgpos.isec,
                          lgpos.ib, ESEPY_ESE_LRTYP_MAX - 1);
            return walk_fail(plog, JET_errLogCorrupted);
        }
        if (t == ESEPY_ESE_LRTYP_FRAGMENT) {
            log_error(plog, "fragment continuation at (%d,%u,%u) without its FragmentBegin", (int)gen, lgpos.isec, lgpos.ib);
            return walk_fail(plog, JET_errLogCorrupted);
        }
        if (rgcbFixed[t] > cbAvail) {
            log_error(plog, "%s record at (%d,%u,%u) runs past the end of its segment", rgszLrtyp[t], (int)gen, lgpos.isec, lgpos.ib);
            return walk_fail(plog, JET_errLogCorrupted);
        }
        uint64_t cb = lr_size(pb);
        if (cb > cbAvail) {
            log_error(plog, "%s record at (%d,%u,%u) of %llu bytes runs past the end of its segment", rgszLrtyp[t], (int)gen,
                      lgpos.isec, lgpos.ib, (unsigned long long)cb);
            return walk_fail(plog, JET_errLogCorrupted);
        }
        if (t != ESEPY_ESE_LRTYP_FRAGMENTBEGIN) {
            JET_ERR err = decode(plog, pb, (uint32_t)cb, prec);
            if (err < 0)
                return walk_fail(plog, err);
            plog->ibWalk += (uint32_t)cb;
            if (t != ESEPY_ESE_LRTYP_NOP2)
                plog->lrtypLast = t;
            return JET_errSuccess;
        }
        /* a fragmented record: FragmentBegin fills its segment, each next
         * segment starts with a Fragment piece until the total is reached */
        uint32_t cbTotal = le_get32(pb + 1), cbPiece = le_get16(pb + 5);
        if (cbTotal > LG_MAXRECORD || cbPiece == 0 || cbPiece >= cbTotal || 7u + cbPiece != cbAvail) {
            log_error(plog, "FragmentBegin at (%d,%u,%u): total %u and first piece %u are inconsistent (the piece must "
                      "fill its segment)", (int)gen, lgpos.isec, lgpos.ib, cbTotal, cbPiece);
            return walk_fail(plog, JET_errLogCorrupted);
        }
        if (cbTotal > plog->cbAsmMax) {
            uint8_t *pbNew = os_realloc(plog->pbAsm, cbTotal);
            if (pbNew == NULL)
                return walk_fail(plog, JET_errOutOfMemory);
            plog->pbAsm = pbNew;
            plog->cbAsmMax = cbTotal;
        }
        memcpy(plog->pbAsm, pb + 7, cbPiece);
        uint32_t cbHave = cbPiece, cfragment = 1;
        uint32_t isec = plog->isecWalk;
        while (cbHave < cbTotal) {
            isec++;
            ESEPY_ESE_LGPOS lgposNext = { gen, (uint16_t)isec, 0 };
            if (isec >= plog->info.isecEnd) {
                if (plog->info.endKind == ESEPY_ESE_LOGEND_DAMAGED) {
                    plog->isecWalk = isec;
                    return end_of_data(plog, &lgposNext);
                }
                log_error(plog, "fragmented %s record at (%d,%u,%u) is incomplete: the log data ends at (%d,%u,0)",
                          EsepyEseLrtypName(plog->pbAsm[0]) ? EsepyEseLrtypName(plog->pbAsm[0]) : "?", (int)gen, lgpos.isec,
                          lgpos.ib, (int)gen, isec);
                return walk_fail(plog, JET_errLogCorrupted);
            }
            const uint8_t *pbF = plog->rgpbSeg[isec] + LG_CBSEGHDR;
            if (fragment_may_interrupt(pbF[0])) {
                /* a torn tail: the partial record is dropped, reading goes on there */
                plog->isecWalk = isec;
                plog->ibWalk = LG_CBSEGHDR;
                cbHave = 0;
                break;
            }
            uint32_t cbF = le_get16(pbF + 1);
            /* a piece is the rest of the record, or fills its whole segment */
            if (pbF[0] != ESEPY_ESE_LRTYP_FRAGMENT || cbF == 0 || cbF > cbTotal - cbHave ||
                cbF > LG_CBSEC - LG_CBSEGHDR - 3 || (cbF < cbTotal - cbHave && cbF != LG_CBSEC - LG_CBSEGHDR - 3)) {
                log_error(plog, "fragmented record at (%d,%u,%u): segment %u does not continue it", (int)gen, lgpos.isec, lgpos.ib,
                          isec);
                return walk_fail(plog, JET_errLogCorrupted);
            }
            memcpy(plog->pbAsm + cbHave, pbF + 3, cbF);
            cbHave += cbF;
            cfragment++;
            plog->isecWalk = isec;
            plog->ibWalk = LG_CBSEGHDR + 3 + cbF;
        }
        if (cbHave == 0)
            continue; /* dropped torn record */
        uint32_t tA = plog->pbAsm[0];
        const char *szWhyA = lrtyp_refusal(tA);
        if (szWhyA != NULL || tA == ESEPY_ESE_LRTYP_FRAGMENT || tA == ESEPY_ESE_LRTYP_FRAGMENTBEGIN || rgcbFixed[tA] > cbTotal ||
            lr_size(plog->pbAsm) != cbTotal) {
            prec->lrtyp = tA;
            prec->szName = EsepyEseLrtypName(tA);
            if (szWhyA != NULL && tA < ESEPY_ESE_LRTYP_MAX)
                log_error(plog, "fragmented record at (%d,%u,%u): type %u (%s) is %s", (int)gen, lgpos.isec, lgpos.ib, tA,
                          rgszLrtyp[tA], szWhyA);
            else if (szWhyA != NULL)
                log_error(plog, "fragmented record at (%d,%u,%u): type %u is unknown", (int)gen, lgpos.isec, lgpos.ib, tA);
            else
                log_error(plog, "fragmented %s record at (%d,%u,%u): reassembled %u bytes, its fields say otherwise",
                          rgszLrtyp[tA], (int)gen, lgpos.isec, lgpos.ib, cbTotal);
            return walk_fail(plog, JET_errLogCorrupted);
        }
        JET_ERR err = decode(plog, plog->pbAsm, cbTotal, prec);
        if (err < 0)
            return walk_fail(plog, err);
        prec->lgpos = lgpos;
        prec->fFields |= ESEPY_ESE_LR_FRAGMENTED;
        prec->cfragment = cfragment;
        if (tA != ESEPY_ESE_LRTYP_NOP2)
            plog->lrtypLast = tA;
        return JET_errSuccess;
    }
}
