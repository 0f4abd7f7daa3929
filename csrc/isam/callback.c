/*
 * callback.c -- table callbacks (JetRegisterCallback / JetUnregisterCallback):
 * the registrations of one session, and the list of those a record change
 * must call.
 *
 * Owns: isam_sess.cbregs (registrations: database, table objid, cbtyp mask,
 * function, context, handle).  Only the session's own thread touches them
 * (the API layer keeps one call per session), so no lock guards them.
 * Must not touch: records, cursors' positions, the catalog.  It never calls
 * a callback: isam_callbacks copies the matching ones out and the API layer
 * calls them with no engine lock held and the session free (a callback may
 * use the session; docs/architecture.md lock order).
 *
 * Invariant CB1: handles are unique in the session (1, 2, ... never reused),
 * so a stale handle is JET_errInvalidParameter, never another registration.
 *
 * CB2: a table's own callback (JET_TABLECREATE2+ szCallback / cbtyp) is kept
 * in its catalog row (catalog.c) and called for every session's cursors on
 * the table, before the session's registrations.  Its name is ESENT's
 * "library!function" (os_dl_symbol: the library is dlopen'ed; a bare name
 * is a function of the process) and is resolved when the table is created
 * (JET_errCallbackNotResolved refuses the creation) and again, once per
 * cursor, by the first update that needs it (JET_errCallbackNotResolved
 * fails that update).  Its context is NULL.
 */
#include "isam_int.h"

#include <stdio.h>
#include <string.h>

JET_ERR isam_register_callback(isam_sess *psess, JET_TABLEID tableid, JET_CBTYP cbtyp, JET_CALLBACK pfn,
                               void *pvContext, JET_HANDLE *ph)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (cbtyp == JET_cbtypNull || pfn == NULL || ph == NULL)
        return JET_errInvalidParameter;
    if (psess->ccbregs == psess->ccbregsCap) {
        uint32_t cap = psess->ccbregsCap ? psess->ccbregsCap * 2 : 4;
        isam_cb_reg *p = os_realloc(psess->cbregs, cap * sizeof(*p));
        if (p == NULL)
            return JET_errOutOfMemory;
        psess->cbregs = p;
        psess->ccbregsCap = cap;
    }
    isam_cb_reg *r = &psess->cbregs[psess->ccbregs++];
    r->db = pcur->db;
    r->objid = pcur->td->objid;
    r->cbtyp = cbtyp;
    r->pfn = pfn;
    r->pvContext = pvContext;
    r->h = ++psess->cbLast;
    *ph = r->h;
    return JET_errSuccess;
}

JET_ERR isam_unregister_callback(isam_sess *psess, JET_TABLEID tableid, JET_CBTYP cbtyp, JET_HANDLE h)
{
    (void)cbtyp; /* the registration knows its types (as ESENT) */
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    for (uint32_t i = 0; i < psess->ccbregs; i++) {
        isam_cb_reg *r = &psess->cbregs[i];
        if (r->h == h && r->db == pcur->db && r->objid == pcur->td->objid) {
            memmove(r, r + 1, (psess->ccbregs - i - 1) * sizeof(*r));
            psess->ccbregs--;
            return JET_errSuccess;
        }
    }
    return JET_errInvalidParameter;
}

JET_ERR isam_set_table_callback(isam_sess *psess, JET_TABLEID tableid, JET_CBTYP cbtyp, const char *szCallback)
{
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL)
        return JET_errInvalidTableId;
    if (szCallback == NULL || cbtyp == JET_cbtypNull || strlen(szCallback) > ISAM_CB_NAME_MAX)
        return JET_errInvalidParameter;
    void *pfn = NULL;
    JET_ERR err = os_dl_symbol(szCallback, &pfn); /* CB2 */
    if (err < 0)
        return err;
    table_def *ptd = pcur->td;
    ptd->cbtypTable = cbtyp;
    snprintf(ptd->szCallback, sizeof(ptd->szCallback), "%s", szCallback);
    ptd->pfnTable = (JET_CALLBACK)pfn;
    int fAuto;
    err = trx_auto_begin(psess, &fAuto);
    if (err >= 0)
        err = cat_update_table(psess, pcur->db, ptd);
    err = trx_auto_end(psess, fAuto, err);
    if (err < 0) {
        ptd->cbtypTable = 0;
        ptd->szCallback[0] = '\0';
        ptd->pfnTable = NULL;
    }
    return err;
}

JET_ERR isam_callbacks(isam_sess *psess, JET_TABLEID tableid, int fDelete, isam_cb_list *pl)
{
    memset(pl, 0, sizeof(*pl));
    isam_cursor *pcur = cursor_get(psess, tableid);
    if (pcur == NULL || (psess->ccbregs == 0 && pcur->td->cbtypTable == 0))
        return JET_errSuccess; /* the operation itself reports a bad tableid */
    if (fDelete) {
        pl->before = JET_cbtypBeforeDelete;
        pl->after = JET_cbtypAfterDelete;
    } else if (pcur->prep == JET_prepReplace || pcur->prep == JET_prepReplaceNoLock) {
        pl->before = JET_cbtypBeforeReplace;
        pl->after = JET_cbtypAfterReplace;
    } else if (pcur->prep != JET_prepCancel) {
        pl->before = JET_cbtypBeforeInsert;
        pl->after = JET_cbtypAfterInsert;
    } else {
        return JET_errSuccess; /* nothing prepared: JetUpdate fails before any change */
    }
    table_def *ptd = pcur->td;
    int fTable = (ptd->cbtypTable & (pl->before | pl->after)) != 0;
    if (fTable && ptd->pfnTable == NULL) {
        void *pfn = NULL;
        JET_ERR err = os_dl_symbol(ptd->szCallback, &pfn); /* CB2 */
        if (err < 0)
            return err;
        ptd->pfnTable = (JET_CALLBACK)pfn;
    }
    uint32_t n = fTable ? 1 : 0;
    for (uint32_t i = 0; i < psess->ccbregs; i++) {
        const isam_cb_reg *r = &psess->cbregs[i];
        if (r->db == pcur->db && r->objid == pcur->td->objid && (r->cbtyp & (pl->before | pl->after)))
            n++;
    }
    if (n == 0)
        return JET_errSuccess;
    pl->regs = os_malloc(n * sizeof(*pl->regs));
    if (pl->regs == NULL)
        return JET_errOutOfMemory;
    if (fTable) {
        isam_cb_reg *r = &pl->regs[pl->c++];
        memset(r, 0, sizeof(*r));
        r->db = pcur->db;
        r->objid = ptd->objid;
        r->cbtyp = ptd->cbtypTable;
        r->pfn = ptd->pfnTable;
    }
    for (uint32_t i = 0; i < psess->ccbregs; i++) {
        const isam_cb_reg *r = &psess->cbregs[i];
        if (r->db == pcur->db && r->objid == pcur->td->objid && (r->cbtyp & (pl->before | pl->after)))
            pl->regs[pl->c++] = *r;
    }
    pl->dbid = pcur->db->dbid;
    return JET_errSuccess;
}

void isam_callbacks_free(isam_cb_list *pl)
{
    os_free(pl->regs);
    memset(pl, 0, sizeof(*pl));
}

void cb_free_session(isam_sess *psess)
{
    os_free(psess->cbregs);
    psess->cbregs = NULL;
    psess->ccbregs = psess->ccbregsCap = 0;
}
