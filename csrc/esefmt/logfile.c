/*
 * logfile.c -- headers of ESE transaction logs (generation, signature,
 * creation and previous-generation times, version, attached databases) and
 * of checkpoint files (both copies), and the survey of a log folder for
 * missing or out-of-sequence generations.
 * Must not touch: log records (not decoded here), any database, any file's
 * contents (read-only opens through csrc/os).
 * Invariants: the attachment list is parsed within its 2048-byte area and
 * each entry's name length is checked against it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "esefmt_int.h"

#define HDR_CB        4096u
#define ATTACH_AREA   2048u
#define ATTACH_FIXED  64u

void esefmt_utf16_to_utf8(const uint8_t *pb, uint32_t cb, char *sz, size_t cbMax)
{
    size_t n = 0;
    for (uint32_t i = 0; i + 1 < cb; i += 2) {
        uint32_t c = le_get16(pb + i);
        if (c == 0)
            break;
        if (c >= 0xD800 && c < 0xDC00 && i + 3 < cb) {
            uint32_t c2 = le_get16(pb + i + 2);
            if (c2 >= 0xDC00 && c2 < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (c2 - 0xDC00);
                i += 2;
            }
        }
        if (c >= 0xD800 && c < 0xE000)
            c = 0xFFFD;
        uint8_t rgb[4];
        size_t k;
        if (c < 0x80) {
            rgb[0] = (uint8_t)c;
            k = 1;
        } else if (c < 0x800) {
            rgb[0] = (uint8_t)(0xC0 | (c >> 6));
            rgb[1] = (uint8_t)(0x80 | (c & 0x3F));
            k = 2;
        } else if (c < 0x10000) {
            rgb[0] = (uint8_t)(0xE0 | (c >> 12));
            rgb[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
            rgb[2] = (uint8_t)(0x80 | (c & 0x3F));
            k = 3;
        } else {
            rgb[0] = (uint8_t)(0xF0 | (c >> 18));
            rgb[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
            rgb[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
            rgb[3] = (uint8_t)(0x80 | (c & 0x3F));
            k = 4;
        }
        if (n + k + 1 > cbMax)
            break;
        memcpy(sz + n, rgb, k);
        n += k;
    }
    sz[n] = '\0';
}

static uint32_t parse_attach(const uint8_t *pb, ESEPY_ESE_ATTACHINFO *rg)
{
    uint32_t c = 0, ib = 0;
    while (c < ESEPY_ESE_ATTACH_MAX && ib + ATTACH_FIXED <= ATTACH_AREA && pb[ib] != 0) {
        ESEPY_ESE_ATTACHINFO *pa = &rg[c];
        memset(pa, 0, sizeof(*pa));
        pa->dbid = pb[ib];
        pa->fFlags = pb[ib + 1];
        uint32_t cbNames = le_get16(pb + ib + 2);
        pa->dbtime = le_get64(pb + ib + 4);
        pa->objidLast = le_get32(pb + ib + 12);
        pa->cpgDatabaseSizeMax = le_get32(pb + ib + 16);
        esefmt_lgpos(pb + ib + 20, &pa->lgposAttach);
        esefmt_lgpos(pb + ib + 28, &pa->lgposConsistent);
        esefmt_signature(pb + ib + 36, &pa->signDb);
        if (cbNames > ATTACH_AREA - ib - ATTACH_FIXED)
            cbNames = ATTACH_AREA - ib - ATTACH_FIXED;
        const uint8_t *pbName = pb + ib + ATTACH_FIXED;
        if (pa->fFlags & 0x20) {
            esefmt_utf16_to_utf8(pbName, cbNames, pa->szName, sizeof(pa->szName));
        } else {
            size_t n = 0;
            for (uint32_t i = 0; i < cbNames && pbName[i] && n + 1 < sizeof(pa->szName); i++)
                pa->szName[n++] = (char)pbName[i];
            pa->szName[n] = '\0';
        }
        c++;
        ib += ATTACH_FIXED + cbNames;
    }
    return c;
}

static JET_ERR read_head(const char *szPath, uint8_t *pb, uint32_t cb, uint64_t *pcbFile)
{
    os_file *pf = NULL;
    JET_ERR err = os_file_open(szPath, OS_FILE_READ, &pf); /* read-only */
    if (err < 0)
        return err;
    err = os_file_size(pf, pcbFile);
    size_t cbRead = 0;
    if (err >= 0)
        err = os_file_read(pf, 0, pb, cb, &cbRead);
    os_file_close(pf);
    if (err < 0)
        return err;
    if (cbRead < cb)
        memset(pb + cbRead, 0, cb - cbRead);
    return cbRead < HDR_CB ? JET_errFileInvalidType : JET_errSuccess;
}

JET_ERR EsepyEseReadLogHeader(const char *szPath, ESEPY_ESE_LOGHEADER *phdr)
{
    if (szPath == NULL || phdr == NULL)
        return JET_errInvalidParameter;
    memset(phdr, 0, sizeof(*phdr));
    phdr->cbStruct = sizeof(*phdr);
    uint8_t *pb = os_malloc(HDR_CB);
    if (pb == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = read_head(szPath, pb, HDR_CB, &phdr->cbFile);
    if (err < 0)
        goto done;
    phdr->fAllZero = 1;
    for (uint32_t i = 0; i < HDR_CB; i++)
        if (pb[i]) {
            phdr->fAllZero = 0;
            break;
        }
    if (phdr->fAllZero) {
        err = JET_errFileInvalidType;
        goto done;
    }
    phdr->ulChecksum = le_get32(pb);
    phdr->ulChecksumComputed = esefmt_checksum_xor(pb, HDR_CB);
    phdr->fChecksumValid = phdr->ulChecksum == phdr->ulChecksumComputed;
    phdr->lGeneration = (int32_t)le_get32(pb + 4);
    phdr->cbSec = le_get16(pb + 8);
    phdr->csecHeader = le_get16(pb + 10);
    phdr->csecLGFile = le_get16(pb + 12);
    phdr->cbPageSize = le_get16(pb + 14) ? le_get16(pb + 14) : 4096u;
    esefmt_logtime(pb + 16, &phdr->tmCreate);
    esefmt_logtime(pb + 24, &phdr->tmPrevGen);
    phdr->ulMajor = le_get32(pb + 32);
    phdr->ulMinor = le_get32(pb + 36);
    phdr->ulUpdateMajor = le_get32(pb + 40);
    esefmt_signature(pb + 44, &phdr->signLog);
    phdr->fLGFlags = pb[639];
    esefmt_lgpos(pb + 640, &phdr->lgposCheckpoint);
    phdr->ulUpdateMinor = le_get32(pb + 648);
    phdr->checksumPrevLogAllSegments = le_get64(pb + 653);
    phdr->efvEngine = le_get32(pb + 661);
    phdr->filetype = le_get32(pb + 667);
    phdr->cattach = parse_attach(pb + 671, phdr->rgattach);
    if (phdr->filetype != JET_filetypeLog && !(phdr->filetype == 0 && phdr->fChecksumValid))
        err = JET_errFileInvalidType;
    else if (!phdr->fChecksumValid)
        err = JET_errLogFileCorrupt;
done:
    os_free(pb);
    return err;
}

JET_ERR EsepyEseReadCheckpoint(const char *szPath, ESEPY_ESE_CHECKPOINT *pchk)
{
    if (szPath == NULL || pchk == NULL)
        return JET_errInvalidParameter;
    memset(pchk, 0, sizeof(*pchk));
    pchk->cbStruct = sizeof(*pchk);
    uint8_t *pb = os_malloc(2 * HDR_CB);
    if (pb == NULL)
        return JET_errOutOfMemory;
    uint64_t cbFile = 0;
    JET_ERR err = read_head(szPath, pb, 2 * HDR_CB, &cbFile);
    if (err < 0)
        goto done;
    int cCopies = cbFile >= 2 * HDR_CB ? 2 : 1;
    int fTypeSeen = 0;
    for (int i = 0; i < cCopies; i++) {
        const uint8_t *p = pb + (size_t)i * HDR_CB;
        pchk->ulChecksum[i] = le_get32(p);
        pchk->ulChecksumComputed[i] = esefmt_checksum_xor(p, HDR_CB);
        uint32_t ft = le_get32(p + 667);
        fTypeSeen |= ft == JET_filetypeCheckpoint;
        pchk->fValid[i] = pchk->ulChecksum[i] == pchk->ulChecksumComputed[i] && (ft == JET_filetypeCheckpoint || ft == 0);
    }
    if (!pchk->fValid[0] && !pchk->fValid[1]) {
        err = fTypeSeen ? JET_errCheckpointCorrupt : JET_errFileInvalidType;
        goto done;
    }
    pchk->iCopyUsed = pchk->fValid[0] ? 0 : 1;
    const uint8_t *p = pb + (size_t)pchk->iCopyUsed * HDR_CB;
    esefmt_lgpos(p + 4, &pchk->lgposLastFullBackupCheckpoint);
    esefmt_lgpos(p + 12, &pchk->lgposCheckpoint);
    esefmt_signature(p + 20, &pchk->signLog);
    pchk->fVersion = p[647];
    esefmt_lgpos(p + 648, &pchk->lgposDbConsistency);
    pchk->filetype = le_get32(p + 667);
    pchk->cattach = parse_attach(p + 679, pchk->rgattach);
    err = JET_errSuccess;
done:
    os_free(pb);
    return err;
}

/* ---- log folder survey ----------------------------------------------------------- */

typedef struct {
    char   **rgsz;
    uint32_t c, cMax;
} name_list;

static JET_ERR collect_name(const char *szName, void *pv)
{
    name_list *pl = pv;
    size_t cch = strlen(szName);
    if (cch >= 256)
        return JET_errSuccess;
    if (pl->c == pl->cMax) {
        if (pl->cMax >= 1u << 20)
            return JET_errSuccess; /* absurd folder: stop listing */
        uint32_t cNew = pl->cMax ? pl->cMax * 2 : 32;
        char **rg = os_realloc(pl->rgsz, cNew * sizeof(char *));
        if (rg == NULL)
            return JET_errOutOfMemory;
        pl->rgsz = rg;
        pl->cMax = cNew;
    }
    char *sz = os_strdup(szName);
    if (sz == NULL)
        return JET_errOutOfMemory;
    pl->rgsz[pl->c++] = sz;
    return JET_errSuccess;
}

static int ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

static int ends_with(const char *sz, const char *szSuffix)
{
    size_t a = strlen(sz), b = strlen(szSuffix);
    return a >= b && ieq(sz + a - b, szSuffix, b);
}

/* Role of file szName for base szBase, and the generation in its name. */
static int classify(const char *szName, const char *szBase, int32_t *plGen)
{
    size_t cchBase = strlen(szBase), cch = strlen(szName);
    *plGen = 0;
    if (cch < cchBase || !ieq(szName, szBase, cchBase))
        return 0;
    const char *szRest = szName + cchBase;
    size_t cchRest = cch - cchBase;
    if (ends_with(szRest, ".jrs") && cchRest > 7 && ieq(szRest, "res", 3))
        return ESEPY_ESE_LOGROLE_RESERVE;
    if (!ends_with(szRest, ".log") && !ends_with(szRest, ".jtx"))
        return 0;
    size_t cchStem = cchRest - 4;
    if (cchStem == 0)
        return ESEPY_ESE_LOGROLE_CURRENT;
    if (cchStem == 3 && ieq(szRest, "tmp", 3))
        return ESEPY_ESE_LOGROLE_TMP;
    if (cchStem == 5 || cchStem == 8) {
        uint32_t gen = 0;
        for (size_t i = 0; i < cchStem; i++) {
            int c = tolower((unsigned char)szRest[i]);
            if (c >= '0' && c <= '9')
                gen = gen * 16 + (uint32_t)(c - '0');
            else if (c >= 'a' && c <= 'f')
                gen = gen * 16 + (uint32_t)(c - 'a' + 10);
            else
                return 0;
        }
        *plGen = (int32_t)gen;
        return ESEPY_ESE_LOGROLE_ARCHIVED;
    }
    return 0;
}

static int same_time(const ESEPY_ESE_TIME *a, const ESEPY_ESE_TIME *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
           a->minute == b->minute && a->second == b->second && a->millisecond == b->millisecond;
}

static int cmp_logfile(const void *pa, const void *pb)
{
    const ESEPY_ESE_LOGFILEINFO *a = pa, *b = pb;
    int ra = a->role >= ESEPY_ESE_LOGROLE_TMP, rb = b->role >= ESEPY_ESE_LOGROLE_TMP;
    if (ra != rb)
        return ra - rb;
    if (a->lGeneration != b->lGeneration)
        return a->lGeneration < b->lGeneration ? -1 : 1;
    return strcmp(a->szFile, b->szFile);
}

JET_ERR EsepyEseScanLogFolder(const char *szDir, const char *szBase, ESEPY_ESE_LOGFILEINFO *rgfile,
                              uint32_t cfileMax, uint32_t *pcfile)
{
    if (szDir == NULL || pcfile == NULL || (rgfile == NULL && cfileMax > 0))
        return JET_errInvalidParameter;
    if (!os_is_dir(szDir))
        return JET_errInvalidPath;
    name_list names = { NULL, 0, 0 };
    ESEPY_ESE_LOGFILEINFO *rg = NULL;
    ESEPY_ESE_LOGHEADER *phdr = os_malloc(sizeof(*phdr));
    char *szPath = os_malloc(OS_PATH_MAX);
    JET_ERR err = (phdr && szPath) ? os_list_dir(szDir, collect_name, &names) : JET_errOutOfMemory;
    if (err < 0)
        goto done;
    char szBaseFound[16] = "";
    if (szBase == NULL || szBase[0] == '\0') {
        /* the base of a checkpoint ("B.chk") or current log ("B.log") */
        for (int pass = 0; pass < 2 && szBaseFound[0] == '\0'; pass++)
            for (uint32_t i = 0; i < names.c; i++) {
                size_t cch = strlen(names.rgsz[i]);
                if (cch == 7 && ends_with(names.rgsz[i], pass == 0 ? ".chk" : ".log")) {
                    memcpy(szBaseFound, names.rgsz[i], 3);
                    szBaseFound[3] = '\0';
                    break;
                }
            }
        if (szBaseFound[0] == '\0') /* only archived logs: "B" + 5 hex digits */
            for (uint32_t i = 0; i < names.c; i++)
                if (strlen(names.rgsz[i]) == 12 && ends_with(names.rgsz[i], ".log")) {
                    memcpy(szBaseFound, names.rgsz[i], 3);
                    szBaseFound[3] = '\0';
                    break;
                }
        szBase = szBaseFound;
    }
    rg = os_calloc(names.c ? names.c : 1, sizeof(*rg));
    if (rg == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    uint32_t c = 0;
    for (uint32_t i = 0; i < names.c && szBase[0]; i++) {
        int32_t lGen;
        int role = classify(names.rgsz[i], szBase, &lGen);
        if (role == 0)
            continue;
        ESEPY_ESE_LOGFILEINFO *pi = &rg[c++];
        snprintf(pi->szFile, sizeof(pi->szFile), "%s", names.rgsz[i]);
        pi->role = role;
        pi->lGenerationFromName = lGen;
        snprintf(szPath, OS_PATH_MAX, "%s/%s", szDir, names.rgsz[i]);
        pi->errHeader = EsepyEseReadLogHeader(szPath, phdr);
        if (pi->errHeader >= 0 || pi->errHeader == JET_errLogFileCorrupt) {
            pi->lGeneration = phdr->lGeneration;
            pi->tmCreate = phdr->tmCreate;
            pi->tmPrevGen = phdr->tmPrevGen;
            pi->ulSignRandom = phdr->signLog.ulRandom;
        }
        pi->fNameMatches = role != ESEPY_ESE_LOGROLE_ARCHIVED || pi->lGeneration == lGen;
    }
    qsort(rg, c, sizeof(*rg), cmp_logfile);
    /* reference signature: the current log's, else the first readable one */
    const ESEPY_ESE_LOGFILEINFO *pref = NULL;
    for (uint32_t i = 0; i < c; i++)
        if (rg[i].role == ESEPY_ESE_LOGROLE_CURRENT && rg[i].errHeader >= 0)
            pref = &rg[i];
    for (uint32_t i = 0; i < c && pref == NULL; i++)
        if (rg[i].role <= ESEPY_ESE_LOGROLE_CURRENT && rg[i].errHeader >= 0)
            pref = &rg[i];
    for (uint32_t i = 0; i < c; i++) {
        ESEPY_ESE_LOGFILEINFO *pi = &rg[i];
        pi->fSignMatches = pref != NULL && pi->errHeader >= 0 && pi->ulSignRandom == pref->ulSignRandom;
        pi->fPrevGenLinked = -1; /* unknown: no predecessor present */
        if (pi->role > ESEPY_ESE_LOGROLE_CURRENT || pi->errHeader < 0)
            continue;
        for (uint32_t j = 0; j < c; j++)
            if (rg[j].role <= ESEPY_ESE_LOGROLE_CURRENT && rg[j].errHeader >= 0 && (int64_t)rg[j].lGeneration + 1 == (int64_t)pi->lGeneration)
                pi->fPrevGenLinked = same_time(&pi->tmPrevGen, &rg[j].tmCreate);
    }
    for (uint32_t i = 0; i < c && i < cfileMax; i++)
        rgfile[i] = rg[i];
    *pcfile = c;
    err = JET_errSuccess;
done:
    for (uint32_t i = 0; i < names.c; i++)
        os_free(names.rgsz[i]);
    os_free(names.rgsz);
    os_free(rg);
    os_free(phdr);
    os_free(szPath);
    return err;
}
