/*
 * eseverify.c -- the audit "are the logs and the database consistent?"
 * (EsepyEseVerifyLogs, esepy_ese.h; `esepy verify-logs`).
 *
 * Owns: the scan of the page histories in the logs (every page a page record
 * of the database names: how many records, the first one, whether it
 * created the page, the last ESEPY_ESE_VERIFY_RECORDS of them), the verdict
 * per page (MATCH / DIFFERS / UNCHECKED with its reason) from the rebuild of
 * eserebuild.c, and for a differing page its first differing line on both
 * sides (the rebuilt image against the page on disk, through esepage).
 * Must not touch: any file but by reading (the database through the esefmt
 * reader, the logs through the log chain reader); the rebuild itself
 * (eserebuild.c), recovery.
 *
 * Invariants:
 *  V1 Every page named by a page record of the database (its dbid taken from
 *     the oldest generation's attachments, then from AttachDB records naming
 *     its signDb) appears exactly once in the result; a page the rebuild
 *     reports but no record names cannot happen (its history is records).
 *  V2 A page is MATCH or DIFFERS only when the rebuild followed its whole
 *     history (status MATCH / DIFFERS); everything else is UNCHECKED with a
 *     reason -- never a guess.
 *  V3 Memory: one small entry per page number up to the highest named, and
 *     a ring of the last records only for pages named.
 */
#include <stdio.h>
#include <stdlib.h>

#include "eseredo.h"

#define VF_DBTIME_NIL 0xFFFFFFFFFFFFFFFFull
#define VF_DETAIL_MAX 32 /* differing pages given their first differing line (one rebuild each) */

typedef struct {
    uint64_t                crecord;
    ESEPY_ESE_LGPOS         lgposFirst;
    uint32_t                lrtypFirst;
    int                     fFirstNew;
    uint32_t                iring;      /* next slot of the ring */
    ESEPY_ESE_VERIFYRECORD *rgring;     /* ESEPY_ESE_VERIFY_RECORDS (NULL: not named) */
} vf_page;

typedef struct {
    ESEPY_ESE_SIGNATURE signDb;
    uint32_t            dbid;
    vf_page            *rgpage;         /* indexed by pgno */
    uint32_t            cpage;
} vf_state;

static int vf_same_time(const ESEPY_ESE_TIME *a, const ESEPY_ESE_TIME *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
           a->minute == b->minute && a->second == b->second && a->millisecond == b->millisecond;
}

static int vf_same_sign(const ESEPY_ESE_SIGNATURE *a, const ESEPY_ESE_SIGNATURE *b)
{
    return a->ulRandom == b->ulRandom && vf_same_time(&a->logtimeCreate, &b->logtimeCreate) &&
           strcmp(a->szComputerName, b->szComputerName) == 0;
}

static const char *vf_name(uint32_t lrtyp)
{
    const char *sz = EsepyEseLrtypName(lrtyp);
    return sz ? sz : "?";
}

static JET_ERR vf_note(vf_state *vf, const ESEPY_ESE_LOGRECORD *prec, const eseredo_pageref *pref)
{
    uint32_t pgno = pref->pgno;
    if (pgno == 0 || pgno > 0x7FFFFFFFu)
        return JET_errSuccess;
    if (pgno >= vf->cpage) {
        uint32_t c = vf->cpage ? vf->cpage : 256;
        while (c <= pgno)
            c *= 2;
        vf_page *rg = os_realloc(vf->rgpage, (size_t)c * sizeof(*rg));
        if (rg == NULL)
            return JET_errOutOfMemory;
        memset(rg + vf->cpage, 0, (size_t)(c - vf->cpage) * sizeof(*rg));
        vf->rgpage = rg;
        vf->cpage = c;
    }
    vf_page *pp = &vf->rgpage[pgno];
    if (pp->rgring == NULL) {
        pp->rgring = os_calloc(ESEPY_ESE_VERIFY_RECORDS, sizeof(*pp->rgring));
        if (pp->rgring == NULL)
            return JET_errOutOfMemory;
        pp->lgposFirst = prec->lgpos;
        pp->lrtypFirst = prec->lrtyp;
        pp->fFirstNew = pref->fNew;
    }
    ESEPY_ESE_VERIFYRECORD *pr = &pp->rgring[pp->iring];
    pp->iring = (pp->iring + 1) % ESEPY_ESE_VERIFY_RECORDS;
    pr->lrtyp = prec->lrtyp;
    pr->lgpos = prec->lgpos;
    pr->dbtime = prec->dbtime;
    pr->dbtimeBefore = pref->fNew ? VF_DBTIME_NIL : pref->dbtimeBefore;
    pr->iline = prec->iline;
    pr->fNew = pref->fNew;
    pp->crecord++;
    return JET_errSuccess;
}

static JET_ERR vf_record(vf_state *vf, const ESEPY_ESE_LOGRECORD *prec)
{
    if (prec->lrtyp == ESEPY_ESE_LRTYP_ATTACHDB) {
        if (vf_same_sign(&prec->signDb, &vf->signDb))
            vf->dbid = prec->dbid;
        return JET_errSuccess;
    }
    if (vf->dbid == 0 || !(prec->fFields & ESEPY_ESE_LR_DBID) || prec->dbid != vf->dbid)
        return JET_errSuccess;
    eseredo_pageref rg[8];
    int c = eseredo_page_refs(prec, rg, 8);
    eseredo_pageref *prg = rg;
    if (c > 8) { /* an EmptyTree list */
        prg = os_malloc((size_t)c * sizeof(*prg));
        if (prg == NULL)
            return JET_errOutOfMemory;
        c = eseredo_page_refs(prec, prg, c);
    }
    JET_ERR err = JET_errSuccess;
    for (int i = 0; i < c && err >= 0; i++)
        err = vf_note(vf, prec, &prg[i]);
    if (prg != rg)
        os_free(prg);
    return err;
}

/* The database's dbid at the start of the oldest generation (its header's
 * attachment list). */
static void vf_initial_dbid(vf_state *vf, ESEPY_ESE_LOGCHAIN *pchain, const char *szLogFolder)
{
    ESEPY_ESE_LOGGEN gen;
    memset(&gen, 0, sizeof(gen));
    gen.cbStruct = sizeof(gen);
    if (EsepyEseLogChainGetGen(pchain, 0, &gen) < 0)
        return;
    size_t cb = strlen(szLogFolder) + strlen(gen.szFile) + 2;
    char *szPath = os_malloc(cb);
    ESEPY_ESE_LOGHEADER *ph = os_calloc(1, sizeof(*ph));
    if (szPath != NULL && ph != NULL) {
        snprintf(szPath, cb, "%s/%s", szLogFolder, gen.szFile);
        ph->cbStruct = sizeof(*ph);
        if (EsepyEseReadLogHeader(szPath, ph) >= 0)
            for (uint32_t i = 0; i < ph->cattach && i < ESEPY_ESE_ATTACH_MAX; i++)
                if (vf_same_sign(&ph->rgattach[i].signDb, &vf->signDb))
                    vf->dbid = ph->rgattach[i].dbid;
    }
    os_free(ph);
    os_free(szPath);
}

/* ---- the first differing line ------------------------------------------------------------ */

static void vf_node(const esepage *pp, int32_t iline, ESEPY_ESE_VERIFYNODE *pn, uint8_t *pbKey, uint32_t cbKeyMax)
{
    memset(pn, 0, sizeof(*pn));
    if (iline < 0) {
        if (pp->ctagReserved == 0)
            return;
        pn->fPresent = 1;
        pn->fFlags = pp->rgreserved[0].fFlags;
        pn->cbData = pp->rgreserved[0].cbData;
        if (pn->cbData)
            memcpy(pn->rgbData, pp->rgreserved[0].pb,
                   pn->cbData < ESEPY_ESE_VERIFY_NODE_CB ? pn->cbData : ESEPY_ESE_VERIFY_NODE_CB);
        return;
    }
    if ((uint32_t)iline >= pp->cline)
        return;
    pn->fPresent = 1;
    pn->fFlags = pp->rgline[iline].fFlags;
    uint32_t cbKey = 0;
    if (esepage_key(pp, (uint32_t)iline, pbKey, cbKeyMax, &cbKey) >= 0) {
        pn->cbKey = cbKey;
        memcpy(pn->rgbKey, pbKey, cbKey < ESEPY_ESE_VERIFY_NODE_CB ? cbKey : ESEPY_ESE_VERIFY_NODE_CB);
    }
    const uint8_t *pb;
    uint32_t cb;
    if (esepage_data(pp, (uint32_t)iline, &pb, &cb) >= 0) {
        pn->cbData = cb;
        if (cb)
            memcpy(pn->rgbData, pb, cb < ESEPY_ESE_VERIFY_NODE_CB ? cb : ESEPY_ESE_VERIFY_NODE_CB);
    }
}

/* Rebuild page pgno once more for its image and put the first differing line
 * of both sides into pv. */
static JET_ERR vf_detail(const char *szDatabase, const char *szLogFolder, ESEPY_ESE_FILE *pdb, uint32_t cbPage,
                         ESEPY_ESE_VERIFYPAGE *pv)
{
    uint8_t *pbOurs = os_malloc(cbPage), *pbDisk = os_malloc(cbPage), *pbKey = os_malloc(ESEFMT_KEY_MAX);
    ESEPY_ESE_REBUILDPAGE *prb = os_calloc(1, sizeof(*prb));
    esepage ours, disk;
    memset(&ours, 0, sizeof(ours));
    memset(&disk, 0, sizeof(disk));
    uint32_t c = 0;
    JET_ERR err = JET_errOutOfMemory;
    if (pbOurs == NULL || pbDisk == NULL || pbKey == NULL || prb == NULL)
        goto done;
    prb->cbStruct = sizeof(*prb);
    if ((err = EsepyEseRebuildPages(szDatabase, szLogFolder, prb, 1, &c, pv->pgno, pbOurs, cbPage)) < 0)
        goto done;
    if ((err = EsepyEseReadPage(pdb, pv->pgno, pbDisk, cbPage)) < 0)
        goto done;
    if (esepage_decode(pbOurs, cbPage, pv->pgno, &ours) < 0 || esepage_decode(pbDisk, cbPage, pv->pgno, &disk) < 0) {
        err = JET_errSuccess; /* the page on disk does not even decode: no line to show */
        goto done;
    }
    int32_t iline = -2;
    if (pv->rebuild.iDiff == 2) {
        iline = -1;
    } else if (pv->rebuild.iDiff >= 100) {
        iline = (int32_t)pv->rebuild.ilineDiff;
    } else if (pv->rebuild.iDiff == 3) {
        /* different line counts: the first line that differs, else the first one only one side has */
        uint32_t cMin = ours.cline < disk.cline ? ours.cline : disk.cline;
        iline = (int32_t)cMin;
        for (uint32_t i = 0; i < cMin; i++) {
            esepage a, b;
            memset(&a, 0, sizeof(a));
            memset(&b, 0, sizeof(b));
            const uint8_t *pa, *pb;
            uint32_t ca, cb;
            if (ours.rgline[i].fFlags != disk.rgline[i].fFlags ||
                esepage_data(&ours, i, &pa, &ca) < 0 || esepage_data(&disk, i, &pb, &cb) < 0 || ca != cb ||
                (ca && memcmp(pa, pb, ca) != 0) || ours.rgline[i].cbSuffix != disk.rgline[i].cbSuffix ||
                ours.rgline[i].cbPrefix != disk.rgline[i].cbPrefix) {
                iline = (int32_t)i;
                break;
            }
        }
    }
    if (iline >= -1) {
        pv->fNodes = 1;
        pv->iline = iline;
        vf_node(&ours, iline, &pv->nodeLogs, pbKey, ESEFMT_KEY_MAX);
        vf_node(&disk, iline, &pv->nodeDisk, pbKey, ESEFMT_KEY_MAX);
    }
    err = JET_errSuccess;
done:
    esepage_free(&ours);
    esepage_free(&disk);
    os_free(pbOurs);
    os_free(pbDisk);
    os_free(pbKey);
    os_free(prb);
    return err;
}

/* ---- the verdicts -------------------------------------------------------------------------- */

static void vf_fmt_lgpos(char *sz, size_t cb, const ESEPY_ESE_LGPOS *p)
{
    snprintf(sz, cb, "(%d,%u,%u)", p->lGeneration, p->isec, p->ib);
}

static void vf_verdict(ESEPY_ESE_VERIFYPAGE *pv, const ESEPY_ESE_REBUILDPAGE *prb, int32_t lGenFirst)
{
    char szPos[48];
    vf_fmt_lgpos(szPos, sizeof(szPos), &pv->lgposFirst);
    if (prb == NULL) {
        pv->verdict = ESEPY_ESE_VERIFY_UNCHECKED;
        snprintf(pv->szReason, sizeof(pv->szReason),
                 "its history begins before generation %d: the first record naming it, %s at %s, changes a page "
                 "the logs did not create", lGenFirst, vf_name(pv->lrtypFirst), szPos);
        return;
    }
    pv->fRebuilt = 1;
    pv->rebuild = *prb;
    switch (prb->status) {
    case ESEPY_ESE_REBUILD_MATCH:
        pv->verdict = ESEPY_ESE_VERIFY_MATCH;
        if (!prb->fBytesEqual)
            snprintf(pv->szReason, sizeof(pv->szReason),
                     "logically equal; the bytes differ from offset %u (placement of nodes on the page)", prb->ibDiff);
        break;
    case ESEPY_ESE_REBUILD_DIFFERS: {
        pv->verdict = ESEPY_ESE_VERIFY_DIFFERS;
        const char *szWhat = prb->iDiff == 1 ? "the page header (dbtime, links, objid or flags)"
                             : prb->iDiff == 2 ? "tag 0 (the key prefix / external header)"
                             : prb->iDiff == 3 ? "the number of lines"
                                               : "a line";
        if (prb->iDiff >= 100)
            snprintf(pv->szReason, sizeof(pv->szReason),
                     "line %u differs (flags, key or data) between the page rebuilt from %u logged changes and "
                     "the page on disk (dbtime %llu rebuilt, %llu on disk)%s%.*s", prb->ilineDiff, prb->cevents,
                     (unsigned long long)prb->dbtimeRebuilt, (unsigned long long)prb->dbtimeDisk,
                     prb->szNote[0] ? ": " : "", 80, prb->szNote);
        else
            snprintf(pv->szReason, sizeof(pv->szReason),
                     "%s differs between the page rebuilt from %u logged changes and the page on disk (dbtime "
                     "%llu rebuilt, %llu on disk)%s%.*s", szWhat, prb->cevents, (unsigned long long)prb->dbtimeRebuilt,
                     (unsigned long long)prb->dbtimeDisk, prb->szNote[0] ? ": " : "", 80, prb->szNote);
        break;
    }
    case ESEPY_ESE_REBUILD_DISK_OLDER:
        pv->verdict = ESEPY_ESE_VERIFY_UNCHECKED;
        snprintf(pv->szReason, sizeof(pv->szReason),
                 "the page on disk (dbtime %llu) is older than its last logged change (dbtime %llu): recovery "
                 "would bring it forward; nothing to compare", (unsigned long long)prb->dbtimeDisk,
                 (unsigned long long)prb->dbtimeRebuilt);
        break;
    default:
        pv->verdict = ESEPY_ESE_VERIFY_UNCHECKED;
        snprintf(pv->szReason, sizeof(pv->szReason), "its history cannot be followed through the logs: %s",
                 prb->szNote[0] ? prb->szNote : "a record is not replayed exactly");
        break;
    }
}

static int vf_cmp_rebuild(const void *a, const void *b)
{
    uint32_t x = ((const ESEPY_ESE_REBUILDPAGE *)a)->pgno, y = ((const ESEPY_ESE_REBUILDPAGE *)b)->pgno;
    return x < y ? -1 : x > y;
}

JET_ERR EsepyEseVerifyLogs(const char *szDatabase, const char *szLogFolder, ESEPY_ESE_VERIFYINFO *pinfo,
                           ESEPY_ESE_VERIFYPAGE *rgpage, uint32_t cpageMax, uint32_t *pcpage)
{
    if (szDatabase == NULL || szLogFolder == NULL || pinfo == NULL || pcpage == NULL ||
        (cpageMax > 0 && rgpage == NULL))
        return JET_errInvalidParameter;
    memset(pinfo, 0, sizeof(*pinfo));
    pinfo->cbStruct = sizeof(*pinfo);
    *pcpage = 0;
    vf_state vf;
    memset(&vf, 0, sizeof(vf));
    ESEPY_ESE_FILE *pdb = NULL;
    ESEPY_ESE_LOGCHAIN *pchain = NULL;
    ESEPY_ESE_HEADER *phdr = os_calloc(1, sizeof(*phdr));
    ESEPY_ESE_LOGRECORD *prec = os_calloc(1, sizeof(*prec));
    ESEPY_ESE_LOGCHAININFO *pci = os_calloc(1, sizeof(*pci));
    ESEPY_ESE_REBUILDPAGE *rgrb = NULL;
    uint32_t crb = 0;
    JET_ERR err = JET_errOutOfMemory;
    if (phdr == NULL || prec == NULL || pci == NULL)
        goto done;
    if ((err = EsepyEseOpen(szDatabase, 0, &pdb)) < 0)
        goto done;
    phdr->cbStruct = sizeof(*phdr);
    if ((err = EsepyEseGetHeader(pdb, phdr)) < 0)
        goto done;
    vf.signDb = phdr->signDb;

    /* the page histories (V1) */
    if ((err = EsepyEseLogChainOpen(szLogFolder, NULL, 0, &phdr->signLog, 0, &pchain)) < 0)
        goto done;
    pci->cbStruct = sizeof(*pci);
    if ((err = EsepyEseLogChainGetInfo(pchain, pci)) < 0)
        goto done;
    pinfo->lGenFirst = pci->lGenFirst;
    pinfo->lGenLast = pci->lGenLast;
    vf_initial_dbid(&vf, pchain, szLogFolder);
    prec->cbStruct = sizeof(*prec);
    while ((err = EsepyEseLogChainNextRecord(pchain, prec)) >= 0) {
        pinfo->crecord++;
        if ((err = vf_record(&vf, prec)) < 0)
            goto done;
    }
    if (err != JET_errNoCurrentRecord)
        goto done;
    pinfo->dbid = vf.dbid;
    EsepyEseLogChainClose(pchain);
    pchain = NULL;

    /* the rebuild: at most one entry per page the logs name */
    uint32_t cNamed = 0;
    for (uint32_t pgno = 1; pgno < vf.cpage; pgno++)
        cNamed += vf.rgpage[pgno].rgring != NULL;
    uint32_t crbMax = cNamed + 16;
    rgrb = os_calloc(crbMax, sizeof(*rgrb));
    if (rgrb == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    for (uint32_t i = 0; i < crbMax; i++)
        rgrb[i].cbStruct = sizeof(*rgrb);
    if ((err = EsepyEseRebuildPages(szDatabase, szLogFolder, rgrb, crbMax, &crb, 0, NULL, 0)) < 0)
        goto done;
    if (crb > crbMax)
        crb = crbMax;
    qsort(rgrb, crb, sizeof(*rgrb), vf_cmp_rebuild);

    /* the verdicts, in page order (V2) */
    uint32_t c = 0, irb = 0, cDetail = 0;
    for (uint32_t pgno = 1; pgno < vf.cpage; pgno++) {
        vf_page *pp = &vf.rgpage[pgno];
        while (irb < crb && rgrb[irb].pgno < pgno)
            irb++;
        const ESEPY_ESE_REBUILDPAGE *prb = irb < crb && rgrb[irb].pgno == pgno ? &rgrb[irb] : NULL;
        if (pp->rgring == NULL)
            continue;
        pinfo->cpage++;
        if (c >= cpageMax) {
            c++;
            continue;
        }
        ESEPY_ESE_VERIFYPAGE *pv = &rgpage[c++];
        memset(pv, 0, sizeof(*pv));
        pv->cbStruct = sizeof(*pv);
        pv->pgno = pgno;
        pv->iline = -2;
        pv->crecord = pp->crecord;
        pv->lgposFirst = pp->lgposFirst;
        pv->lrtypFirst = pp->lrtypFirst;
        uint32_t cl = pp->crecord < ESEPY_ESE_VERIFY_RECORDS ? (uint32_t)pp->crecord : ESEPY_ESE_VERIFY_RECORDS;
        uint32_t iStart = pp->crecord < ESEPY_ESE_VERIFY_RECORDS ? 0 : pp->iring;
        for (uint32_t i = 0; i < cl; i++)
            pv->rgrecord[i] = pp->rgring[(iStart + i) % ESEPY_ESE_VERIFY_RECORDS];
        pv->crecordListed = cl;
        vf_verdict(pv, prb, pinfo->lGenFirst);
        if (pv->verdict == ESEPY_ESE_VERIFY_MATCH) {
            pinfo->cpageMatch++;
            pinfo->cpageBytesEqual += pv->rebuild.fBytesEqual != 0;
        } else if (pv->verdict == ESEPY_ESE_VERIFY_DIFFERS) {
            pinfo->cpageDiffer++;
            if (cDetail++ < VF_DETAIL_MAX && (err = vf_detail(szDatabase, szLogFolder, pdb, phdr->cbPage, pv)) < 0)
                goto done;
        } else {
            pinfo->cpageUnchecked++;
        }
    }
    *pcpage = c;
    err = c > cpageMax ? JET_wrnBufferTruncated : JET_errSuccess;
done:
    if (pchain != NULL)
        EsepyEseLogChainClose(pchain);
    for (uint32_t i = 0; i < vf.cpage; i++)
        os_free(vf.rgpage[i].rgring);
    os_free(vf.rgpage);
    os_free(rgrb);
    os_free(pci);
    os_free(prec);
    os_free(phdr);
    EsepyEseClose(pdb);
    return err;
}
