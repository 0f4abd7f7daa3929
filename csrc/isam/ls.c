/*
 * ls.c -- local storage (JetSetLS / JetGetLS): one application context per
 * cursor and one per table, released through the runtime callback
 * (JET_cbtypFreeCursorLS / JET_cbtypFreeTableLS) when the cursor closes /
 * when the table's last cursor closes.
 *
 * Owns: isam_cursor's ls fields and isam_inst.lsTables.  Must not touch:
 * cursors otherwise (cursor.c calls ls_cursor_closing from cursor_free),
 * which callback to use (the api layer passes the runtime callback it has
 * when the context is set).
 *
 * Invariants:
 *   LS1. A context is released exactly once: its callback is called by the
 *        thread that takes it out of its cursor or of lsTables (under
 *        inst.lock for the table list), after the lock is let go; JetGetLS
 *        with JET_bitLSReset and JetSetLS with JET_bitLSReset take it out
 *        without a callback (the application has it back).
 *   LS2. A table's context lives while some cursor is open on the table: it
 *        is set through an open cursor, and the closing of the last one
 *        (reclaim.c's count of open cursors per table) releases it.
 */
#include "isam_int.h"

struct ls_table {
    uint32_t     dbid, objid;
    JET_API_PTR  ls;
    JET_CALLBACK pfn;
    JET_SESID    sesid;
    JET_TABLEID  tableid;
    struct ls_table *next;
};

static struct ls_table **table_find_locked(isam_inst *pinst, uint32_t dbid, uint32_t objid)
{
    os_mutex_assert_held(&pinst->lock);
    struct ls_table **pp = &pinst->lsTables;
    while (*pp && ((*pp)->dbid != dbid || (*pp)->objid != objid))
        pp = &(*pp)->next;
    return pp;
}

JET_ERR isam_set_ls(isam_sess *psess, JET_TABLEID tableid, JET_API_PTR ls, JET_GRBIT grbit, JET_CALLBACK pfn,
                    JET_SESID sesid)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    int fReset = (grbit & JET_bitLSReset) != 0;
    if (!fReset && pfn == NULL)
        return JET_errLSCallbackNotSpecified;
    if (!(grbit & JET_bitLSTable)) {
        if (fReset) {
            pcur->fLs = 0;   /* LS1: no callback */
            return JET_errSuccess;
        }
        if (pcur->fLs)
            return JET_errLSAlreadySet;
        pcur->ls = ls;
        pcur->pfnLs = pfn;
        pcur->sesidLs = sesid;
        pcur->tableidLs = tableid;
        pcur->fLs = 1;
        return JET_errSuccess;
    }
    isam_inst *pinst = psess->inst;
    struct ls_table *pnew = fReset ? NULL : os_calloc(1, sizeof(*pnew));
    if (!fReset && pnew == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = JET_errSuccess;
    os_mutex_lock(&pinst->lock);
    struct ls_table **pp = table_find_locked(pinst, pcur->db->dbid, pcur->td->objid), *pold = NULL;
    if (fReset) {
        pold = *pp;
        if (pold)
            *pp = pold->next;
    } else if (*pp != NULL) {
        err = JET_errLSAlreadySet;
    } else {
        *pnew = (struct ls_table){ pcur->db->dbid, pcur->td->objid, ls, pfn, sesid, tableid, NULL };
        *pp = pnew;
        pnew = NULL;
    }
    os_mutex_unlock(&pinst->lock);
    os_free(pnew);
    os_free(pold);
    return err;
}

JET_ERR isam_get_ls(isam_sess *psess, JET_TABLEID tableid, JET_API_PTR *pls, JET_GRBIT grbit)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    int fReset = (grbit & JET_bitLSReset) != 0;
    if (!(grbit & JET_bitLSTable)) {
        if (!pcur->fLs) {
            *pls = JET_LSNil;
            return JET_errLSNotSet;
        }
        *pls = pcur->ls;
        if (fReset)
            pcur->fLs = 0;   /* LS1: the caller has it back */
        return JET_errSuccess;
    }
    isam_inst *pinst = psess->inst;
    struct ls_table *pold = NULL;
    JET_ERR err = JET_errSuccess;
    os_mutex_lock(&pinst->lock);
    struct ls_table **pp = table_find_locked(pinst, pcur->db->dbid, pcur->td->objid);
    if (*pp == NULL) {
        *pls = JET_LSNil;
        err = JET_errLSNotSet;
    } else {
        *pls = (*pp)->ls;
        if (fReset) {
            pold = *pp;
            *pp = pold->next;
        }
    }
    os_mutex_unlock(&pinst->lock);
    os_free(pold);
    return err;
}

void ls_cursor_closing(isam_inst *pinst, isam_cursor *pcur)
{
    if (pcur->fLs) {
        pcur->fLs = 0;
        (void)pcur->pfnLs(pcur->sesidLs, pcur->db->dbid, pcur->tableidLs, JET_cbtypFreeCursorLS,
                          (void *)pcur->ls, NULL, NULL, 0);   /* LS1 */
    }
    struct ls_table *pold = NULL;
    os_mutex_lock(&pinst->lock);
    if (pinst->lsTables != NULL && reclaim_table_cursors_locked(pinst, pcur->db->dbid, pcur->td->objid) <= 1) {
        struct ls_table **pp = table_find_locked(pinst, pcur->db->dbid, pcur->td->objid);
        pold = *pp;
        if (pold)
            *pp = pold->next;   /* LS2: the last cursor on the table closes */
    }
    os_mutex_unlock(&pinst->lock);
    if (pold) {
        (void)pold->pfn(pold->sesid, pold->dbid, pold->tableid, JET_cbtypFreeTableLS, (void *)pold->ls, NULL, NULL, 0);
        os_free(pold);
    }
}

void ls_free_all(isam_inst *pinst)
{
    for (;;) {
        os_mutex_lock(&pinst->lock);
        struct ls_table *p = pinst->lsTables;
        if (p)
            pinst->lsTables = p->next;
        os_mutex_unlock(&pinst->lock);
        if (p == NULL)
            return;
        (void)p->pfn(p->sesid, p->dbid, p->tableid, JET_cbtypFreeTableLS, (void *)p->ls, NULL, NULL, 0);
        os_free(p);
    }
}
