/*
 * template.c -- template tables and fixed DDL (JET_TABLECREATE grbits
 * JET_bitTableCreateTemplateTable / JET_bitTableCreateFixedDDL and
 * szTemplateTableName): a derived table's inheritance of its template's
 * columns and indexes, the table flags kept in the catalog's table row
 * (table_def.tflags, szTemplate), and the checks that refuse DDL on fixed
 * tables and on inherited schema.
 *
 * Owns: the meaning of ISAM_TF_* and table_def.szTemplate.
 * Must not touch: record and page formats, the catalog's byte layout
 * (catalog.c writes the flags and the name), index maintenance (index.c).
 *
 * Inheritance copies the template's schema into the derived table when it
 * is created, as DDL of the caller's transaction: the columns in column-id
 * order (an empty new table hands out the same ids), then the primary index,
 * then the secondary indexes with their conditional columns.  So the
 * derived table's column and index info report the template's columns and
 * indexes.  Invariants:
 *   TP1. A template table is always fixed DDL (ESENT's rule); a derived table
 *        has exactly one template, itself not derived (no nesting).
 *   TP2. Fixed DDL: adding a column or an index needs a cursor opened with
 *        JET_bitTablePermitDDL (a template then takes only tagged and long
 *        columns); deleting one is always JET_errFixedDDL.  The permission
 *        is the cursor's own: JetDupCursor does not copy it (ESENT copies
 *        only whether the cursor may update).
 *   TP3. A derived table may not delete a column or an index its template
 *        has (JET_errFixedInheritedDDL): the template's schema is fixed
 *        (TP1), so the names it had at creation are the names it has.
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

JET_ERR isam_inherit_template(isam_sess *psess, JET_TABLEID tableid, const char *szTemplate)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    table_def *ptpl = NULL;
    JET_ERR err = cat_load_table(psess, pcur->db, szTemplate, &ptpl);
    if (err < 0)
        return err;
    if (!(ptpl->tflags & ISAM_TF_TEMPLATE)) {
        cat_free_table(ptpl);
        return JET_errDDLNotInheritable;
    }
    /* columns in id order */
    uint32_t *order, cOrder;
    err = col_order_by_id(ptpl, &order, &cOrder);
    for (uint32_t n = 0; n < cOrder && err >= 0; n++) {
        const col_info *pnext = &ptpl->cols[order[n]];
        if (pnext->rc.coltyp == JET_coltypNil)
            continue; /* a deleted column's tombstone */
        JET_COLUMNDEF cd;
        memset(&cd, 0, sizeof(cd));
        cd.cbStruct = sizeof(cd);
        cd.coltyp = pnext->rc.coltyp;
        cd.cbMax = pnext->rc.cbMax;
        cd.grbit = pnext->rc.grbit;
        cd.cp = pnext->rc.cp;
        JET_COLUMNID id;
        JET_USERDEFINEDDEFAULT udd;
        const void *pvDefault = pnext->pbDefault;
        uint32_t cbDefault = pnext->cbDefault;
        if (pnext->pbUdd) { /* table.c UD1 */
            col_udd_struct(pnext, &udd);
            pvDefault = &udd;
            cbDefault = sizeof(udd);
        }
        err = isam_add_column(psess, tableid, pnext->name, &cd, pvDefault, cbDefault, &id);
    }
    os_free(order);
    if (err >= 0 && ptpl->cseg > 0)
        err = idx_create_like(psess, tableid, ptpl, ptpl->idxName, ptpl->idxGrbit | JET_bitIndexPrimary, ptpl->segs,
                        ptpl->cseg, ptpl->cbKeyMost, NULL);
    for (uint32_t i = 0; i < ptpl->cidx && err >= 0; i++)
        if (ptpl->idxs[i].fNavigable)
            err = idx_create_like(psess, tableid, ptpl, ptpl->idxs[i].name, ptpl->idxs[i].grbit, ptpl->idxs[i].segs,
                            ptpl->idxs[i].cseg, ptpl->idxs[i].cbKeyMost, &ptpl->idxs[i]);
    cat_free_table(ptpl);
    return err;
}

JET_ERR isam_set_table_ddl(isam_sess *psess, JET_TABLEID tableid, JET_GRBIT grbit, const char *szTemplate)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    uint32_t tflags = (grbit & JET_bitTableCreateFixedDDL) ? ISAM_TF_FIXEDDDL : 0;
    if (grbit & JET_bitTableCreateTemplateTable)
        tflags |= ISAM_TF_TEMPLATE | ISAM_TF_FIXEDDDL; /* TP1 */
    table_def *ptd = pcur->td;
    uint32_t old = ptd->tflags;
    char oldName[JET_cbNameMost + 1];
    memcpy(oldName, ptd->szTemplate, sizeof(oldName));
    ptd->tflags = tflags | (szTemplate ? ISAM_TF_DERIVED : 0);
    if (szTemplate)
        snprintf(ptd->szTemplate, sizeof(ptd->szTemplate), "%s", szTemplate);
    int fAuto;
    JET_ERR err = trx_auto_begin(psess, &fAuto);
    if (err >= 0)
        err = cat_update_table(psess, pcur->db, ptd);
    err = trx_auto_end(psess, fAuto, err);
    if (err < 0) {
        ptd->tflags = old;
        memcpy(ptd->szTemplate, oldName, sizeof(oldName));
    }
    return err;
}

uint32_t tpl_object_flags(const table_def *ptd)
{
    return ((ptd->tflags & ISAM_TF_FIXEDDDL) ? JET_bitObjectTableFixedDDL : 0) |
           ((ptd->tflags & ISAM_TF_TEMPLATE) ? JET_bitObjectTableTemplate : 0) |
           ((ptd->tflags & ISAM_TF_DERIVED) ? JET_bitObjectTableDerived : 0);
}

JET_ERR tpl_check_add(const isam_cursor *pcur, const JET_COLUMNDEF *pdef)
{
    const table_def *ptd = pcur->td;
    if (!(ptd->tflags & ISAM_TF_FIXEDDDL))
        return JET_errSuccess;
    if (!pcur->fPermitDDL)
        return JET_errFixedDDL; /* TP2 */
    if (pdef && (ptd->tflags & ISAM_TF_TEMPLATE) && !(pdef->grbit & JET_bitColumnTagged) &&
        pdef->coltyp != JET_coltypLongText && pdef->coltyp != JET_coltypLongBinary)
        return JET_errFixedDDL;
    return JET_errSuccess;
}

JET_ERR tpl_check_delete(isam_sess *psess, const isam_cursor *pcur, const char *szColumn, const char *szIndex)
{
    table_def *ptd = pcur->td;
    if (ptd->tflags & ISAM_TF_FIXEDDDL)
        return JET_errFixedDDL; /* TP2 */
    if (!(ptd->tflags & ISAM_TF_DERIVED))
        return JET_errSuccess;
    table_def *ptpl = NULL;
    JET_ERR err = cat_load_table(psess, pcur->db, ptd->szTemplate, &ptpl);
    if (err == JET_errObjectNotFound)
        return JET_errSuccess; /* the template is gone: nothing is inherited any more */
    if (err < 0)
        return err;
    int fInherited = 0;
    if (szColumn)
        fInherited = col_by_name(ptpl, szColumn) != NULL;
    if (szIndex) {
        char a[JET_cbNameMost + 1], b[JET_cbNameMost + 1];
        fInherited = idx_by_name_any(ptpl, szIndex) != NULL ||
                     (ptpl->cseg && cat_name_fold(szIndex, a) && cat_name_fold(ptpl->idxName, b) && strcmp(a, b) == 0);
    }
    cat_free_table(ptpl);
    return fInherited ? JET_errFixedInheritedDDL : JET_errSuccess; /* TP3 */
}
