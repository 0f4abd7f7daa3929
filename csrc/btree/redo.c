/*
 * redo.c -- this layer's log records: building them (bt_log_*), stamping the
 * page they describe, and applying them again during replay (bt_redo).
 *
 * Owns: the payload layouts of LOG_REC_BT_* (tabled in btree_int.h) and the
 * redo rules: a record is applied to a page only if the page's lsn is older
 * than the record's (idempotent replay); the page images of a structure
 * change are applied only together, once its SMOEND has been read (A3), and
 * carry the SMOEND's lsn.
 * Must not touch: the log's framing and files (records go through
 * bt_env.log), which records to replay and in what order (the recovery
 * driver's business), tree shape (records name one page each; a change is a
 * set of pages, whatever they are).
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

JET_ERR bt_log_image(const bt_env *env, bf *pbf, lsn_t smoid, lsn_t *plsn)
{
    uint32_t cbPage = cache_page_size(env->pc), cbHead, cbTail;
    const uint8_t *pg = bf_data(pbf);
    bt_pg_used_ranges(pg, cbPage, &cbHead, &cbTail);
    uint8_t hdr[BTL_IMAGE_HDR];
    le_put32(hdr, env->dbid);
    le_put32(hdr + 4, bf_pgno(pbf));
    le_put32(hdr + 8, cbHead);
    le_put32(hdr + 12, cbTail);
    le_put64(hdr + 16, smoid);
    log_part parts[3] = { { hdr, sizeof hdr }, { pg, cbHead }, { pg + cbPage - cbTail, cbTail } };
    JET_ERR err = append(env, LOG_REC_BT_PAGEIMAGE, parts, 3, plsn);
    if (err >= 0)
        bt_stamp(env, pbf, *plsn);   /* A2: the recovery lsn is not younger than the image */
    return err;
}

/* Runs of bytes where `after` differs from `before` in [PAGE_OFF_OBJID,
 * cbPage), encoded as {u16 offset, u16 length, bytes} into out (at most cbMax
 * bytes).  Runs closer than a run header are joined.  Returns the encoded
 * length, or 0 when it would exceed cbMax (the image is smaller then). */
static uint32_t diff_runs(const uint8_t *before, const uint8_t *after, uint32_t cbPage, uint8_t *out, uint32_t cbMax)
{
    uint32_t cb = 0, i = PAGE_OFF_OBJID;
    for (;;) {
        /* Skip equal bytes, 8 at a time where possible. */
        while (i + 8 <= cbPage && memcmp(before + i, after + i, 8) == 0)
            i += 8;
        while (i < cbPage && before[i] == after[i])
            i++;
        if (i >= cbPage)
            return cb;
        uint32_t start = i, end = i + 1;   /* [start, end) differs at both ends */
        for (uint32_t j = end; j < cbPage && j - end <= BTL_DIFF_RUN; j++) {
            if (before[j] != after[j])
                end = j + 1;
        }
        uint32_t len = end - start;
        if (cb + BTL_DIFF_RUN + len > cbMax)
            return 0;
        le_put16(out + cb, start);
        le_put16(out + cb + 2, len);
        memcpy(out + cb + BTL_DIFF_RUN, after + start, len);
        cb += BTL_DIFF_RUN + len;
        i = end;
    }
}

JET_ERR bt_log_page(const bt_env *env, bf *pbf, const uint8_t *before, lsn_t smoid, uint8_t *scratch, lsn_t *plsn)
{
    uint32_t cbPage = cache_page_size(env->pc), cbHead, cbTail;
    const uint8_t *pg = bf_data(pbf);
    bt_pg_used_ranges(pg, cbPage, &cbHead, &cbTail);
    uint32_t cbRuns = diff_runs(before, pg, cbPage, scratch, cbHead + cbTail);
    if (cbRuns == 0)
        return bt_log_image(env, pbf, smoid, plsn);   /* no smaller (or no change at all) */
    uint8_t hdr[BTL_DIFF_HDR];
    le_put32(hdr, env->dbid);
    le_put32(hdr + 4, bf_pgno(pbf));
    le_put32(hdr + 8, os_crc32c(0, before + PAGE_OFF_OBJID, cbPage - PAGE_OFF_OBJID));
    le_put32(hdr + 12, os_crc32c(0, pg + PAGE_OFF_OBJID, cbPage - PAGE_OFF_OBJID));
    le_put64(hdr + 16, smoid);
    log_part parts[2] = { { hdr, sizeof hdr }, { scratch, cbRuns } };
    JET_ERR err = append(env, LOG_REC_BT_PAGEDIFF, parts, 2, plsn);
    if (err >= 0)
        bt_stamp(env, pbf, *plsn);   /* A2 */
    return err;
}

JET_ERR bt_log_smoend(const bt_env *env, lsn_t smoid, uint32_t cimages, lsn_t *plsn)
{
    uint8_t rec[BTL_SMOEND_SIZE];
    le_put32(rec, env->dbid);
    le_put32(rec + 4, cimages);
    le_put64(rec + 8, smoid);
    log_part part = { rec, sizeof rec };
    return append(env, LOG_REC_BT_SMOEND, &part, 1, plsn);
}

JET_ERR bt_log_insert(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, const void *data,
                      uint32_t cbData, uint32_t flags, lsn_t *plsn)
{
    uint8_t hdr[BTL_INSERT_HDR];
    le_put32(hdr, env->dbid);
    le_put32(hdr + 4, pgno);
    le_put16(hdr + 8, flags);
    le_put16(hdr + 10, cbKey);
    le_put16(hdr + 12, cbData);
    log_part parts[3] = { { hdr, sizeof hdr }, { key, cbKey }, { data, cbData } };
    return append(env, LOG_REC_BT_INSERT, parts, 3, plsn);
}

JET_ERR bt_log_insertu(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, const void *data,
                       uint32_t cbData, uint32_t flags, const void *pvClient, uint32_t cbClient, lsn_t *plsn)
{
    uint8_t hdr[BTL_INSERTU_HDR];
    le_put32(hdr, env->dbid);
    le_put32(hdr + 4, pgno);
    le_put16(hdr + 8, flags);
    le_put16(hdr + 10, cbKey);
    le_put16(hdr + 12, cbData);
    le_put16(hdr + 14, cbClient);
    log_part parts[4] = { { hdr, sizeof hdr }, { pvClient, cbClient }, { key, cbKey }, { data, cbData } };
    return append(env, LOG_REC_BT_INSERTU, parts, 4, plsn);
}

JET_ERR bt_log_delete(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, lsn_t *plsn)
{
    uint8_t hdr[BTL_DELETE_HDR];
    le_put32(hdr, env->dbid);
    le_put32(hdr + 4, pgno);
    le_put16(hdr + 8, cbKey);
    log_part parts[2] = { { hdr, sizeof hdr }, { key, cbKey } };
    return append(env, LOG_REC_BT_DELETE, parts, 2, plsn);
}

JET_ERR bt_log_replace(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, const void *data,
                       uint32_t cbData, lsn_t *plsn)
{
    uint8_t hdr[BTL_REPLACE_HDR];
    le_put32(hdr, env->dbid);
    le_put32(hdr + 4, pgno);
    le_put16(hdr + 8, cbKey);
    le_put16(hdr + 10, cbData);
    log_part parts[3] = { { hdr, sizeof hdr }, { key, cbKey }, { data, cbData } };
    return append(env, LOG_REC_BT_REPLACE, parts, 3, plsn);
}

JET_ERR bt_log_setflags(const bt_env *env, uint32_t pgno, const void *key, uint32_t cbKey, uint32_t flags,
                        lsn_t *plsn)
{
    uint8_t hdr[BTL_SETFLAGS_HDR];
    le_put32(hdr, env->dbid);
    le_put32(hdr + 4, pgno);
    le_put16(hdr + 8, flags);
    le_put16(hdr + 10, cbKey);
    log_part parts[2] = { { hdr, sizeof hdr }, { key, cbKey } };
    return append(env, LOG_REC_BT_SETFLAGS, parts, 2, plsn);
}

/* ---- redo ------------------------------------------------------------------ */

uint32_t bt_redo_dbid(const uint8_t *pv, uint32_t cb)
{
    return cb >= 4 ? le_get32(pv) : 0;
}

JET_ERR bt_insertu_parts(const uint8_t *pv, uint32_t cb, const uint8_t **ppvClient, uint32_t *pcbClient,
                         const uint8_t **pkey, uint32_t *pcbKey)
{
    if (cb < BTL_INSERTU_HDR)
        return JET_errLogCorrupted;
    uint32_t cbClient = le_get16(pv + 14), cbKey = le_get16(pv + 10), cbData = le_get16(pv + 12);
    if ((uint64_t)BTL_INSERTU_HDR + cbClient + cbKey + cbData != cb)
        return JET_errLogCorrupted;
    *ppvClient = pv + BTL_INSERTU_HDR;
    *pcbClient = cbClient;
    *pkey = pv + BTL_INSERTU_HDR + cbClient;
    *pcbKey = cbKey;
    return JET_errSuccess;
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
        op->flags = le_get16(pv + 8);
        op->cbKey = le_get16(pv + 10);
        op->cbData = le_get16(pv + 12);
        cbHdr = BTL_INSERT_HDR;
        break;
    case LOG_REC_BT_INSERTU:
        if (cb < BTL_INSERTU_HDR)
            return JET_errLogCorrupted;
        op->flags = le_get16(pv + 8);
        op->cbKey = le_get16(pv + 10);
        op->cbData = le_get16(pv + 12);
        cbHdr = BTL_INSERTU_HDR + le_get16(pv + 14);   /* the caller's bytes: not ours */
        break;
    case LOG_REC_BT_DELETE:
        if (cb < BTL_DELETE_HDR)
            return JET_errLogCorrupted;
        op->cbKey = le_get16(pv + 8);
        cbHdr = BTL_DELETE_HDR;
        break;
    case LOG_REC_BT_REPLACE:
        if (cb < BTL_REPLACE_HDR)
            return JET_errLogCorrupted;
        op->cbKey = le_get16(pv + 8);
        op->cbData = le_get16(pv + 10);
        cbHdr = BTL_REPLACE_HDR;
        break;
    case LOG_REC_BT_SETFLAGS:
        if (cb < BTL_SETFLAGS_HDR)
            return JET_errLogCorrupted;
        op->flags = le_get16(pv + 8);
        op->cbKey = le_get16(pv + 10);
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
    int fScratch = 0;
    if (type == LOG_REC_BT_INSERT) {
        /* the same plan as the do path (bt_leaf_op): same bytes (X2) */
        cbNeed = bt_pg_insert_cost(pg, cbPage, op->key, op->cbKey, op->cbData, &fScratch);
        if (bt_pg_free(pg, cbPage) < cbNeed)
            return JET_errDatabaseCorrupted;
    } else if (type == LOG_REC_BT_REPLACE) {
        bt_node n;
        bt_pg_node(pg, cbPage, i, &n);
        if (bt_pg_free(pg, cbPage) + n.cbData < op->cbData)
            return JET_errDatabaseCorrupted;
        cbNeed = n.cbData == op->cbData ? 0 : bt_node_size(op->cbKey, op->cbData);
        fScratch = cbNeed && bt_pg_needs_compact(pg, cbPage, cbNeed);
    }
    if (fScratch && (scratch = os_malloc(cbPage)) == NULL)
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

/* Checks of a PAGEIMAGE payload that need no page. */
static JET_ERR check_image(const uint8_t *pv, uint32_t cb, uint32_t cbPage)
{
    if (cb < BTL_IMAGE_HDR)
        return JET_errLogCorrupted;
    uint32_t cbHead = le_get32(pv + 8), cbTail = le_get32(pv + 12);
    if ((uint64_t)BTL_IMAGE_HDR + cbHead + cbTail != cb || (uint64_t)cbHead + cbTail > cbPage ||
        cbHead < PAGE_HEADER_SIZE)
        return JET_errLogCorrupted;
    return JET_errSuccess;
}

/* Checks of a PAGEDIFF payload that need no page: runs inside the page past
 * the cache's words, in increasing order, not overlapping. */
static JET_ERR check_diff(const uint8_t *pv, uint32_t cb, uint32_t cbPage)
{
    if (cb < BTL_DIFF_HDR)
        return JET_errLogCorrupted;
    uint32_t off = BTL_DIFF_HDR, next = PAGE_OFF_OBJID;
    while (off < cb) {
        if (cb - off < BTL_DIFF_RUN)
            return JET_errLogCorrupted;
        uint32_t ib = le_get16(pv + off), len = le_get16(pv + off + 2);
        if (len == 0 || ib < next || (uint64_t)ib + len > cbPage || cb - off - BTL_DIFF_RUN < len)
            return JET_errLogCorrupted;
        next = ib + len;
        off += BTL_DIFF_RUN + len;
    }
    return JET_errSuccess;
}

static JET_ERR torn_add(bt_redo_ctx *ctx, uint32_t dbid, uint32_t pgno);
static void torn_forget(bt_redo_ctx *ctx, uint32_t dbid, uint32_t pgno);

/* Apply a checked PAGEDIFF payload to its page if the page is older than lsn
 * (the SMOEND's) and holds what the change started from (D1), and stamp it
 * with lsn.  A torn page waits for its image (T3). */
static JET_ERR apply_diff(bt_redo_ctx *ctx, cache *pc, const uint8_t *pv, uint32_t cb, lsn_t lsn)
{
    uint32_t cbPage = cache_page_size(pc);
    uint32_t dbid = le_get32(pv), pgno = le_get32(pv + 4);
    bf *pbf = NULL;
    JET_ERR err = cache_read(pc, dbid, pgno, LATCH_EXCLUSIVE, &pbf);
    if (err == JET_errReadVerifyFailure)
        return torn_add(ctx, dbid, pgno);
    if (err < 0)
        return err;
    if (bf_lsn(pbf) < lsn) {
        uint8_t *pg = bf_data(pbf);
        if (os_crc32c(0, pg + PAGE_OFF_OBJID, cbPage - PAGE_OFF_OBJID) != le_get32(pv + 8)) {
            err = JET_errDatabaseCorrupted;   /* D1: not the bytes the change started from */
        } else {
            for (uint32_t off = BTL_DIFF_HDR; off < cb;) {
                uint32_t ib = le_get16(pv + off), len = le_get16(pv + off + 2);
                memcpy(pg + ib, pv + off + BTL_DIFF_RUN, len);
                off += BTL_DIFF_RUN + len;
            }
            if (os_crc32c(0, pg + PAGE_OFF_OBJID, cbPage - PAGE_OFF_OBJID) != le_get32(pv + 12))
                err = JET_errLogCorrupted;   /* the crc chain held, the record lies: never seen */
            if (err >= 0)
                cache_dirty(pbf, lsn);
        }
    }
    cache_release(pbf);
    return err;
}

/* Apply a checked PAGEIMAGE payload to its page if the page is older than
 * lsn (the SMOEND's), and stamp it with lsn. */
static JET_ERR apply_image(bt_redo_ctx *ctx, cache *pc, const uint8_t *pv, lsn_t lsn)
{
    uint32_t cbPage = cache_page_size(pc);
    uint32_t dbid = le_get32(pv), pgno = le_get32(pv + 4);
    uint32_t cbHead = le_get32(pv + 8), cbTail = le_get32(pv + 12);
    bf *pbf = NULL;
    JET_ERR err = cache_read(pc, dbid, pgno, LATCH_EXCLUSIVE, &pbf);
    if (err == JET_errPageNotInitialized || err == JET_errFileIOBeyondEOF || err == JET_errReadVerifyFailure)
        err = cache_new(pc, dbid, pgno, &pbf);   /* the image defines the whole page */
    if (err < 0)
        return err;
    torn_forget(ctx, dbid, pgno);   /* T3: a torn page is whole again */
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

/* ---- replay of structure changes -------------------------------------------
 *
 * Images are kept (copied) per structure change until its SMOEND, then
 * applied together (A3).  Memory is bounded: one copy per page (a later image
 * of the same page replaces the earlier one), at most BT_GRP_MAX pages per
 * change (what one change can hold, A1), at most BT_REDO_MAX_PENDING changes
 * at once (structure changes of one database are serialized on its space
 * page, L6: in a sane log only one change per database, plus the changes that
 * died in a crash, is ever pending).
 *
 * A record for a page that a pending change holds can only follow that
 * change's images if the change never logged its SMOEND (A3): it died in a
 * crash (recovery went on and the log continued after it, e.g. the undo pass
 * of an earlier recovery) or an append failed and the change was undone in
 * memory (A4).  Either way its images must never be applied: the change is
 * dropped and the record applied as usual.  A SMOEND that then names it is
 * corrupt (its image count does not match). */

#define BT_REDO_MAX_PENDING 1024

typedef struct redo_img {
    uint32_t dbid, pgno;
    uint8_t  type;        /* LOG_REC_BT_PAGEIMAGE or LOG_REC_BT_PAGEDIFF */
    uint32_t cb;
    uint8_t *pv;          /* copy of the payload */
} redo_img;

typedef struct redo_smo {
    lsn_t    smoid;
    uint32_t crec;        /* PAGEIMAGE and PAGEDIFF records read */
    uint32_t cimg;        /* distinct pages */
    redo_img img[BT_GRP_MAX];
} redo_smo;

/* T3 (btree.c): a page whose file copy failed its checksum when a record
 * operation wanted it (a write torn by the crash) waits for an image of it
 * later in the log: every record for it before that image is contained in
 * the image.  Pages still waiting at the end are damage (bt_redo_torn). */
typedef struct redo_torn {
    uint32_t dbid, pgno;
} redo_torn;

struct bt_redo_ctx {
    lsn_t     lsnFirst;   /* first record replayed: changes named after an
                           * older lsn may have begun before the replay */
    uint32_t  cpending;
    redo_smo *pending[BT_REDO_MAX_PENDING];
    uint32_t  ctorn, ctornMax;
    redo_torn *torn;      /* pages waiting for an image (T3) */
};

static int torn_find(const bt_redo_ctx *ctx, uint32_t dbid, uint32_t pgno)
{
    for (uint32_t i = 0; i < ctx->ctorn; i++)
        if (ctx->torn[i].dbid == dbid && ctx->torn[i].pgno == pgno)
            return (int)i;
    return -1;
}

static JET_ERR torn_add(bt_redo_ctx *ctx, uint32_t dbid, uint32_t pgno)
{
    if (torn_find(ctx, dbid, pgno) >= 0)
        return JET_errSuccess;
    if (ctx->ctorn == ctx->ctornMax) {
        uint32_t cNew = ctx->ctornMax ? 2 * ctx->ctornMax : 8;
        redo_torn *p = os_malloc(cNew * sizeof *p);
        if (p == NULL)
            return JET_errOutOfMemory;
        if (ctx->ctorn)
            memcpy(p, ctx->torn, ctx->ctorn * sizeof *p);
        os_free(ctx->torn);
        ctx->torn = p;
        ctx->ctornMax = cNew;
    }
    ctx->torn[ctx->ctorn].dbid = dbid;
    ctx->torn[ctx->ctorn++].pgno = pgno;
    return JET_errSuccess;
}

static void torn_forget(bt_redo_ctx *ctx, uint32_t dbid, uint32_t pgno)
{
    int i = torn_find(ctx, dbid, pgno);
    if (i >= 0)
        ctx->torn[i] = ctx->torn[--ctx->ctorn];
}

uint32_t bt_redo_torn(const bt_redo_ctx *ctx, uint32_t dbid, uint32_t *ppgno)
{
    uint32_t c = 0;
    for (uint32_t i = 0; ctx && i < ctx->ctorn; i++)
        if (ctx->torn[i].dbid == dbid && c++ == 0 && ppgno)
            *ppgno = ctx->torn[i].pgno;
    return c;
}

JET_ERR bt_redo_begin(bt_redo_ctx **ppctx)
{
    bt_redo_ctx *ctx = os_calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return JET_errOutOfMemory;
    *ppctx = ctx;
    return JET_errSuccess;
}

uint32_t bt_redo_pending(const bt_redo_ctx *ctx)
{
    return ctx ? ctx->cpending : 0;
}

static void drop_smo(bt_redo_ctx *ctx, uint32_t i)
{
    redo_smo *m = ctx->pending[i];
    for (uint32_t j = 0; j < m->cimg; j++)
        os_free(m->img[j].pv);
    os_free(m);
    ctx->pending[i] = ctx->pending[--ctx->cpending];
}

void bt_redo_end(bt_redo_ctx *ctx)
{
    if (ctx == NULL)
        return;
    while (ctx->cpending > 0)
        drop_smo(ctx, ctx->cpending - 1);
    os_free(ctx->torn);
    os_free(ctx);
}

static int smo_find_page(const redo_smo *m, uint32_t dbid, uint32_t pgno)
{
    for (uint32_t j = 0; j < m->cimg; j++)
        if (m->img[j].pgno == pgno && m->img[j].dbid == dbid)
            return (int)j;
    return -1;
}

/* Drop the pending changes (but `keep`) that hold page (dbid, pgno): they
 * died without their SMOEND (see above). */
static void drop_holders(bt_redo_ctx *ctx, uint32_t dbid, uint32_t pgno, const redo_smo *keep)
{
    for (uint32_t i = ctx->cpending; i-- > 0;)
        if (ctx->pending[i] != keep && smo_find_page(ctx->pending[i], dbid, pgno) >= 0)
            drop_smo(ctx, i);
}

static int find_smo(const bt_redo_ctx *ctx, lsn_t smoid)
{
    for (uint32_t i = 0; i < ctx->cpending; i++)
        if (ctx->pending[i]->smoid == smoid)
            return (int)i;
    return -1;
}

/* Keep a PAGEIMAGE or PAGEDIFF until its change's SMOEND. */
static JET_ERR redo_image(bt_redo_ctx *ctx, cache *pc, uint8_t type, const uint8_t *pv, uint32_t cb, lsn_t lsn)
{
    JET_ERR err = type == LOG_REC_BT_PAGEDIFF ? check_diff(pv, cb, cache_page_size(pc))
                                              : check_image(pv, cb, cache_page_size(pc));
    if (err < 0)
        return err;
    uint32_t dbid = le_get32(pv), pgno = le_get32(pv + 4);
    lsn_t smoid = le_get64(pv + 16);
    if (smoid == LSN_NIL)
        smoid = lsn;   /* the first image of a change */
    else if (smoid >= lsn)
        return JET_errLogCorrupted;
    int i = find_smo(ctx, smoid);
    redo_smo *m = i >= 0 ? ctx->pending[i] : NULL;
    drop_holders(ctx, dbid, pgno, m);
    uint8_t *copy = os_malloc(cb);
    if (copy == NULL)
        return JET_errOutOfMemory;
    memcpy(copy, pv, cb);
    if (m == NULL) {
        if (ctx->cpending >= BT_REDO_MAX_PENDING) {
            os_free(copy);
            return JET_errLogFileCorrupt;
        }
        m = os_calloc(1, sizeof *m);
        if (m == NULL) {
            os_free(copy);
            return JET_errOutOfMemory;
        }
        m->smoid = smoid;
        ctx->pending[ctx->cpending++] = m;
    }
    int j = smo_find_page(m, dbid, pgno);
    if (j >= 0 && (type == LOG_REC_BT_PAGEDIFF || m->img[j].type == LOG_REC_BT_PAGEDIFF)) {
        os_free(copy);
        return JET_errLogFileCorrupt;   /* D1: a diff is its page's only record in a change */
    } else if (j >= 0) {
        os_free(m->img[j].pv);   /* a later image of the page wins */
        m->img[j].pv = copy;
        m->img[j].cb = cb;
    } else if (m->cimg < BT_GRP_MAX) {
        m->img[m->cimg].dbid = dbid;
        m->img[m->cimg].pgno = pgno;
        m->img[m->cimg].type = type;
        m->img[m->cimg].cb = cb;
        m->img[m->cimg++].pv = copy;
    } else {
        os_free(copy);
        return JET_errLogFileCorrupt;   /* more pages than a change can hold */
    }
    m->crec++;
    return JET_errSuccess;
}

/* A change is complete: apply its images (A3). */
static JET_ERR redo_smoend(bt_redo_ctx *ctx, cache *pc, const uint8_t *pv, uint32_t cb, lsn_t lsn)
{
    if (cb != BTL_SMOEND_SIZE)
        return JET_errLogCorrupted;
    uint32_t dbid = le_get32(pv), cimages = le_get32(pv + 4);
    lsn_t smoid = le_get64(pv + 8);
    if (smoid == LSN_NIL || smoid >= lsn || cimages == 0)
        return JET_errLogCorrupted;
    /* A change named after a replayed lsn was replayed from its start: all
     * its images must have been read. */
    int fWhole = smoid >= ctx->lsnFirst;
    int i = find_smo(ctx, smoid);
    if (i < 0)
        return fWhole ? JET_errLogFileCorrupt : JET_errSuccess;   /* else: on disk before the replay */
    redo_smo *m = ctx->pending[i];
    JET_ERR err = JET_errSuccess;
    if (m->crec > cimages || (fWhole && m->crec != cimages))
        err = JET_errLogFileCorrupt;
    for (uint32_t j = 0; j < m->cimg && err >= 0; j++)
        if (m->img[j].dbid != dbid)
            err = JET_errLogFileCorrupt;
    for (uint32_t j = 0; j < m->cimg && err >= 0; j++)
        err = m->img[j].type == LOG_REC_BT_PAGEDIFF ? apply_diff(ctx, pc, m->img[j].pv, m->img[j].cb, lsn)
                                                    : apply_image(ctx, pc, m->img[j].pv, lsn);
    drop_smo(ctx, (uint32_t)i);
    return err;
}

JET_ERR bt_redo(bt_redo_ctx *ctx, cache *pc, uint8_t type, const uint8_t *pv, uint32_t cb, lsn_t lsn)
{
    if (ctx == NULL)
        return JET_errInvalidParameter;
    if (cb < 8 || type < LOG_REC_BT_FIRST || type > LOG_REC_BT_LAST)
        return JET_errLogCorrupted;
    if (ctx->lsnFirst == LSN_NIL)
        ctx->lsnFirst = lsn;
    if (type == LOG_REC_BT_PAGEIMAGE || type == LOG_REC_BT_PAGEDIFF)
        return redo_image(ctx, pc, type, pv, cb, lsn);
    if (type == LOG_REC_BT_SMOEND)
        return redo_smoend(ctx, pc, pv, cb, lsn);
    uint32_t dbid = le_get32(pv), pgno = le_get32(pv + 4);
    redo_op op;
    JET_ERR err = decode_op(type, pv, cb, &op);
    if (err < 0)
        return err;
    if (type == LOG_REC_BT_INSERTU)
        type = LOG_REC_BT_INSERT;   /* the caller's bytes are the caller's to replay */
    drop_holders(ctx, dbid, pgno, NULL);   /* A3: a pending change on this page is dead */
    bf *pbf = NULL;
    err = cache_read(pc, dbid, pgno, LATCH_EXCLUSIVE, &pbf);
    if (err == JET_errReadVerifyFailure)
        return torn_add(ctx, dbid, pgno);   /* T3: wait for the page's image */
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
