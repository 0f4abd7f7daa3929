/*
 * esepage.c -- the mutable page model of esepage.h: decoding raw ESE page
 * bytes (small and large layouts) into header fields, reserved tags and
 * lines; the edits redo and undo make; encoding back with the checksum of
 * the page's own scheme (ECC blocks, or XOR + pgno on legacy small pages).
 * Must not touch: files, caches, logs -- memory it owns only (the public
 * EsepyEseRewritePage reads its page through the reader's EsepyEseReadPage).
 * Invariants E1-E3 are stated in esepage.h.
 */
#include "esefmt_int.h"
#include "esepage.h"

#define TAG_CB 4u

static int all_zero(const uint8_t *pb, uint32_t cb)
{
    for (uint32_t i = 0; i < cb; i++)
        if (pb[i])
            return 0;
    return 1;
}

static uint32_t ibcb_mask(const esepage *pp)
{
    return pp->fSmall ? 0x1FFFu : 0x7FFFu;
}

static void line_free(esepage_line *pl)
{
    os_free(pl->pb);
    memset(pl, 0, sizeof(*pl));
}

/* Fill *pl with copies of suffix and data. */
static JET_ERR line_set(esepage_line *pl, uint32_t fFlags, uint32_t cbPrefix, const uint8_t *pbSuffix,
                        uint32_t cbSuffix, const uint8_t *pbData, uint32_t cbData)
{
    uint8_t *pb = NULL;
    if (cbSuffix + cbData > 0) {
        pb = os_malloc(cbSuffix + cbData);
        if (pb == NULL)
            return JET_errOutOfMemory;
        if (cbSuffix)
            memcpy(pb, pbSuffix, cbSuffix);
        if (cbData)
            memcpy(pb + cbSuffix, pbData, cbData);
    }
    pl->fFlags = fFlags;
    pl->cbPrefix = cbPrefix;
    pl->cbSuffix = cbSuffix;
    pl->cbData = cbData;
    pl->pb = pb;
    return JET_errSuccess;
}

void esepage_free(esepage *pp)
{
    if (pp == NULL)
        return;
    for (uint32_t i = 0; i < ESEPAGE_CTAG_RESERVED_MAX; i++)
        line_free(&pp->rgreserved[i]);
    for (uint32_t i = 0; i < pp->cline; i++)
        line_free(&pp->rgline[i]);
    os_free(pp->rgline);
    memset(pp, 0, sizeof(*pp));
}

static JET_ERR reserve_lines(esepage *pp, uint32_t c)
{
    if (c <= pp->clineMax)
        return JET_errSuccess;
    uint32_t cNew = pp->clineMax ? pp->clineMax : 16;
    while (cNew < c)
        cNew *= 2;
    esepage_line *rg = os_realloc(pp->rgline, (size_t)cNew * sizeof(*rg));
    if (rg == NULL)
        return JET_errOutOfMemory;
    pp->rgline = rg;
    pp->clineMax = cNew;
    return JET_errSuccess;
}

static void geometry(esepage *pp, uint32_t cbPage, uint32_t pgno)
{
    pp->cbPage = cbPage;
    pp->fSmall = cbPage <= 8192;
    pp->cbHeader = pp->fSmall ? 40u : 80u;
    pp->pgno = pgno;
}

JET_ERR esepage_decode(const uint8_t *pb, uint32_t cbPage, uint32_t pgno, esepage *pp)
{
    memset(pp, 0, sizeof(*pp));
    if (cbPage != 4096 && cbPage != 8192 && cbPage != 16384 && cbPage != 32768)
        return JET_errInvalidParameter;
    geometry(pp, cbPage, pgno);
    if (all_zero(pb, cbPage))
        return JET_errSuccess;
    memcpy(pp->rgbHeader, pb, pp->cbHeader);
    pp->dbtime = le_get64(pb + 8);
    pp->pgnoPrev = le_get32(pb + 16);
    pp->pgnoNext = le_get32(pb + 20);
    pp->objidFDP = le_get32(pb + 24);
    pp->cbUncommittedFree = le_get16(pb + 30);
    uint32_t itagState = le_get16(pb + 34);
    pp->fFlags = le_get32(pb + 36);
    uint32_t ctag = itagState & 0x0FFFu;
    pp->ctagReservedStored = (itagState >> 12) & 7u;
    JET_ERR err = JET_errDatabaseCorrupted;
    if (ctag == 0)
        return JET_errSuccess;
    pp->ctagReserved = pp->ctagReservedStored ? pp->ctagReservedStored : 1;
    if (pp->ctagReserved > ctag || pp->cbHeader + TAG_CB * ctag > cbPage)
        goto fail;
    const uint32_t mask = ibcb_mask(pp);
    const uint32_t cbData = cbPage - pp->cbHeader - TAG_CB * ctag;
    const uint8_t *pbData = pb + pp->cbHeader;
    uint32_t cline = ctag - pp->ctagReserved;
    if ((err = reserve_lines(pp, cline)) < 0)
        goto fail;
    err = JET_errDatabaseCorrupted;
    for (uint32_t itag = 0; itag < ctag; itag++) {
        const uint8_t *ptag = pb + cbPage - TAG_CB * (itag + 1);
        uint32_t cbRaw = le_get16(ptag), ibRaw = le_get16(ptag + 2);
        uint32_t cb = cbRaw & mask, ib = ibRaw & mask;
        if (ib > cbData || cb > cbData - ib)
            goto fail;
        const uint8_t *pn = pbData + ib;
        if (itag < pp->ctagReserved) {
            esepage_line *pl = &pp->rgreserved[itag];
            if ((err = line_set(pl, pp->fSmall ? ibRaw >> 13 : 0, 0, NULL, 0, pn, cb)) < 0)
                goto fail;
            err = JET_errDatabaseCorrupted;
            continue;
        }
        uint32_t fFlags;
        uint32_t w0;
        if (cb < 2)
            goto fail;
        if (pp->fSmall) {
            fFlags = ibRaw >> 13;
            w0 = le_get16(pn);
        } else {
            fFlags = le_get16(pn) >> 13;
            w0 = le_get16(pn) & 0x1FFFu;
        }
        uint32_t cbPrefix = 0, off = 0;
        if (fFlags & ESEPAGE_ND_COMPRESSED) {
            cbPrefix = w0 & 0x1FFFu;
            off = 2;
            if (cb < 4)
                goto fail;
            w0 = le_get16(pn + 2);
        }
        uint32_t cbSuffix = w0 & 0x1FFFu;
        if (cbSuffix > cb - off - 2)
            goto fail;
        esepage_line *pl = &pp->rgline[pp->cline];
        if ((err = line_set(pl, fFlags, cbPrefix, pn + off + 2, cbSuffix, pn + off + 2 + cbSuffix,
                            cb - off - 2 - cbSuffix)) < 0)
            goto fail;
        pp->cline++;
        err = JET_errDatabaseCorrupted;
    }
    return JET_errSuccess;
fail:
    esepage_free(pp);
    return err;
}

JET_ERR esepage_copy(esepage *pDst, const esepage *pSrc)
{
    *pDst = *pSrc;
    pDst->rgline = NULL;
    pDst->cline = pDst->clineMax = 0;
    memset(pDst->rgreserved, 0, sizeof(pDst->rgreserved));
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; i < ESEPAGE_CTAG_RESERVED_MAX && err >= 0; i++) {
        const esepage_line *ps = &pSrc->rgreserved[i];
        err = line_set(&pDst->rgreserved[i], ps->fFlags, 0, NULL, 0, ps->pb, ps->cbData);
    }
    if (err >= 0)
        err = reserve_lines(pDst, pSrc->cline);
    for (uint32_t i = 0; i < pSrc->cline && err >= 0; i++) {
        const esepage_line *ps = &pSrc->rgline[i];
        err = line_set(&pDst->rgline[i], ps->fFlags, ps->cbPrefix, ps->pb, ps->cbSuffix,
                       ps->pb ? ps->pb + ps->cbSuffix : NULL, ps->cbData);
        if (err >= 0)
            pDst->cline++;
    }
    if (err < 0)
        esepage_free(pDst);
    return err;
}

JET_ERR esepage_format(esepage *pp, uint32_t cbPage, uint32_t pgno, uint32_t objidFDP, uint64_t dbtime,
                       uint32_t fPageFlags)
{
    esepage_free(pp);
    if (cbPage != 4096 && cbPage != 8192 && cbPage != 16384 && cbPage != 32768)
        return JET_errInvalidParameter;
    geometry(pp, cbPage, pgno);
    pp->objidFDP = objidFDP;
    pp->dbtime = dbtime;
    pp->fFlags = fPageFlags | ESEPAGE_PG_NEWCHK;
    if (fPageFlags & ESEPAGE_PG_PREINIT) {
        pp->fFlags |= ESEPAGE_PG_NEWRECORD;
        return JET_errSuccess; /* no tags at all, ctagReserved stored 0 */
    }
    pp->ctagReserved = 1;
    pp->ctagReservedStored = 1;
    return JET_errSuccess;
}

/* A page with no tags gets its tag 0 (a pre-initialised page taken into use). */
static void ensure_tag0(esepage *pp)
{
    if (pp->ctagReserved == 0) {
        pp->ctagReserved = 1;
        pp->ctagReservedStored = 1;
        pp->fFlags &= ~ESEPAGE_PG_PREINIT;
    }
}

static uint32_t line_cb(const esepage_line *pl)
{
    return ((pl->fFlags & ESEPAGE_ND_COMPRESSED) ? 2u : 0u) + 2u + pl->cbSuffix + pl->cbData;
}

uint32_t esepage_cb_used(const esepage *pp)
{
    uint32_t cb = 0;
    for (uint32_t i = 0; i < pp->ctagReserved; i++)
        cb += pp->rgreserved[i].cbData + TAG_CB;
    for (uint32_t i = 0; i < pp->cline; i++)
        cb += line_cb(&pp->rgline[i]) + TAG_CB;
    return cb;
}

JET_ERR esepage_encode(const esepage *pp, uint8_t *pb)
{
    const uint32_t cbPage = pp->cbPage;
    const uint32_t ctag = pp->ctagReserved + pp->cline;
    if (ctag > 0x0FFFu || pp->cbHeader + esepage_cb_used(pp) > cbPage)
        return JET_errPageSizeMismatch;
    const uint32_t cbTag0 = pp->ctagReserved ? pp->rgreserved[0].cbData : 0;
    for (uint32_t i = 0; i < pp->cline; i++) {
        const esepage_line *pl = &pp->rgline[i];
        if (pl->cbPrefix > cbTag0 || pl->cbPrefix > 0x1FFFu || pl->cbSuffix > 0x1FFFu ||
            (pl->cbPrefix && !(pl->fFlags & ESEPAGE_ND_COMPRESSED)))
            return JET_errDatabaseCorrupted; /* E1 */
    }
    memset(pb, 0, cbPage);
    memcpy(pb, pp->rgbHeader, pp->cbHeader);
    le_put64(pb + 8, pp->dbtime);
    le_put32(pb + 16, pp->pgnoPrev);
    le_put32(pb + 20, pp->pgnoNext);
    le_put32(pb + 24, pp->objidFDP);
    le_put16(pb + 30, (uint16_t)pp->cbUncommittedFree);
    le_put32(pb + 36, pp->fFlags);
    uint8_t *pbData = pb + pp->cbHeader;
    uint32_t ib = 0;
    for (uint32_t itag = 0; itag < ctag; itag++) {
        uint8_t *ptag = pb + cbPage - TAG_CB * (itag + 1);
        uint32_t cb, fFlags;
        if (itag < pp->ctagReserved) {
            const esepage_line *pl = &pp->rgreserved[itag];
            cb = pl->cbData;
            if (cb)
                memcpy(pbData + ib, pl->pb, cb);
            fFlags = pp->fSmall ? pl->fFlags : 0;
        } else {
            const esepage_line *pl = &pp->rgline[itag - pp->ctagReserved];
            uint8_t *pn = pbData + ib;
            uint32_t off = 0;
            fFlags = pl->fFlags & 7u;
            if (fFlags & ESEPAGE_ND_COMPRESSED) {
                le_put16(pn, (uint16_t)pl->cbPrefix);
                off = 2;
            }
            le_put16(pn + off, (uint16_t)pl->cbSuffix);
            if (pl->cbSuffix + pl->cbData)
                memcpy(pn + off + 2, pl->pb, pl->cbSuffix + pl->cbData);
            cb = line_cb(pl);
            if (!pp->fSmall)
                le_put16(pn, (uint16_t)(le_get16(pn) | (fFlags << 13)));
        }
        le_put16(ptag, (uint16_t)cb);
        le_put16(ptag + 2, (uint16_t)(ib | (pp->fSmall ? fFlags << 13 : 0)));
        ib += cb;
    }
    if (pp->bFreeFill != 0) /* the free middle, as a Scrub left it */
        memset(pbData + ib, pp->bFreeFill, cbPage - pp->cbHeader - ib - TAG_CB * ctag);
    le_put16(pb + 28, (uint16_t)(cbPage - pp->cbHeader - ib - TAG_CB * ctag)); /* cbFree */
    le_put16(pb + 32, (uint16_t)ib);                                           /* ibMicFree */
    le_put16(pb + 34, (uint16_t)(ctag | (pp->ctagReservedStored << 12)));     /* itagState */
    /* checksum (E3 for the rest) */
    if (!pp->fSmall) {
        le_put32(pb + 64, pp->pgno);
        uint32_t cbBlock = cbPage <= 16384 ? 4096u : 8192u;
        for (uint32_t iblock = 1; iblock < 4; iblock++)
            le_put64(pb + 40 + 8 * (iblock - 1),
                     esefmt_checksum_ecc(pb + (size_t)iblock * cbBlock, cbBlock, pp->pgno, 0));
        le_put64(pb, esefmt_checksum_ecc(pb, cbBlock, pp->pgno, 1));
    } else if (pp->fFlags & ESEPAGE_PG_NEWCHK) {
        le_put64(pb, esefmt_checksum_ecc(pb, cbPage, pp->pgno, 1));
    } else {
        le_put32(pb + 4, pp->pgno);
        le_put32(pb, esefmt_checksum_xor(pb, cbPage));
    }
    return JET_errSuccess;
}

static JET_ERR check_iline(const esepage *pp, uint32_t iline)
{
    return iline < pp->cline ? JET_errSuccess : JET_errInvalidParameter;
}

JET_ERR esepage_insert_line(esepage *pp, uint32_t iline, const esepage_line *pline)
{
    if (iline > pp->cline)
        return JET_errInvalidParameter;
    ensure_tag0(pp);
    JET_ERR err = reserve_lines(pp, pp->cline + 1);
    if (err < 0)
        return err;
    esepage_line l;
    memset(&l, 0, sizeof(l));
    if ((err = line_set(&l, pline->fFlags & 7u, pline->cbPrefix, pline->pb, pline->cbSuffix,
                        pline->pb ? pline->pb + pline->cbSuffix : NULL, pline->cbData)) < 0)
        return err;
    memmove(pp->rgline + iline + 1, pp->rgline + iline, (size_t)(pp->cline - iline) * sizeof(l));
    pp->rgline[iline] = l;
    pp->cline++;
    return JET_errSuccess;
}

JET_ERR esepage_insert(esepage *pp, uint32_t iline, const uint8_t *pbKey, uint32_t cbKey, uint32_t cbPrefix,
                       const uint8_t *pbData, uint32_t cbData, uint32_t fFlags)
{
    if (iline > pp->cline)
        return JET_errInvalidParameter;
    ensure_tag0(pp);
    if (cbPrefix > cbKey || cbPrefix > pp->rgreserved[0].cbData)
        return JET_errDatabaseCorrupted;
    esepage_line l;
    memset(&l, 0, sizeof(l));
    l.fFlags = (fFlags & (ESEPAGE_ND_VERSION | ESEPAGE_ND_DELETED)) | (cbPrefix ? ESEPAGE_ND_COMPRESSED : 0);
    l.cbPrefix = cbPrefix;
    l.cbSuffix = cbKey - cbPrefix;
    l.cbData = cbData;
    JET_ERR err = JET_errSuccess;
    uint8_t *pb = NULL;
    if (l.cbSuffix + cbData) {
        pb = os_malloc(l.cbSuffix + cbData);
        if (pb == NULL)
            return JET_errOutOfMemory;
        if (l.cbSuffix)
            memcpy(pb, pbKey + cbPrefix, l.cbSuffix);
        if (cbData)
            memcpy(pb + l.cbSuffix, pbData, cbData);
    }
    l.pb = pb;
    err = esepage_insert_line(pp, iline, &l);
    os_free(pb);
    return err;
}

JET_ERR esepage_replace_data(esepage *pp, uint32_t iline, const uint8_t *pbData, uint32_t cbData)
{
    JET_ERR err = check_iline(pp, iline);
    if (err < 0)
        return err;
    esepage_line *pl = &pp->rgline[iline];
    esepage_line l;
    memset(&l, 0, sizeof(l));
    if ((err = line_set(&l, pl->fFlags, pl->cbPrefix, pl->pb, pl->cbSuffix, pbData, cbData)) < 0)
        return err;
    line_free(pl);
    *pl = l;
    return JET_errSuccess;
}

JET_ERR esepage_set_flags(esepage *pp, uint32_t iline, uint32_t fSet, uint32_t fClear)
{
    JET_ERR err = check_iline(pp, iline);
    if (err < 0)
        return err;
    const uint32_t fMutable = ESEPAGE_ND_VERSION | ESEPAGE_ND_DELETED;
    if ((fSet | fClear) & ~fMutable)
        return JET_errInvalidParameter;
    pp->rgline[iline].fFlags = (pp->rgline[iline].fFlags | fSet) & ~fClear;
    return JET_errSuccess;
}

JET_ERR esepage_delete(esepage *pp, uint32_t iline)
{
    JET_ERR err = check_iline(pp, iline);
    if (err < 0)
        return err;
    line_free(&pp->rgline[iline]);
    memmove(pp->rgline + iline, pp->rgline + iline + 1, (size_t)(pp->cline - iline - 1) * sizeof(esepage_line));
    pp->cline--;
    return JET_errSuccess;
}

JET_ERR esepage_set_external_header(esepage *pp, const uint8_t *pb, uint32_t cb)
{
    ensure_tag0(pp);
    esepage_line l;
    memset(&l, 0, sizeof(l));
    JET_ERR err = line_set(&l, pp->rgreserved[0].fFlags, 0, NULL, 0, pb, cb);
    if (err < 0)
        return err;
    line_free(&pp->rgreserved[0]);
    pp->rgreserved[0] = l;
    return JET_errSuccess;
}

JET_ERR esepage_key(const esepage *pp, uint32_t iline, uint8_t *pbKey, uint32_t cbMax, uint32_t *pcbKey)
{
    JET_ERR err = check_iline(pp, iline);
    if (err < 0)
        return err;
    const esepage_line *pl = &pp->rgline[iline];
    const esepage_line *p0 = &pp->rgreserved[0];
    uint32_t cbPrefix = pl->cbPrefix <= p0->cbData ? pl->cbPrefix : p0->cbData;
    uint32_t cb = cbPrefix + pl->cbSuffix;
    *pcbKey = cb;
    uint32_t cbCopy = cbPrefix < cbMax ? cbPrefix : cbMax;
    if (cbCopy)
        memcpy(pbKey, p0->pb, cbCopy);
    if (cbMax > cbPrefix) {
        uint32_t cbS = pl->cbSuffix < cbMax - cbPrefix ? pl->cbSuffix : cbMax - cbPrefix;
        if (cbS)
            memcpy(pbKey + cbPrefix, pl->pb, cbS);
    }
    if (pl->cbPrefix > p0->cbData)
        return JET_errDatabaseCorrupted;
    return cb > cbMax ? JET_wrnBufferTruncated : JET_errSuccess;
}

JET_ERR esepage_data(const esepage *pp, uint32_t iline, const uint8_t **ppb, uint32_t *pcb)
{
    JET_ERR err = check_iline(pp, iline);
    if (err < 0)
        return err;
    const esepage_line *pl = &pp->rgline[iline];
    *ppb = pl->pb ? pl->pb + pl->cbSuffix : NULL;
    *pcb = pl->cbData;
    return JET_errSuccess;
}

static int bytes_differ(const uint8_t *a, uint32_t ca, const uint8_t *b, uint32_t cb)
{
    return ca != cb || (ca && memcmp(a, b, ca) != 0);
}

int esepage_compare(const esepage *a, const esepage *b, uint32_t *piline)
{
    if (a->dbtime != b->dbtime || a->pgnoPrev != b->pgnoPrev || a->pgnoNext != b->pgnoNext ||
        a->objidFDP != b->objidFDP || (a->fFlags & ~ESEPAGE_PG_FLUSHTYPE) != (b->fFlags & ~ESEPAGE_PG_FLUSHTYPE))
        return 1;
    if (a->ctagReserved != b->ctagReserved)
        return 2;
    for (uint32_t i = 0; i < a->ctagReserved; i++)
        if (bytes_differ(a->rgreserved[i].pb, a->rgreserved[i].cbData, b->rgreserved[i].pb, b->rgreserved[i].cbData))
            return 2;
    if (a->cline != b->cline)
        return 3;
    for (uint32_t i = 0; i < a->cline; i++) {
        const esepage_line *la = &a->rgline[i], *lb = &b->rgline[i];
        uint32_t pa = la->cbPrefix <= a->rgreserved[0].cbData ? la->cbPrefix : 0;
        uint32_t pb = lb->cbPrefix <= b->rgreserved[0].cbData ? lb->cbPrefix : 0;
        int fDiff = (la->fFlags & 3u) != (lb->fFlags & 3u) || pa + la->cbSuffix != pb + lb->cbSuffix ||
                    bytes_differ(la->pb ? la->pb + la->cbSuffix : NULL, la->cbData,
                                 lb->pb ? lb->pb + lb->cbSuffix : NULL, lb->cbData);
        if (!fDiff) {
            /* full keys: prefix bytes then suffix bytes, compared byte by byte */
            uint32_t ck = pa + la->cbSuffix;
            for (uint32_t k = 0; k < ck && !fDiff; k++) {
                uint8_t ka = k < pa ? a->rgreserved[0].pb[k] : la->pb[k - pa];
                uint8_t kb = k < pb ? b->rgreserved[0].pb[k] : lb->pb[k - pb];
                fDiff = ka != kb;
            }
        }
        if (fDiff) {
            if (piline)
                *piline = i;
            return 100 + (int)(i < 0x7FFFFF00u ? i : 0x7FFFFF00u);
        }
    }
    return 0;
}

/* ---- public: the model on a real page ----------------------------------------------------- */

JET_ERR EsepyEseRewritePage(ESEPY_ESE_FILE *pfile, uint32_t pgno, void *pv, uint32_t cbMax)
{
    if (pfile == NULL || pv == NULL || cbMax < pfile->cbPage)
        return JET_errInvalidParameter;
    uint8_t *pb = os_malloc(pfile->cbPage);
    if (pb == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = EsepyEseReadPage(pfile, pgno, pb, pfile->cbPage);
    if (err >= 0 && all_zero(pb, pfile->cbPage)) {
        memset(pv, 0, pfile->cbPage);
    } else if (err >= 0) {
        esepage pg;
        if ((err = esepage_decode(pb, pfile->cbPage, pgno, &pg)) >= 0) {
            err = esepage_encode(&pg, pv);
            esepage_free(&pg);
        }
    }
    os_free(pb);
    return err;
}
