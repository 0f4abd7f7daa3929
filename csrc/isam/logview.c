/*
 * logview.c -- isam_log_describe: what one of this layer's log records (or a
 * btree record, through bt_log_describe) is about, for read-only inspection
 * of log files (csrc/api/inspect.c).
 *
 * Owns: nothing; a pure reading of the payload layouts documented at the top
 * of isam_int.h.  Must not touch: files, instances, the version store.
 */
#include <string.h>

#include "isam_int.h"
#include "le.h"

/* DBCREATE / DBATTACH: u32 dbid, u32 cbPage, SIGNATURE (28), u16 cbPath, path */
#define LV_DB_OFF_CBPATH 36
#define LV_DB_OFF_PATH   38

void isam_log_describe(uint8_t type, const uint8_t *pv, uint32_t cb, isam_log_view *pview)
{
    memset(pview, 0, sizeof(*pview));
    if (pv == NULL)
        return;
    switch (type) {
    case LOG_REC_ISAM_COMMIT:
    case LOG_REC_ISAM_ROLLBACK:
    case LOG_REC_ISAM_CLR:
    case LOG_REC_ISAM_DELTADONE:
        if (cb >= 8) {
            pview->fTrx = 1;
            pview->trx = le_get64(pv);
        }
        return;
    case LOG_REC_ISAM_UNDO:
        if (cb >= 16) {
            pview->fTrx = pview->fDbid = pview->fPgno = 1;
            pview->trx = le_get64(pv);
            pview->dbid = le_get32(pv + 8);
            pview->pgno = le_get32(pv + 12);
        }
        return;
    case LOG_REC_ISAM_DBCREATE:
    case LOG_REC_ISAM_DBATTACH:
        if (cb >= LV_DB_OFF_PATH) {
            uint32_t cbPath = le_get16(pv + LV_DB_OFF_CBPATH);
            if (cbPath > cb - LV_DB_OFF_PATH)
                cbPath = cb - LV_DB_OFF_PATH;
            if (cbPath > sizeof(pview->path) - 1)
                cbPath = sizeof(pview->path) - 1;
            memcpy(pview->path, pv + LV_DB_OFF_PATH, cbPath);
            pview->path[cbPath] = '\0';
        }
        if (cb >= 4) {
            pview->fDbid = 1;
            pview->dbid = le_get32(pv);
        }
        return;
    case LOG_REC_ISAM_TREEFREED:
        if (cb >= 8) {
            pview->fDbid = pview->fPgno = 1;
            pview->dbid = le_get32(pv);
            pview->pgno = le_get32(pv + 4);
        }
        return;
    case LOG_REC_ISAM_DBDETACH:
    case LOG_REC_ISAM_DBROOTS:
    case LOG_REC_ISAM_DBINCOMPAT:
        if (cb >= 4) {
            pview->fDbid = 1;
            pview->dbid = le_get32(pv);
        }
        return;
    default:
        if (bt_log_describe(type, pv, cb, &pview->dbid, &pview->pgno)) {
            pview->fDbid = 1;
            pview->fPgno = type != LOG_REC_BT_SMOEND;
        }
        if (type == LOG_REC_BT_INSERTU && cb >= 16 + UNDO_CLIENT_SIZE && le_get16(pv + 14) == UNDO_CLIENT_SIZE) {
            pview->fTrx = 1;   /* the UNDO it carries (isam_int.h) */
            pview->trx = le_get64(pv + 16);
        }
        return;
    }
}
