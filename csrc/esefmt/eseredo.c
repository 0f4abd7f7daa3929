/*
 * eseredo.c -- page redo for the recovery of Windows ESE databases
 * (eseredo.h): the bounded page cache over the output copy, the dbtime rule
 * of reference §3.3, the redo of node and page records (§2.3; the node
 * change itself, eseredo_node_change, is shared with eserebuild.c), macro
 * buffering, the version-store hook and the filling of refusals
 * (eseredo_vrefuse, also eserecover.c's).
 * Must not touch: the input database and the logs (read-only: the input is
 * read through the esefmt reader), session and attach decisions
 * (eserecover.c), splits, merges, page moves and scrubs (esesplit.c: the
 * dispatcher hands them over), the version store (eseundo.c, through the
 * hook).
 *
 * Invariants:
 *  P1 at most REDO_FRAMES decoded pages are held; a frame is evicted only when
 *     unpinned, and a dirty one is written to the temporary output copy first
 *     (so memory is bounded, not the database's size);
 *  P2 the temporary output copy, once created, holds the input's bytes for
 *     every page not written since, so a page is read from it (or from the
 *     input before it exists), never from a stale place;
 *  P3 a page's dbtime is stamped with the record's dbtime exactly when the
 *     record's change was applied to it (eseredo_page_done);
 *  P4 every refusal fills pinfo (record, page, reason) before it returns.
 */
#include <stdarg.h>
#include <stdio.h>

#include "eseredo.h"
#include "esesplit.h"

#define REDO_FRAMES  32u          /* decoded pages kept in memory (P1) */
#define COPY_CB      (1u << 20)

typedef struct {
    uint32_t pgno;                /* 0 = empty frame */
    uint32_t cpin;
    int      fDirty;
    uint64_t tick;                /* last use (LRU) */
    esepage  page;
} redo_frame;

typedef struct {
    uint32_t pgno;
    int      fRedo;
} macro_decision;

struct eseredo {
    ESEPY_ESE_FILE        *pdb;
    ESEPY_ESE_RECOVERINFO *pinfo;
    const char            *szDatabase;
    char                  *szTmp;
    os_file               *pfOut;       /* NULL until the first write (P2), and after eseredo_finish */
    int                    fOutput;     /* the temporary copy was created */
    uint32_t               cbPage;
    uint32_t               cpgInput;    /* data pages of the input */
    uint32_t               cpgFile;     /* data pages of the output (ExtendDB grows it) */
    int                    fSizeChanged;
    int32_t                lGenMaxRequired;
    uint64_t               tick;
    uint64_t               cpageRedone;
    redo_frame             rgframe[REDO_FRAMES];
    uint8_t               *pbScratch;   /* cbPage bytes */
    uint8_t               *pbData;      /* 2 * cbPage: after-images */

    ESEREDO_PFNVERSION     pfnVersion;
    void                  *pvVersion;

    int                    fMacro;
    uint64_t               dbtimeMacro;
    macro_decision        *rgdecision;
    uint32_t               cdecision, cdecisionMax;
};

/* ---- refusals (P4) --------------------------------------------------------------- */

JET_ERR eseredo_vrefuse(ESEPY_ESE_RECOVERINFO *pi, JET_ERR err, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno,
                        const char *fmt, va_list ap)
{
    pi->err = err;
    if (prec != NULL) {
        pi->lrtyp = prec->lrtyp;
        const char *sz = EsepyEseLrtypName(prec->lrtyp);
        snprintf(pi->szRecordType, sizeof(pi->szRecordType), "%s", sz ? sz : "?");
        pi->lgpos = prec->lgpos;
        pi->dbtimeRecord = prec->dbtime;
        pi->dbtimeBeforeRecord = prec->dbtimeBefore;
    }
    pi->pgno = pgno;
    vsnprintf(pi->szReason, sizeof(pi->szReason), fmt, ap);
    return err;
}

JET_ERR eseredo_fail(eseredo *pr, JET_ERR err, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err = eseredo_vrefuse(pr->pinfo, err, prec, pgno, fmt, ap);
    va_end(ap);
    return err;
}

static const char *rec_name(const ESEPY_ESE_LOGRECORD *prec)
{
    const char *sz = EsepyEseLrtypName(prec->lrtyp);
    return sz ? sz : "?";
}

#define LGPOS_FMT "(%d,%u,%u)"
#define LGPOS_ARGS(p) (p)->lgpos.lGeneration, (p)->lgpos.isec, (p)->lgpos.ib

/* ---- buffered records ---------------------------------------------------------------- */

/* Copy cb bytes of p (if any) to *ppb, advancing it; the copy's address. */
static const uint8_t *copy_out(uint8_t **ppb, const uint8_t *p, uint32_t cb)
{
    if (p == NULL)
        return NULL;
    uint8_t *pDst = *ppb;
    if (cb)
        memcpy(pDst, p, cb);
    *ppb += cb;
    return pDst;
}

JET_ERR eseredo_buf_add(eseredo_buf *pbuf, const ESEPY_ESE_LOGRECORD *prec)
{
    if (pbuf->crec == pbuf->crecMax) {
        uint32_t c = pbuf->crecMax ? 2 * pbuf->crecMax : 8;
        eseredo_rec *rg = os_realloc(pbuf->rgrec, (size_t)c * sizeof(*rg));
        if (rg == NULL)
            return JET_errOutOfMemory;
        pbuf->rgrec = rg;
        pbuf->crecMax = c;
    }
    /* the record's bytes, then its key, data and image (wherever the reader kept them) */
    size_t cb = (size_t)prec->cb + prec->cbKey + prec->cbData + prec->cbImage;
    uint8_t *pbOwned = os_malloc(cb ? cb : 1);
    if (pbOwned == NULL)
        return JET_errOutOfMemory;
    uint8_t *pb = pbOwned;
    eseredo_rec *pr = &pbuf->rgrec[pbuf->crec++];
    pr->rec = *prec;
    pr->pbOwned = pbOwned;
    pr->rec.pb = copy_out(&pb, prec->pb, prec->cb);
    pr->rec.pbKey = copy_out(&pb, prec->pbKey, prec->cbKey);
    pr->rec.pbData = copy_out(&pb, prec->pbData, prec->cbData);
    pr->rec.pbImage = copy_out(&pb, prec->pbImage, prec->cbImage);
    pr->rec.szPath = NULL;
    return JET_errSuccess;
}

void eseredo_buf_clear(eseredo_buf *pbuf)
{
    for (uint32_t i = 0; i < pbuf->crec; i++)
        os_free(pbuf->rgrec[i].pbOwned);
    pbuf->crec = 0;
}

void eseredo_buf_free(eseredo_buf *pbuf)
{
    eseredo_buf_clear(pbuf);
    os_free(pbuf->rgrec);
    memset(pbuf, 0, sizeof(*pbuf));
}

/* ---- life cycle ------------------------------------------------------------------------ */

JET_ERR eseredo_open(ESEPY_ESE_FILE *pdb, const char *szDatabase, const char *szTmp, int32_t lGenMaxRequired,
                     ESEPY_ESE_RECOVERINFO *pinfo, eseredo **ppr)
{
    *ppr = NULL;
    eseredo *pr = os_calloc(1, sizeof(*pr));
    if (pr == NULL)
        return JET_errOutOfMemory;
    size_t cch = strlen(szTmp);
    pr->szTmp = os_malloc(cch + 1);
    pr->pbScratch = os_malloc(pdb->cbPage);
    pr->pbData = os_malloc(2 * (size_t)pdb->cbPage);
    if (pr->szTmp == NULL || pr->pbScratch == NULL || pr->pbData == NULL) {
        eseredo_close(pr);
        return JET_errOutOfMemory;
    }
    memcpy(pr->szTmp, szTmp, cch + 1);
    pr->pdb = pdb;
    pr->szDatabase = szDatabase;
    pr->pinfo = pinfo;
    pr->cbPage = pdb->cbPage;
    pr->cpgInput = pdb->cpg;
    pr->cpgFile = pdb->cpg;
    pr->lGenMaxRequired = lGenMaxRequired;
    *ppr = pr;
    return JET_errSuccess;
}

void eseredo_close(eseredo *pr)
{
    if (pr == NULL)
        return;
    for (uint32_t i = 0; i < REDO_FRAMES; i++)
        esepage_free(&pr->rgframe[i].page);
    os_file_close(pr->pfOut);
    os_free(pr->rgdecision);
    os_free(pr->pbScratch);
    os_free(pr->pbData);
    os_free(pr->szTmp);
    os_free(pr);
}

void eseredo_set_version_hook(eseredo *pr, ESEREDO_PFNVERSION pfn, void *pvContext)
{
    pr->pfnVersion = pfn;
    pr->pvVersion = pvContext;
}

int eseredo_has_output(const eseredo *pr)
{
    return pr->fOutput;
}

uint64_t eseredo_pages_redone(const eseredo *pr)
{
    return pr->cpageRedone;
}

/* The temporary output copy: the input's bytes (P2). */
static JET_ERR ensure_output(eseredo *pr)
{
    if (pr->pfOut != NULL)
        return JET_errSuccess;
    if (pr->fOutput)
        return JET_errInvalidParameter; /* finished: no more writes */
    os_file *pfIn = NULL, *pfOut = NULL;
    uint8_t *pb = os_malloc(COPY_CB);
    int fCreated = 0;
    JET_ERR err;
    if (pb == NULL)
        return JET_errOutOfMemory;
    if ((err = os_file_open(pr->szDatabase, OS_FILE_READ, &pfIn)) < 0)
        goto done;
    if ((err = os_file_open(pr->szTmp, OS_FILE_WRITE | OS_FILE_CREATE | OS_FILE_NOFOLLOW, &pfOut)) < 0)
        goto done;
    fCreated = 1;
    uint64_t cbFile = 0;
    if ((err = os_file_size(pfIn, &cbFile)) < 0)
        goto done;
    for (uint64_t off = 0; off < cbFile;) {
        size_t cb = cbFile - off < COPY_CB ? (size_t)(cbFile - off) : COPY_CB;
        if ((err = os_file_read(pfIn, off, pb, cb, NULL)) < 0 || (err = os_file_write(pfOut, off, pb, cb)) < 0)
            goto done;
        off += cb;
    }
    pr->pfOut = pfOut;
    pr->fOutput = 1;
    pfOut = NULL;
    fCreated = 0;
done:
    os_file_close(pfIn);
    os_file_close(pfOut);
    if (fCreated)
        (void)os_unlink(pr->szTmp);
    os_free(pb);
    if (err < 0)
        eseredo_fail(pr, err, NULL, 0, "creating the recovered copy %s failed", pr->szTmp);
    return err;
}

static JET_ERR write_frame(eseredo *pr, redo_frame *pf)
{
    JET_ERR err = ensure_output(pr);
    if (err < 0)
        return err;
    if ((err = esepage_encode(&pf->page, pr->pbScratch)) < 0)
        return eseredo_fail(pr, err, NULL, pf->pgno,
                            "page %u no longer fits its %u bytes after redo (%u bytes of nodes and tags)", pf->pgno,
                            pr->cbPage, esepage_cb_used(&pf->page));
    if ((err = os_file_write(pr->pfOut, ((uint64_t)pf->pgno + 1) * pr->cbPage, pr->pbScratch, pr->cbPage)) < 0)
        return eseredo_fail(pr, err, NULL, pf->pgno, "writing page %u of the recovered copy failed", pf->pgno);
    pf->fDirty = 0;
    return JET_errSuccess;
}

JET_ERR eseredo_flush(eseredo *pr)
{
    JET_ERR err = JET_errSuccess;
    for (uint32_t i = 0; i < REDO_FRAMES && err >= 0; i++)
        if (pr->rgframe[i].pgno != 0 && pr->rgframe[i].fDirty)
            err = write_frame(pr, &pr->rgframe[i]);
    if (err < 0)
        return err;
    if (pr->fSizeChanged) {
        if ((err = ensure_output(pr)) < 0)
            return err;
        uint64_t cb = 0;
        if ((err = os_file_size(pr->pfOut, &cb)) < 0)
            return err;
        uint64_t cbWant = ((uint64_t)pr->cpgFile + 2) * pr->cbPage;
        if (cb < cbWant && (err = os_file_truncate(pr->pfOut, cbWant)) < 0)
            return eseredo_fail(pr, err, NULL, 0, "growing the recovered copy to %u pages failed", pr->cpgFile + 2);
        pr->fSizeChanged = 0;
    }
    if (pr->pfOut != NULL && (err = os_file_sync(pr->pfOut)) < 0)
        return eseredo_fail(pr, err, NULL, 0, "flushing the recovered copy %s failed", pr->szTmp);
    return JET_errSuccess;
}

/* ---- pages (P1, P2) ------------------------------------------------------------------------ */

static int all_zero(const uint8_t *pb, uint32_t cb)
{
    for (uint32_t i = 0; i < cb; i++)
        if (pb[i])
            return 0;
    return 1;
}

static JET_ERR read_raw(eseredo *pr, uint32_t pgno, uint8_t *pb)
{
    uint64_t off = ((uint64_t)pgno + 1) * pr->cbPage;
    if (pr->pfOut != NULL) {
        size_t cbRead = 0;
        memset(pb, 0, pr->cbPage);
        JET_ERR err = os_file_read(pr->pfOut, off, pb, pr->cbPage, &cbRead);
        if (err == JET_errFileIOBeyondEOF)
            err = JET_errSuccess; /* grown by ExtendDB, not yet written: zero */
        return err;
    }
    if (pgno > pr->cpgInput) {
        memset(pb, 0, pr->cbPage);
        return JET_errSuccess;
    }
    return EsepyEseReadPage(pr->pdb, pgno, pb, pr->cbPage);
}

JET_ERR eseredo_page_get(eseredo *pr, uint32_t pgno, esepage **ppp, int *pfBlank)
{
    *ppp = NULL;
    if (pgno == 0)
        return JET_errInvalidParameter;
    redo_frame *pfFree = NULL, *pfVictim = NULL;
    for (uint32_t i = 0; i < REDO_FRAMES; i++) {
        redo_frame *pf = &pr->rgframe[i];
        if (pf->pgno == pgno) {
            pf->cpin++;
            pf->tick = ++pr->tick;
            *ppp = &pf->page;
            if (pfBlank)
                *pfBlank = pf->page.ctagReserved == 0 && pf->page.dbtime == 0 && pf->page.fFlags == 0;
            return JET_errSuccess;
        }
        if (pf->pgno == 0) {
            if (pfFree == NULL)
                pfFree = pf;
        } else if (pf->cpin == 0 && (pfVictim == NULL || pf->tick < pfVictim->tick)) {
            pfVictim = pf;
        }
    }
    redo_frame *pf = pfFree ? pfFree : pfVictim;
    if (pf == NULL)
        return JET_errOutOfBuffers;
    JET_ERR err;
    if (pf->pgno != 0 && pf->fDirty && (err = write_frame(pr, pf)) < 0)
        return err;
    esepage_free(&pf->page);
    pf->pgno = 0;
    pf->fDirty = 0;
    uint8_t *pb = pr->pbScratch;
    if ((err = read_raw(pr, pgno, pb)) < 0)
        return err;
    int fBlank = all_zero(pb, pr->cbPage);
    if (!fBlank) {
        ESEPY_ESE_PAGEINFO info;
        memset(&info, 0, sizeof(info));
        esefmt_page_verify(pr->pdb, pb, pgno, &info);
        if (info.status != ESEPY_ESE_PAGE_OK)
            return JET_errReadVerifyFailure;
    }
    if ((err = esepage_decode(pb, pr->cbPage, pgno, &pf->page)) < 0)
        return err;
    pf->pgno = pgno;
    pf->cpin = 1;
    pf->tick = ++pr->tick;
    *ppp = &pf->page;
    if (pfBlank)
        *pfBlank = fBlank;
    return JET_errSuccess;
}

static redo_frame *frame_of(eseredo *pr, esepage *pp)
{
    redo_frame *pf = (redo_frame *)((uint8_t *)pp - offsetof(redo_frame, page));
    if (pf < pr->rgframe || pf >= pr->rgframe + REDO_FRAMES)
        return NULL;
    return pf;
}

void eseredo_page_release(eseredo *pr, esepage *pp, int fDirty)
{
    if (pp == NULL)
        return;
    redo_frame *pf = frame_of(pr, pp);
    if (pf == NULL || pf->cpin == 0)
        return;
    pf->cpin--;
    if (fDirty)
        pf->fDirty = 1;
}

void eseredo_page_done(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec, esepage *pp)
{
    pp->dbtime = prec->dbtime; /* P3 */
    pr->cpageRedone++;
    pr->pinfo->cpageRedone++;
    eseredo_page_release(pr, pp, 1);
}

/* ---- the dbtime rule (§3.3) ------------------------------------------------------------------ */

void eseredo_macro_begin(eseredo *pr, uint64_t dbtimeMacro)
{
    pr->fMacro = 1;
    pr->dbtimeMacro = dbtimeMacro;
    pr->cdecision = 0;
}

void eseredo_macro_end(eseredo *pr)
{
    pr->fMacro = 0;
    pr->cdecision = 0;
}

static JET_ERR macro_note(eseredo *pr, uint32_t pgno, int fRedo)
{
    if (!pr->fMacro)
        return JET_errSuccess;
    if (pr->cdecision == pr->cdecisionMax) {
        uint32_t c = pr->cdecisionMax ? 2 * pr->cdecisionMax : 16;
        macro_decision *rg = os_realloc(pr->rgdecision, (size_t)c * sizeof(*rg));
        if (rg == NULL)
            return JET_errOutOfMemory;
        pr->rgdecision = rg;
        pr->cdecisionMax = c;
    }
    pr->rgdecision[pr->cdecision].pgno = pgno;
    pr->rgdecision[pr->cdecision].fRedo = fRedo;
    pr->cdecision++;
    return JET_errSuccess;
}

JET_ERR eseredo_check(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, uint64_t dbtimeBefore,
                      uint32_t grbit, esepage **ppp)
{
    *ppp = NULL;
    const char *szType = rec_name(prec);
    if (pgno == 0)
        return eseredo_fail(pr, JET_errLogCorrupted, prec, 0, "%s at " LGPOS_FMT " names page 0", szType,
                            LGPOS_ARGS(prec));
    if (pgno > pr->cpgFile)
        return eseredo_fail(pr, JET_errFileIOBeyondEOF, prec, pgno,
                            "%s at " LGPOS_FMT " names page %u, past the end of the database (%u pages, ExtendDB "
                            "included)", szType, LGPOS_ARGS(prec), pgno, pr->cpgFile);
    if (pr->fMacro) {
        for (uint32_t i = 0; i < pr->cdecision; i++) {
            if (pr->rgdecision[i].pgno != pgno)
                continue;
            if (!pr->rgdecision[i].fRedo) {
                pr->pinfo->cpageApplied++;
                return 0;
            }
            JET_ERR err = eseredo_page_get(pr, pgno, ppp, NULL);
            if (err < 0)
                return eseredo_fail(pr, err, prec, pgno, "%s at " LGPOS_FMT ": page %u cannot be read", szType,
                                    LGPOS_ARGS(prec), pgno);
            return 1;
        }
    }
    esepage *pp = NULL;
    int fBlank = 0;
    JET_ERR err = eseredo_page_get(pr, pgno, &pp, &fBlank);
    if (err == JET_errReadVerifyFailure)
        return eseredo_fail(pr, err, prec, pgno,
                            "%s at " LGPOS_FMT " names page %u, whose checksum fails: it cannot be redone onto",
                            szType, LGPOS_ARGS(prec), pgno);
    if (err < 0)
        return eseredo_fail(pr, err, prec, pgno, "%s at " LGPOS_FMT ": page %u cannot be read (error %d)", szType,
                            LGPOS_ARGS(prec), pgno, err);
    const uint64_t dbtimePage = fBlank ? 0 : pp->dbtime;
    const uint64_t dbtime = prec->dbtime;
    const int fInRange = prec->lgpos.lGeneration <= pr->lGenMaxRequired;
    pr->pinfo->dbtimePage = dbtimePage;
    int fRedo;
    if (grbit & ESEREDO_CHECK_NEW) {
        /* §3.3 rule 6: beyond the required range a new page is always formatted */
        fRedo = !fInRange || dbtimePage < dbtime;
    } else {
        fRedo = dbtime > dbtimePage;
        if (fRedo && dbtimeBefore != ESEREDO_DBTIME_NIL && dbtimePage != dbtimeBefore) {
            eseredo_page_release(pr, pp, 0);
            if (dbtimePage < dbtimeBefore)
                return eseredo_fail(pr, JET_errDbTimeTooOld, prec, pgno,
                                    "%s at " LGPOS_FMT ": page %u has dbtime %llu, older than the record's "
                                    "before-dbtime %llu (a lost flush): the page is missing earlier changes",
                                    szType, LGPOS_ARGS(prec), pgno, (unsigned long long)dbtimePage,
                                    (unsigned long long)dbtimeBefore);
            return eseredo_fail(pr, JET_errDbTimeTooNew, prec, pgno,
                                "%s at " LGPOS_FMT ": page %u has dbtime %llu, between the record's before-dbtime "
                                "%llu and its dbtime %llu", szType, LGPOS_ARGS(prec), pgno,
                                (unsigned long long)dbtimePage, (unsigned long long)dbtimeBefore,
                                (unsigned long long)dbtime);
        }
        if (!fRedo && !fInRange) {
            eseredo_page_release(pr, pp, 0);
            return eseredo_fail(pr, JET_errDbTimeBeyondMaxRequired, prec, pgno,
                                "%s at " LGPOS_FMT ": page %u already carries the change (dbtime %llu >= %llu) "
                                "although the record lies in generation %d, beyond the header's required range "
                                "(up to %d)", szType, LGPOS_ARGS(prec), pgno, (unsigned long long)dbtimePage,
                                (unsigned long long)dbtime, prec->lgpos.lGeneration, pr->lGenMaxRequired);
        }
    }
    if ((err = macro_note(pr, pgno, fRedo)) < 0) {
        eseredo_page_release(pr, pp, 0);
        return err;
    }
    if (!fRedo) {
        pr->pinfo->cpageApplied++;
        eseredo_page_release(pr, pp, 0);
        return 0;
    }
    *ppp = pp;
    return 1;
}

/* ---- node records (§2.3) ---------------------------------------------------------------------- */

/* Apply a ReplaceD diff (DIFFHDR or DIFFHDR2 entries) to the old data:
 * unchanged old bytes up to each entry's offset, then its new bytes
 * (inserted, or replacing old bytes); the old tail after the last entry. */
JET_ERR eseredo_after_image(const uint8_t *pbDiff, uint32_t cbDiff, int fDiff2, const uint8_t *pbOld, uint32_t cbOld,
                           uint8_t *pbNew, uint32_t cbNewMax, uint32_t *pcbNew)
{
    uint32_t iDiff = 0, iOld = 0, iNew = 0;
    while (iDiff < cbDiff) {
        uint32_t ib, fl;
        if (fDiff2) {
            if (cbDiff - iDiff < 3)
                return JET_errLogCorrupted;
            ib = le_get16(pbDiff + iDiff);
            fl = pbDiff[iDiff + 2];
            iDiff += 3;
        } else {
            if (cbDiff - iDiff < 2)
                return JET_errLogCorrupted;
            uint32_t w = le_get16(pbDiff + iDiff);
            ib = w & 0x1FFFu;
            fl = w >> 8;
            iDiff += 2;
        }
        const int fSame = (fl & 0x20u) != 0, fInsert = (fl & 0x40u) != 0, fTwo = (fl & 0x80u) != 0;
        if (ib < iOld || ib > cbOld)
            return JET_errLogCorrupted;
        uint32_t cbSkip = ib - iOld;
        if (cbSkip > cbNewMax - iNew)
            return JET_errLogCorrupted;
        memcpy(pbNew + iNew, pbOld + iOld, cbSkip);
        iNew += cbSkip;
        iOld += cbSkip;
        uint32_t cbLen = fTwo ? 2u : 1u;
        if (cbDiff - iDiff < cbLen)
            return JET_errLogCorrupted;
        uint32_t cbNewPart = fTwo ? le_get16(pbDiff + iDiff) : pbDiff[iDiff];
        iDiff += cbLen;
        uint32_t cbOldPart = 0;
        if (!fInsert) {
            if (fSame) {
                cbOldPart = cbNewPart;
            } else {
                if (cbDiff - iDiff < cbLen)
                    return JET_errLogCorrupted;
                cbOldPart = fTwo ? le_get16(pbDiff + iDiff) : pbDiff[iDiff];
                iDiff += cbLen;
            }
        }
        if (cbNewPart > cbDiff - iDiff || cbNewPart > cbNewMax - iNew || cbOldPart > cbOld - iOld)
            return JET_errLogCorrupted;
        memcpy(pbNew + iNew, pbDiff + iDiff, cbNewPart);
        iDiff += cbNewPart;
        iNew += cbNewPart;
        iOld += cbOldPart;
    }
    if (cbOld - iOld > cbNewMax - iNew)
        return JET_errLogCorrupted;
    memcpy(pbNew + iNew, pbOld + iOld, cbOld - iOld);
    *pcbNew = iNew + cbOld - iOld;
    return JET_errSuccess;
}

static int r_pinfo_unset(const eseredo *pr)
{
    return pr->pinfo->szReason[0] == '\0';
}

static int versioned_op(uint32_t lrtyp, uint32_t *pop)
{
    switch (lrtyp) {
    case ESEPY_ESE_LRTYP_INSERT: *pop = ESEREDO_VER_INSERT; return 1;
    case ESEPY_ESE_LRTYP_FLAGINSERT: *pop = ESEREDO_VER_FLAGINSERT; return 1;
    case ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA: *pop = ESEREDO_VER_FLAGINSERTREPLACE; return 1;
    case ESEPY_ESE_LRTYP_REPLACE:
    case ESEPY_ESE_LRTYP_REPLACED: *pop = ESEREDO_VER_REPLACE; return 1;
    case ESEPY_ESE_LRTYP_FLAGDELETE: *pop = ESEREDO_VER_FLAGDELETE; return 1;
    case ESEPY_ESE_LRTYP_DELTA: *pop = ESEREDO_VER_DELTA; return 1;
    case ESEPY_ESE_LRTYP_DELTA64: *pop = ESEREDO_VER_DELTA64; return 1;
    default: return 0;
    }
}

/* The version-store hook for a versioned record (called whether or not the
 * page needed it; pp is the page before the change when it did). */
static JET_ERR version_hook(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec, const esepage *pp, uint8_t *pbKey)
{
    uint32_t op;
    if (pr->pfnVersion == NULL || !(prec->fPageFlags & 0x01u) || !versioned_op(prec->lrtyp, &op))
        return JET_errSuccess;
    ESEREDO_VERSION v;
    memset(&v, 0, sizeof(v));
    v.op = op;
    v.prec = prec;
    v.procid = prec->procid;
    v.rceid = prec->rceid;
    v.rceidReplace = prec->rceidReplace;
    v.level = prec->level;
    v.trxBegin0 = prec->trxBegin0;
    v.dbid = prec->dbid;
    v.pgno = prec->pgno;
    v.iline = prec->iline;
    v.pgnoFDP = prec->pgnoFDP;
    v.objidFDP = prec->objidFDP;
    v.dbtime = prec->dbtime;
    v.fRedone = pp != NULL;
    v.delta = prec->delta;
    v.ibOffset = prec->ibOffset;
    if (prec->pbKey != NULL && prec->cbKey > 0) {
        v.pbKey = prec->pbKey;
        v.cbKey = prec->cbKey;
    } else if (pp != NULL && prec->iline < pp->cline) {
        uint32_t cbKey = 0;
        if (esepage_key(pp, prec->iline, pbKey, ESEFMT_KEY_MAX, &cbKey) == JET_errSuccess) {
            v.pbKey = pbKey;
            v.cbKey = cbKey;
        }
    }
    if (pp != NULL && prec->iline < pp->cline &&
        (op == ESEREDO_VER_REPLACE || op == ESEREDO_VER_FLAGINSERTREPLACE))
        (void)esepage_data(pp, prec->iline, &v.pbBefore, &v.cbBefore);
    JET_ERR err = pr->pfnVersion(pr->pvVersion, &v);
    if (err < 0)
        return eseredo_fail(pr, err, prec, prec->pgno, "%s at " LGPOS_FMT ": the version store refused it (error %d)",
                            rec_name(prec), LGPOS_ARGS(prec), err);
    return JET_errSuccess;
}

JET_ERR eseredo_report_version(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec, int fRedone, const uint8_t *pbBefore,
                               uint32_t cbBefore)
{
    uint32_t op;
    if (pr->pfnVersion == NULL || !(prec->fPageFlags & 0x01u) || !versioned_op(prec->lrtyp, &op))
        return JET_errSuccess;
    ESEREDO_VERSION v;
    memset(&v, 0, sizeof(v));
    v.op = op;
    v.prec = prec;
    v.procid = prec->procid;
    v.rceid = prec->rceid;
    v.rceidReplace = prec->rceidReplace;
    v.level = prec->level;
    v.trxBegin0 = prec->trxBegin0;
    v.dbid = prec->dbid;
    v.pgno = prec->pgno;
    v.iline = prec->iline;
    v.pgnoFDP = prec->pgnoFDP;
    v.objidFDP = prec->objidFDP;
    v.dbtime = prec->dbtime;
    v.fRedone = fRedone;
    v.pbKey = prec->cbKey ? prec->pbKey : NULL;
    v.cbKey = prec->cbKey;
    v.pbBefore = fRedone ? pbBefore : NULL;
    v.cbBefore = fRedone ? cbBefore : 0;
    JET_ERR err = pr->pfnVersion(pr->pvVersion, &v);
    if (err < 0)
        return eseredo_fail(pr, err, prec, prec->pgno, "%s at " LGPOS_FMT ": the version store refused it (error %d)",
                            rec_name(prec), LGPOS_ARGS(prec), err);
    return JET_errSuccess;
}

/* The change a node record makes to its page (shared by recovery and the
 * rebuild, eserebuild.c). */
JET_ERR eseredo_node_change(esepage *pp, const ESEPY_ESE_LOGRECORD *prec, uint8_t *pbScratch, uint32_t cbScratch,
                            char *szWhy, size_t cbWhy)
{
    const uint32_t pgno = prec->pgno, iline = prec->iline;
    const uint32_t fVer = (prec->fPageFlags & 0x01u) ? ESEPAGE_ND_VERSION : 0;
    JET_ERR err = JET_errSuccess;
    szWhy[0] = '\0';
#define WHY_NODE(...) snprintf(szWhy, cbWhy, __VA_ARGS__)
    if (prec->lrtyp != ESEPY_ESE_LRTYP_INSERT && prec->lrtyp != ESEPY_ESE_LRTYP_SETEXTERNALHEADER &&
        iline >= pp->cline) {
        WHY_NODE(" names line %u of page %u, which has %u lines", iline, pgno, pp->cline);
        return JET_errDatabaseCorrupted;
    }
    switch (prec->lrtyp) {
    case ESEPY_ESE_LRTYP_INSERT:
        if (iline > pp->cline) {
            WHY_NODE(" inserts at line %u of page %u, which has %u lines", iline, pgno, pp->cline);
            return JET_errDatabaseCorrupted;
        }
        err = esepage_insert(pp, iline, prec->pbKey, prec->cbKey, prec->cbKeyPrefix, prec->pbData, prec->cbData, fVer);
        if (err == JET_errDatabaseCorrupted)
            WHY_NODE(": its key shares %u bytes with the prefix of page %u, which has %u", prec->cbKeyPrefix, pgno,
                     pp->ctagReserved ? pp->rgreserved[0].cbData : 0);
        break;
    case ESEPY_ESE_LRTYP_FLAGINSERT:
        err = esepage_set_flags(pp, iline, fVer, ESEPAGE_ND_DELETED);
        break;
    case ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA:
        if ((err = esepage_set_flags(pp, iline, fVer, ESEPAGE_ND_DELETED)) >= 0)
            err = esepage_replace_data(pp, iline, prec->pbData, prec->cbData);
        break;
    case ESEPY_ESE_LRTYP_FLAGDELETE:
        err = esepage_set_flags(pp, iline, ESEPAGE_ND_DELETED | fVer, 0);
        break;
    case ESEPY_ESE_LRTYP_REPLACE:
    case ESEPY_ESE_LRTYP_REPLACED: {
        const uint8_t *pbNew = prec->pbData;
        uint32_t cbNew = prec->cbData;
        if (prec->lrtyp == ESEPY_ESE_LRTYP_REPLACED) {
            const uint8_t *pbOld;
            uint32_t cbOld;
            (void)esepage_data(pp, iline, &pbOld, &cbOld);
            err = eseredo_after_image(prec->pbData, prec->cbData, prec->fDiff2 != 0, pbOld, cbOld, pbScratch,
                                      cbScratch, &cbNew);
            if (err < 0) {
                WHY_NODE(": its diff does not apply to the %u bytes of line %u of page %u", cbOld, iline, pgno);
                break;
            }
            pbNew = pbScratch;
        }
        if (cbNew != prec->cbNewData) {
            WHY_NODE(": the new data of line %u of page %u has %u bytes, the record says %u", iline, pgno, cbNew,
                     prec->cbNewData);
            err = JET_errLogCorrupted;
            break;
        }
        if ((err = esepage_replace_data(pp, iline, pbNew, cbNew)) >= 0 && fVer)
            err = esepage_set_flags(pp, iline, fVer, 0);
        break;
    }
    case ESEPY_ESE_LRTYP_DELETE:
        err = esepage_delete(pp, iline);
        break;
    case ESEPY_ESE_LRTYP_DELTA:
    case ESEPY_ESE_LRTYP_DELTA64: {
        const uint8_t *pbOld;
        uint32_t cbOld;
        (void)esepage_data(pp, iline, &pbOld, &cbOld);
        uint32_t cbInt = prec->lrtyp == ESEPY_ESE_LRTYP_DELTA ? 4u : 8u;
        if (prec->ibOffset > cbOld || cbOld - prec->ibOffset < cbInt || cbOld > cbScratch) {
            WHY_NODE(": offset %u of line %u of page %u lies outside its %u bytes", prec->ibOffset, iline, pgno,
                     cbOld);
            err = JET_errDatabaseCorrupted;
            break;
        }
        memcpy(pbScratch, pbOld, cbOld);
        if (cbInt == 4)
            le_put32(pbScratch + prec->ibOffset,
                     (uint32_t)((int64_t)(int32_t)le_get32(pbOld + prec->ibOffset) + prec->delta));
        else
            le_put64(pbScratch + prec->ibOffset, le_get64(pbOld + prec->ibOffset) + (uint64_t)prec->delta);
        if ((err = esepage_replace_data(pp, iline, pbScratch, cbOld)) >= 0 && fVer)
            err = esepage_set_flags(pp, iline, fVer, 0);
        break;
    }
    case ESEPY_ESE_LRTYP_SETEXTERNALHEADER:
        err = esepage_set_external_header(pp, prec->pbData, prec->cbData);
        break;
    default:
        err = JET_errFeatureNotAvailable;
        break;
    }
#undef WHY_NODE
    return err;
}

static JET_ERR node_record(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec)
{
    const char *szType = rec_name(prec);
    const uint32_t pgno = prec->pgno;
    esepage *pp = NULL;
    JET_ERR err = eseredo_check(pr, prec, pgno, prec->dbtimeBefore, 0, &pp);
    if (err < 0)
        return err;
    uint8_t *pbKey = NULL;
    if (pr->pfnVersion != NULL && (prec->fPageFlags & 0x01u)) {
        pbKey = os_malloc(ESEFMT_KEY_MAX);
        if (pbKey == NULL) {
            eseredo_page_release(pr, pp, 0);
            return JET_errOutOfMemory;
        }
    }
    err = version_hook(pr, prec, pp, pbKey); /* before the change: the before-image is the page's */
    if (err < 0 || pp == NULL)
        goto done;
    char szWhy[200];
    err = eseredo_node_change(pp, prec, pr->pbData, 2 * pr->cbPage, szWhy, sizeof(szWhy));
    if (err < 0 && szWhy[0] != '\0')
        err = eseredo_fail(pr, err, prec, pgno, "%s at " LGPOS_FMT "%s", szType, LGPOS_ARGS(prec), szWhy);
    if (err < 0) {
        if (r_pinfo_unset(pr))
            eseredo_fail(pr, err, prec, pgno, "%s at " LGPOS_FMT ": redo on page %u failed (error %d)", szType,
                         LGPOS_ARGS(prec), pgno, err);
        eseredo_page_release(pr, pp, 0);
        pp = NULL;
        goto done;
    }
    eseredo_page_done(pr, prec, pp);
    pp = NULL;
done:
    if (pp != NULL)
        eseredo_page_release(pr, pp, 0);
    os_free(pbKey);
    return err;
}

/* ---- page-level records ------------------------------------------------------------------------ */

/* NewPage: a pre-initialised page (no tags) of the objid, at the record's dbtime. */
static JET_ERR new_page(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec)
{
    esepage *pp = NULL;
    JET_ERR err = eseredo_check(pr, prec, prec->pgno, ESEREDO_DBTIME_NIL, ESEREDO_CHECK_NEW, &pp);
    if (err <= 0)
        return err;
    err = esepage_format(pp, pr->cbPage, prec->pgno, prec->objidFDP, prec->dbtime, ESEPAGE_PG_PREINIT);
    if (err < 0) {
        eseredo_page_release(pr, pp, 0);
        return err;
    }
    eseredo_page_done(pr, prec, pp);
    return JET_errSuccess;
}

/* ---- FDP creation (reference §2.3) --------------------------------------------------------- */

#define SPH_CB             16u    /* SPACE_HEADER: cpgPrimary, pgnoParent, flags, rgbitAvail | pgnoOE */
#define SPH_MULTIPLEEXTENT 0x01u
#define SPH_NONUNIQUE      0x02u
#define CPG_SMALL_SPACE    32u    /* single-extent trees track at most this many pages in rgbitAvail */
#define SPLIT_BUFFER_CB    16u    /* tag 0 of a space-tree root: two empty extents */

/* Format page pgno named by prec as a new page (§3.3 rule 6) taken into use
 * with fPageFlags, its tag 0 = pbExt.  Returns 1 with the page pinned, 0 when
 * the page already has it, or an error. */
static JET_ERR fdp_page(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, uint32_t fPageFlags,
                        const uint8_t *pbExt, uint32_t cbExt, esepage **ppp)
{
    JET_ERR err = eseredo_check(pr, prec, pgno, ESEREDO_DBTIME_NIL, ESEREDO_CHECK_NEW, ppp);
    if (err <= 0)
        return err;
    esepage *pp = *ppp;
    if ((err = esepage_format(pp, pr->cbPage, pgno, prec->objidFDP, prec->dbtime,
                              (fPageFlags | ESEPAGE_PG_NEWRECORD) & ~ESEPAGE_PG_PREINIT)) < 0 ||
        (err = esepage_set_external_header(pp, pbExt, cbExt)) < 0) {
        eseredo_page_release(pr, pp, 0);
        *ppp = NULL;
        return err;
    }
    return 1;
}

/* A space-tree root (owned or available extents) with one extent node:
 * key = pgnoLast big-endian, data = page count (none when cpg is 0). */
static JET_ERR space_root(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgno, uint32_t fPageFlags,
                          uint32_t pgnoLast, uint32_t cpg)
{
    static const uint8_t rgbSplitBuffer[SPLIT_BUFFER_CB];
    esepage *pp = NULL;
    JET_ERR err = fdp_page(pr, prec, pgno, fPageFlags | ESEPAGE_PG_ROOT | ESEPAGE_PG_LEAF | ESEPAGE_PG_SPACE,
                           rgbSplitBuffer, SPLIT_BUFFER_CB, &pp);
    if (err <= 0)
        return err;
    if (cpg != 0) {
        uint8_t key[4], data[4];
        key[0] = (uint8_t)(pgnoLast >> 24);
        key[1] = (uint8_t)(pgnoLast >> 16);
        key[2] = (uint8_t)(pgnoLast >> 8);
        key[3] = (uint8_t)pgnoLast;
        le_put32(data, cpg);
        if ((err = esepage_insert(pp, 0, key, 4, 0, data, 4, 0)) < 0) {
            eseredo_page_release(pr, pp, 0);
            return err;
        }
    }
    eseredo_page_done(pr, prec, pp);
    return JET_errSuccess;
}

/* CreateSingleExtentFDP / CreateMultipleExtentFDP: the tree's root with its
 * space header (and, multiple-extent, the roots of its owned- and
 * available-extent trees, each holding the primary extent). */
static JET_ERR create_fdp(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec)
{
    const int fMulti = prec->lrtyp == ESEPY_ESE_LRTYP_CREATEMEFDP;
    const uint32_t ibFlags = fMulti ? 52u : 44u;
    if (prec->cb < ibFlags + 4 || prec->cpg == 0 || prec->pgno == 0)
        return eseredo_fail(pr, JET_errLogCorrupted, prec, prec->pgno, "%s at " LGPOS_FMT " is too short or empty",
                            rec_name(prec), LGPOS_ARGS(prec));
    const uint32_t fPageFlags = le_get32(prec->pb + ibFlags);
    const uint32_t cpgPrimary = prec->cpg;
    uint8_t sph[SPH_CB];
    memset(sph, 0, sizeof(sph));
    le_put32(sph, cpgPrimary);
    le_put32(sph + 4, prec->pgnoParent);
    sph[8] = (uint8_t)((fMulti ? SPH_MULTIPLEEXTENT : 0) | ((prec->fPageFlags & 0x04u) ? 0 : SPH_NONUNIQUE));
    if (fMulti) {
        le_put32(sph + 12, prec->pgnoNew); /* pgnoOE; the AE root is the next page */
    } else {
        uint32_t rgbit = 0xFFFFFFFFu;
        if (cpgPrimary <= CPG_SMALL_SPACE)
            rgbit = cpgPrimary >= 2 ? (uint32_t)((1ull << (cpgPrimary - 1)) - 1) : 0;
        le_put32(sph + 12, rgbit);
    }
    esepage *pp = NULL;
    JET_ERR err = fdp_page(pr, prec, prec->pgno, fPageFlags | ESEPAGE_PG_ROOT | ESEPAGE_PG_LEAF, sph, SPH_CB, &pp);
    if (err < 0)
        return err;
    if (err > 0)
        eseredo_page_done(pr, prec, pp);
    if (!fMulti)
        return JET_errSuccess;
    const uint32_t pgnoLast = prec->pgno + cpgPrimary - 1;
    if ((err = space_root(pr, prec, prec->pgnoNew, fPageFlags, pgnoLast, cpgPrimary)) < 0)
        return err;
    return space_root(pr, prec, prec->pgnoRight, fPageFlags, pgnoLast, cpgPrimary >= 3 ? cpgPrimary - 3 : 0);
}

/* ---- ConvertFDP2 (reference §2.3) ------------------------------------------------------- */

#define CONVERT_CEXT_MAX ((int)(CPG_SMALL_SPACE / 2 + 2))

typedef struct {
    uint32_t pgnoLast, cpg;
} convert_ext;

/* Insert the extent node {pgnoLast, cpg} at its key position (keys are
 * pgnoLast big-endian, so they order numerically). */
static JET_ERR insert_extent(esepage *pp, uint32_t pgnoLast, uint32_t cpg)
{
    uint8_t key[4], data[4];
    key[0] = (uint8_t)(pgnoLast >> 24);
    key[1] = (uint8_t)(pgnoLast >> 16);
    key[2] = (uint8_t)(pgnoLast >> 8);
    key[3] = (uint8_t)pgnoLast;
    le_put32(data, cpg);
    uint32_t iline = 0;
    for (; iline < pp->cline; iline++) {
        uint8_t k[8];
        uint32_t cb = 0;
        JET_ERR err = esepage_key(pp, iline, k, sizeof(k), &cb);
        if (err < 0)
            return err;
        if (cb != 4 || memcmp(k, key, 4) > 0)
            break;
    }
    return esepage_insert(pp, iline, key, 4, 0, data, 4, 0);
}

/* The available extents of a single-extent tree of cpgPrimary pages at
 * pgnoFDP: bit i of rgbitAvail is page pgnoFDP + 1 + i, pages past the
 * bitmap are all available.  Highest extent first, adjacent pages merged,
 * as the engine's conversion lists them. */
static int convert_extents(uint32_t pgnoFDP, uint32_t cpgPrimary, uint32_t rgbitAvail, convert_ext *rg)
{
    int c = 0;
    if (cpgPrimary - 1 > CPG_SMALL_SPACE) {
        rg[c].pgnoLast = pgnoFDP + cpgPrimary - 1;
        rg[c].cpg = cpgPrimary - CPG_SMALL_SPACE - 1;
        c++;
    }
    uint32_t pgno = pgnoFDP + CPG_SMALL_SPACE;
    for (uint32_t bit = 0x80000000u; bit != 0; bit >>= 1, pgno--) {
        if (!(rgbitAvail & bit))
            continue;
        if (c > 0 && rg[c - 1].pgnoLast - rg[c - 1].cpg == pgno)
            rg[c - 1].cpg++;
        else if (c < CONVERT_CEXT_MAX) {
            rg[c].pgnoLast = pgno;
            rg[c].cpg = 1;
            c++;
        }
    }
    return c;
}

/* ConvertFDP2: a single-extent tree becomes multiple-extent.  The OE and AE
 * roots (the first two pages of the secondary extent) are new pages: OE holds
 * the secondary and the primary extent, AE the secondary extent less those
 * two pages and the primary extent's free pages; the root's space header
 * becomes a multiple-extent one naming the OE root.  Each of the three pages
 * is decided on its own (root: dbtimeBefore; OE/AE: the new-page rule). */
static JET_ERR convert_fdp(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec)
{
    if (prec->cb < 68 || prec->cpg == 0 || prec->pgno == 0 || prec->pgnoNew == 0 || prec->pgnoRight == 0)
        return eseredo_fail(pr, JET_errLogCorrupted, prec, prec->pgno, "%s at " LGPOS_FMT " is too short or empty",
                            rec_name(prec), LGPOS_ARGS(prec));
    const uint32_t pgnoSecondaryFirst = le_get32(prec->pb + 48);
    const uint32_t cpgSecondary = le_get32(prec->pb + 56);
    const uint32_t rgbitAvail = le_get32(prec->pb + 60);
    const uint32_t fPageFlags = le_get32(prec->pb + 64);
    const uint32_t cpgPrimary = prec->cpg;
    if (cpgSecondary < 2 || pgnoSecondaryFirst != prec->pgnoNew || prec->pgnoRight != prec->pgnoNew + 1)
        return eseredo_fail(pr, JET_errLogCorrupted, prec, prec->pgno,
                            "%s at " LGPOS_FMT " names OE/AE roots %u/%u outside its secondary extent %u+%u",
                            rec_name(prec), LGPOS_ARGS(prec), prec->pgnoNew, prec->pgnoRight, pgnoSecondaryFirst,
                            cpgSecondary);
    convert_ext rgext[CONVERT_CEXT_MAX];
    const int cext = convert_extents(prec->pgno, cpgPrimary, rgbitAvail, rgext);
    const uint32_t pgnoSecondaryLast = pgnoSecondaryFirst + cpgSecondary - 1;

    static const uint8_t rgbSplitBuffer[SPLIT_BUFFER_CB];
    esepage *ppRoot = NULL, *pp = NULL;
    JET_ERR err = eseredo_check(pr, prec, prec->pgno, prec->dbtimeBefore, 0, &ppRoot);
    if (err < 0)
        return err;
    err = fdp_page(pr, prec, prec->pgnoNew, fPageFlags | ESEPAGE_PG_ROOT | ESEPAGE_PG_LEAF | ESEPAGE_PG_SPACE,
                   rgbSplitBuffer, SPLIT_BUFFER_CB, &pp);
    if (err > 0) {
        if ((err = insert_extent(pp, pgnoSecondaryLast, cpgSecondary)) >= 0)
            err = insert_extent(pp, prec->pgno + cpgPrimary - 1, cpgPrimary);
        if (err < 0)
            eseredo_page_release(pr, pp, 0);
        else
            eseredo_page_done(pr, prec, pp);
    }
    pp = NULL;
    if (err >= 0)
        err = fdp_page(pr, prec, prec->pgnoRight, fPageFlags | ESEPAGE_PG_ROOT | ESEPAGE_PG_LEAF | ESEPAGE_PG_SPACE,
                       rgbSplitBuffer, SPLIT_BUFFER_CB, &pp);
    if (err > 0) {
        err = JET_errSuccess;
        if (cpgSecondary > 2)
            err = insert_extent(pp, pgnoSecondaryLast, cpgSecondary - 2);
        for (int i = cext - 1; i >= 0 && err >= 0; i--) /* lowest first, as the engine appends them */
            err = insert_extent(pp, rgext[i].pgnoLast, rgext[i].cpg);
        if (err < 0)
            eseredo_page_release(pr, pp, 0);
        else
            eseredo_page_done(pr, prec, pp);
    }
    if (err >= 0 && ppRoot != NULL) {
        uint8_t sph[SPH_CB];
        memset(sph, 0, sizeof(sph));
        le_put32(sph, cpgPrimary);
        le_put32(sph + 4, prec->pgnoParent);
        sph[8] = (uint8_t)(SPH_MULTIPLEEXTENT | ((prec->fPageFlags & 0x04u) ? 0 : SPH_NONUNIQUE));
        le_put32(sph + 12, prec->pgnoNew);
        err = esepage_set_external_header(ppRoot, sph, SPH_CB);
    }
    if (ppRoot != NULL) {
        if (err < 0)
            eseredo_page_release(pr, ppRoot, 0);
        else
            eseredo_page_done(pr, prec, ppRoot);
    }
    return err < 0 ? err : JET_errSuccess;
}

/* ---- EmptyTree ---------------------------------------------------------------------------------- */

/* EmptyTree: every listed page (after the 46-byte fixed part: {dbtimeBefore
 * u64, pgno u32, flags u32}) that lacks the change loses its prefix and all
 * its lines; the root then loses its line 0 (the pointer to the freed level)
 * and becomes a leaf.  Each page has its own dbtime check (§2.4). */
static JET_ERR empty_tree(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec)
{
    esepage *ppRoot = NULL;
    JET_ERR err = eseredo_check(pr, prec, prec->pgno, prec->dbtimeBefore, 0, &ppRoot);
    if (err < 0)
        return err;
    for (uint32_t ib = 46; ib + 16 <= prec->cb && err >= 0; ib += 16) {
        uint32_t pgno = le_get32(prec->pb + ib + 8);
        esepage *pp = NULL;
        err = eseredo_check(pr, prec, pgno, le_get64(prec->pb + ib), 0, &pp);
        if (err <= 0)
            continue;
        err = esepage_set_external_header(pp, NULL, 0);
        while (err >= 0 && pp->cline > 0)
            err = esepage_delete(pp, pp->cline - 1);
        if (err < 0) {
            eseredo_page_release(pr, pp, 0);
            break;
        }
        eseredo_page_done(pr, prec, pp);
    }
    if (err < 0 || ppRoot == NULL) {
        eseredo_page_release(pr, ppRoot, 0);
        return err < 0 ? err : JET_errSuccess;
    }
    if (ppRoot->cline > 0 && (err = esepage_delete(ppRoot, 0)) < 0) {
        eseredo_page_release(pr, ppRoot, 0);
        return err;
    }
    ppRoot->fFlags = (ppRoot->fFlags & ~ESEPAGE_PG_PARENT) | ESEPAGE_PG_LEAF;
    eseredo_page_done(pr, prec, ppRoot);
    return JET_errSuccess;
}

/* Scrub: deleted data overwritten on one page (esesplit_scrub_apply), under
 * the page's own dbtime check. */
static JET_ERR scrub(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec)
{
    esesplit_scrub sc;
    JET_ERR err = esesplit_parse_scrub(prec, &sc);
    if (err < 0)
        return eseredo_fail(pr, err, prec, prec->pgno,
                            "Scrub at " LGPOS_FMT " does not decode (its operations do not fit the record)",
                            LGPOS_ARGS(prec));
    esepage *pp = NULL;
    if ((err = eseredo_check(pr, prec, prec->pgno, prec->dbtimeBefore, 0, &pp)) <= 0)
        return err;
    char szWhy[160];
    if ((err = esesplit_scrub_apply(&sc, pp, szWhy, sizeof(szWhy))) < 0) {
        eseredo_page_release(pr, pp, 0);
        return eseredo_fail(pr, err, prec, prec->pgno, "Scrub at " LGPOS_FMT ": %s", LGPOS_ARGS(prec),
                            szWhy[0] ? szWhy : "the scrub failed");
    }
    eseredo_page_done(pr, prec, pp);
    return JET_errSuccess;
}

JET_ERR eseredo_extend(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec, uint32_t pgnoLast)
{
    (void)prec;
    if (pgnoLast <= pr->cpgFile)
        return JET_errSuccess;
    pr->cpgFile = pgnoLast;
    pr->fSizeChanged = 1;
    return ensure_output(pr);
}

int eseredo_page_refs(const ESEPY_ESE_LOGRECORD *prec, eseredo_pageref *rg, int crgMax)
{
    int c = 0;
#define ADD(pg, before, fnew)                                                            \
    do {                                                                                 \
        if ((pg) != 0) {                                                                 \
            if (c < crgMax) {                                                            \
                rg[c].pgno = (pg);                                                       \
                rg[c].dbtimeBefore = (before);                                           \
                rg[c].fNew = (fnew);                                                     \
            }                                                                            \
            c++;                                                                         \
        }                                                                                \
    } while (0)
    switch (prec->lrtyp) {
    case ESEPY_ESE_LRTYP_INSERT:
    case ESEPY_ESE_LRTYP_FLAGINSERT:
    case ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA:
    case ESEPY_ESE_LRTYP_FLAGDELETE:
    case ESEPY_ESE_LRTYP_REPLACE:
    case ESEPY_ESE_LRTYP_REPLACED:
    case ESEPY_ESE_LRTYP_DELETE:
    case ESEPY_ESE_LRTYP_DELTA:
    case ESEPY_ESE_LRTYP_DELTA64:
    case ESEPY_ESE_LRTYP_SETEXTERNALHEADER:
    case ESEPY_ESE_LRTYP_UNDO:
    case ESEPY_ESE_LRTYP_SCRUB:
        ADD(prec->pgno, prec->dbtimeBefore, 0);
        return c;
    case ESEPY_ESE_LRTYP_NEWPAGE:
    case ESEPY_ESE_LRTYP_CREATESEFDP:
        ADD(prec->pgno, ESEREDO_DBTIME_NIL, 1);
        return c;
    case ESEPY_ESE_LRTYP_CREATEMEFDP:
        ADD(prec->pgno, ESEREDO_DBTIME_NIL, 1);
        ADD(prec->pgnoNew, ESEREDO_DBTIME_NIL, 1);   /* OE */
        ADD(prec->pgnoRight, ESEREDO_DBTIME_NIL, 1); /* AE */
        return c;
    case ESEPY_ESE_LRTYP_CONVERTFDP2:
        ADD(prec->pgno, prec->dbtimeBefore, 0);
        ADD(prec->pgnoNew, ESEREDO_DBTIME_NIL, 1);
        ADD(prec->pgnoRight, ESEREDO_DBTIME_NIL, 1);
        return c;
    case ESEPY_ESE_LRTYP_SPLIT2:
        ADD(prec->pgno, prec->dbtimeBefore, 0);
        ADD(prec->pgnoNew, ESEREDO_DBTIME_NIL, 1);
        ADD(prec->pgnoRight, prec->dbtimeRightBefore, 0);
        ADD(prec->pgnoParent, prec->dbtimeParentBefore, 0);
        return c;
    case ESEPY_ESE_LRTYP_MERGE2:
        ADD(prec->pgno, prec->dbtimeBefore, 0);
        ADD(prec->pgnoRight, prec->dbtimeRightBefore, 0);
        ADD(prec->pgnoLeft, prec->dbtimeLeftBefore, 0);
        ADD(prec->pgnoParent, prec->dbtimeParentBefore, 0);
        return c;
    case ESEPY_ESE_LRTYP_PAGEMOVE:
        ADD(prec->pgno, prec->dbtimeBefore, 0);
        ADD(prec->pgnoNew, ESEREDO_DBTIME_NIL, 1);
        ADD(prec->pgnoLeft, prec->dbtimeLeftBefore, 0);
        ADD(prec->pgnoRight, prec->dbtimeRightBefore, 0);
        ADD(prec->pgnoParent, prec->dbtimeParentBefore, 0);
        return c;
    case ESEPY_ESE_LRTYP_ROOTPAGEMOVE:
        return 0; /* a macro's head: its PageMove records name the pages */
    case ESEPY_ESE_LRTYP_EMPTYTREE: {
        ADD(prec->pgno, prec->dbtimeBefore, 0);
        /* the list: {dbtimeBefore u64, pgno u32, flags u32} after the 46-byte fixed part */
        for (uint32_t ib = 46; ib + 16 <= prec->cb; ib += 16)
            ADD(le_get32(prec->pb + ib + 8), le_get64(prec->pb + ib), 0);
        return c;
    }
    default:
        return -1;
    }
#undef ADD
}

JET_ERR eseredo_verify_only(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec)
{
    int c = eseredo_page_refs(prec, NULL, 0);
    if (c <= 0)
        return eseredo_fail(pr, JET_errFeatureNotAvailable, prec, prec->pgno,
                            "%s at " LGPOS_FMT " changes the database in a way recovery does not replay",
                            rec_name(prec), LGPOS_ARGS(prec));
    eseredo_pageref *rg = os_malloc((size_t)c * sizeof(*rg));
    if (rg == NULL)
        return JET_errOutOfMemory;
    (void)eseredo_page_refs(prec, rg, c);
    JET_ERR err = JET_errSuccess;
    for (int i = 0; i < c && err >= 0; i++) {
        esepage *pp = NULL;
        err = eseredo_check(pr, prec, rg[i].pgno, rg[i].dbtimeBefore, rg[i].fNew ? ESEREDO_CHECK_NEW : 0, &pp);
        if (err > 0) {
            eseredo_page_release(pr, pp, 0);
            err = eseredo_fail(pr, JET_errFeatureNotAvailable, prec, rg[i].pgno,
                               "%s at " LGPOS_FMT " needs redo on page %u (page dbtime %llu, the record %llu), "
                               "which recovery does not replay yet (the database is left as it is)",
                               rec_name(prec), LGPOS_ARGS(prec), rg[i].pgno,
                               (unsigned long long)pr->pinfo->dbtimePage, (unsigned long long)prec->dbtime);
        }
    }
    os_free(rg);
    return err < 0 ? err : JET_errSuccess;
}

static JET_ERR not_replayed(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec)
{
    return eseredo_verify_only(pr, prec);
}

JET_ERR eseredo_finish(eseredo *pr, const uint8_t *pbHdr)
{
    if (pr->pfOut == NULL)
        return JET_errInvalidParameter;
    JET_ERR err;
    if ((err = os_file_write(pr->pfOut, pr->cbPage, pbHdr, pr->cbPage)) < 0 ||
        (err = os_file_write(pr->pfOut, 0, pbHdr, pr->cbPage)) < 0 || (err = os_file_sync(pr->pfOut)) < 0)
        return eseredo_fail(pr, err, NULL, 0, "writing the header of the recovered copy %s failed", pr->szTmp);
    os_file_close(pr->pfOut);
    pr->pfOut = NULL;
    return JET_errSuccess;
}

uint32_t eseredo_cpg(const eseredo *pr)
{
    return pr->cpgFile;
}

JET_ERR eseredo_apply(eseredo *pr, const ESEPY_ESE_LOGRECORD *prec)
{
    switch (prec->lrtyp) {
    case ESEPY_ESE_LRTYP_INSERT:
    case ESEPY_ESE_LRTYP_FLAGINSERT:
    case ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA:
    case ESEPY_ESE_LRTYP_FLAGDELETE:
    case ESEPY_ESE_LRTYP_REPLACE:
    case ESEPY_ESE_LRTYP_REPLACED:
    case ESEPY_ESE_LRTYP_DELETE:
    case ESEPY_ESE_LRTYP_DELTA:
    case ESEPY_ESE_LRTYP_DELTA64:
    case ESEPY_ESE_LRTYP_SETEXTERNALHEADER:
        return node_record(pr, prec);
    case ESEPY_ESE_LRTYP_NEWPAGE:
        return new_page(pr, prec);
    case ESEPY_ESE_LRTYP_CREATESEFDP:
    case ESEPY_ESE_LRTYP_CREATEMEFDP:
        return create_fdp(pr, prec);
    case ESEPY_ESE_LRTYP_CONVERTFDP2:
        return convert_fdp(pr, prec);
    case ESEPY_ESE_LRTYP_EMPTYTREE:
        return empty_tree(pr, prec);
    case ESEPY_ESE_LRTYP_SCRUB:
        return scrub(pr, prec);
    case ESEPY_ESE_LRTYP_PAGEMOVE:
        return esesplit_redo_pagemove(pr, prec);
    default:
        return not_replayed(pr, prec);
    }
}

static int structure_record(uint32_t lrtyp)
{
    return lrtyp == ESEPY_ESE_LRTYP_SPLIT2 || lrtyp == ESEPY_ESE_LRTYP_MERGE2 || lrtyp == ESEPY_ESE_LRTYP_PAGEMOVE ||
           lrtyp == ESEPY_ESE_LRTYP_ROOTPAGEMOVE;
}

JET_ERR eseredo_apply_macro(eseredo *pr, const eseredo_buf *pbuf, uint64_t dbtimeMacro)
{
    for (uint32_t i = 0; i < pbuf->crec; i++)
        if (structure_record(pbuf->rgrec[i].rec.lrtyp))
            return esesplit_redo_macro(pr, pbuf, dbtimeMacro);
    JET_ERR err = JET_errSuccess;
    eseredo_macro_begin(pr, dbtimeMacro);
    for (uint32_t i = 0; i < pbuf->crec && err >= 0; i++)
        err = eseredo_apply(pr, &pbuf->rgrec[i].rec);
    eseredo_macro_end(pr);
    return err;
}
