/*
 * dbheader.c -- the database header (cache.h "database header"): its on-disk
 * layout, the two copies (A at offset 0, B at offset cbPage), reading
 * whichever copy is valid, and JET_DBINFOMISC.
 *
 * Owns: the byte layout below and the validation order of db_header_read.
 * Must not touch: data pages or the page cache's frames (cache.c), the
 * meaning of the header's fields (dbstate transitions, log ranges: isam/log
 * decide them; this file stores and returns them verbatim).
 *
 * On-disk layout of one header copy: a cbPage-sized block, little-endian.
 *
 *   offset size  field
 *        0    4  crc32c (seed 0) of bytes 4..cbPage-1
 *        4    4  magic            DB_MAGIC
 *        8    4  version          1, or DB_FORMAT_VERSION when incompat != 0 (F1)
 *       12    4  cbPage           4096 / 8192 / 16384 / 32768
 *       16    4  filetype         JET_filetypeDatabase (1) or TempDatabase (5)
 *       20   28  signDb           SIGNATURE
 *       48    4  dbstate          JET_dbstate*
 *       52   28  signLog          SIGNATURE
 *       80    8  lsnConsistent    lsn_t
 *       88    8  tmConsistent     LOGTIME
 *       96    8  lsnAttach
 *      104    8  tmAttach
 *      112    8  lsnDetach
 *      120    8  tmDetach
 *      128    4  genMinRequired   i32
 *      132    4  genMaxRequired   i32
 *      136    4  genMaxCommitted  i32
 *      140   24  bkinfoFullPrev   BKINFO
 *      164   24  bkinfoIncPrev
 *      188   24  bkinfoFullCur
 *      212   24  bkinfoCopyPrev
 *      236   24  bkinfoDiffPrev
 *      260    4  dbid
 *      264    4  flags            DB_FLAG_*
 *      268    4  objidLast
 *      272    4  cpgOwned
 *      276    4  pgnoSpace
 *      280    4  pgnoCatalog
 *      284    4  incompat         DB_INCOMPAT_* (0 in files of format version 1)
 *      288    8  dbtime
 *      296    8  lsnPageMax       lsn_t, 0 = not recorded (files written
 *                                  before it existed; older builds write 0)
 *      304  ...  zero up to cbPage (reserved; covered by the crc)
 *
 *   SIGNATURE (28) = ulRandom u32, logtimeCreate LOGTIME, szComputerName[16]
 *   LOGTIME   (8)  = the 8 bytes of JET_LOGTIME as they are in memory
 *   BKINFO    (24) = lgposMark (ib u16, isec u16, lGeneration i32),
 *                    logtimeMark LOGTIME, genLow u32, genHigh u32
 *
 * Invariants:
 *   H1. Both copies are written whole, with their crc, A then B, each
 *       followed by fdatasync: a crash during db_header_write leaves at least
 *       one copy valid (the old one or the new one).
 *   H2. A copy is used only when its magic is DB_MAGIC, its stored page size
 *       is one of the four (and, for copy B, equals its offset), and its crc
 *       over the whole stored page size checks out.
 */
#include <string.h>

#include "cache.h"
#include "cache_int.h"

#define HDR_OFF_CRC             0
#define HDR_OFF_MAGIC           4
#define HDR_OFF_VERSION         8
#define HDR_OFF_CBPAGE          12
#define HDR_OFF_FILETYPE        16
#define HDR_OFF_SIGNDB          20
#define HDR_OFF_DBSTATE         48
#define HDR_OFF_SIGNLOG         52
#define HDR_OFF_LSNCONSISTENT   80
#define HDR_OFF_TMCONSISTENT    88
#define HDR_OFF_LSNATTACH       96
#define HDR_OFF_TMATTACH        104
#define HDR_OFF_LSNDETACH       112
#define HDR_OFF_TMDETACH        120
#define HDR_OFF_GENMINREQUIRED  128
#define HDR_OFF_GENMAXREQUIRED  132
#define HDR_OFF_GENMAXCOMMITTED 136
#define HDR_OFF_BKFULLPREV      140
#define HDR_OFF_BKINCPREV       164
#define HDR_OFF_BKFULLCUR       188
#define HDR_OFF_BKCOPYPREV      212
#define HDR_OFF_BKDIFFPREV      236
#define HDR_OFF_DBID            260
#define HDR_OFF_FLAGS           264
#define HDR_OFF_OBJIDLAST       268
#define HDR_OFF_CPGOWNED        272
#define HDR_OFF_PGNOSPACE       276
#define HDR_OFF_PGNOCATALOG     280
#define HDR_OFF_INCOMPAT        284
#define HDR_OFF_DBTIME          288
#define HDR_OFF_LSNPAGEMAX      296
#define HDR_CB_USED             304

#define HDR_CB_LOGTIME   8
#define HDR_CB_SIGNATURE 28
#define HDR_CB_BKINFO    24

/* JET_DBINFOMISC.ulVersion: ESE's database format major version, which
 * applications test; our own format revision goes to ulUpdate. */
#define DB_MISC_VERSION 0x620

_Static_assert(sizeof(JET_LOGTIME) == HDR_CB_LOGTIME, "JET_LOGTIME is 8 bytes");
_Static_assert(HDR_CB_USED <= CACHE_CB_PAGE_MIN, "header fits the first 4096 bytes");

/* ---- field codecs ---------------------------------------------------------- */

static void put_logtime(uint8_t *p, const JET_LOGTIME *plt)
{
    le_put_logtime(p, plt);
}

static void get_logtime(const uint8_t *p, JET_LOGTIME *plt)
{
    le_get_logtime(p, plt);
}

static void put_signature(uint8_t *p, const JET_SIGNATURE *ps)
{
    le_put_signature(p, ps);
}

static void get_signature(const uint8_t *p, JET_SIGNATURE *ps)
{
    le_get_signature(p, ps);
    ps->szComputerName[JET_MAX_COMPUTERNAME_LENGTH] = '\0';
}

static void put_bkinfo(uint8_t *p, const JET_BKINFO *pbk)
{
    le_put16(p, pbk->lgposMark.ib);
    le_put16(p + 2, pbk->lgposMark.isec);
    le_put32(p + 4, (uint32_t)pbk->lgposMark.lGeneration);
    put_logtime(p + 8, &pbk->logtimeMark);
    le_put32(p + 16, pbk->genLow);
    le_put32(p + 20, pbk->genHigh);
}

static void get_bkinfo(const uint8_t *p, JET_BKINFO *pbk)
{
    memset(pbk, 0, sizeof(*pbk));
    pbk->lgposMark.ib = le_get16(p);
    pbk->lgposMark.isec = le_get16(p + 2);
    pbk->lgposMark.lGeneration = (int32_t)le_get32(p + 4);
    get_logtime(p + 8, &pbk->logtimeMark);
    pbk->genLow = le_get32(p + 16);
    pbk->genHigh = le_get32(p + 20);
}

/* Serialise into a zeroed block of phdr->cbPage bytes (crc included). */
static void hdr_encode(const db_header *phdr, uint8_t *pv)
{
    le_put32(pv + HDR_OFF_MAGIC, DB_MAGIC);
    le_put32(pv + HDR_OFF_VERSION, phdr->version);
    le_put32(pv + HDR_OFF_CBPAGE, phdr->cbPage);
    le_put32(pv + HDR_OFF_FILETYPE, phdr->filetype);
    put_signature(pv + HDR_OFF_SIGNDB, &phdr->signDb);
    le_put32(pv + HDR_OFF_DBSTATE, phdr->dbstate);
    put_signature(pv + HDR_OFF_SIGNLOG, &phdr->signLog);
    le_put64(pv + HDR_OFF_LSNCONSISTENT, phdr->lsnConsistent);
    put_logtime(pv + HDR_OFF_TMCONSISTENT, &phdr->tmConsistent);
    le_put64(pv + HDR_OFF_LSNATTACH, phdr->lsnAttach);
    put_logtime(pv + HDR_OFF_TMATTACH, &phdr->tmAttach);
    le_put64(pv + HDR_OFF_LSNDETACH, phdr->lsnDetach);
    put_logtime(pv + HDR_OFF_TMDETACH, &phdr->tmDetach);
    le_put32(pv + HDR_OFF_GENMINREQUIRED, (uint32_t)phdr->genMinRequired);
    le_put32(pv + HDR_OFF_GENMAXREQUIRED, (uint32_t)phdr->genMaxRequired);
    le_put32(pv + HDR_OFF_GENMAXCOMMITTED, (uint32_t)phdr->genMaxCommitted);
    put_bkinfo(pv + HDR_OFF_BKFULLPREV, &phdr->bkinfoFullPrev);
    put_bkinfo(pv + HDR_OFF_BKINCPREV, &phdr->bkinfoIncPrev);
    put_bkinfo(pv + HDR_OFF_BKFULLCUR, &phdr->bkinfoFullCur);
    put_bkinfo(pv + HDR_OFF_BKCOPYPREV, &phdr->bkinfoCopyPrev);
    put_bkinfo(pv + HDR_OFF_BKDIFFPREV, &phdr->bkinfoDiffPrev);
    le_put32(pv + HDR_OFF_DBID, phdr->dbid);
    le_put32(pv + HDR_OFF_FLAGS, phdr->flags);
    le_put32(pv + HDR_OFF_OBJIDLAST, phdr->objidLast);
    le_put32(pv + HDR_OFF_CPGOWNED, phdr->cpgOwned);
    le_put32(pv + HDR_OFF_PGNOSPACE, phdr->pgnoSpace);
    le_put32(pv + HDR_OFF_PGNOCATALOG, phdr->pgnoCatalog);
    le_put32(pv + HDR_OFF_INCOMPAT, phdr->incompat);
    le_put64(pv + HDR_OFF_DBTIME, phdr->dbtime);
    le_put64(pv + HDR_OFF_LSNPAGEMAX, phdr->lsnPageMax);
    le_put32(pv + HDR_OFF_CRC, cache_block_crc(pv, phdr->cbPage, 0));
}

static void hdr_decode(const uint8_t *pv, db_header *phdr)
{
    memset(phdr, 0, sizeof(*phdr));
    phdr->version = le_get32(pv + HDR_OFF_VERSION);
    phdr->cbPage = le_get32(pv + HDR_OFF_CBPAGE);
    phdr->filetype = le_get32(pv + HDR_OFF_FILETYPE);
    get_signature(pv + HDR_OFF_SIGNDB, &phdr->signDb);
    phdr->dbstate = le_get32(pv + HDR_OFF_DBSTATE);
    get_signature(pv + HDR_OFF_SIGNLOG, &phdr->signLog);
    phdr->lsnConsistent = le_get64(pv + HDR_OFF_LSNCONSISTENT);
    get_logtime(pv + HDR_OFF_TMCONSISTENT, &phdr->tmConsistent);
    phdr->lsnAttach = le_get64(pv + HDR_OFF_LSNATTACH);
    get_logtime(pv + HDR_OFF_TMATTACH, &phdr->tmAttach);
    phdr->lsnDetach = le_get64(pv + HDR_OFF_LSNDETACH);
    get_logtime(pv + HDR_OFF_TMDETACH, &phdr->tmDetach);
    phdr->genMinRequired = (int32_t)le_get32(pv + HDR_OFF_GENMINREQUIRED);
    phdr->genMaxRequired = (int32_t)le_get32(pv + HDR_OFF_GENMAXREQUIRED);
    phdr->genMaxCommitted = (int32_t)le_get32(pv + HDR_OFF_GENMAXCOMMITTED);
    get_bkinfo(pv + HDR_OFF_BKFULLPREV, &phdr->bkinfoFullPrev);
    get_bkinfo(pv + HDR_OFF_BKINCPREV, &phdr->bkinfoIncPrev);
    get_bkinfo(pv + HDR_OFF_BKFULLCUR, &phdr->bkinfoFullCur);
    get_bkinfo(pv + HDR_OFF_BKCOPYPREV, &phdr->bkinfoCopyPrev);
    get_bkinfo(pv + HDR_OFF_BKDIFFPREV, &phdr->bkinfoDiffPrev);
    phdr->dbid = le_get32(pv + HDR_OFF_DBID);
    phdr->flags = le_get32(pv + HDR_OFF_FLAGS);
    phdr->objidLast = le_get32(pv + HDR_OFF_OBJIDLAST);
    phdr->cpgOwned = le_get32(pv + HDR_OFF_CPGOWNED);
    phdr->pgnoSpace = le_get32(pv + HDR_OFF_PGNOSPACE);
    phdr->pgnoCatalog = le_get32(pv + HDR_OFF_PGNOCATALOG);
    phdr->incompat = le_get32(pv + HDR_OFF_INCOMPAT);
    phdr->dbtime = le_get64(pv + HDR_OFF_DBTIME);
    phdr->lsnPageMax = le_get64(pv + HDR_OFF_LSNPAGEMAX);
}

/* ---- reading ------------------------------------------------------------------- */

/* Read the copy at `off` into pv (CACHE_CB_PAGE_MAX bytes).  cbKnown != 0:
 * the copy must say that page size.  *pfValid: H2 holds; *pfMagic is set when
 * the magic is present (valid or not).  Only I/O errors are returned. */
static JET_ERR hdr_read_copy(os_file *pf, uint64_t off, uint32_t cbKnown, uint8_t *pv,
                             int *pfValid, int *pfMagic)
{
    size_t cbRead = 0;
    uint32_t cb;
    JET_ERR err;

    *pfValid = 0;
    /* The page size is not known yet: read the smallest block first. */
    err = os_file_read(pf, off, pv, CACHE_CB_PAGE_MIN, &cbRead);
    if (err < 0)
        return err;
    if (cbRead < HDR_OFF_MAGIC + 4 || le_get32(pv + HDR_OFF_MAGIC) != DB_MAGIC)
        return JET_errSuccess;
    *pfMagic = 1;
    if (cbRead < CACHE_CB_PAGE_MIN)
        return JET_errSuccess;
    cb = le_get32(pv + HDR_OFF_CBPAGE);
    if (!cache_page_size_valid(cb) || (cbKnown != 0 && cb != cbKnown))
        return JET_errSuccess;
    if (cb > CACHE_CB_PAGE_MIN) {
        err = os_file_read(pf, off + CACHE_CB_PAGE_MIN, pv + CACHE_CB_PAGE_MIN, cb - CACHE_CB_PAGE_MIN, &cbRead);
        if (err < 0)
            return err;
        if (cbRead < cb - CACHE_CB_PAGE_MIN)
            return JET_errSuccess;
    }
    *pfValid = le_get32(pv + HDR_OFF_CRC) == cache_block_crc(pv, cb, 0);
    return JET_errSuccess;
}

/* The checks after H2: format version and file type. */
static JET_ERR hdr_check_decoded(const db_header *phdr)
{
    /* F1: version 1 files carry no incompatible feature; version 2 files
     * name theirs, and a bit this build does not know is refused. */
    if (phdr->version == 1 ? phdr->incompat != 0
                           : phdr->version != DB_FORMAT_VERSION || (phdr->incompat & ~DB_INCOMPAT_KNOWN) != 0)
        return JET_errInvalidDatabaseVersion;
    if (phdr->filetype != JET_filetypeDatabase && phdr->filetype != JET_filetypeTempDatabase)
        return JET_errFileInvalidType;
    return JET_errSuccess;
}

/* db_header_read's body.  pcopies != NULL: copy B is read even when copy A
 * is valid, and what each copy held is reported. */
static JET_ERR hdr_read(os_file *pf, uint32_t cbPageExpected, db_header *phdr, db_header_copies *pcopies)
{
    static const uint32_t rgcb[] = { 4096, 8192, 16384, 32768 };
    JET_ERR err = JET_errSuccess;
    uint8_t *pv = NULL, *pvB = NULL;
    int fValid = 0, fValidB = 0, fMagic = 0;
    db_header hdr;

    if (pf == NULL || phdr == NULL || (cbPageExpected != 0 && !cache_page_size_valid(cbPageExpected)))
        return JET_errInvalidParameter;
    pv = os_malloc(CACHE_CB_PAGE_MAX);
    pvB = pcopies ? os_malloc(CACHE_CB_PAGE_MAX) : NULL;
    if (pv == NULL || (pcopies && pvB == NULL)) {
        err = JET_errOutOfMemory;
        goto done;
    }

    /* Copy A, preferred. */
    err = hdr_read_copy(pf, 0, 0, pv, &fValid, &fMagic);
    if (err < 0)
        goto done;
    /* Copy B sits at offset cbPage; copy A's page size field may be the
     * damaged part, so try every page size (H2: B must say its offset). */
    for (size_t i = 0; !fValidB && (!fValid || pcopies) && i < sizeof(rgcb) / sizeof(rgcb[0]); i++) {
        if (fValid && le_get32(pv + HDR_OFF_CBPAGE) != rgcb[i])
            continue; /* A is good: B must be at A's page size */
        err = hdr_read_copy(pf, rgcb[i], rgcb[i], pcopies ? pvB : pv, &fValidB, &fMagic);
        if (err < 0)
            goto done;
    }
    if (pcopies) {
        pcopies->fValidA = fValid;
        pcopies->fValidB = fValidB;
        pcopies->iUsed = fValid ? 0 : 1;
        if (!fValid && fValidB)
            memcpy(pv, pvB, le_get32(pvB + HDR_OFF_CBPAGE));
    }
    fValid = fValid || fValidB;
    if (!fValid) {
        err = fMagic ? JET_errDatabaseCorrupted : JET_errFileInvalidType;
        goto done;
    }
    hdr_decode(pv, &hdr);
    err = hdr_check_decoded(&hdr);
    if (err < 0)
        goto done;
    if (cbPageExpected != 0 && hdr.cbPage != cbPageExpected) {
        err = JET_errPageSizeMismatch;
        goto done;
    }
    if (pcopies)
        pcopies->crc = le_get32(pv + HDR_OFF_CRC);
    *phdr = hdr;
    err = JET_errSuccess;

done:
    os_free(pvB);
    os_free(pv);
    return err;
}

JET_ERR db_header_read(os_file *pf, uint32_t cbPageExpected, db_header *phdr)
{
    return hdr_read(pf, cbPageExpected, phdr, NULL);
}

JET_ERR db_header_read_copies(os_file *pf, db_header *phdr, db_header_copies *pcopies)
{
    if (pcopies == NULL)
        return JET_errInvalidParameter;
    return hdr_read(pf, 0, phdr, pcopies);
}

JET_ERR db_header_decode_block(const void *pvIn, size_t cb, db_header *phdr, uint32_t *pcrc)
{
    const uint8_t *pv = pvIn;
    db_header hdr;
    if (pv == NULL || phdr == NULL)
        return JET_errInvalidParameter;
    if (cb < HDR_OFF_MAGIC + 4 || le_get32(pv + HDR_OFF_MAGIC) != DB_MAGIC)
        return JET_errFileInvalidType;
    uint32_t cbPage = cb >= HDR_OFF_CBPAGE + 4 ? le_get32(pv + HDR_OFF_CBPAGE) : 0;
    /* H2 */
    if (!cache_page_size_valid(cbPage) || cb < cbPage || le_get32(pv + HDR_OFF_CRC) != cache_block_crc(pv, cbPage, 0))
        return JET_errDatabaseCorrupted;
    hdr_decode(pv, &hdr);
    JET_ERR err = hdr_check_decoded(&hdr);
    if (err < 0)
        return err;
    if (pcrc)
        *pcrc = le_get32(pv + HDR_OFF_CRC);
    *phdr = hdr;
    return JET_errSuccess;
}

JET_ERR db_header_read_path(const char *path, db_header *phdr)
{
    os_file *pf = NULL;
    JET_ERR err;

    if (path == NULL || phdr == NULL)
        return JET_errInvalidParameter;
    err = os_file_open(path, OS_FILE_READ, &pf);
    if (err < 0)
        return err;
    err = db_header_read(pf, 0, phdr);
    os_file_close(pf);
    return err;
}

void db_header_encode(const db_header *phdr, void *pv)
{
    memset(pv, 0, phdr->cbPage);
    hdr_encode(phdr, pv);
}

/* ---- writing ------------------------------------------------------------------- */

JET_ERR db_header_write(os_file *pf, const db_header *phdr)
{
    JET_ERR err = JET_errSuccess;
    uint8_t *pv = NULL;

    if (pf == NULL || phdr == NULL || !cache_page_size_valid(phdr->cbPage))
        return JET_errInvalidParameter;
    pv = os_calloc(1, phdr->cbPage);
    if (pv == NULL)
        return JET_errOutOfMemory;
    hdr_encode(phdr, pv);
    /* H1: A, sync, B, sync. */
    err = os_file_write(pf, 0, pv, phdr->cbPage);
    if (err >= 0)
        err = os_file_sync(pf);
    if (err >= 0)
        err = os_file_write(pf, phdr->cbPage, pv, phdr->cbPage);
    if (err >= 0)
        err = os_file_sync(pf);
    os_free(pv);
    return err < 0 ? err : JET_errSuccess;
}

/* ---- JET_DBINFOMISC ------------------------------------------------------------ */

void db_header_to_misc(const db_header *phdr, JET_DBINFOMISC *pmisc)
{
    memset(pmisc, 0, sizeof(*pmisc));
    pmisc->ulVersion = DB_MISC_VERSION;
    pmisc->ulUpdate = phdr->version;
    pmisc->signDb = phdr->signDb;
    pmisc->dbstate = phdr->dbstate;
    pmisc->lgposConsistent = lsn_to_lgpos(phdr->lsnConsistent);
    pmisc->logtimeConsistent = phdr->tmConsistent;
    pmisc->lgposAttach = lsn_to_lgpos(phdr->lsnAttach);
    pmisc->logtimeAttach = phdr->tmAttach;
    pmisc->lgposDetach = lsn_to_lgpos(phdr->lsnDetach);
    pmisc->logtimeDetach = phdr->tmDetach;
    pmisc->signLog = phdr->signLog;
    pmisc->bkinfoFullPrev = phdr->bkinfoFullPrev;
    pmisc->bkinfoIncPrev = phdr->bkinfoIncPrev;
    pmisc->bkinfoFullCur = phdr->bkinfoFullCur;
    pmisc->fShadowingDisabled = 0; /* both header copies are always kept */
    pmisc->fUpgradeDb = 0;
    /* dwMajorVersion / dwMinorVersion / dwBuildNumber / lSPNumber: the
     * Windows version that last attached the database in ESE; 0 here. */
    pmisc->cbPageSize = phdr->cbPage;
}
