/*
 * infolist.c -- the list info levels that answer with a temporary table:
 * JetGetTableColumnInfo / JetGetColumnInfo with JET_ColInfoList,
 * JET_ColInfoListCompact and JET_ColInfoListSortColumnid (a JET_COLUMNLIST,
 * one row per column), and JetGetTableIndexInfo / JetGetIndexInfo with
 * JET_IdxInfo and JET_IdxInfoList (a JET_INDEXLIST, one row per index
 * segment), and JetGetObjectInfo with JET_ObjInfoList / ListNoStats (a
 * JET_OBJECTLIST, one row per table).
 *
 * Owns: the columns of those result tables and the rows written to them.
 * Must not touch: the table described (read through its cursor's table_def
 * only), the temporary database (temp.c), the catalog.
 *
 * The result table belongs to the caller, who closes it with JetCloseTable;
 * its cursor is on the first row.  Rows are written through the ordinary
 * record API of a temporary table, so they are sorted by its key: column
 * name (JET_ColInfoList, ListCompact) or column id (ListSortColumnid), and
 * index name then segment position (index lists), object name (object
 * lists).  Statistics that ESENT keeps in its catalog (cKey, cEntry, cPage,
 * cRecord) are 0 in the column and index lists: esepy keeps none; the
 * object list (JET_ObjInfoList, not ListNoStats) counts each table's records
 * and pages when asked, as JET_ObjInfo does (isam_table_stats).  For the W functions (session's
 * fWideLists) the text columns are Unicode (cp 1200) and hold UTF-16LE, as
 * ESENT's; otherwise they are cp 1252 columns holding the UTF-8 names.
 */
#include "isam_int.h"

#include <string.h>

#define LANGID_EN_US 0x409
#define NORM_IGNORECASE_FLAG 0x1

typedef struct list_col {
    const char *name;
    JET_COLTYP  coltyp;
    JET_GRBIT   grbit;
} list_col;

/* Open a temporary table with these columns; ids[i] receives their ids. */
static JET_ERR list_open(isam_sess *psess, const list_col *cols, uint32_t c, JET_TABLEID *ptableid,
                         JET_COLUMNID *ids)
{
    JET_COLUMNDEF defs[20];
    const char *names[20];
    memset(defs, 0, sizeof(defs));
    for (uint32_t i = 0; i < c; i++) {
        defs[i].cbStruct = sizeof(JET_COLUMNDEF);
        defs[i].coltyp = cols[i].coltyp;
        defs[i].grbit = cols[i].grbit;
        defs[i].cp = cols[i].coltyp == JET_coltypText ? (psess->fWideLists ? 1200 : 1252) : 0;
        defs[i].cbMax = cols[i].coltyp == JET_coltypText ? JET_cbColumnMost : 0;
        names[i] = cols[i].name;
    }
    isam_temp_spec spec = { defs, names, c, JET_bitTTIndexed | JET_bitTTScrollable, 0, 0 };
    return isam_open_temp_table(psess, &spec, ptableid, ids);
}

static JET_ERR put(isam_sess *psess, JET_TABLEID t, JET_COLUMNID id, const void *pv, uint32_t cb)
{
    if (cb == 0)
        return JET_errSuccess; /* NULL */
    return isam_set_column(psess, t, id, pv, cb, 0, NULL);
}

static JET_ERR put_u32(isam_sess *psess, JET_TABLEID t, JET_COLUMNID id, uint32_t v)
{
    return isam_set_column(psess, t, id, &v, sizeof(v), 0, NULL);
}

static JET_ERR put_u16(isam_sess *psess, JET_TABLEID t, JET_COLUMNID id, uint16_t v)
{
    return isam_set_column(psess, t, id, &v, sizeof(v), 0, NULL);
}

void isam_set_wide_lists(isam_sess *psess, int fWide)
{
    psess->fWideLists = fWide;
}

/* UTF-8 sz as UTF-16LE into w (room for cwMax units); the units written, or
 * -1 for bad UTF-8 or no room.  Names are short (JET_cbNameMost). */
static int utf8_to_utf16le(const char *sz, uint8_t *w, int cwMax)
{
    const uint8_t *p = (const uint8_t *)sz;
    int n = 0;
    while (*p) {
        uint32_t c = *p++;
        int extra = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
        if (extra < 0)
            return -1;
        c &= extra ? 0x3Fu >> extra : 0x7Fu;
        for (int i = 0; i < extra; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return -1;
            c = (c << 6) | (*p & 0x3Fu);
        }
        if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return -1;
        uint16_t u[2];
        int k = 1;
        if (c >= 0x10000) {
            c -= 0x10000;
            u[0] = (uint16_t)(0xD800 | (c >> 10)), u[1] = (uint16_t)(0xDC00 | (c & 0x3FF)), k = 2;
        } else {
            u[0] = (uint16_t)c;
        }
        if (n + k > cwMax)
            return -1;
        for (int i = 0; i < k; i++, n++)
            w[2 * n] = (uint8_t)u[i], w[2 * n + 1] = (uint8_t)(u[i] >> 8);
    }
    return n;
}

static JET_ERR put_str(isam_sess *psess, JET_TABLEID t, JET_COLUMNID id, const char *sz)
{
    if (!psess->fWideLists)
        return put(psess, t, id, sz, (uint32_t)strlen(sz));
    uint8_t w[2 * (JET_cbNameMost + 1) * 2];
    int n = utf8_to_utf16le(sz, w, (int)sizeof(w) / 2);
    if (n < 0)
        return JET_errInvalidParameter;
    return put(psess, t, id, w, (uint32_t)n * 2);
}

/* Position the result on its first row (none when it is empty). */
static JET_ERR list_finish(isam_sess *psess, JET_TABLEID t, JET_ERR err)
{
    if (err >= 0) {
        err = isam_move(psess, t, (int32_t)JET_MoveFirst, 0);
        if (err == JET_errNoCurrentRecord)
            err = JET_errSuccess;
    }
    if (err < 0)
        (void)isam_close_table(psess, t);
    return err;
}

/* ---- JET_ColInfoList -------------------------------------------------------- */

enum {
    CL_ORDER, CL_NAME, CL_ID, CL_TYPE, CL_COUNTRY, CL_LANGID, CL_CP, CL_COLLATE, CL_CBMAX, CL_GRBIT,
    CL_DEFAULT, CL_BASETABLE, CL_BASECOLUMN, CL_DEFINITION, CL_COUNT
};

JET_ERR list_columns(isam_sess *psess, isam_cursor *pcur, uint32_t infolevel, JET_COLUMNLIST *pcl)
{
    int fById = infolevel == JET_ColInfoListSortColumnid;
    int fCompact = infolevel == JET_ColInfoListCompact;
    const list_col cols[CL_COUNT] = {
        { "PresentationOrder", JET_coltypLong, 0 },
        { "ColumnName", JET_coltypText, fById ? 0 : JET_bitColumnTTKey },
        { "ColumnId", JET_coltypLong, fById ? JET_bitColumnTTKey : 0 },
        { "ColumnType", JET_coltypLong, 0 },
        { "Country", JET_coltypShort, 0 },
        { "Langid", JET_coltypShort, 0 },
        { "Cp", JET_coltypShort, 0 },
        { "Collate", JET_coltypShort, 0 },
        { "cbMax", JET_coltypLong, 0 },
        { "grbit", JET_coltypLong, 0 },
        { "Default", JET_coltypLongBinary, 0 },
        { "BaseTableName", JET_coltypText, 0 },
        { "BaseColumnName", JET_coltypText, 0 },
        { "DefinitionName", JET_coltypText, 0 },
    };
    JET_COLUMNID ids[CL_COUNT];
    JET_TABLEID t;
    /* The source's definition is copied out before the result table takes a
     * cursor slot (pcur stays valid: cursors live in the session's array). */
    JET_ERR err = list_open(psess, cols, CL_COUNT, &t, ids);
    if (err < 0)
        return err;
    const table_def *ptd = pcur->td;
    uint32_t crec = 0;
    for (uint32_t i = 0; i < ptd->ccol && err >= 0; i++) {
        const col_info *pci = &ptd->cols[i];
        if (pci->rc.coltyp == JET_coltypNil || pci->name[0] == '\0')
            continue; /* a deleted column's tombstone */
        err = isam_prepare_update(psess, t, JET_prepInsert);
        if (err >= 0)
            err = put_u32(psess, t, ids[CL_ORDER], i);
        if (err >= 0)
            err = put_str(psess, t, ids[CL_NAME], pci->name);
        if (err >= 0)
            err = put_u32(psess, t, ids[CL_ID], pci->rc.columnid);
        if (err >= 0)
            err = put_u32(psess, t, ids[CL_TYPE], pci->rc.coltyp);
        if (err >= 0)
            err = put_u16(psess, t, ids[CL_COUNTRY], 0);
        if (err >= 0)
            err = put_u16(psess, t, ids[CL_LANGID], LANGID_EN_US);
        if (err >= 0)
            err = put_u16(psess, t, ids[CL_CP], (uint16_t)pci->rc.cp);
        if (err >= 0)
            err = put_u16(psess, t, ids[CL_COLLATE], 0);
        if (err >= 0)
            err = put_u32(psess, t, ids[CL_CBMAX], pci->rc.cbMax);
        if (err >= 0)
            err = put_u32(psess, t, ids[CL_GRBIT], pci->rc.grbit);
        if (err >= 0 && !fCompact) {
            err = put(psess, t, ids[CL_DEFAULT], pci->pbDefault, pci->cbDefault);
            if (err >= 0)
                err = put_str(psess, t, ids[CL_BASETABLE], ptd->name);
            if (err >= 0)
                err = put_str(psess, t, ids[CL_BASECOLUMN], pci->name);
            if (err >= 0)
                err = put_str(psess, t, ids[CL_DEFINITION], pci->name);
        }
        if (err >= 0)
            err = isam_update(psess, t, NULL, 0, NULL);
        crec++;
    }
    err = list_finish(psess, t, err);
    if (err < 0)
        return err;
    memset(pcl, 0, sizeof(*pcl));
    pcl->cbStruct = sizeof(*pcl);
    pcl->tableid = t;
    pcl->cRecord = crec;
    pcl->columnidPresentationOrder = ids[CL_ORDER];
    pcl->columnidcolumnname = ids[CL_NAME];
    pcl->columnidcolumnid = ids[CL_ID];
    pcl->columnidcoltyp = ids[CL_TYPE];
    pcl->columnidCountry = ids[CL_COUNTRY];
    pcl->columnidLangid = ids[CL_LANGID];
    pcl->columnidCp = ids[CL_CP];
    pcl->columnidCollate = ids[CL_COLLATE];
    pcl->columnidcbMax = ids[CL_CBMAX];
    pcl->columnidgrbit = ids[CL_GRBIT];
    pcl->columnidDefault = ids[CL_DEFAULT];
    pcl->columnidBaseTableName = ids[CL_BASETABLE];
    pcl->columnidBaseColumnName = ids[CL_BASECOLUMN];
    pcl->columnidDefinitionName = ids[CL_DEFINITION];
    return JET_errSuccess;
}

/* ---- JET_IdxInfoList -------------------------------------------------------- */

enum {
    IL_NAME, IL_GRBITINDEX, IL_CKEY, IL_CENTRY, IL_CPAGE, IL_CCOLUMN, IL_ICOLUMN, IL_COLUMNID, IL_COLTYP,
    IL_COUNTRY, IL_LANGID, IL_CP, IL_COLLATE, IL_GRBITCOLUMN, IL_COLUMNNAME, IL_LCMAPFLAGS, IL_COUNT
};

/* The rows of one index: one per segment. */
static JET_ERR index_rows(isam_sess *psess, JET_TABLEID t, const JET_COLUMNID *ids, const table_def *ptd,
                          const char *name, JET_GRBIT grbit, const key_seg *segs, uint32_t cseg, uint32_t *pcrec)
{
    JET_ERR err = JET_errSuccess;
    for (uint32_t j = 0; j < cseg && err >= 0; j++) {
        const col_info *pci = col_by_id((table_def *)ptd, segs[j].columnid);
        int fText = pci && (pci->rc.coltyp == JET_coltypText || pci->rc.coltyp == JET_coltypLongText);
        err = isam_prepare_update(psess, t, JET_prepInsert);
        if (err >= 0)
            err = put_str(psess, t, ids[IL_NAME], name);
        if (err >= 0)
            err = put_u32(psess, t, ids[IL_GRBITINDEX], grbit);
        for (int k = IL_CKEY; k <= IL_CPAGE && err >= 0; k++)
            err = put_u32(psess, t, ids[k], 0);
        if (err >= 0)
            err = put_u32(psess, t, ids[IL_CCOLUMN], cseg);
        if (err >= 0)
            err = put_u32(psess, t, ids[IL_ICOLUMN], j);
        if (err >= 0)
            err = put_u32(psess, t, ids[IL_COLUMNID], segs[j].columnid);
        if (err >= 0)
            err = put_u32(psess, t, ids[IL_COLTYP], pci ? pci->rc.coltyp : JET_coltypNil);
        if (err >= 0)
            err = put_u16(psess, t, ids[IL_COUNTRY], 0);
        if (err >= 0)
            err = put_u16(psess, t, ids[IL_LANGID], LANGID_EN_US);
        if (err >= 0)
            err = put_u16(psess, t, ids[IL_CP], pci ? (uint16_t)pci->rc.cp : 0);
        if (err >= 0)
            err = put_u16(psess, t, ids[IL_COLLATE], 0);
        if (err >= 0)
            err = put_u32(psess, t, ids[IL_GRBITCOLUMN],
                          (segs[j].segflags & KEY_SEG_DESCENDING) ? JET_bitKeyDescending : JET_bitKeyAscending);
        if (err >= 0)
            err = put_str(psess, t, ids[IL_COLUMNNAME], pci ? pci->name : "");
        if (err >= 0)
            err = put_u32(psess, t, ids[IL_LCMAPFLAGS],
                          fText && !(segs[j].segflags & KEY_SEG_CASESENSITIVE) ? NORM_IGNORECASE_FLAG : 0);
        if (err >= 0)
            err = isam_update(psess, t, NULL, 0, NULL);
        (*pcrec)++;
    }
    return err;
}

JET_ERR list_indexes(isam_sess *psess, isam_cursor *pcur, const idx_def *pidxOnly, int fPrimaryOnly, int fAll,
                     JET_INDEXLIST *pil)
{
    const list_col cols[IL_COUNT] = {
        { "IndexName", JET_coltypText, JET_bitColumnTTKey },
        { "grbitIndex", JET_coltypLong, 0 },
        { "cKey", JET_coltypLong, 0 },
        { "cEntry", JET_coltypLong, 0 },
        { "cPage", JET_coltypLong, 0 },
        { "cColumn", JET_coltypLong, 0 },
        { "iColumn", JET_coltypLong, JET_bitColumnTTKey },
        { "columnid", JET_coltypLong, 0 },
        { "coltyp", JET_coltypLong, 0 },
        { "Country", JET_coltypShort, 0 },
        { "Langid", JET_coltypShort, 0 },
        { "Cp", JET_coltypShort, 0 },
        { "Collate", JET_coltypShort, 0 },
        { "grbitColumn", JET_coltypLong, 0 },
        { "ColumnName", JET_coltypText, 0 },
        { "LCMapFlags", JET_coltypLong, 0 },
    };
    /* The key is (IndexName, iColumn): list IndexName first, then iColumn. */
    JET_COLUMNID ids[IL_COUNT];
    JET_TABLEID t;
    JET_ERR err = list_open(psess, cols, IL_COUNT, &t, ids);
    if (err < 0)
        return err;
    const table_def *ptd = pcur->td;
    uint32_t crec = 0;
    if ((fAll || fPrimaryOnly) && ptd->cseg > 0)
        err = index_rows(psess, t, ids, ptd, ptd->idxName, ptd->idxGrbit | JET_bitIndexPrimary | JET_bitIndexUnique,
                         ptd->segs, ptd->cseg, &crec);
    for (uint32_t i = 0; i < ptd->cidx && err >= 0; i++) {
        const idx_def *pidx = &ptd->idxs[i];
        if ((fAll && pidx->fNavigable) || pidx == pidxOnly) /* what the snapshot sees (S2) */
            err = index_rows(psess, t, ids, ptd, pidx->name, pidx->grbit, pidx->segs, pidx->cseg, &crec);
    }
    err = list_finish(psess, t, err);
    if (err < 0)
        return err;
    memset(pil, 0, sizeof(*pil));
    pil->cbStruct = sizeof(*pil);
    pil->tableid = t;
    pil->cRecord = crec;
    pil->columnidindexname = ids[IL_NAME];
    pil->columnidgrbitIndex = ids[IL_GRBITINDEX];
    pil->columnidcKey = ids[IL_CKEY];
    pil->columnidcEntry = ids[IL_CENTRY];
    pil->columnidcPage = ids[IL_CPAGE];
    pil->columnidcColumn = ids[IL_CCOLUMN];
    pil->columnidiColumn = ids[IL_ICOLUMN];
    pil->columnidcolumnid = ids[IL_COLUMNID];
    pil->columnidcoltyp = ids[IL_COLTYP];
    pil->columnidCountry = ids[IL_COUNTRY];
    pil->columnidLangid = ids[IL_LANGID];
    pil->columnidCp = ids[IL_CP];
    pil->columnidCollate = ids[IL_COLLATE];
    pil->columnidgrbitColumn = ids[IL_GRBITCOLUMN];
    pil->columnidcolumnname = ids[IL_COLUMNNAME];
    pil->columnidLCMapFlags = ids[IL_LCMAPFLAGS];
    return JET_errSuccess;
}

/* ---- JET_ObjInfoList -------------------------------------------------------- */

enum { OL_CONTAINER, OL_NAME, OL_OBJTYP, OL_CREATE, OL_UPDATE, OL_GRBIT, OL_FLAGS, OL_CRECORD, OL_CPAGE, OL_COUNT };

JET_ERR isam_object_list(isam_sess *psess, JET_DBID dbid, JET_OBJTYP objtyp, int fStats, JET_OBJECTLIST *pol)
{
    if (pol == NULL)
        return JET_errInvalidParameter;
    char *names = NULL;
    uint32_t cnames = 0;
    JET_ERR err = isam_list_tables(psess, dbid, &names, &cnames);
    if (err < 0)
        return err;
    const list_col cols[OL_COUNT] = {
        { "ContainerName", JET_coltypText, 0 },
        { "ObjectName", JET_coltypText, JET_bitColumnTTKey },
        { "ObjectType", JET_coltypLong, 0 },
        { "DateCreate", JET_coltypDateTime, 0 },
        { "DateUpdate", JET_coltypDateTime, 0 },
        { "grbit", JET_coltypLong, 0 },
        { "flags", JET_coltypLong, 0 },
        { "cRecord", JET_coltypLong, 0 },
        { "cPage", JET_coltypLong, 0 },
    };
    JET_COLUMNID ids[OL_COUNT];
    JET_TABLEID t;
    err = list_open(psess, cols, OL_COUNT, &t, ids);
    if (err < 0) {
        os_free(names);
        return err;
    }
    uint32_t crec = 0;
    int fTables = objtyp == JET_objtypNil || objtyp == JET_objtypTable;
    for (const char *p = names; fTables && *p && err >= 0; p += strlen(p) + 1) {
        err = isam_prepare_update(psess, t, JET_prepInsert);
        if (err >= 0)
            err = put_str(psess, t, ids[OL_NAME], p);
        if (err >= 0)
            err = put_u32(psess, t, ids[OL_OBJTYP], JET_objtypTable);
        if (err >= 0)
            err = put_u32(psess, t, ids[OL_GRBIT],
                          JET_bitTableInfoUpdatable | JET_bitTableInfoBookmark | JET_bitTableInfoRollback);
        uint32_t flags = 0;
        isam_db *pdb = err >= 0 ? sess_db(psess, dbid) : NULL;
        table_def *ptd = NULL;
        if (pdb && cat_load_table(psess, pdb, p, &ptd) >= 0) {
            flags = tpl_object_flags(ptd);
            cat_free_table(ptd);
        }
        if (err >= 0)
            err = put_u32(psess, t, ids[OL_FLAGS], flags);
        /* JET_ObjInfoList: the counts JET_ObjInfo reports for the table
         * (isam_table_stats, through a read-only cursor of its own); ListNoStats: 0 */
        uint32_t stats[2] = { 0, 0 };
        JET_TABLEID ts;
        if (err >= 0 && fStats) {
            err = isam_open_table(psess, dbid, p, JET_bitTableReadOnly, &ts);
            if (err >= 0) {
                err = isam_table_stats(psess, ts, &stats[0], &stats[1]);
                JET_ERR e = isam_close_table(psess, ts);
                if (err >= 0)
                    err = e;
            } else if (err == JET_errObjectNotFound) {
                err = JET_errSuccess; /* deleted since the names were read: no counts */
            }
        }
        for (int k = OL_CRECORD; k <= OL_CPAGE && err >= 0; k++)
            err = put_u32(psess, t, ids[k], stats[k - OL_CRECORD]);
        if (err >= 0)
            err = isam_update(psess, t, NULL, 0, NULL);
        crec++;
    }
    os_free(names);
    err = list_finish(psess, t, err);
    if (err < 0)
        return err;
    memset(pol, 0, sizeof(*pol));
    pol->cbStruct = sizeof(*pol);
    pol->tableid = t;
    pol->cRecord = crec;
    pol->columnidcontainername = ids[OL_CONTAINER];
    pol->columnidobjectname = ids[OL_NAME];
    pol->columnidobjtyp = ids[OL_OBJTYP];
    pol->columniddtCreate = ids[OL_CREATE];
    pol->columniddtUpdate = ids[OL_UPDATE];
    pol->columnidgrbit = ids[OL_GRBIT];
    pol->columnidflags = ids[OL_FLAGS];
    pol->columnidcRecord = ids[OL_CRECORD];
    pol->columnidcPage = ids[OL_CPAGE];
    return JET_errSuccess;
}
