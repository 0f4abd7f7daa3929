/*
 * record.c -- decoding one record (fixed, variable and tagged columns,
 * multi-valued and two-value forms, intrinsic compressed values, defaults)
 * and the record cursor of the public API: in primary-key order, or in the
 * order of a secondary index (its entries hold the primary key of their
 * record, which the cursor then looks up in the table's tree).
 * Must not touch: pages other than through tree.c / lv.c, the file.
 * Invariant: every offset read from a record is checked against the record's
 * length before use; a damaged record yields JET_errDatabaseCorrupted for the
 * value concerned (or is skipped, with a damage report, when its header is
 * unusable) and never an out-of-bounds read.
 */
#include <stdio.h>

#include "esefmt_int.h"

#define FID_VAR_FIRST    128u
#define FID_TAGGED_FIRST 256u

JET_ERR esefmt_rec_parse(const uint8_t *pb, uint32_t cb, int fSmall, esefmt_rec *prec)
{
    memset(prec, 0, sizeof(*prec));
    prec->pb = pb;
    prec->cb = cb;
    prec->fSmall = fSmall;
    if (cb < 4)
        return JET_errDatabaseCorrupted;
    prec->fidFixedLast = pb[0];
    prec->fidVarLast = pb[1] < 127 ? 127u : pb[1];
    prec->ibFixedEnd = le_get16(pb + 2);
    uint32_t cbNull = (prec->fidFixedLast + 7) / 8;
    if (prec->ibFixedEnd < 4 + cbNull || prec->ibFixedEnd > cb)
        return JET_errDatabaseCorrupted;
    prec->ibNullBits = prec->ibFixedEnd - cbNull;
    uint32_t cvar = prec->fidVarLast - 127;
    prec->ibVarOffsets = prec->ibFixedEnd;
    prec->ibVarData = prec->ibVarOffsets + 2 * cvar;
    if (prec->ibVarData > cb)
        return JET_errDatabaseCorrupted;
    uint32_t cbVar = cvar ? (le_get16(pb + prec->ibVarData - 2) & 0x7FFFu) : 0;
    if (cbVar > cb - prec->ibVarData)
        return JET_errDatabaseCorrupted;
    prec->ibTagged = prec->ibVarData + cbVar;
    uint32_t cbTagged = cb - prec->ibTagged;
    if (cbTagged > 0) {
        if (cbTagged < 4)
            return JET_errDatabaseCorrupted;
        uint32_t mask = fSmall ? 0x1FFFu : 0x7FFFu;
        uint32_t ibFirst = le_get16(pb + prec->ibTagged + 2) & mask;
        if (ibFirst < 4 || ibFirst % 4 || ibFirst > cbTagged)
            return JET_errDatabaseCorrupted;
        prec->ctagged = ibFirst / 4;
    }
    return JET_errSuccess;
}

JET_ERR esefmt_rec_fixed(const esefmt_rec *prec, const esefmt_column *pcol, const uint8_t **ppb, uint32_t *pcb)
{
    uint32_t fid = pcol->columnid;
    if (fid == 0 || fid > prec->fidFixedLast)
        return JET_wrnColumnSetNull;
    uint32_t ifid = fid - 1;
    if (prec->pb[prec->ibNullBits + ifid / 8] & (1u << (ifid % 8)))
        return JET_wrnColumnNull;
    uint32_t ib = pcol->ibRecordOffset, cb = pcol->cbFixed;
    if (ib < 4 || ib > prec->ibNullBits || cb > prec->ibNullBits - ib)
        return JET_errDatabaseCorrupted;
    *ppb = prec->pb + ib;
    *pcb = cb;
    return JET_errSuccess;
}

JET_ERR esefmt_rec_var(const esefmt_rec *prec, uint32_t fid, const uint8_t **ppb, uint32_t *pcb)
{
    if (fid < FID_VAR_FIRST || fid > prec->fidVarLast)
        return JET_wrnColumnSetNull;
    uint32_t i = fid - FID_VAR_FIRST;
    uint32_t end = le_get16(prec->pb + prec->ibVarOffsets + 2 * i);
    if (end & 0x8000u)
        return JET_wrnColumnNull;
    uint32_t start = i ? (le_get16(prec->pb + prec->ibVarOffsets + 2 * (i - 1)) & 0x7FFFu) : 0;
    if (start > end || prec->ibVarData + end > prec->ibTagged)
        return JET_errDatabaseCorrupted;
    *ppb = prec->pb + prec->ibVarData + start;
    *pcb = end - start;
    return JET_errSuccess;
}

JET_ERR esefmt_rec_tagged(const esefmt_rec *prec, uint32_t i, uint32_t *pfid, uint32_t *pfFlags,
                          const uint8_t **ppb, uint32_t *pcb)
{
    if (i >= prec->ctagged)
        return JET_errInvalidParameter;
    const uint8_t *pbArea = prec->pb + prec->ibTagged;
    uint32_t cbArea = prec->cb - prec->ibTagged;
    uint32_t mask = prec->fSmall ? 0x1FFFu : 0x7FFFu;
    uint32_t ibRaw = le_get16(pbArea + 4 * i + 2);
    uint32_t ib = ibRaw & mask;
    uint32_t ibNext = i + 1 < prec->ctagged ? (le_get16(pbArea + 4 * (i + 1) + 2) & mask) : cbArea;
    *pfid = le_get16(pbArea + 4 * i);
    if (ib < 4 * prec->ctagged || ib > ibNext || ibNext > cbArea)
        return JET_errDatabaseCorrupted;
    uint32_t fFlags = (ibRaw & 0x8000u) ? ESEPY_ESE_TAG_DERIVED : 0;
    const uint8_t *pb = pbArea + ib;
    uint32_t cb = ibNext - ib;
    int fHeader = prec->fSmall ? (ibRaw & 0x4000u) != 0 : 1;
    if (prec->fSmall && (ibRaw & 0x2000u))
        fFlags |= ESEPY_ESE_TAG_NULL;
    if (fHeader && cb >= 1) {
        fFlags |= ESEPY_ESE_TAG_HASHEADER | (pb[0] & 0x7Fu);
        pb++;
        cb--;
    }
    *pfFlags = fFlags;
    *ppb = pb;
    *pcb = cb;
    return JET_errSuccess;
}

int32_t esefmt_rec_find_tagged(const esefmt_rec *prec, uint32_t fid)
{
    const uint8_t *pbArea = prec->pb + prec->ibTagged;
    uint32_t lo = 0, hi = prec->ctagged;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t f = le_get16(pbArea + 4 * mid);
        if (f == fid)
            return (int32_t)mid;
        if (f < fid)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* derived (template) fields sort first; fall back to a scan of those */
    for (uint32_t i = 0; i < prec->ctagged && (le_get16(pbArea + 4 * i + 2) & 0x8000u); i++)
        if (le_get16(pbArea + 4 * i) == fid)
            return (int32_t)i;
    return -1;
}

/* ---- cursor ------------------------------------------------------------------- */

/* Invariants: walk is always on the table's own tree, so record info (pgno,
 * itag, primary key) describes the record whichever order the cursor follows.
 * On an index cursor, pwalkIdx walks the index tree and walk is re-seeked for
 * every entry (its visit budget restarts per lookup: one lookup is bounded by
 * the depth limit plus the budget).  After a seek, entries below rgbSeek are
 * skipped (a seek may land shortly before the key). */
struct EsepyEseCursor {
    ESEPY_ESE_FILE     *pfile;
    const esefmt_table *ptable;
    const esefmt_index *pindex;   /* NULL: primary-key order */
    esefmt_walk         walk;
    esefmt_walk        *pwalkIdx; /* owned; NULL unless pindex */
    esefmt_node         node;
    esefmt_rec          rec;
    int                 fOnRecord;
    uint32_t            grbit;
    uint32_t            fIdxFlags; /* node flags of the current index entry */
    uint8_t            *pbSeek;    /* owned; key the last seek asked for */
    uint32_t            cbSeek;
    uint8_t            *rgfReached; /* carving: owned, per pgno, 1 = a leaf the table's tree reaches */
    uint32_t            pgnoCarve;  /* carving: page being carved (0 before the first) */
    uint32_t            itagCarve;  /* carving: next tag of that page */
};

/* Carving set-up: mark every leaf the table's tree reaches. */
static JET_ERR carve_init(ESEPY_ESE_CURSOR *pc)
{
    ESEPY_ESE_FILE *pfile = pc->pfile;
    pc->rgfReached = os_calloc((size_t)pfile->cpg + 1, 1);
    if (pc->rgfReached == NULL)
        return JET_errOutOfMemory;
    esefmt_walk walk;
    JET_ERR err = esefmt_walk_init(pfile, pc->ptable->pgnoFDP, pc->ptable->objid, &walk);
    if (err < 0)
        return err;
    esefmt_node node;
    while (esefmt_walk_next(&walk, &node) >= 0)
        if (walk.leaf.pgno <= pfile->cpg)
            pc->rgfReached[walk.leaf.pgno] = 1;
    esefmt_walk_term(&walk);
    return JET_errSuccess;
}

/* Next carved node: the walk's leaf buffer holds the page being carved. */
static JET_ERR carve_next(ESEPY_ESE_CURSOR *pc)
{
    ESEPY_ESE_FILE *pfile = pc->pfile;
    esefmt_walk *pw = &pc->walk;
    for (;;) {
        if (pc->pgnoCarve == 0 || pc->itagCarve >= pw->leaf.ctag) {
            esefmt_page page;
            for (;;) {
                if (pc->pgnoCarve >= pfile->cpg)
                    return JET_errNoCurrentRecord;
                pc->pgnoCarve++;
                if (pc->rgfReached[pc->pgnoCarve])
                    continue;
                if (esefmt_page_get(pfile, pc->pgnoCarve, &page) < 0 || page.objidFDP != pc->ptable->objid)
                    continue;
                if (!(page.fFlags & ESEFMT_PG_LEAF) ||
                    (page.fFlags & (ESEFMT_PG_SPACE | ESEFMT_PG_INDEX | ESEFMT_PG_LV)))
                    continue;
                if (page.ctag < 2 || page.cbHeader + 4 * page.ctag > page.cbPage)
                    continue;
                break;
            }
            memcpy(pw->pbLeaf, page.pb, pfile->cbPage);
            esefmt_page_init(pfile, pw->pbLeaf, page.pgno, &pw->leaf);
            pc->itagCarve = 1;
        }
        uint32_t itag = pc->itagCarve++;
        if (esefmt_page_node(&pw->leaf, itag, &pc->node) < 0 ||
            pc->node.cbPrefix + pc->node.cbSuffix > sizeof(pw->rgbKey))
            continue;
        if (pc->node.cbPrefix)
            memcpy(pw->rgbKey, pc->node.pbPrefix, pc->node.cbPrefix);
        if (pc->node.cbSuffix)
            memcpy(pw->rgbKey + pc->node.cbPrefix, pc->node.pbSuffix, pc->node.cbSuffix);
        pw->cbKey = pc->node.cbPrefix + pc->node.cbSuffix;
        pw->itagCur = itag;
        if (esefmt_rec_parse(pc->node.pbData, pc->node.cbData, pfile->fSmall, &pc->rec) < 0)
            continue;
        return JET_errSuccess;
    }
}

JET_ERR EsepyEseCursorOpen(ESEPY_ESE_FILE *pfile, uint32_t itable, uint32_t grbit, ESEPY_ESE_CURSOR **ppcursor)
{
    if (pfile == NULL || ppcursor == NULL ||
        (grbit & ~(uint32_t)(ESEPY_ESE_CURSOR_DELETED | ESEPY_ESE_CURSOR_CARVE)))
        return JET_errInvalidParameter;
    *ppcursor = NULL;
    JET_ERR err = esefmt_catalog_load(pfile);
    if (err < 0)
        return err;
    if (itable >= pfile->ctable)
        return JET_errInvalidParameter;
    ESEPY_ESE_CURSOR *pc = os_calloc(1, sizeof(*pc));
    if (pc == NULL)
        return JET_errOutOfMemory;
    pc->pfile = pfile;
    pc->grbit = grbit;
    pc->ptable = &pfile->rgtable[itable];
    err = esefmt_walk_init(pfile, pc->ptable->pgnoFDP, pc->ptable->objid, &pc->walk);
    if (err < 0) {
        os_free(pc);
        return err;
    }
    pfile->ccursor++;
    *ppcursor = pc;
    if (grbit & ESEPY_ESE_CURSOR_CARVE) {
        err = carve_init(pc);
        if (err < 0) {
            EsepyEseCursorClose(pc);
            *ppcursor = NULL;
            return err;
        }
    }
    return JET_errSuccess;
}

JET_ERR EsepyEseCursorOpenIndex(ESEPY_ESE_FILE *pfile, uint32_t itable, uint32_t iindex, uint32_t grbit,
                                ESEPY_ESE_CURSOR **ppcursor)
{
    if (pfile == NULL || ppcursor == NULL || (grbit & ESEPY_ESE_CURSOR_CARVE))
        return JET_errInvalidParameter;
    *ppcursor = NULL;
    JET_ERR err = esefmt_catalog_load(pfile);
    if (err < 0)
        return err;
    if (itable >= pfile->ctable)
        return JET_errInvalidParameter;
    const esefmt_table *pt = &pfile->rgtable[itable];
    if (iindex >= pt->cidx)
        return JET_errIndexNotFound;
    const esefmt_index *pi = &pt->rgidx[iindex];
    ESEPY_ESE_CURSOR *pc;
    err = EsepyEseCursorOpen(pfile, itable, grbit, &pc);
    if (err < 0)
        return err;
    /* the primary index is the table's own tree: same objid and root */
    if (pi->pgnoFDP == pt->pgnoFDP || pi->objid == pt->objid) {
        *ppcursor = pc;
        return JET_errSuccess;
    }
    pc->pwalkIdx = os_malloc(sizeof(esefmt_walk));
    if (pc->pwalkIdx == NULL) {
        EsepyEseCursorClose(pc);
        return JET_errOutOfMemory;
    }
    err = esefmt_walk_init(pfile, pi->pgnoFDP, pi->objid, pc->pwalkIdx);
    if (err < 0) {
        os_free(pc->pwalkIdx);
        pc->pwalkIdx = NULL;
        EsepyEseCursorClose(pc);
        return err;
    }
    pc->pindex = pi;
    *ppcursor = pc;
    return JET_errSuccess;
}

void EsepyEseCursorClose(ESEPY_ESE_CURSOR *pc)
{
    if (pc == NULL)
        return;
    esefmt_walk_term(&pc->walk);
    if (pc->pwalkIdx != NULL) {
        esefmt_walk_term(pc->pwalkIdx);
        os_free(pc->pwalkIdx);
    }
    os_free(pc->pbSeek);
    os_free(pc->rgfReached);
    pc->pfile->ccursor--;
    os_free(pc);
}

static void walk_damage_index(ESEPY_ESE_CURSOR *pc, uint32_t pgno)
{
    char sz[120];
    snprintf(sz, sizeof(sz), "index %.24s of table %.24s: entry without a record bookmark skipped",
             pc->pindex->szName, pc->ptable->szName);
    esefmt_damage(pc->pfile, pgno, JET_errDatabaseCorrupted, pc->pindex->objid, sz);
}

static int cmp_bytes(const uint8_t *pa, uint32_t ca, const uint8_t *pb, uint32_t cb)
{
    uint32_t c = ca < cb ? ca : cb;
    int r = c ? memcmp(pa, pb, c) : 0;
    if (r != 0)
        return r < 0 ? -1 : 1;
    return ca < cb ? -1 : ca > cb ? 1 : 0;
}

JET_ERR EsepyEseCursorSeek(ESEPY_ESE_CURSOR *pc, const void *pvKey, uint32_t cbKey)
{
    if (pc == NULL || (pvKey == NULL && cbKey > 0) || cbKey > ESEFMT_KEY_MAX)
        return JET_errInvalidParameter;
    pc->fOnRecord = 0;
    uint8_t *pb = os_malloc(cbKey ? cbKey : 1);
    if (pb == NULL)
        return JET_errOutOfMemory;
    if (cbKey)
        memcpy(pb, pvKey, cbKey);
    os_free(pc->pbSeek);
    pc->pbSeek = pb;
    pc->cbSeek = cbKey;
    esefmt_walk *pw = pc->pwalkIdx ? pc->pwalkIdx : &pc->walk;
    pw->cvisit = 0;
    JET_ERR err = esefmt_walk_seek(pw, pb, cbKey);
    if (err < 0 && !pw->fDone)
        return err;
    return JET_errSuccess;
}

JET_ERR EsepyEseCursorGetIndexKey(ESEPY_ESE_CURSOR *pc, const uint8_t **ppb, uint32_t *pcb, uint32_t *pfFlags)
{
    if (pc == NULL || ppb == NULL || pcb == NULL)
        return JET_errInvalidParameter;
    if (!pc->fOnRecord)
        return JET_errNoCurrentRecord;
    const esefmt_walk *pw = pc->pwalkIdx ? pc->pwalkIdx : &pc->walk;
    *ppb = pw->rgbKey;
    *pcb = pw->cbKey;
    if (pfFlags)
        *pfFlags = pc->pwalkIdx ? pc->fIdxFlags : pc->node.fFlags;
    return JET_errSuccess;
}

/* Position pc->walk / pc->node on the table's node whose key is the primary
 * bookmark pbBm.  JET_errRecordNotFound (damage recorded) when it is missing. */
static JET_ERR lookup_primary(ESEPY_ESE_CURSOR *pc, const uint8_t *pbBm, uint32_t cbBm, uint32_t pgnoIdx)
{
    pc->walk.cvisit = 0;
    JET_ERR err = esefmt_walk_seek(&pc->walk, pbBm, cbBm);
    while (err >= 0) {
        err = esefmt_walk_next(&pc->walk, &pc->node);
        if (err < 0)
            break;
        int c = cmp_bytes(pc->walk.rgbKey, pc->walk.cbKey, pbBm, cbBm);
        if (c == 0)
            return JET_errSuccess;
        if (c > 0)
            break;
    }
    char sz[120];
    snprintf(sz, sizeof(sz), "index %.24s of table %.24s: entry whose record is missing skipped", pc->pindex->szName,
             pc->ptable->szName);
    esefmt_damage(pc->pfile, pgnoIdx, JET_errRecordNotFound, pc->pindex->objid, sz);
    return JET_errRecordNotFound;
}

/* Next entry of an index cursor: the index node, then its record. */
static JET_ERR next_index_entry(ESEPY_ESE_CURSOR *pc)
{
    esefmt_walk *pw = pc->pwalkIdx;
    for (;;) {
        esefmt_node inode;
        JET_ERR err = esefmt_walk_next(pw, &inode);
        if (err < 0)
            return err;
        if (pc->pbSeek != NULL && cmp_bytes(pw->rgbKey, pw->cbKey, pc->pbSeek, pc->cbSeek) < 0)
            continue;
        if ((inode.fFlags & ESEFMT_ND_DELETED) && !(pc->grbit & ESEPY_ESE_CURSOR_DELETED))
            continue;
        /* the entry's data is the primary key (bookmark) of its record */
        uint8_t rgbBm[ESEFMT_KEY_MAX];
        if (inode.cbData == 0 || inode.cbData > sizeof(rgbBm)) {
            walk_damage_index(pc, pw->leaf.pgno);
            continue;
        }
        memcpy(rgbBm, inode.pbData, inode.cbData);
        pc->fIdxFlags = inode.fFlags;
        if (lookup_primary(pc, rgbBm, inode.cbData, pw->leaf.pgno) < 0)
            continue;
        return JET_errSuccess;
    }
}

JET_ERR EsepyEseCursorNext(ESEPY_ESE_CURSOR *pc)
{
    if (pc == NULL)
        return JET_errInvalidParameter;
    pc->fOnRecord = 0;
    if (pc->rgfReached != NULL) {
        JET_ERR err = carve_next(pc);
        pc->fOnRecord = err >= 0;
        return err;
    }
    for (;;) {
        JET_ERR err = pc->pwalkIdx ? next_index_entry(pc) : esefmt_walk_next(&pc->walk, &pc->node);
        if (err < 0)
            return err;
        if (!pc->pwalkIdx && pc->pbSeek != NULL &&
            cmp_bytes(pc->walk.rgbKey, pc->walk.cbKey, pc->pbSeek, pc->cbSeek) < 0)
            continue;
        if ((pc->node.fFlags & ESEFMT_ND_DELETED) && !(pc->grbit & ESEPY_ESE_CURSOR_DELETED))
            continue; /* deleted, not yet cleaned up */
        if (esefmt_rec_parse(pc->node.pbData, pc->node.cbData, pc->pfile->fSmall, &pc->rec) < 0) {
            char sz[120];
            snprintf(sz, sizeof(sz), "table %.60s: record with a damaged header skipped (tag %u)",
                     pc->ptable->szName, pc->walk.itagCur);
            esefmt_damage(pc->pfile, pc->walk.leaf.pgno, JET_errDatabaseCorrupted, pc->ptable->objid, sz);
            continue;
        }
        pc->fOnRecord = 1;
        return JET_errSuccess;
    }
}

JET_ERR EsepyEseCursorGetRecordInfo(ESEPY_ESE_CURSOR *pc, ESEPY_ESE_RECORDINFO *pinfo)
{
    if (pc == NULL || pinfo == NULL)
        return JET_errInvalidParameter;
    if (!pc->fOnRecord)
        return JET_errNoCurrentRecord;
    memset(pinfo, 0, sizeof(*pinfo));
    pinfo->cbStruct = sizeof(*pinfo);
    pinfo->pgno = pc->walk.leaf.pgno;
    pinfo->itag = pc->walk.itagCur;
    pinfo->fNodeFlags = pc->node.fFlags;
    pinfo->pbKey = pc->walk.rgbKey;
    pinfo->cbKey = pc->walk.cbKey;
    pinfo->pbRecord = pc->rec.pb;
    pinfo->cbRecord = pc->rec.cb;
    pinfo->fidFixedLast = pc->rec.fidFixedLast;
    pinfo->fidVarLast = pc->rec.fidVarLast;
    pinfo->ctagged = pc->rec.ctagged;
    return JET_errSuccess;
}

JET_ERR EsepyEseCursorGetTagged(ESEPY_ESE_CURSOR *pc, uint32_t itagged, uint32_t *pcolumnid, uint32_t *pfFlags,
                                const uint8_t **ppb, uint32_t *pcb)
{
    if (pc == NULL || pcolumnid == NULL || pfFlags == NULL || ppb == NULL || pcb == NULL)
        return JET_errInvalidParameter;
    if (!pc->fOnRecord)
        return JET_errNoCurrentRecord;
    return esefmt_rec_tagged(&pc->rec, itagged, pcolumnid, pfFlags, ppb, pcb);
}

/* The stored form of value ivalue (1-based) of a column. */
typedef struct {
    const uint8_t *pb;
    uint32_t       cb;
    int            fSeparated, fCompressed, fDefault, fEncrypted;
    uint32_t       cvalue;
} stored_value;

static JET_ERR stored(ESEPY_ESE_CURSOR *pc, const esefmt_column *pcol, uint32_t ivalue, stored_value *psv)
{
    memset(psv, 0, sizeof(*psv));
    const esefmt_rec *prec = &pc->rec;
    JET_ERR err;
    if (pcol->columnid < FID_TAGGED_FIRST) {
        err = pcol->columnid < FID_VAR_FIRST ? esefmt_rec_fixed(prec, pcol, &psv->pb, &psv->cb)
                                             : esefmt_rec_var(prec, pcol->columnid, &psv->pb, &psv->cb);
        if (err == JET_wrnColumnSetNull && pcol->pbDefault) {
            psv->pb = pcol->pbDefault;
            psv->cb = pcol->cbDefault;
            psv->fDefault = 1;
            err = JET_errSuccess;
        }
        if (err != JET_errSuccess)
            return err < 0 ? err : JET_wrnColumnNull;
        psv->cvalue = 1;
        return ivalue == 1 ? JET_errSuccess : JET_wrnColumnNull;
    }
    int32_t i = esefmt_rec_find_tagged(prec, pcol->columnid);
    if (i < 0) {
        if (pcol->pbDefault == NULL)
            return JET_wrnColumnNull;
        psv->pb = pcol->pbDefault;
        psv->cb = pcol->cbDefault;
        psv->fDefault = 1;
        psv->cvalue = 1;
        return ivalue == 1 ? JET_errSuccess : JET_wrnColumnNull;
    }
    uint32_t fid, fFlags;
    const uint8_t *pb;
    uint32_t cb;
    err = esefmt_rec_tagged(prec, (uint32_t)i, &fid, &fFlags, &pb, &cb);
    if (err < 0)
        return err;
    if (fFlags & ESEPY_ESE_TAG_NULL)
        return JET_wrnColumnNull;
    psv->fEncrypted = (fFlags & ESEPY_ESE_TAG_ENCRYPTED) != 0;
    /* in a multi-valued field only the first value can be compressed */
    psv->fCompressed = (fFlags & ESEPY_ESE_TAG_COMPRESSED) != 0 && ivalue == 1;
    /* the compact form of exactly two values (flagged multi-valued too):
     * one length byte, the first value, then the second */
    if (fFlags & ESEPY_ESE_TAG_TWOVALUES) {
        if (cb < 1 || 1u + pb[0] > cb)
            return JET_errDatabaseCorrupted;
        psv->cvalue = 2;
        if (ivalue == 1) {
            psv->pb = pb + 1;
            psv->cb = pb[0];
        } else if (ivalue == 2) {
            psv->pb = pb + 1 + pb[0];
            psv->cb = cb - 1 - pb[0];
        } else {
            return JET_wrnColumnNull;
        }
        return JET_errSuccess;
    }
    if (fFlags & ESEPY_ESE_TAG_MULTI) {
        if (cb < 2)
            return JET_errDatabaseCorrupted;
        uint32_t ib0 = le_get16(pb) & 0x7FFFu;
        if (ib0 < 2 || ib0 % 2 || ib0 > cb)
            return JET_errDatabaseCorrupted;
        psv->cvalue = ib0 / 2;
        if (ivalue == 0 || ivalue > psv->cvalue)
            return JET_wrnColumnNull;
        uint32_t j = ivalue - 1;
        uint32_t off = le_get16(pb + 2 * j);
        uint32_t start = off & 0x7FFFu;
        uint32_t end = j + 1 < psv->cvalue ? (le_get16(pb + 2 * (j + 1)) & 0x7FFFu) : cb;
        if (start < ib0 || start > end || end > cb)
            return JET_errDatabaseCorrupted;
        psv->pb = pb + start;
        psv->cb = end - start;
        psv->fSeparated = (off & 0x8000u) != 0;
        return JET_errSuccess;
    }
    psv->cvalue = 1;
    psv->pb = pb;
    psv->cb = cb;
    psv->fSeparated = (fFlags & ESEPY_ESE_TAG_SEPARATED) != 0;
    return ivalue == 1 ? JET_errSuccess : JET_wrnColumnNull;
}

static JET_ERR cursor_column(ESEPY_ESE_CURSOR *pc, uint32_t icolumn, const esefmt_column **ppcol)
{
    if (pc == NULL)
        return JET_errInvalidParameter;
    if (!pc->fOnRecord)
        return JET_errNoCurrentRecord;
    if (icolumn >= pc->ptable->ccol)
        return JET_errColumnNotFound;
    *ppcol = &pc->ptable->rgcol[icolumn];
    return JET_errSuccess;
}

JET_ERR EsepyEseCursorValueCount(ESEPY_ESE_CURSOR *pc, uint32_t icolumn, uint32_t *pcvalue)
{
    const esefmt_column *pcol;
    JET_ERR err = cursor_column(pc, icolumn, &pcol);
    if (err < 0)
        return err;
    if (pcvalue == NULL)
        return JET_errInvalidParameter;
    stored_value sv;
    err = stored(pc, pcol, 1, &sv);
    if (err < 0)
        return err;
    *pcvalue = err == JET_wrnColumnNull ? 0 : sv.cvalue;
    return JET_errSuccess;
}

JET_ERR EsepyEseCursorRetrieve(ESEPY_ESE_CURSOR *pc, uint32_t icolumn, uint32_t ivalue, uint32_t grbit, void *pv,
                               uint32_t cbMax, uint32_t *pcbActual, uint32_t *pgrbitInfo)
{
    const esefmt_column *pcol;
    JET_ERR err = cursor_column(pc, icolumn, &pcol);
    if (err < 0)
        return err;
    if (pcbActual == NULL || (pv == NULL && cbMax > 0) || (grbit & ~(uint32_t)ESEPY_ESE_RETRIEVE_RAW))
        return JET_errInvalidParameter;
    uint32_t info = 0;
    *pcbActual = 0;
    if (pgrbitInfo)
        *pgrbitInfo = 0;
    stored_value sv;
    err = stored(pc, pcol, ivalue, &sv);
    if (err != JET_errSuccess)
        return err;
    if (sv.fDefault)
        info |= ESEPY_ESE_VALUE_DEFAULT;
    if (sv.cvalue > 1)
        info |= ESEPY_ESE_VALUE_MULTI;
    if (sv.fEncrypted && !(grbit & ESEPY_ESE_RETRIEVE_RAW)) {
        if (pgrbitInfo)
            *pgrbitInfo = info;
        return JET_errFeatureNotAvailable;
    }
    if (sv.fSeparated && !(grbit & ESEPY_ESE_RETRIEVE_RAW)) {
        info |= ESEPY_ESE_VALUE_SEPARATED;
        if (sv.cb != 4 && sv.cb != 8)
            return JET_errLVCorrupted;
        uint32_t infoLV = 0;
        err = esefmt_lv_read(pc->pfile, pc->ptable, sv.pb, sv.cb, pv, cbMax, pcbActual, &infoLV);
        if (pgrbitInfo)
            *pgrbitInfo = info | infoLV;
        return err;
    }
    if (sv.fCompressed && !sv.fSeparated && !(grbit & ESEPY_ESE_RETRIEVE_RAW)) {
        uint32_t cbOut, scheme = 0;
        err = esefmt_decompressed_size(sv.pb, sv.cb, &cbOut, &scheme);
        info |= ESEPY_ESE_VALUE_COMPRESSED | ((scheme & 0xFFu) << ESEPY_ESE_VALUE_SCHEME_SHIFT);
        if (pgrbitInfo)
            *pgrbitInfo = info;
        if (err < 0)
            return err;
        *pcbActual = cbOut;
        if (cbOut > cbMax)
            return JET_wrnBufferTruncated;
        return esefmt_decompress(sv.pb, sv.cb, pv, cbOut);
    }
    if (pgrbitInfo)
        *pgrbitInfo = info;
    *pcbActual = sv.cb;
    uint32_t cbCopy = sv.cb < cbMax ? sv.cb : cbMax;
    if (cbCopy)
        memcpy(pv, sv.pb, cbCopy);
    return cbCopy < sv.cb ? JET_wrnBufferTruncated : JET_errSuccess;
}
