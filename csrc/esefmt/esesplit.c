/*
 * esesplit.c -- redo of B+tree structure changes (Split2, Merge2, PageMove,
 * root-move macros) and of Scrub for Windows ESE databases: the records
 * decoded, their before-images decompressed, the split, merge, move and
 * scrub algorithms run on page models from the logged decision, and the
 * recovery entry points that apply them under the dbtime rule.
 *
 * Owns: esesplit.h (the algorithms, pure computation over page models),
 * esesplit_redo_macro (eseredo.h) and esesplit_redo_pagemove: which pages of
 * a committed split, merge or root-move macro or of a page move need the
 * change, before-image installation, dbtime stamping.
 * Must not touch: files (pages come from and go back to eseredo's cache),
 * the version store (reached only through eseredo_report_version), the
 * session and attach decisions (eserecover.c).  Records ESE does not put in
 * a structure macro stop recovery by name.
 *
 * Invariants:
 *  S1 A page changes only when its esepage is handed to the algorithm; a
 *     before-image installed for a split or merge is a private copy that is
 *     freed afterwards, never written (the source page on disk is newer).
 *     The one exception is ESE's own: the source of a page move whose
 *     destination needs the move is reverted to the logged image in the
 *     cache, then emptied and stamped like any redone page.
 *  S2 The algorithms rebuild every changed page's lines from full keys: a
 *     line's prefix count is recomputed against the prefix its page has
 *     afterwards (common bytes, used only when more than the 2-byte prefix
 *     count they save), so the logical content does not depend on how the
 *     lines were compressed before.
 *  S3 On any error nothing is stamped and no page is marked dirty; the
 *     caller (eserecover R1) writes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eseredo.h"
#include "esesplit.h"

#define PREFIX_OVERHEAD 2u  /* cbPrefixOverhead: a prefix count must save more than its own 2 bytes */
#define ILINE_NONE      (-1)

/* ---- records ---------------------------------------------------------------------- */

JET_ERR esesplit_parse_split(const ESEPY_ESE_LOGRECORD *prec, esesplit_split *ps)
{
    memset(ps, 0, sizeof(*ps));
    const uint8_t *p = prec->pb;
    if (p == NULL || prec->cb < 110)
        return JET_errLogCorrupted;
    ps->prec = prec;
    ps->pgno = le_get32(p + 4);
    ps->dbtime = le_get64(p + 8);
    ps->dbtimeBefore = le_get64(p + 16);
    ps->pgnoNew = le_get32(p + 32);
    ps->pgnoRight = le_get32(p + 36);
    ps->dbtimeRightBefore = le_get64(p + 40);
    ps->pgnoParent = le_get32(p + 48);
    ps->dbtimeParentBefore = le_get64(p + 52);
    ps->pgnoFDP = le_get32(p + 60);
    ps->objidFDP = le_get32(p + 64);
    ps->splittype = p[68];
    ps->splitoper = p[69];
    ps->ilineOper = le_get16(p + 70);
    ps->ilineSplit = le_get16(p + 72);
    ps->clines = le_get16(p + 74);
    ps->fNewPageFlags = le_get32(p + 76);
    ps->fSplitPageFlags = le_get32(p + 80);
    ps->cbUncFreeSrc = (int16_t)le_get16(p + 84);
    ps->cbUncFreeDest = (int16_t)le_get16(p + 86);
    ps->ilinePrefixSplit = (int32_t)le_get32(p + 88);
    ps->ilinePrefixNew = (int32_t)le_get32(p + 92);
    ps->cbPrefixOld = le_get16(p + 96);
    ps->cbPrefixNew = le_get16(p + 98);
    ps->cbKeyParent = le_get16(p + 100);
    ps->fImage = le_get32(p + 102);
    ps->cbImage = le_get32(p + 106);
    uint64_t cbVar = (uint64_t)ps->cbKeyParent + ps->cbPrefixOld + ps->cbPrefixNew + ps->cbImage;
    if (110 + cbVar > prec->cb)
        return JET_errLogCorrupted;
    ps->pbKeyParent = p + 110;
    ps->pbPrefixOld = ps->pbKeyParent + ps->cbKeyParent;
    ps->pbPrefixNew = ps->pbPrefixOld + ps->cbPrefixOld;
    ps->pbImage = ps->cbImage ? ps->pbPrefixNew + ps->cbPrefixNew : NULL;
    if (ps->splittype > ESESPLIT_TYPE_APPEND || ps->splitoper > ESESPLIT_OPER_FIARD)
        return JET_errLogCorrupted;
    if (ps->pgnoNew != 0 && (ps->clines == 0 || ps->ilineSplit >= ps->clines || ps->ilineOper >= ps->clines))
        return JET_errLogCorrupted;
    return JET_errSuccess;
}

JET_ERR esesplit_parse_merge(const ESEPY_ESE_LOGRECORD *prec, esesplit_merge *pm)
{
    memset(pm, 0, sizeof(*pm));
    const uint8_t *p = prec->pb;
    if (p == NULL || prec->cb < 96)
        return JET_errLogCorrupted;
    pm->prec = prec;
    pm->pgno = le_get32(p + 4);
    pm->dbtime = le_get64(p + 8);
    pm->dbtimeBefore = le_get64(p + 16);
    pm->iline = le_get16(p + 29);
    pm->pgnoRight = le_get32(p + 32);
    pm->dbtimeRightBefore = le_get64(p + 36);
    pm->pgnoLeft = le_get32(p + 44);
    pm->dbtimeLeftBefore = le_get64(p + 48);
    pm->pgnoParent = le_get32(p + 56);
    pm->dbtimeParentBefore = le_get64(p + 60);
    pm->pgnoFDP = le_get32(p + 68);
    pm->objidFDP = le_get32(p + 72);
    pm->cbSizeTotal = le_get16(p + 76);
    pm->cbSizeMaxTotal = le_get16(p + 78);
    pm->cbUncFreeDest = le_get16(p + 80);
    pm->ilineMerge = le_get16(p + 82);
    pm->fMerge = p[84];
    pm->mergetype = p[85];
    pm->cbKeyParentSep = le_get16(p + 86);
    pm->fImage = le_get32(p + 88);
    pm->cbImage = le_get32(p + 92);
    if (96 + (uint64_t)pm->cbKeyParentSep + pm->cbImage > prec->cb)
        return JET_errLogCorrupted;
    pm->pbKeyParentSep = p + 96;
    pm->pbImage = pm->cbImage ? pm->pbKeyParentSep + pm->cbKeyParentSep : NULL;
    return JET_errSuccess;
}

int esesplit_split_needs_image(const esesplit_split *ps)
{
    if (ps->splittype == ESESPLIT_TYPE_APPEND)
        return 0;
    if (ps->splittype == ESESPLIT_TYPE_RIGHT && ps->splitoper == ESESPLIT_OPER_INSERT &&
        ps->ilineSplit == ps->ilineOper && ps->ilineSplit + 1 == ps->clines)
        return 0; /* only the inserted line moves */
    return 1;
}

int esesplit_merge_needs_image(const esesplit_merge *pm)
{
    return pm->mergetype == ESESPLIT_MERGE_FULLRIGHT || pm->mergetype == ESESPLIT_MERGE_PARTIALRIGHT ||
           pm->mergetype == ESESPLIT_MERGE_FULLLEFT || pm->mergetype == ESESPLIT_MERGE_PARTIALLEFT;
}

JET_ERR esesplit_image(const uint8_t *pbImage, uint32_t cbImage, uint32_t fImage, uint32_t cbPage, uint8_t *pbOut)
{
    if (pbImage == NULL || cbImage == 0 || cbImage > cbPage)
        return JET_errDecompressionFailed;
    if (cbImage == cbPage) {
        memcpy(pbOut, pbImage, cbPage);
        return JET_errSuccess;
    }
    uint32_t cb = cbImage;
    memset(pbOut, 0, cbPage);
    if (fImage & ESESPLIT_IMAGE_XPRESS) {
        /* scheme byte (scheme << 3, XPRESS = 3), u16 uncompressed size, LZ77 stream */
        if (cbImage < 3 || (pbImage[0] >> 3) != 3)
            return JET_errDecompressionFailed;
        cb = le_get16(pbImage + 1);
        if (cb == 0 || cb > cbPage)
            return JET_errDecompressionFailed;
        JET_ERR err = esefmt_xpress_decompress(pbImage + 3, cbImage - 3, pbOut, cb);
        if (err < 0)
            return err;
    } else {
        memcpy(pbOut, pbImage, cbImage);
    }
    if (cb == cbPage)
        return JET_errSuccess;
    if (!(fImage & ESESPLIT_IMAGE_DEHYDRATED))
        return JET_errDecompressionFailed;
    /* rehydrate: the tag array (4 bytes a tag, at the end of the short image)
     * moves to the end of the page; the space between is free */
    uint32_t cbHeader = cbPage <= 8192 ? 40u : 80u;
    if (cb < cbHeader)
        return JET_errDecompressionFailed;
    uint32_t ctag = le_get16(pbOut + 34) & 0x0FFFu;
    uint32_t cbTags = 4u * ctag;
    if (cbTags > cb - cbHeader)
        return JET_errDecompressionFailed;
    memmove(pbOut + cbPage - cbTags, pbOut + cb - cbTags, cbTags);
    memset(pbOut + cb - cbTags, 0, cbPage - cbTags - (cb - cbTags));
    le_put16(pbOut + 28, (uint16_t)(le_get16(pbOut + 28) + (cbPage - cb)));
    return JET_errSuccess;
}

JET_ERR esesplit_format_new(const esesplit_split *ps, uint32_t cbPage, uint64_t dbtime, uint32_t ctagReservedStored,
                            esepage *pp)
{
    /* as ESE takes a pre-initialised page into use: the logged flags, new record format, not pre-init */
    JET_ERR err = esepage_format(pp, cbPage, ps->pgnoNew, ps->objidFDP, dbtime,
                                 (ps->fNewPageFlags | ESEPAGE_PG_NEWRECORD) & ~ESEPAGE_PG_PREINIT);
    if (err >= 0)
        pp->ctagReservedStored = ctagReservedStored;
    return err;
}

/* ---- lines as the algorithms see them (S2) ---------------------------------------------- */

typedef struct {
    uint8_t *pb;         /* key, then data (owned) */
    uint32_t cbKey, cbData;
    uint32_t fFlags;     /* ESEPAGE_ND_VERSION | ESEPAGE_ND_DELETED */
    uint32_t cbPrefix;
    int      fSet;
} lineinfo;

static void li_free(lineinfo *rg, uint32_t c)
{
    if (rg == NULL)
        return;
    for (uint32_t i = 0; i < c; i++)
        os_free(rg[i].pb);
    os_free(rg);
}

static JET_ERR li_set(lineinfo *pl, const uint8_t *pbKey, uint32_t cbKey, const uint8_t *pbData, uint32_t cbData,
                      uint32_t fFlags)
{
    os_free(pl->pb);
    memset(pl, 0, sizeof(*pl));
    pl->pb = os_malloc((size_t)cbKey + cbData + 1);
    if (pl->pb == NULL)
        return JET_errOutOfMemory;
    if (cbKey)
        memcpy(pl->pb, pbKey, cbKey);
    if (cbData)
        memcpy(pl->pb + cbKey, pbData, cbData);
    pl->cbKey = cbKey;
    pl->cbData = cbData;
    pl->fFlags = fFlags & (ESEPAGE_ND_VERSION | ESEPAGE_ND_DELETED);
    pl->fSet = 1;
    return JET_errSuccess;
}

/* Line iline of a page model, full key resolved (pbKeyBuf: ESEFMT_KEY_MAX bytes). */
static JET_ERR li_read(const esepage *pp, uint32_t iline, uint8_t *pbKeyBuf, lineinfo *pl)
{
    uint32_t cbKey = 0, cbData = 0;
    const uint8_t *pbData = NULL;
    JET_ERR err = esepage_key(pp, iline, pbKeyBuf, ESEFMT_KEY_MAX, &cbKey);
    if (err != JET_errSuccess)
        return err < 0 ? err : JET_errDatabaseCorrupted;
    if ((err = esepage_data(pp, iline, &pbData, &cbData)) < 0)
        return err;
    return li_set(pl, pbKeyBuf, cbKey, pbData, cbData, pp->rgline[iline].fFlags);
}

static const uint8_t *li_data(const lineinfo *pl)
{
    return pl->pb + pl->cbKey;
}

static uint32_t common_bytes(const uint8_t *a, uint32_t ca, const uint8_t *b, uint32_t cb)
{
    uint32_t n = ca < cb ? ca : cb, i = 0;
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

static uint32_t prefix_count(const uint8_t *pbPrefix, uint32_t cbPrefix, const uint8_t *pbKey, uint32_t cbKey)
{
    uint32_t c = common_bytes(pbPrefix, cbPrefix, pbKey, cbKey);
    return c > PREFIX_OVERHEAD ? c : 0;
}

/* The key prefix of a page: tag 0's data on non-root pages, none on roots
 * (their tag 0 is the space header). */
static void page_prefix(const esepage *pp, const uint8_t **ppb, uint32_t *pcb)
{
    *ppb = NULL;
    *pcb = 0;
    if ((pp->fFlags & ESEPAGE_PG_ROOT) || pp->ctagReserved == 0)
        return;
    *ppb = pp->rgreserved[0].pb;
    *pcb = pp->rgreserved[0].cbData;
}

static JET_ERR insert_li(esepage *pp, uint32_t iline, const lineinfo *pl)
{
    return esepage_insert(pp, iline, pl->pb, pl->cbKey, pl->cbPrefix, li_data(pl), pl->cbData, pl->fFlags);
}

static JET_ERR delete_all(esepage *pp)
{
    JET_ERR err = JET_errSuccess;
    while (pp->cline > 0 && err >= 0)
        err = esepage_delete(pp, pp->cline - 1);
    return err;
}

/* Insert a node computing its prefix count against the page's prefix (as
 * ESE does when it inserts a separator into an internal page). */
static JET_ERR insert_with_prefix(esepage *pp, uint32_t iline, const uint8_t *pbKey, uint32_t cbKey,
                                  const uint8_t *pbData, uint32_t cbData)
{
    const uint8_t *pbPrefix;
    uint32_t cbPrefix;
    page_prefix(pp, &pbPrefix, &cbPrefix);
    return esepage_insert(pp, iline, pbKey, cbKey, prefix_count(pbPrefix, cbPrefix, pbKey, cbKey), pbData, cbData,
                          0);
}

static JET_ERR set_pgno_data(esepage *pp, uint32_t iline, uint32_t pgno)
{
    uint8_t rgb[4];
    le_put32(rgb, pgno);
    return esepage_replace_data(pp, iline, rgb, 4);
}

/* The child page number line iline points to (0 when its data is not 4 bytes). */
static uint32_t pgno_at_line(const esepage *pp, uint32_t iline)
{
    const esepage_line *pl = &pp->rgline[iline];
    return pl->cbData == 4 ? le_get32(pl->pb + pl->cbSuffix) : 0;
}

static int find_pgno_line(const esepage *pp, uint32_t pgno, uint32_t *piline)
{
    int c = 0;
    for (uint32_t i = 0; i < pp->cline; i++) {
        const esepage_line *pl = &pp->rgline[i];
        if (pl->cbData == 4 && le_get32(pl->pb + pl->cbSuffix) == pgno) {
            if (c++ == 0)
                *piline = i;
        }
    }
    return c;
}

#define WHY(...) (snprintf(szWhy, cbWhy, __VA_ARGS__))

/* ESE logs an emptied tree as an EmptyTree record and a moved page as a
 * PageMove record; its Merge2 writer never uses these two merge types and
 * its redo has no behaviour for them: such a record is refused by name. */
#define MERGE_TYPE_NEVER_LOGGED \
    "Merge2 of type %s (%u) on page %u is not replayed: ESE logs that operation as %s, never as a Merge2"

/* ---- split ------------------------------------------------------------------------------------ */

/* The separator a split level hands to its parent: key from the record,
 * data = the split page's number. */
static JET_ERR separator_li(const esesplit_split *ps, lineinfo *pl)
{
    uint8_t rgb[4];
    le_put32(rgb, ps->pgno);
    return li_set(pl, ps->pbKeyParent, ps->cbKeyParent, rgb, 4, 0);
}

/* A level with pgnoNew = 0: the parent receives the child's separator before
 * its pointer to the child's split page, which then points to the new page. */
static JET_ERR split_parent_only(const esesplit_split *ps, const esesplit_split *pchild, esepage *pp, char *szWhy,
                                 size_t cbWhy)
{
    if (pchild == NULL || pchild->pgnoNew == 0) {
        WHY("Split2 level of page %u has no new page and no split below it", ps->pgno);
        return JET_errLogCorrupted;
    }
    if (pp == NULL)
        return JET_errSuccess;
    uint32_t iline = 0;
    int c = find_pgno_line(pp, pchild->pgno, &iline);
    if (c != 1) {
        WHY("parent page %u has %d pointers to the split page %u (one expected)", ps->pgno, c, pchild->pgno);
        return JET_errDatabaseCorrupted;
    }
    uint8_t rgb[4];
    le_put32(rgb, pchild->pgno);
    JET_ERR err = insert_with_prefix(pp, iline, pchild->pbKeyParent, pchild->cbKeyParent, rgb, 4);
    if (err >= 0)
        err = set_pgno_data(pp, iline + 1, pchild->pgnoNew);
    if (err < 0)
        WHY("inserting the separator of page %u into parent page %u failed (error %d)", pchild->pgno, ps->pgno, err);
    return err;
}

static JET_ERR split_level(const esesplit_split *ps, const esesplit_split *pchild, esesplit_split_pages *pg,
                           const esesplit_oper *poper, char *szWhy, size_t cbWhy)
{
    esepage *pSrc = pg->pPage, *pNew = pg->pNew;
    const uint32_t clines = ps->clines, ilineSplit = ps->ilineSplit, ilineOper = ps->ilineOper;
    const int fLeaf = (ps->fNewPageFlags & ESEPAGE_PG_LEAF) != 0;
    const uint32_t cLineInsert = ps->splitoper == ESESPLIT_OPER_INSERT ? 1u : 0u;
    const int fOperInDest = ps->splitoper != ESESPLIT_OPER_NONE && ilineOper >= ilineSplit;
    lineinfo *rgli = NULL;
    uint8_t *pbKeyBuf = NULL;
    JET_ERR err = JET_errSuccess;

    if (ps->splittype == ESESPLIT_TYPE_VERTICAL && ilineSplit != 0) {
        WHY("vertical split of page %u starts at line %u (0 expected)", ps->pgno, ilineSplit);
        return JET_errLogCorrupted;
    }
    if (ps->splittype != ESESPLIT_TYPE_VERTICAL && ilineSplit == 0) {
        WHY("split of page %u moves every line (ilineSplit 0) but is not vertical", ps->pgno);
        return JET_errLogCorrupted;
    }
    if (pSrc == NULL && pNew == NULL && pg->pRight == NULL)
        return JET_errSuccess;

    /* the pending operation of this level */
    lineinfo liOper;
    memset(&liOper, 0, sizeof(liOper));
    int fOperVersioned = 0;
    if (ps->splitoper != ESESPLIT_OPER_NONE) {
        if (!fLeaf) {
            if (ps->splitoper != ESESPLIT_OPER_INSERT || pchild == NULL) {
                WHY("internal split of page %u with operation %u and no split below it", ps->pgno, ps->splitoper);
                return JET_errLogCorrupted;
            }
            if ((err = separator_li(pchild, &liOper)) < 0)
                return err;
        } else {
            static const uint32_t rglrtyp[4] = { 0, ESEPY_ESE_LRTYP_INSERT, ESEPY_ESE_LRTYP_REPLACE,
                                                  ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA };
            if (poper == NULL || poper->lrtyp != rglrtyp[ps->splitoper]) {
                WHY("split of page %u names operation %u but its macro logs no matching %s", ps->pgno,
                    ps->splitoper, EsepyEseLrtypName(rglrtyp[ps->splitoper]));
                return JET_errLogCorrupted;
            }
            fOperVersioned = poper->fVersioned;
            if ((err = li_set(&liOper, poper->pbKey, poper->cbKey, poper->pbData, poper->cbData, 0)) < 0)
                return err;
        }
    }
    const uint32_t fOperVer = (fOperVersioned && fLeaf) ? ESEPAGE_ND_VERSION : 0;

    rgli = os_calloc(clines, sizeof(*rgli));
    pbKeyBuf = os_malloc(ESEFMT_KEY_MAX);
    if (rgli == NULL || pbKeyBuf == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }

    /* the lines after the operation, from the split page as it was */
    if (pSrc != NULL) {
        if (pSrc->cline + cLineInsert != clines) {
            WHY("split page %u has %u lines; the record expects %u before its operation", ps->pgno, pSrc->cline,
                clines - cLineInsert);
            err = JET_errDatabaseCorrupted;
            goto done;
        }
        if (ps->cbPrefixOld > 0 && !(pSrc->fFlags & ESEPAGE_PG_ROOT) &&
            (pSrc->ctagReserved == 0 || pSrc->rgreserved[0].cbData != ps->cbPrefixOld ||
             memcmp(pSrc->rgreserved[0].pb, ps->pbPrefixOld, ps->cbPrefixOld) != 0)) {
            WHY("split page %u does not carry the prefix the record logs as its old one", ps->pgno);
            err = JET_errDatabaseCorrupted;
            goto done;
        }
        for (uint32_t ilineTo = 0, ilineFrom = 0; ilineTo < clines; ilineTo++) {
            if (ilineTo == ilineOper && ps->splitoper == ESESPLIT_OPER_INSERT) {
                if ((err = li_set(&rgli[ilineTo], liOper.pb, liOper.cbKey, li_data(&liOper), liOper.cbData, 0)) < 0)
                    goto done;
                continue;
            }
            if ((err = li_read(pSrc, ilineFrom, pbKeyBuf, &rgli[ilineTo])) < 0) {
                WHY("line %u of split page %u cannot be read (error %d)", ilineFrom, ps->pgno, err);
                goto done;
            }
            if (ilineTo == ilineOper && ps->splitoper != ESESPLIT_OPER_NONE) {
                /* replace: the key stays, the data comes from the record */
                lineinfo *pl = &rgli[ilineTo];
                uint32_t fFlags = pl->fFlags;
                lineinfo t;
                memset(&t, 0, sizeof(t));
                if ((err = li_set(&t, pl->pb, pl->cbKey, li_data(&liOper), liOper.cbData, fFlags)) < 0)
                    goto done;
                os_free(pl->pb);
                *pl = t;
            }
            ilineFrom++;
        }
    } else if (pNew != NULL) {
        /* the split page is newer: only the inserted line may move */
        if (ps->splitoper != ESESPLIT_OPER_INSERT || ilineOper != ilineSplit || ilineSplit + 1 != clines) {
            WHY("new page %u of the split of page %u needs lines of the split page, which already carries the "
                "split", ps->pgnoNew, ps->pgno);
            err = JET_errDatabaseBufferDependenciesCorrupted;
            goto done;
        }
        if ((err = li_set(&rgli[ilineOper], liOper.pb, liOper.cbKey, li_data(&liOper), liOper.cbData, 0)) < 0)
            goto done;
    }

    /* flags of the operation's line */
    if (ps->splitoper != ESESPLIT_OPER_NONE && rgli[ilineOper].fSet) {
        lineinfo *pl = &rgli[ilineOper];
        if (ps->splitoper == ESESPLIT_OPER_INSERT)
            pl->fFlags = fOperVer;
        else if (!fOperInDest)
            pl->fFlags = fOperVer; /* deleted and re-inserted with no flags */
        else if (ps->splitoper == ESESPLIT_OPER_FIARD)
            pl->fFlags = (pl->fFlags & ~ESEPAGE_ND_DELETED) | fOperVer;
        else
            pl->fFlags |= fOperVer;
    }

    /* prefix counts against the prefixes the pages get */
    if (ps->ilinePrefixSplit != ILINE_NONE && ps->splittype != ESESPLIT_TYPE_APPEND)
        for (uint32_t i = 0; i < ilineSplit; i++)
            if (rgli[i].fSet)
                rgli[i].cbPrefix = prefix_count(ps->pbPrefixNew, ps->cbPrefixNew, rgli[i].pb, rgli[i].cbKey);
    const lineinfo *pliPrefixNew = NULL;
    if (ps->ilinePrefixNew != ILINE_NONE) {
        if (ps->ilinePrefixNew < 0 || ilineSplit + (uint32_t)ps->ilinePrefixNew >= clines) {
            WHY("split of page %u names line %d of the new page as its prefix, beyond its lines", ps->pgno,
                ps->ilinePrefixNew);
            err = JET_errLogCorrupted;
            goto done;
        }
        pliPrefixNew = &rgli[ilineSplit + (uint32_t)ps->ilinePrefixNew];
        if (pNew != NULL && !pliPrefixNew->fSet) {
            WHY("the prefix line of new page %u is not known", ps->pgnoNew);
            err = JET_errDatabaseBufferDependenciesCorrupted;
            goto done;
        }
    }

    /* the new page: prefix, then the moved lines in order */
    if (pNew != NULL) {
        if (pliPrefixNew != NULL) {
            if ((err = esepage_set_external_header(pNew, pliPrefixNew->pb, pliPrefixNew->cbKey)) < 0)
                goto done;
            for (uint32_t i = ilineSplit; i < clines; i++)
                rgli[i].cbPrefix = prefix_count(pliPrefixNew->pb, pliPrefixNew->cbKey, rgli[i].pb, rgli[i].cbKey);
        } else {
            for (uint32_t i = ilineSplit; i < clines; i++)
                rgli[i].cbPrefix = 0;
        }
        for (uint32_t i = ilineSplit; i < clines; i++) {
            if (!rgli[i].fSet) {
                WHY("line %u moving to new page %u is not known", i, ps->pgnoNew);
                err = JET_errDatabaseBufferDependenciesCorrupted;
                goto done;
            }
            if ((err = insert_li(pNew, pNew->cline, &rgli[i])) < 0) {
                WHY("moving line %u to new page %u failed (error %d)", i, ps->pgnoNew, err);
                goto done;
            }
        }
        if (fLeaf)
            pNew->cbUncommittedFree = (uint32_t)(uint16_t)ps->cbUncFreeDest;
    }

    /* the split page */
    if (pSrc != NULL) {
        if (ps->splittype == ESESPLIT_TYPE_VERTICAL) {
            if ((err = delete_all(pSrc)) < 0)
                goto done;
            pSrc->fFlags = ps->fSplitPageFlags;
            uint8_t rgb[4];
            le_put32(rgb, ps->pgnoNew);
            if ((err = esepage_insert(pSrc, 0, NULL, 0, 0, rgb, 4, 0)) < 0)
                goto done;
        } else if (ps->splittype == ESESPLIT_TYPE_APPEND) {
            if (ps->splitoper != ESESPLIT_OPER_NONE && !fOperInDest) {
                WHY("append split of page %u with its operation on the split page", ps->pgno);
                err = JET_errLogCorrupted;
                goto done;
            }
            uint32_t cKeep = ilineSplit - (fOperInDest ? 0 : cLineInsert);
            while (pSrc->cline > cKeep && err >= 0)
                err = esepage_delete(pSrc, pSrc->cline - 1);
            if (err < 0)
                goto done;
        } else {
            /* right split: the lines that stay, recompressed against the new prefix */
            if ((err = delete_all(pSrc)) < 0)
                goto done;
            if (!(pSrc->fFlags & ESEPAGE_PG_ROOT) &&
                (err = esepage_set_external_header(pSrc, ps->pbPrefixNew, ps->cbPrefixNew)) < 0)
                goto done;
            for (uint32_t i = 0; i < ilineSplit; i++) {
                if (ps->ilinePrefixSplit == ILINE_NONE)
                    rgli[i].cbPrefix = 0;
                if ((err = insert_li(pSrc, i, &rgli[i])) < 0) {
                    WHY("re-inserting line %u of split page %u failed (error %d)", i, ps->pgno, err);
                    goto done;
                }
            }
        }
        if (fLeaf)
            pSrc->cbUncommittedFree = (uint32_t)(uint16_t)ps->cbUncFreeSrc;
    }

    /* links: leaf siblings, or the parent pointer to the child's new page */
    if (ps->splittype != ESESPLIT_TYPE_VERTICAL && fLeaf) {
        if (pNew != NULL)
            pNew->pgnoPrev = ps->pgno;
        if (pSrc != NULL)
            pSrc->pgnoNext = ps->pgnoNew;
        if (ps->pgnoRight != 0) {
            if (pg->pRight != NULL)
                pg->pRight->pgnoPrev = ps->pgnoNew;
            if (pNew != NULL)
                pNew->pgnoNext = ps->pgnoRight;
        }
    } else if (pchild != NULL && pchild->pgnoNew != 0) {
        esepage *pp;
        uint32_t il;
        if (ilineOper + 1 >= ilineSplit) {
            pp = pNew;
            il = ilineOper + 1 - ilineSplit;
        } else {
            pp = pSrc;
            il = ilineOper + 1;
        }
        if (pp != NULL) {
            if (il >= pp->cline) {
                WHY("the pointer to page %u (line %u) is missing after the split of page %u", pchild->pgno, il,
                    ps->pgno);
                err = JET_errDatabaseCorrupted;
                goto done;
            }
            if ((err = set_pgno_data(pp, il, pchild->pgnoNew)) < 0)
                goto done;
        }
    } else if (ps->splittype != ESESPLIT_TYPE_VERTICAL) {
        WHY("internal split of page %u has no split below it", ps->pgno);
        err = JET_errLogCorrupted;
        goto done;
    }

done:
    li_free(rgli, clines);
    os_free(liOper.pb);
    os_free(pbKeyBuf);
    if (err < 0 && szWhy[0] == '\0')
        WHY("the split of page %u failed (error %d)", ps->pgno, err);
    return err;
}

JET_ERR esesplit_split_apply(const esesplit_split *rglevel, uint32_t clevel, esesplit_split_pages *rgpages,
                             const esesplit_oper *poper, char *szWhy, size_t cbWhy)
{
    szWhy[0] = '\0';
    if (clevel == 0 || clevel > ESESPLIT_LEVELS_MAX || rglevel[clevel - 1].pgnoNew == 0) {
        WHY("a split macro without a split at its lowest level");
        return JET_errLogCorrupted;
    }
    for (uint32_t i = 0; i < clevel; i++) {
        const esesplit_split *pchild = i + 1 < clevel ? &rglevel[i + 1] : NULL;
        JET_ERR err;
        if (rglevel[i].pgnoNew == 0)
            err = split_parent_only(&rglevel[i], pchild, rgpages[i].pPage, szWhy, cbWhy);
        else
            err = split_level(&rglevel[i], pchild, &rgpages[i], pchild == NULL ? poper : NULL, szWhy, cbWhy);
        if (err < 0)
            return err;
    }
    return JET_errSuccess;
}

/* ---- merge ------------------------------------------------------------------------------------- */

static JET_ERR empty_page(esepage *pp)
{
    JET_ERR err = JET_errSuccess;
    if (!(pp->fFlags & ESEPAGE_PG_ROOT) && pp->ctagReserved > 0 && pp->rgreserved[0].cbData > 0)
        err = esepage_set_external_header(pp, NULL, 0);
    if (err >= 0)
        err = delete_all(pp);
    if (err >= 0)
        pp->fFlags |= ESEPAGE_PG_EMPTY;
    return err;
}

/* Re-insert the page pointer at iline with another key (data kept). */
static JET_ERR change_key(esepage *pp, uint32_t iline, const uint8_t *pbKey, uint32_t cbKey)
{
    const uint8_t *pbData;
    uint32_t cbData;
    JET_ERR err = esepage_data(pp, iline, &pbData, &cbData);
    if (err < 0)
        return err;
    if (cbData != 4)
        return JET_errDatabaseCorrupted;
    uint8_t rgb[4];
    memcpy(rgb, pbData, 4);
    if ((err = esepage_delete(pp, iline)) < 0)
        return err;
    return insert_with_prefix(pp, iline, pbKey, cbKey, rgb, 4);
}

static JET_ERR merge_leaf(const esesplit_merge *pm, esesplit_merge_pages *pg, char *szWhy, size_t cbWhy)
{
    esepage *pSrc = pg->pPage;
    const uint32_t mt = pm->mergetype;
    const int fRight = !(mt == ESESPLIT_MERGE_FULLLEFT || mt == ESESPLIT_MERGE_PARTIALLEFT);
    esepage *pDest = mt == ESESPLIT_MERGE_EMPTYPAGE ? NULL : (fRight ? pg->pRight : pg->pLeft);
    lineinfo *rgli = NULL;
    uint8_t *pbKeyBuf = NULL;
    uint32_t clines = 0;
    JET_ERR err = JET_errSuccess;

    if ((mt == ESESPLIT_MERGE_FULLRIGHT || mt == ESESPLIT_MERGE_PARTIALRIGHT) && pm->pgnoRight == 0) {
        WHY("right merge of page %u without a right page", pm->pgno);
        return JET_errLogCorrupted;
    }
    if ((mt == ESESPLIT_MERGE_FULLLEFT || mt == ESESPLIT_MERGE_PARTIALLEFT) && pm->pgnoLeft == 0) {
        WHY("left merge of page %u without a left page", pm->pgno);
        return JET_errLogCorrupted;
    }
    if (pDest != NULL) {
        if (pSrc == NULL) {
            WHY("destination page %u of the merge of page %u needs lines of page %u, which already carries the merge",
                fRight ? pm->pgnoRight : pm->pgnoLeft, pm->pgno, pm->pgno);
            return JET_errDatabaseBufferDependenciesCorrupted;
        }
        clines = pSrc->cline;
        if (clines == 0 || pm->ilineMerge >= clines) {
            WHY("merge of page %u starts at line %u of its %u lines", pm->pgno, pm->ilineMerge, clines);
            return JET_errDatabaseCorrupted;
        }
        rgli = os_calloc(clines, sizeof(*rgli));
        pbKeyBuf = os_malloc(ESEFMT_KEY_MAX);
        if (rgli == NULL || pbKeyBuf == NULL) {
            err = JET_errOutOfMemory;
            goto done;
        }
        const uint8_t *pbPrefix;
        uint32_t cbPrefix;
        page_prefix(pDest, &pbPrefix, &cbPrefix);
        for (uint32_t i = 0; i < clines; i++) {
            if ((err = li_read(pSrc, i, pbKeyBuf, &rgli[i])) < 0) {
                WHY("line %u of merged page %u cannot be read (error %d)", i, pm->pgno, err);
                goto done;
            }
            rgli[i].cbPrefix = prefix_count(pbPrefix, cbPrefix, rgli[i].pb, rgli[i].cbKey);
        }
        /* move the lines that are not flag-deleted, keeping their order */
        uint32_t iMin = fRight ? pm->ilineMerge : 0, iMax = fRight ? clines : pm->ilineMerge + 1;
        uint32_t ilineDest = fRight ? 0 : pDest->cline;
        for (uint32_t i = iMax; i-- > iMin;) {
            if (rgli[i].fFlags & ESEPAGE_ND_DELETED)
                continue;
            if ((err = insert_li(pDest, ilineDest, &rgli[i])) < 0) {
                WHY("moving line %u of page %u to page %u failed (error %d)", i, pm->pgno,
                    fRight ? pm->pgnoRight : pm->pgnoLeft, err);
                goto done;
            }
        }
        pDest->cbUncommittedFree = pm->cbUncFreeDest;
    }
    if (pSrc != NULL) {
        if (mt == ESESPLIT_MERGE_PARTIALRIGHT) {
            while (pSrc->cline > pm->ilineMerge && err >= 0)
                err = esepage_delete(pSrc, pSrc->cline - 1);
        } else if (mt == ESESPLIT_MERGE_PARTIALLEFT) {
            for (uint32_t i = 0; i <= pm->ilineMerge && pSrc->cline > 0 && err >= 0; i++)
                err = esepage_delete(pSrc, 0);
        }
        if (err < 0)
            goto done;
    }
    if (mt != ESESPLIT_MERGE_PARTIALRIGHT && mt != ESESPLIT_MERGE_PARTIALLEFT) {
        if (pm->pgnoLeft != 0 && pg->pLeft != NULL)
            pg->pLeft->pgnoNext = pm->pgnoRight;
        if (pm->pgnoRight != 0 && pg->pRight != NULL)
            pg->pRight->pgnoPrev = pm->pgnoLeft;
    }
    if ((pm->fMerge & ESESPLIT_MERGE_EMPTY) && pSrc != NULL)
        err = empty_page(pSrc);
done:
    li_free(rgli, clines);
    os_free(pbKeyBuf);
    return err;
}

static JET_ERR merge_internal(const esesplit_merge *pm, const esesplit_merge *pleaf, esepage *pp, char *szWhy,
                              size_t cbWhy)
{
    if (pp == NULL)
        return JET_errSuccess;
    const uint32_t iline = pm->iline;
    JET_ERR err = JET_errSuccess;
    if (iline >= pp->cline && (pm->fMerge & (ESESPLIT_MERGE_DELETENODE | ESESPLIT_MERGE_KEYCHANGE))) {
        WHY("merge names line %u of internal page %u, which has %u lines", iline, pm->pgno, pp->cline);
        return JET_errDatabaseCorrupted;
    }
    if (pleaf->mergetype == ESESPLIT_MERGE_FULLLEFT && (pm->fMerge & ESESPLIT_MERGE_DELETENODE) &&
        (pm->fMerge & ESESPLIT_MERGE_KEYCHANGE)) {
        /* the pointer to the merged page now points to the left page; the
         * left page's old pointer goes */
        if (iline == 0) {
            WHY("full left merge names the first line of page %u", pm->pgno);
            return JET_errDatabaseCorrupted;
        }
        if ((err = set_pgno_data(pp, iline, pleaf->pgnoLeft)) >= 0)
            err = esepage_delete(pp, iline - 1);
    } else if (pm->fMerge & ESESPLIT_MERGE_DELETENODE) {
        const int fLastNull = iline + 1 == pp->cline && pp->rgline[iline].cbSuffix == 0 &&
                              pp->rgline[iline].cbPrefix == 0;
        if ((err = esepage_delete(pp, iline)) >= 0 && fLastNull) {
            if (iline == 0) {
                WHY("merge deletes the only pointer of page %u", pm->pgno);
                return JET_errDatabaseCorrupted;
            }
            err = change_key(pp, iline - 1, NULL, 0);
        }
    } else if (pm->fMerge & ESESPLIT_MERGE_KEYCHANGE) {
        uint32_t il = iline;
        if (pleaf->mergetype == ESESPLIT_MERGE_PARTIALLEFT) {
            if (iline == 0) {
                WHY("partial left merge names the first line of page %u", pm->pgno);
                return JET_errDatabaseCorrupted;
            }
            il = iline - 1;
        }
        err = change_key(pp, il, pleaf->pbKeyParentSep, pleaf->cbKeyParentSep);
    }
    if (err >= 0 && (pm->fMerge & ESESPLIT_MERGE_EMPTY))
        err = empty_page(pp);
    if (err < 0 && szWhy[0] == '\0')
        WHY("the merge on internal page %u failed (error %d)", pm->pgno, err);
    return err;
}

JET_ERR esesplit_merge_apply(const esesplit_merge *rglevel, uint32_t clevel, esesplit_merge_pages *rgpages,
                             char *szWhy, size_t cbWhy)
{
    szWhy[0] = '\0';
    if (clevel == 0 || clevel > ESESPLIT_LEVELS_MAX) {
        WHY("a merge macro with %u levels", clevel);
        return JET_errLogCorrupted;
    }
    const esesplit_merge *pleaf = &rglevel[clevel - 1];
    switch (pleaf->mergetype) {
    case ESESPLIT_MERGE_EMPTYPAGE:
    case ESESPLIT_MERGE_FULLRIGHT:
    case ESESPLIT_MERGE_PARTIALRIGHT:
    case ESESPLIT_MERGE_FULLLEFT:
    case ESESPLIT_MERGE_PARTIALLEFT:
        break;
    case ESESPLIT_MERGE_EMPTYTREE:
    case ESESPLIT_MERGE_PAGEMOVE:
        WHY(MERGE_TYPE_NEVER_LOGGED, pleaf->mergetype == ESESPLIT_MERGE_EMPTYTREE ? "EmptyTree" : "PageMove",
            pleaf->mergetype, pleaf->pgno,
            pleaf->mergetype == ESESPLIT_MERGE_EMPTYTREE ? "an EmptyTree record" : "a PageMove record");
        return JET_errFeatureNotAvailable;
    default:
        WHY("Merge2 on page %u has the unknown merge type %u", pleaf->pgno, pleaf->mergetype);
        return JET_errLogCorrupted;
    }
    for (uint32_t i = 0; i < clevel; i++) {
        JET_ERR err = i + 1 == clevel ? merge_leaf(pleaf, &rgpages[i], szWhy, cbWhy)
                                      : merge_internal(&rglevel[i], pleaf, rgpages[i].pPage, szWhy, cbWhy);
        if (err < 0) {
            if (szWhy[0] == '\0')
                WHY("the merge of page %u failed (error %d)", rglevel[i].pgno, err);
            return err;
        }
    }
    return JET_errSuccess;
}

/* ---- recovery: one committed macro under the dbtime rule (eseredo.h) -------------------------- */

typedef struct {
    uint32_t                   pgno;
    esepage                   *pp;       /* pinned in eseredo's cache, or an owned before-image (fImage) */
    int                        fImage;
    const ESEPY_ESE_LOGRECORD *prec;     /* the record whose dbtime it gets */
} redo_page;

typedef struct {
    eseredo  *pr;
    redo_page rg[4 * ESESPLIT_LEVELS_MAX];
    uint32_t  c;
    uint32_t  cbPage;
} redo_set;

/* The dbtime rule for one page of the macro: *ppp = the page when it needs
 * the change, NULL when it already has it.  A page named twice gets the
 * first decision. */
static JET_ERR rs_check(redo_set *ps, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, uint64_t dbtimeBefore,
                        uint32_t grbit, esepage **ppp)
{
    *ppp = NULL;
    for (uint32_t i = 0; i < ps->c; i++)
        if (ps->rg[i].pgno == pgno) {
            *ppp = ps->rg[i].pp;
            if (*ppp != NULL)
                return 1;
            /* counted again as a reference proved applied (the macro keeps the decision) */
            esepage *pp = NULL;
            JET_ERR err = eseredo_check(ps->pr, prec, pgno, ESEREDO_DBTIME_NIL, grbit, &pp);
            if (err > 0) { /* cannot happen: the decision was "no redo" */
                eseredo_page_release(ps->pr, pp, 0);
                return eseredo_fail(ps->pr, JET_errInternalError, prec, pgno, "a macro changed its decision");
            }
            return err < 0 ? err : 0;
        }
    if (ps->c == sizeof(ps->rg) / sizeof(ps->rg[0]))
        return eseredo_fail(ps->pr, JET_errLogCorrupted, prec, pgno, "a structure macro names too many pages");
    esepage *pp = NULL;
    JET_ERR err = eseredo_check(ps->pr, prec, pgno, dbtimeBefore, grbit, &pp);
    if (err < 0)
        return err;
    redo_page *prp = &ps->rg[ps->c++];
    memset(prp, 0, sizeof(*prp));
    prp->pgno = pgno;
    prp->pp = err > 0 ? pp : NULL;
    prp->prec = prec;
    if (pp != NULL && ps->cbPage == 0)
        ps->cbPage = pp->cbPage;
    *ppp = prp->pp;
    return err > 0;
}

/* Install the before-image of pgno as a private page (S1), its dbtime reset
 * to dbtimeBefore: the source as it was before the split or merge. */
static JET_ERR rs_image(redo_set *ps, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, const uint8_t *pbImage,
                        uint32_t cbImage, uint32_t fImage, uint64_t dbtimeBefore, esepage **ppp)
{
    *ppp = NULL;
    uint32_t cbPage = ps->cbPage;
    if (cbPage == 0)
        return eseredo_fail(ps->pr, JET_errInternalError, prec, pgno, "no page size known for the before-image");
    uint8_t *pb = os_malloc(cbPage);
    esepage *pp = os_calloc(1, sizeof(*pp));
    JET_ERR err = (pb == NULL || pp == NULL) ? JET_errOutOfMemory : JET_errSuccess;
    if (err >= 0 && (err = esesplit_image(pbImage, cbImage, fImage, cbPage, pb)) < 0)
        eseredo_fail(ps->pr, err, prec, pgno,
                     "%s at (%d,%u,%u): the before-image of page %u (%u bytes, flags %#x) does not decompress",
                     EsepyEseLrtypName(prec->lrtyp), prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib, pgno,
                     cbImage, fImage);
    if (err >= 0 && (err = esepage_decode(pb, cbPage, pgno, pp)) < 0)
        eseredo_fail(ps->pr, err, prec, pgno, "the before-image of page %u does not decode as a page", pgno);
    os_free(pb);
    if (err < 0) {
        os_free(pp);
        return err;
    }
    pp->dbtime = dbtimeBefore;
    for (uint32_t i = 0; i < ps->c; i++)
        if (ps->rg[i].pgno == pgno) {
            ps->rg[i].pp = pp;
            ps->rg[i].fImage = 1;
            *ppp = pp;
            return JET_errSuccess;
        }
    esepage_free(pp);
    os_free(pp);
    return eseredo_fail(ps->pr, JET_errInternalError, prec, pgno, "before-image for a page not checked");
}

/* Stamp and release (fDone) or release unchanged; images are freed (S1, S3). */
static void rs_finish(redo_set *ps, int fDone)
{
    for (uint32_t i = 0; i < ps->c; i++) {
        redo_page *prp = &ps->rg[i];
        if (prp->pp == NULL)
            continue;
        if (prp->fImage) {
            esepage_free(prp->pp);
            os_free(prp->pp);
        } else if (fDone) {
            eseredo_page_done(ps->pr, prp->prec, prp->pp);
        } else {
            eseredo_page_release(ps->pr, prp->pp, 0);
        }
        prp->pp = NULL;
    }
    ps->c = 0;
}

static JET_ERR rs_fail(redo_set *ps, JET_ERR err, const ESEPY_ESE_LOGRECORD *prec, const char *szWhy)
{
    return eseredo_fail(ps->pr, err, prec, prec->pgno, "%s at (%d,%u,%u): %s", EsepyEseLrtypName(prec->lrtyp),
                        prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib, szWhy);
}

JET_ERR esesplit_collect(const eseredo_buf *pbuf, esesplit_macro *pm, char *szWhy, size_t cbWhy)
{
    memset(pm, 0, sizeof(*pm));
    szWhy[0] = '\0';
    uint32_t csplit = 0, cmerge = 0;
    JET_ERR err;
    for (uint32_t i = 0; i < pbuf->crec; i++) {
        const ESEPY_ESE_LOGRECORD *prec = &pbuf->rgrec[i].rec;
        pm->precBad = prec;
        switch (prec->lrtyp) {
        case ESEPY_ESE_LRTYP_SPLIT2:
        case ESEPY_ESE_LRTYP_MERGE2:
            if (pm->clevel == ESESPLIT_LEVELS_MAX) {
                WHY("a structure macro of more than %u levels", ESESPLIT_LEVELS_MAX);
                return JET_errLogCorrupted;
            }
            if (prec->lrtyp == ESEPY_ESE_LRTYP_SPLIT2) {
                csplit++;
                err = esesplit_parse_split(prec, &pm->rgsplit[pm->clevel]);
            } else {
                cmerge++;
                err = esesplit_parse_merge(prec, &pm->rgmerge[pm->clevel]);
            }
            if (err < 0) {
                WHY("the record does not decode");
                return err;
            }
            pm->clevel++;
            break;
        case ESEPY_ESE_LRTYP_INSERT:
        case ESEPY_ESE_LRTYP_REPLACE:
        case ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA:
            if (pm->precOper != NULL) {
                WHY("a split macro with two operations (%s, %s)", EsepyEseLrtypName(pm->precOper->lrtyp),
                    EsepyEseLrtypName(prec->lrtyp));
                return JET_errLogCorrupted;
            }
            pm->precOper = prec;
            break;
        case ESEPY_ESE_LRTYP_PAGEMOVE:
        case ESEPY_ESE_LRTYP_ROOTPAGEMOVE:
            WHY("%s on page %u inside a split or merge macro is not replayed (ESE logs a page move alone, a root "
                "move as a macro that begins with RootPageMove)", EsepyEseLrtypName(prec->lrtyp), prec->pgno);
            return JET_errFeatureNotAvailable;
        default:
            WHY("%s inside a structure macro is not replayed", EsepyEseLrtypName(prec->lrtyp));
            return JET_errFeatureNotAvailable;
        }
    }
    if ((csplit == 0) == (cmerge == 0) || (cmerge != 0 && pm->precOper != NULL)) {
        WHY("a structure macro holds %u Split2, %u Merge2 and %u other records", csplit, cmerge,
            pm->precOper != NULL ? 1u : 0u);
        return JET_errLogCorrupted;
    }
    pm->fMerge = cmerge != 0;
    if (pm->fMerge) {
        const esesplit_merge *pleaf = &pm->rgmerge[pm->clevel - 1];
        pm->precBad = pleaf->prec;
        if (pleaf->mergetype == ESESPLIT_MERGE_EMPTYTREE || pleaf->mergetype == ESESPLIT_MERGE_PAGEMOVE) {
            WHY(MERGE_TYPE_NEVER_LOGGED, pleaf->mergetype == ESESPLIT_MERGE_EMPTYTREE ? "EmptyTree" : "PageMove",
                pleaf->mergetype, pleaf->pgno,
                pleaf->mergetype == ESESPLIT_MERGE_EMPTYTREE ? "an EmptyTree record" : "a PageMove record");
            return JET_errFeatureNotAvailable;
        }
    } else if (pm->precOper != NULL) {
        const ESEPY_ESE_LOGRECORD *p = pm->precOper;
        pm->oper.lrtyp = p->lrtyp;
        pm->oper.pbKey = p->pbKey;
        pm->oper.cbKey = p->cbKey;
        pm->oper.pbData = p->pbData;
        pm->oper.cbData = p->cbData;
        pm->oper.fVersioned = (p->fPageFlags & 0x01u) != 0;
    }
    pm->precBad = NULL;
    return JET_errSuccess;
}

static JET_ERR redo_split(redo_set *ps, const esesplit_macro *pmac)
{
    const esesplit_split *rglevel = pmac->rgsplit;
    const uint32_t clevel = pmac->clevel;
    esesplit_split_pages rgpages[ESESPLIT_LEVELS_MAX];
    char szWhy[256];
    JET_ERR err;
    memset(rgpages, 0, sizeof(rgpages));
    const esesplit_split *pleaf = &rglevel[clevel - 1];
    int fOperRedone = 0;
    uint8_t *pbBefore = NULL;
    uint32_t cbBefore = 0;

    for (uint32_t i = 0; i < clevel; i++) {
        const esesplit_split *pl = &rglevel[i];
        uint64_t dbtimeBefore = i + 1 < clevel ? rglevel[i + 1].dbtimeParentBefore : pl->dbtimeBefore;
        esepage *pp = NULL, *ppNew = NULL, *ppRight = NULL;
        int fRedoSplit, fRedoNew = 0;
        if ((err = fRedoSplit = rs_check(ps, pl->prec, pl->pgno, dbtimeBefore, 0, &pp)) < 0)
            goto fail;
        if (pl->pgnoNew != 0) {
            if ((err = fRedoNew = rs_check(ps, pl->prec, pl->pgnoNew, ESEREDO_DBTIME_NIL, ESEREDO_CHECK_NEW,
                                           &ppNew)) < 0)
                goto fail;
            if (fRedoNew) {
                uint32_t cbPage = ppNew->cbPage ? ppNew->cbPage : ps->cbPage;
                /* the reserved-tag count is stored as the split page stores it (the database's format) */
                uint32_t ctagStored = 1;
                esepage *ppPeek = NULL;
                if (pp != NULL)
                    ctagStored = pp->ctagReservedStored;
                else if (eseredo_page_get(ps->pr, pl->pgno, &ppPeek, NULL) >= 0) {
                    ctagStored = ppPeek->ctagReservedStored;
                    eseredo_page_release(ps->pr, ppPeek, 0);
                }
                if ((err = esesplit_format_new(pl, cbPage, pl->dbtime, ctagStored, ppNew)) < 0) {
                    rs_fail(ps, err, pl->prec, "formatting the new page failed");
                    goto fail;
                }
                if (ps->cbPage == 0)
                    ps->cbPage = cbPage;
            }
            if (fRedoNew && !fRedoSplit && esesplit_split_needs_image(pl)) {
                if (pl->cbImage == 0) {
                    snprintf(szWhy, sizeof(szWhy),
                             "new page %u needs redo and depends on lines of page %u, which already carries the "
                             "split, and the record has no before-image of it", pl->pgnoNew, pl->pgno);
                    err = rs_fail(ps, JET_errDatabaseBufferDependenciesCorrupted, pl->prec, szWhy);
                    goto fail;
                }
                if ((err = rs_image(ps, pl->prec, pl->pgno, pl->pbImage, pl->cbImage, pl->fImage, dbtimeBefore,
                                    &pp)) < 0)
                    goto fail;
            }
            if (pl->pgnoRight != 0 &&
                (err = rs_check(ps, pl->prec, pl->pgnoRight, pl->dbtimeRightBefore, 0, &ppRight)) < 0)
                goto fail;
        }
        rgpages[i].pPage = pp;
        rgpages[i].pNew = ppNew;
        rgpages[i].pRight = ppRight;
        if (pl->pgnoParent != 0) {
            esepage *ppParent = NULL;
            if ((err = rs_check(ps, pl->prec, pl->pgnoParent, pl->dbtimeParentBefore, 0, &ppParent)) < 0)
                goto fail;
        }
    }
    if (pmac->precOper != NULL) { /* the operation names the split page: checked like any reference */
        esepage *ppOper = NULL;
        if ((err = rs_check(ps, pmac->precOper, pmac->precOper->pgno, ESEREDO_DBTIME_NIL, 0, &ppOper)) < 0)
            goto fail;
    }
    /* the operation's node changes where its line lands */
    if (pleaf->splitoper != ESESPLIT_OPER_NONE) {
        const esesplit_split_pages *pg = &rgpages[clevel - 1];
        fOperRedone = pleaf->ilineOper < pleaf->ilineSplit ? pg->pPage != NULL : pg->pNew != NULL;
        if (pleaf->splitoper != ESESPLIT_OPER_INSERT && pg->pPage != NULL && pleaf->ilineOper < pg->pPage->cline) {
            const uint8_t *pb;
            if (esepage_data(pg->pPage, pleaf->ilineOper, &pb, &cbBefore) >= 0 && cbBefore > 0) {
                if ((pbBefore = os_malloc(cbBefore)) == NULL) {
                    err = JET_errOutOfMemory;
                    goto fail;
                }
                memcpy(pbBefore, pb, cbBefore);
            }
        }
    }
    if ((err = esesplit_split_apply(rglevel, clevel, rgpages, pmac->precOper ? &pmac->oper : NULL, szWhy,
                                    sizeof(szWhy))) < 0) {
        rs_fail(ps, err, pleaf->prec, szWhy);
        goto fail;
    }
    if (pmac->precOper != NULL && pmac->oper.fVersioned &&
        (err = eseredo_report_version(ps->pr, pmac->precOper, fOperRedone, pbBefore, cbBefore)) < 0)
        goto fail;
    os_free(pbBefore);
    rs_finish(ps, 1);
    return JET_errSuccess;
fail:
    os_free(pbBefore);
    rs_finish(ps, 0);
    return err;
}

static JET_ERR redo_merge(redo_set *ps, const esesplit_macro *pmac)
{
    const esesplit_merge *rglevel = pmac->rgmerge;
    const uint32_t clevel = pmac->clevel;
    esesplit_merge_pages rgpages[ESESPLIT_LEVELS_MAX];
    char szWhy[256];
    JET_ERR err;
    memset(rgpages, 0, sizeof(rgpages));
    const esesplit_merge *pleaf = &rglevel[clevel - 1];
    for (uint32_t i = 0; i < clevel; i++) {
        const esesplit_merge *pl = &rglevel[i];
        uint64_t dbtimeBefore = i + 1 < clevel ? rglevel[i + 1].dbtimeParentBefore : pl->dbtimeBefore;
        if ((err = rs_check(ps, pl->prec, pl->pgno, dbtimeBefore, 0, &rgpages[i].pPage)) < 0)
            goto fail;
    }
    esesplit_merge_pages *pg = &rgpages[clevel - 1];
    if (pleaf->pgnoLeft != 0 &&
        (err = rs_check(ps, pleaf->prec, pleaf->pgnoLeft, pleaf->dbtimeLeftBefore, 0, &pg->pLeft)) < 0)
        goto fail;
    if (pleaf->pgnoRight != 0 &&
        (err = rs_check(ps, pleaf->prec, pleaf->pgnoRight, pleaf->dbtimeRightBefore, 0, &pg->pRight)) < 0)
        goto fail;
    if (esesplit_merge_needs_image(pleaf) && pg->pPage == NULL) {
        const int fRight = pleaf->mergetype == ESESPLIT_MERGE_FULLRIGHT ||
                           pleaf->mergetype == ESESPLIT_MERGE_PARTIALRIGHT;
        if ((fRight ? pg->pRight : pg->pLeft) != NULL) {
            if (pleaf->cbImage == 0) {
                snprintf(szWhy, sizeof(szWhy),
                         "page %u needs redo and depends on lines of page %u, which already carries the merge, and "
                         "the record has no before-image of it", fRight ? pleaf->pgnoRight : pleaf->pgnoLeft,
                         pleaf->pgno);
                err = rs_fail(ps, JET_errDatabaseBufferDependenciesCorrupted, pleaf->prec, szWhy);
                goto fail;
            }
            if ((err = rs_image(ps, pleaf->prec, pleaf->pgno, pleaf->pbImage, pleaf->cbImage, pleaf->fImage,
                                pleaf->dbtimeBefore, &pg->pPage)) < 0)
                goto fail;
        }
    }
    if ((err = esesplit_merge_apply(rglevel, clevel, rgpages, szWhy, sizeof(szWhy))) < 0) {
        rs_fail(ps, err, pleaf->prec, szWhy);
        goto fail;
    }
    rs_finish(ps, 1);
    return JET_errSuccess;
fail:
    rs_finish(ps, 0);
    return err;
}

static JET_ERR redo_root_move(eseredo *pr, const eseredo_buf *pbuf, uint64_t dbtimeMacro);

JET_ERR esesplit_redo_macro(eseredo *pr, const eseredo_buf *pbuf, uint64_t dbtimeMacro)
{
    if (pbuf->crec > 0 && pbuf->rgrec[0].rec.lrtyp == ESEPY_ESE_LRTYP_ROOTPAGEMOVE)
        return redo_root_move(pr, pbuf, dbtimeMacro);
    redo_set *ps = os_calloc(1, sizeof(*ps));
    esesplit_macro *pmac = os_calloc(1, sizeof(*pmac));
    char szWhy[256];
    JET_ERR err = JET_errOutOfMemory;
    if (ps == NULL || pmac == NULL)
        goto done;
    if ((err = esesplit_collect(pbuf, pmac, szWhy, sizeof(szWhy))) < 0) {
        const ESEPY_ESE_LOGRECORD *prec = pmac->precBad ? pmac->precBad : (pbuf->crec ? &pbuf->rgrec[0].rec : NULL);
        if (err == JET_errFeatureNotAvailable) {
            /* a kind of macro not replayed (page moves, Merge2 of the EmptyTree and
             * PageMove types) is accepted when every page already has every change
             * in it, as for single records not replayed (eseredo_verify_only) */
            err = JET_errSuccess;
            for (uint32_t i = 0; i < pbuf->crec && err >= 0; i++)
                err = eseredo_verify_only(pr, &pbuf->rgrec[i].rec);
            if (err != JET_errFeatureNotAvailable)
                goto done;
            {
                size_t cch = strlen(szWhy);
                snprintf(szWhy + cch, sizeof(szWhy) - cch, ", and a page lacks the change");
            }
        }
        if (prec != NULL)
            eseredo_fail(pr, err, prec, prec->pgno, "%s at (%d,%u,%u): %s", EsepyEseLrtypName(prec->lrtyp),
                         prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib, szWhy);
        else
            eseredo_fail(pr, err, NULL, 0, "%s", szWhy);
        goto done;
    }
    ps->pr = pr;
    eseredo_macro_begin(pr, dbtimeMacro);
    err = pmac->fMerge ? redo_merge(ps, pmac) : redo_split(ps, pmac);
    eseredo_macro_end(pr);
done:
    os_free(pmac);
    os_free(ps);
    return err;
}

/* ---- page moves (PageMove, RootPageMove) and Scrub ------------------------------------------ */

JET_ERR esesplit_parse_pagemove(const ESEPY_ESE_LOGRECORD *prec, esesplit_pagemove *pmv)
{
    memset(pmv, 0, sizeof(*pmv));
    const uint8_t *p = prec->pb;
    if (p == NULL || prec->cb < 96)
        return JET_errLogCorrupted;
    pmv->prec = prec;
    pmv->pgno = le_get32(p + 4);
    pmv->dbtime = le_get64(p + 8);
    pmv->dbtimeBefore = le_get64(p + 16);
    pmv->pgnoDest = le_get32(p + 32);
    pmv->pgnoLeft = le_get32(p + 36);
    pmv->pgnoRight = le_get32(p + 40);
    pmv->pgnoParent = le_get32(p + 44);
    pmv->dbtimeLeftBefore = le_get64(p + 48);
    pmv->dbtimeRightBefore = le_get64(p + 56);
    pmv->dbtimeParentBefore = le_get64(p + 64);
    pmv->pgnoFDP = le_get32(p + 72);
    pmv->objidFDP = le_get32(p + 76);
    pmv->ilineParent = (int32_t)le_get32(p + 80);
    pmv->fMoveFlags = le_get32(p + 84);
    pmv->cbHeader = le_get32(p + 88);
    pmv->cbTrailer = le_get32(p + 92);
    if ((uint64_t)96 + pmv->cbHeader + pmv->cbTrailer != prec->cb)
        return JET_errLogCorrupted;
    pmv->pbHeader = p + 96;
    pmv->pbTrailer = p + 96 + pmv->cbHeader;
    const uint32_t fRoot = pmv->fMoveFlags;
    if ((fRoot & ~(ESESPLIT_MOVE_ROOTFDP | ESESPLIT_MOVE_ROOTOE | ESESPLIT_MOVE_ROOTAE)) != 0 ||
        (fRoot & (fRoot - 1)) != 0)
        return JET_errLogCorrupted; /* unknown flag, or more than one root */
    if (pmv->pgno == 0 || pmv->pgnoDest == 0 || pmv->pgno == pmv->pgnoDest)
        return JET_errLogCorrupted;
    if (fRoot == 0 && (pmv->pgnoParent == 0 || pmv->ilineParent < 0))
        return JET_errLogCorrupted; /* a page of a tree is reached through its parent */
    return JET_errSuccess;
}

/* The logged image as a page: header part, zeroed middle, trailer part. */
static JET_ERR move_image(const esesplit_pagemove *pmv, uint32_t cbPage, uint32_t pgno, uint64_t dbtime, esepage *pp)
{
    memset(pp, 0, sizeof(*pp));
    const uint32_t cbHeaderMin = cbPage <= 8192 ? 40u : 80u;
    if (pmv->cbHeader < cbHeaderMin || (uint64_t)pmv->cbHeader + pmv->cbTrailer > cbPage)
        return JET_errLogCorrupted;
    uint8_t *pb = os_calloc(1, cbPage);
    if (pb == NULL)
        return JET_errOutOfMemory;
    memcpy(pb, pmv->pbHeader, pmv->cbHeader);
    if (pmv->cbTrailer)
        memcpy(pb + cbPage - pmv->cbTrailer, pmv->pbTrailer, pmv->cbTrailer);
    JET_ERR err = esepage_decode(pb, cbPage, pgno, pp);
    os_free(pb);
    if (err < 0)
        return err == JET_errOutOfMemory ? err : JET_errLogCorrupted;
    pp->dbtime = dbtime;
    return JET_errSuccess;
}

JET_ERR esesplit_pagemove_dest(const esesplit_pagemove *pmv, uint32_t cbPage, esepage *pp)
{
    JET_ERR err = move_image(pmv, cbPage, pmv->pgnoDest, pmv->dbtime, pp);
    if (err >= 0)
        pp->fFlags &= ~ESEPAGE_PG_PREINIT; /* a pre-initialised page taken into use */
    return err;
}

JET_ERR esesplit_pagemove_source(const esesplit_pagemove *pmv, uint32_t cbPage, esepage *pp)
{
    return move_image(pmv, cbPage, pmv->pgno, pmv->dbtimeBefore, pp);
}

JET_ERR esesplit_pagemove_apply(const esesplit_pagemove *pmv, esesplit_move_pages *pg, char *szWhy, size_t cbWhy)
{
    JET_ERR err = JET_errSuccess;
    szWhy[0] = '\0';
    if (pg->pParent != NULL) {
        const uint32_t il = (uint32_t)pmv->ilineParent;
        if (pmv->ilineParent < 0 || il >= pg->pParent->cline || pgno_at_line(pg->pParent, il) != pmv->pgno) {
            WHY("line %d of parent page %u does not point to the moved page %u", pmv->ilineParent, pmv->pgnoParent,
                pmv->pgno);
            return JET_errDatabaseCorrupted;
        }
        if ((err = set_pgno_data(pg->pParent, il, pmv->pgnoDest)) < 0)
            return err;
    }
    if (pg->pLeft != NULL)
        pg->pLeft->pgnoNext = pmv->pgnoDest;
    if (pg->pRight != NULL)
        pg->pRight->pgnoPrev = pmv->pgnoDest;
    if (pg->pSrc != NULL) {
        /* emptied as ESE empties it: no prefix (tag 0 cleared, roots too), no lines */
        if (pg->pSrc->ctagReserved > 0 && pg->pSrc->rgreserved[0].cbData > 0)
            err = esepage_set_external_header(pg->pSrc, NULL, 0);
        if (err >= 0)
            err = delete_all(pg->pSrc);
        if (err < 0)
            return err;
        pg->pSrc->fFlags |= ESEPAGE_PG_EMPTY;
    }
    return JET_errSuccess;
}

JET_ERR esesplit_parse_scrub(const ESEPY_ESE_LOGRECORD *prec, esesplit_scrub *ps)
{
    memset(ps, 0, sizeof(*ps));
    const uint8_t *p = prec->pb;
    if (p == NULL || prec->cb < 54)
        return JET_errLogCorrupted;
    ps->prec = prec;
    ps->fScrub = le_get32(p + 44);
    ps->cop = le_get32(p + 48);
    const uint32_t cbData = le_get16(p + 52);
    if (54u + cbData > prec->cb || ps->cop > cbData || (ps->fScrub & ~ESESPLIT_SCRUB_UNUSEDPAGE) != 0)
        return JET_errLogCorrupted;
    ps->rgop = p + 54;
    return JET_errSuccess;
}

JET_ERR esesplit_scrub_apply(const esesplit_scrub *ps, esepage *pp, char *szWhy, size_t cbWhy)
{
    JET_ERR err = JET_errSuccess;
    szWhy[0] = '\0';
    if (ps->fScrub & ESESPLIT_SCRUB_UNUSEDPAGE) {
        if ((err = delete_all(pp)) < 0)
            return err;
        pp->bFreeFill = ESESPLIT_SCRUB_FILL_UNUSED;
        return JET_errSuccess;
    }
    if (ps->cop != pp->cline) {
        WHY("Scrub of page %u names %u lines; the page has %u", pp->pgno, ps->cop, pp->cline);
        return JET_errDatabaseCorrupted;
    }
    for (uint32_t i = 0; i < ps->cop; i++)
        if (ps->rgop[i] > ESESPLIT_SCRUBOP_LVDATA) {
            WHY("Scrub of page %u has the unknown operation %u for line %u", pp->pgno, ps->rgop[i], i);
            return JET_errLogCorrupted;
        }
    for (uint32_t i = 0; i < ps->cop && err >= 0; i++) {
        if (ps->rgop[i] == ESESPLIT_SCRUBOP_NONE)
            continue;
        const uint8_t *pbOld;
        uint32_t cb;
        if ((err = esepage_data(pp, i, &pbOld, &cb)) < 0)
            break;
        uint8_t *pb = os_malloc(cb + 1u);
        if (pb == NULL)
            return JET_errOutOfMemory;
        if (ps->rgop[i] == ESESPLIT_SCRUBOP_DATA) {
            memset(pb, 'D', cb);
        } else if (cb > 0) {
            pb[0] = 0x20; /* compression scheme 4 ("scrubbed") << 3 */
            memset(pb + 1, 'L', cb - 1);
        }
        err = esepage_replace_data(pp, i, pb, cb);
        os_free(pb);
        if (err >= 0)
            err = esepage_set_flags(pp, i, 0, ESEPAGE_ND_VERSION);
    }
    if (err >= 0)
        pp->bFreeFill = ESESPLIT_SCRUB_FILL_USED;
    return err;
}

/* ---- recovery of page moves and scrubs (eseredo.h) --------------------------------------- */

/* Pin a page the dbtime rule left alone (the source of a move whose
 * destination needs it: ESE reverts the source to the logged image and
 * redoes it). */
static JET_ERR rs_take(redo_set *ps, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, esepage **ppp)
{
    *ppp = NULL;
    for (uint32_t i = 0; i < ps->c; i++)
        if (ps->rg[i].pgno == pgno) {
            if (ps->rg[i].pp == NULL) {
                JET_ERR err = eseredo_page_get(ps->pr, pgno, &ps->rg[i].pp, NULL);
                if (err < 0)
                    return err;
                ps->rg[i].prec = prec;
            }
            *ppp = ps->rg[i].pp;
            return JET_errSuccess;
        }
    return eseredo_fail(ps->pr, JET_errInternalError, prec, pgno, "a page moved was not checked");
}

/* Replace the content of a pinned cache page by a page model built by fn. */
static JET_ERR rs_replace(redo_set *ps, esepage *pp, const esesplit_pagemove *pmv, int fDest)
{
    uint32_t cbPage = pp->cbPage ? pp->cbPage : ps->cbPage;
    esepage t;
    JET_ERR err = fDest ? esesplit_pagemove_dest(pmv, cbPage, &t) : esesplit_pagemove_source(pmv, cbPage, &t);
    if (err < 0)
        return eseredo_fail(ps->pr, err, pmv->prec, fDest ? pmv->pgnoDest : pmv->pgno,
                            "PageMove at (%d,%u,%u): the logged image of page %u (%u + %u bytes) does not make a "
                            "page of %u bytes", pmv->prec->lgpos.lGeneration, pmv->prec->lgpos.isec,
                            pmv->prec->lgpos.ib, pmv->pgno, pmv->cbHeader, pmv->cbTrailer, cbPage);
    esepage_free(pp);
    *pp = t;
    return JET_errSuccess;
}

/* One move under the dbtime rule, every page checked as ESE checks it:
 * parent, source, left, right (dbtime before), destination (new page). */
static JET_ERR redo_one_move(redo_set *ps, const esesplit_pagemove *pmv, uint32_t pgnoNewOE)
{
    const ESEPY_ESE_LOGRECORD *prec = pmv->prec;
    esesplit_move_pages pg;
    char szWhy[256];
    memset(&pg, 0, sizeof(pg));
    JET_ERR err = JET_errSuccess;
    int fRedoSrc = 0, fRedoDest = 0;
    if (pmv->pgnoParent != 0 && (err = rs_check(ps, prec, pmv->pgnoParent, pmv->dbtimeParentBefore, 0, &pg.pParent)) < 0)
        return err;
    if ((err = fRedoSrc = rs_check(ps, prec, pmv->pgno, pmv->dbtimeBefore, 0, &pg.pSrc)) < 0)
        return err;
    if (pmv->pgnoLeft != 0 && (err = rs_check(ps, prec, pmv->pgnoLeft, pmv->dbtimeLeftBefore, 0, &pg.pLeft)) < 0)
        return err;
    if (pmv->pgnoRight != 0 && (err = rs_check(ps, prec, pmv->pgnoRight, pmv->dbtimeRightBefore, 0, &pg.pRight)) < 0)
        return err;
    if ((err = fRedoDest = rs_check(ps, prec, pmv->pgnoDest, ESEREDO_DBTIME_NIL, ESEREDO_CHECK_NEW, &pg.pDest)) < 0)
        return err;
    if (fRedoDest) {
        if ((err = rs_replace(ps, pg.pDest, pmv, 1)) < 0)
            return err;
        if ((pmv->fMoveFlags & ESESPLIT_MOVE_ROOTFDP) && pgnoNewOE != 0) {
            /* the moved root's space header names the moved owned-extent root (pgnoOE @12) */
            esepage *pd = pg.pDest;
            if (pd->ctagReserved == 0 || pd->rgreserved[0].cbData < 16)
                return eseredo_fail(ps->pr, JET_errDatabaseCorrupted, prec, pmv->pgnoDest,
                                    "PageMove at (%d,%u,%u): the moved root %u has no space header",
                                    prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib, pmv->pgno);
            le_put32(pd->rgreserved[0].pb + 12, pgnoNewOE);
        }
        if (!fRedoSrc && pmv->fMoveFlags == 0) {
            if ((err = rs_take(ps, prec, pmv->pgno, &pg.pSrc)) < 0 || (err = rs_replace(ps, pg.pSrc, pmv, 0)) < 0)
                return err;
        }
    }
    if ((err = esesplit_pagemove_apply(pmv, &pg, szWhy, sizeof(szWhy))) < 0)
        return rs_fail(ps, err, prec, szWhy[0] ? szWhy : "the page move failed");
    return JET_errSuccess;
}

static JET_ERR move_parse_fail(eseredo *pr, JET_ERR err, const ESEPY_ESE_LOGRECORD *prec)
{
    return eseredo_fail(pr, err, prec, prec->pgno,
                        "PageMove at (%d,%u,%u) does not decode (sizes, move flags or pages do not fit)",
                        prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib);
}

JET_ERR esesplit_redo_pagemove(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec)
{
    esesplit_pagemove mv;
    JET_ERR err = esesplit_parse_pagemove(prec, &mv);
    if (err < 0)
        return move_parse_fail(pr, err, prec);
    if (mv.fMoveFlags != 0)
        return eseredo_fail(pr, JET_errLogCorrupted, prec, prec->pgno,
                            "PageMove at (%d,%u,%u) moves a tree root (flags %#x) outside a RootPageMove macro",
                            prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib, mv.fMoveFlags);
    redo_set *ps = os_calloc(1, sizeof(*ps));
    if (ps == NULL)
        return JET_errOutOfMemory;
    ps->pr = pr;
    err = redo_one_move(ps, &mv, 0);
    rs_finish(ps, err >= 0);
    os_free(ps);
    return err;
}

/* A root move macro (ESE's shrink): RootPageMove, the PageMove of the root,
 * of its owned-extent root and of its available-extent root, SetExternalHeader
 * of every child tree (their space headers name the new root) and Replace of
 * the catalog rows.  Every page has the macro's dbtime afterwards. */
static JET_ERR redo_root_move(eseredo *pr, const eseredo_buf *pbuf, uint64_t dbtimeMacro)
{
    esesplit_pagemove rgmv[3];
    uint32_t cmv = 0, pgnoNewOE = 0, fSeen = 0;
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; i < pbuf->crec; i++) {
        const ESEPY_ESE_LOGRECORD *prec = &pbuf->rgrec[i].rec;
        switch (prec->lrtyp) {
        case ESEPY_ESE_LRTYP_ROOTPAGEMOVE:
        case ESEPY_ESE_LRTYP_SETEXTERNALHEADER:
        case ESEPY_ESE_LRTYP_REPLACE:
            break;
        case ESEPY_ESE_LRTYP_PAGEMOVE:
            if ((err = esesplit_parse_pagemove(prec, &rgmv[cmv < 3 ? cmv : 2])) < 0)
                return move_parse_fail(pr, err, prec);
            if (cmv == 3 || rgmv[cmv].fMoveFlags == 0 || (fSeen & rgmv[cmv].fMoveFlags))
                return eseredo_fail(pr, JET_errLogCorrupted, prec, prec->pgno,
                                    "PageMove at (%d,%u,%u): a root move macro moves the root, the owned-extent "
                                    "root and the available-extent root once each (flags %#x)",
                                    prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib,
                                    rgmv[cmv < 3 ? cmv : 2].fMoveFlags);
            fSeen |= rgmv[cmv].fMoveFlags;
            if (rgmv[cmv].fMoveFlags & ESESPLIT_MOVE_ROOTOE)
                pgnoNewOE = rgmv[cmv].pgnoDest;
            cmv++;
            break;
        default:
            return eseredo_fail(pr, JET_errFeatureNotAvailable, prec, prec->pgno,
                                "%s at (%d,%u,%u) inside a root move macro is not replayed",
                                EsepyEseLrtypName(prec->lrtyp), prec->lgpos.lGeneration, prec->lgpos.isec,
                                prec->lgpos.ib);
        }
    }
    redo_set *ps = os_calloc(1, sizeof(*ps));
    if (ps == NULL)
        return JET_errOutOfMemory;
    ps->pr = pr;
    eseredo_macro_begin(pr, dbtimeMacro);
    for (uint32_t i = 0; i < cmv && err >= 0; i++)
        err = redo_one_move(ps, &rgmv[i], pgnoNewOE);
    rs_finish(ps, err >= 0);
    /* the child space headers and the catalog rows: node records under the macro's decisions */
    for (uint32_t i = 0; i < pbuf->crec && err >= 0; i++) {
        const ESEPY_ESE_LOGRECORD *prec = &pbuf->rgrec[i].rec;
        if (prec->lrtyp == ESEPY_ESE_LRTYP_SETEXTERNALHEADER || prec->lrtyp == ESEPY_ESE_LRTYP_REPLACE)
            err = eseredo_apply(pr, prec);
    }
    eseredo_macro_end(pr);
    os_free(ps);
    return err;
}
