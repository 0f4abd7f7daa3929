/*
 * btree.c -- trees: create, drop, descents, and the single-node operations
 * by key (insert, replace, delete, set flags, lookup).
 *
 * Owns: latching rules L1, L3 and L8 of btree_int.h (shared descents, the
 * optimistic leaf-only path of record operations, the append hint H1) and the choice between a
 * record operation on one leaf and a structure change (smo.c).
 * Must not touch: page layout (page.c), split/merge mechanics (smo.c), the
 * space page (space.c), log payloads (redo.c).
 *
 * A record operation first tries the optimistic path (L3): the leaf alone,
 * latched exclusively, changed in place and logged as a record.  When the
 * leaf must split (insert, growing replace) or would become underfull
 * (delete), it lets go of everything and runs as a structure change (L4).
 * bt_insert_undo: the caller's undo bytes travel in the insert's own record
 * (INSERTU) on the optimistic path; otherwise the caller's undo record is
 * appended, latches held, just before the change (U1: never after it).
 */
#include "btree_int.h"

#include <assert.h>
#include <stdio.h>

#include "os_testcase.h"

uint32_t bt_node_max(uint32_t cbPage)
{
    /* T5: node + slot + a 4-byte pgno (for the separator copy of the key)
     * fit a quarter of the usable page. */
    return bt_cap(cbPage) / 4 - BT_NODE_HDR - BT_SLOT - BT_PGNO_SIZE;
}

/* Underfull: worth merging with a sibling. */
int bt_underfull(const uint8_t *pg, uint32_t cbPage)
{
    return bt_pg_used(pg, cbPage) < bt_cap(cbPage) / 4;
}

void bt_report_corrupt(const bt_env *env, uint32_t pgno, int32_t iNode, JET_ERR err, const char *reason)
{
    if (env->corrupt)
        env->corrupt(env->corruptctx, env->dbid, pgno, iNode, err, reason);
}

/*
 * Checked once (issue 20): the full layout pass (bt_pg_problem, O(slots))
 * used to run on every visit of a page, 45% of a warm scan.  It now runs
 * when the page's bytes are new to the cache and after each change:
 *
 *   V1. A latched tree page whose frame carries the cache's checked mark
 *       (cache.h C5) passes bt_pg_problem.
 *
 * Kept because the mark is set only here, right after bt_pg_problem
 * returned NULL for the bytes we hold latched, and the cache clears it
 * whenever those bytes can change (C5): a page read from disk (crc-checked
 * by the cache, layout-checked here on its first visit), a page made by
 * cache_new (a new page, a split/merge half, a page image restored by redo)
 * and a page changed in place (do path, redo, undo) are all released from
 * an exclusive latch before anyone else sees them, which clears the mark,
 * so their first visit after that checks them again.  A page damaged on
 * disk is therefore still reported when it is read, with its pgno, node and
 * reason, exactly as before.  Debug builds (no NDEBUG) skip nothing: they
 * check on every visit and assert V1, so a path that broke C5 fails the
 * tests instead of hiding corruption.
 *
 *   V2. A page changed in place by a single-node record operation
 *       (record_op: bt_leaf_op through page.c) keeps its mark: it was
 *       checked when latched and page.c's operations keep the layout
 *       (cache_release_checked; asserted in debug builds).
 */
const char *bt_latched_problem(bf *pbf, uint32_t cbPage, int32_t *piNode)
{
    int fChecked = bf_checked(pbf);
    testcase(fChecked); /* a visit served by an earlier check */
#ifdef NDEBUG
    if (fChecked) {
        *piNode = -1;
        return NULL;
    }
#endif
    const char *problem = bt_pg_problem(bf_data(pbf), cbPage, piNode);
    assert(problem == NULL || !fChecked); /* V1 */
    if (problem == NULL)
        bf_set_checked(pbf);
    return problem;
}

JET_ERR bt_read_tree_page(const bt_env *env, uint32_t pgno, uint32_t objid, int latch, bf **ppbf)
{
    bf *pbf = NULL;
    JET_ERR err = cache_read(env->pc, env->dbid, pgno, latch, &pbf);
    if (err == JET_errReadVerifyFailure)
        bt_report_corrupt(env, pgno, -1, err, "checksum mismatch");
    if (err == JET_errPageNotInitialized || err == JET_errFileIOBeyondEOF) {
        bt_report_corrupt(env, pgno, -1, JET_errBadPageLink,
                          err == JET_errPageNotInitialized ? "a link to a blank page" : "a link past the end of the file");
        err = JET_errBadPageLink;
    }
    if (err < 0)
        return err;
    const uint8_t *pg = bf_data(pbf);
    int32_t iNode = -1;
    const char *problem = bt_latched_problem(pbf, cache_page_size(env->pc), &iNode);
    char why[80];
    if (problem == NULL && objid != 0 && pg_objid(pg) != objid) {
        snprintf(why, sizeof(why), "page of object %u where object %u was expected", pg_objid(pg), objid);
        problem = why;
    }
    if (problem != NULL) {
        cache_release(pbf);
        bt_report_corrupt(env, pgno, iNode, JET_errDatabaseCorrupted, problem);
        return JET_errDatabaseCorrupted;
    }
    *ppbf = pbf;
    return JET_errSuccess;
}

JET_ERR bt_read_root(const bt_env *env, uint32_t pgnoRoot, int latch, bf **ppbf)
{
    bf *pbf = NULL;
    JET_ERR err = bt_read_tree_page(env, pgnoRoot, 0, latch, &pbf);
    if (err < 0)
        return err;
    if (!(pg_flags(bf_data(pbf)) & BTP_ROOT) || pg_objid(bf_data(pbf)) == 0) {
        cache_release(pbf);
        bt_report_corrupt(env, pgnoRoot, -1, JET_errDatabaseCorrupted, "not the root page of a tree");
        return JET_errDatabaseCorrupted;
    }
    *ppbf = pbf;
    return JET_errSuccess;
}

/* Latch the child of a latched internal page (checks objid and level). */
JET_ERR bt_read_child(const bt_env *env, const uint8_t *pgParent, uint32_t i, int latch, bf **ppbf)
{
    uint32_t cbPage = cache_page_size(env->pc);
    bf *pbf = NULL;
    JET_ERR err = bt_read_tree_page(env, bt_pg_child(pgParent, cbPage, i), pg_objid(pgParent), latch, &pbf);
    if (err < 0)
        return err;
    if (pg_level(bf_data(pbf)) + 1 != pg_level(pgParent) || (pg_flags(bf_data(pbf)) & BTP_ROOT)) {
        cache_release(pbf);
        return JET_errBadParentPageLink;
    }
    *ppbf = pbf;
    return JET_errSuccess;
}

JET_ERR bt_descend_shared(const bt_env *env, uint32_t pgnoRoot, const void *key, uint32_t cbKey, int how,
                          bf **ppbf)
{
    uint32_t cbPage = cache_page_size(env->pc);
    bf *pbf = NULL;
    JET_ERR err = bt_read_root(env, pgnoRoot, LATCH_SHARED, &pbf);
    while (err >= 0 && !pg_is_leaf(bf_data(pbf))) {
        const uint8_t *pg = bf_data(pbf);
        uint32_t i;
        if (pg_cslot(pg) == 0) {
            err = JET_errDatabaseCorrupted;   /* T3: empty internal page */
            break;
        }
        switch (how) {
        case BT_DESCEND_FIRST: i = 0; break;
        case BT_DESCEND_LAST: i = pg_cslot(pg) - 1; break;
        default: i = bt_pg_route(pg, cbPage, key, cbKey, how == BT_DESCEND_BEFORE); break;
        }
        bf *pbfChild = NULL;
        err = bt_read_child(env, pg, i, LATCH_SHARED, &pbfChild);   /* L1: couple */
        cache_release(pbf);
        pbf = pbfChild;
    }
    if (err < 0)
        return err;
    *ppbf = pbf;
    return JET_errSuccess;
}

/* L3: the leaf for key, latched exclusively, reached with shared latches. */
static JET_ERR leaf_for_write(const bt_env *env, uint32_t pgnoRoot, const void *key, uint32_t cbKey, bf **ppbf)
{
    uint32_t cbPage = cache_page_size(env->pc);
    for (;;) {
        bf *pbf = NULL;
        JET_ERR err = bt_read_root(env, pgnoRoot, LATCH_SHARED, &pbf);
        if (err < 0)
            return err;
        if (pg_is_leaf(bf_data(pbf))) {
            /* The root is the leaf: latch it exclusively, then make sure it
             * did not grow a level in between. */
            cache_release(pbf);
            err = bt_read_root(env, pgnoRoot, LATCH_EXCLUSIVE, &pbf);
            if (err < 0)
                return err;
            if (pg_is_leaf(bf_data(pbf))) {
                *ppbf = pbf;
                return JET_errSuccess;
            }
            cache_release(pbf);
            continue;
        }
        for (;;) {
            const uint8_t *pg = bf_data(pbf);
            if (pg_cslot(pg) == 0) {
                cache_release(pbf);
                return JET_errDatabaseCorrupted;
            }
            uint32_t i = bt_pg_route(pg, cbPage, key, cbKey, 0);
            int last = pg_level(pg) == 1;
            bf *pbfChild = NULL;
            err = bt_read_child(env, pg, i, last ? LATCH_EXCLUSIVE : LATCH_SHARED, &pbfChild);
            cache_release(pbf);
            if (err < 0)
                return err;
            pbf = pbfChild;
            if (last) {
                *ppbf = pbf;
                return JET_errSuccess;
            }
        }
    }
}

/* ---- append hint (issue 20: sequential inserts) -------------------------------
 *
 * An insert whose key lies above every key of the tree belongs in the
 * rightmost leaf; a sequential fill does nothing else, and its descent from
 * the root (route and key compares on every level) was a tenth of its CPU.
 * env->hints (btree.h) remembers, per tree, the leaf an insert last found
 * to be the rightmost one, and the next insert goes there directly:
 *   H1. A hint is used only after all of these hold, so any value is safe
 *       (stale, torn, zero, another tree's):
 *       (a) the root is latched SHARED: no structure change of the tree is
 *           running (L4: one holds the root exclusively from its first latch
 *           to its end), so T1-T5 hold and no page of the tree is "frozen"
 *           by a change that let go of it meaning to come back (L4) -- the
 *           reason record operations otherwise reach a leaf only through its
 *           parent (L3);
 *       (b) the hinted page, latched exclusively, is not the root, is a leaf
 *           (flags, level 0) of the root's objid with at least one node and
 *           no right neighbour (next == 0), and passes the layout check: by
 *           T1 and T2 it is the tree's rightmost leaf (an objid names one
 *           live tree of a database: isam allocates them, and a dropped
 *           tree's pages are free, objid 0), whose key range is
 *           [its separator, +infinity);
 *       (c) key > its last key: the key is inside that range, its slot is
 *           cslot, and it is no duplicate.
 *       The root is let go once (b) holds: a structure change that starts
 *       later latches the root, then waits for this leaf (its descendant)
 *       like any change waits for a leaf an L3 writer holds.
 *   L8. Lock order of the hint: the root shared, then the hinted page
 *       exclusively.  A stale hint may name any page, but nobody waits for a
 *       root while holding a latch (structure changes and descents start at
 *       the root, cursors hold nothing between calls: L4, L7), so waiting
 *       for any page with a root held shared cannot close a cycle; the root
 *       itself is refused (a shared latch would wait for itself).
 * Anything else (no hint, check failed, the leaf is full, read error) falls
 * back to the descent; the error of a failed hint read is not reported: the
 * descent meets the page again if the tree really holds it.  A descent that
 * inserts into a leaf with next == 0 below the root sets the hint; a split
 * of that leaf gives it a right neighbour, which fails (b) once. */
static uint64_t hint_pack(uint32_t pgnoRoot, uint32_t pgnoLeaf)
{
    return (uint64_t)pgnoRoot << 32 | pgnoLeaf;
}

static void hint_set(const bt_env *env, uint32_t pgnoRoot, uint32_t pgnoLeaf)
{
    if (env->hints == NULL)
        return;
    _Atomic uint64_t *slot = &env->hints->slot[pgnoRoot % BT_HINTS];
    uint64_t v = hint_pack(pgnoRoot, pgnoLeaf);
    if (atomic_load_explicit(slot, memory_order_relaxed) != v)
        atomic_store_explicit(slot, v, memory_order_relaxed);
}

/* H1: the rightmost leaf for key, latched `latch`, with *pfAppend = 1; else
 * nothing latched and *pfAppend = 0 (the caller descends).  A refused hint
 * is cleared (unless someone set another meanwhile): random inserts, which
 * set it once in a while, then pay for at most one refusal each time. */
static void hint_leaf(const bt_env *env, uint32_t pgnoRoot, const void *key, uint32_t cbKey, int latch, bf **ppbf,
                      int *pfAppend)
{
    *pfAppend = 0;
    if (env->hints == NULL)
        return;
    _Atomic uint64_t *slot = &env->hints->slot[pgnoRoot % BT_HINTS];
    uint64_t v = atomic_load_explicit(slot, memory_order_relaxed);
    uint32_t pgnoLeaf = (uint32_t)v;
    if ((uint32_t)(v >> 32) != pgnoRoot || pgnoLeaf == 0 || pgnoLeaf == pgnoRoot)
        return;
    uint32_t cbPage = cache_page_size(env->pc);
    bf *pbfRoot = NULL, *pbf = NULL;
    if (cache_read(env->pc, env->dbid, pgnoRoot, LATCH_SHARED, &pbfRoot) < 0)
        return;   /* the descent reads the root again and reports */
    const uint8_t *pgRoot = bf_data(pbfRoot);
    int32_t iNode;
    int fHintOk = 0;
    if ((pg_flags(pgRoot) & (BTP_ROOT | BTP_INTERNAL)) == (BTP_ROOT | BTP_INTERNAL) && pg_objid(pgRoot) != 0 &&
        bt_latched_problem(pbfRoot, cbPage, &iNode) == NULL &&
        cache_read(env->pc, env->dbid, pgnoLeaf, latch, &pbf) >= 0) {   /* L8 */
        const uint8_t *pg = bf_data(pbf);
        fHintOk = (pg_flags(pg) & (BTP_LEAF | BTP_INTERNAL | BTP_ROOT | BTP_SPACE | BTP_FREE)) == BTP_LEAF &&
             pg_level(pg) == 0 && pg_objid(pg) == pg_objid(pgRoot) && pg_next(pg) == 0 && pg_cslot(pg) > 0 &&
             bt_latched_problem(pbf, cbPage, &iNode) == NULL;   /* H1 (b) */
        if (fHintOk) {
            bt_node n;
            bt_pg_node(pg, cbPage, pg_cslot(pg) - 1, &n);
            fHintOk = bt_node_cmp(&n, key, cbKey) < 0;   /* H1 (c) */
        }
        if (!fHintOk)
            cache_release(pbf);
    }
    cache_release(pbfRoot);
    testcase(fHintOk);    /* an operation served by the hint */
    testcase(!fHintOk);   /* a hint refused */
    if (!fHintOk) {
        atomic_compare_exchange_strong_explicit(slot, &v, 0, memory_order_relaxed, memory_order_relaxed);
        return;
    }
    *ppbf = pbf;
    *pfAppend = 1;
}

int bt_append_absent(bt_env *env, uint32_t pgnoRoot, const void *key, uint32_t cbKey)
{
    bf *pbf = NULL;
    int fAppend = 0;
    hint_leaf(env, pgnoRoot, key, cbKey, LATCH_SHARED, &pbf, &fAppend);
    if (fAppend)
        cache_release(pbf);
    return fAppend;
}

static void leaf_change(uint8_t *pg, uint32_t cbPage, uint8_t type, uint32_t i, const void *key, uint32_t cbKey,
                        const void *data, uint32_t cbData, uint32_t flags, uint8_t *scratch)
{
    switch (type) {
    case LOG_REC_BT_INSERT: bt_pg_insert(pg, cbPage, i, key, cbKey, data, cbData, flags, scratch); break;
    case LOG_REC_BT_DELETE: bt_pg_delete(pg, cbPage, i); break;
    case LOG_REC_BT_REPLACE: bt_pg_replace(pg, cbPage, i, data, cbData, scratch); break;
    default: bt_pg_setflags(pg, cbPage, i, flags); break;
    }
}

/* T3 (torn pages): a change of a page whose lsn is below the cache's image
 * threshold G (or its file's floor: cache.h C7) is logged as the page's
 * whole image, a structure change of one page, not as a record operation.
 * G is the log's end at the last checkpoint advance, moved with every page
 * change kept out (CP5 in isam/inst.c, which holds ckpt exclusive while the
 * decision here and the append run under ckpt shared), so
 *
 *   IMG. every page whose lsn is >= G has an image in the log at an lsn in
 *        [G, its lsn], and every change of it since is logged: the change
 *        that first took its lsn to G or past it found it below G.
 *
 * A write that a crash tears is one not yet synced when the checkpoint
 * replay starts from (R) became durable; CP5 names R <= G of that advance
 * only after every page dirty before G was written and synced, so a torn
 * page was changed at or past G and, by IMG, replay finds its image at or
 * past R: it puts the image in place of the torn page (bt_redo; the
 * records of the page before it wait, T3 in redo.c) and applies what
 * follows.  A page read back after eviction and changed again is therefore
 * imaged only once per checkpoint interval, not once per read (issue 20:
 * 3,300 log bytes a row on a random fill larger than the cache).  A file's
 * floor (its attach lsn, db.c) covers pages whose lsn predates the file's
 * attachment.  The change is made first and undone in memory if logging
 * fails (A4; an append failure leaves the instance unusable, F1, so the
 * stamped lsn of a dropped image never reaches IMG).  Takes scratch. */
static JET_ERR leaf_op_image(const bt_env *env, bf *pbf, uint8_t type, uint32_t i, const void *key, uint32_t cbKey,
                             const void *data, uint32_t cbData, uint32_t flags, uint8_t *scratch)
{
    uint32_t cbPage = cache_page_size(env->pc);
    uint8_t *pg = bf_data(pbf), *before = os_malloc(cbPage);
    lsn_t smoid = LSN_NIL, lsnEnd = LSN_NIL;
    if (before == NULL) {
        os_free(scratch);
        return JET_errOutOfMemory;
    }
    memcpy(before, pg, cbPage);
    leaf_change(pg, cbPage, type, i, key, cbKey, data, cbData, flags, scratch);
    JET_ERR err = bt_log_image(env, pbf, LSN_NIL, &smoid);
    if (err >= 0)
        err = bt_log_smoend(env, smoid, 1, &lsnEnd);
    if (err >= 0)
        bt_stamp(env, pbf, lsnEnd);   /* A2 */
    else   /* A4: crc, pgno and lsn are the cache's (see bt_grp_end) */
        memcpy(pg + PAGE_OFF_OBJID, before + PAGE_OFF_OBJID, cbPage - PAGE_OFF_OBJID);
    os_free(before);
    os_free(scratch);
    return err;
}

JET_ERR bt_leaf_op(const bt_env *env, bf *pbf, uint8_t type, uint32_t i, const void *key, uint32_t cbKey,
                   const void *data, uint32_t cbData, uint32_t flags)
{
    uint32_t cbPage = cache_page_size(env->pc);
    uint8_t *pg = bf_data(pbf), *scratch = NULL;
    uint32_t pgno = bf_pgno(pbf), cbNeed = 0;
    lsn_t lsn = LSN_NIL;
    JET_ERR err;
    int fScratch = 0;
    if (type == LOG_REC_BT_INSERT) {
        (void)bt_pg_insert_cost(pg, cbPage, key, cbKey, cbData, &fScratch);
    } else if (type == LOG_REC_BT_REPLACE) {
        bt_node n;
        bt_pg_node(pg, cbPage, i, &n);
        if (n.cbData != cbData)
            cbNeed = bt_node_size(cbKey, cbData);   /* >= the node as stored (X2) */
        fScratch = cbNeed && bt_pg_needs_compact(pg, cbPage, cbNeed);
    }
    if (fScratch && (scratch = os_malloc(cbPage)) == NULL)
        return JET_errOutOfMemory;
    if (env->log != NULL && cache_image_due(pbf))
        return leaf_op_image(env, pbf, type, i, key, cbKey, data, cbData, flags, scratch);
    /* Log first (the page is latched exclusively): a failed append leaves
     * the page untouched. */
    switch (type) {
    case LOG_REC_BT_INSERT: err = bt_log_insert(env, pgno, key, cbKey, data, cbData, flags, &lsn); break;
    case LOG_REC_BT_DELETE: err = bt_log_delete(env, pgno, key, cbKey, &lsn); break;
    case LOG_REC_BT_REPLACE: err = bt_log_replace(env, pgno, key, cbKey, data, cbData, &lsn); break;
    default: err = bt_log_setflags(env, pgno, key, cbKey, flags, &lsn); break;
    }
    if (err >= 0) {
        leaf_change(pg, cbPage, type, i, key, cbKey, data, cbData, flags, scratch);
        bt_stamp(env, pbf, lsn);
    }
    os_free(scratch);
    return err;
}

/* What a record operation needs from its leaf. */
enum { FIT_OK, FIT_SMO, FIT_DUP, FIT_MISSING };

static int leaf_fit(const bt_env *env, const uint8_t *pg, uint8_t type, const void *key, uint32_t cbKey,
                    uint32_t cbData, int fRoot, uint32_t *pi)
{
    uint32_t cbPage = cache_page_size(env->pc);
    int found;
    *pi = bt_pg_search(pg, cbPage, key, cbKey, &found);
    if (type == LOG_REC_BT_INSERT) {
        int fScratch;
        if (found)
            return FIT_DUP;
        return bt_pg_free(pg, cbPage) >= bt_pg_insert_cost(pg, cbPage, key, cbKey, cbData, &fScratch) ? FIT_OK
                                                                                                     : FIT_SMO;
    }
    if (!found)
        return FIT_MISSING;
    bt_node n;
    bt_pg_node(pg, cbPage, *pi, &n);
    if (type == LOG_REC_BT_REPLACE)
        return bt_pg_free(pg, cbPage) + n.cbData >= cbData ? FIT_OK : FIT_SMO;
    if (type == LOG_REC_BT_DELETE && !fRoot) {
        uint32_t cbAfter = bt_pg_used(pg, cbPage) - bt_node_size(n.cbSfx, n.cbData);
        if (pg_cslot(pg) == 1 || cbAfter < bt_cap(cbPage) / 4)
            return FIT_SMO;
    }
    return FIT_OK;
}

static JET_ERR fit_error(int fit)
{
    return fit == FIT_DUP ? JET_errKeyDuplicate : JET_errRecordNotFound;
}

/* The caller's undo record on its own (bt_insert_undo), before a change
 * that is not logged as an INSERTU record. */
static JET_ERR log_undo_first(const bt_env *env, bt_undo *pu)
{
    if (pu == NULL || pu->lsn != LSN_NIL || env->log == NULL)
        return JET_errSuccess;
    return env->log(env->logctx, pu->type, pu->parts, pu->cpart, &pu->lsn);
}

/* An insert that fits its leaf (latched exclusively, slot i): with the
 * caller's undo bytes in the INSERT record itself when the insert is logged
 * as a record operation (not T3's image). */
static JET_ERR leaf_insert(const bt_env *env, bf *pbf, uint32_t i, const void *key, uint32_t cbKey,
                           const void *data, uint32_t cbData, uint32_t flags, bt_undo *pu)
{
    if (pu == NULL || pu->lsn != LSN_NIL || env->log == NULL || cache_image_due(pbf)) {
        JET_ERR err = log_undo_first(env, pu);
        if (err >= 0)
            err = bt_leaf_op(env, pbf, LOG_REC_BT_INSERT, i, key, cbKey, data, cbData, flags);
        return err;
    }
    uint32_t cbPage = cache_page_size(env->pc);
    uint8_t *pg = bf_data(pbf), *scratch = NULL;
    int fScratch;
    (void)bt_pg_insert_cost(pg, cbPage, key, cbKey, cbData, &fScratch);
    if (fScratch && (scratch = os_malloc(cbPage)) == NULL)
        return JET_errOutOfMemory;
    lsn_t lsn = LSN_NIL;
    /* Log first (as bt_leaf_op): a failed append leaves the page untouched. */
    JET_ERR err = bt_log_insertu(env, bf_pgno(pbf), key, cbKey, data, cbData, flags, pu->pvClient, pu->cbClient, &lsn);
    if (err >= 0) {
        bt_pg_insert(pg, cbPage, i, key, cbKey, data, cbData, flags, scratch);
        bt_stamp(env, pbf, lsn);
        pu->lsn = lsn;
    }
    os_free(scratch);
    return err;
}

/* L4: the same operation as a structure change. */
static JET_ERR record_op_smo(const bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, uint8_t type,
                             const void *key, uint32_t cbKey, const void *data, uint32_t cbData, uint32_t flags,
                             bt_undo *pu)
{
    bt_smo s;
    JET_ERR err = bt_smo_begin(&s, env, pgnoSpace, pgnoRoot);
    if (err >= 0)
        err = bt_smo_descend(&s, key, cbKey);
    if (err >= 0) {
        int d = s.depth - 1;
        bf *pbfLeaf = s.path[d];
        uint32_t i;
        int fit = leaf_fit(env, bf_data(pbfLeaf), type, key, cbKey, cbData, d == 0, &i);
        s.islot[d] = i;
        if (fit == FIT_DUP || fit == FIT_MISSING)
            err = fit_error(fit);
        else if (fit == FIT_OK && type == LOG_REC_BT_INSERT)
            err = leaf_insert(env, pbfLeaf, i, key, cbKey, data, cbData, flags, pu);
        else if (fit == FIT_OK)
            err = bt_leaf_op(env, pbfLeaf, type, i, key, cbKey, data, cbData, flags);
        else if (type == LOG_REC_BT_INSERT) {
            err = log_undo_first(env, pu);   /* before the change (nothing changed if it fails) */
            if (err >= 0)
                err = bt_smo_insert(&s, key, cbKey, data, cbData, flags);
        }
        else if (type == LOG_REC_BT_REPLACE)
            err = bt_smo_replace(&s, data, cbData);
        else
            err = bt_smo_delete(&s);
    }
    return bt_smo_end(&s, err);
}

static JET_ERR record_op(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, uint8_t type, const void *key,
                         uint32_t cbKey, const void *data, uint32_t cbData, uint32_t flags, bt_undo *pu)
{
    uint32_t cbPage = cache_page_size(env->pc);
    if ((uint64_t)cbKey + cbData > bt_node_max(cbPage))
        return JET_errRecordTooBig;
    if (flags > 0xFFFF || (cbKey && key == NULL) || (cbData && data == NULL))
        return JET_errInvalidParameter;
    bf *pbf = NULL;
    JET_ERR err = JET_errSuccess;
    int fAppend = 0, fit;
    uint32_t i;
    if (type == LOG_REC_BT_INSERT)
        hint_leaf(env, pgnoRoot, key, cbKey, LATCH_EXCLUSIVE, &pbf, &fAppend);
    if (fAppend) {
        const uint8_t *pg = bf_data(pbf);
        i = pg_cslot(pg);   /* H1 (c) */
        int fScratch;   /* what the node costs on a key-prefix page (X2) */
        fit = bt_pg_free(pg, cbPage) >= bt_pg_insert_cost(pg, cbPage, key, cbKey, cbData, &fScratch) ? FIT_OK
                                                                                                  : FIT_SMO;
    } else {
        err = leaf_for_write(env, pgnoRoot, key, cbKey, &pbf);
        if (err < 0)
            return err;
        const uint8_t *pg = bf_data(pbf);
        fit = leaf_fit(env, pg, type, key, cbKey, cbData, (pg_flags(pg) & BTP_ROOT) != 0, &i);
        if (type == LOG_REC_BT_INSERT && fit == FIT_OK && pg_next(pg) == 0 && !(pg_flags(pg) & BTP_ROOT))
            hint_set(env, pgnoRoot, bf_pgno(pbf));   /* H1 */
    }
    if (fit == FIT_OK && type == LOG_REC_BT_INSERT)
        err = leaf_insert(env, pbf, i, key, cbKey, data, cbData, flags, pu);
    else if (fit == FIT_OK)
        err = bt_leaf_op(env, pbf, type, i, key, cbKey, data, cbData, flags);
    else if (fit != FIT_SMO)
        err = fit_error(fit);
    /* V2: the leaf passed bt_pg_problem when leaf_for_write latched it (V1)
     * and changed since only through page.c's operations, which keep P2, P3
     * and its flags (or was put back byte for byte, A4): it still passes, so
     * its checked mark stays (the next insert into it does not re-check all
     * its slots).  Debug builds verify. */
    assert(bt_pg_problem(bf_data(pbf), cbPage, &(int32_t){ -1 }) == NULL);
    cache_release_checked(pbf);
    if (fit == FIT_SMO)
        err = record_op_smo(env, pgnoSpace, pgnoRoot, type, key, cbKey, data, cbData, flags, pu);
    return err;
}

JET_ERR bt_insert(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                  const void *data, uint32_t cbData, uint32_t nodeflags)
{
    return record_op(env, pgnoSpace, pgnoRoot, LOG_REC_BT_INSERT, key, cbKey, data, cbData, nodeflags, NULL);
}

JET_ERR bt_insert_undo(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                       const void *data, uint32_t cbData, uint32_t nodeflags, bt_undo *pu)
{
    pu->lsn = LSN_NIL;
    if (pu->cbClient > 255 || (pu->cbClient && pu->pvClient == NULL))
        return JET_errInvalidParameter;
    return record_op(env, pgnoSpace, pgnoRoot, LOG_REC_BT_INSERT, key, cbKey, data, cbData, nodeflags, pu);
}

JET_ERR bt_replace(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, const void *key, uint32_t cbKey,
                   const void *data, uint32_t cbData)
{
    return record_op(env, pgnoSpace, pgnoRoot, LOG_REC_BT_REPLACE, key, cbKey, data, cbData, 0, NULL);
}

JET_ERR bt_delete(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, const void *key, uint32_t cbKey)
{
    return record_op(env, pgnoSpace, pgnoRoot, LOG_REC_BT_DELETE, key, cbKey, NULL, 0, 0, NULL);
}

JET_ERR bt_set_flags(bt_env *env, uint32_t pgnoRoot, const void *key, uint32_t cbKey, uint32_t nodeflags)
{
    /* Never changes a node's size, so never a structure change: no space page. */
    return record_op(env, 0, pgnoRoot, LOG_REC_BT_SETFLAGS, key, cbKey, NULL, 0, nodeflags, NULL);
}

JET_ERR bt_lookup(bt_env *env, uint32_t pgnoRoot, const void *key, uint32_t cbKey, void *data,
                  uint32_t cbDataMax, uint32_t *pcbData, uint32_t *pnodeflags)
{
    uint32_t cbPage = cache_page_size(env->pc);
    bf *pbf = NULL;
    if (cbKey && key == NULL)
        return JET_errInvalidParameter;
    JET_ERR err = bt_descend_shared(env, pgnoRoot, key, cbKey, BT_DESCEND_KEY, &pbf);
    if (err < 0)
        return err;
    const uint8_t *pg = bf_data(pbf);
    int found;
    uint32_t i = bt_pg_search(pg, cbPage, key, cbKey, &found);
    if (!found) {
        err = JET_errRecordNotFound;
    } else {
        bt_node n;
        bt_pg_node(pg, cbPage, i, &n);
        uint32_t cb = n.cbData < cbDataMax ? n.cbData : cbDataMax;
        if (cb)
            memcpy(data, n.data, cb);
        if (pcbData)
            *pcbData = n.cbData;
        if (pnodeflags)
            *pnodeflags = n.flags;
        err = n.cbData > cbDataMax ? JET_wrnBufferTruncated : JET_errSuccess;
    }
    cache_release(pbf);
    return err;
}

/* ---- create / drop ----------------------------------------------------------- */

JET_ERR bt_create(bt_env *env, uint32_t pgnoSpace, uint32_t objid, uint32_t *ppgnoRoot)
{
    return bt_create_announced(env, pgnoSpace, objid, NULL, NULL, ppgnoRoot);
}

JET_ERR bt_create_announced(bt_env *env, uint32_t pgnoSpace, uint32_t objid, bt_announce_fn announce, void *ctx,
                            uint32_t *ppgnoRoot)
{
    bf *pbf = NULL;
    bt_grp g;
    if (objid == 0)
        return JET_errInvalidParameter;   /* objid 0 marks free and space pages */
    bt_grp_init(&g, env);
    /* One structure change: the allocation and the new root (A1). */
    JET_ERR err = bt_space_alloc_grp(&g, pgnoSpace, objid, 1, &pbf);
    uint32_t pgno = 0;
    if (err >= 0) {
        bt_pg_init(bf_data(pbf), cache_page_size(env->pc), objid, BTP_LEAF | BTP_ROOT, 0);
        pgno = bf_pgno(pbf);
    }
    /* The caller's record naming the root precedes the change in the log
     * (C2 in btree.h): a change that reached the log has been announced. */
    if (err >= 0 && announce != NULL)
        err = announce(ctx, pgno);
    err = bt_grp_end(&g, err);
    if (err >= 0)
        *ppgnoRoot = pgno;
    return err;
}

/* Free a latched tree page (ownership passes here: it is released) as one
 * structure change with the space page (L6: latched after it). */
static JET_ERR free_page(const bt_env *env, uint32_t pgnoSpace, bf *pbf)
{
    bf *pbfSpace = NULL;
    bt_grp g;
    bt_grp_init(&g, env);
    JET_ERR err = bt_grp_hold(&g, pbf);
    if (err >= 0)
        err = bt_space_hold(&g, pgnoSpace, &pbfSpace);
    if (err >= 0)
        bt_space_free_grp(&g, pbfSpace, pbf);
    return bt_grp_end(&g, err);
}

/* Is page pgno (still) a page of tree objid?  No for a free page, a page of
 * another tree, and a page never written. */
static JET_ERR page_of_tree(const bt_env *env, uint32_t pgno, uint32_t objid, int *pfMine)
{
    bf *pbf = NULL;
    *pfMine = 0;
    JET_ERR err = cache_read(env->pc, env->dbid, pgno, LATCH_SHARED, &pbf);
    if (err == JET_errPageNotInitialized || err == JET_errFileIOBeyondEOF)
        return JET_errSuccess;
    if (err < 0)
        return err;
    const uint8_t *pg = bf_data(pbf);
    *pfMine = pg_objid(pg) == objid && !(pg_flags(pg) & (BTP_FREE | BTP_SPACE));
    cache_release(pbf);
    return JET_errSuccess;
}

/* Free every page below a latched page (depth first, top-down latching).
 * fPartial: the tree may be half freed already (a drop cut by a crash, C2):
 * children that are no longer pages of the tree are skipped. */
static JET_ERR drop_below(const bt_env *env, uint32_t pgnoSpace, bf *pbf, int depth, int fPartial)
{
    const uint8_t *pg = bf_data(pbf);
    JET_ERR err = JET_errSuccess;
    if (pg_is_leaf(pg))
        return JET_errSuccess;
    if (depth >= BT_MAX_DEPTH)
        return JET_errDatabaseCorrupted;
    for (uint32_t i = 0; i < pg_cslot(pg) && err >= 0; i++) {
        bf *pbfChild = NULL;
        if (fPartial) {
            int fMine = 0;
            err = page_of_tree(env, bt_pg_child(pg, cache_page_size(env->pc), i), pg_objid(pg), &fMine);
            if (err < 0)
                break;
            if (!fMine)
                continue;   /* freed by the drop the crash cut (and maybe reused since) */
        }
        err = bt_read_child(env, pg, i, LATCH_EXCLUSIVE, &pbfChild);
        if (err < 0)
            break;
        err = drop_below(env, pgnoSpace, pbfChild, depth + 1, fPartial);
        if (err >= 0)
            err = free_page(env, pgnoSpace, pbfChild);
        else
            cache_release(pbfChild);
    }
    return err;
}

/* The caller guarantees that nobody else uses the tree any more (no cursor,
 * no operation in flight): its pages go back to the free list, each page
 * freed as one structure change (a tree being dropped need not stay valid,
 * but the free list must: S1). */
JET_ERR bt_drop(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot)
{
    bf *pbf = NULL;
    JET_ERR err = bt_read_root(env, pgnoRoot, LATCH_EXCLUSIVE, &pbf);   /* L4 */
    if (err < 0)
        return err;
    err = drop_below(env, pgnoSpace, pbf, 0, 0);
    if (err >= 0)
        return free_page(env, pgnoSpace, pbf);
    cache_release(pbf);
    return err;
}

JET_ERR bt_drop_created(bt_env *env, uint32_t pgnoSpace, uint32_t pgnoRoot, uint32_t objid)
{
    int fMine = 0;
    if (objid == 0)
        return JET_errInvalidParameter;
    JET_ERR err = page_of_tree(env, pgnoRoot, objid, &fMine);
    if (err < 0 || !fMine)
        return err;   /* never created, or dropped already (its root freed last) */
    bf *pbf = NULL;
    err = bt_read_root(env, pgnoRoot, LATCH_EXCLUSIVE, &pbf);   /* L4 */
    if (err < 0)
        return err;
    err = drop_below(env, pgnoSpace, pbf, 0, 1);
    if (err >= 0)
        return free_page(env, pgnoSpace, pbf);
    cache_release(pbf);
    return err;
}
