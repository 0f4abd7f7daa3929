/*
 * header.c -- opening a database file read-only, choosing and decoding its
 * header (page 0, shadow copy on page 1), the damage list, and closing.
 * Must not touch: the file's contents (read-only open through csrc/os), any
 * other engine layer.  The handle owns the os_file, the page cache, the
 * damage list and the catalog; EsepyEseClose releases all of them.
 */
#include <stdio.h>

#include "esefmt_int.h"

#define DB_MAGIC      0x89ABCDEFu
#define HDR_CB        4096u  /* only the first 4 KiB of a header page is checksummed */

void esefmt_damage(ESEPY_ESE_FILE *pfile, uint32_t pgno, JET_ERR err, uint32_t objid, const char *szWhat)
{
    pfile->cdamage++;
    if (pfile->rgdamage == NULL || pfile->cdamageStored >= ESEFMT_DAMAGE_MAX)
        return;
    ESEPY_ESE_DAMAGE *pd = &pfile->rgdamage[pfile->cdamageStored++];
    memset(pd, 0, sizeof(*pd));
    pd->cbStruct = sizeof(*pd);
    pd->pgno = pgno;
    pd->err = err;
    pd->objidFDP = objid;
    snprintf(pd->szWhat, sizeof(pd->szWhat), "%s", szWhat);
}

static void bkinfo(const uint8_t *pb, ESEPY_ESE_BKINFO *pbk)
{
    esefmt_lgpos(pb, &pbk->lgposMark);
    esefmt_logtime(pb + 8, &pbk->logtimeMark);
    pbk->genLow = (int32_t)le_get32(pb + 16);
    pbk->genHigh = (int32_t)le_get32(pb + 20);
}

/* Decode the fields of one header copy (4096 bytes) into phdr. */
static void decode_header(const uint8_t *pb, ESEPY_ESE_HEADER *phdr)
{
    phdr->ulMagic = le_get32(pb + 4);
    phdr->ulVersion = le_get32(pb + 8);
    phdr->attrib = (int32_t)le_get32(pb + 12);
    phdr->dbtimeDirtied = le_get64(pb + 16);
    esefmt_signature(pb + 24, &phdr->signDb);
    phdr->dbstate = le_get32(pb + 52);
    esefmt_lgpos(pb + 56, &phdr->lgposConsistent);
    esefmt_logtime(pb + 64, &phdr->logtimeConsistent);
    esefmt_logtime(pb + 72, &phdr->logtimeAttach);
    esefmt_lgpos(pb + 80, &phdr->lgposAttach);
    esefmt_logtime(pb + 88, &phdr->logtimeDetach);
    esefmt_lgpos(pb + 96, &phdr->lgposDetach);
    phdr->dbid = le_get32(pb + 104);
    esefmt_signature(pb + 108, &phdr->signLog);
    bkinfo(pb + 136, &phdr->bkinfoFullPrev);
    bkinfo(pb + 160, &phdr->bkinfoIncPrev);
    bkinfo(pb + 184, &phdr->bkinfoFullCur);
    phdr->ulDbFlags = le_get32(pb + 208);
    phdr->objidLast = le_get32(pb + 212);
    phdr->dwMajorVersion = le_get32(pb + 216);
    phdr->dwMinorVersion = le_get32(pb + 220);
    phdr->dwBuildNumber = le_get32(pb + 224);
    phdr->lSPNumber = (int32_t)le_get32(pb + 228);
    phdr->ulUpdateMajor = le_get32(pb + 232);
    phdr->cbPageSizeField = le_get32(pb + 236);
    phdr->ulRepairCount = le_get32(pb + 240);
    esefmt_logtime(pb + 244, &phdr->logtimeRepair);
    phdr->lGenMinRequired = (int32_t)le_get32(pb + 296);
    phdr->lGenMaxRequired = (int32_t)le_get32(pb + 300);
    bkinfo(pb + 316, &phdr->bkinfoSnapshotCur);
    phdr->ulCreateVersion = le_get32(pb + 340);
    phdr->ulCreateUpdate = le_get32(pb + 344);
    esefmt_logtime(pb + 348, &phdr->logtimeGenMaxCreate);
    phdr->ulECCFixSuccess = le_get32(pb + 368);
    phdr->ulECCFixFail = le_get32(pb + 384);
    phdr->ulBadChecksum = le_get32(pb + 400);
    phdr->lGenMaxCommitted = (int32_t)le_get32(pb + 416);
    bkinfo(pb + 420, &phdr->bkinfoCopyPrev);
    bkinfo(pb + 444, &phdr->bkinfoDiffPrev);
    phdr->lGenRecovering = (int32_t)le_get32(pb + 536);
    esefmt_logtime(pb + 564, &phdr->logtimeLastReAttach);
    esefmt_lgpos(pb + 572, &phdr->lgposLastReAttach);
    phdr->lGenMinConsistent = (int32_t)le_get32(pb + 640);
    phdr->ulUpdateMinor = le_get32(pb + 644);
    phdr->efvMaxBinAttachDiagnostic = le_get32(pb + 648);
    esefmt_lgpos(pb + 656, &phdr->lgposLastResize);
    phdr->filetype = le_get32(pb + 667);
    esefmt_logtime(pb + 672, &phdr->logtimeGenMaxRequired);
}

static int header_valid(const uint8_t *pb, uint32_t *pstored, uint32_t *pcomputed)
{
    *pstored = le_get32(pb);
    *pcomputed = esefmt_checksum_xor(pb, HDR_CB);
    return *pstored == *pcomputed && le_get32(pb + 4) == DB_MAGIC;
}

JET_ERR EsepyEseOpen(const char *szPath, uint32_t grbit, ESEPY_ESE_FILE **ppfile)
{
    if (szPath == NULL || ppfile == NULL || (grbit & ~(uint32_t)ESEPY_ESE_OPEN_SKIP_CHECKSUMS))
        return JET_errInvalidParameter;
    *ppfile = NULL;
    ESEPY_ESE_FILE *pfile = os_calloc(1, sizeof(*pfile));
    uint8_t *pbHdr = os_malloc(2 * HDR_CB);
    JET_ERR err = JET_errSuccess;
    if (pfile == NULL || pbHdr == NULL) {
        err = JET_errOutOfMemory;
        goto fail;
    }
    pfile->grbit = grbit;
    err = os_file_open(szPath, OS_FILE_READ, &pfile->pf); /* read-only: never writes */
    if (err < 0)
        goto fail;
    err = os_file_size(pfile->pf, &pfile->cbFile);
    if (err < 0)
        goto fail;
    if (pfile->cbFile < HDR_CB) {
        err = JET_errFileInvalidType;
        goto fail;
    }
    size_t cbRead = 0;
    err = os_file_read(pfile->pf, 0, pbHdr, HDR_CB, &cbRead);
    if (err < 0)
        goto fail;
    if (cbRead < HDR_CB || le_get32(pbHdr + 4) != DB_MAGIC) {
        err = JET_errFileInvalidType;
        goto fail;
    }

    ESEPY_ESE_HEADER *phdr = &pfile->hdr;
    phdr->cbStruct = sizeof(*phdr);
    phdr->fPrimaryValid = header_valid(pbHdr, &phdr->ulChecksumPrimary, &phdr->ulChecksumPrimaryComputed);

    /* The shadow sits one page further on.  The page size comes from a
     * header: the primary's when it is valid, otherwise every legal size is
     * tried until a valid shadow is found. */
    {
        uint32_t cbField = le_get32(pbHdr + 236);
        uint32_t rgcbAll[4] = { 4096u, 8192u, 16384u, 32768u };
        uint32_t rgcb[4] = { cbField ? cbField : 4096u, 0, 0, 0 };
        int ccb = 1;
        if (!phdr->fPrimaryValid) {
            memcpy(rgcb, rgcbAll, sizeof(rgcb));
            ccb = 4;
        }
        for (int i = 0; i < ccb; i++) {
            uint32_t cb = rgcb[i];
            if (cb != 4096 && cb != 8192 && cb != 16384 && cb != 32768)
                continue;
            cbRead = 0;
            if (os_file_read(pfile->pf, cb, pbHdr + HDR_CB, HDR_CB, &cbRead) < 0 || cbRead < HDR_CB)
                continue;
            uint32_t s, c;
            int fValid = header_valid(pbHdr + HDR_CB, &s, &c);
            if (fValid || phdr->fPrimaryValid) {
                phdr->ulChecksumShadow = s;
                phdr->ulChecksumShadowComputed = c;
                phdr->fShadowValid = fValid;
                break;
            }
        }
    }
    if (!phdr->fPrimaryValid && !phdr->fShadowValid) {
        err = JET_errReadVerifyFailure;
        goto fail;
    }
    phdr->fCopiesIdentical = phdr->fShadowValid && memcmp(pbHdr, pbHdr + HDR_CB, HDR_CB) == 0;
    phdr->iCopyUsed = phdr->fPrimaryValid ? 0 : 1;
    decode_header(pbHdr + (phdr->iCopyUsed ? HDR_CB : 0), phdr);
    if (phdr->filetype != JET_filetypeDatabase && phdr->filetype != 0 && phdr->filetype != JET_filetypeTempDatabase) {
        err = JET_errFileInvalidType;
        goto fail;
    }
    uint32_t cbPage = phdr->cbPageSizeField ? phdr->cbPageSizeField : 4096u;
    if (cbPage != 4096 && cbPage != 8192 && cbPage != 16384 && cbPage != 32768) {
        err = JET_errInvalidDatabaseVersion;
        goto fail;
    }
    phdr->cbPage = cbPage;
    phdr->cbFile = pfile->cbFile;
    phdr->fDirty = phdr->dbstate != JET_dbstateCleanShutdown;
    pfile->cbPage = cbPage;
    pfile->fSmall = cbPage <= 8192;
    pfile->cbPageHeader = pfile->fSmall ? 40 : 80;
    uint64_t cpg = pfile->cbFile / cbPage;
    pfile->cpg = cpg > 2 ? (uint32_t)((cpg - 2) > 0x7FFFFFFFu ? 0x7FFFFFFFu : (cpg - 2)) : 0;
    phdr->cpgData = pfile->cpg;

    pfile->rgbPageState = os_calloc((size_t)pfile->cpg + 1, 1);
    pfile->rgdamage = os_calloc(ESEFMT_DAMAGE_MAX, sizeof(ESEPY_ESE_DAMAGE));
    if (pfile->rgbPageState == NULL || pfile->rgdamage == NULL) {
        err = JET_errOutOfMemory;
        goto fail;
    }
    if (!phdr->fPrimaryValid)
        esefmt_damage(pfile, 0, JET_errReadVerifyFailure, 0, "primary database header fails its checksum; shadow used");
    else if (!phdr->fShadowValid)
        esefmt_damage(pfile, 0, JET_errReadVerifyFailure, 0, "shadow database header fails its checksum");
    /* A file shorter than the space the database owns was truncated: say
     * once which pages are missing (reads of them fail one by one later). */
    phdr->cpgOwned = esefmt_owned_pages(pfile);
    if (phdr->cpgOwned > pfile->cpg) {
        char sz[120];
        snprintf(sz, sizeof(sz), "file truncated: pages %u..%u (%u of %u the database owns) are missing",
                 pfile->cpg + 1, phdr->cpgOwned, phdr->cpgOwned - pfile->cpg, phdr->cpgOwned);
        esefmt_damage(pfile, pfile->cpg + 1, JET_errDatabaseCorrupted, 0, sz);
    }
    os_free(pbHdr);
    *ppfile = pfile;
    return JET_errSuccess;

fail:
    os_free(pbHdr);
    EsepyEseClose(pfile);
    return err;
}

void EsepyEseClose(ESEPY_ESE_FILE *pfile)
{
    if (pfile == NULL)
        return;
    esefmt_catalog_free(pfile);
    for (int i = 0; i < ESEFMT_CACHE_PAGES; i++)
        os_free(pfile->rgcache[i].pb);
    os_free(pfile->rgbPageState);
    os_free(pfile->rgdamage);
    os_file_close(pfile->pf);
    os_free(pfile);
}

JET_ERR EsepyEseGetHeader(ESEPY_ESE_FILE *pfile, ESEPY_ESE_HEADER *phdr)
{
    if (pfile == NULL || phdr == NULL)
        return JET_errInvalidParameter;
    *phdr = pfile->hdr;
    phdr->fNoCatalog = pfile->fCatalogLoaded ? pfile->fCatalogEmpty : -1;
    return JET_errSuccess;
}

JET_ERR EsepyEseGetDamageCount(ESEPY_ESE_FILE *pfile, uint32_t *pcdamage)
{
    if (pfile == NULL || pcdamage == NULL)
        return JET_errInvalidParameter;
    *pcdamage = pfile->cdamageStored;
    return JET_errSuccess;
}

JET_ERR EsepyEseGetDamage(ESEPY_ESE_FILE *pfile, uint32_t idamage, ESEPY_ESE_DAMAGE *pdamage)
{
    if (pfile == NULL || pdamage == NULL || idamage >= pfile->cdamageStored)
        return JET_errInvalidParameter;
    *pdamage = pfile->rgdamage[idamage];
    return JET_errSuccess;
}
