/*
 * catalog.c -- the system catalog (MSysObjects, tree at page 4, objid 2):
 * tables, their columns (type, size, code page, record offset, default
 * value), indexes and long-value trees; and the public table/column/index
 * description calls.
 * Must not touch: user tables' records, the file.  The catalog is loaded once
 * per open file, on first use, and owned by the file handle.
 * Invariants: names are NUL-terminated copies; columns of a table are sorted
 * by columnid; the fixed-column width never exceeds what the record offsets
 * leave room for.
 */
#include <stdio.h>
#include <stdlib.h>

#include "esefmt_int.h"

#define PGNO_CATALOG  4u
#define OBJID_CATALOG 2u

/* The catalog's own fixed columns (columnid, record offset, width). */
enum {
    CAT_OBJIDTABLE = 1, CAT_TYPE, CAT_ID, CAT_COLTYP_PGNOFDP, CAT_SPACEUSAGE, CAT_FLAGS, CAT_PAGES_LOCALE,
    CAT_ROOTFLAG, CAT_RECORDOFFSET, CAT_LCMAPFLAGS, CAT_KEYMOST, CAT_LVCHUNKMAX, CAT_FIXED_COUNT = CAT_LVCHUNKMAX
};
#define CAT_NAME          128u
#define CAT_TEMPLATETABLE 130u
#define CAT_DEFAULTVALUE  131u
#define CAT_KEYFLDIDS     132u

static const uint8_t rgcbCatFixed[CAT_FIXED_COUNT + 1] = { 0, 4, 2, 4, 4, 4, 4, 4, 1, 2, 4, 2, 4 };

static uint32_t cat_fixed(const esefmt_rec *prec, uint32_t fid, uint32_t dflt)
{
    esefmt_column col;
    memset(&col, 0, sizeof(col));
    col.columnid = fid;
    col.ibRecordOffset = 4;
    for (uint32_t f = 1; f < fid; f++)
        col.ibRecordOffset += rgcbCatFixed[f];
    col.cbFixed = rgcbCatFixed[fid];
    const uint8_t *pb;
    uint32_t cb;
    if (esefmt_rec_fixed(prec, &col, &pb, &cb) != JET_errSuccess)
        return dflt;
    return cb == 4 ? le_get32(pb) : cb == 2 ? le_get16(pb) : pb[0];
}

static char *cat_name(const esefmt_rec *prec)
{
    const uint8_t *pb = NULL;
    uint32_t cb = 0;
    if (esefmt_rec_var(prec, CAT_NAME, &pb, &cb) != JET_errSuccess)
        cb = 0;
    if (cb >= ESEPY_ESE_NAME_MAX)
        cb = ESEPY_ESE_NAME_MAX - 1;
    char *sz = os_malloc(cb + 1);
    if (sz == NULL)
        return NULL;
    for (uint32_t i = 0; i < cb; i++)
        sz[i] = pb[i] ? (char)pb[i] : '?';
    sz[cb] = '\0';
    return sz;
}

/* Width of a fixed column of type coltyp (cbMax for fixed text/binary). */
static uint32_t fixed_width(uint32_t coltyp, uint32_t cbMax)
{
    switch (coltyp) {
    case JET_coltypBit:
    case JET_coltypUnsignedByte: return 1;
    case JET_coltypShort:
    case JET_coltypUnsignedShort: return 2;
    case JET_coltypLong:
    case JET_coltypUnsignedLong:
    case JET_coltypIEEESingle: return 4;
    case JET_coltypCurrency:
    case JET_coltypIEEEDouble:
    case JET_coltypDateTime:
    case JET_coltypLongLong:
    case JET_coltypUnsignedLongLong: return 8;
    case JET_coltypGUID: return 16;
    default: return cbMax;
    }
}

static esefmt_table *table_for(ESEPY_ESE_FILE *pfile, uint32_t objid)
{
    /* rows come in objid order, so the table is almost always the last one */
    if (pfile->ctable && pfile->rgtable[pfile->ctable - 1].objid == objid)
        return &pfile->rgtable[pfile->ctable - 1];
    for (uint32_t i = 0; i < pfile->ctable; i++)
        if (pfile->rgtable[i].objid == objid)
            return &pfile->rgtable[i];
    return NULL;
}

static int grow(void **ppv, uint32_t *pcMax, uint32_t cNeed, size_t cb)
{
    if (cNeed <= *pcMax)
        return 1;
    uint32_t cNew = *pcMax ? *pcMax * 2 : 8;
    while (cNew < cNeed)
        cNew *= 2;
    void *pv = os_realloc(*ppv, (size_t)cNew * cb);
    if (pv == NULL)
        return 0;
    memset((uint8_t *)pv + (size_t)*pcMax * cb, 0, (size_t)(cNew - *pcMax) * cb);
    *ppv = pv;
    *pcMax = cNew;
    return 1;
}

static int cmp_column(const void *a, const void *b)
{
    const esefmt_column *pa = a, *pb = b;
    return pa->columnid < pb->columnid ? -1 : pa->columnid > pb->columnid;
}

static JET_ERR cat_row(ESEPY_ESE_FILE *pfile, const esefmt_rec *prec)
{
    uint32_t objidTable = cat_fixed(prec, CAT_OBJIDTABLE, 0);
    uint32_t type = cat_fixed(prec, CAT_TYPE, 0);
    uint32_t id = cat_fixed(prec, CAT_ID, 0);
    uint32_t coltypOrPgno = cat_fixed(prec, CAT_COLTYP_PGNOFDP, 0);
    uint32_t flags = cat_fixed(prec, CAT_FLAGS, 0);
    uint32_t pages = cat_fixed(prec, CAT_PAGES_LOCALE, 0);
    const uint8_t *pb;
    uint32_t cb;

    if (type == ESEFMT_SYSOBJ_TABLE) {
        if (!grow((void **)&pfile->rgtable, &pfile->ctableMax, pfile->ctable + 1, sizeof(esefmt_table)))
            return JET_errOutOfMemory;
        esefmt_table *pt = &pfile->rgtable[pfile->ctable];
        memset(pt, 0, sizeof(*pt));
        pt->szName = cat_name(prec);
        if (pt->szName == NULL)
            return JET_errOutOfMemory;
        pfile->ctable++;
        pt->objid = objidTable;
        pt->pgnoFDP = coltypOrPgno;
        pt->grbit = flags;
        pt->cpgInitial = pages;
        if (esefmt_rec_var(prec, CAT_TEMPLATETABLE, &pb, &cb) == JET_errSuccess && cb > 0) {
            if (cb >= ESEPY_ESE_NAME_MAX)
                cb = ESEPY_ESE_NAME_MAX - 1;
            pt->szTemplate = os_malloc(cb + 1);
            if (pt->szTemplate == NULL)
                return JET_errOutOfMemory;
            memcpy(pt->szTemplate, pb, cb);
            pt->szTemplate[cb] = '\0';
        }
        return JET_errSuccess;
    }
    esefmt_table *pt = table_for(pfile, objidTable);
    if (pt == NULL) {
        esefmt_damage(pfile, 0, JET_errCatalogCorrupted, OBJID_CATALOG, "catalog row for a table with no table row");
        return JET_errSuccess;
    }
    if (type == ESEFMT_SYSOBJ_COLUMN) {
        if (!grow((void **)&pt->rgcol, &pt->ccolMax, pt->ccol + 1, sizeof(esefmt_column)))
            return JET_errOutOfMemory;
        esefmt_column *pc = &pt->rgcol[pt->ccol];
        memset(pc, 0, sizeof(*pc));
        pc->szName = cat_name(prec);
        if (pc->szName == NULL)
            return JET_errOutOfMemory;
        pt->ccol++;
        pc->columnid = id;
        pc->coltyp = coltypOrPgno;
        pc->cbMax = cat_fixed(prec, CAT_SPACEUSAGE, 0);
        pc->grbit = flags;
        pc->cp = pages;
        pc->ibRecordOffset = cat_fixed(prec, CAT_RECORDOFFSET, 0);
        if (esefmt_rec_var(prec, CAT_DEFAULTVALUE, &pb, &cb) == JET_errSuccess && cb > 0) {
            pc->pbDefault = os_malloc(cb);
            if (pc->pbDefault == NULL)
                return JET_errOutOfMemory;
            memcpy(pc->pbDefault, pb, cb);
            pc->cbDefault = cb;
        }
        return JET_errSuccess;
    }
    if (type == ESEFMT_SYSOBJ_INDEX) {
        if (!grow((void **)&pt->rgidx, &pt->cidxMax, pt->cidx + 1, sizeof(esefmt_index)))
            return JET_errOutOfMemory;
        esefmt_index *pi = &pt->rgidx[pt->cidx];
        memset(pi, 0, sizeof(*pi));
        pi->szName = cat_name(prec);
        if (pi->szName == NULL)
            return JET_errOutOfMemory;
        pt->cidx++;
        pi->objid = id;
        pi->pgnoFDP = coltypOrPgno;
        pi->grbit = flags;
        pi->lcid = pages;
        pi->cbKeyMost = cat_fixed(prec, CAT_KEYMOST, 0);
        if (pi->cbKeyMost == 0)
            pi->cbKeyMost = 255; /* JET_cbKeyMost of catalogs that predate the column */
        /* Key columns (catalog KeyFldIDs).  The index row's Flags hold the
         * index flags in the low 16 bits and the extended index flags in the
         * high 16 bits.  With the extended flag "extended columns" (0x00010000)
         * every entry is 4 bytes: a flag byte (0x80 column of the template
         * table, 0x40 descending, 0x20 must be null), a reserved byte and a
         * 2-byte column id.  Without it (older catalogs) every entry is a
         * 2-byte signed column id, negative for a descending column. */
        if (esefmt_rec_var(prec, CAT_KEYFLDIDS, &pb, &cb) == JET_errSuccess && cb > 0) {
            int fExtended = (flags & ESEFMT_IDXFLAG_EXTENDED_COLUMNS) != 0;
            uint32_t cbEntry = fExtended ? 4 : 2;
            for (uint32_t ib = 0; ib + cbEntry <= cb && pi->ccolumn < 16; ib += cbEntry) {
                if (fExtended) {
                    uint8_t bFlags = pb[ib];
                    pi->rgfDescending[pi->ccolumn] = (bFlags & ESEFMT_IDXSEG_DESCENDING) != 0;
                    pi->rgfTemplate[pi->ccolumn] = (bFlags & ESEFMT_IDXSEG_TEMPLATE) != 0;
                    pi->rgcolumnid[pi->ccolumn++] = le_get16(pb + ib + 2);
                } else {
                    int32_t v = (int16_t)le_get16(pb + ib);
                    pi->rgfDescending[pi->ccolumn] = v < 0;
                    pi->rgcolumnid[pi->ccolumn++] = (uint32_t)(v < 0 ? -v : v);
                }
            }
        }
        return JET_errSuccess;
    }
    if (type == ESEFMT_SYSOBJ_LV) {
        pt->objidLV = id;
        pt->pgnoFDPLV = coltypOrPgno;
    }
    return JET_errSuccess;
}

/* Sort columns and settle the fixed-column layout of every table.  The
 * catalog's RecordOffset is used when it describes a consistent layout
 * (increasing, non-overlapping, starting at 4: it then also accounts for
 * deleted columns); some catalogs (e.g. the system tables' own rows) store a
 * placeholder instead, and the layout is then the widths in columnid order. */
static void cat_finish(ESEPY_ESE_FILE *pfile)
{
    for (uint32_t it = 0; it < pfile->ctable; it++) {
        esefmt_table *pt = &pfile->rgtable[it];
        if (pt->ccol > 1)
            qsort(pt->rgcol, pt->ccol, sizeof(esefmt_column), cmp_column);
        int fOffsetsOK = 1;
        uint32_t ibNext = 4;
        for (uint32_t ic = 0; ic < pt->ccol; ic++) {
            esefmt_column *pc = &pt->rgcol[ic];
            if (pc->columnid == 0 || pc->columnid >= 128)
                continue;
            pc->cbFixed = fixed_width(pc->coltyp, pc->cbMax);
            if (pc->ibRecordOffset < ibNext || (ibNext == 4 && pc->ibRecordOffset != 4))
                fOffsetsOK = 0;
            ibNext = pc->ibRecordOffset + pc->cbFixed;
        }
        if (fOffsetsOK)
            continue;
        ibNext = 4;
        for (uint32_t ic = 0; ic < pt->ccol; ic++) {
            esefmt_column *pc = &pt->rgcol[ic];
            if (pc->columnid == 0 || pc->columnid >= 128)
                continue;
            pc->ibRecordOffset = ibNext;
            ibNext += pc->cbFixed;
        }
    }
}

JET_ERR esefmt_catalog_load(ESEPY_ESE_FILE *pfile)
{
    if (pfile->fCatalogLoaded)
        return pfile->errCatalog;
    pfile->fCatalogLoaded = 1;
    /* A database with no stored catalog -- its catalog page never written
     * (blank or beyond the end of the file), or an empty root leaf: a
     * temporary database such as NTDS temp.edb, whose tables exist only while
     * ESE runs -- has no tables.  That is what the file is, not damage. */
    esefmt_page root;
    JET_ERR errRoot = esefmt_page_get(pfile, PGNO_CATALOG, &root);
    if (errRoot == JET_errPageNotInitialized || errRoot == JET_errFileIOBeyondEOF ||
        (errRoot >= 0 && root.objidFDP == OBJID_CATALOG && (root.fFlags & ESEFMT_PG_LEAF) && root.ctag <= 1)) {
        pfile->fCatalogEmpty = 1;
        return pfile->errCatalog = JET_errSuccess;
    }
    esefmt_walk walk;
    JET_ERR err = esefmt_walk_init(pfile, PGNO_CATALOG, OBJID_CATALOG, &walk);
    if (err < 0)
        return pfile->errCatalog = err;
    esefmt_node node;
    uint32_t crow = 0;
    while ((err = esefmt_walk_next(&walk, &node)) >= 0) {
        if (node.fFlags & ESEFMT_ND_DELETED)
            continue;
        esefmt_rec rec;
        if (esefmt_rec_parse(node.pbData, node.cbData, pfile->fSmall, &rec) < 0) {
            esefmt_damage(pfile, walk.leaf.pgno, JET_errCatalogCorrupted, OBJID_CATALOG, "damaged catalog record skipped");
            continue;
        }
        crow++;
        err = cat_row(pfile, &rec);
        if (err < 0)
            break;
    }
    esefmt_walk_term(&walk);
    if (err == JET_errNoCurrentRecord)
        err = JET_errSuccess;
    if (err >= 0 && crow == 0)
        err = JET_errCatalogCorrupted;
    if (err >= 0)
        cat_finish(pfile);
    return pfile->errCatalog = err;
}

void esefmt_catalog_free(ESEPY_ESE_FILE *pfile)
{
    for (uint32_t it = 0; it < pfile->ctable; it++) {
        esefmt_table *pt = &pfile->rgtable[it];
        for (uint32_t ic = 0; ic < pt->ccol; ic++) {
            os_free(pt->rgcol[ic].szName);
            os_free(pt->rgcol[ic].pbDefault);
        }
        for (uint32_t ii = 0; ii < pt->cidx; ii++)
            os_free(pt->rgidx[ii].szName);
        os_free(pt->rgcol);
        os_free(pt->rgidx);
        os_free(pt->szName);
        os_free(pt->szTemplate);
    }
    os_free(pfile->rgtable);
    pfile->rgtable = NULL;
    pfile->ctable = 0;
}

/* ---- public catalog access -------------------------------------------------------- */

static JET_ERR table_at(ESEPY_ESE_FILE *pfile, uint32_t itable, esefmt_table **ppt)
{
    if (pfile == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = esefmt_catalog_load(pfile);
    if (err < 0)
        return err;
    if (itable >= pfile->ctable)
        return JET_errInvalidParameter;
    *ppt = &pfile->rgtable[itable];
    return JET_errSuccess;
}

JET_ERR EsepyEseGetTableCount(ESEPY_ESE_FILE *pfile, uint32_t *pctable)
{
    if (pfile == NULL || pctable == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = esefmt_catalog_load(pfile);
    if (err < 0)
        return err;
    *pctable = pfile->ctable;
    return JET_errSuccess;
}

JET_ERR EsepyEseGetTableInfo(ESEPY_ESE_FILE *pfile, uint32_t itable, ESEPY_ESE_TABLEINFO *pinfo)
{
    esefmt_table *pt;
    if (pinfo == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = table_at(pfile, itable, &pt);
    if (err < 0)
        return err;
    memset(pinfo, 0, sizeof(*pinfo));
    pinfo->cbStruct = sizeof(*pinfo);
    snprintf(pinfo->szName, sizeof(pinfo->szName), "%s", pt->szName);
    snprintf(pinfo->szTemplateTable, sizeof(pinfo->szTemplateTable), "%s", pt->szTemplate ? pt->szTemplate : "");
    pinfo->objidTable = pt->objid;
    pinfo->pgnoFDP = pt->pgnoFDP;
    pinfo->objidLV = pt->objidLV;
    pinfo->pgnoFDPLV = pt->pgnoFDPLV;
    pinfo->grbit = pt->grbit;
    pinfo->cpgInitial = pt->cpgInitial;
    pinfo->ccolumn = pt->ccol;
    pinfo->cindex = pt->cidx;
    return JET_errSuccess;
}

JET_ERR EsepyEseGetColumnInfo(ESEPY_ESE_FILE *pfile, uint32_t itable, uint32_t icolumn, ESEPY_ESE_COLUMNINFO *pinfo)
{
    esefmt_table *pt;
    if (pinfo == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = table_at(pfile, itable, &pt);
    if (err < 0)
        return err;
    if (icolumn >= pt->ccol)
        return JET_errColumnNotFound;
    const esefmt_column *pc = &pt->rgcol[icolumn];
    memset(pinfo, 0, sizeof(*pinfo));
    pinfo->cbStruct = sizeof(*pinfo);
    snprintf(pinfo->szName, sizeof(pinfo->szName), "%s", pc->szName);
    pinfo->columnid = pc->columnid;
    pinfo->coltyp = pc->coltyp;
    pinfo->cbMax = pc->cbMax;
    pinfo->cp = pc->cp;
    pinfo->grbit = pc->grbit;
    pinfo->ibRecordOffset = pc->ibRecordOffset;
    pinfo->pbDefault = pc->pbDefault;
    pinfo->cbDefault = pc->cbDefault;
    return JET_errSuccess;
}

JET_ERR EsepyEseGetIndexInfo(ESEPY_ESE_FILE *pfile, uint32_t itable, uint32_t iindex, ESEPY_ESE_INDEXINFO *pinfo)
{
    esefmt_table *pt;
    if (pinfo == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = table_at(pfile, itable, &pt);
    if (err < 0)
        return err;
    if (iindex >= pt->cidx)
        return JET_errIndexNotFound;
    const esefmt_index *pi = &pt->rgidx[iindex];
    memset(pinfo, 0, sizeof(*pinfo));
    pinfo->cbStruct = sizeof(*pinfo);
    snprintf(pinfo->szName, sizeof(pinfo->szName), "%s", pi->szName);
    pinfo->objid = pi->objid;
    pinfo->pgnoFDP = pi->pgnoFDP;
    pinfo->grbit = pi->grbit;
    pinfo->lcid = pi->lcid;
    pinfo->ccolumn = pi->ccolumn;
    memcpy(pinfo->rgcolumnid, pi->rgcolumnid, sizeof(pi->rgcolumnid));
    memcpy(pinfo->rgfDescending, pi->rgfDescending, sizeof(pi->rgfDescending));
    memcpy(pinfo->rgfTemplate, pi->rgfTemplate, sizeof(pi->rgfTemplate));
    pinfo->cbKeyMost = pi->cbKeyMost;
    return JET_errSuccess;
}
