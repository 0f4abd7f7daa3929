/*
 * page.c -- database pages: the bounded page cache of an open file, page
 * checksum verification (legacy XOR+pgno, ECC on small pages, four ECC blocks
 * on 16/32 KiB pages), page header decoding, and bounds-checked access to
 * tags and nodes (incl. the 12-bit itagMicFree mask of recent revisions and
 * the large-page layout where tag flags live in the node's first word).
 * Must not touch: the file (reads only), the catalog, records.
 * Invariant: every esefmt_line / esefmt_node returned lies inside the page's
 * data area [cbHeader, cbPage - 4 * ctag).
 */
#include <stdio.h>

#include "esefmt_int.h"

static int all_zero(const uint8_t *pb, uint32_t cb)
{
    for (uint32_t i = 0; i < cb; i++)
        if (pb[i])
            return 0;
    return 1;
}

void esefmt_page_verify(ESEPY_ESE_FILE *pfile, const uint8_t *pb, uint32_t pgno, ESEPY_ESE_PAGEINFO *pinfo)
{
    uint32_t cbPage = pfile->cbPage;
    pinfo->pgno = pgno;
    pinfo->cblock = 1;
    pinfo->iblockBad = 0;
    uint32_t fFlags = le_get32(pb + 36);
    pinfo->fNewChecksumFormat = (fFlags & ESEFMT_PG_NEWCHK) || !pfile->fSmall;
    if (all_zero(pb, cbPage)) {
        pinfo->status = ESEPY_ESE_PAGE_BLANK;
        return;
    }
    if (!pinfo->fNewChecksumFormat) {
        uint32_t x = esefmt_checksum_xor(pb, cbPage);
        pinfo->rgchecksumStored[0] = le_get64(pb);
        pinfo->rgchecksumComputed[0] = ((uint64_t)pgno << 32) | x;
        if (pinfo->rgchecksumStored[0] == pinfo->rgchecksumComputed[0])
            pinfo->status = ESEPY_ESE_PAGE_OK;
        else if (le_get32(pb) == x)
            pinfo->status = ESEPY_ESE_PAGE_BADPGNO;
        else
            pinfo->status = ESEPY_ESE_PAGE_BADCHECKSUM;
        return;
    }
    /* ECC: one block on small pages; on large pages a header block whose
     * checksum also covers the stored checksums of the three others */
    uint32_t cbBlock = pfile->fSmall ? cbPage : (cbPage <= 16384 ? 4096u : 8192u);
    pinfo->cblock = pfile->fSmall ? 1 : cbPage / cbBlock;
    pinfo->status = ESEPY_ESE_PAGE_OK;
    for (uint32_t iblock = 0; iblock < pinfo->cblock && iblock < 4; iblock++) {
        uint64_t stored = iblock == 0 ? le_get64(pb) : le_get64(pb + 40 + 8 * (iblock - 1));
        uint64_t computed = esefmt_checksum_ecc(pb + (size_t)iblock * cbBlock, cbBlock, pgno, iblock == 0);
        pinfo->rgchecksumStored[iblock] = stored;
        pinfo->rgchecksumComputed[iblock] = computed;
        if (stored != computed && pinfo->status == ESEPY_ESE_PAGE_OK) {
            pinfo->iblockBad = iblock;
            /* same ECC and the XOR part differs exactly by a page number:
             * a good page written at the wrong place */
            if ((stored >> 32) == (computed >> 32) && iblock == 0)
                pinfo->status = ESEPY_ESE_PAGE_BADPGNO;
            else
                pinfo->status = ESEPY_ESE_PAGE_BADCHECKSUM;
        }
    }
}

void esefmt_page_init(ESEPY_ESE_FILE *pfile, const uint8_t *pb, uint32_t pgno, esefmt_page *ppage)
{
    memset(ppage, 0, sizeof(*ppage));
    ppage->pb = pb;
    ppage->pgno = pgno;
    ppage->cbPage = pfile->cbPage;
    ppage->cbHeader = pfile->cbPageHeader;
    ppage->fSmall = pfile->fSmall;
    ppage->pgnoPrev = le_get32(pb + 16);
    ppage->pgnoNext = le_get32(pb + 20);
    ppage->objidFDP = le_get32(pb + 24);
    ppage->ctag = le_get16(pb + 34) & 0x0FFFu; /* top bits hold the reserved-tag count */
    ppage->fFlags = le_get32(pb + 36);
    ppage->fBlank = all_zero(pb, 64) && ppage->ctag == 0;
}

/* Record the verdict of esefmt_page_verify on page pinfo->pgno in the page's
 * state, and a failed checksum as damage, once per page (state 2). */
static void page_note(ESEPY_ESE_FILE *pfile, const uint8_t *pb, const ESEPY_ESE_PAGEINFO *pinfo)
{
    uint32_t pgno = pinfo->pgno;
    if (pfile->rgbPageState[pgno] == 2)
        return;
    pfile->rgbPageState[pgno] = 1;
    if (pinfo->status != ESEPY_ESE_PAGE_BADCHECKSUM && pinfo->status != ESEPY_ESE_PAGE_BADPGNO)
        return;
    char sz[120];
    snprintf(sz, sizeof(sz), "page %u fails its %s checksum%s (block %u)", pgno,
             pinfo->fNewChecksumFormat ? "ECC" : "XOR",
             pinfo->status == ESEPY_ESE_PAGE_BADPGNO ? " for its page number" : "", pinfo->iblockBad);
    esefmt_damage(pfile, pgno, JET_errReadVerifyFailure, le_get32(pb + 24), sz);
    pfile->rgbPageState[pgno] = 2;
}

/* Read a page into a cache slot (direct-mapped by pgno). */
static JET_ERR cache_read(ESEPY_ESE_FILE *pfile, uint32_t pgno, const uint8_t **ppb)
{
    esefmt_cpage *pc = &pfile->rgcache[pgno % ESEFMT_CACHE_PAGES];
    if (pc->pgno == pgno && pc->pb != NULL) {
        *ppb = pc->pb;
        return JET_errSuccess;
    }
    if (pc->pb == NULL) {
        pc->pb = os_malloc(pfile->cbPage);
        if (pc->pb == NULL)
            return JET_errOutOfMemory;
    }
    pc->pgno = 0;
    uint64_t off = ((uint64_t)pgno + 1) * pfile->cbPage; /* data page n is at (n + 1) * cbPage */
    JET_ERR err = os_file_read(pfile->pf, off, pc->pb, pfile->cbPage, NULL);
    if (err < 0)
        return err;
    pc->pgno = pgno;
    *ppb = pc->pb;
    return JET_errSuccess;
}

JET_ERR esefmt_page_get(ESEPY_ESE_FILE *pfile, uint32_t pgno, esefmt_page *ppage)
{
    if (pgno == 0 || pgno > pfile->cpg)
        return JET_errFileIOBeyondEOF;
    const uint8_t *pb;
    JET_ERR err = cache_read(pfile, pgno, &pb);
    if (err < 0)
        return err;
    if (pfile->rgbPageState[pgno] == 0 && !(pfile->grbit & ESEPY_ESE_OPEN_SKIP_CHECKSUMS)) {
        ESEPY_ESE_PAGEINFO info;
        memset(&info, 0, sizeof(info));
        esefmt_page_verify(pfile, pb, pgno, &info);
        page_note(pfile, pb, &info);
    }
    esefmt_page_init(pfile, pb, pgno, ppage);
    if (ppage->fBlank && all_zero(pb, pfile->cbPage))
        return JET_errPageNotInitialized;
    ppage->fBlank = 0;
    return JET_errSuccess;
}

JET_ERR esefmt_page_line(const esefmt_page *ppage, uint32_t itag, esefmt_line *pline)
{
    uint32_t cbTags = 4 * ppage->ctag;
    if (itag >= ppage->ctag || ppage->cbHeader + cbTags > ppage->cbPage)
        return JET_errDatabaseCorrupted;
    const uint8_t *ptag = ppage->pb + ppage->cbPage - 4 * (itag + 1);
    uint16_t cbRaw = le_get16(ptag), ibRaw = le_get16(ptag + 2);
    uint32_t mask = ppage->fSmall ? 0x1FFFu : 0x7FFFu;
    uint32_t cb = cbRaw & mask, ib = ibRaw & mask;
    uint32_t cbData = ppage->cbPage - ppage->cbHeader - cbTags;
    if (ib > cbData || cb > cbData - ib)
        return JET_errDatabaseCorrupted;
    pline->pb = ppage->pb + ppage->cbHeader + ib;
    pline->cb = cb;
    if (ppage->fSmall)
        pline->fFlags = ibRaw >> 13;
    else
        pline->fFlags = cb >= 2 ? (uint32_t)(le_get16(pline->pb) >> 13) : 0;
    return JET_errSuccess;
}

JET_ERR esefmt_page_node(const esefmt_page *ppage, uint32_t itag, esefmt_node *pnode)
{
    esefmt_line line;
    JET_ERR err = esefmt_page_line(ppage, itag, &line);
    if (err < 0)
        return err;
    memset(pnode, 0, sizeof(*pnode));
    pnode->fFlags = line.fFlags;
    const uint8_t *pb = line.pb;
    uint32_t cb = line.cb;
    if (line.fFlags & ESEFMT_ND_COMPRESSED) {
        if (cb < 2)
            return JET_errDatabaseCorrupted;
        uint32_t cbPrefix = le_get16(pb) & 0x1FFFu;
        esefmt_line ext;
        err = esefmt_page_line(ppage, 0, &ext);
        if (err < 0)
            return err;
        if (cbPrefix > ext.cb)
            return JET_errDatabaseCorrupted;
        pnode->pbPrefix = ext.pb;
        pnode->cbPrefix = cbPrefix;
        pb += 2;
        cb -= 2;
    }
    if (cb < 2)
        return JET_errDatabaseCorrupted;
    uint32_t cbSuffix = le_get16(pb) & 0x1FFFu;
    if (cbSuffix > cb - 2)
        return JET_errDatabaseCorrupted;
    pnode->pbSuffix = pb + 2;
    pnode->cbSuffix = cbSuffix;
    pnode->pbData = pb + 2 + cbSuffix;
    pnode->cbData = cb - 2 - cbSuffix;
    return JET_errSuccess;
}

/* ---- public page access ------------------------------------------------------- */

JET_ERR EsepyEseReadPage(ESEPY_ESE_FILE *pfile, uint32_t pgno, void *pv, uint32_t cbMax)
{
    if (pfile == NULL || pv == NULL || cbMax < pfile->cbPage)
        return JET_errInvalidParameter;
    if (pgno == 0 || pgno > pfile->cpg)
        return JET_errFileIOBeyondEOF;
    return os_file_read(pfile->pf, ((uint64_t)pgno + 1) * pfile->cbPage, pv, pfile->cbPage, NULL);
}

JET_ERR EsepyEseGetPageInfo(ESEPY_ESE_FILE *pfile, uint32_t pgno, ESEPY_ESE_PAGEINFO *pinfo)
{
    if (pfile == NULL || pinfo == NULL)
        return JET_errInvalidParameter;
    if (pgno == 0 || pgno > pfile->cpg)
        return JET_errFileIOBeyondEOF;
    const uint8_t *pb;
    JET_ERR err = cache_read(pfile, pgno, &pb);
    if (err < 0)
        return err;
    memset(pinfo, 0, sizeof(*pinfo));
    pinfo->cbStruct = sizeof(*pinfo);
    esefmt_page_verify(pfile, pb, pgno, pinfo);
    page_note(pfile, pb, pinfo); /* an explicit check reports what it finds (verify_pages) */
    pinfo->dbtimeDirtied = le_get64(pb + 8);
    pinfo->pgnoPrev = le_get32(pb + 16);
    pinfo->pgnoNext = le_get32(pb + 20);
    pinfo->objidFDP = le_get32(pb + 24);
    pinfo->cbFree = le_get16(pb + 28);
    pinfo->cbUncommittedFree = le_get16(pb + 30);
    pinfo->ibMicFree = le_get16(pb + 32);
    pinfo->itagMicFree = le_get16(pb + 34) & 0x0FFFu;
    pinfo->fFlags = le_get32(pb + 36);
    return JET_errSuccess;
}

JET_ERR EsepyEseGetPageTag(ESEPY_ESE_FILE *pfile, uint32_t pgno, uint32_t itag, uint32_t *pfFlags, void *pv,
                           uint32_t cbMax, uint32_t *pcbActual)
{
    if (pfile == NULL || pcbActual == NULL || (pv == NULL && cbMax > 0))
        return JET_errInvalidParameter;
    if (pgno == 0 || pgno > pfile->cpg)
        return JET_errFileIOBeyondEOF;
    const uint8_t *pb;
    JET_ERR err = cache_read(pfile, pgno, &pb);
    if (err < 0)
        return err;
    esefmt_page page;
    esefmt_page_init(pfile, pb, pgno, &page);
    esefmt_line line;
    err = esefmt_page_line(&page, itag, &line);
    if (err < 0)
        return err;
    if (pfFlags)
        *pfFlags = line.fFlags;
    *pcbActual = line.cb;
    uint32_t cbCopy = line.cb < cbMax ? line.cb : cbMax;
    if (cbCopy)
        memcpy(pv, line.pb, cbCopy);
    /* large pages keep the node flags in the top 3 bits of the first word */
    if (!page.fSmall && itag > 0 && cbCopy >= 2)
        ((uint8_t *)pv)[1] &= 0x1F;
    return cbCopy < line.cb ? JET_wrnBufferTruncated : JET_errSuccess;
}
