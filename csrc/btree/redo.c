/*
 * redo.c -- this layer's log records: building them (bt_log_*), stamping the
 * page they describe, and applying them again during replay (bt_redo).
 *
 * Owns: the payload layouts of LOG_REC_BT_* (tabled in btree_int.h) and the
 * redo rule: a record is applied to a page only if the page's lsn is older
 * than the record's (idempotent replay).
 * Must not touch: the log's framing and files (records go through
 * bt_env.log), which records to replay and in what order (the recovery
 * driver's business), tree shape (records name one page each).
 */
#include "btree_int.h"

/* ---- logging ------------------------------------------------------------- */

static JET_ERR append(const bt_env *env, uint8_t type, const log_part *parts, uint32_t cpart, lsn_t *plsn)
{
    if (env->log == NULL) {
        *plsn = LSN_NIL;
        return JET_errSuccess;
    }
    return env->log(env->logctx, type, parts, cpart, plsn);
}

void bt_stamp(const bt_env *env, bf *pbf, lsn_t lsn)
{
    if (env->log != NULL)
        cache_dirty(pbf, lsn);
    else
        cache_dirty_unlogged(pbf);
}

JET_ERR bt_log_image(const bt_env *env, bf *pbf)
{
    uint32_t cbPage = cache_page_size(env->pc), cbHead, cbTail;
    const uint8_t *pg = bf_data(pbf);
    bt_pg_used_ranges(pg, cbPage, &cbHead, &cbTail);
    uint8_t hdr[BTL_IMAGE_HDR];
    bt_put32(hdr, env->dbid);
    bt_put32(hdr + 4, bf_pgno(pbf));
    bt_put32(hdr + 8, cbHead);
    bt_put32(hdr + 12, cbTail);
    log_part parts[3] = { { hdr, sizeof hdr }, { pg, cbHead }, { pg + cbPage - cbTail, cbTail } };
    lsn_t lsn;
    JET_ERR err = append(env, LOG_REC_BT_PAGEIMAGE, parts, 3, &lsn);
    if (err >= 0)
        bt_stamp(env, pbf, lsn);
    return err;
}

JET_ERR bt_log_insert(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, const void *data,
                      uint32_t cbData, uint32_t flags, lsn_t *plsn)
{
    uint8_t hdr[BTL_INSERT_HDR];
    bt_put32(hdr, env->dbid);
    bt_put32(hdr + 4, pgno);
    bt_put16(hdr + 8, flags);
    bt_put16(hdr + 10, cbKey);
    bt_put16(hdr + 12, cbData);
    log_part parts[3] = { { hdr, sizeof hdr }, { key, cbKey }, { data, cbData } };
    return append(env, LOG_REC_BT_INSERT, parts, 3, plsn);
}

JET_ERR bt_log_delete(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, lsn_t *plsn)
{
    uint8_t hdr[BTL_DELETE_HDR];
    bt_put32(hdr, env->dbid);
    bt_put32(hdr + 4, pgno);
    bt_put16(hdr + 8, cbKey);
    log_part parts[2] = { { hdr, sizeof hdr }, { key, cbKey } };
    return append(env, LOG_REC_BT_DELETE, parts, 2, plsn);
}

JET_ERR bt_log_replace(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, const void *data,
                       uint32_t cbData, lsn_t *plsn)
{
    uint8_t hdr[BTL_REPLACE_HDR];
    bt_put32(hdr, env->dbid);
    bt_put32(hdr + 4, pgno);
    bt_put16(hdr + 8, cbKey);
    bt_put16(hdr + 10, cbData);
    log_part parts[3] = { { hdr, sizeof hdr }, { key, cbKey }, { data, cbData } };
    return append(env, LOG_REC_BT_REPLACE, parts, 3, plsn);
}

JET_ERR bt_log_setflags(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, uint32_t flags,
                        lsn_t *plsn)
{
    uint8_t hdr[BTL_SETFLAGS_HDR];
    bt_put32(hdr, env->dbid);
    bt_put32(hdr + 4, pgno);
    bt_put16(hdr + 8, flags);
    bt_put16(hdr + 10, cbKey);
    log_part parts[2] = { { hdr, sizeof hdr }, { key, cbKey } };
    return append(env, LOG_REC_BT_SETFLAGS, parts, 2, plsn);
}

/* ---- redo ------------------------------------------------------------------ */

uint32_t bt_redo_dbid(const uint8_t *pv, uint32_t cb)
{
    return cb >= 4 ? bt_get32(pv) : 0;
}

/* A decoded record operation. */
typedef struct redo_op {
    uint32_t       flags;
    const uint8_t *key, *data;
    uint32_t       cbKey, cbData;
} redo_op;

static JET_ERR decode_op(uint8_t type, const uint8_t *pv, uint32_t cb, redo_op *op)
{
    memset(op, 0, sizeof *op);
    uint32_t cbHdr;
    switch (type) {
    case LOG_REC_BT_INSERT:
        if (cb < BTL_INSERT_HDR)
            return JET_errLogCorrupted;
        op->flags = bt_get16(pv + 8);
        op->cbKey = bt_get16(pv + 10);
        op->cbData = bt_get16(pv + 12);
        cbHdr = BTL_INSERT_HDR;
        break;
    case LOG_REC_BT_DELETE:
        if (cb < BTL_DELETE_HDR)
            return JET_errLogCorrupted;
        op->cbKey = bt_get16(pv + 8);
        cbHdr = BTL_DELETE_HDR;
        break;
    case LOG_REC_BT_REPLACE:
        if (cb < BTL_REPLACE_HDR)
            return JET_errLogCorrupted;
        op->cbKey = bt_get16(pv + 8);
        op->cbData = bt_get16(pv + 10);
        cbHdr = BTL_REPLACE_HDR;
        break;
    case LOG_REC_BT_SETFLAGS:
        if (cb < BTL_SETFLAGS_HDR)
            return JET_errLogCorrupted;
        op->flags = bt_get16(pv + 8);
        op->cbKey = bt_get16(pv + 10);
        cbHdr = BTL_SETFLAGS_HDR;
        break;
    default:
        return JET_errLogCorrupted;
    }
    if ((uint64_t)cbHdr + op->cbKey + op->cbData != cb)
        return JET_errLogCorrupted;
    op->key = pv + cbHdr;
    op->data = op->key + op->cbKey;
    return JET_errSuccess;
}

/* Apply a decoded record operation to a latched page (same functions as the
 * do path, so the result is byte for byte the same). */
static JET_ERR apply_op(uint8_t type, uint8_t *pg, uint32_t cbPage, const redo_op *op)
{
    JET_ERR err = JET_errSuccess;
    uint8_t *scratch = NULL;
    int found;
    if (bt_pg_check(pg, cbPage) != 0 || !pg_is_leaf(pg))
        return JET_errDatabaseCorrupted;
    uint32_t i = bt_pg_search(pg, cbPage, op->key, op->cbKey, &found);
    if (found != (type != LOG_REC_BT_INSERT))
        return JET_errDatabaseCorrupted;
    uint32_t cbNeed = 0;
    if (type == LOG_REC_BT_INSERT) {
        cbNeed = bt_node_size(op->cbKey, op->cbData);
        if (bt_pg_free(pg, cbPage) < cbNeed)
            return JET_errDatabaseCorrupted;
    } else if (type == LOG_REC_BT_REPLACE) {
        bt_node n;
        bt_pg_node(pg, cbPage, i, &n);
        if (bt_pg_free(pg, cbPage) + n.cbData < op->cbData)
            return JET_errDatabaseCorrupted;
        cbNeed = n.cbData == op->cbData ? 0 : bt_node_size(op->cbKey, op->cbData);
    }
    if (cbNeed && bt_pg_needs_compact(pg, cbPage, cbNeed) && (scratch = os_malloc(cbPage)) == NULL)
        return JET_errOutOfMemory;
    switch (type) {
    case LOG_REC_BT_INSERT:
        bt_pg_insert(pg, cbPage, i, op->key, op->cbKey, op->data, op->cbData, op->flags, scratch);
        break;
    case LOG_REC_BT_DELETE:
        bt_pg_delete(pg, cbPage, i);
        break;
    case LOG_REC_BT_REPLACE:
        bt_pg_replace(pg, cbPage, i, op->data, op->cbData, scratch);
        break;
    default:
        bt_pg_setflags(pg, cbPage, i, op->flags);
        break;
    }
    os_free(scratch);
    return err;
}

static JET_ERR redo_image(cache *pc, uint32_t dbid, uint32_t pgno, const uint8_t *pv, uint32_t cb, lsn_t lsn)
{
    uint32_t cbPage = cache_page_size(pc);
    uint32_t cbHead = bt_get32(pv + 8), cbTail = bt_get32(pv + 12);
    if ((uint64_t)BTL_IMAGE_HDR + cbHead + cbTail != cb || (uint64_t)cbHead + cbTail > cbPage ||
        cbHead < PAGE_HEADER_SIZE)
        return JET_errLogCorrupted;
    bf *pbf = NULL;
    JET_ERR err = cache_read(pc, dbid, pgno, LATCH_EXCLUSIVE, &pbf);
    if (err == JET_errPageNotInitialized || err == JET_errFileIOBeyondEOF || err == JET_errReadVerifyFailure)
        err = cache_new(pc, dbid, pgno, &pbf);   /* the image defines the whole page */
    if (err < 0)
        return err;
    if (bf_lsn(pbf) < lsn) {
        uint8_t *pg = bf_data(pbf);
        const uint8_t *head = pv + BTL_IMAGE_HDR;
        /* crc, pgno and lsn are the cache's: copy from the objid on. */
        memcpy(pg + PAGE_OFF_OBJID, head + PAGE_OFF_OBJID, cbHead - PAGE_OFF_OBJID);
        memset(pg + cbHead, 0, cbPage - cbHead - cbTail);
        memcpy(pg + cbPage - cbTail, head + cbHead, cbTail);
        cache_dirty(pbf, lsn);
    }
    cache_release(pbf);
    return JET_errSuccess;
}

JET_ERR bt_redo(cache *pc, uint8_t type, const uint8_t *pv, uint32_t cb, lsn_t lsn)
{
    if (cb < 8 || type < LOG_REC_BT_FIRST || type > LOG_REC_BT_LAST)
        return JET_errLogCorrupted;
    uint32_t dbid = bt_get32(pv), pgno = bt_get32(pv + 4);
    if (type == LOG_REC_BT_PAGEIMAGE) {
        if (cb < BTL_IMAGE_HDR)
            return JET_errLogCorrupted;
        return redo_image(pc, dbid, pgno, pv, cb, lsn);
    }
    redo_op op;
    JET_ERR err = decode_op(type, pv, cb, &op);
    if (err < 0)
        return err;
    bf *pbf = NULL;
    err = cache_read(pc, dbid, pgno, LATCH_EXCLUSIVE, &pbf);
    if (err < 0)
        return err;
    if (bf_lsn(pbf) < lsn) {
        err = apply_op(type, bf_data(pbf), cache_page_size(pc), &op);
        if (err >= 0)
            cache_dirty(pbf, lsn);
    }
    cache_release(pbf);
    return err;
}
