/*
 * view.c -- bt_page_view_of / bt_page_view_node: a data page image decoded as
 * this layer reads it, and bt_log_describe: what one of this layer's log
 * records is about, for read-only inspection (csrc/api/inspect.c).
 *
 * Owns: nothing on disk; pure functions over bytes it is given.  They use the
 * same layout code as the tree (page.c's bt_pg_check and bt_pg_node), so an
 * inspection tool sees a page exactly as the engine would.
 * Must not touch: caches, files, the log.
 *
 * Invariant V-1: bt_page_view_node hands out node pointers only for a page
 * that passes bt_pg_check, so every pointer lies inside the page.
 */
#include "btree_int.h"

void bt_page_view_of(const uint8_t *pg, uint32_t cbPage, bt_page_view *pview)
{
    memset(pview, 0, sizeof(*pview));
    uint32_t flags = pg_flags(pg);
    pview->objid = pg_objid(pg);
    pview->flags = flags;
    pview->prev = pg_prev(pg);
    pview->next = pg_next(pg);
    pview->fLeaf = (flags & BTP_LEAF) != 0;
    pview->fInternal = (flags & BTP_INTERNAL) != 0;
    pview->fRoot = (flags & BTP_ROOT) != 0;
    pview->fSpace = (flags & BTP_SPACE) != 0;
    pview->fFree = (flags & BTP_FREE) != 0;
    pview->cslot = pg_cslot(pg);
    pview->ibHeap = pg_ibheap(pg);
    pview->cbFrag = pg_cbfrag(pg);
    pview->level = pg_level(pg);
    if (pview->fSpace && cbPage >= BTS_END) {
        pview->cpgOwned = le_get32(pg + BTS_OFF_OWNED);
        pview->pgnoHwm = le_get32(pg + BTS_OFF_HWM);
        pview->pgnoFree = le_get32(pg + BTS_OFF_FREE);
        pview->cpgFree = le_get32(pg + BTS_OFF_CFREE);
        pview->fSpaceMagic = le_get32(pg + BTS_OFF_MAGIC) == BT_SPACE_MAGIC;
    }
    if ((pview->fLeaf || pview->fInternal) && bt_pg_check(pg, cbPage) == 0) {
        pview->fLayoutOk = 1;
        pview->cbUsed = bt_pg_used(pg, cbPage);   /* the key prefix included */
    }
}

JET_ERR bt_page_view_node(const uint8_t *pg, uint32_t cbPage, uint32_t i, const uint8_t **ppbPrefix,
                          uint32_t *pcbPrefix, const uint8_t **ppbKey, uint32_t *pcbKey, const uint8_t **ppbData,
                          uint32_t *pcbData, uint32_t *pflags)
{
    uint32_t flags = pg_flags(pg);
    if (!(flags & (BTP_LEAF | BTP_INTERNAL)) || bt_pg_check(pg, cbPage) != 0)
        return JET_errDatabaseCorrupted;
    if (i >= pg_cslot(pg))
        return JET_errInvalidParameter;
    bt_node n;
    bt_pg_node(pg, cbPage, i, &n);
    *ppbPrefix = n.pfx;
    *pcbPrefix = n.cbPfx;
    *ppbKey = n.sfx;
    *pcbKey = n.cbSfx;
    *ppbData = n.data;
    *pcbData = n.cbData;
    *pflags = n.flags;
    return JET_errSuccess;
}

int bt_log_describe(uint8_t type, const uint8_t *pv, uint32_t cb, uint32_t *pdbid, uint32_t *ppgno)
{
    if (type < LOG_REC_BT_FIRST || type > LOG_REC_BT_LAST || pv == NULL)
        return 0;
    if (type == LOG_REC_BT_SMOEND) {
        if (cb < 4)
            return 0;
        *pdbid = le_get32(pv);
        *ppgno = 0;
        return 1;
    }
    if (cb < 8)
        return 0;
    *pdbid = le_get32(pv);     /* every page record: u32 dbid, u32 pgno first (btree_int.h) */
    *ppgno = le_get32(pv + 4);
    return 1;
}
