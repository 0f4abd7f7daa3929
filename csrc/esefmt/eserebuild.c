/*
 * eserebuild.c -- pages of a Windows ESE database rebuilt from its logs
 * alone, and compared with the file (EsepyEseRebuildPages, esepy_ese.h):
 * the exact-history test vectors of reference ese-log-format.md §5.4 and the
 * core of the "are the logs and the database consistent?" audit.
 *
 * Owns: the in-memory page store of the rebuild (one page model per page
 * whose history began in the logs), the replay of every logged change onto
 * the pages it knows (node records as eseredo applies them, macros as
 * committed, splits and merges through esesplit.h), and the comparison with
 * the pages on disk (logical: esepage_compare; bytes: with the checksum, the
 * flush-type bits and cbUncommittedFree masked).
 * Must not touch: any file but by reading (the database through the esefmt
 * reader, the logs through the log chain reader); recovery state.
 *
 * Invariants:
 *  B1 A page is "known" from the record that creates its whole content
 *     (NewPage; the new page of a split whose moved lines are known; a
 *     before-image; the destination of a page move, whose image the record
 *     carries) until the end of the logs, unless a record naming it
 *     cannot be replayed exactly -- then it is LOST (reported, never
 *     compared): a page is never compared after a guess.
 *  B2 Every record replayed on a known page must continue its dbtime chain
 *     (record dbtimeBefore = page dbtime, where the record logs one);
 *     otherwise a change is missing from the logs and the page is LOST.
 *  B3 The dbtime of a page changed by a record becomes the record's dbtime.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "esesplit.h"

#define RB_DBTIME_NIL 0xFFFFFFFFFFFFFFFFull

typedef struct {
    esepage *pp;                 /* NULL: not known */
    int      fSeen;              /* a history began here (reported) */
    int      fLost;
    ESEPY_ESE_REBUILDPAGE info;
} rb_page;

typedef struct {
    uint32_t    procid;
    int         fMacro;
    uint64_t    dbtime;
    eseredo_buf buf;
} rb_session;

typedef struct {
    ESEPY_ESE_SIGNATURE signDb;
    uint32_t    dbid;
    uint32_t    cbPage;
    rb_page    *rgpage;
    uint32_t    cpage;
    rb_session *rgsess;
    uint32_t    csess, csessMax;
    uint8_t    *pbScratch;       /* 2 * cbPage */
    ESEPY_ESE_FILE *pdb;         /* the database, read-only */
    esesplit_macro *pmac;
} rb_state;

static const char *rb_name(uint32_t lrtyp)
{
    const char *sz = EsepyEseLrtypName(lrtyp);
    return sz ? sz : "?";
}

static int same_time(const ESEPY_ESE_TIME *a, const ESEPY_ESE_TIME *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
           a->minute == b->minute && a->second == b->second && a->millisecond == b->millisecond;
}

static int same_sign(const ESEPY_ESE_SIGNATURE *a, const ESEPY_ESE_SIGNATURE *b)
{
    return a->ulRandom == b->ulRandom && same_time(&a->logtimeCreate, &b->logtimeCreate) &&
           strcmp(a->szComputerName, b->szComputerName) == 0;
}

/* ---- the page store ---------------------------------------------------------------- */

static rb_page *rb_slot(rb_state *rb, uint32_t pgno)
{
    if (pgno == 0)
        return NULL;
    if (pgno >= rb->cpage) {
        uint32_t c = rb->cpage ? rb->cpage : 256;
        while (c <= pgno)
            c *= 2;
        rb_page *rg = os_realloc(rb->rgpage, (size_t)c * sizeof(*rg));
        if (rg == NULL)
            return NULL;
        memset(rg + rb->cpage, 0, (size_t)(c - rb->cpage) * sizeof(*rg));
        rb->rgpage = rg;
        rb->cpage = c;
    }
    return &rb->rgpage[pgno];
}

static esepage *rb_known(rb_state *rb, uint32_t pgno)
{
    return pgno != 0 && pgno < rb->cpage ? rb->rgpage[pgno].pp : NULL;
}

static void rb_drop(rb_page *ps)
{
    if (ps->pp != NULL) {
        esepage_free(ps->pp);
        os_free(ps->pp);
        ps->pp = NULL;
    }
}

static void rb_lose(rb_state *rb, uint32_t pgno, const ESEPY_ESE_LOGRECORD *prec, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* B1: a known page whose history cannot be followed any further */
static void rb_lose(rb_state *rb, uint32_t pgno, const ESEPY_ESE_LOGRECORD *prec, const char *fmt, ...)
{
    if (rb_known(rb, pgno) == NULL)
        return;
    rb_page *ps = &rb->rgpage[pgno];
    rb_drop(ps);
    ps->fLost = 1;
    char sz[120];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sz, sizeof(sz), fmt, ap);
    va_end(ap);
    snprintf(ps->info.szNote, sizeof(ps->info.szNote), "%s at (%d,%u,%u): %s", rb_name(prec->lrtyp),
             prec->lgpos.lGeneration, prec->lgpos.isec, prec->lgpos.ib, sz);
    ps->info.lgposLast = prec->lgpos;
    ps->info.lrtypLast = prec->lrtyp;
}

/* A history begins: pp (owned from now on) is the page's whole content. */
static JET_ERR rb_origin(rb_state *rb, uint32_t pgno, const ESEPY_ESE_LOGRECORD *prec, esepage *pp, int fImage)
{
    rb_page *ps = rb_slot(rb, pgno);
    if (ps == NULL) {
        esepage_free(pp);
        os_free(pp);
        return JET_errOutOfMemory;
    }
    rb_drop(ps);
    memset(&ps->info, 0, sizeof(ps->info));
    ps->pp = pp;
    ps->fSeen = 1;
    ps->fLost = 0;
    ps->info.pgno = pgno;
    ps->info.lrtypOrigin = prec->lrtyp;
    ps->info.fFromImage = fImage;
    ps->info.lgposOrigin = prec->lgpos;
    return JET_errSuccess;
}

static void rb_touch(rb_state *rb, uint32_t pgno, const ESEPY_ESE_LOGRECORD *prec, uint64_t dbtime)
{
    rb_page *ps = &rb->rgpage[pgno];
    ps->pp->dbtime = dbtime; /* B3 */
    ps->info.cevents++;
    ps->info.lgposLast = prec->lgpos;
    ps->info.lrtypLast = prec->lrtyp;
}

static esepage *rb_new_model(void)
{
    return os_calloc(1, sizeof(esepage));
}

/* B2: the page must carry the record's before-dbtime (when logged). */
static esepage *rb_chained(rb_state *rb, uint32_t pgno, const ESEPY_ESE_LOGRECORD *prec, uint64_t dbtimeBefore)
{
    esepage *pp = rb_known(rb, pgno);
    if (pp != NULL && dbtimeBefore != RB_DBTIME_NIL && pp->dbtime != dbtimeBefore) {
        rb_lose(rb, pgno, prec, "the page is at dbtime %llu, the record continues from %llu (a change is missing)",
                (unsigned long long)pp->dbtime, (unsigned long long)dbtimeBefore);
        return NULL;
    }
    return pp;
}

/* ---- node records (as eseredo replays them) ------------------------------------------- */

static void rb_node(rb_state *rb, const ESEPY_ESE_LOGRECORD *prec)
{
    esepage *pp = rb_chained(rb, prec->pgno, prec, prec->dbtimeBefore);
    if (pp == NULL)
        return;
    if (prec->lrtyp != ESEPY_ESE_LRTYP_INSERT && prec->lrtyp != ESEPY_ESE_LRTYP_SETEXTERNALHEADER &&
        prec->iline >= pp->cline) {
        rb_lose(rb, prec->pgno, prec, "line %u named, the page has %u", prec->iline, pp->cline);
        return;
    }
    char szWhy[200];
    JET_ERR err = eseredo_node_change(pp, prec, rb->pbScratch, 2 * rb->cbPage, szWhy, sizeof(szWhy));
    if (err < 0) {
        rb_lose(rb, prec->pgno, prec, "not replayed (error %d)", err);
        return;
    }
    rb_touch(rb, prec->pgno, prec, prec->dbtime);
}

/* ---- structure macros -------------------------------------------------------------------- */

static void rb_lose_macro(rb_state *rb, const eseredo_buf *pbuf, const char *szWhy)
{
    for (uint32_t i = 0; i < pbuf->crec; i++) {
        const ESEPY_ESE_LOGRECORD *prec = &pbuf->rgrec[i].rec;
        const uint32_t rgpgno[5] = { prec->pgno, prec->pgnoNew, prec->pgnoRight, prec->pgnoLeft, prec->pgnoParent };
        for (uint32_t j = 0; j < 5; j++)
            rb_lose(rb, rgpgno[j], prec, "%s", szWhy);
    }
}

static JET_ERR rb_image(rb_state *rb, uint32_t pgno, const ESEPY_ESE_LOGRECORD *prec, const uint8_t *pbImage,
                        uint32_t cbImage, uint32_t fImage, uint64_t dbtimeBefore, esepage **ppp)
{
    *ppp = NULL;
    uint8_t *pb = os_malloc(rb->cbPage);
    esepage *pp = rb_new_model();
    JET_ERR err = (pb == NULL || pp == NULL) ? JET_errOutOfMemory : JET_errSuccess;
    if (err >= 0 && (err = esesplit_image(pbImage, cbImage, fImage, rb->cbPage, pb)) >= 0)
        err = esepage_decode(pb, rb->cbPage, pgno, pp);
    os_free(pb);
    if (err < 0) {
        os_free(pp);
        return err == JET_errOutOfMemory ? err : JET_errSuccess; /* a bad image: the page stays unknown */
    }
    pp->dbtime = dbtimeBefore;
    if ((err = rb_origin(rb, pgno, prec, pp, 1)) < 0)
        return err;
    *ppp = pp;
    return JET_errSuccess;
}

/* The reserved-tag count as the database stores it: from the split page's
 * model when known, else from the split page in the file. */
static uint32_t rb_ctag_stored(rb_state *rb, uint32_t pgno, const esepage *pp)
{
    if (pp != NULL)
        return pp->ctagReservedStored;
    uint32_t ctag = 1;
    uint8_t *pb = os_malloc(rb->cbPage);
    esepage disk;
    memset(&disk, 0, sizeof(disk));
    if (pb != NULL && EsepyEseReadPage(rb->pdb, pgno, pb, rb->cbPage) >= 0 &&
        esepage_decode(pb, rb->cbPage, pgno, &disk) >= 0 && disk.ctagReserved > 0)
        ctag = disk.ctagReservedStored;
    esepage_free(&disk);
    os_free(pb);
    return ctag;
}

static JET_ERR rb_split(rb_state *rb, const eseredo_buf *pbuf)
{
    const esesplit_macro *pmac = rb->pmac;
    const esesplit_split *rglevel = pmac->rgsplit;
    const uint32_t clevel = pmac->clevel;
    esesplit_split_pages rgpages[ESESPLIT_LEVELS_MAX];
    char szWhy[256];
    JET_ERR err;
    memset(rgpages, 0, sizeof(rgpages));
    for (uint32_t i = 0; i < clevel; i++) {
        const esesplit_split *pl = &rglevel[i];
        uint64_t dbtimeBefore = i + 1 < clevel ? rglevel[i + 1].dbtimeParentBefore : pl->dbtimeBefore;
        esepage *pp = rb_chained(rb, pl->pgno, pl->prec, dbtimeBefore);
        if (pl->pgnoNew != 0) {
            if (pp == NULL && pl->cbImage > 0 &&
                (err = rb_image(rb, pl->pgno, pl->prec, pl->pbImage, pl->cbImage, pl->fImage, dbtimeBefore, &pp)) < 0)
                return err;
            esepage *ppNew = NULL;
            if (pp != NULL || !esesplit_split_needs_image(pl)) {
                ppNew = rb_known(rb, pl->pgnoNew);
                if (ppNew == NULL) {
                    if ((ppNew = rb_new_model()) == NULL)
                        return JET_errOutOfMemory;
                    if ((err = rb_origin(rb, pl->pgnoNew, pl->prec, ppNew, 0)) < 0)
                        return err;
                }
                if ((err = esesplit_format_new(pl, rb->cbPage, pl->dbtime, rb_ctag_stored(rb, pl->pgno, pp), ppNew)) < 0)
                    return err;
            } else {
                rb_lose(rb, pl->pgnoNew, pl->prec, "its lines come from page %u, which is not known", pl->pgno);
            }
            rgpages[i].pNew = ppNew;
            if (pl->pgnoRight != 0)
                rgpages[i].pRight = rb_chained(rb, pl->pgnoRight, pl->prec, pl->dbtimeRightBefore);
        }
        rgpages[i].pPage = pp;
    }
    if ((err = esesplit_split_apply(rglevel, clevel, rgpages, pmac->precOper ? &pmac->oper : NULL, szWhy,
                                    sizeof(szWhy))) < 0) {
        if (err == JET_errOutOfMemory)
            return err;
        rb_lose_macro(rb, pbuf, szWhy);
        return JET_errSuccess;
    }
    for (uint32_t i = 0; i < clevel; i++) {
        const esesplit_split *pl = &rglevel[i];
        if (rgpages[i].pPage != NULL)
            rb_touch(rb, pl->pgno, pl->prec, pl->dbtime);
        if (rgpages[i].pNew != NULL)
            rb_touch(rb, pl->pgnoNew, pl->prec, pl->dbtime);
        if (rgpages[i].pRight != NULL)
            rb_touch(rb, pl->pgnoRight, pl->prec, pl->dbtime);
    }
    return JET_errSuccess;
}

static JET_ERR rb_merge(rb_state *rb, const eseredo_buf *pbuf)
{
    const esesplit_macro *pmac = rb->pmac;
    const esesplit_merge *rglevel = pmac->rgmerge;
    const uint32_t clevel = pmac->clevel;
    esesplit_merge_pages rgpages[ESESPLIT_LEVELS_MAX];
    char szWhy[256];
    JET_ERR err;
    memset(rgpages, 0, sizeof(rgpages));
    const esesplit_merge *pleaf = &rglevel[clevel - 1];
    for (uint32_t i = 0; i < clevel; i++) {
        uint64_t dbtimeBefore = i + 1 < clevel ? rglevel[i + 1].dbtimeParentBefore : rglevel[i].dbtimeBefore;
        rgpages[i].pPage = rb_chained(rb, rglevel[i].pgno, rglevel[i].prec, dbtimeBefore);
    }
    esesplit_merge_pages *pg = &rgpages[clevel - 1];
    if (pleaf->pgnoLeft != 0)
        pg->pLeft = rb_chained(rb, pleaf->pgnoLeft, pleaf->prec, pleaf->dbtimeLeftBefore);
    if (pleaf->pgnoRight != 0)
        pg->pRight = rb_chained(rb, pleaf->pgnoRight, pleaf->prec, pleaf->dbtimeRightBefore);
    if (esesplit_merge_needs_image(pleaf) && pg->pPage == NULL) {
        const int fRight = pleaf->mergetype == ESESPLIT_MERGE_FULLRIGHT ||
                           pleaf->mergetype == ESESPLIT_MERGE_PARTIALRIGHT;
        esepage **ppDest = fRight ? &pg->pRight : &pg->pLeft;
        if (pleaf->cbImage > 0 &&
            (err = rb_image(rb, pleaf->pgno, pleaf->prec, pleaf->pbImage, pleaf->cbImage, pleaf->fImage,
                            pleaf->dbtimeBefore, &pg->pPage)) < 0)
            return err;
        if (pg->pPage == NULL && *ppDest != NULL) {
            rb_lose(rb, fRight ? pleaf->pgnoRight : pleaf->pgnoLeft, pleaf->prec,
                    "lines come from page %u, which is not known", pleaf->pgno);
            *ppDest = NULL;
        }
    }
    if ((err = esesplit_merge_apply(rglevel, clevel, rgpages, szWhy, sizeof(szWhy))) < 0) {
        if (err == JET_errOutOfMemory)
            return err;
        rb_lose_macro(rb, pbuf, szWhy);
        return JET_errSuccess;
    }
    for (uint32_t i = 0; i < clevel; i++)
        if (rgpages[i].pPage != NULL)
            rb_touch(rb, rglevel[i].pgno, rglevel[i].prec, rglevel[i].dbtime);
    if (pg->pLeft != NULL)
        rb_touch(rb, pleaf->pgnoLeft, pleaf->prec, pleaf->dbtime);
    if (pg->pRight != NULL)
        rb_touch(rb, pleaf->pgnoRight, pleaf->prec, pleaf->dbtime);
    return JET_errSuccess;
}

static int rb_structure(uint32_t lrtyp)
{
    return lrtyp == ESEPY_ESE_LRTYP_SPLIT2 || lrtyp == ESEPY_ESE_LRTYP_MERGE2 || lrtyp == ESEPY_ESE_LRTYP_PAGEMOVE ||
           lrtyp == ESEPY_ESE_LRTYP_ROOTPAGEMOVE;
}

static int rb_node_type(uint32_t lrtyp)
{
    switch (lrtyp) {
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
        return 1;
    default:
        return 0;
    }
}

/* A page move: the destination's whole content is the logged image (a history
 * begins, B1); the source, parent and siblings change where they are known
 * and continue their dbtime chain (B2). */
static JET_ERR rb_pagemove(rb_state *rb, const ESEPY_ESE_LOGRECORD *prec)
{
    esesplit_pagemove mv;
    char szWhy[256];
    if (esesplit_parse_pagemove(prec, &mv) < 0 || mv.fMoveFlags != 0) {
        const uint32_t rgpgno[5] = { prec->pgno, prec->pgnoNew, prec->pgnoLeft, prec->pgnoRight, prec->pgnoParent };
        for (uint32_t j = 0; j < 5; j++)
            rb_lose(rb, rgpgno[j], prec, "the page move does not decode or moves a root");
        return JET_errSuccess;
    }
    esesplit_move_pages pg;
    memset(&pg, 0, sizeof(pg));
    pg.pSrc = rb_chained(rb, mv.pgno, prec, mv.dbtimeBefore);
    pg.pParent = rb_chained(rb, mv.pgnoParent, prec, mv.dbtimeParentBefore);
    if (mv.pgnoLeft != 0)
        pg.pLeft = rb_chained(rb, mv.pgnoLeft, prec, mv.dbtimeLeftBefore);
    if (mv.pgnoRight != 0)
        pg.pRight = rb_chained(rb, mv.pgnoRight, prec, mv.dbtimeRightBefore);
    if (esesplit_pagemove_apply(&mv, &pg, szWhy, sizeof(szWhy)) < 0) {
        rb_lose(rb, mv.pgnoParent, prec, "%s", szWhy);
        pg.pParent = NULL;
        /* the other pages' changes do not depend on the parent: applied again without it */
        if (esesplit_pagemove_apply(&mv, &pg, szWhy, sizeof(szWhy)) < 0) {
            rb_lose(rb, mv.pgno, prec, "%s", szWhy);
            pg.pSrc = NULL;
        }
    }
    const uint32_t rgpgno[4] = { mv.pgno, mv.pgnoParent, mv.pgnoLeft, mv.pgnoRight };
    const esepage *rgpp[4] = { pg.pSrc, pg.pParent, pg.pLeft, pg.pRight };
    for (uint32_t j = 0; j < 4; j++)
        if (rgpp[j] != NULL)
            rb_touch(rb, rgpgno[j], prec, mv.dbtime);
    esepage *pp = rb_new_model();
    if (pp == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = esesplit_pagemove_dest(&mv, rb->cbPage, pp);
    if (err < 0) {
        os_free(pp);
        if (err == JET_errOutOfMemory)
            return err;
        rb_lose(rb, mv.pgnoDest, prec, "the logged image does not decode");
        return JET_errSuccess;
    }
    if ((err = rb_origin(rb, mv.pgnoDest, prec, pp, 1)) < 0)
        return err;
    rb_touch(rb, mv.pgnoDest, prec, mv.dbtime);
    return JET_errSuccess;
}

static JET_ERR rb_macro(rb_state *rb, const eseredo_buf *pbuf)
{
    if (pbuf->crec == 1 && pbuf->rgrec[0].rec.lrtyp == ESEPY_ESE_LRTYP_PAGEMOVE)
        return rb_pagemove(rb, &pbuf->rgrec[0].rec);
    int fStructure = 0;
    for (uint32_t i = 0; i < pbuf->crec; i++)
        fStructure |= rb_structure(pbuf->rgrec[i].rec.lrtyp);
    if (!fStructure) {
        for (uint32_t i = 0; i < pbuf->crec; i++) {
            const ESEPY_ESE_LOGRECORD *prec = &pbuf->rgrec[i].rec;
            if (rb_node_type(prec->lrtyp))
                rb_node(rb, prec);
            else
                rb_lose(rb, prec->pgno, prec, "not replayed by the rebuild");
        }
        return JET_errSuccess;
    }
    char szWhy[256];
    JET_ERR err = esesplit_collect(pbuf, rb->pmac, szWhy, sizeof(szWhy));
    if (err < 0) {
        rb_lose_macro(rb, pbuf, szWhy);
        return JET_errSuccess;
    }
    return rb->pmac->fMerge ? rb_merge(rb, pbuf) : rb_split(rb, pbuf);
}

/* ---- sessions -------------------------------------------------------------------------------- */

static rb_session *rb_session_of(rb_state *rb, uint32_t procid)
{
    for (uint32_t i = 0; i < rb->csess; i++)
        if (rb->rgsess[i].procid == procid)
            return &rb->rgsess[i];
    if (rb->csess == rb->csessMax) {
        uint32_t c = rb->csessMax ? 2 * rb->csessMax : 16;
        rb_session *rg = os_realloc(rb->rgsess, (size_t)c * sizeof(*rg));
        if (rg == NULL)
            return NULL;
        rb->rgsess = rg;
        rb->csessMax = c;
    }
    rb_session *ps = &rb->rgsess[rb->csess++];
    memset(ps, 0, sizeof(*ps));
    ps->procid = procid;
    return ps;
}

static JET_ERR rb_record(rb_state *rb, const ESEPY_ESE_LOGRECORD *prec)
{
    switch (prec->lrtyp) {
    case ESEPY_ESE_LRTYP_ATTACHDB:
        if (same_sign(&prec->signDb, &rb->signDb))
            rb->dbid = prec->dbid;
        return JET_errSuccess;
    case ESEPY_ESE_LRTYP_INIT:
    case ESEPY_ESE_LRTYP_INIT2:
    case ESEPY_ESE_LRTYP_TERM:
    case ESEPY_ESE_LRTYP_TERM2:
    case ESEPY_ESE_LRTYP_RECOVERYQUIT:
    case ESEPY_ESE_LRTYP_RECOVERYQUIT2:
    case ESEPY_ESE_LRTYP_RECOVERYQUITKEEPATTACHMENTS:
        for (uint32_t i = 0; i < rb->csess; i++) { /* open macros end with the instance */
            rb->rgsess[i].fMacro = 0;
            eseredo_buf_clear(&rb->rgsess[i].buf);
        }
        return JET_errSuccess;
    case ESEPY_ESE_LRTYP_MACROBEGIN:
    case ESEPY_ESE_LRTYP_MACROCOMMIT:
    case ESEPY_ESE_LRTYP_MACROABORT: {
        rb_session *ps = rb_session_of(rb, prec->procid);
        if (ps == NULL)
            return JET_errOutOfMemory;
        JET_ERR err = JET_errSuccess;
        if (prec->lrtyp == ESEPY_ESE_LRTYP_MACROCOMMIT && ps->fMacro && ps->buf.crec > 0)
            err = rb_macro(rb, &ps->buf);
        eseredo_buf_clear(&ps->buf);
        ps->fMacro = prec->lrtyp == ESEPY_ESE_LRTYP_MACROBEGIN;
        ps->dbtime = prec->dbtime;
        return err;
    }
    default:
        break;
    }
    if (!(prec->fFields & ESEPY_ESE_LR_DBID) || prec->dbid != rb->dbid || rb->dbid == 0)
        return JET_errSuccess;
    if ((prec->fFields & ESEPY_ESE_LR_PROCID) && (prec->fFields & (ESEPY_ESE_LR_PAGE | ESEPY_ESE_LR_DBTIME))) {
        rb_session *ps = rb_session_of(rb, prec->procid);
        if (ps == NULL)
            return JET_errOutOfMemory;
        if (ps->fMacro && prec->dbtime == ps->dbtime)
            return eseredo_buf_add(&ps->buf, prec);
    }
    if (prec->lrtyp == ESEPY_ESE_LRTYP_NEWPAGE) {
        esepage *pp = rb_new_model();
        JET_ERR err = pp == NULL ? JET_errOutOfMemory
                                 : esepage_format(pp, rb->cbPage, prec->pgno, prec->objidFDP, prec->dbtime,
                                                  ESEPAGE_PG_PREINIT);
        if (err < 0) {
            os_free(pp);
            return err;
        }
        if ((err = rb_origin(rb, prec->pgno, prec, pp, 0)) < 0)
            return err;
        rb_touch(rb, prec->pgno, prec, prec->dbtime);
        return JET_errSuccess;
    }
    if (rb_node_type(prec->lrtyp)) {
        rb_node(rb, prec);
        return JET_errSuccess;
    }
    if (rb_structure(prec->lrtyp)) { /* outside a macro: a macro of its own */
        eseredo_buf buf;
        memset(&buf, 0, sizeof(buf));
        JET_ERR err = eseredo_buf_add(&buf, prec);
        if (err >= 0)
            err = rb_macro(rb, &buf);
        eseredo_buf_free(&buf);
        return err;
    }
    /* any other record naming a known page ends its exact history (B1) */
    const uint32_t rgpgno[4] = { prec->pgno, prec->pgnoNew, prec->pgnoRight, prec->pgnoLeft };
    for (uint32_t j = 0; j < 4; j++)
        rb_lose(rb, rgpgno[j], prec, "not replayed by the rebuild");
    return JET_errSuccess;
}

/* ---- comparison with the file -------------------------------------------------------------------- */

static void rb_mask(uint8_t *pb, uint32_t cbPage)
{
    memset(pb, 0, 8);                              /* checksum */
    if (cbPage > 8192)
        memset(pb + 40, 0, 24);                    /* the large-page block checksums */
    le_put16(pb + 30, 0);                          /* cbUncommittedFree */
    le_put32(pb + 36, le_get32(pb + 36) & ~ESEPAGE_PG_FLUSHTYPE);
}

static JET_ERR rb_compare(rb_state *rb, ESEPY_ESE_FILE *pdb, rb_page *ps, uint8_t *pbDisk, uint8_t *pbOurs)
{
    ESEPY_ESE_REBUILDPAGE *pi = &ps->info;
    pi->cbStruct = sizeof(*pi);
    if (ps->fLost) {
        pi->status = ESEPY_ESE_REBUILD_LOST;
        return JET_errSuccess;
    }
    pi->dbtimeRebuilt = ps->pp->dbtime;
    pi->clinesRebuilt = ps->pp->cline;
    JET_ERR err = EsepyEseReadPage(pdb, pi->pgno, pbDisk, rb->cbPage);
    if (err < 0) {
        pi->status = ESEPY_ESE_REBUILD_DISK_OLDER;
        snprintf(pi->szNote, sizeof(pi->szNote), "the page cannot be read from the file (error %d)", err);
        return JET_errSuccess;
    }
    esepage disk;
    memset(&disk, 0, sizeof(disk));
    if ((err = esepage_decode(pbDisk, rb->cbPage, pi->pgno, &disk)) < 0) {
        pi->status = ESEPY_ESE_REBUILD_DIFFERS;
        pi->iDiff = 1;
        snprintf(pi->szNote, sizeof(pi->szNote), "the page on disk does not decode (error %d)", err);
        return err == JET_errOutOfMemory ? err : JET_errSuccess;
    }
    pi->dbtimeDisk = disk.dbtime;
    pi->clinesDisk = disk.cline;
    if (disk.dbtime < ps->pp->dbtime) {
        pi->status = ESEPY_ESE_REBUILD_DISK_OLDER;
        snprintf(pi->szNote, sizeof(pi->szNote), "the page on disk is at dbtime %llu, the logs reach %llu",
                 (unsigned long long)disk.dbtime, (unsigned long long)ps->pp->dbtime);
    } else {
        uint32_t iline = 0;
        int iDiff = esepage_compare(ps->pp, &disk, &iline);
        pi->iDiff = iDiff;
        pi->ilineDiff = iDiff >= 100 ? iline : 0;
        pi->status = iDiff == 0 ? ESEPY_ESE_REBUILD_MATCH : ESEPY_ESE_REBUILD_DIFFERS;
        if (disk.dbtime > ps->pp->dbtime)
            snprintf(pi->szNote, sizeof(pi->szNote), "the page on disk is newer (dbtime %llu) than the logs (%llu)",
                     (unsigned long long)disk.dbtime, (unsigned long long)ps->pp->dbtime);
        else if (iDiff != 0)
            snprintf(pi->szNote, sizeof(pi->szNote), "%s differs",
                     iDiff == 1 ? "the header" : iDiff == 2 ? "tag 0" : iDiff == 3 ? "the line count" : "a line");
    }
    if ((err = esepage_encode(ps->pp, pbOurs)) >= 0) {
        rb_mask(pbOurs, rb->cbPage);
        rb_mask(pbDisk, rb->cbPage);
        uint32_t ib = 0;
        while (ib < rb->cbPage && pbOurs[ib] == pbDisk[ib])
            ib++;
        pi->fBytesEqual = ib == rb->cbPage;
        pi->ibDiff = ib == rb->cbPage ? 0 : ib;
    }
    esepage_free(&disk);
    return err == JET_errOutOfMemory ? err : JET_errSuccess;
}

/* ---- the entry point ------------------------------------------------------------------------------- */

static void rb_free(rb_state *rb)
{
    for (uint32_t i = 0; i < rb->cpage; i++)
        rb_drop(&rb->rgpage[i]);
    os_free(rb->rgpage);
    for (uint32_t i = 0; i < rb->csess; i++)
        eseredo_buf_free(&rb->rgsess[i].buf);
    os_free(rb->rgsess);
    os_free(rb->pbScratch);
    os_free(rb->pmac);
}

/* The database's dbid at the start of the oldest generation: its header's
 * attachment naming the database's signDb. */
static void rb_initial_dbid(rb_state *rb, ESEPY_ESE_LOGCHAIN *pchain, const char *szLogFolder)
{
    ESEPY_ESE_LOGGEN gen;
    memset(&gen, 0, sizeof(gen));
    gen.cbStruct = sizeof(gen);
    if (EsepyEseLogChainGetGen(pchain, 0, &gen) < 0)
        return;
    char szPath[1024];
    snprintf(szPath, sizeof(szPath), "%s/%s", szLogFolder, gen.szFile);
    ESEPY_ESE_LOGHEADER *ph = os_calloc(1, sizeof(*ph));
    if (ph == NULL)
        return;
    ph->cbStruct = sizeof(*ph);
    if (EsepyEseReadLogHeader(szPath, ph) >= 0)
        for (uint32_t i = 0; i < ph->cattach && i < ESEPY_ESE_ATTACH_MAX; i++)
            if (same_sign(&ph->rgattach[i].signDb, &rb->signDb))
                rb->dbid = ph->rgattach[i].dbid;
    os_free(ph);
}

JET_ERR EsepyEseRebuildPages(const char *szDatabase, const char *szLogFolder, ESEPY_ESE_REBUILDPAGE *rgpage,
                             uint32_t cpageMax, uint32_t *pcpage, uint32_t pgnoImage, void *pvImage,
                             uint32_t cbImage)
{
    if (szDatabase == NULL || szLogFolder == NULL || pcpage == NULL || (cpageMax > 0 && rgpage == NULL))
        return JET_errInvalidParameter;
    *pcpage = 0;
    ESEPY_ESE_FILE *pdb = NULL;
    ESEPY_ESE_LOGCHAIN *pchain = NULL;
    ESEPY_ESE_HEADER *phdr = NULL;
    ESEPY_ESE_LOGRECORD *prec = NULL;
    uint8_t *pbDisk = NULL, *pbOurs = NULL;
    rb_state rb;
    memset(&rb, 0, sizeof(rb));
    JET_ERR err = EsepyEseOpen(szDatabase, 0, &pdb);
    if (err < 0)
        return err;
    phdr = os_calloc(1, sizeof(*phdr));
    prec = os_calloc(1, sizeof(*prec));
    if (phdr == NULL || prec == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    phdr->cbStruct = sizeof(*phdr);
    if ((err = EsepyEseGetHeader(pdb, phdr)) < 0)
        goto done;
    rb.signDb = phdr->signDb;
    rb.pdb = pdb;
    rb.cbPage = phdr->cbPage;
    if (pvImage != NULL && cbImage != rb.cbPage) {
        err = JET_errInvalidBufferSize;
        goto done;
    }
    rb.pbScratch = os_malloc(2 * (size_t)rb.cbPage);
    rb.pmac = os_calloc(1, sizeof(*rb.pmac));
    pbDisk = os_malloc(rb.cbPage);
    pbOurs = os_malloc(rb.cbPage);
    if (rb.pbScratch == NULL || rb.pmac == NULL || pbDisk == NULL || pbOurs == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    if ((err = EsepyEseLogChainOpen(szLogFolder, NULL, 0, &phdr->signLog, 0, &pchain)) < 0)
        goto done;
    rb_initial_dbid(&rb, pchain, szLogFolder);
    prec->cbStruct = sizeof(*prec);
    while ((err = EsepyEseLogChainNextRecord(pchain, prec)) >= 0)
        if ((err = rb_record(&rb, prec)) < 0)
            goto done;
    if (err != JET_errNoCurrentRecord)
        goto done;
    err = JET_errSuccess;

    uint32_t c = 0;
    int fImageFound = 0;
    for (uint32_t pgno = 1; pgno < rb.cpage; pgno++) {
        rb_page *ps = &rb.rgpage[pgno];
        if (!ps->fSeen)
            continue;
        if ((err = rb_compare(&rb, pdb, ps, pbDisk, pbOurs)) < 0)
            goto done;
        if (c < cpageMax)
            rgpage[c] = ps->info;
        c++;
        if (pvImage != NULL && pgno == pgnoImage && ps->pp != NULL) {
            if ((err = esepage_encode(ps->pp, pvImage)) < 0)
                goto done;
            fImageFound = 1;
        }
    }
    *pcpage = c;
    if (pvImage != NULL && !fImageFound)
        err = JET_errRecordNotFound;
    else if (c > cpageMax)
        err = JET_wrnBufferTruncated;
done:
    rb_free(&rb);
    if (pchain != NULL)
        EsepyEseLogChainClose(pchain);
    EsepyEseClose(pdb);
    os_free(phdr);
    os_free(prec);
    os_free(pbDisk);
    os_free(pbOurs);
    return err;
}
